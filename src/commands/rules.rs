//! `guard rules` and `guard explain ID`.

use std::io::Write;

use anyhow::bail;

use crate::inspect::rules;
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

pub fn explain(id: &str) -> anyhow::Result<ExitStatus> {
    let Some(meta) = rules::all_meta().into_iter().find(|m| m.id == id) else {
        let known: Vec<&str> = rules::all_meta().iter().map(|m| m.id).collect();
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
