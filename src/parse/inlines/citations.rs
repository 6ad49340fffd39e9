//! pandoc's citation syntax in the inline post-pass (issue 16): MANUAL, "Citation
//! syntax", and `Readers/Markdown.hs` (`normalCite`, `textualCite`, `citeKey`).
//!
//! - `[see @doe99, pp. 33-35; also @smith04, chap. 1]`: a bracketed list of citations
//!   separated by `;`, each a prefix, a key and a suffix. pandoc tries it at `[` right
//!   after a note reference and before a bracketed span or a link, so `[@a]{.c}` is a
//!   citation followed by text. Every part between `;` must hold a key, or the brackets
//!   are not a citation at all.
//! - `[-@doe99]`: the author is left out (`SuppressAuthor`).
//! - `@doe99` in the text (`AuthorInText`), and `@doe99 [p. 33]` with a suffix in
//!   brackets after it.
//! - A key begins with a letter, a digit or `_` and may hold alphanumerics, `_` and the
//!   internal punctuation `:.#$%&-+?<>~/` (punctuation only when a key character follows
//!   it, so `@doe99.` ends before the period); `@{…}` holds any key. An `@` right after
//!   a letter or digit (`name@example.org`) is no citation (pandoc's `notAfterString`).
//!
//! As in the rest of the post-pass, the syntax is read from the SOURCE bytes: an escaped
//! `\@` or `\[` is text. Which keys exist is not known here: `crate::cite` decides, and
//! gives back the text as written for an `@word` that names no source.

use super::{split, unsplit, Item, Node, Text};
use crate::model::CiteMode;
use std::ops::Range;

/// One citation of a list, as the post-pass reads it.
#[derive(Debug, Clone)]
pub(crate) struct CiteNode<'a> {
    /// The key, without `@` and braces.
    pub key: String,
    /// `@key` in the source (the `-` of `-@key` left out).
    pub key_range: Range<usize>,
    /// Normal, author suppressed, or author in the text.
    pub mode: CiteMode,
    /// What is written before the key, trimmed.
    pub prefix: Vec<Node<'a>>,
    /// What is written after the key (a locator first, if any), trimmed at its end; a
    /// space at its start is kept (pandoc keeps one: `@a and passim` → ` and passim`).
    pub suffix: Vec<Node<'a>>,
}

/// The key written right after an `@` at source offset `at` (the offset just after the
/// `@`), and where it ends.
pub(crate) fn key_at(src: &str, at: usize) -> Option<(String, usize)> {
    let rest = src.get(at..)?;
    if let Some(inner) = rest.strip_prefix('{') {
        // `@{…}`: balanced braces, any characters but a paragraph break.
        let mut depth = 1usize;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        let key = inner[..i].trim();
                        return (!key.is_empty()).then(|| (key.to_string(), at + 1 + i + 1));
                    }
                }
                '\n' if inner[i + 1..].starts_with('\n') => return None,
                _ => {}
            }
        }
        return None;
    }
    let len = simple_key_len(rest);
    (len > 0).then(|| (rest[..len].to_string(), at + len))
}

/// The length in bytes of the simple key at the start of `s` (0: none), as pandoc's
/// `simpleCiteIdentifier` reads it.
fn simple_key_len(s: &str) -> usize {
    let regular = |c: char| c.is_alphanumeric() || c == '_';
    let mut chars = s.char_indices().peekable();
    match chars.next() {
        Some((_, c)) if regular(c) => {}
        _ => return 0,
    }
    let mut end = s.chars().next().map_or(0, char::len_utf8);
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let keep = regular(c)
            || (":.#$%&-+?<>~/".contains(c) && next.is_some_and(regular))
            // `http://…`: a `:` or `/` before a `/`.
            || (matches!(c, ':' | '/') && next == Some('/'));
        if !keep {
            break;
        }
        end = i + c.len_utf8();
    }
    // Punctuation kept for a following `/` must still end on a key character.
    while end > 0 && s[..end].ends_with([':', '/']) {
        end -= 1;
    }
    end
}

/// Whether an `@` (or the `-` before it) at source offset `at` stands where a citation
/// may start: not right after a letter or digit (pandoc's `notAfterString`).
fn not_after_string(src: &str, at: usize) -> bool {
    !src.get(..at)
        .and_then(|s| s.chars().next_back())
        .is_some_and(char::is_alphanumeric)
}

/// The citation that starts with the syntax `@` at source offset `at`: its key, the key's
/// end and the mode, or `None` when no citation starts there. `dash`: a syntax `-` stands
/// right before the `@`.
fn cite_at(src: &str, at: usize, dash: bool) -> Option<(String, usize, CiteMode)> {
    let start = if dash { at - 1 } else { at };
    if !not_after_string(src, start) {
        return None;
    }
    let (key, end) = key_at(src, at + 1)?;
    let mode = if dash {
        CiteMode::SuppressAuthor
    } else {
        CiteMode::Normal
    };
    Some((key, end, mode))
}

/// Whether the text `t` ends with a syntax `-` right before source offset `at`.
fn dash_before(t: &Text<'_>, at: usize) -> bool {
    t.range.end == at
        && t.text.ends_with('-')
        && !t.text.is_empty()
        && t.syntax_at(t.text.len() - 1)
}

/// The content of `[…]` as a list of citations (MANUAL, "Citation syntax"), or `None`
/// when it is not one.
pub(crate) fn list<'a>(src: &'a str, content: &[Node<'a>]) -> Option<Vec<CiteNode<'a>>> {
    // Cheap test first: a syntax `@` at the top level.
    if !content.iter().any(|n| {
        matches!(n, Node::Text(t) if t.text.bytes().enumerate().any(|(i, b)| b == b'@' && t.syntax_at(i)))
    }) {
        return None;
    }
    let mut items = Vec::new();
    split(content.to_vec(), b";@", &mut items);
    let mut segments: Vec<Vec<Item<'a>>> = vec![Vec::new()];
    for item in items {
        match item {
            Item::Delim(b';', _) => segments.push(Vec::new()),
            other => segments.last_mut().map_or((), |s| s.push(other)),
        }
    }
    let mut cites = Vec::new();
    for segment in segments {
        cites.push(one(src, segment)?);
    }
    Some(cites)
}

/// One `prefix @key suffix` part of a citation list.
fn one<'a>(src: &'a str, mut segment: Vec<Item<'a>>) -> Option<CiteNode<'a>> {
    let (at_index, key, key_end, mode) = segment.iter().enumerate().find_map(|(i, item)| {
        let Item::Delim(b'@', at) = item else {
            return None;
        };
        let dash =
            i > 0 && matches!(&segment[i - 1], Item::Node(Node::Text(t)) if dash_before(t, *at));
        // The key must lie in the text right after the `@`, as written.
        let (key, end, mode) = cite_at(src, *at, dash)?;
        if src.get(*at + 1..*at + 2) != Some("{") {
            match segment.get(i + 1) {
                Some(Item::Node(Node::Text(t)))
                    if t.range.start == at + 1 && t.range.end >= end && t.syntax_at(0) => {}
                _ => return None,
            }
        }
        Some((i, key, end, mode))
    })?;
    let at = match segment[at_index] {
        Item::Delim(_, p) => p,
        _ => return None,
    };
    let after = segment.split_off(at_index + 1);
    segment.pop(); // the `@`
    let mut prefix = unsplit(segment, src);
    if mode == CiteMode::SuppressAuthor {
        drop_last_char(&mut prefix);
    }
    trim_end(&mut prefix);
    trim_start(&mut prefix);
    let mut suffix = unsplit(after, src);
    drop_before(&mut suffix, key_end);
    trim_end(&mut suffix);
    Some(CiteNode {
        key,
        key_range: at..key_end,
        mode,
        prefix,
        suffix,
    })
}

/// Removes the last character of the last node (the `-` of `-@key`).
fn drop_last_char(nodes: &mut Vec<Node<'_>>) {
    if let Some(Node::Text(t)) = nodes.last_mut() {
        let keep = t.text.len().saturating_sub(1);
        if keep == 0 {
            nodes.pop();
        } else {
            *t = t.slice(0, keep);
        }
    }
}

/// Drops what lies before source offset `to` at the start of `nodes` (the key's text).
fn drop_before(nodes: &mut Vec<Node<'_>>, to: usize) {
    while let Some(Node::Text(t)) = nodes.first_mut() {
        if t.range.end <= to {
            nodes.remove(0);
            continue;
        }
        if t.range.start < to {
            let k = to - t.range.start;
            if t.text.is_char_boundary(k) {
                *t = t.slice(k, t.text.len());
            }
        }
        break;
    }
}

/// Trims white space at the start of `nodes`.
fn trim_start(nodes: &mut Vec<Node<'_>>) {
    while let Some(Node::Text(t)) = nodes.first_mut() {
        let trimmed = t.text.len() - t.text.trim_start().len();
        if trimmed == t.text.len() {
            nodes.remove(0);
            continue;
        }
        if trimmed > 0 {
            *t = t.slice(trimmed, t.text.len());
        }
        break;
    }
}

/// Trims white space at the end of `nodes` (and a soft break there).
fn trim_end(nodes: &mut Vec<Node<'_>>) {
    loop {
        match nodes.last_mut() {
            Some(Node::Text(t)) => {
                let keep = t.text.trim_end().len();
                if keep == 0 {
                    nodes.pop();
                    continue;
                }
                if keep < t.text.len() {
                    *t = t.slice(0, keep);
                }
            }
            Some(Node::Leaf(pulldown_cmark::Event::SoftBreak, _)) => {
                nodes.pop();
                continue;
            }
            _ => {}
        }
        break;
    }
}

/// `@key [suffix]` (MANUAL: "`@smith04 [p. 33]` says blah"): when the bracket whose
/// content is `content`, opened at source offset `open`, follows `@key` and white space
/// at the end of the text `before`, the citation, with the part of `before` that
/// precedes it.
pub(crate) fn textual_with_suffix<'a>(
    src: &'a str,
    before: &Text<'a>,
    open: usize,
    content: &[Node<'a>],
) -> Option<(Option<Text<'a>>, CiteNode<'a>)> {
    if before.range.end > open || !before.verbatim {
        return None;
    }
    // Only white space (one line break at most) between the key and the bracket.
    let gap = src.get(before.range.end..open)?;
    let body = before.text.trim_end_matches([' ', '\t', '\n', '\r']);
    let spaces = &before.text[body.len()..];
    if !gap.is_empty() || spaces.matches('\n').count() > 1 {
        return None;
    }
    // `[^…]` after a key is a note reference, never a suffix.
    if src.get(open + 1..open + 2) == Some("^") {
        return None;
    }
    // The key at the end of `body`: find its `@`.
    let at = body
        .char_indices()
        .rev()
        .filter(|&(i, c)| c == '@' && before.syntax_at(i))
        .map(|(i, _)| before.range.start + i)
        .find(|&at| {
            let dash = at > before.range.start && src.as_bytes().get(at - 1) == Some(&b'-');
            cite_at(src, at, dash).is_some_and(|(_, end, _)| end == before.range.start + body.len())
        })?;
    let dash = at > before.range.start
        && src.as_bytes().get(at - 1) == Some(&b'-')
        && not_after_string(src, at - 1);
    let (key, end, _) = cite_at(src, at, dash)?;
    let start = if dash { at - 1 } else { at };
    let keep = before.slice(0, start - before.range.start);
    let mut suffix = content.to_vec();
    trim_start(&mut suffix);
    trim_end(&mut suffix);
    // pandoc gives the suffix a leading comma when it starts with a locator ("Doe
    // (1999, 33)"); the citation stage reads the locator either way.
    Some((
        (!keep.text.is_empty()).then_some(keep),
        CiteNode {
            key,
            key_range: at..end,
            mode: if dash {
                CiteMode::SuppressAuthor
            } else {
                CiteMode::AuthorInText
            },
            prefix: Vec::new(),
            suffix,
        },
    ))
}

/// Bare `@key` citations in the texts of `nodes` (not inside links: a citation there
/// would put a link in a link).
pub(crate) fn bare<'a>(src: &'a str, nodes: Vec<Node<'a>>) -> Vec<Node<'a>> {
    let mut out = Vec::with_capacity(nodes.len());
    for node in nodes {
        let Node::Text(t) = node else {
            out.push(node);
            continue;
        };
        if !t.verbatim || !t.text.contains('@') {
            out.push(Node::Text(t));
            continue;
        }
        let mut from = 0; // byte offset in `t.text` of what is not yet pushed
        let mut i = 0;
        while let Some(k) = t.text[i..].find('@') {
            let local = i + k;
            i = local + 1;
            if !t.syntax_at(local) {
                continue;
            }
            let at = t.range.start + local;
            let dash =
                local > from && t.text.as_bytes()[local - 1] == b'-' && t.syntax_at(local - 1);
            let dash = dash && not_after_string(src, at - 1);
            let Some((key, end, mode)) = cite_at(src, at, dash) else {
                continue;
            };
            if end > t.range.end {
                continue;
            }
            let start_local = if dash { local - 1 } else { local };
            if start_local > from {
                out.push(Node::Text(t.slice(from, start_local)));
            }
            let end_local = end - t.range.start;
            let whole = t.slice(start_local, end_local);
            out.push(Node::Cite {
                range: whole.range.clone(),
                items: vec![CiteNode {
                    key,
                    key_range: at..end,
                    mode: if mode == CiteMode::SuppressAuthor {
                        CiteMode::SuppressAuthor
                    } else {
                        CiteMode::AuthorInText
                    },
                    prefix: Vec::new(),
                    suffix: Vec::new(),
                }],
                fallback: vec![Node::Text(whole)],
            });
            from = end_local;
            i = end_local;
        }
        if from == 0 {
            out.push(Node::Text(t));
        } else if from < t.text.len() {
            out.push(Node::Text(t.slice(from, t.text.len())));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_as_pandoc_reads_them() {
        let key = |s: &str| key_at(s, 0);
        assert_eq!(key("doe99, p. 3"), Some(("doe99".into(), 5)));
        assert_eq!(key("doe99."), Some(("doe99".into(), 5)));
        assert_eq!(key("doe:99.a]"), Some(("doe:99.a".into(), 8)));
        assert_eq!(key("http://x.org/a b"), Some(("http://x.org/a".into(), 14)));
        assert_eq!(key("_x-"), Some(("_x".into(), 2)));
        assert_eq!(key("Müller2020"), Some(("Müller2020".into(), 11)));
        assert_eq!(key("{a b&c} x"), Some(("a b&c".into(), 7)));
        assert_eq!(key("-x"), None);
        assert_eq!(key("{unclosed"), None);
        assert_eq!(key(" x"), None);
    }

    #[test]
    fn an_at_after_a_word_is_no_citation() {
        assert!(!not_after_string("me@x", 2));
        assert!(not_after_string("(@x", 1));
        assert!(not_after_string("@x", 0));
    }
}
