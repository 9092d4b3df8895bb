//! SqliteStore's own promises beyond the contract suite: the group-committed writes of
//! many concurrent requests all land, and stay; its files are private, whatever the umask.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;

use satchel::{SessionStore, SessionStoreExt, SqliteStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_of_a_burst_is_committed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.db");
    let store = SqliteStore::open(&path).unwrap();
    let mut writers = Vec::new();
    for n in 0..200u32 {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            let mut session = store.new_session().unwrap();
            session.insert("n", n).unwrap();
            store.save(&mut session).await.unwrap();
            session.id().clone()
        }));
    }
    let mut ids = Vec::new();
    for writer in writers {
        ids.push(writer.await.unwrap());
    }
    // A new store on the same file sees all of them: they were committed, not cached.
    let reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(reopened.list().await.unwrap().len(), 200);
    for (n, id) in (0..200u32).zip(&ids) {
        let session = reopened.get(id.as_str()).await.unwrap();
        assert_eq!(session.get::<u32>("n").unwrap(), Some(n));
    }
}

const CHILD_DIR: &str = "SATCHEL_SQLITE_UMASK_DIR";

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Opens a new database in `dir`, saves a session and, while the store is open (SQLite
/// removes `-wal` and `-shm` when the last connection closes), asserts all three are 0600.
async fn files_of_a_new_database_are_private(dir: &Path) {
    let path = dir.join("sessions.db");
    let store = SqliteStore::open(&path).unwrap();
    let mut session = store.new_session().unwrap();
    session.insert("user", "alice").unwrap();
    store.save(&mut session).await.unwrap();
    assert!(
        store
            .load(&store.ids().storage_key(session.id()))
            .await
            .unwrap()
            .is_some()
    );
    for suffix in ["", "-wal", "-shm"] {
        let file = dir.join(format!("sessions.db{suffix}"));
        assert_eq!(mode_of(&file), 0o600, "{}", file.display());
    }
}

/// The child: run under `umask 000` by the test below.
#[test]
#[ignore = "run by files_are_0600_even_under_umask_000 in a child process"]
fn sqlite_umask_child() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    // The umask really is 000 here: a plain new file gets all of 0666.
    let probe = Path::new(&dir).join("probe");
    std::fs::File::create(&probe).unwrap();
    assert_eq!(mode_of(&probe), 0o666);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(files_of_a_new_database_are_private(Path::new(&dir)));
}

#[tokio::test]
async fn files_are_0600() {
    let dir = tempfile::tempdir().unwrap();
    files_of_a_new_database_are_private(dir.path()).await;
}

#[test]
fn files_are_0600_even_under_umask_000() {
    let dir = tempfile::tempdir().unwrap();
    // The umask is per process: set it in a shell that then becomes this test binary.
    let output = Command::new("sh")
        .args([
            "-c",
            "umask 000 && exec \"$0\" --ignored --exact sqlite_umask_child",
        ])
        .arg(std::env::current_exe().unwrap())
        .env(CHILD_DIR, dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
}

/// A database made before sessions had owners keeps its sessions and gains the index.
#[tokio::test]
async fn a_table_of_an_earlier_version_gains_the_owner_columns() {
    use satchel::{Owner, SessionStoreExt as _, UserKey, UserSessions as _};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let old = rusqlite::Connection::open(&path).unwrap();
    old.execute_batch(
        "CREATE TABLE satchel_sessions (
             key TEXT PRIMARY KEY NOT NULL, data TEXT NOT NULL,
             created_at INTEGER NOT NULL, expires_at INTEGER
         ) WITHOUT ROWID;
         INSERT INTO satchel_sessions VALUES
             ('0000000000000000000000000000000000000000000000000000000000000000', '{\"n\":1}', 1, NULL);",
    )
    .unwrap();
    drop(old);
    let store = satchel::SqliteStore::open(&path).unwrap();
    assert_eq!(store.list().await.unwrap().len(), 1);
    let mut session = store.new_session().unwrap();
    session.set_owner(Some(Owner::new(UserKey::hashed("alice"))));
    store.save(&mut session).await.unwrap();
    assert_eq!(
        store
            .sessions_of(&UserKey::hashed("alice"))
            .await
            .unwrap()
            .len(),
        1
    );
}
