//! Post-processing of the zip epub-builder produced: swap in quire's package documents,
//! drop what quire does not want, and re-zip deterministically.
//!
//! The OCF rules (EPUB 3.3 §4.2.2, "OCF ZIP container"): `mimetype` is the first entry,
//! stored (not compressed), with no extra field, and holds exactly
//! `application/epub+zip`. Everything else is deflated. Every entry gets the same fixed
//! time, so two builds of one book are byte-identical.

use crate::Error;
use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

/// Entries epub-builder writes that quire drops. Apple's display-options file sets
/// `specified-fonts=true`, which tells Apple Books to prefer the book's fonts over the
/// reader's choice; quire embeds none and wants the reader's settings to win.
const DROPPED: &[&str] = &["META-INF/com.apple.ibooks.display-options.xml"];

/// Rewrites `input`: entries named in `replace` get new contents (entries not yet present
/// are added after the OPF); the order is mimetype, container.xml, the OPF, then the rest
/// as epub-builder wrote them (that order follows quire's calls, so it is stable).
pub(crate) fn rezip(
    input: &[u8],
    opf_path: &str,
    replace: &BTreeMap<String, Vec<u8>>,
    timestamp: Option<i64>,
) -> Result<Vec<u8>, Error> {
    let zerr = |e: zip::result::ZipError| Error::Epub(format!("zip: {e}"));
    let mut archive = ZipArchive::new(Cursor::new(input)).map_err(zerr)?;
    let mut entries: Vec<(String, Vec<u8>)> = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).map_err(zerr)?;
        if f.is_dir() {
            continue;
        }
        let name = f.name().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data)
            .map_err(|e| Error::Epub(format!("zip entry {name}: {e}")))?;
        entries.push((name, data));
    }

    let rank = |name: &str| match name {
        "mimetype" => 0,
        "META-INF/container.xml" => 1,
        n if n == opf_path => 2,
        _ => 3,
    };
    let mut out: Vec<(String, Vec<u8>)> = entries
        .into_iter()
        .filter(|(n, _)| !DROPPED.contains(&n.as_str()) && n != "mimetype")
        .map(|(n, d)| match replace.get(&n) {
            Some(new) => (n, new.clone()),
            None => (n, d),
        })
        .collect();
    for (name, data) in replace {
        if !out.iter().any(|(n, _)| n == name) {
            out.push((name.clone(), data.clone()));
        }
    }
    // A stable sort: the three fixed entries first, the rest in their original order.
    out.sort_by_key(|(n, _)| rank(n));

    let time = zip_time(timestamp);
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(time)
        .unix_permissions(0o644);
    let deflated = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(time)
        .unix_permissions(0o644);
    let werr = |e: std::io::Error| Error::Epub(format!("zip write: {e}"));
    w.start_file("mimetype", stored).map_err(zerr)?;
    w.write_all(b"application/epub+zip").map_err(werr)?;
    for (name, data) in &out {
        w.start_file(name.as_str(), deflated).map_err(zerr)?;
        w.write_all(data).map_err(werr)?;
    }
    Ok(w.finish().map_err(zerr)?.into_inner())
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
