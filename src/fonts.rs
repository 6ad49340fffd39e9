//! The book's four faces: the embedded Gentium Book Plus, or files named in the metadata.
//!
//! Fonts are plain bytes here; each stage parses what it needs (ttf-parser parsing is
//! lazy and cheap). No system font is ever looked up, so the same manuscript gives the
//! same PDF on every machine.

use crate::error::Error;
use crate::files::Files;
use crate::memo::{Key, KeyHasher};
use crate::model::FontFiles;
use std::sync::Arc;

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

/// Which of the book's four faces a run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaceId {
    /// Upright.
    Regular,
    /// Italic.
    Italic,
    /// Bold.
    Bold,
    /// Bold italic.
    BoldItalic,
}

impl FaceId {
    /// All faces, in a fixed order.
    pub const ALL: [FaceId; 4] = [
        FaceId::Regular,
        FaceId::Italic,
        FaceId::Bold,
        FaceId::BoldItalic,
    ];

    /// Position in [`FaceId::ALL`].
    pub fn index(self) -> usize {
        self as usize
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
    /// The content key of the face: what every cached result made with it hashes.
    key: Key,
    /// The face as the shaper reads it, parsed on first use and shared by every thread
    /// that shapes with it (harfrust keeps its layout tables' lookup caches there).
    shaping: ShapingFont,
}

impl FontData {
    fn new(name: String, bytes: FontBytes, index: u32) -> FontData {
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
            key: h.key(),
            shaping: ShapingFont::default(),
        }
    }

    /// The face's content key (its program and index).
    pub fn key(&self) -> Key {
        self.key
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

/// The four faces of a book, indexed by [`FaceId`].
#[derive(Clone, Debug)]
pub struct FontSet {
    faces: [FontData; 4],
}

impl FontSet {
    /// The embedded Gentium Book Plus family.
    pub fn embedded() -> FontSet {
        FontSet {
            faces: EMBEDDED.map(|(name, bytes)| {
                FontData::new(name.to_string(), FontBytes::Embedded(bytes), 0)
            }),
        }
    }

    /// The faces named in the metadata (paths relative to the manuscript folder), read
    /// through the file layer, the embedded family filling any face not named.
    pub fn load(named: &FontFiles, files: &Files<'_>) -> Result<FontSet, Error> {
        let mut set = FontSet::embedded();
        let named = [
            &named.regular,
            &named.italic,
            &named.bold,
            &named.bold_italic,
        ];
        for (slot, path) in set.faces.iter_mut().zip(named) {
            let Some(path) = path else { continue };
            let full = files.root().join(path);
            let bytes = files.read(&full).map_err(|e| Error::io(&full, e))?;
            if ttf_parser::Face::parse(&bytes, 0).is_err() {
                return Err(Error::Font {
                    name: full.display().to_string(),
                    reason: "not a TrueType or OpenType font".into(),
                });
            }
            let name = full
                .file_stem()
                .map_or_else(|| "Font".to_string(), |s| s.to_string_lossy().into_owned());
            *slot = FontData::new(name, FontBytes::Loaded(bytes), 0);
        }
        Ok(set)
    }

    /// The face for `id`.
    pub fn face(&self, id: FaceId) -> &FontData {
        &self.faces[id.index()]
    }

    /// The key of the four faces together.
    pub fn key(&self) -> Key {
        let mut h = KeyHasher::default();
        for face in &self.faces {
            h.add(&face.key);
        }
        h.key()
    }
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
