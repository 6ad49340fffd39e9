//! Booklets (issue 15): the written PDF's pages imposed two-up, side by side, on sheets
//! twice the page width, in saddle-stitch order, for a duplex printer. Printed on both
//! sides, folded once and stapled, the sheets make the book.
//!
//! Nothing is typeset again: the booklet is made from the PDF's own bytes, read back
//! with lopdf. Each page becomes a form XObject (ISO 32000-1 §8.10): its content stream,
//! still compressed, becomes the form's stream and its resources the form's resources,
//! so its fonts and images are the same objects, embedded once, and its text still
//! extracts. Each sheet side is a new page that paints two forms (`q 1 0 0 1 x y cm /Pn
//! Do Q`, §8.10.1). Reading the finished file, rather than hooking into the writer, keeps
//! the main PDF's writer and its incremental patch (`quire watch`) untouched: both hand
//! over the same bytes, and the booklet is made whole from them each time.
//!
//! What points at a page is moved with it: link rectangles are shifted onto their half
//! of the sheet, and every destination (links, outline items) names the sheet and the
//! x position on it (§12.3.2.2). The structure tree (§14.7) stays: its marked-content
//! items are now inside forms, so each is named by a marked-content reference with
//! `/Stm` (§14.7.4.3), and each form carries its page's `/StructParents` (§14.7.4.4).

use crate::error::{Error, PdfError, PdfPart};
use lopdf::{Dictionary, Object, ObjectId, Stream};
use std::collections::{HashMap, HashSet};

/// Points per millimetre.
const MM: f32 = 72.0 / 25.4;

/// A sheet and the page size that folds from it: A4 landscape holds two A5 pages (with
/// half a millimetre to spare: A5 is 148 mm wide, half an A4 148.5 mm), Letter landscape
/// two half-letter pages.
struct Standard {
    /// The page: width and height in points.
    page: (f32, f32),
    /// The sheet, landscape: width and height in points.
    sheet: (f32, f32),
    /// Half the sheet, in words and in the units people name it in.
    half: &'static str,
}

/// The printer sheets a booklet is usually printed on.
const STANDARDS: [Standard; 2] = [
    Standard {
        page: (148.0 * MM, 210.0 * MM),
        sheet: (297.0 * MM, 210.0 * MM),
        half: "half an A4 sheet (148.5 × 210 mm)",
    },
    Standard {
        page: (5.5 * 72.0, 8.5 * 72.0),
        sheet: (11.0 * 72.0, 8.5 * 72.0),
        half: "half a Letter sheet (5.5 × 8.5 in)",
    },
];

/// How far a page may pass a standard size and still be taken for it: sizes written in
/// millimetres round to a hundredth of a point or so; a point is far below anything a
/// printer or a reader can tell.
const TOLERANCE: f32 = 1.0;

/// A booklet sheet side: its size in points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sheet {
    /// Width (twice the page's, or a standard sheet's).
    pub width: f32,
    /// Height.
    pub height: f32,
}

/// The sheet for pages of `width` × `height` points: A4 landscape for A5 pages, Letter
/// landscape for half-letter pages (within [`TOLERANCE`]); a sheet of twice the page's
/// width for any other size.
pub fn sheet_for(width: f32, height: f32) -> Sheet {
    for standard in &STANDARDS {
        let (pw, ph) = standard.page;
        if (width - pw).abs() <= TOLERANCE && (height - ph).abs() <= TOLERANCE {
            let (w, h) = standard.sheet;
            return Sheet {
                width: w,
                height: h,
            };
        }
    }
    Sheet {
        width: 2.0 * width,
        height,
    }
}

/// Why pages of `width` × `height` points make an awkward booklet: they are larger than
/// half an A4 sheet and than half a Letter sheet, so its sheets fit neither printer
/// paper. `None` when the pages fit half of one of them.
pub fn oversize(width: f32, height: f32) -> Option<String> {
    let fits = STANDARDS.iter().any(|s| {
        let (w, h) = s.sheet;
        width <= w / 2.0 + TOLERANCE && height <= h + TOLERANCE
    });
    if fits {
        return None;
    }
    let sheet = sheet_for(width, height);
    let halves: Vec<&str> = STANDARDS.iter().map(|s| s.half).collect();
    Some(format!(
        "pages of {} are larger than {}: the booklet's sheets will be {}",
        size_text(width, height),
        halves.join(" and than "),
        size_text(sheet.width, sheet.height),
    ))
}

/// `210 × 297 mm (8.27 × 11.69 in)`.
fn size_text(width: f32, height: f32) -> String {
    let mm = |v: f32| format!("{}", (v / MM * 10.0).round() / 10.0);
    let inch = |v: f32| format!("{}", (v / 72.0 * 100.0).round() / 100.0);
    format!(
        "{} × {} mm ({} × {} in)",
        mm(width),
        mm(height),
        inch(width),
        inch(height)
    )
}

/// Saddle-stitch order for `pages` pages: each sheet side's left and right page (0-based
/// indexes; `None` for a blank), sides in printing order (sheet 1 front, sheet 1 back,
/// sheet 2 front, …). The pages are padded with blanks to a multiple of four (a sheet
/// folds into four pages); the blanks come last, so they are the booklet's last pages,
/// inside the back cover.
///
/// With `n` pages after padding, sheet `s` (from 0) has on its front the pages `n-1-2s`
/// and `2s`, and on its back `2s+1` and `n-2-2s`: the outermost sheet holds the first two
/// and the last two pages, and each sheet nests inside the one before.
pub fn saddle_order(pages: usize) -> Vec<[Option<usize>; 2]> {
    let n = pages.div_ceil(4) * 4;
    let page = |i: usize| (i < pages).then_some(i);
    let mut sides = Vec::with_capacity(n / 2);
    for s in 0..n / 4 {
        sides.push([page(n - 1 - 2 * s), page(2 * s)]);
        sides.push([page(2 * s + 1), page(n - 2 - 2 * s)]);
    }
    sides
}

/// Where a page went: its sheet side and where the page's origin is on it.
#[derive(Clone, Copy)]
struct Place {
    sheet: ObjectId,
    dx: f32,
    dy: f32,
}

/// One page, made a form XObject.
struct Form {
    /// The form's object (the page's content stream, reused).
    id: ObjectId,
    /// The page's link annotations, to be moved onto its sheet.
    annots: Vec<Object>,
}

/// The booklet of the PDF `pdf` (a file quire wrote): the same bytes for the same input.
pub fn impose(pdf: &[u8]) -> Result<Vec<u8>, Error> {
    let mut lo =
        lopdf::Document::load_mem(pdf).map_err(|e| PdfError::BookletReread(e.to_string()))?;
    // The file's object streams and cross-reference stream are containers, unpacked by
    // the reader; the writer makes them anew (§7.5.7, §7.5.8).
    lo.objects.retain(|_, object| !is_container(object));
    lo.max_id = lo.objects.keys().map(|&(id, _)| id).max().unwrap_or(0);
    let missing = |part| Error::Pdf(PdfError::BookletMissing(part));
    let catalog = lo
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| missing(PdfPart::Catalog))?;
    let info = lo.trailer.get(b"Info").ok().cloned();
    let tree = lo
        .get_dictionary(catalog)
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .map_err(|_| missing(PdfPart::PageTree))?;
    let pages: Vec<ObjectId> = lo.get_pages().into_values().collect();
    let Some(&first) = pages.first() else {
        return Err(missing(PdfPart::PageTree));
    };
    let (page_width, page_height) =
        media_box(&lo, first).ok_or_else(|| missing(PdfPart::MediaBox(0)))?;
    let sheet = sheet_for(page_width, page_height);
    // The pair is centred on the sheet (an A5 pair is 2.8 pt narrower than A4), so the
    // fold falls on the sheet's middle. Rounded to a hundredth of a point: the offsets
    // are written into every sheet's content and destinations.
    let round = |v: f32| (v * 100.0).round() / 100.0;
    let dx = round((sheet.width - 2.0 * page_width) / 2.0);
    let dy = round((sheet.height - page_height) / 2.0);

    let mut forms = Vec::with_capacity(pages.len());
    for (index, &page) in pages.iter().enumerate() {
        forms.push(page_to_form(&mut lo, page, index)?);
    }

    // Every sheet side's id first: a link on one sheet may point at any other.
    let order = saddle_order(pages.len());
    let sides: Vec<ObjectId> = order.iter().map(|_| lo.new_object_id()).collect();
    let mut places: HashMap<ObjectId, Place> = HashMap::with_capacity(pages.len());
    for (side, halves) in sides.iter().zip(&order) {
        for (half, page) in halves.iter().enumerate() {
            if let Some(page) = *page {
                places.insert(
                    pages[page],
                    Place {
                        sheet: *side,
                        dx: dx + half as f32 * page_width,
                        dy,
                    },
                );
            }
        }
    }

    for (&side, halves) in sides.iter().zip(&order) {
        let mut content = Vec::new();
        let mut xobjects = Dictionary::new();
        let mut annots = Vec::new();
        for &page in halves.iter().flatten() {
            // Every page of `order` was placed above.
            let (Some(&place), Some(form)) = (places.get(&pages[page]), forms.get_mut(page)) else {
                continue;
            };
            let name = format!("P{}", page + 1);
            // §8.10.1: `Do` paints the form in the current coordinate system, which
            // `cm` has moved to the page's half of the sheet.
            content.extend_from_slice(
                format!(
                    "q 1 0 0 1 {} {} cm /{name} Do Q\n",
                    number(place.dx),
                    number(place.dy)
                )
                .as_bytes(),
            );
            xobjects.set(name, Object::Reference(form.id));
            for mut annot in std::mem::take(&mut form.annots) {
                // quire writes its links inline; another writer's may be objects.
                match &mut annot {
                    Object::Dictionary(a) => shift_annotation(a, place, side),
                    Object::Reference(id) => {
                        if let Ok(Object::Dictionary(a)) = lo.get_object_mut(*id) {
                            shift_annotation(a, place, side);
                        }
                    }
                    _ => {}
                }
                annots.push(annot);
            }
        }
        // A side with one page or none: its blank half is just not painted (a blank
        // page carries no running head or folio).
        let contents = lo.add_object(Stream::new(Dictionary::new(), content));
        let mut dict = Dictionary::from_iter(vec![
            ("Type", Object::Name(b"Page".to_vec())),
            ("Parent", Object::Reference(tree)),
            (
                "MediaBox",
                Object::Array(vec![
                    0.into(),
                    0.into(),
                    Object::Real(sheet.width),
                    Object::Real(sheet.height),
                ]),
            ),
            (
                "Resources",
                Object::Dictionary(Dictionary::from_iter(vec![(
                    "XObject",
                    Object::Dictionary(xobjects),
                )])),
            ),
            ("Contents", Object::Reference(contents)),
            // Tab order follows the structure, as on the PDF's pages.
            ("Tabs", Object::Name(b"S".to_vec())),
        ]);
        if !annots.is_empty() {
            dict.set("Annots", Object::Array(annots));
        }
        lo.objects.insert(side, Object::Dictionary(dict));
    }

    let tree_dict = lo
        .get_dictionary_mut(tree)
        .map_err(|_| missing(PdfPart::PageTree))?;
    tree_dict.set(
        "Kids",
        Object::Array(sides.iter().map(|&s| Object::Reference(s)).collect()),
    );
    tree_dict.set("Count", Object::Integer(sides.len() as i64));

    // Destinations (links and outline items) and structure elements that named a page
    // now name its sheet.
    let is_side: HashSet<ObjectId> = sides.iter().copied().collect();
    let form_of: HashMap<ObjectId, ObjectId> =
        pages.iter().zip(&forms).map(|(&p, f)| (p, f.id)).collect();
    for (&id, object) in lo.objects.iter_mut() {
        if is_side.contains(&id) {
            // The sheets' links were moved above; their destinations are rewritten here.
            if let Object::Dictionary(d) = object {
                if let Ok(annots) = d.get_mut(b"Annots") {
                    remap_destinations(annots, &places);
                }
            }
            continue;
        }
        match object {
            Object::Dictionary(d) if d.has_type(b"StructElem") => {
                reparent_struct_elem(d, &places, &form_of);
            }
            _ => remap_destinations(object, &places),
        }
    }
    print_preferences(&mut lo, catalog);

    // A fresh trailer: the read-back one is the cross-reference stream's dictionary.
    lo.trailer = Dictionary::new();
    lo.trailer.set("Root", Object::Reference(catalog));
    if let Some(info) = info {
        lo.trailer.set("Info", info);
    }
    Ok(super::save(&mut lo, None)?.bytes)
}

/// Whether `object` is an object stream or a cross-reference stream.
fn is_container(object: &Object) -> bool {
    matches!(object, Object::Stream(s) if s.dict.has_type(b"ObjStm") || s.dict.has_type(b"XRef"))
}

/// A number as content streams write it: `1.42`, `0`, `612`.
fn number(v: f32) -> String {
    // f32's Display is the shortest text that reads back as the same number, and never
    // uses an exponent.
    format!("{v}")
}

/// A page's inheritable attribute (§7.7.3.4): its own, else its nearest ancestor's.
fn inherited(lo: &lopdf::Document, page: ObjectId, key: &[u8]) -> Option<Object> {
    let mut node = lo.get_dictionary(page).ok()?;
    // The page tree is shallow; the bound only guards a cycle in a damaged file.
    for _ in 0..32 {
        if let Ok(value) = node.get(key) {
            return Some(value.clone());
        }
        let parent = node.get(b"Parent").and_then(Object::as_reference).ok()?;
        node = lo.get_dictionary(parent).ok()?;
    }
    None
}

/// The page's width and height from its `/MediaBox` (§7.7.3.3).
fn media_box(lo: &lopdf::Document, page: ObjectId) -> Option<(f32, f32)> {
    let mut value = inherited(lo, page, b"MediaBox")?;
    if let Object::Reference(id) = value {
        value = lo.get_object(id).ok()?.clone();
    }
    let numbers: Vec<f32> = value
        .as_array()
        .ok()?
        .iter()
        .map(Object::as_float)
        .collect::<Result<_, _>>()
        .ok()?;
    match numbers[..] {
        [x0, y0, x1, y1] if x1 > x0 && y1 > y0 => Some((x1 - x0, y1 - y0)),
        _ => None,
    }
}

/// Turns page `index` (object `page`) into a form XObject (§8.10.2, Table 95) and takes
/// the page out of the document. Its content stream becomes the form, bytes untouched
/// (still compressed, its `/Filter` kept): `/BBox` is the page's media box, which also
/// clips the form; `/Matrix` is left at its default, the identity; `/Resources` are the
/// page's, the same font and image objects.
fn page_to_form(lo: &mut lopdf::Document, page: ObjectId, index: usize) -> Result<Form, Error> {
    let missing = |part| Error::Pdf(PdfError::BookletMissing(part));
    let (width, height) = media_box(lo, page).ok_or_else(|| missing(PdfPart::MediaBox(index)))?;
    let resources =
        inherited(lo, page, b"Resources").unwrap_or_else(|| Object::Dictionary(Dictionary::new()));
    let Some(Object::Dictionary(dict)) = lo.objects.remove(&page) else {
        return Err(missing(PdfPart::ContentStream(index)));
    };
    let annots = match dict.get(b"Annots") {
        Ok(Object::Array(items)) => items.clone(),
        Ok(Object::Reference(id)) => match lo.get_object(*id) {
            Ok(Object::Array(items)) => items.clone(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    let (id, mut form) = match dict.get(b"Contents") {
        // quire's pages: one content stream, used by no other page.
        Ok(Object::Reference(id)) => match lo.objects.remove(id) {
            Some(Object::Stream(stream)) => (*id, stream),
            _ => return Err(missing(PdfPart::ContentStream(index))),
        },
        // Several streams (§7.8.2: their concatenation is the page's content): one form
        // of their decoded bytes, with a line break between them (a stream may end
        // inside no token, but the next must not run into its last one).
        Ok(Object::Array(parts)) => {
            let mut bytes = Vec::new();
            for part in parts {
                let stream = part
                    .as_reference()
                    .and_then(|id| lo.get_object(id))
                    .and_then(Object::as_stream)
                    .map_err(|_| missing(PdfPart::ContentStream(index)))?;
                let decoded = if stream.dict.get(b"Filter").is_ok() {
                    stream
                        .decompressed_content()
                        .map_err(|e| PdfError::BookletReread(e.to_string()))?
                } else {
                    stream.content.clone()
                };
                bytes.extend_from_slice(&decoded);
                bytes.push(b'\n');
            }
            (lo.new_object_id(), Stream::new(Dictionary::new(), bytes))
        }
        // A page with no content: an empty form keeps its place.
        _ => (
            lo.new_object_id(),
            Stream::new(Dictionary::new(), Vec::new()),
        ),
    };
    form.dict.set("Type", Object::Name(b"XObject".to_vec()));
    form.dict.set("Subtype", Object::Name(b"Form".to_vec()));
    form.dict.set(
        "BBox",
        Object::Array(vec![
            0.into(),
            0.into(),
            Object::Real(width),
            Object::Real(height),
        ]),
    );
    form.dict.set("Resources", resources);
    // §14.7.4.4: a form whose marked-content sequences are structure content items
    // carries the parent tree key its page had.
    if let Ok(key) = dict.get(b"StructParents") {
        form.dict.set("StructParents", key.clone());
    }
    form.dict
        .set("Length", Object::Integer(form.content.len() as i64));
    lo.objects.insert(id, Object::Stream(form));
    Ok(Form { id, annots })
}

/// Moves an annotation with its page onto `sheet`: `/Rect` and `/QuadPoints` shifted by
/// the page's place (§12.5.2, §12.5.6.5), `/P` naming the sheet.
fn shift_annotation(annot: &mut Dictionary, place: Place, sheet: ObjectId) {
    for key in [&b"Rect"[..], b"QuadPoints"] {
        if let Ok(Object::Array(coords)) = annot.get_mut(key) {
            for (i, c) in coords.iter_mut().enumerate() {
                let shift = if i % 2 == 0 { place.dx } else { place.dy };
                if let Ok(v) = c.as_float() {
                    *c = Object::Real(v + shift);
                }
            }
        }
    }
    if annot.get(b"P").is_ok() {
        annot.set("P", Object::Reference(sheet));
    }
}

/// Rewrites every explicit destination inside `object` that names a page (§12.3.2.2:
/// `[page /XYZ left top zoom]` and the `/Fit…` forms) to name the page's sheet, with
/// its coordinates moved by the page's place.
fn remap_destinations(object: &mut Object, places: &HashMap<ObjectId, Place>) {
    match object {
        Object::Array(items) => {
            let place = match (items.first(), items.get(1)) {
                (Some(Object::Reference(page)), Some(Object::Name(_))) => places.get(page),
                _ => None,
            };
            let Some(&place) = place else {
                items.iter_mut().for_each(|i| remap_destinations(i, places));
                return;
            };
            // Which operands are x and which are y, by the destination's kind.
            let axes: &[(usize, f32)] = match items.get(1).and_then(|n| n.as_name().ok()) {
                Some(b"XYZ") => &[(2, place.dx), (3, place.dy)],
                Some(b"FitH" | b"FitBH") => &[(2, place.dy)],
                Some(b"FitV" | b"FitBV") => &[(2, place.dx)],
                Some(b"FitR") => &[(2, place.dx), (3, place.dy), (4, place.dx), (5, place.dy)],
                _ => &[],
            };
            items[0] = Object::Reference(place.sheet);
            for &(at, shift) in axes {
                // `null` keeps the viewer's current value (§12.3.2.2): left as it is.
                if let Some(Ok(v)) = items.get(at).map(Object::as_float) {
                    items[at] = Object::Real(v + shift);
                }
            }
        }
        Object::Dictionary(d) => d
            .iter_mut()
            .for_each(|(_, v)| remap_destinations(v, places)),
        _ => {}
    }
}

/// A structure element whose content was on a page: `/Pg` names the page's sheet, and
/// each marked-content id becomes a marked-content reference into the page's form
/// (§14.7.4.3, Table 324: `/Stm`, the content stream that holds it, when that is not the
/// page's own).
fn reparent_struct_elem(
    elem: &mut Dictionary,
    places: &HashMap<ObjectId, Place>,
    forms: &HashMap<ObjectId, ObjectId>,
) {
    let Ok(page) = elem.get(b"Pg").and_then(Object::as_reference) else {
        return;
    };
    let (Some(place), Some(&form)) = (places.get(&page), forms.get(&page)) else {
        return;
    };
    elem.set("Pg", Object::Reference(place.sheet));
    let mcr = |mcid: i64| {
        Object::Dictionary(Dictionary::from_iter(vec![
            ("Type", Object::Name(b"MCR".to_vec())),
            ("Stm", Object::Reference(form)),
            ("MCID", Object::Integer(mcid)),
        ]))
    };
    if let Ok(kids) = elem.get_mut(b"K") {
        match kids {
            Object::Integer(m) => *kids = mcr(*m),
            Object::Array(items) => {
                for item in items.iter_mut() {
                    if let Object::Integer(m) = item {
                        *item = mcr(*m);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Print dialog defaults for a booklet (§12.2, Table 150): duplex, turned over on the
/// sheet's short edge (the landscape sheet turns like a book's leaf, so each back is
/// upright behind its front), and no scaling to the printer's margins, which would
/// shrink the pages and move the fold.
fn print_preferences(lo: &mut lopdf::Document, catalog: ObjectId) {
    let Ok(cat) = lo.get_dictionary_mut(catalog) else {
        return;
    };
    let mut prefs = match cat.get(b"ViewerPreferences") {
        Ok(Object::Dictionary(d)) => d.clone(),
        _ => Dictionary::new(),
    };
    prefs.set("Duplex", Object::Name(b"DuplexFlipShortEdge".to_vec()));
    prefs.set("PrintScaling", Object::Name(b"None".to_vec()));
    cat.set("ViewerPreferences", Object::Dictionary(prefs));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The order in the issue: sheet 1 front is the last page and page 1, its back
    /// page 2 and the second-to-last.
    #[test]
    fn saddle_order_of_eight_pages() {
        let s = |l: usize, r: usize| [Some(l - 1), Some(r - 1)];
        assert_eq!(saddle_order(8), vec![s(8, 1), s(2, 7), s(6, 3), s(4, 5)]);
    }

    #[test]
    fn blanks_pad_to_a_multiple_of_four() {
        assert_eq!(saddle_order(1), vec![[None, Some(0)], [None, None]]);
        assert_eq!(
            saddle_order(5),
            vec![
                [None, Some(0)],
                [Some(1), None],
                [None, Some(2)],
                [Some(3), Some(4)]
            ]
        );
        for n in 1..40 {
            let sides = saddle_order(n);
            assert_eq!(sides.len(), 2 * n.div_ceil(4), "{n}");
            let mut seen: Vec<usize> = sides.iter().flatten().flatten().copied().collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..n).collect::<Vec<_>>(), "{n}: every page once");
        }
    }

    /// The booklet reads only files quire wrote, but a damaged one is an error, not a
    /// panic.
    #[test]
    fn unreadable_input_is_an_error() {
        for bytes in [
            &b""[..],
            b"%PDF-1.7\n",
            b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF",
        ] {
            assert!(impose(bytes).is_err());
        }
    }

    #[test]
    fn sheets_for_standard_and_other_pages() {
        let a5 = sheet_for(148.0 * MM, 210.0 * MM);
        assert!((a5.width - 297.0 * MM).abs() < 0.01 && (a5.height - 210.0 * MM).abs() < 0.01);
        assert_eq!(
            sheet_for(396.0, 612.0),
            Sheet {
                width: 792.0,
                height: 612.0
            }
        );
        assert_eq!(
            sheet_for(432.0, 648.0),
            Sheet {
                width: 864.0,
                height: 648.0
            }
        );
    }

    #[test]
    fn pages_larger_than_half_a_sheet_are_named() {
        assert_eq!(oversize(148.0 * MM, 210.0 * MM), None);
        assert_eq!(oversize(396.0, 612.0), None);
        assert_eq!(oversize(360.0, 576.0), None);
        let a4 = oversize(210.0 * MM, 297.0 * MM).unwrap_or_default();
        assert!(a4.contains("210 × 297 mm"), "{a4}");
        assert!(a4.contains("420 × 297 mm"), "{a4}");
        // 6 × 9 in is wider than half-letter and taller than A5.
        assert!(oversize(432.0, 648.0).is_some());
    }
}
