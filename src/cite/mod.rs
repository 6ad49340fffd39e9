//! Citations and the bibliography (issue 16): the stage between the parser and the
//! backends that does what pandoc's `--citeproc` does.
//!
//! The parser leaves each citation as an [`Inline::Cite`]. When the book names sources
//! (`bibliography`, `references`), [`resolve`] reads them and the style through the file
//! layer, runs every citation through hayagriva's CSL 1.0.2 processor in reading order
//! (a citation in a note where the note is referenced), and puts the result back:
//! - a style of the note class (CSL 1.0.2 §"Style", `class="note"`) turns each citation
//!   outside a note into a note of the book, numbered with the others; one inside a note
//!   stays in it (pandoc's MANUAL, "Citations": "citations in notes are not put in
//!   further notes");
//! - an in-text style renders it in place;
//! - the bibliography goes where a `{#refs}` heading stands (a `::: {#refs}` div once
//!   divs exist), else at the end as its own section.
//!
//! Without sources the citations are the text as written, as pandoc leaves them without
//! `--citeproc`; hayagriva is not even loaded then.

mod locator;
mod render;
mod sources;
mod style;

use crate::diag::Diagnostic;
use crate::files::Files;
use crate::model::{
    Attr, Block, Book, Chapter, Citation, CiteMode, CiteSettings, Inline, LinkTarget, Note, NoteId,
    NoteNumbering,
};
use crate::parse::walk::{any_inline, for_each_inline_list, rewrite_blocks, Rewritten};
use crate::source::{SourceMap, Span};
use hayagriva::{
    BibliographyDriver, BibliographyRequest, CitationItem, CitationRequest, CitePurpose, ElemChild,
    ElemChildren, ElemMeta, LocatorPayload, SpecificLocator,
};
use std::collections::HashSet;

/// Resolves every citation of `book` (see the module docs). Files read (bibliographies,
/// the style) are added to `sources`, so their problems are shown at their own lines.
pub fn resolve(
    book: &mut Book,
    files: &Files<'_>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) {
    if !CiteSettings::any(&book.meta) {
        // A book without sources pays one read-only scan.
        if has_citations(book) {
            restore(book);
        }
        return;
    }
    let errors_before = diags.iter().filter(|d| d.is_error()).count();
    let style = style::load(&book.meta, files, sources, diags);
    let casing = sources::Casing {
        title_case: book.meta.lang.primary() == "en"
            && style.as_ref().is_some_and(style::LoadedStyle::title_cases),
    };
    let library = sources::load(&book.meta, files, sources, diags, casing);
    let failed =
        |diags: &Vec<Diagnostic>| diags.iter().filter(|d| d.is_error()).count() > errors_before;
    let Some(style) = style.filter(|_| !failed(diags)) else {
        restore(book);
        return;
    };
    let mut sites = collect(book);
    check_keys(&mut sites, &library, diags);
    if failed(diags) {
        restore(book);
        return;
    }
    let nocite = nocite_entries(&book.meta, &library, diags);
    let plan = plan_notes(book, &sites, style.is_note());
    let rendered = run(book, &sites, &library, &style, &plan, &nocite);
    apply(book, sites, plan, rendered, &style);
}

/// Whether the book holds a citation (a read-only scan).
fn has_citations(book: &Book) -> bool {
    let is_cite = |i: &Inline| matches!(i, Inline::Cite(_));
    book.chapters.iter().any(|c| {
        c.title.as_ref().is_some_and(|t| t.iter().any(is_cite)) || any_inline(&c.blocks, &is_cite)
    }) || book.notes.iter().any(|n| any_inline(&n.blocks, &is_cite))
        || any_inline(&book.meta.r#abstract, &is_cite)
}

/// Every citation back to its text as written.
fn restore(book: &mut Book) {
    let mut f = |inline: Inline| match inline {
        Inline::Cite(c) => Rewritten::Many(c.fallback),
        other => Rewritten::One(other),
    };
    for chapter in &mut book.chapters {
        if let Some(title) = &mut chapter.title {
            crate::parse::walk::rewrite_inlines(title, &mut f);
        }
        rewrite_blocks(&mut chapter.blocks, &mut f);
    }
    for note in &mut book.notes {
        rewrite_blocks(&mut note.blocks, &mut f);
    }
    rewrite_blocks(&mut book.meta.r#abstract, &mut f);
}

/// Where a citation stands.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Place {
    /// In the text of a chapter.
    Text { chapter: usize },
    /// In a note (its index in [`Book::notes`] before this stage).
    Note { note: usize },
}

/// One citation of the book, in storage order (chapters, then notes).
struct Site {
    cite: Citation,
    place: Place,
    /// In a note: whether the citation opens its paragraph (pandoc then sets it as a
    /// note of its own would be: no parentheses) and whether punctuation follows it.
    in_note: Option<(bool, Option<char>)>,
    /// An `@word` that names no source: its text stays (it may be an e-mail handle or an
    /// example reference).
    text_only: bool,
    /// The index of each item's source in the library.
    entries: Vec<usize>,
}

/// What the reader meets in order: a citation or a note's first reference.
#[derive(Clone, Copy)]
enum Mark {
    Cite(usize),
    Note(usize),
}

/// The citations in storage order, and marks for the reading order.
struct Sites {
    list: Vec<Site>,
    /// Marks in the chapters' text, in order.
    text: Vec<Mark>,
    /// Marks in each note.
    notes: Vec<Vec<Mark>>,
}

/// Visits every inline in storage order: chapters (title, then text), then notes, then
/// the abstract (which no note numbering sees).
fn walk_book(book: &mut Book, f: &mut dyn FnMut(Inline, Option<Place>) -> Rewritten) {
    for (index, chapter) in book.chapters.iter_mut().enumerate() {
        let place = Some(Place::Text { chapter: index });
        let mut g = |i| f(i, place);
        if let Some(title) = &mut chapter.title {
            crate::parse::walk::rewrite_inlines(title, &mut g);
        }
        rewrite_blocks(&mut chapter.blocks, &mut g);
    }
    for (index, note) in book.notes.iter_mut().enumerate() {
        let place = Some(Place::Note { note: index });
        rewrite_blocks(&mut note.blocks, &mut |i| f(i, place));
    }
    rewrite_blocks(&mut book.meta.r#abstract, &mut |i| f(i, None));
}

/// Where each citation in a note stands in its list, by its span: first or not, and the
/// character after it.
fn note_contexts(book: &mut Book) -> std::collections::HashMap<Span, (bool, Option<char>)> {
    let mut out = std::collections::HashMap::new();
    for note in &mut book.notes {
        for_each_inline_list(&mut note.blocks, &mut |list| {
            for (i, inline) in list.iter().enumerate() {
                if let Inline::Cite(c) = inline {
                    let next = match list.get(i + 1) {
                        Some(Inline::Text(t)) => t.chars().next(),
                        _ => None,
                    };
                    out.insert(c.span, (i == 0, next));
                }
            }
        });
    }
    out
}

fn collect(book: &mut Book) -> Sites {
    let contexts = note_contexts(book);
    let mut sites = Sites {
        list: Vec::new(),
        text: Vec::new(),
        notes: vec![Vec::new(); book.notes.len()],
    };
    walk_book(book, &mut |inline, place| {
        match (&inline, place) {
            (Inline::Cite(c), _) => {
                let in_note = match place {
                    Some(Place::Note { .. }) => contexts.get(&c.span).copied(),
                    _ => None,
                };
                let k = sites.list.len();
                sites.list.push(Site {
                    in_note,
                    cite: (**c).clone(),
                    // The abstract is read before the text: its citations render as
                    // in the text of the first chapter.
                    place: place.unwrap_or(Place::Text { chapter: 0 }),
                    text_only: false,
                    entries: Vec::new(),
                });
                match place {
                    Some(Place::Note { note }) => sites.notes[note].push(Mark::Cite(k)),
                    _ => sites.text.push(Mark::Cite(k)),
                }
            }
            (
                Inline::NoteRef {
                    note,
                    occurrence: 0,
                },
                Some(p),
            ) => match p {
                Place::Text { .. } => sites.text.push(Mark::Note(note.index())),
                Place::Note { note: n } => sites.notes[n].push(Mark::Note(note.index())),
            },
            _ => {}
        }
        Rewritten::One(inline)
    });
    sites
}

/// Every key names a source; an `@word` alone in the text that names none stays text,
/// with a warning (it may be meant as text); any other unknown key is an error.
fn check_keys(sites: &mut Sites, library: &sources::Library, diags: &mut Vec<Diagnostic>) {
    for site in &mut sites.list {
        let bare = site.cite.items.len() == 1
            && site.cite.items[0].mode != CiteMode::Normal
            && site.cite.items[0].prefix.is_empty()
            && site.cite.items[0].suffix.is_empty();
        for item in &site.cite.items {
            match library.by_key.get(&item.key) {
                Some(&i) => site.entries.push(i),
                None => {
                    let close = library.closest(&item.key);
                    let hint = if close.is_empty() {
                        "no source has a key like it; check the bibliography files".to_string()
                    } else {
                        format!(
                            "the closest keys: {}",
                            close
                                .iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    };
                    if bare {
                        // pandoc: "an `@word` that is not a key … stays text".
                        site.text_only = true;
                        diags.push(
                            Diagnostic::warning(
                                item.span,
                                format!(
                                    "`@{}` names no source; it is printed as written",
                                    item.key
                                ),
                            )
                            .with_hint(format!("{hint} (write `\\@` for a literal `@`)")),
                        );
                    } else {
                        diags.push(
                            Diagnostic::error(
                                item.span,
                                format!("the citation key `{}` is in no bibliography", item.key),
                            )
                            .with_hint(hint),
                        );
                    }
                }
            }
        }
    }
}

/// The entries `nocite` adds (`@*`: all), warning about keys that name nothing.
fn nocite_entries(
    meta: &crate::model::Metadata,
    library: &sources::Library,
    diags: &mut Vec<Diagnostic>,
) -> Vec<usize> {
    let mut out = Vec::new();
    for written in &meta.nocite {
        // pandoc's `nocite` holds citations: `@a, @b` or `[@a; @b]`.
        for key in written.split([',', ';', ' ', '[', ']']) {
            let Some(key) = key.trim().strip_prefix('@') else {
                continue;
            };
            let key = key.trim_start_matches('{').trim_end_matches('}');
            if key == "*" {
                out.extend(0..library.entries.len());
            } else if let Some(&i) = library.by_key.get(key) {
                out.push(i);
            } else {
                diags.push(Diagnostic::warning(
                    meta.cite.nocite_at,
                    format!("nocite: `@{key}` is in no bibliography"),
                ));
            }
        }
    }
    out
}

/// The notes after this stage: old ones and ones made from citations.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Slot {
    Old(usize),
    New(usize),
}

/// The new note order.
struct NotePlan {
    /// Notes in their new id order.
    slots: Vec<Slot>,
    /// Old note index → new id.
    old_to_new: Vec<u32>,
    /// Citation site → the new note made from it.
    site_note: Vec<Option<u32>>,
    /// New id → number shown.
    numbers: Vec<u32>,
}

/// Numbers the notes as `parse::notes` does (ids in order of first reference in the
/// text, then references inside notes), with a note for each citation in the text when
/// the style is of the note class.
fn plan_notes(book: &Book, sites: &Sites, note_style: bool) -> NotePlan {
    let mut slots = Vec::new();
    let mut seen = vec![false; book.notes.len()];
    for mark in &sites.text {
        match *mark {
            Mark::Cite(k) if note_style && !sites.list[k].text_only => {
                if matches!(sites.list[k].place, Place::Text { .. }) {
                    slots.push(Slot::New(k));
                }
            }
            Mark::Note(n) if n < seen.len() && !seen[n] => {
                seen[n] = true;
                slots.push(Slot::Old(n));
            }
            _ => {}
        }
    }
    let mut i = 0;
    while i < slots.len() {
        if let Slot::Old(n) = slots[i] {
            for mark in &sites.notes[n] {
                if let Mark::Note(m) = *mark {
                    if m < seen.len() && !seen[m] {
                        seen[m] = true;
                        slots.push(Slot::Old(m));
                    }
                }
            }
        }
        i += 1;
    }
    // A note no walk reached (cannot happen: every note is referenced) keeps a place.
    for (n, s) in seen.iter().enumerate() {
        if !s {
            slots.push(Slot::Old(n));
        }
    }
    let mut old_to_new = vec![0; book.notes.len()];
    let mut site_note = vec![None; sites.list.len()];
    let mut numbers = Vec::with_capacity(slots.len());
    let mut per_chapter = std::collections::BTreeMap::new();
    for (id, slot) in slots.iter().enumerate() {
        let chapter = match *slot {
            Slot::Old(n) => {
                old_to_new[n] = id as u32;
                book.notes[n].chapter
            }
            Slot::New(k) => {
                site_note[k] = Some(id as u32);
                match sites.list[k].place {
                    Place::Text { chapter } => chapter,
                    Place::Note { .. } => 0,
                }
            }
        };
        numbers.push(match book.meta.note_numbering {
            NoteNumbering::Book => id as u32 + 1,
            NoteNumbering::Chapter => {
                let n = per_chapter.entry(chapter).or_insert(0u32);
                *n += 1;
                *n
            }
        });
    }
    NotePlan {
        slots,
        old_to_new,
        site_note,
        numbers,
    }
}

/// The sites in the order a reader meets them: a note's citations where the note is
/// first referenced.
fn reading_order(sites: &Sites) -> Vec<usize> {
    fn expand(marks: &[Mark], sites: &Sites, seen: &mut [bool], out: &mut Vec<usize>) {
        for mark in marks {
            match *mark {
                Mark::Cite(k) => out.push(k),
                Mark::Note(n) if n < seen.len() && !seen[n] => {
                    seen[n] = true;
                    expand(&sites.notes[n], sites, seen, out);
                }
                _ => {}
            }
        }
    }
    let mut seen = vec![false; sites.notes.len()];
    let mut out = Vec::with_capacity(sites.list.len());
    expand(&sites.text, sites, &mut seen, &mut out);
    out
}

/// What the processor gave back.
struct Output {
    /// Per site: the citation's rendering (empty for a text-only site).
    citations: Vec<ElemChildren>,
    /// Per site and item: the author alone, for an author in the text.
    authors: Vec<Vec<Option<ElemChildren>>>,
    /// Per site and item: the suffix left after its locator.
    suffixes: Vec<Vec<Vec<Inline>>>,
    /// The bibliography: each entry's key and its rendering (the first field apart).
    bibliography: Vec<(String, Option<ElemChild>, ElemChildren)>,
    /// Whether the style has a bibliography at all.
    has_bibliography: bool,
}

/// Runs the citations through hayagriva, in reading order.
fn run(
    book: &Book,
    sites: &Sites,
    library: &sources::Library,
    style: &style::LoadedStyle,
    plan: &NotePlan,
    nocite: &[usize],
) -> Output {
    let locales = hayagriva::archive::locales();
    // Locators and the suffixes left after them, read before the driver borrows them.
    let mut locators: Vec<Vec<Option<locator::Found>>> = Vec::with_capacity(sites.list.len());
    let mut suffixes = Vec::with_capacity(sites.list.len());
    for site in &sites.list {
        let mut locs = Vec::new();
        let mut sufs = Vec::new();
        for item in &site.cite.items {
            let (mut loc, rest) = split_locator(&item.suffix);
            if let Some(found) = loc.as_mut() {
                found.value = locator::page_ranges(
                    found.kind,
                    &found.value,
                    style.csl.settings.page_range_format,
                );
            }
            locs.push(loc);
            sufs.push(rest);
        }
        locators.push(locs);
        suffixes.push(sufs);
    }
    let note_of = |k: usize| -> Option<usize> {
        match sites.list[k].place {
            Place::Text { .. } => plan.site_note[k].map(|id| plan.numbers[id as usize] as usize),
            Place::Note { note } => plan
                .old_to_new
                .get(note)
                .map(|&id| plan.numbers[id as usize] as usize),
        }
    };
    let order = reading_order(sites);
    let mut driver: BibliographyDriver<'_, hayagriva::Entry> = BibliographyDriver::new();
    let mut requested = Vec::with_capacity(order.len());
    for &k in &order {
        let site = &sites.list[k];
        if site.text_only || site.entries.is_empty() {
            continue;
        }
        let items = site
            .entries
            .iter()
            .zip(&locators[k])
            .map(|(&e, loc)| {
                let locator = loc
                    .as_ref()
                    .map(|l| SpecificLocator(l.kind, LocatorPayload::Str(&l.value)));
                CitationItem::new(&library.entries[e], locator, None, false, None)
            })
            .collect();
        driver.citation(CitationRequest::new(
            items,
            &style.csl,
            style.locale.clone(),
            &locales,
            note_of(k),
        ));
        requested.push(k);
    }
    // `nocite`: hidden items, last, so they take no position from the text's citations.
    let cited: HashSet<usize> = sites
        .list
        .iter()
        .flat_map(|s| s.entries.iter().copied())
        .collect();
    let mut hidden: Vec<usize> = nocite
        .iter()
        .copied()
        .filter(|e| !cited.contains(e))
        .collect();
    hidden.sort_unstable();
    hidden.dedup();
    if !hidden.is_empty() {
        let items = hidden
            .iter()
            .map(|&e| CitationItem::new(&library.entries[e], None, None, true, None))
            .collect();
        driver.citation(CitationRequest::new(
            items,
            &style.csl,
            style.locale.clone(),
            &locales,
            None,
        ));
    }
    let rendered = driver.finish(BibliographyRequest::new(
        &style.csl,
        style.locale.clone(),
        &locales,
    ));
    let mut citations = vec![ElemChildren::default(); sites.list.len()];
    for (k, r) in requested.iter().zip(rendered.citations) {
        citations[*k] = r.citation;
    }
    // The author alone, for `@key` in the text (CSL has no such form: hayagriva's
    // `Author` purpose, outside the driver so it takes no position). In a note style the
    // author is the one the note itself would show, taken from its rendering before the
    // note drops it: pandoc writes "Sheila Fitzpatrick³" for `@fitzpatrick1999a` where
    // the note's first citation names her in full (pandoc 3.9, chicago-notes-bibliography).
    let note_style = style.is_note();
    let authors = sites
        .list
        .iter()
        .enumerate()
        .map(|(k, site)| {
            if note_style && site.cite.items.len() == 1 && !site.text_only {
                if let Some(names) = citations[k].find_names() {
                    let in_text = site.cite.items[0].mode == CiteMode::AuthorInText;
                    return vec![
                        in_text.then(|| ElemChildren(vec![ElemChild::Elem(names.clone())]))
                    ];
                }
            }
            site.cite
                .items
                .iter()
                .zip(site.entries.iter().map(Some).chain(std::iter::repeat(None)))
                .map(|(item, e)| {
                    let e = *e?;
                    (item.mode == CiteMode::AuthorInText && !site.text_only).then(|| {
                        let all = hayagriva::standalone_citation(CitationRequest::new(
                            vec![CitationItem::new(
                                &library.entries[e],
                                None,
                                None,
                                false,
                                Some(CitePurpose::Author),
                            )],
                            &style.csl,
                            style.locale.clone(),
                            &locales,
                            None,
                        ));
                        // The names alone, without the layout's affixes ("(Doe)").
                        match all.find_names() {
                            Some(names) => ElemChildren(vec![ElemChild::Elem(names.clone())]),
                            None => all,
                        }
                    })
                })
                .collect()
        })
        .collect();
    let has_bibliography = style.csl.bibliography.is_some();
    let bibliography = rendered
        .bibliography
        .map(|b| {
            b.items
                .into_iter()
                .map(|i| (i.key, i.first_field, i.content))
                .collect()
        })
        .unwrap_or_default();
    let _ = book;
    Output {
        citations,
        authors,
        suffixes,
        bibliography,
        has_bibliography,
    }
}

/// A suffix's locator (read from its first text) and the suffix without it.
fn split_locator(suffix: &[Inline]) -> (Option<locator::Found>, Vec<Inline>) {
    let Some(Inline::Text(first)) = suffix.first() else {
        return (None, suffix.to_vec());
    };
    match locator::read(first) {
        Some(found) => {
            let mut rest = suffix.to_vec();
            let left = first[found.taken..].to_string();
            if left.is_empty() {
                rest.remove(0);
            } else {
                rest[0] = Inline::Text(left);
            }
            (Some(found), rest)
        }
        None => (None, suffix.to_vec()),
    }
}

/// The id of a bibliography entry: pandoc's `ref-KEY`, with what an XML id may not hold
/// replaced.
fn entry_id(key: &str) -> String {
    let mut id = String::from("ref-");
    for c in key.chars() {
        id.push(if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
            c
        } else {
            '-'
        });
    }
    id
}

/// Removes the first names element (the author) from `children` and the delimiter after
/// it: what is left of a citation when its author is suppressed or written in the text.
fn drop_author(children: &mut Vec<ElemChild>) -> bool {
    for i in 0..children.len() {
        let found = match &mut children[i] {
            ElemChild::Elem(e) if matches!(e.meta, Some(ElemMeta::Names(_))) => true,
            ElemChild::Elem(e) => {
                if drop_author(&mut e.children.0) {
                    return true;
                }
                false
            }
            _ => false,
        };
        if found {
            children.remove(i);
            // The delimiter that followed the names (", ", " ").
            if let Some(ElemChild::Text(t)) = children.get_mut(i) {
                let trimmed = t.text.trim_start_matches([',', ' ', ';', ':']).to_string();
                t.text = trimmed;
            }
            return true;
        }
    }
    false
}

/// The rendering of one site: its items with their prefixes and suffixes, each item
/// linked to its entry when `link`.
fn site_inlines(
    site: &Site,
    mut children: ElemChildren,
    suffixes: &[Vec<Inline>],
    options: render::Options,
    link: bool,
    in_note_of_note_style: bool,
) -> Vec<Inline> {
    let mut out = Vec::new();
    for child in children.0.iter_mut() {
        let ElemChild::Elem(e) = child else {
            let mut one = Vec::new();
            render::push_children(std::slice::from_ref(child), options, &mut one);
            out.extend(one);
            continue;
        };
        let Some(ElemMeta::Entry(i)) = e.meta else {
            render::push_children(std::slice::from_ref(child), options, &mut out);
            continue;
        };
        let Some(item) = site.cite.items.get(i) else {
            continue;
        };
        // An author in the text is written before the citation, or before its note; in
        // a note of a note style it stays in the citation, as pandoc sets it.
        let drop = match item.mode {
            CiteMode::Normal => false,
            CiteMode::SuppressAuthor => true,
            CiteMode::AuthorInText => !in_note_of_note_style,
        };
        if drop {
            drop_author(&mut e.children.0);
        }
        if !item.prefix.is_empty() {
            out.extend(item.prefix.iter().cloned());
            render::push_text(" ", &mut out);
        }
        let body = render::inlines(&e.children, options);
        match site.entries.get(i) {
            Some(_) if link => out.push(Inline::Link {
                target: LinkTarget::Internal(entry_id(&item.key)),
                content: body,
            }),
            _ => out.extend(body),
        }
        if let Some(suffix) = suffixes.get(i) {
            out.extend(suffix.iter().cloned());
        }
    }
    out
}

/// Puts the rendered citations, the new notes and the bibliography into the book.
fn apply(
    book: &mut Book,
    sites: Sites,
    plan: NotePlan,
    output: Output,
    style: &style::LoadedStyle,
) {
    let options = render::Options {
        links: book.meta.cite.link_bibliography.unwrap_or(true),
    };
    let show_bibliography = output.has_bibliography
        && !book.meta.cite.suppress_bibliography
        && !output.bibliography.is_empty();
    let link = book.meta.cite.link_citations && show_bibliography;
    let note_style = style.is_note();
    // Each site's replacement, and the content of the notes made from citations.
    let mut replacements: Vec<Option<Vec<Inline>>> = Vec::with_capacity(sites.list.len());
    let mut new_notes: Vec<Option<Vec<Inline>>> = vec![None; sites.list.len()];
    for (k, site) in sites.list.iter().enumerate() {
        if site.text_only {
            replacements.push(Some(site.cite.fallback.clone()));
            continue;
        }
        let mut body = site_inlines(
            site,
            output.citations[k].clone(),
            &output.suffixes[k],
            options,
            link,
            note_style && site.in_note.is_some(),
        );
        let author: Vec<Inline> = if note_style && site.in_note.is_some() {
            Vec::new()
        } else {
            output.authors[k]
                .iter()
                .flatten()
                .next()
                .map(|a| render::inlines(a, options))
                .unwrap_or_default()
        };
        match plan.site_note[k] {
            Some(id) => {
                render::capitalise(&mut body);
                new_notes[k] = Some(body);
                let mut r = author;
                r.push(Inline::NoteRef {
                    note: NoteId(id),
                    occurrence: 0,
                });
                replacements.push(Some(r));
            }
            None if !author.is_empty() && !note_style => {
                // "Doe (1999, 33)": the author, then the rest of the citation.
                let mut r = author;
                render::push_text(" ", &mut r);
                r.extend(body);
                replacements.push(Some(r));
            }
            None if note_style && site.in_note.is_some() => {
                // In a note, as pandoc's citeproc sets it: without the layout's closing
                // punctuation unless the citation opens the note and nothing else
                // closes it, and in parentheses when it runs in the note's text.
                let (leading, next) = site.in_note.unwrap_or((false, None));
                let suffix = style.csl.citation.layout.suffix.as_deref().unwrap_or("");
                let normal = site.cite.items.iter().all(|i| i.mode == CiteMode::Normal);
                let punct = next.is_some_and(|c| matches!(c, '.' | ',' | ';' | ':' | '!' | '?'));
                if !suffix.is_empty() && (!leading || punct || !normal) {
                    strip_end(&mut body, suffix);
                }
                if normal && !leading {
                    let mut r = vec![Inline::Text("(".into())];
                    r.extend(body);
                    render::push_text(")", &mut r);
                    replacements.push(Some(r));
                } else {
                    replacements.push(Some(body));
                }
            }
            None => replacements.push(Some(body)),
        }
    }
    // Each citation rendered in place is a span as pandoc writes one
    // (`<span class="citation" data-cites="a b">`): a hook for styling, and the same
    // text runs as pandoc's.
    for (k, site) in sites.list.iter().enumerate() {
        if site.text_only || plan.site_note[k].is_some() {
            continue;
        }
        if let Some(r) = replacements[k].take() {
            let keys: Vec<&str> = site.cite.items.iter().map(|i| i.key.as_str()).collect();
            replacements[k] = Some(vec![Inline::Span {
                attr: Attr {
                    id: None,
                    classes: vec!["citation".into()],
                    pairs: vec![("cites".into(), keys.join(" "))],
                },
                content: r,
            }]);
        }
    }
    // Replace, in the storage order `collect` used, and renumber note references.
    let mut k = 0;
    let old_to_new = plan.old_to_new.clone();
    walk_book(book, &mut |inline, _| match inline {
        Inline::Cite(c) => {
            let r = replacements.get_mut(k).and_then(Option::take);
            k += 1;
            Rewritten::Many(r.unwrap_or(c.fallback))
        }
        Inline::NoteRef { note, occurrence } => Rewritten::One(Inline::NoteRef {
            note: NoteId(old_to_new.get(note.index()).copied().unwrap_or(note.0)),
            occurrence,
        }),
        other => Rewritten::One(other),
    });
    // The notes in their new order.
    let mut old: Vec<Option<Note>> = std::mem::take(&mut book.notes)
        .into_iter()
        .map(Some)
        .collect();
    for (id, slot) in plan.slots.iter().enumerate() {
        let number = plan.numbers[id];
        let note = match *slot {
            Slot::Old(n) => old.get_mut(n).and_then(Option::take).map(|mut note| {
                note.id = NoteId(id as u32);
                note.number = number;
                note
            }),
            Slot::New(s) => {
                let site = &sites.list[s];
                let chapter = match site.place {
                    Place::Text { chapter } => chapter,
                    Place::Note { .. } => 0,
                };
                Some(Note {
                    id: NoteId(id as u32),
                    number,
                    label: format!("cite-{}", id + 1),
                    chapter,
                    ref_count: 1,
                    blocks: vec![Block::Paragraph {
                        content: new_notes[s].take().unwrap_or_default(),
                        span: site.cite.span,
                    }],
                    span: site.cite.span,
                })
            }
        };
        if let Some(note) = note {
            book.notes.push(note);
        }
    }
    if note_style {
        let made: HashSet<u32> = plan.site_note.iter().flatten().copied().collect();
        notes_after_punctuation(book, &made);
    }
    if show_bibliography {
        place_bibliography(book, &output, options);
    }
}

/// Removes `suffix` from the end of the last text of `inlines` (at any depth).
fn strip_end(inlines: &mut [Inline], suffix: &str) {
    match inlines.last_mut() {
        Some(Inline::Text(t)) if t.ends_with(suffix) => {
            t.truncate(t.len() - suffix.len());
        }
        Some(Inline::Text(_)) => {}
        Some(
            Inline::Emphasis(c)
            | Inline::Strong(c)
            | Inline::Span { content: c, .. }
            | Inline::Link { content: c, .. },
        ) => strip_end(c, suffix),
        _ => {}
    }
}

/// pandoc's `notes-after-punctuation` (MANUAL, "Citations in note styles"): a note made
/// from a citation goes after the punctuation that follows it, and the space before it
/// goes ("text [@a]." → "text.¹").
fn notes_after_punctuation(book: &mut Book, made: &HashSet<u32>) {
    let mut f = |list: &mut Vec<Inline>| {
        let mut i = 0;
        while i < list.len() {
            let is_made =
                matches!(&list[i], Inline::NoteRef { note, .. } if made.contains(&note.0));
            if !is_made {
                i += 1;
                continue;
            }
            // The space before the mark, a line break of the source included ("the
            // famine\n[see @a]." → "the famine.¹", not "the famine .¹").
            while i > 0 && matches!(list[i - 1], Inline::SoftBreak) {
                list.remove(i - 1);
                i -= 1;
            }
            if i > 0 {
                if let Inline::Text(t) = &mut list[i - 1] {
                    let keep = t.trim_end().len();
                    t.truncate(keep);
                }
            }
            // Punctuation after it moves before it.
            let moved = match list.get_mut(i + 1) {
                Some(Inline::Text(t)) => {
                    let n: usize = t
                        .chars()
                        .take_while(|c| matches!(c, '.' | ',' | ';' | ':' | '!' | '?'))
                        .map(char::len_utf8)
                        .sum();
                    let p = t[..n].to_string();
                    t.replace_range(..n, "");
                    p
                }
                _ => String::new(),
            };
            if !moved.is_empty() {
                match i.checked_sub(1).and_then(|j| list.get_mut(j)) {
                    Some(Inline::Text(t)) => t.push_str(&moved),
                    _ => {
                        list.insert(i, Inline::Text(moved));
                        i += 1;
                    }
                }
            }
            i += 1;
        }
        list.retain(|x| !matches!(x, Inline::Text(t) if t.is_empty()));
    };
    for chapter in &mut book.chapters {
        for_each_inline_list(&mut chapter.blocks, &mut f);
    }
    for note in &mut book.notes {
        for_each_inline_list(&mut note.blocks, &mut f);
    }
}

/// The heading of a bibliography placed at the end when `reference-section-title` is not
/// given, in the book's language.
fn default_title(lang: &crate::model::LanguageTag) -> &'static str {
    match lang.primary() {
        "fr" => "Bibliographie",
        "de" => "Literatur",
        "es" => "Referencias",
        "it" => "Bibliografia",
        "pt" => "Referências",
        _ => "References",
    }
}

/// The bibliography's entries as paragraphs, placed where `{#refs}` stands, or at the end
/// as a section of its own.
fn place_bibliography(book: &mut Book, output: &Output, options: render::Options) {
    let mut used: HashSet<String> = HashSet::new();
    // Problems found in an entry later (a line the typesetter cannot fill) point at the
    // bibliography's place: the `{#refs}` heading, or the end of the text.
    let span = book
        .chapters
        .iter()
        .find(|c| c.attr.id.as_deref() == Some("refs"))
        .or(book.chapters.last())
        .map_or(Span::default(), |c| c.span);
    let entries: Vec<Block> = output
        .bibliography
        .iter()
        .map(|(key, first, content)| {
            let mut inlines = Vec::new();
            if let Some(first) = first {
                render::push_children(std::slice::from_ref(first), options, &mut inlines);
                render::push_text(" ", &mut inlines);
            }
            inlines.extend(render::inlines(content, options));
            let mut id = entry_id(key);
            while !used.insert(id.clone()) {
                id.push('_');
            }
            Block::Paragraph {
                content: vec![Inline::Span {
                    attr: Attr {
                        id: Some(id),
                        classes: vec!["csl-entry".into()],
                        pairs: Vec::new(),
                    },
                    content: inlines,
                }],
                span,
            }
        })
        .collect();
    // `# References {#refs}`: the chapter holds the entries.
    if let Some(chapter) = book
        .chapters
        .iter_mut()
        .find(|c| c.attr.id.as_deref() == Some("refs"))
    {
        chapter.blocks.extend(entries);
        return;
    }
    // `## References {#refs}` inside a chapter: the entries follow the heading.
    for chapter in &mut book.chapters {
        if let Some(at) = refs_position(&chapter.blocks) {
            chapter.blocks.splice(at..at, entries);
            return;
        }
    }
    let title = book
        .meta
        .cite
        .reference_section_title
        .clone()
        .unwrap_or_else(|| default_title(&book.meta.lang).to_string());
    let taken: HashSet<&str> = book.chapters.iter().map(|c| c.id.as_str()).collect();
    let mut id = "refs".to_string();
    while taken.contains(id.as_str()) {
        id.push_str("-2");
    }
    let span = book.chapters.last().map_or(Span::default(), |c| c.span);
    book.chapters.push(Chapter {
        title: Some(vec![Inline::Text(title)]),
        id,
        // Back matter (pandoc's `.unnumbered`), typed a bibliography by its class.
        attr: Attr {
            id: None,
            classes: vec!["unnumbered".into(), "bibliography".into()],
            pairs: Vec::new(),
        },
        blocks: entries,
        span,
    });
}

/// Where the entries go among `blocks`: after a heading `{#refs}`.
///
/// Once the blocks branch's fenced divs exist, an empty `::: {#refs}` div is the place
/// too (pandoc's MANUAL, "Placement of the bibliography"): its arm goes here.
fn refs_position(blocks: &[Block]) -> Option<usize> {
    blocks
        .iter()
        .position(
            |b| matches!(b, Block::Heading { attr, .. } if attr.id.as_deref() == Some("refs")),
        )
        .map(|i| i + 1)
}
