//! Counters and latency histograms for operators, through the
//! [`metrics`](https://docs.rs/metrics) facade (feature `metrics`): the application
//! installs the exporter it wants (Prometheus, StatsD, OpenTelemetry, …) and satchel
//! records into it.
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
//! - `store`: [`SessionStore::backend_name`]: `memory`, `file`, `werkzeug`, `sqlite`,
//!   `redis`, `postgres`, `cookie` (sessions sealed in the cookie), or `custom` for a store
//!   that does not name itself.
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
//! Loads and saves are counted where every store passes:
//! [`SessionStoreExt::get`](crate::SessionStoreExt::get) and
//! [`SessionStoreExt::save`](crate::SessionStoreExt::save) (so the middleware's and an
//! application's own calls alike), and the middleware's touches and cookie sessions.
//! Prunes are counted for [`AnyStore`](crate::store::AnyStore) (what the `satchel prune`
//! command and [`store::open`](crate::store::open) use) and
//! [`spawn_pruner`](crate::store::spawn_pruner).
//!
//! The middleware registers its handles when the layer is built, so install the recorder
//! before building the [`SessionLayer`](crate::SessionLayer) (as with any `metrics`
//! handle: one taken before a recorder is installed records nothing). A request then costs
//! two reads of the monotonic clock and a few atomic operations (a counter's add, a
//! histogram's sample), no key built or looked up, and every series exists, at zero, from
//! the start. Calls made outside the middleware
//! (`store.get(..)` in an application) look their series up in the recorder current at
//! the time. Without the feature nothing is recorded and nothing is paid: the clock is
//! not even read.
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
//! // An app installs it once, at start (`PrometheusBuilder::install_recorder`); here it is
//! // local to this thread.
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
use std::sync::Arc;
#[cfg(feature = "metrics")]
use std::time::Instant;

#[cfg(feature = "metrics")]
use ::metrics::{Counter, Histogram, counter, histogram};

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

/// The `outcome` labels of a load, indexed by [`Load`].
#[cfg(feature = "metrics")]
const LOAD_LABELS: [&str; 6] = [
    "found",
    "missing",
    "expired",
    "malformed",
    "revoked",
    "error",
];

/// What a load found.
#[cfg(feature = "metrics")]
#[derive(Clone, Copy, PartialEq, Eq)]
enum Load {
    Found,
    Missing,
    Expired,
    Malformed,
    #[cfg(feature = "cookie-store")]
    Revoked = 4,
    Error = 5,
}

/// The `outcome` labels of a save or touch, indexed by [`save_index`].
#[cfg(feature = "metrics")]
const SAVE_LABELS: [&str; 10] = [
    "unchanged",
    "created",
    "updated",
    "rotated",
    "touched",
    "deleted",
    "gone",
    "conflict",
    "refused",
    "error",
];

/// The place of `error` in [`SAVE_LABELS`].
#[cfg(feature = "metrics")]
const SAVE_ERROR: usize = 9;

/// The `operation` labels of a store error, indexed by [`Operation`].
#[cfg(feature = "metrics")]
const OPERATION_LABELS: [&str; 3] = ["load", "save", "touch"];

#[cfg(feature = "metrics")]
#[derive(Clone, Copy)]
enum Operation {
    Load,
    Save,
    Touch,
}

/// The metrics handles of one layer (registered once, when it is built), or none: then
/// each event looks its series up in the recorder current at the time. Without the
/// feature, nothing.
#[derive(Clone, Default)]
pub(crate) struct Meters {
    #[cfg(feature = "metrics")]
    handles: Option<Arc<Handles>>,
}

/// Every series of one store, registered with the recorder current when the layer was built.
#[cfg(feature = "metrics")]
struct Handles {
    loads: [Counter; LOAD_LABELS.len()],
    load_seconds: Histogram,
    saves: [Counter; SAVE_LABELS.len()],
    save_seconds: Histogram,
    errors: [Counter; OPERATION_LABELS.len()],
}

/// Looks every event up in the current recorder (an application's own calls).
pub(crate) static LOOKUP: Meters = Meters {
    #[cfg(feature = "metrics")]
    handles: None,
};

impl Meters {
    /// The handles of every series labelled `store`, from the current recorder.
    pub(crate) fn register(store: &'static str) -> Self {
        #[cfg(not(feature = "metrics"))]
        let _ = store;
        Self {
            #[cfg(feature = "metrics")]
            handles: Some(Arc::new(Handles {
                loads: LOAD_LABELS.map(|o| counter!(LOADS, "store" => store, "outcome" => o)),
                load_seconds: histogram!(LOAD_SECONDS, "store" => store),
                saves: SAVE_LABELS.map(|o| counter!(SAVES, "store" => store, "outcome" => o)),
                save_seconds: histogram!(SAVE_SECONDS, "store" => store),
                errors: OPERATION_LABELS
                    .map(|op| counter!(STORE_ERRORS, "store" => store, "operation" => op)),
            })),
        }
    }
}

/// A looked-up id that is not of the store's shape: nothing was read.
#[inline(always)]
pub(crate) fn load_malformed<S: SessionStore + ?Sized>(store: &S, meters: &Meters) {
    #[cfg(feature = "metrics")]
    count_load(meters, || store.backend_name(), Load::Malformed, None);
    #[cfg(not(feature = "metrics"))]
    let _ = (store, meters);
}

/// A store read of a session's record, judged at `now`.
#[inline(always)]
pub(crate) fn loaded<S: SessionStore + ?Sized>(
    store: &S,
    meters: &Meters,
    loaded: &Result<Option<Record>>,
    now: OffsetDateTime,
    timer: Timer,
) {
    #[cfg(feature = "metrics")]
    {
        let outcome = match loaded {
            Ok(Some(record)) if record.is_expired(now) => Load::Expired,
            Ok(Some(_)) => Load::Found,
            Ok(None) => Load::Missing,
            Err(_) => Load::Error,
        };
        count_load(meters, || store.backend_name(), outcome, Some(timer));
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (store, meters, loaded, now, timer);
}

/// A cookie session opened: `Some(revoked)` when one was sealed inside, `None` when the
/// value was unusable.
#[cfg(feature = "cookie-store")]
#[inline(always)]
pub(crate) fn cookie_loaded(meters: &Meters, opened: Option<&Result<bool>>, timer: Timer) {
    #[cfg(feature = "metrics")]
    {
        let outcome = match opened {
            None => Load::Missing,
            Some(Ok(false)) => Load::Found,
            Some(Ok(true)) => Load::Revoked,
            Some(Err(_)) => Load::Error,
        };
        count_load(meters, || COOKIE, outcome, Some(timer));
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (meters, opened, timer);
}

/// A save through [`SessionStoreExt::save`](crate::SessionStoreExt::save).
#[inline(always)]
pub(crate) fn saved<S: SessionStore + ?Sized>(
    store: &S,
    meters: &Meters,
    saved: &Result<SaveOutcome>,
    timer: Timer,
) {
    #[cfg(feature = "metrics")]
    count_save(
        meters,
        || store.backend_name(),
        Operation::Save,
        saved.as_ref().copied(),
        timer,
    );
    #[cfg(not(feature = "metrics"))]
    let _ = (store, meters, saved, timer);
}

/// The middleware moved a stored session's idle deadline: `Ok(false)` when it was gone.
#[inline(always)]
pub(crate) fn touched<S: SessionStore + ?Sized>(
    store: &S,
    meters: &Meters,
    touched: &Result<bool>,
    timer: Timer,
) {
    #[cfg(feature = "metrics")]
    {
        let outcome = touched.as_ref().map(|&live| {
            if live {
                SaveOutcome::Touched
            } else {
                SaveOutcome::Gone
            }
        });
        count_save(
            meters,
            || store.backend_name(),
            Operation::Touch,
            outcome,
            timer,
        );
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (store, meters, touched, timer);
}

/// A cookie session committed (or touched) by the middleware.
#[cfg(feature = "cookie-store")]
#[inline(always)]
pub(crate) fn cookie_saved(meters: &Meters, saved: &Result<SaveOutcome>, timer: Timer) {
    #[cfg(feature = "metrics")]
    count_save(
        meters,
        || COOKIE,
        Operation::Save,
        saved.as_ref().copied(),
        timer,
    );
    #[cfg(not(feature = "metrics"))]
    let _ = (meters, saved, timer);
}

/// A prune run (rare: always looked up in the current recorder).
#[inline(always)]
pub(crate) fn pruned<S: SessionStore + ?Sized>(store: &S, pruned: &Result<u64>, timer: Timer) {
    #[cfg(feature = "metrics")]
    {
        let store = store.backend_name();
        let outcome = if pruned.is_ok() { "ok" } else { "error" };
        counter!(PRUNES, "store" => store, "outcome" => outcome).increment(1);
        match pruned {
            Ok(deleted) => counter!(PRUNED_SESSIONS, "store" => store).increment(*deleted),
            Err(_) => {
                counter!(STORE_ERRORS, "store" => store, "operation" => "prune").increment(1);
            }
        }
        histogram!(PRUNE_SECONDS, "store" => store).record(timer.start.elapsed());
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (store, pruned, timer);
}

/// Counts a load, and times it when the store was read (`timer`).
#[cfg(feature = "metrics")]
fn count_load(
    meters: &Meters,
    store: impl FnOnce() -> &'static str,
    outcome: Load,
    timer: Option<Timer>,
) {
    let seconds = timer.map(|timer| timer.start.elapsed());
    let failed = outcome == Load::Error;
    let label = LOAD_LABELS[outcome as usize];
    if let Some(handles) = &meters.handles {
        handles.loads[outcome as usize].increment(1);
        if failed {
            handles.errors[Operation::Load as usize].increment(1);
        }
        if let Some(seconds) = seconds {
            handles.load_seconds.record(seconds);
        }
        return;
    }
    let store = store();
    counter!(LOADS, "store" => store, "outcome" => label).increment(1);
    if failed {
        counter!(STORE_ERRORS, "store" => store, "operation" => "load").increment(1);
    }
    if let Some(seconds) = seconds {
        histogram!(LOAD_SECONDS, "store" => store).record(seconds);
    }
}

/// Counts and times a save or touch.
#[cfg(feature = "metrics")]
fn count_save(
    meters: &Meters,
    store: impl FnOnce() -> &'static str,
    operation: Operation,
    saved: std::result::Result<SaveOutcome, &Error>,
    timer: Timer,
) {
    let seconds = timer.start.elapsed();
    let index = save_index(saved);
    let failed = index == SAVE_ERROR;
    if let Some(handles) = &meters.handles {
        handles.saves[index].increment(1);
        if failed {
            handles.errors[operation as usize].increment(1);
        }
        handles.save_seconds.record(seconds);
        return;
    }
    let store = store();
    counter!(SAVES, "store" => store, "outcome" => SAVE_LABELS[index]).increment(1);
    if failed {
        let operation = OPERATION_LABELS[operation as usize];
        counter!(STORE_ERRORS, "store" => store, "operation" => operation).increment(1);
    }
    histogram!(SAVE_SECONDS, "store" => store).record(seconds);
}

/// The place of a save's outcome in [`SAVE_LABELS`].
#[cfg(feature = "metrics")]
fn save_index(saved: std::result::Result<SaveOutcome, &Error>) -> usize {
    match saved {
        Ok(SaveOutcome::Unchanged) => 0,
        Ok(SaveOutcome::Created) => 1,
        Ok(SaveOutcome::Updated) => 2,
        Ok(SaveOutcome::Rotated) => 3,
        Ok(SaveOutcome::Touched) => 4,
        Ok(SaveOutcome::Deleted) => 5,
        Ok(SaveOutcome::Gone) => 6,
        Err(Error::Conflict) => 7,
        // Refused before anything was written: the client's doing, not the store's.
        Err(Error::TooLarge { .. } | Error::TooDeep { .. }) => 8,
        Err(_) => SAVE_ERROR,
    }
}

#[cfg(all(test, feature = "metrics"))]
mod tests {
    use super::*;

    #[test]
    fn every_index_names_its_label() {
        assert_eq!(SAVE_LABELS[SAVE_ERROR], "error");
        assert_eq!(SAVE_LABELS[save_index(Ok(SaveOutcome::Touched))], "touched");
        assert_eq!(SAVE_LABELS[save_index(Err(&Error::Conflict))], "conflict");
        assert_eq!(LOAD_LABELS[Load::Error as usize], "error");
        assert_eq!(LOAD_LABELS[Load::Malformed as usize], "malformed");
        assert_eq!(OPERATION_LABELS[Operation::Touch as usize], "touch");
    }
}
