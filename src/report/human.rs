//! `--format human`: grouped per artifact, colour on a terminal unless `NO_COLOR`.

use std::fmt::Write;

use super::{ArtifactResult, Summary};
use crate::inspect::{Finding, Severity};
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

    /// No colour (text that goes to logs, prompts on stderr, tests).
    pub fn plain() -> Style {
        Style { color: false }
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

/// One finding as guard shows it everywhere (scan, the dry-run plan, the
/// review prompt): `severity rule  file:line`, the plain reason, and the
/// snippet with its line number, each line starting with `indent`.
pub fn finding(out: &mut String, f: &Finding, style: &Style, indent: &str) {
    let location = match (&f.file, f.line) {
        (Some(file), Some(line)) => format!("{file}:{line}"),
        (Some(file), None) => file.clone(),
        _ => "(archive)".to_string(),
    };
    let _ = writeln!(
        out,
        "{indent}{} {}  {}",
        severity_label(style, f.severity),
        style.paint("1", f.rule),
        location
    );
    let _ = writeln!(out, "{indent}         {}", f.message);
    if let Some(snippet) = &f.snippet {
        let gutter = f
            .line
            .map(|l| format!("{l:>5} | "))
            .unwrap_or_else(|| "      | ".to_string());
        for (i, line) in snippet.lines().take(3).enumerate() {
            let gutter = if i == 0 { gutter.as_str() } else { "      | " };
            let _ = writeln!(out, "{indent}         {}{}", style.paint("2", gutter), line);
        }
    }
}

/// A finding in one line, for summaries: `reason (file:line)`.
pub fn finding_brief(f: &Finding) -> String {
    match (&f.file, f.line) {
        (Some(file), Some(line)) => format!("{} ({file}:{line})", f.message),
        (Some(file), None) => format!("{} ({file})", f.message),
        _ => f.message.clone(),
    }
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
            finding(&mut out, f, style, "  ");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rendering_of_a_finding() {
        let f = Finding {
            stage: None,
            rule: "exec-decoded-payload",
            severity: Severity::Critical,
            file: Some("x-1.0/setup.py".into()),
            line: Some(3),
            message: "runs code decoded with base64 at install time".into(),
            snippet: Some("exec(b64decode(s))\nsecond\nthird\nfourth".into()),
        };
        let mut out = String::new();
        finding(&mut out, &f, &Style::plain(), "  ");
        assert_eq!(
            out,
            "  critical exec-decoded-payload  x-1.0/setup.py:3\n           runs code decoded with base64 at install time\n               3 | exec(b64decode(s))\n                 | second\n                 | third\n"
        );
        assert_eq!(
            finding_brief(&f),
            "runs code decoded with base64 at install time (x-1.0/setup.py:3)"
        );
    }
}
