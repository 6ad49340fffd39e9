//! Image XObjects for the book's assets (ISO 32000-1 §8.9.5).
//!
//! JPEG is embedded as is (`/DCTDecode`). An opaque, non-interlaced PNG is embedded
//! without decoding too: its IDAT stream is zlib data with PNG row filters, which is
//! exactly `/FlateDecode` with `/Predictor 15` (§7.4.4.4). Every other image (PNG with
//! transparency or interlacing, GIF, WebP, SVG) is decoded by [`crate::image`] into
//! pixels, which printpdf writes as a `/FlateDecode` image with an `/SMask` for its
//! alpha (§11.6.5.3).

use crate::error::{Error, PdfError};
use crate::fonts::FontSet;
use crate::image::{Color, Pixels};
use crate::model::{Asset, ImageKind};
use crate::typeset::document::{Document, FaceId};
use printpdf::{
    DictItem, ExternalStream, ExternalXObject, Px, RawImage, RawImageData, RawImageFormat, XObject,
    XObjectId,
};
use std::collections::BTreeMap;

/// An image ready to place.
pub(crate) struct ImageXObject {
    /// Resource name.
    pub id: XObjectId,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// The XObject for printpdf's resources.
    pub xobject: XObject,
}

/// One XObject per asset the pages place, keyed by asset index. `fonts` set the text
/// of SVG images.
pub(crate) fn image_xobjects(
    doc: &Document,
    assets: &[Asset],
    fonts: &FontSet,
) -> Result<BTreeMap<usize, ImageXObject>, Error> {
    let mut out = BTreeMap::new();
    for placed in doc.pages.iter().flat_map(|p| &p.images) {
        if out.contains_key(&placed.asset) {
            continue;
        }
        let asset = assets.get(placed.asset).ok_or(PdfError::UnknownAsset {
            index: placed.asset,
            count: assets.len(),
        })?;
        let image = match asset.kind {
            ImageKind::Jpeg => jpeg(asset)?,
            ImageKind::Png if crate::image::png_is_passthrough(&asset.data) => png(asset)?,
            _ => {
                let faces = [
                    FaceId::Regular,
                    FaceId::Italic,
                    FaceId::Bold,
                    FaceId::BoldItalic,
                ]
                .map(|id| &fonts.face(id).bytes[..]);
                let pixels =
                    crate::image::decode(asset, &faces).map_err(|e| image_error(asset, &e.0))?;
                raw_image(asset, pixels)?
            }
        };
        // Own ids: printpdf's XObjectId::new() comes from a process-global counter, which
        // would make two builds in one process differ (anchors.md §4.2).
        let id = XObjectId(format!("Im{}", placed.asset));
        out.insert(placed.asset, ImageXObject { id, ..image });
    }
    Ok(out)
}

/// Why `asset` cannot be embedded.
fn image_error(asset: &Asset, reason: &str) -> Error {
    Error::Pdf(PdfError::Image {
        asset: asset.href.clone(),
        reason: reason.to_string(),
    })
}

/// An image's pixel size as printpdf takes it.
fn pixel_count(asset: &Asset, n: u32) -> Result<usize, Error> {
    usize::try_from(n).map_err(|_| image_error(asset, "too many pixels for this machine"))
}

/// Decoded pixels as printpdf's raw image: it splits off the alpha into a soft mask and
/// compresses both (printpdf's `raw_image_to_basic_stream`).
fn raw_image(asset: &Asset, pixels: Pixels) -> Result<ImageXObject, Error> {
    let format = match (pixels.color, pixels.alpha) {
        (Color::Gray, false) => RawImageFormat::R8,
        (Color::Gray, true) => RawImageFormat::RG8,
        (Color::Rgb, false) => RawImageFormat::RGB8,
        (Color::Rgb, true) => RawImageFormat::RGBA8,
    };
    Ok(ImageXObject {
        id: XObjectId(String::new()),
        width: pixels.width,
        height: pixels.height,
        xobject: XObject::Image(RawImage {
            width: pixel_count(asset, pixels.width)?,
            height: pixel_count(asset, pixels.height)?,
            pixels: RawImageData::U8(pixels.data),
            data_format: format,
            tag: Vec::new(),
        }),
    })
}

fn jpeg(asset: &Asset) -> Result<ImageXObject, Error> {
    let (width, height, components) = crate::image::jpeg_frame(&asset.data)
        .ok_or_else(|| image_error(asset, "not a readable JPEG"))?;
    let color_space = match components {
        1 => "DeviceGray",
        3 => "DeviceRGB",
        4 => "DeviceCMYK",
        n => return Err(image_error(asset, &format!("JPEG with {n} components"))),
    };
    let mut dict = BTreeMap::new();
    dict.insert("Type".to_string(), DictItem::Name(b"XObject".to_vec()));
    dict.insert("Subtype".to_string(), DictItem::Name(b"Image".to_vec()));
    dict.insert("Width".to_string(), DictItem::Int(i64::from(width)));
    dict.insert("Height".to_string(), DictItem::Int(i64::from(height)));
    dict.insert(
        "ColorSpace".to_string(),
        DictItem::Name(color_space.as_bytes().to_vec()),
    );
    dict.insert("BitsPerComponent".to_string(), DictItem::Int(8));
    dict.insert("Filter".to_string(), DictItem::Name(b"DCTDecode".to_vec()));
    if components == 4 {
        // Adobe writes CMYK JPEGs inverted (the APP14 convention every viewer follows).
        dict.insert(
            "Decode".to_string(),
            DictItem::Array([1, 0, 1, 0, 1, 0, 1, 0].map(DictItem::Int).to_vec()),
        );
    }
    Ok(ImageXObject {
        id: XObjectId(String::new()),
        width,
        height,
        xobject: XObject::External(ExternalXObject {
            stream: ExternalStream {
                dict,
                content: asset.data.clone(),
                compress: false,
            },
            width: Some(Px(pixel_count(asset, width)?)),
            height: Some(Px(pixel_count(asset, height)?)),
            dpi: Some(72.0),
        }),
    })
}

fn png(asset: &Asset) -> Result<ImageXObject, Error> {
    let bad = |why: &str| image_error(asset, why);
    let data = &asset.data;
    if data.get(..8) != Some(b"\x89PNG\r\n\x1a\n".as_slice()) {
        return Err(bad("not a PNG"));
    }
    let (mut ihdr, mut palette, mut idat) = (None, Vec::new(), Vec::new());
    let mut i = 8usize;
    while let Some(head) = data.get(i..i.saturating_add(8)) {
        // A chunk: length, type, body, CRC (PNG §5.3); the length is the file's word, so
        // the arithmetic is checked.
        let len = usize::try_from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]))
            .map_err(|_| bad("truncated PNG"))?;
        let body_start = i + 8;
        let body = body_start
            .checked_add(len)
            .and_then(|end| data.get(body_start..end))
            .ok_or_else(|| bad("truncated PNG"))?;
        match &head[4..8] {
            b"IHDR" => ihdr = Some(body.to_vec()),
            b"PLTE" => palette = body.to_vec(),
            b"IDAT" => idat.extend_from_slice(body),
            b"IEND" => break,
            _ => {}
        }
        i = body_start + len + 4;
    }
    let h = ihdr
        .filter(|h| h.len() >= 13)
        .ok_or_else(|| bad("PNG without IHDR"))?;
    let width = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let height = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
    // Only called for PNGs `png_is_passthrough` accepts: not interlaced, no alpha.
    let (depth, color) = (h[8], h[9]);
    let (color_space, colors) = match color {
        0 => (DictItem::Name(b"DeviceGray".to_vec()), 1),
        2 => (DictItem::Name(b"DeviceRGB".to_vec()), 3),
        3 if !palette.is_empty() => (
            DictItem::Array(vec![
                DictItem::Name(b"Indexed".to_vec()),
                DictItem::Name(b"DeviceRGB".to_vec()),
                DictItem::Int((palette.len() / 3) as i64 - 1),
                DictItem::String {
                    data: palette,
                    literal: false,
                },
            ]),
            1,
        ),
        _ => return Err(bad("PNG with a colour type the PDF cannot take as it is")),
    };
    let parms = BTreeMap::from([
        ("Predictor".to_string(), DictItem::Int(15)),
        ("Colors".to_string(), DictItem::Int(colors)),
        (
            "BitsPerComponent".to_string(),
            DictItem::Int(i64::from(depth)),
        ),
        ("Columns".to_string(), DictItem::Int(i64::from(width))),
    ]);
    let dict = BTreeMap::from([
        ("Type".to_string(), DictItem::Name(b"XObject".to_vec())),
        ("Subtype".to_string(), DictItem::Name(b"Image".to_vec())),
        ("Width".to_string(), DictItem::Int(i64::from(width))),
        ("Height".to_string(), DictItem::Int(i64::from(height))),
        ("ColorSpace".to_string(), color_space),
        (
            "BitsPerComponent".to_string(),
            DictItem::Int(i64::from(depth)),
        ),
        (
            "Filter".to_string(),
            DictItem::Name(b"FlateDecode".to_vec()),
        ),
        ("DecodeParms".to_string(), DictItem::Dict { map: parms }),
    ]);
    Ok(ImageXObject {
        id: XObjectId(String::new()),
        width,
        height,
        xobject: XObject::External(ExternalXObject {
            stream: ExternalStream {
                dict,
                content: idat,
                compress: false,
            },
            width: Some(Px(pixel_count(asset, width)?)),
            height: Some(Px(pixel_count(asset, height)?)),
            dpi: Some(72.0),
        }),
    })
}
