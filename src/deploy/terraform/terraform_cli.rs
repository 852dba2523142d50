//! The Terraform (or OpenTofu) command line: the version check, and the arguments of `init`,
//! `plan`, `show`, `apply` and `output`, each run through [`crate::process::Invocation`].
//!
//! The arguments are built in one place, so `--dry-run` prints exactly what a run executes.
//! The backend gets bucket, key, region and `use_lockfile` only: never credentials, which
//! Terraform would write into `.terraform/` and into every plan file. This file knows nothing
//! of S3, markers or branches.

use std::path::{Path, PathBuf};

use crate::config::StateFile;
use crate::deploy::progress::Progress;
use crate::error::{Error, Result};
use crate::process::{Finished, Invocation};

/// The oldest release with the S3 backend's own lock file (`use_lockfile`).
const MINIMUM: (u64, u64) = (1, 10);

/// The marker Terraform prints when another run holds the state lock.
pub const LOCK_HELD: &str = "Error acquiring the state lock";

/// One root's Terraform command line.
#[derive(Debug, Clone)]
pub struct Terraform {
    pub binary: String,
    /// The root, absolute.
    pub root: PathBuf,
    /// The target name: the prefix of each streamed line.
    pub target: String,
    /// Print each command line before it runs.
    pub verbose: bool,
    /// The environment deployed to (`--env`): its name and region.
    pub environment: Option<EnvironmentRun>,
}

/// What an environment changes in a Terraform run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentRun {
    /// Its name: its plans are kept apart, in a folder of that name.
    pub name: String,
    /// Given to Terraform as `AWS_REGION`: a provider without a region of its own works in
    /// the environment's.
    pub region: String,
    /// The environment's assumed role (`credentials.role_arn`): its temporary credentials,
    /// given to Terraform in its environment, never on its command line or in a file.
    pub credentials: Option<RoleCredentials>,
}

/// An assumed role's temporary credentials. `{:?}` never prints them.
#[derive(Clone, PartialEq, Eq)]
pub struct RoleCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for RoleCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RoleCredentials(<redacted>)")
    }
}

/// How a plan ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Planned {
    NoChanges,
    Changes,
}

/// What a failed command left: the first `Error:` line, for the sentence, and whether the state
/// lock was the cause.
#[derive(Debug, Clone)]
pub struct Failure {
    pub reason: String,
    pub lock_held: bool,
}

impl Terraform {
    /// `version -json`: Terraform 1.10 or newer, or OpenTofu 1.10 or newer.
    pub fn check_version(&self) -> Result<String> {
        let call = self.call(["version", "-json"]);
        if self.verbose {
            Progress::console(&self.target).say(&format!("$ {}", call.display()));
        }
        let finished = call.run().map_err(|_| Error::Tool {
            action: format!("run `{}`", call.display()),
            message: format!(
                "`{}` was not found or could not start; install Terraform 1.10 or newer (or OpenTofu, with `binary: tofu`)",
                crate::text::one_line(&self.binary)
            ),
        })?;
        let text = String::from_utf8_lossy(&finished.stdout);
        let version = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("terraform_version")?.as_str().map(str::to_owned))
            .filter(|_| finished.success)
            .ok_or_else(|| Error::Tool {
                action: format!("run `{}`", call.display()),
                message: "it did not print a version; is it Terraform or OpenTofu?".into(),
            })?;
        check_minimum(&self.binary, &version)?;
        Ok(version)
    }

    /// `init` with the backend from `state`. Under an environment also `-reconfigure`: the
    /// environments of one root share its `.terraform`, which remembers the last backend, and
    /// each run names its whole backend, so there is never a state to migrate.
    pub fn init_args(&self, state: &StateFile) -> Vec<String> {
        let mut args: Vec<String> = vec![
            "init".into(),
            "-input=false".into(),
            "-no-color".into(),
            format!("-backend-config=bucket={}", state.bucket),
            format!("-backend-config=key={}", state.key),
            format!("-backend-config=region={}", state.region),
            "-backend-config=use_lockfile=true".into(),
        ];
        if self.environment.is_some() {
            args.push("-reconfigure".into());
        }
        args
    }

    /// `plan` into `plan_file`, with the var files (relative to the root).
    pub fn plan_args(plan_file: &Path, var_files: &[String]) -> Vec<String> {
        let mut args = vec![
            "plan".into(),
            "-input=false".into(),
            "-no-color".into(),
            format!("-out={}", plan_file.display()),
            "-detailed-exitcode".into(),
        ];
        args.extend(var_files.iter().map(|f| format!("-var-file={f}")));
        args
    }

    /// `apply` of exactly the saved plan.
    pub fn apply_args(plan_file: &Path) -> Vec<String> {
        vec![
            "apply".into(),
            "-input=false".into(),
            "-no-color".into(),
            plan_file.display().to_string(),
        ]
    }

    /// The invocation of `args` in the root, with the automation environment.
    pub fn call<I, S>(&self, args: I) -> Invocation
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let call = Invocation::new(&self.binary, &self.root)
            .args(args)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1");
        let Some(environment) = &self.environment else {
            return call;
        };
        let call = call
            .env("AWS_REGION", &environment.region)
            .env("AWS_DEFAULT_REGION", &environment.region);
        match &environment.credentials {
            // Credentials in the environment come first in the provider's chain, before the
            // job's profile or web identity, which name the job's own account.
            Some(role) => {
                let call = call
                    .env("AWS_ACCESS_KEY_ID", &role.access_key_id)
                    .env("AWS_SECRET_ACCESS_KEY", &role.secret_access_key);
                match &role.session_token {
                    Some(token) => call.env("AWS_SESSION_TOKEN", token),
                    None => call,
                }
            }
            None => call,
        }
    }

    /// Runs `args` with the output streamed, prefixed with the target name.
    fn streamed(&self, args: &[String]) -> Result<Finished> {
        let call = self.call(args).streamed(self.target.clone());
        if self.verbose {
            Progress::console(&self.target).say(&format!("$ {}", call.display()));
        }
        call.run()
    }

    /// `init`; a failure is returned as such for the caller to explain (a held lock is not
    /// a plain failure).
    pub fn init(&self, state: &StateFile) -> Result<Result<(), Failure>> {
        let done = self.streamed(&self.init_args(state))?;
        Ok(if done.success {
            Ok(())
        } else {
            Err(failure(&done))
        })
    }

    /// `plan -detailed-exitcode`: 0 no changes, 2 changes, anything else a failure.
    pub fn plan(&self, plan_file: &Path, var_files: &[String]) -> Result<Result<Planned, Failure>> {
        let done = self.streamed(&Terraform::plan_args(plan_file, var_files))?;
        Ok(match done.code {
            Some(0) => Ok(Planned::NoChanges),
            Some(2) => Ok(Planned::Changes),
            _ => Err(failure(&done)),
        })
    }

    /// `show -json <plan>`, captured (never streamed: it holds every value).
    pub fn show_json(&self, plan_file: &Path) -> Result<String> {
        self.captured(&["show", "-json", &plan_file.display().to_string()])
    }

    /// `apply <plan>`.
    pub fn apply(&self, plan_file: &Path) -> Result<Result<(), Failure>> {
        let done = self.streamed(&Terraform::apply_args(plan_file))?;
        Ok(if done.success {
            Ok(())
        } else {
            Err(failure(&done))
        })
    }

    /// `output -json`, captured.
    pub fn output_json(&self) -> Result<String> {
        self.captured(&["output", "-json", "-no-color"])
    }

    fn captured(&self, args: &[&str]) -> Result<String> {
        let call = self.call(args);
        if self.verbose {
            Progress::console(&self.target).say(&format!("$ {}", call.display()));
        }
        let done = call.run()?;
        if !done.success {
            return Err(Error::Tool {
                action: format!("run `{}` in the root of {}", call.display(), self.target),
                message: failure(&done).reason,
            });
        }
        String::from_utf8(done.stdout).map_err(|_| Error::Tool {
            action: format!("run `{}` in the root of {}", call.display(), self.target),
            message: "it printed text that is not UTF-8".into(),
        })
    }
}

/// The first `Error:` line of a failed run (Terraform prints the summary there), one line.
fn failure(done: &Finished) -> Failure {
    let stderr = String::from_utf8_lossy(&done.stderr);
    let stdout = String::from_utf8_lossy(&done.stdout);
    let all = format!("{stderr}\n{stdout}");
    let reason = all
        .lines()
        .map(|l| l.trim_start_matches(['│', ' ', '╷', '╵']).trim())
        .find(|l| l.starts_with("Error:"))
        .map(|l| l.trim_start_matches("Error:").trim().to_owned())
        .unwrap_or_else(|| match done.code {
            Some(code) => format!("it exited with code {code}"),
            None => "it was stopped by a signal".to_owned(),
        });
    Failure {
        reason: crate::text::one_line(&reason),
        lock_held: all.contains(LOCK_HELD),
    }
}

/// Refuses a release older than 1.10.
fn check_minimum(binary: &str, version: &str) -> Result<()> {
    let mut parts = version
        .trim_start_matches('v')
        .split(['.', '-'])
        .map(|p| p.parse::<u64>().ok());
    let (Some(Some(major)), Some(Some(minor))) = (parts.next(), parts.next()) else {
        return Err(Error::Tool {
            action: format!("check the version of `{}`", crate::text::one_line(binary)),
            message: format!(
                "`{}` is not a version this can read",
                crate::text::one_line(version)
            ),
        });
    };
    if (major, minor) < MINIMUM {
        return Err(Error::Tool {
            action: format!("check the version of `{}`", crate::text::one_line(binary)),
            message: format!(
                "it is {}, and the S3 backend's lock file needs Terraform or OpenTofu 1.10 or newer",
                crate::text::one_line(version)
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_1_10_pass() {
        assert!(check_minimum("terraform", "1.11.4").is_ok());
        assert!(check_minimum("tofu", "1.10.0").is_ok());
        assert!(check_minimum("terraform", "2.0.0").is_ok());
        assert_eq!(
            check_minimum("terraform", "1.9.8").unwrap_err().to_string(),
            "failed to check the version of `terraform`: it is 1.9.8, and the S3 backend's lock file needs Terraform or OpenTofu 1.10 or newer"
        );
        assert!(check_minimum("terraform", "dev").is_err());
    }

    #[test]
    fn the_backend_gets_no_credentials() {
        let state = StateFile {
            bucket: "b".into(),
            key: "prod/terraform.tfstate".into(),
            region: "eu-west-1".into(),
        };
        let mut terraform = Terraform {
            binary: "terraform".into(),
            root: PathBuf::from("/r"),
            target: "t".into(),
            verbose: false,
            environment: None,
        };
        assert_eq!(
            terraform.init_args(&state).join(" "),
            "init -input=false -no-color -backend-config=bucket=b -backend-config=key=prod/terraform.tfstate -backend-config=region=eu-west-1 -backend-config=use_lockfile=true"
        );
        terraform.environment = Some(EnvironmentRun {
            name: "prod".into(),
            region: "eu-west-1".into(),
            credentials: None,
        });
        assert!(terraform
            .init_args(&state)
            .join(" ")
            .ends_with(" -backend-config=use_lockfile=true -reconfigure"));
    }

    #[test]
    fn a_failure_keeps_the_first_error_line_and_sees_the_lock() {
        let done = Finished {
            success: false,
            code: Some(1),
            stdout: Vec::new(),
            stderr: "\n│ Error: Error acquiring the state lock\n│ \n│ Error message: 412\n"
                .as_bytes()
                .to_vec(),
        };
        let f = failure(&done);
        assert_eq!(f.reason, "Error acquiring the state lock");
        assert!(f.lock_held);
    }
}
