//! The PostgreSQL store, for several `guard serve` replicas and reviewers on
//! other machines. Migrations run under an advisory lock, so replicas
//! starting together do not race.

use std::sync::Mutex;

use postgres::{Client, NoTls, Row};

use super::{AuditEvent, Error, Review, Store, VerdictRecord, MIGRATIONS};

pub struct Postgres {
    url: String,
    shown: String,
    client: Mutex<Option<Client>>,
}

/// The URL without its password.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("****"));
            }
            u.to_string()
        }
        Err(_) => "postgres://…".into(),
    }
}

impl Postgres {
    pub fn open(url: &str) -> Result<Postgres, Error> {
        let store = Postgres {
            url: url.to_string(),
            shown: redact(url),
            client: Mutex::new(None),
        };
        store.with(|c| {
            c.batch_execute("SELECT pg_advisory_lock(713401)")?;
            let result = migrate(c);
            c.batch_execute("SELECT pg_advisory_unlock(713401)")?;
            result
        })?;
        Ok(store)
    }

    fn with<T>(&self, f: impl FnOnce(&mut Client) -> Result<T, postgres::Error>) -> Result<T, Error> {
        let err = |e: postgres::Error| Error::Db {
            location: self.shown.clone(),
            message: e.to_string(),
        };
        let mut guard = self.client.lock().unwrap_or_else(|e| e.into_inner());
        if guard.as_ref().is_none_or(|c| c.is_closed()) {
            let mut config: postgres::Config = self.url.parse().map_err(err)?;
            config.connect_timeout(std::time::Duration::from_secs(5));
            *guard = Some(config.connect(NoTls).map_err(err)?);
        }
        let client = guard.as_mut().expect("connected above");
        let result = f(client);
        if result.is_err() && client.is_closed() {
            *guard = None;
        }
        result.map_err(err)
    }
}

fn migrate(c: &mut Client) -> Result<(), postgres::Error> {
    c.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")?;
    let found: i64 = c
        .query_one("SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_version", &[])?
        .get(0);
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        let mut tx = c.transaction()?;
        tx.batch_execute(sql)?;
        tx.execute("INSERT INTO schema_version (version) VALUES ($1)", &[&(i as i64 + 1)])?;
        tx.commit()?;
    }
    Ok(())
}

const VERDICT_COLS: &str =
    "sha256, ruleset, name, version, filename, verdict, reason, findings, inspected_at, inspected_by";
const REVIEW_COLS: &str = "name, version, state, reason, who, at, expires, filename";

fn verdict_row(r: &Row) -> VerdictRecord {
    VerdictRecord {
        sha256: r.get(0),
        ruleset: r.get(1),
        name: r.get(2),
        version: r.get(3),
        filename: r.get(4),
        verdict: r.get(5),
        reason: r.get(6),
        findings: r.get(7),
        inspected_at: r.get(8),
        inspected_by: r.get(9),
    }
}

fn get_verdict(c: &mut Client, sha256: &str, ruleset: &str) -> Result<Option<VerdictRecord>, postgres::Error> {
    let row = c.query_opt(
        &format!("SELECT {VERDICT_COLS} FROM verdicts WHERE sha256 = $1 AND ruleset = $2"),
        &[&sha256, &ruleset],
    )?;
    Ok(row.as_ref().map(verdict_row))
}

/// Writes a review row; `on_conflict` decides what an existing row becomes.
fn put_review(c: &mut Client, r: &Review, on_conflict: &str) -> Result<(), postgres::Error> {
    c.execute(
        &format!("INSERT INTO reviews ({REVIEW_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) {on_conflict}"),
        &[
            &r.name,
            &r.version,
            &r.state,
            &r.reason,
            &r.who,
            &r.at,
            &r.expires,
            &r.filename,
        ],
    )
    .map(|_| ())
}

fn review_row(r: &Row) -> Review {
    Review {
        name: r.get(0),
        version: r.get(1),
        state: r.get(2),
        reason: r.get(3),
        who: r.get(4),
        at: r.get(5),
        expires: r.get(6),
        filename: r.get(7),
    }
}

impl Store for Postgres {
    fn location(&self) -> String {
        self.shown.clone()
    }

    fn verdict(&self, sha256: &str, ruleset: &str) -> Result<Option<VerdictRecord>, Error> {
        self.with(|c| get_verdict(c, sha256, ruleset))
    }

    fn put_verdict(&self, v: &VerdictRecord) -> Result<VerdictRecord, Error> {
        self.with(|c| {
            c.execute(
                &format!(
                    "INSERT INTO verdicts ({VERDICT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING"
                ),
                &[
                    &v.sha256,
                    &v.ruleset,
                    &v.name,
                    &v.version,
                    &v.filename,
                    &v.verdict,
                    &v.reason,
                    &v.findings,
                    &v.inspected_at,
                    &v.inspected_by,
                ],
            )?;
            // The first writer's row (this one, or a replica's that won).
            let stored = get_verdict(c, &v.sha256, &v.ruleset)?;
            Ok(stored.unwrap_or_else(|| v.clone()))
        })
    }

    fn claim(&self, sha256: &str, ruleset: &str, who: &str, now: i64, stale_before: i64) -> Result<bool, Error> {
        self.with(|c| {
            c.execute(
                "INSERT INTO claims (sha256, ruleset, who, at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (sha256, ruleset) DO UPDATE SET who = EXCLUDED.who, at = EXCLUDED.at
                 WHERE claims.at < $5",
                &[&sha256, &ruleset, &who, &now, &stale_before],
            )
            .map(|n| n == 1)
        })
    }

    fn release(&self, sha256: &str, ruleset: &str, who: &str) -> Result<(), Error> {
        self.with(|c| {
            c.execute(
                "DELETE FROM claims WHERE sha256 = $1 AND ruleset = $2 AND who = $3",
                &[&sha256, &ruleset, &who],
            )
            .map(|_| ())
        })
    }

    fn review(&self, name: &str, version: &str) -> Result<Option<Review>, Error> {
        self.with(|c| {
            let row = c.query_opt(
                &format!("SELECT {REVIEW_COLS} FROM reviews WHERE name = $1 AND version = $2"),
                &[&name, &version],
            )?;
            Ok(row.as_ref().map(review_row))
        })
    }

    fn request_review(&self, r: &Review) -> Result<(), Error> {
        self.with(|c| put_review(c, r, "ON CONFLICT DO NOTHING"))
    }

    fn decide(&self, r: &Review) -> Result<(), Error> {
        self.with(|c| {
            put_review(
                c,
                r,
                "ON CONFLICT (name, version) DO UPDATE SET state = EXCLUDED.state, reason = EXCLUDED.reason,
                 who = EXCLUDED.who, at = EXCLUDED.at, expires = EXCLUDED.expires,
                 filename = CASE WHEN EXCLUDED.filename = '' THEN reviews.filename ELSE EXCLUDED.filename END",
            )
        })
    }

    fn reviews(&self) -> Result<Vec<Review>, Error> {
        self.with(|c| {
            let rows = c.query(
                &format!("SELECT {REVIEW_COLS} FROM reviews ORDER BY state <> 'pending', at DESC, name, version"),
                &[],
            )?;
            Ok(rows.iter().map(review_row).collect())
        })
    }

    fn verdicts_of(&self, name: &str, version: &str) -> Result<Vec<VerdictRecord>, Error> {
        self.with(|c| {
            let rows = c.query(
                &format!(
                    "SELECT {VERDICT_COLS} FROM verdicts WHERE name = $1 AND version = $2 ORDER BY inspected_at DESC"
                ),
                &[&name, &version],
            )?;
            Ok(rows.iter().map(verdict_row).collect())
        })
    }

    fn audit(&self, e: &AuditEvent) -> Result<(), Error> {
        self.with(|c| {
            c.execute(
                "INSERT INTO audit (at, who, event, name, version, sha256, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[&e.at, &e.who, &e.event, &e.name, &e.version, &e.sha256, &e.detail],
            )
            .map(|_| ())
        })
    }

    fn audit_log(&self, limit: usize) -> Result<Vec<AuditEvent>, Error> {
        self.with(|c| {
            let rows = c.query(
                "SELECT at, who, event, name, version, sha256, detail FROM audit ORDER BY at DESC LIMIT $1",
                &[&(limit as i64)],
            )?;
            Ok(rows
                .iter()
                .map(|r| AuditEvent {
                    at: r.get(0),
                    who: r.get(1),
                    event: r.get(2),
                    name: r.get(3),
                    version: r.get(4),
                    sha256: r.get(5),
                    detail: r.get(6),
                })
                .collect())
        })
    }
}
