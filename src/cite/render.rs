//! hayagriva's formatted output → the book's inlines.
//!
//! hayagriva's own writers do not escape HTML and drop what they do not know; here every
//! piece becomes a model inline, escaped later by each backend: italic → emphasis, bold →
//! strong, small caps, underline, superscript and subscript as the Markdown ones, a link
//! → a link (when `link-bibliography` is on and the URL is one a book may hold).

use crate::model::{Attr, Inline, LinkTarget};
use hayagriva::citationberg::{FontStyle, FontVariant, FontWeight, TextDecoration, VerticalAlign};
use hayagriva::{ElemChild, ElemChildren, Formatting};

/// How to convert.
#[derive(Clone, Copy)]
pub(crate) struct Options {
    /// Links in the output are kept as links (`link-bibliography`).
    pub links: bool,
}

/// `children` as inlines.
pub(crate) fn inlines(children: &ElemChildren, options: Options) -> Vec<Inline> {
    let mut out = Vec::new();
    push_children(&children.0, options, &mut out);
    collapse_punctuation(&mut out);
    out
}

/// Drops a period after a closing quotation mark that already ends with one
/// ("“The Revolution Betrayed.”." → "“The Revolution Betrayed.”"). With the English
/// locale's `punctuation-in-quote` (CSL 1.0.2 §"Locale Options") the period that closes a
/// quoted title moves inside the quotes; the entry's own closing period then doubles it,
/// and CSL processors (pandoc's citeproc, citeproc-js) collapse the two, as hayagriva
/// does not. A comma, semicolon or colon before such a period goes too (a group's
/// delimiter before an empty part: "Marxists Internet Archive,.").
pub(crate) fn collapse_punctuation(inlines: &mut Vec<Inline>) {
    const CLOSERS: [char; 2] = ['\u{201D}', '\u{2019}'];
    let ends_closed = |t: &str| {
        let mut rev = t.chars().rev();
        matches!((rev.next(), rev.next()), (Some(q), Some(p)) if CLOSERS.contains(&q) && matches!(p, '.' | '?' | '!'))
    };
    for i in 0..inlines.len() {
        if let Inline::Text(t) = &mut inlines[i] {
            let mut fixed = String::with_capacity(t.len());
            for c in t.chars() {
                if c == '.' && ends_closed(&fixed) {
                    continue;
                }
                // A delimiter before the closing period gives way to it
                // ("Archive,." → "Archive."), as citeproc's punctuation fixing does.
                if c == '.' && fixed.ends_with([',', ';', ':']) {
                    fixed.pop();
                }
                fixed.push(c);
            }
            *t = fixed;
        }
        // Across a boundary: `“…Betrayed.”` then `. https://…`.
        let closed = match &inlines[i] {
            Inline::Text(t) => ends_closed(t),
            _ => false,
        };
        if closed {
            if let Some(Inline::Text(next)) = inlines.get_mut(i + 1) {
                if next.starts_with('.') {
                    next.remove(0);
                }
            }
        }
    }
    inlines.retain(|x| !matches!(x, Inline::Text(t) if t.is_empty()));
}

/// Appends `children` to `out`.
pub(crate) fn push_children(children: &[ElemChild], options: Options, out: &mut Vec<Inline>) {
    for child in children {
        push_child(child, options, out);
    }
}

fn push_child(child: &ElemChild, options: Options, out: &mut Vec<Inline>) {
    match child {
        ElemChild::Text(t) => push_formatted(&t.text, &t.formatting, out),
        ElemChild::Elem(e) => {
            // A block-level part of an entry (CSL 1.0.2 §"Display"): a space apart from
            // what precedes it, in the flow of the entry's paragraph.
            if e.display.is_some() && !out.is_empty() {
                push_text(" ", out);
            }
            push_children(&e.children.0, options, out);
        }
        ElemChild::Markup(m) => push_text(m, out),
        ElemChild::Link { text, url } => {
            let mut content = Vec::new();
            push_formatted(&text.text, &text.formatting, &mut content);
            match external(url).filter(|_| options.links) {
                Some(url) => out.push(Inline::Link {
                    target: LinkTarget::External(url),
                    content,
                }),
                None => out.extend(content),
            }
        }
        // Only produced for a transparent locator, which quire does not use.
        ElemChild::Transparent { .. } => {}
    }
}

/// A URL a link may point to (http, https, ftp, mailto), normalised by the URL
/// Standard's parser.
fn external(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url.trim()).ok()?;
    matches!(parsed.scheme(), "http" | "https" | "ftp" | "mailto").then(|| parsed.to_string())
}

/// Appends plain text, merged with a text before it.
pub(crate) fn push_text(text: &str, out: &mut Vec<Inline>) {
    if text.is_empty() {
        return;
    }
    if let Some(Inline::Text(prev)) = out.last_mut() {
        prev.push_str(text);
    } else {
        out.push(Inline::Text(text.to_string()));
    }
}

/// Appends `text` with its formatting as nested inlines; a run formatted as the one
/// before it joins it.
fn push_formatted(text: &str, f: &Formatting, out: &mut Vec<Inline>) {
    if text.is_empty() {
        return;
    }
    push_layered(out, &layers(f), text);
}

/// Appends `text` inside `layers` (outermost first), inside the last inline of `out` when
/// it has the same outer layer.
fn push_layered(out: &mut Vec<Inline>, layers: &[Layer], text: &str) {
    let Some((&first, rest)) = layers.split_first() else {
        push_text(text, out);
        return;
    };
    if let Some(last) = out.last_mut() {
        if layer_of(last) == Some(first) {
            if let Some(children) = children_mut(last) {
                push_layered(children, rest, text);
                return;
            }
        }
    }
    let mut inner = vec![Inline::Text(text.to_string())];
    for layer in layers.iter().rev() {
        inner = vec![wrap(*layer, inner)];
    }
    out.extend(inner);
}

/// One kind of formatting, outermost first in [`layers`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Layer {
    Strong,
    Emphasis,
    SmallCaps,
    Underline,
    Superscript,
    Subscript,
}

fn layers(f: &Formatting) -> Vec<Layer> {
    let mut out = Vec::new();
    if f.font_weight == FontWeight::Bold {
        out.push(Layer::Strong);
    }
    if f.font_style == FontStyle::Italic {
        out.push(Layer::Emphasis);
    }
    if f.font_variant == FontVariant::SmallCaps {
        out.push(Layer::SmallCaps);
    }
    if f.text_decoration == TextDecoration::Underline {
        out.push(Layer::Underline);
    }
    match f.vertical_align {
        VerticalAlign::Sup => out.push(Layer::Superscript),
        VerticalAlign::Sub => out.push(Layer::Subscript),
        _ => {}
    }
    out
}

fn class_span(class: &str, content: Vec<Inline>) -> Inline {
    Inline::Span {
        attr: Attr {
            id: None,
            classes: vec![class.to_string()],
            pairs: Vec::new(),
        },
        content,
    }
}

fn wrap(layer: Layer, content: Vec<Inline>) -> Inline {
    match layer {
        Layer::Strong => Inline::Strong(content),
        Layer::Emphasis => Inline::Emphasis(content),
        Layer::SmallCaps => class_span("smallcaps", content),
        Layer::Underline => class_span("underline", content),
        Layer::Superscript => Inline::Superscript(content),
        Layer::Subscript => Inline::Subscript(content),
    }
}

fn layer_of(inline: &Inline) -> Option<Layer> {
    match inline {
        Inline::Strong(_) => Some(Layer::Strong),
        Inline::Emphasis(_) => Some(Layer::Emphasis),
        Inline::Superscript(_) => Some(Layer::Superscript),
        Inline::Subscript(_) => Some(Layer::Subscript),
        Inline::Span { attr, .. } if attr.id.is_none() && attr.classes.len() == 1 => {
            match attr.classes[0].as_str() {
                "smallcaps" => Some(Layer::SmallCaps),
                "underline" => Some(Layer::Underline),
                _ => None,
            }
        }
        _ => None,
    }
}

fn children_mut(inline: &mut Inline) -> Option<&mut Vec<Inline>> {
    match inline {
        Inline::Strong(c)
        | Inline::Emphasis(c)
        | Inline::Superscript(c)
        | Inline::Subscript(c)
        | Inline::Span { content: c, .. } => Some(c),
        _ => None,
    }
}

/// Upper-cases the first letter of `inlines` (a citation that begins a note: CSL leaves
/// terms lowercase there and pandoc capitalises them, citeproc's README).
pub(crate) fn capitalise(inlines: &mut [Inline]) {
    for inline in inlines {
        match inline {
            Inline::Text(t) => {
                if let Some(c) = t.chars().next() {
                    if c.is_lowercase() {
                        let upper: String = c.to_uppercase().collect();
                        t.replace_range(..c.len_utf8(), &upper);
                    }
                    return;
                }
            }
            Inline::Strong(c)
            | Inline::Emphasis(c)
            | Inline::Superscript(c)
            | Inline::Subscript(c)
            | Inline::Span { content: c, .. }
            | Inline::Link { content: c, .. } => {
                capitalise(c);
                return;
            }
            _ => return,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use hayagriva::Formatted;

    fn text(t: &str, italic: bool) -> ElemChild {
        let mut formatting = Formatting::default();
        if italic {
            formatting.font_style = FontStyle::Italic;
        }
        ElemChild::Text(Formatted {
            text: t.into(),
            formatting,
        })
    }

    #[test]
    fn formatting_becomes_inlines_and_runs_merge() {
        let children = ElemChildren(vec![
            text("Doe, ", false),
            text("A ", true),
            text("<Book> & Co", true),
            text(". ", false),
            ElemChild::Link {
                text: Formatted {
                    text: "https://x.org/a?b=1&c=2".into(),
                    formatting: Formatting::default(),
                },
                url: "https://x.org/a?b=1&c=2".into(),
            },
        ]);
        let got = inlines(&children, Options { links: true });
        assert_eq!(
            got,
            vec![
                Inline::Text("Doe, ".into()),
                Inline::Emphasis(vec![Inline::Text("A <Book> & Co".into())]),
                Inline::Text(". ".into()),
                Inline::Link {
                    target: LinkTarget::External("https://x.org/a?b=1&c=2".into()),
                    content: vec![Inline::Text("https://x.org/a?b=1&c=2".into())]
                },
            ]
        );
        let plain = inlines(&children, Options { links: false });
        assert!(matches!(plain.last(), Some(Inline::Text(t)) if t.ends_with("c=2")));
    }

    #[test]
    fn a_period_after_a_closing_quote_is_not_doubled() {
        // pandoc --citeproc, chicago-author-date: "Trotsky, Leon. 1936. “The Revolution
        // Betrayed.” Marxists Internet Archive."
        let mut v = vec![Inline::Text(
            "“The Revolution Betrayed.”. https://x.org/.".into(),
        )];
        collapse_punctuation(&mut v);
        assert_eq!(
            v,
            vec![Inline::Text(
                "“The Revolution Betrayed.” https://x.org/.".into()
            )]
        );
        let mut v = vec![
            Inline::Text("“Why?”".into()),
            Inline::Text(". Next.".into()),
            Inline::Text("“Quoted”.".into()),
        ];
        collapse_punctuation(&mut v);
        assert_eq!(
            v,
            vec![
                Inline::Text("“Why?”".into()),
                Inline::Text(" Next.".into()),
                Inline::Text("“Quoted”.".into()),
            ]
        );
    }

    #[test]
    fn a_note_starts_with_a_capital() {
        let mut v = vec![Inline::Emphasis(vec![Inline::Text("ibid.".into())])];
        capitalise(&mut v);
        assert_eq!(
            v,
            vec![Inline::Emphasis(vec![Inline::Text("Ibid.".into())])]
        );
    }
}
