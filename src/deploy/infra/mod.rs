//! The infrastructure deployment of a `terraform` target (issue #6): state bootstrap, init,
//! plan, summary, apply of the saved plan, the marker of the last apply, and outputs.

use std::path::PathBuf;

use crate::config::Config;
use crate::deploy::context::Context;
use crate::error::{Error, Result};

/// The switches of `deploy` that only a terraform target reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Stop after the plan, whatever the branch.
    pub plan_only: bool,
    /// Apply even on a branch not in `apply_on`.
    pub apply: bool,
    /// Where plans and fingerprints are kept.
    pub plan_dir: Option<PathBuf>,
    /// Plan-only: report changes as exit code 10.
    pub detailed_exitcode: bool,
    /// The branch being deployed, for `apply_on`.
    pub branch: Option<String>,
}

/// `deploy <target>` for a `terraform` target.
pub fn deploy(ctx: &Context<'_>, _options: &Options) -> Result<()> {
    Err(not_built(ctx.target_name))
}

/// `bootstrap`: create or check the state bucket of `target`, or of every terraform target with
/// a `state` section.
pub fn bootstrap(
    _config: &Config,
    target: Option<&str>,
    _fix: bool,
    _dry_run: bool,
    _verbose: bool,
) -> Result<()> {
    Err(not_built(target.unwrap_or("bootstrap")))
}

/// `outputs <target>`: `terraform output -json` of the root, as JSON text.
pub fn outputs(ctx: &Context<'_>) -> Result<String> {
    Err(not_built(ctx.target_name))
}

/// `--since deployed`: the commit of the root's last successful apply, from the marker object.
pub fn deployed_commit(ctx: &Context<'_>) -> Result<Option<String>> {
    Err(not_built(ctx.target_name))
}

fn not_built(target: &str) -> Error {
    Error::Deploy {
        target: target.to_owned(),
        message: "the infrastructure deployment is not built yet".into(),
    }
}
