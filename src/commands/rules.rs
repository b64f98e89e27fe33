//! `guard rules` and `guard explain ID`.

use std::io::Write;

use anyhow::bail;

use crate::inspect::rules::{self, RuleMeta};
use crate::ExitStatus;

pub fn list() -> anyhow::Result<ExitStatus> {
    let mut out = std::io::stdout().lock();
    for meta in rules::all_meta() {
        if writeln!(out, "{:<28} {:<9} {}", meta.id, meta.severity.as_str(), meta.summary).is_err() {
            break; // closed pipe is not an error
        }
    }
    Ok(ExitStatus::Success)
}

/// Every id a finding can carry: the detection rules, then the ids the
/// policy and the plan add.
pub fn finding_ids() -> Vec<&'static RuleMeta> {
    let mut all = rules::all_meta();
    all.extend(crate::policy::FINDINGS);
    all.push(&crate::plan::InspectedHashMismatch::META);
    all
}

pub fn explain(id: &str) -> anyhow::Result<ExitStatus> {
    let Some(meta) = finding_ids().into_iter().find(|m| m.id == id) else {
        let known: Vec<&str> = finding_ids().iter().map(|m| m.id).collect();
        bail!("unknown rule `{id}`; known rules: {}", known.join(", "));
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "# {} ({})\n\n{}\n", meta.id, meta.severity, meta.summary);
    let _ = write!(out, "{}", strip_doc(meta.doc));
    Ok(ExitStatus::Success)
}

/// Doc comments arrive with a leading space per line.
fn strip_doc(doc: &str) -> String {
    doc.lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 14: `guard explain` knows every id a finding can carry, once each.
    #[test]
    fn explain_knows_policy_and_plan_ids() {
        let ids: Vec<&str> = finding_ids().iter().map(|m| m.id).collect();
        for id in [
            "policy-deny",
            "policy-sdist",
            "policy-min-release-age",
            crate::plan::HASH_MISMATCH,
            "typosquat",
        ] {
            assert!(ids.contains(&id), "{id} missing from {ids:?}");
        }
        let unique: std::collections::HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "{ids:?}");
        for meta in finding_ids() {
            assert!(
                meta.doc.contains("## What it does") && meta.doc.contains("## Example"),
                "{}",
                meta.id
            );
        }
    }

    /// Issue 14: every id the source can put on a finding — each
    /// `declare_rule!` and each string literal given as `rule:` under `src/` —
    /// is one `guard explain` knows (a declared id missing from `ALL`,
    /// `policy::FINDINGS` or the plan's ids fails here).
    #[test]
    fn explain_knows_every_id_in_the_source() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let declared = regex::Regex::new(r#",\s*id\s*=\s*"([^"]+)",\s*severity\s*="#).unwrap();
        let literal = regex::Regex::new(r#"\brule:\s*"([^"]+)""#).unwrap();
        let known: std::collections::BTreeSet<&str> = finding_ids().iter().map(|m| m.id).collect();
        let mut ids = std::collections::BTreeSet::new();
        for f in &files {
            let text = std::fs::read_to_string(f).unwrap();
            for (re, what) in [(&declared, "declared"), (&literal, "used")] {
                for id in re.captures_iter(&text) {
                    let id = id[1].to_string();
                    assert!(
                        known.contains(id.as_str()),
                        "{}: `{id}` is {what} but not known to `guard explain`",
                        f.display()
                    );
                    if what == "declared" {
                        ids.insert(id);
                    }
                }
            }
        }
        let ids: std::collections::BTreeSet<&str> = ids.iter().map(String::as_str).collect();
        assert_eq!(ids, known, "declared ids and the ids `guard explain` knows");
    }
}
