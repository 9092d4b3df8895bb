//! `sslmode=require` / `verify-full`: the PostgreSQL store over TLS (rustls), against a
//! PostgreSQL of the test's own that accepts only TLS connections, with a CA and server
//! certificate the test makes with `openssl`. The certificate and host name are verified:
//! an unknown CA, or a name the certificate does not carry, is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod certificates;
mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::own_postgres::OwnPostgres;
use satchel::{PostgresStore, SessionStore as _};

#[allow(clippy::disallowed_methods)] // test fixtures, not session files
fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

/// A CA, a server certificate it signs for `localhost` only, and an hba file that lets in
/// TLS connections alone; the server settings that use them.
fn tls_settings(dir: &Path) -> Vec<String> {
    certificates::make(dir);
    write(
        &dir.join("pg_hba.conf"),
        "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostssl all all ::1/128 trust\n",
    );
    let file = |name: &str| dir.join(name).display().to_string();
    vec![
        "ssl=on".into(),
        format!("ssl_cert_file={}", file("server.pem")),
        format!("ssl_key_file={}", file("server.key")),
        format!("hba_file={}", file("pg_hba.conf")),
    ]
}

fn start() -> Option<(OwnPostgres, std::path::PathBuf)> {
    if !certificates::openssl_installed() {
        return None;
    }
    let server = OwnPostgres::start_with(tls_settings)?;
    let ca = server.socket_dir.join("ca.pem");
    Some((server, ca))
}

/// Runs the child test below with `url` and, if given, `SSL_CERT_FILE`; whether it
/// could save and read a session. The roots are read from the environment, which can be
/// set safely only for a process of its own.
fn round_trips(url: &str, ca: Option<&Path>) -> bool {
    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args(["--exact", "child_round_trips_a_session", "--nocapture"])
        .env("SATCHEL_PG_TLS_CHILD_URL", url)
        .env_remove("SSL_CERT_FILE")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(ca) = ca {
        child.env("SSL_CERT_FILE", ca);
    }
    child.status().unwrap().success()
}

#[test]
fn sessions_go_over_verified_tls_and_nothing_else_connects() {
    let Some((server, ca)) = start() else { return };
    let port = server.port;
    let url = |host: &str, mode: &str| {
        format!("postgres://postgres@{host}:{port}/postgres?sslmode={mode}")
    };
    assert!(
        round_trips(&url("localhost", "verify-full"), Some(&ca)),
        "verify-full with the CA"
    );
    assert!(
        round_trips(&url("localhost", "require"), Some(&ca)),
        "require with the CA"
    );
    // The server takes TLS connections only, so a round trip above went over TLS.
    assert!(
        !round_trips(&url("localhost", "disable"), Some(&ca)),
        "plain text got in"
    );
    assert!(
        !round_trips(&url("localhost", "verify-full"), None),
        "an unknown CA was trusted"
    );
    assert!(
        !round_trips(&url("localhost", "require"), None),
        "require did not verify"
    );
    assert!(
        !round_trips(&url("127.0.0.1", "verify-full"), Some(&ca)),
        "a name the certificate lacks was accepted"
    );
}

/// Run by the test above in a child process.
#[test]
fn child_round_trips_a_session() {
    let Ok(url) = std::env::var("SATCHEL_PG_TLS_CHILD_URL") else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = PostgresStore::new(&url).unwrap();
        common::alice_reads_back(&store).await;
        assert!(!store.list().await.unwrap().is_empty());
    });
}
