//! `guard setup --index URL` and the client half of `guard doctor`: pip, uv,
//! pdm (and poetry, per project) pointed at a `guard serve` index.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::cli::DoctorArgs;
use crate::serve::clients as c;
use crate::ExitStatus;

fn home() -> anyhow::Result<PathBuf> {
    dirs::home_dir().context("no home directory ($HOME is not set)")
}

/// `http://host:3141/simple` → `http://host:3141/simple/`; http(s) only.
fn index_url(s: &str) -> anyhow::Result<url::Url> {
    let mut u = url::Url::parse(s.trim()).map_err(|e| anyhow::anyhow!("invalid --index URL: {e}"))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        bail!("invalid --index URL: expected http(s)://host[:port]/simple/");
    }
    if !u.path().ends_with('/') {
        let p = format!("{}/", u.path());
        u.set_path(&p);
    }
    Ok(u)
}

fn shown(u: &str) -> String {
    url::Url::parse(u)
        .map(|u| crate::index::http::redact(&u))
        .unwrap_or_else(|_| u.to_string())
}

/// Writes `new` to `path` if it differs, keeping a copy of the old file.
fn write_config(path: &Path, old: Option<&str>, new: &str, secret: bool) -> anyhow::Result<bool> {
    if old == Some(new) {
        eprintln!("{}: already points at the index", path.display());
        return Ok(false);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    if let Some(old) = old {
        let backup = path.with_file_name(format!(
            "{}.guard-backup-{}",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("config"),
            crate::store::now()
        ));
        std::fs::write(&backup, old)
            .with_context(|| format!("cannot back up {} to {}", path.display(), backup.display()))?;
        eprintln!("{}: backed up to {}", path.display(), backup.display());
    }
    let tmp = path.with_extension("guard-tmp");
    std::fs::write(&tmp, new).with_context(|| format!("cannot write {}", tmp.display()))?;
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict {}", tmp.display()))?;
    }
    let _ = secret;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(true)
}

pub fn setup(url: &str) -> anyhow::Result<()> {
    let url = index_url(url)?;
    let secret = url.password().is_some();
    let u = url.as_str();
    let home = home()?;

    let pip = c::pip_conf(&home);
    let old = std::fs::read_to_string(&pip).ok();
    let new = c::set_pip_index(old.as_deref().unwrap_or(""), u);
    if write_config(&pip, old.as_deref(), &new, secret)? {
        eprintln!("{}: pip now uses {} (index-url in [global])", pip.display(), shown(u));
    }
    let legacy = c::pip_conf_legacy(&home);
    if let Ok(text) = std::fs::read_to_string(&legacy) {
        let (_, extra) = c::pip_index(&text);
        if !extra.is_empty() {
            eprintln!(
                "warning: {} lists extra indexes pip still reads; remove them ({})",
                legacy.display(),
                extra.iter().map(|e| shown(e)).collect::<Vec<_>>().join(", ")
            );
        }
    }

    let uv = c::uv_toml(&home);
    let old = std::fs::read_to_string(&uv).ok();
    let new = c::set_uv_index(old.as_deref().unwrap_or(""), u)
        .map_err(|e| anyhow::anyhow!("cannot update {}: {e}", uv.display()))?;
    if write_config(&uv, old.as_deref(), &new, secret)? {
        eprintln!("{}: uv now uses {} (the default [[index]])", uv.display(), shown(u));
    }
    println!("# Other clients: run these yourself");
    for (client, line) in c::other_clients(u) {
        println!("# {client}:\n{line}");
    }
    Ok(())
}

struct Report {
    ok: bool,
}

impl Report {
    /// One client's default index (`from` says where it is set) and the
    /// extra indexes next to it, checked against guard's `index`.
    fn client(&mut self, name: &str, default: Option<&str>, from: &str, extra: &[String], index: &str) {
        let want = shown(index);
        let fix = format!("run `guard setup --index {want}`");
        match default {
            Some(i) if c::same_index(i, index) => self.line(true, true, format!("{name} uses {want} ({from})")),
            Some(i) => self.line(
                false,
                true,
                format!("{name} uses {} ({from}), not {want}: {fix}", shown(i)),
            ),
            None => self.line(false, true, format!("{name} uses PyPI (no index configured): {fix}")),
        }
        let text = if extra.is_empty() {
            format!("{name} has no extra index next to guard's")
        } else {
            let list = extra.iter().map(|e| shown(e)).collect::<Vec<_>>().join(", ");
            format!("{name} also looks at {list} (bypasses guard): remove it")
        };
        self.line(extra.is_empty(), true, text);
    }

    fn line(&mut self, good: bool, essential: bool, text: String) {
        println!("{} {text}", if good { "✔" } else { "✘" });
        if !good && essential {
            self.ok = false;
        }
    }
}

/// The index `guard setup --index` wrote, if any.
fn configured_index(home: &Path) -> Option<String> {
    let uv = std::fs::read_to_string(c::uv_toml(home)).ok()?;
    if !uv.contains(c::UV_BEGIN) {
        return None;
    }
    c::uv_index(&uv).ok()?.0
}

pub fn doctor(args: DoctorArgs) -> anyhow::Result<ExitStatus> {
    let home = home()?;
    let (mut status, index) = match &args.index {
        Some(u) => (ExitStatus::Success, Some(index_url(u)?.to_string())),
        None => (super::shell::doctor()?, configured_index(&home)),
    };
    if let Some(index) = index {
        if !check_clients(&home, &index)? {
            status = ExitStatus::Failure;
        }
    }
    Ok(status)
}

fn check_clients(home: &Path, index: &str) -> anyhow::Result<bool> {
    let mut r = Report { ok: true };
    let want = shown(index);
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());

    // pip: the legacy file, then the XDG file, then PIP_CONFIG_FILE; the environment last.
    let mut files = vec![c::pip_conf_legacy(home), c::pip_conf(home)];
    if let Some(f) = env("PIP_CONFIG_FILE") {
        files.push(PathBuf::from(f));
    }
    let (mut pip_index, mut pip_from, mut extra) = (None, String::new(), Vec::new());
    for f in &files {
        if let Ok(text) = std::fs::read_to_string(f) {
            let (i, e) = c::pip_index(&text);
            if i.is_some() {
                pip_index = i;
                pip_from = f.display().to_string();
            }
            extra.extend(e.into_iter().map(|e| format!("{e} ({})", f.display())));
        }
    }
    if let Some(v) = env("PIP_INDEX_URL") {
        pip_index = Some(v);
        pip_from = "$PIP_INDEX_URL".into();
    }
    if let Some(v) = env("PIP_EXTRA_INDEX_URL") {
        extra.push(format!("{v} ($PIP_EXTRA_INDEX_URL)"));
    }
    r.client("pip", pip_index.as_deref(), &pip_from, &extra, index);

    // uv: uv.toml, then the environment.
    let uv = c::uv_toml(home);
    let (mut uv_default, mut uv_extra, mut uv_from) = (None, Vec::new(), uv.display().to_string());
    if let Ok(text) = std::fs::read_to_string(&uv) {
        match c::uv_index(&text) {
            Ok((d, e)) => {
                uv_default = d;
                uv_extra = e;
            }
            Err(e) => r.line(false, true, format!("{} does not parse: {e}", uv.display())),
        }
    }
    for var in ["UV_DEFAULT_INDEX", "UV_INDEX_URL"] {
        if let Some(v) = env(var) {
            uv_default = Some(v);
            uv_from = format!("${var}");
        }
    }
    for var in ["UV_INDEX", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS"] {
        if let Some(v) = env(var) {
            uv_extra.push(format!("{v} (${var})"));
        }
    }
    if env("UV_NO_CONFIG").is_some() {
        r.line(false, true, "UV_NO_CONFIG is set: uv ignores uv.toml".into());
    }
    r.client("uv", uv_default.as_deref(), &uv_from, &uv_extra, index);
    if std::path::Path::new("uv.toml").is_file() {
        r.line(
            false,
            false,
            "./uv.toml exists: a project's uv.toml or [tool.uv] index settings override the user file".into(),
        );
    }

    // pdm (optional); poetry is per project.
    let pdm = c::pdm_toml(home);
    match std::fs::read_to_string(&pdm).ok().and_then(|t| c::pdm_index(&t)) {
        Some(i) if c::same_index(&i, index) => r.line(true, false, format!("pdm uses {want} ({})", pdm.display())),
        Some(i) => r.line(
            false,
            false,
            format!("pdm uses {}: run `pdm config pypi.url {want}`", shown(&i)),
        ),
        None => r.line(
            false,
            false,
            format!("pdm is not set up: run `pdm config pypi.url {want}`"),
        ),
    }
    println!("  poetry (per project): poetry source add --priority=primary guard {want}");

    // The index itself.
    let (answers, health) = probe(index)?;
    r.line(answers.0, true, answers.1);
    r.line(health.0, true, health.1);
    Ok(r.ok)
}

/// (index page, `/healthz`): whether each answered as it should, and a line.
fn probe(index: &str) -> anyhow::Result<((bool, String), (bool, String))> {
    let mut url = url::Url::parse(index)?;
    let login = (!url.username().is_empty()).then(|| {
        (
            crate::index::percent_decode(url.username()),
            url.password().map(crate::index::percent_decode),
        )
    });
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let health = url.join("/healthz")?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .context("cannot set up the HTTP client")?;
    let get = |u: url::Url, json: bool| {
        let mut req = client.get(u);
        if json {
            req = req.header("accept", "application/vnd.pypi.simple.v1+json");
        }
        if let Some((user, pass)) = &login {
            req = req.basic_auth(user, pass.clone());
        }
        req.send()
    };
    rt.block_on(async {
        let page = match get(url.clone(), true).await {
            Ok(resp) if resp.status().is_success() => {
                let ok = resp
                    .json::<serde_json::Value>()
                    .await
                    .ok()
                    .is_some_and(|v| v["meta"]["api-version"].is_string());
                if ok {
                    (true, format!("{url} answers (PEP 691)"))
                } else {
                    (false, format!("{url} answers, but not with a PEP 691 index page"))
                }
            }
            Ok(resp) if resp.status().as_u16() == 401 => (
                false,
                format!("{url} needs a token: put it in the URL (https://user:TOKEN@host/simple/)"),
            ),
            Ok(resp) => (false, format!("{url} answered HTTP {}", resp.status().as_u16())),
            Err(e) => (false, format!("{url} does not answer: {e}")),
        };
        let health = match get(health.clone(), false).await {
            Ok(resp) if resp.status().is_success() => {
                (true, format!("{health}: guard serve and its verdict store are up"))
            }
            Ok(resp) => {
                let code = resp.status().as_u16();
                let text = resp.text().await.unwrap_or_default();
                (false, format!("{health} answered HTTP {code}: {}", text.trim()))
            }
            Err(e) => (false, format!("{health} does not answer: {e}")),
        };
        Ok((page, health))
    })
}
