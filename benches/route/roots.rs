//! Case `roots` (issue 12): many Terraform roots, one `terraform` target each, as
//! `quest-changes config init` writes them.
//!
//! For 25, 250 and 2,500 roots it generates (with `git fast-import`) roots `envs/rNNNN`, each of
//! 7 `.tf` files, a `terraform.tfvars`, a `files/config.json` its `locals` read with `file()`
//! and a README; one shared module `modules/mNNN` per 5 roots, each of 5 `.tf` files, a
//! template it renders with `templatefile()`, a policy it reads with `file()` and a README (a
//! module in four also calls the next one); and 200 pages of `docs/` that no root reads. That
//! is 8 `.tf` files per root, no two of them alike (each names its own path in a comment). Three ranges follow the initial commit:
//!
//! - 100 paths: docs pages and root READMEs (read by no root), roots' `files/config.json`,
//!   module templates and policies (read through the module graph), additions and deletions;
//! - one file no root reads (a docs page);
//! - one `.tf` file of a module that some roots call, directly or through another module.
//!
//! Each range is checked first (the changes are git's, and the targets that change are exactly
//! the roots that read a changed path, by a model of the generated graph, and a warm run prints
//! the cold run's JSON byte for byte), then timed: the median of alternating runs of
//! `quest-changes --format json --base <a> --head <b>` cold (`--no-cache`) and warm (with the
//! analysis cache as a run on the previous range left it, restored before every run, as CI
//! restores the cache of an earlier push) and `git diff --name-status -M <a> <b>`. The targets
//! hold for warm runs.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{BufWriter, Write as _};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{checked, median, ms, timed, Env};

/// The repository sizes, in roots.
pub(super) const SIZES: [usize; 3] = [25, 250, 2_500];
/// The one-file targets of issue 12, by size.
const MAX_ONE_FILE: [Duration; 3] = [
    Duration::from_millis(50),
    Duration::from_millis(50),
    Duration::from_millis(200),
];
const ROOT_FILES: [&str; 7] = [
    "versions.tf",
    "providers.tf",
    "main.tf",
    "variables.tf",
    "outputs.tf",
    "locals.tf",
    "data.tf",
];
const MODULE_FILES: [&str; 5] = [
    "main.tf",
    "variables.tf",
    "outputs.tf",
    "versions.tf",
    "locals.tf",
];
const DOCS: usize = 200;
/// The module whose `main.tf` the last range changes.
const ONE_MODULE: usize = 1;

/// One generated repository of `roots` roots.
struct Shape {
    roots: usize,
}

impl Shape {
    fn modules(&self) -> usize {
        (self.roots / 5).max(5)
    }

    fn root_dir(&self, r: usize) -> String {
        format!("envs/r{r:04}")
    }

    fn module_dir(&self, m: usize) -> String {
        format!("modules/m{m:03}")
    }

    /// The modules root `r` calls itself.
    fn root_calls(&self, r: usize) -> BTreeSet<usize> {
        let m = self.modules();
        BTreeSet::from([r % m, (r * 7 + 3) % m])
    }

    /// The module module `m` calls, if any.
    fn module_call(&self, m: usize) -> Option<usize> {
        (m % 4 == 0 && m + 1 < self.modules()).then_some(m + 1)
    }

    /// Every module root `r` reaches.
    fn closure(&self, r: usize) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        for m in self.root_calls(r) {
            out.insert(m);
            if let Some(next) = self.module_call(m) {
                out.insert(next);
            }
        }
        out
    }

    /// Whether a change of `path` changes root `r` (the model of what Terraform reads).
    fn reads(&self, r: usize, path: &str) -> bool {
        let reads_in = |dir: &str, extra: &[&str]| {
            path.strip_prefix(dir)
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|rest| {
                    (!rest.contains('/') && rest.ends_with(".tf")) || extra.contains(&rest)
                })
        };
        reads_in(
            &self.root_dir(r),
            &["terraform.tfvars", "files/config.json"],
        ) || self.closure(r).into_iter().any(|m| {
            reads_in(
                &self.module_dir(m),
                &["templates/user_data.tpl", "policy.json"],
            )
        })
    }

    fn files(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for r in 0..self.roots {
            let dir = self.root_dir(r);
            for name in ROOT_FILES {
                out.push((
                    format!("{dir}/{name}"),
                    header(&dir, name) + &self.root_tf(r, name),
                ));
            }
            out.push((
                format!("{dir}/terraform.tfvars"),
                format!("name = \"r{r:04}\"\n"),
            ));
            out.push((
                format!("{dir}/files/config.json"),
                format!("{{ \"root\": {r} }}\n"),
            ));
            out.push((format!("{dir}/README.md"), format!("# Root {r}\n")));
        }
        for m in 0..self.modules() {
            let dir = self.module_dir(m);
            for name in MODULE_FILES {
                out.push((
                    format!("{dir}/{name}"),
                    header(&dir, name) + &self.module_tf(m, name),
                ));
            }
            out.push((
                format!("{dir}/templates/user_data.tpl"),
                format!("#!/bin/sh\necho \"module {m} ${{name}}\"\n"),
            ));
            out.push((
                format!("{dir}/policy.json"),
                format!("{{ \"Version\": \"2012-10-17\", \"Sid\": \"m{m}\" }}\n"),
            ));
            out.push((format!("{dir}/README.md"), format!("# Module {m}\n")));
        }
        for d in 0..DOCS {
            out.push((doc(d), format!("# Page {d}\n\nNothing Terraform reads.\n")));
        }
        out
    }

    fn root_tf(&self, r: usize, name: &str) -> String {
        match name {
            "versions.tf" => "terraform {\n  required_version = \">= 1.5\"\n  backend \"s3\" {}\n  \
                              required_providers {\n    aws = {\n      source  = \
                              \"hashicorp/aws\"\n      version = \"~> 5.0\"\n    }\n  }\n}\n"
                .to_owned(),
            "providers.tf" => {
                "provider \"aws\" {\n  region = var.region\n  default_tags {\n    tags = \
                 local.tags\n  }\n}\n"
                    .to_owned()
            }
            "main.tf" => {
                let mut out = String::new();
                for m in self.root_calls(r) {
                    let _ = write!(
                        out,
                        "module \"m{m:03}\" {{\n  source = \"../../modules/m{m:03}\"\n  \
                         name   = \"${{var.name}}-{m}\"\n  tags   = local.tags\n}}\n\n"
                    );
                }
                out.push_str(
                    "resource \"aws_ssm_parameter\" \"config\" {\n  name  = \"/${var.name}/config\"\n  \
                     type  = \"String\"\n  value = local.config\n}\n",
                );
                out
            }
            "variables.tf" => "variable \"name\" {\n  type = string\n}\n\nvariable \"region\" {\n  \
                               type    = string\n  default = \"eu-west-1\"\n}\n"
                .to_owned(),
            "outputs.tf" => {
                let mut out = String::new();
                for m in self.root_calls(r) {
                    let _ = write!(
                        out,
                        "output \"m{m:03}_id\" {{\n  value = module.m{m:03}.id\n}}\n\n"
                    );
                }
                out
            }
            "locals.tf" => format!(
                "locals {{\n  config = file(\"${{path.module}}/files/config.json\")\n  tags = {{\n    \
                 root  = \"r{r:04}\"\n    owner = \"team-{}\"\n  }}\n}}\n",
                r % 7
            ),
            _ => "data \"aws_caller_identity\" \"current\" {}\n\ndata \"aws_region\" \"current\" {}\n"
                .to_owned(),
        }
    }

    fn module_tf(&self, m: usize, name: &str) -> String {
        match name {
            "main.tf" => {
                let mut out = format!(
                    "resource \"aws_instance\" \"this\" {{\n  ami       = var.ami\n  user_data = \
                     templatefile(\"${{path.module}}/templates/user_data.tpl\", {{ name = var.name \
                     }})\n  tags      = var.tags\n}}\n\nresource \"aws_iam_policy\" \"this\" {{\n  \
                     name   = \"${{var.name}}-m{m}\"\n  policy = local.policy\n}}\n"
                );
                if let Some(next) = self.module_call(m) {
                    let _ = write!(
                        out,
                        "\nmodule \"next\" {{\n  source = \"../m{next:03}\"\n  name   = var.name\n  \
                         tags   = var.tags\n}}\n"
                    );
                }
                out
            }
            "variables.tf" => "variable \"name\" {\n  type = string\n}\n\nvariable \"ami\" {\n  \
                               type    = string\n  default = \"ami-123\"\n}\n\nvariable \"tags\" {\n  \
                               type    = map(string)\n  default = {}\n}\n"
                .to_owned(),
            "outputs.tf" => "output \"id\" {\n  value = aws_instance.this.id\n}\n".to_owned(),
            "versions.tf" => "terraform {\n  required_providers {\n    aws = {\n      source = \
                              \"hashicorp/aws\"\n    }\n  }\n}\n"
                .to_owned(),
            _ => "locals {\n  policy = file(\"${path.module}/policy.json\")\n}\n".to_owned(),
        }
    }

    fn config_yaml(&self) -> String {
        let mut out = String::from("version: 1\ndefault_branch: main\ntargets:\n");
        for r in 0..self.roots {
            let _ = writeln!(
                out,
                "  r{r:04}:\n    kind: terraform\n    root: {}",
                self.root_dir(r)
            );
        }
        out
    }

    /// The 100 changes of the wide range: (path, new content, or `None` to delete).
    fn wide_changes(&self) -> Vec<(String, Option<String>)> {
        let mut out = Vec::new();
        for d in 0..40 {
            out.push((doc(d), Some(format!("# Page {d}\n\nChanged.\n"))));
        }
        for k in 0..20 {
            let r = (k * 3) % self.roots;
            out.push((
                format!("{}/README.md", self.root_dir(r)),
                Some("# Changed\n".to_owned()),
            ));
            let r = (k * 3 + 1) % self.roots;
            out.push((
                format!("{}/files/config.json", self.root_dir(r)),
                Some(format!("{{ \"root\": {r}, \"changed\": true }}\n")),
            ));
        }
        let modules = self.modules();
        for k in 0..10 {
            let m = (k * 7 + 2) % modules;
            let file = if modules >= 10 || k < modules {
                "templates/user_data.tpl"
            } else {
                "policy.json"
            };
            out.push((
                format!("{}/{file}", self.module_dir(m)),
                Some(format!("changed {k}\n")),
            ));
        }
        for k in 0..5 {
            out.push((format!("docs/new{k}.md"), Some("# New\n".to_owned())));
            out.push((doc(DOCS - 1 - k), None));
        }
        out
    }

    fn module_change(&self) -> (String, String) {
        let path = format!("{}/main.tf", self.module_dir(ONE_MODULE));
        let dir = self.module_dir(ONE_MODULE);
        let content =
            header(&dir, "main.tf") + &self.module_tf(ONE_MODULE, "main.tf") + "\n# changed\n";
        (path, content)
    }
}

/// The first line of each `.tf` file, which makes every file distinct (as in a real
/// repository, where no two roots' files are byte for byte the same).
fn header(dir: &str, name: &str) -> String {
    format!("# {dir}/{name}, generated for the roots benchmark\n")
}

fn doc(d: usize) -> String {
    format!("docs/page{d:03}.md")
}

fn generate(env: &Env, repo: &Path, shape: &Shape) {
    std::fs::create_dir_all(repo).unwrap();
    checked(
        env.command(Path::new("git"), repo)
            .args(["init", "--quiet", "--initial-branch=main"]),
        "git init",
    );
    let config = shape.config_yaml();
    std::fs::write(repo.join(".quest-changes.yml"), &config).unwrap();
    let mut child = env
        .command(Path::new("git"), repo)
        .args(["fast-import", "--quiet", "--done"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("start git fast-import");
    let mut w = BufWriter::with_capacity(1 << 20, child.stdin.take().unwrap());
    let mut time = 1_700_000_000u64;
    let mut commit =
        |w: &mut BufWriter<_>, message: &str, tag: &str, files: &[(String, Option<String>)]| {
            time += 60;
            write!(
                w,
                "commit refs/heads/main\nauthor Bench <bench@example.invalid> {time} +0000\n\
             committer Bench <bench@example.invalid> {time} +0000\ndata {}\n{message}\n",
                message.len()
            )
            .unwrap();
            for (path, data) in files {
                match data {
                    Some(data) => {
                        write!(w, "M 100644 inline {path}\ndata {}\n", data.len()).unwrap();
                        w.write_all(data.as_bytes()).unwrap();
                        w.write_all(b"\n").unwrap();
                    }
                    None => writeln!(w, "D {path}").unwrap(),
                }
            }
            write!(w, "\nreset refs/tags/{tag}\nfrom refs/heads/main\n\n").unwrap();
        };
    let mut initial: Vec<(String, Option<String>)> =
        vec![(".quest-changes.yml".into(), Some(config))];
    initial.extend(shape.files().into_iter().map(|(p, c)| (p, Some(c))));
    commit(&mut w, "initial", "roots-base", &initial);
    commit(&mut w, "100 paths", "roots-wide", &shape.wide_changes());
    commit(
        &mut w,
        "a page",
        "roots-unread",
        &[(doc(100), Some("# Page 100\n\nChanged.\n".to_owned()))],
    );
    let (path, content) = shape.module_change();
    commit(&mut w, "a module", "roots-module", &[(path, Some(content))]);
    w.write_all(b"done\n").unwrap();
    w.flush().unwrap();
    drop(w);
    let status = child.wait().unwrap();
    assert!(status.success(), "git fast-import failed: {status}");
    checked(
        env.command(Path::new("git"), repo)
            .args(["read-tree", "HEAD"]),
        "git read-tree",
    );
}

/// Checks one run: the changes are git's and the changed targets are the model's. Returns the
/// number of changes and of changed targets.
fn check(shape: &Shape, quest: &[u8], git: &[u8], range: &str) -> (usize, usize) {
    let doc: Value = serde_json::from_slice(quest).expect("quest-changes printed valid JSON");
    let changes = doc["changes"].as_array().expect("`changes` is a list");
    let ours: BTreeSet<String> = changes
        .iter()
        .map(|c| c["path"].as_str().unwrap().to_owned())
        .collect();
    let theirs: BTreeSet<String> = String::from_utf8_lossy(git)
        .lines()
        .map(|l| l.rsplit('\t').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        ours, theirs,
        "{range}: quest-changes and git list other changes"
    );
    let changed: BTreeSet<String> = doc["targets"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, t)| t["changed"] == Value::Bool(true))
        .map(|(name, _)| name.clone())
        .collect();
    let want: BTreeSet<String> = (0..shape.roots)
        .filter(|&r| ours.iter().any(|p| shape.reads(r, p)))
        .map(|r| format!("r{r:04}"))
        .collect();
    assert_eq!(
        changed, want,
        "{range}: the changed targets are the roots that read a changed path"
    );
    (ours.len(), changed.len())
}

/// Runs the case; returns its table and whether every target was met.
pub(super) fn run(env: &Env, bin: &Path, dir: &Path, runs: usize) -> (String, bool) {
    let mut table = String::new();
    let _ = writeln!(
        table,
        "\ncase roots: N Terraform roots (8 .tf files each, shared modules, file() and \
         templatefile() reads), one terraform target per root\nmedian of {runs} runs after a \
         warm-up, quest-changes --format json beside git diff --name-status -M; cold: \
         --no-cache; warm: with the cache the previous range's run left (ratio and target: warm)"
    );
    let _ = writeln!(
        table,
        "{:>6} {:>7} {:<26} {:>8} {:>8} {:>10} {:>10} {:>9} {:>7} {:>10}",
        "roots", ".tf", "range", "changes", "changed", "cold", "warm", "git", "ratio", "target"
    );
    let mut all_ok = true;
    for (size, max_one) in SIZES.iter().zip(MAX_ONE_FILE) {
        let shape = Shape { roots: *size };
        let repo = dir.join(format!("roots{size}"));
        let started = Instant::now();
        generate(env, &repo, &shape);
        let tf = shape.roots * ROOT_FILES.len() + shape.modules() * MODULE_FILES.len();
        println!(
            "generated {} roots, {} modules, {tf} .tf files in {:.1} s at {}",
            shape.roots,
            shape.modules(),
            started.elapsed().as_secs_f64(),
            repo.display()
        );
        // Each range with the range before it, whose run leaves the cache a CI job would
        // restore (the first range's is the initial commit alone).
        let ranges = [
            (
                "roots-base",
                "roots-wide",
                "100 paths",
                None,
                ("roots-base", "roots-base"),
            ),
            (
                "roots-wide",
                "roots-unread",
                "one file no root reads",
                Some(max_one),
                ("roots-base", "roots-wide"),
            ),
            (
                "roots-unread",
                "roots-module",
                "one module .tf file",
                Some(max_one),
                ("roots-wide", "roots-unread"),
            ),
        ];
        for (base, head, label, target, previous) in ranges {
            let cold_args = [
                "--format",
                "json",
                "--no-cache",
                "--base",
                base,
                "--head",
                head,
            ];
            let git_args = ["diff", "--name-status", "-M", base, head];
            let quest = checked(env.command(bin, &repo).args(cold_args), "quest-changes");
            let git = checked(
                env.command(Path::new("git"), &repo).args(git_args),
                "git diff",
            );
            let (changes, changed) = check(&shape, &quest.stdout, &git.stdout, label);
            // The cache as the previous range's run left it.
            let primed = dir.join(format!("cache{size}-primed"));
            let _ = std::fs::remove_dir_all(&primed);
            checked(
                env.command(bin, &repo)
                    .args([
                        "--format", "json", "--base", previous.0, "--head", previous.1,
                    ])
                    .arg("--cache-dir")
                    .arg(&primed),
                "quest-changes (previous range)",
            );
            let cache = dir.join(format!("cache{size}"));
            let warm_args = |cache: &Path| {
                let mut args: Vec<std::ffi::OsString> =
                    ["--format", "json", "--base", base, "--head", head]
                        .map(Into::into)
                        .to_vec();
                args.push("--cache-dir".into());
                args.push(cache.as_os_str().to_owned());
                args
            };
            let restore = || {
                std::fs::create_dir_all(&cache).unwrap();
                std::fs::copy(
                    primed.join("terraform-roots.json"),
                    cache.join("terraform-roots.json"),
                )
                .unwrap();
            };
            restore();
            let warm = checked(
                env.command(bin, &repo).args(warm_args(&cache)),
                "quest-changes (warm)",
            );
            assert_eq!(
                warm.stdout, quest.stdout,
                "{label}: a warm cache routes byte for byte as a cold run"
            );
            let mut cold_times = Vec::with_capacity(runs);
            let mut warm_times = Vec::with_capacity(runs);
            let mut git_times = Vec::with_capacity(runs);
            for _ in 0..runs {
                cold_times.push(timed(env.command(bin, &repo).args(cold_args)));
                restore();
                warm_times.push(timed(env.command(bin, &repo).args(warm_args(&cache))));
                git_times.push(timed(env.command(Path::new("git"), &repo).args(git_args)));
            }
            let (cold_time, warm_time, git_time) =
                (median(cold_times), median(warm_times), median(git_times));
            let ok = target.is_none_or(|max| warm_time <= max);
            all_ok &= ok;
            let target = target.map_or(String::new(), |max| {
                format!(
                    "<= {} {}",
                    max.as_millis(),
                    if ok { "ok" } else { "MISSED" }
                )
            });
            let line = format!(
                "{:>6} {:>7} {:<26} {:>8} {:>8} {:>10} {:>10} {:>9} {:>7} {:>10}",
                shape.roots,
                tf,
                label,
                changes,
                changed,
                ms(cold_time),
                ms(warm_time),
                ms(git_time),
                format!("{:.1}", warm_time.as_secs_f64() / git_time.as_secs_f64()),
                target
            );
            println!("{line}");
            let _ = writeln!(table, "{line}");
        }
    }
    print!("{table}");
    (table, all_ok)
}
