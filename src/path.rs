//! Repository paths as the bytes git stores, and the escaped forms they take in each output.
//!
//! A path is never turned into a `String` on the way in: names with newlines, quotes, leading
//! dashes or bytes that are not UTF-8 reach routing exactly. Every rendering for people (text,
//! markdown) escapes what could break a line, a table or a terminal; JSON keeps UTF-8 names as
//! they are and adds a lossless hex form for names that are not UTF-8.

use std::fmt::Write as _;

/// A path relative to the repository root, `/`-separated, as raw bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RepoPath(Vec<u8>);

impl RepoPath {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        RepoPath(bytes.into())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The path as UTF-8, if it is.
    pub fn as_utf8(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// The path for display in JSON: exact when UTF-8, with U+FFFD for invalid bytes otherwise.
    pub fn lossy(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }

    /// Lowercase hex of the raw bytes; JSON carries it only for names that are not UTF-8.
    pub fn hex(&self) -> String {
        let mut out = String::with_capacity(self.0.len() * 2);
        for b in &self.0 {
            let _ = write!(out, "{b:02x}");
        }
        out
    }

    /// A single-line, terminal-safe form: printable UTF-8 stays as it is; backslash, control
    /// characters and invalid bytes become C-style escapes (`\\`, `\n`, `\t`, `\x1b`, `\xff`), and
    /// the whole is double-quoted when anything was escaped or it has leading/trailing spaces.
    pub fn escaped(&self) -> String {
        let mut out = String::new();
        let mut changed = false;
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                match c {
                    '\\' => {
                        out.push_str("\\\\");
                        changed = true;
                    }
                    '"' => {
                        out.push_str("\\\"");
                        changed = true;
                    }
                    '\n' => {
                        out.push_str("\\n");
                        changed = true;
                    }
                    '\t' => {
                        out.push_str("\\t");
                        changed = true;
                    }
                    '\r' => {
                        out.push_str("\\r");
                        changed = true;
                    }
                    c if c.is_control() || crate::text::is_bidi_control(c) => {
                        let _ = write!(out, "\\u{{{:x}}}", c as u32);
                        changed = true;
                    }
                    c => out.push(c),
                }
            }
            for b in chunk.invalid() {
                let _ = write!(out, "\\x{b:02x}");
                changed = true;
            }
        }
        let padded = out.starts_with(' ') || out.ends_with(' ') || out.is_empty();
        if changed || padded {
            format!("\"{out}\"")
        } else {
            out
        }
    }

    /// A Markdown code span that is safe inside a GFM table cell: the escaped single-line form,
    /// with `|` escaped (GFM splits cells on it even inside code spans) and a backtick fence
    /// longer than any backtick run in the name, so nothing can end the span, open HTML, form a
    /// link, a mention or emphasis.
    pub fn markdown_code(&self) -> String {
        let text = self.escaped().replace('|', "\\|");
        let longest_run = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let fence = "`".repeat(longest_run + 1);
        // A space on each side keeps a leading or trailing backtick from joining the fence; GFM
        // strips exactly one space from each side of a code span.
        format!("{fence} {text} {fence}")
    }
}

impl From<&str> for RepoPath {
    fn from(s: &str) -> Self {
        RepoPath(s.as_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_would_break_a_line() {
        assert_eq!(RepoPath::from("app/a b.js").escaped(), "app/a b.js");
        assert_eq!(RepoPath::from("a\nb").escaped(), "\"a\\nb\"");
        assert_eq!(RepoPath::new(b"x\xffy".to_vec()).escaped(), "\"x\\xffy\"");
        assert_eq!(RepoPath::from("e\u{1b}[31m").escaped(), "\"e\\u{1b}[31m\"");
        assert_eq!(RepoPath::from(" lead").escaped(), "\" lead\"");
    }

    #[test]
    fn markdown_code_span_cannot_be_closed_by_the_name() {
        assert_eq!(RepoPath::from("a`b").markdown_code(), "`` a`b ``");
        assert_eq!(RepoPath::from("a|b").markdown_code(), "` a\\|b `");
    }

    #[test]
    fn hex_is_lossless() {
        assert_eq!(RepoPath::new(b"a\xff".to_vec()).hex(), "61ff");
    }
}
