//! The one sticky comment per pull request: find ours among the comments, update it, or create
//! it when there is none.
//!
//! Ours is a comment whose body contains [`crate::output::markdown::MARKER`] and that the
//! token's own account wrote (`user.login` equals `GET /user`'s login). A comment with the
//! marker from anyone else (a copy, another bot, a person quoting it) is never touched. GitHub
//! App installation tokens (Actions' `GITHUB_TOKEN` among them) may not read `/user` (403); then
//! ours is a comment with the marker whose author is a `Bot` and that carries
//! `performed_via_github_app`, the closest identity such a token can see. This file posts; it
//! neither renders the body nor decides which pull request.

use crate::error::Result;
use crate::github::api::{Comment, GitHub, Slug};
use crate::output::markdown::MARKER;

/// What posting did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    Created { url: String },
    Updated { url: String },
}

/// Updates our comment on pull request `number` with `body`, or creates it.
pub fn post(github: &GitHub, slug: &Slug, number: u64, body: &str) -> Result<Posted> {
    let login = github.login()?;
    let comments = github.comments(slug, number)?;
    match comments.iter().find(|c| is_ours(c, login.as_deref())) {
        Some(existing) => {
            let comment = github.update_comment(slug, existing.id, body)?;
            Ok(Posted::Updated {
                url: comment.html_url,
            })
        }
        None => {
            let comment = github.create_comment(slug, number, body)?;
            Ok(Posted::Created {
                url: comment.html_url,
            })
        }
    }
}

/// Whether `comment` is the one this account keeps; `login` is `None` when the token could not
/// say who it is.
fn is_ours(comment: &Comment, login: Option<&str>) -> bool {
    if !comment.body.contains(MARKER) {
        return false;
    }
    match login {
        Some(login) => comment.login == login,
        None => comment.user_type == "Bot" && comment.via_app,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(body: &str, login: &str, user_type: &str, via_app: bool) -> Comment {
        Comment {
            id: 1,
            body: body.to_owned(),
            login: login.to_owned(),
            user_type: user_type.to_owned(),
            via_app,
            html_url: String::new(),
        }
    }

    #[test]
    fn ours_needs_the_marker_and_the_author() {
        let body = format!("{MARKER}\nhi");
        assert!(is_ours(&comment(&body, "me", "User", false), Some("me")));
        assert!(!is_ours(&comment(&body, "you", "User", false), Some("me")));
        assert!(!is_ours(&comment("hi", "me", "User", false), Some("me")));
        assert!(is_ours(&comment(&body, "app[bot]", "Bot", true), None));
        assert!(!is_ours(&comment(&body, "you", "User", false), None));
        assert!(!is_ours(&comment(&body, "x[bot]", "Bot", false), None));
    }
}
