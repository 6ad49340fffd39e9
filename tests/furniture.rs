//! Issue 14, a book's furniture, through the real binary on `tests/fixtures/furniture`
//! (cover image, publisher, rights, ISBN; dedication, epigraph, foreword, six chapters,
//! acknowledgments, appendix) and variations of it made in a temporary folder.
//!
//! The PDF is read back with lopdf (`common/pdf_text.rs`): the contents page's entries
//! and the folios printed on the pages they point at are compared as a reader would,
//! text against text, and each entry's link against the page it names.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/pdf_text.rs"]
mod pdf_text;

use lopdf::{Document, Object};
use pdf_text::Run;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/furniture")
}

/// A copy of the fixture in a temporary folder, `book.yaml` edited by `edit`, and extra
/// files written.
fn variant(edit: impl Fn(String) -> String, extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixture()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let yaml = std::fs::read_to_string(dir.path().join("book.yaml")).unwrap();
    std::fs::write(dir.path().join("book.yaml"), edit(yaml)).unwrap();
    for (name, text) in extra {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// Builds `input`; returns the EPUB's files and the PDF's bytes, and stderr.
fn build(input: &Path) -> (BTreeMap<String, Vec<u8>>, Vec<u8>, String) {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_quire"))
        .arg("build")
        .arg(input)
        .arg("-o")
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(run.status.success(), "{stderr}");
    let mut epub = None;
    let mut pdf = None;
    for entry in std::fs::read_dir(out.path()).unwrap() {
        let path = entry.unwrap().path();
        match path.extension().and_then(|e| e.to_str()) {
            Some("epub") => epub = Some(std::fs::read(&path).unwrap()),
            Some("pdf") if !path.to_string_lossy().ends_with("-booklet.pdf") => {
                pdf = Some(std::fs::read(&path).unwrap())
            }
            _ => {}
        }
    }
    let epub = epub.expect("an EPUB");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(epub)).unwrap();
    let mut files = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        files.insert(f.name().to_string(), data);
    }
    (files, pdf.expect("a PDF"), stderr)
}

fn text(files: &BTreeMap<String, Vec<u8>>, name: &str) -> String {
    String::from_utf8_lossy(files.get(name).unwrap_or_else(|| panic!("no {name}"))).into_owned()
}

#[test]
fn the_epub_types_its_matter_and_has_every_landmark() {
    let (files, _, _) = build(&fixture());
    // 5/5: each part of the front and back matter typed, with its ARIA role (EPUB SSV,
    // DPUB-ARIA), in a document of the right partition.
    for (file, kind, partition) in [
        ("dedication", "dedication", "frontmatter"),
        ("epigraph", "epigraph", "frontmatter"),
        ("foreword", "foreword", "frontmatter"),
        ("acknowledgments", "acknowledgments", "backmatter"),
        ("appendix-signals", "appendix", "backmatter"),
    ] {
        let xhtml = text(&files, &format!("OEBPS/{file}.xhtml"));
        assert!(
            xhtml.contains(&format!("epub:type=\"{kind}\" role=\"doc-{kind}\"")),
            "{file}: {xhtml}"
        );
        assert!(
            xhtml.contains(&format!("<body epub:type=\"{partition}\">")),
            "{file}"
        );
    }
    let chapter = text(&files, "OEBPS/the-tower.xhtml");
    assert!(chapter
        .contains("<body>\n<section id=\"the-tower\" epub:type=\"chapter\" role=\"doc-chapter\">"));

    // Landmarks: cover, title page, contents, the text from its first chapter (not the
    // dedication), the back matter.
    let nav = text(&files, "OEBPS/nav.xhtml");
    let landmarks = &nav[nav.find("epub:type=\"landmarks\"").unwrap()..];
    for (kind, href) in [
        ("cover", "cover.xhtml"),
        ("titlepage", "titlepage.xhtml"),
        ("toc", "nav.xhtml#toc"),
        ("bodymatter", "the-tower.xhtml"),
        ("backmatter", "acknowledgments.xhtml"),
    ] {
        assert!(
            landmarks.contains(&format!("<a epub:type=\"{kind}\" href=\"{href}\">")),
            "{kind}: {landmarks}"
        );
    }
    // The navigation document is in the spine (out of the reading order), so the `toc`
    // landmark points at a spine item; the copyright page follows the title page.
    let opf = text(&files, "OEBPS/content.opf");
    let spine = &opf[opf.find("<spine").unwrap()..opf.find("</spine>").unwrap()];
    let order: Vec<&str> = spine
        .split("idref=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(
        &order[..6],
        ["cover", "titlepage", "copyright", "ch-1", "ch-2", "nav"],
        "{spine}"
    );
    assert!(spine.contains("<itemref idref=\"nav\" linear=\"no\"/>"));
    assert!(opf.contains("<reference type=\"text\" title=\"Start\" href=\"the-tower.xhtml\"/>"));

    // Rights and ISBN where a reader sees them.
    let copyright = text(&files, "OEBPS/copyright.xhtml");
    assert!(copyright.contains("epub:type=\"copyright-page\""));
    assert!(copyright.contains("© 2024 Ada Marlow. All rights reserved."));
    assert!(copyright.contains("ISBN 9780306406157"));
    assert!(copyright.contains("Harbour Press, 2024-05-01"));
    // The given cover is the cover image; nothing is generated.
    assert!(opf.contains("properties=\"cover-image\""));
    assert!(!files.contains_key("OEBPS/images/cover.png"));
    // The title page's title is centred like its other lines.
    let css = text(&files, "OEBPS/stylesheet.css");
    let rule = &css[css.find("body.titlepage h1 {").unwrap()..];
    assert!(rule[..rule.find('}').unwrap()].contains("text-align: center"));
}

/// Width and height from a PNG's header.
fn png_size(data: &[u8]) -> (u32, u32) {
    assert_eq!(&data[..8], b"\x89PNG\r\n\x1a\n");
    let w = u32::from_be_bytes(data[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(data[20..24].try_into().unwrap());
    (w, h)
}

#[test]
fn without_a_cover_image_the_epub_has_a_generated_cover() {
    let dir = variant(|y| y.replace("cover-image: cover.png\n", ""), &[]);
    std::fs::remove_file(dir.path().join("cover.png")).unwrap();
    let (files, pdf, _) = build(dir.path());
    let png = files
        .get("OEBPS/images/cover.png")
        .expect("a generated cover");
    let (w, h) = png_size(png);
    assert!(h >= 1400 && h > w, "{w} x {h}");
    let opf = text(&files, "OEBPS/content.opf");
    assert!(opf.contains(
        "<item id=\"cover-image\" href=\"images/cover.png\" media-type=\"image/png\" properties=\"cover-image\"/>"
    ));
    assert!(opf.contains("<meta name=\"cover\" content=\"cover-image\"/>"));
    assert!(text(&files, "OEBPS/cover.xhtml").contains("src=\"images/cover.png\""));
    // The PDF has no cover unless asked for: its first page is the title page.
    let runs = pdf_text::runs(&pdf);
    assert!(page_text(&runs, 0).contains("The Lighthouse Keeper"));

    // `cover: none`: no cover at all.
    let none = variant(
        |y| y.replace("cover-image: cover.png\n", "cover: none\n"),
        &[],
    );
    let (files, _, _) = build(none.path());
    assert!(!files.contains_key("OEBPS/images/cover.png"));
    assert!(!files.contains_key("OEBPS/cover.xhtml"));

    // `pdf: cover: true`: the same design as the PDF's first page, in vector form.
    let vector = variant(
        |y| y.replace("cover-image: cover.png\n", "pdf:\n  cover: true\n"),
        &[],
    );
    let (_, pdf, _) = build(vector.path());
    let runs = pdf_text::runs(&pdf);
    let first = page_text(&runs, 0);
    assert!(
        first.contains("Lighthouse") && first.contains("Ada Marlow"),
        "{first}"
    );
    // Larger than the title page's title.
    let cover_size = runs
        .iter()
        .filter(|r| r.page == 0)
        .map(|r| r.size)
        .fold(0.0, f32::max);
    let title_size = runs
        .iter()
        .filter(|r| r.page == 1)
        .map(|r| r.size)
        .fold(0.0, f32::max);
    assert!(cover_size > title_size * 1.5, "{cover_size} {title_size}");
}

/// The text of page `page`, its runs joined in order.
fn page_text(runs: &[Run], page: usize) -> String {
    runs.iter()
        .filter(|r| r.page == page)
        .map(|r| r.text.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The page's lines (runs on one baseline joined), top to bottom.
fn lines(runs: &[Run], page: usize) -> Vec<(f32, Vec<&Run>)> {
    let mut lines: Vec<(f32, Vec<&Run>)> = Vec::new();
    for r in runs.iter().filter(|r| r.page == page) {
        match lines.iter_mut().find(|(y, _)| (y - r.y).abs() < 0.5) {
            Some((_, l)) => l.push(r),
            None => lines.push((r.y, vec![r])),
        }
    }
    lines.sort_by(|a, b| b.0.total_cmp(&a.0));
    lines
}

/// The folio printed on `page`: its lowest line, when it is a number or a roman numeral.
fn folio(runs: &[Run], page: usize) -> Option<String> {
    let lines = lines(runs, page);
    let (_, last) = lines.last()?;
    let text: String = last.iter().map(|r| r.text.as_str()).collect();
    let t = text.trim();
    (t.chars().all(|c| c.is_ascii_digit()) || t.chars().all(|c| "ivxlc".contains(c)))
        .then(|| t.to_string())
}

/// Link annotations per page: (page, rect, destination page).
fn links(pdf: &[u8]) -> Vec<(usize, [f32; 4], usize)> {
    let doc = Document::load_mem(pdf).unwrap();
    let pages: Vec<_> = doc.get_pages().into_values().collect();
    let index: BTreeMap<_, _> = pages.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let num = |o: &Object| match o {
        Object::Integer(i) => *i as f32,
        Object::Real(r) => *r,
        _ => 0.0,
    };
    let mut out = Vec::new();
    for (p, id) in pages.iter().enumerate() {
        let page = doc.get_dictionary(*id).unwrap();
        let Ok(annots) = page.get(b"Annots") else {
            continue;
        };
        let annots = match annots {
            Object::Reference(r) => doc.get_object(*r).unwrap().as_array().unwrap().clone(),
            Object::Array(a) => a.clone(),
            _ => continue,
        };
        for a in annots {
            let dict = match &a {
                Object::Reference(r) => doc.get_dictionary(*r).unwrap().clone(),
                Object::Dictionary(d) => d.clone(),
                _ => continue,
            };
            let rect = dict.get(b"Rect").unwrap().as_array().unwrap();
            let rect = [num(&rect[0]), num(&rect[1]), num(&rect[2]), num(&rect[3])];
            let dest = dict.get(b"Dest").ok().cloned().or_else(|| {
                let action = dict.get(b"A").ok()?;
                let action = match action {
                    Object::Reference(r) => doc.get_dictionary(*r).ok()?.clone(),
                    Object::Dictionary(d) => d.clone(),
                    _ => return None,
                };
                action.get(b"D").ok().cloned()
            });
            if let Some(Object::Array(d)) = dest {
                if let Some(Object::Reference(target)) = d.first() {
                    out.push((p, rect, index[target]));
                }
            }
        }
    }
    out
}

/// Checks the contents page(s) of `pdf`: every entry's number is the folio printed on
/// the page its link goes to, and that page starts with the entry's title. Returns the
/// entries (title, number) and the contents' first page.
fn check_contents(pdf: &[u8], heading: &str) -> (Vec<(String, String)>, usize) {
    let runs = pdf_text::runs(pdf);
    let links = links(pdf);
    let pages = runs.iter().map(|r| r.page).max().unwrap() + 1;
    let first = (0..pages)
        .find(|&p| {
            lines(&runs, p)
                .iter()
                .any(|(_, l)| l.iter().map(|r| r.text.as_str()).collect::<String>() == heading)
        })
        .unwrap_or_else(|| panic!("no page headed {heading:?}"));
    let mut entries = Vec::new();
    let mut page = first;
    loop {
        let mut found = false;
        for (y, line) in lines(&runs, page) {
            let text: Vec<&str> = line.iter().map(|r| r.text.as_str()).collect();
            // An entry's last line: its text, leaders, its number. The leaders are
            // decoration: an artifact, read as no text (pdftotext read them as runs of
            // "." words).
            let Some(leader) = line.iter().position(|r| r.artifact) else {
                continue;
            };
            assert_eq!(text[leader], "", "leaders are read as text: {text:?}");
            found = true;
            let number = text.last().unwrap().to_string();
            let title = text[..leader].join(" ");
            // The entry's link covers its text, and goes to the page it names.
            let link = links
                .iter()
                .find(|(p, r, _)| *p == page && r[1] - 2.0 <= y && y <= r[3] + 2.0)
                .unwrap_or_else(|| panic!("no link on {title:?}"));
            let target = link.2;
            assert_eq!(
                folio(&runs, target).as_deref(),
                Some(number.as_str()),
                "{title:?} says page {number}; the page it links to prints another folio"
            );
            let target_text = page_text(&runs, target);
            let last_word = title.split_whitespace().last().unwrap();
            assert!(
                target_text.contains(last_word),
                "{title:?} links to a page without it: {target_text:.200}"
            );
            entries.push((title, number));
        }
        if !found && page > first {
            break;
        }
        page += 1;
        if page >= pages {
            break;
        }
    }
    (entries, first)
}

#[test]
fn the_pdf_has_its_cover_contents_and_copyright_page() {
    let (_, pdf, _) = build(&fixture());
    let runs = pdf_text::runs(&pdf);
    // The cover alone on page 1: an image, no text.
    assert!(page_text(&runs, 0).is_empty());
    let doc = Document::load_mem(&pdf).unwrap();
    let first = *doc.get_pages().values().next().unwrap();
    let content = doc.get_page_content(first);
    assert!(
        String::from_utf8_lossy(&content).contains(" Do"),
        "no image on the cover"
    );
    // Then the title page, and the copyright page on its verso with rights and ISBN.
    assert!(page_text(&runs, 1).contains("The Lighthouse Keeper"));
    let copyright = page_text(&runs, 2);
    assert!(
        copyright.contains("© 2024 Ada Marlow. All rights reserved."),
        "{copyright}"
    );
    assert!(copyright.contains("ISBN 9780306406157"), "{copyright}");
    assert!(
        copyright.contains("Set in Gentium Book Plus"),
        "{copyright}"
    );
    // Dedication and epigraph alone, without running heads or folio, in the upper third.
    for (p, text) in [
        (3, "For Tom, who kept the light."),
        (4, "The sea has neither"),
    ] {
        let ls = lines(&runs, p);
        assert!(
            page_text(&runs, p).starts_with(text),
            "{}",
            page_text(&runs, p)
        );
        assert!(folio(&runs, p).is_none());
        // en-GB: A4, 842 pt high; PDF y grows upwards, so the upper third is above 561.
        let height = 842.0;
        let y = ls[0].0;
        assert!(y < height * 0.75 && y > height * 0.55, "{y}");
    }
    let (entries, contents_page) = check_contents(&pdf, "Contents");
    assert_eq!(contents_page, 5);
    let titles: Vec<&str> = entries.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Foreword",
            "The Tower",
            "Storm Season",
            "The Supply Boat",
            "Letters",
            "The Fog",
            "Relief",
            "Acknowledgments",
            "Appendix: Signals"
        ]
    );
    // The front matter in roman numerals, the text from 1 (CMOS 1.5).
    assert_eq!(entries[0].1, "vi");
    assert_eq!(entries[1].1, "1");
    assert_eq!(folio(&runs, contents_page).as_deref(), Some("v"));
}

#[test]
fn a_contents_page_that_runs_to_several_pages_numbers_the_pages_after_it() {
    // 70 chapters on new pages: the contents takes three pages, which move every chapter
    // by as much; the numbers must say where the chapters are, not where they would be.
    let mut extra: Vec<(String, String)> = Vec::new();
    for i in 0..70 {
        extra.push((
            format!("20-more-{i:02}.md"),
            format!("# More Chapter Number {i} With a Title Long Enough to Wrap Onto a Second Line of the Contents\n\nA short chapter {i}.\n"),
        ));
    }
    let extra_refs: Vec<(&str, &str)> = extra
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = variant(
        |y| format!("{y}pdf:\n  chapters: new-page\n  folios: continuous\n  contents-depth: 2\n"),
        &extra_refs,
    );
    let (_, pdf, _) = build(dir.path());
    let (entries, first) = check_contents(&pdf, "Contents");
    assert!(entries.len() > 80, "{}", entries.len());
    // Continuous folios: the contents page's own number counts from the title page.
    let runs = pdf_text::runs(&pdf);
    assert_eq!(folio(&runs, first).as_deref(), Some(&*first.to_string()));
    // Sections are listed at depth 2.
    assert!(entries.iter().any(|(t, _)| t == "A Second Look"));
}

#[test]
fn recto_chapters_numbers_and_plain_settings() {
    let dir = variant(
        |y| {
            format!(
                "{y}copyright-page: false\npdf:\n  chapters: recto\n  cover: false\n  chapter-numbers: true\n"
            )
        },
        &[("08-chapter-6.md", "# Relief {.unnumbered}\n\nThe end.\n")],
    );
    let (files, pdf, _) = build(dir.path());
    assert!(!files.contains_key("OEBPS/copyright.xhtml"));
    let runs = pdf_text::runs(&pdf);
    // No cover, no copyright page: the title page, then the dedication on a recto.
    assert!(page_text(&runs, 0).contains("The Lighthouse Keeper"));
    assert!(!pdf_text::text(&pdf).contains("ISBN"));
    let pages = runs.iter().map(|r| r.page).max().unwrap() + 1;
    // Every chapter opens on a recto (an odd page, 1-based), with a blank verso before
    // it where needed.
    let (entries, _) = check_contents(&pdf, "Contents");
    let links = links(&pdf);
    for (title, _) in &entries {
        let target = links
            .iter()
            .find(|(_, _, t)| page_text(&runs, *t).contains(title.as_str()))
            .map(|l| l.2)
            .unwrap();
        assert_eq!(target % 2, 0, "{title} on page {}", target + 1);
    }
    assert!(
        (0..pages).any(|p| page_text(&runs, p).is_empty()),
        "no blank verso"
    );
    // Numbered chapters; `.unnumbered` is not.
    let text = pdf_text::text(&pdf);
    assert!(text.contains("Chapter 1"), "{text:.300}");
    assert!(text.contains("Chapter 5"));
    assert!(!text.contains("Chapter 6"));
    assert!(!text.contains("Chapter 7"));
}

#[test]
fn a_handout_has_no_cover_and_no_contents() {
    let dir = variant(|y| format!("{y}pdf:\n  preset: handout\n"), &[]);
    let (_, pdf, _) = build(dir.path());
    let runs = pdf_text::runs(&pdf);
    assert!(page_text(&runs, 0).contains("The Lighthouse Keeper"));
    assert!(!pdf_text::text(&pdf).contains("Contents"));
}

#[test]
fn a_long_running_head_is_shortened_and_never_overlaps_the_title() {
    // A 200-character heading on A5, long enough to run over several pages.
    let heading = "IV: Position of the Communists in Relation to the Various Existing \
                   Opposition Parties, and a Great Deal More Besides That Nobody Could \
                   Possibly Fit Into a Running Head on an A5 Page of a Printed Book Today";
    assert!(heading.len() >= 200, "{}", heading.len());
    let body: String = (0..12)
        .map(|_| "The text of a long chapter goes on and on across the pages. ".repeat(12) + "\n\n")
        .collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("book.md"),
        format!(
            "---\ntitle: The Communist Manifesto\npdf:\n  paper: a5\n---\n\n# {heading}\n\n{body}\
             # Bourgeois and Proletarians {{short=\"Bourgeois\"}}\n\n{body}"
        ),
    )
    .unwrap();
    let (_, pdf, _) = build(dir.path());
    let runs = pdf_text::runs(&pdf);
    let width = 420.0;
    let pages = runs.iter().map(|r| r.page).max().unwrap() + 1;
    let mut shortened = 0;
    let mut short_form = 0;
    for p in 1..pages {
        let ls = lines(&runs, p);
        let (_, head) = &ls[0];
        assert_eq!(head[0].text, "The Communist Manifesto", "page {p}");
        if let Some(chapter) = head.get(1) {
            // Never over the title, never into the margin.
            assert!(
                chapter.x > head[0].end_x + 10.0,
                "page {p}: {} over the title",
                chapter.text
            );
            assert!(chapter.end_x <= width - 40.0, "page {p}: {}", chapter.text);
            if chapter.text.ends_with('…') {
                assert!(
                    chapter.text.starts_with("IV: Position of the"),
                    "{}",
                    chapter.text
                );
                shortened += 1;
            }
            if chapter.text == "Bourgeois" {
                short_form += 1;
            }
        }
    }
    assert!(shortened > 0 && short_form > 0, "{shortened} {short_form}");
}
