//! What a `module` block's `source` address names: a local directory that this analysis
//! follows, or a package that Terraform downloads (registry, git, Mercurial, HTTP, S3, GCS).
//!
//! Downloaded packages are deliberately not followed: their content is pinned by a version or
//! ref written in the calling file, so a change to them shows as a change of that file. This
//! file must not resolve a local path against a directory; `repo_path` does that.

/// The kind of a module source address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ModuleSource {
    /// `./x` or `../x`: a directory relative to the calling module, `/`-separated.
    Local(String),
    /// `/x` or `C:\x`: a directory on the machine that runs Terraform, never in the repository.
    Absolute,
    /// Anything else: registry (`hashicorp/consul/aws`), `git::`, `github.com/`, `https://`,
    /// `s3::` and so on.
    Remote,
}

/// Classifies `source` with Terraform's own rule: an address is local exactly when it starts
/// with `./` or `../` (Windows spellings with `\` included); anything else is fetched.
pub(crate) fn classify(source: &str) -> ModuleSource {
    let slashed = source.replace('\\', "/");
    if slashed.starts_with("./") || slashed.starts_with("../") || slashed == "." || slashed == ".."
    {
        return ModuleSource::Local(slashed);
    }
    let bytes = slashed.as_bytes();
    let drive = bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && &bytes[1..3] == b":/";
    if slashed.starts_with('/') || drive {
        return ModuleSource::Absolute;
    }
    ModuleSource::Remote
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_are_the_only_ones_followed() {
        assert_eq!(
            classify("../../modules/network"),
            ModuleSource::Local("../../modules/network".into())
        );
        assert_eq!(classify("./vpc"), ModuleSource::Local("./vpc".into()));
        assert_eq!(classify(".\\vpc"), ModuleSource::Local("./vpc".into()));
        for remote in [
            "hashicorp/consul/aws",
            "app.terraform.io/example-corp/k8s-cluster/azurerm",
            "git::https://example.com/vpc.git?ref=v1.2.0",
            "github.com/hashicorp/example",
            "git@github.com:hashicorp/example.git",
            "https://example.com/vpc-module.zip",
            "s3::https://s3-eu-west-1.amazonaws.com/examplecorp-terraform-modules/vpc.zip",
            "gcs::https://www.googleapis.com/storage/v1/modules/foomodule.zip",
            "hg::http://example.com/vpc.hg",
            "modules/network",
        ] {
            assert_eq!(classify(remote), ModuleSource::Remote, "{remote}");
        }
        assert_eq!(classify("/opt/modules/vpc"), ModuleSource::Absolute);
        assert_eq!(classify("C:\\modules\\vpc"), ModuleSource::Absolute);
    }
}
