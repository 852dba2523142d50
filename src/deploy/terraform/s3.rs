//! The narrow seam between the terraform engine and S3, as `ecr` and `ecs_api` are for the
//! ECS engine: one client (counted by [`Aws::s3`]), a method per call the engine makes, and
//! domain answers. A small JSON object beside the state (the lock file, the deployment marker)
//! is read with "not there" as `None`; the state bucket's settings are read as "set or not" and
//! set to what bootstrap makes them; every other failure is [`Error::Aws`] with one sentence.
//! Nothing here decides which settings a bucket needs.

use aws_sdk_s3::error::ProvideErrorMetadata as _;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, ObjectOwnership,
    OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration, ServerSideEncryption,
    ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::aws::Aws;
use crate::error::{Error, Result};

/// What `HeadBucket` says of a bucket name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Exists,
    Missing,
    /// 403: a bucket of another account, or one these credentials may not see.
    Forbidden,
}

/// What `CreateBucket` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// Created, or already ours.
    Ours,
    /// The name belongs to another account.
    Taken,
}

/// The S3 calls of the terraform engine.
#[derive(Debug)]
pub struct S3 {
    client: aws_sdk_s3::Client,
}

impl S3 {
    pub fn new(aws: &Aws) -> S3 {
        S3 { client: aws.s3() }
    }

    /// Reads `key` of `bucket` as JSON (`GetObject`). `what` names the object in errors ("the
    /// state lock"); `not_ours` says what a body that does not parse is not.
    pub async fn read_json<T: DeserializeOwned>(
        &self,
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
        let found = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await;
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

    /// Writes `body` as the JSON object `key` of `bucket` (`PutObject`); `action` says what it
    /// does, for the error.
    pub async fn write_json(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        action: String,
    ) -> Result<()> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(crate::aws::error(action))?;
        Ok(())
    }

    /// `HeadBucket`; `action` names the lookup for an error other than 403 and 404.
    pub async fn lookup(&self, bucket: &str, action: String) -> Result<Lookup> {
        match self.client.head_bucket().bucket(bucket).send().await {
            Ok(_) => Ok(Lookup::Exists),
            Err(e) => match e.raw_response().map(|r| r.status().as_u16()) {
                Some(404) => Ok(Lookup::Missing),
                Some(403) => Ok(Lookup::Forbidden),
                _ => Err(crate::aws::error(action)(e)),
            },
        }
    }

    /// `CreateBucket` with the owner enforced, in `location` (`None` in us-east-1).
    pub async fn create_bucket(
        &self,
        bucket: &str,
        location: Option<&str>,
        action: String,
    ) -> Result<Created> {
        let mut request = self
            .client
            .create_bucket()
            .bucket(bucket)
            .object_ownership(ObjectOwnership::BucketOwnerEnforced);
        if let Some(constraint) = location {
            request = request.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(constraint))
                    .build(),
            );
        }
        match request.send().await {
            Ok(_) => Ok(Created::Ours),
            Err(e) if e.code() == Some("BucketAlreadyOwnedByYou") => Ok(Created::Ours),
            Err(e) if e.code() == Some("BucketAlreadyExists") => Ok(Created::Taken),
            Err(e) => Err(crate::aws::error(action)(e)),
        }
    }

    /// Whether versioning is enabled.
    pub async fn versioning(&self, bucket: &str, action: String) -> Result<bool> {
        let out = self
            .client
            .get_bucket_versioning()
            .bucket(bucket)
            .send()
            .await
            .map_err(crate::aws::error(action))?;
        Ok(out.status() == Some(&BucketVersioningStatus::Enabled))
    }

    /// Whether a default encryption is set.
    pub async fn default_encryption(&self, bucket: &str, action: String) -> Result<bool> {
        match self
            .client
            .get_bucket_encryption()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .server_side_encryption_configuration()
                .map(|c| c.rules())
                .unwrap_or_default()
                .iter()
                .any(|r| r.apply_server_side_encryption_by_default().is_some())),
            Err(e) if e.code() == Some("ServerSideEncryptionConfigurationNotFoundError") => {
                Ok(false)
            }
            Err(e) => Err(crate::aws::error(action)(e)),
        }
    }

    /// Whether all four public access blocks are on.
    pub async fn public_access_blocked(&self, bucket: &str, action: String) -> Result<bool> {
        match self
            .client
            .get_public_access_block()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => Ok(out.public_access_block_configuration().is_some_and(|c| {
                c.block_public_acls() == Some(true)
                    && c.ignore_public_acls() == Some(true)
                    && c.block_public_policy() == Some(true)
                    && c.restrict_public_buckets() == Some(true)
            })),
            Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => Ok(false),
            Err(e) => Err(crate::aws::error(action)(e)),
        }
    }

    /// Whether the bucket owner owns every object (ACLs disabled).
    pub async fn owner_enforced(&self, bucket: &str, action: String) -> Result<bool> {
        match self
            .client
            .get_bucket_ownership_controls()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => Ok(out.ownership_controls().is_some_and(|c| {
                c.rules()
                    .iter()
                    .any(|r| r.object_ownership() == &ObjectOwnership::BucketOwnerEnforced)
            })),
            Err(e) if e.code() == Some("OwnershipControlsNotFoundError") => Ok(false),
            Err(e) => Err(crate::aws::error(action)(e)),
        }
    }

    /// The bucket's policy document, if it has one.
    pub async fn policy(&self, bucket: &str, action: String) -> Result<Option<Value>> {
        match self.client.get_bucket_policy().bucket(bucket).send().await {
            Ok(out) => Ok(out.policy().and_then(|p| serde_json::from_str(p).ok())),
            Err(e) if e.code() == Some("NoSuchBucketPolicy") => Ok(None),
            Err(e) => Err(crate::aws::error(action)(e)),
        }
    }

    /// Enables versioning.
    pub async fn enable_versioning(&self, bucket: &str, action: String) -> Result<()> {
        self.client
            .put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .map_err(crate::aws::error(action))?;
        Ok(())
    }

    /// Sets the default encryption to SSE-S3 (AES256).
    pub async fn encrypt_by_default(&self, bucket: &str, action: String) -> Result<()> {
        let built = |e: aws_sdk_s3::error::BuildError| Error::Aws {
            action: action.clone(),
            message: e.to_string(),
        };
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(
                ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(ServerSideEncryption::Aes256)
                    .build()
                    .map_err(built)?,
            )
            .build();
        let configuration = ServerSideEncryptionConfiguration::builder()
            .rules(rule)
            .build()
            .map_err(built)?;
        self.client
            .put_bucket_encryption()
            .bucket(bucket)
            .server_side_encryption_configuration(configuration)
            .send()
            .await
            .map_err(crate::aws::error(action.clone()))?;
        Ok(())
    }

    /// Turns all four public access blocks on.
    pub async fn block_public_access(&self, bucket: &str, action: String) -> Result<()> {
        self.client
            .put_public_access_block()
            .bucket(bucket)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .send()
            .await
            .map_err(crate::aws::error(action))?;
        Ok(())
    }

    /// Makes the bucket owner own every object (ACLs disabled).
    pub async fn enforce_owner(&self, bucket: &str, action: String) -> Result<()> {
        let built = |e: aws_sdk_s3::error::BuildError| Error::Aws {
            action: action.clone(),
            message: e.to_string(),
        };
        let controls = OwnershipControls::builder()
            .rules(
                OwnershipControlsRule::builder()
                    .object_ownership(ObjectOwnership::BucketOwnerEnforced)
                    .build()
                    .map_err(built)?,
            )
            .build()
            .map_err(built)?;
        self.client
            .put_bucket_ownership_controls()
            .bucket(bucket)
            .ownership_controls(controls)
            .send()
            .await
            .map_err(crate::aws::error(action.clone()))?;
        Ok(())
    }

    /// Replaces the bucket's policy with `policy`.
    pub async fn put_policy(&self, bucket: &str, policy: &Value, action: String) -> Result<()> {
        self.client
            .put_bucket_policy()
            .bucket(bucket)
            .policy(policy.to_string())
            .send()
            .await
            .map_err(crate::aws::error(action))?;
        Ok(())
    }
}
