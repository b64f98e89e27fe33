//! `guard serve`: parse the flags, open the store, run the server until
//! SIGINT or SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use url::Url;

use crate::cli::ServeArgs;
use crate::index::HttpOptions;
use crate::policy::{self, Policy};
use crate::serve::{self, Config};
use crate::ExitStatus;

fn parse_url(s: &str, what: &str) -> anyhow::Result<Url> {
    let url = Url::parse(s).with_context(|| format!("invalid {what} URL `{s}`"))?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!("invalid {what} URL `{s}`: only http and https upstreams are supported");
    }
    Ok(url)
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitStatus> {
    let policy = match &args.policy {
        Some(path) => policy::load(path)?,
        None => Policy::default(),
    };
    let upstreams = args
        .upstreams
        .iter()
        .map(|u| parse_url(u, "--upstream"))
        .collect::<anyhow::Result<Vec<_>>>()?;
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
