//! A hand-built [`Book`] that uses every block and inline kind, for the EPUB tests
//! (the parser is written separately; these tests must not depend on it).
//!
//! It covers: an untitled opening chapter; a note referenced twice; a note with several
//! paragraphs; a note whose first block is not a paragraph; a note referenced inside a
//! heading; a cover and an inline image; internal and external links; raw HTML (block
//! and inline); a table with alignments; text with `<`, `&` and quotes in titles.
#![allow(dead_code)]

use quire::model::*;
use quire::source::Span;

/// A 4×6 PNG (the cover).
pub const COVER_PNG: &[u8] = &[
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 4, 0, 0, 0, 6, 8, 2, 0,
    0, 0, 107, 91, 168, 34, 0, 0, 0, 16, 73, 68, 65, 84, 120, 218, 99, 208, 176, 137, 130, 35, 6,
    74, 57, 0, 178, 108, 17, 209, 40, 29, 226, 73, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];

/// A 2×2 PNG (a figure).
pub const FIGURE_PNG: &[u8] = &[
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 2, 0, 0, 0, 2, 8, 2, 0,
    0, 0, 253, 212, 154, 115, 0, 0, 0, 16, 73, 68, 65, 84, 120, 218, 99, 56, 33, 39, 7, 68, 12, 16,
    10, 0, 31, 38, 4, 17, 74, 142, 141, 32, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];

/// A small SVG (an image in another core media type).
pub const FIGURE_SVG: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\" viewBox=\"0 0 10 10\"><circle cx=\"5\" cy=\"5\" r=\"4\"/></svg>\n";

fn sp() -> Span {
    Span::default()
}

fn t(s: &str) -> Inline {
    Inline::Text(s.to_string())
}

fn p(content: Vec<Inline>) -> Block {
    Block::Paragraph {
        content,
        span: sp(),
    }
}

fn noteref(n: u32, occurrence: u32) -> Inline {
    Inline::NoteRef {
        note: NoteId(n),
        occurrence,
    }
}

fn el(name: &str, attrs: &[(&str, &str)], children: Vec<HtmlNode>) -> HtmlNode {
    HtmlNode::Element {
        name: name.into(),
        attrs: attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        children,
    }
}

fn html_text(s: &str) -> HtmlNode {
    HtmlNode::Text(s.into())
}

fn note(id: u32, number: u32, chapter: usize, ref_count: u32, blocks: Vec<Block>) -> Note {
    Note {
        id: NoteId(id),
        number,
        label: format!("n{}", id + 1),
        chapter,
        ref_count,
        blocks,
        span: sp(),
    }
}

/// The sample book.
pub fn sample_book() -> Book {
    let meta = Metadata {
        title: "The Mill & the <River>".into(),
        subtitle: Some("A \"Sample\" Book".into()),
        authors: vec!["Ada Lovelace".into(), "Charles Babbage".into()],
        lang: "en".into(),
        date: Some("2024-03-01".into()),
        publisher: Some("Quire & Sons".into()),
        rights: Some("© 2024 The Authors. CC BY 4.0".into()),
        identifier: None,
        description: Some("Every kind of block <and> inline, in one book.".into()),
        subjects: vec!["Fiction".into(), "Testing & Quality".into()],
        cover: Some(AssetId(0)),
        note_numbering: NoteNumbering::Book,
        ..Metadata::default()
    };

    let opening = Chapter {
        title: None,
        id: "opening".into(),
        attr: Default::default(),
        blocks: vec![
            p(vec![
                t("Before the first chapter, the mill stood by the river"),
                noteref(0, 0),
                t("."),
                Inline::SoftBreak,
                t("It had stood there for a long time."),
            ]),
            p(vec![t("A second paragraph, indented after the first.")]),
        ],
        span: sp(),
    };

    let fish = Chapter {
        title: Some(vec![t("Fish & "), Inline::Emphasis(vec![t("<Chips>")])]),
        id: "fish-chips".into(),
        attr: Default::default(),
        blocks: vec![
            p(vec![
                t("Plain, "),
                Inline::Emphasis(vec![t("emphasised")]),
                t(", "),
                Inline::Strong(vec![t("strong")]),
                t(", "),
                Inline::Strikethrough(vec![t("struck")]),
                t(", H"),
                Inline::Subscript(vec![t("2")]),
                t("O, E = mc"),
                Inline::Superscript(vec![t("2")]),
                t(", "),
                Inline::Code("a < b && c".into()),
                t(", an "),
                Inline::Link {
                    target: LinkTarget::External("https://example.org/?a=1&b=2".into()),
                    content: vec![t("external link")],
                },
                t(", an "),
                Inline::Link {
                    target: LinkTarget::Internal("deep-water".into()),
                    content: vec![t("internal link")],
                },
                t(" and "),
                Inline::Html(vec![el(
                    "span",
                    &[("lang", "fr")],
                    vec![html_text("du français")],
                )]),
                t("."),
                Inline::LineBreak,
                t("After a hard break."),
            ]),
            p(vec![Inline::Image {
                asset: AssetId(1),
                alt: "A red square".into(),
            }]),
            Block::Heading {
                level: 2,
                content: vec![t("Rivers < Seas & Lakes"), noteref(1, 0)],
                id: "rivers".into(),
                attr: Default::default(),
                span: sp(),
            },
            Block::BlockQuote {
                blocks: vec![
                    p(vec![t("A quotation.")]),
                    p(vec![t("Its second paragraph.")]),
                ],
                span: sp(),
            },
            Block::List {
                start: None,
                numbering: Default::default(),
                items: vec![
                    vec![p(vec![t("Bullet one")])],
                    vec![p(vec![t("Bullet two")])],
                ],
                span: sp(),
            },
            Block::List {
                start: Some(3),
                numbering: Default::default(),
                items: vec![
                    vec![p(vec![t("Third")])],
                    vec![
                        p(vec![t("Fourth, loose")]),
                        Block::List {
                            start: Some(1),
                            numbering: Default::default(),
                            items: vec![vec![p(vec![t("Nested")])]],
                            span: sp(),
                        },
                    ],
                ],
                span: sp(),
            },
            Block::CodeBlock {
                lang: Some("rust".into()),
                text: "fn main() {\n    if a < b && c > d { println!(\"<hi>\"); }\n}\n".into(),
                span: sp(),
            },
            Block::ThematicBreak { span: sp() },
            p(vec![
                t("After the scene break, the text goes on"),
                noteref(0, 1),
                t("."),
            ]),
            Block::Table {
                align: vec![Align::Left, Align::Center, Align::Right, Align::None],
                widths: vec![],
                head: vec![
                    vec![p(vec![t("Name")])],
                    vec![p(vec![t("Count")])],
                    vec![p(vec![t("Price & tax")])],
                    vec![],
                ],
                rows: vec![
                    vec![
                        vec![p(vec![t("Apples")])],
                        vec![p(vec![t("3")])],
                        vec![p(vec![t("1.20")])],
                        vec![p(vec![t("fresh")])],
                    ],
                    vec![
                        vec![p(vec![Inline::Emphasis(vec![t("Pears")])])],
                        vec![p(vec![t("12")])],
                        vec![p(vec![t("4.80")])],
                        vec![],
                    ],
                ],
                caption: vec![t("Fruit in stock")],
                span: sp(),
            },
            Block::Html {
                nodes: vec![el(
                    "div",
                    &[("class", "letter")],
                    vec![el(
                        "p",
                        &[],
                        vec![
                            html_text("Dear reader,"),
                            el("br", &[], vec![]),
                            html_text("yours & truly."),
                        ],
                    )],
                )],
                span: sp(),
            },
            Block::Heading {
                level: 3,
                content: vec![t("A smaller heading")],
                id: "smaller".into(),
                attr: Default::default(),
                span: sp(),
            },
            p(vec![Inline::Image {
                asset: AssetId(2),
                alt: "A black circle".into(),
            }]),
        ],
        span: sp(),
    };

    let second = Chapter {
        title: Some(vec![t("The Second Chapter")]),
        id: "second".into(),
        attr: Default::default(),
        blocks: vec![
            Block::Heading {
                level: 2,
                content: vec![t("Deep water")],
                id: "deep-water".into(),
                attr: Default::default(),
                span: sp(),
            },
            p(vec![
                t("Back to "),
                Inline::Link {
                    target: LinkTarget::Internal("fish-chips".into()),
                    content: vec![t("the first chapter")],
                },
                t(" and to "),
                Inline::Link {
                    target: LinkTarget::Internal("rivers".into()),
                    content: vec![t("its rivers")],
                },
                t("."),
                noteref(2, 0),
                t(" And one more"),
                noteref(3, 0),
                t("."),
            ]),
        ],
        span: sp(),
    };

    let notes = vec![
        note(
            0,
            1,
            0,
            2,
            vec![p(vec![t("The mill is older than the town.")])],
        ),
        note(
            1,
            2,
            1,
            1,
            vec![p(vec![t("A note referenced from a heading.")])],
        ),
        note(
            2,
            3,
            2,
            1,
            vec![
                p(vec![
                    t("A note of several paragraphs, with "),
                    Inline::Emphasis(vec![t("emphasis")]),
                    t("."),
                ]),
                p(vec![t("Its second paragraph.")]),
                Block::List {
                    start: None,
                    numbering: Default::default(),
                    items: vec![vec![p(vec![t("and a list")])]],
                    span: sp(),
                },
            ],
        ),
        note(
            3,
            4,
            2,
            1,
            vec![Block::BlockQuote {
                blocks: vec![p(vec![t("A note that opens with a quotation.")])],
                span: sp(),
            }],
        ),
    ];

    let assets = vec![
        Asset {
            path: "images/cover.png".into(),
            href: "images/cover.png".into(),
            kind: quire::model::ImageKind::Png,
            data: COVER_PNG.to_vec(),
        },
        Asset {
            path: "figures/red square.png".into(),
            href: "figures/red square.png".into(),
            kind: quire::model::ImageKind::Png,
            data: FIGURE_PNG.to_vec(),
        },
        Asset {
            path: "figures/circle.svg".into(),
            href: "figures/circle.svg".into(),
            kind: quire::model::ImageKind::Svg,
            data: FIGURE_SVG.as_bytes().to_vec(),
        },
    ];

    Book {
        meta,
        chapters: vec![opening, fish, second],
        notes,
        assets,
    }
}

/// The sample book with notes numbered per chapter (grouped under chapter titles in the
/// notes document).
pub fn sample_book_per_chapter_notes() -> Book {
    let mut book = sample_book();
    book.meta.note_numbering = NoteNumbering::Chapter;
    // Chapters 0, 1, 2: notes 0 | 1 | 2, 3 → numbers 1 | 1 | 1, 2.
    for (note, number) in book.notes.iter_mut().zip([1, 1, 1, 2]) {
        note.number = number;
    }
    book
}
