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

/// How to run the installer.
#[derive(Debug, Clone)]
pub struct Options {
    /// The target interpreter; pip runs as `<python> -m pip`, uv as `uv pip install --python <python>`.
    pub python: PathBuf,
    /// Pass-through options (`--user`, `--target DIR`, `-q`, …), already vetted for the installer.
    pub pass: Vec<OsString>,
    pub installer: Installer,
    /// The user's own projects, installed after the approved files with `--no-deps`.
    pub local: Vec<LocalInstall>,
    /// `--no-build-isolation`, for the local projects only.
    pub local_no_build_isolation: bool,
    /// pip's `--report FILE` (the runs' reports merged into one).
    pub report: Option<PathBuf>,
    /// Show the installer's own output (`-v`); otherwise it is shown only when it fails.
    pub show_output: bool,
    /// Where wheels built from approved sdists are kept, so a warm install does not rebuild them.
    pub wheel_cache: Option<WheelCache>,
}

/// The uv guard hands files to: `GUARD_UV` when set and not empty, else
/// `uv` on PATH. The tests find it the same way.
pub fn find_uv() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("GUARD_UV").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|d| d.join("uv")).find(|p| p.is_file())
}

/// Which program installs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installer {
    Pip,
    /// `uv pip install`, with this uv executable.
    Uv(PathBuf),
}

/// One of the user's own projects.
#[derive(Debug, Clone)]
pub struct LocalInstall {
    pub path: PathBuf,
    pub editable: bool,
    pub extras: Vec<String>,
}

/// Built wheels of approved sdists: `<dir>/<sdist sha256>/<tags_key>/NAME.whl`.
#[derive(Debug, Clone)]
pub struct WheelCache {
    pub dir: PathBuf,
    /// Identifies the target's tags (a build for one interpreter is not reused for another).
    pub tags_key: String,
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

/// `UV_*` variables that cannot widen what uv fetches; all others are removed.
const HARMLESS_UV: &[&str] = &[
    "UV_CACHE_DIR",
    "UV_NO_CACHE",
    "UV_LINK_MODE",
    "UV_NO_PROGRESS",
    "UV_COMPILE_BYTECODE",
    "UV_CONCURRENT_BUILDS",
    "UV_CONCURRENT_INSTALLS",
    "UV_BREAK_SYSTEM_PACKAGES",
    "UV_NATIVE_TLS",
    "UV_SYSTEM_CERTS",
];

/// A prepared handoff: the directory and the commands, not yet run.
pub struct Prepared {
    _dir: tempfile::TempDir,
    pub links: PathBuf,
    pub requirements: PathBuf,
    /// Installs the approved third-party files (`None`: there are none).
    pub command: Option<Command>,
    /// Installs the user's local projects, after `command` (`None`: there are none).
    pub local: Option<Command>,
    /// Per-run report files, merged into the user's `--report`.
    reports: Vec<PathBuf>,
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

/// Copies `from` to `dest` and checks the copy has the inspected hash.
fn copy_verified(from: &Path, dest: &Path, filename: &str, expected: &str) -> Result<(), Error> {
    std::fs::copy(from, dest).map_err(|source| Error::Io {
        path: dest.to_path_buf(),
        source,
    })?;
    let actual = sha256_file(dest).map_err(|source| Error::Io {
        path: dest.to_path_buf(),
        source,
    })?;
    if !actual.eq_ignore_ascii_case(expected) {
        return Err(Error::HashMismatch {
            filename: filename.to_string(),
            expected: expected.to_string(),
            actual,
        });
    }
    Ok(())
}

/// The base command of the installer, with a scrubbed environment.
fn installer_command(options: &Options) -> Command {
    let mut command = match &options.installer {
        Installer::Pip => {
            let mut c = Command::new(&options.python);
            c.args(["-m", "pip", "--isolated"]);
            c
        }
        Installer::Uv(uv) => {
            let mut c = Command::new(uv);
            c.arg("pip");
            c
        }
    };
    scrub(&mut command);
    command
}

/// Removes every `PIP_*` and `UV_*` variable that could widen what the
/// installer fetches, and points both at no configuration file.
fn scrub(command: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy().to_ascii_uppercase();
        let pip = k.starts_with("PIP_") && !HARMLESS.contains(&k.as_str());
        let uv = k.starts_with("UV_") && !HARMLESS_UV.contains(&k.as_str());
        if pip || uv {
            command.env_remove(&key);
        }
    }
    let devnull = if cfg!(windows) { "nul" } else { "/dev/null" };
    command
        .env("PIP_CONFIG_FILE", devnull)
        .env("PIP_NO_INPUT", "1")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("UV_NO_CONFIG", "1");
}

/// `install --no-index --find-links LINKS --no-deps` for the installer.
fn install_command(options: &Options, links: &Path) -> Command {
    let mut command = installer_command(options);
    command.arg("install");
    if let Installer::Uv(_) = options.installer {
        command.arg("--python").arg(&options.python).arg("--no-config");
    }
    command
        .arg("--no-index")
        .arg("--find-links")
        .arg(links)
        .arg("--no-deps");
    command
}

/// Copies and re-verifies the approved files and builds the installer commands.
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
    let mut to_build: Vec<(usize, PathBuf)> = Vec::new();
    let mut lines: Vec<Option<String>> = Vec::new();
    for f in approved.files() {
        if f.filename.contains(['/', '\\']) || f.filename.starts_with('.') || f.filename.is_empty() {
            return Err(Error::FileName(f.filename.clone()));
        }
        let dest = links.join(&f.filename);
        copy_verified(&f.path, &dest, &f.filename, &f.sha256)?;
        if f.build_dependency {
            continue;
        }
        if crate::metadata::is_sdist(&f.filename) {
            if let Some(cache) = &options.wheel_cache {
                match cached_wheel(cache, &f.sha256, &links)? {
                    Some((wheel, sha)) => {
                        lines.push(Some(url_line(&f.name, &links.join(&wheel), &sha)));
                        continue;
                    }
                    None => to_build.push((lines.len(), dest.clone())),
                }
            }
        }
        lines.push(Some(if f.direct {
            url_line(&f.name, &dest, &f.sha256)
        } else {
            format!("{}=={} --hash=sha256:{}\n", f.name, f.version, f.sha256)
        }));
    }
    let runtime: Vec<&crate::confirm::ApprovedFile> = approved.files().iter().filter(|f| !f.build_dependency).collect();
    // Build the sdists not built before, keep their wheels, hand over the wheels.
    if !to_build.is_empty() {
        let cache = options.wheel_cache.as_ref().expect("only with a wheel cache");
        let out = dir.path().join("built");
        std::fs::create_dir(&out).map_err(io(&out))?;
        for (at, sdist) in &to_build {
            let f = runtime[*at];
            if let Some((wheel, sha)) = build_wheel(options, &links, sdist, &out, cache, &f.sha256, &f.name)? {
                lines[*at] = Some(url_line(&f.name, &links.join(&wheel), &sha));
            }
        }
    }
    for l in lines.into_iter().flatten() {
        reqs.push_str(&l);
    }
    let requirements = dir.path().join("requirements.txt");
    std::fs::write(&requirements, &reqs).map_err(io(&requirements))?;

    let (command, local, reports) = commands(options, &links, &requirements, !reqs.is_empty(), dir.path());
    Ok(Prepared {
        _dir: dir,
        links,
        requirements,
        command,
        local,
        reports,
    })
}

/// The installer runs: the approved files (when there are any), then the
/// user's local projects; with `--report`, each writes a part of the report.
fn commands(
    options: &Options,
    links: &Path,
    requirements: &Path,
    any_files: bool,
    dir: &Path,
) -> (Option<Command>, Option<Command>, Vec<PathBuf>) {
    let mut reports = Vec::new();
    let command = any_files.then(|| {
        let mut c = install_command(options, links);
        c.arg("--require-hashes")
            .arg("-r")
            .arg(requirements)
            .args(&options.pass);
        if options.report.is_some() {
            let r = dir.join("report-1.json");
            c.arg("--report").arg(&r);
            reports.push(r);
        }
        c
    });
    let local = (!options.local.is_empty()).then(|| {
        let mut c = install_command(options, links);
        if options.local_no_build_isolation {
            c.arg("--no-build-isolation");
        }
        for p in &options.local {
            let mut target = p.path.as_os_str().to_os_string();
            if !p.extras.is_empty() {
                target.push(format!("[{}]", p.extras.join(",")));
            }
            if p.editable {
                c.arg("-e");
            }
            c.arg(target);
        }
        c.args(&options.pass);
        if options.report.is_some() {
            let r = dir.join("report-2.json");
            c.arg("--report").arg(&r);
            reports.push(r);
        }
        c
    });
    (command, local, reports)
}

/// `name @ file:///…/file --hash=sha256:…`: a file named directly (or a
/// wheel guard built from an approved sdist) is pinned by URL and hash.
fn url_line(name: &str, path: &Path, sha256: &str) -> String {
    let url = url::Url::from_file_path(path)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| path.display().to_string());
    format!("{name} @ {url} --hash=sha256:{sha256}\n")
}

/// A wheel built earlier from the sdist with this hash, for these tags:
/// copied into `links` and re-verified against its recorded hash.
fn cached_wheel(cache: &WheelCache, sdist_sha: &str, links: &Path) -> Result<Option<(String, String)>, Error> {
    let dir = cache.dir.join(sdist_sha).join(&cache.tags_key);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(None);
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".whl") || name.starts_with('.') {
            continue;
        }
        let Ok(recorded) = std::fs::read_to_string(dir.join(format!("{name}.sha256"))) else {
            continue;
        };
        let recorded = recorded.trim().to_string();
        let dest = links.join(&name);
        match copy_verified(&e.path(), &dest, &name, &recorded) {
            Ok(()) => return Ok(Some((name, recorded))),
            // A damaged entry is not used: the sdist is built again.
            Err(Error::HashMismatch { .. }) => {
                let _ = std::fs::remove_file(&dest);
                let _ = std::fs::remove_dir_all(&dir);
                return Ok(None);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// Builds one approved sdist into a wheel (offline, build dependencies only
/// from `links`), keeps it in the cache and copies it into `links`.
/// `Ok(None)`: the build failed; the sdist is handed over as it is, so the
/// installer reports the failure in its own words.
fn build_wheel(
    options: &Options,
    links: &Path,
    sdist: &Path,
    out: &Path,
    cache: &WheelCache,
    sdist_sha: &str,
    name: &str,
) -> Result<Option<(String, String)>, Error> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    let target = out.join(sdist_sha);
    std::fs::create_dir_all(&target).map_err(io(&target))?;
    let mut command = installer_command(options);
    match &options.installer {
        Installer::Pip => {
            command
                .arg("wheel")
                .arg("--no-index")
                .arg("--find-links")
                .arg(links)
                .arg("--no-deps")
                .arg("--wheel-dir")
                .arg(&target)
                .arg(sdist);
        }
        Installer::Uv(uv) => {
            // `uv build` is a top-level command, not `uv pip …`.
            command = Command::new(uv);
            scrub(&mut command);
            command
                .arg("build")
                .arg("--wheel")
                .arg("--no-config")
                .arg("--python")
                .arg(&options.python)
                .arg("--no-index")
                .arg("--find-links")
                .arg(links)
                .arg("--out-dir")
                .arg(&target)
                .arg(sdist);
        }
    }
    let output = command.output().map_err(|source| Error::Spawn {
        python: options.python.clone(),
        source,
    })?;
    if options.show_output {
        let _ = std::io::Write::write_all(&mut std::io::stderr(), &output.stdout);
        let _ = std::io::Write::write_all(&mut std::io::stderr(), &output.stderr);
    }
    if !output.status.success() {
        return Ok(None);
    }
    let norm = crate::metadata::normalize(name).replace('-', "_");
    let wheel = std::fs::read_dir(&target)
        .map_err(io(&target))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| {
            n.ends_with(".whl")
                && crate::metadata::normalize(n.split('-').next().unwrap_or("")).replace('-', "_") == norm
        });
    let Some(wheel) = wheel else { return Ok(None) };
    let built = target.join(&wheel);
    let sha = sha256_file(&built).map_err(io(&built))?;
    // Keep it: write under a temporary name, then rename (several guards may share the cache).
    let keep = cache.dir.join(sdist_sha).join(&cache.tags_key);
    if std::fs::create_dir_all(&keep).is_ok() {
        let tmp = keep.join(format!(".{wheel}.{}.part", std::process::id()));
        if std::fs::copy(&built, &tmp).is_ok() && std::fs::write(keep.join(format!("{wheel}.sha256")), &sha).is_ok() {
            let _ = std::fs::rename(&tmp, keep.join(&wheel));
        } else {
            let _ = std::fs::remove_file(&tmp);
        }
    }
    std::fs::copy(&built, links.join(&wheel)).map_err(io(&links.join(&wheel)))?;
    Ok(Some((wheel, sha)))
}

/// Runs one installer command; its output is shown live with `show_output`,
/// otherwise only when it fails.
fn run(mut command: Command, options: &Options) -> Result<i32, Error> {
    let spawn = |source| Error::Spawn {
        python: match &options.installer {
            Installer::Pip => options.python.clone(),
            Installer::Uv(uv) => uv.clone(),
        },
        source,
    };
    if options.show_output {
        let status = command.status().map_err(spawn)?;
        return Ok(status.code().unwrap_or(2));
    }
    let output = command.output().map_err(spawn)?;
    if !output.status.success() {
        let mut err = std::io::stderr().lock();
        let _ = std::io::Write::write_all(&mut err, &output.stdout);
        let _ = std::io::Write::write_all(&mut err, &output.stderr);
    }
    Ok(output.status.code().unwrap_or(2))
}

/// Installs the approved files, then the local projects; returns the
/// installer's exit code (the first failure stops the rest).
pub fn install(approved: &Approved, options: &Options) -> Result<i32, Error> {
    let has_runtime = approved.files().iter().any(|f| !f.build_dependency);
    if !has_runtime && options.local.is_empty() {
        return Ok(0);
    }
    let prepared = prepare(approved, options)?;
    let Prepared {
        command,
        local,
        reports,
        _dir,
        ..
    } = prepared;
    for c in [command, local].into_iter().flatten() {
        let code = run(c, options)?;
        if code != 0 {
            return Ok(code);
        }
    }
    if let Some(path) = &options.report {
        merge_reports(&reports, path)?;
    }
    Ok(0)
}

/// pip's installation reports of the runs, as one report (`install` lists joined).
fn merge_reports(parts: &[PathBuf], out: &Path) -> Result<(), Error> {
    let mut merged: Option<serde_json::Value> = None;
    for p in parts {
        let Ok(text) = std::fs::read_to_string(p) else { continue };
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        match &mut merged {
            None => merged = Some(value),
            Some(m) => {
                if let (Some(a), Some(b)) = (
                    m.get_mut("install").and_then(|v| v.as_array_mut()),
                    value.get("install").and_then(|v| v.as_array()),
                ) {
                    a.extend(b.iter().cloned());
                }
            }
        }
    }
    let merged = merged.unwrap_or_else(|| serde_json::json!({"version": "1", "install": []}));
    let text = serde_json::to_string_pretty(&merged).unwrap_or_default();
    std::fs::write(out, text).map_err(|source| Error::Io {
        path: out.to_path_buf(),
        source,
    })
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
            direct: false,
        }
    }

    fn options() -> Options {
        Options {
            python: "python3".into(),
            pass: vec![],
            installer: Installer::Pip,
            local: vec![],
            local_no_build_isolation: false,
            report: None,
            show_output: false,
            wheel_cache: None,
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
                pass: vec!["--user".into()],
                ..options()
            },
        )
        .unwrap();
        let reqs = std::fs::read_to_string(&prepared.requirements).unwrap();
        assert_eq!(reqs.lines().count(), 1, "{reqs}");
        assert!(reqs.starts_with("app==1.0 --hash=sha256:"));
        assert!(prepared.links.join("setuptools-1.0-py3-none-any.whl").is_file());
        let command = prepared.command.as_ref().unwrap();
        let args: Vec<String> = command.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        for needle in ["--isolated", "--no-index", "--no-deps", "--require-hashes", "--user"] {
            assert!(args.iter().any(|a| a == needle), "{needle} missing: {args:?}");
        }
        let envs: Vec<(String, Option<String>)> = command
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
        let err = prepare(&Approved::for_tests(vec![f]), &options())
            .err()
            .expect("must refuse");
        assert!(matches!(err, Error::HashMismatch { .. }), "{err}");
    }
}
