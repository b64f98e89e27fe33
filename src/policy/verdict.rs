//! Findings + policy → verdict.
//!
//! Defaults: any `critical` finding, or `high` findings from two different
//! rules, is `deny`; any other `high` finding is `review`; `medium` findings
//! from three different rules are `review`; everything else is `allow`.

use std::collections::HashSet;

use serde::Serialize;

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
    let count_rules = |sev: Severity| {
        findings
            .iter()
            .filter(|f| f.severity == sev)
            .map(|f| f.rule)
            .collect::<HashSet<_>>()
            .len()
    };
    let max = findings.iter().map(|f| f.severity).max();
    let Some(max) = max else {
        return Verdict::Allow;
    };
    if max >= policy.deny_at || (policy.combine && count_rules(Severity::High) >= 2) {
        Verdict::Deny
    } else if max >= policy.review_at || (policy.combine && count_rules(Severity::Medium) >= 3) {
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
        let three = vec![
            f("a", Severity::Medium),
            f("b", Severity::Medium),
            f("c", Severity::Medium),
        ];
        assert_eq!(decide(None, &mut three.clone(), &p), Verdict::Review);
    }
}
