//! Whether this run may apply: only on a branch in `apply_on`, or with `--apply`; never with
//! `--plan-only`. The branch is `deploy::branch::current`'s. Pure.

/// The decision and the sentence that explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyDecision {
    pub apply: bool,
    pub reason: String,
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
}
