//! Post-processing of the zip epub-builder produced: swap in quire's package documents,
//! drop what quire does not want, and re-zip deterministically.
//!
//! The OCF rules (EPUB 3.3 §4.2.2, "OCF ZIP container"): `mimetype` is the first entry,
//! stored (not compressed), with no extra field, and holds exactly
//! `application/epub+zip`. Everything else is deflated. Every entry gets the same fixed
//! time, so two builds of one book are byte-identical.

use crate::error::{EpubError, Error};
use std::io::{Cursor, Read, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

/// Entries epub-builder writes that quire drops. Apple's display-options file sets
/// `specified-fonts=true`, which tells Apple Books to prefer the book's fonts over the
/// reader's choice; quire embeds none and wants the reader's settings to win.
const DROPPED: &[&str] = &["META-INF/com.apple.ibooks.display-options.xml"];

/// Zip entries compressed in earlier builds: each a whole one-entry archive (the zip
/// crate copies an entry with its compressed data only from an archive, with
/// `raw_copy_file`), keyed by the entry's name, time and bytes.
pub type EntryCache = crate::memo::ContentCache<Vec<u8>>;

/// Rewrites `input`, the zip epub-builder wrote: the order is mimetype, container.xml,
/// the OPF (`opf`), then epub-builder's own entries that quire does not write (the
/// stylesheet), then `contents` in the order given; epub-builder's versions of entries
/// named in `contents` are dropped.
///
/// Each entry is deflated on its own into a one-entry archive and copied from there
/// into the package, taken from `cache` when an earlier build compressed the same entry:
/// a clean build and a cached one take the same steps, so they give the same bytes.
pub(crate) fn rezip(
    input: &[u8],
    opf: (&str, &[u8]),
    contents: &[(String, &[u8])],
    timestamp: Option<i64>,
    cache: Option<&EntryCache>,
) -> Result<Vec<u8>, Error> {
    let zerr = |e: zip::result::ZipError| Error::from(EpubError::Zip(e));
    // Written by quire (the mimetype first of all, below): epub-builder's are dropped.
    let ours: std::collections::BTreeSet<&str> = contents
        .iter()
        .map(|(name, _)| name.as_str())
        .chain([opf.0, "mimetype"])
        .chain(DROPPED.iter().copied())
        .collect();
    let mut archive = ZipArchive::new(Cursor::new(input)).map_err(zerr)?;
    let mut container: Option<Vec<u8>> = None;
    let mut theirs: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).map_err(zerr)?;
        let name = f.name().to_string();
        if f.is_dir() || ours.contains(name.as_str()) {
            continue;
        }
        let mut data = Vec::new();
        f.read_to_end(&mut data)
            .map_err(|source| EpubError::Entry {
                name: name.clone(),
                source,
            })?;
        if name == "META-INF/container.xml" {
            container = Some(data);
        } else {
            theirs.push((name, data));
        }
    }
    let container = container.ok_or(EpubError::NoContainer)?;
    let mut out: Vec<(&str, &[u8])> = Vec::with_capacity(theirs.len() + contents.len() + 2);
    out.push(("META-INF/container.xml", &container));
    out.push(opf);
    out.extend(theirs.iter().map(|(n, d)| (n.as_str(), d.as_slice())));
    out.extend(contents.iter().map(|(n, d)| (n.as_str(), *d)));

    let time = zip_time(timestamp);
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(time)
        .unix_permissions(0o644);
    let werr = |e: std::io::Error| Error::from(EpubError::Write(e));
    w.start_file("mimetype", stored).map_err(zerr)?;
    w.write_all(b"application/epub+zip").map_err(werr)?;
    for (name, data) in &out {
        let single = match cache {
            Some(cache) => {
                let key = entry_key(name, time, data);
                match cache.get(key) {
                    Some(single) => single,
                    None => cache.insert(key, deflated_entry(name, time, data)?),
                }
            }
            None => std::sync::Arc::new(deflated_entry(name, time, data)?),
        };
        let mut one = ZipArchive::new(Cursor::new(single.as_slice())).map_err(zerr)?;
        w.raw_copy_file(one.by_index_raw(0).map_err(zerr)?)
            .map_err(zerr)?;
    }
    Ok(w.finish().map_err(zerr)?.into_inner())
}

/// A one-entry archive holding `data` deflated as `name`.
fn deflated_entry(name: &str, time: DateTime, data: &[u8]) -> Result<Vec<u8>, Error> {
    // The generated cover is a PNG, deflated already (issue 14): stored, not deflated
    // a second time for nothing.
    let stored = name.ends_with(super::furniture::GENERATED_COVER_FILE);
    if !stored {
        if let Some(archive) = libdeflate_entry(name, time, data) {
            return Ok(archive);
        }
    }
    let zerr = |e: zip::result::ZipError| Error::from(EpubError::Zip(e));
    let method = if stored {
        CompressionMethod::Stored
    } else {
        CompressionMethod::Deflated
    };
    let options = SimpleFileOptions::default()
        .compression_method(method)
        .last_modified_time(time)
        .unix_permissions(0o644);
    let mut w = ZipWriter::new(Cursor::new(Vec::with_capacity(data.len() / 3 + 200)));
    w.start_file(name, options).map_err(zerr)?;
    w.write_all(data).map_err(EpubError::Write)?;
    Ok(w.finish().map_err(zerr)?.into_inner())
}

/// `data` compressed by [`crate::deflate`] (libdeflate, 2.7 times as fast as the zip
/// crate's zlib level 6 on a chapter, for 2 % more bytes), as a one-entry archive that
/// [`rezip`] copies with the zip crate's `raw_copy_file`: the zip crate compresses only
/// through its own encoder, so the archive around the data is written here, in the
/// layout of the zip format's specification (PKWARE's APPNOTE.TXT 6.3.10): a local
/// file header (§4.3.7), the data, one central directory header (§4.3.12) and the end of
/// central directory record (§4.3.16). `None` (the zip crate then writes the entry)
/// when the entry needs zip64 (§4.3.9: over 4 GiB) or compression fails.
fn libdeflate_entry(name: &str, time: DateTime, data: &[u8]) -> Option<Vec<u8>> {
    let compressed = crate::deflate::raw(data)?;
    let size = u32::try_from(data.len()).ok()?;
    let packed = u32::try_from(compressed.len()).ok()?;
    let name_len = u16::try_from(name.len()).ok()?;
    let crc = crate::deflate::crc32(data);
    // Bit 11: the name is UTF-8 (§4.4.4, appendix D); an ASCII name needs no flag.
    let flags: u16 = if name.is_ascii() { 0 } else { 1 << 11 };
    // Version 2.0: deflate (§4.4.3.2). Made by Unix (3, §4.4.2.2), so the external
    // attributes hold the mode: a regular file, rw-r--r--, as the zip crate's entries.
    let needed: u16 = 20;
    let made_by: u16 = (3 << 8) | 20;
    let mode: u32 = 0o100_644 << 16;
    // The fields from the CRC to the name's length, alike in both headers.
    let common = |out: &mut Vec<u8>| {
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(&8u16.to_le_bytes()); // method 8: deflated
        out.extend_from_slice(&time.timepart().to_le_bytes());
        out.extend_from_slice(&time.datepart().to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&packed.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // no extra field
    };
    let mut out = Vec::with_capacity(compressed.len() + 2 * name.len() + 98);
    out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    out.extend_from_slice(&needed.to_le_bytes());
    common(&mut out);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&compressed);
    let directory = u32::try_from(out.len()).ok()?;
    out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    out.extend_from_slice(&made_by.to_le_bytes());
    out.extend_from_slice(&needed.to_le_bytes());
    common(&mut out);
    out.extend_from_slice(&0u16.to_le_bytes()); // no comment
    out.extend_from_slice(&0u16.to_le_bytes()); // disk 0
    out.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
    out.extend_from_slice(&mode.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // the local header's offset
    out.extend_from_slice(name.as_bytes());
    let directory_len = u32::try_from(out.len()).ok()? - directory;
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // this disk
    out.extend_from_slice(&0u16.to_le_bytes()); // the directory's disk
    out.extend_from_slice(&1u16.to_le_bytes()); // entries on this disk
    out.extend_from_slice(&1u16.to_le_bytes()); // entries
    out.extend_from_slice(&directory_len.to_le_bytes());
    out.extend_from_slice(&directory.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // no comment
    Some(out)
}

/// The cache key of one entry: everything [`deflated_entry`] is made from.
fn entry_key(name: &str, time: DateTime, data: &[u8]) -> crate::memo::Key {
    let mut h = crate::memo::KeyHasher::default();
    h.add(name);
    h.add(&(
        time.year(),
        time.month(),
        time.day(),
        time.hour(),
        time.minute(),
        time.second(),
    ));
    h.add(&data.len());
    h.bytes(data);
    h.key()
}

/// The zip entry time: `SOURCE_DATE_EPOCH` when given (clamped to what DOS dates can
/// hold, 1980..=2107), else 1980-01-01 00:00, the earliest DOS date.
fn zip_time(timestamp: Option<i64>) -> DateTime {
    let Some(ts) = timestamp else {
        return DateTime::default();
    };
    let (y, m, d) = super::package::civil_from_days(ts.div_euclid(86_400));
    let s = ts.rem_euclid(86_400);
    let (y, m, d, hh, mm, ss) = match y {
        ..1980 => return DateTime::default(),
        2108.. => (2107, 12, 31, 23, 59, 58),
        y => (y, m, d, s / 3600, s / 60 % 60, s % 60),
    };
    // DOS times have two-second resolution.
    let ss = ss - ss % 2;
    DateTime::from_date_and_time(y as u16, m as u8, d as u8, hh as u8, mm as u8, ss as u8)
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_made_entry_reads_back_as_the_zip_crate_writes_it() {
        let time = zip_time(Some(1_704_070_923));
        let text = "<p>Une note, deux notes.</p>\n".repeat(300);
        for name in ["OEBPS/chapter.xhtml", "OEBPS/images/café.png"] {
            let ours = libdeflate_entry(name, time, text.as_bytes()).unwrap();
            let mut archive = ZipArchive::new(Cursor::new(ours.as_slice())).unwrap();
            assert_eq!(archive.len(), 1);
            let mut entry = archive.by_index(0).unwrap();
            assert_eq!(entry.name(), name);
            assert_eq!(entry.compression(), CompressionMethod::Deflated);
            assert_eq!(entry.unix_mode(), Some(0o100_644));
            let when = entry.last_modified().unwrap();
            assert_eq!((when.year(), when.hour(), when.second()), (2024, 1, 2));
            assert!(entry.compressed_size() < entry.size() / 5);
            let mut back = String::new();
            entry.read_to_string(&mut back).unwrap();
            assert_eq!(back, text, "the data and its CRC check out");
        }
    }

    #[test]
    fn zip_times() {
        assert_eq!(zip_time(None), DateTime::default());
        assert_eq!(zip_time(Some(0)), DateTime::default(), "before 1980 clamps");
        let t = zip_time(Some(1_704_070_923)); // 2024-01-01T01:02:03Z
        assert_eq!(
            (
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            ),
            (2024, 1, 1, 1, 2, 2)
        );
    }
}
