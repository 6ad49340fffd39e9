//! book.yaml for an imported article: the title and author when they were found, a
//! guessed language, and every other key quire understands commented out for the user.

/// What the import found out about the book.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(crate) struct FoundMetadata {
    /// The title, and where it came from (for the comment).
    pub title: Option<String>,
    /// The author and where the name came from.
    pub author: Option<(String, String)>,
    /// The guessed language tag.
    pub lang: String,
}

/// Common words of each language hypher supports, to tell the language of a text by
/// counting them (a crude but deterministic stand-in for a language detector, enough
/// to pick between a handful of well-separated languages).
const COMMON_WORDS: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "the", "and", "of", "to", "is", "that", "was", "with", "for", "it",
        ],
    ),
    (
        "fr",
        &[
            "le", "la", "les", "et", "des", "est", "une", "que", "dans", "pour",
        ],
    ),
    (
        "de",
        &[
            "der", "die", "und", "das", "ist", "nicht", "mit", "sich", "ein", "den",
        ],
    ),
    (
        "es",
        &[
            "el", "los", "las", "y", "que", "del", "una", "por", "con", "para",
        ],
    ),
    (
        "it",
        &[
            "il", "di", "che", "gli", "della", "una", "per", "non", "sono", "nel",
        ],
    ),
    (
        "pt",
        &[
            "os", "que", "não", "uma", "do", "da", "em", "para", "com", "por",
        ],
    ),
];

/// The language whose common words are most frequent in `text`; `en` when none is.
pub(crate) fn guess_lang(text: &str) -> String {
    let mut counts = vec![0usize; COMMON_WORDS.len()];
    for word in text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
    {
        let lower = word.to_lowercase();
        for (i, (_, words)) in COMMON_WORDS.iter().enumerate() {
            if words.contains(&lower.as_str()) {
                counts[i] += 1;
            }
        }
    }
    // The first language wins a tie, so `en` is the default.
    let mut best = 0;
    for (i, &c) in counts.iter().enumerate() {
        if c > counts[best] {
            best = i;
        }
    }
    COMMON_WORDS[best].0.to_string()
}

/// A YAML double-quoted scalar (YAML 1.2 §7.3.1): backslash and quote escaped, control
/// characters dropped.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars().filter(|c| !c.is_control()) {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The text of book.yaml. `source_name` is the imported file's name, for the header.
pub(crate) fn book_yaml(found: &FoundMetadata, source_name: &str) -> String {
    let mut y = String::new();
    y.push_str(&format!(
        "# Written by `quire import` from {source_name}.\n"
    ));
    y.push_str(
        "# The values below were guessed from the text: check them. Keys that could not be\n",
    );
    y.push_str("# found are commented out; fill them in (remove the `#`) or leave them out.\n\n");
    match &found.title {
        Some(title) => {
            y.push_str("# Guessed: the first line of the text.\n");
            y.push_str(&format!("title: {}\n", quoted(title)));
        }
        None => {
            y.push_str("# The text has no title line: write the title here.\n");
            y.push_str("title: \"Untitled\"\n");
        }
    }
    y.push_str("# subtitle: \"\"\n");
    match &found.author {
        Some((name, from)) => {
            y.push_str(&format!("# Guessed: {from}.\n"));
            y.push_str(&format!("author: {}\n", quoted(name)));
        }
        None => y.push_str("# No author found in the text.\n# author: \"\"\n"),
    }
    y.push_str("# Guessed from the text's most common words; a BCP 47 tag such as en-GB or fr.\n");
    y.push_str(&format!("lang: {}\n", found.lang));
    y.push_str("# date: YYYY-MM-DD\n");
    y.push_str("# publisher: \"\"\n");
    y.push_str("# rights: \"\"\n");
    y.push_str("# description: \"\"\n");
    y.push_str("# identifier: \"\"   # an ISBN, a UUID, or a URL\n");
    y.push_str("# subject: []\n");
    y
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn language_is_guessed_from_common_words() {
        assert_eq!(
            guess_lang("The cat and the dog were in the garden with it."),
            "en"
        );
        assert_eq!(
            guess_lang("Le chat et les chiens sont dans la maison pour une nuit."),
            "fr"
        );
        assert_eq!(
            guess_lang("Der Hund und die Katze sind nicht mit dem Auto gefahren."),
            "de"
        );
        assert_eq!(guess_lang(""), "en");
    }

    #[test]
    fn yaml_values_are_quoted_and_parse_back() {
        let found = FoundMetadata {
            title: Some("Stalinism: \"The\" Complete \\ Negation".into()),
            author: Some((
                "Thomas Harrison".into(),
                "the first words of the bio".into(),
            )),
            lang: "en".into(),
        };
        let y = book_yaml(&found, "a.txt");
        let v: serde_yaml::Value = serde_yaml::from_str(&y).unwrap();
        assert_eq!(
            v["title"].as_str(),
            Some("Stalinism: \"The\" Complete \\ Negation")
        );
        assert_eq!(v["author"].as_str(), Some("Thomas Harrison"));
        assert_eq!(v["lang"].as_str(), Some("en"));
        assert!(v.get("date").is_none());
    }
}
