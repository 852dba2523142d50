//! The pattern table of docs/routing.md, row by row, through the library and (for a sample) the CLI.

use std::path::Path;

use quest_changes::config::Config;
use quest_changes::detect::diff::{Change, Status};
use quest_changes::detect::route::Router;
use quest_changes::path::RepoPath;

struct Row {
    rules: Vec<String>,
    path: String,
    matches: bool,
}

/// The code spans of a table cell, in order.
fn code_spans(cell: &str) -> Vec<String> {
    cell.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_owned())
        .collect()
}

fn table() -> Vec<Row> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/routing.md"))
            .unwrap();
    let start = readme
        .find("| Rules | Path | Matches |")
        .expect("docs/routing.md has the pattern table");
    readme[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
            assert_eq!(cells.len(), 3, "malformed row: {line}");
            let path = code_spans(cells[1]);
            assert_eq!(path.len(), 1, "one path per row: {line}");
            let matches = match cells[2] {
                "yes" => true,
                "no" => false,
                other => panic!("Matches must be yes or no, not {other}: {line}"),
            };
            Row {
                rules: code_spans(cells[0]),
                path: path[0].clone(),
                matches,
            }
        })
        .collect()
}

fn config_for(rules: &[String]) -> Config {
    let quoted: Vec<String> = rules
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    let yaml = format!(
        "version: 1\ntargets:\n  t:\n    kind: custom\n    paths: [{}]\n",
        quoted.join(", ")
    );
    Config::parse(&yaml, Path::new("row.yml")).unwrap_or_else(|e| panic!("{rules:?}: {e}"))
}

#[test]
fn every_row_of_the_readme_pattern_table_holds() {
    let rows = table();
    assert!(rows.len() >= 40, "the table lost rows: {}", rows.len());
    let mut failures = Vec::new();
    for row in &rows {
        let router = Router::new(&config_for(&row.rules)).unwrap();
        let change = Change {
            status: Status::Modified,
            path: RepoPath::from(row.path.as_str()),
            old_path: None,
        };
        let routed = router.route(&[change], false)["t"].changed;
        if routed != row.matches {
            failures.push(format!(
                "{:?} on {:?}: expected {}, got {routed}",
                row.rules, row.path, row.matches
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn table_rows_hold_through_the_cli_on_real_files() {
    // A sample that needs real files: dotfiles, spaces, deep paths, the last-match rule.
    let repo = crate::support::Repo::new();
    repo.write("base.txt", "x\n");
    let before = repo.commit("base");
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  readme:\n    kind: custom\n    paths: ['*.md', '!README.md', 'README*']\n  js:\n    kind: custom\n    paths: ['**.js']\n  dot:\n    kind: custom\n    paths: ['*']\n",
    );
    repo.write("README.md", "x\n")
        .write("src/js/app.js", "x\n")
        .write(".env", "x\n");
    repo.commit("files");
    let doc = repo.quest().args(["--base", &before]).json();
    assert_eq!(
        doc["targets"]["readme"]["files"],
        serde_json::json!(["README.md"])
    );
    assert_eq!(
        doc["targets"]["js"]["files"],
        serde_json::json!(["src/js/app.js"])
    );
    assert_eq!(
        doc["targets"]["dot"]["files"],
        serde_json::json!([".env", ".quest-changes.yml", "README.md"])
    );
}
