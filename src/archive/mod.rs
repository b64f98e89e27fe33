//! Bounded, in-memory readers for wheels, sdists and eggs.
//!
//! Members are streamed into memory under hard limits and never written to
//! disk. Unsafe members become [`Hazard`]s and unreadable archives an
//! [`Error`]; neither panics or aborts the scan of other artifacts.

mod error;
mod tar;
mod zip;

pub use error::{Error, Hazard};

use std::collections::HashMap;

/// Hard limits applied while reading one archive.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest artifact accepted at all, compressed.
    pub max_archive: u64,
    /// Largest total uncompressed size read from one archive.
    pub max_total: u64,
    /// Largest ratio of uncompressed to compressed size before a bomb is reported
    /// (only checked once `bomb_floor` bytes have been expanded).
    pub max_ratio: u64,
    /// Expanded size below which the ratio is not checked.
    pub bomb_floor: u64,
    /// Most entries read from one archive.
    pub max_entries: usize,
    /// Largest member kept in memory for analysis (generated API clients ship
    /// 20 MB modules; sources past 8 MiB are read lexically, not parsed).
    pub max_member: u64,
    /// Most member bytes kept in memory in total; later members keep their
    /// head only (and are reported as too large to analyse).
    pub max_kept: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_archive: 512 << 20,
            max_total: 1 << 30,
            max_ratio: 200,
            bomb_floor: 64 << 20,
            max_entries: 100_000,
            max_member: 32 << 20,
            max_kept: 256 << 20,
        }
    }
}

/// The container format, from the file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Zip,
    TarGz,
    TarBz2,
    TarXz,
    Tar,
}

/// What kind of distribution this is, from the file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Wheel,
    Sdist,
    Egg,
}

impl Format {
    /// The format the bytes themselves have, by magic number: what pip and
    /// `tarfile` go by, whatever the file is called (issue 11).
    pub fn sniff(bytes: &[u8]) -> Option<Format> {
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
            Some(Format::Zip)
        } else if bytes.starts_with(&[0x1f, 0x8b]) {
            Some(Format::TarGz)
        } else if bytes.starts_with(b"BZh") {
            Some(Format::TarBz2)
        } else if bytes.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Some(Format::TarXz)
        } else if bytes.get(257..262) == Some(b"ustar") {
            Some(Format::Tar)
        } else {
            None
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Format::Zip => "zip",
            Format::TarGz => "gzip tar",
            Format::TarBz2 => "bzip2 tar",
            Format::TarXz => "xz tar",
            Format::Tar => "tar",
        }
    }

    /// Picks the format and kind from a file name, or `None` if it is not an artifact.
    pub fn detect(filename: &str) -> Option<(Format, Kind)> {
        let lower = filename.to_ascii_lowercase();
        let pick = |suffix: &str| lower.ends_with(suffix);
        if pick(".whl") {
            Some((Format::Zip, Kind::Wheel))
        } else if pick(".egg") {
            Some((Format::Zip, Kind::Egg))
        } else if pick(".zip") {
            Some((Format::Zip, Kind::Sdist))
        } else if pick(".tar.gz") || pick(".tgz") {
            Some((Format::TarGz, Kind::Sdist))
        } else if pick(".tar.bz2") || pick(".tbz2") {
            Some((Format::TarBz2, Kind::Sdist))
        } else if pick(".tar.xz") || pick(".txz") {
            Some((Format::TarXz, Kind::Sdist))
        } else if pick(".tar") {
            Some((Format::Tar, Kind::Sdist))
        } else {
            None
        }
    }
}

/// The type of an archive entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryType {
    File,
    Dir,
    Symlink,
    Hardlink,
    Other,
}

/// One archive member, with its bytes when it is small enough to analyse.
#[derive(Debug, Clone)]
pub struct Member {
    /// The path as stored, decoded lossily, with `\` kept as is.
    pub path: String,
    pub entry: EntryType,
    /// Uncompressed size as read (or declared, for members not read).
    pub size: u64,
    /// The whole content when `size <= max_member`, else the first bytes.
    pub data: Vec<u8>,
    /// `true` when `data` holds the whole member.
    pub complete: bool,
}

impl Member {
    /// The file name part of the path.
    pub fn file_name(&self) -> &str {
        self.path.rsplit(['/', '\\']).next().unwrap_or(&self.path)
    }

    /// The number of path components (`a/b/c.py` has 3).
    pub fn depth(&self) -> usize {
        self.path.split('/').filter(|c| !c.is_empty() && *c != ".").count()
    }
}

/// Everything read from one archive.
#[derive(Debug, Default)]
pub struct Listing {
    pub members: Vec<Member>,
    pub hazards: Vec<Hazard>,
    /// Set when the archive could not be read to the end.
    pub error: Option<Error>,
    /// Total uncompressed bytes read.
    pub expanded: u64,
    /// `(named, actual)` when the file name says one container format and the
    /// bytes another (a zip named `.tar.gz`); the archive was read as `actual`.
    pub format_mismatch: Option<(&'static str, &'static str)>,
}

/// Reads an artifact from memory. Never fails: problems land in
/// `Listing::error` and `Listing::hazards`.
pub fn read(filename: &str, bytes: &[u8], limits: &Limits) -> Listing {
    let mut listing = Listing::default();
    let Some((named, kind)) = Format::detect(filename) else {
        listing.error = Some(Error::UnsupportedFormat(filename.to_string()));
        return listing;
    };
    // Read what the bytes are, and say so when the name claims otherwise. pip
    // sniffs source archives the same way; a wheel or egg it only opens as a zip,
    // so those stay what their name says (and fail closed when they are not).
    let format = match Format::sniff(bytes) {
        Some(actual) if actual != named && kind == Kind::Sdist => {
            listing.format_mismatch = Some((named.describe(), actual.describe()));
            actual
        }
        _ => named,
    };
    if bytes.len() as u64 > limits.max_archive {
        listing.error = Some(Error::TooLarge {
            limit: limits.max_archive,
        });
        return listing;
    }
    let mut sink = Sink::new(&mut listing, limits, bytes.len() as u64, 0);
    let result = read_format(format, bytes, &mut sink);
    sink.finish();
    if let Err(e) = result {
        listing.error = Some(e);
    } else if listing.hazards.is_empty() && !listing.members.iter().any(|m| m.entry != EntryType::Dir) {
        // Nothing to install and nothing to inspect: not a distribution.
        listing.error = Some(Error::Empty);
    }
    listing
}

fn read_format(format: Format, bytes: &[u8], sink: &mut Sink) -> Result<(), Error> {
    match format {
        Format::Zip => zip::read(bytes, sink),
        Format::TarGz => tar::read(flate2::read::MultiGzDecoder::new(bytes), sink),
        Format::TarBz2 => tar::read(bzip2::read::MultiBzDecoder::new(bytes), sink),
        Format::TarXz => tar::read(lzma_rust2::XzReader::new(bytes, true), sink),
        Format::Tar => tar::read(bytes, sink),
    }
}

/// How many archives deep nested archives are expanded to look for bombs.
const MAX_NESTING: u8 = 3;

/// Longest member path unpackable on common file systems (Linux `PATH_MAX`).
pub const MAX_PATH: usize = 4096;
/// Longest path component (`NAME_MAX` on Linux, macOS and Windows).
pub const MAX_COMPONENT: usize = 255;

/// The format of a member from its first bytes, for nested archives.
fn sniff(data: &[u8]) -> Option<Format> {
    if data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06") {
        Some(Format::Zip)
    } else if data.starts_with(b"\x1f\x8b") {
        Some(Format::TarGz)
    } else if data.starts_with(b"BZh") {
        Some(Format::TarBz2)
    } else if data.starts_with(b"\xfd7zXZ\x00") {
        Some(Format::TarXz)
    } else if data.get(257..262) == Some(b"ustar") {
        Some(Format::Tar)
    } else {
        None
    }
}

/// Collects members, applying the limits and the path checks shared by all formats.
pub(crate) struct Sink<'a> {
    listing: &'a mut Listing,
    limits: &'a Limits,
    compressed: u64,
    seen: HashMap<String, usize>,
    seen_lower: HashMap<String, usize>,
    bomb_reported: bool,
    /// 0 for the artifact itself, 1+ inside nested archives.
    nesting: u8,
    /// Member bytes held in `listing` so far.
    kept: u64,
}

/// Bytes of a member kept when it is too large to analyse (enough for type sniffing).
const HEAD: usize = 4096;

impl<'a> Sink<'a> {
    fn new(listing: &'a mut Listing, limits: &'a Limits, compressed: u64, nesting: u8) -> Self {
        Sink {
            listing,
            limits,
            compressed,
            seen: HashMap::new(),
            seen_lower: HashMap::new(),
            bomb_reported: false,
            nesting,
            kept: 0,
        }
    }

    pub(crate) fn limits(&self) -> &Limits {
        self.limits
    }

    /// `false` once the entry limit is reached; the reader stops then.
    pub(crate) fn room_for_entry(&mut self) -> bool {
        if self.listing.members.len() >= self.limits.max_entries {
            if !self
                .listing
                .hazards
                .iter()
                .any(|h| matches!(h, Hazard::TooManyEntries { .. }))
            {
                self.listing.hazards.push(Hazard::TooManyEntries {
                    limit: self.limits.max_entries,
                });
            }
            return false;
        }
        true
    }

    /// Whether reading stopped at a limit (bomb or entry count).
    pub(crate) fn stopped(&self) -> bool {
        self.bomb_reported || self.listing.members.len() >= self.limits.max_entries
    }

    /// Records that the entry limit was hit before reading any entry.
    pub(crate) fn room_for_entry_limit_hit(&mut self) {
        self.hazard(Hazard::TooManyEntries {
            limit: self.limits.max_entries,
        });
    }

    /// Bytes still allowed before `max_total` is reached.
    pub(crate) fn budget(&self) -> u64 {
        self.limits.max_total.saturating_sub(self.listing.expanded)
    }

    pub(crate) fn hazard(&mut self, hazard: Hazard) {
        self.listing.hazards.push(hazard);
    }

    /// Records how many bytes were expanded and reports a bomb once.
    /// Returns `false` when reading must stop.
    pub(crate) fn expanded(&mut self, n: u64) -> bool {
        self.listing.expanded = self.listing.expanded.saturating_add(n);
        let total = self.listing.expanded;
        if self.bomb_reported {
            return false;
        }
        if total >= self.limits.max_total {
            self.bomb(format!("expands to more than {} bytes", self.limits.max_total));
            return false;
        }
        if total > self.limits.bomb_floor && total / self.compressed.max(1) > self.limits.max_ratio {
            self.bomb(format!(
                "expands {}x ({} bytes from {} compressed)",
                total / self.compressed.max(1),
                total,
                self.compressed
            ));
            return false;
        }
        true
    }

    pub(crate) fn bomb(&mut self, detail: String) {
        if !self.bomb_reported {
            self.bomb_reported = true;
            self.listing.hazards.push(Hazard::Bomb { detail });
        }
    }

    /// Adds a member after checking its name. `raw` is the stored name.
    pub(crate) fn push(&mut self, raw: &[u8], entry: EntryType, size: u64, data: Vec<u8>, complete: bool) {
        let path = match std::str::from_utf8(raw) {
            Ok(s) => s.to_string(),
            Err(_) => {
                let lossy = String::from_utf8_lossy(raw).into_owned();
                self.hazard(Hazard::InvalidName { member: lossy.clone() });
                lossy
            }
        };
        self.check_path(&path);
        if entry != EntryType::Dir {
            let key = path.trim_start_matches("./").to_string();
            let index = self.listing.members.len();
            let differs = |other: &Member| other.entry != entry || other.size != size || other.data != data;
            if let Some(first) = self.seen.insert(key.clone(), index) {
                let differs = differs(&self.listing.members[first]);
                self.hazard(Hazard::Duplicate {
                    member: path.clone(),
                    case_only: false,
                    differs,
                });
            } else if let Some(first) = self.seen_lower.insert(key.to_lowercase(), index) {
                let differs = differs(&self.listing.members[first]);
                self.hazard(Hazard::Duplicate {
                    member: path.clone(),
                    case_only: true,
                    differs,
                });
            }
        }
        if entry == EntryType::File && complete {
            self.nested(&path, &data);
        }
        // Inside nested archives only sizes count; keep no bytes.
        let data = if self.nesting > 0 { Vec::new() } else { data };
        self.kept = self.kept.saturating_add(data.len() as u64);
        if !complete && entry == EntryType::File {
            self.hazard(Hazard::Oversized {
                member: path.clone(),
                size,
            });
        }
        self.listing.members.push(Member {
            path,
            entry,
            size,
            data,
            complete,
        });
    }

    /// Expands an archive stored inside this one (bounded by what is left of
    /// the budget) so that nested bombs count against the artifact's limits.
    /// Only size matters here: nested members are not analysed.
    fn nested(&mut self, path: &str, data: &[u8]) {
        if self.nesting >= MAX_NESTING || self.bomb_reported {
            return;
        }
        let Some(format) = sniff(data) else { return };
        // What the outer artifact may still expand to, by total and by ratio.
        let by_ratio = self
            .limits
            .bomb_floor
            .max(self.limits.max_ratio.saturating_mul(self.compressed))
            .saturating_sub(self.listing.expanded);
        let limits = Limits {
            max_total: self.budget().min(by_ratio),
            max_entries: self.limits.max_entries.saturating_sub(self.listing.members.len()),
            // The ratio is checked against the outer artifact below.
            max_ratio: u64::MAX,
            ..*self.limits
        };
        let mut inner = Listing::default();
        {
            let mut sink = Sink::new(&mut inner, &limits, data.len() as u64, self.nesting + 1);
            // A corrupt nested archive is just data: only its expansion matters.
            let _ = read_format(format, data, &mut sink);
        }
        let inner_bomb = inner.hazards.iter().find_map(|h| match h {
            Hazard::Bomb { detail } => Some(detail.clone()),
            Hazard::TooManyEntries { .. } => Some(format!(
                "holds more than {} entries with the outer archive",
                self.limits.max_entries
            )),
            _ => None,
        });
        if let Some(detail) = inner_bomb {
            self.bomb(format!("nested archive `{path}` {detail}"));
        } else if !self.expanded(inner.expanded) {
            // `expanded` reported the bomb; name the member that caused it.
            if let Some(Hazard::Bomb { detail }) = self.listing.hazards.last_mut() {
                *detail = format!("{detail} through nested archive `{path}`");
            }
        }
    }

    fn check_path(&mut self, path: &str) {
        let member = || path.to_string();
        if path.len() > MAX_PATH || path.split(['/', '\\']).any(|c| c.len() > MAX_COMPONENT) {
            self.hazard(Hazard::LongName {
                member: path.chars().take(200).collect(),
                len: path.len(),
            });
        }
        let bytes = path.as_bytes();
        let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
        if path.starts_with('/') || path.starts_with("\\") || drive {
            self.hazard(Hazard::Absolute { member: member() });
        }
        if path.contains('\\') {
            self.hazard(Hazard::Backslash { member: member() });
        }
        if path.contains(LOOKALIKES) {
            self.hazard(Hazard::LookalikeSeparator { member: member() });
        }
        // Look-alikes count as separators here: Windows "best fit" conversion
        // turns `／` and `＼` into real ones.
        if escapes_root(path) || escapes_root(&path.replace(LOOKALIKES, "/")) {
            self.hazard(Hazard::Traversal { member: member() });
        }
    }

    /// Records a link member and whether its target leaves the root.
    pub(crate) fn link(&mut self, raw: &[u8], target: &[u8], hard: bool) {
        let member = String::from_utf8_lossy(raw).into_owned();
        let target = String::from_utf8_lossy(target).into_owned();
        let escapes = if hard {
            target.starts_with('/') || escapes_root(&target)
        } else {
            // A symlink's target is relative to the link's own directory.
            let dir = member.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            target.starts_with('/') || escapes_root(&format!("{dir}/{target}"))
        };
        self.hazard(Hazard::Link {
            member,
            target,
            hard,
            escapes,
        });
    }

    fn finish(&mut self) {}

    /// How many bytes of a member of `size` to keep.
    pub(crate) fn keep(&self, size: u64) -> (usize, bool) {
        if size <= self.limits.max_member && self.kept.saturating_add(size) <= self.limits.max_kept {
            (size as usize, true)
        } else {
            (HEAD, false)
        }
    }
}

/// Characters that look like (or are converted by Windows to) `/` or `\\`.
const LOOKALIKES: [char; 7] = [
    '\u{2215}', '\u{2044}', '\u{ff0f}', '\u{29f8}', '\u{ff3c}', '\u{2216}', '\u{29f9}',
];

/// `true` when following `path` from the root climbs above it.
pub fn escapes_root(path: &str) -> bool {
    let mut depth: i64 = 0;
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            _ => depth += 1,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats() {
        assert_eq!(
            Format::detect("a-1.0-py3-none-any.whl"),
            Some((Format::Zip, Kind::Wheel))
        );
        assert_eq!(Format::detect("a-1.0.tar.gz"), Some((Format::TarGz, Kind::Sdist)));
        assert_eq!(Format::detect("a-1.0.TGZ"), Some((Format::TarGz, Kind::Sdist)));
        assert_eq!(Format::detect("a-1.0.tar.bz2"), Some((Format::TarBz2, Kind::Sdist)));
        assert_eq!(Format::detect("a-1.0.tar.xz"), Some((Format::TarXz, Kind::Sdist)));
        assert_eq!(Format::detect("a-1.0-py2.7.egg"), Some((Format::Zip, Kind::Egg)));
        assert_eq!(Format::detect("readme.md"), None);
    }

    #[test]
    fn root_escape() {
        assert!(escapes_root("../x"));
        assert!(escapes_root("a/../../x"));
        assert!(escapes_root("a\\..\\..\\x"));
        assert!(!escapes_root("a/../b"));
        assert!(!escapes_root("a/b/c.py"));
    }
}
