//! The ECR calls of the image and the scan gate, behind a narrow surface with domain answers:
//! a repository's URI, the registry login, the digest a tag points at, a scan's state.
//!
//! Every call is counted by the client that [`Aws::ecr`] builds, and every SDK error becomes
//! one sentence through `aws::error`; the answers the gate must act on (no scan yet, a scan
//! refused) are values, not errors. Nothing here runs a program or prints.

use aws_sdk_ecr::types::{ImageIdentifier, ScanStatus};

use aws_sdk_ecr::error::ProvideErrorMetadata;

use crate::aws::{self, Aws};
use crate::error::{Error, Result};

use super::findings::{Finding, Level};

/// A registry login from `GetAuthorizationToken`. The password never reaches `Debug`.
pub struct Login {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Which scanner answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scanner {
    /// ECR's basic scanning (`findings`, status `COMPLETE`).
    Basic,
    /// Amazon Inspector's enhanced scanning (`enhancedFindings`, status `ACTIVE`).
    Enhanced,
}

/// Where the scan of one digest stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanState {
    /// `ScanNotFoundException`: no scan was started (scan on push is off).
    NotFound,
    /// Still going (`IN_PROGRESS`, `PENDING`): the status as ECR gives it.
    Pending(String),
    /// Findings are there.
    Done {
        scanner: Scanner,
        findings: Vec<Finding>,
    },
    /// The scan cannot give findings (`FAILED`, `UNSUPPORTED_IMAGE`, ...): the status and
    /// ECR's description, both one line.
    Failed { status: String, description: String },
}

/// What `StartImageScan` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    Started,
    /// `LimitExceededException`: the image was scanned recently; wait for that scan.
    LimitExceeded,
    /// `UnsupportedImageTypeException`: ECR cannot scan this image.
    Unsupported(String),
    /// `ValidationException`: the registry does not take manual scans (enhanced scanning
    /// scans on its own); ECR's message.
    NotTaken(String),
}

/// What `PutImage` of one more tag said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retag {
    Tagged,
    /// The tag is immutable and already names another image: left as it is.
    Immutable,
}

/// The ECR client of one deployment.
#[derive(Debug)]
pub struct Ecr {
    client: aws_sdk_ecr::Client,
}

impl Ecr {
    pub fn new(aws: &Aws) -> Ecr {
        Ecr { client: aws.ecr() }
    }

    /// The repository's URI as ECR gives it (`DescribeRepositories`), never assembled by hand.
    pub async fn repository_uri(&self, repository: &str) -> Result<String> {
        let action = format!(
            "describe ECR repository `{}`",
            crate::text::one_line(repository)
        );
        let out = self
            .client
            .describe_repositories()
            .repository_names(repository)
            .send()
            .await
            .map_err(failed(action.clone()))?;
        out.repositories()
            .iter()
            .find(|r| r.repository_name() == Some(repository))
            .and_then(|r| r.repository_uri())
            .map(str::to_owned)
            .ok_or_else(|| Error::Aws {
                action,
                message: "the answer has no repository URI".into(),
            })
    }

    /// The registry login (`GetAuthorizationToken`): the token is `base64(user:password)`.
    pub async fn login(&self) -> Result<Login> {
        let action = "get an ECR authorization token";
        let out = self
            .client
            .get_authorization_token()
            .send()
            .await
            .map_err(failed(action))?;
        let unreadable = || Error::Aws {
            action: action.into(),
            message: "the answer has no readable token".into(),
        };
        let token = out
            .authorization_data()
            .first()
            .and_then(|d| d.authorization_token())
            .ok_or_else(unreadable)?;
        let decoded = aws_smithy_types::base64::decode(token).map_err(|_| unreadable())?;
        let text = String::from_utf8(decoded).map_err(|_| unreadable())?;
        let (username, password) = text.split_once(':').ok_or_else(unreadable)?;
        Ok(Login {
            username: username.to_owned(),
            password: password.to_owned(),
        })
    }

    /// The digest the tag points at (`DescribeImages` by tag), or `None` when there is no such
    /// image.
    pub async fn digest_of_tag(&self, repository: &str, tag: &str) -> Result<Option<String>> {
        let id = ImageIdentifier::builder().image_tag(tag).build();
        let detail = self
            .image(repository, id, &format!("look up tag {tag}"))
            .await?;
        Ok(detail.and_then(|d| d.image_digest().map(str::to_owned)))
    }

    /// The tags of the image `digest` (`DescribeImages` by digest), or `None` when the
    /// repository has no such image.
    pub async fn tags_of_digest(
        &self,
        repository: &str,
        digest: &str,
    ) -> Result<Option<Vec<String>>> {
        let id = ImageIdentifier::builder().image_digest(digest).build();
        let detail = self
            .image(repository, id, &format!("look up image {digest}"))
            .await?;
        Ok(detail.map(|d| d.image_tags().to_vec()))
    }

    /// One image of the repository (`DescribeImages`), or `None` when there is no such image;
    /// `what` begins the error's action.
    async fn image(
        &self,
        repository: &str,
        id: ImageIdentifier,
        what: &str,
    ) -> Result<Option<aws_sdk_ecr::types::ImageDetail>> {
        let result = self
            .client
            .describe_images()
            .repository_name(repository)
            .image_ids(id)
            .send()
            .await;
        match result {
            Ok(out) => Ok(out.image_details().first().cloned()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_image_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(failed(format!(
                "{what} in ECR repository `{}`",
                crate::text::one_line(repository)
            ))(e)),
        }
    }

    /// Points `tag` at the image `digest` (`BatchGetImage` for its manifest, `PutImage` of the
    /// same manifest with the tag): no pull, no push.
    pub async fn retag(&self, repository: &str, digest: &str, tag: &str) -> Result<Retag> {
        let action = format!(
            "tag {}@{digest} as {tag} in ECR",
            crate::text::one_line(repository)
        );
        let out = self
            .client
            .batch_get_image()
            .repository_name(repository)
            .image_ids(ImageIdentifier::builder().image_digest(digest).build())
            .send()
            .await
            .map_err(failed(action.clone()))?;
        let image = out.images().first().ok_or_else(|| Error::Aws {
            action: action.clone(),
            message: "ECR returned no manifest for the digest".into(),
        })?;
        let manifest = image.image_manifest().ok_or_else(|| Error::Aws {
            action: action.clone(),
            message: "ECR returned an empty manifest for the digest".into(),
        })?;
        let result = self
            .client
            .put_image()
            .repository_name(repository)
            .image_manifest(manifest)
            .set_image_manifest_media_type(image.image_manifest_media_type().map(str::to_owned))
            .image_digest(digest)
            .image_tag(tag)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Retag::Tagged),
            Err(e) => match e.as_service_error() {
                Some(s) if s.is_image_tag_already_exists_exception() => Ok(Retag::Immutable),
                // "Already pushed, no change" when the tag is this image's; some ECR-compatible
                // servers say the same for an immutable tag on another image: look.
                Some(s) if s.is_image_already_exists_exception() => {
                    if self.digest_of_tag(repository, tag).await?.as_deref() == Some(digest) {
                        Ok(Retag::Tagged)
                    } else {
                        Ok(Retag::Immutable)
                    }
                }
                _ => Err(failed(action)(e)),
            },
        }
    }

    /// The scan of exactly `digest` (`DescribeImageScanFindings`, every page).
    pub async fn scan(&self, repository: &str, digest: &str) -> Result<ScanState> {
        let action = format!(
            "describe the scan findings of {}@{digest}",
            crate::text::one_line(repository)
        );
        let mut findings = Vec::new();
        let mut scanner = Scanner::Basic;
        let mut next: Option<String> = None;
        loop {
            let result = self
                .client
                .describe_image_scan_findings()
                .repository_name(repository)
                .image_id(ImageIdentifier::builder().image_digest(digest).build())
                .set_next_token(next.take())
                .send()
                .await;
            let out = match result {
                Ok(out) => out,
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_scan_not_found_exception()) =>
                {
                    return Ok(ScanState::NotFound)
                }
                Err(e) => return Err(failed(action)(e)),
            };
            let status = out.image_scan_status();
            let description = status
                .and_then(|s| s.description())
                .map(crate::text::one_line)
                .unwrap_or_default();
            match status.and_then(|s| s.status()) {
                Some(ScanStatus::Complete) => {}
                Some(ScanStatus::Active) => scanner = Scanner::Enhanced,
                Some(ScanStatus::InProgress) => {
                    return Ok(ScanState::Pending("IN_PROGRESS".into()))
                }
                Some(ScanStatus::Pending) | None => {
                    return Ok(ScanState::Pending("PENDING".into()))
                }
                Some(other) => {
                    return Ok(ScanState::Failed {
                        status: crate::text::one_line(other.as_str()),
                        description,
                    })
                }
            }
            if let Some(found) = out.image_scan_findings() {
                findings.extend(found.findings().iter().map(|f| {
                    Finding {
                        id: f.name().unwrap_or("(unnamed)").to_owned(),
                        level: f
                            .severity()
                            .map_or(Level::Other, |s| Level::parse(s.as_str())),
                    }
                }));
                if !found.enhanced_findings().is_empty() {
                    scanner = Scanner::Enhanced;
                }
                findings.extend(
                    found
                        .enhanced_findings()
                        .iter()
                        // Inspector keeps suppressed and closed findings; only active ones count.
                        .filter(|f| f.status().is_none_or(|s| s.eq_ignore_ascii_case("ACTIVE")))
                        .map(|f| Finding {
                            id: f
                                .package_vulnerability_details()
                                .and_then(|p| p.vulnerability_id())
                                .or(f.title())
                                .or(f.finding_arn())
                                .unwrap_or("(unnamed)")
                                .to_owned(),
                            level: f.severity().map_or(Level::Other, Level::parse),
                        }),
                );
            }
            match out.next_token() {
                Some(token) if !token.is_empty() => next = Some(token.to_owned()),
                _ => return Ok(ScanState::Done { scanner, findings }),
            }
        }
    }

    /// Starts a basic scan of exactly `digest` (`StartImageScan`).
    pub async fn start_scan(&self, repository: &str, digest: &str) -> Result<Start> {
        let result = self
            .client
            .start_image_scan()
            .repository_name(repository)
            .image_id(ImageIdentifier::builder().image_digest(digest).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(Start::Started),
            Err(e) => match e.as_service_error() {
                Some(s) if s.is_limit_exceeded_exception() => Ok(Start::LimitExceeded),
                Some(s) if s.is_unsupported_image_type_exception() => {
                    Ok(Start::Unsupported(reason(&e)))
                }
                Some(s) if s.is_validation_exception() => Ok(Start::NotTaken(reason(&e))),
                _ => Err(failed(format!(
                    "start the scan of {}@{digest}",
                    crate::text::one_line(repository)
                ))(e)),
            },
        }
    }
}

/// [`Error::Aws`] for a failed ECR call: the service's code and message when it answered,
/// else `aws::message` (missing credentials said plainly, or the chain of causes).
fn failed<E>(action: impl Into<String>) -> impl FnOnce(E) -> Error
where
    E: std::error::Error + ProvideErrorMetadata,
{
    let action = action.into();
    move |e| Error::Aws {
        action,
        message: reason(&e),
    }
}

fn reason<E>(error: &E) -> String
where
    E: std::error::Error + ProvideErrorMetadata,
{
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => crate::text::one_line(&format!("{code}: {message}")),
        (Some(code), None) => crate::text::one_line(code),
        _ => aws::message(error),
    }
}
