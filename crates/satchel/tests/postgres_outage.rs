//! PostgreSQL hangs, then stops, in the middle of a stream of requests, and comes back:
//! requests fail fast with 500, nothing panics, and the service recovers by itself. The test runs its
//! own PostgreSQL instance (initdb in a temp dir), so the shared server is never stopped.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use common::outage::{Server, survive_outages};
use common::{app, send, set_cookie_value};
use satchel::{PostgresStore, SessionLayer};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A PostgreSQL server of the test's own, in a temp dir, stopped when dropped.
struct OwnPostgres {
    _dir: tempfile::TempDir,
    data: PathBuf,
    socket_dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

impl OwnPostgres {
    /// Creates and starts one; `None` (with the reason printed) when this machine lacks
    /// the PostgreSQL server binaries or the `postgres` user they must run as under root.
    fn start() -> Option<Self> {
        let Some(bin) = server_bin() else {
            println!("skipped: no PostgreSQL server binaries (initdb) on this machine");
            return None;
        };
        if rustix::process::geteuid().is_root() && !user_exists("postgres") {
            println!("skipped: running as root without a `postgres` user to run PostgreSQL");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        hand_to_postgres(dir.path());
        let data = dir.path().join("data");
        let port = free_port();
        let server = Self {
            socket_dir: dir.path().to_path_buf(),
            _dir: dir,
            data,
            bin,
            port,
        };
        server.run(
            "initdb",
            &[
                "-D",
                path(&server.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        server.up();
        Some(server)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn up(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            path(&self.socket_dir)
        );
        let log = self.socket_dir.join("server.log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                path(&self.data),
                "-l",
                path(&log),
                "-o",
                &options,
                "-w",
                "start",
            ],
        );
    }

    fn down(&self) {
        self.run(
            "pg_ctl",
            &["-D", path(&self.data), "-m", "immediate", "-w", "stop"],
        );
    }

    /// Runs a server tool, as the `postgres` user when we are root (PostgreSQL refuses root).
    fn run(&self, tool: &str, args: &[&str]) {
        let tool = self.bin.join(tool);
        let mut command = if rustix::process::geteuid().is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&tool);
            command
        } else {
            Command::new(&tool)
        };
        let output = command.args(args).output().unwrap();
        assert!(
            output.status.success(),
            "{tool:?} {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", path(&self.data), "-m", "immediate", "stop"])
            .output();
    }
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn server_bin() -> Option<PathBuf> {
    let mut versions: Vec<_> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    versions.sort();
    versions
        .into_iter()
        .rev()
        .map(|v| v.join("bin"))
        .find(|bin| bin.join("initdb").exists())
}

fn user_exists(name: &str) -> bool {
    Command::new("id")
        .arg("-u")
        .arg(name)
        .output()
        .is_ok_and(|out| out.status.success())
}

fn hand_to_postgres(dir: &Path) {
    if rustix::process::geteuid().is_root() {
        let status = Command::new("chown")
            .args(["postgres:", path(dir)])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl OwnPostgres {
    /// The postmaster and its children, for freezing them all.
    fn pids(&self) -> Vec<String> {
        let pid_file = std::fs::read_to_string(self.data.join("postmaster.pid")).unwrap();
        let postmaster = pid_file.lines().next().unwrap().trim().to_owned();
        let children = Command::new("pgrep")
            .args(["-P", &postmaster])
            .output()
            .unwrap();
        let mut pids: Vec<String> = String::from_utf8(children.stdout)
            .unwrap()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        pids.push(postmaster);
        pids
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .args(self.pids())
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Server for OwnPostgres {
    fn hang(&mut self) {
        self.signal("STOP");
    }
    fn resume(&mut self) {
        self.signal("CONT");
    }
    fn kill(&mut self) {
        self.down();
    }
    fn restart(&mut self) {
        self.up();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_fail_fast_while_postgres_is_away_and_recover_by_themselves() {
    let Some(mut server) = OwnPostgres::start() else {
        return;
    };
    let store = PostgresStore::new(&server.url()).unwrap();
    let app = app(SessionLayer::new(store));
    let login = send(&app, "POST", "/insert/user", None, "alice").await;
    assert_eq!(login.status(), 200);
    let cookie = set_cookie_value(&login).unwrap();
    survive_outages(&app, &cookie, &mut server, "PostgreSQL").await;
    // PostgreSQL keeps its data across the restart: the session is still there.
    let read = send(&app, "GET", "/read", Some(&cookie), "").await;
    assert!(common::body_text(read).await.contains("alice"));
}
