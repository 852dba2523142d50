//! The one reader of the CI's variables: `CIRCLECI` and `CIRCLE_*`, `GITHUB_ACTIONS` and
//! `GITHUB_*` become a typed [`Ci`], read from the environment map a command is given (never
//! from the process's, so tests choose what the CI says). No other module reads one of these
//! variables (messages may name them). An empty variable counts as unset, everywhere.
//!
//! What each value is for is the reader's business: `range` takes the commits and the event,
//! the terraform engine the branch, `pull_request` the repository, the pull request and its base,
//! `comment` the API URL, and `detect` (for `--format github`) the output and summary files.

use crate::detect::range::Environment;

/// What the CI says about this run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ci {
    /// `CIRCLECI=true`: a CircleCI job.
    pub on_circleci: bool,
    /// `GITHUB_ACTIONS=true`: a GitHub Actions job.
    pub on_github: bool,
    pub circleci: CircleCi,
    pub github: GitHubActions,
}

/// CircleCI's variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CircleCi {
    /// `CIRCLE_SHA1`: the commit of the pipeline.
    pub sha1: Option<String>,
    /// `CIRCLE_TAG`: the tag pushed, on a tag pipeline.
    pub tag: Option<String>,
    /// `CIRCLE_BRANCH`: the branch of the pipeline.
    pub branch: Option<String>,
    /// `CIRCLE_PULL_REQUEST`: the pull request's URL, ending in `/pull/N`.
    pub pull_request: Option<String>,
    /// `CIRCLE_PR_NUMBER`: the pull request's number (forked pull requests).
    pub pr_number: Option<String>,
    /// `CIRCLE_PROJECT_USERNAME`: the repository's owner.
    pub project_username: Option<String>,
    /// `CIRCLE_PROJECT_REPONAME`: the repository's name.
    pub project_reponame: Option<String>,
}

/// GitHub Actions' variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitHubActions {
    /// `GITHUB_SHA`: the commit of the run.
    pub sha: Option<String>,
    /// `GITHUB_EVENT_NAME`: `push`, `pull_request`, `merge_group`, ...
    pub event_name: Option<String>,
    /// `GITHUB_EVENT_PATH`: the event payload's file.
    pub event_path: Option<String>,
    /// `GITHUB_REF`: the full ref, `refs/heads/main`.
    pub git_ref: Option<String>,
    /// `GITHUB_REF_NAME`: the short ref (a branch, a tag, or `N/merge`).
    pub ref_name: Option<String>,
    /// `GITHUB_REF_TYPE`: `branch` or `tag`.
    pub ref_type: Option<String>,
    /// `GITHUB_BASE_REF`: a pull request's base branch (pull request events only).
    pub base_ref: Option<String>,
    /// `GITHUB_REPOSITORY`: `OWNER/REPO`.
    pub repository: Option<String>,
    /// `GITHUB_API_URL`: the API's base URL (GitHub Enterprise Server has its own).
    pub api_url: Option<String>,
    /// `GITHUB_OUTPUT`: the step's output file.
    pub output: Option<String>,
    /// `GITHUB_STEP_SUMMARY`: the step's summary file.
    pub step_summary: Option<String>,
}

impl Ci {
    /// Reads the CI's variables from `env`.
    pub fn from_env(env: &Environment) -> Ci {
        let var = |name: &str| env.get(name).filter(|v| !v.is_empty()).cloned();
        Ci {
            on_circleci: var("CIRCLECI").as_deref() == Some("true"),
            on_github: var("GITHUB_ACTIONS").as_deref() == Some("true"),
            circleci: CircleCi {
                sha1: var("CIRCLE_SHA1"),
                tag: var("CIRCLE_TAG"),
                branch: var("CIRCLE_BRANCH"),
                pull_request: var("CIRCLE_PULL_REQUEST"),
                pr_number: var("CIRCLE_PR_NUMBER"),
                project_username: var("CIRCLE_PROJECT_USERNAME"),
                project_reponame: var("CIRCLE_PROJECT_REPONAME"),
            },
            github: GitHubActions {
                sha: var("GITHUB_SHA"),
                event_name: var("GITHUB_EVENT_NAME"),
                event_path: var("GITHUB_EVENT_PATH"),
                git_ref: var("GITHUB_REF"),
                ref_name: var("GITHUB_REF_NAME"),
                ref_type: var("GITHUB_REF_TYPE"),
                base_ref: var("GITHUB_BASE_REF"),
                repository: var("GITHUB_REPOSITORY"),
                api_url: var("GITHUB_API_URL"),
                output: var("GITHUB_OUTPUT"),
                step_summary: var("GITHUB_STEP_SUMMARY"),
            },
        }
    }
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
    fn an_empty_variable_is_unset() {
        let ci = Ci::from_env(&env(&[
            ("CIRCLECI", "true"),
            ("CIRCLE_BRANCH", ""),
            ("CIRCLE_SHA1", "abc"),
            ("GITHUB_ACTIONS", "false"),
            ("GITHUB_REF", "refs/heads/main"),
        ]));
        assert!(ci.on_circleci);
        assert!(!ci.on_github);
        assert_eq!(ci.circleci.branch, None);
        assert_eq!(ci.circleci.sha1.as_deref(), Some("abc"));
        assert_eq!(ci.github.git_ref.as_deref(), Some("refs/heads/main"));
        assert_eq!(Ci::from_env(&env(&[])), Ci::default());
    }
}
