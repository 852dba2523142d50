//! Promotion end to end across two AWS accounts: `dev` (account 111111111111, which holds the
//! one ECR repository) and `prod` (account 222222222222), each reached by assuming its
//! `credentials.role_arn` (moto serves the account the assumed role names). A real podman build
//! is pushed once, to the registry the moto extension mirrors into dev's ECR; `promote` then
//! rolls the digest dev runs out to prod, never building.

use aws_sdk_ecs::types::ContainerDefinition;
use serde_json::json;

use crate::moto::Moto;
use crate::registry::Registry;
use crate::support::{Quest, Repo, Run};

const REPOSITORY: &str = "quest-app";
const DEV: &str = "111111111111";
const PROD: &str = "222222222222";

struct World {
    repo: Repo,
    moto: Moto,
    registry: Registry,
    runtime: tokio::runtime::Runtime,
    dev: aws_config::SdkConfig,
    prod: aws_config::SdkConfig,
}

impl World {
    /// moto (with `env` for its extensions), dev's repository, cluster and service
    /// `quest-dev` on revision 1, prod's cluster and service `quest` on revision 1, and a
    /// repository whose `service` target deploys to both.
    fn start(env: &[(&str, &str)]) -> World {
        let registry = Registry::start();
        let host = registry.host();
        let mut all = vec![
            ("QUEST_TEST_REGISTRY", host.as_str()),
            ("QUEST_MOTO_ROLLOUT_DELAY", "0.3"),
        ];
        all.extend_from_slice(env);
        let moto = Moto::start_with(&all);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let dev = account_config(&moto, &runtime, DEV);
        let prod = account_config(&moto, &runtime, PROD);
        let repo = Repo::new();
        repo.write(
            ".quest-changes.yml",
            &format!(
                "version: 1\nenvironments:\n  dev:\n    branches: [main]\n    region: us-east-1\n    credentials: {{role_arn: \"arn:aws:iam::{DEV}:role/quest-deploy\"}}\n  prod:\n    region: us-east-1\n    credentials: {{role_arn: \"arn:aws:iam::{PROD}:role/quest-deploy\"}}\n    approval: true\ntargets:\n  service:\n    kind: ecs-service\n    build: {{context: app, cli: podman}}\n    image: {{repository: {REPOSITORY}, registry: \"{host}\"}}\n    ecs: {{cluster: quest, service: quest, container: quest}}\n    scan: {{fail_on: HIGH, timeout: 30s}}\n    rollout: {{timeout: 20s, poll: 100ms}}\n    environments:\n      dev: {{ecs: {{cluster: quest-dev, service: quest-dev}}}}\n"
            ),
        )
        .write("app/Dockerfile", "FROM scratch\nCOPY server.js /server.js\n")
        .write("app/server.js", "console.log('quest')\n");
        repo.commit("the app");
        let world = World {
            repo,
            moto,
            registry,
            runtime,
            dev,
            prod,
        };
        world.service(&world.dev, "quest-dev");
        world.service(&world.prod, "quest");
        let ecr = aws_sdk_ecr::Client::new(&world.dev);
        world.runtime.block_on(async {
            ecr.create_repository()
                .repository_name(REPOSITORY)
                .send()
                .await
                .unwrap();
        });
        world.findings(json!({}), "NONE");
        world
    }

    /// A cluster and service `name` (family `name`, container `quest` on `old:1`, 2 tasks) in
    /// the account of `config`.
    fn service(&self, config: &aws_config::SdkConfig, name: &str) {
        let ecs = aws_sdk_ecs::Client::new(config);
        self.runtime.block_on(async {
            ecs.create_cluster()
                .cluster_name(name)
                .send()
                .await
                .unwrap();
            ecs.register_task_definition()
                .family(name)
                .container_definitions(
                    ContainerDefinition::builder()
                        .name("quest")
                        .image("old:1")
                        .memory(256)
                        .essential(true)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            ecs.create_service()
                .cluster(name)
                .service_name(name)
                .task_definition(format!("{name}:1"))
                .desired_count(2)
                .send()
                .await
                .unwrap();
        });
    }

    /// Publishes the scan result of the image `image_id` in dev's repository (`{}`: the next
    /// image asked about): no findings, or one finding of `severity`.
    fn findings(&self, image_id: serde_json::Value, severity: &str) {
        let findings = if severity == "NONE" {
            json!([])
        } else {
            json!([{
                "name": "CVE-2026-0001",
                "uri": "https://example.com/CVE-2026-0001",
                "severity": severity,
                "attributes": [{"key": "package_name", "value": "openssl"}],
            }])
        };
        let body = json!({
            "account_id": DEV,
            "region": "us-east-1",
            "results": [{
                "registryId": DEV,
                "repositoryName": REPOSITORY,
                "imageId": image_id,
                "imageScanStatus": {"status": "COMPLETE", "description": "done"},
                "imageScanFindings": {"findings": findings},
            }],
        });
        self.moto.set_scan_results(&body);
    }

    fn quest(&self) -> Quest {
        self.repo.quest().aws(&self.moto).podman(&self.registry)
    }

    fn deploy_dev(&self, base: &str) -> Run {
        self.quest()
            .args(["deploy", "service", "--base", base, "--env", "dev"])
            .run()
    }

    /// `promote service --from dev --to prod` of `head`, with no container tool on the PATH:
    /// a promotion that tried to build would fail.
    fn promote(&self, head: &str) -> Run {
        self.quest()
            .env("PATH", "/nonexistent")
            .args([
                "promote",
                "service",
                "--from",
                "dev",
                "--to",
                "prod",
                "--head",
                head,
                "--verbose",
            ])
            .run()
    }

    /// The revision (`family:n`) and image that service `name` runs in the account of
    /// `config`.
    fn running(&self, config: &aws_config::SdkConfig, name: &str) -> (String, String) {
        crate::moto::running(&self.runtime, config, name, name)
    }

    /// The images in dev's repository: each digest with its tags, sorted.
    fn images(&self) -> Vec<(String, Vec<String>)> {
        let ecr = aws_sdk_ecr::Client::new(&self.dev);
        self.runtime.block_on(async {
            let out = ecr
                .describe_images()
                .repository_name(REPOSITORY)
                .send()
                .await
                .unwrap();
            out.image_details()
                .iter()
                .map(|d| {
                    let mut tags = d.image_tags().to_vec();
                    tags.sort();
                    (d.image_digest().unwrap().to_owned(), tags)
                })
                .collect()
        })
    }
}

/// An SDK configuration for `account`: the role moto hands out for it, assumed from the test
/// keys, as the binary does for an environment's `role_arn`.
fn account_config(
    moto: &Moto,
    runtime: &tokio::runtime::Runtime,
    account: &str,
) -> aws_config::SdkConfig {
    // Loaded as the binary loads it (with a clock and a sleep, which STS needs).
    let base = runtime.block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(moto.endpoint())
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load(),
    );
    let provider = runtime.block_on(
        aws_config::sts::AssumeRoleProvider::builder(format!("arn:aws:iam::{account}:role/test"))
            .session_name("test")
            .configure(&base)
            .build(),
    );
    base.into_builder()
        .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(provider))
        .build()
}

#[test]
fn a_commit_dev_runs_is_promoted_to_prod_by_digest_and_nothing_else_is() {
    let world = World::start(&[]);
    let base = world.repo.head();
    world.repo.write("app/server.js", "console.log('v2')\n");
    world.repo.commit("v2");
    let head = world.repo.head();
    let old = ("quest:1".to_owned(), "old:1".to_owned());

    // Nothing of this commit runs in dev yet.
    let refused = world.promote(&head);
    assert_eq!(refused.code, 13, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&format!(
            "error: service: cannot promote commit {} from `dev` to `prod`: quest-dev:1 carries no commit",
            &head[..12]
        )),
        "{}",
        refused.stderr
    );
    assert_eq!(world.running(&world.prod, "quest"), old);

    // Build once: dev, in its own account.
    let run = world.deploy_dev(&base);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let digest = world.registry.digest(REPOSITORY, &head);
    let (dev_revision, dev_image) = world.running(&world.dev, "quest-dev");
    assert_eq!(dev_revision, "quest-dev:2");
    assert_eq!(
        dev_image,
        format!("{DEV}.dkr.ecr.us-east-1.amazonaws.com/{REPOSITORY}@{digest}")
    );
    assert_eq!(
        world.running(&world.prod, "quest"),
        old,
        "prod is left alone"
    );
    let pushes = world.registry.manifest_pushes(REPOSITORY);

    // A later commit on main that dev does not run is refused.
    world.repo.write("app/server.js", "console.log('v3')\n");
    world.repo.commit("v3");
    let later = world.repo.head();
    let refused = world.promote(&later);
    assert_eq!(refused.code, 13, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&format!(
            "`dev` runs commit {} (quest-dev:2), not this one; nothing was changed in `prod`",
            &head[..12]
        )),
        "{}",
        refused.stderr
    );

    // A CRITICAL finding published for the digest since dev's deployment blocks it.
    world.findings(json!({"imageDigest": digest}), "CRITICAL");
    let blocked = world.promote(&head);
    assert_eq!(blocked.code, 4, "{}", blocked.stderr);
    assert!(
        blocked.stderr.contains("CVE-2026-0001"),
        "{}",
        blocked.stderr
    );
    assert_eq!(
        world.running(&world.prod, "quest"),
        old,
        "prod is left alone"
    );

    // Once the finding is gone, a dry run shows prod's revision and changes nothing ...
    world.findings(json!({"imageDigest": digest}), "NONE");
    let dry = world
        .quest()
        .args([
            "promote",
            "service",
            "--from",
            "dev",
            "--to",
            "prod",
            "--head",
            &head,
            "--dry-run",
        ])
        .run();
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout.contains(
            "service: dry run: would register a revision of family `quest` copied from quest:1, changed so:"
        ) && dry.stdout.contains(
            "service: dry run: would update service `quest` in cluster `quest` from quest:1 to that revision"
        ),
        "{}",
        dry.stdout
    );
    assert_eq!(
        world.running(&world.prod, "quest"),
        old,
        "a dry run changes nothing"
    );

    // ... and the promotion runs the same digest in prod, from prod's own revision.
    let promoted = world.promote(&head);
    assert_eq!(promoted.code, 0, "{}", promoted.stderr);
    assert!(
        promoted.stderr.contains(&format!(
            "promoting {dev_image} (commit {}, running in `dev`) to `prod`: no build",
            &head[..12]
        )),
        "{}",
        promoted.stderr
    );
    assert_eq!(
        world.running(&world.prod, "quest"),
        ("quest:2".to_owned(), dev_image.clone())
    );
    assert_eq!(
        world.running(&world.dev, "quest-dev"),
        (dev_revision, dev_image),
        "dev is untouched"
    );
    assert_eq!(
        world.registry.manifest_pushes(REPOSITORY),
        pushes,
        "nothing was pushed"
    );
    assert_eq!(
        world.images(),
        [(digest.clone(), vec![head.clone(), format!("prod-{head}")])],
        "one image in the repository, marked as prod's"
    );

    // prod now answers `--since deployed` with the promoted commit.
    let doc = world
        .quest()
        .args([
            "--since", "deployed", "--env", "prod", "--base", &base, "--head", &head, "--format",
            "json",
        ])
        .run()
        .ok()
        .json();
    assert_eq!(doc["targets"]["service"]["base"], head.as_str(), "{doc}");
    assert_eq!(doc["targets"]["service"]["changed"], false, "{doc}");

    // `status` reads each environment in its own account: both run `head`, one behind the
    // checked-out `later`, whose change to the app each would deploy next.
    let status = world.quest().args(["status", "--format", "json"]).run();
    assert_eq!(status.code, 0, "{}", status.stderr);
    let status = status.json();
    for env in ["dev", "prod"] {
        let cell = &status["targets"]["service"]["environments"][env];
        assert_eq!(cell["commit"], head.as_str(), "{env}: {status}");
        assert_eq!(cell["rollout"], "COMPLETED", "{env}: {status}");
        assert_eq!(cell["behind"], 1, "{env}: {status}");
        assert_eq!(cell["next"], json!(["app/server.js"]), "{env}: {status}");
    }
}

#[test]
fn a_failed_prod_rollout_rolls_prod_back_and_leaves_dev_alone() {
    // prod's second revision crashes (the rule names prod's account); dev's runs.
    let crash = format!("{PROD}:task-definition/quest:2");
    let world = World::start(&[("QUEST_MOTO_CRASHING_IMAGES", &crash)]);
    let base = world.repo.head();
    world.repo.write("app/server.js", "console.log('v2')\n");
    world.repo.commit("v2");
    let head = world.repo.head();
    assert_eq!(world.deploy_dev(&base).code, 0);
    let dev = world.running(&world.dev, "quest-dev");

    let run = world.promote(&head);
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(
        run.stderr.contains("service: the rollout failed")
            && run.stderr.contains("was rolled back to quest:1"),
        "{}",
        run.stderr
    );
    assert_eq!(
        world.running(&world.prod, "quest"),
        ("quest:1".to_owned(), "old:1".to_owned())
    );
    assert_eq!(
        world.running(&world.dev, "quest-dev"),
        dev,
        "dev is untouched"
    );
}

#[test]
fn each_environments_names_come_from_its_own_roots_outputs_and_the_source_is_read_from_its_state() {
    crate::terraform_support::require_terraform();
    let world = World::start(&[]);
    // The names of each environment's service come from its root's outputs (`ecs.from`), kept
    // in a state bucket in its own account: dev's service is `quest-dev`, prod's `quest`.
    let host = world.registry.host();
    world
        .repo
        .write(
            ".quest-changes.yml",
            &format!(
                "version: 1\nenvironments:\n  dev:\n    branches: [main]\n    region: us-east-1\n    credentials: {{role_arn: \"arn:aws:iam::{DEV}:role/quest-deploy\"}}\n  prod:\n    branches: [main]\n    region: us-east-1\n    credentials: {{role_arn: \"arn:aws:iam::{PROD}:role/quest-deploy\"}}\ntargets:\n  service:\n    kind: ecs-service\n    build: {{context: app, cli: podman}}\n    image: {{registry: \"{host}\"}}\n    ecs: {{from: infra}}\n    scan: {{fail_on: HIGH, timeout: 30s}}\n    rollout: {{timeout: 20s, poll: 100ms}}\n  infra:\n    kind: terraform\n    root: infra\n    state: {{bucket: quest-state-prod, key: infra/terraform.tfstate, region: us-east-1}}\n    var_files: [prod.tfvars]\n    environments:\n      dev:\n        state: {{bucket: quest-state-dev}}\n        var_files: [dev.tfvars]\n"
            ),
        )
        .write(".gitignore", ".terraform/\n.terraform.lock.hcl\n")
        .write(
            "infra/main.tf",
            "terraform {\n  backend \"s3\" {\n    use_path_style = true\n  }\n}\n\nvariable \"name\" {\n  type = string\n}\n\noutput \"cluster_name\" {\n  value = var.name\n}\n\noutput \"service_name\" {\n  value = var.name\n}\n\noutput \"container_name\" {\n  value = \"quest\"\n}\n\noutput \"ecr_repository_name\" {\n  value = \"quest-app\"\n}\n",
        )
        .write("infra/dev.tfvars", "name = \"quest-dev\"\n")
        .write("infra/prod.tfvars", "name = \"quest\"\n");
    world.repo.commit("names from each environment's root");
    for (config, bucket) in [
        (&world.dev, "quest-state-dev"),
        (&world.prod, "quest-state-prod"),
    ] {
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(config)
                .force_path_style(true)
                .build(),
        );
        world.runtime.block_on(async {
            s3.create_bucket().bucket(bucket).send().await.unwrap();
        });
    }
    let base = world.repo.head();
    world.repo.write("app/server.js", "console.log('v2')\n");
    world.repo.commit("v2");
    let head = world.repo.head();
    let run = |args: &[&str]| crate::terraform_support::bounded(&world.quest().args(args));
    for env in ["dev", "prod"] {
        let applied = run(&["deploy", "infra", "--force", "--env", env]);
        assert_eq!(applied.code, 0, "{env}: {}", applied.stderr);
    }

    let deployed = run(&["deploy", "service", "--base", &base, "--env", "dev"]);
    assert_eq!(deployed.code, 0, "{}", deployed.stderr);
    let (_, dev_image) = world.running(&world.dev, "quest-dev");
    // No Terraform on the PATH: the promotion reads both environments' names from their state.
    let promoted = world.promote(&head);
    assert_eq!(promoted.code, 0, "{}", promoted.stderr);
    assert_eq!(
        world.running(&world.prod, "quest"),
        ("quest:2".to_owned(), dev_image)
    );
}
