//! Page content: the Document's runs, rules, images and links as printpdf operations.
//!
//! A 1:1 translation, no layout decisions. The Document measures from the top-left
//! corner with y growing down; PDF user space measures from the bottom-left with y
//! growing up (ISO 32000-1 §8.3.2.3), so every y is flipped against the page height.
//!
//! Every run is wrapped in a marked-content sequence with its own MCID (§14.6), so
//! [`super::structure`] can tag it; rules, images and runs without text (the contents'
//! dot leaders) are marked as artifacts.

use super::images::ImageXObject;
use super::subset::EmbeddedFace;
use crate::typeset::document::{Document, FaceId, GlyphRun, LinkTarget, Page, Rect};
use printpdf::{
    Actions, BorderArray, Color, ColorArray, HighlightingMode, LinkAnnotation, Op, PaintMode,
    PdfPage, Pt, Rgb, XObjectTransform,
};
use std::collections::BTreeMap;

/// The printpdf page for `page`: its pictures, rules and links. The text is not in it:
/// [`text_content`] writes it straight into the content stream.
pub(crate) fn page_ops(
    doc: &Document,
    page: &Page,
    images: &BTreeMap<usize, ImageXObject>,
) -> PdfPage {
    let height = finite(doc.height);
    let mut ops = Vec::new();

    // Pictures and rules first, so text is painted over them.
    for placed in &page.images {
        let Some(image) = images.get(&placed.asset) else {
            continue;
        };
        let r = flip(placed.rect, height);
        ops.push(Op::BeginMarkedContent {
            tag: "Artifact".into(),
        });
        ops.push(Op::UseXobject {
            id: image.id.clone(),
            transform: XObjectTransform {
                translate_x: Some(Pt(r.x)),
                translate_y: Some(Pt(r.y)),
                rotate: None,
                // printpdf maps the image's unit square to `width px × height px` at
                // `dpi` (default 300); at 72 dpi one pixel is one point, so the scale
                // is the target size over the pixel size.
                scale_x: Some(r.width / image.width.max(1) as f32),
                scale_y: Some(r.height / image.height.max(1) as f32),
                dpi: Some(72.0),
                no_auto_scale: false,
            },
        });
        ops.push(Op::EndMarkedContent);
    }
    if !page.shades.is_empty() {
        ops.push(Op::BeginMarkedContent {
            tag: "Artifact".into(),
        });
        // A light grey a printer renders in black ink too: pandoc's `.mark` (HTML's
        // `<mark>`) as a highlighter's stroke.
        ops.push(Op::SetFillColor {
            col: Color::Rgb(Rgb {
                r: 0.86,
                g: 0.86,
                b: 0.86,
                icc_profile: None,
            }),
        });
        for shade in &page.shades {
            let r = flip(*shade, height);
            ops.push(Op::DrawRectangle {
                rectangle: printpdf::Rect {
                    x: Pt(r.x),
                    y: Pt(r.y),
                    width: Pt(r.width),
                    height: Pt(r.height),
                    mode: Some(PaintMode::Fill),
                    winding_order: None,
                },
            });
        }
        ops.push(Op::EndMarkedContent);
    }
    if !page.rules.is_empty() {
        ops.push(Op::BeginMarkedContent {
            tag: "Artifact".into(),
        });
        ops.push(Op::SetFillColor {
            col: Color::Rgb(Rgb {
                r: 0.0,
                g: 0.0,
                b: 0.0,
                icc_profile: None,
            }),
        });
        for rule in &page.rules {
            let r = flip(*rule, height);
            ops.push(Op::DrawRectangle {
                rectangle: printpdf::Rect {
                    x: Pt(r.x),
                    y: Pt(r.y),
                    width: Pt(r.width),
                    height: Pt(r.height),
                    mode: Some(PaintMode::Fill),
                    winding_order: None,
                },
            });
        }
        ops.push(Op::EndMarkedContent);
    }

    for link in &page.links {
        let r = flip(link.rect, height);
        let actions = match &link.target {
            LinkTarget::Internal(dest) => Actions::Goto(printpdf::Destination::Xyz {
                // printpdf's destination pages are 1-based.
                page: dest.page.min(doc.pages.len().saturating_sub(1)) + 1,
                left: Some(finite(dest.x)),
                top: Some(height - finite(dest.y)),
                zoom: None,
            }),
            LinkTarget::External(url) => Actions::Uri(url.clone()),
        };
        ops.push(Op::LinkAnnotation {
            link: LinkAnnotation {
                rect: printpdf::Rect::from_xywh(Pt(r.x), Pt(r.y), Pt(r.width), Pt(r.height)),
                actions,
                // printpdf's default is a visible cyan box (anchors.md §4.2); a book
                // shows its links through typography, not frames.
                border: BorderArray::Solid([0.0, 0.0, 0.0]),
                color: ColorArray::Transparent,
                highlighting: HighlightingMode::Invert,
            },
        });
    }

    let size = printpdf::Rect::from_wh(Pt(finite(doc.width)), Pt(height));
    PdfPage {
        media_box: size.clone(),
        trim_box: size.clone(),
        crop_box: size,
        ops,
    }
}

/// The page's text as content-stream operators, appended to `out`, and how many marked
/// runs (MCIDs) it has.
///
/// The operations are those printpdf 0.12.8 would write for the page's text: `BT`,
/// then per run `/Span <</MCID n>> BDC`, `Tf`, `Tm`, one `TJ` and `EMC`, then `ET`
/// (a run without text is an artifact instead, without an MCID),
/// joined with newlines, reals in Rust's shortest `Display` (the glyph strings differ:
/// see [`glyph_array`]). They are written here directly because going through
/// printpdf's `Op`s costs an allocation per glyph (a `Codepoint` with its text, a lopdf
/// string object), which was most of the PDF's build time and memory on a long book.
pub(crate) fn text_content(
    height: f32,
    page: &Page,
    faces: &BTreeMap<FaceId, EmbeddedFace>,
    out: &mut Vec<u8>,
) -> usize {
    use std::io::Write as _;
    let mut mcid = 0usize;
    if page.runs.is_empty() {
        return 0;
    }
    if !out.is_empty() {
        out.push(b'\n');
    }
    out.extend_from_slice(b"BT");
    let pairs = letter_spaced_pairs(&page.runs);
    let mut pairs = pairs.iter().peekable();
    for (r, run) in page.runs.iter().enumerate() {
        let pair = pairs
            .next_if(|&&(pr, ..)| pr == r)
            .map(|&(_, first, end)| (first, end));
        let Some(face) = faces.get(&run.face) else {
            continue;
        };
        let size = finite(run.size);
        if size <= 0.0 || run.glyphs.is_empty() {
            continue;
        }
        // A run without text (the contents' dot leaders) is decoration: an artifact
        // (§14.8.2.2), outside the structure, so it has no MCID. pdftotext reads
        // artifacts as text all the same (poppler skips nothing by its tag), so the
        // artifact also holds an empty ActualText, which poppler honours on `/Span`.
        let artifact = run.glyphs.iter().all(|g| g.text.is_empty());
        let open = if artifact {
            "/Artifact BMC\n/Span <</ActualText ()>> BDC"
        } else {
            "/Span <</MCID "
        };
        out.push(b'\n');
        out.extend_from_slice(open.as_bytes());
        // Writing into a Vec cannot fail.
        if !artifact {
            let _ = write!(out, "{mcid}>> BDC");
            mcid += 1;
        }
        let _ = write!(
            out,
            "\n/{} {} Tf\n1 0 0 1 {} {} Tm\n[",
            face.id.0,
            run.size,
            finite(run.x),
            height - finite(run.y)
        );
        glyph_array(run, face, pair, out);
        out.extend_from_slice(if artifact {
            b"] TJ\nEMC\nEMC"
        } else {
            b"] TJ\nEMC"
        });
    }
    out.extend_from_slice(b"\nET");
    mcid
}

/// What [`text_content`] reads of a page's runs (face, size, position, and the glyphs'
/// ids, advances and text, through the runs' digests), as bytes to hash into the page's
/// key, appended to `out`. With the font subsets, the page height and printpdf's part of
/// the stream, it determines the page's finished content stream.
///
/// A run's digest is computed once per run ([`Glyphs::digest`]), and runs taken from the
/// paragraph cache keep theirs: a rebuild keys its pages without reading their glyphs.
///
/// [`Glyphs::digest`]: crate::typeset::document::Glyphs::digest
pub(crate) fn page_key_bytes(page: &Page, out: &mut Vec<u8>) {
    for run in &page.runs {
        out.extend_from_slice(&(run.face.index() as u16).to_le_bytes());
        for v in [run.size, run.x, run.y] {
            out.extend_from_slice(&v.to_bits().to_le_bytes());
        }
        let (a, b) = run.glyphs.digest();
        out.extend_from_slice(&a.to_le_bytes());
        out.extend_from_slice(&b.to_le_bytes());
    }
}

/// The run's glyphs as subset glyph ids with TJ adjustments: the inside of the `TJ`
/// array.
///
/// A PDF viewer advances the pen by each glyph's `/W` width; the typesetter's advance
/// (kerning, justification) differs, and the difference is a TJ number in thousandths
/// of an em, positive moving left (ISO 32000-1 §9.4.3). Positions are tracked
/// cumulatively so rounding never drifts along a line.
///
/// The glyph codes (two bytes each, Identity-H) go in literal strings, `(…)`, not hex
/// ones, `<…>`: two bytes a glyph instead of six, which makes the content streams, and
/// the time spent compressing them, less than half. Inside a literal string only the
/// delimiters and the backslash must be escaped, and a carriage return too, since an
/// unescaped one would be read as a line feed (§7.3.4.2); a line feed is escaped as
/// well, so the stream has no line break inside a string.
///
/// A cluster whose text ToUnicode cannot give back is wrapped in a marked-content
/// sequence with `/ActualText` (ISO 32000-1 §14.9.4), one per cluster, never per run
/// (pdftotext reverses a whole right-to-left run's ActualText): a cluster of several
/// glyphs (a Devanagari conjunct with its reordered vowel sign, a Hebrew letter with its
/// points, Thai's SARA AM), a glyph whose ToUnicode entry (§9.10.3: one text per glyph
/// for the whole document, the first use's) is another cluster's (a mirrored bracket, a
/// contextual form shared by two clusters, the .notdef box of a missing character), and
/// a right-to-left cluster of more than one character (ToUnicode's several characters
/// are read in visual order there, reversed). Every other glyph relies on ToUnicode, as
/// it did before: a book in Latin, Greek and Cyrillic has none of these.
///
/// `pair`, the glyphs `first..end` of [`letter_spaced_pairs`], is wrapped the same way,
/// with its glyphs' own text (a cluster's included).
fn glyph_array(
    run: &GlyphRun,
    face: &EmbeddedFace,
    pair: Option<(usize, usize)>,
    out: &mut Vec<u8>,
) {
    use std::io::Write as _;
    let per_point = 1000.0 / f64::from(finite(run.size));
    let (mut pen, mut target) = (0.0f64, 0.0f64);
    let mut open = false;
    let glyphs = &run.glyphs;
    // End (exclusive) of the cluster wrapped in ActualText being written, if any.
    let mut actual_end: Option<usize> = None;
    // The text rise in force (a raised mark's, 1/64 pt), set with `Ts` (§9.3.7) between
    // two TJ arrays; 0 outside them.
    let mut rise = 0i16;
    // Each glyph's text packed into a number (`GlyphText::packed`; 0 is no text, `None`
    // a long text), read once per glyph: the checks below run for every glyph of the
    // book, and for nearly all of them come down to two comparisons.
    const NO_TEXT: Option<u64> = Some(0);
    let mut next_packed = glyphs.first().map(|g| g.text.packed());
    for (i, g) in glyphs.iter().enumerate() {
        let packed = next_packed.flatten();
        let this_packed = next_packed;
        next_packed = glyphs.get(i + 1).map(|n| n.text.packed());
        if g.raise != rise {
            if open {
                out.push(b')');
                open = false;
            }
            rise = g.raise;
            let _ = write!(out, "] TJ\n{} Ts\n[", f32::from(rise) / 64.0);
        }
        let gid = face.subset_glyph(g.id);
        if let Some((start, end)) = pair.filter(|&(start, _)| start == i) {
            // A one-letter word and its space (see `letter_spaced_pairs`): their own
            // text, the word's cluster included.
            if open {
                out.push(b')');
                open = false;
            }
            out.extend_from_slice(b"] TJ\n/Span <</ActualText <FEFF");
            for unit in glyphs[start..end]
                .iter()
                .flat_map(|g| g.text.as_str().encode_utf16())
            {
                out.extend_from_slice(format!("{unit:04X}").as_bytes());
            }
            out.extend_from_slice(b">>> BDC\n[");
            actual_end = Some(end);
        } else if actual_end.is_none() && this_packed != Some(NO_TEXT) {
            // The cluster: this glyph and the glyphs without text after it (most are a
            // cluster of their own).
            let end = if next_packed == Some(NO_TEXT) {
                glyphs[i + 1..]
                    .iter()
                    .position(|n| !n.text.is_empty())
                    .map_or(glyphs.len(), |k| i + 1 + k)
            } else {
                i + 1
            };
            let maps = match packed {
                Some(p) => face.maps_packed(gid, p),
                None => face.maps_to(gid, &g.text),
            };
            // Several characters (more than two bytes; a packed text's low byte is its
            // length) of a right-to-left script.
            let long = packed.is_none_or(|p| p & 0xFF > 2);
            let needs = end - i > 1
                || !maps
                || (long && g.text.chars().nth(1).is_some() && g.text.chars().any(is_rtl));
            if needs {
                let text = g.text.as_str();
                if open {
                    out.push(b')');
                    open = false;
                }
                out.extend_from_slice(b"] TJ\n/Span <</ActualText <FEFF");
                for unit in text.encode_utf16() {
                    out.extend_from_slice(format!("{unit:04X}").as_bytes());
                }
                out.extend_from_slice(b">>> BDC\n[");
                actual_end = Some(end);
            }
        }
        let natural = pen + face.width(gid);
        target += f64::from(finite(g.advance)) * per_point;
        // Whole thousandths of an em: 0.011 pt at 11 pt, a tenth of a pixel at 600 dpi.
        // Most glyphs then need no adjustment at all (none is written for 0), which
        // halves the content streams; the cumulative pen keeps the error from drifting.
        let offset = (natural - target).round();
        pen = natural - offset;
        if !open {
            out.push(b'(');
            open = true;
        }
        for byte in gid.to_be_bytes() {
            match byte {
                b'(' | b')' | b'\\' => out.extend_from_slice(&[b'\\', byte]),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\n' => out.extend_from_slice(b"\\n"),
                _ => out.push(byte),
            }
        }
        // An integer: written as one (`itoa`), without the float formatter (a
        // twentieth of a long book's build).
        if offset != 0.0 {
            out.extend_from_slice(b") ");
            out.extend_from_slice(itoa::Buffer::new().format(offset as i64).as_bytes());
            open = false;
        }
        if actual_end == Some(i + 1) {
            if open {
                out.push(b')');
                open = false;
            }
            out.extend_from_slice(b"] TJ\nEMC\n[");
            actual_end = None;
        }
    }
    if open {
        out.push(b')');
    }
    if rise != 0 {
        out.extend_from_slice(b"] TJ\n0 Ts\n[");
    }
}

/// The glyphs of `runs` (a page's) to read as one, as `(run, first, end)` (glyph
/// indices, end exclusive): on each line whose words are all one character long and
/// whose word spaces are narrow, the first one-letter word followed by a space glyph in
/// its run, with that space.
///
/// pdftotext (poppler's `TextLine::coalesce`) takes a line whose words all have one
/// character for letter-spaced text: it then puts a space only where a gap is at least
/// 1.3 times the line's narrowest or 0.4 em, so evenly spaced one-letter words run
/// together ("b b 2" in a table cell reads "bb2", a cell's list item "• b" reads "•b").
/// A single word of two characters on the line turns this off. An ActualText span over
/// a one-letter word and its space, with their own text ("b "), makes one: poppler
/// joins it to the next letter (there is no gap) and reads every other space by its
/// width again. Nearly every line has a longer word (its scan stops there); an
/// asterism's wide spaces are read as spaces already; right-to-left text is left alone
/// (ActualText is read backwards there).
///
/// A line here is what poppler would see as one: runs one after the other on a baseline
/// (within half an em, as a raised note number is), each starting where the one before
/// ends or within half an em of it (a table's next column starts farther away). Words
/// go on from one run into the next unless a gap or a change of size parts them, as
/// poppler's do.
fn letter_spaced_pairs(runs: &[GlyphRun]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    let mut line = LineScan::default();
    // The baseline, the pen's end and the size of the run before.
    let mut prev: Option<(f32, f32, f32)> = None;
    for (r, run) in runs.iter().enumerate() {
        let (x, y, size) = (finite(run.x), finite(run.y), finite(run.size));
        if size <= 0.0 || run.glyphs.is_empty() {
            continue;
        }
        if let Some((py, end, psize)) = prev {
            let em = size.max(psize);
            let gap = x - end;
            if (y - py).abs() > 0.5 * em || gap < -0.1 * em || gap > 0.5 * em {
                out.extend(line.pair());
                line = LineScan::default();
            } else if gap > 0.1 * em || size != psize {
                line.end_word(gap, em);
            }
        }
        line.scan(r, run);
        prev = Some((
            y,
            x + run.glyphs.iter().map(|g| finite(g.advance)).sum::<f32>(),
            size,
        ));
    }
    out.extend(line.pair());
    out
}

/// What [`letter_spaced_pairs`] knows of the line it is reading.
#[derive(Default)]
struct LineScan {
    /// A word of two characters or more (or right-to-left text): nothing to do.
    long: bool,
    /// A word space narrower than poppler's 0.4 em cap.
    narrow: bool,
    /// The current word's characters (as poppler counts them: a glyph's text, combining
    /// marks included) and its first glyph (run, glyph).
    chars: usize,
    start: (usize, usize),
    /// The first one-letter word with a space glyph after it in its run.
    pair: Option<(usize, usize, usize)>,
}

impl LineScan {
    fn scan(&mut self, r: usize, run: &GlyphRun) {
        for (k, g) in run.glyphs.iter().enumerate() {
            if self.long {
                return;
            }
            let text = g.text.as_str();
            if !text.is_empty() && text.chars().all(char::is_whitespace) {
                if self.chars == 1 && self.pair.is_none() && self.start.0 == r {
                    self.pair = Some((r, self.start.1, k + 1));
                }
                self.end_word(finite(g.advance), finite(run.size));
                continue;
            }
            if self.chars == 0 && !text.is_empty() {
                self.start = (r, k);
            }
            for c in text.chars() {
                self.chars += 1;
                self.long |= is_rtl(c);
            }
            self.long |= self.chars > 1;
        }
    }

    /// A word ends at a gap of `gap` points (a space's advance, or between two runs).
    fn end_word(&mut self, gap: f32, em: f32) {
        if self.chars > 0 {
            self.narrow |= gap < 0.4 * em;
        }
        self.chars = 0;
    }

    fn pair(&self) -> Option<(usize, usize, usize)> {
        self.pair.filter(|_| !self.long && self.narrow)
    }
}

/// Whether `c` is from a right-to-left script (Hebrew, Arabic, Syriac, Thaana, NKo and
/// the rest up to U+08FF, their presentation forms, and the supplementary planes'
/// right-to-left blocks).
fn is_rtl(c: char) -> bool {
    matches!(c as u32, 0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFE | 0x10800..=0x10FFF | 0x1E800..=0x1EFFF)
}

/// A Document rectangle in PDF user space (lower-left corner, positive size).
fn flip(r: Rect, page_height: f32) -> Rect {
    let (x, y, w, h) = (
        finite(r.x),
        finite(r.y),
        finite(r.width).abs(),
        finite(r.height).abs(),
    );
    Rect {
        x,
        y: page_height - y - h,
        width: w,
        height: h,
    }
}

/// NaN or infinity would be written as `NaN`/`inf`, which is not PDF syntax; the writer
/// never panics and never writes a broken file, so they become 0.
pub(crate) fn finite(v: f32) -> f32 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::subset;
    use super::*;
    use crate::typeset::document::Glyph;

    /// A run of `text` at `x` on baseline `y`, a glyph a character (the glyph id its
    /// code point's, so that ToUnicode maps each to its text), each `advance` wide
    /// (spaces included), at 10 pt.
    fn run(text: &str, x: f32, y: f32, advance: f32) -> GlyphRun {
        GlyphRun {
            face: FaceId::Regular,
            size: 10.0,
            x,
            y,
            glyphs: text
                .chars()
                .map(|c| Glyph {
                    id: c as u16,
                    advance,
                    text: c.to_string().as_str().into(),
                    raise: 0,
                })
                .collect::<Vec<_>>()
                .into(),
        }
    }

    #[test]
    fn one_letter_lines_get_one_pair() {
        // A line of one-letter words: its first word and its space.
        assert_eq!(
            letter_spaced_pairs(&[run("b b 2", 0.0, 0.0, 2.5)]),
            [(0, 0, 2)]
        );
        // A word of two letters keeps poppler reading spaces: nothing to do.
        assert!(letter_spaced_pairs(&[run("r1 a", 0.0, 0.0, 2.5)]).is_empty());
        // Wide spaces (an asterism's) are spaces to poppler already.
        assert!(letter_spaced_pairs(&[run("* * *", 0.0, 0.0, 10.0)]).is_empty());
        // Right-to-left text is left alone.
        assert!(letter_spaced_pairs(&[run("ש ב", 0.0, 0.0, 2.5)]).is_empty());
        // A word goes on into the next run when nothing parts them ("a" italic, "b"
        // roman: one word of two letters) …
        assert!(
            letter_spaced_pairs(&[run("x a", 0.0, 0.0, 2.5), run("b", 7.5, 0.0, 2.5)]).is_empty()
        );
        // … and the next line, or a cell farther along the baseline, is read apart.
        assert_eq!(
            letter_spaced_pairs(&[
                run("r1 a", 0.0, 0.0, 2.5),
                run("b b", 40.0, 0.0, 2.5),
                run("c c", 0.0, 12.0, 2.5),
            ]),
            [(1, 0, 2), (2, 0, 2)]
        );
    }

    /// The pair is written as an ActualText span with the glyphs' own text, and a run
    /// without text as an artifact without an MCID.
    #[test]
    fn pairs_and_leaders_in_the_content_stream() {
        let fonts = crate::fonts::FontSet::embedded();
        let doc = Document {
            width: 300.0,
            height: 400.0,
            pages: vec![Page {
                runs: vec![
                    run("b b 2", 10.0, 20.0, 2.5),
                    GlyphRun {
                        glyphs: vec![
                            Glyph {
                                id: 1,
                                advance: 5.0,
                                text: Default::default(),
                                raise: 0,
                            };
                            3
                        ]
                        .into(),
                        ..run("", 10.0, 40.0, 5.0)
                    },
                    run("page", 30.0, 40.0, 5.0),
                ],
                ..Default::default()
            }],
            ..Default::default()
        };
        let used = subset::merge_glyph_tables(vec![subset::glyph_table(&doc.pages)]);
        let faces = subset::embed_faces(used, &fonts).unwrap();
        let mut out = Vec::new();
        let marked = text_content(400.0, &doc.pages[0], &faces, &mut out);
        let out = String::from_utf8_lossy(&out);
        assert_eq!(marked, 2, "{out}");
        assert!(
            out.contains("/Span <</ActualText <FEFF00620020>>> BDC"),
            "{out}"
        );
        assert!(
            out.contains("/Artifact BMC\n/Span <</ActualText ()>> BDC"),
            "{out}"
        );
        assert!(
            out.contains("/MCID 1>>") && !out.contains("/MCID 2>>"),
            "{out}"
        );
    }
}
