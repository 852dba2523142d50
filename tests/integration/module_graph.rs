//! `terraform` targets with a `root` route by the root's module graph.

use serde_json::json;

use crate::support::{changed, route_in_both as route, source, Repo};

const CONFIG: &str = "version: 1\ntargets:\n  infra-prod:\n    kind: terraform\n    root: terraform/environments/prod\n  infra-dev:\n    kind: terraform\n    root: terraform/environments/dev\n";

/// Two roots sharing `network`; prod also calls `monitoring`, which calls `alarms`.
fn infra() -> Repo {
    let repo = Repo::new();
    repo.write(".quest-changes.yml", CONFIG)
        .write(
            "terraform/environments/prod/main.tf",
            "module \"network\" {\n  source = \"../../modules/network\"\n}\n\nmodule \"monitoring\" {\n  source = \"../../modules/monitoring\"\n}\n\nmodule \"vpc\" {\n  source  = \"terraform-aws-modules/vpc/aws\"\n  version = \"5.0.0\"\n}\n",
        )
        .write(
            "terraform/environments/dev/main.tf",
            "module \"network\" {\n  source = \"../../modules/network\"\n}\n",
        )
        .write(
            "terraform/modules/network/main.tf",
            "resource \"aws_vpc\" \"this\" {\n  cidr_block = \"10.0.0.0/16\"\n  tags = { Policy = templatefile(\"${path.module}/../../templates/tags.tpl\", {}) }\n}\n",
        )
        .write(
            "terraform/modules/monitoring/main.tf",
            "module \"alarms\" {\n  source = \"./alarms\"\n}\n",
        )
        .write("terraform/modules/monitoring/alarms/main.tf", "# alarms\n")
        .write("terraform/templates/tags.tpl", "team=quest\n")
        .write("terraform/templates/unused.tpl", "x\n")
        .write("terraform/environments/prod/.terraform/providers/x", "cache\n")
        .write("terraform/environments/prod/.terraform.lock.hcl", "# lock\n");
    repo.commit("infra");
    repo
}

#[test]
fn a_change_two_levels_down_routes_only_to_the_roots_that_call_it() {
    let repo = infra();
    let base = repo.head();
    repo.write(
        "terraform/modules/monitoring/alarms/main.tf",
        "# more alarms\n",
    )
    .commit("alarms");
    let doc = route(&repo, &base);
    assert_eq!(source(&doc), "explicit");
    assert_eq!(changed(&doc), ["infra-prod"]);
}

#[test]
fn a_shared_module_routes_to_both_environments() {
    let repo = infra();
    let base = repo.head();
    repo.write("terraform/modules/network/main.tf", "# changed\n")
        .commit("network");
    assert_eq!(changed(&route(&repo, &base)), ["infra-prod", "infra-dev"]);
}

#[test]
fn a_templatefile_input_routes_and_a_neighbour_does_not() {
    let repo = infra();
    let base = repo.head();
    repo.write("terraform/templates/tags.tpl", "team=other\n")
        .commit("tags");
    assert_eq!(changed(&route(&repo, &base)), ["infra-prod", "infra-dev"]);
    let base = repo.head();
    repo.write("terraform/templates/unused.tpl", "y\n")
        .commit("unused");
    assert_eq!(changed(&route(&repo, &base)), Vec::<String>::new());
}

#[test]
fn the_lock_file_counts_and_local_caches_do_not() {
    let repo = infra();
    let base = repo.head();
    repo.write(
        "terraform/environments/prod/.terraform/providers/x",
        "other\n",
    )
    .commit("cache");
    assert_eq!(changed(&route(&repo, &base)), Vec::<String>::new());
    let base = repo.head();
    repo.write(
        "terraform/environments/prod/.terraform.lock.hcl",
        "# new lock\n",
    )
    .commit("lock");
    assert_eq!(changed(&route(&repo, &base)), ["infra-prod"]);
}

#[test]
fn explain_prints_the_chain_of_calls() {
    let repo = infra();
    let out = repo
        .quest()
        .args([
            "explain",
            "terraform/modules/monitoring/alarms/main.tf",
            "terraform/templates/tags.tpl",
        ])
        .run()
        .ok()
        .stdout;
    assert_eq!(
        out,
        "terraform/modules/monitoring/alarms/main.tf\n  infra-prod: included: terraform/modules/monitoring/alarms/main.tf -> module \"alarms\" (terraform/modules/monitoring/main.tf:1) -> module \"monitoring\" (terraform/environments/prod/main.tf:5) -> infra-prod\n  infra-dev: no rule matched\n\
         terraform/templates/tags.tpl\n  infra-prod: included: terraform/templates/tags.tpl -> templatefile() (terraform/modules/network/main.tf:3) -> module \"network\" (terraform/environments/prod/main.tf:1) -> infra-prod\n  infra-dev: included: terraform/templates/tags.tpl -> templatefile() (terraform/modules/network/main.tf:3) -> module \"network\" (terraform/environments/dev/main.tf:1) -> infra-dev\n"
    );
}

#[test]
fn cycles_outside_sources_and_unparseable_files_fall_back_loudly() {
    let repo = infra();
    repo.write(
        "terraform/modules/network/main.tf",
        "module \"loop\" {\n  source = \"../loop\"\n}\n",
    )
    .write(
        "terraform/modules/loop/main.tf",
        "module \"back\" {\n  source = \"../network\"\n}\n",
    )
    .write(
        "terraform/environments/dev/outside.tf",
        "module \"x\" {\n  source = \"../../../../../elsewhere\"\n}\n",
    )
    .write(
        "terraform/environments/prod/broken.tf",
        "resource \"x\" {\n",
    );
    repo.commit("trouble");
    let base = repo.head();
    repo.write("terraform/modules/loop/extra.txt", "x\n")
        .commit("in the cycle");
    let run = repo
        .quest()
        .args(["--base", &base, "--format", "json"])
        .run()
        .ok();
    let doc = run.json();
    assert_eq!(changed(&doc), ["infra-prod", "infra-dev"]);
    assert!(
        run.stderr.contains("note: targets.infra-prod:"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.to_lowercase().contains("cycle"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("broken.tf"), "{}", run.stderr);
    assert!(run.stderr.contains("elsewhere"), "{}", run.stderr);
}

/// Three services and two roots, through every output format.
#[test]
fn three_services_and_two_roots_through_every_format() {
    let repo = infra();
    let config = format!(
        "{CONFIG}  web:\n    kind: ecs-service\n    build: {{context: services/web}}\n  api:\n    kind: ecs-service\n    build: {{context: services/api}}\n  worker:\n    kind: ecs-service\n    build: {{dockerfile: services/worker/Dockerfile}}\n"
    );
    repo.write(".quest-changes.yml", &config);
    for svc in ["web", "api", "worker"] {
        repo.write(
            &format!("services/{svc}/Dockerfile"),
            "FROM scratch\nCOPY src/ /src/\n",
        )
        .write(&format!("services/{svc}/src/main.js"), "x\n");
    }
    let base = repo.commit("services");
    repo.write("services/api/src/main.js", "y\n")
        .write("services/worker/src/main.js", "y\n")
        .write("terraform/modules/monitoring/main.tf", "# z\n")
        .commit("api, worker and monitoring");

    let doc = route(&repo, &base);
    assert_eq!(changed(&doc), ["infra-prod", "api", "worker"]);
    assert_eq!(
        doc["matrix"],
        json!([
            {"target": "infra-prod", "kind": "terraform"},
            {"target": "api", "kind": "ecs-service"},
            {"target": "worker", "kind": "ecs-service"}
        ])
    );

    let circleci = repo
        .quest()
        .args(["--base", &base, "--format", "circleci"])
        .run()
        .ok()
        .json();
    assert_eq!(circleci["deploy_infra_prod"], true);
    assert_eq!(circleci["deploy_infra_dev"], false);
    assert_eq!(circleci["deploy_web"], false);
    assert_eq!(circleci["deploy_api"], true);
    assert_eq!(circleci["deploy_worker"], true);

    let outputs = repo.sibling("gh_output");
    repo.quest()
        .args(["--base", &base, "--format", "github"])
        .env("GITHUB_OUTPUT", outputs.display().to_string())
        .run()
        .ok();
    let written = std::fs::read_to_string(&outputs).unwrap();
    for (name, value) in [
        ("infra-prod", "true"),
        ("infra-dev", "false"),
        ("web", "false"),
        ("api", "true"),
        ("worker", "true"),
    ] {
        assert!(
            written.contains(&format!("{name}<<QUEST_CHANGES_EOF_0\n{value}\n")),
            "{name}: {written}"
        );
    }
    assert!(written
        .contains("changed_targets<<QUEST_CHANGES_EOF_0\n[\"infra-prod\",\"api\",\"worker\"]\n"));

    let md = repo
        .quest()
        .args(["--base", &base, "--format", "markdown"])
        .run()
        .ok()
        .stdout;
    assert!(
        md.contains("| infra-prod | terraform | **yes** | 1 |")
            && md.contains("| web | ecs-service | no | 0 |"),
        "{md}"
    );

    let text = repo.quest().args(["--base", &base]).run().ok().stdout;
    assert!(
        text.contains("● worker") && text.contains("○ web") && text.contains("○ infra-dev"),
        "{text}"
    );

    let plan = repo
        .quest()
        .args(["--base", &base, "--dry-run"])
        .run()
        .ok()
        .stdout;
    assert!(plan.contains("worker (ecs-service): 6 steps\n  1. build image from context `services/worker` with `services/worker/Dockerfile`"), "{plan}");
    assert!(
        plan.contains(
            "infra-prod (terraform): 3 steps\n  1. terraform init in `terraform/environments/prod`"
        ),
        "{plan}"
    );
}

#[test]
fn a_read_through_a_variable_or_a_broken_file_counts_everything() {
    let repo = Repo::new();
    repo.write(".quest-changes.yml", "version: 1\ntargets:\n  prod:\n    kind: terraform\n    root: tf/prod\n")
        .write(
            "tf/prod/main.tf",
            "locals {\n  policy = \"${path.module}/../../shared/p.json\"\n}\nresource \"x\" \"y\" {\n  policy = file(local.policy)\n}\n",
        )
        .write("shared/p.json", "{}\n");
    let base = repo.commit("read through a local");
    repo.write("shared/p.json", "{\"v\": 2}\n").commit("policy");
    let run = repo
        .quest()
        .args(["--base", &base, "--format", "json"])
        .run()
        .ok();
    assert_eq!(
        changed(&run.json()),
        ["prod"],
        "the unknown read may be this file"
    );
    assert!(run.stderr.contains("note: targets.prod:"), "{}", run.stderr);

    let repo = Repo::new();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  prod:\n    kind: terraform\n    root: tf/prod\n",
    )
    .write(
        "tf/prod/main.tf",
        "module \"net\" {\n  source = \"../modules/net\"\n  name = \"${var.x\"\n}\n",
    )
    .write("tf/modules/net/main.tf", "# net\n");
    let base = repo.commit("broken root");
    repo.write("tf/modules/net/main.tf", "# net 2\n")
        .commit("net");
    assert_eq!(
        changed(&route(&repo, &base)),
        ["prod"],
        "the broken file's calls are unknown"
    );
}

/// Issue 11, defect 1: `root: .` (what discovery and `config init` write), `./` and an empty
/// root all name the repository root.
#[test]
fn a_root_at_the_repository_root_routes_its_files_and_modules() {
    for spelling in [".", "./", "\"\""] {
        let repo = Repo::new();
        repo.write(
            ".quest-changes.yml",
            &format!("version: 1\ntargets:\n  infra:\n    kind: terraform\n    root: {spelling}\n"),
        )
        .write(
            "main.tf",
            "provider \"aws\" {}\n\nmodule \"m\" {\n  source = \"./modules/m\"\n}\n",
        )
        .write("modules/m/main.tf", "# m\n");
        let base = repo.commit("top-level root");
        repo.write(
            "main.tf",
            "provider \"aws\" {}\n\nmodule \"m\" {\n  source = \"./modules/m\"\n}\n# changed\n",
        )
        .commit("main.tf");
        assert_eq!(changed(&route(&repo, &base)), ["infra"], "root: {spelling}");
        let base = repo.head();
        repo.write("modules/m/main.tf", "# m 2\n").commit("module");
        assert_eq!(changed(&route(&repo, &base)), ["infra"], "root: {spelling}");
        let out = repo
            .quest()
            .args(["explain", "main.tf", "modules/m/main.tf"])
            .run()
            .ok()
            .stdout;
        assert_eq!(
            out,
            "main.tf\n  infra: included: main.tf -> infra (a file of the root)\nmodules/m/main.tf\n  infra: included: modules/m/main.tf -> module \"m\" (main.tf:3) -> infra\n",
            "root: {spelling}"
        );
    }
}

/// Issue 11, precision: only what Terraform reads routes a root. A README or CHANGELOG of a
/// module, a subfolder's file and the repository's other files do not; the target's
/// `var_files` and the root's automatic variable files do; a module sourced as `../../` (the
/// repository top as a module) means the top folder's own configuration.
#[test]
fn only_the_files_terraform_reads_route_a_root() {
    let repo = Repo::new();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  example:\n    kind: terraform\n    root: examples/simple\n    var_files: [simple.tfvars]\n",
    )
    .write(
        "examples/simple/main.tf",
        "module \"this\" {\n  source = \"../../\"\n}\n",
    )
    .write("examples/simple/simple.tfvars", "x = 1\n")
    .write("examples/simple/terraform.tfvars", "y = 1\n")
    .write("examples/simple/README.md", "# example\n")
    .write("main.tf", "module \"sub\" {\n  source = \"./modules/sub\"\n}\n")
    .write("README.md", "# module\n")
    .write("CHANGELOG.md", "# 1.0\n")
    .write("modules/sub/main.tf", "# sub\n")
    .write("modules/sub/README.md", "# sub\n")
    .write("modules/sub/examples/main.tf", "# not loaded\n")
    .write("src/lambda.py", "pass\n");
    let mut base = repo.commit("a module repository with an example");
    for (path, routes) in [
        ("README.md", false),
        ("CHANGELOG.md", false),
        ("examples/simple/README.md", false),
        ("modules/sub/README.md", false),
        ("modules/sub/examples/main.tf", false),
        ("src/lambda.py", false),
        ("main.tf", true),
        ("variables.tf", true),
        ("modules/sub/main.tf", true),
        ("examples/simple/simple.tfvars", true),
        ("examples/simple/terraform.tfvars", true),
    ] {
        let before = std::fs::read_to_string(repo.path.join(path)).unwrap_or_default();
        repo.write(path, &format!("{before}# changed\n"))
            .commit(path);
        let want: Vec<String> = if routes {
            vec!["example".into()]
        } else {
            vec![]
        };
        assert_eq!(changed(&route(&repo, &base)), want, "{path}");
        base = repo.head();
    }
}

/// Issue 11: an object with a repeated key is valid Terraform (the last wins), so it must not
/// widen the root to every path of the repository.
#[test]
fn a_repeated_object_key_does_not_widen_the_root() {
    let repo = Repo::new();
    repo.write(
        ".quest-changes.yml",
        "version: 1\ntargets:\n  prod:\n    kind: terraform\n    root: tf/prod\n",
    )
    .write("tf/prod/main.tf", DUPLICATE_KEYS)
    .write("tf/modules/net/main.tf", "# net\n")
    .write("docs/guide.md", "# guide\n");
    let base = repo.commit("repeated keys");
    repo.write("docs/guide.md", "# guide 2\n").commit("docs");
    let run = repo
        .quest()
        .args(["--base", &base, "--format", "json"])
        .run()
        .ok();
    assert_eq!(changed(&run.json()), Vec::<String>::new());
    assert_eq!(run.stderr, "", "no warning");
    let base = repo.head();
    repo.write("tf/modules/net/main.tf", "# net 2\n")
        .commit("net");
    assert_eq!(changed(&route(&repo, &base)), ["prod"]);
}

/// Valid Terraform (`terraform validate` accepts it; see `terraform_truth`) that hcl-rs alone
/// refuses.
pub const DUPLICATE_KEYS: &str = "locals {\n  tags = {\n    team = \"a\"\n    team = \"b\"\n  }\n}\n\nmodule \"net\" {\n  source = \"../modules/net\"\n}\n\noutput \"tags\" {\n  value = local.tags\n}\n";
