//! The ordered deployment steps for each changed target. Pure: no I/O.
//!
//! A [`Step`] is data: the action and the values it will use. Each target's engine
//! (`deploy::engine`) lists its steps; `plan` and `--dry-run` print that list and `deploy` runs
//! it, so what is printed is what runs.

use git2::Oid;
use serde::Serialize;

use crate::config::Config;
use crate::detect::route::Routing;

/// One step of a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Step {
    /// Build the image from the context and Dockerfile, tagged with the full head SHA.
    BuildImage {
        context: String,
        dockerfile: String,
        tag: String,
    },
    /// Push the image tagged `tag` (and `extra_tags`, from `image.extra_tags`) to the target's
    /// ECR repository, or to `image.registry`.
    PushImage {
        tag: String,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        extra_tags: Vec<String>,
    },
    /// Wait for the image scan and block on findings at or above the configured severity.
    ScanGate { tag: String },
    /// Register a new task definition revision whose container image is exactly this tag.
    RegisterTaskDefinition { tag: String },
    /// Point the service at the new revision.
    UpdateService,
    /// Watch the rollout until it completes, and roll back if it fails.
    WaitForRollout,
    /// `terraform init` in the root, with the configured backend.
    TerraformInit { root: String },
    /// `terraform plan` into a saved plan file.
    TerraformPlan { root: String, plan_file: String },
    /// `terraform apply` of exactly that saved plan.
    TerraformApply { root: String, plan_file: String },
}

impl Step {
    /// One line for people: what the step does, with its values.
    pub fn describe(&self) -> String {
        match self {
            Step::BuildImage {
                context,
                dockerfile,
                tag,
            } => format!("build image from context `{context}` with `{dockerfile}`, tag {tag}"),
            Step::PushImage { tag, extra_tags } if extra_tags.is_empty() => {
                format!("push image tag {tag}")
            }
            Step::PushImage { tag, extra_tags } => {
                format!("push image tags {tag}, {}", extra_tags.join(", "))
            }
            Step::ScanGate { tag } => {
                format!("wait for the image scan of {tag} and gate on its findings")
            }
            Step::RegisterTaskDefinition { tag } => {
                format!("register a task definition revision with image tag {tag}")
            }
            Step::UpdateService => "update the service to the new revision".to_owned(),
            Step::WaitForRollout => {
                "wait until the rollout completes; roll back if it fails".to_owned()
            }
            Step::TerraformInit { root } => format!("terraform init in `{root}`"),
            Step::TerraformPlan { root, plan_file } => {
                format!("terraform plan in `{root}` to `{plan_file}`")
            }
            Step::TerraformApply { root, plan_file } => {
                format!("terraform apply `{plan_file}` in `{root}`")
            }
        }
    }
}

/// The steps of one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetPlan {
    pub target: String,
    pub kind: &'static str,
    pub steps: Vec<Step>,
}

/// The steps for every changed target, in configuration order, as its engine lists them.
/// Unchanged targets have none.
pub fn plan(config: &Config, routing: &Routing, head: Oid) -> Vec<TargetPlan> {
    routing
        .iter()
        .filter(|(_, result)| result.changed)
        .filter_map(|(name, result)| {
            let target = config.targets.get(name)?;
            Some(TargetPlan {
                target: name.clone(),
                kind: result.kind.as_str(),
                steps: crate::deploy::engine::engine(target.kind).steps(name, target, head),
            })
        })
        .collect()
}
