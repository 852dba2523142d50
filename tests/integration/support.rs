//! Test support: real git repositories in temporary directories and a chained builder that runs
//! the real binary with a clean environment.
//!
//! The child environment has every `CI`, `CIRCLE*`, `GITHUB_*`, `AWS_*` and `QUEST_*` variable
//! removed, so a test run inside CI sees exactly what the test sets.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

pub const BIN: &str = env!("CARGO_BIN_EXE_quest-changes");
pub const ZERO: &str = "0000000000000000000000000000000000000000";

/// Pattern-only targets for the tests of ranges and outputs, which are about which paths
/// changed, not about what a build or root reads: `service` for `app/**`, `infra` for
/// `terraform/**`.
pub const PATTERN_TARGETS: &str = "version: 1\ntargets:\n  service:\n    kind: ecs-service\n    paths: [\"app/**\"]\n  infra:\n    kind: terraform\n    paths: [\"terraform/**\"]\n";

/// Runs git in `dir` and returns its trimmed stdout; panics with stderr on failure.
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_ALLOW_PROTOCOL", "file:git")
        .output()
        .unwrap_or_else(|e| panic!("git is required for these tests (apt-get install git): {e}"));
    assert!(
        out.status.success(),
        "git {args:?} failed in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A real git repository in a temporary directory, on branch `main`.
pub struct Repo {
    _dir: TempDir,
    pub path: PathBuf,
}

impl Repo {
    pub fn new() -> Repo {
        let dir = TempDir::new().expect("temp dir");
        let path = dir.path().join("repo");
        std::fs::create_dir(&path).expect("mkdir");
        git_in(&path, &["init", "-q", "-b", "main"]);
        git_in(&path, &["config", "user.name", "Test"]);
        git_in(&path, &["config", "user.email", "test@example.com"]);
        git_in(&path, &["config", "commit.gpgsign", "false"]);
        Repo { _dir: dir, path }
    }

    /// A directory beside the repository, removed with it.
    pub fn sibling(&self, name: &str) -> PathBuf {
        self.path.parent().expect("parent").join(name)
    }

    pub fn git(&self, args: &[&str]) -> String {
        git_in(&self.path, args)
    }

    pub fn write(&self, path: &str, contents: &str) -> &Repo {
        self.write_bytes(path.as_bytes(), contents.as_bytes())
    }

    pub fn write_bytes(&self, path: &[u8], contents: &[u8]) -> &Repo {
        let full = self.path.join(OsStr::from_bytes(path));
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("mkdir -p");
        }
        std::fs::write(&full, contents).expect("write file");
        self
    }

    /// Makes `path` a symbolic link to `target` (replacing what was there).
    pub fn symlink(&self, path: &str, target: &str) -> &Repo {
        let full = self.path.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("mkdir -p");
        }
        if full.symlink_metadata().is_ok() {
            std::fs::remove_file(&full).expect("remove the old link");
        }
        std::os::unix::fs::symlink(target, &full).expect("symlink");
        self
    }

    pub fn remove(&self, path: &str) -> &Repo {
        std::fs::remove_file(self.path.join(path)).expect("remove file");
        self
    }

    /// Stages everything and commits; returns the new commit's SHA.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.head()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }

    pub fn rev(&self, rev: &str) -> String {
        self.git(&["rev-parse", rev])
    }

    /// Writes a GitHub event payload beside the repository and returns its path.
    pub fn event(&self, payload: &Value) -> PathBuf {
        let path = self.sibling("event.json");
        std::fs::write(&path, payload.to_string()).expect("write event");
        path
    }

    /// The binary, run in this repository.
    pub fn quest(&self) -> Quest {
        Quest::new().cwd(&self.path)
    }
}

/// A fresh bare clone of `repo`, beside it (replacing an earlier one).
pub fn bare_clone(repo: &Repo) -> PathBuf {
    let bare = repo.sibling("bare-clone.git");
    if bare.exists() {
        std::fs::remove_dir_all(&bare).expect("remove the old bare clone");
    }
    git_in(
        repo.path.parent().expect("parent"),
        &[
            "clone",
            "-q",
            "--bare",
            "repo",
            bare.to_str().expect("utf-8 temp path"),
        ],
    );
    bare
}

/// Routes `--base base` in the work tree and in a bare clone of it (which reads the committed
/// configuration), asserts they agree (the analyses read commits, never the working
/// directory), and returns the JSON report.
pub fn route_in_both(repo: &Repo, base: &str) -> Value {
    let doc = repo.quest().args(["--base", base]).json();
    let bare = bare_clone(repo);
    let from_bare = Quest::new().cwd(&bare).args(["--base", base]).json();
    assert_eq!(doc, from_bare, "a bare clone routes like the work tree");
    doc
}

/// A chained builder for one run of the binary.
pub struct Quest {
    bin: PathBuf,
    args: Vec<std::ffi::OsString>,
    env: BTreeMap<String, String>,
    cwd: PathBuf,
}

/// What a run produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }

    /// Asserts success and returns self.
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success; stderr: {}\nstdout: {}",
            self.stderr, self.stdout
        );
        self
    }
}

impl Quest {
    pub fn new() -> Quest {
        Quest {
            bin: PathBuf::from(BIN),
            args: Vec::new(),
            env: BTreeMap::new(),
            cwd: std::env::temp_dir(),
        }
    }

    /// Runs another build of the binary (to measure an older one against this).
    pub fn binary(mut self, bin: &Path) -> Quest {
        self.bin = bin.to_owned();
        self
    }

    pub fn cwd(mut self, dir: &Path) -> Quest {
        self.cwd = dir.to_owned();
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Quest {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Quest {
        for a in args {
            self.args.push(a.as_ref().to_owned());
        }
        self
    }

    pub fn env(mut self, key: &str, value: impl Into<String>) -> Quest {
        self.env.insert(key.to_owned(), value.into());
        self
    }

    /// GitHub Actions with an event payload.
    pub fn github(self, event_name: &str, event: &Path) -> Quest {
        self.env("GITHUB_ACTIONS", "true")
            .env("GITHUB_EVENT_NAME", event_name)
            .env("GITHUB_EVENT_PATH", event.display().to_string())
    }

    pub fn run(self) -> Run {
        let out = self.command().output().expect("run quest-changes");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The command this builder runs, for a caller that spawns it itself (with a timeout).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.args(&self.args).current_dir(&self.cwd);
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            if k == "CI"
                || k == "NO_COLOR"
                || k.starts_with("CIRCLE")
                || k.starts_with("GITHUB_")
                || k.starts_with("AWS_")
                || k.starts_with("QUEST_")
            {
                cmd.env_remove(&key);
            }
        }
        cmd.envs(&self.env);
        cmd
    }

    /// Runs with `--format json`, asserts success and returns the document.
    pub fn json(self) -> Value {
        self.args(["--format", "json"]).run().ok().json()
    }
}

/// The names of the changed targets in a JSON report, in order.
pub fn changed(doc: &Value) -> Vec<String> {
    doc["targets"]
        .as_object()
        .expect("targets")
        .iter()
        .filter(|(_, t)| t["changed"] == Value::Bool(true))
        .map(|(n, _)| n.clone())
        .collect()
}

/// The `path` of every change in a JSON report.
pub fn paths(doc: &Value) -> Vec<String> {
    doc["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["path"].as_str().expect("path").to_owned())
        .collect()
}

pub fn source(doc: &Value) -> &str {
    doc["range"]["source"].as_str().expect("range.source")
}

/// A repository with `app/`, `terraform/` and `docs/` on main, one commit, configured with
/// [`PATTERN_TARGETS`].
pub fn layout() -> Repo {
    let repo = Repo::new();
    repo.write(".quest-changes.yml", PATTERN_TARGETS)
        .write("app/server.js", "console.log('hi')\n")
        .write("app/Dockerfile", "FROM scratch\n")
        .write("terraform/main.tf", "# infra\n")
        .write("docs/guide.md", "# guide\n")
        .write("README.md", "# readme\n");
    repo.commit("initial layout");
    repo
}

/// `git daemon` serving a directory on 127.0.0.1, for the git:// transport (which, unlike
/// file://, libgit2 can fetch shallow over). Killed on drop.
pub struct GitDaemon {
    child: std::process::Child,
    port: u16,
    /// `git daemon` runs the real daemon as a child of its own; killing the wrapper alone
    /// would leave that one listening, so its pid is written here and killed too.
    pid_file: PathBuf,
}

impl GitDaemon {
    pub fn start(root: &Path) -> GitDaemon {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let pid_file = root.join(format!("git-daemon-{port}.pid"));
        let child = Command::new("git")
            .args([
                "daemon",
                "--export-all",
                "--reuseaddr",
                "--listen=127.0.0.1",
            ])
            .arg(format!("--port={port}"))
            .arg(format!("--pid-file={}", pid_file.display()))
            .arg(format!("--base-path={}", root.display()))
            .arg(root)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("git daemon is part of git (apt-get install git)");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "git daemon did not start on port {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        GitDaemon {
            child,
            port,
            pid_file,
        }
    }

    pub fn url(&self, repo: &str) -> String {
        format!("git://127.0.0.1:{}/{repo}", self.port)
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(&self.pid_file) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
