//! The changed paths between two commits (or a commit and the working tree), through git2.
//!
//! Tree-to-tree with rename detection: each change has a status, a path and, for renames, the
//! old path, all as raw bytes. A submodule bump is a modified path. This file and `range` are
//! the only users of git2; nothing here decides routing.

use git2::{Delta, DiffFindOptions, DiffOptions, Oid, Repository};
use serde::Serialize;

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

/// What to compare the base with.
#[derive(Debug, Clone, Copy)]
pub enum Side {
    /// A commit's tree.
    Commit(Oid),
    /// The working tree with the index: staged, unstaged and untracked-but-not-ignored changes.
    WorkingTree,
}

/// The changes from `base` (none: the empty tree, for a repository's first commit) to `head`.
pub fn changes(repo: &Repository, base: Option<Oid>, head: Side) -> Result<Vec<Change>> {
    let base_tree = match base {
        Some(oid) => Some(tree_of(repo, oid)?),
        None => None,
    };
    let mut options = DiffOptions::new();
    options
        .include_typechange(true)
        .ignore_submodules(false)
        .ignore_filemode(false);
    let mut diff = match head {
        Side::Commit(oid) => {
            let head_tree = tree_of(repo, oid)?;
            repo.diff_tree_to_tree(base_tree.as_ref(), Some(&head_tree), Some(&mut options))
                .map_err(Error::git("diff the base and head trees"))?
        }
        Side::WorkingTree => {
            options
                .include_untracked(true)
                .recurse_untracked_dirs(true)
                .include_ignored(false);
            repo.diff_tree_to_workdir_with_index(base_tree.as_ref(), Some(&mut options))
                .map_err(Error::git("diff the base tree and the working tree"))?
        }
    };
    let mut find = DiffFindOptions::new();
    // Exact and similar renames; copies are not followed (a copy leaves its source unchanged).
    // Past libgit2's rename limit a rename shows as a deletion plus an addition, which routes
    // to the same targets, so the limit costs precision of the status, never a target.
    find.renames(true);
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
    Ok(out)
}

fn tree_of(repo: &Repository, oid: Oid) -> Result<git2::Tree<'_>> {
    repo.find_commit(oid)
        .and_then(|c| c.tree())
        .map_err(Error::git(format!("read the tree of commit {oid}")))
}
