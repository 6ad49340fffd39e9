//! Endnotes of a plain-text article: the numbered list at the end, and where each note
//! is referenced in the body.
//!
//! The list is a consecutive run of lines numbered 1..n, in any of the usual marker
//! styles (`1.`, `1)`, `1 `, `[1]`, `¹`), optionally under a "Notes" heading. Other
//! numbered runs (reader comments "1. Name says:") are told apart by how many of their
//! references can be found in the text before them.
//!
//! References are searched in order: reference k is the first marker for k after
//! reference k−1. A bare digit counts only when it is glued to a word or to closing
//! punctuation and cannot be part of a real number (see [`glued_digits`]); superscript
//! digits and bracketed numbers always count.

use super::paragraphs::{Line, Wrapping};
use super::re;
use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

/// How a note's list entry is marked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MarkerStyle {
    /// `1.` or `1)`.
    Dotted,
    /// `1` followed by a space.
    Bare,
    /// `[1]`.
    Bracketed,
    /// `¹`.
    Superscript,
}

/// One entry of the notes list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NoteEntry {
    /// Its number (1-based).
    pub number: usize,
    /// The marker's bytes in the text.
    pub marker: Range<usize>,
    /// How it is marked.
    pub style: MarkerStyle,
    /// The note's text: byte ranges of its first line (after the marker) and of its
    /// continuation lines.
    pub text: Vec<Range<usize>>,
}

/// A numbered run of notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NotesList {
    /// Line indices it covers, with its heading if any.
    pub lines: Range<usize>,
    /// The "Notes" heading line, if there is one.
    pub heading: Option<usize>,
    /// The notes, numbered 1..n in order.
    pub entries: Vec<NoteEntry>,
}

impl NotesList {
    /// Byte offset where the list (or its heading) starts.
    pub fn start_byte(&self, lines: &[Line]) -> usize {
        lines.get(self.lines.start).map_or(0, |l| l.start)
    }
}

/// A note reference found in the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reference {
    /// The note's number.
    pub number: usize,
    /// The marker's bytes in the text (the digits, `¹`, or `[1]`).
    pub bytes: Range<usize>,
}

/// A heading that introduces a notes list.
static NOTES_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)^(end ?notes|foot ?notes|notes|references|sources|notes and references)\s*:?$")
});

/// Lines that end a notes list even without a blank line before them: an author's bio
/// or the web page's comment area.
pub(crate) static AFTER_NOTES: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(about (the )?(authors?|writer|contributors?)\b|\d+\s+(comments?|responses?|replies|thoughts)\s+(on|to)\b|leave a (reply|comment)|like this (story|article)\?)",
    )
});

const SUPERSCRIPTS: &str = "⁰¹²³⁴⁵⁶⁷⁸⁹";

fn superscript_value(c: char) -> Option<usize> {
    SUPERSCRIPTS.chars().position(|s| s == c)
}

/// Parses a digit run (ASCII or superscript) of at most four digits.
fn number_of(digits: &str) -> Option<usize> {
    if digits.is_empty() || digits.chars().count() > 4 {
        return None;
    }
    let mut n = 0usize;
    for c in digits.chars() {
        let d = c
            .to_digit(10)
            .map(|d| d as usize)
            .or_else(|| superscript_value(c))?;
        n = n * 10 + d;
    }
    Some(n)
}

/// The note marker at the start of a trimmed line: its number, its length in bytes
/// (with the space after it), and its style.
fn list_marker(line: &str) -> Option<(usize, usize, MarkerStyle)> {
    static DOTTED: LazyLock<Regex> = LazyLock::new(|| re(r"^(\d{1,3})[.)]\s+\S"));
    static BARE: LazyLock<Regex> = LazyLock::new(|| re(r"^(\d{1,3})\s+[^\s\d]"));
    static BRACKETED: LazyLock<Regex> = LazyLock::new(|| re(r"^\[(\d{1,3})\][.:]?\s*\S"));
    static SUPER: LazyLock<Regex> = LazyLock::new(|| re(r"^([⁰¹²³⁴⁵⁶⁷⁸⁹]{1,3})[.)]?\s*\S"));
    for (pattern, style) in [
        (&*DOTTED, MarkerStyle::Dotted),
        (&*BRACKETED, MarkerStyle::Bracketed),
        (&*SUPER, MarkerStyle::Superscript),
        (&*BARE, MarkerStyle::Bare),
    ] {
        if let Some(caps) = pattern.captures(line) {
            let digits = caps.get(1)?;
            let whole = caps.get(0)?;
            // The match ends one character into the note's text; the marker is what
            // comes before that character.
            let last = line[..whole.end()].chars().next_back()?.len_utf8();
            return Some((number_of(digits.as_str())?, whole.end() - last, style));
        }
    }
    None
}

/// Every numbered run 1..n in the text. A run starts at a line marked 1 and goes on
/// while lines are marked with the next number; blank lines may separate entries. In
/// hard-wrapped text, lines right after an entry (no blank line) continue it; an
/// indented line continues it in any text.
pub(crate) fn candidate_lists(text: &str, lines: &[Line], wrapping: Wrapping) -> Vec<NotesList> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some((1, len, style)) = list_marker(lines[i].text(text)) else {
            i += 1;
            continue;
        };
        let mut entries = vec![entry(&lines[i], 1, len, style)];
        let mut last_line = i;
        let mut j = i + 1;
        while j < lines.len() {
            let line = &lines[j];
            if line.is_blank() {
                j += 1;
                continue;
            }
            let content = line.text(text);
            if AFTER_NOTES.is_match(content) {
                break;
            }
            let next = entries.len() + 1;
            match list_marker(content) {
                Some((n, len, style)) if n == next => {
                    entries.push(entry(line, n, len, style));
                }
                _ => {
                    let directly_after = j == last_line + 1;
                    let continues = directly_after
                        && (matches!(wrapping, Wrapping::HardWrapped { .. })
                            || line.indent > lines[last_line].indent);
                    let Some(last) = entries.last_mut() else {
                        break;
                    };
                    if !continues {
                        break;
                    }
                    last.text.push(line.start..line.end);
                }
            }
            last_line = j;
            j += 1;
        }
        let heading = lines[..i]
            .iter()
            .rposition(|l| !l.is_blank())
            .filter(|&h| NOTES_HEADING.is_match(lines[h].text(text)));
        out.push(NotesList {
            lines: heading.unwrap_or(i)..last_line + 1,
            heading,
            entries,
        });
        i = last_line + 1;
    }
    out
}

fn entry(line: &Line, number: usize, marker_len: usize, style: MarkerStyle) -> NoteEntry {
    let body = line.start + marker_len;
    NoteEntry {
        number,
        marker: line.start..body,
        style,
        text: std::iter::once(body..line.end).collect(),
    }
}

/// Picks the notes list among the candidates: the one whose references are found most
/// often in the text before it (then the longest, then the last). A run of one entry, or
/// one with fewer than half of its references found, is taken only under a "Notes"
/// heading. Returns the list and its references (`refs[k-1]` for note k).
pub(crate) fn choose_list(
    text: &str,
    lines: &[Line],
    candidates: Vec<NotesList>,
    body_start: usize,
) -> Option<(NotesList, Vec<Option<Reference>>)> {
    let mut best: Option<(usize, NotesList, Vec<Option<Reference>>)> = None;
    for list in candidates {
        let end = list.start_byte(lines).max(body_start);
        let refs = find_references(text, body_start..end, list.entries.len());
        let found = refs.iter().filter(|r| r.is_some()).count();
        let n = list.entries.len();
        let plausible = list.heading.is_some() || (n >= 2 && found * 2 >= n);
        if !plausible {
            continue;
        }
        let better = match &best {
            None => true,
            Some((f, b, _)) => (found, n) >= (*f, b.entries.len()),
        };
        if better {
            best = Some((found, list, refs));
        }
    }
    best.map(|(_, list, refs)| (list, refs))
}

/// Finds the references to notes 1..=n in `text[range]`, in order: reference k is the
/// first candidate for k after reference k−1 (or after the last one found, when k−1 was
/// not found).
pub(crate) fn find_references(text: &str, range: Range<usize>, n: usize) -> Vec<Option<Reference>> {
    let candidates = reference_candidates(text, range);
    let mut pos = 0;
    let mut out = Vec::with_capacity(n);
    for k in 1..=n {
        let found = candidates
            .iter()
            .find(|r| r.bytes.start >= pos && r.number == k)
            .cloned();
        if let Some(r) = &found {
            pos = r.bytes.end;
        }
        out.push(found);
    }
    out
}

/// Every marker in `text[range]` that could be a note reference.
fn reference_candidates(text: &str, range: Range<usize>) -> Vec<Reference> {
    let Some(region) = text.get(range.clone()) else {
        return Vec::new();
    };
    let base = range.start;
    let chars: Vec<(usize, char)> = region.char_indices().map(|(i, c)| (i + base, c)).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        if superscript_value(c).is_some() {
            let j = run_end(&chars, i, |c| superscript_value(c).is_some());
            if let Some(r) = superscript_reference(text, &chars, i, j) {
                out.push(r);
            }
            i = j;
        } else if c.is_ascii_digit() {
            let j = run_end(&chars, i, |c| c.is_ascii_digit());
            if let Some(r) =
                bracketed(text, &chars, i, j).or_else(|| glued_digits(text, &chars, i, j))
            {
                out.push(r);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

fn run_end(chars: &[(usize, char)], i: usize, pred: impl Fn(char) -> bool) -> usize {
    let mut j = i;
    while j < chars.len() && pred(chars[j].1) {
        j += 1;
    }
    j
}

/// Byte offset after `chars[j - 1]`.
fn byte_end(text: &str, chars: &[(usize, char)], j: usize) -> usize {
    j.checked_sub(1)
        .and_then(|k| chars.get(k))
        .map_or(text.len(), |&(b, c)| b + c.len_utf8())
}

/// The letters right before `chars[i]`, as a string.
fn word_before(chars: &[(usize, char)], i: usize) -> String {
    let mut k = i;
    while k > 0 && chars[k - 1].1.is_alphabetic() {
        k -= 1;
    }
    chars[k..i].iter().map(|&(_, c)| c).collect()
}

/// `¹²` is a reference unless it is a unit's exponent (`km²`).
fn superscript_reference(
    text: &str,
    chars: &[(usize, char)],
    i: usize,
    j: usize,
) -> Option<Reference> {
    const UNITS: [&str; 8] = ["m", "km", "cm", "mm", "ft", "mi", "yd", "in"];
    if UNITS.contains(&word_before(chars, i).as_str()) {
        return None;
    }
    let digits: String = chars[i..j].iter().map(|&(_, c)| c).collect();
    Some(Reference {
        number: number_of(&digits)?,
        bytes: chars[i].0..byte_end(text, chars, j),
    })
}

/// `[12]`: the digits with a `[` right before and a `]` right after.
fn bracketed(text: &str, chars: &[(usize, char)], i: usize, j: usize) -> Option<Reference> {
    if i == 0 || chars[i - 1].1 != '[' || chars.get(j).map(|&(_, c)| c) != Some(']') {
        return None;
    }
    let digits: String = chars[i..j].iter().map(|&(_, c)| c).collect();
    Some(Reference {
        number: number_of(&digits)?,
        bytes: chars[i - 1].0..byte_end(text, chars, j + 1),
    })
}

/// Closing punctuation a reference may follow directly: `word.3`, `“quote.”4`, `(NEP),1`.
const CLOSING: &[char] = &[
    '.', ',', ';', ':', '!', '?', ')', ']', '”', '’', '"', '\'', '…', '»', '›',
];

/// Abbreviations after which `.12` is a page or section number, not a note.
const ABBREVIATIONS: &[&str] = &[
    "p", "pp", "no", "nos", "vol", "ch", "chap", "fig", "sec", "art", "para", "v", "vv", "op",
];

/// A run of ASCII digits `chars[i..j]` that is a note reference: glued to a word
/// (`Judaism3`) or to closing punctuation (`assassinated.6`, `geese.”2`), and not part
/// of a real number. Not a reference: digits after a space (`in 1917.`, `250,000.`);
/// after a digit and `,` or `:` (`250,000`, `3:16`); after a digit and `.` unless that
/// number is a four-digit year (`3.5`, but `in 1917.2` is note 2); after a hyphen, dash,
/// slash or currency sign (`1932-1933`, `COVID-19`, `$5`); after an abbreviation's period
/// (`p.145`); before a letter (`1930s`, `2nd`, `5km`), a percent or degree sign, or a
/// separator followed by a digit (`1,000`, `1932-33`, `3:16`); after a single letter
/// (`G7`, `A4`); and anything longer than four digits.
fn glued_digits(text: &str, chars: &[(usize, char)], i: usize, j: usize) -> Option<Reference> {
    if j - i > 4 || i == 0 {
        return None;
    }
    let prev = chars[i - 1].1;
    let before_prev = i.checked_sub(2).map(|k| chars[k].1);
    if prev.is_alphabetic() {
        if word_before(chars, i).chars().count() < 2 {
            return None;
        }
    } else if CLOSING.contains(&prev) {
        if before_prev.is_some_and(|c| c.is_ascii_digit()) {
            let number_before = run_back(chars, i - 1);
            let year_then_note = prev == '.' && number_before == 4;
            if !year_then_note {
                return None;
            }
        }
        if prev == '.' {
            let word = word_before(chars, i - 1).to_lowercase();
            if ABBREVIATIONS.contains(&word.as_str()) {
                return None;
            }
        }
    } else {
        return None;
    }
    let next = chars.get(j).map(|&(_, c)| c);
    let after_next = chars.get(j + 1).map(|&(_, c)| c);
    match next {
        Some(c) if c.is_alphabetic() || matches!(c, '%' | '°' | '‰' | '′' | '″') => {
            return None
        }
        Some('.' | ',' | '-' | '–' | '/' | ':')
            if after_next.is_some_and(|c| c.is_ascii_digit()) =>
        {
            return None
        }
        _ => {}
    }
    let digits: String = chars[i..j].iter().map(|&(_, c)| c).collect();
    Some(Reference {
        number: number_of(&digits)?,
        bytes: chars[i].0..byte_end(text, chars, j),
    })
}

/// Length of the digit run ending right before `chars[end]`.
fn run_back(chars: &[(usize, char)], end: usize) -> usize {
    let mut k = end;
    while k > 0 && chars[k - 1].1.is_ascii_digit() {
        k -= 1;
    }
    end - k
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn numbers(text: &str) -> Vec<(usize, &str)> {
        reference_candidates(text, 0..text.len())
            .into_iter()
            .map(|r| (r.number, &text[r.bytes]))
            .collect()
    }

    #[test]
    fn glued_references_are_found() {
        assert_eq!(numbers("the (NEP),1 then"), [(1, "1")]);
        assert_eq!(numbers("like geese.”2 And"), [(2, "2")]);
        assert_eq!(numbers("Judaism3—and"), [(3, "3")]);
        assert_eq!(numbers("assassinated.6"), [(6, "6")]);
        assert_eq!(numbers("a word¹² here"), [(12, "¹²")]);
        assert_eq!(numbers("a word [4] here"), [(4, "[4]")]);
        assert_eq!(numbers("in 1917.2 Then"), [(2, "2")]);
    }

    #[test]
    fn numbers_are_not_references() {
        for text in [
            "in 1917.",
            "grew to 250,000.",
            "the 1930s were",
            "the mid-1930s were",
            "in 1932-1933 the",
            "a 15-story prison",
            "it cost $5 then",
            "about 3.5 million",
            "see p.145 and",
            "the G7 met",
            "a 2nd time",
            "at 3:16 pm",
            "50% of them",
            "COVID-19 spread",
            "an area of 5 km² in",
        ] {
            assert_eq!(numbers(text), [], "{text}");
        }
    }

    #[test]
    fn markers_of_every_style_are_read() {
        assert_eq!(list_marker("1. Text"), Some((1, 3, MarkerStyle::Dotted)));
        assert_eq!(list_marker("2) Text"), Some((2, 3, MarkerStyle::Dotted)));
        assert_eq!(list_marker("7 This"), Some((7, 2, MarkerStyle::Bare)));
        assert_eq!(
            list_marker("[3] Text"),
            Some((3, 4, MarkerStyle::Bracketed))
        );
        assert_eq!(list_marker("¹ Text").map(|m| m.0), Some(1));
        assert_eq!(list_marker("1932 was"), None);
        assert_eq!(list_marker("250,000 people"), None);
    }
}
