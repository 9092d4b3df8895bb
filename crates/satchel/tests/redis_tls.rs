//! `rediss://`: the Redis store over TLS (rustls), against a `redis-server` of the test's own
//! on a loopback port, with a CA and server certificate the test makes with `openssl`. The
//! certificate is verified, host name included: a store that does not trust the CA, or
//! that reaches the server by a name the certificate does not carry, is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod certificates;

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redis::{Client, TlsCertificates};
use satchel::{Clock, RedisStore, SessionStore as _, SessionStoreExt as _};

/// A TLS-only `redis-server` with its certificates; killed when dropped.
struct TlsRedis {
    port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TlsRedis {
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
        if !certificates::openssl_installed() {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        certificates::make(dir.path());
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let file = |name: &str| dir.path().join(name).display().to_string();
        let child = Command::new("redis-server")
            .args([
                "--port",
                "0",
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(["--tls-port", &port.to_string(), "--tls-auth-clients", "no"])
            .args([
                "--tls-cert-file",
                &file("server.pem"),
                "--tls-key-file",
                &file("server.key"),
            ])
            .args(["--tls-ca-cert-file", &file("ca.pem"), "--dir", &file("")])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let server = Self { port, dir, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(server)
    }

    fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A store reaching the server as `host`, trusting the test's CA.
    fn store(&self, host: &str) -> RedisStore {
        let root = std::fs::read(self.ca()).unwrap();
        let certificates = TlsCertificates {
            client_tls: None,
            root_cert: Some(root),
        };
        let url = format!("rediss://{host}:{}", self.port);
        let client = Client::build_with_tls(url, certificates).unwrap();
        RedisStore::from_client(client).with_timeout(Duration::from_secs(2))
    }
}

#[tokio::test]
async fn sessions_round_trip_over_verified_tls() {
    let Some(server) = TlsRedis::start() else {
        return;
    };
    let store = server.store("localhost").with_clock(Clock::system());
    let mut session = store.new_session().unwrap();
    session.insert("user", "alice").unwrap();
    store.save(&mut session).await.unwrap();
    let again = store.get(session.id().as_str()).await.unwrap();
    assert_eq!(
        again.get::<String>("user").unwrap().as_deref(),
        Some("alice")
    );
    assert_eq!(store.list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_untrusted_or_misnamed_server_is_refused() {
    let Some(server) = TlsRedis::start() else {
        return;
    };
    // The system's roots do not hold the test's CA.
    let untrusted = RedisStore::open(&format!("rediss://localhost:{}", server.port)).await;
    assert!(
        untrusted.is_err(),
        "a certificate of an unknown CA was accepted"
    );
    // The certificate names localhost, not 127.0.0.1.
    let misnamed = server.store("127.0.0.1").list().await;
    assert!(
        misnamed.is_err(),
        "a certificate for another host name was accepted"
    );
    // Plain text to a TLS port gets nowhere either.
    let plain = RedisStore::new(&format!("redis://localhost:{}", server.port))
        .unwrap()
        .with_timeout(Duration::from_millis(500));
    assert!(plain.list().await.is_err());
}

#[test]
fn a_store_url_verifies_against_the_ca_in_ssl_cert_file() {
    let Some(server) = TlsRedis::start() else {
        return;
    };
    let url = format!("rediss://localhost:{}", server.port);
    // As the demo and the CLI open it: by URL, verified by the system's roots, which
    // SSL_CERT_FILE replaces; set for a child process, as the environment cannot be
    // changed safely under other threads.
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_counts_through_a_store_url", "--nocapture"])
        .env("SATCHEL_TLS_CHILD_URL", &url)
        .env("SSL_CERT_FILE", server.ca())
        .status()
        .unwrap();
    assert!(
        status.success(),
        "a store URL with SSL_CERT_FILE did not verify"
    );
}

/// Run by the test above in a child process, whose environment names the CA.
#[test]
fn child_counts_through_a_store_url() {
    let Ok(url) = std::env::var("SATCHEL_TLS_CHILD_URL") else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = RedisStore::open(&url).await.unwrap();
        store.list().await.unwrap();
    });
}
