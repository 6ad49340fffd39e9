//! The typesetter: book model → pages (shape → break lines → paginate). See the PDF issue.
//!
//! Stages, each a file: [`style`] (page design from the metadata), [`shape`] (harfrust,
//! cached per word), [`hyphenate`] (exceptions, then hypher patterns), [`items`] (inlines →
//! Knuth–Plass boxes, glue and penalties), [`linebreak`] (total fit), [`lines`] (set the
//! chosen lines), [`layout`] (blocks → strips), [`paginate`] (strips → pages), [`running`]
//! (running heads and folios). This file wires them and resolves links and bookmarks once
//! every page position is known.

pub mod document;
pub mod footnotes;
pub mod hyphenate;
pub mod items;
pub mod layout;
pub mod linebreak;
pub mod lines;
pub mod paginate;
pub mod running;
pub mod shape;
pub mod style;

use crate::diag::Diagnostic;
use crate::fonts::FontSet;
use crate::memo::{CacheStats, ContentCache, Key, KeyHasher};
use crate::model::{Book, NotePlacement};
use document::{Destination, Document, DocumentInfo, FaceId, Link, LinkTarget, OutlineItem};
use items::{AnchorKey, LinkRef};
use layout::{simple_run, Layout};
use shape::{Shaper, MPT};
use std::fmt::Write as _;

/// Typesets `book` with `fonts`: the pages, bookmarks and metadata of the PDF, and
/// warnings about lines that could not be set well.
pub fn typeset(book: &Book, fonts: &FontSet) -> (Document, Vec<Diagnostic>) {
    typeset_with(book, fonts, None, None)
}

/// What the typesetter keeps between builds (`quire watch`): broken paragraphs and
/// shaped words, each keyed by its content and the context it was made in (see
/// [`context_key`] and `shape::Shaper::shape`), so a cached result is what a clean build
/// makes. Results of another context are never found; they are dropped when the context
/// changes only to free their memory.
#[derive(Default)]
pub struct TypesetCache {
    paragraphs: ContentCache<layout::BrokenParagraph>,
    words: shape::SharedWords,
    context: std::sync::Mutex<Option<Key>>,
}

/// What the typesetter's caches did in one build.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TypesetCacheStats {
    /// Broken paragraphs.
    pub paragraphs: CacheStats,
    /// Shaped words.
    pub words: CacheStats,
}

impl TypesetCache {
    /// Starts a build in `context`: what was made in another one can never be found again,
    /// so it is freed.
    fn enter(&self, context: Key) {
        let Ok(mut current) = self.context.lock() else {
            return;
        };
        if *current != Some(context) {
            self.paragraphs.clear();
            self.words.clear();
            *current = Some(context);
        }
    }

    /// Ends a build: drops what it did not use and returns its counts.
    pub fn finish(&self) -> TypesetCacheStats {
        TypesetCacheStats {
            paragraphs: self.paragraphs.finish(),
            words: self.words.finish(),
        }
    }
}

/// [`typeset`], reusing the paragraphs and words `cache` holds from earlier builds and
/// storing the new ones: the same document, byte for byte, as a clean [`typeset`].
pub fn typeset_cached(
    book: &Book,
    fonts: &FontSet,
    cache: &TypesetCache,
) -> (Document, Vec<Diagnostic>) {
    let context = context_key(book, fonts);
    cache.enter(context);
    typeset_with(
        book,
        fonts,
        Some((&cache.paragraphs, context)),
        Some(&cache.words),
    )
}

/// The key of everything a broken paragraph depends on besides its own content and
/// frame: the font programs, the page style's inputs (the `pdf:` settings and the
/// language) and the hyphenator's (the language and the book's exceptions).
fn context_key(book: &Book, fonts: &FontSet) -> Key {
    let mut h = KeyHasher::default();
    h.add(&fonts.key());
    h.add(&book.meta.pdf);
    h.add(&book.meta.lang);
    h.add(&book.meta.hyphenation);
    h.key()
}

fn typeset_with(
    book: &Book,
    fonts: &FontSet,
    paragraphs: Option<(&ContentCache<layout::BrokenParagraph>, Key)>,
    words: Option<&shape::SharedWords>,
) -> (Document, Vec<Diagnostic>) {
    let style = style::Style::from_meta(&book.meta);
    let mut layout = Layout::new(book, &style, Shaper::with_shared(fonts, words));
    if let Some((cache, context)) = paragraphs {
        layout = layout.with_paragraph_cache(cache, context);
    }
    layout.book();
    paginate::resolve_needs(&mut layout.strips);
    let strips = std::mem::take(&mut layout.strips);
    let mut paged = match style.note_placement {
        NotePlacement::Endnotes => paginate::paginate(strips, &style),
        NotePlacement::Footnotes => {
            let notes = std::mem::take(&mut layout.footnotes);
            let mut foot = footnotes::Footnotes::new(notes, &strips, &style);
            let paged = paginate::paginate_with(strips, &style, &mut foot);
            note_warnings(book, &foot, &mut layout.diagnostics);
            paged
        }
    };

    // Links: internal targets resolve to destinations; unknown ids are dropped (the parser
    // reports broken internal links).
    for (page, rect, target) in std::mem::take(&mut paged.links) {
        let target = match target {
            LinkRef::External(url) => LinkTarget::External(url),
            LinkRef::Anchor(key) => match paged.anchors.get(&key) {
                Some(dest) => LinkTarget::Internal(*dest),
                None => continue,
            },
        };
        if let Some(p) = paged.pages.get_mut(page) {
            p.links.push(Link { rect, target });
        }
    }

    // The table of contents' page numbers (pandoc's `toc: true`), right-aligned on the
    // last line of each entry, once every page is known; set after that line's text so
    // it is read after it.
    let toc_entries = std::mem::take(&mut layout.toc_entries);
    for (k, id) in toc_entries.iter().enumerate() {
        let (Some(entry), Some(target)) = (
            paged.anchors.get(&AnchorKey::TocEntry(k as u32)).copied(),
            paged.anchors.get(&AnchorKey::Id(id.clone())).copied(),
        ) else {
            continue;
        };
        let number = layout.shaper().shape(
            &(target.page + 1).to_string(),
            FaceId::Regular,
            (style.size * MPT as f32) as i64,
        );
        let width = number.width(0..number.glyphs.len()) as f32 / MPT as f32;
        let run = simple_run(
            &number,
            FaceId::Regular,
            style.size,
            style.page_width - style.margin_right - width,
            entry.y,
        );
        if let Some(page) = paged.pages.get_mut(entry.page) {
            let at = page
                .runs
                .iter()
                .rposition(|r| (r.y - entry.y).abs() < 0.5)
                .map_or(page.runs.len(), |i| i + 1);
            page.runs.insert(at, run);
        }
    }

    running::add(
        &mut paged.pages,
        &paged.marks,
        &book.meta.title,
        &style,
        layout.shaper(),
    );

    let outline = layout
        .outline
        .iter()
        .filter_map(|(title, level, key)| {
            let dest = paged
                .anchors
                .get(key)
                .copied()
                .or_else(|| (*level == 1).then(Destination::default))?;
            Some(OutlineItem {
                title: title.clone(),
                level: *level,
                dest,
            })
        })
        .collect();
    let meta = &book.meta;
    let info = DocumentInfo {
        title: meta.title.clone(),
        author: meta.authors.join(", "),
        subject: meta.description.clone(),
        keywords: meta.subjects.clone(),
        lang: meta.lang.as_str().to_string(),
        date: meta.date.clone(),
        rtl: meta.dir == Some(crate::model::Direction::Rtl),
        identifier: crate::pagemap::print_identifier(book),
    };
    let page_map = crate::pagemap::PageMap {
        pages: std::mem::take(&mut paged.starts)
            .into_iter()
            .enumerate()
            .map(|(i, at)| crate::pagemap::PageStart {
                label: running::folio_label(i),
                at,
            })
            .collect(),
    };
    let doc = Document {
        width: style.page_width,
        height: style.page_height,
        pages: paged.pages,
        outline,
        info,
        page_map,
    };
    (doc, layout.diagnostics)
}

/// Warnings about footnotes the page builder could not set as they should be.
fn note_warnings(book: &Book, foot: &footnotes::Footnotes, diags: &mut Vec<Diagnostic>) {
    for &id in &foot.long {
        if let Some(note) = book.notes.get(id as usize) {
            diags.push(
                Diagnostic::warning(
                    note.span,
                    format!(
                        "note {} is taller than a page can hold under its reference: it is continued over the next pages",
                        note.number
                    ),
                )
                .with_hint("a shorter note, or part of it moved into the text, keeps it on one page"),
            );
        }
    }
    for &id in &foot.late {
        if let Some(note) = book.notes.get(id as usize) {
            diags.push(
                Diagnostic::warning(
                    note.span,
                    format!(
                        "note {} could not start on the page of its reference: its line and its notes are too tall for one page",
                        note.number
                    ),
                )
                .with_hint("fewer or shorter notes on that line let each start on its page"),
            );
        }
    }
}

/// A text form of a document for snapshots and eyeballing: page by page, each run's
/// position, face, size and text (runs on one baseline joined with their x).
pub fn dump(doc: &Document) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "document {}x{} pt, {} pages",
        doc.width,
        doc.height,
        doc.pages.len()
    );
    for item in &doc.outline {
        let _ = writeln!(
            out,
            "outline {} {:?} -> p{} y{:.1}",
            item.level,
            item.title,
            item.dest.page + 1,
            item.dest.y
        );
    }
    for (i, page) in doc.pages.iter().enumerate() {
        let _ = writeln!(out, "--- page {} ---", i + 1);
        let mut line_y = f32::NAN;
        for run in &page.runs {
            let text: String = run.glyphs.iter().map(|g| g.text.as_str()).collect();
            if line_y.is_nan() || (run.y - line_y).abs() > 3.0 {
                if !line_y.is_nan() {
                    out.push('\n');
                }
                let _ = write!(out, "{:6.1} |", run.y);
                line_y = run.y;
            }
            let _ = write!(out, " [{:.1} {:?}{}] {}", run.x, run.face, run.size, text);
        }
        out.push('\n');
        for r in &page.rules {
            let _ = writeln!(
                out,
                "rule {:.1},{:.1} {:.1}x{:.1}",
                r.x, r.y, r.width, r.height
            );
        }
        for img in &page.images {
            let _ = writeln!(
                out,
                "image {} at {:.1},{:.1} {:.1}x{:.1}",
                img.asset, img.rect.x, img.rect.y, img.rect.width, img.rect.height
            );
        }
        for l in &page.links {
            let target = match &l.target {
                LinkTarget::External(u) => u.clone(),
                LinkTarget::Internal(d) => format!("p{} y{:.1}", d.page + 1, d.y),
            };
            let _ = writeln!(
                out,
                "link {:.1},{:.1} {:.1}x{:.1} -> {target}",
                l.rect.x, l.rect.y, l.rect.width, l.rect.height
            );
        }
    }
    out
}
