//! The two ways the program words things it does not control, each written once: a commit's
//! short form ([`short`], [`short_sha`]), and outside text made one safe line ([`one_line`]).
//! Nothing here reads or writes anything.

use std::fmt::Write as _;

use git2::Oid;

/// Hex digits of a commit id in every message of the program.
const SHORT: usize = 12;

/// The short form of a commit id (12 hex digits).
pub fn short(oid: Oid) -> String {
    short_sha(&oid.to_string()).to_owned()
}

/// The short form of a commit id given as text (a recorded SHA); text shorter than that is
/// kept whole.
pub fn short_sha(sha: &str) -> &str {
    sha.get(..SHORT).unwrap_or(sha)
}

/// Free text (a reason, a branch name) on one line: control and bidirectional characters
/// become `\u{..}` escapes, so nothing from the environment can forge log lines or colours.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || is_bidi_control(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// Unicode bidirectional controls can make a name display as something else (Trojan Source).
pub(crate) fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_is_shown_by_twelve_digits() {
        let oid = Oid::from_str("0123456789abcdef0123456789abcdef01234567").unwrap();
        assert_eq!(short(oid), "0123456789ab");
        assert_eq!(short_sha("0123456789abcdef"), "0123456789ab");
        assert_eq!(short_sha("abc"), "abc");
    }

    #[test]
    fn one_line_escapes_controls_and_bidi() {
        assert_eq!(one_line("a\nb\u{1b}[31m"), "a\\u{a}b\\u{1b}[31m");
        assert_eq!(one_line("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(one_line("plain"), "plain");
    }
}
