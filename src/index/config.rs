//! pip's own configuration (pip.conf, `PIP_*` variables) and netrc credentials.
//!
//! Precedence, as pip: command line > environment > config file `[install]` > `[global]`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::Error;

/// Values read from pip's configuration files and environment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PipConfig {
    pub index_url: Option<String>,
    pub extra_index_urls: Vec<String>,
    pub find_links: Vec<String>,
    pub no_index: bool,
    pub cert: Option<PathBuf>,
    pub timeout: Option<f64>,
    pub pre: bool,
    pub no_binary: Vec<String>,
    pub only_binary: Vec<String>,
}

/// The pip configuration files pip itself reads, lowest precedence first.
/// `PIP_CONFIG_FILE=/dev/null` (os.devnull) disables them all, as in pip.
pub fn config_files() -> Vec<PathBuf> {
    if let Ok(f) = std::env::var("PIP_CONFIG_FILE") {
        if f == "/dev/null" || f.eq_ignore_ascii_case("nul") {
            return Vec::new();
        }
        let mut files = standard_files();
        files.push(PathBuf::from(f));
        return files;
    }
    standard_files()
}

fn standard_files() -> Vec<PathBuf> {
    let mut files = vec![PathBuf::from("/etc/xdg/pip/pip.conf"), PathBuf::from("/etc/pip.conf")];
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
        files.push(home.join(".pip/pip.conf"));
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".config"));
        files.push(config.join("pip/pip.conf"));
    }
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        files.push(PathBuf::from(venv).join("pip.conf"));
    }
    files
}

/// Loads the configuration files that exist, then the `PIP_*` environment.
pub fn load() -> Result<PipConfig, Error> {
    let mut values: HashMap<String, String> = HashMap::new();
    for path in config_files() {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(Error::Io { path, source }),
        };
        for (section, key, value) in parse_ini(&path, &text)? {
            // `[install]` overrides `[global]` regardless of file order within one file set.
            let rank = if section == "install" { "1" } else { "0" };
            if section == "global" || section == "install" {
                let slot = format!("{key}\0{rank}");
                values.insert(slot, value);
            }
        }
    }
    let get = |key: &str| -> Option<String> {
        let env_key = format!("PIP_{}", key.to_ascii_uppercase().replace('-', "_"));
        std::env::var(env_key)
            .ok()
            .or_else(|| values.get(&format!("{key}\x001")).cloned())
            .or_else(|| values.get(&format!("{key}\x000")).cloned())
    };
    let list = |key: &str| -> Vec<String> {
        get(key)
            .map(|v| v.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    };
    let flag = |key: &str| {
        get(key).is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
    };
    Ok(PipConfig {
        index_url: get("index-url").filter(|v| !v.trim().is_empty()),
        extra_index_urls: list("extra-index-url"),
        find_links: list("find-links"),
        no_index: flag("no-index"),
        cert: get("cert").filter(|v| !v.trim().is_empty()).map(PathBuf::from),
        timeout: get("timeout")
            .or_else(|| get("default-timeout"))
            .and_then(|v| v.trim().parse().ok()),
        pre: flag("pre"),
        no_binary: list("no-binary"),
        only_binary: list("only-binary"),
    })
}

/// Minimal INI reader: `[section]`, `key = value`, indented continuation lines.
fn parse_ini(path: &Path, text: &str) -> Result<Vec<(String, String, String)>, Error> {
    let mut out: Vec<(String, String, String)> = Vec::new();
    let mut section = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.2.push(' ');
                last.2.push_str(trimmed);
                continue;
            }
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = name.trim().to_ascii_lowercase();
            continue;
        }
        let Some((key, value)) = trimmed.split_once(['=', ':']) else {
            return Err(Error::Config {
                path: path.to_path_buf(),
                line: i + 1,
                message: format!("expected `key = value`, found `{trimmed}`"),
            });
        };
        let key = key.trim().to_ascii_lowercase().replace('_', "-");
        out.push((section.clone(), key, value.trim().to_string()));
    }
    Ok(out)
}

/// A `(login, password)` pair from netrc.
pub type Login = (String, String);

/// Reads `$NETRC` or `~/.netrc`: `machine HOST login USER password PASS` and `default`.
pub fn netrc() -> HashMap<String, Login> {
    let path = std::env::var_os("NETRC")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".netrc")));
    path.and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| parse_netrc(&t))
        .unwrap_or_default()
}

/// Parses netrc text; the `default` entry is stored under the key `""`.
pub fn parse_netrc(text: &str) -> HashMap<String, Login> {
    let mut out = HashMap::new();
    let mut tokens = text.split_whitespace();
    let mut machine: Option<String> = None;
    let mut login = String::new();
    let mut password = String::new();
    let mut flush = |m: &mut Option<String>, l: &mut String, p: &mut String| {
        if let Some(host) = m.take() {
            out.insert(host, (std::mem::take(l), std::mem::take(p)));
        }
    };
    while let Some(tok) = tokens.next() {
        match tok {
            "machine" => {
                flush(&mut machine, &mut login, &mut password);
                machine = tokens.next().map(str::to_string);
            }
            "default" => {
                flush(&mut machine, &mut login, &mut password);
                machine = Some(String::new());
            }
            "login" => login = tokens.next().unwrap_or_default().to_string(),
            "password" => password = tokens.next().unwrap_or_default().to_string(),
            "account" => {
                tokens.next();
            }
            _ => {}
        }
    }
    flush(&mut machine, &mut login, &mut password);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_sections_and_continuations() {
        let text = "[global]\nindex-url = https://a/simple\nextra-index-url =\n    https://b/simple\n    https://c/simple\n# c\n[install]\nno_binary = foo\n";
        let v = parse_ini(Path::new("pip.conf"), text).unwrap();
        assert_eq!(v[0], ("global".into(), "index-url".into(), "https://a/simple".into()));
        assert_eq!(v[1].2, " https://b/simple https://c/simple");
        assert_eq!(v[2], ("install".into(), "no-binary".into(), "foo".into()));
        let err = parse_ini(Path::new("pip.conf"), "[global]\nnonsense\n").unwrap_err();
        assert_eq!(err.to_string(), "pip.conf:2: expected `key = value`, found `nonsense`");
    }

    #[test]
    fn netrc_entries() {
        let m = parse_netrc("machine pypi.corp login alice password s3cret\ndefault login anon password x\n");
        assert_eq!(m["pypi.corp"], ("alice".to_string(), "s3cret".to_string()));
        assert_eq!(m[""], ("anon".to_string(), "x".to_string()));
    }
}
