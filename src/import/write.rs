//! File names for the imported manuscript, and writing it to a folder.

use crate::Error;
use std::io;
use std::path::Path;

/// A file-name slug: lowercase ASCII letters and digits, words joined by `-`, at most
/// 40 characters; `section` when nothing is left.
pub(crate) fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        let c = fold_accent(c).to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out = out.trim_end_matches('-').to_string();
    if out.len() > 40 {
        let cut = out[..40].rfind('-').unwrap_or(40);
        out.truncate(cut);
    }
    if out.is_empty() {
        "section".to_string()
    } else {
        out
    }
}

/// The base letter of common Latin letters with accents, so `Économie` gives `economie`.
fn fold_accent(c: char) -> char {
    const FROM: &str = "àáâãäåçèéêëìíîïñòóôõöùúûüýÿÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝ";
    const TO: &str = "aaaaaaceeeeiiiinooooouuuuyyAAAAAACEEEEIIIINOOOOOUUUUY";
    FROM.chars()
        .position(|f| f == c)
        .and_then(|i| TO.chars().nth(i))
        .unwrap_or(c)
}

/// Writes `files` (name, content) into `dir`, creating it. Refuses to write into a
/// folder that already holds anything, so an import never overwrites a manuscript.
pub(crate) fn write_files(files: &[(String, String)], dir: &Path) -> Result<(), Error> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        if entries.next().is_some() {
            return Err(Error::io(
                dir,
                io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "the folder is not empty; quire import writes only into a new or empty folder",
                ),
            ));
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    for (name, content) in files {
        // Names are made by the import (slugs), never taken from the text as they are;
        // this guards against a future change letting a path through.
        if name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(Error::io(
                dir.join(name),
                io::Error::new(io::ErrorKind::InvalidInput, "not a plain file name"),
            ));
        }
        let path = dir.join(name);
        // Atomic: a killed import leaves whole chapter files, never a truncated one.
        crate::output::write_atomic(&path, content.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_short_ascii() {
        assert_eq!(
            slug("The Collectivization of Agriculture"),
            "the-collectivization-of-agriculture"
        );
        assert_eq!(slug("Économie & société!"), "economie-societe");
        assert_eq!(slug("“—”"), "section");
        assert!(slug(&"word ".repeat(20)).len() <= 40);
    }

    #[test]
    fn refuses_a_non_empty_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("keep.md"), "mine").unwrap();
        let err =
            write_files(&[("book.yaml".into(), "title: x\n".into())], dir.path()).unwrap_err();
        assert!(err.to_string().contains("not empty"));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("keep.md")).unwrap(),
            "mine"
        );
        assert!(!dir.path().join("book.yaml").exists());
    }

    #[test]
    fn writes_into_a_new_folder() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("book");
        write_files(&[("book.yaml".into(), "title: x\n".into())], &out).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("book.yaml")).unwrap(),
            "title: x\n"
        );
    }
}
