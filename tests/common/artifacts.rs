//! The one artifact builder of the tests: wheels and sdists written in memory
//! from `(path, contents)` pairs ([`Package`]), and the archive writers under
//! it (zip, tar, gzip, raw tar headers that keep hostile names). Hostile
//! variants that need patched bytes live in `hostile.rs` and build on these.
//! No real malware is stored in the repository.

use std::io::Write;

use sha2::{Digest, Sha256};

pub fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

// ------------------------------------------------------------------ packages

/// A wheel or sdist of one project, built from `(path, contents)` pairs.
///
/// ```ignore
/// let (filename, bytes) = Package::new("foo", "1.0").file("setup.py", DROPPER).pkg_info().sdist();
/// ```
#[derive(Debug, Clone)]
pub struct Package {
    name: String,
    version: String,
    /// Core metadata header lines after Name and Version.
    headers: String,
    requires: Vec<String>,
    files: Vec<(String, Vec<u8>)>,
    pkg_info: bool,
    stored: bool,
}

impl Package {
    pub fn new(name: &str, version: &str) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            headers: "Summary: guard test fixture\n".into(),
            requires: Vec::new(),
            files: Vec::new(),
            pkg_info: false,
            stored: false,
        }
    }

    /// `path` relative to the wheel's root or the sdist's `name-version/`.
    pub fn file(mut self, path: &str, contents: impl AsRef<[u8]>) -> Package {
        self.files.push((path.into(), contents.as_ref().to_vec()));
        self
    }

    pub fn files<C: AsRef<[u8]>>(mut self, files: &[(&str, C)]) -> Package {
        for (p, c) in files {
            self = self.file(p, c);
        }
        self
    }

    /// `Requires-Dist` lines of the wheel's METADATA (or the sdist's PKG-INFO).
    pub fn requires(mut self, reqs: &[&str]) -> Package {
        self.requires.extend(reqs.iter().map(|r| r.to_string()));
        self
    }

    /// Replaces the metadata header lines after Name and Version.
    pub fn headers(mut self, headers: &str) -> Package {
        self.headers = headers.into();
        self
    }

    /// Gives the sdist a PKG-INFO (wheels always have METADATA).
    pub fn pkg_info(mut self) -> Package {
        self.pkg_info = true;
        self
    }

    /// Writes the wheel's members uncompressed (bulk that stays bulky).
    pub fn stored(mut self) -> Package {
        self.stored = true;
        self
    }

    /// The distribution name as file names spell it.
    pub fn dist(&self) -> String {
        self.name.replace('-', "_")
    }

    fn metadata(&self) -> String {
        let mut m = format!(
            "Metadata-Version: 2.1\nName: {}\nVersion: {}\n{}",
            self.name, self.version, self.headers
        );
        for r in &self.requires {
            m.push_str(&format!("Requires-Dist: {r}\n"));
        }
        m
    }

    /// `dist-version-py3-none-any.whl` with the files, METADATA, WHEEL and RECORD.
    pub fn wheel(self) -> (String, Vec<u8>) {
        let dist = self.dist();
        let info = format!("{dist}-{}.dist-info", self.version);
        let mut files = self.files.clone();
        files.push((format!("{info}/METADATA"), self.metadata().into_bytes()));
        files.push((
            format!("{info}/WHEEL"),
            b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n".to_vec(),
        ));
        files.push((format!("{info}/RECORD"), Vec::new()));
        let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, c)| (p.as_str(), c.as_slice())).collect();
        let method = if self.stored {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        (
            format!("{dist}-{}-py3-none-any.whl", self.version),
            zip_with(&refs, method),
        )
    }

    /// `name-version.tar.gz` with the files (and PKG-INFO when asked) under `name-version/`.
    pub fn sdist(self) -> (String, Vec<u8>) {
        let root = format!("{}-{}", self.name, self.version);
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        if self.pkg_info {
            files.push((format!("{root}/PKG-INFO"), self.metadata().into_bytes()));
        }
        files.extend(self.files.iter().map(|(p, c)| (format!("{root}/{p}"), c.clone())));
        let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, c)| (p.as_str(), c.as_slice())).collect();
        (format!("{root}.tar.gz"), gz(&tar_of(&refs)))
    }
}

/// A wheel with `import` of nothing but `VALUE = 1` and these requirements.
pub fn wheel(name: &str, version: &str, requires: &[&str]) -> (String, Vec<u8>) {
    let p = Package::new(name, version);
    let init = format!("{}/__init__.py", p.dist());
    p.file(&init, "VALUE = 1\n").requires(requires).wheel()
}

/// An sdist holding exactly `files` under `name-version/` (no PKG-INFO unless given).
pub fn sdist(name: &str, version: &str, files: &[(&str, String)]) -> (String, Vec<u8>) {
    Package::new(name, version).files(files).sdist()
}

/// A wheel holding `files` and a METADATA (with an author, so metadata rules stay quiet).
pub fn wheel_files(name: &str, version: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    Package::new(name, version)
        .headers("Summary: test fixture\nAuthor: Test\n")
        .files(files)
        .wheel()
        .1
}

/// An sdist holding `files` and a PKG-INFO (with an author).
pub fn sdist_files(name: &str, version: &str, files: &[(&str, &str)]) -> Vec<u8> {
    Package::new(name, version)
        .headers("Summary: test fixture\nAuthor: Test\n")
        .pkg_info()
        .files(files)
        .sdist()
        .1
}

// ------------------------------------------------------------------ archives

pub fn zip_with(files: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut buf);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(method)
        .large_file(false);
    for (path, data) in files {
        z.start_file(*path, opts).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap();
    buf.into_inner()
}

/// A deflated zip.
pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    zip_with(files, zip::CompressionMethod::Deflated)
}

/// A stored (uncompressed) zip: fixed header offsets tests can patch.
pub fn zip_stored(files: &[(&str, &[u8])]) -> Vec<u8> {
    zip_with(files, zip::CompressionMethod::Stored)
}

/// A well-formed tar (GNU headers, end marker included).
pub fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, path, *data).unwrap();
    }
    b.into_inner().unwrap()
}

pub fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A `.tar.gz` from `(path, contents)` pairs.
pub fn tar_gz(files: &[(&str, &[u8])]) -> Vec<u8> {
    gz(&tar_of(files))
}

/// One raw tar entry: `(name bytes, entry type, link target, data)`.
pub type RawEntry<'a> = (&'a [u8], tar::EntryType, &'a [u8], &'a [u8]);

/// A `.tar.gz` from raw tar entries. Names are written into the header as
/// is, so hostile names (`..`, absolute, links, devices) survive.
pub fn raw_tar_gz(entries: &[RawEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, kind, link, data) in entries {
        let mut h = tar::Header::new_old();
        {
            let old = h.as_old_mut();
            old.name[..name.len()].copy_from_slice(name);
            old.linkname[..link.len()].copy_from_slice(link);
        }
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(*kind);
        h.set_mtime(0);
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    gz(&out)
}
