//! Patching the previous file (`quire watch`): when an edit changed only the text of
//! some pages, the new file is the previous one with those pages' content streams
//! replaced and the cross-reference offsets moved.
//!
//! Everything else in the file is made from what the [`skeleton_key`] hashes: the page
//! count and size, each page's pictures, rules and links, the outline, the document
//! information, the font subsets and the images. A page's text reaches the file only
//! through its content stream and its number of marked runs (the structure tree has one
//! MCID per run), so when the skeleton and every page's run count are those of the
//! previous build, the only objects that can differ are content streams. Those are
//! written directly (not in object streams, §7.5.7), so replacing one moves the bytes
//! after it and nothing else: the cross-reference stream is written again with the moved
//! offsets (§7.5.8), and the `/ID` is the hash of the new bytes. The result is byte for
//! byte what a clean build writes (printpdf's conversion, the outline, the structure
//! tree and the serialisation of every object are what a long book's rebuild spent most
//! of its time on, for the same bytes).

use super::save::{self, Entry, Layout};
use super::{StreamMaker, WrittenPage};
use crate::fonts::FontSet;
use crate::memo::{Key, KeyHasher};
use crate::model::Asset;
use crate::typeset::document::{Document, FaceId};
use lopdf::{Dictionary, ObjectId, Stream};
use std::ops::Range;
use std::sync::Arc;

/// The last file written, and where its parts are.
pub(crate) struct Previous {
    /// The [`skeleton_key`] of the file.
    skeleton: Key,
    /// The file (shared with the build that wrote it, not copied).
    bytes: Arc<Vec<u8>>,
    /// Its pages, in order.
    pages: Vec<PrevPage>,
    /// Every object's place but the cross-reference stream's, sorted by object number.
    entries: Vec<(u32, Entry)>,
    /// The cross-reference stream's object number.
    xref_id: u32,
    /// Where the cross-reference stream starts: the end of what a patch copies.
    xref_start: usize,
    /// The trailer with the `/ID` placeholder, as the cross-reference stream was made.
    trailer: Dictionary,
}

/// One page of the last file written.
struct PrevPage {
    /// Its content stream's object.
    contents: ObjectId,
    /// printpdf's stream for the page: the dictionary, and the pictures and rules
    /// before the text.
    printpdf: Stream,
    /// The finished stream's key ([`StreamMaker::key`]).
    key: Key,
    /// Its number of marked runs.
    runs: usize,
    /// Where its content stream object is in the file.
    span: Range<usize>,
}

impl Previous {
    /// The file just written whole, for a later build to patch; `None` when a page's
    /// stream cannot be found in it (that build then writes the file whole as well).
    pub(crate) fn new(
        skeleton: Key,
        bytes: Arc<Vec<u8>>,
        layout: Layout,
        pages: Vec<WrittenPage>,
        trailer: Dictionary,
    ) -> Option<Previous> {
        let pages = pages
            .into_iter()
            .map(|page| {
                Some(PrevPage {
                    span: layout.spans.get(&page.contents.0)?.clone(),
                    contents: page.contents,
                    printpdf: page.printpdf,
                    key: page.key?,
                    runs: page.runs,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Previous {
            skeleton,
            bytes,
            pages,
            entries: layout.entries,
            xref_id: layout.xref_id,
            xref_start: layout.xref_start,
            trailer,
        })
    }

    /// The file.
    pub(crate) fn bytes(&self) -> Arc<Vec<u8>> {
        Arc::clone(&self.bytes)
    }
}

/// A hash of everything in the file but the pages' text (see the module documentation).
pub(crate) fn skeleton_key(
    doc: &Document,
    faces_key: Key,
    fonts: &FontSet,
    assets: &[Asset],
) -> Key {
    let mut h = KeyHasher::default();
    h.add(&faces_key);
    // SVG images are rasterised with the book's fonts.
    for face in FaceId::ALL {
        h.add(&fonts.face(face).key());
    }
    for asset in assets {
        h.add(&(&asset.href, asset.kind, asset.data.len()));
        h.bytes(&asset.data);
    }
    h.add(&(doc.width.to_bits(), doc.height.to_bits(), doc.pages.len()));
    h.add(&doc.info);
    h.add(&doc.outline);
    for page in &doc.pages {
        h.add(&(&page.rules, &page.images, &page.links));
        // Only pages with marked text have shades: other pages' keys are as before.
        if !page.shades.is_empty() {
            h.add(&page.shades);
        }
    }
    h.key()
}

/// The new file made by patching `prev`, which it replaces (with where the new file's
/// parts are); `None` when anything does not fit: the edit changed more than the pages'
/// text, or a range or offset of the previous file is out of place. The caller then
/// writes the file whole: the one fallback.
pub(crate) fn patch(
    prev: Previous,
    skeleton: Key,
    doc: &Document,
    streams: &StreamMaker<'_>,
    page_keys: &[Key],
) -> Option<Previous> {
    let Previous {
        skeleton: old_skeleton,
        bytes: old,
        mut pages,
        entries,
        xref_id,
        xref_start,
        trailer,
    } = prev;
    let same_pages = pages.len() == doc.pages.len() && page_keys.len() == pages.len();
    if old_skeleton != skeleton || !same_pages {
        return None;
    }
    let replacements = replacements(&mut pages, doc, streams, page_keys)?;
    let (mut bytes, shifts) = splice(&old, xref_start, &replacements)?;
    drop(old);
    let entries = entries
        .iter()
        .map(|&(id, entry)| Some((id, shifts.entry(entry)?)))
        .collect::<Option<Vec<_>>>()?;
    for page in &mut pages {
        page.span = shifts.range(page.span.clone())?;
    }
    for r in &replacements {
        let page = pages.get_mut(r.page)?;
        let start = shifts.moved(r.old.start)?;
        page.span = start..start.checked_add(r.object.len())?;
    }
    let xref_start = bytes.len();
    save::write_xref(&mut bytes, &entries, &trailer, xref_id).ok()?;
    super::set_id(&mut bytes).ok()?;
    Some(Previous {
        skeleton,
        bytes: Arc::new(bytes),
        pages,
        entries,
        xref_id,
        xref_start,
        trailer,
    })
}

/// A page's new content stream object, to put in place of its old one.
struct Replacement {
    /// The page's index.
    page: usize,
    /// The stream's object (the same number in both files).
    contents: ObjectId,
    /// The old object's bytes in the old file.
    old: Range<usize>,
    /// The new object, `id generation obj … endobj`.
    object: Vec<u8>,
}

/// The new objects of the pages whose stream changed, sorted by place in the file (and
/// each page's new key set); `None` when a page's number of marked runs changed, since
/// the structure tree then changes too.
fn replacements(
    pages: &mut [PrevPage],
    doc: &Document,
    streams: &StreamMaker<'_>,
    page_keys: &[Key],
) -> Option<Vec<Replacement>> {
    let mut replacements = Vec::new();
    let inputs = doc.pages.iter().zip(page_keys).zip(pages);
    for (index, ((page, page_key), old)) in inputs.enumerate() {
        let key = streams.key(page_key, &old.printpdf.content);
        // Every page's stream is looked up, so the cache keeps the unchanged ones for a
        // later build that writes the file whole.
        let made = streams.stream(page, &old.printpdf.content, Some(key));
        if key == old.key {
            continue;
        }
        if made.runs != old.runs {
            return None;
        }
        let mut object = Vec::with_capacity(made.bytes.len() + 64);
        save::indirect_stream(
            &mut object,
            old.contents,
            &made.dictionary(&old.printpdf.dict),
            &made.bytes,
        );
        replacements.push(Replacement {
            page: index,
            contents: old.contents,
            old: old.span.clone(),
            object,
        });
        old.key = key;
    }
    replacements.sort_by_key(|r| r.old.start);
    Some(replacements)
}

/// The old file up to `end` (its cross-reference stream) with the replacements (sorted
/// by place) put in, and how the old file's offsets move; `None` when a range does not
/// hold the object it should or two overlap.
fn splice(old: &[u8], end: usize, replacements: &[Replacement]) -> Option<(Vec<u8>, Shifts)> {
    let mut bytes = Vec::with_capacity(old.len() + 4096);
    let mut shifts = Shifts(Vec::with_capacity(replacements.len()));
    let mut at = 0;
    let mut shift = 0isize;
    for r in replacements {
        if !holds_object(old.get(r.old.clone())?, r.contents) {
            return None;
        }
        bytes.extend_from_slice(old.get(at..r.old.start)?);
        bytes.extend_from_slice(&r.object);
        at = r.old.end;
        let grown = isize::try_from(r.object.len()).ok()?;
        let removed = isize::try_from(r.old.len()).ok()?;
        shift = shift.checked_add(grown)?.checked_sub(removed)?;
        shifts.0.push((r.old.start, shift));
    }
    bytes.extend_from_slice(old.get(at..end)?);
    Some((bytes, shifts))
}

/// Whether `bytes` are one whole indirect object numbered `id`, as
/// [`save::indirect_stream`] writes it: `id generation obj` … `endobj` (§7.3.10).
fn holds_object(bytes: &[u8], (number, generation): ObjectId) -> bool {
    let header = format!("{number} {generation} obj\n");
    bytes.starts_with(header.as_bytes()) && bytes.ends_with(b"\nendobj\n")
}

/// How a patch moves the old file's offsets: the start of each replaced object, in file
/// order, with how far the bytes after it move (its own and the earlier replacements'
/// change in length).
struct Shifts(Vec<(usize, isize)>);

impl Shifts {
    /// Where the old file's byte at `offset` is in the new file. A replaced object's start
    /// moves by the earlier replacements only.
    fn moved(&self, offset: usize) -> Option<usize> {
        let before = self.0.partition_point(|&(start, _)| start < offset);
        let by = match before.checked_sub(1) {
            Some(last) => self.0.get(last)?.1,
            None => 0,
        };
        offset.checked_add_signed(by)
    }

    /// An unchanged object's byte range, moved.
    fn range(&self, range: Range<usize>) -> Option<Range<usize>> {
        let start = self.moved(range.start)?;
        Some(start..start.checked_add(range.len())?)
    }

    /// A cross-reference entry, moved; `None` when its offset no longer fits the
    /// entry's 4 bytes.
    fn entry(&self, entry: Entry) -> Option<Entry> {
        match entry {
            Entry::Direct(offset) => {
                let moved = self.moved(usize::try_from(offset).ok()?)?;
                Some(Entry::Direct(save::offset(moved).ok()?))
            }
            packed => Some(packed),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::pdf::{write, write_cached, PdfCache};
    use crate::typeset::document::{Glyph, GlyphRun, Page};

    /// One page per word, each word one run: glyph ids are the letters' codes, so
    /// reordering a word's letters changes its page's text, not the font subsets.
    fn book(words: &[&str]) -> Document {
        let run = |word: &str| GlyphRun {
            face: FaceId::Regular,
            size: 12.0,
            x: 40.0,
            y: 60.0,
            glyphs: word
                .chars()
                .map(|c| Glyph {
                    raise: 0,
                    id: c as u16,
                    advance: 6.5,
                    text: c.to_string().as_str().into(),
                })
                .collect::<Vec<_>>()
                .into(),
        };
        Document {
            width: 300.0,
            height: 400.0,
            pages: words
                .iter()
                .map(|w| Page {
                    runs: vec![run(w)],
                    ..Page::default()
                })
                .collect(),
            ..Document::default()
        }
    }

    /// Writes `doc` through `cache`, checks the bytes against a clean write, and returns
    /// whether the previous file was patched.
    fn patched(doc: &Document, cache: &PdfCache, what: &str) -> bool {
        let fonts = FontSet::embedded();
        let bytes = write_cached(doc, &fonts, &[], Some(cache)).unwrap();
        let clean = write(doc, &fonts, &[]).unwrap();
        assert!(*bytes == clean, "{what}: not a clean build's bytes");
        let patches = cache.finish().patches;
        assert_eq!(patches.hits + patches.misses, 1, "{what}: {patches:?}");
        patches.hits == 1
    }

    /// A way to damage the previous file, as a writer bug could.
    type Damage = fn(&mut Previous);

    /// Damages the previous file the cache keeps.
    fn damage(cache: &PdfCache, how: Damage) {
        how(cache.previous.lock().unwrap().as_mut().unwrap());
    }

    #[test]
    fn a_patch_that_does_not_fit_writes_the_whole_file() {
        let (a, b) = (
            book(&["quire", "letters", "typeset"]),
            // The middle page's letters reordered and doubled: a longer stream.
            book(&["quire", "srettelletters", "typeset"]),
        );
        let damages: [(&str, Damage); 6] = [
            ("a page's range past the end", |p| {
                let end = p.bytes.len();
                p.pages[1].span = end..end + 10;
            }),
            ("a page's range on another object", |p| {
                p.pages[1].span = p.pages[0].span.clone();
            }),
            ("a page's range off its object", |p| {
                let span = &mut p.pages[1].span;
                *span = span.start + 1..span.end;
            }),
            ("the cross-reference stream past the end", |p| {
                p.xref_start = p.bytes.len() + 1;
            }),
            ("an offset that moves past 4 bytes", |p| {
                let last = p.entries.iter_mut().rev();
                let direct = last.map(|(_, e)| e).find(|e| matches!(e, Entry::Direct(_)));
                *direct.unwrap() = Entry::Direct(u32::MAX);
            }),
            ("no /ID placeholder", |p| {
                p.trailer.remove(b"ID");
            }),
        ];
        let cache = PdfCache::default();
        assert!(!patched(&a, &cache, "first build"), "written whole");
        assert!(patched(&b, &cache, "one page edited"), "patched");
        for (what, how) in damages {
            assert!(patched(&a, &cache, what), "{what}: undamaged, patched");
            damage(&cache, how);
            assert!(!patched(&b, &cache, what), "{what}: written whole");
        }
        // The file written whole is kept, and patched again.
        assert!(patched(&a, &cache, "after the damages"), "patched");
    }

    #[test]
    fn offsets_are_moved_checked() {
        // One replaced object at 100 that grew by 5 bytes.
        let shifts = Shifts(vec![(100, 5)]);
        assert_eq!(shifts.moved(40), Some(40));
        assert_eq!(
            shifts.moved(100),
            Some(100),
            "a replaced object keeps its start"
        );
        assert_eq!(shifts.moved(180), Some(185));
        assert_eq!(shifts.entry(Entry::Direct(180)), Some(Entry::Direct(185)));
        let packed = Entry::Packed {
            container: 7,
            index: 3,
        };
        assert_eq!(shifts.entry(packed), Some(packed));
        // Past the cross-reference stream's 4 bytes: no entry (the file is written whole).
        assert_eq!(shifts.entry(Entry::Direct(u32::MAX - 2)), None);
        // One that shrank below the start of the file.
        assert_eq!(Shifts(vec![(0, -10)]).moved(4), None);
    }
}
