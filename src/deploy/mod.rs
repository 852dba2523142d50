//! The deployment engines and what they report. This file only lists the modules.

pub mod comment;
pub mod context;
pub mod custom;
pub mod ecs;
pub mod engine;
pub mod plan_summary;
pub mod progress;
pub mod run;
pub mod since;
pub mod terraform;
