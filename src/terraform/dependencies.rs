//! The answer of the Terraform analysis for one root: the module directories, files and file
//! patterns it depends on, the folders it falls back to, and the question routing asks of it:
//! does this changed path change the root, and why.
//!
//! Membership rules live here and only here. A module directory holds every file under it,
//! recursively (Terraform loads only its top-level `.tf` files, but templates and scripts in
//! subfolders are read by them, and the issue asks for "any file of a local module"), except
//! `.terraform/` (downloaded providers and modules) and `*.tfstate*` (state), which are
//! Terraform's output, not its input. `.terraform.lock.hcl` is input and counts. This file must
//! not read a snapshot or parse anything.

use globset::{GlobBuilder, GlobMatcher};

use super::chain::Chain;
use super::repo_path::strip_dir;
use super::warning::Warning;

/// A module directory: the root itself (empty chain) or a local module it reaches.
#[derive(Debug, Clone)]
pub struct ModuleDir {
    pub dir: String,
    pub chain: Chain,
}

/// One file read by `file()`, `templatefile()` and the like, with a fully literal path.
#[derive(Debug, Clone)]
pub struct FileInput {
    pub path: String,
    pub chain: Chain,
}

/// Files under `dir` that match `glob` (`fileset()`, or `**` for a path whose end is not a
/// literal, `"${path.module}/env/${var.env}.json"`).
#[derive(Debug, Clone)]
pub struct FilePattern {
    pub dir: String,
    pub glob: String,
    pub chain: Chain,
    /// `None` when `glob` is not a valid pattern: then every file under `dir` matches, the
    /// safe reading.
    matcher: Option<GlobMatcher>,
}

impl FilePattern {
    pub(crate) fn new(dir: String, glob: String, chain: Chain) -> FilePattern {
        // `fileset` patterns follow Go's doublestar: `*` stays within a path segment.
        let matcher = GlobBuilder::new(&glob)
            .literal_separator(true)
            .build()
            .ok()
            .map(|g| g.compile_matcher());
        FilePattern {
            dir,
            glob,
            chain,
            matcher,
        }
    }

    fn matches(&self, path: &str) -> bool {
        let Some(rel) = strip_dir(&self.dir, path) else {
            return false;
        };
        self.matcher.as_ref().is_none_or(|m| m.is_match(rel))
    }
}

/// A folder the root counts as changed whenever anything under it changes, because the
/// analysis could not follow something there.
#[derive(Debug, Clone)]
pub struct Fallback {
    pub dir: String,
    pub reason: Warning,
    pub chain: Chain,
}

/// Everything one Terraform root depends on.
#[derive(Debug, Clone, Default)]
pub struct RootDependencies {
    /// The root directory as a repository path (`""` for the top of the repository).
    pub root: String,
    /// The root first, then the local modules it reaches, nearest first.
    pub modules: Vec<ModuleDir>,
    pub files: Vec<FileInput>,
    pub patterns: Vec<FilePattern>,
    pub fallbacks: Vec<Fallback>,
    pub warnings: Vec<Warning>,
}

/// Why a changed path changes the root.
#[derive(Debug, Clone, Copy)]
pub enum Affected<'a> {
    Module(&'a ModuleDir),
    File(&'a FileInput),
    Pattern(&'a FilePattern),
    Fallback(&'a Fallback),
}

impl<'a> Affected<'a> {
    pub fn chain(&self) -> &'a Chain {
        match self {
            Affected::Module(m) => &m.chain,
            Affected::File(f) => &f.chain,
            Affected::Pattern(p) => &p.chain,
            Affected::Fallback(f) => &f.chain,
        }
    }
}

impl RootDependencies {
    /// The chain that makes a change of `path` a change of the root, or `None` when the root
    /// does not depend on `path`.
    pub fn affects(&self, path: &str) -> Option<&Chain> {
        self.explain(path).map(|a| a.chain())
    }

    /// Why a change of `path` changes the root. Of several reasons the most specific wins:
    /// the deepest module directory holding the path (a module nested in its caller's folder
    /// is named, not just the caller), else a file read by name, else the file pattern with
    /// the shortest chain; a fallback only when nothing else applies.
    pub fn explain(&self, path: &str) -> Option<Affected<'_>> {
        let module = self
            .modules
            .iter()
            .filter(|m| in_module_dir(&m.dir, path))
            .max_by_key(|m| (m.dir.len(), std::cmp::Reverse(m.chain.steps.len())))
            .map(Affected::Module);
        let file = || {
            self.files
                .iter()
                .find(|f| f.path == path)
                .map(Affected::File)
        };
        let pattern = || {
            self.patterns
                .iter()
                .filter(|p| p.matches(path))
                .min_by_key(|p| p.chain.steps.len())
                .map(Affected::Pattern)
        };
        let fallback = || {
            self.fallbacks
                .iter()
                .find(|f| in_module_dir(&f.dir, path))
                .map(Affected::Fallback)
        };
        module.or_else(file).or_else(pattern).or_else(fallback)
    }

    /// The folders of [`RootDependencies::fallbacks`], each once, in order.
    pub fn fallback_dirs(&self) -> Vec<&str> {
        let mut dirs: Vec<&str> = Vec::new();
        for f in &self.fallbacks {
            if !dirs.contains(&f.dir.as_str()) {
                dirs.push(&f.dir);
            }
        }
        dirs
    }
}

/// Whether `path` is one of the files a module directory contributes.
fn in_module_dir(dir: &str, path: &str) -> bool {
    let Some(rel) = strip_dir(dir, path) else {
        return false;
    };
    let mut segments = rel.split('/');
    let name = segments.next_back().unwrap_or(rel);
    !name.contains(".tfstate") && !rel.split('/').any(|s| s == ".terraform")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_dirs_exclude_terraform_output() {
        assert!(in_module_dir("envs/prod", "envs/prod/main.tf"));
        assert!(in_module_dir("envs/prod", "envs/prod/.terraform.lock.hcl"));
        assert!(in_module_dir("envs/prod", "envs/prod/templates/a.tpl"));
        assert!(!in_module_dir(
            "envs/prod",
            "envs/prod/.terraform/modules/x/main.tf"
        ));
        assert!(!in_module_dir("envs/prod", "envs/prod/terraform.tfstate"));
        assert!(!in_module_dir(
            "envs/prod",
            "envs/prod/terraform.tfstate.backup"
        ));
        assert!(!in_module_dir("envs/prod", "envs/production/main.tf"));
        assert!(in_module_dir("", "main.tf"));
    }

    #[test]
    fn patterns_match_within_their_dir() {
        let p = FilePattern::new("m/net".into(), "policies/*.json".into(), Chain::default());
        assert!(p.matches("m/net/policies/a.json"));
        assert!(!p.matches("m/net/policies/sub/a.json"));
        assert!(!p.matches("m/net/a.json"));
        let any = FilePattern::new("m/net/env".into(), "**".into(), Chain::default());
        assert!(any.matches("m/net/env/prod/x.json"));
        let broken = FilePattern::new("m/net".into(), "[".into(), Chain::default());
        assert!(broken.matches("m/net/whatever"));
    }
}
