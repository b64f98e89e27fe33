//! Two `guard serve` replicas sharing one real PostgreSQL, started here from
//! the system's packages in a temporary directory (initdb + pg_ctl on a free
//! 127.0.0.1 port). A missing PostgreSQL fails the test; it is never skipped.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::common::{wheel, Fault, Index};
use super::{file_path, guard, plain_sdist, Serve, JSON};

fn pg_bin(tool: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<PathBuf> = entries.flatten().map(|e| e.path().join("bin")).collect();
        versions.sort();
        dirs.extend(versions.into_iter().rev());
    }
    dirs.into_iter()
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "PostgreSQL's `{tool}` was not found on PATH or under /usr/lib/postgresql/*/bin: \
             these tests need the PostgreSQL server (`apt-get install -y postgresql`; .ci/run does)"
            )
        })
}

/// A throw-away cluster; stopped when dropped.
pub struct Cluster {
    dir: tempfile::TempDir,
    data: PathBuf,
    pub port: u16,
    as_postgres: bool,
}

impl Cluster {
    fn run(&self, tool: &str, args: &[&str]) -> std::process::Output {
        let bin = pg_bin(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&bin);
            c
        } else {
            Command::new(&bin)
        };
        cmd.args(args).current_dir(self.dir.path()).output().unwrap()
    }

    pub fn start() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let data = dir.path().join("data");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // initdb refuses to run as root.
        let as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout == b"0\n")
            .unwrap_or(false);
        let cluster = Cluster {
            dir,
            data,
            port,
            as_postgres,
        };
        let data_s = cluster.data.to_str().unwrap().to_string();
        let out = cluster.run("initdb", &["-D", &data_s, "-A", "trust", "-U", "guard", "--no-sync"]);
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        cluster.start_again();
        cluster
    }

    /// Starts the (stopped) cluster on the same port and data.
    pub fn start_again(&self) {
        let data_s = self.data.to_str().unwrap().to_string();
        let sock = self.dir.path().to_str().unwrap().to_string();
        let port = self.port;
        let opts = format!("-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off");
        let log = self.dir.path().join("pg.log");
        let out = self.run(
            "pg_ctl",
            &[
                "-D",
                &data_s,
                "-o",
                &opts,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    pub fn url(&self) -> String {
        format!("postgres://guard@127.0.0.1:{}/postgres", self.port)
    }

    pub fn stop(&self) {
        let _ = self.run(
            "pg_ctl",
            &["-D", self.data.to_str().unwrap(), "-m", "immediate", "-w", "stop"],
        );
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

#[test]
fn two_replicas_share_verdicts_and_reviews_through_postgres() {
    let pg = Cluster::start();
    let db = pg.url();
    let index = Index::start();
    index.add("shared-wheel", wheel("shared-wheel", "1.0", &[]), Fault::None);
    index.add("team-sdist", plain_sdist("team-sdist"), Fault::None);
    index.add("late-wheel", wheel("late-wheel", "1.0", &[]), Fault::None);
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "[install]\nsdist = \"review\"\n").unwrap();
    let args = [
        "--upstream",
        &index.url(),
        "--policy",
        policy.to_str().unwrap(),
        "--database",
        &db,
    ];
    // Separate cache directories: only the database is shared.
    let a = Serve::start(&dir.path().join("a"), &args);
    let b = Serve::start(&dir.path().join("b"), &args);

    for s in [&a, &b] {
        let page = s.get("/simple/shared-wheel/", Some(JSON));
        let path = file_path(&page, "shared_wheel-1.0-py3-none-any.whl");
        let r = s.get(&path, None);
        assert_eq!(r.status, 200, "{} {}", r.reason, s.log_text());
    }
    assert_eq!(
        a.inspections() + b.inspections(),
        1,
        "inspected more than once:\n{}\n{}",
        a.log_text(),
        b.log_text()
    );

    let page = a.get("/simple/team-sdist/", Some(JSON));
    let path = file_path(&page, "team-sdist-1.0.tar.gz");
    let r = a.get(&path, None);
    assert_eq!(r.status, 403);
    assert!(r.reason.contains("awaiting review"), "{}", r.reason);
    // Replica b knows it is pending without inspecting it again.
    assert_eq!(b.get(&path, None).status, 403);
    let list = guard(&["review", "list", "--database", &db]);
    assert!(
        String::from_utf8_lossy(&list.stdout).contains("pending   team-sdist 1.0"),
        "{list:?}"
    );
    let ok = guard(&[
        "review",
        "approve",
        "team-sdist",
        "1.0",
        "--reason",
        "ours",
        "--by",
        "bob",
        "--expires-in-days",
        "30",
        "--database",
        &db,
    ]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let r = b.get(&path, None);
    assert_eq!(
        r.status, 200,
        "approval through the store not honoured by b: {}",
        r.reason
    );
    assert_eq!(a.inspections() + b.inspections(), 2);

    // Both replicas asked for a new artifact at once (a slow upstream): one inspects, the other waits.
    index.add("race-wheel", wheel("race-wheel", "1.0", &[]), Fault::Delay(700));
    let race = file_path(
        &a.get("/simple/race-wheel/", Some(JSON)),
        "race_wheel-1.0-py3-none-any.whl",
    );
    let (addr_a, addr_b) = (a.addr.clone(), b.addr.clone());
    let (ra, rb) = (race.clone(), race.clone());
    let ta = std::thread::spawn(move || super::get(&addr_a, &ra, None).status);
    let tb = std::thread::spawn(move || super::get(&addr_b, &rb, None).status);
    assert_eq!((ta.join().unwrap(), tb.join().unwrap()), (200, 200));
    assert_eq!(
        a.inspections() + b.inspections(),
        3,
        "concurrent requests inspected twice:\n{}\n{}",
        a.log_text(),
        b.log_text()
    );

    // The database goes away: errors, never an approval.
    let late = b.get("/simple/late-wheel/", Some(JSON));
    let late_path = file_path(&late, "late_wheel-1.0-py3-none-any.whl");
    pg.stop();
    for (s, p) in [(&a, &path), (&b, &late_path)] {
        let r = s.get(p, None);
        assert_eq!(r.status, 503, "{} {}", r.reason, r.text());
        assert!(r.text().contains("verdict store"), "{}", r.text());
    }
    assert_eq!(a.get("/healthz", None).status, 503);
    // Nothing unapproved got out while it was down.
    assert!(!a
        .log_text()
        .contains("late_wheel-1.0-py3-none-any.whl\",\"status\":200"));

    // The database comes back: the replicas reconnect, the approval still counts.
    pg.start_again();
    assert_eq!(a.get("/healthz", None).status, 200, "{}", a.log_text());
    let r = a.get(&path, None);
    assert_eq!(r.status, 200, "{} {}", r.reason, r.text());
    let r = b.get(&late_path, None);
    assert_eq!(r.status, 200, "{} {}", r.reason, r.text());
    let _ = pg.path();
}
