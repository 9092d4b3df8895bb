//! The store contract, written once and run against every store.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use common::{FsStores, memory, now_clock};
use satchel::store::SaveOutcome;
use satchel::{Clock, Record, Session, SessionStore};
use serde_json::json;
use time::Duration;

/// Runs every case on fresh stores from `make`, all sharing one manual clock per case.
async fn run_contract<S: SessionStore>(make: impl Fn(Clock) -> S) {
    run_contract_with(make, RawIds::Forbidden).await;
}

/// Whether stored keys may be the raw ids: only werkzeug's file format names files so.
#[derive(Clone, Copy, PartialEq)]
enum RawIds {
    Forbidden,
    AsWerkzeugDoes,
}

async fn run_contract_with<S: SessionStore>(make: impl Fn(Clock) -> S, raw_ids: RawIds) {
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
    list_gives_every_stored_key(&make(now_clock()), raw_ids).await;
    let clock = now_clock();
    expired_sessions_are_never_returned(&make(clock.clone()), &clock).await;
    let clock = now_clock();
    prune_deletes_only_expired(&make(clock.clone()), &clock).await;
    let clock = now_clock();
    touch_moves_expiry_but_keeps_data(&make(clock.clone()), &clock).await;
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
    let key = store.key_of(session.id());
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
    second.remove("base");
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
    let key = store.key_of(session.id());
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
    common::assert_store_empty(store, session.id()).await;
}

async fn a_gone_session_stays_gone<S: SessionStore>(store: &S) {
    let session = saved(store, json!({"user": "alice"})).await;
    let mut writer = reload(store, &session).await;
    store.delete(&store.key_of(session.id())).await.unwrap();
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
            .load(&store.key_of(session.id()))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.list().await.unwrap(), [store.key_of(login.id())]);
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
    let key = store.key_of(session.id());
    assert!(store.delete(&key).await.unwrap());
    assert!(!store.delete(&key).await.unwrap());
}

async fn list_gives_every_stored_key<S: SessionStore>(store: &S, raw_ids: RawIds) {
    let mut keys = Vec::new();
    let mut ids = Vec::new();
    for n in 0..10 {
        let session = saved(store, json!({ "n": n })).await;
        keys.push(store.key_of(session.id()));
        ids.push(session.id().as_str().to_owned());
    }
    keys.sort();
    let listed = store.list().await.unwrap();
    assert_eq!(listed, keys);
    for key in &listed {
        let raw = ids.contains(&key.as_str().to_owned());
        assert_eq!(
            raw,
            raw_ids == RawIds::AsWerkzeugDoes,
            "raw ids listed: {raw}"
        );
    }
}

async fn expired_sessions_are_never_returned<S: SessionStore>(store: &S, clock: &Clock) {
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
            .create(&store.key_of(session.id()), &Record::new())
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
    assert_eq!(store.prune().await.unwrap(), 4);
    assert_eq!(store.list().await.unwrap().len(), 3);
    assert_eq!(store.prune().await.unwrap(), 0);
}

async fn touch_moves_expiry_but_keeps_data<S: SessionStore>(store: &S, clock: &Clock) {
    let mut session = store.new_session().unwrap();
    session.insert("a", 1).unwrap();
    session.set_expires_at(Some(clock.now() + Duration::seconds(10)));
    store.save(&mut session).await.unwrap();
    let key = store.key_of(session.id());
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

#[tokio::test]
async fn memory_store_honours_the_contract() {
    run_contract(memory).await;
}

#[tokio::test]
async fn filesystem_store_honours_the_contract() {
    let stores = FsStores::new();
    run_contract(|clock| stores.fresh(clock)).await;
}

#[tokio::test]
async fn erased_store_honours_the_contract() {
    run_contract(|clock| {
        std::sync::Arc::new(memory(clock)) as std::sync::Arc<dyn satchel::DynSessionStore>
    })
    .await;
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_store_honours_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    run_contract(|clock| common::sqlite(dir.path(), clock)).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_store_honours_the_contract() {
    let Some(tables) = common::PgTables::new() else {
        return;
    };
    run_contract(|clock| tables.fresh(clock)).await;
    tables.drop_all().await;
}

/// The contract against one Redis deployment, when it answers.
#[cfg(feature = "redis")]
async fn redis_contract(stores: Option<common::RedisStores>) {
    let Some(stores) = stores else { return };
    run_contract(|clock| stores.fresh(clock)).await;
    stores.clear_all().await;
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_store_honours_the_contract() {
    redis_contract(common::RedisStores::server()).await;
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn redis_cluster_store_honours_the_contract() {
    redis_contract(common::RedisStores::cluster()).await;
}

#[cfg(feature = "werkzeug")]
#[tokio::test]
async fn werkzeug_files_honour_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let make = |clock| {
        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        satchel::FilesystemStore::werkzeug(dir.path().join(n.to_string()))
            .unwrap()
            .with_clock(clock)
    };
    run_contract_with(make, RawIds::AsWerkzeugDoes).await;
}

/// A memory store on which another request logs the session out at the worst moment for a
/// rotation: after the new record is written, before the old one is deleted.
#[derive(Clone, Default)]
struct LogoutDuringRotation {
    inner: satchel::MemoryStore,
    victim: std::sync::Arc<std::sync::Mutex<Option<satchel::StorageKey>>>,
}

impl SessionStore for LogoutDuringRotation {
    async fn create(&self, key: &satchel::StorageKey, record: &Record) -> satchel::Result<bool> {
        let created = self.inner.create(key, record).await?;
        let victim = self.victim.lock().unwrap().take();
        if let Some(victim) = victim {
            self.inner.delete(&victim).await?;
        }
        Ok(created)
    }
    async fn load(&self, key: &satchel::StorageKey) -> satchel::Result<Option<Record>> {
        self.inner.load(key).await
    }
    async fn update(
        &self,
        key: &satchel::StorageKey,
        changes: &satchel::Changes,
    ) -> satchel::Result<bool> {
        self.inner.update(key, changes).await
    }
    async fn delete(&self, key: &satchel::StorageKey) -> satchel::Result<bool> {
        self.inner.delete(key).await
    }
    async fn delete_expired(&self, key: &satchel::StorageKey) -> satchel::Result<bool> {
        self.inner.delete_expired(key).await
    }
    async fn list(&self) -> satchel::Result<Vec<satchel::StorageKey>> {
        self.inner.list().await
    }
}

#[tokio::test]
async fn a_logout_during_a_rotation_wins() {
    let store = LogoutDuringRotation::default();
    let session = saved(&store, json!({"user": "alice"})).await;
    let mut login = reload(&store, &session).await;
    *store.victim.lock().unwrap() = Some(store.key_of(session.id()));
    login.rotate_id().unwrap();
    assert_eq!(store.save(&mut login).await.unwrap(), SaveOutcome::Gone);
    assert!(
        store.list().await.unwrap().is_empty(),
        "the rotated copy outlived the logout"
    );
}
