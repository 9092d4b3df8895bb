//! Two demo processes sharing one Redis, then one PostgreSQL: a session made through one
//! is read and changed through the other, and 64 concurrent writers of distinct keys,
//! spread over both processes, leave all 64.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use std::net::TcpStream;
use std::time::Duration;

use common::Demo;

const WRITERS: usize = 64;

/// The URL for `var`, or the default when something listens there; `None` (and a printed
/// reason) to skip.
fn server(store: &str, var: &str, default: &str, addr: &str) -> Option<String> {
    if let Ok(url) = std::env::var(var) {
        return Some(url);
    }
    let socket = addr.parse().unwrap();
    if TcpStream::connect_timeout(&socket, Duration::from_millis(500)).is_ok() {
        return Some(default.to_owned());
    }
    println!("skipped: {store} not reachable at {addr} (set {var} to run this test)");
    None
}

fn two_processes_share_sessions(url: &str) {
    let (a, b) = (
        Demo::start(&["--store", url]),
        Demo::start(&["--store", url]),
    );
    let made = a.send("PUT", "/api/session/colour", None, r#""green""#);
    let cookie = made.cookie.unwrap();
    assert_eq!(
        b.send("GET", "/api/session", Some(&cookie), "").body,
        r#"{"colour":"green"}"#
    );
    assert_eq!(
        b.send("POST", "/api/counter", Some(&cookie), "").body,
        r#"{"count":1}"#
    );
    assert_eq!(
        a.send("POST", "/api/counter", Some(&cookie), "").body,
        r#"{"count":2}"#
    );

    std::thread::scope(|scope| {
        for n in 0..WRITERS {
            let (demo, cookie) = (if n % 2 == 0 { &a } else { &b }, &cookie);
            scope.spawn(move || {
                let reply = demo.send("PUT", &format!("/api/session/key{n}"), Some(cookie), "true");
                assert_eq!(reply.status, 204, "{reply:?}");
            });
        }
    });
    let data: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&a.send("GET", "/api/session", Some(&cookie), "").body).unwrap();
    let present = (0..WRITERS)
        .filter(|n| data.contains_key(&format!("key{n}")))
        .count();
    println!("{url}: {present}/{WRITERS} keys present");
    assert_eq!(present, WRITERS);
    assert_eq!(data["colour"], "green");

    assert_eq!(b.send("POST", "/api/logout", Some(&cookie), "").status, 204);
    assert_eq!(a.send("GET", "/api/session", Some(&cookie), "").body, "{}");
}

#[test]
fn two_demos_share_one_redis() {
    let var = "SATCHEL_TEST_REDIS_URL";
    if let Some(url) = server("redis", var, "redis://127.0.0.1:6379", "127.0.0.1:6379") {
        two_processes_share_sessions(&url);
    }
}

#[test]
fn two_demos_share_one_postgres() {
    let (var, default) = (
        "SATCHEL_TEST_POSTGRES_URL",
        "postgres://postgres@127.0.0.1:5432/test",
    );
    if let Some(url) = server("postgres", var, default, "127.0.0.1:5432") {
        two_processes_share_sessions(&url);
    }
}
