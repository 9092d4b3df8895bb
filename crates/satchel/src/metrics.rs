//! Counters and latency histograms for operators, through the [`metrics`](https://docs.rs/metrics)
//! facade (feature `metrics`): the application installs the exporter it wants
//! (Prometheus, StatsD, OpenTelemetry, …) and satchel records into it.
//!
//! # What is recorded
//! | Metric | Kind | Labels | What |
//! | --- | --- | --- | --- |
//! | `satchel_loads_total` | counter | `store`, `outcome` | sessions looked up by a cookie's id |
//! | `satchel_load_seconds` | histogram | `store` | time the store took to read one |
//! | `satchel_saves_total` | counter | `store`, `outcome` | saves and touches, by what they did |
//! | `satchel_save_seconds` | histogram | `store` | time one save or touch took |
//! | `satchel_store_errors_total` | counter | `store`, `operation` | backend failures |
//! | `satchel_prunes_total` | counter | `store`, `outcome` | prune runs |
//! | `satchel_pruned_sessions_total` | counter | `store` | expired sessions a prune deleted |
//! | `satchel_prune_seconds` | histogram | `store` | time one prune run took |
//!
//! Label values are a small fixed set, never an id, a storage key, a user or a URL:
//! - `store`: [`SessionStore::backend_name`]: `memory`,
//!   `file`, `werkzeug`, `sqlite`, `redis`, `postgres`, `cookie` (sessions sealed in the
//!   cookie), or `custom` for a store that does not name itself.
//! - `outcome` of a load: `found`, `missing` (unknown id: a fresh session), `expired`,
//!   `malformed` (not an id of this store: nothing read, no time recorded), `revoked` (a
//!   cookie session on the revocation list), `error`.
//! - `outcome` of a save: `created`, `updated`, `rotated`, `deleted`, `gone` (the record was
//!   deleted or expired meanwhile), `unchanged`, `touched` (only the idle deadline moved),
//!   `conflict` ([`Error::Conflict`]), `refused` (over the [`Limits`](crate::Limits), answered
//!   413; nothing written), `error` (the backend failed).
//! - `operation` of a store error: `load`, `save`, `touch`, `prune`.
//! - `outcome` of a prune: `ok`, `error`.
//!
//! Loads and saves are counted where every store passes: [`SessionStoreExt::get`](crate::SessionStoreExt::get) and
//! [`SessionStoreExt::save`](crate::SessionStoreExt::save) (so the middleware's and an application's own calls alike), and
//! the middleware's touches and cookie sessions. Prunes are counted for
//! [`AnyStore`](crate::store::AnyStore) (what the `satchel prune` command and
//! [`store::open`](crate::store::open) use) and [`spawn_pruner`](crate::store::spawn_pruner).
//!
//! Each event costs a registry lookup of its static key in the installed recorder and an
//! atomic add; without a recorder, next to nothing; without the feature, nothing at all
//! (the clock is not even read).
//!
//! Histograms are in seconds. [`describe`] registers each metric's help text and unit with
//! the recorder installed at that moment.
//!
//! # With Prometheus
//! [`metrics-exporter-prometheus`](https://docs.rs/metrics-exporter-prometheus) renders the
//! text format; give the histograms buckets, or it renders them as summaries. The complete
//! axum app with a `/metrics` route is `examples/metrics_prometheus.rs`.
//! ```
//! use metrics_exporter_prometheus::PrometheusBuilder;
//! use satchel::{MemoryStore, SessionStoreExt};
//!
//! let recorder = PrometheusBuilder::new()
//!     .set_buckets(&[0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5])?
//!     .build_recorder();
//! let prometheus = recorder.handle();
//! // An application calls `recorder.install()?` once, at start; this example keeps it local.
//! metrics::with_local_recorder(&recorder, || {
//!     satchel::metrics::describe();
//!     tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//!         let store = MemoryStore::new();
//!         let mut session = store.new_session()?;
//!         session.insert("user", "alice")?;
//!         store.save(&mut session).await?;
//!         store.get(session.id().as_str()).await?;
//!         Ok::<(), Box<dyn std::error::Error>>(())
//!     })
//! })?;
//! let text = prometheus.render();
//! assert!(text.contains(r#"satchel_saves_total{store="memory",outcome="created"} 1"#));
//! assert!(text.contains(r#"satchel_loads_total{store="memory",outcome="found"} 1"#));
//! assert!(text.contains(r#"satchel_load_seconds_bucket{store="memory",le="0.0005"}"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "metrics")]
use std::time::Instant;

use time::OffsetDateTime;

#[cfg(feature = "metrics")]
use crate::error::Error;
use crate::error::Result;
use crate::record::Record;
use crate::store::{SaveOutcome, SessionStore};

/// Sessions looked up by id: counter, labels `store`, `outcome`.
#[cfg(feature = "metrics")]
pub const LOADS: &str = "satchel_loads_total";
/// Time a store took to read a session: histogram in seconds, label `store`.
#[cfg(feature = "metrics")]
pub const LOAD_SECONDS: &str = "satchel_load_seconds";
/// Saves and touches: counter, labels `store`, `outcome`.
#[cfg(feature = "metrics")]
pub const SAVES: &str = "satchel_saves_total";
/// Time a save or touch took: histogram in seconds, label `store`.
#[cfg(feature = "metrics")]
pub const SAVE_SECONDS: &str = "satchel_save_seconds";
/// Backend failures: counter, labels `store`, `operation`.
#[cfg(feature = "metrics")]
pub const STORE_ERRORS: &str = "satchel_store_errors_total";
/// Prune runs: counter, labels `store`, `outcome`.
#[cfg(feature = "metrics")]
pub const PRUNES: &str = "satchel_prunes_total";
/// Expired sessions deleted by prunes: counter, label `store`.
#[cfg(feature = "metrics")]
pub const PRUNED_SESSIONS: &str = "satchel_pruned_sessions_total";
/// Time a prune run took: histogram in seconds, label `store`.
#[cfg(feature = "metrics")]
pub const PRUNE_SECONDS: &str = "satchel_prune_seconds";

/// The `store` label of sessions sealed in the cookie.
#[cfg(all(feature = "metrics", feature = "cookie-store"))]
const COOKIE: &str = "cookie";

/// Registers the help text and unit of every satchel metric with the current recorder
/// (call it once, after installing the exporter; without it the metrics still record).
///
/// # Example
/// ```
/// let recorder = metrics_util::debugging::DebuggingRecorder::new();
/// metrics::with_local_recorder(&recorder, satchel::metrics::describe);
/// ```
#[cfg(feature = "metrics")]
pub fn describe() {
    use ::metrics::{Unit, describe_counter, describe_histogram};
    describe_counter!(LOADS, Unit::Count, "Sessions looked up by id, by outcome.");
    describe_histogram!(
        LOAD_SECONDS,
        Unit::Seconds,
        "Time a store took to read a session."
    );
    describe_counter!(SAVES, Unit::Count, "Session saves and touches, by outcome.");
    describe_histogram!(SAVE_SECONDS, Unit::Seconds, "Time a save or touch took.");
    describe_counter!(
        STORE_ERRORS,
        Unit::Count,
        "Session store failures, by operation."
    );
    describe_counter!(PRUNES, Unit::Count, "Runs of pruning expired sessions.");
    describe_counter!(
        PRUNED_SESSIONS,
        Unit::Count,
        "Expired sessions deleted by prunes."
    );
    describe_histogram!(PRUNE_SECONDS, Unit::Seconds, "Time a prune run took.");
}

/// When an operation started; without the feature, nothing (the clock is not read).
#[derive(Clone, Copy)]
pub(crate) struct Timer {
    #[cfg(feature = "metrics")]
    start: Instant,
}

impl Timer {
    #[inline(always)]
    pub(crate) fn start() -> Self {
        Self {
            #[cfg(feature = "metrics")]
            start: Instant::now(),
        }
    }
}

/// A looked-up id that is not of the store's shape: nothing was read.
#[inline(always)]
pub(crate) fn load_malformed<S: SessionStore + ?Sized>(store: &S) {
    #[cfg(feature = "metrics")]
    count(LOADS, store.backend_name(), "malformed");
    #[cfg(not(feature = "metrics"))]
    let _ = store;
}

/// A store read of a session's record, judged at `now`.
#[inline(always)]
pub(crate) fn loaded<S: SessionStore + ?Sized>(
    store: &S,
    loaded: &Result<Option<Record>>,
    now: OffsetDateTime,
    timer: Timer,
) {
    #[cfg(feature = "metrics")]
    {
        let outcome = match loaded {
            Ok(Some(record)) if record.is_expired(now) => "expired",
            Ok(Some(_)) => "found",
            Ok(None) => "missing",
            Err(_) => "error",
        };
        load(store.backend_name(), outcome, loaded.is_err(), timer);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (store, loaded, now, timer);
}

/// A cookie session opened: `Some(revoked)` when one was sealed inside, `None` when the
/// value was unusable.
#[cfg(feature = "cookie-store")]
#[inline(always)]
pub(crate) fn cookie_loaded(opened: Option<&Result<bool>>, timer: Timer) {
    #[cfg(feature = "metrics")]
    {
        let outcome = match opened {
            None => "missing",
            Some(Ok(false)) => "found",
            Some(Ok(true)) => "revoked",
            Some(Err(_)) => "error",
        };
        load(COOKIE, outcome, matches!(opened, Some(Err(_))), timer);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (opened, timer);
}

/// A save through [`SessionStoreExt::save`](crate::SessionStoreExt::save).
#[inline(always)]
pub(crate) fn saved<S: SessionStore + ?Sized>(
    store: &S,
    saved: &Result<SaveOutcome>,
    timer: Timer,
) {
    #[cfg(feature = "metrics")]
    save(store.backend_name(), "save", saved, timer);
    #[cfg(not(feature = "metrics"))]
    let _ = (store, saved, timer);
}

/// The middleware moved a stored session's idle deadline: `Ok(false)` when it was gone.
#[inline(always)]
pub(crate) fn touched<S: SessionStore + ?Sized>(store: &S, touched: &Result<bool>, timer: Timer) {
    #[cfg(feature = "metrics")]
    {
        let outcome = touched.as_ref().map(|&live| {
            if live {
                SaveOutcome::Touched
            } else {
                SaveOutcome::Gone
            }
        });
        save_ref(store.backend_name(), "touch", outcome, timer);
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (store, touched, timer);
}

/// A cookie session committed (or touched) by the middleware.
#[cfg(feature = "cookie-store")]
#[inline(always)]
pub(crate) fn cookie_saved(saved: &Result<SaveOutcome>, timer: Timer) {
    #[cfg(feature = "metrics")]
    save(COOKIE, "save", saved, timer);
    #[cfg(not(feature = "metrics"))]
    let _ = (saved, timer);
}

/// A prune run of the store named `store`.
#[inline(always)]
pub(crate) fn pruned<S: SessionStore + ?Sized>(store: &S, pruned: &Result<u64>, timer: Timer) {
    #[cfg(feature = "metrics")]
    {
        let store = store.backend_name();
        let outcome = if pruned.is_ok() { "ok" } else { "error" };
        count(PRUNES, store, outcome);
        match pruned {
            Ok(deleted) => {
                ::metrics::counter!(PRUNED_SESSIONS, "store" => store).increment(*deleted)
            }
            Err(_) => store_error(store, "prune"),
        }
        ::metrics::histogram!(PRUNE_SECONDS, "store" => store).record(timer.start.elapsed());
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (store, pruned, timer);
}

#[cfg(feature = "metrics")]
fn load(store: &'static str, outcome: &'static str, failed: bool, timer: Timer) {
    count(LOADS, store, outcome);
    if outcome == "malformed" {
        return;
    }
    if failed {
        store_error(store, "load");
    }
    ::metrics::histogram!(LOAD_SECONDS, "store" => store).record(timer.start.elapsed());
}

#[cfg(feature = "metrics")]
fn save(store: &'static str, operation: &'static str, saved: &Result<SaveOutcome>, timer: Timer) {
    save_ref(store, operation, saved.as_ref().copied(), timer);
}

#[cfg(feature = "metrics")]
fn save_ref(
    store: &'static str,
    operation: &'static str,
    saved: std::result::Result<SaveOutcome, &Error>,
    timer: Timer,
) {
    let outcome = match saved {
        Ok(outcome) => save_label(outcome),
        Err(Error::Conflict) => "conflict",
        // Refused before anything was written: the client's doing, not the store's.
        Err(Error::TooLarge { .. } | Error::TooDeep { .. }) => "refused",
        Err(_) => {
            store_error(store, operation);
            "error"
        }
    };
    count(SAVES, store, outcome);
    ::metrics::histogram!(SAVE_SECONDS, "store" => store).record(timer.start.elapsed());
}

#[cfg(feature = "metrics")]
fn save_label(outcome: SaveOutcome) -> &'static str {
    match outcome {
        SaveOutcome::Unchanged => "unchanged",
        SaveOutcome::Created => "created",
        SaveOutcome::Updated => "updated",
        SaveOutcome::Rotated => "rotated",
        SaveOutcome::Touched => "touched",
        SaveOutcome::Deleted => "deleted",
        SaveOutcome::Gone => "gone",
    }
}

#[cfg(feature = "metrics")]
fn store_error(store: &'static str, operation: &'static str) {
    ::metrics::counter!(STORE_ERRORS, "store" => store, "operation" => operation).increment(1);
}

#[cfg(feature = "metrics")]
fn count(name: &'static str, store: &'static str, outcome: &'static str) {
    ::metrics::counter!(name, "store" => store, "outcome" => outcome).increment(1);
}
