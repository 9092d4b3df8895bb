//! tower-sessions' store semantics (create, save, load, delete, expired deletion) on every
//! satchel store, with what the bridge promises on top: hashed keys, no overwrite on
//! create, whole-record saves that never resurrect, expiry enforced on load, limits.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use std::collections::HashMap;

use common::{Kind, on};
use satchel::store::AnyStore;
use satchel::{Clock, Limits, SessionStore as _};
use satchel_tower_sessions::TowerStore;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use time::{Duration, OffsetDateTime};
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::Error;
use tower_sessions_core::{ExpiredDeletion as _, SessionStore as _};

fn data(pairs: &[(&str, Value)]) -> HashMap<String, Value> {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), value.clone()))
        .collect()
}

/// A record expiring `ttl` after the store's clock, to the second (the SQL stores keep
/// unix seconds).
fn record(clock: &Clock, ttl: Duration, pairs: &[(&str, Value)]) -> Record {
    let expiry = clock.now() + ttl;
    Record {
        id: Id::default(),
        data: data(pairs),
        expiry_date: OffsetDateTime::from_unix_timestamp(expiry.unix_timestamp()).unwrap(),
    }
}

async fn create_then_load(store: TowerStore<AnyStore>, clock: Clock) {
    let mut created = record(&clock, Duration::hours(1), &[("user", json!("alice"))]);
    store.create(&mut created).await.unwrap();
    assert_eq!(
        store.load(&created.id).await.unwrap(),
        Some(created.clone())
    );
    assert_eq!(store.load(&Id::default()).await.unwrap(), None);

    // At rest: the SHA-256 of the cookie text, and nothing else.
    let keys = store.inner().list().await.unwrap();
    let hashed = hex::encode(Sha256::digest(created.id.to_string().as_bytes()));
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].as_str(), hashed);
}

async fn create_never_overwrites(store: TowerStore<AnyStore>, clock: Clock) {
    let mut first = record(&clock, Duration::hours(1), &[("owner", json!("first"))]);
    store.create(&mut first).await.unwrap();
    let mut second = record(&clock, Duration::hours(1), &[("owner", json!("second"))]);
    second.id = first.id; // a colliding id
    store.create(&mut second).await.unwrap();

    assert_ne!(second.id, first.id, "the colliding id was not re-drawn");
    assert_eq!(store.load(&first.id).await.unwrap(), Some(first));
    assert_eq!(store.load(&second.id).await.unwrap(), Some(second));
}

async fn save_replaces_the_whole_record(store: TowerStore<AnyStore>, clock: Clock) {
    let mut saved = record(
        &clock,
        Duration::hours(1),
        &[("a", json!(1)), ("b", json!(1))],
    );
    store.create(&mut saved).await.unwrap();
    saved.data = data(&[("b", json!(2)), ("c", json!({"nested": [3]}))]);
    saved.expiry_date += Duration::hours(1);
    store.save(&saved).await.unwrap();

    let loaded = store.load(&saved.id).await.unwrap().unwrap();
    assert_eq!(loaded.data, saved.data, "a removed key survived the save");
    assert_eq!(loaded.expiry_date, saved.expiry_date);
    assert_eq!(store.inner().list().await.unwrap().len(), 1);
}

async fn save_never_resurrects(store: TowerStore<AnyStore>, clock: Clock) {
    let mut ended = record(&clock, Duration::hours(1), &[("user", json!("alice"))]);
    store.create(&mut ended).await.unwrap();
    store.delete(&ended.id).await.unwrap();
    assert_eq!(store.load(&ended.id).await.unwrap(), None);

    // A request that loaded the session before a concurrent logout saves it afterwards.
    store.save(&ended).await.unwrap();
    assert_eq!(store.load(&ended.id).await.unwrap(), None);
    assert!(store.inner().list().await.unwrap().is_empty());

    // Nor is a save of an id that was never created a way in.
    let never = record(&clock, Duration::hours(1), &[("user", json!("mallory"))]);
    store.save(&never).await.unwrap();
    assert_eq!(store.load(&never.id).await.unwrap(), None);
    // Deleting what is not there is no error.
    store.delete(&never.id).await.unwrap();
}

async fn expiry_is_enforced(store: TowerStore<AnyStore>, clock: Clock) {
    let mut short = record(&clock, Duration::minutes(1), &[("n", json!(1))]);
    let mut long = record(&clock, Duration::hours(1), &[("n", json!(2))]);
    store.create(&mut short).await.unwrap();
    store.create(&mut long).await.unwrap();
    clock.advance(Duration::minutes(2));

    assert_eq!(
        store.load(&short.id).await.unwrap(),
        None,
        "an expired record came back"
    );
    // Saving the expired session with a later expiry does not bring it back either.
    short.expiry_date += Duration::hours(1);
    store.save(&short).await.unwrap();
    assert_eq!(store.load(&short.id).await.unwrap(), None);

    store.delete_expired().await.unwrap();
    let keys = store.inner().list().await.unwrap();
    assert_eq!(keys.len(), 1, "expired deletion left {keys:?}");
    assert_eq!(store.load(&long.id).await.unwrap(), Some(long));
}

async fn limits_refuse_unreadable_data(store: TowerStore<AnyStore>, clock: Clock) {
    let store = store.with_limits(Limits::new().with_max_bytes(256).with_max_depth(4));
    let mut small = record(&clock, Duration::hours(1), &[("ok", json!("fine"))]);
    store.create(&mut small).await.unwrap();

    let mut big = small.clone();
    big.data = data(&[("big", json!("x".repeat(300)))]);
    assert!(matches!(store.save(&big).await, Err(Error::Encode(_))));
    let mut deep = record(&clock, Duration::hours(1), &[("deep", json!([[[[[1]]]]]))]);
    assert!(matches!(
        store.create(&mut deep).await,
        Err(Error::Encode(_))
    ));

    assert_eq!(store.load(&small.id).await.unwrap(), Some(small));
    assert_eq!(store.inner().list().await.unwrap().len(), 1);
}

async fn semantics(kind: Kind) {
    on(kind, create_then_load).await;
    on(kind, create_never_overwrites).await;
    on(kind, save_replaces_the_whole_record).await;
    on(kind, save_never_resurrects).await;
    on(kind, expiry_is_enforced).await;
    on(kind, limits_refuse_unreadable_data).await;
}

#[tokio::test]
async fn memory_store() {
    semantics(Kind::Memory).await;
}

#[tokio::test]
async fn filesystem_store() {
    semantics(Kind::Filesystem).await;
}

#[tokio::test]
async fn sqlite_store() {
    semantics(Kind::Sqlite).await;
}

#[tokio::test]
async fn redis_store() {
    semantics(Kind::Redis).await;
}

#[tokio::test]
async fn redis_cluster_store() {
    semantics(Kind::RedisCluster).await;
}

#[tokio::test]
async fn postgres_store() {
    semantics(Kind::Postgres).await;
}

/// A save is on disk when it returns: a second store opened on the same file or folder
/// (a restarted process) reads it.
#[tokio::test]
async fn saves_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::system();
    let path = dir.path().join("sessions.db");
    let mut saved = record(&clock, Duration::hours(1), &[("user", json!("alice"))]);
    let sqlite = TowerStore::new(satchel::SqliteStore::open(&path).unwrap());
    sqlite.create(&mut saved).await.unwrap();
    saved.data = data(&[("user", json!("bob"))]);
    sqlite.save(&saved).await.unwrap();
    drop(sqlite);
    let reopened = TowerStore::new(satchel::SqliteStore::open(&path).unwrap());
    assert_eq!(reopened.load(&saved.id).await.unwrap(), Some(saved.clone()));

    let folder = dir.path().join("files");
    let files = TowerStore::new(satchel::FilesystemStore::new(&folder).unwrap());
    files.create(&mut saved).await.unwrap();
    drop(files);
    let reopened = TowerStore::new(satchel::FilesystemStore::new(&folder).unwrap());
    assert_eq!(reopened.load(&saved.id).await.unwrap(), Some(saved));
}

/// `Clone` shares the store, and the type is what tower-sessions' layer needs.
#[tokio::test]
async fn clones_share_the_store() {
    let store = TowerStore::new(satchel::MemoryStore::new());
    let clone = store.clone();
    let mut created = record(&Clock::system(), Duration::hours(1), &[]);
    store.create(&mut created).await.unwrap();
    assert_eq!(clone.load(&created.id).await.unwrap(), Some(created));
    fn assert_layer_store<S: tower_sessions_core::SessionStore + Clone + Send + Sync>(_: &S) {}
    assert_layer_store(&clone);
}

/// werkzeug's file format keys files by werkzeug's own ids: sessions stored by hash would
/// never be listed, so never pruned. Creating one is refused, and nothing is written.
#[tokio::test]
async fn werkzeug_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("werkzeug");
    let store = TowerStore::new(satchel::FilesystemStore::werkzeug(&folder).unwrap());
    let mut refused = record(&Clock::system(), Duration::hours(1), &[("n", json!(1))]);
    assert!(matches!(
        store.create(&mut refused).await,
        Err(Error::Backend(_))
    ));
    assert_eq!(store.load(&refused.id).await.unwrap(), None);
    let sessions = std::fs::read_dir(&folder)
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".sess")
        })
        .count();
    assert_eq!(sessions, 0);
}
