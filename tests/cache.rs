//! The shared artifact cache under concurrency and corruption (issue 7,
//! item 5): guard processes sharing one `--cache-dir` at the same time, a
//! cache entry whose bytes do not match its hash, and a guard killed in the
//! middle of a download. Verified files enter the cache only by an atomic
//! rename from a per-process temporary name (`tmp/.guard-<pid>-<random>.part`).

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant, SystemTime};

mod common;

use common::{assert_cache_clean, cached_files, dry_run, dry_run_command, files_under, sha, wheel, Fault, Index};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn planned(o: &Output) -> Vec<(String, String)> {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(o));
    let plan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut out: Vec<(String, String)> = plan["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().into(), p["sha256"].as_str().unwrap().into()))
        .collect();
    out.sort();
    out
}

/// A wheel with some bulk, so that downloads take a moment.
fn bulky_wheel(name: &str, kib: usize) -> (String, Vec<u8>) {
    let p = common::artifacts::Package::new(name, "1.0").stored();
    let dist = p.dist();
    let data: Vec<u8> = (0..kib * 1024).map(|i| (i * 7919 % 251) as u8).collect();
    p.file(&format!("{dist}/__init__.py"), "VALUE = 1\n")
        .file(&format!("{dist}/data.bin"), data)
        .wheel()
}

#[test]
fn two_guards_sharing_a_cache_both_succeed_and_store_each_file_once() {
    let index = Index::start();
    let mut names = Vec::new();
    let mut expected = Vec::new();
    for i in 0..6 {
        let name = format!("pkg{i}");
        let w = bulky_wheel(&name, 256);
        expected.push((name.clone(), sha(&w.1)));
        // Each file answers after a pause, so both runs are mid-download together.
        index.add(&name, w, Fault::Delay(700));
        names.push(name);
    }
    let cache = tempfile::tempdir().unwrap();
    let args: Vec<&str> = names.iter().map(String::as_str).collect();
    let children: Vec<_> = (0..2)
        .map(|_| {
            dry_run_command(&index, cache.path(), &[&args[..], &["--timeout", "5"]].concat())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<Output> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    for out in &outs {
        assert_eq!(planned(out), expected);
    }
    // Both really downloaded at the same time (not one after the other from the cache).
    let files: Vec<PathBuf> = cached_files(cache.path());
    assert_eq!(files.len(), names.len(), "{files:?}");
    let mut by_hash: Vec<String> = files
        .iter()
        .map(|f| f.parent().unwrap().file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    by_hash.sort();
    by_hash.dedup();
    assert_eq!(by_hash.len(), names.len(), "each file exactly once: {files:?}");
    assert_cache_clean(cache.path());
    let fetched: usize = names
        .iter()
        .map(|n| index.hits(&format!("/files/{n}-1.0-py3-none-any.whl")))
        .sum();
    assert!(fetched > names.len(), "the runs did not overlap ({fetched} downloads)");
}

fn only_cached(cache: &Path) -> PathBuf {
    let files = cached_files(cache);
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

#[test]
fn a_corrupt_cache_entry_is_detected_and_downloaded_again() {
    let index = Index::start();
    let (name, bytes) = wheel("lib", "1.0", &[]);
    let file = format!("/files/{name}");
    let good = sha(&bytes);
    index.add("lib", (name, bytes.clone()), Fault::None);
    let cache = tempfile::tempdir().unwrap();
    assert_eq!(
        planned(&dry_run(&index, cache.path(), &["lib"])),
        [("lib".into(), good.clone())]
    );
    let entry = only_cached(cache.path());
    assert_eq!(index.hits(&file), 1);

    // The same name under the same hash, other bytes: a tampered or damaged entry.
    let evil = wheel("lib", "1.0", &["evil-dependency"]).1;
    for (round, replacement) in [evil.clone(), bytes[..bytes.len() / 2].to_vec(), Vec::new()]
        .into_iter()
        .enumerate()
    {
        std::fs::write(&entry, &replacement).unwrap();
        let out = dry_run(&index, cache.path(), &["lib"]);
        assert_eq!(planned(&out), [("lib".into(), good.clone())]);
        assert!(!stderr(&out).contains("evil-dependency"), "{}", stderr(&out));
        assert_eq!(index.hits(&file), round + 2, "round {round}: the entry was trusted");
        assert_eq!(std::fs::read(&entry).unwrap(), bytes);
        assert_cache_clean(cache.path());
    }

    // A corrupt entry planted before the first download is not trusted either,
    // and when the download then fails, it does not stay behind.
    let index = Index::start();
    index.add("lib", wheel("lib", "1.0", &[]), Fault::FailFirst(100));
    let cache = tempfile::tempdir().unwrap();
    let planted = cache
        .path()
        .join("artifacts-v1")
        .join(&good[..2])
        .join(&good)
        .join(entry.file_name().unwrap());
    std::fs::create_dir_all(planted.parent().unwrap()).unwrap();
    std::fs::write(&planted, &evil).unwrap();
    let out = dry_run(&index, cache.path(), &["lib", "--retries", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("HTTP 500"), "{}", stderr(&out));
    assert!(!planted.exists(), "the corrupt entry was kept");
    assert_cache_clean(cache.path());
}

/// A guard killed mid-download leaves at most a `.part` file in `tmp/`,
/// never a file under `artifacts-v1`; a later run is unaffected and sweeps
/// partial files older than an hour.
#[test]
fn a_killed_download_leaves_nothing_that_looks_valid() {
    let index = Index::start();
    let (name, bytes) = wheel("lib", "1.0", &[]);
    let file = format!("/files/{name}");
    index.add("lib", (name, bytes.clone()), Fault::Drip(50));
    let cache = tempfile::tempdir().unwrap();
    let mut child = dry_run_command(&index, cache.path(), &["lib", "--timeout", "5"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let tmp = cache.path().join("tmp");
    let started = Instant::now();
    while files_under(&tmp).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the download never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = files_under(&tmp);
    assert_eq!(partial.len(), 1, "{partial:?}");
    let part_name = partial[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        part_name.starts_with(&format!(".guard-{}-", child.id())) && part_name.ends_with(".part"),
        "temporary names carry the pid: {part_name}"
    );
    assert!(cached_files(cache.path()).is_empty());

    // A fresh partial file (maybe another guard's, still running) is kept; an old one is swept.
    let fresh = tmp.join(".guard-1-fresh.part");
    std::fs::write(&fresh, b"in progress").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&partial[0])
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(2 * 3600))
        .unwrap();
    index.route(&file, bytes.clone(), "application/octet-stream", Fault::None);
    let out = dry_run(&index, cache.path(), &["lib"]);
    assert_eq!(planned(&out), [("lib".into(), sha(&bytes))]);
    assert_eq!(files_under(&tmp), std::slice::from_ref(&fresh));
    std::fs::remove_file(&fresh).unwrap();
    assert_cache_clean(cache.path());
}
