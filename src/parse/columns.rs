//! Display columns of a line of text, for pandoc's tables (grid, simple, multiline),
//! whose columns are counted in character cells: an East Asian wide character takes two,
//! a zero-width one (a combining mark, U+200B, U+200C) none, as pandoc counts them
//! (its `realLength`); a tab is one.

use unicode_width::UnicodeWidthChar;

/// One line's characters with the column each starts at.
#[derive(Debug)]
pub(crate) struct Columns {
    /// Per character: (column it starts at, byte offset in the line, the character).
    cells: Vec<(usize, usize, char)>,
    /// The line's length in bytes.
    len: usize,
    /// The line's width in columns.
    width: usize,
}

impl Columns {
    /// The columns of `line`.
    pub(crate) fn new(line: &str) -> Self {
        let mut col = 0;
        let mut cells = Vec::with_capacity(line.len());
        for (i, c) in line.char_indices() {
            cells.push((col, i, c));
            col += if c == '\t' { 1 } else { c.width().unwrap_or(0) };
        }
        Columns {
            cells,
            len: line.len(),
            width: col,
        }
    }

    /// The line's width in columns.
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// The character starting exactly at column `col`, and its byte offset.
    pub(crate) fn at(&self, col: usize) -> Option<(usize, char)> {
        let k = self.cells.partition_point(|c| c.0 < col);
        // Of several characters starting at `col` (zero-width ones), the visible one.
        self.cells
            .get(k..)?
            .iter()
            .take_while(|c| c.0 == col)
            .last()
            .map(|c| (c.1, c.2))
    }

    /// The byte offset where column `col` starts: of the first character starting at or
    /// after it (a wide character across the boundary stays with the columns before),
    /// the line's length past its end.
    pub(crate) fn byte(&self, col: usize) -> usize {
        let k = self.cells.partition_point(|c| c.0 < col);
        self.cells.get(k).map_or(self.len, |c| c.1)
    }

    /// The characters, with their columns and byte offsets.
    pub(crate) fn chars(&self) -> impl Iterator<Item = (usize, usize, char)> + '_ {
        self.cells.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_and_zero_width_characters() {
        // 魚 takes two columns; U+200C none.
        let c = Columns::new("|魚|fish|");
        assert_eq!(c.width(), 9);
        assert_eq!(c.at(3), Some((4, '|')));
        assert_eq!(c.byte(1), 1);
        assert_eq!(c.byte(2), 4);
        let c = Columns::new("|Auf\u{200c}lage|");
        assert_eq!(c.width(), 9);
        assert_eq!(c.at(8), Some((11, '|')));
        assert_eq!(c.byte(99), c.len);
    }
}
