//! The service deployment of an `ecs-service` target (issue #5): resolve the ECR repository,
//! log in, build and push the image tagged with the commit, gate on its scan, register a task
//! definition revision pinned to the digest, update the service, watch the rollout and roll
//! back on failure.

use crate::deploy::context::Context;
use crate::error::{Error, Result};

/// `deploy <target>` for an `ecs-service` target.
pub fn deploy(ctx: &Context<'_>) -> Result<()> {
    Err(not_built(ctx))
}

/// `rollback <target>`: back to the revision before the running one that last completed.
pub fn rollback(ctx: &Context<'_>) -> Result<()> {
    Err(not_built(ctx))
}

/// `--since deployed`: the commit whose full SHA tags the image the service runs now, if the
/// service runs such an image.
pub fn deployed_commit(ctx: &Context<'_>) -> Result<Option<String>> {
    Err(not_built(ctx))
}

fn not_built(ctx: &Context<'_>) -> Error {
    Error::Deploy {
        target: ctx.target_name.to_owned(),
        message: "the service deployment is not built yet".into(),
    }
}
