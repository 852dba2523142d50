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

/// GitHub's anchor for a heading: lower case, spaces to `-`, and only letters, digits, `-` and
/// `_` kept; a repeated heading gets `-1`, `-2`, ...
fn anchors(markdown: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let text = line.trim_start_matches('#').trim();
        let slug: String = text
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect();
        let mut unique = slug.clone();
        let mut n = 0;
        while out.contains(&unique) {
            n += 1;
            unique = format!("{slug}-{n}");
        }
        out.push(unique);
    }
    out
}

/// The targets of the Markdown links `[text](target)` outside code, in order.
fn links(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Inline code spans are not links.
        let prose: String = line
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 0)
            .map(|(_, s)| s)
            .collect::<Vec<_>>()
            .join(" ");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            out.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    out
}

#[test]
fn every_relative_link_and_anchor_of_the_documentation_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in documents() {
        let text = std::fs::read_to_string(&file).unwrap();
        for target in links(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let linked = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap().join(path)
            };
            if !linked.exists() {
                broken.push(format!("{}: {target}: no such file", file.display()));
                continue;
            }
            if !anchor.is_empty() {
                let content = std::fs::read_to_string(&linked).unwrap_or_default();
                if !anchors(&content).iter().any(|a| a == anchor) {
                    broken.push(format!("{}: {target}: no such heading", file.display()));
                }
            }
        }
    }
    assert!(checked > 0, "the documentation links somewhere");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn github_anchors_follow_the_heading_text() {
    assert_eq!(
        anchors(
            "# Quick start\n```\n# not a heading\n```\n## `--since deployed`\n## Quick start\n"
        ),
        ["quick-start", "--since-deployed", "quick-start-1"]
    );
    assert_eq!(
        links("see [a](docs/a.md#x) and `[b](no)` and [c](#y)\n```\n[d](e)\n```\n"),
        ["docs/a.md#x", "#y"]
    );
}
