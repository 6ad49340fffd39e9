//! Every image format an EPUB may hold reaches the PDF: a manuscript with a transparent
//! PNG, a palette PNG with a transparent colour, a GIF, a WebP and an SVG builds, each becomes an image
//! XObject of the right size, transparency becomes a soft mask, and small images keep
//! their natural size instead of being blown up to the measure.
#![allow(clippy::unwrap_used)]

use lopdf::{Document as Lo, Object};
use std::collections::BTreeMap;

fn png(width: u32, height: u32, rgba: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(rgba).unwrap();
    writer.finish().unwrap();
    out
}

/// A two-colour palette PNG whose second colour is transparent (a `tRNS` chunk).
fn palette_png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_palette(vec![0, 90, 0, 255, 255, 255]);
    encoder.set_trns(vec![255, 0]);
    let mut writer = encoder.write_header().unwrap();
    let indices: Vec<u8> = (0..width * height).map(|i| (i % 2) as u8).collect();
    writer.write_image_data(&indices).unwrap();
    writer.finish().unwrap();
    out
}

fn gif(width: u16, height: u16) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut out, width, height, &[]).unwrap();
        let mut pixels: Vec<u8> = (0..u32::from(width) * u32::from(height))
            .flat_map(|i| [(i % 256) as u8, 100, 200, 255])
            .collect();
        let frame = gif::Frame::from_rgba(width, height, &mut pixels);
        encoder.write_frame(&frame).unwrap();
    }
    out
}

fn webp(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let pixels: Vec<u8> = (0..width * height)
        .flat_map(|i| [(i % 256) as u8, 50, 50, if i % 2 == 0 { 255 } else { 0 }])
        .collect();
    image_webp::WebPEncoder::new(&mut out)
        .encode(&pixels, width, height, image_webp::ColorType::Rgba8)
        .unwrap();
    out
}

const SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="192" height="96" viewBox="0 0 192 96">
<rect width="96" height="96" fill="#c00"/><text x="100" y="60" font-size="40">Ab</text></svg>"##;

/// Builds a manuscript placing each image in its own paragraph; returns the PDF.
fn build(dir: &std::path::Path) -> Vec<u8> {
    let files = quire::files::Files::disk(dir, None);
    let (sources, _) = quire::files::load_manuscript(dir, &files).unwrap();
    let parsed = quire::parse::parse(&sources, &files);
    let book = parsed.book.unwrap();
    let fonts = quire::fonts::FontSet::load(&book.meta.pdf.fonts, &files).unwrap();
    let (doc, _) = quire::typeset::typeset(&book, &fonts);
    quire::pdf::write(&doc, &fonts, &book.assets).unwrap()
}

fn deref<'a>(lo: &'a Lo, o: &'a Object) -> &'a Object {
    match o {
        Object::Reference(id) => lo.get_object(*id).unwrap(),
        o => o,
    }
}

/// Every image XObject of every page, by resource name: (width, height, has /SMask).
fn images(lo: &Lo) -> BTreeMap<String, (i64, i64, bool)> {
    let mut out = BTreeMap::new();
    for page in lo.get_pages().into_values() {
        let page = lo.get_dictionary(page).unwrap();
        let res = deref(lo, page.get(b"Resources").unwrap())
            .as_dict()
            .unwrap();
        let Ok(xo) = res.get(b"XObject") else {
            continue;
        };
        for (name, obj) in deref(lo, xo).as_dict().unwrap() {
            let s = deref(lo, obj).as_stream().unwrap();
            out.insert(
                String::from_utf8_lossy(name).into_owned(),
                (
                    s.dict.get(b"Width").unwrap().as_i64().unwrap(),
                    s.dict.get(b"Height").unwrap().as_i64().unwrap(),
                    s.dict.get(b"SMask").is_ok(),
                ),
            );
        }
    }
    out
}

#[test]
fn every_epub_image_format_is_placed_in_the_pdf() {
    let dir = tempfile::tempdir().unwrap();
    // QUIRE_IMAGE_BOOK=DIR keeps the manuscript there, to build and look at by hand.
    let kept = std::env::var_os("QUIRE_IMAGE_BOOK").map(std::path::PathBuf::from);
    let d = kept.as_deref().unwrap_or(dir.path());
    std::fs::create_dir_all(d).unwrap();
    std::fs::write(d.join("book.yaml"), "title: Pictures\nlang: en\n").unwrap();
    let half_clear: Vec<u8> = (0..64 * 32)
        .flat_map(|i| [200, 0, 0, if i % 64 < 32 { 255 } else { 0 }])
        .collect();
    std::fs::write(d.join("alpha.png"), png(64, 32, &half_clear)).unwrap();
    std::fs::write(d.join("palette.png"), palette_png(40, 20)).unwrap();
    std::fs::write(d.join("anim.gif"), gif(30, 10)).unwrap();
    std::fs::write(d.join("photo.webp"), webp(16, 16)).unwrap();
    std::fs::write(d.join("diagram.svg"), SVG).unwrap();
    std::fs::write(
        d.join("01.md"),
        "# Pictures\n\nText.\n\n![A red box](alpha.png)\n\n![Green](palette.png)\n\n\
         ![Stripes](anim.gif)\n\n![Dots](photo.webp)\n\n![A diagram](diagram.svg)\n",
    )
    .unwrap();
    let pdf = build(d);
    let lo = Lo::load_mem(&pdf).unwrap();
    let found = images(&lo);
    let sizes: Vec<_> = found.values().collect();
    // Asset order is the order of first use.
    assert_eq!(found.len(), 5, "{found:?}");
    assert!(
        sizes.contains(&&(64, 32, true)),
        "transparent PNG with its mask: {found:?}"
    );
    assert!(
        sizes.contains(&&(40, 20, true)),
        "palette PNG with tRNS: {found:?}"
    );
    assert!(
        sizes.contains(&&(30, 10, false)),
        "opaque GIF frame: {found:?}"
    );
    assert!(
        sizes.contains(&&(16, 16, true)),
        "WebP with alpha: {found:?}"
    );
    // The SVG's 192 × 96 CSS px at 300 dpi.
    assert!(
        sizes.contains(&&(600, 300, true)),
        "rasterised SVG: {found:?}"
    );

    // Natural size: the 64-px PNG is 48 pt wide on the page, not the measure.
    let page = *lo.get_pages().get(&1).unwrap();
    let content = lo.get_and_decode_page_content(page).unwrap();
    let widths: Vec<f32> = content
        .operations
        .iter()
        .filter(|o| o.operator == "cm")
        .map(|o| o.operands[0].as_float().unwrap())
        .collect();
    assert!(
        widths.iter().any(|w| (w - 48.0).abs() < 0.01),
        "64 px = 48 pt: {widths:?}"
    );
    assert!(
        widths.iter().any(|w| (w - 144.0).abs() < 0.01),
        "SVG 192 px = 144 pt: {widths:?}"
    );

    // Deterministic, like every other output.
    assert_eq!(pdf, build(d));
}

#[test]
fn a_broken_image_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("book.yaml"), "title: Broken\nlang: en\n").unwrap();
    // A GIF signature and nothing else.
    std::fs::write(d.join("cut.gif"), b"GIF89a\x10\x00").unwrap();
    std::fs::write(d.join("01.md"), "# One\n\n![Cut](cut.gif)\n").unwrap();
    let book = quire::build::check(d, false).unwrap().book.unwrap();
    let fonts = quire::fonts::FontSet::embedded();
    let (doc, _) = quire::typeset::typeset(&book, &fonts);
    let err = quire::pdf::write(&doc, &fonts, &book.assets).unwrap_err();
    assert!(err.to_string().contains("cut.gif"), "{err}");
}
