//! `guard review list|show|approve|deny` against the store `guard serve`
//! uses, or (`--server URL`) through a running `guard serve`'s review
//! endpoints with a token.

use std::io::Write;

use anyhow::{bail, Context};

use crate::cli::{ReviewCommand, ReviewDecision, ReviewStore};
use crate::metadata::normalize;
use crate::store::{self, AuditEvent, Review, Store, VerdictRecord};
use crate::ExitStatus;

/// Where reviews are read and decided.
enum Backend {
    Local(Box<dyn Store>),
    Remote(Remote),
}

fn open(s: &ReviewStore) -> anyhow::Result<Backend> {
    if let Some(server) = &s.server {
        return Ok(Backend::Remote(Remote::new(server, s.token_file.as_deref())?));
    }
    let cache_dir = match s.cache_dir.clone().or_else(crate::download::default_cache_dir) {
        Some(d) => d,
        None => bail!("no cache directory: pass --cache-dir, --database or --server"),
    };
    Ok(Backend::Local(
        store::open(s.database.as_deref(), &cache_dir).context("cannot open the verdict store")?,
    ))
}

impl Backend {
    fn location(&self) -> String {
        match self {
            Backend::Local(s) => s.location(),
            Backend::Remote(r) => r.base.to_string(),
        }
    }

    fn reviews(&self) -> anyhow::Result<Vec<Review>> {
        match self {
            Backend::Local(s) => Ok(s.reviews()?),
            Backend::Remote(r) => {
                let v = r.call(reqwest::Method::GET, "-/reviews", None)?;
                Ok(serde_json::from_value(v["reviews"].clone()).context("unexpected answer from the server")?)
            }
        }
    }

    fn show(&self, name: &str, version: &str) -> anyhow::Result<(Vec<VerdictRecord>, Option<Review>)> {
        match self {
            Backend::Local(s) => Ok((s.verdicts_of(name, version)?, s.review(name, version)?)),
            Backend::Remote(r) => {
                let path = format!("-/reviews/{}/{}", seg(name), seg(version));
                match r.call(reqwest::Method::GET, &path, None) {
                    Ok(v) => Ok((
                        serde_json::from_value(v["verdicts"].clone()).context("unexpected answer from the server")?,
                        serde_json::from_value(v["review"].clone()).context("unexpected answer from the server")?,
                    )),
                    Err(e) if e.to_string().contains("HTTP 404") => Ok((Vec::new(), None)),
                    Err(e) => Err(e),
                }
            }
        }
    }
}

fn seg(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A `guard serve`'s review endpoints.
struct Remote {
    base: url::Url,
    token: String,
    rt: tokio::runtime::Runtime,
    client: reqwest::Client,
}

impl Remote {
    fn new(server: &str, token_file: Option<&std::path::Path>) -> anyhow::Result<Remote> {
        let mut base = url::Url::parse(server).map_err(|e| anyhow::anyhow!("invalid --server URL: {e}"))?;
        if !matches!(base.scheme(), "http" | "https") {
            bail!("invalid --server URL: expected http:// or https://");
        }
        // Accept the index URL too: http://host:3141/simple/ → http://host:3141/.
        let path = base
            .path()
            .trim_end_matches('/')
            .trim_end_matches("/simple")
            .to_string();
        base.set_path(&format!("{path}/"));
        let token = match token_file {
            Some(f) => crate::commands::serve::read_secret(
                &crate::policy::serve::Secret::File(f.to_path_buf()),
                "--token-file",
            )?,
            None => crate::commands::serve::read_secret(
                &crate::policy::serve::Secret::Env("GUARD_TOKEN".into()),
                "--server",
            )?,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("failed to start the async runtime")?;
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .context("cannot set up the HTTP client")?;
        Ok(Remote {
            base,
            token,
            rt,
            client,
        })
    }

    fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> anyhow::Result<serde_json::Value> {
        let url = self.base.join(path).with_context(|| format!("invalid path {path}"))?;
        let mut req = self.client.request(method, url.clone()).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.rt.block_on(async {
            let resp = req.send().await.with_context(|| format!("cannot reach {url}"))?;
            let status = resp.status();
            let text = resp
                .text()
                .await
                .with_context(|| format!("cannot read the answer of {url}"))?;
            if !status.is_success() {
                bail!("{url} answered HTTP {}: {}", status.as_u16(), text.trim());
            }
            serde_json::from_str(&text).with_context(|| format!("{url} did not answer JSON"))
        })
    }
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
            let (verdicts, review) = store.show(&name, &version)?;
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
    let store = match open(&d.store)? {
        Backend::Local(s) => s,
        Backend::Remote(r) => {
            let name = normalize(&d.name);
            let action = if state == "approved" { "approve" } else { "deny" };
            let mut body = serde_json::json!({ "reason": d.reason });
            if let Some(by) = d.by.clone().or_else(|| std::env::var("GUARD_REVIEWER").ok()) {
                body["by"] = by.into();
            }
            if let Some(days) = d.expires_in_days {
                body["expires_in_days"] = days.into();
            }
            let path = format!("-/reviews/{}/{}/{action}", seg(&name), seg(&d.release));
            let v = r.call(reqwest::Method::POST, &path, Some(body))?;
            let who = v["review"]["who"].as_str().unwrap_or("?");
            writeln!(out, "{state} {name} {} by {who} through {}", d.release, r.base)?;
            return Ok(());
        }
    };
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
