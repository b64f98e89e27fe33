use crate::archive::Hazard;
use crate::declare_rule;
use crate::inspect::rules::{hazard_findings, Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Severity};

declare_rule! {
    /// ## What it does
    /// Flags symbolic and hard links inside an artifact; links whose target
    /// leaves the archive root are critical.
    ///
    /// ## Why is this bad?
    /// A link to `/home/user/.ssh` or `../../site-packages` followed by a
    /// regular member of the same name writes through the link when unpacked.
    ///
    /// ## Example
    /// `pkg-1.0/evil -> /etc/passwd` (Error), `pkg-1.0/LICENSE -> ../LICENSE`
    /// escaping the root (Error), `pkg-1.0/docs/README -> ../README.md` (Low).
    ///
    /// ## False positives
    /// Some sdists link files inside their own tree: `low`.
    ArchiveLink, id = "archive-link", severity = Critical,
    summary = "symbolic or hard links, especially ones pointing outside the archive"
}

impl Rule for ArchiveLink {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        hazard_findings(Self::META.id, analysis, out, |hazard| {
            Some(match hazard {
                Hazard::Link {
                    member,
                    target,
                    hard,
                    escapes,
                } => {
                    let kind = if *hard { "hard link" } else { "symlink" };
                    let sev = if *escapes { Severity::Critical } else { Severity::Low };
                    let where_ = if *escapes { " outside the archive" } else { "" };
                    (
                        sev,
                        Some(member),
                        format!("{kind} `{member}` points{where_} to `{target}`"),
                    )
                }
                _ => return None,
            })
        });
    }
}
