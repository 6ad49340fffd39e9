//! Failures of the environment (I/O, a bad font, a packaging failure), as opposed to
//! problems in the manuscript, which are [`crate::diag::Diagnostic`]s with a span.

use std::path::PathBuf;

/// An error that stops a build for a reason outside the manuscript text.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The EPUB could not be assembled.
    #[error("EPUB packaging failed: {0}")]
    Epub(String),
    /// The PDF could not be written.
    #[error("PDF writing failed: {0}")]
    Pdf(String),
    /// A font could not be used.
    #[error("font {name}: {reason}")]
    Font {
        /// The font's file name or family.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
