//! `satchel-demo`: parses the arguments, opens the store and serves the demo app until
//! Ctrl-C. Exit codes: 0 after a clean shutdown, 1 for a bad setting or a server failure,
//! 2 for a command line clap cannot parse.

mod args;

use std::process::ExitCode;

use clap::Parser;
use satchel::SessionLayer;
use satchel::store::{AnyStore, Opened};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use crate::args::Args;

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    init_logging();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stdout, filtered by `RUST_LOG` (default `info`). The PostgreSQL driver logs
/// every statement's parameters at DEBUG, session data and stored keys included: its log
/// stays at INFO whatever `RUST_LOG` says, so a session never reaches the log.
fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let filter = match "tokio_postgres=info".parse() {
        Ok(quiet) => filter.add_directive(quiet),
        Err(_) => filter,
    };
    tracing_subscriber::fmt().with_env_filter(filter).init();
}

/// How often the demo deletes expired sessions from its store.
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

/// Opens everything, then serves until Ctrl-C.
///
/// # Errors
/// A one-line message for stderr.
async fn run(args: &Args) -> Result<(), String> {
    let (layer, store) = session_layer(args)?;
    // Expired sessions are never served; this also removes them from the store (cookie
    // sessions have no store to prune).
    let pruner = store.map(|store| satchel::store::spawn_pruner(store, PRUNE_EVERY));
    let listener = TcpListener::bind(&args.addr)
        .await
        .map_err(|err| format!("cannot listen on {}: {err}", args.addr))?;
    let addr = listener
        .local_addr()
        .map_err(|err| format!("cannot read the listening address: {err}"))?;
    println!(
        "satchel demo listening on http://{addr} (store: {})",
        args.shown_store()
    );
    let served = axum::serve(listener, satchel_demo::app(layer))
        .with_graceful_shutdown(ctrl_c())
        .await
        .map_err(|err| format!("the server failed: {err}"));
    if let Some(pruner) = pruner {
        pruner.abort();
    }
    served
}

/// The session layer the arguments ask for, and its store (none for cookie sessions); the
/// timeouts are checked before the store is opened, so a bad option never creates a store
/// directory.
///
/// # Errors
/// A bad timeout, or a store URL the library rejects.
fn session_layer(args: &Args) -> Result<(SessionLayer, Option<AnyStore>), String> {
    let (idle, absolute) = (args.idle_timeout()?, args.absolute_timeout()?);
    let opened = satchel::store::open(&args.store)
        .map_err(|err| format!("cannot open the store `{}`: {err}", args.shown_store()))?;
    let store = match &opened {
        Opened::Store(store) => Some(store.clone()),
        _ => None,
    };
    let mut layer = SessionLayer::from(opened)
        .with_cookie(args.cookie())
        .map_err(|err| format!("the cookie settings do not work: {err}"))?;
    if let Some(idle) = idle {
        layer = layer.with_idle_timeout(idle);
    }
    if let Some(absolute) = absolute {
        layer = layer.with_absolute_timeout(absolute);
    }
    Ok((layer, store))
}

/// Resolves on Ctrl-C, letting requests in flight finish.
async fn ctrl_c() {
    match tokio::signal::ctrl_c().await {
        Ok(()) => tracing::info!("Ctrl-C: shutting down"),
        Err(err) => {
            // Without a signal handler, run until killed rather than stop at once.
            tracing::warn!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    }
}
