//! Problems found while reading an archive. None of these abort a scan: the
//! inspector turns each into a finding (fail closed in data, not control flow).

use thiserror::Error;

/// Why an archive could not be read to the end.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    #[error("unsupported artifact type `{0}` (expected .whl, .zip, .egg, .tar.gz, .tgz, .tar.bz2 or .tar.xz)")]
    UnsupportedFormat(String),
    #[error("corrupt or truncated archive: {0}")]
    Corrupt(String),
    #[error("member `{member}` is encrypted")]
    Encrypted { member: String },
    #[error("member `{member}` uses an unsupported compression method")]
    UnsupportedCompression { member: String },
    #[error("archive is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("archive holds no files")]
    Empty,
}

/// A member or archive property that is unsafe even though it could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hazard {
    /// A path with `..` components that climbs out of the archive root.
    Traversal { member: String },
    /// An absolute path (`/etc/x`, `C:\x`, `\\server\x`).
    Absolute { member: String },
    /// A backslash in a path, read as a separator on Windows.
    Backslash { member: String },
    /// A character that looks like `/` but is not (`∕`, `⁄`, `／`).
    LookalikeSeparator { member: String },
    /// A member name that is not valid UTF-8.
    InvalidName { member: String },
    /// A symbolic or hard link; `escapes` when its target leaves the archive root.
    Link {
        member: String,
        target: String,
        hard: bool,
        escapes: bool,
    },
    /// A device node, FIFO or other non-regular entry.
    Special { member: String, kind: &'static str },
    /// The same path (or the same path up to case) appears twice; `differs`
    /// when the copies' contents differ (tools disagree about which one wins).
    Duplicate {
        member: String,
        case_only: bool,
        differs: bool,
    },
    /// A path or path component longer than file systems allow: unpacking
    /// fails midway. `member` is shortened for display.
    LongName { member: String, len: usize },
    /// Bytes before the first member or after the end of a zip: another
    /// format can be hidden there (polyglot files).
    ExtraData { detail: String },
    /// Uncompressed data exceeds a limit or expands suspiciously.
    Bomb { detail: String },
    /// More entries than the limit allows; the rest were not read.
    TooManyEntries { limit: usize },
    /// A member too large to analyse; its head was kept for type detection.
    Oversized { member: String, size: u64 },
    /// The local and central zip headers disagree about a member.
    HeaderMismatch { member: String, detail: String },
}

impl Hazard {
    /// The id of the one rule that reports this hazard. An exhaustive match:
    /// a new hazard does not compile until a rule claims it, and a test
    /// checks that exactly that rule reports it.
    pub fn rule(&self) -> &'static str {
        match self {
            Hazard::Traversal { .. }
            | Hazard::Absolute { .. }
            | Hazard::Backslash { .. }
            | Hazard::LookalikeSeparator { .. }
            | Hazard::InvalidName { .. }
            | Hazard::LongName { .. } => "archive-path-traversal",
            Hazard::Link { .. } => "archive-link",
            Hazard::Special { .. } => "archive-special-file",
            Hazard::Duplicate { .. } => "archive-duplicate-entry",
            Hazard::ExtraData { .. } | Hazard::HeaderMismatch { .. } => "archive-header-mismatch",
            Hazard::Bomb { .. } | Hazard::TooManyEntries { .. } | Hazard::Oversized { .. } => "archive-bomb",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Kind;
    use crate::inspect::{rules, testing};

    /// One of each hazard (both flavours where a field changes the message).
    fn samples() -> Vec<Hazard> {
        let m = |s: &str| s.to_string();
        vec![
            Hazard::Traversal { member: m("../x.py") },
            Hazard::Absolute { member: m("/etc/x") },
            Hazard::Backslash { member: m("a\\b.py") },
            Hazard::LookalikeSeparator {
                member: m("a\u{2215}b"),
            },
            Hazard::InvalidName { member: m("a\u{fffd}") },
            Hazard::LongName {
                member: m("aaaa"),
                len: 5_000,
            },
            Hazard::Link {
                member: m("l"),
                target: m("../../x"),
                hard: false,
                escapes: true,
            },
            Hazard::Link {
                member: m("l"),
                target: m("x"),
                hard: true,
                escapes: false,
            },
            Hazard::Special {
                member: m("d"),
                kind: "device",
            },
            Hazard::Duplicate {
                member: m("pkg/a.py"),
                case_only: false,
                differs: true,
            },
            Hazard::Duplicate {
                member: m("pkg/A.py"),
                case_only: true,
                differs: false,
            },
            Hazard::ExtraData {
                detail: m("8 bytes before the first member"),
            },
            Hazard::Bomb {
                detail: m("expands 1000 times"),
            },
            Hazard::TooManyEntries { limit: 10 },
            Hazard::Oversized {
                member: m("pkg/big.py"),
                size: 1 << 30,
            },
            Hazard::Oversized {
                member: m("pkg/big.bin"),
                size: 1 << 30,
            },
            Hazard::HeaderMismatch {
                member: m("pkg/a.py"),
                detail: m("sizes differ"),
            },
        ]
    }

    /// Issue 14: every archive hazard is claimed by exactly one rule, the one
    /// [`Hazard::rule`] names.
    #[test]
    fn every_hazard_is_reported_by_exactly_its_rule() {
        let run = |hazards: Vec<Hazard>| {
            let mut analysis = testing::analysis(
                Kind::Sdist,
                &[("pkg-1.0/setup.py", "from setuptools import setup\nsetup()\n")],
            );
            analysis.listing.hazards = hazards;
            let mut out = Vec::new();
            for rule in rules::ALL {
                rule.check(&analysis, &mut out);
            }
            out
        };
        let baseline: Vec<&str> = run(Vec::new()).iter().map(|f| f.rule).collect();
        for hazard in samples() {
            let mut reported: Vec<&str> = run(vec![hazard.clone()])
                .iter()
                .map(|f| f.rule)
                .filter(|r| !baseline.contains(r))
                .collect();
            reported.dedup();
            assert_eq!(reported, [hazard.rule()], "{hazard:?}");
        }
    }
}
