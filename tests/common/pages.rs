//! Reading the print edition's pages back from both outputs (issue 17): the EPUB's page
//! list and the text after each marker, the PDF's text page by page (`pdftotext`).

#![allow(dead_code)]

use std::io::{Cursor, Read};
use std::path::Path;

/// One entry of the EPUB's page list, with the text that follows its marker.
#[derive(Debug, Clone)]
pub struct Mark {
    pub label: String,
    pub file: String,
    pub id: String,
    /// The document's text after the marker, markup removed, normalised (see [`norm`]).
    pub after: String,
    /// The character right before the marker in the document's text (markup removed).
    pub before: Option<char>,
    /// Whether another marker follows with no text between (a page with no text).
    pub empty: bool,
    /// Whether the marker opens a list item (whose number the EPUB's CSS draws).
    pub list_item: bool,
}

pub fn entry(epub: &[u8], name: &str) -> Option<String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(epub)).ok()?;
    let mut f = zip.by_name(&format!("OEBPS/{name}")).ok()?;
    let mut s = String::new();
    f.read_to_string(&mut s).ok()?;
    Some(s)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Text without markup; markers become U+E000 so they can be found.
fn strip(xhtml: &str) -> String {
    let mut out = String::new();
    let mut rest = xhtml;
    while let Some(i) = rest.find('<') {
        out.push_str(&unescape(&rest[..i]));
        let Some(j) = rest[i..].find('>') else { break };
        let tag = &rest[i..i + j + 1];
        if tag.contains("epub:type=\"pagebreak\"") {
            let id = tag.split("id=\"").nth(1).and_then(|t| t.split('"').next());
            out.push('\u{E000}');
            out.push_str(id.unwrap_or(""));
            out.push('\u{E001}');
        } else if tag.starts_with("<br") || tag.starts_with("<p") || tag.starts_with("</p") {
            out.push(' ');
        }
        rest = &rest[i + j + 1..];
    }
    out
}

/// Lowercase letters and digits only: what both outputs agree on, whatever their
/// spacing, quotes, hyphens or running heads.
pub fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The page list of `epub` and what follows each marker.
pub fn marks(epub: &[u8]) -> Vec<Mark> {
    let nav = entry(epub, "nav.xhtml").expect("nav.xhtml");
    let Some(start) = nav.find("epub:type=\"page-list\"") else {
        return Vec::new();
    };
    let list = &nav[start..nav[start..].find("</nav>").map_or(nav.len(), |e| start + e)];
    let mut docs = std::collections::BTreeMap::<String, String>::new();
    let mut out = Vec::new();
    for li in list.split("<a href=\"").skip(1) {
        let href = &li[..li.find('"').unwrap()];
        let label = &li[li.find('>').unwrap() + 1..li.find("</a>").unwrap()];
        let (file, id) = href.split_once('#').expect("a fragment");
        let raw = entry(epub, file).expect("the marker's document");
        let tag_at = raw
            .find(&format!("id=\"{id}\""))
            .and_then(|i| raw[..i].rfind('<'))
            .unwrap_or(0);
        let list_item = raw[..tag_at].ends_with("<li>");
        let text = docs.entry(file.to_string()).or_insert_with(|| strip(&raw));
        let key = format!("\u{E000}{id}\u{E001}");
        let at = text
            .find(&key)
            .unwrap_or_else(|| panic!("no marker {id} in {file}"));
        assert_eq!(text.matches(&key).count(), 1, "marker {id} twice");
        let after_raw = &text[at + key.len()..];
        let empty = after_raw.trim_start().starts_with('\u{E000}');
        let after: String = {
            // Skip the markers that follow (pages with no text of their own).
            let mut s = String::new();
            let mut skip = false;
            for c in after_raw.chars().take(4000) {
                match c {
                    '\u{E000}' => skip = true,
                    '\u{E001}' => skip = false,
                    c if !skip => s.push(c),
                    _ => {}
                }
            }
            norm(&s)
        };
        // The character before the marker, other markers skipped.
        let before = {
            let mut chars = text[..at].chars().rev().peekable();
            while chars.peek() == Some(&'\u{E001}') {
                for c in chars.by_ref() {
                    if c == '\u{E000}' {
                        break;
                    }
                }
            }
            chars.next()
        };
        out.push(Mark {
            label: unescape(label),
            file: file.to_string(),
            id: id.to_string(),
            after,
            before,
            empty,
            list_item,
        });
    }
    out
}

/// The PDF's text, page by page (`pdftotext`, pages split at form feeds); `None` when
/// poppler is not installed.
pub fn pdf_pages(pdf: &Path) -> Option<Vec<String>> {
    // `-layout`: lines as they stand on the page, so the folio stays a line of its own
    // (in reading order poppler may join it to the last line of text).
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_string).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    Some(pages)
}

/// Checks that the EPUB's page list is the PDF's pages: one entry per page, each marker
/// right before the words that begin its page (after the running heads: `heads`, the
/// book's title and its chapters' titles). Returns how many pages had no text of their
/// own (their markers share the next page's place).
pub fn check_pages(
    epub: &[u8],
    pdf: &Path,
    title: &str,
    heads: &std::collections::BTreeMap<String, String>,
) -> usize {
    let marks = marks(epub);
    let Some(pages) = pdf_pages(pdf) else {
        eprintln!("pdftotext not found: only the counts are checked");
        assert!(!marks.is_empty());
        return 0;
    };
    assert_eq!(marks.len(), pages.len(), "one page-list entry per PDF page");
    let title = norm(title);
    let mut empty = 0;
    for (n, (mark, page)) in marks.iter().zip(&pages).enumerate() {
        let mut page = page.as_str();
        // The label is the printed folio, when the page prints one (its last line: a
        // number, or roman numerals in the front matter); a blind folio is counted.
        assert!(!mark.label.trim().is_empty(), "page {} label", n + 1);
        let folio = page
            .lines()
            .rev()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("");
        // The title page's folio is blind; its last line may be the date ("1869").
        let title_page = mark.file.ends_with("titlepage.xhtml");
        let printed = !title_page
            && !folio.is_empty()
            && (folio.chars().all(|c| c.is_ascii_digit())
                || folio.chars().all(|c| "ivxlcdm".contains(c)));
        if printed {
            assert_eq!(mark.label, folio, "page {} label", n + 1);
            // The folio is not text of the page's own.
            if let Some(at) = page.rfind(folio) {
                page = &page[..at];
            }
        }
        if let Some(c) = mark.before {
            // Never inside a word (a page never begins after a hyphenated line).
            assert!(
                !c.is_alphanumeric(),
                "page {}: marker inside a word (after {c:?}) in {}",
                n + 1,
                mark.file
            );
        }
        if mark.empty {
            empty += 1;
            continue;
        }
        let mut body = norm(page);
        // Running heads: the title, then the chapter's (on every page but the first).
        if printed {
            // Running heads go with the folio (none on the title or copyright page).
            // The chapter's head is the chapter the page begins in (or a new one).
            let head = heads.get(&mark.file).map(|h| norm(h)).unwrap_or_default();
            for h in [&title, &head] {
                if !h.is_empty() && body.starts_with(h.as_str()) {
                    body = body[h.len()..].to_string();
                }
            }
        }
        // The first page is the title page: its title may break across lines
        // differently in the two, so only the title is compared.
        let take = if n == 0 { title.len().min(24) } else { 24 };
        let mut want: String = mark.after.chars().take(take).collect();
        if body.is_empty() {
            // A page with no text in the PDF (a picture alone): nothing to compare.
            empty += 1;
            continue;
        }
        // A page with less text than that (a picture and its caption).
        want = want.chars().take(body.chars().count()).collect();
        if mark.list_item {
            // The PDF sets the item's number before its text; the EPUB's CSS draws it.
            if let Some(k) = (1..=4).find(|&k| body.get(k..).is_some_and(|b| b.starts_with(&want)))
            {
                body = body[k..].to_string();
            }
        }
        let got: String = body.chars().take(want.chars().count()).collect();
        assert_eq!(
            got,
            want,
            "page {}: the PDF page begins {:?}, the EPUB's marker is before {:?} ({}#{})",
            n + 1,
            body.chars().take(60).collect::<String>(),
            mark.after.chars().take(60).collect::<String>(),
            mark.file,
            mark.id
        );
    }
    empty
}
