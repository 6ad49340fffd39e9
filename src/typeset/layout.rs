//! Blocks → strips: the title block, chapter and section headings, paragraphs (broken by
//! Knuth–Plass), quotes, lists, code, rules, tables, images and the Notes section.
//! Everything vertical is decided here except page breaks (paginate.rs).

use crate::diag::Diagnostic;
use crate::memo::{ContentCache, Key, KeyHasher};
use crate::model::{Block, Book, ChapterBreak, Inline, NoteNumbering, NotePlacement};
use crate::source::Span;
use crate::typeset::document::{FaceId, GlyphRun, PlacedImage, Rect};
use crate::typeset::hyphenate::Hyphenator;
use crate::typeset::items::{build, AnchorKey, Flat, LinkRef, RunStyle};
use crate::typeset::linebreak::{break_paragraph, Breaker, Pass, Passes};
use crate::typeset::lines::{set_lines, set_lines_tracked, Align};
use crate::typeset::paginate::Strip;
use crate::typeset::shape::{Shaper, MPT};
use crate::typeset::style::{leading_for, Style};

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

/// The outcome of laying out one paragraph: its strips before the layout's pending space
/// is applied, and whether the breaker had to use its last pass (the warning is issued
/// with the paragraph's current span, which is not part of the key).
#[derive(Debug)]
pub struct BrokenParagraph {
    /// Line strips, positioned in the frame.
    pub strips: Vec<Strip>,
    /// Whether a line could not be set within the measure.
    pub overfull: bool,
}

/// Where blocks go: the column's left edge and width, the type size and leading.
#[derive(Clone, Copy, Debug)]
struct Frame {
    left: f32,
    width: f32,
    size: f32,
    leading: f32,
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
}

/// What a part of the book laid out on another thread hands back.
struct Part {
    strips: Vec<Strip>,
    outline: Vec<(String, u8, AnchorKey)>,
    diagnostics: Vec<Diagnostic>,
    pending_space: f32,
    indent_next: bool,
    open_carry: bool,
    carry_strip: Option<usize>,
}

/// Where to split the chapters between two threads: the titled chapter (a part must
/// start with a level-1 outline entry, so its headings' levels do not depend on the part
/// before) nearest to half the book's work. `None` leaves the book on one thread.
///
/// Work is measured in source bytes (plus a little per block): the time goes into
/// shaping, hyphenating and breaking paragraphs, which grows with their text. Counting
/// blocks instead gave the sample's second half a third more text than its first.
fn split_point(book: &Book) -> Option<usize> {
    let weight = |c: &crate::model::Chapter| {
        c.blocks
            .iter()
            .map(|b| {
                let span = b.span();
                span.end.saturating_sub(span.start) + 64
            })
            .sum::<usize>()
            + 64
    };
    let blocks: usize = book.chapters.iter().map(|c| c.blocks.len() + 1).sum();
    let total: usize = book.chapters.iter().map(weight).sum();
    let mut before = 0usize;
    let mut best: Option<(usize, usize)> = None;
    for (i, c) in book.chapters.iter().enumerate() {
        if i > 0 && c.title.is_some() {
            let off = before.abs_diff(total - before);
            if best.is_none_or(|(_, b)| off < b) {
                best = Some((i, off));
            }
        }
        before += weight(c);
    }
    // Small books are not worth a thread.
    best.filter(|_| blocks >= 64).map(|(i, _)| i)
}

/// Plain text of inlines (for bookmarks and running heads).
pub use crate::model::plain_text;

fn mpt(pt: f32) -> i64 {
    (pt * MPT as f32).round() as i64
}

impl<'b, 'f> Layout<'b, 'f> {
    /// A layout for `book` in `style`.
    pub fn new(book: &'b Book, style: &'b Style, shaper: Shaper<'f>) -> Self {
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
        }
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
        }
    }

    fn push(&mut self, mut strip: Strip) {
        strip.space_before = strip.space_before.max(self.pending_space);
        self.pending_space = 0.0;
        if self.open_carry {
            self.open_carry = false;
            self.carry_strip = Some(self.strips.len());
        }
        self.strips.push(strip);
    }

    /// Lays out the whole book. Paragraphs (shaping, hyphenation, line breaking: most of
    /// the typesetter's time) are independent, so on a long book the chapters' second
    /// half is laid out on another thread and its strips appended to the first half's;
    /// the carried space and the heading levels make the result the same as on one
    /// thread, strip for strip.
    pub fn book(&mut self) {
        self.title_block();
        let book = self.book;
        let split = split_point(book).filter(|_| crate::cores() > 1);
        let Some(mid) = split else {
            self.chapters(0..book.chapters.len());
            self.notes();
            return;
        };
        let (style, fonts, paragraphs) = (self.style, self.shaper.fonts(), self.paragraphs);
        let words = self.shaper.shared();
        let part = std::thread::scope(|scope| {
            let handle = scope.spawn(move || {
                let mut layout = Layout::new(book, style, Shaper::with_shared(fonts, words));
                // The paragraph cache (watch mode) is shared: it is keyed by content.
                layout.paragraphs = paragraphs;
                layout.in_part = true;
                layout.open_carry = true;
                layout.chapters(mid..book.chapters.len());
                Part {
                    strips: layout.strips,
                    outline: layout.outline,
                    diagnostics: layout.diagnostics,
                    pending_space: layout.pending_space,
                    indent_next: layout.indent_next,
                    open_carry: layout.open_carry,
                    carry_strip: layout.carry_strip,
                }
            });
            self.chapters(0..mid);
            match handle.join() {
                Ok(part) => part,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        });
        self.join(part);
        self.notes();
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
        self.strips.append(&mut part.strips);
        self.outline.append(&mut part.outline);
        self.diagnostics.append(&mut part.diagnostics);
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
            match &chapter.title {
                Some(title) => {
                    let text = plain_text(title);
                    self.outline
                        .push((text.clone(), 1, AnchorKey::Id(chapter.id.clone())));
                    let mut flat = Flat::default();
                    flat.anchor(AnchorKey::Id(chapter.id.clone()));
                    let size = self.style.size * self.style.headings.chapter_size;
                    flat.push_inlines(title, Self::run_style(FaceId::Bold, size), &book.notes);
                    let first = self.strips.len();
                    self.heading(
                        flat,
                        size,
                        self.style.leading * self.style.headings.chapter_space,
                        Some(chapter.span),
                        AnchorKey::Id(chapter.id.clone()),
                    );
                    if let Some(s) = self.strips.get_mut(first) {
                        s.mark = Some(text);
                        // In a part, strips come before (the title's): a break before
                        // the book's very first strip would do nothing anyway.
                        s.new_page = self.style.chapter_break == ChapterBreak::NewPage
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
        for block in blocks {
            self.block(block, frame);
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
                self.paragraph(flat, frame, Align::Justify, indent, 0.0, Some(*span));
                self.indent_next = true;
            }
            Block::Heading {
                level,
                content,
                id,
                span,
            } => {
                let level = (*level).clamp(2, 6);
                let prev = self.outline.last().map_or(1, |o| o.1);
                self.outline.push((
                    plain_text(content),
                    level.min(prev + 1),
                    AnchorKey::Id(id.clone()),
                ));
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
                };
                self.pending_space = self.pending_space.max(gap);
                self.indent_next = false;
                self.blocks(blocks, inner);
                self.set_pending(gap);
                self.indent_next = false;
            }
            Block::List { start, items, .. } => {
                let indent = self.style.size * design.list_indent;
                let inner = Frame {
                    left: frame.left + indent,
                    width: frame.width - indent,
                    ..frame
                };
                self.pending_space = self.pending_space.max(gap);
                for (k, item) in items.iter().enumerate() {
                    let marker = match start {
                        Some(n) => format!("{}.", n + k as u64),
                        None => "•".to_string(),
                    };
                    let first = self.strips.len();
                    self.indent_next = false;
                    self.blocks(item, inner);
                    let word = self.shaper.shape(&marker, FaceId::Regular, mpt(frame.size));
                    let w = word.width(0..word.glyphs.len()) as f32 / MPT as f32;
                    if let Some(s) = self.strips.get_mut(first) {
                        let x = inner.left - w - frame.size * design.marker_gap;
                        s.runs.push(simple_run(
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
                    strip.runs.push(simple_run(
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
                strip.runs.push(simple_run(
                    &word,
                    FaceId::Regular,
                    frame.size,
                    frame.left + (frame.width - w) / 2.0,
                    baseline,
                ));
                self.push(strip);
                self.indent_next = false;
            }
            Block::Table {
                head,
                rows,
                caption,
                span,
                ..
            } => {
                self.table_caption(caption, *span, frame);
                self.table(head, rows, frame);
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
        }
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
                let floats = [frame.left, frame.width, frame.size, frame.leading, indent];
                h.add(&(floats.map(f32::to_bits), space_before.to_bits(), align));
                let key = h.key();
                let made = cache.get_or_make(key, || {
                    self.break_paragraph(flat, frame, align, indent, space_before)
                });
                BrokenParagraph {
                    strips: made.strips.clone(),
                    overfull: made.overfull,
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
        let mut strips = broken.strips;
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
        BrokenParagraph { strips, overfull }
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
    fn table(&mut self, head: &[Vec<Inline>], rows: &[Vec<Vec<Inline>>], frame: Frame) {
        let book = self.book;
        let cols = head.len().max(rows.iter().map(Vec::len).max().unwrap_or(0));
        if cols == 0 {
            return;
        }
        let design = self.style.table;
        let size = frame.size;
        let leading = self.style.table_leading(size);
        let pad = size * design.padding;
        let line_baseline = self.baseline(size, leading);
        // Column widths from content: each column's widest cell, scaled down to the
        // measure if needed, never below an even share's half.
        let mut natural = vec![size * design.min_column; cols];
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
                let word = self.shaper.shape(&plain_text(cell), face, mpt(size));
                natural[c] = natural[c]
                    .max(word.width(0..word.glyphs.len()) as f32 / MPT as f32 + 2.0 * pad);
            }
        }
        let total: f32 = natural.iter().sum();
        let widths: Vec<f32> = if total <= frame.width {
            natural.iter().map(|w| w * frame.width / total).collect()
        } else {
            let floor = frame.width / cols as f32 / 2.0;
            let raw: Vec<f32> = natural
                .iter()
                .map(|w| (w * frame.width / total).max(floor))
                .collect();
            let sum: f32 = raw.iter().sum();
            raw.iter().map(|w| w * frame.width / sum).collect()
        };
        let rule = design.rule;
        let mut first = true;
        let all: Vec<(&[Vec<Inline>], bool)> = std::iter::once((head, true))
            .chain(rows.iter().map(|r| (r.as_slice(), false)))
            .filter(|(r, _)| !r.is_empty())
            .collect();
        let nrows = all.len();
        let first_strip = self.strips.len();
        for (ri, (row, is_head)) in all.into_iter().enumerate() {
            let mut strip = Strip {
                need: 1,
                ..Default::default()
            };
            let mut x = frame.left;
            let mut lines_max = 1usize;
            for (c, cell) in row.iter().enumerate() {
                let w = widths.get(c).copied().unwrap_or(0.0);
                let mut flat = Flat::default();
                let face = if is_head {
                    FaceId::Bold
                } else {
                    FaceId::Regular
                };
                flat.push_inlines(cell, Self::run_style(face, size), &book.notes);
                let par = build(flat, &mut self.shaper, None, 0);
                let measure = mpt((w - 2.0 * pad).max(size));
                let breaking = break_paragraph(
                    &mut self.breaker,
                    &par.items,
                    measure,
                    &Passes::ragged(mpt(size)),
                );
                let lines = set_lines(&par, &breaking.breaks, measure, Align::Left, &self.shaper);
                lines_max = lines_max.max(lines.len());
                for (k, line) in lines.into_iter().enumerate() {
                    let base = pad + leading * k as f32 + line_baseline;
                    for run in line.runs {
                        strip.runs.push(GlyphRun {
                            x: run.x + x + pad,
                            y: run.y + base,
                            ..run
                        });
                    }
                    for (r, l) in line.links {
                        if let Some(t) = par.flat.links.get(l as usize) {
                            let r = Rect {
                                x: r.x + x + pad,
                                y: r.y + base,
                                ..r
                            };
                            let top = pad + leading * k as f32;
                            strip.links.push((within_line(r, top, leading), t.clone()));
                        }
                    }
                    // Destinations in cells (note references): a note's backlink lands
                    // here, and a footnote goes on this row's page.
                    for (a, ax, ay) in line.anchors {
                        if let Some(key) = par.flat.anchors.get(a as usize) {
                            strip.anchors.push((key.clone(), ax + x + pad, ay + base));
                        }
                    }
                }
                x += w;
            }
            strip.height = leading * lines_max as f32 + 2.0 * pad;
            strip.baseline = pad + line_baseline;
            if first {
                strip.space_before = frame.leading * self.style.blocks.gap;
                strip.rules.push(Rect {
                    x: frame.left,
                    y: 0.0,
                    width: frame.width,
                    height: rule * 2.0,
                });
                first = false;
            }
            if is_head {
                strip.keep_with_next = true;
                strip.rules.push(Rect {
                    x: frame.left,
                    y: strip.height - rule / 2.0,
                    width: frame.width,
                    height: rule,
                });
            }
            if ri + 1 == nrows {
                strip.rules.push(Rect {
                    x: frame.left,
                    y: strip.height - rule,
                    width: frame.width,
                    height: rule * 2.0,
                });
            }
            self.push(strip);
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
        };
        // The body's strips and state are set aside: each note starts as a block of its
        // own, with no space owed and no indent.
        let text = std::mem::take(&mut self.strips);
        let state = (self.pending_space, self.indent_next, self.one_liner);
        for (note, (word, width)) in book.notes.iter().zip(numbers) {
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
                first.runs.insert(
                    0,
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
            s.new_page = self.style.chapter_break == ChapterBreak::NewPage;
        }
        // Endnotes at text size: they are read as a section of their own at the end, not
        // glanced at in a page foot like footnotes, and a smaller size under a full-size
        // "Notes" heading reads (and measures, in typeset-metrics, which counts body lines
        // by size) as a heading with nothing of its own size after it.
        let nsize = self.style.size;
        let note_space = self.style.notes.space;
        let frame = self.body();
        let mut group: Option<usize> = None;
        for note in &book.notes {
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
            let mut first_par = true;
            for block in &note.blocks {
                match (first_par, block) {
                    (true, Block::Paragraph { content, span }) => {
                        let mut flat = std::mem::take(&mut prefix);
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

/// A run of a shaped word at `x`, baseline `y`.
pub fn simple_run(
    word: &crate::typeset::shape::ShapedWord,
    face: FaceId,
    size: f32,
    x: f32,
    y: f32,
) -> GlyphRun {
    let glyphs = word
        .glyphs
        .iter()
        .enumerate()
        .map(|(i, g)| crate::typeset::document::Glyph {
            id: g.id,
            advance: g.advance as f32 / MPT as f32,
            text: word.glyph_text(i).into(),
        })
        .collect();
    GlyphRun {
        face,
        size,
        x,
        y,
        glyphs,
    }
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
                blocks,
                span: Span::default(),
            }],
            notes: vec![],
            assets: vec![],
        }
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

    #[test]
    fn a_table_keeps_its_caption_and_stays_whole() {
        let cell = |t: &str| vec![Inline::Text(t.into())];
        let rows: Vec<Vec<Vec<Inline>>> = (0..5).map(|i| vec![cell(&format!("r{i}"))]).collect();
        let b = book(vec![
            para("Text before."),
            Block::Table {
                align: vec![crate::model::Align::None],
                head: vec![cell("Head")],
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
