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
    finish(&mut lo, doc, &marked_runs)?;
    save(&mut lo)
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
    // Objects printpdf wrote and nothing references any more (its Info dictionary).
    lo.prune_objects();
    lo.renumber_objects();
    lo.compress();
    lo.trailer.set("ID", id_array(ID_PLACEHOLDER));
    let mut out = Vec::new();
    lo.save_modern(&mut out)
        .map_err(|e| Error::Pdf(e.to_string()))?;
    let placeholder = hex_upper(&ID_PLACEHOLDER);
    let digest = Sha256::digest(&out);
    let id = hex_upper(&digest[..16]);
    // The `/ID` array is in the cross-reference stream's dictionary, the last object of
    // the file (§7.5.8), after everything the author wrote: the book's own text may hold
    // the placeholder's hex digits (found by cargo fuzz: a title spelling them), so only
    // the last `<P><P>` is the ID.
    let pair = format!("<{placeholder}><{placeholder}>");
    let Some(at) = rfind(&out, pair.as_bytes()) else {
        return Err(Error::Pdf("document ID placeholder not written".into()));
    };
    let replacement = format!("<{id}><{id}>");
    out[at..at + pair.len()].copy_from_slice(replacement.as_bytes());
    Ok(out)
}

/// Bytes no digest-derived content will contain by chance in an ASCII-hex string.
const ID_PLACEHOLDER: [u8; 16] = *b"quire-id-pending";

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

fn id_array(id: [u8; 16]) -> Object {
    let s = Object::String(id.to_vec(), StringFormat::Hexadecimal);
    Object::Array(vec![s.clone(), s])
}
