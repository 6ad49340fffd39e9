//! What each paragraph of the article is: title, byline, series note, section heading,
//! body text, the author's bio, or what a web page adds after the article (share
//! buttons, reader comments). Then the sections the manuscript is cut into.

use super::paragraphs::{looks_like_heading, Line, Paragraph};
use super::re;
use regex::Regex;
use std::sync::LazyLock;

/// The part a paragraph plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// The first line.
    Title,
    /// "By Jane Doe" near the top (goes to book.yaml, not to the text).
    Byline,
    /// An opening note that places the article in a series.
    SeriesNote,
    /// A section heading.
    Heading,
    /// Body text.
    Body,
    /// The heading of the author's bio ("About the Author").
    BioHeading,
    /// The bio's text.
    Bio,
    /// The first line of what follows the article on its web page.
    TrailingStart,
    /// The rest of it.
    Trailing,
}

/// Headings of an author's bio.
static BIO_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(about (the )?(authors?|writers?|contributors?)|(the )?authors?|authors?'?s? (bio|biography|note)|biography|(the )?contributors?|bio|author information)\s*:?$",
    )
});

/// First lines of what a web page adds after an article.
static TRAILING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+(comments?|responses?|replies|thoughts)\b|^(leave a (reply|comment)|like this (story|article|post)\?|share this|(reader )?comments?\s*:?$|post navigation|related (posts|articles|stories)|you may also like|subscribe to)",
    )
});

/// A byline: "By Jane Doe", "Written by Jane Q. Doe, March 2017" (a capitalised name,
/// then at most a short date or place after a comma or bar).
static BYLINE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?i:by|written by|author:)\s+(\p{Lu}[\p{L}.'’-]*(?:\s+(?:\p{Lu}[\p{L}.'’-]*|de|van|von|der|da|di|del|la|le)){0,4})\s*(?:[,|•][^.!?]{0,40})?$",
    )
});

/// An opening note that introduces a series: "This is the last of three articles…",
/// "Part two of…", "…in a series on…".
static SERIES: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)^(this (is|article is|essay is|piece is) (the )?(first|second|third|fourth|fifth|sixth|last|final|concluding|next|part)\b.{0,80}\b(articles?|series|parts|installments?|essays)\b|(part|chapter) \w+ of\b)|\b(in|of) (a|this|our) (\w+[- ])?series\b",
    )
});

/// A person's name at the start of a bio: "Thomas Harrison is…", "J. R. Smith teaches…".
static NAME_IN_BIO: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^((?:\p{Lu}[\p{L}'’-]+|\p{Lu}\.)(?:\s+(?:\p{Lu}[\p{L}'’-]+|\p{Lu}\.|de|van|von|der|da|di|del|la|le|bin|ibn)){1,4})\s+(?:is|was|has|teaches|writes|lives|works|edits|holds)\b",
    )
});

/// The roles of `paras` (the notes list already taken out). `tail_from` is the byte
/// offset of the notes list, if any: what follows the article is looked for after it,
/// after the bio heading, or else in the last 40 % of the text.
pub(crate) fn roles(
    text: &str,
    lines: &[Line],
    paras: &[Paragraph],
    tail_from: Option<usize>,
) -> Vec<Role> {
    let n = paras.len();
    let mut roles = vec![Role::Body; n];
    if n == 0 {
        return roles;
    }
    let texts: Vec<String> = paras.iter().map(|p| p.text(text, lines)).collect();
    roles[0] = Role::Title;

    // A byline among the three paragraphs after the title.
    let mut first_body = 1;
    for i in 1..n.min(4) {
        if paras[i].is_single_line() && BYLINE.is_match(&texts[i]) {
            roles[i] = Role::Byline;
            first_body = i + 1;
            break;
        }
    }
    if first_body < n && SERIES.is_match(&texts[first_body]) {
        roles[first_body] = Role::SeriesNote;
    }

    // The bio, then what follows the article.
    let bio =
        (first_body..n).find(|&i| paras[i].is_single_line() && BIO_HEADING.is_match(&texts[i]));
    let tail_start = bio
        .or_else(|| tail_from.and_then(|b| (0..n).find(|&i| paras[i].bytes(lines).start >= b)))
        .unwrap_or(first_body.max(n * 3 / 5));
    let trailing =
        (tail_start.max(first_body)..n).find(|&i| Some(i) != bio && TRAILING.is_match(&texts[i]));
    let body_end = [bio, trailing].into_iter().flatten().min().unwrap_or(n);
    if let Some(b) = bio {
        roles[b] = Role::BioHeading;
        for role in &mut roles[b + 1..trailing.filter(|&t| t > b).unwrap_or(n)] {
            *role = Role::Bio;
        }
    }
    if let Some(t) = trailing {
        roles[t] = Role::TrailingStart;
        for role in &mut roles[t + 1..] {
            *role = Role::Trailing;
        }
    }

    // Section headings: short single lines standing alone between paragraphs.
    let heading_like = |i: usize| paras[i].is_single_line() && looks_like_heading(&texts[i]);
    for i in first_body..body_end {
        let next_is_text = i + 1 < body_end && !heading_like(i + 1);
        let prev_is_text = i > 0
            && roles[i - 1] != Role::Heading
            && !(roles[i - 1] == Role::Body && heading_like(i - 1));
        if roles[i] == Role::Body && heading_like(i) && next_is_text && prev_is_text {
            roles[i] = Role::Heading;
        }
    }
    roles
}

/// The author's name at the start of a bio ("Thomas Harrison is an editor…").
pub(crate) fn name_in_bio(bio: &str) -> Option<String> {
    Some(NAME_IN_BIO.captures(bio)?.get(1)?.as_str().to_string())
}

/// The author's name in a byline.
pub(crate) fn name_in_byline(line: &str) -> Option<String> {
    Some(BYLINE.captures(line)?.get(1)?.as_str().trim().to_string())
}

/// What a section is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SectionKind {
    /// The untitled opening (series note and text before the first heading).
    Opening,
    /// A section of the article under its heading.
    Chapter,
    /// The author's bio under its heading.
    Bio,
    /// What follows the article on its web page.
    Trailing,
}

/// A section: one chapter file of the manuscript.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Section {
    /// What it is.
    pub kind: SectionKind,
    /// The paragraph that is its heading, if the text has one.
    pub heading: Option<usize>,
    /// Its paragraphs (indices, in order), heading excluded.
    pub paragraphs: Vec<usize>,
}

/// Cuts the paragraphs into sections at headings, the bio heading and the start of what
/// follows the article. The title and byline belong to no section (they go to
/// book.yaml); an opening section without text is left out.
pub(crate) fn sections(roles: &[Role]) -> Vec<Section> {
    let mut out = vec![Section {
        kind: SectionKind::Opening,
        heading: None,
        paragraphs: Vec::new(),
    }];
    for (i, role) in roles.iter().enumerate() {
        let (kind, heading) = match role {
            Role::Title | Role::Byline => continue,
            Role::Heading => (SectionKind::Chapter, Some(i)),
            Role::BioHeading => (SectionKind::Bio, Some(i)),
            Role::TrailingStart => (SectionKind::Trailing, None),
            Role::SeriesNote | Role::Body | Role::Bio | Role::Trailing => {
                if let Some(last) = out.last_mut() {
                    last.paragraphs.push(i);
                }
                continue;
            }
        };
        let paragraphs = if heading.is_none() {
            vec![i]
        } else {
            Vec::new()
        };
        out.push(Section {
            kind,
            heading,
            paragraphs,
        });
    }
    out.retain(|s| s.kind != SectionKind::Opening || !s.paragraphs.is_empty());
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn headings_are_short_unpunctuated_lines() {
        assert!(looks_like_heading("The Collectivization of Agriculture"));
        assert!(looks_like_heading("A New Society"));
        assert!(!looks_like_heading("It ended in 1917."));
        assert!(!looks_like_heading("and then, later"));
        assert!(!looks_like_heading("1932"));
    }

    #[test]
    fn names_are_found_in_bios_and_bylines() {
        assert_eq!(
            name_in_bio("Thomas Harrison is an editor of New Politics.").as_deref(),
            Some("Thomas Harrison")
        );
        assert_eq!(name_in_bio("He is an editor."), None);
        assert_eq!(
            name_in_byline("By Jane Q. Doe, March 2017").as_deref(),
            Some("Jane Q. Doe")
        );
        assert_eq!(
            name_in_byline("By the end of 1927, Joseph Stalin had eliminated the Left Opposition."),
            None
        );
    }

    #[test]
    fn series_notes_are_recognised() {
        assert!(SERIES.is_match("This is the last of three articles commemorating the Revolution."));
        assert!(SERIES.is_match("Part two of a three-part essay."));
        assert!(!SERIES.is_match("This is the house that Jack built."));
    }
}
