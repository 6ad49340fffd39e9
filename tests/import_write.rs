//! Writing an imported manuscript to a folder.
#![allow(clippy::unwrap_used)]

mod import_common;
use import_common::import_fixture;

#[test]
fn writes_every_file_into_a_new_folder() {
    let (_, imported) = import_fixture("dotted_blank_lines.txt");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("strike");
    quire::import::write(&imported, &out).unwrap();
    for (name, content) in &imported.files {
        assert_eq!(&std::fs::read_to_string(out.join(name)).unwrap(), content);
    }
}

#[test]
fn refuses_to_write_into_a_folder_that_holds_files() {
    let (_, imported) = import_fixture("dotted_blank_lines.txt");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("01-mine.md"), "# Mine\n").unwrap();
    let err = quire::import::write(&imported, dir.path()).unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}
