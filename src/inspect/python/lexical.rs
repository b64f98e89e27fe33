//! Lexical fallback for sources that do not parse (Python 2, deliberately
//! broken code, huge files): finds dotted calls and string literals by pattern
//! so that nothing escapes inspection just by failing to parse.

use std::collections::HashSet;
use std::sync::OnceLock;

use regex::Regex;

use super::{Call, Lit, PyFile};

fn call_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"([A-Za-z_][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*\(").unwrap())
}

fn string_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r#""([^"\\\n]|\\.){4,}"|'([^'\\\n]|\\.){4,}'"#).unwrap())
}

fn import_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?m)^\s*(?:from\s+([\w.]+)\s+import\s+([\w, ]+)|import\s+([\w.]+)(?:\s+as\s+(\w+))?)").unwrap()
    })
}

/// Bytes after a call searched for its string arguments.
const ARG_WINDOW: usize = 4096;

/// Bytes of a decoded payload that does not parse scanned lexically.
const MAX_PAYLOAD_SCAN: usize = 256 << 10;

/// Longest line scanned lexically (longer lines are sampled at the start).
const MAX_LINE: usize = 1 << 20;

pub fn scan(file: &mut PyFile) {
    // Decoded payloads that do not parse are mostly data (a base64 layer of
    // a binary, a JSON blob): their first bytes are scanned, enough for any
    // dropper, and the rest is not (it took a tenth of a corpus scan).
    let budget = if file.depth > 0 { MAX_PAYLOAD_SCAN } else { usize::MAX };
    let scanned = &file.source[..floor_char(&file.source, file.source.len().min(budget))];
    let mut aliases: Vec<(String, String)> = Vec::new();
    for cap in import_re().captures_iter(scanned) {
        if let (Some(module), Some(names)) = (cap.get(1), cap.get(2)) {
            for n in names.as_str().split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let n = n.split_whitespace().next().unwrap_or(n);
                aliases.push((n.to_string(), format!("{}.{}", module.as_str(), n)));
            }
        } else if let Some(module) = cap.get(3) {
            let local = cap
                .get(4)
                .map(|m| m.as_str().to_string())
                .unwrap_or_else(|| module.as_str().to_string());
            aliases.push((local, module.as_str().to_string()));
        }
    }
    let seen: HashSet<(String, u32)> = file.calls.iter().map(|c| (c.name.clone(), c.line)).collect();
    let seen_lits: HashSet<u32> = file.strings.iter().map(|l| l.line).collect();
    let stage = file.top_stage();
    let mut calls = Vec::new();
    let mut lits = Vec::new();
    let mut left = budget;
    for (i, line) in file.source.lines().enumerate() {
        if left == 0 {
            break;
        }
        let line = &line[..floor_char(line, line.len().min(left))];
        left = left.saturating_sub(line.len() + 1);
        let line_no = i as u32 + 1;
        let line = if line.len() > MAX_LINE {
            &line[..floor_char(line, MAX_LINE)]
        } else {
            line
        };
        // Most lines of a payload that does not parse are data (a base64
        // layer, a table): a call needs a `(` and a literal a quote, and
        // `memchr` rules both out far faster than the regexes would.
        let bytes = line.as_bytes();
        let has_call = memchr::memchr(b'(', bytes).is_some();
        let has_quote = memchr::memchr2(b'"', b'\'', bytes).is_some();
        // `find_iter`, not `captures_iter`: the name is the match without its
        // `(` and the blanks before it, and the lazy DFA alone finds it.
        for m in has_call.then(|| call_re().find_iter(line)).into_iter().flatten() {
            // `\x00(` in the repr of a binary is an escape and a byte, not a
            // call (such lines are long, and each call searches a window).
            if m.start() > 0 && bytes[m.start() - 1] == b'\\' {
                continue;
            }
            let callee = m.as_str().trim_end_matches('(').trim_end();
            let raw: String = callee.chars().filter(|c| !c.is_whitespace()).collect();
            let (head, rest) = raw.split_once('.').unwrap_or((&raw, ""));
            let name = match aliases.iter().find(|(l, _)| l == head) {
                Some((_, q)) if rest.is_empty() => q.clone(),
                Some((_, q)) => format!("{q}.{rest}"),
                None => raw.clone(),
            };
            if seen.contains(&(name.clone(), line_no)) {
                continue;
            }
            // Arguments are looked for near the call only: scanning the rest of
            // the line per call is quadratic on `f(f(f(…` (issue 7).
            let start = m.end();
            let window = &line[start..floor_char(line, (start + ARG_WINDOW).min(line.len()))];
            let arg_strs = string_re()
                .find_iter(window)
                .map(|m| unquote(m.as_str()))
                .take(8)
                .collect();
            calls.push(Call {
                name,
                line: line_no,
                stage,
                scope: 0,
                arg_refs: Vec::new(),
                arg_strs,
                arg_names: Vec::new(),
            });
        }
        if has_quote && !seen_lits.contains(&line_no) {
            for m in string_re().find_iter(line) {
                lits.push(Lit {
                    value: unquote(m.as_str()),
                    line: line_no,
                    stage,
                    scope: 0,
                });
            }
        }
    }
    file.calls.extend(calls);
    file.strings.extend(lits);
}

fn unquote(s: &str) -> String {
    s.get(1..s.len().saturating_sub(1)).unwrap_or("").to_string()
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
