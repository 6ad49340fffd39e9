//! Note references and definitions → [`Note`]s, numbered once, here, so no backend ever
//! numbers notes itself.
//!
//! Notes get ids 0..n-1 in order of first reference in reading order (chapter titles,
//! then chapter text; then references made inside notes, after all the text). The number
//! shown is id + 1, or restarts at 1 in every chapter with `notes: chapter` (pandoc
//! restarts per chapter and cannot do otherwise: jgm/pandoc#1391). Labels belong to the
//! file they are written in. A note referenced several times is one note with one
//! anchor per reference.

use super::markdown::NoteDef;
use super::walk::{rewrite_blocks, rewrite_inlines, Rewritten};
use crate::diag::Diagnostic;
use crate::model::{Chapter, Inline, Note, NoteId, NoteNumbering};
use crate::source::FileId;
use std::collections::BTreeMap;

/// Replaces the placeholder note ids in `chapters` (indices into `keys`) by final ones and
/// returns the notes in id order. `defs` are the definitions by `(file, normalised
/// label)`; those never referenced are reported.
pub(crate) fn resolve(
    chapters: &mut [Chapter],
    mut defs: BTreeMap<(FileId, String), NoteDef>,
    keys: &[(FileId, String)],
    numbering: NoteNumbering,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Note> {
    let mut state = State {
        keys,
        final_of: vec![None; keys.len()],
        order: Vec::new(),
        counts: Vec::new(),
    };
    for (index, chapter) in chapters.iter_mut().enumerate() {
        let mut f = |inline| state.visit(inline, index, &defs);
        if let Some(title) = &mut chapter.title {
            rewrite_inlines(title, &mut f);
        }
        rewrite_blocks(&mut chapter.blocks, &mut f);
    }
    // Notes may reference notes: walk each note's body once, in id order; new references
    // get the next ids (the queue grows while it is walked).
    let mut notes: Vec<Note> = Vec::new();
    let mut i = 0;
    while i < state.order.len() {
        let (key, chapter) = state.order[i];
        let (file, label_key) = &keys[key];
        if let Some(mut def) = defs.remove(&(*file, label_key.clone())) {
            let mut f = |inline| state.visit(inline, chapter, &defs);
            rewrite_blocks(&mut def.blocks, &mut f);
            notes.push(Note {
                id: NoteId(i as u32),
                number: 0,
                label: def.label,
                chapter,
                ref_count: 0,
                blocks: def.blocks,
                span: def.span,
            });
        }
        i += 1;
    }
    let mut per_chapter: BTreeMap<usize, u32> = BTreeMap::new();
    for (note, count) in notes.iter_mut().zip(&state.counts) {
        note.ref_count = *count;
        note.number = match numbering {
            NoteNumbering::Book => note.id.0 + 1,
            NoteNumbering::Chapter => {
                let n = per_chapter.entry(note.chapter).or_insert(0);
                *n += 1;
                *n
            }
        };
    }
    for def in defs.into_values() {
        // An inline note (`^[…]`, a label no `[^label]` has) whose reference was lost:
        // it stood where a reference cannot (an inline image's description).
        if def.label.starts_with(']') {
            diags.push(
                Diagnostic::warning(
                    def.span,
                    "this inline note stands where a note cannot (an image's description) and is left out",
                )
                .with_hint("put the note after the image"),
            );
            continue;
        }
        diags.push(
            Diagnostic::warning(
                def.span,
                format!("note `[^{}]` is defined but never referenced", def.label),
            )
            .with_hint(format!(
                "refer to it with `[^{}]` in the text of this file, or delete it",
                def.label
            )),
        );
    }
    notes
}

struct State<'a> {
    keys: &'a [(FileId, String)],
    /// Final id of each placeholder.
    final_of: Vec<Option<u32>>,
    /// Placeholder and chapter of each final id, in id order.
    order: Vec<(usize, usize)>,
    /// References seen so far per final id.
    counts: Vec<u32>,
}

impl State<'_> {
    fn visit(
        &mut self,
        inline: Inline,
        chapter: usize,
        defs: &BTreeMap<(FileId, String), NoteDef>,
    ) -> Rewritten {
        let Inline::NoteRef { note, .. } = inline else {
            return Rewritten::One(inline);
        };
        let key = note.index();
        let Some(slot) = self.final_of.get_mut(key) else {
            return Vec::new().into();
        };
        let id = match *slot {
            Some(id) => id,
            None => {
                // The note body is taken out of `defs` when it is walked, so a key is
                // defined when it is still there or already has an id.
                let defined = self.keys.get(key).is_some_and(|k| defs.contains_key(k));
                if !defined {
                    // pulldown-cmark only emits references to defined labels; a second,
                    // dropped duplicate cannot be referenced separately. Nothing to point at.
                    return Vec::new().into();
                }
                let id = self.order.len() as u32;
                *slot = Some(id);
                self.order.push((key, chapter));
                self.counts.push(0);
                id
            }
        };
        let occurrence = self.counts[id as usize];
        self.counts[id as usize] += 1;
        Rewritten::One(Inline::NoteRef {
            note: NoteId(id),
            occurrence,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::Block;
    use crate::source::Span;

    fn r(k: u32) -> Inline {
        Inline::NoteRef {
            note: NoteId(k),
            occurrence: 0,
        }
    }

    fn para(content: Vec<Inline>) -> Block {
        Block::Paragraph {
            content,
            span: Span::default(),
        }
    }

    fn chapter(blocks: Vec<Block>) -> Chapter {
        Chapter {
            title: None,
            id: "c".into(),
            attr: Default::default(),
            blocks,
            span: Span::default(),
        }
    }

    fn def(label: &str, blocks: Vec<Block>) -> ((FileId, String), NoteDef) {
        (
            (FileId(0), label.into()),
            NoteDef {
                label: label.into(),
                blocks,
                span: Span::default(),
            },
        )
    }

    fn refs(chapters: &[Chapter]) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        let mut copy = chapters.to_vec();
        for ch in &mut copy {
            rewrite_blocks(&mut ch.blocks, &mut |i| {
                if let Inline::NoteRef { note, occurrence } = &i {
                    out.push((note.0, *occurrence));
                }
                Rewritten::One(i)
            });
        }
        out
    }

    /// Keys a, b, c (placeholders 0, 1, 2); c is defined first but referenced last, b
    /// twice, a is referenced only from inside note c; d is never referenced.
    type Setup = (
        Vec<Chapter>,
        BTreeMap<(FileId, String), NoteDef>,
        Vec<(FileId, String)>,
    );

    fn setup() -> Setup {
        let keys: Vec<(FileId, String)> = ["a", "b", "c", "d"]
            .iter()
            .map(|l| (FileId(0), l.to_string()))
            .collect();
        let chapters = vec![
            chapter(vec![para(vec![
                Inline::Text("x".into()),
                r(1),
                Inline::Emphasis(vec![r(1)]),
            ])]),
            chapter(vec![para(vec![r(2)])]),
        ];
        let defs = BTreeMap::from([
            def("c", vec![para(vec![Inline::Text("see".into()), r(0)])]),
            def("a", vec![]),
            def("b", vec![]),
            def("d", vec![]),
        ]);
        (chapters, defs, keys)
    }

    #[test]
    fn book_numbering_follows_first_reference() {
        let (mut chapters, defs, keys) = setup();
        let mut diags = Vec::new();
        let notes = resolve(&mut chapters, defs, &keys, NoteNumbering::Book, &mut diags);
        let summary: Vec<(&str, u32, u32, usize, u32)> = notes
            .iter()
            .map(|n| (n.label.as_str(), n.id.0, n.number, n.chapter, n.ref_count))
            .collect();
        assert_eq!(
            summary,
            [("b", 0, 1, 0, 2), ("c", 1, 2, 1, 1), ("a", 2, 3, 1, 1)]
        );
        assert_eq!(refs(&chapters), [(0, 0), (0, 1), (1, 0)]);
        // The reference inside note c now points at a's final id.
        assert_eq!(
            notes[1].blocks,
            vec![para(vec![
                Inline::Text("see".into()),
                Inline::NoteRef {
                    note: NoteId(2),
                    occurrence: 0
                }
            ])]
        );
        assert_eq!(diags.len(), 1);
        assert_eq!(
            diags[0].message,
            "note `[^d]` is defined but never referenced"
        );
    }

    #[test]
    fn chapter_numbering_restarts_but_ids_stay_global() {
        let (mut chapters, defs, keys) = setup();
        let mut diags = Vec::new();
        let notes = resolve(
            &mut chapters,
            defs,
            &keys,
            NoteNumbering::Chapter,
            &mut diags,
        );
        let summary: Vec<(u32, u32)> = notes.iter().map(|n| (n.id.0, n.number)).collect();
        assert_eq!(summary, [(0, 1), (1, 1), (2, 2)]);
    }
}
