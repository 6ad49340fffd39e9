//! Issue 17: the EPUB knows the PDF's pages. Both outputs of one build are read back:
//! the EPUB's page list has one entry per PDF page, and each marker stands right before
//! the words that begin its page of the PDF (`pdftotext`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/epub_check.rs"]
mod epub_check;
#[path = "common/pages.rs"]
mod pages;

use pages::{check_pages, entry, marks};
use quire::build::{build, build_cached, BuildCache, BuildRequest, Formats};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Builds `input` with the real binary into `out`; returns (EPUB bytes, PDF path).
fn quire_build(input: &Path, out: &Path, extra: &[&str]) -> (Vec<u8>, PathBuf) {
    let run = Command::new(env!("CARGO_BIN_EXE_quire"))
        .arg("build")
        .arg(input)
        .arg("-o")
        .arg(out)
        .args(extra)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let find = |ext: &str| {
        std::fs::read_dir(out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.extension().is_some_and(|e| e == ext)
                    && !p.to_string_lossy().ends_with("-booklet.pdf")
            })
    };
    let epub = find("epub")
        .map(|p| std::fs::read(p).unwrap())
        .unwrap_or_default();
    (epub, find("pdf").unwrap_or_default())
}

/// The book's title and each document's running head (the TOC's label for it).
fn heads(epub: &[u8]) -> (String, BTreeMap<String, String>) {
    let opf = entry(epub, "content.opf").unwrap();
    let title = opf
        .split("<dc:title")
        .nth(1)
        .and_then(|t| t.split('>').nth(1))
        .and_then(|t| t.split('<').next())
        .unwrap_or("")
        .replace("&amp;", "&");
    let nav = entry(epub, "nav.xhtml").unwrap();
    let toc = &nav[..nav.find("epub:type=\"landmarks\"").unwrap_or(nav.len())];
    let mut out = BTreeMap::new();
    for a in toc.split("<a href=\"").skip(1) {
        let href = a.split('"').next().unwrap_or("");
        if href.contains('#') {
            continue;
        }
        if let Some(label) = a.split('>').nth(1).and_then(|t| t.split('<').next()) {
            out.insert(href.to_string(), label.replace("&amp;", "&"));
        }
    }
    (title, out)
}

/// [`check_pages`] with the heads of `epub`.
fn check(epub: &[u8], pdf: &Path) -> usize {
    let (title, heads) = heads(epub);
    check_pages(epub, pdf, &title, &heads)
}

fn check_package(epub: &[u8], pages: usize) {
    let opf = entry(epub, "content.opf").unwrap();
    for feature in ["printPageNumbers", "pageBreakMarkers", "pageNavigation"] {
        assert!(
            opf.contains(&format!(
                "<meta property=\"schema:accessibilityFeature\">{feature}</meta>"
            )),
            "{feature}"
        );
    }
    assert!(opf.contains("<dc:source>urn:uuid:"), "{opf}");
    assert!(opf.contains("<meta property=\"pageBreakSource\">urn:uuid:"));
    let ncx = entry(epub, "toc.ncx").unwrap();
    assert_eq!(ncx.matches("<pageTarget ").count(), pages);
    assert!(ncx.contains(&format!(
        "<meta name=\"dtb:totalPageCount\" content=\"{pages}\"/>"
    )));
    if let Err(problems) = epub_check::check_epub(epub) {
        panic!("{problems:?}");
    }
}

#[test]
fn the_samples_page_list_is_its_pdfs_pages() {
    let tmp = tempfile::tempdir().unwrap();
    let (epub, pdf) = quire_build(&repo().join("manuscript"), tmp.path(), &[]);
    let empty = check(&epub, &pdf);
    let n = marks(&epub).len();
    assert!(n > 5, "{n} pages");
    assert_eq!(empty, 0, "every page of the sample has text of its own");
    check_package(&epub, n);
    // The PDF names itself as the source the EPUB names.
    let bytes = std::fs::read(&pdf).unwrap();
    let opf = entry(&epub, "content.opf").unwrap();
    let source = opf
        .split("<dc:source>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    assert!(
        bytes.windows(source.len()).any(|w| w == source.as_bytes()),
        "the PDF's XMP carries {source}"
    );
}

#[test]
fn a_long_novels_page_list_is_its_pdfs_pages() {
    let tmp = tempfile::tempdir().unwrap();
    let (epub, pdf) = quire_build(&repo().join("tests/corpora/novel"), tmp.path(), &[]);
    let empty = check(&epub, &pdf);
    let n = marks(&epub).len();
    assert!(n > 1000, "{n} pages");
    assert!(empty <= n / 100, "{empty} pages without text");
    // Pages of notes are in the notes document.
    assert!(marks(&epub).iter().any(|m| m.file == "notes.xhtml"));
    check_package(&epub, n);
}

#[test]
fn the_epub_alone_still_knows_the_pages_unless_turned_off() {
    let tmp = tempfile::tempdir().unwrap();
    let (both, _) = quire_build(&repo().join("manuscript"), &tmp.path().join("both"), &[]);
    let (alone, pdf) = quire_build(
        &repo().join("manuscript"),
        &tmp.path().join("alone"),
        &["--epub"],
    );
    assert!(pdf.as_os_str().is_empty(), "no PDF written");
    assert!(alone == both, "the EPUB alone is the EPUB of a full build");
    // `epub: page-list: false`
    let book = tmp.path().join("off");
    std::fs::create_dir(&book).unwrap();
    for e in std::fs::read_dir(repo().join("manuscript")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, book.join(p.file_name().unwrap())).unwrap();
    }
    let yaml = std::fs::read_to_string(book.join("book.yaml")).unwrap();
    std::fs::write(
        book.join("book.yaml"),
        format!("{yaml}\nepub:\n  page-list: false\n"),
    )
    .unwrap();
    let (off, _) = quire_build(&book, &tmp.path().join("offout"), &[]);
    assert!(marks(&off).is_empty());
    let opf = entry(&off, "content.opf").unwrap();
    assert!(!opf.contains("pageBreakMarkers") && !opf.contains("dc:source"));
    assert!(!entry(&off, "nav.xhtml").unwrap().contains("page-list"));
}

fn request(input: &Path, out: PathBuf) -> BuildRequest {
    BuildRequest {
        input: input.to_path_buf(),
        out_dir: out,
        formats: Formats {
            epub: true,
            pdf: true,
        },
        strict: false,
        timestamp: Some(1_700_000_000),
        booklet: false,
    }
}

#[test]
fn an_edit_that_moves_a_page_break_moves_it_in_both_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("book");
    std::fs::create_dir(&book).unwrap();
    for e in std::fs::read_dir(repo().join("manuscript")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, book.join(p.file_name().unwrap())).unwrap();
    }
    let cache = BuildCache::new();
    let read = |report: &quire::build::BuildReport| {
        assert!(!report.failed(), "{:?}", report.diagnostics);
        let epub = std::fs::read(&report.outputs[0].path).unwrap();
        (epub, report.outputs[1].path.clone())
    };
    let first = build_cached(&request(&book, tmp.path().join("out")), &cache).unwrap();
    let (epub1, pdf1) = read(&first);
    check(&epub1, &pdf1);
    let before: Vec<String> = marks(&epub1).iter().map(|m| m.after.clone()).collect();

    // Lengthen the first chapter's first paragraph by several lines.
    let chapter = book.join("01-collectivization.md");
    let text = std::fs::read_to_string(&chapter).unwrap();
    // After the first paragraph (the heading's line, a blank line, the paragraph).
    let para = text.find("\n\n").unwrap() + 2;
    let at = para + text[para..].find("\n\n").unwrap();
    let added = " These words were added to move the page breaks that follow.".repeat(12);
    std::fs::write(&chapter, format!("{}{added}{}", &text[..at], &text[at..])).unwrap();

    let second = build_cached(&request(&book, tmp.path().join("out")), &cache).unwrap();
    assert!(second.cache.paragraphs.hits > 0, "an incremental rebuild");
    let (epub2, pdf2) = read(&second);
    check(&epub2, &pdf2);
    let after: Vec<String> = marks(&epub2).iter().map(|m| m.after.clone()).collect();
    assert_ne!(before, after, "the page breaks moved");
    // The incremental EPUB is a clean build's, byte for byte.
    let clean = build(&request(&book, tmp.path().join("clean"))).unwrap();
    let (epub3, _) = read(&clean);
    assert!(
        epub2 == epub3,
        "incremental EPUB differs from a clean build"
    );
}
