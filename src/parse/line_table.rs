//! pandoc's simple and multiline tables (MANUAL "Extension: simple_tables",
//! "Extension: multiline_tables"): columns are the runs of dashes of one dashed line;
//! a cell is the text of a row's lines between the start of its column's run and the
//! start of the next (the last column runs to the line's end), kept as source ranges.
//!
//! ```text
//!   Right     Left     Center
//! -------     ------ ----------
//!      12     12        12
//! ```
//!
//! A column's alignment comes from its header (the first row without one) against its
//! dashes: flush right and extending left → right-aligned, the reverse → left, extending
//! both ways → centred, flush on both → the default (pandoc's `alignType`). Multiline
//! tables also give relative widths: each column's run with the spaces after it, as a
//! share of 72 columns or of the dashed line when it is longer.

use super::columns::Columns;
use crate::model::Align;
use std::ops::Range;

/// A cell: the source byte ranges of its lines, trimmed (a simple table's cell has one).
pub(crate) type CellLines = Vec<Range<usize>>;

/// What a simple or multiline table holds.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct LineTable {
    /// Per column.
    pub aligns: Vec<Align>,
    /// Per column, a fraction of the text width (multiline tables only; else empty).
    pub widths: Vec<f32>,
    /// The header's cells (empty for a table without header).
    pub head: Vec<CellLines>,
    /// Body rows.
    pub rows: Vec<Vec<CellLines>>,
}

/// The runs of dashes of a dashed line as char columns `(start, end)`; `None` unless
/// the line is only dashes and spaces.
pub(crate) fn dash_runs(line: &str) -> Option<Vec<(usize, usize)>> {
    let line = line.trim_end();
    if line.is_empty() || !line.bytes().all(|b| b == b'-' || b == b' ') {
        return None;
    }
    let mut runs = Vec::new();
    let mut start = None;
    for (i, b) in line.bytes().enumerate() {
        match (b, start) {
            (b'-', None) => start = Some(i),
            (b' ', Some(s)) => {
                runs.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push((s, line.len()));
    }
    Some(runs)
}

/// One line's display columns → byte offsets.
struct Cols<'a> {
    text: &'a str,
    start: usize,
    cols: Columns,
}

impl<'a> Cols<'a> {
    fn new(text: &'a str, range: &Range<usize>) -> Self {
        let line = text.get(range.clone()).unwrap_or("");
        Cols {
            text: line,
            start: range.start,
            cols: Columns::new(line),
        }
    }

    fn byte(&self, col: usize) -> usize {
        self.cols.byte(col)
    }

    /// The trimmed source range of char columns `from..to` (`None`: to the line's end).
    fn slice(&self, from: usize, to: Option<usize>) -> Range<usize> {
        let a = self.byte(from);
        let b = to.map_or(self.text.len(), |t| self.byte(t)).max(a);
        let s = self.text.get(a..b).unwrap_or("");
        let lead = s.len() - s.trim_start().len();
        let a2 = a + lead;
        let b2 = a + s.trim_end().len();
        self.start + a2..self.start + b2.max(a2)
    }

    /// The untrimmed text of columns `from..to`, for alignment.
    fn raw(&self, from: usize, to: Option<usize>) -> &str {
        let a = self.byte(from);
        let b = to.map_or(self.text.len(), |t| self.byte(t)).max(a);
        self.text.get(a..b).unwrap_or("")
    }
}

/// pandoc's `alignType`: from the shortest non-empty header line of the column (cut at
/// the column's boundaries, trailing spaces removed) and the length of its dashes.
fn align_type(lines: &[&str], len: usize) -> Align {
    let shortest = lines
        .iter()
        .map(|l| l.trim_end())
        .filter(|l| !l.is_empty())
        .min_by_key(|l| Columns::new(l).width());
    let Some(s) = shortest else {
        return Align::None;
    };
    let left = s.starts_with([' ', '\t']);
    let right = Columns::new(s).width() < len;
    match (left, right) {
        (true, false) => Align::Right,
        (false, true) => Align::Left,
        (true, true) => Align::Center,
        (false, false) => Align::None,
    }
}

/// Builds a table from its dashed line and its rows, each row being one or more lines
/// (a simple table's rows have one). `header` holds the header's lines (empty: no
/// header; alignments then come from the first row). `widths` asks for relative widths.
pub(crate) fn build(
    text: &str,
    dashes: &Range<usize>,
    header: &[Range<usize>],
    rows: &[Vec<Range<usize>>],
    widths: bool,
) -> LineTable {
    let dash_line = text.get(dashes.clone()).unwrap_or("");
    let runs = dash_runs(dash_line).unwrap_or_default();
    let starts: Vec<usize> = runs.iter().map(|r| r.0).collect();
    let bounds = |k: usize| -> (usize, Option<usize>) { (starts[k], starts.get(k + 1).copied()) };
    let cells_of = |lines: &[Range<usize>]| -> Vec<CellLines> {
        let cols: Vec<Cols> = lines.iter().map(|r| Cols::new(text, r)).collect();
        (0..starts.len())
            .map(|k| {
                let (from, to) = bounds(k);
                cols.iter()
                    .map(|c| c.slice(from, to))
                    .filter(|r| !r.is_empty())
                    .collect()
            })
            .collect()
    };
    let align_lines: Vec<Range<usize>> = if header.is_empty() {
        rows.first().cloned().unwrap_or_default()
    } else {
        header.to_vec()
    };
    let align_cols: Vec<Cols> = align_lines.iter().map(|r| Cols::new(text, r)).collect();
    let aligns = runs
        .iter()
        .enumerate()
        .map(|(k, (s, e))| {
            let (from, to) = bounds(k);
            let raws: Vec<&str> = align_cols.iter().map(|c| c.raw(from, to)).collect();
            align_type(&raws, e - s)
        })
        .collect();
    let widths = if widths {
        let lens: Vec<usize> = (0..runs.len())
            .map(|k| match starts.get(k + 1) {
                Some(next) => next - starts[k],
                None => runs[k].1 - runs[k].0,
            })
            .collect();
        let total = lens.iter().sum::<usize>().max(72) as f32;
        lens.iter().map(|l| *l as f32 / total).collect()
    } else {
        Vec::new()
    };
    LineTable {
        aligns,
        widths,
        head: if header.is_empty() {
            Vec::new()
        } else {
            cells_of(header)
        },
        rows: rows.iter().map(|r| cells_of(r)).collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ranges(text: &str) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut at = 0;
        for l in text.split_inclusive('\n') {
            out.push(at..at + l.trim_end_matches('\n').len());
            at += l.len();
        }
        out
    }

    fn show(text: &str, t: &LineTable) -> Vec<Vec<String>> {
        let cell = |c: &CellLines| {
            c.iter()
                .map(|r| &text[r.clone()])
                .collect::<Vec<_>>()
                .join("/")
        };
        std::iter::once(&t.head)
            .chain(&t.rows)
            .map(|row| row.iter().map(cell).collect())
            .collect()
    }

    #[test]
    fn simple_table_alignments_and_cells() {
        let text = "  Right     Left     Center     Default\n-------     ------ ----------   -------\n     12     12        12            12\n    123     123       123          123\n";
        let l = ranges(text);
        let t = build(
            text,
            &l[1],
            &l[..1],
            &[vec![l[2].clone()], vec![l[3].clone()]],
            false,
        );
        assert_eq!(
            t.aligns,
            [Align::Right, Align::Left, Align::Center, Align::None]
        );
        assert_eq!(
            show(text, &t),
            [
                vec!["Right", "Left", "Center", "Default"],
                vec!["12", "12", "12", "12"],
                vec!["123", "123", "123", "123"]
            ]
        );
        assert!(t.widths.is_empty());
        assert_eq!(t.rows[0][0][0].start, text.find("12").unwrap());
    }

    #[test]
    fn multiline_cells_and_widths() {
        let text = "----------- -------\n First      Example of\n            two lines.\n";
        let l = ranges(text);
        let t = build(text, &l[0], &[], &[vec![l[1].clone(), l[2].clone()]], true);
        assert_eq!(show(text, &t)[1], ["First", "Example of/two lines."]);
        assert_eq!(t.widths, [12.0 / 72.0, 7.0 / 72.0]);
        assert_eq!(t.aligns, [Align::Center, Align::None]);
    }

    #[test]
    fn dashed_lines() {
        assert_eq!(dash_runs("---  --"), Some(vec![(0, 3), (5, 7)]));
        assert_eq!(dash_runs("--- x"), None);
        assert_eq!(dash_runs(""), None);
    }
}
