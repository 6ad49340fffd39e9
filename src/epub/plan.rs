//! The layout of the package, decided once before anything is written: which file holds
//! each chapter, each heading id, each note reference and each image; and the few
//! words the backend itself adds (Notes, Contents …) in the book's language.

use crate::model::{label_text, AssetId, Block, Book, Division, Inline, LanguageTag, Note};
use std::collections::{BTreeMap, BTreeSet};

/// Package paths (relative to the OPF, i.e. inside `OEBPS/`).
pub(crate) const NOTES_FILE: &str = "notes.xhtml";
/// epub-builder's `stylesheet()` always writes this name, and nav.xhtml links it.
pub(crate) const STYLESHEET: &str = "stylesheet.css";
pub(crate) const NAV_FILE: &str = "nav.xhtml";
pub(crate) const NCX_FILE: &str = "toc.ncx";
pub(crate) const COVER_FILE: &str = "cover.xhtml";
pub(crate) const TITLE_PAGE_FILE: &str = "titlepage.xhtml";
/// The copyright page (issue 14; written by `furniture`).
pub(crate) const COPYRIGHT_FILE: &str = "copyright.xhtml";

/// File names a chapter must not take.
const RESERVED: &[&str] = &[
    NOTES_FILE,
    NAV_FILE,
    COVER_FILE,
    TITLE_PAGE_FILE,
    COPYRIGHT_FILE,
];

/// Where everything goes.
pub(crate) struct Plan<'a> {
    pub(crate) book: &'a Book,
    /// The book's language (never empty; `en` when the model has none).
    pub(crate) lang: String,
    pub(crate) labels: Labels,
    /// Each chapter's partition (front matter, text, back matter), from its role.
    pub(crate) divisions: Vec<Division>,
    chapter_files: Vec<String>,
    /// Chapter and heading id → the file holding it.
    ids: BTreeMap<String, String>,
    /// Per asset, its path in the package.
    asset_files: Vec<String>,
    /// (note index, occurrence) → the file holding that reference.
    refs: BTreeMap<(usize, u32), String>,
    /// Whether the book has pandoc's block constructs (their style rules are added).
    pub(crate) pandoc_blocks: bool,
}

impl<'a> Plan<'a> {
    pub(crate) fn new(book: &'a Book) -> Self {
        let lang = book.meta.lang.as_str().to_string();
        let labels = Labels::for_lang(&book.meta.lang);

        let mut taken: BTreeSet<String> = RESERVED.iter().map(|s| s.to_string()).collect();
        let mut chapter_files = Vec::with_capacity(book.chapters.len());
        let mut ids = BTreeMap::new();
        let mut refs = BTreeMap::new();
        for (i, chapter) in book.chapters.iter().enumerate() {
            let file = unique_name(
                &mut taken,
                &file_stem(&chapter.id, &format!("chapter-{}", i + 1)),
                "xhtml",
            );
            ids.entry(chapter.id.clone())
                .or_insert_with(|| file.clone());
            collect_ids(&chapter.blocks, &file, &mut ids);
            if let Some(title) = &chapter.title {
                collect_refs_inlines(title, &file, &mut refs);
            }
            collect_refs(&chapter.blocks, &file, &mut refs);
            chapter_files.push(file);
        }
        for note in &book.notes {
            collect_refs(&note.blocks, NOTES_FILE, &mut refs);
            collect_ids(&note.blocks, NOTES_FILE, &mut ids);
        }

        let mut taken_assets = BTreeSet::new();
        let asset_files = book
            .assets
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let base = a.href.rsplit('/').next().unwrap_or(&a.href);
                let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
                let stem = format!("{}-{}", i + 1, file_stem(stem, "image"));
                format!(
                    "images/{}",
                    unique_name(&mut taken_assets, &stem, a.kind.extension())
                )
            })
            .collect();

        let pandoc_blocks = book.chapters.iter().any(|c| has_pandoc_blocks(&c.blocks))
            || book.notes.iter().any(|n| has_pandoc_blocks(&n.blocks));
        Plan {
            book,
            lang,
            labels,
            divisions: book.divisions(),
            chapter_files,
            ids,
            asset_files,
            refs,
            pandoc_blocks,
        }
    }

    /// The file of chapter `i` (the title page, which always exists, for an index out
    /// of range, so a link is never broken).
    pub(crate) fn chapter_file(&self, i: usize) -> &str {
        self.chapter_files
            .get(i)
            .map_or(TITLE_PAGE_FILE, String::as_str)
    }

    /// The chapter's title as plain text; the book's title for the untitled opening, so
    /// it still has a TOC entry and a `<title>`.
    pub(crate) fn chapter_label(&self, i: usize) -> String {
        let title = self
            .book
            .chapters
            .get(i)
            .and_then(|c| c.title.as_deref())
            .map(label_text);
        match title {
            Some(t) if !t.is_empty() => t,
            _ => self.book.meta.title.clone(),
        }
    }

    /// The table of contents' heading: the metadata's `toc-title` (pandoc's), else the
    /// word for it in the book's language.
    pub(crate) fn contents_title(&self) -> &str {
        self.book
            .meta
            .toc_title
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or(self.labels.contents)
    }

    /// The first chapter of the text (the `bodymatter` landmark and the guide's `text`):
    /// the first chapter without a front-matter role, else the first.
    pub(crate) fn first_body_file(&self) -> Option<&str> {
        let first = self.book.first_body_chapter().or_else(|| {
            self.divisions
                .iter()
                .position(|d| *d != Division::Front)
                .or((!self.book.chapters.is_empty()).then_some(0))
        })?;
        Some(self.chapter_file(first))
    }

    /// The first chapter of the back matter, if the book has one.
    pub(crate) fn first_back_file(&self) -> Option<&str> {
        let i = self.divisions.iter().position(|d| *d == Division::Back)?;
        Some(self.chapter_file(i))
    }

    /// The package path of an asset.
    pub(crate) fn asset_file(&self, id: AssetId) -> Option<&str> {
        self.asset_files.get(id.0 as usize).map(String::as_str)
    }

    /// Every asset's package path, in asset order.
    pub(crate) fn asset_files(&self) -> &[String] {
        &self.asset_files
    }

    /// A link from `from` to `file#fragment` (fragment-only within the same file).
    pub(crate) fn link(&self, file: &str, fragment: &str, from: &str) -> String {
        if file == from {
            format!("#{fragment}")
        } else {
            format!("{file}#{fragment}")
        }
    }

    /// The link to a chapter or heading id, if the book has it.
    pub(crate) fn href_for_id(&self, id: &str, from: &str) -> Option<String> {
        self.ids.get(id).map(|file| self.link(file, id, from))
    }

    /// The link back to reference `k` of `note`. A reference missing from the text
    /// (an inconsistent model) falls back to the chapter of the first reference.
    pub(crate) fn ref_href(&self, note: &Note, k: u32, from: &str) -> String {
        match self.refs.get(&(note.id.index(), k)) {
            Some(file) => self.link(file, &note.ref_anchor(k), from),
            None => self.chapter_file(note.chapter).to_string(),
        }
    }

    /// Whether an id of the book starts with `prefix`.
    pub(crate) fn has_id_prefix(&self, prefix: &str) -> bool {
        self.ids
            .range(prefix.to_string()..)
            .next()
            .is_some_and(|(id, _)| id.starts_with(prefix))
    }

    /// The id → file map (for tests).
    #[cfg(test)]
    pub(crate) fn ids(&self) -> &BTreeMap<String, String> {
        &self.ids
    }
}

/// An ASCII file stem from an id: letters, digits, `-`, `_`; anything else becomes `-`.
/// Non-ASCII names draw EPUBCheck's PKG-012 and trip some readers' zip code.
fn file_stem(id: &str, fallback: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    // Collapse runs of `-` left by replaced characters.
    let s = s
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if s.is_empty() {
        fallback.to_string()
    } else {
        s
    }
}

/// `stem.ext`, or `stem-2.ext` … if taken.
fn unique_name(taken: &mut BTreeSet<String>, stem: &str, ext: &str) -> String {
    let mut name = format!("{stem}.{ext}");
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{stem}-{n}.{ext}");
        n += 1;
    }
    taken.insert(name.clone());
    name
}

/// Whether blocks hold a line block, a div, a definition list or a list numbered other
/// than in decimals.
fn has_pandoc_blocks(blocks: &[Block]) -> bool {
    blocks.iter().any(|b| match b {
        Block::LineBlock { .. } | Block::Div { .. } | Block::DefinitionList { .. } => true,
        Block::List {
            numbering, items, ..
        } => {
            numbering.style != crate::model::NumberStyle::Decimal
                || items.iter().any(|i| has_pandoc_blocks(i))
        }
        Block::BlockQuote { blocks, .. } => has_pandoc_blocks(blocks),
        Block::Table { head, rows, .. } => head
            .iter()
            .chain(rows.iter().flatten())
            .any(|c| has_pandoc_blocks(c)),
        _ => false,
    })
}

fn collect_ids(blocks: &[Block], file: &str, ids: &mut BTreeMap<String, String>) {
    for block in blocks {
        match block {
            Block::Heading { id, content, .. } => {
                ids.entry(id.clone()).or_insert_with(|| file.to_string());
                collect_span_ids(content, file, ids);
            }
            Block::Paragraph { content, .. } => collect_span_ids(content, file, ids),
            Block::BlockQuote { blocks, .. } => collect_ids(blocks, file, ids),
            Block::List { items, .. } => items.iter().for_each(|i| collect_ids(i, file, ids)),
            Block::Table {
                head,
                rows,
                caption,
                ..
            } => {
                collect_span_ids(caption, file, ids);
                head.iter()
                    .chain(rows.iter().flatten())
                    .for_each(|c| collect_ids(c, file, ids));
            }
            Block::Figure { attr, caption, .. } => {
                if let Some(id) = &attr.id {
                    ids.entry(id.clone()).or_insert_with(|| file.to_string());
                }
                collect_span_ids(caption, file, ids);
            }
            // pandoc's block constructs (issue 12): a div's id is a link target.
            Block::Div { attr, blocks, .. } => {
                if let Some(id) = &attr.id {
                    ids.entry(id.clone()).or_insert_with(|| file.to_string());
                }
                collect_ids(blocks, file, ids);
            }
            Block::DefinitionList { items, .. } => {
                for item in items {
                    collect_span_ids(&item.term, file, ids);
                    item.definitions
                        .iter()
                        .for_each(|d| collect_ids(d, file, ids));
                }
            }
            Block::LineBlock { lines, .. } => {
                lines.iter().for_each(|l| collect_span_ids(l, file, ids))
            }
            Block::CodeBlock { .. } | Block::ThematicBreak { .. } | Block::Html { .. } => {}
        }
    }
}

/// The ids of bracketed spans (`[text]{#id}`): link targets too.
fn collect_span_ids(inlines: &[Inline], file: &str, ids: &mut BTreeMap<String, String>) {
    for inline in inlines {
        match inline {
            Inline::Span { attr, content } => {
                if let Some(id) = &attr.id {
                    ids.entry(id.clone()).or_insert_with(|| file.to_string());
                }
                collect_span_ids(content, file, ids);
            }
            Inline::Emphasis(c)
            | Inline::Strong(c)
            | Inline::Strikethrough(c)
            | Inline::Superscript(c)
            | Inline::Subscript(c)
            | Inline::Link { content: c, .. } => collect_span_ids(c, file, ids),
            _ => {}
        }
    }
}

fn collect_refs(blocks: &[Block], file: &str, refs: &mut BTreeMap<(usize, u32), String>) {
    for block in blocks {
        match block {
            Block::Paragraph { content, .. } | Block::Heading { content, .. } => {
                collect_refs_inlines(content, file, refs)
            }
            Block::BlockQuote { blocks, .. } => collect_refs(blocks, file, refs),
            Block::List { items, .. } => items.iter().for_each(|i| collect_refs(i, file, refs)),
            Block::Table {
                head,
                rows,
                caption,
                ..
            } => {
                collect_refs_inlines(caption, file, refs);
                head.iter()
                    .chain(rows.iter().flatten())
                    .for_each(|c| collect_refs(c, file, refs));
            }
            Block::Figure { caption, .. } => collect_refs_inlines(caption, file, refs),
            Block::CodeBlock { .. } | Block::ThematicBreak { .. } | Block::Html { .. } => {}
            // pandoc's block constructs (issue 12).
            Block::LineBlock { lines, .. } => lines
                .iter()
                .for_each(|l| collect_refs_inlines(l, file, refs)),
            Block::Div { blocks, .. } => collect_refs(blocks, file, refs),
            Block::DefinitionList { items, .. } => {
                for item in items {
                    collect_refs_inlines(&item.term, file, refs);
                    item.definitions
                        .iter()
                        .for_each(|d| collect_refs(d, file, refs));
                }
            }
        }
    }
}

fn collect_refs_inlines(inlines: &[Inline], file: &str, refs: &mut BTreeMap<(usize, u32), String>) {
    for inline in inlines {
        match inline {
            Inline::NoteRef { note, occurrence } => {
                refs.entry((note.index(), *occurrence))
                    .or_insert_with(|| file.to_string());
            }
            Inline::Emphasis(c)
            | Inline::Strong(c)
            | Inline::Strikethrough(c)
            | Inline::Superscript(c)
            | Inline::Subscript(c)
            | Inline::Link { content: c, .. }
            | Inline::Span { content: c, .. }
            | Inline::Math { content: c, .. } => collect_refs_inlines(c, file, refs),
            _ => {}
        }
    }
}

/// The words the backend writes itself, by the language's primary subtag (the
/// languages quire hyphenates; English otherwise).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Labels {
    pub(crate) notes: &'static str,
    pub(crate) contents: &'static str,
    pub(crate) landmarks: &'static str,
    pub(crate) cover: &'static str,
    pub(crate) title_page: &'static str,
    pub(crate) start: &'static str,
    pub(crate) copyright: &'static str,
    pub(crate) back_matter: &'static str,
}

impl Labels {
    pub(crate) fn for_lang(lang: &LanguageTag) -> Labels {
        let (notes, contents, landmarks, cover, title_page, start) = match lang.primary() {
            "fr" => (
                "Notes",
                "Table des matières",
                "Repères",
                "Couverture",
                "Page de titre",
                "Début",
            ),
            "de" => (
                "Anmerkungen",
                "Inhalt",
                "Orientierungspunkte",
                "Umschlag",
                "Titelseite",
                "Beginn",
            ),
            "es" => (
                "Notas",
                "Índice",
                "Puntos de referencia",
                "Cubierta",
                "Portada",
                "Inicio",
            ),
            "it" => (
                "Note",
                "Indice",
                "Punti di riferimento",
                "Copertina",
                "Frontespizio",
                "Inizio",
            ),
            "pt" => (
                "Notas",
                "Sumário",
                "Pontos de referência",
                "Capa",
                "Folha de rosto",
                "Início",
            ),
            "ru" => (
                "Примечания",
                "Содержание",
                "Ориентиры",
                "Обложка",
                "Титульный лист",
                "Начало",
            ),
            "el" => (
                "Σημειώσεις",
                "Περιεχόμενα",
                "Ορόσημα",
                "Εξώφυλλο",
                "Σελίδα τίτλου",
                "Αρχή",
            ),
            _ => (
                "Notes",
                "Contents",
                "Landmarks",
                "Cover",
                "Title page",
                "Start",
            ),
        };
        // Issue 14: the copyright page's (hidden) heading and the back matter landmark.
        let (copyright, back_matter) = match lang.primary() {
            "fr" => ("Droits", "Annexes"),
            "de" => ("Impressum", "Anhang"),
            "es" => ("Créditos", "Apéndices"),
            "it" => ("Colophon", "Apparati"),
            "pt" => ("Créditos", "Pós-textuais"),
            "ru" => ("Выходные данные", "Приложения"),
            "el" => ("Στοιχεία έκδοσης", "Παραρτήματα"),
            _ => ("Copyright", "Back matter"),
        };
        Labels {
            notes,
            contents,
            landmarks,
            cover,
            title_page,
            start,
            copyright,
            back_matter,
        }
    }

    /// Alternative text of the cover image.
    pub(crate) fn cover_alt(&self, title: &str) -> String {
        format!("{}: {title}", self.cover)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::{Chapter, Metadata};
    use crate::source::Span;

    fn chapter(id: &str, blocks: Vec<Block>) -> Chapter {
        Chapter {
            title: Some(vec![Inline::Text(id.into())]),
            id: id.into(),
            attr: Default::default(),
            blocks,
            span: Span::default(),
        }
    }

    fn heading(id: &str) -> Block {
        Block::Heading {
            level: 2,
            content: vec![Inline::Text(id.into())],
            id: id.into(),
            attr: Default::default(),
            span: Span::default(),
        }
    }

    #[test]
    fn id_map_points_at_the_right_files() {
        let book = Book {
            meta: Metadata {
                title: "T".into(),
                ..Metadata::default()
            },
            chapters: vec![
                chapter("one", vec![heading("alpha")]),
                chapter(
                    "notes",
                    vec![Block::BlockQuote {
                        blocks: vec![heading("beta")],
                        span: Span::default(),
                    }],
                ),
                chapter("Été 2", vec![]),
                chapter("one", vec![]),
            ],
            notes: vec![],
            assets: vec![],
        };
        let plan = Plan::new(&book);
        // "notes" may not take the notes document's name; non-ASCII becomes ASCII;
        // duplicates get a suffix.
        assert_eq!(plan.chapter_file(0), "one.xhtml");
        assert_eq!(plan.chapter_file(1), "notes-2.xhtml");
        assert_eq!(plan.chapter_file(2), "t-2.xhtml");
        assert_eq!(plan.chapter_file(3), "one-2.xhtml");
        assert_eq!(
            plan.ids().get("alpha").map(String::as_str),
            Some("one.xhtml")
        );
        assert_eq!(
            plan.ids().get("beta").map(String::as_str),
            Some("notes-2.xhtml")
        );
        assert_eq!(
            plan.href_for_id("beta", "one.xhtml").as_deref(),
            Some("notes-2.xhtml#beta")
        );
        assert_eq!(
            plan.href_for_id("alpha", "one.xhtml").as_deref(),
            Some("#alpha")
        );
        assert_eq!(plan.href_for_id("missing", "one.xhtml"), None);
    }

    #[test]
    fn labels_follow_the_language() {
        assert_eq!(Labels::for_lang(&"fr-CA".into()).notes, "Notes");
        assert_eq!(Labels::for_lang(&"de".into()).notes, "Anmerkungen");
        assert_eq!(Labels::for_lang(&"".into()).contents, "Contents");
    }
}
