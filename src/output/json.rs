//! `--format json`: the documented, stable schema (docs/outputs.md, "`--format json`").
//!
//! Paths that are UTF-8 appear as they are; a path that is not also carries `path_hex` (and
//! `old_path_hex`), the exact bytes in lowercase hex, while `path` holds a display form with
//! U+FFFD for the invalid bytes. Each target lists its files by display form and, exactly, by
//! their indices into `changes`.

use indexmap::IndexMap;
use serde::Serialize;

use crate::detect::plan::TargetPlan;
use crate::detect::report::Report;
use crate::detect::route::{Explanation, Why};
use crate::path::RepoPath;

/// The version of this JSON schema; bumped only on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    base: Option<String>,
    head: String,
    range: RangeDoc<'a>,
    uncertain: bool,
    uncommitted: bool,
    changes: Vec<ChangeDoc>,
    /// Present when renames with edits were not looked for (too many candidates).
    #[serde(skip_serializing_if = "Option::is_none")]
    rename_limit: Option<RenameLimitDoc>,
    targets: IndexMap<&'a str, TargetDoc>,
    /// The changed targets, ready for a CI fan-out (a matrix of jobs).
    matrix: Vec<MatrixEntry<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<&'a [TargetPlan]>,
}

#[derive(Serialize)]
struct MatrixEntry<'a> {
    target: &'a str,
    kind: &'static str,
}

#[derive(Serialize)]
struct RangeDoc<'a> {
    source: &'a str,
    reason: &'a str,
}

#[derive(Serialize)]
struct RenameLimitDoc {
    limit: usize,
    deleted: usize,
    added: usize,
}

#[derive(Serialize)]
struct ChangeDoc {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_hex: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_path_hex: Option<String>,
    status: &'static str,
}

#[derive(Serialize)]
struct TargetDoc {
    kind: &'static str,
    changed: bool,
    /// The base this target's files were routed from: the range's, or under `--since
    /// deployed` the commit the target runs now (null: unknown, so the target is changed).
    base: Option<String>,
    /// `range`, or `deployed` under `--since deployed`.
    base_source: &'static str,
    /// Under `--since deployed`: why this base.
    #[serde(skip_serializing_if = "Option::is_none")]
    base_reason: Option<String>,
    files: Vec<String>,
    /// Indices into `changes` of the same files: exact for names that are not UTF-8.
    changes: Vec<usize>,
}

/// Renders the report (and, for `plan`/`--dry-run`, the plan) as pretty JSON with a newline.
pub fn render(report: &Report, plan: Option<&[TargetPlan]>) -> String {
    let index: std::collections::HashMap<&RepoPath, usize> = report
        .changes
        .iter()
        .enumerate()
        .map(|(i, c)| (&c.path, i))
        .collect();
    let hex_if_not_utf8 = |p: &RepoPath| {
        if p.as_utf8().is_some() {
            None
        } else {
            Some(p.hex())
        }
    };
    let doc = Document {
        version: SCHEMA_VERSION,
        base: report.range.base.map(|b| b.to_string()),
        head: report.range.head.to_string(),
        range: RangeDoc {
            source: report.range.source.as_str(),
            reason: &report.range.reason,
        },
        uncertain: report.range.uncertain,
        uncommitted: report.uncommitted,
        changes: report
            .changes
            .iter()
            .map(|c| ChangeDoc {
                path: c.path.lossy(),
                path_hex: hex_if_not_utf8(&c.path),
                old_path: c.old_path.as_ref().map(|p| p.lossy()),
                old_path_hex: c.old_path.as_ref().and_then(hex_if_not_utf8),
                status: c.status.as_str(),
            })
            .collect(),
        rename_limit: report.rename_limit.map(|hit| RenameLimitDoc {
            limit: hit.limit,
            deleted: hit.sources,
            added: hit.destinations,
        }),
        targets: report
            .routing
            .iter()
            .map(|(name, r)| {
                (
                    name.as_str(),
                    TargetDoc {
                        kind: r.kind.as_str(),
                        changed: r.changed,
                        base: match &r.since {
                            Some(since) => since.commit.map(|c| c.to_string()),
                            None => report.range.base.map(|b| b.to_string()),
                        },
                        base_source: if r.since.is_some() {
                            "deployed"
                        } else {
                            "range"
                        },
                        base_reason: r.since.as_ref().map(|s| s.reason.clone()),
                        files: r.files.iter().map(|f| f.lossy()).collect(),
                        changes: r
                            .files
                            .iter()
                            .filter_map(|f| index.get(f).copied())
                            .collect(),
                    },
                )
            })
            .collect(),
        matrix: report
            .routing
            .iter()
            .filter(|(_, r)| r.changed)
            .map(|(name, r)| MatrixEntry {
                target: name,
                kind: r.kind.as_str(),
            })
            .collect(),
        plan,
    };
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

#[derive(Serialize)]
struct ExplainDoc {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    path_hex: Option<String>,
    targets: IndexMap<String, Option<DecisionDoc>>,
}

#[derive(Serialize)]
struct DecisionDoc {
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
    /// For an image build's input (or non-input): why, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    /// For a Terraform root's dependency: the chain of calls that makes it one.
    #[serde(skip_serializing_if = "Option::is_none")]
    terraform: Option<String>,
    included: bool,
}

/// The chain of a Terraform dependency in words; empty means a file of the root itself.
pub(crate) fn terraform_reason(chain: &str) -> String {
    if chain.is_empty() {
        "a file of the root".to_owned()
    } else {
        chain.to_owned()
    }
}

/// `explain --format json`: for each path, the deciding rule of each target (null: none).
pub fn render_explain(entries: &[Explanation]) -> String {
    let docs: Vec<ExplainDoc> = entries
        .iter()
        .map(|(path, decisions)| ExplainDoc {
            path: path.lossy(),
            path_hex: path.as_utf8().is_none().then(|| path.hex()),
            targets: decisions
                .iter()
                .map(|(target, d)| {
                    (
                        target.clone(),
                        d.as_ref().map(|d| match &d.why {
                            Why::Rule { index, rule } => DecisionDoc {
                                rule_index: Some(*index),
                                rule: Some(rule.clone()),
                                image: None,
                                terraform: None,
                                included: d.included,
                            },
                            Why::Image(reason) => DecisionDoc {
                                rule_index: None,
                                rule: None,
                                image: Some(reason.describe()),
                                terraform: None,
                                included: d.included,
                            },
                            Why::Terraform { chain, .. } => DecisionDoc {
                                rule_index: None,
                                rule: None,
                                image: None,
                                terraform: Some(terraform_reason(chain)),
                                included: d.included,
                            },
                        }),
                    )
                })
                .collect(),
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&docs).unwrap_or_default();
    out.push('\n');
    out
}
