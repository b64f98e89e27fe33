use crate::archive::{EntryType, Kind};
use crate::declare_rule;
use crate::inspect::python::Sink;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Severity};

declare_rule! {
    /// ## What it does
    /// Finds native executables (PE, ELF, Mach-O) inside an artifact, and in
    /// payloads decoded from its code. Compiled extension modules in wheels
    /// (`.so`, `.pyd`, `.dll`, `.dylib`) are expected and ignored.
    ///
    /// ## Why is this bad?
    /// A source distribution is source. An `.exe` in an sdist, a binary
    /// disguised with a `.py`/`.txt`/`.png` name, or an executable decoded
    /// from a string is how droppers ship their payload past a reviewer.
    ///
    /// ## Example
    /// `pkg-1.0/pkg/update.exe` in an sdist (Error), `pkg/data.txt` holding an
    /// ELF binary (Error), `pkg/_speedups.cpython-311-x86_64-linux-gnu.so` in
    /// a wheel (No error).
    ///
    /// ## False positives
    /// Launcher stubs (`cli-64.exe` in setuptools, `t64.exe` in distlib) and
    /// vendored test binaries: `low`/`medium` unless disguised. Programs shipped
    /// under a versioned name (`bin/draco_decoder-1.5.7`, issue 11) have no
    /// extension to disguise them: `medium`, as any program without extension.
    BundledBinary, id = "bundled-binary", severity = High,
    summary = "native executables in an sdist, disguised binaries, or executables decoded from code"
}

/// The executable format named by a file's first bytes.
pub fn binary_kind(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"MZ") && head.len() >= 64 {
        let pe = u32::from_le_bytes([head[60], head[61], head[62], head[63]]) as usize;
        if head.get(pe..pe + 4) == Some(b"PE\0\0") || head.len() < pe + 4 {
            return Some("Windows PE");
        }
        return None;
    }
    if head.starts_with(b"\x7fELF") {
        return Some("ELF");
    }
    if [
        [0xcf, 0xfa, 0xed, 0xfe],
        [0xce, 0xfa, 0xed, 0xfe],
        [0xca, 0xfe, 0xba, 0xbe],
    ]
    .iter()
    .any(|m| head.starts_with(m))
    {
        // 0xcafebabe is also Java class files; require a small arch count.
        if head.starts_with(&[0xca, 0xfe, 0xba, 0xbe]) && head.get(7).is_none_or(|n| *n > 8 || head[4..7] != [0, 0, 0])
        {
            return None;
        }
        return Some("Mach-O");
    }
    None
}

/// Checks the header of a decoded head and names its format.
type HeaderCheck = fn(&[u8]) -> Option<&'static str>;

/// The executable or archive format hidden behind a one-byte XOR key (a DLL
/// XOR-ed and named `.py`, a zip of code XOR-ed into a data file), and the key.
/// The key is read off the first byte, so this is one check per format, not
/// 255 trials; each format's full magic must then match (issue 11).
pub fn xor_binary_kind(head: &[u8]) -> Option<(&'static str, u8)> {
    let first = *head.first()?;
    // Each format with the header fields that must follow its magic: with a key
    // chosen to fit the first byte, a magic alone is met by ordinary text.
    let checks: [(&[u8], HeaderCheck); 5] = [
        (b"MZ", |p| {
            // The PE signature where the DOS header points, inside what was read.
            let at = u32::from_le_bytes(p.get(60..64)?.try_into().ok()?) as usize;
            (p.get(at..at.checked_add(4)?) == Some(b"PE\0\0")).then_some("Windows PE")
        }),
        (b"\x7fELF", |p| {
            (matches!(p.get(4), Some(1 | 2)) && matches!(p.get(5), Some(1 | 2)) && p.get(6) == Some(&1))
                .then_some("ELF")
        }),
        (&[0xcf, 0xfa, 0xed, 0xfe], |p| {
            matches!(p.get(7), Some(0 | 1)).then_some("Mach-O")
        }),
        (&[0xce, 0xfa, 0xed, 0xfe], |p| {
            matches!(p.get(7), Some(0 | 1)).then_some("Mach-O")
        }),
        (b"PK\x03\x04", |p| {
            (p.get(4).is_some_and(|v| *v < 64) && p.get(5) == Some(&0)).then_some("zip archive")
        }),
    ];
    for (magic, check) in checks {
        let key = first ^ magic[0];
        if key == 0 || head.len() < 8 || head[1..magic.len()].iter().zip(&magic[1..]).any(|(h, m)| h ^ key != *m) {
            continue;
        }
        // The magic matches: decode enough to check the header fields.
        let plain: Vec<u8> = head.iter().take(4096).map(|b| b ^ key).collect();
        if let Some(kind) = check(&plain) {
            return Some((kind, key));
        }
    }
    None
}

const NATIVE_EXT: &[&str] = &[
    ".so", ".pyd", ".dll", ".dylib", ".lib", ".a", ".o", ".node", ".exe", ".bin", ".elf",
    // Other names Windows gives its PE images: drivers, controls, EFI applications.
    ".sys", ".ocx", ".drv", ".efi", ".mui", ".cpl",
];

impl Rule for BundledBinary {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        for m in analysis.listing.members.iter().filter(|m| m.entry == EntryType::File) {
            let Some(kind) = binary_kind(&m.data) else {
                if let Some((kind, key)) = xor_binary_kind(&m.data) {
                    let fixture = crate::inspect::Role::of(&m.path, analysis.kind) == crate::inspect::Role::Auxiliary;
                    out.push(Finding {
                        stage: None,
                        rule: Self::META.id,
                        severity: if fixture { Severity::Medium } else { Severity::High },
                        file: Some(m.path.clone()),
                        line: None,
                        message: format!("{kind} hidden by a one-byte XOR (key {key:#04x})"),
                        snippet: None,
                    });
                }
                continue;
            };
            let lower = m.path.to_ascii_lowercase();
            let name = m.file_name().to_ascii_lowercase();
            let native_name = NATIVE_EXT.iter().any(|e| name.ends_with(e)) || name.contains(".so.");
            // A version after the last dot (`draco_decoder-1.5.7`, `tool.2`) is no
            // extension: the name claims no file type, so it disguises nothing.
            let extension = name
                .rsplit_once('.')
                .map(|(_, ext)| ext)
                .filter(|ext| !ext.is_empty() && !ext.bytes().all(|b| b.is_ascii_digit()));
            // Test fixtures (ELF samples of a binary-format parser): nothing runs them on install or import.
            let fixture = crate::inspect::Role::of(&m.path, analysis.kind) == crate::inspect::Role::Auxiliary;
            let (severity, why) = if fixture && !native_name {
                (Severity::Low, "an executable among test or example files")
            } else if !native_name && extension.is_none() {
                (Severity::Medium, "an executable without extension")
            } else if !native_name {
                (Severity::High, "an executable disguised by its file name")
            } else if analysis.kind == Kind::Wheel || lower.contains("/tests/") || lower.contains("/test/") {
                continue;
            } else if name.ends_with(".exe") {
                (Severity::Medium, "a Windows program in a source distribution")
            } else {
                (Severity::Low, "a prebuilt binary in a source distribution")
            };
            out.push(Finding {
                stage: None,
                rule: Self::META.id,
                severity,
                file: Some(m.path.clone()),
                line: None,
                message: format!("{kind} binary: {why}"),
                snippet: None,
            });
        }
        for unit in analysis.units() {
            for p in unit.code.payloads.iter().filter(|p| p.binary) {
                let message = format!(
                    "code decodes a native executable ({} bytes, {})",
                    p.size,
                    p.steps.join(" → ")
                );
                // Writing or running it is a dropper; merely decoding may be a test vector.
                let severity = if p.sink == Sink::None {
                    Severity::Medium
                } else {
                    Severity::Critical
                };
                out.push(unit.finding(Self::META.id, severity, p.line, message));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pe() -> Vec<u8> {
        let mut v = vec![0u8; 256];
        v[0..2].copy_from_slice(b"MZ");
        v[60] = 128;
        v[128..132].copy_from_slice(b"PE\0\0");
        v
    }

    fn analysis_with(kind: Kind, path: &str, data: Vec<u8>) -> Analysis {
        let mut a = crate::inspect::testing::analysis(kind, &[]);
        a.listing.members.push(crate::archive::Member {
            path: path.into(),
            entry: EntryType::File,
            size: data.len() as u64,
            data,
            complete: true,
        });
        a
    }

    #[test]
    fn fires_on() {
        let mut out = Vec::new();
        BundledBinary.check(&analysis_with(Kind::Sdist, "p-1/p/logo.png", pe()), &mut out);
        assert_eq!(out[0].severity, Severity::High);
        let mut out = Vec::new();
        BundledBinary.check(&analysis_with(Kind::Sdist, "p-1/p/update.exe", pe()), &mut out);
        assert_eq!(out[0].severity, Severity::Medium);
        let mut elf = b"\x7fELF".to_vec();
        elf.resize(64, 0);
        let mut out = Vec::new();
        BundledBinary.check(&analysis_with(Kind::Wheel, "p/helper.py", elf), &mut out);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn fires_on_one_byte_xor() {
        // Error (issue 11): a DLL XOR-ed with one byte and named `.py`; a zip XOR-ed into data.
        let hidden: Vec<u8> = pe().iter().map(|b| b ^ 0x5a).collect();
        let mut out = Vec::new();
        BundledBinary.check(&analysis_with(Kind::Wheel, "p/helper.py", hidden), &mut out);
        assert_eq!((out.len(), out[0].severity), (1, Severity::High), "{out:?}");
        assert!(out[0].message.contains("0x5a"), "{out:?}");
        let mut zip = b"PK\x03\x04\x14\x00".to_vec();
        zip.resize(64, 7);
        let hidden: Vec<u8> = zip.iter().map(|b| b ^ 0x13).collect();
        let mut out = Vec::new();
        BundledBinary.check(&analysis_with(Kind::Wheel, "p/data/cert.crt", hidden), &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        // Error: a decoded literal holding such a PE, written to disk at install time.
        let src = "import base64\nopen('x.dat', 'wb').write(base64.b64decode('FwBaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpa2lpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWloKH1paWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWg=='))\n";
        let f = crate::inspect::testing::setup_py(&BundledBinary, src);
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical), "{f:?}");
        // No error (measured on popular sdists): text whose first bytes XOR into `MZ`
        // with a DOS header pointing past the end, or a magic without its header.
        let mut out = Vec::new();
        let text = b"README: the first two letters of this text XOR into the DOS magic `MZ` with key 0x1f\n".to_vec();
        assert!(xor_binary_kind(&text).is_none());
        BundledBinary.check(&analysis_with(Kind::Sdist, "p-1/README.rst", text), &mut out);
        assert!(out.is_empty(), "{out:?}");
        // No error: text whose first byte happens to XOR into a magic's first byte.
        let mut out = Vec::new();
        BundledBinary.check(
            &analysis_with(Kind::Wheel, "p/x.py", b"import os\nprint(1)\n".to_vec()),
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn quiet_on() {
        let mut elf = b"\x7fELF".to_vec();
        elf.resize(64, 0);
        let mut out = Vec::new();
        BundledBinary.check(
            &analysis_with(Kind::Wheel, "p/_speedups.cpython-311-x86_64-linux-gnu.so", elf),
            &mut out,
        );
        assert!(out.is_empty());
        // No error (issue 11): a Windows driver shipped as `.sys` is a PE under its own name.
        let mut pe = b"MZ".to_vec();
        pe.resize(128, 0);
        let mut out = Vec::new();
        BundledBinary.check(&analysis_with(Kind::Wheel, "p/WinDivert64.sys", pe), &mut out);
        assert!(out.iter().all(|f| f.severity < Severity::High), "{out:?}");
        // No error (issue 11): a program under a versioned name in a wheel's data
        // scripts claims no file type; the same program named `.txt` does.
        let mut elf = b"\x7fELF".to_vec();
        elf.resize(64, 0);
        let mut out = Vec::new();
        BundledBinary.check(
            &analysis_with(Kind::Wheel, "p-2.2.0.data/data/bin/draco_decoder-1.5.7", elf.clone()),
            &mut out,
        );
        assert_eq!((out.len(), out[0].severity), (1, Severity::Medium), "{out:?}");
        let mut out = Vec::new();
        BundledBinary.check(
            &analysis_with(Kind::Wheel, "p-2.2.0.data/data/bin/decoder-1.5.txt", elf),
            &mut out,
        );
        assert_eq!((out.len(), out[0].severity), (1, Severity::High), "{out:?}");
        let mut out = Vec::new();
        BundledBinary.check(
            &analysis_with(Kind::Sdist, "p-1/README.md", b"MZ is a state".to_vec()),
            &mut out,
        );
        assert!(out.is_empty());
    }
}
