//! Steps 6 to 9 of the service deployment: the task definition revision, the update, the
//! watch and the rollback. (Being built: issue #5.)

use crate::aws::Aws;
use crate::deploy::context::Context;
use crate::deploy::settings::ServiceDeploy;
use crate::error::{Error, Result};

use super::{EcsNames, Image};

/// Registers a revision pinned to `image`, updates the service once, watches the rollout,
/// and rolls back when it fails.
pub async fn deploy(
    ctx: &Context<'_>,
    _aws: &Aws,
    _deploy: &ServiceDeploy,
    _names: &EcsNames,
    _image: &Image,
) -> Result<()> {
    Err(not_built(ctx))
}

/// Rolls the service back to the revision before the running one that last completed.
pub async fn rollback(
    ctx: &Context<'_>,
    _aws: &Aws,
    _deploy: &ServiceDeploy,
    _names: &EcsNames,
) -> Result<()> {
    Err(not_built(ctx))
}

/// The commit the running revision was deployed from, if it carries one.
pub async fn deployed_commit(
    ctx: &Context<'_>,
    _aws: &Aws,
    _names: &EcsNames,
) -> Result<Option<String>> {
    Err(not_built(ctx))
}

fn not_built(ctx: &Context<'_>) -> Error {
    Error::Deploy {
        target: ctx.target_name.to_owned(),
        message: "the rollout is not built yet".into(),
    }
}
