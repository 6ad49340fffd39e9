//! Page design: trim size, margins, type sizes and leading, from `Metadata.pdf` with
//! defaults chosen by the book's language.
//!
//! The default is a handout: one column of 11.5 pt Gentium Book Plus on 15 pt leading,
//! set to a measure of about 68 characters (Bringhurst's 45–75 range; the centre of it),
//! with the side margins taking whatever the paper leaves over. US and Canadian English
//! default to Letter, everything else to A4 (ISO 216 is the norm outside North America).

use crate::model::{ChapterBreak, Metadata};

/// Every length in points.
#[derive(Clone, Debug, PartialEq)]
pub struct Style {
    /// Page width.
    pub page_width: f32,
    /// Page height.
    pub page_height: f32,
    /// Top margin (to the top of the first line's strip).
    pub margin_top: f32,
    /// Right margin.
    pub margin_right: f32,
    /// Bottom margin (the last baseline's strip ends here).
    pub margin_bottom: f32,
    /// Left margin.
    pub margin_left: f32,
    /// Body font size.
    pub size: f32,
    /// Baseline-to-baseline distance of body text.
    pub leading: f32,
    /// First-line indent of paragraphs that follow a paragraph.
    pub indent: f32,
    /// Whether chapters start new pages.
    pub chapter_break: ChapterBreak,
}

/// Characters per line the default design aims at.
const TARGET_CHARS: f32 = 68.0;
/// Gentium Book Plus's mean advance over running English text, in em (measured on the
/// sample essay: 0.418 em per character, spaces included).
const MEAN_CHAR_EM: f32 = 0.418;

impl Style {
    /// The design for a book: the author's `pdf:` settings, defaults for the rest.
    pub fn from_meta(meta: &Metadata) -> Style {
        let pdf = &meta.pdf;
        // US and Canadian English books on Letter, the rest on A4.
        let letter = meta.lang.primary() == "en" && matches!(meta.lang.region(), Some("US" | "CA"));
        let (page_width, page_height) = match pdf.paper {
            Some(p) if p.width > 72.0 && p.height > 72.0 => (p.width, p.height),
            _ if letter => (612.0, 792.0),
            _ => (595.276, 841.89),
        };
        let size = match pdf.font_size {
            Some(s) if (5.0..=36.0).contains(&s) => s,
            _ => 11.5,
        };
        let leading = (size * 1.32 * 2.0).round() / 2.0;
        let (margin_top, margin_right, margin_bottom, margin_left) = match pdf.margins {
            Some([t, r, b, l])
                if t >= 0.0
                    && r >= 0.0
                    && b >= 0.0
                    && l >= 0.0
                    && l + r < page_width - 72.0
                    && t + b < page_height - 72.0 =>
            {
                (t, r, b, l)
            }
            _ => {
                // Measure from the target line length, never narrower than 60 % of the page.
                // On a narrow page the 60 % floor passes the 1 in of margins: the floor
                // wins (`clamp` panics when its bounds cross).
                let floor = page_width * 0.6;
                let measure = (TARGET_CHARS * MEAN_CHAR_EM * size)
                    .clamp(floor, (page_width - 72.0).max(floor));
                let side = ((page_width - measure) / 2.0).round();
                let top = (page_height * 0.09).round();
                (top, side, (top * 1.15).round(), side)
            }
        };
        Style {
            page_width,
            page_height,
            margin_top,
            margin_right,
            margin_bottom,
            margin_left,
            size,
            leading,
            indent: (size * 1.5).round(),
            chapter_break: pdf.chapter_break.unwrap_or(ChapterBreak::RunOn),
        }
    }

    /// Width of the text block.
    pub fn measure(&self) -> f32 {
        self.page_width - self.margin_left - self.margin_right
    }

    /// Height of the text block.
    pub fn body_height(&self) -> f32 {
        self.page_height - self.margin_top - self.margin_bottom
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::{Length2, PdfSettings};

    #[test]
    fn letter_for_us_english_a4_otherwise() {
        let us = Style::from_meta(&Metadata {
            lang: "en-US".into(),
            ..Default::default()
        });
        assert_eq!((us.page_width, us.page_height), (612.0, 792.0));
        let fr = Style::from_meta(&Metadata {
            lang: "fr".into(),
            ..Default::default()
        });
        assert!((fr.page_width - 595.276).abs() < 0.01);
        let gb = Style::from_meta(&Metadata {
            lang: "en-GB".into(),
            ..Default::default()
        });
        assert!((gb.page_width - 595.276).abs() < 0.01);
    }

    #[test]
    fn measure_holds_about_68_characters() {
        let s = Style::from_meta(&Metadata {
            lang: "en-US".into(),
            ..Default::default()
        });
        let chars = s.measure() / (MEAN_CHAR_EM * s.size);
        assert!((60.0..=80.0).contains(&chars), "{chars}");
    }

    /// Found by cargo fuzz (tests/fixtures/fuzz-crashes/crash-227f…): a 2 in wide page
    /// made `clamp` panic. The parser now refuses it, but the model may come from elsewhere.
    #[test]
    fn narrow_pages_do_not_panic() {
        for width in [73.0, 144.0, 180.0] {
            let meta = Metadata {
                pdf: PdfSettings {
                    paper: Some(Length2 {
                        width,
                        height: 648.0,
                    }),
                    ..Default::default()
                },
                ..Default::default()
            };
            let s = Style::from_meta(&meta);
            assert!(s.measure() > 0.0, "{width}: {}", s.measure());
        }
    }

    #[test]
    fn author_settings_win() {
        let meta = Metadata {
            pdf: PdfSettings {
                paper: Some(Length2 {
                    width: 432.0,
                    height: 648.0,
                }),
                margins: Some([50.0, 40.0, 60.0, 45.0]),
                font_size: Some(10.0),
                chapter_break: Some(ChapterBreak::NewPage),
                ..Default::default()
            },
            ..Default::default()
        };
        let s = Style::from_meta(&meta);
        assert_eq!(
            (s.page_width, s.margin_left, s.margin_right, s.size),
            (432.0, 45.0, 40.0, 10.0)
        );
        assert_eq!(s.chapter_break, ChapterBreak::NewPage);
        assert_eq!(s.measure(), 432.0 - 85.0);
    }
}
