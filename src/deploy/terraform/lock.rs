//! A held state lock, explained: the S3 backend's lock object `<state key>.tflock` (written by
//! `use_lockfile`) names who holds it, since when and for what. quest-changes only reads it:
//! it never force-unlocks, which could let two applies write one state.

use serde::Deserialize;

use crate::aws::Aws;
use crate::config::StateFile;
use crate::error::{Error, Result};

/// The fields of Terraform's lock info that say who holds the lock.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct LockInfo {
    #[serde(rename = "ID", default)]
    pub id: String,
    #[serde(rename = "Who", default)]
    pub who: String,
    #[serde(rename = "Created", default)]
    pub created: String,
    #[serde(rename = "Operation", default)]
    pub operation: String,
}

/// The object key of the lock of `state`.
pub fn key(state: &StateFile) -> String {
    format!("{}.tflock", state.key)
}

/// The error for a held lock of `target`, from the lock object (or what can be said without it).
pub async fn held(aws: &Aws, target: &str, state: &StateFile) -> Error {
    let info = read(aws, state).await;
    let unknown = |what: &str| format!("an unknown holder ({what})");
    let (holder, since, id) = match info {
        Ok(Some(info)) => {
            let holder = if info.who.is_empty() {
                unknown("the lock names nobody")
            } else if info.operation.is_empty() {
                info.who
            } else {
                format!("{} ({})", info.who, info.operation)
            };
            (holder, or_unknown(info.created), or_unknown(info.id))
        }
        Ok(None) => (
            unknown("the lock object is gone: it was released meanwhile, so try again"),
            "an unknown time".to_owned(),
            "unknown".to_owned(),
        ),
        Err(e) => (
            unknown(&e.to_string()),
            "an unknown time".to_owned(),
            "unknown".to_owned(),
        ),
    };
    Error::StateLocked {
        target: target.to_owned(),
        holder: crate::text::one_line(&holder),
        since: crate::text::one_line(&since),
        id: crate::text::one_line(&id),
    }
}

fn or_unknown(text: String) -> String {
    if text.is_empty() {
        "unknown".to_owned()
    } else {
        text
    }
}

/// Reads the lock object; `None` when there is none.
async fn read(aws: &Aws, state: &StateFile) -> Result<Option<LockInfo>> {
    super::s3::S3::new(aws)
        .read_json(
            &state.bucket,
            &key(state),
            "the state lock",
            "the lock object is not Terraform's lock info",
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_info_reads_terraforms_fields() {
        let info: LockInfo = serde_json::from_str(
            r#"{"ID":"abc","Operation":"OperationTypeApply","Info":"","Who":"ci@runner","Version":"1.11.4","Created":"2026-11-28T16:00:00Z","Path":"b/k"}"#,
        )
        .unwrap();
        assert_eq!(info.who, "ci@runner");
        assert_eq!(info.id, "abc");
        assert_eq!(info.created, "2026-11-28T16:00:00Z");
    }
}
