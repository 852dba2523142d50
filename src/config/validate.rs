//! Validation of a parsed `.quest-changes.yml`: what types cannot say (the version, names,
//! patterns, paths inside the repository, durations, dates, which target `ecs.from` names),
//! each error naming its key path. The result, [`Config`], is what every command runs from.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;

use super::deploy::{
    parse_duration, valid_date, Allow, EcsFile, EcsSettings, ImageFile, ImageSettings, RolloutFile,
    RolloutSettings, ScanFile, ScanSettings, ServiceDeploy, Severity, TerraformDeploy,
    DEFAULT_ROLLOUT_POLL, DEFAULT_ROLLOUT_TIMEOUT, DEFAULT_SCAN_TIMEOUT,
};
use super::environment::{
    merge_service, merge_terraform, validate_environments, DeployEnvironment,
};
use super::file::{ConfigFile, ServiceTargetFile, TargetFile, TargetKind, TerraformTargetFile};
use super::SUPPORTED_VERSION;
use crate::detect::pattern::Rule;
use crate::error::Error;

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where it came from: a file, or `<discovered from the repository layout>`.
    pub source: PathBuf,
    /// The file as written (normalised), for `quest-changes config`.
    pub file: ConfigFile,
    pub default_branch: String,
    pub targets: IndexMap<String, Target>,
    /// The declared environments; empty when the file declares none.
    pub environments: IndexMap<String, DeployEnvironment>,
    /// The environment this configuration is resolved for (`--env`), if any: every target's
    /// `settings` are then that environment's.
    pub environment: Option<DeployEnvironment>,
}

/// A validated target.
#[derive(Debug, Clone)]
pub struct Target {
    pub kind: TargetKind,
    pub rules: Vec<Rule>,
    pub settings: TargetSettings,
    /// Its settings in each declared environment: its own with that environment's values
    /// merged over them.
    pub environments: IndexMap<String, TargetSettings>,
}

impl Config {
    /// The configuration as environment `name` sees it: each target's settings are its
    /// settings there. A name not declared is a usage error listing those that are.
    pub fn for_environment(&self, name: &str) -> Result<Config, Error> {
        let Some(environment) = self.environments.get(name) else {
            let declared: Vec<&str> = self.environments.keys().map(String::as_str).collect();
            let declared = if declared.is_empty() {
                "the configuration declares no `environments`".to_owned()
            } else {
                format!("the configuration declares: {}", declared.join(", "))
            };
            return Err(Error::Usage(format!(
                "--env: no environment is named `{}` ({declared})",
                crate::text::one_line(name)
            )));
        };
        let mut config = self.clone();
        for target in config.targets.values_mut() {
            if let Some(settings) = target.environments.get(name) {
                target.settings = settings.clone();
            }
        }
        config.environment = Some(environment.clone());
        Ok(config)
    }
}

/// What each kind needs beyond routing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSettings {
    EcsService {
        context: String,
        dockerfile: String,
        /// Route by what the image build reads (the target has a `build` section).
        analyze_build: bool,
        /// `build.args`.
        build_args: std::collections::BTreeMap<String, String>,
        /// `build.target`: the stage built; `None` is the last one.
        build_target: Option<String>,
        /// `build.cli`, `image`, `ecs`, `scan`, `rollout` (boxed: the largest settings by far).
        deploy: Box<ServiceDeploy>,
    },
    Terraform {
        root: String,
        /// Route by the root's module graph (the target names its `root`).
        analyze_root: bool,
        /// `state`, `var_files`, `apply_on`, `binary`.
        deploy: TerraformDeploy,
    },
    Custom,
}

/// What routing reads, besides a target's patterns, to judge a path: the analysis its kind and
/// settings call for. Detection asks this instead of matching on the kind.
#[derive(Debug, Clone, Copy)]
pub enum Analysis<'a> {
    /// What an image build reads (an `ecs-service` target with a `build` section).
    Build {
        context: &'a str,
        dockerfile: &'a str,
        build_args: &'a std::collections::BTreeMap<String, String>,
        build_target: Option<&'a str>,
    },
    /// What a Terraform root loads (a `terraform` target that names its `root`).
    Root {
        root: &'a str,
        var_files: &'a [String],
    },
}

impl TargetSettings {
    /// The analysis routing needs for this target, if any.
    pub fn analysis(&self) -> Option<Analysis<'_>> {
        match self {
            TargetSettings::EcsService {
                context,
                dockerfile,
                analyze_build: true,
                build_args,
                build_target,
                ..
            } => Some(Analysis::Build {
                context,
                dockerfile,
                build_args,
                build_target: build_target.as_deref(),
            }),
            TargetSettings::Terraform {
                root,
                analyze_root: true,
                deploy,
            } => Some(Analysis::Root {
                root,
                var_files: &deploy.var_files,
            }),
            _ => None,
        }
    }
}

pub(super) fn validate(file: ConfigFile, source: &Path) -> Result<Config, Error> {
    let fail = |message: String| Error::Config {
        file: source.to_owned(),
        location: None,
        message,
    };
    if file.version != SUPPORTED_VERSION {
        return Err(fail(format!(
            "version: unsupported version {} (this build reads version {SUPPORTED_VERSION})",
            file.version
        )));
    }
    if !is_valid_branch_name(&file.default_branch) {
        return Err(fail(format!(
            "default_branch: `{}` is not a valid branch name",
            file.default_branch
        )));
    }
    if file.targets.is_empty() {
        return Err(fail("targets: at least one target is required".into()));
    }
    let environments = validate_environments(
        &file.environments,
        &is_valid_target_name,
        &is_valid_branch_name,
        &fail,
    )?;
    let mut parameter_names: IndexMap<String, String> = IndexMap::new();
    let mut targets = IndexMap::new();
    for (name, target) in &file.targets {
        if !is_valid_target_name(name) {
            return Err(fail(format!(
                "targets.{name}: invalid target name (use letters, digits, `-` and `_`)"
            )));
        }
        // CircleCI pipeline parameters are `deploy_<name>` with `-` mapped to `_`; two names
        // that map to the same parameter would make one target's flag overwrite the other's.
        let parameter = name.replace('-', "_");
        if let Some(other) = parameter_names.insert(parameter.clone(), name.clone()) {
            return Err(fail(format!(
                "targets.{name}: the name collides with `{other}` (both become the CircleCI parameter `deploy_{parameter}`)"
            )));
        }
        let routes_by_inputs = match target {
            TargetFile::EcsService(t) => t.build.is_some(),
            TargetFile::Terraform(t) => t.root.is_some(),
            TargetFile::Custom(_) => false,
        };
        if target.paths().is_empty() && !routes_by_inputs {
            return Err(fail(format!(
                "targets.{name}.paths: at least one pattern is required"
            )));
        }
        let mut rules = Vec::with_capacity(target.paths().len());
        for (i, pattern) in target.paths().iter().enumerate() {
            let rule = Rule::parse(pattern).map_err(|e| {
                fail(format!(
                    "targets.{name}.paths[{i}]: invalid pattern `{pattern}`: {}",
                    e.0
                ))
            })?;
            rules.push(rule);
        }
        if !rules.is_empty() && !rules.iter().any(|r| !r.negated) {
            return Err(fail(format!(
                "targets.{name}.paths: every pattern is a `!` exclusion, so nothing can match"
            )));
        }
        let settings = settings_for(name, target, &file.default_branch, &fail)?;
        let per_environment =
            environment_settings(name, target, &environments, &file.default_branch, &fail)?;
        targets.insert(
            name.clone(),
            Target {
                kind: target.kind(),
                rules,
                settings,
                environments: per_environment,
            },
        );
    }
    for (name, target) in &targets {
        let own = std::iter::once((format!("targets.{name}"), &target.settings));
        let per_environment = target
            .environments
            .iter()
            .map(|(env, s)| (format!("targets.{name}.environments.{env}"), s));
        for (key, settings) in own.chain(per_environment) {
            let TargetSettings::EcsService { deploy, .. } = settings else {
                continue;
            };
            if let Some(from) = deploy.ecs.as_ref().and_then(|e| e.from.as_ref()) {
                match targets.get(from).map(|t: &Target| t.kind) {
                    Some(TargetKind::Terraform) => {}
                    Some(kind) => {
                        return Err(fail(format!(
                        "{key}.ecs.from: `{from}` is a {} target; it must be a terraform target",
                        kind.as_str()
                    )))
                    }
                    None => {
                        return Err(fail(format!("{key}.ecs.from: there is no target `{from}`")))
                    }
                }
            }
        }
    }
    Ok(Config {
        source: source.to_owned(),
        default_branch: file.default_branch.clone(),
        file,
        targets,
        environments,
        environment: None,
    })
}

/// A target's settings in each declared environment: its own keys with the environment's
/// values merged over them, validated as a target of its own whose key path is
/// `targets.<name>.environments.<env>`. A terraform target applies from the environment's
/// `branches`, so it may not name its own `apply_on` once environments are declared.
fn environment_settings(
    name: &str,
    target: &TargetFile,
    environments: &IndexMap<String, DeployEnvironment>,
    default_branch: &str,
    fail: &dyn Fn(String) -> Error,
) -> Result<IndexMap<String, TargetSettings>, Error> {
    let written: Vec<&String> = match target {
        TargetFile::EcsService(t) => t.environments.keys().collect(),
        TargetFile::Terraform(t) => t.environments.keys().collect(),
        TargetFile::Custom(_) => Vec::new(),
    };
    for env in written {
        if !environments.contains_key(env) {
            return Err(fail(format!(
                "targets.{name}.environments.{env}: no environment \"{env}\" is declared under environments"
            )));
        }
    }
    if let TargetFile::Terraform(t) = target {
        if t.apply_on.is_some() && !environments.is_empty() {
            return Err(fail(format!(
                "targets.{name}.apply_on: environments are declared, so each environment's `branches` say where a target applies"
            )));
        }
    }
    let mut out = IndexMap::new();
    for (env, environment) in environments {
        let key = format!("{name}.environments.{env}");
        let merged = match target {
            TargetFile::EcsService(t) => {
                TargetFile::EcsService(Box::new(merge_service(t, t.environments.get(env))))
            }
            TargetFile::Terraform(t) => TargetFile::Terraform(Box::new(merge_terraform(
                t,
                t.environments.get(env),
                &format!("targets.{key}"),
                fail,
            )?)),
            TargetFile::Custom(_) => target.clone(),
        };
        let mut settings = settings_for(&key, &merged, default_branch, fail)?;
        if let TargetSettings::Terraform { deploy, .. } = &mut settings {
            deploy.apply_on.clone_from(&environment.branches);
        }
        out.insert(env.clone(), settings);
    }
    Ok(out)
}

fn settings_for(
    name: &str,
    target: &TargetFile,
    default_branch: &str,
    fail: &dyn Fn(String) -> Error,
) -> Result<TargetSettings, Error> {
    let prefix = || fixed_prefix(target.paths().iter().find(|p| !p.starts_with('!')));
    match target {
        TargetFile::EcsService(target) => {
            let analyze_build = target.build.is_some();
            let build = target.build.clone().unwrap_or_default();
            let deploy = service_deploy(name, target, build.cli.clone(), fail)?;
            if let Some(stage) = &build.target {
                check_stage_name(stage, &format!("targets.{name}.build.target"), fail)?;
            }
            let context = match (&build.context, &build.dockerfile) {
                (Some(c), _) => check_relative(c, &format!("targets.{name}.build.context"), fail)?,
                (None, Some(d)) => {
                    let d = check_relative(d, &format!("targets.{name}.build.dockerfile"), fail)?;
                    d.rsplit_once('/')
                        .map_or(".".to_owned(), |(dir, _)| dir.to_owned())
                }
                (None, None) => prefix(),
            };
            let dockerfile = match build.dockerfile {
                Some(d) => check_relative(&d, &format!("targets.{name}.build.dockerfile"), fail)?,
                None if context == "." => "Dockerfile".to_owned(),
                None => format!("{context}/Dockerfile"),
            };
            Ok(TargetSettings::EcsService {
                context,
                dockerfile,
                analyze_build,
                build_args: build.args,
                build_target: build.target,
                deploy: Box::new(deploy),
            })
        }
        TargetFile::Terraform(target) => {
            let root = match &target.root {
                Some(r) => check_relative(r, &format!("targets.{name}.root"), fail)?,
                None => prefix(),
            };
            let deploy = terraform_deploy(name, target, default_branch, fail)?;
            Ok(TargetSettings::Terraform {
                root,
                analyze_root: target.root.is_some(),
                deploy,
            })
        }
        TargetFile::Custom(_) => Ok(TargetSettings::Custom),
    }
}

fn duration(
    value: Option<&String>,
    default: &str,
    key: &str,
    fail: &dyn Fn(String) -> Error,
) -> Result<std::time::Duration, Error> {
    let text = value.map_or(default, String::as_str);
    let parsed = parse_duration(text).map_err(|e| fail(format!("{key}: {e}")))?;
    if parsed.is_zero() {
        return Err(fail(format!("{key}: must be longer than zero")));
    }
    if parsed > std::time::Duration::from_secs(24 * 3600) {
        return Err(fail(format!(
            "{key}: `{text}` is longer than the 24h allowed"
        )));
    }
    Ok(parsed)
}

fn non_empty_name(value: &str, key: &str, fail: &dyn Fn(String) -> Error) -> Result<(), Error> {
    if value.trim().is_empty() || value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(fail(format!(
            "{key}: `{}` must be a non-empty name without spaces",
            value.escape_debug()
        )));
    }
    Ok(())
}

fn service_deploy(
    name: &str,
    target: &ServiceTargetFile,
    cli: Option<String>,
    fail: &dyn Fn(String) -> Error,
) -> Result<ServiceDeploy, Error> {
    let cli = cli.unwrap_or_else(|| "docker".to_owned());
    non_empty_name(&cli, &format!("targets.{name}.build.cli"), fail)?;
    let image = match &target.image {
        None => None,
        Some(ImageFile {
            repository,
            registry,
            platform,
            extra_tags,
        }) => {
            match repository {
                Some(repository) => non_empty_name(
                    repository,
                    &format!("targets.{name}.image.repository"),
                    fail,
                )?,
                None if target.ecs.as_ref().is_some_and(|e| e.from.is_some()) => {}
                None => {
                    return Err(fail(format!(
                        "targets.{name}.image.repository: required unless `ecs.from` names a terraform target"
                    )))
                }
            }
            if let Some(registry) = registry {
                non_empty_name(registry, &format!("targets.{name}.image.registry"), fail)?;
            }
            for (i, tag) in extra_tags.iter().enumerate() {
                let valid = !tag.is_empty()
                    && tag.len() <= 128
                    && !tag.starts_with(['.', '-'])
                    && tag
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
                if !valid {
                    return Err(fail(format!(
                        "targets.{name}.image.extra_tags[{i}]: `{}` is not a valid image tag",
                        tag.escape_debug()
                    )));
                }
            }
            Some(ImageSettings {
                repository: repository.clone(),
                registry: registry.clone(),
                platform: platform.clone().unwrap_or_else(|| "linux/amd64".to_owned()),
                extra_tags: extra_tags.clone(),
            })
        }
    };
    let ecs = match &target.ecs {
        None => None,
        Some(EcsFile {
            cluster,
            service,
            container,
            from,
        }) => {
            for (key, value) in [
                ("cluster", cluster),
                ("service", service),
                ("container", container),
                ("from", from),
            ] {
                if let Some(value) = value {
                    non_empty_name(value, &format!("targets.{name}.ecs.{key}"), fail)?;
                }
            }
            if from.is_none() {
                let missing = [
                    ("cluster", cluster.is_none()),
                    ("service", service.is_none()),
                    ("container", container.is_none()),
                ]
                .into_iter()
                .find_map(|(k, m)| m.then_some(k));
                if let Some(key) = missing {
                    return Err(fail(format!(
                        "targets.{name}.ecs.{key}: required unless `ecs.from` names a terraform target"
                    )));
                }
            }
            Some(EcsSettings {
                cluster: cluster.clone(),
                service: service.clone(),
                container: container.clone(),
                from: from.clone(),
            })
        }
    };
    let scan_file = target.scan.clone().unwrap_or(ScanFile {
        fail_on: None,
        timeout: None,
        allow: Vec::new(),
    });
    let mut allow = Vec::with_capacity(scan_file.allow.len());
    for (i, entry) in scan_file.allow.iter().enumerate() {
        let key = format!("targets.{name}.scan.allow[{i}]");
        if entry.id.trim().is_empty() {
            return Err(fail(format!("{key}.id: must name a finding")));
        }
        if entry.reason.trim().is_empty() {
            return Err(fail(format!(
                "{key}.reason: say why `{}` may pass",
                entry.id
            )));
        }
        if !valid_date(&entry.expires) {
            return Err(fail(format!(
                "{key}.expires: `{}` is not a date like 2027-01-31",
                entry.expires.escape_debug()
            )));
        }
        allow.push(Allow {
            id: entry.id.clone(),
            reason: entry.reason.clone(),
            expires: entry.expires.clone(),
        });
    }
    let scan = ScanSettings {
        fail_on: scan_file.fail_on.unwrap_or(Severity::High),
        timeout: duration(
            scan_file.timeout.as_ref(),
            DEFAULT_SCAN_TIMEOUT,
            &format!("targets.{name}.scan.timeout"),
            fail,
        )?,
        allow,
    };
    let rollout_file = target.rollout.clone().unwrap_or(RolloutFile {
        timeout: None,
        poll: None,
    });
    let rollout = RolloutSettings {
        timeout: duration(
            rollout_file.timeout.as_ref(),
            DEFAULT_ROLLOUT_TIMEOUT,
            &format!("targets.{name}.rollout.timeout"),
            fail,
        )?,
        poll: duration(
            rollout_file.poll.as_ref(),
            DEFAULT_ROLLOUT_POLL,
            &format!("targets.{name}.rollout.poll"),
            fail,
        )?,
    };
    Ok(ServiceDeploy {
        cli,
        image,
        ecs,
        scan,
        rollout,
    })
}

fn terraform_deploy(
    name: &str,
    target: &TerraformTargetFile,
    default_branch: &str,
    fail: &dyn Fn(String) -> Error,
) -> Result<TerraformDeploy, Error> {
    if let Some(state) = &target.state {
        for (key, value) in [
            ("bucket", &state.bucket),
            ("key", &state.key),
            ("region", &state.region),
        ] {
            non_empty_name(value, &format!("targets.{name}.state.{key}"), fail)?;
        }
        if state.key.starts_with('/') || state.key.ends_with('/') {
            return Err(fail(format!(
                "targets.{name}.state.key: `{}` must be an object key like `prod/terraform.tfstate`",
                state.key
            )));
        }
    }
    for (i, file) in target.var_files.iter().enumerate() {
        if file.trim().is_empty() || file.chars().any(char::is_control) {
            return Err(fail(format!(
                "targets.{name}.var_files[{i}]: must name a file"
            )));
        }
    }
    let apply_on = match &target.apply_on {
        Some(branches) => {
            for (i, branch) in branches.iter().enumerate() {
                if !is_valid_branch_name(branch) {
                    return Err(fail(format!(
                        "targets.{name}.apply_on[{i}]: `{branch}` is not a valid branch name"
                    )));
                }
            }
            branches.clone()
        }
        None => vec![default_branch.to_owned()],
    };
    let binary = target
        .binary
        .clone()
        .unwrap_or_else(|| "terraform".to_owned());
    non_empty_name(&binary, &format!("targets.{name}.binary"), fail)?;
    Ok(TerraformDeploy {
        state: target.state.clone(),
        var_files: target.var_files.clone(),
        apply_on,
        binary,
    })
}

/// A repository-relative directory: no leading `/`, no `..`, no empty segments.
fn check_relative(value: &str, key: &str, fail: &dyn Fn(String) -> Error) -> Result<String, Error> {
    let trimmed = value.trim_end_matches('/');
    let trimmed = trimmed.strip_prefix("./").unwrap_or(trimmed);
    if trimmed.is_empty() || trimmed == "." {
        return Ok(".".to_owned());
    }
    let bad = trimmed.starts_with('/')
        || trimmed
            .split('/')
            .any(|s| s.is_empty() || s == ".." || s == ".")
        || trimmed.chars().any(char::is_control);
    if bad {
        return Err(fail(format!(
            "{key}: `{value}` must be a path inside the repository, relative to its root"
        )));
    }
    Ok(trimmed.to_owned())
}

/// A Dockerfile stage name as Docker accepts it in `FROM ... AS <name>`: a letter, then
/// letters, digits, `-`, `_` and `.`.
fn check_stage_name(value: &str, key: &str, fail: &dyn Fn(String) -> Error) -> Result<(), Error> {
    let mut chars = value.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(())
    } else {
        Err(fail(format!(
            "{key}: `{value}` is not a stage name (a letter, then letters, digits, `-`, `_` or `.`)"
        )))
    }
}

/// The directory part of a pattern before its first special character: `app/**` -> `app`.
fn fixed_prefix(pattern: Option<&String>) -> String {
    let Some(pattern) = pattern else {
        return ".".to_owned();
    };
    let segments: Vec<&str> = pattern.split('/').collect();
    let mut fixed = Vec::new();
    // The last segment names files, not the directory.
    for segment in &segments[..segments.len().saturating_sub(1)] {
        if segment.contains(['*', '?', '[', '{', '\\']) {
            break;
        }
        fixed.push(*segment);
    }
    if fixed.is_empty() {
        ".".to_owned()
    } else {
        fixed.join("/")
    }
}

fn is_valid_target_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn is_valid_branch_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && !name.contains("..")
        && !name
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || "~^:?*[\\".contains(c))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The error a configuration gives: its location (`line:column`, when the parser gives
    /// one) and its message.
    fn error(yaml: &str) -> String {
        match Config::parse(yaml, Path::new("f.yml")) {
            Ok(_) => panic!("expected an error for:\n{yaml}"),
            Err(Error::Config {
                location, message, ..
            }) => match location {
                Some(l) => format!("{}:{}: {message}", l.line, l.column),
                None => message,
            },
            Err(other) => panic!("not a configuration error: {other}"),
        }
    }

    /// Each configuration fails to load with a message that contains its expected text.
    fn assert_each_error(cases: &[(String, &str)]) {
        for (yaml, expected) in cases {
            let got = error(yaml);
            assert!(
                got.contains(expected),
                "{yaml}\n  expected: {expected}\n  got:      {got}"
            );
        }
    }

    /// One target `s` of `kind` with the given extra keys (flow style, on one line).
    fn target(kind: &str, keys: &str) -> String {
        format!("version: 1\ntargets:\n  s: {{kind: {kind}, paths: [a]{keys}}}\n")
    }

    fn service(keys: &str) -> String {
        target("ecs-service", keys)
    }

    fn terraform(keys: &str) -> String {
        target("terraform", keys)
    }

    const ECS: &str = ", ecs: {cluster: c, service: v, container: k}";

    #[test]
    fn every_rule_of_the_file_names_its_key() {
        let cases: Vec<(String, &str)> = vec![
            // The file as a whole.
            ("version: 2\ntargets:\n  s: {kind: custom, paths: [a]}\n".into(), "version: unsupported version 2 (this build reads version 1)"),
            ("version: 1\ndefault_branch: \"a b\"\ntargets:\n  s: {kind: custom, paths: [a]}\n".into(), "default_branch: `a b` is not a valid branch name"),
            ("version: 1\ndefault_branch: a..b\ntargets:\n  s: {kind: custom, paths: [a]}\n".into(), "default_branch: `a..b` is not a valid branch name"),
            ("version: 1\ntargets: {}\n".into(), "targets: at least one target is required"),
            // Names.
            ("version: 1\ntargets:\n  \"a b\": {kind: custom, paths: [a]}\n".into(), "targets.a b: invalid target name (use letters, digits, `-` and `_`)"),
            (format!("version: 1\ntargets:\n  {}: {{kind: custom, paths: [a]}}\n", "x".repeat(65)), "invalid target name"),
            ("version: 1\ntargets:\n  a-b: {kind: custom, paths: [a]}\n  a_b: {kind: custom, paths: [a]}\n".into(), "targets.a_b: the name collides with `a-b` (both become the CircleCI parameter `deploy_a_b`)"),
            // Patterns.
            ("version: 1\ntargets:\n  s: {kind: custom}\n".into(), "targets.s.paths: at least one pattern is required"),
            ("version: 1\ntargets:\n  s: {kind: ecs-service}\n".into(), "targets.s.paths: at least one pattern is required"),
            ("version: 1\ntargets:\n  s: {kind: terraform}\n".into(), "targets.s.paths: at least one pattern is required"),
            ("version: 1\ntargets:\n  s: {kind: custom, paths: [a, \"[b\"]}\n".into(), "targets.s.paths[1]: invalid pattern `[b`: "),
            ("version: 1\ntargets:\n  s: {kind: custom, paths: [\"!a\"]}\n".into(), "targets.s.paths: every pattern is a `!` exclusion, so nothing can match"),
            // The build.
            (service(", build: {target: 1st}"), "targets.s.build.target: `1st` is not a stage name (a letter, then letters, digits, `-`, `_` or `.`)"),
            (service(", build: {context: ../x}"), "targets.s.build.context: `../x` must be a path inside the repository, relative to its root"),
            (service(", build: {context: /abs}"), "targets.s.build.context: `/abs` must be a path inside the repository, relative to its root"),
            (service(", build: {dockerfile: a//Dockerfile}"), "targets.s.build.dockerfile: `a//Dockerfile` must be a path inside the repository, relative to its root"),
            (service(", build: {cli: \"\"}"), "targets.s.build.cli: `` must be a non-empty name without spaces"),
            (service(", build: {cli: \"do cker\"}"), "targets.s.build.cli: `do cker` must be a non-empty name without spaces"),
            // image.
            (service(", image: {}"), "targets.s.image.repository: required unless `ecs.from` names a terraform target"),
            (service(", image: {repository: \" \"}"), "targets.s.image.repository: ` ` must be a non-empty name without spaces"),
            (service(", image: {repository: r, registry: \"a b\"}"), "targets.s.image.registry: `a b` must be a non-empty name without spaces"),
            (service(", image: {repository: r, extra_tags: [\"-x\"]}"), "targets.s.image.extra_tags[0]: `-x` is not a valid image tag"),
            (service(", image: {repository: r, extra_tags: [ok, \"a/b\"]}"), "targets.s.image.extra_tags[1]: `a/b` is not a valid image tag"),
            // ecs.
            (service(", ecs: {cluster: c, service: v}"), "targets.s.ecs.container: required unless `ecs.from` names a terraform target"),
            (service(", ecs: {cluster: \"\", service: v, container: k}"), "targets.s.ecs.cluster: `` must be a non-empty name without spaces"),
            (service(", ecs: {from: infra}"), "targets.s.ecs.from: there is no target `infra`"),
            ("version: 1\ntargets:\n  s: {kind: ecs-service, paths: [a], ecs: {from: t}}\n  t: {kind: custom, paths: [b]}\n".into(), "targets.s.ecs.from: `t` is a custom target; it must be a terraform target"),
            // scan.
            (service(", scan: {allow: [{id: \" \", reason: r, expires: 2027-01-01}]}"), "targets.s.scan.allow[0].id: must name a finding"),
            (service(", scan: {allow: [{id: CVE-1, reason: \"\", expires: 2027-01-01}]}"), "targets.s.scan.allow[0].reason: say why `CVE-1` may pass"),
            (service(", scan: {allow: [{id: CVE-1, reason: r, expires: 2027-02-30}]}"), "targets.s.scan.allow[0].expires: `2027-02-30` is not a date like 2027-01-31"),
            (service(", scan: {timeout: 10}"), "targets.s.scan.timeout: `10` has no unit; write it like `90s` or `10m`"),
            (service(", scan: {timeout: 0s}"), "targets.s.scan.timeout: must be longer than zero"),
            (service(", scan: {timeout: 25h}"), "targets.s.scan.timeout: `25h` is longer than the 24h allowed"),
            (service(", scan: {fail_on: SEVERE}"), "unknown variant `SEVERE`"),
            // rollout.
            (service(", rollout: {timeout: 5d}"), "targets.s.rollout.timeout: `5d` has an unknown unit `d` (use ms, s, m or h)"),
            (service(", rollout: {poll: 0ms}"), "targets.s.rollout.poll: must be longer than zero"),
            // terraform.
            (terraform(", root: ../x"), "targets.s.root: `../x` must be a path inside the repository, relative to its root"),
            (terraform(", state: {bucket: \"\", key: k, region: r}"), "targets.s.state.bucket: `` must be a non-empty name without spaces"),
            (terraform(", state: {bucket: b, key: \"a b\", region: r}"), "targets.s.state.key: `a b` must be a non-empty name without spaces"),
            (terraform(", state: {bucket: b, key: k, region: \"\"}"), "targets.s.state.region: `` must be a non-empty name without spaces"),
            (terraform(", state: {bucket: b, key: /k, region: r}"), "targets.s.state.key: `/k` must be an object key like `prod/terraform.tfstate`"),
            (terraform(", state: {bucket: b, key: k/, region: r}"), "targets.s.state.key: `k/` must be an object key like `prod/terraform.tfstate`"),
            (terraform(", var_files: [\" \"]"), "targets.s.var_files[0]: must name a file"),
            (terraform(", apply_on: [main, \"-x\"]"), "targets.s.apply_on[1]: `-x` is not a valid branch name"),
            (terraform(", binary: \"\""), "targets.s.binary: `` must be a non-empty name without spaces"),
        ];
        assert_each_error(&cases);
    }

    #[test]
    fn a_key_of_another_kind_is_a_parse_error_naming_its_path() {
        let cases: Vec<(String, &str)> = vec![
            (
                service(", root: x"),
                "targets.s.root: only `terraform` targets have a root",
            ),
            (
                service(", state: {bucket: b, key: k, region: r}"),
                "targets.s.state: only `terraform` targets have `state`",
            ),
            (
                service(", var_files: [a]"),
                "targets.s.var_files: only `terraform` targets have `var_files`",
            ),
            (
                service(", apply_on: [main]"),
                "targets.s.apply_on: only `terraform` targets have `apply_on`",
            ),
            (
                service(", binary: tofu"),
                "targets.s.binary: only `terraform` targets have `binary`",
            ),
            (
                terraform(", build: {context: app}"),
                "targets.s.build: only `ecs-service` targets have a build",
            ),
            (
                terraform(", image: {repository: r}"),
                "targets.s.image: only `ecs-service` targets have `image`",
            ),
            (
                terraform(ECS),
                "targets.s.ecs: only `ecs-service` targets have `ecs`",
            ),
            (
                terraform(", scan: {}"),
                "targets.s.scan: only `ecs-service` targets have `scan`",
            ),
            (
                terraform(", rollout: {}"),
                "targets.s.rollout: only `ecs-service` targets have `rollout`",
            ),
            (
                target("custom", ", root: x"),
                "targets.s: `custom` targets take only `kind` and `paths`",
            ),
            (
                target("custom", ", build: {}"),
                "targets.s: `custom` targets take only `kind` and `paths`",
            ),
        ];
        for (yaml, expected) in cases {
            // No line and column: the message names the key.
            assert_eq!(error(&yaml), expected, "{yaml}");
        }
        // An empty list says nothing, on any kind.
        assert!(Config::parse(&service(", var_files: []"), Path::new("f.yml")).is_ok());
    }

    #[test]
    fn the_parser_names_the_place_and_the_key() {
        let cases: &[(&str, &str)] = &[
            ("version: 1\ntargets:\n  s:\n    kind: custom\n    pathz: [a]\n", "5:5: targets.s: unknown field `pathz`, expected one of `kind`, `paths`, `build`, `root`, `image`, `ecs`, `scan`, `rollout`, `state`, `var_files`, `apply_on`, `binary`, `environments`"),
            ("version: 1\ntargets:\n  s:\n    paths: [a]\n", "targets.s: missing field `kind`"),
            ("version: 1\ntargets:\n  s:\n    kind: custom\n    paths: [a]\n    paths: [b]\n", "targets.s: duplicate field `paths`"),
            ("version: 1\ntargets:\n  s:\n    kind: lambda\n", "4:11: targets.s.kind: unknown variant `lambda`, expected one of `ecs-service`, `terraform`, `custom`"),
            ("version: 1\ntargets:\n  s:\n    kind: terraform\n    var_files: 3\n", "5:16: targets.s.var_files: invalid type: integer `3`, expected a sequence"),
            ("version: 1\ntargets:\n  s: {kind: custom, paths: [a]}\n  s: {kind: custom, paths: [b]}\n", "4:3: targets: target `s` is defined twice"),
            ("version: 1\ntargets:\n  s: {kind: custom, paths: [a]}\n---\nversion: 1\n", "the file holds several YAML documents (`---`); it must hold one"),
            ("# nothing\n", "the file is empty; it needs at least `version` and `targets`"),
        ];
        for (yaml, expected) in cases {
            let got = error(yaml);
            assert!(
                got.ends_with(expected),
                "{yaml}\n  expected: {expected}\n  got:      {got}"
            );
        }
    }

    #[test]
    fn defaults_fill_what_is_not_written() {
        let config = Config::parse(
            "version: 1\ndefault_branch: trunk\ntargets:\n  app: {kind: ecs-service, paths: [\"svc/app/**\"]}\n  df: {kind: ecs-service, paths: [a], build: {dockerfile: x/y/Dockerfile.prod}}\n  infra: {kind: terraform, paths: [\"tf/live/*.tf\"]}\n",
            Path::new("f.yml"),
        )
        .unwrap();
        let TargetSettings::EcsService {
            context,
            dockerfile,
            analyze_build,
            deploy,
            ..
        } = &config.targets["app"].settings
        else {
            panic!("app is an ecs-service target");
        };
        assert_eq!(
            (context.as_str(), dockerfile.as_str()),
            ("svc/app", "svc/app/Dockerfile")
        );
        assert!(!analyze_build);
        assert_eq!(deploy.cli, "docker");
        assert_eq!(deploy.scan.fail_on, Severity::High);
        assert_eq!(deploy.scan.timeout, std::time::Duration::from_secs(600));
        assert_eq!(deploy.rollout.poll, std::time::Duration::from_secs(5));
        let TargetSettings::EcsService { context, .. } = &config.targets["df"].settings else {
            panic!("df is an ecs-service target");
        };
        assert_eq!(
            context, "x/y",
            "the context defaults to the Dockerfile's folder"
        );
        let TargetSettings::Terraform {
            root,
            analyze_root,
            deploy,
        } = &config.targets["infra"].settings
        else {
            panic!("infra is a terraform target");
        };
        assert_eq!(root, "tf/live");
        assert!(!analyze_root);
        assert_eq!(
            deploy.apply_on,
            ["trunk"],
            "apply_on defaults to the default branch"
        );
        assert_eq!(deploy.binary, "terraform");
    }

    /// A file with `environments` (dev and prod) and targets `targets` (YAML block lines).
    fn with_environments(targets: &str) -> String {
        format!(
            "version: 1\nenvironments:\n  dev: {{branches: [main], region: eu-west-1}}\n  prod: {{region: eu-west-2, approval: true}}\ntargets:\n{targets}"
        )
    }

    #[test]
    fn every_rule_of_environments_names_its_key() {
        let env = |value: &str| {
            format!("version: 1\nenvironments:\n  dev: {value}\ntargets:\n  s: {{kind: custom, paths: [a]}}\n")
        };
        let cases: Vec<(String, &str)> = vec![
            // The environments themselves.
            ("version: 1\nenvironments:\n  \"a b\": {region: eu-west-1}\ntargets:\n  s: {kind: custom, paths: [a]}\n".into(), "environments.a b: invalid environment name (use letters, digits, `-` and `_`)"),
            (env("{branches: [main, \"a..b\"], region: eu-west-1}"), "environments.dev.branches[1]: `a..b` is not a valid branch name"),
            (env("{branches: [main, main], region: eu-west-1}"), "environments.dev.branches[1]: `main` is listed twice"),
            (env("{region: Europe}"), "environments.dev.region: `Europe` is not an AWS region like `eu-west-1`"),
            (env("{branches: [main]}"), "environments.dev: missing field `region`"),
            (env("{region: eu-west-1, credentials: {}}"), "environments.dev.credentials: give `role_arn` (a role to assume) or `ci_context` (the CI context that provides them)"),
            (env("{region: eu-west-1, credentials: {role_arn: \"arn:aws:iam::123456789012:role/x\", ci_context: c}}"), "environments.dev.credentials: give either `role_arn` or `ci_context`, not both"),
            (env("{region: eu-west-1, credentials: {role_arn: deploy}}"), "environments.dev.credentials.role_arn: `deploy` is not a role ARN like `arn:aws:iam::123456789012:role/deploy`"),
            (env("{region: eu-west-1, credentials: {ci_context: c, read_role_arn: reader}}"), "environments.dev.credentials.read_role_arn: `reader` is not a role ARN like `arn:aws:iam::123456789012:role/promotion-reader`"),
            (env("{region: eu-west-1, credentials: {read_role_arn: \"arn:aws:iam::123456789012:role/r\"}}"), "environments.dev.credentials: give `role_arn` (a role to assume) or `ci_context` (the CI context that provides them)"),
            (env("{region: eu-west-1, credentials: {ci_context: \" \"}}"), "environments.dev.credentials.ci_context: must name a CI context"),
            (env("{region: eu-west-1, approve: true}"), "unknown field `approve`"),
            // A target's values.
            (with_environments("  s: {kind: ecs-service, paths: [a], environments: {qa: {ecs: {cluster: c}}}}\n"), "targets.s.environments.qa: no environment \"qa\" is declared under environments"),
            ("version: 1\ntargets:\n  s: {kind: terraform, paths: [a], environments: {dev: {var_files: [dev.tfvars]}}}\n".into(), "targets.s.environments.dev: no environment \"dev\" is declared under environments"),
            (with_environments("  s: {kind: terraform, paths: [a], apply_on: [main]}\n"), "targets.s.apply_on: environments are declared, so each environment's `branches` say where a target applies"),
            (with_environments("  s: {kind: ecs-service, paths: [a], environments: {dev: {ecs: {cluster: c, service: v}}}}\n"), "targets.s.environments.dev.ecs.container: required unless `ecs.from` names a terraform target"),
            (with_environments("  s: {kind: ecs-service, paths: [a], ecs: {cluster: c, service: v, container: k}, environments: {dev: {ecs: {cluster: \"a b\"}}}}\n"), "targets.s.environments.dev.ecs.cluster: `a b` must be a non-empty name without spaces"),
            (with_environments("  s: {kind: ecs-service, paths: [a], environments: {prod: {ecs: {from: infra}}}}\n"), "targets.s.environments.prod.ecs.from: there is no target `infra`"),
            (with_environments("  s: {kind: terraform, paths: [a], environments: {dev: {state: {key: dev/tfstate}}}}\n"), "targets.s.environments.dev.state.bucket: required, as the target has no `state` of its own"),
            (with_environments("  s: {kind: terraform, paths: [a], state: {bucket: b, key: k, region: eu-west-1}, environments: {dev: {state: {key: /dev}}}}\n"), "targets.s.environments.dev.state.key: `/dev` must be an object key like `prod/terraform.tfstate`"),
            (with_environments("  s: {kind: terraform, paths: [a], environments: {dev: {root: ../dev}}}\n"), "targets.s.environments.dev.root: `../dev` must be a path inside the repository, relative to its root"),
            (with_environments("  s: {kind: terraform, paths: [a], environments: {dev: {var_files: [\" \"]}}}\n"), "targets.s.environments.dev.var_files[0]: must name a file"),
            (with_environments("  s: {kind: terraform, paths: [a], environments: {dev: {ecs: {cluster: c}}}}\n"), "targets.s.environments.dev.ecs: only `ecs-service` targets have `ecs`"),
            (with_environments("  s: {kind: ecs-service, paths: [a], environments: {dev: {root: x}}}\n"), "targets.s.environments.dev.root: only `terraform` targets have `root`"),
            (with_environments("  s: {kind: ecs-service, paths: [a], environments: {dev: {state: {key: k}}}}\n"), "targets.s.environments.dev.state: only `terraform` targets have `state`"),
            (with_environments("  s: {kind: custom, paths: [a], environments: {dev: {}}}\n"), "targets.s: `custom` targets take only `kind` and `paths`"),
            (with_environments("  s: {kind: ecs-service, paths: [a], environments: {dev: {image: {repository: r}}}}\n"), "unknown field `image`, expected one of `ecs`, `root`, `state`, `var_files`"),
        ];
        assert_each_error(&cases);
    }

    #[test]
    fn an_environment_merges_its_values_over_the_targets_own() {
        let config = Config::parse(
            &with_environments(concat!(
                "  svc:\n    kind: ecs-service\n    paths: [app/**]\n    image: {repository: app}\n",
                "    ecs: {cluster: base, service: app, container: web}\n",
                "    environments:\n      dev: {ecs: {cluster: dev}}\n      prod: {ecs: {cluster: prod, service: app-prod}}\n",
                "  infra:\n    kind: terraform\n    root: tf\n    state: {bucket: b, key: base.tfstate, region: eu-west-1}\n    var_files: [common.tfvars]\n",
                "    environments:\n      prod: {state: {key: prod.tfstate}, var_files: [prod.tfvars], root: tf/prod}\n",
            )),
            Path::new("f.yml"),
        )
        .unwrap();
        assert_eq!(
            config.environments.keys().collect::<Vec<_>>(),
            ["dev", "prod"]
        );
        assert!(config.environment.is_none());
        let ecs = |config: &Config| match &config.targets["svc"].settings {
            TargetSettings::EcsService { deploy, .. } => deploy.ecs.clone().unwrap(),
            _ => panic!("svc is an ecs-service target"),
        };
        let terraform = |config: &Config| match &config.targets["infra"].settings {
            TargetSettings::Terraform { root, deploy, .. } => (root.clone(), deploy.clone()),
            _ => panic!("infra is a terraform target"),
        };
        // Without an environment: the target's own, and apply_on the default branch.
        assert_eq!(ecs(&config).cluster.as_deref(), Some("base"));
        assert_eq!(terraform(&config).1.apply_on, ["main"]);

        let dev = config.for_environment("dev").unwrap();
        assert_eq!(dev.environment.as_ref().unwrap().region, "eu-west-1");
        let dev_ecs = ecs(&dev);
        assert_eq!(
            (
                dev_ecs.cluster.as_deref(),
                dev_ecs.service.as_deref(),
                dev_ecs.container.as_deref()
            ),
            (Some("dev"), Some("app"), Some("web")),
            "a key not given is the target's own"
        );
        let (root, deploy) = terraform(&dev);
        assert_eq!(root, "tf");
        assert_eq!(deploy.state.unwrap().key, "base.tfstate");
        assert_eq!(deploy.var_files, ["common.tfvars"]);
        assert_eq!(deploy.apply_on, ["main"], "apply_on is dev's branches");

        let prod = config.for_environment("prod").unwrap();
        assert_eq!(ecs(&prod).service.as_deref(), Some("app-prod"));
        let (root, deploy) = terraform(&prod);
        assert_eq!(root, "tf/prod");
        let state = deploy.state.unwrap();
        assert_eq!(
            (state.bucket.as_str(), state.key.as_str()),
            ("b", "prod.tfstate")
        );
        assert_eq!(
            deploy.var_files,
            ["prod.tfvars"],
            "var_files replace the target's own"
        );
        assert!(
            deploy.apply_on.is_empty(),
            "prod has no branches: promotion only"
        );
        assert!(prod.environment.unwrap().approval);

        let Err(Error::Usage(message)) = config.for_environment("qa") else {
            panic!("an undeclared environment is a usage error");
        };
        assert_eq!(
            message,
            "--env: no environment is named `qa` (the configuration declares: dev, prod)"
        );
        let plain = Config::parse(&service(ECS), Path::new("f.yml")).unwrap();
        let Err(Error::Usage(message)) = plain.for_environment("dev") else {
            panic!("an environment without any declared is a usage error");
        };
        assert_eq!(
            message,
            "--env: no environment is named `dev` (the configuration declares no `environments`)"
        );
    }

    #[test]
    fn credentials_are_a_role_or_a_ci_context() {
        let config = Config::parse(
            "version: 1\nenvironments:\n  dev: {region: eu-west-1, credentials: {ci_context: aws-dev}}\n  prod: {region: eu-west-1, credentials: {role_arn: \"arn:aws:iam::210987654321:role/deploy\"}}\n  ci: {region: eu-west-1}\ntargets:\n  s: {kind: custom, paths: [a]}\n",
            Path::new("f.yml"),
        )
        .unwrap();
        use crate::config::Credentials;
        assert_eq!(
            config.environments["dev"].credentials,
            Credentials::CiContext("aws-dev".into())
        );
        assert_eq!(
            config.environments["prod"].role_arn(),
            Some("arn:aws:iam::210987654321:role/deploy")
        );
        assert_eq!(config.environments["ci"].credentials, Credentials::Ambient);
    }
}
