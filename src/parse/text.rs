//! Characters that must never reach the model: those XML 1.0 forbids (§2.2 `Char`:
//! C0 controls other than tab, newline and carriage return, and U+FFFE, U+FFFF), and
//! carriage returns (line ends are `\n` in the model).

use crate::diag::Diagnostic;
use crate::source::{FileId, Span};

/// Whether XML 1.0 forbids `c` in a document (XML 1.0 §2.2). Surrogates cannot occur in
/// a Rust `char`.
pub(crate) fn is_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// Whether `s` may hold a forbidden character (or a carriage return): a byte scan, a
/// tenth of the cost of decoding every char (it ran over every text of every file on
/// each rebuild). The UTF-8 of a forbidden or `\r` char has a byte below 0x20 other
/// than tab and newline, or (U+FFFE, U+FFFF) the lead byte 0xEF; a `true` is then
/// checked char by char.
fn may_need_cleaning(s: &str) -> bool {
    // In blocks without an early exit, so the compiler can scan a block in a few vector
    // instructions.
    s.as_bytes().chunks(64).any(|block| {
        block.iter().fold(false, |acc, &b| {
            acc | ((b < 0x20 && b != b'\t' && b != b'\n') || b == 0xEF)
        })
    })
}

/// `s` without forbidden characters and with `\r\n` and lone `\r` turned into `\n`.
pub(crate) fn clean_text(s: &str) -> String {
    if !may_need_cleaning(s) || !s.chars().any(|c| c == '\r' || is_forbidden(c)) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() != Some(&'\n') {
                out.push('\n');
            }
        } else if !is_forbidden(c) {
            out.push(c);
        }
    }
    out
}

/// A code block's text with its tabs turned into spaces to the next tab stop every
/// `stop` columns, as pandoc reads them (its `--tab-stop`, 4 by default: it converts
/// tabs before parsing unless `--preserve-tabs`). A tab is no glyph of any font: the
/// PDF drew it as the face's empty box.
pub(crate) fn expand_tabs(s: &str, stop: usize) -> String {
    if !s.contains('\t') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut column = 0;
    for c in s.chars() {
        match c {
            '\t' => {
                let n = stop - column % stop;
                out.extend(std::iter::repeat_n(' ', n));
                column += n;
            }
            '\n' => {
                out.push(c);
                column = 0;
            }
            _ => {
                out.push(c);
                column += 1;
            }
        }
    }
    out
}

/// A source text with the forbidden characters removed, and the way back from an offset
/// in the cleaned text to the original.
#[derive(Debug)]
pub(crate) struct Cleaned {
    /// The cleaned text.
    pub text: String,
    /// For each removal: offset in the cleaned text, and the total bytes removed up to and
    /// including it.
    shifts: Vec<(usize, usize)>,
}

impl Cleaned {
    /// Cleans `text` (a source file's), warning once per forbidden character, at its
    /// position in `file` (at most 20 per file, then one summary).
    pub(crate) fn new(text: &str, file: FileId, diags: &mut Vec<Diagnostic>) -> Self {
        if !may_need_cleaning(text) || !text.chars().any(is_forbidden) {
            return Cleaned {
                text: text.to_string(),
                shifts: Vec::new(),
            };
        }
        let mut out = String::with_capacity(text.len());
        let mut shifts = Vec::new();
        let mut removed = 0;
        let mut count = 0;
        for (i, c) in text.char_indices() {
            if is_forbidden(c) {
                count += 1;
                if count <= 20 {
                    diags.push(
                        Diagnostic::warning(
                            Span::new(file, i, i + c.len_utf8()),
                            format!(
                                "character U+{:04X} is not allowed in a book and is removed",
                                c as u32
                            ),
                        )
                        .with_hint(
                            "control characters usually come from copy and paste; delete it",
                        ),
                    );
                }
                removed += c.len_utf8();
                shifts.push((out.len(), removed));
            } else {
                out.push(c);
            }
        }
        if count > 20 {
            diags.push(Diagnostic::warning(
                Span::file_start(file),
                format!(
                    "{} more characters not allowed in a book were removed from this file",
                    count - 20
                ),
            ));
        }
        Cleaned { text: out, shifts }
    }

    /// The original offset of cleaned offset `i`.
    pub(crate) fn original(&self, i: usize) -> usize {
        let k = self.shifts.partition_point(|&(at, _)| at <= i);
        if k == 0 {
            i
        } else {
            i + self.shifts[k - 1].1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning_maps_offsets_back() {
        let mut diags = Vec::new();
        let c = Cleaned::new("a\u{0}b\u{ffff}c\u{1}", FileId(0), &mut diags);
        assert_eq!(c.text, "abc");
        assert_eq!(diags.len(), 3);
        assert_eq!(diags[1].span.map(|s| s.start), Some(3));
        assert_eq!(
            (c.original(0), c.original(1), c.original(2), c.original(3)),
            (0, 2, 6, 8)
        );
    }

    #[test]
    fn the_byte_scan_finds_every_char_that_needs_cleaning() {
        // Every char of the BMP's first row and the end of the plane, at several places
        // in a text longer than one scanned block.
        let chars = (0u32..0x100)
            .chain(0xff00..=0xffff)
            .filter_map(char::from_u32);
        for c in chars {
            for at in [0, 63, 64, 100] {
                let mut s = "x".repeat(130);
                s.insert(at, c);
                let needs = c == '\r' || is_forbidden(c);
                assert!(!needs || may_need_cleaning(&s), "{:?} missed", c);
                assert_eq!(clean_text(&s).contains(c), !needs, "{:?}", c);
            }
        }
    }

    #[test]
    fn tabs_expand_to_the_next_stop() {
        assert_eq!(
            expand_tabs("a\tb\n\tc\nabcd\te", 4),
            "a   b\n    c\nabcd    e"
        );
        assert_eq!(expand_tabs("no tab", 4), "no tab");
    }

    #[test]
    fn clean_text_normalises_line_ends() {
        assert_eq!(clean_text("a\r\nb\rc\u{b}d\te"), "a\nb\ncd\te");
    }
}
