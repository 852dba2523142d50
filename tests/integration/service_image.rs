//! Steps 1 to 5 of `deploy` for an `ecs-service` target: the image and the scan gate, with a
//! real `podman` build of a `FROM scratch` fixture, pushed to a real registry on loopback
//! (`image.registry`), which the moto harness (`ecr_mirror.py`) mirrors into moto's ECR.
//!
//! Every run goes through the binary. The rollout (steps 6 to 9) is not part of these tests:
//! no ECS service exists in moto, so a run that passes the gate then fails in the rollout with
//! exit 1; a blocked run exits 4 before it. The assertions hold either way.

use std::time::Instant;

use aws_sdk_ecr::types::ImageIdentifier;
use serde_json::json;

use crate::moto::Moto;
use crate::registry::Registry;
use crate::support::{Quest, Repo, Run};

const REPOSITORY: &str = "quest-app";
/// moto's ECR password for its default account; it must never be printed.
const MOTO_PASSWORD: &str = "123456789012-auth-token";

struct World {
    repo: Repo,
    moto: Moto,
    registry: Registry,
}

impl World {
    /// moto (mirroring `registry`), an ECR repository, and a repository whose `service` target
    /// builds `app/` with podman and pushes to `registry`, with `scan` as given (YAML flow).
    fn new(registry: Registry, scan: &str) -> World {
        let moto = Moto::start_with(&[("QUEST_TEST_REGISTRY", &registry.host())]);
        ecr(&moto, |client| async move {
            client
                .create_repository()
                .repository_name(REPOSITORY)
                .send()
                .await
                .expect("create the ECR repository");
        });
        // The service the image rolls out to (the deployment checks its container first).
        ecs_service(&moto);
        let repo = Repo::new();
        repo.write(
            ".quest-changes.yml",
            &format!(
                "version: 1\ntargets:\n  service:\n    kind: ecs-service\n    paths: [\"app/**\"]\n    build: {{context: app, cli: podman}}\n    image: {{repository: {REPOSITORY}, registry: \"{}\", platform: linux/amd64, extra_tags: [stable]}}\n    ecs: {{cluster: quest, service: quest, container: quest}}\n    scan: {scan}\n",
                registry.host()
            ),
        )
        .write("app/Dockerfile", "FROM scratch\nCOPY server.js /server.js\n")
        .write("app/server.js", "console.log('quest')\n");
        repo.commit("the app");
        World {
            repo,
            moto,
            registry,
        }
    }

    fn quest(&self) -> Quest {
        self.repo.quest().aws(&self.moto).podman(&self.registry)
    }

    /// Like [`World::quest`], with the endpoint and region but no credentials at all.
    fn quest_without_credentials(&self) -> Quest {
        self.repo
            .quest()
            .env("AWS_ENDPOINT_URL", self.moto.endpoint())
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent/quest-changes-test")
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/quest-changes-test",
            )
            .podman(&self.registry)
    }

    fn deploy(&self, extra: &[&str]) -> Run {
        self.quest()
            .args(["deploy", "service", "--force", "--verbose"])
            .args(extra)
            .run()
    }

    /// Makes the scan of any image in the repository answer `findings` (basic scanning).
    fn findings(&self, findings: serde_json::Value) {
        let body = json!({
            "region": "us-east-1",
            "results": [{
                "registryId": "123456789012",
                "repositoryName": REPOSITORY,
                "imageId": {},
                "imageScanStatus": {"status": "COMPLETE", "description": "done"},
                "imageScanFindings": {"findings": findings},
            }],
        });
        self.moto.set_scan_results(&body);
    }

    fn scan_status(&self, status: &str) {
        self.moto.set_scan_results(&json!({
            "region": "us-east-1",
            "results": [{
                "registryId": "123456789012",
                "repositoryName": REPOSITORY,
                "imageId": {},
                "imageScanStatus": {"status": status, "description": "as the test says"},
            }],
        }));
    }

    /// The digest moto's ECR gives `tag`, if it has it.
    fn ecr_digest(&self, tag: &str) -> Option<String> {
        let tag = tag.to_owned();
        ecr(&self.moto, |client| async move {
            client
                .describe_images()
                .repository_name(REPOSITORY)
                .image_ids(ImageIdentifier::builder().image_tag(tag).build())
                .send()
                .await
                .ok()
                .and_then(|o| o.image_details().first()?.image_digest().map(str::to_owned))
        })
    }

    fn ecr_image_count(&self) -> usize {
        ecr(&self.moto, |client| async move {
            client
                .describe_images()
                .repository_name(REPOSITORY)
                .send()
                .await
                .expect("describe images")
                .image_details()
                .len()
        })
    }
}

/// A cluster `quest` with a service `quest` of one task whose container `quest` runs `old:1`.
fn ecs_service(moto: &Moto) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let ecs = aws_sdk_ecs::Client::new(&moto.sdk_config());
        ecs.create_cluster()
            .cluster_name("quest")
            .send()
            .await
            .unwrap();
        ecs.register_task_definition()
            .family("quest")
            .container_definitions(
                aws_sdk_ecs::types::ContainerDefinition::builder()
                    .name("quest")
                    .image("old:1")
                    .memory(256)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        ecs.create_service()
            .cluster("quest")
            .service_name("quest")
            .task_definition("quest:1")
            .desired_count(1)
            .send()
            .await
            .unwrap();
    });
}

/// Runs `f` with an ECR client on `moto`.
fn ecr<F, Fut, T>(moto: &Moto, f: F) -> T
where
    F: FnOnce(aws_sdk_ecr::Client) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async { f(aws_sdk_ecr::Client::new(&moto.sdk_config())).await })
}

fn finding(id: &str, severity: &str) -> serde_json::Value {
    json!({"name": id, "severity": severity, "uri": "https://example.com", "attributes": []})
}

/// The run got past the gate (it then fails in the rollout, which has no service here).
fn assert_passed(run: &Run) {
    assert_ne!(run.code, 4, "the gate blocked:\n{}", run.stderr);
    assert!(
        run.stderr.contains("service: the scan gate passed"),
        "{}",
        run.stderr
    );
}

/// Blocked by findings: the verdict was printed, then the error.
fn assert_blocked_by_findings(run: &Run, summary: &str) {
    assert!(
        run.stderr
            .contains("service: the scan gate blocked the image\n"),
        "{}",
        run.stderr
    );
    assert_blocked(run, summary);
}

fn assert_blocked(run: &Run, summary: &str) {
    assert_eq!(run.code, 4, "expected exit 4:\n{}", run.stderr);
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: service: the scan gate blocked image 123456789012.dkr.ecr.us-east-1.amazonaws.com/quest-app@sha256:")
            && last.ends_with(summary),
        "{last}"
    );
}

#[test]
fn a_pushed_image_is_in_ecr_with_the_registry_digest_and_a_clean_scan_passes() {
    let world = World::new(Registry::start(), "{fail_on: HIGH, timeout: 30s}");
    world.findings(json!([finding("CVE-2024-0001", "MEDIUM")]));
    let sha = world.repo.head();
    let started = Instant::now();
    let run = world.deploy(&[]);
    eprintln!(
        "publish + gate took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_passed(&run);
    let pushed = world.registry.digest(REPOSITORY, &sha);
    assert_eq!(world.ecr_digest(&sha).as_deref(), Some(pushed.as_str()));
    assert_eq!(world.registry.digest(REPOSITORY, "stable"), pushed);
    assert!(
        run.stderr.contains(&format!(
            "service: pushed quest-app:{sha} as {pushed} (build "
        )),
        "{}",
        run.stderr
    );
    let labels = &world.registry.config(REPOSITORY, &sha)["config"]["Labels"];
    assert_eq!(labels["org.opencontainers.image.revision"], sha.as_str());
    assert!(labels["org.opencontainers.image.created"]
        .as_str()
        .is_some_and(|c| c.ends_with('Z')));
    let host = world.registry.host();
    for line in [
        format!("service: pushing to {host}, which is not ECR: the ECR token is not sent there (log in to it before the deployment if it needs credentials)"),
        "service: $ podman build --platform linux/amd64 --label".to_owned(),
        format!("service: $ podman push {host}/quest-app:{sha}"),
        format!("service: $ podman push {host}/quest-app:stable"),
        "  MEDIUM             1        0         0".to_owned(),
        "  blocking (HIGH): none".to_owned(),
    ] {
        assert!(run.stderr.contains(&line), "{line}\n{}", run.stderr);
    }
    assert!(!run.stderr.contains("provenance"), "{}", run.stderr);
    assert!(!run.stderr.contains(MOTO_PASSWORD), "{}", run.stderr);
}

#[test]
fn a_rerun_with_the_sha_tag_in_ecr_builds_and_pushes_nothing() {
    let world = World::new(Registry::start(), "{fail_on: HIGH, timeout: 30s}");
    world.findings(json!([]));
    let sha = world.repo.head();
    assert_passed(&world.deploy(&[]));
    let pushes = world.registry.manifest_pushes(REPOSITORY);
    assert_eq!(pushes, 2, "one manifest per tag");
    let digest = world.ecr_digest(&sha).expect("pushed");

    let again = world.deploy(&[]);
    assert_passed(&again);
    assert!(
        again.stderr.contains(&format!(
            "service: quest-app:{sha} is already in ECR as {digest}; build and push skipped\n"
        )),
        "{}",
        again.stderr
    );
    assert!(!again.stderr.contains("$ podman build"), "{}", again.stderr);
    assert!(!again.stderr.contains("$ podman push"), "{}", again.stderr);
    assert_eq!(world.registry.manifest_pushes(REPOSITORY), pushes);
}

#[test]
fn a_rerun_on_an_immutable_repository_pushes_nothing_and_points_the_extra_tags_in_ecr() {
    let moto = Moto::start();
    ecs_service(&moto);
    let sha_manifest =
        manifest("sha256:1111111111111111111111111111111111111111111111111111111111111111");
    let old_manifest =
        manifest("sha256:2222222222222222222222222222222222222222222222222222222222222222");
    let repo = Repo::new();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  service:\n    kind: ecs-service\n    paths: [\"app/**\"]\n    build: {context: app, cli: ../bin/docker}\n    image: {repository: quest-app, extra_tags: [stable, v1]}\n    ecs: {cluster: quest, service: quest, container: quest}\n",
    )
    .write("app/Dockerfile", "FROM scratch\n");
    let sha = repo.commit("the app");
    // A CLI that records its arguments and its stdin, and succeeds: only `login` may run.
    let bin = repo.sibling("bin");
    std::fs::create_dir(&bin).unwrap();
    let log = repo.sibling("cli.log");
    let stdin = repo.sibling("cli.stdin");
    std::fs::write(
        bin.join("docker"),
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\ncat >> '{}'\n",
            log.display(),
            stdin.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        bin.join("docker"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let tag = sha.clone();
    let digest = ecr(&moto, |client| async move {
        client
            .create_repository()
            .repository_name(REPOSITORY)
            .image_tag_mutability(aws_sdk_ecr::types::ImageTagMutability::Immutable)
            .send()
            .await
            .unwrap();
        client
            .put_image()
            .repository_name(REPOSITORY)
            .image_manifest(old_manifest)
            .image_tag("v1")
            .send()
            .await
            .unwrap();
        client
            .put_image()
            .repository_name(REPOSITORY)
            .image_manifest(sha_manifest)
            .image_tag(tag)
            .send()
            .await
            .unwrap()
            .image()
            .and_then(|i| i.image_id())
            .and_then(|i| i.image_digest())
            .unwrap()
            .to_owned()
    });
    let run = repo
        .quest()
        .aws(&moto)
        .args(["deploy", "service", "--force", "--verbose"])
        .run();
    // moto's default scan answer is one HIGH finding: this run ends at the gate.
    assert_eq!(run.code, 4, "{}", run.stderr);
    for line in [
        format!("service: quest-app:{sha} is already in ECR as {digest}; build and push skipped\n"),
        format!("service: tagged {digest} as stable in ECR\n"),
        "warning: service: tag v1 is immutable and names another image, so it was left as it is\n"
            .to_owned(),
    ] {
        assert!(run.stderr.contains(&line), "{line}\n{}", run.stderr);
    }
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "login --username AWS --password-stdin 123456789012.dkr.ecr.us-east-1.amazonaws.com\n"
    );
    assert_eq!(std::fs::read_to_string(&stdin).unwrap(), MOTO_PASSWORD);
    assert!(!run.stderr.contains(MOTO_PASSWORD));
    let world_digest = |tag: &str| {
        let tag = tag.to_owned();
        ecr(&moto, |client| async move {
            client
                .describe_images()
                .repository_name(REPOSITORY)
                .image_ids(ImageIdentifier::builder().image_tag(tag).build())
                .send()
                .await
                .unwrap()
                .image_details()[0]
                .image_digest()
                .unwrap()
                .to_owned()
        })
    };
    assert_eq!(world_digest("stable"), digest);
    assert_ne!(world_digest("v1"), digest);
}

/// A small OCI image manifest with one layer, for `PutImage`.
fn manifest(layer: &str) -> String {
    json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000", "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": 1}],
    })
    .to_string()
}

#[test]
fn a_high_finding_blocks_with_exit_4_and_the_table() {
    let world = World::new(Registry::start(), "{fail_on: HIGH, timeout: 30s}");
    world.findings(json!([
        finding("CVE-2024-1111", "HIGH"),
        finding("CVE-2024-2222", "LOW"),
    ]));
    let run = world.deploy(&[]);
    assert_blocked_by_findings(&run, ": 1 finding at or above HIGH (CVE-2024-1111)");
    for line in [
        "  severity       found  allowed  blocking",
        "  CRITICAL           0        0         0",
        "  HIGH               1        0         1",
        "  LOW                1        0         0",
        "  blocking (HIGH): CVE-2024-1111",
    ] {
        assert!(run.stderr.contains(line), "{line}\n{}", run.stderr);
    }
    assert!(
        run.stderr
            .contains("service: started a basic scan of sha256:"),
        "{}",
        run.stderr
    );

    // Now the image is in ECR: a dry run reads its scan (starting none) and says what the gate
    // would do.
    let dry = world.deploy(&["--dry-run"]);
    for line in [
        "service: [dry run]    its basic scan has findings now:\n",
        "  blocking (HIGH): CVE-2024-1111\n",
        "service: [dry run]    the gate would block it\n",
    ] {
        assert!(dry.stdout.contains(line), "{line}\n{}", dry.stdout);
    }
}

#[test]
fn an_allowed_finding_passes_and_an_unused_entry_warns() {
    let world = World::new(
        Registry::start(),
        "{fail_on: HIGH, timeout: 30s, allow: [{id: CVE-2024-1111, reason: not reachable, expires: 2099-12-31}, {id: CVE-2020-0000, reason: fixed long ago, expires: 2099-12-31}]}",
    );
    world.findings(json!([finding("CVE-2024-1111", "CRITICAL")]));
    let run = world.deploy(&[]);
    assert_passed(&run);
    assert!(
        run.stderr
            .contains("  CRITICAL           1        1         0\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("warning: service: scan.allow entry `CVE-2020-0000` matched no finding of this image; remove it if it is no longer needed\n"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("`CVE-2024-1111` matched"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_expired_allow_entry_warns_and_still_blocks() {
    let world = World::new(
        Registry::start(),
        "{fail_on: HIGH, timeout: 30s, allow: [{id: CVE-2024-1111, reason: was not reachable, expires: 2020-01-31}]}",
    );
    world.findings(json!([finding("CVE-2024-1111", "HIGH")]));
    let run = world.deploy(&[]);
    assert!(
        run.stderr.contains("warning: service: scan.allow entry `CVE-2024-1111` expired on 2020-01-31, so it allows nothing; renew or remove it\n"),
        "{}",
        run.stderr
    );
    assert_blocked_by_findings(&run, ": 1 finding at or above HIGH (CVE-2024-1111)");
}

#[test]
fn fail_on_none_never_blocks() {
    let world = World::new(Registry::start(), "{fail_on: NONE, timeout: 30s}");
    world.findings(json!([finding("CVE-2024-9999", "CRITICAL")]));
    let run = world.deploy(&[]);
    assert_passed(&run);
    assert!(
        run.stderr
            .contains("  CRITICAL           1        0         0\n  HIGH"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_failed_or_unfinished_scan_blocks() {
    let world = World::new(Registry::start(), "{fail_on: HIGH, timeout: 2s}");
    world.scan_status("UNSUPPORTED_IMAGE");
    let run = world.deploy(&[]);
    assert_blocked(
        &run,
        ": the scan ended UNSUPPORTED_IMAGE (as the test says)",
    );

    let world = World::new(Registry::start(), "{fail_on: HIGH, timeout: 2s}");
    world.scan_status("IN_PROGRESS");
    let started = Instant::now();
    let run = world.deploy(&[]);
    assert_blocked(&run, ": the scan gave no findings within 2.0 s");
    assert!(
        run.stderr
            .contains("service: waiting for the scan (IN_PROGRESS)\n"),
        "{}",
        run.stderr
    );
    assert!(started.elapsed().as_secs() < 20);
}

#[test]
fn enhanced_scanning_counts_only_active_findings() {
    let world = World::new(Registry::start(), "{fail_on: CRITICAL, timeout: 30s}");
    let enhanced = |id: &str, severity: &str, status: &str| {
        json!({
            "findingArn": format!("arn:aws:inspector2:us-east-1:123456789012:finding/{id}"),
            "severity": severity,
            "status": status,
            "title": format!("{id} - a package"),
            "packageVulnerabilityDetails": {"vulnerabilityId": id, "source": "NVD"},
        })
    };
    world.moto.set_scan_results(&json!({
        "region": "us-east-1",
        "results": [{
            "registryId": "123456789012",
            "repositoryName": REPOSITORY,
            "imageId": {},
            "imageScanStatus": {"status": "ACTIVE", "description": "continuous scan"},
            "imageScanFindings": {"enhancedFindings": [
                enhanced("CVE-2025-0001", "CRITICAL", "ACTIVE"),
                enhanced("CVE-2025-0002", "CRITICAL", "SUPPRESSED"),
                enhanced("CVE-2025-0003", "HIGH", "ACTIVE"),
            ]},
        }],
    }));
    let run = world.deploy(&[]);
    assert_blocked_by_findings(&run, ": 1 finding at or above CRITICAL (CVE-2025-0001)");
    assert!(
        run.stderr.contains("(enhanced scanning, "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("  CRITICAL           1        0         1\n  HIGH               1        0         0\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_push_failure_is_a_clear_error_and_stops_before_the_gate() {
    let world = World::new(Registry::start_read_only(), "{fail_on: HIGH, timeout: 30s}");
    let sha = world.repo.head();
    let run = world.deploy(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!(
            "error: failed to push {}/quest-app:{sha}: ",
            world.registry.host()
        )),
        "{last}\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains("scan"), "{}", run.stderr);
    assert_eq!(world.ecr_image_count(), 0);
}

#[test]
fn a_stopped_registry_fails_at_the_push_and_nothing_reaches_ecr() {
    let mut world = World::new(Registry::start(), "{fail_on: HIGH, timeout: 30s}");
    world.registry.stop();
    let run = world.deploy(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!(
            "error: failed to push {}/quest-app:",
            world.registry.host()
        )) && last.contains("connection refused"),
        "{last}\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains("scan gate"), "{}", run.stderr);
    assert!(!run.stderr.contains(MOTO_PASSWORD), "{}", run.stderr);
    assert_eq!(world.ecr_image_count(), 0);
}

#[test]
fn missing_credentials_are_a_clear_error_naming_what_to_set() {
    let world = World::new(Registry::start(), "{fail_on: HIGH, timeout: 30s}");
    let run = world
        .quest_without_credentials()
        .args(["deploy", "service", "--force"])
        .run();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr.lines().last().unwrap_or_default(),
        "error: failed to describe ECS service `quest` in cluster `quest`: no AWS credentials were found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE)"
    );
    assert_eq!(world.registry.manifest_pushes(REPOSITORY), 0);
}

#[test]
fn a_dry_run_prints_every_step_and_writes_nothing() {
    let world = World::new(
        Registry::start(),
        "{fail_on: HIGH, timeout: 30s, allow: [{id: CVE-1, reason: r, expires: 2020-01-01}]}",
    );
    let sha = world.repo.head();
    let host = world.registry.host();
    let run = world.deploy(&["--dry-run"]);
    for line in [
        "service: [dry run] 1. ECR repository `quest-app` is 123456789012.dkr.ecr.us-east-1.amazonaws.com/quest-app".to_owned(),
        format!("service: [dry run] 2. {host} is not ECR: no login (the ECR token is never sent to another registry)"),
        format!("service: [dry run] 3. quest-app:{sha} is not known to be in ECR: it would be built and pushed"),
        format!("service: [dry run] 4. build: podman build --platform linux/amd64 --label org.opencontainers.image.revision={sha} --label org.opencontainers.image.created="),
        format!("--tag {host}/quest-app:{sha} --tag {host}/quest-app:stable --file app/Dockerfile app"),
        format!("service: [dry run]    push: podman push {host}/quest-app:stable"),
        "service: [dry run] 5. wait up to 30.0 s for the scan of 123456789012.dkr.ecr.us-east-1.amazonaws.com/quest-app@<digest known after the push>, and block at HIGH or above".to_owned(),
        "service: [dry run]    allow CVE-1 until 2020-01-01 (expired: allows nothing): r".to_owned(),
    ] {
        assert!(run.stdout.contains(&line), "{line}\n{}", run.stdout);
    }
    assert_eq!(world.ecr_image_count(), 0);
    assert_eq!(world.registry.catalog(), Vec::<String>::new());
    assert_eq!(world.registry.manifest_pushes(REPOSITORY), 0);

    let blind = world
        .quest_without_credentials()
        .args(["deploy", "service", "--force", "--dry-run"])
        .run();
    assert!(
        blind.stdout.contains("service: [dry run] 1. could not resolve the URI of ECR repository `quest-app`: failed to describe ECR repository `quest-app`: no AWS credentials were found"),
        "{}",
        blind.stdout
    );
    assert!(
        blind
            .stdout
            .contains("scan of <URI of ECR repository `quest-app`>@<digest known after the push>"),
        "{}",
        blind.stdout
    );
    assert_eq!(world.ecr_image_count(), 0);
}

#[test]
fn the_plan_pushes_the_extra_tags_too() {
    let repo = Repo::new();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  service:\n    kind: ecs-service\n    paths: [\"app/**\"]\n    image: {repository: quest-app, extra_tags: [stable, v1]}\n",
    )
    .write("app/Dockerfile", "FROM scratch\n");
    let base = repo.commit("base");
    repo.write("app/server.js", "1\n");
    let head = repo.commit("change");
    let run = repo.quest().args(["--base", &base, "plan"]).run().ok();
    assert!(
        run.stdout
            .contains(&format!("  2. push image tags {head}, stable, v1\n")),
        "{}",
        run.stdout
    );
    let doc = repo.quest().args(["--base", &base, "--dry-run"]).json();
    assert_eq!(
        doc["plan"][0]["steps"][1],
        json!({"action": "push-image", "tag": head, "extra_tags": ["stable", "v1"]})
    );
}

#[test]
fn a_missing_ecr_repository_is_a_clear_error_before_any_login() {
    let moto = Moto::start();
    ecs_service(&moto);
    let repo = Repo::new();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  service:\n    kind: ecs-service\n    paths: [\"app/**\"]\n    build: {context: app, cli: /nonexistent/podman}\n    image: {repository: quest-ap}\n    ecs: {cluster: quest, service: quest, container: quest}\n",
    )
    .write("app/Dockerfile", "FROM scratch\n");
    repo.commit("the app");
    let run = repo
        .quest()
        .aws(&moto)
        .args(["deploy", "service", "--force"])
        .run();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr.lines().last().unwrap_or_default(),
        "error: failed to describe ECR repository `quest-ap`: RepositoryNotFoundException: The repository with name 'quest-ap' does not exist in the registry with id '123456789012'"
    );
}
