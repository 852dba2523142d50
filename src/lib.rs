//! quest-changes: diff the pushed commit range and route each changed path to its deployment.
//!
//! The core is `range` -> `diff` -> `route` -> `plan`, deterministic and free of output;
//! `command` runs one command from typed `cli::Settings`; `output` renders. This file only
//! lists the modules and exposes [`run`].

pub mod aws;
pub mod cli;
pub mod command;
pub mod config;
pub mod deploy;
pub mod diff;
pub mod docker;
pub mod error;
pub mod github;
pub mod image_inputs;
pub(crate) mod image_links;
pub mod layout;
pub mod output;
pub mod path;
pub mod pattern;
pub mod plan;
pub mod process;
pub mod pull_request;
pub mod range;
pub mod rename;
pub mod report;
pub mod route;
pub mod snapshot;
pub mod sticky_comment;
pub mod terraform;

pub use error::{exit_code, Error, Result};

/// Runs the command that `settings` describes against the process environment.
pub fn run(settings: cli::Settings) -> Result<()> {
    let env: range::Environment = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    command::execute(&settings, &env)
}
