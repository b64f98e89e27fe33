//! `--format human`: grouped per artifact, colour on a terminal unless `NO_COLOR`.

use std::fmt::Write;

use super::{ArtifactResult, Summary};
use crate::inspect::Severity;
use crate::policy::Verdict;

pub struct Style {
    pub color: bool,
}

impl Style {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset or empty.
    pub fn detect() -> Style {
        use std::io::IsTerminal;
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: std::io::stdout().is_terminal() && !no_color,
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

fn verdict_label(style: &Style, v: Verdict) -> String {
    match v {
        Verdict::Allow => style.paint("32", "ALLOW"),
        Verdict::Review => style.paint("33;1", "REVIEW"),
        Verdict::Deny => style.paint("31;1", "DENY"),
    }
}

fn severity_label(style: &Style, s: Severity) -> String {
    let code = match s {
        Severity::Low => "2",
        Severity::Medium => "36",
        Severity::High => "33",
        Severity::Critical => "31;1",
    };
    style.paint(code, &format!("{:<8}", s.as_str()))
}

pub fn scan(results: &[ArtifactResult], summary: &Summary, style: &Style) -> String {
    let mut out = String::new();
    for r in results {
        let id = match (&r.name, &r.version) {
            (Some(n), Some(v)) => format!("{n} {v}"),
            (Some(n), None) => n.clone(),
            _ => "(unknown)".to_string(),
        };
        let _ = writeln!(out, "{}  {}  ({})", verdict_label(style, r.verdict), r.path, id);
        for f in &r.findings {
            let location = match (&f.file, f.line) {
                (Some(file), Some(line)) => format!("{file}:{line}"),
                (Some(file), None) => file.clone(),
                _ => "(archive)".to_string(),
            };
            let _ = writeln!(
                out,
                "  {} {}  {}",
                severity_label(style, f.severity),
                style.paint("1", f.rule),
                location
            );
            let _ = writeln!(out, "           {}", f.message);
            if let Some(snippet) = &f.snippet {
                let gutter = f
                    .line
                    .map(|l| format!("{l:>5} | "))
                    .unwrap_or_else(|| "      | ".to_string());
                let _ = writeln!(out, "           {}{}", style.paint("2", &gutter), snippet);
            }
        }
    }
    let _ = writeln!(
        out,
        "{} artifacts: {} allow, {} review, {} deny ({:.2}s)",
        results.len(),
        summary.allow,
        summary.review,
        summary.deny,
        summary.seconds
    );
    out
}
