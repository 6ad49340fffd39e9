//! The book model: everything the backends see of a manuscript.
//!
//! Built once by [`crate::parse`]; read, never changed, by the EPUB and PDF backends. It
//! is plain data: no Markdown, no YAML, no EPUB or PDF notions. Blocks and inlines are
//! separate enums so a paragraph cannot hold a paragraph. Endnotes are resolved here,
//! once: an [`Inline::NoteRef`] holds a [`NoteId`] that always points into
//! [`Book::notes`].

use crate::source::Span;
use std::path::PathBuf;

/// A whole book.
#[derive(Clone, Debug, PartialEq)]
pub struct Book {
    /// Title, author, language and the rest.
    pub meta: Metadata,
    /// The chapters in reading order. The first may be untitled (text before the first
    /// level-1 heading).
    pub chapters: Vec<Chapter>,
    /// Every note, in number order: `notes[i].id.index() == i`.
    pub notes: Vec<Note>,
    /// Every local file the book uses (images, cover), each once, in order of first use.
    pub assets: Vec<Asset>,
}

/// Book metadata (pandoc-compatible keys, plus quire's own).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Metadata {
    /// The title (required).
    pub title: String,
    /// An optional subtitle.
    pub subtitle: Option<String>,
    /// Authors in order; may be empty.
    pub authors: Vec<String>,
    /// The book's language, e.g. `en-US`. Defaults to `en`.
    pub lang: LanguageTag,
    /// Publication date as written, normalised to `YYYY-MM-DD` when it is a date.
    pub date: Option<String>,
    /// Publisher.
    pub publisher: Option<String>,
    /// Rights statement.
    pub rights: Option<String>,
    /// The identifier given by the author, if any.
    pub identifier: Option<Identifier>,
    /// A one-line description.
    pub description: Option<String>,
    /// Subjects (keywords).
    pub subjects: Vec<String>,
    /// The cover image, as an index into [`Book::assets`].
    pub cover: Option<AssetId>,
    /// How notes are numbered.
    pub note_numbering: NoteNumbering,
    /// Settings for the PDF backend (`pdf:` in the metadata).
    pub pdf: PdfSettings,
    /// Per-book hyphenation exceptions: the word (lowercase) and where it may break, as
    /// written by the author (`ta-ble`). Checked before the language's patterns.
    pub hyphenation: Vec<HyphenationException>,
    // --- pandoc's metadata (issue 12) ---
    /// pandoc's `abstract`, read as Markdown: shown on the title page of both outputs.
    pub r#abstract: Vec<Block>,
    /// pandoc's `dir`: the book's base text direction, when given.
    pub dir: Option<Direction>,
    /// pandoc's `toc`: whether the book shows a table of contents in its text (the EPUB's
    /// navigation document is always there).
    pub toc: bool,
    /// pandoc's `toc-title`: the table of contents' heading (a default by language else).
    pub toc_title: Option<String>,
    /// pandoc's `bibliography`: the files as written (read by a later issue).
    pub bibliography: Vec<String>,
    /// pandoc's `nocite`: citation keys as written (`@*`, `@key`), for a later issue.
    pub nocite: Vec<String>,
    // --- the book's furniture (issue 14) ---
    /// `copyright-page:` — `Some(false)` leaves the copyright page out, `Some(true)` sets
    /// one even without rights or an identifier; `None`: one when the metadata has rights
    /// or an identifier (what a copyright page is for; the publisher and the date are
    /// already on the title page).
    pub copyright_page: Option<bool>,
    /// `cover: none` (or `cover: false`): no cover is generated when `cover-image` is
    /// not given.
    pub no_generated_cover: bool,
    /// Settings for the EPUB backend (`epub:` in the metadata).
    pub epub: EpubSettings,
    /// pandoc's other citation keys (issue 16), read by `crate::cite`.
    pub cite: CiteSettings,
}

/// EPUB settings (`epub:` in the metadata, issue 14).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct EpubSettings {
    /// `epub: css:` — the author's stylesheet, read through the file layer and checked,
    /// added after quire's own.
    pub css: Option<String>,
    /// `epub: embed-fonts: true` — the PDF's fonts, subset, in the EPUB too.
    pub embed_fonts: bool,
    /// `epub: page-list:` (issue 17): whether the EPUB marks the PDF's pages and lists
    /// them (`None`: yes). With `false`, a build of the EPUB alone typesets nothing.
    pub page_list: Option<bool>,
}

impl EpubSettings {
    /// Whether the EPUB gets the print edition's page list.
    pub fn page_list(&self) -> bool {
        self.page_list != Some(false)
    }
}

/// What a chapter is in the book's structure, from its heading's classes (pandoc's
/// `# Dedication {.dedication}`): the EPUB Structural Semantics Vocabulary 1.1 names
/// (`epub:type`, EPUB 3.3 §D) with their DPUB-ARIA 1.1 roles, and where the Chicago
/// Manual of Style (17th ed., 1.4 and 1.50-1.64) puts each part of a book.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatterRole {
    /// A half title (`halftitle`): front matter.
    HalfTitle,
    /// The copyright page (`copyright-page`): front matter, the title page's verso.
    CopyrightPage,
    /// `dedication`: front matter, a page of its own.
    Dedication,
    /// `epigraph`: front matter (when it opens the book), a page of its own.
    Epigraph,
    /// `foreword`.
    Foreword,
    /// `preface`.
    Preface,
    /// `introduction`.
    Introduction,
    /// `prologue`.
    Prologue,
    /// `epilogue`.
    Epilogue,
    /// `afterword`.
    Afterword,
    /// `acknowledgments` (or `acknowledgements`).
    Acknowledgments,
    /// `appendix`.
    Appendix,
    /// `glossary`.
    Glossary,
    /// `bibliography`.
    Bibliography,
    /// `colophon`.
    Colophon,
    /// `frontmatter` or `backmatter` without a more precise kind (an author's note, an
    /// "About the author"): only its place in the book.
    Other,
}

/// The classes that give a chapter a [`MatterRole`], as written.
pub const MATTER_CLASSES: &[(&str, MatterRole)] = &[
    ("halftitle", MatterRole::HalfTitle),
    ("copyright-page", MatterRole::CopyrightPage),
    ("dedication", MatterRole::Dedication),
    ("epigraph", MatterRole::Epigraph),
    ("foreword", MatterRole::Foreword),
    ("preface", MatterRole::Preface),
    ("introduction", MatterRole::Introduction),
    ("prologue", MatterRole::Prologue),
    ("epilogue", MatterRole::Epilogue),
    ("afterword", MatterRole::Afterword),
    ("acknowledgments", MatterRole::Acknowledgments),
    ("acknowledgements", MatterRole::Acknowledgments),
    ("appendix", MatterRole::Appendix),
    ("glossary", MatterRole::Glossary),
    ("bibliography", MatterRole::Bibliography),
    ("colophon", MatterRole::Colophon),
    ("frontmatter", MatterRole::Other),
    ("backmatter", MatterRole::Other),
];

impl MatterRole {
    /// The `epub:type` of its section (EPUB SSV 1.1); `None` for [`MatterRole::Other`],
    /// whose section is typed by its partition alone.
    pub fn epub_type(self) -> Option<&'static str> {
        Some(match self {
            MatterRole::HalfTitle => "halftitlepage",
            MatterRole::CopyrightPage => "copyright-page",
            MatterRole::Dedication => "dedication",
            MatterRole::Epigraph => "epigraph",
            MatterRole::Foreword => "foreword",
            MatterRole::Preface => "preface",
            MatterRole::Introduction => "introduction",
            MatterRole::Prologue => "prologue",
            MatterRole::Epilogue => "epilogue",
            MatterRole::Afterword => "afterword",
            MatterRole::Acknowledgments => "acknowledgments",
            MatterRole::Appendix => "appendix",
            MatterRole::Glossary => "glossary",
            MatterRole::Bibliography => "bibliography",
            MatterRole::Colophon => "colophon",
            MatterRole::Other => return None,
        })
    }

    /// The DPUB-ARIA 1.1 role matching [`Self::epub_type`] (Ace's
    /// `epub-type-has-matching-role`); `None` where DPUB-ARIA has none (a half title, a
    /// copyright page).
    pub fn aria_role(self) -> Option<&'static str> {
        Some(match self {
            MatterRole::Dedication => "doc-dedication",
            MatterRole::Epigraph => "doc-epigraph",
            MatterRole::Foreword => "doc-foreword",
            MatterRole::Preface => "doc-preface",
            MatterRole::Introduction => "doc-introduction",
            MatterRole::Prologue => "doc-prologue",
            MatterRole::Epilogue => "doc-epilogue",
            MatterRole::Afterword => "doc-afterword",
            MatterRole::Acknowledgments => "doc-acknowledgments",
            MatterRole::Appendix => "doc-appendix",
            MatterRole::Glossary => "doc-glossary",
            MatterRole::Bibliography => "doc-bibliography",
            MatterRole::Colophon => "doc-colophon",
            MatterRole::HalfTitle | MatterRole::CopyrightPage | MatterRole::Other => return None,
        })
    }

    /// Whether only one such part makes sense in a book.
    pub fn single(self) -> bool {
        matches!(
            self,
            MatterRole::HalfTitle | MatterRole::CopyrightPage | MatterRole::Colophon
        )
    }

    /// Whether the PDF sets it alone on its page, centred in the upper third, without
    /// running heads or heading (a dedication, an epigraph: CMOS 1.38-1.39).
    pub fn own_page(self) -> bool {
        matches!(self, MatterRole::Dedication | MatterRole::Epigraph)
    }
}

/// The three partitions of a book (EPUB SSV 1.1 "Partitions"; CMOS 1.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Division {
    /// Before the text: half title, dedication, epigraph, foreword, preface …
    Front,
    /// The text.
    Body,
    /// After the text: acknowledgments, appendixes, glossary, bibliography …
    Back,
}

impl Chapter {
    /// The chapter's matter role, from its heading's classes (the first that names one).
    pub fn role(&self) -> Option<MatterRole> {
        self.attr.classes.iter().find_map(|c| {
            MATTER_CLASSES
                .iter()
                .find(|(name, _)| name == c)
                .map(|(_, r)| *r)
        })
    }

    /// The heading's short form (`{short="…"}`, as LaTeX's optional short title), for the
    /// running heads.
    pub fn short_title(&self) -> Option<&str> {
        self.attr.get("short").filter(|s| !s.trim().is_empty())
    }
}

impl Book {
    /// The division of each chapter: the chapters with a matter role before the first
    /// chapter without one are front matter (an untitled opening is text); those with a
    /// role after the last chapter without one are back matter; the rest is the text
    /// (a `bodymatter` class keeps a chapter with a role in the text). A book whose every chapter
    /// has a role is all front matter up to its first back-matter kind (acknowledgments,
    /// appendix, glossary, bibliography, colophon, `backmatter`).
    pub fn divisions(&self) -> Vec<Division> {
        let is_back_kind = |c: &Chapter| {
            c.attr.has_class("backmatter")
                || matches!(
                    c.role(),
                    Some(
                        MatterRole::Appendix
                            | MatterRole::Glossary
                            | MatterRole::Bibliography
                            | MatterRole::Colophon
                    )
                )
        };
        let plain = |c: &Chapter| c.role().is_none() || c.attr.has_class("bodymatter");
        let first_body = self.chapters.iter().position(plain);
        let last_body = self.chapters.iter().rposition(plain);
        self.chapters
            .iter()
            .enumerate()
            .map(|(i, c)| match (first_body, last_body) {
                (Some(f), _) if i < f && !is_back_kind(c) => Division::Front,
                (Some(_), Some(l)) if i > l => Division::Back,
                (Some(_), _) => Division::Body,
                (None, _) => {
                    let first_back = self.chapters.iter().position(is_back_kind);
                    if first_back.is_some_and(|b| i >= b) {
                        Division::Back
                    } else {
                        Division::Front
                    }
                }
            })
            .collect()
    }

    /// Whether the book has a generated copyright page (in both outputs): not with
    /// `copyright-page: false`, nor when a chapter is the copyright page already; with
    /// `copyright-page: true`; else when the metadata has rights or an identifier.
    pub fn copyright_page(&self) -> bool {
        let meta = &self.meta;
        meta.copyright_page != Some(false)
            && !self
                .chapters
                .iter()
                .any(|c| c.role() == Some(MatterRole::CopyrightPage))
            && (meta.copyright_page == Some(true)
                || meta.rights.is_some()
                || meta.identifier.is_some())
    }

    /// Whether the book has a contents page (issue 14): the PDF's page of contents, and
    /// in the EPUB the navigation document in the spine with its `toc` landmark. `pdf:
    /// contents:` decides when given; else pandoc's `toc: true` asks for one, and a
    /// book of three or more listed chapters laid out as a book (chapters on new pages,
    /// front matter, or a copyright page) has one. A text that runs on from its title
    /// (an essay, a handout, the sample) opens on its text, and a page of contents before
    /// it would be its only page break; a handout never has one unless asked. Without
    /// it the EPUB's contents are the reading system's own (the navigation document,
    /// outside the spine), as in pandoc's EPUB without `--toc`.
    pub fn contents_page(&self) -> bool {
        let pdf = &self.meta.pdf;
        let listed = self
            .chapters
            .iter()
            .filter(|c| c.title.is_some() && !c.attr.has_class("unlisted"))
            .count();
        let new_pages = pdf.chapter_break.is_some_and(|b| b != ChapterBreak::RunOn);
        let has_front = self.divisions().contains(&Division::Front);
        pdf.contents.unwrap_or(
            self.meta.toc
                || (listed >= 3
                    && (new_pages || has_front || self.copyright_page())
                    && pdf.preset != Some(Preset::Handout)),
        )
    }

    /// The index of the first chapter of the text (the `bodymatter` landmark, where the
    /// PDF's folios restart at 1), if any.
    pub fn first_body_chapter(&self) -> Option<usize> {
        self.divisions().iter().position(|d| *d == Division::Body)
    }
}

/// How the book's citations are processed (issue 16): pandoc's citeproc metadata
/// (MANUAL, "Citations" and "Other relevant metadata fields"). `bibliography` and `nocite`
/// themselves are [`Metadata::bibliography`] and [`Metadata::nocite`].
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CiteSettings {
    /// Where `bibliography` is written (its files are reported there).
    pub bibliography_at: Option<Span>,
    /// Where `nocite` is written.
    pub nocite_at: Option<Span>,
    /// `references`: inline CSL items, as YAML text (re-serialised from the metadata),
    /// and where they are written.
    pub references: Option<(String, Span)>,
    /// `csl`: a style file in the manuscript folder, or the name of a style quire ships.
    pub csl: Option<(String, Span)>,
    /// `link-citations`: citations link to their bibliography entry (pandoc: off).
    pub link_citations: bool,
    /// `link-bibliography`: URLs and DOIs in entries are links (pandoc: on). `None` when
    /// not given.
    pub link_bibliography: Option<bool>,
    /// `reference-section-title`: the heading of a bibliography placed at the end.
    pub reference_section_title: Option<String>,
    /// `suppress-bibliography`: no bibliography, only the citations.
    pub suppress_bibliography: bool,
}

impl CiteSettings {
    /// Whether the book names any source: only then are citations processed.
    pub fn any(meta: &Metadata) -> bool {
        !meta.bibliography.is_empty() || meta.cite.references.is_some()
    }
}

/// The heading both outputs set over the metadata's abstract, in the book's language
/// (pandoc's `abstract-title`, translated as its `translations/*.yaml` do).
pub fn abstract_title(lang: &LanguageTag) -> &'static str {
    match lang.primary() {
        "fr" => "Résumé",
        "de" => "Zusammenfassung",
        "es" => "Resumen",
        "it" => "Sommario",
        "pt" => "Resumo",
        "ru" => "Аннотация",
        "el" => "Περίληψη",
        _ => "Abstract",
    }
}

/// A base text direction (HTML's `dir`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Left to right.
    Ltr,
    /// Right to left.
    Rtl,
}

impl Direction {
    /// The HTML attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ltr => "ltr",
            Direction::Rtl => "rtl",
        }
    }
}

/// A BCP 47 language tag (RFC 5646), split once when the metadata is read: the tag as
/// written (what the outputs declare), its primary language subtag (lowercase: picks
/// hyphenation patterns and labels) and its region subtag if any (uppercase: picks the
/// paper size).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LanguageTag {
    tag: String,
    primary: String,
    region: Option<String>,
}

impl LanguageTag {
    /// The tag `s` if it has the form of one (RFC 5646 §2.1: a primary subtag of 2 to 8
    /// letters, then subtags of 1 to 8 letters or digits, separated by `-`).
    pub fn parse(s: &str) -> Option<LanguageTag> {
        let s = s.trim();
        let mut parts = s.split('-');
        let first_ok = parts.next().is_some_and(|p| {
            (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic())
        });
        let rest_ok = parts
            .all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
        (first_ok && rest_ok).then(|| LanguageTag::from(s))
    }

    /// The tag as written.
    pub fn as_str(&self) -> &str {
        &self.tag
    }

    /// The primary language subtag, lowercase (`en` for `en-US`).
    pub fn primary(&self) -> &str {
        &self.primary
    }

    /// The region subtag, uppercase (`US` for `en-US` and `en-Latn-US`): two letters or
    /// three digits after the language and an optional four-letter script (§2.2.4).
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// Whether books in this language are printed on US paper sizes (Letter, half-letter):
    /// US and Canadian English; everything else on ISO 216 sizes (A4, A5). The one place
    /// the rule is written: the typesetter's default paper and the `booklet` preset's
    /// page both follow it.
    pub fn uses_us_paper(&self) -> bool {
        self.primary == "en" && matches!(self.region(), Some("US" | "CA"))
    }
}

/// The tag as written (its parts follow from it).
impl std::fmt::Debug for LanguageTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.tag.fmt(f)
    }
}

impl Default for LanguageTag {
    /// English, as pandoc assumes.
    fn default() -> Self {
        LanguageTag::from("en")
    }
}

/// A tag taken as written, without checking its form (see [`LanguageTag::parse`]); `_`
/// separates subtags as `-` does.
impl From<&str> for LanguageTag {
    fn from(s: &str) -> Self {
        let mut subtags = s.split(['-', '_']);
        let primary = subtags.next().unwrap_or("").to_ascii_lowercase();
        let region = subtags
            .find(|t| !(t.len() == 4 && t.chars().all(|c| c.is_ascii_alphabetic())))
            .filter(|t| {
                (t.len() == 2 && t.chars().all(|c| c.is_ascii_alphabetic()))
                    || (t.len() == 3 && t.chars().all(|c| c.is_ascii_digit()))
            })
            .map(str::to_ascii_uppercase);
        LanguageTag {
            tag: s.to_string(),
            primary,
            region,
        }
    }
}

/// Attributes written `{#id .class key=value}` (pandoc's attribute syntax) on a div, a
/// span, a heading, a figure or a table: the manuscript's own names, carried to the EPUB
/// (ids as link targets, classes, `lang`/`dir`), read by the backends for the classes
/// they know.
#[derive(Clone, Debug, PartialEq, Eq, Default, Hash)]
pub struct Attr {
    /// `#id`.
    pub id: Option<String>,
    /// `.class`es, in order, each once.
    pub classes: Vec<String>,
    /// `key=value` pairs, in order.
    pub pairs: Vec<(String, String)>,
}

impl Attr {
    /// Whether the class `name` is among the classes.
    pub fn has_class(&self, name: &str) -> bool {
        self.classes.iter().any(|c| c == name)
    }

    /// The value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether nothing is given.
    pub fn is_empty(&self) -> bool {
        self.id.is_none() && self.classes.is_empty() && self.pairs.is_empty()
    }
}

/// A book identifier, classified by its form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identifier {
    /// An ISBN-10 or ISBN-13, digits only (hyphens removed).
    Isbn(String),
    /// A UUID (`urn:uuid:` removed), lowercase.
    Uuid(String),
    /// Any other URN or URI, as written.
    Uri(String),
}

/// One hyphenation exception.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HyphenationException {
    /// The word in lowercase, without hyphens.
    pub word: String,
    /// Char offsets in `word` where a break is allowed (empty: never hyphenate).
    pub breaks: Vec<usize>,
}

/// Note numbering scheme (`notes:` in the metadata).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum NoteNumbering {
    /// 1..n across the whole book (the default).
    #[default]
    Book,
    /// Restart at 1 in every chapter.
    Chapter,
}

/// PDF page settings (`pdf:` in the metadata). Every field is optional; the typesetter
/// picks defaults by the book's language.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PdfSettings {
    /// Page size as written: `a4`, `letter`, `a5`, `6x9in`, `148mm x 210mm`.
    pub paper: Option<Length2>,
    /// Margins in points (top, right, bottom, left).
    pub margins: Option<[f32; 4]>,
    /// Body font size in points.
    pub font_size: Option<f32>,
    /// Whether chapters start on a new page (`book`) or run on (`handout`).
    pub chapter_break: Option<ChapterBreak>,
    /// Font files named in the metadata, relative to the manuscript root.
    pub fonts: FontFiles,
    /// `pdf: booklet:` (issue 15): also write the pages imposed two-up for saddle
    /// stitching (`pdf::booklet`). `None` when not given.
    pub booklet: Option<bool>,
    /// Where `booklet` was set (the key, or the `preset` that implied it): the warning
    /// about pages too large for a booklet points there.
    pub booklet_at: Option<Span>,
    /// `pdf: preset:` as written. Its settings are already applied to the fields above
    /// as defaults; kept for what has no field yet (a handout has no cover and no
    /// contents page once those exist).
    pub preset: Option<Preset>,
    /// Where the PDF sets the notes (`pdf: notes: endnotes|footnotes`); `None` is
    /// endnotes. The numbering (`notes: book|chapter`) is separate and applies to both.
    pub notes: Option<NotePlacement>,
    // --- the book's furniture (issue 14) ---
    /// `pdf: contents:` — a contents page. `None`: one when the book has three or more
    /// listed chapters that start new pages, and is not a handout.
    pub contents: Option<bool>,
    /// `pdf: contents-depth:` — 1 (chapters, the default) or 2 (and their sections).
    pub contents_depth: Option<u8>,
    /// `pdf: cover:` — `Some(false)` leaves a given cover image out of the PDF; `Some(true)`
    /// sets the generated cover when no image is given. `None`: the image if given.
    pub cover: Option<bool>,
    /// `pdf: folios:` — roman front matter (the default) or one sequence.
    pub folios: Option<Folios>,
    /// `pdf: chapter-numbers: true` — "Chapter 1" over each numbered chapter's title.
    pub chapter_numbers: Option<bool>,
}

/// How the PDF numbers its pages (`pdf: folios:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Folios {
    /// Front matter in lower-case roman numerals, the text from 1 (CMOS 1.5).
    RomanFront,
    /// One arabic sequence from the first page.
    Continuous,
}

/// A named set of `pdf:` defaults (`pdf: preset:`); keys given beside it win.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Preset {
    /// A4 or Letter by language, footnotes, chapters run on, no cover, no contents page.
    Handout,
    /// A5 (half-letter for US and Canadian English), with `booklet: true`.
    Booklet,
}

/// Hashed field by field, floats by their bits, for the typesetter's cache keys. The
/// destructuring makes a new field a compile error here until it is hashed too.
impl std::hash::Hash for PdfSettings {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let PdfSettings {
            paper,
            margins,
            font_size,
            chapter_break,
            fonts,
            notes,
            preset,
            contents,
            contents_depth,
            cover,
            folios,
            chapter_numbers,
            // The booklet is imposed from the finished PDF: it changes no typesetting.
            booklet: _,
            booklet_at: _,
        } = self;
        paper
            .map(|p| (p.width.to_bits(), p.height.to_bits()))
            .hash(state);
        margins.map(|m| m.map(f32::to_bits)).hash(state);
        font_size.map(f32::to_bits).hash(state);
        chapter_break.hash(state);
        fonts.hash(state);
        notes.hash(state);
        preset.hash(state);
        contents.hash(state);
        contents_depth.hash(state);
        cover.hash(state);
        folios.hash(state);
        chapter_numbers.hash(state);
    }
}

/// A page size in points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Length2 {
    /// Width in points.
    pub width: f32,
    /// Height in points.
    pub height: f32,
}

/// Where the PDF sets notes (the EPUB shows them as popups either way).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum NotePlacement {
    /// In a Notes section after the text (the default).
    #[default]
    Endnotes,
    /// At the foot of the page that holds each note's reference.
    Footnotes,
}

/// Whether chapters start new pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChapterBreak {
    /// Sections run on (a handout).
    RunOn,
    /// Every chapter starts a new page (a book).
    NewPage,
    /// Every chapter starts a right-hand page, after a blank verso where needed (print).
    Recto,
}

/// Font files chosen by the author (each optional; the embedded face fills the gaps).
#[derive(Clone, Debug, PartialEq, Default, Hash)]
pub struct FontFiles {
    /// Upright.
    pub regular: Option<PathBuf>,
    /// Italic.
    pub italic: Option<PathBuf>,
    /// Bold.
    pub bold: Option<PathBuf>,
    /// Bold italic.
    pub bold_italic: Option<PathBuf>,
    /// `fallback:` font files, in order: tried for characters the four faces lack,
    /// before the embedded faces and the system's fonts (issue 13).
    pub fallback: Vec<PathBuf>,
    /// `system: false`: never use the system's fonts (a book that must build the same on
    /// every machine; a character no named font has is then drawn as a box, with a
    /// warning).
    pub no_system: bool,
}

/// A chapter: a level-1 heading and what follows up to the next.
#[derive(Clone, Debug, PartialEq)]
pub struct Chapter {
    /// The heading's content; `None` for the untitled opening section.
    pub title: Option<Vec<Inline>>,
    /// A stable, unique id for the chapter (from `{#id}` or a slug of the title), used for
    /// file names and anchors.
    pub id: String,
    /// The heading's `{…}` attributes: classes (`unnumbered`, `unlisted`, front and back
    /// matter) and key=value pairs. `attr.id` is the id as written; `id` is the one used.
    pub attr: Attr,
    /// The chapter's content after its heading.
    pub blocks: Vec<Block>,
    /// Where the chapter starts (its heading, or its first block).
    pub span: Span,
}

/// A block-level element.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// A paragraph.
    Paragraph {
        /// Its text.
        content: Vec<Inline>,
        /// Source position.
        span: Span,
    },
    /// A heading below chapter level (2..=6).
    Heading {
        /// Level, 2..=6.
        level: u8,
        /// Its text.
        content: Vec<Inline>,
        /// A unique id across the book, from `{#id}` or a slug of the text.
        id: String,
        /// The heading's `{…}` attributes (see [`Chapter::attr`]).
        attr: Attr,
        /// Source position.
        span: Span,
    },
    /// A block quotation.
    BlockQuote {
        /// Its content.
        blocks: Vec<Block>,
        /// Source position.
        span: Span,
    },
    /// A bulleted or numbered list.
    List {
        /// The first number of a numbered list; `None` for bullets.
        start: Option<u64>,
        /// How a numbered list's numbers are written (pandoc's `fancy_lists`: `a.`,
        /// `(iv)`, `(@)` …); decimal with a period for CommonMark's `1.` lists and for
        /// bullets.
        numbering: ListNumbering,
        /// Items, each a list of blocks.
        items: Vec<Vec<Block>>,
        /// Source position.
        span: Span,
    },
    /// Preformatted code.
    CodeBlock {
        /// The info string's first word, if any.
        lang: Option<String>,
        /// The code, with its final newline.
        text: String,
        /// Source position.
        span: Span,
    },
    /// A thematic break (scene break).
    ThematicBreak {
        /// Source position.
        span: Span,
    },
    /// A table.
    Table {
        /// Column alignments.
        align: Vec<Align>,
        /// Relative column widths, fractions of the text width (pandoc's multiline and
        /// grid tables give them from their dash rows); empty: widths from the content.
        widths: Vec<f32>,
        /// Header cells (empty: no header row).
        head: Vec<Cell>,
        /// Body rows of cells.
        rows: Vec<Vec<Cell>>,
        /// The caption (pandoc's `Table: …` or `: …` paragraph next to the table); empty
        /// when there is none.
        caption: Vec<Inline>,
        /// Source position.
        span: Span,
    },
    /// Raw HTML from the manuscript, parsed, sanitised and balanced.
    Html {
        /// The nodes, safe to serialise as XHTML.
        nodes: Vec<HtmlNode>,
        /// Source position.
        span: Span,
    },
    // --- pandoc's inline-level constructs that make blocks (issue 12) ---
    /// An image alone in its paragraph (pandoc's `implicit_figures`): with a caption (its
    /// alt text) it is a figure; without one, an image set on its own.
    Figure {
        /// The image: one [`Inline::Image`].
        image: Vec<Inline>,
        /// The caption (the image's alt text as inlines); empty for none.
        caption: Vec<Inline>,
        /// `{#id .class key=value}` after the image; `attr.id` is the unique id used.
        attr: Attr,
        /// The `width` attribute, when it is a length.
        width: Option<Dimension>,
        /// The `height` attribute, when it is a length.
        height: Option<Dimension>,
        /// Source position.
        span: Span,
    },

    // --- pandoc's block constructs (issue 12: line blocks, fenced divs, definition
    // lists). Kept together so the inline side's additions merge cleanly. ---
    /// Verse: pandoc's line block (`| ` lines, MANUAL "Extension: line_blocks"). Each
    /// line is kept as written: its leading spaces as U+00A0 (as pandoc reads them), a
    /// continuation line joined to its line by a space. An empty line separates stanzas.
    LineBlock {
        /// The lines, in order; an empty one is a stanza break.
        lines: Vec<Vec<Inline>>,
        /// Source position.
        span: Span,
    },
    /// A fenced div (`::: {.class #id}` … `:::`, MANUAL "Extension: fenced_divs"): blocks
    /// with the author's attributes. Known classes (`epigraph`) get their own rendering;
    /// other classes are carried to the EPUB, and their content is set normally in the
    /// PDF.
    Div {
        /// Id (unique in the book, a link target), classes, `key=value` pairs.
        attr: Attr,
        /// The content.
        blocks: Vec<Block>,
        /// Source position.
        span: Span,
    },
    /// A definition list (MANUAL "Extension: definition_lists").
    DefinitionList {
        /// Terms with their definitions.
        items: Vec<DefinitionItem>,
        /// Source position.
        span: Span,
    },
}

/// An image dimension as pandoc reads `width=`/`height=` (MANUAL, "Extension:
/// link_attributes": a number with no unit is pixels; `px`, `cm`, `mm`, `in`, `inch`, `%`
/// and, as pandoc's `ImageSize` also reads, `pt`, `pc`, `em`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dimension {
    /// CSS pixels (1/96 in).
    Pixels(f32),
    /// An absolute length, in points.
    Points(f32),
    /// Ems of the text size.
    Em(f32),
    /// A percentage of the text width.
    Percent(f32),
}

/// A table cell: blocks (a grid table's cell may hold paragraphs and lists); a cell of
/// a pipe, simple or multiline table is one paragraph, or nothing when empty.
pub type Cell = Vec<Block>;

/// One term of a definition list and its definitions.
#[derive(Clone, Debug, PartialEq)]
pub struct DefinitionItem {
    /// The term.
    pub term: Vec<Inline>,
    /// Its definitions (at least one), each a list of blocks.
    pub definitions: Vec<Vec<Block>>,
}

/// How the numbers of a numbered list are written (pandoc's `ListNumberStyle` and
/// `ListNumberDelim`, MANUAL "Extension: fancy_lists", "Extension: example_lists").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct ListNumbering {
    /// Digits, letters or roman numerals.
    pub style: NumberStyle,
    /// What surrounds the number.
    pub delim: NumberDelim,
}

/// The numeral system of a numbered list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum NumberStyle {
    /// 1, 2, 3 (also pandoc's `#.`).
    #[default]
    Decimal,
    /// a, b, c.
    LowerAlpha,
    /// A, B, C.
    UpperAlpha,
    /// i, ii, iii.
    LowerRoman,
    /// I, II, III.
    UpperRoman,
    /// A numbered example (`(@)`): decimal, numbered across the whole book.
    Example,
}

/// The punctuation around a list number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum NumberDelim {
    /// `1.`
    #[default]
    Period,
    /// `1)`
    OneParen,
    /// `(1)`
    TwoParens,
}

impl ListNumbering {
    /// The marker of item number `n` as written in this style: `3.`, `(c)`, `iv)`.
    pub fn marker(&self, n: u64) -> String {
        let number = match self.style {
            NumberStyle::Decimal | NumberStyle::Example => n.to_string(),
            NumberStyle::LowerAlpha => alpha(n),
            NumberStyle::UpperAlpha => alpha(n).to_uppercase(),
            NumberStyle::LowerRoman => roman(n),
            NumberStyle::UpperRoman => roman(n).to_uppercase(),
        };
        match self.delim {
            NumberDelim::Period => format!("{number}."),
            NumberDelim::OneParen => format!("{number})"),
            NumberDelim::TwoParens => format!("({number})"),
        }
    }
}

/// a … z, aa, ab … (bijective base 26); `0` gives an empty string.
fn alpha(n: u64) -> String {
    let mut n = n;
    let mut out = Vec::new();
    while n > 0 {
        n -= 1;
        out.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
    }
    out.iter().rev().collect()
}

/// Lowercase roman numerals (i … mmmcmxcix); beyond 3999, or 0, decimal digits.
fn roman(n: u64) -> String {
    if n == 0 || n >= 4000 {
        return n.to_string();
    }
    const PARTS: [(u64, &str); 13] = [
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ];
    let mut n = n;
    let mut out = String::new();
    for (value, digits) in PARTS {
        while n >= value {
            out.push_str(digits);
            n -= value;
        }
    }
    out
}

impl Block {
    /// The block's source position.
    pub fn span(&self) -> Span {
        match self {
            Block::Paragraph { span, .. }
            | Block::Heading { span, .. }
            | Block::BlockQuote { span, .. }
            | Block::List { span, .. }
            | Block::CodeBlock { span, .. }
            | Block::ThematicBreak { span }
            | Block::Table { span, .. }
            | Block::Html { span, .. }
            | Block::Figure { span, .. }
            | Block::LineBlock { span, .. }
            | Block::Div { span, .. }
            | Block::DefinitionList { span, .. } => *span,
        }
    }
}

/// Table column alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Not given.
    None,
    /// Left.
    Left,
    /// Centre.
    Center,
    /// Right.
    Right,
}

/// An inline element.
#[derive(Clone, Debug, PartialEq)]
pub enum Inline {
    /// Plain text (smart punctuation already applied).
    Text(String),
    /// Emphasis (italic).
    Emphasis(Vec<Inline>),
    /// Strong emphasis (bold).
    Strong(Vec<Inline>),
    /// Struck-out text.
    Strikethrough(Vec<Inline>),
    /// Superscript (pandoc's `^x^`, or raw `<sup>`).
    Superscript(Vec<Inline>),
    /// Subscript (pandoc's `~x~`, or raw `<sub>`).
    Subscript(Vec<Inline>),
    /// Inline code.
    Code(String),
    /// A link.
    Link {
        /// Where it goes.
        target: LinkTarget,
        /// The link text.
        content: Vec<Inline>,
    },
    /// An image that exists in the manuscript folder.
    Image {
        /// The file, as an index into [`Book::assets`].
        asset: AssetId,
        /// Alternative text (may be empty: then the image is not described).
        alt: String,
    },
    /// A reference to a note. A note referenced several times has one `NoteRef` per
    /// reference, numbered by `occurrence` (0-based, in reading order), so each has its own
    /// anchor ([`Note::ref_anchor`]).
    NoteRef {
        /// The note.
        note: NoteId,
        /// Which reference to this note this is (0 for the first).
        occurrence: u32,
    },
    /// A hard line break.
    LineBreak,
    /// A soft line break in the source (a space when rendered).
    SoftBreak,
    /// Raw inline HTML, sanitised (e.g. `<span lang="fr">`).
    Html(Vec<HtmlNode>),
    // --- pandoc's inline constructs (issue 12) ---
    /// A bracketed span, `[text]{#id .class key=value}` (pandoc's `bracketed_spans`). The
    /// classes `smallcaps`, `underline`/`ul` and `mark` have a rendering in both outputs;
    /// others only reach the EPUB. `attr.id` is the unique id used.
    Span {
        /// `{…}`.
        attr: Attr,
        /// Its text.
        content: Vec<Inline>,
    },
    /// TeX math (`$…$`, `$$…$$`), already rendered as text: variables in italic, `^`/`_`
    /// as superscripts and subscripts, Unicode symbols (pandoc's plain math).
    Math {
        /// Display math (`$$…$$`): set centred on a line of its own.
        display: bool,
        /// The rendering.
        content: Vec<Inline>,
    },
    /// A citation (issue 16), as the parser reads it. `crate::cite` replaces every one
    /// before the backends run (by its rendering, a note reference, or its text when the
    /// book names no bibliography); a backend that meets one shows its `fallback`.
    Cite(Box<Citation>),
}

/// A citation as written (pandoc's MANUAL, "Citation syntax"): `[see @a, p. 3; @b]`,
/// `[-@a]`, `@a`, `@a [p. 3]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Citation {
    /// The items, in the order written.
    pub items: Vec<CiteItem>,
    /// The citation's text as written (its Markdown read as inlines): what is shown when
    /// the book names no bibliography, as pandoc shows it without `--citeproc`.
    pub fallback: Vec<Inline>,
    /// Where it is written.
    pub span: Span,
}

/// One cited source in a [`Citation`].
#[derive(Clone, Debug, PartialEq)]
pub struct CiteItem {
    /// The citation key (without `@` and `{}`).
    pub key: String,
    /// How the author is shown.
    pub mode: CiteMode,
    /// Text before the key (`see`).
    pub prefix: Vec<Inline>,
    /// Text after the key, locator included (`, p. 33`, ` and passim`): the locator is
    /// read from it with the style's locale terms, as pandoc's citeproc does.
    pub suffix: Vec<Inline>,
    /// Where the key is written (`@key`).
    pub span: Span,
}

/// pandoc's `CitationMode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CiteMode {
    /// `[@key]`.
    Normal,
    /// `[-@key]`: the author is left out.
    SuppressAuthor,
    /// `@key` in the text: the author is part of the sentence.
    AuthorInText,
}

/// Where a link points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkTarget {
    /// An absolute URL (`https:`, `mailto:` …), kept as written.
    External(String),
    /// A heading or chapter in this book, by its id.
    Internal(String),
}

/// A node of sanitised raw HTML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HtmlNode {
    /// An element from the allowed set, with allowed attributes only, in source order.
    Element {
        /// Lowercase tag name.
        name: String,
        /// Attribute names (lowercase) and values (unescaped).
        attrs: Vec<(String, String)>,
        /// Children; empty for void elements.
        children: Vec<HtmlNode>,
    },
    /// Text (entities already decoded).
    Text(String),
}

/// A note's number and position in [`Book::notes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NoteId(pub u32);

impl NoteId {
    /// Index into [`Book::notes`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// An endnote.
#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    /// Its id (index into [`Book::notes`]).
    pub id: NoteId,
    /// The number shown to the reader: 1..n across the book, or per chapter.
    pub number: u32,
    /// The label the author used (`[^label]`).
    pub label: String,
    /// The chapter holding the (first) reference, as an index into [`Book::chapters`].
    pub chapter: usize,
    /// How many references point at this note (at least 1). Reference `k` (0-based) has
    /// the anchor [`Note::ref_anchor`]`(k)`.
    pub ref_count: u32,
    /// The note's content.
    pub blocks: Vec<Block>,
    /// Where it is defined.
    pub span: Span,
}

impl Note {
    /// Anchor id of the note itself: `note-3`.
    pub fn anchor(&self) -> String {
        format!("note-{}", self.id.0 + 1)
    }

    /// Anchor id of the note's `k`-th reference (0-based): `ref-3`, then `ref-3-2` …
    pub fn ref_anchor(&self, k: u32) -> String {
        if k == 0 {
            format!("ref-{}", self.id.0 + 1)
        } else {
            format!("ref-{}-{}", self.id.0 + 1, k + 1)
        }
    }
}

/// An index into [`Book::assets`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AssetId(pub u32);

/// A local file used by the book (an image or the cover).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asset {
    /// The file on disk (inside the manuscript folder).
    pub path: PathBuf,
    /// Path inside the manuscript folder, with `/` separators (used to name it in the
    /// package).
    pub href: String,
    /// What kind of image the file's content is (sniffed from its bytes, never taken
    /// from its name).
    pub kind: ImageKind,
    /// The bytes, read once by the parser.
    pub data: Vec<u8>,
}

/// The image formats a book may hold: the EPUB 3.3 core media types for images (§3.2),
/// which the PDF writer also embeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImageKind {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// GIF.
    Gif,
    /// SVG.
    Svg,
    /// WebP.
    Webp,
}

impl ImageKind {
    /// The media type (MIME type), as the EPUB's manifest declares it.
    pub fn media_type(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Gif => "image/gif",
            ImageKind::Svg => "image/svg+xml",
            ImageKind::Webp => "image/webp",
        }
    }

    /// The usual file extension, for the file's name in the EPUB.
    pub fn extension(self) -> &'static str {
        match self {
            ImageKind::Png => "png",
            ImageKind::Jpeg => "jpg",
            ImageKind::Gif => "gif",
            ImageKind::Svg => "svg",
            ImageKind::Webp => "webp",
        }
    }
}

/// The lines of a copyright page, shared by both outputs: the title, the rights, the
/// publisher and date, the identifier (CMOS 1.21-1.32 lists what a copyright page holds).
pub fn copyright_lines(book: &Book) -> Vec<String> {
    let meta = &book.meta;
    use std::fmt::Write as _;
    let mut lines = Vec::new();
    let mut title = meta.title.clone();
    if let Some(sub) = &meta.subtitle {
        let _ = write!(title, ": {sub}");
    }
    lines.push(title);
    if let Some(r) = &meta.rights {
        lines.push(r.clone());
    }
    match (&meta.publisher, &meta.date) {
        (Some(p), Some(d)) => lines.push(format!("{p}, {d}")),
        (Some(p), None) => lines.push(p.clone()),
        (None, Some(d)) => lines.push(d.clone()),
        (None, None) => {}
    }
    match &meta.identifier {
        Some(Identifier::Isbn(d)) => lines.push(format!("ISBN {d}")),
        Some(Identifier::Uuid(u)) => lines.push(format!("urn:uuid:{u}")),
        Some(Identifier::Uri(s)) => lines.push(s.clone()),
        None => {}
    }
    lines
}

/// The text of inline content, as a reader sees it: for slugs, alt text, tables of
/// contents, bookmarks and running heads. Note references are left out ("Chapter¹" reads
/// "Chapter" in a table of contents); images give their alt text; raw HTML its text.
pub fn plain_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    push_plain(&mut out, inlines);
    out
}

/// Whether a paragraph is an epigraph's attribution, as the backends read a div of class
/// `epigraph`: its last paragraph opening with an em dash (or a horizontal bar), the
/// usual way of setting one (`— Anton Chekhov`).
pub fn is_attribution(content: &[Inline]) -> bool {
    matches!(content.first(), Some(Inline::Text(t)) if t.starts_with(['—', '―']))
}

/// The text of blocks (a table cell's), paragraphs separated by a space.
pub fn blocks_plain_text(blocks: &[Block]) -> String {
    let mut out = String::new();
    push_plain_blocks(&mut out, blocks);
    out
}

fn push_plain_blocks(out: &mut String, blocks: &[Block]) {
    for block in blocks {
        if !out.is_empty() {
            out.push(' ');
        }
        match block {
            Block::Paragraph { content, .. } | Block::Heading { content, .. } => {
                push_plain(out, content)
            }
            Block::BlockQuote { blocks, .. } | Block::Div { blocks, .. } => {
                push_plain_blocks(out, blocks)
            }
            Block::List { items, .. } => items.iter().for_each(|i| push_plain_blocks(out, i)),
            Block::CodeBlock { text, .. } => out.push_str(text),
            Block::ThematicBreak { .. } => {}
            Block::Table {
                head,
                rows,
                caption,
                ..
            } => {
                push_plain(out, caption);
                for cell in head.iter().chain(rows.iter().flatten()) {
                    push_plain_blocks(out, cell);
                }
            }
            Block::Html { nodes, .. } => push_plain_html(out, nodes),
            Block::Figure { caption, .. } => push_plain(out, caption),
            Block::LineBlock { lines, .. } => {
                for line in lines {
                    push_plain(out, line);
                    out.push(' ');
                }
            }
            Block::DefinitionList { items, .. } => {
                for item in items {
                    push_plain(out, &item.term);
                    item.definitions
                        .iter()
                        .for_each(|d| push_plain_blocks(out, d));
                }
            }
        }
    }
}

/// [`plain_text`] with runs of white space collapsed to one space and none at either end:
/// a label (a table of contents entry, an empty-cell test, a link's name).
pub fn label_text(inlines: &[Inline]) -> String {
    plain_text(inlines)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn push_plain(out: &mut String, inlines: &[Inline]) {
    for inline in inlines {
        match inline {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Emphasis(c)
            | Inline::Strong(c)
            | Inline::Strikethrough(c)
            | Inline::Superscript(c)
            | Inline::Subscript(c)
            | Inline::Link { content: c, .. }
            | Inline::Span { content: c, .. }
            | Inline::Math { content: c, .. } => push_plain(out, c),
            Inline::Cite(c) => push_plain(out, &c.fallback),
            Inline::Image { alt, .. } => out.push_str(alt),
            Inline::NoteRef { .. } => {}
            Inline::LineBreak | Inline::SoftBreak => out.push(' '),
            Inline::Html(nodes) => push_plain_html(out, nodes),
        }
    }
}

fn push_plain_html(out: &mut String, nodes: &[HtmlNode]) {
    for node in nodes {
        match node {
            HtmlNode::Text(t) => out.push_str(t),
            HtmlNode::Element { children, .. } => push_plain_html(out, children),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_are_checked_and_split_once() {
        let us = LanguageTag::parse(" en-US ").unwrap();
        assert_eq!(
            (us.as_str(), us.primary(), us.region()),
            ("en-US", "en", Some("US"))
        );
        let latn = LanguageTag::parse("sr-Latn-rs").unwrap();
        assert_eq!((latn.primary(), latn.region()), ("sr", Some("RS")));
        let es = LanguageTag::parse("es-419").unwrap();
        assert_eq!(es.region(), Some("419"));
        assert_eq!(LanguageTag::parse("FR").unwrap().primary(), "fr");
        assert_eq!(LanguageTag::parse("de-1996").unwrap().region(), None);
        for bad in ["", "e", "en_US", "en--US", "english language", "123"] {
            assert!(LanguageTag::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(LanguageTag::default().as_str(), "en");
    }

    #[test]
    fn list_markers_in_every_style() {
        let m = |style, delim, n| ListNumbering { style, delim }.marker(n);
        assert_eq!(m(NumberStyle::Decimal, NumberDelim::Period, 3), "3.");
        assert_eq!(m(NumberStyle::LowerAlpha, NumberDelim::TwoParens, 1), "(a)");
        assert_eq!(m(NumberStyle::UpperAlpha, NumberDelim::OneParen, 28), "AB)");
        assert_eq!(m(NumberStyle::LowerRoman, NumberDelim::Period, 4), "iv.");
        assert_eq!(
            m(NumberStyle::UpperRoman, NumberDelim::Period, 1994),
            "MCMXCIV."
        );
        assert_eq!(m(NumberStyle::Example, NumberDelim::TwoParens, 2), "(2)");
        assert_eq!(m(NumberStyle::LowerRoman, NumberDelim::Period, 0), "0.");
    }
}
