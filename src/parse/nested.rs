//! Texts made of pieces of the source, for the nested parses of pandoc's block
//! constructs (a line block's lines, a table's cells, a caption), with the way back from
//! an offset in the made text to one in the source, so that every span and diagnostic
//! of a nested parse points into the file (research note pandoc-markdown.md §0, step 5).

use std::ops::Range;

/// Written before each line of an inline-only text: a character that is punctuation to
/// pulldown-cmark (so emphasis and smart quotes after it open as at a line start) and
/// that no block syntax starts with, so a verse line `- x` or `1. x` stays text. The
/// builder removes it from the text events of nested parses. U+2E3E (WIGGLY VERTICAL
/// LINE) is not used in prose.
pub(crate) const GUARD: char = '\u{2E3E}';

/// One stretch of a made text.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Segment {
    /// Where it starts in the made text.
    at: usize,
    /// Where it comes from in the source (for inserted text: the place it stands for).
    source: usize,
    /// Whether it is copied from the source byte for byte (else inserted).
    copied: bool,
}

/// A text made of source pieces and inserted strings.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct NestedText {
    /// The text.
    pub text: String,
    segments: Vec<Segment>,
}

impl NestedText {
    /// Appends the source's bytes `range` (of `source`), standing for `origin` (the same
    /// range in the outermost source: pieces are copied from the text of a parse that may
    /// itself be nested).
    pub(crate) fn copy(&mut self, source: &str, range: Range<usize>, origin: usize) {
        let Some(piece) = source.get(range) else {
            return;
        };
        self.segments.push(Segment {
            at: self.text.len(),
            source: origin,
            copied: true,
        });
        self.text.push_str(piece);
    }

    /// Appends `s`, standing for source offset `origin`.
    pub(crate) fn insert(&mut self, s: &str, origin: usize) {
        self.segments.push(Segment {
            at: self.text.len(),
            source: origin,
            copied: false,
        });
        self.text.push_str(s);
    }

    /// The source offset of made-text offset `i`.
    pub(crate) fn source(&self, i: usize) -> usize {
        let k = self.segments.partition_point(|s| s.at <= i);
        match k.checked_sub(1).and_then(|k| self.segments.get(k)) {
            Some(s) if s.copied => s.source + (i - s.at),
            Some(s) => s.source,
            None => self.segments.first().map_or(0, |s| s.source),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_back_to_the_source() {
        let src = "| one\n|   two\n";
        let mut n = NestedText::default();
        n.insert("\u{2E3E}", 2);
        n.copy(src, 2..5, 2);
        n.insert("\n\n\u{2E3E}\u{a0}\u{a0}", 10);
        n.copy(src, 10..13, 10);
        assert_eq!(n.text, "\u{2E3E}one\n\n\u{2E3E}\u{a0}\u{a0}two");
        // "one" and "two" are where they are in the source; inserted text stands for the
        // place it was put for.
        let one = n.text.find("one").unwrap();
        let two = n.text.find("two").unwrap();
        assert_eq!((n.source(one), n.source(one + 2)), (2, 4));
        assert_eq!((n.source(two), n.source(two + 3)), (10, 13));
        assert_eq!(n.source(0), 2);
        assert_eq!(n.source(one + 4), 10);
    }
}
