//! `--since deployed` across kinds: for each target, its engine says the commit it runs now,
//! and that commit is looked up in the repository's history. Which targets are asked is the
//! caller's choice (`deploy <target>` asks only about its own).

use crate::config::Config;
use crate::deploy::context::Context;
use crate::deploy::engine::{engine, DeployedCommit};
use crate::detect::range::Request;
use crate::detect::report::Deployed;
use crate::error::Result;

/// The deployed commit of each target of `config` (only of `only`, when given) that has a
/// deployment; a target that cannot say keeps the pushed range, with a note in `notes`.
/// `context` gives a target's deployment context by name.
pub fn deployed_bases<'a>(
    config: &'a Config,
    context: impl Fn(&'a str) -> Result<Context<'a>>,
    request: &Request,
    only: Option<&str>,
    notes: &mut Vec<String>,
) -> Result<Vec<(String, Deployed)>> {
    let mut bases = Vec::new();
    for name in config.targets.keys() {
        if only.is_some_and(|only| only != name) {
            continue;
        }
        let ctx = context(name)?;
        let repo = ctx.repo;
        let deployed = match engine(ctx.target.kind).deployed_commit(&ctx)? {
            DeployedCommit::NotDeployed => continue,
            DeployedCommit::NotConfigured => {
                notes.push(format!(
                    "targets.{name}: --since deployed needs the target's deployment settings (`ecs` and `image`, or `state`); it keeps the pushed range"
                ));
                continue;
            }
            DeployedCommit::Nothing => Deployed::Unknown(
                "nothing deployed by quest-changes yet, so everything is new".into(),
            ),
            DeployedCommit::Commit { sha, reason } => {
                match crate::detect::range::find_commit(repo, request, &sha, notes)? {
                    Some(oid) => Deployed::Commit(oid, reason.into()),
                    None => Deployed::Unknown(format!(
                        "the deployed commit {} is not in this repository's history",
                        crate::text::one_line(&sha)
                    )),
                }
            }
        };
        bases.push((name.clone(), deployed));
    }
    Ok(bases)
}
