//! Rendering of results (human, JSON, SARIF). No decisions are made here.

pub mod human;
pub mod json;
pub mod sarif;

use serde::Serialize;

use crate::inspect::Finding;
use crate::policy::Verdict;

/// One scanned artifact as reported (CONTRACT.md `artifacts[]`).
#[derive(Debug, Clone, Serialize)]
pub struct ArtifactResult {
    pub path: String,
    pub name: Option<String>,
    pub version: Option<String>,
    pub sha256: String,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
}

/// Counts per verdict plus wall time (CONTRACT.md `summary`, for `scan` and `install --dry-run`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub allow: usize,
    pub review: usize,
    pub deny: usize,
    pub seconds: f64,
}

impl Summary {
    pub fn of(results: &[ArtifactResult], seconds: f64) -> Summary {
        Summary::count(results.iter().map(|r| r.verdict), seconds)
    }

    /// Counts verdicts (of scanned artifacts or of planned packages).
    pub fn count(verdicts: impl IntoIterator<Item = Verdict>, seconds: f64) -> Summary {
        let mut s = Summary {
            seconds,
            ..Summary::default()
        };
        for verdict in verdicts {
            match verdict {
                Verdict::Allow => s.allow += 1,
                Verdict::Review => s.review += 1,
                Verdict::Deny => s.deny += 1,
            }
        }
        s
    }
}

/// Prints `error: …` and one `  caused by: …` line per cause, on stderr.
pub fn print_error(err: &anyhow::Error) {
    eprintln!("error: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}
