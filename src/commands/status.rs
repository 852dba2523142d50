//! `status`: what runs where. Every target with a deployment in each declared environment (or
//! `--env`'s only), read by `deploy::status` and rendered by `output::status`. A cell that
//! could not be read (an unreachable environment) says why, and the command still prints the
//! whole table before it fails with exit 1.

use crate::cli::{Format, Settings};
use crate::detect::range::{Environment, Request};
use crate::error::{Error, Result};
use crate::output;

use super::{emit, head_commit, load_file, root_cache};

/// Runs `status`.
pub(super) fn run(settings: &Settings, env: &Environment) -> Result<()> {
    if !matches!(
        settings.format,
        Format::Text | Format::Json | Format::Markdown
    ) {
        return Err(Error::Usage(
            "status prints text, json or markdown (--format github and circleci are for detection)"
                .into(),
        ));
    }
    let repo = crate::git::open(&settings.repo)?;
    let config = load_file(settings, &repo)?;
    let head = head_commit(&repo, settings.head.as_deref())?;
    let request = Request {
        base: None,
        head: settings.head.clone(),
        default_branch: config.default_branch.clone(),
        max_fetch_depth: settings.max_fetch_depth,
        env: env.clone(),
    };
    let look = crate::deploy::status::Look {
        repo: &repo,
        env,
        request: &request,
        head,
        verbose: settings.verbose,
    };
    let mut notes = Vec::new();
    let mut cache = root_cache(settings, &repo);
    let status = crate::deploy::status::status(
        &config,
        settings.environment.as_deref(),
        &look,
        &mut cache,
        &mut notes,
    );
    cache.save();
    for note in &notes {
        eprintln!("note: {}", crate::text::one_line(note));
    }
    let status = status?;
    let text = match settings.format {
        Format::Json => output::status::json(&status),
        Format::Markdown => output::status::markdown(&status),
        _ => output::status::text(&status),
    };
    emit(settings, &text)?;
    let failures = status.failures();
    match failures.as_slice() {
        [] => Ok(()),
        [(place, error)] => Err(Error::Aws {
            action: format!("read what runs for {place}"),
            message: (*error).to_owned(),
        }),
        many => Err(Error::Aws {
            action: format!("read what runs in {} places", many.len()),
            message: format!(
                "{} (each row says why)",
                many.iter()
                    .map(|(place, _)| place.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}
