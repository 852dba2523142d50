//! End-to-end benchmark of `quest-changes` on a large synthetic repository (issue 2, section 10;
//! issue 3, section 5).
//!
//! Case 1 (issue 2) generates, in a temporary directory and with `git fast-import`, a repository
//! of 100,000 files in 2,000 directories (`svcNN/dNNN/fNN.ext`, 20 services of 100 directories
//! each) with a `.quest-changes.yml` of 20 targets of 5 rules each, committed in the initial
//! commit; then a range of 50 commits that together change 10,000 paths (8,700 modifications,
//! 400 additions, 400 deletions, 500 renames, half of them exact), and one more commit that
//! changes one file. It then measures, with the release binary: the median wall time of
//! `quest-changes --format json --base <base> --head <head>` against
//! `git diff --name-status -M <base> <head>` on the same range, and their ratio (target, issue
//! 12: at most 1.0); the peak memory of that `quest-changes` run (target: at most git's plus
//! 10 MB); and the median time of `quest-changes --format json --base HEAD~1` for the one-file
//! commit (target: at most 5 ms).
//!
//! Case 2 (issue 3) adds to the same 100,000 files and the same range 10 build contexts
//! (`services/svcNN`, each with a multi-stage Dockerfile that copies `package*.json` and `src/`,
//! and a `.dockerignore`) and 20 Terraform roots (`infra/envs/rootNN`) that call, through local
//! `module` blocks, a pool of 50 shared modules (`infra/modules/mNN`, some calling others, some
//! reading a template with `templatefile`). Its configuration has 10 `ecs-service` targets with
//! a `build` section and 20 `terraform` targets with a `root`, so every run reads the
//! Dockerfiles and parses the Terraform files of the head and the base commit. The range also
//! touches files in those contexts (copied or not), a Dockerfile, a `.dockerignore`, module
//! files, a template and a root's module calls, and the last commit changes one template. Same
//! measures and ratio target; its one-template commit, which reads every root, at most 20 ms.
//!
//! Before timing anything each case checks that the run is sane: the changes `quest-changes`
//! reports are exactly those `git diff --name-status -M` lists, and every target routes exactly
//! (case 2) or at least (case 1) what it must. It prints a table of figures and targets per
//! case and exits non-zero when a target is missed.
//!
//! Run it with `cargo bench --bench route`. `QUEST_BENCH_RUNS` sets the number of timed runs
//! (default 7, after one warm-up); `QUEST_BENCH_CASE=1`, `2` or `roots` (many Terraform roots,
//! see `route/roots.rs`) runs one case only, and `QUEST_BENCH_CASE=scale` the scale table of
//! `diff_scale` only (repositories of 1,000 to 1,000,000 files x ranges of 1 to 10,000 paths,
//! beside git; not run by default). The generated
//! repositories are deleted at the end (set `QUEST_BENCH_KEEP=1` to keep them for profiling).
//! Peak memory is read with GNU time (`/usr/bin/time -f %M`, Debian package `time`), which
//! reports the child's `ru_maxrss` from `wait4`; the crate forbids `unsafe`, so calling `wait4`
//! through `libc` here is not an option.

// A benchmark is a test program: a failed step should stop it with the reason, and
// unwrap/expect say that most directly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "route/diff_scale.rs"]
mod diff_scale;
#[path = "route/roots.rs"]
mod roots;

const SERVICES: usize = 20;
const DIRS_PER_SERVICE: usize = 100;
const FILES_PER_DIR: usize = 50;
const FILES: usize = SERVICES * DIRS_PER_SERVICE * FILES_PER_DIR;
const COMMITS: usize = 50;
/// Existing files touched by the range, chosen by `k * STRIDE % FILES` for `k` in `0..TOUCHED`.
const TOUCHED: usize = 9_600;
/// Coprime with `FILES`, so the touched files are distinct and spread over every service.
const STRIDE: usize = 9_973;
/// `k` below this: renamed (even `k` exactly, odd `k` with one line added).
const RENAMES: usize = 500;
/// `k` from `RENAMES` to this: deleted; the rest of `0..TOUCHED`: modified.
const DELETIONS_END: usize = 900;
const ADDITIONS: usize = 400;
/// The file the last commit of case 1 changes: `svc00/d050/f01.json`, which only `svc00` routes.
const ONE_FILE: usize = 50 * FILES_PER_DIR + 1;
const EXTENSIONS: [&str; 8] = ["rs", "json", "md", "ts", "yml", "txt", "tf", "json"];

/// Case 2: build contexts `services/svcNN`, one `ecs-service` target each.
const IMAGES: usize = 10;
/// Case 2: Terraform roots `infra/envs/rootNN`, one `terraform` target each.
const ROOTS: usize = 20;
/// Case 2: shared modules `infra/modules/mNN`.
const MODULES: usize = 50;
/// The module nothing calls in the base commit; the range makes `LATE_ROOT` call it.
const LATE_MODULE: usize = 49;
const LATE_ROOT: usize = 11;
/// The module whose template the last commit of case 2 changes.
const ONE_FILE_MODULE: usize = 40;

/// Issue 12's targets: no slower than git's own diff of the range, at most 10 MB more memory
/// than git, and a one-file range in 5 ms (case 2's one template, with its analyses: 20 ms).
const MAX_RATIO_PATTERNS: f64 = 1.0;
const MAX_RATIO_ANALYSES: f64 = 1.0;
const MAX_RSS_OVER_GIT_KB: u64 = 10 * 1024;
const MAX_ONE_FILE_PATTERNS: Duration = Duration::from_millis(5);
const MAX_ONE_FILE_ANALYSES: Duration = Duration::from_millis(20);

/// The two benchmark cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// Issue 2: 20 `custom` targets of 5 patterns each.
    Patterns,
    /// Issue 3: 10 `ecs-service` targets routed by their builds and 20 `terraform` targets
    /// routed by their module graphs.
    Analyses,
}

impl Case {
    fn number(self) -> u8 {
        match self {
            Case::Patterns => 1,
            Case::Analyses => 2,
        }
    }

    fn title(self) -> &'static str {
        match self {
            Case::Patterns => "case 1: 100,000 files, 20 custom targets of 5 patterns",
            Case::Analyses => {
                "case 2: 100,000 files + 10 Dockerfiles + 20 Terraform roots sharing 50 modules, \
                 10 ecs-service (build) and 20 terraform (root) targets"
            }
        }
    }

    fn max_ratio(self) -> f64 {
        match self {
            Case::Patterns => MAX_RATIO_PATTERNS,
            Case::Analyses => MAX_RATIO_ANALYSES,
        }
    }

    fn targets(self) -> usize {
        match self {
            Case::Patterns => SERVICES,
            Case::Analyses => IMAGES + ROOTS,
        }
    }
}

fn main() {
    let runs: usize = std::env::var("QUEST_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(7);
    let case = std::env::var("QUEST_BENCH_CASE").ok();
    let scale = case.as_deref() == Some("scale");
    let only: Option<u8> = case.as_deref().map(|v| v.parse().unwrap_or(0));
    let roots_case = case.as_deref().is_none_or(|v| v == "roots");
    // Cargo builds the package's binaries, with this benchmark's (release-based) profile,
    // before it builds a benchmark, and tells the benchmark where the binary is.
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_quest-changes"));
    assert!(bin.is_file(), "the binary {} is missing", bin.display());
    let time_bin = Path::new("/usr/bin/time");
    if !time_bin.is_file() {
        eprintln!(
            "error: /usr/bin/time (GNU time) is needed to measure peak memory; \
             install it with `apt-get install time`"
        );
        std::process::exit(2);
    }

    println!("binary: {}", bin.display());
    print_machine();

    let dir = tempfile::Builder::new()
        .prefix("quest-bench-")
        .tempdir()
        .expect("create a temporary directory");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let env = Env { home };

    let mut tables = String::new();
    let mut all_ok = true;
    let mut repos = Vec::new();
    if scale {
        tables.push_str(&diff_scale::run(&env, &bin, dir.path(), runs));
    }
    for case in [Case::Patterns, Case::Analyses] {
        if scale || only.is_some_and(|n| n != case.number()) {
            continue;
        }
        let repo = dir.path().join(format!("repo{}", case.number()));
        let (table, ok) = run_case(case, &env, &bin, time_bin, &repo, runs);
        tables.push_str(&table);
        all_ok &= ok;
        repos.push(repo);
    }
    if roots_case {
        let (table, ok) = roots::run(&env, &bin, dir.path(), runs);
        tables.push_str(&table);
        all_ok &= ok;
        repos.extend(roots::SIZES.map(|n| dir.path().join(format!("roots{n}"))));
    }
    if repos.len() > 1 {
        println!("\nsummary{tables}");
    }

    if std::env::var_os("QUEST_BENCH_KEEP").is_some_and(|v| v == "1") {
        let kept = dir.keep();
        for repo in &repos {
            let name = repo.file_name().unwrap();
            println!("kept the repository at {}", kept.join(name).display());
        }
    } else {
        // `exit` below skips destructors; remove the repositories first.
        drop(dir);
    }
    if !all_ok {
        eprintln!("error: at least one benchmark target was missed (see MISSED above)");
        std::process::exit(1);
    }
}

/// Generates the repository of `case`, checks a run, times it; returns the table of figures
/// and whether every target was met.
fn run_case(
    case: Case,
    env: &Env,
    bin: &Path,
    time_bin: &Path,
    repo: &Path,
    runs: usize,
) -> (String, bool) {
    println!("\n{}", case.title());
    let started = Instant::now();
    generate(env, repo, case);
    let base = rev_parse(env, repo, "bench-base");
    let head = rev_parse(env, repo, "bench-range");
    println!(
        "generated {} files in {} directories{}, a range of {COMMITS} commits and a one-file \
         commit in {:.1} s (not measured) at {}",
        FILES,
        SERVICES * DIRS_PER_SERVICE,
        if case == Case::Analyses {
            format!(
                " plus {} files of {IMAGES} build contexts, {ROOTS} roots and {MODULES} modules",
                analysis_files().len()
            )
        } else {
            String::new()
        },
        started.elapsed().as_secs_f64(),
        repo.display()
    );
    println!("range: {base}..{head}");

    let quest_args = ["--format", "json", "--base", &base, "--head", &head];
    let git_args = ["diff", "--name-status", "-M", &base, &head];

    // Sanity first: the run we time must be a correct one.
    let quest_out = checked(env.command(bin, repo).args(quest_args), "quest-changes");
    let git_out = checked(
        env.command(Path::new("git"), repo).args(git_args),
        "git diff",
    );
    let counts = check_range(case, &quest_out, &git_out.stdout);
    println!(
        "check: {} changes ({} modified, {} added, {} deleted, {} renamed), {} of {} targets \
         changed, {} routed files; identical to git diff --name-status -M",
        counts.changes,
        counts.modified,
        counts.added,
        counts.deleted,
        counts.renamed,
        counts.changed_targets,
        counts.targets,
        counts.routed_files
    );
    if !counts.changed_names.is_empty() {
        println!("changed targets: {}", counts.changed_names.join(" "));
    }

    let (quest_times, git_times) = {
        let mut quest = Vec::with_capacity(runs);
        let mut git = Vec::with_capacity(runs);
        // One warm-up each (above), then interleaved so drift hits both alike.
        for _ in 0..runs {
            quest.push(timed(env.command(bin, repo).args(quest_args)));
            git.push(timed(env.command(Path::new("git"), repo).args(git_args)));
        }
        (median(quest), median(git))
    };
    let ratio = quest_times.as_secs_f64() / git_times.as_secs_f64();

    let quest_rss = peak_rss_kb(env, time_bin, bin, repo, &quest_args);
    let git_rss = peak_rss_kb(env, time_bin, Path::new("git"), repo, &git_args);

    let one_args = ["--format", "json", "--base", "HEAD~1"];
    let one_out = checked(
        env.command(bin, repo).args(one_args),
        "quest-changes (one file)",
    );
    check_one_file(case, &one_out.stdout);
    let one_file = median(
        (0..runs)
            .map(|_| timed(env.command(bin, repo).args(one_args)))
            .collect(),
    );
    let git_one = median(
        (0..runs)
            .map(|_| {
                timed(env.command(Path::new("git"), repo).args([
                    "diff",
                    "--name-status",
                    "-M",
                    "HEAD~1",
                    "HEAD",
                ]))
            })
            .collect(),
    );

    let max_ratio = case.max_ratio();
    let ratio_ok = ratio <= max_ratio;
    let rss_ok = quest_rss <= git_rss + MAX_RSS_OVER_GIT_KB;
    let max_one_file = match case {
        Case::Patterns => MAX_ONE_FILE_PATTERNS,
        Case::Analyses => MAX_ONE_FILE_ANALYSES,
    };
    let one_ok = one_file <= max_one_file;
    let one_label = match case {
        Case::Patterns => "one file",
        Case::Analyses => "one template",
    };
    let mark = |ok: bool| if ok { "ok" } else { "MISSED" };
    let mut table = String::new();
    let _ = writeln!(table, "\n{}", case.title());
    let _ = writeln!(table, "median of {runs} runs after a warm-up");
    let _ = writeln!(
        table,
        "{:<44} {:>12} {:>12} {:>7}",
        "measure", "value", "target", ""
    );
    let _ = writeln!(
        table,
        "{:<44} {:>12} {:>12}",
        format!("quest-changes, {}-path range", thousands(counts.changes)),
        ms(quest_times),
        ""
    );
    let _ = writeln!(
        table,
        "{:<44} {:>12} {:>12}",
        "git diff --name-status -M, same range",
        ms(git_times),
        ""
    );
    let _ = writeln!(
        table,
        "{:<44} {:>12} {:>12} {:>7}",
        "ratio quest / git",
        format!("{ratio:.2}"),
        format!("<= {max_ratio:.1}"),
        mark(ratio_ok)
    );
    let _ = writeln!(
        table,
        "{:<44} {:>12} {:>12} {:>7}",
        "peak RSS quest-changes, range",
        mb(quest_rss),
        format!("<= {}", mb(git_rss + MAX_RSS_OVER_GIT_KB)),
        mark(rss_ok)
    );
    let _ = writeln!(
        table,
        "{:<44} {:>12} {:>12}",
        "peak RSS git diff, range (reference)",
        mb(git_rss),
        ""
    );
    let _ = writeln!(
        table,
        "{:<44} {:>12} {:>12} {:>7}",
        format!("quest-changes --base HEAD~1, {one_label}"),
        ms(one_file),
        format!("<= {}", ms(max_one_file)),
        mark(one_ok)
    );
    let _ = writeln!(
        table,
        "{:<44} {:>12} {:>12}",
        format!("git diff HEAD~1 HEAD, {one_label} (reference)"),
        ms(git_one),
        ""
    );
    print!("{table}");
    (table, ratio_ok && rss_ok && one_ok)
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The environment every child runs in: no CI or `QUEST_*` variables that would change the
/// range, no `GIT_*` variables that would point git elsewhere, and an empty home so neither git
/// nor libgit2 reads the user's configuration.
struct Env {
    home: PathBuf,
}

impl Env {
    fn command(&self, program: &Path, dir: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(dir);
        for (key, _) in std::env::vars_os() {
            let Some(key) = key.to_str() else { continue };
            if key == "CI"
                || key.starts_with("CIRCLE")
                || key.starts_with("GITHUB_")
                || key.starts_with("QUEST_")
                || key.starts_with("GIT_")
                || key.starts_with("XDG_CONFIG")
            {
                cmd.env_remove(key);
            }
        }
        cmd.env("HOME", &self.home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        cmd
    }
}

fn checked(cmd: &mut Command, what: &str) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The wall time of one run, output captured (as a caller reading it would).
fn timed(cmd: &mut Command) -> Duration {
    let started = Instant::now();
    let out = cmd.output().expect("run the command");
    let elapsed = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    elapsed
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}

/// The maximum resident set size, in KiB, of one run of `program`, from GNU time, which takes
/// it from `wait4`'s `ru_maxrss` for exactly that child.
fn peak_rss_kb(env: &Env, time_bin: &Path, program: &Path, repo: &Path, args: &[&str]) -> u64 {
    let out_file = repo.join(".git").join("bench-rss");
    let out = checked(
        env.command(time_bin, repo)
            .arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&out_file)
            .arg(program)
            .args(args),
        "/usr/bin/time",
    );
    drop(out);
    let text = std::fs::read_to_string(&out_file).unwrap();
    text.lines()
        .rev()
        .find_map(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no figure in the output of /usr/bin/time: {text:?}"))
}

fn print_machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let git = Command::new("git")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "git not found".into());
    println!("machine: {cpu}, {cores} cores available; {git}");
}

fn rev_parse(env: &Env, repo: &Path, rev: &str) -> String {
    let out = checked(
        env.command(Path::new("git"), repo)
            .args(["rev-parse", "--verify", rev]),
        "git rev-parse",
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

// ---------------------------------------------------------------------------------------------
// The synthetic repository.

fn path_of(index: usize) -> String {
    let service = index / (DIRS_PER_SERVICE * FILES_PER_DIR);
    let dir = index / FILES_PER_DIR % DIRS_PER_SERVICE;
    let file = index % FILES_PER_DIR;
    format!(
        "svc{service:02}/d{dir:03}/f{file:02}.{}",
        EXTENSIONS[file % EXTENSIONS.len()]
    )
}

/// Where the renamed file `index` goes: into the next service's `moved/` directory, so a
/// rename routes to two targets.
fn renamed_path_of(index: usize) -> String {
    let service = index / (DIRS_PER_SERVICE * FILES_PER_DIR);
    let dir = index / FILES_PER_DIR % DIRS_PER_SERVICE;
    let file = index % FILES_PER_DIR;
    format!(
        "svc{:02}/moved/d{dir:03}-f{file:02}.{}",
        (service + 1) % SERVICES,
        EXTENSIONS[file % EXTENSIONS.len()]
    )
}

fn added_path_of(n: usize) -> String {
    let index = (n * 7_919 + 11) % FILES;
    let service = index / (DIRS_PER_SERVICE * FILES_PER_DIR);
    let dir = index / FILES_PER_DIR % DIRS_PER_SERVICE;
    format!(
        "svc{service:02}/d{dir:03}/new{n:03}.{}",
        EXTENSIONS[n % EXTENSIONS.len()]
    )
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The content of a file: 6 to 29 lines of pseudo-random hex, unique to `seed`, so that no two
/// unrelated files look alike to rename detection.
fn content(seed: u64) -> Vec<u8> {
    let lines = 6 + splitmix(seed) % 24;
    let mut out = String::with_capacity(lines as usize * 40);
    for line in 0..lines {
        let a = splitmix(seed.wrapping_mul(131).wrapping_add(line));
        let b = splitmix(a);
        let _ = writeln!(out, "{line:03} {a:016x}{b:016x}");
    }
    out.into_bytes()
}

fn seed_of(index: usize) -> u64 {
    index as u64
}

fn generate(env: &Env, repo: &Path, case: Case) {
    std::fs::create_dir_all(repo).unwrap();
    checked(
        env.command(Path::new("git"), repo)
            .args(["init", "--quiet", "--initial-branch=main"]),
        "git init",
    );
    let config = match case {
        Case::Patterns => config_yaml(),
        Case::Analyses => analysis_config_yaml(),
    };
    // The configuration is committed before the range, and present in the working tree where
    // `quest-changes` looks for it; the other files are only in the object database.
    std::fs::write(repo.join(".quest-changes.yml"), &config).unwrap();
    let extra_files = match case {
        Case::Patterns => BTreeMap::new(),
        Case::Analyses => analysis_files(),
    };
    let extra_changes = match case {
        Case::Patterns => Vec::new(),
        Case::Analyses => analysis_changes(),
    };

    let mut child = env
        .command(Path::new("git"), repo)
        .args(["fast-import", "--quiet", "--done"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("start git fast-import");
    let stdin = child.stdin.take().unwrap();
    let mut w = BufWriter::with_capacity(1 << 20, stdin);

    let mut time = 1_700_000_000u64;
    let mut commit_header = |w: &mut BufWriter<_>, message: &str| {
        time += 60;
        write!(
            w,
            "commit refs/heads/main\n\
             author Bench <bench@example.invalid> {time} +0000\n\
             committer Bench <bench@example.invalid> {time} +0000\n\
             data {}\n{message}\n",
            message.len()
        )
        .unwrap();
    };
    let inline = |w: &mut BufWriter<_>, path: &str, data: &[u8]| {
        write!(w, "M 100644 inline {path}\ndata {}\n", data.len()).unwrap();
        w.write_all(data).unwrap();
        w.write_all(b"\n").unwrap();
    };

    commit_header(&mut w, "initial");
    inline(&mut w, ".quest-changes.yml", config.as_bytes());
    for index in 0..FILES {
        inline(&mut w, &path_of(index), &content(seed_of(index)));
    }
    for (path, data) in &extra_files {
        inline(&mut w, path, data);
    }
    w.write_all(b"\nreset refs/tags/bench-base\nfrom refs/heads/main\n\n")
        .unwrap();

    for commit in 0..COMMITS {
        commit_header(&mut w, &format!("change {commit}"));
        for k in (commit..TOUCHED).step_by(COMMITS) {
            let index = k * STRIDE % FILES;
            let path = path_of(index);
            if k < RENAMES {
                let mut data = content(seed_of(index));
                if k % 2 == 1 {
                    data.extend_from_slice(b"one more line after the move\n");
                }
                writeln!(w, "D {path}").unwrap();
                inline(&mut w, &renamed_path_of(index), &data);
            } else if k < DELETIONS_END {
                writeln!(w, "D {path}").unwrap();
            } else {
                let mut data = content(seed_of(index));
                data.extend_from_slice(format!("changed in commit {commit}\n").as_bytes());
                inline(&mut w, &path, &data);
            }
        }
        for n in (commit..ADDITIONS).step_by(COMMITS) {
            inline(&mut w, &added_path_of(n), &content(1_000_000 + n as u64));
        }
        for (n, change) in extra_changes.iter().enumerate() {
            if change.commit != commit {
                continue;
            }
            match &change.op {
                ExtraOp::Modify => {
                    inline(
                        &mut w,
                        &change.path,
                        &changed_content(&extra_files, &change.path),
                    );
                }
                ExtraOp::Add => inline(&mut w, &change.path, &content(3_000_000 + n as u64)),
                ExtraOp::Delete => writeln!(w, "D {}", change.path).unwrap(),
                ExtraOp::Rename(to) => {
                    writeln!(w, "D {}", change.path).unwrap();
                    inline(&mut w, to, &extra_files[&change.path]);
                }
            }
        }
        w.write_all(b"\n").unwrap();
    }
    w.write_all(b"reset refs/tags/bench-range\nfrom refs/heads/main\n\n")
        .unwrap();

    // One more commit, changing one file that the range did not touch.
    commit_header(&mut w, "one file");
    match case {
        Case::Patterns => {
            let mut data = content(seed_of(ONE_FILE));
            data.extend_from_slice(b"a single change\n");
            inline(&mut w, &path_of(ONE_FILE), &data);
        }
        Case::Analyses => {
            let path = one_template();
            let mut data = extra_files[&path].clone();
            data.extend_from_slice(b"a single change\n");
            inline(&mut w, &path, &data);
        }
    }
    w.write_all(b"\ndone\n").unwrap();
    w.flush().unwrap();
    drop(w);
    let status = child.wait().unwrap();
    assert!(status.success(), "git fast-import failed: {status}");
    // Point the index at HEAD so the repository looks checked out to git (the files other than
    // the configuration are not written out; nothing measured reads the working tree).
    checked(
        env.command(Path::new("git"), repo)
            .args(["read-tree", "HEAD"]),
        "git read-tree",
    );
}

/// 20 targets of 5 rules each, one per service, mixing what real configurations use: a
/// directory, an exclusion, brace alternatives, character classes, an inline `**`, and a rule
/// that re-includes after the exclusion (last match wins).
fn config_yaml() -> String {
    let mut out = String::from("version: 1\ndefault_branch: main\ntargets:\n");
    for t in 0..SERVICES {
        let next = (t + 1) % SERVICES;
        let fourth = match t % 4 {
            0 => "**.tf".to_owned(),
            1 => format!("svc{next:02}/d0[0-4]?/*.json"),
            2 => "shared/**/*.{yml,yaml}".to_owned(),
            _ => format!("{{docs,svc{t:02}/api}}/**.ts"),
        };
        let _ = writeln!(
            out,
            "  svc{t:02}:\n    kind: custom\n    paths:\n      - \"svc{t:02}/**\"\n      \
             - \"!svc{t:02}/**/*.md\"\n      - \"{{lib/svc{t:02},svc{next:02}/d00[0-9]}}/**\"\n      \
             - \"{fourth}\"\n      - \"svc{t:02}/**/README*\""
        );
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Case 2: build contexts and Terraform configurations beside the 100,000 files.

fn service_dir(s: usize) -> String {
    format!("services/svc{s:02}")
}

fn root_dir(r: usize) -> String {
    format!("infra/envs/root{r:02}")
}

fn module_dir(m: usize) -> String {
    format!("infra/modules/m{m:02}")
}

/// The template the last commit of case 2 changes.
fn one_template() -> String {
    format!("{}/x.tpl", module_dir(ONE_FILE_MODULE))
}

/// The modules module `m` calls: every third calls the one ten further, and `m05`, `m15`, ...
/// call the next one, so chains run up to four modules deep. Callees only go up, so there is
/// no cycle, and nothing calls `LATE_MODULE`.
fn module_calls(m: usize) -> Vec<usize> {
    let mut calls = Vec::new();
    if m % 3 == 0 && m + 10 < LATE_MODULE {
        calls.push(m + 10);
    }
    if m % 10 == 5 && m + 1 < LATE_MODULE {
        calls.push(m + 1);
    }
    calls
}

/// Whether module `m` reads `x.tpl` with `templatefile`.
fn has_template(m: usize) -> bool {
    m % 4 == 0
}

/// The modules root `r` calls directly, in the base commit or (with `head`) after the range,
/// which adds a call of `LATE_MODULE` to `LATE_ROOT`.
fn root_calls(r: usize, head: bool) -> Vec<usize> {
    let mut calls = vec![r, r + 20, 40 + r % 9];
    if head && r == LATE_ROOT {
        calls.push(LATE_MODULE);
    }
    calls
}

/// Every module root `r` reaches.
fn root_closure(r: usize, head: bool) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut stack = root_calls(r, head);
    while let Some(m) = stack.pop() {
        if seen.insert(m) {
            stack.extend(module_calls(m));
        }
    }
    seen
}

const DOCKERFILE: &str = "\
FROM node:20-alpine AS build
WORKDIR /app
COPY package*.json ./
RUN npm ci
COPY src/ ./src/
RUN npm run build

FROM node:20-alpine
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/dist ./dist
COPY package*.json ./
RUN npm ci --omit=dev
USER node
CMD [\"node\", \"dist/index.js\"]
";

const DOCKERIGNORE: &str = "node_modules\n*.md\nsrc/**/*.test.js\n";

/// The other files of every build context; the model of what the build reads is
/// [`service_input`].
const SERVICE_FILES: [&str; 9] = [
    "package.json",
    "package-lock.json",
    "README.md",
    "src/index.js",
    "src/old.js",
    "src/lib/util.js",
    "src/lib/util.test.js",
    "test/a.test.js",
    "docs/notes.txt",
];

fn root_main_tf(r: usize, head: bool) -> String {
    let mut out = String::from(
        "terraform {\n  required_version = \">= 1.5\"\n}\n\nprovider \"aws\" {\n  \
         region = var.region\n}\n",
    );
    for m in root_calls(r, head) {
        let _ = write!(
            out,
            "\nmodule \"m{m:02}\" {{\n  source = \"../../modules/m{m:02}\"\n  \
             name   = \"root{r:02}-m{m:02}\"\n}}\n"
        );
    }
    out
}

fn module_main_tf(m: usize) -> String {
    let mut out =
        format!("resource \"terraform_data\" \"m{m:02}\" {{\n  input = {{\n    name = var.name\n");
    if has_template(m) {
        out.push_str("    body = templatefile(\"${path.module}/x.tpl\", {})\n");
    }
    out.push_str("  }\n}\n");
    for callee in module_calls(m) {
        let _ = write!(
            out,
            "\nmodule \"m{callee:02}\" {{\n  source = \"../m{callee:02}\"\n  \
             name   = \"${{var.name}}-m{callee:02}\"\n}}\n"
        );
    }
    out
}

/// The files of the build contexts and the Terraform configurations, by path.
fn analysis_files() -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut seed = 2_000_000u64;
    let mut filler = || {
        seed += 1;
        content(seed)
    };
    for s in 0..IMAGES {
        let dir = service_dir(s);
        files.insert(format!("{dir}/Dockerfile"), DOCKERFILE.as_bytes().to_vec());
        files.insert(
            format!("{dir}/.dockerignore"),
            DOCKERIGNORE.as_bytes().to_vec(),
        );
        for name in SERVICE_FILES {
            files.insert(format!("{dir}/{name}"), filler());
        }
    }
    for r in 0..ROOTS {
        let dir = root_dir(r);
        files.insert(
            format!("{dir}/main.tf"),
            root_main_tf(r, false).into_bytes(),
        );
        files.insert(
            format!("{dir}/variables.tf"),
            format!("# root{r:02}\nvariable \"region\" {{\n  type = string\n}}\n").into_bytes(),
        );
        files.insert(
            format!("{dir}/terraform.tfvars"),
            format!("# root{r:02}\nregion = \"eu-west-1\"\n").into_bytes(),
        );
    }
    for m in 0..MODULES {
        let dir = module_dir(m);
        files.insert(format!("{dir}/main.tf"), module_main_tf(m).into_bytes());
        files.insert(
            format!("{dir}/variables.tf"),
            format!("# m{m:02}\nvariable \"name\" {{\n  type = string\n}}\n").into_bytes(),
        );
        files.insert(format!("{dir}/README.md"), filler());
        if has_template(m) {
            files.insert(
                format!("{dir}/x.tpl"),
                format!("template of m{m:02}\n").into_bytes(),
            );
        }
    }
    files
}

#[derive(Debug)]
enum ExtraOp {
    Modify,
    Add,
    Delete,
    /// To this path, unchanged.
    Rename(String),
}

#[derive(Debug)]
struct ExtraChange {
    commit: usize,
    path: String,
    op: ExtraOp,
}

/// What the range of case 2 does to the build contexts and Terraform configurations, besides
/// the changes of case 1.
fn analysis_changes() -> Vec<ExtraChange> {
    let change = |commit: usize, path: String, op: ExtraOp| ExtraChange { commit, path, op };
    let svc = |s: usize, name: &str| format!("{}/{name}", service_dir(s));
    let module = |m: usize, name: &str| format!("{}/{name}", module_dir(m));
    let root = |r: usize, name: &str| format!("{}/{name}", root_dir(r));
    vec![
        // Build contexts: copied, not copied, ignored, the Dockerfile and the ignore file.
        change(3, svc(0, "src/index.js"), ExtraOp::Modify),
        change(7, svc(1, "README.md"), ExtraOp::Modify),
        change(
            11,
            svc(2, "src/old.js"),
            ExtraOp::Rename(svc(2, "src/renamed.js")),
        ),
        change(14, svc(3, "package.json"), ExtraOp::Modify),
        change(18, svc(4, "Dockerfile"), ExtraOp::Modify),
        change(21, svc(5, "src/lib/util.test.js"), ExtraOp::Modify),
        change(25, svc(6, ".dockerignore"), ExtraOp::Modify),
        change(29, svc(7, "src/new.js"), ExtraOp::Add),
        change(33, svc(8, "test/a.test.js"), ExtraOp::Delete),
        change(36, svc(9, "docs/notes.txt"), ExtraOp::Modify),
        // Terraform: module files, a template, a root's own file, a new module call (and a
        // change of the newly called module), a deleted module file, and Terraform's output.
        change(5, module(45, "main.tf"), ExtraOp::Modify),
        change(9, module(8, "x.tpl"), ExtraOp::Modify),
        change(16, module(13, "variables.tf"), ExtraOp::Modify),
        change(22, root(7, "terraform.tfvars"), ExtraOp::Modify),
        change(27, root(LATE_ROOT, "main.tf"), ExtraOp::Modify),
        change(40, module(LATE_MODULE, "main.tf"), ExtraOp::Modify),
        change(31, module(22, "templates/extra.tpl"), ExtraOp::Add),
        change(38, module(31, "README.md"), ExtraOp::Delete),
        change(44, root(4, ".terraform/modules/modules.json"), ExtraOp::Add),
    ]
}

/// The new content of a modified file of case 2.
fn changed_content(files: &BTreeMap<String, Vec<u8>>, path: &str) -> Vec<u8> {
    if path == format!("{}/main.tf", root_dir(LATE_ROOT)) {
        return root_main_tf(LATE_ROOT, true).into_bytes();
    }
    let mut data = files[path].clone();
    data.extend_from_slice(b"# changed in the range\n");
    data
}

/// Whether a change of `path` changes service `s`'s image (the same in the base and the head
/// commit: the changes keep what the Dockerfile copies and `.dockerignore` excludes).
fn service_input(s: usize, path: &str) -> bool {
    let Some(rel) = path
        .strip_prefix(&service_dir(s))
        .and_then(|p| p.strip_prefix('/'))
    else {
        return false;
    };
    matches!(
        rel,
        "Dockerfile" | ".dockerignore" | "package.json" | "package-lock.json"
    ) || (rel.starts_with("src/") && !rel.ends_with(".test.js"))
}

/// Whether a change of `path` changes root `r`, by the module graph of the head commit or (not
/// `head`) the base commit: a top-level `.tf` file of the root or of a module it reaches, the
/// root's `terraform.tfvars` and lock file, and the `x.tpl` of a reached module that reads it
/// (issue 11: not READMEs, subfolders or Terraform's output).
fn root_input(r: usize, head: bool, path: &str) -> bool {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    let configuration = name.ends_with(".tf") || name.ends_with(".tf.json");
    if dir == root_dir(r) {
        return configuration || matches!(name, "terraform.tfvars" | ".terraform.lock.hcl");
    }
    root_closure(r, head)
        .into_iter()
        .any(|m| dir == module_dir(m) && (configuration || (name == "x.tpl" && has_template(m))))
}

/// 10 `ecs-service` targets routed by their builds, 20 `terraform` targets by their roots; no
/// `paths`.
fn analysis_config_yaml() -> String {
    let mut out = String::from("version: 1\ndefault_branch: main\ntargets:\n");
    for s in 0..IMAGES {
        let _ = writeln!(
            out,
            "  svc{s:02}:\n    kind: ecs-service\n    build:\n      context: {}",
            service_dir(s)
        );
    }
    for r in 0..ROOTS {
        let _ = writeln!(
            out,
            "  root{r:02}:\n    kind: terraform\n    root: {}",
            root_dir(r)
        );
    }
    out
}

/// Whether a change routes to the case 2 target `name`: its new path as it stands after the
/// change (head, or base for a deletion), its old path in the base.
fn expected_in_analysis_target(name: &str, status: &str, old: Option<&str>, path: &str) -> bool {
    let input = |p: &str, head: bool| {
        if let Some(s) = name.strip_prefix("svc") {
            service_input(s.parse().unwrap(), p)
        } else {
            let r = name.strip_prefix("root").unwrap().parse().unwrap();
            root_input(r, head, p)
        }
    };
    input(path, status != "deleted") || old.is_some_and(|o| input(o, false))
}

// ---------------------------------------------------------------------------------------------
// Sanity checks on the output.

#[derive(Debug, Default)]
struct Counts {
    changes: usize,
    modified: usize,
    added: usize,
    deleted: usize,
    renamed: usize,
    targets: usize,
    changed_targets: usize,
    routed_files: usize,
    /// Case 2: the changed targets, by name.
    changed_names: Vec<String>,
}

/// A change as (status, old path, path).
type Entry = (String, Option<String>, String);

/// Checks that `quest-changes` reports exactly git's changes and routes what it must (case 1:
/// each service's target holds every changed path of that service, old or new, except `.md`
/// files; case 2: each target holds exactly the changes its build or module graph reads);
/// returns counts.
fn check_range(case: Case, quest: &Output, git: &[u8]) -> Counts {
    let doc: Value =
        serde_json::from_slice(&quest.stdout).expect("quest-changes printed valid JSON");
    assert_eq!(
        doc["uncertain"],
        Value::Bool(false),
        "the range is uncertain"
    );
    let changes = doc["changes"].as_array().expect("`changes` is a list");
    let mut counts = Counts {
        changes: changes.len(),
        ..Counts::default()
    };
    let mut ours: BTreeSet<Entry> = BTreeSet::new();
    for c in changes {
        let status = c["status"].as_str().unwrap();
        let path = c["path"].as_str().unwrap().to_owned();
        let old = c["old_path"].as_str().map(str::to_owned);
        match status {
            "modified" => counts.modified += 1,
            "added" => counts.added += 1,
            "deleted" => counts.deleted += 1,
            "renamed" => counts.renamed += 1,
            other => panic!("unexpected status {other}"),
        }
        ours.insert((status.to_owned(), old, path));
    }
    let mut theirs = BTreeSet::new();
    for line in String::from_utf8_lossy(git).lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let entry = match fields[0].chars().next() {
            Some('M') => ("modified", None, fields[1]),
            Some('A') => ("added", None, fields[1]),
            Some('D') => ("deleted", None, fields[1]),
            Some('R') => ("renamed", Some(fields[1].to_owned()), fields[2]),
            _ => panic!("unexpected git diff line {line:?}"),
        };
        theirs.insert((entry.0.to_owned(), entry.1, entry.2.to_owned()));
    }
    assert_eq!(
        ours.len(),
        counts.changes,
        "quest-changes listed a change twice"
    );
    if ours != theirs {
        let missing: Vec<_> = theirs.difference(&ours).take(5).collect();
        let extra: Vec<_> = ours.difference(&theirs).take(5).collect();
        panic!(
            "quest-changes and git disagree ({} vs {} changes); only in git: {missing:?}; \
             only in quest-changes: {extra:?}",
            ours.len(),
            theirs.len()
        );
    }
    let mut expected = (
        TOUCHED - DELETIONS_END,
        ADDITIONS,
        DELETIONS_END - RENAMES,
        RENAMES,
    );
    if case == Case::Analyses {
        for change in analysis_changes() {
            match change.op {
                ExtraOp::Modify => expected.0 += 1,
                ExtraOp::Add => expected.1 += 1,
                ExtraOp::Delete => expected.2 += 1,
                ExtraOp::Rename(_) => expected.3 += 1,
            }
        }
    }
    assert_eq!(
        (
            counts.modified,
            counts.added,
            counts.deleted,
            counts.renamed
        ),
        expected,
        "the range is not the one generated"
    );

    let targets = doc["targets"].as_object().expect("`targets` is an object");
    counts.targets = targets.len();
    assert_eq!(
        targets.len(),
        case.targets(),
        "one target per configured target"
    );
    for (name, target) in targets {
        let files: BTreeSet<&str> = target["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        counts.routed_files += files.len();
        if target["changed"] == Value::Bool(true) {
            counts.changed_targets += 1;
            if case == Case::Analyses {
                counts.changed_names.push(name.clone());
            }
        }
        assert_eq!(
            target["changed"],
            Value::Bool(!files.is_empty()),
            "{name}: `changed` disagrees with its files"
        );
        match case {
            Case::Patterns => {
                let prefix = format!("{name}/");
                for (_, old, path) in &ours {
                    let owned = |p: &str| p.starts_with(&prefix) && !p.ends_with(".md");
                    if owned(path) || old.as_deref().is_some_and(owned) {
                        assert!(files.contains(path.as_str()), "{name} misses {path}");
                    }
                }
            }
            Case::Analyses => {
                let want: BTreeSet<&str> = ours
                    .iter()
                    .filter(|(status, old, path)| {
                        expected_in_analysis_target(name, status, old.as_deref(), path)
                    })
                    .map(|(_, _, path)| path.as_str())
                    .collect();
                assert_eq!(files, want, "{name} routes other files than its inputs");
            }
        }
    }
    match case {
        Case::Patterns => assert_eq!(counts.changed_targets, SERVICES, "every service changed"),
        Case::Analyses => {
            // What the changes were chosen to show: copied files, the Dockerfile and the ignore
            // file count; a README, an ignored test, an uncopied folder do not.
            let images: Vec<&str> = counts
                .changed_names
                .iter()
                .filter(|n| n.starts_with("svc"))
                .map(String::as_str)
                .collect();
            assert_eq!(
                images,
                ["svc00", "svc02", "svc03", "svc04", "svc06", "svc07"],
                "the changed images"
            );
            let roots = counts.changed_names.len() - images.len();
            assert!(
                (1..ROOTS).contains(&roots),
                "some roots change and some do not ({roots} of {ROOTS} changed)"
            );
            assert!(
                counts
                    .changed_names
                    .iter()
                    .any(|n| *n == format!("root{LATE_ROOT:02}")),
                "the root that calls a new module changed"
            );
            assert!(
                !counts.changed_names.iter().any(|n| n == "root04"),
                "a change under .terraform/ alone changes nothing"
            );
            // Every Dockerfile and module was understood: nothing fell back to a whole folder.
            assert!(
                quest.stderr.is_empty(),
                "quest-changes warned: {}",
                String::from_utf8_lossy(&quest.stderr)
            );
        }
    }
    counts
}

fn check_one_file(case: Case, quest: &[u8]) {
    let doc: Value = serde_json::from_slice(quest).expect("quest-changes printed valid JSON");
    let changes = doc["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "the last commit changes one file");
    let (path, want) = match case {
        Case::Patterns => (path_of(ONE_FILE), vec!["svc00".to_owned()]),
        Case::Analyses => (
            one_template(),
            (0..ROOTS)
                .filter(|&r| root_closure(r, true).contains(&ONE_FILE_MODULE))
                .map(|r| format!("root{r:02}"))
                .collect(),
        ),
    };
    assert_eq!(changes[0]["path"].as_str(), Some(path.as_str()));
    let changed: Vec<String> = doc["targets"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, t)| t["changed"] == Value::Bool(true))
        .map(|(name, _)| name.clone())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(
        changed, want,
        "the one file routes to what depends on it only"
    );
}
