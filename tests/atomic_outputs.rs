//! Atomic outputs through the real binary: a build killed with SIGKILL at any moment
//! leaves the previous output whole (or the new one whole, if the rename had happened),
//! never a half-written file; the temporary it could not remove is cleaned up by the next
//! build.

#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const EPOCH: &str = "1700000000";
const OUTPUT: &str = "war-and-peace.epub";

fn quire_build(input: &Path, out: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_quire"))
        .args([
            "build",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--epub",
        ])
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_killed_build_never_destroys_the_last_good_output() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let novel = fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpora/novel/novel.md"),
    )
    .unwrap();
    // Two versions of a large book with the same title (so the same output name).
    let old = root.join("old");
    let new = root.join("new");
    fs::create_dir(&old).unwrap();
    fs::create_dir(&new).unwrap();
    fs::write(old.join("novel.md"), &novel).unwrap();
    fs::write(
        new.join("novel.md"),
        format!("{novel}\n\nA paragraph added in the new version.\n"),
    )
    .unwrap();

    let good_dir = root.join("good");
    assert!(quire_build(&old, &good_dir).wait().unwrap().success());
    let good = fs::read(good_dir.join(OUTPUT)).unwrap();
    let new_dir = root.join("reference");
    let start = Instant::now();
    assert!(quire_build(&new, &new_dir).wait().unwrap().success());
    let full = start.elapsed();
    let rebuilt = fs::read(new_dir.join(OUTPUT)).unwrap();
    assert_ne!(good, rebuilt);

    // Kill the build of the new version at moments spread over a whole build (and a bit
    // past it), into a folder holding the old version's output.
    let mut outcomes = Vec::new();
    let mut last_pid = 0;
    // Denser near the end, where the write and the rename happen.
    for per_mille in [300u32, 700, 880, 940, 970, 1000, 1030, 1150] {
        let dir = root.join(format!("killed-{per_mille}"));
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join(OUTPUT), &good).unwrap();
        let mut child = quire_build(&new, &dir);
        let pid = child.id();
        std::thread::sleep(full * per_mille / 1000);
        let _ = child.kill(); // SIGKILL; it may have finished already
        child.wait().unwrap();
        last_pid = pid;

        let output = fs::read(dir.join(OUTPUT)).unwrap();
        let state = if output == good {
            "old"
        } else if output == rebuilt {
            "new"
        } else {
            panic!(
                "killed at {per_mille}/1000 of a build: the output is neither the old nor the new \
                 one ({} bytes)",
                output.len()
            );
        };
        // Nothing else but the killed process's own temporary.
        let temporary = format!(".{OUTPUT}.{pid}.tmp");
        for name in names(&dir) {
            assert!(
                name == OUTPUT || name == temporary,
                "unexpected file {name} after a kill at {per_mille}/1000"
            );
        }
        outcomes.push((per_mille, state, dir.join(&temporary).exists()));
    }
    eprintln!("(per mille of a build, output, temporary left): {outcomes:?}");

    // The next build removes a dead process's temporary (planted, since a kill lands in
    // the few milliseconds of the write only by luck) and replaces the output.
    let dir = root.join("killed-300");
    let stale = dir.join(format!(".{OUTPUT}.{last_pid}.tmp"));
    fs::write(&stale, &good[..good.len() / 2]).unwrap();
    assert!(quire_build(&new, &dir).wait().unwrap().success());
    assert_eq!(names(&dir), [OUTPUT]);
    assert_eq!(fs::read(dir.join(OUTPUT)).unwrap(), rebuilt);
    // A temporary of a process that is running (this test) is not touched.
    let live = dir.join(format!(".{OUTPUT}.{}.tmp", std::process::id()));
    fs::write(&live, b"in progress").unwrap();
    assert!(quire_build(&old, &dir).wait().unwrap().success());
    assert!(live.exists());
    assert_eq!(fs::read(dir.join(OUTPUT)).unwrap(), good);
}
