//! `quire import` through the real binary: the essay (`tests/fixtures/essay/`) becomes a manuscript that
//! builds, with its 8 notes where the digits stood and every guess reported.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/epub_check.rs"]
mod epub_check;

use std::fs;
use std::path::Path;
use std::process::Command;

/// The essay as plain text, inside the repository.
const SEED: &str = "tests/fixtures/essay/stalinism-the-complete-negation-of-socialism.txt";

#[test]
fn the_seed_imports_into_a_manuscript_that_builds() {
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join(SEED);
    let tmp = tempfile::tempdir().unwrap();
    fs::copy(&seed, tmp.path().join("essay.txt")).unwrap();
    let quire = env!("CARGO_BIN_EXE_quire");
    let run = Command::new(quire)
        .args(["import", "essay.txt", "-o", "book"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("essay.txt:70:381: warning: took “6” here as the reference to note 6"),
        "{stderr}"
    );
    for heading in [
        "The Collectivization of Agriculture",
        "Rapid Industrialization",
        "The Gulag",
        "The Great Purge",
        "A New Society",
    ] {
        assert!(
            stderr.contains(&format!("section heading: “{heading}”")),
            "{heading} not found: {stderr}"
        );
    }
    let opening = fs::read_to_string(tmp.path().join("book/00-opening.md")).unwrap();
    assert!(opening.contains("(NEP),[^1] which"), "{opening}");

    // Importing again into the same (now non-empty) folder is refused and changes nothing.
    let again = Command::new(quire)
        .args(["import", "essay.txt", "-o", "book"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        fs::read_to_string(tmp.path().join("book/00-opening.md")).unwrap(),
        opening
    );

    let build = Command::new(quire)
        .args(["build", "book", "-o", "out", "--epub"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let epub = fs::read_dir(tmp.path().join("out"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let summary =
        epub_check::check_epub(&fs::read(epub).unwrap()).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(summary.noterefs, 8);
    assert_eq!(summary.notes_with_backlinks, 8);
}
