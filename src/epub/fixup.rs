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
    let zerr = |e: zip::result::ZipError| Error::from(EpubError::Zip(e));
    // The generated cover is a PNG, deflated already (issue 14): stored, not deflated
    // a second time for nothing.
    let method = if name.ends_with(super::furniture::GENERATED_COVER_FILE) {
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
