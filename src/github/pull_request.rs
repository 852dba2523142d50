//! Which pull request the comment goes to: the repository slug and the pull request number,
//! from the flags, else from what the CI says, else from the GitHub API.
//!
//! The order: `--repo-slug`, `GITHUB_REPOSITORY`, CircleCI's `CIRCLE_PROJECT_USERNAME` and
//! `CIRCLE_PROJECT_REPONAME`; `--pr`, `CIRCLE_PULL_REQUEST` (a URL ending in `/pull/N`),
//! `CIRCLE_PR_NUMBER`, the GitHub event payload's `pull_request.number`, and last the pull
//! requests GitHub lists for the head commit (an open one first). Empty variables count as
//! unset. The variables are read through `ci`, from the environment map this file is given, never
//! the process's. The base branch a pull request merges into comes from the CI
//! ([`base_branch_from_ci`]) or the API (`GitHub::pull_base`).

use std::path::PathBuf;

use serde_json::Value;

use crate::ci::Ci;
use crate::detect::range::Environment;
use crate::error::{Error, Result};
use crate::github::api::{GitHub, Slug};

/// The repository, from `--repo-slug` or the CI's variables.
pub fn slug(flag: Option<&str>, env: &Environment) -> Result<Slug> {
    let ci = Ci::from_env(env);
    let (text, from) = if let Some(flag) = flag {
        (flag.to_owned(), "--repo-slug")
    } else if let Some(repository) = ci.github.repository {
        (repository, "GITHUB_REPOSITORY")
    } else if let (Some(owner), Some(repo)) =
        (ci.circleci.project_username, ci.circleci.project_reponame)
    {
        (
            format!("{owner}/{repo}"),
            "CIRCLE_PROJECT_USERNAME/CIRCLE_PROJECT_REPONAME",
        )
    } else {
        return Err(Error::Usage(
            "comment needs the repository: pass --repo-slug OWNER/REPO (or set GITHUB_REPOSITORY)"
                .into(),
        ));
    };
    parse_slug(&text).ok_or_else(|| {
        Error::Usage(format!(
            "{from} must be OWNER/REPO of letters, digits, `-`, `_` and `.`, not `{}`",
            crate::text::one_line(&text)
        ))
    })
}

fn parse_slug(text: &str) -> Option<Slug> {
    let (owner, repo) = text.split_once('/')?;
    let valid = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    (valid(owner) && valid(repo)).then(|| Slug {
        owner: owner.to_owned(),
        repo: repo.to_owned(),
    })
}

/// The pull request number, without asking the API.
pub fn number_from_ci(flag: Option<u64>, env: &Environment) -> Result<Option<u64>> {
    if flag.is_some() {
        return Ok(flag);
    }
    let ci = Ci::from_env(env);
    if let Some(url) = ci.circleci.pull_request.as_deref() {
        let number = url
            .trim_end_matches('/')
            .rsplit_once("/pull/")
            .and_then(|(_, n)| n.parse().ok());
        return match number {
            Some(n) => Ok(Some(n)),
            None => Err(Error::Usage(format!(
                "CIRCLE_PULL_REQUEST should end in /pull/N, not `{}`; pass --pr",
                crate::text::one_line(url)
            ))),
        };
    }
    if let Some(text) = ci.circleci.pr_number.as_deref() {
        return text.trim().parse().map(Some).map_err(|_| {
            Error::Usage(format!(
                "CIRCLE_PR_NUMBER should be a number, not `{}`; pass --pr",
                crate::text::one_line(text)
            ))
        });
    }
    if let Some(path) = ci.github.event_path {
        let path = PathBuf::from(path);
        let text = std::fs::read(&path).map_err(|e| Error::Event {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let event: Value = serde_json::from_slice(&text).map_err(|e| Error::Event {
            path,
            message: format!("not valid JSON: {e}"),
        })?;
        if let Some(n) = event["pull_request"]["number"].as_u64() {
            return Ok(Some(n));
        }
    }
    Ok(None)
}

/// The branch the pull request merges into, as the CI says it: `GITHUB_BASE_REF`, else the
/// GitHub event payload's `pull_request.base.ref`. `None` when neither says (CircleCI, a push);
/// an unreadable payload is not an error here, as the base is only worded in the comment.
pub fn base_branch_from_ci(env: &Environment) -> Option<String> {
    let ci = Ci::from_env(env);
    if let Some(base) = ci.github.base_ref {
        return Some(base);
    }
    let text = std::fs::read(ci.github.event_path?).ok()?;
    let event: Value = serde_json::from_slice(&text).ok()?;
    event["pull_request"]["base"]["ref"]
        .as_str()
        .filter(|b| !b.is_empty())
        .map(str::to_owned)
}

/// The pull request number: from the CI, else the first (open first) that GitHub lists for
/// `head`.
pub fn number(
    flag: Option<u64>,
    env: &Environment,
    github: &GitHub,
    slug: &Slug,
    head: &str,
) -> Result<u64> {
    if let Some(n) = number_from_ci(flag, env)? {
        return Ok(n);
    }
    github
        .pulls_for_commit(slug, head)?
        .first()
        .copied()
        .ok_or_else(|| {
            Error::Usage(format!(
                "found no pull request in {slug} that contains commit {head}; pass --pr N"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Environment {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn slug_order_and_validation() {
        let e = env(&[
            ("GITHUB_REPOSITORY", "a/b"),
            ("CIRCLE_PROJECT_USERNAME", "c"),
            ("CIRCLE_PROJECT_REPONAME", "d"),
        ]);
        assert_eq!(slug(None, &e).unwrap().to_string(), "a/b");
        assert_eq!(slug(Some("x/y"), &e).unwrap().to_string(), "x/y");
        let circle = env(&[
            ("GITHUB_REPOSITORY", ""),
            ("CIRCLE_PROJECT_USERNAME", "c"),
            ("CIRCLE_PROJECT_REPONAME", "d"),
        ]);
        assert_eq!(slug(None, &circle).unwrap().to_string(), "c/d");
        assert!(slug(Some("a/b/c"), &e).is_err());
        assert!(slug(Some("a/../x"), &e).is_err());
        assert!(slug(None, &env(&[])).is_err());
    }

    #[test]
    fn number_order() {
        let e = env(&[
            ("CIRCLE_PULL_REQUEST", "https://github.com/o/r/pull/42"),
            ("CIRCLE_PR_NUMBER", "7"),
        ]);
        assert_eq!(number_from_ci(Some(3), &e).unwrap(), Some(3));
        assert_eq!(number_from_ci(None, &e).unwrap(), Some(42));
        let e = env(&[("CIRCLE_PR_NUMBER", "7")]);
        assert_eq!(number_from_ci(None, &e).unwrap(), Some(7));
        assert_eq!(number_from_ci(None, &env(&[])).unwrap(), None);
        let bad = env(&[("CIRCLE_PULL_REQUEST", "https://github.com/o/r/tree/x")]);
        assert!(number_from_ci(None, &bad).is_err());
    }
}
