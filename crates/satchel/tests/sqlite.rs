//! SqliteStore's own promise beyond the contract suite: the group-committed writes of many
//! concurrent requests all land, and stay.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

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
