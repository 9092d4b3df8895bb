//! Redis hangs, then dies, in the middle of a stream of requests, and comes back: while it
//! is away requests fail fast with 500, nothing panics, and afterwards they succeed again
//! by themselves. The test runs its own `redis-server` on a free loopback port.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::outage::{Server, survive_outages};
use common::{app, send, set_cookie_value};
use satchel::{RedisStore, SessionLayer};

/// A `redis-server` of our own that keeps nothing on disk; killed when dropped.
struct RedisServer {
    port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

impl RedisServer {
    fn start() -> Option<Self> {
        if Command::new("redis-server")
            .arg("--version")
            .output()
            .is_err()
        {
            println!("skipped: redis-server is not installed");
            eprintln!("skipped: redis-server is not installed");
            return None;
        }
        let port = free_port();
        let dir = tempfile::tempdir().unwrap();
        let child = spawn_redis(port, dir.path());
        let server = Self { port, dir, child };
        server.wait_until_listening();
        Some(server)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// SIGSTOP or SIGCONT: a server that hangs, with its socket still open.
    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Redis cannot bind port 0, so ask the OS for a free port and hand it over.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn spawn_redis(port: u16, dir: &Path) -> Child {
    Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .arg("--dir")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

impl Server for RedisServer {
    fn hang(&mut self) {
        self.signal("STOP");
    }
    fn resume(&mut self) {
        self.signal("CONT");
    }
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
    fn restart(&mut self) {
        self.child = spawn_redis(self.port, self.dir.path());
        self.wait_until_listening();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_fail_fast_while_redis_is_away_and_recover_by_themselves() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::new(&server.url()).unwrap();
    let app = app(SessionLayer::new(store));
    let login = send(&app, "POST", "/insert/user", None, "alice").await;
    assert_eq!(login.status(), 200);
    let cookie = set_cookie_value(&login).unwrap();
    survive_outages(&app, &cookie, &mut server, "Redis").await;
    // The restarted server kept nothing, so the old cookie gets a fresh session that works.
    let fresh = send(&app, "POST", "/insert/user", None, "bob").await;
    assert_eq!(fresh.status(), 200);
    let cookie = set_cookie_value(&fresh).unwrap();
    let read = send(&app, "GET", "/read", Some(&cookie), "").await;
    assert_eq!(common::body_text(read).await, r#"{"user":"bob"}"#);
}
