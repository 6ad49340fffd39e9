//! The crate's shape, checked from its source: the top-level modules form a one-way graph
//! (no module uses one that uses it back, directly or through others), so do the files of
//! each folder module, the parser touches no file system, and no file names a path of one
//! particular machine. The README's "How it works" draws the graph this test reads.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, recursively, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The code of a file without its comments (doc links name modules without using them).
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .map(|l| match l.find("//") {
            // A `//` inside a string literal ("http://") is rare in this crate's paths
            // and would only hide code, never invent a use.
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `code` names the module path `path` (`crate::x`, `super::x`) as a whole word.
fn names(code: &str, path: &str) -> bool {
    code.match_indices(path).any(|(i, _)| {
        let after = code[i + path.len()..].chars().next();
        let before = code[..i].chars().next_back();
        !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
            && !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// The modules `code` uses among `candidates`, by `crate::name` or inside a
/// `use crate::{…}` group.
fn uses(code: &str, prefix: &str, candidates: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for c in candidates {
        if names(code, &format!("{prefix}::{c}")) {
            found.insert(c.clone());
        }
    }
    // `use crate::{a, b::c}`
    let group = format!("use {prefix}::{{");
    for (i, _) in code.match_indices(&group) {
        let rest = &code[i + group.len()..];
        let inner = &rest[..rest.find("};").unwrap_or(rest.len())];
        for item in inner.split([',', '{', '}', ' ', '\n']) {
            let head = item.split("::").next().unwrap_or("").trim();
            if candidates.contains(head) {
                found.insert(head.to_string());
            }
        }
    }
    found
}

/// A cycle in `graph`, if any, as the path that closes it.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(c) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

/// The top-level modules and what each uses.
fn top_level_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = src();
    let mut modules = BTreeSet::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name != "lib" && name != "main" && (path.is_dir() || name.ends_with("")) {
            modules.insert(name);
        }
    }
    let mut graph = BTreeMap::new();
    for module in &modules {
        let mut used = BTreeSet::new();
        let dir = src.join(module);
        let files = if dir.is_dir() {
            rust_files(&dir)
        } else {
            vec![src.join(format!("{module}.rs"))]
        };
        for file in files {
            used.extend(uses(&code(&file), "crate", &modules));
        }
        used.remove(module);
        graph.insert(module.clone(), used);
    }
    graph
}

#[test]
fn top_level_modules_form_a_one_way_graph() {
    let graph = top_level_graph();
    // The test reads what it should: the stages are there and use what they must.
    assert!(graph["parse"].contains("model"), "{graph:#?}");
    assert!(graph["pdf"].contains("typeset"), "{graph:#?}");
    assert!(graph["build"].contains("parse"), "{graph:#?}");
    // Issue 17: the EPUB knows the PDF's pages only through the plain data of
    // `pagemap`, never through the typesetter or the PDF writer.
    for backend in ["typeset", "pdf"] {
        assert!(!graph["epub"].contains(backend), "{graph:#?}");
    }
    assert!(graph["epub"].contains("pagemap"), "{graph:#?}");
    assert!(
        graph["memo"].is_empty(),
        "memo must import nothing: {graph:#?}"
    );
    if let Some(c) = cycle(&graph) {
        panic!("modules in a cycle: {}\n{graph:#?}", c.join(" -> "));
    }
    // The parser and the backends know nothing of each other.
    for (a, b) in [
        ("parse", "epub"),
        ("parse", "pdf"),
        ("parse", "typeset"),
        ("epub", "pdf"),
        ("epub", "typeset"),
        ("epub", "parse"),
        ("typeset", "parse"),
        ("pdf", "parse"),
    ] {
        assert!(!graph[a].contains(b), "{a} uses {b}");
    }
}

#[test]
fn the_files_of_each_folder_module_form_a_one_way_graph() {
    let src = src();
    for entry in std::fs::read_dir(&src).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let module = dir.file_name().unwrap().to_string_lossy().into_owned();
        let siblings: BTreeSet<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .filter(|n| n != "mod")
            .collect();
        let mut graph = BTreeMap::new();
        for file in &siblings {
            let code = code(&dir.join(format!("{file}.rs")));
            let mut used = uses(&code, "super", &siblings);
            used.extend(uses(&code, &format!("crate::{module}"), &siblings));
            used.remove(file);
            graph.insert(file.clone(), used);
        }
        if let Some(c) = cycle(&graph) {
            panic!("{module}: files in a cycle: {}\n{graph:#?}", c.join(" -> "));
        }
    }
}

#[test]
fn the_parser_touches_no_file_system() {
    for file in rust_files(&src().join("parse")) {
        let code = code(&file);
        for io in ["std::fs", "File::open", "read_dir", "canonicalize"] {
            assert!(
                !code.contains(io),
                "{} uses {io}: files are read by src/files.rs",
                file.display()
            );
        }
    }
}

#[test]
fn no_file_names_a_path_of_one_machine() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = rust_files(&root.join("src"));
    files.extend(rust_files(&root.join("tests")));
    files.extend(rust_files(&root.join("examples")));
    assert!(files.len() > 50, "{}", files.len());
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for machine in [
            "\"/work/",
            "\"/home/",
            "\"/root/",
            "\"/Users/",
            "../shared/",
        ] {
            // This file names them to look for them.
            if file.ends_with("architecture.rs") {
                continue;
            }
            assert!(
                !text.contains(machine),
                "{} names a machine's path ({machine})",
                file.display()
            );
        }
    }
}

#[test]
fn a_cycle_is_found_when_there_is_one() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    let candidates: BTreeSet<String> = ["parse", "pdf"].map(String::from).into();
    assert_eq!(
        uses(
            "use crate::{parse::x, pdf};\nlet p = crate::parsed;",
            "crate",
            &candidates
        ),
        candidates
    );
    assert!(uses("let p = crate::parsed;", "crate", &candidates).is_empty());
}
