//! `quest-changes comment`: the real binary against a local GitHub API (`wiremock` on
//! 127.0.0.1, one server per test), asserting on what the server received.

use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{layout, Quest, Repo, Run};

const TOKEN: &str = "ghp_s3cr3t-t0ken-never-printed";
const MARKER: &str = "<!-- quest-changes summary -->";
const COMMENTS: &str = "/repos/o/r/issues/7/comments";

/// A local GitHub API: the server runs on wiremock's own thread; the runtime only drives setup
/// and inspection, so the blocking binary can run in between.
struct Hub {
    server: MockServer,
    runtime: tokio::runtime::Runtime,
}

impl Hub {
    fn new() -> Hub {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let server = runtime.block_on(MockServer::start());
        Hub { server, runtime }
    }

    fn mount(&self, mock: Mock) -> &Hub {
        self.runtime.block_on(mock.mount(&self.server));
        self
    }

    /// `GET /user` answers `login`.
    fn user(&self, login: &str) -> &Hub {
        self.mount(
            Mock::given(method("GET"))
                .and(path("/user"))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "login": login }))),
        )
    }

    /// Page `page` of the comments of #7.
    fn page(&self, page: u32, comments: Vec<Value>) -> &Hub {
        self.mount(
            Mock::given(method("GET"))
                .and(path(COMMENTS))
                .and(query_param("per_page", "100"))
                .and(query_param("page", page.to_string()))
                .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(comments))),
        )
    }

    /// Page `page` with a `Link` header, naming a next page or not, as GitHub does.
    fn linked_page(&self, page: u32, comments: Vec<Value>, next: bool) -> &Hub {
        let mut link = format!("<{COMMENTS}?per_page=100&page=1>; rel=\"first\"");
        if next {
            link.push_str(&format!(
                ", <{COMMENTS}?per_page=100&page={}>; rel=\"next\"",
                page + 1
            ));
        }
        self.mount(
            Mock::given(method("GET"))
                .and(path(COMMENTS))
                .and(query_param("per_page", "100"))
                .and(query_param("page", page.to_string()))
                .respond_with(
                    ResponseTemplate::new(200)
                        .insert_header("link", link.as_str())
                        .set_body_json(Value::Array(comments)),
                ),
        )
    }

    fn accept_create(&self) -> &Hub {
        self.mount(
            Mock::given(method("POST"))
                .and(path(COMMENTS))
                .respond_with(ResponseTemplate::new(201).set_body_json(comment(
                    900,
                    "x",
                    "quest-bot",
                ))),
        )
    }

    fn accept_update(&self, id: u64) -> &Hub {
        self.mount(
            Mock::given(method("PATCH"))
                .and(path(format!("/repos/o/r/issues/comments/{id}")))
                .respond_with(ResponseTemplate::new(200).set_body_json(comment(
                    id,
                    "x",
                    "quest-bot",
                ))),
        )
    }

    fn requests(&self) -> Vec<wiremock::Request> {
        self.runtime
            .block_on(self.server.received_requests())
            .expect("request recording is on")
    }

    /// The requests other than GETs, as `METHOD path`.
    fn writes(&self) -> Vec<String> {
        self.requests()
            .iter()
            .filter(|r| r.method.as_str() != "GET")
            .map(|r| format!("{} {}", r.method, r.url.path()))
            .collect()
    }

    /// The body of the one comment written (created or updated).
    fn posted_body(&self) -> String {
        let writes: Vec<_> = self
            .requests()
            .into_iter()
            .filter(|r| r.method.as_str() != "GET")
            .collect();
        assert_eq!(
            writes.len(),
            1,
            "expected one write, got {:?}",
            self.writes()
        );
        let payload: Value = writes[0].body_json().expect("a JSON payload");
        payload["body"].as_str().expect("body").to_owned()
    }
}

fn comment(id: u64, body: &str, login: &str) -> Value {
    json!({
        "id": id,
        "body": body,
        "html_url": format!("https://github.com/o/r/pull/7#issuecomment-{id}"),
        "user": { "login": login, "type": "User" },
        "performed_via_github_app": null,
    })
}

/// A repository whose branch changed `app/server.js` since `main`; returns it and the base.
fn changed_repo() -> (Repo, String) {
    let repo = layout();
    let base = repo.head();
    repo.write("app/server.js", "console.log('changed')\n");
    repo.commit("change the app");
    (repo, base)
}

fn comment_cmd(repo: &Repo, base: &str, hub: &Hub) -> Quest {
    repo.quest()
        .args(["comment", "--repo-slug", "o/r", "--pr", "7", "--base", base])
        .args(["--api-url", &hub.server.uri()])
        .env("GITHUB_TOKEN", TOKEN)
}

/// Runs `comment` against a hub that `setup` prepares to refuse, and asserts what every refusal
/// must give: exit code 9, one line on stderr, no token anywhere, nothing written but `writes`.
fn refused(setup: impl Fn(&Hub), writes: usize) -> Run {
    let (repo, base) = changed_repo();
    let hub = Hub::new();
    setup(&hub);
    let run = comment_cmd(&repo, &base, &hub).run();
    assert_no_token(&run);
    assert_eq!(run.code, 9, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert_eq!(hub.writes().len(), writes, "{:?}", hub.writes());
    run
}

fn assert_no_token(run: &Run) {
    assert!(
        !run.stdout.contains(TOKEN),
        "token in stdout: {}",
        run.stdout
    );
    assert!(
        !run.stderr.contains(TOKEN),
        "token in stderr: {}",
        run.stderr
    );
}

#[test]
fn creates_the_comment_when_there_is_none() {
    let (repo, base) = changed_repo();
    let hub = Hub::new();
    hub.user("quest-bot").page(1, vec![]).accept_create();
    let run = comment_cmd(&repo, &base, &hub).run().ok();
    assert_no_token(&run);
    assert_eq!(
        run.stdout,
        "created the summary comment on o/r#7: https://github.com/o/r/pull/7#issuecomment-900\n"
    );
    assert_eq!(hub.writes(), ["POST /repos/o/r/issues/7/comments"]);
    let body = hub.posted_body();
    assert!(body.starts_with(MARKER), "{body}");
    assert!(
        body.contains("| service | ecs-service | **yes** | 1 |"),
        "{body}"
    );
    assert!(body.contains("` app/server.js `"), "{body}");
    assert!(body.contains("```mermaid\nflowchart LR\n"), "{body}");
    assert!(body.contains("  n0[\"app\"]\n  n0 --> t0\n"), "{body}");
    // The chart goes on from the target to the jobs of its kind.
    assert!(
        body.contains(
            "  j0[\"deploy_service#58; build#44; scan gate#44; roll out\"]\n  t0 --> j0\n"
        ),
        "{body}"
    );
    for request in hub.requests() {
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(header("authorization"), Some(format!("Bearer {TOKEN}")));
        assert_eq!(
            header("accept").as_deref(),
            Some("application/vnd.github+json")
        );
        assert_eq!(
            header("x-github-api-version").as_deref(),
            Some("2022-11-28")
        );
        assert!(header("user-agent").is_some_and(|ua| ua.starts_with("quest-changes/")));
    }
}

#[test]
fn updates_our_existing_comment() {
    let (repo, base) = changed_repo();
    let hub = Hub::new();
    hub.user("quest-bot")
        .page(
            1,
            vec![
                comment(10, "lgtm", "alice"),
                comment(11, &format!("{MARKER}\nold summary"), "quest-bot"),
            ],
        )
        .accept_update(11);
    let run = comment_cmd(&repo, &base, &hub).run().ok();
    assert_no_token(&run);
    assert!(
        run.stdout
            .starts_with("updated the summary comment on o/r#7: "),
        "{}",
        run.stdout
    );
    assert_eq!(hub.writes(), ["PATCH /repos/o/r/issues/comments/11"]);
    assert!(hub.posted_body().starts_with(MARKER));
}

#[test]
fn follows_pages_until_it_finds_ours_on_the_third() {
    let (repo, base) = changed_repo();
    let hub = Hub::new();
    let others = |from: u64| -> Vec<Value> {
        (from..from + 100)
            .map(|id| comment(id, "chatter", "alice"))
            .collect()
    };
    hub.user("quest-bot")
        .page(1, others(1000))
        .page(2, others(2000))
        .page(
            3,
            vec![comment(3001, &format!("old\n{MARKER}"), "quest-bot")],
        )
        .accept_update(3001);
    let run = comment_cmd(&repo, &base, &hub).run().ok();
    assert_no_token(&run);
    assert_eq!(hub.writes(), ["PATCH /repos/o/r/issues/comments/3001"]);
    let pages: Vec<String> = hub
        .requests()
        .iter()
        .filter(|r| r.url.path() == COMMENTS)
        .map(|r| r.url.query().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        pages,
        [
            "per_page=100&page=1",
            "per_page=100&page=2",
            "per_page=100&page=3"
        ]
    );
}

#[test]
fn the_link_header_decides_whether_another_page_follows() {
    let (repo, base) = changed_repo();
    let hub = Hub::new();
    let full = (1..=100)
        .map(|id| comment(id, "chatter", "alice"))
        .collect::<Vec<_>>();
    // A short page that still names a next page, then a full last page without one.
    hub.user("quest-bot")
        .linked_page(1, full[..10].to_vec(), true)
        .linked_page(2, full.clone(), false)
        .accept_create();
    comment_cmd(&repo, &base, &hub).run().ok();
    let pages: Vec<String> = hub
        .requests()
        .iter()
        .filter(|r| r.url.path() == COMMENTS && r.method.as_str() == "GET")
        .map(|r| r.url.query().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(pages, ["per_page=100&page=1", "per_page=100&page=2"]);
    assert_eq!(hub.writes(), ["POST /repos/o/r/issues/7/comments"]);
}

#[test]
fn leaves_a_marked_comment_of_another_account_alone() {
    let (repo, base) = changed_repo();
    let hub = Hub::new();
    hub.user("quest-bot")
        .page(
            1,
            vec![comment(12, &format!("{MARKER}\ncopied"), "mallory")],
        )
        .accept_create()
        .accept_update(12);
    comment_cmd(&repo, &base, &hub).run().ok();
    assert_eq!(hub.writes(), ["POST /repos/o/r/issues/7/comments"]);
}

#[test]
fn an_app_token_that_cannot_read_user_matches_the_app_bot() {
    let (repo, base) = changed_repo();
    let hub = Hub::new();
    let mut app = comment(13, &format!("{MARKER}\nold"), "github-actions[bot]");
    app["user"]["type"] = json!("Bot");
    app["performed_via_github_app"] = json!({ "slug": "github-actions" });
    let mut other_bot = comment(14, &format!("{MARKER}\nold"), "other[bot]");
    other_bot["user"]["type"] = json!("Bot");
    hub.mount(
        Mock::given(method("GET")).and(path("/user")).respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({ "message": "Resource not accessible by integration" })),
        ),
    )
    .page(1, vec![other_bot, app])
    .accept_update(13);
    comment_cmd(&repo, &base, &hub).run().ok();
    assert_eq!(hub.writes(), ["PATCH /repos/o/r/issues/comments/13"]);
}

#[test]
fn finds_the_pull_request_of_the_head_commit() {
    let (repo, base) = changed_repo();
    let head = repo.head();
    let hub = Hub::new();
    hub.mount(
        Mock::given(method("GET"))
            .and(path(format!("/repos/o/r/commits/{head}/pulls")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([
                { "number": 3, "state": "closed" },
                { "number": 7, "state": "open" },
            ]))),
    )
    .user("quest-bot")
    .page(1, vec![])
    .accept_create();
    repo.quest()
        .args(["comment", "--base", &base, "--api-url", &hub.server.uri()])
        .env("GITHUB_REPOSITORY", "o/r")
        .env("GITHUB_TOKEN", TOKEN)
        .run()
        .ok();
    assert_eq!(hub.writes(), ["POST /repos/o/r/issues/7/comments"]);
}

#[test]
fn takes_the_number_from_circleci() {
    let (repo, base) = changed_repo();
    let hub = Hub::new();
    hub.user("quest-bot").page(1, vec![]).accept_create();
    repo.quest()
        .args(["comment", "--base", &base, "--api-url", &hub.server.uri()])
        .env("CIRCLE_PROJECT_USERNAME", "o")
        .env("CIRCLE_PROJECT_REPONAME", "r")
        .env("CIRCLE_PULL_REQUEST", "https://github.com/o/r/pull/7")
        .env("MY_TOKEN", TOKEN)
        .args(["--token-env", "MY_TOKEN"])
        .run()
        .ok();
    assert_eq!(hub.writes(), ["POST /repos/o/r/issues/7/comments"]);
}

#[test]
fn an_invalid_token_exits_9() {
    let run = refused(
        |hub| {
            hub.mount(Mock::given(method("GET")).and(path("/user")).respond_with(
                ResponseTemplate::new(401).set_body_json(json!({
                    "message": format!("Bad credentials for {TOKEN}")
                })),
            ));
        },
        0,
    );
    assert_eq!(
        run.stderr,
        "error: failed to find the account the token belongs to: the GitHub API rejected the token as invalid, expired or revoked (HTTP 401): Bad credentials for ***\n"
    );
}

#[test]
fn a_rate_limit_with_retry_after_is_waited_out() {
    let (repo, base) = changed_repo();
    let hub = Hub::new();
    hub.user("quest-bot").page(1, vec![]);
    hub.mount(
        Mock::given(method("POST"))
            .and(path(COMMENTS))
            .respond_with(
                ResponseTemplate::new(403)
                    .insert_header("retry-after", "1")
                    .set_body_json(
                        json!({ "message": "You have exceeded a secondary rate limit" }),
                    ),
            )
            .up_to_n_times(1)
            .with_priority(1),
    )
    .accept_create();
    let started = std::time::Instant::now();
    let run = comment_cmd(&repo, &base, &hub).run().ok();
    assert_no_token(&run);
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert!(
        run.stderr
            .contains("note: the GitHub API is rate limiting; retrying in 1 s (try 2 of 3)"),
        "{}",
        run.stderr
    );
    assert_eq!(
        hub.writes(),
        [
            "POST /repos/o/r/issues/7/comments",
            "POST /repos/o/r/issues/7/comments"
        ]
    );
}

#[test]
fn a_rate_limit_that_persists_stops_after_3_tries() {
    let (repo, base) = changed_repo();
    let hub = Hub::new();
    hub.user("quest-bot").page(1, vec![]);
    hub.mount(
        Mock::given(method("POST"))
            .and(path(COMMENTS))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("retry-after", "0")
                    .set_body_json(json!({ "message": "slow down" })),
            ),
    );
    let run = comment_cmd(&repo, &base, &hub).run();
    assert_eq!(run.code, 9, "{}", run.stderr);
    assert!(run.stderr.ends_with("error: failed to create a comment on o/r#7: the GitHub API kept rate limiting through the 3 tries and 60 seconds of waiting allowed (HTTP 403/429): slow down\n"), "{}", run.stderr);
    assert_eq!(hub.writes().len(), 3);
}

#[test]
fn a_missing_permission_is_not_retried() {
    let run = refused(
        |hub| {
            hub.user("quest-bot").page(1, vec![]);
            hub.mount(
                Mock::given(method("POST"))
                    .and(path(COMMENTS))
                    .respond_with(ResponseTemplate::new(403).set_body_json(
                        json!({ "message": "Resource not accessible by personal access token" }),
                    )),
            );
        },
        1,
    );
    assert!(
        run.stderr.contains("lacks the permission"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_pull_request_exits_9() {
    let run = refused(
        |hub| {
            hub.user("quest-bot");
            hub.mount(Mock::given(method("GET")).and(path(COMMENTS)).respond_with(
                ResponseTemplate::new(404).set_body_json(json!({ "message": "Not Found" })),
            ));
        },
        0,
    );
    assert_eq!(
        run.stderr,
        "error: failed to list the comments of o/r#7: the GitHub API found no such repository, pull request or comment, or the token cannot see it (HTTP 404); check --repo-slug and --pr: Not Found\n"
    );
}

#[test]
fn a_rejected_body_exits_9() {
    let run = refused(
        |hub| {
            hub.user("quest-bot").page(1, vec![]);
            hub.mount(
                Mock::given(method("POST"))
                    .and(path(COMMENTS))
                    .respond_with(
                        ResponseTemplate::new(422)
                            .set_body_json(json!({ "message": "Validation Failed" })),
                    ),
            );
        },
        1,
    );
    assert_eq!(
        run.stderr,
        "error: failed to create a comment on o/r#7: the GitHub API rejected the request as invalid (HTTP 422): Validation Failed\n"
    );
}

#[test]
fn a_missing_token_is_a_usage_error() {
    let (repo, base) = changed_repo();
    let hub = Hub::new();
    let run = repo
        .quest()
        .args([
            "comment",
            "--repo-slug",
            "o/r",
            "--pr",
            "7",
            "--base",
            &base,
        ])
        .args(["--api-url", &hub.server.uri()])
        .run();
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: comment reads the GitHub token from GITHUB_TOKEN, which is not set (name another variable with --token-env)\n"
    );
    assert!(hub.requests().is_empty());
}

#[test]
fn a_body_over_the_limit_cuts_the_file_list_and_says_so() {
    let repo = layout();
    let base = repo.head();
    let long = "x".repeat(80);
    for i in 0..1500 {
        repo.write(&format!("app/many/{long}-{i:04}.js"), "x\n");
    }
    repo.commit("many files");
    let hub = Hub::new();
    hub.user("quest-bot").page(1, vec![]).accept_create();
    comment_cmd(&repo, &base, &hub).run().ok();
    let body = hub.posted_body();
    let chars = body.chars().count();
    assert!(chars < 65_536, "{chars} characters");
    assert!(body.starts_with(MARKER));
    assert!(body.contains("<summary>Changed files (1500)</summary>"));
    let listed = body.matches(&long).count();
    assert!(listed > 100 && listed < 1500, "{listed} listed");
    assert!(
        body.contains(&format!(
            "\n{} more files not listed, to keep the comment within GitHub's size limit.\n",
            1500 - listed
        )),
        "{}",
        &body[body.len() - 2000..]
    );
    assert!(body.contains("| service | ecs-service | **yes** | 1500 |"));
    assert!(body.contains(&format!("\nRange `{base}..{}`", repo.head())));
}

#[test]
fn hostile_file_names_stay_escaped_in_the_posted_body() {
    let repo = layout();
    let base = repo.head();
    let names = [
        "app/a|b.js",
        "app/`tick`.js",
        "app/<img src=x onerror=alert(1)>.js",
        "app/@team/x.js",
        "app/see](http:/x).js",
        "app/new\nline.js",
        "app/\"]-->evil[\"/x.js",
    ];
    for name in names {
        repo.write(name, "x\n");
    }
    repo.commit("hostile names");
    let hub = Hub::new();
    hub.user("quest-bot").page(1, vec![]).accept_create();
    comment_cmd(&repo, &base, &hub).run().ok();
    let body = hub.posted_body();

    // The file list: each name is one code span that nothing in it can close.
    for span in [
        "` app/a\\|b.js `",
        "`` app/`tick`.js ``",
        "` app/<img src=x onerror=alert(1)>.js `",
        "` app/@team/x.js `",
        "` app/see](http:/x).js `",
        "` \"app/new\\nline.js\" `",
    ] {
        assert!(body.contains(span), "missing {span} in:\n{body}");
    }
    assert!(!body.lines().any(|l| l.starts_with("line.js")), "{body}");

    // The chart: generated ids, quoted labels with every metacharacter entity-escaped.
    let start = body.find("```mermaid\n").expect("a chart");
    let end = start + body[start..].find("\n```\n").expect("the chart ends");
    let chart = &body[start + "```mermaid\n".len()..end];
    assert!(chart.contains("[\"app/#64;team\"]"), "{chart}");
    assert!(
        chart.contains("[\"app/#34;#93;--#62;evil#91;#34;\"]"),
        "{chart}"
    );
    for line in chart.lines().skip(1) {
        let line = line.trim();
        if let Some(open) = line.find("[\"") {
            let label = &line[open + 2..line.len() - 2];
            assert!(line.ends_with("\"]"), "{line}");
            assert!(
                !label.contains(['"', '[', ']', '`', '<', '>', '@', '(', ')', '|']),
                "unescaped label {label}"
            );
        } else {
            assert!(line.contains(" --> "), "{line}");
        }
    }

    // Outside code spans and the chart, nothing can open HTML, mention or link.
    let rest = format!("{}{}", &body[..start], &body[end + "\n```\n".len()..]);
    let prose = strip_code_spans(&rest);
    for bad in ["<img", "@team", "](http", "`"] {
        assert!(!prose.contains(bad), "{bad} outside code in:\n{prose}");
    }
}

/// The text with every inline code span (a backtick run up to the next run of the same length)
/// removed.
fn strip_code_spans(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|c| **c == '`').count();
        let mut j = i + run;
        let mut closed = None;
        while j < chars.len() {
            if chars[j] == '`' {
                let other = chars[j..].iter().take_while(|c| **c == '`').count();
                if other == run {
                    closed = Some(j + other);
                    break;
                }
                j += other;
            } else {
                j += 1;
            }
        }
        match closed {
            Some(after) => i = after,
            None => {
                out.extend(&chars[i..i + run]);
                i += run;
            }
        }
    }
    out
}

#[test]
fn dry_run_prints_the_body_and_sends_nothing() {
    let (repo, base) = changed_repo();
    let hub = Hub::new();
    let run = comment_cmd(&repo, &base, &hub).arg("--dry-run").run().ok();
    assert_no_token(&run);
    assert!(run.stdout.starts_with(MARKER), "{}", run.stdout);
    assert!(run.stdout.contains("```mermaid"));
    assert!(run
        .stdout
        .contains(&format!("Range `{base}..{}`", repo.head())));
    assert!(hub.requests().is_empty());
}

#[test]
fn dry_run_needs_neither_token_nor_pull_request() {
    let (repo, base) = changed_repo();
    let run = Quest::new()
        .cwd(&repo.path)
        .args(["comment", "--dry-run", "--base", &base])
        .run()
        .ok();
    assert!(run.stdout.starts_with(MARKER));
}

#[test]
fn the_body_carries_the_image_tag_and_the_saved_plan_of_this_commit_only() {
    let repo = layout();
    let base = repo.head();
    repo.write("app/server.js", "console.log('changed')\n")
        .write("terraform/main.tf", "# changed\n");
    repo.commit("both");
    let head = repo.head();
    let plans = tempfile::tempdir().unwrap();
    let summary = |commit: &str| {
        json!({
            "target": "infra",
            "commit": commit,
            "summary": {
                "resources": [
                    ["replace", "aws_lb.public"],
                    ["destroy", "aws_iam_role.old[\"`@team <b>`\"]"],
                    ["create", "aws_s3_bucket.logs"]
                ],
                "drift": [["aws_ecs_service.quest", "update"]],
                "outputs": [["service_url", "update"]]
            }
        })
        .to_string()
    };
    std::fs::write(
        plans.path().join("quest-infra.summary.json"),
        summary(&head),
    )
    .unwrap();
    let body = repo
        .quest()
        .args(["comment", "--dry-run", "--base", &base])
        .arg("--plan-dir")
        .arg(plans.path())
        .run()
        .ok()
        .stdout;
    let image = format!("` {head} `");
    assert!(
        body.contains(&format!("**service**: builds image {image}")),
        "{body}"
    );
    assert!(
        body.contains("**infra**: Plan&#58; 2 to add, 0 to change, 2 to destroy."),
        "{body}"
    );
    assert!(
        body.contains("> **Warning:** 2 resources are destroyed or replaced:"),
        "{body}"
    );
    assert!(
        body.contains("| **replace** | ` aws_lb.public ` |"),
        "{body}"
    );
    assert!(
        body.contains("| **destroy** | `` \"aws_iam_role.old[\\\"`@team <b>`\\\"]\" `` |"),
        "{body}"
    );
    assert!(
        body.contains("| create | ` aws_s3_bucket.logs ` |"),
        "{body}"
    );
    assert!(
        body.contains("Changed outside Terraform since the last apply: ` aws_ecs_service.quest `"),
        "{body}"
    );
    assert!(
        body.contains("Outputs that change: ` service_url `"),
        "{body}"
    );
    // Risky first: the table lists the replace and the destroy before the create.
    assert!(body.find("aws_lb.public").unwrap() < body.find("aws_s3_bucket.logs").unwrap());

    // A summary planned at another commit is never shown as this one's.
    std::fs::write(
        plans.path().join("quest-infra.summary.json"),
        summary(&base),
    )
    .unwrap();
    let body = repo
        .quest()
        .args(["comment", "--dry-run", "--base", &base])
        .env("QUEST_PLAN_DIR", plans.path().display().to_string())
        .run()
        .ok()
        .stdout;
    assert!(!body.contains("aws_lb.public"), "{body}");
    assert!(
        body.contains(&format!(
            "**infra**: the saved plan is of commit {}, not of this head&#59; it is not shown",
            &base[..12]
        )),
        "{body}"
    );
}

/// [`changed_repo`] with environments: `dev` deploys from `main`, `prod` from `release`, `qa`
/// only by promotion.
fn environments_repo() -> (Repo, String) {
    let (repo, _) = changed_repo();
    repo.write(
        ".quest-changes.yml",
        &format!(
            "{}environments:\n  dev: {{branches: [main], region: us-east-1}}\n  prod: {{branches: [release], region: us-east-1}}\n  qa: {{region: us-east-1}}\n",
            crate::support::PATTERN_TARGETS
        ),
    );
    let base = repo.commit("environments");
    repo.write("app/server.js", "console.log('again')\n");
    repo.commit("change the app again");
    (repo, base)
}

#[test]
fn the_body_says_what_merging_deploys_to_each_environment() {
    let (repo, base) = environments_repo();
    // GitHub Actions names the base branch of a pull request.
    let run = Quest::new()
        .cwd(&repo.path)
        .args(["comment", "--dry-run", "--base", &base])
        .env("GITHUB_BASE_REF", "main")
        .run()
        .ok();
    assert!(
        run.stdout.contains(
            "\n**Environments**, merging into ` main `:\n\n- **dev**: merging deploys service to dev\n- **prod**: prod stays as it is until promoted\n- **qa**: qa stays as it is until promoted\n"
        ),
        "{}",
        run.stdout
    );

    // Posting: the API says the pull request merges into `release`.
    let hub = Hub::new();
    hub.user("quest-bot").page(1, vec![]).accept_create().mount(
        Mock::given(method("GET"))
            .and(path("/repos/o/r/pulls/7"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"number": 7, "base": {"ref": "release"}})),
            ),
    );
    comment_cmd(&repo, &base, &hub).run().ok();
    let body = hub.posted_body();
    assert!(
        body.contains(
            "**Environments**, merging into ` release `:\n\n- **dev**: dev stays as it is until promoted\n- **prod**: merging deploys service to prod\n"
        ),
        "{body}"
    );

    // The API cannot say: the default branch is assumed, and said; the comment is posted.
    let hub = Hub::new();
    hub.user("quest-bot").page(1, vec![]).accept_create();
    let run = comment_cmd(&repo, &base, &hub).run().ok();
    assert!(
        run.stderr
            .contains("note: failed to read the base branch of o/r#7: "),
        "{}",
        run.stderr
    );
    let body = hub.posted_body();
    assert!(
        body.contains(
            "**Environments**, merging into ` main ` (the default branch: the pull request's base was not known):\n\n- **dev**: merging deploys service to dev\n"
        ),
        "{body}"
    );

    // Without environments there is no such section, and no question to the API.
    let (repo, base) = changed_repo();
    let hub = Hub::new();
    hub.user("quest-bot").page(1, vec![]).accept_create();
    comment_cmd(&repo, &base, &hub).run().ok();
    assert!(!hub.posted_body().contains("Environments"));
    assert!(hub
        .requests()
        .iter()
        .all(|r| !r.url.path().starts_with("/repos/o/r/pulls/")));
}
