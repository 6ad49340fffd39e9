//! The EPUB backend on a hand-built book: structure, notes, determinism, snapshots.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/epub_check.rs"]
mod epub_check;
#[path = "common/epub_sample.rs"]
mod epub_sample;

use epub_sample::{sample_book, sample_book_per_chapter_notes};
use quire::epub::{write, EpubOptions};
use std::io::{Cursor, Read, Write};

fn file(epub: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(epub)).unwrap();
    let mut f = zip
        .by_name(name)
        .unwrap_or_else(|_| panic!("{name} not in the EPUB"));
    let mut s = String::new();
    f.read_to_string(&mut s).unwrap();
    s
}

fn names(epub: &[u8]) -> Vec<String> {
    let zip = zip::ZipArchive::new(Cursor::new(epub)).unwrap();
    zip.file_names().map(String::from).collect()
}

/// With `QUIRE_EPUB_OUT=PATH` set, the tests that check the sample books also write them
/// out, to run an external validator (EPUBCheck, Ace) on by hand: PATH with its extension
/// replaced by `extension` (`sample.epub`, `sample.per-chapter.epub`,
/// `sample.minimal.epub` for `QUIRE_EPUB_OUT=target/sample.epub cargo test --test
/// epub_write`). Optional: every test asserts on its own without it.
fn keep_for_validators(bytes: &[u8], extension: &str) {
    if let Some(out) = std::env::var_os("QUIRE_EPUB_OUT") {
        let path = std::path::PathBuf::from(out).with_extension(extension);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

#[test]
fn sample_book_passes_the_structural_check() {
    let bytes = write(&sample_book(), &EpubOptions::default()).unwrap();
    keep_for_validators(&bytes, "epub");
    let s = epub_check::check_epub(&bytes).unwrap_or_else(|e| panic!("{e:#?}"));
    // 5 references: note 1 twice, notes 2, 3, 4 once each; all 4 notes have backlinks.
    assert_eq!(s.noterefs, 5);
    assert_eq!(s.notes, 4);
    assert_eq!(s.notes_with_backlinks, 4);
    // cover, title page, copyright page (the book has an identifier: issue 14), nav,
    // 3 chapters, notes; the nav is not in the spine: the book has no contents page
    // (two of its chapters are titled), so no `toc` landmark needs it there.
    assert_eq!(s.xhtml_documents, 8);
    assert_eq!(s.spine_items, 7);
    assert_eq!(s.opf_path, "OEBPS/content.opf");
}

#[test]
fn per_chapter_notes_are_grouped_under_chapter_titles() {
    let bytes = write(&sample_book_per_chapter_notes(), &EpubOptions::default()).unwrap();
    keep_for_validators(&bytes, "per-chapter.epub");
    epub_check::check_epub(&bytes).unwrap_or_else(|e| panic!("{e:#?}"));
    let notes = file(&bytes, "OEBPS/notes.xhtml");
    let h2: Vec<&str> = notes.lines().filter(|l| l.starts_with("<h2>")).collect();
    // The untitled opening is labelled with the book title; "<" and "&" escaped.
    assert_eq!(
        h2,
        [
            "<h2>The Mill &amp; the &lt;River&gt;</h2>",
            "<h2>Fish &amp; &lt;Chips&gt;</h2>",
            "<h2>The Second Chapter</h2>"
        ]
    );
    // Shown numbers restart, anchors stay unique.
    assert!(notes.contains(
        "<a class=\"backlink\" href=\"second.xhtml#ref-4\" role=\"doc-backlink\">2.</a>"
    ));
    let ch = file(&bytes, "OEBPS/second.xhtml");
    assert!(ch.contains("id=\"ref-3\" href=\"notes.xhtml#note-3\">1</a>"));
}

#[test]
fn same_book_same_bytes() {
    let a = write(&sample_book(), &EpubOptions::default()).unwrap();
    let b = write(&sample_book(), &EpubOptions::default()).unwrap();
    assert!(a == b, "two builds differ");
    let c = write(
        &sample_book(),
        &EpubOptions {
            timestamp: Some(1_700_000_000),
            ..Default::default()
        },
    )
    .unwrap();
    let d = write(
        &sample_book(),
        &EpubOptions {
            timestamp: Some(1_700_000_000),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(c == d, "two builds with a timestamp differ");
    assert!(a != c, "the timestamp must show");
    assert!(file(&c, "OEBPS/content.opf")
        .contains("<meta property=\"dcterms:modified\">2023-11-14T22:13:20Z</meta>"));
    // Without a timestamp, the book's date.
    assert!(file(&a, "OEBPS/content.opf")
        .contains("<meta property=\"dcterms:modified\">2024-03-01T00:00:00Z</meta>"));
}

#[test]
fn package_layout() {
    let bytes = write(&sample_book(), &EpubOptions::default()).unwrap();
    let n = names(&bytes);
    assert_eq!(n[0], "mimetype");
    assert_eq!(n[1], "META-INF/container.xml");
    assert_eq!(n[2], "OEBPS/content.opf");
    assert!(!n.iter().any(|f| f.contains("com.apple.ibooks")), "{n:?}");
    // Images are named by position and sanitised name, with the media type's extension.
    for f in [
        "OEBPS/images/1-cover.png",
        "OEBPS/images/2-red-square.png",
        "OEBPS/images/3-circle.svg",
    ] {
        assert!(n.contains(&f.to_string()), "{f} missing from {n:?}");
    }
    let fig = {
        let mut zip = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
        let mut v = Vec::new();
        zip.by_name("OEBPS/images/2-red-square.png")
            .unwrap()
            .read_to_end(&mut v)
            .unwrap();
        v
    };
    assert_eq!(fig, epub_sample::FIGURE_PNG);
}

#[test]
fn without_cover_or_notes_there_is_no_cover_page_or_notes_document() {
    let mut book = sample_book();
    book.meta.cover = None;
    book.notes.clear();
    for ch in &mut book.chapters {
        strip_noterefs(&mut ch.blocks);
    }
    let bytes = write(&book, &EpubOptions::default()).unwrap();
    let s = epub_check::check_epub(&bytes).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(s.noterefs, 0);
    let n = names(&bytes);
    assert!(
        !n.iter()
            .any(|f| f.ends_with("notes.xhtml") || f.ends_with("cover.xhtml")),
        "{n:?}"
    );
    let opf = file(&bytes, "OEBPS/content.opf");
    assert!(!opf.contains("cover-image"));
    let nav = file(&bytes, "OEBPS/nav.xhtml");
    assert!(
        nav.contains("epub:type=\"titlepage\""),
        "landmarks never empty"
    );
    // The cover asset is still shipped (it is a book asset) but as a plain image.
    assert!(opf.contains("id=\"img-1\" href=\"images/1-cover.png\""));
}

fn strip_noterefs(blocks: &mut [quire::model::Block]) {
    use quire::model::{Block, Inline};
    for b in blocks {
        match b {
            Block::Paragraph { content, .. } | Block::Heading { content, .. } => {
                content.retain(|i| !matches!(i, Inline::NoteRef { .. }))
            }
            _ => {}
        }
    }
}

#[test]
fn identifier_forms() {
    use quire::model::Identifier;
    let mut book = sample_book();
    book.meta.identifier = Some(Identifier::Isbn("9780306406157".into()));
    let opf = file(
        &write(&book, &EpubOptions::default()).unwrap(),
        "OEBPS/content.opf",
    );
    assert!(opf.contains("<dc:identifier id=\"pub-id\">urn:isbn:9780306406157</dc:identifier>"));
    book.meta.identifier = Some(Identifier::Uuid(
        "0b6b8d7e-1f1e-4f38-9d0e-3c3a0a1f2b4c".into(),
    ));
    let bytes = write(&book, &EpubOptions::default()).unwrap();
    assert!(file(&bytes, "OEBPS/content.opf")
        .contains(">urn:uuid:0b6b8d7e-1f1e-4f38-9d0e-3c3a0a1f2b4c</dc:identifier>"));
    assert!(file(&bytes, "OEBPS/toc.ncx")
        .contains("content=\"urn:uuid:0b6b8d7e-1f1e-4f38-9d0e-3c3a0a1f2b4c\""));
}

#[test]
fn snapshot_content_opf() {
    let bytes = write(&sample_book(), &EpubOptions::default()).unwrap();
    insta::assert_snapshot!("content_opf", file(&bytes, "OEBPS/content.opf"));
}

#[test]
fn snapshot_nav_and_ncx() {
    let bytes = write(&sample_book(), &EpubOptions::default()).unwrap();
    insta::assert_snapshot!("nav_xhtml", file(&bytes, "OEBPS/nav.xhtml"));
    insta::assert_snapshot!("toc_ncx", file(&bytes, "OEBPS/toc.ncx"));
}

#[test]
fn snapshot_chapter_and_notes() {
    let bytes = write(&sample_book(), &EpubOptions::default()).unwrap();
    insta::assert_snapshot!("chapter_fish_chips", file(&bytes, "OEBPS/fish-chips.xhtml"));
    insta::assert_snapshot!("notes_xhtml", file(&bytes, "OEBPS/notes.xhtml"));
    insta::assert_snapshot!("titlepage_xhtml", file(&bytes, "OEBPS/titlepage.xhtml"));
}

// --- The checker itself must be able to fail. ---

/// Rebuilds `epub` with `edit` applied to each (name, data); `mimetype` stored unless
/// `compress_mimetype`.
fn rebuild(
    epub: &[u8],
    compress_mimetype: bool,
    edit: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>,
) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipArchive::new(Cursor::new(epub)).unwrap();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        let Some(data) = edit(&name, data) else {
            continue;
        };
        let method = if name == "mimetype" && !compress_mimetype {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        w.start_file(
            name,
            SimpleFileOptions::default().compression_method(method),
        )
        .unwrap();
        w.write_all(&data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn errors_of(bytes: &[u8]) -> String {
    match epub_check::check_epub(bytes) {
        Ok(s) => panic!("the checker passed a broken EPUB: {s:?}"),
        Err(e) => e.join("\n"),
    }
}

#[test]
fn checker_catches_broken_packages() {
    let good = write(&sample_book(), &EpubOptions::default()).unwrap();
    let replace = |target: &'static str, from: &'static str, to: &'static str| {
        rebuild(&good, false, move |name, data| {
            Some(if name == target {
                String::from_utf8(data)
                    .unwrap()
                    .replacen(from, to, 1)
                    .into_bytes()
            } else {
                data
            })
        })
    };
    // An untouched rebuild still passes (so the failures below are the edits').
    epub_check::check_epub(&rebuild(&good, false, |_, d| Some(d))).unwrap();

    assert!(errors_of(&rebuild(&good, true, |_, d| Some(d))).contains("mimetype is compressed"));
    assert!(errors_of(&rebuild(&good, false, |n, d| (n
        != "OEBPS/images/2-red-square.png")
        .then_some(d)))
    .contains("not in the zip"));
    assert!(errors_of(&replace(
        "OEBPS/second.xhtml",
        "href=\"fish-chips.xhtml#rivers\"",
        "href=\"fish-chips.xhtml#nowhere\""
    ))
    .contains("no id \"nowhere\""));
    assert!(errors_of(&replace("OEBPS/second.xhtml", "</p>", "</div>")).contains("not well-formed"));
    assert!(
        errors_of(&replace("OEBPS/second.xhtml", " role=\"doc-noteref\"", ""))
            .contains("lacks epub:type")
    );
    assert!(errors_of(&replace(
        "OEBPS/notes.xhtml",
        "href=\"second.xhtml#ref-3\"",
        "href=\"second.xhtml\""
    ))
    .contains("no backlink to OEBPS/second.xhtml#ref-3"));
    assert!(errors_of(&replace("OEBPS/nav.xhtml", " lang=\"en\"", "")).contains("root lang"));
    assert!(errors_of(&replace(
        "OEBPS/content.opf",
        "href=\"stylesheet.css\"",
        "href=\"missing.css\""
    ))
    .contains("stylesheet.css is in the zip but not in the manifest"));
}

fn minimal_book() -> quire::model::Book {
    quire::model::Book {
        meta: quire::model::Metadata {
            title: "Only a Title".into(),
            ..Default::default()
        },
        chapters: vec![],
        notes: vec![],
        assets: vec![],
    }
}

#[test]
fn a_book_with_nothing_but_a_title_is_still_valid() {
    let bytes = write(&minimal_book(), &EpubOptions::default()).unwrap();
    keep_for_validators(&bytes, "minimal.epub");
    let s = epub_check::check_epub(&bytes).unwrap_or_else(|e| panic!("{e:#?}"));
    // Only the title page: without chapters there is no contents page, and the nav
    // stays out of the spine.
    assert_eq!(s.spine_items, 1, "only the title page");
    let opf = file(&bytes, "OEBPS/content.opf");
    // No language in the model: English, never an empty dc:language.
    assert!(opf.contains("<dc:language>en</dc:language>"));
    assert!(opf.contains("xml:lang=\"en\""));
    assert!(!opf.contains("<dc:creator"));
    assert!(opf.contains("<meta property=\"dcterms:modified\">2000-01-01T00:00:00Z</meta>"));
    let nav = file(&bytes, "OEBPS/nav.xhtml");
    assert!(
        nav.contains("<li><a href=\"titlepage.xhtml\">Only a Title</a></li>"),
        "{nav}"
    );
}

#[test]
fn inconsistent_indices_do_not_break_the_package() {
    use quire::model::{AssetId, Block, Inline, NoteId};
    let mut book = sample_book();
    book.meta.cover = Some(AssetId(99));
    book.chapters[0].blocks.push(Block::Paragraph {
        content: vec![
            Inline::Image {
                asset: AssetId(42),
                alt: "lost picture".into(),
            },
            Inline::NoteRef {
                note: NoteId(77),
                occurrence: 0,
            },
            Inline::Link {
                target: quire::model::LinkTarget::Internal("no-such-id".into()),
                content: vec![Inline::Text("dangling".into())],
            },
        ],
        span: Default::default(),
    });
    let bytes = write(&book, &EpubOptions::default()).unwrap();
    epub_check::check_epub(&bytes).unwrap_or_else(|e| panic!("{e:#?}"));
    let opening = file(&bytes, "OEBPS/opening.xhtml");
    assert!(opening.contains("<p>lost picturedangling</p>"), "{opening}");
    assert!(!file(&bytes, "OEBPS/content.opf").contains("cover-image"));
}

#[test]
fn headings_never_skip_a_level_and_follow_the_language() {
    use quire::model::{Block, Inline};
    let mut book = sample_book();
    book.meta.lang = "fr-FR".into();
    book.chapters[2].blocks.insert(
        0,
        Block::Heading {
            level: 4,
            content: vec![Inline::Text("Trop bas".into())],
            id: "bas".into(),
            attr: Default::default(),
            span: Default::default(),
        },
    );
    let bytes = write(&book, &EpubOptions::default()).unwrap();
    epub_check::check_epub(&bytes).unwrap_or_else(|e| panic!("{e:#?}"));
    // After the chapter's h1, a level-4 heading is written as h2 (axe `heading-order`).
    assert!(file(&bytes, "OEBPS/second.xhtml").contains("<h2 id=\"bas\">Trop bas</h2>"));
    let notes = file(&bytes, "OEBPS/notes.xhtml");
    assert!(notes.contains("lang=\"fr-FR\" xml:lang=\"fr-FR\""));
    assert!(file(&bytes, "OEBPS/nav.xhtml").contains("<h1>Table des matières</h1>"));
}

/// Issue 17: markers from a page map stand where its positions say — before a title,
/// before an emphasis that begins a page, inside a word's text at a byte offset, before
/// a note — pages with no text share the next page's place, and every page is listed
/// once, in order, with its folio (the cover named).
#[test]
fn page_map_markers_stand_at_their_positions() {
    use quire::pagemap::{Flow, PageMap, PageStart, Position};
    let at = |flow, path: &[u32], offset| {
        Some(Position {
            flow,
            path: path.to_vec(),
            offset,
        })
    };
    let page = |label: &str, at| PageStart {
        label: label.into(),
        at,
    };
    let map = PageMap {
        pages: vec![
            page("", at(Flow::Cover, &[], 0)),
            page("i", at(Flow::TitlePage, &[], 0)),
            page("1", at(Flow::Chapter(1), &[], 0)),
            // "Plain, " is 7 bytes: the emphasis begins page 2.
            page("2", at(Flow::Chapter(1), &[0], 7)),
            // Four bytes into "emphasised".
            page("3", at(Flow::Chapter(1), &[0], 11)),
            page("4", None),
            page("5", at(Flow::Note(0), &[0], 0)),
            page("6", None),
        ],
    };
    let bytes = write(
        &sample_book(),
        &EpubOptions {
            pages: Some(map),
            ..Default::default()
        },
    )
    .unwrap();
    epub_check::check_epub(&bytes).unwrap_or_else(|e| panic!("{e:#?}"));
    let mark = |n: usize, label: &str| {
        format!(
            "<span epub:type=\"pagebreak\" role=\"doc-pagebreak\" id=\"page-{n}\" aria-label=\"{label}\"/>"
        )
    };
    let chapter = file(&bytes, "OEBPS/fish-chips.xhtml");
    assert!(
        chapter.contains(&format!("{}<h1", mark(3, "1"))),
        "{chapter}"
    );
    assert!(
        chapter.contains(&format!(
            "Plain, {}<em>emph{}asised</em>",
            mark(4, "2"),
            mark(5, "3")
        )),
        "{chapter}"
    );
    assert!(file(&bytes, "OEBPS/cover.xhtml").contains(&mark(1, "Cover")));
    assert!(file(&bytes, "OEBPS/titlepage.xhtml").contains(&mark(2, "i")));
    let notes = file(&bytes, "OEBPS/notes.xhtml");
    // Page 4 has no text of its own: right before page 5's marker, before the note.
    assert!(
        notes.contains(&format!(
            "{}{}<div class=\"note\"",
            mark(6, "4"),
            mark(7, "5")
        )),
        "{notes}"
    );
    // Page 6, after the last text: at the end of the last chapter.
    let last = file(&bytes, "OEBPS/second.xhtml");
    assert!(
        last.contains(&format!("{}</section>", mark(8, "6"))),
        "{last}"
    );
    let nav = file(&bytes, "OEBPS/nav.xhtml");
    let list = &nav[nav.find("epub:type=\"page-list\"").unwrap()..];
    let labels: Vec<&str> = list
        .split("</a>")
        .filter_map(|s| s.rsplit('>').next())
        .filter(|s| !s.trim().is_empty() && !s.contains('<'))
        .collect();
    assert_eq!(labels, ["Cover", "i", "1", "2", "3", "4", "5", "6"]);
    let ncx = file(&bytes, "OEBPS/toc.ncx");
    assert_eq!(ncx.matches("<pageTarget ").count(), 8);
    assert!(ncx.contains("type=\"front\"><navLabel><text>i</text>"));
    assert!(ncx.contains("type=\"normal\" value=\"6\""));
}
