//! Bounded memory (issue 13): a large approved artifact is streamed from
//! disk, never read whole per request, so concurrent downloads of it do not
//! add its size to guard serve's memory each.

use std::io::Write;

use super::common::{sha, Fault, Index};
use super::{file_path, get, Serve, JSON};

const BIG: usize = 48 << 20;

/// A wheel with one stored (uncompressed) 48 MiB data file of zeros.
fn big_wheel() -> (String, Vec<u8>) {
    let filename = "big_wheel-1.0-py3-none-any.whl".to_string();
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(false);
        let files: [(&str, Vec<u8>); 4] = [
            ("big_wheel/__init__.py", b"VALUE = 1\n".to_vec()),
            ("big_wheel/data.bin", vec![0u8; BIG]),
            (
                "big_wheel-1.0.dist-info/METADATA",
                b"Metadata-Version: 2.1\nName: big-wheel\nVersion: 1.0\nSummary: fixture\n".to_vec(),
            ),
            (
                "big_wheel-1.0.dist-info/WHEEL",
                b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n".to_vec(),
            ),
        ];
        for (path, data) in files {
            zip.start_file(path, stored).unwrap();
            zip.write_all(&data).unwrap();
        }
        zip.finish().unwrap();
    }
    (filename, buf.into_inner())
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

#[test]
fn a_large_artifact_is_streamed_not_buffered_per_request() {
    let dir = tempfile::tempdir().unwrap();
    let index = Index::start();
    let wheel = big_wheel();
    let digest = sha(&wheel.1);
    index.add("big-wheel", wheel, Fault::None);
    let serve = Serve::start(&dir.path().join("cache"), &["--upstream", &index.url()]);
    let path = file_path(
        &serve.get("/simple/big-wheel/", Some(JSON)),
        "big_wheel-1.0-py3-none-any.whl",
    );
    // The first request downloads and inspects it (that reads it whole, once).
    let first = serve.get(&path, None);
    assert_eq!(first.status, 200, "{} {}", first.reason, serve.log_text());
    assert_eq!(sha(&first.body), digest);
    let before = peak_rss_kib(serve.pid());

    let clients: Vec<_> = (0..6)
        .map(|_| {
            let (addr, path) = (serve.addr.clone(), path.clone());
            std::thread::spawn(move || {
                let r = get(&addr, &path, None);
                (r.status, sha(&r.body))
            })
        })
        .collect();
    for c in clients {
        assert_eq!(c.join().unwrap(), (200, digest.clone()));
    }
    let after = peak_rss_kib(serve.pid());
    let grew_mib = after.saturating_sub(before) / 1024;
    // Buffered, six concurrent copies would add about 6 × 48 MiB.
    assert!(
        grew_mib < 48,
        "peak RSS grew by {grew_mib} MiB serving 6 concurrent copies of a 48 MiB file ({before} → {after} KiB)"
    );
    assert_eq!(serve.inspections(), 1);
}
