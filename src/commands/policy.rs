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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Kind, KEYS};

    /// A value of `kind` other than its default, as TOML.
    fn sample(kind: Kind, default: Option<&str>) -> &'static str {
        match kind {
            Kind::Severity if default == Some("\"critical\"") => "\"high\"",
            Kind::Severity => "\"critical\"",
            Kind::Bool if default == Some("true") => "false",
            Kind::Bool => "true",
            Kind::TyposquatVerdict => "\"deny\"",
            Kind::NonInteractive => "\"allow\"",
            Kind::Sdist => "\"review\"",
            Kind::Installer => "\"uv\"",
            Kind::Duration => "\"3d\"",
            Kind::Hosts => "[\"pypi.example\"]",
            Kind::RuleIds => "[\"bundled-binary\"]",
            Kind::RuleSeverities => "{ \"bundled-binary\" = \"critical\" }",
            Kind::Allow => "[{ name = \"x\", reason = \"ours\" }]",
            Kind::Deny => "[{ name = \"y\", reason = \"gone\" }]",
            Kind::Locked => "[\"allow\"]",
            Kind::Serve => "{ trusted_indexes = [\"https://guard.example/simple/\"] }",
        }
    }

    /// Issue 14: `guard policy check` shows every key of the table: setting
    /// any one of them away from its default changes what it prints.
    #[test]
    fn check_shows_every_key() {
        let dir = tempfile::tempdir().unwrap();
        let default = describe(&Policy::default());
        for key in KEYS {
            let value = sample(key.kind, key.default);
            let text = match key.field() {
                Some(field) => format!("[{}]\n{field} = {value}\n", key.section()),
                None => format!("{} = {value}\n", key.name),
            };
            let path = dir.path().join("p.toml");
            std::fs::write(&path, &text).unwrap();
            let p = policy::load(&path).unwrap_or_else(|e| panic!("{text}: {e}"));
            let shown = describe(&p).replacen(&format!("policy: ok ({})\n", path.display()), "", 1);
            let default = default.replacen("policy: built-in defaults (no policy file found)\n", "", 1);
            assert_ne!(shown, default, "`guard policy check` does not show {}", key.name);
        }
    }
}
