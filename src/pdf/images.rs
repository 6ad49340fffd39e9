//! Image XObjects for the book's assets (ISO 32000-1 §8.9.5).
//!
//! JPEG is embedded as is (`/DCTDecode`). A PNG without alpha is embedded without
//! decoding too: its IDAT stream is zlib data with PNG row filters, which is exactly
//! `/FlateDecode` with `/Predictor 15` (§7.4.4.4). PNGs with an alpha channel or
//! interlacing, and other formats, are refused with an error for now.

use crate::error::Error;
use crate::model::Asset;
use crate::typeset::document::Document;
use printpdf::{DictItem, ExternalStream, ExternalXObject, Px, XObject, XObjectId};
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

/// One XObject per asset the pages place, keyed by asset index.
pub(crate) fn image_xobjects(
    doc: &Document,
    assets: &[Asset],
) -> Result<BTreeMap<usize, ImageXObject>, Error> {
    let mut out = BTreeMap::new();
    for placed in doc.pages.iter().flat_map(|p| &p.images) {
        if out.contains_key(&placed.asset) {
            continue;
        }
        let asset = assets.get(placed.asset).ok_or_else(|| {
            Error::Pdf(format!(
                "image refers to asset {} of {}",
                placed.asset,
                assets.len()
            ))
        })?;
        let image = match asset.media_type.as_str() {
            "image/jpeg" => jpeg(asset)?,
            "image/png" => png(asset)?,
            other => {
                return Err(Error::Pdf(format!(
                    "{}: {other} images are not supported in the PDF yet",
                    asset.href
                )));
            }
        };
        // Own ids: printpdf's XObjectId::new() comes from a process-global counter, which
        // would make two builds in one process differ (anchors.md §4.2).
        let id = XObjectId(format!("Im{}", placed.asset));
        out.insert(placed.asset, ImageXObject { id, ..image });
    }
    Ok(out)
}

fn jpeg(asset: &Asset) -> Result<ImageXObject, Error> {
    let (width, height, components) = jpeg_size(&asset.data)
        .ok_or_else(|| Error::Pdf(format!("{}: not a readable JPEG", asset.href)))?;
    let color_space = match components {
        1 => "DeviceGray",
        3 => "DeviceRGB",
        4 => "DeviceCMYK",
        n => {
            return Err(Error::Pdf(format!(
                "{}: JPEG with {n} components",
                asset.href
            )))
        }
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
            width: Some(Px(width as usize)),
            height: Some(Px(height as usize)),
            dpi: Some(72.0),
        }),
    })
}

fn png(asset: &Asset) -> Result<ImageXObject, Error> {
    let bad = |why: &str| Error::Pdf(format!("{}: {why}", asset.href));
    let data = &asset.data;
    if data.get(..8) != Some(b"\x89PNG\r\n\x1a\n".as_slice()) {
        return Err(bad("not a PNG"));
    }
    let (mut ihdr, mut palette, mut idat) = (None, Vec::new(), Vec::new());
    let mut i = 8;
    while let Some(head) = data.get(i..i + 8) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let body = data
            .get(i + 8..i + 8 + len)
            .ok_or_else(|| bad("truncated PNG"))?;
        match &head[4..8] {
            b"IHDR" => ihdr = Some(body.to_vec()),
            b"PLTE" => palette = body.to_vec(),
            b"IDAT" => idat.extend_from_slice(body),
            b"IEND" => break,
            _ => {}
        }
        i += 12 + len;
    }
    let h = ihdr
        .filter(|h| h.len() >= 13)
        .ok_or_else(|| bad("PNG without IHDR"))?;
    let width = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    let height = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
    let (depth, color, interlace) = (h[8], h[9], h[12]);
    if interlace != 0 {
        return Err(bad("interlaced PNGs are not supported in the PDF yet"));
    }
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
        _ => {
            return Err(bad(
                "PNGs with transparency are not supported in the PDF yet",
            ))
        }
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
            width: Some(Px(width as usize)),
            height: Some(Px(height as usize)),
            dpi: Some(72.0),
        }),
    })
}

/// Width, height and component count from a JPEG's start-of-frame segment.
fn jpeg_size(data: &[u8]) -> Option<(u32, u32, u8)> {
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
