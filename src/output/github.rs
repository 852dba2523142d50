//! `--format github`: step outputs for GitHub Actions, and a job summary.
//!
//! Appends `<target>=true|false`, `changed_targets=<JSON list>` and `any_changed=true|false` to
//! the file named by `GITHUB_OUTPUT`, each in the `name<<DELIMITER` form with a delimiter that
//! does not occur in the value, so no value can inject another output. When
//! `GITHUB_STEP_SUMMARY` is set, the markdown summary is appended to it.

use std::io::Write as _;
use std::path::Path;

use crate::detect::report::Report;
use crate::error::{Error, Result};

/// The lines appended to `GITHUB_OUTPUT`.
pub fn render(report: &Report) -> String {
    let mut pairs: Vec<(String, String)> = report
        .routing
        .iter()
        .map(|(name, r)| (name.clone(), r.changed.to_string()))
        .collect();
    let changed = report.changed_targets();
    pairs.push((
        "changed_targets".into(),
        serde_json::to_string(&changed).unwrap_or_else(|_| "[]".into()),
    ));
    pairs.push(("any_changed".into(), (!changed.is_empty()).to_string()));
    pairs.push(("uncertain".into(), report.range.uncertain.to_string()));
    let mut out = String::new();
    for (name, value) in pairs {
        let delimiter = delimiter_for(&value);
        out.push_str(&format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"));
    }
    out
}

/// A delimiter that is not a line of `value`.
fn delimiter_for(value: &str) -> String {
    let mut n = 0u32;
    loop {
        let candidate = format!("QUEST_CHANGES_EOF_{n}");
        if !value.lines().any(|l| l == candidate) {
            return candidate;
        }
        n += 1;
    }
}

/// Opens the file at `path` for appending (GitHub creates it; we only ever append).
pub fn open(path: &Path) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(Error::io("open", path))
}

/// Appends `text` to an opened file; `path` names it in errors.
pub fn write(file: &mut std::fs::File, path: &Path, text: &str) -> Result<()> {
    file.write_all(text.as_bytes())
        .map_err(Error::io("append to", path))
}
