//! The book's faces: its four (the embedded Gentium Book Plus, or files named in the
//! metadata), and the fallback chain for characters they lack (issue 13): the files of
//! `pdf: fonts: fallback:`, the embedded faces, then the system's fonts ([`system`]).
//!
//! Fonts are plain bytes here; each stage parses what it needs (ttf-parser parsing is
//! lazy and cheap). A book its own fonts cover never looks at the system's fonts, so it
//! gives the same PDF on every machine; one that needs them says which it used.

use crate::error::Error;
use crate::files::Files;
use crate::memo::{Key, KeyHasher};
use crate::model::FontFiles;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

mod system;

/// Gentium Book Plus 6.101, SIL Open Font License 1.1 (fonts/OFL.txt).
const EMBEDDED: [(&str, &[u8]); 4] = [
    (
        "GentiumBookPlus-Regular",
        include_bytes!("../fonts/GentiumBookPlus-Regular.ttf"),
    ),
    (
        "GentiumBookPlus-Italic",
        include_bytes!("../fonts/GentiumBookPlus-Italic.ttf"),
    ),
    (
        "GentiumBookPlus-Bold",
        include_bytes!("../fonts/GentiumBookPlus-Bold.ttf"),
    ),
    (
        "GentiumBookPlus-BoldItalic",
        include_bytes!("../fonts/GentiumBookPlus-BoldItalic.ttf"),
    ),
];

/// A font file's bytes: the embedded faces are used in place (copying four ~850 KB
/// files at every start was a tenth of a cold build of the sample, most of it page
/// faults), files named in the metadata are read once and shared.
#[derive(Clone, Debug)]
pub enum FontBytes {
    /// One of the faces compiled into the binary.
    Embedded(&'static [u8]),
    /// A file read from the manuscript's folder.
    Loaded(Arc<[u8]>),
}

impl std::ops::Deref for FontBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            FontBytes::Embedded(bytes) => bytes,
            FontBytes::Loaded(bytes) => bytes,
        }
    }
}

/// A face of the book's face table ([`FontSet`]): the four book faces first, at the
/// indices they always had (so a book its own faces cover is set, and written, exactly
/// as before fallback existed), then the fallback faces: the files of `pdf: fonts:
/// fallback:`, the embedded Gentium faces (when the book names its own), and the
/// system's faces (ordered by file path and index, never by scan order, so an id means
/// the same face on every run on one machine).
///
/// The four book faces are named like enum variants (`FaceId::Regular` …) so that code
/// matching on them reads as before.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FaceId(u16);

#[allow(non_upper_case_globals)]
impl FaceId {
    /// Upright.
    pub const Regular: FaceId = FaceId(0);
    /// Italic.
    pub const Italic: FaceId = FaceId(1);
    /// Bold.
    pub const Bold: FaceId = FaceId(2);
    /// Bold italic.
    pub const BoldItalic: FaceId = FaceId(3);

    /// The four book faces, in a fixed order.
    pub const ALL: [FaceId; 4] = [
        FaceId::Regular,
        FaceId::Italic,
        FaceId::Bold,
        FaceId::BoldItalic,
    ];

    /// Position in the face table (0..4 for the book faces, in [`FaceId::ALL`]'s order).
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    /// The face at `index` of the table (`None` past what an id can hold).
    pub fn from_index(index: usize) -> Option<FaceId> {
        u16::try_from(index).ok().map(FaceId)
    }

    /// Whether this is one of the four book faces (not a fallback face).
    pub fn is_book(self) -> bool {
        self.0 < 4
    }

    /// Whether the book face is italic (bold italic included).
    pub fn is_italic(self) -> bool {
        matches!(self, FaceId::Italic | FaceId::BoldItalic)
    }

    /// Whether the book face is bold (bold italic included).
    pub fn is_bold(self) -> bool {
        matches!(self, FaceId::Bold | FaceId::BoldItalic)
    }
}

/// The book faces by their names (as the enum they were printed), fallback faces by
/// their index: what typeset dumps and snapshots show.
impl std::fmt::Debug for FaceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            FaceId::Regular => f.write_str("Regular"),
            FaceId::Italic => f.write_str("Italic"),
            FaceId::Bold => f.write_str("Bold"),
            FaceId::BoldItalic => f.write_str("BoldItalic"),
            FaceId(n) => write!(f, "Fallback{n}"),
        }
    }
}

/// One font file.
#[derive(Clone, Debug)]
pub struct FontData {
    /// PostScript-style name, for the PDF's font dictionary.
    pub name: String,
    /// The file's bytes.
    pub bytes: FontBytes,
    /// Index of the face in a collection (0 for a plain .ttf/.otf).
    pub index: u32,
    /// Where the face comes from, for the build's note on fallback fonts.
    pub origin: Origin,
    /// The content key of the face: what every cached result made with it hashes.
    key: Key,
    /// The face as the shaper reads it, parsed on first use and shared by every thread
    /// that shapes with it (harfrust keeps its layout tables' lookup caches there).
    shaping: ShapingFont,
}

impl FontData {
    pub(crate) fn new(name: String, bytes: FontBytes, index: u32, origin: Origin) -> FontData {
        // The binary's own faces by name (hashing their 3.4 MB was a twentieth of a cold
        // build of the sample; the name changes with the file, see `EMBEDDED`), a font
        // file from the manuscript by its bytes; and the face's index in its file.
        let mut h = KeyHasher::default();
        match &bytes {
            FontBytes::Embedded(_) => h.add(&("embedded", name.as_str())),
            FontBytes::Loaded(bytes) => h.bytes(bytes),
        }
        h.add(&index);
        FontData {
            name,
            bytes,
            index,
            origin,
            key: h.key(),
            shaping: ShapingFont::default(),
        }
    }

    /// The face's content key (its program and index).
    pub fn key(&self) -> Key {
        self.key
    }

    /// Whether the face has a glyph for every character of `cluster` that needs one
    /// (default-ignorable characters, such as joiners and variation selectors, need none:
    /// the shaper hides them). False when the face does not parse.
    pub fn covers(&self, cluster: &str) -> bool {
        let Ok(face) = ttf_parser::Face::parse(&self.bytes, self.index) else {
            return false;
        };
        cluster
            .chars()
            .all(|c| is_default_ignorable(c) || face.glyph_index(c).is_some())
    }

    /// The face for shaping, or `None` when it does not parse.
    pub fn shaping(&self) -> Option<&harfrust::Font> {
        self.shaping
            .0
            .get_or_init(|| {
                let source: harfrust::font::Blob = match &self.bytes {
                    FontBytes::Embedded(bytes) => (*bytes).into(),
                    FontBytes::Loaded(bytes) => {
                        let shared: Arc<dyn AsRef<[u8]> + Send + Sync> = Arc::new(bytes.clone());
                        shared.into()
                    }
                };
                harfrust::Font::new(source, self.index)
            })
            .as_ref()
    }
}

/// A lazily parsed shaping face (its own type for `Debug`: harfrust's font has none).
#[derive(Clone, Default)]
struct ShapingFont(std::sync::OnceLock<Option<harfrust::Font>>);

impl std::fmt::Debug for ShapingFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShapingFont")
    }
}

/// Where a face comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// One of the book's four faces (`pdf: fonts:` or the embedded family).
    Book,
    /// A file of `pdf: fonts: fallback:`.
    Fallback(PathBuf),
    /// Gentium Book Plus, compiled into quire, as a fallback for a book set in other
    /// fonts.
    Embedded,
    /// A font installed on this machine, found by fontdb.
    System(PathBuf),
}

/// The faces a book is set in: its four faces, then its fallback chain (see [`FaceId`]).
///
/// The chain is tried for each grapheme cluster the run's own face lacks: the files of
/// `pdf: fonts: fallback:` in the order given, the embedded Gentium Book Plus, then the
/// system's fonts. The system's font database is read only when a character is missing
/// from all the others (once, shared by every thread): a book its own fonts cover never
/// reads it.
#[derive(Clone, Debug)]
pub struct FontSet {
    /// The book faces (0..4), then the fallback files' faces, then the embedded faces
    /// when the book faces are not all embedded ones.
    faces: Vec<FontData>,
    /// Where the fallback files' faces start and end in `faces`.
    files: std::ops::Range<usize>,
    /// Where the embedded fallback faces start in `faces` (`None`: the book faces are
    /// the embedded ones).
    embedded: Option<usize>,
    /// The system's fonts, read on first need; shared by clones (one read per build).
    system: Arc<system::SystemFonts>,
    /// Fallback choices made so far (a pure function of its key, so the memo never
    /// changes a result, whichever thread asks first).
    choices: Arc<Mutex<HashMap<ChoiceKey, Option<FaceId>>>>,
}

/// What a fallback choice depends on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct ChoiceKey {
    cluster: String,
    style: FaceId,
    script: unicode_script::Script,
    lang: String,
}

/// What a run asks of the fallback chain besides its text.
#[derive(Clone, Copy, Debug)]
pub struct FallbackRequest<'a> {
    /// The run's book face: its style (italic, bold) is matched when a fallback family
    /// has it.
    pub style: FaceId,
    /// The run's script (UAX #24), Common and Inherited resolved from their neighbours.
    pub script: unicode_script::Script,
    /// The run's language (BCP 47): picks the Han forms (Japanese, Korean, Simplified or
    /// Traditional Chinese).
    pub lang: &'a str,
}

impl FontSet {
    /// The embedded Gentium Book Plus family (and the system's fonts as fallback).
    pub fn embedded() -> FontSet {
        FontSet {
            faces: EMBEDDED
                .map(|(name, bytes)| {
                    FontData::new(
                        name.to_string(),
                        FontBytes::Embedded(bytes),
                        0,
                        Origin::Book,
                    )
                })
                .into(),
            files: 4..4,
            embedded: None,
            system: Arc::new(system::SystemFonts::new(true)),
            choices: Arc::default(),
        }
    }

    /// The faces named in the metadata (paths relative to the manuscript folder), read
    /// through the file layer, the embedded family filling any face not named; then the
    /// fallback files, each face of each (a collection holds several).
    pub fn load(named: &FontFiles, files: &Files<'_>) -> Result<FontSet, Error> {
        let mut set = FontSet::embedded();
        let book = [
            &named.regular,
            &named.italic,
            &named.bold,
            &named.bold_italic,
        ];
        for (slot, path) in set.faces.iter_mut().zip(book) {
            let Some(path) = path else { continue };
            let (full, bytes) = read_font(path, files)?;
            *slot = FontData::new(
                font_name(&full, 0),
                FontBytes::Loaded(bytes),
                0,
                Origin::Book,
            );
        }
        for path in &named.fallback {
            let (full, bytes) = read_font(path, files)?;
            let count = ttf_parser::fonts_in_collection(&bytes).unwrap_or(1).max(1);
            for index in 0..count {
                set.faces.push(FontData::new(
                    font_name(&full, index),
                    FontBytes::Loaded(Arc::clone(&bytes)),
                    index,
                    Origin::Fallback(full.clone()),
                ));
            }
        }
        set.files = 4..set.faces.len();
        if book.iter().any(|p| p.is_some()) {
            set.embedded = Some(set.faces.len());
            set.faces.extend(EMBEDDED.map(|(name, bytes)| {
                FontData::new(
                    name.to_string(),
                    FontBytes::Embedded(bytes),
                    0,
                    Origin::Embedded,
                )
            }));
        }
        set.system = Arc::new(system::SystemFonts::new(!named.no_system));
        Ok(set)
    }

    /// The same faces without the system's fonts (a book's own fonts only; for tests of
    /// what happens where nothing covers a character).
    pub fn without_system_fonts(mut self) -> FontSet {
        self.system = Arc::new(system::SystemFonts::new(false));
        self.choices = Arc::default();
        self
    }

    /// The face for `id`: a book face, a fallback face, or a system face (read from its
    /// file on first use). An id no face has (a typesetter bug) gives the regular face.
    pub fn face(&self, id: FaceId) -> &FontData {
        let i = id.index();
        if let Some(face) = self.faces.get(i) {
            return face;
        }
        i.checked_sub(self.faces.len())
            .and_then(|k| self.system.face(k))
            .unwrap_or(&self.faces[0])
    }

    /// The key of the faces together: the book faces, the fallback files, and whether
    /// system fonts may be used (not which are installed: a font installed while `quire
    /// watch` runs is only seen by the next session).
    pub fn key(&self) -> Key {
        let mut h = KeyHasher::default();
        for face in &self.faces[..4] {
            h.add(&face.key);
        }
        if self.faces.len() > 4 || !self.system.enabled() {
            for face in &self.faces[4..] {
                h.add(&face.key);
            }
            h.add(&self.system.enabled());
        }
        h.key()
    }

    /// The face of the fallback chain for `cluster` (one grapheme cluster) in a run
    /// asking `request`, or `None` when no face has it. Deterministic: the same cluster
    /// and request give the same face on every run on one machine, whichever thread asks
    /// first (candidates are ranked by a fixed order, never by the order files were
    /// found).
    pub fn fallback(&self, cluster: &str, request: FallbackRequest<'_>) -> Option<FaceId> {
        let key = ChoiceKey {
            cluster: cluster.to_string(),
            style: request.style,
            script: request.script,
            lang: request.lang.to_string(),
        };
        if let Some(found) = self.choices.lock().ok().and_then(|m| m.get(&key).copied()) {
            return found;
        }
        let found = self.choose(cluster, request);
        if let Ok(mut m) = self.choices.lock() {
            m.insert(key, found);
        }
        found
    }

    fn choose(&self, cluster: &str, request: FallbackRequest<'_>) -> Option<FaceId> {
        let want = system::Wanted::of(request.style);
        // The fallback files, in the order given; within a file (a collection), the face
        // closest in style.
        let mut best: Option<(u32, usize)> = None;
        let mut file: Option<&Origin> = None;
        for i in self.files.clone() {
            let face = &self.faces[i];
            if file.is_some_and(|f| *f != face.origin) && best.is_some() {
                break;
            }
            file = Some(&face.origin);
            if face.covers(cluster) {
                let distance = want.distance_to_face(face);
                if best.is_none_or(|(d, _)| distance < d) {
                    best = Some((distance, i));
                }
            }
        }
        if let Some((_, i)) = best {
            return FaceId::from_index(i);
        }
        // The embedded face of the same style.
        if let Some(start) = self.embedded {
            let i = start + request.style.index().min(3);
            if self.faces.get(i).is_some_and(|f| f.covers(cluster)) {
                return FaceId::from_index(i);
            }
        }
        let k = self.system.choose(cluster, request, want)?;
        FaceId::from_index(self.faces.len() + k)
    }

    /// How long reading the system's font database took, if it was read (a benchmark
    /// figure: it is read only when a book's own fonts lack a character).
    pub fn system_load_time(&self) -> Option<std::time::Duration> {
        self.system.load_time()
    }

    /// How many faces the system font database holds (0 when it was not read or system
    /// fonts are off).
    pub fn system_face_count(&self) -> usize {
        self.system.count()
    }

    /// Whether system fonts may be used.
    pub fn system_fonts_enabled(&self) -> bool {
        self.system.enabled()
    }

    /// A short description of a face for the build's note: its family and where it comes
    /// from.
    pub fn describe(&self, id: FaceId) -> String {
        let face = self.face(id);
        let family = family_name(face);
        match &face.origin {
            Origin::Book => format!("{family} (the book's font)"),
            Origin::Fallback(path) => format!("{family} ({})", path.display()),
            Origin::Embedded => format!("{family} (embedded)"),
            Origin::System(path) => format!("{family} (system: {})", path.display()),
        }
    }
}

/// A face's family name (from its `name` table), or its PostScript name.
fn family_name(face: &FontData) -> String {
    let Ok(parsed) = ttf_parser::Face::parse(&face.bytes, face.index) else {
        return face.name.clone();
    };
    let names = parsed.names();
    for id in [
        ttf_parser::name_id::TYPOGRAPHIC_FAMILY,
        ttf_parser::name_id::FAMILY,
    ] {
        if let Some(name) = names
            .into_iter()
            .filter(|n| n.name_id == id && n.is_unicode())
            .find_map(|n| n.to_string())
        {
            return name;
        }
    }
    face.name.clone()
}

/// Reads a font file named in the metadata (relative to the manuscript folder) through
/// the file layer (so `quire watch` follows it), checking that it parses.
fn read_font(path: &Path, files: &Files<'_>) -> Result<(PathBuf, Arc<[u8]>), Error> {
    let full = files.root().join(path);
    let bytes = files.read(&full).map_err(|e| Error::io(&full, e))?;
    if ttf_parser::Face::parse(&bytes, 0).is_err() {
        return Err(Error::Font {
            name: full.display().to_string(),
            reason: "not a TrueType or OpenType font".into(),
        });
    }
    Ok((full, bytes))
}

/// The PDF name of face `index` of the file `path`: the file's stem (and the index for
/// the second and later faces of a collection).
fn font_name(path: &Path, index: u32) -> String {
    let stem = path
        .file_stem()
        .map_or_else(|| "Font".to_string(), |s| s.to_string_lossy().into_owned());
    if index == 0 {
        stem
    } else {
        format!("{stem}-{index}")
    }
}

/// Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): characters a
/// font need not have, because the shaper hides them (joiners, variation selectors,
/// bidi controls, the soft hyphen, tags).
pub fn is_default_ignorable(c: char) -> bool {
    matches!(c as u32,
        0xAD | 0x34F | 0x61C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn embedded_faces_parse_and_cover_latin_cyrillic_greek() {
        let set = FontSet::embedded();
        for id in FaceId::ALL {
            let data = set.face(id);
            let face = ttf_parser::Face::parse(&data.bytes, data.index).unwrap();
            for c in ['a', 'ж', 'λ', '’', '—'] {
                assert!(face.glyph_index(c).is_some(), "{} lacks {c}", data.name);
            }
        }
    }
}
