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
    block_lists(blocks, &mut |list| rewrite_inlines(list, f));
}

/// Calls `f` on each block's own inline lists in `blocks`, in reading order (a
/// paragraph's or heading's content, a table's caption then its cells' blocks, a
/// figure's image then caption, verse lines, a definition's term then its blocks): the
/// one walk over the block tree the passes below share.
fn block_lists(blocks: &mut [Block], f: &mut dyn FnMut(&mut Vec<Inline>)) {
    for block in blocks {
        match block {
            Block::Paragraph { content, .. } | Block::Heading { content, .. } => f(content),
            Block::BlockQuote { blocks, .. } | Block::Div { blocks, .. } => block_lists(blocks, f),
            Block::List { items, .. } => {
                for item in items {
                    block_lists(item, f);
                }
            }
            Block::Table {
                head,
                rows,
                caption,
                ..
            } => {
                // The caption first: it is set above the table (as `<caption>` is).
                f(caption);
                for cell in head.iter_mut().chain(rows.iter_mut().flatten()) {
                    block_lists(cell, f);
                }
            }
            Block::Figure { image, caption, .. } => {
                f(image);
                f(caption);
            }
            Block::CodeBlock { .. } | Block::ThematicBreak { .. } | Block::Html { .. } => {}
            // pandoc's block constructs (issue 12).
            Block::LineBlock { lines, .. } => lines.iter_mut().for_each(&mut *f),
            Block::DefinitionList { items, .. } => {
                for item in items {
                    f(&mut item.term);
                    for definition in &mut item.definitions {
                        block_lists(definition, f);
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
            // Issue 16: links and images in a citation's prefix and suffix are resolved
            // too (the fallback is only the citation's text, shown without a
            // bibliography).
            Inline::Cite(c) => {
                for item in &mut c.items {
                    rewrite_inlines(&mut item.prefix, f);
                    rewrite_inlines(&mut item.suffix, f);
                }
                rewrite_inlines(&mut c.fallback, f);
            }
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

/// Calls `f` on every list of inlines in `blocks` (a paragraph's, a heading's, a
/// cell's, and the children of every inline container), inner lists first: for passes
/// that look at an inline's neighbours (issue 16: a note mark moved after the
/// punctuation that follows it).
pub(crate) fn for_each_inline_list(blocks: &mut [Block], f: &mut dyn FnMut(&mut Vec<Inline>)) {
    block_lists(blocks, &mut |list| inline_lists(list, f));
}

/// [`for_each_inline_list`] for one list and the lists inside it.
fn inline_lists(inlines: &mut Vec<Inline>, f: &mut dyn FnMut(&mut Vec<Inline>)) {
    for inline in inlines.iter_mut() {
        match inline {
            Inline::Emphasis(c)
            | Inline::Strong(c)
            | Inline::Strikethrough(c)
            | Inline::Superscript(c)
            | Inline::Subscript(c)
            | Inline::Link { content: c, .. }
            | Inline::Span { content: c, .. }
            | Inline::Math { content: c, .. } => inline_lists(c, f),
            _ => {}
        }
    }
    f(inlines);
}

/// Whether some inline of `blocks`, at any depth, satisfies `f` (a read-only scan: no
/// list is rebuilt).
pub(crate) fn any_inline(blocks: &[Block], f: &dyn Fn(&Inline) -> bool) -> bool {
    fn inlines(list: &[Inline], f: &dyn Fn(&Inline) -> bool) -> bool {
        list.iter().any(|i| {
            f(i) || match i {
                Inline::Emphasis(c)
                | Inline::Strong(c)
                | Inline::Strikethrough(c)
                | Inline::Superscript(c)
                | Inline::Subscript(c)
                | Inline::Link { content: c, .. }
                | Inline::Span { content: c, .. }
                | Inline::Math { content: c, .. } => inlines(c, f),
                _ => false,
            }
        })
    }
    blocks.iter().any(|block| match block {
        Block::Paragraph { content, .. } | Block::Heading { content, .. } => inlines(content, f),
        Block::BlockQuote { blocks, .. } => any_inline(blocks, f),
        Block::List { items, .. } => items.iter().any(|item| any_inline(item, f)),
        Block::Table {
            head,
            rows,
            caption,
            ..
        } => {
            inlines(caption, f)
                || head.iter().any(|c| any_inline(c, f))
                || rows.iter().flatten().any(|c| any_inline(c, f))
        }
        Block::Figure { image, caption, .. } => inlines(image, f) || inlines(caption, f),
        Block::LineBlock { lines, .. } => lines.iter().any(|l| inlines(l, f)),
        Block::Div { blocks, .. } => any_inline(blocks, f),
        Block::DefinitionList { items, .. } => items.iter().any(|item| {
            inlines(&item.term, f) || item.definitions.iter().any(|d| any_inline(d, f))
        }),
        Block::CodeBlock { .. } | Block::ThematicBreak { .. } | Block::Html { .. } => false,
    })
}
