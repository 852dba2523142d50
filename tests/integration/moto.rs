//! A moto server of the test's own, on a free loopback port, started through the launcher in
//! `tests/harness/moto_server.py` (which extends moto where it falls short) and stopped when
//! the value is dropped, also when the test panics.
//!
//! The Python comes from `QUEST_TEST_PYTHON`, else the test virtualenv that the README's test
//! command creates (`target/test-venv`). Without it the test fails with a message saying so:
//! never a silent skip.

// Used by the deployment tests.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    pub fn start() -> Moto {
        Moto::start_with(&[])
    }

    /// Starts moto with extra environment for the harness's extensions (for example
    /// `QUEST_TEST_REGISTRY`, which turns on `ecr_mirror.py`).
    pub fn start_with(env: &[(&str, &str)]) -> Moto {
        let python = python();
        let port = free_port();
        let launcher =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/harness/moto_server.py");
        let log = std::env::temp_dir().join(format!("quest-moto-{port}.log"));
        let log_file = std::fs::File::create(&log).expect("create the moto log");
        let child = Command::new(&python)
            .arg(&launcher)
            .arg(port.to_string())
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("clone the log handle"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("start moto with {}: {e}", python.display()));
        let mut moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        // Listening, and by this server: its own log says it bound the port (another
        // program that took the port first would answer the connection too).
        let running = format!("Running on http://127.0.0.1:{port}");
        while TcpStream::connect(("127.0.0.1", port)).is_err()
            || !std::fs::read_to_string(&log)
                .unwrap_or_default()
                .contains(&running)
        {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!(
                    "moto exited with {status} before listening; its log:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "moto did not listen on {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// An SDK configuration that reaches this server as AWS (region `us-east-1`, test keys),
    /// for tests that set up or inspect what the command under test sees.
    pub fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(
                aws_sdk_s3::config::Credentials::new("testing", "testing", None, None, "test"),
            ))
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build()
    }

    /// Sets scan results through moto's own API (`POST /moto-api/static/ecr/scan-finding-results`,
    /// `body` as tests/harness/README.md describes it).
    pub fn set_scan_results(&self, body: &serde_json::Value) {
        ureq::post(&format!(
            "{}/moto-api/static/ecr/scan-finding-results",
            self.endpoint()
        ))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .expect("set the scan findings");
    }

    /// The environment a process needs to reach this server as AWS.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_DEFAULT_REGION", "us-east-1".to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The test Python: `QUEST_TEST_PYTHON`, else `target/test-venv/bin/python`.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("QUEST_TEST_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-venv/bin/python");
    assert!(
        venv.exists(),
        "the AWS tests need moto: run ./scripts/test (it creates target/test-venv), or set QUEST_TEST_PYTHON to a Python with moto[server] installed"
    );
    venv
}

/// A free loopback port never handed out before in this process: the port is released before
/// the server binds it, and two tests starting at once must not be given the same one (they
/// would share one server).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("find a free loopback port");
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// The task definition (`family:revision`) that service `service` of `cluster` runs, and the
/// image of its first container, as the account of `config` sees them.
pub fn running(
    runtime: &tokio::runtime::Runtime,
    config: &aws_config::SdkConfig,
    cluster: &str,
    service: &str,
) -> (String, String) {
    let ecs = aws_sdk_ecs::Client::new(config);
    runtime.block_on(async {
        let services = ecs
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
            .unwrap();
        let arn = services.services()[0].task_definition().unwrap().to_owned();
        let definition = ecs
            .describe_task_definition()
            .task_definition(&arn)
            .send()
            .await
            .unwrap();
        let image = definition
            .task_definition()
            .unwrap()
            .container_definitions()[0]
            .image()
            .unwrap()
            .to_owned();
        (arn.rsplit('/').next().unwrap().to_owned(), image)
    })
}

impl crate::support::Quest {
    /// Points the run's AWS chain at `moto` (and at no profile of this machine).
    pub fn aws(mut self, moto: &Moto) -> crate::support::Quest {
        for (key, value) in moto.env() {
            self = self.env(&key, value);
        }
        self.env("AWS_CONFIG_FILE", "/nonexistent/quest-changes-test")
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/quest-changes-test",
            )
    }
}
