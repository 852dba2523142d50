//! Step 5 of the service deployment (the engine's `ScanGate`): the scan gate on exactly the
//! pushed digest.
//!
//! Waits for ECR's scan of the digest until `scan.timeout`: basic scanning (a scan is started
//! when none exists, as when scan on push is off; `LimitExceededException` means one ran
//! recently, so it waits for that one) or enhanced scanning (Inspector, status `ACTIVE`). The
//! findings are judged by `findings` (allow list, `fail_on`); the verdict is printed as a table
//! on stderr, and a blocked image stops the deployment with [`Error::ScanBlocked`] before
//! anything on ECS changes. A scan that cannot give findings (`FAILED`, `UNSUPPORTED_IMAGE`, a
//! timeout) blocks too, unless `fail_on` is `NONE`.

use std::time::{Duration, Instant};

use crate::aws::Aws;
use crate::config::{ScanSettings, ServiceDeploy, Severity};
use crate::deploy::context::Context;
use crate::deploy::progress::Progress;
use crate::error::{Error, Result};

use super::ecr::{Ecr, ScanState, Scanner, Start};
use super::findings::{self, Verdict};
use super::Image;

/// The longest pause between two looks at the scan.
const MAX_POLL: Duration = Duration::from_secs(5);
const MIN_POLL: Duration = Duration::from_millis(200);

/// Waits for the scan of exactly `image.digest` and blocks at or above `scan.fail_on`.
pub async fn gate(
    ctx: &Context<'_>,
    aws: &Aws,
    deploy: &ServiceDeploy,
    image: &Image,
) -> Result<()> {
    let target = ctx.target_name;
    let scan = &deploy.scan;
    if ctx.dry_run {
        dry_run(ctx, aws, scan, image).await;
        return Ok(());
    }
    let ecr = Ecr::new(aws);
    let started_at = Instant::now();
    match wait(target, &ecr, scan, image).await? {
        Outcome::Findings { scanner, findings } => {
            let verdict =
                findings::judge(&findings, &scan.allow, scan.fail_on, &super::clock::today());
            for warning in &verdict.warnings {
                ctx.progress().warn(&warning.to_string());
            }
            print_verdict(ctx, image, scanner, started_at.elapsed(), &verdict);
            if verdict.blocked() {
                return Err(Error::ScanBlocked {
                    target: target.to_owned(),
                    image: image.pinned(),
                    summary: verdict.summary(),
                });
            }
            Ok(())
        }
        Outcome::NoFindings(reason) => {
            if scan.fail_on == Severity::None {
                ctx.progress()
                    .warn(&format!("{reason}; `scan.fail_on: NONE` lets it pass"));
                return Ok(());
            }
            Err(Error::ScanBlocked {
                target: target.to_owned(),
                image: image.pinned(),
                summary: reason,
            })
        }
    }
}

/// How the wait ended.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Findings {
        scanner: Scanner,
        findings: Vec<findings::Finding>,
    },
    /// No findings to judge, and why (one line).
    NoFindings(String),
}

/// The two scan calls the wait makes: ECR in a deployment, a scripted fake in the unit tests
/// (for the answers moto cannot give, like a refused `StartImageScan`).
pub(crate) trait Scans {
    async fn scan(&self, repository: &str, digest: &str) -> Result<ScanState>;
    async fn start_scan(&self, repository: &str, digest: &str) -> Result<Start>;
}

impl Scans for Ecr {
    async fn scan(&self, repository: &str, digest: &str) -> Result<ScanState> {
        Ecr::scan(self, repository, digest).await
    }

    async fn start_scan(&self, repository: &str, digest: &str) -> Result<Start> {
        Ecr::start_scan(self, repository, digest).await
    }
}

/// Polls the scan of the digest until it has findings, cannot have any, or `scan.timeout`
/// passes; starts a scan once when there is none.
async fn wait(
    target: &str,
    ecr: &impl Scans,
    scan: &ScanSettings,
    image: &Image,
) -> Result<Outcome> {
    let deadline = Instant::now() + scan.timeout;
    let poll = (scan.timeout / 20).clamp(MIN_POLL, MAX_POLL);
    let mut started = false;
    let mut last_status = String::new();
    let progress = Progress::console(target);
    loop {
        match ecr.scan(&image.repository, &image.digest).await? {
            ScanState::Done { scanner, findings } => {
                return Ok(Outcome::Findings { scanner, findings })
            }
            ScanState::Failed {
                status,
                description,
            } => {
                return Ok(Outcome::NoFindings(format!(
                    "the scan ended {status} ({})",
                    if description.is_empty() {
                        "no description"
                    } else {
                        &description
                    }
                )))
            }
            ScanState::NotFound if !started => {
                started = true;
                match ecr.start_scan(&image.repository, &image.digest).await? {
                    Start::Started => {
                        progress.say(&format!("started a basic scan of {}", image.digest));
                        continue;
                    }
                    Start::LimitExceeded => progress.say(
                        "ECR refused a new scan (LimitExceededException: one ran recently); waiting for its findings"
                    ),
                    Start::NotTaken(message) => progress.say(&format!(
                        "ECR did not start a scan ({message}); waiting for the registry's own scan"
                    )),
                    Start::Unsupported(message) => {
                        return Ok(Outcome::NoFindings(format!(
                            "ECR cannot scan this image ({message})"
                        )))
                    }
                }
            }
            ScanState::NotFound => {}
            ScanState::Pending(status) => {
                if status != last_status {
                    progress.say(&format!("waiting for the scan ({status})"));
                    last_status = status;
                }
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(Outcome::NoFindings(format!(
                "the scan gave no findings within {}",
                seconds(scan.timeout)
            )));
        }
        tokio::time::sleep(poll.min(deadline - now)).await;
    }
}

fn print_verdict(
    ctx: &Context<'_>,
    image: &Image,
    scanner: Scanner,
    waited: Duration,
    verdict: &Verdict,
) {
    let kind = match scanner {
        Scanner::Basic => "basic",
        Scanner::Enhanced => "enhanced",
    };
    let progress = ctx.progress();
    progress.say(&format!(
        "scan of {} ({kind} scanning, {}):",
        image.pinned(),
        seconds(waited)
    ));
    progress.progress_text(&verdict.table());
    progress.say(&format!(
        "the scan gate {}",
        if verdict.blocked() {
            "blocked the image"
        } else {
            "passed"
        }
    ));
}

/// Prints step 5 with its values. The allow list's dates are checked now, so an expired entry
/// shows before any push; an image already in ECR has its scan read (never started) and judged.
async fn dry_run(ctx: &Context<'_>, aws: &Aws, scan: &ScanSettings, image: &Image) {
    let progress = ctx.progress();
    progress.output(&format!(
        "[dry run] 5. wait up to {} for the scan of {}, and block at {}{}",
        seconds(scan.timeout),
        image.pinned(),
        findings::fail_on_name(scan.fail_on),
        if scan.fail_on == Severity::None {
            " (nothing blocks)"
        } else {
            " or above"
        }
    ));
    let today = super::clock::today();
    for allow in &scan.allow {
        let id = crate::text::one_line(&allow.id);
        let state = if allow.expires.as_str() < today.as_str() {
            "expired: allows nothing"
        } else {
            "allowed"
        };
        progress.output(&format!(
            "[dry run]    allow {id} until {} ({state}): {}",
            allow.expires,
            crate::text::one_line(&allow.reason)
        ));
    }
    if image.digest == super::image::UNRESOLVED_DIGEST || !image.digest.starts_with("sha256:") {
        return;
    }
    let say = |text: &str| progress.output(&format!("[dry run]    {text}"));
    match Ecr::new(aws).scan(&image.repository, &image.digest).await {
        Ok(ScanState::Done { scanner, findings }) => {
            let verdict = findings::judge(&findings, &scan.allow, scan.fail_on, &today);
            for warning in &verdict.warnings {
                progress.warn(&warning.to_string());
            }
            say(&format!(
                "its {} scan has findings now:",
                match scanner {
                    Scanner::Basic => "basic",
                    Scanner::Enhanced => "enhanced",
                }
            ));
            progress.output_text(&verdict.table());
            say(if verdict.blocked() {
                "the gate would block it"
            } else {
                "the gate would pass it"
            });
        }
        Ok(ScanState::NotFound) => say("it has no scan yet: one would be started"),
        Ok(ScanState::Pending(status)) => say(&format!("its scan is {status}")),
        Ok(ScanState::Failed { status, .. }) => say(&format!(
            "its scan ended {status}: the gate would block it unless fail_on is NONE"
        )),
        Err(e) => say(&format!("could not read its scan: {e}")),
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;

    use super::*;
    use crate::deploy::ecs::findings::{Finding, Level};

    /// Answers scripted in order; the last scan answer repeats.
    struct Scripted {
        scans: RefCell<VecDeque<ScanState>>,
        start: Start,
        starts: RefCell<usize>,
    }

    impl Scripted {
        fn new(start: Start, scans: Vec<ScanState>) -> Scripted {
            Scripted {
                scans: RefCell::new(scans.into()),
                start,
                starts: RefCell::new(0),
            }
        }
    }

    impl Scans for Scripted {
        async fn scan(&self, _: &str, _: &str) -> Result<ScanState> {
            let mut scans = self.scans.borrow_mut();
            Ok(if scans.len() > 1 {
                scans.pop_front().unwrap()
            } else {
                scans.front().unwrap().clone()
            })
        }

        async fn start_scan(&self, _: &str, _: &str) -> Result<Start> {
            *self.starts.borrow_mut() += 1;
            Ok(self.start.clone())
        }
    }

    fn run(fake: &Scripted, timeout: Duration) -> (Outcome, Duration) {
        let settings = ScanSettings {
            fail_on: Severity::High,
            timeout,
            allow: Vec::new(),
        };
        let image = Image {
            repository_uri: "r.example/app".into(),
            repository: "app".into(),
            digest: "sha256:1".into(),
            tag: "abc".into(),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let started = Instant::now();
        let outcome = runtime
            .block_on(wait("service", fake, &settings, &image))
            .unwrap();
        (outcome, started.elapsed())
    }

    fn done() -> ScanState {
        ScanState::Done {
            scanner: Scanner::Basic,
            findings: vec![Finding {
                id: "CVE-1".into(),
                level: Level::High,
            }],
        }
    }

    #[test]
    fn a_refused_start_waits_for_the_scan_already_there() {
        for start in [
            Start::LimitExceeded,
            Start::NotTaken("manual scans are off".into()),
        ] {
            let fake = Scripted::new(
                start,
                vec![
                    ScanState::NotFound,
                    ScanState::NotFound,
                    ScanState::Pending("IN_PROGRESS".into()),
                    done(),
                ],
            );
            let (outcome, _) = run(&fake, Duration::from_secs(2));
            assert!(matches!(outcome, Outcome::Findings { .. }), "{outcome:?}");
            assert_eq!(*fake.starts.borrow(), 1, "one start, however long it waits");
        }
    }

    #[test]
    fn a_started_scan_is_read_at_once() {
        let fake = Scripted::new(Start::Started, vec![ScanState::NotFound, done()]);
        let (outcome, elapsed) = run(&fake, Duration::from_secs(10));
        assert!(matches!(outcome, Outcome::Findings { .. }), "{outcome:?}");
        assert!(
            elapsed < MIN_POLL,
            "no pause between the start and the read"
        );
    }

    #[test]
    fn an_unscannable_image_has_no_findings() {
        let fake = Scripted::new(
            Start::Unsupported("UnsupportedImageTypeException: an index".into()),
            vec![ScanState::NotFound],
        );
        assert_eq!(
            run(&fake, Duration::from_secs(10)).0,
            Outcome::NoFindings(
                "ECR cannot scan this image (UnsupportedImageTypeException: an index)".into()
            )
        );
        let fake = Scripted::new(
            Start::Started,
            vec![ScanState::Failed {
                status: "FAILED".into(),
                description: String::new(),
            }],
        );
        assert_eq!(
            run(&fake, Duration::from_secs(10)).0,
            Outcome::NoFindings("the scan ended FAILED (no description)".into())
        );
    }

    #[test]
    fn a_scan_that_never_ends_times_out_on_time() {
        let fake = Scripted::new(
            Start::Started,
            vec![ScanState::Pending("IN_PROGRESS".into())],
        );
        let (outcome, elapsed) = run(&fake, Duration::from_millis(500));
        assert_eq!(
            outcome,
            Outcome::NoFindings("the scan gave no findings within 0.5 s".into())
        );
        assert!(
            elapsed >= Duration::from_millis(500) && elapsed < Duration::from_secs(2),
            "{elapsed:?}"
        );
    }
}
