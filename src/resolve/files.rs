//! Distribution file names and the choice of file for a version: the best
//! compatible wheel by tag priority, an sdist only when no wheel fits (or
//! `--no-binary`).

use std::collections::HashMap;
use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};

use crate::index::DistFile;
use crate::metadata::normalize;

/// What a file name says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    /// A wheel and its expanded tags (`py3-none-any`, …).
    Wheel {
        tags: Vec<String>,
    },
    Sdist,
}

/// Parses a distribution file name into (normalized name, version, kind).
/// Returns `None` for files guard does not handle (eggs, `.exe`, …).
pub fn parse_filename(filename: &str, project: &str) -> Option<(Version, FileKind)> {
    let lower = filename.to_ascii_lowercase();
    if let Some(stem) = filename
        .strip_suffix(".whl")
        .or_else(|| lower.ends_with(".whl").then(|| &filename[..filename.len() - 4]))
    {
        let parts: Vec<&str> = stem.split('-').collect();
        if !(parts.len() == 5 || parts.len() == 6) || normalize(parts[0]) != project {
            return None;
        }
        let version = Version::from_str(parts[1]).ok()?;
        let n = parts.len();
        let (py, abi, plat) = (parts[n - 3], parts[n - 2], parts[n - 1]);
        let mut tags = Vec::new();
        for p in py.split('.') {
            for a in abi.split('.') {
                for pl in plat.split('.') {
                    tags.push(format!("{p}-{a}-{pl}"));
                }
            }
        }
        return Some((version, FileKind::Wheel { tags }));
    }
    let stem_len = [".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz"]
        .iter()
        .find(|s| lower.ends_with(*s))
        .map(|s| filename.len() - s.len())?;
    let stem = &filename[..stem_len];
    // The name part may itself contain `-`: try every split whose name normalizes to the project.
    for (i, _) in stem.match_indices('-') {
        if normalize(&stem[..i]) == project {
            let version = Version::from_str(&stem[i + 1..]).ok()?;
            return Some((version, FileKind::Sdist));
        }
    }
    None
}

/// Everything that decides which file of a version may be used.
#[derive(Debug, Clone)]
pub struct Selector {
    /// Tag → priority (0 = best), from the interpreter.
    pub tags: HashMap<String, usize>,
    pub python: Version,
    /// `:all:` or normalized names.
    pub no_binary: Vec<String>,
    pub only_binary: Vec<String>,
}

impl Selector {
    pub fn new(tags: &[String], python: Version, no_binary: Vec<String>, only_binary: Vec<String>) -> Selector {
        let mut map = HashMap::new();
        for (i, t) in tags.iter().enumerate() {
            map.entry(t.clone()).or_insert(i);
        }
        Selector {
            tags: map,
            python,
            no_binary,
            only_binary,
        }
    }

    fn applies(list: &[String], name: &str) -> bool {
        let named = list.iter().any(|n| n == name);
        named || (list.iter().any(|n| n == ":all:") && !list.iter().any(|n| n == ":none:"))
    }

    pub fn wheels_allowed(&self, name: &str) -> bool {
        !Self::applies(&self.no_binary, name)
    }

    pub fn sdists_allowed(&self, name: &str) -> bool {
        !Self::applies(&self.only_binary, name)
    }

    /// The best tag priority of a wheel, `None` when no tag is supported.
    pub fn wheel_priority(&self, tags: &[String]) -> Option<usize> {
        tags.iter().filter_map(|t| self.tags.get(t)).min().copied()
    }

    /// Whether the file's `requires-python` admits the interpreter. An
    /// unparseable specifier rejects the file (fail closed).
    pub fn python_ok(&self, requires_python: Option<&str>) -> bool {
        match requires_python {
            None => true,
            Some(s) => VersionSpecifiers::from_str(s).is_ok_and(|spec| spec.contains(&self.python)),
        }
    }

    /// Picks the file to use among one version's files.
    pub fn pick<'a>(&self, project: &str, files: &'a [(DistFile, FileKind)]) -> Option<&'a DistFile> {
        let mut best_wheel: Option<(usize, &DistFile)> = None;
        let mut sdist: Option<&DistFile> = None;
        for (file, kind) in files {
            if !self.python_ok(file.requires_python.as_deref()) {
                continue;
            }
            match kind {
                FileKind::Wheel { tags } if self.wheels_allowed(project) => {
                    if let Some(p) = self.wheel_priority(tags) {
                        if best_wheel.is_none_or(|(bp, _)| p < bp) {
                            best_wheel = Some((p, file));
                        }
                    }
                }
                // Prefer .tar.gz over .zip when both exist.
                FileKind::Sdist
                    if self.sdists_allowed(project) && sdist.is_none_or(|s| !s.filename.ends_with(".tar.gz")) =>
                {
                    sdist = Some(file);
                }
                _ => {}
            }
        }
        best_wheel.map(|(_, f)| f).or(sdist)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::CoreMetadata;

    fn file(name: &str) -> DistFile {
        DistFile {
            filename: name.into(),
            url: url::Url::parse(&format!("https://x/{name}")).unwrap(),
            sha256: None,
            requires_python: None,
            core_metadata: CoreMetadata::Absent,
            yanked: None,
            upload_time: None,
            size: None,
        }
    }

    #[test]
    fn parses_names() {
        let (v, k) = parse_filename("Foo_Bar-1.0.post1-1-py2.py3-none-any.whl", "foo-bar").unwrap();
        assert_eq!(v.to_string(), "1.0.post1");
        assert_eq!(
            k,
            FileKind::Wheel {
                tags: vec!["py2-none-any".into(), "py3-none-any".into()]
            }
        );
        let (v, k) = parse_filename("foo-bar-2.0rc1.tar.gz", "foo-bar").unwrap();
        assert_eq!((v.to_string().as_str(), k), ("2.0rc1", FileKind::Sdist));
        assert!(parse_filename("other-1.0.tar.gz", "foo-bar").is_none());
        assert!(parse_filename("foo-1.0-py3.8.egg", "foo").is_none());
    }

    #[test]
    fn picks_best_wheel_then_sdist() {
        let tags: Vec<String> = [
            "cp311-cp311-manylinux_2_17_x86_64",
            "cp311-abi3-manylinux_2_17_x86_64",
            "py3-none-any",
        ]
        .map(String::from)
        .to_vec();
        let sel = Selector::new(&tags, Version::from_str("3.11.7").unwrap(), vec![], vec![]);
        let files: Vec<(DistFile, FileKind)> = [
            "foo-1.0.tar.gz",
            "foo-1.0-py3-none-any.whl",
            "foo-1.0-cp311-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "foo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
            "foo-1.0-cp311-cp311-win_amd64.whl",
        ]
        .iter()
        .map(|n| {
            let (_, k) = parse_filename(n, "foo").unwrap();
            (file(n), k)
        })
        .collect();
        assert_eq!(
            sel.pick("foo", &files).unwrap().filename,
            "foo-1.0-cp311-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
        );
        let no_bin = Selector::new(&tags, sel.python.clone(), vec![":all:".into()], vec![]);
        assert_eq!(no_bin.pick("foo", &files).unwrap().filename, "foo-1.0.tar.gz");
        let only_bin = Selector::new(&tags, sel.python.clone(), vec![], vec!["foo".into()]);
        assert!(only_bin.pick("foo", &files[..1]).is_none());
        // Only incompatible wheels: fall back to the sdist.
        assert_eq!(
            sel.pick("foo", &[files[0].clone(), files[3].clone()]).unwrap().filename,
            "foo-1.0.tar.gz"
        );
        let mut old = files[1].clone();
        old.0.requires_python = Some(">=3.12".into());
        assert!(sel.pick("foo", &[old]).is_none());
    }
}
