//! pandoc's block constructs (issue 12) through the real binary, one manuscript per
//! construct under `tests/fixtures/pandoc/`: each builds without a warning, its EPUB
//! passes the structural check and its chapter XHTML is snapshotted
//! (tests/snapshots/pandoc_blocks__*.snap), its PDF holds the construct's text in
//! reading order, and neither output holds the construct's syntax (`|`, `:::`, `+---`,
//! `(@`, `~` markers, dashed lines).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/epub_check.rs"]
mod epub_check;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pandoc")
        .join(format!("{name}.md"))
}

/// What one build gives: the content documents' bodies (manifest-name order), their
/// text without tags, and the PDF's text.
struct Built {
    docs: String,
    epub_text: String,
    pdf_text: String,
}

/// Builds `tests/fixtures/pandoc/<name>.md` into both outputs, without a warning.
fn build(name: &str) -> Built {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args([
            "build",
            fixture(name).to_str().unwrap(),
            "-o",
            out.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{name}: {stderr}");
    assert!(
        stderr.is_empty(),
        "{name} builds without warnings: {stderr}"
    );
    let file = |ext: &str| {
        std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == ext))
            .unwrap()
    };
    let epub = std::fs::read(file("epub")).unwrap();
    epub_check::check_epub(&epub).unwrap_or_else(|e| panic!("{name}: {e:#?}"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(epub)).unwrap();
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
            let body = text.split_once("<body>").map_or(text.as_str(), |(_, b)| b);
            docs.push_str(&format!("=== {n}\n{}\n", body.trim_end()));
        }
    }
    let pdf = lopdf::Document::load(file("pdf")).unwrap();
    let pages: Vec<u32> = pdf.get_pages().keys().copied().collect();
    let pdf_text = pdf.extract_text(&pages).unwrap();
    Built {
        epub_text: without_tags(&docs),
        docs,
        pdf_text: pdf_text
            .split_ascii_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// The text of XHTML (tags dropped, a space for block-level ones, entities of `&<>`
/// turned back, ASCII white space collapsed: U+00A0 stays).
fn without_tags(xhtml: &str) -> String {
    const INLINE: &[&str] = &["a", "em", "strong", "span", "sup", "sub", "code", "del"];
    let mut out = String::new();
    let mut rest = xhtml;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let Some(j) = rest[i..].find('>') else {
            break;
        };
        let tag = &rest[i + 1..i + j];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if !INLINE.contains(&name.as_str()) {
            out.push(' ');
        }
        rest = &rest[i + j + 1..];
    }
    out.push_str(rest);
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    out.split_ascii_whitespace()
        .filter(|w| !w.starts_with("==="))
        .collect::<Vec<_>>()
        .join(" ")
}

/// pandoc block syntax left in a text, if any.
fn syntax_left(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for word in text.split_whitespace() {
        let bad = word == "|"
            || word == "~"
            || word == ":"
            || word.contains(":::")
            || word.contains("+--")
            || word.contains("+==")
            || word.contains("(@")
            || word.starts_with("@wine")
            || word.starts_with("----")
            || word.starts_with("{#")
            || word.starts_with("{.");
        if bad {
            found.push(word.to_string());
        }
    }
    found
}

/// `text` holds `parts` in this order.
fn in_order(text: &str, parts: &[&str]) {
    let mut from = 0;
    for p in parts {
        match text[from..].find(p) {
            Some(i) => from += i + p.len(),
            None => panic!("{p:?} missing (or out of order) after byte {from} in:\n{text}"),
        }
    }
}

fn check(name: &str, epub_parts: &[&str], pdf_parts: &[&str]) -> Built {
    let b = build(name);
    assert_eq!(
        syntax_left(&b.epub_text),
        Vec::<String>::new(),
        "{name} EPUB"
    );
    assert_eq!(syntax_left(&b.pdf_text), Vec::<String>::new(), "{name} PDF");
    in_order(&b.epub_text, epub_parts);
    in_order(&b.pdf_text, pdf_parts);
    b
}

#[test]
fn line_blocks_are_verse_in_both_outputs() {
    let b = check(
        "line-block",
        &[
            "The lamp is lit at dusk",
            "\u{a0}\u{a0}\u{a0}\u{a0}to a light",
            "Nobody keeps the hours here; the clock has long forgotten",
            "- not a list,",
            "1. not a list either,",
            "# not a heading.",
        ],
        &[
            "The lamp is lit at dusk, and the moths come in",
            "to a light that does not burn them,",
            "that only hums.",
            "Nobody keeps the hours here",
            "Stanza three, with a link and a note. 1",
            "- not a list,",
            "1. not a list either,",
            "# not a heading.",
            "Text after the poem.",
            "A verse in a list item, • its second line.",
            "Poems A verse in a definition,",
            "indented.",
        ],
    );
    // One line per line, a stanza break an empty line, as pandoc writes a line block.
    assert!(
        b.docs.contains(
            "<div class=\"line-block\">The lamp is lit at dusk, and the moths come in<br/>\n\u{a0}\u{a0}\u{a0}\u{a0}to a light"
        ),
        "{}",
        b.docs
    );
    assert!(b
        .docs
        .contains("that only hums.<br/>\n<br/>\n<em>Nobody</em>"));
    insta::assert_snapshot!("line-block", b.docs);
}

#[test]
fn fenced_divs_carry_their_attributes_and_epigraphs_their_semantics() {
    let b = check(
        "divs",
        &[
            "The lamp is lit at dusk",
            "— Anonymous",
            "Une note en français",
            "A nested div.",
            "See the note above.",
            "Someone Else",
            "Text after the divs.",
        ],
        &[
            "The lamp is lit at dusk",
            "— Anonymous",
            "Une note en français",
            "A nested div.",
            "Someone Else",
            "Text after the divs.",
        ],
    );
    assert!(b
        .docs
        .contains("<div class=\"epigraph\" epub:type=\"epigraph\" role=\"doc-epigraph\">"));
    assert!(b.docs.contains("<p class=\"attribution\">— Anonymous</p>"));
    assert!(b.docs.contains(
        "<div id=\"aside\" class=\"note\" lang=\"fr\" xml:lang=\"fr\" dir=\"ltr\" data-kind=\"box\">"
    ));
    // Div ids are link targets.
    assert!(b.docs.contains("<a href=\"#aside-2\">link back</a>"));
    assert!(b.docs.contains("<a href=\"#aside\">the note above</a>"));
    insta::assert_snapshot!("divs", b.docs);
}

#[test]
fn definition_lists_tight_loose_and_several_definitions() {
    let b = check(
        "definition-list",
        &[
            "Apple A red fruit.",
            "Orange A round fruit. A colour, too.",
            "Banana A long yellow fruit. It grows in bunches.",
            "Plum A purple fruit, with a tilde marker.",
        ],
        &[
            "Apple A red fruit.",
            "Orange A round fruit. A colour, too.",
            "Banana A long yellow fruit. It grows in bunches.",
            "Plum A purple fruit",
        ],
    );
    assert!(b
        .docs
        .contains("<dt>Orange</dt>\n<dd>A round fruit.</dd>\n<dd>A colour, too.</dd>"));
    assert!(b
        .docs
        .contains("<dd>\n<p>A long yellow fruit.</p>\n<p>It grows in bunches.</p>\n</dd>"));
    insta::assert_snapshot!("definition-list", b.docs);
}

#[test]
fn fancy_and_example_lists_keep_their_numbering() {
    let b = check(
        "fancy-lists",
        &[
            "first second",
            "As (1) shows, and 1 again.",
            "B. Russell wrote this",
        ],
        // A marker is drawn after its item's first line (as for every list).
        &[
            "first (a) second (b)",
            "upper first A. upper second B.",
            "four iv. five v.",
            "two II. three III.",
            "default one 1. default two 2.",
            "three 3) four 4)",
            "Wine is a drink. (1) Another example. (2)",
            "As (1) shows, and 1 again.",
            "Beer is too. (3)",
            "B. Russell wrote this, which is not a list.",
        ],
    );
    for ol in [
        "<ol type=\"a\">",
        "<ol type=\"A\">",
        "<ol type=\"i\" start=\"4\">",
        "<ol type=\"I\" start=\"2\">",
        "<ol start=\"3\">",
        "<ol class=\"example\">",
        "<ol class=\"example\" start=\"3\">",
    ] {
        assert!(b.docs.contains(ol), "{ol} in {}", b.docs);
    }
    insta::assert_snapshot!("fancy-lists", b.docs);
}

#[test]
fn grid_simple_and_multiline_tables_with_captions() {
    let b = check(
        "tables",
        &[
            "Fruit in a grid table",
            "Fruit Price Advantages",
            "Bananas $1.34 built-in wrapper bright colour",
            "A simple table.",
            "Right Left Center Default",
            "A multiline table.",
            "Example of a row that spans multiple lines.",
            "A headerless table.",
            "A pipe table’s caption",
        ],
        &[
            "Fruit in a grid table",
            "Fruit Price Advantages",
            "Bananas $1.34 • built-in wrapper • bright colour",
            "Oranges $2.10 cures scurvy tasty",
            "A simple table.",
            "Right Left Center Default",
            "A multiline table.",
            "Example of a row that spans multiple lines.",
            "A headerless table.",
            "A pipe table’s caption",
            "Text after the tables.",
        ],
    );
    // A grid cell holds blocks.
    assert!(b
        .docs
        .contains("<ul>\n<li>built-in wrapper</li>\n<li>bright colour</li>\n</ul>"));
    assert!(b.docs.contains("<p>cures scurvy</p>\n<p>tasty</p>"));
    // Alignments from colons, from header positions; widths from the dashes.
    assert!(b
        .docs
        .contains("<th scope=\"col\" class=\"align-right\">Price</th>"));
    assert!(b
        .docs
        .contains("<th scope=\"col\" class=\"align-right\">Right</th>"));
    assert!(b.docs.contains("<col style=\"width: 22.2%\"/>"));
    insta::assert_snapshot!("tables", b.docs);
}

/// Pieces of pandoc's block syntax that interact badly when combined (and with
/// CommonMark around them).
const FRAGMENTS: &[&str] = &[
    "word ",
    "\n\n",
    "\n",
    "    ",
    "| verse ",
    "|    indented ",
    "|",
    " cont ",
    "::: epigraph",
    "::: {#d .x lang=fr}",
    ":::",
    "::::",
    "— Someone",
    "Term",
    ": def ",
    "~ def ",
    "(a) ",
    "iv. ",
    "#. ",
    "B.  ",
    "(@ex) ",
    "@ex ",
    "+---+---+",
    "+===+===+",
    "+:--+--:+",
    "| a | b |",
    "| a  | b |",
    "|   +---+",
    "---  ---",
    "-----------",
    "  x    y",
    "Table: caption",
    ": caption",
    "> ",
    "- ",
    "1. ",
    "```",
    "<div>",
    "[^n]",
    "\n\n[^n]: A note.\n\n",
    "*em* ",
    "魚",
    "\u{200c}",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

    /// Any mix of these pieces goes through the whole pipeline, as the fuzz target runs
    /// it: no panic; without errors, both outputs are written and the EPUB passes the
    /// structural check.
    #[test]
    fn any_mix_of_pandoc_blocks_builds(parts in proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..60)) {
        let mut text = String::from("---\ntitle: T\n---\n");
        for p in parts {
            text.push_str(p);
        }
        let mut map = quire::source::SourceMap::new("/nonexistent-quire-proptest");
        map.add(quire::source::SourceFile::new("book.md", &text));
        let parsed = quire::parse::parse(&map, &quire::files::Files::none(&map.root));
        let Some(book) = parsed.book else { return Ok(()) };
        let epub = quire::epub::write(&book, &quire::epub::EpubOptions::default());
        if quire::diag::has_errors(&parsed.diagnostics) {
            return Ok(());
        }
        let epub = epub.map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
        if let Err(problems) = epub_check::check_epub(&epub) {
            return Err(proptest::test_runner::TestCaseError::fail(format!("{problems:#?}\n---\n{text}")));
        }
        let fonts = quire::fonts::FontSet::embedded();
        let (document, _) = quire::typeset::typeset(&book, &fonts);
        quire::pdf::write(&document, &fonts, &book.assets)
            .map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{e}\n---\n{text}")))?;
    }
}

/// A poem of many stanzas over several pages: a stanza of five lines is never split
/// across pages; the stanza of thirty keeps its first two lines together and its last
/// two.
#[test]
fn stanzas_are_not_split_across_pages() {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args([
            "build",
            fixture("long-poem").to_str().unwrap(),
            "-o",
            out.path().to_str().unwrap(),
            "--pdf",
        ])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let pdf = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pdf"))
        .unwrap();
    let pdf = lopdf::Document::load(pdf).unwrap();
    // Each verse line is marked `S<stanza>L<line>`: the page it is on.
    let mut page_of = std::collections::BTreeMap::new();
    for (&n, _) in pdf.get_pages().iter() {
        let text = pdf.extract_text(&[n]).unwrap();
        assert_eq!(syntax_left(&text), Vec::<String>::new());
        for word in text.split_whitespace() {
            if let Some((s, l)) = word.strip_prefix('S').and_then(|w| w.split_once('L')) {
                let key: (u32, u32) = (s.parse().unwrap(), l.parse().unwrap());
                page_of.insert(key, n);
            }
        }
    }
    assert_eq!(page_of.len(), 21 * 5 + 30, "every verse line is set once");
    let pages: std::collections::BTreeSet<u32> = page_of.values().copied().collect();
    assert!(pages.len() >= 3, "the poem runs over several pages");
    for s in (1..=22).filter(|&s| s != 7) {
        let first = page_of[&(s, 1)];
        assert!(
            (2..=5).all(|l| page_of[&(s, l)] == first),
            "stanza {s} is split: {:?}",
            (1..=5).map(|l| page_of[&(s, l)]).collect::<Vec<_>>()
        );
    }
    assert_eq!(page_of[&(7, 1)], page_of[&(7, 2)]);
    assert_eq!(page_of[&(7, 29)], page_of[&(7, 30)]);
}
