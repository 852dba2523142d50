//! Path filter patterns with the semantics of GitHub Actions' `paths` filters, compiled to globs.
//!
//! globset does the matching; this file owns the translation of our syntax into globs that
//! globset understands exactly: braces are expanded here (so they may nest), and a `**` that
//! shares its segment with other characters (`**.js`, `src/**foo`) is expanded into the two
//! globs that together mean "any characters, `/` included". Everything here is pure.
//!
//! It must not decide routing (rule order and negation belong to `route`).

use globset::{Glob, GlobBuilder};

/// More alternatives than this from one pattern is almost surely a mistake.
const MAX_EXPANSIONS: usize = 256;

/// One rule of a target's `paths`: a pattern, possibly negated with a leading `!`.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule as written, `!` included.
    pub source: String,
    /// Whether a match excludes (`!pattern`) instead of including.
    pub negated: bool,
    /// The globs the pattern expands to; the rule matches a path when any of them does.
    pub globs: Vec<Glob>,
}

/// Why a pattern is invalid, as one lowercase phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

impl Rule {
    pub fn parse(source: &str) -> Result<Rule, PatternError> {
        let (negated, body) = match source.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, source),
        };
        if body.is_empty() {
            return Err(PatternError("the pattern is empty".into()));
        }
        if body.ends_with('/') {
            return Err(PatternError(
                "a pattern ending in `/` matches no file (paths are files); use `dir/**`".into(),
            ));
        }
        if body.starts_with('/') {
            return Err(PatternError(
                "patterns are relative to the repository root and must not start with `/`".into(),
            ));
        }
        let mut globs = Vec::new();
        for braced in expand_braces(body)? {
            for glob in expand_inline_double_star(&braced) {
                let compiled = GlobBuilder::new(&glob)
                    .literal_separator(true)
                    .backslash_escape(true)
                    .case_insensitive(false)
                    .build()
                    .map_err(|e| PatternError(describe_glob_error(&e)))?;
                globs.push(compiled);
                if globs.len() > MAX_EXPANSIONS {
                    return Err(PatternError(format!(
                        "the pattern expands to more than {MAX_EXPANSIONS} alternatives"
                    )));
                }
            }
        }
        Ok(Rule {
            source: source.to_owned(),
            negated,
            globs,
        })
    }
}

fn describe_glob_error(e: &globset::Error) -> String {
    // globset's Display repeats the glob; its kind alone reads better after our own prefix.
    e.kind().to_string()
}

/// Expands `{a,b}` alternations, nested or not, honouring backslash escapes.
fn expand_braces(pattern: &str) -> Result<Vec<String>, PatternError> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    expand_from(&chars, String::new(), &mut out)?;
    Ok(out)
}

fn expand_from(chars: &[char], prefix: String, out: &mut Vec<String>) -> Result<(), PatternError> {
    let mut i = 0;
    let mut in_class = false;
    let mut literal = prefix;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                literal.push(c);
                if let Some(&next) = chars.get(i + 1) {
                    literal.push(next);
                    i += 1;
                }
            }
            '[' if !in_class => {
                in_class = true;
                literal.push(c);
            }
            ']' if in_class => {
                in_class = false;
                literal.push(c);
            }
            '{' if !in_class => {
                let close = matching_brace(chars, i)?;
                let alternatives = split_alternatives(&chars[i + 1..close]);
                let rest = &chars[close + 1..];
                for alt in alternatives {
                    let mut combined = alt;
                    combined.extend_from_slice(rest);
                    expand_from(&combined, literal.clone(), out)?;
                    if out.len() > MAX_EXPANSIONS {
                        return Err(PatternError(format!(
                            "the pattern expands to more than {MAX_EXPANSIONS} alternatives"
                        )));
                    }
                }
                return Ok(());
            }
            '}' if !in_class => {
                return Err(PatternError("unopened `}`".into()));
            }
            _ => literal.push(c),
        }
        i += 1;
    }
    out.push(literal);
    Ok(())
}

fn matching_brace(chars: &[char], open: usize) -> Result<usize, PatternError> {
    let mut depth = 0usize;
    let mut i = open;
    let mut in_class = false;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '{' if !in_class => depth += 1,
            '}' if !in_class => {
                depth -= 1;
                if depth == 0 {
                    return Ok(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    Err(PatternError("unclosed `{`".into()))
}

/// Splits the inside of a brace group on its top-level commas.
fn split_alternatives(inner: &[char]) -> Vec<Vec<char>> {
    let mut parts = vec![Vec::new()];
    let mut depth = 0usize;
    let mut i = 0;
    let mut in_class = false;
    while i < inner.len() {
        let c = inner[i];
        let current = parts.last_mut();
        match c {
            '\\' => {
                if let Some(p) = current {
                    p.push(c);
                    if let Some(&next) = inner.get(i + 1) {
                        p.push(next);
                    }
                }
                i += 1;
            }
            ',' if depth == 0 && !in_class => parts.push(Vec::new()),
            _ => {
                match c {
                    '[' if !in_class => in_class = true,
                    ']' if in_class => in_class = false,
                    '{' if !in_class => depth += 1,
                    '}' if !in_class => depth = depth.saturating_sub(1),
                    _ => {}
                }
                if let Some(p) = current {
                    p.push(c);
                }
            }
        }
        i += 1;
    }
    parts
}

/// GitHub's `**` matches any characters including `/`, wherever it stands. globset gives that
/// meaning only to a `**` that is a whole segment, so a `**` inside a segment is expanded into
/// "stays in this segment" (`*`) and "crosses one or more directories" (`*/**/*`).
fn expand_inline_double_star(glob: &str) -> Vec<String> {
    let segments: Vec<&str> = glob.split('/').collect();
    let mut results = vec![String::new()];
    for (index, segment) in segments.iter().enumerate() {
        let variants: Vec<String> = if *segment != "**" && contains_unescaped_double_star(segment) {
            segment_variants(segment)
        } else {
            vec![(*segment).to_owned()]
        };
        let mut next = Vec::with_capacity(results.len() * variants.len());
        for prefix in &results {
            for variant in &variants {
                let mut s = prefix.clone();
                if index > 0 {
                    s.push('/');
                }
                s.push_str(variant);
                next.push(s);
            }
        }
        results = next;
    }
    results
}

fn contains_unescaped_double_star(segment: &str) -> bool {
    split_on_double_star(segment).len() > 1
}

/// Splits a segment on its unescaped `**` runs (a run of three or more stars counts as one).
fn split_on_double_star(segment: &str) -> Vec<String> {
    let chars: Vec<char> = segment.chars().collect();
    let mut parts = vec![String::new()];
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            if let Some(p) = parts.last_mut() {
                p.push(c);
                if let Some(&next) = chars.get(i + 1) {
                    p.push(next);
                }
            }
            i += 2;
            continue;
        }
        if c == '*' && chars.get(i + 1) == Some(&'*') {
            while chars.get(i) == Some(&'*') {
                i += 1;
            }
            parts.push(String::new());
            continue;
        }
        if let Some(p) = parts.last_mut() {
            p.push(c);
        }
        i += 1;
    }
    parts
}

fn segment_variants(segment: &str) -> Vec<String> {
    let parts = split_on_double_star(segment);
    let mut results = vec![parts[0].clone()];
    for part in &parts[1..] {
        let mut next = Vec::with_capacity(results.len() * 2);
        for prefix in &results {
            next.push(format!("{prefix}*{part}"));
            next.push(format!("{prefix}*/**/*{part}"));
        }
        results = next;
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, path: &str) -> bool {
        let rule = Rule::parse(pattern).unwrap_or_else(|e| panic!("{pattern}: {e:?}"));
        rule.globs
            .iter()
            .any(|g| g.compile_matcher().is_match(path))
    }

    #[test]
    fn inline_double_star_crosses_directories() {
        assert!(matches("**.js", "src/js/app.js"));
        assert!(matches("**.js", "app.js"));
        assert!(!matches("**.js", "app.ts"));
        assert!(matches("a**z", "a/b/c/z"));
        assert!(matches("a**z", "az"));
    }

    #[test]
    fn nested_braces_expand() {
        assert!(matches("{app,{lib,bin}/x}/**", "bin/x/y"));
        assert!(matches("{app,{lib,bin}/x}/**", "app/y"));
        assert!(!matches("{app,{lib,bin}/x}/**", "lib/y"));
    }

    #[test]
    fn invalid_patterns_say_why() {
        assert!(Rule::parse("").is_err());
        assert!(Rule::parse("!").is_err());
        assert!(Rule::parse("app/{a,b").is_err());
        assert!(Rule::parse("app/[ab").is_err());
        assert!(Rule::parse("/app/**").is_err());
        assert!(Rule::parse("app/**/").is_err());
    }
}
