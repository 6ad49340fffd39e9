//! Rewriting every inline of a block tree in reading order. The passes that run after
//! all files are read (notes, links, images) are built on it.
//!
//! Recursion here is bounded: the Markdown and HTML stages cap nesting depth.

use crate::model::{Block, Inline};

/// What a rewrite puts in an inline's place: most inlines stay as they are, and a
/// `Vec` of one for each was an allocation per inline of the book, per pass.
pub(crate) enum Rewritten {
    /// The inline (changed or not).
    One(Inline),
    /// Any number of inlines (none drops it).
    Many(Vec<Inline>),
}

impl From<Vec<Inline>> for Rewritten {
    fn from(inlines: Vec<Inline>) -> Rewritten {
        Rewritten::Many(inlines)
    }
}

/// Calls `f` once on every inline of `blocks` in reading order (a container's children
/// before the container), replacing it by what `f` returns.
pub(crate) fn rewrite_blocks(blocks: &mut [Block], f: &mut dyn FnMut(Inline) -> Rewritten) {
    for block in blocks {
        match block {
            Block::Paragraph { content, .. } | Block::Heading { content, .. } => {
                rewrite_inlines(content, f)
            }
            Block::BlockQuote { blocks, .. } => rewrite_blocks(blocks, f),
            Block::List { items, .. } => {
                for item in items {
                    rewrite_blocks(item, f);
                }
            }
            Block::Table {
                head,
                rows,
                caption,
                ..
            } => {
                // The caption first: it is set above the table (as `<caption>` is).
                rewrite_inlines(caption, f);
                for cell in head.iter_mut().chain(rows.iter_mut().flatten()) {
                    rewrite_blocks(cell, f);
                }
            }
            Block::Figure { image, caption, .. } => {
                rewrite_inlines(image, f);
                rewrite_inlines(caption, f);
            }
            Block::CodeBlock { .. } | Block::ThematicBreak { .. } | Block::Html { .. } => {}
            // pandoc's block constructs (issue 12).
            Block::LineBlock { lines, .. } => {
                for line in lines {
                    rewrite_inlines(line, f);
                }
            }
            Block::Div { blocks, .. } => rewrite_blocks(blocks, f),
            Block::DefinitionList { items, .. } => {
                for item in items {
                    rewrite_inlines(&mut item.term, f);
                    for definition in &mut item.definitions {
                        rewrite_blocks(definition, f);
                    }
                }
            }
        }
    }
}

/// [`rewrite_blocks`] for one inline list.
pub(crate) fn rewrite_inlines(inlines: &mut Vec<Inline>, f: &mut dyn FnMut(Inline) -> Rewritten) {
    let old = std::mem::replace(inlines, Vec::with_capacity(inlines.len()));
    for mut inline in old {
        // Children first: `f` then sees each inline exactly once, also when it replaces a
        // container by its content (an unresolved link keeps its text, and an image inside
        // it must still be resolved).
        match &mut inline {
            Inline::Emphasis(c)
            | Inline::Strong(c)
            | Inline::Strikethrough(c)
            | Inline::Superscript(c)
            | Inline::Subscript(c)
            | Inline::Link { content: c, .. }
            | Inline::Span { content: c, .. }
            | Inline::Math { content: c, .. } => rewrite_inlines(c, f),
            _ => {}
        }
        match f(inline) {
            Rewritten::One(new) => push_merged(inlines, new),
            Rewritten::Many(news) => {
                for new in news {
                    push_merged(inlines, new);
                }
            }
        }
    }
}

/// Pushes `new`, keeping text merged when a replacement leaves two texts side by side.
fn push_merged(inlines: &mut Vec<Inline>, new: Inline) {
    if let (Inline::Text(t), Some(Inline::Text(prev))) = (&new, inlines.last_mut()) {
        prev.push_str(t);
        return;
    }
    inlines.push(new);
}
