//! The output formats, one file each. Each renders a [`crate::detect::report::Report`] (`status`
//! renders a [`crate::deploy::status::Status`]) and computes nothing of its own.

pub(crate) mod circleci;
pub(crate) mod comment;
pub(crate) mod github;
pub(crate) mod json;
pub(crate) mod markdown;
pub(crate) mod status;
pub(crate) mod text;
