//! Environments through the public CLI: the configuration's errors and `--env`'s, a dry run
//! per environment showing that environment's values, the branch rule (exit 12), and a
//! terraform target applied per environment against moto, each environment with its own state
//! key, marker and region, and `--since deployed --env` reading that environment's marker.
//! (The ECS side, one environment rolled out and the other left alone, is in
//! `service_deploy.rs`, beside its world.)

use crate::moto::Moto;
use crate::support::Repo;
use crate::terraform_support::{self as tf, bounded, object, plain_bucket, quest, BUCKET};

/// `infra` from `tf::repo()`, per environment: dev (from `main`, us-east-1, `dev.tfvars`, key
/// `dev/...`) and prod (from `release`, eu-west-1, `prod.tfvars`, key `prod/...`).
fn config() -> String {
    format!(
        "version: 1
environments:
  dev: {{branches: [main], region: us-east-1, credentials: {{ci_context: aws-dev}}}}
  prod: {{branches: [release], region: eu-west-1, approval: true}}
targets:
  infra:
    kind: terraform
    root: infra
    state: {{bucket: {BUCKET}, key: dev/terraform.tfstate, region: us-east-1}}
    var_files: [prod.tfvars]
    environments:
      dev: {{var_files: [dev.tfvars]}}
      prod: {{state: {{key: prod/terraform.tfstate}}}}
"
    )
}

fn repo() -> Repo {
    let repo = tf::repo();
    repo.write(".quest-changes.yml", &config()).write(
        "infra/dev.tfvars",
        "keep_value   = \"dev-value\"\nrenamed_name = \"first\"\n",
    );
    repo.commit("environments dev and prod");
    repo
}

#[test]
fn configuration_and_env_errors_name_what_is_wrong() {
    let repo = repo();
    let run = |args: &[&str]| repo.quest().args(args).run();

    let undeclared = run(&["deploy", "infra", "--env", "qa", "--dry-run"]);
    assert_eq!(undeclared.code, 2, "{}", undeclared.stderr);
    assert_eq!(
        undeclared.stderr,
        "error: --env: no environment is named `qa` (the configuration declares: dev, prod)\n"
    );
    let missing = run(&["deploy", "infra", "--dry-run"]);
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert_eq!(
        missing.stderr,
        "error: deploy needs --env (or QUEST_ENV) once the configuration declares environments (dev, prod)\n"
    );

    // promote: two declared environments, and a service.
    for (args, message) in [
        (
            &["promote", "infra", "--from", "qa", "--to", "prod"][..],
            "error: --from: no environment is named `qa` (the configuration declares: dev, prod)\n",
        ),
        (
            &["promote", "infra", "--from", "dev", "--to", "dev"],
            "error: promote needs two environments, and --from and --to both name `dev`\n",
        ),
        (
            &["promote", "infra", "--from", "dev", "--to", "prod", "--env", "dev"],
            "error: promote names its environments with --from and --to, so it cannot take --env (or QUEST_ENV)\n",
        ),
        (
            &["promote", "infra", "--from", "dev", "--to", "prod"],
            "error: promote works on ecs-service targets, and `infra` is terraform\n",
        ),
    ] {
        let refused = run(args);
        assert_eq!(refused.code, 2, "{args:?}: {}", refused.stderr);
        assert_eq!(refused.stderr, message, "{args:?}");
    }

    repo.write(
        ".quest-changes.yml",
        &config().replace("      dev: {var_files", "      qa: {var_files"),
    );
    let bad = run(&["config"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.ends_with(
            ".quest-changes.yml: targets.infra.environments.qa: no environment \"qa\" is declared under environments\n"
        ),
        "{}",
        bad.stderr
    );
    repo.write(
        ".quest-changes.yml",
        &config().replace("region: eu-west-1,", "region: Ireland,"),
    );
    let bad = run(&["config"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.ends_with(
            ".quest-changes.yml: environments.prod.region: `Ireland` is not an AWS region like `eu-west-1`\n"
        ),
        "{}",
        bad.stderr
    );
}

#[test]
fn config_shows_the_environments_and_the_schema_describes_them() {
    let repo = repo();
    let shown = repo.quest().args(["config", "--format", "json"]).run().ok();
    let doc = shown.json();
    assert_eq!(doc["environments"]["prod"]["approval"], true);
    assert_eq!(
        doc["environments"]["dev"]["credentials"]["ci_context"],
        "aws-dev"
    );
    assert_eq!(
        doc["targets"]["infra"]["environments"]["prod"]["state"]["key"],
        "prod/terraform.tfstate"
    );
    assert_eq!(
        doc["targets"]["infra"].get("apply_on"),
        None,
        "with environments, their branches say where a target applies"
    );
    let schema = repo.quest().args(["config", "schema"]).run().ok().json();
    assert_eq!(
        schema["properties"]["environments"]["additionalProperties"]["$ref"],
        "#/$defs/EnvironmentFile"
    );
    assert_eq!(
        schema["$defs"]["EnvironmentFile"]["required"],
        serde_json::json!(["region"])
    );
}

#[test]
fn a_dry_run_shows_each_environments_values_and_refuses_a_branch_it_does_not_deploy_from() {
    let repo = repo();
    let dry = |env: &str, extra: &[&str]| {
        let mut args = vec!["deploy", "infra", "--force", "--dry-run", "--env", env];
        args.extend_from_slice(extra);
        repo.quest().args(args).run()
    };

    let dev = dry("dev", &[]).ok();
    let plan = repo
        .quest()
        .args(["plan", "--env", "prod", "--format", "json"])
        .run()
        .ok()
        .json();
    assert_eq!(
        plan["environment"],
        serde_json::json!({"name": "prod", "region": "eu-west-1", "branches": ["release"], "approval": true}),
        "{plan}"
    );
    let markdown = repo
        .quest()
        .args(["plan", "--env", "dev", "--format", "markdown"])
        .run()
        .ok()
        .stdout;
    assert!(
        markdown.starts_with("<!-- quest-changes summary -->\n**Environment:** dev &#40;region us-east-1, branches main, credentials from CI context aws-dev&#41;\n\n"),
        "{markdown}"
    );
    assert!(
        dev.stderr
            .contains("infra: environment dev (region us-east-1, branches main, credentials from CI context aws-dev)\n"),
        "{}",
        dev.stderr
    );
    assert!(
        dev.stdout
            .contains("-backend-config=key=dev/terraform.tfstate "),
        "{}",
        dev.stdout
    );
    assert!(
        dev.stdout.contains(" -var-file=dev.tfvars\n"),
        "{}",
        dev.stdout
    );
    assert!(
        dev.stdout
            .ends_with("  the run applies: branch `main` is in apply_on: main\n"),
        "{}",
        dev.stdout
    );

    let prod = dry("prod", &["--branch", "release"]).ok();
    assert!(
        prod.stderr
            .contains("infra: environment prod (region eu-west-1, branches release, approval)\n"),
        "{}",
        prod.stderr
    );
    assert!(
        prod.stdout
            .contains("-backend-config=key=prod/terraform.tfstate "),
        "{}",
        prod.stdout
    );
    assert!(
        prod.stdout.contains(" -var-file=prod.tfvars\n"),
        "{}",
        prod.stdout
    );
    assert!(
        prod.stdout
            .ends_with("  the run applies: branch `release` is in apply_on: release\n"),
        "{}",
        prod.stdout
    );

    // main does not deploy to prod: exit 12, nothing printed as a plan.
    let refused = dry("prod", &[]);
    assert_eq!(refused.code, 12, "{}", refused.stderr);
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);
    assert!(
        refused.stderr.ends_with(
            "error: infra: environment `prod` deploys from release only, and this is branch `main`; nothing was deployed (other commits reach it by promotion)\n"
        ),
        "{}",
        refused.stderr
    );
    // --apply cannot override it; a plan-only run writes nothing and is never refused.
    assert_eq!(dry("prod", &["--apply"]).code, 12);
    let plan_only = dry("prod", &["--plan-only"]).ok();
    assert!(
        plan_only.stdout.contains("key=prod/terraform.tfstate"),
        "{}",
        plan_only.stdout
    );

    // QUEST_ENV is --env.
    let by_variable = repo
        .quest()
        .env("QUEST_ENV", "dev")
        .args(["deploy", "infra", "--force", "--dry-run"])
        .run()
        .ok();
    assert!(by_variable.stdout.contains("key=dev/terraform.tfstate"));

    // `plan` says which environment its steps are for.
    let plan = repo
        .quest()
        .args(["plan", "--env", "prod", "--base", "HEAD~1"])
        .run()
        .ok();
    assert!(
        plan.stdout
            .starts_with("environment prod (region eu-west-1, branches release, approval)\n"),
        "{}",
        plan.stdout
    );
}

/// The commit of environment `key`'s marker, or `None`.
fn marker(moto: &Moto, key: &str) -> Option<String> {
    object(moto, &format!("{key}.quest-changes.json")).map(|text| {
        let marker: serde_json::Value = serde_json::from_str(&text).unwrap();
        marker["commit"].as_str().unwrap().to_owned()
    })
}

/// The value of SSM parameter `/quest/keep` in `region`, or `<none>`.
fn keep_in(moto: &Moto, region: &str) -> String {
    tf::boto(
        moto,
        &format!(
            "r = boto3.client('ssm', **{{**kw, 'region_name': {region:?}}})\ntry:\n    print(r.get_parameter(Name='/quest/keep')['Parameter']['Value'])\nexcept r.exceptions.ParameterNotFound:\n    print('<none>')"
        ),
    )
}

#[test]
fn terraform_applies_per_environment_with_its_own_state_marker_and_region() {
    tf::require_terraform();
    let dir = tempfile::tempdir().unwrap();
    let rc = tf::cli_config(dir.path());
    let moto = Moto::start();
    let repo = repo();
    plain_bucket(&moto);
    let run = |args: &[&str]| bounded(&quest(&repo, &moto, &rc).args(args));
    let a = repo.head();

    // dev from main: dev's var file, key and region.
    run(&["deploy", "infra", "--force", "--env", "dev"]).ok();
    assert_eq!(keep_in(&moto, "us-east-1"), "dev-value");
    assert_eq!(keep_in(&moto, "eu-west-1"), "<none>", "prod is untouched");
    assert_eq!(
        marker(&moto, "dev/terraform.tfstate").as_deref(),
        Some(a.as_str())
    );
    assert_eq!(marker(&moto, "prod/terraform.tfstate"), None);
    assert!(object(&moto, "dev/terraform.tfstate").is_some());
    assert_eq!(object(&moto, "prod/terraform.tfstate"), None);

    // prod from main is refused before Terraform runs.
    let refused = run(&["deploy", "infra", "--force", "--env", "prod"]);
    assert_eq!(refused.code, 12, "{}", refused.stderr);
    assert!(!refused.stderr.contains("terraform"), "{}", refused.stderr);
    assert_eq!(keep_in(&moto, "eu-west-1"), "<none>");

    // prod from release: its own key, var file and region.
    run(&[
        "deploy", "infra", "--force", "--env", "prod", "--branch", "release",
    ])
    .ok();
    assert_eq!(keep_in(&moto, "eu-west-1"), "secret-value-a");
    assert_eq!(
        marker(&moto, "prod/terraform.tfstate").as_deref(),
        Some(a.as_str())
    );

    // A new commit reaches dev only.
    repo.write(
        "infra/dev.tfvars",
        "keep_value   = \"dev-value-b\"\nrenamed_name = \"first\"\n",
    )
    .write(
        "infra/main.tf",
        &format!("{}\n# b\n", tf::ROOT_HEAD.to_owned() + tf::GONE),
    );
    let b = repo.commit("dev value b");
    run(&["deploy", "infra", "--env", "dev", "--base", &a]).ok();
    assert_eq!(keep_in(&moto, "us-east-1"), "dev-value-b");
    assert_eq!(
        marker(&moto, "dev/terraform.tfstate").as_deref(),
        Some(b.as_str())
    );
    assert_eq!(
        marker(&moto, "prod/terraform.tfstate").as_deref(),
        Some(a.as_str())
    );

    // --since deployed reads the environment's own marker.
    let since = |env: &str| {
        bounded(&quest(&repo, &moto, &rc).args([
            "--since", "deployed", "--env", env, "--base", &b, "--format", "json",
        ]))
        .ok()
        .json()
    };
    let dev = since("dev");
    assert_eq!(dev["targets"]["infra"]["base"], b.as_str(), "{dev}");
    assert_eq!(dev["targets"]["infra"]["changed"], false, "{dev}");
    let prod = since("prod");
    assert_eq!(prod["targets"]["infra"]["base"], a.as_str(), "{prod}");
    assert_eq!(
        prod["targets"]["infra"]["changed"], true,
        "prod runs a, and a..b changed the root's main.tf: {prod}"
    );

    // A pull request plans each environment into one plan directory; the comment shows each
    // environment's plan, read from that environment's folder.
    let plans = dir.path().join("plans");
    for env in ["dev", "prod"] {
        run(&[
            "deploy",
            "infra",
            "--env",
            env,
            "--base",
            &a,
            "--plan-only",
            "--plan-dir",
            plans.to_str().unwrap(),
        ])
        .ok();
    }
    let body = quest(&repo, &moto, &rc)
        .args(["comment", "--dry-run", "--base", &a, "--plan-dir"])
        .arg(&plans)
        .run()
        .ok()
        .stdout;
    assert!(body.contains("**infra in dev**: No changes.\n"), "{body}");
    assert!(body.contains("**infra in prod**: No changes.\n"), "{body}");
    assert!(
        !body.contains("no plan was saved"),
        "each environment's plan was found in its folder: {body}"
    );
}

/// Python that points `kw` at the account of an assumed role, as the binary reaches prod.
const AS_PROD: &str = "c = boto3.client('sts', **kw).assume_role(RoleArn='arn:aws:iam::222222222222:role/test', RoleSessionName='test')['Credentials']\nkw = dict(kw, aws_access_key_id=c['AccessKeyId'], aws_secret_access_key=c['SecretAccessKey'], aws_session_token=c['SessionToken'])";

#[test]
fn terraform_runs_as_the_environments_role_in_its_account() {
    tf::require_terraform();
    let dir = tempfile::tempdir().unwrap();
    let rc = tf::cli_config(dir.path());
    let moto = Moto::start();
    let repo = repo();
    repo.write(
        ".quest-changes.yml",
        &config().replace(
            "approval: true}",
            "approval: true, credentials: {role_arn: \"arn:aws:iam::222222222222:role/quest-deploy\"}}",
        ),
    );
    repo.commit("prod assumes its role");
    // prod's state bucket is in prod's account (moto serves the account an assumed role names).
    tf::boto(
        &moto,
        &format!("{AS_PROD}\nboto3.client('s3', **kw).create_bucket(Bucket={BUCKET:?})"),
    );

    bounded(&quest(&repo, &moto, &rc).args([
        "deploy", "infra", "--force", "--env", "prod", "--branch", "release",
    ]))
    .ok();
    let in_prod = tf::boto(
        &moto,
        &format!(
            "{AS_PROD}\nprint(boto3.client('ssm', **{{**kw, 'region_name': 'eu-west-1'}}).get_parameter(Name='/quest/keep')['Parameter']['Value'])\nprint(boto3.client('s3', **kw).head_object(Bucket={BUCKET:?}, Key='prod/terraform.tfstate')['ContentLength'] > 0)"
        ),
    );
    assert_eq!(
        in_prod, "secret-value-a\nTrue",
        "Terraform wrote in prod's account"
    );
    assert_eq!(
        keep_in(&moto, "eu-west-1"),
        "<none>",
        "nothing in the job's own account"
    );
}

#[test]
fn the_documented_example_is_a_valid_configuration() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/environments.md"),
    )
    .unwrap();
    let yaml = doc
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/environments.md shows a configuration");
    let repo = Repo::new();
    repo.write(".quest-changes.yml", yaml);
    repo.commit("the documented configuration");
    let shown = repo
        .quest()
        .args(["config", "--format", "json", "--env", "dev"])
        .run()
        .ok()
        .json();
    assert_eq!(
        shown["environments"]["prod"]["branches"],
        serde_json::json!(["main"])
    );
    assert_eq!(
        shown["environments"]["prod"]["credentials"]["role_arn"],
        "arn:aws:iam::222222222222:role/quest-deploy"
    );
    assert_eq!(
        shown["targets"]["infra"]["environments"]["dev"]["root"],
        "terraform/environments/dev"
    );
}
