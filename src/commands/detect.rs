//! `detect` and `plan`: the report of a range, and with `plan` each changed target's steps,
//! rendered in one output format (and for `--format github`, written to the step's output and
//! summary files).

use std::path::Path;

use crate::ci::Ci;
use crate::cli::{Format, Settings};
use crate::detect::plan;
use crate::detect::range::Environment;
use crate::error::{Error, Result};
use crate::output;

use super::{detect_range, emit, use_color};

/// Runs `detect`, or with `with_plan` `plan`.
pub(super) fn run(settings: &Settings, env: &Environment, with_plan: bool) -> Result<()> {
    let (config, report) = detect_range(settings, env)?;
    let style = output::text::Style {
        color: use_color(settings, env),
    };
    let plan = with_plan.then(|| plan::plan(&config, &report.routing, report.range.head));
    let text = match settings.format {
        Format::Text => match (&plan, &config.environment) {
            // The steps are the environment's: say which one first.
            (Some(p), Some(environment)) => format!(
                "environment {}\n{}",
                environment.describe(),
                output::text::render_plan(&report, p, style)
            ),
            (Some(p), None) => output::text::render_plan(&report, p, style),
            (None, _) => output::text::render(&report, style),
        },
        Format::Json => with_environment_json(
            output::json::render(&report, plan.as_deref()),
            config.environment.as_ref(),
        ),
        Format::Markdown => with_environment_markdown(
            output::markdown::render(&report, plan.as_deref()),
            config.environment.as_ref(),
        ),
        Format::Circleci => output::circleci::render(&report),
        // `-o FILE` previews the step outputs anywhere: they go to FILE, not to
        // GITHUB_OUTPUT.
        Format::Github if settings.output.is_some() => output::github::render(&report),
        Format::Github => {
            let ci = Ci::from_env(env);
            let outputs = ci.github.output.as_deref().ok_or_else(|| {
                    Error::Usage(
                        "--format github needs GITHUB_OUTPUT to name the step output file (or -o FILE to write the outputs there)"
                            .into(),
                    )
                })?;
            let summary = ci.github.step_summary.as_deref();
            // Open both files before writing either, so a bad summary path cannot leave
            // the outputs written and the job half informed.
            let mut outputs_file = output::github::open(Path::new(outputs))?;
            let summary_file = match summary {
                Some(path) => Some((path, output::github::open(Path::new(path))?)),
                None => None,
            };
            output::github::write(
                &mut outputs_file,
                Path::new(outputs),
                &output::github::render(&report),
            )?;
            if let Some((path, mut file)) = summary_file {
                output::github::write(
                    &mut file,
                    Path::new(path),
                    &output::markdown::render(&report, plan.as_deref()),
                )?;
            }
            output::text::render(&report, style)
        }
    };
    emit(settings, &text)
}

/// Under `--env`, the JSON document gains `environment`: the name, region, branches and
/// approval of the environment every target was resolved for (docs/outputs.md).
fn with_environment_json(
    text: String,
    environment: Option<&crate::config::DeployEnvironment>,
) -> String {
    let Some(environment) = environment else {
        return text;
    };
    let Ok(serde_json::Value::Object(mut doc)) = serde_json::from_str(&text) else {
        return text;
    };
    doc.insert(
        "environment".into(),
        serde_json::json!({
            "name": environment.name,
            "region": environment.region,
            "branches": environment.branches,
            "approval": environment.approval,
        }),
    );
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or(text);
    out.push('\n');
    out
}

/// Under `--env`, the Markdown summary says the environment on the line after its marker.
fn with_environment_markdown(
    text: String,
    environment: Option<&crate::config::DeployEnvironment>,
) -> String {
    let Some(environment) = environment else {
        return text;
    };
    let line = format!(
        "**Environment:** {}\n\n",
        output::markdown::escape_text(&environment.describe())
    );
    match text.split_once('\n') {
        Some((marker, rest)) => format!("{marker}\n{line}{rest}"),
        None => format!("{text}\n{line}"),
    }
}
