//! `guard scan`: find artifacts, inspect them in parallel, decide, report.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use rayon::prelude::*;

use crate::archive::Format;
use crate::cli::{Format as OutputFormat, ScanArgs};
use crate::inspect;
use crate::policy::{self, Policy, Verdict};
use crate::report::{self, ArtifactResult, Summary};
use crate::ExitStatus;

pub fn run(args: ScanArgs) -> anyhow::Result<ExitStatus> {
    let start = Instant::now();
    let policy = match &args.policy {
        Some(path) => policy::load(path)?,
        None => Policy::default(),
    };
    let targets = collect(&args.paths)?;
    let pool = crate::inspect::thread_pool(args.jobs).context("failed to start the scanning threads")?;
    let mut results: Vec<ArtifactResult> = pool.install(|| {
        largest_first(&targets)
            .into_par_iter()
            // One artifact per job, so an idle thread can take any artifact not yet started.
            .with_max_len(1)
            .map(|(shown, path)| {
                let inspection = inspect::inspect_path(path);
                let sha256 = inspection.sha256().to_string();
                let mut findings = inspection.findings;
                let verdict = policy::decide(inspection.name.as_deref(), &mut findings, &policy);
                ArtifactResult {
                    path: shown.clone(),
                    name: inspection.name,
                    version: inspection.version,
                    sha256,
                    verdict,
                    findings,
                }
            })
            .collect()
    });
    results.sort_by(|a, b| a.path.cmp(&b.path));
    let summary = Summary::of(&results, start.elapsed().as_secs_f64());
    let text = match args.format {
        OutputFormat::Json => report::json::scan(&results, &summary),
        OutputFormat::Sarif => report::sarif::scan(&results),
        OutputFormat::Human => report::human::scan(&results, &summary, &report::human::Style::detect()),
    };
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{}", text.trim_end()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.context("failed to write results")?,
    }
    Ok(if results.iter().all(|r| r.verdict == Verdict::Allow) {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// The targets, largest file first. Big artifacts take the longest; started
/// last, one of them would keep a single core busy after the others ran out
/// of work. (Results are sorted by path afterwards.)
fn largest_first(targets: &[(String, PathBuf)]) -> Vec<&(String, PathBuf)> {
    let mut sized: Vec<(u64, &(String, PathBuf))> = targets
        .iter()
        .map(|t| (std::fs::metadata(&t.1).map(|m| m.len()).unwrap_or(0), t))
        .collect();
    sized.sort_by_key(|(size, _)| std::cmp::Reverse(*size));
    sized.into_iter().map(|(_, t)| t).collect()
}

/// Expands the command-line paths into `(shown path, real path)` artifact pairs.
fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).with_context(|| format!("cannot scan `{}`", path.display()))?;
        if meta.is_dir() {
            walk(path, &mut out).with_context(|| format!("cannot walk directory `{}`", path.display()))?;
        } else {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if Format::detect(&name).is_none() {
                bail!(
                    "`{}` is not a Python artifact (expected .whl, .tar.gz, .tgz, .tar.bz2, .tar.xz, .zip or .egg)",
                    path.display()
                );
            }
            out.push((path.display().to_string(), path.clone()));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let ty = entry.file_type()?;
        if ty.is_dir() {
            walk(&path, out)?;
        } else if ty.is_file() && Format::detect(&entry.file_name().to_string_lossy()).is_some() {
            out.push((path.display().to_string(), path));
        }
    }
    Ok(())
}
