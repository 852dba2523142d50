//! Terraform module-graph analysis: which repository paths a Terraform root configuration
//! depends on (its own files, the local modules it calls however deep, and the files those
//! configurations read with `file()`, `templatefile()` and `fileset()`), each with the chain of
//! calls that explains it.
//!
//! This file only lists the modules; the analysis lives in them. Nothing here touches git or
//! the file system directly: everything is read through
//! [`crate::analysis::snapshot::Snapshot`], and nothing here decides routing.

pub(crate) mod analysis;
pub(crate) mod chain;
pub(crate) mod dependencies;
pub(crate) mod facts;
pub(crate) mod hcl_file;
pub(crate) mod json_file;
pub(crate) mod links;
pub(crate) mod path_arg;
pub(crate) mod repo_path;
pub(crate) mod root_marker;
pub(crate) mod source;
pub(crate) mod warning;

pub use analysis::{analyze, analyze_with, ParseCache};
pub use dependencies::{Affected, RootDependencies};
