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
    /// Largest member kept in memory for analysis.
    pub max_member: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_archive: 512 << 20,
            max_total: 1 << 30,
            max_ratio: 200,
            bomb_floor: 64 << 20,
            max_entries: 100_000,
            max_member: 16 << 20,
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
}

/// Reads an artifact from memory. Never fails: problems land in
/// `Listing::error` and `Listing::hazards`.
pub fn read(filename: &str, bytes: &[u8], limits: &Limits) -> Listing {
    let mut listing = Listing::default();
    let Some((format, _)) = Format::detect(filename) else {
        listing.error = Some(Error::UnsupportedFormat(filename.to_string()));
        return listing;
    };
    if bytes.len() as u64 > limits.max_archive {
        listing.error = Some(Error::TooLarge {
            limit: limits.max_archive,
        });
        return listing;
    }
    let mut sink = Sink::new(&mut listing, limits, bytes.len() as u64);
    let result = match format {
        Format::Zip => zip::read(bytes, &mut sink),
        Format::TarGz => tar::read(flate2::read::MultiGzDecoder::new(bytes), &mut sink),
        Format::TarBz2 => tar::read(bzip2::read::MultiBzDecoder::new(bytes), &mut sink),
        Format::TarXz => tar::read(lzma_rust2::XzReader::new(bytes, true), &mut sink),
        Format::Tar => tar::read(bytes, &mut sink),
    };
    sink.finish();
    if let Err(e) = result {
        listing.error = Some(e);
    }
    listing
}

/// Collects members, applying the limits and the path checks shared by all formats.
pub(crate) struct Sink<'a> {
    listing: &'a mut Listing,
    limits: &'a Limits,
    compressed: u64,
    seen: HashMap<String, usize>,
    seen_lower: HashMap<String, usize>,
    bomb_reported: bool,
}

/// Bytes of a member kept when it is too large to analyse (enough for type sniffing).
const HEAD: usize = 4096;

impl<'a> Sink<'a> {
    fn new(listing: &'a mut Listing, limits: &'a Limits, compressed: u64) -> Self {
        Sink {
            listing,
            limits,
            compressed,
            seen: HashMap::new(),
            seen_lower: HashMap::new(),
            bomb_reported: false,
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
        self.listing.expanded += n;
        let total = self.listing.expanded;
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
            if self.seen.insert(key.clone(), self.listing.members.len()).is_some() {
                self.hazard(Hazard::Duplicate {
                    member: path.clone(),
                    case_only: false,
                });
            } else if self
                .seen_lower
                .insert(key.to_lowercase(), self.listing.members.len())
                .is_some()
            {
                self.hazard(Hazard::Duplicate {
                    member: path.clone(),
                    case_only: true,
                });
            }
        }
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

    fn check_path(&mut self, path: &str) {
        let member = || path.to_string();
        let bytes = path.as_bytes();
        let drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
        if path.starts_with('/') || path.starts_with("\\") || drive {
            self.hazard(Hazard::Absolute { member: member() });
        }
        if path.contains('\\') {
            self.hazard(Hazard::Backslash { member: member() });
        }
        if path.contains(['\u{2215}', '\u{2044}', '\u{ff0f}', '\u{29f8}']) {
            self.hazard(Hazard::LookalikeSeparator { member: member() });
        }
        if escapes_root(path) {
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
        if size <= self.limits.max_member {
            (size as usize, true)
        } else {
            (HEAD, false)
        }
    }
}

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
