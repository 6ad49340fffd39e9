//! The sample book in manuscript/ is a faithful conversion of the essay it was made from
//! (`tests/fixtures/essay/`, called the seed below): its words
//! (markup removed, note references written back as the digits the web copy glued to the
//! text) equal the seed's words, apart from the short list of deliberate differences
//! below.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use quire::model::{Block, Book, Inline};
use std::path::{Path, PathBuf};

/// The essay as plain text, inside the repository.
const SEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/essay/stalinism-the-complete-negation-of-socialism.txt"
);

/// Deliberate differences between the seed (web copy) and the manuscript, applied to the
/// seed's text before comparing: (seed text, what the manuscript has instead).
const DELIBERATE: &[(&str, &str)] = &[
    // The web page's heading, completed.
    ("About Author", "About the Author"),
    // The web page's donation appeal is not part of the essay.
    (
        "Like this story? If you do and want to see more stories like this one, please donate to\u{a0}New Politics.\u{a0}Click HERE",
        "",
    ),
    // The web page's comment counter (it counts a third comment the copy does not hold)
    // becomes a plain chapter title.
    ("3 comments on “Stalinism: The Complete Negation of Socialism", "Reader Comments"),
    // The comments' list numbers and subject lines become one heading each, distinct
    // (issue 14, point 8: the contents listed "Bennett Muraskin says:" twice): the
    // commenter and the comment's first words.
    (
        "1. Bennett Muraskin says:\n\n    Leninism and Stalinism\n",
        "Bennett Muraskin: Leninism and Stalinism\n",
    ),
    (
        "2. Bennett Muraskin says:\n\n    If Lenin lived, do you think\n",
        "Bennett Muraskin: If Lenin lived\n",
    ),
    // Note 7 lacks its period in the web copy's notes list.
    ("\n7 This was", "\n7. This was"),
];

fn inline_text(inlines: &[Inline], book: &Book, out: &mut String) {
    for inline in inlines {
        match inline {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Emphasis(c)
            | Inline::Strong(c)
            | Inline::Strikethrough(c)
            | Inline::Superscript(c)
            | Inline::Subscript(c)
            | Inline::Link { content: c, .. }
            | Inline::Span { content: c, .. }
            | Inline::Math { content: c, .. } => inline_text(c, book, out),
            Inline::NoteRef { note, .. } => {
                out.push_str(&book.notes[note.index()].number.to_string())
            }
            Inline::LineBreak | Inline::SoftBreak => out.push(' '),
            Inline::Image { alt, .. } => out.push_str(alt),
            Inline::Html(_) => {}
            other => panic!("the sample has no {other:?}"),
        }
    }
}

fn block_text(blocks: &[Block], book: &Book, out: &mut String) {
    for block in blocks {
        match block {
            Block::Paragraph { content, .. } | Block::Heading { content, .. } => {
                inline_text(content, book, out)
            }
            Block::BlockQuote { blocks, .. } => block_text(blocks, book, out),
            Block::List { items, .. } => items.iter().for_each(|item| block_text(item, book, out)),
            other => panic!("the sample has no {other:?}"),
        }
        out.push('\n');
    }
}

fn chapter_text(book: &Book, index: usize, out: &mut String) {
    let chapter = &book.chapters[index];
    if let Some(title) = &chapter.title {
        inline_text(title, book, out);
        out.push('\n');
    }
    block_text(&chapter.blocks, book, out);
}

/// The sample book's folder.
fn manuscript() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("manuscript")
}

fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

#[test]
fn the_manuscript_holds_every_word_of_the_seed() {
    let checked = quire::build::check(&manuscript(), false).expect("manuscript loads");
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    let book = checked.book.expect("the sample parses");

    // The manuscript in the seed's order: title, the essay (chapters 0..=5), the notes as
    // the web copy lists them ("1. …"), then the author's bio and the comments.
    let mut ours = format!("{}\n", book.meta.title);
    for index in 0..6 {
        chapter_text(&book, index, &mut ours);
    }
    for note in &book.notes {
        ours.push_str(&format!("{}. ", note.number));
        block_text(&note.blocks, &book, &mut ours);
    }
    for index in 6..book.chapters.len() {
        chapter_text(&book, index, &mut ours);
    }

    let mut seed = std::fs::read_to_string(SEED).expect("seed readable");
    for (from, to) in DELIBERATE {
        assert_eq!(
            seed.matches(from).count(),
            1,
            "deliberate difference {from:?} must match once"
        );
        seed = seed.replace(from, to);
    }

    let (a, b) = (words(&seed), words(&ours));
    if let Some(i) = a.iter().zip(&b).position(|(x, y)| x != y) {
        panic!(
            "first difference at word {i}:\n seed: {:?}\n ours: {:?}",
            &a[i.saturating_sub(5)..(i + 5).min(a.len())],
            &b[i.saturating_sub(5)..(i + 5).min(b.len())]
        );
    }
    assert_eq!(a.len(), b.len(), "same words, different lengths");
}

#[test]
fn the_sample_has_eight_notes_at_the_glued_digits() {
    let book = quire::build::check(&manuscript(), false)
        .expect("manuscript loads")
        .book
        .expect("the sample parses");
    assert_eq!(book.notes.len(), 8);
    assert_eq!(
        book.meta.title,
        "Stalinism: The Complete Negation of Socialism"
    );
    assert_eq!(book.meta.authors, vec!["Thomas Harrison".to_string()]);
    assert_eq!(book.meta.lang.as_str(), "en-US");
    // The opening section has no title; the five sections, the bio and the comments do.
    assert!(book.chapters[0].title.is_none());
    assert_eq!(book.chapters.len(), 8);
    // Every reference sits right after the text the web copy glued its digit to.
    let expected = [
        "(NEP),",
        "like geese.”",
        "Judaism",
        "city dwellers.",
        "crush us.”",
        "assassinated.",
        "his head.",
        "other prisoners.",
    ];
    let mut found = Vec::new();
    for chapter in &book.chapters {
        for block in &chapter.blocks {
            if let Block::Paragraph { content, .. } = block {
                for pair in content.windows(2) {
                    if let [Inline::Text(before), Inline::NoteRef { note, .. }] = pair {
                        found.push((book.notes[note.index()].number, before.clone()));
                    }
                }
            }
        }
    }
    assert_eq!(found.len(), 8, "{found:?}");
    for ((number, before), (k, tail)) in found.iter().zip(expected.iter().enumerate()) {
        assert_eq!(*number as usize, k + 1);
        assert!(before.ends_with(tail), "note {number} follows {before:?}");
    }
}
