//! GitHub: the REST API adapter (`api`, the only file that speaks HTTP itself), which pull
//! request a comment goes to (`pull_request`), and the one sticky comment per pull request
//! (`sticky_comment`). Rendering the comment's body belongs to `output`.

pub(crate) mod api;
pub(crate) mod pull_request;
pub(crate) mod sticky_comment;
