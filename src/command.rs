//! What each command does: load the configuration, run the core, write one output.
//!
//! Output is produced whole, then written once, so an error never leaves a partial result on
//! stdout or in a file. Warnings and notes go to stderr.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use crate::cli::{Action, ColorChoice, Format, Settings};
use crate::config::{self, Config};
use crate::diff::Status;
use crate::error::{Error, Result};
use crate::output;
use crate::path::RepoPath;
use crate::plan;
use crate::range::{Environment, Request};
use crate::report::{self, Report};
use crate::route::Side;

/// Runs one command.
pub fn execute(settings: &Settings, env: &Environment) -> Result<()> {
    match &settings.action {
        Action::ConfigSchema => emit(settings, &config::json_schema()),
        Action::ShowConfig => {
            let root = report::open_repository(&settings.repo)
                .ok()
                .and_then(|r| r.workdir().map(Path::to_path_buf));
            let config = Config::discover(settings.config.as_deref(), root.as_deref())?;
            let text = match settings.format {
                Format::Json => config::to_json(&config),
                _ => config::to_yaml(&config),
            };
            emit(settings, &text)
        }
        Action::Detect | Action::Plan => {
            let (config, report) = detect(settings, env)?;
            let style = output::text::Style {
                color: use_color(settings, env),
            };
            let plan = matches!(settings.action, Action::Plan)
                .then(|| plan::plan(&config, &report.routing, report.range.head));
            let text = match settings.format {
                Format::Text => match &plan {
                    Some(p) => output::text::render_plan(&report, p, style),
                    None => output::text::render(&report, style),
                },
                Format::Json => output::json::render(&report, plan.as_deref()),
                Format::Markdown => output::markdown::render(&report, plan.as_deref()),
                Format::Circleci => output::circleci::render(&report),
                Format::Github => {
                    let outputs = env
                        .get("GITHUB_OUTPUT")
                        .filter(|v| !v.is_empty())
                        .ok_or_else(|| {
                            Error::Usage(
                                "--format github needs GITHUB_OUTPUT to name the step output file"
                                    .into(),
                            )
                        })?;
                    let summary = env.get("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty());
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
        Action::Explain(paths) => {
            let repo = report::open_repository(&settings.repo)?;
            let mut notes = Vec::new();
            let (router, subjects) = if paths.is_empty() {
                let (config, report) = detect(settings, env)?;
                let router = report::router(
                    &repo,
                    &config,
                    report.range.head,
                    report.range.base,
                    &mut notes,
                )?;
                let subjects: Vec<(RepoPath, Side)> = report
                    .changes
                    .iter()
                    .flat_map(|c| {
                        let side = if c.status == Status::Deleted {
                            Side::Base
                        } else {
                            Side::Head
                        };
                        c.old_path
                            .clone()
                            .map(|old| (old, Side::Base))
                            .into_iter()
                            .chain(std::iter::once((c.path.clone(), side)))
                    })
                    .collect();
                (router, subjects)
            } else {
                let config = load_config(settings, &repo)?;
                let head_rev = settings.head.as_deref().unwrap_or("HEAD");
                let head = repo
                    .revparse_single(head_rev)
                    .and_then(|o| o.peel_to_commit())
                    .map_err(|_| Error::RevisionNotFound {
                        what: "head",
                        rev: head_rev.to_owned(),
                    })?
                    .id();
                let router = report::router(&repo, &config, head, None, &mut notes)?;
                let subjects = paths
                    .iter()
                    .map(|p| (RepoPath::new(os_bytes(p)), Side::Head))
                    .collect();
                (router, subjects)
            };
            for note in &notes {
                eprintln!("note: {}", crate::path::one_line(note));
            }
            let names: Vec<String> = router.target_names().map(str::to_owned).collect();
            let entries: Vec<_> = subjects
                .into_iter()
                .map(|(path, side)| {
                    let decisions = names
                        .iter()
                        .cloned()
                        .zip(router.decide(&path, side))
                        .collect();
                    (path, decisions)
                })
                .collect();
            let text = match settings.format {
                Format::Json => output::json::render_explain(&entries),
                _ => output::text::render_explain(
                    &entries,
                    output::text::Style {
                        color: use_color(settings, env),
                    },
                ),
            };
            emit(settings, &text)
        }
    }
}

fn detect(settings: &Settings, env: &Environment) -> Result<(Config, Report)> {
    let repo = report::open_repository(&settings.repo)?;
    let config = load_config(settings, &repo)?;
    let request = Request {
        base: settings.base.clone(),
        head: settings.head.clone(),
        default_branch: config.default_branch.clone(),
        max_fetch_depth: settings.max_fetch_depth,
        env: env.clone(),
    };
    let mut notes = Vec::new();
    let report = report::detect(&repo, &config, &request, settings.uncommitted, &mut notes);
    for note in &notes {
        eprintln!("note: {}", crate::path::one_line(note));
    }
    let report = report?;
    if report.range.uncertain {
        if settings.strict {
            return Err(Error::Uncertain(report.range.reason.clone()));
        }
        eprintln!(
            "warning: the commit range is uncertain, so every target is marked changed: {}",
            crate::path::one_line(&report.range.reason)
        );
    }
    Ok((config, report))
}

fn load_config(settings: &Settings, repo: &git2::Repository) -> Result<Config> {
    Config::discover(settings.config.as_deref(), repo.workdir())
}

fn use_color(settings: &Settings, env: &Environment) -> bool {
    match settings.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            settings.output.is_none()
                && !env.contains_key("NO_COLOR")
                && std::io::stdout().is_terminal()
        }
    }
}

/// Writes the whole result to `--output` or stdout.
fn emit(settings: &Settings, text: &str) -> Result<()> {
    match &settings.output {
        Some(path) => std::fs::write(path, text).map_err(Error::io("write", path.clone())),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(Error::io("write to", PathBuf::from("stdout")))
        }
    }
}

#[cfg(unix)]
fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    s.as_bytes().to_vec()
}
