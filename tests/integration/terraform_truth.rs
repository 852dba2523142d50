//! Differential tests of routing by a root's module graph, whose truth is the real Terraform
//! (issue 11): for each layout, hand-written or generated, Terraform itself says which files a
//! root loads, and every one of them must route the root (zero false "unchanged"). Routed files
//! that Terraform does not load are counted and printed (over-routing), not failed: the routing
//! may widen, never narrow.
//!
//! The truth for one root is the union of two oracles, both from a copy of the layout where
//! remote module sources point at empty local stubs outside it (no network, no provider):
//! - `terraform init` (which runs `get`) writes `.terraform/modules/modules.json`, the module
//!   folders the root loads; each one's configuration files are loaded;
//! - `terraform init` and `terraform plan` (local backend, no resource, every read reaching an
//!   `output`) under `strace`: every regular file of the layout they open (configuration,
//!   variable files, the lock file, what `file()` and friends read) or stat through links
//!   (`fileexists()`), and every symbolic link on the way to a file or folder they use (`init`
//!   resolves a linked module folder; `plan` then reads the real one).
//!
//! What is compared is what `quest-changes explain` says for every tracked file of the layout.
//! A missing `terraform` or `strace` fails with a message saying how to install it.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::module_graph::DUPLICATE_KEYS;
use crate::support::Repo;

/// Every Terraform run is killed after this long.
const LIMIT: Duration = Duration::from_secs(60);

/// The registry address written in the layouts for a remote module; the copy Terraform runs
/// on calls an empty local stub instead.
const REMOTE: &str = "source  = \"example-corp/stub/aws\"\n  version = \"1.0.0\"";

/// One layout: a root (`.` for the repository top), its target's `var_files`, its files and
/// its symbolic links (link path, target text).
struct Layout {
    name: String,
    root: String,
    var_files: Vec<String>,
    files: Vec<(String, String)>,
    links: Vec<(String, String)>,
}

impl Layout {
    fn new(name: &str, root: &str) -> Layout {
        Layout {
            name: name.to_owned(),
            root: root.to_owned(),
            var_files: Vec::new(),
            files: Vec::new(),
            links: Vec::new(),
        }
    }

    fn file(mut self, path: &str, text: &str) -> Layout {
        self.files.push((path.to_owned(), text.to_owned()));
        self
    }

    fn link(mut self, path: &str, target: &str) -> Layout {
        self.links.push((path.to_owned(), target.to_owned()));
        self
    }

    fn var_file(mut self, path: &str) -> Layout {
        self.var_files.push(path.to_owned());
        self
    }

    /// Writes the layout under `dir`, each remote source spelled by `remote`.
    fn write(&self, dir: &Path, remote: &str) {
        for (path, text) in &self.files {
            let full = dir.join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, text.replace(REMOTE, remote)).unwrap();
        }
        for (path, target) in &self.links {
            let full = dir.join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::os::unix::fs::symlink(target, &full).unwrap();
        }
    }
}

/// What one layout gave.
#[derive(Debug)]
struct Outcome {
    checked: usize,
    loaded: usize,
    false_unchanged: Vec<String>,
    over_routed: Vec<String>,
}

fn module(name: &str, source: &str) -> String {
    format!("module \"{name}\" {{\n  source = \"{source}\"\n}}\n\noutput \"{name}\" {{\n  value = module.{name}\n}}\n")
}

fn output(name: &str, value: &str) -> String {
    format!("output \"{name}\" {{\n  value = {value}\n}}\n")
}

/// The hand-written shapes.
fn layouts() -> Vec<Layout> {
    vec![
        Layout::new("nested local modules, tfvars, lock file, var_files", "envs/prod")
            .var_file("prod.tfvars")
            .var_file("../common.tfvars")
            .file(
                "envs/prod/main.tf",
                &(module("net", "../../modules/net")
                    + "variable \"a\" {\n  default = \"\"\n}\nvariable \"b\" {\n  default = \"\"\n}\nvariable \"c\" {\n  default = \"\"\n}\nvariable \"d\" {\n  default = \"\"\n}\n"
                    + &output("vars", "[var.a, var.b, var.c, var.d]")),
            )
            .file("envs/prod/terraform.tfvars", "a = \"1\"\n")
            .file("envs/prod/extra.auto.tfvars", "b = \"1\"\n")
            .file("envs/prod/json.auto.tfvars.json", "{\"d\": \"1\"}\n")
            .file("envs/prod/prod.tfvars", "c = \"1\"\n")
            .file("envs/common.tfvars", "d = \"2\"\n")
            .file("envs/prod/other.tfvars", "c = \"2\"\n")
            .file("envs/prod/.terraform.lock.hcl", "# This file is maintained automatically by \"terraform init\".\n")
            .file("envs/prod/README.md", "# prod\n")
            .file("envs/staging/main.tf", &module("net", "../../modules/net"))
            .file("modules/net/main.tf", &module("subnet", "./subnet"))
            .file("modules/net/variables.tf", "variable \"cidr\" {\n  default = \"10.0.0.0/16\"\n}\n")
            .file("modules/net/README.md", "# net\n")
            .file("modules/net/CHANGELOG.md", "# 1.0.0\n")
            .file("modules/net/examples/basic/main.tf", &module("net", "../../"))
            .file("modules/net/.terraform.lock.hcl", "# not read\n")
            .file(
                "modules/net/subnet/main.tf",
                &output("user_data", "templatefile(\"${path.module}/tpl/user_data.tpl\", { name = \"web\" })"),
            )
            .file("modules/net/subnet/tpl/user_data.tpl", "hello ${name}\n")
            .file("modules/net/subnet/tpl/unused.tpl", "unused\n")
            .file("modules/unused/main.tf", "# nobody calls this\n"),
        Layout::new("the repository top as a module (../../)", "examples/complete")
            .file("examples/complete/main.tf", &module("this", "../../"))
            .file("examples/complete/README.md", "# example\n")
            .file("examples/simple/main.tf", &module("this", "../../"))
            .file("main.tf", &(output("policy", "file(\"${path.module}/policy.json\")") + &module("iam", "./modules/iam")))
            .file("variables.tf", "variable \"name\" {\n  default = \"x\"\n}\n")
            .file("versions.tf.json", "{\"terraform\": {\"required_version\": \">= 1.5\"}}\n")
            .file("policy.json", "{}\n")
            .file("README.md", "# module\n")
            .file("CHANGELOG.md", "# 2.0.0\n")
            .file("LICENSE", "MIT\n")
            .file("src/lambda.py", "pass\n")
            .file("modules/iam/main.tf", &output("doc", "filesha256(\"${path.root}/../../policy.json\")"))
            .file("modules/iam/README.md", "# iam\n")
            .file(".github/workflows/ci.yml", "on: push\n"),
        Layout::new("a root at the repository top", ".")
            .file("main.tf", &(module("m", "./modules/m") + "terraform {\n  required_version = \">= 1.5\"\n}\n"))
            .file("terraform.tfvars", "")
            .file(".terraform.lock.hcl", "# lock\n")
            .file("modules/m/main.tf", &output("k", "file(\"${path.module}/keys/deploy.pub\")"))
            .file("modules/m/keys/deploy.pub", "ssh-ed25519 AAAA\n")
            .file("modules/m/keys/other.pub", "ssh-ed25519 BBBB\n")
            .file("app/server.js", "console.log(1)\n")
            .file("app/Dockerfile", "FROM scratch\n")
            .file("docs/guide.md", "# guide\n"),
        Layout::new("symlinked module folders and files", "envs/prod")
            .file("envs/prod/main.tf", &(module("net", "../../modules/net") + &module("tags", "./tags")))
            .link("envs/prod/shared.tf", "../../shared/shared.tf")
            .file("shared/shared.tf", "locals {\n  shared = true\n}\n")
            .file("shared/README.md", "# shared\n")
            .link("modules/net", "../vendor/net-v2")
            .file("vendor/net-v2/main.tf", &output("cfg", "file(\"${path.module}/cfg/net.json\")"))
            .file("vendor/net-v2/cfg/net.json", "{}\n")
            .file("vendor/net-v2/README.md", "# net\n")
            .file("vendor/net-v1/main.tf", "# old\n")
            .link("envs/prod/tags", "../../modules/tags-real")
            .file("modules/tags-real/main.tf", &output("t", "\"x\"")),
        Layout::new("reads and variable files through symbolic links", "envs/prod")
            .var_file("linked.tfvars")
            .file(
                "envs/prod/main.tf",
                &[
                    "variable \"a\" {\n  default = \"\"\n}\nvariable \"b\" {\n  default = \"\"\n}\nvariable \"c\" {\n  default = \"\"\n}\n",
                    &output("vars", "[var.a, var.b, var.c]"),
                    &output("cfg", "file(\"${path.module}/data/cfg.json\")"),
                    &output("key", "file(\"${path.module}/key.pub\")"),
                ]
                .concat(),
            )
            .link("envs/prod/data", "../../shared/data")
            .file("shared/data/cfg.json", "{}\n")
            .file("shared/data/other.json", "{}\n")
            .link("envs/prod/key.pub", "../../keys/deploy.pub")
            .file("keys/deploy.pub", "ssh-ed25519 AAAA\n")
            .link("envs/prod/terraform.tfvars", "../common/terraform.tfvars")
            .link("envs/prod/x.auto.tfvars", "../common/x.auto.tfvars")
            .link("envs/prod/linked.tfvars", "../common/linked.tfvars")
            .file("envs/common/terraform.tfvars", "a = \"1\"\n")
            .file("envs/common/x.auto.tfvars", "b = \"1\"\n")
            .file("envs/common/linked.tfvars", "c = \"1\"\n"),
        Layout::new("a template that reads files", "envs/prod")
            .file("envs/prod/main.tf", &module("vm", "../../modules/vm"))
            .file("envs/prod/scripts/setup.sh", "echo setup\n")
            .file("envs/prod/scripts/other.sh", "echo other\n")
            .file(
                "modules/vm/main.tf",
                &output("user_data", "templatefile(\"${path.module}/init.tpl\", { name = \"vm\" })"),
            )
            .file(
                "modules/vm/init.tpl",
                "#!/bin/sh\n# ${name}\n${file(\"scripts/setup.sh\")}\n%{ for k in [\"a\"] }${filemd5(\"scripts/setup.sh\")}%{ endfor }\n",
            ),
        Layout::new("JSON configuration and the file-function family", "svc")
            .file(
                "svc/main.tf.json",
                r#"{
  "module": {"lib": {"source": "./lib"}},
  "output": {
    "a": {"value": "${file(\"${path.module}/data/a.txt\")}"},
    "lib": {"value": "${module.lib}"}
  }
}
"#,
            )
            .file("svc/data/a.txt", "a\n")
            .file("svc/data/b.txt", "not read\n")
            .file(
                "svc/lib/main.tf",
                &[
                    output("b64", "filebase64(\"${path.module}/bin/blob.bin\")"),
                    output("md5", "filemd5(\"${path.module}/bin/md5.txt\")"),
                    output("sha1", "filesha1(\"${path.module}/bin/sha1.txt\")"),
                    output("sha512", "filesha512(\"${path.module}/bin/sha512.txt\")"),
                    output("b64sha256", "filebase64sha256(\"${path.module}/bin/b256.txt\")"),
                    output("b64sha512", "filebase64sha512(\"${path.module}/bin/b512.txt\")"),
                    output("exists", "fileexists(\"${path.module}/bin/maybe.txt\")"),
                    output(
                        "confs",
                        "{ for f in fileset(\"${path.module}/conf\", \"*.yaml\") : f => filesha1(\"${path.module}/conf/${f}\") }",
                    ),
                    output(
                        "policy",
                        "jsondecode(templatefile(\"${path.module}/policy.json.tpl\", { arn = file(\"${path.root}/arn.txt\") }))",
                    ),
                    output("joined", "file(join(\"/\", [path.module, \"static\", \"index.html\"]))"),
                ]
                .concat(),
            )
            .file("svc/lib/bin/blob.bin", "\u{1}\u{2}")
            .file("svc/lib/bin/md5.txt", "1\n")
            .file("svc/lib/bin/sha1.txt", "2\n")
            .file("svc/lib/bin/sha512.txt", "3\n")
            .file("svc/lib/bin/b256.txt", "4\n")
            .file("svc/lib/bin/b512.txt", "5\n")
            .file("svc/lib/bin/maybe.txt", "6\n")
            .file("svc/lib/bin/README.md", "# bin\n")
            .file("svc/lib/conf/a.yaml", "a: 1\n")
            .file("svc/lib/conf/b.yaml", "b: 1\n")
            .file("svc/lib/conf/notes.txt", "x\n")
            .file("svc/lib/conf/nested/c.yaml", "c: 1\n")
            .file("svc/lib/policy.json.tpl", "{\"arn\": \"${arn}\"}\n")
            .file("svc/arn.txt", "arn:aws:iam::1:role/x")
            .file("svc/lib/static/index.html", "<html></html>\n"),
        Layout::new("remote sources as stubs, repeated object keys", "live/prod")
            .file(
                "live/prod/main.tf",
                &format!("module \"vpc\" {{\n  {REMOTE}\n}}\n\n{}", module("app", "../../modules/app")),
            )
            .file("live/prod/keys.tf", DUPLICATE_KEYS)
            .file("live/modules/net/main.tf", "# called by keys.tf\n")
            .file("modules/app/main.tf", &format!("module \"db\" {{\n  {REMOTE}\n}}\n"))
            .file("modules/app/README.md", "# app\n")
            .file("stub-looking/example-corp/stub/aws/main.tf", "# a folder a naive reading could follow\n"),
    ]
}

/// A deterministic pseudo-random generator (64-bit LCG): generated layouts are the same on
/// every run, so a failure reproduces.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}

/// Generated layouts: `roots` roots under `live/`, a pool of modules calling each other (only
/// upwards, so no cycle), some nested in their caller's folder, some reading templates, every
/// one with files Terraform does not read beside it.
fn generated(seed: u64) -> Vec<Layout> {
    let mut rng = Lcg(seed);
    let modules = 8;
    let dir = |m: usize| {
        if m % 3 == 2 {
            format!("modules/m{}/nested/m{m}", m - 1)
        } else {
            format!("modules/m{m}")
        }
    };
    let up = |from: &str| "../".repeat(from.split('/').count());
    let mut files: Vec<(String, String)> = Vec::new();
    for m in 0..modules {
        let here = dir(m);
        let mut text = String::new();
        for callee in m + 1..modules {
            if rng.below(3) == 0 {
                text += &module(
                    &format!("c{callee}"),
                    &format!("{}{}", up(&here), dir(callee)),
                );
            }
        }
        match rng.below(4) {
            0 => {
                text += &output("t", "templatefile(\"${path.module}/templates/t.tpl\", {})");
                files.push((format!("{here}/templates/t.tpl"), format!("m{m}\n")));
            }
            1 => {
                let shared = format!(
                    "file(\"${{path.module}}/{}modules/shared/s.txt\")",
                    up(&here)
                );
                text += &output("s", &shared);
            }
            _ => {}
        }
        files.push((format!("{here}/main.tf"), text));
        files.push((format!("{here}/README.md"), format!("# m{m}\n")));
        files.push((
            format!("{here}/tests/unit.tftest.hcl"),
            "run \"x\" {}\n".to_owned(),
        ));
        files.push((format!("{here}/templates/unused.tpl"), "x\n".to_owned()));
    }
    files.push(("modules/shared/s.txt".to_owned(), "shared\n".to_owned()));
    let mut layouts = Vec::new();
    for r in 0..3 {
        let root = format!("live/r{r}");
        let mut text = String::new();
        for m in 0..modules {
            if rng.below(4) == 0 {
                text += &module(&format!("m{m}"), &format!("../../{}", dir(m)));
            }
        }
        let mut layout = Layout::new(&format!("generated seed {seed}, root {r}"), &root)
            .file(&format!("{root}/main.tf"), &text)
            .file(&format!("{root}/terraform.tfvars"), "")
            .file(&format!("{root}/notes.md"), "# notes\n");
        layout.files.extend(files.iter().cloned());
        layouts.push(layout);
    }
    layouts
}

#[test]
fn every_file_terraform_loads_routes_its_root() {
    require_tools();
    let started = Instant::now();
    let all: Vec<Layout> = layouts()
        .into_iter()
        .chain([1_u64, 2, 3].into_iter().flat_map(generated))
        .collect();
    // The layouts are independent: run them on a few threads to keep the wall time small.
    let outcomes: Vec<(String, Outcome)> = std::thread::scope(|scope| {
        let handles: Vec<_> = all
            .chunks(all.len().div_ceil(3))
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|l| (l.name.clone(), check(l)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut report = String::from(
        "layout | files checked | loaded by terraform | false unchanged | over-routed\n",
    );
    let (mut checked, mut loaded, mut missed, mut over) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for (name, o) in &outcomes {
        report += &format!(
            "{name} | {} | {} | {} | {} {:?}\n",
            o.checked,
            o.loaded,
            o.false_unchanged.len(),
            o.over_routed.len(),
            o.over_routed
        );
        checked += o.checked;
        loaded += o.loaded;
        missed += o.false_unchanged.len();
        over += o.over_routed.len();
        if !o.false_unchanged.is_empty() {
            failures.push(format!("{name}: {:?}", o.false_unchanged));
        }
    }
    report += &format!(
        "total: {} layouts, {checked} files checked, {loaded} loaded by terraform, {missed} false unchanged, {over} over-routed, {:.1}s\n",
        outcomes.len(),
        started.elapsed().as_secs_f64()
    );
    println!("{report}");
    assert!(
        failures.is_empty(),
        "files Terraform loads that do not route their root:\n{}\n{report}",
        failures.join("\n")
    );
}

/// Routes every file of `layout` and compares with what Terraform loads.
fn check(layout: &Layout) -> Outcome {
    let repo = Repo::new();
    layout.write(&repo.path, REMOTE);
    let var_files: Vec<String> = layout
        .var_files
        .iter()
        .map(|f| format!("\"{f}\""))
        .collect();
    repo.write(
        ".quest-changes.yml",
        &format!(
            "version: 1\ntargets:\n  infra:\n    kind: terraform\n    root: \"{}\"\n    var_files: [{}]\n",
            layout.root,
            var_files.join(", ")
        ),
    );
    repo.commit(&layout.name);
    let tracked: Vec<String> = repo
        .git(&["ls-files"])
        .lines()
        .filter(|p| *p != ".quest-changes.yml")
        .map(str::to_owned)
        .collect();

    let loaded = terraform_loads(&repo, layout);
    let routed = routed(&repo, &tracked);
    let tracked_set: BTreeSet<&String> = tracked.iter().collect();
    let false_unchanged = loaded
        .iter()
        .filter(|p| !routed.contains(*p))
        .cloned()
        .collect();
    let over_routed = routed
        .iter()
        .filter(|p| !loaded.contains(*p) && tracked_set.contains(p))
        .cloned()
        .collect();
    Outcome {
        checked: tracked.len(),
        loaded: loaded.len(),
        false_unchanged,
        over_routed,
    }
}

/// The tracked files whose `explain` includes the target.
fn routed(repo: &Repo, tracked: &[String]) -> BTreeSet<String> {
    let doc: Value = repo
        .quest()
        .args(["--format", "json", "explain"])
        .args(tracked)
        .run()
        .ok()
        .json();
    doc.as_array()
        .unwrap()
        .iter()
        .filter(|e| e["targets"]["infra"]["included"] == Value::Bool(true))
        .map(|e| e["path"].as_str().unwrap().to_owned())
        .collect()
}

/// The repository paths Terraform loads for the layout's root: its module folders' configuration
/// (from `modules.json`) and what `plan` opens, each with the links on the way.
fn terraform_loads(repo: &Repo, layout: &Layout) -> BTreeSet<String> {
    let copy = repo.sibling("terraform-copy");
    let stub = repo.sibling("remote-stub");
    std::fs::create_dir_all(&stub).unwrap();
    std::fs::write(
        stub.join("main.tf"),
        "# an empty stand-in for a remote module\n",
    )
    .unwrap();
    layout.write(&copy, &format!("source = \"{}\"", stub.display()));
    let copy = copy.canonicalize().unwrap();
    let root = if layout.root == "." {
        copy.clone()
    } else {
        copy.join(&layout.root)
    };
    let cli_config = repo.sibling("terraform.rc");
    std::fs::write(&cli_config, "").unwrap();
    let terraform = |args: &[&str], trace: Option<&Path>| -> Output {
        let mut cmd = Command::new("timeout");
        cmd.arg(LIMIT.as_secs().to_string());
        if let Some(trace) = trace {
            // `-ff`: one log per thread, so no call is split over two lines.
            cmd.args([
                "strace",
                "-ff",
                "-qq",
                "-e",
                "trace=openat,open,newfstatat,statx,stat",
                "-o",
            ])
            .arg(trace);
        }
        let out = cmd
            .arg("terraform")
            .args(args)
            .current_dir(&root)
            .env("TF_CLI_CONFIG_FILE", &cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env_remove("TF_DATA_DIR")
            .env_remove("TF_CLI_ARGS")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: terraform {args:?} failed:\n{}{}",
            layout.name,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let traces = repo.sibling("traces");
    std::fs::create_dir_all(&traces).unwrap();
    // `init` resolves symlinked module folders (`modules.json` names the real folder), so the
    // links are only seen in its trace.
    terraform(
        &["init", "-input=false", "-no-color"],
        Some(&traces.join("init")),
    );

    let mut loaded = BTreeSet::new();
    // A root that calls no module gets no manifest: it loads only itself.
    let manifest: Value = match std::fs::read(root.join(".terraform/modules/modules.json")) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap(),
        Err(_) => serde_json::json!({"Modules": [{"Dir": "."}]}),
    };
    for m in manifest["Modules"].as_array().unwrap() {
        let dir = m["Dir"].as_str().unwrap();
        if dir.starts_with(".terraform/") {
            continue; // a remote module's stub, outside the repository
        }
        let (real, links) = resolve(&root, Path::new(dir));
        loaded.extend(links.iter().filter_map(|l| relative(&copy, l)));
        for entry in std::fs::read_dir(&real).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let ignored = name.starts_with('.') || name.ends_with('~') || name.starts_with('#');
            if !ignored && (name.ends_with(".tf") || name.ends_with(".tf.json")) {
                let (file, links) = resolve(&real, Path::new(&name));
                loaded.extend(
                    links
                        .iter()
                        .chain([&file])
                        .filter_map(|l| relative(&copy, l)),
                );
            }
        }
    }

    let trace = traces.join("plan");
    let mut plan = vec![
        "plan",
        "-input=false",
        "-lock=false",
        "-refresh=false",
        "-no-color",
    ];
    let var_args: Vec<String> = layout
        .var_files
        .iter()
        .map(|f| format!("-var-file={f}"))
        .collect();
    plan.extend(var_args.iter().map(String::as_str));
    terraform(&plan, Some(&trace));
    let mut log = String::new();
    for entry in std::fs::read_dir(&traces).unwrap() {
        log += &std::fs::read_to_string(entry.unwrap().path()).unwrap();
    }
    for line in log.lines() {
        let Some((path, follows)) = traced_path(line) else {
            continue;
        };
        let (real, links) = resolve(&root, Path::new(&path));
        // A stat that does not follow links is a directory listing's (every entry of a module
        // folder is listed): reading a name is not reading the file.
        let read = real.is_file() && (follows || line.contains("openat("));
        if read {
            loaded.extend(relative(&copy, &real));
        }
        if read || real.is_dir() {
            loaded.extend(links.iter().filter_map(|l| relative(&copy, l)));
        }
    }
    loaded.retain(|p| !p.split('/').any(|s| s == ".terraform"));
    loaded
}

/// The path of a successful `openat`/`stat` line of an strace log, and whether it follows links.
fn traced_path(line: &str) -> Option<(String, bool)> {
    if line.contains("= -1") {
        return None;
    }
    let start = line.find('"')? + 1;
    let end = start + line[start..].find('"')?;
    let follows = !line.contains("AT_SYMLINK_NOFOLLOW") && !line.contains("O_NOFOLLOW");
    Some((line[start..end].to_owned(), follows))
}

/// `path` (relative to `base`, or absolute) resolved as the kernel does, component by
/// component, with every symbolic link passed on the way.
fn resolve(base: &Path, path: &Path) -> (PathBuf, Vec<PathBuf>) {
    let mut at = if path.is_absolute() {
        PathBuf::from("/")
    } else {
        base.to_owned()
    };
    let mut links = Vec::new();
    for part in path.components() {
        match part {
            Component::RootDir | Component::Prefix(_) | Component::CurDir => {}
            Component::ParentDir => {
                at.pop();
            }
            Component::Normal(name) => {
                let next = at.join(name);
                if next
                    .symlink_metadata()
                    .is_ok_and(|m| m.file_type().is_symlink())
                {
                    links.push(next.clone());
                    match next.canonicalize() {
                        Ok(real) => at = real,
                        Err(_) => return (next, links),
                    }
                } else {
                    at = next;
                }
            }
        }
    }
    (at, links)
}

/// `path` relative to the layout copy, when it lies inside it.
fn relative(copy: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(copy).ok()?;
    let text = rel.to_str()?.to_owned();
    (!text.is_empty()).then_some(text)
}

/// Asserts `terraform` and `strace` run; says how to install them otherwise.
fn require_tools() {
    crate::terraform_support::require_terraform();
    let ok = Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "the Terraform differential tests need strace, the oracle of which files `terraform plan` reads: `apt-get install -y strace`"
    );
}
