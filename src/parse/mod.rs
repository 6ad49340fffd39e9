//! The manuscript → the book model.
//!
//! [`parse`] turns the manuscript's files (read by [`crate::files`]) into a [`Book`]:
//! metadata ([`front_matter`]), each file's Markdown ([`markdown`]), then, once every file
//! is read, the passes that need the whole book: notes ([`notes`]), internal links, and
//! images (asked of the file layer: nothing here touches the file system). Every problem
//! is collected; nothing stops at the first.

mod assets;
mod attrs;
mod columns;
mod css;
mod front_matter;
mod grid_table;
mod html;
pub mod ids;
mod inlines;
mod line_table;
mod markdown;
mod math;
mod nested;
mod notes;
mod pandoc_blocks;
mod text;
mod title_block;
mod urls;
pub(crate) mod walk;

use crate::diag::Diagnostic;
use crate::files::{is_metadata_file, Files};
use crate::memo::{CacheStats, ContentCache, KeyHasher};
use crate::model::{Asset, AssetId, Block, Book, Chapter, Inline, LinkTarget};
use crate::source::{FileId, SourceMap, Span};
use markdown::{FileContent, NoteDef, Shared, PENDING};
use std::collections::BTreeMap;
use walk::{rewrite_blocks, rewrite_inlines, Rewritten};

/// The result of [`parse`]: the book (when one can be made) and every problem found.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The model; `None` only when the manuscript has no text at all. It may be `Some`
    /// even when `diagnostics` holds errors: the caller decides whether to write it.
    pub book: Option<Book>,
    /// Errors and warnings, in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

/// Each Markdown file's parse, kept between builds (`quire watch`): a one-word edit
/// parses one file again, not the whole book. A file's parse depends on its text, its
/// place (file id) and the shared state before it (the ids taken, the placeholders
/// handed out), so that is the key; a hit adds to the shared state exactly what parsing
/// the file added, so the book is the one a clean parse makes.
#[derive(Default)]
pub struct ParseCache(ContentCache<ParsedFile>);

impl ParseCache {
    /// Ends a build: drops the files it did not use and returns its hit counts.
    pub fn finish(&self) -> CacheStats {
        self.0.finish()
    }
}

/// One file's parse and what it added to the shared state.
#[derive(Clone)]
pub(crate) struct ParsedFile {
    content: FileContent,
    diagnostics: Vec<Diagnostic>,
    added: markdown::SharedAdded,
}

/// Builds the book from the manuscript's text files; images and the cover are asked of
/// `files`.
pub fn parse(sources: &SourceMap, files: &Files<'_>) -> Parsed {
    parse_cached(sources, files, None)
}

/// [`parse`], taking the files parsed in an earlier build in the same state from `cache`.
pub fn parse_cached(sources: &SourceMap, reader: &Files<'_>, cache: Option<&ParseCache>) -> Parsed {
    let mut diags = Vec::new();
    let mut meta = front_matter::MetaBuilder::default();
    let mut shared = Shared::default();
    let mut chapters: Vec<Chapter> = Vec::new();
    let mut defs: BTreeMap<(FileId, String), NoteDef> = BTreeMap::new();
    // Per Markdown file: its path relative to the root, its anchors, its first chapter.
    let mut files: Vec<FileInfo> = Vec::new();
    let mut first_file: Option<FileId> = None;

    // pandoc's `%` title block, read at the top of the first Markdown file only (pandoc
    // reads several inputs as one text, and the block must open it).
    let mut first_markdown = true;
    let mut title_block_at: Option<Span> = None;

    for (id, file) in sources.files() {
        first_file.get_or_insert(id);
        if is_metadata_file(&file.path) {
            let loc = move |i: usize| Span::new(id, i, i);
            meta.apply(&file.text, &loc, &mut diags);
            continue;
        }
        let title_block = title_block::read(id, &file.text);
        let is_first_markdown = std::mem::replace(&mut first_markdown, false);
        // The body is parsed with the block blanked out: same offsets, same lines.
        let blanked;
        let text: &str = match &title_block {
            Some(tb) if is_first_markdown => {
                blanked = title_block::blank_prefix(&file.text, tb.span.end);
                &blanked
            }
            Some(tb) => {
                // Two or more `%` lines opening a later file look like a title block
                // meant for the book; pandoc reads them as text there.
                if tb.authors.len() + usize::from(tb.date.is_some()) > 0 {
                    diags.push(
                        Diagnostic::warning(
                            Span::new(id, 0, 1),
                            "a `%` title block counts only at the top of the first file; here it is text",
                        )
                        .with_hint(
                            "move it to the top of the first chapter file, or write `title:`, `author:` and `date:` in book.yaml",
                        ),
                    );
                }
                &file.text
            }
            None => &file.text,
        };
        let content: FileContent = match cache {
            Some(cache) => {
                let mut h = KeyHasher::default();
                h.add(&id);
                h.add(&shared.state_digest());
                h.add(&text.len());
                h.bytes(text.as_bytes());
                let key = h.key();
                let parsed = match cache.0.get(key) {
                    Some(hit) => {
                        shared.add(&hit.added);
                        hit
                    }
                    None => {
                        let mark = shared.mark();
                        let mut file_diags = Vec::new();
                        let content = markdown::parse_file(id, text, &mut shared, &mut file_diags);
                        cache.0.insert(
                            key,
                            ParsedFile {
                                content,
                                diagnostics: file_diags,
                                added: shared.added_since(mark),
                            },
                        )
                    }
                };
                diags.extend(parsed.diagnostics.iter().cloned());
                parsed.content.clone()
            }
            None => markdown::parse_file(id, text, &mut shared, &mut diags),
        };
        // Before the file's YAML blocks, which win where both set a key (as in pandoc).
        if let Some(mut tb) = title_block.filter(|_| is_first_markdown) {
            title_block_at = Some(tb.span);
            let fields = tb
                .title
                .iter_mut()
                .chain(&mut tb.authors)
                .chain(&mut tb.date);
            for field in fields {
                field.text = title_block_text(field, &mut diags);
            }
            meta.apply_title_block(tb);
        }
        for (yaml, start) in &content.metadata {
            let start = *start;
            let loc = move |i: usize| Span::new(id, start + i, start + i);
            meta.apply(yaml, &loc, &mut diags);
        }
        let mut first_chapter = None;
        if !content.leading.is_empty() {
            match chapters.last_mut() {
                // Text before a file's first heading continues the previous file's chapter
                // (as if the files were one, as pandoc reads several inputs).
                Some(last) => last.blocks.extend(content.leading),
                None => {
                    let span = content
                        .leading
                        .first()
                        .map_or(Span::file_start(id), |b| b.span());
                    let ch_id = shared.ids.claim("opening");
                    chapters.push(Chapter {
                        title: None,
                        id: ch_id,
                        attr: Default::default(),
                        blocks: content.leading,
                        span,
                    });
                }
            }
            first_chapter = Some(chapters.len() - 1);
        }
        for ch in content.chapters {
            first_chapter.get_or_insert(chapters.len());
            chapters.push(Chapter {
                title: Some(ch.title),
                id: ch.id,
                attr: ch.attr,
                blocks: ch.blocks,
                span: ch.span,
            });
        }
        for def in content.defs {
            defs.insert((id, markdown::normalise_label(&def.label)), def);
        }
        let rel = relative_path(&sources.root, &file.path);
        files.push(FileInfo {
            id,
            path: rel,
            anchors: content.anchors,
            first_chapter,
        });
    }

    if !meta.has_title() && !meta.is_unreadable() {
        match title_block_at {
            Some(at) => diags.push(
                Diagnostic::error(
                    Span::new(at.file, at.start, at.start + 1),
                    "the book has no title",
                )
                .with_hint("the title block's first `%` line is empty: write the title there"),
            ),
            None => {
                let span = first_file.map(Span::file_start);
                diags.push(Diagnostic::error(span, "the book has no title").with_hint(
                    "add `title: …` to book.yaml or to the front matter at the top of the first file",
                ));
            }
        }
    }
    if chapters.is_empty() {
        diags.push(
            Diagnostic::error(None, "the manuscript has no text")
                .with_hint("write the book in Markdown files (`*.md`)"),
        );
        return Parsed {
            book: None,
            diagnostics: diags,
        };
    }

    let front_matter::Finished {
        meta: mut metadata,
        cover,
        abstract_text,
        css,
    } = meta.finish();
    if let Some((text, at)) = abstract_text {
        metadata.r#abstract = markdown::parse_fragment(&text, at, &mut shared, &mut diags);
    }
    let mut notes = notes::resolve(
        &mut chapters,
        defs,
        &shared.note_keys,
        metadata.note_numbering,
        &mut diags,
    );

    // Links and images, in reading order (so assets are numbered by first use).
    let mut assets: Vec<Asset> = Vec::new();
    let mut resolver = Resolver {
        read: reader,
        shared: &shared,
        files: &files,
        chapters_ids: Vec::new(),
        assets: &mut assets,
        diags: &mut diags,
    };
    resolver.chapters_ids = chapters.iter().map(|c| c.id.clone()).collect();
    for ch in &mut chapters {
        if let Some(title) = &mut ch.title {
            rewrite_inlines(title, &mut |i| resolver.inline(i));
        }
        rewrite_blocks(&mut ch.blocks, &mut |i| resolver.inline(i));
    }
    for note in &mut notes {
        rewrite_blocks(&mut note.blocks, &mut |i| resolver.inline(i));
    }
    rewrite_blocks(&mut metadata.r#abstract, &mut |i| resolver.inline(i));
    unfigure_unread(&mut metadata.r#abstract);
    for ch in &mut chapters {
        unfigure_unread(&mut ch.blocks);
    }
    for note in &mut notes {
        unfigure_unread(&mut note.blocks);
    }
    if let Some((src, span)) = cover {
        match assets::read(reader, &src) {
            Ok(asset) => {
                cover_size_warning(&asset, &src, span, resolver.diags);
                metadata.cover = Some(resolver.add_asset(asset))
            }
            Err(problem) => diags.push(
                Diagnostic::warning(
                    span,
                    format!("cover: {}; the book has no cover", problem.describe(&src)),
                )
                .with_hint("`cover-image` is a path relative to the manuscript folder"),
            ),
        }
    }
    // Issue 14: the author's EPUB stylesheet, and matter classes used twice.
    if let Some((src, span)) = css {
        metadata.epub.css = read_stylesheet(reader, &src, span, &mut diags);
    }
    check_single_matter(&chapters, &mut diags);
    Parsed {
        book: Some(Book {
            meta: metadata,
            chapters,
            notes,
            assets,
        }),
        diagnostics: diags,
    }
}

/// The shortest cover e-reader stores take: Amazon KDP asks for 2560 px and accepts
/// 1000 px at the least; Apple Books asks for 1400 px.
const MIN_COVER_HEIGHT: f32 = 1000.0;

/// A warning for a cover image too small for e-reader stores.
fn cover_size_warning(asset: &Asset, src: &str, span: Span, diags: &mut Vec<Diagnostic>) {
    if asset.kind == crate::model::ImageKind::Svg {
        return; // Scales to any size.
    }
    if let Some((w, h)) = crate::image::intrinsic_size(asset) {
        if h < MIN_COVER_HEIGHT {
            diags.push(
                Diagnostic::warning(
                    span,
                    format!(
                        "the cover `{src}` is {w:.0} × {h:.0} px: e-reader stores reject covers under {MIN_COVER_HEIGHT:.0} px tall"
                    ),
                )
                .with_hint("use an image at least 1600 × 2560 px (or leave `cover-image` out for a generated cover)"),
            );
        }
    }
}

/// The stylesheet named by `epub: css:`, read through the file layer (which refuses a
/// path that leaves the manuscript folder) and checked ([`css::check`]); `None`, with a
/// diagnostic at the key's value, when it cannot be used.
fn read_stylesheet(
    files: &Files<'_>,
    src: &str,
    span: Span,
    diags: &mut Vec<Diagnostic>,
) -> Option<String> {
    let file = match files.read_in_root(std::path::Path::new(src)) {
        Ok(f) => f,
        Err(problem) => {
            let why = match problem {
                crate::files::ReadProblem::Missing => "is not found".to_string(),
                crate::files::ReadProblem::OutsideRoot => {
                    "is outside the manuscript folder".to_string()
                }
            };
            diags.push(
                Diagnostic::warning(
                    span,
                    format!("the stylesheet `{src}` {why}; the EPUB is built without it"),
                )
                .with_hint(
                    "`epub: css:` names a file in the manuscript folder, e.g. `css: style.css`",
                ),
            );
            return None;
        }
    };
    let Ok(text) = std::str::from_utf8(&file.bytes) else {
        diags.push(Diagnostic::warning(
            span,
            format!("the stylesheet `{src}` is not UTF-8 text; the EPUB is built without it"),
        ));
        return None;
    };
    let problems = css::check(text);
    if problems.is_empty() {
        return Some(text.strip_prefix('\u{feff}').unwrap_or(text).to_string());
    }
    for p in &problems {
        diags.push(
            Diagnostic::error(span, format!("{src}:{}:{}: {}", p.line, p.col, p.message))
                .with_hint("fix the stylesheet, or remove `epub: css:` to build without it"),
        );
    }
    None
}

/// An error for each matter class that only makes sense once (two copyright pages),
/// at the heading that repeats it.
fn check_single_matter(chapters: &[Chapter], diags: &mut Vec<Diagnostic>) {
    let mut seen: Vec<crate::model::MatterRole> = Vec::new();
    for ch in chapters {
        let Some(role) = ch.role().filter(|r| r.single()) else {
            continue;
        };
        if seen.contains(&role) {
            let class = crate::model::MATTER_CLASSES
                .iter()
                .find(|(_, r)| *r == role)
                .map_or("", |(c, _)| c);
            diags.push(
                Diagnostic::warning(
                    ch.span,
                    format!("a second `.{class}` heading: a book has one"),
                )
                .with_hint(format!("remove `.{class}` from one of the headings")),
            );
        } else {
            seen.push(role);
        }
    }
}

/// A title block field's text as a reader sees it. The fields are inline Markdown
/// (pandoc MANUAL, "Extension: pandoc_title_block": "may contain standard inline
/// formatting"), and the book's title, authors and date are plain text: so the field is
/// parsed, its problems placed at the field, and its plain text kept (`*The* Lamp` is
/// "The Lamp", quotes curled as in the body). Parsed with its own state, apart from the
/// book's ids and notes; a note has nowhere to go from a title and is dropped.
fn title_block_text(field: &title_block::Field, diags: &mut Vec<Diagnostic>) -> String {
    let blocks = markdown::parse_fragment(&field.text, field.span, &mut Shared::default(), diags);
    let text = crate::model::blocks_plain_text(&blocks);
    if text.trim().is_empty() {
        field.text.clone()
    } else {
        text.trim().to_string()
    }
}

/// A figure whose image could not be read (reported) becomes its caption, as a
/// paragraph: the alt text stands in for the picture, as it does for an inline image.
fn unfigure_unread(blocks: &mut Vec<Block>) {
    let mut emptied = false;
    for block in blocks.iter_mut() {
        match block {
            Block::BlockQuote { blocks, .. } => unfigure_unread(blocks),
            Block::List { items, .. } => items.iter_mut().for_each(unfigure_unread),
            Block::Figure {
                image,
                caption,
                span,
                ..
            } if !matches!(image.as_slice(), [Inline::Image { .. }]) => {
                let content = if caption.is_empty() {
                    std::mem::take(image)
                } else {
                    std::mem::take(caption)
                };
                emptied |= content.is_empty();
                *block = Block::Paragraph {
                    content,
                    span: *span,
                };
            }
            _ => {}
        }
    }
    if emptied {
        blocks.retain(|b| !matches!(b, Block::Paragraph { content, .. } if content.is_empty()));
    }
}

/// `path` relative to `root`, with `/` separators (as links write it).
fn relative_path(root: &std::path::Path, path: &std::path::Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// What links need to know about one Markdown file.
struct FileInfo {
    id: FileId,
    /// Path relative to the root, `/`-separated.
    path: String,
    /// Ids as the author wrote them → ids given.
    anchors: BTreeMap<String, String>,
    /// The chapter holding the file's first text.
    first_chapter: Option<usize>,
}

/// Resolves link and image placeholders.
struct Resolver<'a> {
    read: &'a Files<'a>,
    shared: &'a Shared,
    files: &'a [FileInfo],
    chapters_ids: Vec<String>,
    assets: &'a mut Vec<Asset>,
    diags: &'a mut Vec<Diagnostic>,
}

impl Resolver<'_> {
    fn add_asset(&mut self, asset: Asset) -> AssetId {
        if let Some(i) = self.assets.iter().position(|a| a.href == asset.href) {
            return AssetId(i as u32);
        }
        self.assets.push(asset);
        AssetId(self.assets.len() as u32 - 1)
    }

    fn inline(&mut self, inline: Inline) -> Rewritten {
        Rewritten::Many(match inline {
            Inline::Link {
                target: LinkTarget::Internal(t),
                content,
            } if t.starts_with(PENDING) => {
                let link = t[PENDING.len_utf8()..]
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| self.shared.links.get(i));
                let Some(link) = link else {
                    return content.into();
                };
                if let Some((before, after)) = &link.fallback {
                    // An implicit header reference: the heading of that text, in the
                    // link's file first; else its text as written, as pandoc shows a
                    // reference to nothing.
                    let key = link
                        .href
                        .trim_start_matches('#')
                        .rsplit_once(markdown::HEADER_REF)
                        .map_or("", |(k, _)| k);
                    let own = self.files.iter().find(|f| f.id == link.file);
                    let id = own
                        .and_then(|f| f.anchors.get(key))
                        .or_else(|| self.files.iter().find_map(|f| f.anchors.get(key)));
                    return Rewritten::Many(match id {
                        Some(id) => vec![Inline::Link {
                            target: LinkTarget::Internal(id.clone()),
                            content,
                        }],
                        None => {
                            let mut text = vec![Inline::Text(before.clone())];
                            text.extend(content);
                            text.push(Inline::Text(after.clone()));
                            text
                        }
                    });
                }
                match self.find_target(link.file, &link.href) {
                    Some(id) => vec![Inline::Link {
                        target: LinkTarget::Internal(id),
                        content,
                    }],
                    None => {
                        self.diags.push(
                            Diagnostic::warning(link.span, format!("link to `{}` points to nothing in the book; its text is kept", link.href))
                                .with_hint("link to a heading with `#id`, or to a chapter file like `02-storm.md`"),
                        );
                        content
                    }
                }
            }
            Inline::Image { asset, alt } => {
                let Some(image) = self.shared.images.get(asset.0 as usize) else {
                    return Rewritten::One(Inline::Text(alt));
                };
                match assets::read(self.read, &image.src) {
                    Ok(a) => vec![Inline::Image {
                        asset: self.add_asset(a),
                        alt,
                    }],
                    Err(problem) => {
                        self.diags.push(
                            Diagnostic::warning(
                                image.span,
                                format!(
                                    "{}; its alt text is shown instead",
                                    problem.describe(&image.src)
                                ),
                            )
                            .with_hint("image paths are relative to the manuscript folder"),
                        );
                        if alt.is_empty() {
                            Vec::new()
                        } else {
                            vec![Inline::Text(alt)]
                        }
                    }
                }
            }
            other => return Rewritten::One(other),
        })
    }

    /// The id an internal link `href` (written in `file`) points at: `#id`,
    /// `other.md#id` or `other.md`.
    fn find_target(&self, file: FileId, href: &str) -> Option<String> {
        let (path, frag) = match href.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (href, None),
        };
        let path = path.trim_start_matches("./");
        let target_file = if path.is_empty() {
            self.files.iter().find(|f| f.id == file)
        } else {
            // Relative to the file the link is in; chapter files sit in the root.
            self.files
                .iter()
                .find(|f| f.path == path || f.path.rsplit('/').next() == Some(path))
        }?;
        match frag {
            Some(frag) if !frag.is_empty() => {
                if let Some(id) = target_file.anchors.get(frag) {
                    return Some(id.clone());
                }
                if path.is_empty() {
                    // `#id` may name a heading in another file, or a final id.
                    if let Some(id) = self.files.iter().find_map(|f| f.anchors.get(frag)) {
                        return Some(id.clone());
                    }
                    if self.chapters_ids.iter().any(|c| c == frag)
                        || self
                            .files
                            .iter()
                            .any(|f| f.anchors.values().any(|v| v == frag))
                    {
                        return Some(frag.to_string());
                    }
                }
                None
            }
            _ if path.is_empty() => None,
            _ => target_file
                .first_chapter
                .and_then(|i| self.chapters_ids.get(i).cloned()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::{Block, HtmlNode};
    use crate::source::SourceFile;

    pub(super) fn parse_str(text: &str) -> Parsed {
        let mut map = SourceMap::new("/nonexistent-quire-root");
        map.add(SourceFile::new("book.md", text));
        parse(&map, &Files::none(&map.root))
    }

    #[test]
    fn a_title_block_opens_the_first_markdown_file_only() {
        let mut map = SourceMap::new("/nonexistent-quire-root");
        map.add(SourceFile::new("book.yaml", "lang: en\n"));
        map.add(SourceFile::new(
            "a.md",
            "% *A* Title\n% Ann; Bo\n% 2024-03-09\n\n# One\n\nText.\n",
        ));
        map.add(SourceFile::new(
            "b.md",
            "% Not a title\n% Nobody\n\n# Two\n\nText.\n",
        ));
        let parsed = parse(&map, &Files::none(&map.root));
        let book = parsed.book.as_ref().unwrap();
        assert_eq!(book.meta.title, "A Title");
        assert_eq!(book.meta.authors, ["Ann", "Bo"]);
        assert_eq!(book.meta.date.as_deref(), Some("2024-03-09"));
        // The first file's block is not text; the second file's is, with a warning.
        assert_eq!(book.chapters.len(), 2);
        let text = crate::model::blocks_plain_text(&book.chapters[0].blocks);
        assert_eq!(text, "Text. % Not a title % Nobody");
        let msgs = messages(&parsed);
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].contains("only at the top of the first file"),
            "{msgs:?}"
        );
        assert_eq!(parsed.diagnostics[0].span.map(|s| s.file), Some(FileId(2)));
    }

    /// A book of several files sharing ids, notes, links and a missing image.
    fn files(second: &str) -> SourceMap {
        let mut map = SourceMap::new("/nonexistent-quire-root");
        map.add(SourceFile::new("book.yaml", "title: T\n"));
        map.add(SourceFile::new(
            "01.md",
            "Opening words.[^a]\n\n# Part\n\n## Same\n\nSee [two](02.md#same-2).\n\n[^a]: A.\n",
        ));
        map.add(SourceFile::new("02.md", second));
        map.add(SourceFile::new(
            "03.md",
            "# Part\n\n## Same\n\nBack to [one](01.md), ![gone](gone.png).[^a]\n\n[^a]: Three.\n",
        ));
        map
    }

    /// Parsing through the cache gives the clean parse's book and diagnostics, whether
    /// a file changed its text only (the later files are hits) or its ids (the later
    /// files are parsed again, since the ids they get change).
    #[test]
    fn cached_parses_equal_clean_ones() {
        let cache = ParseCache::default();
        let texts = [
            "# Same\n\nText[^b] and [three](03.md#same-3).\n\n[^b]: B.\n",
            "# Same\n\nOther text[^b] and [three](03.md#same-3).\n\n[^b]: B.\n",
            "# Else\n\nOther text[^b], [^c] and [three](03.md#same-3).\n\n[^b]: B.\n",
            "# Same\n\nText[^b] and [three](03.md#same-3).\n\n[^b]: B.\n",
        ];
        for (round, text) in texts.iter().enumerate() {
            let map = files(text);
            let cached = parse_cached(&map, &Files::none(&map.root), Some(&cache));
            let stats = cache.finish();
            assert_eq!(
                cached,
                parse(&map, &Files::none(&map.root)),
                "round {round}"
            );
            assert!(cached.book.is_some());
            match round {
                0 => assert_eq!(stats.hits, 0),
                // Only the edited file is parsed again.
                1 => assert_eq!((stats.hits, stats.misses), (2, 1), "{stats:?}"),
                // A new heading id and a new note: the files after it are parsed again.
                2 => assert_eq!((stats.hits, stats.misses), (1, 2), "{stats:?}"),
                _ => {}
            }
        }
    }

    /// Examples are numbered across files, and a cached parse numbers them as a clean
    /// one does (the numbers given are part of the shared state a file is parsed in).
    #[test]
    fn examples_number_across_files_and_through_the_cache() {
        let book = |first: &str| {
            let mut map = SourceMap::new("/nonexistent-quire-root");
            map.add(SourceFile::new("book.yaml", "title: T\n"));
            map.add(SourceFile::new("01.md", first));
            map.add(SourceFile::new(
                "02.md",
                "# Two\n\n(@b) Bee.\n\nSee @a and @b.\n",
            ));
            map
        };
        let cache = ParseCache::default();
        for first in ["# One\n\n(@a) Ay.\n(@) Other.\n", "# One\n\n(@a) Ay.\n"] {
            let map = book(first);
            let clean = parse(&map, &Files::none(&map.root));
            let cached = parse_cached(&map, &Files::none(&map.root), Some(&cache));
            cache.finish();
            assert_eq!(cached, clean);
            let chapters = &clean.book.unwrap().chapters;
            let Block::Paragraph { content, .. } = &chapters[1].blocks[1] else {
                panic!("{:?}", chapters[1].blocks)
            };
            let b = if first.contains("Other") { 3 } else { 2 };
            assert_eq!(content, &[Inline::Text(format!("See 1 and {b}."))]);
        }
    }

    fn messages(p: &Parsed) -> Vec<String> {
        p.diagnostics.iter().map(|d| d.message.clone()).collect()
    }

    #[test]
    fn chapters_split_at_level_one_headings() {
        let p = parse_str(
            "---\ntitle: T\n---\n\nIntro text.\n\n# One\n\nA.\n\n## Sub\n\n# One\n\nB.\n",
        );
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let book = p.book.clone().unwrap();
        let ids: Vec<&str> = book.chapters.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["opening", "one", "one-2"]);
        assert!(book.chapters[0].title.is_none());
        assert!(
            matches!(&book.chapters[1].blocks[1], Block::Heading { level: 2, id, .. } if id == "sub")
        );
        assert_eq!(book.meta.title, "T");
    }

    #[test]
    fn no_untitled_chapter_when_the_book_starts_with_a_heading() {
        let p = parse_str("---\ntitle: T\n---\n# One\n\nA.\n");
        assert_eq!(p.book.unwrap().chapters.len(), 1);
    }

    #[test]
    fn undefined_note_is_an_error_at_its_position() {
        let p = parse_str(
            "---\ntitle: T\n---\n# A\n\nThe wind rose[^gale] before dawn.[^ok]\n\n[^ok]: Fine.\n",
        );
        let errors: Vec<&Diagnostic> = p.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert_eq!(errors.len(), 1, "{:?}", p.diagnostics);
        assert_eq!(
            errors[0].message,
            "note `[^gale]` is referenced but never defined"
        );
        let mut map = SourceMap::new(".");
        map.add(SourceFile::new(
            "book.md",
            "---\ntitle: T\n---\n# A\n\nThe wind rose[^gale] before dawn.[^ok]\n\n[^ok]: Fine.\n",
        ));
        let rendered = crate::diag::render(&map, errors[0]);
        assert!(rendered.starts_with("book.md:6:14: error:"), "{rendered}");
    }

    #[test]
    fn links_resolve_or_warn() {
        let p = parse_str(
            "---\ntitle: T\n---\n# Start {#start}\n\n[a](#start) [b](#later) [c](https://x.org) [d](javascript:alert(1)) [e](missing.md) [f](book.md)\n\n## Later\n",
        );
        let book = p.book.clone().unwrap();
        let Block::Paragraph { content, .. } = &book.chapters[0].blocks[0] else {
            panic!()
        };
        let targets: Vec<String> = content
            .iter()
            .filter_map(|i| match i {
                Inline::Link { target, .. } => Some(format!("{target:?}")),
                _ => None,
            })
            .collect();
        assert_eq!(
            targets,
            [
                "Internal(\"start\")",
                "Internal(\"later\")",
                "External(\"https://x.org\")",
                "Internal(\"start\")"
            ]
        );
        assert_eq!(
            messages(&p),
            [
                "link to a `javascript:` URL is removed; its text is kept",
                "link to `missing.md` points to nothing in the book; its text is kept"
            ]
        );
    }

    #[test]
    fn inline_html_maps_to_model_inlines() {
        let p = parse_str("---\ntitle: T\n---\nH<sub>2</sub>O x<sup>2</sup> <i>it</i><br><span lang=\"fr\">oui</span><script>bad()</script> ok\n");
        let book = p.book.clone().unwrap();
        let Block::Paragraph { content, .. } = &book.chapters[0].blocks[0] else {
            panic!()
        };
        assert_eq!(
            content,
            &vec![
                Inline::Text("H".into()),
                Inline::Subscript(vec![Inline::Text("2".into())]),
                Inline::Text("O x".into()),
                Inline::Superscript(vec![Inline::Text("2".into())]),
                Inline::Text(" ".into()),
                Inline::Emphasis(vec![Inline::Text("it".into())]),
                Inline::LineBreak,
                Inline::Html(vec![HtmlNode::Element {
                    name: "span".into(),
                    attrs: vec![("lang".into(), "fr".into())],
                    children: vec![HtmlNode::Text("oui".into())]
                }]),
                Inline::Text(" ok".into()),
            ]
        );
        assert_eq!(
            messages(&p),
            ["raw HTML <script> is removed with its content"]
        );
    }

    /// pandoc's blocks inside containers land inside them: a line block opening a
    /// quote, a div and a line block in a list item, verse in a note.
    #[test]
    fn pandoc_blocks_stay_in_their_containers() {
        let p = parse_str(
            "---\ntitle: T\n---\n> | quoted\n>\n> ::: note\n> div\n> :::\n\n- item\n\n  | in item\n\n  ::: aside\n  x\n  :::\n- two\n\nText[^1].\n\n[^1]: Note:\n\n    | note verse\n",
        );
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let book = p.book.unwrap();
        let kinds = |blocks: &[Block]| -> Vec<&'static str> {
            blocks
                .iter()
                .map(|b| match b {
                    Block::LineBlock { .. } => "verse",
                    Block::Div { .. } => "div",
                    Block::Paragraph { .. } => "p",
                    Block::BlockQuote { .. } => "quote",
                    Block::List { .. } => "list",
                    _ => "other",
                })
                .collect()
        };
        let blocks = &book.chapters[0].blocks;
        assert_eq!(kinds(blocks), ["quote", "list", "p"]);
        let Block::BlockQuote { blocks: quoted, .. } = &blocks[0] else {
            panic!()
        };
        assert_eq!(kinds(quoted), ["verse", "div"]);
        let Block::List { items, .. } = &blocks[1] else {
            panic!()
        };
        assert_eq!(kinds(&items[0]), ["p", "verse", "div"]);
        assert_eq!(kinds(&book.notes[0].blocks), ["p", "verse"]);
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let quotes = format!("---\ntitle: T\n---\n{}deep\n", "> ".repeat(10_000));
        let p = parse_str(&quotes);
        assert!(p.book.is_some());
        assert_eq!(
            messages(&p),
            [format!(
                "content nested deeper than {} levels is flattened",
                markdown::MAX_DEPTH
            )]
        );
        let lists = format!("---\ntitle: T\n---\n{}x\n", "- ".repeat(10_000));
        let p = parse_str(&lists);
        assert!(p.book.is_some());
        let emph = format!(
            "---\ntitle: T\n---\n{}x{}\n",
            "*a ".repeat(10_000),
            " b*".repeat(10_000)
        );
        assert!(parse_str(&emph).book.is_some());
    }

    #[test]
    fn empty_manuscript_is_an_error() {
        let p = parse_str("---\ntitle: T\n---\n");
        assert!(p.book.is_none());
        assert_eq!(messages(&p), ["the manuscript has no text"]);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod robustness {
    use super::*;
    use crate::source::SourceFile;

    const NO_TITLE: &str = "book.md:1:1: error: the book has no title";
    const NO_TEXT: &str = "error: the manuscript has no text";

    /// Malformed inputs, each with the diagnostics it gives alone and after a front
    /// matter block giving the title (`---\ntitle: T\n---\n`, three lines): the first
    /// line of each as rendered (`file:line:col: severity: message`), in order.
    #[rustfmt::skip]
    const CASES: &[(&str, &[&str], &[&str])] = &[
        ("", &[NO_TITLE, NO_TEXT], &[NO_TEXT]),
        ("---", &[NO_TITLE], &[]),
        ("---\n", &[NO_TITLE], &[]),
        ("---\n---\n", &[NO_TITLE], &[]),
        (
            "---\n: :\n---\n",
            &[
                "book.md:2:1: error: the metadata is not valid YAML: did not find expected key, while parsing a block mapping",
                NO_TEXT,
            ],
            &[],
        ),
        (
            "---\ntitle: [\n---\n",
            &[
                "book.md:3:1: error: the metadata is not valid YAML: did not find expected node content, while parsing a flow node",
                NO_TEXT,
            ],
            &[],
        ),
        ("---\nidentifier: 12345678é\ndate: 2017-1é-01\n---\nx", &[NO_TITLE], &[]),
        ("[^", &[NO_TITLE], &[]),
        (
            "x [^é] [^] [^a b] \\[^c]",
            &["book.md:1:3: error: note `[^é]` is referenced but never defined", NO_TITLE],
            &["book.md:4:3: error: note `[^é]` is referenced but never defined"],
        ),
        (
            "[^a]: x\n\n[^a]: y\n\n[^A]",
            &["book.md:3:1: warning: note `[^a]` is defined twice", NO_TITLE],
            &["book.md:6:1: warning: note `[^a]` is defined twice"],
        ),
        ("<", &[NO_TITLE], &[]),
        ("<a", &[NO_TITLE], &[]),
        ("<a href='", &[NO_TITLE], &[]),
        ("<div><p><b>", &[NO_TITLE], &[]),
        ("</div></span>", &[NO_TITLE, NO_TEXT], &[NO_TEXT]),
        ("text <em>open <strong>both", &[NO_TITLE], &[]),
        ("&#0; &#xD800; &#1114112; &amp", &[NO_TITLE], &[]),
        ("```\nunclosed", &[NO_TITLE], &[]),
        ("| a |\n|---|\n| b | c | d |", &[NO_TITLE], &[]),
        (
            "![](<>) [](#) [x]() ![é](%ZZ%) [l](./) [m](?q#f)",
            &[
                NO_TITLE,
                "book.md:1:1: warning: image `` is not found; its alt text is shown instead",
                "book.md:1:9: warning: link to `#` points to nothing in the book; its text is kept",
                "book.md:1:15: warning: link to `` points to nothing in the book; its text is kept",
                "book.md:1:21: warning: image `%ZZ%` is not found; its alt text is shown instead",
                "book.md:1:32: warning: link to `./` points to nothing in the book; its text is kept",
                "book.md:1:40: warning: link to `?q#f` points to nothing in the book; its text is kept",
            ],
            &[
                "book.md:4:1: warning: image `` is not found; its alt text is shown instead",
                "book.md:4:9: warning: link to `#` points to nothing in the book; its text is kept",
                "book.md:4:15: warning: link to `` points to nothing in the book; its text is kept",
                "book.md:4:21: warning: image `%ZZ%` is not found; its alt text is shown instead",
                "book.md:4:32: warning: link to `./` points to nothing in the book; its text is kept",
                "book.md:4:40: warning: link to `?q#f` points to nothing in the book; its text is kept",
            ],
        ),
        ("# \n\n#\n\n# {#}\n", &[NO_TITLE], &[]),
        (
            "# é {#é}",
            &["book.md:1:1: warning: `{#é}` is not a valid id; `e` is used", NO_TITLE],
            &["book.md:4:1: warning: `{#é}` is not a valid id; `e` is used"],
        ),
        ("> - > - > 1. > x", &[NO_TITLE], &[]),
        (
            "<script>",
            &["book.md:1:1: warning: raw HTML <script> is removed with its content", NO_TITLE, NO_TEXT],
            &["book.md:4:1: warning: raw HTML <script> is removed with its content", NO_TEXT],
        ),
        (
            "<img src=x onerror=alert(1)>",
            &["book.md:1:1: warning: raw HTML <img> is replaced by its alt text", NO_TITLE, NO_TEXT],
            &["book.md:4:1: warning: raw HTML <img> is replaced by its alt text", NO_TEXT],
        ),
        (
            // U+FEFF inside the text is kept (a BOM only at the start is dropped).
            "\u{0}\u{1}\u{feff}\u{fffe}",
            &[
                "book.md:1:1: warning: character U+0000 is not allowed in a book and is removed",
                "book.md:1:2: warning: character U+0001 is not allowed in a book and is removed",
                "book.md:1:4: warning: character U+FFFE is not allowed in a book and is removed",
                NO_TITLE,
            ],
            &[
                "book.md:4:1: warning: character U+0000 is not allowed in a book and is removed",
                "book.md:4:2: warning: character U+0001 is not allowed in a book and is removed",
                "book.md:4:4: warning: character U+FFFE is not allowed in a book and is removed",
            ],
        ),
        ("a\r\rb\r", &[NO_TITLE], &[]),
    ];

    /// `text` parsed as a one-file manuscript: whether it gave a book, and the first line
    /// of each diagnostic as rendered.
    fn diagnostics(text: &str) -> (bool, Vec<String>) {
        let mut map = SourceMap::new("/nonexistent-quire-root");
        map.add(SourceFile::new("book.md", text));
        let parsed = parse(&map, &Files::none(&map.root));
        let heads = parsed
            .diagnostics
            .iter()
            .map(|d| {
                let rendered = crate::diag::render(&map, d);
                rendered.lines().next().unwrap_or("").to_string()
            })
            .collect();
        (parsed.book.is_some(), heads)
    }

    /// Diagnostics from the nested parses of pandoc's blocks (a verse line, a grid or
    /// simple table's cell) and from a div's attributes point into the file.
    #[test]
    fn nested_parses_point_into_the_file() {
        let text = "---\ntitle: T\n---\n# One\n\n| verse with [bad](javascript:x) link\n|    and a note[^zz]\n\n+------+------------------+\n| cell | text ![i](x.png) |\n+------+------------------+\n\n  A    B\n---  ---\n  1    [c](nowhere.md)\n\n::: {#9bad lang=xx-!! dir=up}\ntext\n:::\n";
        let (book, heads) = diagnostics(text);
        assert!(book);
        assert_eq!(
            heads,
            [
                "book.md:6:14: warning: link to a `javascript:` URL is removed; its text is kept",
                "book.md:17:1: warning: `#9bad` is not a valid id; `s-9bad` is used",
                "book.md:17:1: warning: `lang=xx-!!` is not a valid lang; it is ignored",
                "book.md:17:1: warning: `dir=up` is not a valid dir; it is ignored",
                "book.md:7:16: error: note `[^zz]` is referenced but never defined",
                "book.md:10:15: warning: image `x.png` is not found; its alt text is shown instead",
                "book.md:15:8: warning: link to `nowhere.md` points to nothing in the book; its text is kept",
            ]
        );
    }

    /// Malformed input of every kind gives exactly these diagnostics (message, severity,
    /// position), never a panic; there is a book unless the manuscript has no text.
    #[test]
    fn malformed_input_gives_these_diagnostics_and_never_panics() {
        let mut failures = Vec::new();
        for (text, alone, titled) in CASES {
            let titled_text = format!("---\ntitle: T\n---\n{text}");
            for (input, want) in [(text.to_string(), alone), (titled_text, titled)] {
                let (book, got) = diagnostics(&input);
                if got != **want {
                    failures.push(format!("{input:?}\n  got:  {got:#?}\n  want: {want:#?}"));
                }
                if book == got.iter().any(|d| d == NO_TEXT) {
                    failures.push(format!("{input:?}: a book is {book}, diagnostics {got:?}"));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
