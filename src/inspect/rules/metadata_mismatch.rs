use crate::declare_rule;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Severity};
use crate::metadata::{self, normalize};

declare_rule! {
    /// ## What it does
    /// Compares the name and version inside `PKG-INFO`/`METADATA` with the
    /// artifact's file name, both PEP 503/PEP 440-normalized (`Foo_Bar` is
    /// `foo-bar`, `1.0` is `1.0.0`, `1.0.alpha1` is `1.0a1`).
    ///
    /// ## Why is this bad?
    /// pip trusts the file name to pick an artifact and the metadata to record
    /// what it installed; an artifact that says two different things was built
    /// by hand or re-labelled, often to ride on another project's name. Weak
    /// alone (`low`); raised when the artifact also has code findings.
    ///
    /// ## Example
    /// `requests-2.31.0.tar.gz` whose `PKG-INFO` says `Name: reqeusts`, or
    /// `Version: 999.0.0` inside `foo-1.0.tar.gz`.
    MetadataMismatch, id = "metadata-mismatch", severity = Low,
    summary = "the name or version in the metadata differs from the file name"
}

impl Rule for MetadataMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        let Some((path, md)) = &analysis.metadata else {
            return;
        };
        let (file_name, file_version) = metadata::from_filename(&analysis.filename);
        let mut push = |what: &str, inside: &str, outside: &str| {
            out.push(Finding {
                stage: None,
                rule: Self::META.id,
                severity: Severity::Low,
                file: Some(path.clone()),
                line: None,
                message: format!("metadata {what} `{inside}` differs from the file name's `{outside}`"),
                snippet: None,
            });
        };
        if let (Some(inside), Some(outside)) = (&md.name, &file_name) {
            if normalize(inside) != normalize(outside) {
                push("name", inside, outside);
            }
        }
        if let (Some(inside), Some(outside)) = (&md.version, &file_version) {
            if normalize_version(inside) != normalize_version(outside) {
                push("version", inside, outside);
            }
        }
    }
}

/// A light PEP 440 normalization, enough to compare two spellings of one version.
pub fn normalize_version(v: &str) -> String {
    let v = v.trim().to_ascii_lowercase();
    let (public, local) = match v.split_once('+') {
        Some((p, l)) => (p, Some(l.replace(['-', '_'], "."))),
        None => (v.as_str(), None),
    };
    let public = public.strip_prefix('v').unwrap_or(public);
    // Tokens: runs of digits or letters; separators dropped.
    let mut tokens: Vec<String> = Vec::new();
    let bytes = public.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let digit = bytes[i].is_ascii_digit();
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphanumeric() && bytes[i].is_ascii_digit() == digit {
            i += 1;
        }
        if start == i {
            i += 1; // a separator
            continue;
        }
        let t = &public[start..i];
        tokens.push(if digit {
            t.trim_start_matches('0').parse::<u128>().unwrap_or(0).to_string()
        } else {
            match t {
                "alpha" => "a",
                "beta" => "b",
                "c" | "pre" | "preview" => "rc",
                "rev" | "r" => "post",
                other => other,
            }
            .to_string()
        });
    }
    let release = tokens.iter().take_while(|t| t.as_bytes()[0].is_ascii_digit()).count();
    let mut end = release;
    while end > 1 && tokens[end - 1] == "0" {
        end -= 1;
    }
    let mut out = tokens[..end].join(".");
    for t in &tokens[release..] {
        out.push_str(t);
    }
    if let Some(local) = local {
        out.push('+');
        out.push_str(&local);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::rules::artifact_fixture::{findings, pkg_info, Artifact};

    #[test]
    fn fires_on() {
        // Error: a re-labelled artifact; weak alone.
        let a = Artifact::sdist("widgetlib", "2.31.0").with_metadata(&pkg_info("gadgetlib", "2.31.0"));
        let f = findings(&a, "metadata-mismatch");
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("`gadgetlib`"), "{}", f[0].message);
        assert_eq!(f[0].severity, Severity::Low);
        // Error: re-labelled under a squatted name: raised to medium by the typosquat.
        let a = Artifact::sdist("requests", "2.31.0").with_metadata(&pkg_info("reqeusts", "2.31.0"));
        let f = findings(&a, "metadata-mismatch");
        assert_eq!(f[0].severity, Severity::Medium);
        // Error: the version inside is a dependency-confusion version.
        let a = Artifact::wheel("foo", "1.0").with_metadata(&pkg_info("foo", "999.0.0"));
        assert_eq!(findings(&a, "metadata-mismatch").len(), 1);
    }

    #[test]
    fn quiet_on() {
        // No error: the spellings PEP 503 and PEP 440 treat as equal.
        let a = Artifact::wheel("Foo_Bar", "1.0").with_metadata(&pkg_info("foo.bar", "1.0.0"));
        assert!(findings(&a, "metadata-mismatch").is_empty());
        let a = Artifact::sdist("foo", "1.0a1").with_metadata(&pkg_info("Foo", "1.0.alpha.1"));
        assert!(findings(&a, "metadata-mismatch").is_empty());
        for (x, y) in [
            ("1.0", "1.0.0"),
            ("v2.01", "2.1"),
            ("1.0-rc1", "1.0rc1"),
            ("2.0+cpu", "2.0.0+CPU"),
        ] {
            assert_eq!(normalize_version(x), normalize_version(y), "{x} vs {y}");
        }
        assert_ne!(normalize_version("1.0"), normalize_version("1.1"));
        assert_ne!(normalize_version("1.0"), normalize_version("1.0.post1"));
    }
}
