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
use printpdf::{
    Codepoint, Op, PdfDocument, PdfFont, PdfFontHandle, PdfPage, PdfSaveOptions, PrintpdfFontMeta,
    Pt, TextItem,
};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Write `doc` as a PDF. `assets` are the book's assets, indexed by
/// [`crate::typeset::document::PlacedImage::asset`].
///
/// The same input gives the same bytes, also for repeated calls in one process.
pub fn write(doc: &Document, fonts: &FontSet, assets: &[Asset]) -> Result<Vec<u8>, Error> {
    write_cached(doc, fonts, assets, None)
}

/// Compressed streams kept between builds, keyed by their uncompressed bytes.
pub type DeflateCache = crate::cache::ContentCache<Option<Vec<u8>>>;

/// [`write`], taking the compressed form of streams (page contents, font programs, CMaps)
/// whose bytes did not change from `cache`: the same bytes as a clean [`write`].
pub fn write_cached(
    doc: &Document,
    fonts: &FontSet,
    assets: &[Asset],
    cache: Option<&DeflateCache>,
) -> Result<Vec<u8>, Error> {
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
    for page in &doc.pages {
        pdf.pages.push(content::page_ops(doc, page, &images));
    }
    // printpdf builds each font's /W and ToUnicode from the glyphs its pages show. The
    // text is written straight into the content streams (see `content::text_content`),
    // so one extra page shows every used glyph once, with its text; it is taken out of
    // the page tree after conversion. It goes last so link destinations, which printpdf
    // resolves by page number, are unchanged.
    pdf.pages.push(font_usage_page(&faces));

    // `optimize` only matters for printpdf's own save; subsetting is done already.
    let opts = PdfSaveOptions {
        optimize: false,
        subset_fonts: false,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut lo = pdf.to_lopdf_document(&opts, &mut warnings);
    drop(pdf);
    if let Some(w) = warnings
        .iter()
        .find(|w| matches!(w.severity, printpdf::PdfParseErrorSeverity::Error))
    {
        return Err(Error::Pdf(w.msg.clone()));
    }
    remove_last_page(&mut lo)?;
    let marked_runs = write_text(&mut lo, doc, &faces, cache)?;
    drop_printpdf_info(&mut lo);
    finish(&mut lo, doc, &marked_runs)?;
    save(&mut lo, cache)
}

/// A page showing every glyph of every embedded face once, with the text it stands for.
fn font_usage_page(
    faces: &BTreeMap<crate::typeset::document::FaceId, subset::EmbeddedFace>,
) -> PdfPage {
    let mut ops = vec![Op::StartTextSection];
    for face in faces.values() {
        ops.push(Op::SetFont {
            font: PdfFontHandle::External(face.id.clone()),
            size: Pt(10.0),
        });
        let items = face
            .text
            .iter()
            .map(|(&gid, text)| Codepoint {
                gid,
                offset: 0.0,
                cid: Some(text.clone()),
            })
            .collect();
        ops.push(Op::ShowText {
            items: vec![TextItem::GlyphIds(items)],
        });
    }
    ops.push(Op::EndTextSection);
    let size = printpdf::Rect::from_wh(Pt(10.0), Pt(10.0));
    PdfPage {
        media_box: size.clone(),
        trim_box: size.clone(),
        crop_box: size,
        ops,
    }
}

/// Take the font-usage page (the last) out of the page tree, with its resources and
/// content stream. Their object numbers stay unused (free entries in the
/// cross-reference stream, ISO 32000-1 §7.5.8.3).
fn remove_last_page(lo: &mut lopdf::Document) -> Result<(), Error> {
    let broken = |what: &str| Error::Pdf(format!("printpdf wrote no {what}"));
    let catalog = lo
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| broken("catalog"))?;
    let pages_id = lo
        .get_dictionary(catalog)
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .map_err(|_| broken("page tree"))?;
    let pages = lo
        .get_dictionary_mut(pages_id)
        .map_err(|_| broken("page tree"))?;
    let last = match pages.get_mut(b"Kids") {
        Ok(Object::Array(kids)) => kids.pop(),
        _ => None,
    };
    let count = pages
        .get(b"Kids")
        .and_then(Object::as_array)
        .map_or(0, Vec::len);
    pages.set("Count", Object::Integer(count as i64));
    let Some(Ok(page_id)) = last.as_ref().map(Object::as_reference) else {
        return Err(broken("font usage page"));
    };
    if let Some(Object::Dictionary(page)) = lo.objects.remove(&page_id) {
        for key in [&b"Resources"[..], b"Contents"] {
            if let Ok(id) = page.get(key).and_then(Object::as_reference) {
                lo.objects.remove(&id);
            }
        }
    }
    Ok(())
}

/// Append every page's text to its content stream and compress it, on as many threads
/// as there are cores (pages are independent; results are stored in page order, so the
/// bytes do not depend on the threads). Returns each page's number of marked runs.
fn write_text(
    lo: &mut lopdf::Document,
    doc: &Document,
    faces: &BTreeMap<crate::typeset::document::FaceId, subset::EmbeddedFace>,
    cache: Option<&DeflateCache>,
) -> Result<Vec<usize>, Error> {
    let page_ids: Vec<_> = lo.get_pages().into_values().collect();
    if page_ids.len() != doc.pages.len() {
        return Err(Error::Pdf(format!(
            "printpdf wrote {} pages for {}",
            page_ids.len(),
            doc.pages.len()
        )));
    }
    // Take each content stream's bytes (printpdf's pictures and rules) out of the
    // document so the threads own them.
    let mut jobs = Vec::with_capacity(page_ids.len());
    for (page, &id) in doc.pages.iter().zip(&page_ids) {
        let contents = lo
            .get_dictionary(id)
            .and_then(|p| p.get(b"Contents"))
            .and_then(Object::as_reference)
            .map_err(|e| Error::Pdf(format!("page without content stream: {e}")))?;
        let bytes = match lo.objects.get_mut(&contents) {
            Some(Object::Stream(stream)) => std::mem::take(&mut stream.content),
            _ => Vec::new(),
        };
        jobs.push((page, contents, bytes, 0usize, false));
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let chunk = jobs.len().div_ceil(threads).max(1);
    let work = move |part: &mut [(
        &crate::typeset::document::Page,
        lopdf::ObjectId,
        Vec<u8>,
        usize,
        bool,
    )]| {
        for (page, _, bytes, runs, compressed) in part.iter_mut() {
            *runs = content::text_content(doc, page, faces, bytes);
            if let Some(z) = deflate_cached(bytes, cache) {
                *bytes = z;
                *compressed = true;
            }
        }
    };
    // This thread takes the first part itself (its compressor is then warm for
    // `compress_streams`): one thread and one compressor fewer to set up.
    let mut parts = jobs.chunks_mut(chunk);
    let first = parts.next();
    std::thread::scope(|scope| {
        for part in parts {
            scope.spawn(move || work(part));
        }
        if let Some(part) = first {
            work(part);
        }
    });
    let mut marked_runs = Vec::with_capacity(jobs.len());
    for (_, id, bytes, runs, compressed) in jobs {
        if let Some(Object::Stream(stream)) = lo.objects.get_mut(&id) {
            if compressed {
                stream.dict.set("Filter", "FlateDecode");
            }
            stream.set_content(bytes);
        }
        marked_runs.push(runs);
    }
    Ok(marked_runs)
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
fn save(lo: &mut lopdf::Document, cache: Option<&DeflateCache>) -> Result<Vec<u8>, Error> {
    compress_streams(lo, cache);
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

/// zlib level for the streams (content streams, font programs, ToUnicode CMaps). On the
/// essay ×10, level 9 (lopdf's) made the PDF 3% smaller than 6 for 35% more build time;
/// level 3 was 14% larger for little gain in time. On the essay ×100's 40 MB of streams
/// (zlib-rs), level 5 took 63% of level 6's time for 1.8% more bytes (level 4: 55%,
/// +8%); deflate was over a third of that build's CPU time.
const ZLIB_LEVEL: u32 = 5;

/// Flate-compress every stream that allows it and has no filter yet, when that saves
/// bytes (the rule lopdf's `Stream::compress` applies, at a lower level).
fn compress_streams(lo: &mut lopdf::Document, cache: Option<&DeflateCache>) {
    for object in lo.objects.values_mut() {
        let Object::Stream(stream) = object else {
            continue;
        };
        if !stream.allows_compression || stream.dict.get(b"Filter").is_ok() {
            continue;
        }
        if let Some(compressed) = deflate_cached(&stream.content, cache) {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(compressed);
        }
    }
}

/// [`deflate`] through `cache`: deflate is a pure function of the bytes, so a stream
/// whose bytes were compressed in an earlier build is not compressed again.
fn deflate_cached(bytes: &[u8], cache: Option<&DeflateCache>) -> Option<Vec<u8>> {
    match cache {
        Some(cache) => {
            (*cache.get_or_make(crate::cache::key_of_bytes(bytes), || deflate(bytes))).clone()
        }
        None => deflate(bytes),
    }
}

thread_local! {
    /// One compressor per thread, reset between streams: a new one allocates and zeroes
    /// its ~300 KB of window and hash tables, which was a twelfth of a cold build of
    /// the sample (a stream per page). A reset compressor writes the same bytes.
    static COMPRESSOR: std::cell::RefCell<Option<flate2::Compress>> =
        const { std::cell::RefCell::new(None) };
}

/// `bytes` zlib-compressed, when that saves more than the `/Filter` entry costs.
fn deflate(bytes: &[u8]) -> Option<Vec<u8>> {
    COMPRESSOR.with(|cell| {
        let mut cell = cell.try_borrow_mut().ok()?;
        let z = cell.get_or_insert_with(|| {
            flate2::Compress::new(flate2::Compression::new(ZLIB_LEVEL), true)
        });
        z.reset();
        let mut out = Vec::with_capacity(bytes.len() / 3 + 64);
        loop {
            let read = usize::try_from(z.total_in()).ok()?;
            let rest = bytes.get(read..)?;
            match z.compress_vec(rest, &mut out, flate2::FlushCompress::Finish) {
                Ok(flate2::Status::StreamEnd) => break,
                Ok(_) => out.reserve(out.capacity().max(4096)),
                Err(_) => return None,
            }
        }
        // The estimate above is ~twice what content streams need; the slack of every
        // page's stream was 6 MiB of the essay ×100's peak.
        out.shrink_to_fit();
        (out.len() + 19 < bytes.len()).then_some(out)
    })
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
