//! Orchestration of each subcommand: no parsing or scanning logic lives here.

mod check_name;
mod install;
mod rules;
mod scan;

use crate::cli::{Cli, Command};
use crate::ExitStatus;

pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        Command::Install(args) => install::run(*args),
        Command::Scan(args) => scan::run(args),
        Command::Rules => rules::list(),
        Command::Explain { id } => rules::explain(&id),
        Command::CheckName(args) => check_name::run(args),
    }
}
