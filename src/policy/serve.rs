//! The policy's `[serve]` table: what `guard serve` serves from where, who
//! may download and review, and whether `guard install` trusts the verdicts
//! of a `guard serve` index.
//!
//! ```toml
//! [serve]
//! downloads = "token"
//! trusted_indexes = ["https://guard.internal.example/simple/"]
//! [serve.upstreams]
//! internal = { url = "https://pypi.internal.example/simple/", username = "guard", password_env = "INTERNAL_INDEX_PASSWORD" }
//! pypi = "https://pypi.org/simple/"
//! [serve.projects]
//! "acme-*" = "internal"
//! [[serve.tokens]]
//! name = "reviewers"
//! env = "GUARD_REVIEW_TOKEN"
//! scope = "review"
//! ```
//!
//! Secrets never appear here: a token or upstream password names the
//! environment variable or file it is read from when `guard serve` starts.
//! This module only validates; [`crate::commands`] reads the secrets.

use std::path::PathBuf;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::metadata::normalize;

type Value<'i> = Spanned<DeValue<'i>>;

/// One mistake: byte offset in the file and message (config.rs locates it).
pub type Mistake = (usize, String);

/// Who may download pages and files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Downloads {
    /// Anyone who can reach the server.
    #[default]
    Anonymous,
    /// A token of any scope (`Authorization: Bearer …`, or HTTP basic auth
    /// with the token as password, which is what pip and uv send for
    /// `https://user:TOKEN@host/simple/`).
    Token,
}

/// What a token may do; each scope includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Pages and files (when `downloads = "token"`).
    Download,
    /// List pending reviews, approve and deny.
    Review,
    /// Everything, including the audit log.
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Download => "download",
            Scope::Review => "review",
            Scope::Admin => "admin",
        }
    }
}

/// Where a secret is read from when `guard serve` starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// An environment variable's value.
    Env(String),
    /// A file's contents, surrounding whitespace trimmed.
    File(PathBuf),
}

impl Secret {
    /// Where it comes from, for messages (never the secret).
    pub fn describe(&self) -> String {
        match self {
            Secret::Env(v) => format!("environment variable {v}"),
            Secret::File(p) => format!("file {}", p.display()),
        }
    }
}

/// A named token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSpec {
    /// Who uses it (recorded as the reviewer of decisions made with it).
    pub name: String,
    pub secret: Secret,
    pub scope: Scope,
}

/// A named upstream index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamSpec {
    pub name: String,
    pub url: url::Url,
    pub username: Option<String>,
    /// The password (or API token) for `username`, never written in the policy.
    pub password: Option<Secret>,
}

/// The validated `[serve]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServePolicy {
    /// In file order.
    pub upstreams: Vec<UpstreamSpec>,
    /// Upstream names asked, in order, for names no pin covers (default: every upstream in file order).
    pub search: Vec<String>,
    /// `(pattern, upstream name)`: names matching the pattern (normalized,
    /// `*` wildcards) are looked up on that upstream only.
    pub projects: Vec<(String, String)>,
    pub downloads: Downloads,
    pub tokens: Vec<TokenSpec>,
    /// `guard serve` indexes whose served files `guard install` takes as
    /// approved without inspecting them again (empty: guard always inspects).
    pub trusted_indexes: Vec<url::Url>,
}

impl ServePolicy {
    /// Whether `index` (a `--index-url`) is one of [`ServePolicy::trusted_indexes`].
    pub fn trusts(&self, index: &url::Url) -> bool {
        let norm = |u: &url::Url| u.as_str().trim_end_matches('/').to_string();
        self.trusted_indexes.iter().any(|t| norm(t) == norm(index))
    }

    /// One line per setting for `guard policy check` (secrets named by source only).
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if *self == ServePolicy::default() {
            return out;
        }
        if !self.upstreams.is_empty() {
            let ups: Vec<String> = self
                .upstreams
                .iter()
                .map(|u| {
                    let login = match (&u.username, &u.password) {
                        (Some(user), Some(p)) => format!(" as {user}, password from {}", p.describe()),
                        (Some(user), None) => format!(" as {user}"),
                        _ => String::new(),
                    };
                    format!("{} ({}{login})", u.name, u.url)
                })
                .collect();
            out.push(format!("serve upstreams: {}", ups.join(", ")));
            out.push(format!("serve search order: {}", self.search.join(", ")));
        }
        for (pattern, up) in &self.projects {
            out.push(format!("serve pin: {pattern} only from {up}"));
        }
        out.push(format!(
            "serve downloads: {}",
            match self.downloads {
                Downloads::Anonymous => "anonymous",
                Downloads::Token => "token required",
            }
        ));
        for t in &self.tokens {
            out.push(format!(
                "serve token: {} (scope {}, from {})",
                t.name,
                t.scope.as_str(),
                t.secret.describe()
            ));
        }
        if !self.trusted_indexes.is_empty() {
            let list: Vec<&str> = self.trusted_indexes.iter().map(|u| u.as_str()).collect();
            out.push(format!("guard install trusts the verdicts of: {}", list.join(", ")));
        }
        out
    }

    pub fn upstream(&self, name: &str) -> Option<&UpstreamSpec> {
        self.upstreams.iter().find(|u| u.name == name)
    }
}

struct Check {
    mistakes: Vec<Mistake>,
}

impl Check {
    fn err(&mut self, v: &Value<'_>, message: String) {
        self.mistakes.push((v.span().start, message));
    }

    fn keys(&mut self, t: &DeTable<'_>, section: &str, known: &[&str]) {
        for (k, _) in t.iter() {
            if !known.contains(&k.get_ref().as_ref()) {
                self.mistakes.push((
                    k.span().start,
                    format!(
                        "unknown key `{}` in [{section}] (expected one of: {})",
                        k.get_ref(),
                        known.join(", ")
                    ),
                ));
            }
        }
    }

    fn table<'t, 'i>(&mut self, v: &'t Value<'i>, what: &str) -> Option<&'t DeTable<'i>> {
        let t = v.get_ref().as_table();
        if t.is_none() {
            self.err(v, format!("`{what}` must be a table, found {}", v.get_ref().type_str()));
        }
        t
    }

    fn string(&mut self, v: &Value<'_>, what: &str) -> Option<String> {
        match v.get_ref().as_str() {
            Some(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(_) => {
                self.err(v, format!("`{what}` must not be empty"));
                None
            }
            None => {
                self.err(
                    v,
                    format!("`{what}` must be a string, found {}", v.get_ref().type_str()),
                );
                None
            }
        }
    }

    fn url(&mut self, v: &Value<'_>, what: &str) -> Option<url::Url> {
        let s = self.string(v, what)?;
        match url::Url::parse(&s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Some(u),
            Ok(_) => {
                self.err(v, format!("`{what}` must be an http or https URL"));
                None
            }
            Err(e) => {
                // Never echo the value: it may carry a password.
                self.err(v, format!("`{what}` is not a valid URL: {e}"));
                None
            }
        }
    }

    fn strings(&mut self, v: &Value<'_>, what: &str) -> Vec<(String, usize)> {
        let Some(arr) = v.get_ref().as_array() else {
            self.err(
                v,
                format!("`{what}` must be an array of strings, found {}", v.get_ref().type_str()),
            );
            return Vec::new();
        };
        arr.iter()
            .filter_map(|item| self.string(item, what).map(|s| (s, item.span().start)))
            .collect()
    }

    /// `env = "VAR"` or `file = "/path"`, exactly one.
    fn secret(&mut self, t: &DeTable<'_>, at: &Value<'_>, env: &str, file: &str, what: &str) -> Option<Secret> {
        match (t.get(env), t.get(file)) {
            (Some(e), None) => self.string(e, &format!("{what}.{env}")).map(Secret::Env),
            (None, Some(f)) => self
                .string(f, &format!("{what}.{file}"))
                .map(|p| Secret::File(PathBuf::from(p))),
            (Some(_), Some(_)) => {
                self.err(at, format!("`{what}` takes `{env}` or `{file}`, not both"));
                None
            }
            (None, None) => None,
        }
    }
}

/// Entries of a table in file order (TOML tables need not keep it).
fn ordered<'t, 'i>(t: &'t DeTable<'i>) -> Vec<(&'t Spanned<std::borrow::Cow<'i, str>>, &'t Value<'i>)> {
    let mut v: Vec<_> = t.iter().collect();
    v.sort_by_key(|(k, _)| k.span().start);
    v
}

/// Validates the `[serve]` table; every mistake is returned (none: `Ok`).
pub fn parse(v: &Value<'_>) -> Result<ServePolicy, Vec<Mistake>> {
    let mut c = Check { mistakes: Vec::new() };
    let mut p = ServePolicy::default();
    let Some(t) = c.table(v, "serve") else {
        return Err(c.mistakes);
    };
    c.keys(
        t,
        "serve",
        &[
            "upstreams",
            "search",
            "projects",
            "downloads",
            "tokens",
            "trusted_indexes",
        ],
    );
    if let Some(ups) = t.get("upstreams").and_then(|u| c.table(u, "serve.upstreams")) {
        for (k, item) in ordered(ups) {
            let name = k.get_ref().to_string();
            let what = format!("serve.upstreams.{name}");
            let spec = if item.get_ref().as_str().is_some() {
                c.url(item, &what).map(|url| UpstreamSpec {
                    name: name.clone(),
                    url,
                    username: None,
                    password: None,
                })
            } else if let Some(ut) = c.table(item, &what) {
                c.keys(ut, &what, &["url", "username", "password_env", "password_file"]);
                let url = match ut.get("url") {
                    Some(u) => c.url(u, &format!("{what}.url")),
                    None => {
                        c.err(item, format!("`{what}` needs `url`"));
                        None
                    }
                };
                let username = ut
                    .get("username")
                    .and_then(|u| c.string(u, &format!("{what}.username")));
                let password = c.secret(ut, item, "password_env", "password_file", &what);
                if password.is_some() && username.is_none() {
                    c.err(item, format!("`{what}` has a password but no `username`"));
                }
                url.map(|url| UpstreamSpec {
                    name: name.clone(),
                    url,
                    username,
                    password,
                })
            } else {
                None
            };
            if let Some(s) = spec {
                if s.url.password().is_some() {
                    c.err(
                        item,
                        format!(
                            "`{what}` URL carries a password: use `username` and `password_env` or `password_file`"
                        ),
                    );
                }
                p.upstreams.push(s);
            }
        }
    }
    let known = |p: &ServePolicy, n: &str| p.upstreams.iter().any(|u| u.name == n);
    let names = |p: &ServePolicy| {
        p.upstreams
            .iter()
            .map(|u| u.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match t.get("search") {
        Some(s) => {
            for (name, at) in c.strings(s, "serve.search") {
                if !known(&p, &name) {
                    c.mistakes.push((
                        at,
                        format!(
                            "`serve.search` names `{name}`, which is not in [serve.upstreams] ({})",
                            names(&p)
                        ),
                    ));
                }
                p.search.push(name);
            }
        }
        None => p.search = p.upstreams.iter().map(|u| u.name.clone()).collect(),
    }
    if let Some(pt) = t.get("projects").and_then(|v| c.table(v, "serve.projects")) {
        for (k, item) in ordered(pt) {
            let pattern = normalize_pattern(k.get_ref());
            if pattern.is_empty() || pattern == "*" {
                c.mistakes.push((
                    k.span().start,
                    format!(
                        "`serve.projects` pattern `{}` would pin every name; use `serve.search`",
                        k.get_ref()
                    ),
                ));
                continue;
            }
            if let Some(up) = c.string(item, &format!("serve.projects.\"{}\"", k.get_ref())) {
                if !known(&p, &up) {
                    c.err(
                        item,
                        format!(
                            "`{}` is pinned to `{up}`, which is not in [serve.upstreams] ({})",
                            k.get_ref(),
                            names(&p)
                        ),
                    );
                }
                p.projects.push((pattern, up));
            }
        }
    }
    if let Some(d) = t.get("downloads") {
        match d.get_ref().as_str() {
            Some("anonymous") => p.downloads = Downloads::Anonymous,
            Some("token") => p.downloads = Downloads::Token,
            _ => c.err(d, "`serve.downloads` must be one of anonymous, token".into()),
        }
    }
    if let Some(tokens) = t.get("tokens") {
        match tokens.get_ref().as_array() {
            None => c.err(
                tokens,
                "`serve.tokens` must be an array of tables (`[[serve.tokens]]`)".into(),
            ),
            Some(items) => {
                for item in items {
                    let Some(tt) = c.table(item, "serve.tokens") else {
                        continue;
                    };
                    c.keys(tt, "serve.tokens", &["name", "env", "file", "scope"]);
                    let name = match tt.get("name") {
                        Some(n) => c.string(n, "serve.tokens.name"),
                        None => {
                            c.err(item, "`[[serve.tokens]]` entry needs `name`".into());
                            None
                        }
                    };
                    let secret = c.secret(tt, item, "env", "file", "serve.tokens");
                    if secret.is_none() && !(tt.contains_key("env") || tt.contains_key("file")) {
                        c.err(item, "`[[serve.tokens]]` entry needs `env` or `file`".into());
                    }
                    let scope = match tt.get("scope") {
                        None => {
                            c.err(
                                item,
                                "`[[serve.tokens]]` entry needs `scope` (download, review or admin)".into(),
                            );
                            None
                        }
                        Some(s) => match s.get_ref().as_str() {
                            Some("download") => Some(Scope::Download),
                            Some("review") => Some(Scope::Review),
                            Some("admin") => Some(Scope::Admin),
                            _ => {
                                c.err(s, "`serve.tokens.scope` must be one of download, review, admin".into());
                                None
                            }
                        },
                    };
                    if let (Some(name), Some(secret), Some(scope)) = (name, secret, scope) {
                        if p.tokens.iter().any(|t| t.name == name) {
                            c.err(item, format!("token `{name}` is defined twice"));
                        }
                        p.tokens.push(TokenSpec { name, secret, scope });
                    }
                }
            }
        }
    }
    if let Some(ti) = t.get("trusted_indexes") {
        if let Some(arr) = ti.get_ref().as_array() {
            for item in arr {
                if let Some(u) = c.url(item, "serve.trusted_indexes") {
                    p.trusted_indexes.push(u);
                }
            }
        } else {
            c.err(ti, "`serve.trusted_indexes` must be an array of URLs".into());
        }
    }
    if c.mistakes.is_empty() {
        Ok(p)
    } else {
        Err(c.mistakes)
    }
}

/// `Acme_*` → `acme-*`: the name part normalized as PEP 503 does.
pub fn normalize_pattern(p: &str) -> String {
    p.trim()
        .split('*')
        .map(|part| {
            if part.is_empty() {
                String::new()
            } else {
                // Keep separators at the edges ("acme-" stays "acme-").
                let lead = part.starts_with(['-', '_', '.']);
                let trail = part.ends_with(['-', '_', '.']);
                let core = normalize(part.trim_matches(['-', '_', '.']));
                format!(
                    "{}{core}{}",
                    if lead { "-" } else { "" },
                    if trail && !core.is_empty() { "-" } else { "" }
                )
            }
        })
        .collect::<Vec<_>>()
        .join("*")
}

/// `*` wildcards against a normalized name.
pub fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(text: &str) -> Result<ServePolicy, Vec<Mistake>> {
        let (doc, errs) = DeTable::parse_recoverable(text);
        assert!(errs.is_empty(), "{errs:?}");
        let root = doc.get_ref();
        parse(root.get("serve").expect("a [serve] table"))
    }

    #[test]
    fn upstreams_pins_tokens() {
        let p = serve(
            r#"
[serve]
downloads = "token"
trusted_indexes = ["http://127.0.0.1:3141/simple/"]
[serve.upstreams]
internal = { url = "https://pypi.internal.example/simple/", username = "guard", password_env = "INTERNAL_PW" }
pypi = "https://pypi.org/simple/"
[serve.projects]
"Acme_*" = "internal"
[[serve.tokens]]
name = "ci"
file = "/etc/guard/ci.token"
scope = "download"
[[serve.tokens]]
name = "alice"
env = "ALICE_TOKEN"
scope = "review"
"#,
        )
        .unwrap();
        assert_eq!(p.upstreams.len(), 2);
        assert_eq!(p.upstreams[0].name, "internal");
        assert_eq!(p.upstreams[0].password, Some(Secret::Env("INTERNAL_PW".into())));
        assert_eq!(p.search, ["internal", "pypi"]);
        assert_eq!(p.projects, [("acme-*".to_string(), "internal".to_string())]);
        assert_eq!(p.downloads, Downloads::Token);
        assert_eq!(p.tokens[0].scope, Scope::Download);
        assert_eq!(p.tokens[1].secret, Secret::Env("ALICE_TOKEN".into()));
        assert!(p.trusts(&url::Url::parse("http://127.0.0.1:3141/simple").unwrap()));
        assert!(!p.trusts(&url::Url::parse("http://127.0.0.1:3142/simple/").unwrap()));
        let shown = p.describe().join("\n");
        assert!(shown.contains("serve pin: acme-* only from internal"), "{shown}");
        assert!(
            shown.contains("password from environment variable INTERNAL_PW"),
            "{shown}"
        );
        assert!(ServePolicy::default().describe().is_empty());
    }

    #[test]
    fn a_system_lock_on_allow_keeps_its_trusted_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let sys = dir.path().join("system.toml");
        std::fs::write(
            &sys,
            "locked = [\"allow\"]\n[serve]\ntrusted_indexes = [\"https://guard.corp.example/simple/\"]\n",
        )
        .unwrap();
        let project = dir.path().join("guard.toml");
        std::fs::write(
            &project,
            "[serve]\ntrusted_indexes = [\"https://attacker.example/simple/\"]\n",
        )
        .unwrap();
        let lookup = |system: Option<std::path::PathBuf>| crate::policy::Lookup {
            explicit: Some(project.clone()),
            project_dir: None,
            user: None,
            system,
        };
        let p = crate::policy::load_layered(&lookup(Some(sys))).unwrap();
        let trusted: Vec<&str> = p.serve.trusted_indexes.iter().map(|u| u.as_str()).collect();
        assert_eq!(trusted, ["https://guard.corp.example/simple/"]);
        assert!(
            p.warnings.iter().any(|w| w.contains("`allow` is locked")),
            "{:?}",
            p.warnings
        );
        // Without the lock the project's list applies (like its [[allow]] entries).
        let p = crate::policy::load_layered(&lookup(Some(dir.path().join("none.toml")))).unwrap();
        assert_eq!(p.serve.trusted_indexes[0].as_str(), "https://attacker.example/simple/");
    }

    #[test]
    fn a_project_directory_cannot_make_install_trust_an_index() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("guard.toml"),
            "[serve]\ntrusted_indexes = [\"https://attacker.example/simple/\"]\n",
        )
        .unwrap();
        let lookup = crate::policy::Lookup {
            explicit: None,
            project_dir: Some(dir.path().to_path_buf()),
            user: None,
            system: None,
        };
        let p = crate::policy::load_layered(&lookup).unwrap();
        assert!(p.serve.trusted_indexes.is_empty(), "{:?}", p.serve.trusted_indexes);
        assert!(
            p.warnings
                .iter()
                .any(|w| w.contains("`serve.trusted_indexes` is honoured only")),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn every_mistake_is_reported() {
        let errs = serve(
            r#"
[serve]
downloads = "everyone"
search = ["nope"]
colour = 1
[serve.upstreams]
leaky = "https://user:hunter2@pypi.example/simple/"
bad = { url = "https://x.example/simple/", password_env = "P" }
[serve.projects]
"acme-*" = "missing"
[[serve.tokens]]
name = "t"
env = "A"
file = "/b"
scope = "root"
"#,
        )
        .unwrap_err();
        let text = format!("{errs:?}");
        for needle in [
            "serve.downloads",
            "`nope`",
            "unknown key `colour`",
            "password but no `username`",
            "pinned to `missing`",
            "not both",
            "serve.tokens.scope",
        ] {
            assert!(text.contains(needle), "{needle} missing from {text}");
        }
        assert!(!text.contains("hunter2"), "a password was echoed: {text}");
    }

    #[test]
    fn a_url_with_a_password_in_a_table_is_refused() {
        let errs = serve("[serve.upstreams]\nx = { url = \"https://u:pw@x.example/simple/\" }\n").unwrap_err();
        assert!(format!("{errs:?}").contains("carries a password"));
    }

    #[test]
    fn patterns_normalize_and_match() {
        let p = normalize_pattern("Acme_*");
        assert_eq!(p, "acme-*");
        assert!(glob(&p, "acme-tools"));
        assert!(!glob(&p, "acme"));
        assert!(!glob(&p, "notacme-x"));
        assert!(glob("exact", "exact"));
        assert!(glob("*-internal", "x-internal"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxc"));
        assert_eq!(normalize_pattern("*.Internal"), "*-internal");
    }
}
