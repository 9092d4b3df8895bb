//! The store contract suite (`satchel::test_suite`), run against every store of the crate.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use common::{FsStores, memory};
use satchel::store::{AnyStore, SaveOutcome};
use satchel::{Clock, Record, SessionStore, SessionStoreExt};
use serde_json::json;

async fn run_contract<S: SessionStore>(make: impl Fn(Clock) -> S) {
    satchel::test_suite::run(make).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_honours_the_contract() {
    run_contract(memory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filesystem_store_honours_the_contract() {
    let stores = FsStores::new();
    run_contract(|clock| stores.fresh(clock)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erased_store_honours_the_contract() {
    run_contract(|clock| AnyStore::new(memory(clock))).await;
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_store_honours_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    run_contract(|clock| common::sqlite(dir.path(), clock)).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
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
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_honours_the_contract() {
    redis_contract(common::RedisStores::server()).await;
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_cluster_store_honours_the_contract() {
    redis_contract(common::RedisStores::cluster()).await;
}

#[cfg(feature = "werkzeug")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn werkzeug_files_honour_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let make = |clock| {
        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        satchel::FilesystemStore::werkzeug(dir.path().join(n.to_string()))
            .unwrap()
            .with_clock(clock)
    };
    run_contract(make).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_during_a_rotation_wins() {
    let store = LogoutDuringRotation::default();
    let mut session = store.new_session().unwrap();
    session.insert("user", "alice").unwrap();
    assert_eq!(
        store.save(&mut session).await.unwrap(),
        SaveOutcome::Created
    );
    let mut login = store.get(session.id().as_str()).await.unwrap();
    *store.victim.lock().unwrap() = Some(session.id().storage_key());
    login.rotate_id().unwrap();
    assert_eq!(store.save(&mut login).await.unwrap(), SaveOutcome::Gone);
    assert!(
        store.list().await.unwrap().is_empty(),
        "the rotated copy outlived the logout"
    );
}

/// A table made before NUL was escaped: it gains the `escaped` column on first use, and
/// its rows, including one holding the escape mark as plain text, read as they were and
/// take NUL values afterwards.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_tables_of_earlier_versions_keep_their_sessions() {
    let Some(tables) = common::PgTables::new() else {
        return;
    };
    let store = tables.fresh(common::now_clock());
    let (client, connection) = tokio_postgres::connect(tables.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let old_schema = "CREATE TABLE {table} (key TEXT PRIMARY KEY, data JSONB NOT NULL,
                      created_at BIGINT NOT NULL, expires_at BIGINT)";
    client
        .batch_execute(&old_schema.replace("{table}", store.table()))
        .await
        .unwrap();
    let marked = json!({"mark": "a\u{FFFE}0b\u{FFFE}"});
    let plain = json!({"user": "alice"});
    let mut ids = Vec::new();
    for data in [&marked, &plain] {
        let id = satchel::SessionId::generate().unwrap();
        let sql = format!(
            "INSERT INTO {} (key, data, created_at) VALUES ($1, $2, 0)",
            store.table()
        );
        client
            .execute(&sql, &[&id.storage_key().as_str(), data])
            .await
            .unwrap();
        ids.push(id);
    }
    let old_marked = store.get(ids[0].as_str()).await.unwrap();
    assert_eq!(old_marked.data(), marked.as_object().unwrap());
    assert_eq!(
        store.get(ids[1].as_str()).await.unwrap().data(),
        plain.as_object().unwrap()
    );
    for id in &ids {
        let mut session = store.get(id.as_str()).await.unwrap();
        session.insert("nul", "\u{0}").unwrap();
        assert_eq!(
            store.save(&mut session).await.unwrap(),
            SaveOutcome::Updated
        );
    }
    let mut expected = marked.as_object().unwrap().clone();
    expected.insert("nul".into(), json!("\u{0}"));
    assert_eq!(store.get(ids[0].as_str()).await.unwrap().data(), &expected);
    tables.drop_all().await;
}
