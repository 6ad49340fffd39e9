//! Incremental rebuilds (`build::build_cached`, as `quire watch` does them) give the
//! same bytes as a clean build of the same text, and actually reuse earlier work.

#![allow(clippy::unwrap_used)]

use quire::build::BuildCache;
use quire::build::{build, build_cached, BuildReport, BuildRequest, Formats};
use std::path::{Path, PathBuf};

/// The sample essay, twice over (so there are many paragraphs before and after an edit).
fn manuscript(dir: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("manuscript");
    std::fs::copy(src.join("book.yaml"), dir.join("book.yaml")).unwrap();
    for copy in 0..2 {
        for entry in std::fs::read_dir(&src).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "md") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                std::fs::copy(&path, dir.join(format!("{copy}-{name}"))).unwrap();
            }
        }
    }
}

fn request(input: &Path, out: PathBuf) -> BuildRequest {
    BuildRequest {
        input: input.to_path_buf(),
        out_dir: out,
        formats: Formats {
            epub: true,
            pdf: true,
        },
        strict: false,
        timestamp: Some(1_700_000_000),
        booklet: false,
    }
}

/// The outputs' bytes, EPUB then PDF.
fn outputs(report: &BuildReport) -> Vec<Vec<u8>> {
    assert!(!report.failed(), "{:?}", report.diagnostics);
    assert_eq!(report.outputs.len(), 2);
    report
        .outputs
        .iter()
        .map(|o| std::fs::read(&o.path).unwrap())
        .collect()
}

/// Rebuilds with `cache` and checks the outputs against a clean build; returns the report.
fn rebuild_matches_clean(input: &Path, out: &Path, cache: &BuildCache) -> BuildReport {
    let incremental = build_cached(&request(input, out.join("incr")), cache).unwrap();
    let clean = build(&request(input, out.join("clean"))).unwrap();
    let (a, b) = (outputs(&incremental), outputs(&clean));
    assert!(a[0] == b[0], "EPUB differs from a clean build");
    assert!(a[1] == b[1], "PDF differs from a clean build");
    incremental
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn incremental_rebuilds_are_byte_identical_to_clean_builds() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("book");
    std::fs::create_dir(&input).unwrap();
    manuscript(&input);
    let out = dir.path().join("out");
    let cache = BuildCache::new();

    let first = rebuild_matches_clean(&input, &out, &cache);
    // The essay is there twice, so even the first build reuses the second copy's
    // paragraphs; every paragraph is counted once, as a hit or a miss.
    let paragraphs = first.cache.paragraphs.hits + first.cache.paragraphs.misses;
    assert!(first.cache.paragraphs.misses > first.cache.paragraphs.hits);
    assert!(paragraphs > 100, "{paragraphs} paragraphs");

    // One word in a middle chapter: only its paragraph is broken again.
    let chapter = input.join("1-02-industrialization.md");
    edit(&chapter, "heavy industry", "heavy manufacturing");
    let report = rebuild_matches_clean(&input, &out, &cache);
    let stats = report.cache.paragraphs;
    assert!(stats.hits + 5 > paragraphs, "{stats:?}");
    assert!(stats.misses >= 1 && stats.misses <= 3, "{stats:?}");
    // Only the pages whose text changed get a new content stream (the font subsets are
    // the same: "manufacturing" uses no new glyph).
    let pages = report.cache.pdf.pages;
    assert_eq!(report.cache.pdf.faces.hits, 1, "{:?}", report.cache.pdf);
    assert!(
        pages.misses >= 1 && pages.misses <= 2 && pages.hits > 20,
        "{pages:?}"
    );
    // Only page text changed: the previous file is patched (its other objects, already
    // compressed, are not looked at again), and still gives the clean build's bytes.
    assert_eq!(
        (
            report.cache.pdf.patches.hits,
            report.cache.pdf.patches.misses
        ),
        (1, 0),
        "{:?}",
        report.cache.pdf
    );
    // Only the edited word is shaped again (running heads and folios are not).
    let words = report.cache.words;
    assert!(words.misses <= 2 && words.hits > 20, "{words:?}");
    // The glyphs of the unchanged pages are not read again either.
    let page_glyphs = report.cache.pdf.page_glyphs;
    assert_eq!(
        (page_glyphs.hits, page_glyphs.misses),
        (pages.hits, pages.misses),
        "{:?}",
        report.cache.pdf
    );
    // A second edit on another page patches the patched file.
    let gulag = input.join("1-03-gulag.md");
    edit(&gulag, "Under Stalin", "Under Josef Stalin");
    let report = rebuild_matches_clean(&input, &out, &cache);
    assert_eq!(report.cache.pdf.patches.hits, 1, "{:?}", report.cache.pdf);
    // Emphasis splits a line into more runs (marked-content sequences): the structure
    // tree changes, so the file is written whole.
    edit(&gulag, "Under Josef Stalin", "Under *Josef* Stalin");
    let report = rebuild_matches_clean(&input, &out, &cache);
    assert_eq!(report.cache.pdf.patches.misses, 1, "{:?}", report.cache.pdf);
    edit(&gulag, "Under *Josef* Stalin", "Under Stalin");
    let report = rebuild_matches_clean(&input, &out, &cache);
    assert_eq!(report.cache.pdf.patches.misses, 1, "{:?}", report.cache.pdf);

    // The EPUB compresses again only the edited chapter's document (and the package
    // documents, which name nothing that changed here, so they are reused too).
    let epub = report.cache.epub;
    assert!(epub.misses == 1 && epub.hits > 10, "{epub:?}");

    // A character no page used before: new font subsets, so every page's stream is made
    // again (glyph ids in the subsets move), and still the clean build's bytes.
    edit(
        &chapter,
        "heavy manufacturing",
        "heavy manufacturing (Ωmega)",
    );
    let report = rebuild_matches_clean(&input, &out, &cache);
    assert_eq!(report.cache.pdf.faces.misses, 1, "{:?}", report.cache.pdf);
    assert_eq!(report.cache.pdf.pages.hits, 0, "{:?}", report.cache.pdf);
    // New subsets change the fonts' objects: the file is written whole.
    assert_eq!(report.cache.pdf.patches.misses, 1, "{:?}", report.cache.pdf);

    // A sentence long enough to add lines: pagination shifts from there on.
    let added = " This sentence was added to the paragraph so that it needs more lines than \
                 before, which moves every following line down and changes where the pages \
                 after it break, so the pagination has to be redone from here to the end.";
    edit(
        &chapter,
        "and machine tools.",
        &format!("and machine tools.{added}"),
    );
    let report = rebuild_matches_clean(&input, &out, &cache);
    assert!(report.cache.paragraphs.misses <= 3, "{:?}", report.cache);
    assert!(report.cache.paragraphs.hits > 100, "{:?}", report.cache);

    // A chapter added, then one removed.
    std::fs::write(
        input.join("0-03a-interlude.md"),
        "# Interlude\n\nA new chapter with one short paragraph.\n",
    )
    .unwrap();
    let report = rebuild_matches_clean(&input, &out, &cache);
    assert!(report.cache.paragraphs.hits > 100, "{:?}", report.cache);
    std::fs::remove_file(input.join("0-04-great-purge.md")).unwrap();
    let report = rebuild_matches_clean(&input, &out, &cache);
    // Later note numbers change (numbering runs through the book), so the paragraphs
    // that cite notes after the removed chapter are new content; the rest are reused.
    let stats = report.cache.paragraphs;
    assert!(
        stats.hits > 100 && stats.misses * 4 < stats.hits,
        "{stats:?}"
    );
}

/// Sets a file's modification time an hour back: a file written just now is always read
/// again (its time may not have ticked since an earlier write), so only older files are
/// taken from the cache.
fn age(path: &Path) {
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(hour_ago).unwrap();
}

fn chapter_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    files
}

#[test]
fn unchanged_files_are_not_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("book");
    std::fs::create_dir(&input).unwrap();
    manuscript(&input);
    let files = chapter_files(&input);
    for f in &files {
        age(f);
    }
    age(&input.join("book.yaml"));
    // Every file the build reads goes through the store: the chapters and book.yaml.
    let read = files.len() + 1;
    let out = dir.path().join("out");
    let cache = BuildCache::new();
    let first = rebuild_matches_clean(&input, &out, &cache);
    assert_eq!(first.cache.files.misses, read, "{:?}", first.cache);

    // An edit of the same length, with the file's old modification time put back (as a
    // second save within one clock tick would leave it): its change time still differs,
    // so it is read again.
    let chapter = input.join("1-02-industrialization.md");
    let before = std::fs::metadata(&chapter).unwrap().modified().unwrap();
    edit(&chapter, "heavy industry", "heavy yrtsudni");
    std::fs::File::options()
        .write(true)
        .open(&chapter)
        .unwrap()
        .set_modified(before)
        .unwrap();
    let report = rebuild_matches_clean(&input, &out, &cache);
    assert_eq!(report.cache.files.hits, read - 1, "{:?}", report.cache);
    assert_eq!(report.cache.files.misses, 1, "{:?}", report.cache);

    // A file saved just now is read, not taken from the cache, however it looks.
    edit(&chapter, "heavy yrtsudni", "heavy industry");
    let report = rebuild_matches_clean(&input, &out, &cache);
    assert_eq!(report.cache.files.hits, read - 1, "{:?}", report.cache);
    assert_eq!(report.cache.files.misses, 1, "{:?}", report.cache);
}

#[test]
fn a_failed_build_keeps_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("book");
    std::fs::create_dir(&input).unwrap();
    manuscript(&input);
    let out = dir.path().join("out");
    let cache = BuildCache::new();
    rebuild_matches_clean(&input, &out, &cache);
    let yaml = input.join("book.yaml");
    let good = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(&yaml, "title: [unclosed\n").unwrap();
    let failed = build_cached(&request(&input, out.join("incr")), &cache).unwrap();
    assert!(failed.failed());
    std::fs::write(&yaml, good).unwrap();
    let report = rebuild_matches_clean(&input, &out, &cache);
    assert_eq!(report.cache.paragraphs.misses, 0, "{:?}", report.cache);
}

/// A small PNG of `width` × `height` pixels of one colour.
fn png(width: u32, height: u32, shade: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    let pixels = vec![shade; (width * height * 3) as usize];
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    out
}

/// Every input a book's outputs depend on, changed between two cached rebuilds: the
/// cache must never hand back a result made from the old one (each rebuild equals a clean
/// build, and differs from the one before, so the change was seen).
#[test]
fn a_change_to_any_input_between_cached_rebuilds_gives_a_clean_builds_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("book");
    std::fs::create_dir_all(input.join("img")).unwrap();
    std::fs::create_dir_all(input.join("fonts")).unwrap();
    let fonts = Path::new(env!("CARGO_MANIFEST_DIR")).join("fonts");
    std::fs::copy(
        fonts.join("GentiumBookPlus-Regular.ttf"),
        input.join("fonts/body.ttf"),
    )
    .unwrap();
    let yaml = |hyphenation: &str, paper: &str, lang: &str| {
        format!(
            "title: Inputs\nlang: {lang}\nhyphenation: [{hyphenation}]\n\
             pdf:\n  paper: {paper}\n  fonts:\n    regular: fonts/body.ttf\n"
        )
    };
    std::fs::write(input.join("book.yaml"), yaml("ta-ble", "a5", "en")).unwrap();
    // A paragraph long enough to hyphenate its long words on an A5 measure.
    let words = "Incomprehensibilities notwithstanding, the characteristically \
                 uncompromising administrators reconsidered their representations. ";
    std::fs::write(
        input.join("01-one.md"),
        format!(
            "# One\n\n{}\n\n![A plate](img/plate.jpe)\n\n![A map](img/map)\n",
            words.repeat(12)
        ),
    )
    .unwrap();
    std::fs::write(input.join("img/plate.jpe"), png(40, 20, 10)).unwrap();
    std::fs::write(input.join("img/map"), png(30, 30, 200)).unwrap();
    let out = dir.path().join("out");
    let cache = BuildCache::new();
    let mut last = outputs(&rebuild_matches_clean(&input, &out, &cache));
    let mut step = |what: &str, change: &dyn Fn()| {
        change();
        let now = outputs(&rebuild_matches_clean(&input, &out, &cache));
        assert_ne!(now, last, "changing {what} changed nothing");
        last = now;
    };
    step("an image named .jpe", &|| {
        std::fs::write(input.join("img/plate.jpe"), png(80, 20, 10)).unwrap()
    });
    step("an image with no extension", &|| {
        std::fs::write(input.join("img/map"), png(30, 30, 90)).unwrap()
    });
    step("the font file", &|| {
        std::fs::copy(
            fonts.join("GentiumBookPlus-Italic.ttf"),
            input.join("fonts/body.ttf"),
        )
        .unwrap();
    });
    step("the hyphenation list", &|| {
        let list = "ta-ble, incomprehensibilities, characteristically, \
                    uncompromising, administrators, representations";
        std::fs::write(input.join("book.yaml"), yaml(list, "a5", "en")).unwrap()
    });
    step("the paper size", &|| {
        std::fs::write(input.join("book.yaml"), yaml("ta-ble", "a4", "en")).unwrap()
    });
    step("the language", &|| {
        std::fs::write(input.join("book.yaml"), yaml("ta-ble", "a4", "de")).unwrap()
    });
}

/// With notes at the page foot (`pdf: notes: footnotes`), a cached rebuild gives a clean
/// build's bytes: after an edit in a note (its broken paragraphs come from the cache
/// like the text's), after an edit that moves a reference to another page, and after
/// switching from endnotes to footnotes and back between rebuilds.
#[test]
fn footnote_rebuilds_are_byte_identical_to_clean_builds() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("book");
    std::fs::create_dir(&input).unwrap();
    manuscript(&input);
    let out = dir.path().join("out");
    let cache = BuildCache::new();
    let yaml = input.join("book.yaml");
    let endnotes = std::fs::read_to_string(&yaml).unwrap();
    let footnotes = format!("{endnotes}pdf:\n  notes: footnotes\n");

    rebuild_matches_clean(&input, &out, &cache);
    std::fs::write(&yaml, &footnotes).unwrap();
    let first = rebuild_matches_clean(&input, &out, &cache);
    assert!(first.cache.paragraphs.hits > 0, "{:?}", first.cache);
    // A word in a note.
    edit(
        &input.join("0-00-opening.md"),
        "mollify peasant opposition",
        "appease peasant opposition",
    );
    let report = rebuild_matches_clean(&input, &out, &cache);
    let stats = report.cache.paragraphs;
    assert!(stats.misses >= 1 && stats.misses <= 3, "{stats:?}");
    // A paragraph made longer before a reference: lines and notes move.
    edit(
        &input.join("0-01-collectivization.md"),
        "In the summer of 1929,",
        "In the summer of 1929, as the harvest came in and the villages waited,",
    );
    rebuild_matches_clean(&input, &out, &cache);
    std::fs::write(&yaml, &endnotes).unwrap();
    rebuild_matches_clean(&input, &out, &cache);
}
