//! pandoc's inline constructs, one manuscript each (tests/fixtures/pandoc/), built by the
//! real binary: each builds without a warning, passes the structural EPUB check, its
//! chapter XHTML is snapshotted (tests/snapshots/pandoc_inlines__*.snap), its PDF text
//! is read back with lopdf, and neither output holds the construct's syntax as text.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/epub_check.rs"]
mod epub_check;
#[path = "common/pdf_text.rs"]
mod pdf_text;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pandoc")
        .join(format!("{name}.md"))
}

/// What one build made.
struct Built {
    epub: Vec<u8>,
    pdf: Vec<u8>,
    /// The content documents (not nav, title page), in name order, bodies only.
    docs: String,
    summary: epub_check::Summary,
}

impl Built {
    fn file(&self, name: &str) -> String {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&self.epub)).unwrap();
        let mut text = String::new();
        zip.by_name(name)
            .unwrap_or_else(|_| panic!("{name} is not in the EPUB"))
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    /// The EPUB's chapter text without markup (entities left as they are).
    fn epub_text(&self) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in self.docs.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => out.push(c),
                _ => {}
            }
        }
        out
    }

    fn pdf_text(&self) -> String {
        pdf_text::text(&self.pdf)
    }
}

/// Builds `tests/fixtures/pandoc/<name>.md` with `args`, without a warning.
fn build(name: &str) -> Built {
    let (built, stderr) = build_with(name, &[]);
    assert!(
        stderr.is_empty(),
        "{name} builds without warnings: {stderr}"
    );
    built
}

fn build_with(name: &str, args: &[&str]) -> (Built, String) {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["build", fixture(name).to_str().unwrap(), "-o"])
        .arg(out.path())
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{name}: {stderr}");
    let find = |ext: &str| {
        std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == ext))
            .map(|p| std::fs::read(p).unwrap())
            .unwrap_or_else(|| panic!("{name}: no .{ext}"))
    };
    let (epub, pdf) = (find("epub"), find("pdf"));
    assert!(pdf.starts_with(b"%PDF-"));
    let summary = epub_check::check_epub(&epub).unwrap_or_else(|e| panic!("{name}: {e:#?}"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&epub)).unwrap();
    let mut names: Vec<String> = zip.file_names().map(str::to_string).collect();
    names.sort();
    let mut docs = String::new();
    for n in names {
        let skip = ["nav.xhtml", "titlepage.xhtml", "cover.xhtml"]
            .iter()
            .any(|s| n.ends_with(s));
        if n.ends_with(".xhtml") && !skip {
            let mut text = String::new();
            zip.by_name(&n).unwrap().read_to_string(&mut text).unwrap();
            let body = text.split_once("<body>").map_or(text.as_str(), |(_, b)| b);
            docs.push_str(&format!("=== {n}\n{}\n", body.trim_end()));
        }
    }
    (
        Built {
            epub,
            pdf,
            docs,
            summary,
        },
        stderr,
    )
}

/// `open` + a word + `close` (`^10^`, `~2~`) somewhere in `text`.
fn has_delimited_word(text: &str, open: char, close: char) -> bool {
    let chars: Vec<char> = text.chars().collect();
    (0..chars.len()).any(|i| {
        chars[i] == open && {
            let n = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_alphanumeric())
                .count();
            n > 0 && chars.get(i + 1 + n) == Some(&close)
        }
    })
}

/// Neither text holds pandoc syntax: notes, spans, scripts, raw attributes, TeX.
fn assert_no_syntax(built: &Built, name: &str) {
    for (what, text) in [("EPUB", built.epub_text()), ("PDF", built.pdf_text())] {
        for syntax in [
            "^[", "]{", "{=", "{#", "{.", "{-}", "\\begin", "\\end", "$$", "\\frac",
        ] {
            assert!(
                !text.contains(syntax),
                "{name}: {what} holds `{syntax}`:\n{text}"
            );
        }
        assert!(
            !has_delimited_word(&text, '^', '^') && !has_delimited_word(&text, '~', '~'),
            "{name}: {what} holds `^x^` or `~x~`:\n{text}"
        );
        assert!(
            !text.contains("$\\") && !text.contains("$E"),
            "{name}: {what} holds TeX math:\n{text}"
        );
    }
}

#[test]
fn inline_notes_are_numbered_with_the_labelled_ones_and_linked_both_ways() {
    let b = build("notes");
    assert_no_syntax(&b, "notes");
    // Five references (one from inside a note), five notes, each with its backlink.
    assert_eq!(b.summary.noterefs, 5, "{:?}", b.summary);
    assert_eq!(b.summary.notes_with_backlinks, 5, "{:?}", b.summary);
    let notes = b.file("OEBPS/notes.xhtml");
    // Numbered in reading order, inline and labelled notes together.
    let order: Vec<&str> = [
        "1.</a> There are ninety-seven steps, <em>counted twice</em>.",
        "2.</a> The keeper",
        "3.</a> Except on Sundays",
        "4.</a> A note in the second chapter",
        "5.</a> Notes may hold notes.",
    ]
    .into_iter()
    .filter(|s| notes.contains(s))
    .collect();
    assert_eq!(order.len(), 5, "{notes}");
    let pdf = b.pdf_text();
    assert!(pdf.contains("steps,1 and"), "{pdf}");
    assert!(
        pdf.contains("1. There are ninety-seven steps, counted twice."),
        "{pdf}"
    );
    assert!(pdf.contains("5. Notes may hold notes."), "{pdf}");
    insta::assert_snapshot!("notes", b.docs);
}

#[test]
fn inline_notes_restart_per_chapter_when_asked() {
    let (b, stderr) = build_with("notes", &[]);
    assert!(stderr.is_empty());
    // Book-wide above; per chapter the second chapter's first note is 1 again.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("notes"))
        .unwrap()
        .replace("lang: en\n", "lang: en\nnotes: chapter\n");
    std::fs::write(dir.path().join("book.md"), text).unwrap();
    let out = dir.path().join("out");
    let run = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["build", dir.path().join("book.md").to_str().unwrap(), "-o"])
        .arg(&out)
        .arg("--epub")
        .output()
        .unwrap();
    assert!(run.status.success());
    let epub = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "epub"))
        .unwrap();
    let bytes = std::fs::read(epub).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
    let mut lamp = String::new();
    zip.by_name("OEBPS/the-lamp.xhtml")
        .unwrap()
        .read_to_string(&mut lamp)
        .unwrap();
    assert!(lamp.contains("href=\"notes.xhtml#note-4\">1</a>"), "{lamp}");
    assert!(b.file("OEBPS/the-lamp.xhtml").contains(">4</a>"));
}

#[test]
fn bracketed_spans_carry_their_classes_and_ids() {
    let b = build("spans");
    assert_no_syntax(&b, "spans");
    let d = &b.docs;
    for expected in [
        "<span class=\"smallcaps\">Anton Chekhov</span>",
        "<u>underlined</u>",
        "<u>short form</u>",
        "<mark>highlighted phrase</mark>",
        "<span lang=\"fr\" xml:lang=\"fr\">French words</span>",
        "<span class=\"custom\" data-x=\"1\">kept\nin the EPUB</span>",
        "<span id=\"here\" class=\"aside\"><span class=\"smallcaps\">target</span></span>",
        "<a href=\"#here\">the target</a>",
    ] {
        assert!(d.contains(expected), "{expected}\n{d}");
    }
    // Small capitals are a class of the stylesheet, added for books that use it.
    let css = b.file("OEBPS/stylesheet.css");
    assert!(
        css.contains("span.smallcaps {\n  font-variant: small-caps;"),
        "{css}"
    );

    let pdf = b.pdf_text();
    assert!(pdf.contains("Anton Chekhov wrote plays"), "{pdf}");
    // Small capitals are the face's own glyphs: the regular face maps two glyphs to
    // `h` (the lowercase of "the", the small capital of "Chekhov").
    let runs = pdf_text::runs(&b.pdf);
    let regular: Vec<&pdf_text::Run> = runs
        .iter()
        .filter(|r| r.font.ends_with("-Regular") && r.page == 0)
        .collect();
    let mut h_codes: Vec<u16> = Vec::new();
    for r in &regular {
        for (c, ch) in r.codes.iter().zip(r.text.chars()) {
            if ch == 'h' && !h_codes.contains(c) {
                h_codes.push(*c);
            }
        }
    }
    assert!(h_codes.len() >= 2, "{h_codes:?}");
    // Underlines are rules, the mark a grey background, on the first body page.
    let doc = lopdf::Document::load_mem(&b.pdf).unwrap();
    let page = *doc.get_pages().values().next().unwrap();
    let ops = doc.get_and_decode_page_content(page).unwrap().operations;
    let rects = ops.iter().filter(|o| o.operator == "re").count();
    assert!(rects >= 3, "underlines and mark: {rects} rectangles");
    let grey = ops.iter().any(|o| {
        o.operator == "rg" && o.operands.first().and_then(|x| x.as_float().ok()) == Some(0.86)
    });
    assert!(grey, "the mark's background");
    insta::assert_snapshot!("spans", b.docs);
}

#[test]
fn superscripts_subscripts_and_escapes() {
    let b = build("scripts");
    let d = &b.docs;
    for expected in [
        "H<sub>2</sub>O",
        "2<sup>10</sup>",
        "3<sup>rd</sup>",
        "<em>x</em><sup><em>n</em></sup>",
        "CO<sub>2</sub>",
        "<sub>subscript</sub>",
        "Mr.\u{a0}Smith",
        "this line<br/>",
        "Escaped ^carets^ and ~tildes~",
        "a^b c^ with",
    ] {
        assert!(d.contains(expected), "{expected}\n{d}");
    }
    let text = b.epub_text() + &b.pdf_text();
    for syntax in ["H~2~O", "2^10^", "3^rd^", "CO~2~", "Mr.\\", "line\\"] {
        assert!(!text.contains(syntax), "{syntax} in\n{text}");
    }
    // In the PDF the scripts are smaller, raised or lowered.
    let runs = pdf_text::runs(&b.pdf);
    let body = runs
        .iter()
        .find(|r| r.text.starts_with("Water is H"))
        .unwrap();
    let two = runs.iter().find(|r| r.text == "2" && r.y < body.y).unwrap();
    let ten = runs.iter().find(|r| r.text.trim() == "10").unwrap();
    assert!(two.size < body.size && ten.size < body.size);
    assert!(ten.y > body.y + 2.0, "raised: {} over {}", ten.y, body.y);
    assert!(two.y < body.y - 0.5, "lowered: {} under {}", two.y, body.y);
    insta::assert_snapshot!("scripts", b.docs);
}

#[test]
fn header_attributes_give_ids_classes_and_unlisted_headings() {
    let b = build("headers");
    assert_no_syntax(&b, "headers");
    let d = &b.docs;
    for expected in [
        "<h1 class=\"unnumbered\">Preface</h1>",
        "<section id=\"body\" epub:type=\"chapter\" role=\"doc-chapter\">\n<h1 class=\"main\">The Body</h1>",
        "<h2 id=\"sec-first\">A Section</h2>",
        "<h2 id=\"unnumbered-section\" class=\"unnumbered\">",
        "<h2 id=\"setext\" class=\"special\">Setext Heading</h2>",
        "<a href=\"appendix.xhtml#appendix\">a link to the appendix</a>",
        "<a href=\"#sec-first\">the first section</a>",
    ] {
        assert!(d.contains(expected), "{expected}\n{d}");
    }
    let nav = b.file("OEBPS/nav.xhtml");
    assert!(
        nav.contains("A Section") && !nav.contains("Quietly Listed"),
        "{nav}"
    );
    let pdf = b.pdf_text();
    assert!(
        pdf.contains("Quietly Listed") && pdf.contains("Setext Heading"),
        "{pdf}"
    );
    insta::assert_snapshot!("headers", b.docs);
}

#[test]
fn figures_have_captions_sizes_and_ids() {
    let b = build("figure");
    assert_no_syntax(&b, "figure");
    let d = &b.docs;
    assert!(
        d.contains(
            "<figure id=\"fig-tower\">\n<img src=\"images/1-tower.png\" style=\"width:50%;\" \
             alt=\"The tower at dusk\"/>\n<figcaption aria-hidden=\"true\">The tower at \
             <em>dusk</em></figcaption>\n</figure>"
        ),
        "{d}"
    );
    assert!(
        d.contains("<p class=\"image\"><img src=\"images/1-tower.png\" style=\"height:2cm;\" alt=\"\"/></p>"),
        "{d}"
    );
    assert!(
        d.contains("inline <img src=\"images/1-tower.png\" alt=\"small\"/> in"),
        "{d}"
    );
    assert!(d.contains("<a href=\"#fig-tower\">the tower</a>"), "{d}");
    // An `alt` attribute describes the image apart from its caption, which assistive
    // technology then reads too.
    assert!(
        d.contains(
            "<img src=\"images/1-tower.png\" style=\"width:20%;\" alt=\"A tower of coloured \
             squares\"/>\n<figcaption>A caption apart</figcaption>"
        ),
        "{d}"
    );
    // PDF: the caption under the image; the figure at half the measure; the second at
    // 2 cm high, its width by the image's proportions (96 × 128 px).
    let pdf = b.pdf_text();
    assert!(pdf.contains("The tower at dusk"), "{pdf}");
    let doc = lopdf::Document::load_mem(&b.pdf).unwrap();
    let page = *doc.get_pages().values().next().unwrap();
    let ops = doc.get_and_decode_page_content(page).unwrap().operations;
    let sizes: Vec<(f32, f32)> = ops
        .iter()
        .filter(|o| o.operator == "cm")
        .map(|o| {
            (
                o.operands[0].as_float().unwrap(),
                o.operands[3].as_float().unwrap(),
            )
        })
        .collect();
    let style = quire::typeset::style::Style::from_meta(&quire::model::Metadata::default());
    let half = style.measure() / 2.0;
    assert!(
        sizes
            .iter()
            .any(|(w, h)| (w - half).abs() < 0.1 && (h - half * 4.0 / 3.0).abs() < 0.1),
        "50 % of {}: {sizes:?}",
        style.measure()
    );
    let cm2 = 72.0 / 2.54 * 2.0;
    assert!(
        sizes
            .iter()
            .any(|(w, h)| (h - cm2).abs() < 0.1 && (w - cm2 * 0.75).abs() < 0.1),
        "2 cm high: {sizes:?}"
    );
    // The caption is right under the image, on its page.
    let runs = pdf_text::runs(&b.pdf);
    let caption = runs
        .iter()
        .find(|r| r.text.contains("The tower at"))
        .unwrap();
    assert_eq!(caption.page, 0);
    insta::assert_snapshot!("figure", b.docs);
}

#[test]
fn raw_html_is_kept_sanitised() {
    let b = build("raw");
    assert_no_syntax(&b, "raw");
    let d = &b.docs;
    assert!(
        d.contains("<p class=\"note-box\">A raw <strong>HTML</strong> block.</p>"),
        "{d}"
    );
    assert!(
        d.contains("Inline <span lang=\"fr\" xml:lang=\"fr\">bonjour</span> raw HTML"),
        "{d}"
    );
    let pdf = b.pdf_text();
    assert!(
        pdf.contains("A raw HTML block.") && pdf.contains("Inline bonjour raw"),
        "{pdf}"
    );
    insta::assert_snapshot!("raw", b.docs);
}

#[test]
fn math_is_set_as_text_in_both_outputs() {
    let b = build("math");
    assert_no_syntax(&b, "math");
    let d = &b.docs;
    for expected in [
        "<span class=\"math inline\"><em>E</em>\u{2004}=\u{2004}<em>mc</em><sup>2</sup></span>",
        "<span class=\"math inline\">∑<sub><em>i</em>=1</sub><sup><em>n</em></sup>\u{2006}<em>x</em><sub><em>i</em></sub></span>",
        "(<em>a</em>\u{2005}+\u{2005}<em>b</em>)/2",
        "<em>α</em>\u{2004}≤\u{2004}<em>β</em>",
        "√2",
        "<span class=\"math display\">",
        "It costs $5 or $10, and $x$1 is not math.",
    ] {
        assert!(d.contains(expected), "{expected}\n{d}");
    }
    let css = b.file("OEBPS/stylesheet.css");
    assert!(css.contains("span.math.display {"), "{css}");
    let pdf = b.pdf_text();
    assert!(pdf.contains("E\u{2004}=\u{2004}mc"), "{pdf}");
    // Display math on a line of its own, centred: the text before and after on others.
    let runs = pdf_text::runs(&b.pdf);
    let before = runs
        .iter()
        .find(|r| r.text.contains("The mean is"))
        .unwrap();
    let after = runs
        .iter()
        .find(|r| r.text.contains("and the text goes on"))
        .unwrap();
    let display = runs
        .iter()
        .filter(|r| r.y < before.y - 6.0 && r.y > after.y + 6.0)
        .min_by(|a, b| a.x.total_cmp(&b.x))
        .unwrap();
    assert!(
        display.x > before.x + 50.0,
        "centred: {} vs {}",
        display.x,
        before.x
    );
    insta::assert_snapshot!("math", b.docs);
}

#[test]
fn pandoc_metadata_abstract_keywords_toc() {
    let b = build("metadata");
    let title = b.file("OEBPS/titlepage.xhtml");
    assert!(
        title.contains(
            "<div class=\"abstract\">\n<div class=\"abstract-title\">Abstract</div>\n\
             <p>A short <em>abstract</em> of the book, in Markdown.</p>\n<p>It has two paragraphs.</p>\n</div>"
        ),
        "{title}"
    );
    let opf = b.file("OEBPS/content.opf");
    assert!(
        opf.contains("<dc:subject>towers</dc:subject>\n<dc:subject>lamps</dc:subject>"),
        "{opf}"
    );
    // `toc: true`: the nav is read after the title page, under its `toc-title`.
    assert!(
        opf.contains("<itemref idref=\"titlepage\"/>\n<itemref idref=\"nav\"/>"),
        "{opf}"
    );
    let nav = b.file("OEBPS/nav.xhtml");
    assert!(
        nav.contains("<h1>What Is Inside</h1>") && nav.contains("dir=\"ltr\""),
        "{nav}"
    );
    // The PDF: abstract under the title, a contents list with page numbers, keywords.
    let pdf = without_leaders(b.pdf_text());
    assert!(
        pdf.contains("Abstract\nA short abstract of the book, in Markdown."),
        "{pdf}"
    );
    assert!(
        pdf.contains("What Is Inside\nOne 1\nOne Section 1\nTwo 1"),
        "{pdf}"
    );
    let raw = String::from_utf8_lossy(&b.pdf);
    assert!(
        raw.contains("towers, lamps") || raw.contains("towers"),
        "keywords"
    );
}

/// `text`, checked to have no dot leaders of the contents page (issue 14): they are
/// decoration, and `One ..... 1` reads `One 1`.
fn without_leaders(text: String) -> String {
    assert!(!text.contains("...."), "dot leaders read as text:\n{text}");
    text
}

/// A short book using every construct of issue 12 together (tests/fixtures/pandoc/book.md):
/// inline ones (notes, spans, small caps, scripts, figure, raw HTML, math, header
/// attributes) and blocks (a poem in a line block, an epigraph div, a definition list,
/// fancy and example lists, grid, simple and multiline tables with captions, an HTML
/// block), with pandoc's metadata: no warning, a valid EPUB, every note linked both ways,
/// and no syntax left anywhere.
#[test]
fn a_book_using_every_construct_leaves_no_syntax() {
    let b = build("book");
    assert_no_syntax(&b, "book");
    // Block syntax: no table rules, verse bars, div fences, list or definition markers.
    for (what, text) in [("EPUB", b.epub_text()), ("PDF", b.pdf_text())] {
        for syntax in [
            "+--", "+==", "| ", ":::", "(@", "#.", "\n:   ", "---", "Table:",
        ] {
            assert!(!text.contains(syntax), "{what} holds `{syntax}`:\n{text}");
        }
        assert!(
            !text.lines().any(|l| l.trim_start().starts_with(": ")),
            "{what} holds a `:` marker:\n{text}"
        );
    }
    // The blocks are there, as blocks.
    for part in [
        "<div class=\"epigraph\" epub:type=\"epigraph\" role=\"doc-epigraph\">",
        "<div class=\"line-block\">The lamp is lit at dusk, the shutters closed,<br/>",
        "<dt>Chimney</dt>",
        "<dd>Also, in the keeper’s speech, his flask.</dd>",
        "<ol type=\"a\">",
        "<ol type=\"i\">",
        "The keeper’s stores, a grid table.</caption>",
        "Ships seen, a simple table.</caption>",
        "The lamp’s hours, a multiline table.</caption>",
        "<div class=\"note\"><p>A note in raw <em>HTML</em>, kept.</p></div>",
        "Rules (1) and (2) are never broken.",
    ] {
        assert!(b.docs.contains(part), "{part} in\n{}", b.docs);
    }
    let pdf = b.pdf_text();
    for words in [
        "The lamp is lit at dusk, the shutters closed,\nthe oil drawn up,",
        "Wick\nThe cotton band",
        // This text extraction puts a list's markers after its items' text.
        "the landing and its window; (a)",
        "Trim the wick. i.",
        "The lamp is lit at dusk. (1)",
        "Rules (1) and (2) are never broken.",
        "The keeper’s stores, a grid table.\nItem Kept in\nOil the locked room",
        "January sixteen The longest",
        "A note in raw HTML, kept.",
    ] {
        let flat = pdf.replace(['\u{2004}', '\u{2005}'], " ");
        assert!(flat.contains(words), "{words} in\n{pdf}");
    }
    assert_eq!(b.summary.noterefs, 4, "{:?}", b.summary);
    assert_eq!(b.summary.notes_with_backlinks, 4, "{:?}", b.summary);
    let text = b.epub_text() + &b.pdf_text();
    for syntax in [
        "H~2~O", "2^10^", "3^rd^", "Mr.\\", "\\sqrt", "\\approx", "{.", "]{",
    ] {
        assert!(!text.contains(syntax), "{syntax} in\n{text}");
    }
    let pdf = without_leaders(b.pdf_text());
    for words in [
        "Anton Chekhov never saw it",
        "the 3rd of May",
        "The tower at dusk",
        "d = √(2hR)",
        "Contents\nPreface 1",
    ] {
        let flat = pdf.replace(['\u{2004}', '\u{2005}'], " ");
        assert!(flat.contains(words), "{words} in\n{pdf}");
    }
}

/// pandoc's `%` title block (MANUAL, "Extension: pandoc_title_block"): title over two
/// lines, authors split at `;` and at continuation lines, the date; its inline Markdown
/// read (no `*` left), none of its `%` lines in the text.
#[test]
fn a_title_block_gives_title_authors_and_date() {
    let b = build("title-block");
    let opf = b.file("OEBPS/content.opf");
    assert!(
        opf.contains("<dc:title id=\"title\">The Lamplighter’s Tower and Its Keeper</dc:title>")
            || opf.contains(">The Lamplighter’s Tower and Its Keeper</dc:title>"),
        "{opf}"
    );
    for author in ["Ann Author", "Bo Writer", "Cy Third"] {
        assert!(
            opf.contains(&format!(">{author}</dc:creator>")),
            "{author}: {opf}"
        );
    }
    assert!(opf.contains(">2024-03-09</dc:date>"), "{opf}");
    let title = b.file("OEBPS/titlepage.xhtml");
    assert!(
        title.contains("Cy Third") && !title.contains('%') && !title.contains('*'),
        "{title}"
    );
    // The block is not text of the first chapter.
    assert!(!b.epub_text().contains('%'), "{}", b.epub_text());
    let pdf = b.pdf_text().replace('\n', " ");
    assert!(
        pdf.contains("The Lamplighter’s Tower and Its Keeper"),
        "{pdf}"
    );
    assert!(!pdf.contains('%') && !pdf.contains("Ann Author;"), "{pdf}");
}

/// With a YAML block too, YAML wins for the keys it sets (pandoc reads the title block
/// first and merges later metadata over it); the block's other keys stay.
#[test]
fn yaml_front_matter_wins_over_a_title_block() {
    let b = build("title-block-yaml");
    let opf = b.file("OEBPS/content.opf");
    assert!(opf.contains(">The YAML Title</dc:title>"), "{opf}");
    assert!(!opf.contains("The Block Title"), "{opf}");
    assert!(opf.contains(">Block Author</dc:creator>"), "{opf}");
    assert!(opf.contains("2024-03-09") && !opf.contains("2000"), "{opf}");
    assert!(!b.epub_text().contains('%'), "{}", b.epub_text());
}

/// A title block with an empty title and no other title: the error points at the
/// block, file:line:col.
#[test]
fn a_title_block_without_a_title_is_an_error_at_the_block() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.md");
    std::fs::write(&path, "%\n% Ann Author\n\n# One\n\nText.\n").unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["build", path.to_str().unwrap(), "-o"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success(), "{stderr}");
    assert!(
        stderr.contains("book.md:1:1: error: the book has no title"),
        "{stderr}"
    );
    assert!(stderr.contains("first `%` line is empty"), "{stderr}");
}

/// Builds the one-file manuscript `source` (a chapter titled "A") into an EPUB, which
/// must succeed without a word on stderr, and returns the chapter's XHTML.
fn chapter_a_xhtml(source: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.md");
    std::fs::write(&path, source).unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["build", path.to_str().unwrap(), "--epub", "-o"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success() && stderr.is_empty(), "{stderr}");
    let epub = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "epub"))
        .unwrap();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(epub).unwrap()).unwrap();
    let mut xhtml = String::new();
    zip.by_name("OEBPS/a.xhtml")
        .unwrap()
        .read_to_string(&mut xhtml)
        .unwrap();
    xhtml
}

/// Links pandoc reads and CommonMark does not (pandoc's markdown-reader-more "URLs with
/// spaces and punctuation", testsuite's "title with "quotes" in it"), through the
/// binary: links, with no `(…)` left as text.
#[test]
fn links_with_spaces_and_quoted_titles_are_links() {
    let xhtml = chapter_a_xhtml(
        "---\ntitle: T\n---\n\n# A\n\n[foo](http://example.com/a b) and \
         [bar](http://example.com/c \"t \"q\" u\").\n\n\
         [baz](http://example.com/d e)\n\n[baz]: http://example.com/def\n",
    );
    assert!(
        xhtml.contains("<a href=\"http://example.com/a%20b\">foo</a> and"),
        "{xhtml}"
    );
    assert!(xhtml.contains(">bar</a>.</p>"), "{xhtml}");
    // A defined reference followed by such a destination: the inline link wins, as in
    // pandoc (markdown-reader-more defines `[foo]` before its four `[foo](/bar and baz)`).
    assert!(
        xhtml.contains("<a href=\"http://example.com/d%20e\">baz</a></p>"),
        "{xhtml}"
    );
    assert!(!xhtml.contains("(http"), "{xhtml}");
}

/// Link reference definitions pandoc reads and CommonMark does not (pandoc's
/// markdown-reader-more "URLs with spaces and punctuation" and "Empty reference links",
/// testsuite's "Reference"): their references are links, and the definitions are not
/// printed as text.
#[test]
fn references_only_pandoc_reads_are_links() {
    let xhtml = chapter_a_xhtml(
        "---\ntitle: T\n---\n\n# A\n\n[baz][] [bork][] [bar][]\n\n\
         [baz]: http://example.com/foo foo\n\
         [bork]:  http://example.com/zee zob   (title)\n\n\
         \x20 [bar]: http://example.com/url/ \"Title with \"quotes\" inside\"\n\n\
         [foo2]:\n\nbar\n",
    );
    assert!(
        xhtml.contains(
            "<p><a href=\"http://example.com/foo%20foo\">baz</a> \
             <a href=\"http://example.com/zee%20zob\">bork</a> \
             <a href=\"http://example.com/url/\">bar</a></p>\n<p>bar</p>"
        ),
        "{xhtml}"
    );
    assert!(!xhtml.contains("]:"), "{xhtml}");
}

/// pandoc's implicit header references (MANUAL, "Extension: implicit_header_references";
/// markdown-reader-more "Implicit header references"): `[Heading]` and `[text][Heading]`
/// link to the heading, case-insensitively, unless a definition has the label; a label
/// no heading has stays text.
#[test]
fn implicit_header_references_link_to_their_headings() {
    let xhtml = chapter_a_xhtml(
        "---\ntitle: T\n---\n\n# A\n\n### My header\n\n### My other header\n\n\
         A link to [My header]. Another to [it][My header], [case insensitive][my header].\n\n\
         Link to [Explicit header attributes].\n\n\
         [my other header]: http://example.com/foo\n\n\
         Not to [My other header]; no heading: [Nothing] and [x][Nothing].\n\n\
         ## Explicit header attributes {#foobar .baz}\n",
    );
    for expected in [
        "A link to <a href=\"#my-header\">My header</a>.",
        "Another to <a href=\"#my-header\">it</a>, <a href=\"#my-header\">case insensitive</a>.",
        "Link to <a href=\"#foobar\">Explicit header attributes</a>.",
        "Not to <a href=\"http://example.com/foo\">My other header</a>; \
         no heading: [Nothing] and [x][Nothing].",
    ] {
        assert!(xhtml.contains(expected), "{expected}\n{xhtml}");
    }
}

/// Entities in an autolink are characters, in its address and its text, as pandoc reads
/// them (markdown-reader-more "Entities in links and titles"; CommonMark keeps them).
#[test]
fn entities_in_autolinks_are_characters() {
    let xhtml =
        chapter_a_xhtml("---\ntitle: T\n---\n\n# A\n\n<http://g&ouml;&ouml;gle.com/a&amp;b>\n");
    assert!(xhtml.contains(">http://göögle.com/a&amp;b</a>"), "{xhtml}");
    assert!(!xhtml.contains("&amp;ouml;"), "{xhtml}");
}
