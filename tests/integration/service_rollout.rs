//! Steps 6 to 9 of the service deployment against moto with the `ecs_rollouts` extension
//! (`tests/harness/ecs_rollouts.py`): the revision, the update, the watch, the rollback, the
//! `rollback` command and the deployed commit. The image steps belong to other tests, so the
//! rollout is driven through the library with an [`Image`] made here; `rollback` runs the CLI.
//! Each test has its own moto server and its own ECS cluster, set up with the AWS SDK.

use std::time::{Duration, Instant};

use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, HealthCheck, HostVolumeProperties, KeyValuePair,
    LogConfiguration, LogDriver, NetworkMode, PortMapping, Tag, TaskDefinitionField,
    TaskDefinitionStatus, Volume,
};
use quest_changes::aws::Aws;
use quest_changes::config::Config;
use quest_changes::deploy::context::Context;
use quest_changes::deploy::ecs::task_definition::{Revision, COMMIT_LABEL, COMMIT_TAG};
use quest_changes::deploy::ecs::{self, rollout, Image};
use quest_changes::Error;

use crate::moto::Moto;
use crate::support::Repo;

const CRASHING: &str = "sha256:dead";
const STUCK: &str = "sha256:5eed";
const GOOD: &str = "sha256:600d";

/// A moto server with a cluster `quest`, a family `quest` (revision 1: containers `quest` on
/// `old:1` and `sidecar`, many fields set) and a service `quest` of 2 tasks on it; a repository
/// whose configuration deploys it.
struct Fixture {
    moto: Moto,
    repo: Repo,
    runtime: tokio::runtime::Runtime,
    ecs: aws_sdk_ecs::Client,
    config: aws_config::SdkConfig,
}

fn fixture(timeout: &str, extra_env: &[(&str, &str)]) -> Fixture {
    let mut env = vec![
        ("QUEST_MOTO_CRASHING_IMAGES", "dead,crash"),
        ("QUEST_MOTO_STUCK_IMAGES", "5eed"),
        ("QUEST_MOTO_ROLLOUT_DELAY", "0.3"),
    ];
    env.extend_from_slice(extra_env);
    let moto = Moto::start_with(&env);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = moto.sdk_config();
    let ecs = aws_sdk_ecs::Client::new(&config);
    let repo = Repo::new();
    repo.write(
        ".quest-changes.yml",
        &format!(
            "version: 1\ntargets:\n  service:\n    kind: ecs-service\n    paths: [\"app/**\"]\n    image: {{repository: quest-app}}\n    ecs: {{cluster: quest, service: quest, container: quest}}\n    rollout: {{timeout: {timeout}, poll: 100ms}}\n"
        ),
    )
    .write("app/index.js", "1\n");
    repo.commit("app");
    let fixture = Fixture {
        moto,
        repo,
        runtime,
        ecs,
        config,
    };
    fixture.setup(extra_env.iter().any(|(k, _)| *k == "OLD_IMAGE"));
    fixture
}

impl Fixture {
    fn setup(&self, old_crashes: bool) {
        let old = if old_crashes { "old:crash" } else { "old:1" };
        let ecs = &self.ecs;
        self.runtime.block_on(async {
            ecs.create_cluster()
                .cluster_name("quest")
                .send()
                .await
                .unwrap();
            let main = ContainerDefinition::builder()
                .name("quest")
                .image(old)
                .cpu(128)
                .memory(256)
                .essential(true)
                .command("node")
                .command("index.js")
                .set_environment(Some(vec![]))
                .environment(KeyValuePair::builder().name("PORT").value("3000").build())
                .port_mappings(
                    PortMapping::builder()
                        .container_port(3000)
                        .host_port(0)
                        .build(),
                )
                .docker_labels("team", "quest")
                .health_check(
                    HealthCheck::builder()
                        .command("CMD-SHELL")
                        .command("true")
                        .interval(30)
                        .build()
                        .unwrap(),
                )
                .log_configuration(
                    LogConfiguration::builder()
                        .log_driver(LogDriver::Awslogs)
                        .options("awslogs-group", "/quest")
                        .build()
                        .unwrap(),
                )
                .mount_points(
                    aws_sdk_ecs::types::MountPoint::builder()
                        .source_volume("data")
                        .container_path("/data")
                        .build(),
                )
                .build();
            let sidecar = ContainerDefinition::builder()
                .name("sidecar")
                .image("side:1")
                .memory(64)
                .essential(false)
                .build();
            let registered = ecs
                .register_task_definition()
                .family("quest")
                .container_definitions(main)
                .container_definitions(sidecar)
                .network_mode(NetworkMode::Bridge)
                .requires_compatibilities(Compatibility::Ec2)
                .cpu("256")
                .memory("512")
                .task_role_arn("arn:aws:iam::123456789012:role/task")
                .execution_role_arn("arn:aws:iam::123456789012:role/exec")
                .volumes(
                    Volume::builder()
                        .name("data")
                        .host(HostVolumeProperties::builder().source_path("/srv").build())
                        .build(),
                )
                .set_placement_constraints(Some(vec![]))
                .tags(Tag::builder().key("team").value("quest").build())
                .send()
                .await
                .unwrap();
            let arn = registered
                .task_definition()
                .unwrap()
                .task_definition_arn()
                .unwrap()
                .to_owned();
            ecs.create_service()
                .cluster("quest")
                .service_name("quest")
                .task_definition(arn)
                .desired_count(2)
                .send()
                .await
                .unwrap();
        });
    }

    fn aws(&self) -> Aws {
        Aws::from_config(self.config.clone())
    }

    fn image(&self, digest: &str) -> Image {
        Image {
            repository_uri: "123456789012.dkr.ecr.us-east-1.amazonaws.com/quest-app".into(),
            repository: "quest-app".into(),
            digest: format!("{digest}{}", "0".repeat(71 - digest.len())),
            tag: self.repo.head(),
        }
    }

    /// Runs `f` with the target's context, settings and names.
    fn with_context<T>(
        &self,
        dry_run: bool,
        container: Option<&str>,
        f: impl FnOnce(&Context<'_>, &ecs::EcsNames) -> T,
    ) -> T {
        let config = Config::load(&self.repo.path.join(".quest-changes.yml")).unwrap();
        let repository = git2::Repository::open(&self.repo.path).unwrap();
        let env = Default::default();
        let head = repository.head().unwrap().peel_to_commit().unwrap().id();
        let ctx = Context {
            target_name: "service",
            target: &config.targets["service"],
            config: &config,
            repo: &repository,
            workdir: repository.workdir(),
            head,
            env: &env,
            dry_run,
            verbose: false,
        };
        let deploy = ecs::settings(&ctx).unwrap();
        let (_, mut names) = ecs::names(&ctx, deploy).unwrap();
        if let Some(container) = container {
            names.container = container.to_owned();
        }
        f(&ctx, &names)
    }

    /// The library's rollout of `image`, and the AWS calls it made.
    fn deploy_with(
        &self,
        image: &Image,
        dry_run: bool,
        container: Option<&str>,
    ) -> (Result<(), Error>, usize) {
        self.with_context(dry_run, container, |ctx, names| {
            let deploy = ecs::settings(ctx).unwrap();
            let aws = self.aws();
            let result = self
                .runtime
                .block_on(rollout::deploy(ctx, &aws, deploy, names, image));
            (result, aws.calls())
        })
    }

    fn deploy(&self, image: &Image) -> Result<(), Error> {
        self.deploy_with(image, false, None).0
    }

    fn deployed_commit(&self) -> Option<String> {
        self.with_context(false, None, |ctx, names| {
            self.runtime
                .block_on(rollout::deployed_commit(ctx, &self.aws(), names))
                .unwrap()
        })
    }

    /// The service's task definition (`family:revision`) and its deployments' states.
    fn service(&self) -> (String, Vec<(String, String, i32, i32)>) {
        self.runtime.block_on(async {
            let out = self
                .ecs
                .describe_services()
                .cluster("quest")
                .services("quest")
                .send()
                .await
                .unwrap();
            let s = &out.services()[0];
            (
                short(s.task_definition().unwrap()),
                s.deployments()
                    .iter()
                    .map(|d| {
                        (
                            d.status().unwrap().to_owned(),
                            d.rollout_state().unwrap().as_str().to_owned(),
                            d.running_count(),
                            d.desired_count(),
                        )
                    })
                    .collect(),
            )
        })
    }

    /// The ACTIVE revisions of the family, as `quest:N`.
    fn revisions(&self) -> Vec<String> {
        self.runtime.block_on(async {
            let out = self
                .ecs
                .list_task_definitions()
                .family_prefix("quest")
                .status(TaskDefinitionStatus::Active)
                .send()
                .await
                .unwrap();
            out.task_definition_arns()
                .iter()
                .map(|a| short(a))
                .collect()
        })
    }

    fn revision(&self, name: &str) -> Revision {
        self.runtime.block_on(async {
            let out = self
                .ecs
                .describe_task_definition()
                .task_definition(name)
                .include(TaskDefinitionField::Tags)
                .send()
                .await
                .unwrap();
            Revision::from_running(out.task_definition().unwrap(), out.tags()).unwrap()
        })
    }
}

fn short(arn: &str) -> String {
    arn.rsplit('/').next().unwrap().to_owned()
}

fn completed() -> Vec<(String, String, i32, i32)> {
    vec![("PRIMARY".into(), "COMPLETED".into(), 2, 2)]
}

#[test]
fn a_rollout_registers_a_copy_pinned_to_the_digest_and_completes() {
    let f = fixture("20s", &[]);
    assert_eq!(f.deployed_commit(), None, "revision 1 carries no commit");
    let image = f.image(GOOD);
    let started = Instant::now();
    let (result, calls) = f.deploy_with(&image, false, None);
    result.unwrap();
    eprintln!(
        "happy path: {calls} AWS calls, {:?} with a 0.3 s rollout and a 100 ms poll",
        started.elapsed()
    );
    assert!(calls <= 4 + 10, "{calls} AWS calls");
    assert_eq!(f.service(), ("quest:2".to_owned(), completed()));
    let old = f.revision("quest:1");
    let new = f.revision("quest:2");
    assert_eq!(new.image("quest"), Some(image.pinned().as_str()));
    assert_eq!(new.tag(COMMIT_TAG), Some(image.tag.as_str()));
    assert_eq!(new.label("quest"), Some(image.tag.as_str()));
    // Apart from the image, its label and the tag, the registered copy is the running one.
    let mut undone = new.clone();
    undone.tags.retain(|t| t.key() != Some(COMMIT_TAG));
    for c in undone.container_definitions.iter_mut().flatten() {
        if c.name() == Some("quest") {
            c.image = Some("old:1".into());
            c.docker_labels.as_mut().unwrap().remove(COMMIT_LABEL);
        }
    }
    // PartialEq compares every value (Debug would redact the environment).
    assert_eq!(undone, old);
    assert_eq!(f.deployed_commit(), Some(f.repo.head()));
}

#[test]
fn the_same_image_again_registers_nothing() {
    let f = fixture("20s", &[]);
    let image = f.image(GOOD);
    f.deploy(&image).unwrap();
    let (result, calls) = f.deploy_with(&image, false, None);
    result.unwrap();
    assert_eq!(calls, 2, "one DescribeServices, one DescribeTaskDefinition");
    assert_eq!(f.revisions(), ["quest:1", "quest:2"]);
    assert_eq!(f.service(), ("quest:2".to_owned(), completed()));
}

#[test]
fn a_failed_rollout_is_rolled_back_to_the_previous_revision() {
    let f = fixture("20s", &[]);
    let started = Instant::now();
    let error = f.deploy(&f.image(CRASHING)).unwrap_err();
    assert_eq!(error.exit_code(), 5, "{error}");
    assert!(
        matches!(&error, Error::RolledBack { previous, .. } if previous == "quest:1"),
        "{error}"
    );
    let text = error.to_string();
    assert!(
        text.starts_with("service: the rollout failed (deployment ecs-svc/")
            && text.contains("ECS deployment circuit breaker: tasks failed to start. (2 tasks failed to start); a stopped task says: Essential container in task exited")
            && text.ends_with(") and the service was rolled back to quest:1"),
        "{text}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(f.service(), ("quest:1".to_owned(), completed()));
    assert_eq!(
        f.revisions(),
        ["quest:1", "quest:2"],
        "nothing deregistered"
    );
    assert_eq!(
        f.revision("quest:2").tag("quest-changes:rollout"),
        Some("failed")
    );
    assert_eq!(f.deployed_commit(), None);
}

#[test]
fn a_rollout_that_times_out_is_rolled_back() {
    let f = fixture("2s", &[]);
    let error = f.deploy(&f.image(STUCK)).unwrap_err();
    assert_eq!(error.exit_code(), 5, "{error}");
    let text = error.to_string();
    assert!(
        text.contains("the deployment did not complete within 2s (deployment ecs-svc/")
            && text.contains(" IN_PROGRESS: running 0/2, pending 2)"),
        "{text}"
    );
    assert_eq!(f.service(), ("quest:1".to_owned(), completed()));
}

#[test]
fn a_failed_rollback_needs_attention() {
    // The previous image crashes too, so the rollback fails as well.
    let f = fixture("20s", &[("OLD_IMAGE", "crash")]);
    let error = f.deploy(&f.image(CRASHING)).unwrap_err();
    assert_eq!(error.exit_code(), 6, "{error}");
    let text = error.to_string();
    assert!(
        text.contains(") and the rollback to quest:1 failed too (deployment ecs-svc/")
            && text.ends_with("; the service needs attention"),
        "{text}"
    );
}

#[test]
fn a_missing_container_fails_before_any_write() {
    let f = fixture("20s", &[]);
    let (result, _) = f.deploy_with(&f.image(GOOD), false, Some("web"));
    let error = result.unwrap_err();
    assert_eq!(error.exit_code(), 1);
    assert_eq!(
        error.to_string(),
        "service: the task definition `quest` has no container named `web` (it has: `quest`, `sidecar`)"
    );
    assert_eq!(f.revisions(), ["quest:1"]);
    assert_eq!(f.service(), ("quest:1".to_owned(), completed()));
}

#[test]
fn a_dry_run_writes_nothing_and_shows_the_diff() {
    let f = fixture("20s", &[]);
    let image = f.image(GOOD);
    let (result, calls) = f.deploy_with(&image, true, None);
    result.unwrap();
    assert_eq!(calls, 2, "reads only");
    assert_eq!(f.revisions(), ["quest:1"]);
    assert_eq!(f.service(), ("quest:1".to_owned(), completed()));
    let lines = f.with_context(true, None, |ctx, names| {
        let deploy = ecs::settings(ctx).unwrap();
        f.runtime
            .block_on(rollout::preview(ctx, &f.aws(), deploy, names, &image))
            .unwrap()
    });
    let sha = f.repo.head();
    assert_eq!(
        lines,
        vec![
            "service: dry run: would register a revision of family `quest` copied from quest:1, changed so:".to_owned(),
            "  container `quest` image".into(),
            "-   old:1".into(),
            format!("+   {}", image.pinned()),
            format!("  container `quest` label {COMMIT_LABEL}"),
            "-   (none)".into(),
            format!("+   {sha}"),
            format!("  tag {COMMIT_TAG}"),
            "-   (none)".into(),
            format!("+   {sha}"),
            "service: dry run: would update service `quest` in cluster `quest` from quest:1 to that revision".into(),
            "service: dry run: would watch the rollout every 0.1s for up to 20s, and roll back to quest:1 if it fails".into(),
        ]
    );
}

#[test]
fn the_rollback_command_skips_failed_revisions() {
    let f = fixture("20s", &[]);
    f.deploy(&f.image(GOOD)).unwrap(); // quest:2
    assert_eq!(f.deploy(&f.image(CRASHING)).unwrap_err().exit_code(), 5); // quest:3, failed
    f.deploy(&f.image("sha256:600e")).unwrap(); // quest:4
    assert_eq!(f.service().0, "quest:4");
    let run = f
        .repo
        .quest()
        .aws(&f.moto)
        .args(["rollback", "service", "--verbose"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("service: rolling back to quest:2\n")
            && run
                .stderr
                .contains("service: rolled back from quest:4 to quest:2\n"),
        "{}",
        run.stderr
    );
    // DescribeServices, ListTaskDefinitions, DescribeTaskDefinition of quest:3 (tagged failed)
    // and quest:2, UpdateService, then the polls.
    let calls: usize = run
        .stderr
        .lines()
        .find_map(|l| {
            l.strip_prefix("service: ")?
                .strip_suffix(" AWS calls")?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no AWS call count under --verbose: {}", run.stderr));
    assert!((6..20).contains(&calls), "{calls}");
    assert_eq!(f.service(), ("quest:2".to_owned(), completed()));
    assert_eq!(f.revisions(), ["quest:1", "quest:2", "quest:3", "quest:4"]);
    // Once more: below quest:2 only quest:1 is left.
    let run = f
        .repo
        .quest()
        .aws(&f.moto)
        .args(["rollback", "service"])
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(f.service().0, "quest:1");
    let run = f
        .repo
        .quest()
        .aws(&f.moto)
        .args(["rollback", "service"])
        .run();
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: service: there is no earlier ACTIVE revision than quest:1 that did not fail, so there is nothing to roll back to\n"
    );
}

#[test]
fn a_dry_run_without_credentials_says_what_it_could_not_resolve() {
    let f = fixture("20s", &[]);
    let config = f.runtime.block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(f.moto.endpoint())
            .no_credentials()
            .load(),
    );
    let image = f.image(GOOD);
    let lines = f.with_context(true, None, |ctx, names| {
        let deploy = ecs::settings(ctx).unwrap();
        f.runtime
            .block_on(rollout::preview(
                ctx,
                &Aws::from_config(config),
                deploy,
                names,
                &image,
            ))
            .unwrap()
    });
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(
        lines[0].starts_with("service: dry run: could not resolve the running task definition: failed to describe ECS service `quest` in cluster `quest`: "),
        "{lines:#?}"
    );
    assert_eq!(
        lines[1],
        format!("service: dry run: would register a revision of it with container `quest` on {}, update service `quest` in cluster `quest`, and watch the rollout every 0.1s for up to 20s", image.pinned())
    );
    assert_eq!(f.revisions(), ["quest:1"]);
}

#[test]
fn a_rollout_that_the_circuit_breaker_rolls_back_itself_is_still_a_failure() {
    // ECS's own rollback (`deploymentCircuitBreaker.rollback`) starts a deployment of the
    // previous revision when ours fails; the watch reports the failure and waits for that one.
    let f = fixture("20s", &[("QUEST_MOTO_CIRCUIT_BREAKER_ROLLBACK", "1")]);
    let (result, calls) = f.deploy_with(&f.image(CRASHING), false, None);
    let error = result.unwrap_err();
    assert_eq!(error.exit_code(), 5, "{error}");
    assert!(
        matches!(&error, Error::RolledBack { previous, .. } if previous == "quest:1"),
        "{error}"
    );
    assert_eq!(f.service(), ("quest:1".to_owned(), completed()));
    assert!(calls < 30, "{calls} AWS calls");
}
