//! `guard install`: requirements → resolution → verified downloads →
//! inspection → plan. Orchestration only.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rayon::prelude::*;
use url::Url;

use crate::cli::{InstallArgs, PlanFormat};
use crate::download::{self, CacheRoot, Downloader};
use crate::index::{self, Http, HttpOptions, IndexClient, IndexSettings};
use crate::interpreter::Interpreter;
use crate::plan::{Plan, PlannedPackage, Python};
use crate::policy::{self, Policy};
use crate::progress::Printer;
use crate::requirements::{Pep508, RequirementSet};
use crate::resolve::files::Selector;
use crate::resolve::remote::RemoteSource;
use crate::resolve::{self, metadata::Source as MetadataSource, Resolved, Resolver};
use crate::ExitStatus;

pub fn run(args: InstallArgs) -> anyhow::Result<ExitStatus> {
    let start = Instant::now();
    let printer = Printer::new(args.quiet, args.verbose);
    if !args.dry_run {
        bail!(
            "installing is not implemented yet (the pip handoff is issue 6); run `guard install --dry-run` to see the plan"
        );
    }
    let policy = match &args.policy {
        Some(path) => policy::load(path)?,
        None => Policy::default(),
    };

    // Requirements from arguments and files.
    let mut reqs = RequirementSet::default();
    for r in &args.requirements {
        reqs.add_arg(r)?;
    }
    for f in &args.requirement_files {
        reqs.add_file(f)?;
    }
    for f in &args.constraints {
        reqs.add_constraints(f)?;
    }
    reqs.check_hash_mode()?;
    for w in &reqs.warnings {
        printer.warn(w);
    }
    if reqs.requirements.is_empty() {
        bail!("nothing to install: give requirements or -r FILE");
    }

    // Settings: command line > requirement files > PIP_* environment > pip.conf.
    let cfg = index::config::load().context("cannot read pip's configuration")?;
    let file_opts = &reqs.options;
    let no_index = args.no_index || file_opts.no_index || cfg.no_index;
    let primary = args
        .index_url
        .clone()
        .or_else(|| file_opts.index_url.clone())
        .or_else(|| cfg.index_url.clone())
        .unwrap_or_else(|| IndexSettings::PYPI.to_string());
    let mut index_urls = Vec::new();
    if !no_index {
        for u in std::iter::once(&primary)
            .chain(&args.extra_index_url)
            .chain(&file_opts.extra_index_urls)
            .chain(&cfg.extra_index_urls)
        {
            let url = Url::parse(u).with_context(|| format!("invalid index URL `{u}`"))?;
            if !index_urls.contains(&url) {
                index_urls.push(url);
            }
        }
    }
    let mut find_links: Vec<String> = args.find_links.clone();
    find_links.extend(file_opts.find_links.iter().cloned());
    find_links.extend(cfg.find_links.iter().cloned());
    let norm = |v: &[String]| -> Vec<String> {
        v.iter()
            .flat_map(|s| s.split(','))
            .map(|s| {
                if s.starts_with(':') {
                    s.to_string()
                } else {
                    crate::metadata::normalize(s)
                }
            })
            .collect()
    };
    let mut no_binary = norm(&args.no_binary);
    no_binary.extend(file_opts.no_binary.iter().cloned());
    no_binary.extend(norm(&cfg.no_binary));
    let mut only_binary = norm(&args.only_binary);
    only_binary.extend(file_opts.only_binary.iter().cloned());
    only_binary.extend(norm(&cfg.only_binary));
    let pre = args.pre || file_opts.pre || cfg.pre;

    // Cache and interpreter.
    let root = if args.no_cache {
        CacheRoot::Temp(tempfile::tempdir().context("cannot create a temporary cache")?)
    } else {
        let dir = args
            .cache_dir
            .clone()
            .or_else(download::default_cache_dir)
            .context("no cache directory: pass --cache-dir or --no-cache")?;
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create cache directory {}", dir.display()))?;
        CacheRoot::Dir(dir)
    };
    let cache_path = root.path().to_path_buf();
    let interpreter = Interpreter::find(args.python.as_deref(), Some(&cache_path))?;
    printer.debug(&format!(
        "target interpreter: {} (Python {}, {} tags)",
        interpreter.answer.executable,
        interpreter.answer.version,
        interpreter.answer.tags.len()
    ));

    // Network.
    let cert: Option<PathBuf> = args
        .cert
        .clone()
        .or(cfg.cert.clone())
        .or_else(|| std::env::var_os("SSL_CERT_FILE").map(PathBuf::from));
    let timeout = args.timeout.or(cfg.timeout).unwrap_or(15.0);
    let http = Http::new(
        HttpOptions {
            cert,
            timeout: Duration::from_secs_f64(timeout.max(0.05)),
            retries: args.retries,
            ..HttpOptions::default()
        },
        index::config::netrc(),
    )?;
    let client = Arc::new(IndexClient::new(
        http,
        IndexSettings {
            indexes: index_urls,
            find_links,
        },
        Some(cache_path.clone()),
    ));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let downloader = Arc::new(Downloader::new(client.clone(), root, args.jobs, printer.downloads()));
    let source = RemoteSource::new(rt.handle().clone(), client.clone(), downloader.clone());

    // Resolution.
    let selector = Selector::new(
        &interpreter.answer.tags,
        interpreter.version.clone(),
        no_binary,
        only_binary,
    );
    let options = resolve::Options {
        selector,
        pre,
        upgrade: args.upgrade,
        ignore_installed: args.ignore_installed,
    };
    let spinner = printer.spinner("resolving");
    let root_reqs: Vec<Pep508> = reqs.requirements.iter().map(|r| r.req.clone()).collect();
    let constraints: Vec<Pep508> = reqs.constraints.iter().map(|r| r.req.clone()).collect();
    let resolver = Resolver::new(
        &source,
        &interpreter.markers,
        interpreter.version.clone(),
        options.clone(),
        root_reqs,
        &constraints,
        interpreter.installed(),
    );
    let resolved = resolver.resolve().context("resolution failed")?;
    drop(resolver);

    // Build dependencies of every sdist, resolved like pip's isolated build env.
    let mut build_deps: Vec<Resolved> = Vec::new();
    let mut seen_sdists: HashSet<String> = HashSet::new();
    let mut queue: Vec<Resolved> = resolved.iter().filter(|r| is_sdist(r)).cloned().collect();
    while let Some(sdist) = queue.pop() {
        if !seen_sdists.insert(sdist.name.to_string()) {
            continue;
        }
        let reqs: Vec<Pep508> = sdist
            .build_requires
            .iter()
            .map(|s| Pep508::from_str(s).with_context(|| format!("{}: invalid build requirement `{s}`", sdist.name)))
            .collect::<anyhow::Result<_>>()?;
        let build_resolver = Resolver::new(
            &source,
            &interpreter.markers,
            interpreter.version.clone(),
            resolve::Options {
                ignore_installed: true,
                ..options.clone()
            },
            reqs,
            &constraints,
            Vec::new(),
        );
        let found = build_resolver.resolve().with_context(|| {
            format!(
                "cannot resolve the build dependencies of {} {}",
                sdist.name, sdist.version
            )
        })?;
        for r in found {
            if is_sdist(&r) {
                queue.push(r.clone());
            }
            build_deps.push(r);
        }
    }
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    printer.debug(&format!("resolved in {:.2}s", start.elapsed().as_secs_f64()));
    for w in source.take_warnings() {
        printer.warn(&w);
    }

    // The plan: runtime packages first, then build dependencies not already in it.
    let mut entries: Vec<(Resolved, bool)> = Vec::new();
    let mut keys: HashSet<String> = HashSet::new();
    for r in &resolved {
        match &r.file {
            Some(f) => {
                keys.insert(f.url.to_string());
                entries.push((r.clone(), false));
            }
            None => printer.info(&format!("{} {} is already installed (kept)", r.name, r.version)),
        }
    }
    for r in build_deps {
        if let Some(f) = &r.file {
            if keys.insert(f.url.to_string()) {
                entries.push((r, true));
            }
        }
    }

    // Download everything (verified), in parallel.
    let artifacts = rt.block_on(async {
        futures_util::future::join_all(
            entries
                .iter()
                .map(|(r, _)| downloader.fetch(r.file.as_ref().expect("planned entries have files"))),
        )
        .await
    });
    let mut downloaded = Vec::new();
    let pinned: HashMap<String, Vec<String>> = reqs
        .requirements
        .iter()
        .filter(|r| !r.hashes.is_empty())
        .map(|r| (r.req.name.to_string(), r.hashes.clone()))
        .collect();
    for ((r, build), artifact) in entries.into_iter().zip(artifacts) {
        let file = r.file.clone().expect("planned entries have files");
        let artifact = artifact.with_context(|| format!("cannot download {}", file.filename))?;
        if let Some(allowed) = pinned.get(r.name.as_ref()) {
            if !build && !allowed.contains(&artifact.sha256) {
                return Err(download::Error::Pinned {
                    filename: file.filename.clone(),
                    actual: artifact.sha256.clone(),
                    allowed: allowed.clone(),
                }
                .into());
            }
        }
        downloaded.push((r, build, file, artifact));
    }

    printer.debug(&format!(
        "downloaded and verified in {:.2}s",
        start.elapsed().as_secs_f64()
    ));

    // Inspect and decide.
    let pool = crate::inspect::thread_pool(None).context("failed to start the scanning threads")?;
    let packages: Vec<PlannedPackage> = pool.install(|| {
        downloaded
            .par_iter()
            .map(|(r, build, file, artifact)| {
                let inspection = crate::inspect::inspect_path(&artifact.path);
                let mut findings = inspection.findings;
                let verdict = policy::decide(Some(r.name.as_ref()), &mut findings, &policy);
                PlannedPackage {
                    name: r.name.to_string(),
                    version: r.version.to_string(),
                    filename: file.filename.clone(),
                    url: index::http::redact(&file.url),
                    sha256: artifact.sha256.clone(),
                    verdict,
                    findings,
                    build_dependency: *build,
                    metadata_source: r.metadata_source,
                    needs_build: r.metadata_source == MetadataSource::NeedsBuild,
                    index: r.index.clone(),
                    upload_time: file.upload_time.clone(),
                    yanked: file.yanked.clone(),
                }
            })
            .collect()
    });
    for p in packages.iter().filter(|p| p.needs_build) {
        printer.warn(&format!(
            "{} {} ({}) has no static metadata: its dependencies are unknown until it is built",
            p.name, p.version, p.filename
        ));
    }
    for p in packages.iter().filter(|p| p.yanked.is_some()) {
        printer.warn(&format!(
            "{} {} is yanked: {}",
            p.name,
            p.version,
            p.yanked
                .as_deref()
                .filter(|r| !r.is_empty())
                .unwrap_or("no reason given")
        ));
    }
    printer.debug(&format!("inspected in {:.2}s", start.elapsed().as_secs_f64()));
    // Stable order: runtime packages by name, then build dependencies by name.
    let mut ordered: BTreeMap<(bool, String, String), PlannedPackage> = BTreeMap::new();
    for p in packages {
        ordered.insert((p.build_dependency, p.name.clone(), p.filename.clone()), p);
    }
    let plan = Plan::new(
        Python {
            executable: interpreter.answer.executable.clone(),
            version: interpreter.answer.version.clone(),
        },
        ordered.into_values().collect(),
        start.elapsed().as_secs_f64(),
    );
    let text = match args.format {
        PlanFormat::Json => plan.to_json(),
        PlanFormat::Human => plan.to_human(),
    };
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{}", text.trim_end()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.context("failed to write the plan")?,
    }
    drop(downloader);
    drop(source);
    rt.shutdown_timeout(Duration::from_millis(100));
    Ok(if plan.all_allowed() {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

fn is_sdist(r: &Resolved) -> bool {
    r.file
        .as_ref()
        .is_some_and(|f| !f.filename.to_ascii_lowercase().ends_with(".whl"))
}
