//! `bootstrap`: the S3 state bucket, created if missing and checked setting by setting:
//! versioning, default encryption, the public access block, ownership enforced and a bucket
//! policy that denies requests without TLS.
//!
//! Each setting reads back as `ok`, `created` (new bucket), `fixed` (weaker, and `--fix` was
//! given) or `weaker` (reported only). A dry run reads the bucket and prints the writes it would
//! make, and makes none. This file never deletes anything and never loosens a setting; an
//! existing bucket policy keeps its statements, the TLS one is added beside them.

use serde_json::{json, Value};

use crate::aws::Aws;
use crate::deploy::progress::Progress;
use crate::error::{Error, Result};

use super::s3::{Created, Lookup, S3};

/// One state bucket and the targets whose state it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub name: String,
    pub region: String,
    pub targets: Vec<String>,
}

/// The settings bootstrap makes, in the order it makes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Versioning,
    Encryption,
    PublicAccessBlock,
    Ownership,
    TlsPolicy,
}

const SETTINGS: [Setting; 5] = [
    Setting::Versioning,
    Setting::Encryption,
    Setting::PublicAccessBlock,
    Setting::Ownership,
    Setting::TlsPolicy,
];

impl Setting {
    pub fn label(self) -> &'static str {
        match self {
            Setting::Versioning => "versioning",
            Setting::Encryption => "default encryption",
            Setting::PublicAccessBlock => "public access block",
            Setting::Ownership => "ownership enforced",
            Setting::TlsPolicy => "TLS-only bucket policy",
        }
    }

    /// The call that makes the setting, for dry runs and `--verbose`.
    fn call(self) -> &'static str {
        match self {
            Setting::Versioning => "PutBucketVersioning (Status=Enabled)",
            Setting::Encryption => "PutBucketEncryption (SSEAlgorithm=AES256)",
            Setting::PublicAccessBlock => "PutPublicAccessBlock (all four blocks on)",
            Setting::Ownership => "PutBucketOwnershipControls (BucketOwnerEnforced)",
            Setting::TlsPolicy => "PutBucketPolicy (Deny s3:* when aws:SecureTransport is false)",
        }
    }
}

/// What bootstrap found or did for one setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Created,
    Fixed,
    Weaker,
    /// Dry run: would be set.
    WouldSet,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Created => "created",
            Status::Fixed => "fixed",
            Status::Weaker => "weaker",
            Status::WouldSet => "would set",
        }
    }
}

/// The outcome for one bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub created: bool,
    pub settings: Vec<(Setting, Status)>,
}

impl Outcome {
    pub fn weaker(&self) -> Vec<Setting> {
        self.settings
            .iter()
            .filter(|(_, s)| *s == Status::Weaker)
            .map(|(setting, _)| *setting)
            .collect()
    }
}

/// Creates or checks `bucket`; with `fix`, sets what is weaker; with `dry_run`, writes nothing.
pub async fn ensure(
    aws: &Aws,
    bucket: &Bucket,
    fix: bool,
    dry_run: bool,
    progress: &Progress<'_>,
) -> Result<Outcome> {
    let s3 = S3::new(aws);
    let name = bucket.name.as_str();
    let exists = exists(&s3, bucket).await?;
    let mut settings = Vec::new();
    if !exists {
        if dry_run {
            let constraint = location(&bucket.region)
                .map(|c| format!(", LocationConstraint={c}"))
                .unwrap_or_default();
            progress.output_line(&format!(
                "would call CreateBucket `{name}` (ObjectOwnership=BucketOwnerEnforced{constraint})"
            ));
            for setting in SETTINGS {
                progress.output_line(&format!("would call {} on `{name}`", setting.call()));
                settings.push((setting, Status::WouldSet));
            }
            return Ok(Outcome {
                created: false,
                settings,
            });
        }
        create(&s3, bucket).await?;
        for setting in SETTINGS {
            apply(&s3, bucket, setting).await?;
            settings.push((setting, Status::Created));
        }
        return Ok(Outcome {
            created: true,
            settings,
        });
    }
    for setting in SETTINGS {
        let status = if check(&s3, bucket, setting).await? {
            Status::Ok
        } else if dry_run {
            progress.output_line(&format!("would call {} on `{name}`", setting.call()));
            if fix {
                Status::WouldSet
            } else {
                Status::Weaker
            }
        } else if fix {
            apply(&s3, bucket, setting).await?;
            Status::Fixed
        } else {
            Status::Weaker
        };
        settings.push((setting, status));
    }
    Ok(Outcome {
        created: false,
        settings,
    })
}

/// `HeadBucket`: 404 is missing; 403 is a bucket of another account (or one this identity may
/// not see), which bootstrap must not touch.
async fn exists(s3: &S3, bucket: &Bucket) -> Result<bool> {
    let action = format!(
        "look up the state bucket `{}`",
        crate::text::one_line(&bucket.name)
    );
    match s3.lookup(&bucket.name, action).await? {
        Lookup::Exists => Ok(true),
        Lookup::Missing => Ok(false),
        Lookup::Forbidden => Err(Error::Deploy {
            target: bucket.targets.join(", "),
            message: format!(
                "the state bucket `{}` exists but belongs to another account (or these credentials may not read it): HeadBucket answered 403",
                crate::text::one_line(&bucket.name)
            ),
        }),
    }
}

/// `CreateBucket`, in the bucket's region (no location constraint in us-east-1).
async fn create(s3: &S3, bucket: &Bucket) -> Result<()> {
    let action = format!(
        "create the state bucket `{}`",
        crate::text::one_line(&bucket.name)
    );
    let location = location(&bucket.region);
    match s3
        .create_bucket(&bucket.name, location.as_deref(), action)
        .await?
    {
        Created::Ours => Ok(()),
        Created::Taken => Err(Error::Deploy {
            target: bucket.targets.join(", "),
            message: format!(
                "the bucket name `{}` is taken by another account; choose another `state.bucket`",
                crate::text::one_line(&bucket.name)
            ),
        }),
    }
}

fn location(region: &str) -> Option<String> {
    (region != "us-east-1").then(|| region.to_owned())
}

/// Whether the bucket already has `setting` at least as strong as bootstrap makes it.
async fn check(s3: &S3, bucket: &Bucket, setting: Setting) -> Result<bool> {
    let name = bucket.name.as_str();
    let action = format!(
        "read the {} of the state bucket `{}`",
        setting.label(),
        crate::text::one_line(name)
    );
    match setting {
        Setting::Versioning => s3.versioning(name, action).await,
        Setting::Encryption => s3.default_encryption(name, action).await,
        Setting::PublicAccessBlock => s3.public_access_blocked(name, action).await,
        Setting::Ownership => s3.owner_enforced(name, action).await,
        Setting::TlsPolicy => Ok(current_policy(s3, bucket)
            .await?
            .is_some_and(|p| denies_plain_http(&p))),
    }
}

/// The bucket's policy document, if it has one.
async fn current_policy(s3: &S3, bucket: &Bucket) -> Result<Option<Value>> {
    let action = format!(
        "read the bucket policy of the state bucket `{}`",
        crate::text::one_line(&bucket.name)
    );
    s3.policy(&bucket.name, action).await
}

/// Makes `setting` on the bucket.
async fn apply(s3: &S3, bucket: &Bucket, setting: Setting) -> Result<()> {
    let name = bucket.name.as_str();
    let action = format!(
        "set the {} of the state bucket `{}`",
        setting.label(),
        crate::text::one_line(name)
    );
    match setting {
        Setting::Versioning => s3.enable_versioning(name, action).await,
        Setting::Encryption => s3.encrypt_by_default(name, action).await,
        Setting::PublicAccessBlock => s3.block_public_access(name, action).await,
        Setting::Ownership => s3.enforce_owner(name, action).await,
        Setting::TlsPolicy => {
            let existing = current_policy(s3, bucket).await?;
            let policy = with_tls_statement(existing, name, &bucket.region);
            s3.put_policy(name, &policy, action).await
        }
    }
}

/// The ARN partition of a region.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The statement that denies every request made without TLS.
fn tls_statement(bucket: &str, region: &str) -> Value {
    let arn = format!("arn:{}:s3:::{bucket}", partition(region));
    json!({
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn.clone(), format!("{arn}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    })
}

/// `existing` (or a new policy) with the TLS statement added; other statements are kept.
fn with_tls_statement(existing: Option<Value>, bucket: &str, region: &str) -> Value {
    let mut policy = existing
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({"Version": "2012-10-17"}));
    let statement = tls_statement(bucket, region);
    let statements = match policy.get_mut("Statement") {
        Some(Value::Array(list)) => std::mem::take(list),
        Some(single @ Value::Object(_)) => vec![single.take()],
        _ => Vec::new(),
    };
    let mut statements: Vec<Value> = statements
        .into_iter()
        .filter(|s| s.get("Sid") != statement.get("Sid"))
        .collect();
    statements.push(statement);
    policy["Statement"] = Value::Array(statements);
    policy
}

/// Whether a policy has a Deny statement conditioned on `aws:SecureTransport` being false.
fn denies_plain_http(policy: &Value) -> bool {
    let statements: Vec<&Value> = match policy.get("Statement") {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(single) => vec![single],
        None => Vec::new(),
    };
    statements.iter().any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Deny")
            && s.get("Condition")
                .and_then(|c| c.get("Bool"))
                .and_then(|b| b.get("aws:SecureTransport"))
                .is_some_and(|v| match v {
                    Value::String(text) => text == "false",
                    Value::Bool(b) => !b,
                    Value::Array(list) => list
                        .iter()
                        .any(|x| x.as_str() == Some("false") || x.as_bool() == Some(false)),
                    _ => false,
                })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tls_statement_joins_an_existing_policy_once() {
        let existing =
            json!({"Version": "2012-10-17", "Statement": [{"Sid": "Other", "Effect": "Allow"}]});
        let policy = with_tls_statement(Some(existing), "b", "eu-west-1");
        assert!(denies_plain_http(&policy));
        let again = with_tls_statement(Some(policy), "b", "eu-west-1");
        let list = again["Statement"].as_array().unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0]["Sid"], "Other");
        assert_eq!(list[1]["Resource"][1], "arn:aws:s3:::b/*");
        assert!(!denies_plain_http(
            &json!({"Statement": {"Effect": "Allow"}})
        ));
        assert_eq!(
            tls_statement("b", "cn-north-1")["Resource"][0],
            "arn:aws-cn:s3:::b"
        );
    }

    #[test]
    fn us_east_1_takes_no_location_constraint() {
        assert_eq!(location("us-east-1"), None);
        assert_eq!(location("eu-west-1").as_deref(), Some("eu-west-1"));
    }
}
