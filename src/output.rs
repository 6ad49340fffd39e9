//! Writing output files atomically.
//!
//! Every output is written to a temporary file in the output folder and renamed into
//! place. A rename within one folder is atomic on POSIX file systems, so a reader never
//! sees a half-written EPUB or PDF, and a build that fails (or is killed) half-way never
//! destroys the last good output. The temporary file is removed if anything goes wrong.

use crate::error::Error;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically: a temporary file beside it, flushed to disk, then
/// renamed over `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A dot-file with the process id: never mistaken for an output, and unique between two
    // quire processes writing the same folder.
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

/// Removes the temporary files that quire processes no longer running left in `dir`.
///
/// [`write_atomic`] removes its temporary when a write fails, but a process killed with
/// SIGKILL (or a power cut) cannot; its `.{output}.{pid}.tmp` stays. A temporary whose
/// process is still running belongs to a build in progress and is left alone. Only the
/// names [`write_atomic`] gives EPUB and PDF outputs are considered. Best effort: a file
/// that cannot be removed is skipped. Returns the removed paths, sorted.
pub fn remove_stale_temporaries(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temporary_owner) else {
            continue;
        };
        if process_is_running(pid) {
            continue;
        }
        let path = entry.path();
        if fs::remove_file(&path).is_ok() {
            removed.push(path);
        }
    }
    removed.sort();
    removed
}

/// The process id in a temporary's name, `.{name}.{pid}.tmp` with `name` an EPUB or PDF.
fn temporary_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (output, pid) = rest.rsplit_once('.')?;
    if !(output.ends_with(".epub") || output.ends_with(".pdf")) {
        return None;
    }
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok().filter(|&pid| pid > 0)
}

/// Whether process `pid` exists: `kill(pid, 0)` sends no signal, it only checks (POSIX
/// kill(2)); `ESRCH` means no such process, `EPERM` one we may not signal (still alive).
/// This process's own temporaries are never stale.
#[cfg(unix)]
fn process_is_running(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    // pid 0 and negative pids address process groups, never a single process.
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    if pid <= 0 {
        return true;
    }
    // SAFETY: signal 0 delivers nothing; kill only reports whether `pid` exists.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Without a portable way to ask, every owner is taken to be alive: nothing is removed.
#[cfg(not(unix))]
fn process_is_running(_pid: u32) -> bool {
    true
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("book.epub");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("book.epub")]);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.pdf");
        write_atomic(&path, b"good").unwrap();
        // Renaming a file over a non-empty directory fails: the old output must survive.
        let blocked = dir.path().join("blocked");
        fs::create_dir(&blocked).unwrap();
        fs::write(blocked.join("x"), b"x").unwrap();
        assert!(write_atomic(&blocked, b"new").is_err());
        assert_eq!(fs::read(&path).unwrap(), b"good");
        assert!(fs::read_dir(dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp")));
    }

    #[test]
    fn temporary_names_are_recognised() {
        assert_eq!(temporary_owner(".book.epub.1234.tmp"), Some(1234));
        assert_eq!(temporary_owner(".my.book.pdf.7.tmp"), Some(7));
        assert_eq!(temporary_owner(".notes.txt.1234.tmp"), None);
        assert_eq!(temporary_owner("book.epub.1234.tmp"), None);
        assert_eq!(temporary_owner(".book.epub.12a4.tmp"), None);
        assert_eq!(temporary_owner(".book.epub..tmp"), None);
        assert_eq!(temporary_owner(".book.epub.0.tmp"), None);
    }

    #[cfg(unix)]
    #[test]
    fn stale_temporaries_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        // A process that has exited (and been reaped) has no pid any more.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = dir.path().join(format!(".book.epub.{dead}.tmp"));
        let ours = dir
            .path()
            .join(format!(".book.pdf.{}.tmp", std::process::id()));
        let other = dir.path().join(format!(".notes.txt.{dead}.tmp"));
        for path in [&stale, &ours, &other] {
            fs::write(path, b"partial").unwrap();
        }
        assert_eq!(remove_stale_temporaries(dir.path()), vec![stale.clone()]);
        assert!(!stale.exists());
        assert!(ours.exists() && other.exists());
    }
}
