//! pandoc's attribute syntax, `{#id .class key=value key2="a value"}`, used after
//! headings, fenced div fences, bracketed spans, images, links, code and table captions
//! (pandoc's MANUAL, "Extension: header_attributes", "fenced_divs", "bracketed_spans",
//! "link_attributes"; the grammar follows pandoc's `Readers/Markdown.hs` `attributes`).
//!
//! Read from the source bytes, never from event text: smart punctuation turns the quotes
//! of `key="v"` into curly ones in pulldown-cmark's text events.

use crate::model::Attr;

/// Why a `{…}` is not a valid attribute set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AttrProblem {
    /// No closing `}`.
    Unclosed,
    /// Something that is not `#id`, `.class`, `key=value`, `-` or `=format`; the byte
    /// offset (from the opening `{`) where it starts.
    Unexpected(usize),
}

/// What a `{…}` holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Braced {
    /// Ordinary attributes.
    Attr(Attr),
    /// A raw format (`{=html}`): the content is for that output format only.
    Raw(String),
}

/// Reads the `{…}` at the start of `s`: what it holds and its length in bytes (the `}`
/// included). `s` must start with `{`.
pub(crate) fn parse(s: &str) -> Result<(Braced, usize), AttrProblem> {
    let bytes = s.as_bytes();
    if bytes.first() != Some(&b'{') {
        return Err(AttrProblem::Unexpected(0));
    }
    let mut attr = Attr::default();
    let mut i = 1;
    let skip_space = |i: &mut usize| {
        while *i < bytes.len() && matches!(bytes[*i], b' ' | b'\t' | b'\n' | b'\r') {
            *i += 1;
        }
    };
    skip_space(&mut i);
    // `{=format}`: a raw attribute, alone in its braces.
    if bytes.get(i) == Some(&b'=') {
        let start = i + 1;
        let mut j = start;
        while j < bytes.len() && is_name_byte(bytes[j]) {
            j += 1;
        }
        let format = &s[start..j];
        let mut k = j;
        skip_space(&mut k);
        return match bytes.get(k) {
            Some(b'}') if !format.is_empty() => Ok((Braced::Raw(format.to_string()), k + 1)),
            Some(_) => Err(AttrProblem::Unexpected(j)),
            None => Err(AttrProblem::Unclosed),
        };
    }
    loop {
        skip_space(&mut i);
        let Some(&b) = bytes.get(i) else {
            return Err(AttrProblem::Unclosed);
        };
        match b {
            b'}' => return Ok((Braced::Attr(attr), i + 1)),
            b'#' => {
                let (name, end) = name_at(s, i + 1);
                if name.is_empty() {
                    return Err(AttrProblem::Unexpected(i));
                }
                attr.id = Some(name.to_string());
                i = end;
            }
            b'.' => {
                let (name, end) = name_at(s, i + 1);
                // A class starts with a letter (pandoc's `classAttr` takes any identifier;
                // `.5` is not one).
                if !name.starts_with(|c: char| c.is_alphabetic() || c == '_') {
                    return Err(AttrProblem::Unexpected(i));
                }
                push_class(&mut attr, name);
                i = end;
            }
            // `{-}` is `.unnumbered` (MANUAL, "header_attributes").
            b'-' if matches!(bytes.get(i + 1), Some(b' ' | b'\t' | b'\n' | b'}')) => {
                push_class(&mut attr, "unnumbered");
                i += 1;
            }
            _ => {
                let (key, end) = name_at(s, i);
                if key.is_empty() || bytes.get(end) != Some(&b'=') {
                    return Err(AttrProblem::Unexpected(i));
                }
                let (value, end) = value_at(s, end + 1).ok_or(AttrProblem::Unclosed)?;
                match key {
                    "id" => attr.id = Some(value),
                    "class" => {
                        for c in value.split_whitespace() {
                            push_class(&mut attr, c);
                        }
                    }
                    _ => attr.pairs.push((key.to_string(), value)),
                }
                i = end;
            }
        }
    }
}

fn push_class(attr: &mut Attr, class: &str) {
    if !attr.classes.iter().any(|c| c == class) {
        attr.classes.push(class.to_string());
    }
}

/// Identifier characters: letters, digits and `-_:.` (pandoc's `identifier`).
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.') || b >= 0x80
}

/// The identifier starting at byte `i` of `s` and the offset after it.
fn name_at(s: &str, i: usize) -> (&str, usize) {
    let bytes = s.as_bytes();
    let mut j = i;
    while j < bytes.len() && is_name_byte(bytes[j]) {
        j += 1;
    }
    // Never cut a UTF-8 sequence: bytes >= 0x80 are all taken, so `j` is on a boundary.
    (&s[i..j], j)
}

/// A value at byte `i`: `"…"` or `'…'` with backslash escapes, or a bare run up to a
/// space or `}`. `None` when a quote is not closed.
fn value_at(s: &str, i: usize) -> Option<(String, usize)> {
    let bytes = s.as_bytes();
    match bytes.get(i) {
        Some(&q @ (b'"' | b'\'')) => {
            let mut out = String::new();
            let mut chars = s[i + 1..].char_indices();
            while let Some((k, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, next)) = chars.next() {
                            out.push(next);
                        }
                    }
                    c if c as u32 == u32::from(q) => return Some((out, i + 1 + k + 1)),
                    c => out.push(c),
                }
            }
            None
        }
        _ => {
            let mut j = i;
            while j < bytes.len() && !matches!(bytes[j], b' ' | b'\t' | b'\n' | b'\r' | b'}') {
                j += 1;
            }
            Some((s[i..j].to_string(), j))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn attr(s: &str) -> Attr {
        match parse(s).unwrap().0 {
            Braced::Attr(a) => a,
            Braced::Raw(f) => panic!("raw {f}"),
        }
    }

    #[test]
    fn ids_classes_and_pairs() {
        let a = attr(r#"{#fig:tower .wide .wide width=60% alt="a \"tall\" tower" data-x='y z'}"#);
        assert_eq!(a.id.as_deref(), Some("fig:tower"));
        assert_eq!(a.classes, ["wide"]);
        assert_eq!(
            a.pairs,
            [
                ("width".to_string(), "60%".to_string()),
                ("alt".to_string(), "a \"tall\" tower".to_string()),
                ("data-x".to_string(), "y z".to_string()),
            ]
        );
        assert_eq!(attr("{-}").classes, ["unnumbered"]);
        assert_eq!(attr("{.unnumbered -}").classes, ["unnumbered"]);
        assert_eq!(attr("{ }"), Attr::default());
        assert_eq!(attr("{id=x class=\"a b\"}").classes, ["a", "b"]);
        assert_eq!(attr("{lang=ar dir=rtl}").pairs.len(), 2);
    }

    #[test]
    fn lengths_raw_formats_and_problems() {
        assert_eq!(parse("{.a} tail").unwrap().1, 4);
        assert_eq!(parse("{=html}").unwrap(), (Braced::Raw("html".into()), 7));
        assert_eq!(parse("{.a"), Err(AttrProblem::Unclosed));
        assert_eq!(parse("{k=\"v}"), Err(AttrProblem::Unclosed));
        assert_eq!(parse("{.5}"), Err(AttrProblem::Unexpected(1)));
        assert_eq!(parse("{a b}"), Err(AttrProblem::Unexpected(1)));
        assert_eq!(parse("{=html .x}"), Err(AttrProblem::Unexpected(6)));
        assert_eq!(parse("x"), Err(AttrProblem::Unexpected(0)));
    }
}
