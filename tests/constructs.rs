//! One small manuscript per construct, built by the real binary: each builds without a
//! warning, passes the structural EPUB check, and its chapter XHTML is snapshotted
//! (tests/snapshots/constructs__*.snap, reviewed like code).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/epub_check.rs"]
mod epub_check;

use std::io::Read as _;
use std::path::Path;
use std::process::Command;

/// Builds `tests/fixtures/constructs/<name>.md` (without a warning) and returns the EPUB.
fn epub(name: &str) -> Vec<u8> {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/constructs")
        .join(format!("{name}.md"));
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args([
            "build",
            fixture.to_str().unwrap(),
            "-o",
            out.path().to_str().unwrap(),
            "--epub",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{name}: {stderr}");
    assert!(
        stderr.is_empty(),
        "{name} builds without warnings: {stderr}"
    );
    let epub = std::fs::read_dir(out.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::read(&epub).unwrap()
}

/// The file `name` of the EPUB `bytes`.
fn file(bytes: &[u8], name: &str) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut data = Vec::new();
    zip.by_name(name)
        .unwrap_or_else(|_| panic!("{name} is not in the EPUB"))
        .read_to_end(&mut data)
        .unwrap();
    data
}

/// Builds `tests/fixtures/constructs/<name>.md` and returns the content documents (not
/// nav, title page or cover), concatenated in manifest-name order, with the summary.
fn build(name: &str) -> (String, epub_check::Summary) {
    let bytes = epub(name);
    let summary = epub_check::check_epub(&bytes).unwrap_or_else(|e| panic!("{name}: {e:#?}"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut names: Vec<String> = zip.file_names().map(str::to_string).collect();
    names.sort();
    let mut docs = String::new();
    for n in names {
        let skip = ["nav.xhtml", "titlepage.xhtml", "cover.xhtml"]
            .iter()
            .any(|s| n.ends_with(s));
        if n.ends_with(".xhtml") && !skip {
            let mut text = String::new();
            zip.by_name(&n).unwrap().read_to_string(&mut text).unwrap();
            // The head is the same for every document; the body is what the construct makes.
            let body = text.split_once("<body>").map_or(text.as_str(), |(_, b)| b);
            docs.push_str(&format!("=== {n}\n{}\n", body.trim_end()));
        }
    }
    (docs, summary)
}

macro_rules! construct {
    ($test:ident, $name:literal) => {
        #[test]
        fn $test() {
            let (docs, _) = build($name);
            insta::assert_snapshot!($name, docs);
        }
    };
}

construct!(emphasis, "emphasis");
construct!(lists_quotes_code, "lists-quotes-code");
construct!(table, "table");
construct!(links, "links");
construct!(raw_html, "raw-html");
construct!(notes_per_chapter, "notes-per-chapter");

#[test]
fn notes_link_both_ways_from_headings_and_repeated_references() {
    let (docs, summary) = build("notes");
    // Four notes, five references (one note is referenced twice), each with a backlink.
    assert_eq!(summary.noterefs, 5);
    assert_eq!(summary.notes_with_backlinks, 4);
    insta::assert_snapshot!("notes", docs);
}

#[test]
fn an_image_and_the_cover_are_packaged() {
    let (docs, summary) = build("image");
    assert!(docs.contains("alt=\"A plain grey cover\""), "{docs}");
    assert!(docs.contains("src=\"images/1-cover.png\""), "{docs}");
    // The image is packaged once, byte for byte, and is the cover image too.
    let bytes = epub("image");
    let pixel = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/constructs/cover.png"),
    )
    .unwrap();
    assert_eq!(file(&bytes, "OEBPS/images/1-cover.png"), pixel);
    let opf = String::from_utf8(file(&bytes, "OEBPS/content.opf")).unwrap();
    assert!(
        opf.contains(
            "href=\"images/1-cover.png\" media-type=\"image/png\" properties=\"cover-image\""
        ),
        "{opf}"
    );
    assert_eq!(opf.matches("images/").count(), 1, "{opf}");
    // The cover page shows it, first in the spine.
    let cover = String::from_utf8(file(&bytes, "OEBPS/cover.xhtml")).unwrap();
    assert!(cover.contains("src=\"images/1-cover.png\""), "{cover}");
    assert!(
        opf.contains("<spine toc=\"ncx\">\n<itemref idref=\"cover\"/>"),
        "{opf}"
    );
    // cover, title page, chapter (one chapter: no contents page, the nav stays out of
    // the spine).
    assert_eq!(summary.spine_items, 3, "{summary:?}");
    insta::assert_snapshot!("image", docs);
}

#[test]
fn a_manuscript_without_headings_is_one_chapter_with_a_nav_entry() {
    let (docs, summary) = build("no-heading");
    assert_eq!(docs.matches("=== ").count(), 1, "{docs}");
    assert!(docs.starts_with("=== OEBPS/opening.xhtml\n"), "{docs}");
    // The generated cover (issue 14), the title page, the chapter.
    assert_eq!(summary.spine_items, 3, "{summary:?}");
    // The table of contents has one entry: the chapter, under the book's title.
    let nav = String::from_utf8(file(&epub("no-heading"), "OEBPS/nav.xhtml")).unwrap();
    let toc = nav.split("</nav>").next().unwrap();
    let entries: Vec<&str> = toc.lines().filter(|l| l.starts_with("<li>")).collect();
    assert_eq!(
        entries,
        ["<li><a href=\"opening.xhtml\">No Heading At All</a></li>"],
        "{nav}"
    );
}
