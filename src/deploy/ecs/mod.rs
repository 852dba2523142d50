//! The service deployment of an `ecs-service` target (issue #5), in order: the image
//! (`image`: resolve the ECR repository, log in, build and push tagged with the commit, or find
//! it already there), the scan gate (`scan`), then the rollout (`rollout`: a task definition
//! revision pinned to the digest, one `UpdateService`, the watch, the rollback on failure).
//! This file holds the engine ([`Engine`]: the steps, which the deployment runs in their order,
//! the deployed commit, the comment's part), the target's ECR and ECS names (from `ecs`, or the
//! outputs of the terraform target `ecs.from` names) and the entries of the `rollback` and
//! `promote` commands; each step lives in its own file (`promote` too: it is steps 4 to 9 on
//! an image another environment runs).

pub(crate) mod clock;
pub(crate) mod container;
pub(crate) mod ecr;
pub(crate) mod ecs_api;
pub(crate) mod findings;
pub(crate) mod image;
pub(crate) mod promote;
pub(crate) mod rollback;
pub mod rollout;
pub(crate) mod scan;
pub mod task_definition;
pub(crate) mod watch;

use std::path::Path;

use git2::Oid;

use crate::aws::Aws;
use crate::config::ServiceDeploy;
use crate::config::{Target, TargetSettings};
use crate::deploy::context::Context;
use crate::deploy::engine::{DeployedCommit, DeploymentState, Options};
use crate::detect::plan::Step;
use crate::error::{Error, Result};
use crate::output::comment::Detail;

/// The image a deployment rolls out: exactly one digest in one repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// The repository URI as the ECR API gives it (`<registry>/<name>`).
    pub repository_uri: String,
    /// The ECR repository name.
    pub repository: String,
    /// `sha256:...`, as ECR reports it for the pushed manifest.
    pub digest: String,
    /// The full commit SHA, the primary tag.
    pub tag: String,
}

impl Image {
    /// `<repository URI>@<digest>`: what the task definition points at.
    pub fn pinned(&self) -> String {
        format!("{}@{}", self.repository_uri, self.digest)
    }
}

/// The cluster, service and container of a target, resolved (from `ecs` or `ecs.from`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsNames {
    pub cluster: String,
    pub service: String,
    pub container: String,
}

/// The deployment settings of an `ecs-service` target, or why it cannot deploy.
pub fn settings<'a>(ctx: &Context<'a>) -> Result<&'a ServiceDeploy> {
    match &ctx.target.settings {
        TargetSettings::EcsService { deploy, .. } => Ok(deploy),
        _ => Err(Error::Deploy {
            target: ctx.target_name.to_owned(),
            message: "only ecs-service targets have a service deployment".into(),
        }),
    }
}

/// The ECR repository name and the ECS names of the target. Values missing from `ecs` (and
/// `image.repository`) come from the outputs of the terraform target that `ecs.from` names:
/// `cluster_name`, `service_name`, `container_name`, `ecr_repository_name`.
pub fn names(ctx: &Context<'_>, deploy: &ServiceDeploy) -> Result<(String, EcsNames)> {
    names_from(ctx, deploy, false)
}

/// [`names`] read from the state object when they come from `ecs.from` (one `GetObject`, no
/// `init`): a promotion's, which runs no Terraform and reads its source with a role that may
/// only read.
pub fn read_names(ctx: &Context<'_>, deploy: &ServiceDeploy) -> Result<(String, EcsNames)> {
    names_from(ctx, deploy, true)
}

fn names_from(
    ctx: &Context<'_>,
    deploy: &ServiceDeploy,
    read_only: bool,
) -> Result<(String, EcsNames)> {
    let missing = |key: &'static str| Error::MissingSection {
        target: ctx.target_name.to_owned(),
        key,
        consequence: "it cannot deploy",
    };
    let ecs = deploy.ecs.as_ref().ok_or_else(|| missing("ecs"))?;
    let image = deploy.image.as_ref().ok_or_else(|| missing("image"))?;
    // A dry run writes nothing, and `terraform output` needs an `init` that writes
    // `.terraform/`: it reads the outputs from the state object instead, and names what it
    // cannot read.
    let outputs = match &ecs.from {
        Some(from) if read_only && !ctx.dry_run => state_outputs(ctx, from)?,
        Some(from) if !ctx.dry_run => from_outputs(ctx, from)?,
        Some(from) => dry_run_outputs(ctx, from),
        None => serde_json::Map::new(),
    };
    let pick = |given: &Option<String>, key: &str, output: &str| -> Result<String> {
        if let Some(value) = given {
            return Ok(value.clone());
        }
        if let (Some(from), true, false) = (&ecs.from, ctx.dry_run, outputs.contains_key(output)) {
            return Ok(format!("<output {output} of {from}>"));
        }
        match outputs.get(output).map(|o| &o["value"]) {
            Some(serde_json::Value::String(value)) if !value.is_empty() => Ok(value.clone()),
            _ => Err(Error::Deploy {
                target: ctx.target_name.to_owned(),
                message: match &ecs.from {
                    Some(from) => format!(
                        "`{key}` is not set, and the outputs of `{from}` have no string `{output}`"
                    ),
                    None => format!("`{key}` is not set (and no `ecs.from` gives it)"),
                },
            }),
        }
    };
    let repository = pick(&image.repository, "image.repository", "ecr_repository_name")?;
    Ok((
        repository,
        EcsNames {
            cluster: pick(&ecs.cluster, "ecs.cluster", "cluster_name")?,
            service: pick(&ecs.service, "ecs.service", "service_name")?,
            container: pick(&ecs.container, "ecs.container", "container_name")?,
        },
    ))
}

/// For a dry run: the outputs in the state of the terraform target `from`, read without
/// writing anything; empty (the caller then names each output) when they cannot be read, said
/// on stdout with the dry run's other lines.
fn dry_run_outputs(ctx: &Context<'_>, from: &str) -> serde_json::Map<String, serde_json::Value> {
    let Ok(source) = from_context(ctx, from) else {
        return serde_json::Map::new();
    };
    let say = |why: String| {
        ctx.progress().output(&format!(
            "[dry run] the outputs of `{from}` are not known ({why}); their names stand in"
        ));
    };
    match crate::deploy::terraform::state_outputs(&source) {
        Ok(Some(outputs)) => outputs,
        Ok(None) => {
            say("its state has not been written yet".to_owned());
            serde_json::Map::new()
        }
        Err(e) => {
            say(crate::text::one_line(&e.to_string()));
            serde_json::Map::new()
        }
    }
}

/// The outputs in the state of the terraform target `from`, read from the state object.
fn state_outputs(
    ctx: &Context<'_>,
    from: &str,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    crate::deploy::terraform::state_outputs(&from_context(ctx, from)?)?.ok_or_else(|| {
        Error::Deploy {
            target: ctx.target_name.to_owned(),
            message: format!(
                "the state of `{from}` has not been written yet, so it has no outputs"
            ),
        }
    })
}

/// The context of the terraform target `from` that `ecs.from` names, beside `ctx`'s.
fn from_context<'a>(ctx: &Context<'a>, from: &'a str) -> Result<Context<'a>> {
    let target = ctx.config.targets.get(from).ok_or_else(|| Error::Deploy {
        target: ctx.target_name.to_owned(),
        message: format!("`ecs.from` names `{from}`, which is not a target"),
    })?;
    Ok(Context {
        target_name: from,
        target,
        ..*ctx
    })
}

/// `terraform output -json` of the terraform target `from`, as a map of name to
/// `{value, type, sensitive}`.
fn from_outputs(
    ctx: &Context<'_>,
    from: &str,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    let text = crate::deploy::terraform::outputs(&from_context(ctx, from)?)?;
    match serde_json::from_str(&text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(Error::Deploy {
            target: ctx.target_name.to_owned(),
            message: format!("the outputs of `{from}` are not a JSON object"),
        }),
    }
}

/// The `ecs-service` engine.
#[derive(Debug)]
pub struct Engine;

impl crate::deploy::engine::Engine for Engine {
    fn steps(&self, _name: &str, target: &Target, head: Oid) -> Vec<Step> {
        let TargetSettings::EcsService {
            context,
            dockerfile,
            deploy,
            ..
        } = &target.settings
        else {
            return Vec::new();
        };
        let tag = head.to_string();
        vec![
            Step::BuildImage {
                context: context.clone(),
                dockerfile: dockerfile.clone(),
                tag: tag.clone(),
            },
            Step::PushImage {
                tag: tag.clone(),
                extra_tags: deploy
                    .image
                    .as_ref()
                    .map(|i| i.extra_tags.clone())
                    .unwrap_or_default(),
            },
            Step::ScanGate { tag: tag.clone() },
            Step::RegisterTaskDefinition { tag },
            Step::UpdateService,
            Step::WaitForRollout,
        ]
    }

    fn pipeline_jobs(&self) -> &'static str {
        "deploy_service: build, scan gate, roll out"
    }

    fn deploy(&self, ctx: &Context<'_>, _options: &Options) -> Result<()> {
        deploy(ctx)
    }

    fn deployed_commit(&self, ctx: &Context<'_>) -> Result<DeployedCommit> {
        let deploy = settings(ctx)?;
        if deploy.ecs.is_none() || deploy.image.is_none() {
            return Ok(DeployedCommit::NotConfigured);
        }
        Ok(match deployed_commit(ctx)? {
            Some(sha) => DeployedCommit::Commit {
                sha,
                reason: "the commit of the image the service runs",
            },
            None => DeployedCommit::Nothing,
        })
    }

    /// The state of the service's PRIMARY deployment, and when it last changed (for a
    /// `COMPLETED` one, when it completed).
    fn deployment_state(&self, ctx: &Context<'_>) -> Result<DeploymentState> {
        let deploy = settings(ctx)?;
        if deploy.ecs.is_none() || deploy.image.is_none() {
            return Ok(DeploymentState::default());
        }
        let (_, names) = names(ctx, deploy)?;
        let runtime = crate::aws::runtime()?;
        runtime.block_on(async {
            let aws = ctx.aws(None).await?;
            rollout::deployment_state(&aws, &names).await
        })
    }

    fn comment_detail(
        &self,
        name: &str,
        target: &Target,
        head: Oid,
        _plan_dir: Option<&Path>,
    ) -> Result<Option<Detail>> {
        let TargetSettings::EcsService { deploy, .. } = &target.settings else {
            return Ok(None);
        };
        Ok(Some(Detail::Image {
            target: name.to_owned(),
            repository: deploy.image.as_ref().and_then(|i| i.repository.clone()),
            tag: head.to_string(),
        }))
    }
}

/// `deploy <target>` for an `ecs-service` target: its steps, in order (image, scan gate,
/// rollout), with `--dry-run` printing each with its values.
pub fn deploy(ctx: &Context<'_>) -> Result<()> {
    let deploy = settings(ctx)?;
    let (repository, names) = names(ctx, deploy)?;
    let steps =
        crate::deploy::engine::Engine::steps(&Engine, ctx.target_name, ctx.target, ctx.head);
    let runtime = crate::aws::runtime()?;
    runtime.block_on(async {
        let aws = ctx.aws(None).await?;
        let result = run(ctx, &aws, deploy, &repository, &names, &steps).await;
        if ctx.verbose {
            ctx.progress().say(&format!("{} AWS calls", aws.calls()));
        }
        result
    })
}

/// Runs `steps`, the list `plan` prints, in their order. Some steps are done by one call that
/// cannot be split without changing what is built or watched: `image::publish` builds and
/// pushes, `rollout::deploy` registers the revision, updates the service and watches it; the
/// later steps of such a call are done when their first one is.
async fn run(
    ctx: &Context<'_>,
    aws: &Aws,
    deploy: &ServiceDeploy,
    repository: &str,
    names: &EcsNames,
    steps: &[Step],
) -> Result<()> {
    rollout::preflight(ctx, aws, names).await?;
    let mut published: Option<Image> = None;
    for step in steps {
        let built = || {
            published.as_ref().ok_or_else(|| Error::Deploy {
                target: ctx.target_name.to_owned(),
                message: format!(
                    "the step `{}` comes before the image is built",
                    step.describe()
                ),
            })
        };
        match step {
            Step::BuildImage { .. } => {
                published = Some(image::publish(ctx, aws, deploy, repository).await?);
            }
            Step::ScanGate { .. } => scan::gate(ctx, aws, deploy, built()?).await?,
            Step::RegisterTaskDefinition { .. } => {
                rollout::deploy(ctx, aws, deploy, names, built()?).await?;
            }
            // Done by the call of the step before them.
            Step::PushImage { .. } | Step::UpdateService | Step::WaitForRollout => {}
            other => {
                return Err(Error::Deploy {
                    target: ctx.target_name.to_owned(),
                    message: format!("an ecs-service target cannot {}", other.describe()),
                })
            }
        }
    }
    Ok(())
}

/// The `rollback` command: an `ecs-service` target only.
pub fn rollback_command(ctx: &Context<'_>) -> Result<()> {
    ctx.require_kind(crate::config::TargetKind::EcsService, "rollback")?;
    rollback(ctx)
}

/// The `promote` command: an `ecs-service` target only (`promote`).
pub fn promote_command(from: &Context<'_>, to: &Context<'_>) -> Result<()> {
    promote::promote(from, to)
}

/// `rollback <target>`: back to the revision before the running one that last completed.
pub fn rollback(ctx: &Context<'_>) -> Result<()> {
    let deploy = settings(ctx)?;
    let (_, names) = names(ctx, deploy)?;
    let runtime = crate::aws::runtime()?;
    runtime.block_on(async {
        let aws = ctx.aws(None).await?;
        let result = rollout::rollback(ctx, &aws, deploy, &names).await;
        if ctx.verbose {
            ctx.progress().say(&format!("{} AWS calls", aws.calls()));
        }
        result
    })
}

/// `--since deployed`: the commit whose full SHA tags the image the service runs now, if the
/// service runs an image deployed that way.
pub fn deployed_commit(ctx: &Context<'_>) -> Result<Option<String>> {
    let deploy = settings(ctx)?;
    let (_, names) = names(ctx, deploy)?;
    let runtime = crate::aws::runtime()?;
    runtime.block_on(async {
        let aws = ctx.aws(None).await?;
        rollout::deployed_commit(ctx, &aws, &names).await
    })
}
