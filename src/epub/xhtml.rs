//! XHTML serialisation of the book model: escaping, blocks, inlines, raw HTML, and the
//! content documents (cover, title page, chapters, notes).
//!
//! Every document is XHTML5 in the XML syntax (EPUB 3.3 §6.1, "XHTML content documents"),
//! so text and attributes are escaped here, void elements are self-closed, and characters
//! that XML 1.0 forbids (C0 controls other than tab/LF/CR, U+FFFE/U+FFFF) are dropped
//! rather than written.

use super::pages::Marker;
use super::plan::Plan;
use crate::model::{
    blocks_plain_text, is_attribution, plain_text, Align, Attr, Block, Cell, DefinitionItem,
    Dimension, HtmlNode, Inline, LinkTarget, ListNumbering, Note, NoteNumbering, NumberStyle,
};
use crate::pagemap::{html_len, inline_len, Flow};
use std::collections::VecDeque;
use std::fmt::Write as _;

/// The namespaces and language every content document's root carries. Ace (axe-core
/// `html-has-lang`) wants `lang`; EPUB's XML syntax wants `xml:lang`; both must agree.
/// `dir`, the book's base direction (pandoc's `dir` metadata), goes on the root too.
pub(crate) fn document_start(out: &mut String, plan: &Plan, title: &str) {
    let lang = escape_attr(&plan.lang);
    let dir = plan
        .book
        .meta
        .dir
        .map(|d| format!(" dir=\"{}\"", d.as_str()))
        .unwrap_or_default();
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n\
         <html xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:epub=\"http://www.idpf.org/2007/ops\" \
         lang=\"{lang}\" xml:lang=\"{lang}\"{dir}>\n<head>\n<title>{}</title>\n\
         <link rel=\"stylesheet\" type=\"text/css\" href=\"{}\"/>\n</head>\n",
        escape_text(title),
        super::plan::STYLESHEET,
    );
}

fn document_end(out: &mut String) {
    out.push_str("</html>\n");
}

/// Whether `c` may appear in an XML 1.0 document (XML 1.0 §2.2 `Char`).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The markers of one document as its writer meets them: [`Queue::due`] says whether
/// the next marker's position has been reached.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    markers: VecDeque<Marker>,
}

impl Queue {
    pub(crate) fn new(markers: VecDeque<Marker>) -> Queue {
        Queue { markers }
    }

    /// Whether the next marker stands at or before `flow`/`path`/`offset`.
    pub(crate) fn due(&self, flow: Flow, path: &[u32], offset: u32) -> bool {
        self.markers
            .front()
            .is_some_and(|m| (m.at.flow, m.at.path.as_slice(), m.at.offset) <= (flow, path, offset))
    }

    /// The offset of the next marker if it stands inside the block at `flow`/`path`.
    pub(crate) fn next_in(&self, flow: Flow, path: &[u32]) -> Option<u32> {
        self.markers
            .front()
            .filter(|m| m.at.flow == flow && m.at.path == path)
            .map(|m| m.at.offset)
    }

    /// Writes every marker due at `flow`/`path`/`offset` to `out`.
    pub(crate) fn write_due(&mut self, out: &mut String, flow: Flow, path: &[u32], offset: u32) {
        while self.due(flow, path, offset) {
            if let Some(m) = self.markers.pop_front() {
                out.push_str(&marker_xhtml(&m));
            }
        }
    }

    /// Writes every marker left (the end of a document).
    pub(crate) fn write_rest(&mut self, out: &mut String) {
        for m in self.markers.drain(..) {
            out.push_str(&marker_xhtml(&m));
        }
    }

    /// Whether no marker is left.
    pub(crate) fn is_empty(&self) -> bool {
        self.markers.is_empty()
    }
}

/// A page-break marker's element (EPUB 3.3 §D.4.1 `epub:type` `pagebreak`; DPUB-ARIA
/// 1.1 `doc-pagebreak`; its folio in `aria-label`, what assistive technology announces).
fn marker_xhtml(m: &Marker) -> String {
    format!(
        "<span epub:type=\"pagebreak\" role=\"doc-pagebreak\" id=\"{}\" aria-label=\"{}\"/>",
        escape_attr(&m.id),
        escape_attr(&m.label)
    )
}

/// Escapes text content: `&`, `<`, `>` (the last so `]]>` can never appear).
///
/// Runs of ordinary text are copied as slices: only the bytes that may need escaping or
/// dropping stop the copy (the three delimiters, control characters, and 0xEF, the lead
/// byte of U+FFFE and U+FFFF). Copying char by char was a tenth of a rebuild's CPU time
/// on a long book, whose every chapter is written again on each rebuild.
pub(crate) fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 16);
    let mut copied = 0;
    for (i, byte) in s.bytes().enumerate() {
        if !matches!(byte, b'&' | b'<' | b'>' | 0..=0x1F | 0xEF) {
            continue;
        }
        // `i` is at a char boundary: the bytes matched are ASCII or a lead byte.
        out.push_str(&s[copied..i]);
        let c = s[i..].chars().next().unwrap_or('\u{FFFD}');
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
        copied = i + c.len_utf8();
    }
    out.push_str(&s[copied.min(s.len())..]);
    out
}

/// Escapes a double-quoted attribute value. Tabs and newlines become character
/// references so attribute-value normalisation (XML 1.0 §3.3.3) keeps them.
pub(crate) fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if is_xml_char(c) => out.push(c),
            _ => {}
        }
    }
    out
}

/// HTML void elements (HTML Living Standard §13.1.2): written self-closed.
const VOID_ELEMENTS: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Serialises sanitised raw HTML as XHTML.
pub(crate) fn write_html(out: &mut String, nodes: &[HtmlNode]) {
    for node in nodes {
        match node {
            HtmlNode::Text(t) => out.push_str(&escape_text(t)),
            HtmlNode::Element {
                name,
                attrs,
                children,
            } => {
                out.push('<');
                out.push_str(name);
                for (k, v) in attrs {
                    let _ = write!(out, " {k}=\"{}\"", escape_attr(v));
                    // XHTML reads `xml:lang`, HTML `lang`: a marked passage carries both,
                    // as the documents' roots do (issue 13).
                    if k == "lang" && !attrs.iter().any(|(a, _)| a == "xml:lang") {
                        let _ = write!(out, " xml:lang=\"{}\"", escape_attr(v));
                    }
                }
                if VOID_ELEMENTS.contains(&name.as_str()) {
                    out.push_str("/>");
                } else {
                    out.push('>');
                    write_html(out, children);
                    let _ = write!(out, "</{name}>");
                }
            }
        }
    }
}

/// Renders blocks and inlines of one content document. Knows which file it writes so
/// links to the same file stay fragment-only, and tracks heading levels so levels never
/// jump (axe-core `heading-order`: "Heading levels should only increase by one").
pub(crate) struct Writer<'a> {
    plan: &'a Plan<'a>,
    /// The package file being written (e.g. `chapter-one.xhtml`).
    file: &'a str,
    /// The level of the last heading written (1 after a chapter title).
    last_level: u8,
    pub(crate) out: String,
    /// The print edition's page-break markers still to write in this document (issue
    /// 17), and where the writer is, as `pagemap` names positions: the flow, the path
    /// of the block being written, and the bytes of its flattened text written so far.
    pub(crate) marks: Queue,
    flow: Flow,
    path: Vec<u32>,
    count: u32,
    /// The offset of the next marker, when it stands in the block being written.
    armed: Option<u32>,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(plan: &'a Plan<'a>, file: &'a str, last_level: u8) -> Self {
        Writer {
            plan,
            file,
            last_level,
            out: String::new(),
            marks: Queue::default(),
            flow: Flow::TitlePage,
            path: Vec::new(),
            count: 0,
            armed: None,
        }
    }

    /// Writes the markers of `marks` as the writer reaches their positions in `flow`.
    pub(crate) fn with_marks(mut self, flow: Flow, marks: Queue) -> Self {
        self.flow = flow;
        self.marks = marks;
        self
    }

    /// Starts the content of the block at the current path: writes the markers due
    /// before it and arms the first one inside it.
    pub(crate) fn site(&mut self) {
        self.count = 0;
        if self.marks.is_empty() {
            self.armed = None;
            return;
        }
        self.marks
            .write_due(&mut self.out, self.flow, &self.path, 0);
        self.armed = self.marks.next_in(self.flow, &self.path);
    }

    /// Goes down to child `k` and starts it ([`Self::site`]).
    pub(crate) fn enter(&mut self, k: usize) {
        self.path.push(k as u32);
        self.site();
    }

    /// Comes back up from [`Self::enter`].
    pub(crate) fn leave(&mut self) {
        self.path.pop();
        self.armed = None;
    }

    /// Writes the markers due at `offset` of the current block, and arms the next.
    fn write_marks_at(&mut self, offset: u32) {
        self.marks
            .write_due(&mut self.out, self.flow, &self.path, offset);
        self.armed = self.marks.next_in(self.flow, &self.path);
    }

    /// Before an inline `len` bytes long in the flattened text: writes the markers that
    /// stand before it (`inside`: or inside it, for one that cannot hold a marker).
    fn before_inline(&mut self, len: usize, inside: bool) {
        if let Some(off) = self.armed {
            let reach = if inside {
                self.count.saturating_add(len as u32).saturating_sub(1)
            } else {
                self.count
            };
            if off <= reach {
                let at = off.max(self.count);
                self.write_marks_at(at);
            }
        }
    }

    /// Text, escaped (counted, with its markers when one is armed).
    fn text(&mut self, text: &str) {
        if self.armed.is_some() {
            self.marked_text(text);
        } else {
            self.out.push_str(&escape_text(text));
            self.count = self.count.saturating_add(text.len() as u32);
        }
    }

    /// Text, escaped, with the markers that stand inside it (at a char boundary).
    fn marked_text(&mut self, text: &str) {
        let mut rest = text;
        while let Some(off) = self.armed {
            let end = self.count as usize + rest.len();
            if off as usize >= end {
                break;
            }
            let mut cut = (off as usize).saturating_sub(self.count as usize);
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            self.out.push_str(&escape_text(&rest[..cut]));
            self.count += cut as u32;
            rest = &rest[cut..];
            self.write_marks_at(off);
        }
        self.out.push_str(&escape_text(rest));
        self.count = self.count.saturating_add(rest.len() as u32);
    }

    pub(crate) fn blocks(&mut self, blocks: &[Block]) {
        self.blocks_from(blocks, 0);
    }

    /// Blocks that are children `first..` of the current block.
    pub(crate) fn blocks_from(&mut self, blocks: &[Block], first: usize) {
        for (k, block) in blocks.iter().enumerate() {
            self.enter(first + k);
            self.block(block);
            self.leave();
        }
    }

    fn block(&mut self, block: &Block) {
        match block {
            Block::Paragraph { content, .. } => {
                self.out.push_str("<p>");
                self.inlines(content);
                self.out.push_str("</p>\n");
            }
            Block::Heading {
                level,
                content,
                id,
                attr,
                ..
            } => {
                // Clamp to one below the previous heading: a manuscript that goes from
                // `#` straight to `###` still gets a well-formed outline.
                let level = (*level)
                    .clamp(2, 6)
                    .min(self.last_level.saturating_add(1))
                    .max(2);
                self.last_level = level;
                let _ = write!(
                    self.out,
                    "<h{level} id=\"{}\"{}>",
                    escape_attr(id),
                    heading_attrs(attr)
                );
                self.inlines(content);
                let _ = writeln!(self.out, "</h{level}>");
            }
            Block::BlockQuote { blocks, .. } => {
                self.out.push_str("<blockquote>\n");
                self.blocks(blocks);
                self.out.push_str("</blockquote>\n");
            }
            Block::List {
                start,
                numbering,
                items,
                ..
            } => {
                let tag = match start {
                    Some(n) => {
                        self.out.push_str("<ol");
                        self.out.push_str(list_type(numbering));
                        if *n != 1 {
                            let _ = write!(self.out, " start=\"{n}\"");
                        }
                        self.out.push_str(">\n");
                        "ol"
                    }
                    None => {
                        self.out.push_str("<ul>\n");
                        "ul"
                    }
                };
                for (k, item) in items.iter().enumerate() {
                    self.out.push_str("<li>");
                    self.enter(k);
                    // A one-paragraph item is written without its <p> (a tight list item).
                    if let [Block::Paragraph { content, .. }] = item.as_slice() {
                        self.enter(0);
                        self.inlines(content);
                        self.leave();
                    } else {
                        self.out.push('\n');
                        self.blocks(item);
                    }
                    self.leave();
                    self.out.push_str("</li>\n");
                }
                let _ = writeln!(self.out, "</{tag}>");
            }
            Block::CodeBlock { lang, text, .. } => {
                self.out.push_str("<pre><code");
                if let Some(lang) = lang {
                    let class: String = lang
                        .chars()
                        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+'))
                        .collect();
                    if !class.is_empty() {
                        let _ = write!(self.out, " class=\"language-{class}\"");
                    }
                }
                self.out.push('>');
                self.marked_text(text.strip_suffix('\n').unwrap_or(text));
                self.out.push_str("</code></pre>\n");
            }
            Block::ThematicBreak { .. } => self.out.push_str("<hr class=\"scene-break\"/>\n"),
            Block::Table {
                align,
                widths,
                head,
                rows,
                caption,
                ..
            } => self.table(align, widths, head, rows, caption),
            Block::Html { nodes, .. } => {
                write_html(&mut self.out, nodes);
                self.out.push('\n');
            }
            Block::Figure {
                image,
                caption,
                attr,
                width,
                height,
                ..
            } => self.figure(image, caption, attr, *width, *height),
            // pandoc's block constructs (issue 12).
            Block::LineBlock { lines, .. } => self.line_block(lines),
            Block::Div { attr, blocks, .. } => self.div(attr, blocks),
            Block::DefinitionList { items, .. } => self.definition_list(items),
        }
    }

    /// Verse as pandoc writes a line block (its HTML writer, `LineBlock`): one `div`,
    /// the lines separated by `<br/>`, an empty line (a stanza break) an empty line
    /// between two breaks; leading spaces are already U+00A0 in the model.
    fn line_block(&mut self, lines: &[Vec<Inline>]) {
        self.out.push_str("<div class=\"line-block\">");
        for (k, line) in lines.iter().enumerate() {
            if k > 0 {
                self.out.push_str("<br/>\n");
            }
            self.enter(k);
            self.inlines(line);
            self.leave();
        }
        self.out.push_str("</div>\n");
    }

    /// A fenced div with the author's attributes (see [`div_attributes`]). In an
    /// epigraph, a last paragraph that opens with an em dash is its attribution, marked
    /// so the stylesheet sets it flush right.
    fn div(&mut self, attr: &Attr, blocks: &[Block]) {
        let _ = writeln!(self.out, "<div{}>", div_attributes(attr));
        let epigraph = attr.has_class("epigraph");
        for (k, block) in blocks.iter().enumerate() {
            self.enter(k);
            match block {
                Block::Paragraph { content, .. }
                    if epigraph && k + 1 == blocks.len() && is_attribution(content) =>
                {
                    self.out.push_str("<p class=\"attribution\">");
                    self.inlines(content);
                    self.out.push_str("</p>\n");
                }
                _ => self.block(block),
            }
            self.leave();
        }
        self.out.push_str("</div>\n");
    }

    /// `dl`/`dt`/`dd`, as pandoc writes a definition list; a one-paragraph definition
    /// without its `<p>` (a tight list's, as list items are written here).
    fn definition_list(&mut self, items: &[DefinitionItem]) {
        self.out.push_str("<dl>\n");
        for (k, item) in items.iter().enumerate() {
            // No marker between `<dl>` and `<dt>`: the item's first is in its term.
            self.path.push(k as u32);
            self.out.push_str("<dt>");
            self.enter(0);
            self.inlines(&item.term);
            self.leave();
            self.out.push_str("</dt>\n");
            for (d, definition) in item.definitions.iter().enumerate() {
                self.out.push_str("<dd>");
                self.enter(d + 1);
                if let [Block::Paragraph { content, .. }] = definition.as_slice() {
                    self.enter(0);
                    self.inlines(content);
                    self.leave();
                } else {
                    self.out.push('\n');
                    self.blocks(definition);
                }
                self.leave();
                self.out.push_str("</dd>\n");
            }
            self.path.pop();
        }
        self.out.push_str("</dl>\n");
    }

    /// A cell's content: a one-paragraph cell as its inlines (as a pipe table's cell
    /// always was), blocks otherwise.
    /// Cell `col` of row `row` (see `pagemap`): a marker for a page that begins at the
    /// row is written in its first cell (never between `<tr>` and `<td>`).
    fn cell(&mut self, row: usize, col: usize, cell: &Cell) {
        self.path.push(row as u32);
        self.enter(col);
        if let [Block::Paragraph { content, .. }] = cell.as_slice() {
            self.enter(0);
            self.inlines(content);
            self.leave();
        } else if !cell.is_empty() {
            self.out.push('\n');
            self.blocks(cell);
        }
        self.leave();
        self.path.pop();
    }

    /// A figure as pandoc's HTML writer makes one (`Writers/HTML.hs` `figure`): the id on
    /// `<figure>`, the classes and size on `<img>`, the caption in `<figcaption>`; the
    /// image's alt text is the caption's text, so the caption is hidden from assistive
    /// technology, which reads the alt text already. Without a caption, the image alone
    /// in a paragraph.
    fn figure(
        &mut self,
        image: &[Inline],
        caption: &[Inline],
        attr: &Attr,
        width: Option<Dimension>,
        height: Option<Dimension>,
    ) {
        let Some(Inline::Image { asset, alt }) = image.first() else {
            return;
        };
        let Some(src) = self.plan.asset_file(*asset) else {
            self.out.push_str("<p>");
            self.out.push_str(&escape_text(alt));
            self.out.push_str("</p>\n");
            return;
        };
        let mut img = format!("<img src=\"{}\"", escape_attr(src));
        let classes = class_list(&attr.classes);
        if !classes.is_empty() {
            let _ = write!(img, " class=\"{}\"", escape_attr(&classes));
        }
        // pandoc (`dimensionsToAttrList`): pixels as attributes, other units as style,
        // as written (`inch` as `in`).
        let mut style = String::new();
        for (name, dim) in [("width", width), ("height", height)] {
            match (dim, attr.get(name)) {
                (Some(Dimension::Pixels(px)), _) => {
                    let _ = write!(img, " {name}=\"{}\"", px.round() as i64);
                }
                (Some(_), Some(written)) => {
                    let _ = write!(style, "{name}:{};", written.replace("inch", "in"));
                }
                _ => {}
            }
        }
        if !style.is_empty() {
            let _ = write!(img, " style=\"{}\"", escape_attr(&style));
        }
        let _ = write!(img, " alt=\"{}\"/>", escape_attr(alt));
        if caption.is_empty() {
            let id = attr
                .id
                .as_ref()
                .map(|id| format!(" id=\"{}\"", escape_attr(id)))
                .unwrap_or_default();
            let _ = writeln!(self.out, "<p class=\"image\"{id}>{img}</p>");
            return;
        }
        self.out.push_str("<figure");
        if let Some(id) = &attr.id {
            let _ = write!(self.out, " id=\"{}\"", escape_attr(id));
        }
        let _ = writeln!(self.out, ">\n{img}");
        // Hidden only when it says what the alt text says (pandoc drops `aria-hidden`
        // when an explicit alt differs).
        let hidden = if plain_text(caption).trim() == alt.trim() {
            " aria-hidden=\"true\""
        } else {
            ""
        };
        let _ = write!(self.out, "<figcaption{hidden}>");
        self.inlines(caption);
        self.out.push_str("</figcaption>\n</figure>\n");
    }

    fn table(
        &mut self,
        align: &[Align],
        widths: &[f32],
        head: &[Cell],
        rows: &[Vec<Cell>],
        caption: &[Inline],
    ) {
        self.out.push_str("<table>\n");
        // HTML's <caption> must be the table's first child (HTML §4.9.2); it names the
        // table for assistive technology as well as showing above it.
        if !caption.is_empty() {
            self.out.push_str("<caption>");
            self.enter(0);
            self.inlines(caption);
            self.leave();
            self.out.push_str("</caption>\n");
        }
        // Relative widths (multiline and grid tables), as pandoc writes them.
        if !widths.is_empty() {
            self.out.push_str("<colgroup>\n");
            for w in widths {
                let _ = writeln!(self.out, "<col style=\"width: {}%\"/>", percent(*w));
            }
            self.out.push_str("</colgroup>\n");
        }
        if !head.is_empty() {
            self.out.push_str("<thead>\n<tr>");
            for (i, cell) in head.iter().enumerate() {
                // An empty <th> is an accessibility error (axe `empty-table-header`).
                let tag = if blocks_plain_text(cell).trim().is_empty() {
                    "td"
                } else {
                    "th"
                };
                let scope = if tag == "th" { " scope=\"col\"" } else { "" };
                let _ = write!(self.out, "<{tag}{scope}{}>", align_class(align.get(i)));
                self.cell(1, i, cell);
                let _ = write!(self.out, "</{tag}>");
            }
            self.out.push_str("</tr>\n</thead>\n");
        }
        self.out.push_str("<tbody>\n");
        for (r, row) in rows.iter().enumerate() {
            self.out.push_str("<tr>");
            for (i, cell) in row.iter().enumerate() {
                let _ = write!(self.out, "<td{}>", align_class(align.get(i)));
                self.cell(r + 2, i, cell);
                self.out.push_str("</td>");
            }
            self.out.push_str("</tr>\n");
        }
        self.out.push_str("</tbody>\n</table>\n");
    }

    pub(crate) fn inlines(&mut self, inlines: &[Inline]) {
        for inline in inlines {
            self.inline(inline);
        }
    }

    fn wrap(&mut self, tag: &str, content: &[Inline]) {
        let _ = write!(self.out, "<{tag}>");
        self.inlines(content);
        let _ = write!(self.out, "</{tag}>");
    }

    fn inline(&mut self, inline: &Inline) {
        // The page-break markers inside the text (issue 17): before an inline that
        // holds text of its own, or inside a text; `count` follows the typesetter's
        // flattened text (`pagemap::flat_len`).
        if self.armed.is_some() {
            match inline {
                Inline::Text(_) => {}
                Inline::Code(_)
                | Inline::Image { .. }
                | Inline::NoteRef { .. }
                | Inline::LineBreak
                | Inline::SoftBreak
                | Inline::Html(_) => {
                    let len = inline_len(inline, &self.plan.book.notes);
                    self.before_inline(len, true);
                }
                _ => self.before_inline(0, false),
            }
        }
        match inline {
            Inline::Text(_)
            | Inline::Emphasis(_)
            | Inline::Strong(_)
            | Inline::Strikethrough(_)
            | Inline::Superscript(_)
            | Inline::Subscript(_)
            | Inline::Link { .. }
            | Inline::Span { .. }
            | Inline::Math { .. }
            | Inline::Cite(_) => {}
            // Leaves, listed so that a new kind of inline must say how it counts.
            Inline::Html(nodes) => self.count = self.count.saturating_add(html_len(nodes) as u32),
            Inline::Code(_)
            | Inline::Image { .. }
            | Inline::NoteRef { .. }
            | Inline::LineBreak
            | Inline::SoftBreak => {
                let len = inline_len(inline, &self.plan.book.notes);
                self.count = self.count.saturating_add(len as u32);
            }
        }
        match inline {
            Inline::Text(t) => self.text(t),
            Inline::Emphasis(c) => self.wrap("em", c),
            Inline::Strong(c) => self.wrap("strong", c),
            Inline::Strikethrough(c) => self.wrap("del", c),
            Inline::Superscript(c) => self.wrap("sup", c),
            Inline::Subscript(c) => self.wrap("sub", c),
            Inline::Code(t) => {
                let _ = write!(self.out, "<code>{}</code>", escape_text(t));
            }
            Inline::Link { target, content } => {
                let href = match target {
                    LinkTarget::External(url) => Some(url.clone()),
                    LinkTarget::Internal(id) => self.plan.href_for_id(id, self.file),
                };
                match href {
                    Some(href) => {
                        let _ = write!(self.out, "<a href=\"{}\">", escape_attr(&href));
                        self.inlines(content);
                        self.out.push_str("</a>");
                    }
                    // An id no chapter or heading holds: keep the text, drop the link,
                    // rather than ship a link EPUBCheck rejects (RSC-012).
                    None => self.inlines(content),
                }
            }
            Inline::Image { asset, alt } => match self.plan.asset_file(*asset) {
                Some(src) => {
                    let _ = write!(
                        self.out,
                        "<img src=\"{}\" alt=\"{}\"/>",
                        escape_attr(src),
                        escape_attr(alt)
                    );
                }
                // An asset index the book does not have (an inconsistent model): the
                // description stands in for the picture rather than a broken `src`.
                None => self.out.push_str(&escape_text(alt)),
            },
            Inline::NoteRef { note, occurrence } => {
                if let Some(n) = self.plan.book.notes.get(note.index()) {
                    // anchors.md §3: epub:type + matching role on the link; no <sup>
                    // inside it (the class raises it), so readers that pop notes up see
                    // only the number as the link text.
                    let _ = write!(
                        self.out,
                        "<a class=\"noteref\" epub:type=\"noteref\" role=\"doc-noteref\" \
                         id=\"{}\" href=\"{}\">{}</a>",
                        escape_attr(&n.ref_anchor(*occurrence)),
                        escape_attr(&self.plan.link(
                            super::plan::NOTES_FILE,
                            &n.anchor(),
                            self.file
                        )),
                        n.number
                    );
                }
            }
            Inline::LineBreak => self.out.push_str("<br/>\n"),
            Inline::SoftBreak => self.out.push('\n'),
            Inline::Html(nodes) => write_html(&mut self.out, nodes),
            Inline::Span { attr, content } => self.span(attr, content),
            // Issue 16: `crate::cite` replaces citations before any backend runs.
            Inline::Cite(c) => self.inlines(&c.fallback),
            Inline::Math { display, content } => {
                // pandoc's plain math: `<span class="math inline">` (or `display`).
                let kind = if *display { "display" } else { "inline" };
                let _ = write!(self.out, "<span class=\"math {kind}\">");
                self.inlines(content);
                self.out.push_str("</span>");
            }
        }
    }

    /// A bracketed span as pandoc's HTML writer writes one (`Writers/HTML.hs`, `Span`):
    /// the known classes as their elements, innermost (`smallcaps` a
    /// `<span class="smallcaps">`, `underline`/`ul` `<u>`, `mark` `<mark>`); the id, the
    /// other classes and the attributes on a `<span>` around them, when there are any.
    fn span(&mut self, attr: &Attr, content: &[Inline]) {
        let known = |c: &str| matches!(c, "smallcaps" | "underline" | "ul" | "mark");
        let others: Vec<String> = attr.classes.iter().filter(|c| !known(c)).cloned().collect();
        let extra = span_attrs(attr.id.as_deref(), &others, &attr.pairs);
        let mut closers: Vec<&str> = Vec::new();
        let semantic = [
            ("smallcaps", "<span class=\"smallcaps\">", "</span>"),
            ("underline", "<u>", "</u>"),
            ("ul", "<u>", "</u>"),
            ("mark", "<mark>", "</mark>"),
        ];
        let wrapped = semantic.iter().any(|(c, ..)| attr.has_class(c));
        if !extra.is_empty() || !wrapped {
            let _ = write!(self.out, "<span{extra}>");
            closers.push("</span>");
        }
        let mut underlined = false;
        for (class, open, close) in semantic {
            if attr.has_class(class) && !(underlined && open == "<u>") {
                underlined |= open == "<u>";
                self.out.push_str(open);
                closers.push(close);
            }
        }
        self.inlines(content);
        for close in closers.iter().rev() {
            self.out.push_str(close);
        }
    }
}

/// Class names usable in XHTML (pandoc's grammar allows `:`, which a class may hold, but
/// not white space), joined.
fn class_list(classes: &[String]) -> String {
    classes
        .iter()
        .filter(|c| !c.is_empty() && !c.chars().any(char::is_whitespace))
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `class`, `lang` and `dir` of a heading's attributes, as attribute text.
fn heading_attrs(attr: &Attr) -> String {
    let mut out = String::new();
    let classes = class_list(&attr.classes);
    if !classes.is_empty() {
        let _ = write!(out, " class=\"{}\"", escape_attr(&classes));
    }
    push_lang_dir(&mut out, &attr.pairs);
    out
}

/// `lang` (when it is a language tag) and `dir` (when `ltr`, `rtl` or `auto`).
fn push_lang_dir(out: &mut String, pairs: &[(String, String)]) {
    for (k, v) in pairs {
        match k.as_str() {
            "lang" if crate::model::LanguageTag::parse(v).is_some() => {
                let _ = write!(out, " lang=\"{0}\" xml:lang=\"{0}\"", escape_attr(v));
            }
            "dir" if matches!(v.as_str(), "ltr" | "rtl" | "auto") => {
                let _ = write!(out, " dir=\"{v}\"");
            }
            _ => {}
        }
    }
}

/// A span's attributes as attribute text: id, classes, `lang`, `dir`, `title`; other keys
/// as `data-key` (pandoc's HTML writer: "unknown attributes are prefixed with `data-`"),
/// when the key is a plain name that can be one.
fn span_attrs(id: Option<&str>, classes: &[String], pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    if let Some(id) = id {
        let _ = write!(out, " id=\"{}\"", escape_attr(id));
    }
    let classes = class_list(classes);
    if !classes.is_empty() {
        let _ = write!(out, " class=\"{}\"", escape_attr(&classes));
    }
    push_lang_dir(&mut out, pairs);
    for (k, v) in pairs {
        let plain = k.starts_with(|c: char| c.is_ascii_alphabetic())
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        match k.as_str() {
            "lang" | "dir" | "style" => {}
            "title" => {
                let _ = write!(out, " title=\"{}\"", escape_attr(v));
            }
            _ if plain => {
                let key = k.strip_prefix("data-").unwrap_or(k).to_ascii_lowercase();
                let _ = write!(out, " data-{key}=\"{}\"", escape_attr(v));
            }
            _ => {}
        }
    }
    out
}

/// The `type` attribute of an `<ol>` in a non-decimal style, as pandoc's HTML writer
/// gives it (`a`, `A`, `i`, `I`); examples are marked with pandoc's `example` class.
/// Decimal lists keep a bare `<ol>` (the HTML default), so CommonMark lists are written
/// as they always were.
fn list_type(numbering: &ListNumbering) -> &'static str {
    match numbering.style {
        NumberStyle::Decimal => "",
        NumberStyle::LowerAlpha => " type=\"a\"",
        NumberStyle::UpperAlpha => " type=\"A\"",
        NumberStyle::LowerRoman => " type=\"i\"",
        NumberStyle::UpperRoman => " type=\"I\"",
        NumberStyle::Example => " class=\"example\"",
    }
}

/// A relative width as a percentage with at most one decimal (`33.3`).
fn percent(w: f32) -> String {
    let tenths = (w.clamp(0.0, 1.0) * 1000.0).round() as u32;
    if tenths.is_multiple_of(10) {
        (tenths / 10).to_string()
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

/// The attributes of a div as pandoc's HTML writer carries them (MANUAL
/// "Extension: link_attributes" for the key=value rules): `id`, `class`; `lang`
/// (with `xml:lang`, which XHTML reads), `dir`, `title`, `role` and `epub:type` as
/// themselves; any other key as `data-key`. The `epigraph` class gets
/// `epub:type="epigraph"` and its DPUB-ARIA role (Ace wants a role for every
/// `epub:type`).
fn div_attributes(attr: &Attr) -> String {
    let mut out = String::new();
    if let Some(id) = &attr.id {
        let _ = write!(out, " id=\"{}\"", escape_attr(id));
    }
    if !attr.classes.is_empty() {
        let _ = write!(out, " class=\"{}\"", escape_attr(&attr.classes.join(" ")));
    }
    let mut typed = false;
    let mut roled = false;
    for (key, value) in &attr.pairs {
        let value = escape_attr(value);
        match key.as_str() {
            "lang" => {
                let _ = write!(out, " lang=\"{value}\" xml:lang=\"{value}\"");
            }
            "dir" | "title" => {
                let _ = write!(out, " {key}=\"{value}\"");
            }
            "role" => {
                roled = true;
                let _ = write!(out, " role=\"{value}\"");
            }
            "epub:type" => {
                typed = true;
                let _ = write!(out, " epub:type=\"{value}\"");
            }
            _ => {
                let name = data_attribute_name(key);
                if !name.is_empty() {
                    let _ = write!(out, " {name}=\"{value}\"");
                }
            }
        }
    }
    if attr.has_class("epigraph") {
        if !typed {
            out.push_str(" epub:type=\"epigraph\"");
        }
        if !roled {
            out.push_str(" role=\"doc-epigraph\"");
        }
    }
    out
}

/// `data-key` for a key: HTML's custom data attributes take lowercase names, and an XML
/// name holds only letters, digits, `-`, `_` and `.`; other characters are dropped.
/// Empty when nothing is left.
fn data_attribute_name(key: &str) -> String {
    let key = key.strip_prefix("data-").unwrap_or(key);
    let name: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if name.is_empty() {
        name
    } else {
        format!("data-{name}")
    }
}

fn align_class(a: Option<&Align>) -> &'static str {
    match a {
        Some(Align::Left) => " class=\"align-left\"",
        Some(Align::Center) => " class=\"align-center\"",
        Some(Align::Right) => " class=\"align-right\"",
        Some(Align::None) | None => "",
    }
}

/// The cover page: the cover image alone, full page.
pub(crate) fn cover_document(plan: &Plan, image: &str, mut marks: Queue) -> String {
    let mut out = String::new();
    let title = &plan.book.meta.title;
    document_start(&mut out, plan, title);
    out.push_str("<body class=\"cover\">\n<section epub:type=\"cover\">\n");
    // The PDF's cover page (issue 17).
    marks.write_rest(&mut out);
    // epub:type="cover" has no ARIA counterpart on a section (Ace's mapping lists none),
    // so the role goes on the image: DPUB-ARIA `doc-cover` is meant for an <img>.
    let _ = write!(
        out,
        "<img role=\"doc-cover\" src=\"{}\" alt=\"{}\"/>\n</section>\n</body>\n",
        escape_attr(image),
        escape_attr(&plan.labels.cover_alt(title)),
    );
    document_end(&mut out);
    out
}

/// The title page: title, subtitle, authors, publisher, date.
pub(crate) fn title_page_document(plan: &Plan, mut marks: Queue) -> String {
    let meta = &plan.book.meta;
    let mut out = String::new();
    document_start(&mut out, plan, &meta.title);
    out.push_str("<body class=\"titlepage\">\n<section epub:type=\"titlepage\">\n");
    // The title block begins the PDF's first page.
    marks.write_due(&mut out, Flow::TitlePage, &[], u32::MAX);
    let _ = writeln!(out, "<h1 class=\"title\">{}</h1>", escape_text(&meta.title));
    if let Some(sub) = &meta.subtitle {
        let _ = writeln!(out, "<p class=\"subtitle\">{}</p>", escape_text(sub));
    }
    for author in &meta.authors {
        let _ = writeln!(out, "<p class=\"author\">{}</p>", escape_text(author));
    }
    if let Some(p) = &meta.publisher {
        let _ = writeln!(out, "<p class=\"publisher\">{}</p>", escape_text(p));
    }
    if let Some(d) = &meta.date {
        let _ = writeln!(out, "<p class=\"date\">{}</p>", escape_text(d));
    }
    if !meta.r#abstract.is_empty() {
        // pandoc's EPUB title page: `<div class="abstract"><div class="abstract-title">`.
        let _ = writeln!(
            out,
            "<div class=\"abstract\">\n<div class=\"abstract-title\">{}</div>",
            escape_text(crate::model::abstract_title(&meta.lang))
        );
        let mut w = Writer::new(plan, super::plan::TITLE_PAGE_FILE, 6)
            .with_marks(Flow::TitlePage, std::mem::take(&mut marks));
        w.blocks(&meta.r#abstract);
        out.push_str(&w.out);
        marks = w.marks;
        out.push_str("</div>\n");
    }
    // The printed contents' pages, before the EPUB's own contents.
    marks.write_rest(&mut out);
    out.push_str("</section>\n</body>\n");
    document_end(&mut out);
    out
}

/// One chapter: `<section>` with its `h1` title (none for the untitled opening).
pub(crate) fn chapter_document(plan: &Plan, index: usize, marks: Queue) -> String {
    let mut out = String::new();
    let Some(chapter) = plan.book.chapters.get(index) else {
        return out;
    };
    let file = plan.chapter_file(index);
    document_start(&mut out, plan, &plan.chapter_label(index));
    // Issue 14: the partition and the matter role (`super::furniture`).
    let (body, section) = chapter_semantics(plan, index);
    let _ = writeln!(
        out,
        "<body{body}>\n<section id=\"{}\"{section}>",
        escape_attr(&chapter.id)
    );
    let mut w = Writer::new(plan, file, 1).with_marks(Flow::Chapter(index as u32), marks);
    // A page that begins with the chapter: its marker before the title, inside the
    // section (DAISY: section, page marker, heading).
    w.site();
    if let Some(title) = &chapter.title {
        let _ = write!(w.out, "<h1{}>", heading_attrs(&chapter.attr));
        w.inlines(title);
        w.out.push_str("</h1>\n");
    }
    w.blocks(&chapter.blocks);
    let mut marks = std::mem::take(&mut w.marks);
    marks.write_rest(&mut w.out);
    out.push_str(&w.out);
    out.push_str("</section>\n</body>\n");
    document_end(&mut out);
    out
}

/// The notes document (anchors.md §3.1, "a recipe that satisfies all of the above"):
/// one `<div epub:type="footnote" role="doc-footnote">` per note — a div, not an aside,
/// which Apple Books hides from the reading flow; not `doc-endnote`, deprecated in
/// DPUB-ARIA 1.1 — whose first paragraph starts with the number as a backlink (Kindle
/// runs notes together otherwise, KPG "Method 2").
pub(crate) fn notes_document(plan: &Plan, mut marks: Queue) -> String {
    let book = plan.book;
    let file = super::plan::NOTES_FILE;
    let mut out = String::new();
    document_start(&mut out, plan, plan.labels.notes);
    let _ = writeln!(
        out,
        "<body>\n<section epub:type=\"endnotes\" role=\"doc-endnotes\">"
    );
    // A page that begins with the notes (endnotes in the PDF): before their heading.
    marks.write_due(&mut out, Flow::Notes, &[], u32::MAX);
    let _ = writeln!(out, "<h1>{}</h1>", escape_text(plan.labels.notes));
    let grouped = book.meta.note_numbering == NoteNumbering::Chapter;
    let mut current_chapter = None;
    for (i, note) in book.notes.iter().enumerate() {
        let flow = Flow::Note(i as u32);
        // A page that begins with a group's heading, then one that begins with the note
        // (at its number, the backlink the note begins with).
        marks.write_due(&mut out, flow, &[], u32::MAX);
        let mut last_level = 1;
        if grouped {
            last_level = 2;
            if current_chapter != Some(note.chapter) {
                current_chapter = Some(note.chapter);
                let _ = writeln!(
                    out,
                    "<h2>{}</h2>",
                    escape_text(&plan.chapter_label(note.chapter))
                );
            }
        }
        marks.write_due(&mut out, flow, &[0], 0);
        let _ = writeln!(
            out,
            "<div class=\"note\" id=\"{}\" epub:type=\"footnote\" role=\"doc-footnote\">",
            escape_attr(&note.anchor())
        );
        let backlinks = backlinks(plan, note, file);
        let mut w =
            Writer::new(plan, file, last_level).with_marks(flow, std::mem::take(&mut marks));
        match note.blocks.split_first() {
            Some((Block::Paragraph { content, .. }, rest)) => {
                w.out.push_str("<p>");
                w.out.push_str(&backlinks);
                w.out.push(' ');
                w.enter(0);
                w.inlines(content);
                w.leave();
                w.out.push_str("</p>\n");
                w.blocks_from(rest, 1);
            }
            _ => {
                let _ = writeln!(w.out, "<p>{backlinks}</p>");
                w.blocks(&note.blocks);
            }
        }
        out.push_str(&w.out);
        marks = std::mem::take(&mut w.marks);
        out.push_str("</div>\n");
    }
    marks.write_rest(&mut out);
    out.push_str("</section>\n</body>\n");
    document_end(&mut out);
    out
}

/// `3.` linking to the first reference; for a note referenced several times, then one
/// link per reference labelled a, b, c … (as Wikipedia does), so each reader can return
/// to the place they came from.
fn backlinks(plan: &Plan, note: &Note, from: &str) -> String {
    let mut out = String::new();
    let first = plan.ref_href(note, 0, from);
    let _ = write!(
        out,
        "<a class=\"backlink\" href=\"{}\" role=\"doc-backlink\">{}.</a>",
        escape_attr(&first),
        note.number
    );
    if note.ref_count > 1 {
        for k in 0..note.ref_count {
            let label = letter_label(k);
            let _ = write!(
                out,
                " <a class=\"backlink\" href=\"{}\" role=\"doc-backlink\">{label}</a>",
                escape_attr(&plan.ref_href(note, k, from))
            );
        }
    }
    out
}

/// a, b, … z, aa, ab … (bijective base 26).
fn letter_label(k: u32) -> String {
    let mut n = k + 1;
    let mut s = Vec::new();
    while n > 0 {
        n -= 1;
        s.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
    }
    s.iter().rev().collect()
}

/// The `<body>` and `<section>` attributes of chapter `index`: the partition on the body
/// (none for the text, as before), the role's type and ARIA role on the section (a
/// chapter's when it has none).
pub(crate) fn chapter_semantics(plan: &Plan, index: usize) -> (&'static str, String) {
    let Some(chapter) = plan.book.chapters.get(index) else {
        return ("", String::new());
    };
    let division = plan
        .divisions
        .get(index)
        .copied()
        .unwrap_or(crate::model::Division::Body);
    let body = match division {
        crate::model::Division::Front => " epub:type=\"frontmatter\"",
        crate::model::Division::Body => "",
        crate::model::Division::Back => " epub:type=\"backmatter\"",
    };
    let section = match chapter.role() {
        // A role the vocabulary names: its type, and its ARIA role where DPUB-ARIA has
        // one (none for a half title or a copyright page).
        Some(role) => match (role.epub_type(), role.aria_role()) {
            (Some(t), Some(r)) => format!(" epub:type=\"{t}\" role=\"{r}\""),
            (Some(t), None) => format!(" epub:type=\"{t}\""),
            // `frontmatter`/`backmatter` alone: the partition on the body says it.
            _ => String::new(),
        },
        None => " epub:type=\"chapter\" role=\"doc-chapter\"".to_string(),
    };
    (body, section)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn text_escaping() {
        assert_eq!(
            escape_text("a < b && c > d"),
            "a &lt; b &amp;&amp; c &gt; d"
        );
        assert_eq!(escape_text("]]>"), "]]&gt;");
        // Forbidden XML characters are dropped, not written.
        assert_eq!(escape_text("a\u{1}b\u{FFFF}c"), "abc");
        assert_eq!(escape_text("tab\there"), "tab\there");
        // Valid characters sharing 0xEF, the lead byte of the two forbidden ones, stay.
        assert_eq!(
            escape_text("\u{FFFD}\u{F000}\u{FFFE}é"),
            "\u{FFFD}\u{F000}é"
        );
    }

    proptest::proptest! {
        /// The slice-copying escaper writes what escaping char by char writes.
        #[test]
        fn text_escaping_matches_char_by_char(s in "\\PC*|[\\x00-\\x20&<>\u{FFF0}-\u{FFFF}a-z]*") {
            let mut expected = String::new();
            for c in s.chars() {
                match c {
                    '&' => expected.push_str("&amp;"),
                    '<' => expected.push_str("&lt;"),
                    '>' => expected.push_str("&gt;"),
                    c if is_xml_char(c) => expected.push(c),
                    _ => {}
                }
            }
            proptest::prop_assert_eq!(escape_text(&s), expected);
        }
    }

    #[test]
    fn attribute_escaping() {
        assert_eq!(
            escape_attr("say \"hi\" & <go>"),
            "say &quot;hi&quot; &amp; &lt;go&gt;"
        );
        assert_eq!(escape_attr("a\nb"), "a&#10;b");
    }

    #[test]
    fn raw_html_is_xhtml() {
        let nodes = vec![HtmlNode::Element {
            name: "span".into(),
            attrs: vec![
                ("lang".into(), "fr".into()),
                ("title".into(), "a\"b".into()),
            ],
            children: vec![
                HtmlNode::Text("x < y".into()),
                HtmlNode::Element {
                    name: "br".into(),
                    attrs: vec![],
                    children: vec![],
                },
                HtmlNode::Element {
                    name: "i".into(),
                    attrs: vec![],
                    children: vec![],
                },
            ],
        }];
        let mut out = String::new();
        write_html(&mut out, &nodes);
        assert_eq!(
            out,
            "<span lang=\"fr\" xml:lang=\"fr\" title=\"a&quot;b\">x &lt; y<br/><i></i></span>"
        );
    }

    #[test]
    fn label_text_skips_note_refs() {
        let inl = vec![
            Inline::Text("Fish ".into()),
            Inline::Emphasis(vec![Inline::Text("&".into())]),
            Inline::SoftBreak,
            Inline::Text("chips".into()),
            Inline::NoteRef {
                note: crate::model::NoteId(0),
                occurrence: 0,
            },
        ];
        assert_eq!(crate::model::label_text(&inl), "Fish & chips");
    }

    #[test]
    fn letters() {
        assert_eq!(letter_label(0), "a");
        assert_eq!(letter_label(25), "z");
        assert_eq!(letter_label(26), "aa");
    }
}
