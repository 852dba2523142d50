//! The repository adapter: opening it, and the small questions commands and engines ask about a
//! checkout (the commit a revision names, the checked-out commit and branch, whether a tracked
//! file changed, the `origin` URL, whether git ignores a path, a commit's subject and date, how
//! far apart two commits are).
//!
//! Detection reads git objects through its own narrow readers (`detect::range` for revisions
//! and fetching, `detect::diff` and `detect::rename` for tree diffs, `analysis::snapshot` for a
//! commit's files); everywhere else holds a `git2::Repository` or `git2::Oid` only as a value
//! (asking no more of it than its working directory) and asks this file, or `detect::range` for
//! what range resolution already answers (`find_commit` for `--since deployed`, which may
//! deepen a shallow clone; `default_branch`). Nothing here writes to the repository.

use std::path::Path;

use git2::{ErrorCode, Oid, Repository};

use crate::error::{Error, Result};
use crate::path::RepoPath;

/// Opens the repository that contains `path`.
pub fn open(path: &Path) -> Result<Repository> {
    // libgit2 hashes every object it reads again to check its id (a tenth of a large diff);
    // git does not, and leaves that to `git fsck`. quest-changes only reads.
    git2::opts::strict_hash_verification(false);
    Repository::discover(path).map_err(|e| Error::NotARepository {
        path: path.to_owned(),
        message: e.message().to_owned(),
    })
}

/// The commit `rev` (default `HEAD`) names; `what` says which end it is for the error.
pub fn commit_of(repo: &Repository, rev: Option<&str>, what: &'static str) -> Result<Oid> {
    let rev = rev.unwrap_or("HEAD");
    repo.revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id())
        .map_err(|_| Error::RevisionNotFound {
            what,
            rev: rev.to_owned(),
        })
}

/// Whether `HEAD` names a branch with no commit yet (a new, empty repository).
pub fn is_unborn(repo: &Repository) -> bool {
    matches!(repo.head(), Err(e) if e.code() == ErrorCode::UnbornBranch)
}

/// The commit checked out, if any.
pub fn checked_out_commit(repo: &Repository) -> Option<Oid> {
    repo.head()
        .ok()
        .and_then(|h| h.peel_to_commit().ok())
        .map(|c| c.id())
}

/// The branch checked out, if `HEAD` is on one (not detached).
pub fn checked_out_branch(repo: &Repository) -> Option<String> {
    let head = repo.head().ok()?;
    if !head.is_branch() {
        return None;
    }
    head.shorthand().ok().map(str::to_owned)
}

/// A tracked file whose working copy or index entry differs from `HEAD`, if there is one.
/// Untracked and ignored files do not count.
pub fn changed_tracked_file(repo: &Repository) -> Result<Option<RepoPath>> {
    let mut options = git2::StatusOptions::new();
    options.include_untracked(false).include_ignored(false);
    let statuses = repo
        .statuses(Some(&mut options))
        .map_err(Error::git("read the working tree's status"))?;
    Ok(statuses
        .iter()
        .find(|e| e.status() != git2::Status::CURRENT)
        .map(|e| RepoPath::new(e.path_bytes().to_vec())))
}

/// The URL of the `origin` remote, as configured.
pub fn origin_url(repo: &Repository) -> Option<String> {
    let remote = repo.find_remote("origin").ok()?;
    remote.url().ok().map(str::to_owned)
}

/// Whether git ignores `path` (relative to the working tree).
pub fn is_ignored(repo: &Repository, path: &str) -> bool {
    repo.is_path_ignored(path).unwrap_or(false)
}

/// What `status` shows of a deployed commit: its subject (the first line of its message, as
/// written: the caller makes it safe) and its committer date, RFC 3339 in UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitLine {
    pub subject: String,
    pub committed_at: String,
}

/// The subject and committer date of commit `oid`.
pub fn commit_line(repo: &Repository, oid: Oid) -> Result<CommitLine> {
    let commit = repo
        .find_commit(oid)
        .map_err(Error::git(format!("read commit {oid}")))?;
    let message = String::from_utf8_lossy(commit.message_bytes());
    let subject = message.lines().next().unwrap_or_default().to_owned();
    let committed_at = aws_smithy_types::DateTime::from_secs(commit.committer().when().seconds())
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default();
    Ok(CommitLine {
        subject,
        committed_at,
    })
}

/// How many commits `head` has that `base` lacks, and how many `base` has that `head` lacks.
pub fn ahead_behind(repo: &Repository, head: Oid, base: Oid) -> Result<(usize, usize)> {
    repo.graph_ahead_behind(head, base)
        .map_err(Error::git(format!(
            "count the commits between {base} and {head}"
        )))
}
