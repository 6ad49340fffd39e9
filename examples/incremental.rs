//! Time of a cold build and of an incremental rebuild after a one-word edit, as
//! `quire watch` does it: `cargo run --release --example incremental -- DIR`.
//! DIR is modified (one word in its middle chapter file) and restored at the end.
//! `QUIRE_REPEAT=N` adds N more one-word rebuilds at the end (for `perf record`).

use quire::build::BuildCache;
use quire::build::{build_cached, BuildRequest, Formats};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let input = std::path::PathBuf::from(std::env::args().nth(1).ok_or("usage: incremental DIR")?);
    let out = std::env::temp_dir().join(format!("quire-incremental-{}", std::process::id()));
    let request = BuildRequest {
        input: input.clone(),
        out_dir: out.clone(),
        formats: Formats {
            epub: true,
            pdf: true,
        },
        strict: false,
        timestamp: None,
        booklet: false,
    };
    let mut files: Vec<_> = std::fs::read_dir(&input)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    let middle = files
        .get(files.len() / 2)
        .ok_or("no chapter files")?
        .clone();
    let original = std::fs::read_to_string(&middle)?;
    // The first word of six letters or more that is not in a heading or markup.
    let word = original
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(|l| l.split(' '))
        .find(|w| w.len() >= 6 && w.chars().all(|c| c.is_ascii_lowercase()))
        .ok_or("no word to edit")?
        .to_string();

    let cache = BuildCache::new();
    let t = Instant::now();
    let report = build_cached(&request, &cache)?;
    let cold = t.elapsed();
    eprintln!(
        "cold build         {:8.1} ms  {:?}",
        cold.as_secs_f64() * 1e3,
        report.cache
    );

    // The word reversed: same letters (so the same glyphs and font subsets), other text.
    let edited: String = word.chars().rev().collect();
    std::fs::write(&middle, original.replacen(&word, &edited, 1))?;
    let t = Instant::now();
    let report = build_cached(&request, &cache);
    let warm = t.elapsed();
    std::fs::write(&middle, &original)?;
    let report = report?;
    eprintln!(
        "one-word rebuild   {:8.1} ms  {:?}  ({} in {})",
        warm.as_secs_f64() * 1e3,
        report.cache,
        word,
        middle.display()
    );
    for o in &report.outputs {
        eprintln!(
            "  {:?} {} bytes, {:.1} ms",
            o.format,
            o.size,
            o.elapsed.as_secs_f64() * 1e3
        );
    }
    // Where the rebuild's time goes: the same stages once more, one at a time, with the
    // cache (the edit is undone, so this is a rebuild after a one-word edit too).
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let files = quire::files::Files::disk(&input, Some(&cache.files));
    let (sources, _) = quire::files::load_manuscript(&input, &files)?;
    let loaded = ms(t);
    let book = quire::parse::parse_cached(&sources, &files, Some(&cache.parses))
        .book
        .ok_or("manuscript has errors")?;
    eprintln!("  stages: load+parse {:.1} ms (load {loaded:.1} ms)", ms(t));
    let t = Instant::now();
    let fonts = quire::fonts::FontSet::load(&book.meta.pdf.fonts, &files)?;
    let (doc, _) = quire::typeset::typeset_cached(&book, &fonts, &cache.typeset);
    eprintln!("  stages: typeset (cached) {:.1} ms", ms(t));
    // The EPUB marks the PDF's pages (issue 17): it comes after the typesetting.
    let t = Instant::now();
    quire::epub::write_cached(
        &book,
        &quire::epub::EpubOptions {
            timestamp: None,
            cover: None,
            pages: Some(doc.page_map.clone()),
        },
        Some(&cache.epub),
    )?;
    eprintln!("  stages: epub {:.1} ms", ms(t));
    let t = Instant::now();
    quire::pdf::write_cached(&doc, &fonts, &book.assets, Some(&cache.pdf))?;
    eprintln!(
        "  stages: pdf (cached) {:.1} ms  {:?}",
        ms(t),
        cache.finish()
    );
    drop(doc);
    let repeat: usize = std::env::var("QUIRE_REPEAT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    for i in 0..repeat {
        let text = if i % 2 == 0 {
            original.replacen(&word, &edited, 1)
        } else {
            original.clone()
        };
        std::fs::write(&middle, text)?;
        let t = Instant::now();
        let result = build_cached(&request, &cache);
        eprintln!("  repeat {i}: {:.1} ms", ms(t));
        std::fs::write(&middle, &original)?;
        result?;
    }
    let _ = std::fs::remove_dir_all(&out);
    Ok(())
}
