//! Images and the cover: read from the manuscript folder, never from outside it, with the
//! media type taken from the bytes (file extensions lie; EPUB 3.3 §3.2 requires the
//! manifest's media type to match the content).

use crate::model::Asset;
use std::path::{Component, Path, PathBuf};

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
pub(crate) fn media_type(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if data.starts_with(&[0xff, 0xd8, 0xff]) {
        return Some("image/jpeg");
    }
    if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
        return Some("image/gif");
    }
    if data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    let head = &data[..data.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if (text.starts_with('<')) && text.contains("<svg") {
        return Some("image/svg+xml");
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

/// Reads the image `src` (as written in the manuscript) relative to `root`.
pub(crate) fn read(root: &Path, src: &str) -> Result<Asset, AssetProblem> {
    if super::html::url_scheme(src).is_some_and(|s| s.len() > 1) {
        return Err(AssetProblem::Remote);
    }
    let src = percent_decode(src.split(['#', '?']).next().unwrap_or(src));
    let rel = Path::new(&src);
    if rel
        .components()
        .any(|c| matches!(c, Component::RootDir | Component::Prefix(_)))
    {
        return Err(AssetProblem::OutsideRoot);
    }
    let root = root.canonicalize().map_err(|_| AssetProblem::Missing)?;
    let path = root.join(rel);
    let real = match path.canonicalize() {
        Ok(p) => p,
        // A path with `..` that leaves the root is refused even when it does not exist.
        Err(_) if escapes(rel) => return Err(AssetProblem::OutsideRoot),
        Err(_) => return Err(AssetProblem::Missing),
    };
    // Symlinks are resolved by canonicalize, so this catches links that lead out.
    let Ok(inside) = real.strip_prefix(&root) else {
        return Err(AssetProblem::OutsideRoot);
    };
    if !real.is_file() {
        return Err(AssetProblem::Missing);
    }
    let data = std::fs::read(&real).map_err(|_| AssetProblem::Missing)?;
    let media_type = media_type(&data).ok_or(AssetProblem::UnknownType)?;
    let href = inside
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    Ok(Asset {
        path: PathBuf::from(&real),
        href,
        media_type: media_type.to_string(),
        data,
    })
}

/// Whether a relative path climbs above its start with `..`.
fn escapes(rel: &Path) -> bool {
    let mut depth: i32 = 0;
    for c in rel.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_media_types() {
        assert_eq!(media_type(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(media_type(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(media_type(b"GIF89a.."), Some("image/gif"));
        assert_eq!(media_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(
            media_type(b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            Some("image/svg+xml")
        );
        assert_eq!(media_type(b"hello"), None);
    }

    #[test]
    fn refuses_paths_outside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("book");
        std::fs::create_dir_all(root.join("img")).unwrap();
        std::fs::write(dir.path().join("secret.png"), b"\x89PNG\r\n\x1a\nxx").unwrap();
        std::fs::write(root.join("img/a b.png"), b"\x89PNG\r\n\x1a\nxx").unwrap();
        let ok = read(&root, "img/a%20b.png").unwrap();
        assert_eq!(
            (ok.href.as_str(), ok.media_type.as_str()),
            ("img/a b.png", "image/png")
        );
        assert_eq!(read(&root, "../secret.png"), Err(AssetProblem::OutsideRoot));
        assert_eq!(
            read(&root, "img/../../secret.png"),
            Err(AssetProblem::OutsideRoot)
        );
        assert_eq!(
            read(&root, "../nothing.png"),
            Err(AssetProblem::OutsideRoot)
        );
        let abs = dir.path().join("secret.png");
        assert_eq!(
            read(&root, abs.to_str().unwrap()),
            Err(AssetProblem::OutsideRoot)
        );
        assert_eq!(read(&root, "img/none.png"), Err(AssetProblem::Missing));
        assert_eq!(
            read(&root, "https://x.org/a.png"),
            Err(AssetProblem::Remote)
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.png"), root.join("link.png"))
                .unwrap();
            assert_eq!(read(&root, "link.png"), Err(AssetProblem::OutsideRoot));
        }
        std::fs::write(root.join("x.png"), b"not an image").unwrap();
        assert_eq!(read(&root, "x.png"), Err(AssetProblem::UnknownType));
    }
}
