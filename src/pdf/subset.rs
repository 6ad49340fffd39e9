//! Font subsetting: the glyphs a document uses, cut out of each face with typst's
//! `subsetter`, wrapped as printpdf fonts.
//!
//! printpdf 0.12.8 subsets only with its `text_layout` feature (which pulls in
//! azul-layout); without it, it embeds the whole font — four Gentium faces are ~3.4 MB
//! (anchors.md §4.2). So quire subsets here and hands printpdf a font whose program
//! *is* the subset: printpdf's "full embed" path then writes it as CIDFontType2 /
//! Identity-H with `/W` and a ToUnicode CMap built from the glyphs the pages use.

use crate::error::Error;
use crate::fonts::FontSet;
use crate::typeset::document::{FaceId, GlyphText};
use printpdf::{FontId, FontMetrics, FontType, ParsedFont, PdfFontMetricsStub};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// One face as embedded in the PDF.
pub(crate) struct EmbeddedFace {
    /// The resource name in the pages' `/Font` dictionary.
    pub id: FontId,
    /// The subset font, ready for printpdf.
    pub font: ParsedFont,
    /// Original glyph id → glyph id in the subset (a table, not a map: it is read once
    /// per glyph of the book); 0 (.notdef) for glyphs not in the subset.
    remap: Vec<u16>,
    /// Subset glyph id → advance width in thousandths of an em, exactly as
    /// [`EmbeddedFace::widths_array`] writes it into `/W`, so TJ adjustments computed
    /// against it land each glyph where the typesetter put it.
    widths: Vec<f64>,
    /// Subset glyph id → the text it stands for (ToUnicode).
    pub text: BTreeMap<u16, String>,
    /// The same, as a table by subset glyph id (read once per glyph of the book, to find
    /// the glyphs whose ToUnicode text is not their own: see `content::glyph_array`), in
    /// short texts packed into a number ([`GlyphText::packed`]; `u64::MAX` for a longer
    /// one), which compares in one instruction.
    unicode: Vec<u64>,
}

impl EmbeddedFace {
    /// The subset's glyph id for the original glyph `gid` (.notdef when not in it).
    pub fn subset_glyph(&self, gid: u16) -> u16 {
        self.remap.get(usize::from(gid)).copied().unwrap_or(0)
    }

    /// Whether ToUnicode gives subset glyph `gid` the text packed as `packed`
    /// ([`GlyphText::packed`]).
    pub fn maps_packed(&self, gid: u16, packed: u64) -> bool {
        self.unicode
            .get(usize::from(gid))
            .is_some_and(|&p| p == packed)
    }

    /// Whether ToUnicode gives subset glyph `gid` the text `text`.
    pub fn maps_to(&self, gid: u16, text: &GlyphText) -> bool {
        match text.packed() {
            Some(packed) => self.unicode.get(usize::from(gid)) == Some(&packed),
            None => self.text.get(&gid).map(String::as_str) == Some(text.as_str()),
        }
    }

    /// The `/W` width of subset glyph `gid`, in thousandths of an em.
    pub fn width(&self, gid: u16) -> f64 {
        self.widths.get(usize::from(gid)).copied().unwrap_or(0.0)
    }

    /// The `/W` array (ISO 32000-1 §9.7.4.3): `[first [w w …]]` for each run of
    /// consecutive subset glyphs, with the exact widths (reals), not printpdf's truncated
    /// integers. A truncated width is on average half a thousandth of an em short, so
    /// every other glyph of a line needed a TJ correction of -1 to stay where the
    /// typesetter put it: a third of the content streams' bytes.
    pub fn widths_array(&self) -> lopdf::Object {
        use lopdf::Object;
        let mut out = Vec::new();
        let mut group: Option<(u16, Vec<Object>)> = None;
        for (&gid, &units) in &self.font.glyph_widths {
            let width = Object::Real(exact_width(units, self.font.units_per_em));
            match &mut group {
                Some((first, widths)) if usize::from(*first) + widths.len() == usize::from(gid) => {
                    widths.push(width);
                }
                _ => {
                    if let Some((first, widths)) = group.take() {
                        out.extend([Object::Integer(first.into()), Object::Array(widths)]);
                    }
                    group = Some((gid, vec![width]));
                }
            }
        }
        if let Some((first, widths)) = group {
            out.extend([Object::Integer(first.into()), Object::Array(widths)]);
        }
        Object::Array(out)
    }
}

/// An advance of `units` font units as a `/W` width, thousandths of an em: the value
/// written (a real, shortest form) and the value the TJ corrections are computed from.
fn exact_width(units: u16, upm: u16) -> f32 {
    (f64::from(units) * 1000.0 / f64::from(upm.max(1))) as f32
}

/// Subset every face the document uses (`used`: every glyph of each face, with the
/// first non-empty text seen for it in reading order; a glyph that is only ever the tail
/// of a cluster has ""; see [`glyph_table`]). Faces no run uses are left out.
pub(crate) fn embed_faces(
    used: BTreeMap<FaceId, BTreeMap<u16, String>>,
    fonts: &FontSet,
) -> Result<BTreeMap<FaceId, EmbeddedFace>, Error> {
    let mut out = BTreeMap::new();
    for (face_id, glyphs) in used {
        let data = fonts.face(face_id);
        let face = ttf_parser::Face::parse(&data.bytes, data.index).map_err(|e| Error::Font {
            name: data.name.clone(),
            reason: e.to_string(),
        })?;
        let count = face.number_of_glyphs();

        // A glyph id the face does not have (a typesetter bug, or a font swapped under
        // it) is drawn as .notdef rather than failing the build or the subsetter.
        let mut mapper = subsetter::GlyphRemapper::new();
        let top = glyphs.keys().next_back().map_or(0, |&g| usize::from(g) + 1);
        let mut remap = vec![0u16; top];
        let mut widths = Vec::with_capacity(glyphs.len() + 1);
        let mut text: BTreeMap<u16, String> = BTreeMap::new();
        let mut raw_widths = BTreeMap::new();
        let upm = face.units_per_em().max(1);
        for (gid, t) in &glyphs {
            let real = if *gid < count { *gid } else { 0 };
            let new = mapper.remap(real);
            remap[usize::from(*gid)] = new;
            let advance = face
                .glyph_hor_advance(ttf_parser::GlyphId(real))
                .unwrap_or(0);
            raw_widths.insert(new, advance);
            let slot = usize::from(new);
            if widths.len() <= slot {
                widths.resize(slot + 1, 0.0);
            }
            widths[slot] = f64::from(exact_width(advance, upm));
            let slot = text.entry(new).or_default();
            if slot.is_empty() {
                slot.clone_from(t);
            }
        }
        let program =
            subsetter::subset(&data.bytes, data.index, &mapper).map_err(|e| Error::Font {
                name: data.name.clone(),
                reason: format!("subsetting failed: {e:?}"),
            })?;

        let tag = subset_tag(&data.name, face_id, &glyphs);
        let font = ParsedFont {
            original_bytes: program.clone(),
            font_index: 0,
            font_name: Some(format!("{tag}+{}", pdf_name(&data.name))),
            codepoint_to_glyph: BTreeMap::new(),
            glyph_widths: raw_widths,
            units_per_em: upm,
            font_metrics: FontMetrics {
                ascent: face.ascender(),
                descent: face.descender(),
            },
            font_type: if program.starts_with(b"OTTO") {
                FontType::OpenTypeCFF(())
            } else {
                FontType::TrueType
            },
            pdf_font_metrics: metrics(&face, upm),
        };
        let empty = GlyphText::default().packed().unwrap_or(u64::MAX);
        let mut unicode = vec![empty; text.keys().next_back().map_or(0, |&g| usize::from(g) + 1)];
        for (&gid, t) in &text {
            if let Some(slot) = unicode.get_mut(usize::from(gid)) {
                *slot = GlyphText::from(t.as_str()).packed().unwrap_or(u64::MAX);
            }
        }
        out.insert(
            face_id,
            EmbeddedFace {
                id: FontId(format!("F{}", face_id.index() + 1)),
                font,
                remap,
                widths,
                text,
                unicode,
            },
        );
    }
    Ok(out)
}

/// Per face, indexed by glyph id: `None` unused, `Some("")` used with no text so far,
/// else the first text seen. (A BTreeMap lookup per glyph of a long book was a
/// measurable part of the PDF's time.)
pub(crate) type GlyphTable<'a> = Vec<Vec<Option<&'a str>>>;

/// The glyphs `pages` use, and the first text seen for each.
pub(crate) fn glyph_table(pages: &[crate::typeset::document::Page]) -> GlyphTable<'_> {
    let mut table = GlyphTable::default();
    for page in pages {
        add_to_glyph_table(&mut table, page);
    }
    table
}

/// Adds the glyphs of `page`, the page after those already in `table`.
pub(crate) fn add_to_glyph_table<'a>(
    table: &mut GlyphTable<'a>,
    page: &'a crate::typeset::document::Page,
) {
    if table.is_empty() {
        table.resize(FaceId::ALL.len(), Vec::new());
    }
    for run in &page.runs {
        // Fallback faces come after the four book faces (see `FaceId`).
        if run.face.index() >= table.len() {
            table.resize(run.face.index() + 1, Vec::new());
        }
        let glyphs = &mut table[run.face.index()];
        for g in &run.glyphs {
            // Grown to the largest id seen, not to 65,536 entries (a megabyte per face
            // to zero, for a font of a few thousand glyphs).
            let id = usize::from(g.id);
            if id >= glyphs.len() {
                glyphs.resize(id + 1, None);
            }
            let slot = &mut glyphs[id];
            match slot {
                Some(t) if !t.is_empty() => {}
                _ => *slot = Some(g.text.as_str()),
            }
        }
    }
}

/// One page's glyphs: each glyph it shows, by face, with the first non-empty text the
/// page gives it ("" when none), in no particular order.
pub(crate) type PageGlyphs = Vec<(FaceId, u16, Box<str>)>;

/// The glyphs of `page` (see [`PageGlyphs`]).
pub(crate) fn page_glyphs(page: &crate::typeset::document::Page) -> PageGlyphs {
    let mut table = GlyphTable::default();
    add_to_glyph_table(&mut table, page);
    let mut list = Vec::new();
    for (face, glyphs) in table.iter().enumerate() {
        let Some(face) = FaceId::from_index(face) else {
            continue;
        };
        for (id, slot) in glyphs.iter().enumerate() {
            if let (Some(text), Ok(id)) = (slot, u16::try_from(id)) {
                list.push((face, id, Box::from(*text)));
            }
        }
    }
    list
}

/// Adds a page's glyphs to `table`, as [`add_to_glyph_table`] adds the page's runs.
pub(crate) fn add_page_glyphs<'a>(table: &mut GlyphTable<'a>, list: &'a PageGlyphs) {
    if table.is_empty() {
        table.resize(FaceId::ALL.len(), Vec::new());
    }
    for (face, id, text) in list {
        if face.index() >= table.len() {
            table.resize(face.index() + 1, Vec::new());
        }
        let glyphs = &mut table[face.index()];
        let id = usize::from(*id);
        if id >= glyphs.len() {
            glyphs.resize(id + 1, None);
        }
        let slot = &mut glyphs[id];
        match slot {
            Some(t) if !t.is_empty() => {}
            _ => *slot = Some(text),
        }
    }
}

/// The tables of consecutive runs of pages, in page order, as one: what [`glyph_table`]
/// gives for all the pages at once (a glyph keeps the first non-empty text of the
/// earliest table that has one).
pub(crate) fn merge_glyph_tables(
    tables: Vec<GlyphTable<'_>>,
) -> BTreeMap<FaceId, BTreeMap<u16, String>> {
    let mut tables = tables.into_iter();
    let mut table = tables.next().unwrap_or_default();
    // A table of no pages has no faces at all; one with fallback faces has more than
    // the four book faces (never cut it down).
    if table.len() < FaceId::ALL.len() {
        table.resize(FaceId::ALL.len(), Vec::new());
    }
    for later in tables {
        if later.len() > table.len() {
            table.resize(later.len(), Vec::new());
        }
        for (glyphs, more) in table.iter_mut().zip(later) {
            if more.is_empty() {
                continue;
            }
            if glyphs.is_empty() {
                *glyphs = more;
                continue;
            }
            // Tables grow to their own largest glyph id: widen the earlier one so the
            // later one's higher ids are not cut off by the zip.
            if glyphs.len() < more.len() {
                glyphs.resize(more.len(), None);
            }
            for (slot, other) in glyphs.iter_mut().zip(more) {
                match (&slot, other) {
                    (Some(t), _) if !t.is_empty() => {}
                    (_, Some(t)) => *slot = Some(t),
                    (_, None) => {}
                }
            }
        }
    }
    let mut used = BTreeMap::new();
    for (face, glyphs) in table.into_iter().enumerate() {
        let Some(face) = FaceId::from_index(face) else {
            continue;
        };
        let map: BTreeMap<u16, String> = glyphs
            .iter()
            .enumerate()
            .filter_map(|(gid, t)| Some((gid as u16, (*t)?.to_string())))
            .collect();
        if !map.is_empty() {
            used.insert(face, map);
        }
    }
    used
}

/// The six-uppercase-letter subset tag (ISO 32000-1 §9.6.4), derived from the face and
/// the glyphs used, so the same document always gets the same tag and different subsets
/// of one font get different tags.
fn subset_tag(name: &str, face: FaceId, glyphs: &BTreeMap<u16, String>) -> String {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    match u8::try_from(face.index()) {
        Ok(byte) => h.update([byte]),
        // A system fallback face (see `FaceId`): its whole index.
        Err(_) => h.update((face.index() as u32).to_be_bytes()),
    }
    for gid in glyphs.keys() {
        h.update(gid.to_be_bytes());
    }
    h.finalize()
        .iter()
        .take(6)
        .map(|b| char::from(b'A' + b % 26))
        .collect()
}

/// A PostScript name is printable ASCII without delimiters or spaces (PDF names escape
/// the rest, but viewers show them raw).
fn pdf_name(name: &str) -> String {
    let n: String = name
        .chars()
        .filter(|c| c.is_ascii_graphic() && !"()<>[]{}/%#".contains(*c))
        .collect();
    if n.is_empty() {
        "Font".to_string()
    } else {
        n
    }
}

/// What printpdf needs for the FontDescriptor (bbox, italic angle, weight).
fn metrics(face: &ttf_parser::Face<'_>, upm: u16) -> PdfFontMetricsStub {
    let bbox = face.global_bounding_box();
    // hhea caretSlopeRise/Run at bytes 18 and 20 (OpenType spec, 'hhea' table);
    // printpdf derives /ItalicAngle and the italic flag from them.
    let hhea = face.raw_face().table(ttf_parser::Tag::from_bytes(b"hhea"));
    let read = |off: usize| -> Option<i16> {
        let b = hhea?.get(off..off + 2)?;
        Some(i16::from_be_bytes([b[0], b[1]]))
    };
    PdfFontMetricsStub {
        units_per_em: upm,
        x_min: bbox.x_min,
        y_min: bbox.y_min,
        x_max: bbox.x_max,
        y_max: bbox.y_max,
        caret_slope_rise: read(18).unwrap_or(1),
        caret_slope_run: read(20).unwrap_or(0),
        us_weight_class: face.weight().to_number(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::typeset::document::{Glyph, GlyphRun, Page};

    fn page(face: FaceId, glyphs: &[(u16, &str)]) -> Page {
        Page {
            runs: vec![GlyphRun {
                face,
                size: 10.0,
                x: 0.0,
                y: 0.0,
                glyphs: glyphs
                    .iter()
                    .map(|&(id, text)| Glyph {
                        raise: 0,
                        id,
                        advance: 5.0,
                        text: text.into(),
                    })
                    .collect(),
            }],
            ..Page::default()
        }
    }

    /// The tables of the pages split anywhere, merged, are the table of all the pages.
    #[test]
    fn merged_tables_are_the_whole_table() {
        let pages = vec![
            page(FaceId::Regular, &[(3, ""), (4, "a")]),
            page(FaceId::Italic, &[(3, "b")]),
            page(FaceId::Regular, &[(3, "ffi"), (4, "z"), (9, "")]),
            page(FaceId::Regular, &[(3, "x"), (5, "")]),
        ];
        let whole = merge_glyph_tables(vec![glyph_table(&pages)]);
        assert_eq!(whole[&FaceId::Regular][&3], "ffi");
        assert_eq!(whole[&FaceId::Regular][&4], "a");
        assert_eq!(whole[&FaceId::Regular][&9], "");
        assert_eq!(whole[&FaceId::Italic][&3], "b");
        for split in 0..=pages.len() {
            let (a, b) = pages.split_at(split);
            let merged = merge_glyph_tables(vec![glyph_table(a), glyph_table(b)]);
            assert_eq!(merged, whole, "split at {split}");
        }
        let singles = merge_glyph_tables(pages.chunks(1).map(glyph_table).collect());
        assert_eq!(singles, whole);
        let with_empty = merge_glyph_tables(vec![glyph_table(&[]), glyph_table(&pages)]);
        assert_eq!(with_empty, whole);
    }
}
