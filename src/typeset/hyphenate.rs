//! Where a word may take a hyphen: the book's exception list first, then Liang's patterns
//! for its language (hypher), TeX's rule (TeXbook ch. 14 `\hyphenation`).
//!
//! Only purely alphabetic words are tried (typst#1389: "does-n't"); words with digits,
//! all-caps words and, in English, any word with a capital (proper nouns; CSS Text 3 lets
//! English skip them, Firefox does) are left whole.

use crate::model::HyphenationException;
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
    /// The hyphenator for a BCP 47 `lang` (its primary subtag picks the patterns) and the
    /// book's exceptions.
    pub fn new(lang: &str, exceptions: &[HyphenationException]) -> Hyphenator {
        let primary = lang
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let code: Option<[u8; 2]> = primary.as_bytes().try_into().ok();
        let lang = code.and_then(hypher::Lang::from_iso);
        // TeX's \lefthyphenmin=2, \righthyphenmin=3 for English (plain.tex l.1221); the
        // other languages use hypher's typographic bounds (fr, de 2/2, el 1/1 …).
        let (left, right) = match (primary.as_str(), lang) {
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn split(h: &Hyphenator, word: &str) -> String {
        let mut pts = Vec::new();
        h.points(word, &mut pts);
        let mut s = String::new();
        let mut last = 0;
        for p in pts {
            s.push_str(&word[last..p]);
            s.push('-');
            last = p;
        }
        s.push_str(&word[last..]);
        s
    }

    #[test]
    fn english_patterns_with_tex_bounds() {
        let h = Hyphenator::new("en-US", &[]);
        assert_eq!(split(&h, "hyphenation"), "hy-phen-ation");
        // Right minimum 3: never "-ly" style two-letter endings.
        assert!(!split(&h, "quickly").ends_with("-ly"));
        assert_eq!(split(&h, "cat"), "cat");
    }

    #[test]
    fn skips_capitals_digits_and_apostrophes_in_english() {
        let h = Hyphenator::new("en", &[]);
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
        let h = Hyphenator::new("en", &exc);
        assert_eq!(split(&h, "table"), "ta-ble");
        assert_eq!(split(&h, "present"), "present");
        let plain = Hyphenator::new("en", &[]);
        assert_eq!(split(&plain, "table"), "table");
    }

    #[test]
    fn french_and_unknown_languages() {
        let fr = Hyphenator::new("fr-FR", &[]);
        assert_ne!(split(&fr, "constitution"), "constitution");
        // French keeps capitalised nouns hyphenable but not all-caps.
        assert_eq!(split(&fr, "ONU"), "ONU");
        let none = Hyphenator::new("zz", &[]);
        assert_eq!(split(&none, "hyphenation"), "hyphenation");
    }
}
