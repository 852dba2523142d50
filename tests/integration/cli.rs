//! The command line as a whole: exit codes, environment variables, `explain`, broken pipes.

use std::io::Read as _;
use std::process::{Command, Stdio};

use serde_json::json;

use crate::support::{layout, Quest, Repo, BIN};

#[test]
fn help_and_version_succeed() {
    let help = Quest::new().arg("--help").run().ok();
    for flag in [
        "--base",
        "--head",
        "--format",
        "--dry-run",
        "--strict",
        "--uncommitted",
        "--max-fetch-depth",
        "QUEST_BASE",
    ] {
        assert!(help.stdout.contains(flag), "--help documents {flag}");
    }
    let version = Quest::new().arg("--version").run().ok();
    assert_eq!(
        version.stdout,
        format!("quest-changes {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2() {
    let run = Quest::new().arg("--no-such-flag").run();
    assert_eq!(run.code, 2);
    let run = Quest::new().args(["--format", "yaml"]).run();
    assert_eq!(run.code, 2);
    let repo = layout();
    let run = repo.quest().args(["--max-fetch-depth", "0"]).run();
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr, "error: --max-fetch-depth must be at least 1\n");
    let run = repo.quest().args(["explain", "--format", "circleci"]).run();
    assert_eq!(run.code, 2);
}

#[test]
fn an_empty_repository_is_a_clear_error() {
    let repo = Repo::new();
    let config = repo.sibling("patterns.yml");
    std::fs::write(&config, crate::support::PATTERN_TARGETS).unwrap();
    let config = config.to_str().unwrap();
    // Every command that needs a commit says it the same way, with or without a configuration.
    for args in [
        &[][..],
        &["--uncommitted"],
        &["explain"],
        &["explain", "app/a.js"],
        &["--config", config],
        &["--config", config, "--uncommitted"],
        &["--config", config, "explain", "app/a.js"],
    ] {
        let run = repo.quest().args(args).run();
        assert_eq!(run.code, 11, "{args:?}");
        assert_eq!(
            run.stderr, "error: failed to find a head commit: the repository has no commits yet\n",
            "{args:?}"
        );
    }
}

#[test]
fn environment_variables_stand_for_flags() {
    let repo = layout();
    let before = repo.head();
    repo.write("terraform/x.tf", "#\n").commit("infra");
    let run = repo
        .quest()
        .env("QUEST_BASE", &before)
        .env("QUEST_FORMAT", "json")
        .run()
        .ok();
    let doc = run.json();
    assert_eq!(doc["base"], before);
    assert_eq!(doc["targets"]["infra"]["changed"], true);
    // The flag wins over the variable.
    let head = repo.head();
    let doc = repo
        .quest()
        .env("QUEST_BASE", &before)
        .args(["--base", &head])
        .json();
    assert_eq!(doc["base"], head);
}

#[test]
fn explain_names_the_deciding_rule_of_each_target() {
    let repo = layout();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  service:\n    kind: ecs-service\n    paths: [\"app/**\", \"!app/**/*.md\"]\n  docs:\n    kind: custom\n    paths: [\"**.md\"]\n",
    );
    repo.commit("config");
    let out = repo
        .quest()
        .args([
            "explain",
            "app/README.md",
            "app/server.js",
            "terraform/main.tf",
        ])
        .run()
        .ok()
        .stdout;
    assert_eq!(
        out,
        "app/README.md\n  service: excluded by paths[1] `!app/**/*.md`\n  docs: included by paths[0] `**.md`\n\
         app/server.js\n  service: included by paths[0] `app/**`\n  docs: no rule matched\n\
         terraform/main.tf\n  service: no rule matched\n  docs: no rule matched\n"
    );
    let doc = repo.quest().args(["explain", "app/README.md"]).json();
    assert_eq!(
        doc,
        json!([{"path": "app/README.md", "targets": {
            "service": {"rule_index": 1, "rule": "!app/**/*.md", "included": false},
            "docs": {"rule_index": 0, "rule": "**.md", "included": true}
        }}])
    );
}

#[test]
fn explain_without_paths_explains_the_changed_ones_including_old_names() {
    let repo = layout();
    let before = repo.head();
    repo.write("app/keep.txt", "some content long enough to be a rename\n")
        .commit("add");
    let mid = repo.head();
    repo.git(&["mv", "app/keep.txt", "docs/keep.txt"]);
    repo.commit("move");
    let out = repo
        .quest()
        .args(["--base", &mid, "explain"])
        .run()
        .ok()
        .stdout;
    assert!(
        out.starts_with("app/keep.txt\n  service: included by paths[0] `app/**`\n"),
        "{out}"
    );
    assert!(
        out.contains("docs/keep.txt\n  service: no rule matched\n"),
        "{out}"
    );
    let none = repo
        .quest()
        .args(["--base", "HEAD", "explain"])
        .run()
        .ok()
        .stdout;
    assert_eq!(none, "no changed paths to explain\n");
    let _ = before;
}

#[test]
fn a_closed_pipe_is_not_a_failure() {
    let repo = layout();
    let before = repo.head();
    for i in 0..2000 {
        repo.write(&format!("app/many/{i:04}.js"), "x\n");
    }
    repo.commit("many");
    let mut child = Command::new(BIN)
        .args(["--base", &before, "--format", "json"])
        .current_dir(&repo.path)
        .env_remove("QUEST_FORMAT")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn errors_are_one_line_without_a_backtrace() {
    let repo = layout();
    let run = repo
        .quest()
        .env("RUST_BACKTRACE", "1")
        .args(["--base", "nope"])
        .run();
    assert_eq!(run.code, 11);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn empty_quest_variables_count_as_unset_and_strict_takes_boolish_values() {
    let repo = layout();
    let before = repo.head();
    repo.write("app/x.js", "x\n").commit("app");
    let run = repo
        .quest()
        .args(["--base", &before])
        .env("QUEST_CONFIG", "")
        .env("QUEST_OUTPUT", "")
        .env("QUEST_FORMAT", "")
        .env("QUEST_REPO", "")
        .env("QUEST_HEAD", "")
        .env("QUEST_STRICT", "")
        .env("QUEST_MAX_FETCH_DEPTH", "")
        .env("QUEST_COLOR", "")
        .run()
        .ok();
    assert!(run.stdout.starts_with("● service"), "{}", run.stdout);

    // QUEST_STRICT=1 turns an uncertain range into exit code 3.
    let head = repo.head();
    let strict = repo
        .quest()
        .env("CIRCLECI", "true")
        .env("CIRCLE_BRANCH", "main")
        .env("CIRCLE_SHA1", &head)
        .env("QUEST_STRICT", "1")
        .run();
    assert_eq!(strict.code, 3, "{}", strict.stderr);
    let relaxed = repo
        .quest()
        .env("CIRCLECI", "true")
        .env("CIRCLE_BRANCH", "main")
        .env("CIRCLE_SHA1", &head)
        .env("QUEST_STRICT", "no")
        .run();
    assert_eq!(relaxed.code, 0, "{}", relaxed.stderr);
}

#[test]
fn help_says_where_the_configuration_comes_from_without_a_file() {
    let run = Quest::new().arg("--help").run().ok();
    let flat = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("else the targets discovered from the repository's layout (what `config init` would write: one per Dockerfile and per Terraform root)"),
        "{}",
        run.stdout
    );
    assert!(!flat.contains("embedded default"), "{}", run.stdout);
}
