//! The typesetter's output: pages of positioned glyphs, rules, images and link areas.
//!
//! This is all the PDF writer sees (it never sees Markdown, the book model or line
//! breaking). Lengths are in PostScript points; coordinates are measured from the
//! **top-left** corner of the page, y growing downwards (the writer flips them).

pub use crate::fonts::FaceId;

/// A typeset document.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Document {
    /// Page width in points.
    pub width: f32,
    /// Page height in points.
    pub height: f32,
    /// The pages in order.
    pub pages: Vec<Page>,
    /// Bookmarks in reading order, each with its nesting level (1 = top).
    pub outline: Vec<OutlineItem>,
    /// Metadata for the document information dictionary and XMP.
    pub info: DocumentInfo,
    /// Where each page begins in the book and its printed folio: the EPUB's page list
    /// (issue 17). The PDF writer does not read it.
    pub page_map: crate::pagemap::PageMap,
}

/// Metadata of the PDF.
#[derive(Clone, Debug, PartialEq, Default, Hash)]
pub struct DocumentInfo {
    /// Title.
    pub title: String,
    /// Authors joined for display.
    pub author: String,
    /// Subject (the book's description).
    pub subject: Option<String>,
    /// Keywords (the book's subjects).
    pub keywords: Vec<String>,
    /// BCP 47 language tag, for `/Lang`.
    pub lang: String,
    /// Creation date as `YYYY-MM-DD` (from the manuscript or SOURCE_DATE_EPOCH), never the
    /// clock.
    pub date: Option<String>,
    /// The book reads right to left (pandoc's `dir: rtl`): viewers lay out spreads so.
    pub rtl: bool,
    /// The PDF edition's identifier (XMP `dc:identifier`): the EPUB names it as the
    /// source of its page list (issue 17). Empty: none written.
    pub identifier: String,
}

/// One page.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Page {
    /// Text, in reading order (text extraction follows this order).
    pub runs: Vec<GlyphRun>,
    /// Filled rectangles (rules, table lines).
    pub rules: Vec<Rect>,
    /// Light backgrounds (marked text), painted first.
    pub shades: Vec<Rect>,
    /// Images.
    pub images: Vec<PlacedImage>,
    /// Clickable areas.
    pub links: Vec<Link>,
}

/// A run of glyphs of one face and size on one baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct GlyphRun {
    /// The face.
    pub face: FaceId,
    /// Font size in points.
    pub size: f32,
    /// Left edge of the first glyph's origin.
    pub x: f32,
    /// Baseline, from the top of the page.
    pub y: f32,
    /// The glyphs, left to right.
    pub glyphs: Glyphs,
}

/// A run's glyphs, shared: `quire watch` keeps every broken paragraph between builds and
/// hands its runs to each new document. Cloning a run then costs a reference count, not
/// a copy of its glyphs (a rebuild of a long book copied millions of glyphs, most of
/// its time). Reads as a slice; [`Glyphs::make_mut`] edits it while it is being built.
///
/// The glyphs' digest is computed once and kept with them ([`Glyphs::digest`]): a run
/// taken from the cache brings it along, so a rebuild keys each page by its runs'
/// digests instead of reading its glyphs again.
#[derive(Clone, Debug, Default)]
pub struct Glyphs(std::sync::Arc<GlyphsInner>);

#[derive(Clone, Debug, Default)]
struct GlyphsInner {
    glyphs: Vec<Glyph>,
    digest: std::sync::OnceLock<crate::memo::Key>,
}

impl PartialEq for Glyphs {
    fn eq(&self, other: &Glyphs) -> bool {
        self.0.glyphs == other.0.glyphs
    }
}

impl Glyphs {
    /// The glyphs to edit (copied first only if another run shares them).
    pub fn make_mut(&mut self) -> &mut Vec<Glyph> {
        let inner = std::sync::Arc::make_mut(&mut self.0);
        // Edited glyphs have another digest.
        inner.digest = std::sync::OnceLock::new();
        &mut inner.glyphs
    }

    /// A hash of every glyph's id, advance and text (all the PDF writer reads of them),
    /// computed on first use and kept.
    pub fn digest(&self) -> crate::memo::Key {
        *self.0.digest.get_or_init(|| {
            let mut bytes = Vec::with_capacity(self.0.glyphs.len() * 8);
            for g in &self.0.glyphs {
                bytes.extend_from_slice(&g.id.to_le_bytes());
                bytes.extend_from_slice(&g.advance.to_bits().to_le_bytes());
                if g.raise != 0 {
                    // Only raised glyphs (marks) add bytes: a run without any hashes as
                    // it always did.
                    bytes.push(0xFF);
                    bytes.extend_from_slice(&g.raise.to_le_bytes());
                }
                let text = g.text.as_str();
                // Length-prefixed, so glyph boundaries cannot be shifted unseen.
                bytes.push(text.len().min(255) as u8);
                bytes.extend_from_slice(text.as_bytes());
            }
            crate::memo::key_of_bytes(&bytes)
        })
    }
}

impl std::ops::Deref for Glyphs {
    type Target = [Glyph];
    fn deref(&self) -> &[Glyph] {
        &self.0.glyphs
    }
}

impl From<Vec<Glyph>> for Glyphs {
    fn from(glyphs: Vec<Glyph>) -> Glyphs {
        Glyphs(std::sync::Arc::new(GlyphsInner {
            glyphs,
            digest: std::sync::OnceLock::new(),
        }))
    }
}

impl FromIterator<Glyph> for Glyphs {
    fn from_iter<I: IntoIterator<Item = Glyph>>(glyphs: I) -> Glyphs {
        Glyphs::from(glyphs.into_iter().collect::<Vec<_>>())
    }
}

impl<'a> IntoIterator for &'a Glyphs {
    type Item = &'a Glyph;
    type IntoIter = std::slice::Iter<'a, Glyph>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.glyphs.iter()
    }
}

/// One shaped glyph.
#[derive(Clone, Debug, PartialEq)]
pub struct Glyph {
    /// Glyph id in the face.
    pub id: u16,
    /// How far the pen moves after this glyph, in points (kerning and justification
    /// included).
    pub advance: f32,
    /// The Unicode text this glyph stands for (a ligature holds several characters; the
    /// second and later glyphs of one cluster hold ""). Feeds ToUnicode, so copying and
    /// `pdftotext` give back the words. A run whose glyphs all hold "" is decoration
    /// (the contents' dot leaders), written as an artifact that extraction skips.
    pub text: GlyphText,
    /// How far the glyph is raised above the run's baseline, in 1/64 pt (negative:
    /// lowered): the shaper's vertical placement of a mark (an Arabic vowel sign, a
    /// Devanagari reph). Its horizontal placement is in the advances. Fits in the
    /// padding after `id`: a glyph stays 24 bytes.
    pub raise: i16,
}

/// A glyph's text, stored inline when short (every letter, ligature and most
/// combining sequences), so a document of millions of glyphs costs no allocation per
/// glyph: a `String` here was 24 bytes plus a heap block per glyph, most of a long
/// book's memory.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct GlyphText(TextRepr);

#[derive(Clone, PartialEq, Eq)]
enum TextRepr {
    /// Up to [`INLINE`] bytes of UTF-8 and their length.
    Inline(u8, [u8; INLINE]),
    /// Longer text (a long combining sequence).
    Heap(Box<str>),
}

/// Bytes stored inline: with at most 7, the inline variant fits beside the heap
/// variant's pointer, whose null niche then tells the two apart, so the text is 16 bytes
/// and a glyph 24. Seven bytes hold any letter, the ffi/ffl ligatures and most
/// combining sequences.
const INLINE: usize = 7;

impl Default for TextRepr {
    fn default() -> Self {
        TextRepr::Inline(0, [0; INLINE])
    }
}

impl GlyphText {
    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Only whole UTF-8 strings are ever stored (see `From<&str>`).
            TextRepr::Inline(len, buf) => {
                std::str::from_utf8(&buf[..usize::from(*len).min(INLINE)]).unwrap_or("")
            }
            TextRepr::Heap(s) => s,
        }
    }

    /// Whether there is no text (without reading it as UTF-8 again: the PDF writer asks
    /// for every glyph of the book).
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }

    /// A short text (up to seven bytes: nearly every glyph's) as one number, its length
    /// and its bytes: two texts are equal exactly when their numbers are. `None` for a
    /// longer text.
    pub fn packed(&self) -> Option<u64> {
        match &self.0 {
            TextRepr::Inline(len, buf) => {
                let mut bytes = [0u8; 8];
                bytes[0] = *len;
                bytes[1..].copy_from_slice(buf);
                Some(u64::from_le_bytes(bytes))
            }
            TextRepr::Heap(_) => None,
        }
    }

    /// The text's bytes (UTF-8), read without checking them again.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            TextRepr::Inline(len, buf) => &buf[..usize::from(*len).min(INLINE)],
            TextRepr::Heap(s) => s.as_bytes(),
        }
    }
}

impl From<&str> for GlyphText {
    fn from(s: &str) -> Self {
        if s.len() <= INLINE {
            let mut buf = [0; INLINE];
            buf[..s.len()].copy_from_slice(s.as_bytes());
            GlyphText(TextRepr::Inline(s.len() as u8, buf))
        } else {
            GlyphText(TextRepr::Heap(s.into()))
        }
    }
}

impl From<String> for GlyphText {
    fn from(s: String) -> Self {
        GlyphText::from(s.as_str())
    }
}

impl std::ops::Deref for GlyphText {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for GlyphText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for GlyphText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Debug for GlyphText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for GlyphText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_runs_digest_follows_its_glyphs() {
        let glyph = |id: u16, text: &str| Glyph {
            id,
            advance: 5.0,
            text: text.into(),
            raise: 0,
        };
        let mut glyphs = Glyphs::from(vec![glyph(1, "a"), glyph(2, "b")]);
        let shared = glyphs.clone();
        assert_eq!(glyphs.digest(), shared.digest());
        // The same glyph ids with other text (a ligature's text moved) differ.
        let moved = Glyphs::from(vec![glyph(1, "ab"), glyph(2, "")]);
        assert_ne!(moved.digest(), glyphs.digest());
        // Editing computes it again; the run it was shared with keeps its own.
        let before = glyphs.digest();
        glyphs.make_mut()[1].advance = 6.0;
        assert_ne!(glyphs.digest(), before);
        assert_eq!(shared.digest(), before);
        assert_eq!(Glyphs::from(glyphs.to_vec()).digest(), glyphs.digest());
    }
    use super::{Glyph, GlyphText, Glyphs};

    #[test]
    fn glyph_text_round_trips_short_and_long_text() {
        for s in [
            "",
            " ",
            "ffi",
            "é",
            "е́",
            "a\u{301}\u{302}\u{303}\u{304}\u{305}\u{306}",
        ] {
            let t = GlyphText::from(s);
            assert_eq!(t.as_str(), s);
            assert_eq!(t, s);
            assert_eq!(t.is_empty(), s.is_empty());
        }
        // No allocation per glyph: the text is inline and the glyph small.
        assert!(std::mem::size_of::<Glyph>() <= 24);
    }
}

/// An axis-aligned rectangle (top-left origin).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Rect {
    /// Left.
    pub x: f32,
    /// Top.
    pub y: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
}

/// Hashed by the bits of its lengths, for content keys (the PDF patch's skeleton): two
/// rectangles hash alike exactly when they are the same bit for bit.
impl std::hash::Hash for Rect {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let Rect {
            x,
            y,
            width,
            height,
        } = self;
        [x, y, width, height].map(|v| v.to_bits()).hash(state);
    }
}

/// A placed image.
#[derive(Clone, Debug, PartialEq, Hash)]
pub struct PlacedImage {
    /// Index into the book's assets.
    pub asset: usize,
    /// Where it goes.
    pub rect: Rect,
}

/// A point on a page that a link or bookmark can go to.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Destination {
    /// 0-based page index.
    pub page: usize,
    /// Left, in points from the page's left edge.
    pub x: f32,
    /// Top, in points from the page's top edge.
    pub y: f32,
}

/// Hashed by the bits of its position (see [`Rect`]'s `Hash`).
impl std::hash::Hash for Destination {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let Destination { page, x, y } = self;
        (page, x.to_bits(), y.to_bits()).hash(state);
    }
}

/// A clickable area.
#[derive(Clone, Debug, PartialEq, Hash)]
pub struct Link {
    /// The area on the page.
    pub rect: Rect,
    /// Where it goes.
    pub target: LinkTarget,
}

/// Where a link goes.
#[derive(Clone, Debug, PartialEq, Hash)]
pub enum LinkTarget {
    /// A place in this document.
    Internal(Destination),
    /// A URL.
    External(String),
}

/// A bookmark.
#[derive(Clone, Debug, PartialEq, Hash)]
pub struct OutlineItem {
    /// The heading's text.
    pub title: String,
    /// Nesting level, 1 for chapters.
    pub level: u8,
    /// The heading's position.
    pub dest: Destination,
}
