//! The sample essay (`tests/fixtures/essay/`, the text `manuscript/` was made from), turned
//! into a Book by a converter of its own (independent of the parser), typeset, and
//! checked against the quality gates.
#![allow(clippy::unwrap_used)]

use quire::fonts::FontSet;
use quire::model::*;
use quire::source::Span;
use quire::typeset::document::{Document, LinkTarget};
use quire::typeset::typeset;

/// The essay as plain text, inside the repository.
const ESSAY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/essay/stalinism-the-complete-negation-of-socialism.txt"
);
const HEADINGS: [&str; 5] = [
    "The Collectivization of Agriculture",
    "Rapid Industrialization",
    "The Gulag",
    "The Great Purge",
    "A New Society",
];

/// Splits `text` at glued note numbers ("(NEP),1 which") into inlines, numbering from
/// `next`.
fn inlines(text: &str, next: &mut u32, notes: u32) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut rest = text;
    loop {
        if *next > notes {
            break;
        }
        let needle = next.to_string();
        let found = rest.match_indices(&needle).find(|(i, _)| {
            let before = rest[..*i].chars().next_back();
            let after = rest[i + needle.len()..].chars().next();
            before.is_some_and(|c| c.is_alphabetic() || ".,”’);:".contains(c))
                && after.is_none_or(|c| !c.is_ascii_digit())
        });
        let Some((i, _)) = found else { break };
        out.push(Inline::Text(rest[..i].to_string()));
        out.push(Inline::NoteRef {
            note: NoteId(*next - 1),
            occurrence: 0,
        });
        rest = &rest[i + needle.len()..];
        *next += 1;
    }
    out.push(Inline::Text(rest.to_string()));
    out
}

fn essay(lang: &str) -> Book {
    let text = std::fs::read_to_string(ESSAY).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let title = lines[0].to_string();
    let end = lines
        .iter()
        .position(|l| l.starts_with("1. The New Economic"))
        .unwrap();
    let note_lines: Vec<&str> = lines[end..]
        .iter()
        .take_while(|l| {
            l.split_once(". ")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok())
        })
        .copied()
        .collect();
    let n_notes = note_lines.len() as u32;
    let mut next = 1;
    let mut chapters = vec![Chapter {
        title: None,
        id: "intro".into(),
        attr: Default::default(),
        blocks: vec![],
        span: Span::default(),
    }];
    for l in &lines[1..end] {
        if HEADINGS.contains(l) {
            let id = l.to_lowercase().replace(' ', "-");
            chapters.push(Chapter {
                title: Some(vec![Inline::Text(l.to_string())]),
                id,
                attr: Default::default(),
                blocks: vec![],
                span: Span::default(),
            });
        } else {
            let content = inlines(l, &mut next, n_notes);
            chapters.last_mut().unwrap().blocks.push(Block::Paragraph {
                content,
                span: Span::default(),
            });
        }
    }
    let notes = note_lines
        .iter()
        .enumerate()
        .map(|(i, l)| Note {
            id: NoteId(i as u32),
            number: i as u32 + 1,
            label: (i + 1).to_string(),
            chapter: 0,
            ref_count: 1,
            blocks: vec![Block::Paragraph {
                content: vec![Inline::Text(l.split_once(". ").unwrap().1.to_string())],
                span: Span::default(),
            }],
            span: Span::default(),
        })
        .collect();
    let meta = Metadata {
        title,
        authors: vec!["Thomas Harrison".into()],
        lang: lang.into(),
        ..Default::default()
    };
    Book {
        meta,
        chapters,
        notes,
        assets: vec![],
    }
}

/// Word gaps (in em): the advances of the space glyphs in body-size runs.
fn gaps(doc: &Document) -> Vec<f32> {
    let mut out = Vec::new();
    for page in &doc.pages {
        for run in &page.runs {
            if run.size < 11.0 || run.size > 12.0 {
                continue;
            }
            for g in &run.glyphs {
                if g.text == " " {
                    out.push(g.advance / run.size);
                }
            }
        }
    }
    out
}

#[test]
fn essay_meets_the_quality_gates() {
    let fonts = FontSet::embedded();
    let book = essay("en-US");
    let (doc, diags) = typeset(&book, &fonts);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(doc.width, 612.0);
    let mut g = gaps(&doc);
    g.sort_by(f32::total_cmp);
    let p95 = g[g.len() * 95 / 100];
    let max = *g.last().unwrap();
    let space = 451.0 / 2048.0;
    eprintln!(
        "{} gaps, median {:.3} em, p95 {:.3} em ({:.2}x), max {:.3} em, pages {}",
        g.len(),
        g[g.len() / 2],
        p95,
        p95 / space,
        max,
        doc.pages.len()
    );
    // The gate: no word gap over 0.5 em (impossible lines take the excess as at most 1 %
    // letter-spacing instead).
    assert!(max <= 0.5, "max gap {max}");
    assert!(p95 / space <= 1.6, "p95 stretch {}", p95 / space);
    // Outline: the title, five chapters, Notes.
    let titles: Vec<&str> = doc.outline.iter().map(|o| o.title.as_str()).collect();
    assert_eq!(titles.len(), 7, "{titles:?}");
    assert_eq!(titles[6], "Notes");
    // Every reference links to its note and every note back.
    let internal = doc
        .pages
        .iter()
        .flat_map(|p| &p.links)
        .filter(|l| matches!(l.target, LinkTarget::Internal(_)))
        .count();
    assert_eq!(internal, 2 * book.notes.len());
    // Words come back in order (hyphens aside).
    let words: String = doc
        .pages
        .iter()
        .flat_map(|p| &p.runs)
        .flat_map(|r| &r.glyphs)
        .map(|g| g.text.as_str())
        .collect();
    assert!(
        words.contains("By the end of 1927, Joseph Stalin had eliminated the Left Opposition"),
        "text kept"
    );
}

/// Typesetting is a function of the book: the same book twice gives the same document.
/// (How long it takes is measured by `benches/`, not here.)
#[test]
fn essay_typesets_to_the_same_document_twice() {
    let fonts = FontSet::embedded();
    let book = essay("en-US");
    let (a, _) = typeset(&book, &fonts);
    let (b, _) = typeset(&book, &fonts);
    assert!(a.pages.len() > 5, "{} pages", a.pages.len());
    assert!(a == b, "two typesettings of the essay differ");
}

/// The gate of `essay_meets_the_quality_gates` (no word gap over half an em) holds for
/// every run of the essay, whatever its size (headings, notes, running heads too); the
/// message lists the loosest lines.
#[test]
fn no_word_gap_of_any_size_passes_half_an_em() {
    let fonts = FontSet::embedded();
    let (doc, _) = typeset(&essay("en-US"), &fonts);
    // (largest gap in em, size, text) of every run holding a space.
    let mut lines: Vec<(f32, f32, String)> = Vec::new();
    for page in &doc.pages {
        for run in &page.runs {
            let max = run
                .glyphs
                .iter()
                .filter(|g| g.text == " ")
                .map(|g| g.advance / run.size)
                .fold(None, |m: Option<f32>, a| Some(m.map_or(a, |m| m.max(a))));
            if let Some(max) = max {
                let text = run.glyphs.iter().map(|g| g.text.as_str()).collect();
                lines.push((max, run.size, text));
            }
        }
    }
    lines.sort_by(|a, b| b.0.total_cmp(&a.0));
    let sizes: std::collections::BTreeSet<String> =
        lines.iter().map(|(_, s, _)| s.to_string()).collect();
    assert!(
        lines.len() > 500 && sizes.len() >= 3,
        "{} runs with spaces, sizes {sizes:?}",
        lines.len()
    );
    let loosest: Vec<String> = lines[..8]
        .iter()
        .map(|(m, s, t)| format!("{m:.3} em at {s} pt: {t}"))
        .collect();
    assert!(lines[0].0 <= 0.5, "loosest lines:\n{}", loosest.join("\n"));
}
