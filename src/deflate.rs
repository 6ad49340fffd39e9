//! Deflate compression for both packages: the PDF's streams (zlib-wrapped, ISO 32000-2
//! §7.4.4) and the EPUB's zip entries (raw deflate, method 8 of the zip format).
//!
//! Compression was the largest single cost of a cold build after the layout: zlib
//! (zlib-rs) at level 3 compressed the sample's 270 KB of PDF streams at 85 MB/s, and
//! the EPUB's entries at level 6 ran at 60 MB/s, some 4 ms of CPU of a 20 ms build.
//! libdeflate (Eric Biggers' library, through the `libdeflater` crate) compresses whole
//! buffers, which is all a stream or an entry is. Its level 1 ran at 197 MB/s on the
//! PDF's streams for 106.4 KB, where zlib-rs gave 104.3 KB at level 3 and 138.5 KB at
//! its own level 1 (the same input, best of 15, 2026-12-05); on a chapter's XHTML,
//! 165 MB/s for 2 % more than zlib-rs level 6. Levels 2-4 gain 2 % of size for 50 %
//! more time.
//!
//! libdeflate is deterministic: the same bytes always give the same output.

use std::cell::RefCell;

/// libdeflate's level: its fastest (see the module documentation).
const LEVEL: i32 = 1;

thread_local! {
    /// One compressor per thread: a new one allocates its match finder's tables, which
    /// for a stream per page was a twelfth of a cold build of the sample.
    static COMPRESSOR: RefCell<Option<libdeflater::Compressor>> = const { RefCell::new(None) };
}

/// The two wrappings libdeflate writes.
#[derive(Clone, Copy)]
enum Format {
    /// RFC 1950: a PDF's `/FlateDecode`.
    Zlib,
    /// RFC 1951 with no wrapping: a zip entry's data.
    Raw,
}

/// `bytes` compressed as a zlib stream, or `None` when libdeflate fails (it cannot for
/// an output buffer of its bound).
pub fn zlib(bytes: &[u8]) -> Option<Vec<u8>> {
    compress(bytes, Format::Zlib)
}

/// `bytes` compressed as raw deflate data, or `None` when libdeflate fails.
pub fn raw(bytes: &[u8]) -> Option<Vec<u8>> {
    compress(bytes, Format::Raw)
}

/// The CRC-32 of `bytes` (ISO 3309, as zip records it), by libdeflate.
pub fn crc32(bytes: &[u8]) -> u32 {
    libdeflater::crc32(bytes)
}

fn compress(bytes: &[u8], format: Format) -> Option<Vec<u8>> {
    COMPRESSOR.with(|cell| {
        let mut cell = cell.try_borrow_mut().ok()?;
        let z = match &mut *cell {
            Some(z) => z,
            empty => {
                let level = libdeflater::CompressionLvl::new(LEVEL).ok()?;
                empty.insert(libdeflater::Compressor::new(level))
            }
        };
        let bound = match format {
            Format::Zlib => z.zlib_compress_bound(bytes.len()),
            Format::Raw => z.deflate_compress_bound(bytes.len()),
        };
        let mut out = vec![0; bound];
        let len = match format {
            Format::Zlib => z.zlib_compress(bytes, &mut out),
            Format::Raw => z.deflate_compress(bytes, &mut out),
        }
        .ok()?;
        out.truncate(len);
        // The bound is more than the input; the slack of every page's stream was 6 MiB
        // of the essay ×100's peak.
        out.shrink_to_fit();
        Some(out)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn both_formats_decompress_to_the_input_and_are_deterministic() {
        let text = "Stalinism: the complete negation of socialism. ".repeat(200);
        let z = zlib(text.as_bytes()).unwrap();
        assert!(z.len() < text.len() / 10, "{}", z.len());
        let mut back = String::new();
        flate2::read::ZlibDecoder::new(z.as_slice())
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, text);
        let r = raw(text.as_bytes()).unwrap();
        let mut back = String::new();
        flate2::read::DeflateDecoder::new(r.as_slice())
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, text);
        assert_eq!(zlib(text.as_bytes()).unwrap(), z);
        assert_eq!(raw(text.as_bytes()).unwrap(), r);
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926, "the CRC-32 check value");
        assert!(raw(b"").is_some());
    }
}
