//! The PDF writer: a typeset [`Document`] → PDF bytes, 1:1, with no layout decisions.
//!
//! printpdf 0.12.8 (the user's choice) writes the pages: glyph runs as
//! `TextItem::GlyphIds`, rules, images and link annotations. quire fills its gaps
//! (anchors.md §4.2) around it:
//! - fonts are subset here ([`subset`]) because printpdf subsets only with `text_layout`;
//! - every resource id is quire's own, not printpdf's process-global random ids, so two
//!   builds in one process are byte-identical;
//! - after `to_lopdf_document`, lopdf adds the nested outline ([`outline`]), the
//!   information dictionary and XMP ([`metadata`]), a minimal structure tree
//!   ([`structure`]), `/Lang`, `/ViewerPreferences` and a content-hash `/ID`, then
//!   compresses the streams.

mod content;
mod images;
mod metadata;
mod outline;
mod structure;
mod subset;

use crate::error::Error;
use crate::fonts::FontSet;
use crate::model::Asset;
use crate::typeset::document::Document;
use lopdf::{Dictionary, Object, StringFormat};
use printpdf::{PdfDocument, PdfFont, PdfSaveOptions, PrintpdfFontMeta};
use sha2::{Digest, Sha256};

/// Write `doc` as a PDF. `assets` are the book's assets, indexed by
/// [`crate::typeset::document::PlacedImage::asset`].
///
/// The same input gives the same bytes, also for repeated calls in one process.
pub fn write(doc: &Document, fonts: &FontSet, assets: &[Asset]) -> Result<Vec<u8>, Error> {
    let faces = subset::embed_faces(doc, fonts)?;
    let images = images::image_xobjects(doc, assets)?;

    let mut pdf = PdfDocument::new(&doc.info.title);
    for face in faces.values() {
        let meta = PrintpdfFontMeta {
            requires_subsetting: false,
            ..PrintpdfFontMeta::default()
        };
        pdf.resources
            .fonts
            .map
            .insert(face.id.clone(), PdfFont::with_meta(face.font.clone(), meta));
    }
    for image in images.values() {
        pdf.resources
            .xobjects
            .map
            .insert(image.id.clone(), image.xobject.clone());
    }
    let mut marked_runs = Vec::with_capacity(doc.pages.len());
    for page in &doc.pages {
        let (pdf_page, runs) = content::page_ops(doc, page, &faces, &images);
        pdf.pages.push(pdf_page);
        marked_runs.push(runs);
    }

    // `optimize` only matters for printpdf's own save; subsetting is done already.
    let opts = PdfSaveOptions {
        optimize: false,
        subset_fonts: false,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut lo = pdf.to_lopdf_document(&opts, &mut warnings);
    if let Some(w) = warnings
        .iter()
        .find(|w| matches!(w.severity, printpdf::PdfParseErrorSeverity::Error))
    {
        return Err(Error::Pdf(w.msg.clone()));
    }
    drop_printpdf_info(&mut lo);
    finish(&mut lo, doc, &marked_runs)?;
    save(&mut lo)
}

/// printpdf writes its own information dictionary (with a random /ID and clock dates we
/// replace) as the last object; [`finish`] writes quire's. Removing printpdf's by id,
/// and giving its number back when it is the last one, leaves the same object numbers a
/// prune-and-renumber pass would, without lopdf's whole-document traversals (its
/// `traverse_objects` checks each reference against a Vec of those seen: quadratic in
/// the number of objects, half of the novel's build time).
fn drop_printpdf_info(lo: &mut lopdf::Document) {
    let Ok(id) = lo.trailer.get(b"Info").and_then(Object::as_reference) else {
        return;
    };
    // The trailer's /Info entry stays (it keeps its place in the trailer) until
    // `finish` points it at quire's dictionary.
    lo.objects.remove(&id);
    if id.0 == lo.max_id {
        lo.max_id -= 1;
    }
}

/// The lopdf post-processing: catalog entries, outline, metadata, structure, /ID.
fn finish(lo: &mut lopdf::Document, doc: &Document, marked_runs: &[usize]) -> Result<(), Error> {
    // /Lang, XMP and the structure tree are PDF 1.4+; everything else is older.
    lo.version = "1.7".to_string();
    let catalog_id = lo
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|e| Error::Pdf(format!("printpdf wrote no catalog: {e}")))?;
    let pages: Vec<_> = lo.get_pages().into_values().collect();

    let outline = outline::add_outline(lo, &doc.outline, &pages, content::finite(doc.height));
    let xmp = lo.add_object(metadata::xmp_stream(&doc.info));
    structure::add_structure(lo, &pages, marked_runs, catalog_id);

    // Print-only flag on every link (§12.5.3): links are not printed as boxes anyway,
    // and PDF/A requires the flag.
    for &page in &pages {
        if let Ok(Object::Array(annots)) = lo
            .get_dictionary_mut(page)
            .and_then(|p| p.get_mut(b"Annots"))
        {
            for annot in annots.iter_mut() {
                if let Object::Dictionary(a) = annot {
                    a.set("F", Object::Integer(4));
                }
            }
        }
    }

    let cat = lo
        .get_dictionary_mut(catalog_id)
        .map_err(|e| Error::Pdf(e.to_string()))?;
    if !doc.info.lang.is_empty() {
        cat.set("Lang", metadata::text_string(&doc.info.lang));
    }
    cat.set("Metadata", Object::Reference(xmp));
    // Show the title, not the file name, in the viewer's title bar (PDF/UA asks for it).
    cat.set(
        "ViewerPreferences",
        Dictionary::from_iter(vec![("DisplayDocTitle", Object::Boolean(true))]),
    );
    match outline {
        Some(id) => {
            cat.set("Outlines", Object::Reference(id));
            cat.set("PageMode", Object::Name(b"UseOutlines".to_vec()));
        }
        None => cat.set("PageMode", Object::Name(b"UseNone".to_vec())),
    }

    let info = lo.add_object(metadata::info_dict(&doc.info));
    lo.trailer.set("Info", Object::Reference(info));
    Ok(())
}

/// Compress and save once with a placeholder `/ID`, then write the hash of those bytes
/// into the placeholder (§14.4: the ID should be a digest of the file's content). The
/// placeholder has the ID's exact length, so nothing else moves.
///
/// Objects go into compressed object streams with a cross-reference stream (PDF 1.5,
/// §7.5.7–7.5.8): the structure tree has one small dictionary per text run, and packing
/// them halves the file.
fn save(lo: &mut lopdf::Document) -> Result<Vec<u8>, Error> {
    compress_streams(lo);
    lo.trailer.set("ID", id_array(ID_PLACEHOLDER));
    let mut out = Vec::new();
    lo.save_modern(&mut out)
        .map_err(|e| Error::Pdf(e.to_string()))?;
    let placeholder = hex_upper(&ID_PLACEHOLDER);
    let digest = Sha256::digest(&out);
    let id = hex_upper(&digest[..16]);
    let mut replaced = 0;
    let mut i = 0;
    while let Some(at) = find(&out[i..], placeholder.as_bytes()) {
        let start = i + at;
        out[start..start + id.len()].copy_from_slice(id.as_bytes());
        i = start + id.len();
        replaced += 1;
    }
    if replaced != 2 {
        return Err(Error::Pdf(format!(
            "document ID written {replaced} times, expected 2"
        )));
    }
    Ok(out)
}

/// zlib level for the streams (content streams, font programs, ToUnicode CMaps). On the
/// essay ×10, level 9 (lopdf's) made the PDF 3% smaller than 6 for 35% more build time;
/// level 3 was 14% larger for little gain in time.
const ZLIB_LEVEL: u32 = 6;

/// Flate-compress every stream that allows it and has no filter yet, when that saves
/// bytes (the rule lopdf's `Stream::compress` applies, at a lower level).
fn compress_streams(lo: &mut lopdf::Document) {
    use std::io::Write as _;
    let level = flate2::Compression::new(ZLIB_LEVEL);
    for object in lo.objects.values_mut() {
        let Object::Stream(stream) = object else {
            continue;
        };
        if !stream.allows_compression || stream.dict.get(b"Filter").is_ok() {
            continue;
        }
        let mut encoder = flate2::write::ZlibEncoder::new(
            Vec::with_capacity(stream.content.len() / 3),
            level,
        );
        if encoder.write_all(&stream.content).is_err() {
            continue;
        }
        let Ok(compressed) = encoder.finish() else {
            continue;
        };
        if compressed.len() + 19 < stream.content.len() {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(compressed);
        }
    }
}

/// Bytes no digest-derived content will contain by chance in an ASCII-hex string.
const ID_PLACEHOLDER: [u8; 16] = *b"quire-id-pending";

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn id_array(id: [u8; 16]) -> Object {
    let s = Object::String(id.to_vec(), StringFormat::Hexadecimal);
    Object::Array(vec![s.clone(), s])
}
