//! `guard serve`: parse the flags, merge them with the policy's `[serve]`
//! table, read the secrets it names, open the store, run the server until
//! SIGINT or SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use url::Url;

use crate::cli::ServeArgs;
use crate::index::HttpOptions;
use crate::policy::serve::{Secret, ServePolicy};
use crate::policy::{self, Policy};
use crate::serve::{self, Access, Config, Token};
use crate::ExitStatus;

const PYPI: &str = "https://pypi.org/simple/";

fn parse_url(s: &str, what: &str) -> anyhow::Result<Url> {
    let url = Url::parse(s).map_err(|e| anyhow::anyhow!("invalid {what} URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!(
            "invalid {what} URL `{}`: only http and https upstreams are supported",
            crate::index::http::redact(&url)
        );
    }
    Ok(url)
}

/// A secret's value: never printed, only where it comes from.
pub(crate) fn read_secret(s: &Secret, what: &str) -> anyhow::Result<String> {
    let value = match s {
        Secret::Env(var) => std::env::var(var).map_err(|_| {
            anyhow::anyhow!("{what}: environment variable {var} is not set (the policy reads the secret from it)")
        })?,
        Secret::File(path) => std::fs::read_to_string(path)
            .with_context(|| format!("{what}: cannot read the secret from {}", path.display()))?,
    };
    let value = value.trim().to_string();
    if value.is_empty() {
        bail!("{what}: {} is empty", s.describe());
    }
    Ok(value)
}

/// The upstream URL of a policy upstream, with its credentials filled in.
fn upstream_url(sp: &ServePolicy, name: &str) -> anyhow::Result<Url> {
    let spec = sp
        .upstream(name)
        .with_context(|| format!("[serve] names upstream `{name}`, which is not defined"))?;
    let mut url = spec.url.clone();
    if let Some(user) = &spec.username {
        let _ = url.set_username(user);
        if let Some(secret) = &spec.password {
            let pw = read_secret(secret, &format!("upstream `{name}`"))?;
            let _ = url.set_password(Some(&pw));
        }
    }
    Ok(url)
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitStatus> {
    let policy = match &args.policy {
        Some(path) => policy::load(path)?,
        None => Policy::default(),
    };
    for w in &policy.warnings {
        eprintln!("warning: {w}");
    }
    let sp = policy.serve.clone();
    let upstreams = if !args.upstreams.is_empty() {
        args.upstreams
            .iter()
            .map(|u| parse_url(u, "--upstream"))
            .collect::<anyhow::Result<Vec<_>>>()?
    } else if !sp.upstreams.is_empty() {
        sp.search
            .iter()
            .map(|n| upstream_url(&sp, n))
            .collect::<anyhow::Result<Vec<_>>>()?
    } else {
        vec![Url::parse(PYPI).expect("a valid URL")]
    };
    let mut pins = Vec::new();
    for p in &args.pins {
        let Some((pattern, url)) = p.split_once('=') else {
            bail!("invalid --pin `{p}`: expected PATTERN=URL, for example 'acme-*=https://pypi.internal/simple/'");
        };
        if pattern.trim().is_empty() {
            bail!("invalid --pin `{p}`: empty pattern");
        }
        pins.push((pattern.trim().to_string(), parse_url(url.trim(), "--pin")?));
    }
    for (pattern, name) in &sp.projects {
        pins.push((pattern.clone(), upstream_url(&sp, name)?));
    }
    let mut tokens = Vec::new();
    for t in &sp.tokens {
        tokens.push(Token {
            name: t.name.clone(),
            secret: read_secret(&t.secret, &format!("token `{}`", t.name))?,
            scope: t.scope,
        });
    }
    if sp.downloads == crate::policy::serve::Downloads::Token && tokens.is_empty() {
        bail!(
            "[serve] downloads = \"token\" but the policy defines no [[serve.tokens]]: nobody could download anything"
        );
    }
    let access = Access {
        downloads: sp.downloads,
        tokens,
    };
    let cache_dir = match args.cache_dir.clone().or_else(crate::download::default_cache_dir) {
        Some(d) => d,
        None => bail!("no cache directory: pass --cache-dir (neither XDG_CACHE_HOME nor HOME is set)"),
    };
    std::fs::create_dir_all(&cache_dir)
        .with_context(|| format!("cannot create the cache directory {}", cache_dir.display()))?;
    let store = crate::store::open(args.database.as_deref(), &cache_dir).context("cannot open the verdict store")?;
    let http = HttpOptions {
        timeout: Duration::from_secs(args.upstream_timeout.max(1)),
        retries: args.upstream_retries,
        ..HttpOptions::default()
    };
    let config = Config {
        listen: args.listen,
        upstreams,
        pins,
        cache_dir,
        policy,
        store: Arc::from(store),
        http,
        page_ttl: Duration::from_secs(args.page_ttl),
        access,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    rt.block_on(async {
        let shutdown = async {
            let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("guard serve: cannot watch SIGTERM ({e}); stop with Ctrl-C");
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        };
        serve::run(config, shutdown).await
    })?;
    Ok(ExitStatus::Success)
}
