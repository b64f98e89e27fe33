//! What a rule reports. A leaf module: it imports nothing from guard, so
//! `names`, `inspect`, `policy` and `report` use it without an import cycle
//! (`names` ↔ `inspect` was one only because `Severity` lived in `inspect`).

use std::fmt;

use serde::Serialize;

/// How bad a finding is on its own. The verdict step combines them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// One step up, saturating at `Critical`.
    pub fn raise(self) -> Severity {
        match self {
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }

    /// One step down, saturating at `Low`.
    pub fn lower(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium | Severity::Low => Severity::Low,
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One reason to look at an artifact: which rule, how bad, where, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule id, kebab-case (`exec-decoded-payload`).
    pub rule: &'static str,
    pub severity: Severity,
    /// The member path inside the archive, or `None` for archive-wide findings.
    pub file: Option<String>,
    /// 1-based line, or `None`.
    pub line: Option<u32>,
    /// A short, concrete, human-readable reason.
    pub message: String,
    /// The offending source, trimmed and bounded.
    pub snippet: Option<String>,
}

/// Longest snippet kept in a finding, in characters.
pub const MAX_SNIPPET: usize = 160;

/// Trims a source line for display: one line, bounded length.
pub fn snippet(text: &str) -> String {
    let line = text.trim();
    if line.chars().count() <= MAX_SNIPPET {
        return line.to_string();
    }
    let mut s: String = line.chars().take(MAX_SNIPPET).collect();
    s.push('…');
    s
}
