//! Certificates for the TLS tests, made with the `openssl` command: a CA, and a server
//! certificate it signs for `localhost` only (not 127.0.0.1), so a test can show that the
//! host name is checked. Files in the given directory: `ca.pem`, `server.pem`, and
//! `server.key` (mode 0600, as PostgreSQL demands).
#![allow(dead_code, unreachable_pub)] // each test binary uses a different part
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::Path;
use std::process::{Command, Stdio};

/// Whether `openssl` can be run; prints the skip message when it cannot.
pub fn openssl_installed() -> bool {
    let found = Command::new("openssl").arg("version").output().is_ok();
    if !found {
        println!("skipped: openssl is not installed");
        eprintln!("skipped: openssl is not installed");
    }
    found
}

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "openssl {args:?}");
}

/// Makes the CA and the server's certificate and key in `dir`.
#[allow(clippy::disallowed_methods)] // a test fixture, not a session file
pub fn make(dir: &Path) {
    let ca = "req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=satchel-test-CA -keyout ca.key -out ca.pem";
    openssl(dir, &ca.split(' ').collect::<Vec<_>>());
    let request =
        "req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key -out server.csr";
    openssl(dir, &request.split(' ').collect::<Vec<_>>());
    std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost\n").unwrap();
    let sign = "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.pem";
    openssl(dir, &sign.split(' ').collect::<Vec<_>>());
    use std::os::unix::fs::PermissionsExt as _;
    let private = std::fs::Permissions::from_mode(0o600);
    std::fs::set_permissions(dir.join("server.key"), private).unwrap();
}
