//! The author's EPUB stylesheet (`epub: css:`, issue 14): read through the file layer
//! from the manuscript folder and checked before it is packaged, so a stylesheet that
//! would make EPUBCheck fail, or pull in what the package does not hold, is a diagnostic
//! at the build and not a rejected upload.
//!
//! The check is a tokenizer's, not a CSS parser's (CSS Syntax Level 3 §4): comments and
//! strings must close, braces must balance, and the constructs EPUB 3.3 restricts are
//! refused — `@import` (another file the package would have to hold, §3.3 "Publication
//! resources"), `url(…)` (a remote resource makes the document need the
//! `remote-resources` property, a local one a manifest item that quire does not add),
//! and `position: fixed` (EPUB 3.3 §6.3.2: reading systems may ignore it; EPUBCheck
//! CSS-006 warns). Everything else is the author's to decide: the stylesheet comes after
//! quire's, so its rules win.

/// A problem found in a stylesheet: the message, and the 1-based line and column in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CssProblem {
    pub(crate) line: usize,
    pub(crate) col: usize,
    pub(crate) message: String,
}

/// The problems of stylesheet `css`, in order (empty when it may be packaged).
pub(crate) fn check(css: &str) -> Vec<CssProblem> {
    let mut problems = Vec::new();
    let bytes = css.as_bytes();
    let at = |i: usize| {
        let before = &css[..i.min(css.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    };
    let mut push = |i: usize, message: String| {
        let (line, col) = at(i);
        problems.push(CssProblem { line, col, message });
    };
    // Open braces, by where they opened.
    let mut open: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'/' if bytes.get(i + 1) == Some(&b'*') => match css[i + 2..].find("*/") {
                Some(end) => i += 2 + end + 2,
                None => {
                    push(i, "a comment is never closed (`*/` is missing)".into());
                    break;
                }
            },
            b'"' | b'\'' => {
                let mut j = i + 1;
                let mut closed = false;
                while j < bytes.len() {
                    match bytes[j] {
                        b'\\' => j += 2,
                        b'\n' => break,
                        c if c == b => {
                            closed = true;
                            break;
                        }
                        _ => j += 1,
                    }
                }
                if !closed {
                    push(i, "a string is never closed".into());
                    i = j.max(i + 1);
                } else {
                    i = j + 1;
                }
            }
            b'{' => {
                open.push(i);
                i += 1;
            }
            b'}' => {
                if open.pop().is_none() {
                    push(i, "`}` closes no block".into());
                }
                i += 1;
            }
            b'@' if css[i..].len() >= 7 && css[i + 1..i + 7].eq_ignore_ascii_case("import") => {
                push(
                    i,
                    "`@import` pulls in another file, which the EPUB would not hold".into(),
                );
                i += 7;
            }
            b'u' | b'U'
                if css[i..].len() >= 4
                    && css[i..i + 4].eq_ignore_ascii_case("url(")
                    && !css[..i]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_alphanumeric() || c == '-') =>
            {
                push(
                    i,
                    "`url(…)` names a file or a remote resource, which the EPUB would not hold"
                        .into(),
                );
                i += 4;
            }
            b'p' | b'P' if starts_property(css, i, "position") => {
                let value = css[i..].split([';', '}']).next().unwrap_or("");
                if value.to_ascii_lowercase().contains("fixed") {
                    push(
                        i,
                        "`position: fixed` is not for EPUB (EPUB 3.3 §6.3.2; EPUBCheck CSS-006)"
                            .into(),
                    );
                }
                i += "position".len();
            }
            _ => i += 1,
        }
    }
    for &o in &open {
        push(o, "`{` is never closed".into());
    }
    problems
}

/// Whether a property named `name` starts at byte `i` (a whole word, followed by `:`).
fn starts_property(css: &str, i: usize, name: &str) -> bool {
    let Some(rest) = css.get(i..) else {
        return false;
    };
    rest.len() > name.len()
        && rest[..name.len()].eq_ignore_ascii_case(name)
        && rest[name.len()..].trim_start().starts_with(':')
        && !css[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(css: &str) -> Vec<String> {
        check(css)
            .into_iter()
            .map(|p| format!("{}:{} {}", p.line, p.col, p.message))
            .collect()
    }

    #[test]
    fn a_plain_stylesheet_passes() {
        let css = "/* mine */\nh1 { color: #333; font-family: \"Gentium\", serif; }\n\
                   p { position: relative; }\n.x::before { content: '}'; }\n";
        assert!(check(css).is_empty(), "{:?}", check(css));
    }

    #[test]
    fn unsafe_and_broken_stylesheets_are_reported_where() {
        let m = messages("@import \"a.css\";\nh1 {\n  background: url(x.png);\n");
        assert_eq!(m.len(), 3, "{m:?}");
        assert!(m[0].starts_with("1:1 `@import`"), "{m:?}");
        assert!(m[1].starts_with("3:15 `url("), "{m:?}");
        assert!(m[2].starts_with("2:4 `{` is never closed"), "{m:?}");
        let m = messages("p { position : fixed }\n}\n/* open");
        assert!(m[0].starts_with("1:5 `position: fixed`"), "{m:?}");
        assert!(m[1].starts_with("2:1 `}` closes no block"), "{m:?}");
        assert!(m[2].starts_with("3:1 a comment"), "{m:?}");
        assert!(messages("p { content: \"x }")[0].contains("string"));
    }
}
