//! `quire watch` through the real binary: a good edit, a broken one, the fix, a new and a
//! removed chapter; after each step the outputs are checked against a clean build of the
//! same text, and Ctrl-C (SIGINT) must end the watcher cleanly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// Per step. Generous: a debug build on a loaded two-core machine.
const STEP: Duration = Duration::from_secs(90);

/// A fixed date, so the clean builds and the watcher's builds can be compared byte for byte.
const EPOCH: &str = "1700000000";

const BOOK_YAML: &str = "title: Watched Book\nauthor: A. Writer\nlang: en-US\ndate: 2024\n";
const ONE: &str = "# One\n\nThe first chapter, with a note.[^a]\n\n[^a]: The note.\n";
const ONE_EDITED: &str =
    "# One\n\nThe first chapter, edited while watched, with a note.[^a]\n\n[^a]: The note.\n";
const ONE_BROKEN: &str = "# One\n\nA reference to a note that is not there.[^missing]\n";
const ONE_FIXED: &str =
    "# One\n\nA reference to a note that is there now.[^missing]\n\n[^missing]: Found.\n";
const TWO: &str = "# Two\n\nThe second chapter.\n";
const THREE: &str = "# Three\n\nThe third chapter.\n";
const FOUR: &str = "# Four\n\nA chapter added while watched.\n";

/// Saves like an editor that writes a new file and renames it over the old one, so the
/// save is one event and the watcher never sees half a file.
fn save(dir: &Path, name: &str, text: &str) {
    let tmp = dir.join(format!(".{name}.edit.tmp"));
    fs::write(&tmp, text).unwrap();
    fs::rename(&tmp, dir.join(name)).unwrap();
}

/// The output folder's files, by name.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    found.sort();
    found
}

fn names(files: &[(String, Vec<u8>)]) -> Vec<&str> {
    files.iter().map(|(n, _)| n.as_str()).collect()
}

/// The outputs of a clean `quire build` of the manuscript's current chapter files, made in
/// a fresh folder.
fn clean_build(root: &Path, book: &Path, step: &str) -> Vec<(String, Vec<u8>)> {
    let copy = root.join(format!("clean-{step}"));
    copy_tree(book, &copy);
    let out = root.join(format!("clean-{step}-out"));
    let status = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["build", copy.to_str().unwrap(), "-o", out.to_str().unwrap()])
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "clean build at step {step} failed");
    files(&out)
}

/// Copies the manuscript folder's files and subfolders (images, fonts), but not the
/// output folder.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_file() {
            fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        } else if kind.is_dir() && entry.file_name() != "out" {
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    }
}

/// The watcher's stdout, line by line, with everything seen so far kept for messages.
struct Lines {
    receiver: Receiver<String>,
    seen: Vec<String>,
}

impl Lines {
    fn new(stdout: impl Read + Send + 'static) -> Lines {
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Lines {
            receiver,
            seen: Vec::new(),
        }
    }

    /// Waits for the next line; it must start with `prefix`.
    fn expect(&mut self, prefix: &str) -> String {
        let line = self
            .receiver
            .recv_timeout(STEP)
            .unwrap_or_else(|_| panic!("no line `{prefix}…` in time; so far: {:#?}", self.seen));
        self.seen.push(line.clone());
        assert!(
            line.starts_with(prefix),
            "expected `{prefix}…`, got `{line}`; so far: {:#?}",
            self.seen
        );
        line
    }
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            panic!("quire watch did not exit after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn watch_rebuilds_on_saves_keeps_good_outputs_and_exits_on_sigint() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let book = root.join("book");
    fs::create_dir(&book).unwrap();
    fs::write(book.join("book.yaml"), BOOK_YAML).unwrap();
    fs::write(book.join("01-one.md"), ONE).unwrap();
    fs::write(book.join("02-two.md"), TWO).unwrap();
    fs::write(book.join("03-three.md"), THREE).unwrap();
    // The output folder inside the watched one: the watcher's own writes must never
    // trigger a rebuild (every line is checked below).
    let out = book.join("out");
    fs::create_dir(&out).unwrap();
    // A temporary left by a build killed with SIGKILL: its process (reaped) is gone.
    let mut dead = Command::new("true").spawn().unwrap();
    let dead_pid = dead.id();
    dead.wait().unwrap();
    let stale = out.join(format!(".watched-book.pdf.{dead_pid}.tmp"));
    fs::write(&stale, b"half a PDF").unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["watch", "book", "-o", "book/out"])
        .current_dir(root)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = Lines::new(child.stdout.take().unwrap());
    // Diagnostics go to stderr: drain it so the watcher never blocks on a full pipe.
    let mut stderr = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });

    lines.expect("watching book (outputs in book/out); press Ctrl-C to stop");
    let first = lines.expect("built: wrote book/out/watched-book.epub (");
    assert!(first.contains("book/out/watched-book.pdf ("), "{first}");
    assert!(!stale.exists(), "the stale temporary was not removed");
    let built = files(&out);
    assert_eq!(names(&built), ["watched-book.epub", "watched-book.pdf"]);
    assert_eq!(built, clean_build(root, &book, "first"));

    // A good edit.
    save(&book, "01-one.md", ONE_EDITED);
    lines.expect("rebuilt after 01-one.md changed: wrote book/out/watched-book.epub (");
    let good = files(&out);
    assert_ne!(good, built, "the edit did not change the outputs");
    assert_eq!(good, clean_build(root, &book, "edited"));

    // A broken edit: the diagnostics are printed, the outputs stay as they were.
    save(&book, "01-one.md", ONE_BROKEN);
    lines.expect("01-one.md changed: 1 error; kept the last good outputs");
    assert_eq!(files(&out), good);

    // The fix recovers.
    save(&book, "01-one.md", ONE_FIXED);
    lines.expect("rebuilt after 01-one.md changed: wrote ");
    let fixed = files(&out);
    assert_ne!(fixed, good);
    assert_eq!(fixed, clean_build(root, &book, "fixed"));

    // A new chapter, then a removed one.
    save(&book, "04-four.md", FOUR);
    lines.expect("rebuilt after 04-four.md added: wrote ");
    let added = files(&out);
    assert_ne!(added, fixed);
    assert_eq!(added, clean_build(root, &book, "added"));
    fs::remove_file(book.join("02-two.md")).unwrap();
    lines.expect("rebuilt after 02-two.md removed: wrote ");
    let removed = files(&out);
    assert_ne!(removed, added);
    assert_eq!(removed, clean_build(root, &book, "removed"));

    // Ctrl-C: a clean exit with a final line, and nothing left behind.
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let status = wait_with_timeout(&mut child, STEP);
    lines.expect("stopped watching book");
    assert!(status.success(), "exit status {status:?}");
    // No other line: our own writes into book/out never caused a rebuild.
    assert!(
        lines.receiver.recv_timeout(Duration::from_secs(5)).is_err(),
        "unexpected output after the last line: {:#?}",
        lines.seen
    );
    assert_eq!(names(&files(&out)), names(&removed));

    let stderr = stderr.join().unwrap();
    assert!(
        stderr.contains("note `[^missing]` is referenced but never defined"),
        "the broken save's diagnostic was not printed: {stderr}"
    );
}

/// A small PNG of one colour.
fn png(width: u32, height: u32, shade: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    writer
        .write_image_data(&vec![shade; (width * height * 3) as usize])
        .unwrap();
    writer.finish().unwrap();
    out
}

/// The watcher follows exactly the files the build reads, whatever their names: an image
/// named `.jpe`, an image with no extension (both recognised by their bytes), a font file
/// in a subfolder, and the hyphenation list in `book.yaml`. Each save rebuilds both
/// outputs equal to a clean build; a file the build does not read changes nothing.
#[test]
fn watch_follows_images_fonts_and_metadata_the_build_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let book = root.join("book");
    fs::create_dir_all(book.join("img")).unwrap();
    fs::create_dir_all(book.join("fonts")).unwrap();
    let fonts = Path::new(env!("CARGO_MANIFEST_DIR")).join("fonts");
    fs::copy(
        fonts.join("GentiumBookPlus-Regular.ttf"),
        book.join("fonts/body.ttf"),
    )
    .unwrap();
    let yaml = |list: &str| {
        format!(
            "title: Watched Book\nlang: en\nhyphenation: [{list}]\n\
             pdf:\n  paper: a5\n  fonts:\n    regular: fonts/body.ttf\n"
        )
    };
    fs::write(book.join("book.yaml"), yaml("ta-ble")).unwrap();
    let words = "Incomprehensibilities notwithstanding, the characteristically \
                 uncompromising administrators reconsidered their representations. ";
    fs::write(
        book.join("01-one.md"),
        format!(
            "# One\n\n{}\n\n![A plate](img/plate.jpe)\n\n![A map](img/map)\n",
            words.repeat(12)
        ),
    )
    .unwrap();
    fs::write(book.join("img/plate.jpe"), png(40, 20, 10)).unwrap();
    fs::write(book.join("img/map"), png(30, 30, 200)).unwrap();
    fs::write(book.join("img/unused.png"), png(10, 10, 0)).unwrap();
    let out = root.join("out");

    let mut child = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["watch", "book", "-o", "out"])
        .current_dir(root)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = Lines::new(child.stdout.take().unwrap());
    lines.expect("watching book");
    lines.expect("built: wrote out/watched-book.epub (");
    let mut last = files(&out);
    assert_eq!(last, clean_build(root, &book, "first"));

    // Each file is written beside its place and renamed over it, as editors save.
    let mut replace = |name: &str, bytes: Vec<u8>, step: &str| {
        let tmp = book.join(format!(".{}.edit", name.replace('/', "_")));
        fs::write(&tmp, bytes).unwrap();
        fs::rename(&tmp, book.join(name)).unwrap();
        lines.expect(&format!("rebuilt after {name} changed: wrote "));
        let now = files(&out);
        assert_ne!(now, last, "{step}: the outputs did not change");
        assert_eq!(now, clean_build(root, &book, step), "{step}");
        last = now;
    };
    replace("img/plate.jpe", png(80, 20, 10), "jpe");
    replace("img/map", png(30, 30, 90), "no-extension");
    replace(
        "fonts/body.ttf",
        fs::read(fonts.join("GentiumBookPlus-Italic.ttf")).unwrap(),
        "font",
    );
    let list = "ta-ble, incomprehensibilities, characteristically, uncompromising, \
                administrators, representations";
    replace("book.yaml", yaml(list).into_bytes(), "hyphenation");
    // A file the build does not read: no rebuild (the next line is the last one).
    fs::write(book.join("img/unused.png"), png(12, 12, 0)).unwrap();
    std::thread::sleep(Duration::from_millis(500));

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let status = wait_with_timeout(&mut child, STEP);
    lines.expect("stopped watching book");
    assert!(status.success(), "exit status {status:?}");
}
