//! The lookup tables of the typosquat check, as one byte blob.
//!
//! `build.rs` runs [`build`] over `data/top-pypi-packages.csv` and guard embeds
//! the result, so a run reads the tables in place and builds nothing (issue 11:
//! building them took most of a small scan's 20–30 ms). A detector over another
//! list ([`super::Detector::new`]) builds the same blob at run time.
//!
//! This file is shared with `build.rs` (through `#[path]`): it uses `std` and
//! [`super::tricks`] only.
//!
//! Layout: a `u32` section count, one `u32` end offset per section, then the
//! sections ([`Sec`]). Numbers are little-endian and read where they lie, so
//! the blob needs no alignment and no parsing beyond the section table.
//! - string tables: `u32` count `n`, `n + 1` `u32` offsets into the bytes that follow;
//! - id arrays: `u32` per entry, parallel to a string table of keys sorted
//!   bytewise (a key repeats once per entry it maps to, ids ascending);
//! - `DOWNLOADS`: `u64` per entry; `DELETIONS`: sorted `(u64 hash, u32 entry)` pairs;
//!   `FLOOR`: one `u64`.

use std::collections::HashMap;

use super::tricks::{self, Strength};

/// Tuning of the typosquat check. Ratios compare the target's downloads with
/// the checked name's (a name off the list counts as the least popular listed one).
#[derive(Debug, Clone)]
pub struct Config {
    /// Shortest target word checked for single-character edits (the edited
    /// word of a hyphenated name: `dbt-score` is not an edit of `dbt-core`).
    pub min_len: usize,
    /// Shortest target word checked for the telling edits: swaps, repeats, look-alikes.
    pub min_len_strong: usize,
    /// Shortest target word checked for arbitrary (not keyboard, look-alike or bitflip) substitutions.
    pub min_len_substitution: usize,
    /// Shortest target (without separators) checked for two edits, each in a
    /// word of at least `min_len`; `0` turns two edits off.
    pub two_edits_from: usize,
    /// Least popularity ratio that flags, indexed by [`Strength`] (weak, medium, strong).
    pub min_ratio: [u64; 3],
    /// Ratio from which a squat is `high` rather than `medium`, indexed by [`Strength`].
    pub high_ratio: [u64; 3],
    /// Shortest target word checked for any one-character edit (insertion,
    /// omission, substitution) when the target is far more popular than the
    /// name: `numpi`, `flasck` (issue 11).
    pub min_len_short: usize,
    /// The popularity ratio "far more popular" means for those short words.
    pub short_ratio: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            min_len: 6,
            min_len_strong: 4,
            min_len_substitution: 8,
            two_edits_from: 10,
            min_ratio: [2000, 500, 100],
            high_ratio: [5000, 2000, 500],
            min_len_short: 4,
            short_ratio: 2_000,
        }
    }
}

/// The sections of the blob, in order.
#[derive(Debug, Clone, Copy)]
pub enum Sec {
    /// Entry names (PEP 503-normalized), most popular first: an entry's id is its index.
    Names,
    /// Entry names without separators, by id.
    Squashed,
    Downloads,
    ExactKeys,
    ExactIds,
    SquashedKeys,
    SquashedIds,
    SkeletonKeys,
    SkeletonIds,
    WordsKeys,
    WordsIds,
    StemKeys,
    StemIds,
    Deletions,
    Floor,
}

pub const SECTIONS: usize = Sec::Floor as usize + 1;

/// PEP 503 normalization: runs of `-`, `_`, `.` become one `-`, letters lowercase.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// PEP 508 names, normalized: ASCII letters, digits and single `-`.
pub fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The words of a hyphenated name in sorted order.
pub fn word_key(n: &str) -> String {
    let mut words: Vec<&str> = n.split('-').filter(|w| !w.is_empty()).collect();
    words.sort_unstable();
    words.join("-")
}

/// Reads `download_count,project` lines (a header line, blank lines and `#`
/// comments are skipped). A line holding only a name counts as the least popular one.
pub fn parse_csv(text: &str) -> Result<Vec<(String, u64)>, String> {
    let mut raw: Vec<(String, Option<u64>)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || (n == 0 && line.starts_with("download_count")) {
            continue;
        }
        match line.split_once(',') {
            Some((count, name)) => {
                let count = count
                    .trim()
                    .parse::<u64>()
                    .map_err(|e| format!("line {}: bad download count `{count}`: {e}", n + 1))?;
                raw.push((name.trim().to_string(), Some(count)));
            }
            None => raw.push((line.to_string(), None)),
        }
    }
    let floor = raw.iter().filter_map(|(_, c)| *c).min().unwrap_or(1);
    Ok(raw
        .into_iter()
        .map(|(name, count)| (name, count.unwrap_or(floor)))
        .collect())
}

/// Builds the blob over `(name, downloads)` pairs (names normalized here;
/// duplicates keep the larger count; invalid names are dropped).
pub fn build(entries: Vec<(String, u64)>, config: &Config) -> Vec<u8> {
    let mut merged: HashMap<String, u64> = HashMap::new();
    for (name, downloads) in entries {
        let name = normalize(&name);
        if valid_name(&name) {
            let d = merged.entry(name).or_default();
            *d = (*d).max(downloads);
        }
    }
    let mut entries: Vec<(String, u64)> = merged.into_iter().collect();
    entries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let floor = entries.iter().map(|e| e.1).min().unwrap_or(1).max(1);
    let squashed: Vec<String> = entries.iter().map(|e| tricks::squash(&e.0)).collect();

    let mut exact = Vec::new();
    let mut by_squashed = Vec::new();
    let mut by_skeleton = Vec::new();
    let mut by_words = Vec::new();
    let mut by_stem = Vec::new();
    let mut deletions: Vec<(u64, u32)> = Vec::new();
    let least_ratio = config.min_ratio.iter().copied().min().unwrap_or(1);
    let weak_ratio = config.min_ratio[Strength::Weak as usize];
    for (id, (name, downloads)) in entries.iter().enumerate() {
        let id = id as u32;
        let s = &squashed[id as usize];
        exact.push((name.clone(), id));
        by_squashed.push((s.clone(), id));
        if *downloads < floor.saturating_mul(least_ratio) {
            continue; // never popular enough to be imitated
        }
        by_skeleton.push((tricks::skeleton(s), id));
        if name.contains('-') {
            by_words.push((word_key(name), id));
        }
        let stem = tricks::stem(s);
        if stem.len() >= 3 {
            by_stem.push((stem.to_string(), id));
        }
        if s.len() >= config.min_len_strong {
            let two = config.two_edits_from != 0
                && s.len() >= config.two_edits_from
                && *downloads >= floor.saturating_mul(weak_ratio);
            for_each_deletion(s.as_bytes(), two, |h| deletions.push((h, id)));
        }
    }
    deletions.sort_unstable();
    deletions.dedup();

    let mut sections: Vec<Vec<u8>> = Vec::with_capacity(SECTIONS);
    sections.push(strings(entries.iter().map(|e| e.0.as_str())));
    sections.push(strings(squashed.iter().map(String::as_str)));
    sections.push(entries.iter().flat_map(|e| e.1.to_le_bytes()).collect());
    for mut map in [exact, by_squashed, by_skeleton, by_words, by_stem] {
        map.sort_unstable();
        map.dedup();
        sections.push(strings(map.iter().map(|(k, _)| k.as_str())));
        sections.push(map.iter().flat_map(|(_, id)| id.to_le_bytes()).collect());
    }
    sections.push(
        deletions
            .iter()
            .flat_map(|&(h, id)| h.to_le_bytes().into_iter().chain(id.to_le_bytes()))
            .collect(),
    );
    sections.push(floor.to_le_bytes().to_vec());
    debug_assert_eq!(sections.len(), SECTIONS);

    let mut blob = Vec::new();
    blob.extend((SECTIONS as u32).to_le_bytes());
    let mut end = 4 + 4 * SECTIONS;
    for s in &sections {
        end += s.len();
        blob.extend((end as u32).to_le_bytes());
    }
    for s in sections {
        blob.extend(s);
    }
    blob
}

/// A string table: count, offsets, bytes.
fn strings<'a>(items: impl ExactSizeIterator<Item = &'a str> + Clone) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend((items.len() as u32).to_le_bytes());
    let mut offset = 0u32;
    out.extend(offset.to_le_bytes());
    for s in items.clone() {
        offset += s.len() as u32;
        out.extend(offset.to_le_bytes());
    }
    for s in items {
        out.extend(s.as_bytes());
    }
    out
}

/// Calls `f` with the hash of `s`, of every one-character deletion and, when
/// `two`, of every two-character deletion.
pub fn for_each_deletion(s: &[u8], two: bool, mut f: impl FnMut(u64)) {
    const NONE: usize = usize::MAX;
    f(hash_skipping(s, NONE, NONE));
    for i in 0..s.len() {
        f(hash_skipping(s, i, NONE));
        if two {
            for j in i + 1..s.len() {
                f(hash_skipping(s, i, j));
            }
        }
    }
}

/// FNV-1a over `s` without positions `a` and `b`, finished with a mixer.
fn hash_skipping(s: &[u8], a: usize, b: usize) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, &c) in s.iter().enumerate() {
        if i != a && i != b {
            h = (h ^ u64::from(c)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}
