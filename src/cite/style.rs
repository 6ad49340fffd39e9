//! The citation style: `csl:` names a CSL 1.0.2 file in the manuscript folder or a style
//! quire ships (hayagriva's archive: CC BY-SA 3.0 styles from the CSL project); without
//! it, Chicago author-date, pandoc's default. The locale follows the book's `lang`.

use crate::diag::Diagnostic;
use crate::files::{Files, ReadProblem};
use crate::source::{SourceMap, Span};
use hayagriva::archive::ArchivedStyle;
use hayagriva::citationberg::{IndependentStyle, LocaleCode, Style, StyleClass};
use std::path::Path;

/// quire's names for the styles it ships, with hayagriva's archive names after them
/// (`by_name`): pandoc users know the CSL file names (`chicago-note-bibliography`,
/// `chicago-fullnote-bibliography`), Typst users hayagriva's.
const ALIASES: &[(&str, ArchivedStyle)] = &[
    ("chicago-author-date", ArchivedStyle::ChicagoAuthorDate),
    ("chicago-notes-bibliography", ArchivedStyle::ChicagoNotes),
    ("chicago-note-bibliography", ArchivedStyle::ChicagoNotes),
    ("chicago-fullnote-bibliography", ArchivedStyle::ChicagoNotes),
    (
        "chicago-shortened-notes-bibliography",
        ArchivedStyle::ChicagoShortenedNotes,
    ),
];

/// A style ready for the driver.
pub(crate) struct LoadedStyle {
    /// The style.
    pub csl: IndependentStyle,
    /// The locale asked for: the book's `lang`, or a dependent style's default locale.
    pub locale: Option<LocaleCode>,
}

impl LoadedStyle {
    /// Whether the style puts citations in notes (CSL 1.0.2 §"Style": `class="note"`).
    pub fn is_note(&self) -> bool {
        self.csl.settings.class == StyleClass::Note
    }

    /// Whether the style title-cases some variable (`text-case="title"` anywhere: a title
    /// in the bibliography, a short title in a note), read from the style as XML.
    pub fn title_cases(&self) -> bool {
        Style::Independent(self.csl.clone())
            .to_xml()
            .is_ok_and(|xml| xml.contains("text-case=\"title\""))
    }
}

/// The style the book asks for; `None` after an error (reported).
pub(crate) fn load(
    meta: &crate::model::Metadata,
    files: &Files<'_>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> Option<LoadedStyle> {
    let lang = Some(LocaleCode(meta.lang.as_str().to_string()));
    let Some((name, at)) = &meta.cite.csl else {
        return archived(ArchivedStyle::ChicagoAuthorDate, lang, None, diags);
    };
    let looks_like_file = name.ends_with(".csl") || name.ends_with(".xml") || name.contains('/');
    if !looks_like_file {
        let found = ALIASES
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| *s)
            .or_else(|| ArchivedStyle::by_name(name));
        return match found {
            Some(style) => archived(style, lang, Some(*at), diags),
            None => {
                diags.push(unknown_style(name, *at));
                None
            }
        };
    }
    let rel = Path::new(name);
    let file = match files.read_in_root(rel) {
        Ok(f) => f,
        Err(problem) => {
            let why = match problem {
                ReadProblem::Missing => "is not found",
                ReadProblem::OutsideRoot => "lies outside the manuscript folder",
            };
            diags.push(
                Diagnostic::error(*at, format!("csl `{name}` {why}"))
                    .with_hint("`csl` is a CSL file relative to the manuscript folder, or the name of a style quire ships (`apa`, `chicago-notes-bibliography` …)"),
            );
            return None;
        }
    };
    let id = crate::files::add_bytes(sources, &files.root().join(rel), file.bytes.to_vec(), diags);
    let text = sources.get(id)?.text.clone();
    match Style::from_xml(&text) {
        Ok(Style::Independent(csl)) => Some(LoadedStyle { csl, locale: lang }),
        Ok(Style::Dependent(dep)) => {
            // A dependent style names its parent (CSL 1.0.2 §"Info": `rel="independent-parent"`)
            // and may set a locale; quire resolves parents it ships.
            let href = dep.parent_link.href.to_string();
            match ArchivedStyle::by_id(&href) {
                Some(parent) => {
                    let locale = dep.default_locale.clone().or(lang);
                    archived(parent, locale, Some(*at), diags)
                }
                None => {
                    diags.push(
                        Diagnostic::error(
                            Span::file_start(id),
                            format!("`{name}` is a dependent style whose parent ({href}) quire does not ship"),
                        )
                        .with_hint("give the parent style's own CSL file as `csl`"),
                    );
                    None
                }
            }
        }
        Err(e) => {
            diags.push(
                Diagnostic::error(Span::file_start(id), format!("`{name}` is not a valid CSL style: {e}"))
                    .with_hint("a CSL 1.0.2 style is an XML file whose root is `<style xmlns=\"http://purl.org/net/xbiblio/csl\" …>`"),
            );
            None
        }
    }
}

/// A style from hayagriva's archive.
fn archived(
    style: ArchivedStyle,
    locale: Option<LocaleCode>,
    at: Option<Span>,
    diags: &mut Vec<Diagnostic>,
) -> Option<LoadedStyle> {
    match style.get() {
        Style::Independent(csl) => Some(LoadedStyle { csl, locale }),
        // Typst asserts the archive holds none; reported rather than trusted.
        Style::Dependent(_) => {
            diags.push(Diagnostic::error(
                at,
                format!(
                    "the shipped style `{}` is a dependent style",
                    style.names().first().unwrap_or(&"?")
                ),
            ));
            None
        }
    }
}

/// An unknown style name, with the closest names quire ships.
fn unknown_style(name: &str, at: Span) -> Diagnostic {
    let mut names: Vec<&str> = ALIASES.iter().map(|(n, _)| *n).collect();
    for s in ArchivedStyle::all() {
        names.extend(s.names().iter().copied());
    }
    let mut scored: Vec<(f64, &str)> = names
        .iter()
        .map(|n| (strsim::normalized_damerau_levenshtein(name, n), *n))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    let close: Vec<String> = scored
        .iter()
        .take(3)
        .map(|(_, n)| format!("`{n}`"))
        .collect();
    Diagnostic::error(at, format!("`csl: {name}` is neither a CSL file nor a style quire ships"))
        .with_hint(format!(
            "did you mean {}? (quire ships chicago-author-date, chicago-notes-bibliography, apa, mla, ieee and the rest of hayagriva's styles; a file must end in `.csl`)",
            close.join(", ")
        ))
}
