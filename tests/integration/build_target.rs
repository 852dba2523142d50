//! `build.target`: the stage a multi-target Dockerfile builds. Only the stages it reaches (its
//! base, `COPY --from`, `RUN --mount=from=`) read files that route the service.

use crate::support::{changed, route_in_both as route, Repo};

const DOCKERFILE: &str = "FROM scratch AS tools\nCOPY tools/ /tools/\nFROM scratch AS deps\nCOPY deps/ /deps/\nFROM deps AS api\nCOPY api/ /api/\nFROM scratch AS worker\nCOPY --from=deps /deps /deps\nCOPY worker/ /worker/\n";

fn service(target: Option<&str>) -> Repo {
    let repo = Repo::new();
    let target = target.map_or(String::new(), |t| format!(", target: {t}"));
    repo.write(
        ".quest-changes.yml",
        &format!("version: 1\ntargets:\n  service:\n    kind: ecs-service\n    build: {{context: app{target}}}\n"),
    )
    .write("app/Dockerfile", DOCKERFILE);
    for dir in ["tools", "deps", "api", "worker"] {
        repo.write(&format!("app/{dir}/file"), "1\n");
    }
    repo.commit("service");
    repo
}

fn routes(repo: &Repo, dir: &str) -> bool {
    let base = repo.head();
    repo.write(&format!("app/{dir}/file"), &format!("changed {base}\n"))
        .commit(dir);
    changed(&route(repo, &base)) == ["service"]
}

#[test]
fn the_last_stage_is_built_by_default() {
    let repo = service(None);
    assert!(!routes(&repo, "tools"));
    assert!(routes(&repo, "deps"));
    assert!(!routes(&repo, "api"));
    assert!(routes(&repo, "worker"));
}

#[test]
fn build_target_names_the_stage_built() {
    let repo = service(Some("api"));
    assert!(!routes(&repo, "tools"));
    assert!(routes(&repo, "deps"));
    assert!(routes(&repo, "api"));
    assert!(!routes(&repo, "worker"));
}

#[test]
fn build_target_must_be_a_stage_name() {
    let repo = service(Some("\"2bad name\""));
    let run = repo.quest().args(["--base", "HEAD"]).run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("targets.service.build.target: `2bad name` is not a stage name"),
        "{}",
        run.stderr
    );
}

#[test]
fn build_target_is_in_the_schema_and_the_effective_configuration() {
    let repo = service(Some("api"));
    let schema = repo.quest().args(["config", "schema"]).run().ok().stdout;
    assert!(schema.contains("\"target\""), "{schema}");
    let shown = repo.quest().args(["config"]).run().ok().stdout;
    assert!(shown.contains("target: api"), "{shown}");
}
