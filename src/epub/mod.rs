//! The EPUB 3 backend: [`Book`] in, the bytes of a valid EPUB 3.3 package out.
//!
//! Stages, each in its own file:
//! - [`plan`]: which file holds each chapter, heading, note reference and image;
//! - [`xhtml`]: the content documents (cover, title page, chapters, notes);
//! - [`package`]: content.opf, nav.xhtml, toc.ncx and the accessibility metadata;
//! - [`fixup`]: the final zip.
//!
//! epub-builder (the user's chosen dependency) assembles the container — `mimetype`,
//! `META-INF/container.xml` and the stylesheet under `OEBPS/`. Its package documents have known defects (anchors.md §4.1: duplicate ids,
//! no `xml:lang`, empty landmarks, unescaped metadata, no manifest properties), so quire
//! writes those three files itself and swaps them in while re-zipping in memory.
//!
//! epub-builder deflates every entry it is given with a compressor of its own, and its
//! `Zip` trait is not public, so that cannot be turned off. So the content documents
//! and images are not given to it at all (nothing of theirs is in its package
//! documents, which are replaced): [`fixup`] adds them while re-zipping, and a book's
//! text is compressed once. (Giving them to epub-builder empty, as quire first did,
//! still cost a compressor each: 256 KB to set up and zero per entry, which on a book
//! of 800 chapter files was a third of the EPUB's time.) With an [`EpubCache`] (`quire
//! watch`), an entry whose bytes did not change is not compressed again at all.

mod fixup;
mod furniture;
mod package;
mod pages;
mod plan;
mod xhtml;

use crate::error::{EpubError, Error};
use crate::model::Book;
use epub_builder::{EpubBuilder, EpubVersion, ZipLibrary};
use package::Doc;
use plan::{Plan, COVER_FILE, NAV_FILE, NCX_FILE, NOTES_FILE, TITLE_PAGE_FILE};

/// The default stylesheet: relative units only, the reader's font and size respected.
const STYLE_CSS: &str = include_str!("style.css");

/// Rules for pandoc's constructs, added to the stylesheet of the books that use them.
const PANDOC_CSS: &str = include_str!("pandoc.css");

/// The stylesheet of `book`: the default, with the rules for pandoc's constructs when
/// it has any (small caps, display math, figures, an abstract; verse, epigraphs,
/// definition lists, lettered and roman lists, which the plan finds).
fn stylesheet(plan: &Plan) -> std::borrow::Cow<'static, str> {
    let pandoc = plan.pandoc_blocks || uses_pandoc_rules(plan.book);
    // Issue 14: the author's stylesheet (`epub: css:`, checked by the parser) comes
    // after quire's, so its rules win at equal specificity (CSS Cascade 4 §6.1).
    if let Some(css) = &plan.book.meta.epub.css {
        let pandoc = if pandoc { PANDOC_CSS } else { "" };
        return std::borrow::Cow::Owned(format!(
            "{STYLE_CSS}{pandoc}\n/* The author's stylesheet (epub: css:). */\n{css}"
        ));
    }
    if pandoc {
        std::borrow::Cow::Owned(format!("{STYLE_CSS}{PANDOC_CSS}"))
    } else {
        std::borrow::Cow::Borrowed(STYLE_CSS)
    }
}

/// Whether the book holds something [`PANDOC_CSS`] styles.
fn uses_pandoc_rules(book: &Book) -> bool {
    use crate::model::{Block, Inline};
    fn inlines(list: &[Inline]) -> bool {
        list.iter().any(|i| match i {
            Inline::Span { .. } | Inline::Math { .. } => true,
            Inline::Emphasis(c)
            | Inline::Strong(c)
            | Inline::Strikethrough(c)
            | Inline::Superscript(c)
            | Inline::Subscript(c)
            | Inline::Link { content: c, .. } => inlines(c),
            _ => false,
        })
    }
    fn blocks(list: &[Block]) -> bool {
        list.iter().any(|b| match b {
            Block::Figure { .. } => true,
            Block::Paragraph { content, .. } | Block::Heading { content, .. } => inlines(content),
            Block::BlockQuote { blocks: b, .. } | Block::Div { blocks: b, .. } => blocks(b),
            Block::LineBlock { lines, .. } => lines.iter().any(|l| inlines(l)),
            Block::DefinitionList { items, .. } => items
                .iter()
                .any(|i| inlines(&i.term) || i.definitions.iter().any(|d| blocks(d))),
            Block::List { items, .. } => items.iter().any(|i| blocks(i)),
            Block::Table {
                head,
                rows,
                caption,
                ..
            } => {
                inlines(caption)
                    || head.iter().any(|c| blocks(c))
                    || rows.iter().flatten().any(|c| blocks(c))
            }
            _ => false,
        })
    }
    !book.meta.r#abstract.is_empty()
        || book
            .chapters
            .iter()
            .any(|c| c.title.as_deref().is_some_and(inlines) || blocks(&c.blocks))
        || book.notes.iter().any(|n| blocks(&n.blocks))
}

/// Where epub-builder puts everything (its `OEBPS` prefix is fixed).
const ROOT: &str = "OEBPS";

/// Options for [`write`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpubOptions {
    /// `SOURCE_DATE_EPOCH` in seconds, read by `main`. Sets `dcterms:modified` and the zip
    /// entry times; without it they come from the book's date or a fixed date. The
    /// backend never reads the environment or the clock.
    pub timestamp: Option<i64>,
    /// The print edition's pages (the PDF's, from the same build): with them, the EPUB
    /// marks where each begins and lists them (issue 17).
    pub pages: Option<crate::pagemap::PageMap>,
    /// A generated cover (PNG), used when the book names no `cover-image` (issue 14;
    /// made by `crate::cover` in the book's fonts).
    pub cover: Option<std::sync::Arc<[u8]>>,
}

/// Compressed zip entries kept between builds (`quire watch`), keyed by their name,
/// time and bytes.
pub type EpubCache = fixup::EntryCache;

/// Writes `book` as an EPUB 3 package. The same book and options always give the same
/// bytes.
pub fn write(book: &Book, options: &EpubOptions) -> Result<Vec<u8>, Error> {
    write_cached(book, options, None)
}

/// [`write`], taking the compressed form of entries whose bytes did not change from
/// `cache`: the same bytes as a clean [`write`].
pub fn write_cached(
    book: &Book,
    options: &EpubOptions,
    cache: Option<&EpubCache>,
) -> Result<Vec<u8>, Error> {
    let plan = Plan::new(book);
    // A cover image given by the author wins; a generated one only stands in for none.
    let generated = options
        .cover
        .as_deref()
        .filter(|_| book.meta.cover.is_none());
    let mut pages = options
        .pages
        .as_ref()
        .filter(|m| !m.pages.is_empty())
        .map(|m| {
            let has_cover =
                book.meta.cover.and_then(|c| plan.asset_file(c)).is_some() || generated.is_some();
            let docs = pages::Docs {
                has_cover,
                has_copyright: furniture::has_copyright_page(&plan),
            };
            pages::Pages::new(&plan, m, docs)
        });
    let docs = documents(&plan, generated.is_some(), pages.as_mut());
    let toc = package::toc(&plan);
    let has_cover = docs.iter().any(|d| d.file == COVER_FILE);

    let container = build_container(&plan, options)?;

    let opf_path = format!("{ROOT}/content.opf");
    let page_list = pages.as_ref().map(|p| p.list.as_slice());
    let opf = package::content_opf(
        &plan,
        &docs,
        options.timestamp,
        generated.is_some(),
        page_list.is_some(),
    );
    let nav = package::nav_xhtml(&plan, &toc, has_cover, page_list);
    let ncx = package::toc_ncx(&plan, &toc, page_list);
    // In the order the package had when epub-builder held every entry: resources,
    // content documents in reading order, then the NCX and the navigation document.
    let mut contents: Vec<(String, &[u8])> = Vec::with_capacity(docs.len() + 8);
    for (file, asset) in plan.asset_files().iter().zip(&book.assets) {
        contents.push((format!("{ROOT}/{file}"), asset.data.as_slice()));
    }
    if let Some(png) = generated {
        contents.push((format!("{ROOT}/{}", furniture::GENERATED_COVER_FILE), png));
    }
    for doc in &docs {
        contents.push((format!("{ROOT}/{}", doc.file), doc.xhtml.as_bytes()));
    }
    contents.push((format!("{ROOT}/{NCX_FILE}"), ncx.as_bytes()));
    contents.push((format!("{ROOT}/{NAV_FILE}"), nav.as_bytes()));
    fixup::rezip(
        &container,
        (&opf_path, opf.as_bytes()),
        &contents,
        options.timestamp,
        cache,
    )
}

/// The content documents in reading order, with the print edition's page-break markers
/// when `pages` are given.
fn documents(plan: &Plan, generated_cover: bool, mut pages: Option<&mut pages::Pages>) -> Vec<Doc> {
    let mut marks = |file: &str| {
        pages
            .as_deref_mut()
            .map(|p| xhtml::Queue::new(p.take(file)))
            .unwrap_or_default()
    };
    let book = plan.book;
    let mut docs = Vec::new();
    let image = book
        .meta
        .cover
        .and_then(|c| plan.asset_file(c))
        .or(generated_cover.then_some(furniture::GENERATED_COVER_FILE));
    if let Some(image) = image {
        docs.push(Doc {
            id: "cover".into(),
            file: COVER_FILE.into(),
            xhtml: xhtml::cover_document(plan, image, marks(COVER_FILE)),
        });
    }
    docs.push(Doc {
        id: "titlepage".into(),
        file: TITLE_PAGE_FILE.into(),
        xhtml: xhtml::title_page_document(plan, marks(TITLE_PAGE_FILE)),
    });
    // Issue 14: the copyright page follows the title page (CMOS 1.19: its verso).
    if furniture::has_copyright_page(plan) {
        docs.push(Doc {
            id: "copyright".into(),
            file: furniture::COPYRIGHT_FILE.into(),
            xhtml: furniture::copyright_page_document(plan, marks(furniture::COPYRIGHT_FILE)),
        });
    }
    for i in 0..book.chapters.len() {
        let file = plan.chapter_file(i).to_string();
        let xhtml = xhtml::chapter_document(plan, i, marks(&file));
        docs.push(Doc {
            id: format!("ch-{}", i + 1),
            file,
            xhtml,
        });
    }
    if !book.notes.is_empty() {
        docs.push(Doc {
            id: "notes".into(),
            file: NOTES_FILE.into(),
            xhtml: xhtml::notes_document(plan, marks(NOTES_FILE)),
        });
    }
    docs
}

/// Lets epub-builder write the container: `mimetype`, `container.xml`, the stylesheet
/// and its own package documents (replaced; see the module documentation).
fn build_container(plan: &Plan, options: &EpubOptions) -> Result<Vec<u8>, Error> {
    let err = |e: epub_builder::Error| Error::from(EpubError::Builder(e.to_string()));
    let book = plan.book;
    let mut b = EpubBuilder::new(ZipLibrary::new().map_err(err)?).map_err(err)?;
    b.epub_version(EpubVersion::V30);
    // Without these two calls epub-builder uses a random UUID and the current time
    // (anchors.md §4.1 problem 6). Its content.opf is replaced, but its intermediate
    // output should still be a pure function of the book.
    b.set_uuid(package::derived_uuid(book));
    let (y, mo, d, h, mi, s) = package::modified(book, options.timestamp);
    let modified = chrono::NaiveDate::from_ymd_opt(y as i32, mo, d)
        .and_then(|date| date.and_hms_opt(h, mi, s))
        .map(|t| t.and_utc())
        .unwrap_or_default();
    b.set_modified_date(modified);
    b.set_title(book.meta.title.clone());
    b.set_languages(vec![plan.lang.clone()]);
    b.set_authors(book.meta.authors.clone());
    b.stylesheet(stylesheet(plan).as_bytes()).map_err(err)?;

    let mut out = Vec::new();
    b.generate(&mut out).map_err(err)?;
    Ok(out)
}
