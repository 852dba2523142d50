//! Typed errors and the one exit-code table.
//!
//! Every failure the program can report is a variant of [`Error`]; its `Display` is the single
//! lowercase sentence printed on stderr, and [`Error::exit_code`] maps it, through one exhaustive
//! `match`, to a documented code. Nothing here prints or exits: `main` does that.

use std::path::PathBuf;

/// Exit codes, documented in docs/exit-codes.md.
pub mod exit_code {
    /// Success, whether or not anything changed.
    pub const SUCCESS: i32 = 0;
    /// Any failure not listed below (not a git repository, a git error, an unreadable file).
    pub const FAILURE: i32 = 1;
    /// A usage or configuration error: nothing was examined.
    pub const USAGE: i32 = 2;
    /// The range could not be known and `--strict` forbids guessing.
    pub const UNCERTAIN: i32 = 3;
    /// The scan gate blocked the image: it never reached ECS.
    pub const SCAN_BLOCKED: i32 = 4;
    /// The rollout failed (circuit breaker or timeout) and the service was rolled back.
    pub const ROLLED_BACK: i32 = 5;
    /// The rollout failed and the rollback failed too: the service needs a person.
    pub const ROLLBACK_FAILED: i32 = 6;
    /// A saved plan made for another commit (or altered since) was refused.
    pub const STALE_PLAN: i32 = 7;
    /// The Terraform state lock is held elsewhere.
    pub const STATE_LOCKED: i32 = 8;
    /// The GitHub API refused a request of `comment` (401, 403, 404, 422 or another error
    /// status), after any rate-limit retries.
    pub const GITHUB_REFUSED: i32 = 9;
    /// Plan-only with `--detailed-exitcode`: the plan has changes (not a failure).
    pub const PLAN_HAS_CHANGES: i32 = 10;
    /// A revision that was asked for (base or head) is not in the repository.
    pub const REVISION_NOT_FOUND: i32 = 11;
    /// `deploy --env`: the environment does not deploy from this branch (it is not in the
    /// environment's `branches`); nothing was deployed.
    pub const BRANCH_REFUSED: i32 = 12;
    /// `promote`: the commit does not run, completed, in the source environment, or the image
    /// it runs is not tagged with that commit; nothing was changed.
    pub const NOT_PROMOTABLE: i32 = 13;
}

/// Why the GitHub API refused a request; each reads as the end of one sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// HTTP 401.
    Unauthorized,
    /// HTTP 403 that is not a rate limit.
    Forbidden,
    /// HTTP 403 or 429 from a rate limit that did not reset within the retries.
    RateLimited,
    /// HTTP 404.
    NotFound,
    /// HTTP 422.
    Invalid,
    /// Any other error status.
    Status(u16),
    /// A success whose body is not what the API documents.
    Unreadable,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Unauthorized => f.write_str(
                "the GitHub API rejected the token as invalid, expired or revoked (HTTP 401)",
            ),
            Refusal::Forbidden => f.write_str(
                "the GitHub API says the token lacks the permission (it needs pull requests or issues: write) (HTTP 403)",
            ),
            Refusal::RateLimited => f.write_str(
                "the GitHub API kept rate limiting through the 3 tries and 60 seconds of waiting allowed (HTTP 403/429)",
            ),
            Refusal::NotFound => f.write_str(
                "the GitHub API found no such repository, pull request or comment, or the token cannot see it (HTTP 404); check --repo-slug and --pr",
            ),
            Refusal::Invalid => {
                f.write_str("the GitHub API rejected the request as invalid (HTTP 422)")
            }
            Refusal::Status(status) => write!(f, "the GitHub API answered HTTP {status}"),
            Refusal::Unreadable => f.write_str("the GitHub API answered something unreadable"),
        }
    }
}

/// A location in a configuration file, where the YAML parser gives one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file is malformed or invalid.
    #[error("{}{}: {message}", file.display(), location.map(|l| format!(":{}:{}", l.line, l.column)).unwrap_or_default())]
    Config {
        file: PathBuf,
        location: Option<Location>,
        message: String,
    },

    /// The arguments or environment make no sense together.
    #[error("{0}")]
    Usage(String),

    /// `--strict` was given and the range could not be known.
    #[error("the commit range is uncertain and --strict is set: {0}")]
    Uncertain(String),

    /// The path given is not inside a git repository.
    #[error("failed to open a git repository at {}: {message}", path.display())]
    NotARepository { path: PathBuf, message: String },

    /// A base or head revision that does not resolve to a commit.
    #[error("failed to find {what} revision `{rev}` in the repository")]
    RevisionNotFound { what: &'static str, rev: String },

    /// The repository has no commit at all.
    #[error("failed to find a head commit: the repository has no commits yet")]
    EmptyRepository,

    /// A git operation failed.
    #[error("failed to {action}: {source}")]
    Git {
        action: String,
        #[source]
        source: git2::Error,
    },

    /// Reading or writing a file failed.
    #[error("failed to {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The CI event payload could not be read or understood.
    #[error("failed to read the CI event at {}: {message}", path.display())]
    Event { path: PathBuf, message: String },

    /// The GitHub API refused a request. `message` is GitHub's own, with the token redacted.
    #[error("failed to {action}: {refusal}: {message}")]
    GitHub {
        action: String,
        refusal: Refusal,
        message: String,
    },

    /// The GitHub API could not be reached.
    #[error("failed to reach the GitHub API at {url}: {message}")]
    GitHubUnreachable { url: String, message: String },

    /// An AWS API call failed (including missing credentials or region). `action` reads like
    /// "describe ECR repository `quest-app`"; `message` is the service's own, one line.
    #[error("failed to {action}: {message}")]
    Aws { action: String, message: String },

    /// An external program (the container CLI, terraform) failed or could not start.
    #[error("failed to {action}: {message}")]
    Tool { action: String, message: String },

    /// The target lacks the deployment section a command needs: a configuration error, said
    /// with the key path like every other.
    #[error("targets.{target}.{key}: the target has no `{key}` section, so {consequence}")]
    MissingSection {
        target: String,
        key: &'static str,
        consequence: &'static str,
    },

    /// A deployment could not start or go on for a reason of the target's own (a container not
    /// in the task definition, a branch that may not apply).
    #[error("{target}: {message}")]
    Deploy { target: String, message: String },

    /// The environment does not deploy from this branch.
    #[error("{target}: environment `{environment}` deploys from {allowed}, and {branch}; nothing was deployed (other commits reach it by promotion)")]
    BranchRefused {
        target: String,
        environment: String,
        /// `main only`, `main, release only` or `no branch`.
        allowed: String,
        /// `this is branch `x`` or `the branch is unknown (detached HEAD; set --branch)`.
        branch: String,
    },

    /// A promotion refused before anything changed.
    #[error("{target}: cannot promote commit {commit} from `{from}` to `{to}`: {reason}; nothing was changed in `{to}`")]
    NotPromotable {
        target: String,
        /// The short SHA.
        commit: String,
        from: String,
        to: String,
        reason: String,
    },

    /// The scan gate blocked the image.
    #[error("{target}: the scan gate blocked image {image}: {summary}")]
    ScanBlocked {
        target: String,
        image: String,
        summary: String,
    },

    /// The rollout failed and the service is back on the previous revision.
    #[error(
        "{target}: the rollout failed ({reason}) and the service was rolled back to {previous}"
    )]
    RolledBack {
        target: String,
        reason: String,
        previous: String,
    },

    /// The rollout failed, and so did the rollback.
    #[error("{target}: the rollout failed ({reason}) and the rollback to {previous} failed too ({rollback}); the service needs attention")]
    RollbackFailed {
        target: String,
        reason: String,
        previous: String,
        rollback: String,
    },

    /// A saved plan that does not belong to this commit, or whose file changed.
    #[error("{target}: refused to apply a stale plan: {message}")]
    StalePlan { target: String, message: String },

    /// The state lock is held by someone else.
    #[error("{target}: the state is locked by {holder} since {since} (lock id {id}); quest-changes never force-unlocks")]
    StateLocked {
        target: String,
        holder: String,
        since: String,
        id: String,
    },

    /// Plan-only with `--detailed-exitcode`: the plan has changes. A signal, not a failure.
    #[error("{target}: the plan has changes")]
    PlanHasChanges { target: String },
}

impl Error {
    /// The process exit code for this error; see [`exit_code`].
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config { .. } | Error::Usage(_) | Error::MissingSection { .. } => {
                exit_code::USAGE
            }
            Error::Uncertain(_) => exit_code::UNCERTAIN,
            Error::RevisionNotFound { .. } | Error::EmptyRepository => {
                exit_code::REVISION_NOT_FOUND
            }
            Error::NotARepository { .. }
            | Error::Git { .. }
            | Error::Io { .. }
            | Error::Event { .. }
            | Error::GitHubUnreachable { .. }
            | Error::Aws { .. }
            | Error::Tool { .. }
            | Error::Deploy { .. } => exit_code::FAILURE,
            Error::GitHub { .. } => exit_code::GITHUB_REFUSED,
            Error::BranchRefused { .. } => exit_code::BRANCH_REFUSED,
            Error::NotPromotable { .. } => exit_code::NOT_PROMOTABLE,
            Error::ScanBlocked { .. } => exit_code::SCAN_BLOCKED,
            Error::RolledBack { .. } => exit_code::ROLLED_BACK,
            Error::RollbackFailed { .. } => exit_code::ROLLBACK_FAILED,
            Error::StalePlan { .. } => exit_code::STALE_PLAN,
            Error::StateLocked { .. } => exit_code::STATE_LOCKED,
            Error::PlanHasChanges { .. } => exit_code::PLAN_HAS_CHANGES,
        }
    }

    pub(crate) fn git(action: impl Into<String>) -> impl FnOnce(git2::Error) -> Error {
        let action = action.into();
        move |source| Error::Git { action, source }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
