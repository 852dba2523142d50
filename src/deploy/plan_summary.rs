//! A Terraform plan, summarised from `terraform show -json <plan>`: counts to add, change,
//! destroy and forget, the addresses under each, replaced and destroyed resources flagged as
//! risky, drift, and output changes by name.
//!
//! Built from `resource_changes[].change.actions`, never from Terraform's human text, and it
//! never reads `before`, `after` or any other value: a summary cannot leak a secret. A replace
//! counts once in "add" and once in "destroy", like Terraform's own "Plan:" line.

use std::fmt::Write as _;

use serde_json::Value;

/// What a plan does to one resource.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Destroyed and created again (either order).
    Replace,
    Destroy,
    Create,
    Update,
    /// Removed from the state, left in the cloud (a `removed` block).
    Forget,
}

impl Action {
    fn from_actions(actions: &[&str]) -> Option<Action> {
        match actions {
            ["create"] => Some(Action::Create),
            ["update"] => Some(Action::Update),
            ["delete"] => Some(Action::Destroy),
            ["delete", "create"] | ["create", "delete"] => Some(Action::Replace),
            ["forget"] => Some(Action::Forget),
            // `no-op` and `read` (data sources) change nothing.
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Replace => "replace",
            Action::Destroy => "destroy",
            Action::Create => "create",
            Action::Update => "update",
            Action::Forget => "forget",
        }
    }

    /// Replacing or destroying loses what was there.
    pub fn is_risky(self) -> bool {
        matches!(self, Action::Replace | Action::Destroy)
    }
}

/// The summary of one plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlanSummary {
    /// Every changed resource address with its action, risky ones first, then by address.
    pub resources: Vec<(Action, String)>,
    /// Resources changed outside Terraform since the last apply (`resource_drift`), with the
    /// actions Terraform reports for them.
    pub drift: Vec<(String, String)>,
    /// Output values that change, by name, with their action.
    pub outputs: Vec<(String, String)>,
}

/// Why a plan document could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryError(pub String);

impl PlanSummary {
    /// Summarises the JSON that `terraform show -json <planfile>` prints.
    pub fn from_json(text: &str) -> Result<PlanSummary, SummaryError> {
        let doc: Value = serde_json::from_str(text)
            .map_err(|e| SummaryError(format!("the plan is not JSON: {e}")))?;
        if doc.get("format_version").is_none() {
            return Err(SummaryError(
                "the JSON has no format_version; is it `terraform show -json` of a plan?".into(),
            ));
        }
        let mut resources = Vec::new();
        for change in array(&doc, "resource_changes") {
            let Some(address) = change.get("address").and_then(Value::as_str) else {
                continue;
            };
            if let Some(action) = Action::from_actions(&actions_of(change)) {
                resources.push((action, address.to_owned()));
            }
        }
        resources.sort();
        let mut drift: Vec<(String, String)> = array(&doc, "resource_drift")
            .filter_map(|d| {
                let address = d.get("address")?.as_str()?.to_owned();
                Some((address, actions_of(d).join("+")))
            })
            .collect();
        drift.sort();
        let mut outputs: Vec<(String, String)> = doc
            .get("output_changes")
            .and_then(Value::as_object)
            .map(|o| {
                o.iter()
                    .filter_map(|(name, change)| {
                        // Output changes carry their actions directly, not under `change`.
                        let actions: Vec<&str> = change
                            .get("actions")
                            .and_then(Value::as_array)
                            .map(|a| a.iter().filter_map(Value::as_str).collect())
                            .unwrap_or_default();
                        (actions != ["no-op"]).then(|| (name.clone(), actions.join("+")))
                    })
                    .collect()
            })
            .unwrap_or_default();
        outputs.sort();
        Ok(PlanSummary {
            resources,
            drift,
            outputs,
        })
    }

    fn count(&self, action: Action) -> usize {
        self.resources.iter().filter(|(a, _)| *a == action).count()
    }

    /// Resources to add: creations and replacements.
    pub fn to_add(&self) -> usize {
        self.count(Action::Create) + self.count(Action::Replace)
    }

    pub fn to_change(&self) -> usize {
        self.count(Action::Update)
    }

    /// Resources to destroy: destructions and replacements.
    pub fn to_destroy(&self) -> usize {
        self.count(Action::Destroy) + self.count(Action::Replace)
    }

    pub fn to_forget(&self) -> usize {
        self.count(Action::Forget)
    }

    /// Whether applying the plan would change any resource.
    pub fn has_changes(&self) -> bool {
        !self.resources.is_empty()
    }

    /// Terraform's own counting: `Plan: 1 to add, 2 to change, 1 to destroy.`
    pub fn headline(&self) -> String {
        if !self.has_changes() {
            return "No changes.".to_owned();
        }
        let mut line = format!(
            "Plan: {} to add, {} to change, {} to destroy",
            self.to_add(),
            self.to_change(),
            self.to_destroy()
        );
        if self.to_forget() > 0 {
            let _ = write!(line, ", {} to forget", self.to_forget());
        }
        line.push('.');
        line
    }

    /// The summary for a log: the headline, then one line per resource, risky ones first and
    /// marked `!`, then drift and outputs. Addresses are escaped onto one line.
    pub fn to_text(&self) -> String {
        let mut out = format!("{}\n", self.headline());
        for (action, address) in &self.resources {
            let mark = if action.is_risky() { "!" } else { " " };
            let _ = writeln!(
                out,
                "{mark} {:<8} {}",
                action.as_str(),
                crate::text::one_line(address)
            );
        }
        for (address, actions) in &self.drift {
            let _ = writeln!(
                out,
                "~ drift    {} ({actions})",
                crate::text::one_line(address)
            );
        }
        for (name, actions) in &self.outputs {
            let _ = writeln!(
                out,
                "  output   {} ({actions})",
                crate::text::one_line(name)
            );
        }
        out
    }
}

/// A summary saved beside the plan, for the pull request comment: the commit it was planned
/// at and the summary (addresses and actions only, never a value).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SavedSummary {
    pub target: String,
    pub commit: String,
    pub summary: PlanSummary,
}

impl SavedSummary {
    /// `<dir>/quest-<target>.summary.json`, beside the saved plan and its fingerprint.
    pub fn path(dir: &std::path::Path, target: &str) -> std::path::PathBuf {
        dir.join(format!("quest-{target}.summary.json"))
    }

    /// Writes the summary into `dir` (created if missing).
    pub fn save(&self, dir: &std::path::Path) -> crate::Result<()> {
        std::fs::create_dir_all(dir).map_err(crate::Error::io("create", dir))?;
        let path = Self::path(dir, &self.target);
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        std::fs::write(&path, text).map_err(crate::Error::io("write", path.clone()))
    }

    /// The summary saved in `dir` for `target`, if there is one.
    pub fn load(dir: &std::path::Path, target: &str) -> crate::Result<Option<SavedSummary>> {
        let path = Self::path(dir, target);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(crate::Error::io("read", path)(e)),
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            crate::Error::Usage(format!(
                "{} is not a plan summary quest-changes wrote: {e}",
                crate::text::one_line(&path.display().to_string())
            ))
        })
    }
}

fn array<'a>(doc: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    doc.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter())
        .into_iter()
        .flatten()
}

fn actions_of(change: &Value) -> Vec<&str> {
    change
        .get("change")
        .and_then(|c| c.get("actions"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of `terraform show -json` (format 1.2), with values that must never surface.
    const PLAN: &str = r#"{
      "format_version": "1.2",
      "terraform_version": "1.11.4",
      "resource_changes": [
        {"address": "aws_s3_bucket.logs", "change": {"actions": ["create"], "after": {"bucket": "secret-name"}}},
        {"address": "aws_ecs_service.quest", "change": {"actions": ["update"], "before": {"x": 1}, "after": {"x": 2}}},
        {"address": "aws_lb.public", "change": {"actions": ["delete", "create"]}},
        {"address": "aws_iam_role.old", "change": {"actions": ["delete"]}},
        {"address": "aws_kms_key.keep", "change": {"actions": ["no-op"]}},
        {"address": "data.aws_region.current", "change": {"actions": ["read"]}},
        {"address": "aws_ssm_parameter.gone", "change": {"actions": ["forget"]}},
        {"address": "module.net.aws_subnet.a[\"us-east-1a\"]", "change": {"actions": ["create", "delete"]}}
      ],
      "resource_drift": [
        {"address": "aws_security_group.alb", "change": {"actions": ["update"], "after": {"password": "hunter2"}}}
      ],
      "output_changes": {
        "alb_dns_name": {"actions": ["update"], "after": "x"},
        "cluster_name": {"actions": ["no-op"]},
        "secret_arn": {"actions": ["create"], "after_sensitive": true}
      }
    }"#;

    #[test]
    fn counts_like_terraform_and_lists_risky_changes_first() {
        let s = PlanSummary::from_json(PLAN).unwrap();
        assert_eq!(
            (s.to_add(), s.to_change(), s.to_destroy(), s.to_forget()),
            (3, 1, 3, 1)
        );
        assert_eq!(
            s.headline(),
            "Plan: 3 to add, 1 to change, 3 to destroy, 1 to forget."
        );
        assert_eq!(
            s.resources,
            [
                (Action::Replace, "aws_lb.public".to_owned()),
                (
                    Action::Replace,
                    "module.net.aws_subnet.a[\"us-east-1a\"]".to_owned()
                ),
                (Action::Destroy, "aws_iam_role.old".to_owned()),
                (Action::Create, "aws_s3_bucket.logs".to_owned()),
                (Action::Update, "aws_ecs_service.quest".to_owned()),
                (Action::Forget, "aws_ssm_parameter.gone".to_owned()),
            ]
        );
        assert_eq!(
            s.drift,
            [("aws_security_group.alb".to_owned(), "update".to_owned())]
        );
        assert_eq!(
            s.outputs,
            [
                ("alb_dns_name".to_owned(), "update".to_owned()),
                ("secret_arn".to_owned(), "create".to_owned())
            ]
        );
    }

    #[test]
    fn the_text_never_carries_a_value() {
        let text = PlanSummary::from_json(PLAN).unwrap().to_text();
        for secret in ["secret-name", "hunter2", "\"x\""] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.starts_with("Plan: 3 to add, 1 to change, 3 to destroy, 1 to forget.\n! replace  aws_lb.public\n"), "{text}");
    }

    #[test]
    fn an_empty_plan_has_no_changes_and_bad_input_says_why() {
        let s =
            PlanSummary::from_json(r#"{"format_version": "1.2", "resource_changes": []}"#).unwrap();
        assert!(!s.has_changes());
        assert_eq!(s.headline(), "No changes.");
        assert!(PlanSummary::from_json("not json").is_err());
        assert!(PlanSummary::from_json("{}").is_err());
    }
}
