//! A structural EPUB checker in pure Rust, for tests: every EPUB a test builds can be
//! checked without Java or Node. It is not EPUBCheck; it checks what quire can get
//! wrong by construction, and reports every problem at once.
//!
//! Use from an integration test (no `tests/common/mod.rs` needed):
//!
//! ```ignore
//! #[path = "common/epub_check.rs"]
//! mod epub_check;
//! let summary = epub_check::check_epub(&bytes).unwrap_or_else(|e| panic!("{e:#?}"));
//! ```
//!
//! Checks (EPUB 3.3 §4 OCF, §5 package, §6 content documents):
//! - `mimetype` is the first entry, stored, and holds exactly `application/epub+zip`;
//! - `META-INF/container.xml` names a rootfile that exists;
//! - every manifest item exists, and every file (besides `mimetype`, `META-INF/`) is in
//!   the manifest; spine itemrefs name manifest items; there is a `nav` item;
//! - every XHTML document is well-formed XML (balanced tags, known entities, no
//!   duplicate attributes) and has `lang` and `xml:lang` (equal) on its root;
//! - every relative link (`a/@href`, `img/@src`, `link/@href`) resolves to a file, and
//!   its fragment to an `id` in that file;
//! - every note reference has `epub:type="noteref"` and `role="doc-noteref"`, points at a
//!   note, and that note has a `role="doc-backlink"` link back to that very reference.
#![allow(dead_code)]

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};

/// What a valid EPUB contains.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files in the zip, `mimetype` included.
    pub files: usize,
    /// Manifest items.
    pub manifest_items: usize,
    /// Spine itemrefs.
    pub spine_items: usize,
    /// XHTML documents checked (nav included).
    pub xhtml_documents: usize,
    /// Relative links checked.
    pub internal_links: usize,
    /// Note references with both `epub:type="noteref"` and `role="doc-noteref"`.
    pub noterefs: usize,
    /// Elements with `epub:type` `footnote`/`endnote` or role `doc-footnote`/`doc-endnote`.
    pub notes: usize,
    /// Notes that contain at least one `role="doc-backlink"` link.
    pub notes_with_backlinks: usize,
    /// The OPF path, e.g. `OEBPS/content.opf`.
    pub opf_path: String,
}

/// Checks `bytes` as an EPUB; returns every problem found, or a summary.
pub fn check_epub(bytes: &[u8]) -> Result<Summary, Vec<String>> {
    let mut errors = Vec::new();
    let mut summary = Summary::default();
    let files = match read_zip(bytes, &mut errors) {
        Some(f) => f,
        None => return Err(errors),
    };
    summary.files = files.len();

    // container.xml → OPF path.
    let opf_path = match files.get("META-INF/container.xml") {
        None => {
            errors.push("META-INF/container.xml is missing".into());
            return Err(errors);
        }
        Some(data) => {
            let mut path = None;
            let _ = walk_xml("META-INF/container.xml", data, &mut errors, |e, _| {
                if local(e.name().as_ref()) == b"rootfile" {
                    path = attr(e, "full-path");
                }
            });
            match path {
                Some(p) => p,
                None => {
                    errors.push("container.xml has no rootfile/@full-path".into());
                    return Err(errors);
                }
            }
        }
    };
    let Some(opf) = files.get(&opf_path) else {
        errors.push(format!(
            "container.xml points to {opf_path}, which is not in the zip"
        ));
        return Err(errors);
    };
    summary.opf_path = opf_path.clone();
    let opf_dir = dir_of(&opf_path);

    // Manifest and spine.
    let mut items: BTreeMap<String, (String, String, String)> = BTreeMap::new(); // id → (path, media type, properties)
    let mut spine = Vec::new();
    let _ = walk_xml(&opf_path, opf, &mut errors, |e, errs| {
        match local(e.name().as_ref()) {
            b"item" => {
                let (Some(id), Some(href), Some(mt)) =
                    (attr(e, "id"), attr(e, "href"), attr(e, "media-type"))
                else {
                    errs.push(format!(
                        "{opf_path}: manifest item without id, href or media-type"
                    ));
                    return;
                };
                let path = resolve(&opf_dir, &percent_decode(&href));
                if items
                    .insert(
                        id.clone(),
                        (path, mt, attr(e, "properties").unwrap_or_default()),
                    )
                    .is_some()
                {
                    errs.push(format!("{opf_path}: duplicate manifest id {id}"));
                }
            }
            b"itemref" => spine.push(attr(e, "idref").unwrap_or_default()),
            _ => {}
        }
    });
    summary.manifest_items = items.len();
    summary.spine_items = spine.len();
    for idref in &spine {
        if !items.contains_key(idref) {
            errors.push(format!("spine itemref {idref} is not a manifest item"));
        }
    }
    if !items
        .values()
        .any(|(_, _, p)| p.split_whitespace().any(|p| p == "nav"))
    {
        errors.push("no manifest item has properties=\"nav\"".into());
    }
    let manifest_paths: BTreeSet<&str> = items.values().map(|(p, _, _)| p.as_str()).collect();
    for path in &manifest_paths {
        if !files.contains_key(*path) {
            errors.push(format!("manifest item {path} is not in the zip"));
        }
    }
    for name in files.keys() {
        if name != "mimetype"
            && !name.starts_with("META-INF/")
            && name != &opf_path
            && !manifest_paths.contains(name.as_str())
        {
            errors.push(format!("{name} is in the zip but not in the manifest"));
        }
    }

    // Content documents.
    let mut docs: BTreeMap<String, Doc> = BTreeMap::new();
    for (path, mt, _) in items.values() {
        if mt != "application/xhtml+xml" {
            continue;
        }
        let Some(data) = files.get(path) else {
            continue;
        };
        docs.insert(path.clone(), parse_xhtml(path, data, &mut errors));
    }
    summary.xhtml_documents = docs.len();

    // Links.
    for (path, doc) in &docs {
        let dir = dir_of(path);
        for href in &doc.links {
            if is_external(href) {
                continue;
            }
            summary.internal_links += 1;
            let (file, frag) = match href.split_once('#') {
                Some((f, frag)) => (f, Some(frag)),
                None => (href.as_str(), None),
            };
            let target = if file.is_empty() {
                path.clone()
            } else {
                resolve(&dir, &percent_decode(file))
            };
            if !files.contains_key(&target) {
                errors.push(format!(
                    "{path}: link {href} → {target}, which is not in the zip"
                ));
                continue;
            }
            if let Some(frag) = frag {
                let frag = percent_decode(frag);
                match docs.get(&target) {
                    Some(t) if t.ids.contains(&frag) => {}
                    Some(_) => {
                        errors.push(format!("{path}: link {href}: no id {frag:?} in {target}"))
                    }
                    None => errors.push(format!(
                        "{path}: link {href}: {target} is not an XHTML document"
                    )),
                }
            }
        }
    }

    // Notes: every reference has both semantics and a backlink from its note.
    for (path, doc) in &docs {
        summary.notes += doc.notes.len();
        summary.notes_with_backlinks += doc.notes.values().filter(|b| !b.is_empty()).count();
        for (note_id, backlinks) in &doc.notes {
            if backlinks.is_empty() {
                errors.push(format!(
                    "{path}: note {note_id} has no role=\"doc-backlink\" link"
                ));
            }
        }
        for r in &doc.noterefs {
            if !(r.has_type && r.has_role) {
                errors.push(format!(
                    "{path}: note reference {:?} lacks epub:type=\"noteref\" or role=\"doc-noteref\"",
                    r.id
                ));
                continue;
            }
            summary.noterefs += 1;
            let Some((file, frag)) = r.href.split_once('#') else {
                errors.push(format!("{path}: note reference {:?} has no fragment", r.id));
                continue;
            };
            let target = if file.is_empty() {
                path.clone()
            } else {
                resolve(&dir_of(path), file)
            };
            let Some(backlinks) = docs.get(&target).and_then(|d| d.notes.get(frag)) else {
                errors.push(format!(
                    "{path}: note reference {:?} → {} is not a note",
                    r.id, r.href
                ));
                continue;
            };
            let Some(ref_id) = &r.id else {
                errors.push(format!(
                    "{path}: note reference → {} has no id to come back to",
                    r.href
                ));
                continue;
            };
            let comes_back = backlinks.iter().any(|b| {
                let (f, fr) = b.split_once('#').unwrap_or((b.as_str(), ""));
                let back = if f.is_empty() {
                    target.clone()
                } else {
                    resolve(&dir_of(&target), f)
                };
                back == *path && fr == ref_id
            });
            if !comes_back {
                errors.push(format!(
                    "{target}: note {frag} has no backlink to {path}#{ref_id}"
                ));
            }
        }
    }

    if errors.is_empty() {
        Ok(summary)
    } else {
        Err(errors)
    }
}

/// Reads every entry; checks the `mimetype` rules.
fn read_zip(bytes: &[u8], errors: &mut Vec<String>) -> Option<BTreeMap<String, Vec<u8>>> {
    let mut zip = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(z) => z,
        Err(e) => {
            errors.push(format!("not a zip: {e}"));
            return None;
        }
    };
    let mut files = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = match zip.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                errors.push(format!("zip entry {i}: {e}"));
                continue;
            }
        };
        if f.is_dir() {
            continue;
        }
        let name = f.name().to_string();
        if i == 0 {
            if name != "mimetype" {
                errors.push(format!("first zip entry is {name:?}, not mimetype"));
            }
            if f.compression() != zip::CompressionMethod::Stored {
                errors.push("mimetype is compressed; it must be stored".into());
            }
            if !f.extra_data().is_none_or(|d| d.is_empty()) {
                errors.push("mimetype has an extra field".into());
            }
        }
        let mut data = Vec::new();
        if let Err(e) = f.read_to_end(&mut data) {
            errors.push(format!("{name}: {e}"));
        }
        if name == "mimetype" && data != b"application/epub+zip" {
            errors.push(format!(
                "mimetype holds {:?}",
                String::from_utf8_lossy(&data)
            ));
        }
        if files.insert(name.clone(), data).is_some() {
            errors.push(format!("{name} is in the zip twice"));
        }
    }
    if !files.contains_key("mimetype") {
        errors.push("no mimetype entry".into());
    }
    Some(files)
}

#[derive(Debug)]
struct NoteRef {
    id: Option<String>,
    href: String,
    has_type: bool,
    has_role: bool,
}

#[derive(Debug, Default)]
struct Doc {
    ids: BTreeSet<String>,
    links: Vec<String>,
    noterefs: Vec<NoteRef>,
    /// Note id → backlink hrefs inside it.
    notes: BTreeMap<String, Vec<String>>,
}

fn parse_xhtml(path: &str, data: &[u8], errors: &mut Vec<String>) -> Doc {
    let mut doc = Doc::default();
    let mut root_seen = false;
    // Stack of open elements: the note id each lies in, if any.
    let mut note_stack: Vec<Option<String>> = Vec::new();
    let mut reader = Reader::from_reader(data);
    reader.config_mut().check_end_names = true;
    let mut buf = Vec::new();
    loop {
        let ev = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(e) => {
                errors.push(format!(
                    "{path}: not well-formed at byte {}: {e}",
                    reader.buffer_position()
                ));
                return doc;
            }
        };
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                for a in e.attributes() {
                    match a {
                        Ok(a) => {
                            if let Err(err) = a.unescape_value() {
                                errors.push(format!("{path}: bad attribute value: {err}"));
                            }
                        }
                        Err(err) => errors.push(format!("{path}: bad attribute: {err}")),
                    }
                }
                if !root_seen {
                    if !note_stack.is_empty() {
                        errors.push(format!("{path}: more than one root element"));
                    }
                    root_seen = true;
                    let (lang, xml_lang) = (attr(e, "lang"), attr(e, "xml:lang"));
                    match (lang, xml_lang) {
                        (Some(a), Some(b)) if a == b && !a.is_empty() => {}
                        (a, b) => errors.push(format!(
                            "{path}: root lang={a:?} xml:lang={b:?}; both needed and equal"
                        )),
                    }
                } else if note_stack.is_empty() {
                    errors.push(format!("{path}: more than one root element"));
                }
                let name = e.name().as_ref().to_vec();
                let id = attr(e, "id");
                if let Some(id) = &id {
                    if !doc.ids.insert(id.clone()) {
                        errors.push(format!("{path}: duplicate id {id}"));
                    }
                }
                let types = attr(e, "epub:type").unwrap_or_default();
                let role = attr(e, "role").unwrap_or_default();
                let has = |list: &str, t: &str| list.split_whitespace().any(|x| x == t);
                let is_note = has(&types, "footnote")
                    || has(&types, "endnote")
                    || has(&role, "doc-footnote")
                    || has(&role, "doc-endnote");
                let parent_note = note_stack.last().cloned().flatten();
                let current_note = if is_note {
                    match &id {
                        Some(id) => {
                            doc.notes.entry(id.clone()).or_default();
                            Some(id.clone())
                        }
                        None => {
                            errors.push(format!("{path}: a note without id"));
                            parent_note
                        }
                    }
                } else {
                    parent_note
                };
                let href = match name.as_slice() {
                    b"a" | b"link" => attr(e, "href"),
                    b"img" => attr(e, "src"),
                    _ => None,
                };
                if let Some(href) = &href {
                    doc.links.push(href.clone());
                }
                if name == b"a" {
                    let (t, r) = (has(&types, "noteref"), has(&role, "doc-noteref"));
                    if t || r {
                        doc.noterefs.push(NoteRef {
                            id: id.clone(),
                            href: href.clone().unwrap_or_default(),
                            has_type: t,
                            has_role: r,
                        });
                    }
                    if has(&role, "doc-backlink") {
                        match (&current_note, &href) {
                            (Some(n), Some(h)) => {
                                doc.notes.entry(n.clone()).or_default().push(h.clone())
                            }
                            _ => errors.push(format!("{path}: a backlink outside any note")),
                        }
                    }
                }
                if !empty {
                    note_stack.push(current_note);
                }
            }
            Event::End(_) => {
                note_stack.pop();
            }
            Event::Text(t) => {
                if let Err(e) = t.unescape() {
                    errors.push(format!("{path}: bad text: {e}"));
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !note_stack.is_empty() {
        errors.push(format!("{path}: {} element(s) left open", note_stack.len()));
    }
    if !root_seen {
        errors.push(format!("{path}: no root element"));
    }
    doc
}

/// Walks every start/empty element of a small XML file.
fn walk_xml(
    path: &str,
    data: &[u8],
    errors: &mut Vec<String>,
    mut f: impl FnMut(&BytesStart, &mut Vec<String>),
) -> bool {
    let mut reader = Reader::from_reader(data);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(ref e)) | Ok(Event::Empty(ref e)) => f(e, errors),
            Ok(Event::Eof) => return true,
            Ok(_) => {}
            Err(e) => {
                errors.push(format!("{path}: not well-formed: {e}"));
                return false;
            }
        }
        buf.clear();
    }
}

/// An attribute by qualified name, unescaped.
fn attr(e: &BytesStart, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name.as_bytes())
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

fn local(name: &[u8]) -> &[u8] {
    name.rsplit(|&b| b == b':').next().unwrap_or(name)
}

fn dir_of(path: &str) -> String {
    path.rsplit_once('/')
        .map_or(String::new(), |(d, _)| format!("{d}/"))
}

/// `dir` + `rel`, with `.` and `..` resolved.
fn resolve(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn is_external(href: &str) -> bool {
    // A scheme before any '/', '?' or '#' (RFC 3986 §3.1).
    match href.find(':') {
        Some(i) => !href[..i].contains(['/', '?', '#']),
        None => false,
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
