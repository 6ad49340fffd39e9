//! The typesetter: book model → pages (shape → break lines → paginate). See the PDF issue.

pub mod document;
pub mod hyphenate;
pub mod items;
pub mod linebreak;
pub mod lines;
pub mod paginate;
pub mod shape;
pub mod style;
