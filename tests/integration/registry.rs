//! A real image registry of the test's own (Debian's `docker-registry`) on a free loopback port,
//! with its configuration and storage in a temporary directory, killed when dropped, and the
//! environment that makes `podman` use it and nothing of this machine: the registry marked
//! insecure (plain HTTP on loopback), image storage with the `vfs` driver in the same
//! temporary directory (it works as root in a container, where overlay may not), and its own
//! runtime directory and auth file.
//!
//! A missing `docker-registry` or `podman` fails the test with how to install it: never a skip.

// Used by the image tests.
#![allow(dead_code)]

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

const REGISTRY: &str = "/usr/bin/docker-registry";

pub struct Registry {
    child: Option<Child>,
    dir: TempDir,
    pub port: u16,
}

impl Registry {
    pub fn start() -> Registry {
        Registry::start_configured(false)
    }

    /// A registry in maintenance mode: it answers (so a login succeeds) but refuses every push.
    pub fn start_read_only() -> Registry {
        Registry::start_configured(true)
    }

    fn start_configured(read_only: bool) -> Registry {
        require_tools();
        let dir = TempDir::new().expect("temp dir");
        let port = crate::moto::free_port();
        let maintenance = if read_only {
            "  maintenance:\n    readonly:\n      enabled: true\n"
        } else {
            ""
        };
        let config = format!(
            "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\n{maintenance}http:\n  addr: 127.0.0.1:{port}\n  secret: quest-changes-test\n",
            dir.path().join("data").display()
        );
        std::fs::write(dir.path().join("config.yml"), config).expect("write the registry config");
        std::fs::write(
            dir.path().join("registries.conf"),
            format!(
                "unqualified-search-registries = []\n\n[[registry]]\nlocation = \"127.0.0.1:{port}\"\ninsecure = true\n"
            ),
        )
        .expect("write registries.conf");
        std::fs::write(
            dir.path().join("storage.conf"),
            format!(
                "[storage]\ndriver = \"vfs\"\nrunroot = \"{}\"\ngraphroot = \"{}\"\n",
                dir.path().join("run").display(),
                dir.path().join("graph").display()
            ),
        )
        .expect("write storage.conf");
        let runtime = dir.path().join("xdg");
        std::fs::create_dir(&runtime).expect("mkdir xdg");
        let log = std::fs::File::create(dir.path().join("registry.log")).expect("registry log");
        let child = Command::new(REGISTRY)
            .arg("serve")
            .arg(dir.path().join("config.yml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {REGISTRY}: {e}"));
        let mut registry = Registry {
            child: Some(child),
            dir,
            port,
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(Ok(Some(status))) = registry.child.as_mut().map(Child::try_wait) {
                panic!(
                    "docker-registry exited with {status}; its log:\n{}",
                    registry.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "docker-registry did not listen on {port} within 15 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        registry
    }

    /// `127.0.0.1:<port>`, the value of `image.registry`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The environment that points podman at this registry and at storage of the test's own.
    pub fn podman_env(&self) -> Vec<(String, String)> {
        let path = |name: &str| self.dir.path().join(name).display().to_string();
        // The runner's own credentials file, empty: this registry takes anonymous pushes, and
        // quest-changes logs in only to ECR itself.
        let auth = self.dir.path().join("auth.json");
        if !auth.exists() {
            std::fs::write(&auth, "{\"auths\": {}}\n").expect("write the podman auth file");
        }
        vec![
            ("CONTAINERS_REGISTRIES_CONF".into(), path("registries.conf")),
            ("CONTAINERS_STORAGE_CONF".into(), path("storage.conf")),
            ("XDG_RUNTIME_DIR".into(), path("xdg")),
            ("REGISTRY_AUTH_FILE".into(), path("auth.json")),
        ]
    }

    /// The registry's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// How many manifests were pushed (`PUT /v2/<repository>/manifests/...`) so far.
    pub fn manifest_pushes(&self, repository: &str) -> usize {
        let needle = format!("\"PUT /v2/{repository}/manifests/");
        self.log().lines().filter(|l| l.contains(&needle)).count()
    }

    /// The repositories the registry holds.
    pub fn catalog(&self) -> Vec<String> {
        let body = self.get("/v2/_catalog", None).1;
        let doc: serde_json::Value = serde_json::from_slice(&body).expect("catalog JSON");
        doc["repositories"]
            .as_array()
            .map(|a| a.iter().map(|r| r.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default()
    }

    /// The digest the registry gives the manifest of `repository:tag`.
    pub fn digest(&self, repository: &str, tag: &str) -> String {
        let (headers, _) = self.get(
            &format!("/v2/{repository}/manifests/{tag}"),
            Some("application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"),
        );
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("docker-content-digest"))
            .map(|(_, v)| v.clone())
            .expect("a Docker-Content-Digest header")
    }

    /// The image config (labels and all) of `repository:tag`.
    pub fn config(&self, repository: &str, tag: &str) -> serde_json::Value {
        let (_, body) = self.get(
            &format!("/v2/{repository}/manifests/{tag}"),
            Some("application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"),
        );
        let manifest: serde_json::Value = serde_json::from_slice(&body).expect("manifest JSON");
        let config = manifest["config"]["digest"]
            .as_str()
            .expect("config digest");
        let (_, body) = self.get(&format!("/v2/{repository}/blobs/{config}"), None);
        serde_json::from_slice(&body).expect("config JSON")
    }

    fn get(&self, path: &str, accept: Option<&str>) -> (Vec<(String, String)>, Vec<u8>) {
        let mut request = ureq::get(&format!("http://{}{path}", self.host()));
        if let Some(accept) = accept {
            request = request.header("Accept", accept);
        }
        let mut response = request.call().unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let body = response
            .body_mut()
            .read_to_vec()
            .unwrap_or_else(|e| panic!("read {path}: {e}"));
        (headers, body)
    }

    /// Stops the registry now (a push then fails).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Fails, with how to install them, when the image tests' tools are missing.
fn require_tools() {
    assert!(
        Path::new(REGISTRY).exists(),
        "the image tests need a registry: apt-get install docker-registry (it provides {REGISTRY})"
    );
    let podman = Command::new("podman").arg("--version").output();
    assert!(
        podman.is_ok_and(|o| o.status.success()),
        "the image tests build and push with podman: apt-get install podman"
    );
}

impl crate::support::Quest {
    /// Points the run's podman at `registry` and at storage of the test's own.
    pub fn podman(mut self, registry: &Registry) -> crate::support::Quest {
        for (key, value) in registry.podman_env() {
            self = self.env(&key, value);
        }
        self
    }
}
