//! The answer of the Terraform analysis for one root: the module directories, files and file
//! patterns it depends on, the folders it falls back to, and the question routing asks of it:
//! does this changed path change the root, and why.
//!
//! Membership rules live here and only here. A module directory contributes what Terraform's
//! loader reads from it: its own top-level `*.tf` and `*.tf.json` files, and OpenTofu's `*.tofu`
//! and `*.tofu.json` (not subfolders, and not the names the loader ignores: hidden files, `*~`
//! and `#*#` editor files). The root's directory also contributes what `plan` reads beside the
//! configuration: `terraform.tfvars`, `terraform.tfvars.json`, `*.auto.tfvars`,
//! `*.auto.tfvars.json` and `.terraform.lock.hcl`; symbolic links among these bring in what
//! they name (the analysis adds it). Templates and scripts count only when a file function
//! names them (files and patterns). A
//! fallback is the "we do not know" case and holds every file under its folder, recursively,
//! except `.terraform/` (downloaded providers and modules) and `*.tfstate*` (state), which are
//! Terraform's output, not its input. This file must not read a snapshot or parse anything.

use globset::{GlobBuilder, GlobMatcher};
use serde::{Deserialize, Serialize};

use super::chain::Chain;
use super::repo_path::{parent, strip_dir};
use super::warning::Warning;

/// A module directory: the root itself (empty chain) or a local module it reaches.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModuleDir {
    pub dir: String,
    pub chain: Chain,
}

/// One file read by `file()`, `templatefile()` and the like, with a fully literal path.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileInput {
    pub path: String,
    pub chain: Chain,
}

/// Files under `dir` that match `glob` (`fileset()`, or `**` for a path whose end is not a
/// literal, `"${path.module}/env/${var.env}.json"`).
///
/// Kept between runs (the analysis cache) as its folder, pattern and chain; the matcher is
/// built again from the pattern.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "PatternData", from = "PatternData")]
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

/// What a [`FilePattern`] is kept as.
#[derive(Serialize, Deserialize)]
struct PatternData {
    dir: String,
    glob: String,
    chain: Chain,
}

impl From<FilePattern> for PatternData {
    fn from(p: FilePattern) -> PatternData {
        PatternData {
            dir: p.dir,
            glob: p.glob,
            chain: p.chain,
        }
    }
}

impl From<PatternData> for FilePattern {
    fn from(p: PatternData) -> FilePattern {
        FilePattern::new(p.dir, p.glob, p.chain)
    }
}

/// A folder the root counts as changed whenever anything under it changes, because the
/// analysis could not follow something there.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fallback {
    pub dir: String,
    pub reason: Warning,
    pub chain: Chain,
}

/// Everything one Terraform root depends on.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
    /// the module directory whose configuration the path is, else a file read by name, else
    /// the file pattern with the shortest chain; a fallback only when nothing else applies.
    pub fn explain(&self, path: &str) -> Option<Affected<'_>> {
        let module = self
            .modules
            .iter()
            .filter(|m| in_module_dir(&m.dir, m.dir == self.root, path))
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
                .find(|f| under_folder(&f.dir, path))
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

/// Whether Terraform's loader reads `name` as configuration from a module directory: `*.tf`
/// and `*.tf.json` (and OpenTofu's `*.tofu` and `*.tofu.json`, for `binary: tofu`), minus the
/// names it ignores (hidden files and editor leftovers).
pub(crate) fn is_configuration_file(name: &str) -> bool {
    let ignored = name.starts_with('.')
        || name.ends_with('~')
        || (name.len() > 1 && name.starts_with('#') && name.ends_with('#'));
    !ignored
        && [".tf", ".tf.json", ".tofu", ".tofu.json"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

/// Whether `plan` reads `name` from the root directory besides its configuration: the variable
/// files it loads on its own and the dependency lock file. (The target's `var_files` are
/// added by name.)
pub(crate) fn is_root_input(name: &str) -> bool {
    matches!(
        name,
        "terraform.tfvars" | "terraform.tfvars.json" | ".terraform.lock.hcl"
    ) || name.ends_with(".auto.tfvars")
        || name.ends_with(".auto.tfvars.json")
}

/// Whether `path` is one of the files the module directory `dir` contributes (`is_root`: the
/// root module's directory).
fn in_module_dir(dir: &str, is_root: bool, path: &str) -> bool {
    if parent(path) != dir || path.is_empty() {
        return false;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    is_configuration_file(name) || (is_root && is_root_input(name))
}

/// Whether `path` lies under the fallback folder `dir` and is not Terraform's own output.
fn under_folder(dir: &str, path: &str) -> bool {
    let Some(rel) = strip_dir(dir, path) else {
        return false;
    };
    let name = rel.rsplit('/').next().unwrap_or(rel);
    !name.contains(".tfstate") && !rel.split('/').any(|s| s == ".terraform")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_dirs_hold_their_own_configuration() {
        let root = |path: &str| in_module_dir("envs/prod", true, path);
        let module = |path: &str| in_module_dir("envs/prod", false, path);
        for read in ["main.tf", "x_override.tf", "main.tf.json"] {
            assert!(root(&format!("envs/prod/{read}")), "{read}");
            assert!(module(&format!("envs/prod/{read}")), "{read}");
        }
        for root_only in [
            ".terraform.lock.hcl",
            "terraform.tfvars",
            "terraform.tfvars.json",
            "a.auto.tfvars",
            "a.auto.tfvars.json",
        ] {
            assert!(root(&format!("envs/prod/{root_only}")), "{root_only}");
            assert!(!module(&format!("envs/prod/{root_only}")), "{root_only}");
        }
        for never in [
            "envs/prod/templates/a.tpl",
            "envs/prod/sub/main.tf",
            "envs/prod/.terraform/modules/x/main.tf",
            "envs/prod/terraform.tfstate",
            "envs/prod/README.md",
            "envs/prod/prod.tfvars",
            "envs/prod/.hidden.tf",
            "envs/prod/main.tf~",
            "envs/prod/#main.tf#",
            "envs/production/main.tf",
            "envs/prod",
        ] {
            assert!(!root(never), "{never}");
        }
        assert!(in_module_dir("", true, "main.tf"));
        assert!(!in_module_dir("", true, "app/main.tf"));
    }

    #[test]
    fn fallbacks_hold_everything_but_terraform_output() {
        assert!(under_folder("envs/prod", "envs/prod/templates/a.tpl"));
        assert!(under_folder("envs/prod", "envs/prod/README.md"));
        assert!(!under_folder(
            "envs/prod",
            "envs/prod/.terraform/modules/x/main.tf"
        ));
        assert!(!under_folder("envs/prod", "envs/prod/terraform.tfstate"));
        assert!(!under_folder("envs/prod", "envs/production/main.tf"));
        assert!(under_folder("", "app/src/main.rs"));
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
