//! The task definition revision a deployment registers, and nothing else. Pure: no I/O.
//!
//! A [`Revision`] is exactly what `RegisterTaskDefinition` takes: the running task definition
//! with its read-only fields dropped (`taskDefinitionArn`, `revision`, `status`,
//! `requiresAttributes`, `compatibilities`, `registeredAt`, `registeredBy`, `deregisteredAt`,
//! `deleteRequestedAt`) and every other field kept as ECS returned it, empty values included.
//! [`Revision::with_image`] replaces one container's image with the pinned digest and records
//! the commit in a container label and in a tag of the revision; [`diff`] says what changed, for
//! the dry run. The tests pin the SDK's field counts, so an SDK that adds a field fails them
//! instead of silently losing it.

// `InferenceAccelerator` is deprecated (Elastic Inference is gone) but still a field: a
// running definition that has it is copied with it.
#![allow(deprecated)]

use aws_sdk_ecs::types::{
    Compatibility, ContainerDefinition, EphemeralStorage, InferenceAccelerator, IpcMode,
    NetworkMode, PidMode, ProxyConfiguration, RuntimePlatform, Tag, TaskDefinition,
    TaskDefinitionPlacementConstraint, Volume,
};

use super::Image;

/// The container docker label that holds the full commit SHA (the OCI annotation's name).
pub const COMMIT_LABEL: &str = "org.opencontainers.image.revision";
/// The revision tag that holds the full commit SHA.
pub const COMMIT_TAG: &str = "quest-changes:commit";
/// The revision tag set on a revision whose rollout failed and was rolled back; `rollback`
/// skips such revisions.
pub const ROLLOUT_TAG: &str = "quest-changes:rollout";
/// The value of [`ROLLOUT_TAG`] for a failed rollout.
pub const ROLLOUT_FAILED: &str = "failed";

/// The input of `RegisterTaskDefinition`, field for field.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub family: String,
    pub task_role_arn: Option<String>,
    pub execution_role_arn: Option<String>,
    pub network_mode: Option<NetworkMode>,
    pub container_definitions: Option<Vec<ContainerDefinition>>,
    pub volumes: Option<Vec<Volume>>,
    pub placement_constraints: Option<Vec<TaskDefinitionPlacementConstraint>>,
    pub requires_compatibilities: Option<Vec<Compatibility>>,
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub pid_mode: Option<PidMode>,
    pub ipc_mode: Option<IpcMode>,
    pub proxy_configuration: Option<ProxyConfiguration>,
    pub inference_accelerators: Option<Vec<InferenceAccelerator>>,
    pub ephemeral_storage: Option<EphemeralStorage>,
    pub runtime_platform: Option<RuntimePlatform>,
    pub enable_fault_injection: Option<bool>,
    /// Sorted by key; `aws:` tags (which only AWS may set) left out.
    pub tags: Vec<Tag>,
}

impl Revision {
    /// The running task definition as a registration; `None` when it has no family.
    pub fn from_running(definition: &TaskDefinition, tags: &[Tag]) -> Option<Revision> {
        let TaskDefinition {
            // Read-only: ECS sets them on every revision.
            task_definition_arn: _,
            revision: _,
            status: _,
            requires_attributes: _,
            compatibilities: _,
            registered_at: _,
            registered_by: _,
            deregistered_at: _,
            delete_requested_at: _,
            family,
            task_role_arn,
            execution_role_arn,
            network_mode,
            container_definitions,
            volumes,
            placement_constraints,
            requires_compatibilities,
            cpu,
            memory,
            pid_mode,
            ipc_mode,
            proxy_configuration,
            inference_accelerators,
            ephemeral_storage,
            runtime_platform,
            enable_fault_injection,
            ..
        } = definition.clone();
        let mut tags: Vec<Tag> = tags
            .iter()
            .filter(|t| !t.key().unwrap_or_default().starts_with("aws:"))
            .cloned()
            .collect();
        tags.sort_by(|a, b| a.key().cmp(&b.key()));
        Some(Revision {
            family: family?,
            task_role_arn,
            execution_role_arn,
            network_mode,
            container_definitions,
            volumes,
            placement_constraints,
            requires_compatibilities,
            cpu,
            memory,
            pid_mode,
            ipc_mode,
            proxy_configuration,
            inference_accelerators,
            ephemeral_storage,
            runtime_platform,
            enable_fault_injection,
            tags,
        })
    }

    /// The names of the containers, in order.
    pub fn container_names(&self) -> Vec<&str> {
        self.container_definitions
            .iter()
            .flatten()
            .map(|c| c.name().unwrap_or_default())
            .collect()
    }

    /// The image of the container `container`, as the revision names it.
    pub fn image_of(&self, container: &str) -> Option<&str> {
        self.container_definitions
            .iter()
            .flatten()
            .find(|c| c.name() == Some(container))
            .and_then(|c| c.image())
    }

    /// This revision with `container`'s image replaced by `image.pinned()` and the commit in
    /// the container's [`COMMIT_LABEL`] label and the revision's [`COMMIT_TAG`] tag. An unknown
    /// container is an error naming the ones there are.
    pub fn with_image(&self, container: &str, image: &Image) -> Result<Revision, String> {
        let mut next = self.clone();
        let found = next
            .container_definitions
            .iter_mut()
            .flatten()
            .find(|c| c.name() == Some(container));
        let Some(found) = found else {
            let names = self.container_names();
            return Err(format!(
                "the task definition `{}` has no container named `{}` (it has: {})",
                self.family,
                crate::text::one_line(container),
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names
                        .iter()
                        .map(|n| format!("`{}`", crate::text::one_line(n)))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ));
        };
        found.image = Some(image.pinned());
        found
            .docker_labels
            .get_or_insert_with(Default::default)
            .insert(COMMIT_LABEL.to_owned(), image.tag.clone());
        next.set_tag(COMMIT_TAG, &image.tag);
        // The mark of a failed rollout belongs to that revision, never to its copies.
        next.tags.retain(|t| t.key() != Some(ROLLOUT_TAG));
        Ok(next)
    }

    /// Sets (or replaces) one tag, keeping the tags sorted.
    pub fn set_tag(&mut self, key: &str, value: &str) {
        self.tags.retain(|t| t.key() != Some(key));
        self.tags.push(Tag::builder().key(key).value(value).build());
        self.tags.sort_by(|a, b| a.key().cmp(&b.key()));
    }

    /// The value of one tag.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|t| t.key() == Some(key))
            .and_then(Tag::value)
    }

    /// The image of one container.
    pub fn image(&self, container: &str) -> Option<&str> {
        self.container(container).and_then(|c| c.image())
    }

    /// The [`COMMIT_LABEL`] of one container.
    pub fn label(&self, container: &str) -> Option<&str> {
        self.container(container)
            .and_then(|c| c.docker_labels.as_ref())
            .and_then(|labels| labels.get(COMMIT_LABEL))
            .map(String::as_str)
    }

    fn container(&self, name: &str) -> Option<&ContainerDefinition> {
        self.container_definitions
            .iter()
            .flatten()
            .find(|c| c.name() == Some(name))
    }
}

/// What registering `next` instead of `running` changes, as lines for people: each changed
/// image, label and tag with its old (`-`) and new (`+`) value, and any other changed field.
/// Empty when they are equal.
pub fn diff(running: &Revision, next: &Revision) -> Vec<String> {
    let mut lines = Vec::new();
    let mut change = |what: String, old: Option<&str>, new: Option<&str>| {
        if old != new {
            // Values come from the running revision, which anyone may have registered: escaped.
            lines.push(format!("  {}", crate::text::one_line(&what)));
            lines.push(format!(
                "-   {}",
                old.map_or("(none)".to_owned(), crate::text::one_line)
            ));
            lines.push(format!(
                "+   {}",
                new.map_or("(none)".to_owned(), crate::text::one_line)
            ));
        }
    };
    let names: Vec<String> = next
        .container_names()
        .into_iter()
        .map(crate::text::one_line)
        .collect();
    let raw_names: Vec<&str> = next.container_names();
    for (name, raw) in names.iter().zip(raw_names) {
        change(
            format!("container `{name}` image"),
            running.image(raw),
            next.image(raw),
        );
        change(
            format!("container `{name}` label {COMMIT_LABEL}"),
            running.label(raw),
            next.label(raw),
        );
    }
    let mut keys: Vec<&str> = running
        .tags
        .iter()
        .chain(&next.tags)
        .filter_map(Tag::key)
        .collect();
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        change(
            format!("tag {}", crate::text::one_line(key)),
            running.tag(key),
            next.tag(key),
        );
    }
    // Anything else (the rollout changes nothing else, so this is a safety net).
    let mut rest_running = running.clone();
    let mut rest_next = next.clone();
    for rest in [&mut rest_running, &mut rest_next] {
        rest.tags.clear();
        for c in rest.container_definitions.iter_mut().flatten() {
            c.image = None;
            if let Some(labels) = c.docker_labels.as_mut() {
                labels.remove(COMMIT_LABEL);
            }
            // `with_image` creates the map when there was none.
            if c.docker_labels.as_ref().is_some_and(|l| l.is_empty()) {
                c.docker_labels = None;
            }
        }
    }
    if rest_running != rest_next {
        lines.push("  other fields differ:".to_owned());
        lines.push(format!(
            "-   {}",
            crate::text::one_line(&format!("{rest_running:?}"))
        ));
        lines.push(format!(
            "+   {}",
            crate::text::one_line(&format!("{rest_next:?}"))
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::{KeyValuePair, PortMapping, TaskDefinitionStatus};

    fn image() -> Image {
        Image {
            repository_uri: "123456789012.dkr.ecr.us-east-1.amazonaws.com/quest-app".into(),
            repository: "quest-app".into(),
            digest: "sha256:abc".into(),
            tag: "0123456789abcdef0123456789abcdef01234567".into(),
        }
    }

    fn fields(debug: &str) -> usize {
        debug.matches(": ").count()
    }

    #[test]
    fn the_sdk_has_the_fields_this_file_maps() {
        // A new SDK field fails here: map it in `Revision` (and `Ecs::register`), then update.
        assert_eq!(
            fields(&format!("{:?}", TaskDefinition::builder().build())),
            26
        );
        let input =
            aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput::builder(
            )
            .build()
            .unwrap();
        assert_eq!(fields(&format!("{input:?}")), 18);
    }

    fn full() -> TaskDefinition {
        let container = |name: &str, image: &str| {
            ContainerDefinition::builder()
                .name(name)
                .image(image)
                .cpu(0)
                .essential(true)
                .set_environment(Some(vec![]))
                .environment(KeyValuePair::builder().name("A").value("").build())
                .port_mappings(PortMapping::builder().container_port(3000).build())
                .set_mount_points(Some(vec![]))
                .build()
        };
        TaskDefinition::builder()
            .task_definition_arn("arn:aws:ecs:us-east-1:1:task-definition/quest:3")
            .family("quest")
            .revision(3)
            .status(TaskDefinitionStatus::Active)
            .compatibilities(Compatibility::Fargate)
            .registered_by("me")
            .task_role_arn("arn:task")
            .execution_role_arn("arn:exec")
            .network_mode(NetworkMode::Awsvpc)
            .container_definitions(container("quest", "old:1"))
            .container_definitions(container("sidecar", "side:1"))
            .set_volumes(Some(vec![]))
            .set_placement_constraints(Some(vec![]))
            .requires_compatibilities(Compatibility::Fargate)
            .cpu("256")
            .memory("512")
            .pid_mode(PidMode::Task)
            .ipc_mode(IpcMode::None)
            .ephemeral_storage(EphemeralStorage::builder().size_in_gib(21).build())
            .runtime_platform(RuntimePlatform::builder().build())
            .enable_fault_injection(false)
            .build()
    }

    #[test]
    fn only_the_image_label_and_tag_change() {
        let running = Revision::from_running(
            &full(),
            &[
                Tag::builder().key("team").value("x").build(),
                Tag::builder()
                    .key("aws:cloudformation:stack")
                    .value("s")
                    .build(),
            ],
        )
        .unwrap();
        assert_eq!(running.tags.len(), 1, "aws: tags are left out");
        assert_eq!(running.volumes, Some(vec![]), "empty values are kept");
        let next = running.with_image("quest", &image()).unwrap();
        assert_eq!(
            next.image("quest"),
            Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/quest-app@sha256:abc")
        );
        assert_eq!(next.image("sidecar"), Some("side:1"));
        assert_eq!(next.label("quest"), Some(image().tag.as_str()));
        assert_eq!(next.tag(COMMIT_TAG), Some(image().tag.as_str()));
        assert_eq!(next.tag("team"), Some("x"));
        // Undo the three changes: what is left is the running revision, field for field.
        let mut undone = next.clone();
        undone.tags.retain(|t| t.key() != Some(COMMIT_TAG));
        for c in undone.container_definitions.iter_mut().flatten() {
            if c.name() == Some("quest") {
                c.image = Some("old:1".into());
                c.docker_labels = None;
            }
        }
        // PartialEq, not Debug: Debug redacts the environment.
        assert_eq!(undone, running);
        // Applying the same image again is no change.
        assert_eq!(next.with_image("quest", &image()).unwrap(), next);
    }

    #[test]
    fn an_unknown_container_names_the_ones_there_are() {
        let running = Revision::from_running(&full(), &[]).unwrap();
        assert_eq!(
            running.with_image("web", &image()).unwrap_err(),
            "the task definition `quest` has no container named `web` (it has: `quest`, `sidecar`)"
        );
    }

    #[test]
    fn the_diff_shows_the_changes_only() {
        let running = Revision::from_running(&full(), &[]).unwrap();
        let next = running.with_image("quest", &image()).unwrap();
        assert_eq!(diff(&running, &running), Vec::<String>::new());
        assert_eq!(
            diff(&running, &next),
            vec![
                "  container `quest` image".to_owned(),
                "-   old:1".into(),
                "+   123456789012.dkr.ecr.us-east-1.amazonaws.com/quest-app@sha256:abc".into(),
                format!("  container `quest` label {COMMIT_LABEL}"),
                "-   (none)".into(),
                format!("+   {}", image().tag),
                format!("  tag {COMMIT_TAG}"),
                "-   (none)".into(),
                format!("+   {}", image().tag),
            ]
        );
    }
}
