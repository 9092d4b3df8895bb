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
