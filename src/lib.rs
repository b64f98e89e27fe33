//! guard: inspect Python packages statically before pip runs any of their code.
//!
//! The modules follow the pipeline: requirements → resolve → download →
//! [`archive`] → [`inspect`] → [`policy`] → confirm → pip handoff, with
//! [`report`] rendering results and [`commands`] orchestrating.

pub mod cli;
pub mod commands;

pub mod bounded;
pub mod cache;
pub mod direct;
pub mod download;
pub mod index;
pub mod interpreter;
pub mod plan;
pub mod progress;
pub mod requirements;
pub mod resolve;

pub mod archive;
pub mod finding;
pub mod inspect;
pub mod metadata;
pub mod names;
pub mod policy;
pub mod report;

pub mod audit;
pub mod confirm;
pub mod handoff;
pub mod shell;

pub mod serve;
pub mod store;

use std::process::ExitCode;

/// The process exit status, with the values fixed by CONTRACT.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Every artifact is `allow` (or the install proceeded).
    Success,
    /// Something is `review` or `deny` (or the install was refused).
    Failure,
    /// A usage, internal, resolution or network error.
    Error,
    /// The exit code of the pip that guard handed the install to.
    Child(u8),
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        match status {
            ExitStatus::Success => ExitCode::from(0),
            ExitStatus::Failure => ExitCode::from(1),
            ExitStatus::Error => ExitCode::from(2),
            ExitStatus::Child(code) => ExitCode::from(code),
        }
    }
}

/// Runs one command line.
pub fn run(cli: cli::Cli) -> anyhow::Result<ExitStatus> {
    commands::run(cli)
}
