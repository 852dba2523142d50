//! Watching one deployment until it ends: [`Watcher::observe`] is the pure state machine (one
//! service snapshot in, the lines to print and the verdict out); [`watch`] polls it every `poll`
//! until the verdict is final or the timeout passes. Nothing here rolls back or writes.
//!
//! The verdict: `COMPLETED` with running == desired is success; `FAILED` (the circuit breaker)
//! is failure; a deployment that the service no longer lists as PRIMARY was replaced by someone
//! else's update, which is not ours to roll back. Services that report no rollout state succeed
//! when the deployment is the only one left and runs the desired count.
//!
//! Output goes through the progress sink (stderr): on a terminal one progress line rewritten in
//! place, elsewhere (CI logs) one line per change. New service events are printed as they
//! appear, oldest first.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::deploy::progress::Progress;
use crate::error::Result;

use super::ecs_api::{DeploymentView, Ecs, ServiceView};

/// How a watched deployment stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Still rolling out.
    Pending,
    /// `COMPLETED`, running == desired.
    Completed,
    /// `FAILED`; why, as ECS says it, and the circuit breaker's count.
    Failed { reason: String },
    /// The service no longer lists it as PRIMARY.
    Replaced,
}

/// How a watch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    Completed,
    Failed {
        reason: String,
    },
    /// The timeout passed; the deployment's last counts.
    TimedOut {
        reason: String,
    },
    Replaced,
}

/// The watcher's memory between polls.
#[derive(Debug)]
pub struct Watcher {
    deployment: String,
    seen_events: HashSet<String>,
    last: Option<String>,
}

impl Watcher {
    /// Watches `deployment`; the events already in `service` are not news.
    pub fn new(deployment: &str, service: &ServiceView) -> Watcher {
        Watcher {
            deployment: deployment.to_owned(),
            seen_events: service.events.iter().map(|e| e.id.clone()).collect(),
            last: None,
        }
    }

    /// One snapshot: the new events (oldest first), the status line when it changed, and the
    /// verdict.
    pub fn observe(&mut self, service: &ServiceView) -> (Vec<String>, Option<String>, Verdict) {
        let events = service
            .events
            .iter()
            .rev()
            .filter(|e| self.seen_events.insert(e.id.clone()))
            .map(|e| format!("event: {}", e.message))
            .collect();
        let Some(deployment) = service.deployment(&self.deployment) else {
            return (events, None, Verdict::Replaced);
        };
        let line = status_line(deployment);
        let changed = (self.last.as_ref() != Some(&line)).then(|| line.clone());
        self.last = Some(line);
        (events, changed, verdict(deployment, service))
    }

    /// The last status line, for a timeout's reason.
    pub fn last(&self) -> Option<&str> {
        self.last.as_deref()
    }
}

/// `deployment ecs-svc/1 IN_PROGRESS: running 1/2, pending 1`.
pub fn status_line(d: &DeploymentView) -> String {
    let mut line = format!(
        "deployment {} {}: running {}/{}, pending {}",
        d.id,
        d.rollout_state.as_deref().unwrap_or("(no rollout state)"),
        d.running,
        d.desired,
        d.pending
    );
    if d.failed > 0 {
        line.push_str(&format!(", failed {}", d.failed));
    }
    line
}

fn verdict(d: &DeploymentView, service: &ServiceView) -> Verdict {
    // FAILED first: with the circuit breaker's own rollback, ECS has already made another
    // deployment PRIMARY when it reports ours FAILED, and that is a failure, not a replacement.
    if d.rollout_state.as_deref() != Some("FAILED") && d.status != "PRIMARY" {
        return Verdict::Replaced;
    }
    match d.rollout_state.as_deref() {
        Some("COMPLETED") if d.running == d.desired => Verdict::Completed,
        Some("FAILED") => Verdict::Failed {
            reason: format!(
                "deployment {} failed: {} ({} tasks failed to start)",
                d.id,
                d.rollout_reason.as_deref().unwrap_or("no reason given"),
                d.failed
            ),
        },
        None if service.deployments.len() == 1 && d.running == d.desired => Verdict::Completed,
        _ => Verdict::Pending,
    }
}

/// Where the watch prints, through the engine's progress sink: a rewritten status line on a
/// terminal, a line per change elsewhere.
#[derive(Debug)]
pub struct Printer {
    target: String,
}

impl Printer {
    pub fn new(target: &str) -> Printer {
        Printer {
            target: target.to_owned(),
        }
    }

    fn progress(&self) -> Progress<'_> {
        Progress::console(&self.target)
    }

    /// A line that stays.
    pub fn line(&mut self, text: &str) {
        self.progress().say(text);
    }

    /// The status: rewritten in place on a terminal.
    pub fn status(&mut self, text: &str) {
        self.progress().status(text);
    }

    /// Ends an open progress line.
    pub fn finish(&mut self) {
        self.progress().status_end();
    }
}

/// Polls the service every `poll` until `deployment` ends or `timeout` passes. A
/// `DescribeServices` that fails is a warning and the next look goes on (the SDK has already
/// retried it); only the timeout ends a watch that cannot see.
pub async fn watch(
    ecs: &Ecs<'_>,
    printer: &mut Printer,
    mut watcher: Watcher,
    poll: Duration,
    timeout: Duration,
) -> Result<Ending> {
    let deadline = Instant::now() + timeout;
    // A fixed cadence (a look every `poll` from the start, not `poll` after each answer), so
    // the time the requests take does not add up: a change is seen at the next tick.
    let mut tick = Instant::now();
    let ending = loop {
        tick += poll;
        // A failed look is not a failed rollout: say so and look again, until the timeout.
        let service = match ecs.service().await {
            Ok(service) => Some(service),
            Err(e) => {
                printer.line(&format!("warning: {e}"));
                None
            }
        };
        let (events, status, verdict) = match &service {
            Some(service) => watcher.observe(service),
            None => (Vec::new(), None, Verdict::Pending),
        };
        for event in events {
            printer.line(&event);
        }
        if let Some(status) = status {
            printer.status(&status);
        }
        match verdict {
            Verdict::Completed => break Ending::Completed,
            Verdict::Failed { reason } => break Ending::Failed { reason },
            Verdict::Replaced => break Ending::Replaced,
            Verdict::Pending => {}
        }
        let now = Instant::now();
        if now >= deadline {
            break Ending::TimedOut {
                reason: format!(
                    "the deployment did not complete within {} ({})",
                    human(timeout),
                    watcher.last().unwrap_or("no status")
                ),
            };
        }
        tokio::time::sleep_until(tick.min(deadline).into()).await;
    };
    printer.finish();
    Ok(ending)
}

/// `15m`, `90s`, `1.5s`: a duration as the configuration writes it.
pub fn human(duration: Duration) -> String {
    let secs = duration.as_secs();
    if duration.subsec_millis() != 0 {
        format!("{:.1}s", duration.as_secs_f64())
    } else if secs >= 60 && secs % 60 == 0 {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::super::ecs_api::EventView;
    use super::*;

    fn deployment(id: &str, status: &str, state: &str, running: i32) -> DeploymentView {
        DeploymentView {
            id: id.into(),
            status: status.into(),
            task_definition: "quest:2".into(),
            rollout_state: Some(state.into()),
            rollout_reason: Some("circuit breaker".into()),
            running,
            pending: 2 - running,
            desired: 2,
            failed: if state == "FAILED" { 2 } else { 0 },
            updated_at: None,
        }
    }

    fn service(deployments: Vec<DeploymentView>, events: &[(&str, &str)]) -> ServiceView {
        ServiceView {
            task_definition: Some("quest:2".into()),
            deployments,
            events: events
                .iter()
                .map(|(id, message)| EventView {
                    id: (*id).into(),
                    message: (*message).into(),
                    created_at: None,
                })
                .collect(),
        }
    }

    #[test]
    fn a_rollout_is_watched_to_completion_with_new_events_once() {
        let start = service(
            vec![deployment("d2", "PRIMARY", "IN_PROGRESS", 0)],
            &[("e1", "old")],
        );
        let mut watcher = Watcher::new("d2", &start);
        let (events, status, verdict) = watcher.observe(&start);
        assert!(events.is_empty());
        assert_eq!(
            status.as_deref(),
            Some("deployment d2 IN_PROGRESS: running 0/2, pending 2")
        );
        assert_eq!(verdict, Verdict::Pending);
        let (_, status, _) = watcher.observe(&start);
        assert_eq!(status, None, "an unchanged status is not printed again");
        let done = service(
            vec![deployment("d2", "PRIMARY", "COMPLETED", 2)],
            &[("e3", "steady"), ("e2", "started"), ("e1", "old")],
        );
        let (events, _, verdict) = watcher.observe(&done);
        assert_eq!(events, vec!["event: started", "event: steady"]);
        assert_eq!(verdict, Verdict::Completed);
    }

    #[test]
    fn completed_needs_the_desired_count_and_failed_says_why() {
        let mut d = deployment("d2", "PRIMARY", "COMPLETED", 1);
        let s = service(vec![d.clone()], &[]);
        assert_eq!(Watcher::new("d2", &s).observe(&s).2, Verdict::Pending);
        d = deployment("d2", "PRIMARY", "FAILED", 0);
        let s = service(vec![d], &[]);
        assert_eq!(
            Watcher::new("d2", &s).observe(&s).2,
            Verdict::Failed {
                reason: "deployment d2 failed: circuit breaker (2 tasks failed to start)".into()
            }
        );
    }

    #[test]
    fn a_deployment_no_longer_primary_was_replaced() {
        let s = service(
            vec![
                deployment("d3", "PRIMARY", "IN_PROGRESS", 0),
                deployment("d2", "ACTIVE", "IN_PROGRESS", 0),
            ],
            &[],
        );
        assert_eq!(Watcher::new("d2", &s).observe(&s).2, Verdict::Replaced);
        assert_eq!(Watcher::new("d9", &s).observe(&s).2, Verdict::Replaced);
    }

    #[test]
    fn a_failed_deployment_that_ecs_rolls_back_itself_is_a_failure() {
        let s = service(
            vec![
                deployment("d3", "PRIMARY", "IN_PROGRESS", 0),
                deployment("d2", "ACTIVE", "FAILED", 0),
            ],
            &[],
        );
        assert!(matches!(
            Watcher::new("d2", &s).observe(&s).2,
            Verdict::Failed { .. }
        ));
    }

    #[test]
    fn durations_read_as_written() {
        assert_eq!(human(Duration::from_secs(900)), "15m");
        assert_eq!(human(Duration::from_secs(90)), "90s");
        assert_eq!(human(Duration::from_millis(1500)), "1.5s");
    }
}
