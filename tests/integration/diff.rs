//! The diff: statuses, renames routed by both paths, and hostile file names that come out exact.

use serde_json::{json, Value};

use crate::support::{changed, layout, paths, source};

fn change<'a>(doc: &'a Value, path: &str) -> &'a Value {
    doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == path)
        .unwrap_or_else(|| panic!("no change for {path:?} in {doc:#}"))
}

#[test]
fn rename_out_of_app_and_back_changes_the_service_both_times() {
    let repo = layout();
    repo.write("app/notes.md", "a note that is long enough to be similar\n")
        .commit("note");
    let before = repo.head();
    repo.git(&["mv", "app/notes.md", "docs/notes.md"]);
    let moved = repo.commit("move to docs");
    let doc = repo.quest().args(["--base", &before]).json();
    assert_eq!(source(&doc), "explicit");
    assert_eq!(changed(&doc), ["service"]);
    assert_eq!(
        doc["changes"],
        json!([{"path": "docs/notes.md", "old_path": "app/notes.md", "status": "renamed"}])
    );
    assert_eq!(doc["targets"]["service"]["files"], json!(["docs/notes.md"]));

    repo.git(&["mv", "docs/notes.md", "app/notes.md"]);
    repo.commit("move back");
    let doc = repo.quest().args(["--base", &moved]).json();
    assert_eq!(changed(&doc), ["service"]);
    assert_eq!(change(&doc, "app/notes.md")["old_path"], "docs/notes.md");
    assert_eq!(source(&doc), "explicit");
}

#[test]
fn deletion_changes_the_target_that_owned_the_file() {
    let repo = layout();
    let before = repo.head();
    repo.remove("terraform/main.tf").commit("delete");
    let doc = repo.quest().args(["--base", &before]).json();
    assert_eq!(source(&doc), "explicit");
    assert_eq!(changed(&doc), ["infra"]);
    assert_eq!(
        doc["changes"],
        json!([{"path": "terraform/main.tf", "status": "deleted"}])
    );
}

#[test]
fn hostile_file_names_come_out_exactly() {
    let repo = layout();
    let before = repo.head();
    let names = [
        "app/with space.js",
        "app/ünïcødé-ファイル.js",
        "app/new\nline.js",
        "app/-leading-dash.js",
        "app/quote\"and'apostrophe.js",
        "app/$(touch pwned).js",
    ];
    for name in names {
        repo.write(name, "x\n");
    }
    repo.commit("hostile names");
    let doc = repo.quest().args(["--base", &before]).json();
    assert_eq!(source(&doc), "explicit");
    let mut got = paths(&doc);
    got.sort();
    let mut want: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(got, want);
    assert_eq!(changed(&doc), ["service"]);
    assert!(
        !repo.path.join("pwned").exists(),
        "a file name reached a shell"
    );

    // The text output keeps each name on one line.
    let text = repo
        .quest()
        .args(["--base", &before, "explain"])
        .run()
        .ok()
        .stdout;
    assert!(
        text.contains("\"app/new\\nline.js\"\n  service: included by paths[0] `app/**`"),
        "{text}"
    );
}

#[test]
fn non_utf8_file_names_are_lossless_in_json() {
    let repo = layout();
    let before = repo.head();
    repo.write_bytes(b"app/caf\xe9.js", b"latin-1 name\n");
    repo.commit("latin-1");
    let doc = repo.quest().args(["--base", &before]).json();
    assert_eq!(source(&doc), "explicit");
    let c = &doc["changes"][0];
    assert_eq!(doc["targets"]["service"]["changes"], json!([0]));
    assert_eq!(c["path"], "app/caf\u{fffd}.js");
    assert_eq!(c["path_hex"], "6170702f636166e92e6a73");
    assert_eq!(changed(&doc), ["service"]);
}

#[test]
fn symlinks_are_paths_like_any_other() {
    let repo = layout();
    let before = repo.head();
    std::os::unix::fs::symlink("../README.md", repo.path.join("app/readme-link")).unwrap();
    repo.commit("symlink");
    let doc = repo.quest().args(["--base", &before]).json();
    assert_eq!(source(&doc), "explicit");
    assert_eq!(
        doc["changes"],
        json!([{"path": "app/readme-link", "status": "added"}])
    );
    assert_eq!(changed(&doc), ["service"]);

    // A file replaced by a symlink is a type change.
    let before = repo.head();
    repo.remove("terraform/main.tf");
    std::os::unix::fs::symlink("../docs/guide.md", repo.path.join("terraform/main.tf")).unwrap();
    repo.commit("type change");
    let doc = repo.quest().args(["--base", &before]).json();
    assert_eq!(source(&doc), "explicit");
    assert_eq!(
        doc["changes"],
        json!([{"path": "terraform/main.tf", "status": "type-changed"}])
    );
    assert_eq!(changed(&doc), ["infra"]);
}

#[test]
fn submodule_bump_is_a_modified_path() {
    let lib = crate::support::Repo::new();
    lib.write("lib.js", "1\n").commit("lib 1");
    let repo = layout();
    repo.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        lib.path.to_str().unwrap(),
        "app/vendor/lib",
    ]);
    repo.commit("add submodule");
    let before = repo.head();
    let bumped = lib.write("lib.js", "2\n").commit("lib 2");
    let sub = repo.path.join("app/vendor/lib");
    crate::support::git_in(
        &sub,
        &["-c", "protocol.file.allow=always", "fetch", "-q", "origin"],
    );
    crate::support::git_in(&sub, &["checkout", "-q", &bumped]);
    repo.commit("bump submodule");
    let doc = repo.quest().args(["--base", &before]).json();
    assert_eq!(source(&doc), "explicit");
    assert_eq!(
        doc["changes"],
        json!([{"path": "app/vendor/lib", "status": "modified"}])
    );
    assert_eq!(changed(&doc), ["service"]);
}

#[test]
fn empty_commit_changes_nothing() {
    let repo = layout();
    let before = repo.head();
    repo.commit("empty");
    let doc = repo.quest().args(["--base", &before]).json();
    assert_eq!(source(&doc), "explicit");
    assert_eq!(doc["changes"], json!([]));
    assert_eq!(changed(&doc), Vec::<String>::new());
    assert_eq!(doc["uncertain"], false);
}

#[test]
fn paths_outside_every_target_start_nothing() {
    let repo = layout();
    let before = repo.head();
    repo.write("docs/guide.md", "v2\n")
        .write("README.md", "v2\n")
        .commit("docs");
    let doc = repo.quest().args(["--base", &before]).json();
    assert_eq!(source(&doc), "explicit");
    assert_eq!(changed(&doc), Vec::<String>::new());
    assert_eq!(paths(&doc), ["README.md", "docs/guide.md"]);
}
