//! The table of bad inputs: every mistake and hostile input a user can give, through the
//! real binary. One case per folder under `tests/fixtures/bad/<case>/`: the manuscript
//! (`book.yaml` and chapters, or a single `book.md`) and `expect.txt`:
//!
//! ```text
//! # A comment.
//! exit 1                        the exit code
//! args --strict                 more arguments for `quire build` (optional)
//! diag case/book.md:4:7: error: the metadata is not valid YAML
//!                               a diagnostic header line, by prefix; the headers printed
//!                               must be exactly these, in this order
//! maybe a line of this paragraph
//!                               header lines containing this are ignored (typesetter
//!                               warnings that depend on line breaking)
//! hint did you mean `author`?   stderr has `= hint: …` containing this
//! present OEBPS/nav.xhtml TEXT  that EPUB file contains TEXT (`*`: some file)
//! absent TEXT                   no text file of the EPUB contains TEXT
//! ```
//!
//! `\r`, `\t` and `\u{…}` in TEXT are escapes. On exit 1 nothing may be written; on exit 0
//! both outputs exist, the EPUB passes the structural checker (`common/epub_check.rs`:
//! well-formed XHTML, every manifest item present, links resolved) and the PDF starts
//! with `%PDF-`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/epub_check.rs"]
mod epub_check;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn cases_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bad")
}

/// What one `expect.txt` says.
#[derive(Default, Debug)]
struct Expect {
    exit: i32,
    args: Vec<String>,
    diags: Vec<String>,
    maybe: Vec<String>,
    hints: Vec<String>,
    present: Vec<(String, String)>,
    absent: Vec<String>,
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 1..];
        if let Some(t) = tail.strip_prefix('r') {
            out.push('\r');
            rest = t;
        } else if let Some(t) = tail.strip_prefix('t') {
            out.push('\t');
            rest = t;
        } else if let Some(t) = tail.strip_prefix("u{") {
            let end = t.find('}').expect("closed \\u{…}");
            let c = u32::from_str_radix(&t[..end], 16).expect("hex escape");
            out.push(char::from_u32(c).expect("a char"));
            rest = &t[end + 1..];
        } else {
            out.push('\\');
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

fn read_expect(path: &Path) -> Expect {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut e = Expect::default();
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        match key {
            "exit" => e.exit = value.parse().expect("exit code"),
            "args" => e.args = value.split_whitespace().map(String::from).collect(),
            "diag" => e.diags.push(value.to_string()),
            "maybe" => e.maybe.push(value.to_string()),
            "hint" => e.hints.push(value.to_string()),
            "present" => {
                let (file, text) = value.split_once(' ').expect("present FILE TEXT");
                e.present.push((file.to_string(), unescape(text)));
            }
            "absent" => e.absent.push(unescape(value)),
            other => panic!("{}: unknown key {other:?}", path.display()),
        }
    }
    e
}

/// A diagnostic header: `path:line:col: severity: …` or `severity: …`.
fn is_header(line: &str) -> bool {
    line.starts_with("error: ")
        || line.starts_with("warning: ")
        || (!line.starts_with(' ') && (line.contains(": error: ") || line.contains(": warning: ")))
}

fn epub_files(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("an entry");
        let mut data = Vec::new();
        f.read_to_end(&mut data).expect("readable");
        out.push((f.name().to_string(), data));
    }
    out
}

/// Runs one case; returns its problems.
fn run_case(name: &str) -> Vec<String> {
    let dir = cases_dir().join(name);
    let expect = read_expect(&dir.join("expect.txt"));
    let input = if dir.join("book.yaml").is_file() {
        name.to_string()
    } else {
        format!("{name}/book.md")
    };
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let run = Command::new(env!("CARGO_BIN_EXE_quire"))
        .arg("build")
        .arg(&input)
        .arg("-o")
        .arg(&out_dir)
        .args(&expect.args)
        .current_dir(cases_dir())
        .output()
        .expect("quire runs");
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    let mut problems = Vec::new();
    let code = run.status.code().unwrap_or(-1);
    if code != expect.exit {
        problems.push(format!("exit {code}, expected {}", expect.exit));
    }
    let headers: Vec<&str> = stderr
        .lines()
        .filter(|l| is_header(l))
        .filter(|l| !expect.maybe.iter().any(|m| l.contains(m.as_str())))
        .collect();
    let matches = headers.len() == expect.diags.len()
        && headers
            .iter()
            .zip(&expect.diags)
            .all(|(h, want)| h.starts_with(want.as_str()));
    if !matches {
        problems.push(format!(
            "diagnostics differ:\n  got:\n    {}\n  expected (prefixes):\n    {}",
            headers.join("\n    "),
            expect.diags.join("\n    ")
        ));
    }
    for hint in &expect.hints {
        if !stderr
            .lines()
            .any(|l| l.contains("= hint: ") && l.contains(hint.as_str()))
        {
            problems.push(format!("no hint containing {hint:?}"));
        }
    }
    let written: Vec<PathBuf> = fs::read_dir(&out_dir)
        .map(|rd| rd.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    if expect.exit != 0 {
        if !written.is_empty() {
            problems.push(format!("failed build wrote {written:?}"));
        }
        return with_stderr(problems, &stderr);
    }
    let find = |ext: &str| {
        written
            .iter()
            .find(|p| p.extension().is_some_and(|e| e == ext))
    };
    match find("pdf") {
        Some(pdf) if fs::read(pdf).unwrap().starts_with(b"%PDF-") => {}
        _ => problems.push("no PDF written".into()),
    }
    let Some(epub) = find("epub") else {
        problems.push("no EPUB written".into());
        return with_stderr(problems, &stderr);
    };
    let bytes = fs::read(epub).unwrap();
    if let Err(errors) = epub_check::check_epub(&bytes) {
        problems.push(format!("invalid EPUB: {errors:#?}"));
    }
    let files = epub_files(&bytes);
    for (file, text) in &expect.present {
        let found = files.iter().any(|(name, data)| {
            (file == "*" || name == file) && String::from_utf8_lossy(data).contains(text.as_str())
        });
        if !found {
            problems.push(format!("{file} does not contain {text:?}"));
        }
    }
    for text in &expect.absent {
        // Text only: an image's bytes (the generated cover's) may hold anything.
        for (name, data) in files.iter().filter(|(n, _)| !n.contains("/images/")) {
            if data
                .windows(text.len().max(1))
                .any(|w| w == text.as_bytes())
            {
                problems.push(format!("{name} contains {text:?}"));
            }
        }
    }
    with_stderr(problems, &stderr)
}

fn with_stderr(mut problems: Vec<String>, stderr: &str) -> Vec<String> {
    if !problems.is_empty() {
        problems.push(format!("stderr:\n{stderr}"));
    }
    problems
}

#[test]
fn every_bad_input_gives_its_expected_outcome() {
    let mut names: Vec<String> = fs::read_dir(cases_dir())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().join("expect.txt").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 20, "cases: {names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let problems = run_case(name);
        if !problems.is_empty() {
            failures.push(format!("== {name}\n{}", problems.join("\n")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n\n")
    );
}

/// A 5 MB paragraph (one line of words) builds, in bounded time. The bound is a sanity
/// check, not a benchmark. Ignored by default: a debug build spends minutes in the PDF
/// writer on it; run it in release with
/// `cargo test --release --test bad_inputs -- --ignored` (and measure with
/// `/usr/bin/time -v quire build big.md`).
#[test]
#[ignore = "minutes in a debug build; run with --release -- --ignored"]
fn a_five_megabyte_paragraph_builds() {
    let tmp = tempfile::tempdir().unwrap();
    let words = [
        "lorem",
        "ipsum",
        "dolor",
        "sit",
        "amet,",
        "consectetur",
        "adipiscing",
    ];
    let mut text = String::from("---\ntitle: Long\n---\n# One\n\n");
    let mut i = 0;
    while text.len() < 5 * 1024 * 1024 {
        text.push_str(words[i % words.len()]);
        text.push(' ');
        i += 1;
    }
    text.push('\n');
    let input = tmp.path().join("book.md");
    fs::write(&input, text).unwrap();
    let start = std::time::Instant::now();
    let run = Command::new(env!("CARGO_BIN_EXE_quire"))
        .arg("build")
        .arg(&input)
        .arg("-o")
        .arg(tmp.path().join("out"))
        .output()
        .expect("quire runs");
    let elapsed = start.elapsed();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(elapsed.as_secs() < 600, "took {elapsed:?}");
}

/// Every input cargo fuzz found a crash with (`tests/fixtures/fuzz-crashes/`), replayed
/// through the library as the fuzz target runs it (`fuzz/fuzz_targets/manuscript.rs`):
/// bytes before `\0\0` are `book.yaml`, after it a chapter; no panic, and when the parser
/// reports no error, both backends succeed.
#[test]
fn fuzz_crashes_stay_fixed() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz-crashes");
    let mut count = 0;
    for entry in fs::read_dir(dir).unwrap() {
        let data = fs::read(entry.unwrap().path()).unwrap();
        let mut map = quire::source::SourceMap::new("/nonexistent-quire-fuzz-root");
        let mut diags = Vec::new();
        match data.windows(2).position(|w| w == b"\0\0") {
            Some(split) => {
                let yaml = data[..split].to_vec();
                let rest = data[split + 2..].to_vec();
                quire::files::add_bytes(&mut map, Path::new("book.yaml"), yaml, &mut diags);
                quire::files::add_bytes(&mut map, Path::new("01-text.md"), rest, &mut diags);
            }
            None => {
                quire::files::add_bytes(&mut map, Path::new("book.md"), data, &mut diags);
            }
        }
        let parsed = quire::parse::parse(&map, &quire::files::Files::none(&map.root));
        diags.extend(parsed.diagnostics);
        count += 1;
        let Some(book) = parsed.book else { continue };
        let epub = quire::epub::write(&book, &quire::epub::EpubOptions::default());
        let fonts = quire::fonts::FontSet::embedded();
        let (document, _) = quire::typeset::typeset(&book, &fonts);
        let pdf = quire::pdf::write(&document, &fonts, &book.assets);
        if !quire::diag::has_errors(&diags) {
            epub_check::check_epub(&epub.unwrap()).unwrap();
            assert!(pdf.unwrap().starts_with(b"%PDF-"));
        }
    }
    assert!(count >= 1);
}
