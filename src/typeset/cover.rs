//! The generated cover (issue 14): the title, subtitle and author set in the book's
//! fonts on a plain ground, as one page of glyph runs and rules. The PDF takes the page
//! as it is (`pdf: cover: true`, vector); `crate::cover` paints the same page into the
//! EPUB's cover image, so both show one design.
//!
//! Everything is proportional to the page's width, so the design holds on a 1600 ×
//! 2560 px image (the 1:1.6 ratio Amazon KDP and Apple Books ask for) and on an A5 or
//! Letter page alike.

use crate::model::Book;
use crate::typeset::document::{FaceId, Page, Rect};
use crate::typeset::layout::simple_run;
use crate::typeset::shape::{Shaper, MPT};

/// The measure: the text keeps a tenth of the width free on each side.
const MEASURE: f32 = 0.8;

/// The cover of `book` on a page `width` × `height` points.
pub fn page(book: &Book, shaper: &mut Shaper<'_>, width: f32, height: f32) -> Page {
    let meta = &book.meta;
    let measure = width * MEASURE;
    let mut page = Page::default();
    // The title's size: a ninth of the width, smaller until its longest word fits and
    // it takes at most four lines.
    let mut size = width / 9.0;
    let mut lines = break_lines(shaper, &meta.title, FaceId::Bold, size, measure);
    while size > width / 40.0 && (lines.len() > 4 || lines.iter().any(|(_, w)| *w > measure)) {
        size *= 0.9;
        lines = break_lines(shaper, &meta.title, FaceId::Bold, size, measure);
    }
    let mut y = height * 0.22;
    for (text, w) in &lines {
        y += size * 1.15;
        set(
            shaper,
            &mut page,
            text,
            FaceId::Bold,
            size,
            (width - w) / 2.0,
            y,
        );
    }
    if let Some(sub) = meta.subtitle.as_deref().filter(|s| !s.trim().is_empty()) {
        let sub_size = size * 0.5;
        y += sub_size * 0.6;
        for (text, w) in break_lines(shaper, sub, FaceId::Italic, sub_size, measure) {
            y += sub_size * 1.3;
            set(
                shaper,
                &mut page,
                &text,
                FaceId::Italic,
                sub_size,
                (width - w) / 2.0,
                y,
            );
        }
    }
    // A short rule under the title block: the one ornament.
    y += size * 0.9;
    let rule = Rect {
        x: width * 0.4,
        y,
        width: width * 0.2,
        height: (width / 400.0).max(0.5),
    };
    page.rules.push(rule);
    if !meta.authors.is_empty() {
        let author_size = (size * 0.45).max(width / 28.0).min(width / 14.0);
        let authors = meta.authors.join(", ");
        let lines = break_lines(shaper, &authors, FaceId::Regular, author_size, measure);
        let mut ay = height * 0.8 - author_size * 1.3 * lines.len() as f32;
        for (text, w) in lines {
            ay += author_size * 1.3;
            set(
                shaper,
                &mut page,
                &text,
                FaceId::Regular,
                author_size,
                (width - w) / 2.0,
                ay,
            );
        }
    }
    page
}

/// Sets `text` in `face` at `size`, its baseline at `y`, from `x`.
fn set(
    shaper: &mut Shaper<'_>,
    page: &mut Page,
    text: &str,
    face: FaceId,
    size: f32,
    x: f32,
    y: f32,
) {
    let word = shaper.shape(text, face, mpt(size));
    page.runs.extend(simple_run(&word, face, size, x, y));
}

fn mpt(pt: f32) -> i64 {
    (pt * MPT as f32).round() as i64
}

/// `text` broken greedily into lines of at most `measure` (a word longer than that
/// stands alone), each with its width.
fn break_lines(
    shaper: &mut Shaper<'_>,
    text: &str,
    face: FaceId,
    size: f32,
    measure: f32,
) -> Vec<(String, f32)> {
    let mut width_of = |s: &str| {
        let w = shaper.shape(s, face, mpt(size));
        w.width(0..w.glyphs.len()) as f32 / MPT as f32
    };
    let mut lines: Vec<(String, f32)> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if line.is_empty() || width_of(&candidate) <= measure {
            line = candidate;
        } else {
            let w = width_of(&line);
            lines.push((std::mem::replace(&mut line, word.to_string()), w));
        }
    }
    if !line.is_empty() {
        let w = width_of(&line);
        lines.push((line, w));
    }
    lines
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::fonts::FontSet;
    use crate::model::Metadata;

    #[test]
    fn the_design_fits_the_page_and_keeps_its_proportions() {
        let fonts = FontSet::embedded();
        let mut shaper = Shaper::new(&fonts);
        let book = Book {
            meta: Metadata {
                title: "An Uncommonly Long Title for a Book That Has Many Words In It".into(),
                subtitle: Some("And a subtitle".into()),
                authors: vec!["Ada Marlow".into()],
                ..Metadata::default()
            },
            chapters: vec![],
            notes: vec![],
            assets: vec![],
        };
        for (w, h) in [(600.0, 960.0), (420.0, 595.0)] {
            let p = page(&book, &mut shaper, w, h);
            let text: String = p
                .runs
                .iter()
                .map(|r| r.glyphs.iter().map(|g| g.text.as_str()).collect::<String>() + " ")
                .collect();
            assert!(
                text.contains("Uncommonly") && text.contains("Ada Marlow"),
                "{text}"
            );
            for r in &p.runs {
                let right = r.x + r.glyphs.iter().map(|g| g.advance).sum::<f32>();
                assert!(r.x >= w * 0.09 && right <= w * 0.91, "{} {right}", r.x);
                assert!(r.y > 0.0 && r.y < h, "{}", r.y);
            }
            // The author sits below the title block.
            assert!(p.runs.last().unwrap().y > p.runs[0].y);
        }
    }
}
