//! The reference list, its lookup indexes and the squat decision.

use std::collections::HashMap as StdHashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The name indexes are rebuilt by every run: a fast non-cryptographic hash
/// (FxHash's multiply-rotate) instead of SipHash keeps start-up short. The
/// keys are names from the embedded list, not attacker-chosen in bulk.
type HashMap<K, V> = StdHashMap<K, V, BuildHasherDefault<Fx>>;

#[derive(Default)]
struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }
}
use std::fmt;

use super::human_count;
use super::tricks::{self, Strength, Trick};
use crate::finding::Severity;
use crate::metadata::normalize;

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

/// The reference list with its indexes. Build once, query many times.
#[derive(Debug)]
pub struct Detector {
    config: Config,
    entries: Vec<Entry>,
    squashed: Vec<Box<str>>,
    exact: HashMap<Box<str>, u32>,
    by_squashed: HashMap<Box<str>, Vec<u32>>,
    by_skeleton: HashMap<String, Vec<u32>>,
    by_words: HashMap<String, Vec<u32>>,
    by_stem: HashMap<Box<str>, Vec<u32>>,
    /// Hashes of each eligible target and its one- (and, for long names, two-) character deletions.
    /// A sorted `(hash, entry)` array rather than a map of small vectors: one
    /// allocation, built in a few milliseconds at start-up (issue 11).
    deletions: Vec<(u64, u32)>,
    /// Downloads of the least popular listed project: what an unlisted name is assumed to have.
    floor: u64,
}

impl Detector {
    /// Reads `download_count,project` lines (a header line and blank lines are
    /// skipped). A line holding only a name counts as the least popular one.
    pub fn from_csv(text: &str, config: Config) -> Result<Detector, String> {
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
        let entries = raw
            .into_iter()
            .map(|(name, count)| Entry {
                name: normalize(&name),
                downloads: count.unwrap_or(floor),
            })
            .collect();
        Ok(Detector::new(entries, config))
    }

    /// Builds the indexes over `entries` (names are normalized again; duplicates keep the larger count).
    pub fn new(entries: Vec<Entry>, config: Config) -> Detector {
        let mut merged: HashMap<String, u64> = HashMap::default();
        for e in entries {
            // `from_csv` normalized already; normalizing is the costliest step of start-up.
            let normalized = !e.name.contains("--")
                && !e.name.starts_with('-')
                && !e.name.ends_with('-')
                && e.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            let name = if normalized { e.name } else { normalize(&e.name) };
            if valid_name(&name) {
                let d = merged.entry(name).or_default();
                *d = (*d).max(e.downloads);
            }
        }
        let mut entries: Vec<Entry> = merged
            .into_iter()
            .map(|(name, downloads)| Entry { name, downloads })
            .collect();
        entries.sort_by(|a, b| b.downloads.cmp(&a.downloads).then_with(|| a.name.cmp(&b.name)));
        let floor = entries.iter().map(|e| e.downloads).min().unwrap_or(1).max(1);

        let mut d = Detector {
            squashed: entries
                .iter()
                .map(|e| tricks::squash(&e.name).into_boxed_str())
                .collect(),
            config,
            entries,
            exact: HashMap::default(),
            by_squashed: HashMap::default(),
            by_skeleton: HashMap::default(),
            by_words: HashMap::default(),
            by_stem: HashMap::default(),
            deletions: Vec::new(),
            floor,
        };
        let least_ratio = d.config.min_ratio.iter().copied().min().unwrap_or(1);
        let weak_ratio = d.config.min_ratio[Strength::Weak as usize];
        for (id, e) in d.entries.iter().enumerate() {
            let id = id as u32;
            let s = &d.squashed[id as usize];
            d.exact.insert(e.name.clone().into_boxed_str(), id);
            d.by_squashed.entry(s.clone()).or_default().push(id);
            if e.downloads < floor.saturating_mul(least_ratio) {
                continue; // never popular enough to be imitated
            }
            d.by_skeleton.entry(tricks::skeleton(s)).or_default().push(id);
            if e.name.contains('-') {
                d.by_words.entry(word_key(&e.name)).or_default().push(id);
            }
            let stem = tricks::stem(s);
            if stem.len() >= 3 {
                d.by_stem.entry(stem.into()).or_default().push(id);
            }
            if s.len() >= d.config.min_len_strong {
                let two = d.config.two_edits_from != 0
                    && s.len() >= d.config.two_edits_from
                    && e.downloads >= floor.saturating_mul(weak_ratio);
                for_each_deletion(s.as_bytes(), two, |h| d.deletions.push((h, id)));
            }
        }
        d.deletions.sort_unstable();
        d.deletions.dedup();
        d
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Every listed project, most popular first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The listed project of that name (any spelling), if any.
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.exact
            .get(normalize(name).as_str())
            .map(|&id| &self.entries[id as usize])
    }

    /// Checks a name as typed: `None` when it is listed or imitates nothing.
    pub fn check(&self, name: &str) -> Option<Squat> {
        let n = normalize(name);
        if self.exact.contains_key(n.as_str()) {
            return None;
        }
        self.detect(&n, None, None)
    }

    /// The self-check: every listed name against all the others, judged with
    /// its own download count. Returns the names that would flag.
    pub fn self_check(&self) -> Vec<Squat> {
        (0..self.entries.len() as u32)
            .filter_map(|id| {
                let e = &self.entries[id as usize];
                self.detect(&e.name, Some(e.downloads), Some(id))
            })
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
        let others = |ids: Option<&Vec<u32>>| -> Vec<u32> {
            ids.map(|v| v.iter().copied().filter(|&id| Some(id) != skip).collect())
                .unwrap_or_default()
        };

        for id in others(self.by_squashed.get(s.as_str())) {
            if self.entries[id as usize].name != n {
                found.push((id, Trick::Separator));
            }
        }
        if n.contains('-') {
            for id in others(self.by_words.get(&word_key(n))) {
                if *self.squashed[id as usize] != s {
                    found.push((id, Trick::WordOrder));
                }
            }
        }
        for id in others(self.by_skeleton.get(&tricks::skeleton(&s))) {
            if *self.squashed[id as usize] != s {
                found.push((id, Trick::LookAlike));
            }
        }
        let stem = tricks::stem(&s);
        if stem.len() >= 3 {
            for id in others(self.by_stem.get(stem)) {
                if *self.squashed[id as usize] != s {
                    found.push((id, Trick::VersionSuffix));
                }
            }
        }
        for variant in tricks::affix_variants(&s) {
            for id in others(self.by_squashed.get(variant.as_str())) {
                found.push((id, Trick::PythonAffix));
            }
        }
        for id in self.edit_neighbours(&s, skip) {
            let t = self.squashed[id as usize].as_bytes();
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
            match self.words_allow(n, &self.entries[id as usize].name, trick) {
                Some(false) => found.push((id, trick)),
                Some(true) => short.push((id, trick)),
                None => {}
            }
        }

        let short = short
            .into_iter()
            .filter(|&(id, _)| self.entries[id as usize].downloads / own >= self.config.short_ratio);
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
        let target = &self.entries[id as usize];
        let c = &self.config;
        let long_enough = trick != Trick::PythonAffix || self.squashed[id as usize].len() >= 4;
        let strength = trick.strength() as usize;
        let ratio = target.downloads / own;
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
            target: target.name.clone(),
            target_downloads: target.downloads,
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
            let start = self.deletions.partition_point(|&(k, _)| k < h);
            ids.extend(
                self.deletions[start..]
                    .iter()
                    .take_while(|&&(k, _)| k == h)
                    .map(|&(_, id)| id)
                    .filter(|&id| Some(id) != skip),
            );
        });
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// PEP 508 names, normalized: ASCII letters, digits and single `-`.
fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The words of a hyphenated name in sorted order.
fn word_key(n: &str) -> String {
    let mut words: Vec<&str> = n.split('-').filter(|w| !w.is_empty()).collect();
    words.sort_unstable();
    words.join("-")
}

/// Calls `f` with the hash of `s`, of every one-character deletion and, when
/// `two`, of every two-character deletion.
fn for_each_deletion(s: &[u8], two: bool, mut f: impl FnMut(u64)) {
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
