//! The file itself: the lopdf document's objects, packed into compressed object streams
//! with a cross-reference stream (PDF 1.5, ISO 32000-1 §7.5.7–7.5.8).
//!
//! This is what lopdf's `save_modern` writes (same object order, same packing of at most
//! 100 objects per stream, same serialization of each object), done here because a
//! rebuild in `quire watch` must not redo it all: `save_modern` serializes every object
//! three times and compresses every object stream on every save, a third of a long
//! book's PDF time, and lopdf exposes neither its object serializer nor a way to reuse a
//! stream. Here each object is serialized once, and each object stream is compressed
//! through the deflate cache, keyed by its bytes, so a rebuild compresses only the
//! streams whose objects changed. A clean build takes the same steps without a cache.

use super::DeflateCache;
use crate::error::PdfError;
use lopdf::{Dictionary, Object, ObjectId, Stream, StringFormat};
use std::collections::HashMap;
use std::io::Write as _;
use std::ops::Range;

/// Objects per object stream (lopdf's default, `ObjectStreamConfig`).
const OBJECTS_PER_STREAM: usize = 100;

/// Where an object is, for the cross-reference stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    /// Written directly at this byte offset.
    Direct(u32),
    /// The `index`th object of object stream `container`.
    Packed { container: u32, index: u16 },
}

/// A written file.
pub(crate) struct Saved {
    /// The file.
    pub bytes: Vec<u8>,
    /// Where its parts are.
    pub layout: Layout,
}

/// Where a written file's parts are, for patching it ([`super::patch`]).
pub(crate) struct Layout {
    /// Every object's place but the cross-reference stream's, sorted by object number
    /// (the cross-reference stream's entries, without its own).
    pub entries: Vec<(u32, Entry)>,
    /// Each directly written object's byte range, by object number.
    pub spans: HashMap<u32, Range<usize>>,
    /// The cross-reference stream's object number (the highest in the file).
    pub xref_id: u32,
    /// Where the cross-reference stream starts.
    pub xref_start: usize,
}

/// A byte offset as the cross-reference stream writes it: 4 bytes (its `/W`, below).
pub(crate) fn offset(at: usize) -> Result<u32, PdfError> {
    u32::try_from(at).map_err(|_| PdfError::TooLarge { size: at })
}

/// Writes `lo` as a PDF file. Streams are written as they are (compress them first);
/// every other object goes into an object stream. Fails only for a file past 4 GiB.
pub(crate) fn save(lo: &lopdf::Document, cache: Option<&DeflateCache>) -> Result<Saved, PdfError> {
    // Sized for the streams (most of the file) and a little per object: growing a
    // long book's 5 MB by doubling copied it three times over.
    let streams: usize = lo
        .objects
        .values()
        .map(|o| match o {
            Object::Stream(s) => s.content.len() + 128,
            _ => 64,
        })
        .sum();
    let mut out = Vec::with_capacity(streams + 4096);
    let _ = writeln!(out, "%PDF-{}", lo.version);
    out.push(b'%');
    out.extend_from_slice(&lo.binary_mark);
    out.push(b'\n');

    let mut entries: Vec<(u32, Entry)> = Vec::with_capacity(lo.objects.len() + 64);
    let mut spans = HashMap::new();
    let mut packed: Vec<(u32, &Object)> = Vec::new();
    for (&(id, generation), object) in &lo.objects {
        if generation == 0 && can_be_packed(object) {
            packed.push((id, object));
        } else {
            let start = out.len();
            entries.push((id, Entry::Direct(offset(start)?)));
            indirect_object(&mut out, (id, generation), object);
            spans.insert(id, start..out.len());
        }
    }

    // The object streams take the numbers after the document's own (as in lopdf). They
    // are made on as many threads as there are cores (`par::map`: each thread claims the
    // next stream; they are written in order, so the bytes do not depend on the threads).
    let chunks: Vec<&[(u32, &Object)]> = packed.chunks(OBJECTS_PER_STREAM).collect();
    let streams: Vec<Stream> = crate::par::map(&chunks, |c| object_stream(c, cache));
    let mut next_id = lo.max_id + 1;
    for (chunk, stream) in chunks.iter().zip(streams) {
        let container = next_id;
        next_id += 1;
        // At most `OBJECTS_PER_STREAM` objects: the index always fits in 2 bytes.
        for (index, &(id, _)) in (0u16..).zip(chunk.iter()) {
            entries.push((id, Entry::Packed { container, index }));
        }
        entries.push((container, Entry::Direct(offset(out.len())?)));
        indirect_object(&mut out, (container, 0), &Object::Stream(stream));
    }

    entries.sort_by_key(|(id, _)| *id);
    let xref_id = next_id;
    let xref_start = out.len();
    write_xref(&mut out, &entries, &lo.trailer, xref_id)?;
    Ok(Saved {
        bytes: out,
        layout: Layout {
            entries,
            spans,
            xref_id,
            xref_start,
        },
    })
}

/// Appends the cross-reference stream (object `xref_id`, at the end of `out`) for
/// `entries` (sorted by object number, all below `xref_id`), with the trailer's keys,
/// then `startxref` and `%%EOF`.
pub(crate) fn write_xref(
    out: &mut Vec<u8>,
    entries: &[(u32, Entry)],
    trailer: &Dictionary,
    xref_id: u32,
) -> Result<(), PdfError> {
    debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
    debug_assert!(entries.last().is_none_or(|&(id, _)| id < xref_id));
    // The cross-reference stream: entries `[type offset-or-container index-or-generation]`
    // of 1, 4 and 2 bytes, in subsections of consecutive object numbers (§7.5.8.2).
    let xref_start = offset(out.len())?;
    let own = (xref_id, Entry::Direct(xref_start));
    let mut rows = Vec::with_capacity((entries.len() + 1) * 7);
    let mut index = Vec::new();
    let mut section: Option<(u32, u32)> = None;
    for (id, entry) in entries.iter().chain([&own]) {
        section = match section {
            Some((start, count)) if start + count == *id => Some((start, count + 1)),
            Some((start, count)) => {
                index.extend([Object::Integer(start.into()), Object::Integer(count.into())]);
                Some((*id, 1))
            }
            None => Some((*id, 1)),
        };
        match entry {
            Entry::Direct(offset) => {
                rows.push(1);
                rows.extend_from_slice(&offset.to_be_bytes());
                rows.extend_from_slice(&[0, 0]);
            }
            Entry::Packed { container, index } => {
                rows.push(2);
                rows.extend_from_slice(&container.to_be_bytes());
                rows.extend_from_slice(&index.to_be_bytes());
            }
        }
    }
    if let Some((start, count)) = section {
        index.extend([Object::Integer(start.into()), Object::Integer(count.into())]);
    }
    let mut dict = trailer.clone();
    dict.set("Type", Object::Name(b"XRef".to_vec()));
    dict.set("Size", Object::Integer(i64::from(xref_id) + 1));
    dict.set(
        "W",
        Object::Array(vec![
            Object::Integer(1),
            Object::Integer(4),
            Object::Integer(2),
        ]),
    );
    dict.set("Index", Object::Array(index));
    dict.remove(b"Filter");
    dict.set("Length", Object::Integer(rows.len() as i64));
    indirect_object(out, (xref_id, 0), &Object::Stream(Stream::new(dict, rows)));
    let _ = write!(out, "\nstartxref\n{xref_start}\n%%EOF");
    Ok(())
}

/// An object stream holding `objects` (§7.5.7): a table of object numbers and offsets,
/// then the objects, compressed through `cache`.
fn object_stream(objects: &[(u32, &Object)], cache: Option<&DeflateCache>) -> Stream {
    use std::fmt::Write as _;
    let mut table = String::new();
    let mut body = Vec::new();
    for &(id, object) in objects {
        let _ = write!(table, "{id} {} ", body.len());
        write_object(&mut body, object);
        body.push(b' ');
    }
    let first = table.len();
    let mut content = Vec::with_capacity(first + body.len());
    content.extend_from_slice(table.as_bytes());
    content.extend_from_slice(&body);
    let dict = Dictionary::from_iter(vec![
        ("Type", Object::Name(b"ObjStm".to_vec())),
        ("N", Object::Integer(objects.len() as i64)),
        ("First", Object::Integer(first as i64)),
    ]);
    let compressed = super::deflate_cached(&content, cache);
    let filtered = compressed.is_some();
    if let Some(z) = compressed {
        content = z;
    }
    // `Stream::new` sets /Length.
    let mut stream = Stream::new(dict, content);
    if filtered {
        stream.dict.set("Filter", "FlateDecode");
    }
    stream
}

/// Whether an object may go into an object stream (§7.5.7: not a stream; lopdf also keeps
/// cross-reference and object streams out). quire writes no encryption dictionary and no
/// linearization.
fn can_be_packed(object: &Object) -> bool {
    match object {
        Object::Stream(_) => false,
        Object::Dictionary(dict) => !matches!(
            dict.get(b"Type").and_then(Object::as_name),
            Ok(b"XRef" | b"ObjStm")
        ),
        _ => true,
    }
}

/// `id generation obj … endobj`, as lopdf writes it.
fn indirect_object(out: &mut Vec<u8>, (id, generation): ObjectId, object: &Object) {
    if let Object::Stream(stream) = object {
        return indirect_stream(out, (id, generation), &stream.dict, &stream.content);
    }
    let _ = writeln!(out, "{id} {generation} obj");
    if needs_separator(object) {
        out.push(b' ');
    }
    write_object(out, object);
    if needs_end_separator(object) {
        out.push(b' ');
    }
    out.extend_from_slice(b"\nendobj\n");
}

/// `id generation obj <<dict>>stream … endstream endobj`, as lopdf writes a stream
/// object; the content need not be moved into an `Object::Stream` first.
pub(crate) fn indirect_stream(out: &mut Vec<u8>, id: ObjectId, dict: &Dictionary, content: &[u8]) {
    let _ = writeln!(out, "{} {} obj", id.0, id.1);
    write_stream(out, dict, content);
    // A stream needs the separator after it (`needs_end_separator`).
    out.extend_from_slice(b" \nendobj\n");
}

fn needs_separator(object: &Object) -> bool {
    matches!(
        object,
        Object::Null
            | Object::Boolean(_)
            | Object::Integer(_)
            | Object::Real(_)
            | Object::Reference(_)
    )
}

fn needs_end_separator(object: &Object) -> bool {
    needs_separator(object) || matches!(object, Object::Name(_) | Object::Stream(_))
}

/// One object in PDF syntax (§7.3), byte for byte as lopdf 0.44's writer does it.
fn write_object(out: &mut Vec<u8>, object: &Object) {
    match object {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Boolean(true) => out.extend_from_slice(b"true"),
        Object::Boolean(false) => out.extend_from_slice(b"false"),
        Object::Integer(v) => write_integer(out, *v),
        Object::Real(v) => {
            let _ = write!(out, "{v}");
        }
        Object::Name(name) => write_name(out, name),
        Object::String(text, format) => write_string(out, text, format),
        Object::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 && needs_separator(item) {
                    out.push(b' ');
                }
                write_object(out, item);
            }
            out.push(b']');
        }
        Object::Dictionary(dict) => write_dictionary(out, dict),
        Object::Stream(stream) => write_stream(out, &stream.dict, &stream.content),
        Object::Reference((id, generation)) => {
            write_integer(out, i64::from(*id));
            out.push(b' ');
            write_integer(out, i64::from(*generation));
            out.extend_from_slice(b" R");
        }
    }
}

/// `<<dict>>stream … endstream` (§7.3.8.1).
fn write_stream(out: &mut Vec<u8>, dict: &Dictionary, content: &[u8]) {
    write_dictionary(out, dict);
    out.extend_from_slice(b"stream\n");
    out.extend_from_slice(content);
    out.extend_from_slice(b"\nendstream");
}

/// An integer in decimal (what `{v}` writes, without the formatting machinery: a long
/// book's file has a hundred thousand of them).
fn write_integer(out: &mut Vec<u8>, v: i64) {
    let mut digits = [0u8; 20];
    let mut n = v.unsigned_abs();
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[at..]);
}

fn write_dictionary(out: &mut Vec<u8>, dict: &Dictionary) {
    out.extend_from_slice(b"<<");
    for (key, value) in dict {
        write_name(out, key);
        if needs_separator(value) {
            out.push(b' ');
        }
        write_object(out, value);
    }
    out.extend_from_slice(b">>");
}

/// A name, with white space, delimiters, `#` and bytes outside `!`..`~` written as `#XX`
/// (§7.3.5).
fn write_name(out: &mut Vec<u8>, name: &[u8]) {
    out.push(b'/');
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &byte in name {
        let escaped = !(33..=126).contains(&byte)
            || matches!(
                byte,
                b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%' | b'#'
            );
        if escaped {
            out.extend_from_slice(&[
                b'#',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 15)],
            ]);
        } else {
            out.push(byte);
        }
    }
}

/// A string (§7.3.4): literal strings escape backslashes, carriage returns and
/// unbalanced parentheses; hexadecimal strings are upper case.
fn write_string(out: &mut Vec<u8>, text: &[u8], format: &StringFormat) {
    match format {
        StringFormat::Literal => {
            let mut escape = vec![false; text.len()];
            let mut open = Vec::new();
            for (i, &byte) in text.iter().enumerate() {
                match byte {
                    b'(' => open.push(i),
                    b')' if open.pop().is_none() => escape[i] = true,
                    b'\\' | b'\r' => escape[i] = true,
                    _ => {}
                }
            }
            for i in open {
                escape[i] = true;
            }
            out.push(b'(');
            for (&byte, &escaped) in text.iter().zip(&escape) {
                if escaped {
                    out.push(b'\\');
                    out.push(if byte == b'\r' { b'r' } else { byte });
                } else {
                    out.push(byte);
                }
            }
            out.push(b')');
        }
        StringFormat::Hexadecimal => {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push(b'<');
            for &byte in text {
                out.extend_from_slice(&[HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 15)]]);
            }
            out.push(b'>');
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// What lopdf reads back from our file is the document we wrote.
    #[test]
    fn integers_are_written_as_display_does() {
        for v in [0, 7, -7, 10, 1234567890, i64::MAX, i64::MIN] {
            let mut out = Vec::new();
            write_integer(&mut out, v);
            assert_eq!(String::from_utf8(out).unwrap(), v.to_string());
        }
    }

    #[test]
    fn lopdf_reads_back_what_is_saved() {
        let mut lo = lopdf::Document::with_version("1.7");
        let pages_id = lo.new_object_id();
        let content = lo.add_object(Stream::new(Dictionary::new(), b"BT ET".to_vec()));
        let page = lo.add_object(Dictionary::from_iter(vec![
            ("Type", Object::Name(b"Page".to_vec())),
            ("Parent", Object::Reference(pages_id)),
            ("Contents", Object::Reference(content)),
            (
                "MediaBox",
                Object::Array(vec![0.into(), 0.into(), 595.5.into(), 842.into()]),
            ),
        ]));
        lo.objects.insert(
            pages_id,
            Object::Dictionary(Dictionary::from_iter(vec![
                ("Type", Object::Name(b"Pages".to_vec())),
                ("Kids", Object::Array(vec![Object::Reference(page)])),
                ("Count", Object::Integer(1)),
            ])),
        );
        let odd = lo.add_object(Object::String(
            b"a (b) c) \\ \r (".to_vec(),
            StringFormat::Literal,
        ));
        let name = lo.add_object(Object::Name(b"A B#C/".to_vec()));
        let catalog = lo.add_object(Dictionary::from_iter(vec![
            ("Type", Object::Name(b"Catalog".to_vec())),
            ("Pages", Object::Reference(pages_id)),
        ]));
        lo.trailer.set("Root", Object::Reference(catalog));
        let bytes = save(&lo, None).unwrap().bytes;
        let back = lopdf::Document::load_mem(&bytes).unwrap();
        assert_eq!(back.get_pages().len(), 1);
        for &id in lo.objects.keys() {
            let (a, b) = (lo.get_object(id).unwrap(), back.get_object(id).unwrap());
            match (a, b) {
                (Object::Stream(a), Object::Stream(b)) => assert_eq!(a.content, b.content),
                (a, b) => assert_eq!(a, b, "object {id:?}"),
            }
        }
        assert_eq!(
            back.get_object(odd).unwrap().as_str().unwrap(),
            b"a (b) c) \\ \r ("
        );
        assert_eq!(back.get_object(name).unwrap().as_name().unwrap(), b"A B#C/");
    }
}
