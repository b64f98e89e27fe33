//! The reference list, its lookup tables and the squat decision.

use std::borrow::Cow;
use std::fmt;

use super::human_count;
use super::index::{self, Sec, SECTIONS};
use super::tricks::{self, Strength, Trick};
use crate::finding::Severity;
use crate::metadata::normalize;

pub use super::index::Config;

/// One project of the reference list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// PEP 503-normalized name.
    pub name: String,
    pub downloads: u64,
}

/// A name that imitates a popular project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Squat {
    /// The checked name, PEP 503-normalized.
    pub name: String,
    /// The imitated project, PEP 503-normalized.
    pub target: String,
    pub target_downloads: u64,
    pub trick: Trick,
    pub severity: Severity,
}

impl fmt::Display for Squat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` imitates `{}` ({}; {} has {} downloads)",
            self.name,
            self.target,
            self.trick,
            self.target,
            human_count(self.target_downloads)
        )
    }
}

/// The reference list with its lookup tables (see [`index`]): borrowed from
/// the binary for the embedded list, built once for any other.
#[derive(Debug)]
pub struct Detector {
    config: Config,
    blob: Cow<'static, [u8]>,
    /// Byte range of each section in `blob`.
    sections: [(usize, usize); SECTIONS],
    /// Downloads of the least popular listed project: what an unlisted name is assumed to have.
    floor: u64,
}

impl Detector {
    /// Reads `download_count,project` lines (a header line and blank lines are
    /// skipped). A line holding only a name counts as the least popular one.
    pub fn from_csv(text: &str, config: Config) -> Result<Detector, String> {
        let entries = index::parse_csv(text)?;
        Ok(Detector::from_blob(Cow::Owned(index::build(entries, &config)), config))
    }

    /// Builds the tables over `entries` (names are normalized again; duplicates keep the larger count).
    pub fn new(entries: Vec<Entry>, config: Config) -> Detector {
        let entries = entries.into_iter().map(|e| (e.name, e.downloads)).collect();
        Detector::from_blob(Cow::Owned(index::build(entries, &config)), config)
    }

    /// A detector over tables [`index::build`] made with the same `config`.
    /// Panics on a blob that is not such a table (it comes from this crate's build).
    pub fn from_blob(blob: Cow<'static, [u8]>, config: Config) -> Detector {
        let count = u32_at(&blob, 0) as usize;
        assert_eq!(count, SECTIONS, "typosquat tables of another layout");
        let mut sections = [(0, 0); SECTIONS];
        let mut start = 4 + 4 * SECTIONS;
        for (i, s) in sections.iter_mut().enumerate() {
            let end = u32_at(&blob, 1 + i) as usize;
            assert!(start <= end && end <= blob.len(), "truncated typosquat tables");
            *s = (start, end);
            start = end;
        }
        let mut d = Detector {
            config,
            blob,
            sections,
            floor: 1,
        };
        d.floor = u64_at(d.sec(Sec::Floor), 0).max(1);
        d
    }

    fn sec(&self, s: Sec) -> &[u8] {
        let (a, b) = self.sections[s as usize];
        &self.blob[a..b]
    }

    fn strings(&self, s: Sec) -> Strings<'_> {
        Strings(self.sec(s))
    }

    /// The normalized name of entry `id`.
    fn name(&self, id: u32) -> &str {
        self.strings(Sec::Names).get(id as usize)
    }

    /// Entry `id`'s name without separators.
    fn squashed(&self, id: u32) -> &str {
        self.strings(Sec::Squashed).get(id as usize)
    }

    fn downloads(&self, id: u32) -> u64 {
        u64_at(self.sec(Sec::Downloads), id as usize)
    }

    /// The ids a key maps to in the table `keys` (with ids in `ids`), ascending.
    fn lookup(&self, keys: Sec, ids: Sec, key: &str) -> Vec<u32> {
        let k = self.strings(keys);
        let (mut lo, mut hi) = (0, k.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if k.get(mid) < key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let ids = self.sec(ids);
        (lo..k.len())
            .take_while(|&i| k.get(i) == key)
            .map(|i| u32_at(ids, i))
            .collect()
    }

    /// The id of a normalized listed name.
    pub fn id(&self, normalized: &str) -> Option<u32> {
        self.lookup(Sec::ExactKeys, Sec::ExactIds, normalized).first().copied()
    }

    /// How many projects are listed.
    pub fn len(&self) -> usize {
        self.strings(Sec::Names).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Listed project `id` (ids run from 0, the most popular, to `len() - 1`).
    pub fn entry(&self, id: u32) -> Entry {
        Entry {
            name: self.name(id).to_string(),
            downloads: self.downloads(id),
        }
    }

    /// The tables as built (to embed them, or to compare two builds).
    pub fn tables(&self) -> &[u8] {
        &self.blob
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The listed project of that name (any spelling), if any.
    pub fn get(&self, name: &str) -> Option<Entry> {
        self.id(&normalize(name)).map(|id| self.entry(id))
    }

    /// Checks a name as typed: `None` when it is listed or imitates nothing.
    pub fn check(&self, name: &str) -> Option<Squat> {
        let n = normalize(name);
        if self.id(&n).is_some() {
            return None;
        }
        self.detect(&n, None, None)
    }

    /// The self-check: every listed name against all the others, judged with
    /// its own download count. Returns the names that would flag.
    pub fn self_check(&self) -> Vec<Squat> {
        (0..self.len() as u32)
            .filter_map(|id| self.detect(self.name(id), Some(self.downloads(id)), Some(id)))
            .collect()
    }

    /// Checks a normalized name with a known (or assumed) popularity, ignoring entry `skip`.
    pub fn detect(&self, n: &str, downloads: Option<u64>, skip: Option<u32>) -> Option<Squat> {
        if !valid_name(n) {
            return None;
        }
        let own = downloads.unwrap_or(self.floor).max(1);
        let s = tricks::squash(n);
        let mut found: Vec<(u32, Trick)> = Vec::new();
        // One-character edits of short words: only against far more popular targets.
        let mut short: Vec<(u32, Trick)> = Vec::new();
        let others = |keys: Sec, ids: Sec, key: &str| -> Vec<u32> {
            let mut v = self.lookup(keys, ids, key);
            v.retain(|&id| Some(id) != skip);
            v
        };

        for id in others(Sec::SquashedKeys, Sec::SquashedIds, &s) {
            if self.name(id) != n {
                found.push((id, Trick::Separator));
            }
        }
        if n.contains('-') {
            for id in others(Sec::WordsKeys, Sec::WordsIds, &word_key(n)) {
                if self.squashed(id) != s {
                    found.push((id, Trick::WordOrder));
                }
            }
        }
        for id in others(Sec::SkeletonKeys, Sec::SkeletonIds, &tricks::skeleton(&s)) {
            if self.squashed(id) != s {
                found.push((id, Trick::LookAlike));
            }
        }
        let stem = tricks::stem(&s);
        if stem.len() >= 3 {
            for id in others(Sec::StemKeys, Sec::StemIds, stem) {
                if self.squashed(id) != s {
                    found.push((id, Trick::VersionSuffix));
                }
            }
        }
        for variant in tricks::affix_variants(&s) {
            for id in others(Sec::SquashedKeys, Sec::SquashedIds, &variant) {
                found.push((id, Trick::PythonAffix));
            }
        }
        for id in self.edit_neighbours(&s, skip) {
            let t = self.squashed(id).as_bytes();
            if t == s.as_bytes() {
                continue;
            }
            let trick = match tricks::single_edit(s.as_bytes(), t) {
                Some(edit) => tricks::classify(edit, s.as_bytes()),
                None => (self.config.two_edits_from != 0
                    && t.len() >= self.config.two_edits_from
                    && tricks::osa_distance(s.as_bytes(), t, 2) == Some(2))
                .then_some(Trick::TwoEdits),
            };
            let Some(trick) = trick else { continue };
            match self.words_allow(n, self.name(id), trick) {
                Some(false) => found.push((id, trick)),
                Some(true) => short.push((id, trick)),
                None => {}
            }
        }

        let short = short
            .into_iter()
            .filter(|&(id, _)| self.downloads(id) / own >= self.config.short_ratio);
        found
            .into_iter()
            .chain(short)
            .filter_map(|(id, trick)| self.judge(id, trick, own))
            .max_by(|a, b| {
                (a.severity, a.trick.strength(), a.target_downloads)
                    .cmp(&(b.severity, b.trick.strength(), b.target_downloads))
                    .then_with(|| b.target.cmp(&a.target))
            })
            .map(|mut squat| {
                squat.name = n.to_string();
                squat
            })
    }

    /// Decides whether imitating entry `id` by `trick` flags, and how badly.
    fn judge(&self, id: u32, trick: Trick, own: u64) -> Option<Squat> {
        let downloads = self.downloads(id);
        let c = &self.config;
        let long_enough = trick != Trick::PythonAffix || self.squashed(id).len() >= 4;
        let strength = trick.strength() as usize;
        let ratio = downloads / own;
        if !long_enough || ratio < c.min_ratio[strength] {
            return None;
        }
        // One edit of a far more popular name is a squat, not a near-name: `high` as
        // soon as it flags (issue 11). Affixes, versions and two edits keep the scale.
        let one_edit = !matches!(
            trick,
            Trick::PythonAffix | Trick::VersionSuffix | Trick::TwoEdits | Trick::WordOrder
        );
        let high_from = if one_edit {
            c.min_ratio[strength].max(c.high_ratio[Strength::Strong as usize])
        } else {
            c.high_ratio[strength]
        };
        let severity = if ratio >= high_from {
            Severity::High
        } else {
            Severity::Medium
        };
        Some(Squat {
            name: String::new(),
            target: self.name(id).to_string(),
            target_downloads: downloads,
            trick,
            severity,
        })
    }

    /// An edit must stay inside one word of the target (two words for two
    /// edits), and that word must be long enough for the trick to be telling:
    /// `Some(false)`. `Some(true)` when the word is only long enough for a
    /// one-character edit against a far more popular target; `None` otherwise.
    fn words_allow(&self, candidate: &str, target: &str, trick: Trick) -> Option<bool> {
        let need = match trick {
            Trick::AdjacentSwap | Trick::RepeatedChar | Trick::LookAlike => self.config.min_len_strong,
            Trick::Substitution => self.config.min_len_substitution,
            _ => self.config.min_len,
        };
        // Any other substitution in a short word makes a new word (`cefi` is not `cffi`).
        let single = matches!(
            trick,
            Trick::OmittedChar | Trick::InsertedChar | Trick::KeyboardAdjacent | Trick::Bitflip
        );
        let (cw, tw) = (candidate.split('-'), target.split('-'));
        if cw.clone().count() != tw.clone().count() {
            return None;
        }
        let (mut changed, mut short) = (0, false);
        for (c, t) in cw.zip(tw) {
            if c != t {
                changed += 1;
                if t.len() < need {
                    if !single || t.len() < self.config.min_len_short || changed > 1 {
                        return None;
                    }
                    short = true;
                }
            }
        }
        (changed == 1 || (changed == 2 && trick == Trick::TwoEdits && !short)).then_some(short)
    }

    /// Entries within one (or, for long names, two) deletions of `s` on either side.
    fn edit_neighbours(&self, s: &str, skip: Option<u32>) -> Vec<u32> {
        let mut ids = Vec::new();
        let two = self.config.two_edits_from != 0 && s.len() + 2 >= self.config.two_edits_from && s.len() <= 64;
        for_each_deletion(s.as_bytes(), two, |h| {
            let table = self.sec(Sec::Deletions);
            let key = |i: usize| u64_at(&table[12 * i..], 0);
            let (mut lo, mut hi) = (0, table.len() / 12);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if key(mid) < h {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            ids.extend(
                (lo..table.len() / 12)
                    .take_while(|&i| key(i) == h)
                    .map(|i| u32_at(&table[12 * i + 8..], 0))
                    .filter(|&id| Some(id) != skip),
            );
        });
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

use index::{for_each_deletion, valid_name, word_key};

/// The little-endian `u32` at index `i` of `b`.
fn u32_at(b: &[u8], i: usize) -> u32 {
    let mut w = [0; 4];
    w.copy_from_slice(&b[4 * i..4 * i + 4]);
    u32::from_le_bytes(w)
}

/// The little-endian `u64` at index `i` of `b`.
fn u64_at(b: &[u8], i: usize) -> u64 {
    let mut w = [0; 8];
    w.copy_from_slice(&b[8 * i..8 * i + 8]);
    u64::from_le_bytes(w)
}

/// A string table of the blob: count, offsets, bytes.
#[derive(Clone, Copy)]
struct Strings<'a>(&'a [u8]);

impl<'a> Strings<'a> {
    fn len(self) -> usize {
        u32_at(self.0, 0) as usize
    }

    fn get(self, i: usize) -> &'a str {
        let base = 4 * (self.len() + 2);
        let (a, b) = (u32_at(self.0, 1 + i) as usize, u32_at(self.0, 2 + i) as usize);
        // Names are ASCII (`valid_name`); a broken table reads as no name.
        std::str::from_utf8(&self.0[base + a..base + b]).unwrap_or("")
    }
}
