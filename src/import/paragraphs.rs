//! Lines and paragraphs of a plain-text article.
//!
//! Plain text comes in two shapes: one paragraph per line (text copied from a web page or
//! a word processor), or hard-wrapped at a fixed width (e-mail, Project Gutenberg), with
//! or without blank lines between paragraphs. [`detect_wrapping`] tells them apart from
//! how lines end: in wrapped text many lines stop mid-sentence, in unwrapped text almost
//! none do. [`paragraphs`] then joins lines into paragraphs for the shape found.

use std::ops::Range;

/// One line of the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Line {
    /// Byte offset of the first non-blank character (the line start for a blank line).
    pub start: usize,
    /// Byte offset after the last non-blank character.
    pub end: usize,
    /// Leading white-space characters.
    pub indent: usize,
    /// Length of the trimmed content, in characters.
    pub chars: usize,
}

impl Line {
    /// Whether the line holds only white space.
    pub fn is_blank(&self) -> bool {
        self.start == self.end
    }

    /// The trimmed text of the line.
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.start..self.end).unwrap_or("")
    }
}

/// Splits `text` into lines (at `\n`; a `\r` before it is dropped by the trimming).
pub(crate) fn lines(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut line_start = 0;
    for piece in text.split_inclusive('\n') {
        let body = piece.trim_end_matches(['\n', '\r']);
        let trimmed_start = body.len() - body.trim_start().len();
        let trimmed = body.trim();
        let start = line_start + trimmed_start;
        out.push(Line {
            start,
            end: start + trimmed.len(),
            indent: body[..trimmed_start].chars().count(),
            chars: trimmed.chars().count(),
        });
        line_start += piece.len();
    }
    out
}

/// How the text breaks its lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wrapping {
    /// Every line is a paragraph (or a heading).
    OneLinePerParagraph,
    /// Lines are wrapped at about `width` characters; a paragraph spans several lines.
    HardWrapped {
        /// The typical full-line length, in characters.
        width: usize,
    },
}

/// Whether a line's last character leaves a sentence unfinished (a letter, a digit, a
/// comma, a hyphen): in hard-wrapped text most lines end that way.
fn ends_mid_sentence(line: &str) -> bool {
    line.chars()
        .last()
        .is_some_and(|c| c.is_alphanumeric() || matches!(c, ',' | '-' | ';'))
}

/// Guesses how `lines` are wrapped. Only lines of 20 characters or more count, so
/// headings and short lines do not sway the vote. Text is taken as hard-wrapped when at
/// least 30 % of them end mid-sentence and nine in ten are at most 120 characters long.
pub(crate) fn detect_wrapping(text: &str, lines: &[Line]) -> Wrapping {
    let mut lengths: Vec<usize> = lines
        .iter()
        .filter(|l| l.chars >= 20)
        .map(|l| l.chars)
        .collect();
    if lengths.len() < 3 {
        return Wrapping::OneLinePerParagraph;
    }
    let mid = lines
        .iter()
        .filter(|l| l.chars >= 20 && ends_mid_sentence(l.text(text)))
        .count();
    lengths.sort_unstable();
    let p90 = lengths[(lengths.len() * 9 / 10).min(lengths.len() - 1)];
    if mid * 10 >= lengths.len() * 3 && p90 <= 120 {
        Wrapping::HardWrapped { width: p90 }
    } else {
        Wrapping::OneLinePerParagraph
    }
}

/// A paragraph candidate: consecutive lines that read as one block of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Paragraph {
    /// Indices (into the line list) of its lines, in order.
    pub lines: Range<usize>,
}

impl Paragraph {
    /// Its text, lines joined by one space.
    pub fn text(&self, text: &str, lines: &[Line]) -> String {
        let parts: Vec<&str> = lines[self.lines.clone()]
            .iter()
            .map(|l| l.text(text))
            .collect();
        parts.join(" ")
    }

    /// Byte range from its first to its last character.
    pub fn bytes(&self, lines: &[Line]) -> Range<usize> {
        let first = lines.get(self.lines.start).map_or(0, |l| l.start);
        let last = lines
            .get(self.lines.end.saturating_sub(1))
            .map_or(first, |l| l.end);
        first..last
    }

    /// Whether it is one line.
    pub fn is_single_line(&self) -> bool {
        self.lines.len() == 1
    }
}

/// Whether a trimmed line ends a sentence: `.`, `!`, `?` or `:`, possibly followed by
/// closing quotes or brackets.
pub(crate) fn ends_sentence(line: &str) -> bool {
    let core = line.trim_end_matches(['"', '\'', '”', '’', ')', ']', '»', '*', '_']);
    core.ends_with(['.', '!', '?', ':', '…'])
}

/// Joins `lines` into paragraphs, skipping the lines in `skip` (the notes list, handled
/// on its own). A blank line always ends a paragraph. In hard-wrapped text a line break
/// also ends one after a short line that ends a sentence, before an indented line (a
/// first-line indent), before a heading-like short line after a sentence end, and after a
/// short first line (a heading standing alone).
pub(crate) fn paragraphs(
    text: &str,
    lines: &[Line],
    wrapping: Wrapping,
    skip: Option<Range<usize>>,
) -> Vec<Paragraph> {
    let skip = skip.unwrap_or(0..0);
    let mut out = Vec::new();
    let mut current: Option<usize> = None;
    for (i, line) in lines.iter().enumerate() {
        if line.is_blank() || skip.contains(&i) {
            if let Some(start) = current.take() {
                out.push(Paragraph { lines: start..i });
            }
            continue;
        }
        let Some(start) = current else {
            current = Some(i);
            continue;
        };
        let breaks = match wrapping {
            Wrapping::OneLinePerParagraph => true,
            Wrapping::HardWrapped { width } => {
                let prev = &lines[i - 1];
                let short = prev.chars * 4 < width * 3;
                let heading_next =
                    line.chars * 5 < width * 3 && looks_like_heading(line.text(text));
                (short && ends_sentence(prev.text(text)))
                    || (heading_next && ends_sentence(prev.text(text)))
                    || line.indent > prev.indent
                    || (start == i - 1 && prev.chars * 5 < width * 3)
            }
        };
        if breaks {
            out.push(Paragraph { lines: start..i });
            current = Some(i);
        }
    }
    if let Some(start) = current {
        out.push(Paragraph {
            lines: start..lines.len(),
        });
    }
    out
}

/// Whether a line reads as a section heading: short (at most 80 characters and 12
/// words), starting with a capital or a digit, with letters, and without the
/// punctuation that ends or continues a sentence.
pub(crate) fn looks_like_heading(line: &str) -> bool {
    let chars = line.chars().count();
    let words = line.split_whitespace().count();
    let first = line
        .trim_start_matches(['"', '“', '‘', '\'', '('])
        .chars()
        .next();
    (2..=80).contains(&chars)
        && words <= 12
        && first.is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
        && line.chars().any(char::is_alphabetic)
        && !ends_sentence(line)
        && !line.ends_with([',', ';', '-', '—', '–'])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn texts(src: &str) -> Vec<String> {
        let ls = lines(src);
        let w = detect_wrapping(src, &ls);
        paragraphs(src, &ls, w, None)
            .iter()
            .map(|p| p.text(src, &ls))
            .collect()
    }

    #[test]
    fn lines_are_trimmed_and_keep_offsets() {
        let src = "  ab \r\n\ncd";
        let ls = lines(src);
        assert_eq!(ls.len(), 3);
        assert_eq!(ls[0].text(src), "ab");
        assert_eq!(ls[0].indent, 2);
        assert!(ls[1].is_blank());
        assert_eq!(ls[2].text(src), "cd");
    }

    #[test]
    fn one_line_per_paragraph_keeps_every_line_apart() {
        let src = "The first paragraph is here and it ends.\nThe second paragraph follows on the next line.\nA third one, also complete, ends here.\n";
        assert_eq!(
            detect_wrapping(src, &lines(src)),
            Wrapping::OneLinePerParagraph
        );
        assert_eq!(texts(src).len(), 3);
    }

    #[test]
    fn hard_wrapped_lines_are_joined_and_split_at_short_sentence_ends() {
        let src = "This paragraph is wrapped at a narrow width so that\nits sentences run over several lines of text and\nend here.\nA second paragraph starts on the next line and it\nis also wrapped at the same width as the first.\n";
        assert!(matches!(
            detect_wrapping(src, &lines(src)),
            Wrapping::HardWrapped { .. }
        ));
        assert_eq!(
            texts(src),
            [
                "This paragraph is wrapped at a narrow width so that its sentences run over several lines of text and end here.",
                "A second paragraph starts on the next line and it is also wrapped at the same width as the first."
            ]
        );
    }
}
