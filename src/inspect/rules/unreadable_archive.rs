use crate::declare_rule;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding};

declare_rule! {
    /// ## What it does
    /// Reports an artifact that cannot be read to the end: corrupt or truncated
    /// data, an encrypted member, an unsupported compression method or file type,
    /// or an archive larger than guard will read.
    ///
    /// ## Why is this bad?
    /// What guard cannot read, it cannot inspect, and pip might still read it
    /// differently. guard fails closed: the artifact is denied.
    ///
    /// ## Example
    /// A `.tar.gz` cut short in transfer: `corrupt or truncated archive: unexpected end of file`.
    /// A complete, well-formed archive never triggers it.
    UnreadableArchive, id = "unreadable-archive", severity = Critical,
    summary = "the archive is corrupt, truncated, encrypted or unsupported"
}

impl Rule for UnreadableArchive {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    /// Produced by the inspection driver from the archive reader's error.
    fn check(&self, _: &Analysis, _: &mut Vec<Finding>) {}
}
