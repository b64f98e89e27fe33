//! Popular project names and the typosquat check.
//!
//! guard ships a reference list of popular PyPI projects with their download
//! counts (`data/top-pypi-packages.csv`, embedded at build time; guard never
//! reads it from disk). A name that is not on the list is checked for the
//! tricks squatters play on a listed one: one edit (adjacent swap, repeated,
//! omitted or inserted character, keyboard-adjacent, look-alike or bit-flipped
//! substitution), two edits on long names, separator games, reordered words,
//! `py`/`python` prefixes and suffixes and version suffixes. The severity
//! scales with how much more popular the imitated project is than the name
//! checked.
//!
//! Lookups go through precomputed tables (deletion neighbourhoods, look-alike
//! skeletons, word sets, stems) that `build.rs` makes from the list at compile
//! time ([`index`]), so a run builds nothing and checking one name costs
//! microseconds whatever the size of the list.

mod detect;
mod index;
mod tricks;

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

pub use detect::{Config, Detector, Entry, Squat};
pub use index::normalize;
pub use tricks::{Strength, Trick};

/// The embedded reference list: `download_count,project` lines, most popular first.
pub static EMBEDDED_LIST: &str = include_str!("../../data/top-pypi-packages.csv");

/// The tables `build.rs` made from [`EMBEDDED_LIST`] with [`Config::default`].
static EMBEDDED_TABLES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/names-index.bin"));

/// The detector over the embedded list with the default configuration: its
/// tables are read in place from the binary.
pub fn reference() -> &'static Detector {
    static DETECTOR: OnceLock<Detector> = OnceLock::new();
    DETECTOR.get_or_init(|| Detector::from_blob(Cow::Borrowed(EMBEDDED_TABLES), Config::default()))
}

/// "Did you mean": checks a name as typed (any spelling; PEP 503-normalized
/// here) against the embedded list. `None` when the name is itself listed or
/// imitates no listed project.
///
/// ```
/// let squat = guard::names::check_name("reqeusts").unwrap();
/// assert_eq!(squat.target, "requests");
/// assert!(guard::names::check_name("requests").is_none());
/// ```
pub fn check_name(name: &str) -> Option<Squat> {
    // A scan asks about the same names again and again (an artifact's name from
    // its metadata and its file name, the dependencies every package declares):
    // each thread remembers its answers, up to a bound.
    thread_local! {
        static SEEN: RefCell<HashMap<String, Option<Squat>>> = RefCell::new(HashMap::new());
    }
    const MAX_REMEMBERED: usize = 4096;
    SEEN.with_borrow_mut(|seen| {
        if let Some(answer) = seen.get(name) {
            return answer.clone();
        }
        let answer = reference().check(name);
        if seen.len() >= MAX_REMEMBERED {
            seen.clear();
        }
        seen.insert(name.to_string(), answer.clone());
        answer
    })
}

/// Formats a download count for messages: `1.2B`, `34M`, `57k`.
pub fn human_count(n: u64) -> String {
    let (value, unit) = match n {
        1_000_000_000.. => (n as f64 / 1e9, "B"),
        1_000_000.. => (n as f64 / 1e6, "M"),
        1_000.. => (n as f64 / 1e3, "k"),
        _ => return n.to_string(),
    };
    if value < 10.0 {
        format!("{value:.1}{unit}")
    } else {
        format!("{value:.0}{unit}")
    }
}

#[cfg(test)]
mod tests;
