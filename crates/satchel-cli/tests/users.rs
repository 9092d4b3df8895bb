//! `satchel sessions USER` and `satchel revoke USER [--keep HANDLE]` on real stores.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use std::process::Output;

use common::{satchel, stdout};

use satchel::{
    FilesystemStore, Handle, Owner, SessionId, SessionStore, SessionStoreExt, SqliteStore, UserKey,
};

fn stderr_of_failure(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Saves a session tied to `owner` and gives its id.
fn tied(store: &impl SessionStore, owner: UserKey, label: &str) -> SessionId {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut session = store.new_session().unwrap();
        session.insert("user", label).unwrap();
        session.set_owner(Some(Owner::new(owner).with_label(label)));
        store.save(&mut session).await.unwrap();
        session.id().clone()
    })
}

fn lists_and_revokes(url: &str, store: &impl SessionStore) {
    let ids: Vec<SessionId> = (0..3)
        .map(|n| tied(store, UserKey::hashed("alice"), &format!("device {n}")))
        .collect();
    tied(store, UserKey::hashed("bob"), "bob's");
    tied(store, UserKey::plain("u-7").unwrap(), "plain");

    let listed = stdout(&satchel(url, &["sessions", "alice"]));
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 3, "{listed}");
    for line in &lines {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 5, "{line}");
        assert!(Handle::parse(fields[0]).is_some(), "{line}");
        assert!(fields[1].contains('T') && fields[3] == "-", "{line}");
        assert!(fields[4].starts_with("device "), "{line}");
    }
    for id in &ids {
        assert!(!listed.contains(id.as_str()), "a session id was printed");
    }
    assert_eq!(
        stdout(&satchel(url, &["sessions", "--plain-user", "u-7"]))
            .lines()
            .count(),
        1
    );
    assert_eq!(stdout(&satchel(url, &["sessions", "nobody"])), "");

    let keep = Handle::of(&ids[1].storage_key());
    let revoked = satchel(url, &["revoke", "--keep", keep.as_str(), "alice"]);
    assert_eq!(stdout(&revoked), "2\n");
    let left = stdout(&satchel(url, &["sessions", "alice"]));
    assert!(
        left.starts_with(keep.as_str()) && left.lines().count() == 1,
        "{left}"
    );
    assert_eq!(
        stdout(&satchel(url, &["sessions", "bob"])).lines().count(),
        1
    );
    assert_eq!(stdout(&satchel(url, &["revoke", "alice"])), "1\n");
    assert_eq!(stdout(&satchel(url, &["revoke", "alice"])), "0\n");

    let bad = satchel(url, &["revoke", "--keep", "../etc", "bob"]);
    assert!(stderr_of_failure(&bad).contains("not a session handle"));
    assert_eq!(
        stdout(&satchel(url, &["sessions", "bob"])).lines().count(),
        1,
        "a bad --keep ended something"
    );
}

#[test]
fn sessions_and_revoke_on_a_file_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions");
    let store = FilesystemStore::new(&path).unwrap();
    lists_and_revokes(&format!("file:{}", path.display()), &store);
}

#[test]
fn sessions_and_revoke_on_a_sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sessions.db");
    let store = SqliteStore::open(&path).unwrap();
    lists_and_revokes(&format!("sqlite:{}", path.display()), &store);
}

#[test]
fn werkzeug_files_refuse_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w");
    FilesystemStore::werkzeug(&path).unwrap();
    let refused = satchel(
        &format!("werkzeug:{}", path.display()),
        &["sessions", "alice"],
    );
    assert!(stderr_of_failure(&refused).contains("werkzeug's file format has no place"));
}
