//! What `guard install` prints: the compact plan summary before confirming,
//! refusals, and the changes made after a successful install.

use crate::confirm::{self, Decision};
use crate::direct::project::LocalProject;
use crate::interpreter::Installed;
use crate::plan::Plan;
use crate::policy::Verdict;

/// The compact table: one line for all allowed packages, one per flagged one.
pub fn summary(plan: &Plan, seconds: f64) -> String {
    let bytes: u64 = plan
        .packages
        .iter()
        .filter_map(|p| std::fs::metadata(p.path()).ok())
        .map(|m| m.len())
        .sum();
    let runtime = plan.packages.iter().filter(|p| !p.build_dependency).count();
    let files = plan.packages.len();
    let mut out = format!(
        "  Resolved {runtime} package{} · {files} file{} ({:.1} MB) · inspected in {seconds:.1} s\n",
        plural(runtime),
        plural(files),
        bytes as f64 / 1e6
    );
    if plan.summary.allow > 0 {
        out.push_str(&format!("  ✔ {} allowed\n", plan.summary.allow));
    }
    for p in plan.packages.iter().filter(|p| p.verdict != Verdict::Allow) {
        let kind = if crate::metadata::is_sdist(&p.filename) {
            "sdist"
        } else {
            "wheel"
        };
        let (mark, label) = match p.verdict {
            Verdict::Deny => ("✘", "DENY"),
            _ => ("?", "REVIEW"),
        };
        let why: Vec<String> = confirm::decisive(&p.findings, 2)
            .into_iter()
            .map(crate::report::human::finding_brief)
            .collect();
        let build = if p.build_dependency { ", build dependency" } else { "" };
        out.push_str(&format!(
            "  {mark} {} {} ({kind}{build})  {label}  {}\n",
            p.name,
            p.version,
            why.join("; ")
        ));
    }
    out
}

/// Why review items were refused, on stderr.
pub fn refusals(decisions: &[Decision]) {
    for d in decisions.iter().filter(|d| !d.approved && d.verdict == Verdict::Review) {
        eprintln!("  {} {}: refused ({})", d.name, d.version, d.how);
    }
    if decisions
        .iter()
        .any(|d| d.verdict == Verdict::Review && !d.approved && d.how == "non-interactive")
    {
        eprintln!("  (no terminal to ask: review items are refused; run on a terminal, pass --yes, or set install.non_interactive in the policy)");
    }
}

/// What the install changed: `+ name==version`, `~ name old → new`, the
/// user's projects, and who approved each reviewed package.
pub fn changes(plan: &Plan, before: &[Installed], locals: &[LocalProject], decisions: &[Decision]) -> String {
    let mut out = String::new();
    for p in plan.packages.iter().filter(|p| !p.build_dependency) {
        let old = before.iter().find(|i| i.name.as_ref() == p.name);
        let line = match old {
            Some(i) if i.version.to_string() == p.version => format!(" = {}=={} (reinstalled)", p.name, p.version),
            Some(i) => format!(" ~ {} {} → {}", p.name, i.version, p.version),
            None => format!(" + {}=={}", p.name, p.version),
        };
        out.push_str(&line);
        if let Some(d) = &p.direct {
            out.push_str(&format!("  (from {d})"));
        }
        if let Some(d) = decisions
            .iter()
            .find(|d| d.name == p.name && d.verdict == Verdict::Review && d.approved)
        {
            let user = std::env::var("USER").unwrap_or_else(|_| "you".into());
            out.push_str(&format!("  (reviewed: approved by {user} via {})", d.how));
        }
        out.push('\n');
    }
    for l in locals {
        let mode = if l.editable { "editable, " } else { "" };
        out.push_str(&format!(" + {} ({mode}{})\n", l.name, l.path.display()));
    }
    let n = plan.packages.iter().filter(|p| !p.build_dependency).count() + locals.len();
    out.push_str(&format!(
        "Installed {n} package{}; every third-party file was inspected first.\n",
        plural(n)
    ));
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
