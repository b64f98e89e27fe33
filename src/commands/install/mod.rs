//! `guard install`: requirements → resolution (with build dependencies) →
//! verified downloads → inspection → plan → confirmation → handoff → report.
//! Orchestration only: each step is a function below; the work is in the
//! modules they call.

mod output;
mod settings;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::cli::compat;
use crate::cli::{InstallArgs, Installer, PlanFormat};
use crate::direct::{self, project::LocalProject, Fetched};
use crate::download::{self, Artifact, CacheRoot, Downloader};
use crate::index::{self, DistFile, Http, HttpOptions, IndexClient, IndexSettings};
use crate::inspect::{Finding, Severity};
use crate::interpreter::Interpreter;
use crate::plan::{self, LocalEntry, Plan, PlannedPackage, Python};
use crate::policy::{self, Lookup, Policy, Verdict};
use crate::progress::Printer;
use crate::requirements::{Direct, Pep508, RequirementSet};
use crate::resolve::files::Selector;
use crate::resolve::pinned::WithPinned;
use crate::resolve::remote::RemoteSource;
use crate::resolve::{self, Resolved, Resolver};
use crate::ExitStatus;
use crate::{audit, confirm, handoff, metadata, names};
use settings::Settings;

pub fn run(args: InstallArgs) -> anyhow::Result<ExitStatus> {
    let start = Instant::now();
    let printer = Printer::new(args.quiet, args.verbose);
    let policy = policy::load_layered(&Lookup::standard(args.policy.clone()))?;
    for w in &policy.warnings {
        printer.warn(w);
    }
    let reqs = settings::requirements(&args)?;
    for w in &reqs.warnings {
        printer.warn(w);
    }
    let settings = Settings::merge(&args, &reqs, &policy)?;
    compat::refuse_unsupported(&args, settings.installer)?;
    let uv = match settings.installer {
        Installer::Uv => Some(find_uv()?),
        Installer::Pip => None,
    };
    let ctx = Steps::new(&args, &policy, &printer);
    let squats = match ctx.check_names(&reqs)? {
        Names::Refused => return Ok(ExitStatus::Failure),
        Names::Checked(squats) => squats,
    };
    let mut session = Session::start(&args, &settings, &printer)?;
    let (fetched, mut locals) = session.fetch_direct(&reqs)?;
    if let Some(refused) = ctx.prepare_dynamic(&session, &settings, &mut locals)? {
        return Ok(refused);
    }
    let resolution = session.resolve(&args, &settings, &reqs, &fetched, &locals, &printer)?;
    let downloaded = session.download(&resolution.entries, &reqs)?;
    let packages = ctx.inspect(&downloaded, &squats, &fetched)?;
    let plan = make_plan(&session, packages, &locals, start);
    session.shutdown();
    if let Some(e) = &resolution.build_error {
        // A deny is reported as such even when the build dependencies of
        // that same sdist could not be resolved.
        if !plan.packages.iter().any(|p| p.verdict == Verdict::Deny) {
            return Err(anyhow::anyhow!("{e:#}"));
        }
        printer.warn(&format!("{e:#}"));
    }
    ctx.report_unused_allow(&plan);
    if args.dry_run {
        return dry_run(&plan, &args, ctx.mode);
    }
    ctx.decide_and_install(&plan, &session, &settings, uv, &locals, start)
}

/// Policy, mode and output shared by the steps.
struct Steps<'a> {
    args: &'a InstallArgs,
    policy: &'a Policy,
    printer: &'a Printer,
    mode: confirm::Mode,
    audit_path: Option<PathBuf>,
}

enum Names {
    Refused,
    /// Requested names that imitate popular projects, with the message.
    Checked(HashMap<String, String>),
}

impl<'a> Steps<'a> {
    fn new(args: &'a InstallArgs, policy: &'a Policy, printer: &'a Printer) -> Steps<'a> {
        Steps {
            args,
            policy,
            printer,
            mode: confirm::Mode::detect(args.yes, policy),
            audit_path: args.audit_log.clone().or_else(audit::default_path),
        }
    }

    /// "Did you mean": requested names that imitate popular projects, before any download.
    fn check_names(&self, reqs: &RequirementSet) -> anyhow::Result<Names> {
        let mut squats = HashMap::new();
        if !self.policy.typosquat.enabled {
            return Ok(Names::Checked(squats));
        }
        for r in &reqs.requirements {
            let name = r.req.name.to_string();
            if self.policy.is_allowed(&name) {
                continue;
            }
            let Some(squat) = names::check_name(&name) else {
                continue;
            };
            let message = format!("did you mean `{}`? {squat}", squat.target);
            self.printer.warn(&message);
            if self.args.dry_run {
                squats.insert(name, message);
                continue;
            }
            let (ok, how) = confirm::decide_name(
                &name,
                &message,
                self.policy.typosquat.verdict,
                self.mode,
                &mut confirm::Terminal,
            )?;
            if !ok {
                let decision = confirm::Decision {
                    name: name.clone(),
                    version: r.req.version_or_url.as_ref().map(|v| v.to_string()).unwrap_or_default(),
                    filename: String::new(),
                    sha256: String::new(),
                    verdict: self.policy.typosquat.verdict,
                    approved: false,
                    how: format!("{how}: requested name imitates `{}`", squat.target),
                };
                self.log(&[decision], "");
                print_out(&format!(
                    "✘ {name}: refused (imitates `{}`). Nothing was installed.",
                    squat.target
                ))?;
                return Ok(Names::Refused);
            }
        }
        Ok(Names::Checked(squats))
    }

    /// Inspects every downloaded artifact and decides its verdict.
    fn inspect(
        &self,
        downloaded: &[Downloaded],
        squats: &HashMap<String, String>,
        fetched: &[Fetched],
    ) -> anyhow::Result<Vec<PlannedPackage>> {
        let shown: HashMap<String, String> = fetched.iter().map(|f| (f.name.to_string(), f.shown.clone())).collect();
        let trusted = downloaded.iter().filter(|d| self.trusted(d)).count();
        if trusted > 0 {
            self.printer.info(&format!(
                "{trusted} file(s) from a trusted guard serve index: its verdicts are used, the files are hashed but not inspected again (policy [serve] trusted_indexes)"
            ));
        }
        let pool = crate::inspect::thread_pool(None).context("failed to start the scanning threads")?;
        let packages: Vec<PlannedPackage> = pool.install(|| {
            downloaded
                .par_iter()
                .map(|d| {
                    self.inspect_one(
                        d,
                        squats.get(d.resolved.name.as_ref()),
                        shown.get(d.resolved.name.as_ref()),
                    )
                })
                .collect()
        });
        for p in packages.iter().filter(|p| p.needs_build) {
            self.printer.warn(&format!(
                "{} {} ({}) has no static metadata: its dependencies are unknown until it is built",
                p.name, p.version, p.filename
            ));
        }
        for p in packages.iter().filter(|p| p.yanked.is_some()) {
            let why = p
                .yanked
                .as_deref()
                .filter(|r| !r.is_empty())
                .unwrap_or("no reason given");
            self.printer.warn(&format!("{} {} is yanked: {why}", p.name, p.version));
        }
        Ok(packages)
    }

    /// Whether `d` came from a `guard serve` index the policy trusts.
    fn trusted(&self, d: &Downloaded) -> bool {
        d.resolved
            .index
            .as_deref()
            .and_then(|i| url::Url::parse(i).ok())
            .is_some_and(|i| self.policy.serve.trusts(&i))
    }

    fn inspect_one(&self, d: &Downloaded, squat: Option<&String>, direct: Option<&String>) -> PlannedPackage {
        let (r, file, artifact) = (&d.resolved, &d.file, &d.artifact);
        // A `guard serve` index the policy trusts has inspected and approved
        // what it served: the bytes are hashed, not analysed again.
        let trusted = direct.is_none() && self.trusted(d);
        let inspection = if trusted {
            crate::inspect::served_path(&artifact.path)
        } else {
            crate::inspect::memo::inspect_path(&artifact.path, &d.cache_dir)
        };
        let (inspected, mut findings) = inspection.into_parts();
        let name = r.name.to_string();
        if let Some(message) = squat {
            findings.push(Finding {
                stage: None,
                rule: "typosquat",
                severity: if self.policy.typosquat.verdict == Verdict::Deny {
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
            sdist: metadata::is_sdist(&file.filename),
            upload_time: file.upload_time.as_deref(),
        };
        let mut verdict = policy::decide_candidate(&candidate, &mut findings, self.policy);
        if squat.is_some()
            && self
                .policy
                .allowed(&name, Some(&version), Some(inspected.sha256()))
                .is_none()
        {
            verdict = verdict.max(self.policy.typosquat.verdict);
        }
        PlannedPackage::new(
            inspected,
            plan::Entry {
                name,
                version,
                filename: file.filename.clone(),
                url: match direct {
                    Some(d) => d.clone(),
                    None => index::http::redact(&file.url),
                },
                build_dependency: d.build,
                metadata_source: r.metadata_source,
                index: r.index.clone(),
                upload_time: file.upload_time.clone(),
                yanked: file.yanked.clone(),
                direct: direct.cloned(),
                download_sha256: &artifact.sha256,
                index_sha256: file.sha256.as_deref(),
                verdict,
                findings,
            },
        )
    }

    /// Local projects whose dependencies only their build can tell: their
    /// build backend is resolved, downloaded, inspected and approved first,
    /// installed into a private directory, and its metadata hook runs there.
    /// `Some(status)` when the backend was refused.
    fn prepare_dynamic(
        &self,
        session: &Session,
        settings: &Settings,
        locals: &mut [LocalProject],
    ) -> anyhow::Result<Option<ExitStatus>> {
        for l in locals.iter_mut().filter(|l| l.dynamic()) {
            if self.args.no_deps {
                continue;
            }
            self.printer.info(&format!(
                "{}: its dependencies are computed by its build; running its build backend's metadata hook (your code, with inspected build dependencies)",
                l.name
            ));
            let python = session.interpreter.path.clone();
            let what = format!("{} ({})", l.name, l.path.display());
            if self.args.no_build_isolation {
                let (md, name) = direct::hook::prepare_metadata(l, &python, None)
                    .map_err(|e| anyhow::anyhow!("cannot read the dependencies of {what}: {e}"))?;
                l.metadata = md;
                l.name = name.unwrap_or(l.name.clone());
                continue;
            }
            let options = session.options(self.args, settings, false);
            let found = session
                .resolve_build(&session.source, &options, &[], &[], std::slice::from_ref(l), false)
                .with_context(|| format!("cannot resolve the build backend of {what}"))?;
            if let Some(sdist) = found.iter().find(|r| is_sdist(r)) {
                bail!(
                    "cannot read the dependencies of {what}: its build dependency {} {} has no wheel, and guard builds nothing before its metadata is known",
                    sdist.name,
                    sdist.version
                );
            }
            let entries: Vec<(Resolved, bool)> = found.into_iter().map(|r| (r, true)).collect();
            let downloaded = session.download(&entries, &RequirementSet::default())?;
            let packages = self.inspect(&downloaded, &HashMap::new(), &[])?;
            let plan = make_plan(session, packages, &[], Instant::now());
            let (approved, decisions) = match confirm::decide(&plan, self.mode, &mut confirm::Terminal)? {
                confirm::Outcome::Install(a, d) => (a, d),
                confirm::Outcome::Refused(decisions) => {
                    self.log(&decisions, &python.display().to_string());
                    print_out(&output::summary(&plan, 0.0))?;
                    output::refusals(&decisions);
                    print_out(&format!(
                        "The build backend of {what} was refused. Nothing was installed."
                    ))?;
                    return Ok(Some(ExitStatus::Failure));
                }
            };
            self.log(&decisions, &python.display().to_string());
            let site = tempfile::tempdir().context("cannot create a temporary directory")?;
            let mut target = std::ffi::OsString::from("--target=");
            target.push(site.path());
            let code = handoff::install(
                &approved.as_runtime(),
                &handoff::Options {
                    python: python.clone(),
                    pass: vec![target, "-q".into()],
                    installer: match settings.installer {
                        Installer::Uv => handoff::Installer::Uv(find_uv()?),
                        Installer::Pip => handoff::Installer::Pip,
                    },
                    local: Vec::new(),
                    local_no_build_isolation: false,
                    report: None,
                    show_output: self.args.verbose > 0,
                    wheel_cache: None,
                },
            )?;
            if code != 0 {
                bail!("cannot install the build backend of {what} into a private directory (installer exit status {code})");
            }
            let (md, name) = direct::hook::prepare_metadata(l, &python, Some(site.path()))
                .map_err(|e| anyhow::anyhow!("cannot read the dependencies of {what}: {e}"))?;
            l.metadata = md;
            l.name = name.unwrap_or(l.name.clone());
        }
        Ok(None)
    }

    fn report_unused_allow(&self, plan: &Plan) {
        let seen: Vec<(&str, &str, &str)> = plan
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.sha256()))
            .collect();
        for e in self.policy.unused_allow(&seen) {
            self.printer.debug(&format!(
                "{}: allow entry `{}` matched nothing in this plan",
                e.at, e.name
            ));
        }
    }

    /// Confirms, logs, and hands the approved files to the installer.
    fn decide_and_install(
        &self,
        plan: &Plan,
        session: &Session,
        settings: &Settings,
        uv: Option<PathBuf>,
        locals: &[LocalProject],
        start: Instant,
    ) -> anyhow::Result<ExitStatus> {
        print_out(&output::summary(plan, start.elapsed().as_secs_f64()))?;
        let outcome = confirm::decide(plan, self.mode, &mut confirm::Terminal)?;
        let python = session.interpreter.path.display().to_string();
        let (approved, decisions) = match outcome {
            confirm::Outcome::Refused(decisions) => {
                self.log(&decisions, &python);
                output::refusals(&decisions);
                print_out("Nothing was installed.")?;
                return Ok(ExitStatus::Failure);
            }
            confirm::Outcome::Install(approved, decisions) => (approved, decisions),
        };
        self.log(&decisions, &python);
        let runtime = approved.files().iter().any(|f| !f.build_dependency);
        if !runtime && locals.is_empty() {
            print_out("Nothing to install.")?;
            return Ok(ExitStatus::Success);
        }
        let before = session.interpreter.installed();
        let code = handoff::install(&approved, &self.handoff_options(session, settings, uv, locals))?;
        if code != 0 {
            eprintln!("error: the installer failed (exit status {code}); see its output above");
            return Ok(ExitStatus::Child(u8::try_from(code).unwrap_or(2).max(1)));
        }
        print_out(&output::changes(plan, &before, locals, &decisions))?;
        Ok(ExitStatus::Success)
    }

    fn handoff_options(
        &self,
        session: &Session,
        settings: &Settings,
        uv: Option<PathBuf>,
        locals: &[LocalProject],
    ) -> handoff::Options {
        let tags = session.interpreter.answer.tags.join(",");
        handoff::Options {
            python: session.interpreter.path.clone(),
            pass: compat::pass_through(self.args, settings.installer),
            installer: match uv {
                Some(uv) => handoff::Installer::Uv(uv),
                None => handoff::Installer::Pip,
            },
            local: locals
                .iter()
                .map(|l| handoff::LocalInstall {
                    path: l.path.clone(),
                    editable: l.editable,
                    extras: l.extras.clone(),
                })
                .collect(),
            local_no_build_isolation: self.args.no_build_isolation,
            report: self.args.report.clone(),
            show_output: self.args.verbose > 0,
            wheel_cache: Some(handoff::WheelCache {
                dir: session.cache_path.join("built-wheels-v1"),
                tags_key: hex::encode(&Sha256::digest(tags.as_bytes())[..8]),
            }),
        }
    }

    fn log(&self, decisions: &[confirm::Decision], python: &str) {
        let Some(path) = &self.audit_path else {
            self.printer
                .warn("no data directory for the audit log; decisions are not logged (set GUARD_AUDIT_LOG)");
            return;
        };
        if let Err(e) = audit::append(path, decisions, python) {
            self.printer.warn(&e.to_string());
        }
    }
}

/// The network, cache and target interpreter of one install.
struct Session {
    cache_path: PathBuf,
    interpreter: Interpreter,
    /// `None` once the network work is done ([`Session::shutdown`]).
    rt: Option<tokio::runtime::Runtime>,
    downloader: Arc<Downloader>,
    source: RemoteSource,
}

/// What resolution found: files to fetch (with whether each is only a build
/// dependency), and a build-dependency failure kept for after inspection.
struct Resolution {
    entries: Vec<(Resolved, bool)>,
    build_error: Option<anyhow::Error>,
}

/// One verified file with what resolved it.
struct Downloaded {
    resolved: Resolved,
    build: bool,
    file: DistFile,
    artifact: Artifact,
    /// Where inspection results are kept (by sha256).
    cache_dir: PathBuf,
}

impl Session {
    fn start(args: &InstallArgs, settings: &Settings, printer: &Printer) -> anyhow::Result<Session> {
        let root = if args.no_cache {
            CacheRoot::Temp(tempfile::tempdir().context("cannot create a temporary cache")?)
        } else {
            let dir = args
                .cache_dir
                .clone()
                .or_else(download::default_cache_dir)
                .context("no cache directory: pass --cache-dir or --no-cache")?;
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create cache directory {}", dir.display()))?;
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
        let http = Http::new(
            HttpOptions {
                cert: settings.cert.clone(),
                timeout: Duration::from_secs_f64(settings.timeout.max(0.05)),
                retries: args.retries,
                ..HttpOptions::default()
            },
            index::config::netrc(),
        )?;
        let client = Arc::new(IndexClient::new(
            http,
            IndexSettings {
                indexes: settings.index_urls.clone(),
                find_links: settings.find_links.clone(),
            },
            Some(cache_path.clone()),
        ));
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let downloader = Arc::new(Downloader::new(client.clone(), root, args.jobs, printer.downloads()));
        let source = RemoteSource::new(rt.handle().clone(), client, downloader.clone());
        Ok(Session {
            cache_path,
            interpreter,
            rt: Some(rt),
            downloader,
            source,
        })
    }

    fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.as_ref().expect("the runtime runs until shutdown").block_on(f)
    }

    /// Stops the network runtime (nothing waits for stray connections).
    fn shutdown(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_timeout(Duration::from_millis(100));
        }
    }

    /// Files, URLs and repositories named directly (fetched, verified, read),
    /// and the user's local projects (read).
    fn fetch_direct(&self, reqs: &RequirementSet) -> anyhow::Result<(Vec<Fetched>, Vec<LocalProject>)> {
        let mut fetched = Vec::new();
        let mut locals = Vec::new();
        for d in &reqs.direct {
            match d {
                Direct::Project {
                    path,
                    editable,
                    extras,
                    origin,
                } => locals.push(LocalProject::read(path, *editable, extras, origin)?),
                Direct::Archive {
                    name,
                    location,
                    extras,
                    hashes,
                    origin,
                } => fetched.push(self.block_on(direct::fetch_archive(
                    location,
                    name.as_ref(),
                    hashes,
                    extras,
                    origin,
                    &self.downloader,
                ))?),
                Direct::Git {
                    name,
                    url,
                    rev,
                    subdirectory,
                    extras,
                    origin,
                } => {
                    let export = direct::git::export(url, rev.as_deref(), subdirectory.as_deref(), &self.cache_path)
                        .map_err(|message| direct::Error::Git {
                            origin: origin.clone(),
                            message,
                        })?;
                    let shown_url = url::Url::parse(url)
                        .map(|u| index::http::redact(&u))
                        .unwrap_or_else(|_| url.clone());
                    let shown = format!("git+{shown_url}@{}", export.commit);
                    let filename = format!("{}.tar.gz", &export.commit[..12]);
                    fetched.push(direct::read_archive(
                        &export.archive,
                        &filename,
                        name.as_ref(),
                        &[],
                        extras,
                        origin,
                        shown,
                    )?);
                }
            }
        }
        let mut seen = HashSet::new();
        for f in &fetched {
            if !seen.insert(f.name.clone()) {
                bail!("`{}` is named twice as a file, URL or repository", f.name);
            }
        }
        Ok((fetched, locals))
    }

    /// The runtime resolution, then the build dependencies of every sdist and local project.
    fn resolve(
        &self,
        args: &InstallArgs,
        settings: &Settings,
        reqs: &RequirementSet,
        fetched: &[Fetched],
        locals: &[LocalProject],
        printer: &Printer,
    ) -> anyhow::Result<Resolution> {
        let start = Instant::now();
        let options = self.options(args, settings, args.no_deps);
        let mut source = WithPinned::new(&self.source);
        let mut root: Vec<Pep508> = reqs.requirements.iter().map(|r| r.req.clone()).collect();
        for f in fetched {
            source.pin(f.name.clone(), f.file.clone(), f.metadata.clone());
            let extras = if f.extras.is_empty() {
                String::new()
            } else {
                format!("[{}]", f.extras.join(","))
            };
            let spec = format!("{}{extras}==={}", f.name, f.version);
            root.push(crate::requirements::parse_pep508(&spec).map_err(anyhow::Error::msg)?);
        }
        for l in locals {
            if !args.no_deps {
                root.extend(l.requirements(&self.interpreter.markers)?);
            }
        }
        let constraints: Vec<Pep508> = reqs.constraints.iter().map(|r| r.req.clone()).collect();
        let spinner = printer.spinner("resolving");
        let resolved = Resolver::new(
            &source,
            &self.interpreter.markers,
            self.interpreter.version.clone(),
            options.clone(),
            root,
            &constraints,
            self.interpreter.installed(),
        )
        .resolve()
        .context("resolution failed")?;
        let build = self.resolve_build(
            &source,
            &options,
            &constraints,
            &resolved,
            locals,
            args.no_build_isolation,
        );
        if let Some(s) = spinner {
            s.finish_and_clear();
        }
        printer.debug(&format!("resolved in {:.2}s", start.elapsed().as_secs_f64()));
        for w in self.source.take_warnings() {
            printer.warn(&w);
        }
        let (build_deps, build_error) = match build {
            Ok(b) => (b, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        // Runtime packages first, then build dependencies not already in the plan.
        let mut entries: Vec<(Resolved, bool)> = Vec::new();
        let mut keys: HashSet<String> = HashSet::new();
        for r in resolved {
            match &r.file {
                Some(f) => {
                    keys.insert(f.url.to_string());
                    entries.push((r, false));
                }
                None => printer.info(&format!("{} {} is already installed (kept)", r.name, r.version)),
            }
        }
        for r in build_deps {
            if r.file.as_ref().is_some_and(|f| keys.insert(f.url.to_string())) {
                entries.push((r, true));
            }
        }
        Ok(Resolution { entries, build_error })
    }

    fn options(&self, args: &InstallArgs, settings: &Settings, no_deps: bool) -> resolve::Options {
        let selector = Selector::new(
            &self.interpreter.answer.tags,
            self.interpreter.version.clone(),
            settings.no_binary.clone(),
            settings.only_binary.clone(),
        );
        let elsewhere = args.target.is_some() || args.prefix.is_some() || args.root.is_some();
        resolve::Options {
            selector,
            pre: settings.pre,
            upgrade: args.upgrade,
            // pip's eager strategy upgrades every dependency too: nothing installed is kept
            // (the installer still skips what is already at the chosen version).
            ignore_installed: args.ignore_installed
                || args.force_reinstall
                || elsewhere
                || (args.upgrade && args.pip.upgrade_strategy.as_deref() == Some("eager")),
            no_deps,
        }
    }

    /// Build dependencies, resolved like pip's isolated build environments:
    /// for every sdist (recursively) and every local project.
    fn resolve_build<S: resolve::Source>(
        &self,
        source: &S,
        options: &resolve::Options,
        constraints: &[Pep508],
        resolved: &[Resolved],
        locals: &[LocalProject],
        no_build_isolation: bool,
    ) -> anyhow::Result<Vec<Resolved>> {
        let mut out: Vec<Resolved> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut queue: Vec<(String, Vec<String>)> = Vec::new();
        if !no_build_isolation {
            for l in locals {
                queue.push((format!("{} ({})", l.name, l.path.display()), l.build_requires()));
            }
        }
        let sdist = |r: &Resolved| (format!("{} {}", r.name, r.version), r.build_requires.clone());
        queue.extend(resolved.iter().filter(|r| is_sdist(r)).map(sdist));
        while let Some((what, requires)) = queue.pop() {
            if !seen.insert(what.clone()) {
                continue;
            }
            let reqs: Vec<Pep508> = requires
                .iter()
                .map(|s| {
                    crate::requirements::parse_pep508(s)
                        .map_err(anyhow::Error::msg)
                        .with_context(|| format!("{what}: invalid build requirement `{s}`"))
                })
                .collect::<anyhow::Result<_>>()?;
            let found = Resolver::new(
                source,
                &self.interpreter.markers,
                self.interpreter.version.clone(),
                resolve::Options {
                    ignore_installed: true,
                    no_deps: false,
                    ..options.clone()
                },
                reqs,
                constraints,
                Vec::new(),
            )
            .resolve()
            .with_context(|| format!("cannot resolve the build dependencies of {what}"))?;
            queue.extend(found.iter().filter(|r| is_sdist(r)).map(sdist));
            out.extend(found);
        }
        Ok(out)
    }

    /// Downloads every planned file (verified), in parallel; `--hash` pins checked.
    fn download(&self, entries: &[(Resolved, bool)], reqs: &RequirementSet) -> anyhow::Result<Vec<Downloaded>> {
        let artifacts = self.block_on(async {
            futures_util::future::join_all(entries.iter().map(|(r, _)| {
                self.downloader
                    .fetch(r.file.as_ref().expect("planned entries have files"))
            }))
            .await
        });
        let pinned: HashMap<String, Vec<String>> = reqs
            .requirements
            .iter()
            .filter(|r| !r.hashes.is_empty())
            .map(|r| (r.req.name.to_string(), r.hashes.clone()))
            .collect();
        let mut out = Vec::new();
        for ((r, build), artifact) in entries.iter().zip(artifacts) {
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
            out.push(Downloaded {
                resolved: r.clone(),
                build: *build,
                file,
                artifact,
                cache_dir: self.cache_path.clone(),
            });
        }
        Ok(out)
    }
}

/// The plan in a stable order: runtime packages by name, then build dependencies by name.
fn make_plan(session: &Session, packages: Vec<PlannedPackage>, locals: &[LocalProject], start: Instant) -> Plan {
    let mut ordered: BTreeMap<(bool, String, String), PlannedPackage> = BTreeMap::new();
    for p in packages {
        ordered.insert((p.build_dependency, p.name.clone(), p.filename.clone()), p);
    }
    let mut plan = Plan::new(
        Python {
            executable: session.interpreter.answer.executable.clone(),
            version: session.interpreter.answer.version.clone(),
        },
        ordered.into_values().collect(),
        start.elapsed().as_secs_f64(),
    );
    plan.local = locals
        .iter()
        .map(|l| LocalEntry {
            name: l.name.clone(),
            path: l.path.display().to_string(),
            editable: l.editable,
            verdict: "local",
            metadata_source: serde_json::to_value(l.metadata.source)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
        })
        .collect();
    plan
}

fn dry_run(plan: &Plan, args: &InstallArgs, mode: confirm::Mode) -> anyhow::Result<ExitStatus> {
    let text = match args.format {
        PlanFormat::Json => plan.to_json(),
        PlanFormat::Human => plan.to_human(),
    };
    print_out(&text)?;
    let refused = plan.packages.iter().any(|p| p.verdict == Verdict::Deny)
        || (plan.packages.iter().any(|p| p.verdict == Verdict::Review) && !review_passes(mode));
    Ok(if refused {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// The uv executable: `GUARD_UV`, else `uv` on `PATH`.
fn find_uv() -> anyhow::Result<PathBuf> {
    handoff::find_uv().context("installer `uv` was chosen, but there is no `uv` on PATH: install it (`pip install uv`), set GUARD_UV=/path/to/uv, or use --installer pip")
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

fn is_sdist(r: &Resolved) -> bool {
    r.file.as_ref().is_some_and(|f| metadata::is_sdist(&f.filename))
}
