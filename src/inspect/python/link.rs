//! Links the modules of one artifact: a function that another module calls at
//! import or install time (`from .loader import run; run()` in `__init__.py`,
//! `from pkg import setup_hook; setup_hook()` in `setup.py`) runs then too.

use super::PyFile;
use crate::inspect::{Role, Stage};

/// Raises the stage of functions called from other modules' import- or
/// install-time code. `modules[i]` is the dotted module name of `files[i]`
/// (`pkg.loader`, `pkg` for `pkg/__init__.py`), empty when unknown.
///
/// Deliberately one hop and direct calls only: the module top level of a
/// package (or anywhere in `setup.py`) calling a function of a sibling module.
/// Chains through several modules are where honest packages load their
/// configuration; a dropper needs no more than one hop to hide.
pub fn link(files: &mut [PyFile], modules: &[String]) {
    let mut lifts: Vec<(usize, String, Stage)> = Vec::new();
    for (i, file) in files.iter().enumerate() {
        // `python -m pkg` runs `__main__.py`; importing the package does not.
        if file.path.ends_with("__main__.py") {
            continue;
        }
        let setup = file.role == Role::SetupScript;
        for call in file
            .calls
            .iter()
            .filter(|c| c.stage >= Stage::Import && (c.scope == 0 || setup))
        {
            let Some((module, function)) = call.name.rsplit_once('.') else {
                continue;
            };
            let Some(target) = resolve(modules, i, module, file.path.ends_with("__init__.py")) else {
                continue;
            };
            // Build helpers next to setup.py keep their own rules (they fetch sources).
            let helper = files[target].role == Role::SetupImport;
            if target != i && !helper && files[target].functions.iter().skip(1).any(|f| f == function) {
                lifts.push((target, function.to_string(), call.stage));
            }
        }
    }
    for (target, function, stage) in lifts {
        files[target].lift_functions(&[function.as_str()], stage);
    }
}

/// The file holding `module` as imported from `modules[from]` (relative
/// imports start with dots), if it is one of this artifact's modules.
fn resolve(modules: &[String], from: usize, module: &str, from_init: bool) -> Option<usize> {
    let level = module.chars().take_while(|c| *c == '.').count();
    let rest = &module[level..];
    let wanted = if level == 0 {
        rest.to_string()
    } else {
        let me = modules.get(from)?;
        if me.is_empty() {
            return None;
        }
        let mut parts: Vec<&str> = me.split('.').collect();
        // A module's package is its parent; a package `__init__` is its own.
        let up = if from_init { level - 1 } else { level };
        if up > parts.len() {
            return None;
        }
        parts.truncate(parts.len() - up);
        if !rest.is_empty() {
            parts.push(rest);
        }
        parts.join(".")
    };
    if wanted.is_empty() {
        return None;
    }
    modules.iter().position(|m| *m == wanted)
}

/// The dotted module name of an archive member: `pkg-1.0/src/pkg/io.py` →
/// `pkg.io`, `pkg/__init__.py` → `pkg`. `sdist` strips the root directory.
pub fn module_name(path: &str, sdist: bool) -> String {
    let mut rel = path;
    if sdist {
        rel = rel.split_once('/').map(|(_, r)| r).unwrap_or("");
    }
    rel = rel.strip_prefix("src/").unwrap_or(rel);
    let Some(stem) = rel.strip_suffix(".py") else {
        return String::new();
    };
    let stem = stem.strip_suffix("/__init__").unwrap_or(stem);
    if stem.is_empty() || stem.contains(['-', ' ']) {
        return String::new();
    }
    stem.replace('/', ".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::python::analyse_source;

    fn files(sources: &[(&str, Role, &str)]) -> (Vec<PyFile>, Vec<String>) {
        let files: Vec<PyFile> = sources
            .iter()
            .map(|(p, r, s)| analyse_source(p, *r, s.to_string(), 0))
            .collect();
        let modules = sources.iter().map(|(p, _, _)| module_name(p, false)).collect();
        (files, modules)
    }

    fn stage_of(file: &PyFile, name: &str) -> Stage {
        file.calls.iter().find(|c| c.name == name).unwrap().stage
    }

    #[test]
    fn relative_import_called_on_import() {
        let (mut f, m) = files(&[
            ("pkg/__init__.py", Role::PackageInit, "from .loader import go\ngo()\n"),
            (
                "pkg/loader.py",
                Role::Module,
                "import os\ndef helper():\n    os.system('x')\ndef go():\n    helper()\n",
            ),
        ]);
        assert_eq!(stage_of(&f[1], "os.system"), Stage::Call);
        link(&mut f, &m);
        assert_eq!(stage_of(&f[1], "os.system"), Stage::Import);
    }

    #[test]
    fn absolute_import_from_setup_runs_at_install() {
        let (mut f, m) = files(&[
            (
                "setup.py",
                Role::SetupScript,
                "from setuptools import setup\nfrom pkg import hook\nhook()\nsetup()\n",
            ),
            (
                "pkg/__init__.py",
                Role::PackageInit,
                "import os\ndef hook():\n    os.system('x')\n",
            ),
        ]);
        link(&mut f, &m);
        assert_eq!(stage_of(&f[1], "os.system"), Stage::Install);
    }

    #[test]
    fn functions_only_defined_stay_at_call_time() {
        let (mut f, m) = files(&[
            ("pkg/__init__.py", Role::PackageInit, "from .loader import go\n"),
            (
                "pkg/loader.py",
                Role::Module,
                "import os\ndef go():\n    os.system('x')\n",
            ),
            // A stdlib-named call is not resolved to an unrelated module.
            (
                "pkg/compat/subprocess.py",
                Role::Module,
                "import os\ndef run():\n    os.system('y')\n",
            ),
        ]);
        link(&mut f, &m);
        assert!(f[1].calls.iter().all(|c| c.stage == Stage::Call));
        assert_eq!(module_name("pkg-1.0/src/pkg/io.py", true), "pkg.io");
        assert_eq!(module_name("pkg/__init__.py", false), "pkg");
    }

    /// Issue 14: the rule-test harness links modules as the inspector does,
    /// so a rule test sees a dropper hidden one import away.
    #[test]
    fn rule_harness_links_modules() {
        use crate::inspect::{testing::analysis, Kind};
        let a = analysis(
            Kind::Wheel,
            &[
                ("pkg/__init__.py", "from .loader import go\ngo()\n"),
                ("pkg/loader.py", "import os\ndef go():\n    os.system('x')\n"),
            ],
        );
        assert_eq!(stage_of(&a.files[1], "os.system"), Stage::Import);
    }
}
