//! `GET /incr` on plain axum, with a process-wide counter instead of a session: what the
//! same route costs without any session library. Usage: `plain-axum ADDR`.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::routing::get;

static COUNT: AtomicU64 = AtomicU64::new(0);

async fn incr() -> String {
    (COUNT.fetch_add(1, Ordering::Relaxed) + 1).to_string()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3100".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, Router::new().route("/incr", get(incr))).await
}
