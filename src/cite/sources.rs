//! The book's sources: `bibliography` files (BibTeX/BibLaTeX `.bib`, CSL-JSON `.json`,
//! CSL-YAML `.yaml`/`.yml`) and inline `references`, read through the file layer (so
//! `quire watch` follows them) into hayagriva entries.
//!
//! A `.bib` file is read by the `biblatex` crate, each entry converted on its own
//! (hayagriva's `io::from_biblatex_str` rejects the whole file for one bad field). CSL
//! items (JSON or YAML, pandoc's `references`) are mapped to BibLaTeX entries and take
//! the same path, so one entry type serves the whole book: hayagriva's CSL-JSON support
//! is its test harness's (it panics on a date range).
//!
//! Each file read is added to the build's [`SourceMap`], so a syntax error is reported at
//! the `.bib` file's own line and column.

use crate::diag::Diagnostic;
use crate::files::{Files, ReadProblem};
use crate::source::{SourceMap, Span};
use biblatex::{Chunk, Spanned};
use hayagriva::Entry;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The sources of the book, each once, in the order read.
pub(crate) struct Library {
    /// The entries.
    pub entries: Vec<Entry>,
    /// Key → index into `entries`.
    pub by_key: HashMap<String, usize>,
}

/// Where an entry was read, for the warning about a key given twice.
struct Origin {
    /// The file as written in `bibliography` (or `references`).
    name: String,
}

/// Reads every source of the book. Problems are reported into `diags`; the entries that
/// could be read are returned either way (the caller stops when an error was reported).
pub(crate) fn load(
    meta: &crate::model::Metadata,
    files: &Files<'_>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
    case: Casing,
) -> Library {
    let mut library = Library {
        entries: Vec::new(),
        by_key: HashMap::new(),
    };
    let mut origins: Vec<Origin> = Vec::new();
    let at = meta.cite.bibliography_at;
    for name in &meta.bibliography {
        let found = read_file(name, at, files, sources, diags, case);
        for (entry, key_at) in found {
            add(&mut library, &mut origins, entry, name, key_at, diags);
        }
    }
    if let Some((yaml, at)) = &meta.cite.references {
        // pandoc: `references` in the metadata are used together with the files.
        match serde_yaml::from_str::<Value>(yaml) {
            Ok(value) => {
                let items = match value {
                    Value::Array(items) => items,
                    other => vec![other],
                };
                for item in items {
                    match csl_entry(&item) {
                        Ok(entry) => add(&mut library, &mut origins, entry, "references", *at, diags),
                        Err(problem) => diags.push(
                            Diagnostic::error(*at, format!("references: {problem}"))
                                .with_hint("each source needs an `id` and a `type` (CSL: `book`, `article-journal`, `chapter` …)"),
                        ),
                    }
                }
            }
            Err(e) => diags.push(Diagnostic::error(*at, format!("references: {e}"))),
        }
    }
    library
}

/// Adds `entry`, warning when its key was read before (the first one is kept, as
/// pandoc keeps the first).
fn add(
    library: &mut Library,
    origins: &mut Vec<Origin>,
    entry: Entry,
    name: &str,
    at: Span,
    diags: &mut Vec<Diagnostic>,
) {
    let key = entry.key().to_string();
    if let Some(&i) = library.by_key.get(&key) {
        let first = &origins[i];
        diags.push(
            Diagnostic::warning(
                at,
                format!(
                    "the source `{key}` is given twice, in {} and in {name}; the first is used",
                    first.name
                ),
            )
            .with_hint("remove one of them, or give one a key of its own"),
        );
        return;
    }
    library.by_key.insert(key, library.entries.len());
    library.entries.push(entry);
    origins.push(Origin {
        name: name.to_string(),
    });
}

/// One `bibliography` file's entries, each with the span of its key.
fn read_file(
    name: &str,
    at: Option<Span>,
    files: &Files<'_>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
    case: Casing,
) -> Vec<(Entry, Span)> {
    let rel = Path::new(name);
    let file = match files.read_in_root(rel) {
        Ok(file) => file,
        Err(problem) => {
            let why = match problem {
                ReadProblem::Missing => "is not found",
                ReadProblem::OutsideRoot => "lies outside the manuscript folder",
            };
            diags.push(
                Diagnostic::error(at, format!("bibliography `{name}` {why}"))
                    .with_hint("`bibliography` names files relative to the manuscript folder"),
            );
            return Vec::new();
        }
    };
    // Shown as the chapters are: the folder's path, then the file's.
    let shown = files.root().join(rel);
    let id = crate::files::add_bytes(sources, &shown, file.bytes.to_vec(), diags);
    let Some(text) = sources.get(id).map(|f| f.text.clone()) else {
        return Vec::new();
    };
    let whole = Span::file_start(id);
    let ext = rel
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "bib" | "bibtex" | "biblatex" => read_bib(&text, id, diags, case),
        "json" => match serde_json::from_str::<Value>(&text) {
            Ok(value) => csl_items(value, name, whole, diags),
            Err(e) => {
                let offset = offset_of(&text, e.line(), e.column());
                let message = e.to_string();
                let message = message.split(" at line").next().unwrap_or(&message);
                diags.push(
                    Diagnostic::error(
                        crate::source::Span::new(id, offset, offset),
                        format!("`{name}` is not valid CSL JSON: {message}"),
                    )
                    .with_hint("a CSL JSON bibliography is an array of items: `[{\"id\": \"doe99\", \"type\": \"book\", …}]`"),
                );
                Vec::new()
            }
        },
        "yaml" | "yml" => match serde_yaml::from_str::<Value>(&text) {
            // pandoc's CSL YAML: a mapping with `references:`, or the list itself.
            Ok(Value::Object(mut map)) if map.contains_key("references") => {
                let refs = map.remove("references").unwrap_or(Value::Null);
                csl_items(refs, name, whole, diags)
            }
            Ok(value) => csl_items(value, name, whole, diags),
            Err(e) => {
                let offset = e
                    .location()
                    .map_or(0, |l| offset_of(&text, l.line(), l.column() + 1));
                let message = e.to_string();
                let message = message.split(" at line").next().unwrap_or(&message);
                diags.push(Diagnostic::error(
                    Span::new(id, offset, offset),
                    format!("`{name}` is not valid CSL YAML: {message}"),
                ));
                Vec::new()
            }
        },
        _ => {
            diags.push(
                Diagnostic::error(at, format!("bibliography `{name}`: quire reads `.bib`, `.json` and `.yaml` files"))
                    .with_hint("give a BibTeX/BibLaTeX file (`.bib`), CSL JSON (`.json`) or CSL YAML (`.yaml`)"),
            );
            Vec::new()
        }
    }
}

/// The byte offset of 1-based `line` and `col` (characters) in `text`.
fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = text.get(start..).unwrap_or("");
    start
        + rest
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}

/// A BibTeX/BibLaTeX file's entries; a syntax error is an error at its place, and an
/// entry hayagriva cannot read is reported and left out.
fn read_bib(
    text: &str,
    id: crate::source::FileId,
    diags: &mut Vec<Diagnostic>,
    case: Casing,
) -> Vec<(Entry, Span)> {
    let span = |r: &std::ops::Range<usize>| Span::new(id, r.start, r.end);
    let raw = match biblatex::RawBibliography::parse(text) {
        Ok(raw) => raw,
        Err(e) => {
            diags.push(
                Diagnostic::error(span(&e.span), format!("BibTeX syntax error: {}", e.kind))
                    .with_hint("each entry is `@type{key, field = {value}, …}`"),
            );
            return Vec::new();
        }
    };
    let keys: HashMap<String, Span> = raw
        .entries
        .iter()
        .map(|e| (e.v.key.v.to_string(), span(&e.v.key.span)))
        .collect();
    let bibliography = match biblatex::Bibliography::from_raw(raw) {
        Ok(b) => b,
        Err(e) => {
            diags.push(Diagnostic::error(
                span(&e.span),
                format!("BibTeX: {}", e.kind),
            ));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for entry in bibliography.iter() {
        let at = keys
            .get(&entry.key)
            .copied()
            .unwrap_or(Span::file_start(id));
        let mut entry = as_pandoc_reads(entry, case);
        // An `inproceedings`: its `booktitle` goes to a parent of its own (below).
        let booktitle = (entry.entry_type == biblatex::EntryType::InProceedings)
            .then(|| entry.fields.remove("booktitle"))
            .flatten();
        let entry = &entry;
        match Entry::try_from(entry) {
            Ok(e) => out.push((proceedings_title_as_container(e, booktitle), at)),
            Err(e) => diags.push(
                Diagnostic::error(
                    span(&e.span),
                    format!("BibTeX entry `{}`: {}", entry.key, e.kind),
                )
                .with_hint("the entry is left out of the bibliography until this field is fixed"),
            ),
        }
    }
    out
}

/// A BibTeX entry with the fields pandoc's BibTeX reader (`Citeproc.BibTeX`) derives
/// and hayagriva's conversion leaves out: a thesis's or report's school or institution is
/// its CSL `publisher` (hayagriva keeps it as an organization no style prints), and a
/// thesis's kind its `genre` ("PhD thesis", "Master's thesis").
fn as_pandoc_reads(entry: &biblatex::Entry, case: Casing) -> biblatex::Entry {
    let mut e = entry.clone();
    // pandoc's BibTeX reader makes `incollection` and `inbook` the same CSL `chapter`
    // whose `container-title` is the `booktitle`. hayagriva makes an incollection an
    // `Anthos` in an `Anthology` and then also serves the anthology's title as
    // `volume-title`, which Chicago prints a second time ("… edited by X, Book Title.").
    // As an `inbook` (a `Chapter` in a `Book`) it is the same CSL chapter, once.
    if e.entry_type == biblatex::EntryType::InCollection {
        e.entry_type = biblatex::EntryType::InBook;
    }
    // pandoc's reader gives a title with a colon a short title, the part before it
    // (`Citeproc.BibTeX`: `getShortTitle True "title"` when there is no `shorttitle`):
    // Chicago's short notes then read "Deutscher, Stalin, 310."
    if !e.fields.contains_key("shorttitle") {
        if let Some(short) = e.fields.get("title").and_then(|t| before_colon(t)) {
            e.fields.insert("shorttitle".into(), short);
        }
    }
    for field in TITLE_FIELDS {
        if let Some(chunks) = e.fields.get_mut(*field) {
            *chunks = protect_case(chunks, case);
        }
    }
    let kind = match &e.entry_type {
        biblatex::EntryType::PhdThesis => Some("PhD thesis"),
        biblatex::EntryType::MastersThesis => Some("Master’s thesis"),
        _ => None,
    };
    let thesis_or_report = kind.is_some()
        || matches!(
            e.entry_type,
            biblatex::EntryType::Thesis
                | biblatex::EntryType::Report
                | biblatex::EntryType::TechReport
        );
    // pandoc's reader reads a `techreport` as a CSL `report` without a genre (pandoc
    // prints "NIE 11-3-57. Central Intelligence Agency."); hayagriva gives it the genre
    // "technical report", which Chicago prints. A `type` field still gives one.
    if e.entry_type == biblatex::EntryType::TechReport && !e.fields.contains_key("type") {
        e.entry_type = biblatex::EntryType::Report;
    }
    // pandoc's reader makes `organization` a publisher too, whatever the type
    // (`Citeproc.BibTeX`: publisher from "school", "institution", "organization",
    // "howpublished", "publisher"): an `@online` page's site ("Marxists Internet
    // Archive") is printed as Chicago prints a web page's publisher.
    let fields: &[&str] = if thesis_or_report {
        &["school", "institution", "organization"]
    } else {
        &["organization"]
    };
    if !e.fields.contains_key("publisher") {
        let from = fields.iter().find_map(|f| e.fields.get(*f).cloned());
        if let Some(value) = from {
            e.fields.insert("publisher".into(), value);
        }
    }
    if let Some(kind) = kind {
        e.fields
            .entry("type".into())
            .or_insert_with(|| vec![Spanned::detached(Chunk::Normal(kind.into()))]);
    }
    e
}

/// A paper in proceedings with the proceedings' title as its `container-title` only.
///
/// pandoc's BibTeX reader makes an `inproceedings` a CSL `paper-conference` whose
/// `booktitle` is the `container-title` (pandoc prints "Proceedings of the Annual
/// Conference … (Exeter), 134–55."). hayagriva makes it an `Article` in `Proceedings`
/// and serves the proceedings' title as `volume-title` too (its selector
/// `Article > Proceedings`), which Chicago prints as a special issue ("In “Proceedings
/// ….” Special issue, Proceedings …"); CSL 1.0.2 Appendix IV has `volume-title` for "the
/// title of the volume", not of the container. So the title sits on a `Book` parent,
/// which hayagriva reads first for the container, and the `Proceedings` parent (which
/// makes the item a `paper-conference`, and holds its publisher) keeps none.
fn proceedings_title_as_container(
    mut entry: Entry,
    booktitle: Option<Vec<Spanned<Chunk>>>,
) -> Entry {
    let Some(title) = booktitle else {
        return entry;
    };
    let key = entry.key().to_string();
    let mut parents = entry.parents().to_vec();
    if !parents
        .iter()
        .any(|p| *p.entry_type() == hayagriva::types::EntryType::Proceedings)
    {
        parents.push(Entry::new(&key, hayagriva::types::EntryType::Proceedings));
    }
    let mut book = Entry::new(&key, hayagriva::types::EntryType::Book);
    book.set_title(hayagriva::types::FormatString::from(title.as_slice()));
    parents.insert(0, book);
    entry.set_parents(parents);
    entry
}

/// The fields pandoc's BibTeX reader reads as titles (`Citeproc.BibTeX`: `getTitle`).
const TITLE_FIELDS: &[&str] = &[
    "title",
    "subtitle",
    "titleaddon",
    "shorttitle",
    "booktitle",
    "booksubtitle",
    "maintitle",
    "mainsubtitle",
    "journal",
    "journaltitle",
    "journalsubtitle",
    "series",
    "eventtitle",
];

/// What the style does to titles, for [`protect_case`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Casing {
    /// The style title-cases some variable (`text-case="title"`) and the book is in
    /// English (CSL 1.0.2 §"Text-case": title case "only applies to English").
    pub title_case: bool,
}

/// The words CSL 1.0.2 §"Text-case" lowercases in title case (its list of stop words).
/// hayagriva's list (`lang::en::NEVER_CAPITALIZE`) holds more: the words of this one
/// that are not stop words are capitalized as CSL, and pandoc's citeproc, capitalize
/// them ("Workers Against Bosses", "Growth Since 1928").
const HAYAGRIVA_ONLY_STOP_WORDS: &[&str] = &[
    "above",
    "across",
    "against",
    "among",
    "around",
    "behind",
    "below",
    "beneath",
    "beside",
    "between",
    "during",
    "front",
    "inside",
    "near",
    "since",
    "toward",
    "under",
    "underneath",
    "until",
    "within",
];

/// A title's text with the words a case transformation must leave alone marked verbatim
/// (as `{}` marks them in BibTeX):
/// - a word with a capital after its first letter ("USSR", "McCarthy"): CSL 1.0.2
///   §"Text-case" keeps "the case of words in mixed or uppercase" in title and sentence
///   case, and pandoc's BibTeX reader leaves them as written; hayagriva's title case
///   lowercases all but the first letter ("Ussr") unless it recognises the word;
/// - in a style that title-cases, a word hayagriva takes for a stop word and CSL does
///   not, capitalized (see [`HAYAGRIVA_ONLY_STOP_WORDS`]).
///
/// Words are split at spaces and hyphens, as hayagriva's title case splits them.
fn protect_case(chunks: &[Spanned<Chunk>], case: Casing) -> Vec<Spanned<Chunk>> {
    let mut out: Vec<Spanned<Chunk>> = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        let Chunk::Normal(text) = &chunk.v else {
            out.push(chunk.clone());
            continue;
        };
        let mut normal = String::new();
        let flush = |normal: &mut String, out: &mut Vec<Spanned<Chunk>>, span| {
            if !normal.is_empty() {
                out.push(Spanned::new(Chunk::Normal(std::mem::take(normal)), span));
            }
        };
        for piece in
            text.split_inclusive(|c: char| c.is_whitespace() || matches!(c, '-' | '–' | '—'))
        {
            // The word inside its punctuation: "(USSR)," → "USSR".
            let core = piece.trim_matches(|c: char| !c.is_alphanumeric());
            let start = piece.find(core).unwrap_or(0);
            let (before, rest) = piece.split_at(start);
            let (_, after) = rest.split_at(core.len());
            let mixed = core.chars().skip(1).any(char::is_uppercase);
            let lower = core.to_lowercase();
            let capitalize =
                case.title_case && !mixed && HAYAGRIVA_ONLY_STOP_WORDS.contains(&lower.as_str());
            if core.is_empty() || !(mixed || capitalize) {
                normal.push_str(piece);
                continue;
            }
            normal.push_str(before);
            flush(&mut normal, &mut out, chunk.span.clone());
            let word = if capitalize {
                let mut chars = lower.chars();
                chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            } else {
                core.to_string()
            };
            out.push(Spanned::new(Chunk::Verbatim(word), chunk.span.clone()));
            normal.push_str(after);
        }
        flush(&mut normal, &mut out, chunk.span.clone());
    }
    out
}

/// The chunks of a title before its first colon outside `{}` (None without one).
fn before_colon(title: &[Spanned<Chunk>]) -> Option<Vec<Spanned<Chunk>>> {
    let mut out = Vec::new();
    for chunk in title {
        if let Chunk::Normal(text) = &chunk.v {
            if let Some(at) = text.find(':') {
                let head = text[..at].trim_end();
                if !head.is_empty() {
                    out.push(Spanned::new(Chunk::Normal(head.into()), chunk.span.clone()));
                }
                return (!out.is_empty()).then_some(out);
            }
        }
        out.push(chunk.clone());
    }
    None
}

/// CSL items (JSON or YAML) as entries.
fn csl_items(
    value: Value,
    name: &str,
    at: Span,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(Entry, Span)> {
    let items = match value {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match csl_entry(item) {
            Ok(entry) => out.push((entry, at)),
            Err(problem) => diags.push(Diagnostic::error(
                at,
                format!("`{name}`, item {}: {problem}", i + 1),
            )),
        }
    }
    out
}

/// The text of a CSL value (a string or a number).
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// One CSL item (CSL 1.0.2 Appendix IV, "Variables"; the CSL-JSON schema) as a
/// hayagriva entry, through the BibLaTeX entry it corresponds to (the mapping of
/// biblatex-csl-converter and pandoc's `Citeproc.BibTeX`, read the other way).
fn csl_entry(item: &Value) -> Result<Entry, String> {
    let Value::Object(map) = item else {
        return Err("a source must be a mapping of CSL variables".into());
    };
    let key = map
        .get("id")
        .and_then(text_of)
        .ok_or("the source has no `id`")?;
    let csl_type = map.get("type").and_then(text_of).unwrap_or_default();
    let (tex_type, container) = match csl_type.as_str() {
        "article-journal" | "article-magazine" | "article-newspaper" | "article" => {
            ("article", "journaltitle")
        }
        "book" => ("book", ""),
        "chapter" => ("incollection", "booktitle"),
        "paper-conference" => ("inproceedings", "booktitle"),
        "entry-encyclopedia" | "entry-dictionary" | "entry" => ("inreference", "booktitle"),
        "thesis" => ("thesis", ""),
        "report" => ("report", ""),
        "webpage" | "post-weblog" | "post" => ("online", "organization"),
        "manuscript" => ("unpublished", ""),
        "dataset" => ("dataset", ""),
        "software" => ("software", ""),
        "motion_picture" | "broadcast" => ("video", ""),
        "" => return Err(format!("the source `{key}` has no `type`")),
        _ => ("misc", "howpublished"),
    };
    let mut fields: BTreeMap<String, Vec<Spanned<Chunk>>> = BTreeMap::new();
    let mut put = |field: &str, chunks: Vec<Chunk>| {
        if !chunks.is_empty() {
            fields.insert(
                field.to_string(),
                chunks.into_iter().map(Spanned::detached).collect(),
            );
        }
    };
    // Values are taken as written: a `Normal` chunk is not read as TeX, so nothing in
    // them needs escaping; `Verbatim` keeps a name whole (a braced BibTeX name).
    let plain = |field: &str| {
        map.get(field)
            .and_then(text_of)
            .map(|s| vec![Chunk::Normal(s)])
    };
    for (csl, tex) in [
        ("title", "title"),
        ("title-short", "shorttitle"),
        ("collection-title", "series"),
        ("collection-number", "number"),
        ("publisher", "publisher"),
        ("publisher-place", "location"),
        ("event-place", "venue"),
        ("volume", "volume"),
        ("issue", "number"),
        ("number", "number"),
        ("page", "pages"),
        ("edition", "edition"),
        ("number-of-pages", "pagetotal"),
        ("DOI", "doi"),
        ("URL", "url"),
        ("ISBN", "isbn"),
        ("ISSN", "issn"),
        ("note", "note"),
        ("genre", "type"),
        ("language", "langid"),
        ("version", "version"),
    ] {
        if let Some(v) = plain(csl) {
            put(tex, v);
        }
    }
    if !container.is_empty() {
        if let Some(v) = plain("container-title") {
            put(container, v);
        }
    }
    // A thesis's or report's publisher is its school or institution.
    if matches!(tex_type, "thesis" | "report") {
        if let Some(v) = plain("publisher") {
            put("institution", v);
        }
    }
    for (csl, tex) in [
        ("author", "author"),
        ("editor", "editor"),
        ("translator", "translator"),
        ("container-author", "bookauthor"),
    ] {
        if let Some(Value::Array(names)) = map.get(csl) {
            put(tex, name_chunks(names));
        }
    }
    for (csl, tex) in [("issued", "date"), ("accessed", "urldate")] {
        if let Some(d) = map.get(csl).and_then(date_text) {
            put(tex, vec![Chunk::Normal(d)]);
        }
    }
    let entry = biblatex::Entry {
        key: key.clone(),
        entry_type: biblatex::EntryType::new(tex_type),
        fields,
    };
    Entry::try_from(&entry).map_err(|e| format!("the source `{key}`: {}", e.kind))
}

/// CSL names as BibLaTeX name chunks: `{particle} {family}, {suffix}, {given}` joined by
/// ` and `, a literal name (an institution) verbatim.
fn name_chunks(names: &[Value]) -> Vec<Chunk> {
    let mut out = Vec::new();
    for name in names {
        let Value::Object(n) = name else { continue };
        let get = |k: &str| n.get(k).and_then(text_of).filter(|s| !s.is_empty());
        if !out.is_empty() {
            out.push(Chunk::Normal(" and ".into()));
        }
        if let Some(literal) = get("literal").or_else(|| {
            get("family")
                .filter(|_| get("given").is_none() && get("non-dropping-particle").is_none())
        }) {
            out.push(Chunk::Verbatim(literal));
            continue;
        }
        let particle = get("non-dropping-particle").or_else(|| get("dropping-particle"));
        if let Some(p) = particle {
            out.push(Chunk::Normal(format!("{p} ")));
        }
        out.push(Chunk::Verbatim(get("family").unwrap_or_default()));
        if let Some(suffix) = get("suffix") {
            out.push(Chunk::Normal(format!(", {suffix}")));
        }
        if let Some(given) = get("given") {
            out.push(Chunk::Normal(format!(", {given}")));
        }
    }
    out
}

/// A CSL date (`{"date-parts": [[2006, 3, 1]]}`, `{"raw": "2006"}`, or a string) as an
/// ISO 8601 date, the first of a range (hayagriva has no date ranges).
fn date_text(v: &Value) -> Option<String> {
    let num = |v: &Value| match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Object(m) => {
            if let Some(Value::Array(ranges)) = m.get("date-parts") {
                let Some(Value::Array(parts)) = ranges.first() else {
                    return None;
                };
                let year = parts.first().and_then(num)?;
                let mut s = format!("{year:04}");
                if let Some(month) = parts.get(1).and_then(num) {
                    s.push_str(&format!("-{month:02}"));
                    if let Some(day) = parts.get(2).and_then(num) {
                        s.push_str(&format!("-{day:02}"));
                    }
                }
                return Some(s);
            }
            m.get("raw")
                .or_else(|| m.get("literal"))
                .and_then(text_of)
                .map(|s| s.split('/').next().unwrap_or("").trim().to_string())
                .filter(|s| !s.is_empty())
        }
        _ => None,
    }
}

impl Library {
    /// The keys closest to `key` (for a key that names no source), best first.
    pub fn closest(&self, key: &str) -> Vec<&str> {
        let mut scored: Vec<(f64, &str)> = self
            .by_key
            .keys()
            .map(|k| (strsim::normalized_damerau_levenshtein(key, k), k.as_str()))
            .filter(|(s, _)| *s >= 0.5)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored.into_iter().take(3).map(|(_, k)| k).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn chunks(parts: &[(&str, bool)]) -> Vec<Spanned<Chunk>> {
        parts
            .iter()
            .map(|(t, verbatim)| {
                Spanned::detached(if *verbatim {
                    Chunk::Verbatim((*t).into())
                } else {
                    Chunk::Normal((*t).into())
                })
            })
            .collect()
    }

    fn values(c: &[Spanned<Chunk>]) -> Vec<(String, bool)> {
        c.iter()
            .map(|c| match &c.v {
                Chunk::Verbatim(t) => (t.clone(), true),
                Chunk::Normal(t) | Chunk::Math(t) => (t.clone(), false),
            })
            .collect()
    }

    #[test]
    fn acronyms_stay_and_csl_capitalizes_what_it_does_not_stop() {
        let title = chunks(&[(
            "Victims in the USSR, Workers against Bosses since McCarthy",
            false,
        )]);
        let on = Casing { title_case: true };
        assert_eq!(
            values(&protect_case(&title, on)),
            vec![
                ("Victims in the ".into(), false),
                ("USSR".into(), true),
                (", Workers ".into(), false),
                ("Against".into(), true),
                (" Bosses ".into(), false),
                ("Since".into(), true),
                (" ".into(), false),
                ("McCarthy".into(), true),
            ]
        );
        // Without title case only the mixed-case words are kept as written.
        let off = values(&protect_case(&title, Casing { title_case: false }));
        assert!(off.contains(&("USSR".into(), true)));
        assert!(off
            .iter()
            .any(|(t, v)| !v && t.contains("against Bosses since ")));
        // Hyphens part words; `{}` text is left as it is.
        let t = chunks(&[("Labor-Management ", false), ("iPhone", true)]);
        assert_eq!(values(&protect_case(&t, on)), values(&t));
    }

    #[test]
    fn bibtex_types_as_pandoc_reads_them() {
        let bib = "@incollection{a, title={T}, booktitle={B}, editor={E, F}, publisher={P}, year={2000}}\n\
                   @techreport{b, title={R}, institution={I}, number={NIE 11-3-57}, year={1957}}\n\
                   @online{c, title={W}, organization={Marxists Internet Archive}, year={1936}}";
        let b = biblatex::Bibliography::parse(bib).unwrap();
        let on = Casing { title_case: true };
        let a = as_pandoc_reads(b.get("a").unwrap(), on);
        assert_eq!(a.entry_type, biblatex::EntryType::InBook);
        let r = as_pandoc_reads(b.get("b").unwrap(), on);
        assert_eq!(r.entry_type, biblatex::EntryType::Report);
        assert!(r.fields.contains_key("publisher"));
        // An inproceedings: the booktitle on a Book parent read first as the container,
        // the Proceedings parent (paper-conference) without a title (no volume-title).
        let p = biblatex::Bibliography::parse(
            "@inproceedings{p, title={T}, booktitle={Proc}, publisher={P}, year={1998}}",
        )
        .unwrap();
        let mut raw = p.get("p").unwrap().clone();
        let booktitle = raw.fields.remove("booktitle");
        let e = proceedings_title_as_container(Entry::try_from(&raw).unwrap(), booktitle);
        let kinds: Vec<_> = e.parents().iter().map(|p| *p.entry_type()).collect();
        assert_eq!(kinds[0], hayagriva::types::EntryType::Book);
        assert_eq!(e.parents()[0].title().unwrap().to_string(), "Proc");
        assert!(e
            .parents()
            .iter()
            .filter(|p| *p.entry_type() == hayagriva::types::EntryType::Proceedings)
            .all(|p| p.title().is_none()));
        let c = as_pandoc_reads(b.get("c").unwrap(), on);
        assert!(c.fields.contains_key("publisher"));
        // A short title from the part before the colon; none without a colon.
        let t = chunks(&[("Stalin: A Political Biography", false)]);
        assert_eq!(
            values(&before_colon(&t).unwrap()),
            vec![("Stalin".into(), false)]
        );
        assert!(before_colon(&chunks(&[("Forever Flowing", false)])).is_none());
    }
}
