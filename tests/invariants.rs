//! Security invariants of `guard install` (issue 7, item 6), each a test.
//! guard runs for real (not `--dry-run`) against a local index, with a
//! `--python` that is a wrapper: every interpreter query goes to the real
//! python3, but `-m pip …` only records its arguments, the requirements file
//! and the find-links directory guard hands over, then exits 0. So each test
//! sees exactly what pip would have installed, and nothing is installed.
//!
//! Already covered elsewhere, not repeated here: setup.py never runs during
//! resolution (tests/install.rs `canary_sdist_setup_py_never_runs`), nor at
//! install when denied (tests/e2e_install.rs), a file changed after inspection
//! stops the handoff (src/handoff.rs), `--trusted-host` is refused
//! (tests/install.rs `unsupported_pip_options_are_refused_clearly`).
//! TLS runs against a local HTTPS index whose certificate comes from a test
//! CA in tests/fixtures/tls (100-year validity, for 127.0.0.1 only).

use std::path::Path;
use std::process::Output;

mod common;

use common::env::{text, Env, Pip};
use common::{sdist, sha, wheel, Fault, Index};

/// The canary sdist: its setup.py would create `env.canary` (never run here).
fn evil_sdist(env: &Env) -> (String, Vec<u8>) {
    sdist(
        "evil-pkg",
        "1.0",
        &[
            ("setup.py", env.canary_setup_py("evil-pkg")),
            (
                "PKG-INFO",
                "Metadata-Version: 2.1\nName: evil-pkg\nVersion: 1.0\n".into(),
            ),
        ],
    )
}

fn setup() -> Env {
    let env = Env::new(Pip::Recording);
    env.index.add("good", wheel("good", "1.0", &[]), Fault::None);
    env.index.add("evil-pkg", evil_sdist(&env), Fault::None);
    // The build dependencies of the sdist (never run here: pip is the wrapper).
    env.index
        .add("setuptools", wheel("setuptools", "70.0", &[]), Fault::None);
    env.index.add("wheel", wheel("wheel", "0.43", &[]), Fault::None);
    env
}

/// The bytes pip receives are the bytes guard inspected: the requirements file
/// pins each package to the sha256 of the served file, the audit log records
/// the same sha256 for the decision, and the find-links copy has those bytes.
#[test]
fn pip_gets_exactly_the_inspected_bytes_pinned_by_hash() {
    let env = setup();
    let (name, bytes) = wheel("lib", "2.0", &[]);
    let served = sha(&bytes);
    env.index.add("lib", (name.clone(), bytes.clone()), Fault::None);
    let out = env.guard(&["lib", "good"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let reqs = env.pip_requirements().expect("pip was run");
    let good = sha(&wheel("good", "1.0", &[]).1);
    assert_eq!(
        reqs.lines().collect::<Vec<_>>(),
        [
            format!("good==1.0 --hash=sha256:{good}"),
            format!("lib==2.0 --hash=sha256:{served}")
        ]
    );
    let argv = std::fs::read_to_string(env.capture().join("argv")).unwrap();
    for flag in ["--no-index", "--no-deps", "--require-hashes", "--isolated"] {
        assert!(argv.lines().any(|a| a == flag), "{flag} missing: {argv}");
    }
    let links = env.capture().join("links");
    assert_eq!(std::fs::read(links.join(&name)).unwrap(), bytes);
    assert_eq!(common::files_under(&links).len(), 2, "only the approved files");
    let audit = std::fs::read_to_string(env.dir.path().join("audit.jsonl")).unwrap();
    let lib: serde_json::Value = audit
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["package"] == "lib")
        .unwrap();
    assert_eq!(lib["sha256"], served.as_str());
    assert_eq!(lib["decision"], "approved");
}

/// No flag, environment or answer installs a `deny`; only a policy allow
/// entry for that exact package does.
#[test]
fn deny_is_never_installed_by_any_flag_combination() {
    let env = setup();
    let loose = env.dir.path().join("loose.toml");
    std::fs::write(
        &loose,
        "[install]\nnon_interactive = \"allow\"\nsdist = \"allow\"\n\n[[allow]]\nname = \"evil-pkg\"\nversion = \"2.0\"\nreason = \"another version\"\n\n[[allow]]\nname = \"evil-pkg2\"\nreason = \"another name\"\n",
    )
    .unwrap();
    let loose = loose.to_str().unwrap();
    let combos: &[&[&str]] = &[
        &[],
        &["--yes"],
        &["-y", "--no-input", "-q"],
        &["--yes", "--ignore-installed", "--upgrade", "--pre", "--no-cache"],
        &["--force-reinstall", "--yes"],
        &["--yes", "--policy", loose],
        &[
            "--policy",
            loose,
            "--only-binary",
            ":none:",
            "--user",
            "--break-system-packages",
        ],
    ];
    for extra in combos {
        for reqs in [&["evil-pkg"][..], &["good", "evil-pkg==1.0"]] {
            let mut args: Vec<&str> = reqs.to_vec();
            args.extend_from_slice(extra);
            let out = env.guard(&args);
            assert_eq!(out.status.code(), Some(1), "{args:?}\n{}", text(&out));
            assert!(String::from_utf8_lossy(&out.stdout).contains("DENY"), "{}", text(&out));
            assert!(
                env.pip_requirements().is_none(),
                "{args:?}: pip was run\n{}",
                text(&out)
            );
            assert!(!env.canary.exists());
        }
    }
    // GUARD_* and PIP_* variables do not change it either.
    let out = env
        .command(&["evil-pkg", "--yes"])
        .env("PIP_TRUSTED_HOST", "127.0.0.1")
        .env("PIP_NO_INPUT", "1")
        .env("PIP_YES", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(env.pip_requirements().is_none());

    // The exact package allowed by policy (name, version and sha256): installed.
    std::fs::write(
        env.project().join("guard.toml"),
        format!(
            "[install]\nsdist = \"allow\"\n\n[[allow]]\nname = \"evil-pkg\"\nversion = \"1.0\"\nsha256 = \"{}\"\nreason = \"reviewed by hand\"\n",
            sha(&evil_sdist(&env).1)
        ),
    )
    .unwrap();
    let out = env.guard(&["evil-pkg"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let reqs = env.pip_requirements().expect("pip was run");
    assert!(
        reqs.contains(&format!("evil-pkg==1.0 --hash=sha256:{}", sha(&evil_sdist(&env).1))),
        "{reqs}"
    );
    assert!(!env.canary.exists(), "guard itself never runs setup.py");
}

/// A key the system policy locks cannot be loosened by a project `guard.toml`,
/// the user's policy or `--policy`; tightening is still fine.
#[test]
fn locked_system_policy_keys_cannot_be_loosened() {
    let env = setup();
    std::fs::write(
        env.dir.path().join("system-policy.toml"),
        "locked = [\"allow\", \"install.non_interactive\", \"rules.disable\", \"verdict.deny_at\"]\n\n[install]\nnon_interactive = \"deny\"\n",
    )
    .unwrap();
    let loosening = format!(
        "[verdict]\ndeny_at = \"critical\"\n[rules]\ndisable = [\"exec-decoded-payload\", \"exfiltration\", \"install-network\"]\n[install]\nnon_interactive = \"allow\"\nsdist = \"allow\"\n\n[[allow]]\nname = \"evil-pkg\"\nversion = \"1.0\"\nsha256 = \"{}\"\nreason = \"trying to get around the system policy\"\n",
        sha(&evil_sdist(&env).1)
    );
    let user_dir = env.dir.path().join("config");
    std::fs::create_dir_all(&user_dir).unwrap();
    let explicit = env.dir.path().join("explicit.toml");
    std::fs::write(&explicit, &loosening).unwrap();
    for layer in ["project", "user", "explicit"] {
        let _ = std::fs::remove_file(env.project().join("guard.toml"));
        let _ = std::fs::remove_file(user_dir.join("policy.toml"));
        let mut args = vec!["evil-pkg", "--yes"];
        match layer {
            "project" => std::fs::write(env.project().join("guard.toml"), &loosening).unwrap(),
            "user" => std::fs::write(user_dir.join("policy.toml"), &loosening).unwrap(),
            _ => args.extend(["--policy", explicit.to_str().unwrap()]),
        }
        let out = env.guard(&args);
        assert_eq!(out.status.code(), Some(1), "{layer}: {}", text(&out));
        assert!(env.pip_requirements().is_none(), "{layer}: pip was run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("locked by the system policy"), "{layer}: {}", text(&out));
    }
    // Without the locks the same file would install it: the test can fail.
    std::fs::write(env.dir.path().join("system-policy.toml"), "").unwrap();
    let out = env.guard(&["evil-pkg", "--policy", explicit.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(env.pip_requirements().is_some());
}

/// Certificate checks cannot be switched off: nothing in src/ disables them.
#[test]
fn no_source_disables_certificate_verification() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let forbidden = [
        "danger_accept_invalid_certs",
        "danger_accept_invalid_hostnames",
        "dangerous()",
        "tls_built_in_root_certs(false)",
        "NoCertificateVerification",
    ];
    let mut checked = 0;
    for file in common::files_under(&root) {
        if file.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&file).unwrap();
            checked += 1;
            for f in forbidden {
                assert!(!text.contains(f), "{} uses {f}", file.display());
            }
        }
    }
    assert!(checked > 20, "only {checked} source files found");
}

// ---------------------------------------------------------------- TLS

const TLS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");

/// An HTTPS server on 127.0.0.1 with the test CA's certificate, serving
/// `routes` (path → (status line and extra headers, body, content type)).
fn https_server(routes: Vec<(String, String, Vec<u8>)>) -> u16 {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use std::io::{Read, Write};
    use std::sync::Arc;

    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(format!("{TLS}/server.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(format!("{TLS}/server.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let config = Arc::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let routes = Arc::new(routes);
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let config = config.clone();
            let routes = routes.clone();
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match tls.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return, // the client refused the certificate
                    }
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split_whitespace().nth(1).unwrap_or("/");
                let response = match routes.iter().find(|(p, _, _)| p == path) {
                    Some((_, headers, body)) => {
                        let mut r = format!("{headers}Content-Length: {}\r\nConnection: close\r\n\r\n", body.len())
                            .into_bytes();
                        r.extend_from_slice(body);
                        r
                    }
                    None => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
                };
                let _ = tls.write_all(&response);
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    port
}

/// guard checks the certificate of an HTTPS index against the system store
/// plus `--cert`: a certificate from an unknown CA is refused with advice, and
/// neither `PIP_TRUSTED_HOST` nor pip.conf's `trusted-host` turns the check
/// off. With the CA passed as `--cert`, the same index works (so the failure
/// is the certificate check, not a broken server). A redirect from https
/// down to plain http is refused.
#[test]
fn tls_verification_cannot_be_silently_disabled() {
    let (name, bytes) = wheel("lib", "1.0", &[]);
    let page = format!(
        r#"{{"meta":{{"api-version":"1.1"}},"name":"lib","files":[{{"filename":"{name}","url":"../../files/{name}","hashes":{{"sha256":"{}"}}}}]}}"#,
        sha(&bytes)
    );
    let plain = Index::start();
    plain.add("down", wheel("down", "1.0", &[]), Fault::None);
    let port = https_server(vec![
        (
            "/simple/lib/".into(),
            "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.pypi.simple.v1+json\r\n".into(),
            page.into_bytes(),
        ),
        (
            format!("/files/{name}"),
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n".into(),
            bytes,
        ),
        (
            "/simple/down/".into(),
            format!("HTTP/1.1 302 Found\r\nLocation: {}down/\r\n", plain.url()),
            Vec::new(),
        ),
    ]);
    let index_url = format!("https://127.0.0.1:{port}/simple/");
    let dir = tempfile::tempdir().unwrap();
    let pip_conf = dir.path().join("pip.conf");
    std::fs::write(&pip_conf, "[global]\ntrusted-host = 127.0.0.1\n").unwrap();
    let run = |req: &str, extra: &[&str], trusted: bool| -> Output {
        let cache = tempfile::tempdir().unwrap();
        let mut cmd = common::isolated_install(&index_url, cache.path());
        cmd.args(["--dry-run", "--format", "json", "--ignore-installed"])
            .args(["--python", "python3", "--timeout", "5", "--retries", "0"])
            .arg("--cache-dir")
            .arg(cache.path())
            .args(extra)
            .arg(req)
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR")
            .env_remove("PIP_CERT");
        if trusted {
            cmd.env("PIP_TRUSTED_HOST", "127.0.0.1")
                .env("PIP_CONFIG_FILE", &pip_conf);
        }
        let out = cmd.output().unwrap();
        assert!(
            common::cached_files(cache.path()).is_empty() || out.status.success(),
            "nothing is cached from an unverified server"
        );
        out
    };
    for trusted in [false, true] {
        let out = run("lib", &[], trusted);
        assert_eq!(out.status.code(), Some(2), "trusted={trusted}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("TLS certificate problem"), "{err}");
        assert!(err.contains(&format!("127.0.0.1:{port}/simple/lib/")), "{err}");
        assert!(err.contains("--cert"), "the advice names the fix: {err}");
        // Issue 14: the TLS library's own reason follows as `caused by:` lines.
        assert!(
            err.lines()
                .filter(|l| l.starts_with("  caused by: "))
                .any(|l| l.to_ascii_lowercase().contains("certificate")),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
    let ca = format!("{TLS}/ca.pem");
    let out = run("lib", &["--cert", &ca], true);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["packages"][0]["name"], "lib");

    let out = run("down", &["--cert", &ca], false);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refusing to follow a redirect from https"),
        "{}",
        text(&out)
    );
    assert_eq!(plain.hits("/simple/down/"), 0, "the plain-http page was never fetched");
}
