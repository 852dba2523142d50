//! `quest-changes status` against moto: one account with a cluster per environment (dev runs
//! the head, prod an older commit whose subject is hostile, qa's cluster does not exist) and a
//! terraform root whose markers say what each environment applied. Every format is read, the
//! unreachable environment fails its own cells only, and the command exits 1 after printing.

use aws_sdk_ecs::types::{ContainerDefinition, Tag};
use serde_json::{json, Value};

use crate::moto::Moto;
use crate::support::{Quest, Repo, Run};
use crate::terraform_support::{boto, plain_bucket, BUCKET};

/// A subject that tries to break a terminal line and a Markdown table, open HTML and run code.
const HOSTILE: &str =
    "fix\u{1b}[31m | <img src=x onerror=alert(1)> `rm -rf ~` *all* [me](http://x) | x |";

struct World {
    repo: Repo,
    moto: Moto,
    /// The commit prod runs (its subject is [`HOSTILE`]).
    prod: String,
    /// The head, which dev runs.
    head: String,
}

impl World {
    fn new() -> World {
        let moto = Moto::start();
        plain_bucket(&moto);
        let repo = Repo::new();
        repo.write(
            ".quest-changes.yml",
            &format!(
                "version: 1\nenvironments:\n  dev: {{branches: [main], region: us-east-1}}\n  prod: {{branches: [release], region: us-east-1, approval: true}}\n  qa: {{region: us-east-1}}\ntargets:\n  service:\n    kind: ecs-service\n    paths: [\"app/**\"]\n    image: {{repository: quest-app}}\n    ecs: {{cluster: quest, service: quest, container: quest}}\n    environments:\n      dev: {{ecs: {{cluster: quest-dev, service: quest-dev}}}}\n      qa: {{ecs: {{cluster: quest-qa, service: quest-qa}}}}\n  infra:\n    kind: terraform\n    root: infra\n    state: {{bucket: {BUCKET}, key: prod/terraform.tfstate, region: us-east-1}}\n    environments:\n      dev: {{state: {{key: dev/terraform.tfstate}}}}\n      qa: {{state: {{key: qa/terraform.tfstate}}}}\n  docs:\n    kind: custom\n    paths: [\"docs/**\"]\n"
            ),
        )
        .write("app/server.js", "1\n")
        .write("infra/main.tf", "terraform {\n  backend \"s3\" {}\n}\n")
        .write("docs/a.md", "a\n");
        repo.commit("the app");
        repo.write("app/server.js", "2\n");
        let prod = repo.commit(HOSTILE);
        repo.write("app/server.js", "3\n").write(
            "infra/main.tf",
            "terraform {\n  backend \"s3\" {}\n}\n# 3\n",
        );
        let head = repo.commit("v3");

        let config = moto.sdk_config();
        let ecs = aws_sdk_ecs::Client::new(&config);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            for (cluster, commit) in [("quest-dev", &head), ("quest", &prod)] {
                ecs.create_cluster()
                    .cluster_name(cluster)
                    .send()
                    .await
                    .unwrap();
                ecs.register_task_definition()
                    .family(cluster)
                    .container_definitions(
                        ContainerDefinition::builder()
                            .name("quest")
                            .image(format!("quest-app:{commit}"))
                            .memory(256)
                            .essential(true)
                            .build(),
                    )
                    .tags(
                        Tag::builder()
                            .key("quest-changes:commit")
                            .value(commit.as_str())
                            .build(),
                    )
                    .send()
                    .await
                    .unwrap();
                ecs.create_service()
                    .cluster(cluster)
                    .service_name(cluster)
                    .task_definition(format!("{cluster}:1"))
                    .desired_count(1)
                    .send()
                    .await
                    .unwrap();
            }
        });
        for (env, commit, time) in [
            ("dev", &head, "2026-12-01T10:00:00Z"),
            ("prod", &prod, "2026-11-28T16:00:00Z"),
        ] {
            let marker = json!({
                "commit": commit,
                "time": time,
                "plan_sha256": "sha256:00",
                "summary": {"add": 0, "change": 0, "destroy": 0, "forget": 0}
            });
            boto(
                &moto,
                &format!(
                    "s3.put_object(Bucket={BUCKET:?}, Key='{env}/terraform.tfstate.quest-changes.json', Body={:?})",
                    marker.to_string()
                ),
            );
        }
        World {
            repo,
            moto,
            prod,
            head,
        }
    }

    fn quest(&self) -> Quest {
        self.repo
            .quest()
            .aws(&self.moto)
            .env("AWS_MAX_ATTEMPTS", "1")
            .arg("status")
    }

    fn status(&self, args: &[&str]) -> Run {
        self.quest().args(args).run()
    }
}

/// The error every run ends with: qa's service cannot be read, and only that cell says so.
fn assert_qa_failed(run: &Run) {
    assert_eq!(run.code, 1, "{}\n{}", run.stderr, run.stdout);
    let last = run.stderr.lines().last().unwrap();
    assert!(
        last.starts_with("error: failed to read what runs for service in qa: failed to describe "),
        "{}",
        run.stderr
    );
}

#[test]
fn status_says_what_runs_where_in_every_format() {
    let world = World::new();
    let (head, prod) = (&world.head, &world.prod);

    // JSON: the documented shape, every cell of every environment.
    let run = world.status(&["--format", "json"]);
    assert_qa_failed(&run);
    let doc = run.json();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["head"], head.as_str());
    assert_eq!(doc["environments"], json!(["dev", "prod", "qa"]));
    let targets = doc["targets"].as_object().unwrap();
    assert_eq!(
        targets.keys().collect::<Vec<_>>(),
        ["service", "infra"],
        "a custom target has no deployment, so no row"
    );
    let service = &doc["targets"]["service"];
    assert_eq!(service["kind"], "ecs-service");
    let dev = &service["environments"]["dev"];
    // ECS says when the service's deployment last changed, and its rollout state.
    let deployed_at = dev["deployed_at"].as_str().unwrap().to_owned();
    assert_eq!(
        dev,
        &json!({
            "state": "deployed",
            "commit": head,
            "subject": "v3",
            "deployed_at": deployed_at,
            "deployed_at_source": "deployment",
            "rollout": "COMPLETED",
            "behind": 0,
            "ahead": 0,
            "next": [],
            "error": null,
        })
    );
    assert!(
        deployed_at.ends_with('Z') && deployed_at.len() == 20,
        "{deployed_at}"
    );
    let prod_cell = &service["environments"]["prod"];
    assert_eq!(prod_cell["state"], "deployed");
    assert_eq!(prod_cell["commit"], prod.as_str());
    assert_eq!(
        prod_cell["subject"], HOSTILE,
        "JSON keeps the subject as written"
    );
    assert_eq!(prod_cell["behind"], 1);
    assert_eq!(prod_cell["next"], json!(["app/server.js"]));
    let qa = &service["environments"]["qa"];
    assert_eq!(qa["state"], "error");
    assert_eq!(qa["commit"], Value::Null);
    assert!(
        qa["error"]
            .as_str()
            .unwrap()
            .starts_with("failed to describe "),
        "{qa}"
    );
    let infra = &doc["targets"]["infra"]["environments"];
    assert_eq!(infra["dev"]["deployed_at"], "2026-12-01T10:00:00Z");
    assert_eq!(infra["dev"]["deployed_at_source"], "deployment");
    assert_eq!(infra["prod"]["commit"], prod.as_str());
    assert_eq!(infra["prod"]["next"], json!(["infra/main.tf"]));
    assert_eq!(
        infra["qa"],
        json!({
            "state": "nothing", "commit": null, "subject": null, "deployed_at": null,
            "deployed_at_source": null, "rollout": null, "behind": null, "ahead": null,
            "next": null, "error": null,
        })
    );

    // Text: an aligned table; the subject is one safe line.
    let run = world.status(&[]);
    assert_qa_failed(&run);
    let text = &run.stdout;
    assert!(!text.contains('\u{1b}'), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("TARGET   ENVIRONMENT  COMMIT        SUBJECT"),
        "{text}"
    );
    let column = lines[0].find("SUBJECT").unwrap();
    let prod_row = lines
        .iter()
        .find(|l| l.starts_with("service  prod "))
        .unwrap();
    assert_eq!(&prod_row[column - 14..column - 2], &prod[..12], "{text}");
    assert!(
        prod_row[column..].starts_with("fix\\u{1b}[31m | <img src=x onerror=alert(1)> `rm …  "),
        "{text}"
    );
    let qa_row = lines
        .iter()
        .find(|l| l.starts_with("service  qa "))
        .unwrap();
    assert!(qa_row.contains("  error: failed to describe "), "{text}");
    assert!(
        text.contains("\nnext deployments:\n  service in prod:\n    app/server.js\n"),
        "{text}"
    );
    // Markdown: one row per cell, no subject can add a cell, a row or HTML.
    let run = world.status(&["--format", "markdown"]);
    assert_qa_failed(&run);
    let md = &run.stdout;
    assert!(!md.contains("<img"), "{md}");
    assert!(!md.contains("`rm"), "{md}");
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(rows.len(), 2 + 6, "{md}");
    for row in &rows {
        assert_eq!(row.matches('|').count(), 9, "a row has 8 cells: {row}");
    }
    let prod_row = rows
        .iter()
        .find(|r| r.starts_with("| service | prod |"))
        .unwrap();
    assert!(
        prod_row.contains(&format!(
            "| `{}` | fix&#92;u&#123;1b&#125;&#91;31m &#124; &#60;img src=x onerror=alert&#40;1&#41;&#62; &#96;rm -rf &#126;&#96; &#42;all&#42; &#91;me&#93;&#40;http&#58;//x&#41; &#124; x &#124; |",
            &prod[..12]
        )),
        "{md}"
    );
    assert!(prod_row.ends_with("| ` app/server.js ` |"), "{md}");
}

#[test]
fn status_env_shows_one_environment_and_default_stands_for_none() {
    let world = World::new();
    let doc = world
        .status(&["--env", "prod", "--format", "json"])
        .ok()
        .json();
    assert_eq!(doc["environments"], json!(["prod"]));
    assert_eq!(
        doc["targets"]["service"]["environments"]["prod"]["commit"],
        world.prod.as_str()
    );
    assert_eq!(
        doc["targets"]["service"]["environments"]
            .as_object()
            .unwrap()
            .len(),
        1
    );

    let run = world.status(&["--env", "staging"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: --env: no environment is named `staging` (the configuration declares: dev, prod, qa)\n"
    );
    let run = world.status(&["--format", "github"]);
    assert_eq!(run.code, 2, "{}", run.stderr);

    // Without `environments:`, one column: the targets' own settings.
    world.repo.write(
        "plain.yml",
        &format!(
            "version: 1\ntargets:\n  service:\n    kind: ecs-service\n    paths: [\"app/**\"]\n    image: {{repository: quest-app}}\n    ecs: {{cluster: quest-dev, service: quest-dev, container: quest}}\n  infra:\n    kind: terraform\n    root: infra\n    state: {{bucket: {BUCKET}, key: prod/terraform.tfstate, region: us-east-1}}\n"
        ),
    );
    let doc = world
        .status(&["--config", "plain.yml", "--format", "json"])
        .ok()
        .json();
    assert_eq!(doc["environments"], json!(["default"]));
    assert_eq!(
        doc["targets"]["service"]["environments"]["default"]["commit"],
        world.head.as_str()
    );
    assert_eq!(
        doc["targets"]["infra"]["environments"]["default"]["behind"],
        1
    );
}

#[test]
fn the_comment_names_the_commit_an_environment_stays_at_when_asked_to_read_it() {
    let world = World::new();
    let comment = |since: &[&str]| {
        world
            .repo
            .quest()
            .aws(&world.moto)
            .env("AWS_MAX_ATTEMPTS", "1")
            .env("GITHUB_BASE_REF", "main")
            .args(["comment", "--dry-run", "--base", &world.prod])
            .args(since)
            .run()
            .ok()
    };
    // `--since deployed` reads what runs, with the job's credentials: prod runs one commit for
    // both targets; qa cannot be read, and the comment is written all the same.
    let run = comment(&["--since", "deployed"]);
    assert!(
        run.stdout.contains(&format!(
            "- **dev**: merging deploys service, infra to dev\n- **prod**: prod stays at `{}` until promoted\n- **qa**: qa stays as it is until promoted\n",
            &world.prod[..12]
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains(
            "note: the comment says qa stays as it is, without its commit: failed to describe "
        ),
        "{}",
        run.stderr
    );
    // Not asked: no commit is named.
    let run = comment(&[]);
    assert!(
        run.stdout
            .contains("- **prod**: prod stays as it is until promoted\n"),
        "{}",
        run.stdout
    );
}
