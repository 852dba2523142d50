//! The results of Terraform root analyses, kept between runs (`--cache-dir`), so that a push
//! re-analyses only the roots it can affect.
//!
//! The module-graph analysis reads only through a [`Snapshot`], so its result is a function of
//! the answers to the questions it asked (`Recorder`). An entry keeps, for one root and its
//! `var_files`, those questions with the answers one commit gave (object ids and kinds, see
//! [`GitSnapshot::answer`]) and the [`RootDependencies`] (warnings included) they led to. A
//! later run asks the same questions of its own tree, which costs tree lookups and no blob
//! reads; when every answer is the same, the analysis would ask the same questions, read the
//! same bytes and give the same result, so the entry's result is used. Entries are also the
//! run's own memory: the base commit of a range reuses the head's entry the same way.
//!
//! A cache is an optimisation, never an input: a missing, corrupt, unreadable or unwritable
//! file, or one written by another version of the binary, is as if there were none, said at
//! most in a note (shown with `--verbose`). The file is written whole, to a temporary name
//! that is then renamed, so a reader never sees half of one. This file must not analyse, route
//! or read the repository other than through a snapshot's answers.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::analysis::module_graph::RootDependencies;
use crate::analysis::snapshot::{Answer, GitSnapshot, Question};
use crate::error::Result;

/// The file of the cache, in its folder.
const FILE: &str = "terraform-roots.json";
/// What a file must say it was written by: this binary's version, the file's layout and the
/// source the binary was built from (`QUEST_SOURCE_ID`, see `build.rs`), so a new release, a new
/// layout or a build whose analysis changed never trusts an older file.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "/1/", env!("QUEST_SOURCE_ID"));
/// The most results kept per root and `var_files` (branches and both ends of ranges differ).
const VARIANTS: usize = 4;

/// The stored form.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    version: String,
    /// Every (question, answer) pair some entry relies on, each once: roots share modules.
    answers: Vec<(Question, Answer)>,
    entries: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    root: String,
    var_files: Vec<String>,
    /// Positions in `answers`.
    asked: Vec<u32>,
    deps: Rc<RootDependencies>,
}

/// Where one result stands in the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EntryId(usize);

/// The analysis results one run may reuse, and those it adds.
#[derive(Debug, Default)]
pub(crate) struct RootCache {
    /// The file, or `None` for a cache of this run only.
    file: Option<PathBuf>,
    stored: Stored,
    /// (question, answer) -> its position in `stored.answers`; built on the first insert.
    positions: HashMap<(Question, Answer), u32>,
    /// (root, var_files) -> its entries, newest first.
    by_key: HashMap<(String, Vec<String>), Vec<usize>>,
    /// Whether each entry was found or made by this run.
    used: Vec<bool>,
    /// Whether the file should be written.
    changed: bool,
    /// Tree id -> for each answer pair, whether that tree gives it (0: not asked yet, 1: yes,
    /// 2: no).
    replies: RefCell<HashMap<git2::Oid, Vec<u8>>>,
    notes: Vec<String>,
}

impl RootCache {
    /// A cache of this run only: nothing is read or written.
    pub(crate) fn in_memory() -> RootCache {
        RootCache::default()
    }

    /// The cache in `dir`: its entries when the file is there and this version wrote it,
    /// else none (with a note saying why, for `--verbose`).
    pub(crate) fn open(dir: &Path) -> RootCache {
        let file = dir.join(FILE);
        let mut cache = RootCache {
            file: Some(file.clone()),
            ..RootCache::default()
        };
        let bytes = match std::fs::read(&file) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return cache,
            Err(e) => {
                cache.note(format!("failed to read {}: {e}", file.display()));
                return cache;
            }
        };
        let stored: Stored = match serde_json::from_slice(&bytes) {
            Ok(stored) => stored,
            Err(e) => {
                cache.note(format!("ignored {}: {e}", file.display()));
                return cache;
            }
        };
        if stored.version != VERSION {
            cache.note(format!(
                "ignored {}: written by version {}, not {VERSION}",
                file.display(),
                stored.version
            ));
            return cache;
        }
        let answers = stored.answers.len();
        if stored
            .entries
            .iter()
            .any(|e| e.asked.iter().any(|&i| i as usize >= answers))
        {
            cache.note(format!("ignored {}: it is inconsistent", file.display()));
            return cache;
        }
        for (i, entry) in stored.entries.iter().enumerate() {
            cache
                .by_key
                .entry((entry.root.clone(), entry.var_files.clone()))
                .or_default()
                .push(i);
        }
        cache.used = vec![false; stored.entries.len()];
        cache.stored = stored;
        cache
    }

    fn note(&mut self, note: String) {
        self.notes.push(format!("analysis cache: {note}"));
    }

    /// What the cache had to say (for `--verbose`).
    pub(crate) fn notes(&self) -> &[String] {
        &self.notes
    }

    /// An entry for `root` with `var_files` whose every answer `tree` gives, if any.
    pub(crate) fn find(
        &mut self,
        root: &str,
        var_files: &[String],
        tree: &GitSnapshot<'_>,
    ) -> Result<Option<EntryId>> {
        let Some(candidates) = self.by_key.get(&(root.to_owned(), var_files.to_vec())) else {
            return Ok(None);
        };
        for &i in candidates {
            if self.alike(EntryId(i), tree)? {
                self.used[i] = true;
                return Ok(Some(EntryId(i)));
            }
        }
        Ok(None)
    }

    /// Whether `tree` gives every answer of entry `id`.
    pub(crate) fn alike(&self, id: EntryId, tree: &GitSnapshot<'_>) -> Result<bool> {
        let entry = &self.stored.entries[id.0];
        let mut replies = self.replies.borrow_mut();
        let replies = replies.entry(tree.id()).or_default();
        replies.resize(self.stored.answers.len(), 0);
        for &i in &entry.asked {
            let i = i as usize;
            if replies[i] == 0 {
                let (question, answer) = &self.stored.answers[i];
                replies[i] = if tree.answer(question)? == *answer {
                    1
                } else {
                    2
                };
            }
            if replies[i] == 2 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The result of entry `id`.
    pub(crate) fn deps(&self, id: EntryId) -> Rc<RootDependencies> {
        Rc::clone(&self.stored.entries[id.0].deps)
    }

    /// Keeps `deps`, the result of analysing `root` with `var_files` in `tree`, which asked
    /// `questions`.
    pub(crate) fn insert(
        &mut self,
        root: &str,
        var_files: &[String],
        questions: Vec<Question>,
        tree: &GitSnapshot<'_>,
        deps: RootDependencies,
    ) -> Result<EntryId> {
        if self.positions.is_empty() {
            self.positions = self
                .stored
                .answers
                .iter()
                .cloned()
                .enumerate()
                .map(|(i, pair)| (pair, i as u32))
                .collect();
        }
        let mut asked = Vec::with_capacity(questions.len());
        for question in questions {
            let answer = tree.answer(&question)?;
            let pair = (question, answer);
            let at = match self.positions.get(&pair) {
                Some(&at) => at,
                None => {
                    let at = self.stored.answers.len() as u32;
                    self.stored.answers.push(pair.clone());
                    self.positions.insert(pair, at);
                    at
                }
            };
            asked.push(at);
        }
        asked.sort_unstable();
        let i = self.stored.entries.len();
        self.stored.entries.push(Entry {
            root: root.to_owned(),
            var_files: var_files.to_vec(),
            asked,
            deps: Rc::new(deps),
        });
        self.used.push(true);
        self.by_key
            .entry((root.to_owned(), var_files.to_vec()))
            .or_default()
            .insert(0, i);
        // This tree gives every answer just recorded.
        if let Some(replies) = self.replies.get_mut().get_mut(&tree.id()) {
            replies.resize(self.stored.answers.len(), 0);
            for &a in &self.stored.entries[i].asked {
                replies[a as usize] = 1;
            }
        }
        self.changed = true;
        Ok(EntryId(i))
    }

    /// Writes the file when this run added entries: the entries this run used or made first,
    /// then the older ones, at most [`VARIANTS`] per root. A failure is a note, never an
    /// error.
    pub(crate) fn save(&mut self) {
        let Some(file) = self.file.clone() else {
            return;
        };
        if !self.changed {
            return;
        }
        if let Err(e) = self.write(&file) {
            self.note(format!("failed to write {}: {e}", file.display()));
        }
    }

    fn write(&mut self, file: &Path) -> std::io::Result<()> {
        let stored = std::mem::take(&mut self.stored);
        let mut order: Vec<usize> = (0..stored.entries.len()).collect();
        // Newest first within each group: this run's entries were pushed last.
        order.sort_by_key(|&i| (!self.used[i], std::cmp::Reverse(i)));
        let mut kept_per_key: HashMap<(&str, &[String]), usize> = HashMap::new();
        let mut keep = vec![false; stored.entries.len()];
        for &i in &order {
            let entry = &stored.entries[i];
            let count = kept_per_key
                .entry((entry.root.as_str(), entry.var_files.as_slice()))
                .or_default();
            if *count < VARIANTS {
                *count += 1;
                keep[i] = true;
            }
        }
        let mut answers = Vec::new();
        let mut renumbered: HashMap<u32, u32> = HashMap::new();
        let mut old_answers: Vec<Option<(Question, Answer)>> =
            stored.answers.into_iter().map(Some).collect();
        let mut entries = Vec::new();
        let mut old_entries: Vec<Option<Entry>> = stored.entries.into_iter().map(Some).collect();
        for &i in &order {
            if !keep[i] {
                continue;
            }
            let Some(mut entry) = old_entries[i].take() else {
                continue;
            };
            for a in &mut entry.asked {
                *a = *renumbered.entry(*a).or_insert_with(|| {
                    answers.push(old_answers[*a as usize].take());
                    (answers.len() - 1) as u32
                });
            }
            entries.push(entry);
        }
        let out = Stored {
            version: VERSION.to_owned(),
            answers: answers.into_iter().flatten().collect(),
            entries,
        };
        let dir = file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let bytes = serde_json::to_vec(&out).map_err(std::io::Error::other)?;
        let temp = dir.join(format!(".{FILE}.{}.tmp", std::process::id()));
        std::fs::write(&temp, bytes)
            .and_then(|()| std::fs::rename(&temp, file))
            .inspect_err(|_| {
                let _ = std::fs::remove_file(&temp);
            })
    }
}
