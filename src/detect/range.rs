//! Which base and head to compare, for which CI event, and why.
//!
//! One explicit policy (docs/range.md's table): explicit revisions first, then CircleCI,
//! then GitHub Actions (from the event payload), then a developer's machine. Every answer says
//! where it came from (`source`) and why (`reason`). When no range can be known the answer is
//! "uncertain", which marks every target changed: a needed deployment is never skipped
//! silently. A base that is missing (force push, shallow clone) is fetched by deepening a
//! shallow clone, else replaced by the merge base with the default branch, and the reason says
//! so. Reads the CI's variables only through `ci`, from the [`Environment`] value it is given.

use std::collections::BTreeMap;
use std::path::PathBuf;

use git2::{FetchOptions, Oid, Repository};
use serde::Serialize;
use serde_json::Value;

use crate::ci::Ci;
use crate::error::{Error, Result};

/// The environment variables the policy reads, captured once so the policy is testable.
pub type Environment = BTreeMap<String, String>;

/// Where the range came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// `--base` / `QUEST_BASE` (the orb passes `pipeline.git.base_revision` this way).
    Explicit,
    /// CircleCI without a base revision.
    Circleci,
    /// A GitHub Actions push to a branch.
    GithubPush,
    /// A GitHub Actions pull request.
    GithubPullRequest,
    /// A GitHub Actions merge queue group.
    GithubMergeGroup,
    /// A tag push (GitHub Actions or CircleCI).
    Tag,
    /// Another GitHub Actions event (dispatch, schedule, ...).
    GithubOther,
    /// A developer's machine.
    Local,
    /// The base was missing from the repository and the merge base with the default branch was
    /// used instead.
    Fallback,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Explicit => "explicit",
            Source::Circleci => "circleci",
            Source::GithubPush => "github-push",
            Source::GithubPullRequest => "github-pull-request",
            Source::GithubMergeGroup => "github-merge-group",
            Source::Tag => "tag",
            Source::GithubOther => "github-other",
            Source::Local => "local",
            Source::Fallback => "fallback",
        }
    }
}

/// What the caller asks for.
#[derive(Debug, Clone)]
pub struct Request {
    /// `--base` / `QUEST_BASE`, empty strings already dropped.
    pub base: Option<String>,
    /// `--head` / `QUEST_HEAD`.
    pub head: Option<String>,
    pub default_branch: String,
    pub max_fetch_depth: u32,
    pub env: Environment,
}

/// The resolved range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    /// None: compare with the empty tree (a repository's first commit), or nothing (uncertain).
    pub base: Option<Oid>,
    pub head: Oid,
    pub source: Source,
    pub reason: String,
    pub uncertain: bool,
}

const ZERO_SHA: &str = "0000000000000000000000000000000000000000";

/// Resolves the range for `request` in `repo`. What was done on the way that the user should
/// hear about (deepening a shallow clone) is appended to `notes`, also when resolution fails.
pub fn resolve(repo: &Repository, request: &Request, notes: &mut Vec<String>) -> Result<Range> {
    let mut ctx = Resolver {
        repo,
        request,
        notes,
        ci: Ci::from_env(&request.env),
    };
    ctx.resolve()
}

/// Finds the commit a full SHA names (a deployed commit), deepening a shallow clone like the
/// range does; `None` when it is not in the repository's history.
pub fn find_commit(
    repo: &Repository,
    request: &Request,
    sha: &str,
    notes: &mut Vec<String>,
) -> Result<Option<Oid>> {
    if !is_full_sha(sha) {
        return Ok(None);
    }
    let mut ctx = Resolver {
        repo,
        request,
        notes,
        ci: Ci::from_env(&request.env),
    };
    ctx.find_or_fetch(sha)
}

struct Resolver<'a> {
    repo: &'a Repository,
    request: &'a Request,
    notes: &'a mut Vec<String>,
    /// What the CI says, read from `request.env`.
    ci: Ci,
}

impl Resolver<'_> {
    fn resolve(&mut self) -> Result<Range> {
        let circleci = self.ci.on_circleci;
        let github = self.ci.on_github;

        if let Some(base) = self.request.base.clone() {
            let head = match (&self.request.head, circleci) {
                (Some(h), _) => h.clone(),
                (None, true) => self
                    .ci
                    .circleci
                    .sha1
                    .as_deref()
                    .unwrap_or("HEAD")
                    .to_owned(),
                (None, false) if github => {
                    self.ci.github.sha.as_deref().unwrap_or("HEAD").to_owned()
                }
                (None, false) => "HEAD".to_owned(),
            };
            let head = self.commit("head", &head)?;
            let why = if circleci {
                format!("base `{base}` given (QUEST_BASE or --base) in a CircleCI pipeline")
            } else {
                format!("base `{base}` given with --base or QUEST_BASE")
            };
            return self.with_base(&base, head, Source::Explicit, why);
        }
        if circleci {
            return self.circleci();
        }
        if github {
            return self.github();
        }
        self.local()
    }

    /// CircleCI without a base: a tag, the first pipeline of a branch, or an API trigger.
    fn circleci(&mut self) -> Result<Range> {
        let head_rev = self
            .request
            .head
            .clone()
            .or_else(|| self.ci.circleci.sha1.as_deref().map(str::to_owned))
            .unwrap_or_else(|| "HEAD".to_owned());
        let head = self.commit("head", &head_rev)?;
        if let Some(tag) = self.ci.circleci.tag.as_deref().map(str::to_owned) {
            return self.tag_range(&tag, head);
        }
        match self.ci.circleci.branch.as_deref().map(str::to_owned) {
            Some(branch) if branch != self.request.default_branch => {
                self.merge_base_range(head, Source::Circleci, &format!(
                    "CircleCI gave no base revision (first pipeline of branch `{branch}` or an API trigger)"
                ))
            }
            Some(branch) => Ok(self.uncertain(
                head,
                Source::Circleci,
                format!("CircleCI gave no base revision on the default branch `{branch}`, so the pushed range cannot be known"),
            )),
            None => Ok(self.uncertain(
                head,
                Source::Circleci,
                "CircleCI gave no base revision and no branch (an API-triggered pipeline?), so the range cannot be known".into(),
            )),
        }
    }

    fn github(&mut self) -> Result<Range> {
        let event_name = self
            .ci
            .github
            .event_name
            .as_deref()
            .unwrap_or("")
            .to_owned();
        let event = self.event()?;
        match event_name.as_str() {
            "push" => self.github_push(&event),
            "pull_request" | "pull_request_target" => self.github_pull_request(&event),
            "merge_group" => {
                let base = str_at(&event, &["merge_group", "base_sha"]);
                let head = str_at(&event, &["merge_group", "head_sha"]);
                let (Some(base), Some(head)) = (base, head) else {
                    return Err(
                        self.event_error("the merge_group event has no base_sha or head_sha")
                    );
                };
                let head = self.commit("head", &head)?;
                self.with_base(
                    &base,
                    head,
                    Source::GithubMergeGroup,
                    "merge queue group: its base to its head".into(),
                )
            }
            other => {
                let head_rev = self
                    .request
                    .head
                    .clone()
                    .or_else(|| self.ci.github.sha.as_deref().map(str::to_owned))
                    .unwrap_or_else(|| "HEAD".to_owned());
                let head = self.commit("head", &head_rev)?;
                let branch = self
                    .ci
                    .github
                    .git_ref
                    .as_deref()
                    .and_then(|r| r.strip_prefix("refs/heads/"))
                    .map(str::to_owned);
                match branch {
                    Some(b) if b != self.request.default_branch => self.merge_base_range(
                        head,
                        Source::GithubOther,
                        &format!("the `{other}` event carries no base, on branch `{b}`"),
                    ),
                    _ => Ok(self.uncertain(
                        head,
                        Source::GithubOther,
                        format!("the `{other}` event carries no base revision, so the range cannot be known"),
                    )),
                }
            }
        }
    }

    fn github_push(&mut self, event: &Value) -> Result<Range> {
        let after = str_at(event, &["after"])
            .or_else(|| self.ci.github.sha.as_deref().map(str::to_owned))
            .ok_or_else(|| self.event_error("the push event has no `after` commit"))?;
        let head_rev = self.request.head.clone().unwrap_or(after);
        let head = self.commit("head", &head_rev)?;
        let git_ref = str_at(event, &["ref"]).unwrap_or_default();
        if let Some(tag) = git_ref.strip_prefix("refs/tags/") {
            return self.tag_range(tag, head);
        }
        let before = str_at(event, &["before"]).unwrap_or_default();
        if before.is_empty() || before == ZERO_SHA {
            let branch = git_ref
                .strip_prefix("refs/heads/")
                .unwrap_or(&git_ref)
                .to_owned();
            return self.merge_base_range(
                head,
                Source::GithubPush,
                &format!("a new branch `{branch}` was pushed (no previous commit)"),
            );
        }
        self.with_base(
            &before,
            head,
            Source::GithubPush,
            "push: the commit before the push to the pushed commit".into(),
        )
    }

    fn github_pull_request(&mut self, event: &Value) -> Result<Range> {
        let base = str_at(event, &["pull_request", "base", "sha"]);
        let head = str_at(event, &["pull_request", "head", "sha"]);
        let (Some(base_sha), Some(head_sha)) = (base, head) else {
            return Err(self.event_error("the pull_request event has no base.sha or head.sha"));
        };
        let head_rev = self.request.head.clone().unwrap_or(head_sha);
        let head = self.commit("head", &head_rev)?;
        let Some(base) = self.find_or_fetch(&base_sha)? else {
            return self.fallback(
                head,
                &format!("the pull request's base commit {base_sha} is not in the repository"),
            );
        };
        match self.merge_base(base, head)? {
            Some(mb) => Ok(certain(Some(mb), head, Source::GithubPullRequest, format!(
                    "pull request: merge base of its base {} and its head, to its head, so commits merged into the base branch since branching are left out",
                    short(base)
                ))),
            None => Ok(self.uncertain(head, Source::GithubPullRequest, "the pull request's base and head share no history".into())),
        }
    }

    /// A developer's machine: merge base with the upstream, else `origin/<default>`, else
    /// `<default>`.
    fn local(&mut self) -> Result<Range> {
        let head_rev = self
            .request
            .head
            .clone()
            .unwrap_or_else(|| "HEAD".to_owned());
        let head = self.commit("head", &head_rev)?;
        let mut candidates: Vec<(String, Oid)> = Vec::new();
        if let Some(upstream) = self.upstream() {
            candidates.push(upstream);
        }
        let default = &self.request.default_branch;
        // Comparing the checked-out branch with itself would always say "nothing changed".
        let current = self
            .repo
            .head()
            .ok()
            .filter(|h| h.is_branch())
            .and_then(|h| h.name().ok().map(str::to_owned));
        for name in [
            format!("refs/remotes/origin/{default}"),
            format!("refs/heads/{default}"),
        ] {
            if current.as_deref() == Some(name.as_str()) && self.request.head.is_none() {
                continue;
            }
            if let Ok(reference) = self.repo.find_reference(&name) {
                if let Ok(commit) = reference.peel_to_commit() {
                    candidates.push((shorten_ref(&name), commit.id()));
                }
            }
        }
        for (name, oid) in candidates {
            if let Some(mb) = self.merge_base(oid, head)? {
                return Ok(certain(
                    Some(mb),
                    head,
                    Source::Local,
                    format!("merge base of {head_rev} with `{name}`"),
                ));
            }
        }
        if self.is_root(head)? {
            return Ok(certain(
                None,
                head,
                Source::Local,
                "the first commit of the repository: everything in it is new".into(),
            ));
        }
        Ok(self.uncertain(
            head,
            Source::Local,
            if current.as_deref() == Some(format!("refs/heads/{default}").as_str()) {
                format!("`{default}` is checked out and has no upstream or `origin/{default}` to compare with (pass --base)")
            } else {
                format!("no upstream branch, no `origin/{default}` and no `{default}` to compare with (pass --base)")
            },
        ))
    }

    /// The upstream of the checked-out branch, if it has one.
    fn upstream(&self) -> Option<(String, Oid)> {
        let head = self.repo.head().ok()?;
        if !head.is_branch() {
            return None;
        }
        let name = head.shorthand().ok()?.to_owned();
        let branch = self.repo.find_branch(&name, git2::BranchType::Local).ok()?;
        let upstream = branch.upstream().ok()?;
        let oid = upstream.get().peel_to_commit().ok()?.id();
        let upstream_name = upstream.name().ok().flatten()?.to_owned();
        Some((upstream_name, oid))
    }

    /// A range from a given base revision, with the missing-base policy.
    fn with_base(
        &mut self,
        base: &str,
        head: Oid,
        source: Source,
        reason: String,
    ) -> Result<Range> {
        let base_oid = if is_full_sha(base) {
            match self.find_or_fetch(base)? {
                Some(oid) => oid,
                None => {
                    return self.fallback(head, &format!("the base commit {base} is not in the repository (a force push or a shallow clone)"));
                }
            }
        } else {
            self.commit("base", base)?
        };
        Ok(certain(Some(base_oid), head, source, reason))
    }

    /// The merge base with the default branch stands in for a base that cannot be had.
    fn fallback(&mut self, head: Oid, why: &str) -> Result<Range> {
        match self.default_branch_merge_base(head)? {
            Some((name, mb)) if mb != head => Ok(certain(
                Some(mb),
                head,
                Source::Fallback,
                format!("{why}; using the merge base with `{name}` instead"),
            )),
            Some((name, _)) => Ok(self.uncertain(
                head,
                Source::Fallback,
                format!("{why}, and the head is on `{name}` itself, so the range cannot be known"),
            )),
            None => Ok(self.uncertain(
                head,
                Source::Fallback,
                format!(
                    "{why}, and no default branch `{}` is there to take a merge base with{}",
                    self.request.default_branch,
                    self.other_default_branch()
                ),
            )),
        }
    }

    /// The merge base with the default branch as the base of a branch's first pipeline.
    fn merge_base_range(&mut self, head: Oid, source: Source, why: &str) -> Result<Range> {
        match self.default_branch_merge_base(head)? {
            Some((name, mb)) if mb != head => Ok(certain(Some(mb), head, source, format!("{why}: merge base with `{name}`"))),
            Some((name, _)) if self.is_root(head)? => Ok(certain(None, head, source, format!("{why}; the head is the first commit of `{name}`: everything in it is new"))),
            Some((name, _)) => Ok(self.uncertain(
                head,
                source,
                format!("{why}, and the head is already on `{name}`, so the pushed range cannot be known"),
            )),
            None if self.is_root(head)? => Ok(certain(None, head, source, format!("{why}; the head is the repository's first commit: everything in it is new"))),
            None => Ok(self.uncertain(
                head,
                source,
                format!("{why}, and there is no default branch `{}` to take a merge base with{}", self.request.default_branch, self.other_default_branch()),
            )),
        }
    }

    /// When the configured default branch is missing and the remote's default branch has
    /// another name, the words that say so and name the key to set.
    fn other_default_branch(&self) -> String {
        match remote_default_branch(self.repo) {
            Some(name) if name != self.request.default_branch => format!(
                "; the repository's default branch is `{name}` (origin/HEAD): set `default_branch: {name}` in .quest-changes.yml"
            ),
            _ => String::new(),
        }
    }

    fn default_branch_merge_base(&mut self, head: Oid) -> Result<Option<(String, Oid)>> {
        let default = self.request.default_branch.clone();
        for name in [
            format!("refs/remotes/origin/{default}"),
            format!("refs/heads/{default}"),
        ] {
            let Ok(reference) = self.repo.find_reference(&name) else {
                continue;
            };
            let Ok(commit) = reference.peel_to_commit() else {
                continue;
            };
            if let Some(mb) = self.merge_base(commit.id(), head)? {
                return Ok(Some((shorten_ref(&name), mb)));
            }
        }
        Ok(None)
    }

    /// Tag push: the previous tag (same prefix, lower version) reachable from the tag.
    fn tag_range(&mut self, tag: &str, head: Oid) -> Result<Range> {
        let Some(current) = TagVersion::parse(tag) else {
            return Ok(self.uncertain(
                head,
                Source::Tag,
                format!("tag `{tag}` has no version number to order it by"),
            ));
        };
        let names = self
            .repo
            .tag_names(None)
            .map_err(Error::git("list the tags"))?;
        let mut best: Option<(TagVersion, String, Oid)> = None;
        for name in names.iter().flatten().flatten() {
            if name == tag {
                continue;
            }
            let Some(version) = TagVersion::parse(name) else {
                continue;
            };
            if version.prefix != current.prefix || version >= current {
                continue;
            }
            let Ok(obj) = self.repo.revparse_single(&format!("refs/tags/{name}")) else {
                continue;
            };
            let Ok(commit) = obj.peel_to_commit() else {
                continue;
            };
            let oid = commit.id();
            let reachable = oid == head
                || self
                    .repo
                    .graph_descendant_of(head, oid)
                    .map_err(Error::git("walk the history"))?;
            if reachable && best.as_ref().is_none_or(|(b, _, _)| version > *b) {
                best = Some((version, name.to_owned(), oid));
            }
        }
        match best {
            Some((_, name, oid)) => Ok(certain(
                Some(oid),
                head,
                Source::Tag,
                format!("tag `{tag}`: from the previous tag `{name}`"),
            )),
            None => Ok(self.uncertain(
                head,
                Source::Tag,
                format!(
                    "tag `{tag}` has no previous tag with the prefix `{}` in its history",
                    current.prefix
                ),
            )),
        }
    }

    fn uncertain(&self, head: Oid, source: Source, reason: String) -> Range {
        Range {
            base: None,
            head,
            source,
            reason,
            uncertain: true,
        }
    }

    /// Resolves a revision to a commit; a full SHA that is missing is fetched first.
    fn commit(&mut self, what: &'static str, rev: &str) -> Result<Oid> {
        if is_full_sha(rev) {
            if let Some(oid) = self.find_or_fetch(rev)? {
                return Ok(oid);
            }
            return Err(Error::RevisionNotFound {
                what,
                rev: rev.to_owned(),
            });
        }
        let unborn =
            matches!(self.repo.head(), Err(e) if e.code() == git2::ErrorCode::UnbornBranch);
        if unborn && rev == "HEAD" {
            return Err(Error::EmptyRepository);
        }
        self.repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map(|c| c.id())
            .map_err(|_| Error::RevisionNotFound {
                what,
                rev: rev.to_owned(),
            })
    }

    /// Finds a commit by full SHA, deepening a shallow clone until it appears or the depth
    /// limit is reached.
    fn find_or_fetch(&mut self, sha: &str) -> Result<Option<Oid>> {
        let oid = Oid::from_str(sha).map_err(Error::git(format!("parse the commit id {sha}")))?;
        if let Some(commit) = self.peel(oid) {
            return Ok(Some(commit));
        }
        if !self.repo.is_shallow() {
            return Ok(None);
        }
        let Some(remote_name) = self.fetch_remote() else {
            self.notes.push(format!(
                "commit {sha} is missing from this shallow clone, which has no remote to deepen from"
            ));
            return Ok(None);
        };
        let max = self.request.max_fetch_depth.max(1);
        let mut depth: u32 = 2;
        loop {
            let depth_now = depth.min(max);
            self.notes.push(format!(
                "commit {} is missing from this shallow clone; deepening it from `{remote_name}` to depth {depth_now}",
                short(oid)
            ));
            self.deepen(&remote_name, depth_now, None)?;
            if let Some(commit) = self.peel(oid) {
                return Ok(Some(commit));
            }
            // A commit only a pull request ref holds (a fork's head) is not on any branch the
            // remote's refspecs fetch; servers like GitHub's hand out reachable commits by id.
            if self.deepen(&remote_name, depth_now, Some(sha)).is_ok() {
                if let Some(commit) = self.peel(oid) {
                    return Ok(Some(commit));
                }
            }
            if depth_now >= max {
                self.notes.push(format!(
                    "commit {} is still missing at depth {max} (--max-fetch-depth)",
                    short(oid)
                ));
                return Ok(None);
            }
            depth = depth.saturating_mul(2);
        }
    }

    /// The commit an id names: the commit itself, or the commit an annotated tag points at
    /// (GitHub's push event for an annotated tag gives the tag object's id).
    fn peel(&self, oid: Oid) -> Option<Oid> {
        let object = self.repo.find_object(oid, None).ok()?;
        object.peel_to_commit().ok().map(|c| c.id())
    }

    fn fetch_remote(&self) -> Option<String> {
        let remotes = self.repo.remotes().ok()?;
        let names: Vec<&str> = remotes.iter().flatten().flatten().collect();
        if names.contains(&"origin") {
            return Some("origin".to_owned());
        }
        names.first().map(|s| (*s).to_owned())
    }

    /// Fetches from `remote_name` with `depth`: its configured refspecs, or only `sha`.
    fn deepen(&self, remote_name: &str, depth: u32, sha: Option<&str>) -> Result<()> {
        let mut remote = self
            .repo
            .find_remote(remote_name)
            .map_err(Error::git(format!("find the remote `{remote_name}`")))?;
        let mut options = FetchOptions::new();
        options.depth(i32::try_from(depth).unwrap_or(i32::MAX));
        options.download_tags(git2::AutotagOption::All);
        let refspecs: Vec<&str> = sha.into_iter().collect();
        match remote.fetch(&refspecs, Some(&mut options), None) {
            Ok(()) => Ok(()),
            // libgit2 fetches shallow over git:// here. Its local transport (`file://`, plain
            // paths) cannot fetch shallow; https and ssh are not built in (linking OpenSSL
            // costs every run ~45 ms of certificate loading); and the credentials CI sets up
            // live in git's own configuration (actions/checkout's extra header, CircleCI's ssh
            // key). git itself deepens all of those.
            Err(libgit2) => self
                .deepen_with_git(remote_name, depth, sha)
                .map_err(|git| Error::Git {
                    action: format!(
                        "deepen the clone from `{remote_name}` to depth {depth} (libgit2: {})",
                        libgit2.message()
                    ),
                    source: git2::Error::from_str(&git),
                }),
        }
    }

    fn deepen_with_git(
        &self,
        remote_name: &str,
        depth: u32,
        sha: Option<&str>,
    ) -> Result<(), String> {
        let cwd = self.repo.workdir().unwrap_or_else(|| self.repo.path());
        let depth_arg = format!("--depth={depth}");
        let mut args = vec![
            "fetch",
            "--quiet",
            "--tags",
            depth_arg.as_str(),
            "--",
            remote_name,
        ];
        args.extend(sha);
        match crate::process::run("git", &args, cwd) {
            Ok(finished) if finished.success => Ok(()),
            Ok(finished) => Err(format!(
                "git fetch: {}",
                String::from_utf8_lossy(&finished.stderr).trim()
            )),
            Err(e) => Err(e.to_string()),
        }
    }

    fn merge_base(&self, a: Oid, b: Oid) -> Result<Option<Oid>> {
        match self.repo.merge_base(a, b) {
            Ok(oid) => Ok(Some(oid)),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(Error::Git {
                action: format!("find the merge base of {} and {}", short(a), short(b)),
                source: e,
            }),
        }
    }

    fn is_root(&self, oid: Oid) -> Result<bool> {
        let commit = self
            .repo
            .find_commit(oid)
            .map_err(Error::git(format!("read commit {oid}")))?;
        // In a shallow clone a grafted commit looks parentless without being the first commit.
        Ok(commit.parent_count() == 0 && !self.repo.is_shallow())
    }

    fn event(&self) -> Result<Value> {
        let Some(path) = self.ci.github.event_path.as_deref() else {
            return Err(Error::Event {
                path: PathBuf::from("$GITHUB_EVENT_PATH"),
                message: "GITHUB_ACTIONS is true but GITHUB_EVENT_PATH is not set".into(),
            });
        };
        let path = PathBuf::from(path);
        let text = std::fs::read(&path).map_err(|e| Error::Event {
            path: path.clone(),
            message: e.to_string(),
        })?;
        serde_json::from_slice(&text).map_err(|e| Error::Event {
            path,
            message: format!("not valid JSON: {e}"),
        })
    }

    fn event_error(&self, message: &str) -> Error {
        Error::Event {
            path: PathBuf::from(
                self.ci
                    .github
                    .event_path
                    .as_deref()
                    .unwrap_or("$GITHUB_EVENT_PATH"),
            ),
            message: message.to_owned(),
        }
    }
}

/// A range that is known.
fn certain(base: Option<Oid>, head: Oid, source: Source, reason: String) -> Range {
    Range {
        base,
        head,
        source,
        reason,
        uncertain: false,
    }
}

fn str_at(value: &Value, keys: &[&str]) -> Option<String> {
    let mut v = value;
    for k in keys {
        v = v.get(k)?;
    }
    v.as_str().filter(|s| !s.is_empty()).map(str::to_owned)
}

fn is_full_sha(rev: &str) -> bool {
    (rev.len() == 40 || rev.len() == 64) && rev.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The branch `origin/HEAD` names: the remote's default branch, when the clone recorded it.
pub fn remote_default_branch(repo: &Repository) -> Option<String> {
    let reference = repo.find_reference("refs/remotes/origin/HEAD").ok()?;
    reference
        .symbolic_target()
        .ok()??
        .strip_prefix("refs/remotes/origin/")
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
}

/// The repository's default branch as a configuration should name it: `origin/HEAD`'s, else
/// the checked-out branch (even before its first commit), else `main`.
pub fn default_branch(repo: &Repository) -> String {
    if let Some(name) = remote_default_branch(repo) {
        return name;
    }
    repo.find_reference("HEAD")
        .ok()
        .and_then(|head| head.symbolic_target().ok().flatten().map(str::to_owned))
        .and_then(|target| target.strip_prefix("refs/heads/").map(str::to_owned))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "main".to_owned())
}

/// The short form of a commit id, as every message of the program writes it.
pub(crate) use crate::text::short;

fn shorten_ref(name: &str) -> String {
    name.strip_prefix("refs/remotes/")
        .or_else(|| name.strip_prefix("refs/heads/"))
        .unwrap_or(name)
        .to_owned()
}

/// A tag's version for ordering: `v1.2.3-rc.1` is prefix `v`, numbers [1, 2, 3], suffix `rc.1`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TagVersion {
    prefix: String,
    numbers: Vec<u64>,
    /// Pre-release text; a release (empty) sorts after its pre-releases.
    suffix: String,
}

impl TagVersion {
    fn parse(tag: &str) -> Option<TagVersion> {
        let start = tag.find(|c: char| c.is_ascii_digit())?;
        let prefix = tag[..start].to_owned();
        let rest = &tag[start..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let numbers: Vec<u64> = rest[..end]
            .split('.')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().ok())
            .collect::<Option<_>>()?;
        let suffix = rest[end..].trim_start_matches(['-', '+']).to_owned();
        Some(TagVersion {
            prefix,
            numbers,
            suffix,
        })
    }
}

impl PartialOrd for TagVersion {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TagVersion {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let len = self.numbers.len().max(other.numbers.len());
        for i in 0..len {
            let a = self.numbers.get(i).copied().unwrap_or(0);
            let b = other.numbers.get(i).copied().unwrap_or(0);
            match a.cmp(&b) {
                std::cmp::Ordering::Equal => {}
                ord => return ord,
            }
        }
        match (self.suffix.is_empty(), other.suffix.is_empty()) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            (false, false) => natural_cmp(&self.suffix, &other.suffix),
        }
    }
}

/// Compares pre-release suffixes part by part, numbers as numbers: `rc.2` < `rc.10`.
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |s: &str| -> Vec<String> { s.split(['.', '-']).map(str::to_owned).collect() };
    let (pa, pb) = (parts(a), parts(b));
    for (x, y) in pa.iter().zip(&pb) {
        let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(n), Ok(m)) => n.cmp(&m),
            // SemVer: numeric identifiers sort before alphanumeric ones.
            (Ok(_), Err(_)) => std::cmp::Ordering::Less,
            (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if ord != std::cmp::Ordering::Equal {
            return ord;
        }
    }
    pa.len().cmp(&pb.len())
}

#[cfg(test)]
mod tests {
    use super::TagVersion;

    #[test]
    fn tag_versions_order_numerically_and_releases_after_prereleases() {
        let v = |s| TagVersion::parse(s).unwrap_or_else(|| panic!("{s}"));
        assert!(v("v1.10.0") > v("v1.9.9"));
        assert!(v("v2.0.0") > v("v2.0.0-rc.1"));
        assert!(v("v2.0.0-rc.10") > v("v2.0.0-rc.9"));
        assert_eq!(v("release-2024.1").prefix, "release-");
        assert!(TagVersion::parse("latest").is_none());
    }
}
