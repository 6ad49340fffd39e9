//! Ids for chapters and headings: slugs of their text, unique across the book, and valid
//! XML ids (an NCName, XML Namespaces 1.0 §3, so they work as `id` attributes in XHTML
//! and as fragment identifiers in the EPUB).

use std::collections::{BTreeMap, BTreeSet};

/// Ids the backends generate themselves (note anchors `note-3`, `ref-3-2`, the notes
/// section): a heading must never take one.
fn is_reserved(id: &str) -> bool {
    if id == "notes" || id == "toc" || id == "cover" || id == "nav" {
        return true;
    }
    let rest = id.strip_prefix("note-").or_else(|| id.strip_prefix("ref-"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && r.split('-')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// ASCII for common Latin letters with diacritics, so `Café` → `cafe` rather than `caf`.
fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// A slug of `text`: lowercase ASCII letters and digits joined by single hyphens, Latin
/// diacritics transliterated, other characters dropped; it starts with a letter (`s-` is
/// put before one that would not) and is never empty (`section`).
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    let mut hyphen = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        let piece: Option<&str> = if c.is_ascii_alphanumeric() {
            None
        } else if let Some(t) = transliterate(c) {
            Some(t)
        } else {
            if (c.is_whitespace() || c == '-' || c == '_' || c == '.' || c == '/')
                && !out.is_empty()
            {
                hyphen = true;
            }
            continue;
        };
        if hyphen {
            out.push('-');
            hyphen = false;
        }
        match piece {
            Some(t) => out.push_str(t),
            None => out.push(c),
        }
    }
    if out.is_empty() {
        return "section".to_string();
    }
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert_str(0, "s-");
    }
    out
}

/// Whether `id` is usable as written: an ASCII NCName (`[A-Za-z_][A-Za-z0-9_.-]*`).
pub fn is_valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The ids taken so far in the book.
#[derive(Debug, Default)]
pub struct IdRegistry {
    /// Every base claimed, in order: the registry's whole history, so a file parsed
    /// before can replay its claims (see `parse::ParseCache`).
    claims: Vec<String>,
    /// A hash of `claims`: two registries with the same digest give the same ids.
    digest: u128,
    used: BTreeSet<String>,
    /// Per base that was found taken: the first suffix not yet tried. Ids are never given
    /// back, so every suffix below it is still taken; without this, the n-th heading of
    /// one name tried n - 1 taken ids first (quadratic in a book of many equal headings).
    next_suffix: BTreeMap<String, u32>,
}

impl IdRegistry {
    /// A hash of every claim so far, in order.
    pub fn digest(&self) -> u128 {
        self.digest
    }

    /// How many claims were made.
    pub fn claim_count(&self) -> usize {
        self.claims.len()
    }

    /// The bases claimed since the first `from` claims.
    pub fn claims_since(&self, from: usize) -> &[String] {
        self.claims.get(from..).unwrap_or(&[])
    }

    /// Takes `base`, or `base-2`, `base-3`… if it (or a reserved id) is taken; returns the
    /// id taken.
    pub fn claim(&mut self, base: &str) -> String {
        let mut h = xxhash_rust::xxh3::Xxh3Default::new();
        h.update(&self.digest.to_le_bytes());
        h.update(base.as_bytes());
        self.digest = h.digest128();
        self.claims.push(base.to_string());
        let base = if is_reserved(base) {
            format!("s-{base}")
        } else {
            base.to_string()
        };
        if !self.used.contains(&base) {
            self.used.insert(base.clone());
            return base;
        }
        let mut n = self.next_suffix.get(&base).copied().unwrap_or(2);
        let mut id = format!("{base}-{n}");
        while self.used.contains(&id) {
            n += 1;
            id = format!("{base}-{n}");
        }
        self.next_suffix.insert(base, n + 1);
        self.used.insert(id.clone());
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for (text, want) in [
            ("Hello, World!", "hello-world"),
            ("  The  Storm -- at Sea ", "the-storm-at-sea"),
            ("Café Œuvre", "cafe-oeuvre"),
            ("1. Beginnings", "s-1-beginnings"),
            ("Ünïcödé ßtraße", "unicode-sstrasse"),
            ("日本語", "section"),
            ("日本 2", "s-2"),
            ("", "section"),
            ("a_b.c/d", "a-b-c-d"),
        ] {
            assert_eq!(slug(text), want, "{text:?}");
        }
    }

    #[test]
    fn ids_are_unique_and_avoid_reserved_names() {
        let mut ids = IdRegistry::default();
        assert_eq!(ids.claim("intro"), "intro");
        assert_eq!(ids.claim("intro"), "intro-2");
        assert_eq!(ids.claim("intro"), "intro-3");
        assert_eq!(ids.claim("note-1"), "s-note-1");
        assert_eq!(ids.claim("ref-2-3"), "s-ref-2-3");
        assert_eq!(ids.claim("notes"), "s-notes");
        assert_eq!(ids.claim("note-taking"), "note-taking");
    }

    #[test]
    fn valid_ids() {
        assert!(is_valid_id("intro"));
        assert!(is_valid_id("_a.b-c9"));
        assert!(!is_valid_id("9a"));
        assert!(!is_valid_id("a b"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("a\"b"));
    }
}
