//! The file layer: every byte a build reads from disk comes through here, and is recorded.
//!
//! The manuscript's text files, `book.yaml`, images, the cover and font files are read by
//! [`Files`], which remembers each path it was asked for (found or not). The parser and
//! the backends never touch the file system: they ask a [`Files`], so a test (or the
//! fuzzer) can hand them an in-memory manuscript, and `quire watch` watches exactly the
//! files the last build read ([`Files::inputs`]) plus the folder, for chapters added.
//!
//! Between builds of one `quire watch` session a [`FileStore`] keeps what was read, keyed
//! by what the file system says of each file (see [`FileStore`] for why that is safe).

use crate::diag::Diagnostic;
use crate::error::Error;
use crate::memo::{Key, KeyHasher};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Names tried, in order, for the metadata file of a manuscript folder.
pub const METADATA_FILES: [&str; 2] = ["book.yaml", "book.yml"];

/// Whether a manuscript file is YAML metadata (`book.yaml`) rather than Markdown: the one
/// rule, used by the loader, the parser and the watcher.
pub fn is_metadata_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

/// Whether a file in the manuscript folder is a chapter (`*.md`).
pub fn is_chapter_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("md"))
}

/// Why a file inside the manuscript folder could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadProblem {
    /// No such file (or not a regular file, or unreadable).
    Missing,
    /// The path leaves the manuscript folder (absolute, `..`, or a symlink out).
    OutsideRoot,
}

/// A file read from inside the manuscript folder.
#[derive(Clone, Debug)]
pub struct RootFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its path relative to the folder, `/`-separated, symlinks resolved.
    pub href: String,
    /// Its bytes.
    pub bytes: Arc<[u8]>,
}

/// A stored file: its description's key (see [`stamp`]) and what was read.
type Stored = (Key, ReadFile);

/// A file's bytes and, once asked for, its text as a [`SourceFile`] (`None`: not UTF-8).
/// Kept together so a rebuild takes an unchanged chapter's text as it was, without
/// validating and splitting 1.4 MB of UTF-8 into lines again (a tenth of a one-word
/// rebuild of the essay ×100).
#[derive(Clone)]
struct ReadFile {
    bytes: Arc<[u8]>,
    source: Arc<std::sync::OnceLock<Option<SourceFile>>>,
}

impl ReadFile {
    fn new(bytes: Arc<[u8]>) -> ReadFile {
        ReadFile {
            bytes,
            source: Arc::default(),
        }
    }

    /// The file as manuscript text read from `path`: its source file, or its bytes when
    /// they are not UTF-8.
    fn source(&self, path: &Path) -> Result<SourceFile, Vec<u8>> {
        let source = self.source.get_or_init(|| {
            String::from_utf8(self.bytes.to_vec())
                .ok()
                .map(|text| SourceFile::new(path, text))
        });
        source.clone().ok_or_else(|| self.bytes.to_vec())
    }
}

/// Files read in earlier builds (`quire watch`), by path, with what the file system said
/// of each (size, modification and change times, inode): a file whose description has
/// not changed is not read again (opening and reading 800 small chapter files took as
/// long as parsing them). This is not a content cache: it trusts the file system's
/// description, as `make` and git do, with git's guard against "racy clean" files (see
/// [`stamp`]); the watcher also forgets every file an event names ([`FileStore::forget`]).
#[derive(Default)]
pub struct FileStore {
    entries: Mutex<HashMap<PathBuf, Stored>>,
    stats: crate::memo::Counter,
}

impl FileStore {
    /// Forgets the files at `paths` (relative to the manuscript folder, as the watcher
    /// names them), so the next build reads them again whatever their description. Every
    /// stored path that ends with one of them is forgotten: reading a file again costs
    /// only time, keeping a changed one would cost correctness.
    pub fn forget<'p>(&self, paths: impl IntoIterator<Item = &'p Path>) {
        if let Ok(mut entries) = self.entries.lock() {
            for p in paths {
                entries.retain(|stored, _| !stored.ends_with(p));
            }
        }
    }

    /// Ends a build: its hit (not read again) and miss (read) counts.
    pub fn finish(&self) -> crate::memo::CacheStats {
        self.stats.finish()
    }

    fn get(&self, path: &Path, stamp: Key) -> Option<ReadFile> {
        let entries = self.entries.lock().ok()?;
        match entries.get(path) {
            Some((k, file)) if *k == stamp => Some(file.clone()),
            _ => None,
        }
    }

    fn put(&self, path: &Path, stamp: Key, file: ReadFile) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(path.to_path_buf(), (stamp, file));
        }
    }
}

/// Where a [`Files`] takes its bytes from.
enum Origin<'s> {
    /// The file system, through an optional store of earlier builds' reads.
    Disk(Option<&'s FileStore>),
    /// A map from paths (as the build asks for them) to bytes: tests and the fuzzer.
    Memory(BTreeMap<PathBuf, Arc<[u8]>>),
}

/// One build's reader of files, recording every path it is asked for.
pub struct Files<'s> {
    root: PathBuf,
    origin: Origin<'s>,
    /// Paths asked for (found or not), relative to the root where they lie inside it.
    inputs: Mutex<BTreeSet<PathBuf>>,
}

impl<'s> Files<'s> {
    /// Files on disk, under the manuscript folder `root`; `store` keeps what earlier builds
    /// read.
    pub fn disk(root: impl Into<PathBuf>, store: Option<&'s FileStore>) -> Files<'s> {
        Files {
            root: root.into(),
            origin: Origin::Disk(store),
            inputs: Mutex::default(),
        }
    }

    /// Files held in memory, by their path relative to `root` (images, fonts): for tests
    /// and tools that have no folder. A build over them never touches the disk.
    pub fn in_memory(
        root: impl Into<PathBuf>,
        files: impl IntoIterator<Item = (PathBuf, Vec<u8>)>,
    ) -> Files<'static> {
        let root = root.into();
        let map = files
            .into_iter()
            .map(|(p, b)| (root.join(p), Arc::from(b)))
            .collect();
        Files {
            root,
            origin: Origin::Memory(map),
            inputs: Mutex::default(),
        }
    }

    /// No files at all (a manuscript given as text: every image is missing).
    pub fn none(root: impl Into<PathBuf>) -> Files<'static> {
        Files::in_memory(root, [])
    }

    /// The manuscript folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every path this build asked for, found or not, sorted: relative to the manuscript
    /// folder when inside it, as given otherwise. What `quire watch` watches.
    pub fn inputs(&self) -> Vec<PathBuf> {
        self.inputs
            .lock()
            .map(|i| i.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn record(&self, path: &Path) {
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        if let Ok(mut inputs) = self.inputs.lock() {
            inputs.insert(rel.to_path_buf());
        }
    }

    /// Reads the file at `path` (any path: a font may lie outside the folder).
    pub fn read(&self, path: &Path) -> std::io::Result<Arc<[u8]>> {
        self.read_file(path).map(|f| f.bytes)
    }

    fn read_file(&self, path: &Path) -> std::io::Result<ReadFile> {
        self.record(path);
        match &self.origin {
            Origin::Memory(map) => map.get(path).cloned().map(ReadFile::new).ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::NotFound, "not in the manuscript")
            }),
            Origin::Disk(store) => read_disk(path, *store),
        }
    }

    /// Reads a manuscript text file into `map` (see [`add_bytes`] for text that is not
    /// UTF-8).
    fn read_source(
        &self,
        map: &mut SourceMap,
        path: &Path,
        diags: &mut Vec<Diagnostic>,
    ) -> Result<(), Error> {
        let file = self.read_file(path).map_err(|e| Error::io(path, e))?;
        add_read(map, path, &file, diags);
        Ok(())
    }

    /// Reads `rel`, a path relative to the manuscript folder, refusing any path that
    /// leaves it (absolute, climbing with `..`, or a symlink that leads out).
    pub fn read_in_root(&self, rel: &Path) -> Result<RootFile, ReadProblem> {
        if rel
            .components()
            .any(|c| matches!(c, Component::RootDir | Component::Prefix(_)))
        {
            return Err(ReadProblem::OutsideRoot);
        }
        match &self.origin {
            Origin::Memory(map) => {
                if escapes(rel) {
                    return Err(ReadProblem::OutsideRoot);
                }
                let path = self.root.join(rel);
                self.record(&path);
                let bytes = map.get(&path).cloned().ok_or(ReadProblem::Missing)?;
                Ok(RootFile {
                    href: slash_path(rel),
                    path,
                    bytes,
                })
            }
            Origin::Disk(store) => {
                self.record(&self.root.join(rel));
                let root = self.root.canonicalize().map_err(|_| ReadProblem::Missing)?;
                let real = match root.join(rel).canonicalize() {
                    Ok(p) => p,
                    // A path with `..` that leaves the root is refused even when it does
                    // not exist.
                    Err(_) if escapes(rel) => return Err(ReadProblem::OutsideRoot),
                    Err(_) => return Err(ReadProblem::Missing),
                };
                // Symlinks are resolved by canonicalize, so this catches links that lead
                // out.
                let Ok(inside) = real.strip_prefix(&root) else {
                    return Err(ReadProblem::OutsideRoot);
                };
                if !real.is_file() {
                    return Err(ReadProblem::Missing);
                }
                // The real file is watched too (an image reached through a symlink).
                self.record(&self.root.join(inside));
                let bytes = read_disk(&real, *store)
                    .map_err(|_| ReadProblem::Missing)?
                    .bytes;
                Ok(RootFile {
                    href: slash_path(inside),
                    path: real,
                    bytes,
                })
            }
        }
    }
}

/// Adds a file read as manuscript text to `map`.
fn add_read(map: &mut SourceMap, path: &Path, file: &ReadFile, diags: &mut Vec<Diagnostic>) {
    match file.source(path) {
        Ok(source) => {
            map.add(source);
        }
        Err(bytes) => {
            add_bytes(map, path, bytes, diags);
        }
    }
}

/// `path`'s components joined with `/` (as links and the EPUB write paths).
fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a relative path climbs above its start with `..`.
fn escapes(rel: &Path) -> bool {
    let mut depth: i32 = 0;
    for c in rel.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

/// Reads a file from disk, through `store` when its description allows.
fn read_disk(path: &Path, store: Option<&FileStore>) -> std::io::Result<ReadFile> {
    let Some(store) = store else {
        return std::fs::read(path).map(|b| ReadFile::new(b.into()));
    };
    let stamp = std::fs::metadata(path).ok().and_then(|m| stamp(path, &m));
    if let Some(stamp) = stamp {
        if let Some(file) = store.get(path, stamp) {
            store.stats.hit();
            return Ok(file);
        }
    }
    store.stats.miss();
    let file = ReadFile::new(std::fs::read(path)?.into());
    if let Some(stamp) = stamp {
        store.put(path, stamp, file.clone());
    }
    Ok(file)
}

/// The key of a file as the file system describes it, or `None` when that cannot be
/// trusted to change with the contents.
///
/// Modification times have the kernel clock's tick as granularity (milliseconds), so a
/// file written twice within one tick, with the same size, would look unchanged (git's
/// "racy clean" problem). A file modified less than two seconds before it is looked at is
/// therefore always read again (the clock only decides whether to read, never what is
/// written).
fn stamp(path: &Path, meta: &std::fs::Metadata) -> Option<Key> {
    if !meta.is_file() {
        return None;
    }
    let modified = meta.modified().ok()?;
    let age = std::time::SystemTime::now().duration_since(modified).ok()?;
    if age < std::time::Duration::from_secs(2) {
        return None;
    }
    let mut h = KeyHasher::default();
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

/// The manuscript folder of `input`: itself when it is a folder, the folder holding it
/// when it is a single file (`.` for a bare file name).
pub fn manuscript_root(input: &Path) -> PathBuf {
    if input.is_dir() {
        return input.to_path_buf();
    }
    match input.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether the manuscript `input` is a folder (an error when it does not exist).
fn is_folder(input: &Path, files: &Files<'_>) -> Result<bool, Error> {
    match &files.origin {
        Origin::Disk(_) => Ok(std::fs::metadata(input)
            .map_err(|e| Error::io(input, e))?
            .is_dir()),
        Origin::Memory(_) => Ok(input == files.root),
    }
}

/// Reads the manuscript at `input` through `files` (made for
/// [`manuscript_root`]`(input)`).
///
/// A folder yields its metadata file (if any) first, then every `*.md` file in byte order
/// of the file names (so `01-…`, `02-…` sort as written). A file yields itself. Files that
/// are not UTF-8 are still added (with replacement characters) so the error can point at
/// the bad byte; an empty folder is an error diagnostic. I/O failures are [`Error::Io`].
pub fn load_manuscript(
    input: &Path,
    files: &Files<'_>,
) -> Result<(SourceMap, Vec<Diagnostic>), Error> {
    let mut diags = Vec::new();
    if !is_folder(input, files)? {
        let mut map = SourceMap::new(files.root());
        files.read_source(&mut map, input, &mut diags)?;
        return Ok((map, diags));
    }
    let mut map = SourceMap::new(input);
    let chapters = chapter_files(input, files)?;
    // The metadata file is watched whether or not it exists (creating it changes the
    // book).
    for name in METADATA_FILES {
        let path = input.join(name);
        if let Ok(file) = files.read_file(&path) {
            add_read(&mut map, &path, &file, &mut diags);
            break;
        }
    }
    if chapters.is_empty() {
        diags.push(
            Diagnostic::error(
                None,
                format!(
                    "the manuscript folder {} holds no chapter files",
                    input.display()
                ),
            )
            .with_hint(
                "add Markdown files named like `01-opening.md`; they are read in file-name order",
            ),
        );
    }
    for path in &chapters {
        files.read_source(&mut map, path, &mut diags)?;
    }
    Ok((map, diags))
}

/// The chapter files of a manuscript folder, in byte order of their names: deterministic
/// and independent of the locale.
fn chapter_files(input: &Path, files: &Files<'_>) -> Result<Vec<PathBuf>, Error> {
    let mut chapters: Vec<PathBuf> = match &files.origin {
        Origin::Memory(map) => map
            .keys()
            .filter(|p| p.parent() == Some(input) && is_chapter_file(p))
            .cloned()
            .collect(),
        Origin::Disk(_) => {
            let mut found = Vec::new();
            let entries = std::fs::read_dir(input).map_err(|e| Error::io(input, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| Error::io(input, e))?;
                let path = entry.path();
                if is_chapter_file(&path) && std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                    found.push(path);
                }
            }
            found
        }
    };
    chapters.sort_by(|a, b| {
        let (a, b) = (a.file_name(), b.file_name());
        a.map(|n| n.as_encoded_bytes())
            .cmp(&b.map(|n| n.as_encoded_bytes()))
    });
    Ok(chapters)
}

/// Adds a file's raw bytes to `map`: text that is not UTF-8 is still added (with
/// replacement characters) and an error names its first bad byte.
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_recorded_found_or_not() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.png"), b"x").unwrap();
        let files = Files::disk(dir.path(), None);
        assert!(files.read_in_root(Path::new("a.png")).is_ok());
        assert_eq!(
            files.read_in_root(Path::new("img/none.jpe")).err(),
            Some(ReadProblem::Missing)
        );
        assert_eq!(
            files.inputs(),
            vec![PathBuf::from("a.png"), PathBuf::from("img/none.jpe")]
        );
    }

    #[test]
    fn refuses_paths_outside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("book");
        std::fs::create_dir_all(root.join("img")).unwrap();
        std::fs::write(dir.path().join("secret.png"), b"s").unwrap();
        std::fs::write(root.join("img/a b.png"), b"a").unwrap();
        let files = Files::disk(&root, None);
        let ok = files.read_in_root(Path::new("img/a b.png")).unwrap();
        assert_eq!((ok.href.as_str(), &*ok.bytes), ("img/a b.png", &b"a"[..]));
        for outside in ["../secret.png", "img/../../secret.png", "../nothing.png"] {
            assert_eq!(
                files.read_in_root(Path::new(outside)).err(),
                Some(ReadProblem::OutsideRoot),
                "{outside}"
            );
        }
        let abs = dir.path().join("secret.png");
        assert_eq!(
            files.read_in_root(&abs).err(),
            Some(ReadProblem::OutsideRoot)
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&abs, root.join("link.png")).unwrap();
            assert_eq!(
                files.read_in_root(Path::new("link.png")).err(),
                Some(ReadProblem::OutsideRoot)
            );
        }
        let memory = Files::in_memory("/m", [(PathBuf::from("x.png"), b"x".to_vec())]);
        assert!(memory.read_in_root(Path::new("x.png")).is_ok());
        assert_eq!(
            memory.read_in_root(Path::new("../x.png")).err(),
            Some(ReadProblem::OutsideRoot)
        );
    }

    #[test]
    fn the_store_reads_a_changed_file_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.md");
        std::fs::write(&path, b"one").unwrap();
        // Old enough to be trusted (see `stamp`).
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        let set_old = |p: &Path| {
            std::fs::File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(old)
                .unwrap()
        };
        set_old(&path);
        let store = FileStore::default();
        assert_eq!(
            &*Files::disk(dir.path(), Some(&store)).read(&path).unwrap(),
            b"one"
        );
        assert_eq!(
            &*Files::disk(dir.path(), Some(&store)).read(&path).unwrap(),
            b"one"
        );
        assert_eq!(
            store.finish(),
            crate::memo::CacheStats { hits: 1, misses: 1 }
        );
        // Same length, same old mtime: the change time still differs.
        std::fs::write(&path, b"two").unwrap();
        set_old(&path);
        assert_eq!(
            &*Files::disk(dir.path(), Some(&store)).read(&path).unwrap(),
            b"two"
        );
        // Forgotten: read again even though nothing changed.
        store.forget([Path::new("a.md")]);
        assert_eq!(
            &*Files::disk(dir.path(), Some(&store)).read(&path).unwrap(),
            b"two"
        );
        assert_eq!(
            store.finish(),
            crate::memo::CacheStats { hits: 0, misses: 2 }
        );
    }
}
