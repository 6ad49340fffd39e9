//! The text of a PDF quire wrote, read back with lopdf: each run (one `TJ` under one
//! `Tf` and `Tm`) with its page, font, size and position, its glyph codes mapped
//! through the font's ToUnicode CMap. Enough for quire's own content streams
//! (Identity-H fonts, literal strings, one `Tm` per run).
//!
//! Marked content is read as poppler's pdftotext reads it: the glyphs inside a `/Span`
//! with an `/ActualText` give that text instead of their own (once, in the first `TJ`
//! of the span; an empty one gives none), and a run inside `/Artifact` is marked so.

#![allow(clippy::unwrap_used, dead_code)]

use lopdf::content::Content;
use lopdf::{Document, Object};
use std::collections::BTreeMap;

/// One run of text.
#[derive(Debug, Clone)]
pub struct Run {
    /// 0-based page.
    pub page: usize,
    /// The font's `BaseFont` (subset tag included).
    pub font: String,
    /// Size in points.
    pub size: f32,
    /// Position (PDF user space: y grows upwards), and where the pen ends.
    pub x: f32,
    pub y: f32,
    pub end_x: f32,
    /// The text.
    pub text: String,
    /// The glyph codes, in order.
    pub codes: Vec<u16>,
    /// Inside an `/Artifact` marked-content sequence (decoration, not text).
    pub artifact: bool,
    /// The text of the ActualText span it starts, if any (then also its `text`).
    pub actual: Option<String>,
}

/// A PDF text string (UTF-16BE with its byte order mark, or PDFDocEncoding read as
/// Latin-1, which covers what quire writes).
fn text_string(bytes: &[u8]) -> String {
    match bytes.strip_prefix(&[0xFE, 0xFF]) {
        Some(utf16) => String::from_utf16_lossy(
            &utf16
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect::<Vec<_>>(),
        ),
        None => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

fn deref<'a>(doc: &'a Document, o: &'a Object) -> &'a Object {
    match o {
        Object::Reference(id) => doc.get_object(*id).unwrap(),
        o => o,
    }
}

/// A ToUnicode CMap's `bfchar` and `bfrange` entries.
pub fn parse_cmap(cmap: &str) -> BTreeMap<u16, String> {
    let hex = |s: &str| -> Vec<u8> {
        let s = s.trim().trim_start_matches('<').trim_end_matches('>');
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .collect()
    };
    let utf16 = |b: &[u8]| -> String {
        let units: Vec<u16> = b
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        String::from_utf16_lossy(&units)
    };
    let code = |b: &[u8]| -> u16 { b.iter().fold(0u16, |a, &x| (a << 8) | u16::from(x)) };
    let mut out = BTreeMap::new();
    let mut mode = "";
    for line in cmap.lines() {
        let line = line.trim();
        if line.ends_with("beginbfchar") {
            mode = "char";
            continue;
        }
        if line.ends_with("beginbfrange") {
            mode = "range";
            continue;
        }
        if line.starts_with("endbf") {
            mode = "";
            continue;
        }
        let parts: Vec<&str> = line
            .split('>')
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .collect();
        match (mode, parts.as_slice()) {
            ("char", [src, dst, ..]) => {
                out.insert(code(&hex(src)), utf16(&hex(dst)));
            }
            ("range", [lo, hi, dst, ..]) => {
                let (lo, hi) = (code(&hex(lo)), code(&hex(hi)));
                let dst = hex(dst);
                let base = u16::from_be_bytes([dst[0], dst[1]]);
                for (k, c) in (lo..=hi).enumerate() {
                    let unit = base + k as u16;
                    out.insert(c, String::from_utf16_lossy(&[unit]));
                }
            }
            _ => {}
        }
    }
    out
}

/// Every run of every page, in content-stream order.
pub fn runs(bytes: &[u8]) -> Vec<Run> {
    let doc = Document::load_mem(bytes).unwrap();
    let mut out = Vec::new();
    for (page_index, (_, page_id)) in doc.get_pages().into_iter().enumerate() {
        type Font = (String, BTreeMap<u16, String>, BTreeMap<u16, f32>);
        let mut fonts: BTreeMap<Vec<u8>, Font> = BTreeMap::new();
        for (name, dict) in doc.get_page_fonts(page_id).unwrap() {
            // Glyph widths (thousandths of an em) from the CIDFont's /W.
            let mut widths = BTreeMap::new();
            if let Ok(Object::Array(desc)) = dict.get(b"DescendantFonts").map(|o| deref(&doc, o)) {
                let cid = deref(&doc, &desc[0]).as_dict().unwrap();
                if let Ok(Object::Array(w)) = cid.get(b"W").map(|o| deref(&doc, o)) {
                    let num = |o: &Object| match deref(&doc, o) {
                        Object::Integer(i) => *i as f32,
                        Object::Real(r) => *r,
                        _ => 0.0,
                    };
                    let mut i = 0;
                    while i + 1 < w.len() {
                        let first = num(&w[i]) as u16;
                        match deref(&doc, &w[i + 1]) {
                            Object::Array(list) => {
                                for (k, x) in list.iter().enumerate() {
                                    widths.insert(first + k as u16, num(x));
                                }
                                i += 2;
                            }
                            _ => {
                                let last = num(&w[i + 1]) as u16;
                                let width = w.get(i + 2).map_or(0.0, num);
                                for c in first..=last {
                                    widths.insert(c, width);
                                }
                                i += 3;
                            }
                        }
                    }
                }
            }
            let base = String::from_utf8_lossy(dict.get(b"BaseFont").unwrap().as_name().unwrap())
                .into_owned();
            let cmap = match dict.get(b"ToUnicode") {
                Ok(o) => {
                    let stream = deref(&doc, o).as_stream().unwrap();
                    let data = stream
                        .decompressed_content()
                        .unwrap_or_else(|_| stream.content.clone());
                    parse_cmap(&String::from_utf8_lossy(&data))
                }
                Err(_) => BTreeMap::new(),
            };
            fonts.insert(name, (base, cmap, widths));
        }
        let content = doc.get_page_content(page_id);
        let ops = Content::decode(&content).unwrap().operations;
        let (mut font, mut size, mut x, mut y) = (Vec::new(), 0.0f32, 0.0f32, 0.0f32);
        // Open marked-content sequences: (is an artifact, ActualText not yet given out).
        let mut marked: Vec<(bool, Option<Option<String>>)> = Vec::new();
        let num = |o: &Object| -> f32 {
            match o {
                Object::Integer(i) => *i as f32,
                Object::Real(r) => *r,
                _ => 0.0,
            }
        };
        for op in ops {
            match op.operator.as_str() {
                "BMC" | "BDC" => {
                    let tag = op.operands.first().and_then(|o| o.as_name().ok());
                    // pdftotext honours ActualText only on `/Span` (poppler's Gfx.cc).
                    let actual = match (tag, op.operands.get(1)) {
                        (Some(b"Span"), Some(Object::Dictionary(d))) => d
                            .get(b"ActualText")
                            .ok()
                            .and_then(|t| t.as_str().ok())
                            .map(|t| Some(text_string(t))),
                        _ => None,
                    };
                    marked.push((tag == Some(b"Artifact".as_slice()), actual));
                }
                "EMC" => {
                    marked.pop();
                }
                "Tf" => {
                    font = op.operands[0].as_name().unwrap().to_vec();
                    size = num(&op.operands[1]);
                }
                "Tm" => {
                    x = num(&op.operands[4]);
                    y = num(&op.operands[5]);
                }
                "TJ" | "Tj" => {
                    let (base, cmap, widths) = fonts.get(&font).cloned().unwrap_or_default();
                    let mut text = String::new();
                    let mut codes = Vec::new();
                    let mut pen = x;
                    let items: Vec<Object> = match &op.operands[0] {
                        Object::Array(items) => items.clone(),
                        other => vec![other.clone()],
                    };
                    for item in &items {
                        match item {
                            Object::String(s, _) => {
                                for pair in s.chunks(2) {
                                    let c =
                                        u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
                                    codes.push(c);
                                    text.push_str(cmap.get(&c).map_or("\u{fffd}", String::as_str));
                                    pen += widths.get(&c).copied().unwrap_or(0.0) / 1000.0 * size;
                                }
                            }
                            other => pen -= num(other) / 1000.0 * size,
                        }
                    }
                    // Inside an ActualText span, its text stands for the glyphs', given
                    // once; poppler does not nest them: the innermost counts.
                    let mut actual = None;
                    if let Some(span) = marked.iter_mut().rev().find_map(|(_, a)| a.as_mut()) {
                        text = span.take().unwrap_or_default();
                        actual = Some(text.clone()).filter(|t| !t.is_empty());
                    }
                    // A space where the face changes is drawn as a wider last glyph: a
                    // TJ adjustment after it of more than a sixth of an em.
                    if let Some(last) = items.last().filter(|o| !matches!(o, Object::String(..))) {
                        if -num(last) / 1000.0 > 0.15 && !text.is_empty() && !text.ends_with(' ') {
                            text.push(' ');
                        }
                    }
                    out.push(Run {
                        page: page_index,
                        font: base,
                        size,
                        x,
                        y,
                        end_x: pen,
                        text,
                        codes,
                        artifact: marked.iter().any(|(a, _)| *a),
                        actual,
                    });
                }
                _ => {}
            }
        }
    }
    out
}

/// The text of the whole document: runs on one line joined (with a space where a gap
/// stands for one: a space at a change of face widens the glyph before it), lines by
/// `\n`, pages by a form feed.
pub fn text(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut last: Option<(usize, f32, f32, f32)> = None;
    for run in runs(bytes) {
        match last {
            Some((p, ..)) if p != run.page => out.push('\u{c}'),
            Some((_, y, ..)) if (y - run.y).abs() > 6.0 => out.push('\n'),
            Some((_, _, end, size)) if run.x - end > size * 0.15 && !out.ends_with(' ') => {
                out.push(' ')
            }
            _ => {}
        }
        out.push_str(&run.text);
        last = Some((run.page, run.y, run.end_x, run.size));
    }
    out
}
