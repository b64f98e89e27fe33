//! `guard shell-init`, `setup`, `teardown`, `doctor` and the shim behind the shell functions.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context};
use clap::Parser;

use crate::cli::{Cli, SetupArgs, Shell};
use crate::shell::{self as sh, PipCall};
use crate::ExitStatus;

fn guard_exe() -> anyhow::Result<String> {
    let exe = std::env::current_exe().context("cannot find guard's own executable")?;
    Ok(exe.display().to_string())
}

fn home() -> anyhow::Result<PathBuf> {
    dirs::home_dir().context("no home directory")
}

pub fn init(shell: Shell) -> anyhow::Result<ExitStatus> {
    print!("{}", sh::init_script(shell, &guard_exe()?));
    Ok(ExitStatus::Success)
}

fn shells(args: &SetupArgs) -> anyhow::Result<Vec<Shell>> {
    if !args.shell.is_empty() {
        return Ok(args.shell.clone());
    }
    match sh::detect(std::env::var("SHELL").ok().as_deref()) {
        Some(s) => Ok(vec![s]),
        None => bail!("cannot tell your shell from $SHELL; pass --shell bash|zsh|fish|powershell"),
    }
}

pub fn setup(args: SetupArgs) -> anyhow::Result<ExitStatus> {
    if let Some(url) = &args.index {
        super::clients::setup(url)?;
        if args.shell.is_empty() {
            return Ok(ExitStatus::Success);
        }
    }
    let guard = guard_exe()?;
    let home = home()?;
    for shell in shells(&args)? {
        let rc = sh::rc_file(shell, &home);
        let old = std::fs::read_to_string(&rc).unwrap_or_default();
        let new = sh::add_block(&old, &sh::block(shell, &guard));
        if new == old {
            eprintln!("{}: already set up", rc.display());
            continue;
        }
        if let Some(dir) = rc.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(&rc, new).with_context(|| format!("cannot write {}", rc.display()))?;
        eprintln!(
            "{}: added guard's {} integration; open a new shell (or source the file) to use it",
            rc.display(),
            sh::name(shell)
        );
    }
    Ok(ExitStatus::Success)
}

pub fn teardown(args: SetupArgs) -> anyhow::Result<ExitStatus> {
    let home = home()?;
    let all = [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::Powershell];
    let list = if args.shell.is_empty() {
        all.to_vec()
    } else {
        args.shell.clone()
    };
    for shell in list {
        let rc = sh::rc_file(shell, &home);
        let Ok(old) = std::fs::read_to_string(&rc) else {
            continue;
        };
        if !sh::has_block(&old) {
            continue;
        }
        std::fs::write(&rc, sh::remove_block(&old)).with_context(|| format!("cannot write {}", rc.display()))?;
        eprintln!("{}: removed guard's integration (open a new shell)", rc.display());
    }
    Ok(ExitStatus::Success)
}

pub fn doctor() -> anyhow::Result<ExitStatus> {
    let mut ok = true;
    let mut line = |good: bool, essential: bool, text: String| {
        println!("{} {text}", if good { "✔" } else { "✘" });
        if !good && essential {
            ok = false;
        }
    };
    let shell = std::env::var("GUARD_SHELL").ok();
    line(
        shell.is_some(),
        true,
        match &shell {
            Some(s) => format!("shell integration loaded in this shell ({s})"),
            None => "shell integration is not loaded in this shell: run `guard setup` and open a new shell".into(),
        },
    );
    match std::env::var("GUARD_PIP_TYPE") {
        Ok(t) if t.to_ascii_lowercase().contains("function") => line(true, true, "`pip` is guard's function".into()),
        Ok(t) => line(
            false,
            true,
            format!(
                "`pip` is not wrapped here (it is: {}); something redefined it after guard",
                t.trim()
            ),
        ),
        Err(_) => line(
            shell.is_none(),
            false,
            "cannot see the shell's functions (run `guard doctor` from an interactive shell)".into(),
        ),
    }
    let home = home()?;
    for s in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::Powershell] {
        let rc = sh::rc_file(s, &home);
        if std::fs::read_to_string(&rc).is_ok_and(|t| sh::has_block(&t)) {
            line(true, false, format!("{} has guard's block", rc.display()));
        }
    }
    let routed = sh::classify_pip(&["--no-color".into(), "install".into(), "x".into()]);
    line(
        matches!(routed, PipCall::Install(_)),
        true,
        "`pip --no-color install x` is routed to guard".into(),
    );
    match crate::interpreter::Interpreter::find(None, None) {
        Ok(i) => {
            let out = Command::new(&i.path).args(["-m", "pip", "--version"]).output();
            match out {
                Ok(o) if o.status.success() => line(
                    true,
                    true,
                    format!(
                        "target pip: {}",
                        String::from_utf8_lossy(&o.stdout).trim().replace('\n', " ")
                    ),
                ),
                _ => line(
                    false,
                    true,
                    format!("{} -m pip does not run: guard needs pip to install", i.path.display()),
                ),
            }
        }
        Err(e) => line(false, true, format!("no target interpreter: {e}")),
    }
    Ok(if ok { ExitStatus::Success } else { ExitStatus::Failure })
}

/// `pip …` / `python -m pip …` from the shell functions.
pub fn shim(program: &str, args: Vec<String>) -> anyhow::Result<ExitStatus> {
    let is_python = program.starts_with("python");
    let pip_args = if is_python {
        sh::python_pip_args(&args)
    } else {
        Some(args.clone())
    };
    let call = pip_args.as_deref().map(sh::classify_pip).unwrap_or(PipCall::Other);
    let PipCall::Install(mut rest) = call else {
        return run_real(program, &args);
    };
    if !rest.iter().any(|a| a == "--python" || a.starts_with("--python=")) {
        let python = if is_python {
            sh::which(program)
        } else {
            sh::which(program).and_then(|p| sh::shebang_python(&p))
        };
        if let Some(p) = python {
            rest.splice(0..0, ["--python".to_string(), p.display().to_string()]);
        }
    }
    let argv = ["guard".to_string(), "install".to_string()].into_iter().chain(rest);
    match Cli::try_parse_from(argv) {
        Ok(cli) => crate::commands::run(cli),
        Err(e) => {
            let _ = e.print();
            Ok(ExitStatus::Error)
        }
    }
}

fn run_real(program: &str, args: &[String]) -> anyhow::Result<ExitStatus> {
    let mut cmd = Command::new(program);
    cmd.args(args);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let err = cmd.exec();
        Err(err).with_context(|| format!("cannot run {program}"))
    }
    #[cfg(not(unix))]
    {
        let status = cmd.status().with_context(|| format!("cannot run {program}"))?;
        Ok(match status.code() {
            Some(0) => ExitStatus::Success,
            Some(c) => ExitStatus::Child(u8::try_from(c).unwrap_or(1)),
            None => ExitStatus::Error,
        })
    }
}
