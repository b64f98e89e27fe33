use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = guard::cli::Cli::parse();
    match guard::run(cli) {
        Ok(status) => status.into(),
        Err(err) => {
            guard::report::print_error(&err);
            guard::ExitStatus::Error.into()
        }
    }
}
