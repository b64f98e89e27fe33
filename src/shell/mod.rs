//! Shell integration: functions that route `pip install` through guard, and
//! the marked block `guard setup` adds to start-up files.
//!
//! The functions are thin: every `pip`/`pip3` call and every `python -m pip`
//! call goes to `guard shim`, which finds the pip subcommand the way pip does
//! (skipping global options and their values, so `pip --no-color install x`
//! cannot bypass guard), runs `guard install` for `install`, and hands every
//! other command to the real program unchanged.

use std::path::{Path, PathBuf};

use crate::cli::Shell;

pub const BEGIN: &str = "# >>> guard shell integration >>>";
pub const END: &str = "# <<< guard shell integration <<<";

/// pip's global options that take a value (as a separate word).
const GLOBAL_WITH_VALUE: &[&str] = &[
    "--log",
    "--log-file",
    "--local-log",
    "--proxy",
    "--retries",
    "--timeout",
    "--exists-action",
    "--trusted-host",
    "--cert",
    "--client-cert",
    "--cache-dir",
    "--python",
    "--keyring-provider",
    "--use-feature",
    "--use-deprecated",
];

/// What a pip command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum PipCall {
    /// `install`: the arguments for `guard install` (global options kept, `install` removed).
    Install(Vec<String>),
    /// Anything else: run the real pip with the arguments unchanged.
    Other,
}

/// Finds pip's subcommand like pip's own parser: the first word that is not
/// an option or the value of a global option.
pub fn classify_pip(args: &[String]) -> PipCall {
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            return PipCall::Other;
        }
        if a.starts_with('-') {
            if GLOBAL_WITH_VALUE.contains(&a.as_str()) {
                i += 1;
            }
            i += 1;
            continue;
        }
        if a == "install" {
            let mut rest = args[..i].to_vec();
            rest.extend_from_slice(&args[i + 1..]);
            return PipCall::Install(rest);
        }
        return PipCall::Other;
    }
    PipCall::Other
}

/// For `python [options] -m pip ARGS`: the pip arguments, or `None` when the
/// command line runs something else.
pub fn python_pip_args(args: &[String]) -> Option<Vec<String>> {
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "-m" => {
                let module = args.get(i + 1)?;
                return is_pip_module(module).then(|| args[i + 2..].to_vec());
            }
            _ if a.starts_with("-m") => {
                return is_pip_module(&a[2..]).then(|| args[i + 1..].to_vec());
            }
            // Options of python that take a value.
            "-W" | "-X" => i += 2,
            "-c" => return None,
            _ if a.starts_with('-') => i += 1,
            _ => return None,
        }
    }
    None
}

fn is_pip_module(m: &str) -> bool {
    m == "pip" || m == "pip3"
}

/// The start-up file `guard setup` edits for a shell.
pub fn rc_file(shell: Shell, home: &Path) -> PathBuf {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| home.join(".config"));
    match shell {
        Shell::Bash => home.join(".bashrc"),
        Shell::Zsh => std::env::var_os("ZDOTDIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.to_path_buf())
            .join(".zshrc"),
        Shell::Fish => config.join("fish").join("config.fish"),
        Shell::Powershell => config.join("powershell").join("Microsoft.PowerShell_profile.ps1"),
    }
}

pub fn name(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => "bash",
        Shell::Zsh => "zsh",
        Shell::Fish => "fish",
        Shell::Powershell => "powershell",
    }
}

/// The shell from `$SHELL` (basename), if known.
pub fn detect(shell_var: Option<&str>) -> Option<Shell> {
    let base = Path::new(shell_var?).file_name()?.to_str()?;
    match base {
        "bash" => Some(Shell::Bash),
        "zsh" => Some(Shell::Zsh),
        "fish" => Some(Shell::Fish),
        "pwsh" | "powershell" | "pwsh.exe" | "powershell.exe" => Some(Shell::Powershell),
        _ => None,
    }
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn ps_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The line the marked block runs at start-up.
pub fn block(shell: Shell, guard: &str) -> String {
    let line = match shell {
        Shell::Bash | Shell::Zsh => format!("eval \"$({} shell-init {})\"", sh_quote(guard), name(shell)),
        Shell::Fish => format!("{} shell-init fish | source", sh_quote(guard)),
        Shell::Powershell => format!(
            "& {} shell-init powershell | Out-String | Invoke-Expression",
            ps_quote(guard)
        ),
    };
    format!("{BEGIN}\n# Added by `guard setup`; remove with `guard teardown`.\n{line}\n{END}\n")
}

/// `text` with the marked block replaced by `block` (or appended once).
pub fn add_block(text: &str, block: &str) -> String {
    let stripped = remove_block(text);
    let mut out = stripped.trim_end_matches('\n').to_string();
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    out.push_str(block);
    out
}

/// `text` without any marked block.
pub fn remove_block(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.split_inclusive('\n') {
        let l = line.trim_end();
        if l == BEGIN {
            inside = true;
            continue;
        }
        if inside {
            if l == END {
                inside = false;
            }
            continue;
        }
        out.push_str(line);
    }
    // Collapse the blank line left where the block was appended.
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

pub fn has_block(text: &str) -> bool {
    text.lines().any(|l| l.trim_end() == BEGIN)
}

/// The functions `guard shell-init SHELL` prints.
pub fn init_script(shell: Shell, guard: &str) -> String {
    let g = sh_quote(guard);
    match shell {
        Shell::Bash | Shell::Zsh => {
            let kind = if shell == Shell::Bash { "type -t" } else { "whence -w" };
            format!(
                r#"# guard shell integration ({name}): `pip install`, `pip3 install`,
# `python -m pip install` and `python3 -m pip install` run `guard install`;
# every other command goes to the real program. Remove with `guard teardown`.
pip() {{ command {g} shim pip "$@"; }}
pip3() {{ command {g} shim pip3 "$@"; }}
__guard_python() {{
  local __guard_prog="$1"; shift
  case " $* " in
    *" -m pip "*|*" -mpip "*|*" -m pip3 "*|*" -mpip3 "*) command {g} shim "$__guard_prog" "$@" ;;
    *) command "$__guard_prog" "$@" ;;
  esac
}}
python() {{ __guard_python python "$@"; }}
python3() {{ __guard_python python3 "$@"; }}
guard() {{
  if [ "$1" = doctor ]; then
    GUARD_PIP_TYPE="$({kind} pip 2>/dev/null)" GUARD_PYTHON_TYPE="$({kind} python3 2>/dev/null)" command {g} "$@"
  else
    command {g} "$@"
  fi
}}
export GUARD_SHELL={name}
"#,
                name = name(shell)
            )
        }
        Shell::Fish => format!(
            r#"# guard shell integration (fish): `pip install`, `pip3 install`,
# `python -m pip install` and `python3 -m pip install` run `guard install`;
# every other command goes to the real program. Remove with `guard teardown`.
function pip --wraps pip
    command {g} shim pip $argv
end
function pip3 --wraps pip3
    command {g} shim pip3 $argv
end
function python --wraps python
    if contains -- -m $argv; or contains -- -mpip $argv
        command {g} shim python $argv
    else
        command python $argv
    end
end
function python3 --wraps python3
    if contains -- -m $argv; or contains -- -mpip $argv
        command {g} shim python3 $argv
    else
        command python3 $argv
    end
end
function guard
    if test "$argv[1]" = doctor
        set -lx GUARD_PIP_TYPE (type -t pip 2>/dev/null)
        set -lx GUARD_PYTHON_TYPE (type -t python3 2>/dev/null)
        command {g} $argv
    else
        command {g} $argv
    end
end
set -gx GUARD_SHELL fish
"#
        ),
        Shell::Powershell => {
            let g = ps_quote(guard);
            format!(
                r#"# guard shell integration (PowerShell): `pip install`, `pip3 install`,
# `python -m pip install` and `python3 -m pip install` run `guard install`;
# every other command goes to the real program. Remove with `guard teardown`.
function pip {{ & {g} shim pip @args }}
function pip3 {{ & {g} shim pip3 @args }}
function python {{
    if ($args -contains '-m' -or $args -contains '-mpip') {{ & {g} shim python @args }}
    else {{ & (Get-Command python -CommandType Application | Select-Object -First 1) @args }}
}}
function python3 {{
    if ($args -contains '-m' -or $args -contains '-mpip') {{ & {g} shim python3 @args }}
    else {{ & (Get-Command python3 -CommandType Application | Select-Object -First 1) @args }}
}}
function guard {{
    if ($args.Count -gt 0 -and $args[0] -eq 'doctor') {{
        $env:GUARD_PIP_TYPE = (Get-Command pip -ErrorAction SilentlyContinue).CommandType
        $env:GUARD_PYTHON_TYPE = (Get-Command python3 -ErrorAction SilentlyContinue).CommandType
    }}
    & {g} @args
}}
$env:GUARD_SHELL = 'powershell'
"#
            )
        }
    }
}

/// The first executable called `program` on PATH.
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file() && is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    true
}

/// The interpreter a pip script runs under, from its `#!` line.
pub fn shebang_python(script: &Path) -> Option<PathBuf> {
    let text = std::fs::read(script).ok()?;
    let first = text.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(first).ok()?.strip_prefix("#!")?.trim();
    let exe = PathBuf::from(line.split_whitespace().next()?);
    (exe.is_absolute() && exe.file_name()?.to_str()?.starts_with("python") && exe.exists()).then_some(exe)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn option_order_does_not_bypass() {
        assert_eq!(classify_pip(&v("install x")), PipCall::Install(v("x")));
        assert_eq!(
            classify_pip(&v("--no-color install x")),
            PipCall::Install(v("--no-color x"))
        );
        assert_eq!(
            classify_pip(&v("--timeout 5 -q install -r req.txt")),
            PipCall::Install(v("--timeout 5 -q -r req.txt"))
        );
        assert_eq!(
            classify_pip(&v("--cache-dir install list")),
            PipCall::Other,
            "`install` is the value of --cache-dir here"
        );
        assert_eq!(classify_pip(&v("list")), PipCall::Other);
        assert_eq!(classify_pip(&v("--version")), PipCall::Other);
        assert_eq!(classify_pip(&v("download x")), PipCall::Other);
    }

    #[test]
    fn python_m_pip() {
        assert_eq!(python_pip_args(&v("-m pip install x")), Some(v("install x")));
        assert_eq!(python_pip_args(&v("-I -m pip install x")), Some(v("install x")));
        assert_eq!(python_pip_args(&v("-mpip install x")), Some(v("install x")));
        assert_eq!(python_pip_args(&v("-X dev -m pip list")), Some(v("list")));
        assert_eq!(python_pip_args(&v("-m venv x")), None);
        assert_eq!(python_pip_args(&v("script.py -m pip")), None);
        assert_eq!(python_pip_args(&v("-c print(1) -m pip")), None);
    }

    #[test]
    fn blocks_are_idempotent() {
        let b = block(Shell::Bash, "/usr/bin/guard");
        let once = add_block("export A=1\n", &b);
        let twice = add_block(&once, &b);
        assert_eq!(once, twice);
        assert_eq!(once.matches(BEGIN).count(), 1);
        assert_eq!(remove_block(&twice), "export A=1\n");
        assert_eq!(remove_block("x\n"), "x\n");
    }

    #[test]
    fn scripts_mention_every_entry_point() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::Powershell] {
            let s = init_script(shell, "/opt/guard's/guard");
            for f in ["pip", "pip3", "python", "python3", "GUARD_SHELL"] {
                assert!(s.contains(f), "{f} missing for {shell:?}");
            }
        }
    }
}
