//! The scale case (`QUEST_BENCH_CASE=scale`, issue 12): how the cost of a run grows with the
//! size of the repository and with the size of the change.
//!
//! For each repository size (1,000, 10,000, 100,000 and 1,000,000 files, 50 to a directory under
//! 100 top-level directories, generated with `git fast-import`) and each range size (1, 100 and
//! 10,000 changed paths, one commit on a branch of its own from the same base), it checks that
//! `quest-changes --format json` lists exactly what `git diff --name-status -M` lists, then times
//! both alternately and prints the medians as a table. A range larger than the repository is
//! `n/a`. A range of 100 or more paths is 90 % modifications, 4 % additions, 4 % deletions and 2 %
//! renames (half of them with an edit); ten `custom` targets of two patterns route it. Only this
//! case generates the million-file repository (about a minute).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{BufWriter, Write as _};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{checked, median, ms, rev_parse, thousands, timed, Env};

const SIZES: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];
const RANGES: [usize; 3] = [1, 100, 10_000];
const FILES_PER_DIR: usize = 50;
const TOP_DIRS: usize = 100;
const TARGETS: usize = 10;
/// Coprime with every size (all are 2^a 5^b), so the touched files are distinct and spread.
const STRIDE: usize = 7_919;

/// One cell of the table: medians of quest-changes and of git.
#[derive(Debug, Clone, Copy)]
struct Cell {
    quest: Duration,
    git: Duration,
}

/// Generates the repositories one at a time under `dir`, times every range, prints the table;
/// returns it as Markdown rows for the summary.
pub(super) fn run(env: &Env, bin: &Path, dir: &Path, runs: usize) -> String {
    println!(
        "\nscale: repositories of {} files x ranges of {} changed paths, {TARGETS} custom targets",
        SIZES.map(thousands).join(" / "),
        RANGES.map(thousands).join(" / ")
    );
    let mut rows: Vec<(usize, Vec<Option<Cell>>)> = Vec::new();
    for files in SIZES {
        let repo = dir.join(format!("scale-{files}"));
        let started = Instant::now();
        generate(env, &repo, files);
        println!(
            "generated {} files in {:.1} s (not measured)",
            thousands(files),
            started.elapsed().as_secs_f64()
        );
        let base = rev_parse(env, &repo, "scale-base");
        let mut cells = Vec::new();
        for paths in RANGES {
            if paths > files {
                cells.push(None);
                continue;
            }
            let head = rev_parse(env, &repo, &format!("scale-{paths}"));
            let quest_args = ["--format", "json", "--base", &base, "--head", &head];
            let git_args = ["diff", "--name-status", "-M", &base, &head];
            let quest_out = checked(env.command(bin, &repo).args(quest_args), "quest-changes");
            let git_out = checked(
                env.command(Path::new("git"), &repo).args(git_args),
                "git diff",
            );
            let listed = check_same(&quest_out.stdout, &git_out.stdout);
            assert_eq!(listed, paths, "the range changes {paths} paths");
            let mut quest = Vec::with_capacity(runs);
            let mut git = Vec::with_capacity(runs);
            for _ in 0..runs {
                quest.push(timed(env.command(bin, &repo).args(quest_args)));
                git.push(timed(env.command(Path::new("git"), &repo).args(git_args)));
            }
            let cell = Cell {
                quest: median(quest),
                git: median(git),
            };
            println!(
                "{} files, {} path{}: quest-changes {}, git diff {}, ratio {:.2}",
                thousands(files),
                thousands(paths),
                if paths == 1 { "" } else { "s" },
                ms(cell.quest),
                ms(cell.git),
                ratio(cell)
            );
            cells.push(Some(cell));
        }
        rows.push((files, cells));
        // A million files take a few hundred MB of disk; keep one repository at a time unless
        // asked to keep them.
        if std::env::var_os("QUEST_BENCH_KEEP").is_none_or(|v| v != "1") {
            let _ = std::fs::remove_dir_all(&repo);
        }
    }
    let table = table(&rows, runs);
    print!("{table}");
    table
}

fn ratio(cell: Cell) -> f64 {
    cell.quest.as_secs_f64() / cell.git.as_secs_f64()
}

/// The Markdown table of the README: one row per repository, one column per range size, each
/// cell `quest-changes / git diff` in ms.
fn table(rows: &[(usize, Vec<Option<Cell>>)], runs: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nscale: median of {runs} runs, `quest-changes --format json` / `git diff --name-status -M` \
         (ratio)"
    );
    let _ = write!(out, "| repository |");
    for paths in RANGES {
        let _ = write!(
            out,
            " {} changed path{} |",
            thousands(paths),
            if paths == 1 { "" } else { "s" }
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "|---|{}", "---|".repeat(RANGES.len()));
    for (files, cells) in rows {
        let _ = write!(out, "| {} files |", thousands(*files));
        for cell in cells {
            match cell {
                Some(c) => {
                    let _ = write!(
                        out,
                        " {:.1} / {:.1} ms ({:.2}) |",
                        c.quest.as_secs_f64() * 1000.0,
                        c.git.as_secs_f64() * 1000.0,
                        ratio(*c)
                    );
                }
                None => {
                    let _ = write!(out, " n/a |");
                }
            }
        }
        let _ = writeln!(out);
    }
    out
}

/// Asserts that quest-changes lists exactly git's changes; returns how many.
fn check_same(quest: &[u8], git: &[u8]) -> usize {
    let doc: Value = serde_json::from_slice(quest).expect("quest-changes printed valid JSON");
    assert!(
        doc.get("rename_limit").is_none(),
        "the rename limit was hit"
    );
    let ours: BTreeSet<(String, Option<String>, String)> = doc["changes"]
        .as_array()
        .expect("`changes` is a list")
        .iter()
        .map(|c| {
            (
                c["status"].as_str().unwrap().to_owned(),
                c["old_path"].as_str().map(str::to_owned),
                c["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let theirs: BTreeSet<(String, Option<String>, String)> = String::from_utf8_lossy(git)
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let status = match fields[0].chars().next() {
                Some('M') => "modified",
                Some('A') => "added",
                Some('D') => "deleted",
                Some('R') => "renamed",
                _ => panic!("unexpected git diff line {line:?}"),
            };
            match status {
                "renamed" => (
                    status.to_owned(),
                    Some(fields[1].to_owned()),
                    fields[2].to_owned(),
                ),
                _ => (status.to_owned(), None, fields[1].to_owned()),
            }
        })
        .collect();
    assert_eq!(ours, theirs, "quest-changes and git list other changes");
    ours.len()
}

fn path_of(index: usize, files: usize) -> String {
    let dirs = files / FILES_PER_DIR;
    let top = dirs.min(TOP_DIRS);
    let dir = index / FILES_PER_DIR;
    format!(
        "d{:02}/s{:03}/f{:02}.txt",
        dir % top,
        dir / top,
        index % FILES_PER_DIR
    )
}

/// Three short lines unique to `seed`: no two unrelated files look alike to rename detection.
fn content(seed: u64) -> Vec<u8> {
    let a = super::splitmix(seed);
    let b = super::splitmix(a);
    let c = super::splitmix(b);
    format!("{seed:08} {a:016x}\n{b:016x}{c:016x}\n{c:016x} {a:016x}\n").into_bytes()
}

fn config_yaml() -> String {
    let mut out = String::from("version: 1\ndefault_branch: main\ntargets:\n");
    for t in 0..TARGETS {
        let _ = writeln!(
            out,
            "  t{t}:\n    kind: custom\n    paths:\n      - \"d?{t}/**\"\n      - \"!**/*.md\""
        );
    }
    out
}

/// The repository: `files` files in one commit (tag `scale-base`) and, for each range size
/// that fits, a branch `scale-<paths>` of one commit on top of it.
fn generate(env: &Env, repo: &Path, files: usize) {
    std::fs::create_dir_all(repo).unwrap();
    checked(
        env.command(Path::new("git"), repo)
            .args(["init", "--quiet", "--initial-branch=main"]),
        "git init",
    );
    let config = config_yaml();
    std::fs::write(repo.join(".quest-changes.yml"), &config).unwrap();
    let mut child = env
        .command(Path::new("git"), repo)
        .args(["fast-import", "--quiet", "--done"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("start git fast-import");
    let stdin = child.stdin.take().unwrap();
    let mut w = BufWriter::with_capacity(1 << 20, stdin);
    let header = |w: &mut BufWriter<_>, branch: &str, message: &str| {
        write!(
            w,
            "commit refs/heads/{branch}\n\
             author Bench <bench@example.invalid> 1700000000 +0000\n\
             committer Bench <bench@example.invalid> 1700000000 +0000\n\
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
    header(&mut w, "main", "base");
    inline(&mut w, ".quest-changes.yml", config.as_bytes());
    for index in 0..files {
        inline(&mut w, &path_of(index, files), &content(index as u64));
    }
    w.write_all(b"\nreset refs/tags/scale-base\nfrom refs/heads/main\n\n")
        .unwrap();
    for paths in RANGES.into_iter().filter(|&p| p <= files) {
        header(&mut w, &format!("scale-{paths}"), "range");
        writeln!(w, "from refs/tags/scale-base").unwrap();
        // Of every 50 changes: 1 rename (every other one with an edit), 2 deletions, 2
        // additions, 45 modifications; a one-path range is one modification.
        let mut additions = 0;
        for j in 0..paths {
            let index = j * STRIDE % files;
            let path = path_of(index, files);
            let slot = if paths == 1 { 49 } else { j % 50 };
            match slot {
                0 => {
                    let mut data = content(index as u64);
                    if j % 100 == 50 {
                        data.extend_from_slice(b"edited after the move\n");
                    }
                    writeln!(w, "D {path}").unwrap();
                    let to = path.replace(".txt", "-moved.txt").replace("/s", "/moved-s");
                    inline(&mut w, &to, &data);
                }
                1 | 2 => writeln!(w, "D {path}").unwrap(),
                3 | 4 => {
                    let to = path.replace(".txt", "-new.txt");
                    additions += 1;
                    inline(&mut w, &to, &content(10_000_000 + additions));
                }
                _ => {
                    let mut data = content(index as u64);
                    data.extend_from_slice(b"changed\n");
                    inline(&mut w, &path, &data);
                }
            }
        }
        w.write_all(b"\n").unwrap();
    }
    w.write_all(b"done\n").unwrap();
    w.flush().unwrap();
    drop(w);
    let status = child.wait().unwrap();
    assert!(status.success(), "git fast-import failed: {status}");
}
