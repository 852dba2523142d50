//! `promote <target> --from A --to B`: the image environment A runs for the commit, rolled out
//! to environment B without a build. In order:
//!
//! 1. **What A runs** (A's credentials, reads only): the revision of A's service, whose
//!    deployment must have completed, must carry the commit (its `quest-changes:commit` tag)
//!    and must pin the container to a digest (`<repository URI>@sha256:...`).
//! 2. **That the digest is the commit's**: in A's ECR repository the digest exists, and the tag
//!    of the commit's full SHA names exactly that digest (a digest the tag does not name, or a
//!    tag moved since, is refused).
//! 3. **The scan gate again**, with B's `scan` settings, on the same digest: findings published
//!    since A's deployment can block it (exit 4) before B changes.
//! 4. **B's rollout**, as a deployment's: a revision copied from B's running one with the
//!    container pinned to the digest, one `UpdateService`, the watch, and the rollback of B
//!    alone when it fails. A's service is never changed.
//!
//! 5. **The mark**: the digest gets one more tag, `<B>-<commit>` (a repository's lifecycle
//!    policy can then keep what B runs).
//!
//! The names of both services, when they come from `ecs.from`, are read from each
//! environment's state object: a promotion runs no Terraform (its job needs none installed).
//!
//! A refusal of steps 1 and 2 is [`Error::NotPromotable`] (exit 13). The repository is A's:
//! the one registry every environment pulls from lives in the account that builds (the
//! reference Terraform gives B's account pull access to it), so A's credentials read its tags
//! and scans.

use crate::aws::Aws;
use crate::config::{ServiceDeploy, TargetKind};
use crate::deploy::context::Context;
use crate::error::{Error, Result};

use super::ecr::{Ecr, Retag};
use super::ecs_api::{family_revision, Ecs};
use super::task_definition::{Revision, COMMIT_TAG, ROLLOUT_FAILED, ROLLOUT_TAG};
use super::{read_names, rollout, scan, settings, EcsNames, Image};

/// The `promote` command: `from` and `to` are the same target, resolved for each environment.
pub fn promote(from: &Context<'_>, to: &Context<'_>) -> Result<()> {
    from.require_kind(TargetKind::EcsService, "promote")?;
    let source_deploy = settings(from)?;
    let deploy = settings(to)?;
    let (_, source_names) = read_names(from, source_deploy)?;
    let (_, target_names) = read_names(to, deploy)?;
    let runtime = crate::aws::runtime()?;
    runtime.block_on(async {
        let source = from.aws(None).await?;
        let result = run(from, to, &source, &source_names, deploy, &target_names).await;
        if to.verbose {
            to.progress()
                .say(&format!("{} AWS calls in `{}`", source.calls(), name(from)));
        }
        result
    })
}

async fn run(
    from: &Context<'_>,
    to: &Context<'_>,
    source: &Aws,
    source_names: &EcsNames,
    deploy: &ServiceDeploy,
    target_names: &EcsNames,
) -> Result<()> {
    let image = running_image(from, to, source, source_names)
        .await
        .map_err(|e| with_credentials_hint(from, e))?;
    let progress = to.progress();
    progress.say(&format!(
        "promoting {} (commit {}, running in `{}`) to `{}`: no build",
        image.pinned(),
        crate::text::short_sha(&image.tag),
        name(from),
        name(to)
    ));
    let target = to.aws(None).await?;
    let result = async {
        rollout::preflight(to, &target, target_names).await?;
        scan::gate(to, source, deploy, &image).await?;
        rollout::deploy(to, &target, deploy, target_names, &image).await
    }
    .await;
    if result.is_ok() && !to.dry_run {
        mark_promoted(to, source, &image).await;
    }
    if to.verbose {
        progress.say(&format!("{} AWS calls in `{}`", target.calls(), name(to)));
    }
    result
}

/// Tags the promoted digest `<to>-<commit>` in the repository, so that its lifecycle policy can
/// keep what each environment runs (the reference's keeps the last images tagged `prod-`, which
/// dev's newer pushes cannot expire). The rollout is done: a tag that cannot be written is a
/// warning, not a failure.
async fn mark_promoted(to: &Context<'_>, aws: &Aws, image: &Image) {
    let tag = format!("{}-{}", name(to), image.tag);
    let progress = to.progress();
    match Ecr::new(aws).retag(&image.repository, &image.digest, &tag).await {
        Ok(Retag::Tagged) => progress.say(&format!("tagged {} as {tag}", image.digest)),
        Ok(Retag::Immutable) => progress.warn(&format!(
            "the tag {tag} already names another image in `{}`; it was left as it is",
            crate::text::one_line(&image.repository)
        )),
        Err(e) => progress.warn(&format!(
            "the promoted image was not tagged {tag} ({e}); the repository's lifecycle policy may expire it"
        )),
    }
}

/// The image the source environment runs for the commit, checked to be the commit's.
async fn running_image(
    from: &Context<'_>,
    to: &Context<'_>,
    aws: &Aws,
    names: &EcsNames,
) -> Result<Image> {
    let commit = from.head.to_string();
    let refuse = |reason: String| Error::NotPromotable {
        target: from.target_name.to_owned(),
        commit: crate::text::short_sha(&commit).to_owned(),
        from: name(from).to_owned(),
        to: name(to).to_owned(),
        reason,
    };
    let ecs = Ecs::new(aws, names);
    let service = ecs.service().await?;
    let Some(arn) = service.task_definition.clone() else {
        return Err(refuse(format!(
            "service `{}` runs no task definition",
            crate::text::one_line(&names.service)
        )));
    };
    let revision_name = family_revision(&arn).to_owned();
    if let Some(deployment) = service.primary_of(&arn) {
        if let Some(state) = deployment
            .rollout_state
            .as_deref()
            .filter(|s| *s != "COMPLETED")
        {
            return Err(refuse(format!(
                "its deployment of {revision_name} there is {state}, not COMPLETED"
            )));
        }
    }
    let (definition, tags) = ecs.task_definition(&arn).await?;
    let revision = Revision::from_running(&definition, &tags)
        .ok_or_else(|| refuse(format!("the task definition {revision_name} has no family")))?;
    if revision.tag(ROLLOUT_TAG) == Some(ROLLOUT_FAILED) {
        return Err(refuse(format!(
            "the rollout of {revision_name} failed there"
        )));
    }
    match revision.tag(COMMIT_TAG) {
        Some(running) if running.eq_ignore_ascii_case(&commit) => {}
        Some(running) => {
            return Err(refuse(format!(
                "`{}` runs commit {} ({revision_name}), not this one",
                name(from),
                crate::text::short_sha(&crate::text::one_line(running))
            )))
        }
        None => {
            return Err(refuse(format!(
                "{revision_name} carries no commit (it was not deployed by quest-changes)"
            )))
        }
    }
    let pinned = revision.image_of(&names.container).ok_or_else(|| {
        refuse(format!(
            "{revision_name} has no container `{}`",
            crate::text::one_line(&names.container)
        ))
    })?;
    let Some((repository_uri, digest)) = pinned
        .split_once('@')
        .filter(|(_, d)| d.starts_with("sha256:"))
    else {
        return Err(refuse(format!(
            "the container runs `{}`, which is not pinned to a digest",
            crate::text::one_line(pinned)
        )));
    };
    let repository = repository_uri
        .split_once('/')
        .map(|(_, path)| path)
        .unwrap_or_default();
    let ecr = Ecr::new(aws);
    let tags = ecr
        .tags_of_digest(repository, digest)
        .await?
        .ok_or_else(|| {
            refuse(format!(
                "ECR repository `{}` has no image {digest}",
                crate::text::one_line(repository)
            ))
        })?;
    if !tags.iter().any(|t| t.eq_ignore_ascii_case(&commit)) {
        return Err(refuse(format!(
            "the tags of {digest} ({}) do not name this commit",
            if tags.is_empty() {
                "none".to_owned()
            } else {
                crate::text::one_line(&tags.join(", "))
            }
        )));
    }
    match ecr.digest_of_tag(repository, &commit).await? {
        Some(tagged) if tagged == digest => {}
        other => {
            return Err(refuse(format!(
                "the tag {commit} names {}, not {digest}",
                other.as_deref().unwrap_or("no image")
            )))
        }
    }
    Ok(Image {
        repository_uri: repository_uri.to_owned(),
        repository: repository.to_owned(),
        digest: digest.to_owned(),
        tag: commit,
    })
}

/// A failed read of the source environment that was made with the job's own credentials (its
/// credentials are not a `role_arn`) says so: in a job set up for the target environment, those
/// credentials usually cannot see the source's account.
fn with_credentials_hint(from: &Context<'_>, error: Error) -> Error {
    let assumed = from
        .config
        .environment
        .as_ref()
        .is_some_and(|e| e.role_arn().is_some());
    match error {
        Error::Aws { action, message } if !assumed => Error::Aws {
            action,
            message: format!(
                "{message} (environment `{}` was read with the job's own credentials, as its `credentials` are not a `role_arn`; see docs/environments.md#promotion)",
                name(from)
            ),
        },
        other => other,
    }
}

/// The environment a context is resolved for.
fn name<'a>(ctx: &Context<'a>) -> &'a str {
    ctx.config
        .environment
        .as_ref()
        .map_or("", |e| e.name.as_str())
}
