//! The GitHub REST API, as far as the pull request comment needs it: who the token is, which
//! pull requests contain a commit, and a pull request's comments (list, create, update).
//!
//! This is the only file that speaks HTTP itself (the AWS SDK carries its own). It is blocking
//! (`ureq`, rustls): one comment needs no async runtime. A 403 or 429 that says how long to wait
//! (`Retry-After`, or an exhausted `x-ratelimit-remaining` with `x-ratelimit-reset`) is retried
//! after that wait, at most [`MAX_TRIES`] times in all and never waiting longer than
//! [`MAX_WAIT`] in total; every other refusal becomes an [`Error::GitHub`] at once. The token
//! goes into the `Authorization` header and nowhere else: it is redacted from anything GitHub
//! answers before that reaches an error.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::error::{Error, Refusal, Result};

/// How many times one request is sent at most, the first included.
pub const MAX_TRIES: u32 = 3;
/// The longest the command waits, over all retries of one request, for a rate limit to reset.
pub const MAX_WAIT: Duration = Duration::from_secs(60);
/// Comments per page when listing (GitHub's maximum).
const PER_PAGE: usize = 100;
/// A bound on pages followed, so a misbehaving server cannot keep the command looping.
const MAX_PAGES: usize = 500;

/// `owner/repo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug {
    pub owner: String,
    pub repo: String,
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.repo)
    }
}

/// An issue comment, as far as finding our own needs.
#[derive(Debug, Clone)]
pub struct Comment {
    pub id: u64,
    pub body: String,
    pub login: String,
    /// `user.type`: `User`, `Bot` or `Organization`.
    pub user_type: String,
    /// Whether `performed_via_github_app` is set (comments written with an app's token).
    pub via_app: bool,
    pub html_url: String,
}

impl Comment {
    fn from_json(value: &Value) -> Option<Comment> {
        Some(Comment {
            id: value["id"].as_u64()?,
            body: value["body"].as_str().unwrap_or_default().to_owned(),
            login: value["user"]["login"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            user_type: value["user"]["type"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            via_app: !value["performed_via_github_app"].is_null(),
            html_url: value["html_url"].as_str().unwrap_or_default().to_owned(),
        })
    }
}

/// A client for one API root with one token.
#[derive(Debug)]
pub struct GitHub {
    agent: ureq::Agent,
    api: String,
    token: String,
}

enum Method<'a> {
    Get,
    Post(&'a Value),
    Patch(&'a Value),
}

/// One answer: status, the headers the retry logic reads, the body.
struct Answer {
    status: u16,
    retry_after: Option<String>,
    ratelimit_remaining: Option<String>,
    ratelimit_reset: Option<String>,
    /// The `Link` header: pagination (`rel="next"`).
    link: Option<String>,
    body: String,
}

impl GitHub {
    /// A client for `api` (e.g. `https://api.github.com`, no trailing slash needed).
    pub fn new(api: &str, token: String) -> GitHub {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .user_agent(concat!("quest-changes/", env!("CARGO_PKG_VERSION")))
            .build();
        GitHub {
            agent: ureq::Agent::new_with_config(config),
            api: api.trim_end_matches('/').to_owned(),
            token,
        }
    }

    /// The login of the token's account, or `None` when GitHub refuses to say (403: GitHub App
    /// installation tokens, such as Actions' `GITHUB_TOKEN`, cannot read `/user`).
    pub fn login(&self) -> Result<Option<String>> {
        let action = "find the account the token belongs to";
        let answer = self.send(Method::Get, "/user", action)?;
        if answer.status == 403 {
            return Ok(None);
        }
        let value = self.success(answer, action)?;
        Ok(value["login"].as_str().map(str::to_owned))
    }

    /// The numbers of the pull requests that contain `sha`, open ones first.
    pub fn pulls_for_commit(&self, slug: &Slug, sha: &str) -> Result<Vec<u64>> {
        let action = format!("find the pull request of commit {sha} in {slug}");
        let answer = self.send(
            Method::Get,
            &format!("/repos/{slug}/commits/{sha}/pulls"),
            &action,
        )?;
        let value = self.success(answer, &action)?;
        let mut pulls: Vec<(bool, u64)> = value
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| Some((p["state"].as_str() != Some("open"), p["number"].as_u64()?)))
            .collect();
        pulls.sort();
        Ok(pulls.into_iter().map(|(_, n)| n).collect())
    }

    /// The branch pull request `number` would merge into (its `base.ref`).
    pub fn pull_base(&self, slug: &Slug, number: u64) -> Result<String> {
        let action = format!("read the base branch of {slug}#{number}");
        let answer = self.send(
            Method::Get,
            &format!("/repos/{slug}/pulls/{number}"),
            &action,
        )?;
        let value = self.success(answer, &action)?;
        value["base"]["ref"]
            .as_str()
            .filter(|b| !b.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| Error::GitHub {
                action,
                refusal: Refusal::Unreadable,
                message: "the answer has no base.ref".into(),
            })
    }

    /// Every comment of pull request `number`, page by page.
    pub fn comments(&self, slug: &Slug, number: u64) -> Result<Vec<Comment>> {
        let action = format!("list the comments of {slug}#{number}");
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let answer = self.send(
                Method::Get,
                &format!("/repos/{slug}/issues/{number}/comments?per_page={PER_PAGE}&page={page}"),
                &action,
            )?;
            // GitHub says whether a page follows in `Link`; a server that sends no `Link` at
            // all ends with a short page.
            let next = answer
                .link
                .as_deref()
                .map(|link| link.split(',').any(|part| part.contains("rel=\"next\"")));
            let value = self.success(answer, &action)?;
            let items = value.as_array().cloned().unwrap_or_default();
            all.extend(items.iter().filter_map(Comment::from_json));
            if !next.unwrap_or(items.len() >= PER_PAGE) {
                break;
            }
        }
        Ok(all)
    }

    /// Creates a comment on pull request `number`.
    pub fn create_comment(&self, slug: &Slug, number: u64, body: &str) -> Result<Comment> {
        let action = format!("create a comment on {slug}#{number}");
        let payload = serde_json::json!({ "body": body });
        let answer = self.send(
            Method::Post(&payload),
            &format!("/repos/{slug}/issues/{number}/comments"),
            &action,
        )?;
        self.comment_answer(answer, &action)
    }

    /// Replaces the body of comment `id`.
    pub fn update_comment(&self, slug: &Slug, id: u64, body: &str) -> Result<Comment> {
        let action = format!("update comment {id} in {slug}");
        let payload = serde_json::json!({ "body": body });
        let answer = self.send(
            Method::Patch(&payload),
            &format!("/repos/{slug}/issues/comments/{id}"),
            &action,
        )?;
        self.comment_answer(answer, &action)
    }

    fn comment_answer(&self, answer: Answer, action: &str) -> Result<Comment> {
        let value = self.success(answer, action)?;
        Comment::from_json(&value).ok_or_else(|| Error::GitHub {
            action: action.to_owned(),
            refusal: Refusal::Unreadable,
            message: "the answer has no comment id".into(),
        })
    }

    /// The JSON of a 2xx answer, or the error its status stands for.
    fn success(&self, answer: Answer, action: &str) -> Result<Value> {
        if (200..300).contains(&answer.status) {
            return serde_json::from_str(&answer.body).map_err(|e| Error::GitHub {
                action: action.to_owned(),
                refusal: Refusal::Unreadable,
                message: e.to_string(),
            });
        }
        let message = serde_json::from_str::<Value>(&answer.body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| answer.body.chars().take(200).collect());
        let refusal = match answer.status {
            401 => Refusal::Unauthorized,
            403 | 429 if is_rate_limited(&answer) => Refusal::RateLimited,
            403 => Refusal::Forbidden,
            404 => Refusal::NotFound,
            422 => Refusal::Invalid,
            status => Refusal::Status(status),
        };
        Err(Error::GitHub {
            action: action.to_owned(),
            refusal,
            message: self.redact(&message),
        })
    }

    /// Sends one request, retrying while a rate limit asks to wait and the waits stay bounded.
    fn send(&self, method: Method<'_>, path: &str, action: &str) -> Result<Answer> {
        let url = format!("{}{path}", self.api);
        let mut waited = Duration::ZERO;
        let mut tries = 0;
        loop {
            tries += 1;
            let answer = self.send_once(&method, &url)?;
            if !matches!(answer.status, 403 | 429) || tries >= MAX_TRIES {
                return Ok(answer);
            }
            let Some(wait) = wait_for(&answer) else {
                return Ok(answer);
            };
            if waited + wait > MAX_WAIT {
                return Ok(answer);
            }
            eprintln!(
                "note: the GitHub API is rate limiting; retrying in {} s (try {} of {MAX_TRIES}) to {action}",
                wait.as_secs(),
                tries + 1
            );
            std::thread::sleep(wait);
            waited += wait;
        }
    }

    fn send_once(&self, method: &Method<'_>, url: &str) -> Result<Answer> {
        let auth = format!("Bearer {}", self.token);
        let result = match method {
            Method::Get => with_headers(self.agent.get(url), &auth).call(),
            Method::Post(body) => with_headers(self.agent.post(url), &auth)
                .header("Content-Type", "application/json")
                .send(body.to_string().as_bytes()),
            Method::Patch(body) => with_headers(self.agent.patch(url), &auth)
                .header("Content-Type", "application/json")
                .send(body.to_string().as_bytes()),
        };
        let mut response = result.map_err(|e| Error::GitHubUnreachable {
            url: url.to_owned(),
            message: self.redact(&e.to_string()),
        })?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let status = response.status().as_u16();
        let retry_after = header("retry-after");
        let ratelimit_remaining = header("x-ratelimit-remaining");
        let ratelimit_reset = header("x-ratelimit-reset");
        let link = header("link");
        let body = response
            .body_mut()
            .read_to_string()
            .map_err(|e| Error::GitHubUnreachable {
                url: url.to_owned(),
                message: self.redact(&e.to_string()),
            })?;
        Ok(Answer {
            status,
            retry_after,
            ratelimit_remaining,
            ratelimit_reset,
            link,
            body,
        })
    }

    /// Removes the token from text that came back from the network, in case anything echoes it.
    fn redact(&self, text: &str) -> String {
        if self.token.is_empty() {
            text.to_owned()
        } else {
            text.replace(&self.token, "***")
        }
    }
}

fn with_headers<B>(request: ureq::RequestBuilder<B>, auth: &str) -> ureq::RequestBuilder<B> {
    request
        .header("Authorization", auth)
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28")
}

fn is_rate_limited(answer: &Answer) -> bool {
    answer.retry_after.is_some() || answer.ratelimit_remaining.as_deref() == Some("0")
}

/// How long a 403 or 429 asks to wait: `Retry-After` seconds, else, when the rate limit is
/// exhausted, until `x-ratelimit-reset` (a Unix time). `None`: not a rate limit; do not retry.
fn wait_for(answer: &Answer) -> Option<Duration> {
    if let Some(seconds) = &answer.retry_after {
        return seconds.trim().parse().ok().map(Duration::from_secs);
    }
    if answer.ratelimit_remaining.as_deref() != Some("0") {
        return None;
    }
    let reset: u64 = answer.ratelimit_reset.as_deref()?.trim().parse().ok()?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    // One second more: the reset time is rounded down.
    Some(Duration::from_secs(reset.saturating_sub(now) + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(retry_after: Option<&str>, remaining: Option<&str>, reset: Option<u64>) -> Answer {
        Answer {
            status: 403,
            retry_after: retry_after.map(str::to_owned),
            ratelimit_remaining: remaining.map(str::to_owned),
            ratelimit_reset: reset.map(|r| r.to_string()),
            link: None,
            body: String::new(),
        }
    }

    #[test]
    fn retry_after_wins_and_a_plain_403_is_not_retried() {
        assert_eq!(
            wait_for(&answer(Some("2"), None, None)),
            Some(Duration::from_secs(2))
        );
        assert_eq!(wait_for(&answer(None, Some("12"), Some(1))), None);
        assert_eq!(wait_for(&answer(None, None, None)), None);
    }

    #[test]
    fn an_exhausted_limit_waits_until_the_reset() {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let wait = wait_for(&answer(None, Some("0"), Some(now + 5))).unwrap();
        assert!(wait >= Duration::from_secs(5) && wait <= Duration::from_secs(7));
    }
}
