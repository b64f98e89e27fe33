//! Hostile metadata during resolution (issue 14, item 2): `guard install
//! --dry-run` reads dependencies from sdists offered by a local index through
//! the same bounded readers as the inspector. A text over budget ends the run
//! with exit 2 and a reason that names the package — never a signal (stack
//! overflow) and never a minute of resolution or one index request per
//! declared dependency.

use std::os::unix::process::ExitStatusExt;
use std::process::Output;
use std::sync::Mutex;
use std::time::{Duration, Instant};

mod common;

use common::{dry_run, sdist, wheel, Fault, Index};

/// One guard at a time: the 300,000-entry case is timed.
static SERIAL: Mutex<()> = Mutex::new(());

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit 2 (not a signal), nothing planned on stdout, and stderr names the
/// package's file and says `needle`.
fn assert_refused(out: &Output, file: &str, needle: &str) -> String {
    let err = stderr(out);
    assert_eq!(out.status.signal(), None, "killed by a signal: {err}");
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!err.contains("overflow"), "{err}");
    assert!(err.contains(file), "error does not name {file}: {err}");
    assert!(err.contains(needle), "expected `{needle}`: {err}");
    err
}

/// `[[[…]]]` 100,000 deep.
fn deep_list() -> String {
    format!("{}{}", "[".repeat(100_000), "]".repeat(100_000))
}

/// Offers `deep-1.0.tar.gz` holding `file` and asserts the dry run refuses it with `needle`.
fn assert_deep_sdist_refused(file: (&str, String), needle: &str) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let index = Index::start();
    index.add("deep", sdist("deep", "1.0", &[file]), Fault::None);
    let cache = tempfile::tempdir().unwrap();
    let out = dry_run(&index, cache.path(), &["deep"]);
    assert_refused(&out, "deep-1.0.tar.gz", needle);
}

#[test]
fn deep_setup_py_literal_is_refused_during_resolution() {
    let setup = format!(
        "from setuptools import setup\nx = {}\nsetup(name='deep', install_requires=['lib'])\n",
        deep_list()
    );
    assert_deep_sdist_refused(("setup.py", setup), "setup.py nests deeper than guard reads");
}

#[test]
fn deep_pyproject_array_is_refused_during_resolution() {
    let pyproject = format!(
        "[project]\nname = \"deep\"\nversion = \"1.0\"\ndependencies = {}\n",
        deep_list()
    );
    assert_deep_sdist_refused(
        ("pyproject.toml", pyproject),
        "pyproject.toml nests deeper than guard reads",
    );
}

#[test]
fn deep_marker_in_requires_dist_is_refused() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let marker = format!(
        "lib ; {}python_version > '3'{}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let index = Index::start();
    index.add("deep", wheel("deep", "1.0", &[&marker]), Fault::None);
    index.add("lib", wheel("lib", "1.0", &[]), Fault::None);
    let cache = tempfile::tempdir().unwrap();
    let out = dry_run(&index, cache.path(), &["deep"]);
    let err = stderr(&out);
    assert_eq!(out.status.signal(), None, "killed by a signal: {err}");
    assert_ne!(out.status.code(), Some(0), "stderr: {err}");
    assert!(err.contains("a requirement is"), "{err}");
}

#[test]
fn setup_cfg_with_300_000_dependencies_is_answered_at_once() {
    let mut cfg = String::from("[metadata]\nname = many\n[options]\ninstall_requires =\n");
    for i in 0..300_000 {
        cfg.push_str(&format!("    dep-{i}\n"));
    }
    let index = Index::start();
    index.add(
        "many",
        sdist(
            "many",
            "1.0",
            &[
                ("setup.py", "from setuptools import setup\nsetup()\n".into()),
                ("setup.cfg", cfg),
            ],
        ),
        Fault::None,
    );
    // Two of the declared dependencies exist: neither page may be asked for.
    index.add("dep-0", wheel("dep-0", "1.0", &[]), Fault::None);
    index.add("dep-1", wheel("dep-1", "1.0", &[]), Fault::None);
    let cache = tempfile::tempdir().unwrap();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let out = dry_run(&index, cache.path(), &["many"]);
    let end = Instant::now();
    assert_refused(&out, "many-1.0.tar.gz", "setup.cfg declares 300000 dependencies");
    // Timed from the moment guard asked for the sdist, so start-up and the
    // interpreter query (seconds on a loaded machine) are not counted.
    let asked = index.times("/files/many-1.0.tar.gz")[0];
    let took = end - asked;
    assert!(
        took < Duration::from_secs(2),
        "answered {took:?} after asking for the sdist"
    );
    assert_eq!(index.hits("/simple/many/"), 1);
    assert_eq!(index.hits("/simple/dep-0/"), 0);
    assert_eq!(index.hits("/simple/dep-1/"), 0);
}
