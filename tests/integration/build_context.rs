//! `ecs-service` targets with a `build` section route by what the image build reads.

use serde_json::json;

use crate::support::{changed, paths, route_in_both as route, source, Repo};

const CONFIG: &str = "version: 1\ntargets:\n  service:\n    kind: ecs-service\n    build: {context: app}\n  infra:\n    kind: terraform\n    paths: [\"terraform/**\"]\n";

/// A service whose Dockerfile copies only its manifest and `src/`, with tests ignored.
fn service() -> Repo {
    let repo = Repo::new();
    repo.write(".quest-changes.yml", CONFIG)
        .write(
            "app/Dockerfile",
            "# syntax=docker/dockerfile:1\nFROM node:20-alpine AS build\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY src/ ./src/\n\nFROM node:20-alpine\nCOPY --from=build /app /app\nCMD [\"node\", \"src/server.js\"]\n",
        )
        .write("app/.dockerignore", "test/\n*.md\n")
        .write("app/package.json", "{}\n")
        .write("app/src/server.js", "x\n")
        .write("app/src/old.js", "some content that is long enough to be a rename\n")
        .write("app/test/server.test.js", "t\n")
        .write("app/README.md", "# app\n")
        .write("app/notes.txt", "not copied\n")
        .write("terraform/main.tf", "#\n")
        .write("docs/guide.md", "#\n");
    repo.commit("service");
    repo
}

#[test]
fn files_the_build_does_not_read_change_nothing() {
    let repo = service();
    let base = repo.head();
    repo.write("app/README.md", "# changed\n")
        .write("app/test/server.test.js", "changed\n")
        .write("app/notes.txt", "changed\n")
        .commit("docs and tests");
    let doc = route(&repo, &base);
    assert_eq!(source(&doc), "explicit");
    assert_eq!(changed(&doc), Vec::<String>::new());
    assert_eq!(
        paths(&doc),
        ["app/README.md", "app/notes.txt", "app/test/server.test.js"]
    );
}

#[test]
fn files_the_build_copies_change_the_service() {
    let repo = service();
    let base = repo.head();
    repo.write("app/src/server.js", "y\n").commit("code");
    let doc = route(&repo, &base);
    assert_eq!(changed(&doc), ["service"]);
    assert_eq!(
        doc["targets"]["service"]["files"],
        json!(["app/src/server.js"])
    );

    let base = repo.head();
    repo.write("app/package-lock.json", "{}\n").commit("lock");
    assert_eq!(
        changed(&route(&repo, &base)),
        ["service"],
        "package*.json matches the lock file"
    );
}

#[test]
fn the_dockerfile_and_the_dockerignore_change_the_service() {
    let repo = service();
    let base = repo.head();
    repo.write("app/.dockerignore", "test/\n")
        .commit("ignore less");
    assert_eq!(changed(&route(&repo, &base)), ["service"]);
    let base = repo.head();
    repo.write("app/Dockerfile", "FROM scratch\nCOPY src/ /src/\n")
        .commit("dockerfile");
    assert_eq!(changed(&route(&repo, &base)), ["service"]);
}

#[test]
fn a_deleted_or_moved_away_copied_file_changes_the_service() {
    let repo = service();
    let base = repo.head();
    repo.remove("app/src/server.js").commit("delete");
    let doc = route(&repo, &base);
    assert_eq!(
        changed(&doc),
        ["service"],
        "judged by the base commit's build"
    );

    let base = repo.head();
    repo.git(&["mv", "app/src/old.js", "docs/old.js"]);
    repo.commit("move out");
    let doc = route(&repo, &base);
    assert_eq!(doc["changes"][0]["status"], "renamed");
    assert_eq!(changed(&doc), ["service"]);
}

#[test]
fn dockerignore_patterns_follow_docker_under_a_copied_directory() {
    let repo = service();
    // `*.md` matches at the context root only (Go's filepath.Match); `**/*.md` matches anywhere.
    repo.write("app/src/NOTES.md", "n\n").commit("notes");
    let base = repo.head();
    repo.write("app/src/NOTES.md", "changed\n")
        .commit("notes 2");
    assert_eq!(
        changed(&route(&repo, &base)),
        ["service"],
        "src/NOTES.md is sent and copied"
    );
    repo.write("app/.dockerignore", "test/\n**/*.md\n")
        .commit("ignore md everywhere");
    let base = repo.head();
    repo.write("app/src/NOTES.md", "changed again\n")
        .commit("notes 3");
    assert_eq!(changed(&route(&repo, &base)), Vec::<String>::new());
}

#[test]
fn an_unresolvable_variable_widens_to_the_whole_context_with_a_note() {
    let repo = service();
    repo.write(
        "app/Dockerfile",
        "FROM scratch\nARG TARGETARCH\nCOPY bin/$TARGETARCH /x\n",
    )
    .commit("arg");
    let base = repo.head();
    repo.write("app/notes.txt", "changed\n").commit("notes");
    let run = repo
        .quest()
        .args(["--base", &base, "--format", "json"])
        .run()
        .ok();
    assert_eq!(changed(&run.json()), ["service"]);
    assert!(
        run.stderr
            .contains("note: targets.service: app/Dockerfile: line 3:"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("assuming the whole context is read"),
        "{}",
        run.stderr
    );
    // Both commits of the range give the note; it is said once.
    assert_eq!(
        run.stderr.matches("note: targets.service: ").count(),
        1,
        "{}",
        run.stderr
    );
}

#[test]
fn explain_says_which_instruction_reads_a_file() {
    let repo = service();
    let out = repo
        .quest()
        .args([
            "explain",
            "app/src/server.js",
            "app/README.md",
            "app/notes.txt",
            "app/Dockerfile",
        ])
        .run()
        .ok()
        .stdout;
    assert_eq!(
        out,
        "app/src/server.js\n  service: included: read by COPY `src` (app/Dockerfile:6)\n  infra: no rule matched\n\
         app/README.md\n  service: not included: in the build context but excluded by `*.md` (app/.dockerignore:2)\n  infra: no rule matched\n\
         app/notes.txt\n  service: not included: in the build context but read by no instruction\n  infra: no rule matched\n\
         app/Dockerfile\n  service: included: the Dockerfile\n  infra: no rule matched\n"
    );
}

#[test]
fn a_symlinked_dockerfile_routes_changes_to_the_file_it_points_at() {
    let repo = Repo::new();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  svc:\n    kind: ecs-service\n    build: {context: app}\n",
    )
    .write("docker/app.Dockerfile", "FROM scratch\nCOPY src/ /src/\n")
    .write("app/src/a.js", "x\n");
    std::os::unix::fs::symlink("../docker/app.Dockerfile", repo.path.join("app/Dockerfile"))
        .unwrap();
    let base = repo.commit("linked dockerfile");
    repo.write(
        "docker/app.Dockerfile",
        "FROM scratch\nCOPY src/ /app/src/\n",
    )
    .commit("edit the real file");
    assert_eq!(changed(&route(&repo, &base)), ["svc"]);
    let base = repo.head();
    repo.write("app/notes.txt", "x\n").commit("not copied");
    assert_eq!(
        changed(&route(&repo, &base)),
        Vec::<String>::new(),
        "the linked Dockerfile is read, not guessed"
    );
}

#[test]
fn build_args_give_arg_values_as_the_build_will() {
    let repo = Repo::new();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  api:\n    kind: ecs-service\n    build: {context: ., dockerfile: Dockerfile}\n  web:\n    kind: ecs-service\n    build: {context: ., dockerfile: Dockerfile, args: {APP: web}}\n",
    )
    .write("Dockerfile", "FROM scratch\nARG APP=api\nCOPY services/${APP}/ /srv/\n")
    .write("services/api/main.js", "x\n")
    .write("services/web/main.js", "x\n");
    let base = repo.commit("one dockerfile, two services");
    repo.write("services/web/main.js", "y\n").commit("web");
    assert_eq!(changed(&route(&repo, &base)), ["web"]);
}

#[test]
fn heredocs_re_included_files_and_copy_from_stages() {
    let repo = Repo::new();
    repo.write(".quest-changes.yml", "version: 1\ntargets:\n  svc:\n    kind: ecs-service\n    build: {context: app}\n")
        .write(
            "app/Dockerfile",
            "# syntax=docker/dockerfile:1\nFROM alpine AS build\nRUN <<EOF\nCOPY secret.txt /nowhere\nEOF\nCOPY . /src\n\nFROM scratch\nCOPY --from=build /src/generated.txt /out/\nCOPY <<EOF /etc/motd\nhello\nEOF\n",
        )
        .write("app/.dockerignore", "*.md\n!KEEP.md\n")
        .write("app/secret.txt", "x\n")
        .write("app/generated.txt", "x\n")
        .write("app/README.md", "x\n")
        .write("app/KEEP.md", "x\n");
    let base = repo.commit("build");
    repo.write("app/README.md", "y\n").commit("ignored");
    assert_eq!(
        changed(&route(&repo, &base)),
        Vec::<String>::new(),
        "excluded by *.md"
    );
    let base = repo.head();
    repo.write("app/KEEP.md", "y\n").commit("re-included");
    assert_eq!(
        changed(&route(&repo, &base)),
        ["svc"],
        "`COPY . /src` reads what `!KEEP.md` re-includes"
    );
    let base = repo.head();
    repo.write("app/secret.txt", "y\n")
        .commit("read by COPY . only");
    assert_eq!(changed(&route(&repo, &base)), ["svc"]);
}
