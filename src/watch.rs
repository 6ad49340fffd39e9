//! `quire watch`: build once, then rebuild on every save.
//!
//! Editors write a save as a burst of events (vim alone: create `4913`, rename the file to
//! a backup, write a new one, remove the backup), so the events are gathered until the
//! burst is over and a whole burst gives one rebuild: over when a file was closed after
//! writing or renamed into place and nothing follows within [`SETTLE`], otherwise after
//! [`DEBOUNCE`] of quiet. Only files the build reads
//! count: exactly the files the last build read or looked for (the file layer records
//! them: chapters, `book.yaml`, images whatever their names, fonts), and new chapter files
//! in the folder; the output folder is never looked at, so our own writes never trigger
//! a rebuild. A rebuild is a
//! [`build::build_cached`](crate::build::build_cached) with the session's cache (same
//! bytes as a clean build, see `memo.rs`): nothing is written when the manuscript has
//! errors and every write is atomic, so the last good outputs stay in place until the next
//! good save. Each rebuild is reported as plain data; only `main.rs` prints.

use crate::build::{BuildReport, BuildRequest};
use crate::error::Error;
use crate::files::{is_chapter_file, METADATA_FILES};
use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{EventKind, RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long to wait for more events after a write that may not be finished (data
/// written, a file created, metadata changed) before rebuilding. Editors write one save
/// as a burst within a few milliseconds (vim's probe file, backup rename, write and
/// removal), so 25 ms still gathers a burst; a longer wait is pure latency. A burst that
/// is split anyway only costs one extra rebuild, and every write is atomic, so no
/// half-saved file survives: the second rebuild follows within milliseconds.
const DEBOUNCE: Duration = Duration::from_millis(25);

/// How long to wait for more events after one that ends a save: the file was closed
/// after writing (inotify's `IN_CLOSE_WRITE`), or renamed into place (an atomic save), or
/// removed. What is left of an editor's burst (removing its backup) follows at once,
/// and waiting the whole [`DEBOUNCE`] was a sixth of the time from a save to both
/// outputs of a long book.
const SETTLE: Duration = Duration::from_millis(3);

/// How often the loop looks at the stop flag while no events arrive.
const POLL: Duration = Duration::from_millis(50);

/// The manuscript files that changed since the last build, relative to the watched folder,
/// each list sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Files that did not exist at the last build.
    pub added: Vec<PathBuf>,
    /// Files that existed and were written (or touched).
    pub modified: Vec<PathBuf>,
    /// Files that existed and are gone.
    pub removed: Vec<PathBuf>,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.modified.is_empty() && self.removed.is_empty()
    }
}

/// One build made by the watcher.
#[derive(Debug)]
pub struct Rebuild {
    /// What made it: `None` for the first build, when the watcher starts.
    pub changes: Option<Changes>,
    /// Wall time of the build, from reading the manuscript to the last output renamed
    /// into place.
    pub elapsed: Duration,
    /// The build's report (outputs, or the diagnostics that kept them from being written),
    /// or the error that stopped it (e.g. the manuscript folder was removed).
    pub result: Result<BuildReport, Error>,
}

impl Rebuild {
    /// Whether the outputs on disk are this build's: it succeeded without errors.
    pub fn succeeded(&self) -> bool {
        matches!(&self.result, Ok(report) if !report.failed())
    }
}

/// What the watcher reports.
// One event per build: its size does not matter, and boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum WatchEvent {
    /// A build finished (the first one, or one after changes).
    Rebuilt(Rebuild),
    /// The file watcher reported a problem; watching goes on.
    WatchError(String),
}

/// Which files the watcher cares about.
#[derive(Clone, Debug)]
struct Scope {
    /// The watched folder, canonical (event paths start with it).
    root: PathBuf,
    /// For a single-file manuscript: its file name (the only Markdown file that counts).
    single: Option<std::ffi::OsString>,
    /// The output folder, canonical: ignored even when it is inside `root`.
    out_dir: PathBuf,
    /// The files the last build read or looked for, relative to `root` (see
    /// [`crate::build::BuildReport::inputs`]).
    inputs: BTreeSet<PathBuf>,
}

impl Scope {
    fn new(request: &BuildRequest) -> Result<Scope, Error> {
        let input =
            std::fs::canonicalize(&request.input).map_err(|e| Error::io(&request.input, e))?;
        // The build creates it anyway; it must exist to be canonicalised and excluded.
        std::fs::create_dir_all(&request.out_dir).map_err(|e| Error::io(&request.out_dir, e))?;
        let out_dir =
            std::fs::canonicalize(&request.out_dir).map_err(|e| Error::io(&request.out_dir, e))?;
        if input.is_dir() {
            Ok(Scope {
                root: input,
                single: None,
                out_dir,
                inputs: BTreeSet::new(),
            })
        } else {
            let root = input.parent().map(Path::to_path_buf).unwrap_or_default();
            Ok(Scope {
                root,
                single: input.file_name().map(ToOwned::to_owned),
                out_dir,
                inputs: BTreeSet::new(),
            })
        }
    }

    /// The folders to watch: the manuscript folder, and each folder below it that holds
    /// a file the build reads (images in `img/`). Not recursive: a single file's folder may
    /// be any folder (a home directory), and a book's other folders hold nothing it reads.
    fn folders(&self) -> BTreeSet<PathBuf> {
        let mut folders = BTreeSet::from([self.root.clone()]);
        for input in &self.inputs {
            let mut folder = input.parent();
            while let Some(f) = folder.filter(|f| !f.as_os_str().is_empty()) {
                if f.components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
                {
                    break;
                }
                folders.insert(self.root.join(f));
                folder = f.parent();
            }
        }
        folders
    }

    /// Whether a change at `path` can change the outputs, judged by its name and place
    /// alone (it may no longer exist): a file the last build read or looked for, or a new
    /// chapter or metadata file at the top of the folder.
    fn is_relevant(&self, path: &Path) -> bool {
        if path.starts_with(&self.out_dir) {
            return false;
        }
        let Ok(relative) = path.strip_prefix(&self.root) else {
            return false;
        };
        let Some(name) = relative.file_name() else {
            return false;
        };
        if is_editor_temporary(&name.to_string_lossy()) {
            return false;
        }
        if self.inputs.contains(relative) {
            return true;
        }
        let top_level = relative.parent().is_some_and(|p| p.as_os_str().is_empty());
        match &self.single {
            Some(file) => relative.as_os_str() == file.as_os_str(),
            None => {
                top_level
                    && (is_chapter_file(relative)
                        || METADATA_FILES
                            .iter()
                            .any(|m| name == std::ffi::OsStr::new(m)))
            }
        }
    }

    /// Every relevant file that exists now.
    fn scan(&self) -> BTreeSet<PathBuf> {
        let mut found: BTreeSet<PathBuf> = self
            .inputs
            .iter()
            .map(|p| self.root.join(p))
            .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file()))
            .collect();
        if let Ok(entries) = std::fs::read_dir(&self.root) {
            for entry in entries.flatten() {
                let path = entry.path();
                if self.is_relevant(&path) && std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                    found.insert(path);
                }
            }
        }
        found
    }

    fn relative(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root).unwrap_or(path).to_path_buf()
    }

    /// Takes the files a build read as the new set to watch (a build that failed before
    /// reading leaves the set as it was).
    fn update(&mut self, rebuild: &Rebuild) {
        if let Ok(report) = &rebuild.result {
            self.inputs = report.inputs.iter().cloned().collect();
        }
    }
}

/// Temporary and backup files editors write beside the file being saved: vim's `.x.swp`
/// and its `4913` probe, `x~` backups, emacs's `.#x` locks and `#x#` autosaves, kate's
/// `.x.kate-swp`, gedit's `.goutputstream-…`.
fn is_editor_temporary(name: &str) -> bool {
    name == "4913"
        || name.ends_with('~')
        || name.starts_with(".#")
        || (name.starts_with('#') && name.ends_with('#'))
        || name.starts_with(".goutputstream")
        || [".swp", ".swo", ".swx", ".tmp", ".kate-swp", ".bak"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
}

/// Sorts the touched paths into added, modified and removed by comparing with the files
/// known at the last build (the event kinds are not reliable for that: an editor that
/// saves by renaming a new file over the old one reports a creation), and updates `known`.
fn classify(scope: &Scope, known: &mut BTreeSet<PathBuf>, touched: BTreeSet<PathBuf>) -> Changes {
    let mut changes = Changes::default();
    for path in touched {
        let exists = std::fs::metadata(&path).is_ok_and(|m| m.is_file());
        let relative = scope.relative(&path);
        match (known.contains(&path), exists) {
            (true, true) => changes.modified.push(relative),
            (true, false) => {
                known.remove(&path);
                changes.removed.push(relative);
            }
            (false, true) => {
                known.insert(path);
                changes.added.push(relative);
            }
            // Created and removed within one burst: an editor's temporary.
            (false, false) => {}
        }
    }
    changes
}

/// The changes between two scans (after the watcher lost events and asked for a rescan).
fn difference(scope: &Scope, before: &BTreeSet<PathBuf>, after: &BTreeSet<PathBuf>) -> Changes {
    Changes {
        added: after
            .difference(before)
            .map(|p| scope.relative(p))
            .collect(),
        modified: Vec::new(),
        removed: before
            .difference(after)
            .map(|p| scope.relative(p))
            .collect(),
    }
}

/// Builds `request`, then rebuilds after every change to the manuscript until `stop` is
/// set, reporting each build to `report`. Returns when `stop` is set (checked between
/// builds, so a build in progress completes and its outputs are whole), or with an error
/// if the watcher cannot start (the input does not exist, or the system refuses a watch).
pub fn watch(
    request: &BuildRequest,
    stop: &AtomicBool,
    mut report: impl FnMut(WatchEvent),
) -> Result<(), Error> {
    let mut scope = Scope::new(request)?;
    let watch_error =
        |e: notify::Error| Error::io(&request.input, std::io::Error::other(e.to_string()));
    let (sender, events) = mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(sender).map_err(watch_error)?;
    // Watch before the first build, so a save made while it runs is not missed.
    watcher
        .watch(&scope.root, RecursiveMode::NonRecursive)
        .map_err(watch_error)?;
    let mut watched = BTreeSet::from([scope.root.clone()]);
    // One cache for the session: a rebuild redoes only what the edit changed. A failed
    // build leaves it as it was.
    let cache = crate::build::BuildCache::new();
    let first = rebuild(request, None, &cache);
    scope.update(&first);
    watch_folders(&mut watcher, &scope, &mut watched, &mut report);
    let mut known = scope.scan();
    report(WatchEvent::Rebuilt(first));

    while !stop.load(Ordering::SeqCst) {
        let first = match events.recv_timeout(POLL) {
            Ok(event) => event,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let mut burst = Burst::default();
        burst.add(first, &scope, &mut report);
        if burst.is_empty() {
            // Reads (the build's own among them) and files the build does not read.
            continue;
        }
        // Only relevant events move the deadline: a busy folder (a log written beside
        // the manuscript) cannot hold a rebuild back.
        let mut deadline = Instant::now() + if burst.saved { SETTLE } else { DEBOUNCE };
        while let Some(wait) = deadline.checked_duration_since(Instant::now()) {
            match events.recv_timeout(wait) {
                Ok(event) => {
                    if burst.add(event, &scope, &mut report) {
                        deadline = Instant::now() + if burst.saved { SETTLE } else { DEBOUNCE };
                    }
                }
                Err(_) => break,
            }
        }
        let Burst {
            touched, rescan, ..
        } = burst;
        let changes = if rescan {
            let now = scope.scan();
            let mut changes = difference(&scope, &known, &now);
            changes.modified = touched
                .iter()
                .filter(|p| known.contains(*p) && now.contains(*p))
                .map(|p| scope.relative(p))
                .collect();
            known = now;
            changes
        } else {
            classify(&scope, &mut known, touched)
        };
        if changes.is_empty() && !rescan {
            continue;
        }
        // Whatever the file system says of them, the files an event named are read again.
        cache.files.forget(
            changes
                .added
                .iter()
                .chain(&changes.modified)
                .chain(&changes.removed)
                .map(PathBuf::as_path),
        );
        let done = rebuild(request, Some(changes), &cache);
        scope.update(&done);
        watch_folders(&mut watcher, &scope, &mut watched, &mut report);
        known = scope.scan();
        report(WatchEvent::Rebuilt(done));
    }
    drop(watcher);
    Ok(())
}

/// The events of one save, gathered until it is over.
#[derive(Default)]
struct Burst {
    /// Relevant files created, written, renamed or removed.
    touched: BTreeSet<PathBuf>,
    /// The watcher lost events and asks for a rescan.
    rescan: bool,
    /// The last relevant event ended a save (see [`SETTLE`]).
    saved: bool,
}

impl Burst {
    fn is_empty(&self) -> bool {
        self.touched.is_empty() && !self.rescan
    }

    /// Adds `event`; returns whether it concerns the build (a relevant file, or a
    /// rescan).
    fn add(
        &mut self,
        event: notify::Result<notify::Event>,
        scope: &Scope,
        report: &mut impl FnMut(WatchEvent),
    ) -> bool {
        let event = match event {
            Ok(event) => event,
            Err(error) => {
                report(WatchEvent::WatchError(error.to_string()));
                return false;
            }
        };
        let rescan = event.need_rescan();
        self.rescan |= rescan;
        let ends_save = match event.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
            // Reading a file (as the build itself does) changes nothing.
            EventKind::Access(_) => return rescan,
            EventKind::Modify(ModifyKind::Name(RenameMode::To | RenameMode::Both))
            | EventKind::Remove(_) => true,
            _ => false,
        };
        let mut relevant = false;
        for path in event.paths.into_iter().filter(|p| scope.is_relevant(p)) {
            self.touched.insert(path);
            relevant = true;
        }
        if relevant {
            self.saved = ends_save;
        }
        relevant || rescan
    }
}

/// Adds a watch on each folder [`Scope::folders`] names that is not watched yet.
fn watch_folders(
    watcher: &mut impl Watcher,
    scope: &Scope,
    watched: &mut BTreeSet<PathBuf>,
    report: &mut impl FnMut(WatchEvent),
) {
    for folder in scope.folders() {
        if watched.contains(&folder) || folder.starts_with(&scope.out_dir) {
            continue;
        }
        // A folder that does not exist yet (an image path with a typo) cannot be watched;
        // the manuscript folder's watch still sees the chapter that fixes it.
        if !folder.is_dir() {
            continue;
        }
        match watcher.watch(&folder, RecursiveMode::NonRecursive) {
            Ok(()) => {
                watched.insert(folder);
            }
            Err(e) => report(WatchEvent::WatchError(e.to_string())),
        }
    }
}

fn rebuild(
    request: &BuildRequest,
    changes: Option<Changes>,
    cache: &crate::build::BuildCache,
) -> Rebuild {
    let start = Instant::now();
    let result = crate::build::build_cached(request, cache);
    Rebuild {
        changes,
        elapsed: start.elapsed(),
        result,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn folder_scope(root: &Path) -> Scope {
        Scope {
            root: root.to_path_buf(),
            single: None,
            out_dir: root.join("out"),
            inputs: BTreeSet::new(),
        }
    }

    #[test]
    fn only_files_the_build_reads_are_relevant() {
        let root = Path::new("/book");
        let mut scope = folder_scope(root);
        // What the file layer recorded: images whatever their names, a font, and a
        // missing image (creating it changes the book).
        let read = [
            "01-a.md",
            "book.yaml",
            "img/map.jpe",
            "img/plate",
            "fonts/x.otf",
            "cover.JPG",
            "img/missing.png",
        ];
        scope.inputs = read.iter().map(PathBuf::from).collect();
        for yes in read.iter().chain(&["02-new-chapter.md", "book.yml"]) {
            assert!(scope.is_relevant(&root.join(yes)), "{yes}");
        }
        assert_eq!(
            scope.folders(),
            ["/book", "/book/fonts", "/book/img"]
                .iter()
                .map(PathBuf::from)
                .collect()
        );
        for no in [
            "out/book.epub",
            "out/cover.png",
            "img/other.png",
            "notes/draft.md",
            ".git/x.png",
            ".01-a.md.swp",
            "01-a.md~",
            "4913",
            ".#01-a.md",
            "#01-a.md#",
            "todo.txt",
            "sub/book.yaml",
        ] {
            assert!(!scope.is_relevant(&root.join(no)), "{no}");
        }
        assert!(!scope.is_relevant(Path::new("/elsewhere/a.md")));
    }

    #[test]
    fn a_single_file_scope_ignores_other_markdown() {
        let scope = Scope {
            root: PathBuf::from("/essays"),
            single: Some("essay.md".into()),
            out_dir: PathBuf::from("/essays/out"),
            inputs: ["essay.md", "img/figure.png"]
                .iter()
                .map(PathBuf::from)
                .collect(),
        };
        assert!(scope.is_relevant(Path::new("/essays/essay.md")));
        assert!(scope.is_relevant(Path::new("/essays/img/figure.png")));
        assert!(!scope.is_relevant(Path::new("/essays/figure.png")));
        assert!(!scope.is_relevant(Path::new("/essays/other.md")));
        assert!(!scope.is_relevant(Path::new("/essays/book.yaml")));
    }

    #[test]
    fn changes_are_classified_against_the_known_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let scope = folder_scope(root);
        std::fs::write(root.join("01-a.md"), "# A\n").unwrap();
        std::fs::write(root.join("02-b.md"), "# B\n").unwrap();
        let mut known = scope.scan();
        assert_eq!(known.len(), 2);
        std::fs::write(root.join("03-c.md"), "# C\n").unwrap();
        std::fs::remove_file(root.join("02-b.md")).unwrap();
        let touched: BTreeSet<PathBuf> = ["01-a.md", "02-b.md", "03-c.md", "04-gone.md"]
            .iter()
            .map(|n| root.join(n))
            .collect();
        let changes = classify(&scope, &mut known, touched);
        assert_eq!(changes.added, vec![PathBuf::from("03-c.md")]);
        assert_eq!(changes.modified, vec![PathBuf::from("01-a.md")]);
        assert_eq!(changes.removed, vec![PathBuf::from("02-b.md")]);
        assert_eq!(known, scope.scan());
    }

    #[test]
    fn a_burst_is_saved_when_a_written_file_is_closed_or_renamed_into_place() {
        use notify::event::{CreateKind, DataChange};
        let scope = folder_scope(Path::new("/book"));
        let event = |kind: EventKind, name: &str| {
            Ok(notify::Event::new(kind).add_path(Path::new("/book").join(name)))
        };
        let mut reports = Vec::new();
        let mut report = |e: WatchEvent| reports.push(format!("{e:?}"));
        let mut burst = Burst::default();
        // The build's own reads, and files it does not read, are not a burst.
        let open = EventKind::Access(AccessKind::Open(AccessMode::Any));
        assert!(!burst.add(event(open, "01-a.md"), &scope, &mut report));
        let write = EventKind::Modify(ModifyKind::Data(DataChange::Any));
        assert!(!burst.add(event(write, "notes.txt"), &scope, &mut report));
        assert!(burst.is_empty());
        // A write is not the end of a save; closing the file is.
        assert!(burst.add(event(write, "01-a.md"), &scope, &mut report));
        assert!(!burst.saved);
        let close = EventKind::Access(AccessKind::Close(AccessMode::Write));
        assert!(burst.add(event(close, "01-a.md"), &scope, &mut report));
        assert!(burst.saved);
        // An editor's backup removed afterwards changes nothing.
        let remove = EventKind::Remove(notify::event::RemoveKind::File);
        assert!(!burst.add(event(remove, "01-a.md~"), &scope, &mut report));
        assert!(burst.saved);
        // A new file being created is not finished; renamed into place, it is.
        let mut atomic = Burst::default();
        let create = EventKind::Create(CreateKind::File);
        atomic.add(event(create, "02-b.md"), &scope, &mut report);
        assert!(!atomic.saved);
        let renamed = EventKind::Modify(ModifyKind::Name(RenameMode::To));
        atomic.add(event(renamed, "02-b.md"), &scope, &mut report);
        assert!(atomic.saved);
        assert_eq!(
            burst.touched.into_iter().collect::<Vec<_>>(),
            vec![PathBuf::from("/book/01-a.md")]
        );
        // A watcher error is reported and is not a change.
        assert!(!Burst::default().add(Err(notify::Error::generic("lost")), &scope, &mut report));
        assert_eq!(reports.len(), 1);
    }
}
