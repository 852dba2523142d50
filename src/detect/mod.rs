//! Detection: which commits a push covers, what changed between them, and which targets each
//! changed path routes to. Deterministic and silent: nothing here prints, deploys or reads the
//! process environment; the commands render what it returns.
//!
//! The data flows `range` (the commit range) -> `diff` (the changed paths, with renames paired
//! by `rename`) -> `route` (each path's targets, through `pattern` and the analyses) -> `report`
//! (the whole answer) -> `plan` (the steps each routed target's engine would run).

pub mod diff;
pub(crate) mod pattern;
pub mod plan;
pub mod range;
pub(crate) mod rename;
pub mod report;
pub mod route;
