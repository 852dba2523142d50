//! The body of the pull request comment: the Markdown summary, each changed target's part as
//! its engine gave it ([`Detail`], collected by `deploy::comment`), and a mermaid flowchart of
//! changed folders to targets, always within GitHub's limit of 65,536 characters.
//!
//! It reuses the pieces of [`super::markdown`] (marker, escaping, tables) and adds only the
//! details, the chart and the size budget: when the body would be too long, the file list is
//! cut first, with a note saying how many files were left out; only a summary that cannot fit
//! even without it is cut at the end. Every mermaid label is entity-escaped and quoted, and node
//! ids are generated (`n0`, `t0`), so no folder or target name can break the chart, close the
//! code fence or open HTML. The chart goes on from each changed target to the jobs of its kind.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::markdown;
use crate::detect::report::Report;

/// What the body is kept within: below GitHub's limit on a comment body (65,536 characters),
/// with room for line-ending conversion.
const BUDGET: usize = 65_000;
/// Folders drawn at most; the rest share one node.
const MAX_FOLDERS: usize = 30;
/// Characters of a name kept in a chart label.
const MAX_LABEL: usize = 60;

/// What a changed target's section of the comment shows besides the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// An `ecs-service` target: the image its deployment builds and pushes.
    Image {
        target: String,
        repository: Option<String>,
        tag: String,
    },
    /// A `terraform` target with a plan saved for this commit.
    Plan {
        target: String,
        summary: crate::deploy::plan_summary::PlanSummary,
    },
    /// A `terraform` target with no plan for this commit yet.
    NoPlan { target: String, why: String },
}

impl Detail {
    /// The same part, its heading naming the environment it is of: `infra in dev`.
    pub fn in_environment(self, environment: &str) -> Detail {
        let label = |target: String| format!("{target} in {environment}");
        match self {
            Detail::Image {
                target,
                repository,
                tag,
            } => Detail::Image {
                target: label(target),
                repository,
                tag,
            },
            Detail::Plan { target, summary } => Detail::Plan {
                target: label(target),
                summary,
            },
            Detail::NoPlan { target, why } => Detail::NoPlan {
                target: label(target),
                why,
            },
        }
    }
}

/// What merging the pull request does to the declared environments: the comment's
/// per-environment section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environments {
    /// The branch the pull request merges into.
    pub base_branch: String,
    /// Whether that branch is assumed (the default branch), the pull request's own being unknown.
    pub assumed: bool,
    /// Each declared environment, in the configuration's order.
    pub environments: Vec<EnvironmentNote>,
}

/// One environment in the per-environment section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentNote {
    pub name: String,
    pub effect: MergeEffect,
}

/// What merging does to one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeEffect {
    /// The environment deploys from the base branch: merging deploys these changed targets
    /// there (none: nothing of this pull request deploys there).
    Deploys(Vec<String>),
    /// The environment is reached by promotion: it stays as it is. With what each changed
    /// target runs there, where that was read (`--since deployed`): target and commit.
    Stays(Vec<(String, String)>),
}

/// Addresses listed per plan at most; the rest are counted.
const MAX_ADDRESSES: usize = 50;

/// Renders the comment body; `environments`, when the configuration declares some, adds
/// what merging does to each.
pub fn render(report: &Report, details: &[Detail], environments: Option<&Environments>) -> String {
    let head = format!(
        "{}{}{}{}",
        markdown::header(report),
        markdown::targets_table(report),
        environments.map(environments_section).unwrap_or_default(),
        details_section(details)
    );
    let tail = format!("{}{}", chart(report), markdown::range_line(report));
    let body = |shown: usize| format!("{head}{}{tail}", markdown::files_table(report, shown));
    let fits = |text: &str| text.chars().count() <= BUDGET;
    let all = report.changes.len();
    let full = body(all);
    if fits(&full) {
        return full;
    }
    // The largest number of listed files that still fits: the body grows with each.
    let (mut low, mut high) = (0, all);
    while low < high {
        let mid = (low + high).div_ceil(2);
        if fits(&body(mid)) {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    let cut = body(low);
    if fits(&cut) {
        return cut;
    }
    // Even without a file list the summary is too long (thousands of targets): cut its end.
    let over = cut.chars().count() - BUDGET;
    let note = format!(
        "\n\n_The rest of this summary was cut: it was {over} characters over GitHub's limit._\n"
    );
    let keep = BUDGET - note.chars().count();
    let mut text: String = cut.chars().take(keep).collect();
    text.push_str(&note);
    text
}

/// What merging does to each environment: `merging deploys service to dev`, `prod stays at
/// `abc` until promoted`. Names are escaped; commits are hex.
fn environments_section(environments: &Environments) -> String {
    let code = |text: &str| crate::path::RepoPath::from(text).markdown_code();
    let mut out = format!(
        "\n**Environments**, merging into {}",
        code(&environments.base_branch)
    );
    if environments.assumed {
        out.push_str(" (the default branch: the pull request's base was not known)");
    }
    out.push_str(":\n\n");
    for environment in &environments.environments {
        let name = markdown::escape_text(&environment.name);
        let line = match &environment.effect {
            MergeEffect::Deploys(targets) if targets.is_empty() => {
                format!("merging deploys nothing to {name}")
            }
            MergeEffect::Deploys(targets) => format!(
                "merging deploys {} to {name}",
                targets
                    .iter()
                    .map(|t| markdown::escape_text(t))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            MergeEffect::Stays(running) => {
                let sha = |commit: &str| {
                    let hex: String = crate::text::short_sha(commit)
                        .chars()
                        .filter(char::is_ascii_hexdigit)
                        .collect();
                    format!("`{hex}`")
                };
                match running.as_slice() {
                    [] => format!("{name} stays as it is until promoted"),
                    [(_, first), rest @ ..] if rest.iter().all(|(_, c)| c == first) => {
                        format!("{name} stays at {} until promoted", sha(first))
                    }
                    each => format!(
                        "{name} stays as it is until promoted ({})",
                        each.iter()
                            .map(|(t, c)| format!("{} at {}", markdown::escape_text(t), sha(c)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
            }
        };
        let _ = writeln!(out, "- **{name}**: {line}");
    }
    out
}

/// The details of each changed target, after the table: the image tag, the plan summary
/// (counts, risky destroys and replaces first, addresses as code spans, never a value).
fn details_section(details: &[Detail]) -> String {
    use crate::deploy::plan_summary::Action;
    let code = |text: &str| crate::path::RepoPath::from(text).markdown_code();
    let mut out = String::new();
    for detail in details {
        match detail {
            Detail::Image {
                target,
                repository,
                tag,
            } => {
                let image = match repository {
                    Some(r) => format!("{r}:{tag}"),
                    None => tag.clone(),
                };
                let _ = writeln!(
                    out,
                    "\n**{}**: builds image {}, gated on its scan, then rolled out with a new task definition revision pinned to its digest.",
                    markdown::escape_text(target),
                    code(&image)
                );
            }
            Detail::NoPlan { target, why } => {
                let _ = writeln!(
                    out,
                    "\n**{}**: {}",
                    markdown::escape_text(target),
                    markdown::escape_text(why)
                );
            }
            Detail::Plan { target, summary } => {
                let _ = writeln!(
                    out,
                    "\n**{}**: {}",
                    markdown::escape_text(target),
                    markdown::escape_text(&summary.headline())
                );
                let risky: Vec<_> = summary
                    .resources
                    .iter()
                    .filter(|(a, _)| a.is_risky())
                    .collect();
                if !risky.is_empty() {
                    let _ = writeln!(
                        out,
                        "\n> **Warning:** {} resource{} destroyed or replaced:",
                        risky.len(),
                        if risky.len() == 1 { " is" } else { "s are" }
                    );
                }
                if summary.has_changes() {
                    out.push_str("\n| action | resource |\n| --- | --- |\n");
                    for (action, address) in summary.resources.iter().take(MAX_ADDRESSES) {
                        let name = match action {
                            Action::Replace | Action::Destroy => {
                                format!("**{}**", action.as_str())
                            }
                            _ => action.as_str().to_owned(),
                        };
                        let _ = writeln!(out, "| {name} | {} |", code(address));
                    }
                    if summary.resources.len() > MAX_ADDRESSES {
                        let _ = writeln!(
                            out,
                            "\n_and {} more resources_",
                            summary.resources.len() - MAX_ADDRESSES
                        );
                    }
                }
                if !summary.drift.is_empty() {
                    let _ = writeln!(
                        out,
                        "\nChanged outside Terraform since the last apply: {}",
                        summary
                            .drift
                            .iter()
                            .take(MAX_ADDRESSES)
                            .map(|(a, _)| code(a))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                if !summary.outputs.is_empty() {
                    let _ = writeln!(
                        out,
                        "\nOutputs that change: {}",
                        summary
                            .outputs
                            .iter()
                            .take(MAX_ADDRESSES)
                            .map(|(n, _)| code(n))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
            }
        }
    }
    out
}

/// A mermaid flowchart from each changed folder to the changed targets its files route to, and
/// on to their jobs;
/// with an uncertain range, from one node that says so to every target. Empty when nothing
/// deploys.
fn chart(report: &Report) -> String {
    let changed: Vec<(&str, &crate::detect::route::TargetResult)> = report
        .routing
        .iter()
        .filter(|(_, r)| r.changed)
        .map(|(name, r)| (name.as_str(), r))
        .collect();
    let targets: Vec<(&str, &[crate::path::RepoPath])> = changed
        .iter()
        .map(|(name, r)| (*name, r.files.as_slice()))
        .collect();
    if targets.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n```mermaid\nflowchart LR\n");
    for (i, (name, _)) in targets.iter().enumerate() {
        let _ = writeln!(out, "  t{i}[\"{}\"]", label(name));
    }
    // Each target leads to the jobs of its kind (the orb's job names).
    let mut kinds: Vec<crate::config::TargetKind> = Vec::new();
    for (i, (_, result)) in changed.iter().enumerate() {
        let k = match kinds.iter().position(|k| *k == result.kind) {
            Some(k) => k,
            None => {
                kinds.push(result.kind);
                let k = kinds.len() - 1;
                let jobs = crate::deploy::engine::engine(result.kind).pipeline_jobs();
                let _ = writeln!(out, "  j{k}[\"{}\"]", label(jobs));
                k
            }
        };
        let _ = writeln!(out, "  t{i} --> j{k}");
    }
    if report.range.uncertain {
        let _ = writeln!(out, "  u[\"uncertain range: every target\"]");
        for i in 0..targets.len() {
            let _ = writeln!(out, "  u --> t{i}");
        }
        out.push_str("```\n");
        return out;
    }
    // folder -> (files, targets it feeds)
    let mut folders: BTreeMap<String, (usize, BTreeSet<usize>)> = BTreeMap::new();
    for (i, (_, files)) in targets.iter().enumerate() {
        for file in *files {
            let path = file.lossy();
            let folder = match path.rfind('/') {
                Some(end) => path[..end].to_owned(),
                None => "(root)".to_owned(),
            };
            let entry = folders.entry(folder).or_default();
            entry.0 += 1;
            entry.1.insert(i);
        }
    }
    let mut ranked: Vec<(String, (usize, BTreeSet<usize>))> = folders.into_iter().collect();
    // The folders with the most files are drawn; ties stay in name order.
    ranked.sort_by_key(|(_, (files, _))| std::cmp::Reverse(*files));
    let rest = ranked.split_off(ranked.len().min(MAX_FOLDERS));
    ranked.sort_by(|a, b| a.0.cmp(&b.0));
    for (n, (folder, (_, fed))) in ranked.iter().enumerate() {
        let _ = writeln!(out, "  n{n}[\"{}\"]", label(folder));
        for t in fed {
            let _ = writeln!(out, "  n{n} --> t{t}");
        }
    }
    if !rest.is_empty() {
        let fed: BTreeSet<usize> = rest
            .iter()
            .flat_map(|(_, (_, f))| f.iter().copied())
            .collect();
        let _ = writeln!(out, "  more[\"{} more folders\"]", rest.len());
        for t in fed {
            let _ = writeln!(out, "  more --> t{t}");
        }
    }
    out.push_str("```\n");
    out
}

/// A mermaid label: at most [`MAX_LABEL`] characters of the name, and every character that is
/// not an ASCII letter, digit, space, `/`, `.`, `-` or `_` as a mermaid entity (`#34;`), so
/// quotes, brackets, backticks, `<`, `@` and line breaks are all inert.
fn label(name: &str) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    if chars.len() > MAX_LABEL {
        chars.truncate(MAX_LABEL - 1);
        chars.push('…');
    }
    let mut out = String::new();
    for c in chars {
        if c.is_ascii_alphanumeric() || matches!(c, ' ' | '/' | '.' | '-' | '_') {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", c as u32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cannot_break_the_chart() {
        assert_eq!(label("app/src"), "app/src");
        assert_eq!(label("a\"]`<b>\n@x"), "a#34;#93;#96;#60;b#62;#10;#64;x");
        let long = "x".repeat(100);
        assert_eq!(
            label(&long).chars().filter(|c| *c == 'x').count(),
            MAX_LABEL - 1
        );
    }

    #[test]
    fn each_environment_says_what_merging_does_to_it() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let note = |name: &str, effect| EnvironmentNote {
            name: name.into(),
            effect,
        };
        let section = environments_section(&Environments {
            base_branch: "main".into(),
            assumed: false,
            environments: vec![
                note(
                    "dev",
                    MergeEffect::Deploys(vec!["api".into(), "infra".into()]),
                ),
                note("test", MergeEffect::Deploys(vec![])),
                note(
                    "prod",
                    MergeEffect::Stays(vec![
                        ("api".into(), a.clone()),
                        ("infra".into(), a.clone()),
                    ]),
                ),
                note(
                    "dr",
                    MergeEffect::Stays(vec![("api".into(), a), ("infra".into(), b)]),
                ),
                note("qa", MergeEffect::Stays(vec![])),
            ],
        });
        assert_eq!(
            section,
            "\n**Environments**, merging into ` main `:\n\n\
             - **dev**: merging deploys api, infra to dev\n\
             - **test**: merging deploys nothing to test\n\
             - **prod**: prod stays at `aaaaaaaaaaaa` until promoted\n\
             - **dr**: dr stays as it is until promoted (api at `aaaaaaaaaaaa`, infra at `bbbbbbbbbbbb`)\n\
             - **qa**: qa stays as it is until promoted\n"
        );
    }

    #[test]
    fn a_recorded_commit_that_is_not_hex_cannot_leave_its_code_span() {
        let section = environments_section(&Environments {
            base_branch: "main".into(),
            assumed: true,
            environments: vec![EnvironmentNote {
                name: "prod".into(),
                effect: MergeEffect::Stays(vec![("api".into(), "ab`<img>".into())]),
            }],
        });
        assert!(
            section.contains("prod stays at `ab` until promoted"),
            "{section}"
        );
        assert!(section.contains("(the default branch: the pull request's base was not known)"));
    }
}
