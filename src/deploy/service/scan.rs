//! Step 5 of the service deployment: the scan gate. (Being built: issue #5.)

use crate::aws::Aws;
use crate::deploy::context::Context;
use crate::deploy::settings::ServiceDeploy;
use crate::error::{Error, Result};

use super::Image;

/// Waits for the scan of exactly `image.digest` and blocks at or above `scan.fail_on`.
pub async fn gate(
    ctx: &Context<'_>,
    _aws: &Aws,
    _deploy: &ServiceDeploy,
    _image: &Image,
) -> Result<()> {
    Err(Error::Deploy {
        target: ctx.target_name.to_owned(),
        message: "the scan gate is not built yet".into(),
    })
}
