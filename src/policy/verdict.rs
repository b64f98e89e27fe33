//! Findings + policy → verdict.
//!
//! Defaults: any `critical` finding, or `high` findings from two different
//! rules, is `deny`; any other `high` finding is `review`; `medium` findings
//! from three different rules are `review`; everything else is `allow`.

use std::collections::HashSet;

use serde::Serialize;

use super::config::Sdist;
use super::Policy;
use crate::inspect::{Finding, Severity};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Review,
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Review => "review",
            Verdict::Deny => "deny",
        }
    }
}

/// Applies the policy's rule settings to `findings` (dropping disabled rules,
/// overriding severities) and returns the verdict.
pub fn decide(name: Option<&str>, findings: &mut Vec<Finding>, policy: &Policy) -> Verdict {
    policy.apply(findings);
    if let Some(name) = name {
        if policy.is_denied(name) {
            return Verdict::Deny;
        }
        if policy.is_allowed(name) {
            return Verdict::Allow;
        }
    }
    from_findings(findings, policy)
}

/// What guard knows about one artifact of an install plan besides its findings.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub sha256: &'a str,
    /// A source distribution (runs code when built).
    pub sdist: bool,
    /// PEP 700 upload time (`2024-05-01T12:00:00Z`), when the index gave one.
    pub upload_time: Option<&'a str>,
}

/// The install-time decision: findings plus the policy's package rules. A deny
/// entry wins; an allow entry for this exact package (name, and version/hash
/// when the entry gives them) allows it whatever its findings; otherwise sdist
/// and release-age rules can raise the verdict to `review`, recorded as findings.
pub fn decide_candidate(c: &Candidate<'_>, findings: &mut Vec<Finding>, policy: &Policy) -> Verdict {
    policy.apply(findings);
    if let Some(entry) = policy.denied(c.name, Some(c.version)) {
        findings.push(policy_finding(
            PolicyDeny::META.id,
            Severity::Critical,
            format!("denied by policy: {}", or_none(&entry.reason)),
        ));
        return Verdict::Deny;
    }
    if policy.allowed(c.name, Some(c.version), Some(c.sha256)).is_some() {
        return Verdict::Allow;
    }
    if c.sdist && policy.sdist == Sdist::Review {
        findings.push(policy_finding(
            PolicySdist::META.id,
            Severity::High,
            "source distribution: building it runs its code, and the policy asks for review".into(),
        ));
    }
    if policy.min_release_age_hours > 0 {
        let age = c.upload_time.and_then(age_hours);
        let message = match age {
            Some(h) if h < policy.min_release_age_hours => Some(format!(
                "uploaded {h} h ago; the policy wants {} h before installing new releases",
                policy.min_release_age_hours
            )),
            Some(_) => None,
            None => Some("upload time unknown; the policy sets a minimum release age".into()),
        };
        if let Some(message) = message {
            findings.push(policy_finding(PolicyMinReleaseAge::META.id, Severity::High, message));
        }
    }
    let verdict = from_findings(findings, policy);
    let forced_review = findings.iter().any(|f| f.rule.starts_with("policy-"));
    if forced_review {
        verdict.max(Verdict::Review)
    } else {
        verdict
    }
}

fn or_none(s: &str) -> &str {
    if s.trim().is_empty() {
        "no reason given"
    } else {
        s
    }
}

crate::declare_rule! {
    /// ## What it does
    /// Records that the policy denies this package: a `[[deny]]` entry matches
    /// its name (and version, when the entry gives one).
    ///
    /// ## Why is this bad?
    /// Someone decided this package must not be installed here; the verdict is
    /// `deny` whatever the inspection found.
    ///
    /// ## Example
    /// ```toml
    /// [[deny]]
    /// name = "requests2"
    /// reason = "typosquat of requests"
    /// ```
    PolicyDeny, id = "policy-deny", severity = Critical,
    summary = "the policy denies this package"
}

crate::declare_rule! {
    /// ## What it does
    /// Records that the package would be installed from a source distribution
    /// while the policy says `sdist = "review"`.
    ///
    /// ## Why is this bad?
    /// Building an sdist runs its `setup.py` or build backend: code guard has
    /// inspected but cannot prove harmless. The policy asks a person to confirm.
    ///
    /// ## Example
    /// `foo-1.0.tar.gz` with `sdist = "review"` in the policy. A wheel, an allow
    /// entry for the package, or `sdist = "allow"` does not trigger it.
    PolicySdist, id = "policy-sdist", severity = High,
    summary = "a source distribution, and the policy asks for review of sdists"
}

crate::declare_rule! {
    /// ## What it does
    /// Records that the chosen file was uploaded more recently than the
    /// policy's `min_release_age_hours`, or that the index gave no upload time.
    ///
    /// ## Why is this bad?
    /// Malicious releases are usually found and removed within days; waiting
    /// before installing new releases lets that happen first.
    ///
    /// ## Example
    /// `min_release_age_hours = 72` and a release uploaded 5 hours ago.
    PolicyMinReleaseAge, id = "policy-min-release-age", severity = High,
    summary = "a release newer than the policy's minimum age (or of unknown age)"
}

/// The ids the policy adds to findings, for `guard explain`.
pub const FINDINGS: [&crate::inspect::rules::RuleMeta; 3] =
    [&PolicyDeny::META, &PolicyMinReleaseAge::META, &PolicySdist::META];

fn policy_finding(rule: &'static str, severity: Severity, message: String) -> Finding {
    Finding {
        stage: None,
        rule,
        severity,
        file: None,
        line: None,
        message,
        snippet: None,
    }
}

/// Hours since an RFC 3339 timestamp (UTC assumed), or `None` when unparsable.
fn age_hours(ts: &str) -> Option<u64> {
    let date = super::config::Date::parse(ts)?;
    let hour: i64 = ts.get(11..13).and_then(|h| h.parse().ok()).unwrap_or(0);
    let then = date.to_days() * 24 + hour;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs() as i64
        / 3600;
    Some((now - then).max(0) as u64)
}

fn from_findings(findings: &[Finding], policy: &Policy) -> Verdict {
    // Mediums in library functions nobody runs at install or import time (a
    // CLI's `setup` command calling PowerShell, its updater downloading a
    // release) are each worth a look, but do not add up across unrelated
    // functions (issue 11).
    let medium_rules = findings
        .iter()
        .filter(|f| f.severity == Severity::Medium && !crate::inspect::is_call_time(f))
        .map(|f| f.rule)
        .collect::<HashSet<_>>()
        .len();
    let max = findings.iter().map(|f| f.severity).max();
    let Some(max) = max else {
        return Verdict::Allow;
    };
    // Two `high`s combine only as two acts: two rules describing the same call
    // (a request on import is both `install-network` and, by its host,
    // `exfiltration`) are one thing to look at.
    let highs: Vec<&Finding> = findings.iter().filter(|f| f.severity == Severity::High).collect();
    let same_place =
        |a: &Finding, b: &Finding| a.file.is_some() && a.line.is_some() && a.file == b.file && a.line == b.line;
    let two_high_acts = highs
        .iter()
        .any(|a| highs.iter().any(|b| a.rule != b.rule && !same_place(a, b)));
    if max >= policy.deny_at || (policy.combine && two_high_acts) {
        Verdict::Deny
    } else if max >= policy.review_at || (policy.combine && medium_rules >= 3) {
        Verdict::Review
    } else {
        Verdict::Allow
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(rule: &'static str, severity: Severity) -> Finding {
        Finding {
            stage: None,
            rule,
            severity,
            file: None,
            line: None,
            message: String::new(),
            snippet: None,
        }
    }

    #[test]
    fn defaults() {
        let p = Policy::default();
        assert_eq!(decide(None, &mut vec![], &p), Verdict::Allow);
        assert_eq!(
            decide(None, &mut vec![f("a", Severity::Low), f("b", Severity::Medium)], &p),
            Verdict::Allow
        );
        assert_eq!(decide(None, &mut vec![f("a", Severity::High)], &p), Verdict::Review);
        assert_eq!(
            decide(None, &mut vec![f("a", Severity::High), f("a", Severity::High)], &p),
            Verdict::Review
        );
        assert_eq!(
            decide(None, &mut vec![f("a", Severity::High), f("b", Severity::High)], &p),
            Verdict::Deny
        );
        assert_eq!(decide(None, &mut vec![f("a", Severity::Critical)], &p), Verdict::Deny);
        // Two rules describing one call (same file and line) are one act: review.
        let at = |rule, file: &str, line| Finding {
            file: Some(file.into()),
            line: Some(line),
            ..f(rule, Severity::High)
        };
        assert_eq!(
            decide(None, &mut vec![at("a", "pkg/x.py", 32), at("b", "pkg/x.py", 32)], &p),
            Verdict::Review
        );
        assert_eq!(
            decide(None, &mut vec![at("a", "pkg/x.py", 32), at("b", "pkg/x.py", 40)], &p),
            Verdict::Deny
        );
        let three = vec![
            f("a", Severity::Medium),
            f("b", Severity::Medium),
            f("c", Severity::Medium),
        ];
        assert_eq!(decide(None, &mut three.clone(), &p), Verdict::Review);
        // Three call-time mediums in unrelated library functions stay allow.
        let called = |rule| Finding {
            file: Some("pkg/cli.py".into()),
            line: Some(7),
            message: "runs a shell command using PowerShell when called".into(),
            stage: Some(crate::finding::Stage::Call),
            ..f(rule, Severity::Medium)
        };
        let mut spread = vec![called("a"), called("b"), called("c")];
        assert_eq!(decide(None, &mut spread, &p), Verdict::Allow);
    }

    #[test]
    fn candidates() {
        let h = "a".repeat(64);
        let c = Candidate {
            name: "pkg",
            version: "1.0",
            sha256: &h,
            sdist: true,
            upload_time: Some("2000-01-01T00:00:00Z"),
        };
        let mut p = Policy::default();
        assert_eq!(decide_candidate(&c, &mut vec![], &p), Verdict::Allow);
        p.sdist = Sdist::Review;
        let mut found = vec![];
        assert_eq!(decide_candidate(&c, &mut found, &p), Verdict::Review);
        assert_eq!(found[0].rule, "policy-sdist");
        p.sdist = Sdist::Allow;
        p.min_release_age_hours = 24;
        assert_eq!(decide_candidate(&c, &mut vec![], &p), Verdict::Allow, "old enough");
        let fresh = Candidate { upload_time: None, ..c };
        assert_eq!(
            decide_candidate(&fresh, &mut vec![], &p),
            Verdict::Review,
            "unknown age"
        );
        let p = crate::policy::parse(
            std::path::Path::new("p.toml"),
            "[[allow]]\nname = \"pkg\"\nversion = \"2.0\"\nreason = \"r\"\n",
        )
        .unwrap();
        let mut crit = vec![f("a", Severity::Critical)];
        assert_eq!(
            decide_candidate(&c, &mut crit, &p),
            Verdict::Deny,
            "allow entry is for 2.0 only"
        );
        let two = Candidate { version: "2.0", ..c };
        assert_eq!(decide_candidate(&two, &mut crit, &p), Verdict::Allow);
    }
}
