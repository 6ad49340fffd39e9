//! The book's images as the PDF needs them: their intrinsic size (for the layout) and,
//! for formats a PDF cannot hold as they are, their pixels (for the writer).
//!
//! A PDF takes JPEG (`/DCTDecode`) and opaque, non-interlaced PNG data (`/FlateDecode`
//! with the PNG predictors, ISO 32000-1 §7.4.4.4) without decoding; the writer embeds
//! those bytes unchanged. Everything else an EPUB may hold (EPUB 3.3 §3.2 core media
//! types: PNG with transparency, GIF, WebP, SVG) is decoded here with the format's own
//! crate (png, gif, image-webp) or rasterised with resvg, into 8-bit pixels with an
//! optional alpha channel that printpdf writes as an image with a soft mask (§11.6.5.3).
//!
//! Everything here is a pure function of the bytes (and, for SVG text, of the book's
//! fonts): no system font, no file outside the asset is ever read.

use crate::model::{Asset, ImageKind};
use std::io::Cursor;

/// Decoded images larger than this many pixels are refused: a 60-megapixel RGBA image
/// is 240 MB, and a crafted header can claim far more than the file holds.
const MAX_PIXELS: u64 = 60_000_000;

/// SVG is rasterised at this resolution (dots per inch of its CSS size, 96 px = 1 in):
/// print resolution for a figure placed at its natural size.
const SVG_DPI: f32 = 300.0;

/// The longest side of a rasterised SVG, in pixels: enough for a full-width figure at
/// 300 dpi on an A4 or Letter page (about 6.5 in), whatever size the SVG claims.
const SVG_MAX_SIDE: f32 = 2400.0;

/// Why an image could not be decoded (the caller names the asset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageError(pub String);

/// An image's natural size in CSS pixels (1/96 in): pixels for bitmaps, the `width` and
/// `height` (or `viewBox`) of an SVG. `None` when the header cannot be read.
pub fn intrinsic_size(asset: &Asset) -> Option<(f32, f32)> {
    let data = asset.data.as_slice();
    let size = match asset.kind {
        ImageKind::Png => {
            let ihdr = data.get(16..24)?;
            let w = u32::from_be_bytes([ihdr[0], ihdr[1], ihdr[2], ihdr[3]]);
            let h = u32::from_be_bytes([ihdr[4], ihdr[5], ihdr[6], ihdr[7]]);
            (w as f32, h as f32)
        }
        ImageKind::Gif => {
            // Logical screen width and height (GIF89a spec §18), little-endian.
            let screen = data.get(6..10)?;
            let w = u16::from_le_bytes([screen[0], screen[1]]);
            let h = u16::from_le_bytes([screen[2], screen[3]]);
            (f32::from(w), f32::from(h))
        }
        ImageKind::Jpeg => {
            let (w, h, _) = jpeg_frame(data)?;
            (w as f32, h as f32)
        }
        ImageKind::Webp => {
            let decoder = image_webp::WebPDecoder::new(Cursor::new(data)).ok()?;
            let (w, h) = decoder.dimensions();
            (w as f32, h as f32)
        }
        ImageKind::Svg => {
            let tree = svg_tree(data, None).ok()?;
            let size = tree.size();
            (size.width(), size.height())
        }
    };
    (size.0 >= 1.0 && size.1 >= 1.0 && size.0.is_finite() && size.1.is_finite()).then_some(size)
}

/// Width, height and number of colour components from a JPEG's start-of-frame segment
/// (ITU T.81 §B.2.2).
pub fn jpeg_frame(data: &[u8]) -> Option<(u32, u32, u8)> {
    if data.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut i = 2;
    loop {
        while *data.get(i)? != 0xFF {
            i += 1;
        }
        while *data.get(i)? == 0xFF {
            i += 1;
        }
        let marker = *data.get(i)?;
        i += 1;
        // Standalone markers (RSTn, SOI, EOI, TEM) carry no length.
        if (0xD0..=0xD9).contains(&marker) || marker == 0x01 {
            continue;
        }
        let len = usize::from(u16::from_be_bytes([*data.get(i)?, *data.get(i + 1)?]));
        // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            let h = u16::from_be_bytes([*data.get(i + 3)?, *data.get(i + 4)?]);
            let w = u16::from_be_bytes([*data.get(i + 5)?, *data.get(i + 6)?]);
            let n = *data.get(i + 7)?;
            return Some((u32::from(w), u32::from(h), n));
        }
        i += len;
    }
}

/// Decoded pixels, 8 bits per sample, rows top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pixels {
    pub width: u32,
    pub height: u32,
    /// Gray or RGB.
    pub color: Color,
    /// `width × height × (channels + 1 if alpha)` bytes, interleaved.
    pub data: Vec<u8>,
    /// Whether each pixel ends with an alpha sample.
    pub alpha: bool,
}

/// The colour model of [`Pixels`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Gray,
    Rgb,
}

/// Whether the PDF can take this PNG's bytes as they are: not interlaced, no alpha
/// channel and no `tRNS` transparency (which `/FlateDecode` data cannot carry).
pub fn png_is_passthrough(data: &[u8]) -> bool {
    let Some(ihdr) = data.get(16..29) else {
        return false;
    };
    let (color, interlace) = (ihdr[9], ihdr[12]);
    if interlace != 0 || color == 4 || color == 6 {
        return false;
    }
    !png_chunks(data).any(|kind| kind == *b"tRNS")
}

/// The chunk types of a PNG, in order (PNG spec §5.3), until the data ends or breaks.
fn png_chunks(data: &[u8]) -> impl Iterator<Item = [u8; 4]> + '_ {
    let mut i = 8;
    std::iter::from_fn(move || {
        let head = data.get(i..i + 8)?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = [head[4], head[5], head[6], head[7]];
        i = i.checked_add(12)?.checked_add(len)?;
        Some(kind)
    })
}

/// Decodes a PNG, GIF (its first frame) or WebP image, or rasterises an SVG (its text
/// set in `fonts`, each a TrueType/OpenType file), into pixels.
pub fn decode(asset: &Asset, fonts: &[&[u8]]) -> Result<Pixels, ImageError> {
    let pixels = match asset.kind {
        ImageKind::Png => decode_png(&asset.data),
        ImageKind::Gif => decode_gif(&asset.data),
        ImageKind::Webp => decode_webp(&asset.data),
        ImageKind::Svg => rasterise_svg(&asset.data, fonts),
        // A JPEG goes into the PDF as it is (DCTDecode), never through pixels.
        ImageKind::Jpeg => Err("JPEG images are embedded as they are, not decoded".into()),
    };
    pixels.map(drop_opaque_alpha).map_err(ImageError)
}

fn check_size(width: u32, height: u32) -> Result<(), String> {
    if width == 0 || height == 0 {
        return Err("the image is empty".into());
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(format!(
            "the image is {width}×{height} pixels, more than the {} megapixels quire decodes",
            MAX_PIXELS / 1_000_000
        ));
    }
    Ok(())
}

fn decode_png(data: &[u8]) -> Result<Pixels, String> {
    use png::{BitDepth, ColorType, Transformations};
    let mut decoder = png::Decoder::new_with_limits(
        Cursor::new(data),
        png::Limits {
            bytes: (MAX_PIXELS * 4) as usize,
        },
    );
    // Palette and low bit depths expanded to 8-bit gray/RGB, `tRNS` to an alpha
    // channel, 16-bit samples cut to 8 (PNG spec §13.12).
    decoder.set_transformations(Transformations::EXPAND | Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| format!("bad PNG: {e}"))?;
    let (width, height) = reader.info().size();
    check_size(width, height)?;
    let size = reader
        .output_buffer_size()
        .ok_or("the PNG is too large to decode")?;
    let mut buf = vec![0; size];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| format!("bad PNG: {e}"))?;
    buf.truncate(info.buffer_size());
    if info.bit_depth != BitDepth::Eight {
        return Err(format!("unexpected PNG bit depth {:?}", info.bit_depth));
    }
    let (color, alpha) = match info.color_type {
        ColorType::Grayscale => (Color::Gray, false),
        ColorType::GrayscaleAlpha => (Color::Gray, true),
        ColorType::Rgb => (Color::Rgb, false),
        ColorType::Rgba => (Color::Rgb, true),
        ColorType::Indexed => return Err("the PNG palette was not expanded".into()),
    };
    Ok(Pixels {
        width,
        height,
        color,
        data: buf,
        alpha,
    })
}

/// The first frame of a GIF, placed on its logical screen (transparent elsewhere), the
/// way a browser shows a GIF that is not animated.
fn decode_gif(data: &[u8]) -> Result<Pixels, String> {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    options.set_memory_limit(gif::MemoryLimit::Bytes(
        std::num::NonZeroU64::new(MAX_PIXELS * 4).ok_or("memory limit")?,
    ));
    let mut decoder = options
        .read_info(Cursor::new(data))
        .map_err(|e| format!("bad GIF: {e}"))?;
    let (width, height) = (u32::from(decoder.width()), u32::from(decoder.height()));
    check_size(width, height)?;
    let frame = decoder
        .read_next_frame()
        .map_err(|e| format!("bad GIF: {e}"))?
        .ok_or("the GIF has no image")?;
    let mut canvas = vec![0u8; width as usize * height as usize * 4];
    let (fw, fh) = (usize::from(frame.width), usize::from(frame.height));
    let (left, top) = (usize::from(frame.left), usize::from(frame.top));
    for row in 0..fh {
        let y = top + row;
        if y >= height as usize || left >= width as usize {
            continue;
        }
        let n = fw.min(width as usize - left);
        let (Some(src), Some(dst)) = (
            frame.buffer.get(row * fw * 4..(row * fw + n) * 4),
            canvas.get_mut((y * width as usize + left) * 4..(y * width as usize + left + n) * 4),
        ) else {
            continue;
        };
        dst.copy_from_slice(src);
    }
    Ok(Pixels {
        width,
        height,
        color: Color::Rgb,
        data: canvas,
        alpha: true,
    })
}

fn decode_webp(data: &[u8]) -> Result<Pixels, String> {
    let mut decoder =
        image_webp::WebPDecoder::new(Cursor::new(data)).map_err(|e| format!("bad WebP: {e}"))?;
    let (width, height) = decoder.dimensions();
    check_size(width, height)?;
    decoder.set_memory_limit((MAX_PIXELS * 4) as usize);
    let alpha = decoder.has_alpha();
    let size = decoder
        .output_buffer_size()
        .ok_or("the WebP image is too large to decode")?;
    let mut buf = vec![0; size];
    decoder
        .read_image(&mut buf)
        .map_err(|e| format!("bad WebP: {e}"))?;
    Ok(Pixels {
        width,
        height,
        color: Color::Rgb,
        data: buf,
        alpha,
    })
}

/// Parses an SVG with no access to files or system fonts: `<image>` references are not
/// followed, and text is set in `fonts` (the book's faces) or not at all.
fn svg_tree(data: &[u8], fonts: Option<&[&[u8]]>) -> Result<resvg::usvg::Tree, String> {
    let mut options = resvg::usvg::Options {
        image_href_resolver: resvg::usvg::ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(|_, _| None),
        },
        ..Default::default()
    };
    if let Some(fonts) = fonts {
        let db = options.fontdb_mut();
        for font in fonts {
            db.load_font_data(font.to_vec());
        }
        // Every generic family resolves to the book's first face (its regular text face).
        let first = db
            .faces()
            .next()
            .and_then(|face| face.families.first())
            .map(|(name, _)| name.clone());
        if let Some(family) = first {
            db.set_serif_family(family.clone());
            db.set_sans_serif_family(family.clone());
            db.set_monospace_family(family.clone());
            db.set_cursive_family(family.clone());
            db.set_fantasy_family(family.clone());
            options.font_family = family;
        }
    }
    resvg::usvg::Tree::from_data(data, &options).map_err(|e| format!("bad SVG: {e}"))
}

fn rasterise_svg(data: &[u8], fonts: &[&[u8]]) -> Result<Pixels, String> {
    let tree = svg_tree(data, Some(fonts))?;
    let size = tree.size();
    let scale = (SVG_DPI / 96.0).min(SVG_MAX_SIDE / size.width().max(size.height()));
    let width = (size.width() * scale).ceil().max(1.0) as u32;
    let height = (size.height() * scale).ceil().max(1.0) as u32;
    check_size(width, height)?;
    let mut pixmap =
        resvg::tiny_skia::Pixmap::new(width, height).ok_or("the SVG has no area to draw")?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    // tiny-skia stores premultiplied RGBA; the PDF's soft mask wants straight alpha.
    let data = pixmap
        .pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        })
        .collect();
    Ok(Pixels {
        width,
        height,
        color: Color::Rgb,
        data,
        alpha: true,
    })
}

/// Drops an alpha channel that is opaque everywhere: no soft mask to write.
fn drop_opaque_alpha(pixels: Pixels) -> Pixels {
    if !pixels.alpha {
        return pixels;
    }
    let stride = match pixels.color {
        Color::Gray => 2,
        Color::Rgb => 4,
    };
    if pixels
        .data
        .chunks_exact(stride)
        .any(|p| p[stride - 1] != 255)
    {
        return pixels;
    }
    let data = pixels
        .data
        .chunks_exact(stride)
        .flat_map(|p| p[..stride - 1].iter().copied())
        .collect();
    Pixels {
        data,
        alpha: false,
        ..pixels
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn asset(media_type: &str, data: Vec<u8>) -> Asset {
        let kind = match media_type {
            "image/png" => ImageKind::Png,
            "image/gif" => ImageKind::Gif,
            "image/jpeg" => ImageKind::Jpeg,
            "image/webp" => ImageKind::Webp,
            _ => ImageKind::Svg,
        };
        Asset {
            path: "x".into(),
            href: "images/x".into(),
            kind,
            data,
        }
    }

    /// A PNG encoded with the png crate: `color` RGBA or RGB pixels, `interlaced` or not.
    fn png_file(width: u32, height: u32, rgba: &[u8], alpha: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(if alpha {
            png::ColorType::Rgba
        } else {
            png::ColorType::Rgb
        });
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(rgba).unwrap();
        writer.finish().unwrap();
        out
    }

    #[test]
    fn a_png_with_alpha_decodes_to_rgb_with_its_alpha() {
        let data = png_file(2, 1, &[255, 0, 0, 128, 0, 0, 255, 255], true);
        assert!(!png_is_passthrough(&data));
        let px = decode(&asset("image/png", data), &[]).unwrap();
        assert_eq!(
            (px.width, px.height, px.color, px.alpha),
            (2, 1, Color::Rgb, true)
        );
        assert_eq!(px.data, vec![255, 0, 0, 128, 0, 0, 255, 255]);
    }

    #[test]
    fn an_opaque_alpha_channel_is_dropped() {
        let data = png_file(1, 1, &[10, 20, 30, 255], true);
        let px = decode(&asset("image/png", data), &[]).unwrap();
        assert!(!px.alpha);
        assert_eq!(px.data, vec![10, 20, 30]);
    }

    #[test]
    fn an_opaque_png_is_embedded_as_it_is() {
        let data = png_file(1, 1, &[10, 20, 30], false);
        assert!(png_is_passthrough(&data));
        assert_eq!(intrinsic_size(&asset("image/png", data)), Some((1.0, 1.0)));
    }

    #[test]
    fn a_gif_frame_is_placed_on_its_screen() {
        // A 2×2 screen whose one frame is the 1×1 pixel at (1, 1), opaque red.
        let mut out = Vec::new();
        {
            let mut encoder = gif::Encoder::new(&mut out, 2, 2, &[]).unwrap();
            let mut frame = gif::Frame::from_rgba(1, 1, &mut [255, 0, 0, 255]);
            frame.left = 1;
            frame.top = 1;
            encoder.write_frame(&frame).unwrap();
        }
        let gif = asset("image/gif", out);
        assert_eq!(intrinsic_size(&gif), Some((2.0, 2.0)));
        let px = decode(&gif, &[]).unwrap();
        assert!(px.alpha);
        assert_eq!(
            &px.data[..4],
            &[0, 0, 0, 0],
            "outside the frame: transparent"
        );
        assert_eq!(&px.data[12..16], &[255, 0, 0, 255]);
    }

    #[test]
    fn an_svg_has_its_css_size_and_rasterises_at_print_resolution() {
        let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" width="96" height="48">
            <rect x="0" y="0" width="48" height="48" fill="#00f"/></svg>"##;
        let a = asset("image/svg+xml", svg.to_vec());
        assert_eq!(intrinsic_size(&a), Some((96.0, 48.0)));
        let px = decode(&a, &[]).unwrap();
        // 1 in × 0.5 in at 300 dpi.
        assert_eq!((px.width, px.height), (300, 150));
        assert!(px.alpha, "the right half is transparent");
        let left = &px.data[..4];
        assert_eq!(left, &[0, 0, 255, 255]);
        let right = &px.data[(299 * 4)..(300 * 4)];
        assert_eq!(right[3], 0);
    }

    #[test]
    fn an_svg_never_reads_files_it_names() {
        // A file that exists and would cover the whole picture if it were read: an SVG
        // (resvg is built without its raster-images feature: a PNG would draw nothing).
        let dir = tempfile::tempdir().unwrap();
        let red = dir.path().join("red.svg");
        std::fs::write(
            &red,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/></svg>"#,
        )
        .unwrap();
        let svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">
            <image width="10" height="10" xlink:href="{}"/></svg>"#,
            red.display()
        );
        let px = decode(&asset("image/svg+xml", svg.into_bytes()), &[]).unwrap();
        assert_eq!((px.width, px.height), (32, 32));
        assert!(px.data.chunks(4).all(|p| p[3] == 0), "nothing drawn");
    }

    #[test]
    fn svg_text_is_set_in_the_given_fonts() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="100" height="40">
            <text x="5" y="30" font-size="30" font-family="NoSuchFont">Hi</text></svg>"#;
        let a = asset("image/svg+xml", svg.to_vec());
        let blank = decode(&a, &[]).unwrap();
        assert!(blank.data.chunks(4).all(|p| p[3] == 0), "no fonts: no text");
        let fonts = crate::fonts::FontSet::embedded();
        let face = fonts.face(crate::fonts::FaceId::Regular);
        let inked = decode(&a, &[&face.bytes[..]]).unwrap();
        assert!(inked.data.chunks(4).any(|p| p[3] > 0), "text drawn");
    }

    #[test]
    fn huge_or_broken_headers_are_errors_not_allocations() {
        // A PNG header claiming 100000 × 100000 pixels.
        let mut data = png_file(1, 1, &[0, 0, 0], false);
        data[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        data[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(decode(&asset("image/png", data), &[]).is_err());
        assert!(decode(&asset("image/gif", b"GIF89a".to_vec()), &[]).is_err());
        assert!(decode(&asset("image/webp", b"RIFF\0\0\0\0WEBP".to_vec()), &[]).is_err());
        assert!(decode(&asset("image/svg+xml", b"<svg".to_vec()), &[]).is_err());
    }
}
