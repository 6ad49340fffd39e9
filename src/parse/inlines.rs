//! The inline post-pass: pandoc's inline syntax that pulldown-cmark does not read, found
//! in the events of one run of inline content (a paragraph, a heading, a table cell, a
//! tight list item) and turned into a small tree the builder replays.
//!
//! pandoc's MANUAL, "Pandoc's Markdown", sections read here:
//! - "Extension: inline_notes" (`^[…]`), "Extension: bracketed_spans" (`[text]{…}`);
//! - "Extension: superscript, subscript" (`^…^`, `~…~`);
//! - "Extension: header_attributes" (`# Title {#id .class}`);
//! - "Extension: link_attributes" (`![…](…){…}`, `[…](…){…}`, `` `…`{…} ``);
//! - "Extension: raw_attribute" (`` `…`{=html} ``), "Extension: raw_tex" (`\cmd{…}`,
//!   `\begin{env}…\end{env}`);
//! - "Extension: tex_math_dollars" (the closer is not followed by a digit);
//! - "Backslash escapes" (`\ ` is a no-break space) and "Extension: escaped_line_breaks".
//!
//! Syntax is decided from the SOURCE bytes, never from event text: an escaped `\^`
//! arrives as the text `^`, smart punctuation turns `"` into `“`, and `&amp;` into `&`.
//! A text event is syntax only where its text is the source slice it came from, and not
//! in the escaped character a backslash before it made literal. Code, math, raw HTML and
//! note references are opaque atoms: brackets and carets inside them never count.
//!
//! Precedence follows pandoc's inline parser (`Readers/Markdown.hs` `inline`): at `[`,
//! a note reference (already pulldown's), then a bracketed span, then a link; at `^`, an
//! inline note, then a superscript; at `~`, a strikeout (pulldown's `~~`), then a
//! subscript. What pulldown-cmark already bound differently stays as it bound it: a span
//! whose brackets cross its emphasis (`[a *b]{.c} d*`) is not one, and is reported.
//!
//! Plain data in, plain data out: events and the source in, a tree and problems out; no
//! model types but [`Attr`], no diagnostics (the builder maps ranges to file positions).

mod citations;

pub(crate) use citations::CiteNode;

use super::attrs::{self, Braced};
use super::math::TexMacro;
use crate::model::Attr;
use pulldown_cmark::{CowStr, Event, LinkType, Tag};
use std::ops::Range;

/// The destination the broken-link callback gives a `[…]` that pandoc may read as an
/// inline note or a bracketed span: pulldown-cmark then reports its brackets as a link
/// (`Start(Link)`, `End(Link)`), which the post-pass reads back. `\u{1}` is not an XML
/// character, so it can never be a real destination that reaches an output.
pub(crate) const SENTINEL: &str = "\u{1}pandoc";

/// Deepest nesting of spans and notes the post-pass builds (the builder flattens deeper
/// containers; see `markdown::MAX_DEPTH`): recursion over the tree stays bounded.
const MAX_NEST: usize = 32;

/// Whether the broken-link callback should make the undefined shortcut reference `span`
/// a link for the post-pass: only when pandoc reads it otherwise, as a note (`^` before
/// `[`) or a span (`{` right after `]`). Every other undefined `[text]` stays text, as
/// pulldown-cmark makes it: a link found there would deactivate the brackets around it
/// (CommonMark §6.3, "links may not contain other links").
pub(crate) fn wants_sentinel(src: &str, span: &Range<usize>, link_type: LinkType) -> bool {
    if link_type != LinkType::Shortcut {
        return false;
    }
    let bytes = src.as_bytes();
    let brace_after = bytes.get(span.end) == Some(&b'{');
    let caret_before = span.start > 0
        && bytes.get(span.start - 1) == Some(&b'^')
        && !escaped(bytes, span.start - 1);
    brace_after || caret_before || source_after(src, span.end, link_type)
}

/// Whether a shortcut reference `[text]` ending at `end` is followed by a destination
/// pandoc reads and CommonMark refuses (`[text](/a b "t")`): pandoc reads an inline link
/// there, before it looks for a reference (`Readers/Markdown.hs`, `link`), even when
/// `[text]` is a defined reference.
pub(crate) fn source_after(src: &str, end: usize, link_type: LinkType) -> bool {
    link_type == LinkType::Shortcut
        && src.as_bytes().get(end) == Some(&b'(')
        && link_source(src, end).is_some()
}

/// A link's destination and title as pandoc reads them (`Readers/Markdown.hs`, `source`
/// and `linkTitle`), from the `(` at `at`: the destination may hold spaces and line
/// breaks (pandoc escapes them: `/bar and baz` → `/bar%20and%20baz`), ending at white
/// space followed by a quote or `)`; the title, in `"` or `'`, ends at its quote when no
/// letter or digit follows it, so it may hold quotes (`"a "b" c"`). CommonMark (§6.3)
/// allows neither, so these are the links pulldown-cmark leaves as text. Returns the
/// destination, the title and the length up to and with the `)`.
pub(crate) fn link_source(src: &str, at: usize) -> Option<(String, String, usize)> {
    let rest = src.get(at..)?;
    let bytes = rest.as_bytes();
    if bytes.first() != Some(&b'(') {
        return None;
    }
    let mut i = skip_ws(bytes, 1)?;
    let mut dest = String::new();
    if bytes.get(i) == Some(&b'<') {
        let end = rest[i..].find(['>', '\n'])?;
        if bytes.get(i + end) != Some(&b'>') {
            return None;
        }
        dest.push_str(&rest[i + 1..i + end]);
        i += end + 1;
    } else {
        let mut depth = 0usize;
        while let Some(c) = rest.get(i..).and_then(|r| r.chars().next()) {
            match c {
                '(' => {
                    depth += 1;
                    dest.push(c);
                    i += 1;
                }
                ')' if depth == 0 => break,
                ')' => {
                    depth -= 1;
                    dest.push(c);
                    i += 1;
                }
                '\\' if bytes.get(i + 1).is_some_and(u8::is_ascii_punctuation) => {
                    dest.push(char::from(bytes[i + 1]));
                    i += 2;
                }
                ' ' | '\t' | '\r' | '\n' => {
                    let next = skip_ws(bytes, i)?;
                    if matches!(bytes.get(next), Some(b'"' | b'\'' | b')') | None) {
                        break;
                    }
                    dest.push(' ');
                    i = next;
                }
                c => {
                    dest.push(c);
                    i += c.len_utf8();
                }
            }
        }
    }
    i = skip_ws(bytes, i)?;
    let mut title = String::new();
    if matches!(bytes.get(i), Some(b'"' | b'\'')) {
        let (t, end) = quoted_title(rest, i)?;
        title = t;
        i = skip_ws(bytes, end)?;
    }
    if bytes.get(i) != Some(&b')') {
        return None;
    }
    let dest = dest.trim().replace(' ', "%20");
    Some((dest, title, i + 1))
}

/// A link reference definition as pandoc reads it (`Readers/Markdown.hs`,
/// `referenceKey`; MANUAL, "Reference links"), starting at `at`, the line's first
/// non-blank byte: `[label]:`, then (past white space and at most one line break) the
/// destination, `<…>` or words separated by spaces (`/foo foo`: pandoc escapes the
/// spaces, `/foo%20foo`), maybe empty; then a title (`"…"` or `'…'` as in
/// [`link_source`], or `(…)`), maybe on the next line; then the end of the line. Returns
/// the label, the destination, the title and the offset of the end of its last line (its
/// line break not included). `None` for a note definition (`[^x]:`), a def with link
/// attributes (`{…}`, left to the text), or anything else.
pub(crate) fn pandoc_reference(src: &str, at: usize) -> Option<(String, String, String, usize)> {
    let rest = src.get(at..)?;
    let bytes = rest.as_bytes();
    if bytes.first() != Some(&b'[') || bytes.get(1) == Some(&b'^') {
        return None;
    }
    let close = rest.find([']', '\n'])?;
    if bytes.get(close) != Some(&b']') || bytes.get(close + 1) != Some(&b':') || close < 2 {
        return None;
    }
    let label = &rest[1..close];
    if label.contains('[') || label.trim().is_empty() {
        return None;
    }
    let spaces = |mut i: usize| {
        while matches!(bytes.get(i), Some(b' ' | b'\t' | b'\r')) {
            i += 1;
        }
        i
    };
    // Spaces, at most one line break, spaces (`skipSpaces >> optional newline >>
    // skipSpaces`).
    let spnl = |i: usize| {
        let i = spaces(i);
        if bytes.get(i) == Some(&b'\n') {
            spaces(i + 1)
        } else {
            i
        }
    };
    // The title at `i`, if one starts there: its text and end.
    let title_at = |i: usize| -> Option<(String, usize)> {
        let i = spnl(i);
        match bytes.get(i)? {
            b'"' | b'\'' => quoted_title(rest, i),
            b'(' => {
                let end = rest[i..].find([')', '\n'])? + i;
                (bytes.get(end) == Some(&b')')).then(|| (rest[i + 1..end].to_string(), end + 1))
            }
            _ => None,
        }
    };
    let mut i = spnl(close + 2);
    if bytes.get(i) == Some(&b'[') {
        return None;
    }
    let mut dest = String::new();
    if bytes.get(i) == Some(&b'<') {
        let end = rest[i..].find(['>', '\n'])? + i;
        if bytes.get(end) != Some(&b'>') {
            return None;
        }
        dest.push_str(&rest[i + 1..end]);
        i = end + 1;
    } else {
        // Words on this line, until a title, attributes or a reference follows.
        loop {
            if title_at(i).is_some() {
                break;
            }
            let w = spaces(i);
            match bytes.get(w) {
                None | Some(b'\n' | b'{' | b'[') => break,
                _ => {}
            }
            let end = rest[w..]
                .find(|c: char| c.is_whitespace())
                .map_or(rest.len(), |e| w + e);
            if !dest.is_empty() {
                dest.push(' ');
            }
            let word = &rest[w..end];
            let mut chars = word.chars().peekable();
            while let Some(c) = chars.next() {
                match (c, chars.peek()) {
                    ('\\', Some(&n)) if n.is_ascii_punctuation() => {
                        dest.push(n);
                        chars.next();
                    }
                    _ => dest.push(c),
                }
            }
            i = end;
        }
    }
    let mut title = String::new();
    if let Some((t, end)) = title_at(i) {
        title = t;
        i = end;
    }
    if dest.is_empty() && title.is_empty() {
        // `[foo2]:` alone: it ends on its own line.
        i = close + 2;
    }
    // `blanklines`: nothing but spaces to the end of the line.
    let end = spaces(i);
    if !matches!(bytes.get(end), None | Some(b'\n')) {
        return None;
    }
    Some((label.to_string(), dest.replace(' ', "%20"), title, at + end))
}

/// White space (a single line break included) from `i`; `None` at a blank line.
fn skip_ws(bytes: &[u8], mut i: usize) -> Option<usize> {
    let mut newlines = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b' ' | b'\t' | b'\r' => {}
            b'\n' => {
                newlines += 1;
                if newlines > 1 {
                    return None;
                }
            }
            _ => break,
        }
        i += 1;
    }
    Some(i)
}

/// A title in `"` or `'` from the quote at `i` of `rest`, as pandoc reads it
/// (`Readers/Markdown.hs`, `quotedTitle`): it ends at its quote when no letter or digit
/// follows it, so it may hold quotes (`"a "b" c"`), and never at a blank line. The
/// title and the offset after its closing quote.
fn quoted_title(rest: &str, mut i: usize) -> Option<(String, usize)> {
    let bytes = rest.as_bytes();
    let q = *bytes.get(i)?;
    if bytes.get(i + 1).is_none_or(u8::is_ascii_whitespace) {
        return None;
    }
    i += 1;
    let mut title = String::new();
    let mut depth = 0usize;
    loop {
        let c = rest.get(i..)?.chars().next()?;
        if c == char::from(q) {
            // pandoc's `quotedTitle`: a quote not followed by a letter or digit ends
            // the title (or a nested one); one followed by one opens a nested title.
            let closes = !rest[i + 1..]
                .chars()
                .next()
                .is_some_and(char::is_alphanumeric);
            if closes && depth == 0 {
                return Some((title, i + 1));
            }
            if closes {
                depth -= 1;
            } else {
                depth += 1;
            }
            title.push(c);
            i += 1;
            continue;
        }
        if c == '\n' {
            // A blank line ends the paragraph, and the title with it.
            skip_ws(bytes, i)?;
        }
        if c == '\\' && bytes.get(i + 1).is_some_and(u8::is_ascii_punctuation) {
            title.push(char::from(bytes[i + 1]));
            i += 2;
            continue;
        }
        title.push(if c == '\n' { ' ' } else { c });
        i += c.len_utf8();
    }
}

/// Whether the byte at `i` is escaped by an odd run of backslashes before it.
fn escaped(bytes: &[u8], i: usize) -> bool {
    let run = bytes[..i.min(bytes.len())]
        .iter()
        .rev()
        .take_while(|&&b| b == b'\\')
        .count();
    run % 2 == 1
}

/// Whether a run of inline content covering `src` may hold anything the post-pass reads:
/// a byte scan, so plain text costs next to nothing. In blocks without an early exit
/// (as `text::may_need_cleaning`), so the compiler scans a block in a few vector
/// instructions.
pub(crate) fn may_need_pass(src: &str) -> bool {
    src.as_bytes().chunks(64).any(|block| {
        block.iter().fold(false, |acc, &b| {
            // `@`: pandoc's citations (issue 16).
            acc | matches!(b, b'^' | b'~' | b'{' | b'\\' | b'$' | b'@')
        })
    })
}

/// A piece of text and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Text<'a> {
    /// The text (maybe rewritten: `\ ` → U+00A0).
    pub text: CowStr<'a>,
    /// Its source range.
    pub range: Range<usize>,
    /// Whether `text` is the source at `range`, byte for byte.
    verbatim: bool,
    /// Bytes at its start made literal by a backslash escape (`\^`).
    escaped: usize,
}

impl<'a> Text<'a> {
    /// Whether byte `i` of the text is source syntax (not escaped, not rewritten).
    fn syntax_at(&self, i: usize) -> bool {
        self.verbatim && i >= self.escaped
    }

    /// The part `a..b` of the text (byte offsets into `text`), keeping its provenance.
    fn slice(&self, a: usize, b: usize) -> Text<'a> {
        let piece = match &self.text {
            CowStr::Borrowed(s) => CowStr::Borrowed(&s[a..b]),
            other => CowStr::Boxed(other[a..b].into()),
        };
        let (start, end) = if self.verbatim {
            (self.range.start + a, self.range.start + b)
        } else {
            (self.range.start, self.range.end)
        };
        Text {
            text: piece,
            range: start..end,
            verbatim: self.verbatim,
            escaped: self.escaped.saturating_sub(a),
        }
    }

    /// One literal or syntax character of the source at `pos` (a bracket or a caret that
    /// is text after all).
    fn source_char(src: &'a str, pos: usize) -> Text<'a> {
        let end = (pos + 1).min(src.len());
        Text {
            text: CowStr::Borrowed(src.get(pos..end).unwrap_or("")),
            range: pos..end,
            verbatim: true,
            escaped: 0,
        }
    }
}

/// What one run of inline content holds, for the builder to replay.
#[derive(Debug, Clone)]
pub(crate) enum Node<'a> {
    /// Text.
    Text(Text<'a>),
    /// Any other event that is not a container: code, math, raw HTML, a note reference,
    /// a line break, a task marker.
    Leaf(Event<'a>, Range<usize>),
    /// A pulldown-cmark container (emphasis, strong, strikethrough, link, image).
    Tag(Tag<'a>, Range<usize>, Vec<Node<'a>>),
    /// `[text]{…}`.
    Span(Attr, Range<usize>, Vec<Node<'a>>),
    /// `^[…]`.
    Note(Range<usize>, Vec<Node<'a>>),
    /// `^…^`.
    Superscript(Range<usize>, Vec<Node<'a>>),
    /// `~…~`.
    Subscript(Range<usize>, Vec<Node<'a>>),
    /// An image with `{…}` after it: its tag, range and alt text, the attributes and
    /// where they are written.
    Image(Tag<'a>, Range<usize>, Vec<Node<'a>>, Attr, Range<usize>),
    /// A citation (issue 16): `[see @a, p. 3; @b]`, `[-@a]`, `@a`, `@a [p. 3]`.
    Cite {
        /// The whole citation in the source.
        range: Range<usize>,
        /// Its citations, in the order written.
        items: Vec<CiteNode<'a>>,
        /// Its text as written (brackets included), shown when the book names no
        /// bibliography.
        fallback: Vec<Node<'a>>,
    },
    /// `` `…`{=format} ``: content for one output format only.
    Raw {
        /// The format (`html`, `latex` …).
        format: String,
        /// The content.
        text: CowStr<'a>,
        /// Code and attribute, in the source.
        range: Range<usize>,
    },
}

impl Node<'_> {
    /// The node's source range.
    pub(crate) fn range(&self) -> Range<usize> {
        match self {
            Node::Text(t) => t.range.clone(),
            Node::Leaf(_, r)
            | Node::Tag(_, r, _)
            | Node::Span(_, r, _)
            | Node::Note(r, _)
            | Node::Superscript(r, _)
            | Node::Subscript(r, _)
            | Node::Image(_, r, ..)
            | Node::Cite { range: r, .. }
            | Node::Raw { range: r, .. } => r.clone(),
        }
    }
}

/// Something the author should hear about, at a source range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// Where.
    pub range: Range<usize>,
    /// What.
    pub message: String,
    /// What to do.
    pub hint: String,
}

/// The post-pass's result.
#[derive(Debug)]
pub(crate) struct Processed<'a> {
    /// The content.
    pub nodes: Vec<Node<'a>>,
    /// A heading's `{…}`, when the run is a heading's and ends with one.
    pub heading: Option<Attr>,
    /// Problems found.
    pub problems: Vec<Problem>,
    /// `\newcommand` definitions found (left out of the text), for the math after them.
    pub macros: Vec<TexMacro>,
}

/// Reads pandoc's inline syntax in one run of inline events. `heading`: the run is a
/// heading's text (its trailing `{…}` is the heading's attributes); `atx`: an ATX
/// heading (`# …`), whose closing `#`s may stand before the attributes.
pub(crate) fn process<'a>(
    events: impl IntoIterator<Item = (Event<'a>, Range<usize>)>,
    src: &'a str,
    heading: bool,
    atx: bool,
) -> Processed<'a> {
    let mut cx = Cx {
        src,
        problems: Vec::new(),
        macros: Vec::new(),
        in_link: 0,
    };
    let mut nodes = build(events, src);
    let heading = if heading {
        cx.heading_attrs(&mut nodes, atx)
    } else {
        None
    };
    let mut nodes = cx.level(nodes);
    cx.trailing_backslash(&mut nodes);
    Processed {
        nodes,
        heading,
        problems: cx.problems,
        macros: cx.macros,
    }
}

/// The events as a tree, each text marked with what of it is source syntax.
fn build<'a>(
    events: impl IntoIterator<Item = (Event<'a>, Range<usize>)>,
    src: &'a str,
) -> Vec<Node<'a>> {
    let bytes = src.as_bytes();
    let mut top: Vec<Node<'a>> = Vec::new();
    let mut stack: Vec<(Tag<'a>, Range<usize>, Vec<Node<'a>>)> = Vec::new();
    // The end of the last leaf: a backslash before a text and after it was skipped by
    // pulldown-cmark, so it escaped the text's first character.
    let mut covered = 0usize;
    fn push<'a>(
        top: &mut Vec<Node<'a>>,
        stack: &mut [(Tag<'a>, Range<usize>, Vec<Node<'a>>)],
        node: Node<'a>,
    ) {
        match stack.last_mut() {
            Some((_, _, children)) => children.push(node),
            None => top.push(node),
        }
    }
    for (event, range) in events {
        match event {
            Event::Start(tag) => stack.push((tag, range, Vec::new())),
            Event::End(_) => {
                if let Some((tag, r, children)) = stack.pop() {
                    push(&mut top, &mut stack, Node::Tag(tag, r, children));
                }
            }
            Event::Text(text) => {
                let verbatim = src.get(range.clone()) == Some(&*text);
                let escaped = if range.start > covered
                    && range.start > 0
                    && bytes.get(range.start - 1) == Some(&b'\\')
                {
                    text.chars().next().map_or(0, char::len_utf8)
                } else {
                    0
                };
                covered = covered.max(range.end);
                push(
                    &mut top,
                    &mut stack,
                    Node::Text(Text {
                        text,
                        range,
                        verbatim,
                        escaped,
                    }),
                );
            }
            other => {
                covered = covered.max(range.end);
                push(&mut top, &mut stack, Node::Leaf(other, range));
            }
        }
    }
    while let Some((tag, r, children)) = stack.pop() {
        push(&mut top, &mut stack, Node::Tag(tag, r, children));
    }
    top
}

/// A node, or one syntax character split out of a text.
enum Item<'a> {
    Node(Node<'a>),
    /// The character (`[`, `]`, `^`, `~`) and its source offset.
    Delim(u8, usize),
}

impl<'a> Item<'a> {
    fn range(&self) -> Range<usize> {
        match self {
            Item::Node(n) => n.range(),
            Item::Delim(_, p) => *p..*p + 1,
        }
    }
}

/// The post-pass state: the source, the problems and macro definitions found.
struct Cx<'a> {
    src: &'a str,
    problems: Vec<Problem>,
    macros: Vec<TexMacro>,
    /// How many links the nodes at hand are inside: no citation is read in a link's text
    /// (it would put a link inside a link).
    in_link: usize,
}

/// Splits the texts of `nodes` at every syntax character in `delims`.
fn split<'a>(nodes: Vec<Node<'a>>, delims: &[u8], out: &mut Vec<Item<'a>>) {
    for node in nodes {
        let Node::Text(t) = node else {
            out.push(Item::Node(node));
            continue;
        };
        if !t.verbatim || !t.text.bytes().any(|b| delims.contains(&b)) {
            out.push(Item::Node(Node::Text(t)));
            continue;
        }
        let mut from = 0;
        for (i, b) in t.text.bytes().enumerate() {
            if delims.contains(&b) && t.syntax_at(i) {
                if i > from {
                    out.push(Item::Node(Node::Text(t.slice(from, i))));
                }
                out.push(Item::Delim(b, t.range.start + i));
                from = i + 1;
            }
        }
        if from < t.text.len() {
            out.push(Item::Node(Node::Text(t.slice(from, t.text.len()))));
        }
    }
}

/// Items back to nodes: delimiters left over are text again (still syntax, for a later
/// pass of other characters).
fn unsplit<'a>(items: Vec<Item<'a>>, src: &'a str) -> Vec<Node<'a>> {
    items
        .into_iter()
        .map(|item| match item {
            Item::Node(n) => n,
            Item::Delim(_, p) => Node::Text(Text::source_char(src, p)),
        })
        .collect()
}

/// Whether a source range holds white space that is not escaped (`\ ` is a no-break
/// space, allowed inside superscripts: MANUAL, "Extension: superscript, subscript").
fn has_space(src: &str, range: Range<usize>) -> bool {
    let bytes = src.as_bytes();
    (range.start..range.end.min(bytes.len())).any(|i| {
        matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') && !(i > 0 && bytes[i - 1] == b'\\')
    })
}

/// Removes from `nodes` everything inside the source range `cut`: whole nodes, the
/// part of a text, the children of a container that reaches outside it.
fn drop_range(nodes: &mut Vec<Node<'_>>, cut: &Range<usize>) {
    let old = std::mem::take(nodes);
    for node in old {
        let r = node.range();
        if r.end <= cut.start || r.start >= cut.end {
            nodes.push(node);
            continue;
        }
        if r.start >= cut.start && r.end <= cut.end && !r.is_empty() {
            continue;
        }
        match node {
            Node::Text(t) if t.verbatim => {
                let a = cut.start.saturating_sub(t.range.start).min(t.text.len());
                let b = cut.end.saturating_sub(t.range.start).min(t.text.len());
                if a > 0 && t.text.is_char_boundary(a) {
                    nodes.push(Node::Text(t.slice(0, a)));
                }
                if b < t.text.len() && t.text.is_char_boundary(b) {
                    nodes.push(Node::Text(t.slice(b, t.text.len())));
                }
            }
            Node::Text(_) => {}
            Node::Tag(tag, r, mut children) => {
                drop_range(&mut children, cut);
                nodes.push(Node::Tag(tag, r, children));
            }
            Node::Span(a, r, mut children) => {
                drop_range(&mut children, cut);
                nodes.push(Node::Span(a, r, children));
            }
            Node::Note(r, mut children) => {
                drop_range(&mut children, cut);
                nodes.push(Node::Note(r, children));
            }
            Node::Superscript(r, mut children) => {
                drop_range(&mut children, cut);
                nodes.push(Node::Superscript(r, children));
            }
            Node::Subscript(r, mut children) => {
                drop_range(&mut children, cut);
                nodes.push(Node::Subscript(r, children));
            }
            other => nodes.push(other),
        }
    }
}

/// Whether the items from `from` on can lose everything before source offset `to`
/// without cutting a container or atom in two.
fn can_drop(items: &[Option<Item<'_>>], from: usize, to: usize) -> bool {
    for item in items.iter().skip(from).flatten() {
        let r = item.range();
        if r.start >= to {
            return true;
        }
        if r.end > to {
            return matches!(item, Item::Node(Node::Text(t)) if t.verbatim);
        }
    }
    true
}

/// `item` without what lies before source offset `to` (`None`: nothing is left).
fn trim_before<'a>(item: Item<'a>, to: usize) -> Option<Item<'a>> {
    let r = item.range();
    if r.start >= to {
        return Some(item);
    }
    if r.end <= to {
        return None;
    }
    match item {
        Item::Node(Node::Text(t)) if t.verbatim => {
            let k = to - t.range.start;
            t.text
                .is_char_boundary(k)
                .then(|| Item::Node(Node::Text(t.slice(k, t.text.len()))))
        }
        other => Some(other),
    }
}

impl<'a> Cx<'a> {
    fn problem(&mut self, range: Range<usize>, message: String, hint: &str) {
        self.problems.push(Problem {
            range,
            message,
            hint: hint.to_string(),
        });
    }

    /// The source from `pos` to the end of its line, for messages.
    fn snippet(&self, range: Range<usize>) -> String {
        let s = self.src.get(range).unwrap_or("");
        let line = s.lines().next().unwrap_or("");
        let mut out: String = line.chars().take(40).collect();
        if out.len() < s.len() {
            out.push('…');
        }
        out
    }

    /// A heading's trailing `{#id .class key=value}` (MANUAL, "Extension:
    /// header_attributes": "at the end of the line containing the heading text"), unless
    /// it belongs to a span, link or code written right before it (`]`, `)` or `` ` ``
    /// before the `{`); it is removed from the text.
    fn heading_attrs(&mut self, nodes: &mut Vec<Node<'a>>, atx: bool) -> Option<Attr> {
        let Some(Node::Text(last)) = nodes.last() else {
            return None;
        };
        let k = last.text.len().checked_sub(1)?;
        if !last.text.ends_with('}') || !last.syntax_at(k) {
            return None;
        }
        let end = last.range.end;
        let mut braces = Vec::new();
        for node in nodes.iter() {
            if let Node::Text(t) = node {
                for (i, b) in t.text.bytes().enumerate() {
                    if b == b'{' && t.syntax_at(i) {
                        braces.push(t.range.start + i);
                    }
                }
            }
        }
        let bytes = self.src.as_bytes();
        for &p in braces.iter().rev() {
            let Ok((Braced::Attr(attr), len)) = attrs::parse(self.src.get(p..end)?) else {
                continue;
            };
            if len != end - p {
                continue;
            }
            if p > 0 && matches!(bytes[p - 1], b']' | b')' | b'`') {
                return None;
            }
            drop_range(nodes, &(p..end));
            self.trim_heading_end(nodes, atx);
            return Some(attr);
        }
        None
    }

    /// Trailing spaces left before a heading's attributes, and an ATX heading's closing
    /// `#`s written before them (`# Title ## {#id}`).
    fn trim_heading_end(&self, nodes: &mut Vec<Node<'a>>, atx: bool) {
        let Some(Node::Text(t)) = nodes.last_mut() else {
            return;
        };
        let mut keep = t.text.trim_end().len();
        if atx && t.verbatim {
            let body = &t.text[..keep];
            let hashes = body.len() - body.trim_end_matches('#').len();
            let before = &body[..body.len() - hashes];
            if hashes > 0 && (before.is_empty() || before.ends_with([' ', '\t'])) {
                keep = before.trim_end().len();
            }
        }
        if keep == 0 {
            nodes.pop();
        } else if keep < t.text.len() {
            *t = t.slice(0, keep);
        }
    }

    /// One level of nodes: math, brackets, then the rest.
    fn level(&mut self, nodes: Vec<Node<'a>>) -> Vec<Node<'a>> {
        let nodes = self.math_before_digit(nodes);
        let nodes = self.brackets(nodes);
        self.finish(nodes, false)
    }

    /// Raw TeX, superscripts and subscripts, no-break spaces, then the levels below.
    fn finish(&mut self, nodes: Vec<Node<'a>>, tex_done: bool) -> Vec<Node<'a>> {
        let nodes = if tex_done { nodes } else { self.raw_tex(nodes) };
        // Bare `@key` citations before scripts: a key may hold `~`.
        let nodes = if self.in_link == 0 {
            citations::bare(self.src, nodes)
        } else {
            nodes
        };
        let nodes = self.scripts(nodes);
        nodes
            .into_iter()
            .map(|node| match node {
                Node::Tag(tag @ Tag::Link { .. }, r, children) => {
                    self.in_link += 1;
                    let children = self.level(children);
                    self.in_link -= 1;
                    Node::Tag(tag, r, children)
                }
                Node::Tag(tag, r, children) => Node::Tag(tag, r, self.level(children)),
                Node::Image(tag, r, children, a, ar) => {
                    Node::Image(tag, r, self.level(children), a, ar)
                }
                Node::Span(a, r, children) => Node::Span(a, r, self.finish(children, false)),
                Node::Note(r, children) => Node::Note(r, self.finish(children, false)),
                Node::Superscript(r, children) => Node::Superscript(r, self.finish(children, true)),
                Node::Subscript(r, children) => Node::Subscript(r, self.finish(children, true)),
                Node::Text(t) => Node::Text(no_break_spaces(t)),
                other => other,
            })
            .collect()
    }

    /// `$x$1` is not math in pandoc: "the closing `$` must … not be followed immediately
    /// by a digit" (MANUAL, "Extension: tex_math_dollars"). pulldown-cmark 0.13.6 takes
    /// it as math (fixed upstream after it, pulldown-cmark commit 3d67fea).
    fn math_before_digit(&self, nodes: Vec<Node<'a>>) -> Vec<Node<'a>> {
        let bytes = self.src.as_bytes();
        nodes
            .into_iter()
            .map(|node| match node {
                Node::Leaf(Event::InlineMath(_), r)
                    if bytes.get(r.end).is_some_and(u8::is_ascii_digit) =>
                {
                    Node::Text(Text {
                        text: CowStr::Borrowed(self.src.get(r.clone()).unwrap_or("")),
                        range: r,
                        verbatim: true,
                        escaped: 0,
                    })
                }
                other => other,
            })
            .collect()
    }

    /// Inline notes `^[…]`, bracketed spans `[…]{…}`, and the attributes after images,
    /// links and code.
    fn brackets(&mut self, nodes: Vec<Node<'a>>) -> Vec<Node<'a>> {
        let bytes = self.src.as_bytes();
        let mut items: Vec<Item<'a>> = Vec::with_capacity(nodes.len());
        for node in nodes {
            match node {
                // A link made for the post-pass, or a link to a defined reference that
                // pandoc reads as a span, a note or an inline link: its brackets are
                // delimiters.
                Node::Tag(
                    Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    },
                    r,
                    children,
                ) if &*dest_url == SENTINEL
                    || source_after(self.src, r.end, link_type)
                    || (link_type == LinkType::Shortcut
                        && (self.attrs_at(r.end).is_some() || caret_before(&items, r.start))) =>
                {
                    if bytes.get(r.start) != Some(&b'[')
                        || r.end == 0
                        || bytes.get(r.end - 1) != Some(&b']')
                    {
                        items.push(Item::Node(Node::Tag(
                            Tag::Link {
                                link_type,
                                dest_url,
                                title,
                                id,
                            },
                            r,
                            children,
                        )));
                        continue;
                    }
                    items.push(Item::Delim(b'[', r.start));
                    split(children, b"[]", &mut items);
                    items.push(Item::Delim(b']', r.end - 1));
                }
                other => split(vec![other], b"[]", &mut items),
            }
        }
        if !items.iter().any(|i| {
            matches!(i, Item::Delim(..))
                || matches!(i, Item::Node(n) if bytes.get(n.range().end) == Some(&b'{'))
        }) {
            return unsplit(items, self.src);
        }

        let mut out: Vec<Item<'a>> = Vec::with_capacity(items.len());
        let mut opens: Vec<usize> = Vec::new();
        let mut skip_to = 0usize;
        let mut i = 0;
        let mut items: Vec<Option<Item<'a>>> = items.into_iter().map(Some).collect();
        while i < items.len() {
            let Some(item) = items[i].take() else {
                i += 1;
                continue;
            };
            i += 1;
            let item = if skip_to > 0 {
                match trim_before(item, skip_to) {
                    Some(item) => item,
                    None => continue,
                }
            } else {
                item
            };
            match item {
                Item::Delim(b'[', _) => {
                    if opens.len() < MAX_NEST {
                        opens.push(out.len());
                    }
                    out.push(item);
                }
                Item::Delim(b']', close) => {
                    let Some(open_at) = opens.pop() else {
                        if let Some((_, len)) = self.attrs_at(close + 1) {
                            self.problem(
                                close..close + 1 + len,
                                format!(
                                    "`]{}` closes no `[`: the span is not one",
                                    self.snippet(close + 1..close + 1 + len)
                                ),
                                "write the span as `[text]{.class}`, with its brackets around \
                                 whole words or emphasis, not across them",
                            );
                        }
                        out.push(item);
                        continue;
                    };
                    let content = out.split_off(open_at + 1);
                    let open = match out.pop() {
                        Some(Item::Delim(_, p)) => p,
                        _ => close,
                    };
                    let content = unsplit(content, self.src);
                    if take_caret(&mut out, open) {
                        out.push(Item::Node(Node::Note(open - 1..close + 1, content)));
                        continue;
                    }
                    // Issue 16: a citation list, which pandoc tries at `[` before a
                    // bracketed span or a link (`Readers/Markdown.hs`, `inline`).
                    if self.in_link == 0 {
                        if let Some(cites) = citations::list(self.src, &content) {
                            let mut fallback = Vec::with_capacity(content.len() + 2);
                            fallback.push(Node::Text(Text::source_char(self.src, open)));
                            fallback.extend(content);
                            fallback.push(Node::Text(Text::source_char(self.src, close)));
                            out.push(Item::Node(Node::Cite {
                                range: open..close + 1,
                                items: cites,
                                fallback,
                            }));
                            continue;
                        }
                    }
                    // `\cite[22-23]{key}`: a TeX command's arguments, not a span (the
                    // raw TeX pass leaves the whole command out).
                    if bytes.get(close + 1) == Some(&b'{') && !tex_command_before(bytes, open) {
                        match attrs::parse(self.src.get(close + 1..).unwrap_or("")) {
                            Ok((Braced::Attr(attr), len))
                                if can_drop(&items, i, close + 1 + len) =>
                            {
                                skip_to = close + 1 + len;
                                out.push(Item::Node(Node::Span(
                                    attr,
                                    open..close + 1 + len,
                                    content,
                                )));
                                continue;
                            }
                            Ok(_) => {}
                            Err(problem) => {
                                let end = match problem {
                                    attrs::AttrProblem::Unexpected(at) => close + 1 + at + 1,
                                    attrs::AttrProblem::Unclosed => self.line_end(close + 1),
                                };
                                self.problem(
                                    open..end,
                                    format!(
                                        "the attributes of the span `{}` cannot be read ({}): \
                                         it is printed as written",
                                        self.snippet(open..close + 1),
                                        describe(&problem)
                                    ),
                                    "close the attributes with `}` and write them as \
                                     `{#id .class key=value}`",
                                );
                            }
                        }
                    }
                    // Issue 16: `@key [p. 33]`, a citation in the text with its suffix.
                    if let (0, Some(Item::Node(Node::Text(before)))) = (self.in_link, out.last()) {
                        if let Some((keep, cite)) =
                            citations::textual_with_suffix(self.src, before, open, &content)
                        {
                            let Some(Item::Node(Node::Text(before))) = out.pop() else {
                                continue;
                            };
                            let start = cite.key_range.start
                                - usize::from(cite.mode == crate::model::CiteMode::SuppressAuthor);
                            let mut fallback = vec![Node::Text(
                                before.slice(start - before.range.start, before.text.len()),
                            )];
                            fallback.push(Node::Text(Text::source_char(self.src, open)));
                            fallback.extend(content);
                            fallback.push(Node::Text(Text::source_char(self.src, close)));
                            if let Some(keep) = keep {
                                out.push(Item::Node(Node::Text(keep)));
                            }
                            out.push(Item::Node(Node::Cite {
                                range: start..close + 1,
                                items: vec![cite],
                                fallback,
                            }));
                            continue;
                        }
                    }
                    // `[text](/a b)`: a link pandoc reads and CommonMark does not (the
                    // broken-link callback marked its brackets: `wants_sentinel`).
                    if bytes.get(close + 1) == Some(&b'(') {
                        if let Some((dest, title, len)) = link_source(self.src, close + 1) {
                            if can_drop(&items, i, close + 1 + len) {
                                skip_to = close + 1 + len;
                                out.push(Item::Node(Node::Tag(
                                    Tag::Link {
                                        link_type: LinkType::Inline,
                                        dest_url: dest.into(),
                                        title: title.into(),
                                        id: "".into(),
                                    },
                                    open..close + 1 + len,
                                    content,
                                )));
                                continue;
                            }
                        }
                    }
                    out.push(Item::Delim(b'[', open));
                    out.extend(content.into_iter().map(Item::Node));
                    out.push(Item::Delim(b']', close));
                }
                Item::Node(node) => {
                    let end = node.range().end;
                    if bytes.get(end) != Some(&b'{') {
                        out.push(Item::Node(node));
                        continue;
                    }
                    let parsed = attrs::parse(self.src.get(end..).unwrap_or(""));
                    let fits = |len: usize| can_drop(&items, i, end + len);
                    match (node, parsed) {
                        (
                            Node::Tag(tag @ Tag::Image { .. }, r, children),
                            Ok((Braced::Attr(a), len)),
                        ) if fits(len) => {
                            skip_to = end + len;
                            out.push(Item::Node(Node::Image(tag, r, children, a, end..end + len)));
                        }
                        (Node::Tag(tag @ Tag::Image { .. }, r, children), Err(problem)) => {
                            let line_end = self.line_end(end);
                            self.problem(
                                end..line_end,
                                format!(
                                    "the image's attributes `{}` cannot be read ({}): they are \
                                     printed as written",
                                    self.snippet(end..line_end),
                                    describe(&problem)
                                ),
                                "write them as `{#id .class width=60%}`, closed with `}`",
                            );
                            out.push(Item::Node(Node::Tag(tag, r, children)));
                        }
                        (link @ Node::Tag(Tag::Link { .. }, ..), Ok((Braced::Attr(a), len)))
                            if fits(len) =>
                        {
                            skip_to = end + len;
                            let r = link.range().start..end + len;
                            out.push(Item::Node(Node::Span(a, r, vec![link])));
                        }
                        (Node::Leaf(Event::Code(code), r), Ok((Braced::Raw(format), len)))
                            if fits(len) =>
                        {
                            skip_to = end + len;
                            out.push(Item::Node(Node::Raw {
                                format,
                                text: code,
                                range: r.start..end + len,
                            }));
                        }
                        (code @ Node::Leaf(Event::Code(_), _), Ok((Braced::Attr(a), len)))
                            if fits(len) =>
                        {
                            skip_to = end + len;
                            let r = code.range().start..end + len;
                            out.push(Item::Node(Node::Span(a, r, vec![code])));
                        }
                        (node, _) => out.push(Item::Node(node)),
                    }
                }
                Item::Delim(..) => out.push(item),
            }
        }
        unsplit(out, self.src)
    }

    /// The attributes at source offset `at`, if a valid `{…}` starts there, and its
    /// length.
    fn attrs_at(&self, at: usize) -> Option<(Attr, usize)> {
        if self.src.as_bytes().get(at) != Some(&b'{') {
            return None;
        }
        match attrs::parse(self.src.get(at..)?) {
            Ok((Braced::Attr(a), len)) => Some((a, len)),
            _ => None,
        }
    }

    /// The end of the line holding `pos` (for messages about what follows it).
    fn line_end(&self, pos: usize) -> usize {
        let rest = self.src.get(pos..).unwrap_or("");
        pos + rest.find('\n').unwrap_or(rest.len())
    }

    /// Raw TeX (MANUAL, "Extension: raw_tex"): `\begin{env}…\end{env}` and `\command`
    /// with its `{…}`/`[…]` arguments are LaTeX-only content. quire writes no LaTeX, so
    /// it is left out, as pandoc leaves it out of HTML and EPUB, and reported.
    fn raw_tex(&mut self, mut nodes: Vec<Node<'a>>) -> Vec<Node<'a>> {
        let bytes = self.src.as_bytes();
        let level_end = nodes.last().map_or(0, |n| n.range().end);
        let mut cuts: Vec<Range<usize>> = Vec::new();
        for node in &nodes {
            let Node::Text(t) = node else { continue };
            if !t.verbatim || !t.text.contains('\\') {
                continue;
            }
            for (i, b) in t.text.bytes().enumerate() {
                let at = t.range.start + i;
                if b != b'\\'
                    || !t.syntax_at(i)
                    || cuts.last().is_some_and(|c| at < c.end)
                    || escaped(bytes, at)
                    || !bytes.get(at + 1).is_some_and(u8::is_ascii_alphabetic)
                {
                    continue;
                }
                let name_end = at
                    + 1
                    + bytes[at + 1..]
                        .iter()
                        .take_while(|b| b.is_ascii_alphabetic())
                        .count();
                let name = &self.src[at + 1..name_end];
                if name == "begin" {
                    let Some(env_end) = group_end(bytes, name_end, b'{', b'}') else {
                        continue;
                    };
                    let env = &self.src[name_end + 1..env_end - 1];
                    let closer = format!("\\end{{{env}}}");
                    let found = self
                        .src
                        .get(env_end..level_end)
                        .and_then(|rest| rest.find(&closer));
                    let end = found.map_or(level_end, |k| env_end + k + closer.len());
                    self.problem(
                        at..end,
                        format!("raw TeX `\\begin{{{env}}}` … is left out of the book"),
                        if found.is_some() {
                            "quire writes EPUB and PDF, not LaTeX: write it in Markdown, or \
                             make it an image"
                        } else {
                            "its `\\end` is not in this paragraph: everything after it here \
                             is left out too"
                        },
                    );
                    cuts.push(at..end);
                    continue;
                }
                // Arguments: `*`, then `{…}` and `[…]` groups right after the name.
                let mut end = name_end;
                if bytes.get(end) == Some(&b'*') {
                    end += 1;
                }
                let mut args = false;
                loop {
                    let next = match bytes.get(end) {
                        Some(b'{') => group_end(bytes, end, b'{', b'}'),
                        Some(b'[') => group_end(bytes, end, b'[', b']'),
                        _ => None,
                    };
                    match next {
                        Some(e) if e <= level_end => {
                            end = e;
                            args = true;
                        }
                        _ => break,
                    }
                }
                if !args {
                    // A bare command takes the spaces after it (TeX skips them).
                    while matches!(bytes.get(end), Some(b' ' | b'\t')) && end < level_end {
                        end += 1;
                    }
                }
                // `\newcommand{\name}[n]{body}`: kept for the math (pandoc's
                // latex_macros), left out of the text quietly, as pandoc does.
                if matches!(name, "newcommand" | "renewcommand" | "providecommand") {
                    if let Some(m) = tex_macro(&self.src[name_end..end]) {
                        self.macros.push(m);
                        cuts.push(at..end);
                        continue;
                    }
                }
                let shown = self.snippet(at..end);
                self.problem(
                    at..end,
                    format!("raw TeX `{}` is left out of the book", shown.trim_end()),
                    "quire writes EPUB and PDF, not LaTeX: write it in Markdown (a `\\` \
                     before a letter starts a TeX command; write `\\\\` for a backslash)",
                );
                cuts.push(at..end);
            }
        }
        for cut in cuts.iter().rev() {
            drop_range(&mut nodes, cut);
        }
        nodes
    }

    /// Superscripts `^…^` and subscripts `~…~` (MANUAL, "Extension: superscript,
    /// subscript": no unescaped white space inside; `H~2~O`, `2^10^` intraword). A
    /// strikethrough pulldown-cmark made of single tildes (`~x~`, GFM's form) is a
    /// subscript, or text when it holds a space: pandoc's strikeout is `~~` only.
    fn scripts(&mut self, nodes: Vec<Node<'a>>) -> Vec<Node<'a>> {
        let bytes = self.src.as_bytes();
        let mut items: Vec<Item<'a>> = Vec::with_capacity(nodes.len());
        for node in nodes {
            match node {
                Node::Tag(Tag::Strikethrough, r, children)
                    if bytes.get(r.start) == Some(&b'~')
                        && bytes.get(r.start + 1) != Some(&b'~') =>
                {
                    let inner = r.start + 1..r.end.saturating_sub(1);
                    if has_space(self.src, inner) {
                        items.push(Item::Node(Node::Text(Text {
                            text: CowStr::Borrowed("~"),
                            range: r.start..r.start + 1,
                            verbatim: false,
                            escaped: 0,
                        })));
                        split(children, b"^~", &mut items);
                        items.push(Item::Node(Node::Text(Text {
                            text: CowStr::Borrowed("~"),
                            range: r.end.saturating_sub(1)..r.end,
                            verbatim: false,
                            escaped: 0,
                        })));
                    } else {
                        items.push(Item::Node(Node::Subscript(r, children)));
                    }
                }
                other => split(vec![other], b"^~", &mut items),
            }
        }
        if !items.iter().any(|i| matches!(i, Item::Delim(..))) {
            return unsplit(items, self.src);
        }
        let mut out: Vec<Item<'a>> = Vec::with_capacity(items.len());
        let mut items: Vec<Option<Item<'a>>> = items.into_iter().map(Some).collect();
        let mut i = 0;
        while i < items.len() {
            let Some(Item::Delim(c, p)) = items[i] else {
                if let Some(item) = items[i].take() {
                    out.push(item);
                }
                i += 1;
                continue;
            };
            let closer = (i + 1..items.len()).find_map(|j| match items[j] {
                Some(Item::Delim(d, q)) if d == c => Some((j, q)),
                _ => None,
            });
            match closer {
                Some((j, q)) if !has_space(self.src, p + 1..q) => {
                    let content: Vec<Item<'a>> = items[i + 1..j]
                        .iter_mut()
                        .filter_map(Option::take)
                        .collect();
                    let content = unsplit(content, self.src);
                    // `^^` and `~~` are an empty superscript or subscript in pandoc:
                    // nothing to show.
                    if !content.is_empty() {
                        out.push(Item::Node(if c == b'^' {
                            Node::Superscript(p..q + 1, content)
                        } else {
                            Node::Subscript(p..q + 1, content)
                        }));
                    }
                    items[j] = None;
                    i = j + 1;
                }
                _ => {
                    if let Some(item) = items[i].take() {
                        out.push(item);
                    }
                    i += 1;
                }
            }
        }
        unsplit(out, self.src)
    }

    /// A backslash at the very end of a paragraph is a line break in pandoc (MANUAL,
    /// "Extension: escaped_line_breaks"), which ends nothing there: it is dropped rather
    /// than printed (pulldown-cmark keeps it as text, CommonMark §6.7).
    fn trailing_backslash(&self, nodes: &mut Vec<Node<'a>>) {
        let Some(Node::Text(t)) = nodes.last_mut() else {
            return;
        };
        let Some(k) = t.text.len().checked_sub(1) else {
            return;
        };
        if t.text.ends_with('\\')
            && t.syntax_at(k)
            && !escaped(self.src.as_bytes(), t.range.start + k)
        {
            let keep = t.text[..k].trim_end().len();
            if keep == 0 {
                nodes.pop();
            } else {
                *t = t.slice(0, keep);
            }
        }
    }
}

/// Whether the item list ends with a syntax `^` right before source offset `open` (an
/// inline note's caret).
fn caret_before(items: &[Item<'_>], open: usize) -> bool {
    match items.last() {
        Some(Item::Node(Node::Text(t))) => {
            let k = t.text.len().wrapping_sub(1);
            t.text.ends_with('^') && t.syntax_at(k) && t.range.end == open
        }
        _ => false,
    }
}

/// Removes an inline note's `^` from the end of `items`, if it is there.
fn take_caret(items: &mut Vec<Item<'_>>, open: usize) -> bool {
    if !caret_before(items, open) {
        return false;
    }
    if let Some(Item::Node(Node::Text(t))) = items.last_mut() {
        let keep = t.text.len() - 1;
        if keep == 0 {
            items.pop();
        } else {
            *t = t.slice(0, keep);
        }
    }
    true
}

/// The definition in the arguments of a `\newcommand`: `{\name}[2]{body}` (also
/// `*`, `\name` without braces, and an optional default, which is not used).
fn tex_macro(args: &str) -> Option<TexMacro> {
    let bytes = args.as_bytes();
    let mut i = usize::from(bytes.first() == Some(&b'*'));
    let name = if bytes.get(i) == Some(&b'{') {
        let end = group_end(bytes, i, b'{', b'}')?;
        let inner = args.get(i + 1..end - 1)?.trim();
        i = end;
        inner.strip_prefix('\\')?.to_string()
    } else {
        let rest = args.get(i..)?.strip_prefix('\\')?;
        let n = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        i += 1 + n;
        rest.get(..n)?.to_string()
    };
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let mut count = 0;
    if bytes.get(i) == Some(&b'[') {
        let end = group_end(bytes, i, b'[', b']')?;
        count = args
            .get(i + 1..end - 1)?
            .trim()
            .parse::<usize>()
            .ok()?
            .min(9);
        i = end;
        if bytes.get(i) == Some(&b'[') {
            i = group_end(bytes, i, b'[', b']')?;
        }
    }
    let end = group_end(bytes, i, b'{', b'}')?;
    Some(TexMacro {
        name,
        args: count,
        body: args.get(i + 1..end - 1)?.to_string(),
    })
}

/// Whether a TeX command (`\cite`, `\item*`, `\newcommand{\x}`: its name and the
/// arguments it has so far) ends right before `at`.
fn tex_command_before(bytes: &[u8], at: usize) -> bool {
    let mut i = at.min(bytes.len());
    // Arguments already read: balanced `{…}` and `[…]` groups.
    while i > 0 && matches!(bytes[i - 1], b'}' | b']') {
        let close = bytes[i - 1];
        let open = if close == b'}' { b'{' } else { b'[' };
        let mut depth = 0usize;
        let mut j = i;
        loop {
            if j == 0 {
                return false;
            }
            j -= 1;
            if bytes[j] == close && !escaped(bytes, j) {
                depth += 1;
            } else if bytes[j] == open && !escaped(bytes, j) {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
        }
        i = j;
    }
    if i > 0 && bytes[i - 1] == b'*' {
        i -= 1;
    }
    let end = i;
    while i > 0 && bytes[i - 1].is_ascii_alphabetic() {
        i -= 1;
    }
    i < end && i > 0 && bytes[i - 1] == b'\\' && !escaped(bytes, i - 1)
}

/// The offset after the group opened by `open` at `at` (balanced, backslash escapes
/// skipped), if it closes.
fn group_end(bytes: &[u8], at: usize, open: u8, close: u8) -> Option<usize> {
    if bytes.get(at) != Some(&open) {
        return None;
    }
    let mut depth = 0usize;
    let mut i = at;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b if b == open => depth += 1,
            b if b == close => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'\n' if bytes.get(i + 1) == Some(&b'\n') => return None,
            _ => {}
        }
        i += 1;
    }
    None
}

/// `\ ` (a backslash before a space) is a no-break space (MANUAL, "Backslash escapes").
fn no_break_spaces(t: Text<'_>) -> Text<'_> {
    if !t.verbatim || !t.text.contains("\\ ") {
        return t;
    }
    let mut out = String::with_capacity(t.text.len());
    let mut rest_from = 0;
    let bytes = t.text.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'\\' && bytes[i + 1] == b' ' && t.syntax_at(i) && !escaped(bytes, i) {
            out.push_str(&t.text[rest_from..i]);
            out.push('\u{a0}');
            rest_from = i + 2;
            i += 2;
        } else {
            i += 1;
        }
    }
    if rest_from == 0 {
        return t;
    }
    out.push_str(&t.text[rest_from..]);
    Text {
        text: CowStr::Boxed(out.into()),
        range: t.range,
        verbatim: false,
        escaped: 0,
    }
}

fn describe(problem: &attrs::AttrProblem) -> &'static str {
    match problem {
        attrs::AttrProblem::Unclosed => "no closing `}`",
        attrs::AttrProblem::Unexpected(_) => "something that is not `#id`, `.class` or `key=value`",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use pulldown_cmark::{Options, Parser, TagEnd};

    /// The options the parser reads the body with (`markdown::options`, which this
    /// file does not import: the parser's files form a one-way graph).
    fn options() -> Options {
        Options::ENABLE_FOOTNOTES
            | Options::ENABLE_SMART_PUNCTUATION
            | Options::ENABLE_TABLES
            | Options::ENABLE_STRIKETHROUGH
            | Options::ENABLE_MATH
    }

    /// The post-pass over the first paragraph or heading of `src`, as compact text:
    /// `NOTE{…}`, `SPAN(#id.class k=v){…}`, `SUP{…}`, `SUB{…}`, `EM{…}`, `IMG{…}(attrs)`,
    /// `RAW(format:text)`, `` `code` ``, `$math$`; and the problems' messages.
    fn run(src: &str) -> (String, Option<Attr>, Vec<String>) {
        let heading = src.starts_with('#') || src.contains("\n---");
        let atx = src.starts_with('#');
        let mut callback = |link: pulldown_cmark::BrokenLink<'_>| {
            wants_sentinel(src, &link.span, link.link_type).then(|| (SENTINEL.into(), "".into()))
        };
        let options = options();
        let mut events = Vec::new();
        let mut inside = false;
        for (e, r) in Parser::new_with_broken_link_callback(src, options, Some(&mut callback))
            .into_offset_iter()
        {
            match e {
                Event::Start(Tag::Paragraph | Tag::Heading { .. }) if !inside => inside = true,
                Event::End(TagEnd::Paragraph | TagEnd::Heading(_)) if inside => break,
                e if inside => events.push((e, r)),
                _ => {}
            }
        }
        let p = process(events, src, heading, atx);
        let mut out = String::new();
        show(&p.nodes, &mut out);
        (
            out,
            p.heading,
            p.problems.into_iter().map(|p| p.message).collect(),
        )
    }

    fn attr_text(a: &Attr) -> String {
        let mut s = String::new();
        if let Some(id) = &a.id {
            s.push('#');
            s.push_str(id);
        }
        for c in &a.classes {
            s.push('.');
            s.push_str(c);
        }
        for (k, v) in &a.pairs {
            s.push_str(&format!(" {k}={v}"));
        }
        s
    }

    fn show(nodes: &[Node<'_>], out: &mut String) {
        for n in nodes {
            let (name, children) = match n {
                Node::Text(t) => {
                    out.push_str(&t.text);
                    continue;
                }
                Node::Leaf(Event::Code(c), _) => {
                    out.push_str(&format!("`{c}`"));
                    continue;
                }
                Node::Leaf(Event::InlineMath(m), _) => {
                    out.push_str(&format!("MATH({m})"));
                    continue;
                }
                Node::Leaf(Event::SoftBreak, _) => {
                    out.push('\n');
                    continue;
                }
                Node::Leaf(e, _) => {
                    out.push_str(&format!("<{e:?}>"));
                    continue;
                }
                Node::Raw { format, text, .. } => {
                    out.push_str(&format!("RAW({format}:{text})"));
                    continue;
                }
                Node::Tag(Tag::Emphasis, _, c) => ("EM".to_string(), c),
                Node::Tag(Tag::Strong, _, c) => ("STRONG".to_string(), c),
                Node::Tag(Tag::Link { .. }, _, c) => ("LINK".to_string(), c),
                Node::Tag(t, _, c) => (format!("{t:?}"), c),
                Node::Span(a, _, c) => (format!("SPAN({})", attr_text(a)), c),
                Node::Note(_, c) => ("NOTE".to_string(), c),
                Node::Superscript(_, c) => ("SUP".to_string(), c),
                Node::Subscript(_, c) => ("SUB".to_string(), c),
                Node::Cite { items, .. } => {
                    out.push_str("CITE{");
                    for (k, item) in items.iter().enumerate() {
                        if k > 0 {
                            out.push_str(" ; ");
                        }
                        show(&item.prefix, out);
                        let mode = match item.mode {
                            crate::model::CiteMode::Normal => "",
                            crate::model::CiteMode::SuppressAuthor => "-",
                            crate::model::CiteMode::AuthorInText => "+",
                        };
                        out.push_str(&format!("|{mode}@{}|", item.key));
                        show(&item.suffix, out);
                    }
                    out.push('}');
                    continue;
                }
                Node::Image(_, _, c, a, _) => {
                    out.push_str("IMG{");
                    show(c, out);
                    out.push_str(&format!("}}({})", attr_text(a)));
                    continue;
                }
            };
            out.push_str(&name);
            out.push('{');
            show(children, out);
            out.push('}');
        }
    }

    fn text(src: &str) -> String {
        run(src).0
    }

    /// pandoc's citation syntax (MANUAL, "Citation syntax"): `CITE{prefix|@key|suffix
    /// ; …}`, `-@` for a suppressed author, `+@` for an author in the text.
    #[test]
    fn citations_in_every_form() {
        assert_eq!(text("a [@doe99] b"), "a CITE{|@doe99|} b");
        assert_eq!(text("[@doe99, p. 33]"), "CITE{|@doe99|, p. 33}");
        assert_eq!(
            text("[see @a, chap. 2; also @b *passim*]"),
            "CITE{see|@a|, chap. 2 ; also|@b| EM{passim}}"
        );
        assert_eq!(text("[-@doe99, 4]"), "CITE{|-@doe99|, 4}");
        assert_eq!(text("[see -@doe99]"), "CITE{see|-@doe99|}");
        assert_eq!(text("@doe99 says"), "CITE{|+@doe99|} says");
        assert_eq!(
            text("As @doe99 [p. 21] says."),
            "As CITE{|+@doe99|p. 21} says."
        );
        assert_eq!(text("(@doe99.)"), "(CITE{|+@doe99|}.)");
        assert_eq!(text("[@{a b&c}, 3]"), "CITE{|@a b&c|, 3}");
        assert_eq!(
            text("@{https://x.org/a?b} ok"),
            "CITE{|+@https://x.org/a?b|} ok"
        );
        // A citation wins over a span, as in pandoc; the attributes are text.
        assert_eq!(text("[@a]{.c}"), "CITE{|@a|}{.c}");
        // Not citations: an e-mail address, an escaped `@`, a part without a key, code,
        // link text, a note reference after a key.
        assert_eq!(text("me@x.org"), "me@x.org");
        assert_eq!(text("\\@doe99"), "@doe99");
        // An escaped bracket is text, and the `@a` after it a citation in the text, as
        // pandoc reads it.
        assert_eq!(text("\\[@a]"), "[CITE{|+@a|}]");
        assert_eq!(text("[@a; no key]"), "[CITE{|+@a|}; no key]");
        assert_eq!(text("`@a` [`@b`]"), "`@a` [`@b`]");
        assert_eq!(text("[see @a](https://x.org)"), "LINK{see @a}");
        // A citation in an inline note.
        assert_eq!(text("x^[See @a, 3.]"), "xNOTE{See CITE{|+@a|}, 3.}");
        assert_eq!(text("x^[[@a, 3]]"), "xNOTE{CITE{|@a|, 3}}");
    }

    #[test]
    fn inline_notes_nest_and_keep_their_markup() {
        assert_eq!(text("a^[note *b*] c"), "aNOTE{note EM{b}} c");
        // Brackets inside balance; a note inside a note.
        assert_eq!(text("x^[a [b] ^[c]] y"), "xNOTE{a [b] NOTE{c}} y");
        // A note is tried before a superscript; the `^` after it is text.
        assert_eq!(text("x^[y]^"), "xNOTE{y}^");
        // An escaped caret is text; a note reference stays pulldown's.
        assert_eq!(text("x\\^[y] z"), "x^[y] z");
        // Spans lines.
        assert_eq!(text("a^[one\ntwo] b"), "aNOTE{one\ntwo} b");
    }

    #[test]
    fn bracketed_spans_and_their_attributes() {
        assert_eq!(
            text("[Anton Chekhov]{.smallcaps} wrote"),
            "SPAN(.smallcaps){Anton Chekhov} wrote"
        );
        assert_eq!(
            text("[a [b]{.c}]{#d lang=fr}"),
            "SPAN(#d lang=fr){a SPAN(.c){b}}"
        );
        // Quoted values, smartened in the text events, are read from the source.
        assert_eq!(text("[a]{k=\"v w\"} z"), "SPAN( k=v w){a} z");
        // A space before `{` makes it text; `[x]{}` is a bare span.
        assert_eq!(text("[t] {.c}"), "[t] {.c}");
        assert_eq!(text("[t]{}"), "SPAN(){t}");
        // A span beats a defined reference.
        assert_eq!(text("[t]{.c}\n\n[t]: /u"), "SPAN(.c){t}");
        // Around a link (whose brackets pulldown-cmark leaves as text).
        assert_eq!(
            text("[see [x](http://a.b) now]{.c}"),
            "SPAN(.c){see LINK{x} now}"
        );
        // The brackets bind before emphasis (pandoc reads left to right; pulldown-cmark
        // binds links before emphasis, which the broken-link callback makes of them).
        assert_eq!(text("[a *b]{.c} d*"), "SPAN(.c){a *b} d*");
        assert_eq!(text("^[a *b] c*"), "NOTE{a *b} c*");
        // Attributes after a link, and raw or classed code.
        assert_eq!(text("[x](http://a.b){.c}"), "SPAN(.c){LINK{x}}");
        assert_eq!(text("`<b>`{=html} `c`{.k}"), "RAW(html:<b>) SPAN(.k){`c`}");
    }

    #[test]
    fn links_pandoc_reads_and_commonmark_does_not() {
        // pandoc's markdown-reader-more "URLs with spaces and punctuation".
        assert_eq!(text("[foo](/bar and baz) x"), "LINK{foo} x");
        assert_eq!(text("[foo](/bar\n and baz ) x"), "LINK{foo} x");
        assert_eq!(text("[foo]( /bar  and  baz  )"), "LINK{foo}");
        assert_eq!(text("[foo](bar baz  \"title\" )"), "LINK{foo}");
        // A defined `[foo]` too: pandoc tries the inline link first (pulldown-cmark took
        // the reference and left the destination as text).
        assert_eq!(
            text("[foo](/bar and baz)\n[foo](/bar\n and baz )\n\n[foo]: /url"),
            "LINK{foo}\nLINK{foo}"
        );
        // testsuite.txt: a title with quotes in it.
        assert_eq!(
            text("[URL and title](/url/ \"title with \"quotes\" in it\")."),
            "LINK{URL and title}."
        );
        let src = "[a](/b c \"t \"q\" u\")";
        assert_eq!(
            link_source(src, 3),
            Some(("/b%20c".to_string(), "t \"q\" u".to_string(), src.len() - 3))
        );
        // Not links: no `)`, a blank line, a space before `(`.
        assert_eq!(text("[foo](/bar and baz"), "[foo](/bar and baz");
        assert_eq!(link_source("(/a\n\nb)", 0), None);
        assert_eq!(text("[foo] (/bar and baz)"), "[foo] (/bar and baz)");
    }

    /// pandoc's `referenceKey` (markdown-reader-more "URLs with spaces and
    /// punctuation", "Empty reference links"; testsuite "Reference").
    #[test]
    fn reference_definitions_pandoc_reads() {
        fn def(s: &str) -> Option<(String, String, String, &str)> {
            pandoc_reference(s, 0).map(|(l, d, t, end)| (l, d, t, &s[end..]))
        }
        let r = |l: &str, d: &str, t: &str| (l.to_string(), d.to_string(), t.to_string());
        fn with(
            (l, d, t): (String, String, String),
            rest: &str,
        ) -> Option<(String, String, String, &str)> {
            Some((l, d, t, rest))
        }
        assert_eq!(
            def("[baz]: /foo foo\nx"),
            with(r("baz", "/foo%20foo", ""), "\nx")
        );
        assert_eq!(
            def("[bam]:  /foo fee   "),
            with(r("bam", "/foo%20fee", ""), "")
        );
        assert_eq!(
            def("[bork]:  /foo/zee zob   (title)\n"),
            with(r("bork", "/foo/zee%20zob", "title"), "\n")
        );
        assert_eq!(
            def("[bar]: /url/ \"Title with \"quotes\" inside\""),
            with(r("bar", "/url/", "Title with \"quotes\" inside"), "")
        );
        assert_eq!(def("[foo2]:\n\nbar"), with(r("foo2", "", ""), "\n\nbar"));
        assert_eq!(
            def("[bar]:\n/url\n\"title\"\n"),
            with(r("bar", "/url", "title"), "\n")
        );
        assert_eq!(def("[a]: <b c> 't'"), with(r("a", "b%20c", "t"), ""));
        // Not definitions: a note, attributes, text after the title, no colon.
        assert_eq!(def("[^a]: b"), None);
        assert_eq!(def("[a]: /b {#c}"), None);
        assert_eq!(def("[a]: /b \"t\" more"), None);
        assert_eq!(def("[a] /b"), None);
        assert_eq!(def("[]: /b"), None);
    }

    #[test]
    fn spans_that_cannot_be_are_reported() {
        let (out, _, problems) = run("[a]{.c text");
        assert_eq!(out, "[a]{.c text");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("cannot be read"), "{problems:?}");
        // Brackets crossing emphasis (they are text: a link inside): the `]{…}` closes
        // no `[` at its level.
        let (_, _, problems) = run("*a [b* [x](http://u) c]{.d} e");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("closes no"), "{problems:?}");
        // Not a span, and nothing to report.
        assert!(run("f(x){y} and a]{b}").2.is_empty());
    }

    #[test]
    fn superscripts_and_subscripts() {
        assert_eq!(text("H~2~O and 2^10^"), "HSUB{2}O and 2SUP{10}");
        assert_eq!(text("3^rd^ ^*em*^"), "3SUP{rd} SUP{EM{em}}");
        // White space inside: text (an escaped space is a no-break space).
        assert_eq!(text("a^b c^ d"), "a^b c^ d");
        assert_eq!(text("x^a\\ b^"), "xSUP{a\u{a0}b}");
        // Escaped delimiters are text.
        assert_eq!(text("x\\^y^ z"), "x^y^ z");
        // pulldown-cmark's single-tilde strikethrough: a subscript, or text with a space.
        assert_eq!(text("~x~ ~a b~"), "SUB{x} ~a b~");
        assert_eq!(text("~~del~~"), "Strikethrough{del}");
        // `^^` is an empty superscript in pandoc: nothing.
        assert_eq!(text("a^^b"), "ab");
        // Code is opaque.
        assert_eq!(text("`a^b` c^d"), "`a^b` c^d");
    }

    #[test]
    fn math_escapes_and_breaks() {
        // The first is text (a digit follows the closer); the second is math.
        assert_eq!(text("$x$1 and $y$"), "$x$1 and MATH(y)");
        assert_eq!(text("a\\ b"), "a\u{a0}b");
        assert_eq!(text("a\\\\ b"), "a\\ b");
        assert_eq!(text("end\\"), "end");
    }

    #[test]
    fn raw_tex_is_left_out_and_reported() {
        let (out, _, problems) = run("a \\textbf{b *c*} d \\newpage e");
        assert_eq!(out, "a  d e");
        assert_eq!(problems.len(), 2, "{problems:?}");
        // A command's optional argument is not a span.
        let (out, _, problems) = run("a \\cite[22-23]{smith.1899} b");
        assert_eq!((out.as_str(), problems.len()), ("a  b", 1), "{problems:?}");
        // `\newcommand`: a macro for the math, left out without a word.
        let src = "\\newcommand{\\tuple}[1]{\\langle #1} b";
        let (out, _, problems) = run(src);
        assert_eq!((out.as_str(), problems.len()), (" b", 0), "{problems:?}");
        assert_eq!(
            tex_macro("{\\tuple}[1]{\\langle #1}"),
            Some(TexMacro {
                name: "tuple".into(),
                args: 1,
                body: "\\langle #1".into()
            })
        );
        assert_eq!(
            tex_macro("\\R{\\mathbb{R}}").map(|m| m.body),
            Some("\\mathbb{R}".into())
        );
        let (out, _, problems) = run("\\begin{center}\nx *y*\n\\end{center}\nz");
        assert_eq!(out, "\nz");
        assert_eq!(problems.len(), 1, "{problems:?}");
        // An escaped backslash is not a command; math is opaque.
        let (out, _, problems) = run("C:\\\\Users and $\\alpha$");
        assert_eq!(out, "C:\\Users and MATH(\\alpha)");
        assert!(problems.is_empty());
    }

    #[test]
    fn heading_attributes() {
        let (out, attr, _) = run("# Title {#id .unnumbered k=\"v w\"}");
        assert_eq!(out, "Title");
        assert_eq!(attr_text(&attr.unwrap()), "#id.unnumbered k=v w");
        let (out, attr, _) = run("# Title ## {-}");
        assert_eq!(
            (out.as_str(), attr.unwrap().classes),
            ("Title", vec!["unnumbered".to_string()])
        );
        let (out, attr, _) = run("Setext{#s}\n---");
        assert_eq!(
            (out.as_str(), attr.unwrap().id),
            ("Setext", Some("s".to_string()))
        );
        // A span's attributes are not the heading's.
        let (out, attr, _) = run("# T [x]{.y}");
        assert_eq!((out.as_str(), attr), ("T SPAN(.y){x}", None));
        // Braces inside the text are text.
        let (out, attr, _) = run("# a {b} c");
        assert_eq!((out.as_str(), attr), ("a {b} c", None));
    }

    #[test]
    fn image_attributes_and_ranges() {
        let src = "![cap *e*](t.png){#fig:t width=60%}";
        assert_eq!(text(src), "IMG{cap EM{e}}(#fig:t width=60%)");
        // Ranges index the source: the note from its caret, the span to its brace.
        let src = "ab ^[n] [s]{.c}";
        let mut cb = |l: pulldown_cmark::BrokenLink<'_>| {
            wants_sentinel(src, &l.span, l.link_type).then(|| (SENTINEL.into(), "".into()))
        };
        let events: Vec<_> = Parser::new_with_broken_link_callback(src, options(), Some(&mut cb))
            .into_offset_iter()
            .filter(|(e, _)| {
                !matches!(
                    e,
                    Event::Start(Tag::Paragraph) | Event::End(TagEnd::Paragraph)
                )
            })
            .collect();
        let p = process(events, src, false, false);
        let ranges: Vec<Range<usize>> = p
            .nodes
            .iter()
            .filter(|n| matches!(n, Node::Note(..) | Node::Span(..)))
            .map(Node::range)
            .collect();
        assert_eq!(ranges, [3..7, 8..15]);
        assert_eq!(&src[3..7], "^[n]");
        assert_eq!(&src[8..15], "[s]{.c}");
    }

    /// Random strings of syntax characters, multi-byte letters and line ends never make
    /// the post-pass panic (slicing inside a character, indexing past an end).
    #[test]
    fn random_syntax_soup_does_not_panic() {
        let alphabet: Vec<&str> = vec![
            "[",
            "]",
            "{",
            "}",
            "^",
            "~",
            "\\",
            "$",
            "`",
            "*",
            "#",
            ".",
            "=",
            "\"",
            " ",
            "\n",
            "é",
            "ü",
            "→",
            "a",
            "b",
            "1",
            "(",
            ")",
            "!",
            "<b>",
            "{=html}",
            "\\begin{x}",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..3000 {
            let mut s = String::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 24) as usize;
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s.push_str(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            let _ = run(&s);
            let _ = run(&format!("# {s}"));
        }
    }

    #[test]
    fn hostile_input_does_not_panic_or_recurse_deeply() {
        for src in [
            "[".repeat(5000) + &"]{.c}".repeat(5000),
            "^[".repeat(5000) + &"]".repeat(5000),
            "~^".repeat(5000),
            "\\begin{".repeat(100),
            "[a]{".to_string(),
            "x^".to_string(),
            "é^ü^ [ä]{#ö} \\ø".to_string(),
        ] {
            let _ = run(&src);
        }
    }
}
