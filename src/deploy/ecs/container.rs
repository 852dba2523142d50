//! The container CLI's command lines: `login`, `build` and `push`, for `docker` or `podman`.
//!
//! Only the command lines live here (as [`Invocation`]s, so `--dry-run` and `--verbose` print
//! exactly what runs); the image step decides when to run them. The registry password is never
//! an argument: the caller hands it to `login` on stdin.

use std::collections::BTreeMap;
use std::path::Path;

use crate::process::Invocation;

/// Which CLI the configured program is, by its file name: the two differ in one build flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Docker,
    Podman,
}

/// What one image build needs.
#[derive(Debug, Clone)]
pub struct Build<'a> {
    /// Relative to the working tree, like the Dockerfile.
    pub context: &'a str,
    pub dockerfile: &'a str,
    pub platform: &'a str,
    pub build_args: &'a BTreeMap<String, String>,
    /// The stage to build (`--target`); `None` builds the last.
    pub target: Option<&'a str>,
    /// `(name, value)`, in order.
    pub labels: &'a [(String, String)],
    /// Full references (`<registry>/<repository>:<tag>`), the primary first.
    pub references: &'a [String],
}

/// The configured container CLI, run in the working tree.
#[derive(Debug, Clone)]
pub struct ContainerCli<'a> {
    program: &'a str,
    cwd: &'a Path,
    pub flavor: Flavor,
}

impl<'a> ContainerCli<'a> {
    pub fn new(program: &'a str, cwd: &'a Path) -> ContainerCli<'a> {
        let name = Path::new(program)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let flavor = if name.starts_with("podman") {
            Flavor::Podman
        } else {
            Flavor::Docker
        };
        ContainerCli {
            program,
            cwd,
            flavor,
        }
    }

    /// `<cli> login --username <user> --password-stdin <registry>`; the caller adds the stdin.
    pub fn login(&self, username: &str, registry: &str) -> Invocation {
        Invocation::new(self.program, self.cwd).args([
            "login",
            "--username",
            username,
            "--password-stdin",
            registry,
        ])
    }

    /// `<cli> build` with the platform, the labels, every tag, the build args, the Dockerfile
    /// and the context, and no provenance attestation.
    pub fn build(&self, build: &Build<'_>) -> Invocation {
        let mut call =
            Invocation::new(self.program, self.cwd).args(["build", "--platform", build.platform]);
        // Docker (BuildKit through buildx, `docker build` since Docker 23) attaches a provenance
        // attestation by default, which turns the pushed image into an index that ECR's basic
        // scan cannot scan. Podman (buildah) makes no attestations and has no such flag: it
        // would refuse `--provenance`, so it is only passed to docker.
        if self.flavor == Flavor::Docker {
            call = call.arg("--provenance=false");
        }
        for (name, value) in build.labels {
            call = call.arg("--label").arg(format!("{name}={value}"));
        }
        for reference in build.references {
            call = call.arg("--tag").arg(reference);
        }
        for (name, value) in build.build_args {
            call = call.arg("--build-arg").arg(format!("{name}={value}"));
        }
        if let Some(stage) = build.target {
            call = call.arg("--target").arg(stage);
        }
        call.arg("--file").arg(build.dockerfile).arg(build.context)
    }

    /// `<cli> push <reference>`.
    pub fn push(&self, reference: &str) -> Invocation {
        Invocation::new(self.program, self.cwd).args(["push", reference])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(cli: &ContainerCli<'_>) -> String {
        let args = BTreeMap::from([("NODE_ENV".to_owned(), "production".to_owned())]);
        let labels = [(
            "org.opencontainers.image.revision".to_owned(),
            "abc".to_owned(),
        )];
        let references = [
            "r.example/app:abc".to_owned(),
            "r.example/app:v1".to_owned(),
        ];
        cli.build(&Build {
            context: "app",
            dockerfile: "app/Dockerfile",
            platform: "linux/amd64",
            build_args: &args,
            target: None,
            labels: &labels,
            references: &references,
        })
        .display()
    }

    #[test]
    fn docker_builds_without_provenance() {
        let cli = ContainerCli::new("docker", Path::new("."));
        assert_eq!(cli.flavor, Flavor::Docker);
        assert_eq!(
            build(&cli),
            "docker build --platform linux/amd64 --provenance=false --label org.opencontainers.image.revision=abc --tag r.example/app:abc --tag r.example/app:v1 --build-arg NODE_ENV=production --file app/Dockerfile app"
        );
    }

    #[test]
    fn a_build_target_is_passed_as_target() {
        let cli = ContainerCli::new("podman", Path::new("."));
        let args = BTreeMap::new();
        let call = cli.build(&Build {
            context: "app",
            dockerfile: "app/Dockerfile",
            platform: "linux/amd64",
            build_args: &args,
            target: Some("api"),
            labels: &[],
            references: &[],
        });
        assert_eq!(
            call.display(),
            "podman build --platform linux/amd64 --target api --file app/Dockerfile app"
        );
    }

    #[test]
    fn podman_gets_no_provenance_flag() {
        let cli = ContainerCli::new("/usr/bin/podman", Path::new("."));
        assert_eq!(cli.flavor, Flavor::Podman);
        assert!(!build(&cli).contains("provenance"));
    }

    #[test]
    fn the_password_is_not_an_argument() {
        let cli = ContainerCli::new("podman", Path::new("."));
        assert_eq!(
            cli.login("AWS", "127.0.0.1:5000").display(),
            "podman login --username AWS --password-stdin 127.0.0.1:5000"
        );
    }
}
