//! Support for the infrastructure deployment tests: the machine's Terraform with its provider
//! mirror, a tiny fixture root (SSM parameters only: fast on moto), runs bounded by a timeout,
//! and boto3 one-liners against the test's moto for what the tests check or arrange in S3.
//!
//! A missing Terraform or provider mirror fails the test with a message saying how to get it:
//! never a silent skip.

// Used by the terraform tests.
#![allow(dead_code)]

use std::io::Read as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::moto::Moto;
use crate::support::{Quest, Repo, Run};

/// Every quest-changes run that drives Terraform is killed after this long.
pub const LIMIT: Duration = Duration::from_secs(180);

/// The directory holding `registry.terraform.io/hashicorp/aws`: `TF_PLUGIN_MIRROR`, else the
/// first found under the usual roots (as `ref_find_provider_mirror` in tests/reference/lib.sh).
pub fn provider_mirror() -> PathBuf {
    let holds = |dir: &Path| dir.join("registry.terraform.io/hashicorp/aws").is_dir();
    if let Some(dir) = std::env::var_os("TF_PLUGIN_MIRROR").map(PathBuf::from) {
        for candidate in [
            dir.clone(),
            dir.parent().map(Path::to_owned).unwrap_or_default(),
        ] {
            if holds(&candidate) {
                return candidate;
            }
        }
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from);
    let roots = [
        PathBuf::from("/opt"),
        PathBuf::from("/usr/share"),
        PathBuf::from("/usr/local/share"),
        PathBuf::from("/usr/local/lib"),
        home.join(".terraform.d"),
        home.join(".local/share"),
        PathBuf::from("/var"),
        PathBuf::from("/srv"),
    ];
    for root in roots {
        if let Some(found) = search(&root, 4, &holds) {
            return found;
        }
    }
    panic!(
        "the terraform tests need the hashicorp/aws provider in a filesystem mirror (a directory holding registry.terraform.io/hashicorp/aws/<version>/<platform>): set TF_PLUGIN_MIRROR to it, or put it under /opt (e.g. `terraform providers mirror /opt/tf-plugins` in a root that requires hashicorp/aws 5.100.0)"
    );
}

fn search(dir: &Path, depth: usize, holds: &dyn Fn(&Path) -> bool) -> Option<PathBuf> {
    if holds(dir) {
        return Some(dir.to_owned());
    }
    if depth == 0 {
        return None;
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    entries.sort();
    entries
        .iter()
        .find_map(|entry| search(entry, depth - 1, holds))
}

/// Asserts the terraform binary runs; says how to install it otherwise.
pub fn require_terraform() {
    let ok = Command::new("terraform")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "the terraform tests need Terraform 1.10 or newer on PATH (https://developer.hashicorp.com/terraform/install)"
    );
}

/// A Terraform CLI configuration that installs hashicorp/* only from the mirror.
pub fn cli_config(dir: &Path) -> PathBuf {
    let mirror = provider_mirror();
    let path = dir.join("terraform.rc");
    std::fs::write(
        &path,
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/hashicorp/*\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/hashicorp/*\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .expect("write the terraform CLI config");
    path
}

/// The fixture root's fixed part: an S3 backend (path-style for moto; bucket, key and region
/// come from quest-changes) and a provider that reaches moto through AWS_ENDPOINT_URL.
pub const ROOT_HEAD: &str = r#"terraform {
  backend "s3" {
    use_path_style = true
  }
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

provider "aws" {
  s3_use_path_style           = true
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  max_retries                 = 2
}

variable "keep_value" {
  type = string
  validation {
    condition     = length(var.keep_value) <= 16
    error_message = "The keep_value must be at most 16 characters."
  }
}

variable "renamed_name" {
  type = string
}

resource "aws_ssm_parameter" "keep" {
  name  = "/quest/keep"
  type  = "String"
  value = var.keep_value
}

resource "aws_ssm_parameter" "renamed" {
  name  = "/quest/${var.renamed_name}"
  type  = "String"
  value = "r"
}

output "keep_name" {
  value = aws_ssm_parameter.keep.name
}
"#;

/// Version A of the root: `keep`, `renamed` (as `first`) and `gone`.
pub const GONE: &str = r#"
resource "aws_ssm_parameter" "gone" {
  name  = "/quest/gone"
  type  = "String"
  value = "g"
}
"#;

/// Version B adds `fresh` (and drops `gone`, renames `renamed`, changes `keep`'s value).
pub const FRESH: &str = r#"
resource "aws_ssm_parameter" "fresh" {
  name  = "/quest/fresh"
  type  = "String"
  value = "f"
}
"#;

pub const BUCKET: &str = "quest-tfstate-test";
pub const KEY: &str = "infra/terraform.tfstate";

/// A repository with target `infra` (root `infra/`, var file `prod.tfvars`, apply on `main`)
/// at version A, committed on `main`.
pub fn repo() -> Repo {
    let repo = Repo::new();
    repo.write(
        ".quest-changes.yml",
        &format!(
            "version: 1\ntargets:\n  infra:\n    kind: terraform\n    root: infra\n    state:\n      bucket: {BUCKET}\n      key: {KEY}\n      region: us-east-1\n    var_files: [prod.tfvars]\n    apply_on: [main]\n"
        ),
    )
    .write(".gitignore", ".terraform/\n.terraform.lock.hcl\n")
    .write("infra/main.tf", &format!("{ROOT_HEAD}{GONE}"))
    .write(
        "infra/prod.tfvars",
        "keep_value   = \"secret-value-a\"\nrenamed_name = \"first\"\n",
    );
    repo.commit("infra version A");
    repo
}

/// Version B: one create (`fresh`), one update (`keep`), one replace (`renamed`), one destroy
/// (`gone`).
pub fn version_b(repo: &Repo) -> String {
    repo.write("infra/main.tf", &format!("{ROOT_HEAD}{FRESH}"))
        .write(
            "infra/prod.tfvars",
            "keep_value   = \"secret-value-b\"\nrenamed_name = \"second\"\n",
        );
    repo.commit("infra version B")
}

/// The run of quest-changes in `repo` against `moto`, with the Terraform CLI config.
pub fn quest(repo: &Repo, moto: &Moto, rc: &Path) -> Quest {
    repo.quest()
        .aws(moto)
        .env("TF_CLI_CONFIG_FILE", rc.display().to_string())
}

/// Runs `quest` killed (with everything it started) after [`LIMIT`].
pub fn bounded(quest: &Quest) -> Run {
    let mut command = quest.command();
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = command.spawn().expect("run quest-changes");
    let mut out = child.stdout.take().expect("stdout pipe");
    let mut err = child.stderr.take().expect("stderr pipe");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = out.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = err.read_to_string(&mut text);
        text
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for quest-changes") {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = Command::new("kill")
                .args(["-KILL", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
            panic!(
                "quest-changes ran longer than {} s and was killed; stderr so far:\n{}",
                LIMIT.as_secs(),
                err.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// Runs a Python snippet with boto3 clients `s3` and `ssm` on `moto`; returns its stdout.
pub fn boto(moto: &Moto, code: &str) -> String {
    let script = format!(
        "import boto3, json, sys\nkw = dict(endpoint_url={:?}, region_name='us-east-1', aws_access_key_id='testing', aws_secret_access_key='testing')\ns3 = boto3.client('s3', **kw)\nssm = boto3.client('ssm', **kw)\n{code}\n",
        moto.endpoint()
    );
    let out = Command::new(crate::moto::python())
        .arg("-c")
        .arg(&script)
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run the test python");
    assert!(
        out.status.success(),
        "boto3 snippet failed:\n{code}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A plain bucket (no bucket policy, so moto lets the backend in): what the terraform tests
/// keep their state in.
pub fn plain_bucket(moto: &Moto) {
    boto(moto, &format!("s3.create_bucket(Bucket={BUCKET:?})"));
}

/// The object `key` of the state bucket, or `None`.
pub fn object(moto: &Moto, key: &str) -> Option<String> {
    let text = boto(
        moto,
        &format!(
            "try:\n    print(s3.get_object(Bucket={BUCKET:?}, Key={key:?})['Body'].read().decode())\nexcept s3.exceptions.NoSuchKey:\n    print('<none>')"
        ),
    );
    (text != "<none>").then_some(text)
}

/// Whether the SSM parameter `name` exists.
pub fn parameter_exists(moto: &Moto, name: &str) -> bool {
    boto(
        moto,
        &format!(
            "try:\n    ssm.get_parameter(Name={name:?}); print('yes')\nexcept ssm.exceptions.ParameterNotFound:\n    print('no')"
        ),
    ) == "yes"
}
