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
