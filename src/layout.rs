//! Discovering targets from a repository's layout: one `ecs-service` target per Dockerfile and
//! one `terraform` target per root configuration (a folder whose `.tf` files declare a provider
//! or a backend, and that no other root calls as a module). Used by `quest-changes config init`
//! and, without a configuration file, for a repository not laid out like this project.
//!
//! Reads only through a [`Snapshot`]; writes nothing (the caller writes the file).

use std::collections::BTreeSet;

use indexmap::IndexMap;

use crate::config::{BuildFile, ConfigFile, TargetFile, TargetKind};
use crate::error::Result;
use crate::snapshot::Snapshot;

/// Folders never searched: dependencies and caches, not the project's own sources.
const SKIPPED: [&str; 5] = ["node_modules", ".terraform", "vendor", "target", ".git"];

/// A configuration with the targets the layout suggests, in path order (services first).
/// Only paths for which `keep` is true are considered.
pub fn discover(snapshot: &dyn Snapshot, keep: &dyn Fn(&str) -> bool) -> Result<ConfigFile> {
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
        let name = unique(&mut targets, &service_name(&context));
        targets.insert(
            name,
            TargetFile {
                kind: TargetKind::EcsService,
                paths: Vec::new(),
                build: Some(BuildFile {
                    context: Some(context.clone()),
                    dockerfile: (*dockerfile != default_name).then(|| dockerfile.clone()),
                    args: Default::default(),
                    cli: None,
                    target: None,
                }),
                ..TargetFile::new(TargetKind::EcsService)
            },
        );
    }

    let mut candidates: BTreeSet<String> = BTreeSet::new();
    for tf in files.iter().filter(|p| p.ends_with(".tf")) {
        let dir = parent(tf);
        if candidates.contains(&dir) {
            continue;
        }
        if let Some(bytes) = snapshot.read(tf)? {
            if crate::terraform::root_marker::declares_root(&String::from_utf8_lossy(&bytes)) {
                candidates.insert(dir);
            }
        }
    }
    // A folder some other root calls as a module is a module, whatever it declares.
    let mut called: BTreeSet<String> = BTreeSet::new();
    for root in &candidates {
        let deps = crate::terraform::analyze(snapshot, root)?;
        called.extend(
            deps.modules
                .iter()
                .map(|m| m.dir.clone())
                .filter(|d| d != root),
        );
    }
    for root in candidates.difference(&called) {
        let name = unique(&mut targets, &infra_name(root));
        targets.insert(
            name,
            TargetFile {
                root: Some(root.clone()),
                ..TargetFile::new(TargetKind::Terraform)
            },
        );
    }
    Ok(ConfigFile {
        version: crate::config::SUPPORTED_VERSION,
        default_branch: "main".to_owned(),
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

fn service_name(context: &str) -> String {
    match context {
        "." => "service".to_owned(),
        c => sanitize(file_name(c)),
    }
}

fn infra_name(root: &str) -> String {
    match file_name(root) {
        "." | "terraform" | "infra" | "infrastructure" => "infra".to_owned(),
        last => format!("infra-{}", sanitize(last)),
    }
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

/// `name`, or `name-2`, `name-3`, ... when taken (also as a CircleCI parameter name).
fn unique(targets: &mut IndexMap<String, TargetFile>, name: &str) -> String {
    let taken = |candidate: &str| {
        targets
            .keys()
            .any(|k| k.replace('-', "_") == candidate.replace('-', "_"))
    };
    if !taken(name) {
        return name.to_owned();
    }
    (2..)
        .map(|n| format!("{name}-{n}"))
        .find(|candidate| !taken(candidate))
        .unwrap_or_else(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::MemorySnapshot;

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
        let config = discover(&snapshot, &|_| true).unwrap();
        let names: Vec<&str> = config.targets.keys().map(String::as_str).collect();
        assert_eq!(names, ["app", "api", "api-2", "infra-dev", "infra-prod"]);
        let api2 = &config.targets["api-2"];
        assert_eq!(
            api2.build.as_ref().and_then(|b| b.dockerfile.as_deref()),
            Some("tools/api/build.Dockerfile")
        );
        assert_eq!(
            config.targets["infra-prod"].root.as_deref(),
            Some("terraform/environments/prod")
        );
    }
}
