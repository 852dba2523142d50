//! `status`: what runs where, as an aligned text table, the documented JSON shape
//! (docs/outputs.md, "`status --format json`") or a Markdown table. Renders a
//! [`crate::deploy::status::Status`] and computes nothing of its own.
//!
//! A commit subject is outside text: in text it is made one safe line
//! ([`crate::text::one_line`]); in Markdown every metacharacter becomes an entity
//! ([`super::markdown::escape_text`]), so no subject can break the table, open HTML or form a
//! link; paths are code spans that no name can close.

use std::fmt::Write as _;

use indexmap::IndexMap;
use serde::Serialize;

use super::markdown::escape_text;
use crate::deploy::status::{Cell, Status};
use crate::text::{one_line, short, short_sha};

/// The version of the JSON shape; bumped only on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Characters of a subject kept in the text table; the rest is cut with `…`.
const MAX_SUBJECT: usize = 50;

/// Paths listed per cell at most in text and Markdown; the rest are counted.
const MAX_NEXT: usize = 20;

/// The cell's state in one word, as JSON names it.
fn state(cell: &Cell) -> &'static str {
    match cell {
        Cell::NotConfigured => "not_configured",
        Cell::Nothing => "nothing",
        Cell::UnknownCommit(_) => "unknown_commit",
        Cell::Deployed(_) => "deployed",
        Cell::Failed(_) => "error",
    }
}

/// What a cell says instead of a commit's subject, when it has none.
fn note(cell: &Cell) -> String {
    match cell {
        Cell::NotConfigured => "not configured: no deployment settings here".into(),
        Cell::Nothing => "nothing deployed by quest-changes yet".into(),
        Cell::UnknownCommit(_) => "the deployed commit is not in this repository's history".into(),
        Cell::Deployed(d) => d.subject.clone(),
        Cell::Failed(error) => format!("error: {error}"),
    }
}

/// The commit column: the short SHA, or `-`.
fn commit(cell: &Cell) -> String {
    match cell {
        Cell::Deployed(d) => short(d.commit),
        Cell::UnknownCommit(sha) => one_line(short_sha(sha)),
        _ => "-".into(),
    }
}

/// The deployment time, marked when it is the commit's date.
fn when(cell: &Cell) -> String {
    match cell {
        Cell::Deployed(d) => match d.time_source {
            crate::deploy::status::TimeSource::Deployment => one_line(&d.deployed_at),
            crate::deploy::status::TimeSource::Commit => {
                format!("{} (committed)", one_line(&d.deployed_at))
            }
        },
        _ => "-".into(),
    }
}

fn rollout(cell: &Cell) -> String {
    match cell {
        Cell::Deployed(d) => d.rollout.as_deref().map(one_line).unwrap_or("-".into()),
        _ => "-".into(),
    }
}

fn behind(cell: &Cell) -> String {
    match cell {
        Cell::Deployed(d) if d.ahead > 0 => format!("{} (+{} not in head)", d.behind, d.ahead),
        Cell::Deployed(d) => d.behind.to_string(),
        _ => "-".into(),
    }
}

fn next_count(cell: &Cell) -> String {
    match cell {
        Cell::Deployed(d) if d.next.is_empty() => "nothing".into(),
        Cell::Deployed(d) => format!(
            "{} path{}",
            d.next.len(),
            if d.next.len() == 1 { "" } else { "s" }
        ),
        Cell::Nothing | Cell::UnknownCommit(_) => "everything".into(),
        _ => "-".into(),
    }
}

/// Every cell with its target and environment, row by row.
fn cells(status: &Status) -> impl Iterator<Item = (&str, &str, &Cell)> {
    status.targets.iter().flat_map(|t| {
        t.cells
            .iter()
            .zip(&status.environments)
            .map(|(cell, env)| (t.name.as_str(), env.as_str(), cell))
    })
}

/// An aligned table, a row per target and environment, then the paths each next deployment
/// would take.
pub fn text(status: &Status) -> String {
    let header = [
        "TARGET",
        "ENVIRONMENT",
        "COMMIT",
        "SUBJECT",
        "DEPLOYED",
        "ROLLOUT",
        "BEHIND",
        "NEXT",
    ];
    // A failed cell's row ends in its error after the environment, so one long message does
    // not widen every other row.
    let mut rows: Vec<Vec<String>> = vec![header.map(str::to_owned).to_vec()];
    for (target, env, cell) in cells(status) {
        if let Cell::Failed(_) = cell {
            rows.push(vec![one_line(target), one_line(env), one_line(&note(cell))]);
            continue;
        }
        let mut subject: Vec<char> = one_line(&note(cell)).chars().collect();
        if subject.len() > MAX_SUBJECT {
            subject.truncate(MAX_SUBJECT - 1);
            subject.push('…');
        }
        rows.push(vec![
            one_line(target),
            one_line(env),
            commit(cell),
            subject.into_iter().collect(),
            when(cell),
            rollout(cell),
            behind(cell),
            next_count(cell),
        ]);
    }
    let mut widths = [0; 8];
    for row in &rows {
        // A row's last cell is never padded, so it sets no width.
        for (w, c) in widths.iter_mut().zip(&row[..row.len() - 1]) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let pad = width.saturating_sub(cell.chars().count());
                let _ = write!(line, "{cell}{}  ", " ".repeat(pad));
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let mut listed = false;
    for (target, env, cell) in cells(status) {
        let Cell::Deployed(d) = cell else { continue };
        if d.next.is_empty() {
            continue;
        }
        if !listed {
            out.push_str("\nnext deployments:\n");
            listed = true;
        }
        let _ = writeln!(out, "  {} in {}:", one_line(target), one_line(env));
        for path in d.next.iter().take(MAX_NEXT) {
            let _ = writeln!(out, "    {}", path.escaped());
        }
        if d.next.len() > MAX_NEXT {
            let _ = writeln!(out, "    and {} more", d.next.len() - MAX_NEXT);
        }
    }
    let _ = writeln!(out, "\nhead {}", status.head);
    out
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    head: String,
    environments: &'a [String],
    targets: IndexMap<&'a str, TargetDoc<'a>>,
}

#[derive(Serialize)]
struct TargetDoc<'a> {
    kind: &'static str,
    environments: IndexMap<&'a str, CellDoc>,
}

#[derive(Serialize)]
struct CellDoc {
    state: &'static str,
    commit: Option<String>,
    subject: Option<String>,
    deployed_at: Option<String>,
    deployed_at_source: Option<&'static str>,
    rollout: Option<String>,
    behind: Option<usize>,
    ahead: Option<usize>,
    next: Option<Vec<String>>,
    error: Option<String>,
}

/// The documented JSON shape, pretty, with a newline.
pub fn json(status: &Status) -> String {
    let mut targets = IndexMap::new();
    for target in &status.targets {
        let mut environments = IndexMap::new();
        for (cell, env) in target.cells.iter().zip(&status.environments) {
            let mut doc = CellDoc {
                state: state(cell),
                commit: None,
                subject: None,
                deployed_at: None,
                deployed_at_source: None,
                rollout: None,
                behind: None,
                ahead: None,
                next: None,
                error: None,
            };
            match cell {
                Cell::NotConfigured | Cell::Nothing => {}
                Cell::UnknownCommit(sha) => doc.commit = Some(sha.clone()),
                Cell::Failed(error) => doc.error = Some(error.clone()),
                Cell::Deployed(d) => {
                    doc.commit = Some(d.commit.to_string());
                    doc.subject = Some(d.subject.clone());
                    doc.deployed_at = Some(d.deployed_at.clone());
                    doc.deployed_at_source = Some(d.time_source.as_str());
                    doc.rollout.clone_from(&d.rollout);
                    doc.behind = Some(d.behind);
                    doc.ahead = Some(d.ahead);
                    doc.next = Some(d.next.iter().map(|p| p.lossy()).collect());
                }
            }
            environments.insert(env.as_str(), doc);
        }
        targets.insert(
            target.name.as_str(),
            TargetDoc {
                kind: target.kind.as_str(),
                environments,
            },
        );
    }
    let doc = Document {
        version: SCHEMA_VERSION,
        head: status.head.to_string(),
        environments: &status.environments,
        targets,
    };
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// A Markdown table, a row per target and environment; every value from outside escaped.
pub fn markdown(status: &Status) -> String {
    let mut out = String::from("### quest-changes: what runs where\n\n");
    out.push_str(
        "| Target | Environment | Commit | Subject | Deployed | Rollout | Behind | Next |\n",
    );
    out.push_str("| --- | --- | --- | --- | --- | --- | ---: | --- |\n");
    for (target, env, cell) in cells(status) {
        let commit = match cell {
            Cell::Deployed(_) | Cell::UnknownCommit(_) => format!("`{}`", escape_code(cell)),
            _ => "-".into(),
        };
        let subject = match cell {
            Cell::Failed(_) => format!("**{}**", escape_text(&note(cell))),
            Cell::Deployed(_) => escape_text(&note(cell)),
            _ => format!("_{}_", escape_text(&note(cell))),
        };
        let next = match cell {
            Cell::Deployed(d) if !d.next.is_empty() => {
                let mut paths: Vec<String> = d
                    .next
                    .iter()
                    .take(MAX_NEXT)
                    .map(|p| p.markdown_code())
                    .collect();
                if d.next.len() > MAX_NEXT {
                    paths.push(format!("and {} more", d.next.len() - MAX_NEXT));
                }
                paths.join(", ")
            }
            _ => escape_text(&next_count(cell)),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {commit} | {subject} | {} | {} | {} | {next} |",
            escape_text(target),
            escape_text(env),
            escape_text(&when(cell)),
            escape_text(&rollout(cell)),
            escape_text(&behind(cell)),
        );
    }
    let _ = writeln!(out, "\nHead `{}`.", status.head);
    out
}

/// The commit column's text for a code span: hex digits of a SHA pass, anything else (an
/// engine's unreadable tag) is dropped.
fn escape_code(cell: &Cell) -> String {
    commit(cell)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A subject that tries everything a commit message can do to a Markdown table.
    const HOSTILE: &str =
        "fix | <img src=x onerror=alert(1)> `rm -rf /` *bold* _em_ [link](http://x) \n| injected | row |";

    #[test]
    fn a_hostile_subject_is_inert_markdown() {
        let escaped = escape_text(HOSTILE);
        for c in ['|', '<', '>', '`', '*', '_', '[', ']', '(', ')', '\n'] {
            assert!(!escaped.contains(c), "{c:?} survived in {escaped}");
        }
        assert_eq!(
            escaped,
            "fix &#124; &#60;img src=x onerror=alert&#40;1&#41;&#62; &#96;rm -rf /&#96; \
             &#42;bold&#42; &#95;em&#95; &#91;link&#93;&#40;http&#58;//x&#41; \
             &#92;u&#123;a&#125;&#124; injected &#124; row &#124;",
            "the newline is shown as an escape, never kept"
        );
    }

    #[test]
    fn a_hostile_subject_is_one_terminal_line() {
        let line = one_line("a\nb\u{1b}[31mred\u{202e}x");
        assert!(!line.contains('\n') && !line.contains('\u{1b}') && !line.contains('\u{202e}'));
    }

    #[test]
    fn a_commit_column_is_hex_or_nothing() {
        assert_eq!(
            escape_code(&Cell::UnknownCommit("abc`|<x>\n".into())),
            "abcxua"
        );
    }
}
