//! What text extraction reads in the PDF: the words the author wrote, no more, no fewer.
//! Each manuscript is built by the real binary; its PDF is read back with lopdf
//! (`common/pdf_text.rs`, which reads ActualText and artifacts as pdftotext does) and,
//! where poppler is installed, with `pdftotext` itself, whose word-finding the fixes
//! answer to (without poppler those checks are skipped, with a note).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/pdf_text.rs"]
mod pdf_text;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds the one-file manuscript `text` (a `title` is added) into `dir`; the PDF's path
/// and bytes.
fn build(dir: &Path, meta: &str, text: &str) -> (PathBuf, Vec<u8>) {
    let source = dir.join("book.md");
    std::fs::write(
        &source,
        format!("---\ntitle: Extraction\n{meta}---\n\n{text}"),
    )
    .unwrap();
    let out = dir.join("out");
    let run = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["build", "--pdf"])
        .arg(&source)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("quire runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let pdf = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pdf"))
        .expect("a PDF");
    let bytes = std::fs::read(&pdf).unwrap();
    (pdf, bytes)
}

/// `pdf` has exactly `count` artifact runs, each with an empty ActualText (decoration
/// that text extraction must not read).
fn assert_artifacts_without_text(pdf: &[u8], count: usize) {
    let runs = pdf_text::runs(pdf);
    let artifacts: Vec<&pdf_text::Run> = runs.iter().filter(|r| r.artifact).collect();
    assert_eq!(artifacts.len(), count, "{runs:#?}");
    assert!(
        artifacts.iter().all(|r| r.text.is_empty()),
        "{artifacts:#?}"
    );
}

/// `pdftotext`'s reading of `pdf` (reading order, not layout), or `None` when poppler is
/// not installed (then says what is skipped).
fn pdftotext(pdf: &Path, test: &str) -> Option<String> {
    match Command::new("pdftotext").arg(pdf).arg("-").output() {
        Ok(out) if out.status.success() => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        _ => {
            eprintln!("SKIPPED {test} (pdftotext part): poppler-utils is not installed");
            None
        }
    }
}

/// A line whose words are all one letter long ("b b 2", a list item "• b" in a table
/// cell) was read by pdftotext as letter-spaced text and run together ("bb2", "•b"):
/// one word of two characters on the line keeps poppler reading spaces by their width,
/// and quire makes one with ActualText over a one-letter word and its space.
#[test]
fn lines_of_one_letter_words_keep_their_spaces() {
    let dir = tempfile::tempdir().unwrap();
    let (path, pdf) = build(
        dir.path(),
        "",
        "+------------------+-----------+------------+\n\
         | col 1            | col 2     | col 3      |\n\
         +==================+===========+============+\n\
         | r1 a             | - b       | c          |\n\
         |                  | - b 2     | c 2        |\n\
         +------------------+-----------+------------+\n\n\
         x y z\n\n\
         An ordinary line, with a word or two of one letter: a b.\n",
    );
    let runs = pdf_text::runs(&pdf);
    // The ActualText spans are the glyphs' own text: reading them changes nothing.
    let text = pdf_text::text(&pdf);
    for words in ["• b", "• b 2", "c c 2", "x y z", "a b."] {
        assert!(text.contains(words), "{words:?} in\n{text}");
    }
    let spans: Vec<&str> = runs.iter().filter_map(|r| r.actual.as_deref()).collect();
    assert!(spans.contains(&"• "), "{spans:?}");
    assert!(spans.contains(&"c "), "{spans:?}");
    assert!(spans.contains(&"x "), "{spans:?}");
    // One per line that needs it, none where a longer word already keeps the spaces.
    assert_eq!(spans.len(), 4, "{spans:?}");
    if let Some(read) = pdftotext(&path, "lines_of_one_letter_words_keep_their_spaces") {
        let lines: Vec<&str> = read.lines().map(str::trim).collect();
        for line in ["• b", "• b 2", "c c 2", "x y z"] {
            assert!(lines.contains(&line), "{line:?} in\n{read}");
        }
        assert!(read.contains("one letter: a b."), "{read}");
        assert!(!read.contains("bb2") && !read.contains("•b"), "{read}");
    }
}

/// A grid table's column narrower than its longest word: the word ran over the cell's
/// padding into the next cell's text ("German" touched "English", and pdftotext read
/// "GermanEnglish"). Columns are widened to their longest word, as a browser does.
#[test]
fn a_column_is_never_narrower_than_its_longest_word() {
    let dir = tempfile::tempdir().unwrap();
    let (path, pdf) = build(
        dir.path(),
        "",
        "+-------+-------+\n\
         |German |English|\n\
         +-------+-------+\n\
         |Auflage|edition|\n\
         +-------+-------+\n",
    );
    let runs = pdf_text::runs(&pdf);
    let find = |word: &str| {
        runs.iter()
            .find(|r| r.text.trim() == word)
            .unwrap_or_else(|| panic!("no run {word:?} in {runs:#?}"))
    };
    for (left, right) in [("German", "English"), ("Auflage", "edition")] {
        let (l, r) = (find(left), find(right));
        // At least the two cells' paddings between them: half an em each.
        assert!(
            r.x - l.end_x >= l.size * 0.9,
            "{left} ends at {} and {right} starts at {}",
            l.end_x,
            r.x
        );
    }
    if let Some(read) = pdftotext(&path, "a_column_is_never_narrower_than_its_longest_word") {
        assert!(!read.contains("GermanEnglish"), "{read}");
    }
}

/// Raw HTML blocks are set as one paragraph; their block elements' text ran together
/// ("<td>This is</td><td>And that</td>" read "This isAnd that"). Cells are now parted by
/// a space, paragraphs, rows and the other blocks by a line break.
#[test]
fn raw_html_blocks_keep_their_cells_and_paragraphs_apart() {
    let dir = tempfile::tempdir().unwrap();
    let (path, pdf) = build(
        dir.path(),
        "",
        "<table>\n<tr>\n<td>This is *emphasized*</td>\n<td>And this is **strong**</td>\n</tr>\n\
         <tr><td>second</td><td>row</td></tr>\n</table>\n\n\
         <div><p>One paragraph.</p><p>Another.</p>After them.</div>\n",
    );
    let text = pdf_text::text(&pdf);
    for part in [
        "This is *emphasized* And this is **strong**\nsecond row",
        "One paragraph.\nAnother.\nAfter them.",
    ] {
        assert!(text.contains(part), "{part:?} in\n{text}");
    }
    if let Some(read) = pdftotext(
        &path,
        "raw_html_blocks_keep_their_cells_and_paragraphs_apart",
    ) {
        assert!(read.contains("*emphasized* And"), "{read}");
        assert!(
            read.contains("One paragraph.\nAnother.\nAfter them."),
            "{read}"
        );
    }
}

/// The contents page's dot leaders were read as text, runs of "." words between each
/// entry and its page number: they are decoration, an artifact with an empty ActualText
/// (pdftotext reads artifacts, but honours ActualText).
#[test]
fn contents_leaders_are_not_text() {
    let dir = tempfile::tempdir().unwrap();
    let (path, pdf) = build(
        dir.path(),
        "toc: true\n",
        "# The first chapter\n\nIts text.\n\n# The second chapter\n\nMore text.\n",
    );
    assert_artifacts_without_text(&pdf, 2);
    let text = pdf_text::text(&pdf);
    assert!(text.contains("The first chapter 1"), "{text}");
    assert!(!text.contains(".."), "{text}");
    // Artifacts are outside the structure: the page's MCIDs are still 0, 1, 2 … with
    // no gap, one per run that is text.
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    for (_, page) in doc.get_pages() {
        let ops = doc.get_and_decode_page_content(page).unwrap().operations;
        let mcids: Vec<i64> = ops
            .iter()
            .filter(|o| o.operator == "BDC")
            .filter_map(|o| {
                o.operands
                    .get(1)?
                    .as_dict()
                    .ok()?
                    .get(b"MCID")
                    .ok()?
                    .as_i64()
                    .ok()
            })
            .collect();
        assert_eq!(mcids, (0..mcids.len() as i64).collect::<Vec<_>>());
    }
    if let Some(read) = pdftotext(&path, "contents_leaders_are_not_text") {
        assert!(read.contains("The first chapter"), "{read}");
        assert!(!read.contains(". ."), "{read}");
    }
}

/// A thematic break is drawn as an ornament ("*  *  *"), decoration as the EPUB's
/// `<hr/>` is: an artifact without text, not three "*" words (pandoc's test suite read
/// 38 of them).
#[test]
fn thematic_breaks_are_not_text() {
    let dir = tempfile::tempdir().unwrap();
    let (path, pdf) = build(
        dir.path(),
        "",
        "Before the break.\n\n* * *\n\nAfter the break.\n",
    );
    assert_artifacts_without_text(&pdf, 1);
    let text = pdf_text::text(&pdf);
    assert!(text.contains("Before the break."), "{text}");
    assert!(text.contains("After the break."), "{text}");
    assert!(!text.contains('*'), "{text}");
    if let Some(read) = pdftotext(&path, "thematic_breaks_are_not_text") {
        assert!(!read.contains('*'), "{read}");
    }
}
