//! One build: load → parse → backends → atomic writes. Returns what happened; prints
//! nothing (only `main.rs` prints).

use crate::diag::{has_errors, Diagnostic, Severity};
use crate::error::Error;
use crate::files::{FileStore, Files};
use crate::memo::CacheStats;
use crate::model::Book;
use crate::source::SourceMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Which outputs to produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Formats {
    /// Write the EPUB.
    pub epub: bool,
    /// Write the PDF.
    pub pdf: bool,
}

/// One output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// EPUB 3.
    Epub,
    /// PDF.
    Pdf,
    /// The PDF's pages imposed as a booklet (`pdf: booklet:`, `--booklet`).
    Booklet,
}

impl Format {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Epub => "epub",
            Format::Pdf | Format::Booklet => "pdf",
        }
    }
}

/// What to build and where.
#[derive(Clone, Debug)]
pub struct BuildRequest {
    /// The manuscript: a folder with `book.yaml`, or a single `.md` file.
    pub input: PathBuf,
    /// The output folder (created if missing).
    pub out_dir: PathBuf,
    /// Which outputs.
    pub formats: Formats,
    /// Treat warnings as errors.
    pub strict: bool,
    /// SOURCE_DATE_EPOCH, read by `main.rs`: the backends never read the clock.
    pub timestamp: Option<i64>,
    /// Also write the booklet (`--booklet`), whatever the metadata says.
    pub booklet: bool,
}

/// One written file.
#[derive(Clone, Debug)]
pub struct Output {
    /// Its format.
    pub format: Format,
    /// Where it was written.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: usize,
    /// Time spent producing it (serialising and writing).
    pub elapsed: Duration,
}

/// The result of a build that got as far as reading the manuscript.
#[derive(Debug)]
pub struct BuildReport {
    /// The manuscript's files (for rendering diagnostics).
    pub sources: SourceMap,
    /// Every problem found, errors first in source order, then warnings.
    pub diagnostics: Vec<Diagnostic>,
    /// What was written; empty when the manuscript has errors.
    pub outputs: Vec<Output>,
    /// Every file the build read or looked for (found or not), relative to the manuscript
    /// folder when inside it: what `quire watch` watches.
    pub inputs: Vec<PathBuf>,
    /// Hits and misses of the caches kept between builds (all zero with a fresh cache's
    /// hits).
    pub cache: BuildCacheStats,
    /// The fallback fonts the PDF uses for characters the book's fonts lack, one line
    /// each (family, where it comes from, for which scripts); empty when none was
    /// needed.
    pub fallback_fonts: Vec<String>,
}

impl BuildReport {
    /// Whether the build failed because of the manuscript.
    pub fn failed(&self) -> bool {
        has_errors(&self.diagnostics)
    }
}

/// Everything kept between builds of one manuscript (one per `quire watch` session): it
/// only composes the stages' own caches, each keyed by content (see `memo.rs`).
#[derive(Default)]
pub struct BuildCache {
    /// The files as read (see [`FileStore`]).
    pub files: FileStore,
    /// Each chapter file's parse.
    pub parses: crate::parse::ParseCache,
    /// Broken paragraphs and shaped words.
    pub typeset: crate::typeset::TypesetCache,
    /// The EPUB's compressed zip entries.
    pub epub: crate::epub::EpubCache,
    /// The PDF writer's page streams, font subsets, compressed streams and last file.
    pub pdf: crate::pdf::PdfCache,
    /// The generated cover (issue 14), keyed by what it shows: painted again only when
    /// the title, subtitle, authors or fonts change.
    pub cover: std::sync::Mutex<Option<(crate::memo::Key, std::sync::Arc<[u8]>)>>,
}

/// What the caches did in one build.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BuildCacheStats {
    /// Files not read again (hits) or read (misses).
    pub files: CacheStats,
    /// Chapter files' parses.
    pub parses: CacheStats,
    /// Broken paragraphs.
    pub paragraphs: CacheStats,
    /// Shaped words.
    pub words: CacheStats,
    /// Compressed EPUB entries.
    pub epub: CacheStats,
    /// The PDF writer's caches.
    pub pdf: crate::pdf::PdfCacheStats,
}

impl BuildCache {
    /// A fresh, empty cache.
    pub fn new() -> BuildCache {
        BuildCache::default()
    }

    /// Ends a build: each stage drops what it did not use; returns the hit counts.
    pub fn finish(&self) -> BuildCacheStats {
        let typeset = self.typeset.finish();
        BuildCacheStats {
            files: self.files.finish(),
            parses: self.parses.finish(),
            paragraphs: typeset.paragraphs,
            words: typeset.words,
            epub: self.epub.finish(),
            pdf: self.pdf.finish(),
        }
    }
}

/// The result of [`check`].
#[derive(Debug)]
pub struct Checked {
    /// The manuscript's text files (for rendering diagnostics).
    pub sources: SourceMap,
    /// The book, when the manuscript has no errors.
    pub book: Option<Book>,
    /// Every problem found.
    pub diagnostics: Vec<Diagnostic>,
    /// Every file read or looked for (see [`BuildReport::inputs`]).
    pub inputs: Vec<PathBuf>,
}

/// Reads and parses a manuscript, reporting every problem; `strict` turns warnings into
/// errors.
pub fn check(input: &Path, strict: bool) -> Result<Checked, Error> {
    let files = Files::disk(crate::files::manuscript_root(input), None);
    let (sources, book, diagnostics) = check_with(input, strict, false, &files, None)?;
    Ok(Checked {
        sources,
        book,
        diagnostics,
        inputs: files.inputs(),
    })
}

/// [`check`] through `files`, taking the files parsed in an earlier build from `parses`;
/// `booklet` is `--booklet`.
fn check_with(
    input: &Path,
    strict: bool,
    booklet: bool,
    files: &Files<'_>,
    parses: Option<&crate::parse::ParseCache>,
) -> Result<(SourceMap, Option<Book>, Vec<Diagnostic>), Error> {
    let (mut sources, mut diagnostics) = crate::files::load_manuscript(input, files)?;
    let mut parsed = crate::parse::parse_cached(&sources, files, parses);
    diagnostics.extend(parsed.diagnostics);
    // Issue 16: citations and the bibliography, between the parser and the backends.
    if let Some(book) = &mut parsed.book {
        crate::cite::resolve(book, files, &mut sources, &mut diagnostics);
    }
    // Issue 15: a booklet of pages too large for half a printer sheet (a warning, so
    // `--strict` makes it an error like any other).
    if let Some(book) = &parsed.book {
        diagnostics.extend(booklet_size_warning(book, booklet));
    }
    if strict {
        for d in &mut diagnostics {
            d.severity = Severity::Error;
        }
    }
    let book = if has_errors(&diagnostics) {
        None
    } else {
        parsed.book
    };
    Ok((sources, book, diagnostics))
}

/// Builds the requested outputs. Nothing is written when the manuscript has errors, and
/// every file is written atomically, so the last good outputs survive a failed build.
///
/// A one-off build keeps no cache: the paragraph cache holds a second copy of every
/// broken line (the document's glyphs, twice: 94 MiB of the essay ×100's peak) and
/// hashes every paragraph and every stream, which only pays when a later build reuses
/// them.
pub fn build(request: &BuildRequest) -> Result<BuildReport, Error> {
    build_with(request, None)
}

/// [`build`], keeping what does not change between builds in `cache` (one per watch
/// session): broken paragraphs and compressed PDF streams, keyed by content, so the
/// outputs are byte-identical to a clean build's. After a failed build the cache is kept
/// as it was.
pub fn build_cached(request: &BuildRequest, cache: &BuildCache) -> Result<BuildReport, Error> {
    build_with(request, Some(cache))
}

fn build_with(request: &BuildRequest, cache: Option<&BuildCache>) -> Result<BuildReport, Error> {
    let files = Files::disk(
        crate::files::manuscript_root(&request.input),
        cache.map(|c| &c.files),
    );
    let (sources, book, mut diagnostics) = check_with(
        &request.input,
        request.strict,
        request.booklet,
        &files,
        cache.map(|c| &c.parses),
    )?;
    let Some(book) = book else {
        return Ok(BuildReport {
            sources,
            diagnostics,
            outputs: Vec::new(),
            inputs: files.inputs(),
            // Not finished: a failed build keeps every cache as it was (what it did not
            // use stays for the build that fixes the error).
            cache: BuildCacheStats::default(),
            fallback_fonts: Vec::new(),
        });
    };
    std::fs::create_dir_all(&request.out_dir).map_err(|e| Error::io(&request.out_dir, e))?;
    // Temporaries of builds that were killed mid-write (they cannot clean up themselves).
    crate::output::remove_stale_temporaries(&request.out_dir);
    let stem = file_stem(&book.meta.title);
    // EPUB and PDF are independent once the book is parsed: build them on two threads.
    // Each backend is deterministic on its own, and the outputs are collected in a fixed
    // order, so threading changes no byte and no report order.
    //
    // The EPUB thread starts once the book is typeset: the typesetter already keeps two
    // cores busy (a long book is laid out on two threads), while the PDF writer has long
    // single-threaded stretches (subsetting, printpdf's conversion, saving) that leave a
    // core idle for the EPUB. Each stage's cache is shared (`&self`), so both threads
    // take theirs from the build's.
    //
    // Issue 17: the EPUB marks where each of the PDF's pages begins, so it waits for the
    // pagination (the typesetter hands it the page map) unless the book turns the page
    // list off.
    let paged_epub = request.formats.epub && book.meta.epub.page_list();
    //
    // When both are built and the EPUB needs no pages, it starts at once instead, on a
    // thread of the lowest scheduling priority: it then runs in the gaps the PDF leaves
    // on the second core (one layout thread finishing before the other, pagination, the
    // writer's single-threaded stretches) without slowing the PDF's critical path.
    //
    // With `--strict`, the typesetter's warnings (a character no font has) fail the
    // build, and nothing may be written then: the EPUB waits for the typesetter.
    let background_epub = request.formats.pdf
        && !paged_epub
        && cache.is_none()
        && !request.strict
        && lower_priority_available();
    // The generated cover (issue 14) is painted on a thread of its own from the start,
    // at the lowest priority where there is one: it needs only the metadata and the
    // fonts, and a paged EPUB would otherwise paint it after the pagination, on the
    // build's critical path (5 ms of the sample's 25).
    // The painted cover comes through a channel: a cover thread that panicked (a bug)
    // drops its sender, and the EPUB then paints the cover itself rather than wait.
    let (cover_sender, cover_receiver) = std::sync::mpsc::channel();
    let cover_receiver = std::sync::Mutex::new(cover_receiver);
    let (epub, pdf) = std::thread::scope(|scope| {
        if request.formats.epub && wants_generated_cover(&book) {
            let (book, files) = (&book, &files);
            scope.spawn(move || {
                if lower_priority_available() {
                    lower_this_threads_priority();
                }
                let _ = cover_sender.send(generated_cover(book, files, cache));
            });
        } else {
            drop(cover_sender);
        }
        let spawn_epub = |pages: Option<crate::pagemap::PageMap>| {
            let (book, files, stem, cover_receiver) = (&book, &files, &stem, &cover_receiver);
            scope.spawn(move || {
                if background_epub {
                    lower_this_threads_priority();
                }
                let painted = cover_receiver.lock().ok().and_then(|r| r.recv().ok());
                let cover = match painted {
                    Some(cover) => cover?,
                    None => generated_cover(book, files, cache)?,
                };
                write_epub(request, book, stem, cache, cover, pages)
            })
        };
        let mut epub = (request.formats.epub && background_epub).then(|| spawn_epub(None));
        let mut blocked = false;
        let pdf = request.formats.pdf.then(|| {
            let typeset = |ok: bool, map: &crate::pagemap::PageMap| {
                blocked = !ok;
                if ok && request.formats.epub && epub.is_none() {
                    epub = Some(spawn_epub(paged_epub.then(|| map.clone())));
                }
            };
            write_pdf(request, &book, &files, &sources, &stem, cache, typeset)
        });
        // The EPUB alone: typeset for its pages all the same (no PDF is written).
        let pages = if paged_epub && !request.formats.pdf {
            Some(page_map(&book, &files, &sources, cache))
        } else {
            None
        };
        // The PDF failed before it was typeset, or was not asked for.
        if request.formats.epub && epub.is_none() && !blocked {
            match pages {
                Some(Err(e)) => return (Some(Err(e)), pdf),
                Some(Ok(map)) => epub = Some(spawn_epub(Some(map))),
                None => epub = Some(spawn_epub(None)),
            }
        }
        (epub.map(join), pdf)
    });
    crate::drop_in_background(book);
    let mut outputs = Vec::new();
    if let Some(epub) = epub {
        outputs.push(epub?);
    }
    let mut fallback_fonts = Vec::new();
    if let Some(pdf) = pdf {
        let pdf = pdf?;
        diagnostics.extend(pdf.warnings);
        outputs.extend(pdf.output);
        outputs.extend(pdf.booklet);
        fallback_fonts = pdf.fallback_fonts;
    }
    Ok(BuildReport {
        sources,
        diagnostics,
        outputs,
        inputs: files.inputs(),
        cache: cache.map_or_else(BuildCacheStats::default, BuildCache::finish),
        fallback_fonts,
    })
}

/// A scoped thread's result; a panic in it (a bug) is re-raised here, as it would have
/// been without the thread.
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    match handle.join() {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

fn write_epub(
    request: &BuildRequest,
    book: &Book,
    stem: &str,
    cache: Option<&BuildCache>,
    cover: Option<std::sync::Arc<[u8]>>,
    pages: Option<crate::pagemap::PageMap>,
) -> Result<Output, Error> {
    let start = Instant::now();
    let options = crate::epub::EpubOptions {
        timestamp: request.timestamp,
        cover,
        pages,
    };
    let bytes = crate::epub::write_cached(book, &options, cache.map(|c| &c.epub))?;
    let path = request.out_dir.join(format!("{stem}.epub"));
    crate::output::write_atomic(&path, &bytes)?;
    Ok(Output {
        format: Format::Epub,
        path,
        size: bytes.len(),
        elapsed: start.elapsed(),
    })
}

/// The PDF's pages, for an EPUB built alone (issue 17): the book typeset as for the PDF
/// (through the same caches, so a watch session's EPUB and PDF agree), the pages kept,
/// the rest dropped. The typesetter's warnings are the PDF's: not reported.
fn page_map(
    book: &Book,
    files: &Files<'_>,
    sources: &SourceMap,
    cache: Option<&BuildCache>,
) -> Result<crate::pagemap::PageMap, Error> {
    let fonts = crate::fonts::FontSet::load(&book.meta.pdf.fonts, files)?;
    let (mut document, _) =
        crate::typeset::typeset_in(book, &fonts, sources, cache.map(|c| &c.typeset));
    let map = std::mem::take(&mut document.page_map);
    crate::drop_in_background(document);
    Ok(map)
}

/// Whether the EPUB gets a generated cover: a book without `cover-image` and without
/// `cover: none`.
fn wants_generated_cover(book: &Book) -> bool {
    book.meta.cover.is_none() && !book.meta.no_generated_cover
}

/// The generated cover for the EPUB (issue 14): only for a book without `cover-image`
/// and without `cover: none`, painted in the PDF's fonts; in `quire watch`, painted again
/// only when what it shows changes.
fn generated_cover(
    book: &Book,
    files: &Files<'_>,
    cache: Option<&BuildCache>,
) -> Result<Option<std::sync::Arc<[u8]>>, Error> {
    if !wants_generated_cover(book) {
        return Ok(None);
    }
    let fonts = crate::fonts::FontSet::load(&book.meta.pdf.fonts, files)?;
    let mut h = crate::memo::KeyHasher::default();
    h.add(&fonts.key());
    h.add(&book.meta.title);
    h.add(&book.meta.subtitle);
    h.add(&book.meta.authors);
    let key = h.key();
    let slot = cache.and_then(|c| c.cover.lock().ok());
    if let Some(slot) = &slot {
        if let Some((k, png)) = slot.as_ref() {
            if *k == key {
                return Ok(Some(png.clone()));
            }
        }
    }
    let png: Option<std::sync::Arc<[u8]>> = crate::cover::png(book, &fonts).map(Into::into);
    if let (Some(mut slot), Some(png)) = (slot, &png) {
        *slot = Some((key, png.clone()));
    }
    Ok(png)
}

/// What writing the PDF gave.
struct PdfResult {
    /// The file written; `None` when `--strict` turned the typesetter's warnings into
    /// errors (then nothing is written).
    output: Option<Output>,
    /// The typesetter's warnings (errors under `--strict`).
    warnings: Vec<Diagnostic>,
    /// The fallback fonts used (see [`BuildReport::fallback_fonts`]).
    fallback_fonts: Vec<String>,
    /// The booklet imposed from the PDF, when asked for (issue 15).
    booklet: Option<Output>,
}

/// Typesets the book and writes the PDF, and the booklet when asked for; calls
/// `typeset` once the book is typeset, with whether the build goes on (not when
/// `--strict` fails it) and the pages (the EPUB's page list, issue 17).
fn write_pdf(
    request: &BuildRequest,
    book: &Book,
    files: &Files<'_>,
    sources: &SourceMap,
    stem: &str,
    cache: Option<&BuildCache>,
    typeset: impl FnOnce(bool, &crate::pagemap::PageMap),
) -> Result<PdfResult, Error> {
    let start = Instant::now();
    let fonts = crate::fonts::FontSet::load(&book.meta.pdf.fonts, files)?;
    let (document, mut warnings) =
        crate::typeset::typeset_in(book, &fonts, sources, cache.map(|c| &c.typeset));
    let pdf_cache = cache.map(|c| &c.pdf);
    if request.strict && !warnings.is_empty() {
        for d in &mut warnings {
            d.severity = Severity::Error;
        }
        typeset(false, &document.page_map);
        return Ok(PdfResult {
            output: None,
            warnings,
            fallback_fonts: Vec::new(),
            booklet: None,
        });
    }
    typeset(true, &document.page_map);
    let fallback_fonts = fallback_fonts(&document, &fonts);
    let bytes = crate::pdf::write_cached(&document, &fonts, &book.assets, pdf_cache)?;
    // The Document is the largest structure of the build (a glyph per letter of the
    // book); free it before writing, on another thread (freeing takes as long as writing
    // the file).
    crate::drop_in_background(document);
    let path = request.out_dir.join(format!("{stem}.pdf"));
    crate::output::write_atomic(&path, &bytes)?;
    let pdf = Output {
        format: Format::Pdf,
        path,
        size: bytes.len(),
        elapsed: start.elapsed(),
    };
    // Issue 15: the booklet is imposed from the PDF's bytes just written (a patched
    // file in `quire watch` as well), made whole each time: see `pdf::booklet`.
    let booklet = if request.booklet || book.meta.pdf.booklet == Some(true) {
        Some(write_booklet(request, &bytes, stem)?)
    } else {
        None
    };
    Ok(PdfResult {
        output: Some(pdf),
        warnings,
        fallback_fonts,
        booklet,
    })
}

/// The fallback faces the document's runs use, each with the scripts it sets: one line
/// per face, e.g. `Noto Naskh Arabic (system: /usr/share/fonts/…) for Arabic`. Reads
/// only the runs' faces (and the glyphs of the few runs in fallback faces).
fn fallback_fonts(
    doc: &crate::typeset::document::Document,
    fonts: &crate::fonts::FontSet,
) -> Vec<String> {
    use std::collections::{BTreeMap, BTreeSet};
    use unicode_script::UnicodeScript;
    let mut used: BTreeMap<crate::fonts::FaceId, BTreeSet<&'static str>> = BTreeMap::new();
    for run in doc.pages.iter().flat_map(|p| &p.runs) {
        if run.face.is_book() {
            continue;
        }
        let scripts = used.entry(run.face).or_default();
        for c in run.glyphs.iter().flat_map(|g| g.text.chars()) {
            let script = c.script();
            if !matches!(
                script,
                unicode_script::Script::Common
                    | unicode_script::Script::Inherited
                    | unicode_script::Script::Unknown
            ) {
                scripts.insert(script.full_name());
            }
        }
    }
    used.into_iter()
        .map(|(face, scripts)| {
            let scripts: Vec<String> = scripts.iter().map(|s| s.replace('_', " ")).collect();
            let what = if scripts.is_empty() {
                "symbols".to_string()
            } else {
                scripts.join(", ")
            };
            format!("{} for {what}", fonts.describe(face))
        })
        .collect()
}

/// Writes `<stem>-booklet.pdf`, the pages of the PDF `pdf` imposed for saddle stitching.
fn write_booklet(request: &BuildRequest, pdf: &[u8], stem: &str) -> Result<Output, Error> {
    let start = Instant::now();
    let bytes = crate::pdf::booklet::impose(pdf)?;
    let path = request.out_dir.join(format!("{stem}-booklet.pdf"));
    crate::output::write_atomic(&path, &bytes)?;
    Ok(Output {
        format: Format::Booklet,
        path,
        size: bytes.len(),
        elapsed: start.elapsed(),
    })
}

/// A warning when a booklet is asked for (by `booklet` or the metadata) and the pages are
/// larger than half an A4 or Letter sheet: at the `booklet` key (or the preset that
/// implied it), or nowhere for `--booklet`.
fn booklet_size_warning(book: &Book, booklet: bool) -> Option<Diagnostic> {
    let pdf = &book.meta.pdf;
    let from_meta = pdf.booklet == Some(true);
    if !booklet && !from_meta {
        return None;
    }
    let style = crate::typeset::style::Style::from_meta(&book.meta);
    let message = crate::pdf::booklet::oversize(style.page_width, style.page_height)?;
    let at = if from_meta { pdf.booklet_at } else { None };
    Some(
        Diagnostic::warning(at, message)
            .with_hint("for a booklet on A4 or Letter, use `paper: a5` or `paper: half-letter`"),
    )
}

/// A file name for the book's outputs: a lowercase ASCII slug of its title, e.g.
/// `stalinism-the-complete-negation-of-socialism`; `book` when nothing is left.
pub fn file_stem(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 80 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "book".to_string()
    } else {
        slug.to_string()
    }
}

/// Whether [`lower_this_threads_priority`] can do anything here.
fn lower_priority_available() -> bool {
    cfg!(target_os = "linux")
}

/// Gives the calling thread the lowest scheduling priority (nice 19): Linux schedules
/// threads one by one, so this leaves the rest of the process as it was. Best effort:
/// a refusal leaves the thread as it was.
#[cfg(target_os = "linux")]
fn lower_this_threads_priority() {
    // SAFETY: `gettid` has no preconditions; `setpriority` on our own thread id only
    // changes its nice value (lowering it needs no privilege).
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid);
        if let Ok(tid) = libc::id_t::try_from(tid) {
            libc::setpriority(libc::PRIO_PROCESS, tid, 19);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_threads_priority() {}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn file_stems_are_slugs_of_the_title() {
        assert_eq!(
            file_stem("Stalinism: The Complete Negation of Socialism"),
            "stalinism-the-complete-negation-of-socialism"
        );
        assert_eq!(file_stem("  Ça & là!  "), "a-l");
        assert_eq!(file_stem("Война и мир"), "book");
    }
}
