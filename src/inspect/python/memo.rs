//! Analyses of identical sources, shared across the artifacts of one run.
//!
//! Scanning several versions of a project, or a folder of look-alike
//! uploads, meets the same files again and again: the same `setup.py`
//! template, the same vendored library. A file's facts depend only on its
//! text, its [`Role`] and its path (which only names it), so an analysis is
//! kept by text and role and handed out again under the new path.
//!
//! A hit is confirmed by comparing the whole text, never by a hash alone: a
//! crafted collision cannot make one file inherit another's (clean) facts.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock};

use rustc_hash::{FxHashMap, FxHasher};

use super::PyFile;
use crate::inspect::Role;

/// Bytes of source text kept at most; the store starts over when full.
const MAX_KEPT: usize = 64 << 20;
/// Sources smaller than this are analysed faster than they are looked up and copied.
const MIN_SOURCE: usize = 512;
/// Sources larger than this are kept out: one would crowd out many.
const MAX_SOURCE: usize = 4 << 20;

#[derive(Default)]
struct Store {
    files: FxHashMap<(u64, Role), Arc<PyFile>>,
    kept: usize,
}

fn store() -> &'static Mutex<Store> {
    static STORE: OnceLock<Mutex<Store>> = OnceLock::new();
    STORE.get_or_init(Mutex::default)
}

fn key(source: &str, role: Role) -> (u64, Role) {
    let mut h = FxHasher::default();
    source.hash(&mut h);
    (h.finish(), role)
}

/// The analysis of `source` as `role` at `path`: a copy of an earlier
/// analysis of the same text and role when there is one, else `analyse()`'s.
pub fn analysed(path: &str, role: Role, source: String, analyse: impl FnOnce(String) -> PyFile) -> PyFile {
    if !(MIN_SOURCE..=MAX_SOURCE).contains(&source.len()) {
        return analyse(source);
    }
    let key = key(&source, role);
    let hit = store().lock().ok().and_then(|s| s.files.get(&key).cloned());
    if let Some(file) = hit.filter(|f| f.source == source) {
        let mut file = PyFile::clone(&file);
        rename(&mut file, path);
        return file;
    }
    let file = analyse(source);
    if let Ok(mut s) = store().lock() {
        if s.kept + file.source.len() > MAX_KEPT {
            s.files.clear();
            s.kept = 0;
        }
        s.kept += file.source.len();
        s.files.insert(key, Arc::new(file.clone()));
    }
    file
}

/// Names `file` and the payloads decoded inside it after `path`.
fn rename(file: &mut PyFile, path: &str) {
    file.path = path.to_string();
    for p in &mut file.payloads {
        if let Some(code) = &mut p.code {
            rename(code, path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::python::analyse_source;

    #[test]
    fn a_copy_is_renamed_and_the_text_decides() {
        let src = format!(
            "import base64, os\nexec(base64.b64decode('b3Muc3lzdGVtKCJpZCIp'))\n{}",
            "# padding\n".repeat(60)
        );
        let first = analysed("a-1.0/setup.py", Role::SetupScript, src.clone(), |s| {
            analyse_source("a-1.0/setup.py", Role::SetupScript, s, 0)
        });
        // The same text elsewhere: the earlier analysis, under the new name.
        let second = analysed("b-2.0/setup.py", Role::SetupScript, src.clone(), |_| {
            panic!("analysed twice")
        });
        assert_eq!(second.path, "b-2.0/setup.py");
        assert_eq!(second.payloads[0].code.as_ref().unwrap().path, "b-2.0/setup.py");
        assert_eq!(first.calls.len(), second.calls.len());
        // Another role, or other text, is analysed afresh.
        let mut fresh = false;
        analysed("b-2.0/x.py", Role::Module, src.clone(), |s| {
            fresh = true;
            analyse_source("b-2.0/x.py", Role::Module, s, 0)
        });
        assert!(fresh);
        let other = src.replace("padding", "paddinG");
        let mut fresh = false;
        analysed("c/setup.py", Role::SetupScript, other, |s| {
            fresh = true;
            analyse_source("c/setup.py", Role::SetupScript, s, 0)
        });
        assert!(fresh);
    }
}
