//! The document outline (bookmarks, ISO 32000-1 §12.3.3), nested by heading level.
//!
//! printpdf's own bookmarks are flat, point at the page only and are sorted by name
//! (anchors.md §4.2), so quire writes the outline itself: a tree in reading order, each
//! item going to its heading's position with `/XYZ left top null` (§12.3.2.2).

use super::metadata::text_string;
use crate::typeset::document::OutlineItem;
use lopdf::{Dictionary, Object, ObjectId};

/// One node while the tree is built.
struct Node {
    id: ObjectId,
    parent: Option<usize>,
    children: Vec<usize>,
}

/// Write the outline and return the `/Outlines` dictionary's id (None when there are no
/// items or no pages). `page_height` flips the Document's top-down y.
pub(crate) fn add_outline(
    doc: &mut lopdf::Document,
    items: &[OutlineItem],
    pages: &[ObjectId],
    page_height: f32,
) -> Option<ObjectId> {
    if items.is_empty() || pages.is_empty() {
        return None;
    }
    let root = doc.new_object_id();

    // Each item's parent is the nearest earlier item of a lower level, so a skipped
    // level (an h3 right under an h1) nests under the h1 instead of being lost.
    let mut nodes: Vec<Node> = Vec::with_capacity(items.len());
    let mut stack: Vec<(u8, usize)> = Vec::new();
    let mut top = Vec::new();
    for (i, item) in items.iter().enumerate() {
        while stack.last().is_some_and(|&(level, _)| level >= item.level) {
            stack.pop();
        }
        let parent = stack.last().map(|&(_, p)| p);
        nodes.push(Node {
            id: doc.new_object_id(),
            parent,
            children: Vec::new(),
        });
        match parent {
            Some(p) => nodes[p].children.push(i),
            None => top.push(i),
        }
        stack.push((item.level, i));
    }

    // Every item is open, so each /Count is the number of all its descendants
    // (§12.3.3, Table 153), computed bottom-up (children come after their parent).
    let mut counts = vec![0i64; nodes.len()];
    for i in (0..nodes.len()).rev() {
        counts[i] = nodes[i].children.iter().map(|&c| 1 + counts[c]).sum();
    }

    for (i, item) in items.iter().enumerate() {
        let node = &nodes[i];
        let siblings = match node.parent {
            Some(p) => &nodes[p].children,
            None => &top,
        };
        let pos = siblings.iter().position(|&s| s == i).unwrap_or(0);
        let page = pages[item.dest.page.min(pages.len() - 1)];
        let left = super::content::finite(item.dest.x);
        let topy = page_height - super::content::finite(item.dest.y);
        let mut dict = Dictionary::from_iter(vec![
            ("Title", text_string(&item.title)),
            (
                "Parent",
                Object::Reference(node.parent.map_or(root, |p| nodes[p].id)),
            ),
            (
                "Dest",
                Object::Array(vec![
                    Object::Reference(page),
                    Object::Name(b"XYZ".to_vec()),
                    Object::Real(left),
                    Object::Real(topy),
                    Object::Null,
                ]),
            ),
        ]);
        if pos > 0 {
            dict.set("Prev", Object::Reference(nodes[siblings[pos - 1]].id));
        }
        if let Some(&next) = siblings.get(pos + 1) {
            dict.set("Next", Object::Reference(nodes[next].id));
        }
        if let (Some(&first), Some(&last)) = (node.children.first(), node.children.last()) {
            dict.set("First", Object::Reference(nodes[first].id));
            dict.set("Last", Object::Reference(nodes[last].id));
            dict.set("Count", Object::Integer(counts[i]));
        }
        doc.set_object(node.id, dict);
    }

    let mut outlines = Dictionary::from_iter(vec![
        ("Type", Object::Name(b"Outlines".to_vec())),
        ("Count", Object::Integer(items.len() as i64)),
    ]);
    if let (Some(&first), Some(&last)) = (top.first(), top.last()) {
        outlines.set("First", Object::Reference(nodes[first].id));
        outlines.set("Last", Object::Reference(nodes[last].id));
    }
    doc.set_object(root, outlines);
    Some(root)
}
