//! Dependency resolution with PubGrub over a [`Source`] of projects and
//! metadata. Never runs package code: metadata comes from the index or from
//! reading archives (see [`metadata`]).

pub mod files;
pub mod metadata;
pub mod pinned;
pub mod remote;

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use pep440_rs::{Version, VersionSpecifiers};
use pep508_rs::{ExtraName, MarkerEnvironment, PackageName, VersionOrUrl};
use pubgrub::{Dependencies, DependencyConstraints, DependencyProvider, PackageResolutionStatistics, Ranges};

/// Dependencies being collected, merged by package (PubGrub wants each once).
type Deps = Vec<(Pkg, Ranges<Version>)>;

fn merge(deps: &mut Deps, pkg: Pkg, range: &Ranges<Version>) {
    match deps.iter_mut().find(|(p, _)| *p == pkg) {
        Some((_, r)) => *r = r.intersection(range),
        None => deps.push((pkg, range.clone())),
    }
}

use crate::index::{DistFile, Project};
use crate::interpreter::Installed;
use crate::requirements::Pep508;
use files::{FileKind, Selector};
use metadata::{DistMetadata, Source as MetadataSource};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Index(#[from] crate::index::Error),
    #[error(transparent)]
    Download(#[from] crate::download::Error),
    #[error("cannot read the metadata of {filename}: {message}")]
    Metadata { filename: String, message: String },
    #[error("no version of the requirements can be installed:\n{0}")]
    NoSolution(String),
    #[error("{package} {version}: {message}")]
    Provider {
        package: String,
        version: String,
        message: String,
    },
    #[error("{0}")]
    Other(String),
    /// The same failure seen by several callers (memoized per project or file).
    #[error(transparent)]
    Shared(Arc<Error>),
}

/// Where projects and metadata come from: the real index client, or a fake in tests.
pub trait Source {
    fn project(&self, name: &PackageName) -> Result<Arc<Project>, Error>;
    /// Dependency metadata of one file, read statically.
    fn metadata(&self, name: &PackageName, file: &DistFile) -> Result<Arc<DistMetadata>, Error>;
    /// A hint that these projects will be needed soon (fetch them concurrently).
    fn prefetch(&self, _names: &[PackageName], _selector: &Selector) {}
}

/// A PubGrub package: the root, a project, or a project with one extra.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Pkg {
    Root,
    Base(PackageName),
    Extra(PackageName, ExtraName),
}

impl fmt::Display for Pkg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pkg::Root => f.write_str("the requirements"),
            Pkg::Base(n) => write!(f, "{n}"),
            Pkg::Extra(n, e) => write!(f, "{n}[{e}]"),
        }
    }
}

/// How to resolve.
#[derive(Debug, Clone)]
pub struct Options {
    pub selector: Selector,
    /// `--pre`: pre-releases allowed everywhere.
    pub pre: bool,
    /// `--upgrade`: named requirements are not kept at their installed version.
    pub upgrade: bool,
    /// `--ignore-installed`: nothing installed is kept.
    pub ignore_installed: bool,
    /// `--no-deps`: only the root requirements, none of their dependencies.
    pub no_deps: bool,
}

/// One resolved distribution.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub name: PackageName,
    pub version: Version,
    /// The file to fetch; `None` when the installed version is kept.
    pub file: Option<DistFile>,
    pub metadata_source: MetadataSource,
    pub build_requires: Vec<String>,
    /// The index the project came from.
    pub index: Option<String>,
}

#[derive(Debug)]
struct Candidate {
    file: Option<DistFile>,
    yanked: bool,
}

#[derive(Debug)]
struct Candidates {
    project: Arc<Project>,
    versions: BTreeMap<Version, Candidate>,
}

/// The PubGrub dependency provider.
pub struct Resolver<'a, S: Source> {
    source: &'a S,
    env: &'a MarkerEnvironment,
    python: Version,
    options: Options,
    root: Vec<Pep508>,
    constraints: HashMap<PackageName, Ranges<Version>>,
    installed: HashMap<PackageName, Installed>,
    upgrade_names: HashSet<PackageName>,
    pre_names: HashSet<PackageName>,
    candidates: RefCell<HashMap<PackageName, Arc<Candidates>>>,
    metadata: RefCell<HashMap<(PackageName, Version), Arc<DistMetadata>>>,
    order: RefCell<HashMap<Pkg, usize>>,
}

impl<'a, S: Source> Resolver<'a, S> {
    pub fn new(
        source: &'a S,
        env: &'a MarkerEnvironment,
        python: Version,
        options: Options,
        root: Vec<Pep508>,
        constraints: &[Pep508],
        installed: Vec<Installed>,
    ) -> Resolver<'a, S> {
        let mut cons: HashMap<PackageName, Ranges<Version>> = HashMap::new();
        let mut pre_names = HashSet::new();
        for c in constraints.iter().filter(|c| c.evaluate_markers(env, &[])) {
            let r = ranges(c);
            cons.entry(c.name.clone())
                .and_modify(|e| *e = e.intersection(&r))
                .or_insert(r);
        }
        for r in root.iter().chain(constraints) {
            if let Some(VersionOrUrl::VersionSpecifier(spec)) = &r.version_or_url {
                if spec.iter().any(|s| s.version().any_prerelease()) {
                    pre_names.insert(r.name.clone());
                }
            }
        }
        let upgrade_names = root.iter().map(|r| r.name.clone()).collect();
        let installed = if options.ignore_installed {
            HashMap::new()
        } else {
            installed.into_iter().map(|i| (i.name.clone(), i)).collect()
        };
        Resolver {
            source,
            env,
            python,
            options,
            root,
            constraints: cons,
            installed,
            upgrade_names,
            pre_names,
            candidates: RefCell::default(),
            metadata: RefCell::default(),
            order: RefCell::default(),
        }
    }

    /// Resolves the root requirements.
    pub fn resolve(&self) -> Result<Vec<Resolved>, Error> {
        let root_names: Vec<PackageName> = self.root.iter().map(|r| r.name.clone()).collect();
        self.source.prefetch(&root_names, &self.options.selector);
        let solution = match pubgrub::resolve(self, Pkg::Root, Version::new([0])) {
            Ok(s) => s,
            Err(pubgrub::PubGrubError::NoSolution(mut tree)) => {
                tree.collapse_no_versions();
                return Err(Error::NoSolution(
                    <pubgrub::DefaultStringReporter as pubgrub::Reporter<_, _, _>>::report(&tree),
                ));
            }
            Err(pubgrub::PubGrubError::ErrorRetrievingDependencies { source, .. }) => return Err(source),
            Err(pubgrub::PubGrubError::ErrorChoosingVersion { source, .. }) => return Err(source),
            Err(pubgrub::PubGrubError::ErrorInShouldCancel(e)) => return Err(e),
        };
        let mut out = Vec::new();
        for (pkg, version) in solution {
            let Pkg::Base(name) = pkg else { continue };
            if let Some(inst) = self.kept_installed(&name) {
                if inst.version == version {
                    out.push(Resolved {
                        name,
                        version,
                        file: None,
                        metadata_source: MetadataSource::Installed,
                        build_requires: Vec::new(),
                        index: None,
                    });
                    continue;
                }
            }
            let cands = self.candidates(&name)?;
            let file = cands
                .versions
                .get(&version)
                .and_then(|c| c.file.clone())
                .ok_or_else(|| Error::Other(format!("{name} {version} has no usable file")))?;
            let md = self.metadata_of(&name, &version, &file)?;
            out.push(Resolved {
                name,
                version,
                file: Some(file),
                metadata_source: md.source,
                build_requires: md.build_requires.clone(),
                index: cands.project.index.clone(),
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn kept_installed(&self, name: &PackageName) -> Option<&Installed> {
        if self.options.upgrade && self.upgrade_names.contains(name) {
            return None;
        }
        self.installed.get(name)
    }

    fn candidates(&self, name: &PackageName) -> Result<Arc<Candidates>, Error> {
        if let Some(c) = self.candidates.borrow().get(name) {
            return Ok(c.clone());
        }
        let project = self.source.project(name)?;
        let mut grouped: BTreeMap<Version, Vec<(DistFile, FileKind)>> = BTreeMap::new();
        for f in &project.files {
            if let Some((v, kind)) = files::parse_filename(&f.filename, name.as_ref()) {
                grouped.entry(v).or_default().push((f.clone(), kind));
            }
        }
        let mut versions = BTreeMap::new();
        for (v, fs) in grouped {
            let file = self.options.selector.pick(name.as_ref(), &fs).cloned();
            let yanked = file.as_ref().is_some_and(|f| f.yanked.is_some());
            versions.insert(v, Candidate { file, yanked });
        }
        let c = Arc::new(Candidates { project, versions });
        self.candidates.borrow_mut().insert(name.clone(), c.clone());
        Ok(c)
    }

    fn metadata_of(&self, name: &PackageName, version: &Version, file: &DistFile) -> Result<Arc<DistMetadata>, Error> {
        let key = (name.clone(), version.clone());
        if let Some(m) = self.metadata.borrow().get(&key) {
            return Ok(m.clone());
        }
        let m = self.source.metadata(name, file)?;
        self.metadata.borrow_mut().insert(key, m.clone());
        Ok(m)
    }

    /// Adds the PubGrub dependencies of one requirement (and its extras).
    fn add_requirement(&self, req: &Pep508, deps: &mut Deps) -> Result<(), String> {
        if let Some(VersionOrUrl::Url(u)) = &req.version_or_url {
            return Err(format!("direct URL dependency `{} @ {u}` is not supported", req.name));
        }
        let mut range = ranges(req);
        if let Some(c) = self.constraints.get(&req.name) {
            range = range.intersection(c);
        }
        merge(deps, Pkg::Base(req.name.clone()), &range);
        for extra in &req.extras {
            merge(deps, Pkg::Extra(req.name.clone(), extra.clone()), &range);
        }
        Ok(())
    }

    fn dependencies_from(&self, requires: &[String], extra: Option<&ExtraName>, deps: &mut Deps) -> Result<(), String> {
        let extras: Vec<ExtraName> = extra.into_iter().cloned().collect();
        for text in requires {
            let req =
                crate::requirements::parse_pep508(text).map_err(|e| format!("invalid requirement `{text}`: {e}"))?;
            if !req.evaluate_markers(self.env, &extras) {
                continue;
            }
            // For an extra, only what the extra adds (base deps come via `Base == v`).
            if extra.is_some() && req.evaluate_markers(self.env, &[]) {
                continue;
            }
            self.add_requirement(&req, deps)?;
        }
        Ok(())
    }
}

/// The version range of a requirement's specifiers (any version when none).
pub fn ranges(req: &Pep508) -> Ranges<Version> {
    match &req.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(spec)) => Ranges::from(spec.clone()),
        _ => Ranges::full(),
    }
}

fn is_singleton(r: &Ranges<Version>) -> bool {
    r.as_singleton().is_some()
}

impl<S: Source> DependencyProvider for Resolver<'_, S> {
    type P = Pkg;
    type V = Version;
    type VS = Ranges<Version>;
    type M = String;
    type Priority = (bool, u32, Reverse<usize>);
    type Err = Error;

    fn prioritize(
        &self,
        package: &Pkg,
        range: &Ranges<Version>,
        stats: &PackageResolutionStatistics,
    ) -> Self::Priority {
        let mut order = self.order.borrow_mut();
        let n = order.len();
        let seen = *order.entry(package.clone()).or_insert(n);
        (
            matches!(package, Pkg::Root) || is_singleton(range),
            stats.conflict_count(),
            Reverse(seen),
        )
    }

    fn choose_version(&self, package: &Pkg, range: &Ranges<Version>) -> Result<Option<Version>, Error> {
        let name = match package {
            Pkg::Root => return Ok(Some(Version::new([0]))),
            Pkg::Base(n) | Pkg::Extra(n, _) => n,
        };
        if let Some(inst) = self.kept_installed(name) {
            if range.contains(&inst.version) {
                return Ok(Some(inst.version.clone()));
            }
        }
        let cands = self.candidates(name)?;
        let pick = |pre_ok: bool| {
            cands
                .versions
                .iter()
                .rev()
                .find(|(v, c)| {
                    c.file.is_some()
                        && range.contains(v)
                        && (pre_ok || !v.any_prerelease())
                        && (!c.yanked || is_singleton(range))
                })
                .map(|(v, _)| v.clone())
        };
        let allow_pre = self.options.pre || self.pre_names.contains(name);
        // pip: pre-releases only with --pre, an explicit pre-release specifier,
        // or when nothing else matches.
        Ok(pick(allow_pre).or_else(|| if allow_pre { None } else { pick(true) }))
    }

    fn get_dependencies(
        &self,
        package: &Pkg,
        version: &Version,
    ) -> Result<Dependencies<Pkg, Ranges<Version>, String>, Error> {
        let mut deps = Deps::new();
        let (name, extra) = match package {
            Pkg::Root => {
                for r in self.root.iter().filter(|r| r.evaluate_markers(self.env, &[])) {
                    if let Err(m) = self.add_requirement(r, &mut deps) {
                        return Err(Error::Other(m));
                    }
                }
                self.prefetch(&deps);
                return Ok(Dependencies::Available(DependencyConstraints::from_iter(deps)));
            }
            Pkg::Base(_) if self.options.no_deps => {
                return Ok(Dependencies::Available(DependencyConstraints::from_iter(deps)))
            }
            Pkg::Base(n) => (n, None),
            Pkg::Extra(n, _) if self.options.no_deps => {
                deps.push((Pkg::Base(n.clone()), Ranges::singleton(version.clone())));
                return Ok(Dependencies::Available(DependencyConstraints::from_iter(deps)));
            }
            Pkg::Extra(n, e) => {
                deps.push((Pkg::Base(n.clone()), Ranges::singleton(version.clone())));
                (n, Some(e))
            }
        };
        let (requires, requires_python) = match self.kept_installed(name).filter(|i| i.version == *version) {
            Some(inst) => (inst.requires_dist.clone(), None),
            None => {
                let cands = self.candidates(name)?;
                let Some(file) = cands.versions.get(version).and_then(|c| c.file.clone()) else {
                    return Ok(Dependencies::Unavailable("no usable file".into()));
                };
                let md = match self.metadata_of(name, version, &file) {
                    Ok(md) => md,
                    Err(e @ Error::Metadata { .. }) => return Ok(Dependencies::Unavailable(e.to_string())),
                    Err(e) => return Err(e),
                };
                (md.requires_dist.clone(), md.requires_python.clone())
            }
        };
        if let Some(rp) = requires_python {
            match VersionSpecifiers::from_str(&rp) {
                Ok(spec) if spec.contains(&self.python) => {}
                Ok(_) => return Ok(Dependencies::Unavailable(format!("requires Python {rp}"))),
                Err(e) => {
                    return Ok(Dependencies::Unavailable(format!(
                        "invalid Requires-Python `{rp}`: {e}"
                    )))
                }
            }
        }
        if let Err(m) = self.dependencies_from(&requires, extra, &mut deps) {
            return Ok(Dependencies::Unavailable(m));
        }
        self.prefetch(&deps);
        Ok(Dependencies::Available(DependencyConstraints::from_iter(deps)))
    }
}

impl<S: Source> Resolver<'_, S> {
    fn prefetch(&self, deps: &Deps) {
        let names: Vec<PackageName> = deps
            .iter()
            .filter_map(|(p, _)| match p {
                Pkg::Base(n) if !self.candidates.borrow().contains_key(n) => Some(n.clone()),
                _ => None,
            })
            .collect();
        if !names.is_empty() {
            self.source.prefetch(&names, &self.options.selector);
        }
    }
}

#[cfg(test)]
mod tests;
