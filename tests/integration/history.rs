//! A history with the shapes of the seed's public repository, replayed commit by commit: a
//! Terraform root at the repository top calling a local module and a Dockerfile whose context
//! is the repository itself, then the root split into `.service/terraform` and
//! `.state/terraform`. No configuration file: each commit gets the targets discovered from its
//! layout, as a repository without `.quest-changes.yml` does.
//!
//! The truth of each (commit, target) pair comes from the real tools, never from our reading:
//! a service needs a deployment when `podman build` of the commit gives other layers than of its
//! parent; a root needs one when the files Terraform loads (the module folders of `terraform
//! get`'s `modules.json`, their `.tf` and `.tf.json` files, the root's variable files and lock
//! file) differ, or the root appears or disappears. The test fails on any needed deployment
//! that routing skips, and prints how many routed ones were not needed: the extra-deploy
//! figure of docs/routing.md. `QUEST_HISTORY_BIN` runs it with another build (an older one, to
//! measure "before"); the assertion then still names every miss.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{Quest, Repo};

/// One commit of the history: files written (content) or removed (`None`), and its message.
type Step = (
    &'static str,
    &'static [(&'static str, Option<&'static str>)],
);

const ROOT_TOP: &str = "provider \"aws\" {\n  region = var.region\n}\nvariable \"region\" {\n  default = \"us-east-1\"\n}\nmodule \"m\" {\n  source = \"./modules/m\"\n}\n";
const ROOT_SERVICE: &str = "terraform {\n  backend \"s3\" {}\n}\nprovider \"aws\" {}\nmodule \"m\" {\n  source = \"../../modules/m\"\n}\n";
const ROOT_STATE: &str =
    "provider \"aws\" {}\nresource \"aws_s3_bucket\" \"state\" {\n  bucket = \"state\"\n}\n";

const HISTORY: &[Step] = &[
    (
        "initial layout",
        &[
            ("main.tf", Some(ROOT_TOP)),
            ("modules/m/main.tf", Some("resource \"aws_s3_bucket\" \"b\" {}\n")),
            ("modules/m/README.md", Some("# m\n")),
            ("Dockerfile", Some("FROM scratch\nCOPY app/ /app/\n")),
            (".dockerignore", Some("**/*.md\n")),
            ("app/server.js", Some("v1\n")),
            ("app/README.md", Some("# app\n")),
            ("README.md", Some("# project\n")),
            ("docs/notes.md", Some("notes\n")),
        ],
    ),
    ("readme", &[("README.md", Some("# project, edited\n"))]),
    ("root edit", &[("main.tf", Some(ROOT_TOP)), ("variables.tf", Some("variable \"env\" {\n  default = \"prod\"\n}\n"))]),
    ("module edit", &[("modules/m/main.tf", Some("resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"b\"\n}\n"))]),
    ("module readme", &[("modules/m/README.md", Some("# m, edited\n"))]),
    ("module docs folder", &[("modules/m/docs/usage.md", Some("usage\n"))]),
    ("app code", &[("app/server.js", Some("v2\n"))]),
    ("app readme", &[("app/README.md", Some("# app, edited\n"))]),
    ("docs", &[("docs/notes.md", Some("more notes\n"))]),
    ("tfvars", &[("terraform.tfvars", Some("region = \"us-west-2\"\n"))]),
    ("ci", &[(".github/workflows/ci.yml", Some("on: push\n"))]),
    (
        "split the root",
        &[
            ("main.tf", None),
            ("variables.tf", None),
            ("terraform.tfvars", None),
            (".service/terraform/main.tf", Some(ROOT_SERVICE)),
            (".state/terraform/main.tf", Some(ROOT_STATE)),
        ],
    ),
    ("service root readme", &[(".service/terraform/README.md", Some("# service\n"))]),
    ("shared module edit", &[("modules/m/main.tf", Some("resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"b2\"\n}\n"))]),
    ("state root edit", &[(".state/terraform/main.tf", Some("provider \"aws\" {}\nresource \"aws_s3_bucket\" \"state\" {\n  bucket = \"state-2\"\n}\n"))]),
    ("lock file", &[(".service/terraform/.terraform.lock.hcl", Some("# lock\n"))]),
    ("dockerfile", &[("Dockerfile", Some("FROM scratch\nCOPY app/ /srv/\n"))]),
    ("dockerignore", &[(".dockerignore", Some("**/*.md\ndocs/\n"))]),
    ("app readme again", &[("app/README.md", Some("# app, again\n"))]),
    ("module example", &[("modules/m/examples/basic/main.tf", Some("module \"m\" {\n  source = \"../../\"\n}\n"))]),
];

/// The binary to measure: this build, or the one `QUEST_HISTORY_BIN` names.
fn binary() -> PathBuf {
    std::env::var_os("QUEST_HISTORY_BIN")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(crate::support::BIN), PathBuf::from)
}

fn run(cmd: &mut Command, what: &str) -> std::process::Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("{what}: could not start: {e}"))
}

/// The commit's files in a folder of their own (`git archive`), with every mtime at 0 so that
/// a build sees content only.
fn export(repo: &Repo, commit: &str, into: &Path) {
    std::fs::create_dir_all(into).unwrap();
    let archive = run(
        Command::new("git")
            .args(["archive", "--format=tar", commit])
            .current_dir(&repo.path),
        "git archive",
    );
    assert!(archive.status.success());
    let mut tar = Command::new("tar")
        .args(["-x", "-C"])
        .arg(into)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("tar");
    use std::io::Write as _;
    tar.stdin
        .take()
        .unwrap()
        .write_all(&archive.stdout)
        .unwrap();
    assert!(tar.wait().unwrap().success());
    let touch = run(
        Command::new("find")
            .arg(into)
            .args(["-exec", "touch", "-h", "-d", "@0", "{}", "+"]),
        "find -exec touch",
    );
    assert!(touch.status.success());
}

/// Podman with storage of this test's own.
struct Podman {
    dir: TempDir,
}

impl Podman {
    fn new() -> Podman {
        let podman = Command::new("podman").arg("--version").output();
        assert!(
            podman.is_ok_and(|o| o.status.success()),
            "the history test builds images with podman: apt-get install podman"
        );
        Podman {
            dir: TempDir::new().unwrap(),
        }
    }

    /// The layer digests of the image built from `context` and `dockerfile` (relative to
    /// `tree`), or `None` when the build fails (no Dockerfile, say).
    fn layers(&self, tree: &Path, context: &str, dockerfile: &str) -> Option<String> {
        let out = run(
            Command::new("podman")
                .arg("--root")
                .arg(self.dir.path().join("root"))
                .arg("--runroot")
                .arg(self.dir.path().join("run"))
                .args(["build", "-q", "--timestamp", "0", "--file"])
                .arg(tree.join(dockerfile))
                .arg(tree.join(context)),
            "podman build",
        );
        if !out.status.success() {
            return None;
        }
        let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let inspect = run(
            Command::new("podman")
                .arg("--root")
                .arg(self.dir.path().join("root"))
                .arg("--runroot")
                .arg(self.dir.path().join("run"))
                .args(["inspect", "--format", "{{json .RootFS.Layers}}", &id]),
            "podman inspect",
        );
        assert!(inspect.status.success(), "podman inspect {id}");
        Some(String::from_utf8_lossy(&inspect.stdout).trim().to_owned())
    }
}

/// What Terraform loads for `root` in `tree`: each loaded file's path and content, or `None`
/// when the root is not there. The module folders are `terraform get`'s.
fn loaded(tree: &Path, root: &str) -> Option<BTreeMap<String, Vec<u8>>> {
    let dir = if root == "." {
        tree.to_owned()
    } else {
        tree.join(root)
    };
    let has_config = std::fs::read_dir(&dir).ok()?.flatten().any(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        name.ends_with(".tf") || name.ends_with(".tf.json")
    });
    if !has_config {
        return None;
    }
    let out = run(
        Command::new("timeout")
            .args(["120", "terraform"])
            .arg(format!("-chdir={}", dir.display()))
            .args(["get", "-no-color"])
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_CLI_CONFIG_FILE", "/dev/null"),
        "terraform get",
    );
    assert!(
        out.status.success(),
        "terraform get in {root}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(dir.join(".terraform/modules/modules.json")).unwrap(),
    )
    .unwrap();
    let mut files = BTreeMap::new();
    for module in manifest["Modules"].as_array().unwrap() {
        let module_dir = dir.join(module["Dir"].as_str().unwrap());
        let is_root = module["Key"] == "";
        for entry in std::fs::read_dir(&module_dir).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let configuration = name.ends_with(".tf") || name.ends_with(".tf.json");
            let root_input = is_root
                && (name == "terraform.tfvars"
                    || name == "terraform.tfvars.json"
                    || name.ends_with(".auto.tfvars")
                    || name == ".terraform.lock.hcl");
            if entry.path().is_file() && (configuration || root_input) {
                let path = entry.path().canonicalize().unwrap();
                let tree = tree.canonicalize().unwrap();
                let rel = path.strip_prefix(&tree).unwrap().display().to_string();
                files.insert(rel, std::fs::read(entry.path()).unwrap());
            }
        }
    }
    Some(files)
}

#[test]
fn the_seed_shaped_history_misses_no_deployment_and_counts_the_extra_ones() {
    let repo = Repo::new();
    let mut commits = Vec::new();
    for (message, ops) in HISTORY {
        for (path, content) in *ops {
            match content {
                Some(text) => {
                    repo.write(path, text);
                }
                None => {
                    repo.remove(path);
                }
            }
        }
        commits.push(repo.commit(message));
    }
    let scratch = TempDir::new().unwrap();
    let podman = Podman::new();
    let tree = |commit: &str| {
        let dir = scratch.path().join(commit);
        if !dir.exists() {
            export(&repo, commit, &dir);
        }
        dir
    };
    let bin = binary();
    let (mut pairs, mut needed_count, mut routed_count, mut extra) = (0, 0, 0, 0);
    let mut missed = Vec::new();
    let mut lines = Vec::new();
    for (i, pair) in commits.windows(2).enumerate() {
        let (parent, commit) = (&pair[0], &pair[1]);
        repo.git(&["checkout", "-q", "--detach", commit]);
        let quest = || Quest::new().binary(&bin).cwd(&repo.path);
        let config: Value = serde_json::from_slice(
            &quest()
                .args(["config", "--format", "json"])
                .run()
                .stdout
                .into_bytes(),
        )
        .expect("config --format json");
        let routed: Value = serde_json::from_slice(
            &quest()
                .args(["--base", parent.as_str(), "--format", "json"])
                .run()
                .stdout
                .into_bytes(),
        )
        .expect("detect --format json");
        let (before, after) = (tree(parent), tree(commit));
        for (name, target) in config["targets"].as_object().unwrap() {
            let needed = match target["kind"].as_str().unwrap() {
                "ecs-service" => {
                    let context = target["build"]["context"].as_str().unwrap();
                    let dockerfile = target["build"]["dockerfile"].as_str().unwrap();
                    podman.layers(&before, context, dockerfile)
                        != podman.layers(&after, context, dockerfile)
                }
                "terraform" => {
                    let root = target["root"].as_str().unwrap();
                    loaded(&before, root) != loaded(&after, root)
                }
                _ => continue,
            };
            let is_routed = routed["targets"][name]["changed"] == Value::Bool(true);
            pairs += 1;
            needed_count += usize::from(needed);
            routed_count += usize::from(is_routed);
            if needed && !is_routed {
                missed.push(format!("{} {}: {name}", i + 1, HISTORY[i + 1].0));
            }
            if is_routed && !needed {
                extra += 1;
            }
            lines.push(format!(
                "{:>2} {:<22} {name:<14} needed={needed:<5} routed={is_routed}",
                i + 1,
                HISTORY[i + 1].0
            ));
        }
    }
    println!("{}", lines.join("\n"));
    println!(
        "history: {pairs} (commit, target) pairs, {needed_count} needed, {routed_count} routed, {extra} routed but not needed, {} missed",
        missed.len()
    );
    assert!(
        missed.is_empty(),
        "needed deployments that routing skipped:\n{}",
        missed.join("\n")
    );
}
