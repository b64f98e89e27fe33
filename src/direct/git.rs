//! `git+https://…@rev` requirements: the repository is fetched with the
//! system `git` into the cache (a bare clone: no working tree, no hooks, no
//! checkout filters run), the revision is pinned to a commit, and the tree at
//! that commit is exported with `git archive` into a source archive. That
//! archive is what guard inspects and what pip builds, so the bytes inspected
//! are exactly the bytes installed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

/// A repository revision exported as a `.tar.gz` source archive.
#[derive(Debug, Clone)]
pub struct Export {
    /// The full commit id the revision resolved to.
    pub commit: String,
    pub archive: PathBuf,
}

/// Runs `git` with nothing from the repository able to run code: hooks off,
/// no credential prompts, no LFS smudge, no system/global templates.
fn git(dir: Option<&Path>) -> Command {
    let mut cmd = Command::new(std::env::var_os("GUARD_GIT").unwrap_or_else(|| "git".into()));
    if let Some(dir) = dir {
        cmd.arg("-C").arg(dir);
    }
    cmd.args([
        "-c",
        "core.hooksPath=/dev/null",
        "-c",
        "core.fsmonitor=false",
        "-c",
        "protocol.ext.allow=never",
    ])
    .env("GIT_TERMINAL_PROMPT", "0")
    .env("GIT_LFS_SKIP_SMUDGE", "1")
    .env("GIT_ASKPASS", "true")
    .stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command, what: &str) -> Result<Vec<u8>, String> {
    let out = cmd.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            "git is not installed: guard needs the system `git` for git+ requirements".to_string()
        } else {
            format!("cannot run git: {e}")
        }
    })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let err = err.trim();
        return Err(format!(
            "{what} failed: {}",
            if err.is_empty() { "no message" } else { err }
        ));
    }
    Ok(out.stdout)
}

/// Fetches `url` at `rev` (default: the remote's HEAD) into `cache` and
/// exports the commit (or its `subdirectory`) as `<prefix>/…` in a tar.gz.
pub fn export(url: &str, rev: Option<&str>, subdirectory: Option<&str>, cache: &Path) -> Result<Export, String> {
    if let Some(sub) = subdirectory {
        if sub.split('/').any(|p| p == ".." || p.is_empty()) || sub.starts_with('/') {
            return Err(format!("invalid #subdirectory=`{sub}`"));
        }
    }
    if rev.is_some_and(|r| r.starts_with('-')) {
        return Err(format!("invalid revision `{}`", rev.unwrap_or_default()));
    }
    let key = hex::encode(&Sha256::digest(url.as_bytes())[..12]);
    let repos = cache.join("git-v1");
    let repo = repos.join(&key);
    std::fs::create_dir_all(&repos).map_err(|e| format!("cannot create {}: {e}", repos.display()))?;
    let want = rev.unwrap_or("HEAD");
    let is_full_sha = want.len() == 40 && want.bytes().all(|b| b.is_ascii_hexdigit());
    if !repo.join("HEAD").is_file() {
        // Clone into a fresh name and rename: an interrupted clone never looks complete.
        let tmp = repos.join(format!(".{key}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        run(
            git(None).args(["clone", "--bare", "--quiet", "--"]).arg(url).arg(&tmp),
            &format!("git clone {url}"),
        )?;
        if std::fs::rename(&tmp, &repo).is_err() {
            // Another guard finished first: use its clone.
            let _ = std::fs::remove_dir_all(&tmp);
        }
    } else if !(is_full_sha && resolve(&repo, want).is_ok()) {
        run(
            git(Some(&repo)).args([
                "fetch",
                "--quiet",
                "--force",
                "--prune",
                "origin",
                "+refs/heads/*:refs/heads/*",
                "+refs/tags/*:refs/tags/*",
                "+HEAD:refs/guard/HEAD",
            ]),
            &format!("git fetch {url}"),
        )?;
    }
    let commit = resolve(&repo, want).or_else(|first| {
        // A tag or a commit not on a branch head: fetch it by name.
        run(
            git(Some(&repo)).args(["fetch", "--quiet", "--force", "origin", "--", want]),
            &format!("git fetch {url} {want}"),
        )
        .map_err(|_| first)?;
        resolve(&repo, "FETCH_HEAD")
    })?;
    let exports = cache.join("git-archives-v1");
    std::fs::create_dir_all(&exports).map_err(|e| format!("cannot create {}: {e}", exports.display()))?;
    let sub_key = subdirectory.map(|s| format!("-{}", hex::encode(&Sha256::digest(s.as_bytes())[..4])));
    let archive = exports.join(format!("{commit}{}.tar.gz", sub_key.unwrap_or_default()));
    if !archive.is_file() {
        let tree = match subdirectory {
            Some(sub) => format!("{commit}:{sub}"),
            None => commit.clone(),
        };
        let prefix = format!("{}/", &commit[..12]);
        let tar = run(
            git(Some(&repo)).args(["archive", "--format=tar", &format!("--prefix={prefix}"), &tree]),
            &format!("git archive {tree}"),
        )?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).map_err(|e| e.to_string())?;
        let bytes = gz.finish().map_err(|e| e.to_string())?;
        let tmp = exports.join(format!(".{commit}-{}.part", std::process::id()));
        std::fs::write(&tmp, bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, &archive).map_err(|e| format!("cannot write {}: {e}", archive.display()))?;
    }
    Ok(Export { commit, archive })
}

/// The commit a revision names in `repo`.
fn resolve(repo: &Path, rev: &str) -> Result<String, String> {
    let candidates = [
        format!("{rev}^{{commit}}"),
        format!("refs/tags/{rev}^{{commit}}"),
        format!("refs/heads/{rev}^{{commit}}"),
    ];
    for c in &candidates {
        if let Ok(out) = run(
            git(Some(repo)).args(["rev-parse", "--verify", "--quiet", c]),
            "git rev-parse",
        ) {
            let commit = String::from_utf8_lossy(&out).trim().to_string();
            if commit.len() == 40 {
                return Ok(commit);
            }
        }
    }
    Err(format!("revision `{rev}` is not in the repository"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .current_dir(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
            .args(args)
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn exports_the_pinned_commit() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir(&src).unwrap();
        sh(&src, &["init", "-q", "-b", "main"]);
        std::fs::write(src.join("a.txt"), "one").unwrap();
        sh(&src, &["add", "."]);
        sh(&src, &["commit", "-qm", "one"]);
        sh(&src, &["tag", "v1"]);
        std::fs::write(src.join("a.txt"), "two").unwrap();
        sh(&src, &["commit", "-qam", "two"]);
        let url = url::Url::from_file_path(&src).unwrap().to_string();
        let cache = dir.path().join("cache");
        let v1 = export(&url, Some("v1"), None, &cache).unwrap();
        let head = export(&url, None, None, &cache).unwrap();
        assert_ne!(v1.commit, head.commit);
        let again = export(&url, Some(&v1.commit), None, &cache).unwrap();
        assert_eq!(again.commit, v1.commit);
        let listing = crate::archive::read(
            "x.tar.gz",
            &std::fs::read(&v1.archive).unwrap(),
            &crate::archive::Limits::default(),
        );
        let a = listing.members.iter().find(|m| m.file_name() == "a.txt").unwrap();
        assert_eq!(a.data, b"one");
        let err = export(&url, Some("no-such-tag"), None, &cache).unwrap_err();
        assert!(err.contains("no-such-tag"), "{err}");
        assert!(export(&url, Some("--upload-pack=x"), None, &cache).is_err());
    }
}
