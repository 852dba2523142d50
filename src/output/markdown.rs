//! `--format markdown`: the summary table of a pull request comment.
//!
//! Every value that comes from outside (file names, revisions, reasons that quote branch names)
//! is escaped: file names become code spans that no name can close (see
//! [`crate::path::RepoPath::markdown_code`]); free text has every Markdown and HTML
//! metacharacter turned into a numeric entity, so nothing can open HTML, form a link or a
//! mention, or break the table.

use std::fmt::Write as _;

use crate::detect::plan::TargetPlan;
use crate::detect::report::Report;

/// The first line of every summary; the PR comment command finds its own comment by it.
pub const MARKER: &str = "<!-- quest-changes summary -->";

/// Escapes free text for Markdown, on one line.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in crate::text::one_line(text).chars() {
        if c.is_ascii_punctuation() && !matches!(c, ',' | '-' | '/' | '.' | '\'' | '=') {
            let _ = write!(out, "&#{};", c as u32);
        } else {
            out.push(c);
        }
    }
    // `www.` and `://` would still autolink; breaking their dot and colon keeps them text.
    out.replace("www.", "www&#46;")
}

/// Renders the summary; with a plan, the steps of each changed target follow the table.
pub fn render(report: &Report, plan: Option<&[TargetPlan]>) -> String {
    let mut out = header(report);
    out.push_str(&targets_table(report));
    out.push_str(&files_table(report, report.changes.len()));
    if let Some(plan) = plan {
        out.push_str(&plan_steps(plan));
    }
    out.push_str(&range_line(report));
    out
}

/// The marker, the title and, for an uncertain range, the warning.
pub fn header(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{MARKER}");
    let _ = writeln!(out, "### quest-changes: what merging this deploys\n");
    if report.range.uncertain {
        let _ = writeln!(
            out,
            "> **Warning:** the commit range is uncertain, so every target is marked to deploy: {}\n",
            escape_text(&report.range.reason)
        );
    }
    out
}

/// One row per target: kind, whether it deploys, how many files it got.
pub fn targets_table(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| Target | Kind | Deploys | Files |");
    let _ = writeln!(out, "| --- | --- | --- | ---: |");
    for (name, result) in &report.routing {
        let deploys = match (result.changed, report.range.uncertain) {
            (true, true) => "**yes** (uncertain range)",
            (true, false) => "**yes**",
            (false, _) => "no",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {deploys} | {} |",
            escape_text(name),
            result.kind.as_str(),
            result.files.len()
        );
    }
    out
}

/// The collapsed list of changed files with the targets of each, listing at most `shown`
/// of them; when some are left out a line says how many. Empty without changes.
pub fn files_table(report: &Report, shown: usize) -> String {
    let mut out = String::new();
    if report.changes.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "\n<details><summary>Changed files ({})</summary>\n",
        report.changes.len()
    );
    let _ = writeln!(out, "| Status | Path | Targets |");
    let _ = writeln!(out, "| --- | --- | --- |");
    for change in report.changes.iter().take(shown) {
        let path = match &change.old_path {
            Some(old) => format!("{} → {}", old.markdown_code(), change.path.markdown_code()),
            None => change.path.markdown_code(),
        };
        let targets: Vec<String> = report
            .routing
            .iter()
            .filter(|(_, r)| r.files.contains(&change.path))
            .map(|(n, _)| escape_text(n))
            .collect();
        let targets = if targets.is_empty() {
            "none".to_owned()
        } else {
            targets.join(", ")
        };
        let _ = writeln!(out, "| {} | {path} | {targets} |", change.status.as_str());
    }
    let cut = report.changes.len().saturating_sub(shown);
    if cut > 0 {
        let _ = writeln!(
            out,
            "\n{cut} more file{} not listed, to keep the comment within GitHub's size limit.",
            if cut == 1 { "" } else { "s" }
        );
    }
    let _ = writeln!(out, "\n</details>");
    out
}

/// The steps of each changed target's deployment.
pub fn plan_steps(plan: &[TargetPlan]) -> String {
    let mut out = String::new();
    for target in plan {
        let _ = writeln!(
            out,
            "\n**{}** ({}):\n",
            escape_text(&target.target),
            target.kind
        );
        for (i, step) in target.steps.iter().enumerate() {
            let _ = writeln!(out, "{}. {}", i + 1, escape_text(&step.describe()));
        }
    }
    out
}

/// The range line that ends the summary.
pub fn range_line(report: &Report) -> String {
    let base = report
        .range
        .base
        .map(|b| b.to_string())
        .unwrap_or_else(|| "(none)".into());
    format!(
        "\nRange `{base}..{}` ({}): {}\n",
        report.range.head,
        report.range.source.as_str(),
        escape_text(&report.range.reason)
    )
}
