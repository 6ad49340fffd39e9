//! Where a word may take a hyphen: the book's exception list first, then Liang's patterns
//! for its language (hypher), TeX's rule (TeXbook ch. 14 `\hyphenation`).
//!
//! Only purely alphabetic words are tried (typst#1389: "does-n't"); words with digits,
//! all-caps words and, in English, any word with a capital (proper nouns; CSS Text 3 lets
//! English skip them, Firefox does) are left whole.

use crate::model::{HyphenationException, LanguageTag};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

/// Hyphenation points by word (never iterated, so its order never reaches the output).
type Memo = RefCell<HashMap<String, Vec<usize>, rustc_hash::FxBuildHasher>>;

/// A hyphenator for one book.
#[derive(Clone, Debug)]
pub struct Hyphenator {
    lang: Option<hypher::Lang>,
    left: usize,
    right: usize,
    skip_capitalised: bool,
    exceptions: BTreeMap<String, Vec<usize>>,
    /// The points found so far, without and with `skip_capitalised`: running text
    /// repeats a few thousand words, and Liang's patterns cost a pass over each.
    memo: [Memo; 2],
}

impl Hyphenator {
    /// The hyphenator for a language (its primary subtag picks the patterns) and the
    /// book's exceptions.
    pub fn new(lang: &LanguageTag, exceptions: &[HyphenationException]) -> Hyphenator {
        let primary = lang.primary();
        let code: Option<[u8; 2]> = primary.as_bytes().try_into().ok();
        let lang = code.and_then(hypher::Lang::from_iso);
        // TeX's \lefthyphenmin=2, \righthyphenmin=3 for English (plain.tex l.1221); the
        // other languages use hypher's typographic bounds (fr, de 2/2, el 1/1 …).
        let (left, right) = match (primary, lang) {
            ("en", _) => (2, 3),
            (_, Some(l)) => l.bounds(),
            _ => (2, 3),
        };
        let exceptions = exceptions
            .iter()
            .map(|e| (e.word.to_lowercase(), e.breaks.clone()))
            .collect();
        Hyphenator {
            lang,
            left: left.max(1),
            right: right.max(1),
            skip_capitalised: primary == "en",
            exceptions,
            memo: Default::default(),
        }
    }

    /// Appends to `out` the byte offsets inside `word` where a hyphen may go.
    pub fn points(&self, word: &str, out: &mut Vec<usize>) {
        self.points_with(word, out, self.skip_capitalised);
    }

    /// Like [`Hyphenator::points`], but also for capitalised words (not all-caps ones):
    /// the last resort the line breaker prices far above ordinary hyphens (TeX's
    /// `\uchyph=1`), used only where the alternative is a line with gaps over 0.5 em.
    pub fn points_capitalised(&self, word: &str, out: &mut Vec<usize>) {
        if self.skip_capitalised && word.chars().any(char::is_uppercase) {
            self.points_with(word, out, false);
        }
    }

    /// Syllable breaks for a capitalised word not in the exceptions: most often a
    /// transliterated foreign name ("Wintzingerode", "Bolkhovitinov", "Mikhaylovna") that
    /// the English patterns never saw and leave whole, or break in one place only
    /// ("Vereshcha-gin"; the caller keeps the patterns' points at their own price). Found by the vowel–consonant rule taught for
    /// syllabifying Latin-script names (one consonant goes with the vowel after it, of
    /// two or more the first stays behind; `ch`, `kh`, `sh`, `zh`, `th`, `ph`, `gh`,
    /// `shch` count as one consonant, a stop or `f`/`v` before `l`/`r` starts the
    /// syllable together; vowels in a row are never split), within the usual
    /// minimums. The line breaker prices these far above any other break and tries them
    /// only in its emergency passes, instead of setting a line with gaps over 0.5 em.
    /// Only ASCII letters: elsewhere the vowel set is not known.
    ///
    /// A lowercase word gets a last-resort break only where the patterns have none at all
    /// and it has a doubled consonant between vowels, not before a suffix: the split
    /// between the two ("ar-ranged", "com-mit"), the one rule for English syllables that
    /// dictionaries agree on ("fall-en", "dress-ing" are the exceptions the suffixes
    /// catch).
    pub fn points_last_resort(&self, word: &str, out: &mut Vec<usize>) {
        let first_upper = word.chars().next().is_some_and(char::is_uppercase);
        let n = word.len();
        if !first_upper {
            self.doubled_consonant(word, out);
            return;
        }
        if self.lang.is_none()
            || !word.bytes().all(|b| b.is_ascii_alphabetic())
            || word.bytes().all(|b| b.is_ascii_uppercase())
            || n < self.left + self.right
            || n > 60
        {
            return;
        }
        if self.exceptions.contains_key(&word.to_lowercase()) {
            return;
        }
        let w: Vec<u8> = word.bytes().map(|b| b.to_ascii_lowercase()).collect();
        // Units: (start, len, is_vowel).
        let mut units: Vec<(usize, usize, bool)> = Vec::new();
        let mut i = 0;
        while i < n {
            let len = ["shch", "kh", "ch", "sh", "zh", "th", "ph", "gh"]
                .iter()
                .find(|d| w[i..].starts_with(d.as_bytes()))
                .map_or(1, |d| d.len());
            let c = w[i];
            let vowel = match c {
                b'a' | b'e' | b'i' | b'o' | b'u' => true,
                // "y" is a consonant next to a vowel ("Mikhaylovna", "Marya"), else a vowel.
                b'y' => {
                    let before = i > 0 && is_vowel(w[i - 1]);
                    let after = w.get(i + 1).is_some_and(|&b| is_vowel(b));
                    !before && !after
                }
                _ => false,
            };
            units.push((i, if vowel { 1 } else { len }, vowel));
            i += if vowel { 1 } else { len };
        }
        // Between two vowel groups, pick the break inside the consonants between them.
        let mut k = 0;
        while k < units.len() && !units[k].2 {
            k += 1;
        }
        while k < units.len() {
            let mut end = k;
            while end < units.len() && units[end].2 {
                end += 1;
            }
            let mut next = end;
            while next < units.len() && !units[next].2 {
                next += 1;
            }
            if next >= units.len() {
                break;
            }
            let cons = &units[end..next];
            let at = match cons.len() {
                1 => cons[0].0,
                m => {
                    let (a, b) = (w[cons[m - 2].0], w[cons[m - 1].0]);
                    let onset = cons[m - 2].1 == 1
                        && matches!(
                            a,
                            b'b' | b'c' | b'd' | b'f' | b'g' | b'k' | b'p' | b't' | b'v'
                        )
                        && matches!(b, b'l' | b'r');
                    if onset {
                        cons[m - 2].0
                    } else {
                        cons[1].0
                    }
                }
            };
            if at >= self.left && n - at >= self.right {
                out.push(at);
            }
            k = next;
        }
    }

    /// See [`Hyphenator::points_last_resort`].
    fn doubled_consonant(&self, word: &str, out: &mut Vec<usize>) {
        let w = word.as_bytes();
        let n = w.len();
        if self.lang.is_none()
            || !w.iter().all(u8::is_ascii_lowercase)
            || n < self.left + self.right
            || n > 60
            || self.exceptions.contains_key(word)
        {
            return;
        }
        // The word is all lowercase, so skipping capitalised words changes nothing: the
        // memo of the ordinary points (filled a moment ago for this word) answers.
        let mut probe = Vec::new();
        self.points_with(word, &mut probe, self.skip_capitalised);
        if !probe.is_empty() {
            return;
        }
        const SUFFIXES: [&str; 12] = [
            "ing", "ings", "ingly", "ed", "edly", "er", "ers", "est", "en", "es", "y", "ly",
        ];
        for i in 1..n.saturating_sub(2) {
            let c = w[i];
            if c == w[i + 1]
                && !is_vowel(c)
                && c != b'y'
                && is_vowel(w[i - 1])
                && is_vowel(w[i + 2])
                && !SUFFIXES.contains(&&word[i + 2..])
                && i + 1 >= self.left
                && n - (i + 1) >= self.right
            {
                out.push(i + 1);
            }
        }
    }

    fn points_with(&self, word: &str, out: &mut Vec<usize>, skip_capitalised: bool) {
        let memo = &self.memo[usize::from(skip_capitalised)];
        if let Some(points) = memo.borrow().get(word) {
            out.extend_from_slice(points);
            return;
        }
        let start = out.len();
        self.find_points(word, out, skip_capitalised);
        memo.borrow_mut()
            .insert(word.to_string(), out[start..].to_vec());
    }

    fn find_points(&self, word: &str, out: &mut Vec<usize>, skip_capitalised: bool) {
        if word.is_empty() || !word.chars().all(char::is_alphabetic) {
            return;
        }
        // (Lowercased only when there are exceptions to look up: most books have none.)
        let exception = if self.exceptions.is_empty() {
            None
        } else {
            self.exceptions.get(&word.to_lowercase())
        };
        if let Some(breaks) = exception {
            // Exceptions give char offsets; lowercasing may change byte lengths, so map
            // through the original word's chars.
            let offsets: Vec<usize> = word.char_indices().map(|(i, _)| i).collect();
            out.extend(
                breaks
                    .iter()
                    .filter(|&&b| b > 0 && b < offsets.len())
                    .map(|&b| offsets[b]),
            );
            return;
        }
        let Some(lang) = self.lang else { return };
        let chars = word.chars().count();
        if chars < self.left + self.right || chars > 60 {
            return;
        }
        let upper = word.chars().filter(|c| c.is_uppercase()).count();
        if upper == chars || (skip_capitalised && upper > 0) {
            return;
        }
        let mut at = 0;
        let mut syllables = hypher::hyphenate_bounded(word, lang, self.left, self.right).peekable();
        while let Some(s) = syllables.next() {
            at += s.len();
            if syllables.peek().is_some() {
                out.push(at);
            }
        }
    }
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn split(h: &Hyphenator, word: &str) -> String {
        let mut pts = Vec::new();
        h.points(word, &mut pts);
        marked(word, &pts)
    }

    /// `word` with a hyphen at each of `pts`.
    fn marked(word: &str, pts: &[usize]) -> String {
        let mut s = String::new();
        let mut last = 0;
        for &p in pts {
            s.push_str(&word[last..p]);
            s.push('-');
            last = p;
        }
        s.push_str(&word[last..]);
        s
    }

    #[test]
    fn english_patterns_with_tex_bounds() {
        let h = Hyphenator::new(&"en-US".into(), &[]);
        assert_eq!(split(&h, "hyphenation"), "hy-phen-ation");
        // Right minimum 3: never "-ly" style two-letter endings.
        assert!(!split(&h, "quickly").ends_with("-ly"));
        assert_eq!(split(&h, "cat"), "cat");
    }

    #[test]
    fn skips_capitals_digits_and_apostrophes_in_english() {
        let h = Hyphenator::new(&"en".into(), &[]);
        assert_eq!(split(&h, "Constantinople"), "Constantinople");
        let mut last_resort = Vec::new();
        h.points_capitalised("Communism", &mut last_resort);
        assert!(!last_resort.is_empty());
        last_resort.clear();
        h.points_capitalised("USSR", &mut last_resort);
        assert!(last_resort.is_empty());
        assert_eq!(split(&h, "COLLECTIVIZATION"), "COLLECTIVIZATION");
        assert_eq!(split(&h, "collectivization1"), "collectivization1");
        assert_eq!(split(&h, "wouldn’t"), "wouldn’t");
        assert_ne!(split(&h, "collectivization"), "collectivization");
    }

    fn split_last_resort(h: &Hyphenator, word: &str) -> String {
        let mut pts = Vec::new();
        h.points_last_resort(word, &mut pts);
        marked(word, &pts)
    }

    #[test]
    fn last_resort_syllables_for_names_the_patterns_miss() {
        let h = Hyphenator::new(&"en".into(), &[]);
        assert_eq!(split_last_resort(&h, "Wintzingerode"), "Win-tzin-ge-rode");
        assert_eq!(split_last_resort(&h, "Bolkhovitinov"), "Bol-kho-vi-ti-nov");
        assert_eq!(split_last_resort(&h, "Mikhaylovna"), "Mi-khay-lovna");
        assert_eq!(split_last_resort(&h, "Dmitrievna"), "Dmi-trievna");
        assert_eq!(split_last_resort(&h, "Natasha"), "Na-ta-sha");
        // Also where the patterns break a name once ("Vereshcha-gin").
        assert_eq!(split_last_resort(&h, "Vereshchagin"), "Ve-re-shcha-gin");
        // Lowercase words only between doubled consonants, where the patterns have
        // nothing, and not before a suffix.
        assert_eq!(split_last_resort(&h, "arranged"), "ar-ranged");
        assert_eq!(split_last_resort(&h, "fallen"), "fallen");
        assert_eq!(split_last_resort(&h, "dressing"), "dressing");
        assert_eq!(split_last_resort(&h, "excellent"), "excellent");
        // Not for all-caps words, short words, non-ASCII ones, or words in the book's
        // exceptions.
        assert_eq!(split_last_resort(&h, "through"), "through");
        let exc = [HyphenationException {
            word: "natasha".into(),
            breaks: vec![],
        }];
        assert_eq!(
            split_last_resort(&Hyphenator::new(&"en".into(), &exc), "Natasha"),
            "Natasha"
        );
        assert_eq!(split_last_resort(&h, "MOSCOW"), "MOSCOW");
        assert_eq!(split_last_resort(&h, "Anna"), "Anna");
        assert_eq!(split_last_resort(&h, "Échevérria"), "Échevérria");
        assert_eq!(
            split_last_resort(&Hyphenator::new(&"zz".into(), &[]), "Natasha"),
            "Natasha"
        );
    }

    #[test]
    fn exceptions_win_over_patterns() {
        let exc = [
            HyphenationException {
                word: "table".into(),
                breaks: vec![2],
            },
            HyphenationException {
                word: "present".into(),
                breaks: vec![],
            },
        ];
        let h = Hyphenator::new(&"en".into(), &exc);
        assert_eq!(split(&h, "table"), "ta-ble");
        assert_eq!(split(&h, "present"), "present");
        let plain = Hyphenator::new(&"en".into(), &[]);
        assert_eq!(split(&plain, "table"), "table");
    }

    #[test]
    fn french_and_unknown_languages() {
        let fr = Hyphenator::new(&"fr-FR".into(), &[]);
        assert_ne!(split(&fr, "constitution"), "constitution");
        // French keeps capitalised nouns hyphenable but not all-caps.
        assert_eq!(split(&fr, "ONU"), "ONU");
        let none = Hyphenator::new(&"zz".into(), &[]);
        assert_eq!(split(&none, "hyphenation"), "hyphenation");
    }
}
