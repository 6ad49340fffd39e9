//! The citing book (`tests/fixtures/citations`) against what `pandoc --citeproc` (3.9)
//! prints for it, in pandoc's default style (Chicago author-date) and in Chicago
//! notes-bibliography given as a CSL file: the differences issue 16 fixed stay fixed
//! (each line quoted below is pandoc's).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use quire::model::{Block, Book, Inline};
use std::path::Path;

/// The book at `dir`, checked (citations resolved).
fn load(dir: &Path) -> Book {
    let checked = quire::build::check(&dir.join("book.md"), false).expect("the manuscript loads");
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    checked.book.expect("the book has text")
}

/// The plain text of every paragraph of `blocks`, one a line.
fn push_blocks(blocks: &[Block], out: &mut String) {
    for block in blocks {
        if let Block::Paragraph { content, .. } = block {
            out.push_str(&quire::model::plain_text(content));
            out.push('\n');
        }
    }
}

/// The text of the chapters, then of the notes (each line starting with its number).
fn text(book: &Book) -> (String, String) {
    let mut body = String::new();
    for chapter in &book.chapters {
        push_blocks(&chapter.blocks, &mut body);
    }
    let mut notes = String::new();
    for note in &book.notes {
        notes.push_str(&format!("{} ", note.number));
        push_blocks(&note.blocks, &mut notes);
    }
    (body, notes)
}

fn fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/citations")
}

#[test]
fn author_date_reads_as_pandocs_citeproc() {
    let (body, _) = text(&load(&fixture()));
    for line in [
        // A page locator in Chicago's page-range-format.
        "(see Grossman 1997, 145–47; also Conquest 1990, chap. 2)",
        // Title case as CSL's: its stop words only; acronyms kept.
        "“Workers Against Bosses: The Impact of the Great Purges on Labor-Management Relations.”",
        "“Victims of Political Terror in the USSR.” https://",
        // One period after a quoted title; an organization as a web page's publisher.
        "“The Revolution Betrayed.” Marxists Internet Archive. https://",
        // A paper in proceedings: the proceedings as its container, not a special issue.
        "Khanin.” Proceedings of the Annual Conference of the Economic History Society (Exeter), 134–55.",
        // A chapter in an edited volume: the book's title once.
        "In Stalinist Terror: New Perspectives, edited by J. Arch Getty and Roberta T. Manning. Cambridge University Press.",
    ] {
        assert!(body.contains(line), "missing {line:?} in\n{body}");
    }
    // hayagriva's genre for a techreport is not pandoc's.
    assert!(!body.contains("Technical Report"), "{body}");
    assert!(!body.contains('@'), "citation syntax left:\n{body}");
}

#[test]
fn notes_bibliography_as_a_csl_file_reads_as_pandocs_citeproc() {
    // Chicago notes-bibliography as a CSL file: the style quire ships, written out as
    // XML (the CSL project's file is CC BY-SA and stays out of the repository).
    let dir = tempfile::tempdir().unwrap();
    for name in ["book.md", "sources.bib"] {
        std::fs::copy(fixture().join(name), dir.path().join(name)).unwrap();
    }
    let style = hayagriva::archive::ArchivedStyle::ChicagoNotes.get();
    std::fs::write(dir.path().join("notes.csl"), style.to_xml().unwrap()).unwrap();
    let md = std::fs::read_to_string(dir.path().join("book.md")).unwrap();
    let md = md.replacen(
        "bibliography: sources.bib",
        "bibliography: sources.bib\ncsl: notes.csl",
        1,
    );
    std::fs::write(dir.path().join("book.md"), md).unwrap();
    let book = load(dir.path());
    let (body, notes) = text(&book);
    // Every citation of the text is a note (no parenthesis left in the prose before the
    // bibliography); the one in a note stays there.
    let prose = body
        .split("Central Intelligence Agency.")
        .next()
        .unwrap_or("");
    assert!(!prose.contains('('), "{prose}");
    assert_eq!(book.notes.len(), 14, "{notes}");
    for line in [
        // The mark after the punctuation, even after a line break of the source.
        "describes the famine.",
        // The author in the text as the note names them.
        "Sheila Fitzpatrick",
    ] {
        assert!(body.contains(line), "missing {line:?} in\n{body}");
    }
    for line in [
        "trans. Thomas P. Whitney (Northwestern University Press, 1997), 145–47;",
        // The short title: the title before its colon.
        "14 Deutscher, Stalin, 310.",
    ] {
        assert!(notes.contains(line), "missing {line:?} in\n{notes}");
    }
    // Every note made from a citation is referenced from the text.
    let refs: usize = book
        .chapters
        .iter()
        .flat_map(|c| &c.blocks)
        .map(|b| match b {
            Block::Paragraph { content, .. } => content
                .iter()
                .filter(|i| matches!(i, Inline::NoteRef { .. }))
                .count(),
            _ => 0,
        })
        .sum();
    // 13 citations in the text; the 14th note is the author's, referenced once too.
    assert_eq!(refs, 14);
}
