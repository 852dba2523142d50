//! Lexical arithmetic on repository paths (`/`-separated, relative to the repository root, `""`
//! for the root itself): joining a relative path onto a directory, and asking whether a path
//! lies under a directory.
//!
//! It must not look at a snapshot or follow symlinks: Terraform resolves local module sources
//! and `path.module`-relative reads lexically, and so does this. A path that climbs above the
//! repository root has no repository path, which the callers report as a warning.

/// `rel` resolved against the directory `base`, cleaned (`.` and empty segments dropped, `..`
/// eating the segment before it). `None` when the result would leave the repository, or when
/// `rel` is absolute (an absolute path never names a file of the repository).
pub(crate) fn join(base: &str, rel: &str) -> Option<String> {
    if rel.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in base.split('/').chain(rel.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                // Nothing is above the repository root for our purposes: climbing past it
                // means the path names something that no diff of this repository can show.
                parts.pop()?;
            }
            _ => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// The directory part of a path: everything before the last `/`, or `""` at the top.
pub(crate) fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// `path` relative to `dir` when it lies strictly under it (`dir` `""` holds everything).
pub(crate) fn strip_dir<'p>(dir: &str, path: &'p str) -> Option<&'p str> {
    if dir.is_empty() {
        return (!path.is_empty()).then_some(path);
    }
    path.strip_prefix(dir)?
        .strip_prefix('/')
        .filter(|rest| !rest.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_cleans_and_refuses_to_leave_the_repository() {
        for (base, rel, want) in [
            (
                "terraform/envs/prod",
                "../../modules/net",
                Some("terraform/modules/net"),
            ),
            (
                "terraform/envs/prod",
                "./modules//net/",
                Some("terraform/envs/prod/modules/net"),
            ),
            ("terraform/envs/prod", ".", Some("terraform/envs/prod")),
            ("terraform/envs/prod", "../../..", Some("")),
            ("terraform/envs/prod", "../../../..", None),
            ("terraform/envs/prod", "../../../../outside", None),
            ("", "a/./b", Some("a/b")),
            ("a", "/etc/passwd", None),
        ] {
            assert_eq!(join(base, rel).as_deref(), want, "join({base:?}, {rel:?})");
        }
    }

    #[test]
    fn parent_and_strip_dir() {
        assert_eq!(parent("a/b/c.tf"), "a/b");
        assert_eq!(parent("c.tf"), "");
        assert_eq!(strip_dir("a/b", "a/b/c.tf"), Some("c.tf"));
        assert_eq!(strip_dir("a/b", "a/bc/d.tf"), None);
        assert_eq!(strip_dir("a/b", "a/b"), None);
        assert_eq!(strip_dir("", "x.tf"), Some("x.tf"));
    }
}
