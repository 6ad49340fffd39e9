//! Property tests of the invariants the backends rely on:
//! - every note reference resolves: note ids in range, notes numbered 1..n in order of
//!   first reference (book numbering), each note referenced `ref_count` times;
//! - the EPUB's XHTML is always well-formed (and structurally valid) for Markdown-ish
//!   input mixing emphasis, notes, raw HTML, entities, links and forbidden characters;
//! - the line breaker never loses or reorders a word.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/epub_check.rs"]
mod epub_check;

use proptest::prelude::*;
use quire::model::{Block, Book, Inline, NoteNumbering};
use quire::source::{SourceFile, SourceMap};
use quire::typeset::linebreak::{
    break_paragraph, line_start, Breaker, Item, Passes, INFINITE_PENALTY,
};

/// Pieces of Markdown that interact badly when combined.
const FRAGMENTS: &[&str] = &[
    "word ",
    "two words ",
    "*em ",
    "em* ",
    "**strong** ",
    "_under_ ",
    "`code` ",
    "[^a]",
    "[^b]",
    "[^c] ",
    "[^A]",
    "\n\n[^a]: Note a.\n\n",
    "\n\n[^b]: Note *b* with [^c].\n\n",
    "\n\n[^c]: Note c.\n\n",
    "\n\n",
    "\n",
    "\n# Heading\n\n",
    "\n## Sub {#sub}\n\n",
    "\n> quote ",
    "\n- item ",
    "\n1. one ",
    "<span lang=\"fr\">",
    "</span>",
    "<em>",
    "</em>",
    "<div>",
    "</div>",
    "<p>",
    "<table><tr><td>",
    "</td></tr></table>",
    "<tr>",
    "<td>",
    "<li>",
    "<a href=\"https://x.org/?q=[1]\">",
    "</a>",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "&amp; ",
    "&eacute;",
    "&#0;",
    "&#x1F600;",
    "&bogus;",
    "<",
    ">",
    "&",
    "\"",
    "[link](https://example.com/a b) ",
    "[in](#sub) ",
    "<https://example.com?find=\\*> ",
    "![img](missing.png) ",
    "\u{1}",
    "\u{fffe}",
    "\r\n",
    "\u{feff}",
    "| a | b |\n|---|---|\n| c | d |\n",
    "```\ncode <b>\n```\n",
    "<!-- c -->",
    "\\",
    "]]>",
    // pandoc's inline syntax (issue 12).
    "^[",
    "^[inline *note*] ",
    "]",
    "[",
    "]{.smallcaps} ",
    "[span]{#s .mark lang=fr} ",
    "{#id .c} ",
    "{",
    "}",
    "^",
    "~",
    "H~2~O ",
    "2^10^ ",
    "$",
    "$x^2$ ",
    "$$\\frac{a}{b}$$ ",
    "\\textbf{x} ",
    "\\begin{x} ",
    "\\ ",
    "`r`{=html} ",
    "![cap](missing.png){width=50% #f} ",
    // pandoc's block constructs (issue 12).
    "\n| verse ",
    "\n|    indented ",
    "\n|\n",
    "\n::: epigraph\n",
    "\n::: {#ep .a lang=fr}\n",
    "\n:::\n",
    "\nTerm\n: def ",
    "\n~ def ",
    "\n(a) item ",
    "\niv. item ",
    "\n#. item ",
    "\n(@ex) example ",
    " @ex ",
    "\n+---+---+\n| a | b |\n+===+===+\n| c | d |\n+---+---+\n",
    "\n+---+---+\n| a  | b |\n",
    "\n  A    B\n---  ---\n  1    2\n",
    "\n-----------\n x    y\n---- ------\n a    b\n\n-----------\n",
    "\n: caption\n",
    "\nTable: caption\n",
];

fn manuscript() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..40).prop_map(|parts| {
        let mut s = String::from("---\ntitle: T\n---\n");
        for p in parts {
            s.push_str(p);
        }
        s
    })
}

fn parse(text: &str) -> (Option<Book>, bool) {
    let mut map = SourceMap::new("/nonexistent-quire-proptest");
    map.add(SourceFile::new("book.md", text));
    let parsed = quire::parse::parse(&map, &quire::files::Files::none(&map.root));
    let errors = quire::diag::has_errors(&parsed.diagnostics);
    (parsed.book, errors)
}

/// Every note reference in reading order: chapters, then notes (notes may cite notes).
fn note_refs(book: &Book) -> Vec<(u32, u32)> {
    fn inlines(out: &mut Vec<(u32, u32)>, list: &[Inline]) {
        for i in list {
            match i {
                Inline::NoteRef { note, occurrence } => out.push((note.0, *occurrence)),
                Inline::Emphasis(c)
                | Inline::Strong(c)
                | Inline::Strikethrough(c)
                | Inline::Superscript(c)
                | Inline::Subscript(c)
                | Inline::Link { content: c, .. }
                | Inline::Span { content: c, .. }
                | Inline::Math { content: c, .. } => inlines(out, c),
                _ => {}
            }
        }
    }
    fn blocks(out: &mut Vec<(u32, u32)>, list: &[Block]) {
        for b in list {
            match b {
                Block::Paragraph { content, .. } | Block::Heading { content, .. } => {
                    inlines(out, content)
                }
                Block::BlockQuote { blocks: bs, .. } => blocks(out, bs),
                Block::List { items, .. } => {
                    for item in items {
                        blocks(out, item);
                    }
                }
                Block::Table {
                    head,
                    rows,
                    caption,
                    ..
                } => {
                    // The caption first: it is read (and set) above the table.
                    inlines(out, caption);
                    for cell in head.iter().chain(rows.iter().flatten()) {
                        blocks(out, cell);
                    }
                }
                // pandoc's block constructs (issue 12).
                Block::LineBlock { lines, .. } => {
                    for line in lines {
                        inlines(out, line);
                    }
                }
                Block::Div { blocks: bs, .. } => blocks(out, bs),
                Block::DefinitionList { items, .. } => {
                    for item in items {
                        inlines(out, &item.term);
                        for d in &item.definitions {
                            blocks(out, d);
                        }
                    }
                }
                Block::Figure { caption, .. } => inlines(out, caption),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for ch in &book.chapters {
        if let Some(t) = &ch.title {
            inlines(&mut out, t);
        }
        blocks(&mut out, &ch.blocks);
    }
    for n in &book.notes {
        blocks(&mut out, &n.blocks);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_note_reference_resolves(text in manuscript()) {
        let (book, _) = parse(&text);
        // A manuscript without text gives no book: the case is rejected (not passed), and
        // proptest fails the test if it must reject too many.
        prop_assume!(book.is_some());
        let book = book.unwrap();
        let refs = note_refs(&book);
        let n = book.notes.len() as u32;
        for (i, note) in book.notes.iter().enumerate() {
            prop_assert_eq!(note.id.0 as usize, i);
            prop_assert!(note.ref_count >= 1);
            let seen = refs.iter().filter(|(id, _)| *id == note.id.0).count() as u32;
            prop_assert_eq!(seen, note.ref_count, "note {} refs", i);
        }
        for (id, occ) in &refs {
            prop_assert!(*id < n, "reference to note {} of {}", id, n);
            prop_assert!(*occ < book.notes[*id as usize].ref_count);
        }
        if book.meta.note_numbering == NoteNumbering::Book {
            let numbers: Vec<u32> = book.notes.iter().map(|x| x.number).collect();
            let want: Vec<u32> = (1..=n).collect();
            prop_assert_eq!(numbers, want);
            // Numbered in order of first reference from the text.
            let mut firsts: Vec<u32> = Vec::new();
            for (id, _) in &refs {
                if !firsts.contains(id) {
                    firsts.push(*id);
                }
            }
            let sorted = { let mut f = firsts.clone(); f.sort(); f };
            prop_assert_eq!(firsts, sorted);
        }
    }

    #[test]
    fn epub_xhtml_is_always_well_formed(text in manuscript()) {
        let (book, _) = parse(&text);
        prop_assume!(book.is_some());
        let book = book.unwrap();
        let bytes = quire::epub::write(&book, &quire::epub::EpubOptions::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Err(problems) = epub_check::check_epub(&bytes) {
            return Err(TestCaseError::fail(format!("{problems:#?}\n---\n{text}")));
        }
    }

    #[test]
    fn line_breaker_never_loses_or_reorders_a_word(
        widths in prop::collection::vec(1i64..4000, 1..120),
        measure in 500i64..30000,
        space in 100i64..600,
    ) {
        // One box per word (its index is its identity), interword glue, then TeX's
        // paragraph end: an infinite penalty, \parfillskip, a forced break.
        let mut items = Vec::new();
        for (i, w) in widths.iter().enumerate() {
            if i > 0 {
                items.push(Item::Glue { width: space, stretch: space / 2, shrink: space / 3, fill: false });
            }
            items.push(Item::Box { width: *w, protrude: 0 });
        }
        items.push(Item::Penalty { width: 0, cost: INFINITE_PENALTY, flagged: false, auto: false });
        items.push(Item::Glue { width: 0, stretch: 0, shrink: 0, fill: true });
        items.push(Item::Penalty { width: 0, cost: -INFINITE_PENALTY, flagged: false, auto: false });
        let mut breaker = Breaker::new();
        let breaking = break_paragraph(&mut breaker, &items, measure, &Passes::justified(1000, space));
        let breaks = &breaking.breaks;
        prop_assert_eq!(breaks.last().copied(), Some(items.len() - 1));
        prop_assert!(breaks.windows(2).all(|w| w[0] < w[1]), "{:?}", breaks);
        // The words of the lines, in order, are the words of the paragraph.
        let mut words = Vec::new();
        let mut start = 0;
        for &b in breaks {
            prop_assert!(b < items.len());
            for (k, item) in items.iter().enumerate().take(b).skip(start) {
                if matches!(item, Item::Box { .. }) {
                    words.push(k);
                }
            }
            start = line_start(&items, b);
        }
        let all: Vec<usize> = items.iter().enumerate()
            .filter(|(_, i)| matches!(i, Item::Box { .. }))
            .map(|(k, _)| k)
            .collect();
        prop_assert_eq!(words, all);
    }
}
