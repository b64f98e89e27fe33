//! When a file's code runs: at install, at interpreter start-up, on import, or
//! only when something calls it. The same pattern weighs differently in each.

use crate::archive::Kind;
pub use crate::finding::Stage;

/// What a file is, from its path inside the artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// `setup.py` at the sdist root: runs on `pip install`.
    SetupScript,
    /// A `.pth` file: its `import` lines run at every interpreter start-up.
    Pth,
    /// An in-tree build backend or other file run while building.
    BuildHook,
    /// A module next to `setup.py` that `setup.py` imports: its top level runs
    /// at install time, its functions when setup.py calls them.
    SetupImport,
    /// A package `__init__.py`: its top level runs on import.
    PackageInit,
    /// Any other module: its top level runs on import.
    Module,
    /// An installed script (`*.data/scripts/`, `bin/`).
    Script,
    /// Tests, docs, examples, benchmarks: not run by installing or importing.
    Auxiliary,
}

impl Role {
    /// Classifies a member path. `root` is the sdist's top directory (`name-1.0`), if any.
    pub fn of(path: &str, kind: Kind) -> Role {
        let lower = path.to_ascii_lowercase();
        let parts: Vec<&str> = lower.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
        let file = parts.last().copied().unwrap_or("");
        if file.ends_with(".pth") {
            return Role::Pth;
        }
        let depth = parts.len();
        let at_root = match kind {
            Kind::Sdist => depth <= 2,
            Kind::Wheel | Kind::Egg => depth <= 1,
        };
        if file == "setup.py" && at_root {
            return Role::SetupScript;
        }
        if kind != Kind::Wheel
            && at_root
            && matches!(
                file,
                "build.py" | "build_backend.py" | "_build.py" | "hatch_build.py" | "pdm_build.py"
            )
        {
            return Role::BuildHook;
        }
        if parts.iter().any(|p| p.ends_with(".data")) && parts.contains(&"scripts") {
            return Role::Script;
        }
        // Developer tooling at the top of an sdist is never installed or imported.
        const SDIST_TOOLING: &[&str] = &[
            "tools",
            "scripts",
            "ci",
            "dev",
            "devscripts",
            "devtools",
            "build_tools",
            "benchmarks",
            "misc",
            "utils",
            ".github",
            "tasks",
        ];
        if kind == Kind::Sdist && depth >= 3 && SDIST_TOOLING.contains(&parts[1]) {
            return Role::Auxiliary;
        }
        let aux = [
            "test",
            "tests",
            "testing",
            "docs",
            "doc",
            "examples",
            "example",
            "benchmarks",
            "benchmark",
            "bench",
            "samples",
            "sample",
            "demo",
            "demos",
        ];
        let dirs = &parts[..depth.saturating_sub(1)];
        if kind == Kind::Sdist
            && dirs
                .iter()
                .any(|p| matches!(*p, "third_party" | "third-party" | "external" | "vendor"))
        {
            return Role::Auxiliary;
        }
        if dirs
            .iter()
            .any(|p| aux.contains(p) || p.contains(" test") || p.starts_with("test_") || p.ends_with("_tests"))
            || file.starts_with("test_")
            || file.ends_with("_test.py")
            || file == "conftest.py"
        {
            return Role::Auxiliary;
        }
        if file == "__init__.py" {
            return Role::PackageInit;
        }
        Role::Module
    }

    /// The stage of code in this file, given whether it sits at module top level.
    pub fn stage(self, top_level: bool) -> Stage {
        match self {
            Role::SetupScript | Role::Pth | Role::BuildHook => Stage::Install,
            Role::SetupImport if top_level => Stage::Install,
            Role::SetupImport => Stage::Call,
            Role::Auxiliary => Stage::Auxiliary,
            Role::PackageInit | Role::Module | Role::Script if top_level => Stage::Import,
            Role::PackageInit | Role::Module | Role::Script => Stage::Call,
        }
    }
}

/// The first folder of a member path that cannot be a package name
/// (`docs-sphinx`, `+project_dir+`), skipping the sdist's top folder and a
/// wheel's `*.data/purelib/` prefix; else, inside a folder, a module name that
/// cannot be imported (`collect-symbols` of `cmake/collect-symbols.py`).
pub fn non_package_dir(path: &str, kind: Kind) -> Option<&str> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    let dirs = &parts[..parts.len().saturating_sub(1)];
    let skip = match kind {
        Kind::Sdist => 1,
        Kind::Wheel | Kind::Egg if dirs.first().is_some_and(|p| p.ends_with(".data")) => 2,
        Kind::Wheel | Kind::Egg => 0,
    };
    if let Some(d) = dirs.iter().skip(skip).find(|d| !is_identifier(d)) {
        return Some(d);
    }
    // A module whose own name is no identifier (`cmake/collect-symbols.py`)
    // cannot be imported either: it is a script somebody runs by path (issue 11).
    let stem = parts.last()?.strip_suffix(".py")?;
    (dirs.len() > skip && !is_identifier(stem)).then_some(stem)
}

/// A valid Python identifier: the only names an importable package folder has.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_') && chars.all(|c| c.is_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles() {
        assert_eq!(Role::of("foo-1.0/setup.py", Kind::Sdist), Role::SetupScript);
        assert_eq!(Role::of("foo-1.0/sub/setup.py", Kind::Sdist), Role::Module);
        assert_eq!(Role::of("foo.pth", Kind::Wheel), Role::Pth);
        assert_eq!(Role::of("foo/__init__.py", Kind::Wheel), Role::PackageInit);
        assert_eq!(Role::of("foo-1.0/tests/test_x.py", Kind::Sdist), Role::Auxiliary);
        assert_eq!(Role::of("foo-1.0.data/scripts/run", Kind::Wheel), Role::Script);
        assert_eq!(Role::of("foo-1.0/tools/release.py", Kind::Sdist), Role::Auxiliary);
        assert_eq!(Role::of("foo/tools/release.py", Kind::Wheel), Role::Module);
        assert_eq!(
            non_package_dir("foo-1.0/pkg/cmake/collect-symbols.py", Kind::Sdist),
            Some("collect-symbols")
        );
        assert_eq!(non_package_dir("pkg/cmake/collect_symbols.py", Kind::Wheel), None);
        assert_eq!(
            non_package_dir("foo-1.0/docs-sphinx/conf.py", Kind::Sdist),
            Some("docs-sphinx")
        );
        assert_eq!(
            non_package_dir("foo-1.0/src/foo/t/+dir+/b.py", Kind::Sdist),
            Some("+dir+")
        );
        assert_eq!(non_package_dir("foo-1.0/src/foo/core.py", Kind::Sdist), None);
        assert_eq!(non_package_dir("foo-1.0.data/purelib/foo/core.py", Kind::Wheel), None);
        assert_eq!(Role::SetupImport.stage(true), Stage::Install);
        assert_eq!(Role::SetupImport.stage(false), Stage::Call);
        assert_eq!(Role::SetupScript.stage(false), Stage::Install);
        assert_eq!(Role::Module.stage(true), Stage::Import);
        assert_eq!(Role::Module.stage(false), Stage::Call);
    }
}
