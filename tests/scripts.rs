//! Every script a book quotes (issue 13): font fallback, right-to-left text, complex
//! shaping, CJK and Thai line breaking, text extraction, and the warning for a character
//! no font has.
//!
//! Tests that need the system's Noto fonts (Debian's fonts-noto-core and
//! fonts-noto-cjk, which `.ci/run` installs) or poppler's `pdftotext` skip themselves
//! when those are missing, and say so on stderr (`SKIPPED …`); the rest run anywhere.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use quire::fonts::{FaceId, FallbackRequest, FontSet};
use quire::typeset::document::Document;
use quire::typeset::shape::{Props, Shaper, MPT};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The first face of the system's font folders (fontdb, as quire reads them) of
/// `family`, as (file, index), or `None`.
fn system_face(family: &str) -> Option<(PathBuf, u32)> {
    let mut db = fontdb::Database::new();
    db.load_system_fonts();
    let mut found: Vec<(PathBuf, u32)> = db
        .faces()
        .filter(|f| f.families.iter().any(|(name, _)| name == family))
        .filter(|f| f.style == fontdb::Style::Normal && f.weight.0 == 400)
        .filter_map(|f| match &f.source {
            fontdb::Source::File(p) | fontdb::Source::SharedFile(p, _) => {
                Some((p.clone(), f.index))
            }
            fontdb::Source::Binary(_) => None,
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

/// Whether every family is installed; prints what the test skips when not.
fn have_fonts(test: &str, families: &[&str]) -> bool {
    let missing: Vec<&str> = families
        .iter()
        .copied()
        .filter(|f| system_face(f).is_none())
        .collect();
    if missing.is_empty() {
        return true;
    }
    eprintln!(
        "SKIPPED {test}: the system has no {} (Debian: apt-get install fonts-noto-core fonts-noto-cjk)",
        missing.join(", ")
    );
    false
}

/// Whether poppler's pdftotext runs; prints what the test skips when not.
fn have_pdftotext(test: &str) -> bool {
    let ok = Command::new("pdftotext").arg("-v").output().is_ok();
    if !ok {
        eprintln!("SKIPPED {test}: pdftotext is not installed (Debian: poppler-utils)");
    }
    ok
}

fn quire(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(args)
        .output()
        .expect("quire runs")
}

/// A manuscript folder with `book.yaml` (`meta` after the title) and one chapter.
fn manuscript(dir: &Path, meta: &str, chapter: &str) -> PathBuf {
    let root = dir.join("book");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(
        root.join("book.yaml"),
        format!("title: Scripts\nauthor: Test\nlang: en\n{meta}"),
    )
    .unwrap();
    std::fs::write(root.join("01-text.md"), chapter).unwrap();
    root
}

/// The book typeset with its fonts, as the build does.
fn typeset(
    root: &Path,
    fonts: impl FnOnce(FontSet) -> FontSet,
) -> (Document, FontSet, Vec<String>) {
    let checked = quire::build::check(root, false).unwrap();
    let book = checked.book.unwrap();
    let files = quire::files::Files::disk(root, None);
    let fonts = fonts(FontSet::load(&book.meta.pdf.fonts, &files).unwrap());
    let (doc, diags) = quire::typeset::typeset(&book, &fonts);
    (doc, fonts, diags.into_iter().map(|d| d.message).collect())
}

/// pdftotext's text, with the bidi embedding marks it wraps right-to-left text in
/// (U+202A–U+202E) taken out and white space collapsed.
fn extracted(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .chars()
        .filter(|c| !('\u{202A}'..='\u{202E}').contains(c))
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The phrases of the multi-script manuscript, each in its own paragraph.
const PHRASES: &[&str] = &[
    "Ἐν ἀρχῇ ἦν ὁ λόγος",
    "Съешь же ещё этих мягких французских булок",
    // Hebrew without points: pdftotext takes a point placed by the font's mark
    // positioning (drawn before its letter, in the shaper's right-to-left order) for a
    // letter of its own, as it does Arabic's vowel signs (see below).
    "שלום עולם",
    "السلام عليكم",
    "مرحبا",
    // Not Arabic's vowel signs (بِسْمِ) nor the Allah ligature (اللَّه): pdftotext reads a
    // raised or shifted mark as a letter (or a line) of its own, and a right-to-left
    // glyph's several characters backwards, ActualText included (ISO 32000 wants logical
    // order, which quire writes). Their shaping is tested against harfrust below.
    "हिन्दी भाषा",
    "क्षत्रिय",
    "中文排版需要处理标点挤压，例如「引号」和（括号）。",
    "日本語の「テスト」です。ちょっと、キャッシュ—ね！",
    "한국어는 띄어쓰기를 합니다.",
    "ภาษาไทยเป็นภาษาที่ไม่มีการเว้นวรรคระหว่างคำ",
    // Symbols between words: pdftotext (not the PDF) joins words of one character
    // each ("a ✓ b" reads "a✓b", with any font).
    "stars ★ hearts ♥ ticks ✓ rupees ₹ won ₩",
];

const NOTO: &[&str] = &[
    "Noto Naskh Arabic",
    "Noto Serif Hebrew",
    "Noto Serif Devanagari",
    "Noto Serif Thai",
    "Noto Serif CJK SC",
    "Noto Sans Symbols2",
];

#[test]
fn a_multi_script_book_extracts_as_written_with_no_notdef() {
    let test = "a_multi_script_book_extracts_as_written_with_no_notdef";
    if !have_fonts(test, NOTO) || !have_pdftotext(test) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let chapter: String = std::iter::once("# Quotations\n\n".to_string())
        .chain(PHRASES.iter().map(|p| format!("{p}\n\n")))
        .collect();
    let root = manuscript(tmp.path(), "", &chapter);
    // No .notdef glyph anywhere: every character has a face.
    let (doc, _, warnings) = typeset(&root, |f| f);
    let notdef: Vec<String> = doc
        .pages
        .iter()
        .flat_map(|p| &p.runs)
        .flat_map(|r| r.glyphs.iter())
        .filter(|g| g.id == 0)
        .map(|g| g.text.to_string())
        .collect();
    assert!(notdef.is_empty(), "drawn as .notdef: {notdef:?}");
    assert!(
        !warnings.iter().any(|w| w.contains("no font has")),
        "{warnings:?}"
    );
    // The build names the fallback fonts, and pdftotext gives every phrase back (the
    // right-to-left ones in logical order).
    let out = tmp.path().join("out");
    let run = quire(&[
        "build",
        root.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--pdf",
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("note: fallback font: Noto Naskh Arabic"),
        "{stderr}"
    );
    let text = extracted(&out.join("scripts.pdf"));
    for phrase in PHRASES {
        assert!(text.contains(phrase), "{phrase:?} not in {text:?}");
    }
}

#[test]
fn a_book_its_fonts_cover_never_reads_the_system_fonts() {
    let tmp = tempfile::tempdir().unwrap();
    let root = manuscript(
        tmp.path(),
        "",
        "# One\n\nLatin, Ελληνικά, Русский — all in Gentium.\n",
    );
    let (_, fonts, _) = typeset(&root, |f| f);
    assert_eq!(fonts.system_load_time(), None);
    let out = tmp.path().join("out");
    let run = quire(&["build", root.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(run.status.success());
    assert!(!String::from_utf8_lossy(&run.stderr).contains("fallback font"));
}

#[test]
fn fallback_is_deterministic_and_matches_the_style() {
    let test = "fallback_is_deterministic_and_matches_the_style";
    if !have_fonts(test, &["Noto Serif Hebrew", "Noto Naskh Arabic"]) {
        return;
    }
    let ask = |fonts: &FontSet, cluster: &str, style: FaceId| {
        use unicode_script::UnicodeScript;
        let script = cluster.chars().next().unwrap().script();
        fonts.fallback(
            cluster,
            FallbackRequest {
                style,
                script,
                lang: "en",
            },
        )
    };
    let one = FontSet::embedded();
    let two = FontSet::embedded();
    let regular = ask(&one, "ש", FaceId::Regular).unwrap();
    assert_eq!(Some(regular), ask(&two, "ש", FaceId::Regular));
    assert!(
        one.describe(regular).starts_with("Noto Serif Hebrew"),
        "{}",
        one.describe(regular)
    );
    // A bold run gets the family's bold face.
    let bold = ask(&one, "ש", FaceId::Bold).unwrap();
    assert_ne!(bold, regular);
    assert!(one.describe(bold).starts_with("Noto Serif Hebrew"));
    let face = one.face(bold);
    let parsed = ttf_parser::Face::parse(&face.bytes, face.index).unwrap();
    assert_eq!(parsed.weight().to_number(), 700);
    // Arabic prefers Naskh (a serif, beside Gentium) to the sans.
    let arabic = ask(&one, "س", FaceId::Regular).unwrap();
    assert!(one.describe(arabic).starts_with("Noto Naskh Arabic"));
    // Without system fonts, nothing.
    assert_eq!(
        ask(
            &FontSet::embedded().without_system_fonts(),
            "ש",
            FaceId::Regular
        ),
        None
    );
}

#[test]
fn a_fallback_file_comes_before_the_system_fonts() {
    let test = "a_fallback_file_comes_before_the_system_fonts";
    if !have_fonts(test, &["Noto Sans Hebrew", "Noto Serif Hebrew"]) {
        return;
    }
    let (path, _) = system_face("Noto Sans Hebrew").unwrap();
    let files = quire::files::Files::in_memory(
        "/book",
        [(PathBuf::from("hebrew.ttf"), std::fs::read(path).unwrap())],
    );
    let named = quire::model::FontFiles {
        fallback: vec![PathBuf::from("hebrew.ttf")],
        ..Default::default()
    };
    let fonts = FontSet::load(&named, &files).unwrap();
    let face = fonts
        .fallback(
            "ש",
            FallbackRequest {
                style: FaceId::Regular,
                script: unicode_script::Script::Hebrew,
                lang: "en",
            },
        )
        .unwrap();
    // The first face after the four book faces: the file's, not Noto Serif Hebrew.
    assert_eq!(face.index(), 4);
    assert!(matches!(
        fonts.face(face).origin,
        quire::fonts::Origin::Fallback(_)
    ));
    // The file is read through the file layer (so `quire watch` follows it).
    assert!(files.inputs().iter().any(|p| p.ends_with("hebrew.ttf")));
}

/// Glyph ids of `text` shaped by harfrust directly in `face` with `direction` and
/// `script` (what quire's shaper must give).
fn harfrust_glyphs(
    face: &quire::fonts::FontData,
    text: &str,
    rtl: bool,
    script: &[u8; 4],
) -> Vec<u32> {
    let blob: harfrust::font::Blob = face.bytes.to_vec().into();
    let font = harfrust::Font::new(blob, face.index).unwrap();
    let shaper = harfrust::ShaperFont::new(&font);
    let mut buffer = harfrust::Buffer::new();
    buffer.push_str(text);
    buffer.set_direction(if rtl {
        harfrust::Direction::RightToLeft
    } else {
        harfrust::Direction::LeftToRight
    });
    buffer.set_script(harfrust::Script::from_iso15924_tag(harfrust::Tag::new(
        script,
    )));
    buffer.set_language(harfrust::Language::new("en"));
    harfrust::shape(&shaper, &mut buffer, harfrust::ShapeOptions::new()).unwrap();
    buffer.glyph_infos().iter().map(|g| g.glyph_id).collect()
}

#[test]
fn arabic_joins_and_devanagari_forms_conjuncts_as_harfrust_shapes_them() {
    let test = "arabic_joins_and_devanagari_forms_conjuncts_as_harfrust_shapes_them";
    if !have_fonts(test, &["Noto Naskh Arabic", "Noto Serif Devanagari"]) {
        return;
    }
    let fonts = FontSet::embedded();
    let mut shaper = Shaper::new(&fonts);
    shaper.set_language("en");
    let rtl_props = Props {
        rtl: true,
        lang: None,
        small_caps: false,
    };
    for (text, rtl, script) in [
        ("السلام", true, b"Arab"),
        ("لا", true, b"Arab"),
        ("بِسْمِ", true, b"Arab"),
        ("क्षत्रिय", false, b"Deva"),
        ("हिन्दी", false, b"Deva"),
        ("कि", false, b"Deva"),
    ] {
        let props = if rtl { rtl_props } else { Props::default() };
        let word = shaper.shape_with(text, FaceId::Regular, 11 * MPT, props);
        let face = word.glyphs[0].face;
        assert!(
            word.glyphs
                .iter()
                .all(|g| g.face == face && !face.is_book()),
            "{text}"
        );
        let ours: Vec<u32> = word.glyphs.iter().map(|g| u32::from(g.id)).collect();
        assert_eq!(
            ours,
            harfrust_glyphs(fonts.face(face), text, rtl, script),
            "{text}"
        );
    }
    // Joined: "سلام" shaped whole uses other glyphs than its letters alone (initial,
    // medial, final forms, and the lam-alef ligature: fewer glyphs than letters).
    let joined = shaper.shape_with("سلام", FaceId::Regular, 11 * MPT, rtl_props);
    let alone: Vec<u16> = ["س", "ل", "ا", "م"]
        .iter()
        .map(|l| {
            shaper
                .shape_with(l, FaceId::Regular, 11 * MPT, rtl_props)
                .glyphs[0]
                .id
        })
        .collect();
    let ids: Vec<u16> = joined.glyphs.iter().map(|g| g.id).collect();
    // Visual order, right to left: seen (initial form) is last, lam (medial) before it;
    // alef joins only on its right, so meem after it stays isolated.
    assert_eq!(ids.len(), 4, "{ids:?}");
    assert_ne!(
        ids[3], alone[0],
        "seen joined: {ids:?} vs isolated {alone:?}"
    );
    assert_ne!(
        ids[2], alone[1],
        "lam joined: {ids:?} vs isolated {alone:?}"
    );
    assert_ne!(
        ids[1], alone[2],
        "alef joined: {ids:?} vs isolated {alone:?}"
    );
    // A conjunct: क्ष is fewer glyphs than its three characters; the i-matra of कि is
    // drawn before its consonant (and both are one cluster).
    let ksha = shaper.shape("क्ष", FaceId::Regular, 11 * MPT);
    assert!(ksha.glyphs.len() < 3, "{:?}", ksha.glyphs);
    let ki = shaper.shape("कि", FaceId::Regular, 11 * MPT);
    let ka = shaper.shape("क", FaceId::Regular, 11 * MPT);
    assert_eq!(ki.glyphs.len(), 2);
    assert_eq!(ki.glyphs[1].id, ka.glyphs[0].id);
    assert!(ki.glyphs.iter().all(|g| g.cluster == 0));
}

/// The text of each line of the first page, glyph texts in drawing order.
fn lines(doc: &Document) -> Vec<(f32, String)> {
    let mut out: Vec<(f32, String)> = Vec::new();
    for run in &doc.pages[0].runs {
        let text: String = run.glyphs.iter().map(|g| g.text.as_str()).collect();
        match out.last_mut() {
            Some((y, t)) if (*y - run.y).abs() < 0.5 => t.push_str(&text),
            _ => out.push((run.y, text)),
        }
    }
    out
}

#[test]
fn right_to_left_words_are_placed_in_visual_order() {
    // No Hebrew font needed: the glyphs are .notdef boxes, but their order is the test.
    let tmp = tempfile::tempdir().unwrap();
    let root = manuscript(
        tmp.path(),
        "pdf:\n  fonts:\n    system: false\n",
        "# One\n\nabc שלום עולם xyz.\n",
    );
    let (doc, _, _) = typeset(&root, |f| f);
    let lines = lines(&doc);
    // Drawn left to right: "abc", then the second Hebrew word, then the first, each
    // right to left, then "xyz." (UAX #9 L2).
    assert!(
        lines.iter().any(|(_, t)| t == "abc םלוע םולש xyz."),
        "{lines:?}"
    );
}

#[test]
fn a_right_to_left_book_sets_its_lines_from_the_right() {
    let tmp = tempfile::tempdir().unwrap();
    let root = manuscript(
        tmp.path(),
        "dir: rtl\npdf:\n  fonts:\n    system: false\n",
        "# One\n\nשלום abc עולם.\n",
    );
    let (doc, _, _) = typeset(&root, |f| f);
    let runs = &doc.pages[0].runs;
    let line: Vec<_> = runs
        .iter()
        .filter(|r| r.glyphs.iter().any(|g| g.text == "ש"))
        .collect();
    let y = line[0].y;
    let on_line: Vec<_> = runs.iter().filter(|r| (r.y - y).abs() < 0.5).collect();
    let text: String = on_line
        .iter()
        .flat_map(|r| r.glyphs.iter())
        .map(|g| g.text.as_str())
        .collect();
    // The first word at the right end; the period, at the paragraph's end, at the left.
    assert_eq!(text, ".םלוע abc םולש");
    // Flush right: the line ends at the right margin, well right of the left one.
    let left = on_line.iter().map(|r| r.x).fold(f32::MAX, f32::min);
    assert!(left > 100.0, "starts at {left}");
}

#[test]
fn brackets_are_mirrored_right_to_left() {
    let fonts = FontSet::embedded().without_system_fonts();
    let mut shaper = Shaper::new(&fonts);
    let rtl = Props {
        rtl: true,
        lang: None,
        small_caps: false,
    };
    let open_rtl = shaper
        .shape_with("(", FaceId::Regular, 11 * MPT, rtl)
        .glyphs[0]
        .id;
    let close_ltr = shaper.shape(")", FaceId::Regular, 11 * MPT).glyphs[0].id;
    let open_ltr = shaper.shape("(", FaceId::Regular, 11 * MPT).glyphs[0].id;
    assert_eq!(open_rtl, close_ltr);
    assert_ne!(open_rtl, open_ltr);
}

#[test]
fn a_character_no_font_has_is_named_at_its_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let root = manuscript(
        tmp.path(),
        "pdf:\n  fonts:\n    system: false\n",
        "# One\n\nThe sign ‘𓀀’ twice: 𓀀.\n",
    );
    let out = tmp.path().join("out");
    let run = quire(&["build", root.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "01-text.md:3:11: warning: no font has U+13000 EGYPTIAN HIEROGLYPH A001 ‘𓀀’ (script: Egyptian Hieroglyphs)"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("used once more"), "{stderr}");
    assert!(stderr.contains("pdf: fonts: fallback:"), "{stderr}");
    assert_eq!(stderr.matches("no font has").count(), 1, "{stderr}");
    // The EPUB keeps the character (the reading system picks a font).
    let epub = std::fs::read(out.join("scripts.epub")).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(epub)).unwrap();
    let mut found = false;
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let mut text = String::new();
        if std::io::Read::read_to_string(&mut file, &mut text).is_ok() && text.contains('𓀀') {
            found = true;
        }
    }
    assert!(found);
    // --strict fails the build, and writes nothing.
    let strict_out = tmp.path().join("strict");
    let run = quire(&[
        "build",
        root.to_str().unwrap(),
        "-o",
        strict_out.to_str().unwrap(),
        "--strict",
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(stderr.contains("error: no font has U+13000"), "{stderr}");
    assert!(std::fs::read_dir(&strict_out).map_or(true, |d| d.count() == 0));
}

#[test]
fn a_missing_character_is_drawn_as_a_box_that_extracts_as_itself() {
    let test = "a_missing_character_is_drawn_as_a_box_that_extracts_as_itself";
    if !have_pdftotext(test) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // Two missing characters share the .notdef glyph; each extracts as itself.
    let root = manuscript(
        tmp.path(),
        "pdf:\n  fonts:\n    system: false\n",
        "# One\n\nHieroglyphs 𓀀 and 𓀁 and a q́ with its accent.\n",
    );
    let (doc, _, _) = typeset(&root, |f| f);
    let boxes = doc
        .pages
        .iter()
        .flat_map(|p| &p.runs)
        .flat_map(|r| r.glyphs.iter())
        .filter(|g| g.id == 0)
        .count();
    assert_eq!(boxes, 2);
    let out = tmp.path().join("out");
    let run = quire(&[
        "build",
        root.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--pdf",
    ]);
    assert!(run.status.success());
    let text = extracted(&out.join("scripts.pdf"));
    assert!(text.contains("Hieroglyphs 𓀀 and 𓀁 and a q́ with"), "{text}");
}
