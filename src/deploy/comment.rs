//! Each changed target's part of the pull request comment, as its engine gives it (the image
//! of a service, the saved plan summary of a root), and what merging does to each declared
//! environment. `output::comment` renders them.
//!
//! The environments' part never fails the comment: an environment whose deployed commits cannot
//! be read (or are not asked for) is said to stay as it is, without a commit.

use std::path::Path;

use git2::Repository;

use crate::config::Config;
use crate::deploy::context::Context;
use crate::deploy::engine::{engine, DeployedCommit};
use crate::detect::range::Environment;
use crate::detect::report::Report;
use crate::error::Result;
use crate::output::comment::{Detail, EnvironmentNote, Environments, MergeEffect};

/// The details of every changed target, in configuration order; `plan_dir` is where plan jobs
/// saved their summaries.
pub fn details(config: &Config, report: &Report, plan_dir: Option<&Path>) -> Result<Vec<Detail>> {
    let mut details = Vec::new();
    for name in report
        .routing
        .iter()
        .filter(|(_, r)| r.changed)
        .map(|(name, _)| name)
    {
        let Some(target) = config.targets.get(name) else {
            continue;
        };
        let engine = engine(target.kind);
        // Without --env, a kind that plans per environment shows each environment's plan,
        // read from that environment's folder and resolved for it.
        if engine.comments_per_environment()
            && config.environment.is_none()
            && !config.environments.is_empty()
        {
            for env in config.environments.keys() {
                let resolved = config.for_environment(env)?;
                let Some(target) = resolved.targets.get(name) else {
                    continue;
                };
                let dir = plan_dir.map(|d| d.join(env));
                if let Some(detail) =
                    engine.comment_detail(name, target, report.range.head, dir.as_deref())?
                {
                    details.push(detail.in_environment(env));
                }
            }
            continue;
        }
        if let Some(detail) = engine.comment_detail(name, target, report.range.head, plan_dir)? {
            details.push(detail);
        }
    }
    Ok(details)
}

/// Where to read what each environment runs, for the environments' part: the job's own
/// credentials, through each target's engine.
#[derive(Clone, Copy)]
pub struct Reader<'a> {
    pub repo: &'a Repository,
    pub env: &'a Environment,
    pub verbose: bool,
}

impl std::fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").finish_non_exhaustive()
    }
}

/// What merging into `base_branch` does to each environment of `config`, or `None` when it
/// declares none. The changed targets that have a deployment (steps) deploy to every
/// environment that deploys from the base branch; the others stay as they are, and with
/// `reader` each says the commit those targets run there. A read that fails goes to `notes`
/// and leaves that environment without a commit.
pub fn environments(
    config: &Config,
    report: &Report,
    base_branch: &str,
    assumed: bool,
    reader: Option<Reader<'_>>,
    notes: &mut Vec<String>,
) -> Option<Environments> {
    if config.environments.is_empty() {
        return None;
    }
    let head = report.range.head;
    let deploying: Vec<&str> = report
        .routing
        .iter()
        .filter(|(_, r)| r.changed)
        .filter(|(name, _)| {
            config
                .targets
                .get(name.as_str())
                .is_some_and(|t| !engine(t.kind).steps(name, t, head).is_empty())
        })
        .map(|(name, _)| name.as_str())
        .collect();
    let mut out = Vec::new();
    for (name, environment) in &config.environments {
        let effect = if environment.deploys_from(base_branch) {
            MergeEffect::Deploys(deploying.iter().map(|t| (*t).to_owned()).collect())
        } else {
            let running = match reader {
                Some(reader) => {
                    running(config, name, &deploying, reader, head).unwrap_or_else(|e| {
                        notes.push(format!(
                            "the comment says {name} stays as it is, without its commit: {e}"
                        ));
                        Vec::new()
                    })
                }
                None => Vec::new(),
            };
            MergeEffect::Stays(running)
        };
        out.push(EnvironmentNote {
            name: name.clone(),
            effect,
        });
    }
    Some(Environments {
        base_branch: base_branch.to_owned(),
        assumed,
        environments: out,
    })
}

/// The commit each of `targets` runs in environment `name`; empty when one of them runs
/// nothing known (the environment's commit cannot then be named as one).
fn running(
    config: &Config,
    name: &str,
    targets: &[&str],
    reader: Reader<'_>,
    head: git2::Oid,
) -> Result<Vec<(String, String)>> {
    let config = config.for_environment(name)?;
    let mut out = Vec::new();
    for target in targets {
        let ctx = Context::of(
            &config,
            target,
            reader.repo,
            reader.env,
            head,
            false,
            reader.verbose,
        )?;
        match engine(ctx.target.kind).deployed_commit(&ctx)? {
            DeployedCommit::Commit { sha, .. } => out.push(((*target).to_owned(), sha)),
            DeployedCommit::NotDeployed => {}
            DeployedCommit::NotConfigured | DeployedCommit::Nothing => return Ok(Vec::new()),
        }
    }
    Ok(out)
}
