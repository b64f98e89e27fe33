//! The verdict store `guard serve` and `guard review` share: verdicts keyed by
//! artifact sha256 and rule-set version, review decisions keyed by project
//! name and version, and an audit log. Two implementations behind [`Store`]:
//! SQLite in the cache directory (one machine) and PostgreSQL (replicas).
//!
//! The store records decisions; it never makes one. A store error is an
//! error for the caller (HTTP 503 in `serve`), never an approval.

mod pg;
mod sqlite;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use pg::Postgres;
pub use sqlite::Sqlite;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("verdict store {location}: {message}")]
    Db { location: String, message: String },
    #[error(
        "verdict store {location}: schema version {found} is newer than this guard knows ({known}); upgrade guard"
    )]
    TooNew { location: String, found: i64, known: i64 },
}

/// The inspection outcome of one artifact under one rule set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictRecord {
    pub sha256: String,
    pub ruleset: String,
    /// PEP 503-normalized.
    pub name: String,
    pub version: String,
    pub filename: String,
    /// `allow`, `review` or `deny`.
    pub verdict: String,
    /// One line: the decisive finding, or empty for `allow`.
    pub reason: String,
    /// The findings as JSON (CONTRACT.md's finding objects).
    pub findings: String,
    /// Seconds since the Unix epoch.
    pub inspected_at: i64,
    /// The `guard serve` instance that inspected it (host:pid).
    pub inspected_by: String,
}

/// A person's decision about `name` `version`, or a pending request for one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub name: String,
    pub version: String,
    /// `pending`, `approved` or `denied`.
    pub state: String,
    pub reason: String,
    /// Who decided (empty while pending).
    pub who: String,
    /// When requested (pending) or decided; seconds since the epoch.
    pub at: i64,
    /// An approval stops counting after this time (seconds since the epoch).
    pub expires: Option<i64>,
    /// The artifact that asked for the review (a file name).
    pub filename: String,
}

impl Review {
    /// An approval that has not expired at `now`.
    pub fn approves(&self, now: i64) -> bool {
        self.state == "approved" && self.expires.is_none_or(|e| e > now)
    }
}

/// One audit log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: i64,
    pub who: String,
    /// `inspected`, `served`, `refused`, `review-requested`, `approved`, `denied`.
    pub event: String,
    pub name: String,
    pub version: String,
    pub sha256: String,
    pub detail: String,
}

/// Versioned schema migrations, shared by both back ends (plain SQL both accept).
pub const MIGRATIONS: &[&str] = &[
    // 1: verdicts, reviews, audit log
    "CREATE TABLE verdicts (
        sha256 TEXT NOT NULL, ruleset TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,
        filename TEXT NOT NULL, verdict TEXT NOT NULL, reason TEXT NOT NULL, findings TEXT NOT NULL,
        inspected_at BIGINT NOT NULL, inspected_by TEXT NOT NULL,
        PRIMARY KEY (sha256, ruleset));
     CREATE TABLE reviews (
        name TEXT NOT NULL, version TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL,
        who TEXT NOT NULL, at BIGINT NOT NULL, expires BIGINT, filename TEXT NOT NULL,
        PRIMARY KEY (name, version));
     CREATE TABLE audit (
        at BIGINT NOT NULL, who TEXT NOT NULL, event TEXT NOT NULL, name TEXT NOT NULL,
        version TEXT NOT NULL, sha256 TEXT NOT NULL, detail TEXT NOT NULL);",
    // 2: who is inspecting an artifact right now (replicas wait instead of inspecting twice)
    "CREATE TABLE claims (
        sha256 TEXT NOT NULL, ruleset TEXT NOT NULL, who TEXT NOT NULL, at BIGINT NOT NULL,
        PRIMARY KEY (sha256, ruleset));",
];

/// The operations `serve` and `review` need. Implementations are blocking;
/// async callers use `spawn_blocking`.
pub trait Store: Send + Sync {
    /// Where the store lives, for messages (credentials redacted).
    fn location(&self) -> String;
    fn verdict(&self, sha256: &str, ruleset: &str) -> Result<Option<VerdictRecord>, Error>;
    /// Records a verdict unless one exists for the same key; returns the stored one
    /// (the first writer wins, so replicas agree).
    fn put_verdict(&self, record: &VerdictRecord) -> Result<VerdictRecord, Error>;
    /// Claims the inspection of an artifact for `who` at `now`: true when no one
    /// holds it or the holder's claim is older than `stale_before`.
    fn claim(&self, sha256: &str, ruleset: &str, who: &str, now: i64, stale_before: i64) -> Result<bool, Error>;
    /// Gives a claim up (the inspection failed; another replica may try).
    fn release(&self, sha256: &str, ruleset: &str, who: &str) -> Result<(), Error>;
    fn review(&self, name: &str, version: &str) -> Result<Option<Review>, Error>;
    /// Records a pending request unless a review row exists already.
    fn request_review(&self, review: &Review) -> Result<(), Error>;
    /// Records a decision (replacing any earlier row for name and version).
    fn decide(&self, review: &Review) -> Result<(), Error>;
    /// Reviews, pending first, newest first.
    fn reviews(&self) -> Result<Vec<Review>, Error>;
    /// Verdicts recorded for a project version, newest first.
    fn verdicts_of(&self, name: &str, version: &str) -> Result<Vec<VerdictRecord>, Error>;
    fn audit(&self, event: &AuditEvent) -> Result<(), Error>;
    fn audit_log(&self, limit: usize) -> Result<Vec<AuditEvent>, Error>;
}

/// Opens the store: `postgres://…` or `postgresql://…` for PostgreSQL,
/// otherwise SQLite at `cache_dir/serve-v1.sqlite3`.
pub fn open(database: Option<&str>, cache_dir: &Path) -> Result<Box<dyn Store>, Error> {
    match database {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Box::new(Postgres::open(url)?))
        }
        Some(path) => Ok(Box::new(Sqlite::open(Path::new(
            path.strip_prefix("sqlite://").unwrap_or(path),
        ))?)),
        None => Ok(Box::new(Sqlite::open(&cache_dir.join("serve-v1.sqlite3"))?)),
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `host:pid`, or `$USER` for people: who did something.
pub fn instance() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{host}:{}", std::process::id())
}
