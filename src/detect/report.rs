//! Detection's one result: the range, the changes and the routing, as every output reads it.
//!
//! [`detect`] chains the core (range -> diff -> route) on a repository the caller opened
//! (`crate::git::open`); [`router`] reads what each analysed target's build or root reads, in
//! both commits, through snapshots; [`apply_deployed`] re-routes targets over their own
//! `--since deployed` range. It reads git but neither prints nor writes: notes come back to the
//! caller. Every output format renders a [`Report`]; none computes anything of its own, so all
//! formats always agree.

use std::path::Path;

use git2::Repository;

use crate::analysis::build_context::ImageInputs;
use crate::analysis::root_cache::RootCache;
use crate::analysis::snapshot::{EntryKind, GitSnapshot, Recorder, Snapshot};
use crate::config::{Analysis, Config};
use crate::detect::diff::{self, Change, Diff, HeadTree};
use crate::detect::range::{self, Range, Request};
use crate::detect::rename::LimitHit;
use crate::detect::route::{ImagePair, RootPair, Router, Routing};
use crate::error::{Error, Result};

/// What detection found.
#[derive(Debug, Clone)]
pub struct Report {
    pub range: Range,
    /// Whether the working tree's changes were added (`--uncommitted`).
    pub uncommitted: bool,
    pub changes: Vec<Change>,
    /// Set when the rename limit stopped pairing deletions and additions by content.
    pub rename_limit: Option<LimitHit>,
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

/// Resolves the range, diffs it and routes the changes. Notes for stderr (deepening a shallow
/// clone) are appended to `notes`, also when detection fails.
pub fn detect(
    repo: &Repository,
    config: &Config,
    request: &Request,
    uncommitted: bool,
    notes: &mut Vec<String>,
) -> Result<Report> {
    let mut cache = RootCache::in_memory();
    detect_with(repo, config, request, uncommitted, &mut cache, notes)
}

/// [`detect`], reusing (and filling) the analysis results of `cache`.
pub(crate) fn detect_with(
    repo: &Repository,
    config: &Config,
    request: &Request,
    uncommitted: bool,
    cache: &mut RootCache,
    notes: &mut Vec<String>,
) -> Result<Report> {
    let range = range::resolve(repo, request, notes)?;
    let worktree = if uncommitted { repo.workdir() } else { None };
    let router = router(repo, config, range.head, range.base, worktree, cache, notes)?;
    let diff = if range.uncertain && !uncommitted {
        Diff::default()
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
        diff::compare(repo, base, HeadTree::WorkingTree)?
    } else if range.base == Some(range.head) {
        Diff::default()
    } else {
        diff::compare(repo, range.base, HeadTree::Commit(range.head))?
    };
    if let Some(hit) = diff.rename_limit {
        push_once(
            notes,
            format!(
                "rename detection by content was skipped: {} deletions and {} additions are over \
                 the rename limit of {} (git's diff.renameLimit); renames with edits are listed \
                 as a deletion and an addition, which route the same",
                hit.sources, hit.destinations, hit.limit
            ),
        );
    }
    let routing = router.route(&diff.changes, range.uncertain);
    Ok(Report {
        range,
        uncommitted,
        changes: diff.changes,
        rename_limit: diff.rename_limit,
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
pub(crate) fn apply_deployed(
    repo: &Repository,
    config: &Config,
    report: &mut Report,
    bases: Vec<(String, Deployed)>,
    cache: &mut RootCache,
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
                    crate::detect::route::TargetBase {
                        commit: None,
                        reason,
                    },
                )
            }
            Deployed::Commit(base, reason) => {
                if let std::collections::hash_map::Entry::Vacant(slot) = routed.entry(base) {
                    slot.insert(routing_since(repo, config, base, head, cache, notes)?);
                }
                let Some(result) = routed.get(&base).and_then(|r| r.get(&name)).cloned() else {
                    continue;
                };
                (
                    result,
                    crate::detect::route::TargetBase {
                        commit: Some(base),
                        reason,
                    },
                )
            }
        };
        if let Some(slot) = report.routing.get_mut(&name) {
            *slot = crate::detect::route::TargetResult {
                since: Some(since),
                ..result
            };
        }
    }
    Ok(())
}

/// Every target's routing over `base..head` (a deployed commit to the head): what the next
/// deployment of each would take.
pub(crate) fn routing_since(
    repo: &Repository,
    config: &Config,
    base: git2::Oid,
    head: git2::Oid,
    cache: &mut RootCache,
    notes: &mut Vec<String>,
) -> Result<Routing> {
    let router = router(repo, config, head, Some(base), None, cache, notes)?;
    let changes = if base == head {
        Vec::new()
    } else {
        diff::changes(repo, Some(base), HeadTree::Commit(head))?
    };
    Ok(router.route(&changes, false))
}

/// The routing table of `config`, with the image inputs of every `ecs-service` target that has
/// a `build` section read from the `head` and `base` commits. Warnings go to `notes`. A root,
/// build context or Dockerfile that the configuration names and that is in neither commit (nor
/// in `worktree`, the working tree of `--uncommitted`) is a configuration error: a typo must
/// not route nothing. A root whose result `cache` holds for the same answers is not analysed
/// again.
pub(crate) fn router(
    repo: &Repository,
    config: &Config,
    head: git2::Oid,
    base: Option<git2::Oid>,
    worktree: Option<&Path>,
    cache: &mut RootCache,
    notes: &mut Vec<String>,
) -> Result<Router> {
    let mut router = Router::new(config)?;
    let analyzes = config
        .targets
        .values()
        .any(|t| t.settings.analysis().is_some());
    if !analyzes {
        return Ok(router);
    }
    // One snapshot per commit and one parse cache for every target: snapshots remember what
    // they read, and Terraform roots share modules (and both commits most files).
    let head_tree = GitSnapshot::of_commit(repo, head)?;
    let base_tree = base.map(|b| GitSnapshot::of_commit(repo, b)).transpose()?;
    let commits = Commits {
        head,
        base,
        head_tree: &head_tree,
        base_tree: base_tree.as_ref(),
    };
    check_named_paths(config, &commits, worktree, notes)?;
    let mut parsed = crate::analysis::module_graph::ParseCache::default();
    for (name, target) in &config.targets {
        let analysis = target.settings.analysis();
        if let Some(Analysis::Root { root, var_files }) = analysis {
            // The analysis reads only through the snapshot: a tree that answers every question
            // an earlier analysis asked (of this run, or of an earlier one through the cache)
            // as that tree did gets that result, and need not be walked. So the base of most
            // roots, in most ranges, is the head's result, and a warm cache spares the head too.
            let mut analyse = |tree: &GitSnapshot<'_>, cache: &mut RootCache| {
                let recorder = Recorder::new(tree);
                let deps = crate::analysis::module_graph::analyze_with(
                    &recorder,
                    root,
                    var_files,
                    &mut parsed,
                )?;
                cache.insert(root, var_files, recorder.questions(), tree, deps)
            };
            let head_entry = match cache.find(root, var_files, &head_tree)? {
                Some(hit) => hit,
                None => analyse(&head_tree, cache)?,
            };
            let head_deps = cache.deps(head_entry);
            // `None`: the base's result is the head's (or there is no base).
            let base_deps = match &base_tree {
                None => None,
                Some(base) if cache.alike(head_entry, base)? => None,
                Some(base) => {
                    let entry = match cache.find(root, var_files, base)? {
                        Some(hit) => hit,
                        None => analyse(base, cache)?,
                    };
                    Some(cache.deps(entry))
                }
            };
            for warning in head_deps
                .warnings
                .iter()
                .chain(base_deps.iter().flat_map(|b| &b.warnings))
            {
                push_once(notes, format!("targets.{name}: {warning}"));
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
        let Some(Analysis::Build {
            context,
            dockerfile,
            build_args,
            build_target,
        }) = analysis
        else {
            continue;
        };
        let read = |tree: &GitSnapshot| {
            ImageInputs::read(tree, context, dockerfile, build_args, build_target)
        };
        let head = read(&head_tree)?;
        let base = base_tree.as_ref().map(read).transpose()?;
        for warning in head
            .warnings
            .iter()
            .chain(base.iter().flat_map(|b| &b.warnings))
        {
            push_once(notes, format!("targets.{name}: {warning}"));
        }
        router.set_image(name, ImagePair { head, base });
    }
    Ok(router)
}

/// The two ends of a range as the analyses read them.
#[derive(Clone, Copy)]
struct Commits<'t, 'r> {
    head: git2::Oid,
    base: Option<git2::Oid>,
    head_tree: &'t GitSnapshot<'r>,
    base_tree: Option<&'t GitSnapshot<'r>>,
}

/// Adds `note` unless the same words are already there: a run says each thing once, however
/// many commits or analyses found it.
pub(crate) fn push_once(notes: &mut Vec<String>, note: String) {
    if !notes.contains(&note) {
        notes.push(note);
    }
}

/// Whether `path` (a folder when `dir`, else a file) is in a tree; `.` is the top and always is.
fn present(tree: &dyn Snapshot, path: &str, dir: bool) -> Result<bool> {
    let path = path.trim_matches('/');
    if path.is_empty() || path == "." {
        return Ok(true);
    }
    let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
    Ok(tree.kind_of(parent, name)?.is_some_and(|kind| match kind {
        EntryKind::Dir => dir,
        // A link may name either; what it points at is the analyses' business.
        EntryKind::Symlink => true,
        EntryKind::File => !dir,
        EntryKind::Submodule => false,
    }))
}

/// The roots, build contexts and Dockerfiles that the configuration names, each with its key
/// path: in neither commit of the range, one is a typo (`terraform/enviroments/dev`) that would
/// route nothing, so it is a configuration error; at one end only, the range adds or deletes it,
/// which is a change, said once in `notes`.
fn check_named_paths(
    config: &Config,
    commits: &Commits<'_, '_>,
    worktree: Option<&Path>,
    notes: &mut Vec<String>,
) -> Result<()> {
    let Commits {
        head,
        base,
        head_tree,
        base_tree,
    } = *commits;
    let mut named: Vec<(String, &str, bool)> = Vec::new();
    for (name, target) in &config.targets {
        let written = config.file.targets.get(name);
        match target.settings.analysis() {
            Some(Analysis::Root { root, .. }) => {
                named.push((format!("targets.{name}.root"), root, true));
            }
            Some(Analysis::Build {
                context,
                dockerfile,
                ..
            }) => {
                let build = written.and_then(|t| t.build());
                // The key the user wrote; a context taken from the Dockerfile's folder is the
                // Dockerfile's typo.
                let context_key = if build.is_some_and(|b| b.context.is_some()) {
                    "context"
                } else {
                    "dockerfile"
                };
                named.push((format!("targets.{name}.build.{context_key}"), context, true));
                named.push((
                    format!("targets.{name}.build.dockerfile"),
                    dockerfile,
                    false,
                ));
            }
            None => {}
        }
    }
    let work = worktree.map(crate::analysis::snapshot::FsSnapshot::new);
    let mut reported: Vec<&str> = Vec::new();
    for (key, path, dir) in &named {
        let in_head = present(head_tree, path, *dir)?
            || work
                .as_ref()
                .map_or(Ok(false), |w| present(w, path, *dir))?;
        let in_base = match base_tree {
            Some(tree) => Some(present(tree, path, *dir)?),
            None => None,
        };
        let what = if *dir { "folder" } else { "file" };
        match (in_head, in_base) {
            (true, Some(true) | None) => {}
            (false, Some(false) | None) => {
                let commits = match base {
                    Some(b) if b != head => format!(
                        "in neither commit of the range ({}..{})",
                        crate::text::short(b),
                        crate::text::short(head)
                    ),
                    _ => format!("not in commit {}", crate::text::short(head)),
                };
                return Err(Error::Config {
                    file: config.source.clone(),
                    location: None,
                    message: format!("{key}: the {what} `{path}` is {commits}; check its spelling"),
                });
            }
            (true, Some(false)) if !reported.contains(path) => {
                reported.push(path);
                push_once(
                    notes,
                    format!("{key}: the {what} `{path}` is added by this range"),
                );
            }
            (false, Some(true)) if !reported.contains(path) => {
                reported.push(path);
                push_once(
                    notes,
                    format!("{key}: the {what} `{path}` is deleted by this range"),
                );
            }
            _ => {}
        }
    }
    Ok(())
}
