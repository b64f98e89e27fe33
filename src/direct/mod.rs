//! Requirements that name a place instead of an index project: distribution
//! files on disk (`./dist/x.whl`), URLs (`name @ https://…/x.tar.gz`), git
//! repositories (`git+https://…@rev`), and the user's own local projects
//! (`.`, `-e ./dir[extra]`, see [`project`]).
//!
//! Files, URLs and repositories are third-party code: they are fetched into
//! the cache, hash-checked where a hash is given, read statically for their
//! name, version and dependencies, and then go through the same inspection
//! as index files. Nothing here runs package code.

pub mod git;
pub mod hook;
pub mod project;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::Version;
use pep508_rs::PackageName;
use sha2::{Digest, Sha256};
use url::Url;

use crate::archive::{self, Limits};
use crate::download::{self, Downloader};
use crate::index::{CoreMetadata, DistFile};
use crate::metadata::normalize;
use crate::requirements::{Location, Origin};
use crate::resolve::metadata::{self as dist_metadata, DistMetadata};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{origin}: cannot read {}: {source}", .path.display())]
    Read {
        origin: Origin,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: cannot download {url}")]
    Download {
        origin: Origin,
        url: String,
        #[source]
        source: Box<download::Error>,
    },
    #[error("{origin}: {filename}: sha256 {actual} matches none of the hashes given for it ({})", .allowed.join(", "))]
    Pinned {
        origin: Origin,
        filename: String,
        actual: String,
        allowed: Vec<String>,
    },
    #[error("{origin}: {message}")]
    Invalid { origin: Origin, message: String },
    #[error("{origin}: git: {message}")]
    Git { origin: Origin, message: String },
}

impl Error {
    fn invalid(origin: &Origin, message: impl Into<String>) -> Error {
        Error::Invalid {
            origin: origin.clone(),
            message: message.into(),
        }
    }
}

/// A distribution file named directly, fetched, verified and read.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub name: PackageName,
    pub version: Version,
    /// The file as the resolver and downloader see it: a `file://` URL of the
    /// verified bytes in the cache (or where the user's file lies), its
    /// sha256, and a file name pip accepts for it.
    pub file: DistFile,
    pub metadata: DistMetadata,
    pub extras: Vec<String>,
    /// What the user named, for the plan (credentials removed).
    pub shown: String,
}

/// The largest local distribution file guard reads (the download limit too).
const MAX_FILE: u64 = download::MAX_ARTIFACT_BYTES;

/// Fetches (if remote), verifies and reads one distribution file.
pub async fn fetch_archive(
    location: &Location,
    name: Option<&PackageName>,
    hashes: &[String],
    extras: &[String],
    origin: &Origin,
    downloader: &Downloader,
) -> Result<Fetched, Error> {
    let (path, filename, shown) = match location {
        Location::Path(path) => {
            let filename = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            (path.clone(), filename, path.display().to_string())
        }
        Location::Url(url) => {
            let filename = url
                .path_segments()
                .and_then(|mut s| s.next_back())
                .map(crate::index::percent_decode)
                .unwrap_or_default();
            let file = DistFile {
                filename: filename.clone(),
                url: url.clone(),
                sha256: hashes.first().cloned(),
                requires_python: None,
                core_metadata: CoreMetadata::Absent,
                yanked: None,
                upload_time: None,
                size: None,
            };
            let artifact = downloader.fetch_direct(&file).await.map_err(|source| Error::Download {
                origin: origin.clone(),
                url: crate::index::http::redact(url),
                source: Box::new(source),
            })?;
            (artifact.path, filename, crate::index::http::redact(url))
        }
    };
    read_archive(&path, &filename, name, hashes, extras, origin, shown)
}

/// Reads a verified local archive: hash check, name, version and dependencies.
pub fn read_archive(
    path: &Path,
    filename: &str,
    name: Option<&PackageName>,
    hashes: &[String],
    extras: &[String],
    origin: &Origin,
    shown: String,
) -> Result<Fetched, Error> {
    let read_err = |source| Error::Read {
        origin: origin.clone(),
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_err)?.len();
    if size > MAX_FILE {
        return Err(Error::invalid(
            origin,
            format!("{} is {size} bytes, more than guard reads ({MAX_FILE})", path.display()),
        ));
    }
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        origin: origin.clone(),
        path: path.to_path_buf(),
        source,
    })?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    if !hashes.is_empty() && !hashes.contains(&sha256) {
        return Err(Error::Pinned {
            origin: origin.clone(),
            filename: filename.to_string(),
            actual: sha256,
            allowed: hashes.to_vec(),
        });
    }
    let (found_name, version, metadata, pip_filename) = identify(filename, &bytes, name, origin)?;
    if let Some(want) = name {
        if *want != found_name {
            return Err(Error::invalid(
                origin,
                format!("`{want}` was requested, but {filename} is a distribution of `{found_name}`"),
            ));
        }
    }
    let url = Url::from_file_path(path).map_err(|_| Error::invalid(origin, format!("bad path {}", path.display())))?;
    Ok(Fetched {
        name: found_name,
        version,
        file: DistFile {
            filename: pip_filename,
            url,
            sha256: Some(sha256),
            requires_python: metadata.requires_python.clone(),
            core_metadata: CoreMetadata::Absent,
            yanked: None,
            upload_time: None,
            size: Some(size),
        },
        metadata,
        extras: extras.to_vec(),
        shown,
    })
}

/// Name, version, dependencies and the file name to hand pip, from the bytes.
fn identify(
    filename: &str,
    bytes: &[u8],
    hint: Option<&PackageName>,
    origin: &Origin,
) -> Result<(PackageName, Version, DistMetadata, String), Error> {
    let unreadable = |message: String| Error::invalid(origin, format!("cannot read {filename}: {message}"));
    let lower = filename.to_ascii_lowercase();
    if lower.ends_with(".whl") {
        let stem = &filename[..filename.len() - 4];
        let parts: Vec<&str> = stem.split('-').collect();
        if !(parts.len() == 5 || parts.len() == 6) {
            return Err(Error::invalid(
                origin,
                format!("`{filename}` is not a valid wheel file name (name-version-python-abi-platform.whl)"),
            ));
        }
        let name = PackageName::from_str(parts[0]).map_err(|e| unreadable(e.to_string()))?;
        let version = Version::from_str(parts[1]).map_err(|e| unreadable(format!("version `{}`: {e}", parts[1])))?;
        let md = dist_metadata::from_wheel(filename, bytes).map_err(|e| unreadable(e.to_string()))?;
        return Ok((name, version, md, filename.to_string()));
    }
    let Some((format, _)) = archive::Format::detect(filename) else {
        return Err(Error::invalid(
            origin,
            format!("`{filename}` is not a wheel or source archive (.whl, .tar.gz, .zip, …)"),
        ));
    };
    let listing = archive::read(filename, bytes, &Limits::default());
    if let Some(e) = &listing.error {
        return Err(unreadable(e.to_string()));
    }
    let top = |want: &str| -> Option<String> {
        listing
            .members
            .iter()
            .filter(|m| m.complete && m.depth() == 2 && m.file_name() == want)
            .map(|m| String::from_utf8_lossy(&m.data).into_owned())
            .next()
    };
    let md = dist_metadata::from_tree(&top).map_err(|e| unreadable(e.to_string()))?;
    let (name, version) = tree_identity(&top);
    let stem_split = sdist_stem(filename);
    let name = name
        .or_else(|| hint.map(|h| h.to_string()))
        .or_else(|| stem_split.as_ref().map(|(n, _)| n.clone()))
        .ok_or_else(|| {
            Error::invalid(
                origin,
                format!("{filename} does not say which project it is: name it (`NAME @ …`)"),
            )
        })?;
    let name = PackageName::from_str(&name).map_err(|e| unreadable(format!("project name `{name}`: {e}")))?;
    let version = version
        .or_else(|| stem_split.map(|(_, v)| v))
        .and_then(|v| Version::from_str(&v).ok())
        .unwrap_or_else(|| Version::from_str("0+unknown").expect("a valid version"));
    let ext = match format {
        archive::Format::Zip => ".zip",
        archive::Format::TarGz => ".tar.gz",
        archive::Format::TarBz2 => ".tar.bz2",
        archive::Format::TarXz => ".tar.xz",
        archive::Format::Tar => ".tar",
    };
    let pip_filename = format!("{}-{version}{ext}", normalize(name.as_ref()).replace('-', "_"));
    Ok((name, version, md, pip_filename))
}

/// `name-1.2.tar.gz` → (`name`, `1.2`), when the part after the last `-` is a version.
fn sdist_stem(filename: &str) -> Option<(String, String)> {
    let lower = filename.to_ascii_lowercase();
    let ext = [".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".tar"]
        .iter()
        .find(|e| lower.ends_with(*e))?;
    let stem = &filename[..filename.len() - ext.len()];
    let (n, v) = stem.rsplit_once('-')?;
    Version::from_str(v).ok()?;
    Some((n.to_string(), v.to_string()))
}

/// A source tree's own name and version, where they are static.
pub fn tree_identity(top: &dyn Fn(&str) -> Option<String>) -> (Option<String>, Option<String>) {
    let (mut name, mut version) = top("PKG-INFO")
        .map(|text| {
            let md = crate::metadata::CoreMetadata::parse(&text);
            (md.name, md.version)
        })
        .unwrap_or_default();
    if let Some(project) = top("pyproject.toml")
        .and_then(|t| t.parse::<toml::Table>().ok())
        .and_then(|t| t.get("project").and_then(|p| p.as_table()).cloned())
    {
        if name.is_none() {
            name = project.get("name").and_then(|v| v.as_str()).map(str::to_string);
        }
        if version.is_none() {
            version = project.get("version").and_then(|v| v.as_str()).map(str::to_string);
        }
    }
    if name.is_none() || version.is_none() {
        if let Some(cfg) = top("setup.cfg") {
            let mut section = "";
            for line in cfg.lines() {
                let t = line.trim();
                if let Some(s) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                    section = s.trim();
                    continue;
                }
                if section != "metadata" || line.starts_with([' ', '\t']) {
                    continue;
                }
                if let Some((k, v)) = t.split_once(['=', ':']) {
                    let v = v.trim();
                    if v.starts_with("attr:") || v.starts_with("file:") || v.is_empty() {
                        continue;
                    }
                    match k.trim() {
                        "name" if name.is_none() => name = Some(v.to_string()),
                        "version" if version.is_none() => version = Some(v.to_string()),
                        _ => {}
                    }
                }
            }
        }
    }
    (name, version)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolve::metadata::tests::sdist;

    #[test]
    fn identifies_sdists_by_their_metadata() {
        let o = Origin::CommandLine;
        let b = sdist(&[(
            "x/pyproject.toml",
            "[project]\nname = \"Foo.Bar\"\nversion = \"2.1\"\ndependencies = [\"idna\"]\n",
        )]);
        let (name, version, md, file) = identify("whatever.tar.gz", &b, None, &o).unwrap();
        assert_eq!(name.as_ref(), "foo-bar");
        assert_eq!(version.to_string(), "2.1");
        assert_eq!(md.requires_dist, ["idna"]);
        assert_eq!(file, "foo_bar-2.1.tar.gz");
        // No static name: the file name or the requirement's name.
        let b = sdist(&[("x/setup.py", "from setuptools import setup\nsetup()\n")]);
        let (name, version, _, _) = identify("thing-0.3.tar.gz", &b, None, &o).unwrap();
        assert_eq!((name.as_ref(), version.to_string().as_str()), ("thing", "0.3"));
        let hint = PackageName::from_str("named").unwrap();
        let (name, version, _, _) = identify("archive.tar.gz", &b, Some(&hint), &o).unwrap();
        assert_eq!((name.as_ref(), version.to_string().as_str()), ("named", "0+unknown"));
        assert!(identify("archive.tar.gz", &b, None, &o).is_err());
        assert!(identify("notes.txt", &b, None, &o).is_err());
    }

    #[test]
    fn hashes_are_checked_and_names_must_agree() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("foo-1.0.tar.gz");
        std::fs::write(
            &path,
            sdist(&[("foo-1.0/PKG-INFO", "Metadata-Version: 2.2\nName: foo\nVersion: 1.0\n")]),
        )
        .unwrap();
        let o = Origin::CommandLine;
        let ok = read_archive(&path, "foo-1.0.tar.gz", None, &[], &[], &o, String::new()).unwrap();
        assert_eq!(ok.name.as_ref(), "foo");
        assert_eq!(ok.file.filename, "foo-1.0.tar.gz");
        let err = read_archive(&path, "foo-1.0.tar.gz", None, &["0".repeat(64)], &[], &o, String::new()).unwrap_err();
        assert!(matches!(err, Error::Pinned { .. }), "{err}");
        let bar = PackageName::from_str("bar").unwrap();
        let err = read_archive(&path, "foo-1.0.tar.gz", Some(&bar), &[], &[], &o, String::new()).unwrap_err();
        assert!(err.to_string().contains("distribution of `foo`"), "{err}");
    }
}
