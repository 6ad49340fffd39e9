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
    Pdf(#[from] PdfError),
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

/// What stopped the PDF writer (a font that cannot be subset is an [`Error::Font`]).
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// An image a page places could not be embedded.
    #[error("image {asset}: {reason}")]
    Image {
        /// The asset's name in the manuscript (its `href`).
        asset: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A page places an asset the book does not have (a typesetter bug).
    #[error("a page places asset {index}, but the book has {count} assets")]
    UnknownAsset {
        /// The asset index the page names.
        index: usize,
        /// How many assets the book has.
        count: usize,
    },
    /// printpdf reported an error while converting the pages.
    #[error("printpdf could not convert the pages: {0}")]
    Conversion(String),
    /// printpdf's document lacks a part the writer completes.
    #[error("printpdf wrote no {0}")]
    Missing(PdfPart),
    /// printpdf wrote another number of pages than the document has.
    #[error("printpdf wrote {written} pages for {expected}")]
    PageCount {
        /// Pages in printpdf's document.
        written: usize,
        /// Pages in the typeset document.
        expected: usize,
    },
    /// The file is too large for the cross-reference stream, whose offsets are 4 bytes.
    #[error(
        "the file reaches {size} bytes, past the 4 GiB its cross-reference stream can address"
    )]
    TooLarge {
        /// The offset that does not fit.
        size: usize,
    },
    /// The `/ID` placeholder is not where the writer put it (a writer bug).
    #[error("document ID placeholder not written")]
    IdPlaceholder,
    /// The written PDF could not be read back to make the booklet from it (a writer
    /// bug: the booklet reads only the file quire just wrote).
    #[error("the PDF could not be read back for the booklet: {0}")]
    BookletReread(String),
    /// The PDF read back for the booklet lacks a part the booklet needs (a writer bug).
    #[error("the PDF read back for the booklet has no {0}")]
    BookletMissing(PdfPart),
}

/// A part of printpdf's document that the PDF writer looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdfPart {
    /// The document catalog (`/Root`).
    Catalog,
    /// The page tree (`/Pages`).
    PageTree,
    /// The extra last page that lists every glyph used (taken out again).
    FontUsagePage,
    /// A page's content stream (0-based page index).
    ContentStream(usize),
    /// A page's media box (0-based page index).
    MediaBox(usize),
}

impl std::fmt::Display for PdfPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PdfPart::Catalog => f.write_str("catalog"),
            PdfPart::PageTree => f.write_str("page tree"),
            PdfPart::FontUsagePage => f.write_str("font usage page"),
            PdfPart::ContentStream(page) => write!(f, "content stream for page {}", page + 1),
            PdfPart::MediaBox(page) => write!(f, "media box for page {}", page + 1),
        }
    }
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
