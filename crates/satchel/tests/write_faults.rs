//! Fault injection at each step of a file write (create the temp file, write, fsync,
//! rename, fsync the directory), through the `failpoints` feature's fail points: the save
//! returns the error, no temp file remains, and until the rename the old file is
//! byte-identical. A failed directory fsync comes after the rename: the new file is then
//! in place, whole, and the error says its durability is unknown.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
mod common;

use common::temp_files;
use satchel::{FilesystemStore, Session, SessionStore, SessionStoreExt};

const STEPS: [&str; 5] = ["create-temp", "write", "fsync", "rename", "sync-dir"];

fn file_of(store: &FilesystemStore, session: &Session) -> std::path::PathBuf {
    store.path_of(&session.id().storage_key())
}

/// Saves `session` with the fail point of `step` armed, and returns what the save said.
async fn save_failing_at(store: &FilesystemStore, session: &mut Session, step: &str) -> String {
    let point = format!("satchel::fs::{step}");
    fail::cfg(&point, "return").unwrap();
    let result = store.save(session).await;
    fail::remove(&point);
    let err = result.expect_err("a save with an injected failure succeeded");
    err.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_at_any_step_of_a_write_loses_nothing() {
    let scenario = fail::FailScenario::setup();
    let root = tempfile::tempdir().unwrap();
    for step in STEPS {
        let store = FilesystemStore::new(root.path().join(step)).unwrap();
        let mut session = store.new_session().unwrap();
        session.insert("v", "old").unwrap();
        store.save(&mut session).await.unwrap();
        let old_bytes = std::fs::read(file_of(&store, &session)).unwrap();

        // An update.
        let mut loaded = store.get(session.id().as_str()).await.unwrap();
        loaded.insert("v", "new".repeat(1000)).unwrap();
        let message = save_failing_at(&store, &mut loaded, step).await;
        assert!(
            message.contains(&format!("injected failure at {step}")),
            "{step}: {message}"
        );
        assert_eq!(
            temp_files(store.dir()),
            Vec::<String>::new(),
            "{step}: a temp file remains"
        );
        let now = std::fs::read(file_of(&store, &session)).unwrap();
        let read_back = store.get(session.id().as_str()).await.unwrap();
        if step == "sync-dir" {
            // Renamed already: the new file, whole.
            assert_eq!(
                read_back.get::<String>("v").unwrap(),
                Some("new".repeat(1000))
            );
        } else {
            assert_eq!(now, old_bytes, "{step}: the old file changed");
            assert_eq!(
                read_back.get::<String>("v").unwrap().as_deref(),
                Some("old")
            );
        }

        // A create.
        let mut fresh = store.new_session().unwrap();
        fresh.insert("v", 1).unwrap();
        let message = save_failing_at(&store, &mut fresh, step).await;
        assert!(message.contains("injected failure"), "{step}: {message}");
        assert_eq!(
            temp_files(store.dir()),
            Vec::<String>::new(),
            "{step}: a temp file remains"
        );
        let stored = store.list().await.unwrap().len();
        assert_eq!(stored, if step == "sync-dir" { 2 } else { 1 }, "{step}");

        // With the fault gone, the same save goes through.
        store.save(&mut loaded).await.unwrap();
        let again = store.get(session.id().as_str()).await.unwrap();
        assert_eq!(again.get::<String>("v").unwrap(), Some("new".repeat(1000)));
        let file = if step == "sync-dir" {
            "new file in place, whole"
        } else {
            "old file byte-identical"
        };
        println!("{step}: the save returns \"{message}\"; {file}; no temp file left");
    }
    scenario.teardown();
}
