//! `deploy <target>` across kinds: what holds for every engine before one starts. A target the
//! range did not change deploys nothing (and says so) unless forced; a deployment that reads
//! the working tree needs it at the head, unchanged; a deployment into an environment comes
//! from one of its branches (`branch`). Then the target's engine runs.

use crate::deploy::context::Context;
use crate::deploy::engine::{engine, Options};
use crate::detect::report::Report;
use crate::error::{Error, Result};
use crate::text::short;

/// Deploys `ctx`'s target, whose routing `report` holds; `force` deploys an unchanged one.
pub fn deploy(ctx: &Context<'_>, report: &Report, options: &Options, force: bool) -> Result<()> {
    let engine = engine(ctx.target.kind);
    if let Some(environment) = &ctx.config.environment {
        ctx.progress()
            .say(&format!("environment {}", environment.describe()));
        let branch = crate::deploy::branch::current(options.branch.as_deref(), ctx.env, ctx.repo);
        crate::deploy::branch::check_environment(
            ctx.target_name,
            environment,
            branch.as_deref(),
            engine.writes_nothing(options),
        )?;
    }
    let routed = report.routing.get(ctx.target_name);
    let changed = routed.is_some_and(|r| r.changed);
    if !changed && !force {
        // Under --since deployed the target's own base decided, not the pushed one.
        let base = match routed.and_then(|r| r.since.as_ref()) {
            Some(since) => since.commit,
            None => report.range.base,
        };
        let range = match base {
            Some(base) => format!("{}..{}", short(base), short(report.range.head)),
            None => short(report.range.head),
        };
        ctx.progress().say(&format!(
            "the range {range} did not change this target, so there is nothing to deploy (--force deploys anyway)"
        ));
        return Ok(());
    }
    if !ctx.dry_run && engine.reads_checkout() {
        require_clean_checkout(ctx.repo, ctx.head, ctx.target_name)?;
    }
    engine.deploy(ctx, options)
}

/// A deployment builds and plans from the working tree but labels what it makes with the head
/// commit: the two must be the same, so the checkout must be at the head with no change to a
/// tracked file. (Untracked files, such as the plan directory, do not count.)
fn require_clean_checkout(repo: &git2::Repository, head: git2::Oid, target: &str) -> Result<()> {
    if repo.workdir().is_none() {
        return Ok(());
    }
    let refuse = |message: String| Error::Deploy {
        target: target.to_owned(),
        message,
    };
    let checked_out = crate::git::checked_out_commit(repo);
    if checked_out != Some(head) {
        return Err(refuse(format!(
            "the working tree is at {}, not at {}, the head being deployed; check that commit out first (builds and plans read the working tree)",
            checked_out.map_or("no commit".to_owned(), short),
            short(head)
        )));
    }
    if let Some(path) = crate::git::changed_tracked_file(repo)? {
        return Err(refuse(format!(
            "the working tree has uncommitted changes to tracked files ({} and maybe others); a deployment builds and plans only what is committed",
            path.escaped()
        )));
    }
    Ok(())
}
