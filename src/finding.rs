//! What a rule reports. A leaf module: it imports nothing from guard, so
//! `names`, `inspect`, `policy` and `report` use it without an import cycle
//! (`names` ↔ `inspect` was one only because `Severity` lived in `inspect`).

use std::fmt;

use serde::{Deserialize, Serialize};

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

/// When a piece of code runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Inside tests/docs/examples: never run by install or import.
    Auxiliary,
    /// Inside a function or method: runs only when called.
    Call,
    /// Module top level: runs on import.
    Import,
    /// Runs on install (setup.py, build hooks) or at every start-up (`.pth`).
    Install,
}

impl Stage {
    pub fn describe(self) -> &'static str {
        match self {
            Stage::Install => "at install time",
            Stage::Import => "on import",
            Stage::Call => "when called",
            Stage::Auxiliary => "in test/example code",
        }
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
    /// When the code it describes runs, for findings about code: the verdict
    /// weighs install and import time over a library function nobody calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
}

impl Finding {
    /// The same finding, marked as describing code that runs at `stage`.
    pub fn at(mut self, stage: Stage) -> Finding {
        self.stage = Some(stage);
        self
    }
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
