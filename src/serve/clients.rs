//! Pointing clients at a `guard serve` index: pip's user `pip.conf` and uv's
//! user `uv.toml` (edited as text so comments and other settings stay),
//! the lines for poetry and pdm, and reading back where each client looks.
//!
//! An extra index next to guard's would let a client fetch a name guard never
//! saw (dependency confusion straight past guard), so setup comments those
//! settings out, with a note, and `guard doctor` reports them.

use std::path::{Path, PathBuf};

/// pip's user configuration file (`$XDG_CONFIG_HOME/pip/pip.conf`, else `~/.config/pip/pip.conf`).
pub fn pip_conf(home: &Path) -> PathBuf {
    config_home(home).join("pip").join("pip.conf")
}

/// pip's legacy user file, still read (before the one above).
pub fn pip_conf_legacy(home: &Path) -> PathBuf {
    home.join(".pip").join("pip.conf")
}

/// uv's user configuration file (`$XDG_CONFIG_HOME/uv/uv.toml`, else `~/.config/uv/uv.toml`).
pub fn uv_toml(home: &Path) -> PathBuf {
    config_home(home).join("uv").join("uv.toml")
}

/// pdm's global configuration file.
pub fn pdm_toml(home: &Path) -> PathBuf {
    config_home(home).join("pdm").join("config.toml")
}

fn config_home(home: &Path) -> PathBuf {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| home.join(".config"))
}

fn ini_key(line: &str) -> Option<(String, &str)> {
    let t = line.trim_start();
    if t.starts_with('#') || t.starts_with(';') || t.starts_with('[') || line.starts_with([' ', '\t']) {
        return None;
    }
    let i = t.find(['=', ':'])?;
    Some((t[..i].trim().to_ascii_lowercase().replace('_', "-"), t[i + 1..].trim()))
}

fn ini_section(line: &str) -> Option<String> {
    let t = line.trim();
    t.strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .map(|s| s.trim().to_ascii_lowercase())
}

const NOTE: &str = "disabled by `guard setup`: an extra index would bypass guard serve";

/// `pip.conf` with `index-url = url` in `[global]` (and in place of every
/// other `index-url`), `extra-index-url` commented out; everything else kept.
pub fn set_pip_index(text: &str, url: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut section = String::new();
    let mut global_done = false;
    let mut in_extra = false;
    for line in text.lines() {
        if in_extra && line.starts_with([' ', '\t']) && !line.trim().is_empty() {
            out.push(format!("# {line}"));
            continue;
        }
        in_extra = false;
        if let Some(s) = ini_section(line) {
            if section == "global" && !global_done {
                // Leaving [global] without an index-url: add it at the end of the section.
                insert_before_blank_tail(&mut out, format!("index-url = {url}"));
                global_done = true;
            }
            section = s;
            out.push(line.to_string());
            continue;
        }
        match ini_key(line) {
            Some((k, _)) if k == "index-url" => {
                out.push(format!("index-url = {url}"));
                if section == "global" {
                    global_done = true;
                }
            }
            Some((k, _)) if k == "extra-index-url" => {
                out.push(format!("# {NOTE}"));
                out.push(format!("# {line}"));
                in_extra = true;
            }
            _ => out.push(line.to_string()),
        }
    }
    if !global_done {
        if section == "global" {
            insert_before_blank_tail(&mut out, format!("index-url = {url}"));
        } else {
            if out.last().is_some_and(|l| !l.trim().is_empty()) {
                out.push(String::new());
            }
            out.push("[global]".into());
            out.push(format!("index-url = {url}"));
        }
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

fn insert_before_blank_tail(out: &mut Vec<String>, line: String) {
    let mut at = out.len();
    while at > 0 && out[at - 1].trim().is_empty() {
        at -= 1;
    }
    out.insert(at, line);
}

/// Where pip looks, as far as one file says: (`index-url` of `[install]` or
/// `[global]`, extra indexes).
pub fn pip_index(text: &str) -> (Option<String>, Vec<String>) {
    let mut section = String::new();
    let (mut global, mut install, mut extra) = (None, None, Vec::new());
    for line in text.lines() {
        if let Some(s) = ini_section(line) {
            section = s;
            continue;
        }
        if let Some((k, v)) = ini_key(line) {
            match (k.as_str(), section.as_str()) {
                ("index-url", "global") => global = Some(v.to_string()),
                ("index-url", "install") => install = Some(v.to_string()),
                ("extra-index-url", "global" | "install") => extra.push(v.to_string()),
                _ => {}
            }
        }
    }
    (install.or(global), extra)
}

pub const UV_BEGIN: &str = "# >>> guard index (added by `guard setup`) >>>";
pub const UV_END: &str = "# <<< guard index <<<";

/// `uv.toml` whose only index is guard's: a marked `[[index]]` block at the
/// end (`default = true`); top-level and `[pip]` `index-url`,
/// `extra-index-url` and other `[[index]]` tables commented out with a note.
/// Refuses a file that is not valid TOML (it would be made worse).
pub fn set_uv_index(text: &str, url: &str) -> Result<String, String> {
    toml::from_str::<toml::Table>(text).map_err(|e| format!("it is not valid TOML ({})", e.message()))?;
    let mut out: Vec<String> = Vec::new();
    let mut section = String::new();
    let mut in_block = false;
    let mut in_other_index = false;
    let mut open_array = 0i32;
    for line in text.lines() {
        if line.trim() == UV_BEGIN {
            in_block = true;
            continue;
        }
        if in_block {
            if line.trim() == UV_END {
                in_block = false;
            }
            continue;
        }
        if open_array > 0 {
            open_array += bracket_balance(line);
            out.push(format!("# {line}"));
            continue;
        }
        let t = line.trim();
        if t.starts_with('[') && !t.starts_with("[\"") {
            section = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            in_other_index = t.starts_with("[[") && section == "index";
            if in_other_index {
                out.push(format!("# {NOTE}"));
                out.push(format!("# {line}"));
            } else {
                out.push(line.to_string());
            }
            continue;
        }
        if in_other_index && !t.is_empty() {
            out.push(format!("# {line}"));
            continue;
        }
        let key = t.split('=').next().unwrap_or("").trim().trim_matches('"');
        let disable = (section.is_empty() || section == "pip")
            && t.contains('=')
            && matches!(
                key,
                "index-url" | "extra-index-url" | "index" | "default-index" | "find-links"
            );
        if disable {
            out.push(format!("# {NOTE}"));
            out.push(format!("# {line}"));
            open_array = bracket_balance(line).max(0);
            continue;
        }
        out.push(line.to_string());
    }
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    if !out.is_empty() {
        out.push(String::new());
    }
    out.push(UV_BEGIN.into());
    out.push("[[index]]".into());
    out.push("name = \"guard\"".into());
    out.push(format!("url = {}", toml::Value::String(url.to_string())));
    out.push("default = true".into());
    out.push(UV_END.into());
    let mut s = out.join("\n");
    s.push('\n');
    let (default, extra) = uv_index(&s).map_err(|e| format!("the edited file would not parse ({e}); not written"))?;
    if default.as_deref() != Some(url) || !extra.is_empty() {
        return Err(format!(
            "the edited file would still use other indexes ({}); not written",
            extra.join(", ")
        ));
    }
    Ok(s)
}

fn bracket_balance(line: &str) -> i32 {
    let code = line.split('#').next().unwrap_or("");
    code.matches('[').count() as i32 - code.matches(']').count() as i32
}

/// Where uv looks, as far as `uv.toml` says: (default index, other indexes).
pub fn uv_index(text: &str) -> Result<(Option<String>, Vec<String>), String> {
    let t: toml::Table = toml::from_str(text).map_err(|e| e.message().to_string())?;
    let mut default = None;
    let mut extra = Vec::new();
    let urls = |v: &toml::Value| -> Vec<String> {
        match v {
            toml::Value::String(s) => vec![s.clone()],
            toml::Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        }
    };
    for table in [Some(&t), t.get("pip").and_then(|p| p.as_table())]
        .into_iter()
        .flatten()
    {
        if let Some(v) = table.get("index-url").or_else(|| table.get("default-index")) {
            default = urls(v).into_iter().next();
        }
        if let Some(v) = table.get("extra-index-url") {
            extra.extend(urls(v));
        }
        if let Some(v) = table.get("find-links") {
            extra.extend(urls(v));
        }
    }
    if let Some(toml::Value::Array(indexes)) = t.get("index") {
        for i in indexes {
            let url = i.get("url").and_then(|u| u.as_str()).unwrap_or("?").to_string();
            if i.get("default").and_then(|d| d.as_bool()) == Some(true) && default.is_none() {
                default = Some(url);
            } else {
                extra.push(url);
            }
        }
    }
    Ok((default, extra))
}

/// pdm's global index (`[pypi] url`).
pub fn pdm_index(text: &str) -> Option<String> {
    let t: toml::Table = toml::from_str(text).ok()?;
    t.get("pypi")?.get("url")?.as_str().map(str::to_string)
}

/// What to run for the clients guard does not configure itself.
pub fn other_clients(url: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "poetry (per project)",
            format!("poetry source add --priority=primary guard {url}"),
        ),
        ("pdm", format!("pdm config pypi.url {url}")),
        ("pipx", "uses pip's configuration (set above)".to_string()),
    ]
}

/// Same index, ignoring a trailing slash.
pub fn same_index(a: &str, b: &str) -> bool {
    a.trim().trim_end_matches('/') == b.trim().trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "http://127.0.0.1:3141/simple/";

    #[test]
    fn pip_conf_keeps_settings_and_drops_extra_indexes() {
        let before = "# mine\n[global]\ntimeout = 60\nindex-url = https://pypi.org/simple/\nextra-index-url =\n    https://evil.example/simple/\n    https://other.example/simple/\n\n[install]\nno-binary = :none:\n";
        let after = set_pip_index(before, URL);
        assert!(after.contains("timeout = 60") && after.contains("no-binary = :none:") && after.contains("# mine"));
        assert_eq!(pip_index(&after), (Some(URL.to_string()), Vec::new()), "{after}");
        assert!(after.contains("#     https://evil.example/simple/"), "{after}");
        assert_eq!(set_pip_index(&after, URL), after, "not idempotent");
        let fresh = set_pip_index("", URL);
        assert_eq!(fresh, format!("[global]\nindex-url = {URL}\n"));
        let other = set_pip_index("[install]\nindex_url = https://x.example/simple/\n", URL);
        assert_eq!(pip_index(&other).0.as_deref(), Some(URL), "{other}");
        let global_no_index = set_pip_index("[global]\ntimeout = 5\n\n[list]\nformat = columns\n", URL);
        assert!(
            global_no_index.starts_with(&format!("[global]\ntimeout = 5\nindex-url = {URL}\n\n[list]")),
            "{global_no_index}"
        );
    }

    #[test]
    fn uv_toml_gets_one_default_index() {
        let before = "native-tls = true\nindex-url = \"https://pypi.org/simple/\"\nextra-index-url = [\n  \"https://a.example/simple/\",\n  \"https://b.example/simple/\",\n]\n\n[[index]]\nname = \"internal\"\nurl = \"https://internal.example/simple/\"\n\n[pip]\ncompile-bytecode = true\n";
        let after = set_uv_index(before, URL).unwrap();
        assert!(
            after.contains("native-tls = true") && after.contains("compile-bytecode = true"),
            "{after}"
        );
        assert_eq!(
            uv_index(&after).unwrap(),
            (Some(URL.to_string()), Vec::new()),
            "{after}"
        );
        assert_eq!(set_uv_index(&after, URL).unwrap(), after, "not idempotent");
        let moved = set_uv_index(&after, "http://guard.example/simple/").unwrap();
        assert_eq!(
            uv_index(&moved).unwrap().0.as_deref(),
            Some("http://guard.example/simple/")
        );
        assert_eq!(moved.matches(UV_BEGIN).count(), 1);
        assert!(set_uv_index("this is = = not toml", URL).is_err());
    }

    #[test]
    fn other_clients_and_pdm() {
        assert!(other_clients(URL)[0]
            .1
            .contains("--priority=primary guard http://127.0.0.1:3141/simple/"));
        assert_eq!(
            pdm_index("[pypi]\nurl = \"http://x/simple/\"\n").as_deref(),
            Some("http://x/simple/")
        );
        assert!(same_index("http://x/simple", "http://x/simple/"));
    }
}
