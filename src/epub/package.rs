//! The package documents quire writes itself: `content.opf`, `nav.xhtml` and `toc.ncx`,
//! plus what goes into them — the identifier, the dates, the table of contents, and the
//! accessibility metadata derived from the content.
//!
//! Why not keep epub-builder's versions (anchors.md §4.1)? Its content.opf has a duplicate
//! `epub-creator-0` id whenever a book has an author and a language, no `xml:lang`, no
//! `dc:publisher`, no ISBN identifier, unescaped `MetadataOpfV3` content, and no way to set
//! manifest `properties` (`svg`, `mathml`, `remote-resources`). Its nav.xhtml has no `lang`,
//! no `role="doc-toc"`, and an empty (invalid) landmarks `<nav>` unless content carries a
//! reference type; its NCX has no `dtb:uid` and titles the book with the TOC's name.
//! Patching those strings would tie quire to the exact template text of one version;
//! writing the three files from the same [`Plan`] keeps ids, TOC and manifest consistent
//! by construction and is about as short.

use super::pages::PageEntry;
use super::plan::{
    Labels, Plan, COVER_FILE, NAV_FILE, NCX_FILE, NOTES_FILE, STYLESHEET, TITLE_PAGE_FILE,
};
use super::xhtml::{escape_attr, escape_text};
use crate::model::label_text;
use crate::model::{Block, Book, Direction, HtmlNode, Identifier, Inline};
use std::fmt::Write as _;

/// A content document of the package, in spine order.
pub(crate) struct Doc {
    /// Manifest id (an XML NCName).
    pub(crate) id: String,
    /// Package path.
    pub(crate) file: String,
    /// The XHTML.
    pub(crate) xhtml: String,
}

/// One entry of the table of contents.
#[derive(Debug, PartialEq)]
pub(crate) struct TocEntry {
    pub(crate) href: String,
    pub(crate) label: String,
    pub(crate) children: Vec<TocEntry>,
}

/// Chapters, their level-2 headings nested, then the notes.
pub(crate) fn toc(plan: &Plan) -> Vec<TocEntry> {
    let book = plan.book;
    // pandoc's `.unlisted` headings are left out of the table of contents.
    let mut entries: Vec<TocEntry> = book
        .chapters
        .iter()
        .enumerate()
        .filter(|(_, ch)| !ch.attr.has_class("unlisted"))
        .map(|(i, ch)| {
            let file = plan.chapter_file(i);
            let children = ch
                .blocks
                .iter()
                .filter_map(|b| match b {
                    Block::Heading {
                        level: 2,
                        content,
                        id,
                        attr,
                        ..
                    } if !attr.has_class("unlisted") => Some(TocEntry {
                        href: format!("{file}#{id}"),
                        label: non_empty(label_text(content), id),
                        children: vec![],
                    }),
                    _ => None,
                })
                .collect();
            TocEntry {
                href: file.to_string(),
                label: plan.chapter_label(i),
                children,
            }
        })
        .collect();
    if !book.notes.is_empty() {
        entries.push(TocEntry {
            href: NOTES_FILE.into(),
            label: plan.labels.notes.into(),
            children: vec![],
        });
    }
    if entries.is_empty() {
        // A book with no chapters still needs one entry: the nav's `ol` may not be empty
        // (EPUB 3.3 §7.3.4 content model; EPUBCheck RSC-005).
        entries.push(TocEntry {
            href: TITLE_PAGE_FILE.into(),
            label: book.meta.title.clone(),
            children: vec![],
        });
    }
    entries
}

fn non_empty(s: String, fallback: &str) -> String {
    if s.is_empty() {
        fallback.to_string()
    } else {
        s
    }
}

/// The publication's unique identifier as written in `dc:identifier`.
pub(crate) fn identifier(book: &Book) -> String {
    match &book.meta.identifier {
        Some(Identifier::Isbn(d)) => format!("urn:isbn:{d}"),
        Some(Identifier::Uuid(u)) => format!("urn:uuid:{u}"),
        Some(Identifier::Uri(s)) => s.clone(),
        None => format!("urn:uuid:{}", derived_uuid(book)),
    }
}

/// A name-based UUID (RFC 9562 §5.5, v5) from the title and authors: the same book gets
/// the same identifier on every build, so readers keep their place and notes across
/// rebuilds, and two different books do not collide.
pub(crate) fn derived_uuid(book: &Book) -> uuid::Uuid {
    let mut name = String::from("quire:");
    name.push_str(&book.meta.title);
    for a in &book.meta.authors {
        // U+001F (unit separator) cannot occur in a title, so "A B"+"C" ≠ "A"+"B C".
        name.push('\u{1f}');
        name.push_str(a);
    }
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, name.as_bytes())
}

/// A W3CDTF date (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`) as `dc:date` wants
/// (EPUB 3.3 §5.5.3.2.3; EPUBCheck OPF-053 warns on anything else).
pub(crate) fn w3c_date(s: &str) -> Option<(i64, u32, u32)> {
    let parts: Vec<&str> = s.trim().split('-').collect();
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    let num = |p: &str| p.parse::<i64>().ok();
    match parts.as_slice() {
        [y] if digits(y, 4) => Some((num(y)?, 1, 1)),
        [y, m] if digits(y, 4) && digits(m, 2) => {
            let m = num(m)? as u32;
            (1..=12).contains(&m).then_some((num(y)?, m, 1))
        }
        [y, m, d] if digits(y, 4) && digits(m, 2) && digits(d, 2) => {
            let (m, d) = (num(m)? as u32, num(d)? as u32);
            ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((num(y)?, m, d))
        }
        _ => None,
    }
}

/// Civil date from days since 1970-01-01 (H. Hinnant, "chrono-Compatible Low-Level Date
/// Algorithms", `civil_from_days`).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Broken-down UTC time (year, month, day, hour, minute, second).
pub(crate) type Utc6 = (i64, u32, u32, u32, u32, u32);

/// The modification time: `SOURCE_DATE_EPOCH` if given, else the publication date at
/// midnight UTC, else 2000-01-01. Never the clock: the same book must give the same bytes.
pub(crate) fn modified(book: &Book, timestamp: Option<i64>) -> Utc6 {
    const FALLBACK: Utc6 = (2000, 1, 1, 0, 0, 0);
    let t = match (timestamp, book.meta.date.as_deref().and_then(w3c_date)) {
        (Some(ts), _) => {
            let (y, m, d) = civil_from_days(ts.div_euclid(86_400));
            let s = ts.rem_euclid(86_400) as u32;
            (y, m, d, s / 3600, s / 60 % 60, s % 60)
        }
        (None, Some((y, m, d))) => (y, m, d, 0, 0, 0),
        (None, None) => FALLBACK,
    };
    // dcterms:modified needs a four-digit year.
    if (0..=9999).contains(&t.0) {
        t
    } else {
        FALLBACK
    }
}

fn format_utc(t: Utc6) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.0, t.1, t.2, t.3, t.4, t.5
    )
}

/// Accessibility metadata, derived from what the book really contains (EPUB
/// Accessibility 1.1 §2 "Discoverability"; Ace treats a missing summary as serious).
#[derive(Debug, PartialEq)]
pub(crate) struct A11y {
    pub(crate) access_modes: Vec<&'static str>,
    pub(crate) access_mode_sufficient: Vec<&'static str>,
    pub(crate) features: Vec<&'static str>,
    pub(crate) summary: String,
}

/// Counts images (and those with non-empty alternative text) in blocks.
#[derive(Default)]
struct ImageCount {
    total: usize,
    described: usize,
}

impl ImageCount {
    fn add(&mut self, alt: &str) {
        self.total += 1;
        if !alt.trim().is_empty() {
            self.described += 1;
        }
    }

    fn blocks(&mut self, blocks: &[Block]) {
        for b in blocks {
            match b {
                Block::Paragraph { content, .. } | Block::Heading { content, .. } => {
                    self.inlines(content)
                }
                Block::BlockQuote { blocks, .. } => self.blocks(blocks),
                Block::List { items, .. } => items.iter().for_each(|i| self.blocks(i)),
                Block::Table {
                    head,
                    rows,
                    caption,
                    ..
                } => {
                    self.inlines(caption);
                    head.iter()
                        .chain(rows.iter().flatten())
                        .for_each(|c| self.blocks(c));
                }
                Block::Html { nodes, .. } => self.html(nodes),
                Block::Figure { image, caption, .. } => {
                    self.inlines(image);
                    self.inlines(caption);
                }
                Block::CodeBlock { .. } | Block::ThematicBreak { .. } => {}
                // pandoc's block constructs (issue 12).
                Block::LineBlock { lines, .. } => lines.iter().for_each(|l| self.inlines(l)),
                Block::Div { blocks, .. } => self.blocks(blocks),
                Block::DefinitionList { items, .. } => {
                    for item in items {
                        self.inlines(&item.term);
                        item.definitions.iter().for_each(|d| self.blocks(d));
                    }
                }
            }
        }
    }

    fn inlines(&mut self, inlines: &[Inline]) {
        for i in inlines {
            match i {
                Inline::Image { alt, .. } => self.add(alt),
                Inline::Emphasis(c)
                | Inline::Strong(c)
                | Inline::Strikethrough(c)
                | Inline::Superscript(c)
                | Inline::Subscript(c)
                | Inline::Link { content: c, .. }
                | Inline::Span { content: c, .. }
                | Inline::Math { content: c, .. } => self.inlines(c),
                Inline::Html(nodes) => self.html(nodes),
                _ => {}
            }
        }
    }

    fn html(&mut self, nodes: &[HtmlNode]) {
        for n in nodes {
            if let HtmlNode::Element {
                name,
                attrs,
                children,
            } = n
            {
                if name == "img" {
                    let alt = attrs
                        .iter()
                        .find(|(k, _)| k == "alt")
                        .map_or("", |(_, v)| v.as_str());
                    self.add(alt);
                }
                self.html(children);
            }
        }
    }
}

#[cfg(test)]
pub(crate) fn a11y(book: &Book) -> A11y {
    a11y_with(book, false)
}

/// [`a11y`], counting a generated cover image (issue 14) when `generated_cover`.
pub(crate) fn a11y_with(book: &Book, generated_cover: bool) -> A11y {
    let mut images = ImageCount::default();
    for ch in &book.chapters {
        if let Some(t) = &ch.title {
            images.inlines(t);
        }
        images.blocks(&ch.blocks);
    }
    for n in &book.notes {
        images.blocks(&n.blocks);
    }
    if book
        .meta
        .cover
        .is_some_and(|c| book.assets.len() > c.0 as usize)
    {
        // The cover page's image always has alternative text (the title).
        images.add("cover");
    } else if generated_cover {
        images.add("cover");
    }
    let all_described = images.described == images.total;
    let has_headings = book
        .chapters
        .iter()
        .any(|c| c.title.is_some() || c.blocks.iter().any(|b| matches!(b, Block::Heading { .. })));

    let mut access_modes = vec!["textual"];
    let mut sufficient = Vec::new();
    if images.total > 0 {
        access_modes.push("visual");
        if all_described {
            sufficient.push("textual");
        }
        sufficient.push("textual,visual");
    } else {
        sufficient.push("textual");
    }
    let mut features = vec![];
    if images.total > 0 && all_described {
        features.push("alternativeText");
    }
    // The stylesheet uses relative units only and sets no colours or fonts beyond a
    // generic fallback, so the reader's settings apply.
    features.push("displayTransformability");
    features.push("readingOrder");
    if has_headings {
        features.push("structuralNavigation");
    }
    features.push("tableOfContents");

    let chapters = book.chapters.len();
    let mut summary =
        format!(
        "This publication has {chapters} {} with a table of contents{}, in a single reading order.",
        plural(chapters, "chapter", "chapters"),
        if has_headings { " and headings for structural navigation" } else { "" }
    );
    match images.total {
        0 => summary.push_str(" It contains no images."),
        n if all_described => {
            let _ = write!(
                summary,
                " It contains {n} {}, all with alternative text.",
                plural(n, "image", "images")
            );
        }
        n => {
            let _ = write!(
                summary,
                " It contains {n} {}; {} without alternative text.",
                plural(n, "image", "images"),
                n - images.described
            );
        }
    }
    if !book.notes.is_empty() {
        let n = book.notes.len();
        let _ = write!(
            summary,
            " Its {n} {} linked from the text and back.",
            plural(n, "note is", "notes are")
        );
    }
    summary.push_str(" It has no known hazards.");
    A11y {
        access_modes,
        access_mode_sufficient: sufficient,
        features,
        summary,
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// Manifest `properties` a content document needs (EPUB 3.3 §5.6.5.3; EPUBCheck OPF-014
/// otherwise). The XHTML is ours, with all text escaped, so a literal `<svg` can only be
/// an element and `src="http` only an attribute.
fn doc_properties(xhtml: &str) -> Option<String> {
    let mut props = vec![];
    if xhtml.contains("<math") {
        props.push("mathml");
    }
    if xhtml.contains("src=\"http:") || xhtml.contains("src=\"https:") {
        props.push("remote-resources");
    }
    if xhtml.contains("<svg") {
        props.push("svg");
    }
    (!props.is_empty()).then(|| props.join(" "))
}

/// The package document (EPUB 3.3 §5).
pub(crate) fn content_opf(
    plan: &Plan,
    docs: &[Doc],
    timestamp: Option<i64>,
    generated_cover: bool,
    paged: bool,
) -> String {
    let book = plan.book;
    let meta = &book.meta;
    let lang = escape_attr(&plan.lang);
    let mut o = String::new();
    let _ = writeln!(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let _ = writeln!(
        o,
        "<package xmlns=\"http://www.idpf.org/2007/opf\" version=\"3.0\" unique-identifier=\"pub-id\" xml:lang=\"{lang}\">"
    );
    let _ = writeln!(
        o,
        "<metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
    );
    let _ = writeln!(
        o,
        "<dc:identifier id=\"pub-id\">{}</dc:identifier>",
        escape_text(&identifier(book))
    );
    let _ = writeln!(o, "<dc:title>{}</dc:title>", escape_text(&meta.title));
    // One dc:creator per author, each with its own id (epub-builder's collide with the
    // language's: anchors.md §4.1 problem 1) and a MARC relator role.
    for (i, a) in meta.authors.iter().enumerate() {
        let _ = writeln!(
            o,
            "<dc:creator id=\"creator-{}\">{}</dc:creator>",
            i + 1,
            escape_text(a)
        );
        let _ = writeln!(
            o,
            "<meta refines=\"#creator-{}\" property=\"role\" scheme=\"marc:relators\">aut</meta>",
            i + 1
        );
    }
    let _ = writeln!(o, "<dc:language>{}</dc:language>", escape_text(&plan.lang));
    if let Some(p) = &meta.publisher {
        let _ = writeln!(o, "<dc:publisher>{}</dc:publisher>", escape_text(p));
    }
    if let Some(d) = meta.date.as_deref().filter(|d| w3c_date(d).is_some()) {
        let _ = writeln!(o, "<dc:date>{}</dc:date>", escape_text(d.trim()));
    }
    if let Some(r) = &meta.rights {
        let _ = writeln!(o, "<dc:rights>{}</dc:rights>", escape_text(r));
    }
    if let Some(d) = &meta.description {
        let _ = writeln!(o, "<dc:description>{}</dc:description>", escape_text(d));
    }
    for s in &meta.subjects {
        let _ = writeln!(o, "<dc:subject>{}</dc:subject>", escape_text(s));
    }
    let _ = writeln!(
        o,
        "<meta property=\"dcterms:modified\">{}</meta>",
        format_utc(modified(book, timestamp))
    );
    let mut a = a11y_with(book, generated_cover);
    if paged {
        // The print edition's pages (issue 17). `printPageNumbers` is the older name of
        // `pageBreakMarkers` (schema.org; EPUB Accessibility Techniques 1.1 keeps it
        // for reading systems that know only it); `pageNavigation`: the page list.
        a.features
            .extend(["printPageNumbers", "pageBreakMarkers", "pageNavigation"]);
        // The source of the pagination must be identified (EPUB Accessibility 1.1 §5.4
        // "Page navigation"): the PDF edition, by the identifier its XMP carries. The
        // `pageBreakSource` property (W3C "Page Source Identification"; EPUBCheck
        // accepts it since 5.0) says it for today's checkers, `dc:source` for older
        // reading systems (EPUB 3.3 §5.5.3.2.4).
        a.summary.push_str(
            " Page-break markers and a page list give the page numbers of the PDF edition \
             typeset from the same source.",
        );
        let source = crate::pagemap::print_identifier(book);
        let _ = writeln!(o, "<dc:source>{}</dc:source>", escape_text(&source));
        let _ = writeln!(
            o,
            "<meta property=\"pageBreakSource\">{}</meta>",
            escape_text(&source)
        );
    }
    for m in &a.access_modes {
        let _ = writeln!(o, "<meta property=\"schema:accessMode\">{m}</meta>");
    }
    for m in &a.access_mode_sufficient {
        let _ = writeln!(
            o,
            "<meta property=\"schema:accessModeSufficient\">{m}</meta>"
        );
    }
    for f in &a.features {
        let _ = writeln!(
            o,
            "<meta property=\"schema:accessibilityFeature\">{f}</meta>"
        );
    }
    let _ = writeln!(
        o,
        "<meta property=\"schema:accessibilityHazard\">none</meta>"
    );
    let _ = writeln!(
        o,
        // The summary is generated in English whatever the book's language; say so.
        "<meta property=\"schema:accessibilitySummary\" xml:lang=\"en\">{}</meta>",
        escape_text(&a.summary)
    );
    if docs.iter().any(|d| d.file == COVER_FILE) {
        // EPUB 2 readers (and older Kindle conversion) find the cover only this way;
        // EPUB 3.3 §D.1 allows it as a legacy `meta`.
        let _ = writeln!(o, "<meta name=\"cover\" content=\"cover-image\"/>");
    }
    let _ = writeln!(o, "</metadata>");

    let _ = writeln!(o, "<manifest>");
    let _ = writeln!(
        o,
        "<item id=\"nav\" href=\"{NAV_FILE}\" media-type=\"application/xhtml+xml\" properties=\"nav\"/>"
    );
    let _ = writeln!(
        o,
        "<item id=\"ncx\" href=\"{NCX_FILE}\" media-type=\"application/x-dtbncx+xml\"/>"
    );
    let _ = writeln!(
        o,
        "<item id=\"css\" href=\"{STYLESHEET}\" media-type=\"text/css\"/>"
    );
    for d in docs {
        let props = doc_properties(&d.xhtml)
            .map(|p| format!(" properties=\"{p}\""))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "<item id=\"{}\" href=\"{}\" media-type=\"application/xhtml+xml\"{props}/>",
            d.id,
            escape_attr(&d.file)
        );
    }
    for (i, (file, asset)) in plan.asset_files().iter().zip(&book.assets).enumerate() {
        let is_cover = meta.cover.is_some_and(|c| c.0 as usize == i);
        let (id, props) = if is_cover {
            ("cover-image".to_string(), " properties=\"cover-image\"")
        } else {
            (format!("img-{}", i + 1), "")
        };
        let _ = writeln!(
            o,
            "<item id=\"{id}\" href=\"{}\" media-type=\"{}\"{props}/>",
            escape_attr(file),
            asset.kind.media_type()
        );
    }
    if generated_cover {
        // Issue 14: the generated cover, the cover image of EPUB 3.3 §5.6.5.3.
        let _ = writeln!(
            o,
            "<item id=\"cover-image\" href=\"{}\" media-type=\"image/png\" properties=\"cover-image\"/>",
            super::furniture::GENERATED_COVER_FILE
        );
    }
    let _ = writeln!(o, "</manifest>");

    // pandoc's `dir: rtl` turns the pages right to left (EPUB 3.3 §5.7).
    let progression = match meta.dir {
        Some(Direction::Rtl) => " page-progression-direction=\"rtl\"",
        _ => "",
    };
    let _ = writeln!(o, "<spine toc=\"ncx\"{progression}>");
    let nav_after = nav_spine_position(plan, docs);
    for (i, d) in docs.iter().enumerate() {
        let _ = writeln!(o, "<itemref idref=\"{}\"/>", d.id);
        // pandoc's `toc: true`: the table of contents is read after the title page (and
        // the copyright page, the dedication and the epigraph: CMOS 1.4's order).
        // A book with a contents page but without `toc: true` has the navigation document
        // in the spine out of the reading order (`linear="no"`, EPUB 3.3 §5.7.3), so that
        // the `toc` landmark may point at it (issue 14; EPUBCheck RSC-011 refuses a link to
        // a document outside the spine); a book without one leaves it out, as pandoc does
        // without `--toc`.
        if i == nav_after && plan.book.contents_page() {
            if meta.toc {
                let _ = writeln!(o, "<itemref idref=\"nav\"/>");
            } else {
                let _ = writeln!(o, "<itemref idref=\"nav\" linear=\"no\"/>");
            }
        }
    }
    let _ = writeln!(o, "</spine>");

    // The EPUB 2 guide: legacy in EPUB 3.3 (§D.4) but still what calibre and older
    // readers use to find the cover and where to start.
    let _ = writeln!(o, "<guide>");
    if docs.iter().any(|d| d.file == COVER_FILE) {
        let _ = writeln!(
            o,
            "<reference type=\"cover\" title=\"{}\" href=\"{COVER_FILE}\"/>",
            escape_attr(plan.labels.cover)
        );
    }
    let _ = writeln!(
        o,
        "<reference type=\"title-page\" title=\"{}\" href=\"{TITLE_PAGE_FILE}\"/>",
        escape_attr(plan.labels.title_page)
    );
    if plan.book.contents_page() {
        let _ = writeln!(
            o,
            "<reference type=\"toc\" title=\"{}\" href=\"{NAV_FILE}\"/>",
            escape_attr(plan.contents_title())
        );
    }
    if let Some(first) = plan.first_body_file() {
        let _ = writeln!(
            o,
            "<reference type=\"text\" title=\"{}\" href=\"{}\"/>",
            escape_attr(plan.labels.start),
            escape_attr(first)
        );
    }
    let _ = writeln!(o, "</guide>");
    let _ = writeln!(o, "</package>");
    o
}

/// The index in `docs` after which the navigation document goes in the spine: after
/// the title page, the copyright page and the front matter that CMOS 1.4 sets before
/// the contents (a half title, a dedication, an epigraph).
fn nav_spine_position(plan: &Plan, docs: &[Doc]) -> usize {
    use crate::model::MatterRole;
    let mut at = docs
        .iter()
        .position(|d| d.file == TITLE_PAGE_FILE || d.file == super::furniture::COPYRIGHT_FILE)
        .unwrap_or(0);
    for (i, d) in docs.iter().enumerate().skip(at) {
        let before_contents = d.file == TITLE_PAGE_FILE
            || d.file == super::furniture::COPYRIGHT_FILE
            || plan.book.chapters.iter().enumerate().any(|(ci, c)| {
                plan.chapter_file(ci) == d.file
                    && plan.divisions.get(ci) == Some(&crate::model::Division::Front)
                    && matches!(
                        c.role(),
                        Some(
                            MatterRole::HalfTitle
                                | MatterRole::CopyrightPage
                                | MatterRole::Dedication
                                | MatterRole::Epigraph
                        )
                    )
            });
        if before_contents {
            at = i;
        } else {
            break;
        }
    }
    at
}

/// The EPUB navigation document (EPUB 3.3 §7): the TOC, landmarks and the print
/// edition's page list.
pub(crate) fn nav_xhtml(
    plan: &Plan,
    toc: &[TocEntry],
    has_cover: bool,
    pages: Option<&[PageEntry]>,
) -> String {
    let labels: &Labels = &plan.labels;
    let lang = escape_attr(&plan.lang);
    let mut o = String::new();
    let contents = plan.contents_title();
    let dir = plan
        .book
        .meta
        .dir
        .map(|d| format!(" dir=\"{}\"", d.as_str()))
        .unwrap_or_default();
    let _ = write!(
        o,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html>\n\
         <html xmlns=\"http://www.w3.org/1999/xhtml\" xmlns:epub=\"http://www.idpf.org/2007/ops\" \
         lang=\"{lang}\" xml:lang=\"{lang}\"{dir}>\n<head>\n<title>{}</title>\n\
         <link rel=\"stylesheet\" type=\"text/css\" href=\"{STYLESHEET}\"/>\n</head>\n<body>\n",
        escape_text(contents)
    );
    // role="doc-toc" matches epub:type="toc" (Ace: epub-type-has-matching-role).
    let _ = writeln!(
        o,
        "<nav epub:type=\"toc\" role=\"doc-toc\" id=\"toc\">\n<h1>{}</h1>",
        escape_text(contents)
    );
    nav_list(&mut o, toc);
    o.push_str("</nav>\n");
    // Landmarks (EPUB 3.3 §7.4.1.3) in reading order: cover, title page, contents, the
    // start of the text, the back matter, the notes. The navigation document is always
    // in the spine (see `content_opf`), so the `toc` landmark may point at it (issue 14:
    // readers' "Go to contents" uses it). The landmarks are hidden from the page when
    // the document is read (the `hidden` attribute, §7.4.1), as pandoc hides them.
    let _ = writeln!(
        o,
        "<nav epub:type=\"landmarks\" id=\"landmarks\" hidden=\"hidden\">\n<h2>{}</h2>\n<ol>",
        escape_text(labels.landmarks)
    );
    if has_cover {
        let _ = writeln!(
            o,
            "<li><a epub:type=\"cover\" href=\"{COVER_FILE}\">{}</a></li>",
            escape_text(labels.cover)
        );
    }
    let _ = writeln!(
        o,
        "<li><a epub:type=\"titlepage\" href=\"{TITLE_PAGE_FILE}\">{}</a></li>",
        escape_text(labels.title_page)
    );
    // The `toc` landmark only with a contents page: it must point into the spine
    // (EPUBCheck RSC-011), and a book without one keeps its nav out of the spine.
    if plan.book.contents_page() {
        let _ = writeln!(
            o,
            "<li><a epub:type=\"toc\" href=\"{NAV_FILE}#toc\">{}</a></li>",
            escape_text(contents)
        );
    }
    if let Some(first) = plan.first_body_file() {
        let _ = writeln!(
            o,
            "<li><a epub:type=\"bodymatter\" href=\"{}\">{}</a></li>",
            escape_attr(first),
            escape_text(labels.start)
        );
    }
    if let Some(back) = plan.first_back_file() {
        let _ = writeln!(
            o,
            "<li><a epub:type=\"backmatter\" href=\"{}\">{}</a></li>",
            escape_attr(back),
            escape_text(labels.back_matter)
        );
    }
    if !plan.book.notes.is_empty() {
        let _ = writeln!(
            o,
            "<li><a epub:type=\"endnotes\" href=\"{NOTES_FILE}\">{}</a></li>",
            escape_text(labels.notes)
        );
    }
    o.push_str("</ol>\n</nav>\n");
    // The page list (EPUB 3.3 §7.4.3 `page-list`: one flat `ol`, a non-empty label per
    // entry; DPUB-ARIA 1.1 `doc-pagelist`), hidden from the page (§7.4.1: reading
    // systems show it in their own "go to page").
    if let Some(pages) = pages.filter(|p| !p.is_empty()) {
        o.push_str("<nav epub:type=\"page-list\" role=\"doc-pagelist\" id=\"page-list\" hidden=\"hidden\">\n<ol>\n");
        for p in pages {
            let _ = writeln!(
                o,
                "<li><a href=\"{}\">{}</a></li>",
                escape_attr(&p.href),
                escape_text(&p.label)
            );
        }
        o.push_str("</ol>\n</nav>\n");
    }
    o.push_str("</body>\n</html>\n");
    o
}

fn nav_list(o: &mut String, entries: &[TocEntry]) {
    o.push_str("<ol>\n");
    for e in entries {
        let _ = write!(
            o,
            "<li><a href=\"{}\">{}</a>",
            escape_attr(&e.href),
            escape_text(&e.label)
        );
        if !e.children.is_empty() {
            o.push('\n');
            nav_list(o, &e.children);
        }
        o.push_str("</li>\n");
    }
    o.push_str("</ol>\n");
}

/// The NCX (OPF 2.0.1 §2.4.1), for EPUB 2 reading systems and older Kindle conversion.
pub(crate) fn toc_ncx(plan: &Plan, toc: &[TocEntry], pages: Option<&[PageEntry]>) -> String {
    let pages = pages.unwrap_or(&[]);
    // dtb:maxPageNumber: the largest arabic folio (0 when none, as with no pages).
    let max_page = pages
        .iter()
        .filter_map(|p| p.label.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    let depth = if toc.iter().any(|e| !e.children.is_empty()) {
        2
    } else {
        1
    };
    let mut o = String::new();
    let _ = write!(
        o,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <ncx xmlns=\"http://www.daisy.org/z3986/2005/ncx/\" version=\"2005-1\" xml:lang=\"{}\">\n<head>\n\
         <meta name=\"dtb:uid\" content=\"{}\"/>\n<meta name=\"dtb:depth\" content=\"{depth}\"/>\n\
         <meta name=\"dtb:totalPageCount\" content=\"{}\"/>\n<meta name=\"dtb:maxPageNumber\" content=\"{max_page}\"/>\n\
         </head>\n<docTitle><text>{}</text></docTitle>\n<navMap>\n",
        escape_attr(&plan.lang),
        escape_attr(&identifier(plan.book)),
        pages.len(),
        escape_text(&plan.book.meta.title)
    );
    let mut order = 0;
    ncx_points(&mut o, toc, &mut order);
    o.push_str("</navMap>\n");
    // The page list for EPUB 2 reading systems (NCX, Z39.86-2005 §8.4.2 `pageList`):
    // `type` is required; `value` only for arabic numbers. No `playOrder`: it is
    // optional, and would have to interleave with the navMap's.
    if !pages.is_empty() {
        o.push_str("<pageList>\n<navLabel><text>Pages</text></navLabel>\n");
        for (i, p) in pages.iter().enumerate() {
            let (kind, value) = match p.label.parse::<u32>() {
                Ok(n) => ("normal", format!(" value=\"{n}\"")),
                Err(_) => ("front", String::new()),
            };
            let _ = writeln!(
                o,
                "<pageTarget id=\"pagetarget-{}\" type=\"{kind}\"{value}><navLabel><text>{}</text></navLabel><content src=\"{}\"/></pageTarget>",
                i + 1,
                escape_text(&p.label),
                escape_attr(&p.href)
            );
        }
        o.push_str("</pageList>\n");
    }
    o.push_str("</ncx>\n");
    o
}

fn ncx_points(o: &mut String, entries: &[TocEntry], order: &mut u32) {
    for e in entries {
        *order += 1;
        let _ = write!(
            o,
            "<navPoint id=\"navpoint-{n}\" playOrder=\"{n}\"><navLabel><text>{}</text></navLabel>\
             <content src=\"{}\"/>",
            escape_text(&e.label),
            escape_attr(&e.href),
            n = *order
        );
        if !e.children.is_empty() {
            o.push('\n');
            ncx_points(o, &e.children, order);
        }
        o.push_str("</navPoint>\n");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::{Asset, AssetId, Chapter, Metadata};
    use crate::source::Span;

    fn book(blocks: Vec<Block>, cover: bool) -> Book {
        Book {
            meta: Metadata {
                title: "T".into(),
                cover: cover.then_some(AssetId(0)),
                ..Metadata::default()
            },
            chapters: vec![Chapter {
                title: None,
                id: "c".into(),
                attr: Default::default(),
                blocks,
                span: Span::default(),
            }],
            notes: vec![],
            assets: vec![Asset {
                path: "a.png".into(),
                href: "a.png".into(),
                kind: crate::model::ImageKind::Png,
                data: vec![],
            }],
        }
    }

    fn para_with_image(alt: &str) -> Block {
        Block::Paragraph {
            content: vec![Inline::Image {
                asset: AssetId(0),
                alt: alt.into(),
            }],
            span: Span::default(),
        }
    }

    #[test]
    fn text_only_book() {
        let a = a11y(&book(vec![], false));
        assert_eq!(a.access_modes, ["textual"]);
        assert_eq!(a.access_mode_sufficient, ["textual"]);
        assert!(!a.features.contains(&"alternativeText"));
        assert!(
            !a.features.contains(&"structuralNavigation"),
            "no headings at all"
        );
        assert!(a.summary.contains("no images"));
    }

    #[test]
    fn described_images_claim_alternative_text() {
        let a = a11y(&book(vec![para_with_image("A map")], true));
        assert_eq!(a.access_modes, ["textual", "visual"]);
        assert_eq!(a.access_mode_sufficient, ["textual", "textual,visual"]);
        assert!(a.features.contains(&"alternativeText"));
        assert!(a.summary.contains("2 images, all with alternative text"));
    }

    #[test]
    fn one_undescribed_image_drops_the_claims() {
        let a = a11y(&book(
            vec![para_with_image("A map"), para_with_image(" ")],
            false,
        ));
        assert_eq!(a.access_mode_sufficient, ["textual,visual"]);
        assert!(!a.features.contains(&"alternativeText"));
        assert!(
            a.summary.contains("1 without alternative text"),
            "{}",
            a.summary
        );
    }

    #[test]
    fn raw_html_images_count() {
        let img = HtmlNode::Element {
            name: "img".into(),
            attrs: vec![],
            children: vec![],
        };
        let a = a11y(&book(
            vec![Block::Html {
                nodes: vec![img],
                span: Span::default(),
            }],
            false,
        ));
        assert_eq!(a.access_modes, ["textual", "visual"]);
        assert!(!a.features.contains(&"alternativeText"));
    }

    #[test]
    fn identifiers() {
        let mut b = book(vec![], false);
        b.meta.identifier = Some(Identifier::Isbn("9780306406157".into()));
        assert_eq!(identifier(&b), "urn:isbn:9780306406157");
        b.meta.identifier = Some(Identifier::Uri("doi:10.1000/182".into()));
        assert_eq!(identifier(&b), "doi:10.1000/182");
        b.meta.identifier = None;
        let first = identifier(&b);
        assert!(first.starts_with("urn:uuid:"));
        assert_eq!(first, identifier(&b), "derived identifiers are stable");
        b.meta.authors = vec!["A".into()];
        assert_ne!(
            first,
            identifier(&b),
            "authors change the derived identifier"
        );
        assert_eq!(derived_uuid(&b).get_version_num(), 5);
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(w3c_date("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(w3c_date("2024"), Some((2024, 1, 1)));
        assert_eq!(w3c_date("Spring 2024"), None);
        assert_eq!(w3c_date("2024-13-01"), None);
        let mut b = book(vec![], false);
        assert_eq!(modified(&b, None), (2000, 1, 1, 0, 0, 0));
        b.meta.date = Some("2021-06-15".into());
        assert_eq!(modified(&b, None), (2021, 6, 15, 0, 0, 0));
        // 2024-01-01T01:02:03Z
        assert_eq!(modified(&b, Some(1_704_070_923)), (2024, 1, 1, 1, 2, 3));
    }

    #[test]
    fn properties_from_content() {
        assert_eq!(doc_properties("<p>x &lt;svg</p>"), None);
        assert_eq!(
            doc_properties("<svg xmlns=\"\"/><math/>").as_deref(),
            Some("mathml svg")
        );
    }
}
