//! The system's fonts, the last link of the fallback chain: found by fontdb (the
//! standard font folders of Linux, with fontconfig's `<dir>` entries, macOS and
//! Windows), read once, on the first character the book's own fonts and the embedded
//! ones lack, never before (a book they cover pays nothing).
//!
//! A choice never depends on the order fontdb found the files in (its directory walk
//! follows `read_dir`, which is unsorted): faces are sorted by file path and index, and
//! candidates ranked by a fixed order, so a book gives the same PDF on every run on one
//! machine. Ranking, first to last:
//! 1. the families a script is usually set in, serif first to sit beside Gentium (Noto
//!    Serif/Sans *Script*; Naskh for Arabic; the CJK face of the run's language);
//! 2. any face that has the cluster, by style distance (italic, weight, width), then
//!    proportional before monospaced, then family name, then file path and index.
//!
//! Within a family, the face closest to the run's style wins: a bold run gets the bold
//! face when the family has one.

use super::{FallbackRequest, FontBytes, FontData, Origin};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use unicode_script::Script;

/// The system's fonts, read on first use.
pub(crate) struct SystemFonts {
    enabled: bool,
    db: OnceLock<Option<Db>>,
}

impl std::fmt::Debug for SystemFonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemFonts")
            .field("enabled", &self.enabled)
            .field("faces", &self.count())
            .finish()
    }
}

/// The database, once read.
struct Db {
    fontdb: fontdb::Database,
    /// Every face with outlines (TrueType or CFF), sorted by file path and index.
    faces: Vec<Face>,
    /// Lowercase family name → indices into `faces`.
    by_family: HashMap<String, Vec<usize>>,
    loaded_in: Duration,
}

/// One system face.
struct Face {
    id: fontdb::ID,
    family: String,
    post_script: String,
    path: PathBuf,
    index: u32,
    style: Style,
    monospaced: bool,
    /// The face's bytes, read from its file when it is first chosen.
    data: OnceLock<Option<FontData>>,
}

/// A face's style, as the ranking compares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Style {
    italic: bool,
    weight: u16,
    /// OS/2 width class, 1 (ultra-condensed) to 9; 5 is normal.
    width: u16,
}

/// The style a run wants: its book face's.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Wanted(Style);

impl Wanted {
    /// The style of book face `face` (regular, italic, bold, bold italic).
    pub(crate) fn of(face: super::FaceId) -> Wanted {
        Wanted(Style {
            italic: face.is_italic(),
            weight: if face.is_bold() { 700 } else { 400 },
            width: 5,
        })
    }

    /// How far `style` is from the wanted one: italic against upright first, then
    /// weight, then width.
    fn distance(self, style: Style) -> u32 {
        let want = self.0;
        u32::from(style.italic != want.italic) * 10_000
            + u32::from(style.weight.abs_diff(want.weight))
            + u32::from(style.width.abs_diff(want.width)) * 50
    }

    /// [`Wanted::distance`] to a face read from its bytes.
    pub(crate) fn distance_to_face(self, face: &FontData) -> u32 {
        match ttf_parser::Face::parse(&face.bytes, face.index) {
            Ok(f) => self.distance(Style {
                italic: f.is_italic() || f.is_oblique(),
                weight: f.weight().to_number(),
                width: f.width().to_number(),
            }),
            Err(_) => u32::MAX,
        }
    }
}

impl SystemFonts {
    /// System fonts, used when `enabled`.
    pub(crate) fn new(enabled: bool) -> SystemFonts {
        SystemFonts {
            enabled,
            db: OnceLock::new(),
        }
    }

    /// Whether system fonts may be used.
    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    /// The database, read now if it was not (`None` when system fonts are off).
    fn db(&self) -> Option<&Db> {
        if !self.enabled {
            return None;
        }
        self.db.get_or_init(|| Some(Db::load())).as_ref()
    }

    /// How long reading the database took, if it was read.
    pub(crate) fn load_time(&self) -> Option<Duration> {
        self.db.get()?.as_ref().map(|db| db.loaded_in)
    }

    /// How many faces the database holds (0 when not read).
    pub(crate) fn count(&self) -> usize {
        self.db
            .get()
            .and_then(Option::as_ref)
            .map_or(0, |db| db.faces.len())
    }

    /// System face `k` (its bytes read on first use); `None` when its file cannot be
    /// read any more.
    pub(crate) fn face(&self, k: usize) -> Option<&FontData> {
        let face = self.db.get()?.as_ref()?.faces.get(k)?;
        face.data
            .get_or_init(|| {
                let bytes = std::fs::read(&face.path).ok()?;
                Some(FontData::new(
                    face.post_script.clone(),
                    FontBytes::Loaded(bytes.into()),
                    face.index,
                    Origin::System(face.path.clone()),
                ))
            })
            .as_ref()
    }

    /// The system face (index into the sorted faces) for `cluster`, or `None`.
    pub(crate) fn choose(
        &self,
        cluster: &str,
        request: FallbackRequest<'_>,
        want: Wanted,
    ) -> Option<usize> {
        let db = self.db()?;
        for family in preferred_families(request.script, request.lang) {
            let Some(list) = db.by_family.get(&family.to_lowercase()) else {
                continue;
            };
            let best = list
                .iter()
                .copied()
                .filter(|&k| db.covers(k, cluster))
                .min_by_key(|&k| (want.distance(db.faces[k].style), k));
            if best.is_some() {
                return best;
            }
        }
        (0..db.faces.len())
            .filter(|&k| db.covers(k, cluster))
            .min_by(|&a, &b| {
                // Shorter family names first (Typst's rule too): "Noto Sans Math" or
                // "DejaVu Sans" before a face made for another script that happens to
                // have the sign ("Noto Serif Kannada").
                let rank = |k: usize| {
                    let f = &db.faces[k];
                    let family = f.family.as_str();
                    (
                        want.distance(f.style),
                        f.monospaced,
                        family.len(),
                        family,
                        k,
                    )
                };
                rank(a).cmp(&rank(b))
            })
    }
}

impl Db {
    /// Reads the system's font folders (fontdb) and sorts the faces.
    fn load() -> Db {
        let start = Instant::now();
        let mut fontdb = fontdb::Database::new();
        fontdb.load_system_fonts();
        let mut faces: Vec<Face> = fontdb
            .faces()
            .filter_map(|info| {
                let path = match &info.source {
                    fontdb::Source::File(path) | fontdb::Source::SharedFile(path, _) => {
                        path.clone()
                    }
                    fontdb::Source::Binary(_) => return None,
                };
                Some(Face {
                    id: info.id,
                    family: info
                        .families
                        .first()
                        .map_or_else(|| info.post_script_name.clone(), |(f, _)| f.clone()),
                    post_script: info.post_script_name.clone(),
                    path,
                    index: info.index,
                    style: Style {
                        italic: info.style != fontdb::Style::Normal,
                        weight: info.weight.0,
                        width: info.stretch.to_number(),
                    },
                    monospaced: info.monospaced,
                    data: OnceLock::new(),
                })
            })
            .collect();
        // Never the scan order (see the module documentation).
        faces.sort_by(|a, b| (&a.path, a.index).cmp(&(&b.path, b.index)));
        faces.dedup_by(|a, b| a.path == b.path && a.index == b.index);
        // A face id holds 16 bits; no machine has anywhere near this many faces.
        faces.truncate(usize::from(u16::MAX) - 64);
        let mut by_family: HashMap<String, Vec<usize>> = HashMap::new();
        for (k, face) in faces.iter().enumerate() {
            by_family
                .entry(face.family.to_lowercase())
                .or_default()
                .push(k);
        }
        Db {
            fontdb,
            faces,
            by_family,
            loaded_in: start.elapsed(),
        }
    }

    /// Whether face `k` has every character of `cluster` (default-ignorables aside) and
    /// outlines the PDF can embed: a colour-bitmap font (CBDT, such as Noto Color Emoji)
    /// would draw nothing through the subsetter, which keeps only `glyf`, `CFF ` and
    /// `CFF2` outlines.
    fn covers(&self, k: usize, cluster: &str) -> bool {
        let Some(face) = self.faces.get(k) else {
            return false;
        };
        let check = |bytes: &[u8], index: u32| {
            let Ok(f) = ttf_parser::Face::parse(bytes, index) else {
                return false;
            };
            let tables = f.tables();
            (tables.glyf.is_some() || tables.cff.is_some() || tables.cff2.is_some())
                && cluster
                    .chars()
                    .all(|c| super::is_default_ignorable(c) || f.glyph_index(c).is_some())
        };
        match face.data.get() {
            Some(Some(data)) => check(&data.bytes, data.index),
            _ => self.fontdb.with_face_data(face.id, check).unwrap_or(false),
        }
    }
}

/// The families a run of `script` in language `lang` is usually set in, serif first
/// (the embedded Gentium is a serif): Noto, which Linux distributions ship for every
/// script (Debian's fonts-noto-core and fonts-noto-cjk), then DejaVu for what Noto's
/// core lacks. Han takes the CJK face of the language (Japanese, Korean, Traditional or
/// Simplified Chinese forms differ), kana Japanese, Hangul Korean.
fn preferred_families(script: Script, lang: &str) -> Vec<String> {
    let mut subtags = lang.split(['-', '_']);
    let primary = subtags.next().unwrap_or("").to_ascii_lowercase();
    let rest: Vec<String> = subtags.map(str::to_ascii_uppercase).collect();
    let cjk = |region: &str| {
        vec![
            format!("Noto Serif CJK {region}"),
            format!("Noto Sans CJK {region}"),
        ]
    };
    match script {
        Script::Han | Script::Bopomofo => {
            let region = match primary.as_str() {
                "ja" => "JP",
                "ko" => "KR",
                "zh" if rest.iter().any(|t| t == "HK" || t == "MO") => "HK",
                "zh" if rest.iter().any(|t| t == "HANT" || t == "TW") => "TC",
                _ => "SC",
            };
            cjk(region)
        }
        Script::Hiragana | Script::Katakana => cjk("JP"),
        Script::Hangul => cjk("KR"),
        Script::Arabic => {
            let mut list = Vec::new();
            if primary == "ur" {
                list.push("Noto Nastaliq Urdu".to_string());
            }
            list.extend(["Noto Naskh Arabic", "Noto Sans Arabic"].map(String::from));
            list
        }
        Script::Common | Script::Inherited | Script::Unknown => [
            "Noto Serif",
            "Noto Sans",
            "Noto Sans Symbols",
            "Noto Sans Symbols2",
            "Noto Sans Math",
            "DejaVu Serif",
            "DejaVu Sans",
        ]
        .map(String::from)
        .into(),
        Script::Latin | Script::Greek | Script::Cyrillic => {
            ["Noto Serif", "Noto Sans", "DejaVu Serif", "DejaVu Sans"]
                .map(String::from)
                .into()
        }
        other => {
            let name = other.full_name().replace('_', " ");
            vec![format!("Noto Serif {name}"), format!("Noto Sans {name}")]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferred_families_follow_script_and_language() {
        assert_eq!(
            preferred_families(Script::Han, "ja")[0],
            "Noto Serif CJK JP"
        );
        assert_eq!(
            preferred_families(Script::Han, "zh-Hant")[0],
            "Noto Serif CJK TC"
        );
        assert_eq!(
            preferred_families(Script::Han, "zh-HK")[0],
            "Noto Serif CJK HK"
        );
        assert_eq!(
            preferred_families(Script::Han, "en")[0],
            "Noto Serif CJK SC"
        );
        assert_eq!(
            preferred_families(Script::Hangul, "en")[1],
            "Noto Sans CJK KR"
        );
        assert_eq!(
            preferred_families(Script::Arabic, "ar")[0],
            "Noto Naskh Arabic"
        );
        assert_eq!(
            preferred_families(Script::Arabic, "ur")[0],
            "Noto Nastaliq Urdu"
        );
        assert_eq!(
            preferred_families(Script::Devanagari, "hi"),
            ["Noto Serif Devanagari", "Noto Sans Devanagari"]
        );
        assert_eq!(
            preferred_families(Script::Egyptian_Hieroglyphs, "en")[1],
            "Noto Sans Egyptian Hieroglyphs"
        );
    }

    #[test]
    fn style_distance_prefers_italic_then_weight() {
        let bold_italic = Wanted::of(super::super::FaceId::BoldItalic);
        let upright_bold = Style {
            italic: false,
            weight: 700,
            width: 5,
        };
        let italic_regular = Style {
            italic: true,
            weight: 400,
            width: 5,
        };
        assert!(bold_italic.distance(italic_regular) < bold_italic.distance(upright_bold));
        let regular = Wanted::of(super::super::FaceId::Regular);
        let condensed = Style {
            italic: false,
            weight: 400,
            width: 3,
        };
        assert!(regular.distance(condensed) > 0);
    }
}
