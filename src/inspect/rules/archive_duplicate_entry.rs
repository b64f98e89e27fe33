use crate::archive::Hazard;
use crate::declare_rule;
use crate::inspect::rules::{hazard_findings, Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Role, Severity};

declare_rule! {
    /// ## What it does
    /// Flags member paths that occur twice, or twice up to letter case.
    ///
    /// ## Why is this bad?
    /// Tools disagree about which copy wins: a scanner may read the first
    /// `setup.py` while the installer unpacks the second. Case-only
    /// duplicates overwrite each other on Windows and macOS.
    ///
    /// ## Example
    /// two `pkg/__init__.py` entries with different contents (Error, critical);
    /// `SETUP.py` next to `setup.py` with different contents (Error, high);
    /// the same file stored twice, or `README` and `readme` alike (Low).
    ///
    /// ## False positives
    /// Identical copies and case-only duplicates with equal contents in old
    /// sdists: `low`.
    ArchiveDuplicateEntry, id = "archive-duplicate-entry", severity = Critical,
    summary = "the same member path appears more than once"
}

impl Rule for ArchiveDuplicateEntry {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        hazard_findings(Self::META.id, analysis, out, |hazard| {
            Some(match hazard {
                Hazard::Duplicate {
                    member,
                    case_only: false,
                    differs,
                } => (
                    if *differs && is_code(member) {
                        Severity::Critical
                    } else {
                        Severity::Low
                    },
                    Some(member),
                    if *differs {
                        format!("`{member}` appears more than once with different contents")
                    } else {
                        format!("`{member}` appears more than once (same contents)")
                    },
                ),
                Hazard::Duplicate {
                    member,
                    case_only: true,
                    differs,
                } => (
                    // Both copies are analysed; only case-insensitive filesystems lose one, and in
                    // tests or docs that changes nothing that runs on install or import.
                    match (
                        *differs && is_code(member),
                        Role::of(member, analysis.kind) == Role::Auxiliary,
                    ) {
                        (true, false) => Severity::High,
                        (true, true) => Severity::Medium,
                        (false, _) => Severity::Low,
                    },
                    Some(member),
                    format!(
                        "`{member}` differs from another member only by case{}",
                        if *differs { ", with different contents" } else { "" }
                    ),
                ),
                _ => return None,
            })
        });
    }
}

/// Members whose duplicates can change what runs or what is installed; two
/// different copies of a README or LICENSE change nothing.
fn is_code(member: &str) -> bool {
    let l = member.to_ascii_lowercase();
    const CODE: &[&str] = &[
        ".py",
        ".pth",
        ".pyw",
        ".so",
        ".pyd",
        ".dll",
        ".exe",
        "/record",
        "/metadata",
        "pkg-info",
        ".toml",
        ".cfg",
    ];
    CODE.iter().any(|e| l.ends_with(e))
}
