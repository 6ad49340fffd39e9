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

// --- Edges (issue 17, "Bad input and edges") ---

/// A manuscript of `files` (name, text) with `yaml`, built by the library; returns the
/// EPUB's bytes and the PDF's path.
fn edge_book(dir: &Path, yaml: &str, files: &[(&str, String)]) -> (Vec<u8>, PathBuf) {
    let book = dir.join("book");
    std::fs::create_dir_all(&book).unwrap();
    std::fs::write(book.join("book.yaml"), yaml).unwrap();
    for (name, text) in files {
        std::fs::write(book.join(name), text).unwrap();
    }
    let report = build(&request(&book, dir.join("out"))).unwrap();
    assert!(!report.failed(), "{:?}", report.diagnostics);
    let epub = std::fs::read(&report.outputs[0].path).unwrap();
    (epub, report.outputs[1].path.clone())
}

/// `n` sentences of plain text.
fn words(n: usize, seed: &str) -> String {
    (0..n)
        .map(|k| format!("The {seed} sentence number {k} goes on a little further."))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The raw XHTML right after marker `id` in `file`.
fn after_marker(epub: &[u8], file: &str, id: &str) -> String {
    let doc = entry(epub, file).unwrap();
    let at = doc.find(&format!("id=\"{id}\"")).unwrap();
    let end = at + doc[at..].find("/>").unwrap() + 2;
    doc[end..].chars().take(200).collect()
}

fn valid(epub: &[u8]) {
    if let Err(problems) = epub_check::check_epub(epub) {
        panic!("{problems:?}");
    }
}

const YAML: &str = "title: Edges\nauthor: A. Tester\nlang: en\ncover: none\n";

#[test]
fn a_page_of_only_a_picture_has_its_marker_before_the_picture() {
    let tmp = tempfile::tempdir().unwrap();
    let image = std::fs::read(repo().join("tests/fixtures/constructs/cover.png")).unwrap();
    std::fs::create_dir_all(tmp.path().join("book")).unwrap();
    std::fs::write(tmp.path().join("book/plate.png"), image).unwrap();
    let one = format!(
        "# One\n\n{}\n\n![A plate](plate.png)\n\n![Another plate](plate.png)\n",
        words(30, "first")
    );
    let two = format!("# Two\n\n{}\n", words(20, "second"));
    let (epub, pdf) = edge_book(tmp.path(), YAML, &[("01.md", one), ("02.md", two)]);
    valid(&epub);
    check(&epub, &pdf);
    let pages = pages::pdf_pages(&pdf);
    // Some page holds the picture and no text: its marker stands before the picture.
    let marks = marks(&epub);
    let picture = marks
        .iter()
        .find(|m| {
            let after = after_marker(&epub, &m.file, &m.id);
            after.starts_with("<p class=\"image\"") || after.starts_with("<figure")
        })
        .expect("a marker right before a picture");
    if let Some(pages) = pages {
        let n: usize = picture.id.trim_start_matches("page-").parse().unwrap();
        let text = pages::norm(&pages[n - 1]);
        assert!(
            !text.contains("sentence"),
            "page {n} holds only the picture: {text}"
        );
    }
}

#[test]
fn pages_that_begin_in_lists_and_table_rows_have_their_markers_inside_them() {
    let tmp = tempfile::tempdir().unwrap();
    let list: String = (0..80)
        .map(|k| format!("- Item {k} of the long list, with a few words.\n"))
        .collect();
    let mut table = String::from("| Key | Value |\n| --- | --- |\n");
    for k in 0..120 {
        table.push_str(&format!("| Row{k} | The value of row {k} |\n"));
    }
    let text = format!(
        "# Lists\n\n{}\n\n{list}\n# Tables\n\n{}\n\n{table}\n",
        words(10, "a"),
        words(10, "b")
    );
    let (epub, pdf) = edge_book(tmp.path(), YAML, &[("01.md", text)]);
    valid(&epub);
    check(&epub, &pdf);
    let marks = marks(&epub);
    let docs: Vec<String> = marks
        .iter()
        .map(|m| {
            let doc = entry(&epub, &m.file).unwrap();
            let at = doc.find(&format!("id=\"{}\"", m.id)).unwrap();
            let start = doc[..at].rfind('<').unwrap();
            doc[..start]
                .chars()
                .rev()
                .take(40)
                .collect::<String>()
                .chars()
                .rev()
                .collect()
        })
        .collect();
    // A page begins at an item (in the `li`, never between `ul` and `li`) and at a row
    // (in its first cell, never between `tr` and `td`).
    assert!(docs.iter().any(|d| d.ends_with("<li>")), "{docs:?}");
    assert!(docs.iter().any(|d| d.ends_with("<td>")), "{docs:?}");
    for d in &docs {
        assert!(
            !d.ends_with("<ul>\n") && !d.ends_with("<tr>") && !d.ends_with("<tbody>\n"),
            "a marker where a span may not stand: {d:?}"
        );
    }
}

#[test]
fn footnote_continuations_and_a_paper_size_change_keep_the_list_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let long_note = words(120, "note");
    // The reference in the last lines of the text: the note runs on over pages that
    // hold nothing else.
    let text = format!(
        "# Notes\n\n{}\n\n{} A reference.[^long]\n\n[^long]: {long_note}\n",
        words(40, "b"),
        words(3, "a"),
    );
    let yaml = format!("{YAML}pdf:\n  paper: 4x6in\n  notes: footnotes\n");
    let (epub, pdf) = edge_book(&tmp.path().join("small"), &yaml, &[("01.md", text.clone())]);
    valid(&epub);
    let empty = check(&epub, &pdf);
    let small = marks(&epub).len();
    // The note runs over pages of its own: their markers share the next place (or the
    // end of the text), and every page is listed.
    assert!(empty >= 1, "a page with only a note's continuation");
    // The same book on larger paper: fewer pages, each listed.
    let yaml = format!("{YAML}pdf:\n  paper: a4\n  notes: footnotes\n");
    let (epub, pdf) = edge_book(&tmp.path().join("large"), &yaml, &[("01.md", text)]);
    valid(&epub);
    check(&epub, &pdf);
    assert!(
        marks(&epub).len() < small,
        "{} pages on A4, {small} on 4x6in",
        marks(&epub).len()
    );
}

#[test]
fn no_page_begins_inside_a_hyphenated_word() {
    // Narrow pages of long words: many lines end in a hyphen, and a page never begins
    // after one (a hyphenated line needs the next: `layout` gives it `need` 2), so no
    // marker stands inside a word (`check` asserts it for every page).
    let tmp = tempfile::tempdir().unwrap();
    let text: String = (0..60)
        .map(|k| {
            format!(
                "Internationalization, institutionalization and characteristically \
                 incomprehensible responsibilities {k} notwithstanding, administrations \
                 reconsidered interdisciplinary collaborations.\n\n"
            )
        })
        .collect();
    let yaml = format!("{YAML}pdf:\n  paper: 4x6in\n");
    let (epub, pdf) = edge_book(
        tmp.path(),
        &yaml,
        &[("01.md", format!("# Words\n\n{text}"))],
    );
    valid(&epub);
    check(&epub, &pdf);
    if let Some(pages) = pages::pdf_pages(&pdf) {
        let hyphens = pages
            .iter()
            .flat_map(|p| p.lines())
            .filter(|l| l.trim_end().ends_with(['-', '\u{2010}']))
            .count();
        assert!(
            hyphens > 20,
            "{hyphens} hyphenated lines: the case must arise"
        );
        // And a page's last line never ends in a hyphen.
        for (n, p) in pages.iter().enumerate() {
            let body: Vec<&str> = p.lines().filter(|l| !l.trim().is_empty()).collect();
            // The last line is the folio; the one before it, the page's last line.
            if let Some(last) = body.len().checked_sub(2).map(|i| body[i]) {
                assert!(
                    !last.trim_end().ends_with('-'),
                    "page {} ends in a hyphen",
                    n + 1
                );
            }
        }
    }
    assert!(marks(&epub).len() > 5);
}
