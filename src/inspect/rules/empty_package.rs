use super::metadata_signals;
use crate::declare_rule;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Role, Severity};

declare_rule! {
    /// ## What it does
    /// Flags an artifact that ships nothing to use: no module with a function,
    /// class, import or call, no native library, no dependencies and almost no
    /// data, under metadata that marks it as a placeholder (a "dummy" or
    /// "stub" description, `UNKNOWN` summary, no author, version `0.0.0`).
    ///
    /// ## Why is this bad?
    /// Empty uploads under a name are how dependency-confusion probes and name
    /// holders look: the name is what matters to whoever uploaded it. If you
    /// meant an internal package, your index configuration is resolving it from
    /// the public index; if you typed a name, it is probably not the project
    /// you wanted. Either way there is nothing here worth installing.
    ///
    /// ## Example
    /// ```text
    /// Name: internal-billing-utils        # Error
    /// Version: 0.0.0
    /// Summary: Dummy internal-billing-utils package for PyPI
    /// (members: PKG-INFO, README.md, pyproject.toml)
    ///
    /// Name: jupyter                       # No error: a meta-package with dependencies
    /// Requires-Dist: notebook
    /// ```
    ///
    /// ## False positives
    /// Genuine meta-packages declare dependencies and are not flagged, nor is
    /// an empty package whose metadata is complete.
    EmptyPackage, id = "empty-package", severity = High,
    summary = "ships no code, data or dependencies under placeholder metadata"
}

/// Bytes of other (non-Python, non-metadata, non-documentation) files that
/// count as substance: a data-only package is not empty.
const MAX_DATA: u64 = 64 << 10;

/// Words with which placeholder uploads describe themselves.
const PLACEHOLDER_WORDS: &[&str] = &[
    "dummy",
    "placeholder",
    "dependency confusion",
    "dependency-confusion",
    "security holding",
    "reserved",
    "name squatting",
];

/// An egg-info `requires.txt` naming a requirement (extras sections count).
fn declares_requirements(data: &[u8]) -> bool {
    crate::inspect::lossy(data)
        .lines()
        .map(str::trim)
        .any(|l| !l.is_empty() && !l.starts_with('[') && !l.starts_with('#'))
}

/// A file that starts as a Python program would (`#!/usr/bin/env python`).
fn python_program(data: &[u8]) -> bool {
    let first = data.split(|b| *b == b'\n').next().unwrap_or_default();
    first.starts_with(b"#!") && first.windows(6).any(|w| w == b"python")
}

impl Rule for EmptyPackage {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        let Some((path, md)) = &analysis.metadata else {
            return;
        };
        if !md.requires_dist.is_empty() || analysis.listing.error.is_some() {
            return;
        }
        let code = analysis.files.iter().any(|f| {
            !matches!(f.role, Role::SetupScript | Role::Auxiliary | Role::BuildHook)
                && (!f.calls.is_empty() || !f.imports.is_empty() || !f.classes.is_empty() || meaningful_lines(f) > 10)
        });
        if code {
            return;
        }
        let mut data = 0u64;
        for m in &analysis.listing.members {
            // Dependencies an old sdist declares only in its egg-info (metadata 1.x
            // has no `Requires-Dist`), and a Python program installed as a command
            // (`scripts=["bin/garden"]`): something to use.
            if m.path.ends_with(".egg-info/requires.txt") && declares_requirements(&m.data) {
                return;
            }
            if m.size > 256 && python_program(&m.data) {
                return;
            }
            let lower = m.path.to_ascii_lowercase();
            let name = lower.rsplit('/').next().unwrap_or(&lower);
            // Type stubs are the content of `types-*` packages.
            if is_native(name) || (name.ends_with(".pyi") && m.size > 64) {
                return;
            }
            let paperwork = crate::inspect::python::is_source(&lower)
                || lower.ends_with(".pyi")
                || lower.contains(".dist-info/")
                || lower.contains(".egg-info/")
                || [
                    "pkg-info",
                    "setup.cfg",
                    "pyproject.toml",
                    "manifest.in",
                    "py.typed",
                    "requirements.txt",
                ]
                .contains(&name)
                || [".md", ".rst", ".txt"].iter().any(|e| name.ends_with(e))
                || name.starts_with("license")
                || name.starts_with("licence")
                || name.starts_with("readme")
                || name.starts_with("copying");
            if !paperwork {
                data += m.size;
            }
        }
        if data > MAX_DATA {
            return;
        }
        let raw = metadata_signals::raw_metadata(analysis, path);
        // A missing author alone is common in honest deprecation shells.
        let mut signs: Vec<String> = metadata_signals::signals(md, &raw)
            .into_iter()
            .filter(|s| !s.starts_with("no author"))
            .collect();
        let text = format!(
            "{} {}",
            md.summary.as_deref().unwrap_or(""),
            md.description.as_deref().unwrap_or("")
        )
        .to_ascii_lowercase();
        if let Some(word) = PLACEHOLDER_WORDS.iter().find(|w| text.contains(*w)) {
            signs.push(format!("describes itself as {word:?}"));
        }
        // An empty package with honest metadata (a package kept for its name
        // by its own project, a template) is not reported.
        if signs.is_empty() {
            return;
        }
        let why = format!("; placeholder metadata: {}", signs.join(", "));
        out.push(Finding {
            stage: None,
            rule: Self::META.id,
            severity: Severity::High,
            file: Some(path.clone()),
            line: None,
            message: format!(
                "ships no importable code, native library, data or dependencies: a name placeholder or probe \
                 (whatever it does happens in its build script){why}"
            ),
            snippet: None,
        });
    }
}

/// Lines that are neither blank nor comments: `def info(): return "dummy"` is not a library.
fn meaningful_lines(f: &crate::inspect::python::PyFile) -> usize {
    f.source
        .lines()
        .filter(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .take(11)
        .count()
}

fn is_native(name: &str) -> bool {
    [".so", ".pyd", ".dll", ".dylib", ".exe", ".whl", ".jar", ".wasm"]
        .iter()
        .any(|e| name.ends_with(e))
        || name.contains(".so.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::rules::artifact_fixture::{findings, pkg_info, Artifact};

    const ID: &str = EmptyPackage::META.id;

    #[test]
    fn fires_on() {
        let a = Artifact {
            filename: "acme-billing-0.0.0.tar.gz".into(),
            members: vec![
                (
                    "acme-billing-0.0.0/PKG-INFO".into(),
                    "Metadata-Version: 2.1\nName: acme-billing\nVersion: 0.0.0\nSummary: Dummy acme-billing package \
                     for PyPI\nAuthor-email: Your Name <you@example.com>\n"
                        .into(),
                ),
                ("acme-billing-0.0.0/README.md".into(), "# acme-billing\n".into()),
                (
                    "acme-billing-0.0.0/pyproject.toml".into(),
                    "[project]\nname = \"acme-billing\"\n".into(),
                ),
            ],
        };
        let f = findings(&a, ID);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Severity::High);
        assert!(f[0].message.contains("dummy"), "{}", f[0].message);
        // A comment or a function returning a string changes nothing.
        let a = a.with_file(
            "src/acme_billing/__init__.py",
            "# nothing\ndef info():\n    return 'dummy'\n",
        );
        let f = findings(&a, ID);
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn quiet_on() {
        // A module that does something.
        let a = Artifact::wheel("widgets", "1.0").with_file(
            "widgets/core.py",
            "import math\ndef area(r):\n    return math.pi * r * r\n",
        );
        assert!(findings(&a, ID).is_empty());
        // A meta-package: no code, but dependencies.
        let meta = format!("{}Requires-Dist: notebook\n", pkg_info("suite", "1.0"));
        let a =
            Artifact::wheel("suite", "1.0").with_metadata(&meta.replacen("\n\n", "\nRequires-Dist: notebook\n\n", 1));
        assert!(findings(&a, ID).is_empty());
        // A data-only package.
        let a = Artifact::wheel("zonedata", "2024.1").with_file("zonedata/zones.bin", &"x".repeat(100_000));
        assert!(findings(&a, ID).is_empty());
        // Empty with complete metadata.
        assert!(findings(&Artifact::wheel("widgets", "1.0"), ID).is_empty());
    }

    #[test]
    fn quiet_on_an_old_sdist_with_egg_info_requirements_or_a_script() {
        // Held-out pop-f: metadata 1.0 keeps `install_requires` in egg-info only, and
        // the program is `bin/garden`, installed as a command.
        let pkg = "Metadata-Version: 1.0\nName: garden\nVersion: 0.1.5\nSummary: UNKNOWN\nDescription: UNKNOWN\n";
        let base = Artifact {
            filename: "garden-0.1.5.tar.gz".into(),
            members: vec![
                ("garden-0.1.5/PKG-INFO".into(), pkg.into()),
                ("garden-0.1.5/garden/__init__.py".into(), String::new()),
            ],
        };
        assert_eq!(findings(&base, ID).len(), 1, "the bare shell is a placeholder");
        let mut deps = base.clone();
        deps.members
            .push(("garden-0.1.5/garden.egg-info/requires.txt".into(), "requests\n".into()));
        assert!(findings(&deps, ID).is_empty());
        let mut script = base.clone();
        let program = format!("#!/usr/bin/env python\nimport sys\n{}", "print(sys.argv)\n".repeat(30));
        script.members.push(("garden-0.1.5/bin/garden".into(), program));
        assert!(findings(&script, ID).is_empty());
        // An empty requires.txt or a shell script is still nothing to use.
        let mut empty = base.clone();
        empty
            .members
            .push(("garden-0.1.5/garden.egg-info/requires.txt".into(), "\n".into()));
        empty.members.push((
            "garden-0.1.5/bin/x".into(),
            format!("#!/bin/sh\n{}", "echo\n".repeat(80)),
        ));
        assert_eq!(findings(&empty, ID).len(), 1);
    }
}
