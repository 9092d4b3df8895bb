//! The real demo binary with `--idle-timeout 2s`: a session is alive after 1 s of
//! idleness and gone after 3 s, over a real socket.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use std::time::Duration;

use common::Demo;

#[test]
fn a_session_idle_longer_than_the_timeout_is_gone() {
    let demo = Demo::start(&["--store", "memory:", "--idle-timeout", "2s"]);
    let put = demo.send("PUT", "/api/session/colour", None, r#""green""#);
    assert_eq!(put.status, 204);
    let cookie = put.cookie.unwrap();

    std::thread::sleep(Duration::from_secs(1));
    let read = demo.send("GET", "/api/session", Some(&cookie), "");
    assert_eq!(read.body, r#"{"colour":"green"}"#, "gone after 1 s");
    std::thread::sleep(Duration::from_secs(3));
    let read = demo.send("GET", "/api/session", Some(&cookie), "");
    assert_eq!(read.body, "{}", "alive after 3 s idle");
}

#[test]
fn cookie_sessions_expire_too() {
    let key = [(
        "SATCHEL_KEY",
        "a demo key of at least thirty-two bytes, not for production",
    )];
    let demo = Demo::start_with_env(&["--store", "cookie:", "--idle-timeout", "2s"], &key);
    let put = demo.send("PUT", "/api/session/colour", None, r#""green""#);
    let cookie = put.cookie.unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let read = demo.send("GET", "/api/session", Some(&cookie), "");
    assert_eq!(read.body, r#"{"colour":"green"}"#, "gone after 1 s");
    std::thread::sleep(Duration::from_secs(3));
    // The client kept its cookie; the deadline inside it has passed all the same.
    let read = demo.send("GET", "/api/session", Some(&cookie), "");
    assert_eq!(read.body, "{}", "alive after 3 s idle");
}
