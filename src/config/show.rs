//! What `quest-changes config` prints: the JSON Schema of the file, and the effective
//! configuration (the file with every default filled in) as YAML or JSON.

use super::deploy::{
    RolloutFile, ScanFile, DEFAULT_ROLLOUT_POLL, DEFAULT_ROLLOUT_TIMEOUT, DEFAULT_SCAN_TIMEOUT,
};
use super::file::{ConfigFile, TargetFile};
use super::validate::{Config, TargetSettings};

/// The JSON Schema of `.quest-changes.yml`, pretty-printed.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(ConfigFile);
    let mut out = serde_json::to_string_pretty(&schema).unwrap_or_default();
    out.push('\n');
    out
}

/// The configuration as it applies: the file with every default filled in (build context,
/// Dockerfile and CLI, image platform, scan gate, rollout watch; root, `apply_on`, binary).
fn effective(config: &Config) -> ConfigFile {
    let mut file = config.file.clone();
    file.default_branch.clone_from(&config.default_branch);
    for (name, target) in &mut file.targets {
        match (target, config.targets.get(name).map(|t| &t.settings)) {
            (
                TargetFile::EcsService(target),
                Some(TargetSettings::EcsService {
                    context,
                    dockerfile,
                    deploy,
                    ..
                }),
            ) => {
                let mut build = target.build.clone().unwrap_or_default();
                build.context = Some(context.clone());
                build.dockerfile = Some(dockerfile.clone());
                build.cli = Some(deploy.cli.clone());
                target.build = Some(build);
                if let (Some(image), Some(settings)) = (&mut target.image, &deploy.image) {
                    image.platform = Some(settings.platform.clone());
                }
                let scan = target.scan.get_or_insert(ScanFile {
                    fail_on: None,
                    timeout: None,
                    allow: Vec::new(),
                });
                scan.fail_on = Some(deploy.scan.fail_on);
                scan.timeout
                    .get_or_insert_with(|| DEFAULT_SCAN_TIMEOUT.to_owned());
                let rollout = target.rollout.get_or_insert(RolloutFile {
                    timeout: None,
                    poll: None,
                });
                rollout
                    .timeout
                    .get_or_insert_with(|| DEFAULT_ROLLOUT_TIMEOUT.to_owned());
                rollout
                    .poll
                    .get_or_insert_with(|| DEFAULT_ROLLOUT_POLL.to_owned());
            }
            (
                TargetFile::Terraform(target),
                Some(TargetSettings::Terraform { root, deploy, .. }),
            ) => {
                target.root = Some(root.clone());
                // With environments, each one's `branches` say where it applies.
                if config.environments.is_empty() {
                    target.apply_on = Some(deploy.apply_on.clone());
                }
                target.binary = Some(deploy.binary.clone());
            }
            _ => {}
        }
    }
    file
}

/// The effective configuration as YAML, with a comment naming where it came from.
pub fn to_yaml(config: &Config) -> String {
    let body = serde_yaml::to_string(&effective(config)).unwrap_or_default();
    format!(
        "# effective configuration from {}\n{body}",
        crate::text::one_line(&config.source.display().to_string())
    )
}

/// The effective configuration as JSON.
pub fn to_json(config: &Config) -> String {
    let mut out = serde_json::to_string_pretty(&effective(config)).unwrap_or_default();
    out.push('\n');
    out
}
