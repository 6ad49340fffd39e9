//! Where each page of the PDF begins, in terms of the book model: plain data the
//! typesetter makes and the EPUB writer reads (issue 17, the EPUB's page list), so
//! neither backend needs the other.
//!
//! A [`Position`] names a point of the model that both backends walk the same way: a
//! *flow* (the title page, a chapter, the notes), a *path* of child indices down the
//! block tree, and a byte *offset* into the block's inline content as the typesetter
//! flattens it ([`flat_len`] is that accounting, shared so the two sides agree).
//!
//! Paths, child by child:
//! - a chapter's blocks, a quote's, a div's, a note's: the block's index;
//! - a list: the item's index, then the block's index in the item;
//! - a definition list: the item's index, then `0` for the term (inline content) or
//!   `d + 1` for definition `d`, then the block's index in it;
//! - a table: `0` for the caption (inline content), `1` for the head row, `r + 2` for
//!   row `r`; then the cell's index; then the block's index in the cell;
//! - a line block: the line's index (inline content).
//!
//! The empty path is the flow's heading (a chapter's title; the title page's title; the
//! notes' heading). Positions order as tuples (flow, path, offset), which is reading
//! order: `[2] < [2, 0] < [2, 1] < [3]`, so a writer walking the book in order can set
//! every marker whose position it has reached.

use crate::model::{HtmlNode, Inline, Note};

/// A part of the book the EPUB writes as one place (the PDF runs them on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flow {
    /// The cover (the PDF's first page when it has one).
    Cover,
    /// The title block and the metadata's abstract (the EPUB's title page).
    TitlePage,
    /// The copyright page (the title page's verso).
    Copyright,
    /// The printed table of contents (pandoc's `toc: true`): the EPUB has its own, in
    /// its navigation document, so these pages share the next page's place.
    Contents,
    /// Chapter `i`.
    Chapter(u32),
    /// The notes' heading, and per-chapter note headings (the EPUB's notes document).
    Notes,
    /// Note `i` (its index in `Book::notes`).
    Note(u32),
}

/// A point in the book model (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Where.
    pub flow: Flow,
    /// Child indices down the block tree.
    pub path: Vec<u32>,
    /// Bytes of the block's flattened inline content before the point (0: its start).
    pub offset: u32,
}

/// One page of the PDF.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageStart {
    /// The folio ("7"; roman numerals for front matter when the PDF uses them), printed
    /// or blind; empty for a page that has none (the cover).
    pub label: String,
    /// Where its first line of text begins; `None` for a page with no text of its own
    /// (notes continued from the page before, a blank page).
    pub at: Option<Position>,
}

/// Every page of the PDF, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PageMap {
    /// The pages.
    pub pages: Vec<PageStart>,
}

impl PageMap {
    /// A content key of the map: the EPUB's bytes depend on it.
    pub fn key(&self) -> crate::memo::Key {
        let mut h = crate::memo::KeyHasher::default();
        h.add(self);
        h.key()
    }
}

/// The length in bytes of `inlines` as the typesetter flattens them into one text
/// (`typeset::items::Flat::push_inlines`): text, code and an image's description as
/// written, a note reference as its number, a soft break as a space, a hard break as
/// U+2028, raw HTML as its text (a `br` as U+2028).
pub fn flat_len(inlines: &[Inline], notes: &[Note]) -> usize {
    inlines.iter().map(|i| inline_len(i, notes)).sum()
}

/// [`flat_len`] of one inline.
pub fn inline_len(inline: &Inline, notes: &[Note]) -> usize {
    match inline {
        Inline::Text(t) | Inline::Code(t) => t.len(),
        Inline::Image { alt, .. } => alt.len(),
        Inline::NoteRef { note, .. } => {
            let number = notes.get(note.index()).map_or(note.0 + 1, |n| n.number);
            decimal_len(u64::from(number))
        }
        Inline::LineBreak => '\u{2028}'.len_utf8(),
        Inline::SoftBreak => 1,
        Inline::Html(nodes) => html_len(nodes),
        Inline::Emphasis(c)
        | Inline::Strong(c)
        | Inline::Strikethrough(c)
        | Inline::Superscript(c)
        | Inline::Subscript(c)
        | Inline::Link { content: c, .. }
        | Inline::Span { content: c, .. }
        | Inline::Math { content: c, .. } => flat_len(c, notes),
        // Set as its fallback text (a citation the cite stage did not render).
        Inline::Cite(c) => flat_len(&c.fallback, notes),
    }
}

/// [`flat_len`] of raw HTML (`Flat::push_html`).
pub fn html_len(nodes: &[HtmlNode]) -> usize {
    nodes
        .iter()
        .map(|n| match n {
            HtmlNode::Text(t) => t.len(),
            HtmlNode::Element { name, .. } if name == "br" => '\u{2028}'.len_utf8(),
            HtmlNode::Element { children, .. } => html_len(children),
        })
        .sum()
}

fn decimal_len(mut n: u64) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

/// The identifier of the PDF edition, written in its XMP (`dc:identifier`) and named by
/// the EPUB as the source of its page list (issue 17): a name-based UUID (RFC 9562
/// §5.5, v5) of the book's title, authors and identifier, so every build of one book
/// names the same edition, and it is never the EPUB's own identifier.
pub fn print_identifier(book: &crate::model::Book) -> String {
    let meta = &book.meta;
    let mut name = String::from("quire-pdf:");
    name.push_str(&meta.title);
    for a in &meta.authors {
        // U+001F (unit separator) cannot occur in a title: no two lists join alike.
        name.push('\u{1f}');
        name.push_str(a);
    }
    name.push('\u{1e}');
    match &meta.identifier {
        Some(crate::model::Identifier::Isbn(s))
        | Some(crate::model::Identifier::Uuid(s))
        | Some(crate::model::Identifier::Uri(s)) => name.push_str(s),
        None => {}
    }
    format!(
        "urn:uuid:{}",
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, name.as_bytes())
    )
}
