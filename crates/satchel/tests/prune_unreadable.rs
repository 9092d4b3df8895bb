//! Prune removes files it cannot read once they are older than the store's grace, says
//! how many, and keeps fresh ones (which may yet become readable). SQL rows keep their
//! expiry in a column of its own, so an unreadable row goes when that deadline passes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::time::{Duration, SystemTime};

#[cfg(feature = "postgres")]
mod common;

use satchel::store::Progress;
use satchel::{FilesystemStore, SessionId, SessionStore, SessionStoreExt, StorageKey};

/// Writes `bytes` at `path`, last modified `age` ago.
fn plant(path: &Path, bytes: &[u8], age: Duration) {
    let mut file = std::fs::File::create(path).unwrap();
    file.write_all(bytes).unwrap();
    file.set_modified(SystemTime::now() - age).unwrap();
}

fn fresh_key() -> StorageKey {
    SessionId::generate().unwrap().storage_key()
}

const HOUR: Duration = Duration::from_secs(3600);

/// Prunes, and gives what prune returned and how many of those it found unreadable.
async fn prune(store: &impl SessionStore) -> (u64, u64) {
    let progress = Progress::none();
    let deleted = store.prune(&progress).await.unwrap();
    (deleted, progress.unreadable())
}

#[tokio::test]
async fn old_unreadable_files_go_and_fresh_ones_stay() {
    let dir = tempfile::tempdir().unwrap();
    let store = FilesystemStore::new(dir.path()).unwrap();
    let (old, fresh, cut_off) = (fresh_key(), fresh_key(), fresh_key());
    plant(&store.path_of(&old), b"{not json", 13 * HOUR);
    plant(&store.path_of(&fresh), b"{not json", HOUR);
    // Too deep to read back: what a 254-byte PUT of nested arrays used to leave.
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    plant(&store.path_of(&cut_off), deep.as_bytes(), 13 * HOUR);
    let mut live = store.new_session().unwrap();
    live.insert("user", "alice").unwrap();
    store.save(&mut live).await.unwrap();

    assert_eq!(prune(&store).await, (2, 2));
    assert!(!store.path_of(&old).exists() && !store.path_of(&cut_off).exists());
    assert!(store.path_of(&fresh).exists());
    assert!(!store.get(live.id().as_str()).await.unwrap().is_new());
    assert_eq!(prune(&store).await, (0, 0));
}

#[tokio::test]
async fn the_grace_is_configurable_and_delete_expired_follows_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = FilesystemStore::new(dir.path())
        .unwrap()
        .with_unreadable_grace(time::Duration::minutes(30));
    let (old, fresh) = (fresh_key(), fresh_key());
    plant(&store.path_of(&old), b"garbage", HOUR);
    plant(&store.path_of(&fresh), b"garbage", Duration::from_secs(60));
    assert!(!store.delete_expired(&fresh).await.unwrap());
    assert!(store.delete_expired(&old).await.unwrap());
    assert!(!store.path_of(&old).exists() && store.path_of(&fresh).exists());
}

#[tokio::test]
async fn files_that_cannot_be_opened_are_pruned_and_directories_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let store = FilesystemStore::new(dir.path()).unwrap();
    let (locked, folder) = (fresh_key(), fresh_key());
    plant(&store.path_of(&locked), b"x", 13 * HOUR);
    std::fs::set_permissions(
        store.path_of(&locked),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    std::fs::create_dir(store.path_of(&folder)).unwrap();
    std::fs::File::open(store.path_of(&folder))
        .unwrap()
        .set_modified(SystemTime::now() - 13 * HOUR)
        .unwrap();
    // An unopenable file used to fail the whole prune with "permission denied".
    assert_eq!(prune(&store).await, (1, 1));
    assert!(!store.path_of(&locked).exists());
    assert!(store.path_of(&folder).is_dir());
}

#[cfg(feature = "werkzeug")]
#[tokio::test]
async fn werkzeug_files_that_are_not_data_go_a_lifetime_after_their_last_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = FilesystemStore::werkzeug(dir.path().join("sessions"))
        .unwrap()
        .with_file_lifetime(time::Duration::minutes(30));
    let ids = store.ids();
    let (old, fresh) = (ids.generate().unwrap(), ids.generate().unwrap());
    let (old, fresh) = (ids.storage_key(&old), ids.storage_key(&fresh));
    // A pickle that calls os.system: never run, never read, and not kept forever either.
    let evil = b"cposix\nsystem\n(S'touch /tmp/x'\ntR.";
    plant(&store.path_of(&old), evil, HOUR);
    plant(&store.path_of(&fresh), evil, Duration::from_secs(60));
    assert_eq!(prune(&store).await, (1, 1));
    assert!(!store.path_of(&old).exists() && store.path_of(&fresh).exists());
}

/// Session data nested deeper than any reader takes (serde_json's limit is 128).
fn too_deep() -> String {
    format!("{{\"k\":{}{}}}", "[".repeat(200), "]".repeat(200))
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_rows_that_cannot_be_read_go_by_their_expiry_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.db");
    let store = satchel::SqliteStore::open(&path).unwrap();
    let db = rusqlite::Connection::open(&path).unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let (old, deep, fresh) = (fresh_key(), fresh_key(), fresh_key());
    let rows = [
        (&old, "{not json".to_owned(), now - 60),
        (&deep, too_deep(), now - 60),
        (&fresh, "{not json".to_owned(), now + 3600),
    ];
    for (key, data, expires) in rows {
        db.execute(
            "INSERT INTO satchel_sessions (key, data, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![key.as_str(), data, now - 7200, expires],
        )
        .unwrap();
    }
    assert_eq!(store.load(&fresh).await.unwrap(), None);
    assert_eq!(prune(&store).await.0, 2);
    assert_eq!(store.list().await.unwrap(), [fresh]);
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_rows_that_cannot_be_read_go_by_their_expiry_column() {
    let Some(tables) = common::PgTables::new() else {
        return;
    };
    let store = tables.fresh(satchel::Clock::system());
    store.list().await.unwrap(); // creates the table
    let (client, connection) = tokio_postgres::connect(tables.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let (old, deep, fresh) = (fresh_key(), fresh_key(), fresh_key());
    let rows = [
        (&old, "\"not an object\"".to_owned(), now - 60),
        (&deep, too_deep(), now - 60),
        (&fresh, too_deep(), now + 3600),
    ];
    for (key, data, expires) in rows {
        let sql = format!(
            "INSERT INTO {} (key, data, created_at, expires_at) VALUES ($1, $2::text::jsonb, $3, $4)",
            store.table()
        );
        client
            .execute(&sql, &[&key.as_str(), &data, &(now - 7200), &expires])
            .await
            .unwrap();
    }
    assert_eq!(store.load(&fresh).await.unwrap(), None);
    assert_eq!(prune(&store).await.0, 2);
    assert_eq!(store.list().await.unwrap(), [fresh]);
    tables.drop_all().await;
}
