//! What a Dockerfile reads from its build context: the `COPY`/`ADD` sources and `RUN
//! --mount=type=bind` sources of every stage, as patterns relative to the context root.
//!
//! The reader errs one way only. Whatever it cannot follow (a variable whose value the
//! Dockerfile does not give, an unknown instruction or flag, a custom `# syntax=` frontend, an
//! unterminated heredoc) makes it answer "the whole context" with a warning saying why, so a
//! change is never reported as unread when the build might read it. Reads from elsewhere
//! (`COPY --from`, `ADD` of a URL or a git repository, heredoc sources, `--mount` with
//! `from=`) read nothing from the context.
//!
//! It must not touch git or the file system, nor decide routing: it answers, for the text of
//! one Dockerfile, which paths of the context its instructions read ([`ContextUse`]); leaving
//! out what the `.dockerignore` excludes is `build_context`'s.

use std::collections::BTreeMap;

#[cfg(test)]
use super::dockerignore::DockerIgnore;
use super::expand::{self, ExpandError, Value, Vars, UNDECLARED};
use super::gomatch::GoGlob;
use super::gopath;
use super::instructions::{self, Instruction};

/// `ARG`s the builder gives a value to; the Dockerfile cannot say which.
const AUTOMATIC_ARGS: [&str; 8] = [
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
];

/// Instructions that never read the build context. `ONBUILD` is here because its
/// instruction runs in a later build that uses this image, not in this one.
const CONTEXT_FREE: [&str; 12] = [
    "CMD",
    "ENTRYPOINT",
    "EXPOSE",
    "LABEL",
    "USER",
    "WORKDIR",
    "VOLUME",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
    "MAINTAINER",
    "ONBUILD",
];

/// One context read: a pattern relative to the context root, with Go `filepath.Match`
/// semantics as `COPY`/`ADD` sources have. `.` is the whole context.
#[derive(Debug, Clone)]
pub struct SourcePattern {
    /// The source after variable expansion and cleaning (`src`, `package*.json`, `.`).
    pub pattern: String,
    /// The 1-based line of the instruction that reads it.
    pub line: usize,
    /// The instruction, upper-cased: `COPY`, `ADD` or `RUN` (a bind mount).
    pub instruction: String,
    glob: GoGlob,
    /// The index of the stage that reads it.
    stage: Option<usize>,
}

impl SourcePattern {
    /// Whether this read takes `path` (cleaned, relative to the context): the pattern names
    /// the path itself or one of its parent directories, since copying a directory copies
    /// everything under it.
    fn covers(&self, path: &str) -> bool {
        if self.pattern == "." {
            return true;
        }
        let mut end = path.len();
        loop {
            if self.glob.matches(&path[..end]) {
                return true;
            }
            match path[..end].rfind('/') {
                Some(slash) => end = slash,
                None => return false,
            }
        }
    }
}

/// What a Dockerfile reads from its build context.
#[derive(Debug, Clone, Default)]
pub struct ContextUse {
    /// Every context read, in file order. A whole-context read (`COPY . .`) appears as `.`.
    pub sources: Vec<SourcePattern>,
    /// Whether the build may read any file of the context: a source is `.`, or the reader
    /// could not follow something (see `warnings`).
    pub whole_context: bool,
    /// Why the reader fell back to the whole context, each starting with `line N:`.
    pub warnings: Vec<String>,
}

impl ContextUse {
    /// Reads `dockerfile` as a build without `--build-arg` would run it.
    #[cfg(test)]
    pub fn from_dockerfile(dockerfile: &str) -> ContextUse {
        ContextUse::from_dockerfile_with_args(dockerfile, &BTreeMap::new())
    }

    /// Reads `dockerfile` as a build with these `--build-arg` values would run it. A build
    /// argument only matters where an `ARG` declares it, as in Docker.
    #[cfg(test)]
    pub fn from_dockerfile_with_args(
        dockerfile: &str,
        build_args: &BTreeMap<String, String>,
    ) -> ContextUse {
        ContextUse::for_target(dockerfile, build_args, None)
    }

    /// Reads `dockerfile` as a build of stage `target` (`--target`; default: the last stage)
    /// with these `--build-arg` values would run it. Only the stages the target reaches (as
    /// its base, through `COPY --from` or `RUN --mount=from=`) read anything: the others are
    /// not part of the image.
    pub fn for_target(
        dockerfile: &str,
        build_args: &BTreeMap<String, String>,
        target: Option<&str>,
    ) -> ContextUse {
        let lexed = instructions::lex(dockerfile);
        let mut reader = Reader {
            escape: lexed.escape,
            build_args,
            global_args: Vars::new(),
            stage: None,
            stage_name: None,
            stage_envs: BTreeMap::new(),
            stages: Vec::new(),
            fallbacks: Vec::new(),
            use_: ContextUse::default(),
        };
        for (line, problem) in &lexed.problems {
            reader.fall_back(*line, problem);
        }
        if let Some((syntax, line)) = &lexed.syntax {
            if !is_dockerfile_frontend(syntax) {
                reader.fall_back(
                    *line,
                    &format!("the frontend `{syntax}` may read the context in its own way"),
                );
            }
        }
        for instruction in &lexed.instructions {
            reader.instruction(instruction);
        }
        reader.finish(target)
    }

    /// Whether a change to `path_in_context` (a `/`-separated path relative to the context
    /// root) can change the build: Docker sends it (`ignore` does not exclude it) and some
    /// instruction reads it.
    #[cfg(test)]
    pub fn matches(&self, path_in_context: &str, ignore: &DockerIgnore) -> bool {
        !ignore.is_excluded(path_in_context)
            && (self.whole_context || self.source_for(path_in_context).is_some())
    }

    /// The first read that takes `path_in_context`, ignoring `.dockerignore`, for explaining
    /// a decision. `None` also when only a warning made the whole context count.
    pub fn source_for(&self, path_in_context: &str) -> Option<&SourcePattern> {
        let path = gopath::clean_in_context(path_in_context);
        self.sources.iter().find(|source| source.covers(&path))
    }
}

/// Whether a `# syntax=` names Docker's own Dockerfile frontend (any version or digest),
/// whose reading rules are the ones implemented here.
fn is_dockerfile_frontend(syntax: &str) -> bool {
    let image = syntax.split('@').next().unwrap_or(syntax);
    let name = match image.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => name,
        _ => image,
    };
    let name = name.strip_prefix("docker.io/").unwrap_or(name);
    matches!(name, "docker/dockerfile" | "docker/dockerfile-upstream")
}

/// The current stage's variables.
#[derive(Debug, Clone, Default)]
struct Stage {
    args: Vars,
    env: Vars,
}

/// One `FROM` of the Dockerfile, for working out which stages the target needs.
#[derive(Debug, Clone)]
struct StageNode {
    /// The `AS` name, lower-cased.
    name: Option<String>,
    /// The earlier stages it builds on, copies from or mounts.
    needs: Vec<usize>,
    /// Built on `scratch` (directly or through earlier stages): no image gives a variable a
    /// value.
    from_scratch: bool,
}

struct Reader<'a> {
    escape: char,
    build_args: &'a BTreeMap<String, String>,
    /// `ARG`s before the first `FROM`.
    global_args: Vars,
    /// `None` before the first `FROM`.
    stage: Option<Stage>,
    /// The current stage's `AS` name, lower-cased.
    stage_name: Option<String>,
    /// Each named stage's `ENV`, which a stage built `FROM` it inherits.
    stage_envs: BTreeMap<String, Vars>,
    /// Every stage so far; the last is the current one.
    stages: Vec<StageNode>,
    /// Why the whole context may be read, with the stage where that was found (`None`:
    /// the whole Dockerfile).
    fallbacks: Vec<(Option<usize>, String)>,
    use_: ContextUse,
}

impl Reader<'_> {
    fn fall_back(&mut self, line: usize, why: &str) {
        let stage = self.stages.len().checked_sub(1);
        self.fallbacks.push((
            stage,
            format!("line {line}: {why}; assuming the whole context is read"),
        ));
    }

    /// The variables an instruction of the current stage sees. A global `ARG` the stage does
    /// not declare again is empty there, as in Docker; so is any undeclared name in a stage
    /// built from `scratch`. Elsewhere an undeclared name may come from the base image's
    /// `ENV`, which the Dockerfile does not show. `ENV` wins over an `ARG` of the same name.
    fn vars(&self) -> Vars {
        let Some(stage) = &self.stage else {
            return self.global_args.clone();
        };
        let mut vars: Vars = self
            .global_args
            .keys()
            .map(|name| (name.clone(), Value::Unset))
            .collect();
        if self.stages.last().is_some_and(|s| s.from_scratch) {
            vars.insert(UNDECLARED.to_owned(), Value::Unset);
        }
        vars.extend(stage.args.iter().map(|(k, v)| (k.clone(), v.clone())));
        vars.extend(stage.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        vars
    }

    /// The earlier stage that `reference` (a `--from` value or a `FROM` base, lower-cased)
    /// names, by `AS` name or (`numbered`) by index.
    fn stage_named(&self, reference: &str, numbered: bool) -> Option<usize> {
        let current = self.stages.len().saturating_sub(1);
        self.stages[..current]
            .iter()
            .position(|s| s.name.as_deref() == Some(reference))
            .or_else(|| {
                reference
                    .parse::<usize>()
                    .ok()
                    .filter(|i| numbered && *i < current)
            })
    }

    /// Records that the current stage needs what `reference` (a `--from` value, unexpanded)
    /// names; one that cannot be expanded may be any earlier stage.
    fn needs(&mut self, reference: &str) {
        let vars = self.vars();
        let expanded = expand::expand(reference, &vars, self.escape).ok();
        self.needs_stage(expanded.as_deref());
    }

    /// Records that the current stage needs the stage `name` (expanded) names, if it names
    /// one; `None` (a name that could not be expanded) may be any earlier stage.
    fn needs_stage(&mut self, name: Option<&str>) {
        let needed: Vec<usize> = match name {
            Some(name) => self
                .stage_named(&name.to_ascii_lowercase(), true)
                .into_iter()
                .collect(),
            None => (0..self.stages.len().saturating_sub(1)).collect(),
        };
        if let Some(current) = self.stages.last_mut() {
            current.needs.extend(needed);
        }
    }

    /// The answer for a build of `target` (default: the last stage): the reads and fallbacks
    /// of the stages it reaches, and those of the Dockerfile as a whole.
    fn finish(mut self, target: Option<&str>) -> ContextUse {
        let start = match target {
            None => self.stages.len().checked_sub(1),
            Some(name) => {
                let found = self
                    .stages
                    .iter()
                    .position(|s| s.name.as_deref() == Some(&name.to_ascii_lowercase()));
                if found.is_none() {
                    self.fallbacks.push((
                        None,
                        format!("the build target `{name}` is no stage of the Dockerfile; assuming the whole context is read"),
                    ));
                }
                found
            }
        };
        let mut reached = vec![false; self.stages.len()];
        let mut todo: Vec<usize> = start.into_iter().collect();
        while let Some(stage) = todo.pop() {
            if !std::mem::replace(&mut reached[stage], true) {
                todo.extend(&self.stages[stage].needs);
            }
        }
        // Without a known target every stage counts: the safe side.
        let counts = |stage: Option<usize>| match (stage, start) {
            (Some(stage), Some(_)) => reached[stage],
            _ => true,
        };
        let mut use_ = self.use_;
        use_.sources.retain(|s| counts(s.stage));
        use_.whole_context = use_.sources.iter().any(|s| s.pattern == ".");
        for (stage, warning) in self.fallbacks {
            if counts(stage) {
                use_.whole_context = true;
                use_.warnings.push(warning);
            }
        }
        use_
    }

    fn instruction(&mut self, instruction: &Instruction) {
        let line = instruction.line;
        let args = instruction.args.as_str();
        match instruction.keyword.as_str() {
            "FROM" => self.from(args),
            "ARG" => self.arg(args),
            "ENV" => self.env(args),
            "COPY" | "ADD" => self.copy(line, &instruction.keyword, args),
            "RUN" => self.run(line, args),
            keyword if CONTEXT_FREE.contains(&keyword) => {}
            keyword => self.fall_back(line, &format!("the instruction `{keyword}` is unknown")),
        }
    }

    /// Starts a stage. Its `ENV` starts from the stage it is built on, when that is an
    /// earlier stage; its `ARG`s start empty, as in Docker.
    fn from(&mut self, args: &str) {
        self.remember_stage();
        let words: Vec<&str> = args
            .split_whitespace()
            .filter(|w| !w.starts_with("--"))
            .collect();
        let base = words
            .first()
            .and_then(|w| expand::expand(w, &self.global_args, self.escape).ok())
            .map(|w| w.to_ascii_lowercase());
        let env = base
            .as_ref()
            .and_then(|b| self.stage_envs.get(b).cloned())
            .unwrap_or_default();
        self.stage_name = match words.as_slice() {
            [_, kw, name, ..] if kw.eq_ignore_ascii_case("as") => Some(name.to_ascii_lowercase()),
            _ => None,
        };
        self.stages.push(StageNode {
            name: self.stage_name.clone(),
            needs: Vec::new(),
            from_scratch: false,
        });
        let (needs, from_scratch) = match base.as_deref() {
            Some("scratch") => (Vec::new(), true),
            Some(base) => match self.stage_named(base, false) {
                Some(stage) => (vec![stage], self.stages[stage].from_scratch),
                None => (Vec::new(), false),
            },
            // A base that cannot be expanded may be any earlier stage.
            None => ((0..self.stages.len() - 1).collect(), false),
        };
        if let Some(current) = self.stages.last_mut() {
            current.needs = needs;
            current.from_scratch = from_scratch;
        }
        self.stage = Some(Stage {
            args: Vars::new(),
            env,
        });
    }

    fn remember_stage(&mut self) {
        if let (Some(stage), Some(name)) = (&self.stage, &self.stage_name) {
            self.stage_envs.insert(name.clone(), stage.env.clone());
        }
    }

    /// `ARG NAME`, `ARG NAME=default`, several per line.
    fn arg(&mut self, args: &str) {
        for word in split_words(args, self.escape) {
            let (name, default) = match word.split_once('=') {
                Some((name, default)) => (name.to_string(), Some(default.to_string())),
                None => (word.clone(), None),
            };
            let value = if let Some(given) = self.build_args.get(&name) {
                Value::Known(given.clone())
            } else if AUTOMATIC_ARGS.contains(&name.as_str()) {
                Value::Unknown
            } else if let Some(default) = default {
                match expand::expand(&default, &self.vars(), self.escape) {
                    Ok(v) => Value::Known(v),
                    Err(_) => Value::Unknown,
                }
            } else if self.stage.is_some() {
                // Inside a stage, a bare `ARG` brings in the global one's value.
                self.global_args.get(&name).cloned().unwrap_or(Value::Unset)
            } else {
                Value::Unset
            };
            match &mut self.stage {
                Some(stage) => stage.args.insert(name, value),
                None => self.global_args.insert(name, value),
            };
        }
    }

    /// `ENV A=1 B=2`, or the legacy `ENV A the rest of the line`.
    fn env(&mut self, args: &str) {
        let vars = self.vars();
        let words = split_words(args, self.escape);
        let pairs: Vec<(String, String)> = match words.first() {
            Some(first) if !first.contains('=') => {
                let rest = args.trim_start()[first.len()..].trim();
                vec![(first.clone(), rest.to_string())]
            }
            _ => words
                .iter()
                .filter_map(|w| w.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let Some(stage) = &mut self.stage else {
            return;
        };
        for (name, raw) in pairs {
            // Values see the variables as they were before this instruction, as in Docker.
            let value = match expand::expand(&raw, &vars, self.escape) {
                Ok(v) => Value::Known(v),
                Err(_) => Value::Unknown,
            };
            stage.env.insert(name, value);
        }
    }

    /// `COPY`/`ADD [flags] <src>... <dest>`, shell or JSON form.
    fn copy(&mut self, line: usize, keyword: &str, args: &str) {
        let (flags, rest) = split_flags(args);
        let known: &[&str] = if keyword == "COPY" {
            &["from", "chown", "chmod", "link", "parents", "exclude"]
        } else {
            &[
                "chown",
                "chmod",
                "link",
                "parents",
                "exclude",
                "checksum",
                "keep-git-dir",
                "unpack",
            ]
        };
        let mut from = None;
        let mut parents = false;
        for (name, value) in &flags {
            if !known.contains(&name.as_str()) {
                return self.fall_back(
                    line,
                    &format!("the flag `--{name}` of {keyword} is not understood"),
                );
            }
            if name == "from" {
                from = Some(value.clone().unwrap_or_default());
            }
            parents |= name == "parents";
        }
        // A stage, an image or a named context: not this context.
        if let Some(reference) = from {
            return self.needs(&reference);
        }
        let json = rest
            .starts_with('[')
            .then(|| serde_json::from_str::<Vec<String>>(rest).ok())
            .flatten();
        let words: Vec<String> = match &json {
            Some(list) => list.clone(),
            None => rest.split_whitespace().map(str::to_string).collect(),
        };
        let Some((_dest, sources)) = words.split_last().filter(|(_, s)| !s.is_empty()) else {
            return self.fall_back(line, &format!("{keyword} needs a source and a destination"));
        };
        let vars = self.vars();
        for raw in sources {
            // A heredoc is inline content, not a file of the context.
            if json.is_none() && raw.starts_with("<<") {
                continue;
            }
            if keyword == "ADD" && is_remote(raw) {
                continue;
            }
            match expand::expand(raw, &vars, self.escape) {
                Ok(source) if keyword == "ADD" && is_remote(&source) => {}
                Ok(source) => self.read(line, keyword, &source, parents),
                Err(error) => self.fall_back(
                    line,
                    &format!("the {keyword} source `{raw}` {}", error.describe()),
                ),
            }
        }
    }

    /// `RUN [--mount=...]... <command>`: only a bind mount without `from=` reads the context.
    fn run(&mut self, line: usize, args: &str) {
        let (flags, _) = split_flags(args);
        for (name, value) in flags {
            match (name.as_str(), value) {
                ("network" | "security" | "device", _) => {}
                ("mount", Some(spec)) => self.mount(line, &spec),
                _ => self.fall_back(
                    line,
                    &format!("the flag `--{name}` of RUN is not understood"),
                ),
            }
        }
    }

    /// One `--mount` spec: comma-separated `key=value` fields; the type defaults to `bind`
    /// and a bind mount's source to the root of what it mounts.
    fn mount(&mut self, line: usize, spec: &str) {
        let vars = self.vars();
        let mut fields: BTreeMap<String, Result<String, ExpandError>> = BTreeMap::new();
        for field in spec.split(',') {
            let (key, value) = field.split_once('=').unwrap_or((field, ""));
            let value = expand::expand(value, &vars, self.escape);
            fields.insert(key.trim().to_ascii_lowercase(), value);
        }
        let kind = match fields.get("type") {
            None => Ok("bind".to_string()),
            Some(kind) => kind.clone(),
        };
        match kind.as_deref() {
            Ok("bind") => {}
            Ok("cache" | "tmpfs" | "secret" | "ssh") => return,
            Ok(other) => {
                return self.fall_back(line, &format!("the mount type `{other}` is not understood"))
            }
            Err(error) => {
                return self.fall_back(line, &format!("the mount type {}", error.describe()))
            }
        }
        if let Some(reference) = fields.get("from") {
            let reference = reference.clone().ok();
            return self.needs_stage(reference.as_deref());
        }
        let source = fields
            .get("source")
            .or_else(|| fields.get("src"))
            .cloned()
            .unwrap_or_else(|| Ok(".".to_string()));
        match source {
            Ok(source) => self.read(line, "RUN", &source, false),
            Err(error) => {
                self.fall_back(line, &format!("the bind mount source {}", error.describe()))
            }
        }
    }

    /// Records that `source` (expanded, as written) is read from the context.
    fn read(&mut self, line: usize, instruction: &str, source: &str, parents: bool) {
        // Docker resolves sources inside the context: a leading `/` or a `..` cannot leave it.
        let pattern = gopath::clean_in_context(source);
        if parents && pattern.contains("**") {
            // `COPY --parents` matches sources like include patterns, where `**` crosses
            // directories. Elsewhere Go's filepath.Match reads `**` as `*`.
            return self.fall_back(
                line,
                &format!("the {instruction} source `{source}` uses `**`"),
            );
        }
        let glob = match GoGlob::parse(&pattern) {
            Ok(glob) => glob,
            Err(error) => {
                return self.fall_back(
                    line,
                    &format!("the {instruction} source `{source}` is not a valid pattern: {error}"),
                )
            }
        };
        self.use_.sources.push(SourcePattern {
            pattern,
            line,
            instruction: instruction.to_string(),
            glob,
            stage: self.stages.len().checked_sub(1),
        });
    }
}

/// Splits the leading `--name[=value]` flags off `args`: the flags, and the rest.
fn split_flags(args: &str) -> (Vec<(String, Option<String>)>, &str) {
    let mut flags = Vec::new();
    let mut rest = args.trim_start();
    while let Some(flag) = rest.strip_prefix("--") {
        let end = flag.find(char::is_whitespace).unwrap_or(flag.len());
        let (name, value) = match flag[..end].split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (&flag[..end], None),
        };
        flags.push((name.to_ascii_lowercase(), value));
        rest = flag[end..].trim_start();
    }
    (flags, rest)
}

/// Whether an `ADD` source is fetched from elsewhere: a URL or a git remote.
fn is_remote(source: &str) -> bool {
    source.contains("://") || source.starts_with("git@")
}

/// Splits `ARG`/`ENV` arguments on blanks outside quotes, keeping quotes and escapes for
/// `expand` to remove.
fn split_words(args: &str, escape: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = args.chars();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                word.push(c);
                if c == q {
                    quote = None;
                } else if c == escape && q == '"' {
                    word.extend(chars.next());
                }
            }
            None if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            None => {
                word.push(c);
                if c == '"' || c == '\'' {
                    quote = Some(c);
                } else if c == escape {
                    word.extend(chars.next());
                }
            }
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod double_star_tests {
    use super::ContextUse;

    #[test]
    fn a_double_star_source_reads_the_whole_context() {
        let use_ = ContextUse::from_dockerfile("FROM scratch\nCOPY --parents src/**/*.go /app/\n");
        assert!(use_.whole_context);
        assert!(
            use_.warnings[0].contains("uses `**`"),
            "{:?}",
            use_.warnings
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(dockerfile: &str) -> ContextUse {
        ContextUse::from_dockerfile(dockerfile)
    }

    fn patterns(use_: &ContextUse) -> Vec<&str> {
        use_.sources.iter().map(|s| s.pattern.as_str()).collect()
    }

    fn no_ignore() -> DockerIgnore {
        DockerIgnore::default()
    }

    fn assert_read(use_: &ContextUse, ignore: &DockerIgnore, paths: &[&str]) {
        for path in paths {
            assert!(use_.matches(path, ignore), "{path} should be read");
        }
    }

    fn assert_unread(use_: &ContextUse, ignore: &DockerIgnore, paths: &[&str]) {
        for path in paths {
            assert!(!use_.matches(path, ignore), "{path} should not be read");
        }
    }

    /// Asserts a fallback to the whole context with one warning on `line` mentioning `text`.
    fn assert_fallback(use_: &ContextUse, line: usize, text: &str) {
        assert!(use_.whole_context, "{use_:?}");
        assert!(
            use_.warnings
                .iter()
                .any(|w| w.starts_with(&format!("line {line}: ")) && w.contains(text)),
            "no warning on line {line} about {text:?}: {:?}",
            use_.warnings
        );
    }

    #[test]
    fn single_stage_with_globbed_and_listed_sources() {
        let use_ = read(
            "FROM node:20\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY src ./src\nCOPY tsconfig.json .eslintrc /app/\nCMD [\"node\", \"src/index.js\"]\n",
        );
        assert_eq!(
            patterns(&use_),
            ["package*.json", "src", "tsconfig.json", ".eslintrc"]
        );
        assert!(!use_.whole_context);
        assert!(use_.warnings.is_empty());
        assert_read(
            &use_,
            &no_ignore(),
            &[
                "package.json",
                "package-lock.json",
                "src/index.js",
                "src/a/b.ts",
                ".eslintrc",
            ],
        );
        assert_unread(
            &use_,
            &no_ignore(),
            &["README.md", "test/a.test.js", "srcx/a", "lib/package.json"],
        );
    }

    #[test]
    fn a_readme_no_instruction_copies_is_unread() {
        let use_ = read("FROM python:3.12\nCOPY requirements.txt .\nCOPY app/ /app/\n");
        assert_unread(&use_, &no_ignore(), &["README.md", "docs/index.md"]);
        assert_read(&use_, &no_ignore(), &["requirements.txt", "app/main.py"]);
    }

    #[test]
    fn multi_stage_with_copy_from() {
        let use_ = read(
            "FROM golang:1.22 AS build\nWORKDIR /src\nCOPY go.mod go.sum ./\nCOPY cmd/ ./cmd/\nRUN go build -o /out/app ./cmd/app\n\nFROM alpine:3.20\nCOPY --from=build /out/app /usr/local/bin/app\nCOPY --from=nginx:latest /etc/nginx/nginx.conf /etc/nginx/\nCOPY --link --from=0 /src/go.mod /x\nCOPY config.yaml /etc/app/\n",
        );
        assert_eq!(patterns(&use_), ["go.mod", "go.sum", "cmd", "config.yaml"]);
        assert!(!use_.whole_context);
        assert_unread(
            &use_,
            &no_ignore(),
            &["out/app", "etc/nginx/nginx.conf", "src/go.mod"],
        );
        assert_read(&use_, &no_ignore(), &["cmd/app/main.go", "config.yaml"]);
    }

    #[test]
    fn copy_dot_reads_the_whole_context() {
        for text in [
            "FROM x\nCOPY . .\n",
            "FROM x\nADD . /x\n",
            "FROM x\nCOPY ./ /app\n",
            "FROM x\nCOPY / /app\n",
        ] {
            let use_ = read(text);
            assert!(use_.whole_context, "{text}");
            assert!(use_.warnings.is_empty(), "{text}");
            assert_eq!(patterns(&use_), ["."]);
            assert_read(&use_, &no_ignore(), &["anything", "a/b/c"]);
        }
    }

    #[test]
    fn copy_dot_with_a_dockerignore_that_excludes_and_re_includes() {
        let use_ = read("FROM x\nCOPY . .\n");
        let ignore = DockerIgnore::parse("node_modules\n*.md\n!README.md\ndocs\n!docs/api\n");
        let ignore = ignore.unwrap_or_else(|e| panic!("{e}"));
        assert_read(
            &use_,
            &ignore,
            &[
                "src/a.js",
                "README.md",
                "docs/api/index.html",
                "sub/notes.md",
            ],
        );
        assert_unread(
            &use_,
            &ignore,
            &["node_modules/x/index.js", "CHANGES.md", "docs/guide.html"],
        );
    }

    #[test]
    fn double_star_in_the_dockerignore_filters_a_copied_directory() {
        let use_ = read("FROM x\nCOPY src /src\n");
        let ignore =
            DockerIgnore::parse("**/*_test.go\n**/testdata\n").unwrap_or_else(|e| panic!("{e}"));
        assert_read(&use_, &ignore, &["src/main.go", "src/pkg/util.go"]);
        assert_unread(
            &use_,
            &ignore,
            &[
                "src/main_test.go",
                "src/pkg/util_test.go",
                "src/pkg/testdata/in.txt",
                "other.go",
            ],
        );
    }

    #[test]
    fn json_form_and_flags() {
        let use_ = read(
            "FROM x\nCOPY [\"a b\", \"c\", \"/dest/\"]\nCOPY --chown=1000:1000 --chmod=755 --link --parents --exclude=*.tmp lib/ /app/\nADD --chmod=644 [\"data/seed.sql\", \"/seed.sql\"]\n",
        );
        assert_eq!(patterns(&use_), ["a b", "c", "lib", "data/seed.sql"]);
        assert!(!use_.whole_context);
        assert_read(&use_, &no_ignore(), &["a b", "a b/inner", "lib/x.tmp"]);
    }

    #[test]
    fn add_of_a_url_or_a_git_remote_reads_nothing() {
        let use_ = read(
            "FROM x\nADD https://example.com/tool.tgz /opt/\nADD --checksum=sha256:abc http://example.com/a /a\nADD git@github.com:org/repo.git /src\nADD --keep-git-dir=true https://github.com/org/repo.git#v1.0 /repo\nADD vendor.tar.gz /vendor/\n",
        );
        assert_eq!(patterns(&use_), ["vendor.tar.gz"]);
        assert!(!use_.whole_context);
    }

    #[test]
    fn run_bind_mounts() {
        let use_ = read(
            "FROM x\nRUN --mount=type=bind,source=requirements.txt,target=/tmp/r.txt pip install -r /tmp/r.txt\nRUN --mount=type=cache,target=/root/.cache --mount=type=secret,id=npm pip install\nRUN --mount=type=bind,from=build,source=/out,target=/x cp -r /x /y\nRUN --network=none --mount=type=bind,src=go.mod,dst=/go.mod true\nRUN --mount=type=ssh git clone x\n",
        );
        assert_eq!(patterns(&use_), ["requirements.txt", "go.mod"]);
        assert!(!use_.whole_context);
        let rule = use_
            .source_for("go.mod")
            .map(|s| (s.line, s.instruction.as_str()));
        assert_eq!(rule, Some((5, "RUN")));
    }

    #[test]
    fn a_bind_mount_without_source_reads_the_whole_context() {
        for text in [
            "FROM x\nRUN --mount=target=/src make\n",
            "FROM x\nRUN --mount=type=bind,target=/src,rw make\n",
        ] {
            let use_ = read(text);
            assert!(use_.whole_context, "{text}");
            assert_eq!(patterns(&use_), ["."]);
        }
    }

    #[test]
    fn line_continuations_and_the_escape_directive() {
        let use_ = read("FROM x\nCOPY a \\\n  # a comment\n  b \\\n  /dst/\n");
        assert_eq!(patterns(&use_), ["a", "b"]);

        let use_ = read("# escape=`\nFROM mcr.microsoft.com/windows\nCOPY app `\n  conf C:\\app\\\nCOPY `$literal C:\\x\n");
        assert_eq!(patterns(&use_), ["app", "conf", "$literal"]);
        assert!(!use_.whole_context);
    }

    #[test]
    fn syntax_directive() {
        for syntax in [
            "docker/dockerfile:1",
            "docker/dockerfile:1.7-labs",
            "docker.io/docker/dockerfile:1@sha256:abc",
            "docker/dockerfile-upstream:master",
            "docker/dockerfile",
        ] {
            let use_ = read(&format!("# syntax={syntax}\nFROM x\nCOPY a /a\n"));
            assert!(!use_.whole_context, "{syntax}");
        }
        let use_ = read("# syntax=example.com/custom/frontend:1\nFROM x\nCOPY a /a\n");
        assert_fallback(&use_, 1, "example.com/custom/frontend:1");
    }

    #[test]
    fn heredocs() {
        let use_ = read(
            "# syntax=docker/dockerfile:1\nFROM x\nCOPY <<EOF /app/config.ini\n[section]\nkey = value\nEOF\nRUN <<EOF\nset -e\nCOPY secret /x\nADD . /\nEOF\nCOPY <<-EOT app.py /app/\n\tprint('hi')\n\tEOT\nRUN python3 <<'PY' > /out\nimport os\nPY\n",
        );
        assert_eq!(patterns(&use_), ["app.py"]);
        assert!(!use_.whole_context, "{use_:?}");
        assert!(use_.warnings.is_empty());
    }

    #[test]
    fn an_unterminated_heredoc_falls_back() {
        let use_ = read("FROM x\nRUN <<EOF\necho hi\nCOPY src /src\n");
        assert_fallback(&use_, 2, "<<EOF");
    }

    #[test]
    fn args_with_defaults_resolve_sources() {
        let use_ = read(
            "ARG APP_DIR=services/api\nFROM python AS base\nARG APP_DIR\nARG CONF=${APP_DIR}/conf\nCOPY ${APP_DIR}/requirements.txt $APP_DIR/src /app/\nCOPY $CONF /etc/app\nCOPY ${MISSING_BUT_DEFAULTED:-static} /static\n",
        );
        assert_eq!(
            patterns(&use_),
            [
                "services/api/requirements.txt",
                "services/api/src",
                "services/api/conf",
                "static"
            ]
        );
        assert!(!use_.whole_context, "{:?}", use_.warnings);
    }

    #[test]
    fn build_args_override_defaults() {
        let text = "FROM x\nARG DIR=default\nCOPY $DIR /d\n";
        let args = BTreeMap::from([("DIR".to_string(), "custom".to_string())]);
        assert_eq!(
            patterns(&ContextUse::from_dockerfile_with_args(text, &args)),
            ["custom"]
        );
        assert_eq!(patterns(&read(text)), ["default"]);
    }

    #[test]
    fn an_unresolvable_arg_falls_back_with_a_warning() {
        let use_ = read("FROM x\nARG TARGETARCH\nCOPY bin/${TARGETARCH}/tool /usr/bin/\n");
        assert_fallback(&use_, 3, "`TARGETARCH`");
        assert_read(&use_, &no_ignore(), &["anything/at/all"]);

        // A name no ARG declares may come from the base image's ENV.
        let use_ = read("FROM alpine\nCOPY ${DIR}/app /d\n");
        assert_fallback(&use_, 2, "`DIR`");

        let use_ = read("FROM x\nCOPY ${APP#prefix} /d\n");
        assert_fallback(&use_, 2, "does not support");
    }

    #[test]
    fn an_arg_without_a_value_is_empty() {
        let use_ = read("FROM scratch\nARG DIR\nCOPY ${DIR}app $DIR/lib /app/\n");
        assert_eq!(patterns(&use_), ["app", "lib"]);
        assert!(!use_.whole_context, "{:?}", use_.warnings);

        // A global ARG is not visible in a stage that does not declare it again: empty.
        let use_ = read("ARG DIR=x\nFROM alpine\nCOPY ${DIR}conf /d\n");
        assert_eq!(patterns(&use_), ["conf"]);
        assert!(!use_.whole_context, "{:?}", use_.warnings);

        // In a stage built from scratch no image gives a value: an undeclared name is empty.
        let use_ = read("FROM scratch AS base\nFROM base\nCOPY ${NOPE}conf /d\n");
        assert_eq!(patterns(&use_), ["conf"]);
        assert!(!use_.whole_context, "{:?}", use_.warnings);
    }

    #[test]
    fn a_double_star_in_a_plain_source_matches_like_one_star() {
        let use_ = read("FROM scratch\nCOPY src/**.go /app/\n");
        assert_eq!(patterns(&use_), ["src/**.go"]);
        assert!(!use_.whole_context, "{:?}", use_.warnings);
        assert_read(&use_, &no_ignore(), &["src/a.go", "src/b.go"]);
        assert_unread(&use_, &no_ignore(), &["src/x/a.go", "a.go"]);
    }

    #[test]
    fn only_the_stages_the_target_reaches_read() {
        let text = "FROM scratch AS unused\nCOPY a /a\nFROM scratch AS dep\nCOPY b /b\nFROM scratch AS mounted\nCOPY m /m\nFROM dep AS base\nCOPY c /c\nFROM scratch AS copied\nCOPY d /d\nFROM base\nCOPY --from=copied /d /d\nRUN --mount=type=bind,from=mounted,target=/m true\nCOPY e /e\n";
        let use_ = read(text);
        assert_eq!(patterns(&use_), ["b", "m", "c", "d", "e"]);
        let for_target =
            |target: &str| ContextUse::for_target(text, &BTreeMap::new(), Some(target));
        assert_eq!(patterns(&for_target("unused")), ["a"]);
        assert_eq!(patterns(&for_target("BASE")), ["b", "c"]);
        // A stage named by a number counts too.
        let use_ = read(
            "FROM scratch\nCOPY a /a\nFROM scratch\nCOPY b /b\nFROM scratch\nCOPY --from=1 /b /b\n",
        );
        assert_eq!(patterns(&use_), ["b"]);
        // An unreached stage's fallback does not widen the build.
        let use_ = read("FROM scratch AS old\nCOPY ${TARGETARCH} /x\nFROM scratch\nCOPY a /a\n");
        assert!(!use_.whole_context, "{:?}", use_.warnings);
        // A reference that cannot be expanded may be any earlier stage.
        let use_ = read("FROM scratch AS a\nCOPY a /a\nFROM scratch\nARG TARGETOS\nRUN --mount=from=${TARGETOS},target=/x true\n");
        assert_eq!(patterns(&use_), ["a"]);
        let use_ =
            read("FROM scratch AS a\nCOPY a /a\nFROM scratch\nARG TARGETOS\nCOPY --from=${TARGETOS} /a /a\n");
        assert_eq!(patterns(&use_), ["a"]);
        // A target that names no stage: the whole context, with a warning.
        assert!(for_target("nope").whole_context);
    }

    #[test]
    fn env_values_resolve_and_are_inherited_by_later_stages() {
        let use_ = read(
            "FROM alpine AS base\nENV CONF=conf SRC=\"lib dir\"\nENV LEGACY some/path\nCOPY $CONF /etc\nFROM base AS app\nCOPY ${SRC} $LEGACY /x\nFROM alpine\nCOPY --from=app /x /x\nCOPY $CONF /y\n",
        );
        assert_eq!(patterns(&use_), ["conf", "lib dir", "some/path"]);
        assert_fallback(&use_, 9, "`CONF`");
    }

    #[test]
    fn unknown_instructions_and_flags_fall_back() {
        assert_fallback(&read("FROM x\nFETCH src /src\n"), 2, "`FETCH`");
        assert_fallback(&read("FROM x\nCOPY --newflag=1 a /a\n"), 2, "`--newflag`");
        assert_fallback(&read("FROM x\nADD --from=build a /a\n"), 2, "`--from`");
        assert_fallback(&read("FROM x\nRUN --future=1 make\n"), 2, "`--future`");
        assert_fallback(
            &read("FROM x\nRUN --mount=type=volume,target=/v make\n"),
            2,
            "`volume`",
        );
        assert_fallback(
            &read("FROM x\nCOPY onlyone\n"),
            2,
            "source and a destination",
        );
        assert_fallback(&read("FROM x\nCOPY [abc /x\n"), 2, "not a valid pattern");
        assert_fallback(&read("FROM x\nCOPY \"my file\" /x\n"), 2, "unclosed");
    }

    #[test]
    fn instructions_that_read_nothing() {
        let use_ = read(
            "from alpine\nlabel a=b\nenv A=1\nworkdir /app\nuser app\nexpose 80\nvolume /data\nhealthcheck CMD true\nshell [\"/bin/sh\", \"-c\"]\nstopsignal SIGTERM\nonbuild COPY . /app\nentrypoint [\"x\"]\ncmd y\nmaintainer me\nrun make\n",
        );
        assert!(use_.sources.is_empty());
        assert!(!use_.whole_context, "{:?}", use_.warnings);
        assert!(!read("").whole_context);
    }

    #[test]
    fn sources_are_cleaned_relative_to_the_context() {
        let use_ =
            read("FROM x\nCOPY /etc/conf ./app/../lib 'quoted.txt' src/*.rs ../outside /dst/\n");
        assert_eq!(
            patterns(&use_),
            ["etc/conf", "lib", "quoted.txt", "src/*.rs", "outside"]
        );
        assert_read(&use_, &no_ignore(), &["lib/a", "src/main.rs", "./etc/conf"]);
        assert_unread(&use_, &no_ignore(), &["src/bin/main.rs", "app/x"]);
    }

    #[test]
    fn a_glob_covers_everything_under_the_directories_it_matches() {
        let use_ = read("FROM x\nCOPY src/* /src/\nCOPY pkg?/ /pkg/\n");
        assert_read(&use_, &no_ignore(), &["src/a", "src/a/b/c", "pkg1/x/y"]);
        assert_unread(&use_, &no_ignore(), &["src", "pkg10/x", "srcs/a"]);
    }

    #[test]
    fn dockerignore_wins_over_a_copy() {
        let use_ = read("FROM x\nCOPY src /src\n");
        let ignore = DockerIgnore::parse("src/generated\n").unwrap_or_else(|e| panic!("{e}"));
        assert_unread(&use_, &ignore, &["src/generated/x.rs"]);
        assert_read(&use_, &ignore, &["src/main.rs"]);
        let source = use_
            .source_for("src/generated/x.rs")
            .map(|s| (s.line, s.pattern.as_str()));
        assert_eq!(source, Some((2, "src")));
    }

    #[test]
    fn split_words_keeps_quotes_together() {
        assert_eq!(
            split_words("A=\"x y\" B='p q' C=a\\ b D", '\\'),
            ["A=\"x y\"", "B='p q'", "C=a\\ b", "D"]
        );
    }

    #[test]
    fn frontend_names() {
        assert!(is_dockerfile_frontend("docker/dockerfile:1.4"));
        assert!(is_dockerfile_frontend(
            "docker.io/docker/dockerfile@sha256:00"
        ));
        assert!(!is_dockerfile_frontend("docker/dockerfile-custom:1"));
        assert!(!is_dockerfile_frontend("tonistiigi/dockerfile:runmount"));
    }
}
