//! Resolver tests over an in-memory source.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use pep440_rs::Version;
use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder, PackageName};

use super::files::Selector;
use super::metadata::{DistMetadata, Source as MdSource};
use super::*;
use crate::index::{CoreMetadata, DistFile, Project};
use crate::interpreter::Installed;

/// name → [(filename, requires_dist, yanked)]
#[derive(Default)]
struct Fake {
    projects: HashMap<String, Vec<(String, Vec<String>, bool)>>,
}

impl Fake {
    fn add(&mut self, filename: &str, deps: &[&str]) -> &mut Self {
        let name = crate::index::name_of_file(filename).unwrap();
        self.projects.entry(name).or_default().push((
            filename.to_string(),
            deps.iter().map(|s| s.to_string()).collect(),
            false,
        ));
        self
    }

    fn yank(&mut self, filename: &str) {
        for files in self.projects.values_mut() {
            for f in files.iter_mut().filter(|f| f.0 == filename) {
                f.2 = true;
            }
        }
    }
}

impl Source for Fake {
    fn project(&self, name: &PackageName) -> Result<Arc<Project>, Error> {
        let files = self
            .projects
            .get(name.as_ref())
            .ok_or_else(|| Error::Other(format!("no project {name}")))?;
        Ok(Arc::new(Project {
            name: name.to_string(),
            files: files
                .iter()
                .map(|(f, _, yanked)| DistFile {
                    filename: f.clone(),
                    url: url::Url::parse(&format!("https://fake/{f}")).unwrap(),
                    sha256: Some("0".repeat(64)),
                    requires_python: None,
                    core_metadata: CoreMetadata::Available { sha256: None },
                    yanked: yanked.then(String::new),
                    upload_time: None,
                    size: None,
                })
                .collect(),
            index: Some("https://fake/".into()),
            also_on: vec![],
        }))
    }

    fn metadata(&self, name: &PackageName, file: &DistFile) -> Result<Arc<DistMetadata>, Error> {
        let (_, deps, _) = self.projects[name.as_ref()]
            .iter()
            .find(|f| f.0 == file.filename)
            .unwrap();
        Ok(Arc::new(DistMetadata {
            requires_dist: deps.clone(),
            requires_python: None,
            source: MdSource::CoreMetadataFile,
            build_requires: vec![],
        }))
    }
}

fn env() -> MarkerEnvironment {
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: "3.11.7",
        os_name: "posix",
        platform_machine: "x86_64",
        platform_python_implementation: "CPython",
        platform_release: "6",
        platform_system: "Linux",
        platform_version: "1",
        python_full_version: "3.11.7",
        python_version: "3.11",
        sys_platform: "linux",
    })
    .unwrap()
}

fn options(pre: bool) -> Options {
    Options {
        selector: Selector::new(
            &["cp311-cp311-linux_x86_64".to_string(), "py3-none-any".to_string()],
            Version::from_str("3.11.7").unwrap(),
            vec![],
            vec![],
        ),
        pre,
        upgrade: false,
        ignore_installed: false,
        no_deps: false,
    }
}

fn solve(
    fake: &Fake,
    reqs: &[&str],
    cons: &[&str],
    installed: Vec<Installed>,
    opts: Options,
) -> Result<Vec<String>, Error> {
    let env = env();
    let root: Vec<Pep508> = reqs.iter().map(|r| Pep508::from_str(r).unwrap()).collect();
    let cons: Vec<Pep508> = cons.iter().map(|r| Pep508::from_str(r).unwrap()).collect();
    let r = Resolver::new(
        fake,
        &env,
        Version::from_str("3.11.7").unwrap(),
        opts,
        root,
        &cons,
        installed,
    );
    Ok(r.resolve()?
        .into_iter()
        .map(|r| {
            let kept = if r.file.is_none() { " (installed)" } else { "" };
            format!("{}=={}{kept}", r.name, r.version)
        })
        .collect())
}

fn whl(name: &str, v: &str) -> String {
    format!("{name}-{v}-py3-none-any.whl")
}

#[test]
fn picks_newest_compatible_and_backtracks() {
    let mut f = Fake::default();
    f.add(&whl("app", "2.0"), &["lib>=2"])
        .add(&whl("app", "1.0"), &["lib<2"]);
    f.add(&whl("lib", "1.5"), &[]).add(&whl("lib", "2.1"), &["other==9"]);
    f.add(&whl("other", "1.0"), &[]);
    // lib 2.1 needs other==9, which does not exist: backtrack to app 1.0 + lib 1.5.
    assert_eq!(
        solve(&f, &["app"], &[], vec![], options(false)).unwrap(),
        ["app==1.0", "lib==1.5"]
    );
}

#[test]
fn extras_and_markers() {
    let mut f = Fake::default();
    f.add(
        &whl("req", "2.0"),
        &[
            "base",
            "socksy ; extra == 'socks'",
            "winonly ; sys_platform == 'win32'",
            "old ; python_version < '3.8'",
        ],
    );
    f.add(&whl("base", "1.0"), &[]).add(&whl("socksy", "1.0"), &[]);
    assert_eq!(
        solve(&f, &["req"], &[], vec![], options(false)).unwrap(),
        ["base==1.0", "req==2.0"]
    );
    assert_eq!(
        solve(&f, &["req[socks]"], &[], vec![], options(false)).unwrap(),
        ["base==1.0", "req==2.0", "socksy==1.0"]
    );
}

#[test]
fn prereleases_like_pip() {
    let mut f = Fake::default();
    f.add(&whl("a", "1.0"), &[]).add(&whl("a", "2.0b1"), &[]);
    f.add(&whl("onlypre", "1.0rc1"), &[]);
    assert_eq!(solve(&f, &["a"], &[], vec![], options(false)).unwrap(), ["a==1.0"]);
    assert_eq!(solve(&f, &["a"], &[], vec![], options(true)).unwrap(), ["a==2.0b1"]);
    assert_eq!(
        solve(&f, &["a>=2.0b1"], &[], vec![], options(false)).unwrap(),
        ["a==2.0b1"]
    );
    // Only pre-releases exist: pip takes them.
    assert_eq!(
        solve(&f, &["onlypre"], &[], vec![], options(false)).unwrap(),
        ["onlypre==1.0rc1"]
    );
}

#[test]
fn constraints_and_yanked() {
    let mut f = Fake::default();
    f.add(&whl("a", "1.0"), &[])
        .add(&whl("a", "2.0"), &[])
        .add(&whl("a", "3.0"), &[]);
    f.yank(&whl("a", "3.0"));
    assert_eq!(solve(&f, &["a"], &[], vec![], options(false)).unwrap(), ["a==2.0"]);
    assert_eq!(solve(&f, &["a"], &["a<2"], vec![], options(false)).unwrap(), ["a==1.0"]);
    // Yanked files are used only when pinned exactly (PEP 592).
    assert_eq!(solve(&f, &["a==3.0"], &[], vec![], options(false)).unwrap(), ["a==3.0"]);
    // Constraints on names not required add nothing.
    assert_eq!(
        solve(&f, &["a"], &["zzz==1"], vec![], options(false)).unwrap(),
        ["a==2.0"]
    );
    let err = solve(&f, &["a>5"], &[], vec![], options(false)).unwrap_err();
    assert!(matches!(err, Error::NoSolution(_)), "{err}");
}

#[test]
fn installed_kept_unless_upgrade() {
    let mut f = Fake::default();
    f.add(&whl("a", "1.0"), &[]).add(&whl("a", "2.0"), &[]);
    let installed = || {
        vec![Installed {
            name: PackageName::from_str("a").unwrap(),
            version: Version::from_str("1.0").unwrap(),
            requires_dist: vec![],
            requires_python: None,
        }]
    };
    assert_eq!(
        solve(&f, &["a"], &[], installed(), options(false)).unwrap(),
        ["a==1.0 (installed)"]
    );
    assert_eq!(
        solve(&f, &["a>=2"], &[], installed(), options(false)).unwrap(),
        ["a==2.0"]
    );
    let mut up = options(false);
    up.upgrade = true;
    assert_eq!(solve(&f, &["a"], &[], installed(), up).unwrap(), ["a==2.0"]);
    let mut ign = options(false);
    ign.ignore_installed = true;
    assert_eq!(solve(&f, &["a"], &[], installed(), ign).unwrap(), ["a==2.0"]);
}

#[test]
fn incompatible_wheels_skip_versions() {
    let mut f = Fake::default();
    f.add("native-2.0-cp312-cp312-win_amd64.whl", &[])
        .add(&whl("native", "1.0"), &[]);
    assert_eq!(
        solve(&f, &["native"], &[], vec![], options(false)).unwrap(),
        ["native==1.0"]
    );
}
