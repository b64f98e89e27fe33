//! The one in-tree PEP 517 backend of the install tests
//! (`tests/fixtures/backend.py`) and the projects built with it: sdists on
//! the test index and the user's own local projects.

use std::path::Path;

use super::artifacts::Package;

/// The backend's source; projects ship it as `_backend/backend.py`.
pub const BACKEND: &str = include_str!("../fixtures/backend.py");

/// A `pyproject.toml` whose build runs [`BACKEND`]; it imports each of
/// `build_requires` (so the build needs them from guard's inspected files).
pub fn pyproject(name: &str, version: &str, deps: &[&str], build_requires: &[&str]) -> String {
    let quoted = |items: &[&str]| items.iter().map(|d| format!("{d:?}")).collect::<Vec<_>>().join(", ");
    format!(
        "[build-system]\nrequires = [{}]\nbuild-backend = \"backend\"\nbackend-path = [\"_backend\"]\n\n\
         [project]\nname = \"{name}\"\nversion = \"{version}\"\ndependencies = [{}]\n",
        quoted(build_requires),
        quoted(deps)
    )
}

/// An sdist built by [`BACKEND`], with static metadata (PKG-INFO 2.2), no
/// dependencies, and `src/<module>/__init__.py` holding `init`.
pub fn backend_sdist(name: &str, version: &str, build_requires: &[&str], init: &str) -> (String, Vec<u8>) {
    let p = Package::new(name, version).headers("Summary: a benign sdist\n");
    let module = p.dist();
    p.pkg_info()
        .file("pyproject.toml", pyproject(name, version, &[], build_requires))
        .file("_backend/backend.py", BACKEND)
        .file(&format!("src/{module}/__init__.py"), init)
        .sdist()
}

/// Writes the user's own project `dir` named `name` with these dependencies,
/// built by [`BACKEND`] with setuptools (provided offline, from guard's
/// inspected files); its module holds `VALUE = 'v1'`.
pub fn local_project(dir: &Path, name: &str, version: &str, deps: &[&str]) {
    let module = name.replace('-', "_");
    std::fs::create_dir_all(dir.join("src").join(&module)).unwrap();
    std::fs::create_dir_all(dir.join("_backend")).unwrap();
    std::fs::write(dir.join("_backend/backend.py"), BACKEND).unwrap();
    std::fs::write(
        dir.join("pyproject.toml"),
        pyproject(name, version, deps, &["setuptools"]),
    )
    .unwrap();
    std::fs::write(dir.join("src").join(&module).join("__init__.py"), "VALUE = 'v1'\n").unwrap();
}
