//! Where a `COPY`/`ADD` source leads through symbolic links, in one commit's tree.
//!
//! BuildKit and Buildah follow a link that a source names, or that sits on the way to it
//! (`COPY link/foo .`), and resolve it inside the context: an absolute target or one that
//! climbs out with `..` lands on `<context>/<the target's path>`, as `FollowSymlinkInScope`
//! does. Links *inside* a copied directory are copied as links and are not followed, so only
//! the entries a source pattern itself matches are resolved here. Both the file a link leads
//! to and every link on the way are read by the build. A cycle or a link to nothing is a
//! [`LinkProblem`]: the caller widens to the whole context.
//!
//! It reads through a [`Snapshot`] only and decides nothing about routing.

use crate::analysis::docker::gomatch::GoGlob;
use crate::analysis::snapshot::{EntryKind, Snapshot};
use crate::error::Result;

/// How many links one resolution may follow before it is called a cycle (Linux's `ELOOP`).
const MAX_LINKS: usize = 40;

/// What one source pattern reads through links, as paths relative to the context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Followed {
    /// Where the links lead: a file, or a directory read with everything under it.
    pub targets: Vec<String>,
    /// The links passed on the way (the ones the pattern names included).
    pub links: Vec<String>,
}

/// Why a source cannot be followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LinkProblem {
    /// The link, relative to the context.
    pub link: String,
    /// `a cycle of links` or `a link to nothing`.
    pub what: &'static str,
}

/// Follows the links that `pattern` (cleaned, relative to the context, Go `filepath.Match`
/// syntax, not `.`) reaches in the `context` folder of `snapshot`.
pub(crate) fn follow(
    snapshot: &dyn Snapshot,
    context: &str,
    pattern: &str,
) -> Result<std::result::Result<Followed, LinkProblem>> {
    let mut followed = Followed::default();
    // Each candidate: its real path (links resolved) and whether a link led there.
    let mut candidates = vec![(String::new(), false)];
    let components: Vec<&str> = pattern.split('/').collect();
    for (index, component) in components.iter().enumerate() {
        let Ok(glob) = GoGlob::parse(component) else {
            // The Dockerfile reader already widened on a bad pattern.
            return Ok(Ok(followed));
        };
        let last = index + 1 == components.len();
        let mut next = Vec::new();
        for (real, via_link) in &candidates {
            for (name, kind) in snapshot.list(&join(context, real))? {
                // Only a link, or where one leads, matters: a plain file or folder the pattern
                // reads without passing a link is covered by the pattern itself. Most
                // sources name no link, and then nothing is matched here at all.
                let wanted = match kind {
                    EntryKind::Symlink => true,
                    EntryKind::Dir => !last || *via_link,
                    _ => last && *via_link,
                };
                if !wanted || !glob.matches(&name) {
                    continue;
                }
                let path = join(real, &name);
                if kind != EntryKind::Symlink {
                    next.push((path, *via_link));
                    continue;
                }
                match resolve(snapshot, context, &path, &mut followed.links)? {
                    Ok(target) => next.push((target, true)),
                    Err(what) => return Ok(Err(LinkProblem { link: path, what })),
                }
            }
        }
        candidates = next;
        if candidates.is_empty() {
            break;
        }
    }
    followed.targets = candidates
        .into_iter()
        .filter_map(|(real, via_link)| via_link.then_some(real))
        .collect();
    Ok(Ok(followed))
}

/// Resolves every link of `path` (relative to the context) inside the context root, recording
/// each link passed in `links`; the error says why it cannot be resolved.
fn resolve(
    snapshot: &dyn Snapshot,
    context: &str,
    path: &str,
    links: &mut Vec<String>,
) -> Result<std::result::Result<String, &'static str>> {
    let mut todo: Vec<String> = path.rsplit('/').map(str::to_owned).collect();
    let mut resolved: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(part) = todo.pop() {
        match part.as_str() {
            "" | "." => continue,
            ".." => {
                // Nothing is above the context root.
                resolved.pop();
                continue;
            }
            _ => {}
        }
        let parent = resolved.join("/");
        let kind = snapshot
            .list(&join(context, &parent))?
            .into_iter()
            .find(|(name, _)| *name == part)
            .map(|(_, kind)| kind);
        let here = join(&parent, &part);
        match kind {
            None => return Ok(Err("a link to nothing")),
            Some(EntryKind::Symlink) => {
                hops += 1;
                if hops > MAX_LINKS {
                    return Ok(Err("a cycle of links"));
                }
                if !links.contains(&here) {
                    links.push(here.clone());
                }
                let Some(target) = snapshot.read(&join(context, &here))? else {
                    return Ok(Err("a link to nothing"));
                };
                let target = String::from_utf8_lossy(&target).into_owned();
                if target.starts_with('/') {
                    resolved.clear();
                }
                todo.extend(target.rsplit('/').map(str::to_owned));
            }
            Some(_) => resolved.push(part),
        }
    }
    Ok(Ok(resolved.join("/")))
}

fn join(dir: &str, name: &str) -> String {
    match (dir, name) {
        ("" | ".", _) => name.to_owned(),
        (_, "") => dir.to_owned(),
        _ => format!("{dir}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::snapshot::MemorySnapshot;

    fn tree() -> MemorySnapshot {
        MemorySnapshot::new([
            ("ctx/bar", "b"),
            ("ctx/releases/v2/a", "a"),
            ("ctx/sub/foo", "s"),
            ("ctx/etc/conf", "c"),
        ])
        .with_links([
            ("ctx/foo", "bar"),
            ("ctx/current", "releases/v2"),
            ("ctx/l1", "second"),
            ("ctx/second", "bar"),
            ("ctx/link", "sub"),
            ("ctx/abs", "/etc/conf"),
            ("ctx/up", "../../../etc/conf"),
            ("ctx/loop", "loop2"),
            ("ctx/loop2", "loop"),
            ("ctx/dangling", "nope"),
        ])
    }

    fn follows(pattern: &str) -> std::result::Result<Followed, LinkProblem> {
        follow(&tree(), "ctx", pattern).unwrap()
    }

    fn followed(targets: &[&str], links: &[&str]) -> std::result::Result<Followed, LinkProblem> {
        Ok(Followed {
            targets: targets.iter().map(|s| s.to_string()).collect(),
            links: links.iter().map(|s| s.to_string()).collect(),
        })
    }

    #[test]
    fn links_resolve_inside_the_context() {
        assert_eq!(follows("bar"), followed(&[], &[]));
        assert_eq!(follows("foo"), followed(&["bar"], &["foo"]));
        assert_eq!(follows("current"), followed(&["releases/v2"], &["current"]));
        assert_eq!(follows("l1"), followed(&["bar"], &["l1", "second"]));
        assert_eq!(follows("link/foo"), followed(&["sub/foo"], &["link"]));
        assert_eq!(follows("abs"), followed(&["etc/conf"], &["abs"]));
        assert_eq!(follows("up"), followed(&["etc/conf"], &["up"]));
        assert_eq!(follows("missing"), followed(&[], &[]));
    }

    #[test]
    fn a_glob_follows_the_links_it_matches() {
        let Ok(found) = follows("[cf]*") else {
            panic!("no problem expected")
        };
        assert_eq!(found.targets, ["releases/v2", "bar"]);
    }

    #[test]
    fn cycles_and_dangling_links_are_problems() {
        assert_eq!(
            follows("loop"),
            Err(LinkProblem {
                link: "loop".into(),
                what: "a cycle of links"
            })
        );
        assert_eq!(
            follows("dangling"),
            Err(LinkProblem {
                link: "dangling".into(),
                what: "a link to nothing"
            })
        );
    }
}
