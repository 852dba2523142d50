//! The commands that act on targets through their engines: `deploy` (any kind, through
//! `deploy::run`), and the commands of one kind each, which go straight to that engine's module
//! (it checks the kind): `rollback` and `promote` (ecs), `outputs` and `bootstrap` (terraform; `bootstrap`
//! takes the configuration, as it may check every terraform target's bucket). What a kind does
//! is its engine's.

use crate::cli::{DeploySettings, Settings};
use crate::config::Config;
use crate::deploy;
use crate::detect::range::Environment;
use crate::error::{Error, Result};

use super::{context, detect_range, emit, head_commit, load_config};

/// `deploy <target>`: detection first, then the deployment (`deploy::run`).
pub(super) fn run(settings: &Settings, deploy: &DeploySettings, env: &Environment) -> Result<()> {
    if settings.uncommitted {
        return Err(Error::Usage(
            "deploy deploys a commit, so it cannot take --uncommitted".into(),
        ));
    }
    let repo = crate::git::open(&settings.repo)?;
    // Before detection, which under --since deployed already reads where the target runs.
    require_environment(&load_config(settings, &repo)?, "deploy")?;
    let (config, report) = detect_range(settings, env)?;
    let ctx = context(
        settings,
        env,
        &repo,
        &config,
        &deploy.target,
        report.range.head,
    )?;
    let options = deploy::engine::Options {
        plan_only: deploy.plan_only,
        apply: deploy.apply,
        plan_dir: deploy.plan_dir.clone(),
        detailed_exitcode: deploy.detailed_exitcode,
        branch: deploy.branch.clone(),
    };
    deploy::run::deploy(&ctx, &report, &options, deploy.force)
}

/// `rollback <target>`: the previous task definition revision, through the ECS engine.
pub(super) fn rollback(settings: &Settings, env: &Environment, target: &str) -> Result<()> {
    let repo = crate::git::open(&settings.repo)?;
    let config = load_config(settings, &repo)?;
    require_environment(&config, "rollback")?;
    let head = head_commit(&repo, settings.head.as_deref())?;
    let ctx = context(settings, env, &repo, &config, target, head)?;
    deploy::ecs::rollback_command(&ctx)
}

/// `promote <target> --from A --to B`: the image A runs for the head commit, rolled out to B
/// through the ECS engine. The configuration is read once and resolved for each environment.
pub(super) fn promote(
    settings: &Settings,
    env: &Environment,
    target: &str,
    from: &str,
    to: &str,
) -> Result<()> {
    let repo = crate::git::open(&settings.repo)?;
    let config = load_config(settings, &repo)?;
    let declared: Vec<&str> = config.environments.keys().map(String::as_str).collect();
    if declared.is_empty() {
        return Err(Error::Usage(
            "promote moves an image between environments, and the configuration declares no `environments`".into(),
        ));
    }
    for (flag, name) in [("--from", from), ("--to", to)] {
        if !config.environments.contains_key(name) {
            return Err(Error::Usage(format!(
                "{flag}: no environment is named `{}` (the configuration declares: {})",
                crate::text::one_line(name),
                declared.join(", ")
            )));
        }
    }
    // The source is read, in the destination's job: with its read role when it has one.
    let mut source = config.for_environment(from)?;
    if let Some(environment) = source.environment.as_mut() {
        *environment = environment.for_reading();
    }
    let destination = config.for_environment(to)?;
    let head = head_commit(&repo, settings.head.as_deref())?;
    let from_ctx = context(settings, env, &repo, &source, target, head)?;
    let to_ctx = context(settings, env, &repo, &destination, target, head)?;
    deploy::ecs::promote_command(&from_ctx, &to_ctx)
}

/// `bootstrap [target]`: the state bucket a terraform target's backend needs.
pub(super) fn bootstrap(settings: &Settings, target: Option<&str>, fix: bool) -> Result<()> {
    let repo = crate::git::open(&settings.repo)?;
    let config = load_config(settings, &repo)?;
    deploy::terraform::bootstrap(&config, target, fix, settings.dry_run, settings.verbose)
}

/// `outputs <target>`: a terraform target's outputs, read from its state.
pub(super) fn outputs(settings: &Settings, env: &Environment, target: &str) -> Result<()> {
    let repo = crate::git::open(&settings.repo)?;
    let config = load_config(settings, &repo)?;
    require_environment(&config, "outputs")?;
    let head = head_commit(&repo, settings.head.as_deref())?;
    let ctx = context(settings, env, &repo, &config, target, head)?;
    emit(settings, &deploy::terraform::outputs_command(&ctx)?)
}

/// Once environments are declared, a command that acts on one needs `--env`: a target's own
/// keys alone no longer say where it runs.
fn require_environment(config: &Config, command: &str) -> Result<()> {
    if config.environment.is_some() {
        return Ok(());
    }
    if config.environments.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = config.environments.keys().map(String::as_str).collect();
    Err(Error::Usage(format!(
        "{command} needs --env (or QUEST_ENV) once the configuration declares environments ({})",
        names.join(", ")
    )))
}
