//! `quire new`: a small starter manuscript that builds and shows the format.

use crate::error::Error;
use std::fs;
use std::path::Path;

/// The starter's files: metadata, and two chapters showing headings, emphasis, a note,
/// a list and a quotation.
const FILES: [(&str, &str); 3] = [
    (
        "book.yaml",
        "# Book metadata (pandoc-compatible keys). See the quire README for every key.\n\
title: My Book\n\
author: Your Name\n\
lang: en-US\n\
date: 2026-01-01\n\
description: A short description of the book, in one line.\n\
# notes: chapter      # restart note numbers in every chapter (default: book)\n\
# pdf:\n\
#   paper: a5         # a4, letter, a5, half-letter, 6x9in, or e.g. 140mm x 216mm\n\
#   chapters: new-page\n\
#   booklet: true     # also write the pages imposed two-up for a folded booklet\n\
#   preset: booklet   # or handout: defaults for a booklet or a handout\n",
    ),
    (
        "01-beginning.md",
        "# The Beginning\n\n\
Every level-1 heading starts a chapter. Chapter files are read in file-name order.\n\n\
Write *emphasis*, **strong** text and notes like this one.[^first] Quotes and dashes\n\
are made typographic for you: \"quoted\" -- and so on...\n\n\
## A section\n\n\
- a list item\n\
- another one\n\n\
> A quotation, set apart from the text.\n\n\
[^first]: A note. It pops up on e-readers and links back to where it was called.\n",
    ),
    (
        "02-ending.md",
        "# The Ending\n\n\
The last chapter. Run `quire build` to make the EPUB and the PDF.\n",
    ),
];

/// Creates the starter manuscript in `dir`, which must not exist or be empty (nothing is
/// ever overwritten).
pub fn create(dir: &Path) -> Result<(), Error> {
    if dir.exists() {
        let mut entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        if entries.next().is_some() {
            return Err(Error::io(
                dir,
                std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "folder is not empty; nothing written",
                ),
            ));
        }
    }
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    for (name, text) in FILES {
        let path = dir.join(name);
        // Atomic: a killed `quire new` leaves whole files, never a truncated one.
        crate::output::write_atomic(&path, text.as_bytes())?;
    }
    Ok(())
}
