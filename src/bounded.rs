//! Bounded readers of package-supplied text (issue 14): one budget for every
//! parser that reads what a package or an index says, whether guard is
//! resolving (setup.py literals, setup.cfg, pyproject.toml, PKG-INFO/METADATA,
//! requirement strings) or inspecting. Size caps, nesting limits, the
//! inspector's large stack for Python, and a cap on the dependencies and
//! extras one package may declare. A text over budget is refused with an
//! [`Exceeded`] that says which limit, never parsed into a stack overflow or
//! a minute of resolution.

use ruff_python_ast::ModModule;

/// Largest metadata text read (PKG-INFO, METADATA, setup.cfg, pyproject.toml).
/// (Archive members are capped at 32 MiB for inspection); PEP 658 files come from the
/// index with its 64 MiB page cap.
pub const MAX_TEXT: usize = 16 << 20;
/// Largest Python source parsed into a syntax tree (the inspector's limit).
pub const MAX_SOURCE: usize = crate::inspect::python::MAX_PARSE;
/// Deepest array/inline-table nesting read from TOML.
pub const MAX_TOML_NESTING: usize = 64;
/// Most dependencies one package may declare (all extras included). The
/// largest honest ones on PyPI list a few hundred.
pub const MAX_REQUIREMENTS: usize = 5_000;
/// Most extras one package may declare.
pub const MAX_EXTRAS: usize = 1_000;
/// Longest single requirement string (`name[extras] specifiers ; marker`).
pub const MAX_REQUIREMENT_LEN: usize = 8 << 10;
/// Deepest parenthesis nesting in a requirement's marker.
pub const MAX_MARKER_NESTING: usize = 32;
/// Stack size for parsing and walking untrusted syntax trees.
pub const STACK_SIZE: usize = crate::inspect::STACK_SIZE;

/// A text over one of the budgets above.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Exceeded {
    #[error("{what} is {size} bytes; guard reads at most {limit} bytes")]
    Size { what: String, size: usize, limit: usize },
    #[error("{what} nests deeper than guard reads ({limit})")]
    Nesting { what: String, limit: String },
    #[error("{what} declares {count} {items}; guard reads at most {limit} per package")]
    Count {
        what: String,
        items: &'static str,
        count: usize,
        limit: usize,
    },
}

/// Refuses a text larger than `limit` bytes.
pub fn size(what: &str, len: usize, limit: usize) -> Result<(), Exceeded> {
    if len > limit {
        return Err(Exceeded::Size {
            what: what.to_string(),
            size: len,
            limit,
        });
    }
    Ok(())
}

/// Refuses more than `limit` declared `items`.
pub fn count(what: &str, items: &'static str, count: usize, limit: usize) -> Result<(), Exceeded> {
    if count > limit {
        return Err(Exceeded::Count {
            what: what.to_string(),
            items,
            count,
            limit,
        });
    }
    Ok(())
}

/// Runs `f` on a thread with [`STACK_SIZE`] of stack: parsers and tree walks
/// recurse per nesting level, and tokio's and the test harness's threads have 2 MiB.
pub fn on_large_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn_scoped(s, f)
            .expect("cannot start a parsing thread");
        handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// Parses Python `source` (a package's setup.py) within the inspector's
/// budget — size cap, nesting limits ([`crate::inspect::python::too_deep`]),
/// large stack — and hands the module to `read` (`None` on a syntax error).
/// The tree is dropped on the large stack too.
pub fn python<T: Send>(
    what: &str,
    source: &str,
    read: impl FnOnce(Option<&ModModule>) -> T + Send,
) -> Result<T, Exceeded> {
    size(what, source.len(), MAX_SOURCE)?;
    if crate::inspect::python::too_deep(source) {
        return Err(Exceeded::Nesting {
            what: what.to_string(),
            limit: format!(
                "{} brackets, {} indentation levels, {} operators in a line",
                crate::inspect::python::MAX_NESTING,
                crate::inspect::python::MAX_INDENT,
                crate::inspect::python::MAX_CHAIN
            ),
        });
    }
    Ok(on_large_stack(|| {
        let parsed = ruff_python_parser::parse_module(source).ok();
        read(parsed.as_ref().map(|p| p.syntax()))
    }))
}

/// Parses TOML within budget. `Ok(None)` when it is not valid TOML.
pub fn toml(what: &str, text: &str) -> Result<Option<toml::Table>, Exceeded> {
    size(what, text.len(), MAX_TEXT)?;
    if toml_nesting(text) > MAX_TOML_NESTING {
        return Err(Exceeded::Nesting {
            what: what.to_string(),
            limit: format!("{MAX_TOML_NESTING} levels of arrays and tables"),
        });
    }
    Ok(text.parse::<toml::Table>().ok())
}

/// The deepest nesting of `[`/`{` in a TOML text, outside strings and comments.
pub fn toml_nesting(text: &str) -> usize {
    let b = text.as_bytes();
    let (mut i, mut depth, mut max) = (0usize, 0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            q @ (b'"' | b'\'') => {
                let triple = b[i..].starts_with(&[q, q, q]);
                i += if triple { 3 } else { 1 };
                loop {
                    let Some(&c) = b.get(i) else { return max };
                    if q == b'"' && c == b'\\' {
                        i += 2;
                        continue;
                    }
                    if triple {
                        if b[i..].starts_with(&[q, q, q]) {
                            i += 3;
                            // `""""` … up to two quotes may close a multi-line string.
                            while b.get(i) == Some(&q) {
                                i += 1;
                            }
                            break;
                        }
                    } else if c == q || c == b'\n' {
                        i += 1;
                        break;
                    }
                    i += 1;
                }
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    max
}

/// Checks one requirement string before the PEP 508 parser (which recurses
/// per marker parenthesis) sees it.
pub fn requirement(text: &str) -> Result<(), Exceeded> {
    size("a requirement", text.len(), MAX_REQUIREMENT_LEN)?;
    let mut depth = 0usize;
    for b in text.bytes() {
        match b {
            b'(' => {
                depth += 1;
                if depth > MAX_MARKER_NESTING {
                    return Err(Exceeded::Nesting {
                        what: "a requirement's marker".into(),
                        limit: format!("{MAX_MARKER_NESTING} parentheses"),
                    });
                }
            }
            b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_nesting_skips_strings_and_comments() {
        assert_eq!(toml_nesting("a = [[1], [2]]\n"), 2);
        assert_eq!(toml_nesting("a = \"[[[[\" # [[[[[\nb = '[[[['\n"), 0);
        assert_eq!(toml_nesting("a = \"\"\"\n[[[\\\"\"\"\"\nb = [1]\n"), 1);
        assert_eq!(toml_nesting("a = '''[[[''''\nb = {c = [1]}\n"), 2);
        assert_eq!(toml_nesting("[tool.x]\n[[tool.y]]\n"), 2);
        let deep = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(toml_nesting(&deep), 100_000);
        assert!(matches!(toml("pyproject.toml", &deep), Err(Exceeded::Nesting { .. })));
    }

    #[test]
    fn deep_python_is_refused_and_shallow_parsed_on_a_large_stack() {
        let deep = format!("x = {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        assert!(matches!(
            python("setup.py", &deep, |_| ()),
            Err(Exceeded::Nesting { .. })
        ));
        // 150 levels parse fine (within CPython's 200).
        let ok = format!("x = {}{}\n", "[".repeat(150), "]".repeat(150));
        assert_eq!(python("setup.py", &ok, |m| m.map(|m| m.body.len())), Ok(Some(1)));
        assert_eq!(python("setup.py", "def (", |m| m.is_some()), Ok(false));
    }

    #[test]
    fn requirement_strings_are_bounded() {
        assert!(requirement("foo[bar]>=1 ; (python_version >= '3.8' and (os_name == 'nt'))").is_ok());
        assert!(requirement(&format!("foo ; {}", "(".repeat(33))).is_err());
        assert!(requirement(&"a".repeat(MAX_REQUIREMENT_LEN + 1)).is_err());
        let e = count("foo-1.0.tar.gz setup.cfg", "dependencies", 300_000, MAX_REQUIREMENTS).unwrap_err();
        assert_eq!(
            e.to_string(),
            "foo-1.0.tar.gz setup.cfg declares 300000 dependencies; guard reads at most 5000 per package"
        );
    }
}
