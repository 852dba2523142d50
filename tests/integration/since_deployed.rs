//! `--since deployed` against moto: each target's range starts at the commit it runs now, read
//! from AWS (a terraform root's marker object here), and an unknown one marks the target.

use serde_json::json;

use crate::moto::Moto;
use crate::support::Repo;
use crate::terraform_support::{boto, plain_bucket, BUCKET};

fn repo() -> Repo {
    let repo = Repo::new();
    repo.write(
        ".quest-changes.yml",
        &format!("version: 1\ntargets:\n  infra:\n    kind: terraform\n    root: infra\n    state: {{bucket: {BUCKET}, key: env/terraform.tfstate, region: us-east-1}}\n  docs:\n    kind: custom\n    paths: [\"docs/**\"]\n"),
    )
    .write("infra/main.tf", "terraform {\n  backend \"s3\" {}\n}\n")
    .write("docs/a.md", "a\n");
    repo.commit("base");
    repo
}

fn put_marker(moto: &Moto, commit: &str) {
    let marker = json!({
        "commit": commit,
        "time": "2026-11-28T16:00:00Z",
        "plan_sha256": "sha256:00",
        "summary": {"add": 0, "change": 0, "destroy": 0, "forget": 0}
    });
    boto(
        moto,
        &format!(
            "s3.put_object(Bucket={BUCKET:?}, Key='env/terraform.tfstate.quest-changes.json', Body={:?})",
            marker.to_string()
        ),
    );
}

#[test]
fn a_terraform_target_is_routed_from_its_last_apply_not_from_the_push() {
    let moto = Moto::start();
    plain_bucket(&moto);
    let repo = repo();
    let applied = repo.head();
    // A change of the root that was never applied (say its apply failed) ...
    repo.write(
        "infra/main.tf",
        "terraform {\n  backend \"s3\" {}\n}\n# v2\n",
    );
    repo.commit("infra v2");
    // ... then a push that touches only the docs.
    let before_docs = repo.head();
    repo.write("docs/a.md", "b\n");
    repo.commit("docs");

    // Each look routes the docs push from each target's deployed commit.
    let since_deployed = || {
        repo.quest()
            .aws(&moto)
            .args(["--since", "deployed", "--base", &before_docs])
            .args(["--format", "json"])
            .run()
            .ok()
    };

    // Nothing deployed yet: the target is changed, and says why.
    let doc = since_deployed().json();
    assert_eq!(doc["targets"]["infra"]["changed"], true);
    assert_eq!(doc["targets"]["infra"]["base"], serde_json::Value::Null);
    assert_eq!(doc["targets"]["infra"]["base_source"], "deployed");
    assert_eq!(
        doc["targets"]["infra"]["base_reason"],
        "nothing deployed by quest-changes yet, so everything is new"
    );

    // The pushed range alone would skip the root: only the docs changed.
    let pushed = repo
        .quest()
        .aws(&moto)
        .args(["--base", &before_docs, "--format", "json"])
        .run()
        .ok()
        .json();
    assert_eq!(pushed["targets"]["infra"]["changed"], false);

    // The marker names the last applied commit: the root's own range is applied..head.
    put_marker(&moto, &applied);
    let doc = since_deployed().json();
    let infra = &doc["targets"]["infra"];
    assert_eq!(infra["changed"], true, "{doc}");
    assert_eq!(infra["base"], applied.as_str());
    assert_eq!(infra["base_reason"], "the commit of the root's last apply");
    assert_eq!(infra["files"], json!(["infra/main.tf"]));
    // A custom target keeps the pushed range.
    assert_eq!(doc["targets"]["docs"]["base_source"], "range");
    assert_eq!(doc["targets"]["docs"]["base"], before_docs.as_str());

    // Once the head is applied, the docs push deploys nothing.
    put_marker(&moto, &repo.head());
    let doc = since_deployed().json();
    assert_eq!(doc["targets"]["infra"]["changed"], false, "{doc}");
    assert_eq!(doc["targets"]["infra"]["files"], json!([]));
    // `deploy` says which range it judged: the target's own, from its deployed commit.
    let run = repo
        .quest()
        .aws(&moto)
        .args([
            "deploy",
            "infra",
            "--since",
            "deployed",
            "--base",
            &before_docs,
        ])
        .run()
        .ok();
    let head = repo.head();
    assert_eq!(
        run.stderr,
        format!(
            "infra: the range {}..{} did not change this target, so there is nothing to deploy (--force deploys anyway)\n",
            &head[..12],
            &head[..12]
        )
    );

    // A marker naming a commit this history does not have marks the target, with the reason.
    put_marker(&moto, "0123456789abcdef0123456789abcdef01234567");
    let run = since_deployed();
    let doc = run.json();
    assert_eq!(doc["targets"]["infra"]["changed"], true);
    assert_eq!(
        doc["targets"]["infra"]["base_reason"],
        "the deployed commit 0123456789abcdef0123456789abcdef01234567 is not in this repository's history"
    );
}

#[test]
fn an_unreachable_aws_fails_loudly_instead_of_guessing() {
    let repo = repo();
    let run = repo
        .quest()
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .args(["--since", "deployed", "--base", "HEAD"])
        .run();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("error: failed to "),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");

    // `deploy <target>` looks up only its own target: the docs job needs no state bucket.
    let run = repo
        .quest()
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .args([
            "deploy", "docs", "--force", "--since", "deployed", "--base", "HEAD",
        ])
        .run();
    assert_eq!(
        run.stderr,
        "error: docs: a custom target has no deployment of its own; the pipeline runs it\n"
    );
}
