//! Snapshots of the typesetter's output: the sample manuscript and the fixture books in
//! tests/fixtures/typeset/, parsed by the real parser, typeset, and written out by
//! `typeset::dump` (pages, runs with their positions rounded to 0.1 pt, rules, links,
//! bookmarks), followed by the typesetter's warnings. A change in line breaks, page
//! breaks or positions shows up as a diff of tests/snapshots/typeset_dump__*.snap, to be
//! reviewed like code (`cargo insta review`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::Path;

/// The dump of the book at `path` (a folder or one Markdown file), then its warnings.
fn typeset(path: &Path) -> String {
    let checked = quire::build::check(path, false).expect("the manuscript loads");
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    let book = checked.book.expect("the manuscript has text");
    let fonts = quire::fonts::FontSet::embedded();
    let (doc, diagnostics) = quire::typeset::typeset(&book, &fonts);
    let mut out = quire::typeset::dump(&doc);
    for d in &diagnostics {
        let _ = writeln!(out, "warning: {}", d.message);
    }
    out
}

fn fixture(name: &str) -> String {
    typeset(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/typeset")
            .join(format!("{name}.md")),
    )
}

#[test]
fn sample() {
    let dump = typeset(&Path::new(env!("CARGO_MANIFEST_DIR")).join("manuscript"));
    insta::assert_snapshot!("sample", dump);
}

/// Every construct the typesetter sets, on a small page with chapters on new pages.
#[test]
fn short_book() {
    insta::assert_snapshot!("short-book", fixture("short-book"));
}

/// A narrow column of small type: URLs and long words that only the last passes set,
/// notes grouped by chapter, running heads changing with the chapter.
#[test]
fn narrow() {
    insta::assert_snapshot!("narrow", fixture("narrow"));
}

/// The default design (A4 for English without a region), and a paragraph whose short
/// last line would cost a loose first line: it is set flush on one line instead.
#[test]
fn default_design() {
    insta::assert_snapshot!("default-design", fixture("default-design"));
}

/// Notes at the foot of the page (`pdf: notes: footnotes`): notes in a chapter title, a
/// quote, a list and a table cell, a page of ten short notes, a note longer than a page
/// continued at the foot of the next (and its warning), under a short rule, numbers
/// hanging.
#[test]
fn footnotes() {
    insta::assert_snapshot!("footnotes", fixture("footnotes"));
}
