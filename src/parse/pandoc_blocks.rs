//! The line pre-pass for pandoc's block constructs that pulldown-cmark does not know
//! (pandoc's MANUAL, "Pandoc's Markdown"): line blocks, fenced divs, grid, simple and
//! multiline tables with their captions, fancy and example list markers, `~`
//! definition markers, and the link reference definitions pandoc reads and CommonMark
//! does not.
//!
//! It reads the source line by line, aware of the containers a line sits in (block
//! quote `>` prefixes, list items and note definitions by their content column, fenced
//! and indented code and HTML blocks skipped), and returns plain data:
//!
//! - the pandoc-only blocks with their byte ranges, in source order;
//! - a *shadow* text of exactly the source's length for pulldown-cmark: those blocks'
//!   lines blanked (their container prefixes kept, so a quote or list goes on), fancy
//!   list markers rewritten to decimal ones of the same width (`(iv)` → `001)`), `~`
//!   definition markers to `:`, and a `:` that must stay text replaced by a placeholder
//!   byte that the builder turns back. Every event range of the shadow's parse is then a
//!   range of the source (research note pandoc-markdown.md §0);
//! - the list markers rewritten (style, delimiter, value, example label);
//! - the link reference definitions only pandoc reads (their lines blanked);
//! - the problems found (an unclosed div, a grid table whose rows do not line up …).
//!
//! A manuscript without any of these constructs costs one quick look at each line's
//! first bytes ([`may_hold_pandoc_blocks`]) and no copy.

use super::attrs::{self, Braced};
use super::grid_table;
use super::inlines;
use super::line_table;
use crate::model::{Align, Attr, NumberDelim, NumberStyle};
use std::ops::Range;

/// The shadow's stand-in for a `:` that pulldown-cmark must read as text (a definition
/// marker under a paragraph of several lines: pandoc's terms are one line). Control
/// characters never reach the parser (`text::Cleaned` removes them), so it is free.
pub(crate) const PLACEHOLDER_COLON: char = '\u{1}';

/// What the pre-pass found in one text.
#[derive(Debug, Default)]
pub(crate) struct Prepass {
    /// The text pulldown-cmark parses, the source's length; `None` when nothing was
    /// changed (the source is parsed as it is).
    pub shadow: Option<String>,
    /// pandoc-only blocks, by start.
    pub blocks: Vec<PreBlock>,
    /// Ordered-list markers pulldown-cmark does not read, by offset.
    pub markers: Vec<Marker>,
    /// Problems, in source order.
    pub problems: Vec<Problem>,
    /// Link reference definitions pandoc reads and CommonMark does not (`[a]: /b c`,
    /// `[a]: /b "t "q" u"`, `[a]:` with no destination): label, destination, title.
    pub refs: Vec<(String, String, String)>,
}

/// A list marker as pandoc reads it (MANUAL "Extension: fancy_lists",
/// "Extension: example_lists").
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Marker {
    /// Offset of its first byte.
    pub at: usize,
    /// Its numeral system.
    pub style: NumberStyle,
    /// Its punctuation.
    pub delim: NumberDelim,
    /// Its value (1 for `a`, 4 for `iv`; examples are numbered by the builder).
    pub value: u64,
    /// An example's label (`good` in `(@good)`).
    pub label: Option<String>,
}

/// A problem found by the pre-pass.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Problem {
    /// Where, in the source.
    pub range: Range<usize>,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: String,
}

/// A pandoc-only block.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PreBlock {
    /// The source lines it takes.
    pub range: Range<usize>,
    /// How many containers (quotes, list items, note and list definitions) hold it.
    pub depth: usize,
    /// What it is.
    pub kind: PreKind,
}

/// The kinds of [`PreBlock`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum PreKind {
    /// A line block's lines.
    LineBlock(Vec<VerseLine>),
    /// A div's opening fence, with its attributes.
    DivOpen(Attr),
    /// The closing fence of the div opened last in the same container.
    DivClose,
    /// A grid, simple or multiline table.
    Table(TableDraft),
    /// A table caption paragraph: its lines, the marker (`Table:` or `:`) included.
    Caption(Vec<Range<usize>>),
}

/// One line of a line block.
#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct VerseLine {
    /// Leading spaces (each becomes a U+00A0, as pandoc reads them).
    pub indent: usize,
    /// The text: the line's, then each continuation line's (joined by a space). Empty
    /// with no indent: an empty line, a stanza break.
    pub pieces: Vec<Range<usize>>,
}

/// A table found by the pre-pass: its cells are source ranges, parsed by the builder.
#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct TableDraft {
    /// Per column.
    pub aligns: Vec<Align>,
    /// Relative widths (multiline and grid tables).
    pub widths: Vec<f32>,
    /// Header cells (empty: no header).
    pub head: Vec<Vec<Range<usize>>>,
    /// Body rows.
    pub rows: Vec<Vec<Vec<Range<usize>>>>,
    /// Whether cells hold blocks (grid tables) rather than one paragraph.
    pub blocks: bool,
}

/// Whether any line could start a construct this pass handles: a cheap look at the
/// first bytes of each line, so that a manuscript in plain CommonMark costs nothing
/// more than this scan.
pub(crate) fn may_hold_pandoc_blocks(text: &str) -> bool {
    text.split('\n').any(|line| {
        let b = line.trim_start_matches([' ', '\t', '>']).as_bytes();
        match b.first() {
            Some(b'|' | b':' | b'(' | b'@' | b'+') => true,
            Some(b'~') => matches!(b.get(1), Some(b' ' | b'\t')),
            Some(b'#') => matches!(b.get(1), Some(b'.' | b')')),
            Some(b'-') => b.len() >= 3 && b.iter().all(|&c| matches!(c, b'-' | b' ' | b'\r')),
            Some(b'T' | b't') if b.get(1..6) == Some(b"able:") => true,
            // A link reference definition, maybe one only pandoc reads.
            Some(b'[') => b.get(1) != Some(&b'^') && line.contains("]:"),
            Some(c) if c.is_ascii_alphabetic() => {
                // A letter or a roman numeral, then `.` or `)`.
                let n = b.iter().take_while(|c| c.is_ascii_alphabetic()).count();
                let roman = b[..n].iter().all(|c| b"ivxlcdmIVXLCDM".contains(c));
                (n == 1 || roman) && matches!(b.get(n), Some(b'.' | b')'))
            }
            _ => false,
        }
    })
}

/// Runs the pre-pass over `text`.
pub(crate) fn scan(text: &str) -> Prepass {
    if !may_hold_pandoc_blocks(text) {
        return Prepass::default();
    }
    let mut lines = Vec::new();
    let mut at = 0;
    for l in text.split_inclusive('\n') {
        lines.push(at..at + l.strip_suffix('\n').unwrap_or(l).len());
        at += l.len();
    }
    let mut s = Scanner {
        text,
        lines,
        containers: Vec::new(),
        para: None,
        last_para: None,
        fence: None,
        html: None,
        divs: Vec::new(),
        styles: Vec::new(),
        edits: Vec::new(),
        out: Prepass::default(),
    };
    s.run();
    s.finish()
}

/// A list item, note definition or definition: lines indented to `col` (after `quote`
/// block-quote markers) belong to it.
#[derive(Clone, Copy, Debug)]
struct Container {
    quote: usize,
    col: usize,
}

/// The paragraph being read.
#[derive(Clone, Copy, Debug)]
struct Para {
    first: usize,
    last: usize,
    key: (usize, usize),
    caption: bool,
}

#[derive(Clone, Copy, Debug)]
struct Fence {
    quote: usize,
    ch: u8,
    len: usize,
}

/// How an HTML block ends (CommonMark 0.31 §4.6).
#[derive(Clone, Copy, Debug)]
enum HtmlEnd {
    /// At a line containing this (case-insensitive).
    Marker(&'static str),
    /// At a blank line.
    Blank,
}

#[derive(Clone, Debug)]
struct OpenDiv {
    line: Range<usize>,
    key: (usize, usize),
}

/// A change of the shadow.
#[derive(Clone, Debug)]
enum Edit {
    /// Spaces over these bytes.
    Blank(Range<usize>),
    /// These ASCII bytes from this offset.
    Write(usize, Vec<u8>),
}

/// One line, analysed.
#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    end: usize,
    /// Block-quote markers.
    quote: usize,
    /// Byte offset after the quote markers.
    content: usize,
    /// Byte offset of the first non-blank character (`end` if blank).
    first: usize,
    /// Columns of white space before `first`, from `content`.
    indent: usize,
}

impl Line {
    fn blank(&self) -> bool {
        self.first >= self.end
    }
}

struct Scanner<'t> {
    text: &'t str,
    lines: Vec<Range<usize>>,
    containers: Vec<Container>,
    para: Option<Para>,
    /// The last paragraph, once ended, while only blank lines follow it (a table
    /// caption before a table).
    last_para: Option<Para>,
    fence: Option<Fence>,
    html: Option<(HtmlEnd, usize)>,
    divs: Vec<OpenDiv>,
    /// Per container depth, the style of the fancy list being read there.
    styles: Vec<Option<(NumberStyle, NumberDelim)>>,
    edits: Vec<Edit>,
    out: Prepass,
}

/// The HTML block-level tag names (CommonMark 0.31 §4.6, type 6).
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "base",
    "basefont",
    "blockquote",
    "body",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "iframe",
    "legend",
    "li",
    "link",
    "main",
    "menu",
    "menuitem",
    "nav",
    "noframes",
    "ol",
    "optgroup",
    "option",
    "p",
    "param",
    "search",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "track",
    "ul",
];

impl<'t> Scanner<'t> {
    fn bytes(&self) -> &'t [u8] {
        self.text.as_bytes()
    }

    fn slice(&self, r: Range<usize>) -> &'t str {
        self.text.get(r).unwrap_or("")
    }

    /// Line `i` with at most `max` quote markers taken off.
    fn line(&self, i: usize, max: usize) -> Option<Line> {
        let r = self.lines.get(i)?.clone();
        let b = self.bytes();
        let byte = |k: usize| b.get(k).copied().unwrap_or(b'\n');
        let mut p = r.start;
        let mut quote = 0;
        while quote < max {
            let mut k = p;
            let mut sp = 0;
            while k < r.end && byte(k) == b' ' && sp < 3 {
                k += 1;
                sp += 1;
            }
            if k < r.end && byte(k) == b'>' {
                quote += 1;
                p = k + 1;
                if p < r.end && matches!(byte(p), b' ' | b'\t') {
                    p += 1;
                }
            } else {
                break;
            }
        }
        let mut first = p;
        let mut indent = 0;
        while first < r.end && matches!(byte(first), b' ' | b'\t' | b'\r') {
            indent += if byte(first) == b'\t' {
                4 - indent % 4
            } else {
                1
            };
            first += 1;
        }
        Some(Line {
            start: r.start,
            end: r.end,
            quote,
            content: p,
            first,
            indent,
        })
    }

    /// The text of a line from its first non-blank character, without trailing space.
    fn rest(&self, l: &Line) -> &'t str {
        self.slice(l.first..l.end).trim_end()
    }

    /// How many containers hold line `l` (their quote depth and column match), and the
    /// column its own content starts at.
    fn matched(&self, l: &Line) -> (usize, usize) {
        let mut keep = 0;
        let mut base = 0;
        for c in &self.containers {
            if c.quote < l.quote {
                keep += 1;
            } else if c.quote == l.quote && l.indent >= c.col {
                keep += 1;
                base = c.col;
            } else {
                break;
            }
        }
        (keep, base)
    }

    fn run(&mut self) {
        let mut i = 0;
        while i < self.lines.len() {
            i = self.step(i);
        }
        self.close_divs(0, 0, true);
    }

    /// Reads line `i` (and the lines of a construct starting there); returns the next
    /// line to read.
    fn step(&mut self, i: usize) -> usize {
        let next = i + 1;
        // Inside fenced code or an HTML block: only its end matters.
        if let Some(f) = self.fence {
            let Some(l) = self.line(i, f.quote) else {
                return next;
            };
            if l.quote < f.quote && !l.blank() {
                self.fence = None;
            } else {
                let rest = self.rest(&l);
                let run = rest.bytes().take_while(|&b| b == f.ch).count();
                if run >= f.len && rest.len() == run && l.indent < 4 + self.matched(&l).1 {
                    self.fence = None;
                }
                return next;
            }
        }
        let Some(l) = self.line(i, usize::MAX) else {
            return next;
        };
        if let Some((end, quote)) = self.html {
            match end {
                HtmlEnd::Blank if l.blank() || l.quote < quote => self.html = None,
                HtmlEnd::Marker(m) => {
                    if self.slice(l.start..l.end).to_ascii_lowercase().contains(m) {
                        self.html = None;
                    }
                    return next;
                }
                HtmlEnd::Blank => return next,
            }
        }
        if l.blank() {
            if let Some(p) = self.para.take() {
                self.last_para = Some(p);
            }
            return next;
        }
        let (keep, base) = self.matched(&l);
        let rel = l.indent.saturating_sub(base);
        let rest = self.rest(&l);
        // A line under a paragraph continues it (lazily, when less indented than the
        // paragraph's container) unless it starts a block that may interrupt one. In a
        // list item a list marker does; at the top, pandoc's lists cannot.
        if let Some(p) = self.para {
            let in_item = p.key.1 > 0;
            let starts = rel < 4
                && (self.starts_block(rest)
                    || (in_item
                        && parse_marker(rest, None).is_some_and(|(_, w)| {
                            matches!(rest.as_bytes().get(w), None | Some(b' ' | b'\t'))
                        })));
            if !starts && l.quote <= p.key.0 {
                if let Some(p) = &mut self.para {
                    p.last = i;
                }
                return next;
            }
        }
        if keep < self.containers.len() {
            self.containers.truncate(keep);
            self.styles.truncate(keep + 1);
        }
        self.close_divs(l.quote, keep, false);
        let key = (l.quote, keep);
        let depth = l.quote + keep;
        if self.styles.len() <= keep {
            self.styles.resize(keep + 1, None);
        }
        let ended_para = self.para.take();
        if rel >= 4 {
            // pandoc tries tables before indented code: a simple table's header may be
            // indented as far as it likes, its dashed line not.
            if ended_para.is_none() {
                if let Some(n) = self.line_tables(i, &l, key, depth) {
                    return n;
                }
            }
            // Indented code (a paragraph was not open: it would have continued).
            self.last_para = None;
            return next;
        }
        // Fenced code.
        let fb = rest.as_bytes();
        if let Some(&ch @ (b'`' | b'~')) = fb.first() {
            let run = fb.iter().take_while(|&&b| b == ch).count();
            if run >= 3 && !(ch == b'`' && rest[run..].contains('`')) {
                self.fence = Some(Fence {
                    quote: l.quote,
                    ch,
                    len: run,
                });
                self.last_para = None;
                return next;
            }
        }
        if let Some(end) = html_start(rest, ended_para.is_some()) {
            self.html = Some((end, l.quote));
            // A one-line block of an end-marked kind.
            if let HtmlEnd::Marker(m) = end {
                if rest
                    .to_ascii_lowercase()
                    .get(2..)
                    .is_some_and(|t| t.contains(m))
                {
                    self.html = None;
                }
            }
            self.last_para = None;
            return next;
        }
        // A link reference definition starting a block at the top (pandoc's
        // `referenceKey`, MANUAL "Reference links"): one CommonMark refuses (a
        // destination with spaces, a title with quotes in it, no destination) is blanked
        // and handed to the builder; one it reads is left to pulldown-cmark. Either way
        // the next line starts a block (pandoc ends a definition at its line's end).
        if ended_para.is_none() && depth == 0 && rest.starts_with('[') {
            if let Some((label, dest, title, end)) = inlines::pandoc_reference(self.text, l.first) {
                let mut last = i;
                while self.lines.get(last).is_some_and(|r| r.end < end) {
                    last += 1;
                }
                let def = self.slice(l.first..end);
                if pulldown_cmark::Parser::new(def)
                    .reference_definitions()
                    .iter()
                    .next()
                    .is_none()
                {
                    self.blank_lines(i, last, 0);
                    self.out.refs.push((label, dest, title));
                }
                self.last_para = None;
                return last + 1;
            }
        }
        // Grid table.
        if grid_table::is_border(rest) && ended_para.is_none() {
            return self.grid_table(i, &l, key, depth);
        }
        // Pipe table (pulldown-cmark reads it; found here for its captions and so that
        // its rows are not read as a line block).
        if ended_para.is_none() && rest.contains('|') && self.is_pipe_delimiter(i + 1, l.quote) {
            let mut end = i + 1;
            while let Some(n) = self.line(end + 1, usize::MAX) {
                if n.blank() || !self.rest(&n).contains('|') {
                    break;
                }
                end += 1;
            }
            let range = l.start..self.lines.get(end).map_or(l.end, |r| r.end);
            return self.table_captions(range, end + 1, key, depth, None);
        }
        // Line block.
        if rel == 0 && ended_para.is_none() && is_verse_start(rest) {
            return self.line_block(i, &l, key, depth, None);
        }
        // Fenced div.
        if rel == 0 && rest.starts_with(":::") {
            return self.div_fence(i, &l, key, depth, ended_para.is_some());
        }
        // Simple and multiline tables.
        if ended_para.is_none() {
            if let Some(n) = self.line_tables(i, &l, key, depth) {
                return n;
            }
        }
        // A caption paragraph before a table (`: Caption` would read as a definition).
        let caption = caption_marker(rest).is_some();
        if caption && ended_para.is_none() && self.table_follows(i, l.quote) {
            self.last_para = None;
            self.para = Some(Para {
                first: i,
                last: i,
                key,
                caption: true,
            });
            return next;
        }
        // List items, note definitions, definitions: containers.
        if let Some((col, style)) = self.item(&l, rel, rest, ended_para) {
            self.containers.push(Container {
                quote: l.quote,
                col: base + col,
            });
            if let Some(slot) = self.styles.get_mut(keep) {
                *slot = style;
            }
            self.styles.truncate(keep + 1);
            self.last_para = None;
            // Verse right after the marker (`- | a line`, `:   | a line`): a line block
            // in the item.
            let content = l.first + (col - rel);
            if is_verse_start(self.slice(content.min(l.end)..l.end)) {
                return self.line_block(i, &l, (l.quote, keep + 1), depth + 1, Some(content));
            }
            // The item's first line starts its paragraph (a tight item's text).
            self.para = Some(Para {
                first: i,
                last: i,
                key: (l.quote, keep + 1),
                caption: false,
            });
            return next;
        }
        if let Some(slot) = self.styles.get_mut(keep) {
            *slot = None;
        }
        if is_heading_or_rule(rest) {
            self.last_para = None;
            return next;
        }
        // A paragraph's first line.
        self.last_para = None;
        self.para = Some(Para {
            first: i,
            last: i,
            key,
            caption,
        });
        next
    }

    /// Whether the paragraph starting at line `i` is followed, past blank lines, by a
    /// table (a grid, pipe, simple or multiline one).
    fn table_follows(&self, i: usize, quote: usize) -> bool {
        let mut k = i;
        while self.line(k, quote).is_some_and(|n| !n.blank()) {
            k += 1;
        }
        while self.line(k, quote).is_some_and(|n| n.blank()) {
            k += 1;
        }
        let Some(n) = self.line(k, quote) else {
            return false;
        };
        let rest = self.rest(&n);
        let next = self.line(k + 1, quote).map(|m| self.rest(&m)).unwrap_or("");
        grid_table::is_border(rest)
            || (rest.contains('|') && self.is_pipe_delimiter(k + 1, quote))
            || line_table::dash_runs(next).is_some_and(|r| r.len() >= 2)
            || line_table::dash_runs(rest).is_some()
    }

    /// Whether a line (from its first non-blank byte) begins a block that ends a
    /// paragraph above it in pandoc or in pulldown-cmark.
    fn starts_block(&self, rest: &str) -> bool {
        let b = rest.as_bytes();
        match b.first() {
            None => false,
            Some(b'#') => {
                let n = b.iter().take_while(|&&c| c == b'#').count();
                n <= 6 && matches!(b.get(n), None | Some(b' ' | b'\t'))
            }
            Some(b'>') => true,
            Some(b'~') if is_definition_marker(rest) => true,
            Some(&c @ (b'`' | b'~')) => b.iter().take_while(|&&x| x == c).count() >= 3,
            Some(b'-' | b'*' | b'+' | b'_') => {
                is_heading_or_rule(rest) || matches!(b.get(1), None | Some(b' ' | b'\t'))
            }
            Some(b':') => rest.starts_with(":::") || is_definition_marker(rest),
            Some(b'|') => false,
            Some(b'<') => html_start(rest, true).is_some(),
            Some(c) if c.is_ascii_digit() => {
                let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
                n <= 9
                    && matches!(b.get(n), Some(b'.' | b')'))
                    && matches!(b.get(n + 1), None | Some(b' ' | b'\t'))
            }
            Some(b'=') => b.iter().all(|&c| c == b'=' || c == b' '),
            _ => false,
        }
    }

    /// Whether line `i` is a pipe table's delimiter row.
    fn is_pipe_delimiter(&self, i: usize, quote: usize) -> bool {
        let Some(l) = self.line(i, usize::MAX) else {
            return false;
        };
        let rest = self.rest(&l);
        l.quote == quote
            && !rest.is_empty()
            && rest.contains('-')
            && rest
                .bytes()
                .all(|b| matches!(b, b'|' | b'-' | b':' | b' ' | b'\t'))
            && (rest.contains('|') || rest.contains(':'))
    }

    /// Reads a grid table from line `i`.
    fn grid_table(&mut self, i: usize, l: &Line, key: (usize, usize), depth: usize) -> usize {
        let mut ranges = Vec::new();
        ranges.push(l.first..l.end);
        let mut end = i;
        while let Some(n) = self.line(end + 1, l.quote) {
            let rest = self.rest(&n);
            if n.blank() || n.quote != l.quote || !(rest.starts_with('+') || rest.starts_with('|'))
            {
                break;
            }
            ranges.push(n.first..n.end);
            end += 1;
        }
        let (table, problem) = grid_table::parse(self.text, &ranges);
        if let Some(p) = problem {
            let (message, hint) = if p.unclosed {
                (
                    "this grid table has no bottom border",
                    "end the table with a border line like its top one (`+---+---+`)",
                )
            } else if p.spans {
                (
                    "this grid table has cells spanning rows or columns, which are not supported",
                    "each such cell is set in its first row and column, the places it spans \
                     left empty; split it into one cell per row and column",
                )
            } else {
                (
                    "this grid table row does not line up with the table's columns",
                    "put every `|` of a row under a `+` of the border above it; cells spanning \
                     rows or columns are not supported (the row is split at its `|`)",
                )
            };
            self.out.problems.push(Problem {
                range: p.at..p.at + 1,
                message: message.into(),
                hint: hint.into(),
            });
        }
        let draft = TableDraft {
            aligns: table.aligns,
            widths: table.widths,
            head: table.head,
            rows: table.rows,
            blocks: true,
        };
        let range = l.start..self.lines.get(end).map_or(l.end, |r| r.end);
        self.blank_lines(i, end, l.quote);
        self.table_captions(range, end + 1, key, depth, Some(draft))
    }

    /// Simple and multiline tables starting at line `i`, if any; the next line to read.
    fn line_tables(
        &mut self,
        i: usize,
        l: &Line,
        key: (usize, usize),
        depth: usize,
    ) -> Option<usize> {
        let rest = self.rest(l);
        let dashes_here = line_table::dash_runs(rest);
        let next = self.line(i + 1, l.quote).filter(|n| n.quote == l.quote);
        let next_runs = next.and_then(|n| line_table::dash_runs(self.rest(&n)));
        // Columns count from the line's content (after its quote markers).
        let full = |r: &Line| r.content..r.start + self.slice(r.start..r.end).trim_end().len();
        let is_dash_line = |s: &Self, k: usize| {
            s.line(k, l.quote)
                .filter(|n| n.quote == l.quote && !n.blank())
                .and_then(|n| line_table::dash_runs(s.rest(&n)))
        };
        let blank_at = |s: &Self, k: usize| {
            s.line(k, l.quote)
                .is_none_or(|n| n.blank() || n.quote != l.quote)
        };
        // Simple table with a header: a text line, then a dashed line of two runs or
        // more (one run would be a setext heading's underline), not indented as code.
        let next_base = next.map_or(0, |n| self.matched(&n).1);
        let next_code = next.is_some_and(|n| n.indent >= next_base + 4);
        if dashes_here.is_none() && !next_code && next_runs.as_ref().is_some_and(|r| r.len() >= 2) {
            let header = full(l);
            let dash = full(&next?);
            let mut rows = Vec::new();
            let mut k = i + 2;
            while let Some(n) = self.line(k, l.quote) {
                if n.blank() || n.quote != l.quote {
                    break;
                }
                if line_table::dash_runs(self.rest(&n)).is_some() && blank_at(self, k + 1) {
                    k += 1;
                    break;
                }
                rows.push(vec![full(&n)]);
                k += 1;
            }
            // A table has a row (pandoc's rows are `sepEndBy1`).
            if rows.is_empty() {
                return None;
            }
            let t = line_table::build(self.text, &dash, &[header], &rows, false);
            return Some(self.finish_line_table(i, k - 1, l, key, depth, t));
        }
        let runs = dashes_here?;
        if l.indent >= self.matched(l).1 + 4 {
            return None;
        }
        // Multiline table with a header: a line of dashes, header lines, a dashed line,
        // rows separated by blank lines, a line of dashes and a blank line.
        if runs.len() == 1 && next.is_some_and(|n| !n.blank()) {
            let mut k = i + 1;
            let mut header = Vec::new();
            while let Some(n) = self.line(k, l.quote) {
                if n.blank() || n.quote != l.quote || is_dash_line(self, k).is_some() {
                    break;
                }
                header.push(full(&n));
                k += 1;
            }
            if !header.is_empty() && is_dash_line(self, k).is_some() {
                let dash = self.line(k, l.quote).map(|n| full(&n))?;
                if let Some((rows, end)) = self.multiline_rows(k + 1, l.quote) {
                    let t = line_table::build(self.text, &dash, &header, &rows, true);
                    return Some(self.finish_line_table(i, end, l, key, depth, t));
                }
            }
            return None;
        }
        // Without a header: a dashed line of two runs or more, rows, a dashed line and a
        // blank line; rows separated by blank lines make it a multiline table.
        if runs.len() >= 2 {
            let (rows, end) = self.multiline_rows(i + 1, l.quote)?;
            // Rows separated by blank lines make it a multiline table.
            let multi = self
                .lines
                .get(i + 1..end)
                .is_some_and(|ls| ls.iter().any(|r| self.slice(r.clone()).trim().is_empty()));
            let rows = if multi {
                rows
            } else {
                rows.into_iter().flatten().map(|r| vec![r]).collect()
            };
            let t = line_table::build(self.text, &full(l), &[], &rows, multi);
            return Some(self.finish_line_table(i, end, l, key, depth, t));
        }
        None
    }

    /// Rows from line `k` up to a closing dashed line followed by a blank line (or the
    /// end): each row its lines; `None` when no closing line comes before a second
    /// blank line.
    fn multiline_rows(
        &self,
        mut k: usize,
        quote: usize,
    ) -> Option<(Vec<Vec<Range<usize>>>, usize)> {
        // The first row comes right under the dashed line.
        if self
            .line(k, quote)
            .is_none_or(|n| n.blank() || n.quote != quote)
        {
            return None;
        }
        let mut rows: Vec<Vec<Range<usize>>> = Vec::new();
        let mut row: Vec<Range<usize>> = Vec::new();
        let mut blanks = 0;
        loop {
            let n = self.line(k, quote)?;
            if n.blank() || n.quote != quote {
                blanks += 1;
                if blanks > 1 || n.quote != quote {
                    return None;
                }
                if !row.is_empty() {
                    rows.push(std::mem::take(&mut row));
                }
                k += 1;
                continue;
            }
            blanks = 0;
            let rest = self.rest(&n);
            if line_table::dash_runs(rest).is_some() {
                let after = self.line(k + 1, quote);
                if after.is_none_or(|a| a.blank() || a.quote != quote) {
                    if !row.is_empty() {
                        rows.push(row);
                    }
                    return (!rows.is_empty()).then_some((rows, k));
                }
                return None;
            }
            row.push(n.content..n.start + self.slice(n.start..n.end).trim_end().len());
            k += 1;
        }
    }

    fn finish_line_table(
        &mut self,
        i: usize,
        end: usize,
        l: &Line,
        key: (usize, usize),
        depth: usize,
        t: line_table::LineTable,
    ) -> usize {
        let draft = TableDraft {
            aligns: t.aligns,
            widths: t.widths,
            head: t.head,
            rows: t.rows,
            blocks: false,
        };
        let range = l.start..self.lines.get(end).map_or(l.end, |r| r.end);
        self.blank_lines(i, end, l.quote);
        self.table_captions(range, end + 1, key, depth, Some(draft))
    }

    /// Records a table (none for a pipe table, which pulldown-cmark reads) and the
    /// caption paragraph just before it or just after it (MANUAL "Extension:
    /// table_captions"); returns the next line to read.
    fn table_captions(
        &mut self,
        range: Range<usize>,
        mut next: usize,
        key: (usize, usize),
        depth: usize,
        draft: Option<TableDraft>,
    ) -> usize {
        let before = self.last_para.take().filter(|p| p.caption && p.key == key);
        if let Some(p) = before {
            self.caption(p.first, p.last, depth);
        } else {
            // After the table, past blank lines.
            let mut k = next;
            while self
                .line(k, usize::MAX)
                .is_some_and(|n| n.blank() && n.quote == key.0)
            {
                k += 1;
            }
            let first = self.line(k, usize::MAX).filter(|n| {
                let (keep, base) = self.matched(n);
                n.quote == key.0
                    && keep == key.1
                    && n.indent.saturating_sub(base) < 4
                    && caption_marker(self.rest(n)).is_some()
            });
            if first.is_some() {
                let mut last = k;
                while self
                    .line(last + 1, usize::MAX)
                    .is_some_and(|n| !n.blank() && n.quote >= key.0)
                {
                    last += 1;
                }
                self.caption(k, last, depth);
                next = last + 1;
            }
        }
        if let Some(draft) = draft {
            self.out.blocks.push(PreBlock {
                range,
                depth,
                kind: PreKind::Table(draft),
            });
        }
        self.last_para = None;
        next
    }

    /// Records lines `first..=last` as a caption and blanks them.
    fn caption(&mut self, first: usize, last: usize, depth: usize) {
        let mut pieces = Vec::new();
        for k in first..=last {
            if let Some(n) = self.line(k, usize::MAX) {
                let s = self.slice(n.first..n.end);
                pieces.push(n.first..n.first + s.trim_end().len());
            }
        }
        let (Some(a), Some(b)) = (self.lines.get(first), self.lines.get(last)) else {
            return;
        };
        let range = a.start..b.end;
        self.blank_lines(first, last, usize::MAX);
        self.out.blocks.push(PreBlock {
            range,
            depth,
            kind: PreKind::Caption(pieces),
        });
    }

    /// Blanks the content of lines `first..=last` (after at most `quote` quote markers).
    fn blank_lines(&mut self, first: usize, last: usize, quote: usize) {
        for k in first..=last {
            if let Some(n) = self.line(k, quote) {
                if n.content < n.end {
                    self.edits.push(Edit::Blank(n.content..n.end));
                }
            }
        }
    }

    /// Reads a line block from line `i`; `after_marker`: where it starts on its first
    /// line, after a list or definition marker.
    fn line_block(
        &mut self,
        i: usize,
        l: &Line,
        key: (usize, usize),
        depth: usize,
        after_marker: Option<usize>,
    ) -> usize {
        let mut verse: Vec<VerseLine> = Vec::new();
        let mut end = i;
        let mut k = i;
        while let Some(mut n) = self.line(k, l.quote) {
            if n.blank() || n.quote != l.quote {
                break;
            }
            let (mut keep, base) = self.matched(&n);
            let mut rel = n.indent.saturating_sub(base);
            if let (true, Some(at)) = (k == i, after_marker) {
                n.first = at;
                (keep, rel) = (key.1, 0);
            }
            let rest = self.rest(&n);
            if keep == key.1 && rel == 0 && is_verse_start(rest) {
                // After `|` and one space: leading spaces are kept, one U+00A0 each.
                let after = n.first + 1 + usize::from(rest.len() > 1);
                let body = self.slice(after..n.end);
                let trimmed = body.trim_start_matches([' ', '\t']);
                let lead = body.len() - trimmed.len();
                let indent = body
                    .bytes()
                    .take(lead)
                    .map(|c| if c == b'\t' { 4 } else { 1 })
                    .sum();
                let text = trimmed.trim_end();
                let start = after + lead;
                verse.push(if text.is_empty() {
                    VerseLine::default()
                } else {
                    VerseLine {
                        indent,
                        pieces: std::iter::once(start..start + text.len()).collect(),
                    }
                });
            } else if rel >= 1 && keep >= key.1 && !verse.is_empty() && !rest.starts_with('|') {
                // A continuation line (it starts with a space).
                let r = n.first..n.first + rest.len();
                if let Some(last) = verse.last_mut() {
                    last.pieces.push(r);
                }
            } else {
                break;
            }
            end = k;
            k += 1;
        }
        let range = l.start..self.lines.get(end).map_or(l.end, |r| r.end);
        match after_marker {
            // The marker stays: pulldown-cmark opens the item.
            Some(at) => {
                self.edits.push(Edit::Blank(at..l.end));
                if end > i {
                    self.blank_lines(i + 1, end, l.quote);
                }
            }
            None => self.blank_lines(i, end, l.quote),
        }
        self.out.blocks.push(PreBlock {
            range,
            depth,
            kind: PreKind::LineBlock(verse),
        });
        self.last_para = None;
        end + 1
    }

    /// A line of colons: a div's opening or closing fence (MANUAL "Extension:
    /// fenced_divs").
    fn div_fence(
        &mut self,
        i: usize,
        l: &Line,
        key: (usize, usize),
        depth: usize,
        after_text: bool,
    ) -> usize {
        let rest = self.rest(l);
        let colons = rest.bytes().take_while(|&b| b == b':').count();
        let tail = rest[colons..].trim_start();
        let range = l.start..l.end;
        if tail.is_empty() {
            // A closing fence: the last div opened in this container.
            match self.divs.last() {
                Some(d) if d.key == key => {
                    self.divs.pop();
                    self.edits.push(Edit::Blank(l.content..l.end));
                    self.out.blocks.push(PreBlock {
                        range,
                        depth,
                        kind: PreKind::DivClose,
                    });
                }
                _ => {
                    self.edits.push(Edit::Blank(l.content..l.end));
                    self.out.problems.push(Problem {
                        range: l.first..l.first + colons,
                        message: "this closing fence `:::` closes no fenced div".into(),
                        hint: "open a div with `::: {.class}` (or `::: class`) above it, or \
                               remove the line"
                            .into(),
                    });
                }
            }
            self.last_para = None;
            return i + 1;
        }
        if after_text {
            // An opening fence cannot interrupt a paragraph: it is text.
            self.para = Some(Para {
                first: i,
                last: i,
                key,
                caption: false,
            });
            return i + 1;
        }
        let tail_at = l.first + (rest.len() - tail.len());
        let attr = if tail.starts_with('{') {
            match attrs::parse(tail) {
                Ok((Braced::Attr(a), _)) => a,
                Ok((Braced::Raw(_), _)) | Err(_) => {
                    self.out.problems.push(Problem {
                        range: tail_at..l.first + rest.len(),
                        message: "the attributes of this fenced div cannot be read".into(),
                        hint: "write them as `{#id .class key=value}`; the div is kept \
                               without them"
                            .into(),
                    });
                    Attr::default()
                }
            }
        } else {
            // One bare word: a class.
            let word = tail
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches(':');
            Attr {
                classes: if word.is_empty() {
                    Vec::new()
                } else {
                    vec![word.to_string()]
                },
                ..Attr::default()
            }
        };
        self.divs.push(OpenDiv {
            line: l.first..l.first + rest.len(),
            key,
        });
        self.edits.push(Edit::Blank(l.content..l.end));
        self.out.blocks.push(PreBlock {
            range,
            depth,
            kind: PreKind::DivOpen(attr),
        });
        self.last_para = None;
        i + 1
    }

    /// Reports the divs left open in containers that ended (those deeper than
    /// `(quote, keep)`), or all of them at the end of the text.
    fn close_divs(&mut self, quote: usize, keep: usize, all: bool) {
        while let Some(d) = self.divs.last() {
            let ended = all || d.key.0 > quote || (d.key.0 == quote && d.key.1 > keep);
            if !ended {
                break;
            }
            let line = d.line.clone();
            self.divs.pop();
            self.out.problems.push(Problem {
                range: line,
                message: "this fenced div is never closed".into(),
                hint: "close it with a line of three colons `:::`; it runs to the end of \
                       its container"
                    .into(),
            });
        }
    }

    /// A container starting on line `l`: a list item (bullet, ordered, fancy), a note
    /// definition or a definition. Returns its content column (from the line's base)
    /// and the fancy list style it continues, recording and rewriting fancy markers.
    #[allow(clippy::type_complexity)]
    fn item(
        &mut self,
        l: &Line,
        rel: usize,
        rest: &str,
        ended_para: Option<Para>,
    ) -> Option<(usize, Option<(NumberStyle, NumberDelim)>)> {
        let b = rest.as_bytes();
        let spaces_after = |w: usize| -> usize {
            let n = b
                .get(w..)
                .map_or(0, |t| t.iter().take_while(|&&c| c == b' ').count());
            if n == 0 || n > 4 {
                1
            } else {
                n
            }
        };
        let followed = |w: usize| matches!(b.get(w), None | Some(b' ' | b'\t'));
        match b.first()? {
            b'-' | b'*' | b'+' if followed(1) => return Some((rel + 1 + spaces_after(1), None)),
            b'[' if rest.starts_with("[^") => {
                // A note definition: its content is indented four columns.
                let close = rest.find("]:")?;
                return (close > 2).then_some((rel + 4, None));
            }
            b':' | b'~' if is_definition_marker(rest) => {
                let before = ended_para.or(self.last_para);
                let term = before.is_some_and(|p| p.last == p.first);
                if !term && before.is_some() && b.first() == Some(&b':') {
                    // pandoc's terms are one line: under a longer paragraph the `:` is
                    // text, for pulldown-cmark too.
                    self.edits
                        .push(Edit::Write(l.first, vec![PLACEHOLDER_COLON as u8]));
                    return None;
                }
                if b.first() == Some(&b'~') {
                    if !term {
                        return None;
                    }
                    // A `~` marker is rewritten to `:` for pulldown-cmark.
                    self.edits.push(Edit::Write(l.first, vec![b':']));
                }
                return Some((rel + 1 + spaces_after(1), None));
            }
            _ => {}
        }
        // Ordered markers, decimal ones included (pulldown-cmark reads those itself).
        let keep_style = self.styles.get(self.containers.len()).copied().flatten();
        let (marker, width) = parse_marker(rest, keep_style)?;
        if !followed(width) {
            return None;
        }
        // "If it could be an abbreviated first name, insist on more than one space."
        let initial = marker.delim == NumberDelim::Period
            && (marker.style == NumberStyle::UpperAlpha
                || (marker.style == NumberStyle::UpperRoman
                    && [1, 5, 10, 50, 100, 500, 1000].contains(&marker.value)));
        let two_spaces = matches!(
            (b.get(width), b.get(width + 1)),
            (None | Some(b'\t'), _) | (Some(b' '), None | Some(b' ' | b'\t'))
        );
        if initial && !two_spaces {
            return None;
        }
        // pandoc's exclusion of page numbers, "p. 5".
        if rest.starts_with("p. ") && b.get(3).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        // Lists cannot interrupt a paragraph in pandoc, except a list item's text (a
        // sublist under its first line); pulldown-cmark lets decimal ones do so, and that
        // is left as it was.
        let native = marker.style == NumberStyle::Decimal
            && marker.delim != NumberDelim::TwoParens
            && b.first().is_some_and(u8::is_ascii_digit);
        let interrupts =
            ended_para.is_some_and(|p| p.key == (l.quote, self.containers.len()) && p.key.1 == 0);
        if !native && interrupts {
            return None;
        }
        let style = Some((marker.style, marker.delim));
        let spaces = spaces_after(width);
        if !native {
            let at = l.first;
            if !self.rewrite_marker(at, width, spaces, marker.delim, rest) {
                return None;
            }
            self.out.markers.push(Marker { at, ..marker });
        }
        Some((rel + width + spaces, style))
    }

    /// Writes a decimal marker of the same width over a fancy one: `(iv)` → `001)`,
    /// `a.` → `1.`. pulldown-cmark takes at most nine digits: a wider marker takes up to
    /// three of the line's indent spaces and the spaces after it (the item's content
    /// column stays where it is). `false` when it cannot be written (an example label
    /// too long), with a problem reported.
    fn rewrite_marker(
        &mut self,
        at: usize,
        width: usize,
        spaces: usize,
        delim: NumberDelim,
        rest: &str,
    ) -> bool {
        let d = if delim == NumberDelim::Period {
            b'.'
        } else {
            b')'
        };
        if width <= 10 {
            let mut bytes = vec![b'0'; width - 1];
            if let Some(last) = bytes.last_mut() {
                *last = b'1';
            }
            bytes.push(d);
            self.edits.push(Edit::Write(at, bytes));
            return true;
        }
        let excess = width - 10;
        if spaces + excess <= 4 {
            let mut bytes = b"000000001".to_vec();
            bytes.push(d);
            bytes.extend(std::iter::repeat_n(b' ', excess));
            self.edits.push(Edit::Write(at, bytes));
            return true;
        }
        self.out.problems.push(Problem {
            range: at..at + width,
            message: format!(
                "this list marker `{}` is too long to be read as one",
                rest.get(..width).unwrap_or(rest)
            ),
            hint: "shorten the example's label (ten characters at most)".into(),
        });
        false
    }

    /// Turns the edits into the shadow.
    fn finish(mut self) -> Prepass {
        self.out.blocks.sort_by_key(|b| b.range.start);
        if self.edits.is_empty() {
            return self.out;
        }
        let mut bytes = self.text.as_bytes().to_vec();
        for edit in &self.edits {
            match edit {
                Edit::Blank(r) => {
                    if let Some(s) = bytes.get_mut(r.clone()) {
                        for b in s {
                            if *b != b'\n' {
                                *b = b' ';
                            }
                        }
                    }
                }
                Edit::Write(at, w) => {
                    if let Some(s) = bytes.get_mut(*at..*at + w.len()) {
                        s.copy_from_slice(w);
                    }
                }
            }
        }
        // Every edit replaces whole characters by ASCII, so this cannot fail; if it ever
        // did, the source is parsed as it is.
        match String::from_utf8(bytes) {
            Ok(shadow) => self.out.shadow = Some(shadow),
            Err(_) => return Prepass::default(),
        }
        self.out
    }
}

/// `| ` or a lone `|`: a line-block line (MANUAL "Extension: line_blocks").
fn is_verse_start(rest: &str) -> bool {
    let b = rest.as_bytes();
    b.first() == Some(&b'|') && matches!(b.get(1), None | Some(b' ' | b'\t'))
}

/// A definition marker: `:` or `~`, then a space or tab (MANUAL "Extension:
/// definition_lists").
fn is_definition_marker(rest: &str) -> bool {
    let b = rest.as_bytes();
    matches!(b.first(), Some(b':' | b'~')) && matches!(b.get(1), Some(b' ' | b'\t'))
}

/// The length of a table caption's marker: `Table:`, `table:`, or `:` not followed by
/// punctuation (so `:::` is not one) (MANUAL "Extension: table_captions").
pub(crate) fn caption_marker(rest: &str) -> Option<usize> {
    if rest.starts_with("Table:") || rest.starts_with("table:") {
        return Some(6);
    }
    let next = rest.get(1..)?.chars().next();
    (rest.starts_with(':') && !next.is_some_and(|c| c.is_ascii_punctuation())).then_some(1)
}

/// ATX headings, thematic breaks and setext underlines.
fn is_heading_or_rule(rest: &str) -> bool {
    let b = rest.as_bytes();
    if b.first() == Some(&b'#') {
        let n = b.iter().take_while(|&&c| c == b'#').count();
        return n <= 6 && matches!(b.get(n), None | Some(b' ' | b'\t'));
    }
    let Some(&c) = b.first() else {
        return false;
    };
    if !matches!(c, b'-' | b'*' | b'_' | b'=') {
        return false;
    }
    let n = b.iter().filter(|&&x| x == c).count();
    b.iter().all(|&x| x == c || x == b' ' || x == b'\t') && (n >= 3 || c == b'=' || c == b'-')
}

/// Whether a line starts an HTML block (CommonMark 0.31 §4.6), and how it ends. A
/// block of type 7 (any lone tag) cannot interrupt a paragraph.
fn html_start(rest: &str, after_text: bool) -> Option<HtmlEnd> {
    if !rest.starts_with('<') {
        return None;
    }
    let head: String = rest.chars().take(12).collect();
    let low = head.to_ascii_lowercase();
    for (tag, end) in [
        ("<pre", "</pre>"),
        ("<script", "</script>"),
        ("<style", "</style>"),
        ("<textarea", "</textarea>"),
    ] {
        if low.starts_with(tag)
            && matches!(
                low.as_bytes().get(tag.len()),
                None | Some(b' ' | b'>' | b'\t')
            )
        {
            return Some(HtmlEnd::Marker(end));
        }
    }
    if low.starts_with("<!--") {
        return Some(HtmlEnd::Marker("-->"));
    }
    if low.starts_with("<?") {
        return Some(HtmlEnd::Marker("?>"));
    }
    if low.starts_with("<![cdata[") {
        return Some(HtmlEnd::Marker("]]>"));
    }
    if low.starts_with("<!") && low.as_bytes().get(2).is_some_and(u8::is_ascii_alphabetic) {
        return Some(HtmlEnd::Marker(">"));
    }
    let name_start = if low.starts_with("</") { 2 } else { 1 };
    let name: String = rest
        .chars()
        .skip(name_start)
        .take_while(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let after = rest.as_bytes().get(name_start + name.len());
    if BLOCK_TAGS.contains(&name.as_str())
        && matches!(after, None | Some(b' ' | b'\t' | b'>' | b'/'))
    {
        return Some(HtmlEnd::Blank);
    }
    // Type 7: one complete tag alone on its line.
    let lone = !name.is_empty() && rest.ends_with('>') && rest.matches('<').count() == 1;
    (lone && !after_text).then_some(HtmlEnd::Blank)
}

/// Reads an ordered-list marker at the start of `rest`: decimal, `#`, `@label`, a
/// letter or a roman numeral, followed by `.` or `)` or inside `(…)`. The style of the
/// list being read (if any) is tried first, as pandoc reads a list's later items; then,
/// as for a list's first item: decimal, example, `#`, a lone `i`/`I` (roman), a letter,
/// a roman numeral (pandoc's `anyOrderedListMarker`). Returns the marker and its width.
pub(crate) fn parse_marker(
    rest: &str,
    current: Option<(NumberStyle, NumberDelim)>,
) -> Option<(Marker, usize)> {
    let b = rest.as_bytes();
    let paren = b.first() == Some(&b'(');
    let body_start = usize::from(paren);
    let body_len = b
        .get(body_start..)?
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'#' | b'@' | b'_' | b'-'))
        .count();
    let body = rest.get(body_start..body_start + body_len)?;
    let close = b.get(body_start + body_len).copied();
    let (delim, width) = match (paren, close) {
        (true, Some(b')')) => (NumberDelim::TwoParens, body_len + 2),
        (false, Some(b'.')) => (NumberDelim::Period, body_len + 1),
        (false, Some(b')')) => (NumberDelim::OneParen, body_len + 1),
        _ => return None,
    };
    let marker = |style, value, label| Marker {
        at: 0,
        style,
        delim,
        value,
        label,
    };
    if let Some(label) = body.strip_prefix('@') {
        if label
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        {
            let label = (!label.is_empty()).then(|| label.to_string());
            return Some((marker(NumberStyle::Example, 1, label), width));
        }
        return None;
    }
    if body == "#" {
        return Some((marker(NumberStyle::Decimal, 1, None), width));
    }
    if !body.is_empty() && body.len() <= 9 && body.bytes().all(|c| c.is_ascii_digit()) {
        let value = body.parse().ok()?;
        return Some((marker(NumberStyle::Decimal, value, None), width));
    }
    let read = |style: NumberStyle| -> Option<u64> {
        let lower = body.to_ascii_lowercase();
        let case_ok = match style {
            NumberStyle::LowerAlpha | NumberStyle::LowerRoman => body == lower,
            _ => body == body.to_ascii_uppercase(),
        };
        if !case_ok {
            return None;
        }
        match style {
            NumberStyle::LowerAlpha | NumberStyle::UpperAlpha => {
                let c = lower.bytes().next().filter(|_| lower.len() == 1)?;
                c.is_ascii_lowercase().then(|| u64::from(c - b'a') + 1)
            }
            NumberStyle::LowerRoman | NumberStyle::UpperRoman => roman_value(&lower),
            _ => None,
        }
    };
    if let Some((style, d)) = current {
        if d == delim {
            if let Some(v) = read(style) {
                return Some((marker(style, v, None), width));
            }
        }
    }
    let order = if body == "i" || body == "I" {
        [
            NumberStyle::LowerRoman,
            NumberStyle::UpperRoman,
            NumberStyle::LowerAlpha,
            NumberStyle::UpperAlpha,
        ]
    } else {
        [
            NumberStyle::LowerAlpha,
            NumberStyle::UpperAlpha,
            NumberStyle::LowerRoman,
            NumberStyle::UpperRoman,
        ]
    };
    order
        .into_iter()
        .find_map(|style| read(style).map(|v| (marker(style, v, None), width)))
}

/// The value of a lowercase roman numeral, `None` unless well formed (up to 3999).
fn roman_value(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 15 {
        return None;
    }
    let digit = |c: u8| match c {
        b'i' => Some(1),
        b'v' => Some(5),
        b'x' => Some(10),
        b'l' => Some(50),
        b'c' => Some(100),
        b'd' => Some(500),
        b'm' => Some(1000),
        _ => None,
    };
    let values: Vec<u64> = s.bytes().map(digit).collect::<Option<_>>()?;
    let mut total = 0;
    for (k, v) in values.iter().enumerate() {
        match values.get(k + 1) {
            Some(next) if next > v => total -= *v as i64,
            _ => total += *v as i64,
        }
    }
    let total = u64::try_from(total)
        .ok()
        .filter(|t| (1..4000).contains(t))?;
    // Well formed: written back the same way.
    (crate::model::ListNumbering {
        style: NumberStyle::LowerRoman,
        delim: NumberDelim::Period,
    }
    .marker(total)
        == format!("{s}."))
    .then_some(total)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The source text of a range.
    fn at(src: &str, r: &Range<usize>) -> String {
        src[r.clone()].to_string()
    }

    fn kinds(p: &Prepass) -> Vec<&'static str> {
        p.blocks
            .iter()
            .map(|b| match b.kind {
                PreKind::LineBlock(_) => "verse",
                PreKind::DivOpen(_) => "open",
                PreKind::DivClose => "close",
                PreKind::Table(_) => "table",
                PreKind::Caption(_) => "caption",
            })
            .collect()
    }

    /// The shadow has the source's length, and differs only where expected: each line
    /// of `blanked` (by index) is blank in it.
    fn check_shadow(src: &str, p: &Prepass, blanked: &[usize]) {
        let shadow = p.shadow.as_deref().unwrap();
        assert_eq!(shadow.len(), src.len());
        for (i, (s, o)) in shadow.split('\n').zip(src.split('\n')).enumerate() {
            if blanked.contains(&i) {
                assert!(s.trim().is_empty(), "line {i} {s:?} is not blank");
                assert_eq!(s.len(), o.len());
            }
        }
    }

    #[test]
    fn plain_commonmark_costs_no_copy() {
        let p = scan("# Title\n\nText with a | bar, 1. and a list:\n\n- one\n- two\n\n1. x\n");
        assert!(p.shadow.is_none() && p.blocks.is_empty() && p.problems.is_empty());
        assert!(!may_hold_pandoc_blocks("Just text.\n\n> quote\n"));
        assert!(may_hold_pandoc_blocks("x\n\n| verse\n"));
    }

    #[test]
    fn line_block_lines_index_the_source() {
        let src = "Intro.\n\n| The lamp\n|    is lit\n   and burns\n|\n| *late*\n\nAfter.\n";
        let p = scan(src);
        assert_eq!(kinds(&p), ["verse"]);
        let block = &p.blocks[0];
        assert_eq!(
            at(src, &block.range),
            "| The lamp\n|    is lit\n   and burns\n|\n| *late*"
        );
        let PreKind::LineBlock(lines) = &block.kind else {
            panic!()
        };
        let text: Vec<(usize, Vec<String>)> = lines
            .iter()
            .map(|l| (l.indent, l.pieces.iter().map(|r| at(src, r)).collect()))
            .collect();
        assert_eq!(
            text,
            [
                (0, vec!["The lamp".to_string()]),
                (3, vec!["is lit".to_string(), "and burns".to_string()]),
                (0, vec![]),
                (0, vec!["*late*".to_string()]),
            ]
        );
        check_shadow(src, &p, &[2, 3, 4, 5, 6]);
        assert!(p.shadow.as_deref().unwrap().contains("Intro.\n\n"));
    }

    #[test]
    fn a_line_block_after_a_list_or_definition_marker() {
        let src = "- | one\n  |   two\n\nTerm\n:   | three\n";
        let p = scan(src);
        assert_eq!(kinds(&p), ["verse", "verse"]);
        assert_eq!(p.blocks.iter().map(|b| b.depth).collect::<Vec<_>>(), [1, 1]);
        let text = |b: &PreBlock| match &b.kind {
            PreKind::LineBlock(lines) => lines
                .iter()
                .map(|l| {
                    (
                        l.indent,
                        l.pieces.iter().map(|r| at(src, r)).collect::<Vec<_>>(),
                    )
                })
                .collect::<Vec<_>>(),
            _ => panic!(),
        };
        assert_eq!(
            text(&p.blocks[0]),
            [(0, vec!["one".to_string()]), (2, vec!["two".to_string()])]
        );
        assert_eq!(text(&p.blocks[1]), [(0, vec!["three".to_string()])]);
        // The markers stay for pulldown-cmark; the verse is blank.
        assert_eq!(
            p.shadow.as_deref().unwrap(),
            "-      \n         \n\nTerm\n:          \n"
        );
    }

    #[test]
    fn bars_that_are_not_line_blocks() {
        // After paragraph text, indented, a pipe table, inside code.
        for src in [
            "Text\n| not verse\n",
            "    | code\n",
            "| a | b |\n|---|---|\n| 1 | 2 |\n",
            "```\n| code\n```\n",
            "<div>\n| html\n</div>\n",
        ] {
            let p = scan(src);
            assert!(kinds(&p).is_empty(), "{src:?}: {:?}", p.blocks);
        }
    }

    #[test]
    fn fenced_divs_nest_in_containers_and_report_problems() {
        let src = "::: {#a .epigraph}\ntext\n\n::: inner\nx\n:::\n:::\n\n> ::: note\n> y\n> :::\n";
        let p = scan(src);
        assert_eq!(
            kinds(&p),
            ["open", "open", "close", "close", "open", "close"]
        );
        let PreKind::DivOpen(attr) = &p.blocks[0].kind else {
            panic!()
        };
        assert_eq!(
            (attr.id.as_deref(), attr.classes.as_slice()),
            (Some("a"), &["epigraph".to_string()][..])
        );
        let PreKind::DivOpen(attr) = &p.blocks[1].kind else {
            panic!()
        };
        assert_eq!(attr.classes, ["inner"]);
        // In a quote: depth 1, the `>` kept so the quote goes on.
        assert_eq!(p.blocks[4].depth, 1);
        assert_eq!(at(src, &p.blocks[4].range), "> ::: note");
        let shadow = p.shadow.as_deref().unwrap();
        assert!(shadow.ends_with(">         \n> y\n>    \n"), "{shadow:?}");
        assert!(p.problems.is_empty());

        let src = "Text\n::: not-a-fence\n\n::: open\nbody\n\n:::\n:::\n";
        let p = scan(src);
        assert_eq!(kinds(&p), ["open", "close"]);
        assert_eq!(p.problems.len(), 1);
        assert_eq!(at(src, &p.problems[0].range), ":::");
        assert_eq!(p.problems[0].range.start, src.rfind(":::").unwrap());

        let src = "x\n\n::: {.a}\nnever closed\n";
        let p = scan(src);
        assert_eq!(p.problems[0].message, "this fenced div is never closed");
        assert_eq!(at(src, &p.problems[0].range), "::: {.a}");
    }

    #[test]
    fn fancy_markers_are_rewritten_at_the_same_width() {
        let src = "(iv) four\n(v) five\n\nB. Russell\n\nB.  second\n\n#. default\n\n(@good) ex\n";
        let p = scan(src);
        let shadow = p.shadow.as_deref().unwrap();
        assert_eq!(
            shadow,
            "001) four\n01) five\n\nB. Russell\n\n1.  second\n\n1. default\n\n000001) ex\n"
        );
        let m: Vec<(usize, NumberStyle, NumberDelim, u64)> = p
            .markers
            .iter()
            .map(|m| (m.at, m.style, m.delim, m.value))
            .collect();
        assert_eq!(
            m,
            [
                (0, NumberStyle::LowerRoman, NumberDelim::TwoParens, 4),
                (10, NumberStyle::LowerRoman, NumberDelim::TwoParens, 5),
                (
                    src.find("B.  ").unwrap(),
                    NumberStyle::UpperAlpha,
                    NumberDelim::Period,
                    2
                ),
                (
                    src.find("#.").unwrap(),
                    NumberStyle::Decimal,
                    NumberDelim::Period,
                    1
                ),
                (
                    src.find("(@").unwrap(),
                    NumberStyle::Example,
                    NumberDelim::TwoParens,
                    1
                ),
            ]
        );
        assert_eq!(p.markers[4].label.as_deref(), Some("good"));
        // A list cannot interrupt a paragraph; code is code.
        let p = scan("Text\na. not a list\n\n```\n(a) code\n```\n");
        assert!(p.markers.is_empty() && p.shadow.is_none());
        // An example label too long to rewrite is reported.
        let p = scan("(@averyveryverylonglabel) x\n");
        assert!(p.markers.is_empty());
        assert_eq!(p.problems.len(), 1);
    }

    #[test]
    fn definition_markers() {
        // `~` becomes `:`; a `:` under a paragraph of two lines stays text.
        let src = "Term\n~ def\n\nTwo\nlines\n: not a definition\n";
        let p = scan(src);
        let shadow = p.shadow.as_deref().unwrap();
        assert_eq!(
            shadow,
            format!("Term\n: def\n\nTwo\nlines\n{PLACEHOLDER_COLON} not a definition\n")
        );
    }

    #[test]
    fn tables_and_their_captions_index_the_source() {
        let src = "Table: Before\n\n+---+----+\n| a | bb |\n+===+====+\n| c | d  |\n+---+----+\n\nText.\n\n  x    y\n---  ---\n  1    2\n\n: After\n";
        let p = scan(src);
        assert_eq!(kinds(&p), ["caption", "table", "table", "caption"]);
        let PreKind::Caption(c) = &p.blocks[0].kind else {
            panic!()
        };
        assert_eq!(at(src, &c[0]), "Table: Before");
        let PreKind::Table(grid) = &p.blocks[1].kind else {
            panic!()
        };
        assert!(grid.blocks);
        let cell = |c: &Vec<Range<usize>>| c.iter().map(|r| at(src, r)).collect::<Vec<_>>();
        assert_eq!(cell(&grid.head[1]), ["bb"]);
        assert_eq!(cell(&grid.rows[0][0]), ["c"]);
        assert_eq!(grid.rows[0][0][0].start, src.find("| c").unwrap() + 2);
        let PreKind::Table(simple) = &p.blocks[2].kind else {
            panic!()
        };
        assert!(!simple.blocks);
        assert_eq!(cell(&simple.rows[0][1]), ["2"]);
        assert_eq!(simple.aligns, [Align::Right, Align::Right]);
        let PreKind::Caption(c) = &p.blocks[3].kind else {
            panic!()
        };
        assert_eq!(at(src, &c[0]), ": After");
        // Tables and captions are blank in the shadow; the text between is not.
        check_shadow(src, &p, &[0, 2, 3, 4, 5, 6, 10, 11, 12, 14]);
        assert!(p.shadow.as_deref().unwrap().contains("\nText.\n"));
        // A caption next to a pipe table is blanked, the table left to pulldown-cmark.
        let src = "| a | b |\n|---|---|\n| 1 | 2 |\n: Pipe\n";
        let p = scan(src);
        assert_eq!(kinds(&p), ["caption"]);
        assert!(p.shadow.as_deref().unwrap().starts_with("| a | b |"));
    }

    #[test]
    fn a_misaligned_grid_table_is_a_problem_at_its_place() {
        let src = "+---+---+\n| a | b  |\n+---+---+\n";
        let p = scan(src);
        assert_eq!(kinds(&p), ["table"]);
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.problems[0].range.start, src.find("b  |").unwrap() + 2);
    }

    proptest::proptest! {
        /// On any text made of the constructs' characters the pre-pass never panics; its
        /// shadow has the source's length and every range it gives indexes the source.
        #[test]
        fn ranges_always_index_the_source(src in "([-+=:|~( )@#.>*`a-c1iI\u{9b5a}\u{200c}\u{e9}{}]|\n| {4}){0,300}") {
            let p = scan(&src);
            if let Some(shadow) = &p.shadow {
                proptest::prop_assert_eq!(shadow.len(), src.len());
            }
            let ok = |r: &Range<usize>| src.get(r.clone()).is_some();
            for b in &p.blocks {
                proptest::prop_assert!(ok(&b.range), "{:?}", b);
                let ranges: Vec<&Range<usize>> = match &b.kind {
                    PreKind::LineBlock(lines) => lines.iter().flat_map(|l| &l.pieces).collect(),
                    PreKind::Table(t) => t.head.iter().chain(t.rows.iter().flatten()).flatten().collect(),
                    PreKind::Caption(c) => c.iter().collect(),
                    _ => Vec::new(),
                };
                for r in ranges {
                    proptest::prop_assert!(ok(r), "{:?} in {:?}", r, b);
                }
            }
            for q in &p.problems {
                proptest::prop_assert!(ok(&q.range));
            }
            for m in &p.markers {
                proptest::prop_assert!(src.is_char_boundary(m.at));
            }
        }
    }

    #[test]
    fn roman_numerals_and_markers() {
        assert_eq!(roman_value("xiv"), Some(14));
        assert_eq!(roman_value("mcmxciv"), Some(1994));
        assert_eq!(roman_value("iiii"), None);
        assert_eq!(roman_value("did"), None);
        let read = |s: &str| parse_marker(s, None).map(|(m, w)| (m.style, m.value, w));
        assert_eq!(read("i. x"), Some((NumberStyle::LowerRoman, 1, 2)));
        assert_eq!(read("v. x"), Some((NumberStyle::LowerAlpha, 22, 2)));
        assert_eq!(read("(C) x"), Some((NumberStyle::UpperAlpha, 3, 3)));
        assert_eq!(read("ab. x"), None);
        // In a lettered list, `i` is a letter.
        let alpha = Some((NumberStyle::LowerAlpha, NumberDelim::Period));
        assert_eq!(parse_marker("i. x", alpha).map(|(m, _)| m.value), Some(9));
    }
}
