use crate::declare_rule;
use crate::inspect::python::Sink;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Role, Stage};
use crate::metadata;
use crate::names;

declare_rule! {
    /// ## What it does
    /// Flags an artifact whose name (in its metadata or its file name) imitates
    /// a popular project without being it: an adjacent swap (`reqeusts`), a
    /// repeated, omitted or inserted letter (`numpyy`, `urlib3`, `colourama`),
    /// a keyboard-adjacent or look-alike letter (`reqyests`, `nurnpy`, `pil1ow`),
    /// separator games (`scikitlearn`), reordered words (`dateutil-python`),
    /// `py`/`python` affixes (`python-requests`) or version suffixes (`requests2`).
    /// The finding names the imitated project and the trick. It is `high` when
    /// the target is far more popular than any unlisted name, `medium` otherwise.
    ///
    /// ## Why is this bad?
    /// Typosquats carry no clever code at all: they bet on a slip of the
    /// keyboard. Together with any suspicious code finding the artifact is denied.
    ///
    /// ## Example
    /// `reqeusts-2.31.0.tar.gz`: "`reqeusts` imitates `requests` (adjacent swap;
    /// requests has 1.3B downloads)". `requests-oauthlib`, `types-requests`,
    /// `flask-cors` and `pytest-mock` extend a popular name and are not flagged.
    ///
    /// ## False positives
    /// A genuine project whose name happens to sit one slip from a far more
    /// popular one (`toronado`/`tornado`). Allow it by name in the policy.
    Typosquat, id = "typosquat", severity = High,
    summary = "the name imitates a popular project (typo, look-alike, affix or version games)"
}

impl Rule for Typosquat {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        // A declared dependency that imitates a popular project: the package
        // itself can be clean and still install the squat (issue 11).
        if let Some((path, meta)) = &analysis.metadata {
            let own = meta.name.as_deref().map(metadata::normalize);
            let squat = meta
                .requires_dist
                .iter()
                // Extras are opt-in tooling (`precommit; extra == "dev"`).
                .filter(|req| !req.contains("extra"))
                .filter_map(|req| {
                    let name: String = req
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                        .collect();
                    (!name.is_empty() && own.as_deref() != Some(metadata::normalize(&name).as_str()))
                        .then(|| names::check_name(&name))
                        .flatten()
                })
                // Only the telling slips (swapped, doubled or look-alike letters): a
                // dependency one letter from a popular name is often a real project of
                // its own (`antio`, `precommit`, `httpx2` were measured on popular packages).
                .filter(|s| {
                    s.severity == crate::inspect::Severity::High && s.trick.strength() == names::Strength::Strong
                })
                .max_by_key(|s| (s.severity, s.target_downloads));
            if let Some(squat) = squat {
                out.push(Finding {
                    stage: None,
                    rule: Self::META.id,
                    severity: squat.severity,
                    file: Some(path.clone()),
                    line: None,
                    message: format!("declares a dependency whose name imitates a popular project: {squat}"),
                    snippet: None,
                });
            }
        }
        // `python -c "import dep"` run by setup.py: a look-alike imported (and so
        // installed by a hook, or probed) at install time (issue 11).
        let own_top: Vec<&str> = analysis.files.iter().filter_map(|f| top_module(&f.path)).collect();
        for f in analysis.files.iter().filter(|f| f.role == Role::SetupScript) {
            let inline = f
                .payloads
                .iter()
                .filter(|p| p.sink == Sink::Exec && p.stage == Stage::Install)
                .filter_map(|p| p.code.as_deref().map(|c| (p.line, c)));
            let squat = inline
                .flat_map(|(line, code)| code.imports.iter().map(move |(m, _)| (line, m)))
                .filter_map(|(line, m)| {
                    let root = m.split('.').next().unwrap_or(m);
                    (!root.is_empty() && !own_top.contains(&root))
                        .then(|| names::check_name(root))
                        .flatten()
                        .map(|s| (line, s))
                })
                .filter(|(_, s)| {
                    s.severity == crate::inspect::Severity::High && s.trick.strength() == names::Strength::Strong
                })
                .max_by_key(|(_, s)| (s.severity, s.target_downloads));
            if let Some((line, squat)) = squat {
                out.push(Finding {
                    stage: None,
                    rule: Self::META.id,
                    severity: squat.severity,
                    file: Some(f.path.clone()),
                    line: Some(line),
                    message: format!("imports a module whose name imitates a popular project at install time: {squat}"),
                    snippet: None,
                });
            }
        }
        let from_metadata = analysis.metadata.as_ref().and_then(|(_, m)| m.name.clone());
        let (from_filename, _) = metadata::from_filename(&analysis.filename);
        let Some(squat) = [from_metadata, from_filename]
            .into_iter()
            .flatten()
            .filter_map(|name| names::check_name(&name))
            .max_by_key(|s| (s.severity, s.target_downloads))
        else {
            return;
        };
        out.push(Finding {
            stage: None,
            rule: Self::META.id,
            severity: squat.severity,
            file: analysis.metadata.as_ref().map(|(path, _)| path.clone()),
            line: None,
            message: squat.to_string(),
            snippet: None,
        });
    }
}

/// The top-level module a source file provides (`pkg` of `pkg-1.0/src/pkg/x.py`), if any.
fn top_module(path: &str) -> Option<&str> {
    let parts: Vec<&str> = path.split('/').collect();
    let inner = parts.iter().skip(1).find(|p| **p != "src").copied();
    [parts.first().copied(), inner]
        .into_iter()
        .flatten()
        .map(|p| p.strip_suffix(".py").unwrap_or(p))
        .find(|p| crate::inspect::context::is_identifier(p))
}

#[cfg(test)]
mod tests {
    use crate::inspect::rules::artifact_fixture::{findings, Artifact};
    use crate::inspect::Severity;

    #[test]
    fn fires_on_inline_import_of_a_look_alike_at_install() {
        use crate::inspect::testing::setup_py;
        // Error (issue 11): setup.py makes the interpreter import a squat.
        let src = "import subprocess, sys\nsubprocess.check_call([sys.executable, '-c', 'import reqeusts'])\n";
        let f = setup_py(&super::Typosquat, src);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("imitates `requests`"), "{f:?}");
        // No error: importing the real project, or the package's own module.
        let src = "import subprocess, sys\nsubprocess.check_call([sys.executable, '-c', 'import requests, numpy'])\n";
        assert!(setup_py(&super::Typosquat, src).is_empty());
    }

    #[test]
    fn fires_on() {
        // Error: the issue's own examples, by metadata name and by file name.
        let f = findings(&Artifact::sdist("reqeusts", "2.31.0"), "typosquat");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::High);
        assert!(
            f[0].message.contains("`reqeusts` imitates `requests` (adjacent swap"),
            "{}",
            f[0].message
        );
        let f = findings(&Artifact::wheel("python_dateutils", "2.9.0"), "typosquat");
        assert!(f[0].message.contains("imitates `python-dateutil`"), "{}", f[0].message);
        // Error: metadata says `requests`, the file name squats it.
        let mut a = Artifact::sdist("requests", "2.31.0");
        a.filename = "urlib3-2.31.0.tar.gz".into();
        let f = findings(&a, "typosquat");
        assert!(f[0].message.contains("imitates `urllib3`"), "{}", f[0].message);
    }

    #[test]
    fn fires_on_a_squatted_dependency() {
        // Error (issue 11): a clean-looking package that depends on a look-alike.
        let md = "Metadata-Version: 2.1\nName: handy-tools\nVersion: 1.0\nRequires-Dist: reqeusts>=2.0\nRequires-Dist: click\n\n";
        let f = findings(&Artifact::wheel("handy_tools", "1.0").with_metadata(md), "typosquat");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].message.contains("dependency") && f[0].message.contains("`requests`"),
            "{}",
            f[0].message
        );
        // No error: ordinary dependencies, extras and markers.
        let md = "Metadata-Version: 2.1\nName: handy-tools\nVersion: 1.0\nRequires-Dist: requests[socks]>=2.0\nRequires-Dist: types-requests; extra == 'dev'\nRequires-Dist: flask-cors\nRequires-Dist: httpx2\nRequires-Dist: antio\n\n";
        assert!(findings(&Artifact::wheel("handy_tools", "1.0").with_metadata(md), "typosquat").is_empty());
    }

    #[test]
    fn quiet_on() {
        // No error: popular projects themselves and their legitimate extensions.
        for name in [
            "requests",
            "flask-cors",
            "types-requests",
            "requests-oauthlib",
            "pytest-mock",
            "my-own-tool",
        ] {
            assert!(
                findings(&Artifact::sdist(name, "1.0"), "typosquat").is_empty(),
                "{name}"
            );
        }
    }
}
