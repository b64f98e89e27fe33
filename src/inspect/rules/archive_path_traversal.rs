use crate::archive::Hazard;
use crate::declare_rule;
use crate::inspect::rules::{hazard_findings, Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Severity};

declare_rule! {
    /// ## What it does
    /// Flags archive members whose names climb out of the extraction
    /// directory (`../`), are absolute (`/etc/x`, `C:\x`), use backslashes
    /// (a separator on Windows), look-alike slashes (`∕`, `／`), invalid UTF-8,
    /// or are longer than file systems allow (4096 bytes, 255 per component).
    ///
    /// ## Why is this bad?
    /// Unpacking such an archive writes outside the target directory
    /// ("zip slip"): over a shell rc file, a `.pth`, or another package.
    /// Windows turns backslashes and, through "best fit" conversion, `／` and
    /// `＼` into separators, so the installed tree differs from the one
    /// inspected. Over-long names make unpacking fail halfway (a half-installed
    /// package); undecodable names are read differently by each tool.
    ///
    /// ## Example
    /// `pkg-1.0/../../.bashrc` (Error), `/usr/lib/python3/site-packages/x.pth`
    /// (Error), `pkg-1.0/pkg/__init__.py` (No error).
    ///
    /// ## False positives
    /// None known in well-formed artifacts built by standard tools; names in
    /// a legacy encoding (not UTF-8) in very old sdists are `high` (review).
    ArchivePathTraversal, id = "archive-path-traversal", severity = Critical,
    summary = "member paths that escape the archive root, are absolute, over-long, or use backslashes or look-alike separators"
}

impl Rule for ArchivePathTraversal {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        hazard_findings(Self::META.id, analysis, out, |hazard| {
            Some(match hazard {
                Hazard::Traversal { member } => (
                    Severity::Critical,
                    Some(member),
                    format!("member path `{member}` escapes the archive root"),
                ),
                Hazard::Absolute { member } => (
                    Severity::Critical,
                    Some(member),
                    format!("member path `{member}` is absolute"),
                ),
                Hazard::Backslash { member } => (
                    Severity::Critical,
                    Some(member),
                    format!("member path `{member}` contains a backslash (a separator on Windows)"),
                ),
                Hazard::LookalikeSeparator { member } => (
                    Severity::Critical,
                    Some(member),
                    format!("member path `{member}` contains a character that looks like `/`"),
                ),
                Hazard::InvalidName { member } => (
                    Severity::High,
                    Some(member),
                    format!("member name `{member}` is not valid UTF-8"),
                ),
                Hazard::LongName { member, len } => (
                    Severity::Critical,
                    Some(member),
                    format!("member path `{member}…` ({len} bytes) is too long to unpack"),
                ),
                _ => return None,
            })
        });
    }
}
