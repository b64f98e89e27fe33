//! `guard install --index-url <guard serve>` (issue 13): a refused file is
//! an error naming the file and guard serve's reason; guard inspects what it
//! is served itself unless the policy's `[serve] trusted_indexes` names
//! the index.

use std::path::Path;
use std::process::Output;

use super::common::{isolated_install, sdist, wheel, Fault, Index};
use super::{both, venv, Serve, JSON};

/// A payload guard denies (exec of base64 in setup.py), with static metadata
/// (PKG-INFO 2.2) and no build dependencies, so nothing needs resolving or building. Its setup.py must never run.
fn flagged_sdist(name: &str, canary: &Path) -> (String, Vec<u8>) {
    let setup_py = format!(
        "import base64\nopen({:?}, 'w').write('setup.py ran')\nexec(base64.b64decode('cHJpbnQoJ2hpJyk='))\nfrom setuptools import setup\nsetup(name={name:?}, version='1.0')\n",
        canary.display().to_string()
    );
    sdist(
        name,
        "1.0",
        &[
            ("setup.py", setup_py),
            (
                "pyproject.toml",
                format!("[build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\"_b\"]\n\n[project]\nname = \"{name}\"\nversion = \"1.0\"\ndependencies = []\n"),
            ),
            (
                "PKG-INFO",
                format!("Metadata-Version: 2.2\nName: {name}\nVersion: 1.0\nSummary: fixture\n"),
            ),
        ],
    )
}

fn install(serve: &Serve, state: &Path, args: &[&str]) -> Output {
    isolated_install(&serve.url(), state)
        .arg("--cache-dir")
        .arg(state.join("guard-cache"))
        .args(["--timeout", "30"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn guard_install_through_guard_serve() {
    let dir = tempfile::tempdir().unwrap();
    let canary = dir.path().join("CANARY");
    let index = Index::start();
    index.add("served-wheel", wheel("served-wheel", "1.0", &[]), Fault::None);
    index.add("refused-sdist", flagged_sdist("refused-sdist", &canary), Fault::None);
    index.add("vouched-sdist", flagged_sdist("vouched-sdist", &canary), Fault::None);
    // The server's policy vouches for one flagged package; the client's does not.
    let server_policy = dir.path().join("server.toml");
    std::fs::write(
        &server_policy,
        "[[allow]]\nname = \"vouched-sdist\"\nreason = \"reviewed by the team\"\n",
    )
    .unwrap();
    let serve = Serve::start(
        &dir.path().join("serve-cache"),
        &["--upstream", &index.url(), "--policy", server_policy.to_str().unwrap()],
    );
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();

    // A benign wheel installs for real through guard serve.
    let python = venv(dir.path());
    let out = install(&serve, &state, &["--python", python.to_str().unwrap(), "served-wheel"]);
    assert!(out.status.success(), "{}\n{}", both(&out), serve.log_text());
    assert!(both(&out).contains("served-wheel"), "{}", both(&out));

    // Refused by guard serve: an error naming the file and the served reason.
    let out = install(&serve, &state, &["--python", python.to_str().unwrap(), "refused-sdist"]);
    let text = both(&out);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("refused-sdist-1.0.tar.gz"), "{text}");
    assert!(text.contains("HTTP 403: guard: refused-sdist 1.0"), "{text}");
    assert!(text.contains("exec-decoded-payload"), "{text}");
    assert!(!canary.exists(), "setup.py ran");

    // Served (the server's allow entry) but guard inspects it itself: deny.
    let dry = ["--dry-run", "--format", "json", "--python", "python3", "vouched-sdist"];
    let out = install(&serve, &state, &dry);
    let text = both(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(plan["packages"][0]["verdict"], "deny", "{text}");

    // The client's policy trusts this guard serve: its verdict stands.
    let trusting = state.join("trust.toml");
    std::fs::write(&trusting, format!("[serve]\ntrusted_indexes = [\"{}\"]\n", serve.url())).unwrap();
    let mut args = vec!["--policy", trusting.to_str().unwrap()];
    args.extend(dry);
    let out = install(&serve, &state, &args);
    let text = both(&out);
    assert!(out.status.success(), "{text}");
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(plan["packages"][0]["verdict"], "allow", "{text}");
    assert!(text.contains("trusted guard serve index"), "{text}");
    // A different index URL is not trusted by that entry.
    std::fs::write(
        &trusting,
        "[serve]\ntrusted_indexes = [\"http://127.0.0.1:9/simple/\"]\n",
    )
    .unwrap();
    let out = install(&serve, &state, &args);
    assert_eq!(out.status.code(), Some(1), "{}", both(&out));
    assert!(!canary.exists(), "setup.py ran");

    // The root listing answers in both formats.
    let root = serve.get("/simple/", Some(JSON));
    assert_eq!(root.status, 200);
    assert!(root.text().contains("\"api-version\""), "{}", root.text());
    let html = serve.get("/simple/", None);
    assert!(html.text().contains("pypi:repository-version"), "{}", html.text());
}
