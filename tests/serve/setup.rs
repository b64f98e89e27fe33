//! `guard setup --index URL` and `guard doctor --index URL` (issue 13) in a
//! temporary HOME: pip's and uv's user files are edited (other settings
//! kept, backups made, idempotent), then the real pip and uv install from
//! guard serve with no index flag at all.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use super::common::{wheel, Fault, Index};
use super::{both, uv, venv, Serve};

fn guard_in(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_guard"));
    cmd.args(args).env("HOME", home).env_remove("XDG_CONFIG_HOME");
    for k in [
        "PIP_CONFIG_FILE",
        "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "UV_INDEX_URL",
        "UV_DEFAULT_INDEX",
        "UV_INDEX",
        "UV_EXTRA_INDEX_URL",
        "UV_NO_CONFIG",
        "UV_FIND_LINKS",
        "GUARD_SHELL",
    ] {
        cmd.env_remove(k);
    }
    cmd.envs(env.iter().copied()).stdin(Stdio::null()).output().unwrap()
}

fn backups(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().contains(".guard-backup-"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn setup_points_pip_and_uv_at_the_index_and_doctor_checks_them() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let pip_dir = home.join(".config/pip");
    let uv_dir = home.join(".config/uv");
    std::fs::create_dir_all(&pip_dir).unwrap();
    std::fs::create_dir_all(&uv_dir).unwrap();
    std::fs::write(
        pip_dir.join("pip.conf"),
        "[global]\ntimeout = 42\nextra-index-url = http://127.0.0.1:9/simple/\n",
    )
    .unwrap();
    std::fs::write(
        uv_dir.join("uv.toml"),
        "# my uv settings\nconcurrent-downloads = 3\nindex-url = \"http://127.0.0.1:9/simple/\"\n",
    )
    .unwrap();

    let index = Index::start();
    index.add("setup-wheel", wheel("setup-wheel", "1.0", &[]), Fault::None);
    let serve = Serve::start(&dir.path().join("cache"), &["--upstream", &index.url()]);
    // Without the trailing slash: guard adds it.
    let url = serve.url().trim_end_matches('/').to_string();

    let out = guard_in(&home, &["setup", "--index", &url], &[]);
    assert!(out.status.success(), "{}", both(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.contains(&format!("poetry source add --priority=primary guard {}", serve.url())),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("pdm config pypi.url {}", serve.url())),
        "{stdout}"
    );
    let pip_conf = std::fs::read_to_string(pip_dir.join("pip.conf")).unwrap();
    assert!(pip_conf.contains("timeout = 42"), "{pip_conf}");
    assert!(pip_conf.contains(&format!("index-url = {}", serve.url())), "{pip_conf}");
    assert!(
        pip_conf.contains("# extra-index-url = http://127.0.0.1:9/simple/"),
        "{pip_conf}"
    );
    let uv_toml = std::fs::read_to_string(uv_dir.join("uv.toml")).unwrap();
    assert!(
        uv_toml.contains("concurrent-downloads = 3") && uv_toml.contains("# my uv settings"),
        "{uv_toml}"
    );
    assert!(uv_toml.contains(&format!("url = \"{}\"", serve.url())), "{uv_toml}");
    assert_eq!((backups(&pip_dir), backups(&uv_dir)), (1, 1));

    // Idempotent: nothing changes, no new backup.
    let again = guard_in(&home, &["setup", "--index", &serve.url()], &[]);
    assert!(again.status.success(), "{}", both(&again));
    assert!(both(&again).contains("already points at the index"), "{}", both(&again));
    assert_eq!(std::fs::read_to_string(pip_dir.join("pip.conf")).unwrap(), pip_conf);
    assert_eq!(std::fs::read_to_string(uv_dir.join("uv.toml")).unwrap(), uv_toml);
    assert_eq!((backups(&pip_dir), backups(&uv_dir)), (1, 1));

    // The real clients, no index flags: they read the files guard wrote.
    let python = venv(dir.path());
    let out = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "setup-wheel",
        ])
        .env("HOME", &home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("PIP_CONFIG_FILE")
        .env_remove("PIP_INDEX_URL")
        .env_remove("PIP_EXTRA_INDEX_URL")
        .output()
        .unwrap();
    assert!(out.status.success(), "pip: {}\n{}", both(&out), serve.log_text());
    let python2 = venv(&dir.path().join("second"));
    let out = Command::new(uv())
        .args(["pip", "install", "--python"])
        .arg(&python2)
        .arg("--cache-dir")
        .arg(dir.path().join("uv-cache"))
        .arg("setup-wheel")
        .current_dir(dir.path())
        .env("HOME", &home)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("UV_INDEX_URL")
        .env_remove("UV_DEFAULT_INDEX")
        .env_remove("UV_INDEX")
        .env_remove("UV_EXTRA_INDEX_URL")
        .output()
        .unwrap();
    assert!(out.status.success(), "uv: {}\n{}", both(&out), serve.log_text());
    let requested = serve
        .log_text()
        .lines()
        .filter(|l| l.contains("\"path\":\"/files/") && l.contains("setup_wheel-1.0"))
        .count();
    assert!(
        requested >= 2,
        "pip and uv did not both download through guard:\n{}",
        serve.log_text()
    );

    // doctor: all good; an environment override is caught; a dead index is caught.
    let ok = guard_in(&home, &["doctor", "--index", &serve.url()], &[]);
    let text = both(&ok);
    assert!(ok.status.success(), "{text}");
    assert!(text.contains(&format!("✔ pip uses {}", serve.url())), "{text}");
    assert!(text.contains(&format!("✔ uv uses {}", serve.url())), "{text}");
    assert!(
        text.contains("answers (PEP 691)") && text.contains("verdict store are up"),
        "{text}"
    );
    let bad = guard_in(
        &home,
        &["doctor", "--index", &serve.url()],
        &[("PIP_EXTRA_INDEX_URL", "https://pypi.org/simple/")],
    );
    assert!(!bad.status.success(), "{}", both(&bad));
    assert!(
        both(&bad).contains("✘ pip also looks at https://pypi.org/simple/"),
        "{}",
        both(&bad)
    );
    let other = guard_in(&home, &["doctor", "--index", "http://127.0.0.1:9/simple/"], &[]);
    assert!(!other.status.success());
    assert!(both(&other).contains("✘ pip uses"), "{}", both(&other));
    assert!(both(&other).contains("does not answer"), "{}", both(&other));
}
