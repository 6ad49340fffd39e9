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
use crate::typeset::paginate::{place, Foot, Paginated, Strip, Test, SLACK};
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

/// Strips `from..to` of a note: what a page's foot holds of it.
type Part = (u32, usize, usize);

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
    fn set_height(&self, parts: &[Part]) -> f32 {
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
    /// and what is left (the first of it perhaps split). The first part advances by a
    /// strip at least when `force` (a continuation).
    fn fill(
        &self,
        queue: &[(u32, usize)],
        room: f32,
        force: bool,
    ) -> (Vec<Part>, Vec<(u32, usize)>) {
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
    fn fits(&self, i: usize, end: usize, used: f32, avail: f32, test: Test) -> bool {
        let fresh = test == Test::Fresh;
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
            if used + self.area(parts, sum) <= avail + SLACK {
                return true;
            }
            // The rest of a chain whose note was found to need splitting: the note
            // gives up all but its first lines, and the page ends after the chain.
            return test == Test::Rest
                && !self.split
                && self.page.last().is_some_and(|&id| {
                    used + self.area(parts, sum - self.full(id) + self.min_part(id))
                        <= avail + SLACK
                });
        };
        // A new note cannot follow a split one, nor a continuation that goes on.
        if !fresh && (self.open || self.split) {
            return false;
        }
        used + self.area(parts, sum) <= avail + SLACK
            || used + self.area(parts, sum - self.full(last) + self.min_part(last)) <= avail + SLACK
    }

    fn blocks(&self, i: usize, end: usize, height: f32, avail: f32) -> bool {
        // With no continuation, a page's first strip always stays (so nothing loops);
        // strips that bring no notes can share the page with any continuation.
        if self.carry.is_empty() || self.brought(i, end).next().is_none() {
            return false;
        }
        self.open
            || (!self.fits(i, end, height, avail, Test::Here)
                && self.fits(i, end, height, avail, Test::Fresh))
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::Metadata;
    use crate::typeset::document::Destination;
    use crate::typeset::paginate::{paginate_with, resolve_needs};
    use std::collections::BTreeMap;

    /// Body lines are 10 pt, note lines 8 pt; the skip above the notes is 10 pt and
    /// there is no gap between notes, so heights are easy to count.
    fn style(lines: f32) -> Style {
        let mut s = Style::from_meta(&Metadata::default());
        s.margin_top = 0.0;
        s.margin_bottom = s.page_height - lines * 10.0;
        s.leading = 10.0;
        s.footnotes.skip = 1.0;
        s.footnotes.gap = 0.0;
        s
    }

    /// The widow/orphan needs layout gives a paragraph's `k`-th of `n` lines.
    fn need(k: usize, n: usize) -> usize {
        let need = if n == 3 && k == 0 {
            3
        } else if k == 0 || (n >= 2 && k == n - 2) {
            2
        } else {
            1
        };
        need.min(n - k)
    }

    /// A book: body paragraphs (line counts), notes (line counts), and which body line
    /// (counted over all paragraphs) references which note.
    struct Book {
        paragraphs: Vec<usize>,
        notes: Vec<usize>,
        refs: Vec<(usize, u32)>,
        /// Body lines that are headings (kept with the next).
        headings: Vec<usize>,
        /// Notes made of two paragraphs: note, lines of the first.
        two_paragraphs: Vec<(usize, usize)>,
    }

    impl Book {
        fn body(&self) -> Vec<Strip> {
            let mut strips = Vec::new();
            for &n in &self.paragraphs {
                for k in 0..n {
                    let i = strips.len();
                    let mut s = Strip {
                        height: 10.0,
                        need: need(k, n),
                        keep_with_next: self.headings.contains(&i),
                        ..Default::default()
                    };
                    s.anchors.push((AnchorKey::Id(format!("b{i}")), 0.0, 0.0));
                    strips.push(s);
                }
            }
            for &(line, id) in &self.refs {
                if let Some(s) = strips.get_mut(line) {
                    s.anchors.push((AnchorKey::NoteRef(id, 0), 0.0, 0.0));
                }
            }
            resolve_needs(&mut strips);
            strips
        }

        fn notes(&self) -> Vec<Vec<Strip>> {
            self.notes
                .iter()
                .enumerate()
                .map(|(id, &n)| {
                    let first = self
                        .two_paragraphs
                        .iter()
                        .find(|&&(note, _)| note == id)
                        .map_or(0, |&(_, lines)| lines.min(n));
                    (0..n)
                        .map(|k| {
                            let need = if k < first {
                                need(k, first)
                            } else {
                                need(k - first, n - first)
                            };
                            let mut s = Strip {
                                height: 8.0,
                                need,
                                ..Default::default()
                            };
                            s.anchors
                                .push((AnchorKey::Id(format!("n{id}-{k}")), 0.0, 0.0));
                            s
                        })
                        .collect()
                })
                .collect()
        }

        fn set(&self, lines: f32) -> Set {
            let style = style(lines);
            let body = self.body();
            let needs = body.iter().map(|s| s.need).collect();
            let mut foot = Footnotes::new(self.notes(), &body, &style);
            let paged = paginate_with(body, &style, &mut foot);
            Set {
                anchors: paged.anchors,
                pages: paged.pages.len(),
                needs,
                late: foot.late,
                long: foot.long,
                avail: style.body_height(),
            }
        }
    }

    /// Where everything went.
    struct Set {
        anchors: BTreeMap<AnchorKey, Destination>,
        pages: usize,
        needs: Vec<usize>,
        late: Vec<u32>,
        long: Vec<u32>,
        avail: f32,
    }

    impl Set {
        fn at(&self, key: String) -> Destination {
            *self
                .anchors
                .get(&AnchorKey::Id(key.clone()))
                .unwrap_or_else(|| panic!("{key} not placed"))
        }
        fn line(&self, i: usize) -> Destination {
            self.at(format!("b{i}"))
        }
        fn note(&self, id: usize, k: usize) -> Destination {
            self.at(format!("n{id}-{k}"))
        }
        /// The pages of note `id`'s lines.
        fn note_pages(&self, book: &Book, id: usize) -> Vec<usize> {
            (0..book.notes[id]).map(|k| self.note(id, k).page).collect()
        }

        /// Every rule footnotes must keep, checked on `book`.
        fn check(&self, book: &Book) {
            let lines: usize = book.paragraphs.iter().sum();
            // Each note starts on its reference's page, then goes on page by page.
            let mut first_ref: BTreeMap<u32, usize> = BTreeMap::new();
            for &(line, id) in &book.refs {
                let e = first_ref.entry(id).or_insert(line);
                *e = (*e).min(line);
            }
            for (&id, &line) in &first_ref {
                let pages = self.note_pages(book, id as usize);
                if self.late.contains(&id) {
                    // Only when its line's notes fit no page.
                    let with: f32 = first_ref
                        .iter()
                        .filter(|(_, &l)| l == line)
                        .map(|(&n, _)| book.notes[n as usize] as f32 * 8.0)
                        .sum();
                    assert!(with + 20.0 > self.avail, "note {id} late: {:?}", book.notes);
                } else {
                    assert_eq!(pages[0], self.line(line).page, "note {id} off its page");
                }
                for w in pages.windows(2) {
                    assert!(w[1] == w[0] || w[1] == w[0] + 1, "note {id}: {pages:?}");
                }
                // A split keeps two lines on each side.
                let n = pages.len();
                for k in 1..n {
                    if pages[k] != pages[k - 1] {
                        let before = pages.iter().filter(|&&p| p == pages[k - 1]).count();
                        let after = pages.iter().filter(|&&p| p == pages[k]).count();
                        assert!(before >= 2 && after >= 2, "note {id}: {pages:?}");
                    }
                }
            }
            // No body need is broken (no widow, orphan or stranded heading), unless a
            // chain of lines that need each other fits no page with its notes (all whole
            // but the last, split after two lines).
            let full = |id: u32| book.notes[id as usize] as f32 * 8.0;
            let shapes: Vec<Note> = book.notes().into_iter().map(Note::new).collect();
            let min = |id: u32| shapes[id as usize].min_part();
            let mut skip = vec![false; lines];
            for i in 0..lines {
                let mut end = i + self.needs[i];
                let mut j = i;
                while j < end.min(lines) {
                    end = end.max(j + self.needs[j]);
                    j += 1;
                }
                let end = end.min(lines);
                let brought: Vec<u32> = first_ref
                    .iter()
                    .filter(|(_, &l)| (i..end).contains(&l))
                    .map(|(&id, _)| id)
                    .collect();
                let notes = match brought.split_last() {
                    Some((&last, rest)) => {
                        10.0 + rest.iter().map(|&id| full(id)).sum::<f32>() + min(last)
                    }
                    None => 0.0,
                };
                if (end - i) as f32 * 10.0 + notes > self.avail {
                    skip[i..end].iter_mut().for_each(|s| *s = true);
                }
            }
            for (i, &skip) in skip.iter().enumerate() {
                let end = (i + self.needs[i]).min(lines);
                if skip {
                    continue;
                }
                for j in i..end {
                    assert_eq!(
                        self.line(i).page,
                        self.line(j).page,
                        "line {i} needs {j} on its page"
                    );
                }
            }
            // Body and notes do not overlap, and the notes end on the text block's foot;
            // a continued note comes first in its page's foot.
            for page in 0..self.pages {
                let body_bottom = (0..lines)
                    .map(|i| self.line(i))
                    .filter(|d| d.page == page)
                    .map(|d| d.y + 10.0)
                    .fold(0.0f32, f32::max);
                let mut notes: Vec<(f32, usize, usize)> = Vec::new();
                for (id, &n) in book.notes.iter().enumerate() {
                    for k in 0..n {
                        let d = self.note(id, k);
                        if d.page == page {
                            notes.push((d.y, id, k));
                        }
                    }
                }
                notes.sort_by(|a, b| a.0.total_cmp(&b.0));
                if let (Some(first), Some(last)) = (notes.first(), notes.last()) {
                    assert!(
                        body_bottom + 10.0 <= first.0 + SLACK,
                        "page {page} overlaps"
                    );
                    assert!(
                        (last.0 + 8.0 - self.avail).abs() < SLACK,
                        "page {page} foot"
                    );
                    for w in notes.windows(2) {
                        let ((_, a, ka), (_, b, kb)) = (w[0], w[1]);
                        assert!(a < b || (a == b && kb == ka + 1), "page {page}: {notes:?}");
                    }
                    // Only the first note part may be a continuation.
                    for &(_, id, k) in notes.iter().skip(1) {
                        assert!(
                            k == 0 || notes.iter().any(|&(_, i2, k2)| i2 == id && k2 + 1 == k),
                            "page {page}: {notes:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_note_goes_to_the_page_of_its_reference() {
        let book = Book {
            paragraphs: vec![30],
            notes: vec![2, 2],
            refs: vec![(4, 0), (14, 1)],
            headings: vec![],
            two_paragraphs: vec![],
        };
        let set = book.set(10.0);
        set.check(&book);
        assert_eq!(set.note(0, 0).page, set.line(4).page);
        assert_eq!(set.note(1, 0).page, set.line(14).page);
        // The page with note 0 has room for 10 lines less the skip and two note lines.
        assert_eq!(set.line(6).page, 0);
        assert_eq!(set.line(7).page, 1);
    }

    /// typst#5603: a reference on what would be the page's last line never leaves its
    /// note to the next page alone: the line goes over with it.
    #[test]
    fn a_reference_on_the_last_line_moves_with_its_note() {
        // Without the note, lines 0..9 fill page 0. The note (three lines, not split)
        // needs 10 + 24 points: line 9 cannot keep it there.
        let book = Book {
            paragraphs: vec![30],
            notes: vec![3],
            refs: vec![(9, 0)],
            headings: vec![],
            two_paragraphs: vec![],
        };
        let set = book.set(10.0);
        set.check(&book);
        assert_eq!(set.line(9).page, 1);
        assert_eq!(set.note_pages(&book, 0), [1, 1, 1]);
    }

    /// typst#5376: notes near a page end do not push a paragraph's last line alone onto
    /// the next page: the lines that move take what they need.
    #[test]
    fn notes_make_no_widow() {
        let book = Book {
            paragraphs: vec![4; 5],
            notes: vec![2; 5],
            refs: (0..5).map(|p| (p * 4 + 3, p as u32)).collect(),
            headings: vec![],
            two_paragraphs: vec![],
        };
        for lines in 8..16 {
            book.set(lines as f32).check(&book);
        }
    }

    /// typst#5314: a heading with a note (or over a line with one), pushed to the next
    /// page by its keep, takes the note along.
    #[test]
    fn a_heading_moves_with_its_note() {
        for (lines, line) in [(10.0, 7), (10.0, 8), (12.0, 7)] {
            let book = Book {
                paragraphs: vec![7, 1, 6],
                notes: vec![2, 2],
                refs: vec![(7, 0), (line, 1)],
                headings: vec![7],
                two_paragraphs: vec![],
            };
            let set = book.set(lines);
            set.check(&book);
            assert_eq!(set.note(0, 0).page, set.line(7).page);
            assert_eq!(
                set.line(7).page,
                set.line(9).page,
                "the heading keeps two lines"
            );
        }
    }

    #[test]
    fn a_note_that_does_not_fit_is_split_and_continued() {
        // Note 0 (20 lines, 160 pt) on a 20-line page from line 5: it takes the room left
        // after its line (130 pt: 16 lines), the rest first at the next page's foot,
        // before note 1.
        let book = Book {
            paragraphs: vec![40],
            notes: vec![20, 2],
            refs: vec![(5, 0), (15, 1)],
            headings: vec![],
            two_paragraphs: vec![],
        };
        let set = book.set(20.0);
        set.check(&book);
        let pages = set.note_pages(&book, 0);
        assert_eq!(pages, [[0; 16].as_slice(), &[1; 4]].concat());
        // The page ends after the reference's line: the note has the rest.
        assert_eq!(set.line(5).page, 0);
        assert_eq!(set.line(6).page, 1);
        assert_eq!(set.line(15).page, 1);
        assert_eq!(set.note(1, 0).page, 1);
        assert!(set.note(0, 19).y < set.note(1, 0).y);
        assert!(set.late.is_empty() && set.long.is_empty());
    }

    #[test]
    fn a_split_keeps_two_lines_of_a_note_on_each_side() {
        // Note 0 is a one-line paragraph and a six-line one: a split after its first
        // line keeps every need but leaves one line alone. With room for one note line
        // after line 17, the line goes to the next page with its note instead.
        let book = Book {
            paragraphs: vec![40],
            notes: vec![7],
            refs: vec![(17, 0)],
            headings: vec![],
            two_paragraphs: vec![(0, 1)],
        };
        let set = book.set(20.0);
        set.check(&book);
        assert_eq!(set.line(17).page, 1);
        assert_eq!(set.note_pages(&book, 0), [1; 7]);
    }

    #[test]
    fn a_note_longer_than_a_page_runs_over_pages() {
        // 60 lines of note (480 pt) on 20-line pages (200 pt): several pages, each with
        // some text, and a warning.
        let book = Book {
            paragraphs: vec![80],
            notes: vec![60, 2],
            refs: vec![(3, 0), (10, 1)],
            headings: vec![],
            two_paragraphs: vec![],
        };
        let set = book.set(20.0);
        set.check(&book);
        let pages = set.note_pages(&book, 0);
        assert!(pages[59] >= 3, "{pages:?}");
        assert_eq!(set.long, [0]);
        // Note 1's reference waits until note 0 has ended.
        assert_eq!(set.note(1, 0).page, pages[59]);
    }

    #[test]
    fn ten_short_notes_on_a_page() {
        let book = Book {
            paragraphs: vec![3, 30],
            notes: vec![1; 10],
            refs: (0..10).map(|k| (k / 4, k as u32)).collect(),
            headings: vec![],
            two_paragraphs: vec![],
        };
        let set = book.set(30.0);
        set.check(&book);
        for id in 0..10 {
            assert_eq!(set.note(id, 0).page, 0);
        }
        // 30 lines less the skip and ten 8-pt notes (90 pt): 21 lines of text.
        assert_eq!(set.line(20).page, 0);
        assert_eq!(set.line(21).page, 1);
    }

    #[test]
    fn a_continuation_that_goes_on_keeps_a_page_with_a_reference_for_itself() {
        // Line 10, the first of page 1, references note 1 while note 0 still goes on:
        // page 1 carries note 0 alone and line 10 waits for page 2.
        let book = Book {
            paragraphs: vec![10, 10],
            notes: vec![40, 1],
            refs: vec![(8, 0), (10, 1)],
            headings: vec![],
            two_paragraphs: vec![],
        };
        let set = book.set(12.0);
        set.check(&book);
        assert!(set.line(10).page > set.note(0, 0).page + 1);
    }

    #[test]
    fn a_line_whose_notes_fit_no_page_is_set_and_warned_about() {
        // Two notes of 30 lines in one line, on 12-line pages: the first is split
        // over pages, the second cannot start on the line's page.
        let book = Book {
            paragraphs: vec![1, 5],
            notes: vec![30, 30],
            refs: vec![(0, 0), (0, 1)],
            headings: vec![],
            two_paragraphs: vec![],
        };
        let set = book.set(12.0);
        assert_eq!(set.late, [1]);
        assert_eq!(set.long, [0, 1]);
        assert_eq!(set.note(0, 0).page, 0);
        assert_eq!(set.note(1, 29).page, set.pages - 1);
    }

    /// Pseudo-random books: every rule holds on each.
    #[test]
    fn random_books_keep_every_rule() {
        let mut seed = 0x2545_f491_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..1000 {
            // Paragraphs of 1 to 9 lines; one in four a heading (one line kept with the
            // next two).
            let mut paragraphs = Vec::new();
            let mut headings = Vec::new();
            let mut lines = 0;
            for _ in 0..1 + next(12) {
                let n = if next(4) == 0 {
                    headings.push(lines);
                    1
                } else {
                    1 + next(9)
                };
                paragraphs.push(n);
                lines += n;
            }
            let notes: Vec<usize> = (0..next(8)).map(|_| 1 + next(14)).collect();
            // Notes are numbered in reading order.
            let mut at: Vec<usize> = (0..notes.len()).map(|_| next(lines)).collect();
            at.sort_unstable();
            let refs = at.into_iter().zip(0..).collect();
            // One note in three of two paragraphs or more lines.
            let mut two_paragraphs = Vec::new();
            for (id, &n) in notes.iter().enumerate() {
                if n >= 2 && next(3) == 0 {
                    two_paragraphs.push((id, 1 + next(n - 1)));
                }
            }
            let book = Book {
                paragraphs,
                notes,
                refs,
                headings,
                two_paragraphs,
            };
            let page = 15 + next(20);
            let set = book.set(page as f32);
            set.check(&book);
        }
    }
}
