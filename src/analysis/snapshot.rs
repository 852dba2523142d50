//! A commit's tree as a small read-only file system, for the analyses that read repository files
//! (Dockerfiles, `.dockerignore`, Terraform sources).
//!
//! Routing must describe a commit, not a working directory, and must work in a bare clone, so
//! those analyses read through [`Snapshot`], never through `std::fs`. [`GitSnapshot`] reads a
//! git tree; [`FsSnapshot`] reads a working tree (for `config init`, and for the paths the
//! configuration names under `--uncommitted`), the one reader here that touches `std::fs`;
//! `MemorySnapshot` holds files in memory for unit tests. [`Recorder`] keeps the
//! questions an analysis asks, so that a second commit can tell, from object ids alone, whether
//! it would answer them alike (and the analysis need not run again there).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use git2::{ObjectType, Repository, Tree};

use crate::error::{Error, Result};

/// What a directory entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Submodule,
}

/// Read-only access to the files of one tree. Paths are `/`-separated and relative to the
/// repository root; `""` is the root.
pub trait Snapshot {
    /// The contents of a regular file (or a symlink's target text), or `None` when absent or a
    /// directory.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>>;

    /// The entries of a directory (names, not paths), or an empty list when it does not exist.
    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>>;

    /// What the entry `name` of the directory `dir` is, or `None` when there is none. The same
    /// as looking `name` up in [`Snapshot::list`], without copying a large folder's listing.
    fn kind_of(&self, dir: &str, name: &str) -> Result<Option<EntryKind>> {
        Ok(self
            .list(dir)?
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, kind)| kind))
    }

    /// Every file path under `dir`, recursively, in byte order.
    fn walk(&self, dir: &str) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut stack = vec![dir.trim_end_matches('/').to_owned()];
        while let Some(current) = stack.pop() {
            for (name, kind) in self.list(&current)? {
                let path = if current.is_empty() {
                    name
                } else {
                    format!("{current}/{name}")
                };
                match kind {
                    EntryKind::Dir => stack.push(path),
                    _ => out.push(path),
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

/// A git tree (normally a commit's). What `read` and `list` found is kept by path: a tree never
/// changes, and the analyses ask for the same files and folders again (Terraform roots sharing
/// modules, several targets in one commit). The trees of folders are kept too: libgit2 keeps
/// only small trees in its object cache, so a folder of a few hundred roots would otherwise be
/// read, inflated and hashed again for every path under it.
pub struct GitSnapshot<'r> {
    repo: &'r Repository,
    root: Tree<'r>,
    /// Folder path -> its tree (`None`: not a folder in this tree).
    trees: RefCell<HashMap<String, Option<Tree<'r>>>>,
    reads: RefCell<HashMap<String, Option<Vec<u8>>>>,
    lists: RefCell<HashMap<String, Vec<(String, EntryKind)>>>,
}

impl std::fmt::Debug for GitSnapshot<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitSnapshot")
            .field("tree", &self.root.id())
            .finish()
    }
}

impl<'r> GitSnapshot<'r> {
    pub fn new(repo: &'r Repository, root: Tree<'r>) -> Self {
        GitSnapshot {
            repo,
            root,
            trees: RefCell::default(),
            reads: RefCell::default(),
            lists: RefCell::default(),
        }
    }

    /// The tree of a commit.
    pub fn of_commit(repo: &'r Repository, commit: git2::Oid) -> Result<Self> {
        let tree = repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(Error::git(format!("read the tree of commit {commit}")))?;
        Ok(GitSnapshot::new(repo, tree))
    }

    /// The id, object type and file mode of the entry at `path`, or `None` when there is none.
    pub(crate) fn entry(&self, path: &str) -> Result<Option<(git2::Oid, Option<ObjectType>, i32)>> {
        if !is_clean(path) {
            // An unusual spelling (`a//b`, `/a`, `a/`): libgit2 decides, as it always did.
            return Ok(self
                .root
                .get_path(std::path::Path::new(path))
                .ok()
                .map(|e| (e.id(), e.kind(), e.filemode())));
        }
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let Some(tree) = self.subtree(dir)? else {
            return Ok(None);
        };
        Ok(tree
            .get_name(name)
            .map(|e| (e.id(), e.kind(), e.filemode())))
    }

    fn subtree(&self, dir: &str) -> Result<Option<Tree<'r>>> {
        let dir = dir.trim_matches('/');
        if dir.is_empty() {
            return Ok(Some(self.root.clone()));
        }
        if let Some(hit) = self.trees.borrow().get(dir) {
            return Ok(hit.clone());
        }
        let found = if is_clean(dir) {
            let (parent, name) = dir.rsplit_once('/').unwrap_or(("", dir));
            match self.subtree(parent)? {
                Some(parent) => parent
                    .get_name(name)
                    .filter(|e| e.kind() == Some(ObjectType::Tree))
                    .map(|e| e.id()),
                None => None,
            }
        } else {
            self.root
                .get_path(std::path::Path::new(dir))
                .ok()
                .filter(|e| e.kind() == Some(ObjectType::Tree))
                .map(|e| e.id())
        };
        let tree = found
            .map(|id| {
                self.repo
                    .find_tree(id)
                    .map_err(Error::git(format!("read the tree of `{dir}`")))
            })
            .transpose()?;
        self.trees.borrow_mut().insert(dir.to_owned(), tree.clone());
        Ok(tree)
    }
}

/// Whether `path` is a plain relative path: no empty, `.` or `..` parts.
fn is_clean(path: &str) -> bool {
    !path.is_empty()
        && path
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..")
}

fn kind_of_entry(kind: Option<ObjectType>, mode: i32) -> EntryKind {
    match (kind, mode) {
        (Some(ObjectType::Tree), _) => EntryKind::Dir,
        (Some(ObjectType::Commit), _) => EntryKind::Submodule,
        (_, 0o120000) => EntryKind::Symlink,
        _ => EntryKind::File,
    }
}

impl Snapshot for GitSnapshot<'_> {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        if let Some(hit) = self.reads.borrow().get(path) {
            return Ok(hit.clone());
        }
        let found = self.read_uncached(path)?;
        self.reads
            .borrow_mut()
            .insert(path.to_owned(), found.clone());
        Ok(found)
    }

    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
        if let Some(hit) = self.lists.borrow().get(dir) {
            return Ok(hit.clone());
        }
        let found = self.list_uncached(dir)?;
        self.lists
            .borrow_mut()
            .insert(dir.to_owned(), found.clone());
        Ok(found)
    }

    fn kind_of(&self, dir: &str, name: &str) -> Result<Option<EntryKind>> {
        if name.is_empty() || name.contains('/') {
            return Ok(None);
        }
        let Some(tree) = self.subtree(dir)? else {
            return Ok(None);
        };
        Ok(tree
            .get_name(name)
            .map(|e| kind_of_entry(e.kind(), e.filemode())))
    }
}

impl GitSnapshot<'_> {
    fn read_uncached(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let Some((id, Some(ObjectType::Blob), _)) = self.entry(path)? else {
            return Ok(None);
        };
        let blob = self
            .repo
            .find_blob(id)
            .map_err(Error::git(format!("read `{path}`")))?;
        Ok(Some(blob.content().to_vec()))
    }

    fn list_uncached(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
        let Some(tree) = self.subtree(dir)? else {
            return Ok(Vec::new());
        };
        Ok(tree
            .iter()
            .filter_map(|e| {
                let name = e.name().ok()?.to_owned();
                Some((name, kind_of_entry(e.kind(), e.filemode())))
            })
            .collect())
    }
}

/// One question asked of a snapshot, as [`Recorder`] keeps it (and the analysis cache, between
/// runs, with the answer [`GitSnapshot::answer`] gives).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum Question {
    #[serde(rename = "r")]
    Read(String),
    #[serde(rename = "l")]
    List(String),
    #[serde(rename = "k")]
    KindOf(String, String),
}

/// A snapshot that keeps every question asked of it, so that another tree can be asked whether
/// it gives the same answers ([`GitSnapshot::answer`]): an analysis that reads only through a
/// snapshot gives the same result from two trees that answer its questions alike.
pub(crate) struct Recorder<'s> {
    inner: &'s dyn Snapshot,
    asked: RefCell<HashSet<Question>>,
}

impl std::fmt::Debug for Recorder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("asked", &self.asked.borrow().len())
            .finish()
    }
}

impl<'s> Recorder<'s> {
    pub(crate) fn new(inner: &'s dyn Snapshot) -> Self {
        Recorder {
            inner,
            asked: RefCell::default(),
        }
    }

    /// Every question asked so far, each once.
    pub(crate) fn questions(&self) -> Vec<Question> {
        self.asked.borrow().iter().cloned().collect()
    }
}

impl Snapshot for Recorder<'_> {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        self.asked
            .borrow_mut()
            .insert(Question::Read(path.to_owned()));
        self.inner.read(path)
    }

    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
        self.asked
            .borrow_mut()
            .insert(Question::List(dir.to_owned()));
        self.inner.list(dir)
    }

    fn kind_of(&self, dir: &str, name: &str) -> Result<Option<EntryKind>> {
        self.asked
            .borrow_mut()
            .insert(Question::KindOf(dir.to_owned(), name.to_owned()));
        self.inner.kind_of(dir, name)
    }
}

impl GitSnapshot<'_> {
    /// The id of the whole tree.
    pub(crate) fn id(&self) -> git2::Oid {
        self.root.id()
    }

    /// What stands for this tree's answer to `question`, told from object ids without reading
    /// a file: the blob a read returns, the folder a listing lists, the kind of an entry. Two
    /// trees that give the same [`Answer`] answer alike.
    pub(crate) fn answer(&self, question: &Question) -> Result<Answer> {
        Ok(match question {
            Question::Read(path) => match self.entry(path)? {
                Some((id, Some(ObjectType::Blob), _)) => Answer::Object(id),
                _ => Answer::Nothing,
            },
            Question::List(dir) => match self.subtree(dir)? {
                Some(tree) => Answer::Object(tree.id()),
                None => Answer::Nothing,
            },
            Question::KindOf(dir, name) => match self.kind_of(dir, name)? {
                Some(kind) => Answer::Kind(kind),
                None => Answer::Nothing,
            },
        })
    }
}

/// A tree's answer to a [`Question`], as [`GitSnapshot::answer`] tells it. Kept between runs as
/// a short string: `-` for nothing, an object id in hex, or `f`, `d`, `l`, `s` for a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Answer {
    Nothing,
    Object(git2::Oid),
    Kind(EntryKind),
}

impl serde::Serialize for Answer {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Answer::Nothing => serializer.serialize_str("-"),
            Answer::Object(id) => serializer.collect_str(id),
            Answer::Kind(kind) => serializer.serialize_str(match kind {
                EntryKind::File => "f",
                EntryKind::Dir => "d",
                EntryKind::Symlink => "l",
                EntryKind::Submodule => "s",
            }),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Answer {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Answer, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Answer;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("`-`, an object id or an entry kind")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> std::result::Result<Answer, E> {
                Ok(match text {
                    "-" => Answer::Nothing,
                    "f" => Answer::Kind(EntryKind::File),
                    "d" => Answer::Kind(EntryKind::Dir),
                    "l" => Answer::Kind(EntryKind::Symlink),
                    "s" => Answer::Kind(EntryKind::Submodule),
                    hex => Answer::Object(git2::Oid::from_str(hex).map_err(E::custom)?),
                })
            }
        }
        deserializer.deserialize_str(Text)
    }
}

/// A working tree on disk (for `config init`, which describes what is there, committed or not).
/// `.git` is never listed.
#[derive(Debug, Clone)]
pub struct FsSnapshot {
    root: std::path::PathBuf,
}

impl FsSnapshot {
    pub fn new(root: impl Into<std::path::PathBuf>) -> Self {
        FsSnapshot { root: root.into() }
    }

    fn full(&self, path: &str) -> std::path::PathBuf {
        let path = path.trim_matches('/');
        if path.is_empty() {
            self.root.clone()
        } else {
            self.root.join(path)
        }
    }
}

impl Snapshot for FsSnapshot {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        let full = self.full(path);
        match std::fs::symlink_metadata(&full) {
            Ok(meta) if meta.is_file() => std::fs::read(&full)
                .map(Some)
                .map_err(Error::io("read", full)),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("read", full)(e)),
        }
    }

    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
        let full = self.full(dir);
        let entries = match std::fs::read_dir(&full) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("list", full)(e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(Error::io("list", full.clone()))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name == ".git" {
                continue;
            }
            let kind = match entry.file_type() {
                Ok(t) if t.is_dir() => EntryKind::Dir,
                Ok(t) if t.is_symlink() => EntryKind::Symlink,
                _ => EntryKind::File,
            };
            out.push((name, kind));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}

/// Files in memory, for unit tests of the analyses.
#[cfg(test)]
#[derive(Debug, Default, Clone)]
pub struct MemorySnapshot {
    files: std::collections::BTreeMap<String, Vec<u8>>,
    /// The paths of `files` that are symbolic links (their contents are the target).
    links: std::collections::BTreeSet<String>,
}

#[cfg(test)]
impl MemorySnapshot {
    pub fn new<I, P, C>(files: I) -> Self
    where
        I: IntoIterator<Item = (P, C)>,
        P: Into<String>,
        C: Into<Vec<u8>>,
    {
        MemorySnapshot {
            files: files
                .into_iter()
                .map(|(p, c)| (p.into(), c.into()))
                .collect(),
            links: Default::default(),
        }
    }

    /// Adds symbolic links: `(path, target)`.
    pub fn with_links<I, P, T>(mut self, links: I) -> Self
    where
        I: IntoIterator<Item = (P, T)>,
        P: Into<String>,
        T: Into<Vec<u8>>,
    {
        for (path, target) in links {
            let path = path.into();
            self.files.insert(path.clone(), target.into());
            self.links.insert(path);
        }
        self
    }
}

#[cfg(test)]
impl Snapshot for MemorySnapshot {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.files.get(path).cloned())
    }

    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
        let dir = dir.trim_matches('/');
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut out: std::collections::BTreeMap<String, EntryKind> =
            std::collections::BTreeMap::new();
        for path in self.files.keys() {
            let Some(rest) = path.strip_prefix(&prefix) else {
                continue;
            };
            match rest.split_once('/') {
                Some((sub, _)) => {
                    out.insert(sub.to_owned(), EntryKind::Dir);
                }
                None if self.links.contains(path) => {
                    out.insert(rest.to_owned(), EntryKind::Symlink);
                }
                None => {
                    out.insert(rest.to_owned(), EntryKind::File);
                }
            }
        }
        Ok(out.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A commit of `files` (path, contents; a contents starting with `->` is a symlink to the
    /// rest) in `repo`, on top of nothing.
    fn commit(repo: &Repository, files: &[(&str, &str)]) -> git2::Oid {
        let mut index = git2::Index::new().unwrap();
        for (path, contents) in files {
            let (mode, data) = match contents.strip_prefix("->") {
                Some(target) => (0o120000, target),
                None => (0o100644, *contents),
            };
            let id = repo.blob(data.as_bytes()).unwrap();
            let entry = git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode,
                uid: 0,
                gid: 0,
                file_size: 0,
                id,
                flags: 0,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            };
            index.add(&entry).unwrap();
        }
        let tree = index.write_tree_to(repo).unwrap();
        let tree = repo.find_tree(tree).unwrap();
        let who = git2::Signature::now("t", "t@example.invalid").unwrap();
        repo.commit(None, &who, &who, "t", &tree, &[]).unwrap()
    }

    #[test]
    fn git_snapshot_reads_lists_and_names_kinds_as_libgit2_does() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let head = commit(
            &repo,
            &[("a/b/c.tf", "c"), ("a/link", "->b"), ("top.txt", "t")],
        );
        let tree = GitSnapshot::of_commit(&repo, head).unwrap();
        assert_eq!(tree.read("a/b/c.tf").unwrap().as_deref(), Some(&b"c"[..]));
        assert_eq!(tree.read("a/link").unwrap().as_deref(), Some(&b"b"[..]));
        assert_eq!(tree.read("a/b").unwrap(), None, "a folder is no file");
        assert_eq!(tree.read("a/b/missing").unwrap(), None);
        assert_eq!(
            tree.read("a/./b/c.tf").unwrap(),
            None,
            "as libgit2 spells it"
        );
        for (dir, name, kind) in [
            ("", "a", Some(EntryKind::Dir)),
            ("", "top.txt", Some(EntryKind::File)),
            ("a", "link", Some(EntryKind::Symlink)),
            ("a/b", "c.tf", Some(EntryKind::File)),
            ("a/b", "nope", None),
            ("nope", "c.tf", None),
            ("top.txt", "x", None),
        ] {
            assert_eq!(tree.kind_of(dir, name).unwrap(), kind, "{dir} {name}");
            let listed = tree
                .list(dir)
                .unwrap()
                .into_iter()
                .find(|(n, _)| n == name)
                .map(|(_, k)| k);
            assert_eq!(listed, kind, "{dir} {name}");
        }
        assert_eq!(tree.walk("").unwrap(), ["a/b/c.tf", "a/link", "top.txt"]);
    }

    #[test]
    fn trees_that_answer_alike_are_told_by_ids() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let base = commit(
            &repo,
            &[("r/main.tf", "1"), ("m/main.tf", "m"), ("x/y", "y")],
        );
        let head = commit(
            &repo,
            &[("r/main.tf", "1"), ("m/main.tf", "m2"), ("x/y", "y")],
        );
        let (base, head) = (
            GitSnapshot::of_commit(&repo, base).unwrap(),
            GitSnapshot::of_commit(&repo, head).unwrap(),
        );
        let asked = |questions: &[Question]| {
            questions
                .iter()
                .all(|q| head.answer(q).unwrap() == base.answer(q).unwrap())
        };
        let recorder = Recorder::new(&head);
        recorder.read("r/main.tf").unwrap();
        recorder.list("r").unwrap();
        recorder.kind_of("", "m").unwrap();
        recorder.read("r/absent.tf").unwrap();
        assert!(asked(&recorder.questions()));
        recorder.read("m/main.tf").unwrap();
        assert!(!asked(&recorder.questions()), "a changed file read");
        assert!(
            !asked(&[Question::List("m".into())]),
            "a changed folder listed"
        );
        assert!(asked(&[Question::List("x".into())]));
    }

    #[test]
    fn memory_snapshot_lists_and_walks() {
        let s = MemorySnapshot::new([("app/a.js", "a"), ("app/lib/b.js", "b"), ("README.md", "r")]);
        assert_eq!(
            s.list("app").unwrap(),
            [
                ("a.js".to_owned(), EntryKind::File),
                ("lib".to_owned(), EntryKind::Dir)
            ]
        );
        assert_eq!(
            s.walk("").unwrap(),
            ["README.md", "app/a.js", "app/lib/b.js"]
        );
        assert_eq!(s.read("app/a.js").unwrap().as_deref(), Some(&b"a"[..]));
        assert_eq!(s.read("nope").unwrap(), None);
    }
}
