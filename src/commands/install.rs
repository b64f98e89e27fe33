//! `guard install`: requirements → resolution → verified downloads →
//! inspection → plan. Orchestration only.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rayon::prelude::*;
use url::Url;

use crate::cli::{InstallArgs, PlanFormat};
use crate::download::{self, CacheRoot, Downloader};
use crate::index::{self, Http, HttpOptions, IndexClient, IndexSettings};
use crate::inspect::{Finding, Severity};
use crate::interpreter::Interpreter;
use crate::plan::{self, Plan, PlannedPackage, Python};
use crate::policy::{self, Lookup, Verdict};
use crate::progress::Printer;
use crate::requirements::{Pep508, RequirementSet};
use crate::resolve::files::Selector;
use crate::resolve::remote::RemoteSource;
use crate::resolve::{self, Resolved, Resolver};
use crate::ExitStatus;
use crate::{audit, confirm, handoff, names};

pub fn run(args: InstallArgs) -> anyhow::Result<ExitStatus> {
    let start = Instant::now();
    let printer = Printer::new(args.quiet, args.verbose);
    refuse_unsupported(&args)?;
    let policy = policy::load_layered(&Lookup::standard(args.policy.clone()))?;
    for w in &policy.warnings {
        printer.warn(w);
    }
    let mode = confirm::Mode::detect(args.yes, &policy);
    let audit_path = args.audit_log.clone().or_else(audit::default_path);
    let mut terminal = confirm::Terminal;

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
    if args.require_hashes {
        reqs.options.require_hashes = true;
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
            .flat_map(|s| crate::requirements::split_format_control(s))
            .collect()
    };
    let mut no_binary = norm(&args.no_binary);
    no_binary.extend(file_opts.no_binary.iter().cloned());
    no_binary.extend(norm(&cfg.no_binary));
    let mut only_binary = norm(&args.only_binary);
    only_binary.extend(file_opts.only_binary.iter().cloned());
    only_binary.extend(norm(&cfg.only_binary));
    let pre = args.pre || file_opts.pre || cfg.pre;
    for u in index_urls
        .iter()
        .map(|u| u.as_str())
        .chain(find_links.iter().map(String::as_str))
    {
        let host = Url::parse(u)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
        if let Some(host) = host {
            if !policy.host_allowed(&host) {
                bail!(
                    "the policy does not allow the index host `{host}` ({u}); allowed: {}",
                    policy.index_hosts.join(", ")
                );
            }
        }
    }

    // "Did you mean": requested names that imitate popular projects, before any download.
    let mut squats: HashMap<String, String> = HashMap::new();
    if policy.typosquat.enabled {
        for r in &reqs.requirements {
            let name = r.req.name.to_string();
            if policy.is_allowed(&name) {
                continue;
            }
            let Some(squat) = names::check_name(&name) else {
                continue;
            };
            let message = format!("did you mean `{}`? {squat}", squat.target);
            printer.warn(&message);
            if args.dry_run {
                squats.insert(name, message);
                continue;
            }
            let (ok, how) = confirm::decide_name(&name, &message, policy.typosquat.verdict, mode, &mut terminal)?;
            if !ok {
                let decision = confirm::Decision {
                    name: name.clone(),
                    version: r.req.version_or_url.as_ref().map(|v| v.to_string()).unwrap_or_default(),
                    filename: String::new(),
                    sha256: String::new(),
                    verdict: policy.typosquat.verdict,
                    approved: false,
                    how: format!("{how}: requested name imitates `{}`", squat.target),
                };
                log_decisions(&printer, audit_path.as_deref(), &[decision], "");
                println!(
                    "✘ {name}: refused (imitates `{}`). Nothing was installed.",
                    squat.target
                );
                return Ok(ExitStatus::Failure);
            }
        }
    }

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
    let elsewhere = args.target.is_some() || args.prefix.is_some() || args.root.is_some();
    let options = resolve::Options {
        selector,
        pre,
        upgrade: args.upgrade,
        ignore_installed: args.ignore_installed || elsewhere,
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
            .map(|s| {
                crate::requirements::parse_pep508(s)
                    .map_err(anyhow::Error::msg)
                    .with_context(|| format!("{}: invalid build requirement `{s}`", sdist.name))
            })
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
                let (inspected, mut findings) = crate::inspect::inspect_path(&artifact.path).into_parts();
                let name = r.name.to_string();
                if let Some(message) = squats.get(&name) {
                    findings.push(Finding {
                        rule: "typosquat",
                        severity: if policy.typosquat.verdict == Verdict::Deny {
                            Severity::Critical
                        } else {
                            Severity::High
                        },
                        file: None,
                        line: None,
                        message: message.clone(),
                        snippet: None,
                    });
                }
                let version = r.version.to_string();
                let candidate = policy::Candidate {
                    name: &name,
                    version: &version,
                    sha256: inspected.sha256(),
                    sdist: !file.filename.to_ascii_lowercase().ends_with(".whl"),
                    upload_time: file.upload_time.as_deref(),
                };
                let mut verdict = policy::decide_candidate(&candidate, &mut findings, &policy);
                if squats.contains_key(&name)
                    && policy
                        .allowed(&name, Some(&version), Some(inspected.sha256()))
                        .is_none()
                {
                    verdict = verdict.max(policy.typosquat.verdict);
                }
                PlannedPackage::new(
                    inspected,
                    plan::Entry {
                        name,
                        version,
                        filename: file.filename.clone(),
                        url: index::http::redact(&file.url),
                        build_dependency: *build,
                        metadata_source: r.metadata_source,
                        index: r.index.clone(),
                        upload_time: file.upload_time.clone(),
                        yanked: file.yanked.clone(),
                        download_sha256: &artifact.sha256,
                        index_sha256: file.sha256.as_deref(),
                        verdict,
                        findings,
                    },
                )
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
    drop(downloader);
    drop(source);
    rt.shutdown_timeout(Duration::from_millis(100));
    let seen: Vec<(&str, &str, &str)> = plan
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.sha256()))
        .collect();
    for e in policy.unused_allow(&seen) {
        printer.debug(&format!(
            "{}: allow entry `{}` matched nothing in this plan",
            e.at, e.name
        ));
    }
    if args.dry_run {
        let text = match args.format {
            PlanFormat::Json => plan.to_json(),
            PlanFormat::Human => plan.to_human(),
        };
        print_out(&text)?;
        return Ok(
            if plan.packages.iter().any(|p| p.verdict == Verdict::Deny)
                || (plan.packages.iter().any(|p| p.verdict == Verdict::Review) && !review_passes(mode))
            {
                ExitStatus::Failure
            } else {
                ExitStatus::Success
            },
        );
    }

    // Decide, log, hand off.
    print_out(&summary(&plan, start.elapsed().as_secs_f64()))?;
    let outcome = confirm::decide(&plan, mode, &mut terminal)?;
    let python = interpreter.path.display().to_string();
    match outcome {
        confirm::Outcome::Refused(decisions) => {
            log_decisions(&printer, audit_path.as_deref(), &decisions, &python);
            for d in decisions.iter().filter(|d| !d.approved && d.verdict == Verdict::Review) {
                eprintln!("  {} {}: refused ({})", d.name, d.version, d.how);
            }
            if decisions
                .iter()
                .any(|d| d.verdict == Verdict::Review && !d.approved && d.how == "non-interactive")
            {
                eprintln!("  (no terminal to ask: review items are refused; run on a terminal, pass --yes, or set install.non_interactive in the policy)");
            }
            print_out("Nothing was installed.")?;
            Ok(ExitStatus::Failure)
        }
        confirm::Outcome::Install(approved, decisions) => {
            log_decisions(&printer, audit_path.as_deref(), &decisions, &python);
            if approved.files().iter().all(|f| f.build_dependency) {
                print_out("Nothing to install.")?;
                return Ok(ExitStatus::Success);
            }
            let code = handoff::install(
                &approved,
                &handoff::Options {
                    python: interpreter.path.clone(),
                    pass: pass_through(&args),
                },
            )?;
            Ok(match code {
                0 => ExitStatus::Success,
                c => ExitStatus::Child(u8::try_from(c).unwrap_or(2).max(1)),
            })
        }
    }
}

fn review_passes(mode: confirm::Mode) -> bool {
    matches!(mode, confirm::Mode::Yes | confirm::Mode::NonInteractive(Verdict::Allow))
}

fn print_out(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{}", text.trim_end()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("failed to write to stdout"),
    }
}

fn log_decisions(printer: &Printer, path: Option<&std::path::Path>, decisions: &[confirm::Decision], python: &str) {
    let Some(path) = path else {
        printer.warn("no data directory for the audit log; decisions are not logged (set GUARD_AUDIT_LOG)");
        return;
    };
    if let Err(e) = audit::append(path, decisions, python) {
        printer.warn(&e.to_string());
    }
}

/// The compact table: one line for all allowed packages, one per flagged one.
fn summary(plan: &Plan, seconds: f64) -> String {
    let bytes: u64 = plan
        .packages
        .iter()
        .filter_map(|p| std::fs::metadata(p.path()).ok())
        .map(|m| m.len())
        .sum();
    let mut out = format!(
        "  Resolved {} packages · {} files ({:.1} MB) · inspected in {seconds:.1} s\n",
        plan.packages.iter().filter(|p| !p.build_dependency).count(),
        plan.packages.len(),
        bytes as f64 / 1e6
    );
    if plan.summary.allow > 0 {
        out.push_str(&format!("  ✔ {} allowed\n", plan.summary.allow));
    }
    for p in plan.packages.iter().filter(|p| p.verdict != Verdict::Allow) {
        let kind = if p.filename.ends_with(".whl") { "wheel" } else { "sdist" };
        let (mark, label) = match p.verdict {
            Verdict::Deny => ("✘", "DENY"),
            _ => ("?", "REVIEW"),
        };
        let why: Vec<String> = confirm::decisive(&p.findings, 2)
            .into_iter()
            .map(|f| {
                let loc = f.file.as_deref().map(|file| format!(" ({file})")).unwrap_or_default();
                format!("{}{loc}", f.message)
            })
            .collect();
        let build = if p.build_dependency { ", build dependency" } else { "" };
        out.push_str(&format!(
            "  {mark} {} {} ({kind}{build})  {label}  {}\n",
            p.name,
            p.version,
            why.join("; ")
        ));
    }
    out
}

/// pip options guard passes on: install location, verbosity, harmless switches.
fn pass_through(args: &InstallArgs) -> Vec<OsString> {
    let mut v: Vec<OsString> = Vec::new();
    let flag = |v: &mut Vec<OsString>, on: bool, name: &str| {
        if on {
            v.push(name.into());
        }
    };
    flag(&mut v, args.user, "--user");
    for (opt, dir) in [
        ("--target", &args.target),
        ("--prefix", &args.prefix),
        ("--root", &args.root),
    ] {
        if let Some(d) = dir {
            v.push(opt.into());
            v.push(d.clone().into_os_string());
        }
    }
    flag(&mut v, args.ignore_installed, "--force-reinstall");
    for _ in 0..args.quiet {
        v.push("-q".into());
    }
    for _ in 0..args.verbose {
        v.push("-v".into());
    }
    let p = &args.pip;
    flag(&mut v, p.break_system_packages, "--break-system-packages");
    flag(&mut v, p.no_warn_script_location, "--no-warn-script-location");
    flag(&mut v, p.no_compile, "--no-compile");
    flag(&mut v, p.compile, "--compile");
    flag(&mut v, p.no_color, "--no-color");
    flag(&mut v, p.no_cache_dir, "--no-cache-dir");
    for (opt, val) in [
        ("--progress-bar", &p.progress_bar),
        ("--root-user-action", &p.root_user_action),
    ] {
        if let Some(val) = val {
            v.push(opt.into());
            v.push(val.into());
        }
    }
    v
}

/// pip options that would let pip fetch, build or run something guard did not inspect.
fn refuse_unsupported(args: &InstallArgs) -> anyhow::Result<()> {
    let r = &args.refused;
    let why = if !r.editable.is_empty() {
        Some("-e/--editable is not supported yet: install your own project with pip directly (guard inspects packages from indexes)")
    } else if r.no_build_isolation {
        Some("--no-build-isolation would build sdists with whatever is installed instead of the inspected build dependencies")
    } else if !r.config_settings.is_empty() || !r.global_option.is_empty() || !r.install_option.is_empty() {
        Some("--config-settings/--global-option/--install-option pass arguments to build code guard cannot vet")
    } else if r.src.is_some() {
        Some("--src is for editable VCS checkouts, which guard does not support")
    } else if !r.trusted_host.is_empty() {
        Some("--trusted-host weakens TLS checking; use --cert with the host's CA bundle instead")
    } else if r.proxy.is_some() {
        Some("--proxy is not supported; guard uses HTTPS_PROXY/HTTP_PROXY from the environment")
    } else if r.prefer_binary {
        Some("--prefer-binary is not supported; use --only-binary :all: to avoid source distributions")
    } else if r.use_pep517 || r.no_use_pep517 {
        Some("--use-pep517/--no-use-pep517 are not supported: pip always builds with PEP 517 in guard's handoff")
    } else {
        None
    };
    match why {
        Some(why) => bail!("unsupported pip option: {why}"),
        None => Ok(()),
    }
}

fn is_sdist(r: &Resolved) -> bool {
    r.file
        .as_ref()
        .is_some_and(|f| !f.filename.to_ascii_lowercase().ends_with(".whl"))
}
