//! Blocks → strips: the title block, chapter and section headings, paragraphs (broken by
//! Knuth–Plass), quotes, lists, code, rules, tables, images and the Notes section.
//! Everything vertical is decided here except page breaks (paginate.rs).

use crate::diag::Diagnostic;
use crate::memo::{ContentCache, Key, KeyHasher};
use crate::model::{
    blocks_plain_text, is_attribution, Attr, Block, Book, Cell, ChapterBreak, DefinitionItem,
    Dimension, Inline, NoteNumbering, NotePlacement, NumberStyle,
};
use crate::pagemap::Flow;
use crate::source::Span;
use crate::typeset::document::{FaceId, GlyphRun, PlacedImage, Rect};
use crate::typeset::hyphenate::Hyphenator;
use crate::typeset::items::{build, AnchorKey, Flat, LinkRef, Paragraph, RunStyle};
use crate::typeset::linebreak::{break_paragraph, Breaker, Pass, Passes};
use crate::typeset::lines::{set_lines, set_lines_tracked, Align};
use crate::typeset::paginate::{BlockRef, Strip};
use crate::typeset::shape::{Shaper, MPT};
use crate::typeset::style::{leading_for, Style};

/// Issue 14: title, copyright and contents pages, dedications, folios (a child module
/// in its own file, so that it merges apart from the rest of the layout).
#[path = "front_matter.rs"]
pub mod front_matter;

/// The widest stretch of a ragged paragraph's `items` no line break can split (its
/// longest word, with the hyphen of a break after one), in milli-points: the narrowest
/// measure its lines fit. Breaks are where the breaker takes them without hyphenating
/// (tex.web §831): at glue after a box, at a penalty below infinity that is not a
/// hyphenation point; what follows a break is discarded up to the next box.
fn longest_unbreakable(items: &[crate::typeset::linebreak::Item]) -> i64 {
    use crate::typeset::linebreak::{Item, INFINITE_PENALTY};
    let (mut widest, mut line) = (0i64, 0i64);
    // At a line's start (nothing but discardable items since the last break).
    let mut fresh = true;
    let mut after_box = false;
    for item in items {
        match *item {
            Item::Box { width, .. } => {
                line += width;
                fresh = false;
                after_box = true;
                continue;
            }
            _ if fresh => {}
            Item::Glue { width, .. } => {
                if after_box {
                    widest = widest.max(line);
                    (line, fresh) = (0, true);
                } else {
                    line += width;
                }
            }
            Item::Penalty {
                width, cost, auto, ..
            } => {
                if cost < INFINITE_PENALTY && !auto {
                    widest = widest.max(line + width);
                    (line, fresh) = (0, true);
                }
            }
        }
        after_box = false;
    }
    widest.max(line)
}

/// Widens the columns narrower than their longest word (`words`, padding included) to
/// it, as a browser lays out a table: the table grows, up to `measure`; past it, the
/// other columns give up what they hold beyond their own longest words, in proportion.
/// Only when the words alone are wider than the measure are they all scaled down to it
/// (a word then still runs out of its cell, as before).
fn widen_to_words(widths: &mut [f32], words: &[f32], measure: f32) {
    if widths.iter().zip(words).all(|(w, m)| w >= m) {
        return;
    }
    for (w, m) in widths.iter_mut().zip(words) {
        *w = w.max(*m);
    }
    let total: f32 = widths.iter().sum();
    if total <= measure {
        return;
    }
    let excess = total - measure;
    let spare: f32 = widths.iter().zip(words).map(|(w, m)| w - m).sum();
    if spare >= excess && spare > 0.0 {
        for (w, m) in widths.iter_mut().zip(words) {
            *w -= (*w - m) * excess / spare;
        }
    } else {
        let min: f32 = words.iter().sum();
        for (w, m) in widths.iter_mut().zip(words) {
            *w = m * measure / min.max(f32::EPSILON);
        }
    }
}

/// A link's area cut to its line's band, `top` to `top + leading`: the face's box
/// (ascender to descender, 1.47 em for Gentium) is taller than the leading, and the
/// areas of links on adjacent lines must not overlap (a click there would be ambiguous).
fn within_line(r: Rect, top: f32, leading: f32) -> Rect {
    let y0 = r.y.max(top);
    let y1 = (r.y + r.height).min(top + leading);
    Rect {
        y: y0,
        height: (y1 - y0).max(0.0),
        ..r
    }
}

/// One ragged paragraph of a table cell: its text, the indent of all its lines and the
/// further indent of its lines after the first (a list item's, under its text).
struct CellPiece {
    flat: Flat,
    indent: f32,
    hang: f32,
    /// Half a line above it: it starts a block (not a list's next item, a verse's or a
    /// code block's next line).
    gap: bool,
}

/// The outcome of laying out one paragraph: its strips before the layout's pending space
/// is applied, and whether the breaker had to use its last pass (the warning is issued
/// with the paragraph's current span, which is not part of the key).
#[derive(Debug)]
pub struct BrokenParagraph {
    /// Line strips, positioned in the frame.
    pub strips: Vec<Strip>,
    /// Whether a line could not be set within the measure.
    pub overfull: bool,
    /// Characters no face has: `(k, c)` for the `k`-th use of `c` in the paragraph's
    /// text (0-based).
    pub missing: Vec<(usize, char)>,
}

/// Where blocks go: the column's left edge and width, the type size and leading, and
/// how its paragraphs are set (justified in the body, ragged in an epigraph).
#[derive(Clone, Copy, Debug)]
struct Frame {
    left: f32,
    width: f32,
    size: f32,
    leading: f32,
    align: Align,
}

/// The layout state of one book.
pub struct Layout<'b, 'f> {
    book: &'b Book,
    style: &'b Style,
    shaper: Shaper<'f>,
    hyphenator: Hyphenator,
    breaker: Breaker,
    /// The strips, in reading order.
    pub strips: Vec<Strip>,
    /// Bookmarks: title, level, destination.
    pub outline: Vec<(String, u8, AnchorKey)>,
    /// Warnings (lines that could not be set well).
    pub diagnostics: Vec<Diagnostic>,
    /// With notes at the page foot (`pdf: notes: footnotes`): each note's strips, by note
    /// id, for the page builder to set under its reference's page (see
    /// [`Self::footnotes`]). Empty with endnotes.
    pub footnotes: Vec<Vec<Strip>>,
    /// Space owed below the last block (after a heading), given to the next strip.
    pending_space: f32,
    /// Whether the next paragraph gets a first-line indent.
    indent_next: bool,
    /// Broken paragraphs kept between builds (`quire watch`), if any, and the key of
    /// the context they are made in (fonts, style, hyphenation), part of every key.
    paragraphs: Option<(&'b ContentCache<BrokenParagraph>, Key)>,
    /// A part of the book laid out on another thread ([`Layout::book`]): the space owed
    /// by the part before it is not known yet. While `open_carry` holds, the space owed is
    /// `max(that, pending_space)`; the first strip pushed then takes it, and is recorded in
    /// `carry_strip` to receive it when the parts are joined.
    in_part: bool,
    open_carry: bool,
    carry_strip: Option<usize>,
    /// The strip of the last paragraph pushed, if it was an indented one-line paragraph
    /// (see [`Self::paragraph`]).
    one_liner: Option<usize>,
    /// The language and direction of the blocks being laid out (see
    /// [`Layout::with_context`]).
    context: TextContext,
    /// The manuscript's files, to place a missing character's warning at its line and
    /// column (without them, at its paragraph's start).
    sources: Option<&'b crate::source::SourceMap>,
    /// Characters no face has, each where it was first met, and how often it was met.
    missing: Vec<(char, Option<Span>, usize)>,
    /// The table of contents' entries, by their [`AnchorKey::TocEntry`] number: the id
    /// each points at.
    pub toc_entries: Vec<String>,
    /// The block being laid out (see `pagemap`): its flow and path, and the shared form
    /// the strips take (made on first use after each change).
    flow: Flow,
    path: Vec<u32>,
    block: Option<BlockRef>,
    /// Bytes of the block's flattened text before the paragraph being set (display math
    /// splits a paragraph; an endnote's number is set before its text): added to its
    /// lines' offsets.
    text_base: i64,
    /// The book's furniture (issue 14, [`front_matter`]).
    furniture: front_matter::Furniture,
    /// The next strip pushed starts a page (the book's structure asks for it).
    break_next: bool,
}

/// The language and direction blocks inherit (a `dir: rtl` book; a div marked with
/// `lang` or `dir`).
#[derive(Clone, Debug, Default)]
struct TextContext {
    /// Paragraphs read right to left.
    rtl: bool,
    /// The language marked on the blocks, when not the book's.
    lang: Option<String>,
}

/// What a part of the book laid out on another thread hands back.
struct Part {
    missing: Vec<(char, Option<Span>, usize)>,
    strips: Vec<Strip>,
    outline: Vec<(String, u8, AnchorKey)>,
    diagnostics: Vec<Diagnostic>,
    pending_space: f32,
    indent_next: bool,
    open_carry: bool,
    carry_strip: Option<usize>,
    /// The next strip after the part starts a page.
    break_next: bool,
}

/// Where the book's parts start, to lay them out on several threads: titled chapters
/// (a part must start with a level-1 outline entry, so its headings' levels do not
/// depend on the part before), each part at least a sixteenth of a core's share of the
/// work, so a long book is not cut into hundreds of parts. Empty: one part, one thread.
///
/// Work is measured in source bytes (plus a little per block): the time goes into
/// shaping, hyphenating and breaking paragraphs, which grows with their text. Returns
/// each part's first chapter and its weight.
fn parts(book: &Book, threads: usize) -> Vec<(usize, usize)> {
    let weight = |c: &crate::model::Chapter| blocks_weight(&c.blocks);
    let blocks: usize = book.chapters.iter().map(|c| c.blocks.len() + 1).sum();
    // Small books are not worth a thread.
    if threads < 2 || blocks < 64 {
        return Vec::new();
    }
    let total: usize = book.chapters.iter().map(weight).sum();
    let least = total / (threads * 16);
    let mut parts: Vec<(usize, usize)> = Vec::new();
    for (i, c) in book.chapters.iter().enumerate() {
        let w = weight(c);
        match parts.last_mut() {
            // A titled chapter starts a part once the part before has its share.
            Some(last) if !(c.title.is_some() && last.1 >= least) => last.1 += w,
            _ => parts.push((i, w)),
        }
    }
    parts
}

/// The work of laying out `blocks`, in source bytes plus a little per block (see
/// [`parts`]).
fn blocks_weight(blocks: &[Block]) -> usize {
    blocks
        .iter()
        .map(|b| {
            let span = b.span();
            span.end.saturating_sub(span.start) + 64
        })
        .sum::<usize>()
        + 64
}

/// What one part of [`Layout::book_on`] lays out.
enum Work {
    /// A run of chapters.
    Chapters(std::ops::Range<usize>),
    /// The endnotes' section, after the text (it starts with its heading, as a chapter
    /// does).
    Notes,
}

/// Plain text of inlines (for bookmarks and running heads).
pub use crate::model::plain_text;

fn mpt(pt: f32) -> i64 {
    (pt * MPT as f32).round() as i64
}

impl<'b, 'f> Layout<'b, 'f> {
    /// A layout for `book` in `style`.
    pub fn new(book: &'b Book, style: &'b Style, mut shaper: Shaper<'f>) -> Self {
        shaper.set_language(book.meta.lang.as_str());
        Layout {
            book,
            style,
            shaper,
            hyphenator: Hyphenator::new(&book.meta.lang, &book.meta.hyphenation),
            breaker: Breaker::new(),
            strips: Vec::new(),
            outline: Vec::new(),
            diagnostics: Vec::new(),
            footnotes: Vec::new(),
            pending_space: 0.0,
            indent_next: false,
            paragraphs: None,
            in_part: false,
            open_carry: false,
            carry_strip: None,
            one_liner: None,
            context: TextContext {
                rtl: book_is_rtl(book),
                lang: None,
            },
            sources: None,
            missing: Vec::new(),
            toc_entries: Vec::new(),
            flow: Flow::TitlePage,
            path: Vec::new(),
            block: None,
            text_base: 0,
            furniture: front_matter::Furniture::of(book),
            break_next: false,
        }
    }

    /// Places the warnings about missing characters at their line and column in
    /// `sources` (the manuscript's files the book was parsed from).
    pub fn with_sources(mut self, sources: &'b crate::source::SourceMap) -> Self {
        self.sources = Some(sources);
        self
    }

    /// Lays out what `f` lays out in the language `lang` and the direction `dir` (HTML's
    /// values), as a block marked so: a pandoc div `::: {lang=he dir=rtl}`. Its
    /// paragraphs read right to left with `dir=rtl`, and are shaped and hyphenated in
    /// `lang`.
    pub fn with_context(
        &mut self,
        lang: Option<&str>,
        dir: Option<&str>,
        f: impl FnOnce(&mut Self),
    ) {
        let saved = self.context.clone();
        match dir {
            Some("rtl") => self.context.rtl = true,
            Some("ltr") => self.context.rtl = false,
            _ => {}
        }
        if let Some(lang) = lang {
            self.context.lang = Some(lang.to_string());
        }
        f(self);
        self.context = saved;
    }

    /// Notes a missing character met at `span`.
    fn note_missing(&mut self, c: char, span: Option<Span>, count: usize) {
        match self.missing.iter_mut().find(|(m, _, _)| *m == c) {
            Some((_, _, n)) => *n += count,
            None => self.missing.push((c, span, count)),
        }
    }

    /// One warning per character no face has, at its first use, in reading order.
    fn report_missing(&mut self) {
        let fonts = self.shaper.fonts();
        for (c, span, count) in std::mem::take(&mut self.missing) {
            self.diagnostics
                .push(missing_glyph_warning(c, span, count, fonts));
        }
    }

    /// Starts laying out `flow` from its heading.
    fn enter_flow(&mut self, flow: Flow) {
        self.flow = flow;
        self.path.clear();
        self.block = None;
    }

    /// Goes down to child `k` of the block being laid out.
    fn enter(&mut self, k: usize) {
        self.path.push(k as u32);
        self.block = None;
    }

    /// Comes back up from [`Self::enter`].
    fn leave(&mut self) {
        self.path.pop();
        self.block = None;
    }

    /// Takes broken paragraphs from `cache` and stores new ones there; `context` is the
    /// key of this book's fonts, style and hyphenation (see `typeset::context_key`), which
    /// every paragraph's key includes.
    pub fn with_paragraph_cache(
        mut self,
        cache: &'b ContentCache<BrokenParagraph>,
        context: Key,
    ) -> Self {
        self.paragraphs = Some((cache, context));
        self
    }

    /// Sets the space owed below the last block (replacing, not adding to, what is owed).
    fn set_pending(&mut self, space: f32) {
        self.pending_space = space;
        self.open_carry = false;
    }

    /// The shaper (for running heads).
    pub fn shaper(&mut self) -> &mut Shaper<'f> {
        &mut self.shaper
    }

    fn body(&self) -> Frame {
        Frame {
            left: self.style.margin_left,
            width: self.style.measure(),
            size: self.style.size,
            leading: self.style.leading,
            align: Align::Justify,
        }
    }

    /// Where the baseline of a line of `size` type on `leading` sits, from the top of its
    /// strip: the text face's box, ascender to descender, centred in the leading, as CSS
    /// centres a line's content area in its line height (CSS 2.1 §10.8.1, half-leading),
    /// so the PDF's lines sit in their strips as an EPUB reader sets them in the same
    /// face. The regular face's box stands for the line's: a family's faces share their
    /// vertical metrics (Gentium Book Plus's four do).
    fn baseline(&self, size: f32, leading: f32) -> f32 {
        let em = mpt(size);
        let ascender = self.shaper.ascender(FaceId::Regular, em) as f32 / MPT as f32;
        let descender = self.shaper.descender(FaceId::Regular, em) as f32 / MPT as f32;
        (leading - ascender - descender) / 2.0 + ascender
    }

    fn run_style(face: FaceId, size: f32) -> RunStyle {
        RunStyle {
            face,
            size: mpt(size),
            rise: 0,
            link: None,
            anchor: None,
            hyphenate: true,
            sticky: false,
            look: Default::default(),
        }
    }

    fn push(&mut self, mut strip: Strip) {
        if strip.block.is_none() {
            let (flow, path) = (self.flow, &self.path);
            let block = self
                .block
                .get_or_insert_with(|| std::sync::Arc::new((flow, path.clone())));
            strip.block = Some(block.clone());
        }
        if std::mem::take(&mut self.break_next) {
            strip.new_page = true;
        }
        strip.space_before = strip.space_before.max(self.pending_space);
        self.pending_space = 0.0;
        if self.open_carry {
            self.open_carry = false;
            self.carry_strip = Some(self.strips.len());
        }
        self.strips.push(strip);
    }

    /// Lays out the whole book. Paragraphs (shaping, hyphenation, line breaking: most of
    /// the typesetter's time) are independent, so the chapters are cut into parts
    /// ([`parts`]) laid out on as many threads as there are cores, and the parts' strips
    /// appended in order; the carried space, page break and heading levels make the
    /// result the same as on one thread, strip for strip.
    pub fn book(&mut self) {
        self.book_on(crate::cores());
    }

    /// [`Self::book`] on up to `threads` threads.
    fn book_on(&mut self, threads: usize) {
        self.title_block();
        let book = self.book;
        // The contents page is laid out before the chapter it precedes, on this thread
        // (its entries are this layout's): the second part starts after it.
        let contents_at = self
            .furniture
            .contents_at
            .filter(|_| self.furniture.contents);
        // Parts after the contents page only (its entries are the first part's).
        let mut parts = parts(book, threads);
        parts.retain(|&(start, _)| start == 0 || contents_at.is_none_or(|c| start > c));
        if parts.len() < 2 {
            self.chapters(0..book.chapters.len());
            self.notes();
            self.report_missing();
            return;
        }
        // The first part is laid out here, the others by whichever thread claims them
        // first, the heaviest first (`par::map_claimed`), each thread keeping its shaper
        // and hyphenator (their word caches) from one part to the next.
        let mut work: Vec<(Work, usize)> = parts
            .iter()
            .enumerate()
            .skip(1)
            .map(|(k, &(start, weight))| {
                let end = parts.get(k + 1).map_or(book.chapters.len(), |p| p.0);
                (Work::Chapters(start..end), weight)
            })
            .collect();
        // The endnotes are one more part (footnotes are laid out with the pages' text).
        let notes_apart =
            self.style.note_placement == NotePlacement::Endnotes && !book.notes.is_empty();
        if notes_apart {
            let weight = book.notes.iter().map(|n| blocks_weight(&n.blocks)).sum();
            work.push((Work::Notes, weight));
        }
        let mut order: Vec<usize> = (0..work.len()).collect();
        order.sort_by_key(|&k| std::cmp::Reverse(work.get(k).map_or(0, |w| w.1)));
        let first_end = parts[1].0;
        let (style, fonts, paragraphs) = (self.style, self.shaper.fonts(), self.paragraphs);
        let sources = self.sources;
        let words = self.shaper.shared();
        let laid_out = crate::par::map_claimed(
            &work,
            &order,
            || self.chapters(0..first_end),
            || None,
            |kept: &mut Option<(Shaper<'f>, Hyphenator)>, (work, _)| {
                let mut layout = match kept.take() {
                    Some((shaper, hyphenator)) => {
                        let mut layout = Layout::new(book, style, shaper);
                        layout.hyphenator = hyphenator;
                        layout
                    }
                    None => Layout::new(book, style, Shaper::with_shared(fonts, words)),
                };
                // The paragraph cache (watch mode) is shared: it is keyed by content.
                layout.paragraphs = paragraphs;
                layout.sources = sources;
                layout.in_part = true;
                layout.open_carry = true;
                match work {
                    Work::Chapters(range) => layout.chapters(range.clone()),
                    Work::Notes => layout.notes_section(),
                }
                let part = Part {
                    missing: layout.missing,
                    strips: layout.strips,
                    outline: layout.outline,
                    diagnostics: layout.diagnostics,
                    pending_space: layout.pending_space,
                    indent_next: layout.indent_next,
                    open_carry: layout.open_carry,
                    carry_strip: layout.carry_strip,
                    break_next: layout.break_next,
                };
                *kept = Some((layout.shaper, layout.hyphenator));
                part
            },
        );
        for part in laid_out {
            self.join(part);
        }
        if !notes_apart {
            self.notes();
        }
        self.report_missing();
    }

    /// The notes, where the style puts them: a Notes section after the text, or strips of
    /// their own for the page foot.
    fn notes(&mut self) {
        match self.style.note_placement {
            NotePlacement::Endnotes => self.notes_section(),
            NotePlacement::Footnotes => self.footnotes(),
        }
    }

    /// Appends a part laid out on another thread, as if laid out here.
    fn join(&mut self, mut part: Part) {
        if let Some(s) = part.carry_strip.and_then(|i| part.strips.get_mut(i)) {
            s.space_before = s.space_before.max(self.pending_space);
            self.pending_space = 0.0;
        }
        self.set_pending(if part.open_carry {
            self.pending_space.max(part.pending_space)
        } else {
            part.pending_space
        });
        self.indent_next = part.indent_next;
        // A page break owed by the part before goes to this part's first strip (as
        // `push` would have given it).
        if self.break_next {
            if let Some(first) = part.strips.first_mut() {
                first.new_page = true;
                self.break_next = false;
            }
        }
        self.break_next |= part.break_next;
        self.strips.append(&mut part.strips);
        self.outline.append(&mut part.outline);
        self.diagnostics.append(&mut part.diagnostics);
        for (c, span, count) in part.missing {
            self.note_missing(c, span, count);
        }
    }

    /// Lays out chapters `range`.
    fn chapters(&mut self, range: std::ops::Range<usize>) {
        let book = self.book;
        for (ci, chapter) in book
            .chapters
            .iter()
            .enumerate()
            .skip(range.start)
            .take(range.len())
        {
            // Issue 14: the contents page and the page breaks of the book's structure;
            // dedications and epigraphs on a page of their own.
            self.before_chapter(ci);
            // After the contents page (`before_chapter`): the chapter's own strips.
            self.enter_flow(Flow::Chapter(ci as u32));
            if chapter
                .role()
                .is_some_and(crate::model::MatterRole::own_page)
            {
                self.own_page_chapter(ci);
                continue;
            }
            match &chapter.title {
                Some(title) => {
                    let text = plain_text(title);
                    let first = self.strips.len();
                    self.chapter_number(ci);
                    if !chapter.attr.has_class("unlisted") {
                        self.outline
                            .push((text.clone(), 1, AnchorKey::Id(chapter.id.clone())));
                    }
                    let mut flat = Flat::default();
                    flat.anchor(AnchorKey::Id(chapter.id.clone()));
                    let size = self.style.size * self.style.headings.chapter_size;
                    flat.push_inlines(title, Self::run_style(FaceId::Bold, size), &book.notes);
                    self.heading(
                        flat,
                        size,
                        self.style.leading * self.style.headings.chapter_space,
                        Some(chapter.span),
                        AnchorKey::Id(chapter.id.clone()),
                    );
                    if let Some(s) = self.strips.get_mut(first) {
                        // The running head: the heading's short form when it has one.
                        s.mark = Some(chapter.short_title().map_or(text, str::to_string));
                        // In a part, strips come before (the title's): a break before
                        // the book's very first strip would do nothing anyway.
                        s.new_page |= self.style.chapter_break != ChapterBreak::RunOn
                            && (first > 0 || self.in_part);
                    }
                }
                None if ci == 0 => {
                    if let Some(first) = self.strips.first_mut() {
                        first.anchors.push((
                            AnchorKey::Id(chapter.id.clone()),
                            self.style.margin_left,
                            0.0,
                        ));
                    }
                }
                None => {}
            }
            self.indent_next = false;
            let frame = self.body();
            self.blocks(&chapter.blocks, frame);
        }
    }

    fn title_block(&mut self) {
        let meta = &self.book.meta;
        let size = self.style.size;
        let design = self.style.title;
        let title_size = size * design.title_size;
        let mut lines: Vec<(String, FaceId, f32, f32)> = Vec::new();
        // A title too long for one line breaks after its colon ("Stalinism: / The
        // Complete Negation of Socialism"), where title and subtitle meet, rather than
        // wherever the measure runs out.
        let title = self
            .shaper
            .shape(&meta.title, FaceId::Bold, mpt(title_size));
        let too_long = title.width(0..title.glyphs.len()) > mpt(self.style.measure());
        match meta.title.split_once(": ") {
            Some((main, rest)) if too_long && !rest.trim().is_empty() => {
                lines.push((format!("{main}:"), FaceId::Bold, title_size, 0.0));
                lines.push((rest.to_string(), FaceId::Bold, title_size, 0.0));
            }
            _ => lines.push((meta.title.clone(), FaceId::Bold, title_size, 0.0)),
        }
        if let Some(sub) = &meta.subtitle {
            lines.push((
                sub.clone(),
                FaceId::Italic,
                size * design.subtitle_size,
                size * design.subtitle_space,
            ));
        }
        if !meta.authors.is_empty() {
            lines.push((
                meta.authors.join(", "),
                FaceId::Regular,
                size * design.author_size,
                size * design.author_space,
            ));
        }
        let imprint = [&meta.publisher, &meta.date];
        for (k, text) in imprint.into_iter().flatten().enumerate() {
            let space = if k == 0 { design.imprint_space } else { 0.0 };
            lines.push((
                text.clone(),
                FaceId::Regular,
                size * design.imprint_size,
                size * space,
            ));
        }
        let frame = self.body();
        let first = self.strips.len();
        for (text, face, sz, space) in lines {
            if text.trim().is_empty() {
                continue;
            }
            let mut flat = Flat::default();
            flat.push(&text, Self::run_style(face, sz));
            let f = Frame {
                size: sz,
                leading: sz * design.leading,
                ..frame
            };
            let n = self.strips.len();
            self.paragraph(flat, f, Align::Center, 0.0, space, None);
            for s in &mut self.strips[n..] {
                s.keep_with_next = true;
            }
        }
        if let Some(s) = self.strips[first..].first_mut() {
            s.anchors.push((
                AnchorKey::Id("quire-title".into()),
                self.style.margin_left,
                0.0,
            ));
            if self
                .book
                .chapters
                .first()
                .is_some_and(|c| c.title.is_none())
            {
                self.outline
                    .push((meta.title.clone(), 1, AnchorKey::Id("quire-title".into())));
            }
        }
        if let Some(last) = self.strips.last_mut() {
            last.keep_with_next = false;
        }
        self.set_pending(self.style.leading * design.space_after);
        self.abstract_block();
        self.after_title();
    }

    /// pandoc's `abstract`, under the title: a heading and its text, set narrower.
    fn abstract_block(&mut self) {
        let book = self.book;
        if book.meta.r#abstract.is_empty() {
            return;
        }
        let body = self.body();
        let inset = body.width * 0.08;
        let size = self.style.size * 0.95;
        let frame = Frame {
            left: body.left + inset,
            width: body.width - 2.0 * inset,
            size,
            leading: leading_for(size),
            align: body.align,
        };
        let mut flat = Flat::default();
        flat.push(
            crate::model::abstract_title(&book.meta.lang),
            Self::run_style(FaceId::Bold, size),
        );
        let first = self.strips.len();
        self.paragraph(flat, frame, Align::Center, 0.0, 0.0, None);
        for s in &mut self.strips[first..] {
            s.keep_with_next = true;
        }
        self.set_pending(frame.leading * 0.3);
        self.indent_next = false;
        self.blocks(&book.meta.r#abstract, frame);
        self.set_pending(self.style.leading * 2.0);
        self.indent_next = false;
    }

    /// One entry: its text, ragged, leaving room on the right for the page number; a
    /// link to `id`; an anchor on its last line where the number goes.
    fn contents_entry(&mut self, text: &str, id: &str, indent: f32, body: Frame) {
        let k = self.toc_entries.len() as u32;
        let mut flat = Flat::default();
        let link = flat.link(LinkRef::Anchor(AnchorKey::Id(id.to_string())));
        flat.push(
            text,
            RunStyle {
                link: Some(link),
                hyphenate: false,
                ..Self::run_style(FaceId::Regular, body.size)
            },
        );
        let frame = Frame {
            left: body.left + indent,
            width: body.width - indent - body.size * 3.0,
            ..body
        };
        let first = self.strips.len();
        self.paragraph(flat, frame, Align::Left, 0.0, 0.0, None);
        if self.strips.len() > first {
            if let Some(last) = self.strips.last_mut() {
                last.anchors
                    .push((AnchorKey::TocEntry(k), body.left, last.baseline));
                self.toc_entries.push(id.to_string());
            }
        }
    }

    /// A heading: ragged, kept with what follows, space above and below.
    fn heading(
        &mut self,
        flat: Flat,
        size: f32,
        space_before: f32,
        span: Option<Span>,
        _anchor: AnchorKey,
    ) {
        let frame = Frame {
            size,
            leading: (size * self.style.headings.leading).max(self.style.leading),
            ..self.body()
        };
        let first = self.strips.len();
        self.paragraph(flat, frame, Align::Left, 0.0, space_before, span);
        for s in &mut self.strips[first..] {
            s.keep_with_next = true;
        }
        self.set_pending(self.style.leading * self.style.headings.space_after);
        self.indent_next = false;
    }

    fn blocks(&mut self, blocks: &[Block], frame: Frame) {
        for (k, block) in blocks.iter().enumerate() {
            self.enter(k);
            self.block(block, frame);
            self.leave();
        }
    }

    fn block(&mut self, block: &Block, frame: Frame) {
        let book = self.book;
        let design = self.style.blocks;
        let gap = frame.leading * design.gap;
        match block {
            Block::Paragraph { content, span } => {
                if let [Inline::Image { asset, .. }] = content.as_slice() {
                    self.image(asset.0 as usize, frame);
                    self.indent_next = false;
                    return;
                }
                if content
                    .iter()
                    .any(|i| matches!(i, Inline::Math { display: true, .. }))
                {
                    self.display_math_paragraph(content, *span, frame);
                    return;
                }
                let mut flat = Flat::default();
                flat.push_inlines(
                    content,
                    Self::run_style(FaceId::Regular, frame.size),
                    &book.notes,
                );
                let indent = if self.indent_next {
                    self.style.indent * frame.size / self.style.size
                } else {
                    0.0
                };
                self.paragraph(flat, frame, frame.align, indent, 0.0, Some(*span));
                self.indent_next = true;
            }
            Block::Heading {
                level,
                content,
                id,
                attr,
                span,
            } => {
                let level = (*level).clamp(2, 6);
                let prev = self.outline.last().map_or(1, |o| o.1);
                // pandoc's `.unlisted`: not in the table of contents (the bookmarks).
                if !attr.has_class("unlisted") {
                    self.outline.push((
                        plain_text(content),
                        level.min(prev + 1),
                        AnchorKey::Id(id.clone()),
                    ));
                }
                let (size, face) = self.style.heading(level);
                let mut flat = Flat::default();
                flat.anchor(AnchorKey::Id(id.clone()));
                flat.push_inlines(content, Self::run_style(face, size), &book.notes);
                self.heading(
                    flat,
                    size,
                    self.style.leading * self.style.headings.section_space,
                    Some(*span),
                    AnchorKey::Id(id.clone()),
                );
            }
            Block::BlockQuote { blocks, .. } => {
                let inset = self.style.size * design.quote_inset;
                let size = frame.size * design.quote_size;
                let inner = Frame {
                    left: frame.left + inset,
                    width: frame.width - 2.0 * inset,
                    size,
                    leading: leading_for(size),
                    align: frame.align,
                };
                self.pending_space = self.pending_space.max(gap);
                self.indent_next = false;
                self.blocks(blocks, inner);
                self.set_pending(gap);
                self.indent_next = false;
            }
            Block::List {
                start,
                numbering,
                items,
                ..
            } => {
                let mut indent = self.style.size * design.list_indent;
                // A lettered, roman or example list's markers (`(viii)`) may be wider than the
                // usual indent: it widens so they stay inside the measure.
                if let (Some(n), true) = (start, numbering.style != NumberStyle::Decimal) {
                    let widest = (0..items.len() as u64)
                        .map(|k| numbering.marker(n.saturating_add(k)))
                        .max_by_key(|m| m.chars().count())
                        .unwrap_or_default();
                    let word = self.shaper.shape(&widest, FaceId::Regular, mpt(frame.size));
                    let w = word.width(0..word.glyphs.len()) as f32 / MPT as f32;
                    indent = indent.max(w + frame.size * 0.5);
                }
                let inner = Frame {
                    left: frame.left + indent,
                    width: frame.width - indent,
                    ..frame
                };
                self.pending_space = self.pending_space.max(gap);
                for (k, item) in items.iter().enumerate() {
                    let marker = match start {
                        Some(n) => numbering.marker(n.saturating_add(k as u64)),
                        None => "•".to_string(),
                    };
                    let first = self.strips.len();
                    self.indent_next = false;
                    self.enter(k);
                    self.blocks(item, inner);
                    self.leave();
                    let word = self.shaper.shape(&marker, FaceId::Regular, mpt(frame.size));
                    let w = word.width(0..word.glyphs.len()) as f32 / MPT as f32;
                    if let Some(s) = self.strips.get_mut(first) {
                        let x = inner.left - w - frame.size * design.marker_gap;
                        s.runs.extend(simple_run(
                            &word,
                            FaceId::Regular,
                            frame.size,
                            x,
                            s.baseline,
                        ));
                    }
                }
                self.set_pending(gap);
                self.indent_next = false;
            }
            Block::CodeBlock { text, .. } => {
                let size = frame.size * design.code_size;
                let leading = size * design.code_leading;
                let baseline = self.baseline(size, leading);
                let mut first = true;
                let mut line_at = 0u32;
                for line in text.trim_end_matches('\n').split('\n') {
                    let word = self
                        .shaper
                        .shape(line.trim_end(), FaceId::Regular, mpt(size));
                    let mut strip = Strip {
                        height: leading,
                        need: 1,
                        baseline,
                        ..Default::default()
                    };
                    strip.space_before = if first { gap } else { 0.0 };
                    strip.text_at = line_at;
                    line_at = line_at.saturating_add(line.len() as u32 + 1);
                    strip.runs.extend(simple_run(
                        &word,
                        FaceId::Regular,
                        size,
                        frame.left + self.style.size * design.code_indent,
                        baseline,
                    ));
                    self.push(strip);
                    first = false;
                }
                self.set_pending(gap);
                self.indent_next = false;
            }
            Block::ThematicBreak { .. } => {
                let word =
                    self.shaper
                        .shape("*\u{2003}*\u{2003}*", FaceId::Regular, mpt(frame.size));
                let w = word.width(0..word.glyphs.len()) as f32 / MPT as f32;
                // The ornament's line centred in the break's height.
                let height = frame.leading * design.break_height;
                let baseline =
                    (height - frame.leading) / 2.0 + self.baseline(frame.size, frame.leading);
                let mut strip = Strip {
                    height,
                    need: 1,
                    space_before: 0.0,
                    baseline,
                    ..Default::default()
                };
                strip.runs.extend(simple_run(
                    &word,
                    FaceId::Regular,
                    frame.size,
                    frame.left + (frame.width - w) / 2.0,
                    baseline,
                ));
                // The ornament is decoration, as the EPUB's `<hr/>` is: glyphs without
                // text, which the PDF writer makes an artifact that text extraction
                // skips (pandoc's test suite read 38 "*" words).
                for run in &mut strip.runs {
                    for g in run.glyphs.make_mut() {
                        g.text = Default::default();
                    }
                }
                self.push(strip);
                self.indent_next = false;
            }
            Block::Table {
                align,
                head,
                rows,
                caption,
                widths,
                span,
            } => {
                self.enter(0);
                self.table_caption(caption, *span, frame);
                self.leave();
                self.table(head, rows, align, widths, frame, Some(*span));
                self.indent_next = false;
            }
            Block::Html { nodes, span } => {
                let mut flat = Flat::default();
                flat.push_html(
                    nodes,
                    Self::run_style(FaceId::Regular, frame.size),
                    &book.notes,
                );
                if !flat.text.trim().is_empty() {
                    self.paragraph(flat, frame, Align::Justify, 0.0, 0.0, Some(*span));
                    self.indent_next = true;
                }
            }
            // pandoc's block constructs (issue 12).
            Block::LineBlock { lines, span } => self.line_block(lines, *span, frame),
            Block::Div { attr, blocks, .. } => self.div(attr, blocks, frame),
            Block::DefinitionList { items, .. } => self.definition_list(items, frame),
            Block::Figure {
                image,
                caption,
                attr,
                width,
                height,
                span,
            } => {
                if let [Inline::Image { asset, .. }] = image.as_slice() {
                    self.figure(
                        asset.0 as usize,
                        caption,
                        attr.id.as_deref(),
                        (*width, *height),
                        *span,
                        frame,
                    );
                }
                self.indent_next = false;
            }
        }
    }

    /// A paragraph holding display math (`$$…$$`): its text before, each formula centred
    /// on a line of its own, and its text after (not indented: the paragraph goes on), as
    /// TeX sets display math and pandoc's CSS centres `.display.math`.
    fn display_math_paragraph(&mut self, content: &[Inline], span: Span, frame: Frame) {
        let book = self.book;
        let is_break = |i: &Inline| {
            matches!(i, Inline::SoftBreak | Inline::LineBreak)
                || matches!(i, Inline::Text(t) if t.trim().is_empty())
        };
        // Each piece with the index of its first inline.
        let mut pieces: Vec<(bool, usize, &[Inline])> = Vec::new();
        let mut from = 0;
        for (k, inline) in content.iter().enumerate() {
            if matches!(inline, Inline::Math { display: true, .. }) {
                pieces.push((false, from, &content[from..k]));
                pieces.push((true, k, &content[k..k + 1]));
                from = k + 1;
            }
        }
        pieces.push((false, from, &content[from..]));
        let mut first = true;
        for (display, mut at, mut piece) in pieces {
            while piece.first().is_some_and(is_break) {
                piece = &piece[1..];
                at += 1;
            }
            while piece.last().is_some_and(is_break) {
                piece = &piece[..piece.len() - 1];
            }
            if piece.is_empty() {
                continue;
            }
            // Its lines' offsets count from the paragraph's start (see `pagemap`).
            self.text_base =
                crate::pagemap::flat_len(content.get(..at).unwrap_or(&[]), &book.notes) as i64;
            let mut flat = Flat::default();
            flat.push_inlines(
                piece,
                Self::run_style(FaceId::Regular, frame.size),
                &book.notes,
            );
            if display {
                let gap = frame.leading * 0.4;
                self.paragraph(flat, frame, Align::Center, 0.0, gap, Some(span));
                self.set_pending(gap);
                self.indent_next = false;
            } else {
                let indent = if first && self.indent_next {
                    self.style.indent * frame.size / self.style.size
                } else {
                    0.0
                };
                self.paragraph(flat, frame, Align::Justify, indent, 0.0, Some(span));
                self.indent_next = true;
            }
            first = false;
        }
        self.text_base = 0;
    }

    /// Verse (a line block): each line set on its own, flush left and never justified,
    /// its leading U+00A0s keeping the poet's indentation; a line too long for the
    /// measure turns over with a hanging indent. A stanza (the lines between two empty
    /// lines) of up to eight lines is never split across pages; a longer one is not
    /// split after its first line nor before its last.
    fn line_block(&mut self, lines: &[Vec<Inline>], span: crate::source::Span, frame: Frame) {
        const WHOLE_STANZA: usize = 8;
        let book = self.book;
        let gap = frame.leading * 0.5;
        // Set in from the text's margin; inside a list item, a definition or a quote,
        // the container's own indent is enough.
        let nested = frame.left > self.style.margin_left + 0.01;
        let inset = if nested { 0.0 } else { self.style.size * 1.5 };
        let hang = frame.size * 2.0;
        // The turnovers' indent is the frame's; the first line hangs out of it.
        let verse = Frame {
            left: frame.left + inset + hang,
            width: (frame.width - inset - hang).max(frame.size * 4.0),
            ..frame
        };
        self.pending_space = self.pending_space.max(gap);
        self.indent_next = false;
        // The stanzas: the indices of their lines (each line is a child of the line
        // block, see `pagemap`).
        let mut stanzas: Vec<Vec<usize>> = Vec::new();
        let mut current = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if line.is_empty() {
                if !current.is_empty() {
                    stanzas.push(std::mem::take(&mut current));
                }
            } else {
                current.push(i);
            }
        }
        if !current.is_empty() {
            stanzas.push(current);
        }
        for stanza in stanzas {
            let first = self.strips.len();
            // Where each verse line's strips start.
            let mut starts = Vec::with_capacity(stanza.len());
            for &li in &stanza {
                let Some(line) = lines.get(li) else { continue };
                starts.push(self.strips.len());
                self.enter(li);
                let mut flat = Flat::default();
                flat.push_inlines(
                    line,
                    Self::run_style(FaceId::Regular, frame.size),
                    &book.notes,
                );
                self.paragraph(flat, verse, Align::Left, -hang, 0.0, Some(span));
                self.leave();
            }
            let end = self.strips.len();
            if end == first {
                continue;
            }
            // A verse line and its turnovers stay together.
            for (k, &start) in starts.iter().enumerate() {
                let next = starts.get(k + 1).copied().unwrap_or(end);
                if let Some(s) = self.strips.get_mut(start) {
                    s.need = s.need.max(next - start);
                }
            }
            if stanza.len() <= WHOLE_STANZA {
                if let Some(s) = self.strips.get_mut(first) {
                    s.need = s.need.max(end - first);
                }
            } else {
                // The first line with the second; the second-to-last with the last.
                let second_end = starts.get(2).copied().unwrap_or(end);
                if let Some(s) = self.strips.get_mut(first) {
                    s.need = s.need.max(second_end - first);
                }
                if let Some(&penult) = starts.len().checked_sub(2).and_then(|i| starts.get(i)) {
                    if let Some(s) = self.strips.get_mut(penult) {
                        s.need = s.need.max(end - penult);
                    }
                }
            }
            // A stanza break is a blank line.
            self.set_pending(frame.leading);
        }
        self.set_pending(gap);
        self.indent_next = false;
    }

    /// A fenced div: its content set in the frame, its id a link destination. An
    /// `epigraph` is set smaller in a narrower block at the right of the measure, ragged,
    /// its attribution (a last paragraph opening with an em dash, or an `attribution`
    /// div) flush right. Other classes change nothing in print.
    fn div(&mut self, attr: &Attr, blocks: &[Block], frame: Frame) {
        let first = self.strips.len();
        if attr.has_class("epigraph") {
            let gap = frame.leading * 0.5;
            let size = frame.size * 0.91;
            let width = (frame.width * 0.6).max(frame.size * 12.0).min(frame.width);
            let inner = Frame {
                left: frame.left + frame.width - width,
                width,
                size,
                leading: (size * 1.32 * 2.0).round() / 2.0,
                align: Align::Left,
            };
            self.pending_space = self.pending_space.max(gap);
            self.indent_next = false;
            for (k, block) in blocks.iter().enumerate() {
                self.enter(k);
                match block {
                    Block::Paragraph { content, span }
                        if k + 1 == blocks.len() && is_attribution(content) =>
                    {
                        self.attribution(content, *span, inner);
                    }
                    Block::Div { attr, blocks, .. } if attr.has_class("attribution") => {
                        let right = Frame {
                            align: Align::Right,
                            ..inner
                        };
                        self.indent_next = false;
                        self.blocks(blocks, right);
                    }
                    _ => self.block(block, inner),
                }
                self.leave();
            }
            self.set_pending(frame.leading);
            self.indent_next = false;
        } else if attr.has_class("attribution") {
            let right = Frame {
                align: Align::Right,
                ..frame
            };
            self.indent_next = false;
            self.blocks(blocks, right);
        } else {
            self.blocks(blocks, frame);
        }
        if let Some(id) = &attr.id {
            let key = AnchorKey::Id(id.clone());
            if let Some(s) = self.strips.get_mut(first) {
                s.anchors.push((key, frame.left, 0.0));
            }
        }
    }

    /// An epigraph's attribution: flush right, a little apart from the quotation.
    fn attribution(&mut self, content: &[Inline], span: crate::source::Span, frame: Frame) {
        let mut flat = Flat::default();
        flat.push_inlines(
            content,
            Self::run_style(FaceId::Regular, frame.size),
            &self.book.notes,
        );
        let space = frame.leading * 0.25;
        self.paragraph(flat, frame, Align::Right, 0.0, space, Some(span));
        self.indent_next = false;
    }

    /// A definition list: each term in bold on its own line, kept with its definition;
    /// the definitions indented.
    fn definition_list(&mut self, items: &[DefinitionItem], frame: Frame) {
        let book = self.book;
        let gap = frame.leading * 0.5;
        let indent = self.style.size * 1.6;
        let inner = Frame {
            left: frame.left + indent,
            width: frame.width - indent,
            ..frame
        };
        self.pending_space = self.pending_space.max(gap);
        for (k, item) in items.iter().enumerate() {
            let mut flat = Flat::default();
            flat.push_inlines(
                &item.term,
                Self::run_style(FaceId::Bold, frame.size),
                &book.notes,
            );
            let first = self.strips.len();
            let space = if k == 0 { 0.0 } else { frame.leading * 0.4 };
            self.enter(k);
            self.enter(0);
            self.paragraph(flat, frame, Align::Left, 0.0, space, None);
            self.leave();
            for s in &mut self.strips[first..] {
                s.keep_with_next = true;
            }
            for (d, definition) in item.definitions.iter().enumerate() {
                self.indent_next = false;
                self.enter(d + 1);
                self.blocks(definition, inner);
                self.leave();
            }
            self.leave();
        }
        self.set_pending(gap);
        self.indent_next = false;
    }

    /// Breaks and sets one paragraph into line strips with widow/orphan needs. With a
    /// paragraph cache, a paragraph whose flat text, styles and frame were broken before
    /// is reused (the key is its content, not its place: see `cache.rs`).
    fn paragraph(
        &mut self,
        flat: Flat,
        frame: Frame,
        align: Align,
        indent: f32,
        space_before: f32,
        span: Option<Span>,
    ) {
        let mut flat = flat;
        flat.rtl |= self.context.rtl;
        if let Some(lang) = &self.context.lang {
            let lang = lang.clone();
            let end = flat.text.len();
            // The block's language, outermost (marks are innermost first).
            flat.marks.push(crate::typeset::items::Mark {
                range: 0..end,
                lang: crate::typeset::shape::Lang::new(&lang),
                dir: None,
            });
        }
        let broken = match self.paragraphs {
            Some((cache, context)) => {
                let mut h = KeyHasher::default();
                h.add(&context);
                // Hashed field by field (a `Debug` form escapes the text char by char
                // and formats every style: most of a cached paragraph's cost). Lengths
                // are in the derived `Hash` of the vectors, so fields cannot run into
                // each other; floats by their bits.
                h.add(&flat.text.len());
                h.bytes(flat.text.as_bytes());
                h.add(&(&flat.runs, &flat.styles, &flat.links, &flat.anchors));
                if flat.rtl || !flat.marks.is_empty() {
                    h.add(&(flat.rtl, &flat.marks));
                }
                let floats = [frame.left, frame.width, frame.size, frame.leading, indent];
                h.add(&(floats.map(f32::to_bits), space_before.to_bits(), align));
                let key = h.key();
                let made = cache.get_or_make(key, || {
                    self.break_paragraph(flat, frame, align, indent, space_before)
                });
                BrokenParagraph {
                    strips: made.strips.clone(),
                    overfull: made.overfull,
                    missing: made.missing.clone(),
                }
            }
            None => self.break_paragraph(flat, frame, align, indent, space_before),
        };
        if broken.overfull {
            self.diagnostics.push(
                Diagnostic::warning(span, "a line of this paragraph could not be set within the measure without very wide or squeezed spaces")
                    .with_hint("a very long word or URL is the usual cause; a hyphenation exception or a rewording helps"),
            );
        }
        if !broken.missing.is_empty() {
            self.locate_missing(&broken.missing, span);
        }
        let mut strips = broken.strips;
        if self.text_base != 0 {
            for s in &mut strips {
                s.text_at =
                    (i64::from(s.text_at) + self.text_base).clamp(0, i64::from(u32::MAX)) as u32;
            }
        }
        // A paragraph right after an indented one-line paragraph (a line of dialogue)
        // keeps three lines at a page foot, not two. The two indented lines in a row read
        // as an inset block, and the paragraph's second line, last on the page, then reads
        // as its start: to the eye (and to typeset-metrics, which finds paragraphs by
        // their indent) a first line alone at the foot. e-TeX's `\clubpenalties` sets
        // such a penalty for a two-line club; here it is a need like Typst's. Applied
        // after the cache: it depends on the block before, which the cache key omits.
        let n = strips.len();
        let after_one_liner =
            indent > 0.0 && self.one_liner.is_some_and(|i| i + 1 == self.strips.len());
        if after_one_liner && n >= 4 {
            if let Some(first) = strips.first_mut() {
                first.need = first.need.max(3);
            }
        }
        let one_liner =
            (n == 1 && align == Align::Justify && indent > 0.0).then_some(self.strips.len());
        for strip in strips {
            self.push(strip);
        }
        self.one_liner = one_liner;
    }

    /// [`Self::paragraph`] without the cache and before the pending space is applied:
    /// a pure function of its arguments and the book-wide fonts, style and hyphenation.
    fn break_paragraph(
        &mut self,
        flat: Flat,
        frame: Frame,
        align: Align,
        indent: f32,
        space_before: f32,
    ) -> BrokenParagraph {
        let hyph = if align == Align::Justify {
            Some(&self.hyphenator)
        } else {
            None
        };
        let mut par = build(flat, &mut self.shaper, hyph, mpt(indent));
        let em = mpt(frame.size);
        if align == Align::Center {
            balance(&mut par.items, mpt(frame.width));
        }
        let short_end = align == Align::Justify && end_short(&mut par.items, em / 4);
        let space = self.shaper.shape(" ", FaceId::Regular, em);
        let passes = if align == Align::Justify {
            Passes::justified(em, space.width(0..space.glyphs.len()))
        } else {
            Passes::ragged(em)
        };
        let measure = mpt(frame.width);
        let mut breaking = break_paragraph(&mut self.breaker, &par.items, measure, &passes);
        // The short last line is a preference, not worth a line with gaps past the cap:
        // when only the uncapped or rescue passes could keep it ("“Bolkonski! … Come
        // quick…” he / shouted.", whose first line cannot be filled), and the paragraph
        // sets within the cap with a flush last line (here on one line, its spaces
        // shrunk), take that.
        if short_end && !breaking.pass.within_gap_cap() {
            end_short(&mut par.items, 0);
            let flush = break_paragraph(&mut self.breaker, &par.items, measure, &passes);
            if flush.pass.within_gap_cap() {
                breaking = flush;
            } else {
                end_short(&mut par.items, em / 4);
            }
        }
        let overfull = breaking.pass == Pass::Rescue && align == Align::Justify;
        let lines = set_lines_tracked(
            &par,
            &breaking.breaks,
            measure,
            align,
            passes.emergency.max_ratio_permille as f64 / 1000.0,
            &self.shaper,
        );
        let n = lines.len();
        let mut strips = Vec::with_capacity(n);
        let baseline = self.baseline(frame.size, frame.leading);
        // Where each line begins in the flat text (its first item's byte).
        let mut line_starts = Vec::with_capacity(n);
        let mut start = crate::typeset::lines::first_box(&par.items);
        for &b in &breaking.breaks {
            line_starts.push(par.starts.get(start).copied().unwrap_or(0));
            start = crate::typeset::linebreak::line_start(&par.items, b);
        }
        for (k, line) in lines.into_iter().enumerate() {
            // Typst's need rule: first line needs the second (no orphan), the
            // second-to-last needs the last (no widow); a 3-line paragraph stays whole.
            let mut need = if n == 3 && k == 0 {
                3
            } else if k == 0 || (n >= 2 && k + 2 == n) {
                2
            } else {
                1
            };
            if line.flagged && k + 1 < n {
                need = need.max(2); // no page break after a hyphenated line
            }
            let mut strip = Strip {
                height: frame.leading,
                need: need.min(n - k),
                baseline,
                ..Default::default()
            };
            if k == 0 {
                strip.space_before = space_before;
            } else {
                strip.text_at = line_starts.get(k).copied().unwrap_or(0);
            }
            for run in line.runs {
                strip.runs.push(GlyphRun {
                    x: run.x + frame.left,
                    y: run.y + baseline,
                    ..run
                });
            }
            for (r, l) in line.links {
                if let Some(target) = par.flat.links.get(l as usize) {
                    let r = Rect {
                        x: r.x + frame.left,
                        y: r.y + baseline,
                        ..r
                    };
                    strip
                        .links
                        .push((within_line(r, 0.0, frame.leading), target.clone()));
                }
            }
            for (a, x, y) in line.anchors {
                if let Some(key) = par.flat.anchors.get(a as usize) {
                    strip
                        .anchors
                        .push((key.clone(), x + frame.left, y + baseline));
                }
            }
            for (from, to) in [
                (line.rules, &mut strip.rules),
                (line.shades, &mut strip.shades),
            ] {
                to.extend(from.into_iter().map(|r| Rect {
                    x: r.x + frame.left,
                    y: r.y + baseline,
                    ..r
                }));
            }
            if k == 0 {
                // Block-level anchors (headings) that no glyph carries go to the top.
                for key in &par.flat.anchors {
                    if !strip.anchors.iter().any(|(k2, _, _)| k2 == key)
                        && !matches!(key, AnchorKey::NoteRef(..))
                    {
                        strip.anchors.push((key.clone(), frame.left, 0.0));
                    }
                }
            }
            strips.push(strip);
        }
        // Each missing character as its `k`-th use in the paragraph's text (what
        // `locate_missing` finds again in the source).
        let missing = par
            .missing
            .iter()
            .map(|&(at, c)| {
                (
                    par.flat.text.get(..at).map_or(0, |t| t.matches(c).count()),
                    c,
                )
            })
            .collect();
        BrokenParagraph {
            strips,
            overfull,
            missing,
        }
    }

    /// Notes the missing characters of a paragraph (`(k, c)`: the `k`-th use of `c` in
    /// its text) at their places in the source: the `k`-th use of a character in the
    /// paragraph's text is its `k`-th in the block's source (a character written as an
    /// entity or an escape is placed at the block's start instead).
    fn locate_missing(&mut self, missing: &[(usize, char)], span: Option<Span>) {
        for &(k, c) in missing {
            let located = span.and_then(|span| {
                let source = self
                    .sources?
                    .get(span.file)?
                    .text
                    .get(span.start..span.end)?;
                let (offset, _) = source.match_indices(c).nth(k)?;
                let start = span.start + offset;
                Some(Span::new(span.file, start, start + c.len_utf8()))
            });
            let span = located.or(span.map(|s| Span::new(s.file, s.start, s.start)));
            self.note_missing(c, span, 1);
        }
    }

    fn image(&mut self, asset: usize, frame: Frame) {
        // The natural size in CSS pixels (1/96 in = 0.75 pt), shrunk to the measure and
        // to 80 % of the page's text height — what the EPUB's `max-width: 100%` gives
        // on a reader, so a small logo stays small and a photograph fills the measure.
        let (w, h) = self
            .book
            .assets
            .get(asset)
            .and_then(crate::image::intrinsic_size)
            .map_or((frame.width, frame.width * 0.75), |(w, h)| {
                (w * 0.75, h * 0.75)
            });
        let scale = (frame.width / w)
            .min(self.style.body_height() * self.style.blocks.image_max_height / h)
            .min(1.0);
        let (width, height) = (w * scale, h * scale);
        let space = frame.leading * self.style.blocks.gap;
        let mut strip = Strip {
            height: height + space,
            space_before: space,
            need: 1,
            ..Default::default()
        };
        strip.images.push(PlacedImage {
            asset,
            rect: Rect {
                x: frame.left + (frame.width - width) / 2.0,
                y: 0.0,
                width,
                height,
            },
        });
        self.push(strip);
    }

    /// A figure (pandoc's implicit_figures): the image at its `width`/`height` (a
    /// percentage of the measure, a length, pixels at 96 to the inch, ems of the text),
    /// else at its natural size shrunk to fit; its caption centred under it in italic,
    /// kept on the image's page; its id a destination.
    fn figure(
        &mut self,
        asset: usize,
        caption: &[Inline],
        id: Option<&str>,
        size: (Option<Dimension>, Option<Dimension>),
        span: Span,
        frame: Frame,
    ) {
        let points = |d: Dimension, whole: f32| match d {
            Dimension::Pixels(px) => px * 0.75,
            Dimension::Points(pt) => pt,
            Dimension::Em(em) => em * frame.size,
            Dimension::Percent(p) => whole * p / 100.0,
        };
        let natural = self
            .book
            .assets
            .get(asset)
            .and_then(crate::image::intrinsic_size)
            .map(|(w, h)| (w * 0.75, h * 0.75));
        let max_h = self.style.body_height() * 0.8;
        let (w, h) = match (
            size.0.map(|d| points(d, frame.width)),
            size.1.map(|d| points(d, max_h / 0.8)),
        ) {
            (Some(w), Some(h)) => (w, h),
            (Some(w), None) => (w, natural.map_or(w * 0.75, |(nw, nh)| w * nh / nw.max(1.0))),
            (None, Some(h)) => (
                natural.map_or(h * 4.0 / 3.0, |(nw, nh)| h * nw / nh.max(1.0)),
                h,
            ),
            (None, None) => natural.unwrap_or((frame.width, frame.width * 0.75)),
        };
        let (w, h) = (w.max(1.0), h.max(1.0));
        let scale = (frame.width / w).min(max_h / h).min(1.0);
        let (width, height) = (w * scale, h * scale);
        let space = frame.leading * 0.5;
        let mut strip = Strip {
            height,
            space_before: space.max(self.pending_space),
            need: 1,
            keep_with_next: !caption.is_empty(),
            ..Default::default()
        };
        strip.images.push(PlacedImage {
            asset,
            rect: Rect {
                x: frame.left + (frame.width - width) / 2.0,
                y: 0.0,
                width,
                height,
            },
        });
        if let Some(id) = id {
            strip
                .anchors
                .push((AnchorKey::Id(id.to_string()), frame.left, 0.0));
        }
        self.push(strip);
        if caption.is_empty() {
            self.set_pending(space);
            return;
        }
        let size = frame.size * 0.9;
        let mut flat = Flat::default();
        flat.push_inlines(
            caption,
            Self::run_style(FaceId::Italic, size),
            &self.book.notes,
        );
        let f = Frame {
            size,
            leading: (size * 1.3 * 2.0).round() / 2.0,
            ..frame
        };
        let first = self.strips.len();
        self.paragraph(flat, f, Align::Center, 0.0, size * 0.5, Some(span));
        // The caption stays with its image, and a caption of several lines stays whole.
        let n = self.strips.len() - first;
        if let Some(s) = self.strips.get_mut(first) {
            s.need = s.need.max(n);
        }
        self.set_pending(space);
    }

    /// A table's caption, above it (where HTML's `<caption>` goes, and Chicago 3.52 puts
    /// a table's title), in italic at text size, ragged, kept with the table.
    fn table_caption(&mut self, caption: &[Inline], span: Span, frame: Frame) {
        if caption.is_empty() {
            return;
        }
        let mut flat = Flat::default();
        flat.push_inlines(
            caption,
            Self::run_style(FaceId::Italic, frame.size),
            &self.book.notes,
        );
        let first = self.strips.len();
        let space = frame.leading * self.style.blocks.gap;
        self.paragraph(flat, frame, Align::Left, 0.0, space, Some(span));
        for s in &mut self.strips[first..] {
            s.keep_with_next = true;
        }
        self.set_pending(0.0);
    }

    /// A table: rows are strips, set at text size (a table is read like the text around
    /// it; at a smaller size a heading over a table has no text-size line under it, and
    /// reads, to typeset-metrics too, as a heading stranded at the page foot). A table
    /// that fits on a page is kept whole: split, its last rows would sit on the next page
    /// away from the column heads that say what they are.
    fn table(
        &mut self,
        head: &[Cell],
        rows: &[Vec<Cell>],
        align: &[crate::model::Align],
        given: &[f32],
        frame: Frame,
        span: Option<Span>,
    ) {
        let cols = head.len().max(rows.iter().map(Vec::len).max().unwrap_or(0));
        if cols == 0 {
            return;
        }
        let design = self.style.table;
        let size = frame.size;
        let leading = self.style.table_leading(size);
        let pad = size * design.padding;
        let line_baseline = self.baseline(size, leading);
        // Each row with its child index in the table (see `pagemap`): 1 the head,
        // `r + 2` row `r`.
        let all: Vec<(&[Cell], bool, usize)> = std::iter::once((head, true, 1))
            .chain(
                rows.iter()
                    .enumerate()
                    .map(|(r, row)| (row.as_slice(), false, r + 2)),
            )
            .filter(|(r, _, _)| !r.is_empty())
            .collect();
        // Every cell's pieces, shaped once, before the columns' widths: those need the
        // cells' longest words.
        let mut built: Vec<Vec<Vec<(CellPiece, Paragraph)>>> = Vec::with_capacity(all.len());
        for &(row, is_head, _) in &all {
            let face = if is_head {
                FaceId::Bold
            } else {
                FaceId::Regular
            };
            let mut cells = Vec::with_capacity(row.len());
            for cell in row {
                let mut pieces = Vec::new();
                self.cell_pieces(cell, Self::run_style(face, size), 0.0, &mut pieces);
                let pars = pieces
                    .into_iter()
                    .map(|mut piece| {
                        let flat = std::mem::take(&mut piece.flat);
                        let par = build(flat, &mut self.shaper, None, mpt(-piece.hang));
                        (piece, par)
                    })
                    .collect();
                cells.push(pars);
            }
            built.push(cells);
        }
        let mut widths: Vec<f32> = if given.len() == cols && given.iter().all(|w| *w > 0.0) {
            // Relative widths from the source (multiline and grid tables), as fractions of
            // the measure; a table wider than the measure is scaled down to it.
            let sum: f32 = given.iter().sum();
            let scale = frame.width / sum.max(1.0);
            given.iter().map(|w| w * scale).collect()
        } else {
            self.natural_widths(head, rows, cols, frame)
        };
        // The narrowest each column can be without a word running out of its cell (into
        // the padding, or over the next cell's text: a grid table's `German` in a column
        // drawn six characters wide touched the next column's `English`, and text
        // extraction read them as one word).
        let mut words = vec![0.0f32; cols];
        for row in &built {
            for (c, pieces) in row.iter().enumerate() {
                for (piece, par) in pieces {
                    let w = longest_unbreakable(&par.items) as f32 / MPT as f32
                        + piece.indent
                        + piece.hang
                        + 2.0 * pad;
                    if let Some(m) = words.get_mut(c) {
                        *m = m.max(w);
                    }
                }
            }
        }
        widen_to_words(&mut widths, &words, frame.width);
        let table_width: f32 = widths.iter().sum();
        let rule = design.rule;
        let mut first = true;
        let nrows = all.len();
        let first_strip = self.strips.len();
        for (ri, ((_, is_head, child), row)) in all.into_iter().zip(built).enumerate() {
            let mut strip = Strip {
                need: 1,
                ..Default::default()
            };
            let mut x = frame.left;
            // The row's height in lines: its tallest cell's.
            let mut lines_max = 1.0f32;
            for (c, pieces) in row.into_iter().enumerate() {
                let w = widths.get(c).copied().unwrap_or(0.0);
                let cell_align = match align.get(c) {
                    Some(crate::model::Align::Right) => Align::Right,
                    Some(crate::model::Align::Center) => Align::Center,
                    _ => Align::Left,
                };
                // Lines set so far in this cell, and the half line between two blocks.
                let mut line_no = 0.0f32;
                for (n, (piece, par)) in pieces.into_iter().enumerate() {
                    if n > 0 && piece.gap {
                        line_no += 0.5;
                    }
                    // A cell's characters are found again in the table's source: the
                    // first use of each (the cell's own offsets are not the table's).
                    for &(_, c) in &par.missing {
                        self.locate_missing(&[(0, c)], span);
                    }
                    let measure = mpt((w - 2.0 * pad - piece.indent - piece.hang).max(size));
                    let breaking = break_paragraph(
                        &mut self.breaker,
                        &par.items,
                        measure,
                        &Passes::ragged(mpt(size)),
                    );
                    // A list item in a cell hangs from the left, whatever the column.
                    let piece_align = if piece.indent == 0.0 && piece.hang == 0.0 {
                        cell_align
                    } else {
                        Align::Left
                    };
                    let lines =
                        set_lines(&par, &breaking.breaks, measure, piece_align, &self.shaper);
                    let count = lines.len();
                    let left = x + pad + piece.indent + piece.hang;
                    for (k, line) in lines.into_iter().enumerate() {
                        let top = pad + leading * (line_no + k as f32);
                        let base = top + line_baseline;
                        for run in line.runs {
                            strip.runs.push(GlyphRun {
                                x: run.x + left,
                                y: run.y + base,
                                ..run
                            });
                        }
                        for (r, l) in line.links {
                            if let Some(t) = par.flat.links.get(l as usize) {
                                let r = Rect {
                                    x: r.x + left,
                                    y: r.y + base,
                                    ..r
                                };
                                strip.links.push((within_line(r, top, leading), t.clone()));
                            }
                        }
                        for (from, to) in [
                            (line.rules, &mut strip.rules),
                            (line.shades, &mut strip.shades),
                        ] {
                            to.extend(from.into_iter().map(|r| Rect {
                                x: r.x + left,
                                y: r.y + base,
                                ..r
                            }));
                        }
                        // Destinations in cells (note references): a note's backlink
                        // lands here, and a footnote goes on this row's page.
                        for (a, ax, ay) in line.anchors {
                            if let Some(key) = par.flat.anchors.get(a as usize) {
                                strip.anchors.push((key.clone(), ax + left, ay + base));
                            }
                        }
                    }
                    line_no += count as f32;
                }
                lines_max = lines_max.max(line_no);
                x += w;
            }
            strip.height = leading * lines_max + 2.0 * pad;
            strip.baseline = pad + line_baseline;
            if first {
                strip.space_before = frame.leading * self.style.blocks.gap;
                strip.rules.push(Rect {
                    x: frame.left,
                    y: 0.0,
                    width: table_width,
                    height: rule * 2.0,
                });
                first = false;
            }
            if is_head {
                strip.keep_with_next = true;
                strip.rules.push(Rect {
                    x: frame.left,
                    y: strip.height - rule / 2.0,
                    width: table_width,
                    height: rule,
                });
            }
            if ri + 1 == nrows {
                strip.rules.push(Rect {
                    x: frame.left,
                    y: strip.height - rule,
                    width: table_width,
                    height: rule * 2.0,
                });
            }
            // Rows are never split: a page begins at a row, in its first cell.
            self.enter(child);
            self.push(strip);
            self.leave();
        }
        // Kept whole only when a page also has room above it for what usually leads
        // into a table (a heading, a line of text, a subheading and a caption: eight
        // lines). A table that fills a page alone cannot share it with them: kept whole,
        // it would push its headings to the foot of the page before, stranded. A longer
        // table keeps its column heads with two rows and splits between rows.
        let table_height: f32 = self.strips[first_strip..]
            .iter()
            .map(|s| s.space_before + s.height)
            .sum();
        let keep = if table_height + design.lead_in * frame.leading <= self.style.body_height() {
            nrows
        } else {
            nrows.min(design.head_rows)
        };
        if let Some(s) = self.strips.get_mut(first_strip) {
            s.need = s.need.max(keep);
        }
        self.set_pending(frame.leading * self.style.blocks.gap);
    }

    /// Column widths from the content: each column's widest cell (set on one line),
    /// scaled to the measure, never below an even share's half when the table is too
    /// wide.
    fn natural_widths(
        &mut self,
        head: &[Cell],
        rows: &[Vec<Cell>],
        cols: usize,
        frame: Frame,
    ) -> Vec<f32> {
        let size = frame.size;
        let pad = size * 0.5;
        let mut natural = vec![size * 2.0; cols];
        for (r, row) in std::iter::once(head)
            .chain(rows.iter().map(Vec::as_slice))
            .enumerate()
        {
            for (c, cell) in row.iter().enumerate() {
                let face = if r == 0 {
                    FaceId::Bold
                } else {
                    FaceId::Regular
                };
                let (text, extra) = match cell.as_slice() {
                    [Block::Paragraph { content, .. }] => (plain_text(content), 0.0),
                    // Blocks: the longest of their lines, with its indent.
                    _ => {
                        let mut pieces = Vec::new();
                        self.cell_pieces(cell, Self::run_style(face, size), 0.0, &mut pieces);
                        pieces
                            .into_iter()
                            .map(|p| (p.flat.text, p.indent + p.hang))
                            .max_by_key(|(t, _)| t.len())
                            .unwrap_or_default()
                    }
                };
                let word = self.shaper.shape(&text, face, mpt(size));
                if let Some(n) = natural.get_mut(c) {
                    *n = n.max(
                        word.width(0..word.glyphs.len()) as f32 / MPT as f32 + 2.0 * pad + extra,
                    );
                }
            }
        }
        let total: f32 = natural.iter().sum();
        if total <= frame.width {
            natural.iter().map(|w| w * frame.width / total).collect()
        } else {
            let floor = frame.width / cols as f32 / 2.0;
            let raw: Vec<f32> = natural
                .iter()
                .map(|w| (w * frame.width / total).max(floor))
                .collect();
            let sum: f32 = raw.iter().sum();
            raw.iter().map(|w| w * frame.width / sum).collect()
        }
    }

    /// What a table cell sets, in order: each paragraph (a list item's with its marker,
    /// hanging), verse line or code line as a ragged piece at its indent. Recursion is
    /// bounded by the parser's nesting cap.
    fn cell_pieces(
        &mut self,
        blocks: &[Block],
        style: RunStyle,
        indent: f32,
        out: &mut Vec<CellPiece>,
    ) {
        let notes = &self.book.notes;
        let text = |t: &str| {
            let mut flat = Flat::default();
            flat.push(t, style);
            flat
        };
        for block in blocks {
            match block {
                Block::Paragraph { content, .. } => {
                    let mut flat = Flat::default();
                    flat.push_inlines(content, style, notes);
                    out.push(CellPiece {
                        flat,
                        indent,
                        hang: 0.0,
                        gap: true,
                    });
                }
                Block::Heading { content, .. } => {
                    let mut flat = Flat::default();
                    let bold = RunStyle {
                        face: FaceId::Bold,
                        ..style
                    };
                    flat.push_inlines(content, bold, notes);
                    out.push(CellPiece {
                        flat,
                        indent,
                        hang: 0.0,
                        gap: true,
                    });
                }
                Block::List {
                    start,
                    numbering,
                    items,
                    ..
                } => {
                    for (k, item) in items.iter().enumerate() {
                        let marker = match start {
                            Some(n) => numbering.marker(n.saturating_add(k as u64)),
                            None => "•".to_string(),
                        };
                        let word = self
                            .shaper
                            .shape(&format!("{marker} "), style.face, style.size);
                        let hang = word.width(0..word.glyphs.len()) as f32 / MPT as f32;
                        let mut flat = text(&format!("{marker}\u{a0}"));
                        let rest = match item.as_slice() {
                            [Block::Paragraph { content, .. }, rest @ ..] => {
                                flat.push_inlines(content, style, notes);
                                rest
                            }
                            all => all,
                        };
                        out.push(CellPiece {
                            flat,
                            indent,
                            hang,
                            gap: k == 0,
                        });
                        self.cell_pieces(rest, style, indent + hang, out);
                    }
                }
                Block::LineBlock { lines, .. } => {
                    for (k, line) in lines.iter().enumerate() {
                        let mut flat = Flat::default();
                        flat.push_inlines(line, style, notes);
                        out.push(CellPiece {
                            flat,
                            indent,
                            hang: 0.0,
                            gap: k == 0,
                        });
                    }
                }
                Block::CodeBlock { text: code, .. } => {
                    for (k, line) in code.lines().enumerate() {
                        out.push(CellPiece {
                            flat: text(line),
                            indent,
                            hang: 0.0,
                            gap: k == 0,
                        });
                    }
                }
                Block::BlockQuote { blocks, .. } | Block::Div { blocks, .. } => {
                    self.cell_pieces(blocks, style, indent, out)
                }
                // A figure in a grid table's cell: its caption is set; the picture is
                // not (a cell's pieces are lines of text), and the author is told.
                Block::Figure { caption, span, .. } => {
                    let mut flat = Flat::default();
                    flat.push_inlines(caption, style, notes);
                    out.push(CellPiece {
                        flat,
                        indent,
                        hang: 0.0,
                        gap: true,
                    });
                    self.diagnostics.push(
                        Diagnostic::warning(
                            *span,
                            "an image inside a table cell is not drawn in the PDF; its caption is set",
                        )
                        .with_hint("put the image before or after the table"),
                    );
                }
                Block::DefinitionList { items, .. } => {
                    for item in items {
                        let mut flat = Flat::default();
                        let bold = RunStyle {
                            face: FaceId::Bold,
                            ..style
                        };
                        flat.push_inlines(&item.term, bold, notes);
                        out.push(CellPiece {
                            flat,
                            indent,
                            hang: 0.0,
                            gap: true,
                        });
                        for d in &item.definitions {
                            self.cell_pieces(
                                d,
                                style,
                                indent + style.size as f32 / MPT as f32,
                                out,
                            );
                        }
                    }
                }
                Block::Html { nodes, .. } => {
                    let mut flat = Flat::default();
                    flat.push_html(nodes, style, notes);
                    out.push(CellPiece {
                        flat,
                        indent,
                        hang: 0.0,
                        gap: true,
                    });
                }
                Block::Table { .. } => {
                    let t = blocks_plain_text(std::slice::from_ref(block));
                    out.push(CellPiece {
                        flat: text(&t),
                        indent,
                        hang: 0.0,
                        gap: true,
                    });
                }
                Block::ThematicBreak { .. } => {}
            }
        }
    }

    /// Footnotes (`pdf: notes: footnotes`): each note laid out on its own, at the notes'
    /// size, into [`Self::footnotes`]; the page builder (paginate.rs, footnotes.rs) sets it
    /// at the foot of the page holding its reference. Every line of a note is indented by
    /// one hanging width, the widest number's, and the number hangs in it, flush right,
    /// full size and followed by a period: Chicago (ch. 14) and Bringhurst (§4.3) set note
    /// numbers in the notes so, superscript only in the text. The number links back to the
    /// reference and is the note's destination, as in the Notes section.
    fn footnotes(&mut self) {
        let book = self.book;
        let size = self.style.footnote_size();
        let leading = self.style.footnote_leading();
        let gap = size * self.style.footnotes.number_gap;
        let numbers: Vec<_> = book
            .notes
            .iter()
            .map(|n| {
                let word = self
                    .shaper
                    .shape(&format!("{}.", n.number), FaceId::Regular, mpt(size));
                let width = word.width(0..word.glyphs.len()) as f32 / MPT as f32;
                (word, width)
            })
            .collect();
        let hang = numbers.iter().map(|(_, w)| *w).fold(0.0f32, f32::max) + gap;
        let body = self.body();
        let frame = Frame {
            left: body.left + hang,
            width: (body.width - hang).max(size),
            size,
            leading,
            align: body.align,
        };
        // The body's strips and state are set aside: each note starts as a block of its
        // own, with no space owed and no indent.
        let text = std::mem::take(&mut self.strips);
        let state = (self.pending_space, self.indent_next, self.one_liner);
        for (i, (note, (word, width))) in book.notes.iter().zip(numbers).enumerate() {
            self.enter_flow(Flow::Note(i as u32));
            self.set_pending(0.0);
            self.indent_next = false;
            self.one_liner = None;
            self.blocks(&note.blocks, frame);
            let mut strips = std::mem::take(&mut self.strips);
            if strips.is_empty() {
                // An empty note still shows its number.
                strips.push(Strip {
                    height: leading,
                    need: 1,
                    baseline: self.baseline(size, leading),
                    ..Default::default()
                });
            }
            if let Some(first) = strips.first_mut() {
                // Space between notes is the page builder's (FootnoteDesign::gap).
                first.space_before = 0.0;
                let x = frame.left - gap - width;
                // First in the strip's runs: text extraction reads "1. Text".
                first.runs.splice(
                    0..0,
                    simple_run(&word, FaceId::Regular, size, x, first.baseline),
                );
                let rect = Rect {
                    x,
                    y: 0.0,
                    width,
                    height: first.height.min(leading),
                };
                first
                    .links
                    .push((rect, LinkRef::Anchor(AnchorKey::NoteRef(note.id.0, 0))));
                first
                    .anchors
                    .push((AnchorKey::Note(note.id.0), x, first.baseline - size));
            }
            self.footnotes.push(strips);
        }
        self.strips = text;
        (self.pending_space, self.indent_next, self.one_liner) = state;
        self.open_carry = false;
    }

    fn notes_section(&mut self) {
        let book = self.book;
        if book.notes.is_empty() {
            return;
        }
        self.enter_flow(Flow::Notes);
        self.outline.push(("Notes".into(), 1, AnchorKey::Notes));
        let size = self.style.size * self.style.headings.chapter_size;
        let mut flat = Flat::default();
        flat.anchor(AnchorKey::Notes);
        flat.push("Notes", Self::run_style(FaceId::Bold, size));
        let first = self.strips.len();
        let space = self.style.leading * self.style.headings.chapter_space;
        self.heading(flat, size, space, None, AnchorKey::Notes);
        if let Some(s) = self.strips.get_mut(first) {
            s.mark = Some("Notes".into());
            s.new_page = self.style.chapter_break != ChapterBreak::RunOn;
        }
        // Endnotes at text size: they are read as a section of their own at the end, not
        // glanced at in a page foot like footnotes, and a smaller size under a full-size
        // "Notes" heading reads (and measures, in typeset-metrics, which counts body lines
        // by size) as a heading with nothing of its own size after it.
        let nsize = self.style.size;
        let note_space = self.style.notes.space;
        let frame = self.body();
        let mut group: Option<usize> = None;
        for (i, note) in book.notes.iter().enumerate() {
            // A group's heading is where the EPUB writes it: before the group's first note.
            self.enter_flow(Flow::Note(i as u32));
            if book.meta.note_numbering == NoteNumbering::Chapter && group != Some(note.chapter) {
                group = Some(note.chapter);
                let title = book
                    .chapters
                    .get(note.chapter)
                    .and_then(|c| c.title.as_deref())
                    .map_or_else(|| book.meta.title.clone(), plain_text);
                self.outline
                    .push((title.clone(), 2, AnchorKey::NotesGroup(note.chapter)));
                let mut flat = Flat::default();
                flat.anchor(AnchorKey::NotesGroup(note.chapter));
                flat.push(&title, Self::run_style(FaceId::Italic, self.style.size));
                self.heading(
                    flat,
                    self.style.size,
                    self.style.leading * self.style.notes.group_space,
                    None,
                    AnchorKey::NotesGroup(note.chapter),
                );
            }
            let mut prefix = Flat::default();
            let link = prefix.link(LinkRef::Anchor(AnchorKey::NoteRef(note.id.0, 0)));
            let anchor = prefix.anchor(AnchorKey::Note(note.id.0));
            prefix.push(
                &format!("{}.", note.number),
                RunStyle {
                    link: Some(link),
                    anchor: Some(anchor),
                    hyphenate: false,
                    ..Self::run_style(FaceId::Regular, nsize)
                },
            );
            prefix.push(" ", Self::run_style(FaceId::Regular, nsize));
            // The note begins at its number (the EPUB's note begins with its number
            // too, as a backlink): a page that begins with it begins at the note.
            self.enter_flow(Flow::Note(i as u32));
            let mut first_par = true;
            for (k, block) in note.blocks.iter().enumerate() {
                self.enter(k);
                match (first_par, block) {
                    (true, Block::Paragraph { content, span }) => {
                        let mut flat = std::mem::take(&mut prefix);
                        // Lines after the first count from the text, not the number.
                        self.text_base = -(flat.text.len() as i64);
                        flat.push_inlines(
                            content,
                            Self::run_style(FaceId::Regular, nsize),
                            &book.notes,
                        );
                        self.paragraph(
                            flat,
                            frame,
                            Align::Justify,
                            0.0,
                            frame.leading * note_space,
                            Some(*span),
                        );
                        self.text_base = 0;
                    }
                    _ => {
                        if first_par {
                            let flat = std::mem::take(&mut prefix);
                            self.paragraph(
                                flat,
                                frame,
                                Align::Left,
                                0.0,
                                frame.leading * note_space,
                                Some(note.span),
                            );
                        }
                        self.indent_next = false;
                        self.block(block, frame);
                    }
                }
                self.leave();
                first_par = false;
            }
            if first_par {
                self.paragraph(
                    prefix,
                    frame,
                    Align::Left,
                    0.0,
                    frame.leading * note_space,
                    Some(note.span),
                );
            }
        }
    }
}

/// Balances centred text that needs more than one line: its last line loses the
/// `\parfillskip` (fill glue), so the breaker prices every line's shortfall alike and
/// spreads the words evenly instead of filling all lines but the last (the usual treatment
/// of display titles; TeX users get it from `\parfillskip=0pt` with centred ragged glue).
fn balance(items: &mut [crate::typeset::linebreak::Item], measure: i64) {
    use crate::typeset::linebreak::Item;
    let natural: i64 = items
        .iter()
        .map(|i| match i {
            Item::Box { width, .. } | Item::Glue { width, .. } => *width,
            Item::Penalty { .. } => 0,
        })
        .sum();
    if natural <= measure {
        return;
    }
    if let Some(Item::Glue { fill, .. }) = items
        .iter_mut()
        .rev()
        .find(|i| matches!(i, Item::Glue { fill: true, .. }))
    {
        *fill = false;
    }
}

/// Makes a justified paragraph's last line end at least `gap` short of the measure: the
/// `\parfillskip` gets a natural width instead of TeX's 0pt. A last line that fills the
/// measure hides the paragraph's end whenever the next line has no indent to show a new
/// paragraph (before a heading, at a chapter's end, across a page): the reader cannot tell
/// the paragraph ended, nor can typeset-metrics, which finds paragraph ends by short
/// lines (typesetting.md §7: "penalise ... a last line ending within ~1 em of the
/// margin"). The last line may still shrink; when it cannot, the breaker takes a word
/// down or re-breaks the paragraph.
/// Returns whether the paragraph ends with its fill glue (as `items::build` makes it).
fn end_short(items: &mut [crate::typeset::linebreak::Item], gap: i64) -> bool {
    use crate::typeset::linebreak::{Item, INFINITE_PENALTY};
    // The paragraph's own fill glue is the one right before its final forced break (a
    // hard line break inside keeps its fill glue at natural width 0).
    match items {
        [.., Item::Glue {
            width, fill: true, ..
        }, Item::Penalty { cost, .. }]
            if *cost <= -INFINITE_PENALTY =>
        {
            *width = gap;
            true
        }
        _ => false,
    }
}

/// Whether the book reads right to left: its `dir`, else its language (Arabic, Divehi,
/// Persian, Hebrew, Kashmiri, Kurdish (Sorani), Pashto, Sindhi, Uyghur, Urdu, Yiddish:
/// the languages written in right-to-left scripts, as Typst's `Lang::dir` lists them).
fn book_is_rtl(book: &Book) -> bool {
    match book.meta.dir {
        Some(dir) => dir == crate::model::Direction::Rtl,
        None => matches!(
            book.meta.lang.primary(),
            "ar" | "dv" | "fa" | "he" | "ks" | "ckb" | "ps" | "sd" | "ug" | "ur" | "yi"
        ),
    }
}

/// The warning for a character no face has: its code point, name and script, where it
/// is first used, how often, and what to do.
fn missing_glyph_warning(
    c: char,
    span: Option<Span>,
    count: usize,
    fonts: &crate::fonts::FontSet,
) -> Diagnostic {
    use unicode_general_category::{get_general_category, GeneralCategory};
    use unicode_script::UnicodeScript;
    let name = match unicode_names2::name(c) {
        Some(name) => name.to_string(),
        None => match get_general_category(c) {
            GeneralCategory::PrivateUse => "<private use>".to_string(),
            GeneralCategory::Unassigned => "<unassigned>".to_string(),
            _ => "<unnamed>".to_string(),
        },
    };
    let script = c.script().full_name().replace('_', " ");
    let more = match count {
        0 | 1 => String::new(),
        2 => "; it is used once more".to_string(),
        n => format!("; it is used {} more times", n - 1),
    };
    let message = format!(
        "no font has U+{:04X} {name} ‘{c}’ (script: {script}): the PDF shows a box in its place{more}",
        c as u32
    );
    let package = match c.script() {
        unicode_script::Script::Han
        | unicode_script::Script::Hiragana
        | unicode_script::Script::Katakana
        | unicode_script::Script::Hangul
        | unicode_script::Script::Bopomofo => "fonts-noto-cjk",
        _ => "fonts-noto-core",
    };
    let system = if fonts.system_fonts_enabled() {
        format!(
            "or install a font for {script} (on Debian: {package}); {} system faces were tried",
            fonts.system_face_count()
        )
    } else {
        "or allow the system's fonts (`pdf: fonts: system: false` turns them off)".to_string()
    };
    let hint = if get_general_category(c) == GeneralCategory::PrivateUse {
        "a private-use character is only in the font made for it: name that font under `pdf: fonts: fallback:` in the metadata".to_string()
    } else {
        format!("name a font that has it under `pdf: fonts: fallback:` in the metadata, {system}")
    };
    Diagnostic::warning(span, message).with_hint(hint)
}

/// The runs of a shaped word at `x`, baseline `y`: one, or one per face where the word
/// has glyphs from fallback faces (see `Shaper`).
pub fn simple_run(
    word: &crate::typeset::shape::ShapedWord,
    face: FaceId,
    size: f32,
    x: f32,
    y: f32,
) -> Vec<GlyphRun> {
    let mut runs: Vec<GlyphRun> = Vec::with_capacity(1);
    let mut pen = x;
    for (i, g) in word.glyphs.iter().enumerate() {
        let glyph = crate::typeset::document::Glyph {
            id: g.id,
            advance: g.advance as f32 / MPT as f32,
            text: word.glyph_text(i).into(),
            raise: crate::typeset::lines::raise_64ths(g.rise),
        };
        let advance = glyph.advance;
        match runs.last_mut() {
            Some(run) if run.face == g.face => run.glyphs.make_mut().push(glyph),
            _ => runs.push(GlyphRun {
                face: g.face,
                size,
                x: pen,
                y,
                glyphs: vec![glyph].into(),
            }),
        }
        pen += advance;
    }
    if runs.is_empty() {
        runs.push(GlyphRun {
            face,
            size,
            x,
            y,
            glyphs: Default::default(),
        });
    }
    runs
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::fonts::FontSet;
    use crate::model::{Chapter, Metadata};
    use crate::typeset::linebreak::{Item, INFINITE_PENALTY};

    fn para(text: &str) -> Block {
        Block::Paragraph {
            content: vec![Inline::Text(text.into())],
            span: Span::default(),
        }
    }

    fn book(blocks: Vec<Block>) -> Book {
        Book {
            meta: Metadata {
                title: "T".into(),
                lang: "en".into(),
                ..Default::default()
            },
            chapters: vec![Chapter {
                title: None,
                id: "c".into(),
                attr: Default::default(),
                blocks,
                span: Span::default(),
            }],
            notes: vec![],
            assets: vec![],
        }
    }

    /// A ragged line breaks at glue after a box and at a penalty (a dash's), not at a
    /// hyphenation point nor at glue after a no-break penalty: the widest stretch
    /// between breaks is the narrowest measure.
    #[test]
    fn longest_unbreakable_stretch_is_the_widest_word() {
        let b = |width| Item::Box { width, protrude: 0 };
        let glue = Item::Glue {
            width: 3,
            stretch: 1,
            shrink: 1,
            fill: false,
        };
        let penalty = |cost, auto| Item::Penalty {
            width: 2,
            cost,
            flagged: false,
            auto,
        };
        // "ab cd" with a hyphenation point in "cd": the hyphenation point is not taken.
        assert_eq!(
            longest_unbreakable(&[b(10), glue, b(5), penalty(50, true), b(6)]),
            11
        );
        // A dash's break: the first part keeps the penalty's width.
        assert_eq!(longest_unbreakable(&[b(10), penalty(50, false), b(30)]), 30);
        assert_eq!(longest_unbreakable(&[b(40), penalty(50, false), b(30)]), 42);
        // A no-break space binds its words into one stretch, the glue included.
        assert_eq!(
            longest_unbreakable(&[b(10), penalty(INFINITE_PENALTY, false), glue, b(5)]),
            18
        );
    }

    /// Columns narrower than their longest word grow to it: the table widens up to the
    /// measure, then the others give up their room beyond their own words.
    #[test]
    fn columns_widen_to_their_words() {
        let mut w = vec![40.0, 40.0];
        widen_to_words(&mut w, &[50.0, 45.0], 300.0);
        assert_eq!(w, [50.0, 45.0]);
        let mut w = vec![60.0, 240.0];
        widen_to_words(&mut w, &[80.0, 20.0], 300.0);
        assert_eq!(w, [80.0, 220.0]);
        let mut w = vec![100.0, 100.0, 100.0];
        widen_to_words(&mut w, &[150.0, 50.0, 50.0], 300.0);
        assert_eq!(w, [150.0, 75.0, 75.0]);
        // Words wider than the measure together: shares of it, in their proportions.
        let mut w = vec![100.0, 100.0];
        widen_to_words(&mut w, &[300.0, 100.0], 200.0);
        assert_eq!(w, [150.0, 50.0]);
        // Nothing to do: untouched.
        let mut w = vec![100.0, 100.0];
        widen_to_words(&mut w, &[10.0, 10.0], 150.0);
        assert_eq!(w, [100.0, 100.0]);
    }

    /// The strips of `book`'s body (after the title block) with their text.
    fn strips(book: &Book) -> Vec<(usize, String)> {
        let fonts = FontSet::embedded();
        let style = Style::from_meta(&book.meta);
        let mut layout = Layout::new(book, &style, Shaper::new(&fonts));
        layout.book();
        layout
            .strips
            .iter()
            .map(|s| {
                let text = s
                    .runs
                    .iter()
                    .flat_map(|r| r.glyphs.iter().map(|g| g.text.as_str().to_string()))
                    .collect();
                (s.need, text)
            })
            .collect()
    }

    /// A book cut into parts laid out on several threads gives the strips one thread
    /// gives: chapters of every kind at the parts' edges (an untitled opening, a
    /// dedication on its own page, titled chapters), run-on chapters (where the page
    /// breaks owed across a part's edge come from the carried state), a contents page.
    #[test]
    fn parts_on_several_threads_give_the_strips_of_one() {
        use crate::model::{Attr, ChapterBreak};
        let text = "The lamp is lit at dusk, and the keeper climbs the stair to the lantern, \
            where the light turns all night over the water and the rocks below.";
        let chapter = |k: usize, class: Option<&str>| Chapter {
            title: (k > 0).then(|| vec![Inline::Text(format!("Chapter {k}"))]),
            id: format!("c{k}"),
            attr: Attr {
                classes: class.into_iter().map(String::from).collect(),
                ..Default::default()
            },
            blocks: (0..9 + k % 4).map(|i| para(&text[..40 + i * 9])).collect(),
            span: Span::default(),
        };
        let note = |i: u32| crate::model::Note {
            id: crate::model::NoteId(i),
            number: i + 1,
            label: format!("n{i}"),
            chapter: 2 * i as usize,
            ref_count: 1,
            blocks: vec![para(&text[..30 + 10 * i as usize])],
            span: Span::default(),
        };
        for (run_on, toc, notes) in [
            (false, false, false),
            (true, false, true),
            (false, true, true),
        ] {
            let mut b = book(Vec::new());
            b.chapters = (0..12)
                .map(|k| chapter(k, (k == 3).then_some("dedication")))
                .collect();
            if notes {
                b.notes = (0..6).map(note).collect();
                if toc {
                    b.meta.note_numbering = crate::model::NoteNumbering::Chapter;
                }
            }
            if run_on {
                b.meta.pdf.chapter_break = Some(ChapterBreak::RunOn);
            }
            b.meta.toc = toc;
            let fonts = FontSet::embedded();
            let style = Style::from_meta(&b.meta);
            let laid = |threads: usize| {
                let mut layout = Layout::new(&b, &style, Shaper::new(&fonts));
                layout.book_on(threads);
                (layout.strips, layout.outline)
            };
            assert!(parts(&b, 4).len() > 3, "the book is cut into parts");
            let one = laid(1);
            assert_eq!(
                one,
                laid(2),
                "two threads, run-on {run_on}, toc {toc}, notes {notes}"
            );
            assert_eq!(
                one,
                laid(4),
                "four threads, run-on {run_on}, toc {toc}, notes {notes}"
            );
        }
    }

    #[test]
    fn last_line_ends_short_of_the_measure() {
        let end = |w| {
            vec![
                Item::Box {
                    width: 5,
                    protrude: 0,
                },
                Item::Penalty {
                    width: 0,
                    cost: INFINITE_PENALTY,
                    flagged: false,
                    auto: false,
                },
                Item::Glue {
                    width: w,
                    stretch: 0,
                    shrink: 0,
                    fill: true,
                },
                Item::Penalty {
                    width: 0,
                    cost: -INFINITE_PENALTY,
                    flagged: false,
                    auto: false,
                },
            ]
        };
        let mut items = end(0);
        assert!(end_short(&mut items, 7));
        assert_eq!(items, end(7));
        assert!(!end_short(&mut items[..3], 7));
        // "aa aa bbb" exactly fills a measure of 9: one line, ending flush; with the
        // last line kept 2 short, "bbb" moves down.
        let text = |gap| {
            let word = |width| Item::Box { width, protrude: 0 };
            let space = Item::Glue {
                width: 1,
                stretch: 2,
                shrink: 0,
                fill: false,
            };
            let mut items = vec![word(2), space, word(2), space];
            items.extend(end(0));
            items[4] = word(3);
            end_short(&mut items, gap);
            let mut breaker = crate::typeset::linebreak::Breaker::new();
            let params = crate::typeset::linebreak::Params {
                tolerance: crate::typeset::linebreak::INF_BAD,
                ..Default::default()
            };
            breaker.break_lines(&items, 9, &params).unwrap().len()
        };
        assert_eq!(text(0), 1);
        assert_eq!(text(2), 2);
    }

    #[test]
    fn a_paragraph_after_a_one_line_paragraph_keeps_three_lines() {
        let long = "The quick brown fox jumps over the lazy dog again and again. ".repeat(6);
        let b = book(vec![
            para(&long),
            para("He was silent."),
            para(&long),
            para(&long),
        ]);
        let s = strips(&b);
        let first_of = |from: usize, prefix: &str| {
            s.iter()
                .enumerate()
                .skip(from)
                .find(|(_, (_, t))| t.starts_with(prefix))
                .map(|(i, _)| i)
                .unwrap()
        };
        let one = first_of(0, "He was silent.");
        // The paragraph right after the one-liner: its first line needs three.
        assert_eq!(s[one + 1].0, 3, "{:?}", &s[one..one + 3]);
        // The paragraph after that one (after a long paragraph) keeps the usual two.
        let third = first_of(one + 2, "The quick");
        assert_eq!(s[third].0, 2, "{:?}", &s[third..third + 2]);
    }

    /// A line's box (ascender to descender) is centred in its strip: as much room above
    /// as below, at text size and at a heading's.
    #[test]
    fn baselines_centre_the_faces_box_in_the_leading() {
        let b = book(vec![]);
        let fonts = FontSet::embedded();
        let style = Style::from_meta(&b.meta);
        let layout = Layout::new(&b, &style, Shaper::new(&fonts));
        for (size, leading) in [(style.size, style.leading), (16.1, 20.125), (9.0, 12.0)] {
            let baseline = layout.baseline(size, leading);
            let ascender = layout.shaper.ascender(FaceId::Regular, mpt(size)) as f32 / 1000.0;
            let descender = layout.shaper.descender(FaceId::Regular, mpt(size)) as f32 / 1000.0;
            let above = baseline - ascender;
            let below = leading - baseline - descender;
            assert!(
                (above - below).abs() < 0.001,
                "{size}/{leading}: {above} {below}"
            );
        }
        // 11.5 pt on 15: the box (16.85 pt) is taller than the leading.
        assert!((layout.baseline(11.5, 15.0) - 11.71).abs() < 0.01);
    }

    /// pandoc's figures: wherever the figure falls, its caption is on the image's page
    /// (the image strip keeps with the caption).
    #[test]
    fn a_figure_keeps_its_caption_on_its_page() {
        let png = include_bytes!("../../tests/fixtures/pandoc/tower.png").to_vec();
        let fonts = FontSet::embedded();
        let mut moved = 0;
        for n in 40..90 {
            let mut blocks: Vec<Block> = (0..n).map(|k| para(&format!("Line {k}."))).collect();
            blocks.push(Block::Figure {
                image: vec![Inline::Image {
                    asset: crate::model::AssetId(0),
                    alt: "A tower".into(),
                }],
                caption: vec![Inline::Text("A tower at dusk".into())],
                attr: Default::default(),
                width: Some(Dimension::Percent(60.0)),
                height: None,
                span: Span::default(),
            });
            let mut b = book(blocks);
            b.assets.push(crate::model::Asset {
                path: "tower.png".into(),
                href: "tower.png".into(),
                kind: crate::model::ImageKind::Png,
                data: png.clone(),
            });
            let (doc, _) = crate::typeset::typeset(&b, &fonts);
            let image_page = doc.pages.iter().position(|p| !p.images.is_empty()).unwrap();
            let caption_page = doc
                .pages
                .iter()
                .position(|p| {
                    p.runs
                        .iter()
                        .any(|r| r.glyphs.iter().any(|g| g.text.as_str() == "d"))
                        && p.runs.iter().any(|r| r.face == FaceId::Italic)
                })
                .unwrap();
            assert_eq!(image_page, caption_page, "{n} lines before");
            moved = moved.max(image_page);
        }
        // Some of those figures did fall at a page's foot: the first pages differ.
        assert!(moved > 1, "{moved}");
    }

    #[test]
    fn a_table_keeps_its_caption_and_stays_whole() {
        let cell = |t: &str| vec![Inline::Text(t.into())];
        let rows: Vec<Vec<Vec<Block>>> =
            (0..5).map(|i| vec![vec![para(&format!("r{i}"))]]).collect();
        let b = book(vec![
            para("Text before."),
            Block::Table {
                align: vec![crate::model::Align::None],
                widths: vec![],
                head: vec![vec![para("Head")]],
                rows,
                caption: cell("The caption"),
                span: Span::default(),
            },
        ]);
        let fonts = FontSet::embedded();
        let style = Style::from_meta(&b.meta);
        let mut layout = Layout::new(&b, &style, Shaper::new(&fonts));
        layout.book();
        let text = |s: &Strip| -> String {
            s.runs
                .iter()
                .flat_map(|r| r.glyphs.iter().map(|g| g.text.as_str().to_string()))
                .collect()
        };
        let at = layout
            .strips
            .iter()
            .position(|s| text(s) == "The caption")
            .unwrap();
        let caption = &layout.strips[at];
        assert!(caption.keep_with_next);
        assert!(caption.runs.iter().all(|r| r.face == FaceId::Italic));
        // Header row and five rows: the header needs all six; cells at text size.
        let head = &layout.strips[at + 1];
        assert_eq!(text(head), "Head");
        assert_eq!(head.need, 6);
        assert!(head.runs.iter().all(|r| r.size == style.size));
        assert_eq!(layout.strips.len(), at + 7);
    }

    /// The strips of `book`'s body after the title block: need, first run's x, the
    /// right end of its last run, faces, text.
    #[allow(clippy::type_complexity)]
    fn set(book: &Book) -> (Style, Vec<(usize, f32, f32, Vec<FaceId>, String)>) {
        let fonts = FontSet::embedded();
        let style = Style::from_meta(&book.meta);
        let mut layout = Layout::new(book, &style, Shaper::new(&fonts));
        layout.book();
        let strips = layout
            .strips
            .iter()
            .skip(1)
            .map(|s| {
                let text = s
                    .runs
                    .iter()
                    .flat_map(|r| r.glyphs.iter().map(|g| g.text.as_str().to_string()))
                    .collect();
                let x = s.runs.iter().map(|r| r.x).fold(f32::MAX, f32::min);
                let end = s
                    .runs
                    .iter()
                    .map(|r| r.x + r.glyphs.iter().map(|g| g.advance).sum::<f32>())
                    .fold(f32::MIN, f32::max);
                (
                    s.need,
                    x,
                    end,
                    s.runs.iter().map(|r| r.face).collect(),
                    text,
                )
            })
            .collect();
        (style, strips)
    }

    fn lines(texts: &[&str]) -> Vec<Vec<Inline>> {
        texts
            .iter()
            .map(|t| {
                if t.is_empty() {
                    vec![]
                } else {
                    vec![Inline::Text(t.to_string())]
                }
            })
            .collect()
    }

    #[test]
    fn verse_keeps_stanzas_and_hangs_its_turnovers() {
        let long = "This line of verse runs on and on, far longer than any measure can hold, so it turns over";
        let mut stanza: Vec<&str> = vec!["One.", "Two.", "Three.", ""];
        let ten = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
        stanza.extend(ten);
        stanza.push("");
        stanza.push(long);
        let b = book(vec![Block::LineBlock {
            lines: lines(&stanza),
            span: Span::default(),
        }]);
        let (style, s) = set(&b);
        let texts: Vec<&str> = s.iter().map(|x| x.4.as_str()).collect();
        assert_eq!(&texts[..3], ["One.", "Two.", "Three."]);
        // A stanza of up to eight lines is never split.
        assert_eq!(s[0].0, 3);
        // A longer one not after its first line, nor before its last.
        assert_eq!(s[3].0, 2);
        assert!(s[4..11].iter().all(|x| x.0 == 1), "{s:?}");
        assert_eq!(s[11].0, 2);
        assert_eq!(s[12].0, 1);
        // Flush left, never justified: lines start at the verse's left edge; the long
        // line's turnover is indented under it, and every line ends short of the measure.
        let left = s[0].1;
        assert!(s[..13].iter().all(|x| (x.1 - left).abs() < 0.01));
        assert!(s.len() >= 15, "{texts:?}");
        assert!(s[13].4.starts_with("This line"));
        assert!(s[14].1 > left + style.size, "{:?}", &s[13..]);
        assert_eq!(s[13].0, s.len() - 13);
        // (A comma at a line's end may hang into the margin, as in justified text.)
        let right = style.margin_left + style.measure();
        assert!(
            s.iter().all(|x| x.2 <= right + style.size * 0.3),
            "{s:?} {right}"
        );
    }

    #[test]
    fn an_epigraph_is_narrow_at_the_right_with_its_attribution_flush_right() {
        let b = book(vec![
            Block::Div {
                attr: crate::model::Attr {
                    classes: vec!["epigraph".into()],
                    ..Default::default()
                },
                blocks: vec![
                    para("The lamp is lit at dusk, and the moths come in to a light that does not burn them, that only hums."),
                    para("— Anonymous"),
                ],
                span: Span::default(),
            },
            para("Text after."),
        ]);
        let (style, s) = set(&b);
        let right = style.margin_left + style.measure();
        let n = s.len();
        let quote = &s[..n - 2];
        assert!(quote.len() >= 2);
        // Narrower, at the right of the measure, ragged.
        assert!(quote
            .iter()
            .all(|x| x.1 >= style.margin_left + style.measure() * 0.39));
        // Not justified: a line that is not the last ends short of the right edge.
        let (_, full) = quote.split_last().unwrap();
        assert!(full.iter().any(|x| x.2 < right - 1.0), "{quote:?} {right}");
        // The attribution ends at the right margin.
        let attribution = &s[n - 2];
        assert_eq!(attribution.4, "— Anonymous");
        assert!(
            (attribution.2 - right).abs() < 1.0,
            "{attribution:?} {right}"
        );
        // The text after it is back at the left margin.
        assert!((s[n - 1].1 - style.margin_left).abs() < 0.01);
    }

    #[test]
    fn a_definition_list_sets_terms_bold_and_definitions_indented() {
        let b = book(vec![Block::DefinitionList {
            items: vec![crate::model::DefinitionItem {
                term: vec![Inline::Text("Apple".into())],
                definitions: vec![vec![para("A red fruit.")], vec![para("A company.")]],
            }],
            span: Span::default(),
        }]);
        let (style, s) = set(&b);
        assert_eq!(s[0].4, "Apple");
        assert!(s[0].3.iter().all(|f| *f == FaceId::Bold));
        assert!((s[0].1 - style.margin_left).abs() < 0.01);
        for d in &s[1..3] {
            assert!(d.3.iter().all(|f| *f == FaceId::Regular));
            assert!(
                (d.1 - style.margin_left - style.size * 1.6).abs() < 0.01,
                "{d:?}"
            );
        }
    }

    #[test]
    fn a_flush_last_line_beats_a_loose_first_line() {
        // Set two lines with the last line kept short, the first line's gaps pass 0.5 em
        // ("he / shouted."); on one line, its spaces shrunk, it ends flush instead.
        let b = book(vec![
            para("Text before."),
            para("“Bolkonski! Bolkonski!… Don’t you hear? Eh? Come quick…” he shouted."),
        ]);
        let s = strips(&b);
        let last = &s[s.len() - 1].1;
        assert!(
            last.starts_with("“Bolkonski!") && last.ends_with("shouted."),
            "{s:?}"
        );
        // Where the short end costs nothing, it stays: a paragraph's last line ends
        // before the margin.
        let fonts = FontSet::embedded();
        let (doc, _) = crate::typeset::typeset(
            &book(vec![para(
                &"The quick brown fox jumps over the lazy dog. ".repeat(40),
            )]),
            &fonts,
        );
        let style = Style::from_meta(&Metadata::default());
        let right = style.margin_left + style.measure();
        let runs = &doc.pages.last().unwrap().runs;
        let last_y = runs.iter().map(|r| r.y).fold(f32::MIN, f32::max);
        let end = runs
            .iter()
            .filter(|r| r.y == last_y)
            .map(|r| r.x + r.glyphs.iter().map(|g| g.advance).sum::<f32>())
            .fold(f32::MIN, f32::max);
        assert!(end < right - style.size / 4.0 + 0.01, "{end} {right}");
    }
}
