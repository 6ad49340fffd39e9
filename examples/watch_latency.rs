//! Save-to-outputs latency of `quire watch`: starts the real binary on DIR, waits for its
//! first build, then edits one word of the middle chapter file N times (default 5) and,
//! after each save, measures the time until BOTH outputs have been replaced (each build
//! renames a new file into place, so a new inode means a new output). Prints each edit's
//! latency and the median. DIR is restored at the end.
//!
//! `cargo build --release && cargo run --release --example watch_latency -- DIR [N]`
//! (the binary is `target/release/quire`; `QUIRE_BIN` names another). Not a test: wall
//! times depend on the machine and its load.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest wait for one rebuild before giving up.
const TIMEOUT: Duration = Duration::from_secs(60);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let input = PathBuf::from(args.next().ok_or("usage: watch_latency DIR [N]")?);
    let edits: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(5);
    let bin = std::env::var("QUIRE_BIN").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/quire").to_string()
    });
    let out = std::env::temp_dir().join(format!("quire-watch-latency-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);

    let mut files: Vec<_> = std::fs::read_dir(&input)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    let middle = files
        .get(files.len() / 2)
        .ok_or("no chapter files")?
        .clone();
    let original = std::fs::read_to_string(&middle)?;
    let word = original
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(|l| l.split(' '))
        .find(|w| w.len() >= 6 && w.chars().all(|c| c.is_ascii_lowercase()))
        .ok_or("no word to edit")?
        .to_string();
    let edited: String = word.chars().rev().collect();

    let mut child = Command::new(&bin)
        .arg("watch")
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{bin}: {e}"))?;
    let result = measure(&out, &middle, &original, &word, &edited, edits);
    let _ = child.kill();
    let _ = child.wait();
    std::fs::write(&middle, &original)?;
    let _ = std::fs::remove_dir_all(&out);
    let mut times = result?;
    for (i, t) in times.iter().enumerate() {
        println!("edit {}: {:.1} ms", i + 1, t.as_secs_f64() * 1e3);
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "save -> both outputs replaced, median of {}: {:.1} ms ({} in {})",
        times.len(),
        median.as_secs_f64() * 1e3,
        word,
        middle.display()
    );
    Ok(())
}

/// The outputs' inodes (EPUB, PDF), once both exist.
fn outputs(out: &Path) -> Option<(u64, u64)> {
    let mut epub = None;
    let mut pdf = None;
    for entry in std::fs::read_dir(out).ok()?.flatten() {
        let path = entry.path();
        let ino = std::fs::metadata(&path).ok()?.ino();
        match path.extension().and_then(|e| e.to_str()) {
            Some("epub") => epub = Some(ino),
            Some("pdf") => pdf = Some(ino),
            _ => {}
        }
    }
    Some((epub?, pdf?))
}

fn measure(
    out: &Path,
    middle: &Path,
    original: &str,
    word: &str,
    edited: &str,
    edits: usize,
) -> Result<Vec<Duration>, Box<dyn std::error::Error>> {
    let start = Instant::now();
    let mut before = loop {
        if let Some(ids) = outputs(out) {
            break ids;
        }
        if start.elapsed() > TIMEOUT {
            return Err("the first build did not finish".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut times = Vec::new();
    for i in 0..edits {
        // Let the watcher settle (and the machine's caches) before the next save.
        std::thread::sleep(Duration::from_millis(1500));
        let text = if i % 2 == 0 {
            original.replacen(word, edited, 1)
        } else {
            original.to_string()
        };
        // Wait on the output folder's own events (a rename into place is one) rather
        // than polling it: a tight polling loop took CPU time from the rebuild it
        // measures, on a machine with two cores.
        let (sender, renamed) = std::sync::mpsc::channel();
        let mut watcher = notify::recommended_watcher(move |_| {
            let _ = sender.send(());
        })?;
        notify::Watcher::watch(&mut watcher, out, notify::RecursiveMode::NonRecursive)?;
        std::fs::write(middle, text)?;
        let saved = Instant::now();
        let after = loop {
            if let Some(ids) = outputs(out) {
                if ids.0 != before.0 && ids.1 != before.1 {
                    break ids;
                }
            }
            if saved.elapsed() > TIMEOUT {
                return Err("no rebuild after an edit".into());
            }
            let _ = renamed.recv_timeout(Duration::from_millis(50));
        };
        drop(watcher);
        times.push(saved.elapsed());
        before = after;
    }
    Ok(times)
}
