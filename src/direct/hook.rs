//! Dependencies of the user's own project when only its build can tell
//! (`install_requires=open("requirements.txt")…`): the PEP 517
//! `prepare_metadata_for_build_wheel` (or `…_editable`) hook runs, as pip
//! would run it. That runs the user's own code and the build backend — and
//! the backend comes only from files guard resolved, downloaded, inspected
//! and had approved, installed into a private directory; the interpreter runs
//! without `site`, so nothing else installed is importable.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::project::LocalProject;
use crate::resolve::metadata::{from_core_metadata, DistMetadata, Source};

/// Runs the backend's metadata hook and reads the `METADATA` it wrote.
const SCRIPT: &str = r#"
import importlib, json, os, sys
spec, out, editable, paths = sys.argv[1], sys.argv[2], sys.argv[3] == "1", json.loads(sys.argv[4])
for p in reversed(paths):
    sys.path.insert(0, os.path.abspath(p))
module, _, attr = spec.partition(":")
backend = importlib.import_module(module.strip())
for part in filter(None, attr.strip().split(".")):
    backend = getattr(backend, part)
names = ["prepare_metadata_for_build_editable"] if editable else []
names.append("prepare_metadata_for_build_wheel")
for name in names:
    hook = getattr(backend, name, None)
    if hook is not None:
        break
else:
    sys.stderr.write("the build backend %s has no prepare_metadata hook\n" % spec)
    sys.exit(3)
dist_info = hook(out, {})
sys.stdout.write("\n" + os.path.join(out, dist_info) + "\n")
"#;

/// The default backend of projects without `[build-system] build-backend` (as pip).
pub const LEGACY_BACKEND: &str = "setuptools.build_meta:__legacy__";

/// Runs the hook of `project` with `python`, importing only from `site`
/// (`None`: `--no-build-isolation`, the target environment as it is).
/// Returns the dependency metadata and the project's name, as the hook says.
pub fn prepare_metadata(
    project: &LocalProject,
    python: &Path,
    site: Option<&Path>,
) -> Result<(DistMetadata, Option<String>), String> {
    let out = tempfile::tempdir().map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let backend = project.backend.clone().unwrap_or_else(|| LEGACY_BACKEND.to_string());
    let paths = serde_json::to_string(&project.backend_path).unwrap_or_else(|_| "[]".into());
    let mut command = Command::new(python);
    if let Some(site) = site {
        command.arg("-S").arg("-s").env("PYTHONPATH", site);
    }
    let output = command
        .arg("-c")
        .arg(SCRIPT)
        .arg(&backend)
        .arg(out.path())
        .arg(if project.editable { "1" } else { "0" })
        .arg(&paths)
        .current_dir(&project.path)
        .env_remove("PYTHONHOME")
        .env("PYTHONNOUSERSITE", "1")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = err.lines().rev().take(12).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "its build backend `{backend}` could not prepare metadata:\n{}",
            tail.join("\n")
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let dist_info = stdout
        .lines()
        .next_back()
        .map(PathBuf::from)
        .ok_or("the metadata hook said nothing")?;
    if !dist_info.starts_with(out.path()) {
        return Err(format!(
            "the metadata hook answered {}, outside its directory",
            dist_info.display()
        ));
    }
    let text = std::fs::read_to_string(dist_info.join("METADATA"))
        .map_err(|e| format!("the metadata hook wrote no readable METADATA: {e}"))?;
    let mut md = from_core_metadata("METADATA", &text, Source::BuildHook).map_err(|e| e.to_string())?;
    md.build_requires = project.metadata.build_requires.clone();
    Ok((md, crate::metadata::CoreMetadata::parse(&text).name))
}
