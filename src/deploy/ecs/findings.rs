//! The scan gate's verdict, pure: findings counted by severity, the allow list applied (an
//! expired entry allows nothing), and the block decision against `fail_on`. No I/O: the caller
//! gives today's date and prints what this returns.
//!
//! Finding ids come from the scanner and are untrusted text: everything this renders passes
//! through [`crate::text::one_line`].

use crate::config::{Allow, Severity};

/// A finding's severity as the scanner reports it. Only the four graded levels can block;
/// `INFORMATIONAL`, `UNDEFINED` and Inspector's `UNTRIAGED` are shown but never block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Other,
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    /// Reads a scanner severity (`HIGH`, `critical`, ...); anything unknown is `Other`.
    pub fn parse(text: &str) -> Level {
        match text.trim().to_ascii_uppercase().as_str() {
            "CRITICAL" => Level::Critical,
            "HIGH" => Level::High,
            "MEDIUM" => Level::Medium,
            "LOW" => Level::Low,
            "INFORMATIONAL" => Level::Informational,
            _ => Level::Other,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Level::Critical => "CRITICAL",
            Level::High => "HIGH",
            Level::Medium => "MEDIUM",
            Level::Low => "LOW",
            Level::Informational => "INFORMATIONAL",
            Level::Other => "UNDEFINED",
        }
    }

    /// Whether a finding of this level blocks at `fail_on`.
    fn blocks_at(self, fail_on: Severity) -> bool {
        let graded = match self {
            Level::Critical => Severity::Critical,
            Level::High => Severity::High,
            Level::Medium => Severity::Medium,
            Level::Low => Severity::Low,
            Level::Informational | Level::Other => return false,
        };
        fail_on != Severity::None && graded >= fail_on
    }

    const ALL: [Level; 6] = [
        Level::Critical,
        Level::High,
        Level::Medium,
        Level::Low,
        Level::Informational,
        Level::Other,
    ];
}

/// One finding: its id (a CVE, or the scanner's name for it) and level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub id: String,
    pub level: Level,
}

/// A warning about the allow list, for stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowWarning {
    /// The entry's last day has passed: it allowed nothing.
    Expired { id: String, expires: String },
    /// The entry matched no finding of this image.
    Unused { id: String },
}

impl std::fmt::Display for AllowWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AllowWarning::Expired { id, expires } => write!(
                f,
                "scan.allow entry `{}` expired on {expires}, so it allows nothing; renew or remove it",
                crate::text::one_line(id)
            ),
            AllowWarning::Unused { id } => write!(
                f,
                "scan.allow entry `{}` matched no finding of this image; remove it if it is no longer needed",
                crate::text::one_line(id)
            ),
        }
    }
}

/// The counts of one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Row {
    pub found: usize,
    pub allowed: usize,
    pub blocking: usize,
}

/// The gate's decision for one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub fail_on: Severity,
    /// One row per level, highest first.
    pub rows: Vec<(Level, Row)>,
    /// The ids of the findings that block, highest level first, each once.
    pub blocking: Vec<String>,
    pub warnings: Vec<AllowWarning>,
}

/// Applies the allow list and `fail_on` to `findings`. `today` is `YYYY-MM-DD` (UTC); an entry
/// allows through its `expires` day inclusive. Ids match without regard to ASCII case.
pub fn judge(findings: &[Finding], allow: &[Allow], fail_on: Severity, today: &str) -> Verdict {
    let live: Vec<&Allow> = allow
        .iter()
        .filter(|a| a.expires.as_str() >= today)
        .collect();
    let mut used = vec![false; live.len()];
    let mut rows: Vec<(Level, Row)> = Level::ALL.iter().map(|l| (*l, Row::default())).collect();
    let mut blocking: Vec<(Level, String)> = Vec::new();
    for finding in findings {
        let Some((_, row)) = rows.iter_mut().find(|(l, _)| *l == finding.level) else {
            continue;
        };
        row.found += 1;
        let allowed = live
            .iter()
            .position(|a| a.id.eq_ignore_ascii_case(&finding.id));
        if let Some(i) = allowed {
            used[i] = true;
            row.allowed += 1;
        } else if finding.level.blocks_at(fail_on) {
            row.blocking += 1;
            if !blocking.iter().any(|(_, id)| *id == finding.id) {
                blocking.push((finding.level, finding.id.clone()));
            }
        }
    }
    blocking.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut warnings: Vec<AllowWarning> = allow
        .iter()
        .filter(|a| a.expires.as_str() < today)
        .map(|a| AllowWarning::Expired {
            id: a.id.clone(),
            expires: a.expires.clone(),
        })
        .collect();
    warnings.extend(
        live.iter()
            .zip(&used)
            .filter(|(_, used)| !**used)
            .map(|(a, _)| AllowWarning::Unused { id: a.id.clone() }),
    );
    Verdict {
        fail_on,
        rows,
        blocking: blocking.into_iter().map(|(_, id)| id).collect(),
        warnings,
    }
}

impl Verdict {
    pub fn blocked(&self) -> bool {
        !self.blocking.is_empty()
    }

    /// The table of severities, then the blocking ids: several lines, each safe to print.
    pub fn table(&self) -> String {
        let mut out = String::from("  severity       found  allowed  blocking\n");
        for (level, row) in &self.rows {
            out.push_str(&format!(
                "  {:<13} {:>6} {:>8} {:>9}\n",
                level.name(),
                row.found,
                row.allowed,
                row.blocking
            ));
        }
        if self.blocking.is_empty() {
            out.push_str(&format!(
                "  blocking ({}): none\n",
                fail_on_name(self.fail_on)
            ));
        } else {
            out.push_str(&format!(
                "  blocking ({}): {}\n",
                fail_on_name(self.fail_on),
                self.blocking
                    .iter()
                    .map(|id| crate::text::one_line(id))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        out
    }

    /// One line for the error: how many findings block, and the first few ids.
    pub fn summary(&self) -> String {
        const SHOWN: usize = 5;
        let count: usize = self.rows.iter().map(|(_, r)| r.blocking).sum();
        let mut ids: Vec<String> = self
            .blocking
            .iter()
            .take(SHOWN)
            .map(|id| crate::text::one_line(id))
            .collect();
        if self.blocking.len() > SHOWN {
            ids.push(format!("and {} more", self.blocking.len() - SHOWN));
        }
        format!(
            "{count} finding{} at or above {} ({})",
            if count == 1 { "" } else { "s" },
            fail_on_name(self.fail_on),
            ids.join(", ")
        )
    }
}

pub fn fail_on_name(fail_on: Severity) -> &'static str {
    match fail_on {
        Severity::None => "NONE",
        Severity::Low => "LOW",
        Severity::Medium => "MEDIUM",
        Severity::High => "HIGH",
        Severity::Critical => "CRITICAL",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &str, level: &str) -> Finding {
        Finding {
            id: id.into(),
            level: Level::parse(level),
        }
    }

    fn allow(id: &str, expires: &str) -> Allow {
        Allow {
            id: id.into(),
            reason: "test".into(),
            expires: expires.into(),
        }
    }

    fn row(verdict: &Verdict, level: Level) -> Row {
        verdict.rows.iter().find(|(l, _)| *l == level).unwrap().1
    }

    #[test]
    fn findings_at_or_above_fail_on_block() {
        let findings = [
            finding("CVE-1", "HIGH"),
            finding("CVE-2", "MEDIUM"),
            finding("CVE-3", "CRITICAL"),
            finding("CVE-4", "INFORMATIONAL"),
            finding("CVE-5", "UNTRIAGED"),
        ];
        let verdict = judge(&findings, &[], Severity::High, "2026-01-01");
        assert!(verdict.blocked());
        assert_eq!(verdict.blocking, ["CVE-3", "CVE-1"]);
        assert_eq!(
            row(&verdict, Level::Medium),
            Row {
                found: 1,
                allowed: 0,
                blocking: 0
            }
        );
        assert_eq!(row(&verdict, Level::Other).found, 1);
        let low = judge(&findings, &[], Severity::Low, "2026-01-01");
        assert_eq!(low.blocking, ["CVE-3", "CVE-1", "CVE-2"]);
    }

    #[test]
    fn none_blocks_nothing() {
        let verdict = judge(
            &[finding("CVE-1", "CRITICAL")],
            &[],
            Severity::None,
            "2026-01-01",
        );
        assert!(!verdict.blocked());
        assert_eq!(row(&verdict, Level::Critical).found, 1);
    }

    #[test]
    fn a_live_entry_allows_through_its_last_day() {
        let findings = [finding("cve-2024-1", "HIGH")];
        let verdict = judge(
            &findings,
            &[allow("CVE-2024-1", "2026-01-01")],
            Severity::High,
            "2026-01-01",
        );
        assert!(!verdict.blocked());
        assert_eq!(row(&verdict, Level::High).allowed, 1);
        assert!(verdict.warnings.is_empty());
    }

    #[test]
    fn an_expired_entry_allows_nothing_and_warns() {
        let verdict = judge(
            &[finding("CVE-2024-1", "HIGH")],
            &[allow("CVE-2024-1", "2025-12-31")],
            Severity::High,
            "2026-01-01",
        );
        assert!(verdict.blocked());
        assert_eq!(
            verdict.warnings,
            [AllowWarning::Expired {
                id: "CVE-2024-1".into(),
                expires: "2025-12-31".into()
            }]
        );
    }

    #[test]
    fn an_unused_entry_warns() {
        let verdict = judge(
            &[],
            &[allow("CVE-9", "2030-01-01")],
            Severity::High,
            "2026-01-01",
        );
        assert_eq!(
            verdict.warnings,
            [AllowWarning::Unused { id: "CVE-9".into() }]
        );
        assert!(verdict.warnings[0]
            .to_string()
            .contains("matched no finding"));
    }

    #[test]
    fn untrusted_ids_print_on_one_line() {
        let verdict = judge(
            &[finding("CVE-1\n\u{1b}[31mfake", "HIGH")],
            &[],
            Severity::High,
            "2026-01-01",
        );
        assert!(verdict.table().contains("CVE-1\\u{a}\\u{1b}[31mfake"));
        assert_eq!(
            verdict.summary(),
            "1 finding at or above HIGH (CVE-1\\u{a}\\u{1b}[31mfake)"
        );
        assert_eq!(verdict.table().lines().count(), 8);
    }

    #[test]
    fn the_summary_names_the_first_five() {
        let findings: Vec<Finding> = (1..=7)
            .map(|i| finding(&format!("CVE-{i}"), "CRITICAL"))
            .collect();
        let verdict = judge(&findings, &[], Severity::Critical, "2026-01-01");
        assert_eq!(
            verdict.summary(),
            "7 findings at or above CRITICAL (CVE-1, CVE-2, CVE-3, CVE-4, CVE-5, and 2 more)"
        );
    }
}
