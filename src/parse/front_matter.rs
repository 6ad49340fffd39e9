//! YAML metadata (`book.yaml` or a `---` block at the top of a Markdown file) →
//! [`Metadata`].
//!
//! This is the only file that knows serde_yaml. The YAML is parsed into a
//! `serde_yaml::Value` and walked by hand rather than deserialised into a struct, so that
//! every problem is reported (not just the first), with a position: unknown keys are
//! warnings with a "did you mean" suggestion, wrong types are errors at the value.
//! serde_yaml values carry no positions, so keys are found again by scanning the text
//! (`key:` at the start of a line, indented for `pdf:` sub-keys): simple and
//! deterministic for the block style people write metadata in.
//!
//! Keys follow pandoc's EPUB metadata (pandoc manual, "EPUB Metadata"); `notes`, `pdf`
//! and `hyphenation` are quire's own.

use crate::diag::Diagnostic;
use crate::model::{
    ChapterBreak, Direction, EpubSettings, Folios, HyphenationException, Identifier, LanguageTag,
    Length2, Metadata, NoteNumbering, NotePlacement, PdfSettings, Preset,
};
use crate::source::Span;
use serde_yaml::Value;
use std::path::PathBuf;

/// Top-level keys quire understands.
const KEYS: &[&str] = &[
    "title",
    "subtitle",
    "author",
    "lang",
    "date",
    "publisher",
    "rights",
    "identifier",
    "description",
    "subject",
    "cover-image",
    "notes",
    "pdf",
    "hyphenation",
    // pandoc's, for books written for it (issue 12).
    "abstract",
    "keywords",
    "dir",
    "toc",
    "toc-title",
    "header-includes",
    "nocite",
    "bibliography",
    // pandoc's citeproc keys (issue 16).
    "references",
    "csl",
    "citation-style",
    "link-citations",
    "link-bibliography",
    "reference-section-title",
    "suppress-bibliography",
    // The book's furniture (issue 14).
    "copyright-page",
    "cover",
    "epub",
];

/// Keys of the `epub:` mapping.
const EPUB_KEYS: &[&str] = &["css", "embed-fonts", "page-list"];

/// Keys of the `pdf:` mapping.
const PDF_KEYS: &[&str] = &[
    "paper",
    "margins",
    "font-size",
    "chapters",
    "fonts",
    "booklet",
    "preset",
    "notes",
    "contents",
    "contents-depth",
    "cover",
    "folios",
    "chapter-numbers",
];

/// The values of `pdf: preset:`.
const PRESETS: &[&str] = &["handout", "booklet"];

/// Keys of `pdf: fonts:`.
const FONT_KEYS: &[&str] = &[
    "regular",
    "italic",
    "bold",
    "bold-italic",
    "fallback",
    "system",
];

/// Metadata gathered from one or more YAML blocks; later blocks override earlier keys,
/// as in pandoc.
#[derive(Debug, Clone)]
pub(crate) struct MetaBuilder {
    meta: Metadata,
    title_seen: bool,
    /// A metadata block could not be read (already reported): a missing title may only
    /// be missing because of it, so it is not reported again.
    unreadable: bool,
    /// The `cover-image` path as written, with the span of its value.
    cover: Option<(String, Span)>,
    /// Where the last `pdf: preset:` was written (the booklet it implies points there).
    preset_at: Option<Span>,
    /// pandoc's `abstract`, its Markdown as written, with the span of its value.
    abstract_text: Option<(String, Span)>,
    /// `epub: css:` as written, with the span of its value.
    css: Option<(String, Span)>,
}

/// The metadata read, and what [`crate::parse`] still has to read with the files or the
/// Markdown parser.
pub(crate) struct Finished {
    /// The metadata (its cover and abstract still unset).
    pub meta: Metadata,
    /// The `cover-image` path as written and where.
    pub cover: Option<(String, Span)>,
    /// The `abstract` Markdown and where.
    pub abstract_text: Option<(String, Span)>,
    /// The `epub: css:` path as written and where.
    pub css: Option<(String, Span)>,
}

impl Default for MetaBuilder {
    fn default() -> Self {
        MetaBuilder {
            meta: Metadata {
                ..Metadata::default()
            },
            title_seen: false,
            unreadable: false,
            cover: None,
            preset_at: None,
            abstract_text: None,
            css: None,
        }
    }
}

/// Where a YAML block lies: `at(i)` is the span of byte `i` of the YAML text in its file.
pub(crate) trait Locate {
    /// The file span of YAML byte offset `i`.
    fn at(&self, i: usize) -> Span;
}

impl<F: Fn(usize) -> Span> Locate for F {
    fn at(&self, i: usize) -> Span {
        self(i)
    }
}

impl MetaBuilder {
    /// Reads one YAML block into the metadata, reporting problems into `diags`.
    pub(crate) fn apply(&mut self, yaml: &str, loc: &dyn Locate, diags: &mut Vec<Diagnostic>) {
        let value: Value = match serde_yaml::from_str(yaml) {
            Ok(v) => v,
            Err(err) => {
                let (message, mentioned) = strip_positions(&first_line(&err.to_string()));
                // libyaml names where the broken construct started ("while scanning a
                // quoted scalar at line 2 column 9"): that is where the author must look.
                let start = mentioned
                    .into_iter()
                    .min()
                    .or(err.location().map(|l| (l.line(), l.column())));
                let at = start.map_or(0, |(line, col)| offset_of_line_col(yaml, line, col));
                diags.push(
                    Diagnostic::error(
                        loc.at(at),
                        format!("the metadata is not valid YAML: {message}"),
                    )
                    .with_hint("check the indentation and quote values that contain `:` or `#`"),
                );
                self.unreadable = true;
                return;
            }
        };
        let map = match value {
            Value::Mapping(m) => m,
            Value::Null => return,
            _ => {
                diags.push(Diagnostic::error(
                    loc.at(0),
                    "the metadata must be a mapping of `key: value` lines",
                ));
                self.unreadable = true;
                return;
            }
        };
        let w = Walker { yaml, loc };
        for (key, value) in &map {
            let Some(key) = key.as_str() else {
                diags.push(Diagnostic::error(
                    loc.at(0),
                    "a metadata key is not a string",
                ));
                continue;
            };
            let (kpos, vpos) = w.find(&[key]);
            let vspan = loc.at(vpos);
            match key {
                "title" => {
                    self.title_seen = true;
                    if let Some(s) = w.text(value, key, vspan, true, diags) {
                        self.meta.title = s;
                    }
                }
                "subtitle" => self.meta.subtitle = w.text(value, key, vspan, true, diags),
                "author" => {
                    if let Some(list) = w.text_list(value, key, vspan, diags) {
                        self.meta.authors = list;
                    }
                }
                "subject" => {
                    if let Some(list) = w.text_list(value, key, vspan, diags) {
                        self.meta.subjects = list;
                    }
                }
                "lang" => {
                    if let Some(s) = w.text(value, key, vspan, false, diags) {
                        if let Some(tag) = LanguageTag::parse(&s) {
                            self.meta.lang = tag;
                        } else {
                            diags.push(
                                Diagnostic::error(vspan, format!("`{s}` is not a language tag"))
                                    .with_hint("use a BCP 47 tag such as `en`, `en-GB` or `fr`"),
                            );
                        }
                    }
                }
                "date" => {
                    self.meta.date = w
                        .text(value, key, vspan, true, diags)
                        .map(|d| normalise_date(&d))
                }
                "publisher" => self.meta.publisher = w.text(value, key, vspan, true, diags),
                "rights" => self.meta.rights = w.text(value, key, vspan, true, diags),
                "description" => self.meta.description = w.text(value, key, vspan, true, diags),
                "identifier" => {
                    self.meta.identifier = w
                        .text(value, key, vspan, false, diags)
                        .map(|s| classify_identifier(&s));
                }
                "cover-image" => {
                    self.cover = w.text(value, key, vspan, false, diags).map(|s| (s, vspan))
                }
                "notes" => match w.text(value, key, vspan, false, diags).as_deref() {
                    Some("book") => self.meta.note_numbering = NoteNumbering::Book,
                    Some("chapter") => self.meta.note_numbering = NoteNumbering::Chapter,
                    Some(other) => diags.push(
                        Diagnostic::error(
                            vspan,
                            format!("`notes: {other}` is not a note numbering"),
                        )
                        .with_hint("use `notes: book` (1..n across the book) or `notes: chapter`"),
                    ),
                    None => {}
                },
                "pdf" => {
                    if let Some(at) = w.pdf(value, vspan, &mut self.meta.pdf, diags) {
                        self.preset_at = Some(at);
                    }
                }
                "hyphenation" => {
                    if let Some(list) = w.text_list(value, key, vspan, diags) {
                        self.meta.hyphenation =
                            list.iter().map(|s| hyphenation_exception(s)).collect();
                    }
                }
                // pandoc's keys (MANUAL, "Metadata variables"; "EPUB Metadata").
                "abstract" => {
                    self.abstract_text = w.text(value, key, vspan, true, diags).map(|s| (s, vspan))
                }
                "keywords" => {
                    // pandoc writes them as the PDF's keywords; the EPUB's subjects are
                    // quire's keywords in both outputs.
                    if let Some(list) = w.text_list(value, key, vspan, diags) {
                        for k in list {
                            if !k.is_empty() && !self.meta.subjects.contains(&k) {
                                self.meta.subjects.push(k);
                            }
                        }
                    }
                }
                "dir" => match w.text(value, key, vspan, false, diags).as_deref() {
                    Some("rtl") => self.meta.dir = Some(Direction::Rtl),
                    Some("ltr") => self.meta.dir = Some(Direction::Ltr),
                    Some(other) => diags.push(
                        Diagnostic::error(vspan, format!("`dir: {other}` is not a direction"))
                            .with_hint("use `dir: rtl` (right to left) or `dir: ltr`"),
                    ),
                    None => {}
                },
                "toc" => match value {
                    Value::Bool(b) => self.meta.toc = *b,
                    Value::Null => {}
                    other => diags.push(
                        Diagnostic::error(
                            vspan,
                            format!("`toc` must be true or false, not {}", kind(other)),
                        )
                        .with_hint("write `toc: true` to show a table of contents"),
                    ),
                },
                "toc-title" => self.meta.toc_title = w.text(value, key, vspan, true, diags),
                "header-includes" => diags.push(
                    Diagnostic::warning(
                        loc.at(kpos),
                        "`header-includes` is ignored: quire writes no LaTeX or HTML header",
                    )
                    .with_hint(
                        "quire sets the EPUB and the PDF from the text and the metadata;                          delete the key, or keep it for pandoc's own builds",
                    ),
                ),
                "nocite" => {
                    if let Some(list) = w.text_list(value, key, vspan, diags) {
                        self.meta.nocite = list;
                        self.meta.cite.nocite_at = Some(vspan);
                    }
                }
                "bibliography" => {
                    if let Some(list) = w.text_list(value, key, vspan, diags) {
                        self.meta.bibliography = list;
                        self.meta.cite.bibliography_at = Some(vspan);
                    }
                }
                // Issue 16: pandoc's citeproc keys (MANUAL, "Citations"). `references`
                // is kept as YAML text for `crate::cite`, which reads it as CSL items.
                "references" => match value {
                    Value::Null => {}
                    Value::Sequence(_) | Value::Mapping(_) => {
                        if let Ok(text) = serde_yaml::to_string(value) {
                            self.meta.cite.references = Some((text, vspan));
                        }
                    }
                    other => diags.push(
                        Diagnostic::error(
                            vspan,
                            format!("`references` must be a list of sources, not {}", kind(other)),
                        )
                        .with_hint("write each source as CSL YAML: `- id: doe99` with `type:`, `author:`, `title:` …"),
                    ),
                },
                // `citation-style` is pandoc's older name for `csl`.
                "csl" | "citation-style" => {
                    self.meta.cite.csl =
                        w.text(value, key, vspan, false, diags).map(|s| (s, vspan))
                }
                "link-citations" => {
                    if let Some(b) = flag(value, key, vspan, diags) {
                        self.meta.cite.link_citations = b;
                    }
                }
                "link-bibliography" => {
                    if let Some(b) = flag(value, key, vspan, diags) {
                        self.meta.cite.link_bibliography = Some(b);
                    }
                }
                "suppress-bibliography" => {
                    if let Some(b) = flag(value, key, vspan, diags) {
                        self.meta.cite.suppress_bibliography = b;
                    }
                }
                "reference-section-title" => {
                    self.meta.cite.reference_section_title =
                        w.text(value, key, vspan, true, diags)
                }
                // Issue 14: the book's furniture.
                "copyright-page" => match value {
                    Value::Bool(b) => self.meta.copyright_page = Some(*b),
                    other => diags.push(
                        Diagnostic::error(
                            vspan,
                            format!("`copyright-page` must be true or false, not {}", kind(other)),
                        )
                        .with_hint("write `copyright-page: false` to leave the copyright page out"),
                    ),
                },
                "cover" => match value {
                    Value::Bool(false) => self.meta.no_generated_cover = true,
                    Value::String(s) if s.trim() == "none" => self.meta.no_generated_cover = true,
                    Value::String(s) if s.trim() == "generated" => {
                        self.meta.no_generated_cover = false
                    }
                    _ => diags.push(
                        Diagnostic::error(vspan, "`cover` must be `none` or `generated`")
                            .with_hint(
                                "`cover: none` turns the generated cover off; name an image with `cover-image: cover.jpg`",
                            ),
                    ),
                },
                "epub" => {
                    if let Some(css) = w.epub(value, vspan, &mut self.meta.epub, diags) {
                        self.css = Some(css);
                    }
                }
                _ => diags.push(unknown_key(loc.at(kpos), key, KEYS, "")),
            }
        }
    }

    /// Reads pandoc's `%` title block ([`super::title_block`]): its title, authors and
    /// date, as a metadata block setting those keys would. Applied before the file's
    /// YAML blocks, which override it.
    pub(crate) fn apply_title_block(&mut self, tb: super::title_block::TitleBlock) {
        if let Some(title) = tb.title {
            self.title_seen = true;
            self.meta.title = title.text;
        }
        if !tb.authors.is_empty() {
            self.meta.authors = tb.authors.into_iter().map(|a| a.text).collect();
        }
        if let Some(date) = tb.date {
            self.meta.date = Some(normalise_date(&date.text));
        }
    }

    /// Whether some block set `title`.
    pub(crate) fn has_title(&self) -> bool {
        self.title_seen
    }

    /// Whether a metadata block could not be read (its error already reported).
    pub(crate) fn is_unreadable(&self) -> bool {
        self.unreadable
    }

    /// The metadata (without the cover, which needs the file, and the abstract, which
    /// needs the Markdown parser) and what they need; presets applied last, so a key given
    /// anywhere wins over them.
    pub(crate) fn finish(mut self) -> Finished {
        apply_preset(&mut self.meta, self.preset_at);
        Finished {
            meta: self.meta,
            cover: self.cover,
            abstract_text: self.abstract_text,
            css: self.css,
        }
    }
}

/// A `true`/`false` value of `key` (issue 16's citeproc switches); an error for
/// anything else.
fn flag(value: &Value, key: &str, at: Span, diags: &mut Vec<Diagnostic>) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Null => None,
        other => {
            diags.push(
                Diagnostic::error(
                    at,
                    format!("`{key}` must be true or false, not {}", kind(other)),
                )
                .with_hint(format!("write `{key}: true` or `{key}: false`")),
            );
            None
        }
    }
}

/// Fills in `pdf: preset:`'s settings where no block gave the key: presets are defaults,
/// and any key given beside them (or in another block) wins. Applied once every block is
/// read, so the language and every block's keys are known, whatever their order.
fn apply_preset(meta: &mut Metadata, at: Option<Span>) {
    let us = meta.lang.uses_us_paper();
    let pdf = &mut meta.pdf;
    match pdf.preset {
        None => {}
        Some(Preset::Handout) => {
            // A4 or Letter by language: the typesetter's default too, written out so the
            // handout keeps its paper whatever the default becomes.
            if pdf.paper.is_none() {
                pdf.paper = paper_size(if us { "letter" } else { "a4" });
            }
            pdf.chapter_break.get_or_insert(ChapterBreak::RunOn);
            pdf.notes.get_or_insert(NotePlacement::Footnotes);
            // No cover and no contents page (issue 14): a handout starts with its text.
            pdf.contents.get_or_insert(false);
            pdf.cover.get_or_insert(false);
        }
        Some(Preset::Booklet) => {
            // The page sizes that fold from the usual printer sheets (A4, Letter).
            if pdf.paper.is_none() {
                pdf.paper = paper_size(if us { "half-letter" } else { "a5" });
            }
            if pdf.booklet.is_none() {
                pdf.booklet = Some(true);
                pdf.booklet_at = at;
            }
        }
    }
}

/// Finds keys and checks value types for one YAML block.
struct Walker<'a> {
    yaml: &'a str,
    loc: &'a dyn Locate,
}

impl Walker<'_> {
    /// Byte offsets in the YAML of the key at `path` (outermost first) and of its value
    /// (the value's first character on the key's line, else the next non-blank line).
    /// Falls back to the parent, then to 0.
    fn find(&self, path: &[&str]) -> (usize, usize) {
        let mut lines = Vec::new();
        let mut pos = 0;
        for line in self.yaml.split_inclusive('\n') {
            lines.push((pos, line));
            pos += line.len();
        }
        let mut from = 0;
        let mut min_indent = 0;
        let mut found = (0, 0);
        for (depth, key) in path.iter().enumerate() {
            let mut hit = None;
            let mut i = from;
            while i < lines.len() {
                let (start, line) = lines[i];
                let trimmed = line.trim_start_matches(' ');
                let indent = line.len() - trimmed.len();
                let blank = trimmed.trim().is_empty() || trimmed.starts_with('#');
                if depth > 0 && !blank && indent < min_indent {
                    break;
                }
                let bare = trimmed.strip_prefix(*key).and_then(|r| r.strip_prefix(':'));
                let quoted = trimmed
                    .strip_prefix('"')
                    .and_then(|r| r.strip_prefix(*key))
                    .and_then(|r| r.strip_prefix("\":"));
                let right_indent = if depth == 0 {
                    indent == 0
                } else {
                    indent >= min_indent
                };
                if let (Some(rest), true) = (bare.or(quoted), right_indent) {
                    let key_at = start + indent;
                    let value_in_line = rest.trim_start_matches([' ', '\t']);
                    let value_at =
                        if value_in_line.trim().is_empty() || value_in_line.starts_with('#') {
                            // The value is on a following line (a block list or mapping).
                            lines[i + 1..]
                                .iter()
                                .find(|(_, l)| !l.trim().is_empty())
                                .map_or(key_at, |(s, l)| s + (l.len() - l.trim_start().len()))
                        } else {
                            start + line.len() - rest.len() + (rest.len() - value_in_line.len())
                        };
                    hit = Some((key_at, value_at, indent));
                    from = i + 1;
                    break;
                }
                i += 1;
            }
            match hit {
                Some((k, v, indent)) => {
                    found = (k, v);
                    min_indent = indent + 1;
                }
                None => break,
            }
        }
        found
    }

    fn span(&self, path: &[&str]) -> (Span, Span) {
        let (k, v) = self.find(path);
        (self.loc.at(k), self.loc.at(v))
    }

    /// A scalar as text. Numbers and booleans are accepted where `numbers_ok` (a title
    /// like `1984` is a YAML number).
    fn text(
        &self,
        value: &Value,
        key: &str,
        at: Span,
        numbers_ok: bool,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<String> {
        match value {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) if numbers_ok => Some(n.to_string()),
            Value::Bool(b) if numbers_ok => Some(b.to_string()),
            Value::Null => None,
            other => {
                diags.push(
                    Diagnostic::error(at, format!("`{key}` must be text, not {}", kind(other)))
                        .with_hint(format!("write `{key}: …` with a single value")),
                );
                None
            }
        }
    }

    /// Text or a list of texts.
    fn text_list(
        &self,
        value: &Value,
        key: &str,
        at: Span,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Vec<String>> {
        match value {
            Value::String(s) => Some(vec![s.trim().to_string()]),
            Value::Null => Some(Vec::new()),
            Value::Sequence(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) => out.push(s.trim().to_string()),
                        other => diags.push(Diagnostic::error(
                            at,
                            format!("every item of `{key}` must be text, not {}", kind(other)),
                        )),
                    }
                }
                Some(out)
            }
            other => {
                diags.push(
                    Diagnostic::error(
                        at,
                        format!(
                            "`{key}` must be text or a list of texts, not {}",
                            kind(other)
                        ),
                    )
                    .with_hint(format!("write `{key}: Name` or a list of `- Name` lines")),
                );
                None
            }
        }
    }

    /// The `pdf:` mapping; returns where a valid `preset` key is, if any.
    fn pdf(
        &self,
        value: &Value,
        at: Span,
        pdf: &mut PdfSettings,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Span> {
        let map = match value {
            Value::Mapping(m) => m,
            Value::Null => return None,
            other => {
                diags.push(Diagnostic::error(
                    at,
                    format!("`pdf` must be a mapping of settings, not {}", kind(other)),
                ));
                return None;
            }
        };
        let mut preset_at = None;
        for (key, value) in map {
            let Some(key) = key.as_str() else { continue };
            let (kspan, vspan) = self.span(&["pdf", key]);
            match key {
                "paper" => {
                    if let Some(s) = self.text(value, "pdf.paper", vspan, false, diags) {
                        match paper_size(&s) {
                            // 3 in leaves room for margins and a line; 200 in is the
                            // largest page PDF viewers must handle (ISO 32000-1 Annex C:
                            // 14,400 units).
                            Some(size)
                                if !(MIN_PAPER..=MAX_PAPER).contains(&size.width)
                                    || !(MIN_PAPER..=MAX_PAPER).contains(&size.height) =>
                            {
                                diags.push(
                                    Diagnostic::error(
                                        vspan,
                                        format!("`{s}` is not a usable page size"),
                                    )
                                    .with_hint("each side must be between 3in and 200in"),
                                )
                            }
                            Some(size) => pdf.paper = Some(size),
                            None => diags.push(
                                Diagnostic::error(vspan, format!("`{s}` is not a paper size"))
                                    .with_hint(
                                    "use a4, letter, a5, half-letter, or a size like `6x9in` or `148mm x 210mm`",
                                ),
                            ),
                        }
                    }
                }
                "margins" => {
                    let lengths: Option<Vec<f32>> = match value {
                        Value::Sequence(items) if items.len() == 4 => {
                            items.iter().map(length_value).collect()
                        }
                        Value::Sequence(_) => None,
                        v => length_value(v).map(|l| vec![l; 4]),
                    };
                    match lengths {
                        Some(l) if l.len() == 4 => pdf.margins = Some([l[0], l[1], l[2], l[3]]),
                        _ => diags.push(
                            Diagnostic::error(vspan, "`pdf.margins` must be one length or a list of four")
                                .with_hint("write `margins: 2cm` or `margins: [20mm, 18mm, 25mm, 18mm]` (top, right, bottom, left)"),
                        ),
                    }
                }
                "font-size" => match length_value(value) {
                    Some(l) if l > 0.0 => pdf.font_size = Some(l),
                    _ => diags.push(Diagnostic::error(
                        vspan,
                        "`pdf.font-size` must be a size such as `11` or `11pt`",
                    )),
                },
                "chapters" => match self
                    .text(value, "pdf.chapters", vspan, false, diags)
                    .as_deref()
                {
                    Some("new-page") => pdf.chapter_break = Some(ChapterBreak::NewPage),
                    Some("run-on") => pdf.chapter_break = Some(ChapterBreak::RunOn),
                    Some("recto") => pdf.chapter_break = Some(ChapterBreak::Recto),
                    Some(other) => diags.push(
                        Diagnostic::error(
                            vspan,
                            format!("`chapters: {other}` is not a chapter break"),
                        )
                        .with_hint("use `new-page`, `recto` (a right-hand page) or `run-on`"),
                    ),
                    None => {}
                },
                "fonts" => self.fonts(value, vspan, pdf, diags),
                // Issue 15's booklet and presets (see `apply_preset` and `pdf::booklet`).
                "booklet" => match value {
                    Value::Bool(on) => {
                        pdf.booklet = Some(*on);
                        pdf.booklet_at = Some(kspan);
                    }
                    other => diags.push(
                        Diagnostic::error(
                            vspan,
                            format!("`pdf.booklet` must be true or false, not {}", kind(other)),
                        )
                        .with_hint("write `booklet: true`"),
                    ),
                },
                "preset" => match self
                    .text(value, "pdf.preset", vspan, false, diags)
                    .as_deref()
                {
                    Some("handout") => {
                        pdf.preset = Some(Preset::Handout);
                        preset_at = Some(kspan);
                    }
                    Some("booklet") => {
                        pdf.preset = Some(Preset::Booklet);
                        preset_at = Some(kspan);
                    }
                    Some(other) => diags.push(
                        Diagnostic::error(vspan, format!("`{other}` is not a preset"))
                            .with_hint(format!("known presets: {}", PRESETS.join(", "))),
                    ),
                    None => {}
                },
                // Where the PDF sets notes; the top-level `notes:` (numbering) is another
                // key. A preset (`pdf: preset: handout`) sets this same field.
                "notes" => match self.text(value, "pdf.notes", vspan, false, diags).as_deref() {
                    Some("endnotes") => pdf.notes = Some(NotePlacement::Endnotes),
                    Some("footnotes") => pdf.notes = Some(NotePlacement::Footnotes),
                    Some(other) => diags.push(
                        Diagnostic::error(vspan, format!("`notes: {other}` is not a place for the PDF's notes"))
                            .with_hint("use `footnotes` (at the foot of each page) or `endnotes` (a Notes section at the end); numbering is the top-level `notes: book|chapter`"),
                    ),
                    None => {}
                },
                // Issue 14: the book's furniture.
                "contents" | "cover" | "chapter-numbers" => match value {
                    Value::Bool(b) => match key {
                        "contents" => pdf.contents = Some(*b),
                        "cover" => pdf.cover = Some(*b),
                        _ => pdf.chapter_numbers = Some(*b),
                    },
                    other => diags.push(
                        Diagnostic::error(
                            vspan,
                            format!("`pdf.{key}` must be true or false, not {}", kind(other)),
                        )
                        .with_hint(format!("write `{key}: true` or `{key}: false`")),
                    ),
                },
                "contents-depth" => match value.as_u64() {
                    Some(d @ 1..=2) => pdf.contents_depth = Some(d as u8),
                    _ => diags.push(
                        Diagnostic::error(vspan, "`pdf.contents-depth` must be 1 or 2")
                            .with_hint("1 lists the chapters, 2 their sections too"),
                    ),
                },
                "folios" => match self
                    .text(value, "pdf.folios", vspan, false, diags)
                    .as_deref()
                {
                    Some("roman-front") => pdf.folios = Some(Folios::RomanFront),
                    Some("continuous") => pdf.folios = Some(Folios::Continuous),
                    Some(other) => diags.push(
                        Diagnostic::error(vspan, format!("`folios: {other}` is not a numbering"))
                            .with_hint(
                                "use `roman-front` (i, ii … then 1 at the text) or `continuous`",
                            ),
                    ),
                    None => {}
                },
                _ => diags.push(unknown_key(kspan, key, PDF_KEYS, "pdf.")),
            }
        }
        preset_at
    }

    /// The `epub:` mapping; returns the `css` path as written and where, if any.
    fn epub(
        &self,
        value: &Value,
        at: Span,
        epub: &mut EpubSettings,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<(String, Span)> {
        let Value::Mapping(map) = value else {
            diags.push(Diagnostic::error(
                at,
                format!("`epub` must be a mapping of settings, not {}", kind(value)),
            ));
            return None;
        };
        let mut css = None;
        for (key, value) in map {
            let Some(key) = key.as_str() else { continue };
            let (kspan, vspan) = self.span(&["epub", key]);
            match key {
                "css" => {
                    css = self
                        .text(value, "epub.css", vspan, false, diags)
                        .map(|s| (s, vspan))
                }
                // Issue 17: the PDF's pages in the EPUB (on unless `false`).
                "page-list" => match value {
                    Value::Bool(b) => epub.page_list = Some(*b),
                    other => diags.push(
                        Diagnostic::error(
                            vspan,
                            format!(
                                "`epub.page-list` must be true or false, not {}",
                                kind(other)
                            ),
                        )
                        .with_hint(
                            "write `page-list: false` to leave the PDF's pages out of the EPUB",
                        ),
                    ),
                },
                "embed-fonts" => match value {
                    Value::Bool(b) => epub.embed_fonts = *b,
                    other => diags.push(Diagnostic::error(
                        vspan,
                        format!(
                            "`epub.embed-fonts` must be true or false, not {}",
                            kind(other)
                        ),
                    )),
                },
                _ => diags.push(unknown_key(kspan, key, EPUB_KEYS, "epub.")),
            }
        }
        css
    }

    fn fonts(&self, value: &Value, at: Span, pdf: &mut PdfSettings, diags: &mut Vec<Diagnostic>) {
        let Value::Mapping(map) = value else {
            diags.push(Diagnostic::error(
                at,
                format!("`pdf.fonts` must be a mapping, not {}", kind(value)),
            ));
            return;
        };
        for (key, value) in map {
            let Some(key) = key.as_str() else { continue };
            let (kspan, vspan) = self.span(&["pdf", "fonts", key]);
            let slot = match key {
                // Font files for characters the book's faces lack: a list, or one file.
                "fallback" => {
                    if let Some(list) = self.text_list(value, key, vspan, diags) {
                        pdf.fonts.fallback = list.into_iter().map(PathBuf::from).collect();
                    }
                    continue;
                }
                "system" => {
                    match value {
                        Value::Bool(b) => pdf.fonts.no_system = !b,
                        other => diags.push(
                            Diagnostic::error(
                                vspan,
                                format!(
                                    "`pdf.fonts.system` must be true or false, not {}",
                                    kind(other)
                                ),
                            )
                            .with_hint("write `system: false` to use only the book's own fonts"),
                        ),
                    }
                    continue;
                }
                "regular" => &mut pdf.fonts.regular,
                "italic" => &mut pdf.fonts.italic,
                "bold" => &mut pdf.fonts.bold,
                "bold-italic" => &mut pdf.fonts.bold_italic,
                _ => {
                    diags.push(unknown_key(kspan, key, FONT_KEYS, "pdf.fonts."));
                    continue;
                }
            };
            *slot = self
                .text(value, key, vspan, false, diags)
                .map(PathBuf::from);
        }
    }
}

/// A warning for an unknown key, with the closest known key when it is close.
fn unknown_key(at: Span, key: &str, known: &[&str], prefix: &str) -> Diagnostic {
    let best = known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(key, k), *k))
        .filter(|(d, k)| *d <= (k.len() / 3).max(1) || strsim::jaro_winkler(key, k) > 0.9)
        .min();
    let d = Diagnostic::warning(
        at,
        format!("unknown metadata key `{prefix}{key}` is ignored"),
    );
    match best {
        Some((_, k)) => d.with_hint(format!("did you mean `{prefix}{k}`?")),
        None => d.with_hint(format!("known keys: {}", known.join(", "))),
    }
}

/// A YAML value's kind, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

/// The message without its ` at line L column C` parts (they count from the start of the
/// YAML, not of the file; the diagnostic's span says where instead), and those positions.
fn strip_positions(message: &str) -> (String, Vec<(usize, usize)>) {
    let mut out = String::new();
    let mut found = Vec::new();
    let mut rest = message;
    while let Some(i) = rest.find(" at line ") {
        out.push_str(&rest[..i]);
        let after = &rest[i + " at line ".len()..];
        let line_len = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        let line = after[..line_len].parse::<usize>().ok();
        let tail = &after[line_len..];
        let col_part = tail.strip_prefix(" column ");
        let col_len = col_part.map_or(0, |c| {
            c.find(|ch: char| !ch.is_ascii_digit()).unwrap_or(c.len())
        });
        let col = col_part.and_then(|c| c[..col_len].parse::<usize>().ok());
        match (line, col, col_part) {
            (Some(l), Some(c), Some(cp)) => {
                found.push((l, c));
                rest = &cp[col_len..];
            }
            _ => {
                out.push_str(" at line ");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    (out, found)
}

/// Byte offset in `text` of 1-based `line` and `col` (in characters), clamped.
fn offset_of_line_col(text: &str, line: usize, col: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let rest = &text[start..];
    let line_end = rest.find('\n').unwrap_or(rest.len());
    start
        + rest[..line_end]
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(line_end, |(i, _)| i)
}

/// `2017-11-01` (or `2017-11-01T…`) → `2017-11-01`; anything else as written.
fn normalise_date(s: &str) -> String {
    let b = s.as_bytes();
    let is_date = b.len() >= 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b[..4]
            .iter()
            .chain(&b[5..7])
            .chain(&b[8..10])
            .all(u8::is_ascii_digit)
        && (b.len() == 10 || matches!(b[10], b'T' | b't' | b' '));
    if is_date {
        s[..10].to_string()
    } else {
        s.to_string()
    }
}

/// Sorts an identifier into ISBN, UUID or other URI.
pub(crate) fn classify_identifier(s: &str) -> Identifier {
    let lower = s.to_ascii_lowercase();
    let isbn_body = lower
        .strip_prefix("urn:isbn:")
        .or_else(|| lower.strip_prefix("isbn:"))
        .or_else(|| lower.strip_prefix("isbn"))
        .unwrap_or(&lower)
        .trim();
    let digits: String = isbn_body
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .collect();
    let isbn10 = digits.is_ascii()
        && digits.len() == 10
        && digits[..9].chars().all(|c| c.is_ascii_digit())
        && digits[9..].chars().all(|c| c.is_ascii_digit() || c == 'x');
    let isbn13 = digits.len() == 13 && digits.chars().all(|c| c.is_ascii_digit());
    if (isbn10 || isbn13)
        && isbn_body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | 'x'))
    {
        return Identifier::Isbn(digits.to_ascii_uppercase());
    }
    let uuid = lower.strip_prefix("urn:uuid:").unwrap_or(&lower);
    if is_uuid(uuid) {
        return Identifier::Uuid(uuid.to_string());
    }
    Identifier::Uri(s.to_string())
}

fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// `ta-ble` → word `table`, breaks `[2]`; `present` → no breaks (never hyphenate).
pub(crate) fn hyphenation_exception(s: &str) -> HyphenationException {
    let mut word = String::new();
    let mut breaks = Vec::new();
    let mut count = 0;
    for c in s.trim().chars() {
        if c == '-' {
            if count > 0 && breaks.last() != Some(&count) {
                breaks.push(count);
            }
        } else {
            word.extend(c.to_lowercase());
            count += 1;
        }
    }
    breaks.retain(|&b| b < count);
    HyphenationException { word, breaks }
}

/// Points per unit.
fn unit_points(unit: &str) -> Option<f32> {
    match unit {
        "" | "pt" => Some(1.0),
        "mm" => Some(72.0 / 25.4),
        "cm" => Some(72.0 / 2.54),
        "in" => Some(72.0),
        _ => None,
    }
}

/// Splits `12.5mm` into `(12.5, "mm")`.
fn number_and_unit(s: &str) -> Option<(f32, &str)> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let n: f32 = s[..split].parse().ok()?;
    let unit = s[split..].trim();
    (n.is_finite() && n >= 0.0).then_some((n, unit))
}

/// A length in points from `12`, `12pt`, `2cm`, `0.5in`, `20mm`.
pub(crate) fn length(s: &str) -> Option<f32> {
    let (n, unit) = number_and_unit(s)?;
    Some(n * unit_points(unit)?)
}

fn length_value(v: &Value) -> Option<f32> {
    match v {
        Value::Number(n) => n
            .as_f64()
            .map(|f| f as f32)
            .filter(|f| f.is_finite() && *f >= 0.0),
        Value::String(s) => length(s),
        _ => None,
    }
}

/// The smallest and largest page side accepted, in points.
const MIN_PAPER: f32 = 216.0;
const MAX_PAPER: f32 = 14_400.0;

/// A paper size: a name, or `WxH<unit>` / `W<unit> x H<unit>`.
pub(crate) fn paper_size(s: &str) -> Option<Length2> {
    let lower = s.trim().to_ascii_lowercase();
    let named = match lower.as_str() {
        // ISO 216 sizes in mm, converted exactly; US Letter is 8.5 x 11 in.
        "a4" => Some((210.0, 297.0, "mm")),
        "a5" => Some((148.0, 210.0, "mm")),
        "letter" => Some((8.5, 11.0, "in")),
        // Letter folded in half (the booklet page for Letter sheets).
        "half-letter" => Some((5.5, 8.5, "in")),
        _ => None,
    };
    if let Some((w, h, unit)) = named {
        let k = unit_points(unit)?;
        return Some(Length2 {
            width: w * k,
            height: h * k,
        });
    }
    let (w, h) = lower.split_once('x')?;
    let (wn, wu) = number_and_unit(w)?;
    let (hn, hu) = number_and_unit(h)?;
    let unit = if hu.is_empty() { wu } else { hu };
    let wu = if wu.is_empty() { unit } else { wu };
    if unit.is_empty() || wn <= 0.0 || hn <= 0.0 {
        return None;
    }
    Some(Length2 {
        width: wn * unit_points(wu)?,
        height: hn * unit_points(unit)?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn run(yaml: &str) -> (Metadata, Vec<Diagnostic>) {
        let mut b = MetaBuilder::default();
        let mut diags = Vec::new();
        let loc = |i: usize| Span::new(FileId(0), i, i);
        b.apply(yaml, &loc, &mut diags);
        (b.finish().meta, diags)
    }

    #[test]
    fn identifiers_are_classified() {
        assert_eq!(
            classify_identifier("978-3-16-148410-0"),
            Identifier::Isbn("9783161484100".into())
        );
        assert_eq!(
            classify_identifier("urn:isbn:0-306-40615-2"),
            Identifier::Isbn("0306406152".into())
        );
        assert_eq!(
            classify_identifier("urn:uuid:6BA7B810-9DAD-11D1-80B4-00C04FD430C8"),
            Identifier::Uuid("6ba7b810-9dad-11d1-80b4-00c04fd430c8".into())
        );
        assert_eq!(
            classify_identifier("https://example.org/b"),
            Identifier::Uri("https://example.org/b".into())
        );
    }

    #[test]
    fn lengths_and_paper() {
        assert_eq!(length("72"), Some(72.0));
        assert_eq!(length("1in"), Some(72.0));
        assert!((length("2.54cm").unwrap() - 72.0).abs() < 1e-3);
        assert_eq!(length("3furlongs"), None);
        assert_eq!(
            paper_size("6x9in"),
            Some(Length2 {
                width: 432.0,
                height: 648.0
            })
        );
        assert_eq!(
            paper_size("letter"),
            Some(Length2 {
                width: 612.0,
                height: 792.0
            })
        );
        let a4 = paper_size("A4").unwrap();
        assert!((a4.width - 595.2756).abs() < 1e-2 && (a4.height - 841.8898).abs() < 1e-2);
        let mm = paper_size("148mm x 210mm").unwrap();
        assert!((mm.width - 419.5276).abs() < 1e-2);
        assert_eq!(paper_size("6x9"), None);
    }

    #[test]
    fn hyphenation_exceptions() {
        assert_eq!(
            hyphenation_exception("ta-ble"),
            HyphenationException {
                word: "table".into(),
                breaks: vec![2]
            }
        );
        assert_eq!(
            hyphenation_exception("Present"),
            HyphenationException {
                word: "present".into(),
                breaks: vec![]
            }
        );
        assert_eq!(hyphenation_exception("hy-phen-ation").breaks, vec![2, 6]);
    }

    #[test]
    fn keys_values_and_types() {
        let (m, d) = run("title: 1984\nauthor:\n  - A\n  - B\ndate: 2017-11-01\nlang: fr\n");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(m.title, "1984");
        assert_eq!(m.authors, ["A", "B"]);
        assert_eq!(m.date.as_deref(), Some("2017-11-01"));
        assert_eq!(m.lang.as_str(), "fr");

        let (_, d) = run("title: T\ntitel: x\nauthor: 5\nlang: [en]\n");
        assert_eq!(d.len(), 3, "{d:?}");
        assert_eq!(d[0].span.unwrap().start, 9);
        assert_eq!(d[0].hint.as_deref(), Some("did you mean `title`?"));
        assert!(d[1].is_error() && d[1].message.contains("`author` must be text or a list"));
        assert_eq!(
            d[1].span.unwrap().start,
            "title: T\ntitel: x\nauthor: ".len()
        );
        assert!(d[2].is_error() && d[2].message.contains("`lang` must be text"));
    }

    #[test]
    fn pdf_settings() {
        let (m, d) = run("pdf:\n  paper: a5\n  margins: [1in, 2cm, 20mm, 36]\n  font-size: 11pt\n  chapters: run-on\n  papr: x\n  fonts:\n    bold: b.ttf\n");
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].span.unwrap().start, "pdf:\n  paper: a5\n  margins: [1in, 2cm, 20mm, 36]\n  font-size: 11pt\n  chapters: run-on\n  ".len());
        assert_eq!(d[0].hint.as_deref(), Some("did you mean `pdf.paper`?"));
        assert_eq!(m.pdf.margins.unwrap()[0], 72.0);
        assert_eq!(m.pdf.font_size, Some(11.0));
        assert_eq!(m.pdf.chapter_break, Some(ChapterBreak::RunOn));
        assert_eq!(m.pdf.fonts.bold, Some(PathBuf::from("b.ttf")));
        assert_eq!(m.pdf.notes, None);
    }

    #[test]
    fn pdf_notes_placement() {
        let (m, d) = run("title: T\nnotes: chapter\npdf:\n  notes: footnotes\n");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(m.pdf.notes, Some(NotePlacement::Footnotes));
        assert_eq!(m.note_numbering, NoteNumbering::Chapter);
        let (m, d) = run("title: T\npdf:\n  notes: endnotes\n");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(m.pdf.notes, Some(NotePlacement::Endnotes));
        let (m, d) = run("title: T\npdf:\n  notes: sidenotes\n");
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(d[0].is_error() && d[0].message.contains("`notes: sidenotes`"));
        assert_eq!(d[0].span.unwrap().start, "title: T\npdf:\n  notes: ".len());
        assert_eq!(m.pdf.notes, None);
    }

    /// Issue 15's presets are defaults: what they set gives way to any key given
    /// beside them, in any order.
    #[test]
    fn presets_fill_only_what_is_not_given() {
        let a5 = paper_size("a5");
        let (m, d) = run("pdf:\n  preset: booklet\n");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!((m.pdf.paper, m.pdf.booklet), (a5, Some(true)));
        assert_eq!(m.pdf.booklet_at.map(|s| s.start), Some("pdf:\n  ".len()));
        assert_eq!(m.pdf.preset, Some(Preset::Booklet));

        // US English folds half-letter pages from Letter; the language may come later.
        let (m, _) = run("pdf:\n  preset: booklet\nlang: en-US\n");
        assert_eq!(m.pdf.paper, paper_size("half-letter"));
        assert_eq!(m.pdf.paper.map(|p| p.width), Some(396.0));

        let (m, d) = run("pdf:\n  booklet: false\n  preset: booklet\n  paper: 6x9in\n");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(
            (m.pdf.paper, m.pdf.booklet),
            (paper_size("6x9in"), Some(false))
        );

        let (m, d) = run("lang: fr\npdf:\n  preset: handout\n");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(m.pdf.paper, paper_size("a4"));
        assert_eq!(m.pdf.chapter_break, Some(ChapterBreak::RunOn));
        assert_eq!(m.pdf.notes, Some(NotePlacement::Footnotes));
        assert_eq!(m.pdf.booklet, None);
        let (m, _) = run("lang: en-CA\npdf:\n  preset: handout\n  chapters: new-page\n");
        assert_eq!(m.pdf.paper, paper_size("letter"));
        assert_eq!(m.pdf.chapter_break, Some(ChapterBreak::NewPage));
    }

    #[test]
    fn bad_booklet_preset_and_notes_values() {
        let yaml = "pdf:\n  preset: pamphlet\n  booklet: yes\n  notes: margin\n";
        let (m, d) = run(yaml);
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(d.iter().all(Diagnostic::is_error), "{d:?}");
        assert_eq!(d[0].span.unwrap().start, yaml.find("pamphlet").unwrap());
        assert_eq!(
            d[0].hint.as_deref(),
            Some("known presets: handout, booklet")
        );
        assert_eq!(d[1].span.unwrap().start, yaml.find("yes").unwrap());
        assert_eq!(d[2].span.unwrap().start, yaml.find("margin").unwrap());
        assert_eq!(
            (m.pdf.preset, m.pdf.booklet, m.pdf.notes),
            (None, None, None)
        );
        // Footnotes are a place the PDF sets notes: no warning.
        let (m, d) = run("pdf:\n  notes: footnotes\n");
        assert_eq!(m.pdf.notes, Some(NotePlacement::Footnotes));
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn yaml_positions_are_taken_out_of_messages() {
        let (m, at) =
            strip_positions("found x at line 3 column 1, while scanning y at line 2 column 9");
        assert_eq!(m, "found x, while scanning y");
        assert_eq!(at, [(3, 1), (2, 9)]);
    }

    #[test]
    fn syntax_error_points_at_its_line() {
        let (_, d) = run("title: T\nauthor: [a, b\nlang: en\n");
        assert_eq!(d.len(), 1);
        assert!(d[0].is_error());
        // Somewhere after the start of line 2, where the flow sequence is broken.
        assert!(d[0].span.unwrap().start >= 9, "{d:?}");
    }
}
