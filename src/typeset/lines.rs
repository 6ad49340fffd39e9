//! Chosen breaks → positioned glyph runs: each line's glue is set to its adjustment ratio
//! (justified), or left natural (ragged, centred), and a taken hyphenation point draws its
//! hyphen. Coordinates are relative to the line's left end and baseline.

use crate::typeset::document::{Glyph, GlyphRun, Rect};
use crate::typeset::items::{Content, Paragraph};
use crate::typeset::linebreak::{line_start, Item};
use crate::typeset::shape::{ShapedGlyph, Shaper, MPT};

/// How lines sit in the measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Align {
    /// Justified; the last line natural.
    Justify,
    /// Ragged right.
    Left,
    /// Centred.
    Center,
    /// Ragged left, flush right (an epigraph's attribution).
    Right,
}

/// One set line.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SetLine {
    /// Runs, x from the line's left end, y from its baseline (0).
    pub runs: Vec<GlyphRun>,
    /// Link areas and the paragraph's link index.
    pub links: Vec<(Rect, u32)>,
    /// Anchors (paragraph's anchor index) with their position.
    pub anchors: Vec<(u32, f32, f32)>,
    /// Whether it ends with a hyphen or dash.
    pub flagged: bool,
    /// Largest font size on the line, in points.
    pub size: f32,
    /// Rules under underlined text (pandoc's `.underline` spans).
    pub rules: Vec<Rect>,
    /// Backgrounds behind marked text (pandoc's `.mark` spans).
    pub shades: Vec<Rect>,
}

/// An underline or mark being drawn along a line: where it starts and ends (milli-points
/// from the line's start) and the size of its text.
#[derive(Clone, Copy)]
struct Stroke {
    start: f64,
    end: f64,
    size: i64,
}

impl Stroke {
    /// Extends the stroke to a piece from `start` to `end`, or starts one.
    fn reach(open: &mut Option<Stroke>, start: f64, end: f64, size: i64) {
        match open {
            Some(s) => {
                s.end = end;
                s.size = s.size.max(size);
            }
            None => *open = Some(Stroke { start, end, size }),
        }
    }

    /// An underline under the baseline (a twentieth of an em thick, a tenth below: the
    /// usual `post` table values of book faces).
    fn underline(self) -> Rect {
        let size = self.size as f32 / MPT as f32;
        Rect {
            x: (self.start / MPT as f64) as f32,
            y: size * 0.1,
            width: ((self.end - self.start) / MPT as f64) as f32,
            height: size * 0.05,
        }
    }

    /// A background from the ascenders to the descenders.
    fn shade(self) -> Rect {
        let size = self.size as f32 / MPT as f32;
        Rect {
            x: (self.start / MPT as f64) as f32 - size * 0.05,
            y: -size * 0.82,
            width: ((self.end - self.start) / MPT as f64) as f32 + size * 0.1,
            height: size * 1.08,
        }
    }
}

/// Sets the lines of `par` broken at `breaks` in `measure` milli-points; `shaper` gives
/// the faces' vertical metrics (for link areas).
pub fn set_lines(
    par: &Paragraph,
    breaks: &[usize],
    measure: i64,
    align: Align,
    shaper: &Shaper<'_>,
) -> Vec<SetLine> {
    set_lines_tracked(par, breaks, measure, align, f64::INFINITY, shaper)
}

/// Most letter-spacing the last resort adds, in thousandths of the font size (2 %: the
/// same bound as microtype's default ±2 % font expansion, and within the tracking range
/// InDesign's justification settings are commonly given). On War and Peace, 1 % left 38
/// lines of 35,889 with a gap over 0.5 em, 2 % left 20; what remains is long names that
/// no pattern breaks.
const MAX_TRACKING_PERMILLE: f64 = 20.0;

/// Like [`set_lines`], but a justified line whose glue would have to stretch past
/// `max_ratio` (an impossible line: no break gives it more material, e.g. a first line
/// followed by a long unhyphenatable name) takes the excess first as letter-spacing, at
/// most [`MAX_TRACKING_PERMILLE`] of the font size per glyph, before its spaces widen
/// further. Typst's `justification-limits` tracking does the same when turned on; it is
/// the final resort, used only where word spaces alone would pass the 0.5 em gate.
pub fn set_lines_tracked(
    par: &Paragraph,
    breaks: &[usize],
    measure: i64,
    align: Align,
    max_ratio: f64,
    shaper: &Shaper<'_>,
) -> Vec<SetLine> {
    let mut lines = Vec::with_capacity(breaks.len());
    let mut start = first_box(&par.items);
    let mut seen_anchor = vec![false; par.flat.anchors.len()];
    for (n, &b) in breaks.iter().enumerate() {
        let last = n + 1 == breaks.len();
        lines.push(set_line(
            par,
            start.min(b)..b,
            measure,
            if last && align == Align::Justify {
                Align::Left
            } else {
                align
            },
            &mut seen_anchor,
            max_ratio,
            shaper,
        ));
        start = line_start(&par.items, b);
    }
    lines
}

pub(crate) fn first_box(items: &[Item]) -> usize {
    items
        .iter()
        .position(|i| {
            !matches!(
                i,
                Item::Glue { fill: false, .. }
                    | Item::Penalty {
                        cost: -9999..=i32::MAX,
                        ..
                    }
            )
        })
        .unwrap_or(items.len())
}

/// Sets the line of items `range` (`range.end` is its break).
fn set_line(
    par: &Paragraph,
    range: std::ops::Range<usize>,
    measure: i64,
    align: Align,
    seen_anchor: &mut [bool],
    max_ratio: f64,
    shaper: &Shaper<'_>,
) -> SetLine {
    let (start, b) = (range.start, range.end);
    let items = &par.items[start..b];
    let (mut width, mut stretch, mut shrink, mut fill) = (0i64, 0i64, 0i64, false);
    for item in items {
        match *item {
            Item::Box { width: w, .. } => width += w,
            Item::Glue {
                width: w,
                stretch: y,
                shrink: z,
                fill: f,
            } => {
                width += w;
                shrink += z;
                if f {
                    fill = true
                } else {
                    stretch += y
                }
            }
            Item::Penalty { .. } => {}
        }
    }
    let hyphen = match par.content.get(b) {
        Some(Content::Hyphen { hyphen, style }) => Some((hyphen, *style)),
        _ => None,
    };
    let hyphen_width = hyphen.map_or(0, |(h, _)| h.width(0..h.glyphs.len()));
    let protrude = match (
        par.items.get(b),
        b.checked_sub(1).and_then(|p| par.items.get(p)),
    ) {
        (Some(Item::Penalty { width, .. }), _) if hyphen.is_some() => hyphen_width - width,
        (_, Some(Item::Box { protrude, .. })) if b > start => *protrude,
        _ => 0,
    };
    let natural = width + hyphen_width;
    let delta = measure + protrude - natural;
    // Glue ratio, as a fraction applied to each glue's stretch or shrink.
    let mut ratio = match align {
        Align::Justify if delta > 0 && !fill && stretch > 0 => delta as f64 / stretch as f64,
        _ if delta < 0 && shrink > 0 => (delta as f64 / shrink as f64).max(-1.0),
        _ => 0.0,
    };
    // Letter-spacing (milli-points per glyph) for an impossible line; see
    // [`set_lines_tracked`].
    let mut tracking = 0.0;
    if align == Align::Justify && ratio > max_ratio {
        let (mut glyphs, mut size) = (0usize, 0i64);
        for (item, content) in items.iter().zip(&par.content[start..b]) {
            if let (
                Item::Box { .. },
                Content::Piece {
                    glyphs: g, style, ..
                },
            ) = (item, content)
            {
                glyphs += g.len();
                if let Some(st) = par.flat.styles.get(*style as usize) {
                    size = size.max(st.size);
                }
            }
        }
        if glyphs > 1 {
            let excess = delta as f64 - stretch as f64 * max_ratio;
            tracking =
                (excess / (glyphs - 1) as f64).min(size as f64 * MAX_TRACKING_PERMILLE / 1000.0);
            ratio = (delta as f64 - tracking * (glyphs - 1) as f64) / stretch as f64;
        }
    }
    // A right-to-left paragraph's lines start at the right: a ragged line, the last
    // line and a line before a hard break are set flush right.
    let flush_right = par.flat.base_rtl() && (align == Align::Left || fill);
    let x0 = match align {
        Align::Center if delta > 0 => (delta - protrude) / 2,
        _ if flush_right => delta - protrude,
        // Flush right, punctuation hanging past the margin as in justified lines.
        Align::Right if delta > 0 => delta,
        _ => 0,
    };
    let flagged = matches!(par.items.get(b), Some(Item::Penalty { flagged: true, .. }));
    let mut line = SetLine {
        flagged,
        ..Default::default()
    };
    let mut pen = x0 as f64;
    let mut last_link: Option<(u32, usize)> = None;
    // Underlines and marks run on across the spaces between their words.
    let mut underline: Option<Stroke> = None;
    let mut mark: Option<Stroke> = None;
    let decorated = par
        .flat
        .styles
        .iter()
        .any(|s| s.look.underline || s.look.mark);
    for slot in visual_order(par, start..b, hyphen.is_some()) {
        let Some(k) = slot else {
            // The hyphen of a taken hyphenation point, right after its word.
            if let Some((h, style)) = hyphen {
                if let Some(st) = par.flat.styles.get(style as usize) {
                    push_glyphs(
                        &mut line,
                        st.size,
                        st.rise,
                        pen,
                        h.glyphs
                            .iter()
                            .enumerate()
                            .map(|(k, g)| (g, h.glyph_text(k))),
                        0.0,
                    );
                    pen += h.width(0..h.glyphs.len()) as f64;
                }
            }
            continue;
        };
        let (Some(item), Some(content)) = (par.items.get(k), par.content.get(k)) else {
            continue;
        };
        match (item, content) {
            (
                _,
                Content::Piece {
                    word,
                    glyphs,
                    style,
                },
            ) => {
                let Some(st) = par.flat.styles.get(*style as usize) else {
                    continue;
                };
                let x_start = pen;
                push_glyphs(
                    &mut line,
                    st.size,
                    st.rise,
                    pen,
                    word.glyphs[glyphs.clone()]
                        .iter()
                        .enumerate()
                        .map(|(k, g)| (g, word.glyph_text(glyphs.start + k))),
                    tracking,
                );
                pen += word.width(glyphs.clone()) as f64 + tracking * glyphs.len() as f64;
                line.size = line.size.max(st.size as f32 / MPT as f32);
                if decorated {
                    if st.look.underline {
                        Stroke::reach(&mut underline, x_start, pen, st.size);
                    } else if let Some(s) = underline.take() {
                        line.rules.push(s.underline());
                    }
                    if st.look.mark {
                        Stroke::reach(&mut mark, x_start, pen, st.size);
                    } else if let Some(s) = mark.take() {
                        line.shades.push(s.shade());
                    }
                }
                if let Some(a) = st.anchor {
                    if let Some(seen) = seen_anchor.get_mut(a as usize) {
                        if !*seen {
                            *seen = true;
                            line.anchors.push((
                                a,
                                (x_start / MPT as f64) as f32,
                                -((st.size + st.rise) as f32) / MPT as f32,
                            ));
                        }
                    }
                }
                match st.link {
                    Some(l) => {
                        match last_link {
                            Some((pl, idx)) if pl == l => {
                                if let Some((r, _)) = line.links.get_mut(idx) {
                                    r.width = (pen / MPT as f64) as f32 - r.x;
                                }
                            }
                            _ => {
                                // The link's area is the face's box, ascender to
                                // descender: the box a reader paints as an EPUB link's
                                // background, over every glyph the face has.
                                let ascender = shaper.ascender(st.face, st.size);
                                let descender = shaper.descender(st.face, st.size);
                                let x = (x_start / MPT as f64) as f32;
                                line.links.push((
                                    Rect {
                                        x,
                                        y: -((st.rise + ascender) as f32) / MPT as f32,
                                        width: ((pen - x_start) / MPT as f64) as f32,
                                        height: (ascender + descender) as f32 / MPT as f32,
                                    },
                                    l,
                                ));
                                last_link = Some((l, line.links.len() - 1));
                            }
                        }
                    }
                    None => last_link = None,
                }
            }
            (
                Item::Glue {
                    width,
                    stretch,
                    shrink,
                    fill,
                },
                content,
            ) => {
                let set = if *fill {
                    *width as f64
                } else if ratio >= 0.0 {
                    *width as f64 + *stretch as f64 * ratio
                } else {
                    *width as f64 + *shrink as f64 * ratio
                };
                pen += set;
                // A space glyph whose advance is the set glue, in the run before it; when
                // the face changes at the space, the gap widens the previous glyph instead.
                let advance = (set / MPT as f64) as f32;
                // After a run in a fallback face, the space starts a run of its own face:
                // a real space between two runs of symbols or CJK keeps text extraction
                // from joining their words.
                let after_fallback = match (line.runs.last(), content) {
                    (Some(run), Content::Space { face, glyph }) if !run.face.is_book() => {
                        Some((*face, *glyph, run.size, run.y))
                    }
                    _ => None,
                };
                if let Some((face, glyph, size, y)) = after_fallback {
                    line.runs.push(GlyphRun {
                        face,
                        size,
                        x: ((pen - set) / MPT as f64) as f32,
                        y,
                        glyphs: vec![Glyph {
                            id: glyph,
                            advance,
                            text: " ".into(),
                            raise: 0,
                        }]
                        .into(),
                    });
                } else if let Some(run) = line.runs.last_mut() {
                    match content {
                        Content::Space { face, glyph } if *face == run.face => {
                            run.glyphs.make_mut().push(Glyph {
                                id: *glyph,
                                advance,
                                text: " ".into(),
                                raise: 0,
                            })
                        }
                        _ => {
                            if let Some(g) = run.glyphs.make_mut().last_mut() {
                                g.advance += advance;
                            }
                        }
                    }
                }
            }
            (Item::Box { width, .. }, _) => pen += *width as f64,
            _ => {}
        }
    }
    if let Some(s) = underline {
        line.rules.push(s.underline());
    }
    if let Some(s) = mark {
        line.shades.push(s.shade());
    }
    // Runs grow glyph by glyph; without trimming, a long book keeps up to half again
    // its glyphs' memory as spare capacity until the end of typesetting.
    for run in &mut line.runs {
        run.glyphs.make_mut().shrink_to_fit();
    }
    line
}

/// A rise in milli-points as [`Glyph::raise`], 1/64 pt.
pub fn raise_64ths(rise: i32) -> i16 {
    let r = i64::from(rise) * 64 / MPT;
    i16::try_from(r).unwrap_or(if r < 0 { i16::MIN } else { i16::MAX })
}

/// The items `range` of a line (and `None` for its hyphen, after the last) in the order
/// they are drawn, left to right. Items are built in logical order; where the paragraph
/// has right-to-left text, each line is reordered by UAX #9 rule L2: from the highest
/// embedding level on the line down to the lowest odd one, every maximal stretch of
/// items at that level or higher is reversed (a right-to-left word's glyphs are already
/// in visual order, from the shaper). Rule L1 needs nothing here: the spaces at a
/// line's end are the break, and are not drawn.
fn visual_order(
    par: &Paragraph,
    range: std::ops::Range<usize>,
    hyphen: bool,
) -> Vec<Option<usize>> {
    let mut order: Vec<Option<usize>> = range.clone().map(Some).collect();
    if hyphen {
        order.push(None);
    }
    if par.levels.is_empty() {
        return order;
    }
    let base = u8::from(par.flat.base_rtl());
    let level = |slot: &Option<usize>, last: u8| match slot {
        Some(k) => par.levels.get(*k).copied().unwrap_or(base),
        None => last,
    };
    // The hyphen takes the level of the word it ends.
    let last_piece = range
        .clone()
        .rev()
        .find(|&k| matches!(par.content.get(k), Some(Content::Piece { .. })))
        .and_then(|k| par.levels.get(k).copied())
        .unwrap_or(base);
    let levels: Vec<u8> = order.iter().map(|s| level(s, last_piece)).collect();
    let (Some(&max), Some(&min)) = (levels.iter().max(), levels.iter().min()) else {
        return order;
    };
    let lowest_odd = min | 1;
    let mut paired: Vec<(Option<usize>, u8)> = order.into_iter().zip(levels).collect();
    for at in (lowest_odd..=max).rev() {
        let mut i = 0;
        while i < paired.len() {
            if paired[i].1 < at {
                i += 1;
                continue;
            }
            let start = i;
            while i < paired.len() && paired[i].1 >= at {
                i += 1;
            }
            paired[start..i].reverse();
        }
    }
    paired.into_iter().map(|(slot, _)| slot).collect()
}

/// Appends glyphs (each with its face: a word's glyphs are in its book face, or a
/// fallback face for clusters that face lacks) at `pen`, starting a new run where the
/// face, size or baseline changes.
fn push_glyphs<'a>(
    line: &mut SetLine,
    size: i64,
    rise: i64,
    pen: f64,
    glyphs: impl Iterator<Item = (&'a ShapedGlyph, &'a str)>,
    tracking: f64,
) {
    let size_pt = size as f32 / MPT as f32;
    let y = -(rise as f32) / MPT as f32;
    let mut pen = pen;
    let mut glyphs = glyphs.peekable();
    while let Some(&(first, _)) = glyphs.peek() {
        // One run per stretch of glyphs in one face (a word's glyphs are all in its own
        // face unless fallback gave some clusters another).
        let face = first.face;
        let same = line
            .runs
            .last()
            .is_some_and(|r| r.face == face && r.size == size_pt && r.y == y);
        if !same {
            line.runs.push(GlyphRun {
                face,
                size: size_pt,
                x: (pen / MPT as f64) as f32,
                y,
                glyphs: Default::default(),
            });
        }
        let Some(run) = line.runs.last_mut() else {
            return;
        };
        let run = run.glyphs.make_mut();
        while let Some((g, text)) = glyphs.next_if(|(g, _)| g.face == face) {
            let advance = g.advance as f64 + tracking;
            run.push(Glyph {
                id: g.id,
                advance: (advance / MPT as f64) as f32,
                text: text.into(),
                raise: raise_64ths(g.rise),
            });
            pen += advance;
        }
    }
}
