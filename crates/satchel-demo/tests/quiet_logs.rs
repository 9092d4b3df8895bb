//! The demo's whole flow with its log at TRACE: no session id, cookie value, stored key,
//! CSRF token or URL password ever reaches the log.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use common::Demo;
use satchel::SessionId;
use serde_json::json;

/// Every secret a flow handled, for looking for in the log.
fn secrets_of(cookie: &str) -> Vec<String> {
    let value = cookie.trim_start_matches("session_id=").to_owned();
    let mut secrets = vec![value.clone()];
    if let Some(id) = SessionId::parse(&value) {
        secrets.push(id.storage_key().as_str().to_owned());
    }
    secrets
}

fn flow(demo: &Demo) -> Vec<String> {
    let mut secrets = Vec::new();
    let first = demo.send("PUT", "/api/session/colour", None, r#""green""#);
    let cookie = first.cookie.unwrap();
    secrets.extend(secrets_of(&cookie));
    demo.send("POST", "/api/counter", Some(&cookie), "");
    let page = demo.send("GET", "/", Some(&cookie), "");
    let token = page.body.split("name=\"csrf\" value=\"").nth(1);
    let token = token
        .and_then(|rest| rest.split('"').next())
        .expect("the page's CSRF token");
    secrets.push(token.to_owned());
    let login = demo.send(
        "POST",
        "/api/login",
        Some(&cookie),
        &json!({"user": "alice"}).to_string(),
    );
    let cookie = login.cookie.unwrap();
    secrets.extend(secrets_of(&cookie));
    demo.send("GET", "/api/sessions", Some(&cookie), "");
    demo.send("POST", "/api/logout-everywhere", Some(&cookie), "");
    demo.send(
        "GET",
        "/api/session/../../etc/passwd",
        Some("session_id=forged"),
        "",
    );
    demo.send("POST", "/api/logout", Some(&cookie), "");
    // The old cookie, replayed.
    demo.send("GET", "/api/session", Some(&cookie), "");
    secrets
}

fn assert_quiet(store: &str, password: Option<&str>) {
    let env = [
        ("RUST_LOG", "trace"),
        (
            "SATCHEL_KEY",
            "a key of at least thirty-two bytes, for cookie:",
        ),
    ];
    let (demo, log) = Demo::start_logged(&["--store", store], &env);
    let secrets = flow(&demo);
    drop(demo);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = log.lock().unwrap().clone();
    assert!(log.contains("TRACE"), "the log is not at TRACE: {log}");
    for secret in secrets.iter().map(String::as_str).chain(password) {
        assert!(secret.len() >= 8, "{secret:?}");
        if let Some(line) = log.lines().find(|line| line.contains(secret)) {
            let shown = line.replace(secret, "<SECRET>");
            panic!(
                "a secret ({} chars) in the log on {store}: {shown}",
                secret.len()
            );
        }
    }
    println!(
        "{store}: {} log lines, {} secrets, none of them in the log",
        log.lines().count(),
        secrets.len()
    );
}

#[test]
fn nothing_secret_reaches_a_trace_log() {
    let dir = tempfile::tempdir().unwrap();
    assert_quiet("memory:", None);
    assert_quiet(&format!("file:{}", dir.path().join("s").display()), None);
    assert_quiet("cookie:", None);
    if std::net::TcpStream::connect("127.0.0.1:6379").is_ok() {
        assert_quiet("redis://127.0.0.1:6379/13", None);
    } else {
        println!("skipped: Redis not reachable at 127.0.0.1:6379");
    }
}

#[test]
fn a_url_password_never_reaches_a_trace_log() {
    // PostgreSQL trusts loopback here, so the password is accepted and never checked.
    let url = "postgres://postgres:pw-s3cret-9f2@127.0.0.1:5432/test";
    if std::net::TcpStream::connect("127.0.0.1:5432").is_err() {
        println!("skipped: PostgreSQL not reachable at 127.0.0.1:5432");
        return;
    }
    assert_quiet(url, Some("pw-s3cret-9f2"));
}
