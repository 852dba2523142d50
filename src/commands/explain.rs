//! `explain`: which targets each path routes to, and why: the paths given, else every path of
//! the range, each read in the commit it is routed in.

use crate::cli::{Format, Settings};
use crate::detect::range::Environment;
use crate::detect::report;
use crate::detect::route::{self, Side};
use crate::error::{Error, Result};
use crate::output;
use crate::path::RepoPath;

use super::{detect_range, emit, load_config, use_color};

/// Runs `explain` for `paths` (none: the range's changes).
pub(super) fn run(
    settings: &Settings,
    env: &Environment,
    paths: &[std::ffi::OsString],
) -> Result<()> {
    let repo = crate::git::open(&settings.repo)?;
    let mut notes = Vec::new();
    let (router, subjects) = if paths.is_empty() {
        let (config, report) = detect_range(settings, env)?;
        // Detection printed its notes already; the same analyses would say them again.
        let worktree = if settings.uncommitted {
            repo.workdir()
        } else {
            None
        };
        let mut cache = super::root_cache(settings, &repo);
        let router = report::router(
            &repo,
            &config,
            report.range.head,
            report.range.base,
            worktree,
            &mut cache,
            &mut Vec::new(),
        )?;
        let subjects: Vec<(RepoPath, Side)> = report
            .changes
            .iter()
            .flat_map(route::sides)
            .map(|(path, side)| (path.clone(), side))
            .collect();
        (router, subjects)
    } else {
        let config = load_config(settings, &repo)?;
        if settings.head.is_none() && crate::git::is_unborn(&repo) {
            // Worded as detection words it, whichever command meets it.
            return Err(Error::EmptyRepository);
        }
        let head = crate::git::commit_of(&repo, settings.head.as_deref(), "head")?;
        let mut cache = super::root_cache(settings, &repo);
        let router = report::router(&repo, &config, head, None, None, &mut cache, &mut notes)?;
        cache.save();
        super::cache_notes(settings, &cache);
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

#[cfg(unix)]
fn os_bytes(s: &std::ffi::OsStr) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    s.as_bytes().to_vec()
}
