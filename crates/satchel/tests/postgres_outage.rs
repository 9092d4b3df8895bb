//! PostgreSQL hangs, then stops, in the middle of a stream of requests, and comes back:
//! requests fail fast with 500, nothing panics, and the service recovers by itself. The test runs its
//! own PostgreSQL instance (initdb in a temp dir), so the shared server is never stopped.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use common::outage::{Server, survive_outages};
use common::own_postgres::OwnPostgres;
use common::{app, send, set_cookie_value};
use satchel::{PostgresStore, SessionLayer};
use std::process::Command;

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
