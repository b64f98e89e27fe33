//! `--format json`, exactly as CONTRACT.md describes.

use serde::Serialize;

use super::{ArtifactResult, Summary};

#[derive(Serialize)]
struct ScanDocument<'a> {
    schema: u32,
    artifacts: &'a [ArtifactResult],
    summary: &'a Summary,
}

pub fn scan(results: &[ArtifactResult], summary: &Summary) -> String {
    let doc = ScanDocument {
        schema: 1,
        artifacts: results,
        summary,
    };
    serde_json::to_string_pretty(&doc).expect("scan results serialize")
}
