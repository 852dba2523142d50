//! Whether this run may apply: only on a branch in `apply_on`, or with `--apply`; never with
//! `--plan-only`. The branch is `--branch` (`QUEST_BRANCH`), else the CI's branch variable
//! (`CIRCLE_BRANCH`; `GITHUB_REF_NAME` for a branch ref on events other than pull requests,
//! where it names the merge ref, and never for a tag, which could be called `main`), else the
//! branch checked out. Pure but for reading HEAD (through `crate::git`).

use git2::Repository;

use crate::ci::Ci;
use crate::detect::range::Environment;

/// The decision and the sentence that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyDecision {
    pub apply: bool,
    pub reason: String,
}

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

/// Applies or not, and why.
pub fn decide(
    plan_only: bool,
    forced: bool,
    branch: Option<&str>,
    apply_on: &[String],
) -> ApplyDecision {
    let listed = format!("apply_on: {}", apply_on.join(", "));
    let shown = |b: &str| crate::text::one_line(b);
    if plan_only {
        return ApplyDecision {
            apply: false,
            reason: "--plan-only stops after the plan".into(),
        };
    }
    if forced {
        return ApplyDecision {
            apply: true,
            reason: "--apply was given".into(),
        };
    }
    match branch {
        Some(b) if apply_on.iter().any(|a| a == b) => ApplyDecision {
            apply: true,
            reason: format!("branch `{}` is in {listed}", shown(b)),
        },
        Some(b) => ApplyDecision {
            apply: false,
            reason: format!(
                "branch `{}` is not in {listed} (--apply applies anyway)",
                shown(b)
            ),
        },
        None => ApplyDecision {
            apply: false,
            reason: format!(
                "the branch is unknown (a detached HEAD and no CI branch variable; pass --branch), and only {listed} may apply"
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_branches_apply_unless_forced_and_never_plan_only() {
        let on = vec!["main".to_owned()];
        assert!(decide(false, false, Some("main"), &on).apply);
        let no = decide(false, false, Some("feature/x"), &on);
        assert!(!no.apply);
        assert_eq!(
            no.reason,
            "branch `feature/x` is not in apply_on: main (--apply applies anyway)"
        );
        assert!(decide(false, true, Some("feature/x"), &on).apply);
        assert!(!decide(true, true, Some("main"), &on).apply);
        assert!(!decide(false, false, None, &on).apply);
    }

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
}
