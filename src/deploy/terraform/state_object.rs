//! Reading a small JSON object beside the state (the lock file, the deployment marker): one
//! `GetObject` (counted by the client that [`crate::aws::Aws::s3`] builds), with "not there" as
//! `None` and every other failure one sentence.

use serde::de::DeserializeOwned;

use crate::aws::Aws;
use crate::error::{Error, Result};

/// Reads `key` of `bucket` as JSON. `what` names the object in errors ("the state lock");
/// `not_ours` says what a body that does not parse is not.
pub async fn read_json<T: DeserializeOwned>(
    aws: &Aws,
    bucket: &str,
    key: &str,
    what: &str,
    not_ours: &str,
) -> Result<Option<T>> {
    let action = format!(
        "read {what} `{}` in bucket `{}`",
        crate::text::one_line(key),
        crate::text::one_line(bucket)
    );
    let found = aws.s3().get_object().bucket(bucket).key(key).send().await;
    let out = match found {
        Ok(out) => out,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
        Err(e) => return Err(crate::aws::error(action)(e)),
    };
    let bytes = out.body.collect().await.map_err(|e| Error::Aws {
        action: action.clone(),
        message: crate::text::one_line(&e.to_string()),
    })?;
    serde_json::from_slice(&bytes.into_bytes())
        .map(Some)
        .map_err(|e| Error::Aws {
            action,
            message: format!("{not_ours} ({})", crate::text::one_line(&e.to_string())),
        })
}
