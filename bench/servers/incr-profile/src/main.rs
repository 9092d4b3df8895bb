//! The `/incr` route in-process, `N` times, for profilers: `incr-profile MODE N` with
//! MODE one of `plain`, `memory-reuse`, `memory-fresh`, `cookie-reuse`, `cookie-fresh`,
//! `redis-reuse`, `redis-fresh` (Redis at `BENCH_REDIS_URL`, default database 15 of
//! `127.0.0.1:6379`: the socket is real, the HTTP side is not).
//!
//! No sockets but Redis' and one thread, so callgrind's instruction counts and dhat's
//! allocation counts are the same on every run however noisy the machine (the Redis
//! modes' nearly so): run it with two values of `N` and divide the difference by the
//! difference of `N` to get a figure per request (bench/README.md shows how).

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::routing::get;
use inproc::{Failure, Scenario};
use satchel::cookie::{CookieSessions, Key};
use satchel::{MemoryStore, RedisStore, SessionHandle, SessionLayer};

static COUNT: AtomicU64 = AtomicU64::new(0);

async fn plain() -> String {
    (COUNT.fetch_add(1, Ordering::Relaxed) + 1).to_string()
}

async fn incr(session: SessionHandle) -> Result<String, satchel::Error> {
    let n = session
        .update("n", |n: Option<u64>| n.unwrap_or(0) + 1)
        .await?;
    Ok(n.to_string())
}

fn app(store: &str) -> Result<Router, Failure> {
    let route = Router::new();
    Ok(match store {
        "plain" => route.route("/incr", get(plain)).with_state(()),
        "memory" => route
            .route("/incr", get(incr))
            .layer(SessionLayer::new(MemoryStore::new()))
            .with_state(()),
        "cookie" => route
            .route("/incr", get(incr))
            .layer(SessionLayer::in_cookie(CookieSessions::new(
                Key::generate()?
            )))
            .with_state(()),
        "redis" => {
            let url = std::env::var("BENCH_REDIS_URL")
                .unwrap_or_else(|_| "redis://127.0.0.1:6379/15".into());
            route
                .route("/incr", get(incr))
                .layer(SessionLayer::new(RedisStore::new(&url)?))
                .with_state(())
        }
        _ => return Err(format!("unknown mode `{store}`").into()),
    })
}

fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "memory-reuse".into());
    let times: usize = args.next().map_or(Ok(20_000), |n| n.parse())?;
    let (store, scenario) = mode.split_once('-').unwrap_or((mode.as_str(), "reuse"));
    let scenario = Scenario::parse(scenario).ok_or_else(|| format!("unknown mode `{mode}`"))?;
    inproc::drive(app(store)?, scenario, times)
}
