//! Images and the cover: read through the file layer from the manuscript folder, never
//! from outside it, with the media type taken from the bytes (file extensions lie; EPUB 3.3 §3.2 requires the
//! manifest's media type to match the content).

use crate::files::{Files, ReadProblem};
use crate::model::{Asset, ImageKind};
use std::path::Path;

/// Why an image could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AssetProblem {
    /// No such file.
    Missing,
    /// The path leaves the manuscript folder (absolute, `..`, or a symlink out).
    OutsideRoot,
    /// A URL, not a file.
    Remote,
    /// Not a PNG, JPEG, GIF, SVG or WebP image.
    UnknownType,
}

impl AssetProblem {
    /// A phrase for messages.
    pub(crate) fn describe(&self, src: &str) -> String {
        match self {
            AssetProblem::Missing => format!("image `{src}` is not found"),
            AssetProblem::OutsideRoot => {
                format!("image `{src}` is outside the manuscript folder and is not used")
            }
            AssetProblem::Remote => {
                format!("image `{src}` is a URL; only local images can be packaged")
            }
            AssetProblem::UnknownType => {
                format!("`{src}` is not a PNG, JPEG, GIF, SVG or WebP image")
            }
        }
    }
}

/// Sniffs an image's media type from its first bytes (magic numbers: PNG spec §5.2,
/// JFIF SOI marker, GIF87a/89a, RIFF…WEBP; SVG as XML text with an `<svg` element).
pub(crate) fn image_kind(data: &[u8]) -> Option<ImageKind> {
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(ImageKind::Png);
    }
    if data.starts_with(&[0xff, 0xd8, 0xff]) {
        return Some(ImageKind::Jpeg);
    }
    if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        return Some(ImageKind::Gif);
    }
    if data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        return Some(ImageKind::Webp);
    }
    let head = &data[..data.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if (text.starts_with('<')) && text.contains("<svg") {
        return Some(ImageKind::Svg);
    }
    None
}

/// `%20` and friends decoded (a Markdown destination is a URL).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() && s.is_char_boundary(i + 1) && s.is_char_boundary(i + 3)
        {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// Reads the image `src` (as written in the manuscript) from the manuscript folder through
/// the file layer, which refuses paths that leave it.
pub(crate) fn read(files: &Files<'_>, src: &str) -> Result<Asset, AssetProblem> {
    if super::urls::url_scheme(src).is_some_and(|s| s.len() > 1) {
        return Err(AssetProblem::Remote);
    }
    let src = percent_decode(src.split(['#', '?']).next().unwrap_or(src));
    let file = files.read_in_root(Path::new(&src)).map_err(|p| match p {
        ReadProblem::Missing => AssetProblem::Missing,
        ReadProblem::OutsideRoot => AssetProblem::OutsideRoot,
    })?;
    let kind = image_kind(&file.bytes).ok_or(AssetProblem::UnknownType)?;
    Ok(Asset {
        path: file.path,
        href: file.href,
        kind,
        data: file.bytes.to_vec(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_image_kinds() {
        assert_eq!(image_kind(b"\x89PNG\r\n\x1a\n...."), Some(ImageKind::Png));
        assert_eq!(image_kind(&[0xff, 0xd8, 0xff, 0xe0]), Some(ImageKind::Jpeg));
        assert_eq!(image_kind(b"GIF89a.."), Some(ImageKind::Gif));
        assert_eq!(image_kind(b"RIFF\0\0\0\0WEBPVP8 "), Some(ImageKind::Webp));
        assert_eq!(
            image_kind(b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            Some(ImageKind::Svg)
        );
        assert_eq!(image_kind(b"hello"), None);
    }

    #[test]
    fn images_are_read_through_the_file_layer_and_sniffed() {
        let files = Files::in_memory(
            "/book",
            [
                (
                    std::path::PathBuf::from("img/a b.png"),
                    b"\x89PNG\r\n\x1a\nxx".to_vec(),
                ),
                (std::path::PathBuf::from("x.png"), b"not an image".to_vec()),
            ],
        );
        let ok = read(&files, "img/a%20b.png").unwrap();
        assert_eq!((ok.href.as_str(), ok.kind), ("img/a b.png", ImageKind::Png));
        assert_eq!(
            read(&files, "../secret.png"),
            Err(AssetProblem::OutsideRoot)
        );
        assert_eq!(read(&files, "/etc/passwd"), Err(AssetProblem::OutsideRoot));
        assert_eq!(read(&files, "img/none.png"), Err(AssetProblem::Missing));
        assert_eq!(
            read(&files, "https://x.org/a.png"),
            Err(AssetProblem::Remote)
        );
        assert_eq!(read(&files, "x.png"), Err(AssetProblem::UnknownType));
    }
}
