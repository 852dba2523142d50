//! Go's `path.Clean` for `/`-separated paths, the normalisation Docker applies to
//! `.dockerignore` patterns and to `COPY`/`ADD` sources before matching them.
//!
//! It is purely lexical: it must not look at a file system or follow symlinks, because it
//! describes what Docker does to the text of a pattern, not to files.

/// Shortest path equivalent to `path` by lexical processing, with Go's rules: repeated `/`
/// collapse, `.` elements go, `..` eats the element before it (and is dropped right after a
/// leading `/`, kept at the start of a relative path), no trailing `/`, and "" becomes ".".
pub(crate) fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                // `/..` is `/`: nothing is above the root.
                _ if rooted => {}
                _ => parts.push(".."),
            },
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// `path` cleaned as if it were rooted at the build context, then made relative again:
/// Docker resolves sources inside the context, so `../x` cannot leave it and means `x`.
/// The context root itself is ".".
pub(crate) fn clean_in_context(path: &str) -> String {
    let rooted = clean(&format!("/{path}"));
    match rooted.strip_prefix('/') {
        Some("") | None => ".".to_string(),
        Some(rest) => rest.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_follows_go() {
        for (input, want) in [
            ("", "."),
            (".", "."),
            ("./", "."),
            ("a/b", "a/b"),
            ("a//b", "a/b"),
            ("a/./b/", "a/b"),
            ("./a", "a"),
            ("a/../b", "b"),
            ("a/..", "."),
            ("../a", "../a"),
            ("../../a/../b", "../../b"),
            ("/", "/"),
            ("/..", "/"),
            ("/../a", "/a"),
            ("//a//", "/a"),
            ("!foo/../bar", "bar"),
        ] {
            assert_eq!(clean(input), want, "clean({input:?})");
        }
    }

    #[test]
    fn clean_in_context_never_leaves_the_context() {
        for (input, want) in [
            (".", "."),
            ("/", "."),
            ("./", "."),
            ("..", "."),
            ("../x", "x"),
            ("/app/../src/", "src"),
            ("src/./main.rs", "src/main.rs"),
        ] {
            assert_eq!(clean_in_context(input), want, "clean_in_context({input:?})");
        }
    }
}
