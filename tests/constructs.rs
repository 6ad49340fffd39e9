//! One small manuscript per construct, built by the real binary: each builds without a
//! warning, passes the structural EPUB check, and its chapter XHTML is snapshotted
//! (tests/snapshots/constructs__*.snap, reviewed like code).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/epub_check.rs"]
mod epub_check;

use std::io::Read as _;
use std::path::Path;
use std::process::Command;

/// Builds `tests/fixtures/constructs/<name>.md` and returns the content documents (not
/// nav, title page or cover), concatenated in manifest-name order, with the summary.
fn build(name: &str) -> (String, epub_check::Summary) {
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
    let bytes = std::fs::read(&epub).unwrap();
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
    assert!(docs.contains("alt=\"A single red pixel\""), "{docs}");
    // mimetype, container, OPF, NCX, nav, CSS, title page, cover page, chapter, image.
    assert!(summary.manifest_items >= 7, "{summary:?}");
    insta::assert_snapshot!("image", docs);
}

#[test]
fn a_manuscript_without_headings_is_one_chapter_with_a_nav_entry() {
    let (docs, summary) = build("no-heading");
    assert_eq!(docs.matches("=== ").count(), 1, "{docs}");
    assert!(summary.spine_items >= 2);
}
