//! Orchestration of each subcommand: no parsing or scanning logic lives here.

mod check_name;
mod clients;
mod install;
mod policy;
mod review;
mod rules;
mod scan;
pub(crate) mod serve;
mod shell;

use crate::cli::{Cli, Command, PolicyCommand};
use crate::ExitStatus;

pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        Command::Install(args) => install::run(*args),
        Command::Scan(args) => scan::run(args),
        Command::Rules => rules::list(),
        Command::Explain { id } => rules::explain(&id),
        Command::CheckName(args) => check_name::run(args),
        Command::Policy(PolicyCommand::Check { file }) => policy::check(file),
        Command::ShellInit { shell } => shell::init(shell),
        Command::Setup(args) => shell::setup(args),
        Command::Teardown(args) => shell::teardown(args),
        Command::Doctor(args) => clients::doctor(args),
        Command::Serve(args) => serve::run(*args),
        Command::Review(cmd) => review::run(cmd),
        Command::Shim { program, args } => shell::shim(&program, args),
    }
}
