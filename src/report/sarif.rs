//! `--format sarif`: SARIF 2.1.0. A finding inside an archive is located at
//! `ARTIFACT/MEMBER` relative to the scan root, so viewers can still group by artifact.

use serde_json::{json, Value};

use super::ArtifactResult;
use crate::inspect::{rules, Severity};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Low => "note",
        Severity::Medium | Severity::High => "warning",
        Severity::Critical => "error",
    }
}

pub fn scan(results: &[ArtifactResult]) -> String {
    let metas = rules::all_meta();
    let rule_index = |id: &str| metas.iter().position(|m| m.id == id);
    let rules: Vec<Value> = metas
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "shortDescription": { "text": m.summary },
                "fullDescription": { "text": m.doc.lines().map(str::trim).collect::<Vec<_>>().join("\n") },
                "defaultConfiguration": { "level": level(m.severity) },
                "properties": { "severity": m.severity.as_str() },
            })
        })
        .collect();
    let mut sarif_results = Vec::new();
    for r in results {
        for f in &r.findings {
            let uri = match &f.file {
                Some(file) => format!("{}/{}", r.path, file),
                None => r.path.clone(),
            };
            let mut region = json!({});
            if let Some(line) = f.line {
                region["startLine"] = json!(line.max(1));
            }
            if let Some(snippet) = &f.snippet {
                region["snippet"] = json!({ "text": snippet });
            }
            let mut location = json!({ "physicalLocation": { "artifactLocation": { "uri": uri } } });
            if region.as_object().is_some_and(|o| o.contains_key("startLine")) {
                location["physicalLocation"]["region"] = region;
            }
            let mut result = json!({
                "ruleId": f.rule,
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [location],
                "properties": { "severity": f.severity.as_str(), "verdict": r.verdict.as_str(), "sha256": r.sha256 },
            });
            if let Some(i) = rule_index(f.rule) {
                result["ruleIndex"] = json!(i);
            }
            sarif_results.push(result);
        }
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "guard",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/guard-dev/guard",
                "rules": rules,
            }},
            "results": sarif_results,
        }],
    });
    serde_json::to_string_pretty(&doc).expect("sarif serializes")
}
