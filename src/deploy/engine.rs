//! The seam between the commands and the deployment engines: one [`Engine`] per target kind,
//! found through [`engine`], the only place that maps a kind to its engine.
//!
//! An engine owns everything its kind does: the steps that `plan` and `--dry-run` print and
//! `deploy` runs (one list for all three), the deployment itself, the commit deployed now (for
//! `--since deployed`) and its part of the pull request comment. Adding a kind is one folder
//! under `deploy/` and one line in [`engine`]; no command changes.

use std::path::{Path, PathBuf};

use git2::Oid;

use crate::config::{Target, TargetKind};
use crate::deploy::context::Context;
use crate::detect::plan::Step;
use crate::error::Result;
use crate::output::comment::Detail;

/// The switches of `deploy`; each engine reads those that concern it (today only a terraform
/// target reads any).
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

/// What an engine says a target runs now, for `--since deployed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeployedCommit {
    /// The kind deploys nothing itself: the target keeps the pushed range, and nothing is said.
    NotDeployed,
    /// The target lacks the settings that say where it is deployed: it keeps the pushed range,
    /// with a note.
    NotConfigured,
    /// Nothing deployed by quest-changes yet.
    Nothing,
    /// The full SHA of the commit deployed now, and where it was read, in a few words.
    Commit { sha: String, reason: &'static str },
}

/// What an engine knows of the deployment running now besides its commit, for `status`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeploymentState {
    /// The state of the newest rollout, in the service's own words (ECS: `COMPLETED`,
    /// `IN_PROGRESS`, `FAILED`); `None` where the kind has no rollout or cannot say.
    pub rollout: Option<String>,
    /// When what runs now was deployed, RFC 3339 in UTC; `None` where the kind does not record
    /// it (`status` then shows the deployed commit's committer date, and says so).
    pub deployed_at: Option<String>,
}

/// One kind of deployment.
pub trait Engine: Sync {
    /// The steps of target `name` at commit `head`, in the order the deployment runs them:
    /// what `plan` and `--dry-run` print, and what `deploy` runs.
    fn steps(&self, name: &str, target: &Target, head: Oid) -> Vec<Step>;

    /// Whether a deployment builds or plans from the working tree, which must then be at the
    /// head with no change to a tracked file.
    fn reads_checkout(&self) -> bool {
        true
    }

    /// Whether a deployment with `options` writes nothing where the target runs (a terraform
    /// `--plan-only`): such a run may go into an environment from any branch.
    fn writes_nothing(&self, _options: &Options) -> bool {
        false
    }

    /// `deploy <target>`, or with `ctx.dry_run` its steps with their values.
    fn deploy(&self, ctx: &Context<'_>, options: &Options) -> Result<()>;

    /// `--since deployed`: the commit the target runs now.
    fn deployed_commit(&self, ctx: &Context<'_>) -> Result<DeployedCommit>;

    /// Whether each environment has its own part in the pull request comment (a plan saved per
    /// environment, in a folder of its name under the plan directory). Default: one part for
    /// every environment.
    fn comments_per_environment(&self) -> bool {
        false
    }

    /// `status`: the rollout state and deployment time of what the target runs now, where the
    /// kind knows them. Default: neither.
    fn deployment_state(&self, _ctx: &Context<'_>) -> Result<DeploymentState> {
        Ok(DeploymentState::default())
    }

    /// The CI jobs that deploy a target of this kind (the orb's job names), for the pull
    /// request comment's chart.
    fn pipeline_jobs(&self) -> &'static str;

    /// The target's part of the pull request comment at commit `head`, if it has one;
    /// `plan_dir` is where a plan job saved its summaries.
    fn comment_detail(
        &self,
        name: &str,
        target: &Target,
        head: Oid,
        plan_dir: Option<&Path>,
    ) -> Result<Option<Detail>>;
}

/// The engine of `kind`: the registry of engines.
pub fn engine(kind: TargetKind) -> &'static dyn Engine {
    match kind {
        TargetKind::EcsService => &crate::deploy::ecs::Engine,
        TargetKind::Terraform => &crate::deploy::terraform::Engine,
        TargetKind::Custom => &crate::deploy::custom::Engine,
    }
}
