//! Index and download faults from a local server (issue 7, item 4): each one
//! ends in success after bounded retries or in a clear error that names the
//! URL, the cache never keeps a partial or unverified file, and nothing is
//! installed (`guard install --dry-run`). Timeouts are short (`--timeout`),
//! so no case waits for real-world defaults.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

mod common;

use common::{assert_cache_clean, cached_files, dry_run, sha, wheel, Fault, Index};

const FILE: &str = "/files/lib-1.0-py3-none-any.whl";
const PAGE: &str = "/simple/lib/";

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn index_with_lib() -> Index {
    let index = Index::start();
    index.add("lib", wheel("lib", "1.0", &[]), Fault::None);
    index
}

/// guard succeeded and planned exactly lib 1.0, verified in the cache.
fn assert_planned_lib(out: &Output, cache: &Path) {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["packages"][0]["name"], "lib");
    assert_eq!(plan["packages"].as_array().unwrap().len(), 1);
    assert_eq!(cached_files(cache).len(), 1);
    assert_cache_clean(cache);
}

/// guard failed with exit 2 (network/hash error), printed nothing on stdout,
/// named `url_part` and one of `needles`, and left the cache clean.
fn assert_failed(out: &Output, cache: &Path, url_part: &str, needles: &[&str]) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(err.contains(url_part), "error does not name {url_part}: {err}");
    assert!(
        needles.iter().any(|n| err.contains(n)),
        "expected one of {needles:?}: {err}"
    );
    assert!(cached_files(cache).is_empty(), "{:?}", cached_files(cache));
    assert_cache_clean(cache);
    err
}

#[test]
fn transient_file_faults_are_retried_to_success() {
    for fault in [
        Fault::FailFirst(2),
        Fault::Truncate(Some(1)),
        Fault::Reset(Some(2)),
        Fault::TooMany {
            first: 1,
            retry_after: 0,
        },
    ] {
        let index = Index::start();
        index.add("lib", wheel("lib", "1.0", &[]), fault);
        let cache = tempfile::tempdir().unwrap();
        let out = dry_run(&index, cache.path(), &["lib"]);
        assert_planned_lib(&out, cache.path());
        assert!(index.hits(FILE) >= 2, "{fault:?}: the fault was not hit");
        assert!(index.hits(FILE) <= 3, "{fault:?}: retries are bounded");
    }
}

#[test]
fn transient_page_faults_are_retried_to_success() {
    for fault in [Fault::FailFirst(2), Fault::Reset(Some(1)), Fault::Truncate(Some(1))] {
        let index = index_with_lib();
        index.page_fault("lib", fault);
        let cache = tempfile::tempdir().unwrap();
        let out = dry_run(&index, cache.path(), &["lib"]);
        assert_planned_lib(&out, cache.path());
        assert!(index.hits(PAGE) >= 2, "{fault:?}: the fault was not hit");
    }
}

/// Faults that persist end in exit 2 with the URL and the problem named, after
/// at most `--retries` + 1 attempts, with nothing cached.
#[test]
fn persistent_file_faults_fail_clearly_and_leave_no_partial_file() {
    let cases: &[(Fault, &[&str])] = &[
        (Fault::Reset(None), &["reset", "cut short"]),
        (Fault::Truncate(None), &["cut short"]),
        // Content-Length too long (more announced than sent) is Truncate; too short:
        (Fault::ShortLength, &["expected", "sha256 mismatch"]),
        (Fault::ChunkedCut, &["cut short"]),
        (Fault::CloseDelimitedCut, &["expected", "sha256 mismatch"]),
        (Fault::RedirectLoop, &["redirect"]),
        (Fault::Endless, &["expected", "more than"]),
        (Fault::HugeLength(200_000_000), &["expected", "more than", "announces"]),
    ];
    for (fault, needles) in cases {
        let index = Index::start();
        index.add("lib", wheel("lib", "1.0", &[]), *fault);
        let cache = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let out = dry_run(&index, cache.path(), &["lib", "--timeout", "1", "--retries", "1"]);
        let err = assert_failed(&out, cache.path(), FILE, needles);
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{fault:?} took {:?}",
            started.elapsed()
        );
        let hits = index.hits(FILE);
        assert!(
            (1..=2).contains(&hits) || *fault == Fault::RedirectLoop,
            "{fault:?}: {hits} attempts"
        );
        eprintln!("{fault:?} → {}", err.trim_end().lines().last().unwrap_or_default());
    }
}

#[test]
fn hash_mismatch_is_refused_and_never_cached() {
    let index = Index::start();
    let (name, bytes) = wheel("lib", "1.0", &[]);
    let actual = sha(&bytes);
    let announced = sha(b"something else");
    index.add_with_hash("lib", (name, bytes), Fault::None, &announced);
    let cache = tempfile::tempdir().unwrap();
    let out = dry_run(&index, cache.path(), &["lib"]);
    let err = assert_failed(&out, cache.path(), FILE, &["sha256 mismatch"]);
    assert!(err.contains(&actual) && err.contains(&announced), "{err}");
    assert_eq!(index.hits(FILE), 1, "a hash mismatch is not a transient fault");
}

#[test]
fn persistent_page_faults_fail_clearly() {
    let cases: &[(Fault, &[&str])] = &[
        (Fault::FailFirst(100), &["HTTP 500"]),
        (Fault::Reset(None), &["reset", "cut short", "cannot reach"]),
        (Fault::Truncate(None), &["cut short", "cannot reach"]),
        (Fault::ChunkedCut, &["cut short", "cannot reach"]),
        (Fault::CloseDelimitedCut, &["cannot parse"]),
        (Fault::ShortLength, &["cannot parse"]),
        (Fault::RedirectLoop, &["redirect"]),
    ];
    for (fault, needles) in cases {
        let index = index_with_lib();
        index.page_fault("lib", *fault);
        let cache = tempfile::tempdir().unwrap();
        let out = dry_run(&index, cache.path(), &["lib", "--timeout", "1", "--retries", "1"]);
        let err = assert_failed(&out, cache.path(), PAGE, needles);
        assert_eq!(
            index.hits(FILE),
            0,
            "{fault:?}: nothing is downloaded from a broken page"
        );
        assert!(index.hits(PAGE) <= 11, "{fault:?}: {} requests", index.hits(PAGE));
        eprintln!("{fault:?} → {}", err.trim_end().lines().last().unwrap_or_default());
    }
}

#[test]
fn a_hanging_index_times_out() {
    let index = index_with_lib();
    index.page_fault("lib", Fault::Hang);
    let cache = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = dry_run(&index, cache.path(), &["lib", "--timeout", "0.3", "--retries", "1"]);
    assert_failed(&out, cache.path(), PAGE, &["timed out"]);
    assert_eq!(index.hits(PAGE), 2);
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
}

#[test]
fn retry_after_is_honoured() {
    let index = Index::start();
    index.add(
        "lib",
        wheel("lib", "1.0", &[]),
        Fault::TooMany {
            first: 1,
            retry_after: 1,
        },
    );
    let cache = tempfile::tempdir().unwrap();
    let out = dry_run(&index, cache.path(), &["lib"]);
    assert_planned_lib(&out, cache.path());
    let times = index.times(FILE);
    assert_eq!(times.len(), 2);
    let waited = times[1] - times[0];
    assert!(
        waited >= Duration::from_millis(900),
        "retried after {waited:?}, not after Retry-After: 1"
    );
}

#[test]
fn a_retry_after_of_a_day_fails_fast_instead_of_hanging() {
    let index = index_with_lib();
    index.page_fault(
        "lib",
        Fault::TooMany {
            first: 100,
            retry_after: 86_400,
        },
    );
    let cache = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = dry_run(&index, cache.path(), &["lib"]);
    let err = assert_failed(&out, cache.path(), PAGE, &["429"]);
    assert!(err.contains("86400"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
    assert_eq!(index.hits(PAGE), 1, "no point retrying before the server allows it");
}

#[test]
fn gigantic_index_pages_are_capped() {
    for fault in [Fault::HugeLength(200_000_000), Fault::Endless] {
        let index = index_with_lib();
        index.page_fault("lib", fault);
        let cache = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let out = dry_run(&index, cache.path(), &["lib", "--timeout", "2", "--retries", "0"]);
        let err = assert_failed(&out, cache.path(), PAGE, &["larger than"]);
        assert!(err.contains("MiB"), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{fault:?}: {:?}",
            started.elapsed()
        );
    }
}

/// One byte every 100 ms never trips a 300 ms read timeout on a body; the
/// total deadline for a page (10 × --timeout) and the minimum download rate
/// do. Dripped headers are bounded by the timeout for the response head.
#[test]
fn slow_drip_is_bounded() {
    let cases: &[(Fault, bool, &[&str], usize)] = &[
        (Fault::Drip(100), true, &["deadline"], 1),
        (Fault::Drip(100), false, &["too slow"], 1),
        (Fault::DripAll(100), true, &["timed out"], 2),
        (Fault::DripAll(100), false, &["timed out"], 2),
        // One byte per second: the read timeout fires.
        (Fault::Drip(1000), false, &["timed out"], 2),
    ];
    for (fault, on_page, needles, attempts) in cases {
        let index = index_with_lib();
        let url = if *on_page {
            index.page_fault("lib", *fault);
            PAGE
        } else {
            index.add("lib", wheel("lib", "1.0", &[]), *fault);
            FILE
        };
        let cache = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let out = dry_run(&index, cache.path(), &["lib", "--timeout", "0.3", "--retries", "1"]);
        let err = assert_failed(&out, cache.path(), url, needles);
        assert!(
            started.elapsed() < Duration::from_secs(12),
            "{fault:?}: {:?}",
            started.elapsed()
        );
        assert_eq!(index.hits(url), *attempts, "{fault:?} on {url}: {err}");
    }
}

#[test]
fn html_where_json_was_asked() {
    let (f, b) = wheel("lib", "1.0", &[]);
    let html = format!(
        "<html><body><a href=\"../../files/{f}#sha256={}\">{f}</a></body></html>",
        sha(&b)
    );

    // A PEP 503 page answering a PEP 691 Accept header is parsed as PEP 503.
    let index = Index::start();
    index.route(PAGE, html.clone().into_bytes(), "text/html", Fault::None);
    index.route(FILE, b.clone(), "application/octet-stream", Fault::None);
    let cache = tempfile::tempdir().unwrap();
    assert_planned_lib(&dry_run(&index, cache.path(), &["lib"]), cache.path());

    // HTML labelled as PEP 691 JSON is a clear parse error, not an empty project.
    let index = Index::start();
    index.route(
        PAGE,
        html.into_bytes(),
        "application/vnd.pypi.simple.v1+json",
        Fault::None,
    );
    index.route(FILE, b, "application/octet-stream", Fault::None);
    let cache = tempfile::tempdir().unwrap();
    let out = dry_run(&index, cache.path(), &["lib"]);
    assert_failed(&out, cache.path(), PAGE, &["cannot parse"]);

    // An HTML page without links (a login or error page) offers nothing to install.
    let index = Index::start();
    index.route(
        PAGE,
        b"<html><body>Please sign in</body></html>".to_vec(),
        "text/html",
        Fault::None,
    );
    let cache = tempfile::tempdir().unwrap();
    let out = dry_run(&index, cache.path(), &["lib"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("lib"), "{}", stderr(&out));
}

/// Issue 14: a network failure keeps its causes: one `caused by:` line each,
/// down to the operating system's reason.
#[test]
fn network_failure_prints_one_caused_by_line_per_cause() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let state = tempfile::tempdir().unwrap();
    let out = common::isolated_install(&format!("http://127.0.0.1:{port}/simple/"), state.path())
        .args([
            "--dry-run",
            "--format",
            "json",
            "--ignore-installed",
            "--python",
            "python3",
        ])
        .args(["--retries", "0", "--timeout", "1", "--cache-dir"])
        .arg(state.path().join("cache"))
        .arg("lib")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("are you offline?"), "{err}");
    let causes: Vec<&str> = err.lines().filter(|l| l.starts_with("  caused by: ")).collect();
    assert!(causes.len() >= 2, "{err}");
    assert!(
        causes
            .iter()
            .any(|c| c.to_ascii_lowercase().contains("connection refused")),
        "{err}"
    );
    // Each cause once, not flattened into the first line as well.
    let first = err.lines().find(|l| l.starts_with("error: ")).unwrap();
    assert!(!first.to_ascii_lowercase().contains("connection refused"), "{err}");
}

/// Issue 14: a page that is not what its content type says ends with the
/// parser's own reason as a `caused by:` line, not flattened or dropped.
#[test]
fn unparsable_index_page_keeps_the_parser_error_as_its_cause() {
    let index = Index::start();
    index.route(
        PAGE,
        b"{\"meta\": {\"api-version\": \"1.0\"}, \"files\": [ oops".to_vec(),
        "application/vnd.pypi.simple.v1+json",
        Fault::None,
    );
    let cache = tempfile::tempdir().unwrap();
    let out = dry_run(&index, cache.path(), &["lib"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let causes: Vec<&str> = err.lines().filter(|l| l.starts_with("  caused by: ")).collect();
    assert!(
        causes
            .iter()
            .any(|c| c.contains(PAGE) && c.contains("not a PEP 691 JSON page")),
        "{err}"
    );
    assert!(
        causes.iter().any(|c| c.contains("line 1 column")),
        "the JSON parser's position is a cause: {err}"
    );
}
