//! The test toolkit (issue 14), one of each:
//! - `artifacts`: the artifact builder (`Package` → wheel or sdist) and the
//!   zip/tar/gzip writers; `hostile`: broken and malicious variants on top;
//! - this file: a PEP 503/691 index on 127.0.0.1:0 with fault modes, and the
//!   isolated `guard install` command line;
//! - `env`: the install environment, with a real venv or a recording pip;
//! - `backend`: the in-tree PEP 517 backend and the projects built with it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[allow(unused_imports)]
pub use artifacts::{sdist, sha, wheel};

// ---------------------------------------------------------------- server

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Fault {
    None,
    /// Answer 500 to the first N requests.
    FailFirst(usize),
    /// Never answer (until the client gives up).
    Hang,
    /// Announce the full length, send half, close. `Some(n)`: only the first n times.
    Truncate(Option<usize>),
    /// Answer 429 with `Retry-After: retry_after` to the first `first` requests.
    TooMany {
        first: usize,
        retry_after: u64,
    },
    /// Send the headers and half the body, then reset the connection (RST).
    /// `Some(n)`: only the first n times.
    Reset(Option<usize>),
    /// Announce a Content-Length of half the body, send all of it.
    ShortLength,
    /// Chunked transfer encoding, connection closed before the last chunk.
    ChunkedCut,
    /// No Content-Length (body delimited by closing the connection), half the body.
    CloseDelimitedCut,
    /// `302 Found` pointing back at the same path, forever.
    RedirectLoop,
    /// Headers at once, then the body one byte every `ms` milliseconds.
    Drip(u64),
    /// The whole response, status line and headers included, one byte every `ms`.
    DripAll(u64),
    /// A chunked body that never ends (until the client leaves).
    Endless,
    /// Announce this Content-Length and stream zeros until the client leaves.
    HugeLength(u64),
    /// Wait `ms` milliseconds, then answer normally.
    Delay(u64),
}

pub struct Route {
    body: Vec<u8>,
    content_type: String,
    fault: Fault,
    hits: AtomicUsize,
    times: Mutex<Vec<Instant>>,
}

/// A file on a project page: (filename, sha256 announced, size).
type Listed = (String, String, usize);

pub struct Index {
    pub port: u16,
    routes: Arc<Mutex<HashMap<String, Arc<Route>>>>,
    /// project → files listed on its page
    projects: Mutex<HashMap<String, Vec<Listed>>>,
}

impl Index {
    pub fn start() -> Index {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes: Arc<Mutex<HashMap<String, Arc<Route>>>> = Arc::default();
        let r = routes.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let r = r.clone();
                std::thread::spawn(move || serve(stream, &r));
            }
        });
        Index {
            port,
            routes,
            projects: Mutex::default(),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/simple/", self.port)
    }

    pub fn route(&self, path: &str, body: Vec<u8>, content_type: &str, fault: Fault) {
        self.routes.lock().unwrap().insert(
            path.to_string(),
            Arc::new(Route {
                body,
                content_type: content_type.into(),
                fault,
                hits: AtomicUsize::new(0),
                times: Mutex::default(),
            }),
        );
    }

    pub fn hits(&self, path: &str) -> usize {
        self.routes.lock().unwrap()[path].hits.load(Ordering::SeqCst)
    }

    /// When each request for `path` arrived.
    pub fn times(&self, path: &str) -> Vec<Instant> {
        self.routes.lock().unwrap()[path].times.lock().unwrap().clone()
    }

    /// Serves a file and lists it on its project's JSON page.
    pub fn add(&self, project: &str, (filename, bytes): (String, Vec<u8>), fault: Fault) {
        self.add_with_hash(project, (filename, bytes.clone()), fault, &sha(&bytes));
    }

    pub fn add_with_hash(&self, project: &str, (filename, bytes): (String, Vec<u8>), fault: Fault, hash: &str) {
        self.route(
            &format!("/files/{filename}"),
            bytes.clone(),
            "application/octet-stream",
            fault,
        );
        let mut projects = self.projects.lock().unwrap();
        let files = projects.entry(project.to_string()).or_default();
        files.push((filename, hash.to_string(), bytes.len()));
        // Relative file URLs: the client must resolve them against the page URL.
        let entries: Vec<String> = files
            .iter()
            .map(|(f, h, size)| {
                format!(r#"{{"filename":"{f}","url":"../../files/{f}","hashes":{{"sha256":"{h}"}},"size":{size}}}"#)
            })
            .collect();
        let page = format!(
            r#"{{"meta":{{"api-version":"1.1"}},"name":"{project}","files":[{}]}}"#,
            entries.join(",")
        );
        drop(projects);
        self.route(
            &format!("/simple/{project}/"),
            page.into_bytes(),
            "application/vnd.pypi.simple.v1+json",
            Fault::None,
        );
    }
}

impl Index {
    /// Serves the project page of `project` (added before) with `fault`.
    pub fn page_fault(&self, project: &str, fault: Fault) {
        let path = format!("/simple/{project}/");
        let old = self.routes.lock().unwrap()[&path].clone();
        self.route(&path, old.body.clone(), &old.content_type, fault);
    }
}

/// Runs `guard install --dry-run --format json` against `index` with its own
/// cache, config and audit log (nothing is installed). `--timeout 1` and
/// `--retries 2` unless `args` sets them.
pub fn dry_run(index: &Index, cache: &Path, args: &[&str]) -> Output {
    dry_run_command(index, cache, args).output().unwrap()
}

/// `guard install --index-url URL` shut off from the user's configuration:
/// no pip.conf, no `PIP_*` index settings, and guard's config directory,
/// system policy and audit log under `state`. Standard input is null.
pub fn isolated_install(index_url: &str, state: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_guard"));
    cmd.arg("install")
        .args(["--index-url", index_url])
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("GUARD_AUDIT_LOG", state.join("audit.jsonl"))
        .env("GUARD_CONFIG_DIR", state.join("config"))
        .env("GUARD_SYSTEM_POLICY", state.join("system-policy.toml"))
        .env_remove("PIP_INDEX_URL")
        .env_remove("PIP_EXTRA_INDEX_URL")
        .env_remove("PIP_FIND_LINKS")
        .env_remove("PIP_NO_INDEX")
        .stdin(Stdio::null());
    cmd
}

pub fn dry_run_command(index: &Index, cache: &Path, args: &[&str]) -> Command {
    let mut cmd = isolated_install(&index.url(), cache);
    cmd.args(["--dry-run", "--format", "json", "--ignore-installed"])
        .args(["--python", "python3"])
        .arg("--cache-dir")
        .arg(cache)
        .args(args);
    if !args.contains(&"--timeout") {
        cmd.args(["--timeout", "1"]);
    }
    if !args.contains(&"--retries") {
        cmd.args(["--retries", "2"]);
    }
    cmd
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                walk(&e.path(), out);
            } else {
                out.push(e.path());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// The artifacts in a guard cache.
pub fn cached_files(cache: &Path) -> Vec<PathBuf> {
    files_under(&cache.join("artifacts-v1"))
}

/// The cache holds no temporary or partial file, and every artifact sits
/// under the sha256 of its own bytes (`artifacts-v1/ab/abcd…/name`).
pub fn assert_cache_clean(cache: &Path) {
    for f in files_under(cache) {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !name.starts_with(".tmp") && !name.starts_with(".guard-"),
            "temporary file left in the cache: {}",
            f.display()
        );
    }
    assert!(
        files_under(&cache.join("tmp")).is_empty(),
        "files left in {}: {:?}",
        cache.join("tmp").display(),
        files_under(&cache.join("tmp"))
    );
    for f in cached_files(cache) {
        let dir_hash = f.parent().unwrap().file_name().unwrap().to_string_lossy().into_owned();
        let actual = sha(&std::fs::read(&f).unwrap());
        assert_eq!(actual, dir_hash, "cached file with the wrong bytes: {}", f.display());
    }
}

pub fn serve(mut stream: TcpStream, routes: &Mutex<HashMap<String, Arc<Route>>>) {
    // Peek at the request head first: a reset leaves it unread, so closing the
    // socket makes the kernel send RST instead of FIN.
    let mut buf = [0u8; 8192];
    let head_len = loop {
        let n = match stream.peek(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if let Some(pos) = buf[..n].windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        if n == buf.len() {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let head = String::from_utf8_lossy(&buf[..head_len]).into_owned();
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let route = routes.lock().unwrap().get(&path).cloned();
    let reset = route
        .as_ref()
        .is_some_and(|r| matches!(r.fault, Fault::Reset(l) if l.is_none_or(|l| r.hits.load(Ordering::SeqCst) < l)));
    if !reset && stream.read_exact(&mut buf[..head_len]).is_err() {
        return;
    }
    let Some(route) = route else {
        let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    };
    route.times.lock().unwrap().push(Instant::now());
    let n = route.hits.fetch_add(1, Ordering::SeqCst);
    let body = &route.body[..];
    let len = body.len();
    let ct = &route.content_type;
    let header = |len: usize| {
        format!("HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n")
    };
    match route.fault {
        Fault::FailFirst(k) if n < k => {
            let _ = stream
                .write_all(b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
        Fault::TooMany { first, retry_after } if n < first => {
            let _ = stream.write_all(
                format!(
                    "HTTP/1.1 429 Too Many Requests\r\nRetry-After: {retry_after}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
                .as_bytes(),
            );
        }
        Fault::Hang => std::thread::sleep(Duration::from_secs(10)),
        Fault::Truncate(limit) if limit.is_none_or(|l| n < l) => {
            let _ = stream.write_all(header(len).as_bytes());
            let _ = stream.write_all(&body[..len / 2]);
            let _ = stream.flush();
        }
        Fault::Reset(limit) if limit.is_none_or(|l| n < l) => {
            let _ = stream.write_all(header(len).as_bytes());
            let _ = stream.write_all(&body[..len / 2]);
            let _ = stream.flush();
            std::thread::sleep(Duration::from_millis(50));
            // Dropped with the request unread: RST.
        }
        Fault::ShortLength => {
            let _ = stream.write_all(header(len / 2).as_bytes());
            let _ = stream.write_all(body);
        }
        Fault::ChunkedCut => {
            let _ = stream.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                )
                .as_bytes(),
            );
            let half = &body[..len / 2];
            let _ = stream.write_all(format!("{:x}\r\n", half.len()).as_bytes());
            let _ = stream.write_all(half);
            let _ = stream.write_all(b"\r\n");
        }
        Fault::CloseDelimitedCut => {
            let _ = stream
                .write_all(format!("HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nConnection: close\r\n\r\n").as_bytes());
            let _ = stream.write_all(&body[..len / 2]);
        }
        Fault::RedirectLoop => {
            let _ = stream.write_all(
                format!("HTTP/1.1 302 Found\r\nLocation: {path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
        }
        Fault::Drip(ms) | Fault::DripAll(ms) => {
            let mut out = header(len).into_bytes();
            let start = if matches!(route.fault, Fault::Drip(_)) {
                let _ = stream.write_all(&out);
                out.len()
            } else {
                0
            };
            out.extend_from_slice(body);
            for b in &out[start..] {
                if stream.write_all(&[*b]).is_err() || stream.flush().is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(ms));
            }
        }
        Fault::Endless => {
            let _ = stream.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                )
                .as_bytes(),
            );
            let chunk = vec![b' '; 1 << 16];
            let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
            framed.extend_from_slice(&chunk);
            framed.extend_from_slice(b"\r\n");
            while stream.write_all(&framed).is_ok() {}
        }
        Fault::HugeLength(announced) => {
            let _ = stream.write_all(header(announced as usize).as_bytes());
            let chunk = vec![b' '; 1 << 16];
            let mut sent = 0u64;
            while sent < announced && stream.write_all(&chunk).is_ok() {
                sent += chunk.len() as u64;
            }
        }
        Fault::Delay(ms) => {
            std::thread::sleep(Duration::from_millis(ms));
            let _ = stream.write_all(header(len).as_bytes());
            let _ = stream.write_all(body);
        }
        _ => {
            let _ = stream.write_all(header(len).as_bytes());
            let _ = stream.write_all(body);
        }
    }
}

/// Builders for the hostile-input tests (issue 7).
pub mod artifacts;
pub mod backend;
pub mod env;
pub mod hostile;
