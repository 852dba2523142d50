//! `--format text` (the default): a line per target, then the range; the plan and `explain`
//! in the same style. Colour only when asked for by the caller (a terminal without `NO_COLOR`).
//! Every file name and free text is escaped onto one line.

use std::fmt::Write as _;

use crate::detect::plan::TargetPlan;
use crate::detect::report::Report;
use crate::detect::route::{Decision, Explanation, Why};
use crate::text::one_line;

/// ANSI styling, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// The routing summary.
pub fn render(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let width = report.routing.keys().map(String::len).max().unwrap_or(0);
    for (name, result) in &report.routing {
        let (mark, code) = if result.changed {
            ("●", "32")
        } else {
            ("○", "2")
        };
        let count = result.files.len();
        let files = if count == 1 { "file" } else { "files" };
        let uncertain = match &result.since {
            Some(since) => match since.commit {
                Some(c) => format!(" (since deployed {})", crate::text::short(c)),
                None => format!(" (since deployed: {})", since.reason),
            },
            None if report.range.uncertain => " (uncertain range)".to_owned(),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "{} {name:<width$}  {:<11}  {count} {files}{uncertain}",
            style.paint(code, mark),
            result.kind.as_str(),
        );
    }
    out.push_str(&range_line(report));
    out
}

fn range_line(report: &Report) -> String {
    let base = report
        .range
        .base
        .map(crate::text::short)
        .unwrap_or_else(|| "(none)".into());
    let head = &crate::text::short(report.range.head);
    let working = if report.uncommitted {
        " + working tree"
    } else {
        ""
    };
    format!(
        "range {base}..{head}{working} ({}): {}\n",
        report.range.source.as_str(),
        one_line(&report.range.reason)
    )
}

/// The dry run: the steps of every changed target, then the range.
pub fn render_plan(report: &Report, plan: &[TargetPlan], style: Style) -> String {
    let mut out = String::new();
    if plan.is_empty() {
        out.push_str("nothing to deploy\n");
    }
    for target in plan {
        let _ = writeln!(
            out,
            "{} ({}): {} step{}",
            style.paint("1", &target.target),
            target.kind,
            target.steps.len(),
            if target.steps.len() == 1 { "" } else { "s" }
        );
        if target.steps.is_empty() {
            out.push_str("  (custom target: the pipeline decides what to run)\n");
        }
        for (i, step) in target.steps.iter().enumerate() {
            let _ = writeln!(out, "  {}. {}", i + 1, one_line(&step.describe()));
        }
    }
    for (name, result) in &report.routing {
        if !result.changed {
            let _ = writeln!(out, "{name}: unchanged, nothing to do");
        }
    }
    out.push_str(&range_line(report));
    out
}

/// `explain`: for each path, the rule of each target that decided it.
pub fn render_explain(entries: &[Explanation], style: Style) -> String {
    let mut out = String::new();
    if entries.is_empty() {
        out.push_str("no changed paths to explain\n");
    }
    for (path, decisions) in entries {
        let _ = writeln!(out, "{}", style.paint("1", &path.escaped()));
        for (target, decision) in decisions {
            let line = match decision {
                Some(Decision {
                    included,
                    why: Why::Rule { index, rule },
                }) => format!(
                    "{} by paths[{index}] `{}`",
                    if *included { "included" } else { "excluded" },
                    one_line(rule)
                ),
                Some(Decision {
                    included,
                    why: Why::Image(reason),
                }) => format!(
                    "{}: {}",
                    if *included {
                        "included"
                    } else {
                        "not included"
                    },
                    one_line(&reason.describe())
                ),
                Some(Decision {
                    why: Why::Terraform { chain, fallback },
                    ..
                }) => format!(
                    "included: {}{}",
                    // The chain form: path -> calls, innermost first -> target.
                    one_line(&if chain.is_empty() {
                        format!("{} -> {target} (a file of the root)", path.lossy())
                    } else {
                        format!("{} -> {chain} -> {target}", path.lossy())
                    }),
                    if *fallback {
                        " (fallback: the folder could not be analysed)"
                    } else {
                        ""
                    }
                ),
                None => "no rule matched".to_owned(),
            };
            let _ = writeln!(out, "  {target}: {line}");
        }
    }
    out
}
