//! `guard shell-init`, `setup`, `teardown`, `doctor` and the shim behind the shell functions.

use anyhow::bail;

use crate::cli::{SetupArgs, Shell};
use crate::ExitStatus;

pub fn init(_shell: Shell) -> anyhow::Result<ExitStatus> {
    bail!("not implemented yet")
}

pub fn setup(_args: SetupArgs) -> anyhow::Result<ExitStatus> {
    bail!("not implemented yet")
}

pub fn teardown(_args: SetupArgs) -> anyhow::Result<ExitStatus> {
    bail!("not implemented yet")
}

pub fn doctor() -> anyhow::Result<ExitStatus> {
    bail!("not implemented yet")
}

pub fn shim(_program: &str, _args: Vec<String>) -> anyhow::Result<ExitStatus> {
    bail!("not implemented yet")
}
