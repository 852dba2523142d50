//! `.quest-changes.yml`: its types, loading and validation.
//!
//! Loading is two steps, raw file -> validated [`Config`]: serde rejects unknown keys and wrong
//! types with the parser's line and column; validation then checks what types cannot say
//! (version, names, patterns, kind-specific sections) and names the key path that is wrong. A
//! configuration either loads whole or not at all. The JSON Schema printed by
//! `quest-changes config schema` is generated from the same types.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::deploy::settings::{
    parse_duration, valid_date, Allow, EcsFile, EcsSettings, ImageFile, ImageSettings, RolloutFile,
    RolloutSettings, ScanFile, ScanSettings, ServiceDeploy, Severity, StateFile, TerraformDeploy,
};
use crate::error::{Error, Location};
use crate::pattern::Rule;

/// The file names looked for at the repository root, in order.
pub const CANDIDATES: [&str; 2] = [".quest-changes.yml", ".quest-changes.yaml"];

/// Defaults of the deployment sections, as written in a file (and as `config` prints them).
const DEFAULT_SCAN_TIMEOUT: &str = "10m";
const DEFAULT_ROLLOUT_TIMEOUT: &str = "15m";
const DEFAULT_ROLLOUT_POLL: &str = "5s";

/// The only configuration version this build reads.
pub const SUPPORTED_VERSION: u32 = 1;

/// `.quest-changes.yml`, as written.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "quest-changes configuration")]
pub struct ConfigFile {
    /// Version of this file's format. Only `1` exists.
    pub version: u32,
    /// The branch that merge bases are taken against when a range must be inferred.
    #[serde(default = "default_branch")]
    pub default_branch: String,
    /// The deployment targets, by name (letters, digits, `-` and `_`), in the order they are
    /// reported.
    #[serde(deserialize_with = "unique_targets")]
    pub targets: IndexMap<String, TargetFile>,
}

/// Targets as a map that rejects a name given twice (YAML allows it; the later would silently
/// replace the earlier).
fn unique_targets<'de, D>(deserializer: D) -> Result<IndexMap<String, TargetFile>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = IndexMap<String, TargetFile>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a map of target names to targets")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = IndexMap::new();
            while let Some(name) = map.next_key::<String>()? {
                if out.contains_key(&name) {
                    return Err(serde::de::Error::custom(format!(
                        "target `{name}` is defined twice"
                    )));
                }
                let target = map.next_value::<TargetFile>()?;
                out.insert(name, target);
            }
            Ok(out)
        }
    }
    deserializer.deserialize_map(Visitor)
}

fn default_branch() -> String {
    "main".to_owned()
}

/// One deployment target, as written.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetFile {
    /// What kind of deployment the target starts.
    pub kind: TargetKind,
    /// Ordered path patterns (GitHub Actions `paths` semantics): the last matching rule decides,
    /// and a rule starting with `!` excludes. Required, except for an `ecs-service` target with
    /// a `build` section or a `terraform` target with a `root`, which route by what the build
    /// reads or the root depends on (these rules add to it).
    #[serde(default)]
    pub paths: Vec<String>,
    /// `ecs-service` only: the image build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildFile>,
    /// `terraform` only: the root module directory. With it the target routes by the root's
    /// module graph (its files, the local modules it calls, the files they read) and `paths`
    /// becomes optional extra rules. Default: the fixed directory prefix of the first pattern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    /// `ecs-service` only: where the image is pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageFile>,
    /// `ecs-service` only: the cluster, service and container the image rolls out to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs: Option<EcsFile>,
    /// `ecs-service` only: the scan gate. Default: block at `HIGH`, wait up to `10m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan: Option<ScanFile>,
    /// `ecs-service` only: how the rollout is watched. Default: `15m` timeout, `5s` poll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutFile>,
    /// `terraform` only: the S3 state backend (bucket, key, region).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<StateFile>,
    /// `terraform` only: `-var-file`s, relative to the root.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub var_files: Vec<String>,
    /// `terraform` only: branches on which `deploy` applies. Default: the `default_branch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_on: Option<Vec<String>>,
    /// `terraform` only: the binary, `terraform` (1.10 or newer, the default) or `tofu`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary: Option<String>,
}

impl TargetFile {
    /// A target of `kind` with nothing else set.
    pub fn new(kind: TargetKind) -> TargetFile {
        TargetFile {
            kind,
            paths: Vec::new(),
            build: None,
            root: None,
            image: None,
            ecs: None,
            scan: None,
            rollout: None,
            state: None,
            var_files: Vec::new(),
            apply_on: None,
            binary: None,
        }
    }
}

/// The image build of an `ecs-service` target. With this section the target is changed by what
/// the build reads: the Dockerfile, the `.dockerignore`, and the context files that an
/// instruction copies and `.dockerignore` keeps in.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BuildFile {
    /// The build context directory. Default: the Dockerfile's folder, else the fixed directory
    /// prefix of the first pattern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The Dockerfile. Default: `<context>/Dockerfile`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<String>,
    /// Build arguments (`--build-arg NAME=value`): the values `ARG`s take when routing reads the
    /// Dockerfile, as the build will.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub args: std::collections::BTreeMap<String, String>,
    /// The container CLI that builds and pushes: `docker` (default) or `podman`; both take the
    /// same arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cli: Option<String>,
    /// The stage to build (`--target`) in a Dockerfile with several final stages. Default: the
    /// last stage. Only the stages it reaches read files that route the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// The kinds of deployment a target can start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// Build an image, push it to ECR and roll it out on an ECS service.
    EcsService,
    /// Plan and apply a Terraform root.
    Terraform,
    /// Routing only: quest-changes reports the target; the pipeline decides what to run.
    Custom,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::EcsService => "ecs-service",
            TargetKind::Terraform => "terraform",
            TargetKind::Custom => "custom",
        }
    }
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where it came from: a file, or `<discovered from the repository layout>`.
    pub source: PathBuf,
    /// The file as written (normalised), for `quest-changes config`.
    pub file: ConfigFile,
    pub default_branch: String,
    pub targets: IndexMap<String, Target>,
}

/// A validated target.
#[derive(Debug, Clone)]
pub struct Target {
    pub kind: TargetKind,
    pub rules: Vec<Rule>,
    pub settings: TargetSettings,
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

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read(path).map_err(Error::io("read the configuration", path))?;
        let text = String::from_utf8(text).map_err(|_| Error::Config {
            file: path.to_owned(),
            location: None,
            message: "the file is not valid UTF-8".into(),
        })?;
        Config::parse(&text, path)
    }

    /// Finds the configuration: `explicit` if given, else the first candidate file in `root`;
    /// `None` when there is neither (the caller discovers targets from the layout).
    pub fn discover(explicit: Option<&Path>, root: Option<&Path>) -> Result<Option<Config>, Error> {
        if let Some(path) = explicit {
            return Config::load(path).map(Some);
        }
        if let Some(root) = root {
            for name in CANDIDATES {
                let candidate = root.join(name);
                if candidate.is_file() {
                    return Config::load(&candidate).map(Some);
                }
            }
        }
        Ok(None)
    }

    /// Parses and validates YAML text; `source` names it in errors.
    pub fn parse(text: &str, source: &Path) -> Result<Config, Error> {
        if text.lines().skip(1).any(|l| l.trim_end() == "---") {
            return Err(Error::Config {
                file: source.to_owned(),
                location: None,
                message: "the file holds several YAML documents (`---`); it must hold one".into(),
            });
        }
        if text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            return Err(Error::Config {
                file: source.to_owned(),
                location: None,
                message: "the file is empty; it needs at least `version` and `targets`".into(),
            });
        }
        let file: ConfigFile = serde_yaml::from_str(text).map_err(|e| {
            let mut error = yaml_error(&e, source);
            // The parser places a repeated target at the mapping; the second one is the news.
            if let Error::Config {
                location, message, ..
            } = &mut error
            {
                if let Some(name) = message
                    .strip_prefix("targets: target `")
                    .and_then(|rest| rest.strip_suffix("` is defined twice"))
                {
                    if let Some(second) = repeated_target_line(text, name) {
                        *location = Some(second);
                    }
                }
            }
            error
        })?;
        validate(file, source)
    }
}

/// Where target `name` is written the second time in the block mapping under `targets:`, if
/// it is written in block style.
fn repeated_target_line(text: &str, name: &str) -> Option<Location> {
    let mut lines = text.lines().enumerate().skip_while(|(_, l)| {
        !(l.starts_with("targets:") && l["targets:".len()..].trim().is_empty())
    });
    lines.next()?;
    let mut indent = None;
    let mut seen = 0;
    for (number, line) in lines {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let here = line.len() - trimmed.len();
        if here == 0 {
            break;
        }
        let indent = *indent.get_or_insert(here);
        if here != indent {
            continue;
        }
        let key = trimmed.split(':').next().unwrap_or("").trim();
        let key = key.trim_matches(|c| c == '"' || c == '\'');
        if key == name {
            seen += 1;
            if seen == 2 {
                return Some(Location {
                    line: number + 1,
                    column: indent + 1,
                });
            }
        }
    }
    None
}

fn yaml_error(e: &serde_yaml::Error, source: &Path) -> Error {
    let location = e.location().map(|l| Location {
        line: l.line(),
        column: l.column(),
    });
    // The parser writes its own " at line L column C"; the location is printed up front.
    let mut message = strip_positions(&e.to_string());
    if message.is_empty() || message == "EOF while parsing a value" {
        message = "the file is empty; it needs at least `version` and `targets`".into();
    }
    Error::Config {
        file: source.to_owned(),
        location,
        message,
    }
}

/// Removes every " at line L column C" (and " at position P") from a parser message.
fn strip_positions(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(" at ") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 4..];
        let skip = position_len(tail);
        if skip == 0 {
            out.push_str(" at ");
        }
        rest = &tail[skip..];
    }
    out.push_str(rest);
    out
}

/// The length of a leading "line L column C" or "position P", else 0.
fn position_len(text: &str) -> usize {
    let number = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    if let Some(after) = text.strip_prefix("line ") {
        let n = number(after);
        if n > 0 {
            if let Some(col) = after[n..].strip_prefix(" column ") {
                let m = number(col);
                if m > 0 {
                    return "line ".len() + n + " column ".len() + m;
                }
            }
        }
    } else if let Some(after) = text.strip_prefix("position ") {
        let n = number(after);
        if n > 0 {
            return "position ".len() + n;
        }
    }
    0
}

fn validate(file: ConfigFile, source: &Path) -> Result<Config, Error> {
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
        let routes_by_inputs = (target.kind == TargetKind::EcsService && target.build.is_some())
            || (target.kind == TargetKind::Terraform && target.root.is_some());
        if target.paths.is_empty() && !routes_by_inputs {
            return Err(fail(format!(
                "targets.{name}.paths: at least one pattern is required"
            )));
        }
        let mut rules = Vec::with_capacity(target.paths.len());
        for (i, pattern) in target.paths.iter().enumerate() {
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
        targets.insert(
            name.clone(),
            Target {
                kind: target.kind,
                rules,
                settings,
            },
        );
    }
    for (name, target) in &targets {
        let TargetSettings::EcsService { deploy, .. } = &target.settings else {
            continue;
        };
        if let Some(from) = deploy.ecs.as_ref().and_then(|e| e.from.as_ref()) {
            match targets.get(from).map(|t: &Target| t.kind) {
                Some(TargetKind::Terraform) => {}
                Some(kind) => {
                    return Err(fail(format!(
                        "targets.{name}.ecs.from: `{from}` is a {} target; it must be a terraform target",
                        kind.as_str()
                    )))
                }
                None => {
                    return Err(fail(format!(
                        "targets.{name}.ecs.from: there is no target `{from}`"
                    )))
                }
            }
        }
    }
    Ok(Config {
        source: source.to_owned(),
        default_branch: file.default_branch.clone(),
        file,
        targets,
    })
}

fn settings_for(
    name: &str,
    target: &TargetFile,
    default_branch: &str,
    fail: &dyn Fn(String) -> Error,
) -> Result<TargetSettings, Error> {
    let prefix = || fixed_prefix(target.paths.iter().find(|p| !p.starts_with('!')));
    match target.kind {
        TargetKind::EcsService => {
            if target.root.is_some() {
                return Err(fail(format!(
                    "targets.{name}.root: only `terraform` targets have a root"
                )));
            }
            let analyze_build = target.build.is_some();
            if let Some(key) = terraform_key(target) {
                return Err(fail(format!(
                    "targets.{name}.{key}: only `terraform` targets have `{key}`"
                )));
            }
            let build = target.build.clone().unwrap_or(BuildFile {
                context: None,
                dockerfile: None,
                args: Default::default(),
                cli: None,
                target: None,
            });
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
        TargetKind::Terraform => {
            if target.build.is_some() {
                return Err(fail(format!(
                    "targets.{name}.build: only `ecs-service` targets have a build"
                )));
            }
            if let Some(key) = service_key(target) {
                return Err(fail(format!(
                    "targets.{name}.{key}: only `ecs-service` targets have `{key}`"
                )));
            }
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
        TargetKind::Custom => {
            if target.build.is_some()
                || target.root.is_some()
                || service_key(target).is_some()
                || terraform_key(target).is_some()
            {
                return Err(fail(format!(
                    "targets.{name}: `custom` targets take only `kind` and `paths`"
                )));
            }
            Ok(TargetSettings::Custom)
        }
    }
}

/// The first `ecs-service`-only deployment key the target sets.
fn service_key(target: &TargetFile) -> Option<&'static str> {
    [
        ("image", target.image.is_some()),
        ("ecs", target.ecs.is_some()),
        ("scan", target.scan.is_some()),
        ("rollout", target.rollout.is_some()),
    ]
    .into_iter()
    .find_map(|(key, set)| set.then_some(key))
}

/// The first `terraform`-only deployment key the target sets.
fn terraform_key(target: &TargetFile) -> Option<&'static str> {
    [
        ("state", target.state.is_some()),
        ("var_files", !target.var_files.is_empty()),
        ("apply_on", target.apply_on.is_some()),
        ("binary", target.binary.is_some()),
    ]
    .into_iter()
    .find_map(|(key, set)| set.then_some(key))
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
    target: &TargetFile,
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
    target: &TargetFile,
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
        match config.targets.get(name).map(|t| &t.settings) {
            Some(TargetSettings::EcsService {
                context,
                dockerfile,
                deploy,
                ..
            }) => {
                let mut build = target.build.clone().unwrap_or(BuildFile {
                    context: None,
                    dockerfile: None,
                    args: Default::default(),
                    cli: None,
                    target: None,
                });
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
            Some(TargetSettings::Terraform { root, deploy, .. }) => {
                target.root = Some(root.clone());
                target.apply_on = Some(deploy.apply_on.clone());
                target.binary = Some(deploy.binary.clone());
            }
            Some(TargetSettings::Custom) | None => {}
        }
    }
    file
}

/// The effective configuration as YAML, with a comment naming where it came from.
pub fn to_yaml(config: &Config) -> String {
    let body = serde_yaml::to_string(&effective(config)).unwrap_or_default();
    format!(
        "# effective configuration from {}\n{body}",
        crate::path::one_line(&config.source.display().to_string())
    )
}

/// The effective configuration as JSON.
pub fn to_json(config: &Config) -> String {
    let mut out = serde_json::to_string_pretty(&effective(config)).unwrap_or_default();
    out.push('\n');
    out
}
