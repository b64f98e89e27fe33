//! Core metadata (`PKG-INFO`, `METADATA`) and artifact file names.

/// The fields of core metadata that guard looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoreMetadata {
    pub name: Option<String>,
    pub version: Option<String>,
    pub summary: Option<String>,
    pub author: Option<String>,
    pub author_email: Option<String>,
    pub home_page: Option<String>,
    pub project_urls: Vec<String>,
    pub requires_dist: Vec<String>,
    pub description: Option<String>,
}

impl CoreMetadata {
    /// Parses the RFC 822-style header block (and the body as description).
    /// Tolerant: unknown or malformed lines are skipped. A repeated `Name` or
    /// `Version` keeps its first value, as pip reads it (`email.message`'s
    /// `msg["Name"]`), so a second header cannot show guard another identity.
    pub fn parse(text: &str) -> CoreMetadata {
        let mut md = CoreMetadata::default();
        let mut last: Option<String> = None;
        let mut lines = text.lines();
        for line in lines.by_ref() {
            if line.is_empty() {
                break;
            }
            if line.starts_with([' ', '\t']) {
                // Continuation of the previous header (multi-line Description).
                if last.as_deref() == Some("description") {
                    let d = md.description.get_or_insert_with(String::new);
                    d.push('\n');
                    d.push_str(line.trim_start_matches([' ', '\t', '|']));
                }
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim().to_string();
            match key.as_str() {
                "name" if md.name.is_none() => md.name = Some(value),
                "version" if md.version.is_none() => md.version = Some(value),
                "summary" => md.summary = Some(value),
                "author" => md.author = Some(value),
                "author-email" => md.author_email = Some(value),
                "home-page" => md.home_page = Some(value),
                "project-url" => md.project_urls.push(value),
                "requires-dist" => md.requires_dist.push(value),
                "description" => md.description = Some(value),
                _ => {}
            }
            last = Some(key);
        }
        let body: String = lines.collect::<Vec<_>>().join("\n");
        if !body.trim().is_empty() && md.description.as_deref().is_none_or(|d| d.trim().is_empty()) {
            md.description = Some(body);
        }
        md
    }
}

/// PEP 503 normalization: lowercase, runs of `-_.` become `-`.
pub fn normalize(name: &str) -> String {
    // One implementation, shared with `build.rs` through the typosquat tables.
    crate::names::normalize(name)
}

/// Whether pip would build `filename` (run its build code) rather than
/// unpack it: anything that is not a wheel. The one place that decides.
pub fn is_sdist(filename: &str) -> bool {
    !filename.to_ascii_lowercase().ends_with(".whl")
}

/// Name and version from an artifact file name, when it follows the usual forms
/// (`name-1.0-py3-none-any.whl`, `name-1.0.tar.gz`, `name-1.0-py3.8.egg`).
pub fn from_filename(filename: &str) -> (Option<String>, Option<String>) {
    let lower = filename.to_ascii_lowercase();
    let stem_len = [
        ".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz2", ".txz", ".tar", ".zip", ".whl", ".egg",
    ]
    .iter()
    .find(|s| lower.ends_with(*s))
    .map(|s| filename.len() - s.len());
    let Some(stem_len) = stem_len else {
        return (None, None);
    };
    let stem = &filename[..stem_len];
    if lower.ends_with(".whl") || lower.ends_with(".egg") {
        let mut parts = stem.split('-');
        let name = parts.next().filter(|s| !s.is_empty()).map(str::to_string);
        let version = parts.next().filter(|s| !s.is_empty()).map(str::to_string);
        return (name, version);
    }
    // sdist: the version starts at the last `-` followed by a digit.
    match stem
        .rmatch_indices('-')
        .find(|(i, _)| stem[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
    {
        Some((i, _)) => (Some(stem[..i].to_string()), Some(stem[i + 1..].to_string())),
        None => (Some(stem.to_string()).filter(|s| !s.is_empty()), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pkg_info() {
        let md = CoreMetadata::parse(
            "Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0\nSummary: x\nAuthor-email: a@b.c\n\nlong text\n",
        );
        assert_eq!(md.name.as_deref(), Some("Foo_Bar"));
        assert_eq!(md.version.as_deref(), Some("1.0"));
        assert_eq!(md.author_email.as_deref(), Some("a@b.c"));
        assert_eq!(md.description.as_deref(), Some("long text"));
    }

    /// pip reads the first of repeated headers; so does guard (issue 14).
    #[test]
    fn repeated_name_and_version_keep_the_first() {
        let md = CoreMetadata::parse("Name: requests\nVersion: 2.0\nName: evil\nVersion: 9.9\n");
        assert_eq!(
            (md.name.as_deref(), md.version.as_deref()),
            (Some("requests"), Some("2.0"))
        );
    }

    #[test]
    fn sdists_are_everything_pip_builds() {
        assert!(!is_sdist("a-1.0-py3-none-any.WHL"));
        assert!(is_sdist("a-1.0.tar.gz") && is_sdist("a-1.0.zip") && is_sdist("a-1.0-py3.8.egg"));
    }

    #[test]
    fn normalizes() {
        assert_eq!(normalize("Foo_Bar.baz"), "foo-bar-baz");
        assert_eq!(normalize("a--_b"), "a-b");
    }

    #[test]
    fn filenames() {
        assert_eq!(
            from_filename("foo_bar-1.0-py3-none-any.whl"),
            (Some("foo_bar".into()), Some("1.0".into()))
        );
        assert_eq!(
            from_filename("foo-bar-2.0.1.tar.gz"),
            (Some("foo-bar".into()), Some("2.0.1".into()))
        );
        assert_eq!(from_filename("foo.zip"), (Some("foo".into()), None));
        assert_eq!(from_filename("notes.txt"), (None, None));
    }
}
