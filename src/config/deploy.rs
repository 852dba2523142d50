//! The deployment sections of a target in `.quest-changes.yml`: as written (`*File`, serde and
//! JSON Schema) and validated (plain types the engines run from).
//!
//! `ecs-service` targets take `image`, `ecs`, `scan` and `rollout` (and `build.cli`); `terraform`
//! targets take `state`, `var_files`, `apply_on` and `binary`. Every section is optional for
//! routing: a target without `image`/`ecs` (or `state`) still routes, and `deploy` says which
//! section it is missing.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Defaults of the deployment sections, as written in a file (and as `config` prints them).
pub(crate) const DEFAULT_SCAN_TIMEOUT: &str = "10m";
pub(crate) const DEFAULT_ROLLOUT_TIMEOUT: &str = "15m";
pub(crate) const DEFAULT_ROLLOUT_POLL: &str = "5s";

/// `image`: where the service image goes.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageFile {
    /// The ECR repository name; its URI comes from the ECR API, never assembled by hand.
    /// Optional with `ecs.from`, whose outputs give `ecr_repository_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// Push to this registry host (`host[:port]`) instead of the ECR repository's own, for
    /// registries other than ECR. Tags and digests are still looked up in ECR.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// The build platform. Default: `linux/amd64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Tags pushed besides the full commit SHA, which is always the primary tag.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_tags: Vec<String>,
}

/// `ecs`: the service whose container image is replaced. Either all of `cluster`, `service` and
/// `container`, or `from`, a `terraform` target whose outputs `cluster_name`, `service_name`,
/// `container_name` (and `ecr_repository_name`, when `image.repository` is not given) name them.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EcsFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The container of the task definition whose image is replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// A `terraform` target whose outputs give the values not written here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// `scan`: the gate on the pushed image's scan findings.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanFile {
    /// The lowest severity that blocks. `NONE` blocks nothing (the verdict is still printed).
    /// Default: `HIGH`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_on: Option<Severity>,
    /// How long to wait for the scan, like `10m`, `90s`. Default: `10m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Findings that may pass, each with a reason and an expiry date.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<AllowFile>,
}

/// One allowed finding.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowFile {
    /// The finding id, such as `CVE-2024-0000`.
    pub id: String,
    /// Why it may pass.
    pub reason: String,
    /// The last day (`YYYY-MM-DD`, UTC) it may pass.
    pub expires: String,
}

/// `rollout`: how the rollout is watched.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RolloutFile {
    /// Give up and roll back after this long, like `15m`. Default: `15m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// How often to look, like `5s`. Default: `5s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<String>,
}

/// `state`: the Terraform S3 backend, one value for bootstrap, init and CI.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StateFile {
    pub bucket: String,
    pub key: String,
    pub region: String,
}

/// Severities, lowest first. `NONE` is below every finding's severity and blocks nothing.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    None,
    Low,
    Medium,
    High,
    Critical,
}

/// The validated deployment settings of an `ecs-service` target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDeploy {
    /// The container CLI: `docker` (default) or `podman`.
    pub cli: String,
    pub image: Option<ImageSettings>,
    pub ecs: Option<EcsSettings>,
    pub scan: ScanSettings,
    pub rollout: RolloutSettings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSettings {
    /// `None` when it comes from `ecs.from`'s outputs.
    pub repository: Option<String>,
    pub registry: Option<String>,
    pub platform: String,
    pub extra_tags: Vec<String>,
}

/// Where the ECS names come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsSettings {
    pub cluster: Option<String>,
    pub service: Option<String>,
    pub container: Option<String>,
    /// A terraform target whose outputs fill what is `None` above.
    pub from: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanSettings {
    pub fail_on: Severity,
    pub timeout: Duration,
    pub allow: Vec<Allow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allow {
    pub id: String,
    pub reason: String,
    /// `YYYY-MM-DD`, validated.
    pub expires: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutSettings {
    pub timeout: Duration,
    pub poll: Duration,
}

/// The validated deployment settings of a `terraform` target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerraformDeploy {
    pub state: Option<StateFile>,
    /// Relative to the root, as Terraform takes them.
    pub var_files: Vec<String>,
    /// Branches on which apply is allowed.
    pub apply_on: Vec<String>,
    /// `terraform` or `tofu` (or a path to either).
    pub binary: String,
}

/// Parses a duration like `90s`, `10m`, `1h30m`, `500ms`. A bare number is refused: the unit
/// is never guessed.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("a duration is empty; write it like `90s` or `10m`".into());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!(
                "`{text}` is not a duration; write it like `90s`, `10m` or `1h30m`"
            ));
        }
        let value: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{text}` is too long a duration"))?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let part = match unit {
            "ms" => Duration::from_millis(value),
            "s" => Duration::from_secs(value),
            "m" => Duration::from_secs(value.saturating_mul(60)),
            "h" => Duration::from_secs(value.saturating_mul(3600)),
            "" => {
                return Err(format!(
                    "`{text}` has no unit; write it like `90s` or `10m`"
                ))
            }
            other => {
                return Err(format!(
                    "`{text}` has an unknown unit `{other}` (use ms, s, m or h)"
                ))
            }
        };
        total = total.saturating_add(part);
    }
    Ok(total)
}

/// Checks a `YYYY-MM-DD` date (the calendar, not only the shape).
pub fn valid_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_units_and_add_up() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("10").unwrap_err().contains("no unit"));
        assert!(parse_duration("5d")
            .unwrap_err()
            .contains("unknown unit `d`"));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("m5").is_err());
    }

    #[test]
    fn dates_follow_the_calendar() {
        assert!(valid_date("2027-01-31"));
        assert!(valid_date("2028-02-29"));
        assert!(!valid_date("2027-02-29"));
        assert!(!valid_date("2027-13-01"));
        assert!(!valid_date("27-01-01"));
        assert!(!valid_date("2027-1-1"));
    }

    #[test]
    fn severities_order_from_none_to_critical() {
        assert!(Severity::None < Severity::Low);
        assert!(Severity::High < Severity::Critical);
        let parsed: Severity = serde_yaml::from_str("HIGH").unwrap();
        assert_eq!(parsed, Severity::High);
    }
}
