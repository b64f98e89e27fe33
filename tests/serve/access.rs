//! The policy's `[serve]` table (issue 13): named upstreams with credentials
//! read at start, `[serve.projects]` pins, tokens for downloads and for the
//! review and admin endpoints.

use std::process::{Command, Stdio};

use super::common::{wheel, Fault, Index};
use super::{both, file_path, guard, pip, plain_sdist, request, uv_install, venv, Reply, Serve, JSON};

const PASSWORD: &str = "upstream-pw-0451";
const USER: &str = "svc-reader";

fn bearer(token: &str) -> String {
    format!("Authorization: Bearer {token}\r\n")
}

fn get_with(s: &Serve, path: &str, token: Option<&str>) -> Reply {
    let mut headers = format!("Accept: {JSON}\r\n");
    if let Some(t) = token {
        headers.push_str(&bearer(t));
    }
    request(&s.addr, "GET", path, &headers, b"")
}

#[test]
fn policy_pins_keep_a_name_off_the_public_upstream_and_credentials_stay_private() {
    let dir = tempfile::tempdir().unwrap();
    let public = Index::start();
    let internal = Index::start();
    internal.add("acme-tools", wheel("acme-tools", "1.0", &[]), Fault::None);
    internal.add("broken-int", wheel("broken-int", "1.0", &[]), Fault::FailFirst(1000));
    // The attacker's higher version on the public index.
    public.add("acme-tools", wheel("acme-tools", "99.0", &[]), Fault::None);
    public.add("public-pkg", wheel("public-pkg", "1.0", &[]), Fault::None);
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            r#"[serve.upstreams]
internal = {{ url = "{}", username = "{USER}", password_env = "TEST_INTERNAL_PW" }}
pypi = "{}"

[serve.projects]
"ACME_*" = "internal"
"#,
            internal.url(),
            public.url()
        ),
    )
    .unwrap();
    let policy_s = policy.to_str().unwrap();

    // The secret is read at start: without it guard serve refuses to start, naming the variable.
    let out = Command::new(env!("CARGO_BIN_EXE_guard"))
        .args(["serve", "--listen", "127.0.0.1:0", "--policy", policy_s, "--cache-dir"])
        .arg(dir.path().join("nocache"))
        .env_remove("TEST_INTERNAL_PW")
        .env_remove("GUARD_DATABASE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(both(&out).contains("TEST_INTERNAL_PW"), "{}", both(&out));

    let serve = Serve::start_env(
        &dir.path().join("cache"),
        &["--policy", policy_s],
        &[("TEST_INTERNAL_PW", PASSWORD)],
    );
    let python = venv(dir.path());
    let out = pip(&python, &serve.url(), &["acme-tools", "public-pkg"]);
    assert!(out.status.success(), "{}\n{}", both(&out), serve.log_text());
    assert!(both(&out).contains("acme-tools-1.0"), "{}", both(&out));
    assert_eq!(
        public.hits("/simple/acme-tools/"),
        0,
        "a pinned name was asked of the public upstream"
    );
    assert_eq!(public.hits("/files/acme_tools-99.0-py3-none-any.whl"), 0);
    assert!(internal.hits("/simple/acme-tools/") > 0);
    assert!(public.hits("/simple/public-pkg/") > 0);

    // Pages, errors and the log never show the upstream's credentials.
    let page = get_with(&serve, "/simple/acme-tools/", None);
    assert_eq!(page.status, 200);
    let bad = file_path(
        &get_with(&serve, "/simple/broken-int/", None),
        "broken_int-1.0-py3-none-any.whl",
    );
    let failed = get_with(&serve, &bad, None);
    assert_eq!(failed.status, 502, "{}", failed.text());
    let missing = get_with(&serve, "/simple/no-such-thing/", None);
    assert_eq!(missing.status, 404);
    assert!(
        missing.text().contains(&format!("127.0.0.1:{}", internal.port)),
        "{}",
        missing.text()
    );
    for r in [&page, &failed, &missing] {
        let all = format!("{}{}", r.head, r.text());
        assert!(
            !all.contains(USER) && !all.contains(PASSWORD),
            "credentials leaked: {all}"
        );
    }
    let log = serve.log_text();
    assert!(!log.contains(PASSWORD), "password in the log:\n{log}");
}

#[test]
fn tokens_guard_downloads_and_the_review_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let index = Index::start();
    index.add("tok-wheel", wheel("tok-wheel", "1.0", &[]), Fault::None);
    index.add("tok-sdist", plain_sdist("tok-sdist"), Fault::None);
    index.add("tok-other", plain_sdist("tok-other"), Fault::None);
    let review_file = dir.path().join("review.token");
    std::fs::write(&review_file, "rv-5ecret-token\n").unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            r#"[install]
sdist = "review"

[serve]
downloads = "token"

[[serve.tokens]]
name = "ci"
env = "TEST_CI_TOKEN"
scope = "download"

[[serve.tokens]]
name = "reviewers"
file = "{}"
scope = "review"

[[serve.tokens]]
name = "ops"
env = "TEST_ADMIN_TOKEN"
scope = "admin"
"#,
            review_file.display()
        ),
    )
    .unwrap();
    let serve = Serve::start_env(
        &dir.path().join("cache"),
        &["--upstream", &index.url(), "--policy", policy.to_str().unwrap()],
        &[
            ("TEST_CI_TOKEN", "ci-5ecret-token"),
            ("TEST_ADMIN_TOKEN", "adm-5ecret-token"),
        ],
    );

    // Downloads need a token: 401 with a challenge, 401 for a wrong one.
    let anon = get_with(&serve, "/simple/tok-wheel/", None);
    assert_eq!(anon.status, 401, "{}", anon.text());
    assert!(
        anon.head.to_ascii_lowercase().contains("www-authenticate: basic"),
        "{}",
        anon.head
    );
    assert_eq!(get_with(&serve, "/simple/tok-wheel/", Some("nope")).status, 401);
    let page = get_with(&serve, "/simple/tok-wheel/", Some("ci-5ecret-token"));
    assert_eq!(page.status, 200, "{}", page.text());
    let wpath = file_path(&page, "tok_wheel-1.0-py3-none-any.whl");
    assert_eq!(get_with(&serve, &wpath, None).status, 401);
    assert_eq!(get_with(&serve, &wpath, Some("ci-5ecret-token")).status, 200);
    assert_eq!(get_with(&serve, "/healthz", None).status, 200);

    // pip with the token as the URL's password.
    let python = venv(dir.path());
    let out = pip(&python, &serve.url(), &["tok-wheel"]);
    assert!(!out.status.success(), "pip installed without a token:\n{}", both(&out));
    let with_token = serve.url().replace("http://", "http://__token__:ci-5ecret-token@");
    let out = pip(&python, &with_token, &["tok-wheel"]);
    assert!(out.status.success(), "{}\n{}", both(&out), serve.log_text());
    // uv too, into another environment; without the token it is refused.
    let python2 = venv(&dir.path().join("uv-env"));
    let uv_cache = dir.path().join("uv-cache");
    let out = uv_install(&python2, &uv_cache, &serve.url(), &["tok-wheel"]);
    assert!(!out.status.success(), "uv installed without a token:\n{}", both(&out));
    let out = uv_install(&python2, &uv_cache, &with_token, &["tok-wheel"]);
    assert!(out.status.success(), "{}\n{}", both(&out), serve.log_text());

    // Review endpoints: no token 401, a download token 403, a review token 200.
    assert_eq!(get_with(&serve, "/-/reviews", None).status, 401);
    let weak = get_with(&serve, "/-/reviews", Some("ci-5ecret-token"));
    assert_eq!(weak.status, 403, "{}", weak.text());
    assert!(weak.text().contains("needs scope `review`"), "{}", weak.text());

    let spath = file_path(
        &get_with(&serve, "/simple/tok-sdist/", Some("ci-5ecret-token")),
        "tok-sdist-1.0.tar.gz",
    );
    let first = get_with(&serve, &spath, Some("ci-5ecret-token"));
    assert_eq!(first.status, 403);
    assert!(first.reason.contains("awaiting review"), "{}", first.reason);
    let list = get_with(&serve, "/-/reviews", Some("rv-5ecret-token"));
    assert_eq!(list.status, 200, "{}", list.text());
    let v: serde_json::Value = serde_json::from_slice(&list.body).unwrap();
    assert_eq!(v["reviews"][0]["name"], "tok-sdist");
    assert_eq!(v["reviews"][0]["state"], "pending");

    // A download token cannot approve; a bad body is 400; then approve.
    let approve = |token: &str, body: &str| {
        request(
            &serve.addr,
            "POST",
            "/-/reviews/tok-sdist/1.0/approve",
            &format!("{}Content-Type: application/json\r\n", bearer(token)),
            body.as_bytes(),
        )
    };
    assert_eq!(approve("ci-5ecret-token", r#"{"reason":"x"}"#).status, 403);
    assert_eq!(approve("rv-5ecret-token", r#"{"reason":""}"#).status, 400);
    assert_eq!(approve("rv-5ecret-token", r#"{"why":"x"}"#).status, 400);
    let ok = approve(
        "rv-5ecret-token",
        r#"{"reason":"read it","by":"alice","expires_in_days":30}"#,
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
    let v: serde_json::Value = serde_json::from_slice(&ok.body).unwrap();
    assert_eq!(v["review"]["who"], "alice (token reviewers)");
    assert_eq!(get_with(&serve, &spath, Some("ci-5ecret-token")).status, 200);

    // `guard review --server` is the same API's client.
    let review = |args: &[&str], token: &str| {
        Command::new(env!("CARGO_BIN_EXE_guard"))
            .arg("review")
            .args(args)
            .args(["--server", &serve.url()])
            .env("GUARD_TOKEN", token)
            .env_remove("GUARD_DATABASE")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let other = file_path(
        &get_with(&serve, "/simple/tok-other/", Some("ci-5ecret-token")),
        "tok-other-1.0.tar.gz",
    );
    assert_eq!(get_with(&serve, &other, Some("ci-5ecret-token")).status, 403);
    let out = review(&["list"], "rv-5ecret-token");
    assert!(out.status.success(), "{}", both(&out));
    let text = both(&out);
    assert!(text.contains("pending   tok-other 1.0"), "{text}");
    assert!(text.contains("approved  tok-sdist 1.0"), "{text}");
    let out = review(
        &["deny", "tok-other", "1.0", "--reason", "not ours", "--by", "bob"],
        "ci-5ecret-token",
    );
    assert!(!out.status.success(), "a download token denied a release");
    assert!(both(&out).contains("403"), "{}", both(&out));
    let out = review(
        &["deny", "tok-other", "1.0", "--reason", "not ours", "--by", "bob"],
        "rv-5ecret-token",
    );
    assert!(out.status.success(), "{}", both(&out));
    let third = get_with(&serve, &other, Some("ci-5ecret-token"));
    assert!(
        third.reason.contains("denied by reviewer bob (token reviewers)"),
        "{}",
        third.reason
    );
    let out = review(&["show", "tok-other", "1.0"], "rv-5ecret-token");
    assert!(both(&out).contains("review: denied by bob"), "{}", both(&out));

    // The audit log is admin only.
    assert_eq!(get_with(&serve, "/-/audit", Some("rv-5ecret-token")).status, 403);
    let audit = get_with(&serve, "/-/audit?limit=50", Some("adm-5ecret-token"));
    assert_eq!(audit.status, 200, "{}", audit.text());
    assert!(audit.text().contains("alice (token reviewers)"), "{}", audit.text());
    assert_eq!(get_with(&serve, "/-/nothing", Some("adm-5ecret-token")).status, 404);

    let log = serve.log_text();
    for secret in ["ci-5ecret-token", "rv-5ecret-token", "adm-5ecret-token"] {
        assert!(!log.contains(secret), "a token in the log:\n{log}");
    }
    assert!(log.contains("\"token\":\"reviewers\""), "{log}");
    let _ = guard(&["--version"]);
}
