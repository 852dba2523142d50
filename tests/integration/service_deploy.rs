//! The whole service deployment through `quest-changes deploy`, end to end on loopback: a real
//! podman build and push into a real registry (mirrored into moto's ECR), the scan gate, a task
//! definition revision pinned to the pushed digest, the rollout that the moto extension
//! advances, the rollback, `--since deployed` from the running revision, the names taken
//! from a terraform target's outputs, and one target deployed per environment.

use aws_sdk_ecs::types::{ContainerDefinition, Tag};
use serde_json::json;

use crate::moto::Moto;
use crate::registry::Registry;
use crate::support::{Quest, Repo, Run};

const REPOSITORY: &str = "quest-app";

struct World {
    repo: Repo,
    moto: Moto,
    registry: Registry,
    runtime: tokio::runtime::Runtime,
    config: aws_config::SdkConfig,
}

impl World {
    /// moto (mirroring the registry; new images crash when `crash`), an ECR repository, a
    /// cluster `quest` with a service `quest` of 2 tasks on revision 1 (`old:1`), and a
    /// repository whose `service` target deploys `app/` there.
    fn new(crash: bool) -> World {
        World::with_rule(if crash {
            "QUEST_MOTO_CRASHING_IMAGES"
        } else {
            ""
        })
    }

    /// Like [`World::new`], with the moto extension's rule `rule` (a variable naming which
    /// images crash or never finish) matching every image pushed to the repository.
    fn with_rule(rule: &str) -> World {
        let registry = Registry::start();
        let mut env = vec![
            ("QUEST_TEST_REGISTRY", registry.host()),
            ("QUEST_MOTO_ROLLOUT_DELAY", "0.3".to_owned()),
        ];
        if !rule.is_empty() {
            env.push((rule, format!("{REPOSITORY}@")));
        }
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let world = World::start(registry, &env);
        world.setup();
        world.clean_scans();
        world
    }

    fn start(registry: Registry, env: &[(&str, &str)]) -> World {
        let moto = Moto::start_with(env);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let config = moto.sdk_config();
        let repo = Repo::new();
        repo.write(
            ".quest-changes.yml",
            &format!(
                "version: 1\ntargets:\n  service:\n    kind: ecs-service\n    build: {{context: app, cli: podman}}\n    image: {{repository: {REPOSITORY}, registry: \"{}\"}}\n    ecs: {{cluster: quest, service: quest, container: quest}}\n    scan: {{fail_on: HIGH, timeout: 30s}}\n    rollout: {{timeout: 20s, poll: 100ms}}\n  docs:\n    kind: custom\n    paths: [\"docs/**\"]\n",
                registry.host()
            ),
        )
        .write("app/Dockerfile", "FROM scratch\nCOPY server.js /server.js\n")
        .write("app/server.js", "console.log('quest')\n")
        .write("docs/a.md", "a\n");
        repo.commit("the app");
        World {
            repo,
            moto,
            registry,
            runtime,
            config,
        }
    }

    fn setup(&self) {
        let ecr = aws_sdk_ecr::Client::new(&self.config);
        let ecs = aws_sdk_ecs::Client::new(&self.config);
        self.runtime.block_on(async {
            ecr.create_repository()
                .repository_name(REPOSITORY)
                .send()
                .await
                .unwrap();
            ecs.create_cluster()
                .cluster_name("quest")
                .send()
                .await
                .unwrap();
            ecs.register_task_definition()
                .family("quest")
                .container_definitions(
                    ContainerDefinition::builder()
                        .name("quest")
                        .image("old:1")
                        .memory(256)
                        .essential(true)
                        .build(),
                )
                .tags(Tag::builder().key("team").value("quest").build())
                .send()
                .await
                .unwrap();
            ecs.create_service()
                .cluster("quest")
                .service_name("quest")
                .task_definition("quest:1")
                .desired_count(2)
                .send()
                .await
                .unwrap();
        });
    }

    /// Every scan of the repository completes without findings.
    fn clean_scans(&self) {
        let body = json!({
            "region": "us-east-1",
            "results": [{
                "registryId": "123456789012",
                "repositoryName": REPOSITORY,
                "imageId": {},
                "imageScanStatus": {"status": "COMPLETE", "description": "done"},
                "imageScanFindings": {"findings": []},
            }],
        });
        self.moto.set_scan_results(&body);
    }

    fn quest(&self) -> Quest {
        self.repo.quest().aws(&self.moto).podman(&self.registry)
    }

    fn deploy(&self, base: &str) -> Run {
        self.quest()
            .args(["deploy", "service", "--base", base, "--verbose"])
            .run()
    }

    /// The service's task definition and the image of its container `quest`.
    fn running(&self) -> (String, String) {
        self.running_in("quest", "quest")
    }

    /// Service `name`'s task definition in `cluster` and the image of its first container.
    fn running_in(&self, cluster: &str, name: &str) -> (String, String) {
        crate::moto::running(&self.runtime, &self.config, cluster, name)
    }

    fn revisions(&self) -> usize {
        let ecs = aws_sdk_ecs::Client::new(&self.config);
        self.runtime.block_on(async {
            ecs.list_task_definitions()
                .family_prefix("quest")
                .send()
                .await
                .unwrap()
                .task_definition_arns()
                .len()
        })
    }
}

#[test]
fn a_push_to_the_app_is_built_scanned_and_rolled_out_pinned_to_its_digest() {
    let world = World::new(false);
    let base = world.repo.head();
    world.repo.write("app/server.js", "console.log('v2')\n");
    world.repo.commit("v2");
    let head = world.repo.head();

    let run = world.deploy(&base);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let digest = world.registry.digest(REPOSITORY, &head);
    let (revision, image) = world.running();
    assert_eq!(revision, "quest:2");
    assert!(
        image.ends_with(&format!("/{REPOSITORY}@{digest}")),
        "{image} is not pinned to {digest}"
    );
    assert!(
        run.stderr.contains("service: the scan gate passed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(" AWS calls"), "{}", run.stderr);

    // The same commit again: the image is in ECR and the revision would not change.
    let pushes = world.registry.manifest_pushes(REPOSITORY);
    let run = world.deploy(&base);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        world.registry.manifest_pushes(REPOSITORY),
        pushes,
        "no second push"
    );
    assert_eq!(world.revisions(), 2, "no new revision: {}", run.stderr);
    assert_eq!(world.running().0, "quest:2");

    // `--since deployed`: the service runs `head`, so a docs-only push deploys nothing ...
    world.repo.write("docs/a.md", "b\n");
    world.repo.commit("docs");
    let docs_base = world.repo.rev("HEAD~1");
    let doc = world
        .quest()
        .args([
            "--since", "deployed", "--base", &docs_base, "--format", "json",
        ])
        .run()
        .ok()
        .json();
    assert_eq!(doc["targets"]["service"]["changed"], false, "{doc}");
    assert_eq!(doc["targets"]["service"]["base"], head.as_str());
    assert_eq!(
        doc["targets"]["service"]["base_reason"],
        "the commit of the image the service runs"
    );
    assert_eq!(doc["targets"]["docs"]["base_source"], "range");
}

#[test]
fn a_rollout_that_fails_is_rolled_back_and_the_next_push_retries_it() {
    let world = World::new(true);
    let base = world.repo.head();
    // The service runs an image no deployment of ours tagged: `--since deployed` cannot know
    // what it runs, so the service is changed.
    let doc = world
        .quest()
        .args(["--since", "deployed", "--base", &base, "--format", "json"])
        .run()
        .ok()
        .json();
    assert_eq!(doc["targets"]["service"]["changed"], true, "{doc}");
    assert_eq!(doc["targets"]["service"]["base"], serde_json::Value::Null);

    world
        .repo
        .write("app/server.js", "console.log('crashes')\n");
    world.repo.commit("v2 crashes");
    let run = world.deploy(&base);
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(
        run.stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("error: service: the rollout failed ("),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("rolled back to "), "{}", run.stderr);
    let (revision, image) = world.running();
    assert_eq!((revision.as_str(), image.as_str()), ("quest:1", "old:1"));
    // The failed revision stays registered, and the previous one was never deregistered.
    assert_eq!(world.revisions(), 2);

    // A docs-only push still redeploys the service with --since deployed: what it runs is
    // not a commit of ours.
    world.repo.write("docs/a.md", "b\n");
    world.repo.commit("docs");
    let doc = world
        .quest()
        .args([
            "--since", "deployed", "--base", "HEAD~1", "--format", "json",
        ])
        .run()
        .ok()
        .json();
    assert_eq!(doc["targets"]["service"]["changed"], true, "{doc}");
}

#[test]
fn a_terraform_targets_outputs_name_the_service_of_a_dry_run() {
    use crate::terraform_support::{bounded, cli_config, plain_bucket, require_terraform, BUCKET};
    require_terraform();
    let moto = Moto::start();
    plain_bucket(&moto);
    let rc_dir = tempfile::tempdir().unwrap();
    let rc = cli_config(rc_dir.path());
    let repo = Repo::new();
    repo.write(
        ".quest-changes.yml",
        &format!("version: 1\ntargets:\n  infra:\n    kind: terraform\n    root: infra\n    state: {{bucket: {BUCKET}, key: outputs/terraform.tfstate, region: us-east-1}}\n  service:\n    kind: ecs-service\n    build: {{context: app, cli: podman}}\n    image: {{platform: linux/amd64}}\n    ecs: {{from: infra}}\n"),
    )
    .write(".gitignore", ".terraform/\n.terraform.lock.hcl\n")
    .write(
        "infra/main.tf",
        "terraform {\n  backend \"s3\" {\n    use_path_style = true\n  }\n}\n\noutput \"cluster_name\" {\n  value = \"quest-cluster\"\n}\n\noutput \"service_name\" {\n  value = \"quest-service\"\n}\n\noutput \"container_name\" {\n  value = \"quest-container\"\n}\n\noutput \"ecr_repository_name\" {\n  value = \"quest-repository\"\n}\n",
    )
    .write("app/Dockerfile", "FROM scratch\n");
    repo.commit("infra and app");
    let quest = |args: &[&str]| {
        repo.quest()
            .aws(&moto)
            .env("TF_CLI_CONFIG_FILE", rc.display().to_string())
            .args(args)
    };
    let applied = bounded(&quest(&["deploy", "infra", "--force", "--branch", "main"]));
    assert_eq!(applied.code, 0, "{}", applied.stderr);
    let outputs = bounded(&quest(&["outputs", "infra"])).ok();
    let doc: serde_json::Value = serde_json::from_str(&outputs.stdout).unwrap();
    assert_eq!(doc["service_name"]["value"], "quest-service");

    let run = bounded(&quest(&["deploy", "service", "--force", "--dry-run"]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    for name in [
        "ECR repository `quest-repository`",
        "quest-cluster",
        "quest-service",
        "quest-container",
    ] {
        assert!(run.stdout.contains(name), "{name} missing:\n{}", run.stdout);
    }
}

#[test]
fn a_container_missing_from_the_task_definition_stops_before_any_build_or_push() {
    let world = World::new(false);
    let config = std::fs::read_to_string(world.repo.path.join(".quest-changes.yml")).unwrap();
    world.repo.write(
        ".quest-changes.yml",
        &config.replace("container: quest}", "container: qeust}"),
    );
    let base = world.repo.head();
    world.repo.write("app/server.js", "console.log('v2')\n");
    world.repo.commit("v2 with a typo in the container");
    let run = world.deploy(&base);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr.lines().last().unwrap(),
        "error: service: the task definition `quest` has no container named `qeust` (it has: `quest`)"
    );
    assert_eq!(world.registry.manifest_pushes(REPOSITORY), 0);
    assert_eq!(world.revisions(), 1);
}

#[test]
fn a_rerun_after_a_cancelled_job_is_not_called_deployed() {
    let world = World::with_rule("QUEST_MOTO_STUCK_IMAGES");
    let base = world.repo.head();
    world.repo.write("app/server.js", "console.log('v2')\n");
    world.repo.commit("v2 never finishes");
    // The job is cancelled while it watches the rollout.
    let mut job = world
        .quest()
        .args(["deploy", "service", "--base", &base])
        .command()
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(job.stderr.take().unwrap());
    use std::io::BufRead as _;
    for line in stderr.lines() {
        if line.unwrap().contains(": deployment ecs-svc/") {
            break;
        }
    }
    job.kill().unwrap();
    job.wait().unwrap();
    assert_eq!(world.running().0, "quest:2");

    // The re-run finds the image in ECR and the revision unchanged: not a success.
    let run = world.deploy(&base);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let last = run.stderr.lines().last().unwrap();
    assert!(
        last.starts_with("error: service: the service already runs quest:2 with image ")
            && last.contains(", but its deployment ecs-svc/")
            && last.contains(" is IN_PROGRESS (running 0/2); this run cannot call that deployed"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_deploy_to_dev_rolls_out_devs_service_and_leaves_prods_alone() {
    let world = World::new(false);
    // The world's service `quest` is prod's; dev has a cluster, family and service of its own.
    let ecs = aws_sdk_ecs::Client::new(&world.config);
    world.runtime.block_on(async {
        ecs.create_cluster()
            .cluster_name("quest-dev")
            .send()
            .await
            .unwrap();
        ecs.register_task_definition()
            .family("quest-dev")
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
            .cluster("quest-dev")
            .service_name("quest-dev")
            .task_definition("quest-dev:1")
            .desired_count(1)
            .send()
            .await
            .unwrap();
    });
    world.repo.write(
        ".quest-changes.yml",
        &format!(
            "version: 1\nenvironments:\n  dev: {{branches: [main], region: us-east-1}}\n  prod: {{branches: [release], region: us-east-1, approval: true}}\ntargets:\n  service:\n    kind: ecs-service\n    build: {{context: app, cli: podman}}\n    image: {{repository: {REPOSITORY}, registry: \"{}\"}}\n    ecs: {{cluster: quest, service: quest, container: quest}}\n    scan: {{fail_on: HIGH, timeout: 30s}}\n    rollout: {{timeout: 20s, poll: 100ms}}\n    environments:\n      dev: {{ecs: {{cluster: quest-dev, service: quest-dev}}}}\n  docs:\n    kind: custom\n    paths: [\"docs/**\"]\n",
            world.registry.host()
        ),
    );
    world.repo.commit("environments");
    let base = world.repo.head();
    world.repo.write("app/server.js", "console.log('v2')\n");
    let head = world.repo.commit("v2");

    // The dry runs name each environment's service.
    let dry = |env: &str, branch: &str| {
        world
            .quest()
            .args([
                "deploy",
                "service",
                "--dry-run",
                "--base",
                &base,
                "--env",
                env,
            ])
            .args(["--branch", branch])
            .run()
            .ok()
    };
    let dev = dry("dev", "main");
    assert!(
        dev.stdout
            .contains("service: dry run: would update service `quest-dev` in cluster `quest-dev` from quest-dev:1 to that revision\n"),
        "{}",
        dev.stdout
    );
    assert!(
        dev.stderr
            .contains("service: environment dev (region us-east-1, branches main)\n"),
        "{}",
        dev.stderr
    );
    let prod = dry("prod", "release");
    assert!(
        prod.stdout
            .contains("service: dry run: would update service `quest` in cluster `quest` from quest:1 to that revision\n"),
        "{}",
        prod.stdout
    );
    assert!(!prod.stdout.contains("quest-dev"), "{}", prod.stdout);

    // main does not deploy to prod.
    let refused = world
        .quest()
        .args(["deploy", "service", "--base", &base, "--env", "prod"])
        .run();
    assert_eq!(refused.code, 12, "{}", refused.stderr);
    assert_eq!(
        world.registry.manifest_pushes(REPOSITORY),
        0,
        "nothing was built"
    );

    let run = world
        .quest()
        .args(["deploy", "service", "--base", &base, "--env", "dev"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let digest = world.registry.digest(REPOSITORY, &head);
    let (revision, image) = world.running_in("quest-dev", "quest-dev");
    assert_eq!(revision, "quest-dev:2");
    assert!(
        image.ends_with(&format!("/{REPOSITORY}@{digest}")),
        "{image}"
    );
    assert_eq!(
        world.running_in("quest", "quest"),
        ("quest:1".to_owned(), "old:1".to_owned()),
        "prod is left alone"
    );

    // --since deployed asks each environment's own service.
    let since = |env: &str| {
        world
            .quest()
            .args(["--since", "deployed", "--base", &base, "--env", env])
            .args(["--format", "json"])
            .run()
            .ok()
            .json()
    };
    let dev = since("dev");
    assert_eq!(dev["targets"]["service"]["base"], head.as_str(), "{dev}");
    assert_eq!(dev["targets"]["service"]["changed"], false, "{dev}");
    let prod = since("prod");
    assert_eq!(
        prod["targets"]["service"]["base"],
        serde_json::Value::Null,
        "{prod}"
    );
    assert_eq!(prod["targets"]["service"]["changed"], true, "{prod}");
}
