//! pip-style requirement arguments and requirement files → [`RequirementSet`].
//!
//! Handles `-r` (nested), `-c` constraints, per-requirement `--hash`, options
//! lines (`--index-url`, `--extra-index-url`, `--find-links`, `--no-binary`,
//! `--only-binary`, `--pre`, `--no-index`), comments, line continuations and
//! `${VAR}` expansion. Every error names the file and line.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::{PackageName, VersionOrUrl};

/// A parsed PEP 508 requirement.
pub type Pep508 = pep508_rs::Requirement;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read requirements file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{origin}: {message}")]
    Invalid { origin: Origin, message: String },
    #[error("{origin}: requirements file includes itself (via {path})")]
    Cycle { origin: Origin, path: PathBuf },
}

/// Where a requirement or option came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    CommandLine,
    File { path: PathBuf, line: usize },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::CommandLine => f.write_str("command line"),
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
        }
    }
}

/// One requirement with the hashes pinned for it (`--hash=sha256:…`).
#[derive(Debug, Clone)]
pub struct Requirement {
    pub req: Pep508,
    /// Allowed sha256 digests, lowercase hex, without the `sha256:` prefix.
    pub hashes: Vec<String>,
    pub origin: Origin,
}

impl Requirement {
    pub fn name(&self) -> &PackageName {
        &self.req.name
    }
}

/// Options that pip also accepts inside requirement files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileOptions {
    pub index_url: Option<String>,
    pub extra_index_urls: Vec<String>,
    pub find_links: Vec<String>,
    pub no_index: bool,
    /// Package names (normalized) or `:all:` / `:none:`.
    pub no_binary: Vec<String>,
    pub only_binary: Vec<String>,
    pub pre: bool,
    pub require_hashes: bool,
}

/// A requirement that names a place rather than an index project: a local
/// project directory, a distribution file, a URL or a git repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Direct {
    /// The user's own project (`.`, `./dir[extra]`, `-e ./dir`): not judged
    /// as a third-party artifact, but everything it pulls in is.
    Project {
        path: PathBuf,
        editable: bool,
        extras: Vec<String>,
        origin: Origin,
    },
    /// A wheel or sdist on disk or behind a URL: third-party code, inspected.
    Archive {
        name: Option<PackageName>,
        location: Location,
        extras: Vec<String>,
        /// `--hash` values and a `#sha256=` fragment, lowercase hex.
        hashes: Vec<String>,
        origin: Origin,
    },
    /// `git+https://…@rev`: cloned at the pinned commit, inspected as a source tree.
    Git {
        name: Option<PackageName>,
        /// The repository URL without the `git+` prefix, `@rev` and fragment.
        url: String,
        rev: Option<String>,
        subdirectory: Option<String>,
        extras: Vec<String>,
        origin: Origin,
    },
}

impl Direct {
    pub fn origin(&self) -> &Origin {
        match self {
            Direct::Project { origin, .. } | Direct::Archive { origin, .. } | Direct::Git { origin, .. } => origin,
        }
    }

    pub fn extras(&self) -> &[String] {
        match self {
            Direct::Project { extras, .. } | Direct::Archive { extras, .. } | Direct::Git { extras, .. } => extras,
        }
    }
}

/// Where a distribution file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Path(PathBuf),
    Url(url::Url),
}

/// Everything collected from the command line and requirement files.
#[derive(Debug, Clone, Default)]
pub struct RequirementSet {
    pub requirements: Vec<Requirement>,
    /// Local projects, files, URLs and git repositories, in the order given.
    pub direct: Vec<Direct>,
    pub constraints: Vec<Requirement>,
    pub options: FileOptions,
    /// Non-fatal remarks (ignored options), for the user.
    pub warnings: Vec<String>,
}

impl RequirementSet {
    /// Adds one requirement given on the command line (`requests>=2`, `.`,
    /// `./dist/x.whl`, `name @ https://…`, `git+https://…`).
    pub fn add_arg(&mut self, arg: &str) -> Result<(), Error> {
        self.add_spec(arg, Vec::new(), Origin::CommandLine)
    }

    /// Adds `-e PATH` (an editable local project) from the command line.
    pub fn add_editable(&mut self, arg: &str) -> Result<(), Error> {
        self.add_editable_at(arg, &Origin::CommandLine)
    }

    fn add_editable_at(&mut self, arg: &str, origin: &Origin) -> Result<(), Error> {
        match classify(arg.trim(), origin)? {
            Some(Direct::Project { path, extras, .. }) => {
                self.direct.push(Direct::Project {
                    path,
                    editable: true,
                    extras,
                    origin: origin.clone(),
                });
                Ok(())
            }
            Some(Direct::Git { .. }) => Err(invalid(
                origin,
                format!("editable VCS checkouts (`-e {arg}`) are not supported: clone it and install the clone with `-e DIR`"),
            )),
            _ => Err(invalid(
                origin,
                format!("`-e {arg}`: an editable install needs a local project directory (with pyproject.toml or setup.py)"),
            )),
        }
    }

    fn add_spec(&mut self, spec: &str, hashes: Vec<String>, origin: Origin) -> Result<(), Error> {
        match classify(spec.trim(), &origin)? {
            Some(mut direct) => {
                match &mut direct {
                    Direct::Archive { hashes: h, .. } => h.extend(hashes),
                    _ if !hashes.is_empty() => {
                        return Err(invalid(
                            &origin,
                            format!("--hash cannot pin `{spec}`: only files and URLs of distributions can be hashed"),
                        ))
                    }
                    _ => {}
                }
                self.direct.push(direct);
            }
            None => {
                let req = parse_requirement(spec, &origin)?;
                self.requirements.push(Requirement { req, hashes, origin });
            }
        }
        Ok(())
    }

    /// Reads a requirements file (`-r`), following nested `-r`/`-c`.
    pub fn add_file(&mut self, path: &Path) -> Result<(), Error> {
        self.read_file(path, false, &mut Vec::new())
    }

    /// Reads a constraints file (`-c`).
    pub fn add_constraints(&mut self, path: &Path) -> Result<(), Error> {
        self.read_file(path, true, &mut Vec::new())
    }

    fn read_file(&mut self, path: &Path, constraint: bool, stack: &mut Vec<PathBuf>) -> Result<(), Error> {
        let text = read_bounded(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        stack.push(canonical);
        let result = self.parse_text(path, &text, constraint, stack);
        stack.pop();
        result
    }

    /// Parses the text of one requirement file; `path` names it in errors and
    /// anchors relative `-r`/`-c` paths.
    pub fn parse_text(
        &mut self,
        path: &Path,
        text: &str,
        constraint: bool,
        stack: &mut Vec<PathBuf>,
    ) -> Result<(), Error> {
        let base = path.parent().unwrap_or(Path::new("."));
        for (line_no, line) in logical_lines(text) {
            let origin = Origin::File {
                path: path.to_path_buf(),
                line: line_no,
            };
            let line = expand_env(&strip_comment(&line));
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            if line.starts_with('-') {
                self.option_line(line, base, constraint, &origin, stack)?;
                continue;
            }
            let (spec, opts) = split_options(line);
            let mut hashes = Vec::new();
            let mut tokens = opts.split_whitespace();
            while let Some(tok) = tokens.next() {
                let value = if let Some(v) = tok.strip_prefix("--hash=") {
                    v.to_string()
                } else if tok == "--hash" {
                    tokens
                        .next()
                        .map(str::to_string)
                        .ok_or_else(|| invalid(&origin, "--hash needs a value"))?
                } else {
                    return Err(invalid(&origin, format!("unsupported per-requirement option `{tok}`")));
                };
                hashes.push(parse_hash(&value, &origin)?);
            }
            if constraint {
                let req = parse_requirement(spec, &origin)?;
                self.constraints.push(Requirement { req, hashes, origin });
            } else {
                self.add_spec(spec, hashes, origin)?;
            }
        }
        Ok(())
    }

    fn option_line(
        &mut self,
        line: &str,
        base: &Path,
        constraint: bool,
        origin: &Origin,
        stack: &mut Vec<PathBuf>,
    ) -> Result<(), Error> {
        let (flag, inline) = match line.split_once('=') {
            Some((f, v)) if f.starts_with("--") && !f.contains(char::is_whitespace) => (f, Some(v.trim())),
            _ => match line.split_once(char::is_whitespace) {
                Some((f, v)) => (f, Some(v.trim())),
                None => (line, None),
            },
        };
        // `-rfile.txt` short form.
        let (flag, inline) = match (flag.len() > 2 && !flag.starts_with("--"), inline) {
            (true, None) if flag.is_char_boundary(2) => (&flag[..2], Some(flag[2..].trim())),
            _ => (flag, inline),
        };
        let value = || {
            inline
                .filter(|v| !v.is_empty())
                .ok_or_else(|| invalid(origin, format!("{flag} needs a value")))
        };
        let o = &mut self.options;
        match flag {
            "-r" | "--requirement" | "-c" | "--constraint" => {
                let nested = value()?;
                if nested.contains("://") {
                    return Err(invalid(
                        origin,
                        format!("remote requirement files are not supported: {nested}"),
                    ));
                }
                let nested_path = base.join(nested);
                let canonical = nested_path.canonicalize().unwrap_or_else(|_| nested_path.clone());
                if stack.len() >= MAX_INCLUDE_DEPTH {
                    return Err(invalid(
                        origin,
                        format!("requirement files nest more than {MAX_INCLUDE_DEPTH} levels deep"),
                    ));
                }
                if stack.contains(&canonical) {
                    return Err(Error::Cycle {
                        origin: origin.clone(),
                        path: nested_path,
                    });
                }
                let is_constraint = constraint || matches!(flag, "-c" | "--constraint");
                self.read_file(&nested_path, is_constraint, stack)
                    .map_err(|e| match e {
                        Error::Read { path, source } => {
                            invalid(origin, format!("cannot read {}: {source}", path.display()))
                        }
                        other => other,
                    })?;
            }
            "-i" | "--index-url" => o.index_url = Some(value()?.to_string()),
            "--extra-index-url" => o.extra_index_urls.push(value()?.to_string()),
            "-f" | "--find-links" => o.find_links.push(value()?.to_string()),
            "--no-index" => o.no_index = true,
            "--no-binary" => o.no_binary.extend(split_format_control(value()?)),
            "--only-binary" => o.only_binary.extend(split_format_control(value()?)),
            "--pre" => o.pre = true,
            "--require-hashes" => o.require_hashes = true,
            "--prefer-binary" | "--trusted-host" | "--use-feature" => self
                .warnings
                .push(format!("{origin}: option {flag} is accepted and ignored")),
            "-e" | "--editable" if constraint => {
                return Err(invalid(origin, "editable requirements cannot be constraints"))
            }
            "-e" | "--editable" => self.add_editable_at(value()?, origin)?,
            _ => return Err(invalid(origin, format!("unknown option `{flag}`"))),
        }
        Ok(())
    }

    /// Fails when `--require-hashes` is on (or any requirement has hashes) and
    /// some requirement lacks a hash or an `==` pin, as pip does.
    pub fn check_hash_mode(&self) -> Result<(), Error> {
        let hash_mode = self.options.require_hashes || self.requirements.iter().any(|r| !r.hashes.is_empty());
        if !hash_mode {
            return Ok(());
        }
        for d in &self.direct {
            match d {
                Direct::Archive { hashes, .. } if !hashes.is_empty() => {}
                Direct::Project { .. } => {} // the user's own code: nothing to pin
                other => {
                    return Err(invalid(
                        other.origin(),
                        "hash-checking mode: this file or repository has no --hash (or #sha256=)",
                    ))
                }
            }
        }
        for r in &self.requirements {
            if r.hashes.is_empty() {
                return Err(invalid(
                    &r.origin,
                    format!("hash-checking mode: `{}` has no --hash", r.req.name),
                ));
            }
        }
        Ok(())
    }

    /// Normalized names of the requirements given directly.
    pub fn direct_names(&self) -> HashSet<PackageName> {
        self.requirements.iter().map(|r| r.req.name.clone()).collect()
    }
}

fn invalid(origin: &Origin, message: impl Into<String>) -> Error {
    Error::Invalid {
        origin: origin.clone(),
        message: message.into(),
    }
}

/// Parses a PEP 508 string that may come from a hostile package (its
/// `Requires-Dist`, its `pyproject.toml`). `pep508_rs` 0.9 panics on some
/// malformed input (names like `zoface.` with a version, non-ASCII after a
/// marker operator; found by `examples/fuzz.rs`, issue 7): the panic becomes
/// a parse error.
pub fn parse_pep508(text: &str) -> Result<Pep508, String> {
    // The PEP 508 parser recurses per marker parenthesis: bound it first.
    crate::bounded::requirement(text).map_err(|e| e.to_string())?;
    // Rendering the error slices the input too: keep it inside the guard.
    match std::panic::catch_unwind(|| Pep508::from_str(text).map_err(|e| e.to_string())) {
        Ok(Ok(req)) => Ok(req),
        Ok(Err(e)) => Err(e),
        Err(_) => Err("malformed requirement (rejected by the PEP 508 parser)".into()),
    }
}

/// Deepest chain of `-r`/`-c` includes followed.
pub const MAX_INCLUDE_DEPTH: usize = 32;

/// Reads a requirement file of at most [`crate::bounded::MAX_TEXT`] bytes
/// (`-r /dev/zero` must not fill the memory).
fn read_bounded(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let limit = crate::bounded::MAX_TEXT;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than guard reads ({} MiB)", limit >> 20),
        ));
    }
    String::from_utf8(bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Parses one PEP 508 requirement of an index project (`name @ URL` is a
/// [`Direct`] requirement and goes through [`classify`]).
pub fn parse_requirement(text: &str, origin: &Origin) -> Result<Pep508, Error> {
    let req = parse_pep508(text.trim()).map_err(|e| invalid(origin, format!("invalid requirement `{text}`: {e}")))?;
    if let Some(VersionOrUrl::Url(url)) = &req.version_or_url {
        return Err(invalid(
            origin,
            format!(
                "`{}` @ {url}: only files, archives and git repositories can be named by URL",
                req.name
            ),
        ));
    }
    Ok(req)
}

/// File names pip installs from directly.
const ARCHIVE_SUFFIXES: [&str; 7] = [".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tar.xz", ".tar"];

fn is_archive_name(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    ARCHIVE_SUFFIXES.iter().any(|x| lower.ends_with(x))
}

/// Splits a trailing `[extra,…]` off a path or URL (`./dir[dev,test]`).
fn split_extras(s: &str) -> (&str, Vec<String>) {
    if let Some(open) = s.rfind('[') {
        if let Some(inner) = s[open + 1..].strip_suffix(']') {
            let extras = inner
                .split(',')
                .map(|e| e.trim().to_string())
                .filter(|e| !e.is_empty())
                .collect();
            return (&s[..open], extras);
        }
    }
    (s, Vec::new())
}

/// Decides whether `spec` names a place (project directory, file, URL, git
/// repository) as pip does; `None` for an ordinary index requirement.
pub fn classify(spec: &str, origin: &Origin) -> Result<Option<Direct>, Error> {
    // `name[extras] @ URL` (PEP 508 direct reference).
    if let Some((left, right)) = spec.split_once(" @ ").or_else(|| spec.split_once("@ ")) {
        let left = left.trim();
        if !left.is_empty() && !left.contains(['/', ':']) {
            let (name, extras) = split_extras(left);
            let name = PackageName::from_str(name.trim())
                .map_err(|e| invalid(origin, format!("invalid project name `{name}`: {e}")))?;
            let (target, marker) = match right.split_once(" ;").or_else(|| right.split_once("; ")) {
                Some((t, m)) => (t.trim(), Some(m.trim())),
                None => (right.trim(), None),
            };
            if marker.is_some() {
                return Err(invalid(
                    origin,
                    format!("environment markers on direct references are not supported: `{spec}`"),
                ));
            }
            return location(target, Some(name), extras, origin).map(Some);
        }
    }
    if spec.contains("://") || spec.starts_with("git+") {
        let (target, _) = split_extras(spec);
        let extras = split_extras(spec).1;
        return location(target, None, extras, origin).map(Some);
    }
    let (path_part, extras) = split_extras(spec);
    let looks_like_path = path_part.starts_with('.')
        || path_part.starts_with('/')
        || path_part.starts_with('~')
        || path_part.contains(std::path::MAIN_SEPARATOR)
        || path_part.contains('/')
        || (is_archive_name(path_part) && Path::new(path_part).is_file());
    if !looks_like_path {
        return Ok(None);
    }
    let path = expand_home(path_part);
    if path.is_dir() {
        return Ok(Some(Direct::Project {
            path,
            editable: false,
            extras,
            origin: origin.clone(),
        }));
    }
    if path.is_file() {
        if !is_archive_name(path_part) {
            return Err(invalid(
                origin,
                format!("`{spec}` is a file but not a wheel or source archive (.whl, .tar.gz, .zip, …); a requirements file needs -r"),
            ));
        }
        return Ok(Some(Direct::Archive {
            name: None,
            location: Location::Path(path),
            extras,
            hashes: Vec::new(),
            origin: origin.clone(),
        }));
    }
    Err(invalid(
        origin,
        format!("`{spec}` looks like a path, but there is no such file or directory"),
    ))
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// A URL or `git+` URL of a direct reference.
fn location(target: &str, name: Option<PackageName>, extras: Vec<String>, origin: &Origin) -> Result<Direct, Error> {
    if let Some(rest) = target.strip_prefix("git+") {
        let (rest, fragment) = match rest.split_once('#') {
            Some((r, f)) => (r, Some(f)),
            None => (rest, None),
        };
        let mut name = name;
        let mut subdirectory = None;
        for pair in fragment.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("egg", v)) if name.is_none() => {
                    name = Some(
                        PackageName::from_str(v)
                            .map_err(|e| invalid(origin, format!("invalid #egg= name `{v}`: {e}")))?,
                    )
                }
                Some(("subdirectory", v)) => subdirectory = Some(v.to_string()),
                Some(("egg", _)) => {}
                _ => {
                    return Err(invalid(
                        origin,
                        format!("unsupported URL fragment `#{pair}` in `{target}`"),
                    ))
                }
            }
        }
        let parsed = url::Url::parse(rest).map_err(|e| invalid(origin, format!("invalid git URL `{target}`: {e}")))?;
        if !matches!(parsed.scheme(), "https" | "http" | "file" | "ssh") {
            return Err(invalid(
                origin,
                format!(
                    "git over `{}` is not supported (use git+https, git+ssh or git+file)",
                    parsed.scheme()
                ),
            ));
        }
        // `…/repo.git@v1.2` — the revision follows the last `@` of the path.
        let (url, rev) = match parsed.path().rfind('@') {
            Some(at) => {
                let mut base = parsed.clone();
                let path = parsed.path();
                base.set_path(&path[..at]);
                (
                    base.to_string(),
                    Some(path[at + 1..].to_string()).filter(|r| !r.is_empty()),
                )
            }
            None => (parsed.to_string(), None),
        };
        return Ok(Direct::Git {
            name,
            url,
            rev,
            subdirectory,
            extras,
            origin: origin.clone(),
        });
    }
    let parsed = url::Url::parse(target).map_err(|e| invalid(origin, format!("invalid URL `{target}`: {e}")))?;
    let mut hashes = Vec::new();
    if let Some(fragment) = parsed.fragment() {
        for pair in fragment.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("sha256", v)) => hashes.push(parse_hash(&format!("sha256:{v}"), origin)?),
                Some(("egg" | "subdirectory", _)) => {}
                Some((algo, _)) if ["md5", "sha1", "sha224", "sha384", "sha512"].contains(&algo) => {
                    return Err(invalid(
                        origin,
                        format!("`#{algo}=` cannot be verified: guard checks sha256 only (use #sha256=)"),
                    ))
                }
                _ => {
                    return Err(invalid(
                        origin,
                        format!("unsupported URL fragment `#{pair}` in `{target}`"),
                    ))
                }
            }
        }
    }
    let mut clean = parsed.clone();
    clean.set_fragment(None);
    match clean.scheme() {
        "file" => {
            let path = clean
                .to_file_path()
                .map_err(|_| invalid(origin, format!("invalid file URL `{target}`")))?;
            if path.is_dir() {
                if !hashes.is_empty() {
                    return Err(invalid(
                        origin,
                        format!("`{target}` is a directory: it cannot be hashed"),
                    ));
                }
                return Ok(Direct::Project {
                    path,
                    editable: false,
                    extras,
                    origin: origin.clone(),
                });
            }
            if !path.is_file() {
                return Err(invalid(origin, format!("`{target}`: no such file")));
            }
            Ok(Direct::Archive {
                name,
                location: Location::Path(path),
                extras,
                hashes,
                origin: origin.clone(),
            })
        }
        "https" | "http" => {
            let last = clean.path_segments().and_then(|mut s| s.next_back()).unwrap_or("");
            if !is_archive_name(last) {
                return Err(invalid(
                    origin,
                    format!("`{target}` does not name a wheel or source archive (.whl, .tar.gz, .zip)"),
                ));
            }
            Ok(Direct::Archive {
                name,
                location: Location::Url(clean),
                extras,
                hashes,
                origin: origin.clone(),
            })
        }
        other => Err(invalid(
            origin,
            format!("`{target}`: URLs with scheme `{other}` are not supported (https, file, git+…)"),
        )),
    }
}

fn parse_hash(value: &str, origin: &Origin) -> Result<String, Error> {
    let Some((algo, digest)) = value.split_once(':') else {
        return Err(invalid(
            origin,
            format!("invalid --hash `{value}` (expected sha256:HEX)"),
        ));
    };
    if algo != "sha256" {
        return Err(invalid(
            origin,
            format!("unsupported hash algorithm `{algo}` (only sha256 is verified)"),
        ));
    }
    if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid(origin, format!("invalid sha256 digest `{digest}`")));
    }
    Ok(digest.to_ascii_lowercase())
}

/// `--no-binary`/`--only-binary` values: comma lists of names (normalized) or `:all:`/`:none:`.
pub fn split_format_control(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            if s.starts_with(':') {
                s.to_string()
            } else {
                crate::metadata::normalize(s)
            }
        })
        .collect()
}

/// Joins backslash-continued lines; yields (first physical line number, text).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (i, line) in text.lines().enumerate() {
        if current.is_empty() {
            start = i + 1;
        }
        if let Some(stripped) = line.strip_suffix('\\') {
            current.push_str(stripped);
            current.push(' ');
        } else {
            current.push_str(line);
            out.push((start, std::mem::take(&mut current)));
        }
    }
    if !current.is_empty() {
        out.push((start, current));
    }
    out
}

/// Removes `# comment` (at line start or after whitespace), like pip.
fn strip_comment(line: &str) -> String {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return line[..i].to_string();
        }
    }
    line.to_string()
}

/// Expands `${NAME}` (pip supports only this form, with `[A-Z0-9_]` names).
fn expand_env(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find('}') {
            Some(end)
                if after[..end]
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') =>
            {
                let name = &after[..end];
                match std::env::var(name) {
                    Ok(v) => out.push_str(&v),
                    Err(_) => out.push_str(&rest[i..i + 3 + end]),
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Splits `spec --hash=… --hash …` at the first whitespace-preceded `-` token.
fn split_options(line: &str) -> (&str, &str) {
    let bytes = line.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i] == b'-' && bytes[i - 1].is_ascii_whitespace() && bytes.get(i + 1) == Some(&b'-') {
            return (line[..i].trim(), &line[i..]);
        }
    }
    (line, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RequirementSet, Error> {
        let mut set = RequirementSet::default();
        set.parse_text(Path::new("reqs.txt"), text, false, &mut Vec::new())?;
        Ok(set)
    }

    #[test]
    fn parses_requirements_options_and_hashes() {
        let set = parse(
            "# comment\n\
             --index-url https://example.org/simple\n\
             --extra-index-url=https://extra.example/simple\n\
             requests[socks]>=2.0 ; python_version >= '3.8'  # trailing\n\
             idna==3.7 \\\n    --hash=sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA \\\n    --hash sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n\
             --pre\n--no-binary :all:\n--only-binary Foo_Bar,baz\n",
        )
        .unwrap();
        assert_eq!(set.options.index_url.as_deref(), Some("https://example.org/simple"));
        assert_eq!(set.options.extra_index_urls, ["https://extra.example/simple"]);
        assert!(set.options.pre);
        assert_eq!(set.options.no_binary, [":all:"]);
        assert_eq!(set.options.only_binary, ["foo-bar", "baz"]);
        assert_eq!(set.requirements.len(), 2);
        assert_eq!(set.requirements[0].req.name.as_ref(), "requests");
        assert_eq!(set.requirements[0].req.extras.len(), 1);
        let idna = &set.requirements[1];
        assert_eq!(idna.hashes.len(), 2);
        assert_eq!(idna.hashes[0], "a".repeat(64));
        assert_eq!(
            idna.origin,
            Origin::File {
                path: "reqs.txt".into(),
                line: 5
            }
        );
    }

    #[test]
    fn errors_name_file_and_line() {
        let err = parse("requests\n\nnot a ! requirement\n").unwrap_err();
        assert!(err.to_string().starts_with("reqs.txt:3: invalid requirement"), "{err}");
        let err = parse("--frobnicate\n").unwrap_err();
        assert_eq!(err.to_string(), "reqs.txt:1: unknown option `--frobnicate`");
        let err = parse("foo --hash=md5:abc\n").unwrap_err();
        assert!(err.to_string().contains("unsupported hash algorithm `md5`"), "{err}");
        let err = parse("-e ./no-such-dir\n").unwrap_err();
        assert!(err.to_string().contains("no such file or directory"), "{err}");
        let err = parse("foo @ https://example.org/foo\n").unwrap_err();
        assert!(err.to_string().contains("does not name a wheel"), "{err}");
        let err = parse("foo @ https://example.org/foo.whl#md5=abc\n").unwrap_err();
        assert!(err.to_string().contains("sha256 only"), "{err}");
    }

    #[test]
    fn nested_files_and_constraints() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("top.txt"), "-r sub/inner.txt\n-c cons.txt\nflask\n").unwrap();
        std::fs::write(dir.path().join("sub/inner.txt"), "click>=8\n-r ../leaf.txt\n").unwrap();
        std::fs::write(dir.path().join("leaf.txt"), "jinja2\n").unwrap();
        std::fs::write(dir.path().join("cons.txt"), "click<9\n").unwrap();
        let mut set = RequirementSet::default();
        set.add_file(&dir.path().join("top.txt")).unwrap();
        let names: Vec<_> = set.requirements.iter().map(|r| r.req.name.to_string()).collect();
        assert_eq!(names, ["click", "jinja2", "flask"]);
        assert_eq!(set.constraints.len(), 1);
        assert_eq!(set.constraints[0].req.name.as_ref(), "click");

        std::fs::write(dir.path().join("loop.txt"), "-r loop.txt\n").unwrap();
        let err = set.add_file(&dir.path().join("loop.txt")).unwrap_err();
        assert!(err.to_string().contains("includes itself"), "{err}");
        let err = set.add_file(&dir.path().join("missing.txt")).unwrap_err();
        assert!(err.to_string().contains("missing.txt"), "{err}");
    }

    /// Issue 14: requirement files are bounded readers too.
    #[test]
    fn requirement_files_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..40 {
            std::fs::write(dir.path().join(format!("r{i}.txt")), format!("-r r{}.txt\n", i + 1)).unwrap();
        }
        let err = RequirementSet::default()
            .add_file(&dir.path().join("r0.txt"))
            .unwrap_err();
        assert!(err.to_string().contains("nest more than 32 levels"), "{err}");
        let big = dir.path().join("big.txt");
        std::fs::write(&big, "a\n".repeat(crate::bounded::MAX_TEXT / 2 + 1)).unwrap();
        let err = RequirementSet::default().add_file(&big).unwrap_err();
        assert!(err.to_string().contains("larger than guard reads (16 MiB)"), "{err}");
        let err = parse(&format!(
            "a ; {}python_version > '3'{}\n",
            "(".repeat(100_000),
            ")".repeat(100_000)
        ))
        .unwrap_err();
        assert!(err.to_string().contains("a requirement is"), "{err}");
    }

    #[test]
    fn hash_mode_requires_every_hash() {
        let set = parse("a==1 --hash=sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nb==2\n")
            .unwrap();
        let err = set.check_hash_mode().unwrap_err();
        assert!(err.to_string().contains("reqs.txt:2"), "{err}");
    }

    #[test]
    fn places_are_direct_requirements() {
        let dir = tempfile::tempdir().unwrap();
        let proj = dir.path().join("proj");
        std::fs::create_dir(&proj).unwrap();
        let whl = dir.path().join("x-1.0-py3-none-any.whl");
        std::fs::write(&whl, b"PK").unwrap();
        let o = Origin::CommandLine;
        let p = format!("{}[dev, test]", proj.display());
        match classify(&p, &o).unwrap() {
            Some(Direct::Project {
                path, editable, extras, ..
            }) => {
                assert_eq!(path, proj);
                assert!(!editable);
                assert_eq!(extras, ["dev", "test"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(&whl.display().to_string(), &o).unwrap(),
            Some(Direct::Archive {
                location: Location::Path(_),
                ..
            })
        ));
        let url = format!("x @ file://{}", whl.display());
        assert!(matches!(
            classify(&url, &o).unwrap(),
            Some(Direct::Archive { name: Some(_), .. })
        ));
        let h = "a".repeat(64);
        match classify(&format!("x[y] @ https://h.example/p/x-1.0.tar.gz#sha256={h}"), &o).unwrap() {
            Some(Direct::Archive {
                hashes,
                extras,
                location: Location::Url(u),
                ..
            }) => {
                assert_eq!(hashes, std::slice::from_ref(&h));
                assert_eq!(extras, ["y"]);
                assert_eq!(u.fragment(), None);
            }
            other => panic!("{other:?}"),
        }
        match classify("git+https://git.example/o/r.git@v1.2#egg=r&subdirectory=pkg", &o).unwrap() {
            Some(Direct::Git {
                name,
                url,
                rev,
                subdirectory,
                ..
            }) => {
                assert_eq!(name.unwrap().as_ref(), "r");
                assert_eq!(url, "https://git.example/o/r.git");
                assert_eq!(rev.as_deref(), Some("v1.2"));
                assert_eq!(subdirectory.as_deref(), Some("pkg"));
            }
            other => panic!("{other:?}"),
        }
        assert!(classify("requests>=2", &o).unwrap().is_none());
        assert!(classify("flask[async]", &o).unwrap().is_none());
        let err = classify("./missing", &o).unwrap_err();
        assert!(err.to_string().contains("no such file"), "{err}");
        let err = classify("git+ftp://h/r", &o).unwrap_err();
        assert!(err.to_string().contains("not supported"), "{err}");

        // `-e` lines in requirement files; hashes pin files, not projects.
        let mut set = RequirementSet::default();
        let text = format!(
            "-e {}
{} --hash=sha256:{h}
flask
",
            proj.display(),
            whl.display()
        );
        set.parse_text(Path::new("r.txt"), &text, false, &mut Vec::new())
            .unwrap();
        assert!(matches!(&set.direct[0], Direct::Project { editable: true, .. }));
        assert!(matches!(&set.direct[1], Direct::Archive { hashes, .. } if hashes.len() == 1));
        assert_eq!(set.requirements.len(), 1);
        let err = set
            .parse_text(
                Path::new("r.txt"),
                &format!(
                    "{} --hash=sha256:{h}
",
                    proj.display()
                ),
                false,
                &mut Vec::new(),
            )
            .unwrap_err();
        assert!(err.to_string().contains("cannot pin"), "{err}");
    }

    #[test]
    fn helpers() {
        assert_eq!(strip_comment("foo # bar"), "foo ");
        assert_eq!(strip_comment("http://x/#frag"), "http://x/#frag");
        std::env::set_var("GUARD_TEST_TOKEN", "s3cret");
        assert_eq!(expand_env("https://u:${GUARD_TEST_TOKEN}@h/"), "https://u:s3cret@h/");
        assert_eq!(expand_env("${lower}"), "${lower}");
    }
}
