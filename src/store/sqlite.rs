//! The SQLite store: one file under the cache directory, WAL mode so `guard
//! review` can write while `guard serve` reads.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

use super::{AuditEvent, Error, Review, Store, VerdictRecord, MIGRATIONS};

pub struct Sqlite {
    path: String,
    conn: Mutex<Connection>,
}

impl Sqlite {
    pub fn open(path: &Path) -> Result<Sqlite, Error> {
        let location = path.display().to_string();
        let err = |e: rusqlite::Error| Error::Db {
            location: location.clone(),
            message: e.to_string(),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::Db {
                location: location.clone(),
                message: format!("cannot create {}: {e}", dir.display()),
            })?;
        }
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(err)?;
        conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
            .map_err(err)?;
        let found: i64 = conn
            .query_row("SELECT COALESCE(MAX(version), 0) FROM schema_version", [], |r| r.get(0))
            .map_err(err)?;
        if found > MIGRATIONS.len() as i64 {
            return Err(Error::TooNew {
                location,
                found,
                known: MIGRATIONS.len() as i64,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let tx = conn.unchecked_transaction().map_err(err)?;
            tx.execute_batch(sql).map_err(err)?;
            tx.execute("INSERT INTO schema_version (version) VALUES (?1)", [i as i64 + 1])
                .map_err(err)?;
            tx.commit().map_err(err)?;
        }
        Ok(Sqlite {
            path: location,
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, Error> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        f(&conn).map_err(|e| Error::Db {
            location: self.path.clone(),
            message: e.to_string(),
        })
    }
}

const VERDICT_COLS: &str =
    "sha256, ruleset, name, version, filename, verdict, reason, findings, inspected_at, inspected_by";
const REVIEW_COLS: &str = "name, version, state, reason, who, at, expires, filename";

fn verdict_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<VerdictRecord> {
    Ok(VerdictRecord {
        sha256: r.get(0)?,
        ruleset: r.get(1)?,
        name: r.get(2)?,
        version: r.get(3)?,
        filename: r.get(4)?,
        verdict: r.get(5)?,
        reason: r.get(6)?,
        findings: r.get(7)?,
        inspected_at: r.get(8)?,
        inspected_by: r.get(9)?,
    })
}

fn review_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Review> {
    Ok(Review {
        name: r.get(0)?,
        version: r.get(1)?,
        state: r.get(2)?,
        reason: r.get(3)?,
        who: r.get(4)?,
        at: r.get(5)?,
        expires: r.get(6)?,
        filename: r.get(7)?,
    })
}

impl Store for Sqlite {
    fn location(&self) -> String {
        self.path.clone()
    }

    fn verdict(&self, sha256: &str, ruleset: &str) -> Result<Option<VerdictRecord>, Error> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {VERDICT_COLS} FROM verdicts WHERE sha256 = ?1 AND ruleset = ?2"),
                params![sha256, ruleset],
                verdict_row,
            )
            .optional()
        })
    }

    fn put_verdict(&self, v: &VerdictRecord) -> Result<VerdictRecord, Error> {
        self.with(|c| {
            c.execute(
                &format!(
                    "INSERT OR IGNORE INTO verdicts ({VERDICT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                ),
                params![
                    v.sha256,
                    v.ruleset,
                    v.name,
                    v.version,
                    v.filename,
                    v.verdict,
                    v.reason,
                    v.findings,
                    v.inspected_at,
                    v.inspected_by
                ],
            )?;
            c.query_row(
                &format!("SELECT {VERDICT_COLS} FROM verdicts WHERE sha256 = ?1 AND ruleset = ?2"),
                params![v.sha256, v.ruleset],
                verdict_row,
            )
        })
    }

    fn claim(&self, sha256: &str, ruleset: &str, who: &str, now: i64, stale_before: i64) -> Result<bool, Error> {
        self.with(|c| {
            c.execute(
                "INSERT INTO claims (sha256, ruleset, who, at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (sha256, ruleset) DO UPDATE SET who = excluded.who, at = excluded.at
                 WHERE claims.at < ?5",
                params![sha256, ruleset, who, now, stale_before],
            )
            .map(|n| n == 1)
        })
    }

    fn release(&self, sha256: &str, ruleset: &str, who: &str) -> Result<(), Error> {
        self.with(|c| {
            c.execute(
                "DELETE FROM claims WHERE sha256 = ?1 AND ruleset = ?2 AND who = ?3",
                params![sha256, ruleset, who],
            )
            .map(|_| ())
        })
    }

    fn review(&self, name: &str, version: &str) -> Result<Option<Review>, Error> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {REVIEW_COLS} FROM reviews WHERE name = ?1 AND version = ?2"),
                params![name, version],
                review_row,
            )
            .optional()
        })
    }

    fn request_review(&self, r: &Review) -> Result<(), Error> {
        self.with(|c| {
            c.execute(
                &format!("INSERT OR IGNORE INTO reviews ({REVIEW_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
                params![r.name, r.version, r.state, r.reason, r.who, r.at, r.expires, r.filename],
            )
            .map(|_| ())
        })
    }

    fn decide(&self, r: &Review) -> Result<(), Error> {
        self.with(|c| {
            c.execute(
                &format!("INSERT OR REPLACE INTO reviews ({REVIEW_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
                params![r.name, r.version, r.state, r.reason, r.who, r.at, r.expires, r.filename],
            )
            .map(|_| ())
        })
    }

    fn reviews(&self) -> Result<Vec<Review>, Error> {
        self.with(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {REVIEW_COLS} FROM reviews ORDER BY state <> 'pending', at DESC, name, version"
            ))?;
            let rows = st.query_map([], review_row)?;
            rows.collect()
        })
    }

    fn verdicts_of(&self, name: &str, version: &str) -> Result<Vec<VerdictRecord>, Error> {
        self.with(|c| {
            let mut st = c.prepare(&format!(
                "SELECT {VERDICT_COLS} FROM verdicts WHERE name = ?1 AND version = ?2 ORDER BY inspected_at DESC"
            ))?;
            let rows = st.query_map(params![name, version], verdict_row)?;
            rows.collect()
        })
    }

    fn audit(&self, e: &AuditEvent) -> Result<(), Error> {
        self.with(|c| {
            c.execute(
                "INSERT INTO audit (at, who, event, name, version, sha256, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![e.at, e.who, e.event, e.name, e.version, e.sha256, e.detail],
            )
            .map(|_| ())
        })
    }

    fn audit_log(&self, limit: usize) -> Result<Vec<AuditEvent>, Error> {
        self.with(|c| {
            let mut st = c.prepare(
                "SELECT at, who, event, name, version, sha256, detail FROM audit ORDER BY rowid DESC LIMIT ?1",
            )?;
            let rows = st.query_map([limit as i64], |r| {
                Ok(AuditEvent {
                    at: r.get(0)?,
                    who: r.get(1)?,
                    event: r.get(2)?,
                    name: r.get(3)?,
                    version: r.get(4)?,
                    sha256: r.get(5)?,
                    detail: r.get(6)?,
                })
            })?;
            rows.collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(verdict: &str) -> VerdictRecord {
        VerdictRecord {
            sha256: "ab".repeat(32),
            ruleset: "r1".into(),
            name: "pkg".into(),
            version: "1.0".into(),
            filename: "pkg-1.0.tar.gz".into(),
            verdict: verdict.into(),
            reason: String::new(),
            findings: "[]".into(),
            inspected_at: 1,
            inspected_by: "test".into(),
        }
    }

    #[test]
    fn migrations_are_idempotent_and_the_first_verdict_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite3");
        let s = Sqlite::open(&path).unwrap();
        assert_eq!(s.put_verdict(&record("allow")).unwrap().verdict, "allow");
        assert_eq!(s.put_verdict(&record("deny")).unwrap().verdict, "allow");
        drop(s);
        let s = Sqlite::open(&path).unwrap();
        assert_eq!(s.verdict(&"ab".repeat(32), "r1").unwrap().unwrap().verdict, "allow");
        assert!(s.verdict(&"ab".repeat(32), "r2").unwrap().is_none());
    }

    #[test]
    fn pending_requests_do_not_overwrite_decisions_and_approvals_expire() {
        let dir = tempfile::tempdir().unwrap();
        let s = Sqlite::open(&dir.path().join("s.sqlite3")).unwrap();
        let mut r = Review {
            name: "pkg".into(),
            version: "1.0".into(),
            state: "approved".into(),
            reason: "ok".into(),
            who: "alice".into(),
            at: 100,
            expires: Some(200),
            filename: String::new(),
        };
        s.decide(&r).unwrap();
        r.state = "pending".into();
        s.request_review(&r).unwrap();
        let stored = s.review("pkg", "1.0").unwrap().unwrap();
        assert_eq!(stored.state, "approved");
        assert!(stored.approves(150));
        assert!(!stored.approves(250));
    }

    #[test]
    fn one_claim_at_a_time_until_it_goes_stale() {
        let dir = tempfile::tempdir().unwrap();
        let s = Sqlite::open(&dir.path().join("s.sqlite3")).unwrap();
        assert!(s.claim("h", "r", "a", 100, 0).unwrap());
        assert!(!s.claim("h", "r", "b", 110, 50).unwrap());
        assert!(s.claim("h", "r", "b", 300, 200).unwrap());
        s.release("h", "r", "b").unwrap();
        assert!(s.claim("h", "r", "c", 301, 0).unwrap());
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite3");
        drop(Sqlite::open(&path).unwrap());
        let c = Connection::open(&path).unwrap();
        c.execute("INSERT INTO schema_version (version) VALUES (99)", [])
            .unwrap();
        drop(c);
        assert!(matches!(Sqlite::open(&path), Err(Error::TooNew { found: 99, .. })));
    }
}
