//! End-to-end benchmark of `quest-changes` on a large synthetic repository (issue 2, section 10).
//!
//! It generates, in a temporary directory and with `git fast-import`, a repository of 100,000
//! files in 2,000 directories (`svcNN/dNNN/fNN.ext`, 20 services of 100 directories each) with
//! a `.quest-changes.yml` of 20 targets of 5 rules each, committed in the initial commit; then a
//! range of 50 commits that together change 10,000 paths (8,700 modifications, 400 additions,
//! 400 deletions, 500 renames, half of them exact), and one more commit that changes one file.
//! It then measures, with the release binary: the median wall time of
//! `quest-changes --format json --base <base> --head <head>` against
//! `git diff --name-status -M <base> <head>` on the same range, and their ratio (target: at most
//! 1.5); the peak memory of that `quest-changes` run (target: under 100 MB); and the median time
//! of `quest-changes --format json --base HEAD~1` for the one-file commit (target: under 20 ms).
//! Before timing anything it checks that the run is sane: the changes `quest-changes` reports
//! are exactly those `git diff --name-status -M` lists, and every target routes what it must.
//! It prints a table of figures and targets and exits non-zero when a target is missed.
//!
//! Run it with `cargo bench --bench route`. `QUEST_BENCH_RUNS` sets the number of timed runs
//! (default 7, after one warm-up); the generated repository is deleted at the end (set
//! `QUEST_BENCH_KEEP=1` to keep it for profiling). Peak memory is read with GNU time
//! (`/usr/bin/time -f %M`, Debian package `time`), which reports the child's `ru_maxrss` from
//! `wait4`; the crate forbids `unsafe`, so calling `wait4` through `libc` here is not an option.

// A benchmark is a test program: a failed step should stop it with the reason, and
// unwrap/expect say that most directly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

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
/// The file the last commit changes: `svc00/d050/f01.json`, which only `svc00` routes.
const ONE_FILE: usize = 50 * FILES_PER_DIR + 1;
const EXTENSIONS: [&str; 8] = ["rs", "json", "md", "ts", "yml", "txt", "tf", "json"];

const MAX_RATIO: f64 = 1.5;
const MAX_RSS_KB: u64 = 100 * 1024;
const MAX_ONE_FILE: Duration = Duration::from_millis(20);

fn main() {
    let runs: usize = std::env::var("QUEST_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(7);
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
    let repo = dir.path().join("repo");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let env = Env { home };

    let started = Instant::now();
    generate(&env, &repo);
    let base = rev_parse(&env, &repo, "bench-base");
    let head = rev_parse(&env, &repo, "bench-range");
    println!(
        "generated {} files in {} directories, a range of {COMMITS} commits and a one-file \
         commit in {:.1} s (not measured) at {}",
        FILES,
        SERVICES * DIRS_PER_SERVICE,
        started.elapsed().as_secs_f64(),
        repo.display()
    );
    println!("range: {base}..{head}");

    let quest_args = ["--format", "json", "--base", &base, "--head", &head];
    let git_args = ["diff", "--name-status", "-M", &base, &head];

    // Sanity first: the run we time must be a correct one.
    let quest_out = checked(env.command(&bin, &repo).args(quest_args), "quest-changes");
    let git_out = checked(
        env.command(Path::new("git"), &repo).args(git_args),
        "git diff",
    );
    let counts = check_range(&quest_out.stdout, &git_out.stdout);
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

    let (quest_times, git_times) = {
        let mut quest = Vec::with_capacity(runs);
        let mut git = Vec::with_capacity(runs);
        // One warm-up each (above), then interleaved so drift hits both alike.
        for _ in 0..runs {
            quest.push(timed(env.command(&bin, &repo).args(quest_args)));
            git.push(timed(env.command(Path::new("git"), &repo).args(git_args)));
        }
        (median(quest), median(git))
    };
    let ratio = quest_times.as_secs_f64() / git_times.as_secs_f64();

    let quest_rss = peak_rss_kb(&env, time_bin, &bin, &repo, &quest_args);
    let git_rss = peak_rss_kb(&env, time_bin, Path::new("git"), &repo, &git_args);

    let one_args = ["--format", "json", "--base", "HEAD~1"];
    let one_out = checked(
        env.command(&bin, &repo).args(one_args),
        "quest-changes (one file)",
    );
    check_one_file(&one_out.stdout);
    let one_file = median(
        (0..runs)
            .map(|_| timed(env.command(&bin, &repo).args(one_args)))
            .collect(),
    );
    let git_one = median(
        (0..runs)
            .map(|_| {
                timed(env.command(Path::new("git"), &repo).args([
                    "diff",
                    "--name-status",
                    "-M",
                    "HEAD~1",
                    "HEAD",
                ]))
            })
            .collect(),
    );

    let ratio_ok = ratio <= MAX_RATIO;
    let rss_ok = quest_rss < MAX_RSS_KB;
    let one_ok = one_file < MAX_ONE_FILE;
    let mark = |ok: bool| if ok { "ok" } else { "MISSED" };
    let mut table = String::new();
    let _ = writeln!(table, "\nmedian of {runs} runs after a warm-up");
    let _ = writeln!(
        table,
        "{:<44} {:>12} {:>12} {:>7}",
        "measure", "value", "target", ""
    );
    let _ = writeln!(
        table,
        "{:<44} {:>12} {:>12}",
        "quest-changes, 10,000-path range",
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
        format!("<= {MAX_RATIO}"),
        mark(ratio_ok)
    );
    let _ = writeln!(
        table,
        "{:<44} {:>12} {:>12} {:>7}",
        "peak RSS quest-changes, range",
        mb(quest_rss),
        "< 100.0 MB",
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
        "quest-changes --base HEAD~1, one file",
        ms(one_file),
        "< 20.0 ms",
        mark(one_ok)
    );
    let _ = writeln!(
        table,
        "{:<44} {:>12} {:>12}",
        "git diff HEAD~1 HEAD, one file (reference)",
        ms(git_one),
        ""
    );
    println!("{table}");

    if std::env::var_os("QUEST_BENCH_KEEP").is_some_and(|v| v == "1") {
        let kept = dir.keep();
        println!("kept the repository at {}", kept.join("repo").display());
    } else {
        // `exit` below skips destructors; remove the repository first.
        drop(dir);
    }
    if !(ratio_ok && rss_ok && one_ok) {
        eprintln!("error: at least one benchmark target was missed (see MISSED above)");
        std::process::exit(1);
    }
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

fn generate(env: &Env, repo: &Path) {
    std::fs::create_dir_all(repo).unwrap();
    checked(
        env.command(Path::new("git"), repo)
            .args(["init", "--quiet", "--initial-branch=main"]),
        "git init",
    );
    let config = config_yaml();
    // The configuration is committed before the range, and present in the working tree where
    // `quest-changes` looks for it; the other files are only in the object database.
    std::fs::write(repo.join(".quest-changes.yml"), &config).unwrap();

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
        w.write_all(b"\n").unwrap();
    }
    w.write_all(b"reset refs/tags/bench-range\nfrom refs/heads/main\n\n")
        .unwrap();

    // One more commit, changing one file that the range did not touch.
    commit_header(&mut w, "one file");
    let mut data = content(seed_of(ONE_FILE));
    data.extend_from_slice(b"a single change\n");
    inline(&mut w, &path_of(ONE_FILE), &data);
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
}

/// Checks that `quest-changes` reports exactly git's changes, and that each service's target
/// holds every changed path of that service (old or new) except `.md` files; returns counts.
fn check_range(quest: &[u8], git: &[u8]) -> Counts {
    let doc: Value = serde_json::from_slice(quest).expect("quest-changes printed valid JSON");
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
    let mut ours = BTreeSet::new();
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
    assert_eq!(
        (
            counts.modified,
            counts.added,
            counts.deleted,
            counts.renamed
        ),
        (
            TOUCHED - DELETIONS_END,
            ADDITIONS,
            DELETIONS_END - RENAMES,
            RENAMES
        ),
        "the range is not the one generated"
    );

    let targets = doc["targets"].as_object().expect("`targets` is an object");
    counts.targets = targets.len();
    assert_eq!(targets.len(), SERVICES, "one target per service");
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
        }
        assert_eq!(
            target["changed"],
            Value::Bool(!files.is_empty()),
            "{name}: `changed` disagrees with its files"
        );
        let prefix = format!("{name}/");
        for (_, old, path) in &ours {
            let owned = |p: &str| p.starts_with(&prefix) && !p.ends_with(".md");
            if owned(path) || old.as_deref().is_some_and(owned) {
                assert!(files.contains(path.as_str()), "{name} misses {path}");
            }
        }
    }
    assert_eq!(counts.changed_targets, SERVICES, "every service changed");
    counts
}

fn check_one_file(quest: &[u8]) {
    let doc: Value = serde_json::from_slice(quest).expect("quest-changes printed valid JSON");
    let changes = doc["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "the last commit changes one file");
    assert_eq!(
        changes[0]["path"].as_str(),
        Some(path_of(ONE_FILE).as_str())
    );
    let changed: Vec<&String> = doc["targets"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, t)| t["changed"] == Value::Bool(true))
        .map(|(name, _)| name)
        .collect();
    assert_eq!(
        changed,
        ["svc00"],
        "the one file routes to its service only"
    );
}
