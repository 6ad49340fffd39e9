//! The print edition's pages in the EPUB (issue 17): a page-break marker where each page
//! of the PDF begins, and the page list that links them.
//!
//! EPUB Accessibility 1.1 §4 ("Page navigation") asks for a page list when the EPUB and
//! a statically paginated edition come from one workflow, as here, and for the source of
//! the pagination in the package metadata (see `package::content_opf`). Each marker is
//! an empty `<span epub:type="pagebreak" role="doc-pagebreak">` (EPUB Accessibility
//! Techniques 1.1 §"Page markers": an empty element, its number in `aria-label`, so it
//! is never read in the middle of a sentence; DPUB-ARIA 1.1 `doc-pagebreak`), set where
//! the page's first word is: inside a paragraph when the page breaks mid-paragraph,
//! before a heading, in a list item's or table cell's text, in the notes document for
//! pages of notes. Markers are written while the documents are, at the positions the
//! typesetter recorded (`pagemap`); every marker is written once, whatever the model
//! (a position the writer never reaches is written at the end of its document), so the
//! page list never links to a missing id.

use super::plan::{Plan, COPYRIGHT_FILE, COVER_FILE, NOTES_FILE, TITLE_PAGE_FILE};
use crate::pagemap::{Flow, PageMap, Position};
use std::collections::VecDeque;

// The markers are written by `xhtml` (`xhtml::Queue`): this file only places them.

/// One marker: where it goes, its id and its label.
#[derive(Clone, Debug)]
pub(crate) struct Marker {
    pub(crate) at: Position,
    pub(crate) id: String,
    pub(crate) label: String,
}

/// One entry of the page list: the label and the link to its marker.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PageEntry {
    pub(crate) label: String,
    pub(crate) href: String,
}

/// Every marker, by the document that holds it, and the page list.
#[derive(Debug, Default)]
pub(crate) struct Pages {
    /// Per document (package path), its markers in page order.
    by_file: std::collections::BTreeMap<String, VecDeque<Marker>>,
    /// The page list, one entry per page of the PDF.
    pub(crate) list: Vec<PageEntry>,
}

impl Pages {
    /// Places the pages of `map` in the documents of `plan`.
    pub(crate) fn new(plan: &Plan, map: &PageMap, docs: Docs) -> Pages {
        let book = plan.book;
        // Ids that cannot collide with the book's own (heading and span ids are the
        // author's: a heading "Page 3" is `page-3`).
        let prefix = if plan.has_id_prefix("page-") {
            "quire-page-"
        } else {
            "page-"
        };
        // Where the text ends, for pages after the last one with text of its own.
        let end = match book.chapters.len() {
            0 => Position {
                flow: Flow::TitlePage,
                path: vec![u32::MAX],
                offset: 0,
            },
            n => Position {
                flow: Flow::Chapter(n as u32 - 1),
                path: vec![u32::MAX],
                offset: 0,
            },
        };
        // A page with no text of its own (notes continued, a blank page) shares the
        // next page's place: its marker stands right before the next one (consecutive
        // empty markers are fine; the notes recommend it, research §3.7).
        let mut resolved: Vec<Position> = Vec::with_capacity(map.pages.len());
        let mut next = end;
        for page in map.pages.iter().rev() {
            if let Some(at) = page.at.clone().and_then(|at| normalise(at, plan, docs)) {
                next = at;
            }
            resolved.push(next.clone());
        }
        resolved.reverse();
        let mut pages = Pages::default();
        for (i, (page, at)) in map.pages.iter().zip(resolved).enumerate() {
            let file = file_of(&at, plan).to_string();
            let id = format!("{prefix}{}", i + 1);
            let label = if page.label.trim().is_empty() {
                // An unnumbered page (the cover): a label may not be empty (EPUB 3.3
                // §7.4.3), so it is named.
                plan.labels.cover.to_string()
            } else {
                page.label.clone()
            };
            pages.list.push(PageEntry {
                label: label.clone(),
                href: format!("{file}#{id}"),
            });
            pages
                .by_file
                .entry(file)
                .or_default()
                .push_back(Marker { at, id, label });
        }
        pages
    }

    /// The markers of document `file`, in page order.
    pub(crate) fn take(&mut self, file: &str) -> VecDeque<Marker> {
        self.by_file.remove(file).unwrap_or_default()
    }
}

/// The documents the EPUB has besides the title page, chapters and notes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Docs {
    pub(crate) has_cover: bool,
    pub(crate) has_copyright: bool,
}

/// Where the EPUB has a position: the printed contents have no text in the EPUB (its own
/// contents are the navigation document), so their pages share the next page's place
/// (`None`); notes of a book without notes (an inconsistent map) and chapters past the
/// last go at the end of the text.
fn normalise(at: Position, plan: &Plan, docs: Docs) -> Option<Position> {
    let book = plan.book;
    let end_of = |flow| Position {
        flow,
        path: vec![u32::MAX],
        offset: 0,
    };
    match at.flow {
        // The EPUB's cover and copyright page are documents of their own, when it has
        // them; else the title page stands for them.
        Flow::Cover if !docs.has_cover => Position {
            flow: Flow::TitlePage,
            path: Vec::new(),
            offset: 0,
        },
        Flow::Copyright if !docs.has_copyright => end_of(Flow::TitlePage),
        Flow::Contents => return None,
        Flow::Chapter(i) if i as usize >= book.chapters.len() => match book.chapters.len() {
            0 => end_of(Flow::TitlePage),
            n => end_of(Flow::Chapter(n as u32 - 1)),
        },
        Flow::Notes | Flow::Note(_) if book.notes.is_empty() => match book.chapters.len() {
            0 => end_of(Flow::TitlePage),
            n => end_of(Flow::Chapter(n as u32 - 1)),
        },
        _ => at,
    }
    .into()
}

/// The document a position is in.
fn file_of<'p>(at: &Position, plan: &'p Plan) -> &'p str {
    match at.flow {
        Flow::Cover => COVER_FILE,
        Flow::Copyright => COPYRIGHT_FILE,
        Flow::TitlePage | Flow::Contents => TITLE_PAGE_FILE,
        Flow::Chapter(i) => plan.chapter_file(i as usize),
        Flow::Notes | Flow::Note(_) => NOTES_FILE,
    }
}
