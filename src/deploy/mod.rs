//! The deployment engines and what they report. This file only lists the modules.
//!
//! `engine` is the seam; `ecs/`, `terraform/` and `custom/` are the engines; `run`, `since`,
//! `status`, `comment`, `context` and `progress` hold across kinds and must not know one.
//! `plan_summary` is Terraform's, kept beside the engines because `output::comment` renders it
//! too.

pub(crate) mod branch;
pub(crate) mod comment;
pub mod context;
pub(crate) mod custom;
pub mod ecs;
pub(crate) mod engine;
pub(crate) mod plan_summary;
pub(crate) mod progress;
pub(crate) mod run;
pub(crate) mod since;
pub(crate) mod status;
pub mod terraform;
