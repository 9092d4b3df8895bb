//! A PostgreSQL server of the test's own (initdb in a temp dir), for tests that must stop
//! it or configure it, so the shared server is never touched.
#![allow(dead_code, unreachable_pub)] // each test binary uses a different part
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::Command;

/// A PostgreSQL server of the test's own, in a temp dir, stopped when dropped.
pub struct OwnPostgres {
    _dir: tempfile::TempDir,
    pub data: PathBuf,
    pub socket_dir: PathBuf,
    bin: PathBuf,
    pub port: u16,
    /// More `-c name=value` settings for the server.
    settings: Vec<String>,
}

impl OwnPostgres {
    /// Creates and starts one; `None` (with the reason printed) when this machine lacks
    /// the PostgreSQL server binaries or the `postgres` user they must run as under root.
    pub fn start() -> Option<Self> {
        Self::start_with(|_| Vec::new())
    }

    /// Starts one with the `-c` settings `settings` gives for its directory (made before
    /// the server starts, owned by the server's user).
    pub fn start_with(settings: impl FnOnce(&Path) -> Vec<String>) -> Option<Self> {
        let Some(bin) = server_bin() else {
            println!("skipped: no PostgreSQL server binaries (initdb) on this machine");
            return None;
        };
        if rustix::process::geteuid().is_root() && !user_exists("postgres") {
            println!("skipped: running as root without a `postgres` user to run PostgreSQL");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let port = free_port();
        let settings = settings(dir.path());
        hand_to_postgres(dir.path());
        let server = Self {
            socket_dir: dir.path().to_path_buf(),
            _dir: dir,
            data,
            bin,
            port,
            settings,
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

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn up(&self) {
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            path(&self.socket_dir)
        );
        for setting in &self.settings {
            options.push_str(" -c ");
            options.push_str(setting);
        }
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

    pub fn down(&self) {
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

/// Gives `dir`, and what is in it, to the `postgres` user when we are root.
pub fn hand_to_postgres(dir: &Path) {
    if rustix::process::geteuid().is_root() {
        let status = Command::new("chown")
            .args(["-R", "postgres:", path(dir)])
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
