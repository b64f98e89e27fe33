use crate::declare_rule;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Severity};
use crate::metadata::{normalize, CoreMetadata};
use crate::names;

declare_rule! {
    /// ## What it does
    /// Looks at `PKG-INFO`/`METADATA` for the marks of a throw-away upload: an
    /// empty or placeholder summary and description, no author or maintainer at all, an author
    /// e-mail at a disposable-mail domain, a home page that points at an
    /// unrelated popular project, and version `0.0.0`. One `low` finding per sign.
    ///
    /// ## Why is this bad?
    /// Each sign is weak alone and many honest small projects show one, so
    /// alone they never change the verdict. They count when the artifact also
    /// has code findings: with a `high` code finding and two signs or more they
    /// are raised to `high` (so the artifact is denied), with any other code
    /// finding or a typosquat to `medium`.
    ///
    /// ## Example
    /// ```text
    /// Name: reqeusts
    /// Version: 0.0.0
    /// Summary: UNKNOWN
    /// Author-email: x@mailinator.com
    /// Home-page: https://github.com/psf/requests
    /// ```
    ///
    /// ## False positives
    /// Template projects and internal packages; they stay `allow` unless their code is also flagged.
    MetadataSignals, id = "metadata-signals", severity = Low,
    summary = "placeholder, anonymous or borrowed metadata (weak alone, raised with code findings)"
}

impl Rule for MetadataSignals {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        let Some((path, md)) = &analysis.metadata else {
            return;
        };
        let raw = raw_metadata(analysis, path);
        for message in signals(md, &raw) {
            out.push(Finding {
                stage: None,
                rule: Self::META.id,
                severity: Severity::Low,
                file: Some(path.clone()),
                line: None,
                message,
                snippet: None,
            });
        }
    }
}

/// The text of the metadata member at `path` (for headers [`CoreMetadata`] does not keep).
pub fn raw_metadata<'a>(analysis: &'a Analysis, path: &str) -> std::borrow::Cow<'a, str> {
    analysis
        .listing
        .members
        .iter()
        .find(|m| m.path == path)
        .map(|m| crate::inspect::lossy(&m.data))
        .unwrap_or_default()
}

/// Every weak sign in the metadata, as messages. `raw` is the metadata text,
/// for the headers [`CoreMetadata`] does not keep (`Maintainer`).
pub fn signals(md: &CoreMetadata, raw: &str) -> Vec<String> {
    let mut out = Vec::new();
    let name = md.name.as_deref().map(normalize).unwrap_or_default();
    if placeholder(md.summary.as_deref(), &name) && placeholder(md.description.as_deref(), &name) {
        out.push(format!(
            "empty or placeholder summary ({:?}) and description",
            md.summary.as_deref().unwrap_or("")
        ));
    }
    let blank = |s: &Option<String>| s.as_deref().is_none_or(placeholder_text);
    let maintainer = header_lines(raw).any(|(key, value)| key.starts_with("maintainer") && !placeholder_text(value));
    if blank(&md.author) && blank(&md.author_email) && !maintainer {
        out.push("no author, author e-mail or maintainer".to_string());
    }
    if let Some(domain) = md.author_email.as_deref().and_then(disposable_domain) {
        out.push(format!("author e-mail at disposable-mail domain `{domain}`"));
    }
    if let Some((url, project)) = borrowed_home_page(md, &name) {
        out.push(format!(
            "home page {url} belongs to the unrelated popular project `{project}`"
        ));
    }
    if md
        .version
        .as_deref()
        .is_some_and(|v| !v.trim().is_empty() && v.trim().trim_end_matches(['0', '.']).is_empty())
    {
        out.push(format!("version {}", md.version.as_deref().unwrap_or_default()));
    }
    out
}

/// `(lowercase key, value)` of each header line, up to the blank line before the body.
fn header_lines(raw: &str) -> impl Iterator<Item = (String, &str)> {
    raw.lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim()))
}

const PLACEHOLDERS: &[&str] = &[
    "",
    "unknown",
    "none",
    "null",
    "n/a",
    "na",
    "todo",
    "tbd",
    "test",
    "testing",
    "description",
    "summary",
    "package",
    "my package",
    "a package",
    "python package",
    "a python package",
    "my first package",
    "a small example package",
    "add your description here",
    "a short description of the project",
    "short description",
    "project description",
    "your description",
    "lorem ipsum",
    "xxx",
    "foo",
];

fn placeholder_text(text: &str) -> bool {
    let t = text.trim().trim_end_matches(['.', '!']).to_ascii_lowercase();
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    PLACEHOLDERS.contains(&t.as_str()) || t.chars().all(|c| !c.is_alphanumeric())
}

fn placeholder(text: Option<&str>, name: &str) -> bool {
    text.is_none_or(|t| placeholder_text(t) || (!name.is_empty() && normalize(t.trim()) == name))
}

/// Domains of throw-away mailboxes (a short list of the well-known ones).
const DISPOSABLE: &[&str] = &[
    "10minutemail.com",
    "20minutemail.com",
    "33mail.com",
    "burnermail.io",
    "discard.email",
    "dispostable.com",
    "emailondeck.com",
    "fakeinbox.com",
    "getnada.com",
    "guerrillamail.biz",
    "guerrillamail.com",
    "guerrillamail.de",
    "guerrillamail.info",
    "guerrillamail.net",
    "guerrillamail.org",
    "guerrillamailblock.com",
    "grr.la",
    "harakirimail.com",
    "inboxkitten.com",
    "mail.tm",
    "maildrop.cc",
    "mailinator.com",
    "mailnesia.com",
    "mintemail.com",
    "moakt.com",
    "mohmal.com",
    "mytemp.email",
    "sharklasers.com",
    "spam4.me",
    "spamgourmet.com",
    "temp-mail.io",
    "temp-mail.org",
    "tempail.com",
    "tempmail.com",
    "tempmail.net",
    "tempmailo.com",
    "tempr.email",
    "throwawaymail.com",
    "tmpmail.org",
    "trashmail.com",
    "yopmail.com",
];

/// The disposable domain of the first address in an `Author-email` field.
fn disposable_domain(field: &str) -> Option<&'static str> {
    field.split(',').find_map(|addr| {
        let addr = addr.trim().trim_end_matches('>');
        let domain = addr.rsplit_once('@')?.1.trim().to_ascii_lowercase();
        DISPOSABLE
            .iter()
            .copied()
            .find(|d| domain == *d || domain.ends_with(&format!(".{d}")))
    })
}

/// Downloads from which a project counts as popular enough to be borrowed from.
const BORROWED_FLOOR: u64 = 10_000_000;

/// A home page or project URL naming a popular project unrelated to `name`.
fn borrowed_home_page(md: &CoreMetadata, name: &str) -> Option<(String, String)> {
    if name.is_empty() {
        return None;
    }
    let urls = md.home_page.iter().map(String::as_str).chain(
        md.project_urls
            .iter()
            .map(|u| u.split_once(',').map_or(u.as_str(), |(_, url)| url)),
    );
    for url in urls {
        let url = url.trim();
        let Some(project) = project_of_url(url) else {
            continue;
        };
        let project = normalize(&project);
        if related(name, &project) {
            continue;
        }
        if names::reference()
            .get(&project)
            .is_some_and(|e| e.downloads >= BORROWED_FLOOR)
        {
            return Some((url.to_string(), project));
        }
    }
    None
}

/// The repository (GitHub, GitLab, Bitbucket) or PyPI project a URL points at.
fn project_of_url(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let mut parts = rest.split(['/', '?', '#']).filter(|p| !p.is_empty());
    let host = parts.next()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    match host {
        "github.com" | "gitlab.com" | "bitbucket.org" => {
            let owner = parts.next()?;
            if ["sponsors", "orgs", "apps", "marketplace", "topics", "features"].contains(&owner) {
                return None;
            }
            Some(parts.next()?.trim_end_matches(".git").to_string())
        }
        "pypi.org" | "pypi.python.org" => match (parts.next()?, parts.next()) {
            ("project" | "pypi", Some(p)) => Some(p.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// `true` when one name contains the other or they share a word of three letters or more.
fn related(a: &str, b: &str) -> bool {
    let (sa, sb) = (a.replace('-', ""), b.replace('-', ""));
    sa.contains(&sb) || sb.contains(&sa) || a.split('-').any(|w| w.len() >= 3 && b.split('-').any(|v| v == w))
}

/// Ids of the weak, metadata-level rules whose findings [`combine`] raises.
pub const WEAK_RULES: [&str; 3] = ["dependency-confusion", "metadata-mismatch", "metadata-signals"];

/// Raises the weak metadata findings when other evidence is present: with a
/// `high` or `critical` code finding and two weak signs or more, to `high`
/// (two `high` rules make the verdict `deny`); with any other `medium`+ code
/// finding or a typosquat, to `medium`. Runs after every rule.
pub fn combine(findings: &mut [Finding]) {
    let weak = |f: &Finding| WEAK_RULES.contains(&f.rule);
    let squat = findings.iter().any(|f| f.rule == super::typosquat::Typosquat::META.id);
    // An empty package is a placeholder, not code: placeholder metadata next to
    // it says the same thing twice (issue 11).
    let code = findings
        .iter()
        .filter(|f| {
            !weak(f)
                && f.rule != super::typosquat::Typosquat::META.id
                && f.rule != super::empty_package::EmptyPackage::META.id
        })
        .map(|f| f.severity)
        .max();
    let signs = findings.iter().filter(|f| weak(f)).count();
    let target = match code {
        Some(Severity::High | Severity::Critical) if signs >= 2 => Severity::High,
        Some(Severity::High | Severity::Critical) => Severity::Medium,
        // A throwaway identity (three or more signs) next to suspicious code is a pattern of its own.
        Some(Severity::Medium) if signs >= 3 => Severity::High,
        // One weak sign (say, no author) next to a medium finding is normal: only several raise.
        Some(Severity::Medium) if signs >= 2 => Severity::Medium,
        _ if squat => Severity::Medium,
        _ => return,
    };
    for f in findings.iter_mut().filter(|f| weak(f) && f.severity < target) {
        f.severity = target;
        f.message.push_str(if code.is_some_and(|c| c >= Severity::Medium) {
            " (raised: the artifact also has code findings)"
        } else {
            " (raised: the name imitates a popular project)"
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::rules::artifact_fixture::{findings, pkg_info, Artifact};

    const THROWAWAY: &str = "Metadata-Version: 2.1\nName: widgetlib\nVersion: 0.0.0\nSummary: UNKNOWN\n\
        Author-email: someone@mailinator.com\nHome-page: https://github.com/psf/requests\n\n";

    #[test]
    fn fires_on() {
        // Error: four signs at once, each a `low` finding.
        // (With some code: an empty package would be `empty-package`, which raises these.)
        let a = Artifact::sdist("widgetlib", "0.0.0")
            .with_metadata(THROWAWAY)
            .with_file("src/widgetlib/core.py", "import json\n");
        let f = findings(&a, "metadata-signals");
        let messages: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(f.len(), 4, "{messages:#?}");
        assert!(f.iter().all(|f| f.severity == Severity::Low));
        assert!(messages.iter().any(|m| m.contains("`mailinator.com`")));
        assert!(messages.iter().any(|m| m.contains("`requests`")));
        assert!(messages
            .iter()
            .any(|m| m.contains("placeholder summary (\"UNKNOWN\") and description")));
        assert!(messages.iter().any(|m| m.contains("version 0.0.0")));
        // Error: no author at all, summary repeating the name, no description.
        let md = "Metadata-Version: 2.1\nName: foo-bar\nVersion: 1.0\nSummary: foo_bar\n\n";
        let f = findings(&Artifact::wheel("foo_bar", "1.0").with_metadata(md), "metadata-signals");
        assert_eq!(f.len(), 2, "{f:#?}");
    }

    #[test]
    fn quiet_on() {
        // No error: an ordinary small project, and one naming its own repository.
        assert!(findings(&Artifact::sdist("widgetlib", "0.1.0"), "metadata-signals").is_empty());
        let md = pkg_info("requests-cache", "1.2.0").replace("example/requests-cache", "requests-cache/requests-cache");
        assert!(findings(
            &Artifact::wheel("requests_cache", "1.2.0").with_metadata(&md),
            "metadata-signals"
        )
        .is_empty());
        // No error: a plugin pointing at its parent project's repository.
        let md = pkg_info("pytest-widgets", "1.0").replace("example/pytest-widgets", "pytest-dev/pytest");
        assert!(findings(
            &Artifact::sdist("pytest-widgets", "1.0").with_metadata(&md),
            "metadata-signals"
        )
        .is_empty());
        // No error: a maintainer instead of an author; an empty summary over a real description.
        let md = "Metadata-Version: 2.1\nName: foo-bar\nVersion: 1.0\nMaintainer-email: Jo <jo@example.org>\n\nText.\n";
        assert!(findings(&Artifact::wheel("foo_bar", "1.0").with_metadata(md), "metadata-signals").is_empty());
        // No error: a sponsors link.
        let md = pkg_info("joserfc", "1.0").replace("github.com/example/joserfc", "github.com/sponsors/authlib");
        assert!(findings(
            &Artifact::wheel("joserfc", "1.0").with_metadata(&md),
            "metadata-signals"
        )
        .is_empty());
        assert!(!related("reqeusts", "requests"));
        assert!(related("pytest-widgets", "pytest"));
    }

    fn f(rule: &'static str, severity: Severity) -> Finding {
        Finding {
            stage: None,
            rule,
            severity,
            file: None,
            line: None,
            message: String::new(),
            snippet: None,
        }
    }

    #[test]
    fn combine_raises_only_with_other_evidence() {
        // Alone: stays low.
        let mut v = vec![
            f("metadata-signals", Severity::Low),
            f("metadata-mismatch", Severity::Low),
        ];
        combine(&mut v);
        assert!(v.iter().all(|f| f.severity == Severity::Low));
        // With a typosquat: medium (the squat alone decides `review`).
        let mut v = vec![f("typosquat", Severity::High), f("metadata-signals", Severity::Low)];
        combine(&mut v);
        assert_eq!(v[1].severity, Severity::Medium);
        // With a high code finding and two signs: high.
        let mut v = vec![
            f("exec-decoded-payload", Severity::High),
            f("metadata-signals", Severity::Low),
            f("metadata-signals", Severity::Low),
        ];
        combine(&mut v);
        assert!(v[1..].iter().all(|f| f.severity == Severity::High));
        // With a high code finding and one sign: medium.
        let mut v = vec![
            f("exec-decoded-payload", Severity::High),
            f("metadata-signals", Severity::Low),
        ];
        combine(&mut v);
        assert_eq!(v[1].severity, Severity::Medium);
        // A medium code finding and a throwaway identity (three signs): high.
        let mut v = vec![
            f("install-network", Severity::Medium),
            f("metadata-signals", Severity::Low),
            f("metadata-signals", Severity::Low),
            f("metadata-signals", Severity::Low),
        ];
        combine(&mut v);
        assert!(v[1..].iter().all(|f| f.severity == Severity::High));
        // An empty package is no code finding: placeholder metadata stays low (issue 11).
        let mut v = vec![
            f("empty-package", Severity::High),
            f("metadata-signals", Severity::Low),
            f("metadata-signals", Severity::Low),
        ];
        combine(&mut v);
        assert!(v[1..].iter().all(|f| f.severity == Severity::Low));
        // A low code finding raises nothing.
        let mut v = vec![f("some-code-rule", Severity::Low), f("metadata-signals", Severity::Low)];
        combine(&mut v);
        assert_eq!(v[1].severity, Severity::Low);
    }
}
