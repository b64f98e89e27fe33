//! The cache's layout in one place: one versioned directory ("bucket") per
//! kind of entry under the cache root. Bump a bucket's version when its
//! format changes; old buckets are simply never read again.

use std::path::{Path, PathBuf};

/// A directory under the cache root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// Verified distribution files: `artifacts-v1/ab/abcd…/name`.
    Artifacts,
    /// PEP 658 metadata files: `metadata-v1/ab/abcd….metadata`.
    Metadata,
    /// Index pages: `simple-v1/<index key>/<name>.json`.
    Simple,
    /// Interpreter answers: `interpreter-v2/<key>.json`.
    Interpreter,
    /// Downloads in progress (`.guard-<pid>-<random>.part`).
    Tmp,
    /// Inspection results by sha256 and build: `inspections-v1/ab/<sha256>-<build>.json`.
    Inspections,
}

impl Bucket {
    pub const ALL: [Bucket; 6] = [
        Bucket::Artifacts,
        Bucket::Metadata,
        Bucket::Simple,
        Bucket::Interpreter,
        Bucket::Tmp,
        Bucket::Inspections,
    ];

    /// The directory name.
    pub const fn name(self) -> &'static str {
        match self {
            Bucket::Artifacts => "artifacts-v1",
            Bucket::Metadata => "metadata-v1",
            Bucket::Simple => "simple-v1",
            Bucket::Interpreter => "interpreter-v2",
            Bucket::Tmp => "tmp",
            Bucket::Inspections => "inspections-v1",
        }
    }

    /// The bucket's directory under `root`.
    pub fn under(self, root: &Path) -> PathBuf {
        root.join(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_are_unique() {
        let names: std::collections::HashSet<&str> = Bucket::ALL.iter().map(|b| b.name()).collect();
        assert_eq!(names.len(), Bucket::ALL.len());
    }
}
