//! The output formats, one file each. Each renders a [`crate::detect::report::Report`] and computes
//! nothing of its own.

pub mod circleci;
pub mod comment;
pub mod github;
pub mod json;
pub mod markdown;
pub mod text;
