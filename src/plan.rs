//! The install plan (CONTRACT.md `guard install --dry-run`) and its rendering.

use serde::Serialize;

use crate::inspect::Finding;
use crate::policy::Verdict;
use crate::report::Summary;

#[derive(Debug, Clone, Serialize)]
pub struct Python {
    pub executable: String,
    pub version: String,
}

/// One artifact that would be handed to pip.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedPackage {
    pub name: String,
    pub version: String,
    pub filename: String,
    pub url: String,
    pub sha256: String,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    pub build_dependency: bool,
    /// Where the dependency list came from (`core-metadata-file`, `pkg-info`, …, `needs-build`).
    pub metadata_source: crate::resolve::metadata::Source,
    /// No static metadata: only a build (running setup.py) could list its dependencies.
    pub needs_build: bool,
    /// The index the file came from (`null` for --find-links).
    pub index: Option<String>,
    /// PEP 700 upload time, when the index gave it.
    pub upload_time: Option<String>,
    /// PEP 592 yank reason, when the chosen file is yanked.
    pub yanked: Option<String>,
    /// What the user named when the file did not come from an index: a
    /// path, a URL, or `git+URL@commit`. Inspected like any index file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direct: Option<String>,
    /// The verified file in the cache (not part of the JSON plan).
    #[serde(skip)]
    pub path: std::path::PathBuf,
}

impl PlannedPackage {
    #[cfg(test)]
    pub(crate) fn for_tests(name: &str, verdict: Verdict) -> PlannedPackage {
        PlannedPackage {
            name: name.into(),
            version: "1.0".into(),
            filename: format!("{name}-1.0-py3-none-any.whl"),
            url: String::new(),
            sha256: "0".repeat(64),
            verdict,
            findings: Vec::new(),
            build_dependency: false,
            metadata_source: crate::resolve::metadata::Source::NeedsBuild,
            needs_build: false,
            index: None,
            upload_time: None,
            yanked: None,
            direct: None,
            path: std::path::PathBuf::from(format!("/cache/{name}")),
        }
    }
}

/// One of the user's own local projects: not judged (`verdict: local`), built
/// by pip after everything it pulls in was inspected and approved.
#[derive(Debug, Clone, Serialize)]
pub struct LocalEntry {
    pub name: String,
    pub path: String,
    pub editable: bool,
    pub verdict: &'static str,
    /// Where its dependencies were read from (`pyproject`, `setup-cfg`, …, `build-hook`).
    pub metadata_source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub schema: u32,
    pub python: Python,
    pub packages: Vec<PlannedPackage>,
    /// The user's own projects, installed after the packages (not inspected as third-party code).
    pub local: Vec<LocalEntry>,
    pub summary: Summary,
}

impl Plan {
    pub fn new(python: Python, packages: Vec<PlannedPackage>, seconds: f64) -> Plan {
        let summary = Summary::count(packages.iter().map(|p| p.verdict), seconds);
        Plan {
            schema: 1,
            python,
            packages,
            local: Vec::new(),
            summary,
        }
    }

    pub fn all_allowed(&self) -> bool {
        self.packages.iter().all(|p| p.verdict == Verdict::Allow)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// A table: verdict, name, version, file, then findings indented.
    pub fn to_human(&self) -> String {
        let mut out = format!("Python {} ({})\n", self.python.version, self.python.executable);
        let w_name = self.packages.iter().map(|p| p.name.len()).max().unwrap_or(4).max(4);
        let w_ver = self.packages.iter().map(|p| p.version.len()).max().unwrap_or(7).max(7);
        out.push_str(&format!(
            "{:<7} {:<w_name$}  {:<w_ver$}  {}\n",
            "VERDICT", "NAME", "VERSION", "FILE"
        ));
        for p in &self.packages {
            let mut file = p.filename.clone();
            if p.build_dependency {
                file.push_str("  (build dependency)");
            }
            if p.needs_build {
                file.push_str("  (needs build: dependencies unknown)");
            }
            if let Some(d) = &p.direct {
                file.push_str(&format!("  (from {d})"));
            }
            out.push_str(&format!(
                "{:<7} {:<w_name$}  {:<w_ver$}  {file}\n",
                p.verdict.as_str(),
                p.name,
                p.version
            ));
            for f in &p.findings {
                let loc = match (&f.file, f.line) {
                    (Some(file), Some(line)) => format!(" {file}:{line}"),
                    (Some(file), None) => format!(" {file}"),
                    _ => String::new(),
                };
                out.push_str(&format!(
                    "        {} {}{loc}: {}\n",
                    f.severity.as_str(),
                    f.rule,
                    f.message
                ));
            }
        }
        for l in &self.local {
            let mode = if l.editable { ", editable" } else { "" };
            out.push_str(&format!(
                "{:<7} {:<w_name$}  {:<w_ver$}  {}  (your project{mode}; dependencies from {})\n",
                l.verdict, l.name, "", l.path, l.metadata_source
            ));
        }
        out.push_str(&format!(
            "{} package(s): {} allow, {} review, {} deny in {:.2}s\n",
            self.packages.len(),
            self.summary.allow,
            self.summary.review,
            self.summary.deny,
            self.summary.seconds
        ));
        out
    }
}
