//! Diagnostics: problems found in the manuscript, with where they are and what to do.
//!
//! Stages collect diagnostics instead of stopping at the first problem, so one run
//! reports everything. [`render`] is the one place a [`Span`] becomes `path:line:col`.

use crate::source::{SourceMap, Span};
use std::fmt::Write as _;

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The build goes on; the output is what the author meant, or close.
    Warning,
    /// The manuscript cannot be built as written: nothing is written.
    Error,
}

/// One problem in the manuscript.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where it is; `None` for problems of the manuscript as a whole.
    pub span: Option<Span>,
    /// What is wrong, in plain words.
    pub message: String,
    /// What to do about it, when that is not obvious from the message.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(span: impl Into<Option<Span>>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            span: span.into(),
            message: message.into(),
            hint: None,
        }
    }

    /// A warning at `span`.
    pub fn warning(span: impl Into<Option<Span>>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            span: span.into(),
            message: message.into(),
            hint: None,
        }
    }

    /// The same diagnostic with a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Whether any diagnostic in `diags` is an error.
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(Diagnostic::is_error)
}

/// Renders a diagnostic in the short compiler style, followed by the source line and a
/// caret under the span:
///
/// ```text
/// manuscript/02-storm.md:14:14: error: note `[^gale]` is referenced but never defined
///    |
/// 14 | The wind rose[^gale] before dawn.
///    |              ^^^^^^^
///    = hint: add `[^gale]: …` to this file
/// ```
pub fn render(sources: &SourceMap, diag: &Diagnostic) -> String {
    let level = match diag.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut out = String::new();
    let located = diag.span.and_then(|span| {
        let file = sources.get(span.file)?;
        let (line, col) = file.line_col(span.start);
        Some((span, file, line, col))
    });
    match located {
        Some((span, file, line, col)) => {
            let _ = writeln!(
                out,
                "{}:{line}:{col}: {level}: {}",
                file.path.display(),
                diag.message
            );
            let text = file.line_text(line);
            let gutter = line.to_string().len();
            let (_, end_col) = file.line_col(span.end);
            let end_line = file.line_col(span.end).0;
            let width = if end_line == line && end_col > col {
                end_col - col
            } else {
                1
            };
            // A caret line is only useful when the source line is printable.
            let shown: String = text
                .chars()
                .map(|c| if c == '\t' { ' ' } else { c })
                .collect();
            let _ = writeln!(out, "{:gutter$} |", "");
            let _ = writeln!(out, "{line} | {shown}");
            let _ = writeln!(
                out,
                "{:gutter$} | {:pad$}{}",
                "",
                "",
                "^".repeat(width),
                pad = col - 1
            );
            if let Some(hint) = &diag.hint {
                let _ = writeln!(out, "{:gutter$} = hint: {hint}", "");
            }
        }
        None => {
            let _ = writeln!(out, "{level}: {}", diag.message);
            if let Some(hint) = &diag.hint {
                let _ = writeln!(out, "  = hint: {hint}");
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::source::{SourceFile, SourceMap};

    #[test]
    fn renders_path_line_col_and_caret() {
        let mut map = SourceMap::new(".");
        let id = map.add(SourceFile::new(
            "book/ch.md",
            "# Title\r\nThe wind rose[^gale] at dawn.\n",
        ));
        let start = map.get(id).unwrap().text.find("[^gale]").unwrap();
        let d = Diagnostic::error(
            Span::new(id, start, start + 7),
            "note `[^gale]` is referenced but never defined",
        )
        .with_hint("add `[^gale]: …`");
        let text = render(&map, &d);
        assert_eq!(
            text,
            "book/ch.md:2:14: error: note `[^gale]` is referenced but never defined\n  |\n2 | The wind rose[^gale] at dawn.\n  |              ^^^^^^^\n  = hint: add `[^gale]: …`\n"
        );
    }

    #[test]
    fn renders_without_span() {
        let map = SourceMap::new(".");
        let d = Diagnostic::warning(None, "the manuscript is empty");
        assert_eq!(render(&map, &d), "warning: the manuscript is empty\n");
    }
}
