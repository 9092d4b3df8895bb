//! Pruning on a schedule, inside the application.

use std::time::Duration;

use tokio::task::JoinHandle;

use super::{AnyStore, Progress, SessionStore};

/// Prunes `store` every `interval` on the current tokio runtime, logging what it deleted;
/// the first run is one interval after the start, not at once. Abort the returned handle
/// to stop it. For a cron job instead, use the `satchel prune` command.
///
/// A failed run is logged and the next one happens as planned.
///
/// # Example
/// ```
/// use std::time::Duration;
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let store = satchel::MemoryStore::new();
/// let pruner = satchel::store::spawn_pruner(store.clone(), Duration::from_secs(300));
/// pruner.abort();
/// # });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn spawn_pruner<S: SessionStore>(store: S, interval: Duration) -> JoinHandle<()> {
    // Erased, so the run is timed and counted where every prune through `AnyStore` is; a
    // boxed future per run, minutes apart, costs nothing.
    let store = AnyStore::new(store);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await; // the first tick is immediate
        loop {
            ticks.tick().await;
            // `AnyStore::prune` opens the `satchel.prune` span.
            let pruned = store.prune(&Progress::none()).await;
            match pruned {
                Ok(deleted) => tracing::debug!(deleted, "pruned expired sessions"),
                Err(err) => tracing::warn!(error = %err, "pruning expired sessions failed"),
            }
        }
    })
}
