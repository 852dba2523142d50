//! The deployment engines and what they report. This file only lists the modules.

pub mod plan_summary;
