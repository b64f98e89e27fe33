//! Dependency metadata read statically: core metadata files, wheel METADATA,
//! sdist PKG-INFO (Metadata-Version ≥ 2.2 without dynamic Requires-Dist),
//! pyproject `[project]`, setup.cfg, and literal `install_requires` in
//! setup.py (parsed, never executed). When none is static, the sdist
//! "needs a build" and guard says so instead of running anything.

use serde::Serialize;

use ruff_python_ast::{Expr, Stmt};

use crate::archive::{self, Limits};

/// Where a distribution's dependencies were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// PEP 658 `.metadata` file from the index.
    CoreMetadataFile,
    WheelMetadata,
    PkgInfo,
    Pyproject,
    SetupCfg,
    SetupPy,
    /// Nothing static: only a build could tell. Dependencies are unknown.
    NeedsBuild,
    /// A local project's PEP 517 `prepare_metadata_for_build_*` hook (the user's own code).
    BuildHook,
    Installed,
}

/// The dependency information of one distribution.
#[derive(Debug, Clone)]
pub struct DistMetadata {
    pub requires_dist: Vec<String>,
    pub requires_python: Option<String>,
    pub source: Source,
    /// `[build-system] requires` (sdists only; the setuptools default when absent).
    pub build_requires: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{filename}: {message}")]
    Unreadable { filename: String, message: String },
}

/// The header fields of core metadata guard needs (multi-valued kept in order).
fn headers(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    out
}

/// Parses core metadata (`METADATA`, `PKG-INFO`, PEP 658 file).
pub fn from_core_metadata(text: &str, source: Source) -> DistMetadata {
    let h = headers(text);
    DistMetadata {
        requires_dist: h
            .iter()
            .filter(|(k, _)| k == "requires-dist")
            .map(|(_, v)| v.clone())
            .collect(),
        requires_python: h
            .iter()
            .find(|(k, _)| k == "requires-python")
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty()),
        source,
        build_requires: Vec::new(),
    }
}

/// Reads `*.dist-info/METADATA` from a wheel.
pub fn from_wheel(filename: &str, bytes: &[u8]) -> Result<DistMetadata, Error> {
    let listing = archive::read(filename, bytes, &Limits::default());
    if let Some(e) = &listing.error {
        return Err(Error::Unreadable {
            filename: filename.into(),
            message: e.to_string(),
        });
    }
    let member = listing
        .members
        .iter()
        .filter(|m| m.complete && m.depth() == 2)
        .find(|m| {
            let mut parts = m.path.split('/');
            parts.next().is_some_and(|d| d.ends_with(".dist-info")) && parts.next() == Some("METADATA")
        })
        .ok_or_else(|| Error::Unreadable {
            filename: filename.into(),
            message: "no .dist-info/METADATA in the wheel".into(),
        })?;
    Ok(from_core_metadata(
        &String::from_utf8_lossy(&member.data),
        Source::WheelMetadata,
    ))
}

/// The default build requirements when an sdist has no `[build-system]`.
pub const DEFAULT_BUILD_REQUIRES: [&str; 2] = ["setuptools>=40.8.0", "wheel"];

/// Reads an sdist's dependencies statically, in the order of trust.
pub fn from_sdist(filename: &str, bytes: &[u8]) -> Result<DistMetadata, Error> {
    let listing = archive::read(filename, bytes, &Limits::default());
    if let Some(e) = &listing.error {
        return Err(Error::Unreadable {
            filename: filename.into(),
            message: e.to_string(),
        });
    }
    let top = |name: &str| -> Option<String> {
        listing
            .members
            .iter()
            .filter(|m| m.complete && m.depth() == 2 && m.file_name() == name)
            .map(|m| String::from_utf8_lossy(&m.data).into_owned())
            .next()
    };
    Ok(from_tree(&top))
}

/// Reads a source tree's dependencies statically from its top-level files
/// (`PKG-INFO`, `pyproject.toml`, `setup.cfg`, `setup.py`), given by `top`:
/// an sdist's members or a local project directory.
pub fn from_tree(top: &dyn Fn(&str) -> Option<String>) -> DistMetadata {
    let pyproject = top("pyproject.toml").and_then(|t| t.parse::<toml::Table>().ok());
    let build_requires = pyproject
        .as_ref()
        .and_then(|t| t.get("build-system"))
        .and_then(|b| b.get("requires"))
        .and_then(|r| r.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_else(|| DEFAULT_BUILD_REQUIRES.map(String::from).to_vec());
    let with_build = |mut md: DistMetadata| {
        md.build_requires = build_requires.clone();
        md
    };

    if let Some(pkg_info) = top("PKG-INFO") {
        let h = headers(&pkg_info);
        let version_ok = h
            .iter()
            .find(|(k, _)| k == "metadata-version")
            .and_then(|(_, v)| {
                let mut it = v.split('.').map(|p| p.parse::<u32>().ok());
                Some((it.next()??, it.next().flatten().unwrap_or(0)))
            })
            .is_some_and(|v| v >= (2, 2));
        let dynamic = h.iter().any(|(k, v)| {
            k == "dynamic" && (v.eq_ignore_ascii_case("requires-dist") || v.eq_ignore_ascii_case("requires-python"))
        });
        if version_ok && !dynamic {
            return with_build(from_core_metadata(&pkg_info, Source::PkgInfo));
        }
    }
    if let Some(project) = pyproject
        .as_ref()
        .and_then(|t| t.get("project"))
        .and_then(|p| p.as_table())
    {
        let dynamic: Vec<&str> = project
            .get("dynamic")
            .and_then(|d| d.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        if !dynamic
            .iter()
            .any(|d| *d == "dependencies" || *d == "optional-dependencies")
        {
            let strings = |v: Option<&toml::Value>| -> Vec<String> {
                v.and_then(|v| v.as_array())
                    .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
                    .unwrap_or_default()
            };
            let mut requires = strings(project.get("dependencies"));
            if let Some(opt) = project.get("optional-dependencies").and_then(|o| o.as_table()) {
                for (extra, deps) in opt {
                    for d in strings(Some(deps)) {
                        requires.push(with_extra(&d, extra));
                    }
                }
            }
            return with_build(DistMetadata {
                requires_dist: requires,
                requires_python: project
                    .get("requires-python")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                source: Source::Pyproject,
                build_requires: Vec::new(),
            });
        }
    }
    let setup_py = top("setup.py");
    let from_py = match &setup_py {
        Some(text) => setup_py_requires(text),
        None => SetupPy::NoCall,
    };
    let setup_cfg = top("setup.cfg").and_then(|t| setup_cfg_requires(&t));
    let md = match (from_py, setup_cfg) {
        (SetupPy::Literal(md), _) => md,
        (SetupPy::NoInstallRequires, Some(cfg)) | (SetupPy::NoCall, Some(cfg)) => cfg,
        (SetupPy::NoInstallRequires, None) => DistMetadata {
            requires_dist: Vec::new(),
            requires_python: None,
            source: Source::SetupPy,
            build_requires: Vec::new(),
        },
        (SetupPy::NoCall, None) | (SetupPy::Dynamic, _) => DistMetadata {
            requires_dist: Vec::new(),
            requires_python: None,
            source: Source::NeedsBuild,
            build_requires: Vec::new(),
        },
    };
    with_build(md)
}

/// Adds `extra == "name"` to a requirement's marker.
fn with_extra(req: &str, extra: &str) -> String {
    match req.split_once(';') {
        Some((spec, marker)) => format!("{} ; ({}) and extra == \"{extra}\"", spec.trim(), marker.trim()),
        None => format!("{} ; extra == \"{extra}\"", req.trim()),
    }
}

/// `[options] install_requires`, `python_requires` and `[options.extras_require]`.
/// `None` when the file has no static `install_requires` (absent or `file:`).
fn setup_cfg_requires(text: &str) -> Option<DistMetadata> {
    let mut section = String::new();
    let mut entries: Vec<(String, String, String)> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_end();
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = entries.last_mut() {
                last.2.push('\n');
                last.2.push_str(t);
            }
            continue;
        }
        if let Some(s) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = s.trim().to_string();
            continue;
        }
        if let Some((k, v)) = t.split_once(['=', ':']) {
            entries.push((section.clone(), k.trim().replace('-', "_"), v.trim().to_string()));
        }
    }
    let list = |v: &str| -> Vec<String> {
        v.split('\n')
            .map(|s| s.split(" #").next().unwrap_or("").trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let install = entries
        .iter()
        .find(|(s, k, _)| s == "options" && k == "install_requires")?;
    if install.2.starts_with("file:") || install.2.starts_with("attr:") {
        return None;
    }
    let mut requires = list(&install.2);
    for (_, extra, v) in entries.iter().filter(|(s, _, _)| s == "options.extras_require") {
        if v.starts_with("file:") {
            return None;
        }
        for d in list(v) {
            requires.push(with_extra(&d, extra));
        }
    }
    Some(DistMetadata {
        requires_dist: requires,
        requires_python: entries
            .iter()
            .find(|(s, k, _)| s == "options" && k == "python_requires")
            .map(|(_, _, v)| v.clone()),
        source: Source::SetupCfg,
        build_requires: Vec::new(),
    })
}

enum SetupPy {
    /// `setup(install_requires=[literal strings], …)`.
    Literal(DistMetadata),
    /// A `setup()` call without `install_requires` (and no `**kwargs`).
    NoInstallRequires,
    /// No `setup()` call found at module level.
    NoCall,
    /// Something only running the file could tell.
    Dynamic,
}

/// Reads literal `install_requires`/`extras_require`/`python_requires` from setup.py
/// by parsing it. Names bound at module level to a literal are followed once.
fn setup_py_requires(text: &str) -> SetupPy {
    let Ok(parsed) = ruff_python_parser::parse_module(text) else {
        return SetupPy::Dynamic;
    };
    let body = &parsed.syntax().body;
    let mut bindings: Vec<(&str, &Expr)> = Vec::new();
    let mut call = None;
    for stmt in body {
        match stmt {
            Stmt::Assign(a) => {
                for t in &a.targets {
                    if let Expr::Name(n) = t {
                        bindings.push((n.id.as_str(), &a.value));
                    }
                }
            }
            Stmt::Expr(e) => {
                if let Expr::Call(c) = e.value.as_ref() {
                    let is_setup = match c.func.as_ref() {
                        Expr::Name(n) => n.id.as_str() == "setup",
                        Expr::Attribute(a) => a.attr.as_str() == "setup",
                        _ => false,
                    };
                    if is_setup {
                        call = Some(c);
                    }
                }
            }
            Stmt::If(i) => {
                // `if __name__ == "__main__": setup(...)`
                for s in &i.body {
                    if let Stmt::Expr(e) = s {
                        if let Expr::Call(c) = e.value.as_ref() {
                            if matches!(c.func.as_ref(), Expr::Name(n) if n.id.as_str() == "setup") {
                                call = Some(c);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let Some(call) = call else { return SetupPy::NoCall };
    let lookup = |e: &'_ Expr| -> Option<Expr> {
        match e {
            Expr::Name(n) => bindings
                .iter()
                .rev()
                .find(|(k, _)| *k == n.id.as_str())
                .map(|(_, v)| (*v).clone()),
            other => Some(other.clone()),
        }
    };
    let strings = |e: &Expr| -> Option<Vec<String>> {
        let e = lookup(e)?;
        let elts = match &e {
            Expr::List(l) => &l.elts,
            Expr::Tuple(t) => &t.elts,
            Expr::StringLiteral(s) => return Some(s.value.to_str().lines().map(str::to_string).collect()),
            _ => return None,
        };
        elts.iter()
            .map(|x| match x {
                Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
                _ => None,
            })
            .collect()
    };
    let mut requires = None;
    let mut requires_python = None;
    for kw in &call.arguments.keywords {
        let Some(arg) = &kw.arg else { return SetupPy::Dynamic }; // **kwargs
        match arg.as_str() {
            "install_requires" => match strings(&kw.value) {
                Some(v) => requires = Some(v),
                None => return SetupPy::Dynamic,
            },
            "extras_require" => {
                let Some(Expr::Dict(d)) = lookup(&kw.value) else {
                    return SetupPy::Dynamic;
                };
                let mut extra_reqs = Vec::new();
                for item in &d.items {
                    let (Some(Expr::StringLiteral(k)), Some(v)) = (&item.key, strings(&item.value)) else {
                        return SetupPy::Dynamic;
                    };
                    extra_reqs.extend(v.iter().map(|r| with_extra(r, k.value.to_str())));
                }
                requires.get_or_insert_with(Vec::new).extend(extra_reqs);
            }
            "python_requires" => match lookup(&kw.value) {
                Some(Expr::StringLiteral(s)) => requires_python = Some(s.value.to_str().to_string()),
                _ => return SetupPy::Dynamic,
            },
            _ => {}
        }
    }
    if !call.arguments.args.is_empty() {
        return SetupPy::Dynamic;
    }
    match requires {
        Some(r) => SetupPy::Literal(DistMetadata {
            requires_dist: r
                .into_iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty() && !s.starts_with('#'))
                .collect(),
            requires_python,
            source: Source::SetupPy,
            build_requires: Vec::new(),
        }),
        None => SetupPy::NoInstallRequires,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A `.tar.gz` of `(path, text)` members, for tests.
    pub(crate) fn sdist(files: &[(&str, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let gz = flate2::write::GzEncoder::new(&mut out, flate2::Compression::fast());
            let mut tar = tar::Builder::new(gz);
            for (path, data) in files {
                let mut header = tar::Header::new_gnu();
                header.set_size(data.len() as u64);
                header.set_mode(0o644);
                header.set_cksum();
                tar.append_data(&mut header, path, data.as_bytes()).unwrap();
            }
            tar.into_inner().unwrap().finish().unwrap();
        }
        out
    }

    #[test]
    fn pkg_info_2_2_is_trusted() {
        let b = sdist(&[(
            "foo-1.0/PKG-INFO",
            "Metadata-Version: 2.2\nName: foo\nVersion: 1.0\nRequires-Dist: bar>=1\nRequires-Python: >=3.8\n",
        )]);
        let md = from_sdist("foo-1.0.tar.gz", &b).unwrap();
        assert_eq!(md.source, Source::PkgInfo);
        assert_eq!(md.requires_dist, ["bar>=1"]);
        assert_eq!(md.requires_python.as_deref(), Some(">=3.8"));
        assert_eq!(md.build_requires, DEFAULT_BUILD_REQUIRES);
    }

    #[test]
    fn old_pkg_info_falls_through_to_pyproject() {
        let b = sdist(&[
            ("foo-1.0/PKG-INFO", "Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n"),
            (
                "foo-1.0/pyproject.toml",
                "[build-system]\nrequires = [\"hatchling\"]\n[project]\nname='foo'\ndependencies=['bar']\n[project.optional-dependencies]\nx=['baz; os_name == \"posix\"']\n",
            ),
        ]);
        let md = from_sdist("foo-1.0.tar.gz", &b).unwrap();
        assert_eq!(md.source, Source::Pyproject);
        assert_eq!(
            md.requires_dist,
            ["bar", "baz ; (os_name == \"posix\") and extra == \"x\""]
        );
        assert_eq!(md.build_requires, ["hatchling"]);
    }

    #[test]
    fn setup_py_literal_and_dynamic() {
        let lit = "from setuptools import setup\nREQS = ['requests>=2', 'idna']\nsetup(name='foo', install_requires=REQS, extras_require={'x': ['rich']}, python_requires='>=3.7')\n";
        let md = from_sdist("foo-1.0.tar.gz", &sdist(&[("foo-1.0/setup.py", lit)])).unwrap();
        assert_eq!(md.source, Source::SetupPy);
        assert_eq!(md.requires_dist, ["requests>=2", "idna", "rich ; extra == \"x\""]);
        let dynamic = "from setuptools import setup\nsetup(install_requires=open('r.txt').read().split())\n";
        let md = from_sdist("foo-1.0.tar.gz", &sdist(&[("foo-1.0/setup.py", dynamic)])).unwrap();
        assert_eq!(md.source, Source::NeedsBuild);
        let kwargs = "from setuptools import setup\nsetup(**kw)\n";
        let md = from_sdist("foo-1.0.tar.gz", &sdist(&[("foo-1.0/setup.py", kwargs)])).unwrap();
        assert_eq!(md.source, Source::NeedsBuild);
    }

    #[test]
    fn setup_cfg_when_setup_py_is_bare() {
        let b = sdist(&[
            ("foo-1.0/setup.py", "import setuptools\nsetuptools.setup()\n"),
            (
                "foo-1.0/setup.cfg",
                "[metadata]\nname = foo\n[options]\npython_requires = >=3.8\ninstall_requires =\n    click>=7\n    colorama; os_name == \"nt\"\n[options.extras_require]\ndev = pytest\n",
            ),
        ]);
        let md = from_sdist("foo-1.0.tar.gz", &b).unwrap();
        assert_eq!(md.source, Source::SetupCfg);
        assert_eq!(
            md.requires_dist,
            ["click>=7", "colorama; os_name == \"nt\"", "pytest ; extra == \"dev\""]
        );
        assert_eq!(md.requires_python.as_deref(), Some(">=3.8"));
    }
}
