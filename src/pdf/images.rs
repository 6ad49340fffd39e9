//! Image XObjects for the book's assets (ISO 32000-1 §8.9.5).
//!
//! JPEG is embedded as is (`/DCTDecode`): the PDF viewer decodes it, nothing is
//! recompressed. Other formats are not embedded yet (see `write`'s error).

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
