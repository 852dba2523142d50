//! The documentation's examples are real: every ```text block of `README.md` and `docs/` that
//! starts with `$ quest-changes explain PATH...` is run on this repository (its committed
//! `.quest-changes.yml`, its HEAD commit) and must print exactly what the block shows.

use std::path::{Path, PathBuf};

use crate::support::Quest;

/// The Markdown files of the documentation: the README and everything under `docs/`.
pub fn documents() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    if let Ok(entries) = std::fs::read_dir(root.join("docs")) {
        let mut docs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        docs.sort();
        files.extend(docs);
    }
    files
}

/// (file, command line, expected output) of every `$ quest-changes explain` example.
fn explain_examples() -> Vec<(PathBuf, String, String)> {
    let mut out = Vec::new();
    for file in documents() {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if line.trim() != "```text" {
                continue;
            }
            let block: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            let Some(command) = block.first().and_then(|l| l.strip_prefix("$ ")) else {
                continue;
            };
            if !command.starts_with("quest-changes explain ") {
                continue;
            }
            let mut expected = block[1..].join("\n");
            expected.push('\n');
            out.push((file.clone(), command.to_owned(), expected));
        }
    }
    out
}

#[test]
fn every_explain_example_is_what_the_binary_prints_on_this_repository() {
    let examples = explain_examples();
    assert!(
        examples.len() >= 2,
        "the documentation shows explain examples for a build and a root"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (file, command, expected) in examples {
        let args: Vec<&str> = command.split_whitespace().skip(1).collect();
        let run = Quest::new()
            .cwd(root)
            .args(&args)
            .args(["--color", "never"])
            .run();
        assert_eq!(
            run.code,
            0,
            "{}: `{command}`: {}",
            file.display(),
            run.stderr
        );
        assert_eq!(
            run.stdout,
            expected,
            "{}: `{command}` prints something else",
            file.display()
        );
    }
}
