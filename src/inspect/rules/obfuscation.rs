use std::sync::OnceLock;

use regex::Regex;

use crate::declare_rule;
use crate::inspect::python::PyFile;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Role, Severity, Stage};

declare_rule! {
    /// ## What it does
    /// Recognises code written not to be read: PyArmor-protected modules,
    /// identifier mangling (`O0O0OO`, `lIlIlI`, `_0x1f3a`), layered
    /// `__import__`/`getattr`/`chr` arithmetic, very long lines of dense
    /// encoded data next to `exec`, and walls of `\x` escapes.
    ///
    /// ## Why is this bad?
    /// Open-source packages have no reason to hide their install-time or
    /// import-time code. Obfuscators are how droppers defeat review and scanners.
    ///
    /// ## Example
    /// ```python
    /// from pytransform import pyarmor_runtime; __pyarmor__(__name__, __file__, b'...')   # Error
    /// lIlIlIlI = __import__('o' + 's'); getattr(lIlIlIlI, 'sy' + 'stem')(...)             # Error
    /// FONT_DATA = "AAEAAAALAIAAAwAwT1MvMg8S..."   # No error: data without exec
    /// ```
    ///
    /// ## False positives
    /// Generated modules (parser tables, embedded fonts) are long but hold no
    /// `exec`; minified vendored code in tests. Those stay below `high`.
    Obfuscation, id = "obfuscation", severity = High,
    summary = "PyArmor, mangled identifiers, layered __import__/chr tricks or dense encoded blobs"
}

fn mangled_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Identifiers start with a letter or `_`: `O0O0OO0O`, never `00000000` (a hex
    // dump or a netmask in a string, issue 11).
    RE.get_or_init(|| Regex::new(r"(?-u:\b)(?:[lI]{8,}|O[O0o]{7,}|_0x[0-9a-f]{4,}|__[lI1]{6,})(?-u:\b)").unwrap())
}

/// Assignments to identifiers made of non-ASCII letters only (`馬女水 = …`).
/// Names made of underscores only (`_____ = eval(...)`, `def ___(__, ___):`),
/// where they are bound, passed or called; docstring rules of underscores
/// are not. Returns the distinct names and the offset of the first.
fn underscore_names(src: &str) -> (std::collections::HashSet<&str>, usize) {
    let bytes = src.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let (mut names, mut first, mut i) = (std::collections::HashSet::new(), 0, 0);
    while i < bytes.len() && names.len() < 64 {
        // Jump to the next underscore: most of a source has none.
        match memchr::memchr(b'_', &bytes[i..]) {
            Some(k) => i += k,
            None => break,
        }
        if i > 0 && word(bytes[i - 1]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i] == b'_' {
            i += 1;
        }
        if i - start < 3 || (i < bytes.len() && word(bytes[i])) {
            continue;
        }
        let mut j = i;
        while j < bytes.len() && bytes[j] == b' ' {
            j += 1;
        }
        let bound = match bytes.get(j) {
            Some(b'=') => bytes.get(j + 1) != Some(&b'='),
            Some(b',' | b'(' | b')') => true,
            _ => false,
        };
        if bound {
            if names.is_empty() {
                first = start;
            }
            names.insert(&src[start..i]);
        }
    }
    (names, first)
}

/// `chr(ord(c) ^ ord(k))`: text decrypted with a XOR key at run time.
fn xor_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"chr\(\s*ord\([^()]*(?:\([^()]*\)[^()]*)*\)\s*\^").unwrap())
}

fn identifier_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?m)^\s*[^\x00-\x7F\s=]{6,}\s*=[^=]").unwrap())
}

fn escape_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?:\\(?:x[0-9a-fA-F]{2}|[0-7]{3})){24,}").unwrap())
}

/// Longest run of base64/hex alphabet characters: encoded payloads are one long token.
fn longest_blob(line: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for b in line.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_') {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// Shannon entropy in bits per byte.
pub fn entropy(data: &[u8]) -> f64 {
    let mut counts = [0usize; 256];
    for b in data {
        counts[*b as usize] += 1;
    }
    let n = data.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| (*c as f64 / n) * -(*c as f64 / n).log2())
        .sum()
}

/// One sign of obfuscation. Strong signs have no honest use in a package;
/// weak ones (renaming `exec`, computed builtin lookups, marshalled code,
/// non-ASCII names) appear in debuggers, serializers and DSLs too.
struct Sign {
    line: u32,
    reason: String,
    strong: bool,
}

fn indicators(code: &PyFile) -> Vec<Sign> {
    let src = &code.source;
    let mut found = Vec::new();
    let mut sign = |line: u32, reason: String, strong: bool| found.push(Sign { line, reason, strong });
    if let Some(i) = src.find("__pyarmor__(__name__") {
        sign(code.line_of(i), "is protected with PyArmor".into(), true);
    }
    let mangled: Vec<_> = mangled_re().find_iter(src).take(200).collect();
    let distinct: std::collections::HashSet<&str> = mangled.iter().map(|m| m.as_str()).collect();
    if distinct.len() >= 5 {
        sign(
            code.line_of(mangled[0].start()),
            format!("uses {} mangled identifiers", distinct.len()),
            true,
        );
    }
    let (underscored, at) = underscore_names(src);
    if underscored.len() >= 5 {
        sign(
            code.line_of(at),
            format!("uses {} identifiers made only of underscores", underscored.len()),
            true,
        );
    }
    if let Some((local, builtin)) = code.renamed_executors.first() {
        let line = code
            .refs
            .iter()
            .find(|r| r.name == *builtin)
            .map(|r| r.line)
            .unwrap_or(1);
        sign(line, format!("hides {builtin}() under the name `{local}`"), false);
    }
    let dynamic: Vec<u32> = code
        .calls
        .iter()
        .filter(|c| {
            c.name == "getattr"
                && c.arg_refs
                    .first()
                    .is_some_and(|r| r == "__builtins__" || r == "builtins")
        })
        .map(|c| c.line)
        .collect();
    if dynamic.len() >= 2 {
        sign(
            dynamic[0],
            format!("looks builtins up by computed name {} times", dynamic.len()),
            dynamic.len() >= 10,
        );
    }
    if let Some(m) = identifier_re().find(src) {
        if identifier_re().find_iter(src).take(50).count() >= 5 {
            sign(
                code.line_of(m.start()),
                "uses non-ASCII gibberish identifiers".into(),
                false,
            );
        }
    }
    let imports = code
        .calls
        .iter()
        .filter(|c| c.name == "__import__" || c.name == "getattr")
        .count();
    let chr_calls = code.calls.iter().filter(|c| c.name == "chr").count();
    if imports >= 4 && chr_calls >= 10 {
        let line = code
            .calls
            .iter()
            .find(|c| c.name == "__import__" || c.name == "getattr")
            .map(|c| c.line)
            .unwrap_or(1);
        sign(
            line,
            format!("builds names with {imports} __import__/getattr and {chr_calls} chr() calls"),
            true,
        );
    }
    let has_exec = code
        .calls
        .iter()
        .any(|c| matches!(c.name.as_str(), "exec" | "eval" | "compile" | "marshal.loads"));
    if has_exec {
        let mut offset = 0;
        for line in src.split_inclusive('\n') {
            // Dense: one long unbroken blob, or high entropy with hardly any spaces
            // (a long dict or table literal has both spaces and low entropy).
            let spaces = || line.bytes().filter(|b| *b == b' ').count();
            if line.len() > 2000
                && ((entropy(line.as_bytes()) > 5.0 && spaces() * 50 < line.len()) || longest_blob(line) >= 1000)
            {
                sign(
                    code.line_of(offset),
                    format!("has a {}-character line of dense data next to exec/eval", line.len()),
                    true,
                );
                break;
            }
            offset += line.len();
        }
        if let Some(m) = escape_re().find(src) {
            sign(
                code.line_of(m.start()),
                "hides text behind long runs of escapes next to exec/eval".into(),
                true,
            );
        }
        if let Some(m) = xor_re().find(src) {
            sign(
                code.line_of(m.start()),
                "decrypts text with a XOR key next to exec/eval".into(),
                true,
            );
        }
        if let Some(c) = code.calls.iter().find(|c| c.name == "marshal.loads") {
            sign(c.line, "executes marshalled bytecode".into(), false);
        }
    }
    found
}

impl Rule for Obfuscation {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        for unit in analysis.units() {
            let found = indicators(unit.code);
            let Some(first) = found.first() else { continue };
            let strong = found.iter().filter(|s| s.strong).count();
            let severity = match unit.code.role {
                Role::Auxiliary => Severity::Low,
                _ if unit.is_payload() || unit.code.role.stage(true) == Stage::Install => Severity::High,
                _ if strong >= 1 => Severity::High,
                _ if found.len() >= 2 => Severity::Medium,
                _ => continue,
            };
            let reasons: Vec<&str> = found.iter().map(|s| s.reason.as_str()).collect();
            let message = format!("code {}", reasons.join("; "));
            out.push(unit.finding(Self::META.id, severity, first.line, message));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Kind;
    use crate::inspect::testing::{check, setup_py};

    /// 3,000 pseudo-random base64 characters.
    fn blob() -> String {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut x: u64 = 0x2545f4914f6cdd1d;
        (0..3000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                alphabet[(x % 64) as usize] as char
            })
            .collect()
    }

    #[test]
    fn fires_on() {
        let f = check(&Obfuscation, Kind::Wheel, &[("pkg/__init__.py", "from pytransform import pyarmor_runtime\npyarmor_runtime()\n__pyarmor__(__name__, __file__, b'\\x50')\n")]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High));
        let src = "OO0O0O0O = 1\nO0O0OO0O = 2\nO0OO0O0O = 3\nOO0OO0O0 = 4\nO00O0O0O = 5\n";
        assert_eq!(setup_py(&Obfuscation, src).len(), 1);
        // Underscore-only names (BlankOBF style).
        let src = "___=eval('eval');____=___('compile')\ndef _____(______, _______):\n    return ______\n";
        let f = check(&Obfuscation, Kind::Wheel, &[("pkg/__init__.py", src)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
        // A XOR-decrypted string handed to exec inside a library function.
        let src = "def bg(c):\n    out = ''\n    for i in range(len(D)):\n        out += chr(ord(D[i]) ^ ord(K[i % len(K)]))\n    eval(compile(out, '<s>', 'exec'))\n";
        let f = check(&Obfuscation, Kind::Wheel, &[("pkg/colors.py", src)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
        let blob = blob();
        let src = format!("import base64\nexec(base64.b64decode(x))\nx = '{blob}'\n");
        assert_eq!(setup_py(&Obfuscation, &src).len(), 1);
    }

    #[test]
    fn quiet_on_underscore_rules_in_docstrings() {
        let src = "def f(x):\n    \"\"\"Doc.\n\n    ___\n    ____\n    _____\n    ______\n    _______\n    \"\"\"\n    return eval(x)\n";
        assert!(check(&Obfuscation, Kind::Wheel, &[("pkg/m.py", src)]).is_empty());
    }

    #[test]
    fn quiet_on_zeros_and_tables() {
        // No error (issue 11): netmasks and hex dumps of zeros are not mangled names.
        let src = "T = {'hostmask': '00000000000000000000000000000000', 'a': '000000000000', 'b': '0000000000', 'c': '00000000000000', 'd': '000000000000000000', 'e': '0000000000000000000000'}\n";
        assert!(check(&Obfuscation, Kind::Wheel, &[("pkg/ip.py", src)]).is_empty());
        // No error (issue 11): a long dict literal on one line next to eval.
        let row: String = (0..300).map(|i| format!("'Ad Field {i}': 'value {i}', ")).collect();
        let src = format!("D = {{{row}}}\ndef f(x):\n    return eval(x)\n");
        assert!(check(&Obfuscation, Kind::Wheel, &[("pkg/t.py", &src)]).is_empty());
    }

    #[test]
    fn quiet_on() {
        let blob = blob();
        assert!(check(
            &Obfuscation,
            Kind::Wheel,
            &[("pkg/font.py", &format!("DATA = '{blob}'\n"))]
        )
        .is_empty());
        assert!(setup_py(&Obfuscation, "from setuptools import setup\nsetup(name='x')\n").is_empty());
    }
}
