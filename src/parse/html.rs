//! Raw HTML in the manuscript → sanitised, balanced [`HtmlNode`] trees.
//!
//! The output must be safe to serialise as XHTML in an EPUB (EPUB 3.3 §6.1: content
//! documents are XML, and reading systems may refuse scripted content): only an
//! allow-list of presentational elements and attributes survives. Scripts, styles,
//! embedded objects and event handlers are dropped with a warning; unknown elements are
//! unwrapped (their content kept); unclosed elements are closed and stray end tags
//! dropped, as an HTML parser would (WHATWG HTML §13.2, much simplified); entities are
//! decoded to characters (the full WHATWG table, through `html-escape`).

use super::text::clean_text;
use crate::diag::Diagnostic;
use crate::model::HtmlNode;
use crate::source::Span;

/// Deepest element nesting kept; deeper tags are unwrapped so no later stage recurses
/// without bound.
pub(crate) const MAX_DEPTH: usize = 64;

/// One token of an HTML fragment; `at` is the byte offset of its start in the fragment.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    /// `<name attr=value …>`.
    Start {
        name: String,
        attrs: Vec<(String, String)>,
        self_closing: bool,
        at: usize,
    },
    /// `</name>`.
    End { name: String, at: usize },
    /// Text, entities decoded.
    Text { text: String, at: usize },
    /// A comment, doctype or processing instruction: dropped.
    Ignored,
}

/// What happens to an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Kept, with its allowed attributes.
    Allowed,
    /// Kept; has no content (`<br>`, `<hr>`).
    Void,
    /// Dropped with its content, with a warning.
    Dangerous,
    /// `<img>`: replaced by its alt text, with a warning.
    Image,
    /// Unknown: the tag is dropped with a warning, its content kept.
    Unwrap,
}

/// Elements without an end tag (WHATWG HTML §13.1.2).
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// Sorts an element name (lowercase) into its [`Class`].
pub(crate) fn classify(name: &str) -> Class {
    match name {
        "br" | "hr" | "wbr" => Class::Void,
        "p" | "div" | "span" | "em" | "strong" | "i" | "b" | "u" | "s" | "del" | "ins" | "mark"
        | "sub" | "sup" | "small" | "blockquote" | "ul" | "ol" | "li" | "dl" | "dt" | "dd"
        | "table" | "thead" | "tbody" | "tfoot" | "tr" | "th" | "td" | "caption" | "code"
        | "pre" | "kbd" | "samp" | "var" | "abbr" | "cite" | "q" | "dfn" | "h2" | "h3" | "h4"
        | "h5" | "h6" | "a" | "figure" | "figcaption" => Class::Allowed,
        "script" | "style" | "iframe" | "frame" | "frameset" | "object" | "embed" | "applet"
        | "noscript" | "template" | "form" | "input" | "button" | "textarea" | "select"
        | "option" | "link" | "meta" | "base" | "svg" | "math" | "audio" | "video" | "canvas"
        | "title" | "head" | "param" | "source" | "track" => Class::Dangerous,
        "img" => Class::Image,
        _ => Class::Unwrap,
    }
}

/// Decodes HTML character references (`&amp;`, `&eacute;`, `&#233;`, `&#xE9;`).
pub fn decode_entities(s: &str) -> String {
    html_escape::decode_html_entities(s).into_owned()
}

/// Splits an HTML fragment into tokens. Never fails: a `<` that does not start a tag is
/// text. The content of `<script>` and `<style>` is raw text, skipped to its end tag.
pub(crate) fn tokenize(s: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut text_start = 0;
    let flush = |out: &mut Vec<Token>, from: usize, to: usize| {
        if to > from {
            out.push(Token::Text {
                text: decode_entities(&s[from..to]),
                at: from,
            });
        }
    };
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &s[i..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            flush(&mut out, text_start, i);
            let end = comment.find("-->").map_or(s.len(), |e| i + 4 + e + 3);
            out.push(Token::Ignored);
            i = end;
            text_start = i;
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            flush(&mut out, text_start, i);
            i = rest.find('>').map_or(s.len(), |e| i + e + 1);
            out.push(Token::Ignored);
            text_start = i;
            continue;
        }
        let closing = rest.starts_with("</");
        let name_from = i + if closing { 2 } else { 1 };
        if !bytes.get(name_from).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
            continue;
        }
        let Some((tag, len)) = parse_tag(&s[name_from..], closing) else {
            i += 1;
            continue;
        };
        flush(&mut out, text_start, i);
        let at = i;
        i = name_from + len;
        match tag {
            Token::Start {
                name,
                attrs,
                self_closing,
                ..
            } => {
                let raw = name == "script" || name == "style";
                out.push(Token::Start {
                    name: name.clone(),
                    attrs,
                    self_closing,
                    at,
                });
                if raw && !self_closing {
                    // Raw text (WHATWG HTML §13.1.2.1): no tags inside; skip to `</name`.
                    let needle = format!("</{name}");
                    let lower = s[i..].to_ascii_lowercase();
                    match lower.find(&needle) {
                        Some(e) => i += e,
                        None => i = s.len(),
                    }
                }
            }
            Token::End { name, .. } => out.push(Token::End { name, at }),
            other => out.push(other),
        }
        text_start = i;
    }
    flush(&mut out, text_start, s.len());
    out
}

/// Parses a tag after `<` or `</`: returns the token (with `at` 0) and the bytes used,
/// through the closing `>`; `None` when there is no `>`.
fn parse_tag(s: &str, closing: bool) -> Option<(Token, usize)> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-' || b[i] == b':') {
        i += 1;
    }
    let name = s[..i].to_ascii_lowercase();
    let mut attrs = Vec::new();
    let mut self_closing = false;
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            self_closing = b[i] == b'/';
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        if b[i] == b'>' {
            i += 1;
            break;
        }
        self_closing = false;
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let attr = s[start..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let from = i + 1;
                let len = s[from..].bytes().position(|c| c == q)?;
                value = decode_entities(&s[from..from + len]);
                i = from + len + 1;
            } else {
                let from = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                value = decode_entities(&s[from..i]);
            }
        }
        if !attr.is_empty() && !attrs.iter().any(|(a, _): &(String, String)| *a == attr) {
            attrs.push((attr, value));
        }
    }
    let token = if closing {
        Token::End { name, at: 0 }
    } else {
        Token::Start {
            name,
            attrs,
            self_closing,
            at: 0,
        }
    };
    Some((token, i))
}

/// Keeps the allowed attributes of element `name`, warning about the dangerous ones.
pub(crate) fn sanitize_attrs(
    name: &str,
    attrs: &[(String, String)],
    at: Span,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (attr, value) in attrs {
        let value = clean_text(value);
        let keep = match attr.as_str() {
            "class" | "title" => true,
            "lang" => {
                value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') && !value.is_empty()
            }
            "dir" => matches!(value.as_str(), "ltr" | "rtl" | "auto"),
            "colspan" | "rowspan" => {
                matches!(name, "td" | "th") && value.parse::<u16>().is_ok_and(|n| n > 0)
            }
            "href" if name == "a" => {
                if super::urls::url_scheme(&value).is_none() {
                    diags.push(Diagnostic::warning(at, format!("relative link `{value}` in raw HTML is removed")).with_hint(
                        "raw HTML links may only go to http, https, mailto, ftp or tel URLs; use a Markdown link for links inside the book",
                    ));
                    continue;
                }
                match super::urls::external_url(&value) {
                    Ok(url) => {
                        out.push((attr.clone(), url));
                        continue;
                    }
                    Err(problem) => {
                        diags.push(super::urls::url_warning(
                            at,
                            &value,
                            &problem,
                            " in raw HTML",
                        ));
                        false
                    }
                }
            }
            "id" => {
                diags.push(
                    Diagnostic::warning(at, format!("`id` on raw HTML <{name}> is removed"))
                        .with_hint("ids are made by quire so they stay unique; put `{#id}` after a heading instead"),
                );
                false
            }
            a if a.starts_with("on") => {
                diags.push(Diagnostic::warning(
                    at,
                    format!("event handler `{a}` on raw HTML <{name}> is removed"),
                ));
                false
            }
            // Everything else (style, data-*, …) is dropped quietly: harmless but not ours.
            _ => false,
        };
        if keep {
            out.push((attr.clone(), value));
        }
    }
    out
}

/// The warning for a dropped dangerous element.
pub(crate) fn dangerous_warning(name: &str, at: Span) -> Diagnostic {
    Diagnostic::warning(at, format!("raw HTML <{name}> is removed with its content")).with_hint(
        "scripts, styles, frames, forms and embedded objects are not allowed in the book",
    )
}

/// The warning for an `<img>` in raw HTML.
pub(crate) fn image_warning(at: Span) -> Diagnostic {
    Diagnostic::warning(at, "raw HTML <img> is replaced by its alt text")
        .with_hint("use Markdown image syntax `![alt](path)` so the image is packaged")
}

/// The warning for an unknown element.
pub(crate) fn unwrap_warning(name: &str, at: Span) -> Diagnostic {
    Diagnostic::warning(
        at,
        format!("raw HTML <{name}> is not supported; its content is kept"),
    )
}

/// An open element while building a tree.
struct Open {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<HtmlNode>,
}

/// Elements whose start closes an open `<p>` (WHATWG HTML §13.2.6.4.7, "in body").
fn closes_p(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "blockquote"
            | "ul"
            | "ol"
            | "dl"
            | "table"
            | "pre"
            | "hr"
            | "figure"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
    )
}

/// Parses a block of raw HTML into sanitised, balanced nodes. `at(i)` is the span of
/// byte `i` of `html` in its source file.
pub(crate) fn parse_block(
    html: &str,
    at: &dyn Fn(usize) -> Span,
    diags: &mut Vec<Diagnostic>,
) -> Vec<HtmlNode> {
    let mut stack: Vec<Open> = vec![Open {
        name: String::new(),
        attrs: Vec::new(),
        children: Vec::new(),
    }];
    // Name and depth of a dangerous element being skipped, with its content.
    let mut skipping: Option<(String, usize)> = None;
    let mut depth_warned = false;
    for token in tokenize(html) {
        if let Some((name, depth)) = &mut skipping {
            match &token {
                Token::Start {
                    name: n,
                    self_closing: false,
                    ..
                } if n == name && !is_void(n) => *depth += 1,
                Token::End { name: n, .. } if n == name => {
                    *depth -= 1;
                    if *depth == 0 {
                        skipping = None;
                    }
                }
                _ => {}
            }
            continue;
        }
        match token {
            Token::Ignored => {}
            Token::Text { text, .. } => {
                let text = clean_text(&text);
                if let Some(top) = stack.last_mut() {
                    push_text(&mut top.children, text);
                }
            }
            Token::Start {
                name,
                attrs,
                self_closing,
                at: pos,
            } => {
                match classify(&name) {
                    Class::Dangerous => {
                        diags.push(dangerous_warning(&name, at(pos)));
                        if !self_closing && !is_void(&name) {
                            skipping = Some((name, 1));
                        }
                    }
                    Class::Image => {
                        diags.push(image_warning(at(pos)));
                        let alt = attrs
                            .iter()
                            .find(|(a, _)| a == "alt")
                            .map(|(_, v)| clean_text(v))
                            .unwrap_or_default();
                        if let Some(top) = stack.last_mut() {
                            push_text(&mut top.children, alt);
                        }
                    }
                    Class::Unwrap => diags.push(unwrap_warning(&name, at(pos))),
                    Class::Void => {
                        let attrs = sanitize_attrs(&name, &attrs, at(pos), diags);
                        if let Some(top) = stack.last_mut() {
                            top.children.push(HtmlNode::Element {
                                name,
                                attrs,
                                children: Vec::new(),
                            });
                        }
                    }
                    Class::Allowed => {
                        if stack.len() > MAX_DEPTH {
                            if !depth_warned {
                                diags.push(Diagnostic::warning(
                                at(pos),
                                format!("raw HTML nested deeper than {MAX_DEPTH} elements is flattened"),
                            ));
                                depth_warned = true;
                            }
                            continue;
                        }
                        implied_ends(&mut stack, &name);
                        let attrs = sanitize_attrs(&name, &attrs, at(pos), diags);
                        if self_closing {
                            if let Some(top) = stack.last_mut() {
                                top.children.push(HtmlNode::Element {
                                    name,
                                    attrs,
                                    children: Vec::new(),
                                });
                            }
                        } else {
                            stack.push(Open {
                                name,
                                attrs,
                                children: Vec::new(),
                            });
                        }
                    }
                }
            }
            Token::End { name, .. } => {
                // Pop to the matching element; a stray end tag is dropped.
                if let Some(pos) = stack.iter().skip(1).rposition(|o| o.name == name) {
                    while stack.len() > pos + 1 {
                        close_top(&mut stack);
                    }
                }
            }
        }
    }
    while stack.len() > 1 {
        close_top(&mut stack);
    }
    let nodes = stack.pop().map(|o| o.children).unwrap_or_default();
    let mut nodes = fit_content_models(nodes, "", at(0), diags);
    // Line ends between block elements mean nothing at the top of a block.
    nodes.retain(|n| !matches!(n, HtmlNode::Text(t) if t.trim().is_empty()));
    nodes
}

/// Closes elements that the start of `name` ends implicitly: an open `<p>` before a block,
/// a previous `<li>`, `<dt>`/`<dd>`, `<tr>` or cell.
fn implied_ends(stack: &mut Vec<Open>, name: &str) {
    let (ends, scope): (&[&str], &[&str]) = match name {
        "li" => (&["li"], &["ul", "ol"]),
        "dt" | "dd" => (&["dt", "dd"], &["dl"]),
        "tr" => (&["tr"], &["table", "thead", "tbody", "tfoot"]),
        "td" | "th" => (&["td", "th"], &["tr", "table"]),
        n if closes_p(n) => (
            &["p"],
            &["div", "blockquote", "li", "td", "th", "dd", "figure"],
        ),
        _ => return,
    };
    if let Some(pos) = stack
        .iter()
        .rposition(|o| ends.contains(&o.name.as_str()) || scope.contains(&o.name.as_str()))
    {
        if pos > 0 && ends.contains(&stack[pos].name.as_str()) {
            while stack.len() > pos {
                close_top(stack);
            }
        }
    }
}

fn close_top(stack: &mut Vec<Open>) {
    if stack.len() <= 1 {
        return;
    }
    if let Some(open) = stack.pop() {
        if let Some(parent) = stack.last_mut() {
            parent.children.push(HtmlNode::Element {
                name: open.name,
                attrs: open.attrs,
                children: open.children,
            });
        }
    }
}

/// What an element may contain, after the HTML content models (WHATWG HTML §3.2.5.2,
/// and each element's "content model" in §4), simplified to the elements quire keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Model {
    /// Flow content: text, phrasing and block elements.
    Flow,
    /// Phrasing content: text and inline elements only.
    Phrasing,
    /// Only these elements (and white space between them).
    Only(&'static [&'static str]),
}

/// The content model of `parent`; `""` is the top of a raw HTML block (flow content: it
/// stands where a paragraph would), `"#inline"` the inside of a paragraph.
fn model(parent: &str) -> Model {
    match parent {
        "ul" | "ol" => Model::Only(&["li"]),
        "dl" => Model::Only(&["dt", "dd"]),
        "table" => Model::Only(&["caption", "thead", "tbody", "tfoot", "tr"]),
        "thead" | "tbody" | "tfoot" => Model::Only(&["tr"]),
        "tr" => Model::Only(&["td", "th"]),
        "" | "div" | "blockquote" | "li" | "dd" | "td" | "th" | "figure" | "figcaption" => {
            Model::Flow
        }
        // p, h2–h6, pre, dt, caption and every phrasing element.
        _ => Model::Phrasing,
    }
}

/// Phrasing elements (WHATWG HTML §3.2.5.2.5) among those quire keeps.
pub(crate) fn is_phrasing(name: &str) -> bool {
    matches!(
        name,
        "span"
            | "em"
            | "strong"
            | "i"
            | "b"
            | "u"
            | "s"
            | "del"
            | "ins"
            | "mark"
            | "sub"
            | "sup"
            | "small"
            | "code"
            | "kbd"
            | "samp"
            | "var"
            | "abbr"
            | "cite"
            | "q"
            | "dfn"
            | "a"
            | "br"
            | "wbr"
    )
}

/// Block elements allowed in flow content without a particular parent.
fn is_flow_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "blockquote"
            | "ul"
            | "ol"
            | "dl"
            | "table"
            | "pre"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "figure"
            | "hr"
    )
}

/// Whether `child` may stand in `parent` (inside a link when `in_link`: links do not
/// nest, §4.5.1).
fn allowed_in(parent: &str, child: &str, in_link: bool) -> bool {
    if child == "a" && in_link {
        return false;
    }
    match model(parent) {
        Model::Flow => {
            is_phrasing(child)
                || is_flow_block(child)
                || (child == "figcaption" && parent == "figure")
        }
        Model::Phrasing => is_phrasing(child),
        Model::Only(names) => names.contains(&child),
    }
}

/// Whether the element children of a table, list or figure come in an order XHTML
/// allows: `caption? thead? (tbody* | tr*) tfoot?` (§4.9.1), `(dt+ dd+)*` (§4.4.9), a
/// `figcaption` only first or last (§4.4.12).
fn order_ok(parent: &str, names: &[&str]) -> bool {
    match parent {
        "table" => {
            let rank = |n: &str| match n {
                "caption" => 0,
                "thead" => 1,
                "tbody" => 2,
                "tr" => 3,
                _ => 4,
            };
            let once = |n: &str| names.iter().filter(|&&m| m == n).count() <= 1;
            names.windows(2).all(|w| {
                let (a, b) = (rank(w[0]), rank(w[1]));
                a < b || (a == b && (a == 2 || a == 3))
            }) && !(names.contains(&"tbody") && names.contains(&"tr"))
                && once("caption")
                && once("thead")
                && once("tfoot")
        }
        "dl" => names.is_empty() || (names.first() == Some(&"dt") && names.last() == Some(&"dd")),
        "figure" => {
            let n = names.len();
            names
                .iter()
                .enumerate()
                .all(|(i, &m)| m != "figcaption" || i == 0 || i + 1 == n)
                && names.iter().filter(|&&m| m == "figcaption").count() <= 1
        }
        _ => true,
    }
}

/// Makes sanitised nodes respect the XHTML content models, for nodes that stand in
/// `parent` (see [`model`]): an element that may not stand where it is (a `<td>` outside a
/// row, a `<div>` inside a `<span>`, a link in a link), and a table, list or figure whose
/// content is out of place or order, lose their tags and keep their content, with a
/// warning at `at`; text where only elements may stand is dropped when it is white space
/// and otherwise unwraps its container. Recursion is bounded by [`MAX_DEPTH`].
pub(crate) fn fit_content_models(
    nodes: Vec<HtmlNode>,
    parent: &str,
    at: Span,
    diags: &mut Vec<Diagnostic>,
) -> Vec<HtmlNode> {
    fit(nodes, parent, false, at, diags)
}

fn fit(
    nodes: Vec<HtmlNode>,
    parent: &str,
    in_link: bool,
    at: Span,
    diags: &mut Vec<Diagnostic>,
) -> Vec<HtmlNode> {
    let mut out = Vec::with_capacity(nodes.len());
    for node in nodes {
        match node {
            HtmlNode::Text(t) => {
                if matches!(model(parent), Model::Only(_)) {
                    // White space between rows or items means nothing. Other text was
                    // already caught by `fits` on the container.
                    continue;
                }
                push_text(&mut out, t);
            }
            HtmlNode::Element {
                name,
                attrs,
                children,
            } => {
                if !allowed_in(parent, &name, in_link) {
                    diags.push(misplaced_warning(&name, parent, at));
                    for n in fit(children, parent, in_link, at, diags) {
                        match n {
                            HtmlNode::Text(t) => push_text(&mut out, t),
                            n => out.push(n),
                        }
                    }
                    continue;
                }
                if let Model::Only(_) | Model::Flow = model(&name) {
                    if !fits(&name, &children) {
                        diags.push(
                            Diagnostic::warning(
                                at,
                                format!(
                                    "raw HTML <{name}> holds content out of place; its tags are dropped and its content kept"
                                ),
                            )
                            .with_hint(structure_hint(&name)),
                        );
                        for n in fit(children, parent, in_link, at, diags) {
                            match n {
                                HtmlNode::Text(t) => push_text(&mut out, t),
                                n => out.push(n),
                            }
                        }
                        continue;
                    }
                }
                let link = in_link || name == "a";
                let children = fit(children, &name, link, at, diags);
                out.push(HtmlNode::Element {
                    name,
                    attrs,
                    children,
                });
            }
        }
    }
    out
}

/// Whether the direct content of a table, list, row or figure is what it may hold.
fn fits(name: &str, children: &[HtmlNode]) -> bool {
    let mut names = Vec::new();
    let only = matches!(model(name), Model::Only(_));
    for c in children {
        match c {
            HtmlNode::Text(t) if only && !t.trim().is_empty() => return false,
            HtmlNode::Text(_) => {}
            HtmlNode::Element { name: n, .. } => {
                if only && !allowed_in(name, n, false) {
                    return false;
                }
                names.push(n.as_str());
            }
        }
    }
    order_ok(name, &names)
}

fn structure_hint(name: &str) -> &'static str {
    match name {
        "ul" | "ol" => "a list holds only <li> items",
        "dl" => "a definition list holds <dt> terms each followed by <dd> definitions",
        "table" | "thead" | "tbody" | "tfoot" | "tr" => {
            "a table holds rows (<tr>), rows hold cells (<td>, <th>); or use a Markdown table"
        }
        _ => "a <figcaption> comes first or last in its <figure>",
    }
}

/// The warning for a block element written as inline raw HTML (inside a paragraph).
pub(crate) fn inline_block_warning(name: &str, at: Span) -> Diagnostic {
    misplaced_warning(name, "#inline", at)
}

/// The warning for an element that may not stand in `parent`.
fn misplaced_warning(name: &str, parent: &str, at: Span) -> Diagnostic {
    let place = match parent {
        "" => "at the top of a block".to_string(),
        "#inline" => "inside a paragraph".to_string(),
        p => format!("inside <{p}>"),
    };
    let hint = match name {
        "tr" => "a <tr> goes in a <table>; or use a Markdown table",
        "td" | "th" => "a cell goes in a <tr> row",
        "thead" | "tbody" | "tfoot" | "caption" => "this goes directly in a <table>",
        "li" => "a <li> goes in a <ul> or <ol>",
        "dt" | "dd" => "this goes in a <dl>",
        "figcaption" => "a <figcaption> goes in a <figure>",
        "a" => "links cannot contain links",
        _ => "a block element (paragraph, list, table …) cannot stand inside text",
    };
    Diagnostic::warning(
        at,
        format!(
            "raw HTML <{name}> is not allowed {place}; its tags are dropped and its content kept"
        ),
    )
    .with_hint(hint)
}

fn push_text(children: &mut Vec<HtmlNode>, text: String) {
    if text.is_empty() {
        return;
    }
    if let Some(HtmlNode::Text(prev)) = children.last_mut() {
        prev.push_str(&text);
    } else {
        children.push(HtmlNode::Text(text));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn parse(html: &str) -> (Vec<HtmlNode>, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let nodes = parse_block(html, &|i| Span::new(FileId(0), i, i), &mut diags);
        (nodes, diags)
    }

    fn el(name: &str, attrs: &[(&str, &str)], children: Vec<HtmlNode>) -> HtmlNode {
        HtmlNode::Element {
            name: name.into(),
            attrs: attrs
                .iter()
                .map(|(a, v)| (a.to_string(), v.to_string()))
                .collect(),
            children,
        }
    }

    fn text(s: &str) -> HtmlNode {
        HtmlNode::Text(s.into())
    }

    #[test]
    fn entities_are_decoded() {
        for (raw, want) in [
            ("&amp;&lt;&gt;&quot;&#39;", "&<>\"'"),
            ("caf&eacute; &#233; &#xE9;", "café é é"),
            ("&nbsp;&mdash;&hellip;&rsquo;", "\u{a0}—…’"),
            ("&notanentity; & alone", "&notanentity; & alone"),
        ] {
            assert_eq!(decode_entities(raw), want, "{raw}");
        }
    }

    #[test]
    fn scripts_styles_and_handlers_are_dropped() {
        let (nodes, diags) = parse(
            "<div class=\"x\" onclick=\"evil()\" id=\"a\">hi<script>alert('<b>')</script><style>p{}</style><iframe src=x></iframe></div>",
        );
        assert_eq!(nodes, vec![el("div", &[("class", "x")], vec![text("hi")])]);
        let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "event handler `onclick` on raw HTML <div> is removed",
                "`id` on raw HTML <div> is removed",
                "raw HTML <script> is removed with its content",
                "raw HTML <style> is removed with its content",
                "raw HTML <iframe> is removed with its content",
            ]
        );
        // The script warning points at `<script>`.
        assert_eq!(diags[2].span.unwrap().start, 41);
    }

    #[test]
    fn links_keep_safe_schemes_only() {
        let (nodes, diags) =
            parse("<a href=\"https://x.org\">a</a><a href=\"JavaScript:alert(1)\">b</a><a href=\"ch.md\">c</a>");
        assert_eq!(
            nodes,
            vec![
                el("a", &[("href", "https://x.org")], vec![text("a")]),
                el("a", &[], vec![text("b")]),
                el("a", &[], vec![text("c")])
            ]
        );
        assert!(diags[0].message.contains("`javascript:`"));
        assert!(diags[1].message.contains("relative link `ch.md`"));
        assert_eq!(
            crate::parse::urls::url_scheme("java\tscript:alert(1)").as_deref(),
            Some("javascript")
        );
    }

    #[test]
    fn unclosed_and_misnested_tags_are_repaired() {
        let (nodes, diags) = parse("<p><em>a<strong>b</em>c</span><p>d<ul><li>e<li>f</ul>");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            nodes,
            vec![
                el(
                    "p",
                    &[],
                    vec![
                        el(
                            "em",
                            &[],
                            vec![text("a"), el("strong", &[], vec![text("b")])]
                        ),
                        text("c")
                    ]
                ),
                el("p", &[], vec![text("d")]),
                el(
                    "ul",
                    &[],
                    vec![
                        el("li", &[], vec![text("e")]),
                        el("li", &[], vec![text("f")])
                    ]
                ),
            ]
        );
    }

    #[test]
    fn comments_images_unknown_and_void_elements() {
        let (nodes, diags) =
            parse("<!-- note --><center>x<br/>y<img src=a.png alt=\"A &amp; B\"></center><hr>");
        assert_eq!(
            nodes,
            vec![
                text("x"),
                el("br", &[], vec![]),
                text("yA & B"),
                el("hr", &[], vec![])
            ]
        );
        assert_eq!(diags.len(), 2);
        assert!(diags[0].message.contains("<center> is not supported"));
        assert!(diags[1].message.contains("<img>"));
    }

    #[test]
    fn deep_nesting_is_flattened() {
        let html = "<div>".repeat(10_000) + "x" + &"</div>".repeat(10_000);
        let (nodes, diags) = parse(&html);
        let mut depth = 0;
        let mut cur = &nodes;
        while let Some(HtmlNode::Element { children, .. }) = cur.first() {
            depth += 1;
            cur = children;
        }
        assert_eq!(depth, MAX_DEPTH);
        assert_eq!(diags.len(), 1);
    }

    #[test]
    fn forbidden_characters_and_cr_are_removed_from_text() {
        let (nodes, _) = parse("<p>a\u{1}b\r\nc&#xFFFE;</p>");
        assert_eq!(nodes, vec![el("p", &[], vec![text("ab\nc")])]);
    }

    #[test]
    fn elements_out_of_their_content_model_are_unwrapped() {
        // CommonMark examples 190/191: table parts split over several HTML blocks.
        let (nodes, diags) = parse("<tr>\n</tr>");
        assert_eq!(nodes, vec![]);
        assert!(diags[0]
            .message
            .starts_with("raw HTML <tr> is not allowed at the top of a block"));
        let (nodes, _) = parse("<td>\nHi\n</td>");
        assert_eq!(nodes, vec![text("\nHi\n")]);
        let (nodes, diags) =
            parse("<span><div>a</div><li>b</li></span><p><table><tr><td>c</td></tr></table></p>");
        assert_eq!(
            nodes,
            vec![
                el("span", &[], vec![text("ab")]),
                el("p", &[], vec![]),
                el(
                    "table",
                    &[],
                    vec![el("tr", &[], vec![el("td", &[], vec![text("c")])])]
                ),
            ]
        );
        assert_eq!(diags.len(), 2, "{diags:?}");
        // Text directly in a list or row unwraps the container; nested links unwrap.
        let (nodes, _) =
            parse("<ul>x<li>y</li></ul><a href=\"http://a.b\">1<a href=\"http://c.d\">2</a></a>");
        assert_eq!(
            nodes,
            vec![
                text("xy"),
                el("a", &[("href", "http://a.b")], vec![text("12")]),
            ]
        );
        // A definition list must start with a term; a table keeps its order.
        let (nodes, _) = parse(
            "<dl><dd>d</dd></dl><table><tbody><tr><td>1</td></tr></tbody><thead></thead></table>",
        );
        assert_eq!(nodes, vec![text("d1")]);
    }
}
