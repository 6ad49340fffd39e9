//! quire turns a Markdown manuscript into an EPUB 3 for e-readers and a typeset PDF for
//! print, from one source.
//!
//! The pipeline is a chain of small stages with plain data between them:
//!
//! ```text
//! files::load_manuscript  I/O: the manuscript's files, read and recorded  -> SourceMap
//! parse::parse            front matter, Markdown, notes, links, images    -> Book + diagnostics
//! cite::resolve           citations and the bibliography (issue 16)       -> Book
//! epub::write             the EPUB package                                -> bytes
//! typeset::typeset        shape -> break lines -> paginate                -> Document
//! pdf::write              the PDF                                         -> bytes
//! ```
//!
//! The parser knows nothing of EPUB or PDF; the backends read only the [`model::Book`].
//! Every file is read through [`files::Files`] (the parser touches no file system).
//! Problems in the manuscript are [`diag::Diagnostic`]s with a [`source::Span`]; only
//! `main.rs` prints them. The top-level modules form a one-way graph, drawn in the README
//! and checked by `tests/architecture.rs`; [`memo`] (content keys and caches) is at the
//! bottom and imports nothing from the crate.

pub mod build;
pub mod cite;
pub mod cover;
pub mod deflate;
pub mod diag;
pub mod epub;
pub mod error;
pub mod files;
pub mod fonts;
pub mod image;
pub mod import;
pub mod memo;
pub mod model;
pub mod output;
pub mod pagemap;
pub mod par;
pub mod parse;
pub mod pdf;
pub mod source;
pub mod starter;
pub mod typeset;
pub mod watch;

pub use error::Error;

/// The number of threads worth running: the cores this process may use, at least 1.
/// Asked once: `std::thread::available_parallelism` reads the cgroup's CPU quota files
/// on every call (three file reads), and a build asks at each parallel stage.
pub fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Frees `value` on another thread. The page-level structures of a long book are
/// millions of allocations; freeing them took a tenth of a rebuild's time, on the path to
/// the output file. (The caller still gets its result as soon as it is made.)
pub fn drop_in_background<T: Send + 'static>(value: T) {
    if let Err(e) = std::thread::Builder::new().spawn(move || drop(value)) {
        // No thread to be had: the value was moved into the failed spawn's closure and is
        // freed with it, here.
        drop(e);
    }
}
