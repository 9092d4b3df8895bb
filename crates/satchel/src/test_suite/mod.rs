//! The store contract as a test suite, for the authors of stores: run it against yours.
//!
//! Every store in this crate runs exactly this suite (`tests/store_contract.rs`). It checks
//! what the [`store`](crate::store) module docs promise: create never overwrites, a save
//! merges the keys it changed into what is stored now, a deleted, rotated or expired
//! session never comes back, list gives every key, prune deletes only what has expired,
//! touch moves the expiry but keeps the data, and data past the shared [`Limits`](crate::Limits)
//! is refused before anything is written while data at them reads back. A corpus of values
//! that backends have refused or changed (NUL, werkzeug's tag shapes, huge numbers, unicode
//! and empty keys, ten thousand keys) must come back exactly.
//!
//! # Example
//! ```
//! use satchel::{Clock, MemoryStore};
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! // A fresh store for each case, judging expiry by the clock the suite hands it.
//! satchel::test_suite::run(|clock: Clock| MemoryStore::new().with_clock(clock)).await;
//! # });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
// The suite reports a broken contract the way tests do: by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

mod corpus;
mod limits;
mod users;

use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::clock::Clock;
use crate::id::{SessionId, StorageKey};
use crate::record::Record;
use crate::session::Session;
use crate::store::{Progress, SaveOutcome, SessionStore, SessionStoreExt};

/// Runs every case of the contract, each on a fresh store from `make`. `make` gets a
/// manual clock that the cases move; the store must judge expiry by it (return it from
/// [`SessionStore::clock`]). A broken promise panics with what went wrong.
///
/// Stores that keep raw ids as keys (werkzeug's file format, whose [`IdPolicy`](crate::IdPolicy)
/// says so) are checked for that; every other store must never list a raw id.
pub async fn run<S: SessionStore>(make: impl Fn(Clock) -> S) {
    create_then_get_round_trips(&make(now_clock())).await;
    create_never_overwrites(&make(now_clock())).await;
    changes_merge_against_the_stored_state(&make(now_clock())).await;
    same_key_last_write_wins(&make(now_clock())).await;
    clear_replaces_everything(&make(now_clock())).await;
    update_never_inserts(&make(now_clock())).await;
    no_resurrection_after_delete(&make(now_clock())).await;
    no_resurrection_after_rotation(&make(now_clock())).await;
    a_gone_session_stays_gone(&make(now_clock())).await;
    rotation_carries_data_and_kills_the_old_id(&make(now_clock())).await;
    delete_reports_whether_it_deleted(&make(now_clock())).await;
    list_gives_every_stored_key(&make(now_clock())).await;
    thousands_of_keys_round_trip(&make(now_clock())).await;
    limits::deep_values_are_refused_before_any_write(&make(now_clock())).await;
    limits::oversized_sessions_are_refused(&make(now_clock())).await;
    limits::values_at_the_limit_round_trip(&make(now_clock())).await;
    corpus::the_corpus_round_trips_exactly(&make(now_clock())).await;
    corpus::ten_thousand_keys_round_trip(&make(now_clock())).await;
    let clock = now_clock();
    expired_sessions_are_never_returned(&make(clock.clone()), &clock).await;
    let clock = now_clock();
    prune_deletes_only_expired(&make(clock.clone()), &clock).await;
    let clock = now_clock();
    touch_moves_expiry_but_keeps_data(&make(clock.clone()), &clock).await;
    users::run(&make).await;
}

fn now_clock() -> Clock {
    Clock::manual(OffsetDateTime::now_utc())
}

fn key_of<S: SessionStore>(store: &S, id: &SessionId) -> StorageKey {
    store.ids().storage_key(id)
}

/// A session that was deleted or rotated away must not come back.
async fn assert_store_empty<S: SessionStore>(store: &S, id: &SessionId) {
    assert!(
        store.load(&key_of(store, id)).await.unwrap().is_none(),
        "the session came back"
    );
    assert!(
        store.list().await.unwrap().is_empty(),
        "the store is not empty"
    );
}

/// The store must follow the suite's clock, or its expiry cannot be checked.
fn assert_follows(store: &impl SessionStore, clock: &Clock) {
    assert_eq!(
        store.clock().now(),
        clock.now(),
        "the store does not judge expiry by the clock `make` gave it"
    );
}

async fn saved<S: SessionStore>(store: &S, data: serde_json::Value) -> Session {
    let mut session = store.new_session().unwrap();
    for (key, value) in data.as_object().unwrap() {
        session.insert_value(key.clone(), value.clone());
    }
    assert_eq!(
        store.save(&mut session).await.unwrap(),
        SaveOutcome::Created
    );
    session
}

async fn reload<S: SessionStore>(store: &S, session: &Session) -> Session {
    store.get(session.id().as_str()).await.unwrap()
}

async fn create_then_get_round_trips<S: SessionStore>(store: &S) {
    let session = saved(
        store,
        json!({"user": "alice", "n": 1, "nested": {"a": [1, 2]}}),
    )
    .await;
    let loaded = reload(store, &session).await;
    assert_eq!(loaded.id(), session.id());
    assert!(!loaded.is_new() && !loaded.is_modified());
    assert_eq!(loaded.data(), session.data());
}

async fn create_never_overwrites<S: SessionStore>(store: &S) {
    let session = saved(store, json!({"owner": "first"})).await;
    let key = key_of(store, session.id());
    let mut other = Record::new();
    other.data.insert("owner".into(), json!("second"));
    assert!(!store.create(&key, &other).await.unwrap());
    assert_eq!(reload(store, &session).await.data()["owner"], "first");
}

async fn changes_merge_against_the_stored_state<S: SessionStore>(store: &S) {
    let session = saved(store, json!({"base": 0})).await;
    let mut first = reload(store, &session).await;
    let mut second = reload(store, &session).await;
    first.insert("a", 1).unwrap();
    second.insert("b", 2).unwrap();
    second.remove_value("base");
    assert_eq!(store.save(&mut first).await.unwrap(), SaveOutcome::Updated);
    assert_eq!(store.save(&mut second).await.unwrap(), SaveOutcome::Updated);
    let merged = reload(store, &session).await;
    assert_eq!(merged.data(), json!({"a": 1, "b": 2}).as_object().unwrap());
}

async fn same_key_last_write_wins<S: SessionStore>(store: &S) {
    let session = saved(store, json!({"k": 0})).await;
    let mut first = reload(store, &session).await;
    let mut second = reload(store, &session).await;
    first.insert("k", 1).unwrap();
    second.insert("k", 2).unwrap();
    store.save(&mut first).await.unwrap();
    store.save(&mut second).await.unwrap();
    assert_eq!(reload(store, &session).await.data()["k"], 2);
}

async fn clear_replaces_everything<S: SessionStore>(store: &S) {
    let session = saved(store, json!({"old": 1})).await;
    let mut loaded = reload(store, &session).await;
    loaded.clear();
    loaded.insert("fresh", true).unwrap();
    store.save(&mut loaded).await.unwrap();
    assert_eq!(
        reload(store, &session).await.data(),
        json!({"fresh": true}).as_object().unwrap()
    );
}

async fn update_never_inserts<S: SessionStore>(store: &S) {
    let mut session = store.new_session().unwrap();
    session.insert("x", 1).unwrap();
    let key = key_of(store, session.id());
    assert!(!store.update(&key, &session.changes()).await.unwrap());
    assert!(store.load(&key).await.unwrap().is_none());
}

async fn no_resurrection_after_delete<S: SessionStore>(store: &S) {
    let session = saved(store, json!({"user": "alice"})).await;
    let mut slow_writer = reload(store, &session).await;
    let mut logout = reload(store, &session).await;
    logout.destroy();
    assert_eq!(store.save(&mut logout).await.unwrap(), SaveOutcome::Deleted);
    slow_writer.insert("late", true).unwrap();
    assert_eq!(
        store.save(&mut slow_writer).await.unwrap(),
        SaveOutcome::Gone
    );
    assert_store_empty(store, session.id()).await;
}

async fn a_gone_session_stays_gone<S: SessionStore>(store: &S) {
    let session = saved(store, json!({"user": "alice"})).await;
    let mut writer = reload(store, &session).await;
    store.delete(&key_of(store, session.id())).await.unwrap();
    for attempt in 0..2 {
        writer.insert("attempt", attempt).unwrap();
        assert_eq!(store.save(&mut writer).await.unwrap(), SaveOutcome::Gone);
    }
    assert!(store.list().await.unwrap().is_empty());
}

async fn no_resurrection_after_rotation<S: SessionStore>(store: &S) {
    let session = saved(store, json!({"user": "alice"})).await;
    let mut slow_writer = reload(store, &session).await;
    let mut login = reload(store, &session).await;
    login.rotate_id().unwrap();
    assert_eq!(store.save(&mut login).await.unwrap(), SaveOutcome::Rotated);
    slow_writer.insert("late", true).unwrap();
    assert_eq!(
        store.save(&mut slow_writer).await.unwrap(),
        SaveOutcome::Gone
    );
    assert!(
        store
            .load(&key_of(store, session.id()))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.list().await.unwrap(), [key_of(store, login.id())]);
}

async fn rotation_carries_data_and_kills_the_old_id<S: SessionStore>(store: &S) {
    let session = saved(store, json!({"cart": [1]})).await;
    let mut loaded = reload(store, &session).await;
    loaded.rotate_id().unwrap();
    loaded.insert("user", "alice").unwrap();
    store.save(&mut loaded).await.unwrap();
    let fresh = reload(store, &session).await;
    assert!(fresh.is_new() && fresh.is_empty() && fresh.id() != session.id());
    let rotated = reload(store, &loaded).await;
    assert_eq!(
        rotated.data(),
        json!({"cart": [1], "user": "alice"}).as_object().unwrap()
    );
    assert_eq!(rotated.created_at(), session.created_at());
}

async fn delete_reports_whether_it_deleted<S: SessionStore>(store: &S) {
    let session = saved(store, json!({"a": 1})).await;
    let key = key_of(store, session.id());
    assert!(store.delete(&key).await.unwrap());
    assert!(!store.delete(&key).await.unwrap());
}

async fn list_gives_every_stored_key<S: SessionStore>(store: &S) {
    let mut keys = Vec::new();
    let mut ids = Vec::new();
    for n in 0..10 {
        let session = saved(store, json!({ "n": n })).await;
        keys.push(key_of(store, session.id()));
        ids.push(session.id().as_str().to_owned());
    }
    keys.sort();
    let mut listed = store.list().await.unwrap();
    listed.sort(); // the contract promises every key, in no particular order
    assert_eq!(listed, keys);
    for key in &listed {
        let raw = ids.contains(&key.as_str().to_owned());
        assert_eq!(raw, store.ids().stores_raw_ids(), "raw ids listed: {raw}");
    }
}

/// More keys than a backend can send in one command (Redis scripts chunk them).
async fn thousands_of_keys_round_trip<S: SessionStore>(store: &S) {
    let mut session = store.new_session().unwrap();
    for n in 0..3000 {
        session.insert(format!("k{n}"), n).unwrap();
    }
    store.save(&mut session).await.unwrap();
    let mut loaded = reload(store, &session).await;
    assert_eq!(loaded.len(), 3000);
    for n in 0..2500 {
        loaded.insert(format!("k{n}"), -n).unwrap();
    }
    for n in 2500..3000 {
        loaded.remove_value(&format!("k{n}"));
    }
    store.save(&mut loaded).await.unwrap();
    let changed = reload(store, &session).await;
    assert_eq!(changed.len(), 2500);
    assert_eq!(changed.get::<i64>("k2499").unwrap(), Some(-2499));
    let mut cleared = changed;
    cleared.clear();
    cleared.insert("only", true).unwrap();
    store.save(&mut cleared).await.unwrap();
    assert_eq!(
        reload(store, &session).await.data(),
        json!({"only": true}).as_object().unwrap()
    );
}

async fn expired_sessions_are_never_returned<S: SessionStore>(store: &S, clock: &Clock) {
    assert_follows(store, clock);
    let mut session = store.new_session().unwrap();
    session.insert("user", "alice").unwrap();
    session.set_expires_at(Some(clock.now() + Duration::seconds(10)));
    store.save(&mut session).await.unwrap();
    let mut stale = reload(store, &session).await;
    assert!(!stale.is_new());

    clock.advance(Duration::seconds(10));
    let after = reload(store, &session).await;
    assert!(after.is_new() && after.is_empty() && after.id() != session.id());
    stale.insert("late", true).unwrap();
    assert_eq!(store.save(&mut stale).await.unwrap(), SaveOutcome::Gone);
    // An expired record is no obstacle to creating under its key.
    assert!(
        store
            .create(&key_of(store, session.id()), &Record::new())
            .await
            .unwrap()
    );
}

async fn prune_deletes_only_expired<S: SessionStore>(store: &S, clock: &Clock) {
    for n in 0..6 {
        let mut session = store.new_session().unwrap();
        session.insert("n", n).unwrap();
        session.set_expires_at(Some(clock.now() + Duration::seconds(n)));
        store.save(&mut session).await.unwrap();
    }
    let mut forever = store.new_session().unwrap();
    forever.insert("kept", true).unwrap();
    store.save(&mut forever).await.unwrap();
    clock.advance(Duration::seconds(3));
    // Expiry 0, 1, 2 and 3 seconds from the start have passed; 4 and 5 have not.
    assert_eq!(store.prune(&Progress::none()).await.unwrap(), 4);
    assert_eq!(store.list().await.unwrap().len(), 3);
    assert_eq!(store.prune(&Progress::none()).await.unwrap(), 0);
}

async fn touch_moves_expiry_but_keeps_data<S: SessionStore>(store: &S, clock: &Clock) {
    let mut session = store.new_session().unwrap();
    session.insert("a", 1).unwrap();
    session.set_expires_at(Some(clock.now() + Duration::seconds(10)));
    store.save(&mut session).await.unwrap();
    let key = key_of(store, session.id());
    // Another request changes the data; the touch must not undo it.
    let mut writer = reload(store, &session).await;
    writer.insert("b", 2).unwrap();
    store.save(&mut writer).await.unwrap();
    let later = clock.now() + Duration::seconds(100);
    assert!(store.touch(&key, Some(later)).await.unwrap());
    let record = store.load(&key).await.unwrap().unwrap();
    assert_eq!(record.expires_at, Some(later));
    assert_eq!(record.data, *json!({"a": 1, "b": 2}).as_object().unwrap());
    assert!(!store.delete_expired(&key).await.unwrap());
    store.delete(&key).await.unwrap();
    assert!(!store.touch(&key, Some(later)).await.unwrap());
}
