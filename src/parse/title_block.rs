//! pandoc's `%` title block at the very top of the manuscript → title, authors, date.
//!
//! pandoc MANUAL, "Extension: pandoc_title_block": a document may begin with
//!
//! ```text
//! % title
//! % author(s) (separated by semicolons)
//! % date
//! ```
//!
//! Any line may be left empty (`%` alone) to skip its field. The title may go on over
//! continuation lines that begin with a space; authors may be separated by `;`, by
//! continuation lines, or both; the date fits on one line. The grammar followed is the
//! reader's (pandoc 3, `Text.Pandoc.Readers.Markdown`: `titleLine`, `authorsLine`,
//! `dateLine`): a fourth `%` line is not part of the block, and blank lines after it
//! are skipped.
//!
//! Pure text → values: no diagnostics here. The caller applies the values before the
//! file's YAML blocks, so YAML wins where both set a key, as in pandoc (its Markdown
//! reader merges a later metadata block over what is already there: `% T` then
//! `title: Y` gives `Y`).

use crate::source::{FileId, Span};

/// One field's text, trimmed, and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Field {
    pub text: String,
    pub span: Span,
}

/// A title block read from the top of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TitleBlock {
    /// The title, its continuation lines joined by spaces; `None` when its line is
    /// empty.
    pub title: Option<Field>,
    /// The authors in order, empty ones dropped.
    pub authors: Vec<Field>,
    /// The date as written.
    pub date: Option<Field>,
    /// The whole block, blank lines after it included.
    pub span: Span,
}

/// Whether `text` begins with a title block: the test every first file pays (one byte).
pub(crate) fn starts_one(text: &str) -> bool {
    text.starts_with('%')
}

/// Reads the title block at the start of `text` (file `file`), if it has one.
pub(crate) fn read(file: FileId, text: &str) -> Option<TitleBlock> {
    if !starts_one(text) {
        return None;
    }
    let lines = Lines::new(text);
    let mut at = 0;
    let mut title = None;
    let mut authors = Vec::new();
    let mut date = None;
    // Title: a `%` line and continuation lines (newline followed by a space or tab).
    if let Some((parts, next)) = field_lines(&lines, at, true) {
        title = join(file, text, &parts, " ");
        at = next;
        // Authors: `;` and continuation lines both separate them.
        if let Some((parts, next)) = field_lines(&lines, at, true) {
            for (s, e) in parts {
                let mut from = s;
                for piece in text[s..e].split(';') {
                    let end = from + piece.len();
                    if let Some(f) = field(file, text, from, end) {
                        authors.push(f);
                    }
                    from = end + 1;
                }
            }
            at = next;
            // Date: one line.
            if let Some((parts, next)) = field_lines(&lines, at, false) {
                date = join(file, text, &parts, " ");
                at = next;
            }
        }
    }
    // pandoc: `optional blanklines`.
    while let Some((s, e, next)) = lines.at(at) {
        if text[s..e].trim().is_empty() {
            at = next;
        } else {
            break;
        }
    }
    Some(TitleBlock {
        title,
        authors,
        date,
        span: Span::new(file, 0, at),
    })
}

/// `text` with its first `end` bytes blanked (newlines kept), so that the body parses
/// with the file's offsets and line numbers.
pub(crate) fn blank_prefix(text: &str, end: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text[..end].chars() {
        if c == '\n' {
            out.push('\n');
        } else {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        }
    }
    out.push_str(&text[end..]);
    out
}

/// The lines of a text: (start, end without the line ending, start of the next line).
struct Lines<'a> {
    text: &'a str,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines { text }
    }

    /// The line starting at byte `at`, or `None` at the end of the text.
    fn at(&self, at: usize) -> Option<(usize, usize, usize)> {
        if at >= self.text.len() {
            return None;
        }
        let rest = &self.text[at..];
        let (len, next) = match rest.find('\n') {
            Some(i) => (i, at + i + 1),
            None => (rest.len(), self.text.len()),
        };
        let line = &rest[..len];
        let len = line.strip_suffix('\r').map_or(len, str::len);
        Some((at, at + len, next))
    }
}

/// The `%` line at `at` and, when `continued`, its continuation lines: each part's byte
/// range (after `%` and its spaces, for the first) and where the next line starts.
fn field_lines(
    lines: &Lines<'_>,
    at: usize,
    continued: bool,
) -> Option<(Vec<(usize, usize)>, usize)> {
    let (s, e, mut next) = lines.at(at)?;
    let text = lines.text;
    if !text[s..e].starts_with('%') {
        return None;
    }
    let mut parts = vec![(s + 1, e)];
    if continued {
        while let Some((s, e, n)) = lines.at(next) {
            let line = &text[s..e];
            if line.starts_with([' ', '\t']) && !line.trim().is_empty() {
                parts.push((s, e));
                next = n;
            } else {
                break;
            }
        }
    }
    Some((parts, next))
}

/// The trimmed text of `text[s..e]` as a field, `None` when empty.
fn field(file: FileId, text: &str, s: usize, e: usize) -> Option<Field> {
    let raw = &text[s..e];
    let lead = raw.len() - raw.trim_start().len();
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return None;
    }
    Some(Field {
        text: trimmed.to_string(),
        span: Span::new(file, s + lead, s + lead + trimmed.len()),
    })
}

/// The parts joined with `sep` (each trimmed, empty ones dropped), spanning all of them.
fn join(file: FileId, text: &str, parts: &[(usize, usize)], sep: &str) -> Option<Field> {
    let fields: Vec<Field> = parts
        .iter()
        .filter_map(|&(s, e)| field(file, text, s, e))
        .collect();
    let first = fields.first()?;
    let last = fields.last()?;
    Some(Field {
        text: fields
            .iter()
            .map(|f| f.text.as_str())
            .collect::<Vec<_>>()
            .join(sep),
        span: Span::new(file, first.span.start, last.span.end),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const F: FileId = FileId(0);

    fn texts(tb: &TitleBlock) -> (Option<&str>, Vec<&str>, Option<&str>) {
        (
            tb.title.as_ref().map(|f| f.text.as_str()),
            tb.authors.iter().map(|f| f.text.as_str()).collect(),
            tb.date.as_ref().map(|f| f.text.as_str()),
        )
    }

    #[test]
    fn three_lines_give_title_authors_and_date() {
        let text = "% Pandoc Test Suite\n% John MacFarlane; Anonymous\n% July 17, 2006\n\nBody\n";
        let tb = read(F, text).expect("a title block");
        assert_eq!(
            texts(&tb),
            (
                Some("Pandoc Test Suite"),
                vec!["John MacFarlane", "Anonymous"],
                Some("July 17, 2006")
            )
        );
        // The block runs up to the body, blank line included.
        assert_eq!(&text[tb.span.end..], "Body\n");
        let title = tb.title.expect("title");
        assert_eq!(&text[title.span.start..title.span.end], "Pandoc Test Suite");
        let anon = &tb.authors[1];
        assert_eq!(&text[anon.span.start..anon.span.end], "Anonymous");
    }

    #[test]
    fn continuation_lines_and_semicolons_separate_authors() {
        // The MANUAL's three equivalent spellings.
        for text in [
            "% T\n% Author One\n  Author Two\n",
            "% T\n% Author One; Author Two\n",
            "% T\n% Author One;\n  Author Two\n",
        ] {
            let tb = read(F, text).expect("a title block");
            assert_eq!(texts(&tb).1, vec!["Author One", "Author Two"], "{text:?}");
        }
    }

    #[test]
    fn a_title_goes_on_over_indented_lines() {
        let tb = read(F, "% My title\n  on multiple lines\n% A\n").expect("block");
        assert_eq!(texts(&tb).0, Some("My title on multiple lines"));
        assert_eq!(texts(&tb).1, vec!["A"]);
    }

    #[test]
    fn empty_lines_skip_fields() {
        let tb = read(F, "%\n% Author\n").expect("block");
        assert_eq!(texts(&tb), (None, vec!["Author"], None));
        let tb = read(F, "% My title\n%\n% June 15, 2006\n").expect("block");
        assert_eq!(
            texts(&tb),
            (Some("My title"), vec![], Some("June 15, 2006"))
        );
    }

    #[test]
    fn a_fourth_line_and_indented_date_lines_are_body() {
        let text = "% T\n% A\n% D\n% not the block\n";
        let tb = read(F, text).expect("block");
        assert_eq!(&text[tb.span.end..], "% not the block\n");
        let text = "% T\n% A\n% D\n  more\n";
        let tb = read(F, text).expect("block");
        assert_eq!(texts(&tb).2, Some("D"));
        assert_eq!(&text[tb.span.end..], "  more\n");
    }

    #[test]
    fn only_at_the_very_start_and_never_panics() {
        assert_eq!(read(F, "Text\n% T\n"), None);
        assert_eq!(read(F, " % T\n"), None);
        for text in ["%", "%\r\n", "% é\r\n% ;;\r\n%\r\n", "% T", "%;\n%;\n%;"] {
            let tb = read(F, text).expect("block");
            assert!(tb.span.end <= text.len());
            assert_eq!(blank_prefix(text, tb.span.end).len(), text.len());
        }
        let tb = read(F, "% T\r\n% A; B\r\n").expect("block");
        assert_eq!(texts(&tb), (Some("T"), vec!["A", "B"], None));
    }

    #[test]
    fn blanking_keeps_offsets_and_lines() {
        let text = "% Tï\n% A\n\nBody";
        let blank = blank_prefix(text, 11);
        assert_eq!(blank.len(), text.len());
        assert_eq!(blank, "     \n   \n\nBody");
    }
}
