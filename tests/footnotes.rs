//! Notes at the foot of the page (`pdf: notes: footnotes`, issue 15), through the real
//! parser and typesetter: each note starts on the page that holds its reference (read
//! from the document's links, and from its text), a long note goes on at the foot of the
//! next pages, notes in headings, quotes, lists and tables find their page, and the
//! sample essay sets all eight notes on the pages that cite them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use quire::typeset::document::{Document, LinkTarget};
use std::path::Path;

/// The book at `path`, typeset: the document and its warnings (message, line, column).
fn typeset(path: &Path) -> (Document, Vec<(String, usize, usize)>) {
    let checked = quire::build::check(path, false).expect("the manuscript loads");
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    let book = checked.book.expect("the manuscript has text");
    let fonts = quire::fonts::FontSet::embedded();
    let (doc, diagnostics) = quire::typeset::typeset(&book, &fonts);
    let warnings = diagnostics
        .iter()
        .map(|d| {
            let (line, col) = d
                .span
                .and_then(|s| checked.sources.line_col(s))
                .map_or((0, 0), |(_, line, col)| (line, col));
            (d.message.clone(), line, col)
        })
        .collect();
    (doc, warnings)
}

/// A one-file book with `text` after a front matter setting footnotes on a small page.
fn book(dir: &Path, text: &str) -> (Document, Vec<(String, usize, usize)>) {
    let path = dir.join("book.md");
    let front = "---\ntitle: T\nlang: en\npdf:\n  paper: 4x6in\n  font-size: 10pt\n  notes: footnotes\n---\n\n";
    std::fs::write(&path, format!("{front}{text}")).unwrap();
    typeset(&path)
}

/// The text of page `p`, its runs joined by spaces.
fn page_text(doc: &Document, p: usize) -> String {
    doc.pages[p]
        .runs
        .iter()
        .map(|r| r.glyphs.iter().map(|g| g.text.as_str()).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The page holding `token`, the first if several.
fn page_of(doc: &Document, token: &str) -> usize {
    (0..doc.pages.len())
        .find(|&p| page_text(doc, p).contains(token))
        .unwrap_or_else(|| panic!("{token} is on no page"))
}

/// Every internal link (a reference to its note, a note's number back to its
/// reference) stays on its page: each note is set on the page of its reference. Returns
/// how many there are.
fn links_stay_on_their_page(doc: &Document) -> usize {
    let mut n = 0;
    for (p, page) in doc.pages.iter().enumerate() {
        for link in &page.links {
            if let LinkTarget::Internal(dest) = &link.target {
                assert_eq!(
                    dest.page,
                    p,
                    "a link on page {} goes to page {}",
                    p + 1,
                    dest.page + 1
                );
                n += 1;
            }
        }
    }
    n
}

#[test]
fn the_fixture_sets_each_note_on_its_references_page() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/typeset/footnotes.md");
    let (doc, warnings) = typeset(&path);
    // 18 notes: a link to each note and one back from each.
    assert_eq!(links_stay_on_their_page(&doc), 36);
    // Each note's text starts on the page of the words just before its reference.
    let cases = [
        ("n01", "Heading With"),
        ("n02", "above the quotation"),
        ("n03", "quotation’s line"),
        ("n04", "list item with"),
        ("n05", "table cell"),
        ("n06", "One,"),
        ("n15", "and ten"),
        ("n16", "longer than a page"),
        ("n17", "note has ended"),
        ("n18", "final note"),
    ];
    for (note, words) in cases {
        assert_eq!(page_of(&doc, note), page_of(&doc, words), "{note}");
    }
    // All ten short notes share their paragraph's page.
    let ten = page_of(&doc, "n06");
    for k in 6..=15 {
        assert_eq!(page_of(&doc, &format!("n{k:02} ")), ten);
    }
    // The long note goes on at the foot of the next page, first there, and its end is
    // followed by note 17 on the same page.
    let long = page_of(&doc, "n16");
    let end = page_of(&doc, "n16end");
    assert!(end > long, "{long} {end}");
    let foot = page_text(&doc, long + 1);
    assert_eq!(end, long + 1);
    assert!(
        foot.find("n16end").unwrap() < foot.find("n17").unwrap(),
        "{foot}"
    );
    // No Notes section in footnote mode.
    assert!(doc.outline.iter().all(|o| o.title != "Notes"));
    // The long note is reported at its definition.
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let (message, line, col) = &warnings[0];
    assert!(
        message.contains("note 16 is taller than a page"),
        "{message}"
    );
    assert_eq!((*line, *col), (59, 1));
}

/// The reference walks down the page, line by line, across the page's foot and onto
/// the next: wherever its line falls, its note is set on that line's page, even when
/// the line would be the page's last.
#[test]
fn a_reference_on_any_line_keeps_its_note_on_its_page() {
    let dir = tempfile::tempdir().unwrap();
    let sentence = "Words fill the page before the reference so that it falls lower. ";
    let mut last_line_cases = 0;
    for n in 0..40 {
        let text = format!(
            "{}Here is the reference,[^a] in the middle of its paragraph, which goes on \
             for a while after it so that the line is not its paragraph's last.\n\n\
             [^a]: aaa The note, of three lines at least: it says enough to need them, and \
             more, so that it cannot be split and must go whole to the page of its reference, \
             whichever that is, and never alone to the next one.\n",
            sentence.repeat(n + 10)
        );
        let (doc, warnings) = book(dir.path(), &text);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(links_stay_on_their_page(&doc), 2, "{n} sentences");
        let page = page_of(&doc, "aaa");
        assert_eq!(page, page_of(&doc, "reference,"), "{n} sentences");
        // Count the cases where the reference's line is its page's last line of text:
        // no run between the reference and the rule over the notes.
        let page = &doc.pages[page];
        let mark = page
            .links
            .iter()
            .find(|l| matches!(&l.target, LinkTarget::Internal(d) if d.y > l.rect.y))
            .unwrap();
        let rule = page.rules.iter().map(|r| r.y).fold(f32::MAX, f32::min);
        // Runs on the reference's line have baselines within its line band.
        let below = mark.rect.y + 13.0;
        if !page.runs.iter().any(|r| r.y > below && r.y < rule) {
            last_line_cases += 1;
        }
    }
    assert!(
        last_line_cases > 0,
        "no case put the reference on a page's last line"
    );
}

#[test]
fn notes_numbered_by_chapter_restart_at_the_foot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.md");
    std::fs::write(
        &path,
        "---\ntitle: T\nlang: en\nnotes: chapter\npdf:\n  notes: footnotes\n---\n\n\
         # One\n\nA first chapter's note.[^a] And a second.[^b]\n\n\
         # Two\n\nThe second chapter's note.[^c]\n\n\
         [^a]: xa First.\n\n[^b]: xb Second.\n\n[^c]: xc Third.\n",
    )
    .unwrap();
    let (doc, _) = typeset(&path);
    assert_eq!(links_stay_on_their_page(&doc), 6);
    let p = page_of(&doc, "xc");
    let text = page_text(&doc, p);
    assert!(text.contains("1. xc"), "{text}");
    assert!(page_text(&doc, page_of(&doc, "xb")).contains("2. xb"));
}

/// The acceptance check: the sample with `pdf: notes: footnotes` sets all eight
/// notes on the pages that cite them.
#[test]
fn the_sample_sets_its_eight_notes_on_their_pages() {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("manuscript");
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let yaml = dir.path().join("book.yaml");
    let mut meta = std::fs::read_to_string(&yaml).unwrap();
    meta.push_str("pdf:\n  notes: footnotes\n");
    std::fs::write(&yaml, meta).unwrap();
    let (doc, warnings) = typeset(dir.path());
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(links_stay_on_their_page(&doc), 16);
    // The notes' numbers (runs of their own, "1." to "8."), page by page, come in
    // order, each once.
    let numbers: Vec<String> = doc
        .pages
        .iter()
        .flat_map(|page| &page.runs)
        .map(|r| r.glyphs.iter().map(|g| g.text.as_str()).collect::<String>())
        .filter(|t| t.len() == 2 && t.ends_with('.') && t.starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert_eq!(numbers, ["1.", "2.", "3.", "4.", "5.", "6.", "7.", "8."]);
}

/// The EPUB keeps its popup notes: footnote mode changes nothing in it, byte for byte
/// (but the print edition's page list, issue 17, which follows the PDF's pages: it is
/// turned off here, and the pages of both are checked to be listed).
#[test]
fn the_epub_is_the_same_with_footnotes() {
    use quire::build::{build, BuildRequest, Formats};
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/typeset/footnotes.md"),
    )
    .unwrap();
    let epub = |name: &str, text: &str| {
        let input = dir.path().join(format!("{name}.md"));
        std::fs::write(&input, text).unwrap();
        let report = build(&BuildRequest {
            input,
            out_dir: dir.path().join(name),
            formats: Formats {
                epub: true,
                pdf: false,
            },
            strict: false,
            timestamp: Some(1_700_000_000),
            booklet: false,
        })
        .unwrap();
        assert!(!report.failed(), "{:?}", report.diagnostics);
        std::fs::read(&report.outputs[0].path).unwrap()
    };
    let unlisted = fixture.replacen("lang: en\n", "lang: en\nepub:\n  page-list: false\n", 1);
    let footnotes = epub("foot", &unlisted);
    let endnotes = epub("end", &unlisted.replace("  notes: footnotes\n", ""));
    assert!(footnotes == endnotes, "the EPUB differs");
    // With the page list, each lists its own PDF's pages.
    let listed = |epub: &[u8]| {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(epub)).unwrap();
        let mut nav = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("OEBPS/nav.xhtml").unwrap(), &mut nav)
            .unwrap();
        nav.split("epub:type=\"page-list\"")
            .nth(1)
            .map_or(0, |l| l.matches("<li>").count())
    };
    let foot = listed(&epub("foot-pages", &fixture));
    let end = listed(&epub(
        "end-pages",
        &fixture.replace("  notes: footnotes\n", ""),
    ));
    assert!(foot > 1 && end > 1, "{foot} and {end} pages");
}
