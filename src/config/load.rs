//! Loading `.quest-changes.yml`: finding the file, reading it, and the parser's errors worded
//! as the rest of the configuration's (`<file>:<line>:<column>: <key path>: <what is wrong>`).
//! A file that parses goes on to `validate`; a configuration loads whole or not at all.

use std::path::Path;

use super::file::{ConfigFile, WRONG_KIND};
use super::validate::Config;
use super::CANDIDATES;
use crate::error::{Error, Location};

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read(path).map_err(Error::io("read the configuration", path))?;
        let text = String::from_utf8(text).map_err(|_| Error::Config {
            file: path.to_owned(),
            location: None,
            message: "the file is not valid UTF-8".into(),
        })?;
        Config::parse(&text, path)
    }

    /// Finds the configuration: `explicit` if given, else the first candidate file in `root`;
    /// `None` when there is neither (the caller discovers targets from the layout).
    pub fn discover(explicit: Option<&Path>, root: Option<&Path>) -> Result<Option<Config>, Error> {
        if let Some(path) = explicit {
            return Config::load(path).map(Some);
        }
        if let Some(root) = root {
            for name in CANDIDATES {
                let candidate = root.join(name);
                if candidate.is_file() {
                    return Config::load(&candidate).map(Some);
                }
            }
        }
        Ok(None)
    }

    /// Parses and validates YAML text; `source` names it in errors.
    pub fn parse(text: &str, source: &Path) -> Result<Config, Error> {
        if text.lines().skip(1).any(|l| l.trim_end() == "---") {
            return Err(Error::Config {
                file: source.to_owned(),
                location: None,
                message: "the file holds several YAML documents (`---`); it must hold one".into(),
            });
        }
        if text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            return Err(Error::Config {
                file: source.to_owned(),
                location: None,
                message: "the file is empty; it needs at least `version` and `targets`".into(),
            });
        }
        let file: ConfigFile = serde_yaml::from_str(text).map_err(|e| {
            let mut error = yaml_error(&e, source);
            // The parser places a repeated target at the mapping; the second one is the news.
            if let Error::Config {
                location, message, ..
            } = &mut error
            {
                if let Some(name) = message
                    .strip_prefix("targets: target `")
                    .and_then(|rest| rest.strip_suffix("` is defined twice"))
                {
                    if let Some(second) = repeated_target_line(text, name) {
                        *location = Some(second);
                    }
                }
            }
            error
        })?;
        super::validate::validate(file, source)
    }
}

/// Where target `name` is written the second time in the block mapping under `targets:`, if
/// it is written in block style.
fn repeated_target_line(text: &str, name: &str) -> Option<Location> {
    let mut lines = text.lines().enumerate().skip_while(|(_, l)| {
        !(l.starts_with("targets:") && l["targets:".len()..].trim().is_empty())
    });
    lines.next()?;
    let mut indent = None;
    let mut seen = 0;
    for (number, line) in lines {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let here = line.len() - trimmed.len();
        if here == 0 {
            break;
        }
        let indent = *indent.get_or_insert(here);
        if here != indent {
            continue;
        }
        let key = trimmed.split(':').next().unwrap_or("").trim();
        let key = key.trim_matches(|c| c == '"' || c == '\'');
        if key == name {
            seen += 1;
            if seen == 2 {
                return Some(Location {
                    line: number + 1,
                    column: indent + 1,
                });
            }
        }
    }
    None
}

fn yaml_error(e: &serde_yaml::Error, source: &Path) -> Error {
    let location = e.location().map(|l| Location {
        line: l.line(),
        column: l.column(),
    });
    // The parser writes its own " at line L column C"; the location is printed up front.
    let mut message = strip_positions(&e.to_string());
    if message.is_empty() || message == "EOF while parsing a value" {
        message = "the file is empty; it needs at least `version` and `targets`".into();
    }
    if let Some(worded) = wrong_kind(&message) {
        // The key's own place is gone by the time the kind is known; the key path says it.
        return Error::Config {
            file: source.to_owned(),
            location: None,
            message: worded,
        };
    }
    Error::Config {
        file: source.to_owned(),
        location,
        message,
    }
}

/// Removes every " at line L column C" (and " at position P") from a parser message.
fn strip_positions(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(" at ") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 4..];
        let skip = position_len(tail);
        if skip == 0 {
            out.push_str(" at ");
        }
        rest = &tail[skip..];
    }
    out.push_str(rest);
    out
}

/// The length of a leading "line L column C" or "position P", else 0.
fn position_len(text: &str) -> usize {
    let number = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    if let Some(after) = text.strip_prefix("line ") {
        let n = number(after);
        if n > 0 {
            if let Some(col) = after[n..].strip_prefix(" column ") {
                let m = number(col);
                if m > 0 {
                    return "line ".len() + n + " column ".len() + m;
                }
            }
        }
    } else if let Some(after) = text.strip_prefix("position ") {
        let n = number(after);
        if n > 0 {
            return "position ".len() + n;
        }
    }
    0
}

/// The parser's `targets.<name>: <key><sentence>` for a key on the wrong kind (see
/// [`WRONG_KIND`]), worded `targets.<name>.<key>: <sentence>`.
fn wrong_kind(message: &str) -> Option<String> {
    let (path, rest) = message.split_once(WRONG_KIND)?;
    let path = path.strip_suffix(": ").unwrap_or(path);
    let (key, sentence) = rest.split_once(WRONG_KIND)?;
    Some(match (path.is_empty(), key.is_empty()) {
        (_, true) => format!("{path}: {sentence}"),
        (true, false) => format!("{key}: {sentence}"),
        (false, false) => format!("{path}.{key}: {sentence}"),
    })
}
