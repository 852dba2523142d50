//! `deploy`, `rollback`, `bootstrap` and `outputs` before any engine runs: target lookup,
//! kinds, the unchanged-target rule and flag validation.

use crate::support::Repo;

fn repo() -> Repo {
    let repo = Repo::new();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  service:\n    kind: ecs-service\n    paths: [\"app/**\"]\n  infra:\n    kind: terraform\n    paths: [\"terraform/**\"]\n  docs:\n    kind: custom\n    paths: [\"docs/**\"]\n",
    )
    .write("app/index.js", "1\n")
    .write("terraform/main.tf", "\n")
    .write("docs/a.md", "a\n");
    repo.commit("base");
    repo
}

#[test]
fn an_unknown_target_is_a_usage_error_naming_the_targets() {
    let repo = repo();
    let run = repo.quest().args(["deploy", "nope"]).run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: no target is named `nope` (the configuration has: service, infra, docs)\n"
    );
}

#[test]
fn an_unchanged_target_deploys_nothing_and_says_why() {
    let repo = repo();
    let base = repo.head();
    repo.write("docs/a.md", "b\n");
    repo.commit("docs only");
    let run = repo
        .quest()
        .args(["deploy", "service", "--base", &base])
        .run()
        .ok();
    assert!(
        run.stderr.contains("service: the range ")
            && run
                .stderr
                .contains("did not change this target, so there is nothing to deploy"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
}

#[test]
fn a_custom_target_has_no_deployment() {
    let repo = repo();
    let base = repo.head();
    repo.write("docs/a.md", "b\n");
    repo.commit("docs");
    let run = repo.quest().args(["deploy", "docs", "--base", &base]).run();
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: docs: a custom target has no deployment of its own; the pipeline runs it\n"
    );
}

#[test]
fn commands_check_the_kind_of_their_target() {
    let repo = repo();
    let run = repo.quest().args(["rollback", "infra"]).run();
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: rollback works on ecs-service targets, and `infra` is terraform\n"
    );
    let run = repo.quest().args(["outputs", "service"]).run();
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: outputs works on terraform targets, and `service` is ecs-service\n"
    );
    let run = repo
        .quest()
        .args(["bootstrap", "--target", "service"])
        .run();
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: bootstrap creates the state bucket of a terraform target, and `service` is ecs-service\n"
    );
}

#[test]
fn detailed_exitcode_needs_plan_only() {
    let repo = repo();
    let run = repo
        .quest()
        .args(["deploy", "infra", "--detailed-exitcode"])
        .run();
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: --detailed-exitcode needs --plan-only (it reports whether the plan has changes)\n"
    );
}

#[test]
fn deployment_keys_belong_to_their_kind() {
    let repo = Repo::new();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  infra:\n    kind: terraform\n    root: tf\n    scan: {fail_on: HIGH}\n",
    )
    .write("tf/main.tf", "\n");
    repo.commit("c");
    let run = repo.quest().arg("config").run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .ends_with("targets.infra.scan: only `ecs-service` targets have `scan`\n"),
        "{}",
        run.stderr
    );
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  svc:\n    kind: ecs-service\n    paths: [\"app/**\"]\n    rollout: {poll: 5}\n",
    );
    let run = repo.quest().arg("config").run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("targets.svc.rollout.poll: `5` has no unit"),
        "{}",
        run.stderr
    );
}

#[test]
fn since_deployed_keeps_the_pushed_range_for_targets_without_deployment_settings() {
    let repo = repo();
    let base = repo.head();
    repo.write("app/index.js", "2\n");
    repo.commit("app");
    let run = repo
        .quest()
        .args(["--since", "deployed", "--base", &base, "--format", "json"])
        .run()
        .ok();
    let doc = run.json();
    assert_eq!(doc["targets"]["service"]["changed"], true);
    assert_eq!(doc["targets"]["service"]["base_source"], "range");
    assert_eq!(doc["targets"]["service"]["base"], base.as_str());
    assert_eq!(doc["targets"]["docs"]["base_source"], "range");
    assert!(
        run.stderr.contains(
            "note: targets.service: --since deployed needs the target's deployment settings (`ecs` and `image`, or `state`); it keeps the pushed range"
        ) && run.stderr.contains("note: targets.infra: --since deployed needs"),
        "{}",
        run.stderr
    );
}

#[test]
fn since_deployed_does_not_take_uncommitted() {
    let repo = repo();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  infra:\n    kind: terraform\n    root: terraform\n    state: {bucket: b, key: k, region: us-east-1}\n",
    );
    let run = repo
        .quest()
        .args(["--since", "deployed", "--uncommitted"])
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: --since deployed compares commits, so it cannot take --uncommitted\n"
    );
}

#[test]
fn ecs_from_must_name_a_terraform_target_and_fills_what_is_missing() {
    let repo = Repo::new();
    let write = |ecs: &str| {
        repo.write(
            ".quest-changes.yml",
            &format!("version: 1\ntargets:\n  svc:\n    kind: ecs-service\n    build: {{context: app}}\n    image: {{platform: linux/amd64}}\n    ecs: {ecs}\n  infra:\n    kind: terraform\n    root: tf\n  docs:\n    kind: custom\n    paths: [\"docs/**\"]\n"),
        );
    };
    repo.write("app/Dockerfile", "FROM scratch\n")
        .write("tf/main.tf", "\n");
    write("{from: nope}");
    repo.commit("c");
    let config_error = |expected: &str| {
        let run = repo.quest().arg("config").run();
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.ends_with(expected), "{}", run.stderr);
    };
    config_error("targets.svc.ecs.from: there is no target `nope`\n");
    write("{from: docs}");
    config_error(
        "targets.svc.ecs.from: `docs` is a custom target; it must be a terraform target\n",
    );
    write("{cluster: c, service: s, container: x}");
    config_error(
        "targets.svc.image.repository: required unless `ecs.from` names a terraform target\n",
    );
    write("{from: infra, container: app}");
    repo.quest().arg("config").run().ok();
}

#[test]
fn a_deployment_runs_only_from_a_clean_checkout_of_its_head() {
    let repo = Repo::new();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  infra:\n    kind: terraform\n    root: tf\n    state: {bucket: b, key: k, region: us-east-1}\n",
    )
    .write("tf/main.tf", "# a\n");
    repo.commit("a");
    let first = repo.head();
    repo.write("tf/main.tf", "# b\n");
    repo.commit("b");
    let second = repo.head();

    // A head other than the checkout: what would be built is not what would be labelled.
    let run = repo
        .quest()
        .args(["deploy", "infra", "--force", "--head", &first])
        .run();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "error: infra: the working tree is at {}, not at {}, the head being deployed; check that commit out first (builds and plans read the working tree)\n",
            &second[..12],
            &first[..12]
        )
    );

    // An uncommitted change to a tracked file.
    repo.write("tf/main.tf", "# c, not committed\n");
    let run = repo
        .quest()
        .args(["deploy", "infra", "--force", "--base", &first])
        .run();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: infra: the working tree has uncommitted changes to tracked files (tf/main.tf and maybe others); a deployment builds and plans only what is committed\n"
    );
    let run = repo
        .quest()
        .args(["deploy", "infra", "--force", "--uncommitted"])
        .run();
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: deploy deploys a commit, so it cannot take --uncommitted\n"
    );
}

#[test]
fn durations_have_a_ceiling() {
    let repo = Repo::new();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  svc:\n    kind: ecs-service\n    paths: [\"app/**\"]\n    rollout: {timeout: 99999999999999h}\n",
    );
    repo.commit("c");
    let run = repo.quest().arg("config").run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.ends_with(
            "targets.svc.rollout.timeout: `99999999999999h` is longer than the 24h allowed\n"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_target_without_its_deployment_section_is_a_configuration_error_for_every_command() {
    let repo = repo();
    let base = repo.head();
    repo.write("app/index.js", "2\n")
        .write("terraform/main.tf", "# 2\n")
        .commit("both");
    let cases: &[(&[&str], &str)] = &[
        (
            &["deploy", "service", "--base", &base],
            "error: targets.service.ecs: the target has no `ecs` section, so it cannot deploy\n",
        ),
        (
            &["rollback", "service"],
            "error: targets.service.ecs: the target has no `ecs` section, so it cannot deploy\n",
        ),
        (
            &["deploy", "infra", "--base", &base],
            "error: targets.infra.state: the target has no `state` section, so it cannot init its backend (write `state: {bucket, key, region}`)\n",
        ),
        (
            &["outputs", "infra"],
            "error: targets.infra.state: the target has no `state` section, so it cannot init its backend (write `state: {bucket, key, region}`)\n",
        ),
        (
            &["bootstrap", "--target", "infra"],
            "error: targets.infra.state: the target has no `state` section, so it has no bucket to bootstrap (write `state: {bucket, key, region}`)\n",
        ),
    ];
    for (args, expected) in cases {
        let run = repo
            .quest()
            .args(*args)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
            .run();
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(&run.stderr, expected, "{args:?}");
    }
}

#[test]
fn a_service_dry_run_with_ecs_from_writes_nothing_and_names_the_outputs() {
    let repo = Repo::new();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  service:\n    kind: ecs-service\n    build: {context: app}\n    ecs: {from: infra}\n    image: {}\n  infra:\n    kind: terraform\n    root: tf\n    state: {bucket: b, key: k, region: us-east-1}\n",
    )
    .write("app/Dockerfile", "FROM scratch\nCOPY a /\n")
    .write("app/a", "1\n")
    .write("tf/main.tf", "terraform {\n  backend \"s3\" {}\n}\n");
    let base = repo.commit("base");
    repo.write("app/a", "2\n").commit("app");
    let run = repo
        .quest()
        .args(["deploy", "service", "--dry-run", "--base", &base])
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .run()
        .ok();
    assert!(
        run.stdout.contains("would register a revision of it with container `<output container_name of infra>`")
            && run.stdout.contains("update service `<output service_name of infra>` in cluster `<output cluster_name of infra>`"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("ECR repository `<output ecr_repository_name of infra>`"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "service: [dry run] the outputs of `infra` are not known (failed to read the Terraform state `k` in bucket `b`: no AWS credentials were found"
        ),
        "{}",
        run.stdout
    );
    // No `terraform init`: the work tree is exactly the commit.
    assert!(!repo.path.join("tf/.terraform").exists());
    assert_eq!(repo.git(&["status", "--porcelain", "--ignored"]), "");
}
