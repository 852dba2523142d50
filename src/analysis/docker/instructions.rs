//! The lexical layer of a Dockerfile: parser directives, comments, line continuations and
//! heredoc bodies, turned into a list of logical instructions with the line each starts on.
//!
//! It follows BuildKit's parser: directives (`# syntax=`, `# escape=`, `# check=`) count
//! only before the first comment, blank line or instruction; a comment is a line whose first
//! non-blank character is `#`, and comment and blank lines inside a continuation are dropped;
//! a line continues when it ends with the escape character (trailing blanks allowed); and the
//! body of each heredoc of a `RUN`, `COPY` or `ADD` (`<<EOF`, `<<-EOF`, `<<"EOF"`) is skipped,
//! so that its lines are never read as instructions.
//!
//! It must not interpret instructions: what they read is `dockerfile`'s business.

/// One logical instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Instruction {
    /// The 1-based line it starts on.
    pub line: usize,
    /// The instruction word, upper-cased (`COPY`).
    pub keyword: String,
    /// Everything after the keyword, continuations joined, trimmed.
    pub args: String,
}

/// A Dockerfile split into instructions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lexed {
    /// The escape character: `\` unless `# escape=` says `` ` ``.
    pub escape: char,
    /// The `# syntax=` directive's value and line, when present.
    pub syntax: Option<(String, usize)>,
    pub instructions: Vec<Instruction>,
    /// What could not be read as BuildKit would, by line: the caller must assume the worst.
    pub problems: Vec<(usize, String)>,
}

/// Splits `text` into instructions.
pub(crate) fn lex(text: &str) -> Lexed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.lines().collect();
    let mut lexed = Lexed {
        escape: '\\',
        syntax: None,
        instructions: Vec::new(),
        problems: Vec::new(),
    };
    read_directives(&lines, &mut lexed);
    let escape = lexed.escape;

    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let start = i;
        let mut logical = String::new();
        let mut continued = true;
        while continued && i < lines.len() {
            let line = lines[i];
            i += 1;
            let t = line.trim_start();
            if i - 1 > start && (t.is_empty() || t.starts_with('#')) {
                continue;
            }
            match strip_continuation(line, escape) {
                Some(body) => logical.push_str(body),
                None => {
                    logical.push_str(line);
                    continued = false;
                }
            }
        }
        let logical = logical.trim();
        let (keyword, args) = match logical.find(char::is_whitespace) {
            Some(at) => (&logical[..at], logical[at..].trim()),
            None => (logical, ""),
        };
        let keyword = keyword.to_ascii_uppercase();
        if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") && !args.starts_with('[') {
            for (name, chomp) in args.split_whitespace().filter_map(heredoc_name) {
                let mut terminated = false;
                while i < lines.len() {
                    let line = lines[i];
                    i += 1;
                    let line = if chomp {
                        line.trim_start_matches('\t')
                    } else {
                        line
                    };
                    // Trailing blanks are forgiven: ending a body early can only make the
                    // reader see more instructions, never fewer.
                    if line.trim_end() == name {
                        terminated = true;
                        break;
                    }
                }
                if !terminated {
                    lexed.problems.push((
                        start + 1,
                        format!("the heredoc `<<{name}` is never terminated"),
                    ));
                }
            }
        }
        lexed.instructions.push(Instruction {
            line: start + 1,
            keyword,
            args: args.to_string(),
        });
    }
    lexed
}

/// Reads the parser directives at the top of the file into `lexed`.
fn read_directives(lines: &[&str], lexed: &mut Lexed) {
    let mut seen: Vec<String> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some((key, value)) = directive(line) else {
            return;
        };
        // A repeated or unknown directive is a comment, and a comment ends the directives.
        if seen.contains(&key) || !matches!(key.as_str(), "syntax" | "escape" | "check") {
            return;
        }
        match key.as_str() {
            "escape" => match value.as_str() {
                "\\" => lexed.escape = '\\',
                "`" => lexed.escape = '`',
                _ => lexed.problems.push((
                    index + 1,
                    format!("the escape directive `{value}` is neither `\\` nor `` ` ``"),
                )),
            },
            "syntax" => lexed.syntax = Some((value.clone(), index + 1)),
            _ => {}
        }
        seen.push(key);
    }
}

/// `# key=value` with the key lower-cased, when `line` has that form.
fn directive(line: &str) -> Option<(String, String)> {
    let rest = line.trim_start().strip_prefix('#')?;
    let (key, value) = rest.split_once('=')?;
    let key = key.trim();
    let mut chars = key.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric());
    let value = value.trim();
    (valid && !value.is_empty()).then(|| (key.to_ascii_lowercase(), value.to_string()))
}

/// The line without its continuation mark, when it ends with one.
fn strip_continuation(line: &str, escape: char) -> Option<&str> {
    line.trim_end_matches([' ', '\t']).strip_suffix(escape)
}

/// The heredoc a word opens (`<<EOF`, `<<-EOF`, `<<"EOF"`): its terminator and whether
/// leading tabs are stripped (`<<-`).
fn heredoc_name(word: &str) -> Option<(String, bool)> {
    let rest = word.strip_prefix("<<")?;
    let (chomp, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let name: String = rest.chars().filter(|&c| c != '"' && c != '\'').collect();
    (!name.is_empty() && !name.contains('<')).then_some((name, chomp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(text: &str) -> Vec<(usize, String, String)> {
        lex(text)
            .instructions
            .into_iter()
            .map(|i| (i.line, i.keyword, i.args))
            .collect()
    }

    fn row(line: usize, keyword: &str, args: &str) -> (usize, String, String) {
        (line, keyword.to_string(), args.to_string())
    }

    #[test]
    fn instructions_comments_and_blank_lines() {
        let text = "# a comment\nFROM alpine AS base\n\n  # indented comment\ncopy a b\n";
        assert_eq!(
            summary(text),
            [row(2, "FROM", "alpine AS base"), row(5, "COPY", "a b")]
        );
    }

    #[test]
    fn continuations_join_and_drop_comments_inside() {
        let text = "FROM x\nCOPY a \\\n  # comment\n\n  b \\  \n  /dst/\nRUN true\n";
        assert_eq!(
            summary(text),
            [
                row(1, "FROM", "x"),
                row(2, "COPY", "a   b   /dst/"),
                row(7, "RUN", "true")
            ]
        );
    }

    #[test]
    fn escape_directive_changes_the_continuation() {
        let text = "# escape=`\nFROM x\nCOPY a `\n  b\\ c\\\nRUN d\n";
        let lexed = lex(text);
        assert_eq!(lexed.escape, '`');
        let rows: Vec<_> = lexed.instructions.iter().map(|i| i.args.clone()).collect();
        assert_eq!(rows, ["x", "a   b\\ c\\", "d"]);
    }

    #[test]
    fn directives_only_count_at_the_top() {
        let lexed = lex("# syntax=docker/dockerfile:1\n# escape=`\nFROM x\n");
        assert_eq!(lexed.syntax, Some(("docker/dockerfile:1".to_string(), 1)));
        assert_eq!(lexed.escape, '`');

        let lexed = lex("# a comment\n# escape=`\nFROM x\n");
        assert_eq!(lexed.escape, '\\');
        let lexed = lex("FROM x\n# syntax=other/frontend\n");
        assert_eq!(lexed.syntax, None);
        let lexed = lex("\n# escape=`\nFROM x\n");
        assert_eq!(lexed.escape, '\\');
        let lexed = lex("#Syntax = docker/dockerfile:1.7\n#ESCAPE=`\nFROM x\n");
        assert_eq!(lexed.escape, '`');
        assert!(lexed.syntax.is_some());
    }

    #[test]
    fn a_bad_escape_directive_is_a_problem() {
        let lexed = lex("# escape=x\nFROM x\n");
        assert_eq!(lexed.problems.len(), 1);
        assert_eq!(lexed.problems[0].0, 1);
    }

    #[test]
    fn heredoc_bodies_are_not_instructions() {
        let text = "FROM x\nRUN <<EOF\nCOPY secret /x\nADD . /\nEOF\nCOPY <<-'END' /etc/conf\n\tFROM nothing\n\tEND\nCMD run\n";
        assert_eq!(
            summary(text),
            [
                row(1, "FROM", "x"),
                row(2, "RUN", "<<EOF"),
                row(6, "COPY", "<<-'END' /etc/conf"),
                row(9, "CMD", "run")
            ]
        );
        assert!(lex(text).problems.is_empty());
    }

    #[test]
    fn several_heredocs_in_one_instruction() {
        let text = "RUN <<A cat - <<\"B\"\nCOPY x y\nA\nADD z w\nB\nCOPY real /r\n";
        assert_eq!(
            summary(text),
            [
                row(1, "RUN", "<<A cat - <<\"B\""),
                row(6, "COPY", "real /r")
            ]
        );
    }

    #[test]
    fn heredocs_only_for_run_copy_add_and_not_herestrings() {
        let text = "CMD <<EOF\nCOPY a b\nRUN cat <<<word\nCOPY c d\n";
        let keywords: Vec<_> = summary(text).into_iter().map(|r| r.1).collect();
        assert_eq!(keywords, ["CMD", "COPY", "RUN", "COPY"]);
    }

    #[test]
    fn an_unterminated_heredoc_is_a_problem() {
        let lexed = lex("FROM x\nRUN <<EOF\necho hi\n");
        assert_eq!(lexed.problems.len(), 1);
        assert_eq!(lexed.problems[0].0, 2);
    }

    #[test]
    fn crlf_and_bom() {
        let text = "\u{feff}FROM x\r\nCOPY a \\\r\n b /c\r\n";
        assert_eq!(
            summary(text),
            [row(1, "FROM", "x"), row(2, "COPY", "a  b /c")]
        );
    }
}
