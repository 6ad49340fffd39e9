//! Shared helpers for the `import_*` tests: import a fixture text, find an output file,
//! and read the Markdown back with pulldown-cmark the way quire's parser does (without
//! smart punctuation, so text can be compared verbatim).
#![allow(dead_code, clippy::unwrap_used)]

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use quire::import::{import, Imported};
use quire::source::{SourceFile, SourceMap};

/// Imports `tests/fixtures/import/NAME`.
pub fn import_fixture(name: &str) -> (SourceMap, Imported) {
    let path = format!(
        "{}/tests/fixtures/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    import_text(name, &text)
}

/// Imports `text` as a file called `name`.
pub fn import_text(name: &str, text: &str) -> (SourceMap, Imported) {
    let mut map = SourceMap::new(".");
    let id = map.add(SourceFile::new(name, text));
    let imported = import(&map, id);
    (map, imported)
}

/// The names of the files, in order.
pub fn names(imported: &Imported) -> Vec<&str> {
    imported.files.iter().map(|(n, _)| n.as_str()).collect()
}

/// The content of the file named `name`.
pub fn file<'a>(imported: &'a Imported, name: &str) -> &'a str {
    imported
        .files
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, c)| c.as_str())
        .unwrap_or_else(|| panic!("no file {name} among {:?}", names(imported)))
}

/// Every chapter file's content, concatenated.
pub fn all_markdown(imported: &Imported) -> String {
    imported
        .files
        .iter()
        .filter(|(n, _)| n.ends_with(".md"))
        .map(|(_, c)| c.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first line of every rendered diagnostic (`file:line:col: warning: message`).
pub fn warnings(map: &SourceMap, imported: &Imported) -> Vec<String> {
    imported
        .diagnostics
        .iter()
        .map(|d| {
            quire::diag::render(map, d)
                .lines()
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

/// The blocks of a Markdown file as pulldown-cmark reads them, one string each:
/// `h1: text`, `p: text`, `note k: text` (a footnote definition's paragraph). Note
/// references appear as `[^k]`. Any other markup (lists, quotes, emphasis, code, HTML,
/// links) appears as a tag such as `<list>` or `<em>`, so a test can see that escaping
/// kept it out.
pub fn blocks(markdown: &str) -> Vec<String> {
    let options = Options::ENABLE_FOOTNOTES
        | Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    let mut out = Vec::new();
    let mut current = String::new();
    let mut note: Option<String> = None;
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Start(Tag::FootnoteDefinition(label)) => note = Some(label.to_string()),
            Event::End(TagEnd::FootnoteDefinition) => note = None,
            Event::Start(Tag::Heading { level, .. }) => current = format!("h{}: ", level as u8),
            Event::Start(Tag::Paragraph) => {
                current = match &note {
                    Some(label) => format!("note {label}: "),
                    None => "p: ".to_string(),
                }
            }
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_)) => {
                out.push(std::mem::take(&mut current))
            }
            Event::Text(t) => current.push_str(&t),
            Event::SoftBreak | Event::HardBreak => current.push(' '),
            Event::FootnoteReference(label) => current.push_str(&format!("[^{label}]")),
            Event::Start(Tag::Emphasis) => current.push_str("<em>"),
            Event::Start(Tag::List(_)) => out.push("<list>".into()),
            Event::Start(Tag::BlockQuote(_)) => out.push("<quote>".into()),
            Event::Start(Tag::CodeBlock(_)) => out.push("<code block>".into()),
            Event::Start(Tag::Strong) => current.push_str("<strong>"),
            Event::Start(Tag::Strikethrough) => current.push_str("<strike>"),
            Event::Start(Tag::Link { .. }) => current.push_str("<link>"),
            Event::Code(c) => current.push_str(&format!("<code>{c}")),
            Event::Html(h) | Event::InlineHtml(h) => current.push_str(&format!("<html>{h}")),
            Event::Rule => out.push("<rule>".into()),
            _ => {}
        }
    }
    out
}
