//! Wall time of each build stage on one manuscript, for finding where time goes:
//! `cargo run --release --example phases -- path/to/manuscript`.
//! (Whole-process figures: benches/bench.sh.)

use std::time::Instant;

/// Peak resident memory so far, from /proc (Linux), in MiB.
fn peak() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
            let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("peak {:.0} MiB", kb / 1024.0))
        })
        .unwrap_or_default()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let input = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "manuscript".into());
    let t = Instant::now();
    let input = std::path::Path::new(&input);
    let files = quire::files::Files::disk(quire::files::manuscript_root(input), None);
    let (sources, _) = quire::files::load_manuscript(input, &files)?;
    eprintln!(
        "load      {:8.1} ms {}",
        t.elapsed().as_secs_f64() * 1e3,
        peak()
    );
    let t = Instant::now();
    let parsed = quire::parse::parse(&sources, &files);
    eprintln!(
        "parse     {:8.1} ms {}",
        t.elapsed().as_secs_f64() * 1e3,
        peak()
    );
    let book = parsed.book.ok_or("manuscript has errors")?;
    let t = Instant::now();
    let fonts = quire::fonts::FontSet::load(&book.meta.pdf.fonts, &files)?;
    let (doc, _) = quire::typeset::typeset(&book, &fonts);
    eprintln!(
        "typeset   {:8.1} ms ({} pages) {}",
        t.elapsed().as_secs_f64() * 1e3,
        doc.pages.len(),
        peak()
    );
    let t = Instant::now();
    let epub = quire::epub::write(
        &book,
        &quire::epub::EpubOptions {
            timestamp: None,
            cover: None,
            // The EPUB marks the PDF's pages (issue 17): it comes after the typesetting.
            pages: Some(doc.page_map.clone()),
        },
    )?;
    eprintln!(
        "epub      {:8.1} ms ({} bytes) {}",
        t.elapsed().as_secs_f64() * 1e3,
        epub.len(),
        peak()
    );
    let t = Instant::now();
    let pdf = quire::pdf::write(&doc, &fonts, &book.assets)?;
    eprintln!(
        "pdf       {:8.1} ms ({} bytes) {}",
        t.elapsed().as_secs_f64() * 1e3,
        pdf.len(),
        peak()
    );
    Ok(())
}
