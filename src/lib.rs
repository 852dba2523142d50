//! quest-changes: diff the pushed commit range and route each changed path to its deployment.
//!
//! The folders follow one push (see ARCHITECTURE.md): `cli` -> `commands` -> `config` -> `ci`
//! -> `detect` (range, diff, route, report, plan, helped by the `analysis` of builds and
//! Terraform roots) -> `output`; `deploy` goes on into one engine per target kind. The adapters
//! are `git`, `aws`, `process` and `github`; `text`, `path` and `error` are shared by all. This
//! file only lists the modules and exposes [`run`], which reads the process environment once,
//! into the map every command is given.

pub(crate) mod analysis;
pub mod aws;
pub(crate) mod ci;
pub mod cli;
pub(crate) mod commands;
pub mod config;
pub mod deploy;
pub mod detect;
pub mod error;
pub(crate) mod git;
pub(crate) mod github;
pub(crate) mod output;
pub mod path;
pub(crate) mod process;
pub mod text;

pub use error::{exit_code, Error, Result};

/// Runs the command that `settings` describes against the process environment.
pub fn run(settings: cli::Settings) -> Result<()> {
    let env: detect::range::Environment = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    commands::execute(&settings, &env)
}
