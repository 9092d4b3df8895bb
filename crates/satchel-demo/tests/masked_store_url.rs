//! The demo never prints a secret of its store URL: not at start-up, not in an error.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

const SECRET: &str = "s3cret";

#[test]
fn the_start_up_line_masks_every_form_of_password() {
    for url in [
        "postgres://postgres:s3cret@127.0.0.1:5432/test",
        "postgres://postgres@127.0.0.1:5432/test?password=s3cret",
        "redis://:s3cret@127.0.0.1:6379/0",
        "redis://127.0.0.1:6379/0?pass=s3cret",
    ] {
        // Server stores connect on first use, so the demo starts without their servers.
        let mut child = Command::new(env!("CARGO_BIN_EXE_satchel-demo"))
            .args(["--addr", "127.0.0.1:0", "--store", url])
            .env("RUST_LOG", "trace")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(line.contains("(store: ") && line.contains("***"), "{line}");
        assert!(!line.contains(SECRET), "{url}: {line}");
    }
}

#[test]
fn a_store_url_that_does_not_open_is_reported_masked() {
    for url in [
        "host=127.0.0.1 password=s3cret",
        "password=s3cret:x",
        "gopher://u:s3cret@127.0.0.1:70",
        "postgres://u@127.0.0.1:5432/test?password=s3cret&port=x",
        // tokio-postgres has no sslpassword: an error, which must not show it either.
        "postgres://u@127.0.0.1:5432/test?sslmode=disable&sslpassword=s3cret",
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_satchel-demo"))
            .args(["--addr", "127.0.0.1:0", "--store", url])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        assert_eq!(output.status.code(), Some(1), "{url}: {stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(
            !stdout.contains(SECRET) && !stderr.contains(SECRET),
            "{url}: {stderr}"
        );
    }
}
