//! Running heads and folios, set over the finished pages: the book's title on the left
//! and the chapter's on the right (the mark in force at the page's top, see
//! [`paginate`](crate::typeset::paginate)), the page number centred below the text
//! block. None on the first page, the title page.

use crate::typeset::document::{FaceId, GlyphRun, Page};
use crate::typeset::layout::simple_run;
use crate::typeset::shape::{ShapedWord, Shaper, MPT};
use crate::typeset::style::Style;
use std::rc::Rc;

/// The running material of a book's pages: what every page shares, made once.
struct Running<'s, 'f, 'p> {
    style: &'s Style,
    shaper: &'p mut Shaper<'f>,
    /// Size of heads and folios, in points and milli-points.
    size: f32,
    size_mpt: i64,
    /// The book's title, the left head of every page.
    title: &'s str,
    title_run: Vec<GlyphRun>,
    /// The last chapter head made, with its text: a chapter's pages share its run
    /// (runs share their glyphs).
    chapter: Option<(String, Vec<GlyphRun>)>,
}

/// Adds running heads and folios to `pages`, whose running heads are `marks` (one per
/// page) and printed folios `folios` (`None`: a page with neither heads nor folio, as
/// the title page; issue 14), for a book titled `title`. Each page's runs are rebuilt
/// in order (heads, text, folio) rather than inserted at the front.
pub fn add(
    pages: &mut [Page],
    marks: &[Option<String>],
    folios: &[Option<String>],
    title: &str,
    style: &Style,
    shaper: &mut Shaper<'_>,
) {
    let mut running = Running::new(title, style, shaper);
    for (i, page) in pages.iter_mut().enumerate() {
        let Some(Some(folio)) = folios.get(i) else {
            continue;
        };
        let mut runs = Vec::with_capacity(page.runs.len() + 3);
        runs.extend(running.title_run.iter().cloned());
        if let Some(Some(mark)) = marks.get(i) {
            if mark != running.title && !mark.is_empty() {
                if let Some(head) = running.chapter_head(mark) {
                    runs.extend(head);
                }
            }
        }
        runs.append(&mut page.runs);
        runs.extend(running.folio(folio));
        page.runs = runs;
    }
}

/// The space kept between the two running heads, in ems of their size.
const HEAD_GAP_EM: f32 = 2.0;

impl<'s, 'f, 'p> Running<'s, 'f, 'p> {
    fn new(title: &'s str, style: &'s Style, shaper: &'p mut Shaper<'f>) -> Self {
        let size = style.size * style.running.size;
        let size_mpt = (size * MPT as f32) as i64;
        let word = shaper.shape(title, FaceId::Italic, size_mpt);
        let title_run = simple_run(
            &word,
            FaceId::Italic,
            size,
            style.margin_left,
            Self::head_baseline(style),
        );
        Running {
            style,
            shaper,
            size,
            size_mpt,
            title,
            title_run,
            chapter: None,
        }
    }

    /// Baseline of the running heads.
    fn head_baseline(style: &Style) -> f32 {
        style.margin_top - style.leading * style.running.head_raise
    }

    /// Baseline of the folios.
    fn folio_baseline(style: &Style) -> f32 {
        style.page_height - style.margin_bottom + style.leading * style.running.folio_drop
    }

    /// `text` shaped in `face` at the heads' size, and its width in points.
    fn shape(&mut self, text: &str, face: FaceId) -> (Rc<ShapedWord>, f32) {
        let word = self.shaper.shape(text, face, self.size_mpt);
        let width = word.width(0..word.glyphs.len()) as f32 / MPT as f32;
        (word, width)
    }

    /// The right-hand head for chapter `mark`, flush with the right margin; shortened at
    /// a word boundary with an ellipsis when it would run into the book's title on the
    /// left (issue 14: a long chapter title overprinted it), `None` when not even one
    /// word fits.
    fn chapter_head(&mut self, mark: &str) -> Option<Vec<GlyphRun>> {
        if let Some((text, run)) = &self.chapter {
            if text == mark {
                return Some(run.clone());
            }
        }
        let title_width: f32 = self
            .title_run
            .iter()
            .flat_map(|r| r.glyphs.iter())
            .map(|g| g.advance)
            .sum();
        let room = self.style.page_width
            - self.style.margin_right
            - (self.style.margin_left + title_width + HEAD_GAP_EM * self.size);
        let (mut word, mut width) = self.shape(mark, FaceId::Italic);
        if width > room {
            // Drop words from the end until the rest and an ellipsis fit.
            let words: Vec<&str> = mark.split_whitespace().collect();
            let mut fitted = None;
            for n in (1..words.len()).rev() {
                let text = format!(
                    "{}…",
                    words[..n]
                        .join(" ")
                        .trim_end_matches([',', ';', ':', '.', '-', '–', '—'])
                );
                let (w, wd) = self.shape(&text, FaceId::Italic);
                if wd <= room {
                    fitted = Some((w, wd));
                    break;
                }
            }
            (word, width) = fitted?;
        }
        let x = self.style.page_width - self.style.margin_right - width;
        let run = simple_run(
            &word,
            FaceId::Italic,
            self.size,
            x,
            Self::head_baseline(self.style),
        );
        self.chapter = Some((mark.to_string(), run.clone()));
        Some(run)
    }

    /// The folio `label` (a number, or a roman numeral in the front matter), centred on
    /// the page.
    fn folio(&mut self, label: &str) -> Vec<GlyphRun> {
        let (word, width) = self.shape(label, FaceId::Regular);
        simple_run(
            &word,
            FaceId::Regular,
            self.size,
            (self.style.page_width - width) / 2.0,
            Self::folio_baseline(self.style),
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::fonts::FontSet;
    use crate::model::Metadata;

    fn text(run: &GlyphRun) -> String {
        run.glyphs.iter().map(|g| g.text.as_str()).collect()
    }

    #[test]
    fn heads_and_folios_from_the_second_page_on() {
        let fonts = FontSet::embedded();
        let mut shaper = Shaper::new(&fonts);
        let style = Style::from_meta(&Metadata::default());
        let mut pages = vec![Page::default(); 4];
        let marks = [
            None,
            Some("Book".to_string()),
            Some("Chapter".to_string()),
            Some("Chapter".to_string()),
        ];
        let folios = [None, Some("2".into()), Some("3".into()), Some("4".into())];
        add(&mut pages, &marks, &folios, "Book", &style, &mut shaper);
        let texts: Vec<Vec<String>> = pages
            .iter()
            .map(|p| p.runs.iter().map(text).collect())
            .collect();
        // No head on the title page; a chapter head only where it is not the title.
        assert!(texts[0].is_empty());
        assert_eq!(texts[1], ["Book", "2"]);
        assert_eq!(texts[2], ["Book", "Chapter", "3"]);
        assert_eq!(texts[3], ["Book", "Chapter", "4"]);
        // The chapter head ends at the right margin; the folio sits below the text block.
        let head = &pages[2].runs[1];
        let width: f32 = head.glyphs.iter().map(|g| g.advance).sum();
        let right = style.page_width - style.margin_right;
        assert!(
            (head.x + width - right).abs() < 0.01,
            "{} {right}",
            head.x + width
        );
        assert!(pages[2].runs[2].y > style.page_height - style.margin_bottom);
    }
}
