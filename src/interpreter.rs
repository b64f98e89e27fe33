//! The target interpreter: which Python guard resolves for.
//!
//! Chosen from `--python`, else `$VIRTUAL_ENV`, else `python3`/`python` on
//! PATH. Queried once with a small script run in isolated mode without `site`
//! (so no `.pth` file runs) for its version, marker environment, supported
//! wheel tags (via the `packaging` copy vendored in its pip) and site-packages
//! directories; the answer is cached by interpreter path and mtime. The
//! installed distributions are read from site-packages by guard itself, on
//! every run, since they change without the interpreter changing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::UNIX_EPOCH;

use pep440_rs::Version;
use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder, PackageName};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no Python interpreter found: pass --python, activate a virtualenv, or put python3 on PATH")]
    NotFound,
    #[error("interpreter {path} does not exist")]
    Missing { path: PathBuf },
    #[error("cannot run {path}: {source}")]
    Spawn { path: PathBuf, source: std::io::Error },
    #[error("querying {path} failed: {stderr}")]
    Query { path: PathBuf, stderr: String },
    #[error("cannot understand the answer of {path}: {message}")]
    Answer { path: PathBuf, message: String },
}

/// What the interpreter said about itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    pub executable: String,
    pub version: String,
    pub markers: BTreeMap<String, String>,
    /// Supported tags, most preferred first (`cp311-cp311-manylinux_2_17_x86_64`).
    pub tags: Vec<String>,
    /// purelib and platlib.
    pub site_packages: Vec<PathBuf>,
}

/// A queried interpreter, ready for marker evaluation and wheel selection.
#[derive(Debug, Clone)]
pub struct Interpreter {
    /// The path guard ran.
    pub path: PathBuf,
    pub answer: Answer,
    pub version: Version,
    pub markers: MarkerEnvironment,
}

/// One installed distribution (from `*.dist-info/METADATA`).
#[derive(Debug, Clone)]
pub struct Installed {
    pub name: PackageName,
    pub version: Version,
    pub requires_dist: Vec<String>,
    pub requires_python: Option<String>,
}

const SCRIPT: &str = r#"
import json, os, platform, sys, sysconfig
# Without `site` (-S), a virtualenv's sys.prefix is the base interpreter's:
# find the venv from pyvenv.cfg next to the executable's bin directory.
venv = os.path.dirname(os.path.dirname(os.path.abspath(sys.executable)))
if os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
    paths = sysconfig.get_paths(vars={"base": venv, "platbase": venv})
else:
    paths = sysconfig.get_paths()
site = []
for key in ("purelib", "platlib"):
    p = paths.get(key)
    if p and p not in site:
        site.append(p)
# Isolated mode without site: make pip importable without running .pth files.
sys.path.extend(site)
try:
    from pip._vendor.packaging import tags
except Exception:
    from packaging import tags
def fmt(info):
    v = "%d.%d.%d" % (info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        v += info.releaselevel[0] + str(info.serial)
    return v
markers = {
    "implementation_name": sys.implementation.name,
    "implementation_version": fmt(sys.implementation.version),
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_python_implementation": platform.python_implementation(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}
print(json.dumps({
    "executable": sys.executable,
    "version": platform.python_version(),
    "markers": markers,
    "tags": [str(t) for t in tags.sys_tags()],
    "site_packages": site,
}))
"#;

impl Interpreter {
    /// Finds the target interpreter and queries it (or reads the cached answer).
    pub fn find(explicit: Option<&Path>, cache_dir: Option<&Path>) -> Result<Interpreter, Error> {
        let path = match explicit {
            Some(p) => resolve_explicit(p)?,
            None => discover()?,
        };
        let answer = query_cached(&path, cache_dir)?;
        Interpreter::from_answer(path, answer)
    }

    pub fn from_answer(path: PathBuf, answer: Answer) -> Result<Interpreter, Error> {
        let bad = |message: String| Error::Answer {
            path: path.clone(),
            message,
        };
        let version = Version::from_str(&answer.version).map_err(|e| bad(e.to_string()))?;
        let m = |k: &str| answer.markers.get(k).map(String::as_str).unwrap_or("");
        let markers = MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
            implementation_name: m("implementation_name"),
            implementation_version: m("implementation_version"),
            os_name: m("os_name"),
            platform_machine: m("platform_machine"),
            platform_python_implementation: m("platform_python_implementation"),
            platform_release: m("platform_release"),
            platform_system: m("platform_system"),
            platform_version: m("platform_version"),
            python_full_version: m("python_full_version"),
            python_version: m("python_version"),
            sys_platform: m("sys_platform"),
        })
        .map_err(|e| bad(e.to_string()))?;
        Ok(Interpreter {
            path,
            answer,
            version,
            markers,
        })
    }

    /// Distributions installed in the interpreter's site-packages.
    pub fn installed(&self) -> Vec<Installed> {
        let mut out = Vec::new();
        for dir in &self.answer.site_packages {
            let Ok(entries) = std::fs::read_dir(dir) else { continue };
            for entry in entries.flatten() {
                let fname = entry.file_name().to_string_lossy().into_owned();
                if !fname.ends_with(".dist-info") {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(entry.path().join("METADATA")) else {
                    continue;
                };
                let md = crate::metadata::CoreMetadata::parse(&text);
                let requires_python = text
                    .lines()
                    .take_while(|l| !l.is_empty())
                    .find_map(|l| l.strip_prefix("Requires-Python:"))
                    .map(|s| s.trim().to_string());
                let (Some(name), Some(version)) = (md.name, md.version) else {
                    continue;
                };
                let (Ok(name), Ok(version)) = (PackageName::from_str(&name), Version::from_str(&version)) else {
                    continue;
                };
                out.push(Installed {
                    name,
                    version,
                    requires_dist: md.requires_dist,
                    requires_python,
                });
            }
        }
        out
    }
}

fn resolve_explicit(p: &Path) -> Result<PathBuf, Error> {
    if p.components().count() == 1 && !p.exists() {
        return which(p.to_str().unwrap_or_default()).ok_or_else(|| Error::Missing { path: p.to_path_buf() });
    }
    if p.is_dir() {
        // A virtualenv directory.
        let bin = p.join("bin/python");
        if bin.exists() {
            return Ok(bin);
        }
    }
    if !p.exists() {
        return Err(Error::Missing { path: p.to_path_buf() });
    }
    Ok(p.to_path_buf())
}

fn discover() -> Result<PathBuf, Error> {
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        let p = PathBuf::from(venv).join("bin/python");
        if p.exists() {
            return Ok(p);
        }
    }
    which("python3").or_else(|| which("python")).ok_or(Error::NotFound)
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

fn query_cached(path: &Path, cache_dir: Option<&Path>) -> Result<Answer, Error> {
    // pyenv shims and symlinks: key by the real file and its mtime.
    let real = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mtime = std::fs::metadata(&real)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    // pyenv shims dispatch on environment (PYENV_VERSION, .python-version):
    // never cache a shim's answer.
    let is_shim = real.to_string_lossy().contains("/shims/");
    let key = {
        use sha2::{Digest, Sha256};
        let k = format!("{}\0{}\0{mtime}", path.display(), real.display());
        hex::encode(&Sha256::digest(k.as_bytes())[..12])
    };
    let cache_file = cache_dir
        .filter(|_| !is_shim)
        .map(|d| crate::cache::Bucket::Interpreter.under(d).join(format!("{key}.json")));
    if let Some(f) = &cache_file {
        if let Ok(bytes) = std::fs::read(f) {
            if let Ok(answer) = serde_json::from_slice::<Answer>(&bytes) {
                return Ok(answer);
            }
        }
    }
    let answer = query(path)?;
    if let Some(f) = &cache_file {
        if let Ok(bytes) = serde_json::to_vec(&answer) {
            let _ = crate::index::write_atomic(f, &bytes);
        }
    }
    Ok(answer)
}

/// Runs the query script: `-I` (isolated) and `-S` (no `site`, so no `.pth` code).
fn query(path: &Path) -> Result<Answer, Error> {
    let out = Command::new(path)
        .args(["-I", "-S", "-c", SCRIPT])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|source| Error::Spawn {
            path: path.to_path_buf(),
            source,
        })?;
    if !out.status.success() {
        return Err(Error::Query {
            path: path.to_path_buf(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    serde_json::from_slice(&out.stdout).map_err(|e| Error::Answer {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn sample() -> Answer {
        let markers = [
            ("implementation_name", "cpython"),
            ("implementation_version", "3.11.7"),
            ("os_name", "posix"),
            ("platform_machine", "x86_64"),
            ("platform_python_implementation", "CPython"),
            ("platform_release", "6.0"),
            ("platform_system", "Linux"),
            ("platform_version", "#1"),
            ("python_full_version", "3.11.7"),
            ("python_version", "3.11"),
            ("sys_platform", "linux"),
        ];
        Answer {
            executable: "/usr/bin/python3".into(),
            version: "3.11.7".into(),
            markers: markers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            tags: vec!["cp311-cp311-manylinux_2_17_x86_64".into(), "py3-none-any".into()],
            site_packages: vec![],
        }
    }

    #[test]
    fn markers_from_answer_evaluate() {
        let interp = Interpreter::from_answer("/usr/bin/python3".into(), sample()).unwrap();
        let req = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(
            "foo; python_version >= '3.8' and sys_platform == 'linux'",
        )
        .unwrap();
        assert!(req.evaluate_markers(&interp.markers, &[]));
        let req = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str("foo; sys_platform == 'win32'").unwrap();
        assert!(!req.evaluate_markers(&interp.markers, &[]));
        let req = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str("foo; extra == 'socks'").unwrap();
        let socks = pep508_rs::ExtraName::from_str("socks").unwrap();
        assert!(!req.evaluate_markers(&interp.markers, &[]));
        assert!(req.evaluate_markers(&interp.markers, &[socks]));
    }

    #[test]
    fn queries_the_real_interpreter() {
        // Runs the machine's python3 (the user's interpreter, never package code).
        let Some(py) = which("python3") else { return };
        let dir = tempfile::tempdir().unwrap();
        let interp = Interpreter::find(Some(&py), Some(dir.path())).unwrap();
        assert!(!interp.answer.tags.is_empty());
        assert!(interp.answer.tags.iter().any(|t| t.ends_with("-none-any")));
    }
}
