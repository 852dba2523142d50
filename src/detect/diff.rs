//! The changed paths between two commits (or a commit and the working tree), through git2.
//!
//! Tree-to-tree with rename detection: each change has a status, a path and, for renames, the
//! old path, all as raw bytes. A submodule bump is a modified path. With `range` (revisions),
//! `rename` (the blobs it compares) and `analysis::snapshot` (a commit's files), this is one of
//! detection's git readers; every other module asks `crate::git` (see there). Nothing here
//! decides routing.

use git2::{Delta, DiffFindOptions, DiffOptions, Oid, Repository, Tree};
use serde::Serialize;

use crate::detect::rename::{self, Candidate, LimitHit};
use crate::error::{Error, Result};
use crate::path::RepoPath;

/// What happened to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Added,
    Modified,
    Deleted,
    Renamed,
    TypeChanged,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Modified => "modified",
            Status::Deleted => "deleted",
            Status::Renamed => "renamed",
            Status::TypeChanged => "type-changed",
        }
    }
}

/// One changed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub status: Status,
    /// The path after the change (for a deletion, the path that was deleted).
    pub path: RepoPath,
    /// For a rename, the path before it.
    pub old_path: Option<RepoPath>,
}

/// The head side of a diff: what the base is compared with.
#[derive(Debug, Clone, Copy)]
pub enum HeadTree {
    /// A commit's tree.
    Commit(Oid),
    /// The working tree with the index: staged, unstaged and untracked-but-not-ignored changes.
    WorkingTree,
}

/// The changes of a range, and whether rename pairing by content was skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    pub changes: Vec<Change>,
    /// Set when there were too many deletions and additions left to compare their contents
    /// (git's `diff.renameLimit`): renames with edits are then a deletion and an addition.
    pub rename_limit: Option<LimitHit>,
}

/// The changes from `base` (none: the empty tree, for a repository's first commit) to `head`.
pub fn changes(repo: &Repository, base: Option<Oid>, head: HeadTree) -> Result<Vec<Change>> {
    compare(repo, base, head).map(|d| d.changes)
}

/// [`changes`], and whether the rename limit stopped pairing by content.
pub fn compare(repo: &Repository, base: Option<Oid>, head: HeadTree) -> Result<Diff> {
    let base_tree = match base {
        Some(oid) => Some(tree_of(repo, oid)?),
        None => None,
    };
    match head {
        HeadTree::Commit(oid) => {
            let head_tree = tree_of(repo, oid)?;
            commit_changes(repo, base_tree.as_ref(), &head_tree)
        }
        HeadTree::WorkingTree => {
            let limit = rename::limit_of(repo);
            let changes = libgit2_changes_limited(repo, base_tree.as_ref(), head, limit)?;
            // libgit2 compares each addition with at most `limit` deletions: past that, some
            // rename may be a deletion and an addition.
            let left = |status| changes.iter().filter(|c| c.status == status).count();
            let sources = left(Status::Deleted) + left(Status::Renamed);
            let rename_limit = limit
                .filter(|&l| sources > l && left(Status::Added) > 0)
                .map(|l| LimitHit {
                    limit: l,
                    sources: left(Status::Deleted),
                    destinations: left(Status::Added),
                });
            Ok(Diff {
                changes,
                rename_limit,
            })
        }
    }
}

/// Commit to commit, the fast way (git's own): walk both trees, descending only into subtrees
/// whose ids differ, then pair deletions and additions into renames as `git diff -M` does
/// ([`rename`]). libgit2's plain tree diff reads every entry of both trees
/// however little changed, and its rename detection compares every deletion with every
/// addition with a costlier signature, exact renames included.
fn commit_changes(repo: &Repository, base: Option<&Tree<'_>>, head: &Tree<'_>) -> Result<Diff> {
    let mut entries = Vec::new();
    walk(repo, base, Some(head), &mut Vec::new(), &mut entries)?;
    let mut out = Vec::with_capacity(entries.len());
    let mut added: Vec<Candidate> = Vec::new();
    let mut deleted: Vec<Candidate> = Vec::new();
    for entry in entries {
        match (entry.old, entry.new) {
            (None, Some((id, mode))) => added.push(Candidate {
                path: entry.path,
                id,
                mode,
            }),
            (Some((id, mode)), None) => deleted.push(Candidate {
                path: entry.path,
                id,
                mode,
            }),
            (Some(old), Some(new)) => out.push(Change {
                status: if kind_of(old.1) == kind_of(new.1) {
                    Status::Modified
                } else {
                    Status::TypeChanged
                },
                path: RepoPath::new(entry.path),
                old_path: None,
            }),
            (None, None) => {}
        }
    }

    let pairing = rename::pair(repo, &deleted, &added, || rename::limit_of(repo))?;
    let mut source_of: Vec<Option<usize>> = vec![None; added.len()];
    let mut paired = vec![false; deleted.len()];
    for &(source, destination) in &pairing.pairs {
        source_of[destination] = Some(source);
        paired[source] = true;
    }
    let mut deleted: Vec<Option<Vec<u8>>> = deleted.into_iter().map(|d| Some(d.path)).collect();
    for (a, source) in added.into_iter().zip(source_of) {
        let old_path = source.and_then(|s| deleted[s].take());
        out.push(Change {
            status: if old_path.is_some() {
                Status::Renamed
            } else {
                Status::Added
            },
            path: RepoPath::new(a.path),
            old_path: old_path.map(RepoPath::new),
        });
    }
    for (path, used) in deleted.into_iter().zip(paired) {
        if let (Some(path), false) = (path, used) {
            out.push(Change {
                status: Status::Deleted,
                path: RepoPath::new(path),
                old_path: None,
            });
        }
    }
    // Byte order of full paths is git's order.
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Diff {
        changes: out,
        rename_limit: pairing.limit_hit,
    })
}

/// The working tree through libgit2 alone (and, in tests, any diff, to check the fast way).
#[cfg(test)]
fn libgit2_changes(
    repo: &Repository,
    base: Option<&Tree<'_>>,
    head: HeadTree,
) -> Result<Vec<Change>> {
    libgit2_changes_limited(repo, base, head, rename::limit_of(repo))
}

fn libgit2_changes_limited(
    repo: &Repository,
    base: Option<&Tree<'_>>,
    head: HeadTree,
    limit: Option<usize>,
) -> Result<Vec<Change>> {
    let mut options = DiffOptions::new();
    options
        .include_typechange(true)
        .ignore_submodules(false)
        .ignore_filemode(false);
    let mut diff = match head {
        HeadTree::Commit(oid) => {
            let head_tree = tree_of(repo, oid)?;
            repo.diff_tree_to_tree(base, Some(&head_tree), Some(&mut options))
                .map_err(Error::git("diff the base and head trees"))?
        }
        HeadTree::WorkingTree => {
            options
                .include_untracked(true)
                .recurse_untracked_dirs(true)
                .include_ignored(false);
            repo.diff_tree_to_workdir_with_index(base, Some(&mut options))
                .map_err(Error::git("diff the base tree and the working tree"))?
        }
    };
    let mut find = DiffFindOptions::new();
    // Exact and similar renames; copies are not followed (a copy leaves its source unchanged).
    // Past libgit2's rename limit a rename shows as a deletion plus an addition, which routes
    // to the same targets, so the limit costs precision of the status, never a target.
    find.renames(true);
    if let Some(limit) = limit {
        find.rename_limit(limit);
    }
    diff.find_similar(Some(&mut find))
        .map_err(Error::git("detect renames"))?;

    let mut out = Vec::with_capacity(diff.deltas().len());
    for delta in diff.deltas() {
        let new_path = delta.new_file().path_bytes().map(RepoPath::new);
        let old_path = delta.old_file().path_bytes().map(RepoPath::new);
        let (status, path, old) = match delta.status() {
            Delta::Added | Delta::Untracked => (Status::Added, new_path, None),
            Delta::Deleted => (Status::Deleted, old_path, None),
            Delta::Modified => (Status::Modified, new_path, None),
            Delta::Renamed => (Status::Renamed, new_path, old_path),
            Delta::Copied => (Status::Added, new_path, None),
            Delta::Typechange => (Status::TypeChanged, new_path, None),
            // Unmodified, ignored and unreadable entries are not changes; a conflicted entry
            // in the working tree is reported as modified so it is never silently dropped.
            Delta::Conflicted => (Status::Modified, new_path.or(old_path), None),
            Delta::Unmodified | Delta::Ignored | Delta::Unreadable => continue,
        };
        let Some(path) = path else { continue };
        out.push(Change {
            status,
            path,
            old_path: old,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn tree_of(repo: &Repository, oid: Oid) -> Result<Tree<'_>> {
    repo.find_commit(oid)
        .and_then(|c| c.tree())
        .map_err(Error::git(format!("read the tree of commit {oid}")))
}

/// A non-tree path that differs: its (id, mode) before and after.
#[derive(Debug)]
struct Entry {
    path: Vec<u8>,
    old: Option<(Oid, i32)>,
    new: Option<(Oid, i32)>,
}

const MODE_TREE: i32 = 0o040000;
const MODE_LINK: i32 = 0o120000;
const MODE_GITLINK: i32 = 0o160000;

/// What an entry is, for telling a type change from a modification.
fn kind_of(mode: i32) -> i32 {
    match mode {
        MODE_LINK | MODE_GITLINK | MODE_TREE => mode,
        _ => 0o100000,
    }
}

/// Appends every non-tree path under `prefix` that differs between `old` and `new` (either may
/// be absent), descending only into subtrees whose ids differ.
fn walk(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
    prefix: &mut Vec<u8>,
    out: &mut Vec<Entry>,
) -> Result<()> {
    // Both entry lists are in git's tree order, so one merge pass pairs them: no hashing, no
    // copied names.
    let old_entries: Vec<git2::TreeEntry<'_>> = old.map(|t| t.iter().collect()).unwrap_or_default();
    let new_entries: Vec<git2::TreeEntry<'_>> = new.map(|t| t.iter().collect()).unwrap_or_default();
    let mut visit =
        |name: &[u8], before: Option<(Oid, i32)>, after: Option<(Oid, i32)>| -> Result<()> {
            if before == after {
                return Ok(());
            }
            let len = prefix.len();
            prefix.extend_from_slice(name);
            let is_tree = |e: Option<(Oid, i32)>| e.filter(|(_, m)| *m == MODE_TREE);
            let old_tree = match is_tree(before) {
                Some((id, _)) => Some(find_tree(repo, id)?),
                None => None,
            };
            let new_tree = match is_tree(after) {
                Some((id, _)) => Some(find_tree(repo, id)?),
                None => None,
            };
            let old_file = before.filter(|(_, m)| *m != MODE_TREE);
            let new_file = after.filter(|(_, m)| *m != MODE_TREE);
            if old_file.is_some() || new_file.is_some() {
                out.push(Entry {
                    path: prefix.clone(),
                    old: old_file,
                    new: new_file,
                });
            }
            if old_tree.is_some() || new_tree.is_some() {
                prefix.push(b'/');
                walk(repo, old_tree.as_ref(), new_tree.as_ref(), prefix, out)?;
            }
            prefix.truncate(len);
            Ok(())
        };
    let (mut i, mut j) = (0, 0);
    let key = |e: &git2::TreeEntry<'_>| (e.id(), e.filemode());
    while i < old_entries.len() || j < new_entries.len() {
        let order = match (old_entries.get(i), new_entries.get(j)) {
            (Some(a), Some(b)) => tree_order(a, b),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, _) => std::cmp::Ordering::Greater,
        };
        match order {
            std::cmp::Ordering::Equal => {
                let (a, b) = (&old_entries[i], &new_entries[j]);
                visit(a.name_bytes(), Some(key(a)), Some(key(b)))?;
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Less => {
                let a = &old_entries[i];
                visit(a.name_bytes(), Some(key(a)), None)?;
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                let b = &new_entries[j];
                visit(b.name_bytes(), None, Some(key(b)))?;
                j += 1;
            }
        }
    }
    Ok(())
}

/// git's tree order: names compared bytewise, a tree's name as if it ended in `/`. A file and a
/// tree of the same name are two different entries (a type change shows as a deletion and an
/// addition of everything under the tree).
fn tree_order(a: &git2::TreeEntry<'_>, b: &git2::TreeEntry<'_>) -> std::cmp::Ordering {
    let suffix = |e: &git2::TreeEntry<'_>| {
        if e.filemode() == MODE_TREE {
            Some(b'/')
        } else {
            None
        }
    };
    let (an, bn) = (a.name_bytes(), b.name_bytes());
    an.iter()
        .copied()
        .chain(suffix(a))
        .cmp(bn.iter().copied().chain(suffix(b)))
}

fn find_tree(repo: &Repository, id: Oid) -> Result<Tree<'_>> {
    repo.find_tree(id)
        .map_err(Error::git(format!("read the tree {id}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: i32 = 0o100644;
    const EXEC: i32 = 0o100755;
    const LINK: i32 = 0o120000;
    const GITLINK: i32 = 0o160000;

    /// A file of a test tree: path, mode, content.
    type Entry<'a> = (&'a str, i32, &'a [u8]);

    /// Builds a tree from its files; a gitlink's content is hashed for its id.
    fn tree(repo: &Repository, files: &[Entry<'_>]) -> Oid {
        let mut here = repo.treebuilder(None).unwrap();
        let mut dirs: std::collections::BTreeMap<&str, Vec<Entry<'_>>> = Default::default();
        for &(path, mode, content) in files {
            match path.split_once('/') {
                Some((dir, rest)) => dirs.entry(dir).or_default().push((rest, mode, content)),
                None => {
                    let id = if mode == GITLINK {
                        Oid::hash_object(git2::ObjectType::Commit, content).unwrap()
                    } else {
                        repo.blob(content).unwrap()
                    };
                    here.insert(path, id, mode).unwrap();
                }
            }
        }
        for (dir, entries) in dirs {
            here.insert(dir, tree(repo, &entries), 0o040000).unwrap();
        }
        here.write().unwrap()
    }

    fn commit(repo: &Repository, files: &[Entry<'_>]) -> Oid {
        let tree = repo.find_tree(tree(repo, files)).unwrap();
        let sig = git2::Signature::now("t", "t@example.invalid").unwrap();
        repo.commit(None, &sig, &sig, "c", &tree, &[]).unwrap()
    }

    #[test]
    fn the_fast_path_agrees_with_libgit2_alone() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let long: Vec<u8> = (0..40)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let mut longer = long.clone();
        longer.extend_from_slice(b"one more\n");
        let mut base: Vec<(String, i32, Vec<u8>)> = (0..30)
            .map(|i| (format!("big/f{i}.txt"), FILE, format!("{i}").into_bytes()))
            .collect();
        let mut head = base.clone();
        // Kept, changed in place, replaced by the other kind, re-moded, removed or added whole,
        // renamed exactly or with an edit, turned into a symlink, and `a-b` next to a new `a/`,
        // whose order differs between paths and tree entries.
        let both = [
            ("deep/x/y/z.txt", FILE, b"z".to_vec()),
            ("keep", FILE, b"keep".to_vec()),
        ];
        let only_base = [
            ("deep/x/y/w.txt", FILE, b"w1".to_vec()),
            ("swap", FILE, b"file".to_vec()),
            ("swap2/a", FILE, b"a".to_vec()),
            ("swap2/b/c", FILE, b"c".to_vec()),
            ("tool.sh", FILE, b"#!/bin/sh".to_vec()),
            ("gone/sub/a.txt", FILE, b"gone".to_vec()),
            ("link", LINK, b"target-one".to_vec()),
            ("sub", GITLINK, b"one".to_vec()),
            ("moved/old.txt", FILE, long.clone()),
            ("mv2.txt", FILE, long[..200].to_vec()),
            ("tc", FILE, b"was a file".to_vec()),
            ("a-b", FILE, b"sorts before a/".to_vec()),
        ];
        let only_head = [
            ("deep/x/y/w.txt", FILE, b"w2".to_vec()),
            ("swap/inner.txt", FILE, b"now a dir".to_vec()),
            ("swap2", FILE, b"now a file".to_vec()),
            ("tool.sh", EXEC, b"#!/bin/sh".to_vec()),
            ("fresh/sub/b.txt", FILE, b"fresh".to_vec()),
            ("link", LINK, b"target-two".to_vec()),
            ("sub", GITLINK, b"two".to_vec()),
            ("elsewhere/new.txt", FILE, long.clone()),
            ("other/mv2.txt", FILE, longer[..210].to_vec()),
            ("tc", LINK, b"now a link".to_vec()),
            ("a-b", FILE, b"changed".to_vec()),
            ("a/x", FILE, b"new dir named a".to_vec()),
        ];
        for (p, m, c) in &both {
            base.push(((*p).into(), *m, c.clone()));
            head.push(((*p).into(), *m, c.clone()));
        }
        base.extend(
            only_base
                .iter()
                .map(|(p, m, c)| ((*p).into(), *m, c.clone())),
        );
        head.extend(
            only_head
                .iter()
                .map(|(p, m, c)| ((*p).into(), *m, c.clone())),
        );
        let base_refs: Vec<Entry<'_>> = base
            .iter()
            .map(|(p, m, c)| (p.as_str(), *m, c.as_slice()))
            .collect();
        let head_refs: Vec<Entry<'_>> = head
            .iter()
            .map(|(p, m, c)| (p.as_str(), *m, c.as_slice()))
            .collect();
        let b = commit(&repo, &base_refs);
        let h = commit(&repo, &head_refs);

        for (from, to) in [(b, h), (h, b)] {
            let narrowed = changes(&repo, Some(from), HeadTree::Commit(to)).unwrap();
            let base_tree = tree_of(&repo, from).unwrap();
            let full = libgit2_changes(&repo, Some(&base_tree), HeadTree::Commit(to)).unwrap();
            assert_eq!(narrowed, full);
            assert!(full.iter().filter(|c| c.status == Status::Renamed).count() >= 2);
            assert!(full.iter().any(|c| c.status == Status::TypeChanged));
        }
        let same = commit(&repo, &base_refs);
        assert_eq!(changes(&repo, Some(b), HeadTree::Commit(same)).unwrap(), []);
    }
}
