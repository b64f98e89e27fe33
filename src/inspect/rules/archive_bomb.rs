use crate::archive::Hazard;
use crate::declare_rule;
use crate::inspect::rules::{hazard_findings, Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Severity};

declare_rule! {
    /// ## What it does
    /// Flags archives that expand far beyond their size (compression ratio
    /// over 200 past 64 MiB, or over 1 GiB in total), hold more than 100,000
    /// entries, or contain members too large to analyse (over 32 MiB, or past
    /// 256 MiB of members held in total).
    ///
    /// ## Why is this bad?
    /// Bombs exhaust disk and memory of whoever unpacks them; huge members
    /// hide code from review. guard stops reading at the limit and denies.
    ///
    /// ## Example
    /// a 40 KB `.tar.gz` expanding to 10 GB of zeros (Error); a 40 MiB data
    /// file (Low: not analysed, type checked from its first bytes).
    ///
    /// ## False positives
    /// Packages shipping large data files get `low` for oversized members;
    /// oversized Python sources are `high` (review): their end was not read.
    ArchiveBomb, id = "archive-bomb", severity = Critical,
    summary = "decompression bombs, entry floods and oversized members"
}

impl Rule for ArchiveBomb {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        hazard_findings(Self::META.id, analysis, out, |hazard| {
            Some(match hazard {
                Hazard::Bomb { detail } => (
                    Severity::Critical,
                    None,
                    format!("decompression bomb: the archive {detail}"),
                ),
                Hazard::TooManyEntries { limit } => (
                    Severity::Critical,
                    None,
                    format!("more than {limit} entries; the rest was not read"),
                ),
                // Code guard could not read whole is not approved unseen.
                Hazard::Oversized { member, size } if crate::inspect::python::is_source(member) => (
                    Severity::High,
                    Some(member),
                    format!("Python source `{member}` ({size} bytes) is too large to analyse; only its start was read"),
                ),
                Hazard::Oversized { member, size } => (
                    Severity::Low,
                    Some(member),
                    format!("`{member}` ({size} bytes) is too large to analyse"),
                ),
                _ => return None,
            })
        });
    }
}
