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
    Epub(#[from] EpubError),
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

/// Why the EPUB's container could not be assembled (each a bug or an exhausted machine,
/// never a problem of the manuscript).
#[derive(Debug, thiserror::Error)]
pub enum EpubError {
    /// epub-builder refused (its error type holds a message only).
    #[error("epub-builder: {0}")]
    Builder(String),
    /// The zip library refused an archive or an entry.
    #[error("zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// An entry of epub-builder's archive could not be read back.
    #[error("zip entry {name}: {source}")]
    Entry {
        /// The entry's name.
        name: String,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// Writing into the archive in memory failed.
    #[error("zip write: {0}")]
    Write(#[source] std::io::Error),
    /// epub-builder's archive has no `META-INF/container.xml`.
    #[error("epub-builder wrote no container.xml")]
    NoContainer,
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
