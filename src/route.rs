//! Routing: which changed paths belong to which target. Pure: no I/O, no git.
//!
//! Each target has ordered rules; for a path, the last rule that matches decides (a `!` rule
//! excludes). All globs of all targets go into one `GlobSet`, so a path is matched once however
//! many targets there are. A renamed file is routed by its old and its new path: moving a file
//! out of `app/` still changes the app.

use globset::{GlobSet, GlobSetBuilder};
use indexmap::IndexMap;

use crate::config::{Config, TargetKind};
use crate::diff::Change;
use crate::error::Error;
use crate::path::RepoPath;
use crate::pattern::Rule;

/// The routing table compiled from a configuration.
#[derive(Debug)]
pub struct Router {
    targets: Vec<RoutedTarget>,
    set: GlobSet,
    /// For each glob in `set`: (target index, rule index).
    owners: Vec<(usize, usize)>,
}

#[derive(Debug)]
struct RoutedTarget {
    name: String,
    kind: TargetKind,
    rules: Vec<Rule>,
}

/// The rule that decided a path for one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Index of the rule in the target's `paths`.
    pub rule_index: usize,
    /// The rule as written.
    pub rule: String,
    /// True when the rule includes the path, false when a `!` rule excludes it.
    pub included: bool,
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
            });
        }
        let set = builder.build().map_err(|e| Error::Config {
            file: config.source.clone(),
            location: None,
            message: format!("failed to compile the path patterns: {}", e.kind()),
        })?;
        Ok(Router {
            targets,
            set,
            owners,
        })
    }

    /// For each target, the rule that decides `path`, if any matches.
    pub fn decide(&self, path: &RepoPath) -> Vec<Option<Decision>> {
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
                rule.map(|i| Decision {
                    rule_index: i,
                    rule: target.rules[i].source.clone(),
                    included: !target.rules[i].negated,
                })
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
            let mut hit = self.included(&change.path);
            if let Some(old) = &change.old_path {
                for (h, o) in hit.iter_mut().zip(self.included(old)) {
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
                };
                (target.name.clone(), result)
            })
            .collect()
    }

    fn included(&self, path: &RepoPath) -> Vec<bool> {
        self.decide(path)
            .into_iter()
            .map(|d| d.is_some_and(|d| d.included))
            .collect()
    }
}

fn path_of(path: &RepoPath) -> &std::path::Path {
    use std::os::unix::ffi::OsStrExt;
    std::path::Path::new(std::ffi::OsStr::from_bytes(path.as_bytes()))
}
