//! The manuscript's source files, and the one place where a byte offset becomes a
//! `line:col` position.
//!
//! Every diagnostic carries a [`Span`] (file and byte range). Only [`SourceMap::line_col`]
//! turns it into a position a person can read, so columns are counted the same way
//! everywhere: 1-based, in characters (not bytes), on every line, and a `\r` before a `\n`
//! belongs to the line end, not to the next line.

use std::path::{Path, PathBuf};

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// The file the range lies in.
    pub file: FileId,
    /// First byte.
    pub start: usize,
    /// One past the last byte (equal to `start` for a point).
    pub end: usize,
}

impl Span {
    /// A span over `start..end` in `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span {
            file,
            start,
            end: end.max(start),
        }
    }

    /// A zero-width span at the start of `file` (for problems that concern a whole file).
    pub fn file_start(file: FileId) -> Self {
        Span {
            file,
            start: 0,
            end: 0,
        }
    }
}

/// One source file: its path as shown to the user and its text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path as given on the command line or found in the manuscript folder; this is
    /// what diagnostics print.
    pub path: PathBuf,
    /// The file's text, with a leading UTF-8 byte-order mark removed (offsets refer to
    /// this text).
    pub text: String,
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// A source file from its path and text. A UTF-8 BOM at the start is dropped: it is not
    /// part of the manuscript (and must never reach the output).
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        let mut text: String = text.into();
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            path: path.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and column of byte `offset`. The column counts characters, so it is
    /// right after multibyte text; an offset inside a character or past the end is
    /// clamped.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let mut end = offset;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col = self.text[start..end].chars().count() + 1;
        (line + 1, col)
    }

    /// The text of 1-based line `line`, without its line ending (`\n` or `\r\n`).
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&next| next - 1);
        let text = &self.text[start..end.max(start)];
        text.strip_suffix('\r').unwrap_or(text)
    }

    /// Number of lines (a final line without `\n` counts).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

/// All the files of one manuscript, in reading order.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    /// The manuscript's folder: relative links and images resolve against it, and no path
    /// in the manuscript may leave it.
    pub root: PathBuf,
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map for a manuscript rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        SourceMap {
            root: root.into(),
            files: Vec::new(),
        }
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    /// The file with id `id`.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// All files with their ids, in reading order.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether the map holds no file.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// 1-based line and column of the start of `span`, with the file's path.
    pub fn line_col(&self, span: Span) -> Option<(&Path, usize, usize)> {
        let file = self.get(span.file)?;
        let (line, col) = file.line_col(span.start);
        Some((&file.path, line, col))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_one_based_on_every_line() {
        let f = SourceFile::new("a.md", "ab\ncd\r\nxé z\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(1), (1, 2));
        assert_eq!(f.line_col(3), (2, 1));
        // After CRLF the next line starts at column 1.
        assert_eq!(f.line_col(7), (3, 1));
        // After a two-byte character the column counts characters.
        let z = f.text.find('z').unwrap();
        assert_eq!(f.line_col(z), (3, 4));
        assert_eq!(f.line_text(2), "cd");
        assert_eq!(f.line_text(3), "xé z");
    }

    #[test]
    fn bom_is_dropped_and_offsets_follow_the_text() {
        let f = SourceFile::new("a.md", "\u{feff}# T\n");
        assert_eq!(f.text, "# T\n");
        assert_eq!(f.line_col(2), (1, 3));
    }

    #[test]
    fn offsets_past_the_end_or_inside_a_char_are_clamped() {
        let f = SourceFile::new("a.md", "é");
        assert_eq!(f.line_col(1), (1, 1));
        assert_eq!(f.line_col(99), (1, 2));
        assert_eq!(f.line_text(5), "");
    }
}
