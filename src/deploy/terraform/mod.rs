//! The infrastructure deployment of a `terraform` target (issue #6): state bootstrap, init,
//! plan, summary, apply of the saved plan, the marker of the last apply, and outputs.
//!
//! This file holds the engine ([`Engine`]: the steps, which `--dry-run` prints and the
//! deployment runs in their order, the deployed commit, the comment's part), the `outputs`
//! command (sensitive values redacted) and the `bootstrap` report; each step lives in its own
//! file:
//! `terraform_cli` (the command line), `fingerprint` (the saved plan), `branch` (may this run
//! apply), `lock` (who holds the state), `marker` (the last apply), `bootstrap` (the state
//! bucket) and `s3` (every S3 call, behind a narrow client).

pub(crate) mod bootstrap;
pub(crate) mod branch;
pub(crate) mod fingerprint;
pub(crate) mod lock;
pub mod marker;
mod s3;
pub(crate) mod terraform_cli;

use std::path::{Path, PathBuf};

use git2::Oid;

use crate::aws::Aws;
use crate::config::{Config, Target, TargetKind, TargetSettings};
use crate::config::{StateFile, TerraformDeploy};
use crate::deploy::context::Context;
use crate::deploy::engine::{DeployedCommit, DeploymentState, Options};
use crate::deploy::plan_summary::PlanSummary;
use crate::deploy::progress::Progress;
use crate::detect::plan::Step;
use crate::error::{Error, Result};
use crate::output::comment::Detail;

use fingerprint::SavedPlan;
use terraform_cli::{EnvironmentRun, Failure, Planned, RoleCredentials, Terraform};

/// The `terraform` engine.
#[derive(Debug)]
pub struct Engine;

impl crate::deploy::engine::Engine for Engine {
    fn steps(&self, name: &str, target: &Target, _head: Oid) -> Vec<Step> {
        match &target.settings {
            TargetSettings::Terraform { root, .. } => steps(name, root),
            _ => Vec::new(),
        }
    }

    fn writes_nothing(&self, options: &Options) -> bool {
        options.plan_only
    }

    fn pipeline_jobs(&self) -> &'static str {
        "plan_infra, then apply_infra"
    }

    fn deploy(&self, ctx: &Context<'_>, options: &Options) -> Result<()> {
        deploy(ctx, options)
    }

    fn deployed_commit(&self, ctx: &Context<'_>) -> Result<DeployedCommit> {
        let TargetSettings::Terraform { deploy, .. } = &ctx.target.settings else {
            return Ok(DeployedCommit::NotConfigured);
        };
        if deploy.state.is_none() {
            return Ok(DeployedCommit::NotConfigured);
        }
        Ok(match deployed_commit(ctx)? {
            Some(sha) => DeployedCommit::Commit {
                sha,
                reason: "the commit of the root's last apply",
            },
            None => DeployedCommit::Nothing,
        })
    }

    /// The time its marker records for the last apply; a root has no rollout.
    fn deployment_state(&self, ctx: &Context<'_>) -> Result<DeploymentState> {
        let TargetSettings::Terraform { deploy, .. } = &ctx.target.settings else {
            return Ok(DeploymentState::default());
        };
        if deploy.state.is_none() {
            return Ok(DeploymentState::default());
        }
        Ok(DeploymentState {
            rollout: None,
            deployed_at: last_apply(ctx)?.map(|m| m.time),
        })
    }

    /// Each environment's plan is saved in its own folder of the plan directory.
    fn comments_per_environment(&self) -> bool {
        true
    }

    /// The saved plan summary when one was made for this commit (a summary of another commit
    /// is never shown as this one's), else why there is none.
    fn comment_detail(
        &self,
        name: &str,
        _target: &Target,
        head: Oid,
        plan_dir: Option<&Path>,
    ) -> Result<Option<Detail>> {
        let head = head.to_string();
        let saved = match plan_dir {
            Some(dir) => crate::deploy::plan_summary::SavedSummary::load(dir, name)?,
            None => None,
        };
        Ok(Some(match saved {
            Some(saved) if saved.commit == head => Detail::Plan {
                target: name.to_owned(),
                summary: saved.summary,
            },
            Some(saved) => Detail::NoPlan {
                target: name.to_owned(),
                why: format!(
                    "the saved plan is of commit {}, not of this head; it is not shown",
                    crate::text::short_sha(&saved.commit)
                ),
            },
            None => Detail::NoPlan {
                target: name.to_owned(),
                why: "no plan was saved for this commit (run `deploy --plan-only` with the same plan directory first)".into(),
            },
        }))
    }
}

/// The file name of target `name`'s saved plan, inside the plan directory.
pub fn plan_file_name(name: &str) -> String {
    format!("quest-{name}.tfplan")
}

/// The steps of terraform target `name` with root `root`: what `--dry-run` prints and
/// `deploy` runs.
pub fn steps(name: &str, root: &str) -> Vec<Step> {
    let plan_file = plan_file_name(name);
    vec![
        Step::TerraformInit {
            root: root.to_owned(),
        },
        Step::TerraformPlan {
            root: root.to_owned(),
            plan_file: plan_file.clone(),
        },
        Step::TerraformApply {
            root: root.to_owned(),
            plan_file,
        },
    ]
}

/// What one terraform target deploys from.
struct Root<'a> {
    deploy: &'a TerraformDeploy,
    /// As configured, relative to the repository.
    root: &'a str,
    state: &'a StateFile,
    terraform: Terraform,
}

fn root<'a>(ctx: &Context<'a>) -> Result<Root<'a>> {
    let TargetSettings::Terraform { root, deploy, .. } = &ctx.target.settings else {
        return Err(Error::Deploy {
            target: ctx.target_name.to_owned(),
            message: "only terraform targets have an infrastructure deployment".into(),
        });
    };
    let state = deploy.state.as_ref().ok_or_else(|| Error::MissingSection {
        target: ctx.target_name.to_owned(),
        key: "state",
        consequence: "it cannot init its backend (write `state: {bucket, key, region}`)",
    })?;
    let base = ctx.workdir.unwrap_or(Path::new("."));
    Ok(Root {
        deploy,
        root,
        state,
        terraform: Terraform {
            binary: deploy.binary.clone(),
            root: base.join(root),
            target: ctx.target_name.to_owned(),
            verbose: ctx.verbose,
            environment: ctx.config.environment.as_ref().map(|e| EnvironmentRun {
                name: e.name.clone(),
                region: e.region.clone(),
                credentials: None,
            }),
        },
    })
}

/// The plan directory: `--plan-dir` (absolute from the current directory), else
/// `<root>/.terraform/quest-changes`; under an environment, its folder of the environment's
/// name, so that a plan made for one environment is never applied to another.
fn plan_dir(options: &Options, terraform: &Terraform) -> PathBuf {
    let dir = match &options.plan_dir {
        Some(dir) if dir.is_absolute() => dir.clone(),
        Some(dir) => std::env::current_dir()
            .map(|cwd| cwd.join(dir))
            .unwrap_or_else(|_| dir.clone()),
        None => terraform.root.join(".terraform").join("quest-changes"),
    };
    match &terraform.environment {
        Some(environment) => dir.join(&environment.name),
        None => dir,
    }
}

/// Under an environment whose credentials are a `role_arn`, Terraform runs as that role: `aws`
/// has assumed it, and its temporary credentials go into Terraform's environment.
async fn give_role(ctx: &Context<'_>, root: &mut Root<'_>, aws: &Aws) -> Result<()> {
    let assumes = ctx
        .config
        .environment
        .as_ref()
        .is_some_and(|e| e.role_arn().is_some());
    let Some(environment) = root.terraform.environment.as_mut().filter(|_| assumes) else {
        return Ok(());
    };
    let credentials = aws.credentials().await?;
    environment.credentials = Some(RoleCredentials {
        access_key_id: credentials.access_key_id().to_owned(),
        secret_access_key: credentials.secret_access_key().to_owned(),
        session_token: credentials.session_token().map(str::to_owned),
    });
    Ok(())
}

/// `deploy <target>` for a `terraform` target.
pub fn deploy(ctx: &Context<'_>, options: &Options) -> Result<()> {
    let root = root(ctx)?;
    let name = ctx.target_name;
    let branch = crate::deploy::branch::current(options.branch.as_deref(), ctx.env, ctx.repo);
    let decision = branch::decide(
        options.plan_only,
        options.apply,
        branch.as_deref(),
        &root.deploy.apply_on,
    );
    let saved = SavedPlan::new(&plan_dir(options, &root.terraform), name);
    if ctx.dry_run {
        print_dry_run(ctx, &root, &saved, &decision);
        return Ok(());
    }
    ctx.require_workdir()?;
    root.terraform.check_version()?;
    if let Some(dir) = saved.plan.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io("create the plan directory", dir))?;
    }
    let runtime = crate::aws::runtime()?;
    let aws = runtime.block_on(ctx.aws(Some(&root.state.region)))?;
    let mut root = root;
    runtime.block_on(give_role(ctx, &mut root, &aws))?;
    let result = run(ctx, &root, &saved, &decision, options, &aws, &runtime);
    if ctx.verbose {
        ctx.progress().say(&format!("{} AWS calls", aws.calls()));
    }
    result
}

fn run(
    ctx: &Context<'_>,
    root: &Root<'_>,
    saved: &SavedPlan,
    decision: &branch::ApplyDecision,
    options: &Options,
    aws: &Aws,
    runtime: &tokio::runtime::Runtime,
) -> Result<()> {
    let name = ctx.target_name;
    let progress = ctx.progress();
    let head = ctx.head.to_string();
    let tf = &root.terraform;
    let failed = |step: &str, failure: Failure| -> Error {
        if failure.lock_held {
            return runtime.block_on(lock::held(aws, name, root.state));
        }
        Error::Tool {
            action: format!("run terraform {step} for {name} in `{}`", root.root),
            message: failure.reason,
        }
    };
    // The engine's own step list, walked in order: what `--dry-run` printed is what runs. A
    // plan that a plan job saved for this commit stands in for the plan step.
    let mut summary = None;
    for step in steps(name, root.root) {
        match step {
            Step::TerraformInit { .. } => tf.init(root.state)?.map_err(|f| failed("init", f))?,
            Step::TerraformPlan { .. } if decision.apply && saved.exists() => {
                // The plan job saved it; apply exactly that plan, if it is this commit's and
                // unaltered.
                saved.verify(&head).map_err(|message| Error::StalePlan {
                    target: name.to_owned(),
                    message,
                })?;
                progress.say(&format!(
                    "applying the plan saved for this commit ({})",
                    decision.reason
                ));
                let saved_summary = summarise(tf, &saved.plan)?;
                print_summary(ctx, &saved_summary);
                summary = Some(saved_summary);
            }
            Step::TerraformPlan { .. } => {
                let planned = tf
                    .plan(&saved.plan, &root.deploy.var_files)?
                    .map_err(|f| failed("plan", f))?;
                saved.seal(&head)?;
                let planned_summary = summarise(tf, &saved.plan)?;
                print_summary(ctx, &planned_summary);
                // For the pull request comment: the summary (addresses and actions, no value)
                // of this commit's plan, beside the plan.
                if let Some(dir) = saved.plan.parent() {
                    crate::deploy::plan_summary::SavedSummary {
                        target: name.to_owned(),
                        commit: head.clone(),
                        summary: planned_summary.clone(),
                    }
                    .save(dir)?;
                }
                if options.plan_only {
                    if options.detailed_exitcode && planned == Planned::Changes {
                        return Err(Error::PlanHasChanges {
                            target: name.to_owned(),
                        });
                    }
                    progress.say(&format!("stopping after the plan: {}", decision.reason));
                    return Ok(());
                }
                if !decision.apply {
                    progress.say(&format!("stopping after the plan: {}", decision.reason));
                    return Ok(());
                }
                if planned == Planned::NoChanges {
                    // Nothing to apply, and the root matches this commit: the marker says so,
                    // so `--since deployed` starts here next time.
                    let plan_hash = fingerprint::hash(&saved.plan)?;
                    let marker = marker::Marker::now(&head, &plan_hash, &planned_summary);
                    runtime.block_on(marker::write(aws, root.state, &marker))?;
                    saved.remove()?;
                    progress.say(&format!(
                        "the plan has no changes, so there is nothing to apply; recorded commit {head} in `{}`",
                        crate::text::one_line(&marker::key(root.state))
                    ));
                    return Ok(());
                }
                progress.say(&format!("applying the plan: {}", decision.reason));
                summary = Some(planned_summary);
            }
            Step::TerraformApply { .. } => {
                let Some(summary) = &summary else {
                    return Err(not_a_step(name, &step));
                };
                apply(ctx, root, saved, summary, aws, runtime, &failed)?;
            }
            other => return Err(not_a_step(name, &other)),
        }
    }
    Ok(())
}

/// A step the list put where this engine cannot run it: a defect of the list, said as such
/// rather than skipped.
fn not_a_step(name: &str, step: &Step) -> Error {
    Error::Deploy {
        target: name.to_owned(),
        message: format!(
            "the terraform engine cannot run the step `{}` here",
            step.describe()
        ),
    }
}

/// Applies the saved plan, then records the marker and removes the plan (it applies once).
fn apply(
    ctx: &Context<'_>,
    root: &Root<'_>,
    saved: &SavedPlan,
    summary: &PlanSummary,
    aws: &Aws,
    runtime: &tokio::runtime::Runtime,
    failed: &dyn Fn(&str, Failure) -> Error,
) -> Result<()> {
    let plan_hash = fingerprint::hash(&saved.plan)?;
    if let Err(failure) = root.terraform.apply(&saved.plan)? {
        // A plan that failed to apply is stale to Terraform too: the next run plans again. A
        // held lock changed nothing, so the reviewed plan stays for the retry.
        if !failure.lock_held {
            let _ = saved.remove();
        }
        return Err(failed("apply", failure));
    }
    let marker = marker::Marker::now(&ctx.head.to_string(), &plan_hash, summary);
    runtime.block_on(marker::write(aws, root.state, &marker))?;
    saved.remove()?;
    ctx.progress().say(&format!(
        "applied commit {}; recorded it in `{}`",
        &marker.commit,
        crate::text::one_line(&marker::key(root.state))
    ));
    Ok(())
}

fn summarise(tf: &Terraform, plan: &Path) -> Result<PlanSummary> {
    let json = tf.show_json(plan)?;
    PlanSummary::from_json(&json).map_err(|e| Error::Tool {
        action: format!("summarise the plan of {}", tf.target),
        message: e.0,
    })
}

/// The summary table, as what the run produces: no attribute value, ever.
fn print_summary(ctx: &Context<'_>, summary: &PlanSummary) {
    ctx.progress().output(summary.to_text().trim_end());
}

/// The steps `--dry-run` prints, with the command lines they run.
fn print_dry_run(
    ctx: &Context<'_>,
    root: &Root<'_>,
    saved: &SavedPlan,
    decision: &branch::ApplyDecision,
) {
    let tf = &root.terraform;
    let steps = steps(ctx.target_name, root.root);
    let commands = [
        tf.init_args(root.state),
        Terraform::plan_args(&saved.plan, &root.deploy.var_files),
        Terraform::apply_args(&saved.plan),
    ];
    let progress = ctx.progress();
    progress.output_line(&format!(
        "{} (terraform): {} steps",
        ctx.target_name,
        steps.len()
    ));
    for (i, (step, args)) in steps.iter().zip(commands).enumerate() {
        progress.output_line(&format!("  {}. {}", i + 1, step.describe()));
        progress.output_line(&format!("     $ {}", tf.call(args).display()));
    }
    let verdict = if decision.apply {
        "applies"
    } else {
        "stops after the plan"
    };
    progress.output_line(&format!("  the run {verdict}: {}", decision.reason));
}

/// `bootstrap`: create or check the state bucket of `target`, or of every terraform target with
/// a `state` section.
pub fn bootstrap(
    config: &Config,
    target: Option<&str>,
    fix: bool,
    dry_run: bool,
    verbose: bool,
) -> Result<()> {
    if let Some(name) = target {
        let found = config
            .targets
            .get(name)
            .ok_or_else(|| crate::deploy::context::unknown_target(config, name))?;
        if found.kind != TargetKind::Terraform {
            return Err(Error::Usage(format!(
                "bootstrap creates the state bucket of a terraform target, and `{name}` is {}",
                found.kind.as_str()
            )));
        }
    }
    let mut buckets: Vec<bootstrap::Bucket> = Vec::new();
    for (name, t) in &config.targets {
        if target.is_some_and(|only| only != name) || t.kind != TargetKind::Terraform {
            continue;
        }
        let TargetSettings::Terraform { deploy, .. } = &t.settings else {
            continue;
        };
        let Some(state) = &deploy.state else {
            if target.is_some() {
                return Err(Error::MissingSection {
                    target: name.clone(),
                    key: "state",
                    consequence:
                        "it has no bucket to bootstrap (write `state: {bucket, key, region}`)",
                });
            }
            continue;
        };
        match buckets
            .iter_mut()
            .find(|b| b.name == state.bucket && b.region == state.region)
        {
            Some(bucket) => bucket.targets.push(name.clone()),
            None => buckets.push(bootstrap::Bucket {
                name: state.bucket.clone(),
                region: state.region.clone(),
                targets: vec![name.clone()],
            }),
        }
    }
    if buckets.is_empty() {
        return Err(Error::Usage(
            "no terraform target has a `state` section, so there is no bucket to bootstrap".into(),
        ));
    }
    let runtime = crate::aws::runtime()?;
    let mut weaker = Vec::new();
    for bucket in &buckets {
        let aws = runtime.block_on(Aws::load(Some(&bucket.region)));
        let label = format!("bootstrap `{}`", crate::text::one_line(&bucket.name));
        let progress = Progress::console(&label);
        let outcome = runtime.block_on(bootstrap::ensure(&aws, bucket, fix, dry_run, &progress));
        if verbose {
            progress.say(&format!("{} AWS calls", aws.calls()));
        }
        let outcome = outcome?;
        print_bootstrap(&progress, bucket, &outcome, dry_run);
        let bad = outcome.weaker();
        if !bad.is_empty() {
            weaker.push((bucket, bad));
        }
    }
    if let Some((bucket, settings)) = weaker.first() {
        let labels: Vec<&str> = settings.iter().map(|s| s.label()).collect();
        return Err(Error::Deploy {
            target: bucket.targets.join(", "),
            message: format!(
                "the state bucket `{}` has weaker settings than bootstrap makes ({}); run `quest-changes bootstrap --fix` to fix them",
                crate::text::one_line(&bucket.name),
                labels.join(", ")
            ),
        });
    }
    Ok(())
}

fn print_bootstrap(
    progress: &Progress<'_>,
    bucket: &bootstrap::Bucket,
    outcome: &bootstrap::Outcome,
    dry_run: bool,
) {
    use bootstrap::Status;
    let name = crate::text::one_line(&bucket.name);
    progress.output_line(&format!(
        "state bucket `{name}` ({}, for {}):",
        bucket.region,
        bucket.targets.join(", ")
    ));
    for (setting, status) in &outcome.settings {
        progress.output_line(&format!("  {:<24} {}", setting.label(), status.as_str()));
    }
    let count = |wanted: Status| {
        outcome
            .settings
            .iter()
            .filter(|(_, s)| *s == wanted)
            .count()
    };
    let verdict = if dry_run {
        if count(Status::WouldSet) == 0 && count(Status::Weaker) == 0 {
            "dry run: nothing to change".to_owned()
        } else {
            "dry run: nothing was written".to_owned()
        }
    } else if outcome.created {
        "created the bucket with every setting".to_owned()
    } else if count(Status::Fixed) > 0 {
        format!("fixed {} setting(s)", count(Status::Fixed))
    } else if count(Status::Weaker) > 0 {
        format!(
            "{} setting(s) weaker, left as they are",
            count(Status::Weaker)
        )
    } else {
        "nothing to change".to_owned()
    };
    progress.output_line(&format!("  {verdict}"));
}

/// The `outputs` command: the outputs of a `terraform` target, as printed (redacted).
pub fn outputs_command(ctx: &Context<'_>) -> Result<String> {
    ctx.require_kind(TargetKind::Terraform, "outputs")?;
    Ok(redacted(&outputs(ctx)?))
}

/// `outputs <target>`: `terraform output -json` of the root, as JSON text.
pub fn outputs(ctx: &Context<'_>) -> Result<String> {
    let mut root = root(ctx)?;
    ctx.require_workdir()?;
    root.terraform.check_version()?;
    let name = ctx.target_name;
    let runtime = crate::aws::runtime()?;
    let aws = runtime.block_on(ctx.aws(Some(&root.state.region)))?;
    runtime.block_on(give_role(ctx, &mut root, &aws))?;
    let init = root.terraform.init(root.state)?;
    if let Err(failure) = init {
        if failure.lock_held {
            return Err(runtime.block_on(lock::held(&aws, name, root.state)));
        }
        return Err(Error::Tool {
            action: format!("run terraform init for {name} in `{}`", root.root),
            message: failure.reason,
        });
    }
    let text = root.terraform.output_json()?;
    // Reformatted from the parsed document, so what is printed is JSON whatever Terraform adds.
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Tool {
        action: format!("read `terraform output -json` of {name}"),
        message: e.to_string(),
    })?;
    Ok(format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    ))
}

/// The outputs recorded in the root's state, read from the state object in S3 with one
/// `GetObject` and nothing written: no `init`, no `.terraform/` (what a dry run of a service
/// whose `ecs.from` names this root needs). `None` when there is no state yet.
pub fn state_outputs(
    ctx: &Context<'_>,
) -> Result<Option<serde_json::Map<String, serde_json::Value>>> {
    let root = root(ctx)?;
    let state = root.state;
    let runtime = crate::aws::runtime()?;
    let doc: Option<serde_json::Value> = runtime.block_on(async {
        let aws = ctx.aws(Some(&state.region)).await?;
        s3::S3::new(&aws)
            .read_json(
                &state.bucket,
                &state.key,
                "the Terraform state",
                "it is not a Terraform state",
            )
            .await
    })?;
    Ok(doc.map(|doc| match doc.get("outputs") {
        Some(serde_json::Value::Object(outputs)) => outputs.clone(),
        _ => serde_json::Map::new(),
    }))
}

/// The outputs as printed: each value Terraform marks `sensitive` replaced by
/// `"<sensitive>"`, so `quest-changes outputs` never puts a secret in a log. (`ecs.from` reads
/// the unredacted document through [`outputs`].)
pub fn redacted(text: &str) -> String {
    let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return text.to_owned();
    };
    if let Some(map) = doc.as_object_mut() {
        for output in map.values_mut() {
            if output["sensitive"] == serde_json::Value::Bool(true) {
                output["value"] = serde_json::Value::String("<sensitive>".into());
            }
        }
    }
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}

/// `--since deployed`: the commit of the root's last successful apply, from the marker object.
pub fn deployed_commit(ctx: &Context<'_>) -> Result<Option<String>> {
    Ok(last_apply(ctx)?.map(|m| m.commit))
}

/// The marker of the root's last apply, if any: read from the state bucket.
fn last_apply(ctx: &Context<'_>) -> Result<Option<marker::Marker>> {
    let root = root(ctx)?;
    let runtime = crate::aws::runtime()?;
    runtime.block_on(async {
        let aws = ctx.aws(Some(&root.state.region)).await?;
        marker::read(&aws, root.state).await
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn sensitive_outputs_are_never_printed() {
        let text = r#"{"db_password": {"sensitive": true, "type": "string", "value": "hunter2"}, "url": {"sensitive": false, "type": "string", "value": "https://x"}}"#;
        let printed = super::redacted(text);
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("\"<sensitive>\""), "{printed}");
        assert!(printed.contains("https://x"), "{printed}");
    }
}
