//! The command line: clap derive, every flag documented, most with a `QUEST_*` variable.
//!
//! Raw arguments become a typed [`Settings`] before anything runs; nothing outside this file
//! reads clap types or the process environment's flags.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::error::{Error, Result};

/// Diff the pushed commit range and route each changed path to the deployment it needs.
#[derive(Debug, Parser)]
#[command(name = "quest-changes", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The repository to examine (any directory inside it).
    #[arg(
        short = 'C',
        long = "repo",
        env = "QUEST_REPO",
        default_value = ".",
        global = true
    )]
    pub repo: PathBuf,

    /// The configuration file. Default: `.quest-changes.yml` (or `.yaml`) at the repository
    /// root, else the targets discovered from the repository's layout (what `config init`
    /// would write: one per Dockerfile and per Terraform root).
    #[arg(long, env = "QUEST_CONFIG", global = true)]
    pub config: Option<PathBuf>,

    /// The base revision of the range (empty means "not given").
    #[arg(long, env = "QUEST_BASE", global = true)]
    pub base: Option<String>,

    /// The head revision of the range. Default: the CI's commit, else HEAD.
    #[arg(long, env = "QUEST_HEAD", global = true)]
    pub head: Option<String>,

    /// How to print the result.
    #[arg(long, value_enum, env = "QUEST_FORMAT", default_value_t = Format::Text, global = true)]
    pub format: Format,

    /// Write the result to this file instead of stdout.
    #[arg(short, long, env = "QUEST_OUTPUT", global = true)]
    pub output: Option<PathBuf>,

    /// Print the steps each changed target's deployment would run, and change nothing. With
    /// `comment`: print the comment body instead of posting it.
    #[arg(long, global = true)]
    pub dry_run: bool,

    /// Exit with code 3 instead of marking every target changed when the range is uncertain.
    #[arg(long, env = "QUEST_STRICT", global = true, value_parser = clap::builder::BoolishValueParser::new())]
    pub strict: bool,

    /// Add staged, unstaged and untracked (not ignored) changes of the working tree.
    #[arg(long, global = true)]
    pub uncommitted: bool,

    /// The deepest a shallow clone is deepened to find a missing base commit.
    #[arg(
        long,
        env = "QUEST_MAX_FETCH_DEPTH",
        default_value_t = 1000,
        global = true
    )]
    pub max_fetch_depth: u32,

    /// Where each target's range starts: `range`, the pushed range (default); `deployed`, the
    /// commit the target runs now (the image tag an ECS service runs, the commit of a Terraform
    /// root's last apply), so a failed or cancelled deployment is retried on the next push.
    #[arg(long, value_enum, env = "QUEST_SINCE", default_value_t = Since::Range, global = true)]
    pub since: Since,

    /// The environment (declared under `environments` in the configuration) whose values every
    /// target takes: its region, its branches, each target's values there. `deploy`,
    /// `rollback` and `outputs` need it once environments are declared.
    #[arg(long = "env", env = "QUEST_ENV", value_name = "NAME", global = true)]
    pub environment: Option<String>,

    /// Where the results of Terraform root analyses are kept between runs: a later run
    /// re-analyses only the roots whose files differ (keep this folder in the CI's cache).
    /// Default: `quest-changes/analysis-cache` in the repository's git directory. An empty
    /// value turns the cache off, as `--no-cache` does.
    #[arg(long, env = "QUEST_CACHE_DIR", value_name = "DIR", global = true)]
    pub cache_dir: Option<OsString>,

    /// Neither read nor write the analysis cache.
    #[arg(long, env = "QUEST_NO_CACHE", global = true, value_parser = clap::builder::BoolishValueParser::new())]
    pub no_cache: bool,

    /// Say more: the AWS calls a deployment made, each external command run.
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// When to colour text output.
    #[arg(long, value_enum, env = "QUEST_COLOR", default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Route the changes of the range to targets (the default).
    Detect,
    /// Print the steps of each changed target's deployment (same as --dry-run).
    Plan,
    /// Say which rule of which target matched each changed path, or each path given.
    Explain {
        /// Paths to explain instead of the changed ones, relative to the repository root.
        paths: Vec<OsString>,
    },
    /// Post or update the one summary comment on the pull request on GitHub.
    Comment(CommentArgs),
    /// Run the deployment of one target that the range changed: for an `ecs-service` target
    /// build, push, scan-gate and roll out the image; for a `terraform` target init, plan and
    /// (on an `apply_on` branch) apply the saved plan.
    Deploy(DeployArgs),
    /// Roll an `ecs-service` target back to the revision before the running one that last
    /// completed.
    Rollback {
        /// The target name.
        target: String,
    },
    /// Promote an `ecs-service` target's image from one environment to another: the exact
    /// digest the source environment runs for the checked-out commit (or `--head`), never
    /// rebuilt, re-checked by the scan gate, rolled out with watch and rollback.
    Promote {
        /// The target name.
        target: String,
        /// The environment that runs the commit now (for example `dev`).
        #[arg(long, value_name = "ENV")]
        from: String,
        /// The environment to roll it out to (for example `prod`).
        #[arg(long, value_name = "ENV")]
        to: String,
    },
    /// Create (or check) the S3 state bucket of the `terraform` targets.
    Bootstrap {
        /// Only this target's bucket. Default: every terraform target with a `state`.
        #[arg(long)]
        target: Option<String>,
        /// Fix an existing bucket's weaker settings instead of only reporting them.
        #[arg(long)]
        fix: bool,
    },
    /// Print `terraform output -json` of a `terraform` target's root.
    Outputs {
        /// The target name.
        target: String,
    },
    /// Print what runs where: each target with a deployment in each environment (or `--env`'s
    /// only): its deployed commit, when, its rollout, how far behind the head it is and the
    /// changed paths its next deployment would take. Exit 1 after printing if one could not be
    /// read.
    Status,
    /// Print the effective configuration.
    Config {
        #[command(subcommand)]
        what: Option<ConfigCommand>,
    },
}

/// The flags of `comment`. Defaults come from the CI's variables (see `pull_request`).
#[derive(Debug, Clone, clap::Args)]
pub struct CommentArgs {
    /// The variable that holds the GitHub token (the token itself is never printed).
    #[arg(long, value_name = "NAME", default_value = "GITHUB_TOKEN")]
    pub token_env: String,

    /// The repository. Default: GITHUB_REPOSITORY, else CIRCLE_PROJECT_USERNAME/CIRCLE_PROJECT_REPONAME.
    #[arg(long, value_name = "OWNER/REPO")]
    pub repo_slug: Option<String>,

    /// The pull request number. Default: CIRCLE_PULL_REQUEST, CIRCLE_PR_NUMBER, the GitHub event
    /// payload, else the pull request GitHub lists for the head commit.
    #[arg(long, value_name = "N")]
    pub pr: Option<u64>,

    /// The GitHub API root. Default: GITHUB_API_URL, else https://api.github.com.
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,

    /// Where `deploy --plan-only` saved plan summaries: each changed terraform target's summary
    /// for this commit joins the comment.
    #[arg(long, env = "QUEST_PLAN_DIR", value_name = "DIR")]
    pub plan_dir: Option<PathBuf>,
}

/// The flags of `deploy`.
#[derive(Debug, Clone, clap::Args)]
pub struct DeployArgs {
    /// The target name from the configuration.
    pub target: String,

    /// Deploy even if the range did not change the target.
    #[arg(long)]
    pub force: bool,

    /// `terraform`: stop after the plan, whatever the branch.
    #[arg(long, conflicts_with = "apply")]
    pub plan_only: bool,

    /// `terraform`: apply even on a branch that is not in `apply_on`.
    #[arg(long)]
    pub apply: bool,

    /// `terraform`: where saved plans and their fingerprints are kept (a plan saved here by an
    /// earlier `--plan-only` run of the same commit is applied as is). Default: a folder under
    /// the root's `.terraform`.
    #[arg(long, env = "QUEST_PLAN_DIR", value_name = "DIR")]
    pub plan_dir: Option<PathBuf>,

    /// `terraform`, with `--plan-only`: exit 10 when the plan has changes.
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// The branch, for `apply_on`. Default: the CI's branch variable, else the checked-out branch.
    #[arg(long, env = "QUEST_BRANCH")]
    pub branch: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the JSON Schema of `.quest-changes.yml`, for editor completion.
    Schema,
    /// Write a starting `.quest-changes.yml` from the repository's layout (never overwrites).
    Init,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A line per target and the range.
    Text,
    /// The documented JSON schema.
    Json,
    /// GitHub Actions step outputs (to $GITHUB_OUTPUT) and a job summary.
    Github,
    /// CircleCI continuation parameters.
    Circleci,
    /// A Markdown summary for a pull request comment.
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Since {
    /// The pushed range.
    Range,
    /// What each target runs now.
    Deployed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Where the analysis cache is (`--cache-dir`, `--no-cache`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheDir {
    /// In the repository's git directory.
    Default,
    At(PathBuf),
    Off,
}

/// What to do, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Detect,
    Plan,
    Explain(Vec<OsString>),
    ShowConfig,
    ConfigSchema,
    ConfigInit,
    Comment(CommentSettings),
    Deploy(DeploySettings),
    Rollback {
        target: String,
    },
    Promote {
        target: String,
        from: String,
        to: String,
    },
    Bootstrap {
        target: Option<String>,
        fix: bool,
    },
    Outputs {
        target: String,
    },
    Status,
}

/// What `deploy` needs besides detection, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploySettings {
    pub target: String,
    pub force: bool,
    pub plan_only: bool,
    pub apply: bool,
    pub plan_dir: Option<PathBuf>,
    pub detailed_exitcode: bool,
    pub branch: Option<String>,
}

/// What `comment` needs besides detection, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentSettings {
    pub token_env: String,
    pub repo_slug: Option<String>,
    pub pr: Option<u64>,
    pub api_url: Option<String>,
    pub plan_dir: Option<PathBuf>,
    /// Print the body instead of posting it.
    pub dry_run: bool,
}

/// The typed settings every command runs from.
#[derive(Debug, Clone)]
pub struct Settings {
    pub action: Action,
    pub repo: PathBuf,
    pub config: Option<PathBuf>,
    pub base: Option<String>,
    pub head: Option<String>,
    pub format: Format,
    pub output: Option<PathBuf>,
    pub strict: bool,
    pub uncommitted: bool,
    pub max_fetch_depth: u32,
    pub color: ColorChoice,
    pub since: Since,
    /// `--env`: the environment every target is resolved for.
    pub environment: Option<String>,
    /// `--dry-run`: print what would be done, write nothing.
    pub dry_run: bool,
    pub verbose: bool,
    pub cache: CacheDir,
}

impl Cli {
    /// Parses the process's arguments. A `QUEST_*` variable set to the empty string counts as
    /// unset: CI systems pass empty parameter defaults that way.
    pub fn parse_process() -> Cli {
        for (key, value) in std::env::vars_os() {
            if value.is_empty() && key.to_string_lossy().starts_with("QUEST_") {
                // Still single-threaded: main calls this first.
                std::env::remove_var(&key);
            }
        }
        Cli::parse()
    }

    /// Validates the raw arguments into settings.
    pub fn into_settings(self) -> Result<Settings> {
        let action = match (self.command, self.dry_run) {
            (None | Some(Command::Detect), false) => Action::Detect,
            (None | Some(Command::Detect) | Some(Command::Plan), true)
            | (Some(Command::Plan), false) => Action::Plan,
            (Some(Command::Explain { paths }), _) => Action::Explain(paths),
            (Some(Command::Comment(args)), dry_run) => {
                if args.token_env.is_empty() {
                    return Err(Error::Usage("--token-env needs a variable name".into()));
                }
                if args.pr == Some(0) {
                    return Err(Error::Usage(
                        "--pr must be a pull request number, at least 1".into(),
                    ));
                }
                Action::Comment(CommentSettings {
                    token_env: args.token_env,
                    repo_slug: args.repo_slug.filter(|s| !s.is_empty()),
                    pr: args.pr,
                    api_url: args.api_url.filter(|s| !s.is_empty()),
                    plan_dir: args.plan_dir.filter(|p| !p.as_os_str().is_empty()),
                    dry_run,
                })
            }
            (Some(Command::Deploy(args)), _) => {
                if args.detailed_exitcode && !args.plan_only {
                    return Err(Error::Usage(
                        "--detailed-exitcode needs --plan-only (it reports whether the plan has changes)"
                            .into(),
                    ));
                }
                Action::Deploy(DeploySettings {
                    target: args.target,
                    force: args.force,
                    plan_only: args.plan_only,
                    apply: args.apply,
                    plan_dir: args.plan_dir.filter(|p| !p.as_os_str().is_empty()),
                    detailed_exitcode: args.detailed_exitcode,
                    branch: args.branch.filter(|b| !b.is_empty()),
                })
            }
            (Some(Command::Rollback { target }), _) => Action::Rollback { target },
            (Some(Command::Promote { target, from, to }), _) => {
                if self.environment.is_some() {
                    return Err(Error::Usage(
                        "promote names its environments with --from and --to, so it cannot take --env (or QUEST_ENV)".into(),
                    ));
                }
                if from == to {
                    return Err(Error::Usage(format!(
                        "promote needs two environments, and --from and --to both name `{}`",
                        crate::text::one_line(&from)
                    )));
                }
                Action::Promote { target, from, to }
            }
            (Some(Command::Bootstrap { target, fix }), _) => Action::Bootstrap { target, fix },
            (Some(Command::Outputs { target }), _) => Action::Outputs { target },
            (Some(Command::Status), _) => Action::Status,
            (Some(Command::Config { what: None }), _) => Action::ShowConfig,
            (
                Some(Command::Config {
                    what: Some(ConfigCommand::Schema),
                }),
                _,
            ) => Action::ConfigSchema,
            (
                Some(Command::Config {
                    what: Some(ConfigCommand::Init),
                }),
                _,
            ) => Action::ConfigInit,
        };
        if self.max_fetch_depth == 0 {
            return Err(Error::Usage("--max-fetch-depth must be at least 1".into()));
        }
        let non_empty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        if self.uncommitted && non_empty(self.head.clone()).is_some() {
            return Err(Error::Usage(
                "--uncommitted compares with the working tree, so it cannot take --head".into(),
            ));
        }
        let format = self.format;
        if matches!(
            action,
            Action::Explain(_)
                | Action::ShowConfig
                | Action::ConfigSchema
                | Action::ConfigInit
                | Action::Deploy(_)
                | Action::Rollback { .. }
                | Action::Promote { .. }
                | Action::Bootstrap { .. }
                | Action::Outputs { .. }
        ) && !matches!(format, Format::Text | Format::Json)
        {
            return Err(Error::Usage(format!(
                "--format {} is for detection and plans; this command prints text or json",
                format_name(format)
            )));
        }
        Ok(Settings {
            action,
            repo: self.repo,
            config: self.config,
            base: non_empty(self.base),
            head: non_empty(self.head),
            format,
            output: self.output,
            strict: self.strict,
            uncommitted: self.uncommitted,
            max_fetch_depth: self.max_fetch_depth,
            color: self.color,
            since: self.since,
            environment: non_empty(self.environment),
            dry_run: self.dry_run,
            verbose: self.verbose,
            cache: match self.cache_dir {
                _ if self.no_cache => CacheDir::Off,
                Some(dir) if dir.as_os_str().is_empty() => CacheDir::Off,
                Some(dir) => CacheDir::At(PathBuf::from(dir)),
                None => CacheDir::Default,
            },
        })
    }
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Text => "text",
        Format::Json => "json",
        Format::Github => "github",
        Format::Circleci => "circleci",
        Format::Markdown => "markdown",
    }
}
