//! How soon the rollout watcher notices a deployment's end, and how soon a failure turns into a
//! rollback, against moto with the `ecs_rollouts` extension (`tests/harness`), beside the AWS
//! CLI waiter's model. `cargo bench --bench rollout`; needs the test Python with moto
//! (`QUEST_TEST_PYTHON`, else `target/test-venv/bin/python`, which `./scripts/test` creates).
//!
//! Both moments are taken from the server's own stamps: the extension stamps the state change
//! with the moment it is due (`updatedAt`, the service event), and the rollback's start with
//! the moment its `UpdateService` arrived (the "has started" event). Detection is measured from
//! the state change to the return of `rollout::deploy`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_ecs::types::{ContainerDefinition, ServiceEvent};
use quest_changes::aws::Aws;
use quest_changes::config::Config;
use quest_changes::deploy::context::Context;
use quest_changes::deploy::ecs::{self, rollout, Image};

/// The state changes `1 s + poll × (run + 0.5) / RUNS` after the update: the runs spread the
/// change over the poll interval, so the figures cover every phase, not a lucky one.
const BASE_DELAY_SECS: f64 = 1.0;
const RUNS: usize = 4;

struct Moto(Child, u16);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn moto(delay: f64) -> Moto {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var_os("QUEST_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/test-venv/bin/python"));
    let port = TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(&python)
        .arg(root.join("tests/harness/moto_server.py"))
        .arg(port.to_string())
        .env("QUEST_MOTO_CRASHING_IMAGES", "dead")
        .env("QUEST_MOTO_ROLLOUT_DELAY", format!("{delay:.3}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "start moto with {} (set QUEST_TEST_PYTHON to a Python with moto[server]): {e}",
                python.display()
            )
        });
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Moto(child, port)
}

fn seconds(from: SystemTime, to: SystemTime) -> f64 {
    match to.duration_since(from) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

fn stamp(event: &ServiceEvent) -> SystemTime {
    SystemTime::try_from(*event.created_at().unwrap()).unwrap()
}

struct Figures {
    detect: Vec<f64>,
    to_rollback: Vec<f64>,
    calls_ok: usize,
    calls_failed: usize,
}

fn measure(poll: &str, poll_secs: f64) -> Figures {
    let mut figures = Figures {
        detect: Vec::new(),
        to_rollback: Vec::new(),
        calls_ok: 0,
        calls_failed: 0,
    };
    for run in 0..RUNS {
        let delay = BASE_DELAY_SECS + poll_secs * (run as f64 + 0.5) / RUNS as f64;
        one_run(poll, delay, run, &mut figures);
    }
    figures
}

fn one_run(poll: &str, delay: f64, run: usize, figures: &mut Figures) {
    let moto = moto(delay);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = runtime.block_on(
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(format!("http://127.0.0.1:{}", moto.1))
            .credentials_provider(aws_sdk_ecs::config::Credentials::new(
                "testing", "testing", None, None, "bench",
            ))
            .load(),
    );
    let ecs = aws_sdk_ecs::Client::new(&config);
    runtime.block_on(async {
        ecs.create_cluster()
            .cluster_name("quest")
            .send()
            .await
            .unwrap();
        let registered = ecs
            .register_task_definition()
            .family("quest")
            .container_definitions(
                ContainerDefinition::builder()
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
            .task_definition(
                registered
                    .task_definition()
                    .unwrap()
                    .task_definition_arn()
                    .unwrap(),
            )
            .desired_count(2)
            .send()
            .await
            .unwrap();
    });
    let yaml = format!(
        "version: 1\ntargets:\n  service:\n    kind: ecs-service\n    paths: [\"app/**\"]\n    image: {{repository: quest-app}}\n    ecs: {{cluster: quest, service: quest, container: quest}}\n    rollout: {{timeout: 60s, poll: {poll}}}\n"
    );
    let config_file = Config::parse(&yaml, std::path::Path::new("bench.yml")).unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    let repository = git2::Repository::init(dir.path()).unwrap();
    let env = Default::default();
    let ctx = Context {
        target_name: "service",
        target: &config_file.targets["service"],
        config: &config_file,
        repo: &repository,
        workdir: None,
        head: git2::Oid::ZERO_SHA1,
        env: &env,
        dry_run: false,
        verbose: false,
    };
    let deploy = ecs::settings(&ctx).unwrap();
    let (_, names) = ecs::names(&ctx, deploy).unwrap();
    let image = |n: usize, marker: &str| Image {
        repository_uri: "123456789012.dkr.ecr.us-east-1.amazonaws.com/quest-app".into(),
        repository: "quest-app".into(),
        digest: format!("sha256:{marker}{n:0>width$}", width = 64 - marker.len()),
        tag: format!("{n:0>40}"),
    };
    {
        // A rollout that completes.
        let aws = Aws::from_config(config.clone());
        runtime
            .block_on(rollout::deploy(
                &ctx,
                &aws,
                deploy,
                &names,
                &image(run, "600d"),
            ))
            .unwrap();
        let noticed = SystemTime::now();
        figures.calls_ok = aws.calls();
        let changed = runtime.block_on(async {
            let out = ecs
                .describe_services()
                .cluster("quest")
                .services("quest")
                .send()
                .await
                .unwrap();
            let d = &out.services()[0].deployments()[0];
            SystemTime::try_from(*d.updated_at().unwrap()).unwrap()
        });
        figures.detect.push(seconds(changed, noticed));
        // A rollout that fails and is rolled back.
        let aws = Aws::from_config(config.clone());
        let error = runtime
            .block_on(rollout::deploy(
                &ctx,
                &aws,
                deploy,
                &names,
                &image(run, "dead"),
            ))
            .unwrap_err();
        assert_eq!(error.exit_code(), 5, "{error}");
        figures.calls_failed = aws.calls();
        let events = runtime.block_on(async {
            let out = ecs
                .describe_services()
                .cluster("quest")
                .services("quest")
                .send()
                .await
                .unwrap();
            out.services()[0].events().to_vec()
        });
        // Newest first: the last failure, and the start after it (the rollback's).
        let failed = events
            .iter()
            .find(|e| {
                e.message()
                    .unwrap_or_default()
                    .contains("deployment failed")
            })
            .map(stamp)
            .unwrap();
        let rollback = events
            .iter()
            .filter(|e| e.message().unwrap_or_default().contains("has started"))
            .map(stamp)
            .find(|t| *t >= failed)
            .unwrap();
        figures.to_rollback.push(seconds(failed, rollback));
    }
}

fn summary(values: &[f64]) -> String {
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let max = values.iter().copied().fold(f64::MIN, f64::max);
    format!("{mean:6.3} s / {max:6.3} s")
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument filters nothing here.
    let polls = [("5s", 5.0), ("1s", 1.0), ("250ms", 0.25)];
    let mut rows = Vec::new();
    for (poll, secs) in polls {
        rows.push((poll, measure(poll, secs)));
    }
    println!();
    println!(
        "rollout watcher against moto ({RUNS} runs per poll, the state change spread over the poll interval)"
    );
    println!(
        "{:<7} {:<26} {:<30} AWS calls (ok / failed)",
        "poll", "COMPLETED noticed after", "FAILED to rollback start"
    );
    println!("{:<7} {:<26} {:<30}", "", "(mean / max)", "(mean / max)");
    for (poll, f) in &rows {
        println!(
            "{:<7} {:<26} {:<30} {} / {}",
            poll,
            summary(&f.detect),
            summary(&f.to_rollback),
            f.calls_ok,
            f.calls_failed
        );
    }
    println!(
        "{:<7} {:<26} {:<30} aws ecs wait services-stable",
        "15s", "  7.5 s / 15.0 s (model)", "never: waits out 600 s"
    );
    println!(
        "the AWS CLI waiter polls DescribeServices every 15 s for at most 40 tries (10 min); it notices stability up to 15 s late, reports a FAILED deployment only as a timeout after 10 min, and never rolls back"
    );
}
