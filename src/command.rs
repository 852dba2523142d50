//! What each command does: load the configuration, run the core, write one output.
//!
//! Output is produced whole, then written once, so an error never leaves a partial result on
//! stdout or in a file. Warnings and notes go to stderr.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use crate::ci::Ci;
use crate::cli::{Action, ColorChoice, CommentSettings, DeploySettings, Format, Settings, Since};
use crate::config::{self, Config};
use crate::deploy;
use crate::diff::Status;
use crate::error::{Error, Result};
use crate::layout;
use crate::output;
use crate::path::RepoPath;
use crate::plan;
use crate::range::{Environment, Request};
use crate::report::{self, Report};
use crate::route::Side;
use crate::snapshot::{FsSnapshot, GitSnapshot, Snapshot};

/// Runs one command.
pub fn execute(settings: &Settings, env: &Environment) -> Result<()> {
    match &settings.action {
        Action::ConfigSchema => emit(settings, &config::json_schema()),
        Action::ConfigInit => init(settings),
        Action::ShowConfig => {
            let config = match report::open_repository(&settings.repo) {
                Ok(repo) => load_config(settings, &repo)?,
                Err(_) => Config::discover(settings.config.as_deref(), None)?.ok_or_else(|| {
                    no_configuration("this is not a git repository to discover targets in")
                })?,
            };
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
        Action::Comment(comment) => post_comment(settings, comment, env),
        Action::Deploy(deploy) => run_deploy(settings, deploy, env),
        Action::Rollback { target } => {
            let repo = report::open_repository(&settings.repo)?;
            let config = load_config(settings, &repo)?;
            let head = head_commit(&repo, settings.head.as_deref())?;
            let ctx = context(settings, env, &repo, &config, target, head)?;
            deploy::ecs::rollback_command(&ctx)
        }
        Action::Bootstrap { target, fix } => {
            let repo = report::open_repository(&settings.repo)?;
            let config = load_config(settings, &repo)?;
            deploy::terraform::bootstrap(
                &config,
                target.as_deref(),
                *fix,
                settings.dry_run,
                settings.verbose,
            )
        }
        Action::Outputs { target } => {
            let repo = report::open_repository(&settings.repo)?;
            let config = load_config(settings, &repo)?;
            let head = head_commit(&repo, settings.head.as_deref())?;
            let ctx = context(settings, env, &repo, &config, target, head)?;
            emit(settings, &deploy::terraform::outputs_command(&ctx)?)
        }
        Action::Explain(paths) => {
            let repo = report::open_repository(&settings.repo)?;
            let mut notes = Vec::new();
            let (router, subjects) = if paths.is_empty() {
                let (config, report) = detect(settings, env)?;
                // Detection printed its notes already; the same analyses would say them again.
                let worktree = if settings.uncommitted {
                    repo.workdir()
                } else {
                    None
                };
                let router = report::router(
                    &repo,
                    &config,
                    report.range.head,
                    report.range.base,
                    worktree,
                    &mut Vec::new(),
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
                if settings.head.is_none()
                    && matches!(repo.head(), Err(e) if e.code() == git2::ErrorCode::UnbornBranch)
                {
                    // Worded as detection words it, whichever command meets it.
                    return Err(Error::EmptyRepository);
                }
                let head_rev = settings.head.as_deref().unwrap_or("HEAD");
                let head = repo
                    .revparse_single(head_rev)
                    .and_then(|o| o.peel_to_commit())
                    .map_err(|_| Error::RevisionNotFound {
                        what: "head",
                        rev: head_rev.to_owned(),
                    })?
                    .id();
                let router = report::router(&repo, &config, head, None, None, &mut notes)?;
                let subjects = paths
                    .iter()
                    .map(|p| (RepoPath::new(os_bytes(p)), Side::Head))
                    .collect();
                (router, subjects)
            };
            for note in &notes {
                eprintln!("note: {}", crate::text::one_line(note));
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

/// `deploy <target>`: detection first, then the deployment (`deploy::run`).
fn run_deploy(settings: &Settings, deploy: &DeploySettings, env: &Environment) -> Result<()> {
    if settings.uncommitted {
        return Err(Error::Usage(
            "deploy deploys a commit, so it cannot take --uncommitted".into(),
        ));
    }
    let (config, report) = detect(settings, env)?;
    let repo = report::open_repository(&settings.repo)?;
    let ctx = context(
        settings,
        env,
        &repo,
        &config,
        &deploy.target,
        report.range.head,
    )?;
    let options = deploy::engine::Options {
        plan_only: deploy.plan_only,
        apply: deploy.apply,
        plan_dir: deploy.plan_dir.clone(),
        detailed_exitcode: deploy.detailed_exitcode,
        branch: deploy.branch.clone(),
    };
    deploy::run::deploy(&ctx, &report, &options, deploy.force)
}

/// The deployment context of target `name` at commit `head`.
fn context<'a>(
    settings: &Settings,
    env: &'a Environment,
    repo: &'a git2::Repository,
    config: &'a Config,
    name: &'a str,
    head: git2::Oid,
) -> Result<deploy::context::Context<'a>> {
    deploy::context::Context::of(
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
    let rev = rev.unwrap_or("HEAD");
    repo.revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id())
        .map_err(|_| Error::RevisionNotFound {
            what: "head",
            rev: rev.to_owned(),
        })
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
    let report = report::detect(&repo, &config, &request, settings.uncommitted, &mut notes)
        .and_then(|mut report| {
            if settings.since == Since::Deployed && !report.range.uncertain {
                let bases =
                    deployed_bases(settings, env, &repo, &config, &request, &report, &mut notes)?;
                report::apply_deployed(&repo, &config, &mut report, bases, &mut notes)?;
            }
            Ok(report)
        });
    for note in &notes {
        eprintln!("note: {}", crate::text::one_line(note));
    }
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
    deploy::since::deployed_bases(
        config,
        |name| context(settings, env, repo, config, name, report.range.head),
        request,
        only,
        notes,
    )
}

/// `comment`: renders the body from detection and posts it as the pull request's one summary
/// comment, or with `--dry-run` prints it and sends nothing.
fn post_comment(settings: &Settings, comment: &CommentSettings, env: &Environment) -> Result<()> {
    let (config, report) = detect(settings, env)?;
    let details = deploy::comment::details(&config, &report, comment.plan_dir.as_deref())?;
    let body = output::comment::render(&report, &details);
    if comment.dry_run {
        return emit(settings, &body);
    }
    let token = env
        .get(&comment.token_env)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            Error::Usage(format!(
                "comment reads the GitHub token from {}, which is not set (name another variable with --token-env)",
                crate::text::one_line(&comment.token_env)
            ))
        })?;
    let slug = crate::pull_request::slug(comment.repo_slug.as_deref(), env)?;
    let api = comment
        .api_url
        .clone()
        .or_else(|| Ci::from_env(env).github.api_url)
        .unwrap_or_else(|| "https://api.github.com".to_owned());
    let github = crate::github::GitHub::new(&api, token.clone());
    let number = crate::pull_request::number(
        comment.pr,
        env,
        &github,
        &slug,
        &report.range.head.to_string(),
    )?;
    let (done, url) = match crate::sticky_comment::post(&github, &slug, number, &body)? {
        crate::sticky_comment::Posted::Created { url } => ("created", url),
        crate::sticky_comment::Posted::Updated { url } => ("updated", url),
    };
    // The URL comes from the network: one line, no terminal escapes.
    let url = crate::text::one_line(&url);
    emit(
        settings,
        &format!("{done} the summary comment on {slug}#{number}: {url}\n"),
    )
}

/// The configuration: `--config`; else the file at the repository root (in a bare clone, in
/// the HEAD commit); else the targets `config init` would write, read from the HEAD commit. A
/// repository with neither a file nor a Dockerfile or Terraform root has nothing to route to,
/// which is a configuration error rather than a silent "nothing changed".
fn load_config(settings: &Settings, repo: &git2::Repository) -> Result<Config> {
    if let Some(config) = Config::discover(settings.config.as_deref(), repo.workdir())? {
        return Ok(config);
    }
    let Some(head) = repo.head().ok().and_then(|h| h.peel_to_commit().ok()) else {
        // Nothing to discover targets in, and nothing to route either: say the latter, as
        // every command does for a repository without commits.
        return Err(Error::EmptyRepository);
    };
    let snapshot = GitSnapshot::of_commit(repo, head.id())?;
    if repo.workdir().is_none() {
        // A bare clone has no working tree: the committed file is the configuration.
        for name in config::CANDIDATES {
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
    let discovered = layout::discover(&snapshot, &|_| true, &crate::range::default_branch(repo))?;
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
        config::CANDIDATES[0]
    ))
}

/// `config init`: writes the discovered configuration, never over an existing file.
fn init(settings: &Settings) -> Result<()> {
    let repo = report::open_repository(&settings.repo)?;
    let Some(root) = repo.workdir() else {
        return Err(Error::Usage(
            "config init writes into a working tree, and this repository is bare".into(),
        ));
    };
    for name in config::CANDIDATES {
        if root.join(name).exists() {
            return Err(Error::Usage(format!(
                "{name} already exists; config init never overwrites it"
            )));
        }
    }
    // Describe what is there, committed or not, but not what git ignores (build output,
    // vendored copies).
    let ignored = |path: &str| repo.is_path_ignored(path).unwrap_or(false);
    let discovered = layout::discover(
        &FsSnapshot::new(root),
        &|path| !ignored(path),
        &crate::range::default_branch(&repo),
    )?;
    if discovered.targets.is_empty() {
        return Err(Error::Usage(
            "found no Dockerfile and no Terraform root to make targets of; write .quest-changes.yml by hand (see `quest-changes config schema`)".into(),
        ));
    }
    let body = serde_yaml::to_string(&discovered).unwrap_or_default();
    let path = root.join(config::CANDIDATES[0]);
    // Validate before writing: what init writes must load.
    Config::parse(&body, &path)?;
    let text = format!(
        "# Written by `quest-changes config init` from this repository's layout; edit freely.\n# `paths` adds pattern rules to what each build or root already routes.\n{body}"
    );
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(Error::io("create", path.clone()))?;
    file.write_all(text.as_bytes())
        .map_err(Error::io("write", path.clone()))?;
    let names: Vec<&str> = discovered.targets.keys().map(String::as_str).collect();
    emit(
        settings,
        &format!(
            "wrote {} with {} target{}: {}\n",
            config::CANDIDATES[0],
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        ),
    )
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
