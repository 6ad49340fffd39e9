//! The PDF writer, checked by reloading its output with lopdf.
#![allow(clippy::unwrap_used)]

mod pdf_sample;

use lopdf::{Document as Lo, Object, ObjectId};
use quire::fonts::FontSet;
use quire::typeset::document::*;

fn write(doc: &Document) -> Vec<u8> {
    quire::pdf::write(doc, &FontSet::embedded(), &[]).unwrap()
}

fn load(bytes: &[u8]) -> Lo {
    Lo::load_mem(bytes).unwrap()
}

fn deref<'a>(lo: &'a Lo, o: &'a Object) -> &'a Object {
    match o {
        Object::Reference(id) => lo.get_object(*id).unwrap(),
        o => o,
    }
}

fn dict<'a>(lo: &'a Lo, o: &'a Object) -> &'a lopdf::Dictionary {
    deref(lo, o).as_dict().unwrap()
}

fn catalog(lo: &Lo) -> &lopdf::Dictionary {
    lo.catalog().unwrap()
}

fn text(o: &Object) -> String {
    let Object::String(b, _) = o else {
        panic!("not a string: {o:?}")
    };
    if b.starts_with(&[0xFE, 0xFF]) {
        let units: Vec<u16> = b[2..]
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16(&units).unwrap()
    } else {
        String::from_utf8(b.clone()).unwrap()
    }
}

#[test]
fn same_document_twice_in_one_process_gives_identical_bytes() {
    let doc = pdf_sample::sample();
    let a = write(&doc);
    let b = write(&doc);
    assert!(a == b, "two writes differ");
    // and a different document gives a different /ID
    let mut other = doc.clone();
    other.info.title.push('!');
    let c = write(&other);
    let id = |bytes: &[u8]| load(bytes).trailer.get(b"ID").unwrap().clone();
    assert_ne!(id(&a), id(&c));
}

#[test]
fn header_and_page_count() {
    let doc = pdf_sample::sample();
    let bytes = write(&doc);
    assert!(bytes.starts_with(b"%PDF-1.7"));
    let lo = load(&bytes);
    assert_eq!(lo.get_pages().len(), doc.pages.len());
    let page = lo
        .get_object(*lo.get_pages().get(&1).unwrap())
        .unwrap()
        .as_dict()
        .unwrap();
    let mb: Vec<f32> = page
        .get(b"MediaBox")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_float().unwrap())
        .collect();
    assert_eq!(mb, vec![0.0, 0.0, pdf_sample::WIDTH, pdf_sample::HEIGHT]);
}

/// Every font of every page, as (BaseFont, Type0 dict).
fn fonts_of(lo: &Lo) -> Vec<(String, lopdf::Dictionary)> {
    let mut out = Vec::new();
    for (_, page) in lo.get_pages() {
        let res = dict(
            lo,
            lo.get_dictionary(page).unwrap().get(b"Resources").unwrap(),
        );
        let fdict = dict(lo, res.get(b"Font").unwrap());
        for (_, f) in fdict.iter() {
            let f = dict(lo, f).clone();
            let name =
                String::from_utf8(f.get(b"BaseFont").unwrap().as_name().unwrap().to_vec()).unwrap();
            if !out.iter().any(|(n, _)| *n == name) {
                out.push((name, f));
            }
        }
    }
    out
}

#[test]
fn four_faces_embedded_subset_with_to_unicode() {
    let bytes = write(&pdf_sample::sample());
    let lo = load(&bytes);
    let fonts = fonts_of(&lo);
    assert_eq!(
        fonts.len(),
        4,
        "{:?}",
        fonts.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    let full = FontSet::embedded().face(FaceId::Regular).bytes.len();
    for (name, f) in &fonts {
        // XXXXXX+Name subset tag
        let (tag, rest) = name.split_once('+').unwrap();
        assert_eq!(tag.len(), 6);
        assert!(tag.chars().all(|c| c.is_ascii_uppercase()), "{name}");
        assert!(rest.starts_with("GentiumBookPlus-"));
        assert_eq!(f.get(b"Subtype").unwrap().as_name().unwrap(), b"Type0");
        assert_eq!(
            f.get(b"Encoding").unwrap().as_name().unwrap(),
            b"Identity-H"
        );
        let tu = deref(&lo, f.get(b"ToUnicode").unwrap())
            .as_stream()
            .unwrap();
        let cmap =
            String::from_utf8(tu.decompressed_content().unwrap_or(tu.content.clone())).unwrap();
        assert!(cmap.contains("beginbfchar"));
        let desc = dict(
            &lo,
            &f.get(b"DescendantFonts").unwrap().as_array().unwrap()[0],
        );
        assert_eq!(
            desc.get(b"Subtype").unwrap().as_name().unwrap(),
            b"CIDFontType2"
        );
        assert!(desc.get(b"W").is_ok());
        let fd = dict(&lo, desc.get(b"FontDescriptor").unwrap());
        assert_eq!(
            fd.get(b"FontName").unwrap().as_name().unwrap(),
            name.as_bytes()
        );
        let ff = deref(&lo, fd.get(b"FontFile2").unwrap())
            .as_stream()
            .unwrap();
        let program = ff.decompressed_content().unwrap();
        assert!(
            program.len() < full / 5,
            "subset of {name} is {} bytes",
            program.len()
        );
        assert!(ttf_parser::Face::parse(&program, 0).is_ok());
    }
    assert!(bytes.len() < 200_000, "{} bytes", bytes.len());
}

#[test]
fn ligature_maps_back_to_its_letters() {
    let bytes = write(&pdf_sample::sample());
    let lo = load(&bytes);
    let (_, regular) = fonts_of(&lo)
        .into_iter()
        .find(|(n, _)| n.ends_with("-Regular"))
        .unwrap();
    let tu = deref(&lo, regular.get(b"ToUnicode").unwrap())
        .as_stream()
        .unwrap();
    let cmap = String::from_utf8(tu.decompressed_content().unwrap()).unwrap();
    // "ffi" as UTF-16BE, the target of the ligature glyph in "office"
    assert!(cmap.contains("<006600660069>"), "no ffi mapping in\n{cmap}");
}

/// (title, level-by-nesting, children) of the outline tree, walking /First and /Next.
fn outline_tree(
    lo: &Lo,
    first: Option<ObjectId>,
    parent: ObjectId,
    depth: u8,
    out: &mut Vec<(String, u8)>,
) {
    let mut cur = first;
    let mut prev: Option<ObjectId> = None;
    while let Some(id) = cur {
        let d = lo.get_dictionary(id).unwrap();
        assert_eq!(d.get(b"Parent").unwrap().as_reference().unwrap(), parent);
        assert_eq!(d.get(b"Prev").ok().map(|p| p.as_reference().unwrap()), prev);
        out.push((text(d.get(b"Title").unwrap()), depth));
        let kids = d.get(b"First").ok().map(|f| f.as_reference().unwrap());
        let before = out.len();
        outline_tree(lo, kids, id, depth + 1, out);
        let descendants = out.len() - before;
        match d.get(b"Count") {
            Ok(c) => assert_eq!(c.as_i64().unwrap(), descendants as i64),
            Err(_) => assert_eq!(descendants, 0),
        }
        if let Some(mut last) = kids {
            // /Last is the last child
            while let Ok(n) = lo.get_dictionary(last).unwrap().get(b"Next") {
                last = n.as_reference().unwrap();
            }
            assert_eq!(d.get(b"Last").unwrap().as_reference().unwrap(), last);
        }
        prev = Some(id);
        cur = d.get(b"Next").ok().map(|n| n.as_reference().unwrap());
    }
}

#[test]
fn outline_is_nested_in_reading_order_with_positions() {
    let doc = pdf_sample::sample();
    let lo = load(&write(&doc));
    let root_id = catalog(&lo)
        .get(b"Outlines")
        .unwrap()
        .as_reference()
        .unwrap();
    let root = lo.get_dictionary(root_id).unwrap();
    assert_eq!(
        root.get(b"Count").unwrap().as_i64().unwrap(),
        doc.outline.len() as i64
    );
    let mut got = Vec::new();
    outline_tree(
        &lo,
        Some(root.get(b"First").unwrap().as_reference().unwrap()),
        root_id,
        1,
        &mut got,
    );
    let titles: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
    let expected: Vec<&str> = doc.outline.iter().map(|o| o.title.as_str()).collect();
    assert_eq!(titles, expected);
    // Nesting: chapters at depth 1, sections at 2, the skipped-level h3 under its chapter.
    let depths: Vec<u8> = got.iter().map(|(_, d)| *d).collect();
    assert_eq!(depths, vec![1, 2, 2, 1, 2, 1, 2]);

    // The first item's destination: its page and the heading's position, y flipped.
    let first = lo
        .get_dictionary(root.get(b"First").unwrap().as_reference().unwrap())
        .unwrap();
    let dest = first.get(b"Dest").unwrap().as_array().unwrap();
    let page1 = *lo.get_pages().get(&1).unwrap();
    assert_eq!(dest[0].as_reference().unwrap(), page1);
    assert_eq!(dest[1].as_name().unwrap(), b"XYZ");
    assert_eq!(dest[2].as_float().unwrap(), doc.outline[0].dest.x);
    assert_eq!(
        dest[3].as_float().unwrap(),
        pdf_sample::HEIGHT - doc.outline[0].dest.y
    );
}

#[test]
fn links_have_no_border_and_go_where_the_document_says() {
    let doc = pdf_sample::sample();
    let lo = load(&write(&doc));
    let pages = lo.get_pages();
    let mut internal = 0;
    let mut external = 0;
    for (n, page) in &pages {
        let p = lo.get_dictionary(*page).unwrap();
        let Ok(annots) = p.get(b"Annots") else {
            continue;
        };
        for a in deref(&lo, annots).as_array().unwrap() {
            let a = dict(&lo, a);
            assert_eq!(a.get(b"Subtype").unwrap().as_name().unwrap(), b"Link");
            let border: Vec<f32> = a
                .get(b"Border")
                .unwrap()
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o.as_float().unwrap())
                .collect();
            assert_eq!(border, vec![0.0, 0.0, 0.0]);
            let action = dict(&lo, a.get(b"A").unwrap());
            match action.get(b"S").unwrap().as_name().unwrap() {
                b"GoTo" => {
                    internal += 1;
                    let d = action.get(b"D").unwrap().as_array().unwrap();
                    let target = d[0].as_reference().unwrap();
                    let target_no = pages
                        .iter()
                        .find(|(_, id)| **id == target)
                        .map(|(n, _)| *n)
                        .unwrap();
                    // page 1 links forward to page 3 and back
                    assert_eq!(target_no, if *n == 1 { 3 } else { 1 });
                    assert_eq!(d[1].as_name().unwrap(), b"XYZ");
                }
                b"URI" => {
                    external += 1;
                    assert_eq!(text(action.get(b"URI").unwrap()), "https://quire.example/");
                }
                other => panic!("unexpected action {other:?}"),
            }
        }
    }
    assert_eq!(internal, 2);
    assert_eq!(external, 1);
}

#[test]
fn metadata_lang_viewer_preferences_and_tagging() {
    let doc = pdf_sample::sample();
    let lo = load(&write(&doc));
    let info = dict(&lo, lo.trailer.get(b"Info").unwrap());
    assert_eq!(text(info.get(b"Title").unwrap()), doc.info.title);
    assert_eq!(text(info.get(b"Author").unwrap()), doc.info.author);
    assert_eq!(text(info.get(b"Creator").unwrap()), "quire");
    assert_eq!(text(info.get(b"Keywords").unwrap()), "typesetting, tests");
    assert_eq!(
        text(info.get(b"CreationDate").unwrap()),
        "D:20240309000000Z"
    );
    let cat = catalog(&lo);
    assert_eq!(text(cat.get(b"Lang").unwrap()), "en");
    let vp = dict(&lo, cat.get(b"ViewerPreferences").unwrap());
    assert!(vp.get(b"DisplayDocTitle").unwrap().as_bool().unwrap());
    let xmp = deref(&lo, cat.get(b"Metadata").unwrap())
        .as_stream()
        .unwrap();
    let xmp = String::from_utf8(xmp.content.clone()).unwrap();
    for needle in [
        "<dc:title>",
        "The Office of Small Things",
        "<dc:creator>",
        "<dc:description>",
        "<dc:language>",
        "<pdf:Keywords>typesetting, tests</pdf:Keywords>",
        "<xmp:CreateDate>2024-03-09T00:00:00Z",
    ] {
        assert!(xmp.contains(needle), "XMP lacks {needle}");
    }
    let mark = dict(&lo, cat.get(b"MarkInfo").unwrap());
    assert!(mark.get(b"Marked").unwrap().as_bool().unwrap());
    assert!(cat.get(b"StructTreeRoot").is_ok());
}

#[test]
fn no_date_means_no_date_rather_than_the_clock() {
    let mut doc = pdf_sample::sample();
    doc.info.date = None;
    let lo = load(&write(&doc));
    let info = dict(&lo, lo.trailer.get(b"Info").unwrap());
    assert!(info.get(b"CreationDate").is_err());
    assert!(info.get(b"ModDate").is_err());
}

#[test]
fn content_streams_are_compressed_and_keep_reading_order() {
    let doc = pdf_sample::sample();
    let lo = load(&write(&doc));
    let page = *lo.get_pages().get(&1).unwrap();
    let p = lo.get_dictionary(page).unwrap();
    let stream = deref(&lo, p.get(b"Contents").unwrap()).as_stream().unwrap();
    assert_eq!(
        stream.dict.get(b"Filter").unwrap().as_name().unwrap(),
        b"FlateDecode"
    );
    // One marked span per run, MCIDs ascending in stream order.
    let content = lo.get_and_decode_page_content(page).unwrap();
    let mcids: Vec<i64> = content
        .operations
        .iter()
        .filter(|op| op.operator == "BDC")
        .map(|op| {
            op.operands[1]
                .as_dict()
                .unwrap()
                .get(b"MCID")
                .unwrap()
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(
        mcids,
        (0..doc.pages[0].runs.len() as i64).collect::<Vec<_>>()
    );
}

#[test]
fn empty_and_degenerate_documents_do_not_panic() {
    // No pages at all, a run with no glyphs, NaN coordinates, glyph ids the font lacks,
    // a link to a page that does not exist.
    let mut doc = Document {
        width: 300.0,
        height: 400.0,
        ..Default::default()
    };
    assert!(write(&doc).starts_with(b"%PDF-"));
    let glyph = |id| Glyph {
        raise: 0,
        id,
        advance: 5.0,
        text: "x".into(),
    };
    doc.pages.push(Page {
        runs: vec![
            GlyphRun {
                face: FaceId::Regular,
                size: 10.0,
                x: f32::NAN,
                y: 20.0,
                glyphs: vec![].into(),
            },
            GlyphRun {
                face: FaceId::Italic,
                size: 0.0,
                x: 1.0,
                y: 20.0,
                glyphs: vec![glyph(70)].into(),
            },
            GlyphRun {
                face: FaceId::Bold,
                size: 10.0,
                x: 1.0,
                y: f32::INFINITY,
                glyphs: vec![glyph(u16::MAX), glyph(70)].into(),
            },
        ],
        shades: vec![],
        rules: vec![Rect {
            x: 0.0,
            y: 0.0,
            width: -3.0,
            height: f32::NAN,
        }],
        images: vec![],
        links: vec![Link {
            rect: Rect::default(),
            target: LinkTarget::Internal(Destination {
                page: 99,
                x: 0.0,
                y: 0.0,
            }),
        }],
    });
    doc.outline.push(OutlineItem {
        title: String::new(),
        level: 0,
        dest: Destination {
            page: 42,
            x: 0.0,
            y: 0.0,
        },
    });
    let bytes = write(&doc);
    let lo = load(&bytes);
    assert_eq!(lo.get_pages().len(), 1);
    assert!(!String::from_utf8_lossy(&bytes).contains("NaN"));
}

/// A 300 × 400 pt document of one page holding one run of `glyphs` (Regular, `size` pt,
/// at `x`, `y`).
fn one_run_document(glyphs: &[Glyph], size: f32, x: f32, y: f32) -> Document {
    Document {
        width: 300.0,
        height: 400.0,
        pages: vec![Page {
            runs: vec![GlyphRun {
                face: FaceId::Regular,
                size,
                x,
                y,
                glyphs: glyphs.to_vec().into(),
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Replays the TJ arrays against /W and checks each glyph lands where the Document put
/// it: justification (extra advance) and kerning must survive the translation.
#[test]
fn glyphs_land_at_the_documents_positions() {
    let fonts = FontSet::embedded();
    let mut glyphs = pdf_sample::shape(&fonts, FaceId::Regular, 12.0, "Wave office, AVAT.");
    for (i, g) in glyphs.iter_mut().enumerate() {
        g.advance += 0.37 * (i % 3) as f32; // uneven stretch
    }
    let lo = load(&write(&one_run_document(&glyphs, 12.0, 50.0, 100.0)));
    let page = *lo.get_pages().get(&1).unwrap();
    let (_, font) = fonts_of(&lo).into_iter().next().unwrap();
    let desc = dict(
        &lo,
        &font.get(b"DescendantFonts").unwrap().as_array().unwrap()[0],
    );
    // /W: [first [w w ...] first [w ...] ...]
    let mut widths = std::collections::BTreeMap::new();
    let w = deref(&lo, desc.get(b"W").unwrap()).as_array().unwrap();
    for pair in w.chunks(2) {
        let first = pair[0].as_i64().unwrap();
        for (k, v) in deref(&lo, &pair[1]).as_array().unwrap().iter().enumerate() {
            widths.insert(first + k as i64, v.as_float().unwrap() as f64);
        }
    }
    let content = lo.get_and_decode_page_content(page).unwrap();
    let tm = content
        .operations
        .iter()
        .find(|o| o.operator == "Tm")
        .unwrap();
    let x0 = tm.operands[4].as_float().unwrap() as f64;
    assert_eq!(tm.operands[5].as_float().unwrap(), 300.0);
    let tj = content
        .operations
        .iter()
        .find(|o| o.operator == "TJ")
        .unwrap();
    let mut pen = x0;
    let mut starts = Vec::new();
    for item in tj.operands[0].as_array().unwrap() {
        match item {
            // A string holds the two-byte codes of one or more glyphs.
            Object::String(b, _) => {
                assert_eq!(b.len() % 2, 0, "{b:?}");
                for code in b.chunks(2) {
                    starts.push(pen);
                    let gid = i64::from(u16::from_be_bytes([code[0], code[1]]));
                    pen += widths[&gid] * 12.0 / 1000.0;
                }
            }
            n => pen -= n.as_float().unwrap() as f64 * 12.0 / 1000.0,
        }
    }
    assert_eq!(starts.len(), glyphs.len());
    let mut expected = 50.0f64;
    for (got, g) in starts.iter().zip(&glyphs) {
        assert!(
            // Adjustments are whole thousandths of an em: at 12 pt, within 0.006 pt.
            (got - expected).abs() <= 0.0061,
            "glyph at {got}, expected {expected}"
        );
        expected += f64::from(g.advance);
    }
    assert!((pen - expected).abs() <= 0.0061);
}

fn tiny_png() -> quire::model::Asset {
    quire::model::Asset {
        path: "tiny.png".into(),
        href: "tiny.png".into(),
        kind: quire::model::ImageKind::Png,
        data: include_bytes!("pdf_sample/tiny.png").to_vec(),
    }
}

#[test]
fn png_is_placed_at_its_rect() {
    let rect = Rect {
        x: 40.0,
        y: 50.0,
        width: 80.0,
        height: 60.0,
    };
    let doc = Document {
        width: 300.0,
        height: 400.0,
        pages: vec![Page {
            images: vec![PlacedImage { asset: 0, rect }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let bytes = quire::pdf::write(&doc, &FontSet::embedded(), &[tiny_png()]).unwrap();
    let lo = load(&bytes);
    let page = *lo.get_pages().get(&1).unwrap();
    let res = dict(
        &lo,
        lo.get_dictionary(page).unwrap().get(b"Resources").unwrap(),
    );
    let xo = dict(&lo, res.get(b"XObject").unwrap());
    let img = deref(&lo, xo.get(b"Im0").unwrap()).as_stream().unwrap();
    assert_eq!(img.dict.get(b"Width").unwrap().as_i64().unwrap(), 4);
    assert_eq!(
        img.dict.get(b"Filter").unwrap().as_name().unwrap(),
        b"FlateDecode"
    );
    let content = lo.get_and_decode_page_content(page).unwrap();
    let cm = content
        .operations
        .iter()
        .find(|o| o.operator == "cm")
        .unwrap();
    let m: Vec<f32> = cm.operands.iter().map(|o| o.as_float().unwrap()).collect();
    // unit square -> 80 x 60 at (40, 400 - 50 - 60)
    let expect = [80.0, 0.0, 0.0, 60.0, 40.0, 290.0];
    for (a, b) in m.iter().zip(expect) {
        assert!((a - b).abs() < 0.01, "cm {m:?}");
    }
    // An asset index the book does not have is an error, not a panic.
    assert!(quire::pdf::write(&doc, &FontSet::embedded(), &[]).is_err());
}

/// An image among the text of the sample's second page: the page keeps its text and
/// fonts and draws the image at its rect. With `QUIRE_PDF_OUT=PATH` set, the PDF is also
/// written to PATH for the external tools (pdffonts, pdftotext, qpdf):
/// `QUIRE_PDF_OUT=target/sample.pdf cargo test --test pdf_write`. Optional: the test
/// asserts on its own without it.
#[test]
fn an_image_among_text_is_drawn_at_its_rect() {
    let mut doc = pdf_sample::sample();
    let rect = Rect {
        x: 300.0,
        y: 40.0,
        width: 60.0,
        height: 45.0,
    };
    doc.pages[1].images.push(PlacedImage { asset: 0, rect });
    let bytes = quire::pdf::write(&doc, &FontSet::embedded(), &[tiny_png()]).unwrap();
    if let Some(path) = std::env::var_os("QUIRE_PDF_OUT") {
        std::fs::write(&path, &bytes).unwrap();
    }
    let lo = load(&bytes);
    assert_eq!(lo.get_pages().len(), doc.pages.len());
    let page = *lo.get_pages().get(&2).unwrap();
    let res = dict(
        &lo,
        lo.get_dictionary(page).unwrap().get(b"Resources").unwrap(),
    );
    assert!(!dict(&lo, res.get(b"Font").unwrap()).is_empty());
    let xo = dict(&lo, res.get(b"XObject").unwrap());
    let images: Vec<(&Vec<u8>, i64)> = xo
        .iter()
        .map(|(name, o)| {
            let s = deref(&lo, o).as_stream().unwrap();
            (name, s.dict.get(b"Width").unwrap().as_i64().unwrap())
        })
        .collect();
    assert_eq!(images.len(), 1, "{images:?}");
    assert_eq!(images[0].1, 4, "the 4-px PNG");
    let content = lo.get_and_decode_page_content(page).unwrap();
    let ops = |op: &'static str| content.operations.iter().filter(move |o| o.operator == op);
    assert!(ops("TJ").count() > 5, "the page's text is still drawn");
    let drawn: Vec<&[u8]> = ops("Do")
        .map(|o| o.operands[0].as_name().unwrap())
        .collect();
    assert_eq!(drawn, [images[0].0.as_slice()]);
    // The unit square scaled to the rect, y flipped: 60 × 45 at (300, H - 40 - 45).
    let expect = [60.0, 0.0, 0.0, 45.0, 300.0, pdf_sample::HEIGHT - 85.0];
    let placed = ops("cm").any(|cm| {
        let m: Vec<f32> = cm.operands.iter().map(|o| o.as_float().unwrap()).collect();
        m.len() == 6 && m.iter().zip(expect).all(|(a, b)| (a - b).abs() < 0.01)
    });
    assert!(placed, "no cm {expect:?} on the page");
}

/// Glyph codes go in literal strings: codes whose bytes are `(`, `)`, `\`, CR or LF
/// (subset glyphs 40, 41, 92, 13 and 10 of a page with over 92 distinct glyphs) must be
/// escaped so a reader gets every code back, in order.
#[test]
fn literal_glyph_strings_escape_delimiters_and_line_ends() {
    let fonts = FontSet::embedded();
    let text: String = ('!'..='~')
        .chain('А'..='я')
        .filter(|c| !c.is_whitespace())
        .collect();
    let glyphs = pdf_sample::shape(&fonts, FaceId::Regular, 10.0, &text);
    let lo = load(&write(&one_run_document(&glyphs, 10.0, 10.0, 20.0)));
    let page = *lo.get_pages().get(&1).unwrap();
    let content = lo.get_and_decode_page_content(page).unwrap();
    let tj = content
        .operations
        .iter()
        .find(|o| o.operator == "TJ")
        .unwrap();
    let mut codes = Vec::new();
    for item in tj.operands[0].as_array().unwrap() {
        if let Object::String(b, _) = item {
            assert_eq!(b.len() % 2, 0, "{b:?}");
            codes.extend(b.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])));
        }
    }
    assert_eq!(codes.len(), glyphs.len());
    for special in [10u16, 13, 40, 41, 92] {
        assert!(codes.contains(&special), "code {special} not exercised");
    }
    // Distinct glyphs get distinct codes, numbered in order of first use or of glyph
    // id: either way, as many codes as glyphs.
    let distinct_glyphs: std::collections::BTreeSet<u16> = glyphs.iter().map(|g| g.id).collect();
    let distinct_codes: std::collections::BTreeSet<u16> = codes.iter().copied().collect();
    assert_eq!(distinct_codes.len(), distinct_glyphs.len());
}
