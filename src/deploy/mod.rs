//! The deployment engines and what they report. This file only lists the modules.

pub mod context;
pub mod infra;
pub mod plan_summary;
pub mod service;
pub mod settings;
