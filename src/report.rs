//! Detection's one result: the range, the changes and the routing, as every output reads it.
//!
//! `detect` chains the core (range -> diff -> route); it opens the repository and reads git, but
//! neither prints nor writes. Every output format renders a [`Report`]; none computes anything
//! of its own, so all formats always agree.

use std::path::Path;

use git2::Repository;

use crate::config::{Config, TargetSettings};
use crate::diff::{self, Change, Side};
use crate::error::{Error, Result};
use crate::image_inputs::ImageInputs;
use crate::range::{self, Range, Request};
use crate::route::{ImagePair, RootPair, Router, Routing};
use crate::snapshot::GitSnapshot;
use crate::terraform::RootDependencies;

/// What detection found.
#[derive(Debug, Clone)]
pub struct Report {
    pub range: Range,
    /// Whether the working tree's changes were added (`--uncommitted`).
    pub uncommitted: bool,
    pub changes: Vec<Change>,
    pub routing: Routing,
}

impl Report {
    /// The names of the targets that changed, in configuration order.
    pub fn changed_targets(&self) -> Vec<&str> {
        self.routing
            .iter()
            .filter(|(_, r)| r.changed)
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

/// Opens the repository that contains `path`.
pub fn open_repository(path: &Path) -> Result<Repository> {
    Repository::discover(path).map_err(|e| Error::NotARepository {
        path: path.to_owned(),
        message: e.message().to_owned(),
    })
}

/// Resolves the range, diffs it and routes the changes. Notes for stderr (deepening a shallow
/// clone) are appended to `notes`, also when detection fails.
pub fn detect(
    repo: &Repository,
    config: &Config,
    request: &Request,
    uncommitted: bool,
    notes: &mut Vec<String>,
) -> Result<Report> {
    let range = range::resolve(repo, request, notes)?;
    let router = router(repo, config, range.head, range.base, notes)?;
    let changes = if range.uncertain && !uncommitted {
        Vec::new()
    } else if uncommitted {
        if repo.is_bare() {
            return Err(Error::Usage(
                "--uncommitted needs a working tree, and this repository is bare".into(),
            ));
        }
        // A known range with no base is a first commit: its files count, so compare the
        // working tree with the empty tree. An uncertain range marks every target anyway.
        let base = if range.uncertain {
            Some(range.head)
        } else {
            range.base
        };
        diff::changes(repo, base, Side::WorkingTree)?
    } else if range.base == Some(range.head) {
        Vec::new()
    } else {
        diff::changes(repo, range.base, Side::Commit(range.head))?
    };
    let routing = router.route(&changes, range.uncertain);
    Ok(Report {
        range,
        uncommitted,
        changes,
        routing,
    })
}

/// Where a target's range starts under `--since deployed`, as found by its engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deployed {
    /// The commit the target runs now (checked to be in the repository).
    Commit(git2::Oid, String),
    /// What it runs is not known (never deployed, or a commit not in this history): the target
    /// is marked changed, for the reason given.
    Unknown(String),
}

/// Re-routes each target in `bases` over its own range, `<deployed commit>..head`, instead of
/// the pushed range. A target whose deployed commit is unknown is changed: its deployment
/// must not be skipped on a guess.
pub fn apply_deployed(
    repo: &Repository,
    config: &Config,
    report: &mut Report,
    bases: Vec<(String, Deployed)>,
    notes: &mut Vec<String>,
) -> Result<()> {
    let head = report.range.head;
    let mut routed: std::collections::HashMap<git2::Oid, Routing> = Default::default();
    for (name, deployed) in bases {
        let (result, since) = match deployed {
            Deployed::Unknown(reason) => {
                let mut result = match report.routing.get(&name) {
                    Some(r) => r.clone(),
                    None => continue,
                };
                result.changed = true;
                (
                    result,
                    crate::route::TargetBase {
                        commit: None,
                        reason,
                    },
                )
            }
            Deployed::Commit(base, reason) => {
                if let std::collections::hash_map::Entry::Vacant(slot) = routed.entry(base) {
                    let router = router(repo, config, head, Some(base), notes)?;
                    let changes = if base == head {
                        Vec::new()
                    } else {
                        diff::changes(repo, Some(base), Side::Commit(head))?
                    };
                    slot.insert(router.route(&changes, false));
                }
                let Some(result) = routed.get(&base).and_then(|r| r.get(&name)).cloned() else {
                    continue;
                };
                (
                    result,
                    crate::route::TargetBase {
                        commit: Some(base),
                        reason,
                    },
                )
            }
        };
        if let Some(slot) = report.routing.get_mut(&name) {
            *slot = crate::route::TargetResult {
                since: Some(since),
                ..result
            };
        }
    }
    Ok(())
}

/// The routing table of `config`, with the image inputs of every `ecs-service` target that has
/// a `build` section read from the `head` and `base` commits. Warnings go to `notes`.
pub fn router(
    repo: &Repository,
    config: &Config,
    head: git2::Oid,
    base: Option<git2::Oid>,
    notes: &mut Vec<String>,
) -> Result<Router> {
    let mut router = Router::new(config)?;
    let analyzes = config.targets.values().any(|t| {
        matches!(
            t.settings,
            TargetSettings::Terraform {
                analyze_root: true,
                ..
            } | TargetSettings::EcsService {
                analyze_build: true,
                ..
            }
        )
    });
    if !analyzes {
        return Ok(router);
    }
    // One snapshot per commit and one parse cache for every target: snapshots remember what
    // they read, and Terraform roots share modules (and both commits most files).
    let head_tree = GitSnapshot::of_commit(repo, head)?;
    let base_tree = base.map(|b| GitSnapshot::of_commit(repo, b)).transpose()?;
    let mut parsed = crate::terraform::ParseCache::default();
    for (name, target) in &config.targets {
        if let TargetSettings::Terraform {
            root,
            analyze_root: true,
            ..
        } = &target.settings
        {
            let mut read = |tree: &GitSnapshot| -> Result<RootDependencies> {
                crate::terraform::analyze_with(tree, root, &mut parsed)
            };
            let head_deps = read(&head_tree)?;
            let base_deps = base_tree.as_ref().map(&mut read).transpose()?;
            let mut seen = Vec::new();
            for warning in head_deps
                .warnings
                .iter()
                .chain(base_deps.iter().flat_map(|b| &b.warnings))
            {
                let text = warning.to_string();
                if !seen.contains(&text) {
                    notes.push(format!("targets.{name}: {text}"));
                    seen.push(text);
                }
            }
            router.set_root(
                name,
                RootPair {
                    head: head_deps,
                    base: base_deps,
                },
            );
            continue;
        }
        let TargetSettings::EcsService {
            context,
            dockerfile,
            analyze_build: true,
            build_args,
            build_target,
            ..
        } = &target.settings
        else {
            continue;
        };
        let read = |tree: &GitSnapshot| {
            ImageInputs::read(
                tree,
                context,
                dockerfile,
                build_args,
                build_target.as_deref(),
            )
        };
        let head = read(&head_tree)?;
        let base = base_tree.as_ref().map(read).transpose()?;
        for warning in ImageInputs::notes(&head, base.as_ref()) {
            notes.push(format!("targets.{name}: {warning}"));
        }
        router.set_image(name, ImagePair { head, base });
    }
    Ok(router)
}
