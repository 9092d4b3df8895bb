//! The middleware's cost per request, in-process (tower `oneshot`, no sockets): the same
//! `/incr` route on plain axum (the baseline, measured in the same run) and through
//! satchel's layer on the memory store and on cookie sessions, with a cookie ("reuse") and
//! without ("fresh").
//!
//! Run: `cargo bench -p satchel --all-features --bench middleware`, and read each figure
//! against the baseline of the same run.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)] // a benchmark harness

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use http::Request;
use satchel::cookie::{CookieSessions, Key};
use satchel::{MemoryStore, SessionHandle, SessionLayer, SessionStore};
use tower::ServiceExt as _;

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

fn request(cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get("/incr");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.body(Body::empty()).unwrap()
}

/// The `name=value` of the cookie the first response sets.
fn first_cookie(runtime: &tokio::runtime::Runtime, app: &Router) -> String {
    let response = runtime
        .block_on(app.clone().oneshot(request(None)))
        .unwrap();
    let header = response.headers()["set-cookie"].to_str().unwrap();
    header.split(';').next().unwrap().to_owned()
}

fn through<S: SessionStore>(c: &mut Criterion, name: &str, layer: SessionLayer<S>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    // `with_state` turns the handler into a route once, as `axum::serve` does; without it
    // every `oneshot` would build the route (and the layer's service) again.
    let app = Router::new()
        .route("/incr", get(incr))
        .layer(layer)
        .with_state(());
    let cookie = first_cookie(&runtime, &app);
    c.bench_function(&format!("{name}, reuse"), |b| {
        b.iter(|| {
            runtime
                .block_on(app.clone().oneshot(request(Some(&cookie))))
                .unwrap()
        });
    });
    c.bench_function(&format!("{name}, fresh"), |b| {
        b.iter(|| {
            runtime
                .block_on(app.clone().oneshot(request(None)))
                .unwrap()
        });
    });
}

fn middleware(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let app = Router::new().route("/incr", get(plain)).with_state(());
    c.bench_function("plain axum (baseline)", |b| {
        b.iter(|| {
            runtime
                .block_on(app.clone().oneshot(request(None)))
                .unwrap()
        });
    });
    through(c, "satchel memory", SessionLayer::new(MemoryStore::new()));
    let sessions = CookieSessions::new(Key::generate().unwrap());
    through(c, "satchel cookie", SessionLayer::in_cookie(sessions));
}

criterion_group!(benches, middleware);
criterion_main!(benches);
