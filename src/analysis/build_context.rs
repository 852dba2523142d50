//! What an `ecs-service` target's image build reads, from one commit's tree: the Dockerfile, the
//! `.dockerignore` in effect, and the context files some instruction of a stage the build
//! reaches reads, directly or through symbolic links (see `build_links`).
//!
//! Read through a [`Snapshot`] (the head commit for present files, the base commit for deleted
//! ones), so routing describes commits and works in bare clones. Whatever cannot be read or
//! understood widens the answer to the whole context, with a warning: never a false
//! "unchanged". Deciding a path is pure; only [`ImageInputs::read`] reads.

use std::collections::BTreeMap;

use crate::analysis::docker::dockerfile::ContextUse;
use crate::analysis::docker::dockerignore::DockerIgnore;
use crate::analysis::snapshot::{EntryKind, Snapshot};
use crate::error::Result;
use crate::path::RepoPath;

/// The inputs of one image build in one tree.
#[derive(Debug, Clone)]
pub struct ImageInputs {
    context: String,
    dockerfile: String,
    /// The ignore file Docker uses: `<Dockerfile>.dockerignore` when present, else
    /// `<context>/.dockerignore`.
    ignore_file: String,
    /// Both ignore files Docker may read (`<Dockerfile>.dockerignore`, `<context>/.dockerignore`):
    /// a change of either changes which one is in effect. Kept here so that deciding a path
    /// allocates nothing.
    ignore_candidates: [String; 2],
    /// Where a symlinked Dockerfile or ignore file points: changing the target changes the
    /// build as much as changing the file.
    link_targets: Vec<String>,
    ignore: DockerIgnore,
    usage: ContextUse,
    /// What sources read through symbolic links: the links and where they lead.
    followed: Vec<LinkedRead>,
    /// Why the answer was widened, if it was.
    pub warnings: Vec<String>,
}

/// A path of the context that a source reads through a symbolic link: a link on the way, or
/// the file or folder it leads to.
#[derive(Debug, Clone)]
struct LinkedRead {
    /// Relative to the context; a folder counts with everything under it.
    path: String,
    /// The index of the source in `usage.sources`.
    source: usize,
}

/// Why a path is (or is not) an input of the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageReason {
    /// The Dockerfile itself.
    Dockerfile,
    /// The `.dockerignore` in effect (or the one Docker would prefer if it appeared).
    IgnoreFile,
    /// The file a symlinked Dockerfile or `.dockerignore` points at.
    LinkedFile,
    /// A context file that an instruction reads.
    ReadBy {
        dockerfile: String,
        line: usize,
        instruction: String,
        pattern: String,
    },
    /// A context file, read because the Dockerfile could not be understood precisely.
    WholeContext { why: String },
    /// A context file that `.dockerignore` keeps out of the build.
    Ignored {
        ignore_file: String,
        line: usize,
        pattern: String,
    },
    /// A context file that no instruction reads.
    NotRead,
}

impl ImageReason {
    /// Whether the reason makes the path an input.
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            ImageReason::Dockerfile
                | ImageReason::IgnoreFile
                | ImageReason::LinkedFile
                | ImageReason::ReadBy { .. }
                | ImageReason::WholeContext { .. }
        )
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        match self {
            ImageReason::Dockerfile => "the Dockerfile".to_owned(),
            ImageReason::IgnoreFile => "the .dockerignore of the build".to_owned(),
            ImageReason::LinkedFile => {
                "the file a symlinked Dockerfile or .dockerignore points at".to_owned()
            }
            ImageReason::ReadBy {
                dockerfile,
                line,
                instruction,
                pattern,
            } => format!("read by {instruction} `{pattern}` ({dockerfile}:{line})"),
            ImageReason::WholeContext { why } => {
                format!("in the build context, which is read whole: {why}")
            }
            ImageReason::Ignored {
                ignore_file,
                line,
                pattern,
            } => format!("in the build context but excluded by `{pattern}` ({ignore_file}:{line})"),
            ImageReason::NotRead => "in the build context but read by no instruction".to_owned(),
        }
    }
}

impl ImageInputs {
    /// Reads the Dockerfile and the `.dockerignore` of a build of stage `target` (default: the
    /// last) from `snapshot`.
    pub fn read(
        snapshot: &dyn Snapshot,
        context: &str,
        dockerfile: &str,
        build_args: &BTreeMap<String, String>,
        target: Option<&str>,
    ) -> Result<ImageInputs> {
        let mut warnings = Vec::new();
        let specific = format!("{dockerfile}.dockerignore");
        let general = join(context, ".dockerignore");
        // Docker reads through symlinks: the files they point at are inputs too.
        let mut link_targets = Vec::new();
        let mut read_through = |path: &str| -> Result<Option<Vec<u8>>> {
            let target = resolve_links(snapshot, path)?;
            if target != path {
                link_targets.push(target.clone());
            }
            snapshot.read(&target)
        };
        let (ignore_file, ignore_text) = match read_through(&specific)? {
            Some(text) => (specific.clone(), Some(text)),
            None => {
                let text = read_through(&general)?;
                (general.clone(), text)
            }
        };
        let mut ignore = match ignore_text {
            None => DockerIgnore::default(),
            Some(bytes) => match DockerIgnore::parse(&String::from_utf8_lossy(&bytes)) {
                Ok(ignore) => ignore,
                Err(e) => {
                    // Docker would refuse the build; counting every file in is the safe side.
                    warnings.push(format!(
                        "{ignore_file}: {e}; no file of the context is taken as excluded"
                    ));
                    DockerIgnore::default()
                }
            },
        };
        if let Some(rel) = relative_to(context, dockerfile) {
            ignore = ignore.always_send(rel);
        }
        let mut usage = match read_through(dockerfile)? {
            Some(bytes) => {
                ContextUse::for_target(&String::from_utf8_lossy(&bytes), build_args, target)
            }
            None => {
                warnings.push(format!(
                    "{dockerfile} is not in this commit; the whole context counts"
                ));
                ContextUse {
                    sources: Vec::new(),
                    whole_context: true,
                    warnings: Vec::new(),
                }
            }
        };
        warnings.extend(usage.warnings.iter().map(|w| format!("{dockerfile}: {w}")));
        let mut followed = Vec::new();
        for (index, source) in usage.sources.iter().enumerate() {
            if source.pattern == "." {
                continue;
            }
            match crate::analysis::build_links::follow(snapshot, context, &source.pattern)? {
                Ok(found) => {
                    followed.extend(found.links.into_iter().chain(found.targets).map(|path| {
                        LinkedRead {
                            path,
                            source: index,
                        }
                    }))
                }
                Err(problem) => {
                    usage.whole_context = true;
                    warnings.push(format!(
                        "{dockerfile}: line {}: the {} source `{}` goes through {} (`{}`); assuming the whole context is read",
                        source.line,
                        source.instruction,
                        source.pattern,
                        problem.what,
                        join(context, &problem.link),
                    ));
                }
            }
        }
        Ok(ImageInputs {
            context: context.to_owned(),
            dockerfile: dockerfile.to_owned(),
            ignore_file,
            ignore_candidates: [specific, general],
            link_targets,
            ignore,
            usage,
            followed,
            warnings,
        })
    }

    /// Why `path` is or is not an input of this build; `None` when it is outside the context and
    /// neither the Dockerfile nor an ignore file.
    pub fn decide(&self, path: &RepoPath) -> Option<ImageReason> {
        // Docker works with UTF-8 names; a name that is not is decided on its lossy form, and
        // a context read whole still takes it.
        // Routing asks this for every changed path and every target: no allocation on the way
        // to `None` or to a decision about an UTF-8 name.
        let lossy = String::from_utf8_lossy(path.as_bytes());
        let path: &str = &lossy;
        if path == self.dockerfile {
            return Some(ImageReason::Dockerfile);
        }
        if self.link_targets.iter().any(|t| t == path) {
            return Some(ImageReason::LinkedFile);
        }
        if path == self.ignore_file || self.ignore_candidates.iter().any(|c| c == path) {
            return Some(ImageReason::IgnoreFile);
        }
        let rel = relative_to(&self.context, path)?;
        // A link a source names, and what it leads to, are read whatever `.dockerignore` says
        // of the target: counting them is the safe side.
        if let Some(read) = self.followed.iter().find(|f| is_within(rel, &f.path)) {
            let source = &self.usage.sources[read.source];
            return Some(ImageReason::ReadBy {
                dockerfile: self.dockerfile.clone(),
                line: source.line,
                instruction: source.instruction.clone(),
                pattern: format!("{} (through a symbolic link)", source.pattern),
            });
        }
        if let Some(rule) = self.ignore.excluding_rule(rel) {
            return Some(ImageReason::Ignored {
                ignore_file: self.ignore_file.clone(),
                line: rule.line,
                pattern: rule.pattern.clone(),
            });
        }
        if self.usage.whole_context {
            let why = self
                .warnings
                .first()
                .cloned()
                .unwrap_or_else(|| "an instruction copies `.`".to_owned());
            return Some(ImageReason::WholeContext { why });
        }
        match self.usage.source_for(rel) {
            Some(source) => Some(ImageReason::ReadBy {
                dockerfile: self.dockerfile.clone(),
                line: source.line,
                instruction: source.instruction.clone(),
                pattern: source.pattern.clone(),
            }),
            None => Some(ImageReason::NotRead),
        }
    }
}

/// Follows symlinks (at most 8, then gives the last name) to the path they name, relative to the
/// repository root; a link that leaves the repository stays unresolved.
fn resolve_links(snapshot: &dyn Snapshot, path: &str) -> Result<String> {
    let mut current = path.to_owned();
    for _ in 0..8 {
        let (dir, name) = current.rsplit_once('/').unwrap_or(("", current.as_str()));
        let is_link = snapshot
            .list(dir)?
            .iter()
            .any(|(n, kind)| n == name && *kind == EntryKind::Symlink);
        if !is_link {
            break;
        }
        let Some(target) = snapshot.read(&current)? else {
            break;
        };
        let target = String::from_utf8_lossy(&target).into_owned();
        let joined = if target.starts_with('/') {
            break;
        } else if dir.is_empty() {
            target
        } else {
            format!("{dir}/{target}")
        };
        let mut parts: Vec<&str> = Vec::new();
        for part in joined.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Ok(current);
                    }
                }
                p => parts.push(p),
            }
        }
        current = parts.join("/");
    }
    Ok(current)
}

/// Whether `path` is `dir` or under it (`dir` empty: the whole context).
fn is_within(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn join(dir: &str, name: &str) -> String {
    if dir == "." || dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// `path` relative to `dir`, if it is inside it.
fn relative_to<'p>(dir: &str, path: &'p str) -> Option<&'p str> {
    if dir == "." || dir.is_empty() {
        return Some(path);
    }
    path.strip_prefix(dir)
        .and_then(|rest| rest.strip_prefix('/'))
        .filter(|rest| !rest.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::snapshot::MemorySnapshot;

    fn inputs(files: &[(&str, &str)]) -> ImageInputs {
        let snapshot = MemorySnapshot::new(files.iter().map(|(p, c)| (*p, *c)));
        ImageInputs::read(&snapshot, "app", "app/Dockerfile", &BTreeMap::new(), None).unwrap()
    }

    fn input(i: &ImageInputs, path: &str) -> bool {
        i.decide(&RepoPath::from(path))
            .is_some_and(|r| r.is_input())
    }

    #[test]
    fn only_what_the_build_reads_is_an_input() {
        let i = inputs(&[
            (
                "app/Dockerfile",
                "FROM scratch\nCOPY package*.json ./\nCOPY src/ ./src/\n",
            ),
            ("app/.dockerignore", "test/\n*.md\n"),
        ]);
        assert!(input(&i, "app/Dockerfile"));
        assert!(input(&i, "app/.dockerignore"));
        assert!(input(&i, "app/package.json"));
        assert!(input(&i, "app/src/server.js"));
        assert!(!input(&i, "app/README.md"));
        assert!(!input(&i, "app/test/server.test.js"));
        assert!(!input(&i, "app/other.js"));
        assert_eq!(i.decide(&RepoPath::from("docs/x.md")), None);
        assert_eq!(
            i.decide(&RepoPath::from("app/src/a.js"))
                .map(|r| r.describe()),
            Some("read by COPY `src` (app/Dockerfile:3)".to_owned())
        );
    }

    #[test]
    fn a_missing_dockerfile_counts_the_whole_context() {
        let i = inputs(&[("app/a.js", "x")]);
        assert!(input(&i, "app/a.js"));
        assert!(!i.warnings.is_empty());
    }

    #[test]
    fn the_dockerfile_specific_ignore_file_wins() {
        let i = inputs(&[
            ("app/Dockerfile", "FROM scratch\nCOPY . .\n"),
            ("app/.dockerignore", "*.js\n"),
            ("app/Dockerfile.dockerignore", "*.md\n"),
        ]);
        assert!(input(&i, "app/a.js"));
        assert!(!input(&i, "app/a.md"));
        assert!(input(&i, "app/Dockerfile.dockerignore"));
    }
}
