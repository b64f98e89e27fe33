//! Hands approved files, and nothing else, to the real pip.
//!
//! The approved files are copied from the cache into a fresh find-links
//! directory and re-hashed there; a requirements file pins every runtime
//! package as `name==version --hash=sha256:…`; pip runs with `--isolated
//! --no-index --find-links DIR --no-deps --require-hashes` and an environment
//! scrubbed of `PIP_*` variables (and `PIP_CONFIG_FILE` pointing at the null
//! device), so neither configuration nor environment can widen what it
//! fetches. Source distributions build offline: pip's isolated build
//! environment installs their build dependencies from the same directory,
//! which holds only inspected, approved files.

use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::confirm::Approved;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot prepare the files for pip in {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{filename} changed after it was inspected: sha256 {actual}, inspected {expected}; nothing was installed")]
    HashMismatch {
        filename: String,
        expected: String,
        actual: String,
    },
    #[error("unsafe file name `{0}`")]
    FileName(String),
    #[error("cannot run {python} -m pip: {source}")]
    Spawn { python: PathBuf, source: std::io::Error },
}

/// How to run pip.
#[derive(Debug, Clone)]
pub struct Options {
    /// The target interpreter; pip runs as `<python> -m pip`.
    pub python: PathBuf,
    /// Pass-through options (`--user`, `--target DIR`, `-q`, …), already vetted.
    pub pass: Vec<OsString>,
}

/// `PIP_*` variables that cannot make pip fetch anything; all others are removed.
const HARMLESS: &[&str] = &[
    "PIP_REQUIRE_VIRTUALENV",
    "PIP_NO_COLOR",
    "PIP_PROGRESS_BAR",
    "PIP_BREAK_SYSTEM_PACKAGES",
    "PIP_ROOT_USER_ACTION",
    "PIP_NO_WARN_SCRIPT_LOCATION",
    "PIP_DISABLE_PIP_VERSION_CHECK",
];

/// A prepared handoff: the directory and the command, not yet run.
pub struct Prepared {
    _dir: tempfile::TempDir,
    pub links: PathBuf,
    pub requirements: PathBuf,
    pub command: Command,
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Copies and re-verifies the approved files and builds the pip command.
pub fn prepare(approved: &Approved, options: &Options) -> Result<Prepared, Error> {
    let dir = tempfile::Builder::new()
        .prefix("guard-handoff-")
        .tempdir()
        .map_err(|source| Error::Io {
            path: std::env::temp_dir(),
            source,
        })?;
    let links = dir.path().join("links");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    std::fs::create_dir(&links).map_err(io(&links))?;
    let mut reqs = String::new();
    for f in approved.files() {
        if f.filename.contains(['/', '\\']) || f.filename.starts_with('.') || f.filename.is_empty() {
            return Err(Error::FileName(f.filename.clone()));
        }
        let dest = links.join(&f.filename);
        std::fs::copy(&f.path, &dest).map_err(io(&dest))?;
        let actual = sha256_file(&dest).map_err(io(&dest))?;
        if !actual.eq_ignore_ascii_case(&f.sha256) {
            return Err(Error::HashMismatch {
                filename: f.filename.clone(),
                expected: f.sha256.clone(),
                actual,
            });
        }
        if !f.build_dependency {
            reqs.push_str(&format!("{}=={} --hash=sha256:{}\n", f.name, f.version, f.sha256));
        }
    }
    let requirements = dir.path().join("requirements.txt");
    std::fs::write(&requirements, reqs).map_err(io(&requirements))?;

    let mut command = Command::new(&options.python);
    command
        .arg("-m")
        .arg("pip")
        .arg("--isolated")
        .arg("install")
        .arg("--no-index")
        .arg("--find-links")
        .arg(&links)
        .arg("--no-deps")
        .arg("--require-hashes")
        .arg("-r")
        .arg(&requirements)
        .args(&options.pass);
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy().to_ascii_uppercase();
        if k.starts_with("PIP_") && !HARMLESS.contains(&k.as_str()) {
            command.env_remove(&key);
        }
    }
    let devnull = if cfg!(windows) { "nul" } else { "/dev/null" };
    command
        .env("PIP_CONFIG_FILE", devnull)
        .env("PIP_NO_INPUT", "1")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1");
    Ok(Prepared {
        _dir: dir,
        links,
        requirements,
        command,
    })
}

/// Runs pip on the approved files, streaming its output; returns its exit code.
pub fn install(approved: &Approved, options: &Options) -> Result<i32, Error> {
    if approved.files().iter().all(|f| f.build_dependency) {
        return Ok(0);
    }
    let mut prepared = prepare(approved, options)?;
    let status = prepared.command.status().map_err(|source| Error::Spawn {
        python: options.python.clone(),
        source,
    })?;
    Ok(status.code().unwrap_or(2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confirm::ApprovedFile;

    fn file(dir: &Path, name: &str, body: &[u8], build: bool) -> ApprovedFile {
        let path = dir.join(format!("{name}-1.0-py3-none-any.whl"));
        std::fs::write(&path, body).unwrap();
        ApprovedFile {
            name: name.into(),
            version: "1.0".into(),
            filename: format!("{name}-1.0-py3-none-any.whl"),
            path,
            sha256: hex::encode(Sha256::digest(body)),
            build_dependency: build,
        }
    }

    #[test]
    fn pins_runtime_packages_and_scrubs_pip_environment() {
        let cache = tempfile::tempdir().unwrap();
        let approved = Approved::for_tests(vec![
            file(cache.path(), "app", b"app", false),
            file(cache.path(), "setuptools", b"st", true),
        ]);
        let prepared = prepare(
            &approved,
            &Options {
                python: "python3".into(),
                pass: vec!["--user".into()],
            },
        )
        .unwrap();
        let reqs = std::fs::read_to_string(&prepared.requirements).unwrap();
        assert_eq!(reqs.lines().count(), 1, "{reqs}");
        assert!(reqs.starts_with("app==1.0 --hash=sha256:"));
        assert!(prepared.links.join("setuptools-1.0-py3-none-any.whl").is_file());
        let args: Vec<String> = prepared
            .command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        for needle in ["--isolated", "--no-index", "--no-deps", "--require-hashes", "--user"] {
            assert!(args.iter().any(|a| a == needle), "{needle} missing: {args:?}");
        }
        let envs: Vec<(String, Option<String>)> = prepared
            .command
            .get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect();
        assert!(envs.contains(&("PIP_CONFIG_FILE".into(), Some("/dev/null".into()))));
        // PIP_FIND_LINKS is set on this machine; it must be removed when present.
        if std::env::var_os("PIP_FIND_LINKS").is_some() {
            assert!(envs.contains(&("PIP_FIND_LINKS".into(), None)), "{envs:?}");
        }
    }

    #[test]
    fn a_file_changed_after_inspection_stops_everything() {
        let cache = tempfile::tempdir().unwrap();
        let f = file(cache.path(), "app", b"inspected bytes", false);
        std::fs::write(&f.path, b"swapped bytes").unwrap();
        let err = prepare(
            &Approved::for_tests(vec![f]),
            &Options {
                python: "python3".into(),
                pass: vec![],
            },
        )
        .err()
        .expect("must refuse");
        assert!(matches!(err, Error::HashMismatch { .. }), "{err}");
    }
}
