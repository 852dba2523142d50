//! Steps 1 to 4 of the service deployment: the image. (Being built: issue #5.)

use crate::aws::Aws;
use crate::deploy::context::Context;
use crate::deploy::settings::ServiceDeploy;
use crate::error::{Error, Result};

use super::Image;

/// Resolves the repository, logs in, and builds and pushes the image tagged with the head
/// commit, unless an image with that tag is already there; returns the pushed digest.
pub async fn publish(
    ctx: &Context<'_>,
    _aws: &Aws,
    _deploy: &ServiceDeploy,
    _repository: &str,
) -> Result<Image> {
    Err(Error::Deploy {
        target: ctx.target_name.to_owned(),
        message: "publishing the image is not built yet".into(),
    })
}
