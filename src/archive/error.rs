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
