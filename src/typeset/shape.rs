//! Shaping words with harfrust (kerning, standard ligatures), cached per
//! (face, size, word): running text repeats a few thousand distinct words.
//!
//! Widths are integers in milli-points (1/1000 pt): a glyph's advance is rounded once,
//! here, and every later stage adds integers, so line widths never drift.

use crate::fonts::{FallbackRequest, FontSet};
use crate::typeset::document::FaceId;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::ops::Range;
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
    /// The face the glyph is in: the word's own, or a fallback face for a cluster the
    /// word's face lacks (see `FontSet::fallback`).
    pub face: FaceId,
    /// How far the glyph is raised, in milli-points (the shaper's y offset: a mark's
    /// placement). Its x offset is folded into the advances (the glyph before it
    /// advances that much more, the glyph itself that much less).
    pub rise: i32,
}

/// A shaped word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapedWord {
    /// The text.
    pub text: String,
    /// Glyphs, left to right (visual order: a right-to-left word's clusters descend).
    pub glyphs: Vec<ShapedGlyph>,
    /// Whether a glyph stands for a character no face has (drawn as the face's .notdef
    /// box; see [`ShapedWord::missing_chars`]).
    pub missing: bool,
    /// Whether it was shaped right to left.
    pub rtl: bool,
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

    /// The characters no face has, with their byte offsets in the word, in text order.
    pub fn missing_chars(&self) -> Vec<(usize, char)> {
        if !self.missing {
            return Vec::new();
        }
        let mut out: Vec<(usize, char)> = self
            .glyphs
            .iter()
            .filter(|g| g.id == 0)
            .filter_map(|g| {
                let at = g.cluster as usize;
                let c = self.text.get(at..)?.chars().next()?;
                (!c.is_control()).then_some((at, c))
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// How a word is shaped besides its face and size: its direction and language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Props {
    /// Right to left (an odd embedding level of the Unicode Bidirectional Algorithm,
    /// UAX #9): the shaper mirrors brackets and returns glyphs in visual order.
    pub rtl: bool,
    /// The language the manuscript marks the text with (`lang`), when it is not the
    /// book's: picks the OpenType language system (`locl` forms), the fallback face's
    /// Han forms and the hyphenation patterns.
    pub lang: Option<Lang>,
    /// Small capitals: the face's `smcp` feature (OpenType Layout tag registry), for
    /// pandoc's `[text]{.smallcaps}` (issue 12).
    pub small_caps: bool,
}

/// A BCP 47 language tag of up to 15 bytes, stored inline (a word's properties are a
/// cache key, copied per word of running text).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lang([u8; 15], u8);

impl Lang {
    /// The tag `tag`, or `None` when empty; a tag longer than 15 bytes keeps only its
    /// primary language subtag (what the shaper and the patterns read first).
    pub fn new(tag: &str) -> Option<Lang> {
        let tag = tag.trim();
        let fit = if tag.len() <= 15 {
            tag
        } else {
            tag.split(['-', '_']).next().filter(|p| p.len() <= 15)?
        };
        if fit.is_empty() {
            return None;
        }
        let mut bytes = [0; 15];
        bytes[..fit.len()].copy_from_slice(fit.as_bytes());
        Some(Lang(bytes, fit.len() as u8))
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0[..usize::from(self.1).min(15)]).unwrap_or("")
    }

    /// The primary language subtag (`en` of `en-GB`).
    pub fn primary(&self) -> &str {
        self.as_str().split(['-', '_']).next().unwrap_or("")
    }
}

impl std::fmt::Debug for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
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

/// The shaper for a book's faces, with its cache.
///
/// harfrust rather than rustybuzz (its ancestor): the same HarfBuzz algorithm, glyph for
/// glyph the same on the 49,000 distinct words of the test corpora in all four faces,
/// and 2.7× faster on Gentium's large GSUB/GPOS, where shaping was a quarter of a cold
/// build of the sample.
///
/// A word is shaped in its book face; only when that gives a .notdef glyph (a word's
/// face lacks a character: a cache miss, so running text its fonts cover pays nothing)
/// are its grapheme clusters given faces from the fallback chain and shaped again, run
/// by run. Words are also cut where the script changes (UAX #24) for scripts the shaper
/// treats differently, so each buffer has one script.
pub struct Shaper<'f> {
    fonts: &'f FontSet,
    /// The book faces, parsed on first use (a book often never sets its bold italic).
    /// `None` inside: the face does not parse.
    faces: [OnceCell<Option<FaceData<'f>>>; 4],
    /// Fallback faces, parsed when first used (`None`: the face does not parse).
    fallback_faces: HashMap<FaceId, Option<FaceData<'f>>, rustc_hash::FxBuildHasher>,
    cache: Vec<((FaceId, i64, Props), WordCache)>,
    buffer: harfrust::Buffer,
    /// Shape plans by face and segment properties: shaping without a plan builds one per
    /// call (feature lookup and parsing), while a book needs a handful. A plan is only
    /// used for a buffer with exactly its properties, which is what harfrust requires.
    plans: Vec<(PlanKey, harfrust::ShapePlan)>,
    /// Words shaped in earlier builds, asked on a miss of `cache`.
    shared: Option<&'f SharedWords>,
    /// The book's language (BCP 47), for text not marked with another.
    lang: Option<Lang>,
}

/// What a shape plan depends on: the face, the buffer's segment properties, and
/// whether it is the lean plan (see [`lean_features`]).
#[derive(Clone, PartialEq, Eq)]
struct PlanKey {
    face: FaceId,
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
            fallback_faces: HashMap::default(),
            cache: Vec::new(),
            buffer: harfrust::Buffer::new(),
            plans: Vec::new(),
            shared,
            lang: None,
        }
    }

    /// Sets the book's language: the shaping language of text not marked with another,
    /// and the one fallback faces are chosen for (Han forms).
    pub fn set_language(&mut self, tag: &str) {
        self.lang = Lang::new(tag);
    }

    /// The book's language, as set.
    pub fn language(&self) -> Option<Lang> {
        self.lang
    }

    /// The words kept between builds, if any (for a shaper on another thread).
    pub fn shared(&self) -> Option<&'f SharedWords> {
        self.shared
    }

    /// The fonts it shapes with (for a shaper on another thread: a shaper is not `Send`).
    pub fn fonts(&self) -> &'f FontSet {
        self.fonts
    }

    /// Book face `index` (0..4), parsed now if not yet, or `None` when it does not parse.
    fn parsed(&self, index: usize) -> Option<&FaceData<'f>> {
        let fonts = self.fonts;
        self.faces
            .get(index)?
            .get_or_init(|| FaceData::new(fonts.face(*FaceId::ALL.get(index)?)))
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

    /// Whether `face`, or a face of the fallback chain (see [`FontSet::fallback`]), draws
    /// the character `c` in text of `props`.
    pub fn draws(&self, face: FaceId, c: char, props: Props) -> bool {
        use unicode_script::UnicodeScript;
        if self.covers(face, c) {
            return true;
        }
        let mut buf = [0u8; 4];
        let lang = props.lang.or(self.lang);
        let request = FallbackRequest {
            style: face,
            script: c.script(),
            lang: lang.as_ref().map_or("", Lang::as_str),
        };
        self.fonts
            .fallback(c.encode_utf8(&mut buf), request)
            .is_some()
    }

    /// Whether `face` has small capitals (`smcp`).
    pub fn has_small_caps(&self, face: FaceId) -> bool {
        self.face(face).is_some_and(|f| f.smcp)
    }

    /// `text` shaped in `face` at `size` milli-points, left to right in the book's
    /// language, from the cache when seen before.
    pub fn shape(&mut self, text: &str, face: FaceId, size: i64) -> Rc<ShapedWord> {
        self.shape_with(text, face, size, Props::default())
    }

    /// `text` shaped in `face` at `size` milli-points with `props` (direction, marked
    /// language), from the cache when seen before.
    pub fn shape_with(
        &mut self,
        text: &str,
        face: FaceId,
        size: i64,
        props: Props,
    ) -> Rc<ShapedWord> {
        // A book sets a handful of (face, size, properties): a short list beats a hash.
        let slot = match self
            .cache
            .iter()
            .position(|(k, _)| *k == (face, size, props))
        {
            Some(i) => i,
            None => {
                self.cache.push(((face, size, props), WordCache::default()));
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
                // gives other keys. The fallback chain is in the typesetter's context
                // key (`typeset::context_key`), which every entry is kept under.
                h.add(&(self.fonts.face(face).key(), size));
                if props != Props::default() || self.lang.is_some() {
                    h.add(&(props, self.lang));
                }
                h.add(text);
                let key = h.key();
                let word = shared.get_or_make(key, || self.shape_uncached(text, face, size, props));
                Rc::new((*word).clone())
            }
            None => Rc::new(self.shape_uncached(text, face, size, props)),
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
        props: Props,
    ) -> ShapedWord {
        let mut raw: Vec<Raw> = Vec::with_capacity(text.len());
        let runs = script_runs(text);
        if let [(range, script)] = runs.as_slice() {
            // One script (most words): straight into the word's glyphs.
            self.shape_covered(text, range.clone(), *script, face_id, size, props, &mut raw);
            return finish_word(text, raw, props.rtl);
        }
        let mut pieces: Vec<Vec<Raw>> = Vec::with_capacity(runs.len());
        for (range, script) in runs {
            let mut piece = Vec::new();
            self.shape_covered(text, range, script, face_id, size, props, &mut piece);
            pieces.push(piece);
        }
        // Each run's glyphs are in visual order; a right-to-left word's runs go right to
        // left too.
        if props.rtl {
            pieces.reverse();
        }
        for piece in pieces {
            raw.extend(piece);
        }
        finish_word(text, raw, props.rtl)
    }

    /// Shapes `text[range]` (one script run) in `face_id`, then gives each grapheme
    /// cluster that face lacks a face from the fallback chain and shapes those runs of
    /// clusters again; glyphs are appended to `out` in visual order.
    #[allow(clippy::too_many_arguments)]
    fn shape_covered(
        &mut self,
        text: &str,
        range: Range<usize>,
        script: unicode_script::Script,
        face_id: FaceId,
        size: i64,
        props: Props,
        out: &mut Vec<Raw>,
    ) {
        let Some(own) = self.face_index(face_id).and_then(FaceId::from_index) else {
            return;
        };
        let Some(sub) = text.get(range.clone()) else {
            return;
        };
        let first = self.shape_run(own, sub, range.start, size, props);
        if first.iter().all(|g| g.id != 0) {
            out.extend(first);
            return;
        }
        // The clusters with a .notdef glyph: from its cluster to the next larger one.
        let mut starts: Vec<u32> = first.iter().map(|g| g.cluster).collect();
        starts.sort_unstable();
        starts.dedup();
        let end_of = |c: u32| {
            starts
                .iter()
                .copied()
                .find(|&s| s > c)
                .unwrap_or(range.end as u32) as usize
        };
        let uncovered: Vec<Range<usize>> = first
            .iter()
            .filter(|g| g.id == 0)
            .map(|g| g.cluster as usize..end_of(g.cluster))
            .collect();
        // Faces per grapheme cluster (UAX #29), then runs of one face.
        let lang = props.lang.or(self.lang);
        let lang = lang.as_ref().map_or("", Lang::as_str);
        let mut runs: Vec<(Range<usize>, FaceId)> = Vec::new();
        for cluster in graphemes(sub) {
            let cluster = cluster.start + range.start..cluster.end + range.start;
            // Control characters (a tab in a code block) have no glyph in any font: they
            // keep the face's .notdef, as they always did, and are not reported.
            let lacks = uncovered
                .iter()
                .any(|u| u.start < cluster.end && cluster.start < u.end)
                && text[cluster.clone()].chars().any(|c| !c.is_control());
            let face = if lacks {
                let chars = &text[cluster.clone()];
                let request = FallbackRequest {
                    style: face_id,
                    script: cluster_script(chars).unwrap_or(script),
                    lang,
                };
                self.fonts.fallback(chars, request).unwrap_or(own)
            } else {
                own
            };
            match runs.last_mut() {
                Some((r, f)) if *f == face => r.end = cluster.end,
                _ => runs.push((cluster, face)),
            }
        }
        let mut shaped: Vec<Vec<Raw>> = Vec::with_capacity(runs.len());
        for (r, face) in runs {
            let piece = &text[r.clone()];
            shaped.push(self.shape_run(face, piece, r.start, size, props));
        }
        if props.rtl {
            shaped.reverse();
        }
        for piece in shaped {
            out.extend(piece);
        }
    }

    /// The face data of any face (book or fallback), parsed on first use.
    fn face_data(&mut self, id: FaceId) -> Option<&FaceData<'f>> {
        if id.is_book() {
            return self.parsed(id.index());
        }
        let fonts = self.fonts;
        self.fallback_faces
            .entry(id)
            .or_insert_with(|| FaceData::new(fonts.face(id)))
            .as_ref()
    }

    /// `text` (at byte `offset` of its word) shaped in face `id`: glyphs in visual order,
    /// clusters as offsets in the word; empty when the face cannot shape.
    fn shape_run(
        &mut self,
        id: FaceId,
        text: &str,
        offset: usize,
        size: i64,
        props: Props,
    ) -> Vec<Raw> {
        if self.face_data(id).is_none() {
            return Vec::new();
        }
        let data = self.fonts.face(id);
        let Some(font) = data.shaping() else {
            return Vec::new();
        };
        // The fields themselves: the plan cache is filled while the face is borrowed.
        let face = if id.is_book() {
            self.faces
                .get(id.index())
                .and_then(|f| f.get())
                .and_then(Option::as_ref)
        } else {
            self.fallback_faces.get(&id).and_then(Option::as_ref)
        };
        let Some(face) = face else {
            return Vec::new();
        };
        let lean = matches!(data.bytes, crate::fonts::FontBytes::Embedded(_)) && is_plain(text);
        // The lean plan's three features, then `smcp`: a fixed array, no allocation.
        let smcp = harfrust::Feature::new(harfrust::Tag::new(&SMCP), 1, ..);
        let [a, b, c] = lean_features();
        let all = [a, b, c, smcp];
        let features: &[harfrust::Feature] = match (lean, props.small_caps) {
            (true, true) => &all,
            (true, false) => &all[..3],
            (false, true) => &all[3..],
            (false, false) => &[],
        };
        let buffer = &mut self.buffer;
        buffer.clear();
        buffer.push_str(text);
        buffer.set_direction(if props.rtl {
            harfrust::Direction::RightToLeft
        } else {
            harfrust::Direction::LeftToRight
        });
        if let Some(lang) = props.lang.or(self.lang) {
            buffer.set_language(harfrust::Language::new(lang.as_str()));
        }
        // Guess the script (the run has one, see `script_runs`), then plan for exactly
        // the buffer's properties (what shaping without a plan does).
        buffer.guess_segment_properties();
        let key = PlanKey {
            face: id,
            direction: buffer.direction(),
            script: buffer.script(),
            language: buffer.language().cloned(),
            lean,
            smcp: props.small_caps,
        };
        let plan = match self.plans.iter().position(|(k, _)| *k == key) {
            Some(i) => &self.plans[i].1,
            None => {
                // Default features: kern, liga, clig, calt … (the OpenType defaults for
                // Latin), and each script's own (Arabic joining forms, Indic
                // reordering and conjuncts).
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
        // the key above rules out; such a run is set without glyphs rather than stopping
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
            return Vec::new();
        }
        let upem = face.upem;
        buffer
            .glyph_infos()
            .iter()
            .zip(buffer.glyph_positions())
            .map(|(info, pos)| Raw {
                id: info.glyph_id as u16,
                cluster: info.cluster + offset as u32,
                advance: i64::from(pos.x_advance) * size / upem,
                // Most glyphs are not moved (only marks are): no division for them.
                offset: if pos.x_offset == 0 && pos.y_offset == 0 {
                    (0, 0)
                } else {
                    (
                        i64::from(pos.x_offset) * size / upem,
                        i64::from(pos.y_offset) * size / upem,
                    )
                },
                face: id,
            })
            .collect()
    }
}

/// A glyph as the shaper gives it, before its text range is known.
#[derive(Clone, Copy, Debug)]
struct Raw {
    id: u16,
    cluster: u32,
    advance: i64,
    /// x and y offsets, milli-points.
    offset: (i64, i64),
    face: FaceId,
}

impl<'f> FaceData<'f> {
    /// The shaping face and vertical metrics of `data`, or `None` when it does not parse.
    fn new(data: &'f crate::fonts::FontData) -> Option<FaceData<'f>> {
        let font = data.shaping()?;
        // Ascender and descender as ttf-parser reads them (hhea, or OS/2's typographic
        // ones when the font asks for it), as the PDF's font descriptor does.
        let metrics = ttf_parser::Face::parse(&data.bytes, data.index).ok()?;
        Some(FaceData {
            face: harfrust::ShaperFont::new(font),
            upem: i64::from(metrics.units_per_em()).max(1),
            ascender: i64::from(metrics.ascender()),
            descender: -i64::from(metrics.descender()),
            smcp: metrics.tables().gsub.is_some_and(|gsub| {
                gsub.features
                    .into_iter()
                    .any(|f| f.tag == ttf_parser::Tag::from_bytes(&SMCP))
            }),
            tables: metrics,
        })
    }
}

/// The word's glyphs with their text: the first glyph of each cluster holds the
/// cluster's text, from its offset to the next larger cluster offset of the word (its
/// end for the last), the others none.
fn finish_word(text: &str, raw: Vec<Raw>, rtl: bool) -> ShapedWord {
    // A cluster's text ends where the next larger cluster offset starts. A
    // left-to-right word's offsets ascend (the shaper keeps them monotone): the next one
    // met after it. Otherwise, from the offsets sorted.
    let monotone = !rtl && raw.windows(2).all(|w| w[0].cluster <= w[1].cluster);
    let mut starts: Vec<u32> = Vec::new();
    if !monotone {
        starts = raw.iter().map(|g| g.cluster).collect();
        starts.sort_unstable();
        starts.dedup();
    }
    let mut glyphs = Vec::with_capacity(raw.len());
    let mut missing = false;
    for (i, g) in raw.iter().enumerate() {
        let cluster = g.cluster;
        missing |= g.id == 0;
        // In visual order a cluster's glyphs are together: the first of them holds its
        // text.
        let first = i == 0 || raw[i - 1].cluster != cluster;
        let end = if monotone {
            raw[i..].iter().map(|g| g.cluster).find(|&c| c != cluster)
        } else {
            match starts.binary_search(&cluster) {
                Ok(k) => starts.get(k + 1).copied(),
                Err(_) => None,
            }
        }
        .unwrap_or(text.len() as u32);
        // GPOS placement (mark to base, mark to mark): the x offset moves the glyph
        // from its pen position, which the advances say exactly: the glyph before it
        // advances that much more, this one that much less.
        let (dx, dy) = g.offset;
        let mut advance = g.advance;
        if dx != 0 {
            if let Some(before) = glyphs.last_mut() {
                let before: &mut ShapedGlyph = before;
                before.advance += dx;
                advance -= dx;
            }
        }
        glyphs.push(ShapedGlyph {
            id: g.id,
            advance,
            rise: i32::try_from(dy).unwrap_or(0),
            text: if first {
                (cluster, end.max(cluster))
            } else {
                (cluster, cluster)
            },
            cluster,
            face: g.face,
        });
    }
    if rtl {
        split_rtl_clusters(text, &mut glyphs);
    }
    ShapedWord {
        text: text.to_string(),
        glyphs,
        missing,
        rtl,
    }
}

/// In a right-to-left word, a cluster of as many glyphs as characters, a base and its
/// marks (a Hebrew letter with its points, an Arabic letter with its vowel signs), gives
/// each glyph its own character instead of the whole cluster to the first: text
/// extraction (poppler's, as others') reorders right-to-left text character by
/// character from the glyphs' positions, so a cluster's several characters given as
/// one text, in ToUnicode or `/ActualText`, come out reversed. The shaper reverses a
/// right-to-left buffer glyph by glyph, so a cluster's glyphs are in reverse text order
/// (marks before their base): the characters are given back to front.
fn split_rtl_clusters(text: &str, glyphs: &mut [ShapedGlyph]) {
    let mut i = 0;
    while i < glyphs.len() {
        let cluster = glyphs[i].cluster;
        let n = glyphs[i..]
            .iter()
            .take_while(|g| g.cluster == cluster)
            .count()
            .max(1);
        let (start, end) = glyphs[i].text;
        let cluster_text = text.get(start as usize..end as usize).unwrap_or("");
        if n > 1 && cluster_text.chars().count() == n {
            let run = glyphs[i..i + n].iter_mut().rev();
            for (g, (at, c)) in run.zip(cluster_text.char_indices()) {
                let from = start + at as u32;
                g.text = (from, from + c.len_utf8() as u32);
            }
        }
        i += n;
    }
}

/// Whether two strong scripts shape as one run: Latin, Greek and Cyrillic do (the book
/// faces set them together, and splitting a word between them would only lose kerning),
/// every other pair does not.
fn same_run(a: unicode_script::Script, b: unicode_script::Script) -> bool {
    use unicode_script::Script as S;
    let european = |s| matches!(s, S::Latin | S::Greek | S::Cyrillic);
    a == b || (european(a) && european(b))
}

/// The script runs of a word (UAX #24 Script property): Common and Inherited
/// characters (punctuation, digits, combining marks) join the run before them (the one
/// after at the start). Most words are one run: below U+0530 every character is Latin,
/// Greek, Cyrillic or Common.
fn script_runs(text: &str) -> Vec<(Range<usize>, unicode_script::Script)> {
    use unicode_script::{Script as S, UnicodeScript};
    if text.chars().all(|c| (c as u32) < 0x530) {
        let script = text
            .chars()
            .map(|c| c.script())
            .find(|s| !matches!(s, S::Common | S::Inherited | S::Unknown))
            .unwrap_or(S::Common);
        return vec![(0..text.len(), script)];
    }
    let mut runs = Vec::new();
    let (mut start, mut current) = (0, None);
    for (i, c) in text.char_indices() {
        let s = c.script();
        if matches!(s, S::Common | S::Inherited | S::Unknown) {
            continue;
        }
        match current {
            None => current = Some(s),
            Some(r) if same_run(r, s) => {}
            Some(r) => {
                runs.push((start..i, r));
                start = i;
                current = Some(s);
            }
        }
    }
    runs.push((start..text.len(), current.unwrap_or(S::Common)));
    runs
}

/// The script of a cluster: its first character that has one (not Common or
/// Inherited).
fn cluster_script(cluster: &str) -> Option<unicode_script::Script> {
    use unicode_script::{Script as S, UnicodeScript};
    cluster
        .chars()
        .map(|c| c.script())
        .find(|s| !matches!(s, S::Common | S::Inherited | S::Unknown))
}

/// The extended grapheme clusters of `text` (UAX #29), as byte ranges: a base with its
/// marks, an emoji sequence, a Hangul syllable. Fallback gives a face to each whole
/// cluster, so a mark never lands in another font than its base.
fn graphemes(text: &str) -> Vec<Range<usize>> {
    let segmenter = icu_segmenter::GraphemeClusterSegmenter::new();
    let mut out = Vec::new();
    let mut last = 0;
    for b in segmenter.segment_str(text) {
        if b > last {
            out.push(last..b);
            last = b;
        }
    }
    if last < text.len() {
        out.push(last..text.len());
    }
    out
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
        let caps = shaper.shape_with(
            "Anton",
            FaceId::Regular,
            10 * MPT,
            Props {
                small_caps: true,
                ..Props::default()
            },
        );
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
