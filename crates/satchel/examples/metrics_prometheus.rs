//! Session metrics for Prometheus: a visit counter on axum with a `/metrics` route that
//! Prometheus scrapes.
//!
//! Run: `cargo run -p satchel --example metrics_prometheus --features metrics`, then
//! `curl -c jar -b jar -X POST localhost:3002/visit` a few times and
//! `curl localhost:3002/metrics`.

use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use satchel::{MemoryStore, SessionHandle, SessionLayer, metrics};

async fn visit(session: SessionHandle) -> Result<String, satchel::Error> {
    let visits = session
        .update("visits", |n: Option<u64>| n.unwrap_or(0) + 1)
        .await?;
    Ok(format!("visit {visits}\n"))
}

/// Buckets for the latency histograms (seconds): from a memory read to a slow database.
const BUCKETS: &[f64] = &[0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0];

fn install_exporter() -> Result<PrometheusHandle, Box<dyn std::error::Error>> {
    // Histograms with buckets, not Prometheus summaries, so they aggregate across instances.
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Prefix("satchel_".into()), BUCKETS)?
        .install_recorder()?;
    metrics::describe();
    Ok(handle)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The recorder first: satchel records into whatever recorder is installed.
    let prometheus = install_exporter()?;
    let store = MemoryStore::new();
    satchel::store::spawn_pruner(store.clone(), Duration::from_secs(60));
    let layer = SessionLayer::new(store).with_secure(false)?; // plain HTTP on localhost
    let app = Router::new()
        .route("/visit", post(visit))
        .layer(layer)
        .route("/metrics", get(move || async move { prometheus.render() }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3002").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
