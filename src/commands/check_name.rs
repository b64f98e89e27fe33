//! `guard check-name NAME...`: the typosquat check on names as typed.

use std::io::Write;

use crate::cli::CheckNameArgs;
use crate::names::{self, human_count};
use crate::ExitStatus;

pub fn run(args: CheckNameArgs) -> anyhow::Result<ExitStatus> {
    let mut out = std::io::stdout().lock();
    let detector = names::reference();
    if args.self_check {
        let flags = detector.self_check();
        for squat in &flags {
            let own = detector.get(&squat.name).map_or(0, |e| e.downloads);
            let _ = writeln!(out, "{squat} [{}; itself {}]", squat.severity, human_count(own));
        }
        let _ = writeln!(out, "{} of {} listed names flag", flags.len(), detector.len());
        return Ok(ExitStatus::Success);
    }
    let mut flagged = false;
    for name in &args.names {
        let line = if let Some(entry) = detector.get(name) {
            format!("{name}: a listed project ({} downloads)", human_count(entry.downloads))
        } else if let Some(squat) = names::check_name(name) {
            flagged = true;
            format!(
                "{name}: {} [{}]; did you mean `{}`?",
                squat, squat.severity, squat.target
            )
        } else {
            format!("{name}: no popular project imitated")
        };
        if writeln!(out, "{line}").is_err() {
            break; // closed pipe is not an error
        }
    }
    Ok(if flagged {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}
