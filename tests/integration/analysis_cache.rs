//! The analysis cache (`--cache-dir`): results kept between runs change no routing result, a
//! stale entry is not reused, and a missing, corrupt or unwritable cache is no error.

use std::path::Path;

use crate::support::{changed, Repo, Run};

const CONFIG: &str = "version: 1\ntargets:\n  prod:\n    kind: terraform\n    root: envs/prod\n    var_files: [prod.tfvars]\n  dev:\n    kind: terraform\n    root: envs/dev\n";

/// Two roots sharing `modules/app`, which reads `policy.json` with `file()`; prod has a var
/// file.
fn roots() -> Repo {
    let repo = Repo::new();
    repo.write(".quest-changes.yml", CONFIG)
        .write(
            "envs/prod/main.tf",
            "module \"app\" {\n  source = \"../../modules/app\"\n}\n",
        )
        .write("envs/prod/prod.tfvars", "size = 2\n")
        .write(
            "envs/dev/main.tf",
            "module \"app\" {\n  source = \"../../modules/app\"\n}\n\nlocals {\n  c = file(\"${path.module}/config.json\")\n}\n",
        )
        .write("envs/dev/config.json", "{}\n")
        .write(
            "modules/app/main.tf",
            "locals {\n  policy = file(\"${path.module}/policy.json\")\n}\n",
        )
        .write("modules/app/policy.json", "{}\n")
        .write("docs/readme.md", "# docs\n");
    repo.commit("roots");
    repo
}

/// The JSON of `--base base --head head`, with the given cache flags.
fn route(repo: &Repo, base: &str, head: &str, cache: &[&str]) -> String {
    route_run(repo, base, head, cache).stdout
}

/// `quest-changes --format json` on `base..head` with `extra` flags, which must succeed.
fn route_run(repo: &Repo, base: &str, head: &str, extra: &[&str]) -> Run {
    repo.quest()
        .args(["--format", "json", "--base", base, "--head", head])
        .args(extra)
        .run()
        .ok()
}

fn cache_dir(repo: &Repo) -> String {
    repo.sibling("cache").display().to_string()
}

#[test]
fn a_warm_cache_routes_byte_for_byte_as_a_cold_run() {
    let repo = roots();
    let mut commits = vec![repo.head()];
    for (path, contents) in [
        (
            "modules/app/main.tf",
            "# changed\nlocals {\n  policy = file(\"${path.module}/policy.json\")\n}\n",
        ),
        ("modules/app/policy.json", "{ \"v\": 2 }\n"),
        ("envs/dev/config.json", "{ \"v\": 2 }\n"),
        ("envs/prod/prod.tfvars", "size = 3\n"),
        ("docs/readme.md", "# more docs\n"),
    ] {
        repo.write(path, contents);
        commits.push(repo.commit(path));
    }
    let dir = cache_dir(&repo);
    let warm = ["--cache-dir", dir.as_str()];
    let mut seen = Vec::new();
    for pair in commits.windows(2) {
        let cold = route(&repo, &pair[0], &pair[1], &["--no-cache"]);
        // The first run of a range meets the entries of the earlier ranges; the second, its own.
        assert_eq!(route(&repo, &pair[0], &pair[1], &warm), cold);
        assert_eq!(route(&repo, &pair[0], &pair[1], &warm), cold);
        seen.push(changed(&serde_json::from_str(&cold).unwrap()));
    }
    assert_eq!(
        seen,
        [
            vec!["prod", "dev"],
            vec!["prod", "dev"],
            vec!["dev"],
            vec!["prod"],
            vec![],
        ]
    );
    assert!(Path::new(&dir).join("terraform-roots.json").is_file());
}

#[test]
fn an_entry_whose_answers_changed_is_not_reused() {
    let repo = roots();
    let first = repo.head();
    let dir = cache_dir(&repo);
    let warm = ["--cache-dir", dir.as_str()];
    route(&repo, &first, &first, &warm);
    // The module now also reads `extra.json`: a result kept for the old module would miss it.
    repo.write(
        "modules/app/main.tf",
        "locals {\n  policy = file(\"${path.module}/policy.json\")\n  extra = file(\"${path.module}/extra.json\")\n}\n",
    )
    .write("modules/app/extra.json", "{}\n");
    let module = repo.commit("module");
    repo.write("modules/app/extra.json", "{ \"v\": 2 }\n");
    let extra = repo.commit("extra");
    let doc = route(&repo, &module, &extra, &warm);
    assert_eq!(doc, route(&repo, &module, &extra, &["--no-cache"]));
    assert_eq!(
        changed(&serde_json::from_str(&doc).unwrap()),
        ["prod", "dev"]
    );
}

#[test]
fn a_corrupt_cache_is_ignored_and_replaced() {
    let repo = roots();
    let base = repo.head();
    repo.write("modules/app/policy.json", "{ \"v\": 2 }\n");
    let head = repo.commit("policy");
    let dir = repo.sibling("cache");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("terraform-roots.json");
    let cold = route(&repo, &base, &head, &["--no-cache"]);
    let version = concat!(env!("CARGO_PKG_VERSION"), "/1/", env!("QUEST_SOURCE_ID"));
    for garbage in [
        "{ not json".to_owned(),
        r#"{"version":"0.0.0/1","answers":[],"entries":[]}"#.to_owned(),
        format!(
            r#"{{"version":"{version}","answers":[],"entries":[{{"root":"envs/dev","var_files":[],"asked":[7],"deps":{{}}}}]}}"#
        ),
    ] {
        std::fs::write(&file, garbage).unwrap();
        let dir = dir.display().to_string();
        let run = route_run(&repo, &base, &head, &["--verbose", "--cache-dir", &dir]);
        assert_eq!(run.stdout, cold);
        assert!(
            run.stderr.contains("note: analysis cache: ignored"),
            "{}",
            run.stderr
        );
        let kept: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert!(!kept["entries"].as_array().unwrap().is_empty(), "{kept}");
    }
    // A quiet run says nothing about it.
    std::fs::write(&file, b"{ not json").unwrap();
    let run = repo
        .quest()
        .args(["--format", "json", "--base", &base, "--head", &head])
        .args(["--cache-dir", &dir.display().to_string()])
        .run()
        .ok();
    assert_eq!(
        (run.stdout.as_str(), run.stderr.as_str()),
        (cold.as_str(), "")
    );
}

#[test]
fn the_cache_defaults_to_the_git_dir_and_can_be_turned_off() {
    let repo = roots();
    let base = repo.head();
    repo.write("docs/readme.md", "# changed\n");
    let head = repo.commit("docs");
    let default = repo
        .path
        .join(".git/quest-changes/analysis-cache/terraform-roots.json");
    let cold = route(&repo, &base, &head, &["--no-cache"]);
    assert!(!repo.path.join(".git/quest-changes").exists());
    assert_eq!(route(&repo, &base, &head, &["--cache-dir", ""]), cold);
    let run = repo
        .quest()
        .args(["--format", "json", "--base", &base, "--head", &head])
        .env("QUEST_NO_CACHE", "1")
        .run()
        .ok();
    assert_eq!(run.stdout, cold);
    assert!(!repo.path.join(".git/quest-changes").exists());
    assert_eq!(route(&repo, &base, &head, &[]), cold);
    assert!(default.is_file());
    let elsewhere = repo.sibling("env-cache");
    let run = repo
        .quest()
        .args(["--format", "json", "--base", &base, "--head", &head])
        .env("QUEST_CACHE_DIR", elsewhere.display().to_string())
        .run()
        .ok();
    assert_eq!(run.stdout, cold);
    assert!(elsewhere.join("terraform-roots.json").is_file());
}

#[test]
fn an_unwritable_cache_is_no_error() {
    let repo = roots();
    let base = repo.head();
    repo.write("modules/app/main.tf", "# changed\n");
    let head = repo.commit("module");
    let blocker = repo.sibling("a-file");
    std::fs::write(&blocker, "not a folder\n").unwrap();
    let dir = blocker.join("cache").display().to_string();
    let cold = route(&repo, &base, &head, &["--no-cache"]);
    let run = route_run(&repo, &base, &head, &["--verbose", "--cache-dir", &dir]);
    assert_eq!(run.stdout, cold);
    assert!(
        run.stderr.contains("note: analysis cache: failed to write"),
        "{}",
        run.stderr
    );
}
