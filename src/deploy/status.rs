//! What runs where, across kinds: for each target with a deployment and each environment, the
//! commit its engine says it runs, when, the rollout state where the engine knows it, how far
//! behind the head that commit is, and the changed paths its next deployment would take
//! (routing from the deployed commit to the head, as `--since deployed` does). `output::status`
//! renders the result.
//!
//! One cell's failure (an environment that cannot be reached) is that cell's answer and never
//! hides the others: only a configuration error stops the whole. Reads AWS and git; prints and
//! writes nothing.

use std::collections::HashMap;

use git2::{Oid, Repository};

use crate::analysis::root_cache::RootCache;
use crate::config::{Config, TargetKind};
use crate::deploy::context::Context;
use crate::deploy::engine::{engine, DeployedCommit};
use crate::detect::range::Request;
use crate::detect::route::Routing;
use crate::error::Result;
use crate::path::RepoPath;

/// The name of the one environment of a configuration that declares none: every target's own
/// settings.
pub const DEFAULT_ENVIRONMENT: &str = "default";

/// What runs where.
#[derive(Debug, Clone)]
pub struct Status {
    /// The commit the deployed ones are compared with.
    pub head: Oid,
    /// The environments shown, in the configuration's order ([`DEFAULT_ENVIRONMENT`] when it
    /// declares none).
    pub environments: Vec<String>,
    /// The targets with a deployment, in the configuration's order.
    pub targets: Vec<TargetStatus>,
}

/// One target in every environment shown.
#[derive(Debug, Clone)]
pub struct TargetStatus {
    pub name: String,
    pub kind: TargetKind,
    /// One cell per environment, in the order of [`Status::environments`].
    pub cells: Vec<Cell>,
}

/// One target in one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// The target lacks the settings that say where it is deployed there.
    NotConfigured,
    /// Nothing deployed by quest-changes yet.
    Nothing,
    /// The deployed commit, given as text, is not in this repository's history.
    UnknownCommit(String),
    Deployed(Deployed),
    /// Reading what runs there failed: the error, in one line.
    Failed(String),
}

/// A deployed commit that the repository has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    pub commit: Oid,
    /// The commit's subject as written (renderers make it safe for their format).
    pub subject: String,
    /// When it was deployed, RFC 3339 in UTC.
    pub deployed_at: String,
    /// Where [`Deployed::deployed_at`] comes from.
    pub time_source: TimeSource,
    /// The rollout state, where the engine knows one.
    pub rollout: Option<String>,
    /// Commits the head has that the deployed commit lacks.
    pub behind: usize,
    /// Commits the deployed commit has that the head lacks (deployed from another branch).
    pub ahead: usize,
    /// The changed paths the target's next deployment would take, in diff order.
    pub next: Vec<RepoPath>,
}

/// Where a deployment time comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSource {
    /// The engine recorded it (a terraform root's marker).
    Deployment,
    /// The engine does not record it: the deployed commit's committer date stands in.
    Commit,
}

impl TimeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeSource::Deployment => "deployment",
            TimeSource::Commit => "commit",
        }
    }
}

impl Status {
    /// The cells that failed: `target in environment`, and the error.
    pub fn failures(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        for target in &self.targets {
            for (cell, environment) in target.cells.iter().zip(&self.environments) {
                if let Cell::Failed(error) = cell {
                    out.push((format!("{} in {environment}", target.name), error.as_str()));
                }
            }
        }
        out
    }
}

/// Where `status` looks, and with what.
pub struct Look<'a> {
    pub repo: &'a Repository,
    pub env: &'a crate::detect::range::Environment,
    /// For finding deployed commits (deepening a shallow clone as the range does).
    pub request: &'a Request,
    pub head: Oid,
    pub verbose: bool,
}

impl std::fmt::Debug for Look<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Look")
            .field("head", &self.head)
            .finish_non_exhaustive()
    }
}

/// What runs where: every target with a deployment of `config` (as found, before `--env`) in
/// each declared environment, or only in `only`. An unknown `only` is a usage error.
pub fn status(
    config: &Config,
    only: Option<&str>,
    look: &Look<'_>,
    cache: &mut RootCache,
    notes: &mut Vec<String>,
) -> Result<Status> {
    let configs: Vec<(String, Config)> = match only {
        Some(name) => vec![(name.to_owned(), config.for_environment(name)?)],
        None if config.environments.is_empty() => {
            vec![(DEFAULT_ENVIRONMENT.to_owned(), config.clone())]
        }
        None => config
            .environments
            .keys()
            .map(|name| Ok((name.clone(), config.for_environment(name)?)))
            .collect::<Result<_>>()?,
    };
    let mut targets = Vec::new();
    let mut routings = Routings::default();
    let mut survey = Survey {
        look,
        cache,
        notes,
        routings: &mut routings,
    };
    for (name, target) in &config.targets {
        let mut cells = Vec::new();
        for (at, (_, config)) in configs.iter().enumerate() {
            let ctx = Context::of(
                config,
                name,
                look.repo,
                look.env,
                look.head,
                false,
                look.verbose,
            )?;
            cells.push(survey.cell(at, &ctx));
        }
        // A kind that deploys nothing itself (custom) has no row.
        let cells: Vec<Cell> = cells.into_iter().flatten().collect();
        if cells.len() == configs.len() {
            targets.push(TargetStatus {
                name: name.clone(),
                kind: target.kind,
                cells,
            });
        }
    }
    Ok(Status {
        head: look.head,
        environments: configs.into_iter().map(|(name, _)| name).collect(),
        targets,
    })
}

/// What reads the cells, with what they share (the deployed commits found, the routings made).
struct Survey<'a, 'l> {
    look: &'a Look<'l>,
    cache: &'a mut RootCache,
    notes: &'a mut Vec<String>,
    routings: &'a mut Routings,
}

impl Survey<'_, '_> {
    /// One target in environment `at` (whose configuration is `ctx.config`); `None` for a kind
    /// with no deployment.
    fn cell(&mut self, at: usize, ctx: &Context<'_>) -> Option<Cell> {
        let failed = |e: crate::Error| Cell::Failed(crate::text::one_line(&e.to_string()));
        let sha = match engine(ctx.target.kind).deployed_commit(ctx) {
            Ok(DeployedCommit::NotDeployed) => return None,
            Ok(DeployedCommit::NotConfigured) => return Some(Cell::NotConfigured),
            Ok(DeployedCommit::Nothing) => return Some(Cell::Nothing),
            Ok(DeployedCommit::Commit { sha, .. }) => sha,
            Err(e) => return Some(failed(e)),
        };
        let found =
            crate::detect::range::find_commit(self.look.repo, self.look.request, &sha, self.notes);
        let commit = match found {
            Ok(Some(oid)) => oid,
            Ok(None) => return Some(Cell::UnknownCommit(sha)),
            Err(e) => return Some(failed(e)),
        };
        Some(self.deployed(at, ctx, commit).unwrap_or_else(failed))
    }

    /// What `status` shows of the deployed `commit`.
    fn deployed(&mut self, at: usize, ctx: &Context<'_>, commit: Oid) -> Result<Cell> {
        let look = self.look;
        let state = engine(ctx.target.kind).deployment_state(ctx)?;
        let line = crate::git::commit_line(look.repo, commit)?;
        let (behind, ahead) = crate::git::ahead_behind(look.repo, look.head, commit)?;
        let next = self
            .routings
            .get(at, ctx.config, look, commit, self.cache, self.notes)?
            .get(ctx.target_name)
            .map(|r| r.files.clone())
            .unwrap_or_default();
        let (deployed_at, time_source) = match state.deployed_at {
            Some(at) => (at, TimeSource::Deployment),
            None => (line.committed_at, TimeSource::Commit),
        };
        Ok(Cell::Deployed(Deployed {
            commit,
            subject: line.subject,
            deployed_at,
            time_source,
            rollout: state.rollout,
            behind,
            ahead,
            next,
        }))
    }
}

/// Routings already made, by environment (its index) and deployed commit: each environment
/// routes with its own settings (a terraform target's root may differ), and every target of
/// one environment deployed at the same commit shares one routing.
#[derive(Default)]
struct Routings(HashMap<(usize, Oid), Routing>);

impl Routings {
    /// The routing from `base` to the head under `config`, the settings of environment `at`.
    fn get(
        &mut self,
        at: usize,
        config: &Config,
        look: &Look<'_>,
        base: Oid,
        cache: &mut RootCache,
        notes: &mut Vec<String>,
    ) -> Result<&Routing> {
        use std::collections::hash_map::Entry;
        Ok(match self.0.entry((at, base)) {
            Entry::Occupied(slot) => slot.into_mut(),
            Entry::Vacant(slot) => slot.insert(crate::detect::report::routing_since(
                look.repo, config, base, look.head, cache, notes,
            )?),
        })
    }
}
