//! The marker of a root's last successful apply: `<state key>.quest-changes.json` beside the
//! state in the state bucket, with the commit, the time (RFC 3339, UTC), the plan's hash and
//! the summary's counts. `--since deployed` starts a terraform target's range at its commit.
//!
//! Written only after an apply succeeded, so a failed apply leaves the previous marker and the
//! next push plans the same changes again. It holds counts only, never an address or a value.

use aws_smithy_types::date_time::{DateTime, Format as DateTimeFormat};
use serde::{Deserialize, Serialize};

use crate::aws::Aws;
use crate::config::StateFile;
use crate::deploy::plan_summary::PlanSummary;
use crate::error::Result;

use super::s3::S3;

/// What the marker records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    /// The full SHA of the commit applied.
    pub commit: String,
    /// When the apply finished, RFC 3339 in UTC.
    pub time: String,
    /// `sha256:<hex>` of the plan file applied.
    pub plan_sha256: String,
    pub summary: Counts,
}

/// The summary's counts, like Terraform's "Plan:" line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    pub forget: usize,
}

impl Marker {
    /// A marker for `commit`, stamped now.
    pub fn now(commit: &str, plan_sha256: &str, summary: &PlanSummary) -> Marker {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let time = DateTime::from_secs(i64::try_from(secs).unwrap_or(i64::MAX))
            .fmt(DateTimeFormat::DateTime)
            .unwrap_or_default();
        Marker {
            commit: commit.to_owned(),
            time,
            plan_sha256: plan_sha256.to_owned(),
            summary: Counts {
                add: summary.to_add(),
                change: summary.to_change(),
                destroy: summary.to_destroy(),
                forget: summary.to_forget(),
            },
        }
    }
}

/// The object key of the marker of `state`.
pub fn key(state: &StateFile) -> String {
    format!("{}.quest-changes.json", state.key)
}

/// Writes the marker beside the state.
pub async fn write(aws: &Aws, state: &StateFile, marker: &Marker) -> Result<()> {
    let body = serde_json::to_vec_pretty(marker).unwrap_or_default();
    let action = format!(
        "write the deployment marker `{}` in bucket `{}`",
        crate::text::one_line(&key(state)),
        crate::text::one_line(&state.bucket)
    );
    S3::new(aws)
        .write_json(&state.bucket, &key(state), body, action)
        .await
}

/// Reads the marker; `None` when the root was never applied by quest-changes.
pub async fn read(aws: &Aws, state: &StateFile) -> Result<Option<Marker>> {
    S3::new(aws)
        .read_json(
            &state.bucket,
            &key(state),
            "the deployment marker",
            "it is not a marker quest-changes wrote",
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_carries_counts_and_a_utc_time() {
        let summary = PlanSummary::from_json(
            r#"{"format_version": "1.2", "resource_changes": [{"address": "a.b", "change": {"actions": ["delete", "create"]}}]}"#,
        )
        .unwrap();
        let marker = Marker::now("abc", "sha256:00", &summary);
        assert_eq!(
            marker.summary,
            Counts {
                add: 1,
                change: 0,
                destroy: 1,
                forget: 0
            }
        );
        assert!(
            marker.time.ends_with('Z') && marker.time.len() == 20,
            "{}",
            marker.time
        );
        let state = StateFile {
            bucket: "b".into(),
            key: "prod/terraform.tfstate".into(),
            region: "us-east-1".into(),
        };
        assert_eq!(key(&state), "prod/terraform.tfstate.quest-changes.json");
    }
}
