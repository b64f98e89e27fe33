use crate::archive::Hazard;
use crate::declare_rule;
use crate::inspect::rules::{hazard_findings, Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Severity};

declare_rule! {
    /// ## What it does
    /// Flags character/block devices, FIFOs and unknown entry types in tar archives.
    ///
    /// ## Why is this bad?
    /// No Python package needs a device node; unpacking one as root creates
    /// access to hardware, and a FIFO can hang the installer.
    ///
    /// ## Example
    /// `pkg-1.0/dev/sda` as a block device (Error); regular files (No error).
    ///
    /// ## False positives
    /// None known.
    ArchiveSpecialFile, id = "archive-special-file", severity = Critical,
    summary = "device nodes, FIFOs and other non-regular entries"
}

impl Rule for ArchiveSpecialFile {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        hazard_findings(Self::META.id, analysis, out, |hazard| {
            Some(match hazard {
                Hazard::Special { member, kind } => {
                    (Severity::Critical, Some(member), format!("`{member}` is a {kind}"))
                }
                _ => return None,
            })
        });
    }
}
