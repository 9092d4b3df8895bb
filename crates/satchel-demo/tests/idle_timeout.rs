//! The real demo binary with `--idle-timeout 2s`: a session is alive after half a second
//! of idleness and gone after 3.5 s, over a real socket.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use std::time::Duration;

use common::Demo;

/// A session set, read after half a second of idleness (alive), then after 3 s more
/// (gone). Times are whole seconds, so a 2 s timeout ends between 1 and 2 s after the last
/// request: a read at 1 s failed whenever the request landed late in its second and the
/// machine was slow (a loaded CI run).
fn outlives_half_a_second_but_not_three(demo: &Demo) {
    let put = demo.send("PUT", "/api/session/colour", None, r#""green""#);
    assert_eq!(put.status, 204);
    let cookie = put.cookie.unwrap();

    std::thread::sleep(Duration::from_millis(500));
    let read = demo.send("GET", "/api/session", Some(&cookie), "");
    assert_eq!(
        read.body, r#"{"colour":"green"}"#,
        "gone after half a second"
    );
    std::thread::sleep(Duration::from_secs(3));
    // The client kept its cookie; the server's deadline has passed all the same.
    let read = demo.send("GET", "/api/session", Some(&cookie), "");
    assert_eq!(read.body, "{}", "alive after 3 s idle");
}

#[test]
fn a_session_idle_longer_than_the_timeout_is_gone() {
    let demo = Demo::start(&["--store", "memory:", "--idle-timeout", "2s"]);
    outlives_half_a_second_but_not_three(&demo);
}

#[test]
fn cookie_sessions_expire_too() {
    let key = [(
        "SATCHEL_KEY",
        "a demo key of at least thirty-two bytes, not for production",
    )];
    let demo = Demo::start_with_env(&["--store", "cookie:", "--idle-timeout", "2s"], &key);
    outlives_half_a_second_but_not_three(&demo);
}
