//! Walks the module graph of one Terraform root through a [`Snapshot`]: parses the top-level
//! `.tf` and `.tf.json` files of the root and of every local module it reaches, follows local
//! `source`s breadth first (so each module keeps its shortest call chain), resolves file reads
//! (also those of the templates `templatefile()` renders), and detects module cycles.
//! Symlinked configuration files, module folders, read files and variable files are loaded from
//! their targets, and both the links and the targets count (see `links`).
//!
//! It errs one way only. Whatever it cannot follow (a file that does not parse, a source that
//! leaves the repository or is not a literal, a cycle, a read whose path is unknown) adds a
//! warning and a fallback folder, never a silent "does not depend". Registry, git, HTTP and
//! S3 sources are not followed: their version is pinned in the calling file, which the root
//! already depends on. It must not read through anything but the snapshot, nor decide
//! routing.

use std::collections::{BTreeSet, HashMap, VecDeque};

use super::chain::{Chain, Hop};
use super::dependencies::{
    is_configuration_file, is_root_input, Fallback, FileInput, FilePattern, ModuleDir,
    RootDependencies,
};
use super::facts::{FileFacts, FileRead, ModuleCall, PathArg, PathBase, ReadTarget, SyntaxError};
use super::links;
use super::repo_path::{join, parent};
use super::source::{classify, ModuleSource};
use super::warning::Warning;
use super::{hcl_file, json_file};
use crate::analysis::snapshot::{EntryKind, Snapshot};
use crate::error::Result;

/// What `root` (a directory of the repository; `""`, `.` or `./` for its top) depends on in
/// `snapshot`.
///
/// Errors only when the snapshot itself cannot be read; everything about the configuration
/// that cannot be followed is a warning with a fallback in the result.
pub fn analyze(snapshot: &dyn Snapshot, root: &str) -> Result<RootDependencies> {
    analyze_with(snapshot, root, &[], &mut ParseCache::default())
}

/// Parsed configuration files by syntax and content. The analyses of one run share it: roots
/// share modules and the head and base commits share most files, so each distinct file is
/// parsed once. Parsing depends on nothing but the text, so a hit is what parsing would give.
#[derive(Debug, Default)]
pub struct ParseCache {
    parsed: HashMap<(bool, Vec<u8>), std::result::Result<FileFacts, SyntaxError>>,
}

impl ParseCache {
    fn parse(
        &mut self,
        is_json: bool,
        bytes: Vec<u8>,
    ) -> std::result::Result<FileFacts, SyntaxError> {
        let key = (is_json, bytes);
        if let Some(hit) = self.parsed.get(&key) {
            return hit.clone();
        }
        let parsed = match std::str::from_utf8(&key.1) {
            Ok(text) if is_json => json_file::read(text),
            Ok(text) => hcl_file::read(text),
            Err(_) => Err(SyntaxError {
                line: 1,
                message: "the file is not UTF-8".to_owned(),
            }),
        };
        self.parsed.insert(key, parsed.clone());
        parsed
    }
}

/// [`analyze`] for a root deployed with `var_files` (the target's `-var-file`s, relative to
/// the root, each an input of the root), reusing (and filling) `cache`.
pub fn analyze_with(
    snapshot: &dyn Snapshot,
    root: &str,
    var_files: &[String],
    cache: &mut ParseCache,
) -> Result<RootDependencies> {
    // Configuration spells the top `.`; repository paths spell it `""`. Cleaning here, where
    // paths are compared, keeps every spelling of one folder the same folder.
    let root = join("", root).unwrap_or_else(|| root.trim_matches('/').to_owned());
    let mut walk = Walk {
        cache,
        root: root.clone(),
        deps: RootDependencies {
            root: root.clone(),
            ..RootDependencies::default()
        },
        index: HashMap::new(),
        edges: Vec::new(),
    };
    let mut queue = VecDeque::from([root.clone()]);
    walk.add_module(root, Chain::default());
    while let Some(dir) = queue.pop_front() {
        for next in walk.visit(snapshot, &dir)? {
            queue.push_back(next);
        }
    }
    walk.detect_cycles();
    walk.add_root_inputs(snapshot, var_files)?;
    Ok(walk.deps)
}

struct Walk<'c> {
    cache: &'c mut ParseCache,
    root: String,
    deps: RootDependencies,
    /// Module directory -> its position in `deps.modules`.
    index: HashMap<String, usize>,
    /// Local module calls as (caller, callee) positions in `deps.modules`.
    edges: Vec<(usize, usize)>,
}

impl Walk<'_> {
    fn add_module(&mut self, dir: String, chain: Chain) -> usize {
        let at = self.deps.modules.len();
        self.index.insert(dir.clone(), at);
        self.deps.modules.push(ModuleDir { dir, chain });
        at
    }

    fn chain_of(&self, dir: &str) -> Chain {
        self.index
            .get(dir)
            .map(|&i| self.deps.modules[i].chain.clone())
            .unwrap_or_default()
    }

    fn warn(&mut self, dir: &str, reason: Warning) {
        let chain = self.chain_of(dir);
        self.fall_back(dir, reason.clone(), chain);
        self.deps.warnings.push(reason);
    }

    /// A problem whose reach cannot be bounded to a folder (an unparseable file may call modules
    /// anywhere; a read through a variable may read anything): every path of the repository
    /// counts, so the root is never wrongly unchanged.
    fn warn_everywhere(&mut self, dir: &str, reason: Warning) {
        let chain = self.chain_of(dir);
        self.fall_back("", reason.clone(), chain);
        self.deps.warnings.push(reason);
    }

    fn fall_back(&mut self, dir: &str, reason: Warning, chain: Chain) {
        self.deps.fallbacks.push(Fallback {
            dir: dir.to_owned(),
            reason,
            chain,
        });
    }

    /// Reads the module in `dir` and returns the module directories it newly reaches.
    fn visit(&mut self, snapshot: &dyn Snapshot, dir: &str) -> Result<Vec<String>> {
        let mut reached = Vec::new();
        for (name, kind) in snapshot.list(dir)? {
            // Terraform loads only the top-level files of a module directory.
            if kind == EntryKind::Dir || !is_configuration_file(&name) {
                continue;
            }
            let is_json = name.ends_with(".json");
            let file = join(dir, &name).unwrap_or(name);
            let content = if kind == EntryKind::Symlink {
                // A linked file is loaded as if it were in `dir`; its target is an input too.
                let Some(real) = links::resolve(snapshot, &file)? else {
                    self.warn(dir, Warning::BrokenLink { link: file });
                    continue;
                };
                let chain = self.chain_of(dir).through(Hop::Link { file: file.clone() });
                self.add_file(real.path.clone(), chain);
                real.path
            } else {
                file.clone()
            };
            let Some(facts) = self.parse(snapshot, dir, &file, &content, is_json)? else {
                continue;
            };
            for call in &facts.calls {
                if let Some(next) = self.follow(snapshot, dir, &file, call)? {
                    reached.push(next);
                }
            }
            for read in &facts.reads {
                let outer = self.chain_of(dir);
                self.resolve_read(snapshot, dir, &file, read, &outer)?;
            }
        }
        Ok(reached)
    }

    /// The facts of the configuration file `file` of module `dir`, read from `content` (the
    /// same path, or a symlink's target); `None`, with a warning, when it does not parse.
    fn parse(
        &mut self,
        snapshot: &dyn Snapshot,
        dir: &str,
        file: &str,
        content: &str,
        is_json: bool,
    ) -> Result<Option<FileFacts>> {
        let Some(bytes) = snapshot.read(content)? else {
            return Ok(None);
        };
        match self.cache.parse(is_json, bytes) {
            Ok(facts) => Ok(Some(facts)),
            Err(e) => {
                let reason = Warning::Unparseable {
                    file: file.to_owned(),
                    line: e.line,
                    message: e.message,
                };
                // The file's module calls are unknown, and could reach any folder.
                self.warn_everywhere(dir, reason);
                Ok(None)
            }
        }
    }

    /// Follows one `module` call; returns the callee's directory when it is new.
    fn follow(
        &mut self,
        snapshot: &dyn Snapshot,
        dir: &str,
        file: &str,
        call: &ModuleCall,
    ) -> Result<Option<String>> {
        let Some(source) = &call.source else {
            let reason = Warning::UnknownSource {
                file: file.to_owned(),
                line: call.line,
                module: call.name.clone(),
            };
            self.warn(dir, reason);
            return Ok(None);
        };
        let target = match classify(source) {
            ModuleSource::Remote => return Ok(None),
            ModuleSource::Absolute => None,
            ModuleSource::Local(rel) => join(dir, &rel),
        };
        let Some(target) = target else {
            let reason = Warning::SourceOutsideRepository {
                file: file.to_owned(),
                line: call.line,
                module: call.name.clone(),
                source: source.clone(),
            };
            self.warn(dir, reason);
            return Ok(None);
        };
        let step = Hop::Module {
            name: call.name.clone(),
            file: file.to_owned(),
            line: call.line,
        };
        // A module folder that is (or lies under) a symlink is loaded from the link's target;
        // the links themselves are inputs, since changing one changes what is loaded.
        let Some(real) = links::resolve(snapshot, &target)? else {
            self.warn(dir, Warning::BrokenLink { link: target });
            return Ok(None);
        };
        for link in real.links {
            self.add_file(link, self.chain_of(dir).through(step.clone()));
        }
        let target = real.path;
        let caller = self.index.get(dir).copied();
        if let Some(&callee) = self.index.get(&target) {
            // Already reached, by a chain at least as short (breadth first); only the edge is
            // new, and it may close a cycle.
            if let Some(caller) = caller {
                self.edges.push((caller, callee));
            }
            return Ok(None);
        }
        let chain = self.chain_of(dir).through(step);
        let has_configuration = snapshot
            .list(&target)?
            .iter()
            .any(|(name, kind)| *kind != EntryKind::Dir && is_configuration_file(name));
        if !has_configuration {
            // Still a dependency: the folder may gain its files in a later commit of the
            // range, and `terraform init` fails until it does.
            let reason = Warning::EmptyModule {
                file: file.to_owned(),
                line: call.line,
                module: call.name.clone(),
                dir: target.clone(),
            };
            self.warn(dir, reason);
        }
        let callee = self.add_module(target.clone(), chain);
        if let Some(caller) = caller {
            self.edges.push((caller, callee));
        }
        Ok(Some(target))
    }

    /// Resolves one read of `file` (a configuration file of module `dir`, or a template it
    /// renders), whose own chain is `outer`.
    fn resolve_read(
        &mut self,
        snapshot: &dyn Snapshot,
        dir: &str,
        file: &str,
        read: &FileRead,
        outer: &Chain,
    ) -> Result<()> {
        let chain = outer.through(Hop::Read {
            function: read.function.clone(),
            file: file.to_owned(),
            line: read.line,
        });
        let (arg, glob) = match &read.target {
            ReadTarget::File(arg) => (arg, None),
            ReadTarget::Set { dir, pattern } => (dir, Some(pattern.as_deref().unwrap_or("**"))),
        };
        let Some(arg) = arg else {
            let reason = Warning::UnknownRead {
                file: file.to_owned(),
                line: read.line,
                function: read.function.clone(),
            };
            // A path from a variable or a local may point anywhere in the repository.
            self.warn_everywhere(dir, reason);
            return Ok(());
        };
        let Some((path, complete)) = self.resolve(dir, arg) else {
            let reason = Warning::ReadOutsideRepository {
                file: file.to_owned(),
                line: read.line,
                function: read.function.clone(),
                path: arg.text.clone(),
            };
            self.warn(dir, reason);
            return Ok(());
        };
        // Only a prefix is known: everything under the folder it names may be read.
        let (path, glob) = match (complete, glob) {
            (true, Some(glob)) => literal_folders(path, glob),
            (true, None) => (path, None),
            (false, _) => (path, Some("**")),
        };
        // The read goes through any symbolic link on the path: the file (or folder) the links
        // name is read, and changing a link changes what is read.
        let Some(real) = links::resolve(snapshot, &path)? else {
            self.warn(dir, Warning::BrokenLink { link: path });
            return Ok(());
        };
        for link in real.links {
            self.add_file(link, chain.clone());
        }
        if read.function == "templatefile" {
            let templates = match glob {
                None => vec![real.path.clone()],
                // Which template is not known: any file of the folder may be it.
                Some(_) => snapshot.walk(&real.path)?,
            };
            if templates.len() > MAX_TEMPLATES {
                let reason = Warning::UnknownRead {
                    file: file.to_owned(),
                    line: read.line,
                    function: read.function.clone(),
                };
                // Too many candidates to read them all: any of them may read anything.
                self.warn_everywhere(dir, reason);
            } else {
                for template in templates {
                    self.template_reads(snapshot, dir, &template, &chain)?;
                }
            }
        }
        let mut targets = vec![path];
        if real.path != targets[0] {
            targets.push(real.path);
        }
        for target in targets {
            match glob {
                None => self.add_file(target, chain.clone()),
                Some(glob) => self.add_pattern(target, glob.to_owned(), chain.clone()),
            }
        }
        Ok(())
    }

    /// The reads inside the template `template` that `templatefile()` renders (`chain`): a
    /// template may call `file()` and friends, with paths relative to the working directory.
    /// A template that is missing, not UTF-8 or not a valid template makes Terraform fail, so
    /// it reads nothing more.
    fn template_reads(
        &mut self,
        snapshot: &dyn Snapshot,
        dir: &str,
        template: &str,
        chain: &Chain,
    ) -> Result<()> {
        let Some(bytes) = snapshot.read(template)? else {
            return Ok(());
        };
        let Ok(text) = std::str::from_utf8(&bytes) else {
            return Ok(());
        };
        // Every file function's name contains `file`: most templates need no parse.
        if !text.contains("file") {
            return Ok(());
        }
        let Ok(reads) = hcl_file::template_reads(text) else {
            return Ok(());
        };
        // Terraform refuses `templatefile` inside a template, so this never recurses.
        for read in reads.iter().filter(|r| r.function != "templatefile") {
            self.resolve_read(snapshot, dir, template, read, chain)?;
        }
        Ok(())
    }

    /// Adds the root's own inputs that are symbolic links (automatic variable files, the lock
    /// file, the target's `var_files`): the file each names, and the links on the way.
    fn add_root_inputs(&mut self, snapshot: &dyn Snapshot, var_files: &[String]) -> Result<()> {
        let root = self.root.clone();
        let mut inputs: Vec<String> = snapshot
            .list(&root)?
            .into_iter()
            .filter(|(name, kind)| *kind == EntryKind::Symlink && is_root_input(name))
            .filter_map(|(name, _)| join(&root, &name))
            .collect();
        for file in var_files {
            // One that leaves the repository is outside every diff: nothing to route.
            if let Some(path) = join(&root, file) {
                self.add_file(path.clone(), Chain::default());
                inputs.push(path);
            }
        }
        for path in inputs {
            let Some(real) = links::resolve(snapshot, &path)? else {
                self.warn(&root, Warning::BrokenLink { link: path });
                continue;
            };
            let chain = Chain::default().through(Hop::Link { file: path.clone() });
            for link in real.links {
                self.add_file(link, chain.clone());
            }
            if real.path != path {
                self.add_file(real.path, chain);
            }
        }
        Ok(())
    }

    fn add_file(&mut self, path: String, chain: Chain) {
        if !self.deps.files.iter().any(|f| f.path == path) {
            self.deps.files.push(FileInput { path, chain });
        }
    }

    fn add_pattern(&mut self, dir: String, glob: String, chain: Chain) {
        if !self
            .deps
            .patterns
            .iter()
            .any(|p| p.dir == dir && p.glob == glob)
        {
            self.deps.patterns.push(FilePattern::new(dir, glob, chain));
        }
    }

    /// The repository path of a path argument used in module `dir` (for an incomplete
    /// argument, the folder its known prefix names), and whether it is complete; `None` when
    /// it leaves the repository.
    fn resolve(&self, dir: &str, arg: &PathArg) -> Option<(String, bool)> {
        let base = match arg.base {
            PathBase::Module => dir,
            PathBase::Root | PathBase::Cwd => &self.root,
        };
        // After `${path.module}` the literal starts with the separator; a bare literal that
        // starts with `/` is absolute and `join` refuses it.
        let text = match arg.base {
            PathBase::Cwd => arg.text.as_str(),
            PathBase::Module | PathBase::Root => arg.text.trim_start_matches('/'),
        };
        let known = if arg.complete {
            text
        } else if arg.base == PathBase::Cwd && text.starts_with('/') {
            return None;
        } else {
            // `"templates/env-${var.env}.json"` names the folder `templates`.
            parent(text)
        };
        join(base, known).map(|path| (path, arg.complete))
    }

    /// Reports every module cycle once, with a fallback on each folder in it.
    fn detect_cycles(&mut self) {
        let count = self.deps.modules.len();
        let mut callees: Vec<Vec<usize>> = vec![Vec::new(); count];
        for &(from, to) in &self.edges {
            if !callees[from].contains(&to) {
                callees[from].push(to);
            }
        }
        let mut state = vec![Mark::New; count];
        let mut seen: BTreeSet<Vec<usize>> = BTreeSet::new();
        let mut cycles: Vec<Vec<usize>> = Vec::new();
        for start in 0..count {
            if state[start] != Mark::New {
                continue;
            }
            // Iterative depth-first search, so a deep module tree cannot overflow the stack.
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            state[start] = Mark::OnPath;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let Some(&callee) = callees[node].get(*next) else {
                    state[node] = Mark::Done;
                    stack.pop();
                    continue;
                };
                *next += 1;
                match state[callee] {
                    Mark::New => {
                        state[callee] = Mark::OnPath;
                        stack.push((callee, 0));
                    }
                    Mark::OnPath => {
                        let from = stack.iter().position(|&(n, _)| n == callee).unwrap_or(0);
                        let cycle: Vec<usize> = stack[from..].iter().map(|&(n, _)| n).collect();
                        let mut key = cycle.clone();
                        key.sort_unstable();
                        if seen.insert(key) {
                            cycles.push(cycle);
                        }
                    }
                    Mark::Done => {}
                }
            }
        }
        for cycle in cycles {
            let dirs: Vec<String> = cycle
                .iter()
                .map(|&i| self.deps.modules[i].dir.clone())
                .collect();
            let reason = Warning::Cycle { dirs: dirs.clone() };
            for dir in &dirs {
                let chain = self.chain_of(dir);
                self.fall_back(dir, reason.clone(), chain);
            }
            self.deps.warnings.push(reason);
        }
    }
}

/// The most files a `templatefile()` whose template is not known is read through; beyond this
/// the reads of its templates are unknown and the root counts every path.
const MAX_TEMPLATES: usize = 1000;

/// A `fileset` folder and pattern with the pattern's leading literal folders moved into the
/// folder (`("m", "data/*.json")` -> `("m/data", "*.json")`), so that links there are followed.
fn literal_folders(dir: String, glob: &str) -> (String, Option<&str>) {
    let mut dir = dir;
    let mut rest = glob;
    while let Some((first, tail)) = rest.split_once('/') {
        let literal = !first.is_empty()
            && first != "."
            && first != ".."
            && !first.contains(['*', '?', '[', '{', '\\']);
        let Some(joined) = literal.then(|| join(&dir, first)).flatten() else {
            break;
        };
        dir = joined;
        rest = tail;
    }
    (dir, Some(rest))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    New,
    OnPath,
    Done,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::snapshot::MemorySnapshot;

    const PROD: &str = "terraform/environments/prod";
    const STAGING: &str = "terraform/environments/staging";

    /// Two environments sharing `network`, which calls `subnet` two levels down from the roots;
    /// only prod calls `monitoring`.
    fn repository() -> MemorySnapshot {
        MemorySnapshot::new([
            (
                "terraform/environments/prod/main.tf",
                r#"terraform {
  backend "s3" {}
}

module "network" {
  source = "../../modules/network"
}

module "monitoring" {
  source = "../../modules/monitoring"
}
"#,
            ),
            (
                "terraform/environments/prod/.terraform.lock.hcl",
                "provider \"registry.terraform.io/hashicorp/aws\" {}\n",
            ),
            ("terraform/environments/prod/prod.tfvars", "cidr = \"x\"\n"),
            (
                "terraform/environments/prod/.terraform/modules/modules.json",
                "{}",
            ),
            ("terraform/environments/prod/terraform.tfstate", "{}"),
            ("terraform/environments/prod/terraform.tfstate.backup", "{}"),
            (
                "terraform/environments/staging/main.tf",
                "module \"network\" {\n  source = \"../../modules/network\"\n}\n",
            ),
            (
                "terraform/modules/network/main.tf",
                r#"module "subnet" {
  source = "./subnet"
}

resource "aws_instance" "nat" {
  user_data = templatefile("${path.module}/../shared/nat.sh.tpl", {})
}
"#,
            ),
            ("terraform/modules/network/README.md", "# network"),
            (
                "terraform/modules/network/subnet/main.tf",
                "resource \"aws_subnet\" \"this\" {}\n",
            ),
            ("terraform/modules/shared/nat.sh.tpl", "#!/bin/sh"),
            ("terraform/modules/shared/other.tpl", "unused"),
            (
                "terraform/modules/monitoring/main.tf",
                "resource \"aws_cloudwatch_dashboard\" \"d\" {}\n",
            ),
        ])
    }

    fn chain_text(deps: &RootDependencies, path: &str) -> Option<String> {
        deps.affects(path).map(ToString::to_string)
    }

    #[test]
    fn a_shared_parse_cache_changes_no_answer() {
        let call = |m: &str| format!("module \"{m}\" {{\n  source = \"../../modules/{m}\"\n}}\n");
        let repo = MemorySnapshot::new([
            ("envs/a/main.tf", call("n")),
            ("envs/b/main.tf", call("n") + &call("m")),
            (
                "modules/n/main.tf",
                "locals {\n  t = templatefile(\"${path.module}/t.tpl\", {})\n}\n".to_owned(),
            ),
            ("modules/m/main.tf", "module {".to_owned()),
        ]);
        let mut cache = ParseCache::default();
        for root in ["envs/a", "envs/b", "envs/a", "envs/b"] {
            let cached = analyze_with(&repo, root, &[], &mut cache).unwrap();
            let fresh = analyze(&repo, root).unwrap();
            assert_eq!(format!("{cached:?}"), format!("{fresh:?}"));
        }
        let b = analyze_with(&repo, "envs/b", &[], &mut cache).unwrap();
        assert!(b.affects("modules/n/t.tpl").is_some());
        assert_eq!(b.warnings.len(), 1, "{:?}", b.warnings);
    }

    #[test]
    fn a_change_two_levels_down_reaches_only_the_roots_that_call_it() {
        let repo = repository();
        let prod = analyze(&repo, PROD).unwrap();
        let staging = analyze(&repo, STAGING).unwrap();
        let path = "terraform/modules/network/subnet/main.tf";
        assert_eq!(
            chain_text(&prod, path).as_deref(),
            Some(
                "module \"subnet\" (terraform/modules/network/main.tf:1) -> \
                 module \"network\" (terraform/environments/prod/main.tf:5)"
            )
        );
        assert_eq!(
            chain_text(&staging, path).as_deref(),
            Some(
                "module \"subnet\" (terraform/modules/network/main.tf:1) -> \
                 module \"network\" (terraform/environments/staging/main.tf:1)"
            )
        );
        // Only prod calls monitoring.
        let monitoring = "terraform/modules/monitoring/main.tf";
        assert!(prod.affects(monitoring).is_some());
        assert_eq!(staging.affects(monitoring), None);
        // One root's files do not change the other.
        assert_eq!(staging.affects("terraform/environments/prod/main.tf"), None);
        assert!(prod.warnings.is_empty(), "{:?}", prod.warnings);
        assert!(prod.fallbacks.is_empty());
        let dirs: Vec<&str> = prod.modules.iter().map(|m| m.dir.as_str()).collect();
        assert_eq!(
            dirs,
            [
                PROD,
                "terraform/modules/network",
                "terraform/modules/monitoring",
                "terraform/modules/network/subnet"
            ]
        );
    }

    #[test]
    fn two_environments_share_one_module() {
        let repo = repository();
        for root in [PROD, STAGING] {
            let deps = analyze(&repo, root).unwrap();
            let chain = deps
                .affects("terraform/modules/network/variables.tf")
                .unwrap();
            assert_eq!(
                chain.steps,
                [Hop::Module {
                    name: "network".into(),
                    file: format!("{root}/main.tf"),
                    line: if root == PROD { 5 } else { 1 },
                }]
            );
        }
    }

    #[test]
    fn root_files_count_but_terraform_output_does_not() {
        let deps = analyze(&repository(), PROD).unwrap();
        for counted in [
            "terraform/environments/prod/main.tf",
            "terraform/environments/prod/.terraform.lock.hcl",
            "terraform/environments/prod/new-file.tf",
        ] {
            assert_eq!(
                deps.affects(counted),
                Some(&Chain::default()),
                "{counted} is a file of the root"
            );
        }
        for ignored in [
            // Not a `var_files` entry of the target (none is given here), so never read.
            "terraform/environments/prod/prod.tfvars",
            "terraform/environments/prod/.terraform/modules/modules.json",
            "terraform/environments/prod/terraform.tfstate",
            "terraform/environments/prod/terraform.tfstate.backup",
            "terraform/environments/production/main.tf",
            "README.md",
        ] {
            assert_eq!(deps.affects(ignored), None, "{ignored} is not an input");
        }
    }

    #[test]
    fn a_templatefile_input_outside_the_module_is_followed() {
        let deps = analyze(&repository(), PROD).unwrap();
        assert_eq!(
            chain_text(&deps, "terraform/modules/shared/nat.sh.tpl").as_deref(),
            Some(
                "templatefile() (terraform/modules/network/main.tf:6) -> \
                 module \"network\" (terraform/environments/prod/main.tf:5)"
            )
        );
        assert_eq!(deps.affects("terraform/modules/shared/other.tpl"), None);
        assert_eq!(deps.files.len(), 1);
        assert_eq!(deps.files[0].path, "terraform/modules/shared/nat.sh.tpl");
    }

    #[test]
    fn path_root_path_module_and_fileset_resolve_to_their_folders() {
        let repo = MemorySnapshot::new([
            (
                "envs/prod/main.tf",
                "module \"app\" {\n  source = \"../../modules/app\"\n}\n\
                 locals {\n  k = file(\"keys/deploy.pub\")\n}\n",
            ),
            (
                "modules/app/main.tf",
                r#"locals {
  root_cfg = file("${path.root}/config/app.json")
  policies = fileset(path.module, "policies/*.json")
  env      = file("${path.module}/env/${var.env}.json")
  joined   = file(join("/", [path.module, "static", "index.html"]))
}
"#,
            ),
            ("envs/prod/config/app.json", "{}"),
        ]);
        let deps = analyze(&repo, "envs/prod").unwrap();
        assert!(deps.warnings.is_empty(), "{:?}", deps.warnings);
        let files: Vec<&str> = deps.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            files,
            [
                "envs/prod/keys/deploy.pub",
                "envs/prod/config/app.json",
                "modules/app/static/index.html"
            ]
        );
        let patterns: Vec<(&str, &str)> = deps
            .patterns
            .iter()
            .map(|p| (p.dir.as_str(), p.glob.as_str()))
            .collect();
        assert_eq!(
            patterns,
            [
                // The pattern's literal folders move into the folder (links there are followed).
                ("modules/app/policies", "*.json"),
                ("modules/app/env", "**")
            ]
        );
        // A subfolder of the root is not configuration: the read explains the file.
        assert_eq!(
            chain_text(&deps, "envs/prod/config/app.json").as_deref(),
            Some("file() (modules/app/main.tf:2) -> module \"app\" (envs/prod/main.tf:1)")
        );
    }

    #[test]
    fn fileset_and_reads_reach_beyond_module_folders() {
        let repo = MemorySnapshot::new([
            (
                "infra/live/main.tf",
                r#"locals {
  lambdas = fileset("${path.root}/../../lambdas", "**/*.py")
  schema  = file("../../schemas/${var.version}/event.json")
}
"#,
            ),
            ("lambdas/a/handler.py", "pass"),
        ]);
        let deps = analyze(&repo, "infra/live").unwrap();
        assert!(deps.warnings.is_empty(), "{:?}", deps.warnings);
        assert_eq!(
            chain_text(&deps, "lambdas/a/handler.py").as_deref(),
            Some("fileset() (infra/live/main.tf:2)")
        );
        assert_eq!(deps.affects("lambdas/a/README.md"), None);
        assert!(deps.affects("schemas/v2/event.json").is_some());
        assert_eq!(deps.affects("other/x.json"), None);
    }

    #[test]
    fn registry_and_git_modules_are_not_followed() {
        let repo = MemorySnapshot::new([
            (
                "envs/prod/main.tf",
                r#"module "consul" {
  source  = "hashicorp/consul/aws"
  version = "0.11.0"
}

module "vpc" {
  source = "git::https://example.com/vpc.git?ref=v1.2.0"
}

module "gh" {
  source = "github.com/hashicorp/example"
}

module "zip" {
  source = "s3::https://s3-eu-west-1.amazonaws.com/bucket/vpc.zip"
}
"#,
            ),
            // Names that a naive reading of the sources could map to repository folders.
            ("hashicorp/consul/aws/main.tf", "resource \"x\" \"y\" {}\n"),
            (
                "github.com/hashicorp/example/main.tf",
                "resource \"x\" \"y\" {}\n",
            ),
        ]);
        let deps = analyze(&repo, "envs/prod").unwrap();
        assert_eq!(deps.modules.len(), 1, "only the root: {:?}", deps.modules);
        assert!(deps.warnings.is_empty(), "{:?}", deps.warnings);
        assert_eq!(deps.affects("hashicorp/consul/aws/main.tf"), None);
        assert_eq!(deps.affects("github.com/hashicorp/example/main.tf"), None);
        // A version bump is a change of the caller.
        assert!(deps.affects("envs/prod/main.tf").is_some());
    }

    #[test]
    fn a_cycle_warns_and_falls_back_without_looping() {
        let repo = MemorySnapshot::new([
            (
                "envs/prod/main.tf",
                "module \"a\" {\n  source = \"../../m/a\"\n}\n",
            ),
            ("m/a/main.tf", "module \"b\" {\n  source = \"../b\"\n}\n"),
            ("m/b/main.tf", "module \"a\" {\n  source = \"../a\"\n}\n"),
        ]);
        let deps = analyze(&repo, "envs/prod").unwrap();
        assert_eq!(
            deps.warnings,
            [Warning::Cycle {
                dirs: vec!["m/a".into(), "m/b".into()]
            }]
        );
        assert_eq!(deps.fallback_dirs(), ["m/a", "m/b"]);
        assert!(deps.affects("m/b/main.tf").is_some());
    }

    #[test]
    fn a_cycle_entered_from_two_sides_is_still_found() {
        // Breadth first, both members are reached from the root before either calls the
        // other, so the cycle is only visible in the graph, not in any chain.
        let repo = MemorySnapshot::new([
            (
                "root/main.tf",
                "module \"a\" {\n  source = \"../m/a\"\n}\nmodule \"b\" {\n  source = \"../m/b\"\n}\n",
            ),
            ("m/a/main.tf", "module \"b\" {\n  source = \"../b\"\n}\n"),
            ("m/b/main.tf", "module \"a\" {\n  source = \"../a\"\n}\n"),
            ("m/c/main.tf", "module \"c\" {\n  source = \".\"\n}\n"),
        ]);
        let deps = analyze(&repo, "root").unwrap();
        assert_eq!(deps.warnings.len(), 1, "{:?}", deps.warnings);
        assert!(matches!(&deps.warnings[0], Warning::Cycle { dirs } if dirs.len() == 2));
        // A module calling itself is a cycle of one.
        let itself = analyze(&repo, "m/c").unwrap();
        assert_eq!(
            itself.warnings,
            [Warning::Cycle {
                dirs: vec!["m/c".into()]
            }]
        );
    }

    #[test]
    fn a_diamond_is_not_a_cycle() {
        let repo = MemorySnapshot::new([
            (
                "root/main.tf",
                "module \"a\" {\n  source = \"../m/a\"\n}\nmodule \"b\" {\n  source = \"../m/b\"\n}\n",
            ),
            ("m/a/main.tf", "module \"c\" {\n  source = \"../c\"\n}\n"),
            ("m/b/main.tf", "module \"c\" {\n  source = \"../c\"\n}\n"),
            ("m/c/main.tf", "resource \"x\" \"y\" {}\n"),
        ]);
        let deps = analyze(&repo, "root").unwrap();
        assert!(deps.warnings.is_empty(), "{:?}", deps.warnings);
        assert_eq!(deps.modules.len(), 4);
        // The first caller found, breadth first, explains it.
        assert_eq!(
            chain_text(&deps, "m/c/main.tf").as_deref(),
            Some("module \"c\" (m/a/main.tf:1) -> module \"a\" (root/main.tf:1)")
        );
    }

    #[test]
    fn a_source_outside_the_repository_falls_back_to_the_caller() {
        let repo = MemorySnapshot::new([
            (
                "terraform/environments/prod/main.tf",
                "module \"net\" {\n  source = \"../../modules/net\"\n}\n",
            ),
            (
                "terraform/modules/net/main.tf",
                "\n\nmodule \"outside\" {\n  source = \"../../../../outside\"\n}\n\
                 module \"abs\" {\n  source = \"/opt/modules/x\"\n}\n",
            ),
        ]);
        let deps = analyze(&repo, PROD).unwrap();
        assert_eq!(
            deps.warnings[0].to_string(),
            "terraform/modules/net/main.tf:3: module \"outside\" source \
             `../../../../outside` is outside the repository"
        );
        assert!(matches!(
            &deps.warnings[1],
            Warning::SourceOutsideRepository { module, .. } if module == "abs"
        ));
        assert_eq!(deps.fallback_dirs(), ["terraform/modules/net"]);
        // The fallback carries the chain to the folder it covers.
        assert_eq!(
            deps.fallbacks[0].chain.to_string(),
            "module \"net\" (terraform/environments/prod/main.tf:1)"
        );
    }

    #[test]
    fn an_unparseable_file_warns_and_falls_back_to_its_folder() {
        let text = |s: &str| s.as_bytes().to_vec();
        let repo = MemorySnapshot::new([
            (
                "envs/prod/main.tf",
                text("module \"m\" {\n  source = \"../../modules/m\"\n}\n"),
            ),
            ("envs/prod/broken.tf", text("resource \"x\" {\n  = oops\n")),
            (
                "modules/m/main.tf",
                text("module \"n\" {\n  source = \"../n\"\n"),
            ),
            ("modules/m/vars.tf.json", text("{ not json")),
            ("modules/m/binary.tf", b"\xff\xfe".to_vec()),
        ]);
        let deps = analyze(&repo, "envs/prod").unwrap();
        let broken: Vec<&str> = deps
            .warnings
            .iter()
            .filter_map(|w| match w {
                Warning::Unparseable { file, .. } => Some(file.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            broken,
            [
                "envs/prod/broken.tf",
                "modules/m/binary.tf",
                "modules/m/main.tf",
                "modules/m/vars.tf.json"
            ]
        );
        // The calls inside a broken file are unknown: the whole repository counts.
        assert_eq!(deps.fallback_dirs(), [""]);
        assert!(deps.affects("anywhere/else.tf").is_some());
        assert!(deps.warnings[0]
            .to_string()
            .starts_with("envs/prod/broken.tf:"));
        // The call inside the broken file cannot be followed, but its folder still counts.
        assert!(deps.affects("modules/m/anything.txt").is_some());
    }

    #[test]
    fn unknown_sources_reads_and_empty_modules_fall_back() {
        let repo = MemorySnapshot::new([(
            "envs/prod/main.tf",
            r#"module "dyn" {
  source = var.where
}
module "gone" {
  source = "./missing"
}
locals {
  a = file(var.policy)
  b = file("/etc/hosts")
  c = file("../../../x")
}
"#,
        )]);
        let deps = analyze(&repo, "envs/prod").unwrap();
        let kinds: Vec<String> = deps
            .warnings
            .iter()
            .map(|w| match w {
                Warning::UnknownSource { module, .. } => format!("source {module}"),
                Warning::EmptyModule { dir, .. } => format!("empty {dir}"),
                Warning::UnknownRead { line, .. } => format!("read {line}"),
                Warning::ReadOutsideRepository { path, .. } => format!("outside {path}"),
                other => other.to_string(),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "source dyn",
                "empty envs/prod/missing",
                "read 8",
                "outside /etc/hosts",
                "outside ../../../x"
            ]
        );
        // The read through a variable could read anything: the whole repository counts.
        assert_eq!(deps.fallback_dirs(), ["envs/prod", ""]);
        // The missing module's folder is still a dependency.
        assert!(deps.affects("envs/prod/missing/main.tf").is_some());
    }

    #[test]
    fn json_configuration_is_followed() {
        let repo = MemorySnapshot::new([
            (
                "envs/prod/main.tf.json",
                r#"{
  "module": {
    "net": { "source": "../../modules/net" }
  }
}
"#,
            ),
            ("modules/net/main.tf", "resource \"x\" \"y\" {}\n"),
        ]);
        let deps = analyze(&repo, "envs/prod").unwrap();
        assert_eq!(
            chain_text(&deps, "modules/net/main.tf").as_deref(),
            Some("module \"net\" (envs/prod/main.tf.json:3)")
        );
    }

    #[test]
    fn the_repository_root_can_be_a_terraform_root() {
        let repo = MemorySnapshot::new([
            ("main.tf", "module \"m\" {\n  source = \"./modules/m\"\n}\n"),
            ("modules/m/main.tf", ""),
            ("terraform.tfstate", "{}"),
        ]);
        let deps = analyze(&repo, "").unwrap();
        assert!(deps.warnings.is_empty(), "{:?}", deps.warnings);
        // Only the top folder's own configuration counts, not every file of the repository.
        assert_eq!(deps.affects("app/src/main.rs"), None);
        assert!(deps.affects("variables.tf").is_some());
        assert_eq!(deps.affects("terraform.tfstate"), None);
        // The deepest module folder explains a path, though the root's folder holds it too.
        assert_eq!(
            chain_text(&deps, "modules/m/main.tf").as_deref(),
            Some("module \"m\" (main.tf:1)")
        );
    }

    #[test]
    fn only_the_files_terraform_reads_count() {
        let call = |name: &str, source: &str| {
            format!("module \"{name}\" {{\n  source = \"{source}\"\n}}\n")
        };
        let repo = MemorySnapshot::new([
            (
                "envs/prod/main.tf",
                call("app", "../../modules/app") + &call("top", "../../"),
            ),
            ("envs/prod/terraform.tfvars", String::new()),
            ("envs/prod/terraform.tfvars.json", String::new()),
            ("envs/prod/a.auto.tfvars", String::new()),
            ("envs/prod/b.auto.tfvars.json", String::new()),
            ("envs/prod/prod.tfvars", String::new()),
            ("envs/shared.tfvars", String::new()),
            ("envs/prod/other.tfvars", String::new()),
            ("envs/prod/.terraform.lock.hcl", String::new()),
            ("envs/prod/README.md", String::new()),
            ("envs/prod/.terraform/modules/modules.json", String::new()),
            ("envs/prod/templates/unused.tpl", String::new()),
            ("modules/app/main.tf", String::new()),
            ("modules/app/outputs.tf.json", "{}".to_owned()),
            ("modules/app/README.md", String::new()),
            ("modules/app/CHANGELOG.md", String::new()),
            ("modules/app/examples/simple/main.tf", String::new()),
            ("modules/app/.terraform.lock.hcl", String::new()),
            ("modules/app/terraform.tfvars", String::new()),
            ("modules/app/.hidden.tf", String::new()),
            ("modules/app/main.tf~", String::new()),
            ("modules/app/#main.tf#", String::new()),
            // OpenTofu (`binary: tofu`) also loads `.tofu` files.
            (
                "modules/app/main.tofu",
                "module \"t\" {\n  source = \"./t\"\n}\n".to_owned(),
            ),
            ("modules/app/t/main.tofu.json", "{}".to_owned()),
            ("main.tf", String::new()),
            ("README.md", String::new()),
            ("terraform.tfvars", String::new()),
            ("app/src/main.rs", String::new()),
        ]);
        let var_files = ["prod.tfvars".to_owned(), "../shared.tfvars".to_owned()];
        let deps =
            analyze_with(&repo, "envs/prod", &var_files, &mut ParseCache::default()).unwrap();
        assert!(deps.warnings.is_empty(), "{:?}", deps.warnings);
        for counted in [
            "envs/prod/main.tf",
            "envs/prod/new.tf",
            "envs/prod/terraform.tfvars",
            "envs/prod/terraform.tfvars.json",
            "envs/prod/a.auto.tfvars",
            "envs/prod/b.auto.tfvars.json",
            "envs/prod/prod.tfvars",
            "envs/shared.tfvars",
            "envs/prod/.terraform.lock.hcl",
            "modules/app/main.tf",
            "modules/app/outputs.tf.json",
            "modules/app/main.tofu",
            "modules/app/t/main.tofu.json",
            "main.tf",
        ] {
            assert!(deps.affects(counted).is_some(), "{counted} is read");
        }
        for ignored in [
            "envs/prod/other.tfvars",
            "envs/prod/README.md",
            "envs/prod/.terraform/modules/modules.json",
            "envs/prod/templates/unused.tpl",
            "modules/app/README.md",
            "modules/app/CHANGELOG.md",
            "modules/app/examples/simple/main.tf",
            "modules/app/.terraform.lock.hcl",
            "modules/app/terraform.tfvars",
            "modules/app/.hidden.tf",
            "modules/app/main.tf~",
            "modules/app/#main.tf#",
            "README.md",
            "terraform.tfvars",
            "app/src/main.rs",
        ] {
            assert_eq!(deps.affects(ignored), None, "{ignored} is not read");
        }
        assert_eq!(
            chain_text(&deps, "main.tf").as_deref(),
            Some("module \"top\" (envs/prod/main.tf:4)")
        );
    }

    #[test]
    fn reads_and_variable_files_follow_symbolic_links() {
        use crate::analysis::module_graph::links::tests::LinkedSnapshot;
        let repo = LinkedSnapshot {
            files: MemorySnapshot::new([
                (
                    "envs/prod/main.tf",
                    "locals {\n  a = file(\"${path.module}/data/cfg.json\")\n  \
                     b = fileset(path.module, \"data/*.json\")\n}\n",
                ),
                ("shared/data/cfg.json", "{}"),
                ("envs/common/terraform.tfvars", ""),
                ("envs/common/prod.tfvars", ""),
            ]),
            links: vec![
                ("envs/prod/data", "../../shared/data"),
                ("envs/prod/terraform.tfvars", "../common/terraform.tfvars"),
                ("envs/prod/prod.tfvars", "../common/prod.tfvars"),
                ("envs/prod/out.tfvars", "../../../outside.tfvars"),
            ],
        };
        let var_files = ["prod.tfvars".to_owned(), "out.tfvars".to_owned()];
        let deps =
            analyze_with(&repo, "envs/prod", &var_files, &mut ParseCache::default()).unwrap();
        assert_eq!(
            deps.warnings,
            [Warning::BrokenLink {
                link: "envs/prod/out.tfvars".into()
            }]
        );
        assert_eq!(
            chain_text(&deps, "shared/data/cfg.json").as_deref(),
            Some("file() (envs/prod/main.tf:2)")
        );
        assert!(deps.affects("shared/data/new.json").is_some(), "fileset");
        assert!(deps.affects("envs/prod/data").is_some(), "the link itself");
        assert_eq!(
            chain_text(&deps, "envs/common/terraform.tfvars").as_deref(),
            Some("symlink (envs/prod/terraform.tfvars)")
        );
        assert!(deps.affects("envs/common/prod.tfvars").is_some());
        assert!(deps.affects("envs/prod/out.tfvars").is_some());
    }

    #[test]
    fn reads_inside_a_rendered_template_are_followed() {
        let repo = MemorySnapshot::new([
            (
                "envs/prod/main.tf",
                "module \"vm\" {\n  source = \"../../modules/vm\"\n}\n",
            ),
            (
                "modules/vm/main.tf",
                "locals {\n  u = templatefile(\"${path.module}/init.tpl\", {})\n}\n",
            ),
            (
                "modules/vm/init.tpl",
                "#!/bin/sh\n${file(\"scripts/setup.sh\")}\n${file(var_path)}\n",
            ),
        ]);
        let deps = analyze(&repo, "envs/prod").unwrap();
        assert_eq!(
            chain_text(&deps, "envs/prod/scripts/setup.sh").as_deref(),
            Some(
                "file() (modules/vm/init.tpl:2) -> templatefile() (modules/vm/main.tf:2) -> \
                 module \"vm\" (envs/prod/main.tf:1)"
            )
        );
        // A read through a template variable may read anything.
        assert!(matches!(
            &deps.warnings[..],
            [Warning::UnknownRead { file, line: 3, .. }] if file == "modules/vm/init.tpl"
        ));
    }

    #[test]
    fn an_unknown_template_is_any_file_of_its_folder() {
        let repo = MemorySnapshot::new([
            (
                "root/main.tf",
                "locals {\n  u = templatefile(\"tpl/${var.os}.tpl\", {})\n}\n",
            ),
            ("root/tpl/linux.tpl", "${file(\"scripts/linux.sh\")}"),
            ("root/tpl/sub/win.tpl", "${filebase64(\"scripts/win.ps1\")}"),
        ]);
        let deps = analyze(&repo, "root").unwrap();
        assert!(deps.warnings.is_empty(), "{:?}", deps.warnings);
        assert!(deps.affects("root/scripts/linux.sh").is_some());
        assert!(deps.affects("root/scripts/win.ps1").is_some());
        assert_eq!(deps.affects("root/scripts/mac.sh"), None);
    }

    #[test]
    fn every_spelling_of_the_repository_root_is_the_top() {
        let repo = MemorySnapshot::new([
            ("main.tf", "module \"m\" {\n  source = \"./modules/m\"\n}\n"),
            ("modules/m/main.tf", ""),
        ]);
        for spelling in ["", ".", "./", "/"] {
            let deps = analyze(&repo, spelling).unwrap();
            assert_eq!(deps.root, "", "{spelling:?}");
            assert!(
                deps.warnings.is_empty(),
                "{spelling:?}: {:?}",
                deps.warnings
            );
            assert_eq!(
                deps.affects("main.tf"),
                Some(&Chain::default()),
                "{spelling:?}"
            );
            assert_eq!(
                chain_text(&deps, "modules/m/main.tf").as_deref(),
                Some("module \"m\" (main.tf:1)"),
                "{spelling:?}"
            );
        }
    }

    #[test]
    fn symlinked_files_and_module_folders_are_followed() {
        use crate::analysis::module_graph::links::tests::LinkedSnapshot;
        let repo = LinkedSnapshot {
            files: MemorySnapshot::new([
                (
                    "envs/prod/main.tf",
                    "module \"net\" {\n  source = \"../../modules/net\"\n}\n",
                ),
                (
                    "shared/providers.tf",
                    "module \"tags\" {\n  source = \"./tags\"\n}\n",
                ),
                ("envs/prod/tags/main.tf", ""),
                ("real/net/main.tf", ""),
            ]),
            links: vec![
                ("envs/prod/providers.tf", "../../shared/providers.tf"),
                ("modules/net", "../real/net"),
                ("envs/prod/escape.tf", "../../../outside.tf"),
            ],
        };
        let deps = analyze(&repo, "envs/prod").unwrap();
        assert_eq!(
            deps.warnings,
            [Warning::BrokenLink {
                link: "envs/prod/escape.tf".into()
            }]
        );
        assert_eq!(
            chain_text(&deps, "shared/providers.tf").as_deref(),
            Some("symlink (envs/prod/providers.tf)")
        );
        // Sources in a linked file resolve from the folder of the link, as Terraform does.
        assert!(deps.modules.iter().any(|m| m.dir == "envs/prod/tags"));
        assert_eq!(
            chain_text(&deps, "real/net/main.tf").as_deref(),
            Some("module \"net\" (envs/prod/main.tf:1)")
        );
        assert!(deps.affects("modules/net").is_some(), "the link itself");
    }
}
