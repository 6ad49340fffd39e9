//! Booklets (issue 15): `pdf: booklet: true` or `--booklet` writes `<slug>-booklet.pdf`,
//! the PDF's pages as form XObjects, two to a sheet side, in saddle-stitch order.
//!
//! The order is checked by reading the booklet back as a person would use it: each half
//! of each sheet side is identified by the text it shows (each page of the test books
//! carries a word of its own, `zq01`, `zq02`, …), then the sheets are "folded" (stacked,
//! sheet 1 outermost) and read front to back, which must give the pages in order with the
//! blanks last. The text is read from the booklet's own forms (lopdf, through each font's
//! ToUnicode), and with `pdftotext` on each half's crop where poppler is installed.

#![allow(clippy::unwrap_used)]

use lopdf::content::Content;
use lopdf::{Dictionary, Document as Lo, Object, ObjectId};
use quire::build::{build, build_cached, BuildCache, BuildReport, BuildRequest, Format, Formats};
use std::path::{Path, PathBuf};

/// 5 × 8 in: not a standard half sheet, so the booklet's sheet is twice its width.
const PAGE: (f32, f32) = (360.0, 576.0);

/// The sample's page width (US English: Letter).
const PAGE_LETTER_WIDTH: f32 = 612.0;

/// A manuscript of `pages` pages, each with its own word: page 1 is the title page
/// (its subtitle `zq01`), then one short chapter per page (`chapters: new-page`), page
/// `k` holding `zqK`. A one-page book runs its one chapter on under the title.
fn manuscript(dir: &Path, pages: usize) {
    let chapters = if pages == 1 { "run-on" } else { "new-page" };
    std::fs::write(
        dir.join("book.yaml"),
        format!(
            "title: Folding Test\nsubtitle: zq01\nlang: en-GB\npdf:\n  paper: 5x8in\n  \
             chapters: {chapters}\n  booklet: true\n  contents: false\n"
        ),
    )
    .unwrap();
    if pages == 1 {
        std::fs::write(dir.join("01.md"), "# Only\n\nThe only page.\n").unwrap();
    }
    for k in 2..=pages {
        std::fs::write(
            dir.join(format!("{k:02}.md")),
            format!("# Chapter {k}\n\nThis page holds zq{k:02} and nothing else.\n"),
        )
        .unwrap();
    }
}

fn request(input: &Path, out: PathBuf) -> BuildRequest {
    BuildRequest {
        input: input.to_path_buf(),
        out_dir: out,
        formats: Formats {
            epub: false,
            pdf: true,
        },
        strict: false,
        timestamp: Some(1_700_000_000),
        booklet: false,
    }
}

/// The PDF's and the booklet's bytes.
fn outputs(report: &BuildReport) -> (Vec<u8>, Vec<u8>) {
    assert!(!report.failed(), "{:?}", report.diagnostics);
    let read = |format| {
        let output = report.outputs.iter().find(|o| o.format == format).unwrap();
        std::fs::read(&output.path).unwrap()
    };
    (read(Format::Pdf), read(Format::Booklet))
}

/// A sheet side as the booklet draws it.
#[derive(Debug)]
struct Side {
    width: f32,
    height: f32,
    /// The forms painted on the left and the right half, with their x offset.
    halves: [Option<(ObjectId, f32)>; 2],
}

fn numbers(o: &Object) -> Vec<f32> {
    o.as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_float().unwrap())
        .collect()
}

/// Every sheet side: its size, and which form each half paints (from the `cm` and `Do`
/// operators of its content and the names in its resources).
fn sides(lo: &Lo) -> Vec<Side> {
    let mut out = Vec::new();
    for (_, id) in lo.get_pages() {
        let page = lo.get_dictionary(id).unwrap();
        let media = numbers(page.get(b"MediaBox").unwrap());
        let (width, height) = (media[2] - media[0], media[3] - media[1]);
        let xobjects = page
            .get(b"Resources")
            .unwrap()
            .as_dict()
            .unwrap()
            .get(b"XObject")
            .unwrap()
            .as_dict()
            .unwrap();
        let content = Content::decode(&lo.get_page_content(id)).unwrap();
        let mut halves = [None, None];
        let mut x = 0.0;
        for op in &content.operations {
            match op.operator.as_str() {
                "cm" => x = op.operands[4].as_float().unwrap(),
                "Do" => {
                    let name = op.operands[0].as_name().unwrap();
                    let form = xobjects.get(name).unwrap().as_reference().unwrap();
                    let half = usize::from(x >= width / 2.0);
                    assert!(halves[half].is_none(), "two forms on one half: {content:?}");
                    halves[half] = Some((form, x));
                }
                _ => {}
            }
        }
        out.push(Side {
            width,
            height,
            halves,
        });
    }
    out
}

/// The text of each form, read as a page: a copy of the booklet whose pages are the
/// forms themselves (their stream as the content, their resources), through lopdf's text
/// extraction (each font's ToUnicode map).
fn form_texts(lo: &Lo, forms: &[ObjectId]) -> Vec<String> {
    let mut lo = lo.clone();
    let tree = lo
        .catalog()
        .unwrap()
        .get(b"Pages")
        .unwrap()
        .as_reference()
        .unwrap();
    let mut kids = Vec::new();
    for &form in forms {
        let dict = &lo.get_object(form).unwrap().as_stream().unwrap().dict;
        assert_eq!(dict.get(b"Subtype").unwrap().as_name().unwrap(), b"Form");
        let page = Dictionary::from_iter(vec![
            ("Type", Object::Name(b"Page".to_vec())),
            ("Parent", Object::Reference(tree)),
            ("Contents", Object::Reference(form)),
            ("Resources", dict.get(b"Resources").unwrap().clone()),
            ("MediaBox", dict.get(b"BBox").unwrap().clone()),
        ]);
        kids.push(Object::Reference(lo.add_object(page)));
    }
    let count = kids.len() as i64;
    let tree = lo.get_dictionary_mut(tree).unwrap();
    tree.set("Kids", Object::Array(kids));
    tree.set("Count", Object::Integer(count));
    (1..=forms.len() as u32)
        .map(|n| lo.extract_text(&[n]).unwrap())
        .collect()
}

/// The page numbers named by `zqNN` words in `text`.
fn markers(text: &str) -> Vec<usize> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("zq") {
        let digits: String = rest[i + 2..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if let Ok(n) = digits.parse() {
            found.push(n);
        }
        rest = &rest[i + 2..];
    }
    found
}

/// Each side's left and right page (1-based), by the word each half shows.
fn pages_by_text(lo: &Lo, sides: &[Side]) -> Vec<[Option<usize>; 2]> {
    let forms: Vec<ObjectId> = sides
        .iter()
        .flat_map(|s| s.halves.iter().flatten().map(|&(f, _)| f))
        .collect();
    let mut texts = form_texts(lo, &forms).into_iter();
    sides
        .iter()
        .map(|side| {
            side.halves.map(|half| {
                half.map(|_| {
                    let text = texts.next().unwrap();
                    let found = markers(&text);
                    assert_eq!(found.len(), 1, "one page word per half: {text:?}");
                    found[0]
                })
            })
        })
        .collect()
}

/// The pages in the order a reader meets them once the sheets are stacked (the first
/// outermost), folded and stapled: the right half of each front and the left half of
/// each back, from the outer sheet in; then the right half of each back and the left
/// half of each front, from the inner sheet out.
fn read_folded(sides: &[[Option<usize>; 2]]) -> Vec<Option<usize>> {
    // Sides come in pairs: a sheet's front, then its back.
    let sheets: Vec<&[[Option<usize>; 2]]> = sides.chunks(2).collect();
    let mut order = Vec::new();
    for sheet in &sheets {
        order.extend([sheet[0][1], sheet[1][0]]);
    }
    for sheet in sheets.iter().rev() {
        order.extend([sheet[1][1], sheet[0][0]]);
    }
    order
}

/// The words `pdftotext` finds in one half of side `side` (1-based), or `None` without
/// poppler.
fn pdftotext_half(file: &Path, side: usize, x: f32, width: f32, height: f32) -> Option<String> {
    let run = std::process::Command::new("pdftotext")
        .args(["-f", &side.to_string(), "-l", &side.to_string()])
        .args(["-x", &format!("{}", x.floor()), "-y", "0"])
        .args(["-W", &format!("{}", width.ceil()), "-H"])
        .arg(format!("{}", height.ceil()))
        .arg(file)
        .arg("-")
        .output()
        .ok()?;
    run.status
        .success()
        .then(|| String::from_utf8_lossy(&run.stdout).into_owned())
}

/// Builds a book of `pages` pages and checks its booklet: the sheet count, the sheet
/// size, and the order of the halves by their text.
fn check_booklet(pages: usize) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("book");
    std::fs::create_dir(&input).unwrap();
    manuscript(&input, pages);
    let report = build(&request(&input, dir.path().join("out"))).unwrap();
    let (pdf, booklet) = outputs(&report);
    assert_eq!(Lo::load_mem(&pdf).unwrap().get_pages().len(), pages);

    let lo = Lo::load_mem(&booklet).unwrap();
    let sides = sides(&lo);
    assert_eq!(sides.len(), 2 * pages.div_ceil(4), "{pages} pages");
    for side in &sides {
        assert_eq!((side.width, side.height), (2.0 * PAGE.0, PAGE.1));
    }
    let by_text = pages_by_text(&lo, &sides);
    let padded = 4 * pages.div_ceil(4);
    let expected: Vec<Option<usize>> = (1..=padded).map(|p| (p <= pages).then_some(p)).collect();
    assert_eq!(
        read_folded(&by_text),
        expected,
        "{pages} pages, sides {by_text:?}"
    );
    // The issue's own words: sheet 1's front holds the last page (of the padded book)
    // and page 1, its back page 2 and the second-to-last.
    assert_eq!(by_text[0][1], Some(1));
    assert_eq!(by_text[0][0], (padded == pages).then_some(pages));

    // What a reader's tool sees: each half's crop holds its page's word.
    let file = report
        .outputs
        .iter()
        .find(|o| o.format == Format::Booklet)
        .unwrap()
        .path
        .clone();
    for (n, (side, halves)) in sides.iter().zip(&by_text).enumerate() {
        for (half, page) in halves.iter().enumerate() {
            let x = half as f32 * side.width / 2.0;
            let Some(text) = pdftotext_half(&file, n + 1, x, side.width / 2.0, side.height) else {
                eprintln!("pdftotext not found: halves read with lopdf only");
                return;
            };
            assert_eq!(
                markers(&text),
                Vec::from_iter(*page),
                "side {}: {text:?}",
                n + 1
            );
        }
    }
}

#[test]
fn booklet_of_1_page() {
    check_booklet(1);
}

#[test]
fn booklet_of_2_pages() {
    check_booklet(2);
}

#[test]
fn booklet_of_3_pages() {
    check_booklet(3);
}

#[test]
fn booklet_of_4_pages() {
    check_booklet(4);
}

#[test]
fn booklet_of_5_pages() {
    check_booklet(5);
}

#[test]
fn booklet_of_16_pages() {
    check_booklet(16);
}

#[test]
fn booklet_of_17_pages() {
    check_booklet(17);
}

/// Every font object of a file, with its descriptor's font program, by object id.
fn font_programs(lo: &Lo) -> Vec<ObjectId> {
    let mut programs: Vec<ObjectId> = lo
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| d.has_type(b"FontDescriptor"))
        .filter_map(|d| d.get(b"FontFile2").and_then(Object::as_reference).ok())
        .collect();
    programs.sort();
    programs
}

/// The sample with `pdf: booklet: true`: 16 pages on 8 sides of twice Letter's width,
/// each half the right page (its form is that page's content stream, byte for byte), its
/// fonts the PDF's own, once; every link and outline entry lands on the sheet side and
/// the half that holds its page, at the same place on it.
#[test]
fn the_sample_as_a_booklet() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("book");
    std::fs::create_dir(&input).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("manuscript");
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, input.join(path.file_name().unwrap())).unwrap();
    }
    let yaml = std::fs::read_to_string(input.join("book.yaml")).unwrap();
    std::fs::write(
        input.join("book.yaml"),
        format!("{yaml}pdf:\n  booklet: true\n"),
    )
    .unwrap();
    let report = build(&request(&input, dir.path().join("out"))).unwrap();
    let (pdf, booklet) = outputs(&report);
    let main = Lo::load_mem(&pdf).unwrap();
    let lo = Lo::load_mem(&booklet).unwrap();
    let pages: Vec<ObjectId> = main.get_pages().into_values().collect();
    assert_eq!(pages.len(), 16);
    let sides = sides(&lo);
    assert_eq!(sides.len(), 8);

    // Each form is the content stream of one page of the PDF: which one, by its bytes.
    let page_of = |form: ObjectId| -> usize {
        let bytes = &lo.get_object(form).unwrap().as_stream().unwrap().content;
        let matches: Vec<usize> = pages
            .iter()
            .enumerate()
            .filter(|(_, &p)| {
                let c = main.get_dictionary(p).unwrap().get(b"Contents").unwrap();
                let c = main.get_object(c.as_reference().unwrap()).unwrap();
                &c.as_stream().unwrap().content == bytes
            })
            .map(|(i, _)| i + 1)
            .collect();
        assert_eq!(matches.len(), 1, "form {form:?}");
        matches[0]
    };
    let by_content: Vec<[Option<usize>; 2]> = sides
        .iter()
        .map(|s| s.halves.map(|h| h.map(|(f, _)| page_of(f))))
        .collect();
    assert_eq!(
        read_folded(&by_content),
        (1..=16).map(Some).collect::<Vec<_>>()
    );
    for side in &sides {
        assert_eq!((side.width, side.height), (1224.0, 792.0));
    }

    // Fonts: the same number of font programs, each once.
    assert_eq!(font_programs(&lo).len(), font_programs(&main).len());
    assert_eq!(font_programs(&lo).len(), 3);
    assert!(
        booklet.len() < pdf.len() * 11 / 10,
        "{} vs {}",
        booklet.len(),
        pdf.len()
    );

    // Where each page went: its side's id and x offset.
    let sheet_ids: Vec<ObjectId> = lo.get_pages().into_values().collect();
    let mut place = vec![(ObjectId::default(), 0.0f32); 17];
    for ((side, pages), &id) in sides.iter().zip(&by_content).zip(&sheet_ids) {
        for (half, page) in side.halves.iter().zip(pages) {
            if let (Some((_, x)), Some(page)) = (half, page) {
                place[*page] = (id, *x);
            }
        }
    }
    let page_number = |id: ObjectId| pages.iter().position(|&p| p == id).unwrap() + 1;
    // A destination `[page /XYZ left top zoom]` of the PDF, and the booklet's.
    let dest = |o: &Object| -> (ObjectId, f32, f32) {
        let a = o.as_array().unwrap();
        assert_eq!(a[1].as_name().unwrap(), b"XYZ");
        (
            a[0].as_reference().unwrap(),
            a[2].as_float().unwrap(),
            a[3].as_float().unwrap(),
        )
    };
    let moved = |(page, x, y): (ObjectId, f32, f32), (sheet, x2, y2): (ObjectId, f32, f32)| {
        let (want_sheet, dx) = place[page_number(page)];
        assert_eq!(
            sheet,
            want_sheet,
            "destination on page {}",
            page_number(page)
        );
        assert!((x2 - (x + dx)).abs() < 0.01 && (y2 - y).abs() < 0.01);
    };

    // The outline, item by item in the same order.
    let items = |lo: &Lo| -> Vec<Object> {
        let mut items: Vec<(ObjectId, Object)> = lo
            .objects
            .iter()
            .filter_map(|(&id, o)| Some((id, o.as_dict().ok()?.get(b"Dest").ok()?.clone())))
            .collect();
        items.sort_by_key(|(id, _)| *id);
        items.into_iter().map(|(_, d)| d).collect()
    };
    let (before, after) = (items(&main), items(&lo));
    // Eleven bookmarks: the reader comments' two headings each became one (issue 14).
    assert_eq!(before.len(), 11);
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        moved(dest(b), dest(a));
    }

    // Links: each page's links on its half, shifted with it, going where they went.
    let mut links = 0;
    for (n, &page) in pages.iter().enumerate() {
        let annots = |lo: &Lo, id: ObjectId| -> Vec<Dictionary> {
            match lo.get_dictionary(id).unwrap().get(b"Annots") {
                Ok(a) => a
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o.as_dict().unwrap().clone())
                    .collect(),
                Err(_) => Vec::new(),
            }
        };
        let (sheet, dx) = place[n + 1];
        let on_sheet: Vec<Dictionary> = annots(&lo, sheet)
            .into_iter()
            .filter(|a| {
                let r = numbers(a.get(b"Rect").unwrap());
                r[0] >= dx && r[2] <= dx + PAGE_LETTER_WIDTH
            })
            .collect();
        let own = annots(&main, page);
        assert_eq!(own.len(), on_sheet.len(), "links of page {}", n + 1);
        for (b, a) in own.iter().zip(&on_sheet) {
            let (rb, ra) = (
                numbers(b.get(b"Rect").unwrap()),
                numbers(a.get(b"Rect").unwrap()),
            );
            assert!((ra[0] - rb[0] - dx).abs() < 0.01 && (ra[1] - rb[1]).abs() < 0.01);
            let target = |d: &Dictionary| {
                d.get(b"A")
                    .unwrap()
                    .as_dict()
                    .unwrap()
                    .get(b"D")
                    .unwrap()
                    .clone()
            };
            moved(dest(&target(b)), dest(&target(a)));
            links += 1;
        }
    }
    assert_eq!(links, 16);
}

/// Presets are defaults: `preset: booklet` gives A5 pages on A4 sheets (half-letter on
/// Letter for US English), and a key given beside it wins.
#[test]
fn the_booklet_preset_folds_from_a4_or_letter() {
    let dir = tempfile::tempdir().unwrap();
    for (n, (lang, extra, sheet)) in [
        ("en-GB", "", Some((841.89, 595.28))),
        ("en-US", "", Some((792.0, 612.0))),
        ("fr", "  paper: 5x8in\n", Some((720.0, 576.0))),
        ("en-GB", "  booklet: false\n", None),
    ]
    .into_iter()
    .enumerate()
    {
        let input = dir.path().join(format!("book{n}"));
        std::fs::create_dir(&input).unwrap();
        std::fs::write(
            input.join("book.yaml"),
            format!("title: Preset\nlang: {lang}\npdf:\n  preset: booklet\n{extra}"),
        )
        .unwrap();
        std::fs::write(input.join("01.md"), "# One\n\nText.\n").unwrap();
        let report = build(&request(&input, dir.path().join(format!("out{n}")))).unwrap();
        assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);
        let booklet = report.outputs.iter().find(|o| o.format == Format::Booklet);
        match (booklet, sheet) {
            (Some(output), Some((w, h))) => {
                let lo = Lo::load_mem(&std::fs::read(&output.path).unwrap()).unwrap();
                let side = &sides(&lo)[0];
                assert!(
                    (side.width - w).abs() < 0.01 && (side.height - h).abs() < 0.01,
                    "{lang} {extra}: {side:?}"
                );
                // The page's left edge: the pair is centred on the sheet.
                let (_, x) = side.halves[1].unwrap();
                assert!((x - w / 2.0).abs() < 0.01, "{side:?}");
            }
            (None, None) => {}
            (b, s) => panic!("{lang} {extra}: booklet {b:?}, expected sheet {s:?}"),
        }
    }
}

/// `--booklet` without the key; and in `quire watch`, whose PDF is patched in place, the
/// booklet is made again from the patched file: the same bytes as a clean build's.
#[test]
fn the_flag_and_watch_rebuilds() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("book");
    std::fs::create_dir(&input).unwrap();
    manuscript(&input, 5);
    let yaml = std::fs::read_to_string(input.join("book.yaml")).unwrap();
    std::fs::write(
        input.join("book.yaml"),
        yaml.replace("  booklet: true\n", ""),
    )
    .unwrap();
    let without = build(&request(&input, dir.path().join("none"))).unwrap();
    assert!(without.outputs.iter().all(|o| o.format != Format::Booklet));

    let flagged = |out: &str| BuildRequest {
        booklet: true,
        ..request(&input, dir.path().join(out))
    };
    let cache = BuildCache::new();
    let first = build_cached(&flagged("watch"), &cache).unwrap();
    assert_eq!(outputs(&first), outputs(&build(&flagged("clean")).unwrap()));
    let chapter = input.join("03.md");
    let text = std::fs::read_to_string(&chapter).unwrap();
    std::fs::write(&chapter, text.replace("nothing else", "nothing less")).unwrap();
    let second = build_cached(&flagged("watch"), &cache).unwrap();
    assert_eq!(second.cache.pdf.patches.hits, 1, "the PDF was patched");
    let (pdf, booklet) = outputs(&second);
    assert_eq!((pdf, booklet), outputs(&build(&flagged("clean2")).unwrap()));
    let lo = Lo::load_mem(&outputs(&second).1).unwrap();
    // Page 3 is on the right half of the third side (8, 1 | 2, 7 | 6, 3 | 4, 5).
    let text = form_texts(&lo, &[sides(&lo)[2].halves[1].unwrap().0]);
    assert!(text[0].contains("nothing less"), "{text:?}");
}
