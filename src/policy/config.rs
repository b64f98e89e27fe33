//! The policy file: spanned TOML → [`Policy`].
//!
//! Every mistake names file, line and column, all mistakes are reported at
//! once, and unknown keys are errors. Files are found in this order: `--policy
//! FILE`, the project (`guard.toml`, or `[tool.guard]` in `pyproject.toml`),
//! the user config dir; the first one found is layered over the system file
//! (`/etc/guard/policy.toml`), whose keys listed in `locked` cannot be loosened.
//! The keys, their types, defaults and locking live in one table, `keys.rs`;
//! this file finds the files, checks values with their places, and layers.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::keys::Layer;
use super::Verdict;
use crate::inspect::{rules, Finding, Severity};
use crate::metadata::normalize;

/// Where a system policy lives unless `GUARD_SYSTEM_POLICY` says otherwise.
pub const SYSTEM_POLICY: &str = "/etc/guard/policy.toml";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read policy file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}:{column}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{} errors in {}:\n{}", .errors.len(), .path.display(), .errors.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Many { path: PathBuf, errors: Vec<Error> },
}

/// A place in a policy file, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

/// A calendar date (`expires = 2025-06-30`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Today in UTC.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Date::from_days((secs / 86_400) as i64)
    }

    /// Days since 1970-01-01 → date (Howard Hinnant's civil_from_days).
    pub fn from_days(z: i64) -> Date {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
        Date { year, month, day }
    }

    /// Date → days since 1970-01-01.
    pub fn to_days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// `YYYY-MM-DD` (a longer timestamp is cut at the date).
    pub fn parse(s: &str) -> Option<Date> {
        let s = s.get(..10)?;
        let mut parts = s.split('-');
        let year = parts.next()?.parse().ok()?;
        let month: u8 = parts.next()?.parse().ok()?;
        let day: u8 = parts.next()?.parse().ok()?;
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(Date { year, month, day })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A package the policy allows whatever its findings.
#[derive(Debug, Clone)]
pub struct AllowEntry {
    /// PEP 503-normalized.
    pub name: String,
    pub version: Option<String>,
    pub sha256: Option<String>,
    pub reason: String,
    pub expires: Option<Date>,
    pub at: Location,
}

impl AllowEntry {
    pub fn expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|e| e < today)
    }

    /// Matches name, and version and hash when the entry gives them.
    pub fn matches(&self, name: &str, version: Option<&str>, sha256: Option<&str>) -> bool {
        normalize(name) == self.name
            && self.version.as_deref().is_none_or(|v| Some(v) == version)
            && self
                .sha256
                .as_deref()
                .is_none_or(|h| sha256.is_some_and(|s| s.eq_ignore_ascii_case(h)))
    }
}

/// A package the policy always denies.
#[derive(Debug, Clone)]
pub struct DenyEntry {
    pub name: String,
    pub version: Option<String>,
    pub reason: String,
}

/// Source distributions run code when built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sdist {
    Allow,
    Review,
}

/// The typosquat check of requested names ("did you mean").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Typosquat {
    pub enabled: bool,
    /// `review` or `deny`.
    pub verdict: Verdict,
}

/// The validated policy guard runs with.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Findings at or above this severity make the artifact `deny`.
    pub deny_at: Severity,
    /// Findings at or above this severity make the artifact `review`.
    pub review_at: Severity,
    /// Combine weaker findings: two `high` rules → deny, three `medium` rules → review.
    pub combine: bool,
    pub disabled: Vec<String>,
    pub severity: BTreeMap<String, Severity>,
    pub allow: Vec<AllowEntry>,
    pub deny: Vec<DenyEntry>,
    pub typosquat: Typosquat,
    /// Files uploaded less than this many hours ago need review (0: off).
    pub min_release_age_hours: u64,
    pub sdist: Sdist,
    /// Index and find-links hosts guard may use (empty: any).
    pub index_hosts: Vec<String>,
    /// What `review` means without a terminal: `deny` (default) or `allow`.
    pub non_interactive: Verdict,
    /// Who installs the approved files: `pip` (default) or `uv`.
    pub installer: crate::cli::Installer,
    /// `[serve]`: `guard serve`'s upstreams, pins and tokens (see `policy/serve.rs`).
    pub serve: super::serve::ServePolicy,
    /// Keys that user and project files cannot loosen (honoured in the system file).
    pub locked: BTreeSet<String>,
    /// The files this policy was read from, lowest layer first.
    pub sources: Vec<PathBuf>,
    /// Non-fatal remarks (expired allow entries, ignored loosening of locked keys).
    pub warnings: Vec<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            deny_at: Severity::Critical,
            review_at: Severity::High,
            combine: true,
            disabled: Vec::new(),
            severity: BTreeMap::new(),
            allow: Vec::new(),
            deny: Vec::new(),
            typosquat: Typosquat {
                enabled: true,
                verdict: Verdict::Review,
            },
            min_release_age_hours: 0,
            sdist: Sdist::Allow,
            index_hosts: Vec::new(),
            non_interactive: Verdict::Deny,
            installer: crate::cli::Installer::Pip,
            serve: Default::default(),
            locked: BTreeSet::new(),
            sources: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

impl Policy {
    /// Drops findings of disabled rules and applies severity overrides.
    pub fn apply(&self, findings: &mut Vec<Finding>) {
        findings.retain(|f| !self.disabled.iter().any(|d| d == f.rule));
        for f in findings.iter_mut() {
            if let Some(sev) = self.severity.get(f.rule) {
                f.severity = *sev;
            }
        }
    }

    /// The live (unexpired) allow entry for this exact package, if any.
    pub fn allowed(&self, name: &str, version: Option<&str>, sha256: Option<&str>) -> Option<&AllowEntry> {
        let today = Date::today();
        self.allow
            .iter()
            .find(|e| !e.expired(today) && e.matches(name, version, sha256))
    }

    pub fn is_allowed(&self, name: &str) -> bool {
        self.allowed(name, None, None).is_some()
    }

    /// The deny entry for this package, if any.
    pub fn denied(&self, name: &str, version: Option<&str>) -> Option<&DenyEntry> {
        let n = normalize(name);
        self.deny
            .iter()
            .find(|e| e.name == n && e.version.as_deref().is_none_or(|v| Some(v) == version))
    }

    pub fn is_denied(&self, name: &str) -> bool {
        self.denied(name, None).is_some()
    }

    /// Whether an index or find-links host may be used.
    pub fn host_allowed(&self, host: &str) -> bool {
        self.index_hosts.is_empty() || self.index_hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    /// Allow entries that matched none of `packages` (name, version, sha256), for a warning.
    pub fn unused_allow<'a>(&'a self, packages: &[(&str, &str, &str)]) -> Vec<&'a AllowEntry> {
        self.allow
            .iter()
            .filter(|e| !packages.iter().any(|(n, v, h)| e.matches(n, Some(v), Some(h))))
            .collect()
    }
}

// ------------------------------------------------------------------ layers

/// Applies one file's settings over `p` (keys `p` has locked may only be
/// tightened) and records the file.
fn apply_layer(layer: Layer, p: &mut Policy, source: &Path) {
    for key in layer.apply_to(p) {
        p.warnings.push(format!(
            "{}: `{key}` is locked by the system policy and cannot be loosened here; ignored",
            source.display()
        ));
    }
    p.sources.push(source.to_path_buf());
}

// ------------------------------------------------------------------ lookup

/// Which files make up the policy.
#[derive(Debug, Default, Clone)]
pub struct Lookup {
    /// `--policy FILE`.
    pub explicit: Option<PathBuf>,
    /// Where the project search starts (the current directory).
    pub project_dir: Option<PathBuf>,
    /// The user config file (default: `<config dir>/guard/policy.toml`).
    pub user: Option<PathBuf>,
    /// The system file (default: [`SYSTEM_POLICY`]).
    pub system: Option<PathBuf>,
}

impl Lookup {
    /// The default places, relative to the current directory and environment.
    pub fn standard(explicit: Option<PathBuf>) -> Lookup {
        Lookup {
            explicit,
            project_dir: std::env::current_dir().ok(),
            user: std::env::var_os("GUARD_CONFIG_DIR")
                .map(PathBuf::from)
                .or_else(|| dirs::config_dir().map(|d| d.join("guard")))
                .map(|d| d.join("policy.toml")),
            system: Some(
                std::env::var_os("GUARD_SYSTEM_POLICY")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from(SYSTEM_POLICY)),
            ),
        }
    }
}

/// A policy file found by the lookup: a whole file or `[tool.guard]` of a pyproject.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    pub pyproject: bool,
}

/// The project policy: nearest `guard.toml`, or `pyproject.toml` with `[tool.guard]`.
pub fn find_project(start: &Path) -> Option<Found> {
    for dir in start.ancestors() {
        let guard = dir.join("guard.toml");
        if guard.is_file() {
            return Some(Found {
                path: guard,
                pyproject: false,
            });
        }
        let pyproject = dir.join("pyproject.toml");
        if let Ok(text) = std::fs::read_to_string(&pyproject) {
            if let Ok(doc) = DeTable::parse(&text) {
                let has = doc
                    .get_ref()
                    .get("tool")
                    .and_then(|t| t.get_ref().as_table())
                    .is_some_and(|t| t.contains_key("guard"));
                if has {
                    return Some(Found {
                        path: pyproject,
                        pyproject: true,
                    });
                }
            }
        }
    }
    None
}

/// Reads the policy layers the lookup names: system first, then the first of
/// explicit / project / user. Missing optional files are skipped.
pub fn load_layered(lookup: &Lookup) -> Result<Policy, Error> {
    let mut policy = Policy::default();
    if let Some(sys) = &lookup.system {
        if sys.is_file() {
            apply_layer(read_layer(sys, false, true)?, &mut policy, sys);
        }
    }
    let project = lookup
        .explicit
        .is_none()
        .then(|| lookup.project_dir.as_deref().and_then(find_project));
    let from_project = matches!(project, Some(Some(_)));
    let chosen = if let Some(p) = &lookup.explicit {
        Some(Found {
            path: p.clone(),
            pyproject: p.file_name().is_some_and(|n| n == "pyproject.toml"),
        })
    } else if let Some(Some(found)) = project {
        Some(found)
    } else {
        lookup.user.as_ref().filter(|u| u.is_file()).map(|u| Found {
            path: u.clone(),
            pyproject: false,
        })
    };
    if let Some(found) = chosen {
        let trusted = policy.serve.trusted_indexes.clone();
        apply_layer(
            read_layer(&found.path, found.pyproject, false)?,
            &mut policy,
            &found.path,
        );
        // A project directory is whatever was cloned: it may not make guard
        // install take some index's word instead of inspecting.
        if from_project && policy.serve.trusted_indexes != trusted {
            policy.serve.trusted_indexes = trusted;
            policy.warnings.push(format!(
                "{}: `serve.trusted_indexes` is honoured only in the system or user policy or a file given with --policy; ignored",
                found.path.display()
            ));
        }
    }
    policy.warnings.extend(expiry_warnings(&policy.allow));
    Ok(policy)
}

fn read_layer(path: &Path, pyproject: bool, system: bool) -> Result<Layer, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_layer(path, &text, pyproject, system)
}

fn expiry_warnings(allow: &[AllowEntry]) -> Vec<String> {
    let today = Date::today();
    allow
        .iter()
        .filter(|e| e.expired(today))
        .map(|e| {
            format!(
                "{}: allow entry `{}` expired on {}; it no longer applies",
                e.at,
                e.name,
                e.expires.expect("expired entries have a date")
            )
        })
        .collect()
}

/// Reads and validates one policy file (no layering), reporting every mistake at once.
pub fn load(path: &Path) -> Result<Policy, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    let mut policy = Policy::default();
    apply_layer(parse_layer(path, &text, pyproject, true)?, &mut policy, path);
    policy.warnings.extend(expiry_warnings(&policy.allow));
    Ok(policy)
}

/// Parses policy text; `path` is only used in messages.
pub fn parse(path: &Path, text: &str) -> Result<Policy, Error> {
    let mut policy = Policy::default();
    apply_layer(parse_layer(path, text, false, true)?, &mut policy, path);
    Ok(policy)
}

// ------------------------------------------------------------------ validation

pub(super) type Table<'i> = DeTable<'i>;
pub(super) type Value<'i> = Spanned<DeValue<'i>>;

/// Collects every mistake in one policy file, with its place.
pub(super) struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
    errors: Vec<Error>,
    /// The system file: the only one whose `locked` is honoured.
    pub(super) system: bool,
}

impl Checker<'_> {
    fn location(&self, offset: usize) -> Location {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
        Location {
            path: self.path.to_path_buf(),
            line,
            column,
        }
    }

    pub(super) fn error(&mut self, offset: usize, message: String) {
        let at = self.location(offset);
        self.errors.push(Error::Invalid {
            path: at.path,
            line: at.line,
            column: at.column,
            message,
        });
    }

    /// Reports keys of `table` not in `known`.
    pub(super) fn keys(&mut self, table: &Table<'_>, section: &str, known: &[&str]) {
        for (k, _) in table.iter() {
            if !known.contains(&k.get_ref().as_ref()) {
                let place = if section.is_empty() {
                    String::new()
                } else {
                    format!(" in [{section}]")
                };
                self.error(
                    k.span().start,
                    format!(
                        "unknown key `{}`{place} (expected one of: {})",
                        k.get_ref(),
                        known.join(", ")
                    ),
                );
            }
        }
    }

    pub(super) fn table<'t, 'i>(&mut self, v: &'t Value<'i>, what: &str) -> Option<&'t Table<'i>> {
        let t = v.get_ref().as_table();
        if t.is_none() {
            self.error(
                v.span().start,
                format!("`{what}` must be a table, found {}", v.get_ref().type_str()),
            );
        }
        t
    }

    pub(super) fn string(&mut self, v: &Value<'_>, what: &str) -> Option<String> {
        let s = v.get_ref().as_str().map(str::to_string);
        if s.is_none() {
            self.error(
                v.span().start,
                format!("`{what}` must be a string, found {}", v.get_ref().type_str()),
            );
        }
        s
    }

    pub(super) fn bool(&mut self, v: &Value<'_>, what: &str) -> Option<bool> {
        let b = v.get_ref().as_bool();
        if b.is_none() {
            self.error(
                v.span().start,
                format!("`{what}` must be true or false, found {}", v.get_ref().type_str()),
            );
        }
        b
    }

    pub(super) fn strings(&mut self, v: &Value<'_>, what: &str) -> Vec<(String, usize)> {
        let Some(arr) = v.get_ref().as_array() else {
            self.error(
                v.span().start,
                format!("`{what}` must be an array of strings, found {}", v.get_ref().type_str()),
            );
            return Vec::new();
        };
        arr.iter()
            .filter_map(|item| self.string(item, what).map(|s| (s, item.span().start)))
            .collect()
    }

    pub(super) fn severity(&mut self, v: &Value<'_>, what: &str) -> Option<Severity> {
        let s = self.string(v, what)?;
        let sev = Severity::parse(&s);
        if sev.is_none() {
            self.error(
                v.span().start,
                format!("unknown severity `{s}` (expected low, medium, high or critical)"),
            );
        }
        sev
    }

    pub(super) fn choice<T: Copy>(&mut self, v: &Value<'_>, what: &str, options: &[(&str, T)]) -> Option<T> {
        let s = self.string(v, what)?;
        let found = options.iter().find(|(n, _)| *n == s).map(|(_, t)| *t);
        if found.is_none() {
            let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
            self.error(
                v.span().start,
                format!("`{what}` must be one of {}, found `{s}`", names.join(", ")),
            );
        }
        found
    }

    pub(super) fn rule_id(&mut self, id: &str, offset: usize) {
        if !rules::all_meta().iter().any(|m| m.id == id) {
            self.error(offset, format!("unknown rule `{id}` (see `guard rules`)"));
        }
    }

    /// `48h`, `7d`, `2w`, or an integer number of days → hours.
    pub(super) fn age(&mut self, v: &Value<'_>, what: &str) -> Option<u64> {
        if let Some(i) = v.get_ref().as_integer() {
            return match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(days) if days >= 0 => Some(days as u64 * 24),
                _ => {
                    let field = what.rsplit('.').next().unwrap_or(what);
                    self.error(v.span().start, format!("`{field}` must not be negative"));
                    None
                }
            };
        }
        let s = self.string(v, what)?;
        let t = s.trim();
        let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
        let n: Option<u64> = num.parse().ok();
        let mult = match unit.trim() {
            "h" | "hours" | "hour" => Some(1),
            "d" | "days" | "day" | "" => Some(24),
            "w" | "weeks" | "week" => Some(24 * 7),
            _ => None,
        };
        match (n, mult) {
            (Some(n), Some(m)) => Some(n * m),
            _ => {
                self.error(
                    v.span().start,
                    format!("invalid duration `{s}` (expected for example \"48h\", \"7d\" or \"2w\")"),
                );
                None
            }
        }
    }
}

fn parse_layer(path: &Path, text: &str, pyproject: bool, system: bool) -> Result<Layer, Error> {
    let mut c = Checker {
        path,
        text,
        errors: Vec::new(),
        system,
    };
    let (doc, syntax) = DeTable::parse_recoverable(text);
    for e in &syntax {
        c.error(e.span().map(|s| s.start).unwrap_or(0), e.message().to_string());
    }
    let mut layer = Layer::default();
    if syntax.is_empty() {
        let root = doc.get_ref();
        let table = if pyproject {
            root.get("tool")
                .and_then(|t| t.get_ref().as_table())
                .and_then(|t| t.get("guard"))
                .and_then(|g| c.table(g, "tool.guard"))
        } else {
            Some(root)
        };
        if let Some(table) = table {
            layer = Layer::check(&mut c, table);
        }
    }
    c.errors.sort_by_key(|e| match e {
        Error::Invalid { line, column, .. } => (*line, *column),
        _ => (0, 0),
    });
    match c.errors.len() {
        0 => Ok(layer),
        1 => Err(c.errors.remove(0)),
        _ => Err(Error::Many {
            path: path.to_path_buf(),
            errors: c.errors,
        }),
    }
}

impl Checker<'_> {
    /// The items of an array of tables (`[[allow]]`).
    pub(super) fn entries<'t, 'i>(&mut self, v: &'t Value<'i>, what: &str) -> Vec<&'t Value<'i>> {
        match v.get_ref().as_array() {
            Some(a) => a.iter().collect(),
            None => {
                self.error(
                    v.span().start,
                    format!("`{what}` must be an array of tables (`[[{what}]]`)"),
                );
                Vec::new()
            }
        }
    }

    fn required_string(&mut self, t: &Table<'_>, item: &Value<'_>, what: &str, key: &str) -> Option<String> {
        match t.get(key) {
            Some(v) => self.string(v, &format!("{what}.{key}")),
            None => {
                self.error(item.span().start, format!("`[[{what}]]` entry needs `{key}`"));
                None
            }
        }
    }

    pub(super) fn deny_entry(&mut self, item: &Value<'_>) -> Option<DenyEntry> {
        let t = self.table(item, "deny")?;
        self.keys(t, "deny", &["name", "version", "reason"]);
        let name = self.required_string(t, item, "deny", "name");
        let version = t.get("version").and_then(|v| self.string(v, "deny.version"));
        let reason = t
            .get("reason")
            .and_then(|v| self.string(v, "deny.reason"))
            .unwrap_or_default();
        Some(DenyEntry {
            name: normalize(&name?),
            version,
            reason,
        })
    }

    pub(super) fn allow_entry(&mut self, item: &Value<'_>) -> Option<AllowEntry> {
        let c = self;
        let t = c.table(item, "allow")?;
        c.keys(t, "allow", &["name", "version", "sha256", "reason", "expires"]);
        let name = c.required_string(t, item, "allow", "name");
        let reason = c.required_string(t, item, "allow", "reason");
        if let (Some(r), Some(v)) = (&reason, t.get("reason")) {
            if r.trim().is_empty() {
                c.error(
                    v.span().start,
                    format!(
                        "allow entry `{}` needs a non-empty reason",
                        name.as_deref().unwrap_or("?")
                    ),
                );
            }
        }
        let version = t.get("version").and_then(|v| c.string(v, "allow.version"));
        let sha256 = t.get("sha256").and_then(|v| {
            let s = c.string(v, "allow.sha256")?;
            let s = s.strip_prefix("sha256:").unwrap_or(&s).to_ascii_lowercase();
            if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
                c.error(v.span().start, "`sha256` must be 64 hex digits".into());
                return None;
            }
            Some(s)
        });
        let expires = t.get("expires").and_then(|v| {
            let parsed = match v.get_ref() {
                DeValue::Datetime(d) => d.date.map(|d| Date {
                    year: d.year,
                    month: d.month,
                    day: d.day,
                }),
                DeValue::String(s) => Date::parse(s),
                _ => None,
            };
            if parsed.is_none() {
                c.error(v.span().start, "`expires` must be a date such as 2025-06-30".into());
            }
            parsed
        });
        let at = c.location(item.span().start);
        Some(AllowEntry {
            name: normalize(&name?),
            version,
            sha256,
            reason: reason?,
            expires,
            at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_policy_parses() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/policy.example.toml"));
        let p = load(path).expect("policy.example.toml must parse");
        // The example documents defaults: it must behave like no policy at all.
        let d = Policy::default();
        assert_eq!((p.deny_at, p.review_at, p.combine), (d.deny_at, d.review_at, d.combine));
        assert_eq!(p.non_interactive, Verdict::Deny);
        assert_eq!(p.sdist, Sdist::Allow);
    }

    /// Every key in the table appears in `policy.example.toml` with its
    /// default (or as a commented-out example entry), and the example's list
    /// of lockable keys is the table's.
    #[test]
    fn example_policy_documents_every_key() {
        let text = include_str!("../../policy.example.toml");
        let mut section = "";
        let mut seen: Vec<String> = Vec::new();
        for line in text.lines() {
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name;
            } else if let Some((k, v)) = line.split_once(" = ") {
                let name = if section.is_empty() {
                    k.to_string()
                } else {
                    format!("{section}.{k}")
                };
                seen.push(format!("{name} = {v}"));
            }
        }
        for key in super::super::KEYS {
            match key.default {
                Some(d) => assert!(
                    seen.contains(&format!("{} = {d}", key.name)),
                    "policy.example.toml must set `{}` to its default {d} ({})",
                    key.name,
                    key.kind.describe()
                ),
                None => assert!(
                    text.contains(&format!("\n# [[{}]]\n", key.name)) || text.contains(&format!("\n[{}]\n", key.name)),
                    "policy.example.toml must show a commented `[[{}]]` entry or a `[{0}]` table",
                    key.name
                ),
            }
        }
        let listed = text
            .split("Lockable keys:")
            .nth(1)
            .and_then(|t| t.split("\nlocked").next());
        let listed: String = listed
            .expect("policy.example.toml lists the lockable keys")
            .lines()
            .map(|l| l.trim_start_matches('#').trim())
            .collect::<Vec<_>>()
            .join(" ");
        let listed: Vec<&str> = listed.trim_end_matches('.').split(", ").collect();
        assert_eq!(listed, super::super::lockable().collect::<Vec<_>>());
    }

    /// The table's defaults are `Policy::default()`.
    #[test]
    fn table_defaults_are_the_built_in_policy() {
        let mut text = String::new();
        let mut section = "";
        for key in super::super::KEYS {
            let Some(d) = key.default else { continue };
            match key.field() {
                None => text.insert_str(0, &format!("{} = {d}\n", key.name)),
                Some(f) => {
                    if key.section() != section {
                        section = key.section();
                        text.push_str(&format!("[{section}]\n"));
                    }
                    text.push_str(&format!("{f} = {d}\n"));
                }
            }
        }
        let p = parse(Path::new("defaults.toml"), &text).unwrap();
        let d = Policy::default();
        assert_eq!(
            format!(
                "{:?}",
                (
                    p.deny_at,
                    p.review_at,
                    p.combine,
                    &p.disabled,
                    &p.severity,
                    p.typosquat,
                    p.min_release_age_hours,
                    p.sdist
                )
            ),
            format!(
                "{:?}",
                (
                    d.deny_at,
                    d.review_at,
                    d.combine,
                    &d.disabled,
                    &d.severity,
                    d.typosquat,
                    d.min_release_age_hours,
                    d.sdist
                )
            )
        );
        assert_eq!(
            (&p.index_hosts, p.non_interactive, p.installer, &p.locked),
            (&d.index_hosts, d.non_interactive, d.installer, &d.locked)
        );
    }

    #[test]
    fn locking_an_unlockable_key_names_the_lockable_ones() {
        let err = parse(Path::new("p.toml"), "locked = [\"install.installer\"]\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "p.toml:1:11: `install.installer` cannot be locked (lockable keys: verdict.deny_at, \
             verdict.review_at, verdict.combine, rules.disable, rules.severity, allow, typosquat.enabled, \
             typosquat.verdict, install.min_release_age, install.sdist, install.index_hosts, install.non_interactive)"
        );
        let err = parse(Path::new("p.toml"), "[install]\nmin_release_age = -1\n").unwrap_err();
        assert_eq!(err.to_string(), "p.toml:2:19: `min_release_age` must not be negative");
        let err = parse(Path::new("p.toml"), "rules = 1\n[[deny]]\nversion = \"1\"\n").unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("p.toml:1:9: `rules` must be a table, found integer"),
            "{msg}"
        );
        assert!(msg.contains("`[[deny]]` entry needs `name`"), "{msg}");
    }

    #[test]
    fn locked_index_hosts_only_narrow() {
        let dir = tempfile::tempdir().unwrap();
        let sys = dir.path().join("system.toml");
        std::fs::write(
            &sys,
            "locked = [\"install.index_hosts\", \"rules.disable\"]\n[install]\nindex_hosts = [\"a.example\", \"b.example\"]\n",
        )
        .unwrap();
        let user = dir.path().join("user.toml");
        let layered = |text: &str| {
            std::fs::write(&user, text).unwrap();
            load_layered(&Lookup {
                explicit: Some(user.clone()),
                project_dir: None,
                user: None,
                system: Some(sys.clone()),
            })
            .unwrap()
        };
        let p = layered("[install]\nindex_hosts = [\"B.example\", \"c.example\"]\n");
        assert_eq!(p.index_hosts, ["b.example"]);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let p = layered("[install]\nindex_hosts = [\"c.example\"]\n[rules]\ndisable = [\"bundled-binary\"]\n");
        assert_eq!(p.index_hosts, ["a.example", "b.example"]);
        assert!(p.disabled.is_empty());
        assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings);
        assert!(p.warnings[0].contains("`rules.disable` is locked"), "{:?}", p.warnings);
        assert!(
            p.warnings[1].contains("`install.index_hosts` is locked"),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn unknown_key_is_located() {
        let err = parse(Path::new("p.toml"), "[verdict]\ndeny_at = \"critical\"\nbogus = 1\n").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("p.toml:3:"), "{msg}");
        assert!(msg.contains("bogus"), "{msg}");
    }

    #[test]
    fn bad_severity_is_located() {
        let err = parse(Path::new("p.toml"), "[verdict]\nreview_at = \"severe\"\n").unwrap_err();
        assert!(err.to_string().starts_with("p.toml:2:13"), "{err}");
    }

    #[test]
    fn every_mistake_is_reported_at_once() {
        let text = "colour = 1\n[install]\nsdist = \"maybe\"\nmin_release_age = \"soon\"\n[[allow]]\nname = \"x\"\nexpires = \"tomorrow\"\n";
        let err = parse(Path::new("p.toml"), text).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("5 errors in p.toml"), "{msg}");
        for needle in [
            "p.toml:1:1: unknown key `colour`",
            "p.toml:3:9",
            "p.toml:4:19",
            "needs `reason`",
            "p.toml:7:11",
        ] {
            assert!(msg.contains(needle), "{needle} missing in {msg}");
        }
    }

    #[test]
    fn allow_entries_match_exactly_and_expire() {
        let text = r#"
[[allow]]
name = "Foo_Bar"
version = "1.0"
sha256 = "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
reason = "vendored"
[[allow]]
name = "old"
reason = "temporary"
expires = 2001-01-01
"#;
        let p = parse(Path::new("p.toml"), text).unwrap();
        let h = "a".repeat(64);
        assert!(p.allowed("foo-bar", Some("1.0"), Some(&h)).is_some());
        assert!(p.allowed("foo-bar", Some("1.1"), Some(&h)).is_none());
        assert!(p.allowed("foo-bar", Some("1.0"), Some(&"b".repeat(64))).is_none());
        assert!(p.allowed("old", None, None).is_none(), "expired entries do not apply");
        assert!(expiry_warnings(&p.allow)[0].contains("expired on 2001-01-01"));
    }

    #[test]
    fn ages_and_dates() {
        let p = parse(Path::new("p.toml"), "[install]\nmin_release_age = \"2w\"\n").unwrap();
        assert_eq!(p.min_release_age_hours, 14 * 24);
        let p = parse(Path::new("p.toml"), "[install]\nmin_release_age = 3\n").unwrap();
        assert_eq!(p.min_release_age_hours, 72);
        let d = Date::parse("2024-02-29T10:00:00Z").unwrap();
        assert_eq!(Date::from_days(d.to_days()), d);
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
    }

    #[test]
    fn system_locks_cannot_be_loosened() {
        let dir = tempfile::tempdir().unwrap();
        let sys = dir.path().join("system.toml");
        std::fs::write(
            &sys,
            "locked = [\"install.non_interactive\", \"allow\", \"verdict.review_at\"]\n[verdict]\nreview_at = \"medium\"\n",
        )
        .unwrap();
        let user = dir.path().join("user.toml");
        std::fs::write(
            &user,
            "[verdict]\nreview_at = \"critical\"\ndeny_at = \"high\"\n[install]\nnon_interactive = \"allow\"\n[[allow]]\nname = \"x\"\nreason = \"r\"\n",
        )
        .unwrap();
        let p = load_layered(&Lookup {
            explicit: Some(user),
            project_dir: None,
            user: None,
            system: Some(sys),
        })
        .unwrap();
        assert_eq!(p.review_at, Severity::Medium);
        assert_eq!(p.deny_at, Severity::High, "tightening an unlocked key is fine");
        assert_eq!(p.non_interactive, Verdict::Deny);
        assert!(p.allow.is_empty());
        assert_eq!(p.warnings.len(), 3, "{:?}", p.warnings);
    }

    #[test]
    fn pyproject_tool_guard_is_found() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"x\"\n[tool.guard.install]\nsdist = \"review\"\n",
        )
        .unwrap();
        let sub = dir.path().join("src");
        std::fs::create_dir(&sub).unwrap();
        let found = find_project(&sub).unwrap();
        assert!(found.pyproject);
        let p = load_layered(&Lookup {
            project_dir: Some(sub),
            ..Lookup::default()
        })
        .unwrap();
        assert_eq!(p.sdist, Sdist::Review);
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"x\"\n[tool.guard]\nwat = 1\n",
        )
        .unwrap();
        let err = load(&dir.path().join("pyproject.toml")).unwrap_err();
        assert!(err.to_string().contains(":4:1: unknown key `wat`"), "{err}");
    }
}
