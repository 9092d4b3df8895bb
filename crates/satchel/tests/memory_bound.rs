//! Memory stays bounded under a client that grows sessions: a flood of cookie-less
//! writes of 60 KB each into a `MemoryStore` limited to 64 MiB, and one session grown
//! 60 KB at a time, through the middleware. The process's resident memory is measured
//! before and after (its own test binary, so nothing else runs in the process).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use common::{app, send, set_cookie_value};

use satchel::{MemoryStore, SessionLayer};

const LIMIT: usize = 64 << 20;
const VALUE: usize = 60_000;

/// A line of /proc/self/status, in bytes (`VmRSS`, `VmHWM`).
fn status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|line| line.starts_with(field)).unwrap();
    let kib: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_growing_sessions_stays_within_the_limit() {
    let store = MemoryStore::new().with_max_bytes(LIMIT);
    let app = app(SessionLayer::new(store.clone()));
    let value = "x".repeat(VALUE);
    let before = status_bytes("VmRSS:");

    // 3,000 clients without a cookie, 180 MB between them.
    let (mut stored, mut refused) = (0, 0);
    for _ in 0..3000 {
        match send(&app, "POST", "/insert/blob", None, &value)
            .await
            .status()
            .as_u16()
        {
            200 => stored += 1,
            503 => refused += 1,
            other => panic!("answered {other}"),
        }
    }
    assert!(
        refused > 0 && stored > 0,
        "{stored} stored, {refused} refused"
    );
    assert!(store.bytes() <= LIMIT + VALUE, "{}", store.bytes());
    assert_eq!(store.len(), stored);

    // One client growing its own session 60 KB at a time, in a store with room: 413 at
    // the session's own limit (1 MiB).
    let app = common::app(SessionLayer::new(MemoryStore::new()));
    let first = send(&app, "POST", "/insert/k0", None, "").await;
    let cookie = set_cookie_value(&first);
    let mut grown = 0;
    let status = loop {
        let status = send(
            &app,
            "POST",
            &format!("/insert/k{grown}"),
            cookie.as_deref(),
            &value,
        )
        .await
        .status()
        .as_u16();
        if status != 200 {
            break status;
        }
        grown += 1;
        assert!(grown < 100, "a session grew past 6 MB");
    };
    let after = status_bytes("VmRSS:");
    let peak = status_bytes("VmHWM:");
    let growth = after.saturating_sub(before);
    println!(
        "flood: {stored} sessions stored, {refused} refused with 503; store at {:.1} of its {} MiB; \
         one session grew {grown} times, then {status}; resident memory {:.1} MiB -> {:.1} MiB \
         (+{:.1} MiB, peak {:.1} MiB)",
        store.bytes() as f64 / (1 << 20) as f64,
        LIMIT >> 20,
        before as f64 / (1 << 20) as f64,
        after as f64 / (1 << 20) as f64,
        growth as f64 / (1 << 20) as f64,
        peak as f64 / (1 << 20) as f64,
    );
    assert_eq!(status, 413);
    assert!((15..=18).contains(&grown), "{grown}");
    assert!(growth < 2 * LIMIT, "resident memory grew {growth} bytes");
}
