//! The commands: [`execute`] dispatches each to its file, and this file holds what they share
//! (loading the configuration, or without a file the targets the layout suggests; running
//! detection, with `--since deployed`; a target's deployment context; writing the one output).
//! No command decides anything per target kind: that is the engines'.
//!
//! Output is produced whole, then written once, so an error never leaves a partial result on
//! stdout or in a file. Warnings and notes go to stderr.

mod comment;
mod config;
mod deploy;
mod detect;
mod explain;
mod status;

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use crate::analysis::layout;
use crate::analysis::root_cache::RootCache;
use crate::analysis::snapshot::{GitSnapshot, Snapshot};
use crate::cli::{Action, CacheDir, ColorChoice, Settings, Since};
use crate::config::Config;
use crate::detect::range::{Environment, Request};
use crate::detect::report::{self, Report};
use crate::error::{Error, Result};

/// Runs one command: dispatches to its file.
pub fn execute(settings: &Settings, env: &Environment) -> Result<()> {
    match &settings.action {
        Action::ConfigSchema => config::schema(settings),
        Action::ConfigInit => config::init(settings),
        Action::ShowConfig => config::show(settings),
        Action::Detect => detect::run(settings, env, false),
        Action::Plan => detect::run(settings, env, true),
        Action::Comment(comment) => comment::run(settings, comment, env),
        Action::Deploy(deploy) => deploy::run(settings, deploy, env),
        Action::Rollback { target } => deploy::rollback(settings, env, target),
        Action::Promote { target, from, to } => deploy::promote(settings, env, target, from, to),
        Action::Bootstrap { target, fix } => deploy::bootstrap(settings, target.as_deref(), *fix),
        Action::Outputs { target } => deploy::outputs(settings, env, target),
        Action::Explain(paths) => explain::run(settings, env, paths),
        Action::Status => status::run(settings, env),
    }
}

/// The deployment context of target `name` at commit `head`.
fn context<'a>(
    settings: &Settings,
    env: &'a Environment,
    repo: &'a git2::Repository,
    config: &'a Config,
    name: &'a str,
    head: git2::Oid,
) -> Result<crate::deploy::context::Context<'a>> {
    crate::deploy::context::Context::of(
        config,
        name,
        repo,
        env,
        head,
        settings.dry_run,
        settings.verbose,
    )
}

/// The commit `rev` (default HEAD) names.
fn head_commit(repo: &git2::Repository, rev: Option<&str>) -> Result<git2::Oid> {
    crate::git::commit_of(repo, rev, "head")
}

fn detect_range(settings: &Settings, env: &Environment) -> Result<(Config, Report)> {
    let repo = crate::git::open(&settings.repo)?;
    let config = load_config(settings, &repo)?;
    let request = Request {
        base: settings.base.clone(),
        head: settings.head.clone(),
        default_branch: config.default_branch.clone(),
        max_fetch_depth: settings.max_fetch_depth,
        env: env.clone(),
    };
    let mut notes = Vec::new();
    let mut cache = root_cache(settings, &repo);
    let report = report::detect_with(
        &repo,
        &config,
        &request,
        settings.uncommitted,
        &mut cache,
        &mut notes,
    )
    .and_then(|mut report| {
        if settings.since == Since::Deployed && !report.range.uncertain {
            let bases =
                deployed_bases(settings, env, &repo, &config, &request, &report, &mut notes)?;
            report::apply_deployed(&repo, &config, &mut report, bases, &mut cache, &mut notes)?;
        }
        Ok(report)
    });
    cache.save();
    for note in &notes {
        eprintln!("note: {}", crate::text::one_line(note));
    }
    cache_notes(settings, &cache);
    // Its entries are kept until the process ends: freeing the results of thousands of roots
    // one allocation at a time would cost more than the run saved by reading them.
    std::mem::forget(cache);
    let report = report?;
    if report.range.uncertain {
        if settings.strict {
            return Err(Error::Uncertain(report.range.reason.clone()));
        }
        eprintln!(
            "warning: the commit range is uncertain, so every target is marked changed: {}",
            crate::text::one_line(&report.range.reason)
        );
    }
    Ok((config, report))
}

/// The analysis cache `settings` name: `--cache-dir`, else `quest-changes/analysis-cache` in
/// the repository's git directory (shared by its worktrees), else none.
fn root_cache(settings: &Settings, repo: &git2::Repository) -> RootCache {
    match &settings.cache {
        CacheDir::Off => RootCache::in_memory(),
        CacheDir::At(dir) => RootCache::open(dir),
        CacheDir::Default => RootCache::open(
            &repo
                .commondir()
                .join("quest-changes")
                .join("analysis-cache"),
        ),
    }
}

/// The cache's notes, with `--verbose` only: a cache that does not work costs time, never a
/// result.
fn cache_notes(settings: &Settings, cache: &RootCache) {
    if settings.verbose {
        for note in cache.notes() {
            eprintln!("note: {}", crate::text::one_line(note));
        }
    }
}

/// `--since deployed`: for each target with a deployment, the commit it runs now
/// (`deploy::since`).
fn deployed_bases(
    settings: &Settings,
    env: &Environment,
    repo: &git2::Repository,
    config: &Config,
    request: &Request,
    report: &Report,
    notes: &mut Vec<String>,
) -> Result<Vec<(String, report::Deployed)>> {
    if settings.uncommitted {
        return Err(Error::Usage(
            "--since deployed compares commits, so it cannot take --uncommitted".into(),
        ));
    }
    // `deploy <target>` asks only about its own target: a CI job holds the role of one
    // deployment, which may not read what the others run.
    let only = match &settings.action {
        Action::Deploy(deploy) => Some(deploy.target.as_str()),
        _ => None,
    };
    crate::deploy::since::deployed_bases(
        config,
        |name| context(settings, env, repo, config, name, report.range.head),
        request,
        only,
        notes,
    )
}

/// The configuration, as `--env` sees it (`Config::for_environment`): `--config`; else the file at the repository root (in a bare clone, in
/// the HEAD commit); else the targets `config init` would write, read from the HEAD commit. A
/// repository with neither a file nor a Dockerfile or Terraform root has nothing to route to,
/// which is a configuration error rather than a silent "nothing changed".
fn load_config(settings: &Settings, repo: &git2::Repository) -> Result<Config> {
    let config = load_file(settings, repo)?;
    match &settings.environment {
        Some(name) => config.for_environment(name),
        None => Ok(config),
    }
}

/// The configuration as found, before `--env` picks an environment.
fn load_file(settings: &Settings, repo: &git2::Repository) -> Result<Config> {
    if let Some(config) = Config::discover(settings.config.as_deref(), repo.workdir())? {
        return Ok(config);
    }
    let Some(head) = crate::git::checked_out_commit(repo) else {
        // Nothing to discover targets in, and nothing to route either: say the latter, as
        // every command does for a repository without commits.
        return Err(Error::EmptyRepository);
    };
    let snapshot = GitSnapshot::of_commit(repo, head)?;
    if repo.workdir().is_none() {
        // A bare clone has no working tree: the committed file is the configuration.
        for name in crate::config::CANDIDATES {
            if let Some(bytes) = snapshot.read(name)? {
                let text = String::from_utf8(bytes).map_err(|_| Error::Config {
                    file: format!("HEAD:{name}").into(),
                    location: None,
                    message: "the file is not valid UTF-8".into(),
                })?;
                return Config::parse(&text, Path::new(&format!("HEAD:{name}")));
            }
        }
    }
    let discovered = layout::discover(
        &snapshot,
        &|_| true,
        &crate::detect::range::default_branch(repo),
    )?;
    if discovered.targets.is_empty() {
        return Err(no_configuration(
            "the HEAD commit has no Dockerfile and no Terraform root to make targets of",
        ));
    }
    let yaml = serde_yaml::to_string(&discovered).unwrap_or_default();
    Config::parse(&yaml, Path::new(layout::DISCOVERED))
}

fn no_configuration(why: &str) -> Error {
    // A usage error, not a file's: there is no file to name.
    Error::Usage(format!(
        "there is no {} (or --config FILE), and {why}; write one (`quest-changes config init`, or see `quest-changes config schema`)",
        crate::config::CANDIDATES[0]
    ))
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
