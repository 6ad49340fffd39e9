//! The generated cover image (issue 14): the cover page of
//! [`typeset::cover`](crate::typeset::cover) painted into a PNG of 1600 × 2560 px for
//! the EPUB (`properties="cover-image"`, EPUB 3.3 §5.6.5.3), so an e-reader's library
//! shows the book's title instead of a blank thumbnail when the author gives no
//! `cover-image`.
//!
//! The glyphs are the book's own fonts' outlines (ttf-parser), filled with tiny-skia's
//! anti-aliasing into 8-bit coverage masks and stamped in grey on white, written as an
//! 8-bit greyscale PNG with the png crate's fast (fdeflate) compression: a grey image
//! is a quarter of an RGBA pixmap's bytes, which keeps the cover to a few milliseconds
//! of a build.

use crate::fonts::FontSet;
use crate::model::Book;
use crate::typeset::document::{FaceId, Page};
use crate::typeset::shape::Shaper;
use resvg::tiny_skia::{FillRule, Mask, PathBuilder, Rect, Transform};

/// The image's size in pixels: the 1:1.6 cover of the e-reader stores (Amazon KDP
/// recommends 1600 × 2560; Apple Books asks for at least 1400 px on the short side's
/// other edge).
pub const WIDTH: u32 = 1600;
/// See [`WIDTH`].
pub const HEIGHT: u32 = 2560;

/// The design is laid out on a page of this many points across and painted at
/// `WIDTH / DESIGN_WIDTH` pixels a point.
const DESIGN_WIDTH: f32 = 600.0;

/// The generated cover of `book` as PNG bytes, or `None` when it cannot be made.
pub fn png(book: &Book, fonts: &FontSet) -> Option<Vec<u8>> {
    let scale = WIDTH as f32 / DESIGN_WIDTH;
    let mut shaper = Shaper::new(fonts);
    let page = crate::typeset::cover::page(book, &mut shaper, DESIGN_WIDTH, HEIGHT as f32 / scale);
    let (masks, placed) = place(&page, fonts, scale);
    let stamps: Vec<Stamp<'_>> = placed
        .iter()
        .filter_map(|&(k, x, y)| {
            Some(Stamp {
                mask: masks.get(k)?,
                x,
                y,
            })
        })
        .collect();
    let mut out = Vec::with_capacity(64 * 1024);
    let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    // "Up": the ground's rows become zeros, which fdeflate compresses six times faster
    // than runs of 255 (measured: 9 against 61 million instructions), without the cost
    // of choosing a filter per row.
    encoder.set_filter(png::Filter::Up);
    let mut writer = encoder.write_header().ok()?;
    let mut stream = writer.stream_writer().ok()?;
    // Painted a band of rows at a time and streamed to the encoder: the whole image
    // (4 MB) was a thousand fresh pages to fault in and fill, for a few glyphs.
    let mut band = vec![255u8; WIDTH as usize * BAND as usize];
    // Coverage (0-255) to grey: the text near-black (a dark grey reads softer).
    let ink = 34u16;
    let grey: [u8; 256] = std::array::from_fn(|a| (255 - (255 - ink) * a as u16 / 255) as u8);
    for top in (0..HEIGHT).step_by(BAND as usize) {
        let rows = BAND.min(HEIGHT - top);
        let band = &mut band[..(WIDTH * rows) as usize];
        band.fill(255);
        for stamp in &stamps {
            stamp.paint(band, top as i32, rows as i32, &grey);
        }
        std::io::Write::write_all(&mut stream, band).ok()?;
    }
    stream.finish().ok()?;
    writer.finish().ok()?;
    Some(out)
}

/// Rows painted at a time.
const BAND: u32 = 64;

/// A coverage mask placed on the page at whole pixels.
struct Stamp<'m> {
    mask: &'m Mask,
    x: i32,
    y: i32,
}

impl Stamp<'_> {
    /// Paints the part of the mask in rows `top..top + rows` into `band` (those rows, a
    /// row of [`WIDTH`] bytes each), coverage turned to grey by `grey`; where shapes
    /// meet, the darker grey wins.
    fn paint(&self, band: &mut [u8], top: i32, rows: i32, grey: &[u8; 256]) {
        let w = self.mask.width() as usize;
        let h = self.mask.height() as i32;
        let (from, to) = ((top - self.y).max(0), (top + rows - self.y).min(h));
        if from >= to {
            return;
        }
        let data = self.mask.data();
        for row in from..to {
            let Some(src) = data.get(row as usize * w..(row as usize + 1) * w) else {
                continue;
            };
            let py = (self.y + row - top) as usize;
            for (col, &a) in src.iter().enumerate() {
                let px = self.x + col as i32;
                if a == 0 || !(0..WIDTH as i32).contains(&px) {
                    continue;
                }
                let i = py * WIDTH as usize + px as usize;
                if let Some(p) = band.get_mut(i) {
                    *p = (*p).min(grey[usize::from(a)]);
                }
            }
        }
    }
}

/// A mask's index and where its top left corner goes, in pixels.
type Placement = (usize, i32, i32);

/// The page's glyphs and rules as masks placed at `scale` pixels a point. Each glyph is
/// filled once into a mask of its own bounds (the anti-aliasing scan clears a row of
/// its target's full width for every sub-scanline: on the whole page that cost ten
/// times the glyphs themselves) and placed wherever it occurs: a title repeats its
/// letters.
fn place(page: &Page, fonts: &FontSet, scale: f32) -> (Vec<Mask>, Vec<Placement>) {
    let mut faces: [Option<ttf_parser::Face<'_>>; 4] = [None, None, None, None];
    for id in FaceId::ALL {
        let data = fonts.face(id);
        faces[id.index()] = ttf_parser::Face::parse(&data.bytes, data.index).ok();
    }
    let mut masks: Vec<Mask> = Vec::new();
    let mut placed: Vec<Placement> = Vec::new();
    // Each glyph's mask (its index in `masks`) and offset, by face, glyph and size.
    let mut glyphs: std::collections::HashMap<(usize, u16, u32), Option<Placement>> =
        std::collections::HashMap::new();
    for run in &page.runs {
        let Some(face) = &faces[run.face.index()] else {
            continue;
        };
        let em = run.size * scale / f32::from(face.units_per_em());
        let mut x = run.x * scale;
        let y = (run.y * scale).round();
        for g in &run.glyphs {
            let key = (run.face.index(), g.id, em.to_bits());
            let shape = *glyphs.entry(key).or_insert_with(|| {
                let mut builder = PathBuilder::new();
                let mut pen = Outline {
                    builder: &mut builder,
                    x: 0.0,
                    y: 0.0,
                    em,
                };
                face.outline_glyph(ttf_parser::GlyphId(g.id), &mut pen);
                let (mask, dx, dy) = rasterise(builder)?;
                masks.push(mask);
                Some((masks.len() - 1, dx, dy))
            });
            if let Some((k, dx, dy)) = shape {
                placed.push((k, x.round() as i32 + dx, y as i32 + dy));
            }
            x += g.advance * scale;
        }
    }
    for r in &page.rules {
        let rect = Rect::from_xywh(r.x * scale, r.y * scale, r.width * scale, r.height * scale);
        if let Some(rect) = rect {
            let mut builder = PathBuilder::new();
            builder.push_rect(rect);
            if let Some((mask, dx, dy)) = rasterise(builder) {
                masks.push(mask);
                placed.push((masks.len() - 1, dx, dy));
            }
        }
    }
    (masks, placed)
}

/// A path's anti-aliased coverage in a mask of its bounds, and the mask's offset.
fn rasterise(builder: PathBuilder) -> Option<(Mask, i32, i32)> {
    let path = builder.finish()?;
    let b = path.bounds();
    let (x0, y0) = (b.left().floor(), b.top().floor());
    let (w, h) = (
        (b.right().ceil() - x0) as u32,
        (b.bottom().ceil() - y0) as u32,
    );
    let mut mask = Mask::new(w.max(1), h.max(1))?;
    mask.fill_path(
        &path,
        FillRule::Winding,
        true,
        Transform::from_translate(-x0, -y0),
    );
    Some((mask, x0 as i32, y0 as i32))
}

/// A glyph outline into a path: font units to pixels, y down.
struct Outline<'b> {
    builder: &'b mut PathBuilder,
    x: f32,
    y: f32,
    em: f32,
}

impl Outline<'_> {
    fn p(&self, x: f32, y: f32) -> (f32, f32) {
        (self.x + x * self.em, self.y - y * self.em)
    }
}

impl ttf_parser::OutlineBuilder for Outline<'_> {
    fn move_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.p(x, y);
        self.builder.move_to(x, y);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let (x, y) = self.p(x, y);
        self.builder.line_to(x, y);
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let (x1, y1) = self.p(x1, y1);
        let (x, y) = self.p(x, y);
        self.builder.quad_to(x1, y1, x, y);
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let (x1, y1) = self.p(x1, y1);
        let (x2, y2) = self.p(x2, y2);
        let (x, y) = self.p(x, y);
        self.builder.cubic_to(x1, y1, x2, y2, x, y);
    }
    fn close(&mut self) {
        self.builder.close();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::Metadata;

    #[test]
    fn a_portrait_png_of_the_stores_size_with_the_title_inked() {
        let book = Book {
            meta: Metadata {
                title: "The Lighthouse Keeper".into(),
                authors: vec!["Ada Marlow".into()],
                ..Metadata::default()
            },
            chapters: vec![],
            notes: vec![],
            assets: vec![],
        };
        let bytes = png(&book, &FontSet::embedded()).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (1600, 2560));
        let dark = buf.iter().filter(|&&v| v < 128).count();
        // Some ink, mostly ground.
        assert!(dark > 20_000 && dark < buf.len() / 5, "{dark}");
        // Ink in the title's band (upper part) and in the author's (lower part).
        let row_dark = |y: usize| buf[y * 1600..(y + 1) * 1600].iter().any(|&v| v < 128);
        assert!((500..1000).any(row_dark));
        assert!((1800..2200).any(row_dark));
    }
}
