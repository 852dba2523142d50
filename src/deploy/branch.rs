//! The branch being deployed, and whether an environment deploys from it: what holds across
//! kinds. The branch is `--branch` (`QUEST_BRANCH`), else the CI's branch variable
//! (`CIRCLE_BRANCH`; `GITHUB_REF_NAME` for a branch ref on events other than pull requests,
//! where it names the merge ref, and never for a tag, which could be called `main`), else the
//! branch checked out. Pure but for reading HEAD (through `crate::git`).
//!
//! The environment rule: `deploy --env E` deploys only from a branch in E's `branches`. From
//! any other branch (or an unknown one) it is refused with exit 12 before anything is built or
//! planned, unless the run writes nothing to the environment (a terraform `--plan-only`).

use git2::Repository;

use crate::ci::Ci;
use crate::config::DeployEnvironment;
use crate::detect::range::Environment;
use crate::error::Error;

/// The branch being deployed, if one can be known.
pub fn current(explicit: Option<&str>, env: &Environment, repo: &Repository) -> Option<String> {
    if let Some(branch) = explicit.filter(|b| !b.is_empty()) {
        return Some(branch.to_owned());
    }
    let ci = Ci::from_env(env);
    if let Some(branch) = ci.circleci.branch {
        return Some(branch);
    }
    let github = ci.github;
    let pull_request = github
        .event_name
        .is_some_and(|e| e.starts_with("pull_request"));
    // GITHUB_REF_NAME holds a tag's name on a tag push: only a branch ref names a branch, or
    // a tag called `main` would apply.
    let branch_ref = github.ref_type.as_deref() == Some("branch")
        || github.git_ref.is_some_and(|r| r.starts_with("refs/heads/"));
    if !pull_request && branch_ref {
        if let Some(branch) = github.ref_name {
            return Some(branch);
        }
    }
    crate::git::checked_out_branch(repo)
}

/// Refuses a deployment into `environment` from `branch` unless the environment deploys from
/// it; `writes_nothing` (a plan-only run) is never refused.
pub fn check_environment(
    target: &str,
    environment: &DeployEnvironment,
    branch: Option<&str>,
    writes_nothing: bool,
) -> Result<(), Error> {
    if writes_nothing || branch.is_some_and(|b| environment.deploys_from(b)) {
        return Ok(());
    }
    let allowed = if environment.branches.is_empty() {
        "no branch".to_owned()
    } else {
        format!("{} only", environment.branches.join(", "))
    };
    let branch = match branch {
        Some(b) => format!("this is branch `{}`", crate::text::one_line(b)),
        None => "the branch is unknown (a detached HEAD and no CI branch variable; pass --branch)"
            .to_owned(),
    };
    Err(Error::BranchRefused {
        target: target.to_owned(),
        environment: environment.name.clone(),
        allowed,
        branch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Credentials;

    #[test]
    fn the_ci_branch_wins_over_the_checkout_but_not_a_pull_requests_ref() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let mut env = Environment::new();
        env.insert("GITHUB_REF_NAME".into(), "12/merge".into());
        env.insert("GITHUB_EVENT_NAME".into(), "pull_request".into());
        assert_eq!(current(None, &env, &repo), None);
        env.insert("GITHUB_EVENT_NAME".into(), "push".into());
        // A tag push: its name is no branch, whatever it is called.
        env.insert("GITHUB_REF_NAME".into(), "main".into());
        env.insert("GITHUB_REF_TYPE".into(), "tag".into());
        env.insert("GITHUB_REF".into(), "refs/tags/main".into());
        assert_eq!(current(None, &env, &repo), None);
        env.insert("GITHUB_REF_NAME".into(), "12/merge".into());
        env.insert("GITHUB_REF_TYPE".into(), "branch".into());
        env.insert("GITHUB_REF".into(), "refs/heads/12/merge".into());
        assert_eq!(current(None, &env, &repo).as_deref(), Some("12/merge"));
        env.insert("CIRCLE_BRANCH".into(), "main".into());
        assert_eq!(current(None, &env, &repo).as_deref(), Some("main"));
        assert_eq!(current(Some("dev"), &env, &repo).as_deref(), Some("dev"));
    }

    #[test]
    fn an_environment_deploys_only_from_its_branches() {
        let dev = DeployEnvironment {
            name: "dev".into(),
            branches: vec!["main".into()],
            region: "eu-west-1".into(),
            credentials: Credentials::Ambient,
            read_role_arn: None,
            approval: false,
        };
        assert!(check_environment("s", &dev, Some("main"), false).is_ok());
        assert!(check_environment("s", &dev, Some("feature"), true).is_ok());
        let refused = check_environment("s", &dev, Some("feature"), false).unwrap_err();
        assert_eq!(refused.exit_code(), crate::error::exit_code::BRANCH_REFUSED);
        assert_eq!(
            refused.to_string(),
            "s: environment `dev` deploys from main only, and this is branch `feature`; nothing was deployed (other commits reach it by promotion)"
        );
        let prod = DeployEnvironment {
            name: "prod".into(),
            branches: Vec::new(),
            ..dev
        };
        assert_eq!(
            check_environment("s", &prod, None, false).unwrap_err().to_string(),
            "s: environment `prod` deploys from no branch, and the branch is unknown (a detached HEAD and no CI branch variable; pass --branch); nothing was deployed (other commits reach it by promotion)"
        );
    }
}
