//! The locator at the start of a citation's suffix (`, p. 33`, `chap. 2`, `33-35 and
//! passim`), as pandoc's citeproc reads it (`Text.Pandoc.Citeproc.Locator`; MANUAL,
//! "Citation syntax": "a locator term … abbreviated or not, singular or plural … with no
//! term, `page` is assumed; `{…}` delimits a locator that is not a number").
//!
//! The terms are the English CSL locale's (CSL 1.0.2 Appendix II, "Locators"), long and
//! short, singular and plural: the terms authors type in pandoc Markdown.

use hayagriva::citationberg::taxonomy::Locator;
use hayagriva::citationberg::PageRangeFormat;

/// Locator terms, longest first within a kind so `pp.` wins over `p.`.
const TERMS: &[(&str, Locator)] = &[
    ("pages", Locator::Page),
    ("page", Locator::Page),
    ("pp.", Locator::Page),
    ("p.", Locator::Page),
    ("chapters", Locator::Chapter),
    ("chapter", Locator::Chapter),
    ("chaps.", Locator::Chapter),
    ("chap.", Locator::Chapter),
    ("ch.", Locator::Chapter),
    ("sections", Locator::Section),
    ("section", Locator::Section),
    ("secs.", Locator::Section),
    ("sec.", Locator::Section),
    ("§§", Locator::Section),
    ("§", Locator::Section),
    ("volumes", Locator::Volume),
    ("volume", Locator::Volume),
    ("vols.", Locator::Volume),
    ("vol.", Locator::Volume),
    ("books", Locator::Book),
    ("book", Locator::Book),
    ("bks.", Locator::Book),
    ("bk.", Locator::Book),
    ("columns", Locator::Column),
    ("column", Locator::Column),
    ("cols.", Locator::Column),
    ("col.", Locator::Column),
    ("figures", Locator::Figure),
    ("figure", Locator::Figure),
    ("figs.", Locator::Figure),
    ("fig.", Locator::Figure),
    ("folios", Locator::Folio),
    ("folio", Locator::Folio),
    ("fols.", Locator::Folio),
    ("fol.", Locator::Folio),
    ("lines", Locator::Line),
    ("line", Locator::Line),
    ("ll.", Locator::Line),
    ("l.", Locator::Line),
    ("notes", Locator::Note),
    ("note", Locator::Note),
    ("nn.", Locator::Note),
    ("n.", Locator::Note),
    ("opus", Locator::Opus),
    ("opp.", Locator::Opus),
    ("op.", Locator::Opus),
    ("paragraphs", Locator::Paragraph),
    ("paragraph", Locator::Paragraph),
    ("paras.", Locator::Paragraph),
    ("para.", Locator::Paragraph),
    ("¶¶", Locator::Paragraph),
    ("¶", Locator::Paragraph),
    ("parts", Locator::Part),
    ("part", Locator::Part),
    ("pts.", Locator::Part),
    ("pt.", Locator::Part),
    ("sub verbis", Locator::SubVerbo),
    ("sub verbo", Locator::SubVerbo),
    ("s.vv.", Locator::SubVerbo),
    ("s.v.", Locator::SubVerbo),
    ("verses", Locator::Verse),
    ("verse", Locator::Verse),
    ("vv.", Locator::Verse),
    ("v.", Locator::Verse),
    ("issues", Locator::Issue),
    ("issue", Locator::Issue),
    ("nos.", Locator::Issue),
    ("no.", Locator::Issue),
    ("appendices", Locator::Appendix),
    ("appendix", Locator::Appendix),
    ("app.", Locator::Appendix),
    ("tables", Locator::Table),
    ("table", Locator::Table),
    ("tbl.", Locator::Table),
    ("equations", Locator::Equation),
    ("equation", Locator::Equation),
    ("eq.", Locator::Equation),
    ("scenes", Locator::Scene),
    ("scene", Locator::Scene),
    ("sc.", Locator::Scene),
];

/// A locator read from the start of a suffix's text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    /// Its kind.
    pub kind: Locator,
    /// Its value (`33-35`).
    pub value: String,
    /// Bytes of the text the locator took (its comma, term and value), so the rest is
    /// the suffix.
    pub taken: usize,
}

/// The locator at the start of `text` (the suffix's first text), if any.
pub(crate) fn read(text: &str) -> Option<Found> {
    let mut i = 0;
    let skip_space = |i: &mut usize| {
        while text[*i..].starts_with([' ', '\u{a0}', '\n', '\t']) {
            *i += 1;
        }
    };
    skip_space(&mut i);
    if text[i..].starts_with(',') {
        i += 1;
        skip_space(&mut i);
    }
    // `{…}` (a term may stand inside): whatever is inside is the locator.
    if let Some(inner) = text[i..].strip_prefix('{') {
        let close = inner.find('}')?;
        let (kind, at) = term(&inner[..close]).unwrap_or((Locator::Page, 0));
        return Some(Found {
            kind,
            value: inner[at..close].trim().to_string(),
            taken: i + 1 + close + 1,
        });
    }
    let (kind, labelled) = match term(&text[i..]) {
        Some((k, len)) => {
            i += len;
            skip_space(&mut i);
            (k, true)
        }
        None => (Locator::Page, false),
    };
    if let Some(inner) = text[i..].strip_prefix('{') {
        let close = inner.find('}')?;
        return Some(Found {
            kind,
            value: inner[..close].trim().to_string(),
            taken: i + 1 + close + 1,
        });
    }
    let len = value_len(&text[i..]);
    if len == 0 {
        // A term with nothing after it is not a locator ("p. xx" aside): text.
        return None;
    }
    if !labelled && !text[i..].starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some(Found {
        kind,
        value: text[i..i + len].to_string(),
        taken: i + len,
    })
}

/// The locator term at the start of `s` (a whole word: `pages`, not `pagination`) and
/// its length.
fn term(s: &str) -> Option<(Locator, usize)> {
    let lower = s.to_lowercase();
    // Case mapping that changes lengths (rare letters) would shift offsets: no term then.
    if lower.len() != s.len() {
        return None;
    }
    TERMS
        .iter()
        .find(|(t, _)| {
            lower.starts_with(t) && !lower[t.len()..].starts_with(|c: char| c.is_alphabetic())
        })
        .map(|(t, k)| (*k, t.len()))
}

/// The length of a locator value at the start of `s`: numbers (with letters: `33a`),
/// roman numerals, and ranges or lists of them (`33-35`, `iv, 12`, `3:14`).
fn value_len(s: &str) -> usize {
    let token = |s: &str| -> usize {
        let n: usize = s
            .char_indices()
            .take_while(|(_, c)| c.is_alphanumeric())
            .map(|(_, c)| c.len_utf8())
            .sum();
        let word = &s[..n];
        let numeric = word.chars().any(|c| c.is_ascii_digit());
        let roman = !word.is_empty() && word.chars().all(|c| "ivxlcdmIVXLCDM".contains(c));
        if numeric || roman {
            n
        } else {
            0
        }
    };
    let mut end = token(s);
    if end == 0 {
        return 0;
    }
    loop {
        let rest = &s[end..];
        let sep = ["-", "–", "—", ":", ".", ", ", ","]
            .iter()
            .find(|p| rest.starts_with(**p));
        let Some(sep) = sep else { break };
        let next = token(&rest[sep.len()..]);
        if next == 0 {
            break;
        }
        end += sep.len() + next;
    }
    end
}

/// A page locator's ranges in the style's `page-range-format` ("145-147" → "145–47" in
/// Chicago). CSL 1.0.2 §"Page Ranges" formats the `page` variable; pandoc's citeproc
/// formats a locator whose label is `page` the same way (`Citeproc.Eval`: `pageRange`
/// applied to the locator), while hayagriva formats only the `page` variable. Other
/// locators, values that are not ranges of numbers, and styles without the option are
/// left as written.
pub(crate) fn page_ranges(kind: Locator, value: &str, format: Option<PageRangeFormat>) -> String {
    let Some(format) = format.filter(|_| kind == Locator::Page) else {
        return value.to_string();
    };
    let mut out = String::with_capacity(value.len());
    // Ranges are separated by commas or ampersands (CSL 1.0.2 §"Page Ranges").
    for (i, part) in value.split(',').enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, range) in part.split('&').enumerate() {
            if j > 0 {
                out.push('&');
            }
            out.push_str(&one_range(range, format));
        }
    }
    out
}

/// One range (`145-147`, `145–147`, with spaces around it kept) in `format`.
fn one_range(range: &str, format: PageRangeFormat) -> String {
    let lead = &range[..range.len() - range.trim_start().len()];
    let trail = &range[range.trim_end().len()..];
    let body = range.trim();
    let mut halves = body.splitn(2, ['-', '–']);
    let (Some(start), Some(end)) = (halves.next(), halves.next()) else {
        return range.to_string();
    };
    // `145--147` (BibTeX's dash) leaves a second dash on the end.
    let end = end.trim_start_matches(['-', '–']);
    let digits = |s: &str| !s.is_empty() && s.trim().chars().all(|c| c.is_ascii_digit());
    if !digits(start) || !digits(end) {
        return range.to_string();
    }
    let mut formatted = String::new();
    match format.format(&mut formatted, start, end, Some("–")) {
        Ok(()) => format!("{lead}{formatted}{trail}"),
        Err(_) => range.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn page_locators_follow_the_page_range_format() {
        let chicago = Some(PageRangeFormat::Chicago16);
        // pandoc --citeproc, chicago-author-date: "(see Grossman 1997, 145–47 …)".
        assert_eq!(page_ranges(Locator::Page, "145-147", chicago), "145–47");
        assert_eq!(page_ranges(Locator::Page, "20-22", chicago), "20–22");
        assert_eq!(
            page_ranges(Locator::Page, "100--104, 321-328", chicago),
            "100–104, 321–28"
        );
        assert_eq!(page_ranges(Locator::Page, "33", chicago), "33");
        assert_eq!(page_ranges(Locator::Page, "iv-x", chicago), "iv-x");
        assert_eq!(page_ranges(Locator::Chapter, "145-147", chicago), "145-147");
        assert_eq!(page_ranges(Locator::Page, "145-147", None), "145-147");
    }

    fn loc(s: &str) -> Option<(Locator, String, String)> {
        read(s).map(|f| (f.kind, f.value, s[f.taken..].to_string()))
    }

    #[test]
    fn locators_as_pandoc_reads_them() {
        assert_eq!(
            loc(", p. 33"),
            Some((Locator::Page, "33".into(), "".into()))
        );
        assert_eq!(
            loc(", pp. 33-35 and passim"),
            Some((Locator::Page, "33-35".into(), " and passim".into()))
        );
        assert_eq!(
            loc(", chap. 2"),
            Some((Locator::Chapter, "2".into(), "".into()))
        );
        assert_eq!(loc(" 145"), Some((Locator::Page, "145".into(), "".into())));
        assert_eq!(
            loc(", sec. iv, 12"),
            Some((Locator::Section, "iv, 12".into(), "".into()))
        );
        assert_eq!(
            loc(", {p. xx} ok"),
            Some((Locator::Page, "xx".into(), " ok".into()))
        );
        assert_eq!(
            loc(", {ii, A} x"),
            Some((Locator::Page, "ii, A".into(), " x".into()))
        );
        assert_eq!(
            loc(", p. {xx} ok"),
            Some((Locator::Page, "xx".into(), " ok".into()))
        );
        assert_eq!(loc(" and passim"), None);
        assert_eq!(loc(", pagination"), None);
        assert_eq!(
            loc(", vol. 3, 45"),
            Some((Locator::Volume, "3, 45".into(), "".into()))
        );
    }
}
