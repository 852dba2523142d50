//! Routing: which changed paths belong to which target. Pure: no I/O, no git.
//!
//! Each target has ordered rules; for a path, the last rule that matches decides (a `!` rule
//! excludes). The globs of all targets are grouped by the literal first path component they
//! require (`svc00/**` needs `svc00`; `**/*.md` or `svc*/x` may match under any), and each group
//! is compiled into one `GlobSet` the first time a path of that component is routed: a path is
//! matched against its own group and the "any" group, however many targets there are, and a
//! one-file push compiles only the patterns that could match it. A renamed file is routed by its old and its new path: moving a file
//! out of `app/` still changes the app. An `ecs-service` target with a `build` section is also
//! changed by what its image build reads (`ImageInputs`), and a `terraform` target by what its
//! root reads (`RootDependencies`), both read from the commits beforehand (`report::router`):
//! a present path is judged by the head commit's, a deleted or renamed-away path by the base
//! commit's.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::rc::Rc;

use globset::{Candidate, Glob, GlobMatcher, GlobSet, GlobSetBuilder};
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
    /// The globs that need a literal first path component, by that component.
    by_component: HashMap<Vec<u8>, Group>,
    /// The globs that may match under any first component.
    anywhere: Group,
    /// Target name -> its position in `targets` (thousands of roots are set one by one).
    positions: HashMap<String, usize>,
}

/// Globs compiled together on first use, each with its (target index, rule index).
#[derive(Debug, Default)]
struct Group {
    globs: Vec<Glob>,
    owners: Vec<(usize, usize)>,
    matcher: OnceCell<GroupMatcher>,
}

#[derive(Debug)]
enum GroupMatcher {
    Set(GlobSet),
    /// A set too large for the regex engine's limits: each glob alone (every glob compiled
    /// alone when its pattern was parsed, so this cannot fail).
    Each(Vec<GlobMatcher>),
}

impl Group {
    fn add(&mut self, glob: &Glob, owner: (usize, usize)) {
        self.globs.push(glob.clone());
        self.owners.push(owner);
    }

    /// The owners of the globs that match `candidate`.
    fn matching(&self, candidate: &Candidate<'_>) -> Vec<(usize, usize)> {
        if self.globs.is_empty() {
            return Vec::new();
        }
        let matcher = self.matcher.get_or_init(|| {
            let mut builder = GlobSetBuilder::new();
            for glob in &self.globs {
                builder.add(glob.clone());
            }
            match builder.build() {
                Ok(set) => GroupMatcher::Set(set),
                Err(_) => {
                    GroupMatcher::Each(self.globs.iter().map(Glob::compile_matcher).collect())
                }
            }
        });
        match matcher {
            GroupMatcher::Set(set) => set
                .matches_candidate(candidate)
                .into_iter()
                .map(|i| self.owners[i])
                .collect(),
            GroupMatcher::Each(each) => each
                .iter()
                .zip(&self.owners)
                .filter(|(m, _)| m.is_match_candidate(candidate))
                .map(|(_, &owner)| owner)
                .collect(),
        }
    }
}

/// The literal first path component a glob requires, if it requires one: the text before its
/// first `/`, when that holds no glob syntax (a glob without `/` names a file at the top).
fn required_component(glob: &str) -> Option<&[u8]> {
    let first = glob.split('/').next().unwrap_or(glob);
    let literal = !first.contains(['*', '?', '[', ']', '{', '}', '\\']);
    (literal && !first.is_empty()).then_some(first.as_bytes())
}

/// A path's first component: the text before its first `/`, or the whole path.
fn first_component(path: &RepoPath) -> &[u8] {
    let bytes = path.as_bytes();
    bytes.split(|&b| b == b'/').next().unwrap_or(bytes)
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
    /// Groups the rules of every target by the first path component they need (the globs were
    /// compiled and validated when the configuration was loaded; each group is compiled into a
    /// set when a path first needs it).
    pub fn new(config: &Config) -> Result<Router, Error> {
        let mut by_component: HashMap<Vec<u8>, Group> = HashMap::new();
        let mut anywhere = Group::default();
        let mut targets = Vec::new();
        for (target_index, (name, target)) in config.targets.iter().enumerate() {
            for (rule_index, rule) in target.rules.iter().enumerate() {
                for glob in &rule.globs {
                    let owner = (target_index, rule_index);
                    match required_component(glob.glob()) {
                        Some(first) => by_component
                            .entry(first.to_vec())
                            .or_default()
                            .add(glob, owner),
                        None => anywhere.add(glob, owner),
                    }
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
        let positions = targets
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect();
        Ok(Router {
            targets,
            by_component,
            anywhere,
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
        let candidate = Candidate::new(path_of(path));
        let own = self.by_component.get(first_component(path));
        let groups = std::iter::once(&self.anywhere).chain(own);
        for (target, rule) in groups.flat_map(|g| g.matching(&candidate)) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::diff::Status;

    #[test]
    fn a_glob_needs_its_first_component_only_when_that_is_literal() {
        assert_eq!(required_component("svc00/**/*.rs"), Some(&b"svc00"[..]));
        assert_eq!(required_component("README.md"), Some(&b"README.md"[..]));
        for anywhere in [
            "**/*.md", "*.md", "svc*/x", "sv?/x", "[ab]/x", "{a,b}/x", "a\\*/x",
        ] {
            assert_eq!(required_component(anywhere), None, "{anywhere}");
        }
    }

    fn routed(rules: &str, path: &str) -> bool {
        let yaml = format!("version: 1\ntargets:\n  t:\n    kind: custom\n    paths: [{rules}]\n");
        let config = Config::parse(&yaml, std::path::Path::new("t.yml")).unwrap();
        let change = Change {
            status: Status::Modified,
            path: RepoPath::from(path),
            old_path: None,
        };
        Router::new(&config).unwrap().route(&[change], false)["t"].changed
    }

    #[test]
    fn the_last_matching_rule_decides_across_groups() {
        // `app/**` sits in the `app` group, `'!**/*.md'` in the any group, `app/keep.md` in
        // `app` again: the order of the rules, not of the groups, decides.
        let rules = "'app/**', '!**/*.md', 'app/keep.md'";
        assert!(routed(rules, "app/a.js"));
        assert!(!routed(rules, "app/notes.md"));
        assert!(routed(rules, "app/keep.md"));
        assert!(!routed(rules, "lib/a.js"));
        // A top-level file is its own first component.
        assert!(routed("'README.md'", "README.md"));
        assert!(!routed("'README.md'", "docs/README.md"));
    }
}
