//! Detection rules, one per file. Each declares its id, default severity and
//! documentation with [`declare_rule!`] and implements [`Rule`].

use crate::archive::Hazard;
use crate::inspect::{Analysis, Finding, Severity};

pub mod archive_bomb;
pub mod archive_duplicate_entry;
pub mod archive_header_mismatch;
pub mod archive_link;
pub mod archive_path_traversal;
pub mod archive_special_file;
#[cfg(test)]
pub mod artifact_fixture;
pub mod bundled_binary;
pub mod credential_access;
pub mod dependency_confusion;
pub mod dns_beacon;
pub mod download_execute;
pub mod empty_package;
pub mod exec_decoded_payload;
pub mod exfiltration;
pub mod install_hook;
pub mod install_network;
pub mod metadata_mismatch;
pub mod metadata_signals;
pub mod obfuscation;
pub mod pth_code_execution;
pub mod reverse_shell;
pub mod secret_upload;
pub mod shell_command;
pub mod startup_persistence;
pub mod suspicious_endpoint;
pub mod typosquat;
pub mod unreadable_archive;
pub mod vocab;

/// Static description of a rule: what `guard rules` lists and `guard explain` prints.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable, public, kebab-case id.
    pub id: &'static str,
    /// Default severity; individual findings may be raised or lowered by context.
    pub severity: Severity,
    /// One line for `guard rules`.
    pub summary: &'static str,
    /// The full doc comment (markdown) for `guard explain`.
    pub doc: &'static str,
}

/// A detection rule: looks at one analysed artifact and pushes findings.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>);
}

/// Declares a rule type with its id, default severity, one-line summary and
/// documentation. The `///` comment becomes both rustdoc and `META.doc`.
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $name:ident, id = $id:literal, severity = $sev:ident, summary = $summary:literal
    ) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl $name {
            pub const META: $crate::inspect::rules::RuleMeta = $crate::inspect::rules::RuleMeta {
                id: $id,
                severity: $crate::inspect::Severity::$sev,
                summary: $summary,
                doc: concat!($($doc, "\n"),*),
            };
        }
    };
}

/// What an archive-safety rule says about one hazard: severity, member (if any), message.
pub type HazardFinding<'a> = (Severity, Option<&'a String>, String);

/// Runs `classify` over the archive reader's hazards and reports each one it claims.
pub fn hazard_findings<'a>(
    rule: &'static str,
    analysis: &'a Analysis,
    out: &mut Vec<Finding>,
    classify: impl Fn(&'a Hazard) -> Option<HazardFinding<'a>>,
) {
    for hazard in &analysis.listing.hazards {
        if let Some((severity, file, message)) = classify(hazard) {
            out.push(Finding {
                stage: None,
                rule,
                severity,
                file: file.cloned(),
                line: None,
                message,
                snippet: None,
            });
        }
    }
}

/// Every rule, in id order.
pub static ALL: &[&dyn Rule] = &[
    &archive_bomb::ArchiveBomb,
    &archive_duplicate_entry::ArchiveDuplicateEntry,
    &archive_header_mismatch::ArchiveHeaderMismatch,
    &archive_link::ArchiveLink,
    &archive_path_traversal::ArchivePathTraversal,
    &archive_special_file::ArchiveSpecialFile,
    &bundled_binary::BundledBinary,
    &credential_access::CredentialAccess,
    &dependency_confusion::DependencyConfusion,
    &dns_beacon::DnsBeacon,
    &download_execute::DownloadExecute,
    &empty_package::EmptyPackage,
    &exec_decoded_payload::ExecDecodedPayload,
    &exfiltration::Exfiltration,
    &install_hook::InstallHook,
    &install_network::InstallNetwork,
    &metadata_mismatch::MetadataMismatch,
    &metadata_signals::MetadataSignals,
    &obfuscation::Obfuscation,
    &pth_code_execution::PthCodeExecution,
    &reverse_shell::ReverseShell,
    &secret_upload::SecretUpload,
    &shell_command::ShellCommand,
    &startup_persistence::StartupPersistence,
    &suspicious_endpoint::SuspiciousEndpoint,
    &typosquat::Typosquat,
    &unreadable_archive::UnreadableArchive,
];

/// Looks a rule up by id.
pub fn by_id(id: &str) -> Option<&'static dyn Rule> {
    ALL.iter().copied().find(|r| r.meta().id == id)
}

/// Metadata of every rule, including the archive-reader and driver findings
/// that are not produced by a `Rule` implementation.
pub fn all_meta() -> Vec<&'static RuleMeta> {
    let mut v: Vec<&'static RuleMeta> = ALL.iter().map(|r| r.meta()).collect();
    v.sort_by_key(|m| m.id);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_unique_kebab_and_documented() {
        let metas = all_meta();
        let mut seen = std::collections::HashSet::new();
        for m in &metas {
            assert!(seen.insert(m.id), "duplicate rule id {}", m.id);
            assert!(
                m.id.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "rule id {} is not kebab-case",
                m.id
            );
            for heading in ["## What it does", "## Why is this bad?", "## Example"] {
                assert!(m.doc.contains(heading), "rule {} lacks `{heading}`", m.id);
            }
            assert!(!m.summary.is_empty());
        }
    }
}
