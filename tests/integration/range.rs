//! The range policy, scenario by scenario: each asserts the routed targets and `range.source`.

use serde_json::json;

use crate::support::{changed, layout, paths, source, ZERO};

#[test]
fn several_commits_in_one_push_are_all_counted() {
    let repo = layout();
    let before = repo.head();
    repo.write("app/server.js", "v2\n").commit("app");
    repo.write("terraform/main.tf", "# v2\n").commit("infra");
    repo.write("docs/guide.md", "v2\n").commit("docs");
    let doc = repo.quest().args(["--base", &before]).json();
    assert_eq!(changed(&doc), ["service", "infra"]);
    assert_eq!(source(&doc), "explicit");
    assert_eq!(doc["base"], before);
    assert_eq!(doc["head"], repo.head());
    assert_eq!(doc["uncertain"], false);
}

#[test]
fn github_push_uses_before_and_after() {
    let repo = layout();
    let before = repo.head();
    repo.write("app/server.js", "v2\n").commit("app");
    let after = repo.write("docs/guide.md", "v3\n").commit("docs");
    let event = repo.event(&json!({"ref": "refs/heads/main", "before": before, "after": after}));
    let doc = repo.quest().github("push", &event).json();
    assert_eq!(changed(&doc), ["service"]);
    assert_eq!(source(&doc), "github-push");
    assert_eq!(paths(&doc), ["app/server.js", "docs/guide.md"]);
}

#[test]
fn github_new_branch_takes_the_merge_base_with_the_default_branch() {
    let repo = layout();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("terraform/vpc.tf", "# vpc\n").commit("one");
    let after = repo.write("terraform/vpc.tf", "# vpc 2\n").commit("two");
    let event = repo.event(&json!({"ref": "refs/heads/feature", "before": ZERO, "after": after}));
    let doc = repo.quest().github("push", &event).json();
    assert_eq!(changed(&doc), ["infra"]);
    assert_eq!(source(&doc), "github-push");
    assert_eq!(doc["base"], repo.rev("main"));
    assert!(doc["range"]["reason"]
        .as_str()
        .unwrap()
        .contains("new branch"));
}

#[test]
fn circleci_new_branch_without_base_takes_the_merge_base() {
    let repo = layout();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let head = repo.write("app/new.js", "x\n").commit("app");
    let doc = repo
        .quest()
        .env("CIRCLECI", "true")
        .env("CIRCLE_BRANCH", "feature")
        .env("CIRCLE_SHA1", &head)
        .env("QUEST_BASE", "")
        .json();
    assert_eq!(changed(&doc), ["service"]);
    assert_eq!(source(&doc), "circleci");
    assert_eq!(doc["base"], repo.rev("main"));
}

#[test]
fn circleci_with_base_revision_is_explicit() {
    let repo = layout();
    let base = repo.head();
    let head = repo.write("terraform/x.tf", "#\n").commit("infra");
    let doc = repo
        .quest()
        .env("CIRCLECI", "true")
        .env("CIRCLE_BRANCH", "main")
        .env("CIRCLE_SHA1", &head)
        .env("QUEST_BASE", &base)
        .json();
    assert_eq!(changed(&doc), ["infra"]);
    assert_eq!(source(&doc), "explicit");
    assert_eq!(doc["head"], head);
}

#[test]
fn circleci_on_the_default_branch_without_base_is_uncertain() {
    let repo = layout();
    let head = repo.write("docs/x.md", "x\n").commit("docs");
    let run = repo
        .quest()
        .env("CIRCLECI", "true")
        .env("CIRCLE_BRANCH", "main")
        .env("CIRCLE_SHA1", &head)
        .args(["--format", "json"])
        .run()
        .ok();
    let doc = run.json();
    assert_eq!(doc["uncertain"], true);
    assert_eq!(
        changed(&doc),
        ["service", "infra"],
        "uncertain marks every target changed"
    );
    assert_eq!(source(&doc), "circleci");
    assert!(
        run.stderr
            .contains("warning: the commit range is uncertain"),
        "{}",
        run.stderr
    );

    let strict = repo
        .quest()
        .env("CIRCLECI", "true")
        .env("CIRCLE_BRANCH", "main")
        .env("CIRCLE_SHA1", &head)
        .args(["--strict", "--format", "json"])
        .run();
    assert_eq!(strict.code, 3);
    assert_eq!(strict.stdout, "", "no partial result under --strict");
    assert!(strict
        .stderr
        .starts_with("error: the commit range is uncertain and --strict is set: "));
}

#[test]
fn force_push_with_a_vanished_base_falls_back_to_the_merge_base() {
    let repo = layout();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("app/a.js", "1\n").commit("a");
    let gone = repo.write("terraform/t.tf", "1\n").commit("t");
    // Rewrite history: drop the two commits and push a different one.
    repo.git(&["reset", "-q", "--hard", "main"]);
    repo.git(&["reflog", "expire", "--expire=now", "--all"]);
    repo.git(&["gc", "-q", "--prune=now"]);
    let after = repo.write("app/b.js", "2\n").commit("b");
    let event = repo.event(
        &json!({"ref": "refs/heads/feature", "before": gone, "after": after, "forced": true}),
    );
    let doc = repo.quest().github("push", &event).json();
    assert_eq!(source(&doc), "fallback");
    assert_eq!(doc["base"], repo.rev("main"));
    assert_eq!(changed(&doc), ["service"]);
    let reason = doc["range"]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&gone) && reason.contains("merge base with `main`"),
        "{reason}"
    );
}

#[test]
fn vanished_base_on_the_default_branch_is_uncertain() {
    let repo = layout();
    let head = repo.write("docs/a.md", "1\n").commit("docs");
    let doc = repo
        .quest()
        .args([
            "--base",
            "1234567890123456789012345678901234567890",
            "--head",
            &head,
        ])
        .json();
    assert_eq!(doc["uncertain"], true);
    assert_eq!(source(&doc), "fallback");
    assert_eq!(changed(&doc), ["service", "infra"]);
}

#[test]
fn shallow_clone_over_file_is_deepened() {
    let origin = layout();
    let mut shas = Vec::new();
    for i in 0..6 {
        shas.push(
            origin
                .write(&format!("app/f{i}.js"), "x\n")
                .commit(&format!("c{i}")),
        );
    }
    origin.write("terraform/late.tf", "#\n").commit("late");
    let bare = origin.sibling("bare.git");
    let clone = origin.sibling("clone");
    crate::support::git_in(
        origin.path.parent().unwrap(),
        &[
            "clone",
            "-q",
            "--bare",
            origin.path.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    let url = format!("file://{}", bare.display());
    crate::support::git_in(
        origin.path.parent().unwrap(),
        &["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()],
    );
    assert_eq!(
        crate::support::git_in(&clone, &["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    let base = &shas[1];
    let run = crate::support::Quest::new()
        .cwd(&clone)
        .args(["--base", base, "--format", "json"])
        .run()
        .ok();
    let doc = run.json();
    assert_eq!(source(&doc), "explicit");
    assert_eq!(doc["base"], base.as_str());
    assert_eq!(changed(&doc), ["service", "infra"]);
    assert_eq!(
        paths(&doc),
        [
            "app/f2.js",
            "app/f3.js",
            "app/f4.js",
            "app/f5.js",
            "terraform/late.tf"
        ]
    );
    assert!(
        run.stderr.contains("deepening it from `origin`"),
        "{}",
        run.stderr
    );
}

#[test]
fn shallow_clone_that_cannot_reach_the_base_falls_back_and_says_so() {
    let origin = layout();
    // The base existed once, then a force push removed it from the remote for good.
    origin.git(&["checkout", "-q", "-b", "doomed"]);
    let base = origin.write("app/old.js", "x\n").commit("old");
    origin.git(&["checkout", "-q", "main"]);
    origin.git(&["branch", "-q", "-D", "doomed"]);
    origin.git(&["reflog", "expire", "--expire=now", "--all"]);
    origin.git(&["gc", "-q", "--prune=now"]);
    for i in 0..5 {
        origin
            .write(&format!("docs/{i}.md"), "x\n")
            .commit(&format!("d{i}"));
    }
    let clone = origin.sibling("clone");
    let url = format!("file://{}", origin.path.display());
    crate::support::git_in(
        origin.path.parent().unwrap(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--no-single-branch",
            &url,
            clone.to_str().unwrap(),
        ],
    );
    crate::support::git_in(&clone, &["checkout", "-q", "-b", "feature"]);
    let run = crate::support::Quest::new()
        .cwd(&clone)
        .args([
            "--base",
            &base,
            "--max-fetch-depth",
            "2",
            "--format",
            "json",
        ])
        .run()
        .ok();
    let doc = run.json();
    assert!(
        run.stderr.contains("still missing at depth 2"),
        "{}",
        run.stderr
    );
    assert_eq!(source(&doc), "fallback");
    assert_eq!(doc["uncertain"], true, "the head is on origin/main itself");
    assert_eq!(changed(&doc), ["service", "infra"]);
}

#[test]
fn fork_pull_request_head_is_fetched_by_id_into_a_shallow_clone() {
    let origin = layout();
    let main_tip = origin.head();
    origin.git(&["checkout", "-q", "-b", "fork"]);
    let fork_head = origin.write("app/fork.js", "x\n").commit("fork work");
    origin.git(&["checkout", "-q", "main"]);
    let root = origin.path.parent().unwrap().to_owned();
    crate::support::git_in(&root, &["clone", "-q", "--bare", "repo", "upstream.git"]);
    let bare = root.join("upstream.git");
    // Only the pull request ref holds the fork's commit, as on GitHub.
    crate::support::git_in(&bare, &["update-ref", "refs/pull/1/head", &fork_head]);
    crate::support::git_in(&bare, &["branch", "-q", "-D", "fork"]);
    crate::support::git_in(&bare, &["config", "uploadpack.allowAnySHA1InWant", "true"]);
    let clone = root.join("pr-clone");
    let url = format!("file://{}", bare.display());
    crate::support::git_in(
        &root,
        &["clone", "-q", "--depth", "1", &url, clone.to_str().unwrap()],
    );
    let event = root.join("pr.json");
    std::fs::write(
        &event,
        json!({"pull_request": {"base": {"sha": main_tip}, "head": {"sha": fork_head}}})
            .to_string(),
    )
    .unwrap();
    let run = crate::support::Quest::new()
        .cwd(&clone)
        .github("pull_request", &event)
        .args(["--format", "json"])
        .run()
        .ok();
    let doc = run.json();
    assert_eq!(source(&doc), "github-pull-request");
    assert_eq!(doc["head"], fork_head.as_str());
    assert_eq!(changed(&doc), ["service"]);
    assert_eq!(paths(&doc), ["app/fork.js"]);
    assert!(run.stderr.contains("deepening"), "{}", run.stderr);
}

#[test]
fn annotated_tag_push_gives_the_tag_object_and_still_resolves() {
    let repo = layout();
    repo.git(&["tag", "-a", "-m", "one", "v1.0.0"]);
    repo.write("terraform/x.tf", "#\n").commit("infra");
    repo.git(&["tag", "-a", "-m", "two", "v1.1.0"]);
    let tag_object = repo.rev("v1.1.0");
    assert_ne!(
        tag_object,
        repo.head(),
        "an annotated tag has its own object id"
    );
    let event =
        repo.event(&json!({"ref": "refs/tags/v1.1.0", "before": ZERO, "after": tag_object}));
    let doc = repo.quest().github("push", &event).json();
    assert_eq!(source(&doc), "tag");
    assert_eq!(doc["head"], repo.head());
    assert_eq!(doc["base"], repo.rev("v1.0.0^{commit}"));
    assert_eq!(changed(&doc), ["infra"]);
}

#[test]
fn circleci_tag_pipelines_compare_with_the_previous_tag() {
    let repo = layout();
    repo.git(&["tag", "v2.0.0-rc.9"]);
    repo.write("app/a.js", "1\n").commit("a");
    repo.git(&["tag", "v2.0.0-rc.10"]);
    let head = repo.write("terraform/b.tf", "#\n").commit("b");
    repo.git(&["tag", "v2.0.0"]);
    let doc = repo
        .quest()
        .env("CIRCLECI", "true")
        .env("CIRCLE_TAG", "v2.0.0")
        .env("CIRCLE_SHA1", &head)
        .json();
    assert_eq!(source(&doc), "tag");
    assert_eq!(doc["base"], repo.rev("v2.0.0-rc.10"), "rc.10 is after rc.9");
    assert_eq!(changed(&doc), ["infra"]);

    let first = layout();
    let head = first.head();
    first.git(&["tag", "v0.1.0"]);
    let doc = first
        .quest()
        .env("CIRCLECI", "true")
        .env("CIRCLE_TAG", "v0.1.0")
        .env("CIRCLE_SHA1", &head)
        .json();
    assert_eq!(source(&doc), "tag");
    assert_eq!(doc["uncertain"], true);
    assert_eq!(changed(&doc), ["service", "infra"]);
}

#[test]
fn uncommitted_on_a_first_commit_keeps_the_committed_files() {
    let repo = crate::support::Repo::new();
    let config = repo.sibling("patterns.yml");
    std::fs::write(&config, crate::support::PATTERN_TARGETS).unwrap();
    repo.write("app/a.js", "1\n").commit("first");
    repo.write("terraform/new.tf", "#\n");
    let doc = repo
        .quest()
        .arg("--uncommitted")
        .arg("--config")
        .arg(&config)
        .json();
    assert_eq!(source(&doc), "local");
    assert_eq!(changed(&doc), ["service", "infra"]);
    assert_eq!(paths(&doc), ["app/a.js", "terraform/new.tf"]);
    let run = repo.quest().args(["--uncommitted", "--head", "HEAD"]).run();
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: --uncommitted compares with the working tree, so it cannot take --head\n"
    );
}

#[test]
fn merge_commit_on_the_default_branch_carries_the_merged_changes() {
    let repo = layout();
    let before = repo.head();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("app/feature.js", "x\n").commit("feature");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("docs/main.md", "x\n").commit("docs on main");
    let pre_merge = repo.head();
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge feature", "feature"]);
    let merge = repo.head();
    let event = repo.event(&json!({"ref": "refs/heads/main", "before": pre_merge, "after": merge}));
    let doc = repo.quest().github("push", &event).json();
    assert_eq!(changed(&doc), ["service"]);
    assert_eq!(paths(&doc), ["app/feature.js"]);
    assert_eq!(source(&doc), "github-push");
    let doc = repo.quest().args(["--base", &before]).json();
    assert_eq!(paths(&doc), ["app/feature.js", "docs/main.md"]);
}

#[test]
fn pull_request_behind_the_default_branch_sees_only_its_own_changes() {
    let repo = layout();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let head = repo.write("app/feature.js", "x\n").commit("feature work");
    repo.git(&["checkout", "-q", "main"]);
    let main_tip = repo
        .write("terraform/other.tf", "#\n")
        .commit("infra on main after branching");
    let event = repo.event(&json!({
        "pull_request": {"base": {"sha": main_tip, "ref": "main"}, "head": {"sha": head, "ref": "feature"}}
    }));
    let doc = repo.quest().github("pull_request", &event).json();
    assert_eq!(
        changed(&doc),
        ["service"],
        "the base branch's later infra change must not leak in"
    );
    assert_eq!(paths(&doc), ["app/feature.js"]);
    assert_eq!(source(&doc), "github-pull-request");
    assert_eq!(doc["head"], head);
}

#[test]
fn tag_push_compares_with_the_previous_tag() {
    let repo = layout();
    repo.git(&["tag", "v1.9.0"]);
    repo.write("terraform/a.tf", "#\n").commit("infra");
    repo.git(&["tag", "-a", "-m", "release", "v1.10.0"]);
    repo.write("app/b.js", "#\n").commit("app");
    repo.git(&["tag", "other-2.0"]);
    let head = repo.write("app/c.js", "#\n").commit("app 2");
    repo.git(&["tag", "v1.11.0"]);
    let event = repo.event(&json!({"ref": "refs/tags/v1.11.0", "before": ZERO, "after": head}));
    let doc = repo.quest().github("push", &event).json();
    assert_eq!(source(&doc), "tag");
    assert_eq!(doc["base"], repo.rev("v1.10.0^{commit}"));
    assert_eq!(paths(&doc), ["app/b.js", "app/c.js"]);
    assert_eq!(changed(&doc), ["service"]);
}

#[test]
fn tag_push_without_a_previous_tag_is_uncertain() {
    let repo = layout();
    let head = repo.write("docs/x.md", "#\n").commit("docs");
    repo.git(&["tag", "v0.1.0"]);
    let event = repo.event(&json!({"ref": "refs/tags/v0.1.0", "before": ZERO, "after": head}));
    let doc = repo.quest().github("push", &event).json();
    assert_eq!(source(&doc), "tag");
    assert_eq!(doc["uncertain"], true);
    assert_eq!(changed(&doc), ["service", "infra"]);
}

#[test]
fn first_commit_of_a_repository_is_all_new() {
    let repo = layout();
    let head = repo.head();
    let event = repo.event(&json!({"ref": "refs/heads/main", "before": ZERO, "after": head}));
    let doc = repo.quest().github("push", &event).json();
    assert_eq!(doc["uncertain"], false);
    assert_eq!(doc["base"], serde_json::Value::Null);
    assert_eq!(changed(&doc), ["service", "infra"]);
    assert_eq!(source(&doc), "github-push");
    assert!(doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["status"] == "added"));

    let local = repo.quest().json();
    assert_eq!(source(&local), "local");
    assert_eq!(local["uncertain"], false);
    assert_eq!(changed(&local), ["service", "infra"]);
}

#[test]
fn base_equal_to_head_changes_nothing() {
    let repo = layout();
    let head = repo.head();
    let doc = repo.quest().args(["--base", &head, "--head", &head]).json();
    assert_eq!(source(&doc), "explicit");
    assert_eq!(changed(&doc), Vec::<String>::new());
    assert_eq!(doc["changes"], json!([]));
    assert_eq!(doc["uncertain"], false);
}

#[test]
fn local_branch_compares_with_its_merge_base() {
    let repo = layout();
    repo.git(&["checkout", "-q", "-b", "work"]);
    repo.write("terraform/x.tf", "#\n").commit("infra");
    let doc = repo.quest().json();
    assert_eq!(source(&doc), "local");
    assert_eq!(changed(&doc), ["infra"]);
    assert!(doc["range"]["reason"].as_str().unwrap().contains("`main`"));
}

#[test]
fn local_uncommitted_adds_the_working_tree() {
    let repo = layout();
    repo.git(&["checkout", "-q", "-b", "work"]);
    repo.write("app/staged.js", "x\n");
    repo.git(&["add", "app/staged.js"]);
    repo.write("terraform/untracked.tf", "#\n");
    repo.write(".gitignore", "ignored/\n")
        .write("ignored/app.js", "x\n");
    let doc = repo.quest().arg("--uncommitted").json();
    assert_eq!(source(&doc), "local");
    assert_eq!(doc["uncommitted"], true);
    assert_eq!(changed(&doc), ["service", "infra"]);
    let p = paths(&doc);
    assert!(
        p.contains(&"app/staged.js".to_owned()) && p.contains(&"terraform/untracked.tf".to_owned())
    );
    assert!(!p.iter().any(|x| x.starts_with("ignored/")), "{p:?}");
    let without = repo.quest().json();
    assert_eq!(changed(&without), Vec::<String>::new());
}

#[test]
fn a_base_that_does_not_exist_is_a_clear_error() {
    let repo = layout();
    let run = repo.quest().args(["--base", "no-such-branch"]).run();
    assert_eq!(run.code, 11);
    assert_eq!(
        run.stderr,
        "error: failed to find base revision `no-such-branch` in the repository\n"
    );
    assert_eq!(run.stdout, "");
}

#[test]
fn a_path_that_is_not_a_repository_is_a_clear_error() {
    let dir = tempfile::TempDir::new().unwrap();
    let run = crate::support::Quest::new()
        .cwd(dir.path())
        .args(["--base", "HEAD"])
        .run();
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("error: failed to open a git repository at .: "),
        "{}",
        run.stderr
    );
}

#[test]
fn a_shallow_clone_over_the_git_protocol_is_deepened_by_libgit2() {
    let origin = layout();
    let base = origin.head();
    for i in 0..4 {
        origin.write(&format!("app/g{i}.js"), "x\n").commit("g");
    }
    let root = origin.path.parent().unwrap().to_owned();
    crate::support::git_in(&root, &["clone", "-q", "--bare", "repo", "served.git"]);
    let daemon = crate::support::GitDaemon::start(&root);
    let clone = origin.sibling("git-clone");
    crate::support::git_in(
        &root,
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &daemon.url("served.git"),
            clone.to_str().unwrap(),
        ],
    );
    let run = crate::support::Quest::new()
        .cwd(&clone)
        .args(["--base", &base, "--format", "json"])
        .run()
        .ok();
    let doc = run.json();
    assert_eq!(source(&doc), "explicit");
    assert_eq!(doc["base"], base.as_str());
    assert_eq!(changed(&doc), ["service"]);
    assert_eq!(paths(&doc).len(), 4);
    assert!(run.stderr.contains("deepening"), "{}", run.stderr);
}

#[test]
fn the_default_branch_without_upstream_is_uncertain_and_says_why() {
    let repo = layout();
    repo.write("docs/x.md", "x\n").commit("second");
    let run = repo.quest().args(["--format", "json"]).run().ok();
    let doc = run.json();
    assert_eq!(source(&doc), "local");
    assert_eq!(doc["uncertain"], true);
    assert_eq!(changed(&doc), ["service", "infra"]);
    assert_eq!(
        doc["range"]["reason"],
        "`main` is checked out and has no upstream or `origin/main` to compare with (pass --base)"
    );
    assert!(
        run.stderr
            .starts_with("warning: the commit range is uncertain"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_main_names_the_repository_default_branch_and_the_key_to_set() {
    let origin = layout();
    origin.git(&["branch", "-m", "main", "trunk"]);
    let clone = origin.sibling("clone");
    crate::support::git_in(
        origin.path.parent().unwrap(),
        &["clone", "-q", "repo", clone.to_str().unwrap()],
    );
    crate::support::git_in(&clone, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(clone.join("app/new.js"), "x\n").unwrap();
    crate::support::git_in(&clone, &["add", "-A"]);
    crate::support::git_in(
        &clone,
        &[
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@e",
            "commit",
            "-q",
            "-m",
            "feature",
        ],
    );
    let run = crate::support::Quest::new()
        .cwd(&clone)
        .env("CIRCLECI", "true")
        .env("CIRCLE_BRANCH", "feature")
        .run()
        .ok();
    assert!(
        run.stderr.contains("there is no default branch `main` to take a merge base with; the repository's default branch is `trunk` (origin/HEAD): set `default_branch: trunk` in .quest-changes.yml"),
        "{}",
        run.stderr
    );
}
