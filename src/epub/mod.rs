//! The EPUB 3 backend: [`Book`] in, the bytes of a valid EPUB 3.3 package out.
//!
//! Stages, each in its own file:
//! - [`plan`]: which file holds each chapter, heading, note reference and image;
//! - [`xhtml`]: the content documents (cover, title page, chapters, notes);
//! - [`package`]: content.opf, nav.xhtml, toc.ncx and the accessibility metadata;
//! - [`fixup`]: the final zip.
//!
//! epub-builder (the user's chosen dependency) assembles the container — `mimetype`,
//! `META-INF/container.xml`, the content documents, images and stylesheet under
//! `OEBPS/`. Its package documents have known defects (anchors.md §4.1: duplicate ids,
//! no `xml:lang`, empty landmarks, unescaped metadata, no manifest properties), so quire
//! writes those three files itself and swaps them in while re-zipping in memory.

mod fixup;
mod package;
mod plan;
mod xhtml;

use crate::model::Book;
use crate::Error;
use epub_builder::{EpubBuilder, EpubContent, EpubVersion, ZipLibrary};
use package::Doc;
use plan::{Plan, COVER_FILE, NAV_FILE, NCX_FILE, NOTES_FILE, TITLE_PAGE_FILE};
use std::collections::BTreeMap;

/// The default stylesheet: relative units only, the reader's font and size respected.
const STYLE_CSS: &str = include_str!("style.css");

/// Where epub-builder puts everything (its `OEBPS` prefix is fixed).
const ROOT: &str = "OEBPS";

/// Options for [`write`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpubOptions {
    /// `SOURCE_DATE_EPOCH` in seconds, read by `main`. Sets `dcterms:modified` and the zip
    /// entry times; without it they come from the book's date or a fixed date. The
    /// backend never reads the environment or the clock.
    pub timestamp: Option<i64>,
}

/// Writes `book` as an EPUB 3 package. The same book and options always give the same
/// bytes.
pub fn write(book: &Book, options: &EpubOptions) -> Result<Vec<u8>, Error> {
    let plan = Plan::new(book);
    let docs = documents(&plan);
    let toc = package::toc(&plan);
    let has_cover = docs.iter().any(|d| d.file == COVER_FILE);

    let container = build_container(&plan, &docs, options)?;

    let mut replace = BTreeMap::new();
    let opf_path = format!("{ROOT}/content.opf");
    replace.insert(
        opf_path.clone(),
        package::content_opf(&plan, &docs, options.timestamp).into_bytes(),
    );
    replace.insert(
        format!("{ROOT}/{NAV_FILE}"),
        package::nav_xhtml(&plan, &toc, has_cover).into_bytes(),
    );
    replace.insert(
        format!("{ROOT}/{NCX_FILE}"),
        package::toc_ncx(&plan, &toc).into_bytes(),
    );
    fixup::rezip(&container, &opf_path, &replace, options.timestamp)
}

/// The content documents in reading order.
fn documents(plan: &Plan) -> Vec<Doc> {
    let book = plan.book;
    let mut docs = Vec::new();
    if let Some(image) = book.meta.cover.and_then(|c| plan.asset_file(c)) {
        docs.push(Doc {
            id: "cover".into(),
            file: COVER_FILE.into(),
            xhtml: xhtml::cover_document(plan, image),
        });
    }
    docs.push(Doc {
        id: "titlepage".into(),
        file: TITLE_PAGE_FILE.into(),
        xhtml: xhtml::title_page_document(plan),
    });
    for i in 0..book.chapters.len() {
        docs.push(Doc {
            id: format!("ch-{}", i + 1),
            file: plan.chapter_file(i).to_string(),
            xhtml: xhtml::chapter_document(plan, i),
        });
    }
    if !book.notes.is_empty() {
        docs.push(Doc {
            id: "notes".into(),
            file: NOTES_FILE.into(),
            xhtml: xhtml::notes_document(plan),
        });
    }
    docs
}

/// Lets epub-builder write the container with every content document and resource.
fn build_container(plan: &Plan, docs: &[Doc], options: &EpubOptions) -> Result<Vec<u8>, Error> {
    let err = |e: epub_builder::Error| Error::Epub(e.to_string());
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
    b.stylesheet(STYLE_CSS.as_bytes()).map_err(err)?;

    for (i, (file, asset)) in plan.asset_files().iter().zip(&book.assets).enumerate() {
        if book.meta.cover.is_some_and(|c| c.0 as usize == i) {
            b.add_cover_image(file, asset.data.as_slice(), asset.media_type.as_str())
                .map_err(err)?;
        } else {
            b.add_resource(file, asset.data.as_slice(), asset.media_type.as_str())
                .map_err(err)?;
        }
    }
    for doc in docs {
        // No title or reference type: they only feed epub-builder's own TOC, landmarks
        // and guide, which are replaced.
        b.add_content(EpubContent::new(doc.file.as_str(), doc.xhtml.as_bytes()))
            .map_err(err)?;
    }
    let mut out = Vec::new();
    b.generate(&mut out).map_err(err)?;
    Ok(out)
}
