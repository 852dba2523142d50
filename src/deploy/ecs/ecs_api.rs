//! The narrow seam between the rollout and the ECS API: one client for one service, a method per
//! call the rollout makes, each counted by the client that [`Aws::ecs`] builds and failing as
//! [`Error::Aws`] with a sentence that names the thing. Responses become small owned views
//! ([`ServiceView`]), so the watcher and the rollback rules never touch SDK response types.
//! Nothing here decides anything.

use std::time::SystemTime;

use aws_sdk_ecs::types::{
    DesiredStatus, Tag, TaskDefinition, TaskDefinitionField, TaskDefinitionStatus,
};

use crate::aws::{self, Aws};
use crate::error::{Error, Result};

use super::task_definition::Revision;
use super::EcsNames;

/// One service as the rollout sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceView {
    /// The service's task definition ARN (its PRIMARY deployment's).
    pub task_definition: Option<String>,
    pub deployments: Vec<DeploymentView>,
    /// Newest first, as ECS lists them.
    pub events: Vec<EventView>,
}

/// One deployment of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentView {
    pub id: String,
    /// `PRIMARY`, `ACTIVE` or `INACTIVE`.
    pub status: String,
    pub task_definition: String,
    /// `IN_PROGRESS`, `COMPLETED` or `FAILED`; absent for services that do not report it.
    pub rollout_state: Option<String>,
    pub rollout_reason: Option<String>,
    pub running: i32,
    pub pending: i32,
    pub desired: i32,
    /// Tasks that failed to start (what the circuit breaker counts).
    pub failed: i32,
    pub updated_at: Option<SystemTime>,
}

/// One service event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventView {
    pub id: String,
    pub message: String,
    pub created_at: Option<SystemTime>,
}

impl ServiceView {
    /// The deployment with this id, if the service still lists it.
    pub fn deployment(&self, id: &str) -> Option<&DeploymentView> {
        self.deployments.iter().find(|d| d.id == id)
    }

    /// The PRIMARY deployment of `task_definition`: the one an update to it started.
    pub fn primary_of(&self, task_definition: &str) -> Option<&DeploymentView> {
        self.deployments
            .iter()
            .find(|d| d.status == "PRIMARY" && d.task_definition == task_definition)
    }
}

/// The ECS calls of one service's rollout.
#[derive(Debug)]
pub struct Ecs<'a> {
    client: aws_sdk_ecs::Client,
    pub names: &'a EcsNames,
}

impl<'a> Ecs<'a> {
    pub fn new(aws: &'a Aws, names: &'a EcsNames) -> Ecs<'a> {
        Ecs {
            client: aws.ecs(),
            names,
        }
    }

    fn service_name(&self) -> String {
        format!(
            "ECS service `{}` in cluster `{}`",
            self.names.service, self.names.cluster
        )
    }

    /// `DescribeServices` of the one service; a missing service is an error.
    pub async fn service(&self) -> Result<ServiceView> {
        let action = format!("describe {}", self.service_name());
        let out = self
            .client
            .describe_services()
            .cluster(&self.names.cluster)
            .services(&self.names.service)
            .send()
            .await
            .map_err(aws::error(action.clone()))?;
        let service = out.services().first().ok_or_else(|| Error::Aws {
            action,
            message: "the service does not exist".into(),
        })?;
        Ok(view(service))
    }

    /// `DescribeTaskDefinition` with its tags.
    pub async fn task_definition(&self, arn: &str) -> Result<(TaskDefinition, Vec<Tag>)> {
        let action = format!("describe task definition `{}`", family_revision(arn));
        let out = self
            .client
            .describe_task_definition()
            .task_definition(arn)
            .include(TaskDefinitionField::Tags)
            .send()
            .await
            .map_err(aws::error(action.clone()))?;
        let definition = out.task_definition().cloned().ok_or_else(|| Error::Aws {
            action,
            message: "the answer has no task definition".into(),
        })?;
        Ok((definition, out.tags().to_vec()))
    }

    /// `RegisterTaskDefinition`; the new revision's ARN. Every field of [`Revision`] is passed
    /// on, including the deprecated inference accelerators.
    #[allow(deprecated)]
    pub async fn register(&self, revision: &Revision) -> Result<String> {
        let action = format!(
            "register a task definition revision of family `{}`",
            revision.family
        );
        let tags = (!revision.tags.is_empty()).then(|| revision.tags.clone());
        let out = self
            .client
            .register_task_definition()
            .family(&revision.family)
            .set_task_role_arn(revision.task_role_arn.clone())
            .set_execution_role_arn(revision.execution_role_arn.clone())
            .set_network_mode(revision.network_mode.clone())
            .set_container_definitions(revision.container_definitions.clone())
            .set_volumes(revision.volumes.clone())
            .set_placement_constraints(revision.placement_constraints.clone())
            .set_requires_compatibilities(revision.requires_compatibilities.clone())
            .set_cpu(revision.cpu.clone())
            .set_memory(revision.memory.clone())
            .set_pid_mode(revision.pid_mode.clone())
            .set_ipc_mode(revision.ipc_mode.clone())
            .set_proxy_configuration(revision.proxy_configuration.clone())
            .set_inference_accelerators(revision.inference_accelerators.clone())
            .set_ephemeral_storage(revision.ephemeral_storage.clone())
            .set_runtime_platform(revision.runtime_platform.clone())
            .set_enable_fault_injection(revision.enable_fault_injection)
            .set_tags(tags)
            .send()
            .await
            .map_err(aws::error(action.clone()))?;
        out.task_definition()
            .and_then(|d| d.task_definition_arn())
            .map(str::to_owned)
            .ok_or_else(|| Error::Aws {
                action,
                message: "the answer has no task definition ARN".into(),
            })
    }

    /// `UpdateService` to `task_definition`; the service as the update left it.
    pub async fn update_service(&self, task_definition: &str) -> Result<ServiceView> {
        let action = format!(
            "update {} to task definition `{}`",
            self.service_name(),
            family_revision(task_definition)
        );
        let out = self
            .client
            .update_service()
            .cluster(&self.names.cluster)
            .service(&self.names.service)
            .task_definition(task_definition)
            .send()
            .await
            .map_err(aws::error(action.clone()))?;
        out.service().map(view).ok_or_else(|| Error::Aws {
            action,
            message: "the answer has no service".into(),
        })
    }

    /// Why the stopped tasks of a deployment stopped: `ListTasks` (desired status `STOPPED`,
    /// started by the deployment) and `DescribeTasks`. Distinct reasons, at most `limit`.
    pub async fn stopped_reasons(&self, deployment_id: &str, limit: usize) -> Result<Vec<String>> {
        let action = format!("list the stopped tasks of deployment `{deployment_id}`");
        let listed = self
            .client
            .list_tasks()
            .cluster(&self.names.cluster)
            .started_by(deployment_id)
            .desired_status(DesiredStatus::Stopped)
            .max_results(100)
            .send()
            .await
            .map_err(aws::error(action))?;
        let arns = listed.task_arns().to_vec();
        if arns.is_empty() {
            return Ok(Vec::new());
        }
        let action = format!("describe the stopped tasks of deployment `{deployment_id}`");
        let described = self
            .client
            .describe_tasks()
            .cluster(&self.names.cluster)
            .set_tasks(Some(arns))
            .send()
            .await
            .map_err(aws::error(action))?;
        let mut reasons: Vec<String> = Vec::new();
        for task in described.tasks() {
            let mut reason = task
                .stopped_reason()
                .unwrap_or("no reason given")
                .to_owned();
            for container in task.containers() {
                if let Some(code) = container.exit_code() {
                    reason.push_str(&format!(
                        "; container `{}` exited with {code}",
                        container.name().unwrap_or("?")
                    ));
                }
                if let Some(why) = container.reason() {
                    reason.push_str(&format!(
                        "; container `{}`: {why}",
                        container.name().unwrap_or("?")
                    ));
                }
            }
            let reason = crate::text::one_line(&reason);
            if !reasons.contains(&reason) && reasons.len() < limit {
                reasons.push(reason);
            }
        }
        Ok(reasons)
    }

    /// The ARNs of the ACTIVE revisions of `family` (`ListTaskDefinitions`, every page).
    pub async fn active_revisions(&self, family: &str) -> Result<Vec<String>> {
        let mut arns = Vec::new();
        let mut token = None;
        loop {
            let action = format!("list the task definition revisions of family `{family}`");
            let out = self
                .client
                .list_task_definitions()
                .family_prefix(family)
                .status(TaskDefinitionStatus::Active)
                .set_next_token(token)
                .send()
                .await
                .map_err(aws::error(action))?;
            arns.extend(out.task_definition_arns().iter().cloned());
            token = out.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(arns);
            }
        }
    }

    /// `TagResource` on a revision.
    pub async fn tag(&self, arn: &str, key: &str, value: &str) -> Result<()> {
        let action = format!("tag task definition `{}`", family_revision(arn));
        self.client
            .tag_resource()
            .resource_arn(arn)
            .tags(Tag::builder().key(key).value(value).build())
            .send()
            .await
            .map_err(aws::error(action))?;
        Ok(())
    }
}

/// `family:revision` from a task definition ARN (or the text itself when it is not one).
pub fn family_revision(arn: &str) -> &str {
    arn.rsplit_once('/').map_or(arn, |(_, tail)| tail)
}

/// The revision number of a task definition ARN or `family:revision`.
pub fn revision_number(arn: &str) -> Option<i32> {
    family_revision(arn).rsplit_once(':')?.1.parse().ok()
}

fn time(value: Option<&aws_sdk_ecs::primitives::DateTime>) -> Option<SystemTime> {
    value.and_then(|t| SystemTime::try_from(*t).ok())
}

fn view(service: &aws_sdk_ecs::types::Service) -> ServiceView {
    ServiceView {
        task_definition: service.task_definition().map(str::to_owned),
        deployments: service
            .deployments()
            .iter()
            .map(|d| DeploymentView {
                id: d.id().unwrap_or_default().to_owned(),
                status: d.status().unwrap_or_default().to_owned(),
                task_definition: d.task_definition().unwrap_or_default().to_owned(),
                rollout_state: d.rollout_state().map(|s| s.as_str().to_owned()),
                rollout_reason: d.rollout_state_reason().map(crate::text::one_line),
                running: d.running_count(),
                pending: d.pending_count(),
                desired: d.desired_count(),
                failed: d.failed_tasks(),
                updated_at: time(d.updated_at()),
            })
            .collect(),
        events: service
            .events()
            .iter()
            .map(|e| EventView {
                id: e.id().unwrap_or_default().to_owned(),
                message: crate::text::one_line(e.message().unwrap_or_default()),
                created_at: time(e.created_at()),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_read_from_arns_and_short_names() {
        let arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/quest:12";
        assert_eq!(family_revision(arn), "quest:12");
        assert_eq!(revision_number(arn), Some(12));
        assert_eq!(revision_number("quest:3"), Some(3));
        assert_eq!(revision_number("quest"), None);
    }
}
