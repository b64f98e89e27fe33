//! `guard serve`: a PEP 503/691 index in front of one or more upstream
//! indexes that only hands out files guard has inspected and the policy
//! approves.
//!
//! A file is fetched from its upstream (sha256 verified) and inspected the
//! first time a client asks for it; the verdict is stored by sha256 and
//! rule-set version (see [`crate::store`]), so it is inspected once for every
//! replica sharing the store. Pages hide files younger than the policy's
//! `min_release_age` and files known to be refused, so resolvers pick an
//! approved version instead of failing. Upstream failures are answered with
//! 502/504, a store failure with 503: never with an unapproved file.

mod api;
pub mod auth;
pub mod clients;
mod files;
mod log;
pub mod pages;

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use sha2::{Digest, Sha256};
use url::Url;

use crate::download::{CacheRoot, Downloader, Quiet};
use crate::index::{DistFile, HttpOptions, IndexClient, IndexSettings};
use crate::metadata::normalize;
use crate::policy::serve::{glob, normalize_pattern};
use crate::policy::{self, Candidate, Policy, Verdict};
use crate::store::{self, AuditEvent, Review, Store, VerdictRecord};

pub use auth::{Access, Token};

/// Everything `guard serve` runs with.
pub struct Config {
    pub listen: SocketAddr,
    /// Indexes asked for names no pin covers, in order (the first that has a name wins).
    pub upstreams: Vec<Url>,
    /// `(pattern, upstream)`: names matching `pattern` (`*` wildcards, normalized)
    /// are looked up on that upstream only.
    pub pins: Vec<(String, Url)>,
    pub cache_dir: PathBuf,
    pub policy: Policy,
    pub store: Arc<dyn Store>,
    pub http: HttpOptions,
    /// How long a project page from upstream is reused.
    pub page_ttl: Duration,
    /// Tokens, and whether downloads need one.
    pub access: Access,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot set up the upstream client for {url}: {message}")]
    Upstream { url: String, message: String },
    #[error("cannot accept connections on {addr}: {source}")]
    Accept { addr: SocketAddr, source: std::io::Error },
}

/// The rule-set version verdicts are stored under: guard's version, its rule
/// ids and the policy settings that turn findings into a verdict. A change in
/// any of them re-inspects every artifact.
pub fn ruleset(policy: &Policy) -> String {
    let mut h = Sha256::new();
    for m in crate::inspect::rules::all_meta() {
        h.update(m.id.as_bytes());
        h.update(format!("{:?}", m.severity).as_bytes());
    }
    h.update(
        format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            policy.deny_at, policy.review_at, policy.combine, policy.disabled, policy.severity, policy.sdist
        )
        .as_bytes(),
    );
    format!("{}-{}", env!("CARGO_PKG_VERSION"), &hex::encode(h.finalize())[..12])
}

struct Upstream {
    url: Url,
    shown: String,
    client: Arc<IndexClient>,
}

/// One project's files as last fetched from its upstream.
struct ProjectFiles {
    fetched: Instant,
    files: Vec<(String, DistFile)>,
    versions: Vec<String>,
}

/// A file guard learned from an upstream page.
struct Known {
    /// The project, normalized.
    name: String,
    /// Index into `State::upstreams`.
    upstream: usize,
    file: DistFile,
}

/// Artifacts up to this size are kept in memory once verified…
const HOT_FILE: u64 = 256 * 1024;
/// …up to this many bytes in all (then they are read from disk each time).
const HOT_BYTES: usize = 64 << 20;

/// A project's rendered pages, one slot per media type (see [`slot`]): when
/// its upstream page was fetched, and the body.
type Rendered = [Option<(Instant, Bytes)>; 3];

fn slot(kind: &str) -> usize {
    match kind {
        pages::JSON => 0,
        pages::HTML_V1 => 1,
        _ => 2,
    }
}

struct State {
    upstreams: Vec<Upstream>,
    /// Indexes (into `upstreams`) asked for unpinned names.
    general: Vec<usize>,
    pins: Vec<(String, usize)>,
    cache_dir: PathBuf,
    policy: Policy,
    ruleset: String,
    store: Arc<dyn Store>,
    page_ttl: Duration,
    projects: Mutex<HashMap<String, Arc<ProjectFiles>>>,
    /// Rendered pages: (project, media type) → (when, body), for the page TTL.
    rendered: Mutex<HashMap<String, Rendered>>,
    /// sha256 → the file, learned from pages.
    files: Mutex<HashMap<String, Arc<Known>>>,
    /// Small verified artifacts kept in memory (sha256 → bytes), at most [`HOT_BYTES`] in all.
    hot: Mutex<(usize, HashMap<String, Bytes>)>,
    /// One inspection per sha256 at a time in this process.
    inflight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Stored verdicts seen by this process (immutable per sha256 and rule set).
    verdicts: Mutex<HashMap<String, Arc<VerdictRecord>>>,
    /// Artifacts whose bytes on disk were verified (sha256 → path and what it looked like then).
    verified: Mutex<HashMap<String, (PathBuf, files::Fingerprint)>>,
    inspections: tokio::sync::Semaphore,
    who: String,
    access: Access,
}

/// Runs the server until `shutdown` resolves, then finishes the requests in
/// flight (for at most 10 s). Prints the bound address on stderr first.
pub async fn run(config: Config, shutdown: impl std::future::Future<Output = ()>) -> Result<(), Error> {
    let mut upstreams: Vec<Upstream> = Vec::new();
    let mut add = |url: &Url| -> Result<usize, Error> {
        if let Some(i) = upstreams.iter().position(|u| u.url == *url) {
            return Ok(i);
        }
        let http = crate::index::Http::new(config.http.clone(), HashMap::new()).map_err(|e| Error::Upstream {
            url: public(url),
            message: e.to_string(),
        })?;
        let settings = IndexSettings {
            indexes: vec![url.clone()],
            find_links: Vec::new(),
        };
        upstreams.push(Upstream {
            url: url.clone(),
            shown: public(url),
            client: Arc::new(IndexClient::new(http, settings, None)),
        });
        Ok(upstreams.len() - 1)
    };
    let mut general = Vec::new();
    for u in &config.upstreams {
        general.push(add(u)?);
    }
    let mut pins = Vec::new();
    for (pattern, u) in &config.pins {
        pins.push((normalize_pattern(pattern), add(u)?));
    }
    let state = Arc::new(State {
        upstreams,
        general,
        pins,
        cache_dir: config.cache_dir.clone(),
        ruleset: ruleset(&config.policy),
        policy: config.policy,
        store: config.store,
        page_ttl: config.page_ttl,
        projects: Mutex::default(),
        rendered: Mutex::default(),
        files: Mutex::default(),
        hot: Mutex::default(),
        inflight: Mutex::default(),
        verdicts: Mutex::default(),
        verified: Mutex::default(),
        inspections: tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())),
        who: store::instance(),
        access: config.access,
    });

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| Error::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| Error::Bind {
        addr: config.listen,
        source,
    })?;
    eprintln!(
        "guard serve: listening on http://{addr}/simple/ (store: {}, rule set {})",
        state.store.location(),
        state.ruleset
    );
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(s) => s,
                    // Out of file descriptors and the like: back off, keep serving.
                    Err(e) => {
                        eprintln!("guard serve: {}", Error::Accept { addr, source: e });
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                let service = hyper::service::service_fn(move |req| handle(state.clone(), req));
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    eprintln!("guard serve: shutting down, finishing requests in flight");
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!("guard serve: requests still running after 10 s; stopping anyway");
    }
    log::flush();
    Ok(())
}

/// An upstream URL as clients and logs may see it: no user name, no password.
fn public(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// Response bodies: small ones in memory, artifacts streamed from disk.
type Body = UnsyncBoxBody<Bytes, std::io::Error>;
type Resp = Response<Body>;

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed_unsync()
}

/// An answer other than a file or a page, with a one-line reason: it goes in
/// the status line (pip prints it) and the body (for curl and logs).
struct Refusal {
    status: StatusCode,
    reason: String,
}

impl Refusal {
    fn new(status: StatusCode, reason: impl Into<String>) -> Refusal {
        Refusal {
            status,
            reason: reason.into(),
        }
    }
}

/// `https://user:****@host/…` → `https://host/…`: messages to clients name
/// upstreams without their credentials (not even the user name).
fn scrub(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find("://") {
        out.push_str(&rest[..i + 3]);
        rest = &rest[i + 3..];
        let end = rest
            .find(|c: char| c == '/' || c.is_whitespace() || c == '`' || c == '"' || c == '\'')
            .unwrap_or(rest.len());
        if let Some(at) = rest[..end].rfind('@') {
            rest = &rest[at + 1..];
        }
    }
    out.push_str(rest);
    out
}

fn text(status: StatusCode, reason: &str) -> Resp {
    let reason = &scrub(reason);
    let line: String = reason
        .chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' })
        .take(300)
        .collect();
    let mut resp = Response::new(full(format!("{reason}\n")));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp.headers_mut()
        .insert("cache-control", hyper::header::HeaderValue::from_static("no-store"));
    if status != StatusCode::OK {
        if let Ok(phrase) = hyper::ext::ReasonPhrase::try_from(line.into_bytes()) {
            resp.extensions_mut().insert(phrase);
        }
    }
    resp
}

fn body(content_type: &str, bytes: impl Into<Bytes>) -> Resp {
    let mut resp = Response::new(full(bytes));
    if let Ok(v) = hyper::header::HeaderValue::from_str(content_type) {
        resp.headers_mut().insert("content-type", v);
    }
    resp
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Resp, Infallible> {
    let start = Instant::now();
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    let method = &parts.method;
    let mut who = None;
    let resp = if path.starts_with("/-/") {
        match api::scope(path) {
            None => text(StatusCode::NOT_FOUND, "guard serve: no such endpoint"),
            Some(needs) => match state.access.check(parts.headers.get("authorization"), Some(needs)) {
                Err(denied) => refuse(&denied),
                Ok(None) => refuse(&auth::Denied::Missing),
                Ok(Some(token)) => {
                    who = Some(token.name.as_str());
                    match api::route(&state, method, path, parts.uri.query(), body, token).await {
                        Ok(r) => r,
                        Err(refusal) => text(refusal.status, &refusal.reason),
                    }
                }
            },
        }
    } else if method != hyper::Method::GET && method != hyper::Method::HEAD {
        text(StatusCode::METHOD_NOT_ALLOWED, "guard serve: only GET and HEAD")
    } else if path == "/healthz" {
        health(&state).await
    } else {
        match state.access.check(parts.headers.get("authorization"), None) {
            Err(denied) => refuse(&denied),
            Ok(token) => {
                who = token.map(|t| t.name.as_str());
                let accept = parts.headers.get("accept").and_then(|v| v.to_str().ok());
                match route(&state, path, accept).await {
                    Ok(r) => r,
                    Err(refusal) => text(refusal.status, &refusal.reason),
                }
            }
        }
    };
    // Built by hand: this runs for every request.
    let mut line = String::with_capacity(128 + path.len());
    line.push_str("{\"at\":");
    line.push_str(&store::now().to_string());
    line.push_str(",\"method\":");
    log::push_quoted(&mut line, method.as_str());
    line.push_str(",\"path\":");
    log::push_quoted(&mut line, path);
    line.push_str(",\"status\":");
    line.push_str(&resp.status().as_u16().to_string());
    if let Some(w) = who {
        line.push_str(",\"token\":");
        log::push_quoted(&mut line, w);
    }
    line.push_str(&format!(",\"ms\":{:.1}}}", start.elapsed().as_secs_f64() * 1000.0));
    log::line(line);
    Ok(resp)
}

/// 401 (with a challenge pip and uv answer with the URL's credentials) or 403.
fn refuse(denied: &auth::Denied) -> Resp {
    if denied.unauthorized() {
        let mut r = text(StatusCode::UNAUTHORIZED, &denied.message());
        r.headers_mut().insert(
            "www-authenticate",
            hyper::header::HeaderValue::from_static("Basic realm=\"guard serve\", charset=\"UTF-8\""),
        );
        r
    } else {
        text(StatusCode::FORBIDDEN, &denied.message())
    }
}

async fn health(state: &Arc<State>) -> Resp {
    let st = state.store.clone();
    match blocking(move || st.verdict("", "")).await {
        Ok(_) => text(StatusCode::OK, "ok"),
        Err(e) => text(StatusCode::SERVICE_UNAVAILABLE, &format!("guard serve: {e}")),
    }
}

async fn route(state: &Arc<State>, path: &str, accept: Option<&str>) -> Result<Resp, Refusal> {
    if path == "/simple" || path == "/simple/" || path == "/" {
        let kind = pages::negotiate(accept).ok_or_else(not_acceptable)?;
        return Ok(page(kind, pages::root(kind)));
    }
    if let Some(rest) = path.strip_prefix("/simple/") {
        let name = crate::index::percent_decode(rest.trim_end_matches('/'));
        if name.is_empty() || name.contains('/') {
            return Err(Refusal::new(StatusCode::NOT_FOUND, "guard serve: no such page"));
        }
        let kind = pages::negotiate(accept).ok_or_else(not_acceptable)?;
        return project_page(state, &normalize(&name), kind).await;
    }
    if let Some(rest) = path.strip_prefix("/files/") {
        let (sha, filename) = rest.split_once('/').unwrap_or((rest, ""));
        let filename = crate::index::percent_decode(filename);
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) || filename.is_empty() {
            return Err(Refusal::new(StatusCode::NOT_FOUND, "guard serve: no such file"));
        }
        let sha = sha.to_ascii_lowercase();
        if let Some(dist) = filename.strip_suffix(".metadata") {
            return metadata(state, &sha, dist).await;
        }
        return file(state, &sha, &filename).await;
    }
    Err(Refusal::new(StatusCode::NOT_FOUND, "guard serve: no such page"))
}

fn not_acceptable() -> Refusal {
    Refusal::new(
        StatusCode::NOT_ACCEPTABLE,
        "guard serve: serves application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html and text/html",
    )
}

fn page(kind: &'static str, text: impl Into<Bytes>) -> Resp {
    let mut resp = Response::new(full(text));
    resp.headers_mut()
        .insert("content-type", hyper::header::HeaderValue::from_static(kind));
    resp.headers_mut()
        .insert("vary", hyper::header::HeaderValue::from_static("Accept"));
    resp.headers_mut()
        .insert("cache-control", hyper::header::HeaderValue::from_static("max-age=60"));
    resp
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, store::Error> + Send + 'static,
) -> Result<T, store::Error> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(store::Error::Db {
            location: "(task)".into(),
            message: e.to_string(),
        })
    })
}

fn store_down(e: store::Error) -> Refusal {
    Refusal::new(StatusCode::SERVICE_UNAVAILABLE, format!("guard serve: {e}"))
}

fn upstream_error(e: &crate::index::Error) -> Refusal {
    use crate::index::Error as E;
    let status = match e {
        E::Timeout { .. } | E::Deadline { .. } => StatusCode::GATEWAY_TIMEOUT,
        _ => StatusCode::BAD_GATEWAY,
    };
    Refusal::new(status, format!("guard serve: upstream failed: {e}"))
}

fn download_error(e: &crate::download::Error) -> Refusal {
    use crate::download::Error as E;
    let message = e.to_string();
    let status = match e {
        E::TooSlow { .. } => StatusCode::GATEWAY_TIMEOUT,
        E::Index(_) | E::Truncated { .. } if message.contains("timed out") || message.contains("deadline") => {
            StatusCode::GATEWAY_TIMEOUT
        }
        E::Io { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_GATEWAY,
    };
    Refusal::new(status, format!("guard serve: upstream download failed: {message}"))
}

/// The upstreams asked for `name`: its pin's only, or every general one.
fn upstreams_for(state: &State, name: &str) -> Vec<usize> {
    match state.pins.iter().find(|(p, _)| glob(p, name)) {
        Some((_, i)) => vec![*i],
        None => state.general.clone(),
    }
}

/// The project's files from the first upstream that has it (cached for the page TTL).
async fn project_files(state: &Arc<State>, name: &str) -> Result<Arc<ProjectFiles>, Refusal> {
    if let Some(p) = state.projects.lock().unwrap().get(name) {
        if p.fetched.elapsed() < state.page_ttl {
            return Ok(p.clone());
        }
    }
    let mut found = None;
    for i in upstreams_for(state, name) {
        let project = state.upstreams[i]
            .client
            .project(name)
            .await
            .map_err(|e| upstream_error(&e))?;
        if project.index.is_some() {
            found = Some((i, project));
            break;
        }
    }
    let Some((upstream, project)) = found else {
        return Err(Refusal::new(
            StatusCode::NOT_FOUND,
            format!("guard serve: {name} is not on {}", shown_upstreams(state, name)),
        ));
    };
    let mut files = Vec::new();
    let mut versions = Vec::new();
    for f in project.files {
        let Some(sha) = f
            .sha256
            .clone()
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        else {
            // Guard cannot address or verify a file without a sha256.
            continue;
        };
        if let (_, Some(v)) = crate::metadata::from_filename(&f.filename) {
            if !versions.contains(&v) {
                versions.push(v);
            }
        }
        files.push((sha, f));
    }
    {
        let mut map = state.files.lock().unwrap();
        for (sha, f) in &files {
            map.insert(
                sha.clone(),
                Arc::new(Known {
                    name: name.to_string(),
                    upstream,
                    file: f.clone(),
                }),
            );
        }
    }
    let p = Arc::new(ProjectFiles {
        fetched: Instant::now(),
        files,
        versions,
    });
    state.projects.lock().unwrap().insert(name.to_string(), p.clone());
    Ok(p)
}

fn shown_upstreams(state: &State, name: &str) -> String {
    upstreams_for(state, name)
        .iter()
        .map(|&i| state.upstreams[i].shown.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Seconds since a PEP 700 upload time (`2024-05-01T12:00:00Z`), `None` when unparsable.
fn age_seconds(ts: &str) -> Option<i64> {
    let date = policy::Date::parse(ts)?;
    let num = |r: std::ops::Range<usize>| ts.get(r).and_then(|s| s.parse::<i64>().ok());
    let (h, m, s) = (num(11..13)?, num(14..16).unwrap_or(0), num(17..19).unwrap_or(0));
    let then = date.to_days() * 86_400 + h * 3600 + m * 60 + s;
    Some(store::now() - then)
}

/// Why a file is too new for the policy, if it is (unknown upload times count as too new).
fn too_young(policy: &Policy, f: &DistFile) -> Option<String> {
    if policy.min_release_age_hours == 0 {
        return None;
    }
    let min = policy.min_release_age_hours as i64 * 3600;
    match f.upload_time.as_deref().and_then(age_seconds) {
        Some(age) if age >= min => None,
        Some(age) => Some(format!(
            "uploaded {} h ago; the policy's min_release_age is {} h",
            age.max(0) / 3600,
            policy.min_release_age_hours
        )),
        None => Some(format!(
            "upload time unknown; the policy's min_release_age is {} h",
            policy.min_release_age_hours
        )),
    }
}

/// Name and version of a file, from its file name (normalized name).
fn name_version(f: &DistFile, project: &str) -> (String, String) {
    let (_, v) = crate::metadata::from_filename(&f.filename);
    (project.to_string(), v.unwrap_or_default())
}

/// Drops a project's cached pages (a file on it was just refused).
fn forget(state: &State, name: &str) {
    state.projects.lock().unwrap().remove(name);
    state.rendered.lock().unwrap().remove(name);
}

async fn project_page(state: &Arc<State>, name: &str, kind: &'static str) -> Result<Resp, Refusal> {
    // The hot path: a lookup by &str, a reference count, no allocation.
    let cached = state
        .rendered
        .lock()
        .unwrap()
        .get(name)
        .and_then(|r| r[slot(kind)].as_ref())
        .filter(|(when, _)| when.elapsed() < state.page_ttl)
        .map(|(_, text)| text.clone());
    if let Some(text) = cached {
        return Ok(page(kind, text));
    }
    let project = project_files(state, name).await?;
    let mut listed = Vec::new();
    let mut reviews: HashMap<String, Option<Review>> = HashMap::new();
    for (sha, f) in &project.files {
        if too_young(&state.policy, f).is_some() {
            continue;
        }
        let (n, v) = name_version(f, name);
        if state.policy.denied(&n, Some(&v)).is_some() {
            continue;
        }
        let known = stored_verdict(state, sha).await?;
        let refused = match known.as_ref().map(|k| k.verdict.as_str()) {
            Some("deny") => state.policy.allowed(&n, Some(&v), Some(sha)).is_none(),
            Some("review") => {
                if !reviews.contains_key(&v) {
                    reviews.insert(v.clone(), review_of(state, &n, &v).await?);
                }
                reviews[&v].as_ref().is_some_and(|r| r.state == "denied")
            }
            _ => false,
        };
        if refused {
            continue;
        }
        listed.push(pages::Listed { file: f, sha256: sha });
    }
    let text = Bytes::from(if kind == pages::JSON {
        pages::project_json(name, &listed, &project.versions)
    } else {
        pages::project_html(name, &listed)
    });
    state.rendered.lock().unwrap().entry(name.to_string()).or_default()[slot(kind)] =
        Some((project.fetched, text.clone()));
    Ok(page(kind, text))
}

/// The upstream file behind `/files/<sha>/<filename>`, from a page this process
/// served or (another replica served the page) from the project's page now.
async fn lookup(state: &Arc<State>, sha: &str, filename: &str) -> Result<Arc<Known>, Refusal> {
    let known = state.files.lock().unwrap().get(sha).cloned();
    if let Some(k) = known.filter(|k| k.file.filename == filename) {
        return Ok(k);
    }
    let name = crate::index::name_of_file(filename).ok_or_else(|| {
        Refusal::new(
            StatusCode::NOT_FOUND,
            format!("guard serve: {filename} is not a distribution file name"),
        )
    })?;
    project_files(state, &name).await?;
    state
        .files
        .lock()
        .unwrap()
        .get(sha)
        .filter(|k| k.file.filename == filename)
        .cloned()
        .ok_or_else(|| {
            Refusal::new(
                StatusCode::NOT_FOUND,
                format!("guard serve: {filename} with sha256 {sha} is not on the upstream page of {name}"),
            )
        })
}

/// The file behind a `/files/` URL and its version, if the policy lets it
/// out at all now (not too new, not on the deny list): files and their
/// metadata alike.
async fn admit(state: &Arc<State>, sha: &str, filename: &str) -> Result<(Arc<Known>, String), Refusal> {
    let k = lookup(state, sha, filename).await?;
    if let Some(why) = too_young(&state.policy, &k.file) {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            format!("guard: {filename} is too new: {why}"),
        ));
    }
    let (n, v) = name_version(&k.file, &k.name);
    if let Some(e) = state.policy.denied(&n, Some(&v)) {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            format!("guard: {n} {v} denied by policy: {}", e.reason),
        ));
    }
    Ok((k, v))
}

async fn metadata(state: &Arc<State>, sha: &str, filename: &str) -> Result<Resp, Refusal> {
    let (k, _) = admit(state, sha, filename).await?;
    match state.upstreams[k.upstream].client.core_metadata(&k.file).await {
        Ok(Some(bytes)) => Ok(body("application/octet-stream", bytes)),
        Ok(None) => Err(Refusal::new(
            StatusCode::NOT_FOUND,
            format!("guard serve: the upstream has no metadata file for {filename}"),
        )),
        Err(e) => Err(upstream_error(&e)),
    }
}

async fn file(state: &Arc<State>, sha: &str, filename: &str) -> Result<Resp, Refusal> {
    let (k, v) = admit(state, sha, filename).await?;
    let (name, upstream, f) = (k.name.as_str(), k.upstream, &k.file);
    let n = k.name.clone();
    let record = verdict_of(state, sha, name, upstream, f).await?;
    let allowed_by_policy = state.policy.allowed(&n, Some(&v), Some(sha)).is_some();
    let approved = allowed_by_policy
        || match record.verdict.as_str() {
            "allow" => true,
            "review" => match review_of(state, &n, &v).await? {
                Some(r) if r.approves(store::now()) => true,
                Some(r) if r.state == "denied" => {
                    audit(
                        state,
                        "refused",
                        &n,
                        &v,
                        sha,
                        &format!("denied by {}: {}", r.who, r.reason),
                    )
                    .await;
                    forget(state, name);
                    return Err(Refusal::new(
                        StatusCode::FORBIDDEN,
                        format!("guard: {n} {v} denied by reviewer {}: {}", r.who, r.reason),
                    ));
                }
                _ => {
                    let st = state.store.clone();
                    let pending = Review {
                        name: n.clone(),
                        version: v.clone(),
                        state: "pending".into(),
                        reason: record.reason.clone(),
                        who: String::new(),
                        at: store::now(),
                        expires: None,
                        filename: filename.to_string(),
                    };
                    blocking(move || st.request_review(&pending))
                        .await
                        .map_err(store_down)?;
                    audit(state, "review-requested", &n, &v, sha, &record.reason).await;
                    return Err(Refusal::new(
                            StatusCode::FORBIDDEN,
                            format!(
                                "guard: {n} {v} ({filename}) is awaiting review: {} (guard review approve {n} {v} --reason ...)",
                                record.reason
                            ),
                        ));
                }
            },
            _ => false,
        };
    if !approved {
        audit(state, "refused", &n, &v, sha, &record.reason).await;
        // Hide it from the next page.
        forget(state, name);
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            format!("guard: {n} {v} ({filename}) denied: {}", record.reason),
        ));
    }
    let (body, len) = artifact_body(state, sha, upstream, f).await?;
    let mut resp = Response::new(body);
    let headers = resp.headers_mut();
    headers.insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert("content-length", hyper::header::HeaderValue::from(len));
    headers.insert(
        "cache-control",
        hyper::header::HeaderValue::from_static("private, max-age=0, must-revalidate"),
    );
    Ok(resp)
}

async fn audit(state: &Arc<State>, event: &str, name: &str, version: &str, sha: &str, detail: &str) {
    let st = state.store.clone();
    let e = AuditEvent {
        at: store::now(),
        who: state.who.clone(),
        event: event.into(),
        name: name.into(),
        version: version.into(),
        sha256: sha.into(),
        detail: detail.into(),
    };
    if let Err(err) = blocking(move || st.audit(&e)).await {
        eprintln!("guard serve: cannot write the audit log: {err}");
    }
}

/// The response body of a verified artifact and its length: the hot path,
/// one blocking hop for a file already verified.
async fn artifact_body(state: &Arc<State>, sha: &str, upstream: usize, f: &DistFile) -> Result<(Body, u64), Refusal> {
    let read_error = |e: std::io::Error| {
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("guard serve: cannot read {}: {e}", f.filename),
        )
    };
    if let Some(b) = state.hot.lock().unwrap().1.get(sha).cloned() {
        let len = b.len() as u64;
        return Ok((full(b), len));
    }
    let known = state.verified.lock().unwrap().get(sha).cloned();
    if let Some((path, fp)) = known {
        let s = sha.to_string();
        let opened = tokio::task::spawn_blocking(move || {
            let (file, now) = files::open_verified(&path, &s, Some(fp)).ok()?;
            Some((body_of(file, now.len), now))
        })
        .await
        .ok()
        .flatten();
        match opened {
            Some((Ok(Content::Small(b)), now)) if now == fp => {
                keep_hot(state, sha, &b);
                return Ok((full(b), now.len));
            }
            Some((Ok(Content::Stream(body)), now)) if now == fp => return Ok((body, now.len)),
            Some((Err(e), _)) => return Err(read_error(e)),
            // Re-verified with a new fingerprint, or gone: check it again below.
            _ => {
                state.verified.lock().unwrap().remove(sha);
            }
        }
    }
    let (file, len) = artifact_file(state, sha, upstream, f).await?;
    let body = tokio::task::spawn_blocking(move || body_of(file, len))
        .await
        .map_err(|e| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, format!("guard serve: {e}")))?
        .map_err(read_error)?;
    Ok(match body {
        Content::Small(b) => {
            keep_hot(state, sha, &b);
            (full(b), len)
        }
        Content::Stream(body) => (body, len),
    })
}

/// Keeps verified bytes in memory while there is room.
fn keep_hot(state: &State, sha: &str, b: &Bytes) {
    let mut hot = state.hot.lock().unwrap();
    if hot.0 + b.len() <= HOT_BYTES && !hot.1.contains_key(sha) {
        hot.0 += b.len();
        hot.1.insert(sha.to_string(), b.clone());
    }
}

enum Content {
    /// Kept in memory once verified (see [`HOT_FILE`]).
    Small(Bytes),
    Stream(Body),
}

fn body_of(file: std::fs::File, len: u64) -> std::io::Result<Content> {
    if len <= HOT_FILE {
        files::read_small(file, len).map(Content::Small)
    } else {
        files::body(file, len).map(Content::Stream)
    }
}

/// An open handle on the verified artifact and its length, fetched from
/// upstream into the cache first if needed. Never reads it whole.
async fn artifact_file(
    state: &Arc<State>,
    sha: &str,
    upstream: usize,
    f: &DistFile,
) -> Result<(std::fs::File, u64), Refusal> {
    let known = state.verified.lock().unwrap().get(sha).cloned();
    if let Some((path, fp)) = known {
        let s = sha.to_string();
        let opened = tokio::task::spawn_blocking(move || files::open_verified(&path, &s, Some(fp)))
            .await
            .ok()
            .and_then(Result::ok);
        if let Some((file, now)) = opened {
            if now == fp {
                return Ok((file, now.len));
            }
        }
        state.verified.lock().unwrap().remove(sha);
    }
    // A fresh downloader per fetch: its per-run memo would keep a failure forever.
    let downloader = Downloader::new(
        state.upstreams[upstream].client.clone(),
        CacheRoot::Dir(state.cache_dir.clone()),
        1,
        Arc::new(Quiet),
    );
    let artifact = downloader.fetch(f).await.map_err(|e| download_error(&e))?;
    let (path, s) = (artifact.path.clone(), sha.to_string());
    let (file, fp) = tokio::task::spawn_blocking(move || files::open_verified(&path, &s, None))
        .await
        .map_err(|e| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, format!("guard serve: {e}")))?
        .map_err(|e| match e {
            files::Error::Changed { .. } => Refusal::new(StatusCode::BAD_GATEWAY, format!("guard serve: {e}")),
            files::Error::Io { .. } => Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, format!("guard serve: {e}")),
        })?;
    state
        .verified
        .lock()
        .unwrap()
        .insert(sha.to_string(), (artifact.path, fp));
    Ok((file, fp.len))
}

/// The verdict stored for `sha` under this rule set, if any: from memory when
/// this process has seen it (verdicts never change), else from the store.
async fn stored_verdict(state: &Arc<State>, sha: &str) -> Result<Option<Arc<VerdictRecord>>, Refusal> {
    if let Some(v) = state.verdicts.lock().unwrap().get(sha) {
        return Ok(Some(v.clone()));
    }
    let st = state.store.clone();
    let (s, r) = (sha.to_string(), state.ruleset.clone());
    let found = blocking(move || st.verdict(&s, &r)).await.map_err(store_down)?;
    Ok(found.map(|v| {
        let v = Arc::new(v);
        state.verdicts.lock().unwrap().insert(sha.to_string(), v.clone());
        v
    }))
}

/// The review decision for a release (always from the store: it can change).
async fn review_of(state: &Arc<State>, name: &str, version: &str) -> Result<Option<Review>, Refusal> {
    let st = state.store.clone();
    let (n, v) = (name.to_string(), version.to_string());
    blocking(move || st.review(&n, &v)).await.map_err(store_down)
}

/// The stored verdict for `sha`, inspecting the artifact first if no replica has.
async fn verdict_of(
    state: &Arc<State>,
    sha: &str,
    name: &str,
    upstream: usize,
    f: &DistFile,
) -> Result<Arc<VerdictRecord>, Refusal> {
    let get = |state: &Arc<State>| {
        let st = state.store.clone();
        let (s, r) = (sha.to_string(), state.ruleset.clone());
        blocking(move || st.verdict(&s, &r))
    };
    if let Some(v) = stored_verdict(state, sha).await? {
        return Ok(v);
    }
    let lock = state
        .inflight
        .lock()
        .unwrap()
        .entry(sha.to_string())
        .or_default()
        .clone();
    let _guard = lock.lock().await;
    let result = async {
        // Another replica may be inspecting it: wait for its verdict (a claim
        // older than CLAIM_STALE seconds is taken over).
        loop {
            if let Some(v) = get(state).await.map_err(store_down)? {
                return Ok(v);
            }
            let st = state.store.clone();
            let (s, r, w) = (sha.to_string(), state.ruleset.clone(), state.who.clone());
            let now = store::now();
            if blocking(move || st.claim(&s, &r, &w, now, now - CLAIM_STALE))
                .await
                .map_err(store_down)?
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let inspected = inspect_and_store(state, sha, name, upstream, f).await;
        if inspected.is_err() {
            let st = state.store.clone();
            let (s, r, w) = (sha.to_string(), state.ruleset.clone(), state.who.clone());
            let _ = blocking(move || st.release(&s, &r, &w)).await;
        }
        inspected
    }
    .await
    .map(Arc::new);
    if let Ok(v) = &result {
        state.verdicts.lock().unwrap().insert(sha.to_string(), v.clone());
    }
    state.inflight.lock().unwrap().remove(sha);
    result
}

/// Seconds after which another replica's unfinished inspection is taken over.
const CLAIM_STALE: i64 = 120;

async fn inspect_and_store(
    state: &Arc<State>,
    sha: &str,
    name: &str,
    upstream: usize,
    f: &DistFile,
) -> Result<VerdictRecord, Refusal> {
    {
        let (file, _) = artifact_file(state, sha, upstream, f).await?;
        let _permit = state
            .inspections
            .acquire()
            .await
            .map_err(|_| Refusal::new(StatusCode::SERVICE_UNAVAILABLE, "guard serve: shutting down"))?;
        let filename = f.filename.clone();
        let started = Instant::now();
        let expected = sha.to_string();
        // The bytes inspected are hashed again: exactly the verified ones, or no verdict.
        let inspection = tokio::task::spawn_blocking(move || {
            let mut bytes = Vec::new();
            (&file).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
            let inspection = crate::inspect::inspect_bytes(&filename, &bytes);
            if inspection.sha256() != expected {
                return Err(format!(
                    "the file changed while it was read (sha256 {})",
                    inspection.sha256()
                ));
            }
            Ok(inspection)
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r)
        .map_err(|e| {
            Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("guard serve: inspection of {} failed: {e}", f.filename),
            )
        })?;
        let (n, v) = name_version(f, name);
        let mut findings = inspection.findings;
        // Release age is decided per request (it changes with time), not stored.
        let mut no_age = state.policy.clone();
        no_age.min_release_age_hours = 0;
        no_age.allow.clear();
        let lower = f.filename.to_ascii_lowercase();
        let candidate = Candidate {
            name: &n,
            version: &v,
            sha256: sha,
            sdist: !lower.ends_with(".whl"),
            upload_time: f.upload_time.as_deref(),
        };
        let verdict = policy::decide_candidate(&candidate, &mut findings, &no_age);
        let reason = if verdict == Verdict::Allow {
            String::new()
        } else {
            findings
                .first()
                .map(|x| {
                    let at = match (&x.file, x.line) {
                        (Some(file), Some(line)) => format!(" ({file}:{line})"),
                        (Some(file), None) => format!(" ({file})"),
                        _ => String::new(),
                    };
                    format!("[{}] {}{at}", x.rule, x.message)
                })
                .unwrap_or_else(|| "no reason recorded".into())
        };
        let record = VerdictRecord {
            sha256: sha.to_string(),
            ruleset: state.ruleset.clone(),
            name: n.clone(),
            version: v.clone(),
            filename: f.filename.clone(),
            verdict: verdict.as_str().into(),
            reason: reason.clone(),
            findings: serde_json::to_string(&findings).unwrap_or_else(|_| "[]".into()),
            inspected_at: store::now(),
            inspected_by: state.who.clone(),
        };
        let st = state.store.clone();
        let stored = blocking(move || st.put_verdict(&record)).await.map_err(store_down)?;
        log::line(format!(
            "{}",
            serde_json::json!({
                "at": store::now(),
                "event": "inspected",
                "file": f.filename,
                "sha256": sha,
                "verdict": verdict.as_str(),
                "reason": reason,
                "ms": started.elapsed().as_millis() as u64,
            })
        ));
        audit(
            state,
            "inspected",
            &n,
            &v,
            sha,
            &format!("{}: {reason}", verdict.as_str()),
        )
        .await;
        Ok(stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_upstreams_without_credentials() {
        assert_eq!(
            scrub("cannot reach https://svc:****@pypi.internal/simple/x/ (HTTP 500) and http://a@b:1/"),
            "cannot reach https://pypi.internal/simple/x/ (HTTP 500) and http://b:1/"
        );
        assert_eq!(
            scrub("guard: x 1.0 denied: mail me@example.com"),
            "guard: x 1.0 denied: mail me@example.com"
        );
        let u = Url::parse("https://user:pw@host.example/simple/").unwrap();
        assert_eq!(public(&u), "https://host.example/simple/");
    }

    #[test]
    fn upload_age() {
        assert!(age_seconds("2000-01-01T00:00:00Z").unwrap() > 86_400 * 365 * 20);
        assert!(age_seconds("garbage").is_none());
    }
}
