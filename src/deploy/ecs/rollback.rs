//! Rolling a service back: the update to an earlier revision and the watch of it
//! ([`roll_back`]), and which revision the `rollback` command goes to ([`previous_revision`]).
//! A rollback never deregisters anything, and never rolls back a failed rollback.

use std::time::Duration;

use crate::error::Result;

use super::ecs_api::{family_revision, revision_number, Ecs};
use super::task_definition::{ROLLOUT_FAILED, ROLLOUT_TAG};
use super::watch::{watch, Ending, Printer, Watcher};

/// Updates the service to `to` and watches that deployment. `Ok(Ok(()))` when it completed,
/// `Ok(Err(why))` when it did not (failed, timed out, replaced), `Err` when an AWS call failed.
pub async fn roll_back(
    ecs: &Ecs<'_>,
    printer: &mut Printer,
    to: &str,
    poll: Duration,
    timeout: Duration,
) -> Result<std::result::Result<(), String>> {
    printer.line(&format!("rolling back to {}", family_revision(to)));
    let service = ecs.update_service(to).await?;
    let Some(deployment) = service.primary_of(to).map(|d| d.id.clone()) else {
        return Ok(Err(format!(
            "the update to {} started no deployment of it",
            family_revision(to)
        )));
    };
    let watcher = Watcher::new(&deployment, &service);
    Ok(match watch(ecs, printer, watcher, poll, timeout).await? {
        Ending::Completed => Ok(()),
        Ending::Failed { reason } | Ending::TimedOut { reason } => Err(reason),
        Ending::Replaced => Err(format!(
            "another update replaced the rollback deployment {deployment}"
        )),
    })
}

/// The revision `rollback` goes to: the highest ACTIVE revision of the running revision's
/// family below the running one that quest-changes did not tag as a failed rollout
/// ([`ROLLOUT_TAG`] = [`ROLLOUT_FAILED`], set when a rollout it watched failed). `None` when
/// there is none.
///
/// Why this rule: ECS keeps no history of which revisions once completed (a service lists only
/// its current deployments, and events name deployments, not revisions), so the revisions
/// themselves are the record. The rule is robust to the usual history (each deployment
/// registers one revision above the last) and to failed rollouts, which stay ACTIVE (nothing is
/// deregistered) but carry the tag. What it cannot know: a revision registered by someone else
/// (Terraform, the console) that never ran, or a deployment whose tag could not be written, is
/// taken as good; and a revision someone deregistered is skipped. Its cost is one
/// `ListTaskDefinitions` page per 100 revisions and one `DescribeTaskDefinition` per candidate.
pub async fn previous_revision(ecs: &Ecs<'_>, running: &str) -> Result<Option<String>> {
    let Some(current) = revision_number(running) else {
        return Ok(None);
    };
    let family = family_revision(running)
        .rsplit_once(':')
        .map_or(family_revision(running), |(family, _)| family);
    let mut candidates: Vec<(i32, String)> = ecs
        .active_revisions(family)
        .await?
        .into_iter()
        .filter(|arn| family_revision(arn).rsplit_once(':').map(|(f, _)| f) == Some(family))
        .filter_map(|arn| Some((revision_number(&arn)?, arn)))
        .filter(|(number, _)| *number < current)
        .collect();
    candidates.sort_by_key(|(number, _)| std::cmp::Reverse(*number));
    for (_, arn) in candidates {
        let (_, tags) = ecs.task_definition(&arn).await?;
        let failed = tags
            .iter()
            .any(|t| t.key() == Some(ROLLOUT_TAG) && t.value() == Some(ROLLOUT_FAILED));
        if !failed {
            return Ok(Some(arn));
        }
    }
    Ok(None)
}
