//! Title, byline, headings, bio, comments, paragraphs, escaping and book.yaml, on texts
//! written for them.
#![allow(clippy::unwrap_used)]

mod import_common;
use import_common::{blocks, file, import_fixture, import_text, names, warnings};

#[test]
fn sections_bio_and_comments_become_their_own_files() {
    let (map, imported) = import_fixture("dotted_blank_lines.txt");
    assert_eq!(
        names(&imported),
        [
            "book.yaml",
            "00-opening.md",
            "01-the-mills.md",
            "02-the-settlement.md",
            "03-about-the-author.md",
            "04-comments.md"
        ]
    );
    // The title is not repeated in the opening, and the byline went to book.yaml.
    let opening = blocks(file(&imported, "00-opening.md"));
    assert!(
        opening[0].starts_with("p: In 1917. That is how"),
        "{opening:?}"
    );
    assert_eq!(
        blocks(file(&imported, "03-about-the-author.md")),
        [
            "h1: About the Author",
            "p: Maria Ortega writes about labour history."
        ]
    );
    let comments = blocks(file(&imported, "04-comments.md"));
    assert_eq!(
        comments[..3],
        [
            "h1: Comments",
            "p: 2 comments on “The Winter of the Long Strike”",
            "p: 1. Ana says:"
        ]
    );
    let yaml: serde_yaml::Value = serde_yaml::from_str(file(&imported, "book.yaml")).unwrap();
    assert_eq!(
        yaml["title"].as_str(),
        Some("The Winter of the Long Strike")
    );
    assert_eq!(yaml["author"].as_str(), Some("Maria Ortega"));
    assert_eq!(yaml["lang"].as_str(), Some("en"));
    let w = warnings(&map, &imported);
    for expected in [
        "dotted_blank_lines.txt:1:1: warning: took the first line as the title: “The Winter of the Long Strike”",
        "dotted_blank_lines.txt:3:1: warning: took “Maria Ortega” as the author, from this byline",
        "dotted_blank_lines.txt:9:1: warning: took this line as a section heading: “The Mills”",
        "dotted_blank_lines.txt:15:1: warning: took this line as a section heading: “The Settlement”",
        "dotted_blank_lines.txt:19:1: warning: took the numbered lines from here as the notes list (notes 1 to 4)",
        "dotted_blank_lines.txt:26:1: warning: took “About the Author” as the heading of the author's bio, kept as its own section",
    ] {
        assert!(w.contains(&expected.to_string()), "missing {expected}\n{w:#?}");
    }
}

#[test]
fn author_from_the_bio_when_there_is_no_byline() {
    let text = "A Title\n\nSome text of the article, long enough to be a paragraph.\n\nAbout the Author\n\nJane van Dijk is a historian.\n";
    let (_, imported) = import_text("a.txt", text);
    let yaml: serde_yaml::Value = serde_yaml::from_str(file(&imported, "book.yaml")).unwrap();
    assert_eq!(yaml["author"].as_str(), Some("Jane van Dijk"));
}

#[test]
fn no_author_is_left_commented_out_and_reported() {
    let (map, imported) = import_fixture("superscript.txt");
    let yaml_text = file(&imported, "book.yaml");
    assert!(yaml_text.contains("# author: \"\""));
    let yaml: serde_yaml::Value = serde_yaml::from_str(yaml_text).unwrap();
    assert!(yaml.get("author").is_none());
    assert!(warnings(&map, &imported)
        .iter()
        .any(|w| w.contains("found no author")));
}

#[test]
fn series_note_opens_the_book_in_italics() {
    let text = "The Title\n\nThis is the second of three articles on the history of the town.\n\nThe article starts here, and it goes on for a while.\n\nA Heading\n\nMore text follows the heading.\n";
    let (_, imported) = import_text("a.txt", text);
    let opening = file(&imported, "00-opening.md");
    assert!(
        opening
            .starts_with("*This is the second of three articles on the history of the town.*\n\n"),
        "{opening}"
    );
    assert_eq!(names(&imported)[2], "01-a-heading.md");
}

#[test]
fn sentences_and_runs_of_short_lines_are_not_headings() {
    let text = "Title\n\nA paragraph of text that ends.\n\nIt rained.\n\nAnother paragraph follows here.\n\nRed\nGreen\nBlue\n\nThe last paragraph.\n";
    let (_, imported) = import_text("a.txt", text);
    assert_eq!(names(&imported), ["book.yaml", "00-opening.md"]);
}

#[test]
fn hard_wrapped_text_without_blank_lines_is_joined_into_paragraphs() {
    let text = "The Title\nThe first paragraph is wrapped at a narrow width so\nthat it runs over several lines and then it ends\nhere.\nA second paragraph starts on a new line and it is\nwrapped at the same width as the first one was.\nThe Middle\nThe third paragraph comes after a heading and it\nis wrapped like the others, over two lines.\n";
    let (_, imported) = import_text("a.txt", text);
    assert_eq!(
        names(&imported),
        ["book.yaml", "00-opening.md", "01-the-middle.md"]
    );
    assert_eq!(
        blocks(file(&imported, "00-opening.md")),
        [
            "p: The first paragraph is wrapped at a narrow width so that it runs over several lines and then it ends here.",
            "p: A second paragraph starts on a new line and it is wrapped at the same width as the first one was."
        ]
    );
}

#[test]
fn markdown_characters_survive_verbatim() {
    let path = format!(
        "{}/tests/fixtures/import/markdown_specials.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let source = std::fs::read_to_string(path).unwrap();
    let (_, imported) = import_fixture("markdown_specials.txt");
    let expected: Vec<String> = source
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| format!("p: {l}"))
        .collect();
    assert_eq!(blocks(file(&imported, "00-opening.md")), expected);
}

/// Empty texts give an untitled manuscript, a lone marker becomes the title, a numbered
/// line with no reference to it stays text; none panics.
#[test]
fn empty_or_tiny_texts_import_without_panicking() {
    for (text, title, opening) in [
        ("", "Untitled", ""),
        ("\n\n", "Untitled", ""),
        ("1.", "1.", ""),
        ("¹", "¹", ""),
        ("[1]", "[1]", ""),
        ("Title\n1. note", "Title", "1\\. note\n"),
    ] {
        let (_, imported) = import_text("a.txt", text);
        assert_eq!(names(&imported), ["book.yaml", "00-opening.md"], "{text:?}");
        let yaml: serde_yaml::Value = serde_yaml::from_str(file(&imported, "book.yaml")).unwrap();
        assert_eq!(yaml["title"].as_str(), Some(title), "{text:?}");
        assert_eq!(
            file(&imported, "00-opening.md").trim_start(),
            opening,
            "{text:?}"
        );
    }
}
