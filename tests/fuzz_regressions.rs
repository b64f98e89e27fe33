//! Inputs found by `examples/fuzz.rs` (issue 7) that panicked guard; each
//! must now end in an ordinary error.

use std::path::Path;

use guard::requirements::{parse_pep508, RequirementSet};

/// Found by the `requirements` target: `pep508_rs` 0.9 panics with
/// "`PackageName` validation should match PEP 508 parsing" and slices inside
/// a UTF-8 character after a marker. These strings reach the parser from
/// package metadata (`Requires-Dist`) and sdists' `pyproject.toml`.
const PEP508_PANICS: &[&str] = &[
    "zope.\u{fffd}\u{fffd}terface===4.0",
    "zope.===4.0",
    "request.4.>=1",
    "bar!=1.0 ; extra == 'x' a\u{fffd} sys_platform == 'linux'",
    "bar!=1.0 ; extra == 'x' an\u{fffd} sys_platform == 'linux'",
    // Panics while rendering the parse error (its caret slices the input).
    "flask[3 \u{fffd}; python_version >= '3.8'",
];

#[test]
fn hostile_requirement_strings_are_errors_not_panics() {
    for text in PEP508_PANICS {
        let result = std::panic::catch_unwind(|| parse_pep508(text));
        assert!(result.is_ok(), "parse_pep508 panicked on {text:?}");
    }
}

#[test]
fn short_flag_with_a_multibyte_character() {
    // `-\u{fffd}index-url`: the `-rfile` short form sliced inside a character.
    for text in ["-\u{fffd}index-url https://x/simple\n", "-\u{e9}\n", "-\u{1F600}x\n"] {
        let mut set = RequirementSet::default();
        let result = std::panic::catch_unwind(move || {
            set.parse_text(Path::new("/nonexistent/reqs.txt"), text, false, &mut Vec::new())
                .is_err()
        });
        assert_eq!(result.ok(), Some(true), "{text:?}");
    }
}
