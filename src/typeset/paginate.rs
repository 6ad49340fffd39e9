//! Strips (lines, headings, rules, images) → pages, ragged bottom, with Typst's `need`
//! rule for widows, orphans and headings (typst-layout `flow/collect.rs`): a strip
//! needing `n` strips moves to the next page when those `n` do not fit on this one but
//! would on a fresh page. Running heads and folios are added last, over the finished pages.
//!
//! What a page carries at its foot (footnotes: footnotes.rs) is weighed with the body, as
//! TeX's page builder weighs insertions (TeXbook ch. 15, tex.web §1008–1010): every test
//! of whether strips fit asks the [`Foot`] whether they fit *with the notes they bring*,
//! before anything is placed, so strips that move to the next page take their notes with
//! them, and the widow, orphan and heading needs are kept with notes in play.

use crate::pagemap::{Flow, Position};
use crate::typeset::document::{Destination, GlyphRun, Page, PlacedImage, Rect};
use crate::typeset::items::{AnchorKey, LinkRef};
use crate::typeset::style::Style;
use std::collections::BTreeMap;

/// A horizontal slice of the text block that is never split across pages.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Strip {
    /// Space above it, dropped at the top of a page.
    pub space_before: f32,
    /// Its height.
    pub height: f32,
    /// How many strips, from this one on, must share its page (1: only itself).
    pub need: usize,
    /// Keep with the next strip (headings): `need` then spans into the next block.
    pub keep_with_next: bool,
    /// Start a new page before it.
    pub new_page: bool,
    /// A running head that takes effect here (chapter title).
    pub mark: Option<String>,
    /// Baseline of its first line, from its top (for list markers).
    pub baseline: f32,
    /// Glyph runs: x on the page, y from the strip's top.
    pub runs: Vec<GlyphRun>,
    /// Rules, same coordinates.
    pub rules: Vec<Rect>,
    /// Light backgrounds (marked text), same coordinates.
    pub shades: Vec<Rect>,
    /// Images, same coordinates.
    pub images: Vec<PlacedImage>,
    /// Link areas, same coordinates.
    pub links: Vec<(Rect, LinkRef)>,
    /// Destinations, same coordinates.
    pub anchors: Vec<(AnchorKey, f32, f32)>,
    /// The block of the book it sets (see `pagemap`), when it sets one: where a page it
    /// begins begins in the EPUB (issue 17).
    pub block: Option<BlockRef>,
    /// Bytes of its block's flattened text before its first line (0 for strips that are
    /// not a line of text: the block's start).
    pub text_at: u32,
}

/// A block of the book: its flow and path (see `pagemap`), shared by its strips.
pub type BlockRef = std::sync::Arc<(Flow, Vec<u32>)>;

/// Pages with link targets still symbolic.
#[derive(Debug, Default)]
pub struct Paginated {
    /// The pages (links not yet filled in).
    pub pages: Vec<Page>,
    /// Every link: page, area, target.
    pub links: Vec<(usize, Rect, LinkRef)>,
    /// Every destination.
    pub anchors: BTreeMap<AnchorKey, Destination>,
    /// The running head of each page (the mark in force at its top).
    pub marks: Vec<Option<String>>,
    /// Where each page's first strip of the book's text begins (`None`: a page of notes
    /// continued, with no text of its own).
    pub starts: Vec<Option<Position>>,
    /// Each page's folio, printed or not (blind folios too: the title page is "i" or
    /// "1"); set with the folios (`front_matter::finish`), for the EPUB's page list.
    pub labels: Vec<String>,
}

/// Where `strip` begins in the book, if it sets a block of it.
fn position(strip: &Strip) -> Option<Position> {
    strip.block.as_ref().map(|b| Position {
        flow: b.0,
        path: b.1.clone(),
        offset: strip.text_at,
    })
}

/// Resolves heading chains: a strip kept with the next needs itself plus what the next
/// needs (a heading + the two first lines of its paragraph).
///
/// The last line of a heading also keeps at least the two strips after it, even when the
/// paragraph that follows has a single line: a heading at a page foot over one line of
/// text is as stranded as over none (LaTeX's `\@afterheading` asks two lines of the
/// first paragraph; a one-line paragraph then lets the page break right after it).
pub fn resolve_needs(strips: &mut [Strip]) {
    for i in (0..strips.len()).rev() {
        if strips[i].keep_with_next {
            let next = strips.get(i + 1).map_or(0, |s| s.need);
            let floor = match strips.get(i + 1) {
                Some(s) if !s.keep_with_next => 2.min(strips.len() - i - 1),
                _ => 0,
            };
            strips[i].need = strips[i].need.max(1 + next.max(floor));
        }
    }
}

/// Rounding slack when testing whether strips fit, in points.
pub(crate) const SLACK: f32 = 0.01;

/// Material the page builder sets at the foot of a page together with the body (the
/// footnotes, footnotes.rs): it answers whether strips fit with what they bring to the
/// foot, hears which strips were placed, and sets a page's foot when the page is done.
/// Strips are named by their index in the body's list.
pub trait Foot {
    /// Whether strips `i..end` fit, the body then taking `used` of the text block's
    /// `avail` points, together with the page's foot and what these strips add to it.
    fn fits(&self, i: usize, end: usize, used: f32, avail: f32, test: Test) -> bool;
    /// Whether strips `i..end`, `height` points tall, cannot start this page, its body
    /// still empty, though they could start a page with nothing carried over to it (a
    /// note continued from before must end first): the page is set with its foot only.
    fn blocks(&self, i: usize, end: usize, height: f32, avail: f32) -> bool;
    /// Strip `i` is placed on the page; the body is now `used` points tall.
    fn placed(&mut self, i: usize, used: f32);
    /// Whether the page can take no more strips (a note split on it has the rest).
    fn is_full(&self) -> bool;
    /// The page `index` is done, its body `used` points tall: sets its foot.
    fn finish(&mut self, page: &mut Page, index: usize, used: f32, out: &mut Paginated);
    /// Whether material is still waiting for a page after the last strip.
    fn pending(&self) -> bool;
}

/// Where [`Foot::fits`] tests strips.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Test {
    /// On this page, as the start of a chain (a strip and the strips it needs).
    Here,
    /// On an empty page with nothing carried over to it.
    Fresh,
    /// On this page, completing a chain already found to fit: notes its strips brought
    /// may give up all but their first lines (a split) to keep the chain whole.
    Rest,
}

/// Nothing at the page foot (endnotes): strips fit when the body does.
pub struct NoFoot;

impl Foot for NoFoot {
    fn fits(&self, _: usize, _: usize, used: f32, avail: f32, _: Test) -> bool {
        used <= avail + SLACK
    }
    fn blocks(&self, _: usize, _: usize, _: f32, _: f32) -> bool {
        false
    }
    fn placed(&mut self, _: usize, _: f32) {}
    fn is_full(&self) -> bool {
        false
    }
    fn finish(&mut self, _: &mut Page, _: usize, _: f32, _: &mut Paginated) {}
    fn pending(&self) -> bool {
        false
    }
}

/// How many strips, from `i` on, must share a page: `need` taken transitively. A strip
/// drags along the strips it needs, and they drag along what *they* need: a paragraph's
/// first line needs its second, and a second line ending in a hyphen needs the third, so
/// the first line needs three; taking only its own `need` left the first line alone at
/// the page foot whenever the second moved over for its hyphen (an orphan). Bounded by
/// what fits on a fresh page (`avail`): when the whole chain cannot, the strip's own
/// `need` is all that can be kept.
pub(crate) fn extent(strips: &[Strip], i: usize, avail: f32) -> usize {
    let own = strips[i].need.max(1);
    let mut end = (i + own).min(strips.len());
    let mut j = i + 1;
    while j < end {
        end = end.max((j + strips[j].need.max(1)).min(strips.len()));
        j += 1;
    }
    if end - i > own && height(strips, i, end, true) > avail + SLACK {
        own
    } else {
        end - i
    }
}

/// Height of strips `i..end` placed together, the first without its space on a fresh page.
pub(crate) fn height(strips: &[Strip], i: usize, end: usize, fresh: bool) -> f32 {
    strips[i..end.min(strips.len())]
        .iter()
        .enumerate()
        .map(|(k, s)| {
            if k == 0 && fresh {
                s.height
            } else {
                s.space_before + s.height
            }
        })
        .sum()
}

/// Lays `strips` onto pages of `style`. The strips are taken by value: their glyph runs
/// move onto the pages instead of being copied (on a long book the runs are most of the
/// typesetter's memory, and two copies of them were its peak).
pub fn paginate(strips: Vec<Strip>, style: &Style) -> Paginated {
    paginate_with(strips, style, &mut NoFoot)
}

/// [`paginate`] with `foot` set at the foot of the pages (footnotes).
pub fn paginate_with<F: Foot>(mut strips: Vec<Strip>, style: &Style, foot: &mut F) -> Paginated {
    let top = style.margin_top;
    let avail = style.body_height();
    let mut out = Paginated::default();
    let mut page = Page::default();
    let mut y = 0.0f32; // used height on the current page
    let mut empty = true;
    let mut mark: Option<String> = None;
    let mut page_mark: Option<String> = None;
    // Strips before this index were placed as part of an earlier strip's chain, which
    // was tested as a whole: they do not test their own (a chain longer than a page falls
    // back to its first strip's own need, and its later strips must not then break it).
    let mut committed = 0usize;
    // Where the current page begins (its first strip that sets a block).
    let mut start: Option<Position> = None;
    for i in 0..strips.len() {
        let mut new_page = !empty && strips[i].new_page;
        if !empty && !new_page {
            let strip = &strips[i];
            let needed_fits_fresh = i >= committed && {
                let end = i + extent(&strips, i, avail);
                let need = height(&strips, i, end, false);
                // Heights are f32 sums (leadings like 20.125 pt are inexact), so compare
                // with a slack: otherwise a chain that exactly fills the page can test as
                // not fitting for its first line yet fitting line by line (an orphan).
                !foot.fits(i, end, y + need, avail, Test::Here)
                    && foot.fits(i, end, height(&strips, i, end, true), avail, Test::Fresh)
            };
            let test = if i >= committed {
                Test::Here
            } else {
                Test::Rest
            };
            let used = y + strip.space_before + strip.height;
            new_page = needed_fits_fresh
                || !foot.fits(i, i + 1, used, avail, test)
                // A note split on this page took the room left after its chain.
                || (i >= committed && foot.is_full());
        }
        if i >= committed || new_page {
            committed = i + extent(&strips, i, avail);
        }
        if new_page {
            foot.finish(&mut page, out.pages.len(), y, &mut out);
            out.pages.push(std::mem::take(&mut page));
            out.marks.push(page_mark.take());
            out.starts.push(start.take());
            y = 0.0;
            empty = true;
        }
        // A page whose foot cannot take this chain's notes besides a note continued from
        // the page before is set with its foot only.
        while empty && foot.blocks(i, committed, height(&strips, i, committed, true), avail) {
            foot.finish(&mut page, out.pages.len(), 0.0, &mut out);
            out.pages.push(std::mem::take(&mut page));
            out.marks.push(mark.clone());
            out.starts.push(None);
        }
        // Only strips `i..` are looked at again (by `chain`, for their heights), so this
        // one's contents can move out.
        let strip = &mut strips[i];
        if let Some(m) = strip.mark.take() {
            mark = Some(m);
        }
        if empty {
            page_mark = mark.clone();
        }
        if start.is_none() {
            start = position(strip);
        }
        let gap = if empty { 0.0 } else { strip.space_before };
        let index = out.pages.len();
        place(strip, &mut page, index, top + y + gap, &mut out);
        y += gap + strip.height;
        empty = false;
        foot.placed(i, y);
    }
    if !empty || out.pages.is_empty() {
        foot.finish(&mut page, out.pages.len(), y, &mut out);
        out.pages.push(page);
        out.marks.push(page_mark);
        out.starts.push(start);
    }
    // Notes still continuing after the last line of text get pages of their own.
    while foot.pending() {
        let mut page = Page::default();
        foot.finish(&mut page, out.pages.len(), 0.0, &mut out);
        out.pages.push(page);
        out.marks.push(mark.clone());
        out.starts.push(None);
    }
    out
}

/// Moves `strip`'s contents onto `page` (number `index`) with the strip's top at `y0`
/// from the page's top: runs and links move, destinations are recorded (the first place
/// a key is set wins).
pub(crate) fn place(
    strip: &mut Strip,
    page: &mut Page,
    index: usize,
    y0: f32,
    out: &mut Paginated,
) {
    for run in std::mem::take(&mut strip.runs) {
        page.runs.push(GlyphRun {
            y: run.y + y0,
            ..run
        });
    }
    for r in &strip.rules {
        page.rules.push(Rect { y: r.y + y0, ..*r });
    }
    for r in &strip.shades {
        page.shades.push(Rect { y: r.y + y0, ..*r });
    }
    for img in &strip.images {
        page.images.push(PlacedImage {
            asset: img.asset,
            rect: Rect {
                y: img.rect.y + y0,
                ..img.rect
            },
        });
    }
    for (r, target) in std::mem::take(&mut strip.links) {
        out.links.push((index, Rect { y: r.y + y0, ..r }, target));
    }
    for (key, x, ay) in std::mem::take(&mut strip.anchors) {
        out.anchors.entry(key).or_insert(Destination {
            page: index,
            x,
            y: ay + y0,
        });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::Metadata;

    fn line(need: usize) -> Strip {
        Strip {
            height: 10.0,
            need,
            ..Default::default()
        }
    }

    /// Paragraphs of `n` lines with the widow/orphan needs layout gives them.
    fn para(n: usize) -> Vec<Strip> {
        (0..n)
            .map(|k| {
                let need = if n == 3 && k == 0 {
                    3
                } else if k == 0 || (n >= 2 && k == n - 2) {
                    2
                } else {
                    1
                };
                line(need.min(n - k))
            })
            .collect()
    }

    fn style(lines: f32) -> Style {
        let mut s = Style::from_meta(&Metadata::default());
        s.margin_top = 0.0;
        s.margin_bottom = s.page_height - lines * 10.0;
        s
    }

    fn page_sizes(strips: &[Strip], lines: f32) -> Vec<usize> {
        let p = paginate(strips.to_vec(), &style(lines));
        p.pages
            .iter()
            .map(|pg| pg.runs.len() + pg.rules.len())
            .collect()
    }

    fn marked(strips: Vec<Strip>) -> Vec<Strip> {
        // One rule per strip so the test can count strips per page.
        strips
            .into_iter()
            .map(|mut s| {
                s.rules.push(Rect::default());
                s
            })
            .collect()
    }

    #[test]
    fn no_orphan_no_widow() {
        // 9 lines then a 5-line paragraph on 10-line pages: line 10 would be an orphan.
        let mut s = para(9);
        s.extend(para(5));
        assert_eq!(page_sizes(&marked(s), 10.0), [9, 5]);
        // 6 + 5 on 10-line pages: 4 fit, but the last would be a widow: 3 + 2 instead.
        let mut s = para(6);
        s.extend(para(5));
        assert_eq!(page_sizes(&marked(s), 10.0), [9, 2]);
    }

    #[test]
    fn no_orphan_when_the_second_line_is_hyphenated() {
        // Line 2 of a 5-line paragraph ends in a hyphen, so it needs line 3: on a page
        // with room for two more lines, the first line must not stay there alone.
        let mut s = para(8);
        let mut p = para(5);
        p[1].need = 2;
        s.extend(p);
        assert_eq!(page_sizes(&marked(s), 10.0), [8, 5]);
    }

    #[test]
    fn a_chain_longer_than_a_page_keeps_only_its_own_need() {
        // Every line needs the next: the transitive chain cannot fit any page, so each
        // line falls back to its own need instead of pushing everything to a new page.
        let mut s = para(4);
        s.extend((0..15).map(|_| line(2)));
        s.push(line(1));
        let sizes = page_sizes(&marked(s), 10.0);
        assert_eq!(sizes.iter().sum::<usize>(), 20, "{sizes:?}");
        assert!(
            sizes.len() <= 3 && sizes.iter().all(|&n| n >= 2),
            "{sizes:?}"
        );
    }

    #[test]
    fn heading_never_strands() {
        let mut s = para(8);
        let mut heading = line(1);
        heading.keep_with_next = true;
        s.push(heading);
        s.extend(para(6));
        resolve_needs(&mut s);
        // Heading at line 9 would leave one body line: it moves with two lines.
        assert_eq!(page_sizes(&marked(s), 10.0), [8, 7]);
    }

    #[test]
    fn heading_keeps_two_lines_even_over_a_one_line_paragraph() {
        let mut s = para(7);
        let mut heading = line(1);
        heading.keep_with_next = true;
        s.push(heading);
        s.extend(para(1));
        s.extend(para(6));
        resolve_needs(&mut s);
        // Heading at line 8 and its one-line paragraph at 9 fit, but the heading needs
        // two strips after it: the next paragraph's first line, which needs its second,
        // so the four move over together.
        assert_eq!(s[7].need, 3);
        assert_eq!(page_sizes(&marked(s), 10.0), [7, 8]);
    }

    #[test]
    fn forced_new_page_and_marks() {
        let mut s = para(2);
        let mut h = line(1);
        h.new_page = true;
        h.mark = Some("Two".into());
        s.push(h);
        let p = paginate(marked(s), &style(10.0));
        assert_eq!(p.pages.len(), 2);
        assert_eq!(p.marks, [None, Some("Two".to_string())]);
    }
}
