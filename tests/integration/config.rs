//! Configuration: discovery from the layout, every validation error (exit code 2, one
//! message naming the file, the line and column where the parser gives them, and the key).

use serde_json::Value;

use crate::support::{layout, Repo};

fn config_error(yaml: &str) -> String {
    let repo = layout();
    repo.write(".quest-changes.yml", yaml);
    let run = repo.quest().args(["--base", "HEAD"]).run();
    assert_eq!(
        run.code, 2,
        "expected a configuration error for:\n{yaml}\nstderr: {}",
        run.stderr
    );
    assert_eq!(run.stdout, "", "no partial result");
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    // Redact the temporary directory, as a snapshot would.
    run.stderr.replace(&format!("{}/", repo.path.display()), "")
}

#[test]
fn every_configuration_error_names_the_file_place_and_key() {
    let cases: &[(&str, &str)] = &[
        (
            "version: 1\ntargets:\n  service:\n    kind: ecs-service\n    pathz: [\"app/**\"]\n",
            "error: .quest-changes.yml:5:5: targets.service: unknown field `pathz`, expected one of `kind`, `paths`, `build`, `root`, `image`, `ecs`, `scan`, `rollout`, `state`, `var_files`, `apply_on`, `binary`, `environments`\n",
        ),
        (
            "targets:\n  service:\n    kind: ecs-service\n    paths: [\"app/**\"]\n",
            "error: .quest-changes.yml:1:1: missing field `version`\n",
        ),
        (
            "version: 2\ntargets:\n  s: {kind: custom, paths: [a]}\n",
            "error: .quest-changes.yml: version: unsupported version 2 (this build reads version 1)\n",
        ),
        (
            "version: \"one\"\ntargets: {}\n",
            "error: .quest-changes.yml:1:10: version: invalid type: string \"one\", expected u32\n",
        ),
        (
            "version: 1\ntargets:\n  s:\n    kind: lambda\n    paths: [a]\n",
            "error: .quest-changes.yml:4:11: targets.s.kind: unknown variant `lambda`, expected one of `ecs-service`, `terraform`, `custom`\n",
        ),
        (
            "version: 1\ntargets:\n  s:\n    kind: custom\n    paths: [\"app/[ab\"]\n",
            "error: .quest-changes.yml: targets.s.paths[0]: invalid pattern `app/[ab`: unclosed character class; missing ']'\n",
        ),
        (
            "version: 1\ntargets:\n  s:\n    kind: custom\n    paths: [\"a\", \"{b,c\"]\n",
            "error: .quest-changes.yml: targets.s.paths[1]: invalid pattern `{b,c`: unclosed `{`\n",
        ),
        (
            "version: 1\ntargets:\n  s:\n    kind: custom\n    paths: [\"/abs/**\"]\n",
            "error: .quest-changes.yml: targets.s.paths[0]: invalid pattern `/abs/**`: patterns are relative to the repository root and must not start with `/`\n",
        ),
        (
            "version: 1\ntargets:\n  s:\n    kind: custom\n    paths: []\n",
            "error: .quest-changes.yml: targets.s.paths: at least one pattern is required\n",
        ),
        (
            "version: 1\ntargets:\n  s:\n    kind: custom\n    paths: [\"!docs/**\"]\n",
            "error: .quest-changes.yml: targets.s.paths: every pattern is a `!` exclusion, so nothing can match\n",
        ),
        (
            "version: 1\ntargets:\n  s:\n    kind: custom\n",
            "error: .quest-changes.yml: targets.s.paths: at least one pattern is required\n",
        ),
        (
            "version: 1\ntargets:\n  \"bad name!\": {kind: custom, paths: [a]}\n",
            "error: .quest-changes.yml: targets.bad name!: invalid target name (use letters, digits, `-` and `_`)\n",
        ),
        (
            "version: 1\ntargets:\n  a-b: {kind: custom, paths: [a]}\n  a_b: {kind: custom, paths: [b]}\n",
            "error: .quest-changes.yml: targets.a_b: the name collides with `a-b` (both become the CircleCI parameter `deploy_a_b`)\n",
        ),
        (
            "version: 1\ntargets:\n  s: {kind: custom, paths: [a]}\n  s: {kind: custom, paths: [b]}\n",
            "error: .quest-changes.yml:4:3: targets: target `s` is defined twice\n",
        ),
        (
            "version: 1\ntargets:\n  s:\n    kind: custom\n    paths: [a]\n  # again\n  s:\n    kind: custom\n    paths: [b]\n",
            "error: .quest-changes.yml:7:3: targets: target `s` is defined twice\n",
        ),
        (
            "",
            "error: .quest-changes.yml: the file is empty; it needs at least `version` and `targets`\n",
        ),
        (
            "# only a comment\n\n",
            "error: .quest-changes.yml: the file is empty; it needs at least `version` and `targets`\n",
        ),
        (
            "version: 1\ntargets: {}\n",
            "error: .quest-changes.yml: targets: at least one target is required\n",
        ),
        (
            "version: 1\ntargets:\n  s: {kind: terraform, paths: [a], build: {context: app}}\n",
            "error: .quest-changes.yml: targets.s.build: only `ecs-service` targets have a build\n",
        ),
        (
            "version: 1\ntargets:\n  s: {kind: ecs-service, paths: [a], build: {context: ../outside}}\n",
            "error: .quest-changes.yml: targets.s.build.context: `../outside` must be a path inside the repository, relative to its root\n",
        ),
        (
            "version: 1\ndefault_branch: \"bad branch\"\ntargets:\n  s: {kind: custom, paths: [a]}\n",
            "error: .quest-changes.yml: default_branch: `bad branch` is not a valid branch name\n",
        ),
        (
            "version: 1\ntargets:\n  s: {kind: custom, paths: [a]\n",
            "error: .quest-changes.yml:4:1: did not find expected ',' or '}', while parsing a flow mapping\n",
        ),
        (
            "version: 1\ntargets:\n  s: {kind: custom, paths: [\"app/**/\"]}\n",
            "error: .quest-changes.yml: targets.s.paths[0]: invalid pattern `app/**/`: a pattern ending in `/` matches no file (paths are files); use `dir/**`\n",
        ),
        (
            "version: 1\ntargets:\n  s: {kind: custom, paths: [a]}\n---\nversion: 1\n",
            "error: .quest-changes.yml: the file holds several YAML documents (`---`); it must hold one\n",
        ),
    ];
    let mut failures = Vec::new();
    for (yaml, expected) in cases {
        let got = config_error(yaml);
        if got != *expected {
            failures.push(format!("for:\n{yaml}\nexpected: {expected}got:      {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_explicit_config_file_that_is_missing_is_an_error() {
    let repo = layout();
    let run = repo.quest().args(["--config", "nope.yml"]).run();
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("error: failed to read the configuration nope.yml: "),
        "{}",
        run.stderr
    );
}

#[test]
fn the_repository_config_replaces_the_discovered_targets() {
    let repo = layout();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  docs:\n    kind: custom\n    paths: [\"docs/**\", \"*.md\"]\n",
    );
    let before = repo.commit("config");
    repo.write("README.md", "new\n").commit("readme");
    let doc = repo.quest().args(["--base", &before]).json();
    assert_eq!(
        doc["targets"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["docs"]
    );
    assert_eq!(doc["targets"]["docs"]["changed"], true);
}

/// A repository laid out like this project: a service in `app/` whose `.dockerignore` lets in
/// only what the Dockerfile copies, two environments' roots calling shared modules, and the
/// state bucket's own root, with READMEs beside everything.
fn project_layout() -> Repo {
    let root = "terraform {\n  backend \"s3\" {}\n}\nmodule \"stack\" {\n  source = \"../../modules/stack\"\n}\n";
    let repo = Repo::new();
    repo.write(
        "app/Dockerfile",
        "FROM scratch\nCOPY package.json ./\nCOPY src ./src\n",
    )
    .write("app/.dockerignore", "*\n!package.json\n!src/\n")
    .write("app/package.json", "{}\n")
    .write("app/src/server.js", "1\n")
    .write("app/README.md", "# app\n")
    .write("terraform/environments/dev/main.tf", root)
    .write("terraform/environments/prod/main.tf", root)
    .write(
        "terraform/modules/stack/main.tf",
        "module \"network\" {\n  source = \"../network\"\n}\n",
    )
    .write(
        "terraform/modules/network/main.tf",
        "resource \"aws_vpc\" \"this\" {}\n",
    )
    .write("terraform/modules/network/README.md", "# network\n")
    .write("terraform/bootstrap/main.tf", "provider \"aws\" {}\n")
    .write("README.md", "# project\n");
    repo.commit("layout");
    repo
}

#[test]
fn without_a_file_the_configuration_is_what_config_init_writes() {
    let repo = project_layout();
    let effective = repo.quest().arg("config").run().ok().stdout;
    assert!(
        effective.starts_with(
            "# effective configuration from <discovered from the repository layout>\n"
        ),
        "{effective}"
    );
    repo.quest().args(["config", "init"]).run().ok();
    let written = std::fs::read_to_string(repo.path.join(".quest-changes.yml")).unwrap();
    let from_file = repo.quest().arg("config").run().ok().stdout;
    // The same targets, keys and defaults; only the header naming the source differs.
    let body = |text: &str| text.split_once('\n').unwrap().1.to_owned();
    assert_eq!(body(&effective), body(&from_file));
    assert!(
        written.contains("  app:\n    kind: ecs-service\n"),
        "{written}"
    );
    let names: Vec<String> = repo
        .quest()
        .args(["config", "--format", "json"])
        .run()
        .ok()
        .json()["targets"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(names, ["app", "infra-bootstrap", "infra-dev", "infra-prod"]);
}

#[test]
fn without_a_file_documentation_edits_deploy_nothing() {
    let repo = project_layout();
    let before = repo.head();
    repo.write("app/README.md", "# app, edited\n")
        .commit("docs");
    let doc = repo.quest().args(["--base", &before]).json();
    assert_eq!(crate::support::changed(&doc), Vec::<String>::new());
    let run = repo
        .quest()
        .args(["--dry-run", "--base", &before])
        .run()
        .ok();
    assert!(
        run.stdout.starts_with("nothing to deploy\n"),
        "{}",
        run.stdout
    );
    repo.write("app/src/server.js", "2\n").commit("code");
    let doc = repo.quest().args(["--base", "HEAD~1"]).json();
    assert_eq!(crate::support::changed(&doc), ["app"]);
}

#[test]
fn config_init_names_the_default_branch_the_repository_has() {
    let repo = project_layout();
    repo.git(&["branch", "-m", "main", "trunk"]);
    repo.quest().args(["config", "init"]).run().ok();
    let written = std::fs::read_to_string(repo.path.join(".quest-changes.yml")).unwrap();
    assert!(written.contains("\ndefault_branch: trunk\n"), "{written}");
}

#[test]
fn config_schema_is_a_json_schema_of_the_file() {
    let run = Repo::new().quest().args(["config", "schema"]).run().ok();
    let schema: Value = run.json();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["title"], "quest-changes configuration");
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, ["version", "targets"]);
    assert_eq!(schema["additionalProperties"], false);
    let text = run.stdout;
    assert!(
        text.contains("\"ecs-service\"")
            && text.contains("\"terraform\"")
            && text.contains("\"custom\"")
    );
}

#[test]
fn a_repository_with_nothing_to_route_to_is_a_configuration_error() {
    let repo = Repo::new();
    repo.write("src/lib.rs", "\n").commit("unrelated layout");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.write("src/lib.rs", "// x\n").commit("change");
    let run = repo.quest().arg("--dry-run").run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: there is no .quest-changes.yml (or --config FILE), and the HEAD commit has no Dockerfile and no Terraform root to make targets of; write one (`quest-changes config init`, or see `quest-changes config schema`)\n"
    );
}

#[test]
fn config_prints_the_effective_configuration_with_defaults_filled_in() {
    let repo = layout();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  service:\n    kind: ecs-service\n    build: {context: app}\n    image: {repository: quest}\n  infra:\n    kind: terraform\n    paths: [\"terraform/**\"]\n",
    );
    let out = repo.quest().arg("config").run().ok().stdout;
    let body = out.split_once('\n').unwrap().1;
    assert_eq!(
        body,
        "version: 1\ndefault_branch: main\ntargets:\n  service:\n    kind: ecs-service\n    paths: []\n    build:\n      context: app\n      dockerfile: app/Dockerfile\n      cli: docker\n    image:\n      repository: quest\n      platform: linux/amd64\n    scan:\n      fail_on: HIGH\n      timeout: 10m\n    rollout:\n      timeout: 15m\n      poll: 5s\n  infra:\n    kind: terraform\n    paths:\n    - terraform/**\n    root: terraform\n    apply_on:\n    - main\n    binary: terraform\n"
    );
    // What `config` prints is itself a valid configuration that applies the same way.
    std::fs::write(repo.sibling("effective.yml"), body).unwrap();
    let again = repo
        .quest()
        .args(["config", "--config"])
        .arg(repo.sibling("effective.yml"))
        .run()
        .ok()
        .stdout;
    assert_eq!(again.split_once('\n').unwrap().1, body);
}
