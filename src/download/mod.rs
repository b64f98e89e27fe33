//! Downloads into a content-addressed cache. The sha256 is checked before a
//! file enters the cache; files are written to a temporary name and renamed,
//! so an interrupted download never leaves a file that later looks valid.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::sync::{OnceCell, Semaphore};

use crate::index::http::{redact, MIN_DOWNLOAD_RATE};
use crate::index::{DistFile, IndexClient};

#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    #[error("sha256 mismatch for {url}: the index says {expected}, the download is {actual}")]
    HashMismatch {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("{filename}: sha256 {actual} matches none of the --hash values pinned for it ({})", .allowed.join(", "))]
    Pinned {
        filename: String,
        actual: String,
        allowed: Vec<String>,
    },
    #[error("the index gives no sha256 for {url}: guard cannot verify it and refuses it")]
    NoHash { url: String },
    #[error("download of {url} was cut short after {attempts} attempt(s): {message}")]
    Truncated {
        url: String,
        attempts: u32,
        message: String,
    },
    #[error("download of {url} is too slow: {bytes} bytes in the last {seconds:.1} s (guard needs {min_rate} bytes/s on average over 10 × --timeout)")]
    TooSlow {
        url: String,
        bytes: u64,
        seconds: f64,
        min_rate: u64,
    },
    #[error("{url} sends more than {limit} bytes ({why}); refusing the rest")]
    TooLarge { url: String, limit: u64, why: String },
    #[error("cannot write {path}: {message}")]
    Io { path: PathBuf, message: String },
    /// The index client's error, causes kept (shared: download errors are cloned).
    #[error(transparent)]
    Index(std::sync::Arc<crate::index::Error>),
    #[error("{0}")]
    Other(String),
}

/// A verified file on disk.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub path: PathBuf,
    pub sha256: String,
}

/// Progress of downloads; the only implementation with bars lives in `progress.rs`.
pub trait Reporter: Send + Sync {
    fn start(&self, _filename: &str, _size: Option<u64>) {}
    fn advance(&self, _bytes: u64) {}
    fn finish(&self, _filename: &str) {}
}

/// A reporter that says nothing.
pub struct Quiet;
impl Reporter for Quiet {}

/// Where verified artifacts are kept.
#[derive(Debug)]
pub enum CacheRoot {
    Dir(PathBuf),
    /// `--no-cache`: a directory removed at the end of the run.
    Temp(tempfile::TempDir),
}

impl CacheRoot {
    pub fn path(&self) -> &Path {
        match self {
            CacheRoot::Dir(p) => p,
            CacheRoot::Temp(t) => t.path(),
        }
    }
}

/// The default cache: `$XDG_CACHE_HOME/guard`, else `~/.cache/guard`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("guard"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/guard"))
}

/// The shared outcome of one fetch.
type Outcome = OnceCell<Result<Artifact, Error>>;

/// Fetches distribution files with bounded concurrency.
pub struct Downloader {
    index: Arc<IndexClient>,
    root: CacheRoot,
    limit: Semaphore,
    reporter: Arc<dyn Reporter>,
    /// One fetch per URL and run, its outcome shared (a failure too: every
    /// caller retrying it would multiply the attempts and waits).
    inflight: Mutex<HashMap<String, Arc<Outcome>>>,
    swept: std::sync::Once,
}

impl Downloader {
    pub fn new(
        index: Arc<IndexClient>,
        root: CacheRoot,
        concurrency: usize,
        reporter: Arc<dyn Reporter>,
    ) -> Downloader {
        Downloader {
            index,
            root,
            limit: Semaphore::new(concurrency.max(1)),
            reporter,
            inflight: Mutex::new(HashMap::new()),
            swept: std::sync::Once::new(),
        }
    }

    pub fn cache_root(&self) -> &Path {
        self.root.path()
    }

    /// Fetches `file` once per run (concurrent callers share the work).
    pub async fn fetch(&self, file: &DistFile) -> Result<Artifact, Error> {
        let cell = {
            let mut map = self.inflight.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(file.url.to_string()).or_default().clone()
        };
        cell.get_or_init(|| self.fetch_uncached(file)).await.clone()
    }

    /// Fetches a file the user named by URL (`name @ https://…/x.whl`): its
    /// `#sha256=` is checked when given; without one the bytes are hashed as
    /// they arrive and cached under that hash (the user chose the URL; the
    /// inspection decides about the bytes).
    pub async fn fetch_direct(&self, file: &DistFile) -> Result<Artifact, Error> {
        if file.sha256.is_some() || file.url.scheme() == "file" {
            return self.fetch(file).await;
        }
        let url = redact(&file.url);
        let tmp_dir = self.root.path().join("tmp");
        let staged = self.download(file, &url, None, &tmp_dir, &tmp_dir).await?;
        let dir = self
            .root
            .path()
            .join("artifacts-v1")
            .join(&staged.sha256[..2])
            .join(&staged.sha256);
        let path = dir.join(safe_name(&file.filename));
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        std::fs::rename(&staged.path, &path).map_err(|e| io(&path, e))?;
        Ok(Artifact {
            path,
            sha256: staged.sha256,
        })
    }

    async fn fetch_uncached(&self, file: &DistFile) -> Result<Artifact, Error> {
        if file.url.scheme() == "file" {
            return local(file);
        }
        let url = redact(&file.url);
        let expected = file.sha256.clone().ok_or(Error::NoHash { url: url.clone() })?;
        if expected.len() != 64 || !expected.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::NoHash { url });
        }
        let dir = self
            .root
            .path()
            .join(crate::cache::Bucket::Artifacts.name())
            .join(&expected[..2])
            .join(&expected);
        let path = dir.join(safe_name(&file.filename));
        // Re-verified on every use: a cache entry is never trusted blindly. A
        // corrupt one is replaced by the verified download (an atomic rename, so
        // another guard using the same cache never sees the file missing).
        let corrupt = match std::fs::read(&path) {
            Ok(bytes) if hex::encode(Sha256::digest(&bytes)) == expected => {
                return Ok(Artifact { path, sha256: expected });
            }
            Ok(_) => true,
            Err(_) => false,
        };
        let result = self.download(file, &url, Some(&expected), &dir, &path).await;
        if corrupt && result.is_err() {
            remove_if_corrupt(&path, &expected);
        }
        result
    }

    async fn download(
        &self,
        file: &DistFile,
        url: &str,
        expected: Option<&str>,
        dir: &Path,
        path: &Path,
    ) -> Result<Artifact, Error> {
        let _permit = self.limit.acquire().await.map_err(|e| Error::Other(e.to_string()))?;
        let tmp_dir = crate::cache::Bucket::Tmp.under(self.root.path());
        std::fs::create_dir_all(&tmp_dir).map_err(|e| io(&tmp_dir, e))?;
        self.swept.call_once(|| sweep_stale(&tmp_dir));
        let http = &self.index.http;
        let max = http.options.retries + 1;
        let window = http.options.deadline();
        let min_bytes = (MIN_DOWNLOAD_RATE as f64 * window.as_secs_f64()) as u64;
        let mut attempt = 0;
        self.reporter.start(&file.filename, file.size);
        let result = loop {
            attempt += 1;
            let resp = match http.get(&file.url, None).await {
                Ok(r) => r,
                Err(e) => break Err(Error::Index(std::sync::Arc::new(e))),
            };
            // The most bytes this file can have: the index's size, else the
            // Content-Length, else MAX_ARTIFACT_BYTES.
            let (limit, why) = match (file.size, resp.content_length()) {
                (Some(size), Some(len)) if len > size => {
                    break Err(Error::TooLarge {
                        url: url.to_string(),
                        limit: size,
                        why: format!("it announces {len} bytes, the index says {size}"),
                    });
                }
                (Some(size), _) => (size, "the size the index gives"),
                (None, Some(len)) => (len, "its Content-Length"),
                (None, None) => (MAX_ARTIFACT_BYTES, "guard's limit for one file"),
            };
            // Unique per process and attempt (pid + random, created with O_EXCL).
            let mut tmp = tempfile::Builder::new()
                .prefix(&format!(".guard-{}-", std::process::id()))
                .suffix(".part")
                .tempfile_in(&tmp_dir)
                .map_err(|e| io(&tmp_dir, e))?;
            let mut hasher = Sha256::new();
            let mut stream = resp.bytes_stream();
            let mut written = 0u64;
            let mut failure = None;
            let mut fatal = None;
            let mut window_start = Instant::now();
            let mut window_bytes = 0u64;
            while let Some(chunk) = stream.next().await {
                match chunk {
                    Ok(c) => {
                        if written + c.len() as u64 > limit {
                            fatal = Some(Error::TooLarge {
                                url: url.to_string(),
                                limit,
                                why: why.to_string(),
                            });
                            break;
                        }
                        hasher.update(&c);
                        tmp.write_all(&c).map_err(|e| io(tmp.path(), e))?;
                        written += c.len() as u64;
                        window_bytes += c.len() as u64;
                        self.reporter.advance(c.len() as u64);
                        let elapsed = window_start.elapsed();
                        if elapsed >= window {
                            if window_bytes < min_bytes {
                                fatal = Some(Error::TooSlow {
                                    url: url.to_string(),
                                    bytes: window_bytes,
                                    seconds: elapsed.as_secs_f64(),
                                    min_rate: MIN_DOWNLOAD_RATE,
                                });
                                break;
                            }
                            window_start = Instant::now();
                            window_bytes = 0;
                        }
                    }
                    Err(e) => {
                        failure = Some(crate::index::error::innermost(&e));
                        break;
                    }
                }
            }
            if let Some(e) = fatal {
                break Err(e);
            }
            if failure.is_none() {
                if let Some(size) = file.size.filter(|s| *s != written) {
                    failure = Some(format!("expected {size} bytes, got {written}"));
                }
            }
            if let Some(message) = failure {
                if attempt < max {
                    tokio::time::sleep(http.backoff(attempt)).await;
                    continue;
                }
                break Err(Error::Truncated {
                    url: url.to_string(),
                    attempts: attempt,
                    message,
                });
            }
            let actual = hex::encode(hasher.finalize());
            if let Some(expected) = expected.filter(|e| *e != actual) {
                break Err(Error::HashMismatch {
                    url: url.to_string(),
                    expected: expected.to_string(),
                    actual,
                });
            }
            tmp.as_file().sync_all().map_err(|e| io(tmp.path(), e))?;
            // Without an expected hash, `path` is a staging directory: the
            // caller moves the file under its hash.
            let path = match expected {
                Some(_) => path.to_path_buf(),
                None => path.join(format!(".guard-{}-{actual}.part", std::process::id())),
            };
            std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
            tmp.persist(&path).map_err(|e| io(&path, e.error))?;
            break Ok(Artifact { path, sha256: actual });
        };
        self.reporter.finish(&file.filename);
        result
    }
}

/// Removes the cache entry at `path` unless it now holds the expected bytes
/// (another process may have replaced it with a verified copy meanwhile).
fn remove_if_corrupt(path: &Path, expected: &str) {
    if std::fs::read(path).is_ok_and(|b| hex::encode(Sha256::digest(&b)) != expected) {
        let _ = std::fs::remove_file(path);
    }
}

/// Partial downloads older than this are left over by a killed guard.
pub const STALE_PARTIAL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes partial downloads that a killed guard left in `tmp` (never
/// trusted: only verified files are renamed out of it). Recent ones may
/// belong to another guard running now and are kept.
fn sweep_stale(tmp_dir: &Path) {
    for entry in std::fs::read_dir(tmp_dir).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > STALE_PARTIAL));
        if name.to_string_lossy().starts_with(".guard-") && stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The most bytes read for a file whose size neither the index nor the
/// server announces.
pub const MAX_ARTIFACT_BYTES: u64 = 4 << 30;

/// A `--find-links` file: hashed where it lies (a local file the user pointed at).
fn local(file: &DistFile) -> Result<Artifact, Error> {
    let path = file
        .url
        .to_file_path()
        .map_err(|_| Error::Other(format!("bad file URL {}", file.url)))?;
    let bytes = std::fs::read(&path).map_err(|e| io(&path, e))?;
    let actual = hex::encode(Sha256::digest(&bytes));
    if let Some(expected) = &file.sha256 {
        if *expected != actual {
            return Err(Error::HashMismatch {
                url: file.url.to_string(),
                expected: expected.clone(),
                actual,
            });
        }
    }
    Ok(Artifact { path, sha256: actual })
}

fn safe_name(name: &str) -> String {
    name.chars()
        .map(|c| if c == '/' || c == '\\' || c == '\0' { '_' } else { c })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}
