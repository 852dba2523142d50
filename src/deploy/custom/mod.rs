//! The engine of a `custom` target: routing only. quest-changes reports the target and the
//! pipeline decides what to run, so it has no steps, no deployment, no deployed commit and no
//! part of the pull request comment beyond the table.

use std::path::Path;

use git2::Oid;

use crate::config::Target;
use crate::deploy::context::Context;
use crate::deploy::engine::{DeployedCommit, Options};
use crate::detect::plan::Step;
use crate::error::{Error, Result};
use crate::output::comment::Detail;

/// The `custom` engine.
#[derive(Debug)]
pub struct Engine;

impl crate::deploy::engine::Engine for Engine {
    fn steps(&self, _name: &str, _target: &Target, _head: Oid) -> Vec<Step> {
        Vec::new()
    }

    fn reads_checkout(&self) -> bool {
        false
    }

    fn pipeline_jobs(&self) -> &'static str {
        "the pipeline's own jobs"
    }

    fn deploy(&self, ctx: &Context<'_>, _options: &Options) -> Result<()> {
        Err(Error::Deploy {
            target: ctx.target_name.to_owned(),
            message: "a custom target has no deployment of its own; the pipeline runs it".into(),
        })
    }

    fn deployed_commit(&self, _ctx: &Context<'_>) -> Result<DeployedCommit> {
        Ok(DeployedCommit::NotDeployed)
    }

    fn comment_detail(
        &self,
        _name: &str,
        _target: &Target,
        _head: Oid,
        _plan_dir: Option<&Path>,
    ) -> Result<Option<Detail>> {
        Ok(None)
    }
}
