//! The seam around the AWS SDK: one shared configuration from the standard chain, the clients
//! built from it, a runtime, a count of the calls made (printed under `--verbose`), and one way
//! to turn an SDK error into a one-line message.
//!
//! Every client comes from [`Aws`], which gives it one interceptor that counts each operation
//! as it starts: no call site counts by hand, so none can be missed or counted twice.
//!
//! Region, credentials and endpoint come from `aws-config`'s default chain: the environment
//! (`AWS_ACCESS_KEY_ID`, `AWS_REGION`, `AWS_ENDPOINT_URL`, ...), profiles, and web identity
//! (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`, as CircleCI's OIDC sets up). Nothing here
//! knows of any test server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};

/// A loaded AWS configuration and the count of calls made through it.
#[derive(Debug, Clone)]
pub struct Aws {
    pub config: aws_config::SdkConfig,
    calls: Arc<AtomicUsize>,
}

impl Aws {
    /// Loads the standard chain; `region` overrides the chain's region (a state bucket's own).
    pub async fn load(region: Option<&str>) -> Aws {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(region) = region {
            loader = loader.region(aws_config::Region::new(region.to_owned()));
        }
        Aws {
            config: loader.load().await,
            calls: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Loads the standard chain and, given `role`, assumes that role from the chain's
    /// credentials (STS `AssumeRole`, session `quest-changes-<environment>`), which every client
    /// then uses (renewed before they expire). The role is assumed at once: a role the job may
    /// not assume fails here, in one sentence, before anything is built or changed.
    pub async fn load_as(region: Option<&str>, role: Option<&AssumedRole<'_>>) -> Result<Aws> {
        let base = Aws::load(region).await;
        let Some(role) = role else {
            return Ok(base);
        };
        let provider = aws_config::sts::AssumeRoleProvider::builder(role.arn)
            .session_name(session_name(role.environment))
            .configure(&base.config)
            .build()
            .await;
        use aws_sdk_s3::config::ProvideCredentials as _;
        provider
            .provide_credentials()
            .await
            .map_err(|e| Error::Aws {
                action: format!(
                    "assume role {} for environment `{}`",
                    crate::text::one_line(role.arn),
                    crate::text::one_line(role.environment)
                ),
                message: message(&e),
            })?;
        let config = base
            .config
            .into_builder()
            .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(provider))
            .build();
        Ok(Aws {
            config,
            calls: base.calls,
        })
    }

    /// The credentials the clients use now, for a program that cannot assume the role itself
    /// (Terraform, given them as `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
    /// `AWS_SESSION_TOKEN` in its environment only).
    pub async fn credentials(&self) -> Result<aws_sdk_s3::config::Credentials> {
        use aws_sdk_s3::config::ProvideCredentials as _;
        let provider = self
            .config
            .credentials_provider()
            .ok_or_else(|| Error::Aws {
                action: "read the AWS credentials".into(),
                message: "no credentials are configured".into(),
            })?;
        provider
            .provide_credentials()
            .await
            .map_err(|e| Error::Aws {
                action: "read the AWS credentials".into(),
                message: message(&e),
            })
    }

    /// Wraps a configuration built elsewhere (a test's, pointed at its own server), with a
    /// fresh count.
    pub fn from_config(config: aws_config::SdkConfig) -> Aws {
        Aws {
            config,
            calls: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The region the chain resolved, if any.
    pub fn region(&self) -> Option<String> {
        self.config.region().map(ToString::to_string)
    }

    /// Fails with a clear sentence when the chain found no region: every AWS call needs one.
    pub fn require_region(&self) -> Result<String> {
        self.region().ok_or_else(|| Error::Aws {
            action: "choose an AWS region".into(),
            message: "no region is configured (set AWS_REGION or a profile's region)".into(),
        })
    }

    /// An ECR client whose calls are counted.
    pub fn ecr(&self) -> aws_sdk_ecr::Client {
        let config = aws_sdk_ecr::config::Builder::from(&self.config)
            .interceptor(CountCalls(self.calls.clone()))
            .build();
        aws_sdk_ecr::Client::from_conf(config)
    }

    /// An ECS client whose calls are counted.
    pub fn ecs(&self) -> aws_sdk_ecs::Client {
        let config = aws_sdk_ecs::config::Builder::from(&self.config)
            .interceptor(CountCalls(self.calls.clone()))
            .build();
        aws_sdk_ecs::Client::from_conf(config)
    }

    /// An S3 client whose calls are counted.
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.config)
            .interceptor(CountCalls(self.calls.clone()))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// The calls counted so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::Relaxed)
    }
}

/// A role to assume for an environment.
#[derive(Debug, Clone, Copy)]
pub struct AssumedRole<'a> {
    pub arn: &'a str,
    /// The environment's name, in the session name (CloudTrail shows who deployed).
    pub environment: &'a str,
}

/// `quest-changes-<environment>`, within STS's 64 characters of `[\w+=,.@-]`.
fn session_name(environment: &str) -> String {
    let mut name: String = format!("quest-changes-{environment}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+=,.@_-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    name.truncate(64);
    name
}

/// Counts each operation once, as it starts (before its retries, which are one call).
#[derive(Debug)]
struct CountCalls(Arc<AtomicUsize>);

// The interceptor trait is the SDK runtime's; every service crate re-exports the same one.
impl aws_sdk_s3::config::Intercept for CountCalls {
    fn name(&self) -> &'static str {
        "quest-changes call count"
    }

    fn read_before_execution(
        &self,
        _context: &aws_sdk_s3::config::interceptors::BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut aws_sdk_s3::config::ConfigBag,
    ) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// A runtime for the deploy commands. Current-thread: the work is one request at a time.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Tool {
            action: "start the async runtime".into(),
            message: e.to_string(),
        })
}

/// An SDK error as one line: the service's code and message when there is one, else the whole
/// chain of causes; missing credentials said plainly.
pub fn message<E>(error: &E) -> String
where
    E: std::error::Error,
{
    // The chain of causes, each said once: the SDK's outer errors ("service error", "dispatch
    // failure") repeat or wrap their sources, and its Debug form (response headers and all)
    // is no message for people.
    let mut parts: Vec<String> = Vec::new();
    let mut current: Option<&dyn std::error::Error> = Some(error);
    while let Some(e) = current {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    sentence(&parts.join(": "))
}

/// The words for a chain of causes: missing credentials in one plain sentence however the
/// SDK's providers put it (the environment, a profile, web identity, or the instance metadata
/// service timing out), anything else as one line.
fn sentence(full: &str) -> String {
    const NO_CREDENTIALS: [&str; 8] = [
        "no providers in chain provided credentials",
        "failed to load credentials",
        "while loading credentials",
        "CredentialsNotLoaded",
        "credential provider was not enabled",
        "no credentials found in chain",
        "failed to load IMDS session token",
        "the credential provider was not enabled",
    ];
    if NO_CREDENTIALS.iter().any(|needle| full.contains(needle)) {
        return "no AWS credentials were found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE)".into();
    }
    crate::text::one_line(full)
}

/// Wraps an SDK error of `action` as [`Error::Aws`].
pub fn error<E>(action: impl Into<String>) -> impl FnOnce(E) -> Error
where
    E: std::error::Error,
{
    let action = action.into();
    move |e| Error::Aws {
        action,
        message: message(&e),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_session_is_named_after_its_environment_in_what_sts_accepts() {
        assert_eq!(super::session_name("prod"), "quest-changes-prod");
        assert_eq!(super::session_name("eu prod/1"), "quest-changes-eu-prod-1");
        assert_eq!(super::session_name(&"x".repeat(80)).len(), 64);
    }

    use super::sentence;

    #[test]
    fn every_way_the_sdk_says_there_are_no_credentials_is_one_sentence() {
        for raw in [
            "dispatch failure: other: an error occurred while loading credentials: failed to load IMDS session token: dispatch failure: io error",
            "failed to construct request: no providers in chain provided credentials",
            "the credential provider was not enabled",
        ] {
            assert_eq!(
                sentence(raw),
                "no AWS credentials were found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE)",
                "{raw}"
            );
        }
        assert_eq!(
            sentence("service error: AccessDenied: not\nallowed"),
            "service error: AccessDenied: not\\u{a}allowed"
        );
    }
}
