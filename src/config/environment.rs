//! Environments in `.quest-changes.yml`: the top-level `environments:` map (a name, the
//! branches that deploy to it, its region, how its credentials are found, whether promotion
//! into it needs an approval) and each target's per-environment values (`targets.<t>.
//! environments.<env>`), as written and validated. Nothing here deploys: a target's settings
//! for one environment are its own keys with that environment's values merged over them, and
//! `validate` checks the merged target as it checks any other.
//!
//! A configuration without `environments:` has none of this: every target keeps its own
//! settings, exactly as before environments existed.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::deploy::{EcsFile, StateFile};
use super::file::{ServiceTargetFile, TerraformTargetFile};
use crate::error::Error;

/// `environments.<name>`: one environment, as written.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentFile {
    /// The branches whose pushes deploy here automatically. A deployment from any other branch
    /// is refused (exit 12); an environment with no branches is reached only by promotion.
    #[serde(default)]
    pub branches: Vec<String>,
    /// The AWS region of the environment's ECS and ECR clients, like `eu-west-1`.
    pub region: String,
    /// How the environment's AWS credentials are found. Default: the CI's own (the standard
    /// chain: environment variables, profile, web identity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<CredentialsFile>,
    /// Promotion into this environment waits for an approval in the pipeline.
    #[serde(default)]
    pub approval: bool,
}

/// `environments.<name>.credentials`: exactly one of `role_arn` and `ci_context`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialsFile {
    /// A role that quest-changes assumes (with STS, from the CI's own credentials) before it
    /// builds its AWS clients for this environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// The CI's name for what provides this environment's credentials: a CircleCI context or a
    /// GitHub environment (with its OIDC role). quest-changes uses the credentials the job has;
    /// the name tells the pipeline (and a reader) which job setting must provide them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_context: Option<String>,
    /// A role in this environment's account that a job of another environment assumes to read
    /// what runs here: a promotion out of this environment (`promote --from`), run in the
    /// destination's job, reads this environment's service and repository with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_role_arn: Option<String>,
}

/// `targets.<t>.environments.<env>` of an `ecs-service` target: values merged over the
/// target's own, key by key.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceEnvironmentFile {
    /// The cluster, service, container or `from` of this environment; each key given replaces
    /// the target's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs: Option<EcsFile>,
}

/// `targets.<t>.environments.<env>` of a `terraform` target: values merged over the target's
/// own.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TerraformEnvironmentFile {
    /// This environment's root module directory, when it has its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    /// The state backend's keys for this environment (usually `key`); each key given replaces
    /// the target's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<StateOverrideFile>,
    /// This environment's `-var-file`s, relative to the root; they replace the target's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub var_files: Option<Vec<String>>,
}

/// `state` under an environment: any of the backend's keys.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateOverrideFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// The keys any kind's environment values may have, as read before the target's kind is
/// known; `file` splits them by kind and refuses the others.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AnyEnvironmentFile {
    #[serde(default)]
    pub ecs: Option<EcsFile>,
    #[serde(default)]
    pub root: Option<String>,
    #[serde(default)]
    pub state: Option<StateOverrideFile>,
    #[serde(default)]
    pub var_files: Option<Vec<String>>,
}

impl AnyEnvironmentFile {
    /// The first key set that only a terraform target takes.
    pub(crate) fn terraform_key(&self) -> Option<&'static str> {
        [
            ("root", self.root.is_some()),
            ("state", self.state.is_some()),
            ("var_files", self.var_files.is_some()),
        ]
        .into_iter()
        .find_map(|(k, set)| set.then_some(k))
    }

    pub(crate) fn service(self) -> ServiceEnvironmentFile {
        ServiceEnvironmentFile { ecs: self.ecs }
    }

    pub(crate) fn terraform(self) -> TerraformEnvironmentFile {
        TerraformEnvironmentFile {
            root: self.root,
            state: self.state,
            var_files: self.var_files,
        }
    }
}

/// A validated environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployEnvironment {
    pub name: String,
    /// The branches that deploy here; empty: only by promotion.
    pub branches: Vec<String>,
    pub region: String,
    pub credentials: Credentials,
    /// The role a promotion out of this environment assumes to read it
    /// (`credentials.read_role_arn`).
    pub read_role_arn: Option<String>,
    pub approval: bool,
}

/// How an environment's credentials are found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// The standard chain, as the job has them.
    Ambient,
    /// The standard chain, which the named CI context or GitHub environment provides.
    CiContext(String),
    /// A role to assume from the standard chain's credentials.
    RoleArn(String),
}

impl DeployEnvironment {
    /// The role to assume, if any.
    pub fn role_arn(&self) -> Option<&str> {
        match &self.credentials {
            Credentials::RoleArn(arn) => Some(arn),
            _ => None,
        }
    }

    /// This environment as a promotion out of it reads it: with its `read_role_arn` assumed
    /// when it has one, else as it is.
    pub fn for_reading(&self) -> DeployEnvironment {
        let mut reading = self.clone();
        if let Some(arn) = &self.read_role_arn {
            reading.credentials = Credentials::RoleArn(arn.clone());
        }
        reading
    }

    /// Whether a push of `branch` deploys here.
    pub fn deploys_from(&self, branch: &str) -> bool {
        self.branches.iter().any(|b| b == branch)
    }

    /// A few words for a dry run and a plan: `dev (region eu-west-1, branches main)`.
    pub fn describe(&self) -> String {
        let branches = if self.branches.is_empty() {
            "no branches: promotion only".to_owned()
        } else {
            format!("branches {}", self.branches.join(", "))
        };
        let credentials = match &self.credentials {
            Credentials::Ambient => String::new(),
            Credentials::CiContext(c) => format!(", credentials from CI context {c}"),
            Credentials::RoleArn(r) => format!(", role {r}"),
        };
        let approval = if self.approval { ", approval" } else { "" };
        format!(
            "{} (region {}, {branches}{credentials}{approval})",
            self.name, self.region
        )
    }
}

/// Validates `environments:`, each error naming its key path.
pub(super) fn validate_environments(
    environments: &IndexMap<String, EnvironmentFile>,
    valid_name: &dyn Fn(&str) -> bool,
    valid_branch: &dyn Fn(&str) -> bool,
    fail: &dyn Fn(String) -> Error,
) -> Result<IndexMap<String, DeployEnvironment>, Error> {
    let mut out = IndexMap::new();
    for (name, file) in environments {
        let key = format!("environments.{name}");
        if !valid_name(name) {
            return Err(fail(format!(
                "{key}: invalid environment name (use letters, digits, `-` and `_`)"
            )));
        }
        for (i, branch) in file.branches.iter().enumerate() {
            if !valid_branch(branch) {
                return Err(fail(format!(
                    "{key}.branches[{i}]: `{}` is not a valid branch name",
                    branch.escape_debug()
                )));
            }
            if file.branches[..i].contains(branch) {
                return Err(fail(format!(
                    "{key}.branches[{i}]: `{branch}` is listed twice"
                )));
            }
        }
        if !is_region(&file.region) {
            return Err(fail(format!(
                "{key}.region: `{}` is not an AWS region like `eu-west-1`",
                file.region.escape_debug()
            )));
        }
        let credentials = match &file.credentials {
            None => Credentials::Ambient,
            Some(CredentialsFile {
                role_arn: Some(_),
                ci_context: Some(_),
                ..
            }) => {
                return Err(fail(format!(
                    "{key}.credentials: give either `role_arn` or `ci_context`, not both"
                )))
            }
            Some(CredentialsFile {
                role_arn: None,
                ci_context: None,
                ..
            }) => {
                return Err(fail(format!(
                    "{key}.credentials: give `role_arn` (a role to assume) or `ci_context` (the CI context that provides them)"
                )))
            }
            Some(CredentialsFile {
                role_arn: Some(arn),
                ..
            }) => {
                if !is_role_arn(arn) {
                    return Err(fail(format!(
                        "{key}.credentials.role_arn: `{}` is not a role ARN like `arn:aws:iam::123456789012:role/deploy`",
                        arn.escape_debug()
                    )));
                }
                Credentials::RoleArn(arn.clone())
            }
            Some(CredentialsFile {
                ci_context: Some(context),
                ..
            }) => {
                if context.trim().is_empty() || context.chars().any(char::is_control) {
                    return Err(fail(format!(
                        "{key}.credentials.ci_context: must name a CI context"
                    )));
                }
                Credentials::CiContext(context.clone())
            }
        };
        let read_role_arn = file
            .credentials
            .as_ref()
            .and_then(|c| c.read_role_arn.clone());
        if let Some(arn) = &read_role_arn {
            if !is_role_arn(arn) {
                return Err(fail(format!(
                    "{key}.credentials.read_role_arn: `{}` is not a role ARN like `arn:aws:iam::123456789012:role/promotion-reader`",
                    arn.escape_debug()
                )));
            }
        }
        out.insert(
            name.clone(),
            DeployEnvironment {
                name: name.clone(),
                branches: file.branches.clone(),
                region: file.region.clone(),
                credentials,
                read_role_arn,
                approval: file.approval,
            },
        );
    }
    Ok(out)
}

/// An `ecs-service` target with environment values merged over its own: each `ecs` key given
/// replaces the target's.
pub(super) fn merge_service(
    target: &ServiceTargetFile,
    values: Option<&ServiceEnvironmentFile>,
) -> ServiceTargetFile {
    let mut merged = target.clone();
    merged.environments = IndexMap::new();
    if let Some(ecs) = values.and_then(|v| v.ecs.as_ref()) {
        let base = merged.ecs.take();
        let pick = |over: &Option<String>, base: Option<&Option<String>>| {
            over.clone().or_else(|| base.cloned().flatten())
        };
        merged.ecs = Some(EcsFile {
            cluster: pick(&ecs.cluster, base.as_ref().map(|b| &b.cluster)),
            service: pick(&ecs.service, base.as_ref().map(|b| &b.service)),
            container: pick(&ecs.container, base.as_ref().map(|b| &b.container)),
            from: pick(&ecs.from, base.as_ref().map(|b| &b.from)),
        });
    }
    merged
}

/// A `terraform` target with environment values merged over its own: `root` and `var_files`
/// replace the target's, each `state` key given replaces the target's. `key` names the
/// environment's values for an error about a `state` it leaves incomplete.
pub(super) fn merge_terraform(
    target: &TerraformTargetFile,
    values: Option<&TerraformEnvironmentFile>,
    key: &str,
    fail: &dyn Fn(String) -> Error,
) -> Result<TerraformTargetFile, Error> {
    let mut merged = target.clone();
    merged.environments = IndexMap::new();
    let Some(values) = values else {
        return Ok(merged);
    };
    if let Some(root) = &values.root {
        merged.root = Some(root.clone());
    }
    if let Some(var_files) = &values.var_files {
        merged.var_files.clone_from(var_files);
    }
    if let Some(state) = &values.state {
        let base = merged.state.take();
        let pick = |name: &str, over: &Option<String>, base: Option<&String>| {
            over.clone().or_else(|| base.cloned()).ok_or_else(|| {
                fail(format!(
                    "{key}.state.{name}: required, as the target has no `state` of its own"
                ))
            })
        };
        merged.state = Some(StateFile {
            bucket: pick("bucket", &state.bucket, base.as_ref().map(|b| &b.bucket))?,
            key: pick("key", &state.key, base.as_ref().map(|b| &b.key))?,
            region: pick("region", &state.region, base.as_ref().map(|b| &b.region))?,
        });
    }
    Ok(merged)
}

/// `eu-west-1`, `us-gov-west-1`, `ap-southeast-2`: letters in dashed groups, then a number.
fn is_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1]
            .parse::<u8>()
            .is_ok_and(|n| n > 0 && parts[parts.len() - 1].len() <= 2)
}

/// `arn:<partition>:iam::<12 digits>:role/<name>`.
fn is_role_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let [arn, partition, iam, region, account, resource] = parts.as_slice() else {
        return false;
    };
    *arn == "arn"
        && partition.starts_with("aws")
        && *iam == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && resource
            .strip_prefix("role/")
            .is_some_and(|r| !r.is_empty() && !r.chars().any(|c| c.is_whitespace()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_and_role_arns_have_their_shapes() {
        for ok in ["eu-west-1", "us-gov-west-1", "ap-southeast-2", "us-east-1"] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in [
            "",
            "eu",
            "eu-west",
            "EU-west-1",
            "eu-west-x",
            "eu--1",
            "eu-west-100",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
        assert!(is_role_arn("arn:aws:iam::123456789012:role/deploy"));
        assert!(is_role_arn(
            "arn:aws-us-gov:iam::123456789012:role/ci/deploy"
        ));
        for bad in [
            "arn:aws:iam::12345678901:role/x",
            "arn:aws:iam::123456789012:user/x",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:sts::123456789012:role/x",
            "role/x",
        ] {
            assert!(!is_role_arn(bad), "{bad}");
        }
    }

    #[test]
    fn an_environment_describes_itself_in_one_line() {
        let env = DeployEnvironment {
            name: "prod".into(),
            branches: Vec::new(),
            region: "eu-west-1".into(),
            credentials: Credentials::CiContext("aws-prod".into()),
            read_role_arn: None,
            approval: true,
        };
        assert_eq!(
            env.describe(),
            "prod (region eu-west-1, no branches: promotion only, credentials from CI context aws-prod, approval)"
        );
        assert!(!env.deploys_from("main"));
    }
}
