//! Dependency metadata read statically: core metadata files, wheel METADATA,
//! sdist PKG-INFO (Metadata-Version ≥ 2.2 without dynamic Requires-Dist),
//! pyproject `[project]`, setup.cfg, and literal `install_requires` in
//! setup.py (parsed, never executed). When none is static, the sdist
//! "needs a build" and guard says so instead of running anything.

use serde::Serialize;

use ruff_python_ast::{Expr, Stmt};

use crate::archive::{self, Limits};
use crate::bounded::{self, Exceeded};

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
    #[error("{message}")]
    Unreadable { filename: String, message: String },
    /// Over one of [`bounded`]'s budgets: hostile or broken, never parsed further.
    #[error(transparent)]
    Exceeded(#[from] Exceeded),
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

/// Refuses more dependencies or extras than [`bounded`] allows one package.
fn within_budget(what: &str, requires: usize, extras: usize) -> Result<(), Exceeded> {
    bounded::count(what, "dependencies", requires, bounded::MAX_REQUIREMENTS)?;
    bounded::count(what, "extras", extras, bounded::MAX_EXTRAS)
}

/// Parses core metadata (`METADATA`, `PKG-INFO`, PEP 658 file); `what` names
/// it in errors.
pub fn from_core_metadata(what: &str, text: &str, source: Source) -> Result<DistMetadata, Exceeded> {
    bounded::size(what, text.len(), bounded::MAX_TEXT)?;
    let h = headers(text);
    let requires_dist: Vec<String> = h
        .iter()
        .filter(|(k, _)| k == "requires-dist")
        .map(|(_, v)| v.clone())
        .collect();
    within_budget(
        what,
        requires_dist.len(),
        h.iter().filter(|(k, _)| k == "provides-extra").count(),
    )?;
    Ok(DistMetadata {
        requires_dist,
        requires_python: h
            .iter()
            .find(|(k, _)| k == "requires-python")
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty()),
        source,
        build_requires: Vec::new(),
    })
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
        &member.path,
        &String::from_utf8_lossy(&member.data),
        Source::WheelMetadata,
    )?)
}

/// The default build requirements when an sdist has no `[build-system]`.
pub const DEFAULT_BUILD_REQUIRES: [&str; 2] = ["setuptools>=40.8.0", "wheel"];

/// The top-level files of an sdist that its dependencies are read from.
#[derive(Debug, Clone, Default)]
pub struct SdistTexts {
    pub pkg_info: Option<String>,
    pub pyproject: Option<String>,
    pub setup_py: Option<String>,
    pub setup_cfg: Option<String>,
}

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
    from_tree(&top)
}

/// Reads a source tree's dependencies statically from its top-level files
/// (`PKG-INFO`, `pyproject.toml`, `setup.cfg`, `setup.py`), given by `top`:
/// an sdist's members or a local project directory.
pub fn from_tree(top: &dyn Fn(&str) -> Option<String>) -> Result<DistMetadata, Error> {
    from_sdist_texts(&SdistTexts {
        pkg_info: top("PKG-INFO"),
        pyproject: top("pyproject.toml"),
        setup_py: top("setup.py"),
        setup_cfg: top("setup.cfg"),
    })
}

/// Reads dependencies from an sdist's top-level files, in the order of trust:
/// PKG-INFO ≥ 2.2, pyproject `[project]`, literal setup.py, setup.cfg.
pub fn from_sdist_texts(texts: &SdistTexts) -> Result<DistMetadata, Error> {
    let pyproject = match &texts.pyproject {
        Some(t) => bounded::toml("pyproject.toml", t)?,
        None => None,
    };
    let build_requires: Vec<String> = pyproject
        .as_ref()
        .and_then(|t| t.get("build-system"))
        .and_then(|b| b.get("requires"))
        .and_then(|r| r.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_else(|| DEFAULT_BUILD_REQUIRES.map(String::from).to_vec());
    bounded::count(
        "pyproject.toml [build-system]",
        "build requirements",
        build_requires.len(),
        bounded::MAX_REQUIREMENTS,
    )?;
    let with_build = |mut md: DistMetadata| {
        md.build_requires = build_requires.clone();
        md
    };

    if let Some(pkg_info) = &texts.pkg_info {
        bounded::size("PKG-INFO", pkg_info.len(), bounded::MAX_TEXT)?;
        let h = headers(pkg_info);
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
            return Ok(with_build(from_core_metadata("PKG-INFO", pkg_info, Source::PkgInfo)?));
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
            let opt = project.get("optional-dependencies").and_then(|o| o.as_table());
            within_budget("pyproject.toml", requires.len(), opt.map_or(0, |o| o.len()))?;
            for (extra, deps) in opt.into_iter().flatten() {
                for d in strings(Some(deps)) {
                    requires.push(with_extra(&d, extra));
                }
                within_budget("pyproject.toml", requires.len(), 0)?;
            }
            return Ok(with_build(DistMetadata {
                requires_dist: requires,
                requires_python: project
                    .get("requires-python")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
                source: Source::Pyproject,
                build_requires: Vec::new(),
            }));
        }
    }
    let from_py = match &texts.setup_py {
        Some(text) => setup_py_requires(text)?,
        None => SetupPy::NoCall,
    };
    let setup_cfg = match &texts.setup_cfg {
        Some(t) => setup_cfg_requires(t)?,
        None => None,
    };
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
    Ok(with_build(md))
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
fn setup_cfg_requires(text: &str) -> Result<Option<DistMetadata>, Exceeded> {
    bounded::size("setup.cfg", text.len(), bounded::MAX_TEXT)?;
    let mut section = String::new();
    let mut entries: Vec<(String, String, String)> = Vec::new();
    // Requirement lines and extras declared, counted as read: past the budget
    // nothing more is kept, so 300,000 lines cost one pass and no allocation.
    let (mut declared, mut extras, mut counting) = (0usize, 0usize, false);
    for raw in text.lines() {
        // Indentation and comments by hand: this loop sees every line of a
        // hostile file, and str's generic trimming is slow in debug builds.
        let bytes = raw.as_bytes();
        let indent = bytes.iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
        if matches!(bytes.get(indent), None | Some(b'#' | b';')) {
            continue;
        }
        if indent > 0 {
            declared += usize::from(counting);
            if declared > bounded::MAX_REQUIREMENTS {
                continue;
            }
            let t = raw.trim();
            if let (Some(last), false) = (entries.last_mut(), t.is_empty()) {
                last.2.push('\n');
                last.2.push_str(t);
            }
            continue;
        }
        let t = raw.trim();
        if t.is_empty() {
            continue;
        }
        if let Some(s) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = s.trim().to_string();
            continue;
        }
        if let Some((k, v)) = t.split_once(['=', ':']) {
            let key = k.trim().replace('-', "_");
            counting = (section == "options" && key == "install_requires") || section == "options.extras_require";
            extras += usize::from(section == "options.extras_require");
            declared += usize::from(counting && !v.trim().is_empty());
            entries.push((section.clone(), key, v.trim().to_string()));
        }
    }
    within_budget("setup.cfg", declared, extras)?;
    let list = |v: &str| -> Vec<String> {
        v.split('\n')
            .map(|s| s.split(" #").next().unwrap_or("").trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let Some(install) = entries
        .iter()
        .find(|(s, k, _)| s == "options" && k == "install_requires")
    else {
        return Ok(None);
    };
    if install.2.starts_with("file:") || install.2.starts_with("attr:") {
        return Ok(None);
    }
    let mut requires = list(&install.2);
    let extras: Vec<_> = entries
        .iter()
        .filter(|(s, _, _)| s == "options.extras_require")
        .collect();
    within_budget("setup.cfg", requires.len(), extras.len())?;
    for (_, extra, v) in extras {
        if v.starts_with("file:") {
            return Ok(None);
        }
        for d in list(v) {
            requires.push(with_extra(&d, extra));
        }
        within_budget("setup.cfg", requires.len(), 0)?;
    }
    Ok(Some(DistMetadata {
        requires_dist: requires,
        requires_python: entries
            .iter()
            .find(|(s, k, _)| s == "options" && k == "python_requires")
            .map(|(_, _, v)| v.clone()),
        source: Source::SetupCfg,
        build_requires: Vec::new(),
    }))
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
fn setup_py_requires(text: &str) -> Result<SetupPy, Exceeded> {
    bounded::python("setup.py", text, |module| match module {
        Some(m) => setup_call(&m.body),
        None => Ok(SetupPy::Dynamic),
    })?
}

/// The literal arguments of the module-level `setup()` call in `body`.
fn setup_call(body: &[Stmt]) -> Result<SetupPy, Exceeded> {
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
    let Some(call) = call else { return Ok(SetupPy::NoCall) };
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
        let Some(arg) = &kw.arg else {
            return Ok(SetupPy::Dynamic);
        }; // **kwargs
        match arg.as_str() {
            "install_requires" => match strings(&kw.value) {
                Some(v) => {
                    // Before any extras read already (`extras_require=` may come first).
                    let all = requires.get_or_insert_with(Vec::new);
                    all.splice(0..0, v);
                    within_budget("setup.py", all.len(), 0)?;
                }
                None => return Ok(SetupPy::Dynamic),
            },
            "extras_require" => {
                let Some(Expr::Dict(d)) = lookup(&kw.value) else {
                    return Ok(SetupPy::Dynamic);
                };
                within_budget("setup.py", 0, d.items.len())?;
                let mut extra_reqs = Vec::new();
                for item in &d.items {
                    let (Some(Expr::StringLiteral(k)), Some(v)) = (&item.key, strings(&item.value)) else {
                        return Ok(SetupPy::Dynamic);
                    };
                    extra_reqs.extend(v.iter().map(|r| with_extra(r, k.value.to_str())));
                    within_budget("setup.py", extra_reqs.len(), 0)?;
                }
                let all = requires.get_or_insert_with(Vec::new);
                all.extend(extra_reqs);
                within_budget("setup.py", all.len(), 0)?;
            }
            "python_requires" => match lookup(&kw.value) {
                Some(Expr::StringLiteral(s)) => requires_python = Some(s.value.to_str().to_string()),
                _ => return Ok(SetupPy::Dynamic),
            },
            _ => {}
        }
    }
    if !call.arguments.args.is_empty() {
        return Ok(SetupPy::Dynamic);
    }
    Ok(match requires {
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
    })
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

    /// Issue 14: every reader is bounded, on the test harness's 2 MiB stack.
    #[test]
    fn budgets_refuse_deep_and_long_texts() {
        let deep = |open: &str, close: &str| format!("{}{}", open.repeat(100_000), close.repeat(100_000));
        let setup_py = SdistTexts {
            setup_py: Some(format!("x = {}\nsetup(install_requires=['a'])\n", deep("[", "]"))),
            ..Default::default()
        };
        let e = from_sdist_texts(&setup_py).unwrap_err();
        assert!(
            e.to_string().starts_with("setup.py nests deeper than guard reads"),
            "{e}"
        );
        let pyproject = SdistTexts {
            pyproject: Some(format!("[project]\ndependencies = {}\n", deep("[", "]"))),
            ..Default::default()
        };
        let e = from_sdist_texts(&pyproject).unwrap_err();
        assert!(e.to_string().starts_with("pyproject.toml nests deeper"), "{e}");
        let inline = SdistTexts {
            pyproject: Some(format!("[project]\nx = {}\n", deep("{a=", "}"))),
            ..Default::default()
        };
        assert!(from_sdist_texts(&inline).is_err());

        let many: String = (0..300_000).map(|i| format!("    dep{i}\n")).collect();
        let cfg = SdistTexts {
            setup_cfg: Some(format!("[options]\ninstall_requires =\n{many}")),
            ..Default::default()
        };
        let e = from_sdist_texts(&cfg).unwrap_err();
        assert_eq!(
            e.to_string(),
            "setup.cfg declares 300000 dependencies; guard reads at most 5000 per package"
        );
        let extras: String = (0..2_000).map(|i| format!("x{i} = a\n")).collect();
        let cfg = SdistTexts {
            setup_cfg: Some(format!(
                "[options]\ninstall_requires = a\n[options.extras_require]\n{extras}"
            )),
            ..Default::default()
        };
        assert!(from_sdist_texts(&cfg).unwrap_err().to_string().contains("2000 extras"));
        let lines: String = (0..5_001).map(|i| format!("Requires-Dist: d{i}\n")).collect();
        let e = from_core_metadata(
            "METADATA",
            &format!("Metadata-Version: 2.1\n{lines}"),
            Source::WheelMetadata,
        );
        assert!(e.unwrap_err().to_string().contains("5001 dependencies"));
        let list: String = (0..5_001).map(|i| format!("'d{i}',")).collect();
        let setup_py = SdistTexts {
            setup_py: Some(format!(
                "from setuptools import setup\nsetup(install_requires=[{list}])\n"
            )),
            ..Default::default()
        };
        assert!(from_sdist_texts(&setup_py)
            .unwrap_err()
            .to_string()
            .contains("setup.py declares 5001"));
    }

    #[test]
    fn setup_py_extras_before_install_requires_are_kept() {
        let src = "from setuptools import setup\nsetup(extras_require={'x': ['rich']}, install_requires=['idna'])\n";
        let md = from_sdist_texts(&SdistTexts {
            setup_py: Some(src.into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(md.requires_dist, ["idna", "rich ; extra == \"x\""]);
    }
}
