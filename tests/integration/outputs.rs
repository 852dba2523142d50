//! The output formats: text, json, github, circleci, markdown, and the dry-run plan.

use serde_json::json;

use crate::support::{layout, Repo};

/// A repository where the range changes the service only, with one hostile file name.
fn service_change() -> (Repo, String) {
    let repo = layout();
    let before = repo.head();
    repo.write("app/server.js", "v2\n")
        .write("docs/guide.md", "v2\n")
        .commit("change");
    (repo, before)
}

#[test]
fn text_is_a_line_per_target_then_the_range() {
    let (repo, before) = service_change();
    let out = repo.quest().args(["--base", &before]).run().ok().stdout;
    let short = |s: &str| s[..12].to_owned();
    assert_eq!(
        out,
        format!(
            "● service  ecs-service  1 file\n○ infra    terraform    0 files\nrange {}..{} (explicit): base `{before}` given with --base or QUEST_BASE\n",
            short(&before),
            short(&repo.head())
        )
    );
}

#[test]
fn text_is_coloured_only_when_asked_and_never_with_no_color_in_auto() {
    let (repo, before) = service_change();
    let plain = repo.quest().args(["--base", &before]).run().ok().stdout;
    assert!(!plain.contains('\x1b'), "stdout is not a terminal here");
    let coloured = repo
        .quest()
        .args(["--base", &before, "--color", "always"])
        .run()
        .ok()
        .stdout;
    assert!(coloured.contains("\x1b[32m●\x1b[0m service"));
    let no_color = repo
        .quest()
        .args(["--base", &before])
        .env("NO_COLOR", "1")
        .run()
        .ok()
        .stdout;
    assert_eq!(no_color, plain);
}

#[test]
fn json_has_the_documented_shape() {
    let (repo, before) = service_change();
    let doc = repo.quest().args(["--base", &before]).json();
    assert_eq!(
        doc,
        json!({
            "version": 1,
            "base": before,
            "head": repo.head(),
            "range": {"source": "explicit", "reason": format!("base `{before}` given with --base or QUEST_BASE")},
            "uncertain": false,
            "uncommitted": false,
            "changes": [
                {"path": "app/server.js", "status": "modified"},
                {"path": "docs/guide.md", "status": "modified"}
            ],
            "targets": {
                "service": {"kind": "ecs-service", "changed": true, "base": before, "base_source": "range", "files": ["app/server.js"], "changes": [0]},
                "infra": {"kind": "terraform", "changed": false, "base": before, "base_source": "range", "files": [], "changes": []}
            },
            "matrix": [{"target": "service", "kind": "ecs-service"}]
        })
    );
}

#[test]
fn output_flag_writes_the_file_and_nothing_to_stdout() {
    let (repo, before) = service_change();
    let file = repo.sibling("out.json");
    let run = repo
        .quest()
        .args(["--base", &before, "--format", "json", "--output"])
        .arg(&file)
        .run()
        .ok();
    assert_eq!(run.stdout, "");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(doc["targets"]["service"]["changed"], true);
}

#[test]
fn circleci_parameters_are_one_boolean_per_target_plus_the_range() {
    let repo = layout();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  web-app:\n    kind: ecs-service\n    paths: [\"app/**\"]\n  infra:\n    kind: terraform\n    paths: [\"terraform/**\"]\n",
    );
    let before = repo.commit("config");
    repo.write("terraform/x.tf", "#\n").commit("infra");
    let out = repo
        .quest()
        .args(["--base", &before, "--format", "circleci"])
        .run()
        .ok()
        .stdout;
    assert_eq!(
        out,
        format!(
            "{{\"deploy_web_app\":false,\"deploy_infra\":true,\"quest_base\":\"{before}\",\"quest_head\":\"{}\"}}\n",
            repo.head()
        )
    );
}

#[test]
fn github_appends_multiline_safe_outputs_and_a_summary() {
    let (repo, before) = service_change();
    let outputs = repo.sibling("github_output");
    let summary = repo.sibling("step_summary");
    std::fs::write(&outputs, "earlier=kept\n").unwrap();
    let run = repo
        .quest()
        .args(["--base", &before, "--format", "github"])
        .env("GITHUB_OUTPUT", outputs.display().to_string())
        .env("GITHUB_STEP_SUMMARY", summary.display().to_string())
        .run()
        .ok();
    assert!(
        run.stdout.contains("● service"),
        "the log shows the routing: {}",
        run.stdout
    );
    let written = std::fs::read_to_string(&outputs).unwrap();
    assert_eq!(
        written,
        "earlier=kept\n\
         service<<QUEST_CHANGES_EOF_0\ntrue\nQUEST_CHANGES_EOF_0\n\
         infra<<QUEST_CHANGES_EOF_0\nfalse\nQUEST_CHANGES_EOF_0\n\
         changed_targets<<QUEST_CHANGES_EOF_0\n[\"service\"]\nQUEST_CHANGES_EOF_0\n\
         any_changed<<QUEST_CHANGES_EOF_0\ntrue\nQUEST_CHANGES_EOF_0\n\
         uncertain<<QUEST_CHANGES_EOF_0\nfalse\nQUEST_CHANGES_EOF_0\n"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("| service | ecs-service | **yes** | 1 |"),
        "{md}"
    );
}

#[test]
fn github_without_an_output_file_is_a_usage_error() {
    let (repo, before) = service_change();
    let run = repo
        .quest()
        .args(["--base", &before, "--format", "github"])
        .run();
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: --format github needs GITHUB_OUTPUT to name the step output file (or -o FILE to write the outputs there)\n"
    );
}

#[test]
fn github_with_an_output_file_writes_the_step_outputs_there() {
    let (repo, before) = service_change();
    let file = repo.sibling("outputs.txt");
    let run = repo
        .quest()
        .args(["--base", &before, "--format", "github", "-o"])
        .arg(&file)
        .run()
        .ok();
    assert_eq!(run.stdout, "");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        written.starts_with("service<<QUEST_CHANGES_EOF_0\ntrue\nQUEST_CHANGES_EOF_0\n"),
        "{written}"
    );
    assert!(written.contains("changed_targets<<QUEST_CHANGES_EOF_0\n[\"service\"]\n"));
}

#[test]
fn markdown_escapes_hostile_file_names() {
    let repo = layout();
    let before = repo.head();
    let hostile = [
        "app/a|b.js",
        "app/<img src=x onerror=alert(1)>.js",
        "app/[click](https:evil.example).js",
        "app/`tick`.js",
        "app/@octocat.js",
        "app/new\nline.js",
        "app/**bold**.js",
    ];
    for name in hostile {
        repo.write(name, "x\n");
    }
    repo.commit("hostile");
    let md = repo
        .quest()
        .args(["--base", &before, "--format", "markdown"])
        .run()
        .ok()
        .stdout;
    assert!(md.starts_with(
        "<!-- quest-changes summary -->\n### quest-changes: what merging this deploys\n"
    ));
    assert!(
        md.contains("| service | ecs-service | **yes** | 7 |"),
        "{md}"
    );
    for line in md.lines().filter(|l| l.starts_with("| added |")) {
        // Every row has exactly four unescaped cell separators.
        let separators = line
            .match_indices('|')
            .filter(|(i, _)| !line[..*i].ends_with('\\'))
            .count();
        assert_eq!(separators, 4, "a file name broke the table row: {line}");
        // The name sits inside a code span whose fence no backtick run in the name can close.
        let cell = line.split(" | ").nth(1).unwrap();
        let fence: String = cell.chars().take_while(|c| *c == '`').collect();
        assert!(cell.ends_with(&fence) && !fence.is_empty(), "{cell}");
        let inner = &cell[fence.len()..cell.len() - fence.len()];
        assert!(!inner.contains(fence.as_str()), "{cell}");
    }
    assert!(md.contains("`` app/`tick`.js ``"), "{md}");
    assert!(md.contains("` app/a\\|b.js `"), "{md}");
    assert!(md.contains("` \"app/new\\nline.js\" `"), "{md}");
    // Inside a code span `<img ...>` is literal text, never HTML.
    assert!(
        md.contains("` app/<img src=x onerror=alert(1)>.js `"),
        "{md}"
    );
}

#[test]
fn markdown_escapes_free_text_from_the_environment() {
    let repo = layout();
    repo.git(&["checkout", "-q", "-b", "feature"]);
    let head = repo.write("app/x.js", "x\n").commit("x");
    let md = repo
        .quest()
        .env("CIRCLECI", "true")
        .env("CIRCLE_BRANCH", "<script>@team [x](http://e.vil)")
        .env("CIRCLE_SHA1", &head)
        .args(["--format", "markdown"])
        .run()
        .ok()
        .stdout;
    let last = md.lines().last().unwrap();
    assert!(
        !last.contains("<script>")
            && !last.contains("@team")
            && !last.contains("](")
            && !last.contains("://"),
        "{last}"
    );
    assert!(
        last.contains("&#60;script&#62;&#64;team &#91;x&#93;&#40;http&#58;//e.vil&#41;"),
        "{last}"
    );
}

#[test]
fn dry_run_prints_the_steps_of_each_changed_target() {
    let repo = layout();
    let before = repo.head();
    repo.write("app/server.js", "v2\n")
        .write("terraform/main.tf", "# v2\n")
        .commit("both");
    let head = repo.head();
    let out = repo
        .quest()
        .args(["--base", &before, "--dry-run"])
        .run()
        .ok()
        .stdout;
    let expected_start = format!(
        "service (ecs-service): 6 steps\n\
         \x20 1. build image from context `app` with `app/Dockerfile`, tag {head}\n\
         \x20 2. push image tag {head}\n\
         \x20 3. wait for the image scan of {head} and gate on its findings\n\
         \x20 4. register a task definition revision with image tag {head}\n\
         \x20 5. update the service to the new revision\n\
         \x20 6. wait until the rollout completes; roll back if it fails\n\
         infra (terraform): 3 steps\n\
         \x20 1. terraform init in `terraform`\n\
         \x20 2. terraform plan in `terraform` to `quest-infra.tfplan`\n\
         \x20 3. terraform apply `quest-infra.tfplan` in `terraform`\n"
    );
    assert!(out.starts_with(&expected_start), "{out}");
    let plan_cmd = repo
        .quest()
        .args(["--base", &before, "plan"])
        .run()
        .ok()
        .stdout;
    assert_eq!(plan_cmd, out, "`plan` and `--dry-run` print the same");
    let doc = repo.quest().args(["--base", &before, "--dry-run"]).json();
    assert_eq!(doc["plan"][0]["target"], "service");
    assert_eq!(
        doc["plan"][0]["steps"][0],
        json!({"action": "build-image", "context": "app", "dockerfile": "app/Dockerfile", "tag": head})
    );
    assert_eq!(
        doc["plan"][1]["steps"][2],
        json!({"action": "terraform-apply", "root": "terraform", "plan_file": "quest-infra.tfplan"})
    );
}

#[test]
fn dry_run_with_nothing_changed_says_so() {
    let repo = layout();
    let head = repo.head();
    let out = repo
        .quest()
        .args(["--base", &head, "--dry-run"])
        .run()
        .ok()
        .stdout;
    assert!(out.starts_with("nothing to deploy\nservice: unchanged, nothing to do\ninfra: unchanged, nothing to do\n"), "{out}");
}
