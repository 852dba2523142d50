//! The differential table of image routing, whose truth is a real build: each case is a build
//! context, a `.dockerignore` and a `FROM scratch` Dockerfile, built with podman. A file is read
//! by the build when changing it (a symlink: pointing it at a name that does not exist, which
//! fails a build that follows it and changes one that copies it as a link) changes the layers
//! of the image, or no longer builds; every such file must route the service (no false
//! "unchanged"). Routed files the image never saw are counted and printed: that is the
//! over-routing the README states.
//!
//! Where podman's reading of a context differs from Docker's (BuildKit), Docker is the truth:
//! the case says so in `docker`, with why, and the run prints the divergence. None of the
//! cases below needs it with podman 4.3: the re-include shapes where older Buildah releases
//! differed (`**` then `!file`, `dir` then `!dir/sub`, an ignore file that lists itself and
//! the Dockerfile) build as Docker builds them.
//!
//! Builds run on two threads, each with one podman storage (`overlay`, in a temporary
//! directory) for all its builds; a missing `podman` or busybox fails the test with how to
//! install it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use tempfile::TempDir;

use crate::support::{changed, Repo};

/// The contents that stand for busybox, copied in to give a stage a shell for `RUN`.
const BUSYBOX: &str = "<busybox>";
const BUSYBOX_PATH: &str = "/bin/busybox";

/// One shape of build context.
struct Case {
    name: &'static str,
    dockerfile: &'static str,
    /// The `.dockerignore`, if any.
    ignore: Option<&'static str>,
    /// Files of the context: (path, contents); [`BUSYBOX`] copies busybox in.
    files: &'static [(&'static str, &'static str)],
    /// Symbolic links of the context: (path, target).
    links: &'static [(&'static str, &'static str)],
    /// `build.target`.
    target: Option<&'static str>,
    /// Where Docker's truth differs from podman's: (path, whether Docker's image changes, why).
    docker: &'static [(&'static str, bool, &'static str)],
}

const fn case(name: &'static str, dockerfile: &'static str) -> Case {
    Case {
        name,
        dockerfile,
        ignore: None,
        files: &[],
        links: &[],
        target: None,
        docker: &[],
    }
}

impl Case {
    const fn files(mut self, files: &'static [(&'static str, &'static str)]) -> Case {
        self.files = files;
        self
    }
    const fn links(mut self, links: &'static [(&'static str, &'static str)]) -> Case {
        self.links = links;
        self
    }
    const fn ignore(mut self, ignore: &'static str) -> Case {
        self.ignore = Some(ignore);
        self
    }
    const fn target(mut self, target: &'static str) -> Case {
        self.target = Some(target);
        self
    }
}

/// The shapes, after the public test tables of moby's patternmatcher (wildcards, `**`,
/// re-includes with `!`, escapes, cleaning) and BuildKit's dockerfile and copy tests (symlinks,
/// stages, `--from`, `ARG`s, mounts).
fn cases() -> Vec<Case> {
    vec![
        // COPY sources.
        case("copy a file", "FROM scratch\nCOPY a /a\n").files(&[("a", "a"), ("b", "b")]),
        case("copy a folder", "FROM scratch\nCOPY src /src\n").files(&[
            ("src/x", "x"),
            ("src/y/z", "z"),
            ("srcx/w", "w"),
        ]),
        case("copy a folder's contents", "FROM scratch\nCOPY src/ /dst/\n")
            .files(&[("src/x", "x"), ("other", "o")]),
        case("copy the context", "FROM scratch\nCOPY . /\n").files(&[("a", "a"), ("b/c", "c")]),
        case("copy ./ and a leading slash", "FROM scratch\nCOPY ./a /a\nCOPY /b /b\n")
            .files(&[("a", "a"), ("b", "b"), ("c", "c")]),
        case("copy several sources", "FROM scratch\nCOPY a b /d/\n")
            .files(&[("a", "a"), ("b", "b"), ("c", "c")]),
        case("copy in JSON form", "FROM scratch\nCOPY [\"a b\", \"/d/\"]\n")
            .files(&[("a b", "ab"), ("a", "a")]),
        case("add a file and a folder", "FROM scratch\nADD a /a\nADD dir /dir\n").files(&[
            ("a", "a"),
            ("dir/x", "x"),
            ("b", "b"),
        ]),
        case("copy the Dockerfile", "FROM scratch\nCOPY Dockerfile /D\n").files(&[("a", "a")]),
        // Wildcards in sources (Go's filepath.Match).
        case("a star", "FROM scratch\nCOPY *.txt /d/\n").files(&[
            ("a.txt", "a"),
            ("b.txt", "b"),
            ("c.md", "c"),
            ("sub/d.txt", "d"),
        ]),
        case("a question mark", "FROM scratch\nCOPY file?.txt /d/\n")
            .files(&[("file1.txt", "1"), ("file10.txt", "10")]),
        case("a class", "FROM scratch\nCOPY [ab].txt /d/\n").files(&[
            ("a.txt", "a"),
            ("b.txt", "b"),
            ("c.txt", "c"),
        ]),
        case("a star for folders", "FROM scratch\nCOPY src/* /d/\n").files(&[
            ("src/a", "a"),
            ("src/b/c", "c"),
            ("srcx/z", "z"),
        ]),
        case("a double star is a star", "FROM scratch\nCOPY src/**.go /d/\n").files(&[
            ("src/a.go", "a"),
            ("src/x/b.go", "b"),
            ("src/c.txt", "c"),
        ]),
        case("an escaped star", "FROM scratch\nCOPY [\"a\\\\*b\", \"/d/\"]\n")
            .files(&[("a*b", "s"), ("axb", "x")]),
        // .dockerignore (moby patternmatcher shapes).
        case("ignore by extension", "FROM scratch\nCOPY . /\n")
            .ignore("*.md\n")
            .files(&[("a.md", "a"), ("b.txt", "b"), ("d/e.md", "e")]),
        case("ignore and re-include a file", "FROM scratch\nCOPY . /\n")
            .ignore("*.md\n!README.md\n")
            .files(&[("README.md", "r"), ("x.md", "x"), ("d/README.md", "d")]),
        case("ignore a folder, re-include below it", "FROM scratch\nCOPY . /\n")
            .ignore("docs\n!docs/api\n")
            .files(&[("docs/api/i", "i"), ("docs/g", "g"), ("x", "x")]),
        case("re-include deep under an ignored folder", "FROM scratch\nCOPY dir /dir\n")
            .ignore("dir\n!dir/sub/keep\n")
            .files(&[("dir/sub/keep", "k"), ("dir/sub/drop", "d"), ("dir/top", "t")]),
        case("ignore with a double star", "FROM scratch\nCOPY . /\n")
            .ignore("**/*.tmp\n")
            .files(&[("a.tmp", "a"), ("d/b.tmp", "b"), ("d/e/c.tmp", "c"), ("keep", "k")]),
        case("ignore a folder at any depth", "FROM scratch\nCOPY . /\n")
            .ignore("**/testdata\n")
            .files(&[("testdata/a", "a"), ("p/testdata/b", "b"), ("p/c", "c")]),
        case("a leading slash anchors", "FROM scratch\nCOPY . /\n")
            .ignore("/build\n")
            .files(&[("build/x", "x"), ("sub/build/y", "y")]),
        case("dot slash is cleaned", "FROM scratch\nCOPY . /\n")
            .ignore("./secret\n")
            .files(&[("secret", "s"), ("keep", "k")]),
        case("ignore everything but", "FROM scratch\nCOPY . /\n")
            .ignore("*\n!src\n!package.json\n")
            .files(&[
                ("src/a", "a"),
                ("package.json", "p"),
                ("README.md", "r"),
                ("other/x", "x"),
            ]),
        case("a question mark in an ignore", "FROM scratch\nCOPY . /\n")
            .ignore("a?c\n")
            .files(&[("abc", "1"), ("ac", "2"), ("abbc", "3")]),
        case("classes in an ignore", "FROM scratch\nCOPY . /\n")
            .ignore("[a-c].txt\n[^x]y\n")
            .files(&[("a.txt", "a"), ("d.txt", "d"), ("zy", "z"), ("xy", "x")]),
        case("an escape in an ignore", "FROM scratch\nCOPY . /\n")
            .ignore("a\\*b\n")
            .files(&[("a*b", "s"), ("axb", "x")]),
        case("comments and blanks in an ignore", "FROM scratch\nCOPY . /\n")
            .ignore("# a comment\n\n  spaced.txt  \n")
            .files(&[("spaced.txt", "s"), ("other.txt", "o")]),
        case("ignore everything, re-include one file", "FROM scratch\nCOPY . /\n")
            .ignore("**\n!./source.txt\n")
            .files(&[("source.txt", "s"), ("other.txt", "o")]),
        case("re-include a folder under an ignored one", "FROM scratch\nCOPY huge /huge\n")
            .ignore("huge\n!huge/usr/bin\n")
            .files(&[("huge/usr/bin/file1", "1"), ("huge/other/x", "x")]),
        case("an exception before the exclusion", "FROM scratch\nCOPY . /\n")
            .ignore("!a\na\n")
            .files(&[("a", "a"), ("b", "b")]),
        case("the ignore file ignores itself", "FROM scratch\nCOPY . /\n")
            .ignore(".dockerignore\nDockerfile\n")
            .files(&[("a", "a")]),
        case("an ignore file beside the Dockerfile wins", "FROM scratch\nCOPY . /\n")
            .ignore("a\n")
            .files(&[("Dockerfile.dockerignore", "b\n"), ("a", "a"), ("b", "b")]),
        case("an ignore under a copied folder", "FROM scratch\nCOPY src /src\n")
            .ignore("src/gen\n**/*_test.go\n")
            .files(&[
                ("src/main.go", "m"),
                ("src/main_test.go", "t"),
                ("src/gen/x.go", "g"),
            ]),
        // Variables.
        case("an ARG default", "FROM scratch\nARG D=src\nCOPY $D /d\n")
            .files(&[("src/a", "a"), ("b", "b")]),
        case("an ARG without a value is empty", "FROM scratch\nARG E\nCOPY ${E}a /a\n")
            .files(&[("a", "a"), ("b", "b")]),
        case(
            "a global ARG not declared again is empty",
            "ARG G=b\nFROM scratch\nCOPY ${G}a /x\n",
        )
        .files(&[("a", "a"), ("ba", "ba")]),
        case(
            "a global ARG declared again",
            "ARG G=b\nFROM scratch\nARG G\nCOPY ${G}a /x\n",
        )
        .files(&[("a", "a"), ("ba", "ba")]),
        case("an ENV", "FROM scratch\nENV D=src\nCOPY $D /d\n").files(&[("src/a", "a"), ("b", "b")]),
        case("a default in the word", "FROM scratch\nCOPY ${NOPE:-a} /a\n")
            .files(&[("a", "a"), ("b", "b")]),
        // Stages.
        case(
            "copy from a stage",
            "FROM scratch AS b\nCOPY a /a\nFROM scratch\nCOPY --from=b /a /a\nCOPY c /c\n",
        )
        .files(&[("a", "a"), ("b", "b"), ("c", "c")]),
        case(
            "an unused stage",
            "FROM scratch AS u\nCOPY a /a\nFROM scratch\nCOPY c /c\n",
        )
        .files(&[("a", "a"), ("c", "c")]),
        case(
            "a stage built on a stage",
            "FROM scratch AS base\nCOPY a /a\nFROM base\nCOPY c /c\n",
        )
        .files(&[("a", "a"), ("c", "c"), ("d", "d")]),
        case(
            "a build target",
            "FROM scratch AS one\nCOPY a /a\nFROM scratch AS two\nCOPY c /c\n",
        )
        .target("one")
        .files(&[("a", "a"), ("c", "c")]),
        case(
            "a stage by its index",
            "FROM scratch\nCOPY a /a\nFROM scratch\nCOPY --from=0 /a /a\n",
        )
        .files(&[("a", "a"), ("b", "b")]),
        case(
            "a stage copied by a stage the target copies",
            "FROM scratch AS one\nCOPY a /a\nFROM scratch AS two\nCOPY --from=one /a /a\nCOPY b /b\nFROM scratch\nCOPY --from=two /b /b\n",
        )
        .files(&[("a", "a"), ("b", "b"), ("c", "c")]),
        // RUN, with busybox as the shell.
        case(
            "RUN reads no context",
            "FROM scratch\nCOPY busybox /bin/sh\nRUN echo hi > /x\n",
        )
        .files(&[("busybox", BUSYBOX), ("a", "a")]),
        case(
            "a bind mount of the context",
            "FROM scratch\nCOPY busybox /bin/sh\nRUN --mount=type=bind,source=a,target=/m /bin/sh -c 'cat /m > /out'\n",
        )
        .files(&[("busybox", BUSYBOX), ("a", "a"), ("b", "b")]),
        case(
            "a bind mount from a stage",
            "FROM scratch AS m\nCOPY a /a\nFROM scratch AS u\nCOPY b /b\nFROM scratch\nCOPY busybox /bin/sh\nRUN --mount=type=bind,from=m,source=/a,target=/m /bin/sh -c 'cat /m > /out'\n",
        )
        .files(&[("busybox", BUSYBOX), ("a", "a"), ("b", "b")]),
        // Symbolic links (BuildKit's copy and context-transfer shapes).
        case("a copied link", "FROM scratch\nCOPY foo /f\n")
            .files(&[("bar", "bar"), ("baz", "baz")])
            .links(&[("foo", "bar")]),
        case("a link to a folder", "FROM scratch\nCOPY current/ /app/\n")
            .files(&[("releases/v1/a", "1"), ("releases/v2/a", "2")])
            .links(&[("current", "releases/v2")]),
        case("a chain of links", "FROM scratch\nCOPY l1 /x\n")
            .files(&[("baz", "baz"), ("other", "o")])
            .links(&[("l1", "second"), ("second", "baz")]),
        case("a link in the middle", "FROM scratch\nCOPY link/foo /f\n")
            .files(&[("sub/foo", "f"), ("sub/other", "o")])
            .links(&[("link", "sub")]),
        case("an absolute link", "FROM scratch\nCOPY abs /x\n")
            .files(&[("etc/conf", "c"), ("conf", "top")])
            .links(&[("abs", "/etc/conf")]),
        case("a link climbing out", "FROM scratch\nCOPY up /x\n")
            .files(&[("etc/conf", "c")])
            .links(&[("up", "../../etc/conf")]),
        case("links inside a copied folder", "FROM scratch\nCOPY d /d\n")
            .files(&[("d/x", "x"), ("t", "t")])
            .links(&[("d/l", "../t")]),
        case("a glob matching a link", "FROM scratch\nCOPY l* /d/\n")
            .files(&[("bar", "bar"), ("other", "o")])
            .links(&[("lfoo", "bar")]),
        case("a link beside ignored files", "FROM scratch\nCOPY foo /f\n")
            .ignore("baz\n")
            .files(&[("bar", "bar"), ("baz", "baz")])
            .links(&[("foo", "bar")]),
        case("a link in a copied context", "FROM scratch\nCOPY . /\n")
            .files(&[("bar", "bar")])
            .links(&[("foo", "bar")]),
    ]
}

/// A podman storage for the builds of one thread, in a temporary directory.
struct Podman {
    dir: TempDir,
}

impl Podman {
    fn new() -> Podman {
        let version = Command::new("podman").arg("--version").output();
        assert!(
            version.is_ok_and(|o| o.status.success()),
            "the image routing table builds with podman: apt-get install podman busybox-static"
        );
        assert!(
            Path::new(BUSYBOX_PATH).exists(),
            "the image routing table gives RUN a shell from busybox: apt-get install busybox-static"
        );
        let dir = TempDir::new().expect("temp dir");
        let conf = format!(
            "[storage]\ndriver = \"overlay\"\nrunroot = \"{}\"\ngraphroot = \"{}\"\n",
            dir.path().join("run").display(),
            dir.path().join("root").display()
        );
        std::fs::write(dir.path().join("storage.conf"), conf).expect("write storage.conf");
        std::fs::write(dir.path().join("registries.conf"), "").expect("write registries.conf");
        std::fs::create_dir_all(dir.path().join("xdg")).expect("mkdir xdg");
        Podman { dir }
    }

    fn command(&self) -> Command {
        let mut command = Command::new("podman");
        let path = |name: &str| self.dir.path().join(name);
        command
            .env("CONTAINERS_STORAGE_CONF", path("storage.conf"))
            .env("CONTAINERS_REGISTRIES_CONF", path("registries.conf"))
            .env("XDG_RUNTIME_DIR", path("xdg"));
        command
    }

    /// Builds `context` and returns the image's layers, or why the build failed.
    fn layers(&self, context: &Path, target: Option<&str>) -> Result<String, String> {
        let status = Command::new("find")
            .arg(context)
            .args(["-exec", "touch", "-h", "-d", "@0", "{}", "+"])
            .status()
            .expect("run find");
        assert!(status.success(), "touch -h -d @0 in {}", context.display());
        let iid = context.with_extension("iid");
        let mut build = self.command();
        build.args([
            "build",
            "--isolation",
            "chroot",
            "--timestamp",
            "0",
            "--layers=false",
            "--pull=never",
            "-q",
            "--iidfile",
        ]);
        build.arg(&iid);
        if let Some(target) = target {
            build.args(["--target", target]);
        }
        build.arg("-f").arg(context.join("Dockerfile")).arg(context);
        let out = build.output().expect("run podman build");
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        let id = std::fs::read_to_string(&iid).expect("read the image id");
        let out = self
            .command()
            .args(["image", "inspect", "--format", "{{json .RootFS.Layers}}"])
            .arg(id.trim())
            .output()
            .expect("run podman image inspect");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }
}

/// One change to one entry of a context.
#[derive(Debug, Clone)]
struct Mutation {
    path: String,
    is_link: bool,
}

/// Every file and link of a case's context but busybox (which gives `RUN` its shell), the
/// Dockerfile and the ignore files: those route the service by design, whatever they hold.
fn mutations(case: &Case) -> Vec<Mutation> {
    let mut out: Vec<Mutation> = case
        .files
        .iter()
        .filter(|(path, contents)| *contents != BUSYBOX && !path.ends_with(".dockerignore"))
        .map(|(path, _)| Mutation {
            path: (*path).into(),
            is_link: false,
        })
        .collect();
    out.extend(case.links.iter().map(|(path, _)| Mutation {
        path: (*path).into(),
        is_link: true,
    }));
    out
}

/// Writes the case's context into `dir`, then applies `mutation`.
fn write_context(case: &Case, dir: &Path, mutation: Option<&Mutation>) {
    let write = |path: &str, contents: &[u8]| {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir -p");
        std::fs::write(&full, contents).expect("write");
    };
    write("Dockerfile", case.dockerfile.as_bytes());
    if let Some(ignore) = case.ignore {
        write(".dockerignore", ignore.as_bytes());
    }
    for (path, contents) in case.files {
        if *contents == BUSYBOX {
            use std::os::unix::fs::PermissionsExt;
            write(path, &std::fs::read(BUSYBOX_PATH).expect("read busybox"));
            let executable = std::fs::Permissions::from_mode(0o755);
            std::fs::set_permissions(dir.join(path), executable).expect("chmod busybox");
        } else {
            write(path, contents.as_bytes());
        }
    }
    for (path, target) in case.links {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir -p");
        std::os::unix::fs::symlink(target, &full).expect("symlink");
    }
    if let Some(mutation) = mutation {
        mutate(dir, mutation);
    }
}

/// Changes a file's contents, or points a link at a name beside its target that does not
/// exist: a build that follows the link then fails, one that copies it as a link copies new
/// text, and one that never reads it builds the same image.
fn mutate(dir: &Path, mutation: &Mutation) {
    let full = dir.join(&mutation.path);
    if mutation.is_link {
        let target = std::fs::read_link(&full).expect("read link");
        let retargeted = format!("{}.alt", target.to_string_lossy());
        std::fs::remove_file(&full).expect("remove link");
        std::os::unix::fs::symlink(retargeted, &full).expect("symlink");
    } else {
        let mut contents = std::fs::read(&full).expect("read");
        contents.extend_from_slice(b"\n# changed\n");
        std::fs::write(&full, contents).expect("write");
    }
}

/// The service's routing in a real repository for each mutation of a case: whether it changed.
fn routing(case: &Case, mutations: &[Mutation]) -> Vec<bool> {
    let repo = Repo::new();
    let target = case
        .target
        .map_or(String::new(), |t| format!(", target: {t}"));
    repo.write(
        ".quest-changes.yml",
        &format!(
            "version: 1\ntargets:\n  service:\n    kind: ecs-service\n    build: {{context: app{target}}}\n"
        ),
    );
    let app = repo.path.join("app");
    write_context(case, &app, None);
    let base = repo.commit("base");
    mutations
        .iter()
        .map(|mutation| {
            repo.git(&["checkout", "-q", "-f", "--detach", &base]);
            mutate(&app, mutation);
            repo.commit(&format!("change {}", mutation.path));
            let doc = repo.quest().args(["--base", &base]).json();
            changed(&doc) == ["service"]
        })
        .collect()
}

/// Runs `jobs` on two threads; `run` gets the thread's index (0 or 1) and the job's.
fn in_parallel<T: Send>(jobs: usize, run: impl Fn(usize, usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results: Mutex<BTreeMap<usize, T>> = Mutex::new(BTreeMap::new());
    let (next_ref, results_ref) = (&next, &results);
    let run = &run;
    std::thread::scope(|scope| {
        for worker in 0..2 {
            scope.spawn(move || loop {
                let job = next_ref.fetch_add(1, Ordering::SeqCst);
                if job >= jobs {
                    break;
                }
                let result = run(worker, job);
                results_ref.lock().expect("lock").insert(job, result);
            });
        }
    });
    results.into_inner().expect("lock").into_values().collect()
}

#[test]
fn every_file_a_real_build_reads_routes_the_service() {
    let started = Instant::now();
    // One storage per build thread, shared by all its builds: a build removes its
    // intermediate stage images when it ends, which may be the very image another build
    // sharing the storage is using at that moment.
    let podmen = [Podman::new(), Podman::new()];
    let cases = cases();
    assert!(cases.len() >= 40, "the table keeps at least 40 cases");
    let work = TempDir::new().expect("temp dir");

    // Every build: (case, None) is the base, (case, Some(i)) its i-th mutation.
    let all: Vec<Vec<Mutation>> = cases.iter().map(mutations).collect();
    let builds: Vec<(usize, Option<usize>)> = all
        .iter()
        .enumerate()
        .flat_map(|(c, m)| {
            std::iter::once((c, None)).chain((0..m.len()).map(move |i| (c, Some(i))))
        })
        .collect();
    let layers = in_parallel(builds.len(), |worker, job| {
        let podman = &podmen[worker];
        let (c, m) = builds[job];
        let dir: PathBuf = work.path().join(format!(
            "{c}-{}",
            m.map_or("base".into(), |m| m.to_string())
        ));
        write_context(&cases[c], &dir, m.map(|m| &all[c][m]));
        // A mutated context that does not build changed the build.
        podman.layers(&dir, cases[c].target)
    });
    let built = started.elapsed();
    let routed = in_parallel(cases.len(), |_, c| routing(&cases[c], &all[c]));

    let mut failures = Vec::new();
    let mut checked = 0;
    let mut over = Vec::new();
    let mut divergences = Vec::new();
    let mut failed_builds = Vec::new();
    let mut job = 0;
    for (c, case) in cases.iter().enumerate() {
        let base = match &layers[job] {
            Ok(base) => base.clone(),
            Err(e) => panic!("case `{}`: the base build failed: {e}", case.name),
        };
        job += 1;
        for (m, mutation) in all[c].iter().enumerate() {
            if layers[job].is_err() {
                failed_builds.push(format!("{}: {}", case.name, mutation.path));
            }
            let podman_truth = layers[job].as_ref().map_or(true, |l| *l != base);
            job += 1;
            let truth = match case.docker.iter().find(|(p, _, _)| *p == mutation.path) {
                Some((_, docker, why)) => {
                    if *docker != podman_truth {
                        divergences.push(format!(
                            "{}: {}: podman {}, Docker {} ({why})",
                            case.name,
                            mutation.path,
                            if podman_truth { "reads it" } else { "does not" },
                            if *docker { "reads it" } else { "does not" },
                        ));
                    }
                    *docker
                }
                None => podman_truth,
            };
            checked += 1;
            let routes = routed[c][m];
            if truth && !routes {
                failures.push(format!(
                    "{}: {} changes the image but routes nothing",
                    case.name, mutation.path
                ));
            }
            if routes && !truth {
                over.push(format!("{}: {}", case.name, mutation.path));
            }
        }
    }
    println!(
        "image routing table: {} cases, {checked} files checked, {} false \"unchanged\", {} routed files the image never saw; builds {:.1} s, all {:.1} s",
        cases.len(),
        failures.len(),
        over.len(),
        built.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    for line in &over {
        println!("  over-routed: {line}");
    }
    for line in &failed_builds {
        println!("  the changed context no longer builds (counted as a change): {line}");
    }
    for line in &divergences {
        println!("  podman differs from Docker: {line}");
    }
    assert!(
        failures.is_empty(),
        "false \"unchanged\":\n{}",
        failures.join("\n")
    );
}
