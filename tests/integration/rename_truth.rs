//! The differential table of rename pairing, whose truth is `git diff --name-status -M`: each
//! shape is a commit of deletions and additions, and the changes `quest-changes` lists must be
//! git's, renames and their old paths included.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{Repo, PATTERN_TARGETS};

/// A file's content as lines `prefix 0` .. `prefix n-1`.
fn lines(prefix: &str, n: usize) -> String {
    (0..n).map(|i| format!("{prefix} {i}\n")).collect()
}

/// One shape: the files before, the edits that make the commit after (None: delete).
struct Shape {
    name: &'static str,
    before: Vec<(String, Vec<u8>)>,
    after: Vec<(String, Option<Vec<u8>>)>,
    /// `diff.renameLimit` for this repository.
    limit: Option<u32>,
}

fn shape(name: &'static str, before: &[(&str, &[u8])], after: &[(&str, Option<&[u8]>)]) -> Shape {
    Shape {
        name,
        before: before
            .iter()
            .map(|(p, c)| ((*p).to_owned(), c.to_vec()))
            .collect(),
        after: after
            .iter()
            .map(|(p, c)| ((*p).to_owned(), c.map(<[u8]>::to_vec)))
            .collect(),
        limit: None,
    }
}

fn shapes() -> Vec<Shape> {
    let a = lines("alpha", 20);
    let b = lines("beta", 20);
    let a_edit = format!("{a}one more line\n");
    let a_half = format!("{}{}", lines("alpha", 10), lines("other", 9));
    let a_crlf = a.replace('\n', "\r\n");
    let binary: Vec<u8> = (0..200u8).chain(0..100u8).collect();
    let mut binary_edit = binary.clone();
    binary_edit.extend_from_slice(b"\0tail");
    let big = lines("gamma", 200);
    let a = a.as_bytes();
    let b = b.as_bytes();
    let mut out = vec![
        shape(
            "exact rename",
            &[("x/a.txt", a)],
            &[("x/a.txt", None), ("y/b.txt", Some(a))],
        ),
        shape(
            "rename with an edit, same file name",
            &[("x/a.txt", a)],
            &[("x/a.txt", None), ("y/a.txt", Some(a_edit.as_bytes()))],
        ),
        shape(
            "rename with an edit, other file name",
            &[("x/a.txt", a)],
            &[("x/a.txt", None), ("y/c.txt", Some(a_edit.as_bytes()))],
        ),
        shape(
            "two identical sources: the one with the same file name wins",
            &[("p/one.txt", a), ("q/two.txt", a)],
            &[
                ("p/one.txt", None),
                ("q/two.txt", None),
                ("r/two.txt", Some(a)),
            ],
        ),
        shape(
            "two identical sources, no file name in common: the first wins",
            &[("p/one.txt", a), ("q/two.txt", a)],
            &[
                ("p/one.txt", None),
                ("q/two.txt", None),
                ("r/x.txt", Some(a)),
            ],
        ),
        shape(
            "one source, two equally similar destinations",
            &[("s.txt", a)],
            &[
                ("s.txt", None),
                ("d1.txt", Some(a_edit.as_bytes())),
                ("d2.txt", Some(a_edit.as_bytes())),
            ],
        ),
        shape(
            "half similar: a unique file name is not enough, the matrix still pairs it",
            &[("x/a.txt", a), ("x/b.txt", b)],
            &[
                ("x/a.txt", None),
                ("y/a.txt", Some(a_half.as_bytes())),
                ("x/b.txt", None),
                ("y/z.txt", Some(b)),
            ],
        ),
        shape(
            "CRLF to LF",
            &[("w.txt", a_crlf.as_bytes())],
            &[("w.txt", None), ("v.txt", Some(a))],
        ),
        shape(
            "binary with an edit",
            &[("bin/a.dat", &binary)],
            &[("bin/a.dat", None), ("bin/b.dat", Some(&binary_edit))],
        ),
        shape(
            "sizes too far apart",
            &[("small.txt", a)],
            &[("small.txt", None), ("large.txt", Some(big.as_bytes()))],
        ),
        shape(
            "empty files",
            &[("e1", b""), ("keep", a)],
            &[("e1", None), ("e2", Some(b""))],
        ),
        shape(
            "unrelated deletion and addition",
            &[("gone.txt", a)],
            &[("gone.txt", None), ("new.txt", Some(b))],
        ),
    ];
    let mut limited = shape(
        "over diff.renameLimit: exact renames only",
        &[("l/1.txt", a), ("l/2.txt", b), ("l/3.txt", big.as_bytes())],
        &[
            ("l/1.txt", None),
            ("l/2.txt", None),
            ("l/3.txt", None),
            ("m/one.txt", Some(a_edit.as_bytes())),
            ("m/2.txt", Some(b)),
            ("m/three.txt", Some(format!("{big}x\n").as_bytes())),
        ],
    );
    limited.limit = Some(1);
    out.push(limited);
    out
}

type Listed = BTreeSet<(String, Option<String>, String)>;

fn git_changes(repo: &Repo, base: &str) -> Listed {
    repo.git(&["diff", "--name-status", "-M", base, "HEAD"])
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            match fields[0].chars().next() {
                Some('R') => (
                    "renamed".to_owned(),
                    Some(fields[1].to_owned()),
                    fields[2].to_owned(),
                ),
                Some(c) => {
                    let status = match c {
                        'M' => "modified",
                        'A' => "added",
                        'D' => "deleted",
                        'T' => "type-changed",
                        _ => panic!("unexpected git diff line {line:?}"),
                    };
                    (status.to_owned(), None, fields[1].to_owned())
                }
                None => panic!("empty git diff line"),
            }
        })
        .collect()
}

fn quest_changes(doc: &Value) -> Listed {
    doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["status"].as_str().unwrap().to_owned(),
                c["old_path"].as_str().map(str::to_owned),
                c["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn renames_are_the_ones_git_diff_m_finds() {
    for shape in shapes() {
        let repo = Repo::new();
        if let Some(limit) = shape.limit {
            repo.git(&["config", "diff.renameLimit", &limit.to_string()]);
        }
        repo.write(".quest-changes.yml", PATTERN_TARGETS);
        for (path, content) in &shape.before {
            repo.write_bytes(path.as_bytes(), content);
        }
        let base = repo.commit("before");
        for (path, content) in &shape.after {
            match content {
                Some(c) => {
                    repo.write_bytes(path.as_bytes(), c);
                }
                None => {
                    repo.remove(path);
                }
            }
        }
        repo.commit("after");
        let run = repo
            .quest()
            .args(["--format", "json", "--base", &base])
            .run();
        let doc: Value = serde_json::from_str(&run.ok().stdout).unwrap();
        let theirs = git_changes(&repo, &base);
        assert_eq!(quest_changes(&doc), theirs, "{}", shape.name);
        assert!(
            theirs.iter().any(|c| c.0 != "modified"),
            "{}: the shape changes no path",
            shape.name
        );
        match shape.limit {
            Some(limit) => {
                assert_eq!(doc["rename_limit"]["limit"], limit, "{}", shape.name);
                assert!(
                    theirs.iter().any(|c| c.0 == "renamed"),
                    "{}: the exact rename is still found",
                    shape.name
                );
            }
            None => assert!(doc.get("rename_limit").is_none(), "{}", shape.name),
        }
    }
}
