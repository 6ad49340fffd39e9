//! The book's furniture in the PDF (issue 14): the title page standing alone, the
//! copyright page on its verso, the contents page, dedications and epigraphs on pages of
//! their own, chapter numbers, chapters opening on a recto, and the folios (roman in the
//! front matter).
//!
//! A child module of [`layout`](super) (it lays out strips with the layout's own
//! paragraph machinery), kept in a file of its own so that the layout's other work
//! merges apart from it. Two halves:
//!
//! - before pagination, [`Furniture`] decides what the book has, and the `Layout`
//!   methods below add the strips (copyright page, contents, own-page chapters);
//! - after pagination, [`finish`] inserts blank versos, places the own-page chapters in
//!   the upper third, gives every page its printed folio (or none), and fills in the
//!   contents page's numbers with leaders.
//!
//! Order and conventions follow the Chicago Manual of Style, 17th ed.: 1.4 (the parts
//! of a book and their order: half title, title, copyright, dedication, epigraph,
//! contents, foreword, preface …), 1.5-1.7 (front matter paged in lower-case roman
//! numerals, the text from arabic 1; "blank" pages carry no folio), 1.38-1.39
//! (dedication and epigraph alone on a page), 1.42 (contents: page numbers of each
//! part's first page).

use super::{Frame, Layout};
use crate::model::{Block, Book, ChapterBreak, Division, Folios, MatterRole};
use crate::typeset::document::{FaceId, Glyph, GlyphRun, Page};
use crate::typeset::items::{AnchorKey, Flat, RunStyle};
use crate::typeset::lines::Align;
use crate::typeset::paginate::Paginated;
use crate::typeset::shape::MPT;
use crate::typeset::style::Style;

/// What the book's PDF has around its text, decided once from the model.
#[derive(Clone, Debug, Default)]
pub struct Furniture {
    /// The title page stands alone (the book has front matter of any kind).
    pub as_book: bool,
    /// A generated copyright page on the title page's verso.
    pub copyright: bool,
    /// A contents page.
    pub contents: bool,
    /// Whether level-2 sections are listed too.
    pub depth2: bool,
    /// The chapter before which the contents page goes (CMOS 1.4: after the dedication
    /// and the epigraph); `None` at the end of the front matter's first part.
    pub contents_at: Option<usize>,
    /// Each chapter's division.
    pub divisions: Vec<Division>,
    /// The first chapter of the text.
    pub first_body: Option<usize>,
    /// "Chapter n" over numbered chapters.
    pub numbers: bool,
}

impl Furniture {
    /// The furniture of `book` set in `style`.
    pub fn of(book: &Book) -> Furniture {
        let pdf = &book.meta.pdf;
        let divisions = book.divisions();
        let has_front = divisions.contains(&Division::Front);
        let copyright = book.copyright_page();
        let contents = book.contents_page();
        let contents_at = book.chapters.iter().enumerate().find_map(|(i, c)| {
            let before = divisions.get(i) == Some(&Division::Front)
                && matches!(
                    c.role(),
                    Some(
                        MatterRole::HalfTitle
                            | MatterRole::CopyrightPage
                            | MatterRole::Dedication
                            | MatterRole::Epigraph
                    )
                );
            (!before).then_some(i)
        });
        Furniture {
            as_book: has_front || copyright || contents,
            copyright,
            contents,
            // pandoc's `toc: true` lists sections too (its `toc-depth` is 3 by default; the
            // contents page goes to 2).
            depth2: pdf.contents_depth.map_or(book.meta.toc, |d| d == 2),
            contents_at,
            first_body: divisions.iter().position(|d| *d == Division::Body),
            divisions,
            numbers: pdf.chapter_numbers == Some(true),
        }
    }

    /// Whether chapter `i` of `book` starts a page beyond what `pdf: chapters:` asks:
    /// front matter (each part on its own page), the page after a dedication or an
    /// epigraph, and the first chapter of the text in a book with front matter.
    pub fn starts_page(&self, book: &Book, i: usize) -> bool {
        if !self.as_book {
            return false;
        }
        let own = |j: usize| {
            book.chapters
                .get(j)
                .and_then(|c| c.role())
                .is_some_and(MatterRole::own_page)
        };
        self.divisions.get(i) == Some(&Division::Front)
            || own(i)
            || (i > 0 && own(i - 1))
            || self.first_body == Some(i)
    }
}

/// The word for "Contents" in the book's language (the EPUB's navigation document uses
/// the same words).
fn contents_title(book: &Book) -> String {
    if let Some(t) = book
        .meta
        .toc_title
        .as_ref()
        .filter(|t| !t.trim().is_empty())
    {
        return t.clone();
    }
    match book.meta.lang.primary() {
        "fr" => "Table des matières",
        "de" => "Inhalt",
        "es" => "Índice",
        "it" => "Indice",
        "pt" => "Sumário",
        "ru" => "Содержание",
        "el" => "Περιεχόμενα",
        _ => "Contents",
    }
    .to_string()
}

/// "Chapter" in the book's language, for `pdf: chapter-numbers: true`.
fn chapter_word(book: &Book) -> &'static str {
    match book.meta.lang.primary() {
        "fr" => "Chapitre",
        "de" => "Kapitel",
        "es" => "Capítulo",
        "it" => "Capitolo",
        "pt" => "Capítulo",
        "ru" => "Глава",
        "el" => "Κεφάλαιο",
        _ => "Chapter",
    }
}

/// `n` in lower-case roman numerals (CMOS 9.64), for front-matter folios.
pub fn roman(mut n: usize) -> String {
    const TABLE: [(usize, &str); 13] = [
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
    let mut out = String::new();
    for (value, digits) in TABLE {
        while n >= value {
            out.push_str(digits);
            n -= value;
        }
    }
    out
}

impl Layout<'_, '_> {
    /// After the title block: the copyright page, and the contents when nothing goes
    /// before it.
    pub(super) fn after_title(&mut self) {
        if self.furniture.copyright {
            self.copyright_page();
        }
        if self.furniture.contents && self.furniture.contents_at.is_none() {
            self.contents();
        }
        if self.furniture.as_book {
            // The title page stands alone: what follows starts the next page.
            self.break_next = true;
        }
    }

    /// Before chapter `i`: the contents page when it goes there, and the page break the
    /// book's structure asks for.
    pub(super) fn before_chapter(&mut self, i: usize) {
        if self.furniture.contents && self.furniture.contents_at == Some(i) {
            self.contents();
        }
        if self.furniture.starts_page(self.book, i) {
            self.break_next = true;
        }
    }

    /// The copyright page: the title page's verso, small type, flush left (CMOS 1.19).
    fn copyright_page(&mut self) {
        self.enter_flow(crate::pagemap::Flow::Copyright);
        let book = self.book;
        let size = self.style.size * 0.85;
        let frame = Frame {
            size,
            leading: (size * 1.35 * 2.0).round() / 2.0,
            ..self.body()
        };
        let mut lines = crate::model::copyright_lines(book);
        // The fonts the PDF is set in (CMOS 1.32 lists them in a colophon or here).
        let face = self.shaper.fonts().face(FaceId::Regular);
        if let Some(family) = family_name(&face.bytes, face.index) {
            lines.push(format!("Set in {family}"));
        }
        self.break_next = true;
        for (k, line) in lines.iter().enumerate() {
            let mut flat = Flat::default();
            if k == 0 {
                flat.anchor(AnchorKey::Id("quire-copyright".into()));
            }
            let face = if k == 0 {
                FaceId::Italic
            } else {
                FaceId::Regular
            };
            flat.push(
                line,
                RunStyle {
                    hyphenate: false,
                    ..Self::run_style(face, size)
                },
            );
            let space = if k == 1 { frame.leading * 0.5 } else { 0.0 };
            self.paragraph(flat, frame, Align::Left, 0.0, space, None);
        }
        self.set_pending(self.style.leading);
        self.indent_next = false;
    }

    /// The contents page (pandoc's `toc: true`, or `pdf: contents:`): a heading in the
    /// book's language, then the chapters after it (and their sections with
    /// `contents-depth: 2`), each a link, its folio set once the pages are known
    /// ([`finish`]). Its own length is known before the pages are: each entry's lines
    /// are broken here with room kept for the number, so the number filled in later
    /// changes no line, and the pages after the contents move by whole pages only.
    pub(super) fn contents(&mut self) {
        self.enter_flow(crate::pagemap::Flow::Contents);
        let book = self.book;
        let title = contents_title(book);
        let size = self.style.size * self.style.headings.chapter_size;
        let mut flat = Flat::default();
        flat.anchor(AnchorKey::Id("toc".into()));
        flat.push(&title, Self::run_style(FaceId::Bold, size));
        self.break_next = true;
        let first = self.strips.len();
        self.heading(
            flat,
            size,
            self.style.leading * self.style.headings.chapter_space,
            None,
            AnchorKey::Id("toc".into()),
        );
        if let Some(s) = self.strips.get_mut(first) {
            s.mark = Some(title.clone());
        }
        self.outline.push((title, 1, AnchorKey::Id("toc".into())));
        let body = self.body();
        let from = self.furniture.contents_at.unwrap_or(0);
        for chapter in book.chapters.iter().skip(from) {
            if chapter.attr.has_class("unlisted") {
                continue;
            }
            let title = chapter
                .title
                .as_deref()
                .map_or_else(|| book.meta.title.clone(), crate::model::plain_text);
            self.contents_entry(&title, &chapter.id, 0.0, body);
            if !self.furniture.depth2 {
                continue;
            }
            for block in &chapter.blocks {
                if let Block::Heading {
                    level: 2,
                    content,
                    id,
                    attr,
                    ..
                } = block
                {
                    if !attr.has_class("unlisted") {
                        self.contents_entry(
                            &crate::model::plain_text(content),
                            id,
                            self.style.size * 1.5,
                            body,
                        );
                    }
                }
            }
        }
        self.set_pending(self.style.leading * 2.0);
        self.indent_next = false;
    }

    /// A dedication or an epigraph: no heading on the page (it is in the bookmarks and
    /// the contents), its paragraphs centred; [`finish`] moves the page's text into its
    /// upper third.
    pub(super) fn own_page_chapter(&mut self, ci: usize) {
        let book = self.book;
        let Some(chapter) = book.chapters.get(ci) else {
            return;
        };
        let text = chapter
            .title
            .as_deref()
            .map(crate::model::plain_text)
            .unwrap_or_default();
        if !chapter.attr.has_class("unlisted") && !text.is_empty() {
            self.outline
                .push((text, 1, AnchorKey::Id(chapter.id.clone())));
        }
        let frame = self.body();
        let mut anchored = false;
        let first = self.strips.len();
        for block in &chapter.blocks {
            match block {
                Block::Paragraph { content, span } => {
                    let mut flat = Flat::default();
                    if !anchored {
                        flat.anchor(AnchorKey::Id(chapter.id.clone()));
                        anchored = true;
                    }
                    flat.push_inlines(
                        content,
                        Self::run_style(FaceId::Regular, frame.size),
                        &book.notes,
                    );
                    let space = if self.strips.len() > first {
                        frame.leading * 0.5
                    } else {
                        0.0
                    };
                    self.paragraph(flat, frame, Align::Center, 0.0, space, Some(*span));
                }
                other => {
                    self.indent_next = false;
                    self.block(other, frame);
                }
            }
        }
        if !anchored {
            if let Some(s) = self.strips.get_mut(first) {
                s.anchors
                    .push((AnchorKey::Id(chapter.id.clone()), frame.left, 0.0));
            }
        }
        if let Some(s) = self.strips.get_mut(first) {
            s.mark = Some(String::new());
        }
        self.indent_next = false;
    }

    /// "Chapter n" over a numbered chapter's title (`pdf: chapter-numbers: true`), or
    /// nothing: a chapter of the text without `.unnumbered`.
    pub(super) fn chapter_number(&mut self, ci: usize) {
        let book = self.book;
        if !self.furniture.numbers || self.furniture.divisions.get(ci) != Some(&Division::Body) {
            return;
        }
        let numbered = |c: &crate::model::Chapter| {
            c.title.is_some() && !c.attr.has_class("unnumbered") && !c.attr.has_class("unlisted")
        };
        if !book.chapters.get(ci).is_some_and(numbered) {
            return;
        }
        let n = book.chapters[..=ci]
            .iter()
            .zip(&self.furniture.divisions)
            .filter(|(c, d)| **d == Division::Body && numbered(c))
            .count();
        let size = self.style.size * 1.1;
        let frame = Frame {
            size,
            leading: self.style.leading,
            ..self.body()
        };
        let mut flat = Flat::default();
        flat.push(
            &format!("{} {n}", chapter_word(book)),
            RunStyle {
                hyphenate: false,
                ..Self::run_style(FaceId::Italic, size)
            },
        );
        let first = self.strips.len();
        self.paragraph(
            flat,
            frame,
            Align::Left,
            0.0,
            self.style.leading * self.style.headings.chapter_space,
            None,
        );
        for s in &mut self.strips[first..] {
            s.keep_with_next = true;
        }
        self.set_pending(0.0);
    }
}

/// A face's family name from its `name` table (ID 16, the typographic family, else 1).
fn family_name(bytes: &[u8], index: u32) -> Option<String> {
    let face = ttf_parser::Face::parse(bytes, index).ok()?;
    let names = face.names();
    let find = |id: u16| {
        names
            .into_iter()
            .filter(|n| n.name_id == id && n.is_unicode())
            .find_map(|n| n.to_string())
    };
    find(ttf_parser::name_id::TYPOGRAPHIC_FAMILY).or_else(|| find(ttf_parser::name_id::FAMILY))
}

/// After pagination: blank versos, own-page chapters moved down, and each page's folio
/// (`None`: a page with neither heads nor folio — the title page, the copyright page, a
/// dedication, a blank verso). Also fills in the contents' numbers.
pub fn finish(
    paged: &mut Paginated,
    layout: &mut Layout<'_, '_>,
    book: &Book,
    style: &Style,
) -> Vec<Option<String>> {
    let furniture = layout.furniture.clone();
    let page_of = |paged: &Paginated, id: &str| {
        paged
            .anchors
            .get(&AnchorKey::Id(id.to_string()))
            .map(|d| d.page)
    };
    // Pages with nothing around the text, as (page index) before any blank is inserted.
    let mut plain = vec![false; paged.pages.len()];
    if let Some(p) = plain.first_mut() {
        *p = true;
    }
    if let Some(p) = page_of(paged, "quire-copyright") {
        plain[p] = true;
    }
    for (i, ch) in book.chapters.iter().enumerate() {
        if !ch.role().is_some_and(MatterRole::own_page) {
            continue;
        }
        let Some(p) = page_of(paged, &ch.id) else {
            continue;
        };
        // The pages until the next chapter's (a long epigraph may run on).
        let next = book.chapters[i + 1..]
            .iter()
            .find_map(|c| page_of(paged, &c.id));
        let end = next
            .into_iter()
            .chain(page_of(paged, "toc").filter(|t| *t > p))
            .min()
            .unwrap_or(p + 1)
            .max(p + 1);
        for q in p..end.min(plain.len()) {
            plain[q] = true;
        }
        upper_third(paged, p, style);
    }

    // Chapters on a recto (`pdf: chapters: recto`): the pages that must be odd (1-based),
    // in order; each blank verso inserted moves the pages after it.
    if style.chapter_break == ChapterBreak::Recto {
        let mut starts: Vec<usize> = book
            .chapters
            .iter()
            .filter(|c| c.title.is_some())
            .filter_map(|c| page_of(paged, &c.id))
            .chain(page_of(paged, "toc"))
            .chain(paged.anchors.get(&AnchorKey::Notes).map(|d| d.page))
            .filter(|p| *p > 0)
            .collect();
        starts.sort_unstable();
        starts.dedup();
        let mut shift = 0;
        for p in starts {
            let at = p + shift;
            if at % 2 == 1 {
                insert_blank(paged, at);
                plain.insert(at, true);
                shift += 1;
            }
        }
    }

    // Folios: front matter in roman numerals and the text from 1 when the text does not
    // start on the first page (CMOS 1.5), unless `pdf: folios: continuous`.
    let body_page = furniture
        .first_body
        .and_then(|i| book.chapters.get(i))
        .and_then(|c| page_of(paged, &c.id))
        .unwrap_or(0);
    let roman_front = furniture.as_book
        && body_page > 0
        && book.meta.pdf.folios.unwrap_or(Folios::RomanFront) == Folios::RomanFront;
    let label = |i: usize| {
        if roman_front && i < body_page {
            roman(i + 1)
        } else if roman_front {
            (i - body_page + 1).to_string()
        } else {
            (i + 1).to_string()
        }
    };
    let folios: Vec<Option<String>> = (0..paged.pages.len())
        .map(|i| (!plain.get(i).copied().unwrap_or(false)).then(|| label(i)))
        .collect();
    // Issue 17: the EPUB's page list names every page by its folio, printed or blind.
    paged.labels = (0..paged.pages.len()).map(label).collect();

    contents_numbers(paged, layout, style, &label);
    folios
}

/// Moves the text of page `p` down so that its middle sits a third of the way down the
/// page (CMOS 1.38: a dedication is set in the upper third of its page).
fn upper_third(paged: &mut Paginated, p: usize, style: &Style) {
    let Some(page) = paged.pages.get_mut(p) else {
        return;
    };
    let (mut top, mut bottom) = (f32::MAX, f32::MIN);
    for r in &page.runs {
        top = top.min(r.y - r.size);
        bottom = bottom.max(r.y);
    }
    if top > bottom {
        return;
    }
    let dy = (style.page_height / 3.0 - (top + bottom) / 2.0).max(0.0);
    for r in &mut page.runs {
        r.y += dy;
    }
    for r in page.rules.iter_mut().chain(page.shades.iter_mut()) {
        r.y += dy;
    }
    for img in &mut page.images {
        img.rect.y += dy;
    }
    for (page_index, rect, _) in &mut paged.links {
        if *page_index == p {
            rect.y += dy;
        }
    }
    for dest in paged.anchors.values_mut() {
        if dest.page == p {
            dest.y += dy;
        }
    }
}

/// Inserts an empty page at `at`, moving every later page, link and anchor.
fn insert_blank(paged: &mut Paginated, at: usize) {
    paged.pages.insert(at, Page::default());
    paged.marks.insert(at, None);
    // A blank page has no text: its marker in the EPUB shares the next page's place.
    if at <= paged.starts.len() {
        paged.starts.insert(at, None);
    }
    for (page, _, _) in &mut paged.links {
        if *page >= at {
            *page += 1;
        }
    }
    for dest in paged.anchors.values_mut() {
        if dest.page >= at {
            dest.page += 1;
        }
    }
}

/// The contents' page numbers: the printed folio of the page each entry's chapter or
/// section starts on, flush right on the entry's last line, after dot leaders.
fn contents_numbers(
    paged: &mut Paginated,
    layout: &mut Layout<'_, '_>,
    style: &Style,
    label: &dyn Fn(usize) -> String,
) {
    let entries = std::mem::take(&mut layout.toc_entries);
    let size_mpt = (style.size * MPT as f32) as i64;
    let dot = layout.shaper().shape(".", FaceId::Regular, size_mpt);
    let right = style.page_width - style.margin_right;
    // Leaders on a grid from the left margin, so the dots of all lines stand in columns.
    let step = style.size * 0.5;
    for (k, id) in entries.iter().enumerate() {
        let (Some(entry), Some(target)) = (
            paged.anchors.get(&AnchorKey::TocEntry(k as u32)).copied(),
            paged.anchors.get(&AnchorKey::Id(id.clone())).copied(),
        ) else {
            continue;
        };
        let number = layout
            .shaper()
            .shape(&label(target.page), FaceId::Regular, size_mpt);
        let width = number.width(0..number.glyphs.len()) as f32 / MPT as f32;
        let x = right - width;
        let run = super::simple_run(&number, FaceId::Regular, style.size, x, entry.y);
        let Some(page) = paged.pages.get_mut(entry.page) else {
            continue;
        };
        let on_line = |r: &GlyphRun| (r.y - entry.y).abs() < 0.5;
        let text_end = page
            .runs
            .iter()
            .filter(|r| on_line(r))
            .map(|r| r.x + r.glyphs.iter().map(|g| g.advance).sum::<f32>())
            .fold(style.margin_left, f32::max);
        let at = page
            .runs
            .iter()
            .rposition(on_line)
            .map_or(page.runs.len(), |i| i + 1);
        let first = ((text_end + step * 0.8 - style.margin_left) / step).ceil();
        let last = ((x - step * 0.8 - style.margin_left) / step).floor();
        let mut insert = Vec::with_capacity(2);
        if let (Some(g), true) = (dot.glyphs.first(), last >= first) {
            let count = (last - first) as usize + 1;
            // Without text: leaders are decoration, not words (the PDF writer makes a run
            // without text an artifact that text extraction skips).
            let glyphs = (0..count)
                .map(|_| Glyph {
                    id: g.id,
                    advance: step,
                    text: Default::default(),
                    raise: 0,
                })
                .collect();
            insert.push(GlyphRun {
                face: FaceId::Regular,
                size: style.size,
                x: style.margin_left + first * step,
                y: entry.y,
                glyphs,
            });
        }
        insert.extend(run);
        page.runs.splice(at..at, insert);
    }
}

/// Rect of a whole page, for the cover image (scaled to fill it, its proportions kept,
/// centred: what overflows is cut by the page's edges).
pub fn fill_rect(
    page_w: f32,
    page_h: f32,
    image_w: f32,
    image_h: f32,
) -> crate::typeset::document::Rect {
    let scale = (page_w / image_w).max(page_h / image_h);
    let (w, h) = (image_w * scale, image_h * scale);
    crate::typeset::document::Rect {
        x: (page_w - w) / 2.0,
        y: (page_h - h) / 2.0,
        width: w,
        height: h,
    }
}
