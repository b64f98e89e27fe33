//! Test helpers for rules: in-memory artifacts built from `(path, contents)` pairs.

use std::io::Write;

use crate::inspect::{self, Finding};

/// An artifact to build: its file name and members.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub filename: String,
    pub members: Vec<(String, String)>,
}

/// Typical metadata of a small, honest project.
pub fn pkg_info(name: &str, version: &str) -> String {
    format!(
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: Utilities for parsing and validating widget \
         configuration files\nHome-page: https://github.com/example/{name}\nAuthor: Jane Doe\nAuthor-email: \
         jane@example.org\nLicense: MIT\n\n# {name}\n\nA longer description of what {name} does and how to use it.\n"
    )
}

impl Artifact {
    /// An sdist `NAME-VERSION.tar.gz` with PKG-INFO, setup.py and one module.
    pub fn sdist(name: &str, version: &str) -> Artifact {
        let root = format!("{name}-{version}");
        Artifact {
            filename: format!("{root}.tar.gz"),
            members: vec![
                (format!("{root}/PKG-INFO"), pkg_info(name, version)),
                (
                    format!("{root}/setup.py"),
                    format!("from setuptools import setup\nsetup(name={name:?}, version={version:?})\n"),
                ),
                (format!("{root}/src/{name}/__init__.py"), "__all__ = []\n".into()),
            ],
        }
    }

    /// A wheel `NAME-VERSION-py3-none-any.whl` with METADATA and one module.
    pub fn wheel(name: &str, version: &str) -> Artifact {
        let dist_info = format!("{name}-{version}.dist-info");
        Artifact {
            filename: format!("{name}-{version}-py3-none-any.whl"),
            members: vec![
                (format!("{dist_info}/METADATA"), pkg_info(name, version)),
                (format!("{name}/__init__.py"), "__all__ = []\n".into()),
            ],
        }
    }

    /// Replaces the metadata member's text.
    pub fn with_metadata(mut self, text: &str) -> Artifact {
        for (path, contents) in &mut self.members {
            if path.ends_with("PKG-INFO") || path.ends_with("METADATA") {
                *contents = text.to_string();
            }
        }
        self
    }

    /// Adds or replaces a member by its path relative to the sdist root (or wheel root).
    pub fn with_file(mut self, rel: &str, contents: &str) -> Artifact {
        let prefix = self.root();
        let path = format!("{prefix}{rel}");
        self.members.retain(|(p, _)| *p != path);
        self.members.push((path, contents.to_string()));
        self
    }

    fn root(&self) -> String {
        if self.filename.ends_with(".tar.gz") {
            format!("{}/", self.filename.trim_end_matches(".tar.gz"))
        } else {
            String::new()
        }
    }

    /// The archive bytes: tar.gz for sdists, zip otherwise.
    pub fn bytes(&self) -> Vec<u8> {
        if self.filename.ends_with(".tar.gz") {
            let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            let mut tar = tar::Builder::new(gz);
            for (path, contents) in &self.members {
                let mut header = tar::Header::new_gnu();
                header.set_size(contents.len() as u64);
                header.set_mode(0o644);
                header.set_cksum();
                tar.append_data(&mut header, path, contents.as_bytes()).unwrap();
            }
            tar.into_inner().unwrap().finish().unwrap()
        } else {
            let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            for (path, contents) in &self.members {
                zip.start_file(path.as_str(), zip::write::SimpleFileOptions::default())
                    .unwrap();
                zip.write_all(contents.as_bytes()).unwrap();
            }
            zip.finish().unwrap().into_inner()
        }
    }
}

/// Inspects the artifact and keeps the findings of one rule.
pub fn findings(artifact: &Artifact, rule: &str) -> Vec<Finding> {
    inspect::inspect_bytes(&artifact.filename, &artifact.bytes())
        .findings
        .into_iter()
        .filter(|f| f.rule == rule)
        .collect()
}
