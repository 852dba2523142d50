//! The deployment engines and what they report. This file only lists the modules.

pub mod context;
pub mod ecs;
pub mod plan_summary;
pub mod settings;
pub mod terraform;
