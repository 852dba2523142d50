//! Steps 6 to 9 of the service deployment (the engine's `RegisterTaskDefinition`,
//! `UpdateService` and `WaitForRollout`), in order: the task definition revision pinned to the
//! image (`task_definition`), one `UpdateService`, the watch (`watch`), and on failure the
//! report of why and the rollback (`rollback`); the `rollback` command; and the commit the
//! service runs now. All ECS calls go through `ecs_api`. This file only orders the steps.
//!
//! Under `--dry-run` only `DescribeServices` and `DescribeTaskDefinition` are called (read
//! access), and the steps are printed on stdout with the diff of the revision.

use crate::aws::Aws;
use crate::config::{RolloutSettings, ServiceDeploy};
use crate::deploy::context::Context;
use crate::error::{Error, Result};

use super::ecs_api::{family_revision, Ecs};
use super::rollback::{previous_revision, roll_back};
use super::task_definition::{diff, Revision, COMMIT_TAG, ROLLOUT_FAILED, ROLLOUT_TAG};
use super::watch::{human, watch, Ending, Printer, Watcher};
use super::{EcsNames, Image};

/// Registers a revision pinned to `image`, updates the service once, watches the rollout,
/// and rolls back when it fails ([`Error::RolledBack`], or [`Error::RollbackFailed`]).
pub async fn deploy(
    ctx: &Context<'_>,
    aws: &Aws,
    deploy: &ServiceDeploy,
    names: &EcsNames,
    image: &Image,
) -> Result<()> {
    if ctx.dry_run {
        let progress = ctx.progress();
        for line in preview(ctx, aws, deploy, names, image).await? {
            progress.output_line(&line);
        }
        return Ok(());
    }
    let ecs = Ecs::new(aws, names);
    let settings = &deploy.rollout;
    let mut printer = Printer::new(ctx.target_name);
    let (running_arn, running, service) = running_with_service(ctx, &ecs).await?;
    let next = running
        .with_image(&names.container, image)
        .map_err(|message| failure(ctx, message))?;
    if next == running {
        // Nothing to register: the service already runs this image. That is a success only
        // if that revision's rollout finished (a cancelled job leaves it IN_PROGRESS, a failed
        // one leaves it FAILED or marked) and every task runs.
        let unfinished = match service.primary_of(&running_arn) {
            Some(d) if d.rollout_state.as_deref().is_some_and(|s| s != "COMPLETED") => {
                Some(format!(
                    "its deployment {} is {} (running {}/{})",
                    d.id,
                    d.rollout_state.as_deref().unwrap_or_default(),
                    d.running,
                    d.desired
                ))
            }
            Some(d) if d.running != d.desired => {
                Some(format!("only {} of {} tasks run", d.running, d.desired))
            }
            _ if running.tag(ROLLOUT_TAG) == Some(ROLLOUT_FAILED) => {
                Some("its rollout failed before".to_owned())
            }
            _ => None,
        };
        if let Some(why) = unfinished {
            return Err(failure(
                ctx,
                format!(
                    "the service already runs {} with image {}, but {why}; this run cannot call that deployed (see the service's events, or run `quest-changes rollback`)",
                    family_revision(&running_arn),
                    image.pinned()
                ),
            ));
        }
        printer.line(&format!(
            "{} already runs {}; nothing to register, the service is not updated",
            family_revision(&running_arn),
            image.pinned()
        ));
        return Ok(());
    }
    let new_arn = ecs.register(&next).await?;
    printer.line(&format!(
        "registered {} with image {}",
        family_revision(&new_arn),
        image.pinned()
    ));
    let updated = ecs.update_service(&new_arn).await?;
    let deployment = updated
        .primary_of(&new_arn)
        .map(|d| d.id.clone())
        .ok_or_else(|| {
            failure(
                ctx,
                format!(
                    "the update to {} started no deployment of it",
                    family_revision(&new_arn)
                ),
            )
        })?;
    printer.line(&format!(
        "updated service `{}` from {} to {}: deployment {deployment}",
        names.service,
        family_revision(&running_arn),
        family_revision(&new_arn)
    ));
    let watcher = Watcher::new(&deployment, &updated);
    let reason = match watch(&ecs, &mut printer, watcher, settings.poll, settings.timeout).await? {
        Ending::Completed => {
            printer.line(&format!(
                "deployed {}: deployment {deployment} completed",
                family_revision(&new_arn)
            ));
            return Ok(());
        }
        Ending::Replaced => {
            return Err(failure(
                ctx,
                format!("another update of the service replaced deployment {deployment} before it completed, so it is not rolled back"),
            ))
        }
        Ending::Failed { reason } | Ending::TimedOut { reason } => reason,
    };
    recover(
        ctx,
        &ecs,
        &mut printer,
        settings,
        &deployment,
        &new_arn,
        &running_arn,
        reason,
    )
    .await
}

/// After a failed rollout: say why, mark the failed revision, roll back to the previous one.
#[allow(clippy::too_many_arguments)]
async fn recover(
    ctx: &Context<'_>,
    ecs: &Ecs<'_>,
    printer: &mut Printer,
    settings: &RolloutSettings,
    deployment: &str,
    failed_arn: &str,
    previous_arn: &str,
    mut reason: String,
) -> Result<()> {
    printer.line(&format!("the rollout failed: {reason}"));
    match ecs.stopped_reasons(deployment, 5).await {
        Ok(stopped) => {
            for why in &stopped {
                printer.line(&format!("stopped task: {why}"));
            }
            if let Some(first) = stopped.first() {
                reason.push_str(&format!("; a stopped task says: {first}"));
            }
        }
        Err(e) => printer.line(&format!("warning: {e}")),
    }
    // The mark lets `rollback` skip this revision; failing to write it does not stop the
    // rollback.
    if let Err(e) = ecs.tag(failed_arn, ROLLOUT_TAG, ROLLOUT_FAILED).await {
        printer.line(&format!("warning: {e}"));
    }
    let previous = family_revision(previous_arn).to_owned();
    let rollback =
        match roll_back(ecs, printer, previous_arn, settings.poll, settings.timeout).await {
            Ok(Ok(())) => {
                printer.line(&format!("rolled back to {previous}"));
                return Err(Error::RolledBack {
                    target: ctx.target_name.to_owned(),
                    reason,
                    previous,
                });
            }
            Ok(Err(why)) => why,
            Err(e) => e.to_string(),
        };
    Err(Error::RollbackFailed {
        target: ctx.target_name.to_owned(),
        reason,
        previous,
        rollback,
    })
}

/// What `--dry-run` prints: each step with its values and the revision's diff. Reads only;
/// when the running task definition cannot be read, says so and what it would have done.
pub async fn preview(
    ctx: &Context<'_>,
    aws: &Aws,
    deploy: &ServiceDeploy,
    names: &EcsNames,
    image: &Image,
) -> Result<Vec<String>> {
    let ecs = Ecs::new(aws, names);
    let target = ctx.target_name;
    let settings = &deploy.rollout;
    let (running_arn, running) = match running(ctx, &ecs).await {
        Ok(found) => found,
        Err(e) => {
            return Ok(vec![
                format!("{target}: dry run: could not resolve the running task definition: {e}"),
                format!(
                    "{target}: dry run: would register a revision of it with container `{}` on {}, update service `{}` in cluster `{}`, and watch the rollout every {} for up to {}",
                    names.container,
                    image.pinned(),
                    names.service,
                    names.cluster,
                    human(settings.poll),
                    human(settings.timeout)
                ),
            ])
        }
    };
    let next = running
        .with_image(&names.container, image)
        .map_err(|message| failure(ctx, message))?;
    let running_name = family_revision(&running_arn);
    if next == running {
        return Ok(vec![format!(
            "{target}: dry run: {running_name} already runs {}; nothing would be registered and the service would not be updated",
            image.pinned()
        )]);
    }
    let mut lines = vec![format!(
        "{target}: dry run: would register a revision of family `{}` copied from {running_name}, changed so:",
        next.family
    )];
    lines.extend(diff(&running, &next));
    lines.push(format!(
        "{target}: dry run: would update service `{}` in cluster `{}` from {running_name} to that revision",
        names.service, names.cluster
    ));
    lines.push(format!(
        "{target}: dry run: would watch the rollout every {} for up to {}, and roll back to {running_name} if it fails",
        human(settings.poll),
        human(settings.timeout)
    ));
    Ok(lines)
}

/// Rolls the service back to the revision before the running one that last completed (see
/// `rollback::previous_revision` for the rule) and watches that rollout.
pub async fn rollback(
    ctx: &Context<'_>,
    aws: &Aws,
    deploy: &ServiceDeploy,
    names: &EcsNames,
) -> Result<()> {
    let ecs = Ecs::new(aws, names);
    let settings = &deploy.rollout;
    let mut printer = Printer::new(ctx.target_name);
    let service = ecs.service().await?;
    let running = service
        .task_definition
        .clone()
        .ok_or_else(|| failure(ctx, "the service runs no task definition".into()))?;
    let Some(to) = previous_revision(&ecs, &running).await? else {
        return Err(failure(
            ctx,
            format!(
                "there is no earlier ACTIVE revision than {} that did not fail, so there is nothing to roll back to",
                family_revision(&running)
            ),
        ));
    };
    if ctx.dry_run {
        ctx.progress().output(&format!(
            "dry run: would update service `{}` in cluster `{}` from {} back to {}, and watch the rollout every {} for up to {}",
            names.service,
            names.cluster,
            family_revision(&running),
            family_revision(&to),
            human(settings.poll),
            human(settings.timeout)
        ));
        return Ok(());
    }
    match roll_back(&ecs, &mut printer, &to, settings.poll, settings.timeout).await? {
        Ok(()) => {
            printer.line(&format!(
                "rolled back from {} to {}",
                family_revision(&running),
                family_revision(&to)
            ));
            Ok(())
        }
        Err(why) => Err(failure(
            ctx,
            format!(
                "the rollback from {} to {} did not complete ({why}); the service needs attention",
                family_revision(&running),
                family_revision(&to)
            ),
        )),
    }
}

/// The commit the service runs now: the [`COMMIT_TAG`] of the revision of its completed
/// deployment (else of the service's revision), or the commit label of the named container;
/// `None` when neither holds a full SHA.
pub async fn deployed_commit(
    _ctx: &Context<'_>,
    aws: &Aws,
    names: &EcsNames,
) -> Result<Option<String>> {
    let ecs = Ecs::new(aws, names);
    let service = ecs.service().await?;
    let arn = service
        .deployments
        .iter()
        .find(|d| d.rollout_state.as_deref() == Some("COMPLETED"))
        .map(|d| d.task_definition.clone())
        .or(service.task_definition);
    let Some(arn) = arn else {
        return Ok(None);
    };
    let (definition, tags) = ecs.task_definition(&arn).await?;
    let Some(revision) = Revision::from_running(&definition, &tags) else {
        return Ok(None);
    };
    Ok(revision
        .tag(COMMIT_TAG)
        .or_else(|| revision.label(&names.container))
        .filter(|sha| is_full_sha(sha))
        .map(str::to_ascii_lowercase))
}

/// `status`: the rollout state of the service's PRIMARY deployment and when it last changed.
pub async fn deployment_state(
    aws: &Aws,
    names: &EcsNames,
) -> Result<crate::deploy::engine::DeploymentState> {
    let service = Ecs::new(aws, names).service().await?;
    let primary = service.deployments.iter().find(|d| d.status == "PRIMARY");
    Ok(crate::deploy::engine::DeploymentState {
        rollout: primary.and_then(|d| d.rollout_state.clone()),
        deployed_at: primary.and_then(|d| d.updated_at).and_then(|at| {
            at.duration_since(std::time::UNIX_EPOCH)
                .ok()
                .map(|d| super::clock::rfc3339(d.as_secs() as i64))
        }),
    })
}

/// The service's running revision: its ARN and its content as a registration.
/// Checks, before anything is built or pushed, that the service runs a task definition with
/// the container the image replaces: a typo in `ecs.container` must not push first.
pub async fn preflight(ctx: &Context<'_>, aws: &Aws, names: &EcsNames) -> Result<()> {
    if ctx.dry_run {
        return Ok(());
    }
    let ecs = Ecs::new(aws, names);
    let (_, running) = running(ctx, &ecs).await?;
    let probe = Image {
        repository_uri: "probe".into(),
        repository: "probe".into(),
        digest: "sha256:0".into(),
        tag: "probe".into(),
    };
    running
        .with_image(&names.container, &probe)
        .map(|_| ())
        .map_err(|message| failure(ctx, message))
}

async fn running(ctx: &Context<'_>, ecs: &Ecs<'_>) -> Result<(String, Revision)> {
    running_with_service(ctx, ecs)
        .await
        .map(|(arn, revision, _)| (arn, revision))
}

/// The running revision, and the service as that one `DescribeServices` saw it.
async fn running_with_service(
    ctx: &Context<'_>,
    ecs: &Ecs<'_>,
) -> Result<(String, Revision, super::ecs_api::ServiceView)> {
    let service = ecs.service().await?;
    let arn = service
        .task_definition
        .clone()
        .ok_or_else(|| failure(ctx, "the service runs no task definition".into()))?;
    let (definition, tags) = ecs.task_definition(&arn).await?;
    let revision = Revision::from_running(&definition, &tags).ok_or_else(|| {
        failure(
            ctx,
            format!(
                "the task definition {} has no family",
                family_revision(&arn)
            ),
        )
    })?;
    Ok((arn, revision, service))
}

fn failure(ctx: &Context<'_>, message: String) -> Error {
    Error::Deploy {
        target: ctx.target_name.to_owned(),
        message,
    }
}

/// A SHA-1 or SHA-256 object name in hex.
fn is_full_sha(text: &str) -> bool {
    (text.len() == 40 || text.len() == 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_full_shas_are_commits() {
        assert!(is_full_sha("0123456789abcdef0123456789abcdef01234567"));
        assert!(!is_full_sha("0123456"));
        assert!(!is_full_sha("latest"));
    }
}
