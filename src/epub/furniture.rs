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
use std::fmt::Write as _;

pub(crate) use super::plan::COPYRIGHT_FILE;
/// Package path of the generated cover image.
pub(crate) const GENERATED_COVER_FILE: &str = "images/cover.png";

/// Whether the book gets a generated copyright page (see
/// [`crate::model::Book::copyright_page`]).
pub(crate) fn has_copyright_page(plan: &Plan) -> bool {
    plan.book.copyright_page()
}

/// The copyright page: rights, date, identifier (an ISBN as such), publisher.
pub(crate) fn copyright_page_document(plan: &Plan, mut marks: super::xhtml::Queue) -> String {
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
    // The PDF's copyright page (issue 17): its marker before its first line.
    marks.write_rest(&mut out);
    for line in crate::model::copyright_lines(plan.book) {
        let _ = writeln!(out, "<p>{}</p>", escape_text(&line));
    }
    out.push_str("</section>\n</body>\n</html>\n");
    out
}
