//! `--format circleci`: pipeline parameters for CircleCI's continuation API.
//!
//! One boolean per target, `deploy_<target>` with `-` mapped to `_` (configuration validation
//! rejects names that would collide), plus `quest_base` and `quest_head` so the continued
//! pipeline deploys exactly the range that was routed. An unknown base is an empty string.

use serde_json::{Map, Value};

use crate::detect::report::Report;

/// The parameter name for a target.
pub fn parameter_name(target: &str) -> String {
    format!("deploy_{}", target.replace('-', "_"))
}

/// Renders the parameters as compact JSON with a newline.
pub fn render(report: &Report) -> String {
    let mut params = Map::new();
    for (name, result) in &report.routing {
        params.insert(parameter_name(name), Value::Bool(result.changed));
    }
    params.insert(
        "quest_base".into(),
        Value::String(report.range.base.map(|b| b.to_string()).unwrap_or_default()),
    );
    params.insert(
        "quest_head".into(),
        Value::String(report.range.head.to_string()),
    );
    let mut out = Value::Object(params).to_string();
    out.push('\n');
    out
}
