//! `guard policy check [FILE]`.

use std::path::PathBuf;

use crate::policy::{self, Lookup, Policy};
use crate::ExitStatus;

pub fn check(file: Option<PathBuf>) -> anyhow::Result<ExitStatus> {
    let result = match &file {
        Some(path) => policy::load(path),
        None => policy::load_layered(&Lookup::standard(None)),
    };
    match result {
        Ok(p) => {
            for w in &p.warnings {
                eprintln!("warning: {w}");
            }
            print!("{}", describe(&p));
            Ok(ExitStatus::Success)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitStatus::Failure)
        }
    }
}

/// The effective policy, one setting a line.
fn describe(p: &Policy) -> String {
    let mut out = String::new();
    if p.sources.is_empty() {
        out.push_str("policy: built-in defaults (no policy file found)\n");
    } else {
        let files: Vec<String> = p.sources.iter().map(|s| s.display().to_string()).collect();
        out.push_str(&format!("policy: ok ({})\n", files.join(" < ")));
    }
    out.push_str(&format!(
        "verdict: deny at {}, review at {}, combine {}\n",
        p.deny_at.as_str(),
        p.review_at.as_str(),
        p.combine
    ));
    if !p.disabled.is_empty() {
        out.push_str(&format!("rules disabled: {}\n", p.disabled.join(", ")));
    }
    for (id, sev) in &p.severity {
        out.push_str(&format!("rule {id}: severity {}\n", sev.as_str()));
    }
    out.push_str(&format!(
        "typosquat check: {} ({})\n",
        if p.typosquat.enabled { "on" } else { "off" },
        p.typosquat.verdict.as_str()
    ));
    out.push_str(&format!(
        "sdists: {}\n",
        match p.sdist {
            policy::Sdist::Allow => "allow",
            policy::Sdist::Review => "review",
        }
    ));
    if p.min_release_age_hours > 0 {
        out.push_str(&format!("minimum release age: {} h\n", p.min_release_age_hours));
    }
    out.push_str(&format!(
        "index hosts: {}\n",
        if p.index_hosts.is_empty() {
            "any".to_string()
        } else {
            p.index_hosts.join(", ")
        }
    ));
    out.push_str(&format!("review without a terminal: {}\n", p.non_interactive.as_str()));
    for line in p.serve.describe() {
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&format!(
        "installer: {}\n",
        match p.installer {
            crate::cli::Installer::Pip => "pip",
            crate::cli::Installer::Uv => "uv",
        }
    ));
    if !p.locked.is_empty() {
        out.push_str(&format!(
            "locked: {}\n",
            p.locked.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    for e in &p.allow {
        let mut what = e.name.clone();
        if let Some(v) = &e.version {
            what.push_str(&format!("=={v}"));
        }
        if let Some(h) = &e.sha256 {
            what.push_str(&format!(" sha256:{}…", &h[..12]));
        }
        if let Some(d) = e.expires {
            what.push_str(&format!(" until {d}"));
        }
        out.push_str(&format!("allow {what}: {}\n", e.reason));
    }
    for e in &p.deny {
        out.push_str(&format!("deny {}: {}\n", e.name, e.reason));
    }
    out
}
