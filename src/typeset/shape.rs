//! Shaping words with harfrust (kerning, standard ligatures), cached per
//! (face, size, word): running text repeats a few thousand distinct words.
//!
//! Widths are integers in milli-points (1/1000 pt): a glyph's advance is rounded once,
//! here, and every later stage adds integers, so line widths never drift.

use crate::fonts::FontSet;
use crate::typeset::document::FaceId;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Milli-points per point.
pub const MPT: i64 = 1000;

/// One glyph of a shaped word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapedGlyph {
    /// Glyph id.
    pub id: u16,
    /// Advance in milli-points (kerning included).
    pub advance: i64,
    /// Byte range of the cluster's text in the word; empty for the second and later
    /// glyphs of a cluster.
    pub text: (u32, u32),
    /// Byte offset of the cluster this glyph belongs to.
    pub cluster: u32,
}

/// A shaped word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapedWord {
    /// The text.
    pub text: String,
    /// Glyphs, left to right.
    pub glyphs: Vec<ShapedGlyph>,
}

impl ShapedWord {
    /// Width of glyphs `range`.
    pub fn width(&self, range: std::ops::Range<usize>) -> i64 {
        self.glyphs
            .get(range)
            .map_or(0, |g| g.iter().map(|g| g.advance).sum())
    }

    /// The glyph index where the text at byte `offset` starts, if a cluster starts
    /// exactly there (a break inside a ligature has none).
    pub fn glyph_at(&self, offset: usize) -> Option<usize> {
        self.glyphs
            .iter()
            .position(|g| g.cluster as usize == offset && g.text.0 < g.text.1)
    }

    /// The text of glyph `i` (its cluster's text for the first glyph of a cluster).
    pub fn glyph_text(&self, i: usize) -> &str {
        self.glyphs
            .get(i)
            .and_then(|g| self.text.get(g.text.0 as usize..g.text.1 as usize))
            .unwrap_or("")
    }
}

/// Per-face data.
struct FaceData<'f> {
    face: harfrust::ShaperFont<'f, 'static>,
    upem: i64,
    ascender: i64,
    /// Below the baseline, positive (the font's descender is negative).
    descender: i64,
    /// Whether the face has small capitals (a GSUB `smcp` feature).
    smcp: bool,
    /// The face's tables, for its character map.
    tables: ttf_parser::Face<'f>,
}

/// OpenType's small-capitals feature (OpenType Layout tag registry, "smcp").
const SMCP: [u8; 4] = *b"smcp";

/// The words shaped so far in one face at one size. FxHash: the keys are the book's own
/// words, hashed once per word of running text, and SipHash's protection against chosen
/// collisions buys nothing here; the map is never iterated, so the order it would give
/// never reaches the output.
type WordCache = HashMap<String, Rc<ShapedWord>, rustc_hash::FxBuildHasher>;

/// Shaped words kept between builds (`quire watch`), by font program, size and text: a
/// rebuild shapes only words it has not seen (the folios of 1,500 pages were 1,500 calls
/// to the shaper on every rebuild of a long book).
pub type SharedWords = crate::memo::ContentCache<ShapedWord>;

/// The shaper for a book's four faces, with its cache.
///
/// harfrust rather than rustybuzz (its ancestor): the same HarfBuzz algorithm, glyph for
/// glyph the same on the 49,000 distinct words of the test corpora in all four faces,
/// and 2.7× faster on Gentium's large GSUB/GPOS, where shaping was a quarter of a cold
/// build of the sample.
pub struct Shaper<'f> {
    fonts: &'f FontSet,
    /// The faces, parsed on first use (a book often never sets its bold italic). `None`
    /// inside: the face does not parse.
    faces: [OnceCell<Option<FaceData<'f>>>; 4],
    cache: Vec<((FaceId, i64, bool), WordCache)>,
    buffer: harfrust::Buffer,
    /// Shape plans by face and segment properties: shaping without a plan builds one per
    /// call (feature lookup and parsing), while a book needs a handful. A plan is only
    /// used for a buffer with exactly its properties, which is what harfrust requires.
    plans: Vec<(PlanKey, harfrust::ShapePlan)>,
    /// Words shaped in earlier builds, asked on a miss of `cache`.
    shared: Option<&'f SharedWords>,
}

/// What a shape plan depends on: the face, the buffer's segment properties, and
/// whether it is the lean plan (see [`lean_features`]).
#[derive(Clone, PartialEq, Eq)]
struct PlanKey {
    face: usize,
    direction: harfrust::Direction,
    script: Option<harfrust::Script>,
    language: Option<harfrust::Language>,
    lean: bool,
    /// Small capitals on.
    smcp: bool,
}

/// The features a word with no marks shapes without: mark-to-base and mark-to-mark
/// positioning, and glyph composition/decomposition. Their lookups only act on marks,
/// yet each is tried on every glyph, and they were a quarter of the time spent shaping
/// with Gentium. Used only for the embedded Gentium faces, where
/// `lean_plan_shapes_plain_words_as_the_full_one` checks the result is the same
/// (a font named in the metadata may use `ccmp` for anything).
fn lean_features() -> [harfrust::Feature; 3] {
    [*b"mark", *b"mkmk", *b"ccmp"]
        .map(|tag| harfrust::Feature::new(harfrust::Tag::new(&tag), 0, ..))
}

/// Whether `text` may be shaped with the lean plan: letters, digits, punctuation and
/// symbols only. Not marks, and not modifier letters or modifier symbols (the spacing
/// accents U+02B0–U+02FF, U+1FBD–U+1FFE), which the faces position as marks.
fn is_plain(text: &str) -> bool {
    use unicode_general_category::{get_general_category, GeneralCategory as G};
    text.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                get_general_category(c),
                G::UppercaseLetter
                    | G::LowercaseLetter
                    | G::TitlecaseLetter
                    | G::OtherLetter
                    | G::DecimalNumber
                    | G::LetterNumber
                    | G::OtherNumber
                    | G::ConnectorPunctuation
                    | G::DashPunctuation
                    | G::OpenPunctuation
                    | G::ClosePunctuation
                    | G::InitialPunctuation
                    | G::FinalPunctuation
                    | G::OtherPunctuation
                    | G::MathSymbol
                    | G::CurrencySymbol
                    | G::OtherSymbol
            )
    })
}

impl<'f> Shaper<'f> {
    /// A shaper over `fonts`. A face that does not parse falls back to the first one that
    /// does (fonts are checked when loaded, so this is only a guard).
    pub fn new(fonts: &'f FontSet) -> Shaper<'f> {
        Shaper::with_shared(fonts, None)
    }

    /// A shaper over `fonts` that takes words shaped in earlier builds from `shared`
    /// and adds the ones it shapes.
    pub fn with_shared(fonts: &'f FontSet, shared: Option<&'f SharedWords>) -> Shaper<'f> {
        Shaper {
            fonts,
            faces: Default::default(),
            cache: Vec::new(),
            buffer: harfrust::Buffer::new(),
            plans: Vec::new(),
            shared,
        }
    }

    /// The words kept between builds, if any (for a shaper on another thread).
    pub fn shared(&self) -> Option<&'f SharedWords> {
        self.shared
    }

    /// The fonts it shapes with (for a shaper on another thread: a shaper is not `Send`).
    pub fn fonts(&self) -> &'f FontSet {
        self.fonts
    }

    /// Face `index` (0..4), parsed now if not yet, or `None` when it does not parse.
    fn parsed(&self, index: usize) -> Option<&FaceData<'f>> {
        let fonts = self.fonts;
        self.faces
            .get(index)?
            .get_or_init(|| {
                let data = fonts.face(*FaceId::ALL.get(index)?);
                let font = data.shaping()?;
                // Ascender and descender as ttf-parser reads them (hhea, or OS/2's
                // typographic ones when the font asks for it), as the PDF's font
                // descriptor does.
                let metrics = ttf_parser::Face::parse(&data.bytes, data.index).ok()?;
                let smcp = metrics.tables().gsub.is_some_and(|gsub| {
                    gsub.features
                        .into_iter()
                        .any(|f| f.tag == ttf_parser::Tag::from_bytes(&SMCP))
                });
                Some(FaceData {
                    face: harfrust::ShaperFont::new(font),
                    upem: i64::from(metrics.units_per_em()).max(1),
                    ascender: i64::from(metrics.ascender()),
                    descender: -i64::from(metrics.descender()),
                    smcp,
                    tables: metrics,
                })
            })
            .as_ref()
    }

    /// The index of the face that shapes `id`: its own, or the first that parses.
    fn face_index(&self, id: FaceId) -> Option<usize> {
        let own = id.index();
        if self.parsed(own).is_some() {
            return Some(own);
        }
        (0..self.faces.len()).find(|&i| self.parsed(i).is_some())
    }

    fn face(&self, id: FaceId) -> Option<&FaceData<'f>> {
        self.parsed(self.face_index(id)?)
    }

    /// The face's ascender at `size` (milli-points): how far above the baseline its
    /// glyphs may reach. An em's four fifths when no face parses.
    ///
    /// Gentium Book Plus (all four faces; hhea, OS/2 typographic and Windows alike):
    /// 2250 units of 2048, 1.099 em. That is the top of its tallest glyphs, the
    /// Vietnamese capitals with stacked accents (Bold Ầ: 2249); plain letters reach
    /// 1550 ('l', 0.757 em), accented capitals 1820 (Bold Å, 0.889 em).
    pub fn ascender(&self, face: FaceId, size: i64) -> i64 {
        self.face(face)
            .map_or(size * 4 / 5, |f| f.ascender * size / f.upem)
    }

    /// The face's descender at `size` (milli-points), positive: how far below the
    /// baseline its glyphs may reach. An em's fifth when no face parses.
    ///
    /// Gentium Book Plus: 750 units of 2048, 0.366 em (descending letters reach 480–500,
    /// 0.24 em; the lowest glyph, '¡', 564).
    pub fn descender(&self, face: FaceId, size: i64) -> i64 {
        self.face(face)
            .map_or(size / 5, |f| f.descender * size / f.upem)
    }

    /// Whether `face` maps the character `c` to a glyph.
    pub fn covers(&self, face: FaceId, c: char) -> bool {
        self.face(face)
            .is_some_and(|f| f.tables.glyph_index(c).is_some())
    }

    /// Whether `face` has small capitals (`smcp`).
    pub fn has_small_caps(&self, face: FaceId) -> bool {
        self.face(face).is_some_and(|f| f.smcp)
    }

    /// `text` shaped in `face` at `size` milli-points, from the cache when seen before.
    pub fn shape(&mut self, text: &str, face: FaceId, size: i64) -> Rc<ShapedWord> {
        self.shape_with(text, face, size, false)
    }

    /// [`Self::shape`], with the face's small capitals (`smcp`) when `small_caps`.
    pub fn shape_with(
        &mut self,
        text: &str,
        face: FaceId,
        size: i64,
        small_caps: bool,
    ) -> Rc<ShapedWord> {
        let key = (face, size, small_caps);
        // A book sets a handful of (face, size) pairs: a short list beats a hash.
        let slot = match self.cache.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                self.cache.push((key, WordCache::default()));
                self.cache.len() - 1
            }
        };
        if let Some(hit) = self.cache[slot].1.get(text) {
            return Rc::clone(hit);
        }
        let shaped = match self.shared {
            Some(shared) => {
                let mut h = crate::memo::KeyHasher::default();
                // The face's program, not its slot: a font file changed between builds
                // gives other keys.
                h.add(&(self.fonts.face(face).key(), size));
                if small_caps {
                    h.add(&SMCP);
                }
                h.add(text);
                let key = h.key();
                let word =
                    shared.get_or_make(key, || self.shape_uncached(text, face, size, small_caps));
                Rc::new((*word).clone())
            }
            None => Rc::new(self.shape_uncached(text, face, size, small_caps)),
        };
        self.cache[slot]
            .1
            .insert(text.to_string(), Rc::clone(&shaped));
        shaped
    }

    fn shape_uncached(
        &mut self,
        text: &str,
        face_id: FaceId,
        size: i64,
        small_caps: bool,
    ) -> ShapedWord {
        let unshaped = || ShapedWord {
            text: text.to_string(),
            glyphs: Vec::new(),
        };
        let Some(face_index) = self.face_index(face_id) else {
            return unshaped();
        };
        // The fields themselves (not `parsed`): the plan cache is filled while the face
        // is borrowed.
        let Some(face) = self.faces[face_index].get().and_then(Option::as_ref) else {
            return unshaped();
        };
        let data = self.fonts.face(FaceId::ALL[face_index]);
        let Some(font) = data.shaping() else {
            return unshaped();
        };
        let lean = matches!(data.bytes, crate::fonts::FontBytes::Embedded(_)) && is_plain(text);
        // The lean plan's three features, then `smcp`: a fixed array, no allocation.
        let smcp = harfrust::Feature::new(harfrust::Tag::new(&SMCP), 1, ..);
        let [a, b, c] = lean_features();
        let all = [a, b, c, smcp];
        let features: &[harfrust::Feature] = match (lean, small_caps) {
            (true, true) => &all,
            (true, false) => &all[..3],
            (false, true) => &all[3..],
            (false, false) => &[],
        };
        let buffer = &mut self.buffer;
        buffer.clear();
        buffer.push_str(text);
        buffer.set_direction(harfrust::Direction::LeftToRight);
        // Guess the script, then plan for exactly the buffer's properties (what shaping
        // without a plan does).
        buffer.guess_segment_properties();
        let key = PlanKey {
            face: face_index,
            direction: buffer.direction(),
            script: buffer.script(),
            language: buffer.language().cloned(),
            lean,
            smcp: small_caps,
        };
        let plan = match self.plans.iter().position(|(k, _)| *k == key) {
            Some(i) => &self.plans[i].1,
            None => {
                // Default features: kern, liga, clig, calt … (the OpenType defaults for
                // Latin).
                let plan = harfrust::ShapePlan::new(
                    font,
                    key.direction,
                    key.script,
                    key.language.as_ref(),
                    features,
                );
                self.plans.push((key, plan));
                &self.plans[self.plans.len() - 1].1
            }
        };
        // Shaping fails only for a buffer whose properties do not match the plan, which
        // the key above rules out; such a word is set without glyphs rather than stopping
        // the book.
        if harfrust::shape(
            &face.face,
            buffer,
            harfrust::ShapeOptions::new()
                .plan(Some(plan))
                .features(features),
        )
        .is_err()
        {
            return unshaped();
        }
        let infos = buffer.glyph_infos();
        let positions = buffer.glyph_positions();
        let mut glyphs = Vec::with_capacity(infos.len());
        for (i, (info, pos)) in infos.iter().zip(positions).enumerate() {
            let cluster = info.cluster;
            let first = i == 0 || infos[i - 1].cluster != cluster;
            let end = infos[i..]
                .iter()
                .map(|g| g.cluster)
                .find(|&c| c != cluster)
                .unwrap_or(text.len() as u32);
            glyphs.push(ShapedGlyph {
                id: info.glyph_id as u16,
                advance: i64::from(pos.x_advance) * size / face.upem,
                text: if first {
                    (cluster, end.max(cluster))
                } else {
                    (cluster, cluster)
                },
                cluster,
            });
        }
        ShapedWord {
            text: text.to_string(),
            glyphs,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Gentium Book Plus's box is 2250 units above the baseline and 750 below, of 2048
    /// per em, in every face.
    #[test]
    fn vertical_metrics_are_the_faces() {
        let fonts = FontSet::embedded();
        let shaper = Shaper::new(&fonts);
        for face in FaceId::ALL {
            assert_eq!(shaper.ascender(face, 2048), 2250, "{face:?}");
            assert_eq!(shaper.descender(face, 2048), 750, "{face:?}");
        }
    }

    #[test]
    fn ligature_keeps_cluster_text() {
        let fonts = FontSet::embedded();
        let mut shaper = Shaper::new(&fonts);
        let w = shaper.shape("office", FaceId::Regular, 11 * MPT);
        // Gentium has an "ffi" ligature: fewer glyphs than characters.
        assert!(w.glyphs.len() < 6, "{:?}", w.glyphs);
        let text: String = (0..w.glyphs.len()).map(|i| w.glyph_text(i)).collect();
        assert_eq!(text, "office");
        assert!((0..w.glyphs.len()).any(|i| w.glyph_text(i) == "ffi"));
        // A break inside the ligature has no glyph; one after it does.
        assert_eq!(w.glyph_at(2), None);
        assert!(w.glyph_at(4).is_some());
    }

    /// Glyphs and positions of `text` in `face`, with the full plan or the lean one.
    fn shaped(face: &harfrust::Font, text: &str, lean: bool) -> Vec<(u32, u32, i32, i32, i32)> {
        let features = lean_features();
        let features: &[harfrust::Feature] = if lean { &features } else { &[] };
        let mut buffer = harfrust::Buffer::new();
        buffer.push_str(text);
        buffer.set_direction(harfrust::Direction::LeftToRight);
        buffer.guess_segment_properties();
        let shaper = harfrust::ShaperFont::new(face);
        harfrust::shape(
            &shaper,
            &mut buffer,
            harfrust::ShapeOptions::new().features(features),
        )
        .unwrap();
        buffer
            .glyph_infos()
            .iter()
            .zip(buffer.glyph_positions())
            .map(|(i, p)| (i.glyph_id, i.cluster, p.x_advance, p.x_offset, p.y_offset))
            .collect()
    }

    /// The lean plan is only an optimisation: for every plain character the embedded
    /// faces map (Latin, Greek, Cyrillic, punctuation, symbols), alone and next to a
    /// spread of others, it gives exactly the full plan's glyphs and positions.
    #[test]
    fn lean_plan_shapes_plain_words_as_the_full_one() {
        let fonts = FontSet::embedded();
        for id in FaceId::ALL {
            let data = fonts.face(id);
            let face = data.shaping().unwrap();
            let cmap = ttf_parser::Face::parse(&data.bytes, data.index).unwrap();
            let mut chars = Vec::new();
            for table in cmap.tables().cmap.unwrap().subtables {
                if table.is_unicode() {
                    table.codepoints(|c| chars.extend(char::from_u32(c)));
                }
            }
            chars.sort_unstable();
            chars.dedup();
            chars.retain(|&c| is_plain(&c.to_string()));
            assert!(chars.len() > 1500, "{}", chars.len());
            let mut words: Vec<String> = chars.iter().map(|c| c.to_string()).collect();
            for (i, &a) in chars.iter().enumerate() {
                for &b in chars.iter().skip(i % 127).step_by(127) {
                    words.push([a, b].iter().collect());
                }
            }
            words.extend(
                ["office", "Wave", "AVAT.", "ﬁnal", "«Candide»", "Ѳеодоръ"].map(String::from),
            );
            for word in &words {
                assert_eq!(
                    shaped(face, word, true),
                    shaped(face, word, false),
                    "{word:?} in {id:?}"
                );
            }
        }
    }

    #[test]
    fn modifier_letters_and_marks_are_not_plain() {
        assert!(is_plain("Stalin’s—1914–18,"));
        assert!(is_plain("Жизнь"));
        assert!(!is_plain("e\u{301}"));
        assert!(!is_plain("\u{2BC}"));
        assert!(!is_plain("\u{1FBF}"));
    }

    /// `smcp` gives other glyphs (Gentium Book Plus's small capitals), for lowercase
    /// only; the cache keeps the two apart.
    #[test]
    fn small_caps_are_the_faces_own() {
        let fonts = FontSet::embedded();
        let mut shaper = Shaper::new(&fonts);
        for face in FaceId::ALL {
            assert!(shaper.has_small_caps(face), "{face:?}");
        }
        let plain = shaper.shape("Anton", FaceId::Regular, 10 * MPT);
        let caps = shaper.shape_with("Anton", FaceId::Regular, 10 * MPT, true);
        let ids = |w: &ShapedWord| w.glyphs.iter().map(|g| g.id).collect::<Vec<_>>();
        assert_eq!(ids(&plain)[0], ids(&caps)[0], "the capital stays");
        assert_ne!(
            ids(&plain)[1..],
            ids(&caps)[1..],
            "lowercase become small capitals"
        );
        let again = shaper.shape("Anton", FaceId::Regular, 10 * MPT);
        assert!(Rc::ptr_eq(&plain, &again));
        assert_eq!(caps.glyph_text(1), "n");
    }

    #[test]
    fn kerning_and_cache() {
        let fonts = FontSet::embedded();
        let mut shaper = Shaper::new(&fonts);
        let av = shaper.shape("AV", FaceId::Regular, 10 * MPT);
        let a = shaper.shape("A", FaceId::Regular, 10 * MPT);
        let v = shaper.shape("V", FaceId::Regular, 10 * MPT);
        assert!(
            av.width(0..2) < a.width(0..1) + v.width(0..1),
            "AV is kerned"
        );
        let again = shaper.shape("AV", FaceId::Regular, 10 * MPT);
        assert!(Rc::ptr_eq(&av, &again));
    }
}
