//! Plain text to Markdown that reads back as the same text.
//!
//! Characters that Markdown would take as markup are escaped with a backslash, which
//! CommonMark allows before any ASCII punctuation (CommonMark 0.31, §2.4 "Backslash
//! escapes"). Inline markup characters are escaped everywhere; block markers (`#`, `>`,
//! `-`, `+`, `1.`) only at the start of a paragraph, where they would start a heading,
//! quote or list. `~` and `^` are escaped because quire enables strikethrough,
//! subscript and superscript. Everything else is left alone so the file stays readable.

use std::ops::Range;

/// Escapes inline markup in `s`.
pub(crate) fn escape_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let escape = match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' | '^' => true,
            // `<tag>`, `</tag>`, `<!--`, `<?`, `<http://…>` would be HTML or autolinks.
            '<' => next.is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')),
            // `&amp;` and `&#38;` would be decoded as entities.
            '&' => entity_follows(&chars[i + 1..]),
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Whether `rest` starts like the body of an entity reference: `name;` or `#123;`.
fn entity_follows(rest: &[char]) -> bool {
    let body: Vec<char> = rest
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == '#')
        .copied()
        .collect();
    !body.is_empty() && rest.get(body.len()) == Some(&';')
}

/// Escapes what would start a block at the start of a paragraph whose inline markup is
/// already escaped: `# `, `>`, `- `, `+ `, `=`, and an ordered-list number (`1932.` or
/// `3)` followed by a space).
pub(crate) fn escape_block_start(s: &str) -> String {
    // `: ` after a paragraph starts a definition (pulldown-cmark's definition lists).
    if s.starts_with(['#', '>', '-', '+', '=']) || s.starts_with(": ") {
        return format!("\\{s}");
    }
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = &s[digits..];
        if rest.starts_with(['.', ')']) && rest[1..].chars().next().is_none_or(char::is_whitespace)
        {
            return format!("{}\\{}", &s[..digits], rest);
        }
    }
    s.to_string()
}

/// A note reference to put in place of bytes of the source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Replacement {
    /// The source bytes it replaces.
    pub bytes: Range<usize>,
    /// The Markdown it becomes (`[^3]`).
    pub markdown: String,
}

/// The Markdown for the text in `ranges` of `text` (the lines of one paragraph), lines
/// joined by a space, markup escaped, with `replacements` (sorted, inside the ranges)
/// put in place of the bytes they cover.
pub(crate) fn render(text: &str, ranges: &[Range<usize>], replacements: &[Replacement]) -> String {
    let mut out = String::new();
    for (n, range) in ranges.iter().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        let mut pos = range.start;
        for r in replacements
            .iter()
            .filter(|r| r.bytes.start >= range.start && r.bytes.end <= range.end)
        {
            out.push_str(&escape_inline(text.get(pos..r.bytes.start).unwrap_or("")));
            out.push_str(&r.markdown);
            pos = r.bytes.end;
        }
        out.push_str(&escape_inline(text.get(pos..range.end).unwrap_or("")));
    }
    escape_block_start(&out)
}

/// A level-1 heading line for `content` (already escaped). A `#` at its end would be
/// taken as a closing sequence, and `{…}` as heading attributes, so they are escaped.
pub(crate) fn heading(content: &str) -> String {
    let mut body = content.replace('{', "\\{");
    if body.ends_with('#') {
        body.insert(body.len() - 1, '\\');
    }
    format!("# {body}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn inline_markup_is_escaped() {
        assert_eq!(
            escape_inline("a *b* _c_ [d](e) `f`"),
            r"a \*b\* \_c\_ \[d\](e) \`f\`"
        );
        assert_eq!(
            escape_inline("x < y and <b> &amp; AT&T"),
            r"x < y and \<b> \&amp; AT&T"
        );
    }

    #[test]
    fn block_starts_are_escaped() {
        assert_eq!(escape_block_start("1932. The year"), r"1932\. The year");
        assert_eq!(escape_block_start("3) three"), r"3\) three");
        assert_eq!(escape_block_start("# not a heading"), r"\# not a heading");
        assert_eq!(escape_block_start("- not a list"), r"\- not a list");
        assert_eq!(escape_block_start("1932 was"), "1932 was");
        assert_eq!(escape_block_start("3.5 million"), "3.5 million");
    }

    #[test]
    fn replacements_take_the_place_of_their_bytes() {
        let text = "He was assassinated.6 Then\nmore *text*.";
        let refs = [Replacement {
            bytes: 20..21,
            markdown: "[^6]".into(),
        }];
        let out = render(text, &[0..26, 27..text.len()], &refs);
        assert_eq!(out, r"He was assassinated.[^6] Then more \*text\*.");
    }
}
