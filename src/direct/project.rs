//! The user's own local projects: `guard install .`, `./dir[extra]`,
//! `-e ./dir`. A local project is not judged as a third-party artifact (it
//! is the user's code), but everything it pulls in is: its dependencies and
//! its build requirements are resolved, downloaded and inspected like any
//! other package before pip builds the project.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep508_rs::{ExtraName, MarkerEnvironment, MarkerTree};

use super::Error;
use crate::requirements::{parse_pep508, Origin, Pep508};
use crate::resolve::metadata::{self as dist_metadata, DistMetadata, Source};

/// The largest project file (`pyproject.toml`, `setup.cfg`, `setup.py`) guard reads.
const MAX_PROJECT_FILE: u64 = 4 << 20;

/// A local project directory, read statically.
#[derive(Debug, Clone)]
pub struct LocalProject {
    /// Absolute path of the project directory.
    pub path: PathBuf,
    pub editable: bool,
    pub extras: Vec<String>,
    /// The project's name (its directory's name when it does not say).
    pub name: String,
    pub version: Option<String>,
    /// Dependencies, Requires-Python and build requirements.
    pub metadata: DistMetadata,
    /// `[build-system] build-backend`, when declared.
    pub backend: Option<String>,
    /// `[build-system] backend-path` (in-tree backends).
    pub backend_path: Vec<String>,
    pub origin: Origin,
}

impl LocalProject {
    /// Reads the project at `path` (pyproject.toml, setup.cfg, literal setup.py).
    pub fn read(path: &Path, editable: bool, extras: &[String], origin: &Origin) -> Result<LocalProject, Error> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let path = path.canonicalize().unwrap_or(path);
        if !path.join("pyproject.toml").is_file() && !path.join("setup.py").is_file() {
            return Err(Error::invalid(
                origin,
                format!(
                    "{} is not a Python project: it has neither pyproject.toml nor setup.py",
                    path.display()
                ),
            ));
        }
        let mut too_large = None;
        let top = |name: &str| -> Option<String> {
            let file = path.join(name);
            let meta = std::fs::metadata(&file).ok()?;
            if meta.len() > MAX_PROJECT_FILE {
                return None;
            }
            std::fs::read(&file)
                .ok()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        };
        if let Ok(meta) = std::fs::metadata(path.join("pyproject.toml")) {
            if meta.len() > MAX_PROJECT_FILE {
                too_large = Some("pyproject.toml");
            }
        }
        if let Some(file) = too_large {
            return Err(Error::invalid(
                origin,
                format!("{}/{file} is larger than {MAX_PROJECT_FILE} bytes", path.display()),
            ));
        }
        let pyproject = top("pyproject.toml");
        let parsed = match &pyproject {
            Some(text) => Some(text.parse::<toml::Table>().map_err(|e| {
                Error::invalid(
                    origin,
                    format!("{}: invalid TOML: {e}", path.join("pyproject.toml").display()),
                )
            })?),
            None => None,
        };
        let backend = parsed
            .as_ref()
            .and_then(|t| t.get("build-system"))
            .and_then(|b| b.get("build-backend"))
            .and_then(|b| b.as_str())
            .map(str::to_string);
        let backend_path = parsed
            .as_ref()
            .and_then(|t| t.get("build-system"))
            .and_then(|b| b.get("backend-path"))
            .and_then(|b| b.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let metadata =
            dist_metadata::from_tree(&top).map_err(|e| Error::invalid(origin, format!("{}: {e}", path.display())))?;
        let (name, version) = super::tree_identity(&top);
        let name = name.unwrap_or_else(|| {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "project".into())
        });
        for extra in extras {
            ExtraName::from_str(extra)
                .map_err(|e| Error::invalid(origin, format!("invalid extra `{extra}` for {name}: {e}")))?;
        }
        Ok(LocalProject {
            path,
            editable,
            extras: extras.to_vec(),
            name,
            version,
            metadata,
            backend,
            backend_path,
            origin: origin.clone(),
        })
    }

    /// Whether only running the project's build can tell its dependencies.
    pub fn dynamic(&self) -> bool {
        self.metadata.source == Source::NeedsBuild
    }

    /// What building it needs: `[build-system] requires`, plus `wheel` for
    /// setuptools backends (setuptools before 70.1 asks for it at build time,
    /// and pip's isolated build cannot fetch it from anywhere else).
    pub fn build_requires(&self) -> Vec<String> {
        let mut reqs = self.metadata.build_requires.clone();
        let setuptools = self
            .backend
            .as_deref()
            .is_none_or(|b| b.starts_with("setuptools.build_meta"));
        let has_wheel = reqs
            .iter()
            .any(|r| parse_pep508(r).is_ok_and(|r| r.name.as_ref() == "wheel"));
        if setuptools && !has_wheel {
            reqs.push("wheel".into());
        }
        reqs
    }

    /// Its dependencies for this environment and the requested extras, as
    /// top-level requirements (markers evaluated here).
    pub fn requirements(&self, env: &MarkerEnvironment) -> Result<Vec<Pep508>, Error> {
        let extras: Vec<ExtraName> = self.extras.iter().filter_map(|e| ExtraName::from_str(e).ok()).collect();
        let mut out = Vec::new();
        for text in &self.metadata.requires_dist {
            let mut req = parse_pep508(text).map_err(|e| {
                Error::invalid(
                    &self.origin,
                    format!("{}: invalid dependency `{text}`: {e}", self.path.display()),
                )
            })?;
            if !req.evaluate_markers(env, &extras) {
                continue;
            }
            req.marker = MarkerTree::TRUE;
            out.push(req);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> MarkerEnvironment {
        crate::interpreter::Interpreter::from_answer("python3".into(), crate::interpreter::tests::sample())
            .unwrap()
            .markers
    }

    #[test]
    fn reads_static_dependencies_and_extras() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n[project]\nname = \"mine\"\nversion = \"0.1\"\ndependencies = [\"idna>=3\", \"colorama; os_name == 'nt'\"]\n[project.optional-dependencies]\ndev = [\"pytest\"]\n",
        )
        .unwrap();
        let o = Origin::CommandLine;
        let p = LocalProject::read(dir.path(), true, &["dev".into()], &o).unwrap();
        assert_eq!(p.name, "mine");
        assert!(!p.dynamic());
        let names: Vec<String> = p
            .requirements(&env())
            .unwrap()
            .iter()
            .map(|r| r.name.to_string())
            .collect();
        assert_eq!(names, ["idna", "pytest"]);
        assert_eq!(p.build_requires(), ["hatchling"]);
        let plain = LocalProject::read(dir.path(), false, &[], &o).unwrap();
        assert_eq!(plain.requirements(&env()).unwrap().len(), 1);
    }

    #[test]
    fn setup_py_projects_and_non_projects() {
        let dir = tempfile::tempdir().unwrap();
        let o = Origin::CommandLine;
        let err = LocalProject::read(dir.path(), false, &[], &o).unwrap_err();
        assert!(err.to_string().contains("not a Python project"), "{err}");
        std::fs::write(
            dir.path().join("setup.py"),
            "from setuptools import setup\nsetup(name='legacy', install_requires=['six'])\n",
        )
        .unwrap();
        let p = LocalProject::read(dir.path(), false, &[], &o).unwrap();
        assert_eq!(p.metadata.requires_dist, ["six"]);
        assert!(p.build_requires().contains(&"wheel".to_string()));
        std::fs::write(
            dir.path().join("setup.py"),
            "from setuptools import setup\nsetup(install_requires=open('r.txt').read().split())\n",
        )
        .unwrap();
        assert!(LocalProject::read(dir.path(), false, &[], &o).unwrap().dynamic());
        std::fs::write(dir.path().join("pyproject.toml"), "[project\n").unwrap();
        let err = LocalProject::read(dir.path(), false, &[], &o).unwrap_err();
        assert!(err.to_string().contains("invalid TOML"), "{err}");
    }
}
