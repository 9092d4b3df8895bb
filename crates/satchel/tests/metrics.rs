//! The metrics satchel records (feature `metrics`), read back from `metrics-util`'s
//! `DebuggingRecorder` installed for one test at a time.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use std::future::Future;

use common::probe::ProbeStore;
use common::{app, memory, now_clock, send, set_cookie_value};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use metrics_util::{CompositeKey, MetricKind};
use satchel::store::{AnyStore, Progress};
use satchel::{
    Error, Expiry, FilesystemStore, MemoryStore, SessionLayer, SessionStore, SessionStoreExt,
};
use time::Duration;

/// Label pairs, sorted.
type Labels = Vec<(String, String)>;

/// What one test recorded: (kind, name, labels, value).
struct Recorded(Vec<(MetricKind, String, Labels, DebugValue)>);

impl Recorded {
    /// The counter `name` with exactly `labels`, 0 if never recorded.
    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        self.find(MetricKind::Counter, name, labels)
            .map_or(0, |value| match value {
                DebugValue::Counter(n) => *n,
                other => panic!("{name} is not a counter: {other:?}"),
            })
    }

    /// How many samples the histogram `name` of `store` holds.
    fn samples(&self, name: &str, store: &str) -> usize {
        self.find(MetricKind::Histogram, name, &[("store", store)])
            .map_or(0, |value| match value {
                DebugValue::Histogram(samples) => {
                    assert!(samples.iter().all(|s| s.into_inner() >= 0.0));
                    samples.len()
                }
                other => panic!("{name} is not a histogram: {other:?}"),
            })
    }

    fn find(&self, kind: MetricKind, name: &str, labels: &[(&str, &str)]) -> Option<&DebugValue> {
        let mut wanted: Vec<_> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        wanted.sort();
        self.0
            .iter()
            .find(|(k, n, l, _)| *k == kind && n == name && *l == wanted)
            .map(|(_, _, _, value)| value)
    }

    fn label_values(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .flat_map(|(_, _, labels, _)| labels.iter().map(|(_, v)| v.as_str()))
    }
}

fn labels_of(key: &CompositeKey) -> Labels {
    let mut labels: Vec<_> = key
        .key()
        .labels()
        .map(|l| (l.key().to_owned(), l.value().to_owned()))
        .collect();
    labels.sort();
    labels
}

/// Runs `work` on a current-thread runtime with a fresh recorder installed for this
/// thread only, so tests running in parallel never see each other's metrics.
fn recording<T>(work: impl Future<Output = T>) -> (T, Recorded) {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let out = metrics::with_local_recorder(&recorder, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(work)
    });
    let recorded = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let labels = labels_of(&key);
            (key.kind(), key.key().name().to_owned(), labels, value)
        })
        .collect();
    (out, Recorded(recorded))
}

const LOADS: &str = "satchel_loads_total";
const SAVES: &str = "satchel_saves_total";
const ERRORS: &str = "satchel_store_errors_total";

fn outcome<'a>(store: &'a str, outcome: &'a str) -> [(&'a str, &'a str); 2] {
    [("store", store), ("outcome", outcome)]
}

#[test]
fn loads_are_counted_by_outcome_and_timed_when_the_store_was_read() {
    let clock = now_clock();
    let ((), m) = recording(async {
        let store = memory(clock.clone());
        let mut session = store.new_session().unwrap();
        session.insert("user", "alice").unwrap();
        session.set_expires_at(Some(clock.now() + Duration::minutes(5)));
        store.save(&mut session).await.unwrap();
        let id = session.id().as_str().to_owned();
        assert!(!store.get(&id).await.unwrap().is_new());
        let unknown = store.generate_id().unwrap();
        assert!(store.get(unknown.as_str()).await.unwrap().is_new());
        assert!(store.get("../etc/passwd").await.unwrap().is_new());
        clock.advance(Duration::minutes(6));
        assert!(store.get(&id).await.unwrap().is_new());
    });
    assert_eq!(m.counter(LOADS, &outcome("memory", "found")), 1);
    assert_eq!(m.counter(LOADS, &outcome("memory", "missing")), 1);
    assert_eq!(m.counter(LOADS, &outcome("memory", "malformed")), 1);
    assert_eq!(m.counter(LOADS, &outcome("memory", "expired")), 1);
    // A malformed id reads nothing, so it has no latency to record.
    assert_eq!(m.samples("satchel_load_seconds", "memory"), 3);
}

#[test]
fn every_save_outcome_is_counted_and_timed() {
    let ((), m) = recording(async {
        let store = MemoryStore::new();
        let mut session = store.new_session().unwrap();
        session.insert("a", 1).unwrap();
        store.save(&mut session).await.unwrap(); // created
        store.save(&mut session).await.unwrap(); // unchanged
        session.insert("b", 2).unwrap();
        store.save(&mut session).await.unwrap(); // updated
        session.rotate_id().unwrap();
        store.save(&mut session).await.unwrap(); // rotated
        let mut other = store.get(session.id().as_str()).await.unwrap();
        store.destroy(&mut session).await.unwrap(); // deleted
        other.insert("c", 3).unwrap();
        store.save(&mut other).await.unwrap(); // gone: deleted meanwhile
    });
    for name in [
        "created",
        "unchanged",
        "updated",
        "rotated",
        "deleted",
        "gone",
    ] {
        assert_eq!(m.counter(SAVES, &outcome("memory", name)), 1, "{name}");
    }
    assert_eq!(m.samples("satchel_save_seconds", "memory"), 6);
    assert_eq!(
        m.counter(ERRORS, &[("store", "memory"), ("operation", "save")]),
        0
    );
}

#[test]
fn the_middleware_counts_its_touches_and_saves() {
    let clock = now_clock();
    let ((), m) = recording(async {
        let store = memory(clock.clone());
        let expiry = Expiry::new()
            .with_idle_timeout(Duration::minutes(30))
            .with_touch_interval(Duration::minutes(1));
        let app = app(SessionLayer::new(store).with_expiry(expiry));
        let response = send(&app, "POST", "/insert/user", None, "alice").await;
        let cookie = set_cookie_value(&response).unwrap();
        clock.advance(Duration::minutes(2));
        assert_eq!(
            send(&app, "GET", "/read", Some(&cookie), "").await.status(),
            200
        );
    });
    assert_eq!(m.counter(SAVES, &outcome("memory", "created")), 1);
    assert_eq!(m.counter(SAVES, &outcome("memory", "touched")), 1);
    assert_eq!(m.counter(LOADS, &outcome("memory", "found")), 1);
    assert_eq!(m.samples("satchel_save_seconds", "memory"), 2);
}

#[test]
fn conflicts_and_store_errors_are_told_apart() {
    let ((), m) = recording(async {
        let healthy = MemoryStore::new();
        let mut session = healthy.new_session().unwrap();
        session.insert("a", 1).unwrap();
        healthy.save(&mut session).await.unwrap();
        let id = session.id().as_str().to_owned();

        let racing = ProbeStore {
            conflict_updates: true,
            ..ProbeStore::around(healthy.clone())
        };
        let mut mine = racing.get(&id).await.unwrap();
        mine.insert("b", 2).unwrap();
        assert!(matches!(racing.save(&mut mine).await, Err(Error::Conflict)));

        let broken = ProbeStore {
            fail_loads: true,
            fail_updates: true,
            ..ProbeStore::around(healthy.clone())
        };
        assert!(broken.get(&id).await.is_err());
        let mut stale = healthy.get(&id).await.unwrap();
        stale.insert("c", 3).unwrap();
        assert!(broken.save(&mut stale).await.is_err());
    });
    assert_eq!(m.counter(SAVES, &outcome("custom", "conflict")), 1);
    assert_eq!(m.counter(SAVES, &outcome("custom", "error")), 1);
    assert_eq!(m.counter(LOADS, &outcome("custom", "error")), 1);
    assert_eq!(
        m.counter(ERRORS, &[("store", "custom"), ("operation", "save")]),
        1
    );
    assert_eq!(
        m.counter(ERRORS, &[("store", "custom"), ("operation", "load")]),
        1
    );
}

#[test]
fn over_the_limits_is_refused_not_a_store_error() {
    let ((), m) = recording(async {
        let store = MemoryStore::new();
        let limits = satchel::Limits::new().with_max_bytes(64);
        let mut session = store.new_session().unwrap().with_limits(limits);
        session.insert_value("big", "x".repeat(1000).into());
        assert!(store.save(&mut session).await.is_err());
    });
    assert_eq!(m.counter(SAVES, &outcome("memory", "refused")), 1);
    assert_eq!(
        m.counter(ERRORS, &[("store", "memory"), ("operation", "save")]),
        0
    );
}

#[test]
fn prunes_count_runs_and_deleted_sessions_once() {
    let clock = now_clock();
    let ((), m) = recording(async {
        let store = memory(clock.clone());
        for _ in 0..3 {
            let mut session = store.new_session().unwrap();
            session.insert("a", 1).unwrap();
            session.set_expires_at(Some(clock.now() + Duration::minutes(1)));
            store.save(&mut session).await.unwrap();
        }
        clock.advance(Duration::minutes(2));
        // Wrapping an `AnyStore` again must not count the run twice.
        let any = AnyStore::new(AnyStore::new(store));
        assert_eq!(any.prune(&Progress::none()).await.unwrap(), 3);

        let failing = AnyStore::new(ProbeStore {
            fail_lists: true,
            ..ProbeStore::default()
        });
        assert!(failing.prune(&Progress::none()).await.is_err());
    });
    assert_eq!(
        m.counter("satchel_prunes_total", &outcome("memory", "ok")),
        1
    );
    assert_eq!(
        m.counter("satchel_pruned_sessions_total", &[("store", "memory")]),
        3
    );
    assert_eq!(m.samples("satchel_prune_seconds", "memory"), 1);
    assert_eq!(
        m.counter("satchel_prunes_total", &outcome("custom", "error")),
        1
    );
    assert_eq!(
        m.counter(ERRORS, &[("store", "custom"), ("operation", "prune")]),
        1
    );
}

#[test]
fn the_scheduled_pruner_is_counted() {
    let clock = now_clock();
    let ((), m) = recording(async {
        let store = memory(clock.clone());
        let mut session = store.new_session().unwrap();
        session.insert("a", 1).unwrap();
        session.set_expires_at(Some(clock.now() + Duration::minutes(1)));
        store.save(&mut session).await.unwrap();
        clock.advance(Duration::minutes(2));
        let every = std::time::Duration::from_millis(10);
        let pruner = satchel::store::spawn_pruner(store.clone(), every);
        for _ in 0..500 {
            if store.is_empty() {
                break;
            }
            tokio::time::sleep(every).await;
        }
        pruner.abort();
    });
    assert_eq!(
        m.counter("satchel_pruned_sessions_total", &[("store", "memory")]),
        1
    );
}

#[test]
fn each_store_names_itself() {
    let dir = tempfile::tempdir().unwrap();
    let files = FilesystemStore::new(dir.path().join("satchel")).unwrap();
    assert_eq!(files.backend_name(), "file");
    #[cfg(feature = "werkzeug")]
    assert_eq!(
        FilesystemStore::werkzeug(dir.path().join("werkzeug"))
            .unwrap()
            .backend_name(),
        "werkzeug"
    );
    assert_eq!(MemoryStore::new().backend_name(), "memory");
    assert_eq!(AnyStore::new(files).backend_name(), "file");
    assert_eq!(ProbeStore::default().backend_name(), "custom");
}

#[test]
fn no_label_carries_an_id_or_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let (secrets, m) = recording(async {
        let store = FilesystemStore::new(dir.path().join("sessions")).unwrap();
        let mut secrets = Vec::new();
        let mut session = store.new_session().unwrap();
        session.insert("user", "alice").unwrap();
        store.save(&mut session).await.unwrap();
        secrets.push(session.id().as_str().to_owned());
        session.rotate_id().unwrap();
        store.save(&mut session).await.unwrap();
        let again = store.get(session.id().as_str()).await.unwrap();
        secrets.push(again.id().as_str().to_owned());
        store.get("forged-id-that-is-not-one").await.unwrap();
        AnyStore::new(store.clone())
            .prune(&Progress::none())
            .await
            .unwrap();
        for key in store.list().await.unwrap() {
            secrets.push(key.as_str().to_owned());
        }
        secrets.extend(secrets.clone().iter().map(|id| {
            satchel::SessionId::parse(id)
                .map_or(id.clone(), |id| id.storage_key().as_str().to_owned())
        }));
        secrets.push("forged-id-that-is-not-one".to_owned());
        secrets.push("alice".to_owned());
        secrets
    });
    assert!(
        m.label_values().count() > 10,
        "too little was recorded to judge"
    );
    for value in m.label_values() {
        assert!(
            value.len() <= 12,
            "a label value too long for a fixed name: {value}"
        );
        for secret in &secrets {
            assert!(!value.contains(secret.as_str()), "{secret} in a label");
        }
    }
    assert_eq!(m.counter(SAVES, &outcome("file", "rotated")), 1);
}

/// Cookie sessions are counted under `store="cookie"`.
#[cfg(feature = "cookie-store")]
#[test]
fn cookie_sessions_are_counted_as_cookie() {
    let ((), m) = recording(async {
        let key = satchel::cookie::Key::from_bytes(&[7; 32]).unwrap();
        let sessions = satchel::CookieSessions::new(key);
        let app = app(SessionLayer::in_cookie(sessions));
        let response = send(&app, "POST", "/insert/user", None, "alice").await;
        let cookie = set_cookie_value(&response).unwrap();
        send(&app, "GET", "/read", Some(&cookie), "").await;
        send(&app, "GET", "/read", Some("tampered"), "").await;
    });
    assert_eq!(m.counter(SAVES, &outcome("cookie", "created")), 1);
    assert_eq!(m.counter(LOADS, &outcome("cookie", "found")), 1);
    assert_eq!(m.counter(LOADS, &outcome("cookie", "missing")), 1);
}

/// A layer registers every series of its store when it is built, at zero, so dashboards
/// and `rate()` see them before the first event; requests then only add to the handles.
#[test]
fn a_layer_registers_its_series_at_zero_when_built() {
    let (app, m) = recording(async { app(SessionLayer::new(MemoryStore::new())) });
    for name in [
        "found",
        "missing",
        "expired",
        "malformed",
        "revoked",
        "error",
    ] {
        assert!(
            m.find(MetricKind::Counter, LOADS, &outcome("memory", name))
                .is_some(),
            "{name}"
        );
    }
    for name in [
        "created", "updated", "touched", "conflict", "refused", "error",
    ] {
        assert!(
            m.find(MetricKind::Counter, SAVES, &outcome("memory", name))
                .is_some(),
            "{name}"
        );
    }
    for operation in ["load", "save", "touch"] {
        let labels = [("store", "memory"), ("operation", operation)];
        assert!(
            m.find(MetricKind::Counter, ERRORS, &labels).is_some(),
            "{operation}"
        );
    }
    assert_eq!(m.counter(LOADS, &outcome("memory", "found")), 0);
    assert!(
        m.find(
            MetricKind::Histogram,
            "satchel_load_seconds",
            &[("store", "memory")]
        )
        .is_some()
    );
    drop(app);
}
