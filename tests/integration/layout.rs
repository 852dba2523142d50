//! `config init` and, without a configuration file, targets discovered from the layout.

use crate::support::{changed, Repo};

fn project() -> Repo {
    let repo = Repo::new();
    for svc in ["api", "web"] {
        repo.write(
            &format!("services/{svc}/Dockerfile"),
            "FROM scratch\nCOPY src/ /src/\n",
        )
        .write(&format!("services/{svc}/src/main.js"), "x\n")
        .write(&format!("services/{svc}/README.md"), "# svc\n");
    }
    repo.write(
        "infra/envs/prod/main.tf",
        "terraform {\n  backend \"s3\" {}\n}\n\nmodule \"net\" {\n  source = \"../../modules/net\"\n}\n",
    )
    .write("infra/modules/net/main.tf", "provider \"aws\" {}\n");
    repo.commit("layout");
    repo
}

#[test]
fn config_init_writes_one_target_per_dockerfile_and_root() {
    let repo = project();
    let run = repo.quest().args(["config", "init"]).run().ok();
    assert_eq!(
        run.stdout,
        "wrote .quest-changes.yml with 3 targets: api, web, infra-prod\n"
    );
    let written = std::fs::read_to_string(repo.path.join(".quest-changes.yml")).unwrap();
    assert!(
        written.starts_with("# Written by `quest-changes config init`"),
        "{written}"
    );
    assert!(written.contains("  api:\n    kind: ecs-service\n    paths: []\n    build:\n      context: services/api\n"), "{written}");
    assert!(
        written.contains(
            "  infra-prod:\n    kind: terraform\n    paths: []\n    root: infra/envs/prod\n"
        ),
        "{written}"
    );
    // What init wrote loads, and routes.
    let base = repo.commit("config");
    repo.write("services/web/src/main.js", "y\n")
        .write(
            "infra/modules/net/main.tf",
            "provider \"aws\" {\n  region = \"x\"\n}\n",
        )
        .commit("web and net");
    let doc = repo.quest().args(["--base", &base]).json();
    assert_eq!(changed(&doc), ["web", "infra-prod"]);

    let again = repo.quest().args(["config", "init"]).run();
    assert_eq!(again.code, 2);
    assert_eq!(
        again.stderr,
        "error: .quest-changes.yml already exists; config init never overwrites it\n"
    );
}

#[test]
fn config_init_with_nothing_to_find_says_so() {
    let repo = Repo::new();
    repo.write("README.md", "x\n").commit("readme");
    let run = repo.quest().args(["config", "init"]).run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: found no Dockerfile and no Terraform root"),
        "{}",
        run.stderr
    );
    assert!(!repo.path.join(".quest-changes.yml").exists());
}

#[test]
fn without_a_config_file_another_layout_is_discovered() {
    let repo = project();
    let base = repo.head();
    repo.write("services/api/src/main.js", "y\n")
        .write("services/web/README.md", "z\n")
        .commit("api code, web docs");
    let doc = repo.quest().args(["--base", &base]).json();
    assert_eq!(changed(&doc), ["api"]);
    let shown = repo.quest().arg("config").run().ok().stdout;
    assert!(
        shown.starts_with(
            "# effective configuration from <discovered from the repository layout>\n"
        ),
        "{shown}"
    );
}

#[test]
fn a_terraform_folder_does_not_hide_services_elsewhere() {
    let repo = Repo::new();
    repo.write("terraform/envs/prod/main.tf", "provider \"aws\" {}\n")
        .write("services/api/Dockerfile", "FROM scratch\nCOPY src/ /src/\n")
        .write("services/api/src/a.js", "x\n");
    let base = repo.commit("layout");
    repo.write("services/api/src/a.js", "y\n").commit("api");
    let doc = repo.quest().args(["--base", &base]).json();
    assert_eq!(changed(&doc), ["api"]);
}

#[test]
fn a_bare_clone_reads_the_committed_configuration() {
    let repo = Repo::new();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  api:\n    kind: custom\n    paths: [\"other/**\"]\n",
    )
    .write("other/x", "1\n");
    let base = repo.commit("config");
    repo.write("other/x", "2\n").commit("change");
    let bare = crate::support::bare_clone(&repo);
    let doc = crate::support::Quest::new()
        .cwd(&bare)
        .args(["--base", &base])
        .json();
    assert_eq!(changed(&doc), ["api"]);
    let shown = crate::support::Quest::new()
        .cwd(&bare)
        .arg("config")
        .run()
        .ok()
        .stdout;
    assert!(
        shown.starts_with("# effective configuration from HEAD:.quest-changes.yml\n"),
        "{shown}"
    );

    // Discovery in a bare clone reads the commit too.
    let project = project();
    let base = project.head();
    project
        .write("services/api/src/main.js", "y\n")
        .commit("api");
    let bare = crate::support::bare_clone(&project);
    let doc = crate::support::Quest::new()
        .cwd(&bare)
        .args(["--base", &base])
        .json();
    assert_eq!(changed(&doc), ["api"]);
}

#[test]
fn config_init_skips_what_git_ignores() {
    let repo = project();
    repo.write(".gitignore", "dist/\n")
        .write("dist/x/Dockerfile", "FROM scratch\n");
    let run = repo.quest().args(["config", "init"]).run().ok();
    assert_eq!(
        run.stdout,
        "wrote .quest-changes.yml with 3 targets: api, web, infra-prod\n"
    );
}
