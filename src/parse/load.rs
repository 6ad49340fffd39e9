//! Reading a manuscript from disk into a [`SourceMap`]: a folder (`book.yaml` plus `*.md`
//! chapter files) or a single Markdown file with YAML front matter. This is the only
//! place that reads text files; everything after works on the map.

use crate::diag::Diagnostic;
use crate::error::Error;
use crate::source::{FileId, SourceFile, SourceMap, Span};
use std::path::{Path, PathBuf};

/// Names tried, in order, for the metadata file of a manuscript folder.
const METADATA_FILES: [&str; 2] = ["book.yaml", "book.yml"];

/// Reads the manuscript at `input`.
///
/// A folder yields its metadata file (if any) first, then every `*.md` file in byte order
/// of the file names (so `01-…`, `02-…` sort as written). A file yields itself. Files that
/// are not UTF-8 are still added (with replacement characters) so the error can point at
/// the bad byte; an empty folder is an error diagnostic. I/O failures are [`Error::Io`].
pub fn load(input: &Path) -> Result<(SourceMap, Vec<Diagnostic>), Error> {
    load_cached(input, None)
}

/// Chapter files read in earlier builds (`quire watch`), keyed by their path and what
/// the file system says about them (size, modification and change times, inode): a file
/// whose entry matches is not read again. Opening and reading 800 small files took as
/// long as parsing them.
pub type FileCache = crate::cache::ContentCache<SourceFile>;

/// [`load`], taking the chapter files that did not change from `cache`: the same map
/// as a clean [`load`].
pub fn load_cached(
    input: &Path,
    cache: Option<&FileCache>,
) -> Result<(SourceMap, Vec<Diagnostic>), Error> {
    let meta = std::fs::metadata(input).map_err(|e| Error::io(input, e))?;
    let mut diags = Vec::new();
    if meta.is_dir() {
        let mut map = SourceMap::new(input);
        let mut chapters: Vec<(PathBuf, Option<std::fs::Metadata>)> = Vec::new();
        let entries = std::fs::read_dir(input).map_err(|e| Error::io(input, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(input, e))?;
            let path = entry.path();
            let is_md = path
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("md"));
            if !is_md {
                continue;
            }
            let meta = std::fs::metadata(&path).ok();
            if meta.as_ref().is_some_and(std::fs::Metadata::is_file) {
                chapters.push((path, meta));
            }
        }
        // Byte order of the names: deterministic and independent of the locale.
        chapters.sort_by(|(a, _), (b, _)| {
            let (a, b) = (a.file_name(), b.file_name());
            a.map(|n| n.as_encoded_bytes())
                .cmp(&b.map(|n| n.as_encoded_bytes()))
        });
        if let Some(yaml) = METADATA_FILES
            .iter()
            .map(|n| input.join(n))
            .find(|p| p.is_file())
        {
            add_file(&mut map, &yaml, &mut diags)?;
        }
        if chapters.is_empty() {
            diags.push(
                Diagnostic::error(None, format!("the manuscript folder {} holds no chapter files", input.display()))
                    .with_hint("add Markdown files named like `01-opening.md`; they are read in file-name order"),
            );
        }
        for (path, meta) in &chapters {
            match (cache, meta.as_ref().and_then(|m| stamp(path, m))) {
                (Some(cache), Some(key)) => {
                    add_file_cached(&mut map, path, key, cache, &mut diags)?
                }
                _ => add_file(&mut map, path, &mut diags)?,
            }
        }
        Ok((map, diags))
    } else {
        let root = match input.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut map = SourceMap::new(root);
        add_file(&mut map, input, &mut diags)?;
        Ok((map, diags))
    }
}

/// The cache key of a file as the file system describes it, or `None` when that cannot
/// be trusted to change with the contents.
///
/// Modification times have the kernel clock's tick as granularity (milliseconds), so a
/// file written twice within one tick, with the same size, would look unchanged (git's
/// "racy clean" problem). A file modified less than two seconds before it is looked at is
/// therefore always read again (the clock only decides whether to read, never what is
/// written).
fn stamp(path: &Path, meta: &std::fs::Metadata) -> Option<crate::cache::Key> {
    let modified = meta.modified().ok()?;
    let age = std::time::SystemTime::now().duration_since(modified).ok()?;
    if age < std::time::Duration::from_secs(2) {
        return None;
    }
    let mut h = crate::cache::KeyHasher::default();
    h.add(path);
    h.add(&meta.len());
    h.add(&modified);
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        h.add(&(meta.dev(), meta.ino(), meta.ctime(), meta.ctime_nsec()));
    }
    Some(h.key())
}

/// [`add_file`] through `cache`. Only files that are valid UTF-8 are kept (the others
/// are reported each time they are read).
fn add_file_cached(
    map: &mut SourceMap,
    path: &Path,
    key: crate::cache::Key,
    cache: &FileCache,
    diags: &mut Vec<Diagnostic>,
) -> Result<(), Error> {
    if let Some(file) = cache.get(key) {
        map.add((*file).clone());
        return Ok(());
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    match String::from_utf8(bytes) {
        Ok(text) => {
            let file = cache.insert(key, SourceFile::new(path, text));
            map.add((*file).clone());
        }
        Err(err) => {
            add_bytes(map, path, err.into_bytes(), diags);
        }
    }
    Ok(())
}

/// Reads one file into `map`, reporting invalid UTF-8 at its first bad byte.
fn add_file(map: &mut SourceMap, path: &Path, diags: &mut Vec<Diagnostic>) -> Result<(), Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    add_bytes(map, path, bytes, diags);
    Ok(())
}

/// Adds a file's raw bytes to `map` as [`load`] does: text that is not UTF-8 is still
/// added (with replacement characters) and an error names its first bad byte. The
/// in-memory entry for tools that have no files (the fuzz targets).
pub fn add_bytes(
    map: &mut SourceMap,
    path: &Path,
    bytes: Vec<u8>,
    diags: &mut Vec<Diagnostic>,
) -> FileId {
    match String::from_utf8(bytes) {
        Ok(text) => map.add(SourceFile::new(path, text)),
        Err(err) => {
            let bad = err.utf8_error().valid_up_to();
            let bytes = err.into_bytes();
            let byte = bytes.get(bad).copied().unwrap_or(0);
            let text = String::from_utf8_lossy(&bytes).into_owned();
            // The text before the bad byte is valid, so its offset is the same in the lossy
            // text, minus a BOM that SourceFile drops.
            let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
            let id = map.add(SourceFile::new(path, text));
            let at = bad.saturating_sub(bom);
            diags.push(
                Diagnostic::error(
                    Span::new(id, at, at + 1),
                    format!("invalid UTF-8 at byte {bad} (0x{byte:02x})"),
                )
                .with_hint("save the file as UTF-8"),
            );
            id
        }
    }
}
