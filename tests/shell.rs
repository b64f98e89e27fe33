//! Shell integration in a real bash: `pip install` (in any option order) and
//! `python3 -m pip install` reach guard; other pip commands reach the real pip.
//! The "real" pip and python3 here are fake scripts that record their argv.

use std::path::Path;
use std::process::Command;

fn fake(dir: &Path, name: &str) {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\necho \"REAL {name} $*\"\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn bash(dir: &Path, line: &str) -> (String, String) {
    let guard = env!("CARGO_BIN_EXE_guard");
    let path = format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default());
    let script = format!("eval \"$('{guard}' shell-init bash)\"\n{line}\n");
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-c", &script])
        .env("PATH", path)
        .env("HOME", dir)
        .env("GUARD_AUDIT_LOG", dir.join("audit.jsonl"))
        .env("GUARD_CONFIG_DIR", dir.join("config"))
        .env("GUARD_SYSTEM_POLICY", dir.join("none.toml"))
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn pip_install_goes_to_guard_and_the_rest_to_pip() {
    let dir = tempfile::tempdir().unwrap();
    fake(dir.path(), "pip");
    fake(dir.path(), "python3");
    let (out, _) = bash(dir.path(), "pip list --outdated");
    assert_eq!(out.trim(), "REAL pip list --outdated");
    let (out, _) = bash(dir.path(), "python3 -c 'print(1)'");
    assert_eq!(out.trim(), "REAL python3 -c print(1)");
    let (out, _) = bash(dir.path(), "python3 -m pip --version");
    assert_eq!(out.trim(), "REAL python3 -m pip --version");
    // Install through guard: refused options prove guard (not pip) saw the command.
    for line in [
        "pip install --trusted-host h x",
        "pip --no-color install --trusted-host h x",
        "pip3 --timeout 5 install --trusted-host h x",
        "python3 -m pip install --trusted-host h x",
        "python3 -I -m pip install --trusted-host h x",
    ] {
        let (out, err) = bash(dir.path(), line);
        assert!(!out.contains("REAL"), "{line}: reached the real program: {out}");
        assert!(err.contains("unsupported pip option"), "{line}: {err}");
    }
}

#[test]
fn setup_and_teardown_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let rc = dir.path().join(".bashrc");
    std::fs::write(&rc, "export KEEP=1\n").unwrap();
    let run = |cmd: &str| {
        let ok = Command::new(env!("CARGO_BIN_EXE_guard"))
            .args([cmd, "--shell", "bash"])
            .env("HOME", dir.path())
            .status()
            .unwrap()
            .success();
        assert!(ok);
    };
    run("setup");
    run("setup");
    let text = std::fs::read_to_string(&rc).unwrap();
    assert_eq!(text.matches(">>> guard shell integration >>>").count(), 1, "{text}");
    assert!(text.starts_with("export KEEP=1\n"));
    run("teardown");
    assert_eq!(std::fs::read_to_string(&rc).unwrap(), "export KEEP=1\n");
}

#[test]
fn doctor_sees_the_wrapping() {
    let dir = tempfile::tempdir().unwrap();
    fake(dir.path(), "pip");
    let (out, _) = bash(dir.path(), "guard doctor");
    assert!(out.contains("✔ shell integration loaded in this shell (bash)"), "{out}");
    assert!(out.contains("✔ `pip` is guard's function"), "{out}");
}
