//! The policy file. Unknown keys are errors; every mistake names file, line and column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::inspect::{rules, Finding, Severity};
use crate::metadata::normalize;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read policy file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// The validated policy guard runs with.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Findings at or above this severity make the artifact `deny`.
    pub deny_at: Severity,
    /// Findings at or above this severity make the artifact `review`.
    pub review_at: Severity,
    /// Combine weaker findings: two `high` rules → deny, three `medium` rules → review.
    pub combine: bool,
    pub disabled: Vec<String>,
    pub severity: BTreeMap<String, Severity>,
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            deny_at: Severity::Critical,
            review_at: Severity::High,
            combine: true,
            disabled: Vec::new(),
            severity: BTreeMap::new(),
            allow: Vec::new(),
            deny: Vec::new(),
        }
    }
}

impl Policy {
    /// Drops findings of disabled rules and applies severity overrides.
    pub fn apply(&self, findings: &mut Vec<Finding>) {
        findings.retain(|f| !self.disabled.iter().any(|d| d == f.rule));
        for f in findings.iter_mut() {
            if let Some(sev) = self.severity.get(f.rule) {
                f.severity = *sev;
            }
        }
    }

    pub fn is_allowed(&self, name: &str) -> bool {
        let n = normalize(name);
        self.allow.contains(&n)
    }

    pub fn is_denied(&self, name: &str) -> bool {
        let n = normalize(name);
        self.deny.contains(&n)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    verdict: RawVerdict,
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    allow: Vec<RawEntry>,
    #[serde(default)]
    deny: Vec<RawEntry>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVerdict {
    deny_at: Option<toml::Spanned<String>>,
    review_at: Option<toml::Spanned<String>>,
    combine: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    disable: Vec<toml::Spanned<String>>,
    #[serde(default)]
    severity: BTreeMap<String, toml::Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    name: toml::Spanned<String>,
    reason: String,
}

/// Reads and validates a policy file, reporting every mistake at once.
pub fn load(path: &Path) -> Result<Policy, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Parses policy text; `path` is only used in messages.
pub fn parse(path: &Path, text: &str) -> Result<Policy, Error> {
    let at = |offset: usize, message: String| {
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
        Error::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            message,
        }
    };
    let raw: RawPolicy = toml::from_str(text).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        at(offset, e.message().to_string())
    })?;
    let mut errors: Vec<Error> = Vec::new();
    let mut policy = Policy::default();
    let severity = |s: &toml::Spanned<String>, errors: &mut Vec<Error>| {
        Severity::parse(s.get_ref()).or_else(|| {
            errors.push(at(
                s.span().start,
                format!(
                    "unknown severity `{}` (expected low, medium, high or critical)",
                    s.get_ref()
                ),
            ));
            None
        })
    };
    if let Some(s) = &raw.verdict.deny_at {
        policy.deny_at = severity(s, &mut errors).unwrap_or(policy.deny_at);
    }
    if let Some(s) = &raw.verdict.review_at {
        policy.review_at = severity(s, &mut errors).unwrap_or(policy.review_at);
    }
    if let Some(c) = raw.verdict.combine {
        policy.combine = c;
    }
    let known = |id: &str| rules::all_meta().iter().any(|m| m.id == id);
    for d in &raw.rules.disable {
        if !known(d.get_ref()) {
            errors.push(at(
                d.span().start,
                format!("unknown rule `{}` (see `guard rules`)", d.get_ref()),
            ));
        }
        policy.disabled.push(d.get_ref().clone());
    }
    for (id, s) in &raw.rules.severity {
        if !known(id) {
            errors.push(at(s.span().start, format!("unknown rule `{id}` (see `guard rules`)")));
        }
        if let Some(sev) = severity(s, &mut errors) {
            policy.severity.insert(id.clone(), sev);
        }
    }
    for e in &raw.allow {
        if e.reason.trim().is_empty() {
            errors.push(at(
                e.name.span().start,
                format!("allow entry `{}` needs a non-empty reason", e.name.get_ref()),
            ));
        }
        policy.allow.push(normalize(e.name.get_ref()));
    }
    for e in &raw.deny {
        policy.deny.push(normalize(e.name.get_ref()));
    }
    if errors.is_empty() {
        Ok(policy)
    } else if errors.len() == 1 {
        Err(errors.remove(0))
    } else {
        let message = errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n");
        Err(Error::Invalid {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("{} errors:\n{message}", errors.len()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_policy_parses() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/policy.example.toml"));
        load(path).expect("policy.example.toml must parse");
    }

    #[test]
    fn unknown_key_is_located() {
        let err = parse(Path::new("p.toml"), "[verdict]\ndeny_at = \"critical\"\nbogus = 1\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("p.toml:3:"), "{msg}");
        assert!(msg.contains("bogus"), "{msg}");
    }

    #[test]
    fn bad_severity_is_located() {
        let err = parse(Path::new("p.toml"), "[verdict]\nreview_at = \"severe\"\n").unwrap_err();
        assert!(err.to_string().starts_with("p.toml:2:13"), "{err}");
    }
}
