//! `COPY`/`ADD` sources reached through symbolic links: the build reads what a link points at,
//! resolved inside the context as BuildKit and Buildah do, so a change of the link or of what it
//! points at changes the service.

use crate::support::{changed, route_in_both as route, Repo};

const CONFIG: &str =
    "version: 1\ntargets:\n  service:\n    kind: ecs-service\n    build: {context: app}\n";

/// A service whose context is `app/`, with `dockerfile` and the other `files` in it.
fn service(dockerfile: &str, files: &[(&str, &str)], links: &[(&str, &str)]) -> Repo {
    let repo = Repo::new();
    repo.write(".quest-changes.yml", CONFIG)
        .write("app/Dockerfile", dockerfile)
        .write("app/unread.txt", "nothing copies this\n");
    for (path, contents) in files {
        repo.write(&format!("app/{path}"), contents);
    }
    for (path, target) in links {
        repo.symlink(&format!("app/{path}"), target);
    }
    repo.commit("service");
    repo
}

/// Whether changing `path` (to `contents`) in a commit of its own changes the service.
fn routes(repo: &Repo, path: &str, contents: &str) -> bool {
    let base = repo.head();
    repo.write(path, contents).commit(&format!("change {path}"));
    changed(&route(repo, &base)) == ["service"]
}

#[test]
fn a_copied_link_reads_the_file_it_points_at() {
    let repo = service(
        "FROM scratch\nCOPY foo /\n",
        &[("bar", "b\n")],
        &[("foo", "bar")],
    );
    assert!(routes(&repo, "app/bar", "changed\n"));
    assert!(!routes(&repo, "app/unread.txt", "changed\n"));
    let base = repo.head();
    repo.write("app/other", "o\n").symlink("app/foo", "other");
    repo.commit("retarget");
    assert_eq!(changed(&route(&repo, &base)), ["service"]);
}

#[test]
fn a_copied_link_to_a_directory_reads_the_directory() {
    let repo = service(
        "FROM scratch\nCOPY current/ /app/\n",
        &[("releases/v2/a.txt", "2\n"), ("releases/v1/a.txt", "1\n")],
        &[("current", "releases/v2")],
    );
    assert!(routes(&repo, "app/releases/v2/a.txt", "changed\n"));
    assert!(routes(&repo, "app/releases/v2/new.txt", "new\n"));
    assert!(!routes(&repo, "app/releases/v1/a.txt", "changed\n"));
}

#[test]
fn a_chain_of_links_reads_its_last_target() {
    let repo = service(
        "FROM scratch\nCOPY l1 /x\n",
        &[("baz", "z\n")],
        &[("l1", "second"), ("second", "baz")],
    );
    assert!(routes(&repo, "app/baz", "changed\n"));
    let base = repo.head();
    repo.write("app/qux", "q\n").symlink("app/second", "qux");
    repo.commit("retarget the middle link");
    assert_eq!(changed(&route(&repo, &base)), ["service"]);
}

#[test]
fn a_link_in_the_middle_of_a_source_is_followed() {
    let repo = service(
        "FROM scratch\nCOPY link/foo /foo\n",
        &[
            ("sub/foo", "s\n"),
            ("sub/other", "o\n"),
            ("sub2/foo", "t\n"),
        ],
        &[("link", "sub")],
    );
    assert!(routes(&repo, "app/sub/foo", "changed\n"));
    assert!(!routes(&repo, "app/sub/other", "changed\n"));
    let base = repo.head();
    repo.symlink("app/link", "sub2")
        .commit("retarget the directory link");
    assert_eq!(changed(&route(&repo, &base)), ["service"]);
}

#[test]
fn a_link_out_of_the_context_resolves_inside_it() {
    let repo = service(
        "FROM scratch\nCOPY abs up /x/\n",
        &[("etc/conf", "c\n"), ("shared/lib", "l\n")],
        &[("abs", "/etc/conf"), ("up", "../../shared/lib")],
    );
    repo.write("shared/lib", "outside the context\n")
        .commit("outside");
    assert!(routes(&repo, "app/etc/conf", "changed\n"));
    assert!(routes(&repo, "app/shared/lib", "changed\n"));
    assert!(!routes(&repo, "shared/lib", "changed\n"));
}

#[test]
fn links_inside_a_copied_directory_are_copied_as_links() {
    let repo = service(
        "FROM scratch\nCOPY dir /dir\n",
        &[("dir/a", "a\n"), ("target.txt", "t\n")],
        &[("dir/l", "../target.txt")],
    );
    assert!(!routes(&repo, "app/target.txt", "changed\n"));
    let base = repo.head();
    repo.write("app/t2", "2\n").symlink("app/dir/l", "../t2");
    repo.commit("retarget the inner link");
    assert_eq!(changed(&route(&repo, &base)), ["service"]);
}

#[test]
fn a_cycle_or_a_dangling_link_reads_the_whole_context_with_a_note() {
    for links in [
        &[("foo", "foo2"), ("foo2", "foo")][..],
        &[("foo", "missing")][..],
    ] {
        let repo = service("FROM scratch\nCOPY foo /\n", &[], links);
        let base = repo.head();
        repo.write("app/unread.txt", "changed\n").commit("anything");
        let run = repo
            .quest()
            .args(["--base", &base, "--format", "json"])
            .run()
            .ok();
        assert_eq!(changed(&run.json()), ["service"], "{links:?}");
        assert!(
            run.stderr.contains("note: targets.service: ")
                && run.stderr.contains("`foo`")
                && run.stderr.contains("the whole context"),
            "{links:?}: {}",
            run.stderr
        );
    }
}
