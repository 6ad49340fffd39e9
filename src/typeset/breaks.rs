//! Line-break opportunities for scripts written without spaces between words, on top of
//! UAX #14 (unicode-linebreak, in `items`):
//! - Chinese and Japanese break between any two characters, except where JIS X 4051
//!   (and W3C JLREQ §3.1.7, its character classes cl-01 to cl-11) forbids: no line
//!   starts with a closing bracket, a full stop or comma, a middle dot, a dividing
//!   punctuation mark, an iteration mark, the prolonged sound mark or a small kana; no
//!   line ends with an opening bracket; nothing breaks inside "——" or "……". UAX #14
//!   gives most of this (classes CL, CP, EX, NS, OP, with CJ as NS: its strict line
//!   breaking); the tailoring here adds what it leaves to the quotation marks' ambiguous
//!   class QU (“ ” ‘ ’ in CJK text), and makes sure of the rest.
//! - Korean keeps words whole (CSS `word-break: keep-all`): it breaks at spaces, as
//!   Korean typesetting does, not between the syllables UAX #14 allows.
//! - Thai, Lao, Khmer and Myanmar (UAX #14 class SA, which unicode-linebreak leaves
//!   unbroken) break at word boundaries found by ICU4X's dictionary segmenter, built on
//!   first use (a book without these scripts never builds it).
//!
//! Justification stretches such lines between characters ([`is_inter_character`]): the
//! items there are glue that stretches (and breaks), not only penalties.

use std::ops::Range;
use std::sync::OnceLock;

/// Chinese and Japanese characters: ideographs, kana, CJK symbols and punctuation,
/// fullwidth forms (not Hangul: Korean keeps its words whole).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FDF      // CJK and Kangxi radicals
        | 0x2FF0..=0x303F    // ideographic description, CJK symbols and punctuation
        | 0x3040..=0x30FF    // hiragana, katakana
        | 0x3100..=0x312F    // bopomofo
        | 0x31A0..=0x31FF    // bopomofo extended, CJK strokes, katakana extensions
        | 0x3200..=0x33FF    // enclosed CJK, CJK compatibility
        | 0x3400..=0x4DBF    // extension A
        | 0x4E00..=0x9FFF    // unified ideographs
        | 0xF900..=0xFAFF    // compatibility ideographs
        | 0xFE30..=0xFE4F    // CJK compatibility forms
        | 0xFF00..=0xFF60    // fullwidth forms
        | 0xFFE0..=0xFFE6
        | 0x1B000..=0x1B16F  // kana supplement, extended
        | 0x20000..=0x3FFFF) // supplementary ideographic planes
}

/// Hangul syllables and jamo.
fn is_hangul(c: char) -> bool {
    matches!(c as u32, 0x1100..=0x11FF | 0x3130..=0x318F | 0xA960..=0xA97F | 0xAC00..=0xD7AF | 0xD7B0..=0xD7FF)
}

/// Letters of the scripts UAX #14 leaves to a dictionary (class SA): Thai, Lao,
/// Myanmar, Khmer, Tai Tham, Tai Viet and others.
pub fn is_complex_context(c: char) -> bool {
    (c as u32) >= 0x0E00
        && unicode_linebreak::break_property(c as u32)
            == unicode_linebreak::BreakClass::ComplexContext
}

/// JIS X 4051 characters that may not start a line (JLREQ cl-02 closing brackets, cl-03
/// hyphens, cl-04 dividing punctuation, cl-05 middle dots, cl-06 full stops, cl-07
/// commas, cl-09 iteration marks, cl-10 the prolonged sound mark, cl-11 small kana).
fn no_line_start(c: char) -> bool {
    matches!(
        c,
        '」' | '』'
            | '）'
            | '〕'
            | '］'
            | '｝'
            | '〉'
            | '》'
            | '】'
            | '〙'
            | '〗'
            | '〟'
            | '’'
            | '”'
            | '｠'
            | '»'
            | ')'
            | ']'
            | '}'
            | '‐'
            | '゠'
            | '–'
            | '〜'
            | '～'
            | '？'
            | '！'
            | '‼'
            | '⁇'
            | '⁈'
            | '⁉'
            | '?'
            | '!'
            | '・'
            | '：'
            | '；'
            | ':'
            | ';'
            | '。'
            | '．'
            | '、'
            | '，'
            | '.'
            | ','
            | '々'
            | '〻'
            | 'ゝ'
            | 'ゞ'
            | 'ヽ'
            | 'ヾ'
            | 'ー'
            | 'ぁ'
            | 'ぃ'
            | 'ぅ'
            | 'ぇ'
            | 'ぉ'
            | 'っ'
            | 'ゃ'
            | 'ゅ'
            | 'ょ'
            | 'ゎ'
            | 'ゕ'
            | 'ゖ'
            | 'ァ'
            | 'ィ'
            | 'ゥ'
            | 'ェ'
            | 'ォ'
            | 'ッ'
            | 'ャ'
            | 'ュ'
            | 'ョ'
            | 'ヮ'
            | 'ヵ'
            | 'ヶ'
            | 'ㇰ'
            | 'ㇱ'
            | 'ㇲ'
            | 'ㇳ'
            | 'ㇴ'
            | 'ㇵ'
            | 'ㇶ'
            | 'ㇷ'
            | 'ㇸ'
            | 'ㇹ'
            | 'ㇺ'
            | 'ㇻ'
            | 'ㇼ'
            | 'ㇽ'
            | 'ㇾ'
            | 'ㇿ'
    )
}

/// JIS X 4051 characters that may not end a line (JLREQ cl-01 opening brackets).
fn no_line_end(c: char) -> bool {
    matches!(
        c,
        '「' | '『'
            | '（'
            | '〔'
            | '［'
            | '｛'
            | '〈'
            | '《'
            | '【'
            | '〘'
            | '〖'
            | '〝'
            | '‘'
            | '“'
            | '｟'
            | '«'
            | '('
            | '['
            | '{'
    )
}

/// JLREQ cl-08, inseparable characters: no break between two of them ("——", "……").
fn inseparable(a: char, b: char) -> bool {
    a == b && matches!(a, '—' | '…' | '‥' | '〳' | '〴' | '〵')
}

/// Whether a break between `before` and `after` is one between characters of a
/// script set without spaces (Chinese, Japanese, or a dictionary script): the break
/// costs nothing and the place stretches when the line is justified.
pub fn is_inter_character(before: char, after: char) -> bool {
    is_cjk(before) || is_cjk(after) || is_complex_context(before) || is_complex_context(after)
}

/// Whether the text has anything this module changes (one pass, mostly over ASCII).
pub fn needs_tailoring(text: &str) -> bool {
    chars_from_0580(text)
        .any(|c| (c as u32) >= 0x0E00 && (is_cjk(c) || is_hangul(c) || is_complex_context(c)))
}

/// The UAX #14 opportunities `breaks` (byte offsets inside `text`, sorted) tailored for
/// CJK (kinsoku) and Korean (keep-all), with the word boundaries of dictionary scripts
/// added.
pub fn tailor(text: &str, breaks: &mut Vec<usize>) {
    let char_before = |at: usize| text.get(..at).and_then(|t| t.chars().next_back());
    let char_after = |at: usize| text.get(at..).and_then(|t| t.chars().next());
    // Curly quotation marks are UAX #14's ambiguous QU, unbreakable on both sides; in
    // CJK text they are brackets (JLREQ cl-01, cl-02), as Typst's tailoring for zh and
    // ja also makes them: a break before an opening one, after a closing one.
    for (i, c) in text.char_indices() {
        let end = i + c.len_utf8();
        match c {
            '“' | '‘' if char_before(i).is_some_and(is_cjk) => breaks.push(i),
            '”' | '’' if char_after(end).is_some_and(is_cjk) => breaks.push(end),
            _ => {}
        }
    }
    breaks.sort_unstable();
    breaks.dedup();
    breaks.retain(|&at| {
        let (Some(a), Some(b)) = (char_before(at), char_after(at)) else {
            return true;
        };
        if is_hangul(a) && is_hangul(b) {
            return false;
        }
        if is_cjk(a) || is_cjk(b) {
            return !(no_line_start(b) || no_line_end(a) || inseparable(a, b));
        }
        true
    });
    for run in complex_runs(text) {
        for at in dictionary_breaks(&text[run.clone()]) {
            let at = run.start + at;
            if at > run.start && at < run.end {
                breaks.push(at);
            }
        }
    }
    breaks.sort_unstable();
    breaks.dedup();
}

/// The maximal runs of dictionary-script letters (with the marks inside them).
fn complex_runs(text: &str) -> Vec<Range<usize>> {
    let mut runs: Vec<Range<usize>> = Vec::new();
    for (i, c) in text.char_indices() {
        if !is_complex_context(c) {
            continue;
        }
        let end = i + c.len_utf8();
        match runs.last_mut() {
            Some(r) if r.end == i => r.end = end,
            _ => runs.push(i..end),
        }
    }
    runs
}

/// Word boundaries inside a run of Thai, Lao, Khmer or Myanmar (ICU4X's dictionary
/// segmenter: +1.1 MB of data, about 90 times faster than its LSTM model; built once,
/// on first use).
fn dictionary_breaks(run: &str) -> Vec<usize> {
    static SEGMENTER: OnceLock<icu_segmenter::LineSegmenterBorrowed<'static>> = OnceLock::new();
    let segmenter =
        SEGMENTER.get_or_init(|| icu_segmenter::LineSegmenter::new_dictionary(Default::default()));
    segmenter.segment_str(run).collect()
}

/// The characters of `text` from U+0580 on: all that the checks for right-to-left and
/// unspaced scripts look at. Found by their UTF-8 lead bytes (0xD6 and up), so a
/// paragraph of Latin, Greek or Cyrillic costs a pass over its bytes and nothing more.
pub(crate) fn chars_from_0580(text: &str) -> impl Iterator<Item = char> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while let Some(&b) = bytes.get(i) {
            i += 1;
            if b >= 0xD6 {
                // A lead byte (continuation bytes are below 0xC0): a character starts.
                return text.get(i - 1..).and_then(|t| t.chars().next());
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` with `|` at each opportunity, UAX #14 (unicode-linebreak) then tailored.
    fn marked(text: &str) -> String {
        let mut breaks: Vec<usize> = unicode_linebreak::linebreaks(text)
            .map(|(at, _)| at)
            .filter(|&at| at > 0 && at < text.len())
            .collect();
        tailor(text, &mut breaks);
        let mut out = String::new();
        let mut last = 0;
        for at in breaks {
            out.push_str(&text[last..at]);
            out.push('|');
            last = at;
        }
        out.push_str(&text[last..]);
        out
    }

    #[test]
    fn japanese_breaks_between_characters_with_kinsoku() {
        // No line starts with 」。、！ or a small kana (っ, ャ, ッ), none ends with 「,
        // and "——" stays whole.
        assert_eq!(
            marked("日本語の「テスト」です。ちょっと、キャッシュ——ね！"),
            "日|本|語|の|「テ|ス|ト」|で|す。|ちょっ|と、|キャッ|シュ|——|ね！"
        );
    }

    #[test]
    fn chinese_quotes_and_brackets_stay_with_their_text() {
        assert_eq!(
            marked("例如“引号”和（括号）。"),
            "例|如|“引|号”|和|（括|号）。"
        );
        // The quotation mark is a closing bracket here, and a full stop still may not
        // start a line after it.
        assert_eq!(marked("他说“好”。然后"), "他|说|“好”。|然|后");
    }

    #[test]
    fn korean_breaks_only_at_spaces() {
        assert_eq!(
            marked("한국어는 띄어쓰기를 합니다."),
            "한국어는 |띄어쓰기를 |합니다."
        );
    }

    #[test]
    fn thai_breaks_between_words() {
        // ICU4X's dictionary (the output pinned here: another model or data version
        // breaks elsewhere).
        assert_eq!(
            marked("ภาษาไทยเป็นภาษาที่ไม่มีการเว้นวรรคระหว่างคำ"),
            "ภาษา|ไทย|เป็น|ภาษา|ที่|ไม่มี|การ|เว้น|วรรค|ระหว่าง|คำ"
        );
    }

    #[test]
    fn latin_text_is_left_alone() {
        assert!(!needs_tailoring(
            "The collectivization—of agriculture, 1914–18."
        ));
        assert!(needs_tailoring("a 中 b"));
        assert!(needs_tailoring("ไทย"));
        assert!(!is_inter_character('a', 'b'));
        assert!(is_inter_character('中', 'a'));
    }
}
