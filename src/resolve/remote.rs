//! The real [`Source`]: the index client plus the downloader, with
//! concurrent prefetching so resolution is not one request at a time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use pep508_rs::PackageName;
use tokio::sync::{OnceCell, Semaphore};

use super::files::{parse_filename, FileKind, Selector};
use super::metadata::{self, DistMetadata, Source as MetadataSource};
use super::{Error, Source};
use crate::download::Downloader;
use crate::index::{DistFile, IndexClient, Project};

/// One lookup per key and run; its outcome is shared, a failure too (the
/// prefetch and the resolver asking again would double every retry and wait).
type Cells<T> = Mutex<HashMap<String, Arc<OnceCell<Result<Arc<T>, Arc<Error>>>>>>;

struct Inner {
    index: Arc<IndexClient>,
    downloader: Arc<Downloader>,
    projects: Cells<Project>,
    metadata: Cells<DistMetadata>,
    limit: Semaphore,
    warnings: Mutex<Vec<String>>,
}

/// Resolution data from the network, fetched on a tokio runtime.
pub struct RemoteSource {
    rt: tokio::runtime::Handle,
    inner: Arc<Inner>,
}

impl RemoteSource {
    pub fn new(rt: tokio::runtime::Handle, index: Arc<IndexClient>, downloader: Arc<Downloader>) -> RemoteSource {
        RemoteSource {
            rt,
            inner: Arc::new(Inner {
                index,
                downloader,
                projects: Mutex::default(),
                metadata: Mutex::default(),
                limit: Semaphore::new(32),
                warnings: Mutex::default(),
            }),
        }
    }

    /// Warnings collected so far (names served by several indexes).
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.inner.warnings.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

fn cell<T>(cells: &Cells<T>, key: &str) -> Arc<OnceCell<Result<Arc<T>, Arc<Error>>>> {
    cells
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key.to_string())
        .or_default()
        .clone()
}

impl Inner {
    async fn project(&self, name: &PackageName) -> Result<Arc<Project>, Error> {
        let c = cell(&self.projects, name.as_ref());
        let init = || async {
            let _permit = self.limit.acquire().await.map_err(|e| Error::Other(e.to_string()))?;
            let p = self.index.project(name.as_ref()).await?;
            if p.index.is_none() && p.files.is_empty() {
                return Err(Error::Other(format!(
                    "package `{name}` was not found on any index or --find-links location"
                )));
            }
            if let (Some(first), false) = (&p.index, p.also_on.is_empty()) {
                self.warnings.lock().unwrap_or_else(|e| e.into_inner()).push(format!(
                    "`{name}` exists on several indexes; using {first}, ignoring {} (dependency confusion risk)",
                    p.also_on.join(", ")
                ));
            }
            Ok(Arc::new(p))
        };
        shared(c.get_or_init(|| async { init().await.map_err(Arc::new) }).await)
    }

    async fn metadata(&self, file: &DistFile) -> Result<Arc<DistMetadata>, Error> {
        let c = cell(&self.metadata, file.url.as_str());
        let init = || async {
            let is_wheel = !crate::metadata::is_sdist(&file.filename);
            if is_wheel {
                let body = {
                    let _permit = self.limit.acquire().await.map_err(|e| Error::Other(e.to_string()))?;
                    self.index.core_metadata(file).await?
                };
                if let Some(body) = body {
                    let text = String::from_utf8_lossy(&body);
                    let md = metadata::from_core_metadata(
                        &format!("{}.metadata", file.filename),
                        &text,
                        MetadataSource::CoreMetadataFile,
                    )
                    .map_err(|e| Error::Metadata {
                        filename: file.filename.clone(),
                        message: e.to_string(),
                    })?;
                    return Ok(Arc::new(md));
                }
            }
            let artifact = self.downloader.fetch(file).await?;
            let bytes = tokio::fs::read(&artifact.path).await.map_err(|e| Error::Metadata {
                filename: file.filename.clone(),
                message: e.to_string(),
            })?;
            let filename = file.filename.clone();
            let md = tokio::task::spawn_blocking(move || {
                if is_wheel {
                    metadata::from_wheel(&filename, &bytes)
                } else {
                    metadata::from_sdist(&filename, &bytes)
                }
            })
            .await
            .map_err(|e| Error::Other(e.to_string()))?
            .map_err(|e| Error::Metadata {
                filename: file.filename.clone(),
                message: e.to_string(),
            })?;
            Ok(Arc::new(md))
        };
        shared(c.get_or_init(|| async { init().await.map_err(Arc::new) }).await)
    }
}

fn shared<T>(outcome: &Result<Arc<T>, Arc<Error>>) -> Result<Arc<T>, Error> {
    outcome.clone().map_err(Error::Shared)
}

impl Source for RemoteSource {
    fn project(&self, name: &PackageName) -> Result<Arc<Project>, Error> {
        let inner = self.inner.clone();
        let name = name.clone();
        self.rt.block_on(async move { inner.project(&name).await })
    }

    fn metadata(&self, _name: &PackageName, file: &DistFile) -> Result<Arc<DistMetadata>, Error> {
        let inner = self.inner.clone();
        let file = file.clone();
        self.rt.block_on(async move { inner.metadata(&file).await })
    }

    /// Fetches the pages of `names` and the metadata of their likely pick
    /// (newest final release with a usable file) in the background.
    fn prefetch(&self, names: &[PackageName], selector: &Selector) {
        for name in names {
            let inner = self.inner.clone();
            let name = name.clone();
            let selector = selector.clone();
            self.rt.spawn(async move {
                let Ok(project) = inner.project(&name).await else {
                    return;
                };
                let mut by_version: std::collections::BTreeMap<_, Vec<(DistFile, FileKind)>> = Default::default();
                for f in &project.files {
                    if let Some((v, k)) = parse_filename(&f.filename, name.as_ref()) {
                        if !v.any_prerelease() && f.yanked.is_none() {
                            by_version.entry(v).or_default().push((f.clone(), k));
                        }
                    }
                }
                let pick = by_version
                    .values()
                    .rev()
                    .find_map(|fs| selector.pick(name.as_ref(), fs).cloned());
                if let Some(file) = pick {
                    let _ = inner.metadata(&file).await;
                }
            });
        }
    }
}
