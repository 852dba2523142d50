//! The same core through the library: range -> diff -> route -> plan, on a real repository.

use std::collections::BTreeMap;

use quest_changes::config::Config;
use quest_changes::detect::plan::{self, Step};
use quest_changes::detect::range::{Request, Source};
use quest_changes::detect::report;

use crate::support::{layout, PATTERN_TARGETS};

fn request(base: Option<String>, env: &[(&str, &str)]) -> Request {
    Request {
        base,
        head: None,
        default_branch: "main".into(),
        max_fetch_depth: 1000,
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>(),
    }
}

#[test]
fn detect_and_plan_through_the_library() {
    let repo = layout();
    let before = repo.head();
    repo.write("app/server.js", "v2\n").commit("app");
    let git = git2::Repository::open(&repo.path).unwrap();
    let config = Config::parse(PATTERN_TARGETS, std::path::Path::new("patterns.yml")).unwrap();
    let report = report::detect(
        &git,
        &config,
        &request(Some(before.clone()), &[]),
        false,
        &mut Vec::new(),
    )
    .unwrap();
    assert_eq!(report.range.source, Source::Explicit);
    assert_eq!(report.range.base.map(|b| b.to_string()), Some(before));
    assert_eq!(report.changed_targets(), ["service"]);
    let steps = plan::plan(&config, &report.routing, report.range.head);
    assert_eq!(steps.len(), 1);
    assert_eq!(
        steps[0].steps[0],
        Step::BuildImage {
            context: "app".into(),
            dockerfile: "app/Dockerfile".into(),
            tag: repo.head(),
        }
    );
    assert_eq!(steps[0].steps.last(), Some(&Step::WaitForRollout));
}

#[test]
fn uncertain_ranges_mark_every_target_through_the_library() {
    let repo = layout();
    repo.write("docs/x.md", "x\n").commit("docs");
    let git = git2::Repository::open(&repo.path).unwrap();
    let config = Config::parse(PATTERN_TARGETS, std::path::Path::new("patterns.yml")).unwrap();
    let env = [("CIRCLECI", "true"), ("CIRCLE_BRANCH", "main")];
    let report =
        report::detect(&git, &config, &request(None, &env), false, &mut Vec::new()).unwrap();
    assert!(report.range.uncertain);
    assert_eq!(report.range.source, Source::Circleci);
    assert_eq!(report.changed_targets(), ["service", "infra"]);
    assert!(report.changes.is_empty());
}

#[test]
fn routing_works_in_a_bare_clone() {
    let repo = layout();
    let before = repo.head();
    repo.write("terraform/x.tf", "#\n").commit("infra");
    let bare = repo.sibling("bare.git");
    crate::support::git_in(
        repo.path.parent().unwrap(),
        &["clone", "-q", "--bare", "repo", bare.to_str().unwrap()],
    );
    let doc = crate::support::Quest::new()
        .cwd(&bare)
        .args(["--base", &before])
        .json();
    assert_eq!(crate::support::changed(&doc), ["infra"]);
}
