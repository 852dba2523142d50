//! Integration tests: one binary; real git repositories in temporary directories, driven
//! through the CLI and the library.

// Tests fail loudly by design: a panic with a message is the assertion.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod analysis_cache;
mod build_context;
mod build_links;
mod build_target;
mod cli;
mod comment;
mod config;
mod deploy_cli;
mod diff;
mod doc_examples;
mod environments;
mod history;
mod image_truth;
mod layout;
mod library;
mod module_graph;
mod moto;
mod named_paths;
mod outputs;
mod patterns;
mod promotion;
mod range;
mod registry;
mod rename_truth;
mod service_deploy;
mod service_image;
mod service_rollout;
mod since_deployed;
mod status;
mod support;
mod terraform_deploy;
mod terraform_support;
mod terraform_truth;
