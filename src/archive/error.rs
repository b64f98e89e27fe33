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
    /// The same path (or the same path up to case) appears twice.
    Duplicate { member: String, case_only: bool },
    /// Uncompressed data exceeds a limit or expands suspiciously.
    Bomb { detail: String },
    /// More entries than the limit allows; the rest were not read.
    TooManyEntries { limit: usize },
    /// A member too large to analyse; its head was kept for type detection.
    Oversized { member: String, size: u64 },
    /// The local and central zip headers disagree about a member.
    HeaderMismatch { member: String, detail: String },
}
