//! The saved plan of a target and its fingerprint: the commit it was made for and the SHA-256
//! of the plan file, kept beside it in the plan directory.
//!
//! A plan applied later (the apply job of a pipeline, after the plan job saved it) is applied
//! only if both still match: another commit, or a file changed since, is a stale plan. This file
//! reads and writes the plan directory only; it runs nothing.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::error::{Error, Result};
use crate::text::short_sha;

/// Where one target's saved plan and fingerprint live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedPlan {
    pub plan: PathBuf,
    pub fingerprint: PathBuf,
}

/// What is recorded beside a saved plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// The full SHA of the commit the plan was made for.
    pub commit: String,
    /// `sha256:<hex>` of the plan file.
    pub plan_sha256: String,
}

impl SavedPlan {
    /// The files of target `name` in `dir`.
    pub fn new(dir: &Path, name: &str) -> SavedPlan {
        SavedPlan {
            plan: dir.join(super::plan_file_name(name)),
            fingerprint: dir.join(format!("quest-{name}.fingerprint.json")),
        }
    }

    /// Whether a plan was saved here (by an earlier run).
    pub fn exists(&self) -> bool {
        self.plan.is_file() || self.fingerprint.is_file()
    }

    /// Records `commit` and the hash of the plan file just written.
    pub fn seal(&self, commit: &str) -> Result<Fingerprint> {
        let fingerprint = Fingerprint {
            commit: commit.to_owned(),
            plan_sha256: hash(&self.plan)?,
        };
        let text = serde_json::to_string_pretty(&fingerprint).unwrap_or_default();
        std::fs::write(&self.fingerprint, text + "\n")
            .map_err(Error::io("write the plan fingerprint", &self.fingerprint))?;
        Ok(fingerprint)
    }

    /// Checks the saved plan against `commit`; the sentence says what does not match.
    pub fn verify(&self, commit: &str) -> std::result::Result<Fingerprint, String> {
        let text = std::fs::read_to_string(&self.fingerprint).map_err(|_| {
            format!(
                "the saved plan {} has no readable fingerprint beside it",
                shown(&self.plan)
            )
        })?;
        let fingerprint: Fingerprint = serde_json::from_str(&text).map_err(|_| {
            format!(
                "the fingerprint {} is not one quest-changes wrote",
                shown(&self.fingerprint)
            )
        })?;
        if fingerprint.commit != commit {
            return Err(format!(
                "the saved plan {} was made for commit {}, and this is commit {}; plan again for this commit",
                shown(&self.plan),
                short_sha(&fingerprint.commit),
                short_sha(commit)
            ));
        }
        let actual = hash(&self.plan).map_err(|_| {
            format!(
                "the saved plan {} is missing beside its fingerprint",
                shown(&self.plan)
            )
        })?;
        if actual != fingerprint.plan_sha256 {
            return Err(format!(
                "the saved plan {} changed since it was made (its SHA-256 no longer matches the fingerprint)",
                shown(&self.plan)
            ));
        }
        Ok(fingerprint)
    }

    /// Removes the plan and its fingerprint (after an apply: a plan applies once).
    pub fn remove(&self) -> Result<()> {
        for file in [&self.plan, &self.fingerprint] {
            match std::fs::remove_file(file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io("remove", file.clone())(e))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// `sha256:<hex>` of a file.
pub fn hash(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(Error::io("read the saved plan", path))?;
    let digest = Sha256::digest(&bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("sha256:{hex}"))
}

fn shown(path: &Path) -> String {
    format!("`{}`", crate::text::one_line(&path.display().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn a_sealed_plan_verifies_for_its_commit_only_and_unaltered() {
        let dir = tempfile::tempdir().unwrap();
        let saved = SavedPlan::new(dir.path(), "infra");
        assert!(!saved.exists());
        std::fs::write(&saved.plan, b"plan bytes").unwrap();
        let sealed = saved.seal(A).unwrap();
        assert!(sealed.plan_sha256.starts_with("sha256:"));
        assert_eq!(saved.verify(A).unwrap(), sealed);
        let other = saved.verify(B).unwrap_err();
        assert!(
            other.contains("was made for commit aaaaaaaaaaaa, and this is commit bbbbbbbbbbbb"),
            "{other}"
        );
        std::fs::write(&saved.plan, b"other bytes").unwrap();
        assert!(saved
            .verify(A)
            .unwrap_err()
            .contains("changed since it was made"));
        saved.remove().unwrap();
        assert!(!saved.exists());
    }
}
