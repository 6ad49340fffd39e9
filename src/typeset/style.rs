//! Page design: trim size, margins, type sizes and leading, from `Metadata.pdf` with
//! defaults chosen by the book's language; and the proportions of everything the layout
//! sets (titles, headings, quotes, lists, code, tables, notes, running heads), each
//! relative to the body size or leading, with the reason for its value.
//!
//! The default is a handout: one column of 11.5 pt Gentium Book Plus on 15 pt leading,
//! set to a measure of about 68 characters (Bringhurst's 45–75 range; the centre of it),
//! with the side margins taking whatever the paper leaves over. US and Canadian English
//! default to Letter, everything else to A4 (ISO 216 is the norm outside North America).
//!
//! Sizes given "in em" are multiples of the body size (of the enclosing frame's size where
//! a field says so); lengths "in leadings" are multiples of the body leading. Comparisons
//! with LaTeX are with its standard classes' size tables (size10.clo, size11.clo).

use crate::model::{ChapterBreak, Metadata, NotePlacement};
use crate::typeset::document::FaceId;

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
    /// The title block.
    pub title: TitleDesign,
    /// Chapter titles and headings.
    pub headings: HeadingDesign,
    /// Quotes, lists, code, scene breaks and images.
    pub blocks: BlockDesign,
    /// Tables.
    pub table: TableDesign,
    /// The Notes section.
    pub notes: NoteDesign,
    /// Where notes go: a Notes section at the end, or the foot of each page.
    pub note_placement: NotePlacement,
    /// Notes at the page foot (`pdf: notes: footnotes`).
    pub footnotes: FootnoteDesign,
    /// Running heads and folios.
    pub running: RunningDesign,
}

/// The title block at the head of the book: title, subtitle, authors, centred.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TitleDesign {
    /// The book's title (bold), in em: between LaTeX's `\LARGE` (1.73) and `\huge`
    /// (2.07), the sizes of its `\title` and `\chapter` headings.
    pub title_size: f32,
    /// The subtitle (italic), in em.
    pub subtitle_size: f32,
    /// Space above the subtitle, in em.
    pub subtitle_space: f32,
    /// The authors' names (roman), in em: a step above the text, below the subtitle.
    pub author_size: f32,
    /// Space above the authors' names, in em: more than above the subtitle, which
    /// belongs with the title.
    pub author_space: f32,
    /// The publisher and the date under the authors (the EPUB's title page shows them
    /// too, as pandoc's does), in em: the text's size.
    pub imprint_size: f32,
    /// Space above the publisher and date, in em.
    pub imprint_space: f32,
    /// Leading of the block's lines, in their own size: display lines set tighter than
    /// text, whose leading is made for long reading.
    pub leading: f32,
    /// Space below the block, in leadings.
    pub space_after: f32,
}

impl Default for TitleDesign {
    fn default() -> Self {
        TitleDesign {
            title_size: 1.8,
            subtitle_size: 1.2,
            subtitle_space: 0.4,
            author_size: 1.1,
            author_space: 0.9,
            imprint_size: 1.0,
            imprint_space: 0.6,
            leading: 1.25,
            space_after: 2.0,
        }
    }
}

/// Chapter titles (and the Notes heading) and the headings inside chapters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeadingDesign {
    /// Chapter titles and the Notes heading (bold), in em: LaTeX's `\Large` (1.44), the
    /// size of its `\section` heading, since a chapter here is often a section of an
    /// essay rather than a book's part.
    pub chapter_size: f32,
    /// Level-2 headings (bold), in em: LaTeX's `\large` (1.2), its `\subsection`.
    /// Level 3 is bold and levels 4–6 italic, at text size.
    pub section_size: f32,
    /// Space above a chapter title (and the Notes heading), in leadings.
    pub chapter_space: f32,
    /// Space above a heading inside a chapter, in leadings: more than below it, so a
    /// heading reads with the text it introduces.
    pub section_space: f32,
    /// Space below a heading, in leadings.
    pub space_after: f32,
    /// Leading of a heading's lines in its own size (never less than the body leading,
    /// so a heading's strip stays a whole line).
    pub leading: f32,
}

impl Default for HeadingDesign {
    fn default() -> Self {
        HeadingDesign {
            chapter_size: 1.4,
            section_size: 1.15,
            chapter_space: 2.0,
            section_space: 1.5,
            space_after: 0.5,
            leading: 1.25,
        }
    }
}

/// Block quotations, lists, code, scene breaks and images.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BlockDesign {
    /// Space above and below a quote, a list, code, an image or a table, in leadings of
    /// its frame: half a line, enough to set it off without breaking the page's rhythm
    /// more than a heading does.
    pub gap: f32,
    /// A quote's inset from each side of its frame, in em (LaTeX's `quote` insets both
    /// sides alike).
    pub quote_inset: f32,
    /// A quote's type size, in em of its frame: a point smaller at 11.5 pt, as LaTeX's
    /// `\small` is at 11 pt (10/10.95). Its leading follows the body's rule.
    pub quote_size: f32,
    /// A list item's indent from its frame's left edge, in em: room for a two-digit
    /// number and the gap after it.
    pub list_indent: f32,
    /// Gap between a list marker's right edge and the item's text, in em of the frame.
    pub marker_gap: f32,
    /// Code's type size, in em of its frame: code is set in the text face (the book has
    /// no monospaced one) and its lines are never broken, so it is set smaller than a
    /// quote to let longer lines fit.
    pub code_size: f32,
    /// Code's leading, in its own size.
    pub code_leading: f32,
    /// Code's indent from its frame's left edge, in em.
    pub code_indent: f32,
    /// A scene break's height, in leadings of its frame: its ornament's line, centred,
    /// with half a line of space above and below.
    pub break_height: f32,
    /// The tallest an image is set, as a share of the text block's height, so that a
    /// caption or a line of text can share its page.
    pub image_max_height: f32,
}

impl Default for BlockDesign {
    fn default() -> Self {
        BlockDesign {
            gap: 0.5,
            quote_inset: 1.5,
            quote_size: 0.91,
            list_indent: 1.6,
            marker_gap: 0.5,
            code_size: 0.85,
            code_leading: 1.3,
            code_indent: 1.0,
            break_height: 2.0,
            image_max_height: 0.8,
        }
    }
}

/// Tables: rows of cells at text size between rules.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TableDesign {
    /// Leading of a cell's lines in the text size (rounded to the half point): tighter
    /// than the text's, since a cell holds a few words.
    pub leading: f32,
    /// Padding inside each cell, on every side, in em.
    pub padding: f32,
    /// The narrowest a column's natural width is taken to be, in em.
    pub min_column: f32,
    /// Thickness of the rule under the header row, in points; the rules above and below
    /// the table are twice as thick (booktabs' light and heavy rules, 0.05 and 0.08 em,
    /// are 0.6 and 0.9 pt at 11.5 pt).
    pub rule: f32,
    /// Room a page must also have above a table for it to be kept whole, in its frame's
    /// leadings: what usually leads into a table (a heading, a line of text, a
    /// subheading and a caption: eight lines). See `Layout::table`.
    pub lead_in: f32,
    /// Rows kept together at the head of a table too long to keep whole: the header
    /// row and two rows, so the column heads never stand alone.
    pub head_rows: usize,
}

impl Default for TableDesign {
    fn default() -> Self {
        TableDesign {
            leading: 1.3,
            padding: 0.5,
            min_column: 2.0,
            rule: 0.5,
            lead_in: 8.0,
            head_rows: 3,
        }
    }
}

/// The Notes section at the end of the book (its heading is a chapter title's).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NoteDesign {
    /// Space above each note, in leadings: a quarter line, so notes read as separate
    /// entries without the first-line indent paragraphs use.
    pub space: f32,
    /// Space above a chapter's group of notes (notes numbered by chapter), in leadings.
    pub group_space: f32,
}

impl Default for NoteDesign {
    fn default() -> Self {
        NoteDesign {
            space: 0.25,
            group_space: 1.0,
        }
    }
}

/// Notes at the foot of the page (`pdf: notes: footnotes`), below a short rule, smaller
/// than the text, each with its number hanging in the left margin of the note block. The
/// values follow LaTeX's standard classes (classes.dtx, size11.clo: `\footnotesize`,
/// `\footnoterule`, `\skip\footins`) where they are not quire's own.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FootnoteDesign {
    /// Type size, in em: LaTeX's `\footnotesize` at 11 pt (9/11, 0.82), the size
    /// Bringhurst asks of notes (smaller than the text, still readable: §4.3).
    pub size: f32,
    /// Leading, in the notes' own size, to the half point: 12 pt at 9.4 pt (LaTeX sets
    /// 9 on 11, 1.22; a little looser for the longer measure).
    pub leading: f32,
    /// Space from the body's last line to the first note, in body leadings: LaTeX's
    /// `\skip\footins` (10.8 pt at 11 pt) with the rule drawn inside it.
    pub skip: f32,
    /// Space from the rule down to the first note's line, in note leadings (LaTeX's
    /// rule sits 2.6 pt above the notes' box: `\kern-3pt \hrule\@width.4pt \kern2.6pt`).
    pub rule_gap: f32,
    /// The rule's length, as a share of the measure: short, so it reads as a separator
    /// and not as a table's rule (LaTeX's classes 0.4, Typst 0.3, Chicago "a short rule").
    pub rule_width: f32,
    /// The rule's thickness, in points (LaTeX's 0.4 pt).
    pub rule_thickness: f32,
    /// Space between two notes, in note leadings: a little, so each note's hanging number
    /// starts a visible new entry (Typst puts 0.5 em between entries; LaTeX none).
    pub gap: f32,
    /// Gap between a note's number and its text, in em of the notes' size.
    pub number_gap: f32,
    /// The most of the text block a note continued from the page before may take, as a
    /// share: TeX's `\dimen\footins` bounds the notes of a page; a continuation taller
    /// than this goes on over the next pages and leaves every page some text.
    pub max_share: f32,
}

impl Default for FootnoteDesign {
    fn default() -> Self {
        FootnoteDesign {
            size: 0.82,
            leading: 1.25,
            skip: 0.75,
            rule_gap: 0.3,
            rule_width: 0.3,
            rule_thickness: 0.4,
            gap: 0.25,
            number_gap: 0.5,
            max_share: 0.7,
        }
    }
}

impl Style {
    /// The notes' type size at the page foot.
    pub fn footnote_size(&self) -> f32 {
        self.size * self.footnotes.size
    }

    /// The notes' leading at the page foot, to the half point.
    pub fn footnote_leading(&self) -> f32 {
        to_half_point(self.footnote_size() * self.footnotes.leading)
    }
}

/// Running heads (the book's title left, the chapter's right) and folios.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunningDesign {
    /// Type size of heads and folios, in em: LaTeX's `\footnotesize` at 11 pt
    /// (9/10.95), small enough not to compete with the text.
    pub size: f32,
    /// The heads' baseline above the text block's top, in leadings.
    pub head_raise: f32,
    /// The folios' baseline below the text block's bottom, in leadings.
    pub folio_drop: f32,
}

impl Default for RunningDesign {
    fn default() -> Self {
        RunningDesign {
            size: 0.82,
            head_raise: 1.4,
            folio_drop: 2.2,
        }
    }
}

/// Characters per line the default design aims at.
const TARGET_CHARS: f32 = 68.0;
/// Gentium Book Plus's mean advance over running English text, in em (measured on the
/// sample essay: 0.418 em per character, spaces included).
const MEAN_CHAR_EM: f32 = 0.418;
/// The body size when the metadata gives none (or one outside 5–36 pt).
const DEFAULT_SIZE: f32 = 11.5;
/// Body leading in em, rounded to the half point: 15 pt on 11.5 pt.
const LEADING: f32 = 1.32;
/// Paragraph indent in em, rounded to the point.
const INDENT: f32 = 1.5;
/// The default top margin, as a share of the page height.
const MARGIN_TOP: f32 = 0.09;
/// The default bottom margin, in top margins: a little deeper, so the text block sits
/// above the page's centre (the classical page canons make it deeper still).
const MARGIN_BOTTOM: f32 = 1.15;

/// `points` rounded to the nearest half point.
fn to_half_point(points: f32) -> f32 {
    (points * 2.0).round() / 2.0
}

/// The leading the body's rule gives type of `size`: [`LEADING`] em to the half point.
pub fn leading_for(size: f32) -> f32 {
    to_half_point(size * LEADING)
}

impl Style {
    /// The design for a book: the author's `pdf:` settings, defaults for the rest.
    pub fn from_meta(meta: &Metadata) -> Style {
        let pdf = &meta.pdf;
        // US and Canadian English books on Letter, the rest on A4.
        let letter = meta.lang.uses_us_paper();
        let (page_width, page_height) = match pdf.paper {
            Some(p) if p.width > 72.0 && p.height > 72.0 => (p.width, p.height),
            _ if letter => (612.0, 792.0),
            _ => (595.276, 841.89),
        };
        let size = match pdf.font_size {
            Some(s) if (5.0..=36.0).contains(&s) => s,
            _ => DEFAULT_SIZE,
        };
        let leading = leading_for(size);
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
                let top = (page_height * MARGIN_TOP).round();
                (top, side, (top * MARGIN_BOTTOM).round(), side)
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
            indent: (size * INDENT).round(),
            chapter_break: pdf.chapter_break.unwrap_or(ChapterBreak::RunOn),
            title: TitleDesign::default(),
            headings: HeadingDesign::default(),
            blocks: BlockDesign::default(),
            table: TableDesign::default(),
            notes: NoteDesign::default(),
            note_placement: pdf.notes.unwrap_or_default(),
            footnotes: FootnoteDesign::default(),
            running: RunningDesign::default(),
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

    /// The size and face of a heading of `level` (2–6) inside a chapter.
    pub fn heading(&self, level: u8) -> (f32, FaceId) {
        match level {
            ..=2 => (self.size * self.headings.section_size, FaceId::Bold),
            3 => (self.size, FaceId::Bold),
            _ => (self.size, FaceId::Italic),
        }
    }

    /// A table's leading for cells of `size`: [`TableDesign::leading`] to the half point.
    pub fn table_leading(&self, size: f32) -> f32 {
        to_half_point(size * self.table.leading)
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
                notes: Some(NotePlacement::Footnotes),
                ..Default::default()
            },
            ..Default::default()
        };
        let s = Style::from_meta(&meta);
        assert_eq!(s.note_placement, NotePlacement::Footnotes);
        assert_eq!(
            Style::from_meta(&Metadata::default()).note_placement,
            NotePlacement::Endnotes
        );
        assert_eq!(
            (s.page_width, s.margin_left, s.margin_right, s.size),
            (432.0, 45.0, 40.0, 10.0)
        );
        assert_eq!(s.chapter_break, ChapterBreak::NewPage);
        assert_eq!(s.measure(), 432.0 - 85.0);
    }
}
