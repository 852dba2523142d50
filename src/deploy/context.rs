//! What every deployment engine runs from: the target, the commit and the run's switches.

use std::path::Path;

use git2::{Oid, Repository};

use crate::config::{Config, Target, TargetKind};
use crate::detect::range::Environment;

/// One target's deployment, resolved by `commands` before an engine starts.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub target_name: &'a str,
    pub target: &'a Target,
    pub config: &'a Config,
    pub repo: &'a Repository,
    /// The working tree; `None` in a bare clone (builds and Terraform need one).
    pub workdir: Option<&'a Path>,
    /// The commit being deployed (the range's head).
    pub head: Oid,
    pub env: &'a Environment,
    /// Print every step with its values; write nothing.
    pub dry_run: bool,
    /// Print the AWS calls made and each external command.
    pub verbose: bool,
}

impl std::fmt::Debug for Context<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("target_name", &self.target_name)
            .field("head", &self.head)
            .field("dry_run", &self.dry_run)
            .finish_non_exhaustive()
    }
}

impl<'a> Context<'a> {
    /// The context of target `name` of `config` at commit `head`; an unknown name is a usage
    /// error that lists the configured ones.
    #[allow(clippy::too_many_arguments)]
    pub fn of(
        config: &'a Config,
        name: &'a str,
        repo: &'a Repository,
        env: &'a Environment,
        head: Oid,
        dry_run: bool,
        verbose: bool,
    ) -> crate::Result<Context<'a>> {
        let target = config
            .targets
            .get(name)
            .ok_or_else(|| unknown_target(config, name))?;
        Ok(Context {
            target_name: name,
            target,
            config,
            repo,
            workdir: repo.workdir(),
            head,
            env,
            dry_run,
            verbose,
        })
    }

    /// The region of the environment deployed to (`--env`); `None` leaves it to the standard
    /// chain (`AWS_REGION`, a profile).
    pub fn region(&self) -> Option<&'a str> {
        self.config.environment.as_ref().map(|e| e.region.as_str())
    }

    /// The AWS configuration of this target's environment: its region (`region` overrides it,
    /// as a state bucket's own does) and, when its credentials are a `role_arn`, that role
    /// assumed from the job's credentials. Without `--env`, the standard chain as it is.
    pub async fn aws(&self, region: Option<&str>) -> crate::Result<crate::aws::Aws> {
        let environment = self.config.environment.as_ref();
        let role = environment.and_then(|e| {
            e.role_arn().map(|arn| crate::aws::AssumedRole {
                arn,
                environment: &e.name,
            })
        });
        crate::aws::Aws::load_as(region.or(self.region()), role.as_ref()).await
    }

    /// Where this target's engine reports (the one sink of `crate::deploy::progress`).
    pub fn progress(&self) -> crate::deploy::progress::Progress<'a> {
        crate::deploy::progress::Progress::console(self.target_name)
    }

    /// A usage error unless the target is of `kind`: the command works only on that kind.
    pub fn require_kind(&self, kind: TargetKind, command: &str) -> crate::Result<()> {
        if self.target.kind == kind {
            return Ok(());
        }
        Err(crate::Error::Usage(format!(
            "{command} works on {} targets, and `{}` is {}",
            kind.as_str(),
            self.target_name,
            self.target.kind.as_str()
        )))
    }

    /// The working tree, or an error naming why a bare clone cannot deploy.
    pub fn require_workdir(&self) -> crate::Result<&Path> {
        self.workdir.ok_or_else(|| crate::Error::Deploy {
            target: self.target_name.to_owned(),
            message: "a deployment needs a working tree, and this repository is bare".into(),
        })
    }
}

/// A usage error naming the targets there are.
pub fn unknown_target(config: &Config, name: &str) -> crate::Error {
    let names: Vec<&str> = config.targets.keys().map(String::as_str).collect();
    crate::Error::Usage(format!(
        "no target is named `{}` (the configuration has: {})",
        crate::text::one_line(name),
        names.join(", ")
    ))
}
