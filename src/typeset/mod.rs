//! The typesetter: book model → pages (shape → break lines → paginate). See the PDF issue.

pub mod document;
pub mod linebreak;
pub mod style;
