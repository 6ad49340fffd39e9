//! One Markdown file → blocks, split into chapters at level-1 headings, with its note
//! definitions and metadata blocks.
//!
//! pulldown-cmark's `into_offset_iter()` gives every event its byte range, so every
//! block and diagnostic gets a span. Events are folded into blocks with an explicit stack
//! (no recursion), and containers nested deeper than [`MAX_DEPTH`] are flattened into
//! their parent, so neither this stage nor any later one can overflow the stack on
//! adversarial input (10,000 nested `>`).
//!
//! Links, images and note references are left as placeholders that [`super`] resolves
//! once every file is read: an internal link may point into a later file, and notes are
//! numbered in reading order across the book.

use super::html::{self, Class, Token};
use super::ids::{is_valid_id, slug, IdRegistry};
use super::inlines::{self, Node};
use super::nested::{NestedText, GUARD};
use super::pandoc_blocks::{self, PreBlock, PreKind, Prepass, TableDraft, PLACEHOLDER_COLON};
use super::text::{clean_text, expand_tabs, Cleaned};
use super::{attrs, math, urls};
use crate::diag::Diagnostic;
use crate::model::{
    Align, AssetId, Attr, Block, DefinitionItem, Dimension, Inline, LanguageTag, LinkTarget,
    ListNumbering, NoteId, NumberDelim, NumberStyle,
};
use crate::source::{FileId, Span};
use pulldown_cmark::{
    Alignment, BrokenLink, CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser,
    Tag, TagEnd,
};
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::rc::Rc;

/// Deepest nesting of containers (quotes, lists, inline spans) kept as written.
pub(crate) const MAX_DEPTH: usize = 64;

/// Marks a link target that is still to be resolved: `\0` followed by the index into
/// [`Shared::links`]. `\0` cannot occur in resolved ids (it is not an XML character).
pub(crate) const PENDING: char = '\0';

/// Starts the destination of an implicit header reference (pandoc's MANUAL, "Extension:
/// implicit_header_references"): `#`, this, the heading's [`reference_key`], this, the
/// label as written. The same mark and key name the heading in
/// [`FileContent::anchors`]. `\u{2}` is not an XML character: never a real id.
pub(crate) const HEADER_REF: char = '\u{2}';

/// A relative link waiting for every file to be read.
#[derive(Debug, Clone)]
pub(crate) struct PendingLink {
    /// The destination as written.
    pub href: String,
    /// The file it is written in.
    pub file: FileId,
    /// Where it is written.
    pub span: Span,
    /// For an implicit header reference: the text around its content when no heading
    /// has its label after all (`[`, `]`), shown as pandoc shows an unresolved
    /// reference, without a warning.
    pub fallback: Option<(String, String)>,
}

/// An image waiting to be read from disk.
#[derive(Debug, Clone)]
pub(crate) struct PendingImage {
    /// The path as written.
    pub src: String,
    /// Where it is written.
    pub span: Span,
}

/// State shared by all files of a book, in reading order.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Ids taken by chapters and headings.
    pub ids: IdRegistry,
    /// Relative links, indexed by their placeholder.
    pub links: Vec<PendingLink>,
    /// Images, indexed by their placeholder [`AssetId`].
    pub images: Vec<PendingImage>,
    /// Note labels referenced, `(file, normalised label)`, indexed by their placeholder
    /// [`NoteId`].
    pub note_keys: Vec<(FileId, String)>,
    note_index: BTreeMap<(FileId, String), u32>,
    /// pandoc's numbered examples, numbered across the book.
    pub examples: Examples,
}

/// The numbers of pandoc's example list items (`(@)`, `(@label)`), which run across the
/// whole book; a label names its item's number for `@label` references in the text
/// (MANUAL "Extension: example_lists").
#[derive(Debug, Default)]
pub(crate) struct Examples {
    /// Every claim, in order (the label, if any), so a cached parse can replay them.
    claims: Vec<Option<String>>,
    /// Numbers given so far.
    count: u32,
    /// Label → number.
    labels: BTreeMap<String, u32>,
}

impl Examples {
    /// The number of the next example item, labelled `label`; a label used before
    /// repeats its number (as pandoc does).
    fn claim(&mut self, label: Option<&str>) -> u32 {
        self.claims.push(label.map(str::to_string));
        if let Some(&n) = label.and_then(|l| self.labels.get(l)) {
            return n;
        }
        self.count += 1;
        if let Some(l) = label {
            self.labels.insert(l.to_string(), self.count);
        }
        self.count
    }

    /// The number of the example labelled `label`.
    fn get(&self, label: &str) -> Option<u32> {
        self.labels.get(label).copied()
    }

    /// Whether the book has examples so far.
    fn any(&self) -> bool {
        self.count > 0
    }
}

/// What parsing one file added to [`Shared`], so that a cached parse of the file can add
/// it again (see `parse::ParseCache`).
#[derive(Debug, Clone, Default)]
pub(crate) struct SharedAdded {
    /// The id bases claimed, in order.
    claims: Vec<String>,
    links: Vec<PendingLink>,
    images: Vec<PendingImage>,
    note_keys: Vec<(FileId, String)>,
    examples: Vec<Option<String>>,
}

/// Where [`Shared`] stood before a file was parsed.
#[derive(Clone, Copy)]
pub(crate) struct SharedMark {
    claims: usize,
    links: usize,
    images: usize,
    note_keys: usize,
    examples: usize,
}

impl Shared {
    /// A hash of everything a file's parse reads of the shared state: the ids taken and
    /// how many placeholders of each kind were handed out (a file's own note labels are
    /// looked up only among its own, which are not there yet).
    pub(crate) fn state_digest(&self) -> (u128, usize, usize, usize, &[Option<String>]) {
        (
            self.ids.digest(),
            self.links.len(),
            self.images.len(),
            self.note_keys.len(),
            &self.examples.claims,
        )
    }

    pub(crate) fn mark(&self) -> SharedMark {
        SharedMark {
            claims: self.ids.claim_count(),
            links: self.links.len(),
            images: self.images.len(),
            note_keys: self.note_keys.len(),
            examples: self.examples.claims.len(),
        }
    }

    /// What was added since `mark`.
    pub(crate) fn added_since(&self, mark: SharedMark) -> SharedAdded {
        SharedAdded {
            claims: self.ids.claims_since(mark.claims).to_vec(),
            links: self.links.get(mark.links..).unwrap_or(&[]).to_vec(),
            images: self.images.get(mark.images..).unwrap_or(&[]).to_vec(),
            note_keys: self.note_keys.get(mark.note_keys..).unwrap_or(&[]).to_vec(),
            examples: self
                .examples
                .claims
                .get(mark.examples..)
                .unwrap_or(&[])
                .to_vec(),
        }
    }

    /// Adds what a file's parse added, in the same state it was parsed in: the same ids
    /// are taken and the same placeholders handed out.
    pub(crate) fn add(&mut self, added: &SharedAdded) {
        for base in &added.claims {
            self.ids.claim(base);
        }
        self.links.extend(added.links.iter().cloned());
        self.images.extend(added.images.iter().cloned());
        for key in &added.note_keys {
            self.note_index
                .insert(key.clone(), self.note_keys.len() as u32);
            self.note_keys.push(key.clone());
        }
        for label in &added.examples {
            self.examples.claim(label.as_deref());
        }
    }

    fn note_key(&mut self, file: FileId, label: &str) -> NoteId {
        let key = (file, normalise_label(label));
        if let Some(&k) = self.note_index.get(&key) {
            return NoteId(k);
        }
        let k = self.note_keys.len() as u32;
        self.note_keys.push(key.clone());
        self.note_index.insert(key, k);
        NoteId(k)
    }
}

/// Note labels match case-insensitively, as link labels do (CommonMark §4.7).
pub(crate) fn normalise_label(label: &str) -> String {
    label.to_lowercase()
}

/// A link label as pandoc matches it (`toKey`): case-insensitive, runs of white space
/// as one space.
fn reference_key(label: &str) -> String {
    let mut key = String::with_capacity(label.len());
    for word in label.split_whitespace() {
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(&word.to_lowercase());
    }
    key
}

/// The [`reference_key`] of a heading from its source (from its first byte: `#` of an
/// ATX heading, the text of a setext one), as pandoc registers it (`Readers/Markdown.hs`,
/// `registerImplicitHeader`: the raw text between the markers, without the closing
/// `#`s and the `{…}` attributes).
fn heading_key(source: &str) -> Option<String> {
    let text = if source.starts_with('#') {
        let line = source.lines().next().unwrap_or("");
        let marks = line.bytes().take_while(|&b| b == b'#').count();
        let rest = line.get(marks..)?;
        if marks > 6 || !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
            return None;
        }
        rest
    } else {
        // A setext heading: all but its underline.
        source
            .trim_end()
            .rsplit_once('\n')
            .map_or(source, |(t, _)| t)
    };
    let mut text = text.trim();
    if text.ends_with('}') {
        if let Some(open) = text.rfind('{') {
            if matches!(
                attrs::parse(&text[open..]),
                Ok((attrs::Braced::Attr(_), len)) if open + len == text.len()
            ) {
                text = text[..open].trim_end();
            }
        }
    }
    let unclosed = text.trim_end_matches('#');
    if unclosed.len() < text.len() && (unclosed.is_empty() || unclosed.ends_with([' ', '\t'])) {
        text = unclosed.trim_end();
    }
    let key = reference_key(text);
    (!key.is_empty()).then_some(key)
}

/// The keys of the headings a file may hold (ATX and setext headings, in block quotes
/// too; fenced code and the front matter skipped), by a line scan: used only to decide
/// whether an undefined `[label]` may be an implicit header reference, which the
/// resolver then checks against the headings read.
fn scan_heading_keys(text: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut lines = text.lines().peekable();
    if lines.peek().is_some_and(|l| l.trim_end() == "---") {
        lines.next();
        for l in lines.by_ref() {
            if matches!(l.trim_end(), "---" | "...") {
                break;
            }
        }
    }
    let mut fence: Option<&str> = None;
    let mut previous = "";
    for line in lines {
        let line = line.trim_start_matches([' ', '>']);
        if let Some(f) = fence {
            if line.starts_with(f) {
                fence = None;
            }
            continue;
        }
        if line.starts_with("```") || line.starts_with("~~~") {
            fence = Some(&line[..3]);
            continue;
        }
        if line.starts_with('#') {
            keys.extend(heading_key(line));
        } else if !line.is_empty()
            && (line.trim_end().bytes().all(|b| b == b'=')
                || line.trim_end().bytes().all(|b| b == b'-'))
            && !previous.trim().is_empty()
        {
            keys.extend(heading_key(previous));
        }
        previous = line;
    }
    keys
}

/// The first `<address>` in `text` that pandoc reads as an email autolink and
/// CommonMark does not (§6.5 allows ASCII only): `<测@foo.测.baz>`, or
/// `<me@ex&auml;mple.com>` whose entity pulldown-cmark decoded in the text. pandoc's
/// `emailAddress` (`Text.Pandoc.Parsing`): words of letters, digits and
/// ``!#$%&'*+-/=?^_`{|}~;`` joined by dots, `@`, then parts of letters, digits and
/// inner hyphens joined by dots. `source` is the text's source: an escaped `\<` there
/// is no autolink. The text before, the address, the text after.
fn email_autolink<'t>(text: &'t str, source: &str) -> Option<(&'t str, &'t str, &'t str)> {
    let mut from = 0;
    while let Some(open) = text[from..].find('<').map(|i| from + i) {
        from = open + 1;
        let Some(close) = text[open..].find('>').map(|i| open + i) else {
            break;
        };
        let address = &text[open + 1..close];
        let Some((local, domain)) = address.split_once('@') else {
            continue;
        };
        let word = |w: &str| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~;".contains(c))
        };
        let part = |p: &str| {
            !p.is_empty()
                && !p.starts_with('-')
                && !p.ends_with('-')
                && p.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        let local_start = local.split('.').next().unwrap_or("");
        if address.is_ascii()
            || !local.split('.').all(word)
            || !domain.split('.').all(part)
            || !source.contains(&format!("<{local_start}"))
            || source.contains(&format!("\\<{local_start}"))
        {
            continue;
        }
        return Some((&text[..open], address, &text[close + 1..]));
    }
    None
}

/// A chapter as read from one file.
#[derive(Debug, Clone)]
pub(crate) struct ChapterDraft {
    /// Heading content.
    pub title: Vec<Inline>,
    /// Unique id.
    pub id: String,
    /// The heading's `{…}` attributes.
    pub attr: Attr,
    /// Content after the heading (more may follow from the next file).
    pub blocks: Vec<Block>,
    /// The heading's span.
    pub span: Span,
}

/// A note definition.
#[derive(Debug, Clone)]
pub(crate) struct NoteDef {
    /// The label as written.
    pub label: String,
    /// Its content.
    pub blocks: Vec<Block>,
    /// Where it is defined.
    pub span: Span,
}

/// What one file holds.
#[derive(Debug, Default, Clone)]
pub(crate) struct FileContent {
    /// Blocks before the first level-1 heading (they continue the previous chapter, or
    /// make the untitled opening one).
    pub leading: Vec<Block>,
    /// Chapters started in this file.
    pub chapters: Vec<ChapterDraft>,
    /// Note definitions, in source order (duplicates already reported and dropped).
    pub defs: Vec<NoteDef>,
    /// YAML metadata blocks: text and its offset in the original file text.
    pub metadata: Vec<(String, usize)>,
    /// Ids as the author may link to them (`{#id}` or the slug) → the unique id given.
    pub anchors: BTreeMap<String, String>,
}

/// The pulldown-cmark options quire reads Markdown with. Not HEADING_ATTRIBUTES: its
/// `{…}` splits at spaces without quoting, drops `{-}` and takes a span's or code's
/// braces (`# T [x]{.y}`); the inline post-pass reads pandoc's grammar instead
/// ([`inlines`]). Not SUPERSCRIPT/SUBSCRIPT: 0.13's flanking rules refuse `H~2~O` and
/// `2^10^`, which pandoc reads (MANUAL, "Extension: superscript, subscript").
fn options() -> Options {
    Options::ENABLE_FOOTNOTES
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_MATH
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        // pandoc's definition lists (MANUAL "Extension: definition_lists"); its `~`
        // markers are rewritten by the pre-pass.
        | Options::ENABLE_DEFINITION_LIST
}

/// Whether an event is inline content: a run of these is read by the inline post-pass
/// before the builder sees it. Text in code blocks, HTML blocks and metadata is not.
fn is_inline(event: &Event<'_>, in_raw: bool) -> bool {
    match event {
        Event::Text(_) => !in_raw,
        Event::Code(_)
        | Event::InlineMath(_)
        | Event::DisplayMath(_)
        | Event::InlineHtml(_)
        | Event::FootnoteReference(_)
        | Event::SoftBreak
        | Event::HardBreak
        | Event::TaskListMarker(_) => true,
        Event::Start(tag) => matches!(
            tag,
            Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Superscript
                | Tag::Subscript
                | Tag::Link { .. }
                | Tag::Image { .. }
        ),
        Event::End(end) => matches!(
            end,
            TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Superscript
                | TagEnd::Subscript
                | TagEnd::Link
                | TagEnd::Image
        ),
        Event::Html(_) | Event::Rule => false,
    }
}

/// The options of the nested parses (a grid table's cells, a line block's lines): the
/// body's, with old-style notes, which always give a reference (the definitions are in
/// the file around, not in the nested text; a new-style undefined reference would be
/// left as text).
fn nested_options() -> Options {
    (options() - Options::ENABLE_YAML_STYLE_METADATA_BLOCKS - Options::ENABLE_FOOTNOTES)
        | Options::ENABLE_OLD_FOOTNOTES
}

/// How deep nested parses go (a grid table in a grid table's cell …): deeper ones read
/// their cells without the pre-pass.
const MAX_NESTED: usize = 4;

/// Columns between tab stops in code blocks: pandoc's default `--tab-stop`.
const TAB_STOP: usize = 4;

/// Parses the text of `file`.
pub(crate) fn parse_file(
    file: FileId,
    source: &str,
    shared: &mut Shared,
    diags: &mut Vec<Diagnostic>,
) -> FileContent {
    let cleaned = Cleaned::new(source, file, diags);
    let mut b = Builder::new(file, &cleaned.text, None, &cleaned, shared, diags, 0);
    // Front matter counts only at the very start of a file. pulldown-cmark would take a
    // `---` … `---` block anywhere as metadata, but in the body CommonMark reads it as a
    // thematic break and a setext heading (CommonMark 0.31 §4.1, §4.3): so the block is
    // read with metadata on, and the body with it off, the block blanked out.
    let mut front_end = 0;
    let mut events = Parser::new_ext(&cleaned.text, options()).into_offset_iter();
    match events.next() {
        Some((event @ Event::Start(Tag::MetadataBlock(_)), range)) => {
            front_end = range.end;
            b.event(event, range);
            for (event, range) in events.by_ref() {
                let done = matches!(event, Event::End(TagEnd::MetadataBlock(_)));
                b.event(event, range);
                if done {
                    break;
                }
            }
        }
        _ => b.check_unclosed_front_matter(),
    }
    let body: std::borrow::Cow<str> = if front_end == 0 {
        std::borrow::Cow::Borrowed(&cleaned.text)
    } else {
        // Same byte length, so offsets stay those of the file.
        let mut blank = String::with_capacity(cleaned.text.len());
        for c in cleaned.text[..front_end].chars() {
            if c == '\n' {
                blank.push('\n');
            } else {
                blank.extend(std::iter::repeat_n(' ', c.len_utf8()));
            }
        }
        blank.push_str(&cleaned.text[front_end..]);
        std::borrow::Cow::Owned(blank)
    };
    let body_options = options() - Options::ENABLE_YAML_STYLE_METADATA_BLOCKS;
    b.run(&body, body_options, false);
    let nested_refs = std::mem::take(&mut b.nested_refs);
    let mut content = b.finish();
    // Notes referenced in nested parses (a line block, a table cell), which pulldown-cmark
    // reads there without knowing the file's definitions.
    for (label, span) in nested_refs {
        let key = normalise_label(&label);
        if !content
            .defs
            .iter()
            .any(|d| normalise_label(&d.label) == key)
        {
            diags.push(
                Diagnostic::error(span, format!("note `[^{label}]` is referenced but never defined"))
                    .with_hint(format!("add `[^{label}]: …` to this file (note labels belong to the file they are used in)")),
            );
        }
    }
    attach_captions(&mut content.leading);
    for chapter in &mut content.chapters {
        attach_captions(&mut chapter.blocks);
    }
    for def in &mut content.defs {
        attach_captions(&mut def.blocks);
    }
    content
}

/// Markdown written as a metadata value (pandoc reads string values as Markdown: MANUAL,
/// "Extension: yaml_metadata_block"), such as `abstract`, as blocks. Its problems, and
/// its blocks, are placed at `at` (the value): its offsets are not the file's. Notes
/// have nowhere to go from there and are dropped.
pub(crate) fn parse_fragment(
    text: &str,
    at: Span,
    shared: &mut Shared,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Block> {
    let mut own = Vec::new();
    let content = parse_file(at.file, text, shared, &mut own);
    diags.extend(own.into_iter().map(|mut d| {
        d.span = Some(at);
        d
    }));
    let mut blocks = content.leading;
    for ch in content.chapters {
        blocks.push(Block::Heading {
            level: 2,
            content: ch.title,
            id: ch.id,
            attr: ch.attr,
            span: ch.span,
        });
        blocks.extend(ch.blocks);
    }
    super::walk::rewrite_blocks(&mut blocks, &mut |i| match i {
        Inline::NoteRef { .. } => super::walk::Rewritten::Many(Vec::new()),
        other => super::walk::Rewritten::One(other),
    });
    respan(&mut blocks, at);
    blocks
}

/// Every block's span set to `at`.
fn respan(blocks: &mut [Block], at: Span) {
    for block in blocks {
        match block {
            Block::BlockQuote { blocks, span } => {
                *span = at;
                respan(blocks, at);
            }
            Block::List { items, span, .. } => {
                *span = at;
                items.iter_mut().for_each(|i| respan(i, at));
            }
            Block::Div { blocks, span, .. } => {
                *span = at;
                respan(blocks, at);
            }
            Block::DefinitionList { items, span } => {
                *span = at;
                for item in items {
                    item.definitions.iter_mut().for_each(|d| respan(d, at));
                }
            }
            Block::Table {
                head, rows, span, ..
            } => {
                *span = at;
                head.iter_mut()
                    .chain(rows.iter_mut().flatten())
                    .for_each(|c| respan(c, at));
            }
            Block::Paragraph { span, .. }
            | Block::Heading { span, .. }
            | Block::CodeBlock { span, .. }
            | Block::ThematicBreak { span }
            | Block::Html { span, .. }
            | Block::LineBlock { span, .. }
            | Block::Figure { span, .. } => *span = at,
        }
    }
}

/// Pandoc's table captions (pandoc manual, "Tables": "A caption may optionally be provided
/// with all 4 kinds of tables. A caption is a paragraph beginning with the string
/// `Table:` (or `table:` or just `:`), which will be stripped off. It may appear either
/// before or after the table."). CommonMark reads such a line as a paragraph; here a
/// paragraph so marked, right after a table (else right before it), becomes that table's
/// caption. A paragraph between two tables goes to the one before it.
fn attach_captions(blocks: &mut Vec<Block>) {
    let mut i = 0;
    while i < blocks.len() {
        match &mut blocks[i] {
            Block::BlockQuote { blocks: inner, .. } | Block::Div { blocks: inner, .. } => {
                attach_captions(inner)
            }
            Block::List { items, .. } => items.iter_mut().for_each(attach_captions),
            Block::DefinitionList { items, .. } => items
                .iter_mut()
                .flat_map(|i| i.definitions.iter_mut())
                .for_each(attach_captions),
            _ => {}
        }
        if !matches!(&blocks[i], Block::Table { caption, .. } if caption.is_empty()) {
            i += 1;
            continue;
        }
        let from = if blocks.get(i + 1).is_some_and(is_caption) {
            Some(i + 1)
        } else if i > 0 && is_caption(&blocks[i - 1]) {
            Some(i - 1)
        } else {
            None
        };
        let Some(from) = from else {
            i += 1;
            continue;
        };
        let Block::Paragraph { content, .. } = blocks.remove(from) else {
            continue;
        };
        let table = if from < i { i - 1 } else { i };
        if let Some(Block::Table { caption, .. }) = blocks.get_mut(table) {
            *caption = strip_caption_marker(content);
        }
        i = table + 1;
    }
}

/// The marker a caption paragraph starts with, if `text` starts with one.
fn caption_marker(text: &str) -> Option<usize> {
    ["Table:", "table:", ":"]
        .iter()
        .find(|m| text.starts_with(*m))
        .map(|m| m.len())
}

fn is_caption(block: &Block) -> bool {
    matches!(block, Block::Paragraph { content, .. }
        if matches!(content.first(), Some(Inline::Text(t)) if caption_marker(t).is_some()))
}

/// A caption paragraph's inlines without the marker and the spaces after it.
fn strip_caption_marker(mut content: Vec<Inline>) -> Vec<Inline> {
    if let Some(Inline::Text(t)) = content.first_mut() {
        let n = caption_marker(t).unwrap_or(0);
        *t = t[n..].trim_start().to_string();
        if t.is_empty() {
            content.remove(0);
        }
    }
    content
}

/// How a frame is closed.
#[derive(Debug, Clone, PartialEq)]
enum Closer {
    /// By a pulldown-cmark `End` event.
    Markdown,
    /// By a raw HTML end tag of this name.
    Html(String),
    /// By a fenced div's closing fence (or the end of its container).
    Fence,
}

/// Inline wrappers.
#[derive(Debug, Clone)]
enum SpanKind {
    Emphasis,
    Strong,
    Strikethrough,
    Superscript,
    Subscript,
    Link {
        dest: String,
        link_type: LinkType,
    },
    /// A raw HTML element kept as HTML (`<span lang="fr">`).
    Html {
        name: String,
        attrs: Vec<(String, String)>,
    },
    // pandoc's (issue 12):
    /// `[text]{…}`.
    Bracketed(Attr),
    /// `^[…]`: an inline note's text.
    InlineNote,
    /// A part of a citation (issue 16): its content goes to `Builder::cite_parts`.
    CitePart,
}

#[derive(Debug)]
enum Kind {
    Root,
    Quote,
    List {
        start: Option<u64>,
        numbering: ListNumbering,
        items: Vec<Vec<Block>>,
    },
    Item,
    // pandoc's block constructs (issue 12).
    Div {
        attr: Attr,
    },
    DefList {
        items: Vec<DefinitionItem>,
    },
    DefTerm,
    DefDefinition,
    NoteDef {
        label: String,
    },
    Paragraph,
    Heading {
        level: u8,
        /// `{…}` at the end of its line (pandoc's header attributes).
        attr: Attr,
    },
    Span(SpanKind),
    Image {
        dest: String,
        alt: String,
        /// `{…}` after it and where it is written.
        attr: Option<(Attr, Range<usize>)>,
    },
    Code {
        lang: Option<String>,
        text: String,
    },
    HtmlBlock {
        text: String,
        pieces: Vec<(usize, usize)>,
    },
    Metadata {
        text: String,
        start: Option<usize>,
    },
    Table {
        align: Vec<Align>,
        head: Vec<Vec<Block>>,
        rows: Vec<Vec<Vec<Block>>>,
    },
    Cells {
        head: bool,
        cells: Vec<Vec<Block>>,
    },
    Cell,
    /// A container nested too deep: its content goes to its parent.
    Transparent,
    /// A dangerous raw HTML element: its content is dropped.
    Dropped,
}

#[derive(Debug)]
struct Frame {
    kind: Kind,
    range: Range<usize>,
    closer: Closer,
    blocks: Vec<Block>,
    inlines: Vec<Inline>,
}

impl Frame {
    fn new(kind: Kind, range: Range<usize>, closer: Closer) -> Self {
        Frame {
            kind,
            range,
            closer,
            blocks: Vec::new(),
            inlines: Vec::new(),
        }
    }

    fn holds_blocks(&self) -> bool {
        matches!(
            self.kind,
            Kind::Root
                | Kind::Quote
                | Kind::Item
                | Kind::NoteDef { .. }
                | Kind::Div { .. }
                | Kind::DefDefinition
        )
    }

    fn holds_inlines(&self) -> bool {
        matches!(
            self.kind,
            Kind::Paragraph | Kind::Heading { .. } | Kind::Span(_) | Kind::Cell | Kind::DefTerm
        )
    }

    /// Whether this frame is a container the pre-pass counts in a block's depth.
    fn is_container(&self) -> bool {
        matches!(
            self.kind,
            Kind::Quote | Kind::Item | Kind::NoteDef { .. } | Kind::DefDefinition
        )
    }
}

/// Link reference definitions of the file, for the nested parses (label, lowercase →
/// destination and title).
type RefDefs = BTreeMap<String, (String, String)>;

/// The pre-pass's findings, as the builder uses them.
#[derive(Default)]
struct PreState {
    /// pandoc-only blocks, by start.
    blocks: Vec<PreBlock>,
    /// The next block to splice in.
    next: usize,
    /// Fancy list markers by offset, with the book-wide number of each example.
    markers: Vec<(pandoc_blocks::Marker, u32)>,
    /// Whether the shadow holds placeholders to turn back.
    placeholders: bool,
}

struct Builder<'a> {
    file: FileId,
    /// The text the events index (the file's cleaned text, or a nested parse's).
    text: &'a str,
    /// For a nested parse: the way from `text` back to the cleaned file text.
    nested: Option<&'a NestedText>,
    cleaned: &'a Cleaned,
    shared: &'a mut Shared,
    diags: &'a mut Vec<Diagnostic>,
    stack: Vec<Frame>,
    out: FileContent,
    current: Option<ChapterDraft>,
    /// Adjacent text events merged: text and its range.
    pending_text: Option<(String, Range<usize>)>,
    depth_warned: bool,
    /// Inline notes `^[…]` read so far in this file (their generated labels).
    inline_notes: u32,
    /// The parts of the citation being built (issue 16): see `Builder::citation`.
    cite_parts: Vec<Vec<Inline>>,
    /// Per image placeholder of the block being read: its alt text as inlines and its
    /// attributes, for the figure it makes when alone in its paragraph.
    images: BTreeMap<u32, ImageInfo>,
    /// `\newcommand` macros defined so far in the file, for its math.
    macros: Vec<math::TexMacro>,
    /// How deep in nested parses this builder is (0: the file).
    level: usize,
    pre: PreState,
    /// The file's link reference definitions, once a nested parse needs them.
    refdefs: Option<Rc<RefDefs>>,
    /// The link reference definitions only pandoc reads, found by the pre-pass (keyed by
    /// [`reference_key`]).
    pandoc_refs: Rc<RefDefs>,
    /// The keys of the file's headings, for implicit header references: found by a line
    /// scan of the file the first time an undefined reference needs them.
    heading_keys: Rc<OnceCell<BTreeSet<String>>>,
    /// Note references made in nested parses, to check against the file's definitions.
    nested_refs: Vec<(String, Span)>,
    /// An inline-only nested parse: each paragraph's start and inlines.
    snippets: Option<Vec<(usize, Vec<Inline>)>>,
}

/// What a figure needs of its image beyond the [`Inline::Image`].
#[derive(Debug)]
struct ImageInfo {
    caption: Vec<Inline>,
    attr: Option<(Attr, Span)>,
}

/// Written for a `\@` in the text until example references are resolved.
const ESCAPED_AT: char = '\u{3}';

impl<'a> Builder<'a> {
    #[allow(clippy::too_many_arguments)]
    fn new(
        file: FileId,
        text: &'a str,
        nested: Option<&'a NestedText>,
        cleaned: &'a Cleaned,
        shared: &'a mut Shared,
        diags: &'a mut Vec<Diagnostic>,
        level: usize,
    ) -> Self {
        Builder {
            file,
            text,
            nested,
            cleaned,
            shared,
            diags,
            stack: vec![Frame::new(Kind::Root, 0..0, Closer::Markdown)],
            out: FileContent::default(),
            current: None,
            pending_text: None,
            depth_warned: false,
            level,
            pre: PreState::default(),
            refdefs: None,
            pandoc_refs: Rc::default(),
            heading_keys: Rc::default(),
            nested_refs: Vec::new(),
            snippets: None,
            inline_notes: 0,
            cite_parts: Vec::new(),
            images: BTreeMap::new(),
            macros: Vec::new(),
        }
    }

    /// The cleaned-text offset of offset `i` of the text the events index.
    fn to_cleaned(&self, i: usize) -> usize {
        match self.nested {
            Some(n) => n.source(i),
            None => i,
        }
    }

    fn span(&self, r: &Range<usize>) -> Span {
        Span::new(
            self.file,
            self.cleaned.original(self.to_cleaned(r.start)),
            self.cleaned.original(self.to_cleaned(r.end)),
        )
    }

    /// Parses `text` (the events' text: the file's body or a nested text) with the
    /// pre-pass: pulldown-cmark reads the pre-pass's shadow, and each pandoc-only block
    /// is spliced in before the first event at or after its place (or before the end of
    /// the container holding it).
    fn run(&mut self, text: &str, options: Options, inline_only: bool) {
        let mut pre = if inline_only || self.level > MAX_NESTED {
            Prepass::default()
        } else {
            pandoc_blocks::scan(text)
        };
        for p in std::mem::take(&mut pre.problems) {
            let span = self.span(&p.range);
            self.diags
                .push(Diagnostic::warning(span, p.message).with_hint(p.hint));
        }
        if !pre.refs.is_empty() {
            let mut refs = (*self.pandoc_refs).clone();
            for (label, dest, title) in std::mem::take(&mut pre.refs) {
                // The first definition of a label wins, as in CommonMark (§4.7).
                refs.entry(reference_key(&label)).or_insert((dest, title));
            }
            self.pandoc_refs = Rc::new(refs);
        }
        let markers = std::mem::take(&mut pre.markers)
            .into_iter()
            .map(|m| {
                let n = if m.style == NumberStyle::Example {
                    self.shared.examples.claim(m.label.as_deref())
                } else {
                    0
                };
                (m, n)
            })
            .collect();
        let shadow = pre.shadow.take();
        self.pre = PreState {
            placeholders: shadow
                .as_deref()
                .is_some_and(|s| s.contains(PLACEHOLDER_COLON)),
            blocks: pre.blocks,
            next: 0,
            markers,
        };
        let input = shadow.as_deref().unwrap_or(text);
        let defs = self.refdefs.clone();
        let pandoc_refs = self.pandoc_refs.clone();
        let heading_keys = self.heading_keys.clone();
        let file_text: &str = &self.cleaned.text;
        // An undefined `[text]` that pandoc reads as a span or an inline note is made a
        // link for the inline post-pass to read back ([`inlines::wants_sentinel`]); one
        // whose definition only pandoc reads links to it; in a nested text, other
        // undefined references are looked up in the file's definitions.
        let callback = move |link: BrokenLink| {
            if inlines::wants_sentinel(input, &link.span, link.link_type) {
                return Some((inlines::SENTINEL.into(), "".into()));
            }
            let pandoc_key = reference_key(&link.reference);
            if let Some((dest, title)) = pandoc_refs.get(&pandoc_key) {
                return Some((CowStr::from(dest.clone()), CowStr::from(title.clone())));
            }
            // pandoc's implicit header references (MANUAL, "Extension:
            // implicit_header_references"): `[Heading]`, `[text][Heading]` link to the
            // heading of that text when no definition has the label. Only labels some
            // heading of the file has: a link found there deactivates the brackets
            // around it (CommonMark §6.3).
            if heading_keys
                .get_or_init(|| scan_heading_keys(file_text))
                .contains(&pandoc_key)
            {
                let dest = format!("#{HEADER_REF}{pandoc_key}{HEADER_REF}{}", link.reference);
                return Some((CowStr::from(dest), "".into()));
            }
            let key = link.reference.to_lowercase();
            let (dest, title) = defs.as_ref()?.get(&key)?;
            Some((CowStr::from(dest.clone()), CowStr::from(title.clone())))
        };
        let mut events = Parser::new_with_broken_link_callback(input, options, Some(callback))
            .into_offset_iter();
        // Runs of inline events go through the inline post-pass (pandoc's inline syntax)
        // before the builder sees them; text in code blocks, HTML blocks and metadata is
        // not inline content.
        let mut run: Vec<(Event<'_>, Range<usize>)> = Vec::new();
        let mut in_raw = false;
        while let Some((event, range)) = events.next() {
            if is_inline(&event, in_raw) {
                run.push((event, range));
                continue;
            }
            self.inline_run(&mut run, input);
            match &event {
                Event::Start(Tag::CodeBlock(_) | Tag::HtmlBlock | Tag::MetadataBlock(_)) => {
                    in_raw = true
                }
                Event::End(TagEnd::CodeBlock | TagEnd::HtmlBlock | TagEnd::MetadataBlock(_)) => {
                    in_raw = false
                }
                _ => {}
            }
            if self.pre.next < self.pre.blocks.len() {
                if self.refdefs.is_none() {
                    let defs: RefDefs = events
                        .reference_definitions()
                        .iter()
                        .map(|(k, d)| {
                            let title = d.title.as_deref().unwrap_or("").to_string();
                            (k.to_lowercase(), (d.dest.to_string(), title))
                        })
                        .collect();
                    self.refdefs = Some(Rc::new(defs));
                }
                self.splice_before(&event, &range);
            }
            self.event(event, range);
        }
        self.inline_run(&mut run, input);
        self.flush_text();
        while let Some(block) = self.pre.blocks.get(self.pre.next).cloned() {
            self.pre.next += 1;
            self.pre_block(block);
        }
    }

    /// How many containers (quotes, list items, note definitions, definitions) are open.
    fn container_depth(&self) -> usize {
        self.stack.iter().filter(|f| f.is_container()).count()
    }

    /// Splices in the pre-pass blocks due before `event`: those starting at or before
    /// it; before the end of a container, those inside it.
    fn splice_before(&mut self, event: &Event<'_>, range: &Range<usize>) {
        while let Some(block) = self.pre.blocks.get(self.pre.next) {
            let at = block.range.start;
            let due = match event {
                Event::End(
                    TagEnd::BlockQuote(_)
                    | TagEnd::Item
                    | TagEnd::FootnoteDefinition
                    | TagEnd::DefinitionListDefinition,
                ) => at < range.end && block.depth >= self.container_depth(),
                Event::End(_) => false,
                // A container opening on the block's own line (`> | verse`): the block
                // goes inside it, after the container's start.
                Event::Start(
                    Tag::BlockQuote(_)
                    | Tag::List(_)
                    | Tag::Item
                    | Tag::FootnoteDefinition(_)
                    | Tag::DefinitionList
                    | Tag::DefinitionListDefinition,
                ) => range.start >= at && block.depth <= self.container_depth(),
                _ => range.start >= at,
            };
            if !due {
                return;
            }
            let block = block.clone();
            self.pre.next += 1;
            self.flush_text();
            self.pre_block(block);
        }
    }

    /// One pandoc-only block into the model.
    fn pre_block(&mut self, block: PreBlock) {
        let span = self.span(&block.range);
        match block.kind {
            PreKind::LineBlock(lines) => {
                let snippets: Vec<(usize, Vec<Range<usize>>)> =
                    lines.into_iter().map(|l| (l.indent, l.pieces)).collect();
                let lines = self.nested_inlines(&snippets, ' ');
                self.push_block(Block::LineBlock { lines, span });
            }
            PreKind::DivOpen(attr) => {
                let attr = self.checked_attr(attr, span);
                self.push_container(Kind::Div { attr }, block.range, Closer::Fence);
            }
            PreKind::DivClose => {
                if matches!(self.stack.last(), Some(f) if matches!(f.kind, Kind::Div { .. })) {
                    if let Some(frame) = self.stack.pop() {
                        self.close(frame);
                    }
                }
            }
            PreKind::Table(draft) => self.pre_table(draft, span),
            PreKind::Caption(pieces) => {
                let mut content = self.nested_inlines(&[(0, pieces)], '\n');
                let content = content.pop().unwrap_or_default();
                if !content.is_empty() {
                    self.push_block(Block::Paragraph { content, span });
                }
            }
        }
    }

    /// A grid, simple or multiline table: its cells parsed from their source ranges (a
    /// grid table's as blocks, the others' as one paragraph each).
    fn pre_table(&mut self, draft: TableDraft, span: Span) {
        let TableDraft {
            aligns,
            widths,
            head,
            rows,
            blocks,
        } = draft;
        let ncols = head.len();
        let mut cells: Vec<Vec<Block>> = if blocks {
            head.iter()
                .chain(rows.iter().flatten())
                .map(|c| self.nested_blocks(c))
                .collect()
        } else {
            let snippets: Vec<(usize, Vec<Range<usize>>)> = head
                .iter()
                .chain(rows.iter().flatten())
                .map(|c| (0, c.clone()))
                .collect();
            self.nested_inlines(&snippets, '\n')
                .into_iter()
                .map(|content| {
                    if content.is_empty() {
                        Vec::new()
                    } else {
                        vec![Block::Paragraph { content, span }]
                    }
                })
                .collect()
        };
        let body = cells.split_off(ncols.min(cells.len()));
        let mut body = body.into_iter();
        let rows = rows
            .iter()
            .map(|r| body.by_ref().take(r.len()).collect())
            .collect();
        self.push_block(Block::Table {
            align: aligns,
            widths,
            head: cells,
            rows,
            caption: Vec::new(),
            span,
        });
    }

    /// A child builder over `nested`, sharing the book's state.
    fn child<'c>(&'c mut self, nested: &'c NestedText) -> Builder<'c> {
        let mut child = Builder::new(
            self.file,
            &nested.text,
            Some(nested),
            self.cleaned,
            &mut *self.shared,
            &mut *self.diags,
            self.level + 1,
        );
        child.refdefs = self.refdefs.clone();
        child.pandoc_refs = self.pandoc_refs.clone();
        child.heading_keys = self.heading_keys.clone();
        // Inline notes are labelled by a count per file, and macros apply to the math
        // after them in the file: a nested text (a cell, a verse line) continues both.
        child.inline_notes = self.inline_notes;
        child.macros = self.macros.clone();
        child
    }

    /// Takes back the inline-note count and the macros a child builder went on with.
    fn continue_from(&mut self, (inline_notes, macros): (u32, Vec<math::TexMacro>)) {
        self.inline_notes = inline_notes;
        self.macros = macros;
    }

    /// Takes what a child builder found besides its blocks: note definitions, anchors,
    /// nested note references.
    fn adopt(
        &mut self,
        defs: Vec<NoteDef>,
        anchors: BTreeMap<String, String>,
        refs: Vec<(String, Span)>,
    ) {
        self.out.defs.extend(defs);
        for (k, v) in anchors {
            self.out.anchors.entry(k).or_insert(v);
        }
        self.nested_refs.extend(refs);
    }

    /// Parses snippets of the text, each its pieces (source ranges) joined by `joiner`,
    /// after `indent` U+00A0s, as one paragraph of inlines each; an empty snippet gives
    /// no inlines. One parse for all of them: a table's cells or a poem's lines.
    fn nested_inlines(
        &mut self,
        snippets: &[(usize, Vec<Range<usize>>)],
        joiner: char,
    ) -> Vec<Vec<Inline>> {
        let mut nested = NestedText::default();
        let mut starts = Vec::with_capacity(snippets.len());
        for (indent, pieces) in snippets {
            let Some(first) = pieces.first() else {
                starts.push(nested.text.len());
                continue;
            };
            if !nested.text.is_empty() {
                nested.insert("\n\n", self.to_cleaned(first.start));
            }
            starts.push(nested.text.len());
            let mut lead = String::new();
            lead.push(GUARD);
            lead.extend(std::iter::repeat_n('\u{a0}', *indent));
            nested.insert(&lead, self.to_cleaned(first.start));
            for (k, piece) in pieces.iter().enumerate() {
                if k > 0 {
                    let mut join = String::from(joiner);
                    if joiner == '\n' {
                        join.push(GUARD);
                    }
                    nested.insert(&join, self.to_cleaned(piece.start));
                }
                nested.copy(self.text, piece.clone(), self.to_cleaned(piece.start));
            }
        }
        let mut out = vec![Vec::new(); snippets.len()];
        if nested.text.is_empty() {
            return out;
        }
        let found = {
            let mut child = self.child(&nested);
            child.snippets = Some(Vec::new());
            child.run(
                &nested.text,
                nested_options() - Options::ENABLE_TABLES - Options::ENABLE_DEFINITION_LIST,
                true,
            );
            let found = child.snippets.take().unwrap_or_default();
            let refs = std::mem::take(&mut child.nested_refs);
            let continued = (child.inline_notes, std::mem::take(&mut child.macros));
            let content = child.finish();
            (found, content.defs, content.anchors, refs, continued)
        };
        let (found, defs, anchors, refs, continued) = found;
        self.continue_from(continued);
        self.adopt(defs, anchors, refs);
        for (at, inlines) in found {
            let k = starts.partition_point(|&s| s <= at).saturating_sub(1);
            if let Some(slot) = out.get_mut(k) {
                slot.extend(inlines);
            }
        }
        out
    }

    /// Parses a cell's lines (source ranges) as blocks, with the pre-pass.
    fn nested_blocks(&mut self, lines: &[Range<usize>]) -> Vec<Block> {
        if lines.is_empty() {
            return Vec::new();
        }
        let mut nested = NestedText::default();
        for (k, line) in lines.iter().enumerate() {
            if k > 0 {
                nested.insert("\n", self.to_cleaned(line.start));
            }
            nested.copy(self.text, line.clone(), self.to_cleaned(line.start));
        }
        let (blocks, defs, anchors, refs, continued) = {
            let mut child = self.child(&nested);
            child.run(&nested.text, nested_options(), false);
            let refs = std::mem::take(&mut child.nested_refs);
            let continued = (child.inline_notes, std::mem::take(&mut child.macros));
            let content = child.finish();
            (
                content.leading,
                content.defs,
                content.anchors,
                refs,
                continued,
            )
        };
        self.continue_from(continued);
        self.adopt(defs, anchors, refs);
        blocks
    }

    /// A div's attributes checked: its id made unique in the book (and recorded for
    /// links), `lang` a language tag, `dir` a direction.
    fn checked_attr(&mut self, mut attr: Attr, span: Span) -> Attr {
        if let Some(wanted) = attr.id.take() {
            let base = if is_valid_id(&wanted) {
                wanted.clone()
            } else {
                let s = slug(&wanted);
                self.diags.push(
                    Diagnostic::warning(span, format!("`#{wanted}` is not a valid id; `{s}` is used"))
                        .with_hint("an id starts with a letter and holds only letters, digits, `-`, `_` and `.`"),
                );
                s
            };
            let id = self.shared.ids.claim(&base);
            if id != base {
                self.diags.push(
                    Diagnostic::warning(
                        span,
                        format!("id `{base}` is already used; this div gets `{id}`"),
                    )
                    .with_hint("ids must be unique across the book; links to it go to the first"),
                );
            }
            self.out.anchors.entry(wanted).or_insert_with(|| id.clone());
            attr.id = Some(id);
        }
        let mut pairs = Vec::with_capacity(attr.pairs.len());
        for (key, value) in std::mem::take(&mut attr.pairs) {
            let ok = match key.as_str() {
                "lang" => LanguageTag::parse(&value).is_some(),
                "dir" => matches!(value.as_str(), "ltr" | "rtl" | "auto"),
                _ => true,
            };
            if ok {
                pairs.push((key, value));
            } else {
                self.diags.push(
                    Diagnostic::warning(
                        span,
                        format!("`{key}={value}` is not a valid {key}; it is ignored"),
                    )
                    .with_hint(if key == "lang" {
                        "give a language tag such as `lang=fr` or `lang=en-GB`"
                    } else {
                        "give `dir=rtl`, `dir=ltr` or `dir=auto`"
                    }),
                );
            }
        }
        attr.pairs = pairs;
        attr
    }

    /// Ends the list being read and starts another when the item at `r` is numbered in
    /// another style or with another delimiter: pandoc reads them as two lists (MANUAL
    /// "Extension: fancy_lists"), where pulldown-cmark, which sees the pre-pass's decimal
    /// markers, has one.
    fn split_list_at(&mut self, r: &Range<usize>) {
        let Some(Frame {
            kind:
                Kind::List {
                    start: Some(_),
                    numbering,
                    items,
                },
            ..
        }) = self.stack.last()
        else {
            return;
        };
        if items.is_empty() {
            return;
        }
        let (start, new) = self.list_numbering(1, r);
        if new == *numbering {
            return;
        }
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let range = r.start..frame.range.end;
        self.close(frame);
        self.push_container(
            Kind::List {
                start: Some(start),
                numbering: new,
                items: Vec::new(),
            },
            range,
            Closer::Markdown,
        );
    }

    /// A list's start and numbering: a fancy marker's from the pre-pass, a decimal one's
    /// delimiter from the source.
    fn list_numbering(&self, start: u64, r: &Range<usize>) -> (u64, ListNumbering) {
        let b = self.text.as_bytes();
        let mut at = r.start;
        while b.get(at).is_some_and(|c| matches!(c, b' ' | b'\t' | b'>')) {
            at += 1;
        }
        let markers = &self.pre.markers;
        let k = markers.partition_point(|(m, _)| m.at < at);
        if let Some((m, n)) = markers.get(k).filter(|(m, _)| m.at == at) {
            let start = if m.style == NumberStyle::Example {
                u64::from(*n)
            } else {
                m.value
            };
            return (
                start,
                ListNumbering {
                    style: m.style,
                    delim: m.delim,
                },
            );
        }
        let digits = b
            .get(at..)
            .map_or(0, |t| t.iter().take_while(|c| c.is_ascii_digit()).count());
        let start = self
            .text
            .get(at..at + digits)
            .and_then(|d| d.parse().ok())
            .unwrap_or(start);
        let delim = if b.get(at + digits) == Some(&b')') {
            NumberDelim::OneParen
        } else {
            NumberDelim::Period
        };
        (
            start,
            ListNumbering {
                style: NumberStyle::Decimal,
                delim,
            },
        )
    }

    /// A file that opens a `---` block that pulldown-cmark did not take as metadata,
    /// because it is never closed.
    fn check_unclosed_front_matter(&mut self) {
        let text = &self.cleaned.text;
        let mut lines = text.split_inclusive('\n');
        let opens = lines.next().is_some_and(|l| l.trim_end() == "---");
        let next_nonblank = lines.clone().next().is_some_and(|l| !l.trim().is_empty());
        let closed = lines.any(|l| matches!(l.trim_end(), "---" | "..."));
        if opens && next_nonblank && !closed {
            self.diags.push(
                Diagnostic::error(
                    Span::new(self.file, 0, 3),
                    "the front matter block opened here is never closed",
                )
                .with_hint("end the metadata with a line holding only `---` (or `...`)"),
            );
        }
    }

    /// A run of inline events, read for pandoc's inline syntax ([`inlines`]) unless its
    /// source holds none of the bytes that syntax needs, then replayed.
    fn inline_run<'s>(&mut self, run: &mut Vec<(Event<'s>, Range<usize>)>, src: &'s str) {
        let (Some((_, first)), Some((_, last))) = (run.first(), run.last()) else {
            return;
        };
        let whole = first.start.min(last.start)..first.end.max(last.end);
        // Containers nested deeper than the builder keeps are left as they are (the
        // post-pass recurses over the nesting).
        let deep = || {
            let mut depth = 0usize;
            let mut max = 0usize;
            for (e, _) in run.iter() {
                match e {
                    Event::Start(_) => {
                        depth += 1;
                        max = max.max(depth);
                    }
                    Event::End(_) => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
            max + self.stack.len() >= MAX_DEPTH
        };
        // A link the broken-link callback made for the post-pass (`[a](/b c)`, whose
        // text may hold none of the bytes `may_need_pass` looks for) needs it too, and so
        // does a defined `[a]` followed by a destination CommonMark refuses: pandoc tries
        // the inline link first (`Readers/Markdown.hs`, `link`: `regLink`, then
        // `referenceLink`), pulldown-cmark took the reference and left `(/b c)` as text.
        let sentinel = || {
            run.iter().any(|(e, r)| match e {
                Event::Start(Tag::Link {
                    dest_url,
                    link_type,
                    ..
                }) => {
                    &**dest_url == inlines::SENTINEL
                        || inlines::source_after(src, r.end, *link_type)
                }
                _ => false,
            })
        };
        if (!inlines::may_need_pass(src.get(whole).unwrap_or("")) && !sentinel()) || deep() {
            for (event, range) in run.drain(..) {
                self.event(event, range);
            }
            return;
        }
        let (heading, atx) = match self.stack.last() {
            Some(Frame {
                kind: Kind::Heading { .. },
                range,
                ..
            }) => (true, src.as_bytes().get(range.start) == Some(&b'#')),
            _ => (false, false),
        };
        let processed = inlines::process(run.drain(..), src, heading, atx);
        self.macros.extend(processed.macros);
        for p in processed.problems {
            let span = self.span(&p.range);
            self.diags
                .push(Diagnostic::warning(span, p.message).with_hint(p.hint));
        }
        if let Some(attr) = processed.heading {
            if let Some(Frame {
                kind: Kind::Heading { attr: a, .. },
                ..
            }) = self.stack.last_mut()
            {
                *a = attr;
            }
        }
        self.replay(processed.nodes);
    }

    /// Feeds the post-pass's tree to the builder, as events and wrappers.
    fn replay(&mut self, nodes: Vec<Node<'_>>) {
        for node in nodes {
            match node {
                Node::Text(t) => self.event(Event::Text(t.text), t.range),
                Node::Leaf(event, range) => self.event(event, range),
                Node::Tag(tag, range, children) => {
                    let end = tag.to_end();
                    self.event(Event::Start(tag), range.clone());
                    self.replay(children);
                    self.event(Event::End(end), range);
                }
                Node::Image(tag, range, children, attr, attr_range) => {
                    let end = tag.to_end();
                    self.event(Event::Start(tag), range.clone());
                    if let Some(Frame {
                        kind: Kind::Image { attr: a, .. },
                        ..
                    }) = self.stack.last_mut()
                    {
                        *a = Some((attr, attr_range));
                    }
                    self.replay(children);
                    self.event(Event::End(end), range);
                }
                Node::Span(attr, range, children) => {
                    self.wrapped(SpanKind::Bracketed(attr), range, children)
                }
                Node::Note(range, children) => self.wrapped(SpanKind::InlineNote, range, children),
                Node::Superscript(range, children) => {
                    self.wrapped(SpanKind::Superscript, range, children)
                }
                Node::Subscript(range, children) => {
                    self.wrapped(SpanKind::Subscript, range, children)
                }
                Node::Raw {
                    format,
                    text,
                    range,
                } => self.raw_inline(&format, &text, range),
                Node::Cite {
                    range,
                    items,
                    fallback,
                } => self.citation(range, items, fallback),
            }
        }
    }

    /// Issue 16: a citation the post-pass found, as an [`Inline::Cite`] (resolved by
    /// `crate::cite`). Its prefixes, suffixes and text as written are each read as
    /// inlines through a wrapper frame, which hands its content to `cite_parts`.
    fn citation(
        &mut self,
        range: Range<usize>,
        items: Vec<inlines::CiteNode<'_>>,
        fallback: Vec<Node<'_>>,
    ) {
        // Too deep for more frames: the text as written.
        if self.stack.len() + 2 >= MAX_DEPTH {
            self.replay(fallback);
            return;
        }
        // An inline note in a citation's prefix or suffix would be read twice, once in
        // the item and once in the text as written (both are kept: which one the book
        // shows is decided later, with the bibliography), leaving one of the two notes
        // without its reference: such a bracket is text with a note, not a citation.
        if contains_note(&fallback) {
            self.replay(fallback);
            return;
        }
        // `@label` of a numbered example is a reference to it, not a citation (pandoc's
        // Markdown reader tries the example labels first: `textualCite` fails on one);
        // the text as written becomes the example's number.
        if let [item] = items.as_slice() {
            if item.mode == crate::model::CiteMode::AuthorInText
                && self.shared.examples.get(&item.key).is_some()
            {
                self.replay(fallback);
                return;
            }
        }
        let mark = self.cite_parts.len();
        let mut heads = Vec::with_capacity(items.len());
        for item in items {
            self.wrapped(SpanKind::CitePart, range.clone(), item.prefix);
            self.wrapped(SpanKind::CitePart, range.clone(), item.suffix);
            heads.push((item.key, item.mode, self.span(&item.key_range)));
        }
        self.wrapped(SpanKind::CitePart, range.clone(), fallback);
        let mut parts = self.cite_parts.split_off(mark).into_iter();
        let mut cite_items = Vec::with_capacity(heads.len());
        for (key, mode, span) in heads {
            let (Some(prefix), Some(suffix)) = (parts.next(), parts.next()) else {
                return;
            };
            cite_items.push(crate::model::CiteItem {
                key,
                mode,
                prefix,
                suffix,
                span,
            });
        }
        let Some(fallback) = parts.next() else {
            return;
        };
        let span = self.span(&range);
        self.push_inline(Inline::Cite(Box::new(crate::model::Citation {
            items: cite_items,
            fallback,
            span,
        })));
    }

    /// A wrapper the post-pass found, as a frame around its children.
    fn wrapped(&mut self, kind: SpanKind, range: Range<usize>, children: Vec<Node<'_>>) {
        self.flush_text();
        self.push_container(Kind::Span(kind), range, Closer::Markdown);
        self.replay(children);
        self.flush_text();
        // Closes raw HTML left open inside, then the wrapper (as an `End` event does).
        self.end(TagEnd::Emphasis);
    }

    /// TeX math, rendered as text ([`math`]); a formula it cannot render is kept as its
    /// source, with a warning (as pandoc's plain math does).
    fn math(&mut self, tex: &str, display: bool, r: &Range<usize>) {
        let tex = clean_text(tex);
        let content = match math::render_with(&tex, &self.macros) {
            Ok(content) => content,
            Err(problem) => {
                let span = self.span(r);
                self.diags.push(
                    Diagnostic::warning(
                        span,
                        format!(
                            "this math cannot be set as text ({}); its TeX source is shown",
                            problem.unknown.join(", ")
                        ),
                    )
                    .with_hint(
                        "quire sets TeX math as text: letters, Greek, symbols, `^`, `_`,                          `\\frac`, `\\sqrt`, `\\mathbb` and the like; write the rest as an image",
                    ),
                );
                vec![Inline::Text(tex.trim().to_string())]
            }
        };
        self.push_inline(Inline::Math { display, content });
    }

    /// `` `…`{=format} ``: HTML kept (sanitised as raw HTML is), other formats left out
    /// (MANUAL, "Extension: raw_attribute"; pandoc's EPUB writer keeps `html`, `html5`,
    /// `html4`, `epub`, `epub3`).
    fn raw_inline(&mut self, format: &str, text: &str, range: Range<usize>) {
        if is_html_format(format) {
            self.flush_text();
            self.inline_html(text, range);
        } else {
            let span = self.span(&range);
            self.diags.push(raw_warning(format, "inline", span));
        }
    }

    /// A ```` ```{=format} ```` block: HTML kept as a raw HTML block, other formats left
    /// out.
    fn raw_block(&mut self, format: &str, text: &str, span: Span) {
        if !is_html_format(format) {
            self.diags.push(raw_warning(format, "block", span));
            return;
        }
        let at = move |_: usize| Span::new(span.file, span.start, span.start);
        let nodes = html::parse_block(text, &at, self.diags);
        if !nodes.is_empty() {
            self.push_block(Block::Html { nodes, span });
        }
    }

    /// A paragraph that is one image (pandoc's implicit_figures: "An image with nonempty
    /// alt text, occurring by itself in a paragraph, will be rendered as a figure with a
    /// caption"), or one image with attributes: a [`Block::Figure`].
    fn figure(&mut self, inlines: &[Inline], span: Span) -> Option<Block> {
        let [Inline::Image { asset, alt }] = inlines else {
            return None;
        };
        let info = self.images.remove(&asset.0)?;
        if alt.is_empty() && info.attr.is_none() {
            return None;
        }
        let (mut attr, at) = info.attr.unwrap_or((Attr::default(), span));
        let (width, height) = self.dimensions(&attr, at);
        if let Some(written) = attr.id.take() {
            attr.id = Some(self.claim_id(&written, at, "figure"));
        }
        let caption = if alt.is_empty() {
            Vec::new()
        } else {
            info.caption
        };
        // `{alt="…"}` describes the image apart from its caption (MANUAL,
        // "Extension: implicit_figures").
        let image = match attr.get("alt") {
            Some(described) => vec![Inline::Image {
                asset: *asset,
                alt: clean_text(described.trim()),
            }],
            None => inlines.to_vec(),
        };
        Some(Block::Figure {
            image,
            caption,
            attr,
            width,
            height,
            span,
        })
    }

    /// An image's `width` and `height`, when they are lengths; a warning for each that
    /// is not (quietly: the figure checks again, so only the first reading warns).
    fn dimensions(&mut self, attr: &Attr, at: Span) -> (Option<Dimension>, Option<Dimension>) {
        let mut read = |key: &str| -> Option<Dimension> {
            let value = attr.get(key)?;
            let dim = dimension(value);
            if dim.is_none()
                && !self
                    .diags
                    .iter()
                    .any(|d| d.span == Some(at) && d.message.contains(key))
            {
                self.diags.push(
                    Diagnostic::warning(
                        at,
                        format!("`{key}={value}` is not a length; the image keeps its own {key}"),
                    )
                    .with_hint("write a number with a unit: `60%`, `8cm`, `3in`, `120mm`, `300px` (no unit means pixels)"),
                );
            }
            dim
        };
        (read("width"), read("height"))
    }

    fn depth_exceeded(&mut self, r: &Range<usize>) -> bool {
        if self.stack.len() < MAX_DEPTH {
            return false;
        }
        if !self.depth_warned {
            self.depth_warned = true;
            let span = self.span(r);
            self.diags.push(
                Diagnostic::warning(
                    span,
                    format!("content nested deeper than {MAX_DEPTH} levels is flattened"),
                )
                .with_hint("lists, quotes and emphasis this deep cannot be shown as written"),
            );
        }
        true
    }

    fn push(&mut self, kind: Kind, r: Range<usize>) {
        self.stack.push(Frame::new(kind, r, Closer::Markdown));
    }

    /// Pushes a container, or a transparent frame when nesting is too deep.
    fn push_container(&mut self, kind: Kind, r: Range<usize>, closer: Closer) {
        let kind = if self.depth_exceeded(&r) {
            Kind::Transparent
        } else {
            kind
        };
        self.stack.push(Frame::new(kind, r, closer));
    }

    fn event(&mut self, event: Event<'_>, r: Range<usize>) {
        if let Event::Text(t) = &event {
            let raw_target = self.stack.last().is_some_and(|f| {
                matches!(
                    f.kind,
                    Kind::Code { .. } | Kind::HtmlBlock { .. } | Kind::Metadata { .. }
                )
            });
            if !raw_target {
                // An `@` that is not in the source as such (`\@`, `&#64;`) is no example
                // reference.
                let escaped_at = t.contains('@')
                    && self.shared.examples.any()
                    && self.text.get(r.clone()) != Some(&**t);
                let t: std::borrow::Cow<str> = if escaped_at {
                    t.replace('@', &ESCAPED_AT.to_string()).into()
                } else {
                    (&**t).into()
                };
                match &mut self.pending_text {
                    Some((text, range)) => {
                        text.push_str(&t);
                        range.end = r.end;
                    }
                    None => self.pending_text = Some((t.into_owned(), r)),
                }
                return;
            }
        }
        self.flush_text();
        match event {
            Event::Start(tag) => self.start(tag, r),
            Event::End(end) => self.end(end),
            Event::Text(t) => {
                if let Some(top) = self.stack.last_mut() {
                    match &mut top.kind {
                        Kind::Code { text, .. } => text.push_str(&t),
                        Kind::Metadata { text, start } => {
                            start.get_or_insert(r.start);
                            text.push_str(&t);
                        }
                        _ => {}
                    }
                }
            }
            Event::Html(h) => {
                if let Some(Frame {
                    kind: Kind::HtmlBlock { text, pieces },
                    ..
                }) = self.stack.last_mut()
                {
                    pieces.push((text.len(), r.start));
                    text.push_str(&h);
                }
            }
            Event::InlineHtml(h) => self.inline_html(&h, r),
            Event::Code(c) => self.push_inline(Inline::Code(clean_text(&c))),
            Event::InlineMath(m) => self.math(&m, false, &r),
            Event::DisplayMath(m) => self.math(&m, true, &r),
            Event::FootnoteReference(label) => {
                if self.level > 0 {
                    let span = self.span(&r);
                    self.nested_refs.push((label.to_string(), span));
                }
                let note = self.shared.note_key(self.file, &label);
                self.push_inline(Inline::NoteRef {
                    note,
                    occurrence: 0,
                });
            }
            Event::SoftBreak => self.push_inline(Inline::SoftBreak),
            Event::HardBreak => self.push_inline(Inline::LineBreak),
            Event::Rule => {
                let span = self.span(&r);
                self.push_block(Block::ThematicBreak { span });
            }
            Event::TaskListMarker(done) => {
                self.push_inline(Inline::Text(if done { "☒ " } else { "☐ " }.into()))
            }
        }
    }

    /// Emits merged text, reporting `[^label]` left as text: pulldown-cmark leaves a
    /// reference to an undefined note as literal text (its docs, `Options::ENABLE_FOOTNOTES`).
    fn flush_text(&mut self) {
        let Some((mut text, range)) = self.pending_text.take() else {
            return;
        };
        if text.contains("[^") {
            self.report_undefined_notes(&range);
        }
        // The pre-pass's placeholders and guards, turned back or dropped.
        if self.pre.placeholders && text.contains(PLACEHOLDER_COLON) {
            text = text.replace(PLACEHOLDER_COLON, ":");
        }
        if self.level > 0 && text.contains(GUARD) {
            text = text.replace(GUARD, "");
        }
        if self.shared.examples.any() && text.contains('@') {
            text = self.example_references(&text, &range);
        }
        if text.contains(ESCAPED_AT) {
            text = text.replace(ESCAPED_AT, "@");
        }
        if text.contains('@') && text.contains('<') && !text.is_ascii() {
            let source = self.text.get(range.clone()).unwrap_or("");
            let mut rest = text.as_str();
            while let Some((before, address, after)) = email_autolink(rest, source) {
                match urls::external_url(&format!("mailto:{address}")) {
                    Ok(url) => {
                        self.push_inline(Inline::Text(clean_text(before)));
                        self.push_inline(Inline::Link {
                            target: LinkTarget::External(url),
                            content: vec![Inline::Text(address.to_string())],
                        });
                    }
                    Err(_) => self
                        .push_inline(Inline::Text(clean_text(&rest[..rest.len() - after.len()]))),
                }
                rest = after;
            }
            self.push_inline(Inline::Text(clean_text(rest)));
            return;
        }
        self.push_inline(Inline::Text(clean_text(&text)));
    }

    /// `@label` in text → the number of the example so labelled (MANUAL "Extension:
    /// example_lists"); a label no example has is reported, and kept as written.
    fn example_references(&mut self, text: &str, range: &Range<usize>) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        // Whether the text is the source as written, so positions can be pointed at.
        let exact = self.text.get(range.clone()) == Some(text);
        let mut consumed = 0;
        while let Some(i) = rest.find('@') {
            let before = rest[..i]
                .chars()
                .next_back()
                .or_else(|| out.chars().next_back());
            out.push_str(&rest[..i]);
            let tail = &rest[i + 1..];
            let mut len = tail
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
                .count();
            let preceded = before.is_some_and(|c| c.is_alphanumeric() || c == '@');
            if len == 0 || preceded {
                out.push('@');
                consumed += i + 1;
                rest = tail;
                continue;
            }
            let mut found = self.shared.examples.get(&tail[..len]);
            while found.is_none() && len > 1 && tail[..len].ends_with(['-', '_']) {
                len -= 1;
                found = self.shared.examples.get(&tail[..len]);
            }
            // `[@key]`, `[-@key]`, `[@a; @b]` are citations (a later issue), not
            // example references: kept as written, without a warning.
            let citation = matches!(before, Some('[' | '-' | ';'));
            match found {
                Some(n) => out.push_str(&n.to_string()),
                None if citation => {
                    out.push('@');
                    out.push_str(&tail[..len]);
                }
                None => {
                    let at = if exact {
                        range.start + consumed + i
                    } else {
                        range.start
                    };
                    let span = self.span(&(at..at + len + 1));
                    let label = &tail[..len];
                    self.diags.push(
                        Diagnostic::warning(
                            span,
                            format!("`@{label}` refers to no numbered example"),
                        )
                        .with_hint(format!(
                            "label an example item `(@{label})` in this file or an earlier one, \
                             or write `\\@` for a literal `@`"
                        )),
                    );
                    out.push('@');
                    out.push_str(label);
                }
            }
            consumed += i + 1 + len;
            rest = &tail[len..];
        }
        out.push_str(rest);
        out
    }

    fn report_undefined_notes(&mut self, range: &Range<usize>) {
        let src = &self.text[range.start.min(self.text.len())..range.end.min(self.text.len())];
        let mut from = 0;
        while let Some(i) = src[from..].find("[^") {
            let at = from + i;
            from = at + 2;
            if at > 0 && src.as_bytes()[at - 1] == b'\\' {
                continue;
            }
            let rest = &src[at + 2..];
            let Some(close) = rest.find(']') else {
                continue;
            };
            let label = &rest[..close];
            if label.is_empty() || label.len() > 200 || label.chars().any(char::is_whitespace) {
                continue;
            }
            let start = range.start + at;
            let span = self.span(&(start..start + close + 3));
            self.diags.push(
                Diagnostic::error(span, format!("note `[^{label}]` is referenced but never defined"))
                    .with_hint(format!("add `[^{label}]: …` to this file (note labels belong to the file they are used in)")),
            );
        }
    }

    fn start(&mut self, tag: Tag<'_>, r: Range<usize>) {
        match tag {
            Tag::Paragraph => self.push(Kind::Paragraph, r),
            Tag::Heading { level, .. } => {
                let level = heading_level(level);
                self.push(
                    Kind::Heading {
                        level,
                        attr: Attr::default(),
                    },
                    r,
                );
            }
            Tag::BlockQuote(_) => self.push_container(Kind::Quote, r, Closer::Markdown),
            Tag::List(start) => {
                let (start, numbering) = match start {
                    Some(n) => {
                        let (n, numbering) = self.list_numbering(n, &r);
                        (Some(n), numbering)
                    }
                    None => (None, ListNumbering::default()),
                };
                self.push_container(
                    Kind::List {
                        start,
                        numbering,
                        items: Vec::new(),
                    },
                    r,
                    Closer::Markdown,
                )
            }
            Tag::Item => {
                let under_list = self
                    .stack
                    .last()
                    .is_some_and(|f| matches!(f.kind, Kind::List { .. }));
                if under_list {
                    self.split_list_at(&r);
                }
                let kind = if under_list {
                    Kind::Item
                } else {
                    Kind::Transparent
                };
                self.push(kind, r);
            }
            Tag::FootnoteDefinition(label) => self.push(
                Kind::NoteDef {
                    label: label.to_string(),
                },
                r,
            ),
            Tag::CodeBlock(kind) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().map(str::to_string)
                    }
                    CodeBlockKind::Indented => None,
                };
                self.push(
                    Kind::Code {
                        lang,
                        text: String::new(),
                    },
                    r,
                );
            }
            Tag::HtmlBlock => self.push(
                Kind::HtmlBlock {
                    text: String::new(),
                    pieces: Vec::new(),
                },
                r,
            ),
            Tag::MetadataBlock(_) => self.push(
                Kind::Metadata {
                    text: String::new(),
                    start: None,
                },
                r,
            ),
            Tag::Table(aligns) => {
                let align = aligns
                    .iter()
                    .map(|a| match a {
                        Alignment::None => Align::None,
                        Alignment::Left => Align::Left,
                        Alignment::Center => Align::Center,
                        Alignment::Right => Align::Right,
                    })
                    .collect();
                self.push(
                    Kind::Table {
                        align,
                        head: Vec::new(),
                        rows: Vec::new(),
                    },
                    r,
                );
            }
            Tag::TableHead => self.push(
                Kind::Cells {
                    head: true,
                    cells: Vec::new(),
                },
                r,
            ),
            Tag::TableRow => self.push(
                Kind::Cells {
                    head: false,
                    cells: Vec::new(),
                },
                r,
            ),
            Tag::TableCell => self.push(Kind::Cell, r),
            Tag::Emphasis => {
                self.push_container(Kind::Span(SpanKind::Emphasis), r, Closer::Markdown)
            }
            Tag::Strong => self.push_container(Kind::Span(SpanKind::Strong), r, Closer::Markdown),
            Tag::Strikethrough => {
                self.push_container(Kind::Span(SpanKind::Strikethrough), r, Closer::Markdown)
            }
            Tag::Superscript => {
                self.push_container(Kind::Span(SpanKind::Superscript), r, Closer::Markdown)
            }
            Tag::Subscript => {
                self.push_container(Kind::Span(SpanKind::Subscript), r, Closer::Markdown)
            }
            Tag::Link {
                link_type,
                dest_url,
                ..
            } => {
                let kind = Kind::Span(SpanKind::Link {
                    dest: dest_url.to_string(),
                    link_type,
                });
                self.push_container(kind, r, Closer::Markdown);
            }
            Tag::Image { dest_url, .. } => self.push(
                Kind::Image {
                    dest: dest_url.to_string(),
                    alt: String::new(),
                    attr: None,
                },
                r,
            ),
            // pandoc's definition lists (issue 12).
            Tag::DefinitionList => {
                self.push_container(Kind::DefList { items: Vec::new() }, r, Closer::Markdown)
            }
            Tag::DefinitionListTitle => self.push(Kind::DefTerm, r),
            Tag::DefinitionListDefinition => {
                self.push_container(Kind::DefDefinition, r, Closer::Markdown)
            }
        }
    }

    /// Closes frames up to and including the innermost one closed by Markdown.
    fn end(&mut self, _end: TagEnd) {
        while let Some(frame) = self.stack.pop() {
            let markdown = frame.closer == Closer::Markdown;
            if self.stack.is_empty() {
                // The root never closes early.
                self.stack.push(frame);
                return;
            }
            self.close(frame);
            if markdown {
                return;
            }
        }
    }

    fn close(&mut self, mut frame: Frame) {
        let span = self.span(&frame.range);
        if frame.holds_blocks() && !frame.inlines.is_empty() {
            let content = std::mem::take(&mut frame.inlines);
            frame.blocks.push(Block::Paragraph { content, span });
        }
        match frame.kind {
            Kind::Root => {}
            Kind::Quote => self.push_block(Block::BlockQuote {
                blocks: frame.blocks,
                span,
            }),
            Kind::List {
                start,
                numbering,
                items,
            } => self.push_block(Block::List {
                start,
                numbering,
                items,
                span,
            }),
            // pandoc's block constructs (issue 12).
            Kind::Div { attr } => self.push_block(Block::Div {
                attr,
                blocks: frame.blocks,
                span,
            }),
            Kind::DefList { items } => {
                if !items.is_empty() {
                    self.push_block(Block::DefinitionList { items, span })
                }
            }
            Kind::DefTerm => {
                if let Some(Frame {
                    kind: Kind::DefList { items },
                    ..
                }) = self.stack.last_mut()
                {
                    items.push(DefinitionItem {
                        term: frame.inlines,
                        definitions: Vec::new(),
                    });
                }
            }
            Kind::DefDefinition => {
                if let Some(Frame {
                    kind: Kind::DefList { items },
                    ..
                }) = self.stack.last_mut()
                {
                    match items.last_mut() {
                        Some(item) => item.definitions.push(frame.blocks),
                        None => items.push(DefinitionItem {
                            term: Vec::new(),
                            definitions: vec![frame.blocks],
                        }),
                    }
                } else {
                    // A definition outside a list (nesting flattened): its blocks stay.
                    for block in frame.blocks {
                        self.push_block(block);
                    }
                }
            }
            Kind::Item => {
                if let Some(Frame {
                    kind: Kind::List { items, .. },
                    ..
                }) = self.stack.last_mut()
                {
                    items.push(frame.blocks);
                }
            }
            Kind::NoteDef { label } => {
                let key = normalise_label(&label);
                if self
                    .out
                    .defs
                    .iter()
                    .any(|d| normalise_label(&d.label) == key)
                {
                    self.diags.push(
                        Diagnostic::warning(span, format!("note `[^{label}]` is defined twice"))
                            .with_hint(
                                "the first definition is used; give this note its own label",
                            ),
                    );
                } else {
                    self.out.defs.push(NoteDef {
                        label,
                        blocks: frame.blocks,
                        span,
                    });
                }
            }
            Kind::Paragraph => {
                if let (Some(found), 1) = (&mut self.snippets, self.stack.len()) {
                    // An inline-only nested parse: the paragraph is a snippet's content.
                    found.push((frame.range.start, frame.inlines));
                } else if let Some(figure) = self.figure(&frame.inlines, span) {
                    self.push_block(figure);
                } else if !frame.inlines.is_empty() {
                    self.push_block(Block::Paragraph {
                        content: frame.inlines,
                        span,
                    });
                }
                self.images.clear();
            }
            Kind::Heading { level, attr } => {
                self.images.clear();
                let key = self.text.get(frame.range.clone()).and_then(heading_key);
                self.close_heading(level, attr, frame.inlines, span, key)
            }
            Kind::Span(kind) => self.close_span(kind, frame.inlines, span),
            Kind::Image { dest, alt, attr } => {
                let index = self.shared.images.len() as u32;
                self.shared.images.push(PendingImage { src: dest, span });
                let attr = attr.map(|(a, r)| {
                    let at = self.span(&r);
                    (a, at)
                });
                if let Some((a, at)) = &attr {
                    // Checked here for every image, a figure or not.
                    let _ = self.dimensions(a, *at);
                }
                self.images.insert(
                    index,
                    ImageInfo {
                        caption: frame.inlines,
                        attr,
                    },
                );
                self.push_inline(Inline::Image {
                    asset: AssetId(index),
                    alt: clean_text(alt.trim()),
                });
            }
            Kind::Code { lang, text } => {
                if let Some(Ok((attrs::Braced::Raw(format), _))) = lang.as_deref().map(attrs::parse)
                {
                    self.raw_block(&format, &text, span);
                } else {
                    self.push_block(Block::CodeBlock {
                        lang,
                        text: expand_tabs(&clean_text(&text), TAB_STOP),
                        span,
                    })
                }
            }
            Kind::HtmlBlock { text, pieces } => {
                let file = self.file;
                let cleaned = self.cleaned;
                let nested = self.nested;
                let at = move |i: usize| {
                    let k = pieces.partition_point(|&(off, _)| off <= i);
                    let pos = if k == 0 {
                        i
                    } else {
                        pieces[k - 1].1 + (i - pieces[k - 1].0)
                    };
                    let o = cleaned.original(nested.map_or(pos, |n| n.source(pos)));
                    Span::new(file, o, o)
                };
                let nodes = html::parse_block(&text, &at, self.diags);
                if !nodes.is_empty() {
                    self.push_block(Block::Html { nodes, span });
                }
            }
            Kind::Metadata { text, start } => {
                let start = self.cleaned.original(start.unwrap_or(frame.range.start));
                self.out.metadata.push((text, start));
            }
            Kind::Table { align, head, rows } => self.push_block(Block::Table {
                align,
                widths: Vec::new(),
                head,
                rows,
                caption: Vec::new(),
                span,
            }),
            Kind::Cells { head, cells } => {
                if let Some(Frame {
                    kind: Kind::Table { head: h, rows, .. },
                    ..
                }) = self.stack.last_mut()
                {
                    if head {
                        *h = cells;
                    } else {
                        rows.push(cells);
                    }
                }
            }
            Kind::Cell => {
                if let Some(Frame {
                    kind: Kind::Cells { cells, .. },
                    ..
                }) = self.stack.last_mut()
                {
                    // A pipe table's cell: one paragraph, or nothing.
                    cells.push(if frame.inlines.is_empty() {
                        Vec::new()
                    } else {
                        vec![Block::Paragraph {
                            content: frame.inlines,
                            span,
                        }]
                    });
                }
            }
            Kind::Transparent => {
                for block in frame.blocks {
                    self.push_block(block);
                }
                for inline in frame.inlines {
                    self.push_inline(inline);
                }
            }
            Kind::Dropped => {}
        }
    }

    fn close_heading(
        &mut self,
        level: u8,
        attr: Attr,
        content: Vec<Inline>,
        span: Span,
        key: Option<String>,
    ) {
        // A nested parse (a table cell) never starts a chapter.
        let at_root = self.stack.len() == 1 && self.level == 0;
        let id = match &attr.id {
            Some(written) => self.claim_id(written, span, "heading"),
            None => {
                let wanted = slug(&plain_text(&content));
                let id = self.shared.ids.claim(&wanted);
                self.out.anchors.entry(wanted).or_insert_with(|| id.clone());
                id
            }
        };
        // For implicit header references: the first heading of a text is theirs.
        if let Some(key) = key {
            self.out
                .anchors
                .entry(format!("{HEADER_REF}{key}"))
                .or_insert_with(|| id.clone());
        }
        if level == 1 && at_root {
            self.finish_chapter();
            self.current = Some(ChapterDraft {
                title: content,
                id,
                attr,
                blocks: Vec::new(),
                span,
            });
        } else {
            // A level-1 heading inside a quote or list cannot start a chapter.
            self.push_block(Block::Heading {
                level: level.max(2),
                content,
                id,
                attr,
                span,
            });
        }
    }

    /// Claims the id the author wrote (`{#id}`) for a `what` (heading, span, figure):
    /// made valid if it is not (pandoc-crossref's `fig:x` becomes `fig-x` quietly: links
    /// to `#fig:x` still find it), unique across the book; links to the written id go
    /// to it. Returns the id given.
    fn claim_id(&mut self, written: &str, span: Span, what: &str) -> String {
        let wanted = if is_valid_id(written) {
            written.to_string()
        } else if is_valid_id(&written.replace(':', "-")) {
            written.replace(':', "-")
        } else {
            let s = slug(written);
            self.diags.push(
                Diagnostic::warning(
                    span,
                    format!("`{{#{written}}}` is not a valid id; `{s}` is used"),
                )
                .with_hint(
                    "an id starts with a letter and holds only letters, digits, `-`, `_` and `.`",
                ),
            );
            s
        };
        let id = self.shared.ids.claim(&wanted);
        if id != wanted {
            self.diags.push(
                Diagnostic::warning(
                    span,
                    format!("id `{wanted}` is already used; this {what} gets `{id}`"),
                )
                .with_hint(format!(
                    "ids must be unique across the book; links to `#{wanted}` go to the first"
                )),
            );
        }
        self.out
            .anchors
            .entry(written.to_string())
            .or_insert_with(|| id.clone());
        self.out.anchors.entry(wanted).or_insert_with(|| id.clone());
        id
    }

    fn close_span(&mut self, kind: SpanKind, content: Vec<Inline>, span: Span) {
        let inline = match kind {
            SpanKind::Emphasis => Inline::Emphasis(content),
            SpanKind::Strong => Inline::Strong(content),
            SpanKind::Strikethrough => Inline::Strikethrough(content),
            SpanKind::Superscript => Inline::Superscript(content),
            SpanKind::Subscript => Inline::Subscript(content),
            SpanKind::Bracketed(mut attr) => {
                if let Some(written) = attr.id.take() {
                    attr.id = Some(self.claim_id(&written, span, "span"));
                }
                Inline::Span { attr, content }
            }
            SpanKind::CitePart => {
                self.cite_parts.push(content);
                return;
            }
            SpanKind::InlineNote => {
                // A label no `[^label]` can have (a label never holds `]`), unique in
                // the file; numbered with the other notes by the first reference.
                self.inline_notes += 1;
                let label = format!("]{}", self.inline_notes);
                let note = self.shared.note_key(self.file, &label);
                self.out.defs.push(NoteDef {
                    label,
                    blocks: vec![Block::Paragraph { content, span }],
                    span,
                });
                Inline::NoteRef {
                    note,
                    occurrence: 0,
                }
            }
            SpanKind::Link { dest, link_type } => {
                // A raw HTML `<a>` inside a Markdown link: links do not nest (HTML §4.5.1).
                let content = if contains_link(&content) {
                    unlink(content)
                } else {
                    content
                };
                // pandoc decodes entities in an autolink (`<http://g&ouml;gle.com>`, its
                // `uri` and `emailAddress` read them as characters), CommonMark (§6.5)
                // keeps them as written: the address and its text, as pandoc.
                let autolink = matches!(link_type, LinkType::Autolink | LinkType::Email);
                let (dest, content) = if autolink && dest.contains('&') {
                    let content = content
                        .into_iter()
                        .map(|i| match i {
                            Inline::Text(t) if t.contains('&') => {
                                Inline::Text(html::decode_entities(&t))
                            }
                            other => other,
                        })
                        .collect();
                    (html::decode_entities(&dest), content)
                } else {
                    (dest, content)
                };
                let dest = if link_type == LinkType::Email && !dest.starts_with("mailto:") {
                    format!("mailto:{dest}")
                } else {
                    dest
                };
                if urls::url_scheme(&dest).is_some() {
                    match urls::external_url(&clean_text(&dest)) {
                        Ok(url) => Inline::Link {
                            target: LinkTarget::External(url),
                            content,
                        },
                        Err(problem) => {
                            self.diags
                                .push(urls::url_warning(span, &dest, &problem, ""));
                            self.push_inlines(content);
                            return;
                        }
                    }
                } else {
                    let index = self.shared.links.len();
                    let fallback = dest.strip_prefix(['#']).and_then(|d| {
                        let (_, label) = d.strip_prefix(HEADER_REF)?.split_once(HEADER_REF)?;
                        Some(match link_type {
                            LinkType::Shortcut => ("[".into(), "]".into()),
                            LinkType::Collapsed => ("[".into(), "][]".into()),
                            _ => ("[".into(), format!("][{label}]")),
                        })
                    });
                    self.shared.links.push(PendingLink {
                        href: dest,
                        file: self.file,
                        span,
                        fallback,
                    });
                    Inline::Link {
                        target: LinkTarget::Internal(format!("{PENDING}{index}")),
                        content,
                    }
                }
            }
            SpanKind::Html { name, attrs } => {
                if name == "a" {
                    // `sanitize_attrs` kept only a valid external `href`.
                    match attrs.iter().find(|(a, _)| a == "href") {
                        Some((_, href)) if !contains_link(&content) => Inline::Link {
                            target: LinkTarget::External(href.clone()),
                            content,
                        },
                        _ => {
                            self.push_inlines(content);
                            return;
                        }
                    }
                } else {
                    match inlines_to_html(&content) {
                        Some(children) => Inline::Html(vec![crate::model::HtmlNode::Element {
                            name,
                            attrs,
                            children,
                        }]),
                        None => {
                            self.push_inlines(content);
                            return;
                        }
                    }
                }
            }
        };
        self.push_inline(inline);
    }

    /// One raw inline HTML event: usually a single tag.
    fn inline_html(&mut self, h: &str, r: Range<usize>) {
        let span = self.span(&r);
        for token in html::tokenize(h) {
            match token {
                Token::Ignored => {}
                Token::Text { text, .. } => self.push_inline(Inline::Text(clean_text(&text))),
                Token::Start {
                    name,
                    attrs,
                    self_closing,
                    ..
                } => match html::classify(&name) {
                    Class::Dangerous => {
                        self.diags.push(html::dangerous_warning(&name, span));
                        if !self_closing
                            && name != "embed"
                            && name != "input"
                            && name != "link"
                            && name != "meta"
                        {
                            self.stack.push(Frame::new(
                                Kind::Dropped,
                                r.clone(),
                                Closer::Html(name),
                            ));
                        }
                    }
                    Class::Image => {
                        self.diags.push(html::image_warning(span));
                        if let Some((_, alt)) = attrs.iter().find(|(a, _)| a == "alt") {
                            self.push_inline(Inline::Text(clean_text(alt)));
                        }
                    }
                    Class::Unwrap => self.diags.push(html::unwrap_warning(&name, span)),
                    Class::Void if !html::is_phrasing(&name) => {
                        self.diags.push(html::inline_block_warning(&name, span));
                    }
                    Class::Allowed if !html::is_phrasing(&name) => {
                        self.diags.push(html::inline_block_warning(&name, span));
                    }
                    Class::Void => {
                        if name == "br" {
                            self.push_inline(Inline::LineBreak);
                        } else {
                            let attrs = html::sanitize_attrs(&name, &attrs, span, self.diags);
                            let node = crate::model::HtmlNode::Element {
                                name,
                                attrs,
                                children: Vec::new(),
                            };
                            self.push_inline(Inline::Html(vec![node]));
                        }
                    }
                    Class::Allowed if self_closing => {}
                    Class::Allowed => {
                        // Checked for every element, so a dropped `onclick` on a `<b>`
                        // (which becomes plain strong emphasis) is still reported.
                        let kept = html::sanitize_attrs(&name, &attrs, span, self.diags);
                        let kind = match name.as_str() {
                            "em" | "i" => SpanKind::Emphasis,
                            "strong" | "b" => SpanKind::Strong,
                            "s" | "del" => SpanKind::Strikethrough,
                            "sup" => SpanKind::Superscript,
                            "sub" => SpanKind::Subscript,
                            _ => SpanKind::Html {
                                name: name.clone(),
                                attrs: kept,
                            },
                        };
                        self.push_container(Kind::Span(kind), r.clone(), Closer::Html(name));
                    }
                },
                Token::End { name, .. } => {
                    // Close up to the matching raw-HTML frame, but never past a Markdown
                    // frame; a stray end tag is dropped (as an HTML parser does).
                    let mut found = None;
                    for (i, f) in self.stack.iter().enumerate().rev() {
                        match &f.closer {
                            Closer::Html(n) if *n == name => {
                                found = Some(i);
                                break;
                            }
                            Closer::Html(_) => {}
                            Closer::Markdown | Closer::Fence => break,
                        }
                    }
                    if let Some(i) = found {
                        while self.stack.len() > i {
                            if let Some(frame) = self.stack.pop() {
                                self.close(frame);
                            }
                        }
                    }
                }
            }
        }
    }

    /// The innermost frame that takes content (skipping transparent ones).
    fn target(&mut self) -> Option<&mut Frame> {
        self.stack
            .iter_mut()
            .rev()
            .find(|f| !matches!(f.kind, Kind::Transparent))
    }

    fn push_inlines(&mut self, inlines: Vec<Inline>) {
        for inline in inlines {
            self.push_inline(inline);
        }
    }

    fn push_inline(&mut self, inline: Inline) {
        let Some(frame) = self.target() else { return };
        let takes = frame.holds_inlines() || frame.holds_blocks();
        match &mut frame.kind {
            Kind::Dropped => {}
            Kind::Image { alt, .. } => {
                alt.push_str(&plain_text(std::slice::from_ref(&inline)));
                // The alt text as inlines too: a figure's caption.
                match (&inline, frame.inlines.last_mut()) {
                    (Inline::Text(new), Some(Inline::Text(prev))) => prev.push_str(new),
                    _ => frame.inlines.push(inline),
                }
            }
            _ if takes => {
                if let (Inline::Text(new), Some(Inline::Text(prev))) =
                    (&inline, frame.inlines.last_mut())
                {
                    prev.push_str(new);
                    return;
                }
                if matches!(&inline, Inline::Text(t) if t.is_empty()) {
                    return;
                }
                frame.inlines.push(inline);
            }
            _ => {}
        }
    }

    fn push_block(&mut self, block: Block) {
        let Some(frame) = self.target() else { return };
        if !frame.holds_blocks() {
            return;
        }
        if !frame.inlines.is_empty() {
            let content = std::mem::take(&mut frame.inlines);
            frame.blocks.push(Block::Paragraph {
                content,
                span: block.span(),
            });
        }
        // Two definition lists in a row are one (pandoc reads the terms between blank
        // lines as one list; pulldown-cmark may end a list at a definition left empty
        // by the pre-pass).
        if let (
            Block::DefinitionList { items, .. },
            Some(Block::DefinitionList { items: before, .. }),
        ) = (&block, frame.blocks.last_mut())
        {
            before.extend(items.iter().cloned());
            return;
        }
        frame.blocks.push(block);
    }

    /// Moves the root's blocks into the current chapter (or the leading blocks).
    fn finish_chapter(&mut self) {
        let blocks = match self.stack.first_mut() {
            Some(root) => std::mem::take(&mut root.blocks),
            None => Vec::new(),
        };
        match &mut self.current {
            Some(ch) => ch.blocks.extend(blocks),
            None => self.out.leading.extend(blocks),
        }
        if let Some(ch) = self.current.take() {
            self.out.chapters.push(ch);
        }
    }

    fn finish(mut self) -> FileContent {
        self.flush_text();
        while self.stack.len() > 1 {
            if let Some(frame) = self.stack.pop() {
                self.close(frame);
            }
        }
        self.finish_chapter();
        self.out
    }
}

/// The formats whose raw content the EPUB keeps (pandoc's `isRawHtml` and EPUB formats).
fn is_html_format(format: &str) -> bool {
    matches!(
        format.to_ascii_lowercase().as_str(),
        "html" | "html4" | "html5" | "epub" | "epub2" | "epub3" | "xhtml"
    )
}

fn raw_warning(format: &str, what: &str, span: Span) -> Diagnostic {
    Diagnostic::warning(
        span,
        format!("a raw `{format}` {what} is left out of the book"),
    )
    .with_hint("raw content reaches only its own output format; quire writes HTML (`{=html}`) into the EPUB and nothing raw into the PDF")
}

/// An image dimension as pandoc reads it (MANUAL, "Extension: link_attributes": "When
/// used without a unit, the unit is assumed to be pixels. However, any of the following
/// unit identifiers can be used: `px`, `cm`, `mm`, `in`, `inch` and `%`. There must not
/// be any spaces between the number and the unit.").
pub(crate) fn dimension(value: &str) -> Option<Dimension> {
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let number: f32 = value[..split].parse().ok()?;
    if !number.is_finite() || number <= 0.0 {
        return None;
    }
    Some(match &value[split..] {
        "" | "px" => Dimension::Pixels(number),
        "%" if number <= 100.0 => Dimension::Percent(number),
        "cm" => Dimension::Points(number * 72.0 / 2.54),
        "mm" => Dimension::Points(number * 72.0 / 25.4),
        "in" | "inch" => Dimension::Points(number * 72.0),
        "pt" => Dimension::Points(number),
        "pc" => Dimension::Points(number * 12.0),
        "em" => Dimension::Em(number),
        _ => return None,
    })
}

fn heading_level(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// The text of inlines, for slugs and alt text.
pub(crate) use crate::model::plain_text;

/// Inlines as HTML nodes, for content inside a kept raw HTML element; `None` when some
/// inline (a note, image or link) cannot live inside raw HTML.
fn inlines_to_html(inlines: &[Inline]) -> Option<Vec<crate::model::HtmlNode>> {
    use crate::model::HtmlNode;
    let el = |name: &str, c: &[Inline]| -> Option<HtmlNode> {
        Some(HtmlNode::Element {
            name: name.into(),
            attrs: Vec::new(),
            children: inlines_to_html(c)?,
        })
    };
    let mut out = Vec::new();
    for inline in inlines {
        out.push(match inline {
            Inline::Text(t) => HtmlNode::Text(t.clone()),
            Inline::SoftBreak => HtmlNode::Text(" ".into()),
            Inline::Code(t) => HtmlNode::Element {
                name: "code".into(),
                attrs: Vec::new(),
                children: vec![HtmlNode::Text(t.clone())],
            },
            Inline::LineBreak => HtmlNode::Element {
                name: "br".into(),
                attrs: Vec::new(),
                children: Vec::new(),
            },
            Inline::Emphasis(c) => el("em", c)?,
            Inline::Strong(c) => el("strong", c)?,
            Inline::Strikethrough(c) => el("s", c)?,
            Inline::Superscript(c) => el("sup", c)?,
            Inline::Subscript(c) => el("sub", c)?,
            Inline::Html(nodes) => {
                out.extend(nodes.iter().cloned());
                continue;
            }
            Inline::Span { content, .. } | Inline::Math { content, .. } => {
                out.extend(inlines_to_html(content)?);
                continue;
            }
            Inline::Cite(c) => {
                out.extend(inlines_to_html(&c.fallback)?);
                continue;
            }
            Inline::Link { .. } | Inline::Image { .. } | Inline::NoteRef { .. } => return None,
        });
    }
    Some(out)
}

/// Whether inlines hold a link (links cannot nest: HTML §4.5.1, `a` content model).
fn contains_link(inlines: &[Inline]) -> bool {
    let mut stack: Vec<&Inline> = inlines.iter().collect();
    while let Some(inline) = stack.pop() {
        match inline {
            Inline::Link { .. } => return true,
            Inline::Emphasis(c)
            | Inline::Strong(c)
            | Inline::Strikethrough(c)
            | Inline::Superscript(c)
            | Inline::Subscript(c)
            | Inline::Span { content: c, .. }
            | Inline::Math { content: c, .. } => stack.extend(c.iter()),
            _ => {}
        }
    }
    false
}

/// Inlines with every link replaced by its content. Recursion is bounded by the nesting
/// cap ([`MAX_DEPTH`]).
fn unlink(inlines: Vec<Inline>) -> Vec<Inline> {
    let mut out = Vec::with_capacity(inlines.len());
    for inline in inlines {
        match inline {
            Inline::Link { content, .. } => out.extend(unlink(content)),
            Inline::Emphasis(c) => out.push(Inline::Emphasis(unlink(c))),
            Inline::Strong(c) => out.push(Inline::Strong(unlink(c))),
            Inline::Strikethrough(c) => out.push(Inline::Strikethrough(unlink(c))),
            Inline::Superscript(c) => out.push(Inline::Superscript(unlink(c))),
            Inline::Subscript(c) => out.push(Inline::Subscript(unlink(c))),
            Inline::Span { attr, content } => out.push(Inline::Span {
                attr,
                content: unlink(content),
            }),
            other => out.push(other),
        }
    }
    out
}

/// Whether `nodes` hold an inline note at any depth.
fn contains_note(nodes: &[Node<'_>]) -> bool {
    nodes.iter().any(|n| match n {
        Node::Note(..) => true,
        Node::Tag(_, _, c)
        | Node::Span(_, _, c)
        | Node::Superscript(_, c)
        | Node::Subscript(_, c)
        | Node::Image(_, _, c, _, _) => contains_note(c),
        Node::Cite { fallback, .. } => contains_note(fallback),
        _ => false,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod caption_tests {
    use crate::model::{Block, Inline};
    use crate::source::{SourceFile, SourceMap};

    /// The blocks of a one-file manuscript's first chapter.
    fn blocks(text: &str) -> Vec<Block> {
        let mut map = SourceMap::new("/nonexistent-quire-root");
        map.add(SourceFile::new("book.md", text));
        let parsed = crate::parse::parse(&map, &crate::files::Files::none(&map.root));
        parsed.book.unwrap().chapters.remove(0).blocks
    }

    fn kinds(blocks: &[Block]) -> Vec<String> {
        blocks
            .iter()
            .map(|b| match b {
                Block::Table { caption, .. } => {
                    format!("table[{}]", crate::model::plain_text(caption))
                }
                Block::Paragraph { content, .. } => {
                    format!("p[{}]", crate::model::plain_text(content))
                }
                Block::BlockQuote { blocks, .. } => format!("quote{:?}", kinds(blocks)),
                _ => "other".into(),
            })
            .collect()
    }

    const TABLE: &str = "| a | b |\n|---|---|\n| 1 | 2 |\n";

    #[test]
    fn code_blocks_have_their_tabs_expanded_as_pandoc_does() {
        let b = blocks("# C\n\n\t<div>\n\t\tfoo\n\t</div>\n\n```\na\tb\n```\n");
        let texts: Vec<&str> = b
            .iter()
            .filter_map(|b| match b {
                Block::CodeBlock { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(texts, ["<div>\n    foo\n</div>\n", "a   b\n"]);
    }

    #[test]
    fn caption_after_or_before_a_table() {
        let after = blocks(&format!(
            "# C\n\nText.\n\n{TABLE}\n: Numbers *here*\n\nMore.\n"
        ));
        assert_eq!(
            kinds(&after),
            ["p[Text.]", "table[Numbers here]", "p[More.]"]
        );
        // The emphasis survives the marker's removal.
        let Block::Table { caption, .. } = &after[1] else {
            panic!()
        };
        assert!(
            matches!(caption.last(), Some(Inline::Emphasis(_))),
            "{caption:?}"
        );
        let before = blocks(&format!("# C\n\nTable: Numbers\n\n{TABLE}\nMore.\n"));
        assert_eq!(kinds(&before), ["table[Numbers]", "p[More.]"]);
        let lower = blocks(&format!("# C\n\n{TABLE}\ntable: lower\n"));
        assert_eq!(kinds(&lower), ["table[lower]"]);
    }

    #[test]
    fn a_caption_between_two_tables_goes_to_the_first() {
        let b = blocks(&format!("# C\n\n{TABLE}\n: one\n\n{TABLE}\n: two\n"));
        assert_eq!(kinds(&b), ["table[one]", "table[two]"]);
        let b = blocks(&format!("# C\n\n{TABLE}\n: one\n\n{TABLE}\nText.\n"));
        assert_eq!(kinds(&b), ["table[one]", "table[]", "p[Text.]"]);
    }

    #[test]
    fn only_marked_paragraphs_next_to_a_table_are_captions() {
        let b = blocks(&format!(
            "# C\n\n: not a caption\n\nText.\n\n{TABLE}\nTables: no\n"
        ));
        assert_eq!(
            kinds(&b),
            ["p[: not a caption]", "p[Text.]", "table[]", "p[Tables: no]"]
        );
        let b = blocks(&format!(
            "# C\n\n> {}\n>\n> : inside\n",
            TABLE.replace('\n', "\n> ")
        ));
        assert_eq!(kinds(&b), ["quote[\"table[inside]\"]"]);
    }
}

#[cfg(test)]
mod implicit_header_tests {
    use super::{heading_key, scan_heading_keys};

    /// pandoc's `registerImplicitHeader`: the raw text, without the markers, the closing
    /// `#`s and the attributes; case and white space folded.
    #[test]
    fn heading_keys_as_pandoc_registers_them() {
        let key = |s: &str| heading_key(s);
        assert_eq!(key("### My  Header\n"), Some("my header".into()));
        assert_eq!(key("## Closed ##"), Some("closed".into()));
        assert_eq!(key("## C#"), Some("c#".into()));
        assert_eq!(
            key("## Explicit header attributes {#foobar .baz key=\"val\"}"),
            Some("explicit header attributes".into())
        );
        assert_eq!(key("Setext One\n----------"), Some("setext one".into()));
        assert_eq!(key("#hashtag"), None);
        assert_eq!(key("#"), None);
        let keys = scan_heading_keys(
            "---\n# not: a heading\n---\n\n# One\n\n> ## Quoted\n\n```\n# Code\n```\n\nTwo\n===\n",
        );
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        assert_eq!(keys, ["one", "quoted", "two"]);
    }

    /// pandoc's `emailAddress` where CommonMark has no autolink (markdown-reader-more
    /// "Multilingual URLs", "Entities in links and titles").
    #[test]
    fn email_autolinks_only_pandoc_reads() {
        use super::email_autolink;
        let src = "a <测@foo.测.baz> b";
        assert_eq!(
            email_autolink(src, src),
            Some(("a ", "测@foo.测.baz", " b"))
        );
        // The entity was decoded by pulldown-cmark in the text, not in the source.
        assert_eq!(
            email_autolink("<me@exämple.com>", "<me@ex&auml;mple.com>"),
            Some(("", "me@exämple.com", ""))
        );
        // ASCII (pulldown-cmark's), escaped, or not an address.
        assert_eq!(email_autolink("<a@b.c>", "<a@b.c>"), None);
        assert_eq!(email_autolink("<测@b>", "\\<测@b>"), None);
        assert_eq!(email_autolink("<测 x@b>", "<测 x@b>"), None);
        assert_eq!(email_autolink("<测@-b>", "<测@-b>"), None);
    }
}
