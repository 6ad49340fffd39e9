//! The book's furniture in the EPUB (issue 14): the sections' semantics from the
//! chapters' matter roles, the copyright page, and the generated cover's file.
//!
//! - Each chapter's `<section>` carries the `epub:type` of its role (EPUB 3.3 §D.3, the
//!   Structural Semantics Vocabulary) and the matching DPUB-ARIA 1.1 `role` (EPUB
//!   Accessibility 1.1 §4 asks for ARIA roles where the vocabulary is used for
//!   accessibility; Ace's `epub-type-has-matching-role`); front and back matter documents
//!   carry their partition on `<body>` (SSV "Partitions": `frontmatter`, `backmatter`),
//!   so the landmarks and reading systems can tell the text from what surrounds it.
//! - The copyright page follows the title page (CMOS 1.19-1.20: the title page's verso
//!   in print; the next document here).

use super::plan::Plan;
use super::xhtml::{document_start, escape_text};
use crate::model::Division;
use std::fmt::Write as _;

/// Package path of the copyright page.
pub(crate) const COPYRIGHT_FILE: &str = "copyright.xhtml";
/// Package path of the generated cover image.
pub(crate) const GENERATED_COVER_FILE: &str = "images/cover.png";

/// The `<body>` and `<section>` attributes of chapter `index`: the partition on the body
/// (none for the text, as before), the role's type and ARIA role on the section (a
/// chapter's when it has none).
pub(crate) fn chapter_semantics(plan: &Plan, index: usize) -> (&'static str, String) {
    let Some(chapter) = plan.book.chapters.get(index) else {
        return ("", String::new());
    };
    let division = plan.divisions.get(index).copied().unwrap_or(Division::Body);
    let body = match division {
        Division::Front => " epub:type=\"frontmatter\"",
        Division::Body => "",
        Division::Back => " epub:type=\"backmatter\"",
    };
    let section = match chapter.role() {
        // A role the vocabulary names: its type, and its ARIA role where DPUB-ARIA has
        // one (none for a half title or a copyright page).
        Some(role) => match (role.epub_type(), role.aria_role()) {
            (Some(t), Some(r)) => format!(" epub:type=\"{t}\" role=\"{r}\""),
            (Some(t), None) => format!(" epub:type=\"{t}\""),
            // `frontmatter`/`backmatter` alone: the partition on the body says it.
            _ => String::new(),
        },
        None => " epub:type=\"chapter\" role=\"doc-chapter\"".to_string(),
    };
    (body, section)
}

/// Whether the book gets a generated copyright page (see
/// [`crate::model::Book::copyright_page`]).
pub(crate) fn has_copyright_page(plan: &Plan) -> bool {
    plan.book.copyright_page()
}

/// The copyright page: rights, date, identifier (an ISBN as such), publisher.
pub(crate) fn copyright_page_document(plan: &Plan) -> String {
    let mut out = String::new();
    document_start(&mut out, plan, plan.labels.copyright);
    // No DPUB-ARIA role matches `copyright-page`, and a copyright page has no visible
    // heading (CMOS 1.19): the section is named for assistive technology by `aria-label`.
    let _ = writeln!(
        out,
        "<body class=\"copyright\" epub:type=\"frontmatter\">\n\
         <section epub:type=\"copyright-page\" aria-label=\"{}\">",
        super::xhtml::escape_attr(plan.labels.copyright)
    );
    for line in crate::model::copyright_lines(plan.book) {
        let _ = writeln!(out, "<p>{}</p>", escape_text(&line));
    }
    out.push_str("</section>\n</body>\n</html>\n");
    out
}
