//! `comment`: the pull request's one summary comment, rendered from detection and posted (or
//! with `--dry-run` printed). With environments declared, the body says what merging does to
//! each, which needs the base branch the pull request merges into.

use crate::ci::Ci;
use crate::cli::{CommentSettings, Settings, Since};
use crate::config::Config;
use crate::deploy;
use crate::detect::range::Environment;
use crate::detect::report::Report;
use crate::error::{Error, Result};
use crate::output;
use crate::output::comment::Detail;

use super::{detect_range, emit};

/// `comment`: renders the body from detection and posts it as the pull request's one summary
/// comment, or with `--dry-run` prints it and sends nothing.
pub(super) fn run(settings: &Settings, comment: &CommentSettings, env: &Environment) -> Result<()> {
    let (config, report) = detect_range(settings, env)?;
    let details = deploy::comment::details(&config, &report, comment.plan_dir.as_deref())?;
    if comment.dry_run {
        let base = crate::github::pull_request::base_branch_from_ci(env);
        let body = body(settings, env, &config, &report, &details, base)?;
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
    let slug = crate::github::pull_request::slug(comment.repo_slug.as_deref(), env)?;
    let api = comment
        .api_url
        .clone()
        .or_else(|| Ci::from_env(env).github.api_url)
        .unwrap_or_else(|| "https://api.github.com".to_owned());
    let github = crate::github::api::GitHub::new(&api, token.clone());
    let number = crate::github::pull_request::number(
        comment.pr,
        env,
        &github,
        &slug,
        &report.range.head.to_string(),
    )?;
    // The base branch matters only to the environments' section: ask the API only for that,
    // and a failure only loses the branch (the default branch is then assumed, and said).
    let base = crate::github::pull_request::base_branch_from_ci(env).or_else(|| {
        if config.environments.is_empty() {
            return None;
        }
        github
            .pull_base(&slug, number)
            .map_err(|e| eprintln!("note: {}", crate::text::one_line(&e.to_string())))
            .ok()
    });
    let body = body(settings, env, &config, &report, &details, base)?;
    let (done, url) = match crate::github::sticky_comment::post(&github, &slug, number, &body)? {
        crate::github::sticky_comment::Posted::Created { url } => ("created", url),
        crate::github::sticky_comment::Posted::Updated { url } => ("updated", url),
    };
    // The URL comes from the network: one line, no terminal escapes.
    let url = crate::text::one_line(&url);
    emit(
        settings,
        &format!("{done} the summary comment on {slug}#{number}: {url}\n"),
    )
}

/// The comment's body; with environments declared, what merging into `base` (else the default
/// branch, said to be assumed) does to each, naming what the others run under `--since
/// deployed` (which reads AWS with the job's credentials).
fn body(
    settings: &Settings,
    env: &Environment,
    config: &Config,
    report: &Report,
    details: &[Detail],
    base: Option<String>,
) -> Result<String> {
    let (base, assumed) = match base {
        Some(base) => (base, false),
        None => (config.default_branch.clone(), true),
    };
    let repo = crate::git::open(&settings.repo)?;
    let reader = (settings.since == Since::Deployed).then_some(deploy::comment::Reader {
        repo: &repo,
        env,
        verbose: settings.verbose,
    });
    let mut notes = Vec::new();
    let environments =
        deploy::comment::environments(config, report, &base, assumed, reader, &mut notes);
    for note in &notes {
        eprintln!("note: {}", crate::text::one_line(note));
    }
    Ok(output::comment::render(
        report,
        details,
        environments.as_ref(),
    ))
}
