//! The deployment engines and what they report. This file only lists the modules.

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
pub mod terraform;
