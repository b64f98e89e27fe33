//! Builders for test artifacts: wheels and sdists written in memory from
//! `(path, contents)` pairs. No real malware is stored in the repository.

#![allow(dead_code)]

use std::io::Write;

/// A zip-based artifact (wheel, egg, zip sdist) from `(path, contents)` pairs.
pub fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (path, data) in files {
        w.start_file(*path, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// One raw tar entry: `(name bytes, entry type, link target, data)`.
pub type RawEntry<'a> = (&'a [u8], tar::EntryType, &'a [u8], &'a [u8]);

/// A `.tar.gz` from raw tar entries. Names are written into the header as
/// is, so hostile names survive.
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
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&out).unwrap();
    gz.finish().unwrap()
}

/// A `.tar.gz` sdist from `(path, contents)` pairs.
pub fn tar_gz(files: &[(&str, &[u8])]) -> Vec<u8> {
    let entries: Vec<RawEntry> = files
        .iter()
        .map(|(p, d)| (p.as_bytes(), tar::EntryType::Regular, &b""[..], *d))
        .collect();
    raw_tar_gz(&entries)
}

/// A wheel named `name-version` with the given files and a METADATA.
pub fn wheel(name: &str, version: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    let metadata =
        format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: test fixture\nAuthor: Test\n");
    let dist_info = format!("{name}-{version}.dist-info/METADATA");
    let mut all: Vec<(&str, &[u8])> = files.to_vec();
    all.push((&dist_info, metadata.as_bytes()));
    zip(&all)
}

/// An sdist `name-version.tar.gz` with PKG-INFO and the given files under `name-version/`.
pub fn sdist(name: &str, version: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let root = format!("{name}-{version}");
    let pkg_info =
        format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: test fixture\nAuthor: Test\n");
    let mut owned: Vec<(String, Vec<u8>)> = vec![(format!("{root}/PKG-INFO"), pkg_info.into_bytes())];
    for (p, c) in files {
        owned.push((format!("{root}/{p}"), c.as_bytes().to_vec()));
    }
    let refs: Vec<(&str, &[u8])> = owned.iter().map(|(p, c)| (p.as_str(), c.as_slice())).collect();
    tar_gz(&refs)
}
