//! Routing: which changed paths belong to which target. Pure: no I/O, no git.
//!
//! Each target has ordered rules; for a path, the last rule that matches decides (a `!` rule
//! excludes). All globs of all targets go into one `GlobSet`, so a path is matched once however
//! many targets there are. A renamed file is routed by its old and its new path: moving a file
//! out of `app/` still changes the app. An `ecs-service` target with a `build` section is also
//! changed by what its image build reads ([`ImageInputs`], read from the commits beforehand): a
//! present path is judged by the head commit's build, a deleted or renamed-away path by the
//! base commit's.

use std::collections::HashMap;
use std::rc::Rc;

use globset::{GlobSet, GlobSetBuilder};
use indexmap::IndexMap;

use crate::analysis::build_context::{ImageInputs, ImageReason};
use crate::analysis::module_graph::{Affected, RootDependencies};
use crate::config::{Config, TargetKind};
use crate::detect::diff::Change;
use crate::detect::pattern::Rule;
use crate::error::Error;
use crate::path::RepoPath;

/// The routing table compiled from a configuration.
#[derive(Debug)]
pub struct Router {
    targets: Vec<RoutedTarget>,
    set: GlobSet,
    /// For each glob in `set`: (target index, rule index).
    owners: Vec<(usize, usize)>,
    /// Target name -> its position in `targets` (thousands of roots are set one by one).
    positions: HashMap<String, usize>,
}

#[derive(Debug)]
struct RoutedTarget {
    name: String,
    kind: TargetKind,
    rules: Vec<Rule>,
    image: Option<ImagePair>,
    root: Option<RootPair>,
}

/// A Terraform target's root dependencies in the head commit and, when it differs, the base
/// (`None`: no base commit, or the same dependencies as the head). Shared with the analysis
/// cache, which hands out the same result to every tree that answers alike.
#[derive(Debug, Clone)]
pub struct RootPair {
    pub head: Rc<RootDependencies>,
    pub base: Option<Rc<RootDependencies>>,
}

/// A target's image inputs in the head commit and, when there is one, the base commit.
#[derive(Debug, Clone)]
pub struct ImagePair {
    pub head: ImageInputs,
    pub base: Option<ImageInputs>,
}

/// Which commit's build judges a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The path exists after the change.
    Head,
    /// The path existed before the change only (deleted, or the old name of a rename).
    Base,
}

/// What decided a path for one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// True when the path changes the target.
    pub included: bool,
    pub why: Why,
}

/// The reason behind a [`Decision`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The last matching rule of `paths` (a `!` rule excludes).
    Rule { index: usize, rule: String },
    /// The image build's use of the path.
    Image(ImageReason),
    /// The Terraform root depends on the path: the chain of calls, innermost first (empty for
    /// a file of the root itself).
    Terraform { chain: String, fallback: bool },
}

/// A path and, for each target by name, the rule that decided it (none: no rule matched).
pub type Explanation = (RepoPath, Vec<(String, Option<Decision>)>);

/// The routing result for one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetResult {
    pub kind: TargetKind,
    pub changed: bool,
    /// The changed files routed to this target, in diff order. A rename is listed by its new path.
    pub files: Vec<RepoPath>,
    /// Set under `--since deployed`: where this target's own range started, and why.
    pub since: Option<TargetBase>,
}

/// A target's own base under `--since deployed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetBase {
    /// The commit the target runs now; `None` when it is unknown, and the target is changed.
    pub commit: Option<git2::Oid>,
    /// Why this base, in a few words (`the image the service runs`, `nothing deployed yet`).
    pub reason: String,
}

/// The routing result for every target, in configuration order.
pub type Routing = IndexMap<String, TargetResult>;

impl Router {
    /// Builds one glob set over the rules of every target (already compiled and validated when
    /// the configuration was loaded).
    pub fn new(config: &Config) -> Result<Router, Error> {
        let mut builder = GlobSetBuilder::new();
        let mut owners = Vec::new();
        let mut targets = Vec::new();
        for (target_index, (name, target)) in config.targets.iter().enumerate() {
            for (rule_index, rule) in target.rules.iter().enumerate() {
                for glob in &rule.globs {
                    builder.add(glob.clone());
                    owners.push((target_index, rule_index));
                }
            }
            targets.push(RoutedTarget {
                name: name.clone(),
                kind: target.kind,
                rules: target.rules.clone(),
                image: None,
                root: None,
            });
        }
        let set = builder.build().map_err(|e| Error::Config {
            file: config.source.clone(),
            location: None,
            message: format!("failed to compile the path patterns: {}", e.kind()),
        })?;
        let positions = targets
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect();
        Ok(Router {
            targets,
            set,
            owners,
            positions,
        })
    }

    /// Sets the image inputs of a target (an `ecs-service` target with a `build` section).
    pub fn set_image(&mut self, target: &str, image: ImagePair) {
        if let Some(&i) = self.positions.get(target) {
            self.targets[i].image = Some(image);
        }
    }

    /// Sets the root dependencies of a target (a `terraform` target with a `root`).
    pub fn set_root(&mut self, target: &str, root: RootPair) {
        if let Some(&i) = self.positions.get(target) {
            self.targets[i].root = Some(root);
        }
    }

    /// For each target, what decides `path` as it stands on `side`, if anything does.
    pub fn decide(&self, path: &RepoPath, side: Side) -> Vec<Option<Decision>> {
        let mut last: Vec<Option<usize>> = vec![None; self.targets.len()];
        let candidate = globset::Candidate::new(path_of(path));
        for glob_index in self.set.matches_candidate(&candidate) {
            let (target, rule) = self.owners[glob_index];
            if last[target].is_none_or(|r| rule > r) {
                last[target] = Some(rule);
            }
        }
        last.iter()
            .zip(&self.targets)
            .map(|(rule, target)| {
                let by_rule = rule.map(|i| Decision {
                    included: !target.rules[i].negated,
                    why: Why::Rule {
                        index: i,
                        rule: target.rules[i].source.clone(),
                    },
                });
                let by_image = target.image.as_ref().and_then(|pair| {
                    let inputs = match side {
                        Side::Head => &pair.head,
                        Side::Base => pair.base.as_ref().unwrap_or(&pair.head),
                    };
                    inputs.decide(path).map(|reason| Decision {
                        included: reason.is_input(),
                        why: Why::Image(reason),
                    })
                });
                let by_root = target.root.as_ref().and_then(|pair| {
                    let deps = match side {
                        Side::Head => &pair.head,
                        Side::Base => pair.base.as_ref().unwrap_or(&pair.head),
                    };
                    let text = path.lossy();
                    deps.explain(&text).map(|affected| Decision {
                        included: true,
                        why: Why::Terraform {
                            chain: affected.chain().to_string(),
                            fallback: matches!(affected, Affected::Fallback(_)),
                        },
                    })
                });
                // Any source of inputs changes the target; when none does, the image's reason
                // (excluded, not read) says more than a rule that did not match.
                match (by_rule, by_image, by_root) {
                    (Some(r), _, _) if r.included => Some(r),
                    (_, _, Some(t)) => Some(t),
                    (_, Some(i), _) if i.included => Some(i),
                    (_, Some(i), _) => Some(i),
                    (r, None, None) => r,
                }
            })
            .collect()
    }

    /// The target names, in configuration order.
    pub fn target_names(&self) -> impl Iterator<Item = &str> {
        self.targets.iter().map(|t| t.name.as_str())
    }

    /// Routes every change. With `all_changed` (an uncertain range) every target is changed.
    pub fn route(&self, changes: &[Change], all_changed: bool) -> Routing {
        let mut files: Vec<Vec<RepoPath>> = vec![Vec::new(); self.targets.len()];
        for change in changes {
            let mut hit = vec![false; self.targets.len()];
            for (path, side) in sides(change) {
                for (h, o) in hit.iter_mut().zip(self.included(path, side)) {
                    *h |= o;
                }
            }
            for (target, is_hit) in hit.into_iter().enumerate() {
                if is_hit {
                    files[target].push(change.path.clone());
                }
            }
        }
        self.targets
            .iter()
            .zip(files)
            .map(|(target, files)| {
                let result = TargetResult {
                    kind: target.kind,
                    changed: all_changed || !files.is_empty(),
                    files,
                    since: None,
                };
                (target.name.clone(), result)
            })
            .collect()
    }

    fn included(&self, path: &RepoPath, side: Side) -> Vec<bool> {
        self.decide(path, side)
            .into_iter()
            .map(|d| d.is_some_and(|d| d.included))
            .collect()
    }
}

/// The paths a change routes by, each with the commit it is read in: a renamed file's old path
/// in the base, a deleted file in the base (the head has none), any other path in the head.
pub fn sides(change: &Change) -> impl Iterator<Item = (&RepoPath, Side)> {
    let side = if change.status == crate::detect::diff::Status::Deleted {
        Side::Base
    } else {
        Side::Head
    };
    change
        .old_path
        .as_ref()
        .map(|old| (old, Side::Base))
        .into_iter()
        .chain(std::iter::once((&change.path, side)))
}

fn path_of(path: &RepoPath) -> &std::path::Path {
    use std::os::unix::ffi::OsStrExt;
    std::path::Path::new(std::ffi::OsStr::from_bytes(path.as_bytes()))
}
