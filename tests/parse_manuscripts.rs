//! The parser on fixture manuscripts under `tests/fixtures/parse/`: a folder book, a
//! pandoc-style single file, and a manuscript with one of every diagnostic.

#![allow(clippy::unwrap_used)]

use quire::diag::{render, Severity};
use quire::model::{Block, Identifier, Inline, LinkTarget, NoteNumbering};
use quire::parse::Parsed;
use quire::source::SourceMap;
use std::path::{Path, PathBuf};

/// Reads a manuscript from disk through the file layer.
fn load(input: &Path) -> Result<(SourceMap, Vec<quire::diag::Diagnostic>), quire::Error> {
    let files = quire::files::Files::disk(quire::files::manuscript_root(input), None);
    quire::files::load_manuscript(input, &files)
}

/// Parses, reading images from the manuscript's folder on disk.
fn parse(map: &SourceMap) -> Parsed {
    quire::parse::parse(map, &quire::files::Files::disk(&map.root, None))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/parse")
        .join(name)
}

/// Loads and parses; paths in diagnostics are shown relative to the fixtures folder so
/// the rendered text does not depend on where the repository is.
fn build(name: &str) -> (SourceMap, Parsed, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/parse");
    let (map, mut diags) = load(&fixture(name)).unwrap();
    let parsed = parse(&map);
    diags.extend(parsed.diagnostics.clone());
    let rendered: String = diags
        .iter()
        .map(|d| render(&map, d))
        .collect::<String>()
        .replace(&format!("{}/", root.display()), "");
    (map, parsed, rendered)
}

#[test]
fn folder_manuscript_builds() {
    let (map, parsed, rendered) = build("folder");
    // book.yaml first, then the chapters in file-name order; notes.txt is ignored.
    let names: Vec<String> = map
        .files()
        .map(|(_, f)| f.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["book.yaml", "01-opening.md", "02-storm.md"]);
    assert!(
        parsed
            .diagnostics
            .iter()
            .all(|d| d.severity == Severity::Warning),
        "{rendered}"
    );
    assert_eq!(
        rendered.lines().next().unwrap(),
        "folder/01-opening.md:12:1: warning: image `images/none.png` is not found; its alt text is shown instead"
    );
    assert_eq!(parsed.diagnostics.len(), 1, "{rendered}");

    let book = parsed.book.unwrap();
    let m = &book.meta;
    assert_eq!(m.title, "The Lighthouse Keeper");
    assert_eq!(m.authors, ["Ada Byron", "Charles Babbage"]);
    assert_eq!(m.lang.as_str(), "en-GB");
    assert_eq!(m.identifier, Some(Identifier::Isbn("9783161484100".into())));
    assert_eq!(m.note_numbering, NoteNumbering::Chapter);
    assert_eq!(m.hyphenation.len(), 2);
    // Assets in order of first use; the cover comes last (read after the text).
    let assets: Vec<(&str, &str)> = book
        .assets
        .iter()
        .map(|a| (a.href.as_str(), a.kind.media_type()))
        .collect();
    assert_eq!(
        assets,
        [
            ("images/dot.png", "image/png"),
            ("images/cover.png", "image/png")
        ]
    );
    assert_eq!(m.cover.map(|c| c.0), Some(1));

    let ids: Vec<&str> = book.chapters.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["opening", "lamp", "the-storm"]);
    // Notes: ids in reference order across the book, numbers restart per chapter.
    let notes: Vec<(&str, u32, u32, usize, u32)> = book
        .notes
        .iter()
        .map(|n| (n.label.as_str(), n.id.0, n.number, n.chapter, n.ref_count))
        .collect();
    assert_eq!(
        notes,
        [
            ("word", 0, 1, 0, 1),
            ("dusk", 1, 1, 1, 2),
            ("gust", 2, 1, 2, 1)
        ]
    );

    insta::assert_debug_snapshot!("folder_chapters", &book.chapters);
    insta::assert_debug_snapshot!("folder_notes", &book.notes);
}

#[test]
fn pandoc_single_file_builds_unchanged() {
    let (map, parsed, rendered) = build("pandoc.md");
    assert_eq!(map.len(), 1);
    assert!(parsed.diagnostics.is_empty(), "{rendered}");
    let book = parsed.book.unwrap();
    assert_eq!(book.meta.title, "Pandoc Style");
    assert_eq!(book.meta.date.as_deref(), Some("2020-02-29"));
    assert_eq!(
        book.meta.identifier,
        Some(Identifier::Uuid(
            "6ba7b810-9dad-11d1-80b4-00c04fd430c8".into()
        ))
    );
    assert_eq!(book.chapters.len(), 2);
    assert_eq!(book.notes[1].blocks.len(), 2, "a note with two paragraphs");
    insta::assert_debug_snapshot!("pandoc_book", &book);
}

#[test]
fn every_diagnostic_kind_is_reported_with_its_position() {
    let (_, parsed, rendered) = build("errors");
    let heads: Vec<&str> = rendered
        .lines()
        .filter(|l| {
            l.contains(": error: ")
                || l.contains(": warning: ")
                || l.starts_with("error:")
                || l.starts_with("warning:")
        })
        .collect();
    for want in [
        "errors/book.yaml:1:1: warning: unknown metadata key `titel` is ignored",
        "errors/book.yaml:2:9: error: `author` must be text or a list of texts, not a number",
        "errors/book.yaml:3:7: error: `lang` must be text, not a list",
        "errors/book.yaml:5:3: error: `identifier` must be text, not a mapping",
        "errors/book.yaml:7:10: error: `huge` is not a paper size",
        "errors/book.yaml:8:3: warning: unknown metadata key `pdf.margin` is ignored",
        "errors/01-bad.md:3:14: error: note `[^gale]` is referenced but never defined",
        "errors/01-bad.md:5:29: warning: link to a `javascript:` URL is removed; its text is kept",
        "errors/01-bad.md:7:1: warning: event handler `onclick` on raw HTML <p> is removed",
        "errors/01-bad.md:7:20: warning: raw HTML <script> is removed with its content",
        "errors/01-bad.md:13:1: warning: note `[^dup]` is defined twice",
        "errors/02-unclosed.md:1:1: error: the front matter block opened here is never closed",
        "errors/book.yaml:1:1: error: the book has no title",
        "errors/01-bad.md:5:4: warning: link to `nowhere.md` points to nothing in the book; its text is kept",
        "errors/01-bad.md:9:1: warning: note `[^unused]` is defined but never referenced",
        // Referenced only from inside itself, so never from the text.
        "errors/01-bad.md:11:1: warning: note `[^dup]` is defined but never referenced",
        "errors/book.yaml:9:14: warning: cover: image `../outside.png` is outside the manuscript folder and is not used; the book has no cover",
    ] {
        assert!(heads.contains(&want), "missing {want:?} in\n{rendered}");
    }
    assert_eq!(heads.len(), 17, "{rendered}");
    assert!(
        rendered.contains("= hint: did you mean `title`?"),
        "{rendered}"
    );
    assert!(
        rendered.contains("= hint: did you mean `pdf.margins`?"),
        "{rendered}"
    );
    // Still a model: the errors are for the caller to act on.
    assert!(parsed.book.is_some());
    insta::assert_snapshot!("errors_rendered", rendered);
}

#[test]
fn yaml_syntax_error_points_into_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.md");
    std::fs::write(
        &path,
        "---\ntitle: T\nauthor: [a, b\nlang: en\n---\n\n# A\n\nx\n",
    )
    .unwrap();
    let (map, _) = load(&path).unwrap();
    let parsed = parse(&map);
    let d = parsed
        .diagnostics
        .iter()
        .find(|d| d.message.contains("not valid YAML"))
        .unwrap();
    let (_, line, _) = map.line_col(d.span.unwrap()).unwrap();
    // The broken flow list starts on line 3; libyaml reports the error at or after it.
    assert!((3..=5).contains(&line), "line {line}: {}", render(&map, d));
}

#[test]
fn bom_and_crlf_just_work() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.md");
    std::fs::write(&path, "\u{feff}---\r\ntitle: T\r\n---\r\n\r\n# A\r\n\r\nOne\r\ntwo  \r\nthree\r\n\r\n```\r\ncode\r\n```\r\n").unwrap();
    let (map, diags) = load(&path).unwrap();
    assert!(diags.is_empty());
    let parsed = parse(&map);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let book = parsed.book.unwrap();
    assert_eq!(book.meta.title, "T");
    let text = format!("{:?}", book.chapters);
    assert!(
        !text.contains("\\r") && !text.contains("\\u{feff}"),
        "{text}"
    );
    assert!(
        matches!(&book.chapters[0].blocks[1], Block::CodeBlock { text, .. } if text == "code\n")
    );
}

#[test]
fn invalid_utf8_is_an_error_at_the_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.md");
    std::fs::write(&path, b"---\ntitle: T\n---\n# A\n\nab\xffc\n").unwrap();
    let (map, diags) = load(&path).unwrap();
    assert_eq!(diags.len(), 1);
    let text = render(&map, &diags[0]);
    assert!(
        text.contains("b.md:6:3: error: invalid UTF-8 at byte 24 (0xff)"),
        "{text}"
    );
}

#[test]
fn empty_folder_and_missing_input() {
    let dir = tempfile::tempdir().unwrap();
    let (map, diags) = load(dir.path()).unwrap();
    assert!(diags[0].is_error() && diags[0].message.contains("holds no chapter files"));
    assert!(parse(&map).book.is_none());
    assert!(matches!(
        load(&dir.path().join("nope")),
        Err(quire::Error::Io { .. })
    ));
}

#[test]
fn forbidden_characters_are_removed_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.md");
    std::fs::write(&path, "---\ntitle: T\n---\n# A\n\nbell\u{7}here\n").unwrap();
    let (map, _) = load(&path).unwrap();
    let parsed = parse(&map);
    let text = render(&map, &parsed.diagnostics[0]);
    assert!(
        text.starts_with(&format!(
            "{}:6:5: warning: character U+0007",
            path.display()
        )),
        "{text}"
    );
    let Block::Paragraph { content, .. } = &parsed.book.unwrap().chapters[0].blocks[0] else {
        panic!()
    };
    assert_eq!(content, &vec![Inline::Text("bellhere".into())]);
}

#[test]
fn internal_links_across_files() {
    let (_, parsed, _) = build("folder");
    let book = parsed.book.unwrap();
    let mut targets = Vec::new();
    for block in &book.chapters[1].blocks {
        if let Block::Paragraph { content, .. } = block {
            for i in content {
                if let Inline::Link {
                    target: LinkTarget::Internal(id),
                    ..
                } = i
                {
                    targets.push(id.clone());
                }
            }
        }
    }
    assert_eq!(targets, ["the-storm", "the-log", "gale"]);
}

/// Parses one in-memory Markdown file named `book.md` and renders its diagnostics.
fn parse_text(text: &str) -> (Parsed, String) {
    let mut map = SourceMap::new("/nonexistent-quire-root");
    map.add(quire::source::SourceFile::new("book.md", text));
    let parsed = parse(&map);
    let rendered = parsed.diagnostics.iter().map(|d| render(&map, d)).collect();
    (parsed, rendered)
}

fn heads(rendered: &str) -> Vec<&str> {
    rendered
        .lines()
        .filter(|l| {
            l.starts_with("book.md:") || l.starts_with("error:") || l.starts_with("warning:")
        })
        .collect()
}

#[test]
fn front_matter_positions_are_file_positions() {
    let (_, rendered) = parse_text(
        "---\ntitle: T\nauthr: A\nnotes: sometimes\npdf:\n  font-size: big\n---\n\n# A\n\nx\n",
    );
    assert_eq!(
        heads(&rendered),
        [
            "book.md:3:1: warning: unknown metadata key `authr` is ignored",
            "book.md:4:8: error: `notes: sometimes` is not a note numbering",
            "book.md:6:14: error: `pdf.font-size` must be a size such as `11` or `11pt`",
        ],
        "{rendered}"
    );
    assert!(rendered.contains("did you mean `author`?"));
}

#[test]
fn yaml_syntax_error_in_front_matter_is_at_its_line() {
    let (_, rendered) = parse_text("---\ntitle: T\nauthor: \"unclosed\n---\n\n# A\n\nx\n");
    let h = heads(&rendered);
    assert!(
        h[0].starts_with("book.md:3:") && h[0].contains("error: the metadata is not valid YAML"),
        "{rendered}"
    );
}

#[test]
fn missing_title_is_an_error_with_a_hint() {
    let (parsed, rendered) = parse_text("# A\n\nx\n");
    assert_eq!(
        heads(&rendered),
        ["book.md:1:1: error: the book has no title"]
    );
    assert!(rendered.contains("= hint: add `title: …`"));
    assert!(parsed.book.is_some());
}

#[test]
fn notes_in_headings_escaped_references_and_duplicate_ids() {
    let (parsed, rendered) = parse_text(
        "---\ntitle: T\n---\n# A title[^t] {#a}\n\nNot a note: \\[^x]. Code: `[^y]`.\n\n## Sub {#a}\n\n[^t]: On the title.\n",
    );
    assert_eq!(
        heads(&rendered),
        ["book.md:8:1: warning: id `a` is already used; this heading gets `a-2`"],
        "{rendered}"
    );
    let book = parsed.book.unwrap();
    assert_eq!(book.chapters[0].id, "a");
    assert_eq!(
        book.chapters[0].title,
        Some(vec![
            Inline::Text("A title".into()),
            Inline::NoteRef {
                note: quire::model::NoteId(0),
                occurrence: 0
            }
        ])
    );
    assert_eq!(book.notes[0].chapter, 0);
}

#[test]
fn deep_lists_are_capped() {
    let (parsed, _) = parse_text(&format!("---\ntitle: T\n---\n{}x\n", "- ".repeat(10_000)));
    let book = parsed.book.unwrap();
    let mut depth = 0;
    let mut blocks = &book.chapters[0].blocks;
    while let Some(Block::List { items, .. }) = blocks.first() {
        depth += 1;
        blocks = &items[0];
    }
    assert!((2..=64).contains(&depth), "{depth}");
}
