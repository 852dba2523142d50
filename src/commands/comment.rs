//! `comment`: the pull request's one summary comment, rendered from detection and posted (or
//! with `--dry-run` printed).

use crate::ci::Ci;
use crate::cli::{CommentSettings, Settings};
use crate::deploy;
use crate::detect::range::Environment;
use crate::error::{Error, Result};
use crate::output;

use super::{detect_range, emit};

/// `comment`: renders the body from detection and posts it as the pull request's one summary
/// comment, or with `--dry-run` prints it and sends nothing.
pub(super) fn run(settings: &Settings, comment: &CommentSettings, env: &Environment) -> Result<()> {
    let (config, report) = detect_range(settings, env)?;
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
