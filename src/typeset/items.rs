//! Inlines → Knuth–Plass items: flatten styled text, find break opportunities (UAX #14,
//! tailored), shape words, add hyphenation points, interword glue and the paragraph end.
//!
//! The items carry only metrics ([`Item`]); a parallel [`Content`] list says what each
//! stands for, so the line breaker stays generic and testable with unit widths.

use crate::model::{HtmlNode, Inline, LinkTarget, Note};
use crate::typeset::document::FaceId;
use crate::typeset::hyphenate::Hyphenator;
use crate::typeset::linebreak::{Item, INFINITE_PENALTY, LAST_RESORT_PENALTY};
use crate::typeset::shape::{Lang, Props, ShapedWord, Shaper};
use std::ops::Range;
use std::rc::Rc;

/// A place a link or bookmark can point at; resolved to a page position after
/// pagination.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AnchorKey {
    /// A chapter or heading, by its id.
    Id(String),
    /// The `k`-th reference to a note.
    NoteRef(u32, u32),
    /// A note in the Notes section.
    Note(u32),
    /// The Notes section's heading.
    Notes,
    /// The notes of one chapter (when numbering restarts per chapter).
    NotesGroup(usize),
    /// The `k`-th entry of the table of contents (pandoc's `toc: true`): where its page
    /// number goes.
    TocEntry(u32),
}

/// Where a link in the text goes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LinkRef {
    /// A URL.
    External(String),
    /// A place in the document.
    Anchor(AnchorKey),
}

/// How a run of text looks and what it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RunStyle {
    /// The face.
    pub face: FaceId,
    /// Size in milli-points.
    pub size: i64,
    /// Baseline shift up, in milli-points (superscripts).
    pub rise: i64,
    /// Index into [`Flat::links`].
    pub link: Option<u32>,
    /// Index into [`Flat::anchors`]: this run's position is a destination.
    pub anchor: Option<u32>,
    /// Whether its words may be hyphenated (not code, not superscripts).
    pub hyphenate: bool,
    /// A note reference marker: never starts a line; a space before it is dropped.
    pub sticky: bool,
    /// pandoc's span classes (issue 12): `smallcaps`, `underline`/`ul`, `mark`.
    pub look: Look,
}

/// How a bracketed span's known classes change the look of its text (pandoc's MANUAL,
/// "Extension: bracketed_spans", and its "Small caps", "Underline", "Highlighting").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Look {
    /// Small capitals: the face's `smcp` feature (OpenType Layout tag registry, "smcp":
    /// "turns lowercase characters into small capitals"), as CSS `font-variant:
    /// small-caps` does in the EPUB; capitals synthesized from capitals at a smaller
    /// size when the face has no `smcp` (see [`synthesize_small_caps`]).
    pub small_caps: bool,
    /// A rule under the text.
    pub underline: bool,
    /// A light background behind the text (a highlighter's mark).
    pub mark: bool,
}

/// A paragraph's text with its styles.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Flat {
    /// All the text.
    pub text: String,
    /// Byte ranges of `text` and their style (index into `styles`), in order, covering it.
    pub runs: Vec<(Range<usize>, u32)>,
    /// Distinct styles.
    pub styles: Vec<RunStyle>,
    /// Link targets.
    pub links: Vec<LinkRef>,
    /// Anchors (destinations) in the text.
    pub anchors: Vec<AnchorKey>,
    /// Stretches the manuscript marks with a language or a direction, innermost first
    /// (see [`Flat::push_marked`]).
    pub marks: Vec<Mark>,
    /// The paragraph's base direction is right to left (a `dir: rtl` book, or a block
    /// marked `dir=rtl`): its lines read from the right, and start there.
    pub rtl: bool,
}

/// A stretch of a paragraph the manuscript marks with a language (`lang`) or a
/// direction (`dir`): raw HTML's attributes today, pandoc's `[…]{lang=ar}` spans and
/// `::: {lang=he dir=rtl}` divs through [`Flat::push_marked`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Mark {
    /// Byte range of [`Flat::text`].
    pub range: Range<usize>,
    /// The language: the shaping language (OpenType `locl` forms), the hyphenation
    /// patterns and the Han forms of fallback faces.
    pub lang: Option<Lang>,
    /// The direction: `Some(true)` right to left, `Some(false)` left to right, and an
    /// isolate either way (HTML sets `unicode-bidi: isolate` on any element with `dir`;
    /// UAX #9 RLI/LRI … PDI). `None` with `auto`: an isolate whose direction is its
    /// first strong character's (FSI).
    pub dir: Option<Option<bool>>,
}

/// Hard line break, carried in the flat text as U+2028 LINE SEPARATOR (UAX #14 class BK).
const HARD_BREAK: char = '\u{2028}';

/// The right-to-left ranges of Unicode (Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan,
/// Mandaic, their presentation forms, and the right-to-left blocks of the
/// supplementary planes), and the explicit right-to-left controls (RLM, RLE, RLO, RLI,
/// ALM): a paragraph without any is left to right at level 0 throughout, and skips the
/// bidirectional algorithm.
fn is_rtl_char(c: char) -> bool {
    matches!(c as u32,
        0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFE | 0x10800..=0x10FFF
        | 0x1E800..=0x1EFFF | 0x200F | 0x202B | 0x202E | 0x2067)
}

impl Flat {
    /// Appends what `push` appends, marked with `lang` and `dir` (HTML's values: `ltr`,
    /// `rtl`, `auto`; others are ignored). The one place marks are made: raw HTML's
    /// `lang`/`dir` today, and pandoc's bracketed spans once the model has them.
    pub fn push_marked(
        &mut self,
        lang: Option<&str>,
        dir: Option<&str>,
        push: impl FnOnce(&mut Flat),
    ) {
        let lang = lang.and_then(Lang::new);
        let dir = match dir {
            Some("rtl") => Some(Some(true)),
            Some("ltr") => Some(Some(false)),
            Some("auto") => Some(None),
            _ => None,
        };
        let start = self.text.len();
        push(self);
        if lang.is_some() || dir.is_some() {
            self.marks.push(Mark {
                range: start..self.text.len(),
                lang,
                dir,
            });
        }
    }

    /// Whether the paragraph reads right to left: its base direction ([`Flat::rtl`]), or
    /// a right-to-left mark over all of its text (a raw HTML `<p dir="rtl">`).
    pub fn base_rtl(&self) -> bool {
        self.rtl
            || self
                .marks
                .iter()
                .any(|m| m.dir == Some(Some(true)) && m.range == (0..self.text.len()))
    }

    /// The language marked at byte `at` (the innermost mark with one).
    pub fn lang_at(&self, at: usize) -> Option<Lang> {
        self.marks
            .iter()
            .find(|m| m.lang.is_some() && m.range.contains(&at))
            .and_then(|m| m.lang)
    }

    /// The embedding level of every byte of the text (UAX #9), or `None` when the
    /// paragraph is left to right at level 0 throughout (no right-to-left character, no
    /// direction mark, a left-to-right base): the common case costs one pass over the
    /// text.
    ///
    /// The base level is the paragraph's direction (the book's or its block's), not its
    /// first strong character's (UAX #9 HL1: a higher-level protocol may set it; rule
    /// P2 would make `(שלום) world` a right-to-left paragraph in an English book). Marked
    /// stretches are isolates (X5a–X5c, X6a): an RLI, LRI or FSI before them and a PDI
    /// after, so a Hebrew quotation does not pull the punctuation around it into its
    /// direction. Numbers, neutrals and bracket pairs are resolved by the crate (W1–W7,
    /// N0–N2, I1–I2).
    pub fn bidi_levels(&self) -> Option<Vec<u8>> {
        let base_rtl = self.base_rtl();
        let marked = self.marks.iter().any(|m| m.dir.is_some());
        if !base_rtl
            && !marked
            && !crate::typeset::breaks::chars_from_0580(&self.text).any(is_rtl_char)
        {
            return None;
        }
        // Isolates around the marked stretches (not one that is the whole paragraph:
        // that one is its base direction).
        let mut inserts: Vec<(usize, u8, usize, char)> = Vec::new();
        for m in &self.marks {
            let Some(dir) = m.dir else { continue };
            if m.range.is_empty() || (base_rtl && m.range == (0..self.text.len())) {
                continue;
            }
            let open = match dir {
                Some(true) => '\u{2067}',
                Some(false) => '\u{2066}',
                None => '\u{2068}',
            };
            // At one offset: closings (inner first) before openings (outer first).
            inserts.push((m.range.start, 1, usize::MAX - m.range.len(), open));
            inserts.push((m.range.end, 0, m.range.len(), '\u{2069}'));
        }
        inserts.sort_unstable();
        let mut text = String::with_capacity(self.text.len() + inserts.len() * 3);
        let mut at = vec![0usize; self.text.len()];
        let mut next = inserts.iter().peekable();
        for (i, c) in self.text.char_indices() {
            while let Some(&&(p, _, _, control)) = next.peek() {
                if p > i {
                    break;
                }
                text.push(control);
                next.next();
            }
            for (k, slot) in at.iter_mut().skip(i).take(c.len_utf8()).enumerate() {
                *slot = text.len() + k;
            }
            text.push(c);
        }
        for &(_, _, _, control) in next {
            text.push(control);
        }
        let base = if base_rtl {
            unicode_bidi::Level::rtl()
        } else {
            unicode_bidi::Level::ltr()
        };
        let info = unicode_bidi::ParagraphBidiInfo::new(&text, Some(base));
        Some(
            at.iter()
                .map(|&b| info.levels.get(b).map_or(base.number(), |l| l.number()))
                .collect(),
        )
    }

    /// Appends `text` in `style`.
    pub fn push(&mut self, text: &str, style: RunStyle) {
        if text.is_empty() {
            return;
        }
        let idx = match self.styles.iter().position(|s| *s == style) {
            Some(i) => i as u32,
            None => {
                self.styles.push(style);
                (self.styles.len() - 1) as u32
            }
        };
        let start = self.text.len();
        self.text.push_str(text);
        match self.runs.last_mut() {
            Some((r, s)) if *s == idx && r.end == start => r.end = self.text.len(),
            _ => self.runs.push((start..self.text.len(), idx)),
        }
    }

    /// Appends `sep` (a space or [`HARD_BREAK`]) between what is there and what comes
    /// next, unless there is nothing before it or a break of that kind already ends the
    /// text (white space left before a line break is harmless: it is dropped at the
    /// break).
    fn separate(&mut self, sep: char, style: RunStyle) {
        let before = self
            .text
            .trim_end_matches(|c: char| c.is_whitespace() && c != HARD_BREAK);
        let done = before.is_empty()
            || before.ends_with(HARD_BREAK)
            || (sep != HARD_BREAK && before.len() < self.text.len());
        if !done {
            self.push(sep.encode_utf8(&mut [0; 4]), style);
        }
    }

    /// Registers a link target.
    pub fn link(&mut self, target: LinkRef) -> u32 {
        self.links.push(target);
        (self.links.len() - 1) as u32
    }

    /// Registers an anchor.
    pub fn anchor(&mut self, key: AnchorKey) -> u32 {
        self.anchors.push(key);
        (self.anchors.len() - 1) as u32
    }

    /// Appends inlines in `style`; notes give reference markers their numbers.
    pub fn push_inlines(&mut self, inlines: &[Inline], style: RunStyle, notes: &[Note]) {
        for inline in inlines {
            match inline {
                Inline::Text(t) => self.push(t, style),
                Inline::Emphasis(c) => self.push_inlines(
                    c,
                    RunStyle {
                        face: italic(style.face),
                        ..style
                    },
                    notes,
                ),
                Inline::Strong(c) => self.push_inlines(
                    c,
                    RunStyle {
                        face: bold(style.face),
                        ..style
                    },
                    notes,
                ),
                Inline::Strikethrough(c) => self.push_inlines(c, style, notes),
                Inline::Superscript(c) => self.push_inlines(c, superscript(style), notes),
                Inline::Subscript(c) => {
                    let s = RunStyle {
                        size: style.size * 7 / 10,
                        rise: style.rise - style.size / 8,
                        hyphenate: false,
                        ..style
                    };
                    self.push_inlines(c, s, notes)
                }
                Inline::Code(t) => self.push(
                    t,
                    RunStyle {
                        hyphenate: false,
                        ..style
                    },
                ),
                Inline::Link { target, content } => {
                    let target = match target {
                        LinkTarget::External(url) => LinkRef::External(url.clone()),
                        LinkTarget::Internal(id) => LinkRef::Anchor(AnchorKey::Id(id.clone())),
                    };
                    let link = self.link(target);
                    self.push_inlines(
                        content,
                        RunStyle {
                            link: Some(link),
                            ..style
                        },
                        notes,
                    )
                }
                Inline::Image { alt, .. } => self.push(
                    alt,
                    RunStyle {
                        face: italic(style.face),
                        ..style
                    },
                ),
                Inline::NoteRef { note, occurrence } => {
                    let number = notes.get(note.index()).map_or(note.0 + 1, |n| n.number);
                    let link = self.link(LinkRef::Anchor(AnchorKey::Note(note.0)));
                    let anchor = self.anchor(AnchorKey::NoteRef(note.0, *occurrence));
                    let s = RunStyle {
                        link: Some(link),
                        anchor: Some(anchor),
                        sticky: true,
                        look: Look::default(),
                        ..superscript(style)
                    };
                    self.push(&number.to_string(), s);
                }
                Inline::LineBreak => self.push(HARD_BREAK.encode_utf8(&mut [0; 4]), style),
                Inline::SoftBreak => self.push(" ", style),
                Inline::Html(nodes) => self.push_html(nodes, style, notes),
                Inline::Span { attr, content } => {
                    // The span's id is a link target: its first run is an anchor.
                    let anchor = match &attr.id {
                        Some(id) => Some(self.anchor(AnchorKey::Id(id.clone()))),
                        None => style.anchor,
                    };
                    let look = Look {
                        small_caps: style.look.small_caps || attr.has_class("smallcaps"),
                        underline: style.look.underline
                            || attr.has_class("underline")
                            || attr.has_class("ul"),
                        mark: style.look.mark || attr.has_class("mark"),
                    };
                    self.push_inlines(
                        content,
                        RunStyle {
                            look,
                            anchor,
                            ..style
                        },
                        notes,
                    )
                }
                // Issue 16: `crate::cite` replaces citations before the typesetter runs.
                Inline::Cite(c) => self.push_inlines(&c.fallback, style, notes),
                // Display math is set on a line of its own by the layout; here (in a
                // heading, a cell) it runs in the text.
                Inline::Math { content, .. } => self.push_inlines(
                    content,
                    RunStyle {
                        hyphenate: false,
                        ..style
                    },
                    notes,
                ),
            }
        }
    }

    /// Appends sanitised HTML as text, honouring the common phrasing elements.
    pub fn push_html(&mut self, nodes: &[HtmlNode], style: RunStyle, notes: &[Note]) {
        // `notes` is threaded through for symmetry with push_inlines (HTML holds no note
        // references today).
        let _ = notes.len();
        // The break the last block element owes what comes after it (see
        // `html_block_break`), paid before the next text or element; white space
        // between blocks neither owes nor pays one.
        let mut owed: Option<char> = None;
        for node in nodes {
            let own = match node {
                HtmlNode::Element { name, .. } => html_block_break(name),
                HtmlNode::Text(_) => None,
            };
            if !matches!(node, HtmlNode::Text(t) if t.trim().is_empty()) {
                // A line break wins over a cell's space.
                let due = match (owed, own) {
                    (Some(HARD_BREAK), _) | (_, Some(HARD_BREAK)) => Some(HARD_BREAK),
                    (a, b) => a.or(b),
                };
                if let Some(sep) = due {
                    self.separate(sep, style);
                }
                owed = own;
            }
            match node {
                HtmlNode::Text(t) => self.push(t, style),
                HtmlNode::Element {
                    name,
                    attrs,
                    children,
                } if attrs.iter().any(|(k, _)| k == "lang" || k == "dir") => {
                    let get = |key: &str| {
                        attrs
                            .iter()
                            .find(|(k, _)| k == key)
                            .map(|(_, v)| v.as_str())
                    };
                    let plain = HtmlNode::Element {
                        name: name.clone(),
                        attrs: attrs
                            .iter()
                            .filter(|(k, _)| k != "lang" && k != "dir")
                            .cloned()
                            .collect(),
                        children: children.clone(),
                    };
                    self.push_marked(get("lang"), get("dir"), |flat| {
                        flat.push_html(std::slice::from_ref(&plain), style, notes)
                    });
                }
                HtmlNode::Element {
                    name,
                    attrs,
                    children,
                } => match name.as_str() {
                    "em" | "i" | "cite" | "var" => self.push_html(
                        children,
                        RunStyle {
                            face: italic(style.face),
                            ..style
                        },
                        notes,
                    ),
                    "strong" | "b" => self.push_html(
                        children,
                        RunStyle {
                            face: bold(style.face),
                            ..style
                        },
                        notes,
                    ),
                    "sup" => self.push_html(children, superscript(style), notes),
                    "br" => self.push(HARD_BREAK.encode_utf8(&mut [0; 4]), style),
                    "a" => match attrs.iter().find(|(k, _)| k == "href") {
                        Some((_, href)) if href.contains(':') => {
                            let link = self.link(LinkRef::External(href.clone()));
                            self.push_html(
                                children,
                                RunStyle {
                                    link: Some(link),
                                    ..style
                                },
                                notes,
                            )
                        }
                        _ => self.push_html(children, style, notes),
                    },
                    _ => self.push_html(children, style, notes),
                },
            }
        }
    }
}

/// What sets a raw HTML block element apart from the text around it, now that a raw
/// HTML block is set as one paragraph: a line break for a paragraph, row, list item,
/// heading and the other blocks, a space between a row's cells (`<td>a</td><td>b</td>`
/// reads "a b", not "ab"); `None` for phrasing elements, which run on.
fn html_block_break(name: &str) -> Option<char> {
    match name {
        "td" | "th" => Some(' '),
        "p" | "div" | "blockquote" | "pre" | "hr" | "ul" | "ol" | "li" | "dl" | "dt" | "dd"
        | "table" | "caption" | "thead" | "tbody" | "tfoot" | "tr" | "figure" | "figcaption"
        | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => Some(HARD_BREAK),
        _ => None,
    }
}

fn italic(face: FaceId) -> FaceId {
    match face {
        FaceId::Regular => FaceId::Italic,
        FaceId::Italic => FaceId::Regular,
        FaceId::Bold => FaceId::BoldItalic,
        FaceId::BoldItalic => FaceId::Bold,
        // Runs are styled with book faces only (fallback faces are per glyph).
        other => other,
    }
}

fn bold(face: FaceId) -> FaceId {
    match face {
        FaceId::Regular | FaceId::Bold => FaceId::Bold,
        FaceId::Italic | FaceId::BoldItalic => FaceId::BoldItalic,
        other => other,
    }
}

/// Superior figures: 65 % size, raised a third of the size (close to Gentium's own
/// superscript metrics).
fn superscript(style: RunStyle) -> RunStyle {
    RunStyle {
        size: style.size * 13 / 20,
        rise: style.rise + style.size * 7 / 20,
        hyphenate: false,
        ..style
    }
}

/// What an item stands for.
#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    /// Nothing drawn (an indent, glue at a paragraph end, a penalty).
    Empty,
    /// Glyphs `glyphs` of a shaped word, in style `style`.
    Piece {
        /// The shaped word.
        word: Rc<ShapedWord>,
        /// Which of its glyphs.
        glyphs: Range<usize>,
        /// Index into the paragraph's styles.
        style: u32,
    },
    /// An interword space: drawn as the face's space glyph, so text extraction and
    /// copying see a real space.
    Space {
        /// The face.
        face: FaceId,
        /// The space glyph.
        glyph: u16,
    },
    /// A hyphenation point: draws this hyphen when taken.
    Hyphen {
        /// The shaped hyphen.
        hyphen: Rc<ShapedWord>,
        /// Index into the paragraph's styles.
        style: u32,
    },
}

/// A paragraph ready for line breaking.
#[derive(Clone, Debug, Default)]
pub struct Paragraph {
    /// Metrics for the line breaker.
    pub items: Vec<Item>,
    /// What each item stands for (same length as `items`).
    pub content: Vec<Content>,
    /// The text, styles, links and anchors it was built from.
    pub flat: Flat,
    /// Each item's embedding level (UAX #9), for reordering each line (rule L2); empty
    /// when the whole paragraph is left to right at level 0.
    pub levels: Vec<u8>,
    /// Characters no face has, with their byte offset in the text (drawn as the face's
    /// .notdef box; the layout warns about each, at its place in the source).
    pub missing: Vec<(usize, char)>,
    /// Per item, the byte of `flat.text` it starts at: where a line beginning with it
    /// begins in the text (the EPUB's page-break markers, issue 17).
    pub starts: Vec<u32>,
}

/// The cost of a hyphen (Typst's 135, `typst-layout/src/inline/linebreak.rs`): TeX's 50
/// hyphenates "way too eagerly" (Typst's source comment), and on the sample essay it
/// hyphenated 19 % of full lines where Typst hyphenates a fifth to a half as often as TeX
/// (typesetting.md §1, §6). Paired with TeX's demerits (p² added to the line's), 135 makes
/// a hyphen cost about as much as one line at badness 130 (r ≈ 1.1).
const HYPHEN_PENALTY: i32 = 135;
/// Typst's edge surcharge: +15 % for each letter short of 5 on either side of the break,
/// so "re-" and "-ing" splits give way to breaks in the middle of long words.
const HYPHEN_EDGE_PERMILLE: i32 = 150;
/// Hyphenating a capitalised English word (a proper noun): 1000 adds a million demerits,
/// so it only wins over a line with a gap past 0.5 em.
const PROPER_HYPHEN_PENALTY: i32 = 1000;
const EX_HYPHEN_PENALTY: i32 = 50;
/// A break after a slash or other non-dash opportunity (URLs, "and/or"): allowed, but
/// dearer than a space.
const OTHER_BREAK_PENALTY: i32 = 100;

/// Right-margin protrusion in thousandths of the glyph's width (microtype.cfg `default`,
/// l.575–615).
fn protrusion(c: char) -> i64 {
    match c {
        '.' => 700,
        ',' | ':' => 500,
        '-' | '\u{2010}' | '\u{ad}' => 500,
        ';' | '’' | '”' | '\'' | '"' | '»' | '›' => 300,
        ')' | ']' | '–' => 200,
        '—' => 150,
        '!' | '?' => 100,
        _ => 0,
    }
}

fn is_dash(c: char) -> bool {
    matches!(c, '-' | '\u{2010}' | '\u{2011}' | '–' | '—')
}

/// Small capitals for a face without `smcp`: each run of lowercase letters set as
/// capitals at 80 % of the size (the usual synthesis, as browsers do for CSS
/// `font-variant: small-caps` when the font has none; CSS Fonts 4 §6.6). Runs set with
/// a face that has the feature are kept for the shaper; the text then reads as
/// capitals when copied.
pub fn synthesize_small_caps(flat: Flat, has_smcp: impl Fn(FaceId) -> bool) -> Flat {
    let needed = flat
        .styles
        .iter()
        .any(|s| s.look.small_caps && !has_smcp(s.face));
    if !needed {
        return flat;
    }
    let mut out = Flat {
        links: flat.links.clone(),
        anchors: flat.anchors.clone(),
        ..Flat::default()
    };
    for (range, index) in &flat.runs {
        let Some(style) = flat.styles.get(*index as usize).copied() else {
            continue;
        };
        let text = &flat.text[range.clone()];
        if !style.look.small_caps || has_smcp(style.face) {
            out.push(text, style);
            continue;
        }
        let plain = RunStyle {
            look: Look {
                small_caps: false,
                ..style.look
            },
            ..style
        };
        let small = RunStyle {
            size: style.size * 4 / 5,
            ..plain
        };
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            let lower = c.is_lowercase();
            let end = rest
                .find(|d: char| d.is_lowercase() != lower)
                .unwrap_or(rest.len());
            let (piece, tail) = rest.split_at(end);
            if lower {
                out.push(&piece.to_uppercase(), small);
            } else {
                out.push(piece, plain);
            }
            rest = tail;
        }
    }
    out
}

/// Builds the items of a paragraph. `indent` (milli-points) is a first-line box (a
/// negative one hangs the first line out to the left: a verse line's turnovers are then
/// indented under it); `hyphenator` is `None` where nothing may be hyphenated.
pub fn build(
    flat: Flat,
    shaper: &mut Shaper,
    hyphenator: Option<&Hyphenator>,
    indent: i64,
) -> Paragraph {
    let flat = if flat.styles.iter().any(|s| s.look.small_caps) {
        synthesize_small_caps(flat, |face| shaper.has_small_caps(face))
    } else {
        flat
    };
    // The last word is hyphenated only as a last resort: find where it starts.
    let last_word_start = flat
        .text
        .trim_end()
        .rfind(char::is_whitespace)
        .map_or(0, |i| i + 1);
    let levels = flat.bidi_levels();
    let base_rtl = flat.base_rtl();
    let mut b = Builder {
        last_word_start,
        shaper,
        hyphenator,
        items: Vec::with_capacity(flat.text.len() / 2),
        content: Vec::new(),
        points: Vec::new(),
        item_levels: Vec::new(),
        level: u8::from(base_rtl),
        levels,
        base_rtl,
        other_hyphenators: Vec::new(),
        missing: Vec::new(),
        symbols: has_symbols(&flat.text),
        at: 0,
        starts: Vec::with_capacity(flat.text.len() / 2),
    };
    b.content.reserve(flat.text.len() / 2);
    if indent != 0 {
        b.push(
            Item::Box {
                width: indent,
                protrude: 0,
            },
            Content::Empty,
        );
    }
    let text = flat.text.as_str();
    let opportunities = break_opportunities(&flat);
    let mut next_opp = opportunities.iter().peekable();
    let mut seg_start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        while next_opp.next_if(|&&p| p < i).is_some() {}
        if next_opp.next_if(|&&p| p == i).is_some() && i > seg_start {
            b.segment(&flat, seg_start..i, true);
            seg_start = i;
            b.at = i;
            let prev = text[..i].chars().next_back().unwrap_or(' ');
            if crate::typeset::breaks::is_inter_character(prev, c) {
                // Between two characters of Chinese, Japanese or Thai: a free break, and a
                // place that stretches when the line is justified (there are no spaces
                // to take the slack). A quarter em at most per gap at ratio 1, before the
                // emergency stretch.
                b.level = b.level_at(i);
                let size = style_at(&flat, i).size;
                b.push(
                    Item::Glue {
                        width: 0,
                        stretch: size / 4,
                        shrink: 0,
                        fill: false,
                    },
                    Content::Empty,
                );
                continue;
            }
            let (cost, flagged) = if is_dash(prev) {
                (EX_HYPHEN_PENALTY, true)
            } else {
                (OTHER_BREAK_PENALTY, false)
            };
            b.push(
                Item::Penalty {
                    width: 0,
                    cost,
                    flagged,
                    auto: false,
                },
                Content::Empty,
            );
        }
        match c {
            ' ' | '\t' | '\n' | '\r' | '\u{a0}' | HARD_BREAK => {
                // Looked up here, at a space, not for every character (a binary search
                // over the paragraph's style runs).
                let style = style_at(&flat, i);
                b.segment(&flat, seg_start..i, true);
                seg_start = i + c.len_utf8();
                b.at = i;
                // The space's own level (between two right-to-left words it is right to
                // left too, W1–N2), for reordering the line.
                b.level = b.level_at(i);
                // A space before a note marker is dropped: the marker clings to its word.
                let next_sticky = chars
                    .peek()
                    .is_some_and(|&(j, _)| style_at(&flat, j).sticky);
                if c == HARD_BREAK {
                    b.push(
                        Item::Glue {
                            width: 0,
                            stretch: 0,
                            shrink: 0,
                            fill: true,
                        },
                        Content::Empty,
                    );
                    b.push(
                        Item::Penalty {
                            width: 0,
                            cost: -INFINITE_PENALTY,
                            flagged: false,
                            auto: false,
                        },
                        Content::Empty,
                    );
                } else if !next_sticky {
                    if c == '\u{a0}' {
                        b.push(
                            Item::Penalty {
                                width: 0,
                                cost: INFINITE_PENALTY,
                                flagged: false,
                                auto: false,
                            },
                            Content::Empty,
                        );
                    } else if matches!(b.items.last(), Some(Item::Glue { .. }) | None) {
                        continue; // collapse runs of spaces, drop leading ones
                    }
                    // Uniform interword glue (\frenchspacing): the face's space, stretch
                    // ½, shrink ⅓, like TeX's fontdimens for cmr10 and XeTeX's defaults.
                    let space = b.shaper.shape(" ", style.face, style.size);
                    let w = space.width(0..space.glyphs.len());
                    let glyph = space.glyphs.first().map_or(0, |g| g.id);
                    b.push(
                        Item::Glue {
                            width: w,
                            stretch: w / 2,
                            shrink: w / 3,
                            fill: false,
                        },
                        Content::Space {
                            face: style.face,
                            glyph,
                        },
                    );
                }
            }
            _ => {}
        }
    }
    b.segment(&flat, seg_start..text.len(), true);
    // Paragraph end: drop trailing glue, then \penalty10000 \parfillskip \penalty-10000.
    while matches!(
        b.items.last(),
        Some(Item::Glue { .. }) | Some(Item::Penalty { .. })
    ) {
        b.items.pop();
        b.content.pop();
        b.starts.pop();
        b.item_levels.pop();
    }
    b.level = u8::from(base_rtl);
    b.push(
        Item::Penalty {
            width: 0,
            cost: INFINITE_PENALTY,
            flagged: false,
            auto: false,
        },
        Content::Empty,
    );
    b.push(
        Item::Glue {
            width: 0,
            stretch: 0,
            shrink: 0,
            fill: true,
        },
        Content::Empty,
    );
    b.push(
        Item::Penalty {
            width: 0,
            cost: -INFINITE_PENALTY,
            flagged: false,
            auto: false,
        },
        Content::Empty,
    );
    let levels = if b.levels.is_some() {
        b.item_levels
    } else {
        Vec::new()
    };
    debug_assert_eq!(b.starts.len(), b.items.len());
    let (items, content, missing, starts) = (b.items, b.content, b.missing, b.starts);
    Paragraph {
        items,
        content,
        flat,
        levels,
        missing,
        starts,
    }
}

fn style_at(flat: &Flat, byte: usize) -> RunStyle {
    let i = flat.runs.partition_point(|(r, _)| r.end <= byte);
    flat.runs
        .get(i)
        .and_then(|(_, s)| flat.styles.get(*s as usize))
        .copied()
        .unwrap_or(RunStyle {
            face: FaceId::Regular,
            size: 10_000,
            rise: 0,
            link: None,
            anchor: None,
            hyphenate: false,
            sticky: false,
            look: Look::default(),
        })
}

/// Break opportunities inside words (between two non-space characters), from UAX #14
/// (unicode-linebreak) with quire's tailoring:
/// - never before an em dash, only after it (English usage; typesetting.md §7);
/// - never inside a numeric range like "1914–18";
/// - never before a note marker.
fn break_opportunities(flat: &Flat) -> Vec<usize> {
    let text = flat.text.as_str();
    let mut out = Vec::new();
    for (pos, _) in unicode_linebreak::linebreaks(text) {
        if pos == 0 || pos >= text.len() {
            continue;
        }
        let before = text[..pos].chars().next_back().unwrap_or(' ');
        let after = text[pos..].chars().next().unwrap_or(' ');
        if before.is_whitespace() || after.is_whitespace() || before == HARD_BREAK || after == '—'
        {
            continue;
        }
        if before == '–' && after.is_ascii_digit() {
            let before2 = text[..pos - before.len_utf8()]
                .chars()
                .next_back()
                .unwrap_or(' ');
            if before2.is_ascii_digit() {
                continue;
            }
        }
        if style_at(flat, pos).sticky {
            continue;
        }
        out.push(pos);
    }
    if crate::typeset::breaks::needs_tailoring(text) {
        crate::typeset::breaks::tailor(text, &mut out);
    }
    out
}

/// The hyphenation points of `text` (one unbreakable segment of one style), as byte
/// offsets with their penalty. Each maximal alphabetic run is hyphenated on its own, so
/// punctuation, quotes, a possessive apostrophe or digits around a word do not stop it
/// ("peasants’" → peas-ants’, "sabotage," → sab-o-tage,), while the run itself never breaks
/// next to an apostrophe (typesetting.md §3: "Hyphenate only alphabetic runs"; typst#1389
/// "does-n't", typst/hypher#13 "aujourd'-hui"). Capitalised runs (proper nouns in English)
/// are a last resort at [`PROPER_HYPHEN_PENALTY`].
///
/// In a paragraph's `last_word` every point is a last resort: hyphenating it leaves a
/// fragment alone on the last line (typesetting.md §3: "Never hyphenate a paragraph's
/// last word (charge at least `finalhyphendemerits`)"), better only than a line with gaps
/// over 0.5 em.
fn hyphenation_points(h: &Hyphenator, text: &str, last_word: bool, out: &mut Vec<(usize, i32)>) {
    let mut scratch = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if !c.is_alphabetic() {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some((i, c)) = chars.next_if(|(_, c)| c.is_alphabetic()) {
            end = i + c.len_utf8();
        }
        let run = &text[start..end];
        scratch.clear();
        h.points(run, &mut scratch);
        let mut base = if scratch.is_empty() {
            h.points_capitalised(run, &mut scratch);
            PROPER_HYPHEN_PENALTY
        } else {
            HYPHEN_PENALTY
        };
        if last_word {
            base = base.max(LAST_RESORT_PENALTY);
        }
        // Syllable breaks in names, where the patterns have none, as last resorts.
        let found = scratch.len();
        h.points_last_resort(run, &mut scratch);
        let letters = run.chars().count() as i32;
        let from = out.len();
        for (k, &p) in scratch.iter().enumerate() {
            if k >= found && scratch[..found].contains(&p) {
                continue;
            }
            let base = if k < found { base } else { LAST_RESORT_PENALTY };
            let left = run[..p].chars().count() as i32;
            let short = (5 - left).max(0) + (5 - (letters - left)).max(0);
            let cost = base + base * HYPHEN_EDGE_PERMILLE * short / 1000;
            out.push((start + p, cost.min(INFINITE_PENALTY - 1)));
        }
        // In order along the word (the two sources interleave).
        out[from..].sort_unstable();
    }
}

struct Builder<'a, 's, 'f> {
    shaper: &'a mut Shaper<'f>,
    hyphenator: Option<&'s Hyphenator>,
    items: Vec<Item>,
    content: Vec<Content>,
    points: Vec<(usize, i32)>,
    /// Where the paragraph's last word starts (its hyphens are last resorts).
    last_word_start: usize,
    /// The embedding level of each byte of the text (see [`Flat::bidi_levels`]); `None`
    /// when all is left to right at level 0.
    levels: Option<Vec<u8>>,
    /// The level of each item pushed (kept only with `levels`).
    item_levels: Vec<u8>,
    /// The level of the items being pushed.
    level: u8,
    /// The paragraph reads right to left.
    base_rtl: bool,
    /// Hyphenators for languages marked in the paragraph other than the book's.
    other_hyphenators: Vec<(Lang, Hyphenator)>,
    /// Characters no face has, at their byte offsets in the text.
    missing: Vec<(usize, char)>,
    /// Whether the paragraph has a character from U+2100 on (see [`Builder::fallback`]).
    symbols: bool,
    /// The byte of the flat text the next item starts at, and each item's (see
    /// [`Paragraph::starts`]).
    at: usize,
    starts: Vec<u32>,
}

impl Builder<'_, '_, '_> {
    /// The embedding level at byte `at` (the paragraph's base level without bidi).
    fn level_at(&self, at: usize) -> u8 {
        match &self.levels {
            Some(levels) => levels.get(at).copied().unwrap_or(u8::from(self.base_rtl)),
            None => 0,
        }
    }

    /// `range` cut where the embedding level or the marked language changes: pieces the
    /// shaper takes whole, each with its properties and level.
    fn props_runs(&self, flat: &Flat, range: Range<usize>) -> Vec<(Range<usize>, Props, u8)> {
        let props_at = |at: usize| {
            let level = self.level_at(at);
            (
                Props {
                    rtl: level % 2 == 1,
                    lang: flat.lang_at(at),
                    small_caps: false,
                },
                level,
            )
        };
        let mut out: Vec<(Range<usize>, Props, u8)> = Vec::new();
        let text = &flat.text;
        for (i, _) in text[range.clone()].char_indices() {
            let at = range.start + i;
            let (props, level) = props_at(at);
            match out.last_mut() {
                Some((r, p, l)) if *p == props && *l == level => r.end = at,
                _ => out.push((at..at, props, level)),
            }
            if let Some((r, _, _)) = out.last_mut() {
                r.end = at + text[at..].chars().next().map_or(1, char::len_utf8);
            }
        }
        out
    }

    /// The hyphenator for text marked `lang` (the book's for unmarked text and the
    /// book's own language).
    fn hyphenator_for(&mut self, lang: Option<Lang>) -> Option<&Hyphenator> {
        let book = self.hyphenator?;
        let Some(lang) = lang else {
            return Some(book);
        };
        if self
            .shaper
            .language()
            .is_some_and(|l| l.primary().eq_ignore_ascii_case(lang.primary()))
        {
            return Some(book);
        }
        let i = match self.other_hyphenators.iter().position(|(l, _)| *l == lang) {
            Some(i) => i,
            None => {
                let tag = crate::model::LanguageTag::from(lang.as_str());
                self.other_hyphenators
                    .push((lang, Hyphenator::new(&tag, &[])));
                self.other_hyphenators.len() - 1
            }
        };
        self.other_hyphenators.get(i).map(|(_, h)| h)
    }

    fn push(&mut self, item: Item, content: Content) {
        if self.levels.is_some() {
            self.item_levels.push(self.level);
        }
        self.items.push(item);
        self.content.push(content);
        self.starts.push(self.at as u32);
    }

    /// An unbreakable stretch of text (maybe several styles), with hyphenation points
    /// when `hyphenate`.
    fn segment(&mut self, flat: &Flat, range: Range<usize>, hyphenate: bool) {
        if range.is_empty() {
            return;
        }
        let first = flat.runs.partition_point(|(r, _)| r.end <= range.start);
        for (run, style_idx) in &flat.runs[first..] {
            if run.start >= range.end {
                break;
            }
            let piece = run.start.max(range.start)..run.end.min(range.end);
            let Some(style) = flat.styles.get(*style_idx as usize).copied() else {
                continue;
            };
            // Most paragraphs: left to right at level 0, nothing marked, one piece.
            if self.levels.is_none() && flat.marks.is_empty() {
                self.shaped_piece(flat, piece, Props::default(), style, *style_idx, hyphenate);
                continue;
            }
            for (piece, props, level) in self.props_runs(flat, piece) {
                self.level = level;
                self.shaped_piece(flat, piece, props, style, *style_idx, hyphenate);
            }
        }
    }

    /// One piece of a segment: one style, one direction, one language.
    fn shaped_piece(
        &mut self,
        flat: &Flat,
        piece: Range<usize>,
        props: Props,
        style: RunStyle,
        style_idx: u32,
        hyphenate: bool,
    ) {
        let style_idx = &style_idx;
        {
            let last_word = piece.start >= self.last_word_start;
            let start = piece.start;
            let end = piece.end;
            self.at = start;
            let text = &flat.text[piece];
            // Symbols no face has (math, mostly): a like glyph the face has.
            let replaced = if self.symbols {
                self.fallback(text, style.face, props)
            } else {
                None
            };
            let text = replaced.as_deref().unwrap_or(text);
            let props = Props {
                small_caps: style.look.small_caps,
                ..props
            };
            let word = self.shaper.shape_with(text, style.face, style.size, props);
            if word.missing {
                self.missing.extend(
                    word.missing_chars()
                        .into_iter()
                        .map(|(at, c)| (start + at, c)),
                );
            }
            self.points.clear();
            // Right-to-left words are never hyphenated (hypher has no Hebrew or Arabic
            // patterns, and a hyphen there would stand at the wrong end).
            if hyphenate && style.hyphenate && !props.rtl {
                let mut points = std::mem::take(&mut self.points);
                if let Some(h) = self.hyphenator_for(props.lang) {
                    hyphenation_points(h, text, last_word, &mut points);
                }
                self.points = points;
            }
            let mut glyph_start = 0;
            let points = std::mem::take(&mut self.points);
            for &(p, cost) in &points {
                let Some(g) = word.glyph_at(p) else { continue };
                if g <= glyph_start {
                    continue;
                }
                self.piece(&word, glyph_start..g, *style_idx);
                // After a hyphen, a line starts inside the word (a stand-in may have
                // moved the bytes: never past the piece).
                self.at = (start + p).min(end);
                let hyphen = self.shaper.shape("-", style.face, style.size);
                let hw = hyphen.width(0..hyphen.glyphs.len());
                let width = hw - hw * protrusion('-') / 1000;
                self.push(
                    Item::Penalty {
                        width,
                        cost,
                        flagged: true,
                        auto: true,
                    },
                    Content::Hyphen {
                        hyphen,
                        style: *style_idx,
                    },
                );
                glyph_start = g;
            }
            self.points = points;
            self.piece(&word, glyph_start..word.glyphs.len(), *style_idx);
        }
    }

    fn piece(&mut self, word: &Rc<ShapedWord>, glyphs: Range<usize>, style: u32) {
        if glyphs.is_empty() {
            return;
        }
        let width = word.width(glyphs.clone());
        let last = glyphs.end - 1;
        let last_char = word
            .glyphs
            .get(last)
            .and_then(|g| word.text.get(g.cluster as usize..))
            .and_then(|t| t.chars().next_back().or(t.chars().next()));
        // The last glyph's own cluster decides: the char it ends with.
        let last_char = last_char.map(|_| {
            let g = &word.glyphs[last];
            let end = word.glyphs[last..]
                .iter()
                .map(|x| x.cluster)
                .find(|&c| c != g.cluster)
                .unwrap_or(word.text.len() as u32);
            word.text[g.cluster as usize..end as usize]
                .chars()
                .next_back()
                .unwrap_or(' ')
        });
        let advance = word.glyphs.get(last).map_or(0, |g| g.advance);
        // Right-margin protrusion only where the line's logical end is its right end:
        // not in a right-to-left paragraph, nor for a right-to-left word (its last
        // character is drawn at its left).
        let protrude = if self.base_rtl || word.rtl {
            0
        } else {
            advance * last_char.map_or(0, protrusion) / 1000
        };
        self.push(
            Item::Box { width, protrude },
            Content::Piece {
                word: Rc::clone(word),
                glyphs,
                style,
            },
        );
    }
}

/// A character the book's face may lack (TeX math's symbols, most of which Gentium
/// Book Plus has not) and what stands in for it: the same sign from another block, or
/// the letter a double-struck one doubles (ℝ → R).
fn stand_in(c: char) -> Option<&'static str> {
    Some(match c {
        '⋅' => "·",
        '∗' => "*",
        '∙' => "•",
        '⋯' => "···",
        '∣' => "|",
        '⟨' => "‹",
        '⟩' => "›",
        '≪' => "«",
        '≫' => "»",
        'ℏ' => "ħ",
        '∬' => "∫∫",
        'ℂ' => "C",
        'ℍ' => "H",
        'ℕ' => "N",
        'ℙ' => "P",
        'ℚ' => "Q",
        'ℝ' => "R",
        'ℤ' => "Z",
        _ => return None,
    })
}

/// Whether `text` has a character from U+2100 on: in UTF-8, a lead byte from 0xE3 on,
/// or 0xE2 followed by 0x84 or more (General Punctuation, U+2000–U+20FF, is 0xE2 0x80–
/// 0x83: running text's quotes and dashes never count). One pass over the bytes.
fn has_symbols(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes
        .iter()
        .zip(bytes.iter().skip(1))
        .any(|(&a, &b)| a >= 0xE3 || (a == 0xE2 && b >= 0x84))
}

impl Builder<'_, '_, '_> {
    /// `text` with the characters no face draws (neither `face` nor the fallback chain)
    /// replaced by a [`stand_in`] `face` has, when there is one: a real glyph of the
    /// sign from a fallback font beats a stand-in, a stand-in beats an empty box. The
    /// characters left without a glyph are reported by the shaper (`missing_chars`). Only
    /// text with a character from U+2100 on (Letterlike Symbols and up) is looked at.
    fn fallback(&mut self, text: &str, face: FaceId, props: Props) -> Option<String> {
        if !has_symbols(text) {
            return None;
        }
        let mut out: Option<String> = None;
        for (i, c) in text.char_indices() {
            let lacks = (c as u32) >= 0x2100 && !self.shaper.draws(face, c, props);
            match (lacks, stand_in(c)) {
                (true, Some(s)) if s.chars().all(|d| self.shaper.covers(face, d)) => {
                    out.get_or_insert_with(|| text[..i].to_string()).push_str(s);
                    continue;
                }
                _ => {}
            }
            if let Some(o) = &mut out {
                o.push(c);
            }
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::fonts::FontSet;

    fn body() -> RunStyle {
        RunStyle {
            face: FaceId::Regular,
            size: 11_000,
            rise: 0,
            link: None,
            anchor: None,
            hyphenate: true,
            sticky: false,
            look: Look::default(),
        }
    }

    /// Raw HTML's block elements are set apart from each other when the HTML is set as
    /// one paragraph: a row's cells by a space, paragraphs and rows by a line break (a
    /// single one, whatever white space stands between them in the source).
    #[test]
    fn raw_html_blocks_are_set_apart() {
        fn el(name: &str, children: Vec<HtmlNode>) -> HtmlNode {
            HtmlNode::Element {
                name: name.into(),
                attrs: Vec::new(),
                children,
            }
        }
        let t = |s: &str| HtmlNode::Text(s.into());
        let row = |a: &str, b: &str| el("tr", vec![el("td", vec![t(a)]), el("td", vec![t(b)])]);
        let mut flat = Flat::default();
        flat.push_html(
            &[
                el(
                    "table",
                    vec![row("This is", "And that"), row("second", "row")],
                ),
                el(
                    "div",
                    vec![
                        el("p", vec![t("One "), el("em", vec![t("para")]), t("graph.")]),
                        t("\n  "),
                        el("p", vec![t("Another.")]),
                        t("After."),
                    ],
                ),
            ],
            body(),
            &[],
        );
        assert_eq!(
            flat.text,
            "This is And that\u{2028}second row\u{2028}One paragraph.\n  \u{2028}Another.\u{2028}After."
        );
    }

    /// The items as text: boxes' text, `_` for glue, `|` for allowed breaks (`-|` flagged),
    /// `~` for a no-break.
    fn sketch(p: &Paragraph) -> String {
        let mut s = String::new();
        for (item, content) in p.items.iter().zip(&p.content) {
            match (item, content) {
                (_, Content::Piece { word, glyphs, .. }) => {
                    for g in glyphs.clone() {
                        s.push_str(word.glyph_text(g));
                    }
                }
                (Item::Glue { fill: false, .. }, _) => s.push('_'),
                (Item::Penalty { cost, flagged, .. }, _)
                    if *cost < INFINITE_PENALTY && *cost > -INFINITE_PENALTY =>
                {
                    s.push_str(if *flagged { "-|" } else { "|" })
                }
                (Item::Penalty { cost, .. }, _) if *cost >= INFINITE_PENALTY => s.push('~'),
                _ => {}
            }
        }
        s
    }

    fn par(inlines: &[Inline], lang: &str) -> Paragraph {
        let fonts = FontSet::embedded();
        let mut shaper = Shaper::new(&fonts);
        let h = Hyphenator::new(&lang.into(), &[]);
        let mut flat = Flat::default();
        flat.push_inlines(inlines, body(), &[]);
        build(flat, &mut shaper, Some(&h), 0)
    }

    /// Issue 17: the EPUB finds a line's start by counting the model's inlines as
    /// `pagemap::flat_len` does; that must be the flattened text's length, inline by
    /// inline, or markers drift.
    #[test]
    fn the_flat_text_is_as_long_as_pagemap_counts() {
        use crate::model::{HtmlNode, LinkTarget, NoteId};
        let inlines = vec![
            Inline::Text("Plain “quoted” text ".into()),
            Inline::Emphasis(vec![Inline::Strong(vec![Inline::Text("émphasis".into())])]),
            Inline::SoftBreak,
            Inline::Code("code()".into()),
            Inline::LineBreak,
            Inline::Link {
                target: LinkTarget::External("https://example.org".into()),
                content: vec![Inline::Text("a link".into())],
            },
            Inline::NoteRef {
                note: NoteId(11),
                occurrence: 0,
            },
            Inline::Html(vec![HtmlNode::Element {
                name: "b".into(),
                attrs: vec![],
                children: vec![
                    HtmlNode::Text("raw".into()),
                    HtmlNode::Element {
                        name: "br".into(),
                        attrs: vec![],
                        children: vec![],
                    },
                ],
            }]),
            Inline::Math {
                display: false,
                content: vec![Inline::Text("x²".into())],
            },
        ];
        for k in 0..=inlines.len() {
            let mut flat = Flat::default();
            flat.push_inlines(&inlines[..k], body(), &[]);
            assert_eq!(
                flat.text.len(),
                crate::pagemap::flat_len(&inlines[..k], &[])
            );
        }
    }

    /// Each item knows the byte it starts at: a line that begins at it begins there.
    #[test]
    fn items_know_where_they_start_in_the_text() {
        let text = "Internationalization and characteristically long words, again and again.";
        let p = par(&[Inline::Text(text.into())], "en");
        assert_eq!(p.starts.len(), p.items.len());
        for (k, (item, content)) in p.items.iter().zip(&p.content).enumerate() {
            if let (Item::Box { .. }, Content::Piece { word, glyphs, .. }) = (item, content) {
                let first: String = glyphs.clone().map(|g| word.glyph_text(g)).collect();
                let at = p.starts[k] as usize;
                assert!(
                    text[at..].starts_with(first.as_str()),
                    "item {k} {first:?} at {at}: {:?}",
                    &text[at..]
                );
            }
        }
    }

    #[test]
    fn hyphenation_points_dashes_and_last_word() {
        let p = par(
            &[Inline::Text(
                "the collectivization—of agriculture, 1914–18 and/or hyphenation".into(),
            )],
            "en",
        );
        assert_eq!(
            sketch(&p),
            "the_col-|lec-|tiviza-|tion—-|of_agri-|cul-|ture,_1914–18_and/|or_hy-|phen-|ation~"
        );
        // The last word's points are last resorts; the others are not.
        let costs = auto_costs(&p);
        let (body, last) = costs.split_at(costs.len() - 2);
        assert!(body.iter().all(|&c| c < LAST_RESORT_PENALTY), "{costs:?}");
        assert!(last.iter().all(|&c| c >= LAST_RESORT_PENALTY), "{costs:?}");
    }

    /// The costs of the hyphenation points (automatic penalties), in order.
    fn auto_costs(p: &Paragraph) -> Vec<i32> {
        p.items
            .iter()
            .filter_map(|i| match i {
                Item::Penalty {
                    cost, auto: true, ..
                } => Some(*cost),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn names_take_syllable_breaks_as_last_resorts() {
        let p = par(
            &[Inline::Text(
                "the Cossacks of Wintzingerode’s and Vereshchagin’s men".into(),
            )],
            "en",
        );
        assert_eq!(
            sketch(&p),
            "the_Cos-|sacks_of_Win-|tzin-|ge-|rode’s_and_Ve-|re-|shcha-|gin’s_men~"
        );
        let costs = auto_costs(&p);
        // "Cos-sacks" by the patterns (a proper noun's price), "Vereshcha-gin" too; the
        // syllable breaks at the last-resort price.
        assert!(costs[0] < LAST_RESORT_PENALTY, "{costs:?}");
        assert!(
            costs[1..4].iter().all(|&c| c >= LAST_RESORT_PENALTY),
            "{costs:?}"
        );
        assert!(costs[6] < LAST_RESORT_PENALTY, "{costs:?}");
        assert_eq!(costs.len(), 7, "{costs:?}");
    }

    #[test]
    fn note_marker_clings_and_nbsp_holds() {
        let note = Inline::NoteRef {
            note: crate::model::NoteId(0),
            occurrence: 0,
        };
        let p = par(
            &[
                Inline::Text("policy (NEP), ".into()),
                note.clone(),
                Inline::Text(" which « oui\u{202f}» M.\u{a0}Smith".into()),
            ],
            "en",
        );
        assert_eq!(
            sketch(&p),
            "pol-|icy_(NEP),1_which_«_oui\u{202f}»_M.~_Smith~"
        );
        // The marker is its own small, raised box.
        let small = p.content.iter().find_map(|c| match c {
            Content::Piece { style, .. } if p.flat.styles[*style as usize].sticky => {
                Some(p.flat.styles[*style as usize])
            }
            _ => None,
        });
        let s = small.unwrap();
        assert!(s.size < 11_000 && s.rise > 0 && s.link.is_some());
    }

    /// A face without `smcp`: lowercase runs become capitals at 80 % of the size.
    #[test]
    fn small_caps_are_synthesized_for_a_face_without_them() {
        let mut flat = Flat::default();
        let caps = RunStyle {
            look: Look {
                small_caps: true,
                ..Look::default()
            },
            ..body()
        };
        flat.push("Tom ", body());
        flat.push("Anton Chekhov", caps);
        let out = synthesize_small_caps(flat.clone(), |_| false);
        assert_eq!(out.text, "Tom ANTON CHEKHOV");
        let sizes: Vec<(String, i64)> = out
            .runs
            .iter()
            .map(|(r, s)| {
                (
                    out.text[r.clone()].to_string(),
                    out.styles[*s as usize].size,
                )
            })
            .collect();
        assert_eq!(
            sizes,
            [
                ("Tom A".to_string(), 11_000),
                ("NTON".to_string(), 8_800),
                (" C".to_string(), 11_000),
                ("HEKHOV".to_string(), 8_800),
            ]
        );
        // A face with the feature keeps the text for the shaper.
        assert_eq!(synthesize_small_caps(flat.clone(), |_| true), flat);
    }

    #[test]
    fn capitalised_words_are_a_last_resort_in_english() {
        let p = par(
            &[
                Inline::Text("Constantinople constitutional".into()),
                Inline::Text(" end".into()),
            ],
            "en",
        );
        // "ti-no" is a last-resort syllable break added to the patterns' points.
        assert_eq!(
            sketch(&p),
            "Con-|stan-|ti-|no-|ple_con-|sti-|tu-|tional_end~"
        );
        let costs: Vec<i32> = p
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Penalty {
                    cost,
                    flagged: true,
                    ..
                } => Some(*cost),
                _ => None,
            })
            .collect();
        // Proper nouns cost far more than common words; breaks near a word's edge
        // (con-, -ple) more than breaks in its middle (Typst's edge surcharge).
        assert_eq!(costs.len(), 7);
        assert!(costs[..4].iter().all(|&c| c >= PROPER_HYPHEN_PENALTY));
        assert!(costs[2] >= LAST_RESORT_PENALTY && costs[3] < LAST_RESORT_PENALTY);
        assert!(costs[4..].iter().all(|&c| c < PROPER_HYPHEN_PENALTY / 4));
        assert!(costs[0] > costs[1] && costs[4] > costs[5], "{costs:?}");
        assert_eq!(costs[5], HYPHEN_PENALTY);
    }

    #[test]
    fn alphabetic_runs_hyphenate_inside_punctuation() {
        // A possessive, trailing punctuation and the word after an em dash all keep their
        // hyphenation points; contractions never break at or next to the apostrophe.
        let p = par(
            &[Inline::Text(
                "the peasants’ sabotage, farms—detachment doesn’t Constantinople’s end".into(),
            )],
            "en",
        );
        let s = sketch(&p);
        assert!(s.contains("peas-|ants’"), "{s}");
        assert!(s.contains("sab-|o-|tage,"), "{s}");
        assert!(s.contains("—-|de-|tach-|ment"), "{s}");
        assert!(s.contains("_doesn’t_"), "{s}");
        assert!(s.contains("Con-|stan-|ti-|no-|ple’s"), "{s}");
    }
}
