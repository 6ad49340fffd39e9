//! `quire import`: a plain-text article to a quire manuscript (book.yaml and one
//! Markdown file per section).
//!
//! Plain text has no markup, so everything is a guess: the title (the first line), the
//! section headings, the notes list and where each note is referenced, the author's bio
//! and what a web page adds after the article. Every guess is reported as a warning at
//! its line and column, so the user can check each one.
//!
//! Stages, each pure, with plain data between them:
//!
//! ```text
//! paragraphs::lines / detect_wrapping   the text's lines, and how they are wrapped
//! notes::candidate_lists / choose_list  the numbered notes list, and its references
//! paragraphs::paragraphs                lines joined into paragraphs (notes list left out)
//! structure::roles / sections           title, byline, series note, headings, bio, comments
//! markdown::render                      escaped Markdown with `[^k]` in place of the markers
//! metadata::book_yaml                   book.yaml
//! write::write_files                    the files, into a new folder
//! ```

mod markdown;
mod metadata;
mod notes;
mod paragraphs;
mod structure;
mod write;

use crate::diag::Diagnostic;
use crate::source::{FileId, SourceMap, Span};
use crate::Error;
use markdown::Replacement;
use notes::{MarkerStyle, NotesList, Reference};
use paragraphs::{Line, Paragraph, Wrapping};
use regex::Regex;
use std::path::Path;
use structure::{Role, Section, SectionKind};

/// The manuscript made from a text file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    /// The files to write, in order: `book.yaml`, then the chapter files
    /// (`00-opening.md`, `01-<slug>.md`, …), as (file name, content).
    pub files: Vec<(String, String)>,
    /// A warning for every guess made, in text order.
    pub diagnostics: Vec<Diagnostic>,
}

/// Compiles a regular expression written in this module. The patterns are constants
/// checked by the tests, so a failure is a bug in quire, not in the input; it yields a
/// pattern that matches nothing rather than a panic.
pub(crate) fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|_| {
        debug_assert!(false, "bad pattern {pattern}");
        #[allow(clippy::unwrap_used)] // a constant pattern that always compiles
        Regex::new(r"[^\s\S]").unwrap()
    })
}

/// Imports the text file `file` of `sources` as a manuscript.
pub fn import(sources: &SourceMap, file: FileId) -> Imported {
    let Some(source) = sources.get(file) else {
        return Imported {
            files: Vec::new(),
            diagnostics: vec![Diagnostic::error(None, "no text file to import")],
        };
    };
    let source_name = source
        .path
        .file_name()
        .map_or_else(|| "the text".to_string(), |n| n.to_string_lossy().into());
    Analysis::new(&source.text, file).into_imported(&source_name)
}

/// Writes an imported manuscript into `dir`, which must not exist or be empty.
pub fn write(imported: &Imported, dir: &Path) -> Result<(), Error> {
    write::write_files(&imported.files, dir)
}

/// Everything found in the text.
struct Analysis<'a> {
    text: &'a str,
    file: FileId,
    lines: Vec<Line>,
    wrapping: Wrapping,
    notes: Option<NotesList>,
    /// `refs[k-1]`: where note k is referenced, if found.
    refs: Vec<Option<Reference>>,
    paras: Vec<Paragraph>,
    roles: Vec<Role>,
    sections: Vec<Section>,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Analysis<'a> {
    fn new(text: &'a str, file: FileId) -> Self {
        let lines = paragraphs::lines(text);
        let wrapping = paragraphs::detect_wrapping(text, &lines);
        let body_start = lines.iter().find(|l| !l.is_blank()).map_or(0, |l| l.end);
        let candidates = notes::candidate_lists(text, &lines, wrapping);
        let (notes, refs) = match notes::choose_list(text, &lines, candidates, body_start) {
            Some((list, refs)) => (Some(list), refs),
            None => (None, Vec::new()),
        };
        let paras = paragraphs::paragraphs(
            text,
            &lines,
            wrapping,
            notes.as_ref().map(|n| n.lines.clone()),
        );
        let tail_from = notes.as_ref().map(|n| n.start_byte(&lines));
        let roles = structure::roles(text, &lines, &paras, tail_from);
        let mut sections = structure::sections(&roles);
        if sections.is_empty() {
            sections.push(Section {
                kind: SectionKind::Opening,
                heading: None,
                paragraphs: Vec::new(),
            });
        }
        Analysis {
            text,
            file,
            lines,
            wrapping,
            notes,
            refs,
            paras,
            roles,
            sections,
            diagnostics: Vec::new(),
        }
    }

    fn span(&self, bytes: std::ops::Range<usize>) -> Span {
        Span::new(self.file, bytes.start, bytes.end)
    }

    fn para_span(&self, i: usize) -> Span {
        self.span(self.paras[i].bytes(&self.lines))
    }

    fn para_text(&self, i: usize) -> String {
        self.paras[i].text(self.text, &self.lines)
    }

    fn warn(&mut self, span: Span, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::warning(span, message));
    }

    /// The section (index) holding paragraph `p`, as text or heading.
    fn section_of(&self, p: usize) -> Option<usize> {
        self.sections
            .iter()
            .position(|s| s.heading == Some(p) || s.paragraphs.contains(&p))
    }

    /// The paragraph holding byte `b`.
    fn paragraph_at(&self, b: usize) -> Option<usize> {
        self.paras
            .iter()
            .position(|p| p.bytes(&self.lines).contains(&b))
    }

    fn into_imported(mut self, source_name: &str) -> Imported {
        self.report_layout();
        let found = self.metadata();
        let note_home = self.place_notes();
        let mut files = vec![(
            "book.yaml".to_string(),
            metadata::book_yaml(&found, source_name),
        )];
        for index in 0..self.sections.len() {
            files.push(self.chapter_file(index, &note_home));
        }
        let mut diagnostics = self.diagnostics;
        diagnostics.sort_by_key(|d| d.span.map(|s| (s.start, s.end)));
        Imported { files, diagnostics }
    }

    /// Warnings for the wrapping, title, series note, headings, bio and comments guesses.
    fn report_layout(&mut self) {
        let start = Span::file_start(self.file);
        match self.wrapping {
            Wrapping::OneLinePerParagraph => self.warn(start, "took every line of the text as a paragraph of its own"),
            Wrapping::HardWrapped { width } => self.warn(
                start,
                format!("took the text as wrapped at about {width} characters: lines are joined into paragraphs"),
            ),
        }
        for i in 0..self.paras.len() {
            let span = self.para_span(i);
            let text = self.para_text(i);
            match self.roles[i] {
                Role::Title => self.warn(span, format!("took the first line as the title: “{text}”")),
                Role::SeriesNote => self.warn(
                    span,
                    "took this paragraph as an opening note introducing a series; it is set in italics at the start",
                ),
                Role::Heading => self.warn(span, format!("took this line as a section heading: “{text}”")),
                Role::BioHeading => {
                    self.warn(span, format!("took “{text}” as the heading of the author's bio, kept as its own section"))
                }
                Role::TrailingStart => self.warn(
                    span,
                    format!(
                        "took the text from here to the end as what follows the article on its web page; it is kept as a section “{}”",
                        self.trailing_title()
                    ),
                ),
                Role::Byline | Role::Body | Role::Bio | Role::Trailing => {}
            }
        }
    }

    /// Title and author (with warnings), and the guessed language.
    fn metadata(&mut self) -> metadata::FoundMetadata {
        let title = self
            .roles
            .iter()
            .position(|r| *r == Role::Title)
            .map(|i| self.para_text(i));
        let mut author = None;
        if let Some(i) = self.roles.iter().position(|r| *r == Role::Byline) {
            if let Some(name) = structure::name_in_byline(&self.para_text(i)) {
                self.warn(
                    self.para_span(i),
                    format!("took “{name}” as the author, from this byline"),
                );
                author = Some((name, "from the byline".to_string()));
            }
        }
        if author.is_none() {
            let bio = self.roles.iter().position(|r| *r == Role::Bio);
            let heading = self.roles.iter().position(|r| *r == Role::BioHeading);
            if let (Some(i), Some(h)) = (bio, heading) {
                if let Some(name) = structure::name_in_bio(&self.para_text(i)) {
                    let span = self.para_span(i);
                    self.warn(
                        span,
                        format!("took “{name}” as the author, from the first words of the bio"),
                    );
                    author = Some((
                        name,
                        format!(
                            "from the first words of the section “{}”",
                            self.para_text(h)
                        ),
                    ));
                }
            }
        }
        if author.is_none() {
            self.warn(
                Span::file_start(self.file),
                "found no author; `author` is left commented out in book.yaml",
            );
        }
        let body: String = (0..self.paras.len())
            .filter(|&i| matches!(self.roles[i], Role::Body | Role::Heading | Role::SeriesNote))
            .map(|i| self.para_text(i) + " ")
            .collect();
        let lang = metadata::guess_lang(&body);
        self.warn(
            Span::file_start(self.file),
            format!("guessed the language as `{lang}` from its most common words"),
        );
        metadata::FoundMetadata {
            title,
            author,
            lang,
        }
    }

    /// Warnings for the notes list and its references; returns, for every note, the
    /// section its definition goes to.
    fn place_notes(&mut self) -> Vec<usize> {
        let Some(list) = self.notes.clone() else {
            return Vec::new();
        };
        let n = list.entries.len();
        let first = list.entries.first().map_or(0, |e| e.marker.start);
        let span = self.span(list.heading.map_or(first, |h| self.lines[h].start)..first);
        self.warn(
            span,
            format!("took the numbered lines from here as the notes list (notes 1 to {n})"),
        );
        let usual = usual_style(&list);
        for e in &list.entries {
            if e.style != usual {
                let how = match e.style {
                    MarkerStyle::Bare => "has no period after its number",
                    MarkerStyle::Dotted => "has a period or parenthesis after its number",
                    MarkerStyle::Bracketed => "is in brackets",
                    MarkerStyle::Superscript => "is in superscript digits",
                };
                let number = e.number;
                self.warn(
                    self.span(e.marker.clone()),
                    format!(
                        "note {number}'s marker {how}, unlike the others; took it as note {number}"
                    ),
                );
            }
        }
        let mut homes = Vec::with_capacity(n);
        let mut last_home = None;
        let fallback = self
            .sections
            .iter()
            .rposition(|s| matches!(s.kind, SectionKind::Opening | SectionKind::Chapter))
            .unwrap_or(0);
        for (k, entry) in list.entries.iter().enumerate() {
            let number = k + 1;
            let placed = self.refs.get(k).cloned().flatten().and_then(|r| {
                let section = self
                    .paragraph_at(r.bytes.start)
                    .and_then(|p| self.section_of(p))?;
                Some((r, section))
            });
            match placed {
                Some((r, section)) => {
                    let shown = self.text.get(r.bytes.clone()).unwrap_or("").to_string();
                    self.warn(
                        self.span(r.bytes),
                        format!("took “{shown}” here as the reference to note {number}"),
                    );
                    homes.push(section);
                    last_home = Some(section);
                }
                None => {
                    if let Some(r) = self.refs.get_mut(k) {
                        *r = None;
                    }
                    let home = last_home.unwrap_or(fallback);
                    self.diagnostics.push(
                        Diagnostic::warning(
                            self.span(entry.marker.clone()),
                            format!("found no reference to note {number} in the text; its text is kept without a reference"),
                        )
                        .with_hint(format!(
                            "put `[^{number}]` where the note belongs in {}",
                            self.file_name(home)
                        )),
                    );
                    homes.push(home);
                }
            }
        }
        homes
    }

    fn trailing_title(&self) -> &'static str {
        static COMMENTS: std::sync::LazyLock<Regex> =
            std::sync::LazyLock::new(|| re(r"(?i)\b(comments?|repl(y|ies)|responses?|says:)"));
        let any_comment = self.roles.iter().enumerate().any(|(i, r)| {
            matches!(r, Role::TrailingStart | Role::Trailing)
                && COMMENTS.is_match(&self.para_text(i))
        });
        if any_comment {
            "Comments"
        } else {
            "After the Article"
        }
    }

    fn section_title(&self, section: &Section) -> Option<String> {
        match (section.kind, section.heading) {
            (SectionKind::Trailing, _) => Some(self.trailing_title().to_string()),
            (_, Some(h)) => Some(self.para_text(h)),
            (_, None) => None,
        }
    }

    fn file_name(&self, index: usize) -> String {
        let first_number = usize::from(
            self.sections
                .first()
                .is_some_and(|s| s.kind != SectionKind::Opening),
        );
        let number = index + first_number;
        match self.sections.get(index).and_then(|s| self.section_title(s)) {
            Some(title) => format!("{number:02}-{}.md", write::slug(&title)),
            None => format!("{number:02}-opening.md"),
        }
    }

    /// The Markdown of paragraph `p`, with note references in place.
    fn render_paragraph(&self, p: usize) -> String {
        let bytes = self.paras[p].bytes(&self.lines);
        let replacements: Vec<Replacement> = self
            .refs
            .iter()
            .flatten()
            .filter(|r| bytes.contains(&r.bytes.start))
            .map(|r| Replacement {
                bytes: r.bytes.clone(),
                markdown: format!("[^{}]", r.number),
            })
            .collect();
        let ranges: Vec<_> = self.lines[self.paras[p].lines.clone()]
            .iter()
            .map(|l| l.start..l.end)
            .collect();
        markdown::render(self.text, &ranges, &replacements)
    }

    /// The chapter file of section `index`: its heading, its paragraphs, and the
    /// definitions of the notes referenced in it.
    fn chapter_file(&self, index: usize, note_home: &[usize]) -> (String, String) {
        let Some(section) = self.sections.get(index) else {
            return (self.file_name(index), String::new());
        };
        let name = self.file_name(index);
        let mut out = String::new();
        match (section.kind, section.heading) {
            (SectionKind::Trailing, _) => out.push_str(&markdown::heading(self.trailing_title())),
            (_, Some(h)) => out.push_str(&markdown::heading(&self.render_paragraph(h))),
            (_, None) => {}
        }
        for &p in &section.paragraphs {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            let body = self.render_paragraph(p);
            if self.roles[p] == Role::SeriesNote {
                out.push('*');
                out.push_str(&body);
                out.push('*');
            } else {
                out.push_str(&body);
            }
        }
        if let Some(list) = &self.notes {
            for (k, entry) in list.entries.iter().enumerate() {
                if note_home.get(k) != Some(&index) {
                    continue;
                }
                if !out.is_empty() {
                    out.push_str("\n\n");
                }
                out.push_str(&format!(
                    "[^{}]: {}",
                    k + 1,
                    markdown::render(self.text, &entry.text, &[])
                ));
            }
        }
        out.push('\n');
        (name, out)
    }
}

/// The marker style most entries of the list use (the first one's on a tie).
fn usual_style(list: &NotesList) -> MarkerStyle {
    let styles = [
        MarkerStyle::Dotted,
        MarkerStyle::Bare,
        MarkerStyle::Bracketed,
        MarkerStyle::Superscript,
    ];
    let count = |s: MarkerStyle| list.entries.iter().filter(|e| e.style == s).count();
    let first = list
        .entries
        .first()
        .map_or(MarkerStyle::Dotted, |e| e.style);
    styles.into_iter().fold(
        first,
        |best, s| if count(s) > count(best) { s } else { best },
    )
}
