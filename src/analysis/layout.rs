//! Discovering targets from a repository's layout: one `ecs-service` target per Dockerfile and
//! one `terraform` target per root configuration (a folder whose `.tf` files declare a provider
//! or a backend, and that no other root calls as a module). Used by `quest-changes config init`
//! and, in a repository without a configuration file, as its configuration (from `HEAD`).
//!
//! Reads only through a [`Snapshot`]; writes nothing (the caller writes the file).

use std::collections::BTreeSet;

use indexmap::IndexMap;

use crate::analysis::snapshot::Snapshot;
use crate::config::{BuildFile, ConfigFile, ServiceTargetFile, TargetFile, TerraformTargetFile};
use crate::error::Result;

/// Folders never searched: dependencies and caches, not the project's own sources.
const SKIPPED: [&str; 5] = ["node_modules", ".terraform", "vendor", "target", ".git"];

/// Where a configuration discovered from the layout says it came from.
pub const DISCOVERED: &str = "<discovered from the repository layout>";

/// A configuration with the targets the layout suggests, in path order (services first), each
/// named after its folder. Only paths for which `keep` is true are considered; `default_branch`
/// is the repository's (see [`crate::detect::range::default_branch`]).
pub fn discover(
    snapshot: &dyn Snapshot,
    keep: &dyn Fn(&str) -> bool,
    default_branch: &str,
) -> Result<ConfigFile> {
    let files: Vec<String> = snapshot
        .walk("")?
        .into_iter()
        .filter(|p| !p.split('/').any(|segment| SKIPPED.contains(&segment)) && keep(p))
        .collect();
    let mut targets: IndexMap<String, TargetFile> = IndexMap::new();

    for dockerfile in files.iter().filter(|p| is_dockerfile(file_name(p))) {
        let context = parent(dockerfile);
        let default_name = if context == "." {
            "Dockerfile".to_owned()
        } else {
            format!("{context}/Dockerfile")
        };
        let name = unique(&mut targets, &names("", "service", &context));
        targets.insert(
            name,
            TargetFile::EcsService(Box::new(ServiceTargetFile {
                build: Some(BuildFile {
                    context: Some(context.clone()),
                    dockerfile: (*dockerfile != default_name).then(|| dockerfile.clone()),
                    ..BuildFile::default()
                }),
                ..ServiceTargetFile::default()
            })),
        );
    }

    let mut candidates: BTreeSet<String> = BTreeSet::new();
    for tf in files.iter().filter(|p| p.ends_with(".tf")) {
        let dir = parent(tf);
        if candidates.contains(&dir) {
            continue;
        }
        if let Some(bytes) = snapshot.read(tf)? {
            if crate::analysis::module_graph::root_marker::declares_root(&String::from_utf8_lossy(
                &bytes,
            )) {
                candidates.insert(dir);
            }
        }
    }
    // A folder some other root calls as a module is a module, whatever it declares.
    let mut called: BTreeSet<String> = BTreeSet::new();
    for root in &candidates {
        let deps = crate::analysis::module_graph::analyze(snapshot, root)?;
        // The analysis spells the top folder `""`; candidates spell it `.`.
        called.extend(
            deps.modules
                .iter()
                .map(|m| {
                    if m.dir.is_empty() {
                        ".".to_owned()
                    } else {
                        m.dir.clone()
                    }
                })
                .filter(|d| d != root),
        );
    }
    for root in candidates.difference(&called) {
        let name = unique(&mut targets, &names("infra-", "infra", root));
        targets.insert(
            name,
            TargetFile::Terraform(Box::new(TerraformTargetFile {
                root: Some(root.clone()),
                ..TerraformTargetFile::default()
            })),
        );
    }
    Ok(ConfigFile {
        version: crate::config::SUPPORTED_VERSION,
        default_branch: default_branch.to_owned(),
        environments: indexmap::IndexMap::new(),
        targets,
    })
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn parent(path: &str) -> String {
    path.rsplit_once('/')
        .map_or(".".to_owned(), |(dir, _)| dir.to_owned())
}

/// `Dockerfile`, `Dockerfile.prod`, `api.Dockerfile`; not `Dockerfile.dockerignore`.
fn is_dockerfile(name: &str) -> bool {
    (name == "Dockerfile" || name.starts_with("Dockerfile.") || name.ends_with(".Dockerfile"))
        && !name.ends_with(".dockerignore")
}

/// Folder names that say what kind of thing is inside, not which one.
const GENERIC: [&str; 6] = [".", "terraform", "tf", "infra", "infrastructure", "deploy"];

/// Candidate names for a target in folder `dir`, best first: `prefix` and the last folder name
/// that says which one it is (`terraform/environments/dev` -> `infra-dev`, `.state/terraform`
/// -> `infra-state`), then every such folder name joined (`a/x/terraform` beside `b/x/terraform`
/// -> `infra-a-x`); `bare` when no folder says (`terraform`, the repository root).
fn names(prefix: &str, bare: &str, dir: &str) -> Vec<String> {
    let specific: Vec<String> = dir
        .split('/')
        .filter(|segment| !GENERIC.contains(&segment.to_ascii_lowercase().as_str()))
        .map(sanitize)
        .filter(|name| name != "target")
        .collect();
    let mut out = Vec::new();
    match specific.last() {
        None => out.push(bare.to_owned()),
        Some(last) => {
            out.push(format!("{prefix}{last}"));
            out.push(format!("{prefix}{}", specific.join("-")));
        }
    }
    out
}

/// Target names take letters, digits, `-` and `_`.
fn sanitize(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = cleaned.trim_matches('-');
    if trimmed.is_empty() {
        "target".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// The first of `names` not yet taken (also as a CircleCI parameter name), else the first
/// with `-2`, `-3`, ...
fn unique(targets: &mut IndexMap<String, TargetFile>, names: &[String]) -> String {
    let taken = |candidate: &str| {
        targets
            .keys()
            .any(|k| k.replace('-', "_") == candidate.replace('-', "_"))
    };
    if let Some(free) = names.iter().find(|n| !taken(n)) {
        return free.clone();
    }
    let first = names.first().map_or("target", String::as_str);
    (2..)
        .map(|n| format!("{first}-{n}"))
        .find(|candidate| !taken(candidate))
        .unwrap_or_else(|| first.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::snapshot::MemorySnapshot;

    #[test]
    fn services_and_roots_that_no_root_calls() {
        let snapshot = MemorySnapshot::new([
            ("app/Dockerfile", "FROM scratch\n"),
            ("services/api/Dockerfile", "FROM scratch\n"),
            ("services/api/Dockerfile.dockerignore", "x\n"),
            ("tools/api/build.Dockerfile", "FROM scratch\n"),
            ("node_modules/x/Dockerfile", "FROM scratch\n"),
            ("terraform/environments/prod/main.tf", "terraform {\n  backend \"s3\" {}\n}\nmodule \"net\" {\n  source = \"../../modules/net\"\n}\n"),
            ("terraform/environments/dev/main.tf", "provider \"aws\" {}\n"),
            ("terraform/modules/net/main.tf", "provider \"aws\" {}\n"),
            ("terraform/modules/plain/main.tf", "resource \"x\" \"y\" {}\n"),
        ]);
        let config = discover(&snapshot, &|_| true, "main").unwrap();
        let names: Vec<&str> = config.targets.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            ["app", "api", "tools-api", "infra-dev", "infra-prod"]
        );
        let api2 = &config.targets["tools-api"];
        assert_eq!(
            api2.build().and_then(|b| b.dockerfile.as_deref()),
            Some("tools/api/build.Dockerfile")
        );
        assert_eq!(
            config.targets["infra-prod"].root(),
            Some("terraform/environments/prod")
        );
    }

    #[test]
    fn the_top_folder_is_a_root_unless_a_root_calls_it() {
        let example = "provider \"aws\" {}\nmodule \"this\" {\n  source = \"../../\"\n}\n";
        let top = ("main.tf", "provider \"aws\" {}\n");
        let alone = discover(&MemorySnapshot::new([top]), &|_| true, "main").unwrap();
        let roots: Vec<Option<&str>> = alone.targets.values().map(|t| t.root()).collect();
        assert_eq!(roots, [Some(".")]);
        let called = MemorySnapshot::new([top, ("examples/complete/main.tf", example)]);
        let config = discover(&called, &|_| true, "main").unwrap();
        let roots: Vec<Option<&str>> = config.targets.values().map(|t| t.root()).collect();
        assert_eq!(roots, [Some("examples/complete")]);
    }
}

#[cfg(test)]
mod naming {
    use super::*;
    use crate::analysis::snapshot::MemorySnapshot;

    const ROOT: &str = "terraform {\n  backend \"s3\" {}\n}\n";

    #[test]
    fn targets_are_named_after_the_folder_that_says_which_one() {
        let snapshot = MemorySnapshot::new([
            ("Dockerfile", "FROM scratch\n"),
            ("main.tf", ROOT),
            (".service/terraform/main.tf", ROOT),
            (".state/terraform/main.tf", ROOT),
            ("a/x/terraform/main.tf", ROOT),
            ("b/x/terraform/main.tf", ROOT),
        ]);
        let config = discover(&snapshot, &|_| true, "trunk").unwrap();
        let names: Vec<&str> = config.targets.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "service",
                "infra",
                "infra-service",
                "infra-state",
                "infra-x",
                "infra-b-x"
            ]
        );
        assert_eq!(config.default_branch, "trunk");
    }
}
