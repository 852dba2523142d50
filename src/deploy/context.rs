//! What every deployment engine runs from: the target, the commit and the run's switches.

use std::path::Path;

use git2::{Oid, Repository};

use crate::config::{Config, Target};
use crate::range::Environment;

/// One target's deployment, resolved by `command` before an engine starts.
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

impl Context<'_> {
    /// The working tree, or an error naming why a bare clone cannot deploy.
    pub fn require_workdir(&self) -> crate::Result<&Path> {
        self.workdir.ok_or_else(|| crate::Error::Deploy {
            target: self.target_name.to_owned(),
            message: "a deployment needs a working tree, and this repository is bare".into(),
        })
    }
}
