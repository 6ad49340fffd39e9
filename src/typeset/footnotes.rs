//! Notes at the foot of the page (`pdf: notes: footnotes`): the [`Foot`] the page builder
//! (paginate.rs) weighs with the body.
//!
//! The model is TeX's insertions (TeXbook ch. 15; tex.web §1008–1010), not Typst's
//! place-then-relayout: a note rides with the line that holds its reference, and every
//! test of whether strips fit on a page counts the notes they bring before anything is
//! placed. A line that moves to the next page therefore takes its note along, and a note
//! is never set on a page before its reference (typst#5314), never strands a widow
//! (typst#5376), and never leaves its reference alone on a page's last line.
//!
//! - **Fit.** Strips fit when the body, the rule's skip, the notes already on the page
//!   (whole) and the notes the strips bring fit the text block. The last of those may be
//!   split (below): at least its first two lines must then fit.
//! - **Split.** A note that does not fit whole is split, as TeX's `\vsplit` splits an
//!   insertion: it takes all the room left after the chain of lines holding its
//!   reference, and the page ends there (TeX's split insertion leaves no room for more
//!   text; its `\floatingpenalty` keeps a later reference off the page). The split falls
//!   between lines where the note's own widow and orphan needs allow it, with at least
//!   two lines on each side (Chicago and GPO 15.9: a note begins on its page and goes on
//!   at the foot of the next), and the rest is set first at the next page's foot, before
//!   that page's own notes, under the rule, with no number (LaTeX sets continuations so).
//! - **Several notes in a line** all start on its page (stricter than typst#5405).
//! - **A continuation** takes at most [`FootnoteDesign::max_share`] of the next page
//!   (TeX's `\dimen\footins`) while the body fills the rest; a continuation that does not
//!   end on a page keeps new references off it (they would have to start after it), and
//!   a page whose first line holds one is set with the continuation alone. A note taller
//!   than a page thus runs over as many pages as it needs; the typesetter warns.
//! - **Forced cases** (a line whose notes cannot start on even an empty page): the line
//!   is placed anyway (the page builder never moves a page's first line, so nothing
//!   loops), its notes split or wait, and the typesetter warns.
//!
//! The notes sit at the foot of the text block, their last line on its bottom, the space
//! a ragged page leaves falling between the text and the rule (what LaTeX's footmisc
//! `bottom` does): a note is looked for at the foot of the page.
//!
//! [`FootnoteDesign::max_share`]: crate::typeset::style::FootnoteDesign::max_share

use crate::typeset::document::{Page, Rect};
use crate::typeset::items::AnchorKey;
use crate::typeset::paginate::{place, Foot, Paginated, Strip, SLACK};
use crate::typeset::style::Style;

/// One note's strips and what the page builder needs to know of them.
struct Note {
    strips: Vec<Strip>,
    /// `tops[k]`: the height of strips `0..k` with their spaces before.
    tops: Vec<f32>,
    /// `reach[k]`: how far (exclusive) the needs of strips `0..k` reach: a split before
    /// strip `k` keeps every need when `reach[k] <= k`.
    reach: Vec<usize>,
}

impl Note {
    fn new(strips: Vec<Strip>) -> Note {
        let mut tops = Vec::with_capacity(strips.len() + 1);
        let mut reach = Vec::with_capacity(strips.len() + 1);
        let (mut top, mut far) = (0.0f32, 0usize);
        tops.push(top);
        reach.push(far);
        for (k, s) in strips.iter().enumerate() {
            top += s.space_before + s.height;
            far = far.max(k + s.need.max(1));
            tops.push(top);
            reach.push(far);
        }
        Note {
            strips,
            tops,
            reach,
        }
    }

    fn len(&self) -> usize {
        self.strips.len()
    }

    /// Height of strips `from..to` set together, without the first one's space (a part
    /// starts a page's foot or follows another note after the note gap).
    fn part(&self, from: usize, to: usize) -> f32 {
        let at = |k: usize| self.tops.get(k).copied().unwrap_or(0.0);
        let space = self.strips.get(from).map_or(0.0, |s| s.space_before);
        (at(to) - at(from) - space).max(0.0)
    }

    /// Whether the note may be split before strip `k`, a part starting at `from`: two
    /// lines at least on each side, and no strip's need cut.
    fn may_split(&self, from: usize, k: usize) -> bool {
        k >= from + 2 && k + 2 <= self.len() && self.reach.get(k).is_some_and(|&r| r <= k)
    }

    /// The smallest first part the note may be split to, or the whole note.
    fn min_part(&self) -> f32 {
        (1..self.len())
            .find(|&k| self.may_split(0, k))
            .map_or_else(|| self.part(0, self.len()), |k| self.part(0, k))
    }

    /// Where to end a part starting at `from` that must fit `room`: the most lines a
    /// split allowed by [`Self::may_split`] keeps; with `force`, at least one strip
    /// (whatever the needs) so a continuation always advances.
    fn split(&self, from: usize, room: f32, force: bool) -> Option<usize> {
        let fits = |k: usize| self.part(from, k) <= room + SLACK;
        (from + 1..self.len())
            .rev()
            .find(|&k| self.may_split(from, k) && fits(k))
            .or_else(|| {
                force.then(|| {
                    (from + 1..self.len())
                        .rev()
                        .find(|&k| fits(k))
                        .unwrap_or(from + 1)
                })
            })
    }
}

/// The footnotes of a book and the state of the page being filled.
pub struct Footnotes {
    notes: Vec<Note>,
    /// The notes each body strip brings, in order: those whose first reference it holds,
    /// each followed by the notes first referenced inside it.
    brings: Vec<Vec<u32>>,
    /// Design values in points.
    avail: f32,
    top: f32,
    left: f32,
    skip: f32,
    rule_y: f32,
    rule_width: f32,
    rule_thickness: f32,
    gap: f32,
    cap: f32,
    /// Notes (or the rest of one) continued from the page before: note and first strip.
    carry: Vec<(u32, usize)>,
    /// Height of the continued part reserved on this page.
    reserved: f32,
    /// Whether the continuation goes on past this page.
    open: bool,
    /// Notes whose references are on this page, in order.
    page: Vec<u32>,
    /// Height of the page's parts, notes counted whole except a split one, its first part.
    sum: f32,
    /// How many parts the page's foot has (the continuation counts as one).
    parts: usize,
    /// Whether a note was split on this page: it takes the room left.
    split: bool,
    /// Notes taller than any page can hold with their reference (warned about).
    pub long: Vec<u32>,
    /// Notes that could not start on their reference's page (warned about).
    pub late: Vec<u32>,
}

impl Footnotes {
    /// The footnotes `notes` (by note id) of a book whose body is `strips`, in `style`.
    pub fn new(notes: Vec<Vec<Strip>>, strips: &[Strip], style: &Style) -> Footnotes {
        let notes: Vec<Note> = notes.into_iter().map(Note::new).collect();
        let design = &style.footnotes;
        let note_leading = style.footnote_leading();
        let skip = style.leading * design.skip;
        let avail = style.body_height();
        // Each note goes with the first strip that references it; a note referenced
        // only inside another note goes with that note's strip, right after it.
        let mut seen = vec![false; notes.len()];
        let mut brings: Vec<Vec<u32>> = vec![Vec::new(); strips.len()];
        for (strip, list) in strips.iter().zip(brings.iter_mut()) {
            for (key, _, _) in &strip.anchors {
                if let AnchorKey::NoteRef(id, _) = key {
                    take(*id, &notes, &mut seen, list);
                }
            }
        }
        // A note with no reference in the body (none is known to occur) still appears:
        // at the foot of the last page.
        let rest: Vec<u32> = (0..notes.len() as u32)
            .filter(|&id| !seen.get(id as usize).copied().unwrap_or(true))
            .collect();
        let mut carry = Vec::new();
        for id in rest {
            match brings.last_mut() {
                Some(list) => take(id, &notes, &mut seen, list),
                None => carry.push((id, 0)),
            }
        }
        let long = notes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.part(0, n.len()) + skip + style.leading > avail + SLACK)
            .map(|(id, _)| id as u32)
            .collect();
        let mut feet = Footnotes {
            notes,
            brings,
            avail,
            top: style.margin_top,
            left: style.margin_left,
            skip,
            rule_y: skip - note_leading * design.rule_gap - design.rule_thickness / 2.0,
            rule_width: style.measure() * design.rule_width,
            rule_thickness: design.rule_thickness,
            gap: note_leading * design.gap,
            cap: avail * design.max_share,
            carry,
            reserved: 0.0,
            open: false,
            page: Vec::new(),
            sum: 0.0,
            parts: 0,
            split: false,
            long,
            late: Vec::new(),
        };
        feet.reserve();
        feet
    }

    fn full(&self, id: u32) -> f32 {
        self.notes
            .get(id as usize)
            .map_or(0.0, |n| n.part(0, n.len()))
    }

    fn min_part(&self, id: u32) -> f32 {
        self.notes.get(id as usize).map_or(0.0, Note::min_part)
    }

    /// Height of a foot of `parts` parts `sum` tall: the skip with the rule, the parts,
    /// and the gaps between them.
    fn area(&self, parts: usize, sum: f32) -> f32 {
        if parts == 0 {
            0.0
        } else {
            self.skip + sum + self.gap * (parts - 1) as f32
        }
    }

    /// Lays out the continuation for the next page: how much of it the page keeps for it
    /// (at most the cap, TeX's `\dimen\footins`), and whether it goes on after.
    fn reserve(&mut self) {
        self.page.clear();
        self.split = false;
        let room = self.cap - self.skip;
        let (placed, rest) = self.fill(&self.carry, room, true);
        self.reserved = self.set_height(&placed);
        self.open = !rest.is_empty();
        self.parts = usize::from(!self.carry.is_empty());
        self.sum = self.reserved;
    }

    /// Height of parts set one under the other.
    fn set_height(&self, parts: &[(u32, usize, usize)]) -> f32 {
        let sum: f32 = parts
            .iter()
            .map(|&(id, from, to)| {
                self.notes
                    .get(id as usize)
                    .map_or(0.0, |n| n.part(from, to))
            })
            .sum();
        sum + self.gap * parts.len().saturating_sub(1) as f32
    }

    /// Sets `queue` (note, first strip) one under the other in `room`: the parts that fit
    /// (note, from, to) and what is left (the first of it perhaps split). The first part
    /// advances by a strip at least when `force` (a continuation).
    #[allow(clippy::type_complexity)]
    fn fill(
        &self,
        queue: &[(u32, usize)],
        room: f32,
        force: bool,
    ) -> (Vec<(u32, usize, usize)>, Vec<(u32, usize)>) {
        let mut placed = Vec::new();
        let mut used = 0.0f32;
        for (k, &(id, from)) in queue.iter().enumerate() {
            let Some(note) = self.notes.get(id as usize) else {
                continue;
            };
            let gap = if placed.is_empty() { 0.0 } else { self.gap };
            let whole = note.part(from, note.len());
            if used + gap + whole <= room + SLACK {
                placed.push((id, from, note.len()));
                used += gap + whole;
                continue;
            }
            let force = force && placed.is_empty();
            let mut rest: Vec<(u32, usize)> = Vec::new();
            match note.split(from, room - used - gap, force) {
                Some(to) => {
                    placed.push((id, from, to));
                    rest.push((id, to));
                }
                None => rest.push((id, from)),
            }
            rest.extend(queue.iter().skip(k + 1).copied());
            return (placed, rest);
        }
        (placed, Vec::new())
    }

    /// The notes strips `i..end` bring.
    fn brought(&self, i: usize, end: usize) -> impl Iterator<Item = u32> + '_ {
        self.brings
            .get(i..end.min(self.brings.len()))
            .unwrap_or(&[])
            .iter()
            .flatten()
            .copied()
    }
}

/// Appends note `id` to `list` unless already taken, then the notes first referenced in
/// it (breadth first, so no recursion however deep notes nest).
fn take(id: u32, notes: &[Note], seen: &mut [bool], list: &mut Vec<u32>) {
    let start = list.len();
    let mut visit = |id: u32, list: &mut Vec<u32>| {
        if let Some(s) = seen.get_mut(id as usize) {
            if !*s {
                *s = true;
                list.push(id);
            }
        }
    };
    visit(id, list);
    let mut k = start;
    while let Some(&n) = list.get(k) {
        for strip in notes.get(n as usize).map_or(&[][..], |n| &n.strips) {
            for (key, _, _) in &strip.anchors {
                if let AnchorKey::NoteRef(inner, _) = key {
                    visit(*inner, list);
                }
            }
        }
        k += 1;
    }
}

impl Foot for Footnotes {
    fn fits(&self, i: usize, end: usize, used: f32, avail: f32, fresh: bool) -> bool {
        let (mut parts, mut sum) = if fresh {
            (0, 0.0)
        } else {
            (self.parts, self.sum)
        };
        let mut last = None;
        for id in self.brought(i, end) {
            parts += 1;
            sum += self.full(id);
            last = Some(id);
        }
        let Some(last) = last else {
            return used + self.area(parts, sum) <= avail + SLACK;
        };
        // A new note cannot follow a split one, nor a continuation that goes on.
        if !fresh && (self.open || self.split) {
            return false;
        }
        used + self.area(parts, sum) <= avail + SLACK
            || used + self.area(parts, sum - self.full(last) + self.min_part(last)) <= avail + SLACK
    }

    fn blocks(&self, i: usize, end: usize) -> bool {
        self.open && self.brought(i, end).next().is_some()
    }

    fn placed(&mut self, i: usize, used: f32) {
        let Some(list) = self.brings.get(i) else {
            return;
        };
        if list.is_empty() {
            return;
        }
        for &id in list {
            self.page.push(id);
            self.parts += 1;
            self.sum += self.full(id);
        }
        // The last note does not fit whole: it will be split and take the room left.
        if let Some(&last) = self.page.last() {
            if used + self.area(self.parts, self.sum) > self.avail + SLACK {
                let min = self.min_part(last);
                self.sum += min - self.full(last);
                self.split = true;
            }
        }
    }

    fn is_full(&self) -> bool {
        self.split
    }

    fn finish(&mut self, page: &mut Page, index: usize, used: f32, out: &mut Paginated) {
        let mut queue = std::mem::take(&mut self.carry);
        let waiting = queue.len();
        queue.extend(self.page.iter().map(|&id| (id, 0)));
        let room = self.avail - used - self.skip;
        let (placed, rest) = self.fill(&queue, room, waiting > 0);
        // Notes of this page's references that must wait for the next page.
        let fresh = &queue[waiting..];
        for &(id, from) in &rest {
            if from == 0 && fresh.iter().any(|&(f, _)| f == id) {
                self.late.push(id);
            }
        }
        self.carry = rest;
        if !placed.is_empty() {
            let height = self.skip + self.set_height(&placed);
            // The foot's last line on the text block's bottom; never over the body.
            let area_top = (self.top + self.avail - height).max(self.top + used);
            page.rules.push(Rect {
                x: self.left,
                y: area_top + self.rule_y,
                width: self.rule_width,
                height: self.rule_thickness,
            });
            let mut y = area_top + self.skip;
            for (k, &(id, from, to)) in placed.iter().enumerate() {
                if k > 0 {
                    y += self.gap;
                }
                let Some(note) = self.notes.get_mut(id as usize) else {
                    continue;
                };
                for (s, strip) in note.strips.iter_mut().enumerate().take(to).skip(from) {
                    if s > from {
                        y += strip.space_before;
                    }
                    place(strip, page, index, y, out);
                    y += strip.height;
                }
            }
        }
        self.reserve();
    }

    fn pending(&self) -> bool {
        !self.carry.is_empty()
    }
}
