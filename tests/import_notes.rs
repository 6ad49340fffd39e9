//! Note detection on texts written for each marker style and for the number traps.
#![allow(clippy::unwrap_used)]

mod import_common;
use import_common::{all_markdown, blocks, file, import_fixture, warnings};

/// Every `[^k]` reference in `markdown` with the word it is glued to.
fn references(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in markdown.match_indices("[^") {
        let close = markdown[i..].find(']').unwrap() + i;
        if markdown[close + 1..].starts_with(':') {
            continue; // a definition
        }
        let before = markdown[..i].rsplit(char::is_whitespace).next().unwrap();
        out.push(format!("{before}{}", &markdown[i..=close]));
    }
    out
}

#[test]
fn dotted_markers_with_years_counts_decades_and_ranges_around_them() {
    let (_, imported) = import_fixture("dotted_blank_lines.txt");
    let md = all_markdown(&imported);
    assert_eq!(
        references(&md),
        ["night.[^1]", "station.[^2]", "committee.[^3]", "1931.[^4]"]
    );
    // The traps stay as they were written.
    for trap in [
        "In 1917. That",
        "grown to 250,000. Nobody",
        "by 1.2 percent",
        "in the 1930s,",
        "In 1932-1933 the",
        "ratio of 3:2",
        "15-story",
        "winter of 1932-3;",
        "fined £4 for",
    ] {
        assert!(md.contains(trap), "{trap} was changed");
    }
    // The numbered reader comments after the notes are not notes.
    let comments = file(&imported, "04-comments.md");
    assert!(comments.contains("1\\. Ana says:"), "{comments}");
    assert!(!comments.contains("[^"));
    // Each definition sits at the end of the file that references it.
    let opening = blocks(file(&imported, "00-opening.md"));
    assert_eq!(opening.last().unwrap(), "note 1: Census of 1920, table 4.");
    let mills = blocks(file(&imported, "01-the-mills.md"));
    assert!(mills.contains(&"note 2: The warehouse was pulled down in 1968.".to_string()));
    assert!(mills.contains(&"note 3: Minutes of the strike committee, 1934.".to_string()));
    let settlement = blocks(file(&imported, "02-the-settlement.md"));
    assert_eq!(
        settlement.last().unwrap(),
        "note 4: The agreement is kept in the town archive."
    );
}

#[test]
fn bare_markers_under_an_endnotes_heading_with_single_line_breaks() {
    let (map, imported) = import_fixture("bare_single_breaks.txt");
    let md = all_markdown(&imported);
    assert_eq!(references(&md), ["boat.[^1]", "storm.[^2]"]);
    assert!(md.contains("1,200 people"));
    assert!(
        !md.contains("Endnotes"),
        "the notes heading is not text: {md}"
    );
    let w = warnings(&map, &imported);
    assert!(
        w.iter().any(|l| l.starts_with(
            "bare_single_breaks.txt:3:76: warning: took “1” here as the reference to note 1"
        )),
        "{w:#?}"
    );
}

#[test]
fn bracketed_markers_in_hard_wrapped_text() {
    let (_, imported) = import_fixture("bracketed_wrapped.txt");
    let md = all_markdown(&imported);
    assert_eq!(references(&md), ["winter.[^1]", "dull.[^2]"]);
    let keepers = blocks(file(&imported, "01-the-keepers.md"));
    assert_eq!(keepers[0], "h1: The Keepers");
    assert!(keepers[1].starts_with(
        "p: Four families kept the light over a hundred years. The last keeper, who left in 1961,"
    ));
    let opening = blocks(file(&imported, "00-opening.md"));
    assert_eq!(
        opening.last().unwrap(),
        "note 1: Harbour commission minutes, volume three, page twelve. The minutes record the vote in full."
    );
}

#[test]
fn superscript_markers_and_a_unit_exponent() {
    let (_, imported) = import_fixture("superscript.txt");
    let md = all_markdown(&imported);
    assert_eq!(references(&md), ["rail.[^1]", "1950s.[^2]"]);
    assert!(md.contains("5 km² by 1955"));
    let opening = blocks(file(&imported, "00-opening.md"));
    assert_eq!(
        &opening[opening.len() - 2..],
        [
            "note 1: Farm diary, spring 1948.",
            "note 2: County agricultural survey, 1960."
        ]
    );
}

#[test]
fn a_note_without_reference_is_kept_and_reported() {
    let (map, imported) = import_fixture("paren_missing_reference.txt");
    let md = all_markdown(&imported);
    // `1792.1` is a year then note 1; `in 1921.` ends a sentence and is not note 2.
    assert_eq!(references(&md), ["1792.[^1]"]);
    assert!(md.contains("closed in 1921."));
    assert!(md.contains("[^2]: Board of Trade returns."));
    let w = warnings(&map, &imported);
    assert!(
        w.iter().any(|l| l == "paren_missing_reference.txt:8:1: warning: found no reference to note 2 in the text; its text is kept without a reference"),
        "{w:#?}"
    );
}
