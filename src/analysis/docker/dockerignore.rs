//! `.dockerignore`: which files of a build context Docker leaves out, with the semantics of
//! moby's `patternmatcher` (what `docker build` and BuildKit use), quirks included.
//!
//! Reading follows moby's `ignorefile.ReadAll`: a UTF-8 BOM is dropped, a line whose first
//! character is `#` is a comment, every other line is trimmed, blank lines are skipped, a
//! leading `!` marks an exception, and the pattern is cleaned (Go's `path.Clean`) with one
//! leading `/` removed. Each pattern is Go's `filepath.Match` plus `**`; a pattern that
//! matches a parent directory matches everything under it; the last pattern that applies
//! decides, so a later `!` can bring back a file under an excluded directory. Where the
//! classic builder and BuildKit apply that differently, a path is excluded only when both
//! exclude it (see [`DockerIgnore::excluding_rule`]). The Dockerfile and the `.dockerignore`
//! itself are always sent.
//!
//! It must not read files or decide routing; it answers one question about one path.

use super::gomatch::{self, Token};
use super::gopath;

/// Paths Docker sends whatever the patterns say, because the builder itself needs them.
const ALWAYS_SENT: [&str; 2] = [".dockerignore", "Dockerfile"];

/// A `.dockerignore` line that Docker would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: invalid pattern `{pattern}`: {reason}")]
pub struct DockerIgnoreError {
    /// The 1-based line of the `.dockerignore`.
    pub line: usize,
    /// The line as written, trimmed.
    pub pattern: String,
    /// Why it is invalid, as one lowercase phrase.
    pub reason: String,
}

/// One pattern of a `.dockerignore`.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The 1-based line it came from.
    pub line: usize,
    /// The pattern after cleaning, without its `!`.
    pub pattern: String,
    /// Whether the line started with `!`: a match re-includes instead of excluding.
    pub exception: bool,
    matcher: Matcher,
}

/// How moby matches one cleaned pattern. It picks a plain string comparison when the pattern
/// allows one, and those shortcuts are not always what the regexp would say (`**foo` matches
/// `barfoo` as a suffix, for example), so the kinds are kept apart to match Docker exactly.
#[derive(Debug, Clone)]
enum Matcher {
    /// No wildcard: the path equals the pattern.
    Exact,
    /// `prefix**` with no other wildcard: the path starts with `prefix`.
    Prefix(String),
    /// `**suffix` with no other wildcard: the path ends with `suffix`, or `**/name` is `name`.
    Suffix(String),
    /// Anything else, matched as moby's regexp would.
    Tokens(Vec<Token>),
}

/// The parsed `.dockerignore` of one build context. The default excludes nothing, which is
/// what a context without a `.dockerignore` gets.
#[derive(Debug, Clone)]
pub struct DockerIgnore {
    rules: Vec<Rule>,
    always_sent: Vec<String>,
}

impl Default for DockerIgnore {
    fn default() -> Self {
        DockerIgnore {
            rules: Vec::new(),
            always_sent: ALWAYS_SENT.iter().map(|p| p.to_string()).collect(),
        }
    }
}

impl DockerIgnore {
    /// Parses the text of a `.dockerignore`. The first invalid pattern is an error naming its
    /// line: Docker fails the build on it, so no answer about the context would be true.
    pub fn parse(text: &str) -> Result<DockerIgnore, DockerIgnoreError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut ignore = DockerIgnore::default();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            // Only a `#` in column 1 starts a comment; `  # x` is a pattern, as in Docker.
            if raw.starts_with('#') {
                continue;
            }
            let trimmed = raw.trim();
            if trimmed.is_empty() {
                continue;
            }
            let error = |reason: &str| DockerIgnoreError {
                line,
                pattern: trimmed.to_string(),
                reason: reason.to_string(),
            };
            let rule = read_line(trimmed).map_err(|reason| error(&reason))?;
            let (exception, pattern) = match rule.strip_prefix('!') {
                Some("") => return Err(error("a `!` must be followed by a pattern")),
                Some(rest) => (true, rest.to_string()),
                None => (false, rule),
            };
            let matcher = compile(&pattern).map_err(|reason| error(&reason))?;
            ignore.rules.push(Rule {
                line,
                pattern,
                exception,
                matcher,
            });
        }
        Ok(ignore)
    }

    /// Also always sends `path_in_context`, as Docker does for a Dockerfile with another name
    /// or place (`docker/Dockerfile.prod`) and for `<Dockerfile>.dockerignore`.
    pub fn always_send(mut self, path_in_context: &str) -> DockerIgnore {
        self.always_sent
            .push(gopath::clean_in_context(path_in_context));
        self
    }

    /// The patterns, in file order.
    #[cfg(test)]
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Whether Docker leaves `path_in_context` (a `/`-separated path relative to the context
    /// root, naming a file or a directory) out of the build context.
    ///
    /// moby has two ways of applying the same patterns, and they disagree on some orderings
    /// of `!` exceptions: the classic builder asks `MatchesOrParentMatches` of each path, while
    /// BuildKit walks the context with `MatchesUsingParentResults`, carrying each directory's
    /// results down to its entries. A path counts as excluded only when both exclude it, so
    /// that whichever builder runs, a file it sends is never reported as left out.
    #[cfg(test)]
    pub fn is_excluded(&self, path_in_context: &str) -> bool {
        self.excluding_rule(path_in_context).is_some()
    }

    /// The rule that excludes `path_in_context` (the last one that applied), or `None` when
    /// the path is sent.
    pub fn excluding_rule(&self, path_in_context: &str) -> Option<&Rule> {
        let file = gopath::clean_in_context(path_in_context);
        // Docker never excludes the context root, and always sends what the builder needs.
        if file == "." || self.always_sent.contains(&file) {
            return None;
        }
        let rule = self
            .classic_decision(&file)
            .filter(|rule| !rule.exception)?;
        self.walk_excludes(&file).then_some(rule)
    }

    /// The classic builder's answer (`MatchesOrParentMatches`): the last rule that applied to
    /// `file` or to one of its parent directories.
    fn classic_decision(&self, file: &str) -> Option<&Rule> {
        let parents: Vec<&str> = match file.rfind('/') {
            Some(end) => file[..end].split('/').collect(),
            None => Vec::new(),
        };
        let mut decided: Option<&Rule> = None;
        for rule in &self.rules {
            let excluded = decided.is_some_and(|r| !r.exception);
            // An exclusion cannot change an excluded path, nor an exception a sent one.
            if rule.exception != excluded {
                continue;
            }
            let applies = rule.matches(file)
                || (1..=parents.len()).any(|depth| rule.matches(&parents[..depth].join("/")));
            if applies {
                decided = Some(rule);
            }
        }
        decided
    }

    /// BuildKit's answer: walk from the context root down to `file`, each entry inheriting the
    /// rules its directory matched. A rule skipped for a directory (it could not change that
    /// directory's state) is not inherited, which is where this differs from the classic one.
    fn walk_excludes(&self, file: &str) -> bool {
        let parts: Vec<&str> = file.split('/').collect();
        let mut inherited: Vec<bool> = vec![false; self.rules.len()];
        let mut excluded = false;
        for depth in 1..=parts.len() {
            let path = parts[..depth].join("/");
            let mut matched_here = vec![false; self.rules.len()];
            excluded = false;
            for (index, rule) in self.rules.iter().enumerate() {
                let mut applies = inherited[index];
                if !applies {
                    if rule.exception != excluded {
                        continue;
                    }
                    applies = rule.matches(&path);
                }
                matched_here[index] = applies;
                if applies {
                    excluded = !rule.exception;
                }
            }
            inherited = matched_here;
        }
        excluded
    }
}

impl Rule {
    fn matches(&self, path: &str) -> bool {
        self.matcher.matches(&self.pattern, path)
    }
}

/// What `ignorefile.ReadAll` and then `patternmatcher.New` make of one trimmed line: the
/// pattern cleaned with its leading `/` removed, `!` kept in front. moby cleans twice (once
/// without the `!`, once with it) and the second pass can change the result (`! /` becomes a
/// bare `!`), so both passes happen here too.
fn read_line(trimmed: &str) -> Result<String, String> {
    let (exception, body) = match trimmed.strip_prefix('!') {
        Some(rest) => (true, rest.trim()),
        None => (false, trimmed),
    };
    let mut pattern = String::new();
    if !body.is_empty() {
        let cleaned = gopath::clean(body);
        pattern = match cleaned.strip_prefix('/') {
            Some(rest) if !rest.is_empty() => rest.to_string(),
            _ => cleaned,
        };
    }
    if exception {
        pattern.insert(0, '!');
    }
    Ok(gopath::clean(pattern.trim()))
}

/// Compiles a cleaned pattern the way moby's `Pattern.compile` does: which kind of match it
/// needs, and for the regexp kind, the tokens of that regexp.
fn compile(pattern: &str) -> Result<Matcher, String> {
    // Docker checks the syntax with Go's own `filepath.Match` first.
    gomatch::GoGlob::parse(pattern).map_err(|e| e.0)?;

    #[derive(PartialEq)]
    enum Kind {
        Exact,
        Prefix,
        Suffix,
        Tokens,
    }
    let chars: Vec<char> = pattern.chars().collect();
    let mut tokens = Vec::new();
    let mut kind = Kind::Exact;
    let mut i = 0;
    let mut first = true;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' if chars.get(i) == Some(&'*') => {
                i += 1;
                // `**/` is `**`: the slash is part of "any directories".
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                if i >= chars.len() {
                    // A trailing `**` takes everything after it.
                    if kind == Kind::Exact {
                        kind = Kind::Prefix;
                    } else {
                        tokens.push(Token::AnyTail);
                        kind = Kind::Tokens;
                    }
                } else {
                    tokens.push(Token::AnyDirs);
                    kind = Kind::Tokens;
                }
                // A leading `**` is matched as a suffix, unless a later wildcard needs the
                // regexp after all.
                if first {
                    kind = Kind::Suffix;
                }
            }
            '*' => {
                tokens.push(Token::Star);
                kind = Kind::Tokens;
            }
            '?' => {
                tokens.push(Token::Question);
                kind = Kind::Tokens;
            }
            '\\' => match chars.get(i) {
                Some(&next) => {
                    // moby hands `\x` to Go's regexp, where a letter escape can mean a class
                    // (`\d`); Go's `filepath.Match`, which Docker documents, makes it the
                    // literal character. The documented meaning is taken.
                    tokens.push(Token::Literal(next));
                    i += 1;
                    kind = Kind::Tokens;
                }
                None => tokens.push(Token::Literal('\\')),
            },
            '[' => {
                let (class, next) = gomatch::parse_class(&chars, i).map_err(|e| e.0)?;
                if class.has_reversed_range() {
                    return Err("a `[...]` range runs backwards".to_string());
                }
                tokens.push(Token::Class(class));
                i = next;
                kind = Kind::Tokens;
            }
            ']' => {
                tokens.push(Token::Literal(']'));
                kind = Kind::Tokens;
            }
            other => tokens.push(Token::Literal(other)),
        }
        first = false;
    }
    Ok(match kind {
        Kind::Exact => Matcher::Exact,
        Kind::Prefix => Matcher::Prefix(pattern[..pattern.len() - 2].to_string()),
        Kind::Suffix => Matcher::Suffix(pattern[2..].to_string()),
        Kind::Tokens => Matcher::Tokens(tokens),
    })
}

impl Matcher {
    fn matches(&self, pattern: &str, path: &str) -> bool {
        match self {
            Matcher::Exact => path == pattern,
            Matcher::Prefix(prefix) => path.starts_with(prefix.as_str()),
            Matcher::Suffix(suffix) => {
                path.ends_with(suffix.as_str())
                    || suffix.strip_prefix('/').is_some_and(|name| path == name)
            }
            Matcher::Tokens(tokens) => gomatch::matches_tokens(tokens, path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignore(text: &str) -> DockerIgnore {
        DockerIgnore::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn assert_excluded(ignore: &DockerIgnore, paths: &[&str]) {
        for path in paths {
            assert!(ignore.is_excluded(path), "{path} should be excluded");
        }
    }

    fn assert_sent(ignore: &DockerIgnore, paths: &[&str]) {
        for path in paths {
            assert!(!ignore.is_excluded(path), "{path} should be sent");
        }
    }

    #[test]
    fn docs_example_temp_patterns() {
        let ig = ignore("# comment\n*/temp*\n*/*/temp*\ntemp?\n");
        assert_excluded(
            &ig,
            &[
                "somedir/temporary.txt",
                "somedir/temp",
                "somedir/temp/inside.txt",
                "somedir/subdir/temporary.txt",
                "tempa",
                "tempb",
            ],
        );
        assert_sent(
            &ig,
            &[
                "temp",
                "temporary.txt",
                "tempab",
                "a/b/c/temp.txt",
                "# comment",
            ],
        );
        assert_eq!(ig.rules().len(), 3);
    }

    #[test]
    fn docs_example_double_star_go_files() {
        let ig = ignore("**/*.go\n");
        assert_excluded(&ig, &["main.go", "cmd/app/main.go", "a/b/c/d.go"]);
        assert_sent(&ig, &["main.go.txt", "go", "cmd/app/README"]);
    }

    #[test]
    fn docs_example_markdown_except_readme() {
        let ig = ignore("*.md\n!README.md\n");
        assert_excluded(&ig, &["CHANGES.md", "notes.md"]);
        assert_sent(&ig, &["README.md", "docs/guide.md", "main.rs"]);
    }

    #[test]
    fn docs_example_last_matching_line_wins() {
        let ig = ignore("*.md\n!README*.md\nREADME-secret.md\n");
        assert_excluded(&ig, &["CHANGES.md", "README-secret.md"]);
        assert_sent(&ig, &["README.md", "README-dev.md"]);

        let ig = ignore("*.md\nREADME-secret.md\n!README*.md\n");
        assert_excluded(&ig, &["CHANGES.md"]);
        assert_sent(&ig, &["README.md", "README-secret.md", "README-dev.md"]);
    }

    #[test]
    fn docs_example_include_only_with_star_then_exceptions() {
        let ig = ignore("*\n!src\n!package*.json\n");
        assert_excluded(&ig, &["node_modules/x/index.js", "README.md", "tests/a.rs"]);
        assert_sent(
            &ig,
            &[
                "src",
                "src/main.rs",
                "src/a/b/c.rs",
                "package.json",
                "package-lock.json",
            ],
        );
    }

    #[test]
    fn a_directory_pattern_excludes_everything_under_it() {
        let ig = ignore("node_modules\nbuild/\n.git\n");
        assert_excluded(
            &ig,
            &[
                "node_modules",
                "node_modules/a/b.js",
                "build/out.o",
                ".git/HEAD",
            ],
        );
        assert_sent(&ig, &["src/node_modules/x", "node_modules.txt", "builds/x"]);
    }

    #[test]
    fn an_exception_re_includes_a_file_under_an_excluded_directory() {
        let ig = ignore("docs\n!docs/keep.md\n");
        assert_excluded(&ig, &["docs/other.md", "docs/sub/x.md"]);
        assert_sent(&ig, &["docs/keep.md"]);

        let ig = ignore("vendor\n!vendor/keep\n");
        assert_sent(&ig, &["vendor/keep/a.go", "vendor/keep"]);
        assert_excluded(&ig, &["vendor/drop/a.go"]);
    }

    #[test]
    fn an_exception_only_matters_after_an_exclusion() {
        let ig = ignore("!README.md\n*.md\n");
        assert_excluded(&ig, &["README.md"]);
        let rule = ig.excluding_rule("README.md").map(|r| r.line);
        assert_eq!(rule, Some(2));
        assert!(ig.excluding_rule("main.rs").is_none());
    }

    #[test]
    fn leading_slash_and_dot_slash_are_stripped() {
        for text in [
            "/foo/bar",
            "./foo/bar",
            "foo//bar/",
            "foo/./bar",
            "foo/x/../bar",
        ] {
            let ig = ignore(text);
            assert_excluded(&ig, &["foo/bar", "foo/bar/baz"]);
            assert_sent(&ig, &["x/foo/bar", "foo", "bar"]);
        }
    }

    #[test]
    fn whitespace_comments_and_blank_lines() {
        let ig =
            ignore("\u{feff}# a comment\n\n   \n  *.log  \r\n  # not a comment\n\t!keep.log\n");
        assert_excluded(&ig, &["debug.log", "# not a comment"]);
        assert_sent(&ig, &["keep.log", "# a comment", "a/debug.log"]);
        let lines: Vec<usize> = ig.rules().iter().map(|r| r.line).collect();
        assert_eq!(lines, [4, 5, 6]);
    }

    #[test]
    fn the_dockerfile_and_dockerignore_are_always_sent() {
        let ig = ignore("*\n");
        assert_sent(&ig, &[".dockerignore", "Dockerfile", "./Dockerfile"]);
        assert_excluded(&ig, &["docker/Dockerfile.prod", "Dockerfile.dockerignore"]);

        let ig = ignore("*\n")
            .always_send("docker/Dockerfile.prod")
            .always_send("Dockerfile.dockerignore");
        assert_sent(&ig, &["docker/Dockerfile.prod", "Dockerfile.dockerignore"]);
        assert_excluded(&ig, &["docker/other"]);
    }

    #[test]
    fn double_star_forms() {
        let ig = ignore("**\n");
        assert_excluded(&ig, &["a", "a/b/c"]);

        let ig = ignore("**/foo\n");
        assert_excluded(&ig, &["foo", "a/foo", "a/b/foo", "a/foo/inside"]);
        assert_sent(&ig, &["afoo", "foo.txt"]);

        let ig = ignore("foo/**\n");
        assert_excluded(&ig, &["foo/x", "foo/x/y"]);
        // moby's prefix match needs the slash: the directory itself is still sent.
        assert_sent(&ig, &["foo", "foobar"]);

        let ig = ignore("a/**/b\n");
        assert_excluded(&ig, &["a/b", "a/x/b", "a/x/y/b", "a/x/b/c"]);
        assert_sent(&ig, &["a/xb", "b", "x/a/b"]);

        let ig = ignore("**/node_modules/**\n");
        assert_excluded(&ig, &["node_modules/a", "web/node_modules/a/b.js"]);

        let ig = ignore("**/*.md\n!**/README.md\n");
        assert_excluded(&ig, &["a.md", "docs/a/b.md"]);
        assert_sent(&ig, &["README.md", "docs/README.md"]);
    }

    #[test]
    fn moby_match_kind_quirks_are_kept() {
        // A leading `**` with nothing else to match is a plain suffix test.
        let ig = ignore("**foo\n");
        assert_excluded(&ig, &["barfoo", "x/foo"]);
        // A trailing `**` after a literal is a plain prefix test.
        let ig = ignore("foo**\n");
        assert_excluded(&ig, &["foobar", "foo/x"]);
        // `**` in the middle needs a `/` to end the directories it stands for.
        let ig = ignore("a**b\n");
        assert_excluded(&ig, &["ab", "ax/b"]);
        assert_sent(&ig, &["axb"]);
    }

    #[test]
    fn go_glob_features() {
        let ig = ignore("temp[0-9]\nlog[^s]\nfile\\*\nwhat?\n");
        assert_excluded(&ig, &["temp7", "logx", "file*", "whats"]);
        assert_sent(&ig, &["tempx", "logs", "filex", "what"]);
        // `!` inside a class is a member, not a negation, as in Go.
        let ig = ignore("x[!a]\n");
        assert_excluded(&ig, &["x!"]);
        assert_sent(&ig, &["xb"]);
    }

    #[test]
    fn paths_are_normalised_before_matching() {
        let ig = ignore("src/gen\n");
        assert_excluded(
            &ig,
            &["./src/gen/a.rs", "/src/gen", "src//gen/", "x/../src/gen/b"],
        );
        assert_sent(&ig, &[".", ""]);
    }

    #[test]
    fn an_empty_file_excludes_nothing() {
        for ig in [
            ignore(""),
            ignore("# only a comment\n\n"),
            DockerIgnore::default(),
        ] {
            assert!(ig.rules().is_empty());
            assert_sent(&ig, &["anything", "a/b/c"]);
        }
    }

    #[test]
    fn invalid_patterns_name_their_line() {
        let err = DockerIgnore::parse("ok\n# fine\nbad[\n").err();
        assert_eq!(
            err.map(|e| e.to_string()),
            Some("line 3: invalid pattern `bad[`: a `[` is not closed by `]`".to_string())
        );
        for (text, line) in [
            ("!\n", 1),
            ("a\n  !  \n", 2),
            ("! /\n", 1),
            ("x\\\n", 1),
            ("[z-a]\n", 1),
            ("[]a]\n", 1),
        ] {
            let err = DockerIgnore::parse(text).err();
            assert_eq!(err.map(|e| e.line), Some(line), "{text:?}");
        }
    }

    #[test]
    fn a_path_either_builder_sends_is_sent() {
        // BuildKit does not carry `dir` (skipped for `dir/sub`) down to `dir/sub/x`, so it
        // sends what the classic builder excludes.
        let ig = ignore("dir\n!dir/sub\ndir\n");
        assert_sent(&ig, &["dir/sub/x", "dir/sub"]);
        assert_excluded(&ig, &["dir/other", "dir"]);

        assert!(ig
            .classic_decision("dir/sub/x")
            .is_some_and(|r| !r.exception));
        assert!(!ig.walk_excludes("dir/sub/x"));

        // The classic builder applies `!dir` to `dir/file` through its parent; BuildKit, having
        // skipped it for `dir`, does not.
        let ig = ignore("dir/file\n!dir\n");
        assert_sent(&ig, &["dir/file"]);
        assert!(ig.classic_decision("dir/file").is_some_and(|r| r.exception));
        assert!(ig.walk_excludes("dir/file"));
    }

    #[test]
    fn exception_with_spaces_after_the_bang() {
        let ig = ignore("*.txt\n! keep.txt\n");
        assert_sent(&ig, &["keep.txt"]);
        assert_excluded(&ig, &["drop.txt"]);
    }
}
