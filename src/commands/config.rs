//! `config init`, `config show` and `config schema`: the configuration file written from the
//! layout, the effective configuration, and its JSON Schema.

use crate::analysis::layout;
use crate::analysis::snapshot::FsSnapshot;
use crate::cli::{Format, Settings};
use crate::config::{self, Config};
use crate::error::{Error, Result};

use super::{emit, load_config, no_configuration};

/// `config schema`.
pub(super) fn schema(settings: &Settings) -> Result<()> {
    emit(settings, &config::json_schema())
}

/// `config show`: the effective configuration, as YAML or with `--format json` JSON.
pub(super) fn show(settings: &Settings) -> Result<()> {
    let config = match crate::git::open(&settings.repo) {
        Ok(repo) => load_config(settings, &repo)?,
        Err(_) => Config::discover(settings.config.as_deref(), None)?.ok_or_else(|| {
            no_configuration("this is not a git repository to discover targets in")
        })?,
    };
    let text = match settings.format {
        Format::Json => config::to_json(&config),
        _ => config::to_yaml(&config),
    };
    emit(settings, &text)
}

/// `config init`: writes the discovered configuration, never over an existing file.
pub(super) fn init(settings: &Settings) -> Result<()> {
    let repo = crate::git::open(&settings.repo)?;
    let Some(root) = repo.workdir() else {
        return Err(Error::Usage(
            "config init writes into a working tree, and this repository is bare".into(),
        ));
    };
    for name in config::CANDIDATES {
        if root.join(name).exists() {
            return Err(Error::Usage(format!(
                "{name} already exists; config init never overwrites it"
            )));
        }
    }
    // Describe what is there, committed or not, but not what git ignores (build output,
    // vendored copies).
    let ignored = |path: &str| crate::git::is_ignored(&repo, path);
    let discovered = layout::discover(
        &FsSnapshot::new(root),
        &|path| !ignored(path),
        &crate::detect::range::default_branch(&repo),
    )?;
    if discovered.targets.is_empty() {
        return Err(Error::Usage(
            "found no Dockerfile and no Terraform root to make targets of; write .quest-changes.yml by hand (see `quest-changes config schema`)".into(),
        ));
    }
    let body = serde_yaml::to_string(&discovered).unwrap_or_default();
    let path = root.join(config::CANDIDATES[0]);
    // Validate before writing: what init writes must load.
    Config::parse(&body, &path)?;
    let text = format!(
        "# Written by `quest-changes config init` from this repository's layout; edit freely.\n# `paths` adds pattern rules to what each build or root already routes.\n{body}"
    );
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(Error::io("create", path.clone()))?;
    file.write_all(text.as_bytes())
        .map_err(Error::io("write", path.clone()))?;
    let names: Vec<&str> = discovered.targets.keys().map(String::as_str).collect();
    emit(
        settings,
        &format!(
            "wrote {} with {} target{}: {}\n",
            config::CANDIDATES[0],
            names.len(),
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        ),
    )
}
