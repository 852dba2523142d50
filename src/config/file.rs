//! `.quest-changes.yml` as written: the serde types the file parses into and the JSON Schema is
//! generated from. Nothing here checks what types cannot say (`validate` does).
//!
//! A target is a [`TargetFile`] tagged by its `kind`, so each kind has exactly its own keys.
//! Parsing reads each key with its type as it comes (a wrong type or an unknown key is reported
//! at its line and column, under its key path); a key that only another kind takes is refused
//! once the kind is known, by a message `load` words as `targets.<name>.<key>: only ...`.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::deploy::{EcsFile, ImageFile, RolloutFile, ScanFile, StateFile};
use super::environment::{
    AnyEnvironmentFile, EnvironmentFile, ServiceEnvironmentFile, TerraformEnvironmentFile,
};

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
    /// The environments a target deploys to, by name (letters, digits, `-` and `_`). Without
    /// them each target deploys to the one place its own keys name.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub environments: IndexMap<String, EnvironmentFile>,
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

/// One deployment target, as written: its `kind` and the keys that kind takes.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TargetFile {
    /// Build an image, push it to ECR and roll it out on an ECS service. (Boxed: by far the
    /// largest.)
    EcsService(Box<ServiceTargetFile>),
    /// Plan and apply a Terraform root. (Boxed: with its environments, as large.)
    Terraform(Box<TerraformTargetFile>),
    /// Routing only: quest-changes reports the target; the pipeline decides what to run.
    Custom(CustomTargetFile),
}

/// An `ecs-service` target.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceTargetFile {
    /// Ordered path patterns (GitHub Actions `paths` semantics): the last matching rule decides,
    /// and a rule starting with `!` excludes. Required without a `build` section, which routes
    /// by what the build reads (these rules add to it).
    #[serde(default)]
    pub paths: Vec<String>,
    /// The image build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildFile>,
    /// Where the image is pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageFile>,
    /// The cluster, service and container the image rolls out to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs: Option<EcsFile>,
    /// The scan gate. Default: block at `HIGH`, wait up to `10m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan: Option<ScanFile>,
    /// How the rollout is watched. Default: `15m` timeout, `5s` poll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutFile>,
    /// Per-environment values, by a name declared under the top-level `environments`, merged
    /// over the target's own when `--env` names that environment.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub environments: IndexMap<String, ServiceEnvironmentFile>,
}

/// A `terraform` target.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TerraformTargetFile {
    /// Ordered path patterns (GitHub Actions `paths` semantics): the last matching rule decides,
    /// and a rule starting with `!` excludes. Required without a `root`, which routes by what
    /// the root depends on (these rules add to it).
    #[serde(default)]
    pub paths: Vec<String>,
    /// The root module directory. With it the target routes by the root's module graph (its
    /// files, the local modules it calls, the files they read) and `paths` becomes optional
    /// extra rules. Default: the fixed directory prefix of the first pattern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    /// The S3 state backend (bucket, key, region).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<StateFile>,
    /// `-var-file`s, relative to the root.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub var_files: Vec<String>,
    /// Branches on which `deploy` applies. Default: the `default_branch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_on: Option<Vec<String>>,
    /// The binary, `terraform` (1.10 or newer, the default) or `tofu`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary: Option<String>,
    /// Per-environment values, by a name declared under the top-level `environments`, merged
    /// over the target's own when `--env` names that environment.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub environments: IndexMap<String, TerraformEnvironmentFile>,
}

/// A `custom` target: routing only.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomTargetFile {
    /// Ordered path patterns (GitHub Actions `paths` semantics): the last matching rule decides,
    /// and a rule starting with `!` excludes. Required.
    #[serde(default)]
    pub paths: Vec<String>,
}

impl TargetFile {
    /// What kind of deployment the target starts.
    pub fn kind(&self) -> TargetKind {
        match self {
            TargetFile::EcsService(_) => TargetKind::EcsService,
            TargetFile::Terraform(_) => TargetKind::Terraform,
            TargetFile::Custom(_) => TargetKind::Custom,
        }
    }

    /// The path patterns, as written.
    pub fn paths(&self) -> &[String] {
        match self {
            TargetFile::EcsService(t) => &t.paths,
            TargetFile::Terraform(t) => &t.paths,
            TargetFile::Custom(t) => &t.paths,
        }
    }

    /// The `root` of a `terraform` target.
    pub fn root(&self) -> Option<&str> {
        match self {
            TargetFile::Terraform(t) => t.root.as_deref(),
            _ => None,
        }
    }

    /// The `build` section of an `ecs-service` target.
    pub fn build(&self) -> Option<&BuildFile> {
        match self {
            TargetFile::EcsService(t) => t.build.as_ref(),
            _ => None,
        }
    }
}

/// The image build of an `ecs-service` target. With this section the target is changed by what
/// the build reads: the Dockerfile, the `.dockerignore`, and the context files that an
/// instruction copies and `.dockerignore` keeps in.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
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

/// Separates the key from the sentence in the parse error of a key on the wrong kind, so that
/// `load` can word it as `targets.<name>.<key>: <sentence>` (the parser puts its own path in
/// front, `targets.<name>: `).
pub(crate) const WRONG_KIND: char = '\u{1f}';

/// Every key of a target, of any kind, in the order the error for an unknown one lists them.
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum Key {
    Kind,
    Paths,
    Build,
    Root,
    Image,
    Ecs,
    Scan,
    Rollout,
    State,
    VarFiles,
    ApplyOn,
    Binary,
    Environments,
}

impl Key {
    fn name(&self) -> &'static str {
        match self {
            Key::Kind => "kind",
            Key::Paths => "paths",
            Key::Build => "build",
            Key::Root => "root",
            Key::Image => "image",
            Key::Ecs => "ecs",
            Key::Scan => "scan",
            Key::Rollout => "rollout",
            Key::State => "state",
            Key::VarFiles => "var_files",
            Key::ApplyOn => "apply_on",
            Key::Binary => "binary",
            Key::Environments => "environments",
        }
    }
}

/// A target's keys as read, before its kind decides which it may have.
#[derive(Default)]
struct Keys {
    kind: Option<TargetKind>,
    paths: Option<Vec<String>>,
    build: Option<BuildFile>,
    root: Option<String>,
    image: Option<ImageFile>,
    ecs: Option<EcsFile>,
    scan: Option<ScanFile>,
    rollout: Option<RolloutFile>,
    state: Option<StateFile>,
    var_files: Option<Vec<String>>,
    apply_on: Option<Vec<String>>,
    binary: Option<String>,
    environments: Option<IndexMap<String, AnyEnvironmentFile>>,
}

impl Keys {
    /// The keys set that `kind` does not take, in the order they are checked.
    fn foreign(&self, kind: TargetKind) -> Option<(String, String)> {
        let service = [
            ("image", self.image.is_some()),
            ("ecs", self.ecs.is_some()),
            ("scan", self.scan.is_some()),
            ("rollout", self.rollout.is_some()),
        ];
        let terraform = [
            ("state", self.state.is_some()),
            // An empty list says nothing, as it did when every kind had the key.
            (
                "var_files",
                self.var_files.as_ref().is_some_and(|v| !v.is_empty()),
            ),
            ("apply_on", self.apply_on.is_some()),
            ("binary", self.binary.is_some()),
        ];
        let first = |keys: &[(&'static str, bool)]| keys.iter().find(|(_, set)| *set).map(|k| k.0);
        let environments = self.environments.iter().flatten();
        match kind {
            TargetKind::EcsService => {
                for (env, values) in environments {
                    if let Some(key) = values.terraform_key() {
                        return Some((
                            format!("environments.{env}.{key}"),
                            format!("only `terraform` targets have `{key}`"),
                        ));
                    }
                }
                if self.root.is_some() {
                    return Some(("root".into(), "only `terraform` targets have a root".into()));
                }
                first(&terraform)
                    .map(|key| (key.into(), format!("only `terraform` targets have `{key}`")))
            }
            TargetKind::Terraform => {
                for (env, values) in environments {
                    if values.ecs.is_some() {
                        return Some((
                            format!("environments.{env}.ecs"),
                            "only `ecs-service` targets have `ecs`".into(),
                        ));
                    }
                }
                if self.build.is_some() {
                    return Some((
                        "build".into(),
                        "only `ecs-service` targets have a build".into(),
                    ));
                }
                first(&service).map(|key| {
                    (
                        key.into(),
                        format!("only `ecs-service` targets have `{key}`"),
                    )
                })
            }
            TargetKind::Custom => {
                let any = self.build.is_some()
                    || self.environments.is_some()
                    || self.root.is_some()
                    || first(&service).is_some()
                    || first(&terraform).is_some();
                any.then(|| {
                    (
                        String::new(),
                        "`custom` targets take only `kind` and `paths`".into(),
                    )
                })
            }
        }
    }
}

impl<'de> Deserialize<'de> for TargetFile {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = TargetFile;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a target: a map with `kind` and the keys of that kind")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<TargetFile, A::Error> {
                use serde::de::Error as _;
                let mut keys = Keys::default();
                while let Some(key) = map.next_key::<Key>()? {
                    macro_rules! read {
                        ($field:ident) => {{
                            if keys.$field.is_some() {
                                return Err(A::Error::duplicate_field(key.name()));
                            }
                            keys.$field = Some(map.next_value()?);
                        }};
                    }
                    match key {
                        Key::Kind => read!(kind),
                        Key::Paths => read!(paths),
                        Key::Build => read!(build),
                        Key::Root => read!(root),
                        Key::Image => read!(image),
                        Key::Ecs => read!(ecs),
                        Key::Scan => read!(scan),
                        Key::Rollout => read!(rollout),
                        Key::State => read!(state),
                        Key::VarFiles => read!(var_files),
                        Key::ApplyOn => read!(apply_on),
                        Key::Binary => read!(binary),
                        Key::Environments => read!(environments),
                    }
                }
                let kind = keys.kind.ok_or_else(|| A::Error::missing_field("kind"))?;
                if let Some((key, sentence)) = keys.foreign(kind) {
                    return Err(A::Error::custom(format!(
                        "{WRONG_KIND}{key}{WRONG_KIND}{sentence}"
                    )));
                }
                let paths = keys.paths.unwrap_or_default();
                let environments = keys.environments.unwrap_or_default().into_iter();
                Ok(match kind {
                    TargetKind::EcsService => TargetFile::EcsService(Box::new(ServiceTargetFile {
                        paths,
                        build: keys.build,
                        image: keys.image,
                        ecs: keys.ecs,
                        scan: keys.scan,
                        rollout: keys.rollout,
                        environments: environments.map(|(n, v)| (n, v.service())).collect(),
                    })),
                    TargetKind::Terraform => TargetFile::Terraform(Box::new(TerraformTargetFile {
                        paths,
                        root: keys.root,
                        state: keys.state,
                        var_files: keys.var_files.unwrap_or_default(),
                        apply_on: keys.apply_on,
                        binary: keys.binary,
                        environments: environments.map(|(n, v)| (n, v.terraform())).collect(),
                    })),
                    TargetKind::Custom => TargetFile::Custom(CustomTargetFile { paths }),
                })
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}
