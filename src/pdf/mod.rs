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

pub mod booklet;
mod content;
mod images;
mod metadata;
mod outline;
mod patch;
mod save;
mod structure;
mod subset;

use crate::error::{Error, PdfError, PdfPart};
use crate::fonts::FontSet;
use crate::memo::{CacheStats, ContentCache, Key, KeyHasher};
use crate::model::Asset;
use crate::typeset::document::{Document, Page};
use lopdf::{Dictionary, Object, ObjectId, Stream, StringFormat};
use printpdf::{
    Codepoint, Op, PdfDocument, PdfFont, PdfFontHandle, PdfPage, PdfSaveOptions, PrintpdfFontMeta,
    Pt, TextItem,
};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Write `doc` as a PDF. `assets` are the book's assets, indexed by
/// [`crate::typeset::document::PlacedImage::asset`].
///
/// The same input gives the same bytes, also for repeated calls in one process.
pub fn write(doc: &Document, fonts: &FontSet, assets: &[Asset]) -> Result<Vec<u8>, Error> {
    let scan = scan_pages(doc, None);
    let (faces, faces_key) = embed_faces(scan.used, fonts, None)?;
    let streams = StreamMaker::new(doc, &faces, faces_key, None);
    Ok(write_whole(doc, fonts, assets, &streams, &scan.keys)?
        .saved
        .bytes)
}

/// Compressed streams kept between builds, keyed by their uncompressed bytes.
pub type DeflateCache = ContentCache<Option<Vec<u8>>>;

/// What the PDF writer keeps between builds (`quire watch`), all keyed by content, so a
/// cached result is exactly what a clean build computes.
#[derive(Default)]
pub struct PdfCache {
    /// Compressed streams (font programs, CMaps, metadata), keyed by their raw bytes.
    deflated: DeflateCache,
    /// Each page's finished content stream, keyed by everything it is made from: the
    /// page's runs, printpdf's part of the stream, the page height and the font subsets.
    /// An edit that moves nothing else rewrites one page's stream, not 1,500.
    pages: ContentCache<PageStream>,
    /// The font subsets, keyed by the font programs and the glyphs the pages use (with
    /// their text, which feeds ToUnicode).
    faces: ContentCache<Faces>,
    /// Each page's glyphs ([`subset::PageGlyphs`]), keyed by the page's key: a rebuild
    /// finds the glyphs a book uses without reading every glyph of every page.
    page_glyphs: ContentCache<subset::PageGlyphs>,
    /// The last file written and where its parts are, to patch it (see `patch`). One
    /// copy: a build takes it out, and keeps the file it writes in its place.
    previous: Mutex<Option<patch::Previous>>,
    /// Builds that patched the previous file (hits) or wrote it whole (misses).
    patches: crate::memo::Counter,
}

impl PdfCache {
    /// The last file written, taken out of the cache.
    fn take_previous(&self) -> Option<patch::Previous> {
        // A panic while holding the lock cannot leave a half-written value behind.
        self.previous
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Keeps the file just written for the next build to patch (`None`: nothing to patch).
    fn keep(&self, previous: Option<patch::Previous>) {
        *self.previous.lock().unwrap_or_else(PoisonError::into_inner) = previous;
    }
}

/// What the PDF caches did in one build.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PdfCacheStats {
    /// Compressed streams.
    pub deflated: CacheStats,
    /// Page content streams.
    pub pages: CacheStats,
    /// Font subsets (one entry for all faces).
    pub faces: CacheStats,
    /// The glyphs of each page.
    pub page_glyphs: CacheStats,
    /// Rebuilds that patched the previous file (hits) or wrote it whole (misses).
    pub patches: CacheStats,
}

impl PdfCache {
    /// Ends a build: drops what it did not use and returns its hit counts.
    pub fn finish(&self) -> PdfCacheStats {
        PdfCacheStats {
            deflated: self.deflated.finish(),
            pages: self.pages.finish(),
            faces: self.faces.finish(),
            page_glyphs: self.page_glyphs.finish(),
            patches: self.patches.finish(),
        }
    }
}

/// One page's finished content stream: printpdf's part (pictures and rules), then the
/// text, compressed when that saves bytes ([`page_stream`]).
struct PageStream {
    /// The stream's bytes, compressed when `compressed`.
    bytes: Vec<u8>,
    /// Whether `bytes` are Flate-compressed.
    compressed: bool,
    /// The page's number of marked runs (MCIDs).
    runs: usize,
}

impl PageStream {
    /// The stream's dictionary: printpdf's, with this stream's `/Filter` and `/Length`
    /// (ISO 32000-1 §7.3.8.2). The full writer and the patch both write this one, so a
    /// patched page is the clean build's byte for byte.
    fn dictionary(&self, printpdf: &Dictionary) -> Dictionary {
        let mut dict = printpdf.clone();
        if self.compressed {
            dict.set("Filter", "FlateDecode");
        } else {
            dict.remove(b"Filter");
        }
        dict.set("Length", Object::Integer(self.bytes.len() as i64));
        dict
    }

    /// The stream as an lopdf object; its bytes are moved, not copied, when no cache
    /// shares them. Marked as not to be compressed again: it is final.
    fn into_object(self: Arc<Self>, printpdf: &Dictionary) -> Stream {
        let dict = self.dictionary(printpdf);
        let bytes = match Arc::try_unwrap(self) {
            Ok(made) => made.bytes,
            Err(shared) => shared.bytes.clone(),
        };
        Stream::new(dict, bytes).with_compression(false)
    }
}

type Faces = BTreeMap<crate::typeset::document::FaceId, subset::EmbeddedFace>;

/// Makes pages' finished content streams ([`PageStream`]): the one path for the full
/// writer ([`write_text`]) and the patch ([`patch::patch`]).
struct StreamMaker<'a> {
    /// The page height (text positions are flipped against it).
    height: f32,
    /// The font subsets the text is written in.
    faces: &'a Faces,
    /// Their key.
    faces_key: Key,
    /// Where finished streams are kept between builds.
    cache: Option<&'a PdfCache>,
}

impl<'a> StreamMaker<'a> {
    fn new(doc: &Document, faces: &'a Faces, faces_key: Key, cache: Option<&'a PdfCache>) -> Self {
        StreamMaker {
            height: content::finite(doc.height),
            faces,
            faces_key,
            cache,
        }
    }

    /// The key of a page's finished stream: everything it is made from (see
    /// `PdfCache::pages`): the page's runs (`page_key`), the font subsets, the page height
    /// and printpdf's part of the stream.
    fn key(&self, page_key: &Key, printpdf_part: &[u8]) -> Key {
        let mut h = KeyHasher::default();
        h.add(page_key);
        h.add(&self.faces_key);
        h.add(&self.height.to_bits());
        h.add(printpdf_part);
        h.key()
    }

    /// The page's finished stream, from the cache when an earlier build made it from the
    /// same input (`key`, with a cache).
    fn stream(&self, page: &Page, printpdf_part: &[u8], key: Option<Key>) -> Arc<PageStream> {
        let make = || page_stream(self.height, page, self.faces, printpdf_part.to_vec());
        match (self.cache, key) {
            (Some(cache), Some(key)) => cache.pages.get_or_make(key, make),
            _ => Arc::new(make()),
        }
    }
}

/// [`write()`], taking what did not change from `cache`: page content streams, font
/// subsets and compressed streams, or the whole previous file, patched (see `patch`).
/// The same bytes as a clean [`write()`]; the cache keeps them (shared, not copied) for the
/// next build to patch.
pub fn write_cached(
    doc: &Document,
    fonts: &FontSet,
    assets: &[Asset],
    cache: Option<&PdfCache>,
) -> Result<Arc<Vec<u8>>, Error> {
    let Some(cache) = cache else {
        return write(doc, fonts, assets).map(Arc::new);
    };
    let scan = scan_pages(doc, Some(cache));
    let (faces, faces_key) = embed_faces(scan.used, fonts, Some(cache))?;
    let streams = StreamMaker::new(doc, &faces, faces_key, Some(cache));
    // A rebuild whose edits changed only the text of some pages patches the previous
    // file. The one fallback: anything that does not fit the previous file (another
    // skeleton, other run counts, a range or offset out of place) writes the file whole.
    let skeleton = patch::skeleton_key(doc, faces_key, fonts, assets);
    if let Some(previous) = cache.take_previous() {
        if let Some(patched) = patch::patch(previous, skeleton, doc, &streams, &scan.keys) {
            cache.patches.hit();
            let bytes = patched.bytes();
            cache.keep(Some(patched));
            return Ok(bytes);
        }
    }
    cache.patches.miss();
    let written = write_whole(doc, fonts, assets, &streams, &scan.keys)?;
    let bytes = Arc::new(written.saved.bytes);
    cache.keep(patch::Previous::new(
        skeleton,
        Arc::clone(&bytes),
        written.saved.layout,
        written.pages,
        written.trailer,
    ));
    Ok(bytes)
}

/// A file written whole, with what a later build needs to patch it.
struct WrittenFile {
    /// The file and where its parts are.
    saved: save::Saved,
    /// Each page's content stream.
    pages: Vec<WrittenPage>,
    /// The trailer the cross-reference stream was made with (`/ID` placeholder included).
    trailer: Dictionary,
}

/// Writes the whole file: printpdf converts the pages, lopdf completes the document and
/// [`save()`] serialises it.
fn write_whole(
    doc: &Document,
    fonts: &FontSet,
    assets: &[Asset],
    streams: &StreamMaker<'_>,
    page_keys: &[Key],
) -> Result<WrittenFile, Error> {
    let faces = streams.faces;
    let images = images::image_xobjects(doc, assets, fonts)?;

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
    pdf.pages.push(font_usage_page(faces));

    // `optimize` only matters for printpdf's own save; subsetting is done already.
    let opts = PdfSaveOptions {
        optimize: false,
        subset_fonts: false,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut lo = pdf.to_lopdf_document(&opts, &mut warnings);
    crate::drop_in_background(pdf);
    if let Some(w) = warnings
        .iter()
        .find(|w| matches!(w.severity, printpdf::PdfParseErrorSeverity::Error))
    {
        return Err(PdfError::Conversion(w.msg.clone()).into());
    }
    remove_last_page(&mut lo)?;
    set_exact_widths(&mut lo, faces);
    let pages = write_text(&mut lo, doc, streams, page_keys)?;
    let marked_runs: Vec<usize> = pages.iter().map(|p| p.runs).collect();
    drop_printpdf_info(&mut lo);
    finish(&mut lo, doc, &marked_runs)?;
    let saved = save(&mut lo, streams.cache.map(|c| &c.deflated))?;
    let trailer = std::mem::take(&mut lo.trailer);
    crate::drop_in_background(lo);
    Ok(WrittenFile {
        saved,
        pages,
        trailer,
    })
}

/// What one pass over every glyph of the document finds.
struct PageScan {
    /// Each page's key ([`content::page_key_bytes`], hashed); empty without a cache.
    keys: Vec<Key>,
    /// The glyphs each face uses, with their text ([`subset::merge_glyph_tables`]).
    used: BTreeMap<crate::typeset::document::FaceId, BTreeMap<u16, String>>,
}

/// The fewest pages a thread of [`scan_pages`] takes.
const SCAN_CHUNK_PAGES: usize = 64;

/// Finds the glyphs the pages use and, for a cached build, each page's key, on as many
/// threads as there are cores (each claims chunks of consecutive pages; the results are
/// combined in page order, so they do not depend on the threads).
///
/// With a cache, each page's glyphs are taken from it by the page's key, so only pages
/// that changed are read glyph by glyph; merging the pages' lists in page order gives
/// what one pass over every glyph gives (a glyph keeps the first text seen for it).
fn scan_pages(doc: &Document, cache: Option<&PdfCache>) -> PageScan {
    // Chunks of consecutive pages, a few per core (`par::map`: a thread that starts late
    // takes fewer), so that there are few glyph tables to merge; at least 64 pages each:
    // a short book's scan (16 pages: 0.3 ms) is over before a helper thread would have
    // started, and waiting for it to start and end cost up to 3 ms.
    let chunk = doc
        .pages
        .len()
        .div_ceil(crate::cores() * 4)
        .max(SCAN_CHUNK_PAGES);
    let chunks: Vec<&[Page]> = doc.pages.chunks(chunk).collect();
    type Part<'a> = (
        subset::GlyphTable<'a>,
        Vec<Key>,
        Vec<Arc<subset::PageGlyphs>>,
    );
    let parts: Vec<Part<'_>> = crate::par::map(&chunks, |pages| {
        let Some(cache) = cache else {
            return (subset::glyph_table(pages), Vec::new(), Vec::new());
        };
        let mut keys = Vec::with_capacity(pages.len());
        let mut lists = Vec::with_capacity(pages.len());
        let mut bytes = Vec::new();
        for page in *pages {
            bytes.clear();
            content::page_key_bytes(page, &mut bytes);
            let key = crate::memo::key_of_bytes(&bytes);
            keys.push(key);
            lists.push(
                cache
                    .page_glyphs
                    .get_or_make(key, || subset::page_glyphs(page)),
            );
        }
        (subset::GlyphTable::default(), keys, lists)
    });
    let mut keys = Vec::with_capacity(if cache.is_some() { doc.pages.len() } else { 0 });
    let mut tables = Vec::with_capacity(parts.len());
    let mut lists = Vec::new();
    for (table, part_keys, part_lists) in parts {
        tables.push(table);
        keys.extend(part_keys);
        lists.extend(part_lists);
    }
    if cache.is_some() {
        let mut table = subset::GlyphTable::default();
        for list in &lists {
            subset::add_page_glyphs(&mut table, list);
        }
        tables = vec![table];
    }
    PageScan {
        keys,
        used: subset::merge_glyph_tables(tables),
    }
}

/// The font subsets, from `cache` when the font programs and the glyphs used are those
/// of an earlier build, and their key.
fn embed_faces(
    used: BTreeMap<crate::typeset::document::FaceId, BTreeMap<u16, String>>,
    fonts: &FontSet,
    cache: Option<&PdfCache>,
) -> Result<(Arc<Faces>, Key), Error> {
    let mut h = KeyHasher::default();
    for (face, glyphs) in &used {
        h.add(&face.index());
        h.add(&fonts.face(*face).key());
        for (gid, text) in glyphs {
            h.add(gid);
            h.add(text);
        }
    }
    let key = h.key();
    let Some(cache) = cache else {
        return Ok((Arc::new(subset::embed_faces(used, fonts)?), key));
    };
    if let Some(faces) = cache.faces.get(key) {
        return Ok((faces, key));
    }
    Ok((
        cache.faces.insert(key, subset::embed_faces(used, fonts)?),
        key,
    ))
}

/// A page showing every glyph of every embedded face once, with the text it stands for.
fn font_usage_page(faces: &Faces) -> PdfPage {
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

/// Replaces the `/W` array printpdf wrote in each embedded font (truncated integers)
/// with the exact widths the content streams are written against
/// ([`subset::EmbeddedFace::widths_array`]). The fonts are found by their `/BaseFont`,
/// which is the subset's name.
fn set_exact_widths(lo: &mut lopdf::Document, faces: &Faces) {
    for object in lo.objects.values_mut() {
        let Object::Dictionary(font) = object else {
            continue;
        };
        if !matches!(font.get(b"Subtype").and_then(Object::as_name), Ok(b"Type0")) {
            continue;
        }
        let Some(face) = font
            .get(b"BaseFont")
            .and_then(Object::as_name)
            .ok()
            .and_then(|name| {
                faces
                    .values()
                    .find(|f| f.font.font_name.as_deref().map(str::as_bytes) == Some(name))
            })
        else {
            continue;
        };
        if let Ok(Object::Array(descendants)) = font.get_mut(b"DescendantFonts") {
            for descendant in descendants.iter_mut() {
                if let Object::Dictionary(cid_font) = descendant {
                    cid_font.set("W", face.widths_array());
                }
            }
        }
    }
}

/// Take the font-usage page (the last) out of the page tree, with its resources and
/// content stream. Their object numbers stay unused (free entries in the
/// cross-reference stream, ISO 32000-1 §7.5.8.3).
fn remove_last_page(lo: &mut lopdf::Document) -> Result<(), Error> {
    let missing = |part| Error::Pdf(PdfError::Missing(part));
    let catalog = lo
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| missing(PdfPart::Catalog))?;
    let pages_id = lo
        .get_dictionary(catalog)
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .map_err(|_| missing(PdfPart::PageTree))?;
    let pages = lo
        .get_dictionary_mut(pages_id)
        .map_err(|_| missing(PdfPart::PageTree))?;
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
        return Err(missing(PdfPart::FontUsagePage));
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

/// One page's work in [`write_text`].
struct PageJob<'a> {
    /// The typeset page: its runs are the text.
    page: &'a Page,
    /// Its content stream's object.
    contents: ObjectId,
    /// printpdf's stream for it: the dictionary, and the pictures and rules the text is
    /// appended to.
    printpdf: Stream,
    /// The finished stream's key ([`StreamMaker::key`]); `None` without a cache.
    key: Option<Key>,
}

/// A page's content stream as [`write_text`] wrote it: what a later build needs to make
/// it again or to patch it.
pub(crate) struct WrittenPage {
    /// The stream's object.
    pub contents: ObjectId,
    /// printpdf's stream for the page (see [`PageJob::printpdf`]).
    pub printpdf: Stream,
    /// The finished stream's key; `None` without a cache.
    pub key: Option<Key>,
    /// The page's number of marked runs (MCIDs).
    pub runs: usize,
}

/// Append every page's text to its content stream and compress it, on as many threads
/// as there are cores (`par::map`; pages are independent; results are stored in page
/// order, so the bytes do not depend on the threads).
///
/// With a cache, a page whose stream was made in an earlier build from the same input
/// (see [`PdfCache::pages`]) is taken from there: most of a rebuild's pages.
fn write_text(
    lo: &mut lopdf::Document,
    doc: &Document,
    streams: &StreamMaker<'_>,
    page_keys: &[Key],
) -> Result<Vec<WrittenPage>, Error> {
    let jobs = page_jobs(lo, doc, streams, page_keys)?;
    let made: Vec<Arc<PageStream>> = crate::par::map(&jobs, |job| {
        streams.stream(job.page, &job.printpdf.content, job.key)
    });
    let mut pages = Vec::with_capacity(jobs.len());
    for (job, made) in jobs.into_iter().zip(made) {
        let runs = made.runs;
        let stream = made.into_object(&job.printpdf.dict);
        lo.objects.insert(job.contents, Object::Stream(stream));
        pages.push(WrittenPage {
            contents: job.contents,
            printpdf: job.printpdf,
            key: job.key,
            runs,
        });
    }
    Ok(pages)
}

/// Each page's job: its content stream's object, and printpdf's stream, taken out of the
/// document ([`write_text`] puts the finished one in its place).
fn page_jobs<'a>(
    lo: &mut lopdf::Document,
    doc: &'a Document,
    streams: &StreamMaker<'_>,
    page_keys: &[Key],
) -> Result<Vec<PageJob<'a>>, Error> {
    let page_ids: Vec<_> = lo.get_pages().into_values().collect();
    if page_ids.len() != doc.pages.len() {
        return Err(PdfError::PageCount {
            written: page_ids.len(),
            expected: doc.pages.len(),
        }
        .into());
    }
    let mut jobs = Vec::with_capacity(page_ids.len());
    for (index, (page, &id)) in doc.pages.iter().zip(&page_ids).enumerate() {
        let missing = || PdfError::Missing(PdfPart::ContentStream(index));
        let contents = lo
            .get_dictionary(id)
            .and_then(|p| p.get(b"Contents"))
            .and_then(Object::as_reference)
            .map_err(|_| missing())?;
        let printpdf = match lo.objects.remove(&contents) {
            Some(Object::Stream(stream)) => stream,
            _ => return Err(missing().into()),
        };
        let key = match (streams.cache, page_keys.get(index)) {
            (Some(_), Some(page_key)) => Some(streams.key(page_key, &printpdf.content)),
            _ => None,
        };
        jobs.push(PageJob {
            page,
            contents,
            printpdf,
            key,
        });
    }
    Ok(jobs)
}

/// A page's finished content stream: printpdf's part (`bytes`, pictures and rules), then
/// the text, compressed when that saves bytes.
fn page_stream(height: f32, page: &Page, faces: &Faces, mut bytes: Vec<u8>) -> PageStream {
    let runs = content::text_content(height, page, faces, &mut bytes);
    match deflate(&bytes) {
        Some(z) => PageStream {
            bytes: z,
            compressed: true,
            runs,
        },
        None => PageStream {
            bytes,
            compressed: false,
            runs,
        },
    }
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
        .map_err(|_| PdfError::Missing(PdfPart::Catalog))?;
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
        .map_err(|_| PdfError::Missing(PdfPart::Catalog))?;
    if !doc.info.lang.is_empty() {
        cat.set("Lang", metadata::text_string(&doc.info.lang));
    }
    cat.set("Metadata", Object::Reference(xmp));
    // Show the title, not the file name, in the viewer's title bar (PDF/UA asks for it).
    let mut prefs = vec![("DisplayDocTitle", Object::Boolean(true))];
    if doc.info.rtl {
        // ISO 32000-1 §12.2, Table 150: `/Direction /R2L` for right-to-left reading.
        prefs.push(("Direction", Object::Name(b"R2L".to_vec())));
    }
    cat.set("ViewerPreferences", Dictionary::from_iter(prefs));
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
/// them halves the file. [`save::save`] writes them, with the object streams compressed
/// through `cache`.
fn save(lo: &mut lopdf::Document, cache: Option<&DeflateCache>) -> Result<save::Saved, Error> {
    compress_streams(lo, cache);
    lo.trailer.set("ID", id_array(ID_PLACEHOLDER));
    let mut saved = save::save(lo, cache)?;
    set_id(&mut saved.bytes)?;
    Ok(saved)
}

/// Writes the file's `/ID`, a hash of the file with the placeholder in its place.
fn set_id(out: &mut [u8]) -> Result<(), PdfError> {
    let placeholder = hex_upper(&ID_PLACEHOLDER);
    // A 128-bit hash of the bytes: the ID only has to tell files apart (§14.4 asks for
    // no particular digest; MD5 is the usual one). XXH3 takes a fraction of a
    // millisecond where SHA-256 took 3 ms of every rebuild of a long book.
    let digest = xxhash_rust::xxh3::xxh3_128(out).to_be_bytes();
    let id = hex_upper(&digest);
    // The `/ID` array is in the cross-reference stream's dictionary, the last object of
    // the file (§7.5.8), after everything the author wrote: the book's own text may hold
    // the placeholder's hex digits (found by cargo fuzz: a title spelling them), so only
    // the last `<P><P>` is the ID.
    let pair = format!("<{placeholder}><{placeholder}>");
    let Some(at) = rfind(out, pair.as_bytes()) else {
        return Err(PdfError::IdPlaceholder);
    };
    let replacement = format!("<{id}><{id}>");
    out[at..at + pair.len()].copy_from_slice(replacement.as_bytes());
    Ok(())
}

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
            (*cache.get_or_make(crate::memo::key_of_bytes(bytes), || deflate(bytes))).clone()
        }
        None => deflate(bytes),
    }
}

/// `bytes` zlib-compressed ([`crate::deflate`]), when that saves more than the
/// `/Filter` entry costs.
fn deflate(bytes: &[u8]) -> Option<Vec<u8>> {
    crate::deflate::zlib(bytes).filter(|out| out.len() + 19 < bytes.len())
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
