//! `.quest-changes.yml`: every type of the file, its loading, its validation and its JSON
//! Schema, in one place. This file lists the modules and re-exports what the rest of the crate
//! uses.
//!
//! Loading is two steps, raw file -> validated [`Config`]: serde reads the file into
//! [`ConfigFile`] (`file`, with the deployment sections in `deploy`), rejecting unknown keys,
//! keys of another kind and wrong types with the parser's line and column (`load`); `validate`
//! then checks what types cannot say and names the key path that is wrong. The JSON Schema
//! printed by `quest-changes config schema` is generated from the same types (`show`).
//!
//! Environments (`environment`) are declared once at the top and given per-target values;
//! [`Config::for_environment`] is the configuration as one environment sees it.

pub(crate) mod deploy;
pub(crate) mod environment;
pub(crate) mod file;
mod load;
mod show;
mod validate;

pub use deploy::*;
pub use environment::{
    Credentials, CredentialsFile, DeployEnvironment, EnvironmentFile, ServiceEnvironmentFile,
    StateOverrideFile, TerraformEnvironmentFile,
};
pub use file::{
    BuildFile, ConfigFile, CustomTargetFile, ServiceTargetFile, TargetFile, TargetKind,
    TerraformTargetFile,
};
pub use show::{json_schema, to_json, to_yaml};
pub use validate::{Analysis, Config, Target, TargetSettings};

/// The file names looked for at the repository root, in order.
pub const CANDIDATES: [&str; 2] = [".quest-changes.yml", ".quest-changes.yaml"];

/// The only configuration version this build reads.
pub const SUPPORTED_VERSION: u32 = 1;
