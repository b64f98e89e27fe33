//! Package index client: PEP 503 HTML and PEP 691 JSON simple pages, PEP 658
//! metadata files, `--find-links`, and pip's configuration.
//!
//! Never runs package code; it only fetches pages and files.

pub mod config;
pub mod error;
pub mod http;
pub mod simple;

use crate::cache::Bucket;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

pub use error::Error;
pub use http::{Http, HttpOptions};

use crate::metadata::normalize;

/// Whether a PEP 658 core metadata file exists for a distribution file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CoreMetadata {
    Absent,
    Available { sha256: Option<String> },
}

/// One file listed for a project, with the index's signals about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistFile {
    pub filename: String,
    pub url: Url,
    /// sha256 from the index (lowercase hex), when it gave one.
    pub sha256: Option<String>,
    pub requires_python: Option<String>,
    pub core_metadata: CoreMetadata,
    /// PEP 592: `Some(reason)` (possibly empty) when yanked.
    pub yanked: Option<String>,
    /// PEP 700 `upload-time` (ISO 8601), for age rules.
    pub upload_time: Option<String>,
    /// PEP 700 `size` in bytes.
    pub size: Option<u64>,
}

/// A project page as parsed from one index.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectPage {
    pub files: Vec<DistFile>,
    /// PEP 700 `versions` (JSON pages only).
    pub versions: Vec<String>,
}

/// A project as seen by guard: files from the winning index plus find-links.
#[derive(Debug, Clone, Default)]
pub struct Project {
    pub name: String,
    pub files: Vec<DistFile>,
    /// The index URL the files came from (`None`: find-links only).
    pub index: Option<String>,
    /// Other configured indexes that also serve this name (dependency confusion).
    pub also_on: Vec<String>,
}

/// Where to look for packages.
#[derive(Debug, Clone)]
pub struct IndexSettings {
    /// Primary first, then extra indexes. Empty with `--no-index`.
    pub indexes: Vec<Url>,
    /// Local directories or HTML pages of links.
    pub find_links: Vec<String>,
}

impl IndexSettings {
    pub const PYPI: &'static str = "https://pypi.org/simple/";
}

/// The client the resolver and downloader share.
#[derive(Debug)]
pub struct IndexClient {
    pub http: Http,
    pub settings: IndexSettings,
    /// Where pages (when the index allows caching) and metadata files are kept.
    pub cache_dir: Option<PathBuf>,
    find_links: tokio::sync::OnceCell<Vec<DistFile>>,
}

/// How long a project page is reused when the index sends no `Cache-Control`.
pub const DEFAULT_PAGE_TTL: u64 = 600;

const ACCEPT_SIMPLE: &str =
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";

#[derive(Serialize, Deserialize)]
struct CachedPage {
    expires: u64,
    page: Option<ProjectPage>,
}

impl IndexClient {
    pub fn new(mut http: Http, settings: IndexSettings, cache_dir: Option<PathBuf>) -> IndexClient {
        for url in &settings.indexes {
            http.learn_credentials(url);
        }
        IndexClient {
            http,
            settings,
            cache_dir,
            find_links: tokio::sync::OnceCell::new(),
        }
    }

    /// Looks a project up on every index; the first index that has it wins.
    pub async fn project(&self, name: &str) -> Result<Project, Error> {
        let normalized = normalize(name);
        let pages = futures_util::future::join_all(
            self.settings
                .indexes
                .iter()
                .map(|index| self.index_page(index, &normalized)),
        )
        .await;
        let mut project = Project {
            name: normalized.clone(),
            ..Project::default()
        };
        for (index, page) in self.settings.indexes.iter().zip(pages) {
            let Some(page) = page? else { continue };
            let shown = http::redact(index);
            if project.index.is_none() {
                project.index = Some(shown);
                project.files = page.files;
            } else {
                project.also_on.push(shown);
            }
        }
        let links = self.find_links().await?;
        project.files.extend(
            links
                .iter()
                .filter(|f| name_of_file(&f.filename).is_some_and(|n| n == normalized))
                .cloned(),
        );
        Ok(project)
    }

    /// One index's page for a project; `None` when the index does not have it.
    async fn index_page(&self, index: &Url, name: &str) -> Result<Option<ProjectPage>, Error> {
        let mut base = index.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let url = simple::join(&base, &format!("{name}/"))?;
        let cache = self.page_cache_path(index, name);
        if let Some(path) = &cache {
            if let Ok(bytes) = std::fs::read(path) {
                if let Ok(cached) = serde_json::from_slice::<CachedPage>(&bytes) {
                    if cached.expires > now() {
                        return Ok(cached.page);
                    }
                }
            }
        }
        let fetched = match self.http.get_bytes(&url, Some(ACCEPT_SIMPLE)).await {
            Ok(f) => f,
            Err(Error::Status { status: 404, .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let page = if fetched
            .content_type
            .as_deref()
            .is_some_and(|c| c.contains("application/vnd.pypi.simple.v1+json") || c.contains("application/json"))
        {
            simple::parse_json(&fetched.body, &fetched.url)?
        } else {
            simple::parse_html(&String::from_utf8_lossy(&fetched.body), &fetched.url)?
        };
        if let (Some(path), Some(max_age)) = (&cache, fetched.max_age) {
            let entry = CachedPage {
                expires: now() + max_age,
                page: Some(page.clone()),
            };
            if let Ok(bytes) = serde_json::to_vec(&entry) {
                let _ = write_atomic(path, &bytes);
            }
        }
        Ok(Some(page))
    }

    fn page_cache_path(&self, index: &Url, name: &str) -> Option<PathBuf> {
        let dir = self.cache_dir.as_ref()?;
        let key = hex::encode(&Sha256::digest(index.as_str().as_bytes())[..8]);
        Some(Bucket::Simple.under(dir).join(key).join(format!("{name}.json")))
    }

    /// Every file in the `--find-links` locations (listed once per run).
    async fn find_links(&self) -> Result<&Vec<DistFile>, Error> {
        self.find_links
            .get_or_try_init(|| async {
                let mut out = Vec::new();
                for loc in &self.settings.find_links {
                    if loc.starts_with("http://") || loc.starts_with("https://") {
                        let url = Url::parse(loc).map_err(|e| Error::InvalidUrl {
                            url: loc.clone(),
                            message: e.to_string(),
                        })?;
                        let fetched = self.http.get_bytes(&url, Some("text/html")).await?;
                        out.extend(simple::parse_html(&String::from_utf8_lossy(&fetched.body), &fetched.url)?.files);
                    } else {
                        let dir = loc.strip_prefix("file://").unwrap_or(loc);
                        out.extend(local_files(Path::new(dir))?);
                    }
                }
                Ok(out)
            })
            .await
    }

    /// Fetches the PEP 658 metadata file of `file`, checking its hash when
    /// the index gave one. Cached by the distribution's own sha256.
    pub async fn core_metadata(&self, file: &DistFile) -> Result<Option<Vec<u8>>, Error> {
        let CoreMetadata::Available { sha256 } = &file.core_metadata else {
            return Ok(None);
        };
        let cache = match (&self.cache_dir, &file.sha256) {
            (Some(dir), Some(h)) => Some(Bucket::Metadata.under(dir).join(&h[..2]).join(format!("{h}.metadata"))),
            _ => None,
        };
        if let Some(path) = &cache {
            if let Ok(bytes) = std::fs::read(path) {
                if sha256
                    .as_ref()
                    .is_none_or(|h| *h == hex::encode(Sha256::digest(&bytes)))
                {
                    return Ok(Some(bytes));
                }
            }
        }
        let mut url = file.url.clone();
        url.set_path(&format!("{}.metadata", file.url.path()));
        let fetched = self.http.get_bytes(&url, None).await?;
        if let Some(expected) = sha256 {
            let actual = hex::encode(Sha256::digest(&fetched.body));
            if actual != *expected {
                return Err(Error::Parse {
                    url: http::redact(&url),
                    message: format!("metadata sha256 mismatch: index says {expected}, got {actual}"),
                    source: None,
                });
            }
        }
        if let Some(path) = &cache {
            let _ = write_atomic(path, &fetched.body);
        }
        Ok(Some(fetched.body))
    }
}

/// Distribution files in a local directory (not recursive), as `file://` URLs.
fn local_files(dir: &Path) -> Result<Vec<DistFile>, Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::Io {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name_of_file(&name).is_none() || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let path = std::fs::canonicalize(entry.path()).map_err(|source| Error::Io {
            path: entry.path(),
            source,
        })?;
        let Ok(url) = Url::from_file_path(&path) else { continue };
        out.push(DistFile {
            filename: name,
            url,
            sha256: None,
            requires_python: None,
            core_metadata: CoreMetadata::Absent,
            yanked: None,
            upload_time: None,
            size: None,
        });
    }
    out.sort_by(|a, b| a.filename.cmp(&b.filename));
    Ok(out)
}

/// The normalized project name of a wheel or sdist file name.
pub fn name_of_file(filename: &str) -> Option<String> {
    let lower = filename.to_ascii_lowercase();
    if lower.ends_with(".whl") {
        return filename.split('-').next().map(normalize);
    }
    if [".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz"]
        .iter()
        .any(|s| lower.ends_with(s))
    {
        return crate::metadata::from_filename(filename).0.map(|n| normalize(&n));
    }
    None
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Writes through a temporary file in the same directory, then renames.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Shared handle.
pub type SharedIndex = Arc<IndexClient>;

/// Decodes `%XX` escapes (file names in index pages, credentials in URLs).
/// Works on bytes, so a `%` before a multi-byte character cannot split it.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod percent_tests {
    use super::percent_decode;

    #[test]
    fn decodes_escapes_and_survives_hostile_input() {
        assert_eq!(percent_decode("foo%2Bbar-1.0.tar.gz"), "foo+bar-1.0.tar.gz");
        assert_eq!(percent_decode("a%41"), "aA");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%a\u{e9}x"), "%a\u{e9}x");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
