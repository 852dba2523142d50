//! Pairing a diff's deletions and additions into renames, the way `git diff -M` pairs them.
//!
//! Git's order, so the JSON marks the renames git marks: first the same blob at both ends
//! (preferring a source with the same file name), then a file name that only one deletion and
//! one addition have, when at least 75 % similar, then every remaining deletion against every
//! remaining addition, at least 50 % similar, unless there are more pairs than the rename limit
//! squared (git's `diff.renameLimit`, 1000 by default): then only the cheap steps ran and the
//! caller says so. Similarity is git's: each file is cut into lines (at most 64 bytes each),
//! each piece hashed, and the score is the bytes of the new file's pieces found in the old one,
//! over the larger size. Only regular files are compared by content; blobs are read only for
//! that step, and only for the candidates left after the exact pairs. Nothing here routes.

use std::collections::HashMap;

use git2::{Oid, Repository};

use crate::error::{Error, Result};

/// Git's default `diff.renameLimit`.
pub const DEFAULT_LIMIT: usize = 1000;

/// Git's scale of similarity: 60000 is identical.
const MAX_SCORE: u64 = 60_000;
/// `-M` with no number: 50 %.
const MIN_SCORE: u64 = MAX_SCORE / 2;
/// A unique file name on both sides pairs at 75 % (git's default basename factor, one half of
/// the way from the minimum to identical).
const MIN_BASENAME_SCORE: u64 = MIN_SCORE + (MAX_SCORE - MIN_SCORE) / 2;
/// How many best sources git keeps per destination before pairing.
const CANDIDATES_PER_DESTINATION: usize = 4;
/// The modulus of git's piece hash.
const HASH_BASE: u32 = 107_927;

const MODE_TYPE_MASK: i32 = 0o170000;
const MODE_REGULAR: i32 = 0o100000;

/// A deleted (source) or added (destination) non-tree entry.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub path: Vec<u8>,
    pub id: Oid,
    pub mode: i32,
}

/// The pairs found, as (source index, destination index), and whether the limit stopped the
/// comparison of contents.
#[derive(Debug, Default)]
pub struct Pairing {
    pub pairs: Vec<(usize, usize)>,
    /// Set when the similarity step was skipped: the sources and destinations left after the
    /// exact and file-name pairs, and the limit they exceeded.
    pub limit_hit: Option<LimitHit>,
}

/// Rename detection by content was skipped: `sources` × `destinations` > `limit`².
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitHit {
    pub limit: usize,
    pub sources: usize,
    pub destinations: usize,
}

/// The rename limit of `repo`: its `diff.renameLimit`, else git's default; zero or less means
/// none, as in git.
pub fn limit_of(repo: &Repository) -> Option<usize> {
    let configured = repo
        .config()
        .ok()
        .and_then(|c| c.get_i64("diff.renameLimit").ok());
    match configured {
        None => Some(DEFAULT_LIMIT),
        Some(n) if n <= 0 => None,
        Some(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
    }
}

/// Pairs `sources` (deletions) with `destinations` (additions), both in path order.
/// `limit` is asked only when contents would be compared (reading the configuration costs).
pub fn pair(
    repo: &Repository,
    sources: &[Candidate],
    destinations: &[Candidate],
    limit: impl FnOnce() -> Option<usize>,
) -> Result<Pairing> {
    let mut state = State {
        source_used: vec![false; sources.len()],
        destination_done: vec![false; destinations.len()],
        pairs: Vec::new(),
    };
    if sources.is_empty() || destinations.is_empty() {
        return Ok(Pairing::default());
    }
    exact(sources, destinations, &mut state);

    let mut contents = Contents {
        repo,
        loaded: HashMap::new(),
    };
    by_file_name(sources, destinations, &mut state, &mut contents)?;

    let left_sources: Vec<usize> = (0..sources.len())
        .filter(|&i| !state.source_used[i])
        .collect();
    let left_destinations: Vec<usize> = (0..destinations.len())
        .filter(|&i| !state.destination_done[i])
        .collect();
    if left_sources.is_empty() || left_destinations.is_empty() {
        return Ok(state.into_pairing(None));
    }
    if let Some(limit) = limit() {
        let pairs = left_sources.len().saturating_mul(left_destinations.len());
        if pairs > limit.saturating_mul(limit) {
            let hit = LimitHit {
                limit,
                sources: left_sources.len(),
                destinations: left_destinations.len(),
            };
            return Ok(state.into_pairing(Some(hit)));
        }
    }
    by_similarity(
        sources,
        destinations,
        &left_sources,
        &left_destinations,
        &mut state,
        &mut contents,
    )?;
    Ok(state.into_pairing(None))
}

struct State {
    source_used: Vec<bool>,
    destination_done: Vec<bool>,
    pairs: Vec<(usize, usize)>,
}

impl State {
    fn record(&mut self, source: usize, destination: usize) {
        self.source_used[source] = true;
        self.destination_done[destination] = true;
        self.pairs.push((source, destination));
    }

    fn into_pairing(self, limit_hit: Option<LimitHit>) -> Pairing {
        Pairing {
            pairs: self.pairs,
            limit_hit,
        }
    }
}

fn is_regular(mode: i32) -> bool {
    mode & MODE_TYPE_MASK == MODE_REGULAR
}

/// The same object at both ends. For each destination in order, the first unused source with
/// its id, preferring one with the same file name; links and submodules only with their own
/// mode.
fn exact(sources: &[Candidate], destinations: &[Candidate], state: &mut State) {
    let mut by_id: HashMap<Oid, Vec<usize>> = HashMap::new();
    for (i, s) in sources.iter().enumerate() {
        by_id.entry(s.id).or_default().push(i);
    }
    for (d, dest) in destinations.iter().enumerate() {
        let Some(candidates) = by_id.get(&dest.id) else {
            continue;
        };
        let mut best: Option<(usize, u8)> = None;
        for &s in candidates {
            let source = &sources[s];
            if state.source_used[s] {
                continue;
            }
            if (!is_regular(source.mode) || !is_regular(dest.mode)) && source.mode != dest.mode {
                continue;
            }
            let score = 1 + u8::from(same_file_name(&source.path, &dest.path));
            if best.is_none_or(|(_, b)| score > b) {
                best = Some((s, score));
                if score == 2 {
                    break;
                }
            }
        }
        if let Some((s, _)) = best {
            state.record(s, d);
        }
    }
}

/// A file name that exactly one remaining source and one remaining destination have pairs
/// them when they are at least [`MIN_BASENAME_SCORE`] similar.
fn by_file_name(
    sources: &[Candidate],
    destinations: &[Candidate],
    state: &mut State,
    contents: &mut Contents<'_>,
) -> Result<()> {
    // None: the name is not unique on that side.
    let mut source_names: HashMap<&[u8], Option<usize>> = HashMap::new();
    for (i, s) in sources.iter().enumerate() {
        if state.source_used[i] {
            continue;
        }
        source_names
            .entry(file_name(&s.path))
            .and_modify(|v| *v = None)
            .or_insert(Some(i));
    }
    let mut destination_names: HashMap<&[u8], Option<usize>> = HashMap::new();
    for (i, d) in destinations.iter().enumerate() {
        if state.destination_done[i] {
            continue;
        }
        destination_names
            .entry(file_name(&d.path))
            .and_modify(|v| *v = None)
            .or_insert(Some(i));
    }
    for (s, source) in sources.iter().enumerate() {
        if state.source_used[s] {
            continue;
        }
        let name = file_name(&source.path);
        if source_names.get(name).copied().flatten() != Some(s) {
            continue;
        }
        let Some(Some(d)) = destination_names.get(name).copied() else {
            continue;
        };
        if state.destination_done[d] {
            continue;
        }
        if contents.similarity(source, &destinations[d])? >= MIN_BASENAME_SCORE {
            state.record(s, d);
        }
    }
    Ok(())
}

/// One of the best sources of a destination.
#[derive(Debug, Clone, Copy)]
struct Scored {
    /// None: an empty slot.
    destination: Option<usize>,
    source: usize,
    score: u64,
    same_name: bool,
}

/// Git's order of candidates: empty slots last, then by score, then a same file name first.
fn better_first(a: &Scored, b: &Scored) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a.destination, b.destination) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(_), Some(_)) => b
            .score
            .cmp(&a.score)
            .then_with(|| b.same_name.cmp(&a.same_name)),
    }
}

/// Every remaining destination against every remaining source; each destination keeps its four
/// best, and the best pairs overall are taken first.
fn by_similarity(
    sources: &[Candidate],
    destinations: &[Candidate],
    left_sources: &[usize],
    left_destinations: &[usize],
    state: &mut State,
    contents: &mut Contents<'_>,
) -> Result<()> {
    // Read every candidate once, then compare from memory: the loop below runs sources ×
    // destinations times.
    for &i in left_sources {
        contents.load_regular(&sources[i])?;
    }
    for &i in left_destinations {
        contents.load_regular(&destinations[i])?;
    }
    let signature = |c: &Candidate| {
        if is_regular(c.mode) {
            contents.loaded.get(&c.id)
        } else {
            None
        }
    };
    let source_signatures: Vec<Option<&Signature>> = left_sources
        .iter()
        .map(|&i| signature(&sources[i]))
        .collect();
    let source_names: Vec<&[u8]> = left_sources
        .iter()
        .map(|&i| file_name(&sources[i].path))
        .collect();
    let empty = Scored {
        destination: None,
        source: 0,
        score: 0,
        same_name: false,
    };
    // The destination's byte count per piece hash, indexed by hash: a lookup per piece of each
    // source instead of a merge of two sorted lists.
    let mut counts = vec![0u32; HASH_BASE as usize];
    let mut table = Vec::with_capacity(left_destinations.len() * CANDIDATES_PER_DESTINATION);
    for &d in left_destinations {
        let dest = &destinations[d];
        let dest_signature = signature(dest);
        if let Some(sig) = dest_signature {
            for &(hash, count) in &sig.pieces {
                counts[hash as usize] = count;
            }
        }
        let mut best = [empty; CANDIDATES_PER_DESTINATION];
        let dest_name = file_name(&dest.path);
        for ((&s, source_signature), &source_name) in left_sources
            .iter()
            .zip(&source_signatures)
            .zip(&source_names)
        {
            let score = match (source_signature, dest_signature) {
                (Some(src), Some(dst)) => score(src, dst, |pieces| {
                    pieces
                        .iter()
                        .map(|&(hash, count)| u64::from(count.min(counts[hash as usize])))
                        .sum()
                }),
                _ => 0,
            };
            let scored = Scored {
                destination: Some(d),
                source: s,
                score,
                same_name: source_name == dest_name,
            };
            // Replace the worst kept candidate (the first of equals) when this one beats it.
            let mut worst = 0;
            for i in 1..CANDIDATES_PER_DESTINATION {
                if better_first(&best[i], &best[worst]).is_gt() {
                    worst = i;
                }
            }
            if better_first(&best[worst], &scored).is_gt() {
                best[worst] = scored;
            }
        }
        if let Some(sig) = dest_signature {
            for &(hash, _) in &sig.pieces {
                counts[hash as usize] = 0;
            }
        }
        table.extend_from_slice(&best);
    }
    // Stable, as git's: equals keep their order.
    table.sort_by(better_first);
    for candidate in table {
        let Some(d) = candidate.destination else {
            break;
        };
        if candidate.score < MIN_SCORE {
            break;
        }
        if state.destination_done[d] || state.source_used[candidate.source] {
            continue;
        }
        state.record(candidate.source, d);
    }
    Ok(())
}

/// Git's similarity score, 0 to [`MAX_SCORE`]: the bytes of the source's pieces that the
/// destination has too (`copied`, given the source's pieces), over the larger size; 0 without
/// counting when the sizes are too far apart for an edit to keep half of the larger file.
fn score(src: &Signature, dst: &Signature, copied: impl FnOnce(&[(u32, u32)]) -> u64) -> u64 {
    let max = src.size.max(dst.size);
    let delta = max - src.size.min(dst.size);
    if max * (MAX_SCORE - MIN_SCORE) < delta * MAX_SCORE || dst.size == 0 {
        return 0;
    }
    copied(&src.pieces) * MAX_SCORE / max
}

/// The part after the last `/`.
fn file_name(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

fn same_file_name(a: &[u8], b: &[u8]) -> bool {
    file_name(a) == file_name(b)
}

/// The size and piece counts of each blob compared, read once.
struct Contents<'r> {
    repo: &'r Repository,
    loaded: HashMap<Oid, Signature>,
}

/// A blob's size and, sorted by hash, how many bytes of it each piece hash covers.
#[derive(Debug)]
struct Signature {
    size: u64,
    pieces: Vec<(u32, u32)>,
}

impl Contents<'_> {
    fn load(&mut self, id: Oid) -> Result<()> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.loaded.entry(id) {
            let blob = self
                .repo
                .find_blob(id)
                .map_err(Error::git(format!("read the blob {id}")))?;
            slot.insert(Signature::of(blob.content()));
        }
        Ok(())
    }

    /// Reads a regular file's blob once; other kinds are never compared by content.
    fn load_regular(&mut self, candidate: &Candidate) -> Result<()> {
        if is_regular(candidate.mode) {
            self.load(candidate.id)?;
        }
        Ok(())
    }

    /// Git's similarity score of two files; 0 for anything but two regular files.
    fn similarity(&mut self, source: &Candidate, dest: &Candidate) -> Result<u64> {
        if !is_regular(source.mode) || !is_regular(dest.mode) {
            return Ok(0);
        }
        self.load(source.id)?;
        self.load(dest.id)?;
        let (Some(src), Some(dst)) = (self.loaded.get(&source.id), self.loaded.get(&dest.id))
        else {
            return Ok(0);
        };
        Ok(score(src, dst, |pieces| copied(pieces, &dst.pieces)))
    }
}

/// The bytes of `dst`'s pieces that `src` has too: per hash, the smaller of the two counts.
fn copied(src: &[(u32, u32)], dst: &[(u32, u32)]) -> u64 {
    let (mut i, mut j) = (0, 0);
    let mut total = 0u64;
    while i < src.len() && j < dst.len() {
        let (sh, sc) = src[i];
        let (dh, dc) = dst[j];
        match sh.cmp(&dh) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                total += u64::from(sc.min(dc));
                i += 1;
                j += 1;
            }
        }
    }
    total
}

impl Signature {
    /// Cuts `data` into pieces ending at a newline or after 64 bytes, hashes each, and sums
    /// the bytes per hash. In text (no NUL in the first 8000 bytes) a CR before LF is skipped.
    fn of(data: &[u8]) -> Signature {
        let text = !data[..data.len().min(8000)].contains(&0);
        let mut pieces: Vec<(u32, u32)> = Vec::with_capacity(data.len() / 32 + 1);
        let (mut a1, mut a2, mut n) = (0u32, 0u32, 0u32);
        let mut i = 0;
        while i < data.len() {
            let c = data[i];
            i += 1;
            if text && c == b'\r' && data.get(i) == Some(&b'\n') {
                continue;
            }
            let old1 = a1;
            a1 = (a1 << 7) ^ (a2 >> 25);
            a2 = (a2 << 7) ^ (old1 >> 25);
            a1 = a1.wrapping_add(u32::from(c));
            n += 1;
            if n < 64 && c != b'\n' {
                continue;
            }
            pieces.push((a1.wrapping_add(a2.wrapping_mul(0x61)) % HASH_BASE, n));
            (a1, a2, n) = (0, 0, 0);
        }
        if n > 0 {
            pieces.push((a1.wrapping_add(a2.wrapping_mul(0x61)) % HASH_BASE, n));
        }
        pieces.sort_unstable_by_key(|&(h, _)| h);
        // Sum the counts of equal hashes.
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(pieces.len());
        for (h, c) in pieces {
            match merged.last_mut() {
                Some((last, count)) if *last == h => *count += c,
                _ => merged.push((h, c)),
            }
        }
        Signature {
            size: data.len() as u64,
            pieces: merged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_files_score_the_maximum_and_unrelated_ones_nothing() {
        let a = Signature::of(b"one\ntwo\nthree\n");
        let b = Signature::of(b"four\nfive\nsix\n");
        assert_eq!(copied(&a.pieces, &a.pieces), a.size);
        assert_eq!(copied(&a.pieces, &b.pieces), 0);
    }

    #[test]
    fn a_crlf_file_is_similar_to_its_lf_form_and_long_lines_are_cut() {
        let lf = Signature::of(b"alpha\nbeta\n");
        let crlf = Signature::of(b"alpha\r\nbeta\r\n");
        assert_eq!(lf.pieces, crlf.pieces);
        let long = Signature::of(&[b'x'; 130]);
        // 64 + 64 + 2 bytes: two equal pieces and a short one.
        assert_eq!(long.pieces.iter().map(|p| p.1).sum::<u32>(), 130);
        assert_eq!(long.pieces.len(), 2);
    }

    #[test]
    fn file_names_compare_after_the_last_slash() {
        assert!(same_file_name(b"a/b/c.txt", b"c.txt"));
        assert!(!same_file_name(b"a/bc.txt", b"c.txt"));
        assert_eq!(file_name(b"top"), b"top");
    }
}
