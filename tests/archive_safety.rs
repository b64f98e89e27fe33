//! Archive-safety rules on crafted archives: traversal, links, bombs,
//! truncation, duplicates. Everything is built in memory; nothing is extracted.

mod common;

use common::artifacts;

use guard::inspect::{inspect_bytes, Severity};
use guard::policy::{decide, Policy, Verdict};

fn verdict_and_rules(filename: &str, bytes: &[u8]) -> (Verdict, Vec<(&'static str, Severity)>) {
    let inspection = inspect_bytes(filename, bytes);
    let mut findings = inspection.findings;
    let verdict = decide(inspection.name.as_deref(), &mut findings, &Policy::default());
    (verdict, findings.iter().map(|f| (f.rule, f.severity)).collect())
}

fn has(rules: &[(&str, Severity)], id: &str) -> bool {
    rules.iter().any(|(r, _)| *r == id)
}

#[test]
fn tar_path_traversal_and_absolute_paths() {
    use tar::EntryType::Regular;
    for name in [
        &b"pkg-1.0/../../.bashrc"[..],
        b"/etc/cron.d/x",
        b"C:\\\\Windows\\\\x.py",
    ] {
        let bytes = artifacts::raw_tar_gz(&[
            (b"pkg-1.0/PKG-INFO", Regular, b"", b"Name: pkg\n"),
            (name, Regular, b"", b"x"),
        ]);
        let (verdict, rules) = verdict_and_rules("pkg-1.0.tar.gz", &bytes);
        assert!(
            has(&rules, "archive-path-traversal"),
            "{:?}: {rules:?}",
            String::from_utf8_lossy(name)
        );
        assert_eq!(verdict, Verdict::Deny, "{:?}", String::from_utf8_lossy(name));
    }
}

#[test]
fn zip_traversal_is_denied() {
    let bytes = artifacts::zip_of(&[("../../evil.pth", b"import os\n")]);
    let (verdict, rules) = verdict_and_rules("x-1.0-py3-none-any.whl", &bytes);
    assert!(has(&rules, "archive-path-traversal"));
    assert_eq!(verdict, Verdict::Deny);
}

#[test]
fn symlink_escaping_root_is_denied_but_internal_link_is_low() {
    use tar::EntryType::{Regular, Symlink};
    let bytes = artifacts::raw_tar_gz(&[
        (b"pkg-1.0/setup.py", Regular, b"", b""),
        (b"pkg-1.0/evil", Symlink, b"../../../home/u/.ssh", b""),
    ]);
    let (verdict, rules) = verdict_and_rules("pkg-1.0.tar.gz", &bytes);
    assert!(rules.contains(&("archive-link", Severity::Critical)), "{rules:?}");
    assert_eq!(verdict, Verdict::Deny);
    let bytes = artifacts::raw_tar_gz(&[
        (b"pkg-1.0/README", Regular, b"", b"hi"),
        (b"pkg-1.0/docs/README", Symlink, b"../README", b""),
    ]);
    let (verdict, rules) = verdict_and_rules("pkg-1.0.tar.gz", &bytes);
    assert!(rules.contains(&("archive-link", Severity::Low)), "{rules:?}");
    assert_eq!(verdict, Verdict::Allow);
}

#[test]
fn hardlink_and_device_entries() {
    use tar::EntryType::{Block, Link, Regular};
    let bytes = artifacts::raw_tar_gz(&[
        (b"pkg-1.0/a", Regular, b"", b""),
        (b"pkg-1.0/h", Link, b"/etc/passwd", b""),
    ]);
    let (verdict, rules) = verdict_and_rules("pkg-1.0.tar.gz", &bytes);
    assert!(rules.contains(&("archive-link", Severity::Critical)), "{rules:?}");
    assert_eq!(verdict, Verdict::Deny);
    let bytes = artifacts::raw_tar_gz(&[(b"pkg-1.0/dev/sda", Block, b"", b"")]);
    let (_, rules) = verdict_and_rules("pkg-1.0.tar.gz", &bytes);
    assert!(has(&rules, "archive-special-file"), "{rules:?}");
}

#[test]
fn gzip_bomb_is_denied_and_bounded() {
    // 300 MB of zeros compresses to ~300 KB: ratio ~1000 > 200 past the 64 MiB floor.
    let bytes = common::hostile::tar_gz_zeros("bomb-1.0/zeros.bin", 300 << 20);
    let start = std::time::Instant::now();
    let (verdict, rules) = verdict_and_rules("bomb-1.0.tar.gz", &bytes);
    assert!(has(&rules, "archive-bomb"), "{rules:?}");
    assert_eq!(verdict, Verdict::Deny);
    assert!(start.elapsed().as_secs() < 60);
}

#[test]
fn truncated_and_garbage_archives_are_unreadable() {
    let full = artifacts::sdist_files("t", "1.0", &[("setup.py", "print('hi')\n")]);
    for (name, bytes) in [
        ("t-1.0.tar.gz", full[..full.len() - 30].to_vec()),
        ("t-1.0.tar.gz", b"\x1f\x8b not really gzip".to_vec()),
        ("t-1.0-py3-none-any.whl", b"PK\x03\x04 truncated zip".to_vec()),
        ("t-1.0-py3-none-any.whl", Vec::new()),
    ] {
        let (verdict, rules) = verdict_and_rules(name, &bytes);
        assert!(has(&rules, "unreadable-archive"), "{name} {}: {rules:?}", bytes.len());
        assert_eq!(verdict, Verdict::Deny);
    }
}

#[test]
fn duplicate_members_are_flagged() {
    use tar::EntryType::Regular;
    let bytes = artifacts::raw_tar_gz(&[
        (b"pkg-1.0/setup.py", Regular, b"", b"from setuptools import setup\n"),
        (b"pkg-1.0/setup.py", Regular, b"", b"import os\n"),
    ]);
    let (verdict, rules) = verdict_and_rules("pkg-1.0.tar.gz", &bytes);
    // Two different `setup.py`: a scanner may read one and pip unpack the other.
    assert!(
        rules.contains(&("archive-duplicate-entry", Severity::Critical)),
        "{rules:?}"
    );
    assert_eq!(verdict, Verdict::Deny);
}

#[test]
fn clean_sdist_has_no_archive_findings() {
    let bytes = artifacts::sdist_files(
        "fine",
        "1.0",
        &[
            ("setup.py", "from setuptools import setup\nsetup(name='fine')\n"),
            ("fine/__init__.py", ""),
        ],
    );
    let (verdict, rules) = verdict_and_rules("fine-1.0.tar.gz", &bytes);
    assert!(rules.iter().all(|(r, _)| !r.starts_with("archive-")), "{rules:?}");
    assert_eq!(verdict, Verdict::Allow);
}
