//! The analyses: what an image build or a Terraform root reads, so that routing can say whether
//! a changed path reaches a target. They read commits (or the working tree) through
//! [`snapshot::Snapshot`] and decide nothing about routing.
//!
//! `build_context` (with `build_links` and the Dockerfile and `.dockerignore` readers in
//! `docker/`) answers for images; `module_graph` for Terraform roots; `layout` finds the targets
//! a repository's layout suggests, for `config init` and for a repository without a file;
//! `root_cache` keeps roots' results between runs.

pub(crate) mod build_context;
pub(crate) mod build_links;
pub(crate) mod docker;
pub(crate) mod layout;
pub(crate) mod module_graph;
pub(crate) mod root_cache;
pub(crate) mod snapshot;
