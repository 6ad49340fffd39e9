//! The real binary on real manuscripts: exit codes, outputs, determinism, diagnostics.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/epub_check.rs"]
mod epub_check;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn quire(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("quire runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn outputs(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut found: Vec<_> = fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

#[test]
fn build_writes_both_outputs_named_after_the_book_and_is_reproducible() {
    let tmp = tempfile::tempdir().unwrap();
    let out1 = tmp.path().join("one");
    let out2 = tmp.path().join("two");
    let manuscript = repo().join("manuscript");
    for out in [&out1, &out2] {
        let run = quire(
            &[
                "build",
                manuscript.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ],
            tmp.path(),
        );
        assert!(run.status.success(), "stderr: {}", text(&run.stderr));
        let stdout = text(&run.stdout);
        assert_eq!(stdout.lines().count(), 2, "one line per output: {stdout}");
        assert!(
            stdout.contains("KiB") && stdout.contains("ms"),
            "size and time: {stdout}"
        );
    }
    let epub = out1.join("stalinism-the-complete-negation-of-socialism.epub");
    let pdf = out1.join("stalinism-the-complete-negation-of-socialism.pdf");
    assert!(epub.exists() && pdf.exists());
    for file in [&epub, &pdf] {
        let again = out2.join(file.file_name().unwrap());
        assert!(
            fs::read(file).unwrap() == fs::read(&again).unwrap(),
            "{} differs between two builds",
            file.display()
        );
    }
    let summary =
        epub_check::check_epub(&fs::read(&epub).unwrap()).expect("structurally valid EPUB");
    assert_eq!(summary.noterefs, 8);
    assert_eq!(summary.notes_with_backlinks, 8);
}

#[test]
fn default_input_and_output_are_manuscript_and_out() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("manuscript"), &tmp.path().join("manuscript"));
    let run = quire(&["build", "--epub"], tmp.path());
    assert!(run.status.success(), "stderr: {}", text(&run.stderr));
    assert_eq!(outputs(&tmp.path().join("out"), "epub").len(), 1);
    assert!(
        outputs(&tmp.path().join("out"), "pdf").is_empty(),
        "--epub alone writes no PDF"
    );
}

#[test]
fn check_reports_an_undefined_note_with_file_line_col_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("book.md");
    fs::write(
        &book,
        "---\ntitle: Storm\n---\n\n# One\n\nThe wind rose[^gale] before dawn.\n",
    )
    .unwrap();
    let run = quire(&["check", "book.md"], tmp.path());
    assert_eq!(run.status.code(), Some(1));
    let stderr = text(&run.stderr);
    assert!(stderr.contains("book.md:7:14: error:"), "{stderr}");
    assert!(stderr.contains("gale"), "{stderr}");
    let run = quire(&["build", "book.md", "-o", "out"], tmp.path());
    assert_eq!(run.status.code(), Some(1));
    assert!(
        !tmp.path().join("out").exists() || outputs(&tmp.path().join("out"), "epub").is_empty()
    );
}

#[test]
fn a_failed_build_keeps_the_last_good_output() {
    let tmp = tempfile::tempdir().unwrap();
    let book = tmp.path().join("book.md");
    fs::write(
        &book,
        "---\ntitle: Keep\n---\n\n# One\n\nGood text.[^a]\n\n[^a]: A note.\n",
    )
    .unwrap();
    assert!(quire(&["build", "book.md", "--epub"], tmp.path())
        .status
        .success());
    let epub = tmp.path().join("out/keep.epub");
    let good = fs::read(&epub).unwrap();
    fs::write(
        &book,
        "---\ntitle: Keep\n---\n\n# One\n\nBroken text.[^missing]\n",
    )
    .unwrap();
    assert_eq!(
        quire(&["build", "book.md", "--epub"], tmp.path())
            .status
            .code(),
        Some(1)
    );
    assert_eq!(fs::read(&epub).unwrap(), good);
    let names: Vec<_> = fs::read_dir(tmp.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary file left behind: {names:?}");
}

#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(
        quire(&["build", "--no-such-flag"], tmp.path())
            .status
            .code(),
        Some(2)
    );
    assert_eq!(quire(&["frobnicate"], tmp.path()).status.code(), Some(2));
}

#[test]
fn new_creates_a_starter_that_builds_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let run = quire(&["new", "mybook"], tmp.path());
    assert!(run.status.success(), "{}", text(&run.stderr));
    let run = quire(&["build", "mybook", "-o", "out"], tmp.path());
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(
        text(&run.stderr).is_empty(),
        "the starter builds without warnings: {}",
        text(&run.stderr)
    );
    let epub = outputs(&tmp.path().join("out"), "epub");
    assert_eq!(epub.len(), 1);
    epub_check::check_epub(&fs::read(&epub[0]).unwrap()).expect("valid starter EPUB");
    assert_eq!(quire(&["new", "mybook"], tmp.path()).status.code(), Some(1));
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}
