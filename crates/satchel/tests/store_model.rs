//! Model-based property tests: random operation sequences, one at a time and concurrent,
//! run against every store and compared, step by step, with a plain map of what the store
//! should hold.
//!
//! `PROPTEST_CASES` sets the cases per property (default 64). With `--nocapture` each store
//! prints how many cases and operations it went through.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;
#[path = "store_model/concurrent.rs"]
mod concurrent;
#[path = "store_model/model.rs"]
mod model;
#[path = "store_model/sequences.rs"]
mod sequences;

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use satchel::{Clock, SessionStore};
#[cfg(feature = "werkzeug")]
use time::Duration;

use concurrent::TaskOp;
use model::Deadlines;
use sequences::{MAX_OPS, Tally};

/// Each case makes a fresh server store, whose first use (connecting, and PostgreSQL's
/// schema under a lock all its users share) can outlast the 500 ms default on a loaded
/// machine; what is stored is tested here, not how fast.
#[cfg(any(feature = "postgres", feature = "redis"))]
const SERVER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

fn backend<T>(result: satchel::Result<T>) -> Result<T, TestCaseError> {
    result.map_err(|error| TestCaseError::fail(format!("store error: {error}")))
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(64)
}

/// Runs `test` on `cases()` inputs from `strategy`; a failure panics with the shrunk input.
fn property<T: Debug>(
    what: &str,
    strategy: impl Strategy<Value = T>,
    test: impl Fn(T) -> Result<(), TestCaseError>,
) {
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    };
    if let Err(error) = TestRunner::new(config).run(&strategy, test) {
        panic!("{what}: {error}");
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Random sequences against fresh stores from `make`, each judging expiry by the clock it
/// is given; prints the figure for docs/reliability.md.
fn check_sequences<S: SessionStore>(
    runtime: &tokio::runtime::Runtime,
    name: &str,
    deadlines: Deadlines,
    make: impl Fn(Clock) -> S,
) {
    let tally = Tally::default();
    property(&format!("{name}: sequences"), sequences::ops(), |ops| {
        sequences::count(&tally, "ops".into(), ops.len() as u64);
        runtime.block_on(async {
            let clock = common::now_clock();
            let store = make(clock.clone());
            sequences::run_sequence(&store, &tally, clock, deadlines, &ops).await
        })
    });
    let tally = tally.into_inner().unwrap();
    println!(
        "store_model {name}: {} sequences of 1-{MAX_OPS} ops, {} ops in all; saves and prunes: {tally:?}",
        cases(),
        tally.get("ops").copied().unwrap_or_default(),
    );
}

/// Concurrent writers, and logouts among them, against fresh stores from `make`.
fn check_concurrency<S: SessionStore + Clone>(
    runtime: &tokio::runtime::Runtime,
    name: &str,
    make: impl Fn(Clock) -> S,
) {
    let (writes, logouts) = (AtomicU64::new(0), AtomicU64::new(0));
    let ops_in = |tasks: &[Vec<TaskOp>]| tasks.iter().map(Vec::len).sum::<usize>() as u64;
    property(
        &format!("{name}: concurrent writers"),
        concurrent::tasks(),
        |tasks| {
            writes.fetch_add(ops_in(&tasks), Ordering::Relaxed);
            runtime.block_on(async {
                concurrent::run_concurrent(&make(common::now_clock()), &tasks).await
            })
        },
    );
    property(
        &format!("{name}: logout among writers"),
        concurrent::logout(),
        |case| {
            logouts.fetch_add(ops_in(&case.writers) + 1, Ordering::Relaxed);
            runtime
                .block_on(async { concurrent::run_logout(&make(common::now_clock()), &case).await })
        },
    );
    println!(
        "store_model {name}: {cases} runs of 2-4 concurrent tasks ({} ops), {cases} logouts \
         among 1-3 writers ({} ops)",
        writes.into_inner(),
        logouts.into_inner(),
        cases = cases(),
    );
}

fn check_store<S: SessionStore + Clone>(
    runtime: &tokio::runtime::Runtime,
    name: &str,
    make: impl Fn(Clock) -> S,
) {
    check_sequences(runtime, name, Deadlines::Exact, &make);
    check_concurrency(runtime, name, make);
}

#[test]
fn memory_store_matches_the_model() {
    check_store(&runtime(), "memory", common::memory);
}

#[test]
fn filesystem_store_matches_the_model() {
    let stores = common::FsStores::new();
    check_store(&runtime(), "file", |clock| stores.fresh(clock));
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_store_matches_the_model() {
    let dir = tempfile::tempdir().unwrap();
    check_store(&runtime(), "sqlite", |clock| {
        common::sqlite(dir.path(), clock)
    });
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_store_matches_the_model() {
    let Some(tables) = common::PgTables::new() else {
        return;
    };
    let runtime = runtime();
    let fresh = |clock| tables.fresh(clock).with_timeout(SERVER_TIMEOUT).unwrap();
    check_store(&runtime, "postgres", fresh);
    runtime.block_on(tables.drop_all());
}

/// The stores' connections live on `runtime`, so the clean-up runs there too.
#[cfg(feature = "redis")]
fn redis_matches_the_model(name: &str, stores: Option<common::RedisStores>) {
    let Some(stores) = stores else { return };
    let runtime = runtime();
    check_store(&runtime, name, |clock| {
        stores.fresh(clock).with_timeout(SERVER_TIMEOUT)
    });
    runtime.block_on(stores.clear_all());
}

#[cfg(feature = "redis")]
#[test]
fn redis_store_matches_the_model() {
    redis_matches_the_model("redis", common::RedisStores::server());
}

#[cfg(feature = "redis")]
#[test]
fn redis_cluster_store_matches_the_model() {
    redis_matches_the_model("redis cluster", common::RedisStores::cluster());
}

/// werkzeug's files: raw ids as keys, deadlines from the mtime. The sequences run with
/// werkzeug's own `renew_missing = false` as well, where a dead id is adopted (so a
/// logged-out id can be written again, by design: the concurrent runs keep satchel's default).
#[cfg(feature = "werkzeug")]
#[test]
fn werkzeug_files_match_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let next = AtomicU64::new(0);
    let lifetime = Duration::hours(1);
    let files = |renew_missing: bool| {
        let (dir, next) = (&dir, &next);
        move |clock| {
            let n = next.fetch_add(1, Ordering::Relaxed);
            satchel::FilesystemStore::werkzeug(dir.path().join(n.to_string()))
                .unwrap()
                .with_file_lifetime(lifetime)
                .with_renew_missing(renew_missing)
                .with_clock(clock)
        }
    };
    let runtime = runtime();
    let deadlines = Deadlines::Lifetime(lifetime);
    check_sequences(&runtime, "werkzeug", deadlines, files(true));
    check_sequences(
        &runtime,
        "werkzeug (renew_missing = false)",
        deadlines,
        files(false),
    );
    check_concurrency(&runtime, "werkzeug", files(true));
}
