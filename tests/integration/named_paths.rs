//! Roots, build contexts and Dockerfiles named by the configuration: one that is in neither
//! commit of the range is a typo and a configuration error (exit 2, naming the key path and the
//! missing folder), never a target that silently routes nothing; one that the range adds or
//! deletes is a change, said once.

use crate::support::Repo;

/// A service in `app/` and a Terraform root in `terraform/environments/dev`, one commit.
fn repo_with(config: &str) -> Repo {
    let repo = Repo::new();
    repo.write(".quest-changes.yml", config)
        .write("app/Dockerfile", "FROM scratch\nCOPY server.js /\n")
        .write("app/server.js", "v1\n")
        .write(
            "terraform/environments/dev/main.tf",
            "terraform {\n  backend \"s3\" {}\n}\n",
        );
    repo.commit("initial");
    repo
}

fn redacted(repo: &Repo, text: &str) -> String {
    let head = repo.head();
    let base = repo.rev("HEAD~1");
    text.replace(&format!("{}/", repo.path.display()), "")
        .replace(&head[..12], "HEAD")
        .replace(&base[..12], "BASE")
}

#[test]
fn a_misspelt_root_is_a_configuration_error_naming_the_key_and_the_folder() {
    let repo = repo_with(
        "version: 1\ntargets:\n  infra:\n    kind: terraform\n    root: terraform/enviroments/dev\n",
    );
    repo.write("terraform/environments/dev/main.tf", "# edited\n")
        .commit("edit");
    let run = repo.quest().args(["--base", "HEAD~1"]).run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(
        redacted(&repo, &run.stderr),
        "error: .quest-changes.yml: targets.infra.root: the folder `terraform/enviroments/dev` is in neither commit of the range (BASE..HEAD); check its spelling\n"
    );
    // `explain` and `--dry-run` read the same configuration and refuse it the same way.
    for args in [
        &["explain", "--base", "HEAD~1"][..],
        &["--dry-run", "--base", "HEAD~1"],
    ] {
        let run = repo.quest().args(args).run();
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("targets.infra.root"), "{}", run.stderr);
    }
}

#[test]
fn a_misspelt_build_context_or_dockerfile_is_a_configuration_error() {
    for (build, key, what) in [
        (
            "{context: ap}",
            "targets.service.build.context",
            "folder `ap`",
        ),
        (
            "{context: app, dockerfile: app/Dockerfil}",
            "targets.service.build.dockerfile",
            "file `app/Dockerfil`",
        ),
        (
            "{dockerfile: ap/Dockerfile}",
            "targets.service.build.dockerfile",
            "folder `ap`",
        ),
    ] {
        let repo = repo_with(&format!(
            "version: 1\ntargets:\n  service:\n    kind: ecs-service\n    build: {build}\n"
        ));
        repo.write("app/server.js", "v2\n").commit("edit");
        let run = repo.quest().args(["--base", "HEAD~1"]).run();
        assert_eq!(run.code, 2, "{build}: {}", run.stderr);
        assert_eq!(
            redacted(&repo, &run.stderr),
            format!("error: .quest-changes.yml: {key}: the {what} is in neither commit of the range (BASE..HEAD); check its spelling\n"),
            "{build}"
        );
    }
}

#[test]
fn a_root_missing_from_a_one_commit_range_is_a_configuration_error() {
    let repo = Repo::new();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  infra:\n    kind: terraform\n    root: infra\n",
    )
    .write("README.md", "x\n");
    let head = repo.commit("first");
    let run = repo.quest().args(["--head", &head]).run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr
            .replace(&format!("{}/", repo.path.display()), ""),
        format!(
            "error: .quest-changes.yml: targets.infra.root: the folder `infra` is not in commit {}; check its spelling\n",
            &head[..12]
        )
    );
}

#[test]
fn a_root_or_context_that_the_range_adds_or_deletes_is_a_change_said_once() {
    let config = "version: 1\ntargets:\n  infra:\n    kind: terraform\n    root: terraform/environments/prod\n  api:\n    kind: ecs-service\n    build: {context: api}\n";
    let repo = Repo::new();
    repo.write(".quest-changes.yml", config)
        .write("README.md", "x\n");
    repo.commit("before");
    repo.write(
        "terraform/environments/prod/main.tf",
        "terraform {\n  backend \"s3\" {}\n}\n",
    )
    .write("api/Dockerfile", "FROM scratch\nCOPY . /\n")
    .commit("add both");
    let run = repo
        .quest()
        .args(["--base", "HEAD~1", "--format", "json"])
        .run()
        .ok();
    let doc = run.json();
    assert_eq!(doc["targets"]["infra"]["changed"], true);
    assert_eq!(doc["targets"]["api"]["changed"], true);
    for note in [
        "note: targets.infra.root: the folder `terraform/environments/prod` is added by this range\n",
        "note: targets.api.build.context: the folder `api` is added by this range\n",
    ] {
        assert_eq!(run.stderr.matches(note).count(), 1, "{note}\n{}", run.stderr);
    }
    // Deleted by the range: the same, the other way.
    repo.git(&["rm", "-q", "-r", "api", "terraform"]);
    repo.commit("delete both");
    let run = repo
        .quest()
        .args(["explain", "--base", "HEAD~1"])
        .run()
        .ok();
    assert_eq!(
        run.stderr
            .matches("note: targets.api.build.context: the folder `api` is deleted by this range\n")
            .count(),
        1,
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("api/Dockerfile\n  infra: no rule matched\n  api: included"),
        "{}",
        run.stdout
    );
}
