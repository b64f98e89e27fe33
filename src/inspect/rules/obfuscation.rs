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
    /// Measured on popular projects (issue 11) and left quiet: a line holding one
    /// base64 image or font (an embedded icon) next to an unrelated `eval`;
    /// `chr(10)` newlines next to ordinary `getattr` lookups (the names must be
    /// built by `chr` inside the `__import__`/`getattr` call); `exec` renamed in
    /// a module setup.py imports, unless it runs there at top level (install time).
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

/// Base64 of image and font files (PNG, JPEG, GIF, WebP, ICO, PDF, SVG, WOFF,
/// TrueType, OpenType): what a decoder yields from these is a picture, never code.
const MEDIA_MAGIC: &[&[u8]] = &[
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"RIFF",
    b"\0\0\x01\0",
    b"%PDF-",
    b"<svg",
    b"wOFF",
    b"wOF2",
    b"\0\x01\0\0\0",
    b"OTTO",
];

/// A line that is one base64 image or font (`"imageData": "iVBORw0KGgo…"` of an
/// embedded icon) and little else: the blob is a picture, not a payload
/// for the `exec` elsewhere in the file. The rest of the line must be short, so
/// a payload cannot ride on the same line as an image.
fn media_line(line: &str) -> bool {
    let bytes = line.as_bytes();
    let (mut best, mut start, mut run) = ((0, 0), 0, 0);
    for (i, b) in bytes.iter().enumerate() {
        if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=') {
            if run == 0 {
                start = i;
            }
            run += 1;
            if run > best.1 {
                best = (start, run);
            }
        } else {
            run = 0;
        }
    }
    let (start, len) = best;
    if len < 1000 || line.len() - len > 200 {
        return false;
    }
    let head = &bytes[start..start + 24];
    crate::inspect::python::decode::base64(head).is_some_and(|plain| MEDIA_MAGIC.iter().any(|m| plain.starts_with(m)))
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
    // Non-ASCII identifiers need non-ASCII bytes: most sources have none.
    if let Some(m) = (!src.is_ascii()).then(|| identifier_re().find(src)).flatten() {
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
    // The names must be built *by* the `chr` arithmetic: an `__import__`/`getattr`
    // whose name argument is made of `chr()` calls. Newlines written as `chr(10)`
    // next to ordinary `getattr(obj, name)` lookups build nothing (issue 11).
    let built = code
        .calls
        .iter()
        .find(|c| (c.name == "__import__" || c.name == "getattr") && c.arg_refs.iter().any(|r| r == "chr"));
    if let (true, Some(first)) = (imports >= 4 && chr_calls >= 10, built) {
        let line = first.line;
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
                && ((spaces() * 50 < line.len() && entropy(line.as_bytes()) > 5.0) || longest_blob(line) >= 1000)
                && !media_line(line)
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
        // Escapes in a docstring (`>>> parse(b"\\x93NUMPY\\x01…")`) are documentation.
        if let Some(m) = escape_re().find_iter(src).find(|m| !code.is_inert(m.start())) {
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

/// Whether code runs an executor (`exec`, `eval`, `compile`, `__import__`,
/// `marshal.loads`, or one under another name) at install time. Binding it
/// (`rl_exec = getattr(builtins, 'exec')`) runs nothing.
fn executes_at_install(code: &PyFile) -> bool {
    code.calls.iter().filter(|c| c.stage == Stage::Install).any(|c| {
        matches!(
            c.name.as_str(),
            "exec" | "eval" | "compile" | "__import__" | "marshal.loads"
        ) || code.renamed_executors.iter().any(|(local, _)| *local == c.name)
    })
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
            // A module setup.py imports runs only its top level at install: weak
            // signs there (`rl_exec = getattr(builtins, 'exec')` of a template
            // engine, issue 11) weigh as in any module unless the hidden executor
            // runs at install time.
            let install = match unit.code.role {
                Role::SetupImport => strong >= 1 || executes_at_install(unit.code),
                role => role.stage(true) == Stage::Install,
            };
            let severity = match unit.code.role {
                Role::Auxiliary => Severity::Low,
                _ if unit.is_payload() || install => Severity::High,
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
    fn escapes_in_a_docstring_are_documentation() {
        let escapes = "\\x93\\x4e\\x55".repeat(10);
        // No error (issue 11): a doctest showing a binary header, in a module that compiles code.
        let src = format!("def parse(data):\n    '''Parses.\n\n    >>> parse(b\"{escapes}\")\n    '''\n    exec(compile(SRC, 'x', 'exec'))\n");
        let f = check(&Obfuscation, Kind::Wheel, &[("pkg/core.py", &src)]);
        assert!(f.is_empty(), "{f:?}");
        // Error: the same escapes in a string the code holds.
        let src = format!("def parse(data):\n    code = b\"{escapes}\"\n    exec(compile(SRC, 'x', 'exec'))\n");
        let f = check(&Obfuscation, Kind::Wheel, &[("pkg/core.py", &src)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
    }

    #[test]
    fn chr_names_must_reach_import() {
        // No error (issue 11): newlines written as `chr(10)` in generated source,
        // next to ordinary `getattr(obj, name)` lookups and an `__import__(data)`.
        let mut src = String::from("def build(code, func, data):\n    a = [getattr(code, n) for n in A]\n    b = [getattr(func, n) for n in B]\n    c = getattr(func, '__name__', 'x')\n    m = __import__(data)\n    s = ''\n");
        for i in 0..21 {
            src.push_str(&format!("    s += 'line {i}' + chr(10)\n"));
        }
        src.push_str("    return s\n");
        let f = check(&Obfuscation, Kind::Wheel, &[("pkg/services.py", &src)]);
        assert!(f.iter().all(|f| f.severity < Severity::High), "{f:?}");
        // Error: module names decrypted by `chr` arithmetic straight into `__import__`.
        let mut src = String::new();
        for i in 0..4 {
            src.push_str(&format!(
                "m{i} = __import__(''.join(chr(a ^ b) for a, b in zip(b'\\x13*', b'gC')))\n"
            ));
            src.push_str(&format!("f{i} = getattr(m{i}, chr(115) + chr(121) + chr(s))\n"));
        }
        let f = check(&Obfuscation, Kind::Wheel, &[("pkg/kek.py", &src)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
        assert!(f[0].message.contains("builds names"), "{f:?}");
    }

    #[test]
    fn images_are_not_payloads() {
        // No error (issue 11): a base64 PNG icon in a tool template, in a module that
        // evaluates something else.
        let png = format!("iVBORw0KGgoAAAANSUhEUgAAABUAAAAd{}", blob());
        let src = format!("def run(key):\n    return eval(key)\nT = {{\n    'icon': {{\n        \"imageData\": \"{png}\",\n    }},\n}}\n");
        assert!(check(&Obfuscation, Kind::Wheel, &[("pkg/tools.py", &src)]).is_empty());
        // Error: the same line with a payload after the image, or a blob that is no image.
        let src = format!(
            "T = {{\"imageData\": \"{png}\", \"x\": exec(b64decode('{}'))}}\n",
            blob()
        );
        let f = check(&Obfuscation, Kind::Wheel, &[("pkg/tools.py", &src)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
        let src = format!(
            "def run(key):\n    return eval(key)\nT = {{\"imageData\": \"{}\"}}\n",
            blob()
        );
        let f = check(&Obfuscation, Kind::Wheel, &[("pkg/tools.py", &src)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
    }

    /// Findings on an sdist analysed as a whole (roles of setup-imported modules).
    fn sdist(files: &[(&str, &str)]) -> Vec<Finding> {
        let bytes = crate::resolve::metadata::tests::sdist(files);
        let a = crate::inspect::analyse("p-1.tar.gz", &bytes, &crate::inspect::Limits::default());
        let mut out = Vec::new();
        Obfuscation.check(&a, &mut out);
        out
    }

    #[test]
    fn renamed_exec_in_setup_imported_module() {
        let setup = "import preppy\nfrom setuptools import setup\nsetup(name='p', version=preppy.VERSION)\n";
        // No error (issue 11): a template engine imported by setup.py for its version
        // binds `exec` under another name and runs templates with it when called.
        let module = "import builtins\nVERSION = '1'\nrl_exec = getattr(builtins, 'exec')\ndef load(p):\n    code = compile(open(p).read(), p, 'exec')\n    rl_exec(code, {})\n";
        let f = sdist(&[("p-1/setup.py", setup), ("p-1/preppy.py", module)]);
        assert!(f.iter().all(|f| f.severity < Severity::High), "{f:?}");
        // Error: the hidden executor runs at its top level, so at install time.
        let module = "import builtins, base64\nVERSION = '1'\nrl_exec = getattr(builtins, 'exec')\nrl_exec(base64.b64decode(D))\n";
        let f = sdist(&[("p-1/setup.py", setup), ("p-1/preppy.py", module)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
        assert_eq!(f[0].file.as_deref(), Some("p-1/preppy.py"));
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
