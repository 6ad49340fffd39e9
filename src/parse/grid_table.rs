//! pandoc's grid tables (MANUAL "Extension: grid_tables"): the lines of one table, as
//! found by the pre-pass, → its cells as byte ranges of the source, its column
//! alignments and relative widths.
//!
//! ```text
//! +---------------+--------------------+
//! | Fruit         | Advantages         |
//! +:==============+:==================:+
//! | Bananas       | - built-in wrapper |
//! |               | - bright color     |
//! +---------------+--------------------+
//! ```
//!
//! The top border's `+` give the column boundaries. A row is the content lines between
//! two separator lines; a cell is the text between two boundaries on each of its lines,
//! kept as source ranges so the cell's blocks are parsed with their true positions. A
//! separator of `=` ends the head; colons on it (or on the top border of a table without
//! head) give the alignments. Cells spanning rows or columns are not supported: a table
//! whose `|` do not sit under the border's `+` is reported, and its rows are split at
//! the `|` they have, so no text is lost and no border is printed.

use crate::model::Align;
use std::ops::Range;

/// A cell: the source byte ranges of its lines (one leading space and the trailing
/// spaces already cut).
pub(crate) type CellLines = Vec<Range<usize>>;

/// What a grid table holds.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct GridTable {
    /// Per column.
    pub aligns: Vec<Align>,
    /// Per column, a fraction of the text width (the border's share of 72 columns, or of
    /// the border's width when wider: pandoc's `fractionalColumnWidths`).
    pub widths: Vec<f32>,
    /// The header row's cells (empty without an `=` separator).
    pub head: Vec<CellLines>,
    /// The body rows (a foot fenced by a last `=` separator is read as body).
    pub rows: Vec<Vec<CellLines>>,
}

/// A line of the table that does not line up with its columns.
#[derive(Debug, PartialEq)]
pub(crate) struct Misaligned {
    /// Byte offset in the source where the expected `|` or `+` is missing.
    pub at: usize,
    /// The table has no bottom border.
    pub unclosed: bool,
}

/// Whether a line (from its first non-space character) starts a grid table: `+`
/// followed by `-`, `=` or `:`.
pub(crate) fn is_border(line: &str) -> bool {
    let b = line.as_bytes();
    b.first() == Some(&b'+') && matches!(b.get(1), Some(b'-' | b'=' | b':'))
}

/// Whether a line is a separator: only `+`, `-`, `=`, `:` (and trailing spaces).
fn is_separator(line: &str) -> bool {
    line.starts_with('+')
        && line
            .trim_end()
            .bytes()
            .all(|b| matches!(b, b'+' | b'-' | b'=' | b':'))
}

/// Parses a grid table from `lines`: each a byte range of `text` from the line's first
/// `+` or `|` to its end. Returns the table and the first line that does not line up,
/// if any.
pub(crate) fn parse(text: &str, lines: &[Range<usize>]) -> (GridTable, Option<Misaligned>) {
    let mut table = GridTable::default();
    let mut problem: Option<Misaligned> = None;
    let line_text = |r: &Range<usize>| text.get(r.clone()).unwrap_or("");
    let Some(top) = lines.first() else {
        return (table, None);
    };
    // Column boundaries: char columns of the top border's `+`.
    let top_chars: Vec<(usize, char)> = line_text(top).trim_end().char_indices().collect();
    let bounds: Vec<usize> = top_chars
        .iter()
        .enumerate()
        .filter(|(_, (_, c))| *c == '+')
        .map(|(col, _)| col)
        .collect();
    let ncols = bounds.len().saturating_sub(1);
    if ncols == 0 {
        return (table, None);
    }
    let total = bounds.last().copied().unwrap_or(0).max(72) as f32;
    table.widths = bounds
        .windows(2)
        .map(|w| (w[1] - w[0]) as f32 / total)
        .collect();
    table.aligns = aligns_of(&top_chars, &bounds);
    let mut head_end: Option<usize> = None; // rows before this index are the head
    let mut rows: Vec<Vec<CellLines>> = Vec::new();
    let mut current: Vec<CellLines> = Vec::new();
    let mut in_row = false;
    let mut closed = false;
    for range in lines.iter().skip(1) {
        let line = line_text(range).trim_end();
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        if is_separator(line) {
            if in_row {
                rows.push(std::mem::take(&mut current));
                in_row = false;
            }
            closed = true;
            if chars.iter().any(|(_, c)| *c == '=') && head_end.is_none() && rows.len() == 1 {
                head_end = Some(1);
                table.aligns = aligns_of(&chars, &bounds);
            }
            if problem.is_none() {
                if let Some(col) = bounds
                    .iter()
                    .find(|&&b| chars.get(b).map(|c| c.1) != Some('+'))
                {
                    problem = Some(Misaligned {
                        at: range.start + byte_at(&chars, *col, line.len()),
                        unclosed: false,
                    });
                }
            }
            continue;
        }
        closed = false;
        if !in_row {
            current = vec![Vec::new(); ncols];
            in_row = true;
        }
        // The content between boundaries, when every boundary holds a `|`.
        let aligned = bounds
            .iter()
            .all(|&b| matches!(chars.get(b).map(|c| c.1), Some('|' | '+')));
        if aligned {
            for (k, w) in bounds.windows(2).enumerate() {
                let from = byte_at(&chars, w[0] + 1, line.len());
                let to = byte_at(&chars, w[1], line.len());
                if let Some(cell) = current.get_mut(k) {
                    cell.push(range.start + from..range.start + to.max(from));
                }
            }
        } else {
            if problem.is_none() {
                let col = bounds
                    .iter()
                    .find(|&&b| !matches!(chars.get(b).map(|c| c.1), Some('|' | '+')))
                    .copied()
                    .unwrap_or(0);
                problem = Some(Misaligned {
                    at: range.start + byte_at(&chars, col, line.len()),
                    unclosed: false,
                });
            }
            // Split at the `|` the line has; extra pieces join the last column.
            let pipes: Vec<usize> = chars
                .iter()
                .filter(|(_, c)| *c == '|')
                .map(|(i, _)| *i)
                .collect();
            for (k, w) in pipes.windows(2).enumerate() {
                let piece = range.start + w[0] + 1..range.start + w[1];
                let k = k.min(ncols - 1);
                if let Some(cell) = current.get_mut(k) {
                    match cell.last_mut() {
                        // A second piece of the same line in the last column.
                        Some(last) if k == ncols - 1 && last.end + 1 == piece.start => {
                            last.end = piece.end
                        }
                        _ => cell.push(piece),
                    }
                }
            }
        }
    }
    if in_row {
        rows.push(current);
    }
    if !closed && problem.is_none() {
        problem = Some(Misaligned {
            at: lines.last().map_or(0, |r| r.start),
            unclosed: true,
        });
    }
    let mut rows: Vec<Vec<CellLines>> = rows
        .into_iter()
        .map(|row| row.into_iter().map(|c| trim_cell(text, c)).collect())
        .collect();
    if head_end.is_some() && !rows.is_empty() {
        table.head = rows.remove(0);
    }
    table.rows = rows;
    (table, problem)
}

/// The byte offset of char column `col` in a line of `chars` (its length past the end).
fn byte_at(chars: &[(usize, char)], col: usize, len: usize) -> usize {
    chars.get(col).map_or(len, |c| c.0)
}

/// Alignments from colons next to a separator's boundaries: `:--` left, `--:` right,
/// `:-:` centre.
fn aligns_of(chars: &[(usize, char)], bounds: &[usize]) -> Vec<Align> {
    bounds
        .windows(2)
        .map(|w| {
            let left = chars.get(w[0] + 1).map(|c| c.1) == Some(':');
            let right = w[1] > 0 && chars.get(w[1] - 1).map(|c| c.1) == Some(':');
            match (left, right) {
                (true, true) => Align::Center,
                (true, false) => Align::Left,
                (false, true) => Align::Right,
                (false, false) => Align::None,
            }
        })
        .collect()
}

/// A cell's lines without trailing spaces, without the one space after the `|` when
/// every line has it, and without blank lines at either end.
fn trim_cell(text: &str, lines: CellLines) -> CellLines {
    let slice = |r: &Range<usize>| text.get(r.clone()).unwrap_or("");
    let mut lines: CellLines = lines
        .into_iter()
        .map(|r| {
            let s = slice(&r);
            r.start..r.start + s.trim_end().len()
        })
        .collect();
    let all_spaced = lines
        .iter()
        .all(|r| r.is_empty() || slice(r).starts_with(' '));
    if all_spaced {
        for r in &mut lines {
            if r.start < r.end {
                r.start += 1;
            }
        }
    }
    while lines.last().is_some_and(|r| slice(r).trim().is_empty()) {
        lines.pop();
    }
    let lead = lines
        .iter()
        .take_while(|r| slice(r).trim().is_empty())
        .count();
    lines.drain(..lead);
    lines
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The table's lines as ranges, and the text of each cell.
    fn cells(text: &str) -> (GridTable, Option<Misaligned>, Vec<Vec<String>>) {
        let mut lines = Vec::new();
        let mut at = 0;
        for l in text.split_inclusive('\n') {
            lines.push(at..at + l.trim_end_matches('\n').len());
            at += l.len();
        }
        let (t, p) = parse(text, &lines);
        let show = |c: &CellLines| {
            c.iter()
                .map(|r| &text[r.clone()])
                .collect::<Vec<_>>()
                .join("/")
        };
        let mut all = vec![t.head.iter().map(show).collect::<Vec<_>>()];
        for row in &t.rows {
            all.push(row.iter().map(show).collect());
        }
        (t, p, all)
    }

    #[test]
    fn head_body_alignments_and_widths() {
        let text = "+-------+--------------+\n| Fruit | Advantages   |\n+:======+=============:+\n| Figs  | - sweet      |\n|       | - soft       |\n+-------+--------------+\n| Pears | juicy        |\n+-------+--------------+\n";
        let (t, p, all) = cells(text);
        assert_eq!(p, None);
        assert_eq!(
            all,
            [
                vec!["Fruit", "Advantages"],
                vec!["Figs", "- sweet/- soft"],
                vec!["Pears", "juicy"]
            ]
        );
        assert_eq!(t.aligns, [Align::Left, Align::Right]);
        assert_eq!(t.widths, [8.0 / 72.0, 15.0 / 72.0]);
        // Cells are ranges of the source.
        let figs = &t.rows[0][0][0];
        assert_eq!(&text[figs.clone()], "Figs");
        assert_eq!(figs.start, text.find("Figs").unwrap());
    }

    #[test]
    fn a_table_without_head_takes_alignments_from_its_top() {
        let (t, p, all) = cells("+:--:+---+\n| a  | b |\n+----+---+\n");
        assert_eq!(p, None);
        assert!(t.head.is_empty());
        assert_eq!(all[1], ["a", "b"]);
        assert_eq!(t.aligns, [Align::Center, Align::None]);
    }

    #[test]
    fn misaligned_rows_are_reported_and_split_at_their_bars() {
        let text = "+-----+-----+\n| one | two   |\n| a  | b |\n+-----+-----+\n";
        let (_, p, all) = cells(text);
        let p = p.unwrap();
        // The second line's `|` under the border's middle `+` is missing.
        assert_eq!(p.at, text.find("two").unwrap() + 4);
        assert!(!p.unclosed);
        assert_eq!(all[1], ["one/a", "two/b"]);
        let (_, p, all) = cells("+---+\n| a |\n");
        assert!(p.unwrap().unclosed);
        assert_eq!(all[1], ["a"]);
    }

    #[test]
    fn degenerate_tables_do_not_panic() {
        for text in [
            "+",
            "+-",
            "+--+\n",
            "+--+\n|",
            "+--+--+\n|é|\n+=+\n",
            "+-+\n||||\n+",
        ] {
            let _ = cells(text);
        }
    }
}
