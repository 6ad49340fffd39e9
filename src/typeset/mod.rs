//! The typesetter: book model → pages (shape → break lines → paginate). See the PDF issue.
//!
//! Stages, each a file: [`style`] (page design from the metadata), [`shape`] (harfrust,
//! cached per word), [`hyphenate`] (exceptions, then hypher patterns), [`items`] (inlines →
//! Knuth–Plass boxes, glue and penalties), [`linebreak`] (total fit), [`lines`] (set the
//! chosen lines), [`layout`] (blocks → strips), [`paginate`] (strips → pages), [`running`]
//! (running heads and folios). This file wires them and resolves links and bookmarks once
//! every page position is known.

pub mod breaks;
pub mod cover;
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
use document::{Destination, Document, DocumentInfo, Link, LinkTarget, OutlineItem};
use items::LinkRef;
use layout::Layout;
use shape::Shaper;
use std::fmt::Write as _;

/// Typesets `book` with `fonts`: the pages, bookmarks and metadata of the PDF, and
/// warnings about lines that could not be set well.
pub fn typeset(book: &Book, fonts: &FontSet) -> (Document, Vec<Diagnostic>) {
    typeset_with(book, fonts, None, None, None)
}

/// [`typeset`] (or [`typeset_cached`] with a cache) with the manuscript's files: the
/// warnings about characters no font has then point at their line and column, not at
/// their paragraph.
pub fn typeset_in(
    book: &Book,
    fonts: &FontSet,
    sources: &crate::source::SourceMap,
    cache: Option<&TypesetCache>,
) -> (Document, Vec<Diagnostic>) {
    match cache {
        Some(cache) => {
            let context = context_key(book, fonts);
            cache.enter(context);
            typeset_with(
                book,
                fonts,
                Some((&cache.paragraphs, context)),
                Some(&cache.words),
                Some(sources),
            )
        }
        None => typeset_with(book, fonts, None, None, Some(sources)),
    }
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
        None,
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
    h.add(&book.meta.dir);
    h.key()
}

fn typeset_with(
    book: &Book,
    fonts: &FontSet,
    paragraphs: Option<(&ContentCache<layout::BrokenParagraph>, Key)>,
    words: Option<&shape::SharedWords>,
    sources: Option<&crate::source::SourceMap>,
) -> (Document, Vec<Diagnostic>) {
    let style = style::Style::from_meta(&book.meta);
    let mut layout = Layout::new(book, &style, Shaper::with_shared(fonts, words));
    if let Some(sources) = sources {
        layout = layout.with_sources(sources);
    }
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

    // Issue 14: blank versos, dedications in the upper third, the contents' numbers,
    // and each page's printed folio (none on the title page, the copyright page …).
    let folios = layout::front_matter::finish(&mut paged, &mut layout, book, &style);

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

    running::add(
        &mut paged.pages,
        &paged.marks,
        &folios,
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
                label: paged
                    .labels
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| (i + 1).to_string()),
                at,
            })
            .collect(),
    };
    let mut doc = Document {
        width: style.page_width,
        height: style.page_height,
        pages: paged.pages,
        outline,
        info,
        page_map,
    };
    // Issue 14: the cover, the PDF's first page, before the book's own pages (which keep
    // their folios: a cover is not part of the printed book block).
    if let Some(cover) = cover_page(book, &style, layout.shaper()) {
        prepend_page(&mut doc, cover);
        // In the EPUB's page list too, unnumbered (issue 17): the EPUB's cover document.
        doc.page_map.pages.insert(
            0,
            crate::pagemap::PageStart {
                label: String::new(),
                at: Some(crate::pagemap::Position {
                    flow: crate::pagemap::Flow::Cover,
                    path: Vec::new(),
                    offset: 0,
                }),
            },
        );
    }
    (doc, layout.diagnostics)
}

/// The PDF's cover page: the `cover-image` scaled to fill the page, its proportions kept
/// (unless `pdf: cover: false`); without one, the generated cover in vector form when
/// asked for (`pdf: cover: true`, and not `cover: none`).
fn cover_page(
    book: &Book,
    style: &style::Style,
    shaper: &mut Shaper<'_>,
) -> Option<document::Page> {
    let pdf = &book.meta.pdf;
    if pdf.cover == Some(false) {
        return None;
    }
    match book.meta.cover {
        Some(asset) => {
            let (w, h) = book
                .assets
                .get(asset.0 as usize)
                .and_then(crate::image::intrinsic_size)?;
            let rect = layout::front_matter::fill_rect(style.page_width, style.page_height, w, h);
            let mut page = document::Page::default();
            page.images.push(document::PlacedImage {
                asset: asset.0 as usize,
                rect,
            });
            Some(page)
        }
        None if pdf.cover == Some(true) && !book.meta.no_generated_cover => Some(cover::page(
            book,
            shaper,
            style.page_width,
            style.page_height,
        )),
        None => None,
    }
}

/// Puts `page` first, moving every destination after it.
fn prepend_page(doc: &mut Document, page: document::Page) {
    for p in &mut doc.pages {
        for l in &mut p.links {
            if let LinkTarget::Internal(d) = &mut l.target {
                d.page += 1;
            }
        }
    }
    for o in &mut doc.outline {
        o.dest.page += 1;
    }
    doc.pages.insert(0, page);
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
