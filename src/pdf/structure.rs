//! A minimal logical structure (tagged PDF, ISO 32000-1 §14.7–14.8): one `/Span`
//! structure element per page, whose kids are the page's marked runs (MCIDs) in reading
//! order, under one `/Document` element. (One element per run cost an lopdf dictionary
//! per run, a sixth of a long book's peak memory, and said nothing more: the runs carry
//! no roles either way.)
//!
//! The Document the writer receives carries no roles (heading, paragraph, list), so the
//! tree cannot say more than "this text, in this order" — which is what assistive
//! technology and reflow need first. Rules and images are marked as artifacts in the
//! content stream (see [`super::content`]). Richer roles need the typesetter to pass
//! them on.

use lopdf::{Dictionary, Object, ObjectId};

/// Add `/StructTreeRoot`, `/MarkInfo` and the pages' `/StructParents`. `runs[i]` is the
/// number of marked runs (MCIDs 0..n) on page `i`.
pub(crate) fn add_structure(
    doc: &mut lopdf::Document,
    pages: &[ObjectId],
    runs: &[usize],
    catalog: ObjectId,
) {
    let root_id = doc.new_object_id();
    let document_id = doc.new_object_id();
    let mut kids = Vec::new();
    let mut nums = Vec::new();
    for (index, (&page, &count)) in pages.iter().zip(runs).enumerate() {
        let mut parents = Vec::new();
        if count > 0 {
            // §14.7.2: an element's K may be an array of MCIDs, all on its /Pg.
            let mcids = (0..count).map(|m| Object::Integer(m as i64)).collect();
            let span = doc.add_object(Dictionary::from_iter(vec![
                ("Type", Object::Name(b"StructElem".to_vec())),
                ("S", Object::Name(b"Span".to_vec())),
                ("P", Object::Reference(document_id)),
                ("Pg", Object::Reference(page)),
                ("K", Object::Array(mcids)),
            ]));
            kids.push(Object::Reference(span));
            parents = vec![Object::Reference(span); count];
        }
        // The parent tree maps each page's MCIDs back to their element (§14.7.4.4).
        nums.push(Object::Integer(index as i64));
        nums.push(Object::Reference(doc.add_object(Object::Array(parents))));
        if let Ok(dict) = doc.get_dictionary_mut(page) {
            dict.set("StructParents", Object::Integer(index as i64));
            // Tab order follows the structure (required by PDF/UA, harmless elsewhere).
            dict.set("Tabs", Object::Name(b"S".to_vec()));
        }
    }
    doc.set_object(
        document_id,
        Dictionary::from_iter(vec![
            ("Type", Object::Name(b"StructElem".to_vec())),
            ("S", Object::Name(b"Document".to_vec())),
            ("P", Object::Reference(root_id)),
            ("K", Object::Array(kids)),
        ]),
    );
    let parent_tree = doc.add_object(Dictionary::from_iter(vec![("Nums", Object::Array(nums))]));
    doc.set_object(
        root_id,
        Dictionary::from_iter(vec![
            ("Type", Object::Name(b"StructTreeRoot".to_vec())),
            ("K", Object::Reference(document_id)),
            ("ParentTree", Object::Reference(parent_tree)),
            ("ParentTreeNextKey", Object::Integer(pages.len() as i64)),
        ]),
    );
    if let Ok(cat) = doc.get_dictionary_mut(catalog) {
        cat.set("StructTreeRoot", Object::Reference(root_id));
        cat.set(
            "MarkInfo",
            Dictionary::from_iter(vec![("Marked", Object::Boolean(true))]),
        );
    }
}
