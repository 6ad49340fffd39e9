//! The `quire` command line: parses arguments, calls the library, prints diagnostics and
//! results, and sets the exit code (0 success, 1 manuscript errors or a failed write,
//! 2 usage errors, as clap does).

use clap::{Args, Parser, Subcommand};
use quire::build::{BuildReport, BuildRequest, Formats};
use quire::diag::{render, Diagnostic};
use quire::source::SourceMap;
use quire::watch::{Changes, Rebuild, WatchEvent};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "quire",
    version,
    about = "Markdown manuscript to EPUB 3 and typeset PDF, in one command"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// What `build` and `watch` share: the manuscript, the output folder and the formats.
#[derive(Args)]
struct BuildArgs {
    /// The manuscript: a folder with book.yaml and chapter files, or one .md file.
    #[arg(default_value = "manuscript")]
    input: PathBuf,
    /// Output folder.
    #[arg(short, long, default_value = "out")]
    output: PathBuf,
    /// Build the EPUB.
    #[arg(long)]
    epub: bool,
    /// Build the PDF.
    #[arg(long)]
    pdf: bool,
    /// Treat warnings as errors.
    #[arg(long)]
    strict: bool,
    /// Also write the PDF's pages imposed as a booklet (`<name>-booklet.pdf`).
    #[arg(long)]
    booklet: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Build the EPUB and the PDF (both unless one is named).
    Build(BuildArgs),
    /// Check the manuscript and print its diagnostics; writes nothing.
    Check {
        /// The manuscript: a folder with book.yaml and chapter files, or one .md file.
        #[arg(default_value = "manuscript")]
        input: PathBuf,
        /// Treat warnings as errors.
        #[arg(long)]
        strict: bool,
    },
    /// Turn a plain-text article (notes flattened to digits) into a manuscript.
    Import {
        /// The text file.
        file: PathBuf,
        /// The manuscript folder to create (must be new or empty); defaults to the file's
        /// name without its extension.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Build once, then rebuild on every save until Ctrl-C.
    Watch(BuildArgs),
    /// Create a small starter manuscript that builds.
    New {
        /// The folder to create (must not exist or be empty).
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build(args) => {
            let request = build_request(args);
            match quire::build::build(&request) {
                Ok(report) => finish_build(&report),
                Err(error) => fail(&error),
            }
        }
        Command::Watch(args) => watch(&build_request(args)),
        Command::Check { input, strict } => match quire::build::check(&input, strict) {
            Ok(checked) => {
                print_diagnostics(&checked.sources, &checked.diagnostics);
                if checked.book.is_some() {
                    eprintln!("{}: no errors", input.display());
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            }
            Err(error) => fail(&error),
        },
        Command::Import { file, output } => import(&file, output),
        Command::New { dir } => match quire::starter::create(&dir) {
            Ok(()) => {
                println!(
                    "created {}; build it with: quire build {}",
                    dir.display(),
                    dir.display()
                );
                ExitCode::SUCCESS
            }
            Err(error) => fail(&error),
        },
    }
}

/// `quire import`: every guess is a warning for the user to check; nothing is written
/// when the file cannot be read as text.
fn import(file: &std::path::Path, output: Option<PathBuf>) -> ExitCode {
    let files = quire::files::Files::disk(quire::files::manuscript_root(file), None);
    let (sources, load_diags) = match quire::files::load_manuscript(file, &files) {
        Ok(loaded) => loaded,
        Err(error) => return fail(&error),
    };
    if quire::diag::has_errors(&load_diags) {
        print_diagnostics(&sources, &load_diags);
        return ExitCode::from(1);
    }
    let Some((id, _)) = sources.files().next() else {
        return ExitCode::from(1);
    };
    let imported = quire::import::import(&sources, id);
    print_diagnostics(&sources, &imported.diagnostics);
    let dir = output.unwrap_or_else(|| file.with_extension(""));
    match quire::import::write(&imported, &dir) {
        Ok(()) => {
            println!(
                "wrote {} ({} files); check the guesses above, then run: quire build {}",
                dir.display(),
                imported.files.len(),
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error),
    }
}

/// Both formats unless one is named.
fn build_request(args: BuildArgs) -> BuildRequest {
    let BuildArgs {
        input,
        output,
        epub,
        pdf,
        strict,
        booklet,
    } = args;
    let formats = if epub || pdf {
        Formats { epub, pdf }
    } else {
        Formats {
            epub: true,
            pdf: true,
        }
    };
    BuildRequest {
        input,
        out_dir: output,
        formats,
        strict,
        timestamp: source_date_epoch(),
        booklet,
    }
}

/// `quire watch`: one line per build on stdout, diagnostics on stderr, until Ctrl-C.
fn watch(request: &BuildRequest) -> ExitCode {
    let stop = Arc::new(AtomicBool::new(false));
    let handler_stop = Arc::clone(&stop);
    if let Err(error) = ctrlc::set_handler(move || handler_stop.store(true, Ordering::SeqCst)) {
        eprintln!("error: cannot catch Ctrl-C: {error}");
        return ExitCode::from(1);
    }
    println!(
        "watching {} (outputs in {}); press Ctrl-C to stop",
        request.input.display(),
        request.out_dir.display()
    );
    let result = quire::watch::watch(request, &stop, |event| match event {
        WatchEvent::Rebuilt(rebuild) => print_rebuild(&rebuild),
        WatchEvent::WatchError(message) => eprintln!("watch error: {message}"),
    });
    match result {
        Ok(()) => {
            println!("stopped watching {}", request.input.display());
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error),
    }
}

/// One line per build, e.g. `rebuilt after 02-chapter.md changed: wrote out/x.epub
/// (28.1 KiB), out/x.pdf (120.4 KiB) in 84 ms`, then any diagnostics.
fn print_rebuild(rebuild: &Rebuild) {
    let cause = match &rebuild.changes {
        None => "first build".to_string(),
        Some(changes) => describe_changes(changes),
    };
    let ms = rebuild.elapsed.as_millis();
    match &rebuild.result {
        Err(error) => {
            println!("{cause}: error: {error}; kept the last good outputs ({ms} ms)");
        }
        Ok(report) if report.failed() => {
            let errors = report.diagnostics.iter().filter(|d| d.is_error()).count();
            let noun = if errors == 1 { "error" } else { "errors" };
            println!("{cause}: {errors} {noun}; kept the last good outputs ({ms} ms)");
            print_diagnostics(&report.sources, &report.diagnostics);
        }
        Ok(report) => {
            let written: Vec<String> = report
                .outputs
                .iter()
                .map(|o| format!("{} ({})", o.path.display(), human_size(o.size)))
                .collect();
            let verb = if rebuild.changes.is_some() {
                format!("rebuilt after {cause}")
            } else {
                "built".to_string()
            };
            println!("{verb}: wrote {} in {ms} ms", written.join(", "));
            print_diagnostics(&report.sources, &report.diagnostics);
            print_fallback_fonts(report);
        }
    }
}

/// `02-a.md changed`, `03-b.md added, 01-c.md removed`; at most three names per kind.
fn describe_changes(changes: &Changes) -> String {
    let mut parts = Vec::new();
    for (paths, what) in [
        (&changes.modified, "changed"),
        (&changes.added, "added"),
        (&changes.removed, "removed"),
    ] {
        if paths.is_empty() {
            continue;
        }
        let mut names: Vec<String> = paths
            .iter()
            .take(3)
            .map(|p| p.display().to_string())
            .collect();
        if paths.len() > 3 {
            names.push(format!("{} more", paths.len() - 3));
        }
        parts.push(format!("{} {what}", names.join(", ")));
    }
    if parts.is_empty() {
        // A rescan after lost events found no difference in the file list.
        "files changed".to_string()
    } else {
        parts.join("; ")
    }
}

/// Prints the diagnostics and one line per output; exit 1 if the manuscript had errors.
fn finish_build(report: &BuildReport) -> ExitCode {
    print_diagnostics(&report.sources, &report.diagnostics);
    if report.failed() {
        let errors = report.diagnostics.iter().filter(|d| d.is_error()).count();
        eprintln!("build failed: {errors} error(s); no output written");
        return ExitCode::from(1);
    }
    print_fallback_fonts(report);
    for output in &report.outputs {
        println!(
            "wrote {} ({}, {:.1} ms)",
            output.path.display(),
            human_size(output.size),
            output.elapsed.as_secs_f64() * 1000.0
        );
    }
    ExitCode::SUCCESS
}

/// The fonts the PDF borrowed for characters the book's fonts lack (nothing when it
/// borrowed none): a note, not a warning, so `--strict` builds are not failed by it.
fn print_fallback_fonts(report: &BuildReport) {
    for line in &report.fallback_fonts {
        eprintln!("note: fallback font: {line}");
    }
}

fn print_diagnostics(sources: &SourceMap, diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        eprint!("{}", render(sources, d));
    }
}

fn fail(error: &quire::Error) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(1)
}

/// SOURCE_DATE_EPOCH (reproducible-builds.org): the one date the outputs may carry
/// besides the manuscript's own.
fn source_date_epoch() -> Option<i64> {
    std::env::var("SOURCE_DATE_EPOCH").ok()?.trim().parse().ok()
}

fn human_size(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}
