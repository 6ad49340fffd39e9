//! The generated cover image (issue 14): the cover page of
//! [`typeset::cover`](crate::typeset::cover) painted into a PNG of 1600 × 2560 px for
//! the EPUB (`properties="cover-image"`, EPUB 3.3 §5.6.5.3), so an e-reader's library
//! shows the book's title instead of a blank thumbnail when the author gives no
//! `cover-image`.
//!
//! The glyphs are the book's own fonts' outlines (ttf-parser), rasterised with
//! ab_glyph_rasterizer's exact-area anti-aliasing into 8-bit masks, once per glyph, and
//! stamped in grey on white, a band of rows at a time, written as an 8-bit greyscale PNG
//! with the png crate's fast (fdeflate) compression: a grey image is a quarter of an
//! RGBA pixmap's bytes. The sample book's cover is about 20 million instructions
//! (callgrind); it was 33 with tiny-skia's supersampled masks.

use crate::fonts::FontSet;
use crate::model::Book;
use crate::typeset::document::{FaceId, Page};
use crate::typeset::shape::Shaper;
use ab_glyph_rasterizer::{point, Point, Rasterizer};

/// The image's size in pixels: the 1:1.6 cover of the e-reader stores (Amazon KDP
/// recommends 1600 × 2560; Apple Books asks for at least 1400 px on the short side's
/// other edge).
pub const WIDTH: u32 = 1600;
/// See [`WIDTH`].
pub const HEIGHT: u32 = 2560;

/// The design is laid out on a page of this many points across and painted at
/// `WIDTH / DESIGN_WIDTH` pixels a point.
const DESIGN_WIDTH: f32 = 600.0;

/// The text's grey (0 black, 255 the white ground): near-black reads softer.
const INK: u8 = 34;

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
    paint(&stamps, |band| {
        std::io::Write::write_all(&mut stream, band).ok()
    })?;
    stream.finish().ok()?;
    writer.finish().ok()?;
    Some(out)
}

/// Rows painted at a time.
const BAND: usize = 64;

/// Paints the image a band of rows at a time and hands each band to `sink`: the whole
/// image (4 MB) was a thousand fresh pages to fault in and fill, for a few glyphs. Only
/// the rectangle stamps touched is made white again for the next band.
fn paint(stamps: &[Stamp<'_>], mut sink: impl FnMut(&[u8]) -> Option<()>) -> Option<()> {
    let width = WIDTH as usize;
    let mut band = vec![255u8; width * BAND];
    for top in (0..HEIGHT as usize).step_by(BAND) {
        let rows = BAND.min(HEIGHT as usize - top);
        let mut inked: Option<Inked> = None;
        for stamp in stamps {
            if let Some(r) = stamp.paint(&mut band, top as i32, rows as i32) {
                inked = Some(inked.map_or(r, |s| s.union(r)));
            }
        }
        sink(&band[..rows * width])?;
        if let Some(Inked {
            rows: (r0, r1),
            columns: (c0, c1),
        }) = inked
        {
            for row in band[r0 * width..r1 * width].chunks_exact_mut(width) {
                if let Some(inked) = row.get_mut(c0..c1) {
                    inked.fill(255);
                }
            }
        }
    }
    Some(())
}

/// The rows and columns (end exclusive) of a band that stamps painted.
#[derive(Clone, Copy)]
struct Inked {
    rows: (usize, usize),
    columns: (usize, usize),
}

impl Inked {
    fn union(self, o: Inked) -> Inked {
        Inked {
            rows: (self.rows.0.min(o.rows.0), self.rows.1.max(o.rows.1)),
            columns: (
                self.columns.0.min(o.columns.0),
                self.columns.1.max(o.columns.1),
            ),
        }
    }
}

/// A glyph's (or rule's) grey level at each pixel of its bounds, row by row: 255 where
/// it leaves the ground white, [`INK`] where it covers the pixel.
struct Mask {
    width: usize,
    height: usize,
    grey: Vec<u8>,
}

/// A mask placed on the page at whole pixels.
struct Stamp<'m> {
    mask: &'m Mask,
    x: i32,
    y: i32,
}

impl Stamp<'_> {
    /// Paints the part of the mask in rows `top..top + rows` of the image into `band`
    /// (those rows, a row of [`WIDTH`] bytes each); where shapes meet, the darker grey
    /// wins. Returns the band's rows and columns painted, or `None` if none.
    fn paint(&self, band: &mut [u8], top: i32, rows: i32) -> Option<Inked> {
        let (w, h) = (self.mask.width, self.mask.height as i32);
        let (from, to) = ((top - self.y).max(0), (top + rows - self.y).min(h));
        // The mask's columns on the image, clipped once for all its rows.
        let (c0, c1) = ((-self.x).max(0), (WIDTH as i32 - self.x).min(w as i32));
        if from >= to || c0 >= c1 {
            return None;
        }
        let (c0, c1) = (c0 as usize, c1 as usize);
        let x = (self.x + c0 as i32) as usize;
        for row in from..to {
            let src = self.mask.grey.get(row as usize * w..)?.get(c0..c1)?;
            let start = (self.y + row - top) as usize * WIDTH as usize + x;
            let dst = band.get_mut(start..start + src.len())?;
            // Slices of one length, no index: the loop is vectorised (a byte-wise minimum).
            for (p, &g) in dst.iter_mut().zip(src) {
                *p = (*p).min(g);
            }
        }
        Some(Inked {
            rows: ((self.y + from - top) as usize, (self.y + to - top) as usize),
            columns: (x, x + c1 - c0),
        })
    }
}

/// A mask's index and where its top left corner goes, in pixels.
type Placement = (usize, i32, i32);

/// The page's glyphs and rules as masks placed at `scale` pixels a point. Each glyph is
/// rasterised once into a mask of its own bounds and placed wherever it occurs: a title
/// repeats its letters.
fn place(page: &Page, fonts: &FontSet, scale: f32) -> (Vec<Mask>, Vec<Placement>) {
    let mut faces: [Option<ttf_parser::Face<'_>>; 4] = [None, None, None, None];
    for id in FaceId::ALL {
        let data = fonts.face(id);
        faces[id.index()] = ttf_parser::Face::parse(&data.bytes, data.index).ok();
    }
    let mut masks: Vec<Mask> = Vec::new();
    let mut placed: Vec<Placement> = Vec::new();
    // One rasteriser and one outline, their buffers reused from glyph to glyph.
    let mut raster = Rasterizer::new(0, 0);
    let mut pen = Outline::default();
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
                pen.reset(em);
                face.outline_glyph(ttf_parser::GlyphId(g.id), &mut pen);
                let (mask, dx, dy) = pen.rasterise(&mut raster)?;
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
        if !(r.width > 0.0 && r.height > 0.0) {
            continue;
        }
        let (x0, y0) = (r.x * scale, r.y * scale);
        let (x1, y1) = (x0 + r.width * scale, y0 + r.height * scale);
        pen.reset(1.0);
        pen.move_to_px(point(x0, y0));
        pen.line_to_px(point(x1, y0));
        pen.line_to_px(point(x1, y1));
        pen.line_to_px(point(x0, y1));
        if let Some((mask, dx, dy)) = pen.rasterise(&mut raster) {
            masks.push(mask);
            placed.push((masks.len() - 1, dx, dy));
        }
    }
    (masks, placed)
}

/// An outline's pieces, in pixels.
enum Segment {
    Line(Point, Point),
    Quad(Point, Point, Point),
    Cubic(Point, Point, Point, Point),
}

/// A glyph outline gathered in pixels (font units times `em`, y down) with the bounds of
/// all its points, control points included (each curve lies within them), so its mask
/// can be sized before it is drawn.
#[derive(Default)]
struct Outline {
    segments: Vec<Segment>,
    /// The open contour's first point.
    start: Option<Point>,
    last: Point,
    min: Point,
    max: Point,
    em: f32,
}

impl Outline {
    fn reset(&mut self, em: f32) {
        self.segments.clear();
        self.start = None;
        self.min = point(f32::INFINITY, f32::INFINITY);
        self.max = point(f32::NEG_INFINITY, f32::NEG_INFINITY);
        self.em = em;
    }

    /// A point in font units, in pixels.
    fn p(&mut self, x: f32, y: f32) -> Point {
        self.bound(point(x * self.em, -y * self.em))
    }

    fn bound(&mut self, p: Point) -> Point {
        self.min = point(self.min.x.min(p.x), self.min.y.min(p.y));
        self.max = point(self.max.x.max(p.x), self.max.y.max(p.y));
        p
    }

    fn move_to_px(&mut self, p: Point) {
        self.close_px();
        let p = self.bound(p);
        self.start = Some(p);
        self.last = p;
    }

    fn line_to_px(&mut self, p: Point) {
        let p = self.bound(p);
        self.segments.push(Segment::Line(self.last, p));
        self.last = p;
    }

    /// Closes the open contour with a line to its start: the rasteriser's coverage is
    /// right only for closed contours.
    fn close_px(&mut self) {
        if let Some(s) = self.start.take() {
            if s != self.last {
                self.segments.push(Segment::Line(self.last, s));
            }
            self.last = s;
        }
    }

    /// The outline's coverage as a mask of its bounds (whole pixels), and the mask's
    /// offset; `None` for an empty outline or one larger than the image (or not finite):
    /// no such glyph fits on the cover, and its mask would be a huge allocation.
    fn rasterise(&mut self, raster: &mut Rasterizer) -> Option<(Mask, i32, i32)> {
        self.close_px();
        let (x0, y0) = (self.min.x.floor(), self.min.y.floor());
        let (x1, y1) = (self.max.x.ceil(), self.max.y.ceil());
        if self.segments.is_empty() || !(x1 - x0 <= WIDTH as f32 && y1 - y0 <= HEIGHT as f32) {
            return None;
        }
        let (width, height) = (((x1 - x0) as usize).max(1), ((y1 - y0) as usize).max(1));
        raster.reset(width, height);
        let o = |p: Point| point(p.x - x0, p.y - y0);
        for s in &self.segments {
            match *s {
                Segment::Line(a, b) => raster.draw_line(o(a), o(b)),
                Segment::Quad(a, b, c) => raster.draw_quad(o(a), o(b), o(c)),
                Segment::Cubic(a, b, c, d) => raster.draw_cubic(o(a), o(b), o(c), o(d)),
            }
        }
        // Coverage (0.0 to 1.0, or more where contours overlap) to grey, rounded.
        let mut grey = vec![255u8; width * height];
        let ink = f32::from(255 - INK);
        raster.for_each_pixel(|i, a| {
            if let Some(g) = grey.get_mut(i) {
                *g = 255 - (a.min(1.0) * ink + 0.5) as u8;
            }
        });
        let mask = Mask {
            width,
            height,
            grey,
        };
        Some((mask, x0 as i32, y0 as i32))
    }
}

impl ttf_parser::OutlineBuilder for Outline {
    fn move_to(&mut self, x: f32, y: f32) {
        let p = self.p(x, y);
        self.move_to_px(p);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        let p = self.p(x, y);
        self.line_to_px(p);
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        let (c, p) = (self.p(x1, y1), self.p(x, y));
        self.segments.push(Segment::Quad(self.last, c, p));
        self.last = p;
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        let (c1, c2, p) = (self.p(x1, y1), self.p(x2, y2), self.p(x, y));
        self.segments.push(Segment::Cubic(self.last, c1, c2, p));
        self.last = p;
    }
    fn close(&mut self) {
        self.close_px();
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
