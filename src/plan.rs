//! The install plan (CONTRACT.md `guard install --dry-run`) and its rendering.

use serde::Serialize;

use std::path::{Path, PathBuf};

use crate::inspect::{Finding, Inspected, Severity};
use crate::policy::Verdict;
use crate::report::Summary;

#[derive(Debug, Clone, Serialize)]
pub struct Python {
    pub executable: String,
    pub version: String,
}

/// One artifact that would be handed to pip. Built only by
/// [`PlannedPackage::new`] from an [`Inspected`]: the file and the hash the
/// handoff pins are those of the bytes the inspector read, never anything else.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedPackage {
    pub name: String,
    pub version: String,
    pub filename: String,
    pub url: String,
    /// sha256 of exactly the bytes inspected (what pip is pinned to).
    sha256: String,
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
    /// The inspected file in the cache (not part of the JSON plan).
    #[serde(skip)]
    path: PathBuf,
}

/// Everything about a plan entry that does not come from inspection.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub name: String,
    pub version: String,
    pub filename: String,
    pub url: String,
    pub build_dependency: bool,
    pub metadata_source: crate::resolve::metadata::Source,
    pub index: Option<String>,
    pub upload_time: Option<String>,
    pub yanked: Option<String>,
    /// What the user named for a file not from an index (path, URL, `git+URL@commit`).
    pub direct: Option<String>,
    /// The hash the download was verified against.
    pub download_sha256: &'a str,
    /// The hash the index announced, when it did.
    pub index_sha256: Option<&'a str>,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
}

crate::declare_rule! {
    /// ## What it does
    /// Reports that the bytes guard inspected are not the bytes the download
    /// (or the index) was verified against: the file changed in the cache
    /// between verification and inspection, or the index contradicts itself.
    ///
    /// ## Why is this bad?
    /// The verdict would be about other bytes than the ones pip would get.
    /// guard fails closed: the package is denied, whatever the policy allows.
    ///
    /// ## Example
    /// Another process rewrites `~/.cache/guard/artifacts-v1/…/foo-1.0.tar.gz`
    /// after guard verified its sha256. An untouched cache never triggers it.
    InspectedHashMismatch, id = "inspected-hash-mismatch", severity = Critical,
    summary = "the inspected bytes are not the downloaded bytes"
}

/// Id of the finding for inspected bytes that are not the bytes downloaded.
pub const HASH_MISMATCH: &str = InspectedHashMismatch::META.id;

impl PlannedPackage {
    /// A plan entry for the file `inspected` was made from. When the inspected
    /// bytes' hash differs from the download's or the index's, the entry gets a
    /// critical `inspected-hash-mismatch` finding and is denied whatever the
    /// policy said (the file changed between verification and inspection).
    pub fn new(inspected: Inspected, entry: Entry<'_>) -> PlannedPackage {
        let Entry {
            name,
            version,
            filename,
            url,
            build_dependency,
            metadata_source,
            index,
            upload_time,
            yanked,
            direct,
            download_sha256,
            index_sha256,
            mut verdict,
            mut findings,
        } = entry;
        let sha256 = inspected.sha256().to_ascii_lowercase();
        for (what, expected) in [("download", Some(download_sha256)), ("index", index_sha256)] {
            let Some(expected) = expected else { continue };
            if sha256.is_empty() || !expected.eq_ignore_ascii_case(&sha256) {
                findings.insert(
                    0,
                    Finding { stage: None,
                        rule: HASH_MISMATCH,
                        severity: Severity::Critical,
                        file: None,
                        line: None,
                        message: format!(
                            "the bytes inspected (sha256 {}) are not the bytes the {what} was verified against (sha256 {expected})",
                            if sha256.is_empty() { "unknown" } else { &sha256 }
                        ),
                        snippet: None,
                    },
                );
                verdict = Verdict::Deny;
            }
        }
        PlannedPackage {
            name,
            version,
            filename,
            url,
            sha256,
            verdict,
            findings,
            build_dependency,
            metadata_source,
            needs_build: metadata_source == crate::resolve::metadata::Source::NeedsBuild,
            index,
            upload_time,
            yanked,
            direct,
            path: inspected.path().map(Path::to_path_buf).unwrap_or_default(),
        }
    }

    /// sha256 of exactly the bytes inspected.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The inspected file.
    pub fn path(&self) -> &Path {
        &self.path
    }

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
            path: PathBuf::from(format!("/cache/{name}")),
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
                crate::report::human::finding(&mut out, f, &crate::report::human::Style::plain(), "        ");
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confirm::{self, Mode, Outcome, Prompter};
    use crate::handoff;

    struct NoPrompt;
    impl Prompter for NoPrompt {
        fn confirm(&mut self, _: &str, _: &str) -> Result<bool, confirm::Error> {
            panic!("nothing to ask")
        }
    }

    fn entry(download_sha256: &str) -> Entry<'_> {
        Entry {
            name: "app".into(),
            version: "1.0".into(),
            filename: "app-1.0-py3-none-any.whl".into(),
            url: String::new(),
            build_dependency: false,
            metadata_source: crate::resolve::metadata::Source::WheelMetadata,
            index: None,
            upload_time: None,
            yanked: None,
            direct: None,
            download_sha256,
            index_sha256: None,
            verdict: Verdict::Allow,
            findings: Vec::new(),
        }
    }

    /// Writes `bytes` as a wheel and inspects it.
    fn inspected(dir: &Path, bytes: &[u8]) -> (PathBuf, Inspected) {
        let path = dir.join("app-1.0-py3-none-any.whl");
        std::fs::write(&path, bytes).unwrap();
        let (inspected, _) = crate::inspect::inspect_path(&path).into_parts();
        (path, inspected)
    }

    #[test]
    fn inspected_bytes_that_are_not_the_downloaded_bytes_are_denied() {
        let dir = tempfile::tempdir().unwrap();
        let (path, inspected) = inspected(dir.path(), b"not really a wheel");
        assert_eq!(inspected.path(), Some(path.as_path()));
        let downloaded = "ab".repeat(32);
        let p = PlannedPackage::new(inspected.clone(), entry(&downloaded));
        assert_eq!(p.verdict, Verdict::Deny);
        assert_eq!(p.findings[0].rule, HASH_MISMATCH);
        assert_eq!(p.findings[0].severity, Severity::Critical);
        assert_eq!(p.sha256(), inspected.sha256());
        // The index's hash is checked too.
        let mut e = entry(inspected.sha256());
        e.index_sha256 = Some(&downloaded);
        assert_eq!(PlannedPackage::new(inspected.clone(), e).verdict, Verdict::Deny);
        let same = PlannedPackage::new(inspected.clone(), entry(inspected.sha256()));
        assert_eq!(same.verdict, Verdict::Allow);
        assert!(same.findings.is_empty());
    }

    /// Issue 14: the handoff pins and re-verifies the inspected hash, so a
    /// file whose bytes changed after inspection cannot reach pip.
    #[test]
    fn a_plan_entry_whose_inspected_hash_differs_from_the_handed_file_cannot_be_installed() {
        let dir = tempfile::tempdir().unwrap();
        let (path, inspected) = inspected(dir.path(), b"inspected bytes");
        let sha = inspected.sha256().to_string();
        let p = PlannedPackage::new(inspected, entry(&sha));
        assert_eq!(p.verdict, Verdict::Allow);
        std::fs::write(&path, b"swapped after inspection").unwrap();
        let plan = Plan::new(
            Python {
                executable: "python3".into(),
                version: "3.11".into(),
            },
            vec![p],
            0.0,
        );
        let Ok(Outcome::Install(approved, _)) = confirm::decide(&plan, Mode::Yes, &mut NoPrompt) else {
            panic!("an allowed plan is approved");
        };
        assert_eq!(approved.files()[0].sha256, sha);
        let err = handoff::prepare(
            &approved,
            &handoff::Options {
                python: "/nonexistent/python".into(),
                pass: Vec::new(),
                installer: handoff::Installer::Pip,
                local: Vec::new(),
                local_no_build_isolation: false,
                report: None,
                show_output: false,
                wheel_cache: None,
            },
        )
        .err()
        .expect("the swapped file must be refused");
        assert!(matches!(err, handoff::Error::HashMismatch { .. }), "{err}");
    }
}
