//! Symbolic links in a snapshot, resolved the way Terraform sees them through the file system:
//! a `providers.tf` linked from a shared folder, or a module folder that is a link.
//!
//! Resolution is lexical over the snapshot's own entries (a link's text is read through
//! [`Snapshot::read`]), so it works on a git tree. It must not touch the file system. A link
//! that leaves the repository or loops has no repository path; the caller warns.

use std::collections::VecDeque;

use super::repo_path::{join, parent};
use crate::analysis::snapshot::{EntryKind, Snapshot};
use crate::error::Result;

/// Linux gives up after 40 links in one path; so does this.
const MAX_LINKS: usize = 40;

/// Where a path really is, and the links passed on the way (each a repository path whose
/// change changes what the path names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolution {
    pub path: String,
    pub links: Vec<String>,
}

/// `path` with every link in it followed, or `None` when a link leaves the repository or
/// there are too many of them (a loop).
pub(crate) fn resolve(snapshot: &dyn Snapshot, path: &str) -> Result<Option<Resolution>> {
    let mut pending: VecDeque<String> = path
        .split('/')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    let mut done = String::new();
    let mut links = Vec::new();
    while let Some(part) = pending.pop_front() {
        match part.as_str() {
            "." => continue,
            ".." if done.is_empty() => return Ok(None),
            ".." => {
                done = parent(&done).to_owned();
                continue;
            }
            _ => {}
        }
        let Some(candidate) = join(&done, &part) else {
            return Ok(None);
        };
        let is_link = snapshot.kind_of(&done, &part)? == Some(EntryKind::Symlink);
        if !is_link {
            done = candidate;
            continue;
        }
        if links.len() == MAX_LINKS {
            return Ok(None);
        }
        let target = snapshot
            .read(&candidate)?
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        links.push(candidate);
        if target.starts_with('/') {
            return Ok(None);
        }
        // The link's text replaces its name, relative to the folder that holds it.
        for piece in target.rsplit('/').filter(|p| !p.is_empty()) {
            pending.push_front(piece.to_owned());
        }
    }
    Ok(Some(Resolution { path: done, links }))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::analysis::snapshot::MemorySnapshot;

    /// Files in memory plus symlinks (path -> target text), which `MemorySnapshot` cannot
    /// express.
    #[derive(Debug)]
    pub(crate) struct LinkedSnapshot {
        pub files: MemorySnapshot,
        pub links: Vec<(&'static str, &'static str)>,
    }

    impl Snapshot for LinkedSnapshot {
        fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
            match self.links.iter().find(|(link, _)| *link == path) {
                Some((_, target)) => Ok(Some(target.as_bytes().to_vec())),
                None => self.files.read(path),
            }
        }

        fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
            let mut entries = self.files.list(dir)?;
            for (link, _) in &self.links {
                if parent(link) == dir.trim_matches('/') {
                    let name = link.rsplit('/').next().unwrap_or(link).to_owned();
                    entries.retain(|(n, _)| *n != name);
                    entries.push((name, EntryKind::Symlink));
                }
            }
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(entries)
        }
    }

    #[test]
    fn follows_file_and_folder_links() {
        let snapshot = LinkedSnapshot {
            files: MemorySnapshot::new([("shared/providers.tf", ""), ("real/net/main.tf", "")]),
            links: vec![
                ("envs/prod/providers.tf", "../../shared/providers.tf"),
                ("modules", "real"),
                ("loop/a", "b"),
                ("loop/b", "a"),
                ("out/x", "../../elsewhere"),
                ("abs/x", "/etc"),
            ],
        };
        let got = |p: &str| resolve(&snapshot, p).unwrap();
        assert_eq!(
            got("envs/prod/providers.tf"),
            Some(Resolution {
                path: "shared/providers.tf".into(),
                links: vec!["envs/prod/providers.tf".into()]
            })
        );
        assert_eq!(
            got("modules/net"),
            Some(Resolution {
                path: "real/net".into(),
                links: vec!["modules".into()]
            })
        );
        assert_eq!(got("real/net/main.tf").map(|r| r.links), Some(Vec::new()));
        assert_eq!(got("loop/a"), None);
        assert_eq!(got("out/x"), None);
        assert_eq!(got("abs/x"), None);
    }
}
