//! The local audit log: one JSON line per decision, appended.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::confirm::Decision;
use crate::policy::Date;

#[derive(Debug, thiserror::Error)]
#[error("cannot write the audit log {path}: {source}")]
pub struct Error {
    pub path: PathBuf,
    pub source: std::io::Error,
}

#[derive(Debug, Serialize)]
struct Record<'a> {
    time: String,
    package: &'a str,
    version: &'a str,
    filename: &'a str,
    sha256: &'a str,
    verdict: &'a str,
    decision: &'static str,
    how: &'a str,
    user: String,
    python: &'a str,
}

/// `GUARD_AUDIT_LOG`, else `<data dir>/guard/audit.jsonl`.
pub fn default_path() -> Option<PathBuf> {
    std::env::var_os("GUARD_AUDIT_LOG")
        .map(PathBuf::from)
        .or_else(|| dirs::data_dir().map(|d| d.join("guard").join("audit.jsonl")))
}

/// Now as RFC 3339 UTC, second precision.
pub fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let date = Date::from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!("{date}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// Appends one line per decision.
pub fn append(path: &Path, decisions: &[Decision], python: &str) -> Result<(), Error> {
    let err = |source| Error {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_default();
    let time = now();
    let mut text = String::new();
    for d in decisions {
        let record = Record {
            time: time.clone(),
            package: &d.name,
            version: &d.version,
            filename: &d.filename,
            sha256: &d.sha256,
            verdict: d.verdict.as_str(),
            decision: if d.approved { "approved" } else { "refused" },
            how: &d.how,
            user: user.clone(),
            python,
        };
        text.push_str(&serde_json::to_string(&record).unwrap_or_default());
        text.push('\n');
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(err)?;
    f.write_all(text.as_bytes()).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Verdict;

    #[test]
    fn appends_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/audit.jsonl");
        let d = Decision {
            name: "a".into(),
            version: "1".into(),
            filename: "a-1.whl".into(),
            sha256: "00".into(),
            verdict: Verdict::Review,
            approved: false,
            how: "prompt".into(),
        };
        append(&path, std::slice::from_ref(&d), "py").unwrap();
        append(&path, &[d], "py").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        let v: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(v["decision"], "refused");
        assert_eq!(v["verdict"], "review");
        assert!(v["time"].as_str().unwrap().ends_with('Z'));
    }
}
