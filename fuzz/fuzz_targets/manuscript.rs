//! Arbitrary bytes as a manuscript, through the whole pipeline: parse → EPUB (checked
//! structurally: well-formed XHTML, links resolve, notes link both ways) → typeset → PDF.
//!
//! The bytes are one Markdown file, `book.md`; when they hold `\0\0`, what comes before
//! is `book.yaml` and what comes after is `01-text.md` (a manuscript folder). Invalid
//! UTF-8 goes through `files::add_bytes`, exactly as `files::load_manuscript` reads a file. The
//! manuscript root is a folder that does not exist, so every image is missing.
//!
//! Oracles: no panic, no hang (libFuzzer `-timeout`), no runaway memory
//! (`-rss_limit_mb`); when the parser reports no error, both backends succeed and the
//! EPUB passes the tests' structural checker.
#![no_main]

#[path = "../../tests/common/epub_check.rs"]
mod epub_check;

use libfuzzer_sys::fuzz_target;
use quire::diag::has_errors;
use quire::source::SourceMap;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let mut map = SourceMap::new("/nonexistent-quire-fuzz-root");
    let mut diags = Vec::new();
    match data.windows(2).position(|w| w == b"\0\0") {
        Some(split) => {
            let (yaml, rest) = (&data[..split], &data[split + 2..]);
            quire::files::add_bytes(&mut map, Path::new("book.yaml"), yaml.to_vec(), &mut diags);
            quire::files::add_bytes(&mut map, Path::new("01-text.md"), rest.to_vec(), &mut diags);
        }
        None => {
            quire::files::add_bytes(&mut map, Path::new("book.md"), data.to_vec(), &mut diags);
        }
    }
    let parsed = quire::parse::parse(&map, &quire::files::Files::none(&map.root));
    diags.extend(parsed.diagnostics);
    let Some(book) = parsed.book else { return };
    if has_errors(&diags) {
        // The binary writes nothing then; the backends must still not panic on the model.
        let _ = quire::epub::write(&book, &quire::epub::EpubOptions::default());
        return;
    }
    let bytes = match quire::epub::write(&book, &quire::epub::EpubOptions::default()) {
        Ok(b) => b,
        Err(e) => panic!("EPUB write failed on a manuscript without errors: {e}"),
    };
    if let Err(problems) = epub_check::check_epub(&bytes) {
        panic!("invalid EPUB: {problems:#?}");
    }
    let fonts = quire::fonts::FontSet::embedded();
    let (document, _) = quire::typeset::typeset(&book, &fonts);
    if let Err(e) = quire::pdf::write(&document, &fonts, &book.assets) {
        panic!("PDF write failed on a manuscript without errors: {e}");
    }
});
