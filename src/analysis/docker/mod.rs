//! Docker build-context analysis: which files of a build context an image build can read.
//!
//! This file only lists the modules; the analysis lives in them. Nothing here touches git or
//! the file system: callers hand in the text of a Dockerfile and a `.dockerignore`.

pub(crate) mod dockerfile;
pub(crate) mod dockerignore;
pub(crate) mod expand;
pub(crate) mod gomatch;
pub(crate) mod gopath;
pub(crate) mod instructions;
