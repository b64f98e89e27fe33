//! `guard review list|show|approve|deny` against the store `guard serve` uses.

use std::io::Write;

use anyhow::{bail, Context};

use crate::cli::{ReviewCommand, ReviewDecision, ReviewStore};
use crate::metadata::normalize;
use crate::store::{self, AuditEvent, Review, Store};
use crate::ExitStatus;

fn open(s: &ReviewStore) -> anyhow::Result<Box<dyn Store>> {
    let cache_dir = match s.cache_dir.clone().or_else(crate::download::default_cache_dir) {
        Some(d) => d,
        None => bail!("no cache directory: pass --cache-dir or --database"),
    };
    store::open(s.database.as_deref(), &cache_dir).context("cannot open the verdict store")
}

fn when(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02}Z",
        crate::policy::Date::from_days(days),
        secs / 3600,
        secs % 3600 / 60
    )
}

pub fn run(cmd: ReviewCommand) -> anyhow::Result<ExitStatus> {
    let mut out = std::io::stdout().lock();
    match cmd {
        ReviewCommand::List(s) => {
            let store = open(&s)?;
            let reviews = store.reviews()?;
            if reviews.is_empty() {
                writeln!(out, "no reviews in {}", store.location())?;
            }
            for r in reviews {
                let state = if r.state == "approved" && !r.approves(store::now()) {
                    "expired".to_string()
                } else {
                    r.state.clone()
                };
                let by = if r.who.is_empty() {
                    String::new()
                } else {
                    format!(" by {}", r.who)
                };
                writeln!(
                    out,
                    "{:<9} {} {}  {}{by}  {}",
                    state,
                    r.name,
                    r.version,
                    when(r.at),
                    r.reason
                )?;
            }
        }
        ReviewCommand::Show {
            name,
            release: version,
            store: s,
        } => {
            let store = open(&s)?;
            let name = normalize(&name);
            let verdicts = store.verdicts_of(&name, &version)?;
            let review = store.review(&name, &version)?;
            if verdicts.is_empty() && review.is_none() {
                bail!("{} has no record of {name} {version}", store.location());
            }
            for v in &verdicts {
                writeln!(out, "{} {}: {} ({})", v.filename, v.sha256, v.verdict, v.reason)?;
                writeln!(
                    out,
                    "  inspected {} by {} under rule set {}",
                    when(v.inspected_at),
                    v.inspected_by,
                    v.ruleset
                )?;
                if let Ok(serde_json::Value::Array(findings)) = serde_json::from_str::<serde_json::Value>(&v.findings) {
                    for f in findings {
                        let at = match (f["file"].as_str(), f["line"].as_u64()) {
                            (Some(file), Some(line)) => format!(" {file}:{line}"),
                            (Some(file), None) => format!(" {file}"),
                            _ => String::new(),
                        };
                        writeln!(
                            out,
                            "  - {} [{}]{at}: {}",
                            f["severity"].as_str().unwrap_or("?"),
                            f["rule"].as_str().unwrap_or("?"),
                            f["message"].as_str().unwrap_or("")
                        )?;
                    }
                }
            }
            match review {
                Some(r) => {
                    let expires = r.expires.map(|e| format!(", expires {}", when(e))).unwrap_or_default();
                    writeln!(
                        out,
                        "review: {} {}{} {expires}: {}",
                        r.state,
                        if r.who.is_empty() { "" } else { "by " },
                        r.who,
                        r.reason
                    )?;
                }
                None => writeln!(out, "review: none requested")?,
            }
        }
        ReviewCommand::Approve(d) => decide(&mut out, d, "approved")?,
        ReviewCommand::Deny(d) => decide(&mut out, d, "denied")?,
    }
    Ok(ExitStatus::Success)
}

fn decide(out: &mut impl Write, d: ReviewDecision, state: &str) -> anyhow::Result<()> {
    if d.reason.trim().is_empty() {
        bail!("--reason must say why");
    }
    let store = open(&d.store)?;
    let name = normalize(&d.name);
    let who =
        d.by.or_else(|| std::env::var("GUARD_REVIEWER").ok())
            .or_else(|| std::env::var("USER").ok())
            .filter(|w| !w.trim().is_empty())
            .unwrap_or_else(|| "unknown".into());
    let now = store::now();
    let filename = store.review(&name, &d.release)?.map(|r| r.filename).unwrap_or_default();
    let review = Review {
        name: name.clone(),
        version: d.release.clone(),
        state: state.into(),
        reason: d.reason.clone(),
        who: who.clone(),
        at: now,
        expires: d.expires_in_days.map(|days| now + days as i64 * 86_400),
        filename,
    };
    store.decide(&review)?;
    store.audit(&AuditEvent {
        at: now,
        who: who.clone(),
        event: state.into(),
        name: name.clone(),
        version: d.release.clone(),
        sha256: String::new(),
        detail: d.reason.clone(),
    })?;
    writeln!(out, "{state} {name} {} by {who} in {}", d.release, store.location())?;
    Ok(())
}
