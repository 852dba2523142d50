//! Go's `filepath.Match` glob language, compiled to tokens and matched without backtracking.
//!
//! Both Docker files this crate reads use it: `COPY`/`ADD` sources are matched with
//! `filepath.Match` semantics, and `.dockerignore` patterns are `filepath.Match` plus `**`
//! (moby's patternmatcher adds that part; `dockerignore` owns it and builds its tokens from the
//! pieces here). The matcher is a set-of-positions simulation, so no pattern can make it take
//! exponential time.
//!
//! It must not know about Docker: no `**`, no `!` negation, no path cleaning.

use std::fmt;

/// Why a pattern is not valid Go glob syntax (Go's `filepath.ErrBadPattern`, with a reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GlobError(pub String);

impl fmt::Display for GlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GlobError {}

/// A bracket expression: `[abc]`, `[a-z]`, `[^0-9]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl Class {
    fn matches(&self, c: char) -> bool {
        // Go's classes do not special-case `/`: `[^a]` matches a separator.
        self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != self.negated
    }

    /// Whether some range runs backwards (`[z-a]`). Go's `filepath.Match` accepts it (it
    /// matches nothing), but Go's regexp, which moby compiles `.dockerignore` patterns to,
    /// rejects it.
    pub(crate) fn has_reversed_range(&self) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo > hi)
    }
}

/// One step of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// Exactly this character.
    Literal(char),
    /// `*`: any run of characters other than `/`, the empty run included.
    Star,
    /// `?`: one character other than `/`.
    Question,
    /// `[...]`: one character in (or, negated, not in) the class.
    Class(Class),
    /// moby's `**/` inside a pattern, the regexp `(.*/)?`: nothing, or any characters
    /// (except a newline, as Go's `.`) ending with a `/`.
    AnyDirs,
    /// moby's trailing `**` after other wildcards, the regexp `.*`: any characters except a
    /// newline.
    AnyTail,
}

/// Parses the bracket expression that starts after the `[` at `chars[start - 1]`, with Go's
/// rules: an optional `^`, then one or more ranges `lo` or `lo-hi` where an endpoint may be
/// escaped with `\`; a `-` or `]` cannot start a range; the class must be closed.
/// Returns the class and the index just past its `]`.
pub(crate) fn parse_class(chars: &[char], start: usize) -> Result<(Class, usize), GlobError> {
    let unclosed = || GlobError("a `[` is not closed by `]`".to_string());
    let mut i = start;
    let negated = chars.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    loop {
        if chars.get(i) == Some(&']') && !ranges.is_empty() {
            return Ok((Class { negated, ranges }, i + 1));
        }
        let (lo, next) = class_char(chars, i)?;
        i = next;
        let mut hi = lo;
        if chars.get(i) == Some(&'-') {
            let (h, next) = class_char(chars, i + 1)?;
            hi = h;
            i = next;
        }
        ranges.push((lo, hi));
        if i >= chars.len() {
            return Err(unclosed());
        }
    }
}

/// One range endpoint of a class (Go's `getEsc`).
fn class_char(chars: &[char], i: usize) -> Result<(char, usize), GlobError> {
    match chars.get(i) {
        None => Err(GlobError("a `[` is not closed by `]`".to_string())),
        Some('-') | Some(']') => Err(GlobError(
            "a `-` or `]` cannot start a range in a `[...]` class (escape it with `\\`)"
                .to_string(),
        )),
        Some('\\') => match chars.get(i + 1) {
            Some(&c) => Ok((c, i + 2)),
            None => Err(GlobError(
                "the pattern ends with an escaping `\\`".to_string(),
            )),
        },
        Some(&c) => Ok((c, i + 1)),
    }
}

/// A pattern with exactly the semantics of Go's `filepath.Match` on Unix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GoGlob {
    tokens: Vec<Token>,
}

impl GoGlob {
    /// Compiles `pattern`, rejecting what `filepath.Match` rejects with `ErrBadPattern`
    /// (Go checks the whole pattern, not only the part it needed for one name).
    pub(crate) fn parse(pattern: &str) -> Result<GoGlob, GlobError> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                // `**` is two stars to Go: the same as one.
                '*' => {
                    if tokens.last() != Some(&Token::Star) {
                        tokens.push(Token::Star);
                    }
                    i += 1;
                }
                '?' => {
                    tokens.push(Token::Question);
                    i += 1;
                }
                '[' => {
                    let (class, next) = parse_class(&chars, i + 1)?;
                    tokens.push(Token::Class(class));
                    i = next;
                }
                '\\' => match chars.get(i + 1) {
                    Some(&c) => {
                        tokens.push(Token::Literal(c));
                        i += 2;
                    }
                    None => return Err(GlobError("the pattern ends with an escaping `\\`".into())),
                },
                c => {
                    tokens.push(Token::Literal(c));
                    i += 1;
                }
            }
        }
        Ok(GoGlob { tokens })
    }

    /// Whether the whole of `name` matches.
    pub(crate) fn matches(&self, name: &str) -> bool {
        matches_tokens(&self.tokens, name)
    }
}

/// Whether `tokens` match the whole of `name`. Tracks every position in `name` the tokens read
/// so far can end at, so the cost is bounded by tokens x characters squared.
pub(crate) fn matches_tokens(tokens: &[Token], name: &str) -> bool {
    let chars: Vec<char> = name.chars().collect();
    let n = chars.len();
    let mut reach = vec![false; n + 1];
    reach[0] = true;
    for token in tokens {
        let mut next = vec![false; n + 1];
        for start in (0..=n).filter(|&p| reach[p]) {
            match token {
                Token::Literal(c) => {
                    if chars.get(start) == Some(c) {
                        next[start + 1] = true;
                    }
                }
                Token::Question => {
                    if chars.get(start).is_some_and(|&c| c != '/') {
                        next[start + 1] = true;
                    }
                }
                Token::Class(class) => {
                    if chars.get(start).is_some_and(|&c| class.matches(c)) {
                        next[start + 1] = true;
                    }
                }
                Token::Star => {
                    next[start] = true;
                    for (offset, &c) in chars[start..].iter().enumerate() {
                        if c == '/' {
                            break;
                        }
                        next[start + offset + 1] = true;
                    }
                }
                Token::AnyDirs => {
                    next[start] = true;
                    for (offset, &c) in chars[start..].iter().enumerate() {
                        if c == '\n' {
                            break;
                        }
                        if c == '/' {
                            next[start + offset + 1] = true;
                        }
                    }
                }
                Token::AnyTail => {
                    next[start] = true;
                    for (offset, &c) in chars[start..].iter().enumerate() {
                        if c == '\n' {
                            break;
                        }
                        next[start + offset + 1] = true;
                    }
                }
            }
        }
        if !next.iter().any(|&r| r) {
            return false;
        }
        reach = next;
    }
    reach[n]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go_match(pattern: &str, name: &str) -> bool {
        GoGlob::parse(pattern)
            .unwrap_or_else(|e| panic!("{pattern}: {e}"))
            .matches(name)
    }

    #[test]
    fn literals_and_stars() {
        assert!(go_match("abc", "abc"));
        assert!(!go_match("abc", "abcd"));
        assert!(go_match("*", "abc"));
        assert!(go_match("*", ""));
        assert!(go_match("a*", "a"));
        assert!(go_match("a*c", "abbbc"));
        assert!(go_match("a*b*c*d*e*/f", "axbxcxdxe/f"));
        assert!(!go_match("a*b*c*d*e*/f", "axbxcxdxe/xxx/f"));
        assert!(go_match("package*.json", "package-lock.json"));
        assert!(go_match("package*.json", "package.json"));
    }

    #[test]
    fn star_and_question_stop_at_a_separator() {
        assert!(!go_match("*", "a/b"));
        assert!(!go_match("a*", "ab/c"));
        assert!(go_match("a*/b", "abc/b"));
        assert!(!go_match("a?b", "a/b"));
        assert!(go_match("a?b", "acb"));
        // Go has no `**`: it is one star.
        assert!(!go_match("**", "a/b"));
        assert!(go_match("**.go", "main.go"));
    }

    #[test]
    fn classes_follow_go() {
        assert!(go_match("[abc]", "b"));
        assert!(!go_match("[abc]", "d"));
        assert!(go_match("[a-c]x", "bx"));
        assert!(go_match("[^a-c]", "d"));
        assert!(!go_match("[^a-c]", "b"));
        // `!` is not negation in Go; it is a member of the class.
        assert!(go_match("[!a]", "!"));
        assert!(!go_match("[!a]", "b"));
        assert!(go_match("[\\]]", "]"));
        assert!(go_match("[\\-]", "-"));
        assert!(go_match("[x\\-]", "x"));
        assert!(go_match("[a-\\z]", "m"));
        // A class is not stopped by the separator in Go.
        assert!(go_match("a[^x]b", "a/b"));
        assert!(go_match("[α-ω]", "λ"));
    }

    #[test]
    fn escapes_make_literals() {
        assert!(go_match("\\*", "*"));
        assert!(!go_match("\\*", "a"));
        assert!(go_match("a\\?b", "a?b"));
        assert!(go_match("\\a", "a"));
    }

    #[test]
    fn bad_patterns_are_rejected_as_go_does() {
        for bad in [
            "[", "[a", "[]", "[]a]", "[^]", "[-a]", "[a-]", "[a-", "a\\", "[\\", "x[a-b",
        ] {
            assert!(GoGlob::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        // A lone `]` is a literal.
        assert!(go_match("a]", "a]"));
    }

    #[test]
    fn many_stars_do_not_explode() {
        let pattern = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        let name = "a".repeat(200);
        assert!(!go_match(pattern, &name));
    }

    #[test]
    fn moby_tokens_cross_separators_but_not_newlines() {
        let any_dirs_then_b = [Token::AnyDirs, Token::Literal('b')];
        assert!(matches_tokens(&any_dirs_then_b, "b"));
        assert!(matches_tokens(&any_dirs_then_b, "x/y/b"));
        assert!(!matches_tokens(&any_dirs_then_b, "xb"));
        assert!(!matches_tokens(&any_dirs_then_b, "x\n/b"));
        let a_then_tail = [Token::Literal('a'), Token::AnyTail];
        assert!(matches_tokens(&a_then_tail, "a"));
        assert!(matches_tokens(&a_then_tail, "a/b/c"));
        assert!(!matches_tokens(&a_then_tail, "a\nb"));
    }
}
