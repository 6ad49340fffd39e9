//! The PDF's object structure, snapshotted (tests/snapshots/pdf_structure__*.snap,
//! reviewed like code), as krilla's tests do: every object in order with its dictionary;
//! every stream with its decoded length and a hash; each ToUnicode CMap as the text of
//! its codes; and, for a small document, the pages' content streams operation by
//! operation, with the shown text decoded. A change to what the writer emits shows up as
//! a readable diff.
//!
//! The file is read back with lopdf, which unpacks the object streams, so the objects
//! packed in them appear as themselves; the object streams and the cross-reference
//! stream are left out (their bytes are the other objects, and offsets) and the trailer
//! is shown at the end. Streams are decoded here (the writer always compresses): the
//! snapshot shows the content, not the compressor's bytes, which the hash of the
//! decoded content and the dictionary's `/Length` still pin down.

#![allow(clippy::unwrap_used)]

mod pdf_sample;

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document as Lo, Object, ObjectId, Stream, StringFormat};
use quire::build::{build, BuildRequest, Formats};
use quire::fonts::FontSet;
use quire::typeset::document::{PlacedImage, Rect};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

/// An object longer than this on one line is written one entry a line.
const WIDTH: usize = 96;
/// Arrays longer than this show their first items and a hash of the whole.
const ARRAY_ITEMS: usize = 12;

/// The hand-built sample (four faces, links both ways, an outline, a rule), with a PNG
/// on its second page: small enough to show its pages' content.
#[test]
fn small_document_structure() {
    let mut doc = pdf_sample::sample();
    let rect = Rect {
        x: 300.0,
        y: 40.0,
        width: 60.0,
        height: 45.0,
    };
    doc.pages[1].images.push(PlacedImage { asset: 0, rect });
    let png = quire::model::Asset {
        path: "tiny.png".into(),
        href: "tiny.png".into(),
        kind: quire::model::ImageKind::Png,
        data: include_bytes!("pdf_sample/tiny.png").to_vec(),
    };
    let bytes = quire::pdf::write(&doc, &FontSet::embedded(), &[png]).unwrap();
    insta::assert_snapshot!("small", structure(&bytes, Pages::Shown));
}

/// The sample manuscript (manuscript/), built as `quire build` does; its pages' content
/// is hashed.
#[test]
fn sample_manuscript_structure() {
    let out = tempfile::tempdir().unwrap();
    let request = BuildRequest {
        input: Path::new(env!("CARGO_MANIFEST_DIR")).join("manuscript"),
        out_dir: out.path().to_path_buf(),
        formats: Formats {
            epub: false,
            pdf: true,
        },
        strict: false,
        timestamp: Some(1_700_000_000),
        booklet: false,
    };
    let report = build(&request).unwrap();
    assert!(!report.failed(), "{:?}", report.diagnostics);
    let bytes = std::fs::read(&report.outputs[0].path).unwrap();
    insta::assert_snapshot!("sample", structure(&bytes, Pages::Hashed));
}

/// Whether pages' content streams are shown operation by operation or only hashed.
#[derive(Clone, Copy, PartialEq)]
enum Pages {
    Shown,
    Hashed,
}

/// The file's objects in order, then its trailer.
fn structure(bytes: &[u8], pages: Pages) -> String {
    let lo = Lo::load_mem(bytes).unwrap();
    let fonts = page_fonts(&lo);
    let cmaps = cmap_ids(&lo);
    let mut out = format!("%PDF-{}, {} bytes\n", lo.version, bytes.len());
    for (&id, object) in &lo.objects {
        if is_file_structure(object) {
            continue;
        }
        let _ = write!(out, "\n{} {} obj ", id.0, id.1);
        match object {
            Object::Stream(stream) => {
                out.push_str(&render(&Object::Dictionary(stream.dict.clone()), 0));
                out.push_str(&stream_summary(stream));
                if let (Pages::Shown, Some(fonts)) = (pages, fonts.get(&id)) {
                    out.push_str(&page_content(stream, fonts));
                } else if cmaps.contains(&id) {
                    out.push_str(&cmap_line(stream));
                }
            }
            other => out.push_str(&render(other, 0)),
        }
        out.push('\n');
    }
    out.push_str("\ntrailer ");
    out.push_str(&render(&Object::Dictionary(lo.trailer.clone()), 0));
    out.push('\n');
    out
}

/// Object streams and the cross-reference stream: containers, not content.
fn is_file_structure(object: &Object) -> bool {
    let Object::Stream(stream) = object else {
        return false;
    };
    matches!(
        stream.dict.get(b"Type").and_then(Object::as_name),
        Ok(b"ObjStm" | b"XRef")
    )
}

/// The content as the stream's filters decode it (as stored when there are none, or for
/// a filter lopdf cannot undo, an image's `/DCTDecode`).
fn decoded(stream: &Stream) -> Vec<u8> {
    stream
        .decompressed_content()
        .unwrap_or_else(|_| stream.content.clone())
}

/// ` stream, N bytes decoded, sha256 …`.
fn stream_summary(stream: &Stream) -> String {
    let content = decoded(stream);
    format!(
        " stream, {} bytes decoded, sha256 {}",
        content.len(),
        hash(&content)
    )
}

/// Each page content stream's fonts: resource name → code → text (its ToUnicode map).
fn page_fonts(lo: &Lo) -> HashMap<ObjectId, BTreeMap<Vec<u8>, HashMap<u16, String>>> {
    let mut out = HashMap::new();
    for page in lo.get_pages().into_values() {
        let fonts: BTreeMap<Vec<u8>, HashMap<u16, String>> = lo
            .get_page_fonts(page)
            .unwrap()
            .into_iter()
            .map(|(name, font)| (name, font_codes(lo, font)))
            .collect();
        for contents in lo.get_page_contents(page) {
            out.insert(contents, fonts.clone());
        }
    }
    out
}

/// A font's ToUnicode map: code → text.
fn font_codes(lo: &Lo, font: &Dictionary) -> HashMap<u16, String> {
    let Ok(Object::Reference(id)) = font.get(b"ToUnicode") else {
        return HashMap::new();
    };
    let Ok(Object::Stream(cmap)) = lo.get_object(*id) else {
        return HashMap::new();
    };
    cmap_codes(&decoded(cmap)).into_iter().collect()
}

/// The `bfchar` entries of a ToUnicode CMap (PDF 32000-1 §9.10.3), in code order:
/// `<code> <UTF-16BE text>` lines (quire's CMaps have no `bfrange`).
fn cmap_codes(cmap: &[u8]) -> Vec<(u16, String)> {
    let text = String::from_utf8_lossy(cmap);
    let hex = |s: &str| {
        s.trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_owned()
    };
    let mut codes = Vec::new();
    let mut in_bfchar = false;
    for line in text.lines() {
        match line.trim() {
            l if l.ends_with("beginbfchar") => in_bfchar = true,
            "endbfchar" => in_bfchar = false,
            _ => {}
        }
        let Some((code, target)) = line.split_once("> <").filter(|_| in_bfchar) else {
            continue;
        };
        let Ok(code) = u16::from_str_radix(&hex(code), 16) else {
            continue;
        };
        let target = hex(target);
        let units: Vec<u16> = (0..target.len() / 4)
            .map(|i| u16::from_str_radix(&target[i * 4..i * 4 + 4], 16).unwrap())
            .collect();
        codes.push((code, String::from_utf16_lossy(&units)));
    }
    codes
}

/// The fonts' ToUnicode CMaps.
fn cmap_ids(lo: &Lo) -> HashSet<ObjectId> {
    lo.objects
        .values()
        .filter_map(|o| {
            o.as_dict()
                .ok()?
                .get(b"ToUnicode")
                .ok()?
                .as_reference()
                .ok()
        })
        .collect()
}

/// A ToUnicode CMap as the text of each code, in code order, on one line.
fn cmap_line(cmap: &Stream) -> String {
    let texts: Vec<String> = cmap_codes(&decoded(cmap))
        .into_iter()
        .map(|(_, text)| if text == " " { "␠".into() } else { text })
        .collect();
    format!("\n  | {}", texts.join(" "))
}

/// A page's content, one operation a line, a marked-content sequence (one run of text,
/// or the artifacts) on one line; shown strings are decoded through the font's
/// ToUnicode map, `(…)` holding text.
fn page_content(stream: &Stream, fonts: &BTreeMap<Vec<u8>, HashMap<u16, String>>) -> String {
    let content = Content::decode(&decoded(stream)).unwrap();
    let mut out = String::new();
    let mut font: Option<&HashMap<u16, String>> = None;
    let mut depth = 0usize;
    for op in &content.operations {
        if op.operator == "Tf" {
            font = op
                .operands
                .first()
                .and_then(|n| fonts.get(n.as_name().ok()?));
        }
        out.push_str(if depth == 0 { "\n  | " } else { " " });
        out.push_str(&operation(op, font));
        match op.operator.as_str() {
            "BDC" | "BMC" => depth += 1,
            "EMC" => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    out
}

fn operation(op: &Operation, font: Option<&HashMap<u16, String>>) -> String {
    let shown = matches!(op.operator.as_str(), "TJ" | "Tj");
    let mut parts: Vec<String> = op
        .operands
        .iter()
        .map(|o| match (o, font) {
            (Object::String(codes, _), Some(font)) if shown => shown_text(codes, font),
            (Object::Array(items), Some(font)) if shown => {
                let items: Vec<String> = items
                    .iter()
                    .map(|i| match i {
                        Object::String(codes, _) => shown_text(codes, font),
                        other => render(other, 0),
                    })
                    .collect();
                format!("[{}]", items.join(" "))
            }
            (other, _) => render(other, 0),
        })
        .collect();
    parts.push(op.operator.clone());
    parts.join(" ")
}

/// Two-byte codes (Identity-H) as the text they stand for.
fn shown_text(codes: &[u8], font: &HashMap<u16, String>) -> String {
    let text: String = codes
        .chunks(2)
        .map(|c| {
            let code = u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]);
            font.get(&code)
                .cloned()
                .unwrap_or_else(|| format!("\\u{{{code:04X}}}"))
        })
        .collect();
    format!("({text})")
}

/// An object in PDF syntax: on one line when it fits in [`WIDTH`] (from `indent`),
/// else dictionaries and arrays of them one entry a line; long arrays shortened, text
/// strings decoded.
fn render(object: &Object, indent: usize) -> String {
    let inline = inline(object);
    if indent + inline.len() <= WIDTH {
        return inline;
    }
    let pad = " ".repeat(indent + 2);
    match object {
        Object::Dictionary(dict) => {
            let mut out = String::from("<<");
            for (key, v) in dict {
                let key = String::from_utf8_lossy(key);
                let _ = write!(out, "\n{pad}/{key} {}", render(v, indent + 2));
            }
            let _ = write!(out, "\n{}>>", " ".repeat(indent));
            out
        }
        Object::Array(items) if items.len() <= ARRAY_ITEMS && items.iter().any(is_container) => {
            let mut out = String::from("[");
            for item in items {
                let _ = write!(out, "\n{pad}{}", render(item, indent + 2));
            }
            let _ = write!(out, "\n{}]", " ".repeat(indent));
            out
        }
        _ => inline,
    }
}

fn is_container(object: &Object) -> bool {
    matches!(object, Object::Array(_) | Object::Dictionary(_))
}

fn inline(object: &Object) -> String {
    match object {
        Object::Null => "null".into(),
        Object::Boolean(b) => b.to_string(),
        Object::Integer(i) => i.to_string(),
        Object::Real(r) => r.to_string(),
        Object::Name(name) => format!("/{}", String::from_utf8_lossy(name)),
        Object::String(text, format) => string(text, format),
        Object::Array(items) => array(items),
        Object::Dictionary(dict) => {
            let entries: Vec<String> = dict
                .iter()
                .map(|(key, v)| format!("/{} {}", String::from_utf8_lossy(key), inline(v)))
                .collect();
            format!("<<{}>>", entries.join(" "))
        }
        Object::Stream(stream) => format!("{} stream", inline(&stream.dict.clone().into())),
        Object::Reference((id, generation)) => format!("{id} {generation} R"),
    }
}

fn array(items: &[Object]) -> String {
    let shown: Vec<String> = items.iter().take(ARRAY_ITEMS).map(inline).collect();
    if items.len() <= ARRAY_ITEMS {
        return format!("[{}]", shown.join(" "));
    }
    let all: Vec<String> = items.iter().map(inline).collect();
    format!(
        "[{} … {} items, sha256 {}]",
        shown.join(" "),
        items.len(),
        hash(all.join(" ").as_bytes())
    )
}

/// A string as written (`(…)` or `<…>`); a UTF-16 text string (§7.9.2.2, with its
/// byte order mark) is shown decoded, as `u(…)`.
fn string(text: &[u8], format: &StringFormat) -> String {
    if let Some(utf16) = text.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = utf16
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
            .collect();
        return format!("u({})", String::from_utf16_lossy(&units));
    }
    match format {
        StringFormat::Literal => format!("({})", escaped(text)),
        StringFormat::Hexadecimal => {
            let hex: String = text.iter().map(|b| format!("{b:02X}")).collect();
            format!("<{hex}>")
        }
    }
}

/// Bytes as text, anything but printable ASCII as `\xNN`.
fn escaped(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (b' '..=b'~').contains(&b) && b != b'\\' {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "\\x{b:02X}");
        }
    }
    out
}

/// The first 16 hex digits of the SHA-256 of `bytes`.
fn hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}
