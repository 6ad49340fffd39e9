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
//! Cells are traced as pandoc's `gridtables` does: from each `+` corner, along a border
//! of `-`, `=` or `:` to a `+` with a `|` below it, down that `|` border to a `+`, and
//! back along the bottom and up the left border. The cells' edges give the columns and
//! rows; a cell's text is the lines between its borders, kept as source ranges so its
//! blocks are parsed with their true positions. A border of `=` ends the head; colons on
//! it (or on the top border of a table without head) give the alignments.
//!
//! Cells spanning rows or columns are read, but the model has no spans: such a cell is
//! set in its first row and column, the places it covers left empty, and this is
//! reported. A table whose borders cannot be traced (a `|` that does not sit under a
//! `+`) is reported, and its rows are split at the `|` they have; either way no text is
//! lost and no border is printed.

use super::columns::Columns;
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
    /// Byte offset in the source where the expected `|` or `+` is missing (or where a
    /// spanning cell starts).
    pub at: usize,
    /// The table has no bottom border.
    pub unclosed: bool,
    /// The table is well formed, with cells spanning rows or columns.
    pub spans: bool,
}

/// A table's lines as display columns: each character at the column it starts at, a
/// wide character's second column a filler.
struct Grid<'t> {
    text: &'t str,
    lines: Vec<(Range<usize>, Columns, Vec<char>)>,
}

impl<'t> Grid<'t> {
    fn new(text: &'t str, ranges: &[Range<usize>]) -> Self {
        let lines = ranges
            .iter()
            .map(|r| {
                let line = text.get(r.clone()).unwrap_or("").trim_end();
                let cols = Columns::new(line);
                let mut chars = vec!['\0'; cols.width()];
                for (col, _, c) in cols.chars() {
                    if let Some(slot) = chars.get_mut(col) {
                        *slot = c;
                    }
                }
                (r.start..r.start + line.len(), cols, chars)
            })
            .collect();
        Grid { text, lines }
    }

    fn get(&self, r: usize, c: usize) -> Option<char> {
        self.lines.get(r).and_then(|l| l.2.get(c)).copied()
    }

    fn is_horizontal(&self, r: usize, c: usize) -> bool {
        matches!(self.get(r, c), Some('-' | '=' | ':' | '+'))
    }

    fn is_vertical(&self, r: usize, c: usize) -> bool {
        matches!(self.get(r, c), Some('|' | '+'))
    }

    /// The bottom-right corner of the cell whose top-left corner is `(r0, c0)`.
    fn trace(&self, r0: usize, c0: usize) -> Option<(usize, usize)> {
        if !self.is_vertical(r0 + 1, c0) {
            return None;
        }
        let mut c1 = c0 + 1;
        while self.is_horizontal(r0, c1) {
            if self.get(r0, c1) == Some('+') && self.is_vertical(r0 + 1, c1) {
                if let Some(r1) = self.down(r0, c0, c1) {
                    return Some((r1, c1));
                }
            }
            c1 += 1;
        }
        None
    }

    /// Down the right border at `c1` from row `r0` to a corner whose bottom border runs
    /// back to `c0` and whose left border runs up to `r0`.
    fn down(&self, r0: usize, c0: usize, c1: usize) -> Option<usize> {
        let mut r1 = r0 + 1;
        while self.is_vertical(r1, c1) {
            if self.get(r1, c1) == Some('+')
                && (c0 + 1..c1).all(|c| self.is_horizontal(r1, c))
                && self.get(r1, c0) == Some('+')
                && (r0 + 1..r1).all(|r| self.is_vertical(r, c0))
            {
                return Some(r1);
            }
            r1 += 1;
        }
        None
    }

    /// Every cell: `(r0, c0, r1, c1)`, its border corners.
    fn cells(&self) -> Vec<(usize, usize, usize, usize)> {
        let mut out = Vec::new();
        for (r, line) in self.lines.iter().enumerate() {
            for (c, ch) in line.2.iter().enumerate() {
                if *ch == '+' {
                    if let Some((r1, c1)) = self.trace(r, c) {
                        out.push((r, c, r1, c1));
                    }
                }
            }
        }
        out
    }

    /// The source ranges of the text inside a cell's borders.
    fn content(&self, (r0, c0, r1, c1): (usize, usize, usize, usize)) -> CellLines {
        let lines = self
            .lines
            .get(r0 + 1..r1)
            .unwrap_or(&[])
            .iter()
            .map(|(range, cols, _)| {
                let from = cols.byte(c0 + 1);
                let to = cols.byte(c1).max(from);
                range.start + from..range.start + to
            })
            .collect();
        trim_cell(self.text, lines)
    }
}

/// Parses a table whose cells can all be traced; `None` when they do not tile it.
fn traced(text: &str, ranges: &[Range<usize>]) -> Option<(GridTable, Option<Misaligned>)> {
    let grid = Grid::new(text, ranges);
    let cells = grid.cells();
    let last = grid.lines.len().checked_sub(1)?;
    // The table's right edge: the top border's last `+`.
    let right = grid.lines.first()?.2.iter().rposition(|&c| c == '+')?;
    // The cells must cover the table: their areas add up to its own.
    let area: usize = cells.iter().map(|c| (c.2 - c.0) * (c.3 - c.1)).sum();
    if area != last * right {
        return None;
    }
    let mut cols: Vec<usize> = cells.iter().flat_map(|c| [c.1, c.3]).collect();
    cols.sort_unstable();
    cols.dedup();
    let mut rows: Vec<usize> = cells.iter().flat_map(|c| [c.0, c.2]).collect();
    rows.sort_unstable();
    rows.dedup();
    let ncols = cols.len().checked_sub(1).filter(|&n| n > 0)?;
    let nrows = rows.len().checked_sub(1).filter(|&n| n > 0)?;
    let index = |v: &[usize], x: usize| v.partition_point(|&y| y < x);
    // The head ends at the first border of `=` (pandoc's head separator); a later one
    // fences a foot, read as body.
    let head_end = rows
        .iter()
        .copied()
        .filter(|&r| r > 0 && r < last)
        .find(|&r| grid.lines.get(r).is_some_and(|l| l.2.contains(&'=')));
    let align_row = head_end.unwrap_or(0);
    let aligns = cols
        .windows(2)
        .map(|w| {
            let left = grid.get(align_row, w[0] + 1) == Some(':');
            let right = w[1] > 0 && grid.get(align_row, w[1] - 1) == Some(':');
            match (left, right) {
                (true, true) => Align::Center,
                (true, false) => Align::Left,
                (false, true) => Align::Right,
                (false, false) => Align::None,
            }
        })
        .collect();
    let total = right.max(72) as f32;
    let widths = cols
        .windows(2)
        .map(|w| (w[1] - w[0]) as f32 / total)
        .collect();
    // Each cell at its first row and column; the places a span covers stay empty.
    let mut table_rows: Vec<Vec<CellLines>> = vec![vec![Vec::new(); ncols]; nrows];
    let mut spans = None;
    for &cell in &cells {
        let (r, c) = (index(&rows, cell.0), index(&cols, cell.1));
        let spanning = index(&rows, cell.2).saturating_sub(r) > 1
            || index(&cols, cell.3).saturating_sub(c) > 1;
        if spanning && spans.is_none() {
            spans = grid
                .lines
                .get(cell.0 + 1)
                .map(|(range, cols, _)| range.start + cols.byte(cell.1 + 1));
        }
        if let Some(slot) = table_rows.get_mut(r).and_then(|row| row.get_mut(c)) {
            *slot = grid.content(cell);
        }
    }
    let head_rows = head_end.map_or(0, |h| index(&rows, h));
    let mut body = table_rows.split_off(head_rows.min(table_rows.len()));
    // A head of several rows: its first is the head, the others open the body.
    let mut head_rows = table_rows.into_iter();
    let head = head_rows.next().unwrap_or_default();
    let mut rest: Vec<Vec<CellLines>> = head_rows.collect();
    rest.append(&mut body);
    let problem = spans.map(|at| Misaligned {
        at,
        unclosed: false,
        spans: true,
    });
    Some((
        GridTable {
            aligns,
            widths,
            head,
            rows: rest,
        },
        problem,
    ))
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
    if let Some(found) = traced(text, lines) {
        return found;
    }
    let mut table = GridTable::default();
    let mut problem: Option<Misaligned> = None;
    let line_text = |r: &Range<usize>| text.get(r.clone()).unwrap_or("");
    let Some(top) = lines.first() else {
        return (table, None);
    };
    // Column boundaries: the display columns of the top border's `+`.
    let top_cols = Columns::new(line_text(top).trim_end());
    let bounds: Vec<usize> = top_cols
        .chars()
        .filter(|c| c.2 == '+')
        .map(|c| c.0)
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
    table.aligns = aligns_of(&top_cols, &bounds);
    let mut head_end: Option<usize> = None; // rows before this index are the head
    let mut rows: Vec<Vec<CellLines>> = Vec::new();
    let mut current: Vec<CellLines> = Vec::new();
    let mut in_row = false;
    let mut closed = false;
    for range in lines.iter().skip(1) {
        let line = line_text(range).trim_end();
        let cols = Columns::new(line);
        let at = |col: usize| cols.at(col).map(|c| c.1);
        if is_separator(line) {
            if in_row {
                rows.push(std::mem::take(&mut current));
                in_row = false;
            }
            closed = true;
            if line.contains('=') && head_end.is_none() && rows.len() == 1 {
                head_end = Some(1);
                table.aligns = aligns_of(&cols, &bounds);
            }
            if problem.is_none() {
                if let Some(col) = bounds.iter().find(|&&b| at(b) != Some('+')) {
                    problem = Some(Misaligned {
                        at: range.start + cols.byte(*col),
                        unclosed: false,
                        spans: false,
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
        let aligned = bounds.iter().all(|&b| matches!(at(b), Some('|' | '+')));
        if aligned {
            for (k, w) in bounds.windows(2).enumerate() {
                let from = cols.byte(w[0] + 1);
                let to = cols.byte(w[1]);
                if let Some(cell) = current.get_mut(k) {
                    cell.push(range.start + from..range.start + to.max(from));
                }
            }
        } else {
            if problem.is_none() {
                let col = bounds
                    .iter()
                    .find(|&&b| !matches!(at(b), Some('|' | '+')))
                    .copied()
                    .unwrap_or(0);
                problem = Some(Misaligned {
                    at: range.start + cols.byte(col),
                    unclosed: false,
                    spans: false,
                });
            }
            // Split at the `|` the line has; extra pieces join the last column.
            let pipes: Vec<usize> = cols.chars().filter(|c| c.2 == '|').map(|c| c.1).collect();
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
            spans: false,
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

/// Alignments from colons next to a separator's boundaries: `:--` left, `--:` right,
/// `:-:` centre.
fn aligns_of(cols: &Columns, bounds: &[usize]) -> Vec<Align> {
    bounds
        .windows(2)
        .map(|w| {
            let left = cols.at(w[0] + 1).map(|c| c.1) == Some(':');
            let right = w[1] > 0 && cols.at(w[1] - 1).map(|c| c.1) == Some(':');
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
    fn wide_and_zero_width_characters_line_up() {
        let (_, p, all) = cells("+--+----+\n|魚|fish|\n+--+----+\n");
        assert_eq!(p, None);
        assert_eq!(all[1], ["魚", "fish"]);
        let (_, p, all) =
            cells("+-------+-------+\n|Auf\u{200c}lage|edition|\n+-------+-------+\n");
        assert_eq!(p, None);
        assert_eq!(all[1], ["Auf\u{200c}lage", "edition"]);
    }

    #[test]
    fn spanning_cells_are_set_in_their_first_row_and_column() {
        let text = "+-------------+-------+------+\n| Property    | Earth        |\n+=============+=======+======+\n|             | min   | -89  |\n| Temperature +-------+------+\n| 1961-1990   | mean  | 14   |\n+-------------+-------+------+\n";
        let (t, p, all) = cells(text);
        let p = p.unwrap();
        assert!(p.spans);
        assert_eq!(p.at, text.find("Earth").unwrap() - 1);
        assert_eq!(t.aligns.len(), 3);
        assert_eq!(all[0], ["Property", "Earth", ""]);
        assert_eq!(all[1], ["Temperature/1961-1990", "min", "-89"]);
        assert_eq!(all[2], ["", "mean", "14"]);
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
