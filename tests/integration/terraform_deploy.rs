//! The infrastructure deployment with the real Terraform against a moto server of each test's
//! own: bootstrap, init, plan and its summary, apply on an `apply_on` branch, the marker, a
//! saved plan applied later or refused as stale, a held lock, a failing plan, plan-only, and
//! outputs.
//!
//! moto ignores bucket policy conditions, so the TLS-only policy that bootstrap sets denies
//! every object call there: the bootstrap test checks the bucket alone, and the Terraform tests
//! keep their state in a bucket bootstrap made and whose policy the test then deletes (see
//! tests/reference/MOTO.md).

use std::time::Instant;

use serde_json::Value;

use crate::moto::Moto;
use crate::support::Repo;
use crate::terraform_support::{
    self as tf, boto, bounded, object, parameter_exists, plain_bucket, quest, BUCKET, KEY,
};

fn setup() -> (Repo, Moto, tempfile::TempDir, std::path::PathBuf) {
    tf::require_terraform();
    let dir = tempfile::tempdir().unwrap();
    let rc = tf::cli_config(dir.path());
    let moto = Moto::start();
    (tf::repo(), moto, dir, rc)
}

fn seconds(start: Instant) -> String {
    format!("{:.1}", start.elapsed().as_secs_f64())
}

#[test]
fn bootstrap_creates_the_bucket_once_and_fixes_a_weaker_one_only_with_fix() {
    let repo = tf::repo();
    let moto = Moto::start();
    let run = |args: &[&str]| repo.quest().aws(&moto).args(args).run();

    let dry = run(&["bootstrap", "--dry-run"]).ok();
    assert!(
        dry.stdout.starts_with(&format!(
            "would call CreateBucket `{BUCKET}` (ObjectOwnership=BucketOwnerEnforced)\nwould call PutBucketVersioning (Status=Enabled) on `{BUCKET}`\n"
        )),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.ends_with("  dry run: nothing was written\n"));
    assert_eq!(
        boto(&moto, "print(len(s3.list_buckets()['Buckets']))"),
        "0",
        "a dry run creates nothing"
    );

    let created = run(&["bootstrap"]).ok();
    assert_eq!(
        created.stdout,
        format!(
            "state bucket `{BUCKET}` (us-east-1, for infra):\n  versioning               created\n  default encryption       created\n  public access block      created\n  ownership enforced       created\n  TLS-only bucket policy   created\n  created the bucket with every setting\n"
        )
    );
    let settings = boto(
        &moto,
        &format!(
            "b = {BUCKET:?}\nprint(s3.get_bucket_versioning(Bucket=b)['Status'])\nprint(s3.get_bucket_ownership_controls(Bucket=b)['OwnershipControls']['Rules'][0]['ObjectOwnership'])\nprint(all(s3.get_public_access_block(Bucket=b)['PublicAccessBlockConfiguration'].values()))\nprint(json.loads(s3.get_bucket_policy(Bucket=b)['Policy'])['Statement'][0]['Condition'])"
        ),
    );
    assert_eq!(
        settings,
        "Enabled\nBucketOwnerEnforced\nTrue\n{'Bool': {'aws:SecureTransport': 'false'}}"
    );

    let again = run(&["bootstrap", "-v"]).ok();
    assert!(
        again
            .stdout
            .ends_with("  TLS-only bucket policy   ok\n  nothing to change\n"),
        "{}",
        again.stdout
    );
    assert!(!again.stdout.contains("created"), "{}", again.stdout);
    assert!(
        again
            .stderr
            .contains(&format!("bootstrap `{BUCKET}`: 6 AWS calls")),
        "{}",
        again.stderr
    );

    // Weaken it: versioning suspended, the policy gone.
    boto(
        &moto,
        &format!(
            "s3.put_bucket_versioning(Bucket={BUCKET:?}, VersioningConfiguration={{'Status': 'Suspended'}})\ns3.delete_bucket_policy(Bucket={BUCKET:?})"
        ),
    );
    let weaker = run(&["bootstrap"]);
    assert_eq!(weaker.code, 1, "{}", weaker.stderr);
    assert_eq!(
        weaker.stderr,
        format!("error: infra: the state bucket `{BUCKET}` has weaker settings than bootstrap makes (versioning, TLS-only bucket policy); run `quest-changes bootstrap --fix` to fix them\n")
    );
    assert!(weaker
        .stdout
        .contains("  versioning               weaker\n"));

    let dry_fix = run(&["bootstrap", "--fix", "--dry-run"]).ok();
    assert!(dry_fix.stdout.contains(&format!(
        "would call PutBucketVersioning (Status=Enabled) on `{BUCKET}`"
    )));
    assert_eq!(
        boto(
            &moto,
            &format!("print(s3.get_bucket_versioning(Bucket={BUCKET:?})['Status'])")
        ),
        "Suspended",
        "a dry run fixes nothing"
    );

    let fixed = run(&["bootstrap", "--fix"]).ok();
    assert!(
        fixed.stdout.contains("  versioning               fixed\n")
            && fixed.stdout.contains("  default encryption       ok\n")
            && fixed.stdout.ends_with("  fixed 2 setting(s)\n"),
        "{}",
        fixed.stdout
    );
    run(&["bootstrap"]).ok();
}

/// The counts of `terraform show -json` of a saved plan, computed here independently.
fn counts_from_show(
    repo: &Repo,
    moto: &Moto,
    rc: &std::path::Path,
    plan: &str,
) -> (usize, usize, usize) {
    let out = std::process::Command::new("terraform")
        .args(["show", "-json", plan])
        .current_dir(repo.path.join("infra"))
        .env("TF_CLI_CONFIG_FILE", rc)
        .envs(moto.env())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (mut add, mut change, mut destroy) = (0, 0, 0);
    for rc in doc["resource_changes"].as_array().unwrap() {
        let actions: Vec<&str> = rc["change"]["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        add += usize::from(actions.contains(&"create"));
        change += usize::from(actions == ["update"]);
        destroy += usize::from(actions.contains(&"delete"));
    }
    (add, change, destroy)
}

#[test]
fn terraform_plans_applies_on_main_records_the_marker_and_applies_a_saved_plan_once() {
    let (repo, moto, dir, rc) = setup();
    let run = |args: &[&str]| bounded(&quest(&repo, &moto, &rc).args(args));
    let plans = dir.path().join("plans");
    let plans_arg = plans.display().to_string();

    // The state bucket: made by bootstrap, then its TLS policy deleted (moto would deny all).
    repo.quest().aws(&moto).args(["bootstrap"]).run().ok();
    boto(
        &moto,
        &format!("s3.delete_bucket_policy(Bucket={BUCKET:?})"),
    );
    let a = repo.head();

    // Not an apply_on branch: plan, summary, stop, say why. (Its plan goes to a directory of
    // its own: a plan saved in the default one would be applied by the next run of main.)
    let t = Instant::now();
    let feature_plans = dir.path().join("feature-plans");
    let feature = run(&[
        "deploy",
        "infra",
        "--force",
        "--branch",
        "feature/x",
        "--plan-dir",
        feature_plans.to_str().unwrap(),
    ])
    .ok();
    let first_plan = seconds(t);
    assert!(
        feature
            .stdout
            .starts_with("infra: Plan: 3 to add, 0 to change, 0 to destroy.\n"),
        "{}",
        feature.stdout
    );
    assert!(
        feature.stderr.ends_with(
            "infra: stopping after the plan: branch `feature/x` is not in apply_on: main (--apply applies anyway)\n"
        ),
        "{}",
        feature.stderr
    );
    assert!(feature
        .stderr
        .contains("[infra] Terraform has been successfully initialized!"));
    assert!(!parameter_exists(&moto, "/quest/keep"), "nothing applied");
    assert!(
        feature_plans.join("quest-infra.tfplan").is_file(),
        "the plan is kept"
    );
    assert_eq!(object(&moto, &format!("{KEY}.quest-changes.json")), None);

    // main is in apply_on: apply, then the marker names the commit.
    let t = Instant::now();
    let applied = run(&["deploy", "infra", "--force", "-v"]).ok();
    let first_apply = seconds(t);
    assert!(
        applied
            .stderr
            .contains("infra: applying the plan: branch `main` is in apply_on: main\n"),
        "{}",
        applied.stderr
    );
    assert!(applied
        .stderr
        .contains("infra: $ terraform apply -input=false -no-color "));
    assert!(applied
        .stderr
        .contains("[infra] Apply complete! Resources: 3 added, 0 changed, 0 destroyed."));
    assert!(
        applied.stderr.contains("infra: 1 AWS calls\n"),
        "{}",
        applied.stderr
    );
    assert!(parameter_exists(&moto, "/quest/gone"));
    let marker: Value =
        serde_json::from_str(&object(&moto, &format!("{KEY}.quest-changes.json")).unwrap())
            .unwrap();
    assert_eq!(marker["commit"], a.as_str());
    assert_eq!(
        marker["summary"],
        serde_json::json!({"add": 3, "change": 0, "destroy": 0, "forget": 0})
    );
    assert!(marker["plan_sha256"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert!(marker["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(marker_commit(&moto).as_deref(), Some(a.as_str()));

    // The same commit again: no changes, nothing applied.
    let t = Instant::now();
    let same = run(&["deploy", "infra", "--force"]).ok();
    let no_change_plan = seconds(t);
    assert!(
        same.stdout.starts_with("infra: No changes.\n"),
        "{}",
        same.stdout
    );
    assert!(same.stderr.contains(&format!(
        "infra: the plan has no changes, so there is nothing to apply; recorded commit {a} in `{KEY}.quest-changes.json`"
    )));
    assert!(!same.stderr.contains("terraform apply"), "{}", same.stderr);

    // Version B, planned by a "plan job" into a shared plan dir: exit 10 with changes.
    let b = tf::version_b(&repo);
    let planned = run(&[
        "deploy",
        "infra",
        "--force",
        "--plan-only",
        "--detailed-exitcode",
        "--plan-dir",
        &plans_arg,
    ]);
    assert_eq!(planned.code, 10, "{}", planned.stderr);
    assert!(
        planned
            .stderr
            .ends_with("note: infra: the plan has changes\n"),
        "{}",
        planned.stderr
    );
    let plan_file = plans.join("quest-infra.tfplan");
    let (add, change, destroy) = counts_from_show(&repo, &moto, &rc, plan_file.to_str().unwrap());
    assert_eq!((add, change, destroy), (2, 1, 2));
    let expected = format!(
        "infra: Plan: {add} to add, {change} to change, {destroy} to destroy.\n! replace  aws_ssm_parameter.renamed\n! destroy  aws_ssm_parameter.gone\n  create   aws_ssm_parameter.fresh\n  update   aws_ssm_parameter.keep\n"
    );
    assert!(planned.stdout.starts_with(&expected), "{}", planned.stdout);
    // moto's SSM reads back differently from what the provider wrote, so Terraform reports
    // drift on the existing parameters (see tests/reference/MOTO.md); the summary lists it.
    for line in planned.stdout[expected.len()..].lines() {
        assert!(
            line.starts_with("~ drift    aws_ssm_parameter."),
            "{line:?} in {}",
            planned.stdout
        );
    }
    eprintln!("summary of version B:\n{}", planned.stdout);
    for value in ["secret-value", "/quest/"] {
        assert!(
            !planned.stdout.contains(value),
            "a value leaked: {}",
            planned.stdout
        );
    }
    let fingerprint: Value = serde_json::from_str(
        &std::fs::read_to_string(plans.join("quest-infra.fingerprint.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(fingerprint["commit"], b.as_str());

    // A new commit: the saved plan is stale and is refused, nothing applied.
    repo.write("README.md", "later\n");
    let c = repo.commit("docs after the plan");
    let stale = run(&["deploy", "infra", "--force", "--plan-dir", &plans_arg]);
    assert_eq!(stale.code, 7, "{}", stale.stderr);
    assert!(
        stale.stderr.ends_with(&format!(
            "error: infra: refused to apply a stale plan: the saved plan `{}` was made for commit {}, and this is commit {}; plan again for this commit\n",
            plan_file.display(),
            &b[..12],
            &c[..12]
        )),
        "{}",
        stale.stderr
    );
    assert!(
        !parameter_exists(&moto, "/quest/fresh"),
        "the stale plan was not applied"
    );

    // Planned again for this commit (plan-only on main: no apply, and it says why), then
    // altered: refused too.
    let replanned = run(&[
        "deploy",
        "infra",
        "--force",
        "--plan-only",
        "--plan-dir",
        &plans_arg,
    ])
    .ok();
    assert!(
        replanned
            .stderr
            .ends_with("infra: stopping after the plan: --plan-only stops after the plan\n"),
        "{}",
        replanned.stderr
    );
    assert!(!replanned.stderr.contains("terraform apply"));
    let original = std::fs::read(&plan_file).unwrap();
    let mut altered = original.clone();
    altered.push(0);
    std::fs::write(&plan_file, &altered).unwrap();
    let tampered = run(&["deploy", "infra", "--force", "--plan-dir", &plans_arg]);
    assert_eq!(tampered.code, 7, "{}", tampered.stderr);
    assert!(tampered
        .stderr
        .contains("changed since it was made (its SHA-256 no longer matches the fingerprint)"));
    std::fs::write(&plan_file, &original).unwrap();

    // The "apply job": the saved plan of this commit is applied as is, once.
    let t = Instant::now();
    let later = run(&["deploy", "infra", "--force", "--plan-dir", &plans_arg]).ok();
    let saved_apply = seconds(t);
    assert!(
        later.stderr.contains(
            "infra: applying the plan saved for this commit (branch `main` is in apply_on: main)"
        ),
        "{}",
        later.stderr
    );
    assert!(!later.stderr.contains("-detailed-exitcode"), "no new plan");
    assert!(later
        .stderr
        .contains("[infra] Apply complete! Resources: 2 added, 1 changed, 2 destroyed."));
    assert!(parameter_exists(&moto, "/quest/fresh") && !parameter_exists(&moto, "/quest/gone"));
    assert!(!plan_file.exists(), "a plan applies once");
    assert_eq!(marker_commit(&moto).as_deref(), Some(c.as_str()));

    // The outputs of the root, as JSON.
    let outputs = run(&["outputs", "infra"]).ok();
    let doc: Value = serde_json::from_str(&outputs.stdout).unwrap();
    assert_eq!(doc["keep_name"]["value"], "/quest/keep");

    eprintln!(
        "timings against moto: first plan {first_plan} s, first apply {first_apply} s, no-change plan {no_change_plan} s, saved-plan apply {saved_apply} s"
    );
}

/// `deployed_commit`'s source of truth, read through the library as `--since deployed` does.
fn marker_commit(moto: &Moto) -> Option<String> {
    use quest_changes::config::StateFile;
    use quest_changes::deploy::terraform::marker;
    let aws = quest_changes::aws::Aws::from_config(moto.sdk_config());
    let state = StateFile {
        bucket: BUCKET.into(),
        key: KEY.into(),
        region: "us-east-1".into(),
    };
    let runtime = quest_changes::aws::runtime().unwrap();
    runtime
        .block_on(marker::read(&aws, &state))
        .unwrap()
        .map(|m| m.commit)
}

#[test]
fn a_held_lock_is_reported_with_its_holder_and_never_broken() {
    let (repo, moto, _dir, rc) = setup();
    plain_bucket(&moto);
    assert_eq!(marker_commit(&moto), None, "no marker before any apply");
    // What a concurrent `terraform apply` holds while it runs: the S3 backend's lock object.
    boto(
        &moto,
        &format!(
            "s3.put_object(Bucket={BUCKET:?}, Key={:?}, Body=json.dumps({{'ID': '6d1f0b2e-lock', 'Operation': 'OperationTypeApply', 'Info': '', 'Who': 'alice@ci-runner-7', 'Version': '1.11.4', 'Created': '2026-11-28T16:00:00.123Z', 'Path': 'x'}}))",
            format!("{KEY}.tflock")
        ),
    );
    let run = bounded(&quest(&repo, &moto, &rc).args(["deploy", "infra", "--force"]));
    assert_eq!(run.code, 8, "{}", run.stderr);
    assert!(
        run.stderr.ends_with("error: infra: the state is locked by alice@ci-runner-7 (OperationTypeApply) since 2026-11-28T16:00:00.123Z (lock id 6d1f0b2e-lock); quest-changes never force-unlocks\n"),
        "{}",
        run.stderr
    );
    assert!(
        object(&moto, &format!("{KEY}.tflock")).is_some(),
        "the lock is left alone"
    );
    assert!(!parameter_exists(&moto, "/quest/keep"));
}

#[test]
fn a_failing_plan_is_reported_and_nothing_is_applied() {
    let (repo, moto, _dir, rc) = setup();
    plain_bucket(&moto);
    repo.write(
        "infra/prod.tfvars",
        "keep_value   = \"far-too-long-a-value-for-the-rule\"\nrenamed_name = \"first\"\n",
    );
    repo.commit("an invalid variable");
    let run = bounded(&quest(&repo, &moto, &rc).args(["deploy", "infra", "--force"]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.ends_with("error: failed to run terraform plan for infra in `infra`: Invalid value for variable\n"),
        "{}",
        run.stderr
    );
    assert!(run
        .stderr
        .contains("[infra] The keep_value must be at most 16 characters."));
    assert!(!run.stderr.contains("terraform apply"));
    assert!(!parameter_exists(&moto, "/quest/keep"));
    assert_eq!(object(&moto, &format!("{KEY}.quest-changes.json")), None);
}

#[test]
fn a_dry_run_prints_the_planned_steps_with_their_commands_and_runs_nothing() {
    let repo = tf::repo();
    let base = repo.head();
    repo.write("infra/extra.tf", "# a change\n");
    repo.commit("touch the root");
    let planned = repo.quest().args(["--dry-run", "--base", &base]).run().ok();
    let run = repo
        .quest()
        .args([
            "deploy",
            "infra",
            "--force",
            "--dry-run",
            "--branch",
            "feature/x",
        ])
        .run()
        .ok();
    let root = repo.path.join("infra");
    let plan_file = root.join(".terraform/quest-changes/quest-infra.tfplan");
    assert_eq!(
        run.stdout,
        format!(
            "infra (terraform): 3 steps\n  1. terraform init in `infra`\n     $ terraform init -input=false -no-color -backend-config=bucket={BUCKET} -backend-config=key={KEY} -backend-config=region=us-east-1 -backend-config=use_lockfile=true\n  2. terraform plan in `infra` to `quest-infra.tfplan`\n     $ terraform plan -input=false -no-color -out={p} -detailed-exitcode -var-file=prod.tfvars\n  3. terraform apply `quest-infra.tfplan` in `infra`\n     $ terraform apply -input=false -no-color {p}\n  the run stops after the plan: branch `feature/x` is not in apply_on: main (--apply applies anyway)\n",
            p = plan_file.display()
        )
    );
    assert!(!root.join(".terraform").exists(), "nothing ran");
    for step in run
        .stdout
        .lines()
        .filter(|l| l.starts_with("  ") && l.as_bytes()[2].is_ascii_digit())
    {
        assert!(
            planned.stdout.contains(step),
            "`--dry-run` lists {step:?}:\n{}",
            planned.stdout
        );
    }
}

/// moto has one account, so a bucket of another account is a server answering HeadBucket 403.
#[test]
fn a_bucket_of_another_account_is_a_clear_error_and_is_not_touched() {
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(MockServer::start());
    runtime.block_on(
        Mock::given(method("HEAD"))
            .respond_with(ResponseTemplate::new(403))
            .mount(&server),
    );
    let repo = tf::repo();
    let run = repo
        .quest()
        .env("AWS_ENDPOINT_URL", server.uri())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_CONFIG_FILE", "/nonexistent/quest-changes-test")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/quest-changes-test",
        )
        .args(["bootstrap", "--fix"])
        .run();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!("error: infra: the state bucket `{BUCKET}` exists but belongs to another account (or these credentials may not read it): HeadBucket answered 403\n")
    );
    let requests = runtime.block_on(server.received_requests()).unwrap();
    assert!(
        requests.iter().all(|r| r.method.as_str() == "HEAD"),
        "only looked: {:?}",
        requests
            .iter()
            .map(|r| r.method.to_string())
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_failed_apply_writes_no_marker_and_drops_its_plan() {
    let (repo, moto, dir, rc) = setup();
    plain_bucket(&moto);
    // Made outside Terraform: the plan creates it, the apply meets ParameterAlreadyExists.
    boto(
        &moto,
        "ssm.put_parameter(Name='/quest/keep', Value='x', Type='String')",
    );
    let plans = dir.path().join("plans");
    let run = bounded(&quest(&repo, &moto, &rc).args([
        "deploy",
        "infra",
        "--force",
        "--plan-dir",
        plans.to_str().unwrap(),
    ]));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let last = run.stderr.lines().last().unwrap();
    assert!(
        last.starts_with(
            "error: failed to run terraform apply for infra in `infra`: creating SSM Parameter (/quest/keep): "
        ) && last.contains("ParameterAlreadyExists"),
        "{}",
        run.stderr
    );
    assert_eq!(
        object(&moto, &format!("{KEY}.quest-changes.json")),
        None,
        "no marker: the next push plans again"
    );
    assert!(!plans.join("quest-infra.tfplan").exists());
    assert!(!plans.join("quest-infra.fingerprint.json").exists());
}
