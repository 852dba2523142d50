//! Dockerfile word expansion: `$VAR`, `${VAR}` and its `-`/`+`/`?` forms, quote removal and
//! the escape character, as BuildKit's shell lexer applies them to `COPY`/`ADD` sources,
//! `RUN --mount` options and `ARG`/`ENV` values.
//!
//! A variable either has a value the Dockerfile gives (an `ARG` default, an `ENV`, a build
//! argument passed in), is unset, or has a value only the builder knows (`TARGETARCH`, or an
//! `ENV` computed from such a value). Expansion that needs a value it cannot know fails with
//! the variable's name instead of guessing: the caller then assumes the worst.
//!
//! It must not decide what an instruction reads; it turns one word into its final text.

use std::collections::BTreeMap;

/// What the reader knows about a variable at one point of the Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// The value is this text.
    Known(String),
    /// Declared without a value (or never declared where no image can give one): empty, as
    /// Docker expands it.
    Unset,
    /// The builder sets it (`TARGETARCH`) or it was computed from something unknown.
    Unknown,
}

/// The variables in scope, by name. The entry [`UNDECLARED`], when present, is what a name
/// with no entry of its own is worth.
pub(crate) type Vars = BTreeMap<String, Value>;

/// The key of [`Vars`] that stands for every undeclared name (no variable can be called `*`).
pub(crate) const UNDECLARED: &str = "*";

/// What `name` is worth in `vars`, if anything says.
fn lookup<'v>(vars: &'v Vars, name: &str) -> Option<&'v Value> {
    vars.get(name).or_else(|| vars.get(UNDECLARED))
}

/// Why a word could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExpandError {
    /// The word needs the value of this variable, which is unset or unknown.
    Unresolved(String),
    /// The word is malformed (an unclosed quote or `${`) or uses an expansion not supported
    /// here (`${VAR#pattern}`, `${VAR/a/b}`); the reason says which.
    Unsupported(String),
}

impl ExpandError {
    /// One lowercase phrase for a warning.
    pub(crate) fn describe(&self) -> String {
        match self {
            ExpandError::Unresolved(name) => {
                format!("uses `{name}`, whose value is not known from the Dockerfile")
            }
            ExpandError::Unsupported(reason) => reason.clone(),
        }
    }
}

/// Expands `word` with `vars`, removing quotes and escapes.
pub(crate) fn expand(word: &str, vars: &Vars, escape: char) -> Result<String, ExpandError> {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c == '\'' {
            // Single quotes keep everything, `$` and the escape character included.
            let close = chars[i..]
                .iter()
                .position(|&q| q == '\'')
                .ok_or_else(|| unsupported("has an unclosed `'`"))?;
            out.extend(&chars[i..i + close]);
            i += close + 1;
        } else if c == '"' {
            loop {
                match chars.get(i) {
                    None => return Err(unsupported("has an unclosed `\"`")),
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some(&e) if e == escape => {
                        // In double quotes the escape only protects `"`, `$` and itself.
                        match chars.get(i + 1) {
                            Some(&n) if n == '"' || n == '$' || n == escape => {
                                out.push(n);
                                i += 2;
                            }
                            _ => {
                                out.push(e);
                                i += 1;
                            }
                        }
                    }
                    Some('$') => {
                        i = dollar(&chars, i + 1, vars, escape, &mut out)?;
                    }
                    Some(&other) => {
                        out.push(other);
                        i += 1;
                    }
                }
            }
        } else if c == escape {
            match chars.get(i) {
                Some(&n) => {
                    out.push(n);
                    i += 1;
                }
                None => out.push(c),
            }
        } else if c == '$' {
            i = dollar(&chars, i, vars, escape, &mut out)?;
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

fn unsupported(reason: &str) -> ExpandError {
    ExpandError::Unsupported(reason.to_string())
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Expands what follows a `$` at `chars[start]`, appending to `out`; returns the index after it.
fn dollar(
    chars: &[char],
    start: usize,
    vars: &Vars,
    escape: char,
    out: &mut String,
) -> Result<usize, ExpandError> {
    match chars.get(start) {
        Some('{') => braced(chars, start + 1, vars, escape, out),
        Some(&c) if is_name_start(c) => {
            let end = chars[start..]
                .iter()
                .position(|&c| !is_name_char(c))
                .map_or(chars.len(), |n| start + n);
            let name: String = chars[start..end].iter().collect();
            out.push_str(&known(&name, vars)?);
            Ok(end)
        }
        // A `$` that starts no name is itself.
        _ => {
            out.push('$');
            Ok(start)
        }
    }
}

/// The value of `name`, or why it cannot be had.
fn known(name: &str, vars: &Vars) -> Result<String, ExpandError> {
    match lookup(vars, name) {
        Some(Value::Known(v)) => Ok(v.clone()),
        Some(Value::Unset) => Ok(String::new()),
        _ => Err(ExpandError::Unresolved(name.to_string())),
    }
}

/// Expands `${...}` whose body starts at `chars[start]`.
fn braced(
    chars: &[char],
    start: usize,
    vars: &Vars,
    escape: char,
    out: &mut String,
) -> Result<usize, ExpandError> {
    // Find the matching `}`, allowing nested `${...}` in the word part.
    let mut depth = 1;
    let mut end = start;
    while end < chars.len() {
        match chars[end] {
            '{' if end > 0 && chars[end - 1] == '$' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
        end += 1;
    }
    if end >= chars.len() {
        return Err(unsupported("has an unclosed `${`"));
    }
    let body = &chars[start..end];
    let name_len = body
        .iter()
        .position(|&c| !is_name_char(c))
        .unwrap_or(body.len());
    let name: String = body[..name_len].iter().collect();
    if name.is_empty() || !is_name_start(body[0]) {
        return Err(unsupported("has a `${...}` without a variable name"));
    }
    let rest: String = body[name_len..].iter().collect();
    let value = lookup(vars, &name).cloned().unwrap_or(Value::Unset);
    let (colon, op, word) = match rest.strip_prefix(':') {
        Some(r) => (true, r.chars().next(), r.get(1..).unwrap_or("")),
        None => (false, rest.chars().next(), rest.get(1..).unwrap_or("")),
    };
    // With a colon, an empty value counts as unset.
    let set = |v: &str| !colon || !v.is_empty();
    let expanded = match (op, &value) {
        (None, _) if !colon => known(&name, vars)?,
        (Some('-'), Value::Known(v)) if set(v) => v.clone(),
        (Some('-'), Value::Known(_)) | (Some('-'), Value::Unset) => expand(word, vars, escape)?,
        (Some('+'), Value::Known(v)) if set(v) => expand(word, vars, escape)?,
        (Some('+'), Value::Known(_)) | (Some('+'), Value::Unset) => String::new(),
        (Some('?'), Value::Known(v)) if set(v) => v.clone(),
        (Some('-' | '+' | '?'), _) => return Err(ExpandError::Unresolved(name)),
        _ => {
            return Err(unsupported(&format!(
                "uses `${{{name}{rest}}}`, an expansion this reader does not support"
            )))
        }
    };
    out.push_str(&expanded);
    Ok(end + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        Vars::from([
            ("APP".to_string(), Value::Known("web".to_string())),
            ("EMPTY".to_string(), Value::Known(String::new())),
            ("NOVALUE".to_string(), Value::Unset),
            ("TARGETARCH".to_string(), Value::Unknown),
        ])
    }

    fn ok(word: &str) -> String {
        expand(word, &vars(), '\\').unwrap_or_else(|e| panic!("{word}: {e:?}"))
    }

    fn unresolved(word: &str) -> Option<String> {
        match expand(word, &vars(), '\\') {
            Err(ExpandError::Unresolved(name)) => Some(name),
            _ => None,
        }
    }

    #[test]
    fn plain_and_braced_variables() {
        assert_eq!(ok("$APP/src"), "web/src");
        assert_eq!(ok("${APP}/src"), "web/src");
        assert_eq!(ok("pre${APP}post"), "prewebpost");
        assert_eq!(ok("$APP.txt"), "web.txt");
        assert_eq!(ok("a$"), "a$");
        assert_eq!(ok("$1"), "$1");
        assert_eq!(ok("no vars"), "no vars");
    }

    #[test]
    fn defaults_and_alternatives() {
        assert_eq!(ok("${NOVALUE:-dflt}"), "dflt");
        assert_eq!(ok("${MISSING:-dflt}"), "dflt");
        assert_eq!(ok("${EMPTY:-dflt}"), "dflt");
        assert_eq!(ok("${EMPTY-dflt}"), "");
        assert_eq!(ok("${APP:-dflt}"), "web");
        assert_eq!(ok("${NOVALUE:-${APP}}"), "web");
        assert_eq!(ok("${APP:+yes}"), "yes");
        assert_eq!(ok("${EMPTY:+yes}"), "");
        assert_eq!(ok("${EMPTY+yes}"), "yes");
        assert_eq!(ok("${NOVALUE+yes}"), "");
        assert_eq!(ok("${APP:?must}"), "web");
    }

    #[test]
    fn unknown_values_are_not_guessed() {
        assert_eq!(ok("$NOVALUE/x"), "/x");
        assert_eq!(ok("${NOVALUE}x"), "x");
        assert_eq!(unresolved("${MISSING}"), Some("MISSING".into()));
        assert_eq!(
            unresolved("${TARGETARCH:-amd64}"),
            Some("TARGETARCH".into())
        );
        assert_eq!(unresolved("${TARGETARCH:+x}"), Some("TARGETARCH".into()));
        assert_eq!(unresolved("${NOVALUE:?must}"), Some("NOVALUE".into()));
        assert_eq!(unresolved("\"$TARGETARCH\""), Some("TARGETARCH".into()));
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(ok("'$APP'"), "$APP");
        assert_eq!(ok("\"$APP dir\""), "web dir");
        assert_eq!(ok("\\$APP"), "$APP");
        assert_eq!(ok("a\\ b"), "a b");
        assert_eq!(ok("\"a\\\"b\""), "a\"b");
        assert_eq!(ok("\"a\\b\""), "a\\b");
        assert_eq!(expand("`$APP", &vars(), '`').ok(), Some("$APP".into()));
        assert_eq!(
            expand("C:\\$APP", &vars(), '`').ok(),
            Some("C:\\web".into())
        );
    }

    #[test]
    fn malformed_or_unsupported_words() {
        for word in [
            "'open",
            "\"open",
            "${APP",
            "${}",
            "${APP#w}",
            "${APP/w/x}",
            "${1}",
        ] {
            assert!(
                matches!(
                    expand(word, &vars(), '\\'),
                    Err(ExpandError::Unsupported(_))
                ),
                "{word}"
            );
        }
    }
}
