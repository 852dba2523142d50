//! Steps 1 to 4 of the service deployment (as docs/service-deployment.md numbers them; the
//! engine's `BuildImage` and `PushImage`): the image. Resolve the ECR repository's URI, log in,
//! and build and push the image tagged with the full head SHA (and the extra tags), unless an
//! image with that tag is already in the repository; then read the pushed digest back from ECR.
//!
//! With `image.registry` set, the image is tagged and pushed to `<registry>/<repository>`
//! instead of the ECR URI, and the login goes to that registry; tags, digests (and the scan
//! gate) are still looked up in ECR. Under `--dry-run` every step is printed with its values
//! and nothing is logged in to, built or pushed: only ECR reads are made, and a value they
//! cannot give is said to be unresolved.

use std::time::{Duration, Instant};

use crate::aws::Aws;
use crate::config::TargetSettings;
use crate::config::{ImageSettings, ServiceDeploy};
use crate::deploy::context::Context;
use crate::error::{Error, Result};
use crate::process::Invocation;

use super::container::{Build, ContainerCli};
use super::ecr::{Ecr, Retag};
use super::Image;

/// How long ECR may take to show a pushed tag: 20 looks, 250 ms apart.
const READ_BACK_TRIES: u32 = 20;
const READ_BACK_PAUSE: Duration = Duration::from_millis(250);

/// In a dry run, the digest of an image that would be built and pushed.
pub const UNRESOLVED_DIGEST: &str = "<digest known after the push>";

/// Resolves the repository, logs in, and builds and pushes the image tagged with the head
/// commit, unless an image with that tag is already there; returns the pushed digest.
pub async fn publish(
    ctx: &Context<'_>,
    aws: &Aws,
    deploy: &ServiceDeploy,
    repository: &str,
) -> Result<Image> {
    let plan = Plan::new(ctx, deploy, repository)?;
    if ctx.dry_run {
        return dry_run(ctx, aws, deploy, &plan).await;
    }
    let workdir = ctx.require_workdir()?;
    aws.require_region()?;
    let ecr = Ecr::new(aws);
    let progress = ctx.progress();

    // 1. The URI comes from ECR, never from the name.
    let uri = ecr.repository_uri(repository).await?;
    progress.say(&format!("ECR repository `{}` is {uri}", one(repository)));
    let destination = plan.destination(&uri);
    let registry = registry_host(&destination);
    let cli = ContainerCli::new(&deploy.cli, workdir);

    // 2. Log in; the password goes on stdin only, and only to ECR itself: the token opens the
    // account's ECR, so another registry (`image.registry`) never receives it; logging in
    // there is the runner's business.
    if registry == registry_host(&uri) {
        let login = ecr.login().await?;
        let call = cli.login(&login.username, registry);
        if ctx.verbose {
            progress.say(&format!("$ {}", call.display()));
        }
        let done = call.stdin(login.password.into_bytes()).run()?;
        if !done.success {
            return Err(tool_error(
                format!("log in to {registry} with {}", one(&deploy.cli)),
                &done.stderr,
            ));
        }
    } else {
        progress.say(&format!(
            "pushing to {}, which is not ECR: the ECR token is not sent there (log in to it before the deployment if it needs credentials)",
            one(registry)
        ));
    }

    // 3. Already there (a re-run, maybe on an immutable repository): nothing to build.
    if let Some(digest) = ecr.digest_of_tag(repository, &plan.tag).await? {
        progress.say(&format!(
            "{}:{} is already in ECR as {digest}; build and push skipped",
            one(repository),
            plan.tag
        ));
        move_extra_tags(ctx, &ecr, &plan, &digest).await?;
        return Ok(plan.image(uri, digest));
    }

    // 4. Build, push every tag, read the digest back from ECR.
    let references = plan.references(&destination);
    let labels = plan.labels(ctx)?;
    let build = cli.build(&plan.build(&labels, &references));
    let started = Instant::now();
    run_streamed(ctx, build, || "build the image".to_owned())?;
    let built = started.elapsed();
    for reference in &references {
        let push = cli.push(reference);
        run_streamed(ctx, push, || format!("push {reference}"))?;
    }
    let digest = read_back(&ecr, repository, &plan.tag).await?;
    progress.say(&format!(
        "pushed {}:{} as {digest} (build {:.1} s, push {:.1} s)",
        one(repository),
        plan.tag,
        built.as_secs_f64(),
        (started.elapsed() - built).as_secs_f64()
    ));
    Ok(plan.image(uri, digest))
}

/// On a re-run, points the extra tags at the image found by its SHA tag, in ECR itself (no
/// pull, no push). With `image.registry` set ECR only mirrors that registry, so the tags there
/// are left alone, with a warning.
async fn move_extra_tags(
    ctx: &Context<'_>,
    ecr: &Ecr,
    plan: &Plan<'_>,
    digest: &str,
) -> Result<()> {
    let progress = ctx.progress();
    for tag in &plan.settings.extra_tags {
        if ecr.digest_of_tag(plan.repository, tag).await?.as_deref() == Some(digest) {
            continue;
        }
        if let Some(registry) = &plan.settings.registry {
            progress.warn(&format!(
                "tag {tag} was not moved to {digest}: nothing is pushed on a re-run, and image.registry {} is where tags are pushed",
                one(registry)
            ));
            continue;
        }
        match ecr.retag(plan.repository, digest, tag).await? {
            Retag::Tagged => progress.say(&format!("tagged {digest} as {tag} in ECR")),
            Retag::Immutable => progress.warn(&format!(
                "tag {tag} is immutable and names another image, so it was left as it is"
            )),
        }
    }
    Ok(())
}

/// The values every step uses, computed once so the dry run prints what the real run does.
struct Plan<'a> {
    repository: &'a str,
    settings: &'a ImageSettings,
    context: &'a str,
    dockerfile: &'a str,
    build_args: &'a std::collections::BTreeMap<String, String>,
    /// `build.target`.
    target: Option<&'a str>,
    /// The full head SHA, the primary tag.
    tag: String,
}

impl<'a> Plan<'a> {
    fn new(ctx: &Context<'a>, deploy: &'a ServiceDeploy, repository: &'a str) -> Result<Plan<'a>> {
        let settings = deploy.image.as_ref().ok_or_else(|| Error::MissingSection {
            target: ctx.target_name.to_owned(),
            key: "image",
            consequence: "it cannot deploy",
        })?;
        let TargetSettings::EcsService {
            context,
            dockerfile,
            build_args,
            build_target,
            ..
        } = &ctx.target.settings
        else {
            return Err(Error::Deploy {
                target: ctx.target_name.to_owned(),
                message: "only ecs-service targets have an image".to_owned(),
            });
        };
        Ok(Plan {
            repository,
            settings,
            context,
            dockerfile,
            build_args,
            target: build_target.as_deref(),
            tag: ctx.head.to_string(),
        })
    }

    /// Where the image is pushed: the override registry, else the ECR URI.
    fn destination(&self, uri: &str) -> String {
        match &self.settings.registry {
            Some(registry) => format!("{registry}/{}", self.repository),
            None => uri.to_owned(),
        }
    }

    /// `<destination>:<tag>` for the SHA, then each extra tag.
    fn references(&self, destination: &str) -> Vec<String> {
        std::iter::once(&self.tag)
            .chain(&self.settings.extra_tags)
            .map(|tag| format!("{destination}:{tag}"))
            .collect()
    }

    /// The OCI labels: the revision, the source (when the repository has an `origin`), and the
    /// commit's time as `created`, so that a rebuild of one commit labels alike.
    fn labels(&self, ctx: &Context<'_>) -> Result<Vec<(String, String)>> {
        let commit = ctx
            .repo
            .find_commit(ctx.head)
            .map_err(Error::git("read the head commit"))?;
        let mut labels = vec![(
            "org.opencontainers.image.revision".to_owned(),
            self.tag.clone(),
        )];
        if let Some(source) = source_url(ctx.repo) {
            labels.push(("org.opencontainers.image.source".to_owned(), source));
        }
        labels.push((
            "org.opencontainers.image.created".to_owned(),
            super::clock::rfc3339(commit.time().seconds()),
        ));
        Ok(labels)
    }

    fn build<'b>(&'b self, labels: &'b [(String, String)], references: &'b [String]) -> Build<'b> {
        Build {
            context: self.context,
            dockerfile: self.dockerfile,
            platform: &self.settings.platform,
            build_args: self.build_args,
            target: self.target,
            labels,
            references,
        }
    }

    fn image(&self, repository_uri: String, digest: String) -> Image {
        Image {
            repository_uri,
            repository: self.repository.to_owned(),
            digest,
            tag: self.tag.clone(),
        }
    }
}

/// Prints steps 1 to 4 with their values; reads ECR where it can, writes nothing.
async fn dry_run(
    ctx: &Context<'_>,
    aws: &Aws,
    deploy: &ServiceDeploy,
    plan: &Plan<'_>,
) -> Result<Image> {
    let progress = ctx.progress();
    let say = |text: String| progress.output(&format!("[dry run] {text}"));
    let ecr = Ecr::new(aws);
    let cwd = ctx.workdir.unwrap_or(std::path::Path::new("."));
    let cli = ContainerCli::new(&deploy.cli, cwd);
    let repository = one(plan.repository);

    let uri = match aws.require_region() {
        Ok(_) => ecr.repository_uri(plan.repository).await,
        Err(e) => Err(e),
    };
    let (uri, digest) = match uri {
        Ok(uri) => {
            say(format!("1. ECR repository `{repository}` is {uri}"));
            let digest = match ecr.digest_of_tag(plan.repository, &plan.tag).await {
                Ok(found) => found,
                Err(e) => {
                    say(format!("   could not look up tag {}: {e}", plan.tag));
                    None
                }
            };
            (uri, digest)
        }
        Err(e) => {
            say(format!(
                "1. could not resolve the URI of ECR repository `{repository}`: {e}"
            ));
            (format!("<URI of ECR repository `{repository}`>"), None)
        }
    };
    let destination = plan.destination(&uri);
    let registry = registry_host(&destination);
    if registry == registry_host(&uri) || plan.settings.registry.is_none() {
        say(format!(
            "2. log in with a GetAuthorizationToken password on stdin: {}",
            cli.login("AWS", registry).display()
        ));
    } else {
        say(format!(
            "2. {} is not ECR: no login (the ECR token is never sent to another registry)",
            one(registry)
        ));
    }
    if let Some(digest) = digest {
        say(format!(
            "3. {repository}:{} is already in ECR as {digest}: build and push would be skipped",
            plan.tag
        ));
        if !plan.settings.extra_tags.is_empty() && plan.settings.registry.is_none() {
            say(format!(
                "   tags {} would point at it (BatchGetImage, PutImage) where they do not",
                plan.settings.extra_tags.join(", ")
            ));
        }
        return Ok(plan.image(uri, digest));
    }
    say(format!(
        "3. {repository}:{} is not known to be in ECR: it would be built and pushed",
        plan.tag
    ));
    let references = plan.references(&destination);
    let labels = plan.labels(ctx)?;
    say(format!(
        "4. build: {}",
        cli.build(&plan.build(&labels, &references)).display()
    ));
    for reference in &references {
        say(format!("   push: {}", cli.push(reference).display()));
    }
    say(format!(
        "   then read the pushed digest of tag {} back from ECR",
        plan.tag
    ));
    Ok(plan.image(uri, UNRESOLVED_DIGEST.to_owned()))
}

/// Runs a build or push with its output streamed under the target's name; a failure is an
/// error naming what failed, with the program's last words.
fn run_streamed(
    ctx: &Context<'_>,
    call: Invocation,
    action: impl FnOnce() -> String,
) -> Result<()> {
    if ctx.verbose {
        ctx.progress().say(&format!("$ {}", call.display()));
    }
    let done = call.streamed(ctx.target_name).run()?;
    if done.success {
        return Ok(());
    }
    Err(tool_error(action(), &done.stderr))
}

/// [`Error::Tool`] with the last non-empty line of the program's stderr, made one safe line.
fn tool_error(action: String, stderr: &[u8]) -> Error {
    let text = String::from_utf8_lossy(stderr);
    let last = text
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| l.strip_prefix("Error: ").unwrap_or(l))
        .unwrap_or("it exited with an error and printed nothing");
    Error::Tool {
        action,
        message: crate::text::one_line(last),
    }
}

/// Waits, briefly and boundedly, for ECR to show the pushed tag, and returns its digest.
async fn read_back(ecr: &Ecr, repository: &str, tag: &str) -> Result<String> {
    for attempt in 1..=READ_BACK_TRIES {
        if let Some(digest) = ecr.digest_of_tag(repository, tag).await? {
            return Ok(digest);
        }
        if attempt < READ_BACK_TRIES {
            tokio::time::sleep(READ_BACK_PAUSE).await;
        }
    }
    Err(Error::Aws {
        action: format!("read back the digest of {}:{tag}", one(repository)),
        message: format!(
            "ECR does not show the tag {:.1} s after the push succeeded (was it pushed to another registry?)",
            (READ_BACK_PAUSE * (READ_BACK_TRIES - 1)).as_secs_f64()
        ),
    })
}

/// The registry host of a repository reference: everything before the first `/`.
fn registry_host(reference: &str) -> &str {
    reference
        .split_once('/')
        .map_or(reference, |(host, _)| host)
}

/// The `origin` remote as a URL for `org.opencontainers.image.source`, without credentials
/// (a CI clone URL may carry a token); an scp-like `git@host:path` becomes `https://host/path`.
fn source_url(repo: &git2::Repository) -> Option<String> {
    clean_url(&crate::git::origin_url(repo)?)
}

fn clean_url(url: &str) -> Option<String> {
    let url = url.trim();
    if url.is_empty() || url.chars().any(char::is_control) {
        return None;
    }
    if let Some((scheme, rest)) = url.split_once("://") {
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        return match scheme {
            "https" | "http" => Some(format!("{scheme}://{host}/{path}")),
            "ssh" | "git" => Some(format!("https://{host}/{path}")),
            _ => None,
        };
    }
    let (user_host, path) = url.split_once(':')?;
    let host = user_host.rsplit_once('@').map_or(user_host, |(_, h)| h);
    Some(format!("https://{host}/{}", path.trim_start_matches('/')))
}

fn one(text: &str) -> String {
    crate::text::one_line(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_urls_lose_their_credentials() {
        assert_eq!(
            clean_url("https://x-access-token:ghs_secret@github.com/org/app.git").as_deref(),
            Some("https://github.com/org/app.git")
        );
        assert_eq!(
            clean_url("git@github.com:org/app.git").as_deref(),
            Some("https://github.com/org/app.git")
        );
        assert_eq!(
            clean_url("ssh://git@github.com/org/app").as_deref(),
            Some("https://github.com/org/app")
        );
        assert_eq!(clean_url("/srv/git/app.git"), None);
        assert_eq!(clean_url("file:///srv/git/app.git"), None);
    }

    #[test]
    fn the_registry_is_the_reference_host() {
        assert_eq!(
            registry_host("1.dkr.ecr.us-east-1.amazonaws.com/quest-app"),
            "1.dkr.ecr.us-east-1.amazonaws.com"
        );
        assert_eq!(registry_host("127.0.0.1:5000/quest-app"), "127.0.0.1:5000");
    }
}
