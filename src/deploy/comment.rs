//! Each changed target's part of the pull request comment, as its engine gives it (the image
//! of a service, the saved plan summary of a root). `output::comment` renders them.

use std::path::Path;

use crate::config::Config;
use crate::deploy::engine::engine;
use crate::detect::report::Report;
use crate::error::Result;
use crate::output::comment::Detail;

/// The details of every changed target, in configuration order; `plan_dir` is where plan jobs
/// saved their summaries.
pub fn details(config: &Config, report: &Report, plan_dir: Option<&Path>) -> Result<Vec<Detail>> {
    let mut details = Vec::new();
    for name in report
        .routing
        .iter()
        .filter(|(_, r)| r.changed)
        .map(|(name, _)| name)
    {
        let Some(target) = config.targets.get(name) else {
            continue;
        };
        if let Some(detail) =
            engine(target.kind).comment_detail(name, target, report.range.head, plan_dir)?
        {
            details.push(detail);
        }
    }
    Ok(details)
}
