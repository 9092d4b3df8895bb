//! werkzeug's own session tests (tests/contrib/test_sessions.py), restated for
//! `FilesystemStore`, plus the file-level behaviour werkzeug never tested.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod common;

use std::collections::HashSet;
use std::os::unix::fs::{PermissionsExt as _, symlink};

use satchel::{FilesystemStore, SessionStore, SessionStoreExt};

fn store() -> (tempfile::TempDir, FilesystemStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = FilesystemStore::new(dir.path().join("sessions")).unwrap();
    (dir, store)
}

fn mode_of(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// test_default_tempdir: without a path the store lives under the system temp dir (in a
/// private per-user folder rather than the shared temp dir itself).
#[test]
fn default_tempdir() {
    let store = FilesystemStore::in_temp_dir().unwrap();
    assert!(store.dir().starts_with(std::env::temp_dir()));
    assert_ne!(store.dir(), std::env::temp_dir());
    assert_eq!(mode_of(store.dir()) & 0o077, 0);
}

/// test_basic_fs_sessions, with werkzeug's `renew_missing=False` for the last step.
#[tokio::test]
async fn basic_fs_sessions() {
    let (_dir, store) = store();
    let store = store.with_renew_missing(false);
    let mut x = store.new_session().unwrap();
    assert!(x.is_new() && !x.is_modified());
    x.insert("foo", json(&[1, 2, 3])).unwrap();
    assert!(x.is_modified());
    store.save(&mut x).await.unwrap();

    let mut x2 = store.get(x.id().as_str()).await.unwrap();
    assert!(!x2.is_new() && !x2.is_modified());
    assert_eq!(x2.data(), x.data());
    x2.insert("test", 3).unwrap();
    assert!(x2.is_modified() && !x2.is_new());
    store.save(&mut x2).await.unwrap();

    let x = store.get(x.id().as_str()).await.unwrap();
    store
        .delete(&store.ids().storage_key(x.id()))
        .await
        .unwrap();
    let x3 = store.get(x.id().as_str()).await.unwrap();
    assert!(!x3.is_new() && x3.is_empty());
    assert_eq!(x3.id(), x.id());
}

/// test_renewing_fs_session (satchel's default): a deleted session's id gets a fresh one.
#[tokio::test]
async fn renewing_fs_session() {
    let (_dir, store) = store();
    let mut x = store.new_session().unwrap();
    x.insert("a", 1).unwrap();
    store.save(&mut x).await.unwrap();
    store
        .delete(&store.ids().storage_key(x.id()))
        .await
        .unwrap();
    let x2 = store.get(x.id().as_str()).await.unwrap();
    assert!(x2.is_new());
    assert_ne!(x2.id(), x.id());
}

/// test_fs_session_lising [sic]: ten saved sessions are listed (as stored keys).
#[tokio::test]
async fn fs_session_listing() {
    let (_dir, store) = store();
    let mut expected = HashSet::new();
    for n in 0..10 {
        let mut session = store.new_session().unwrap();
        session.insert("n", n).unwrap();
        store.save(&mut session).await.unwrap();
        expected.insert(store.ids().storage_key(session.id()));
    }
    let listed: HashSet<_> = store.list().await.unwrap().into_iter().collect();
    assert_eq!(listed, expected);
}

#[tokio::test]
async fn files_get_the_configured_mode_whatever_the_umask() {
    let (_dir, store) = store();
    for (store, mode) in [(store.clone(), 0o600), (store.with_mode(0o640), 0o640)] {
        let mut session = store.new_session().unwrap();
        session.insert("a", 1).unwrap();
        store.save(&mut session).await.unwrap();
        assert_eq!(
            mode_of(&store.path_of(&store.ids().storage_key(session.id()))),
            mode
        );
    }
}

#[tokio::test]
async fn template_names_the_files_and_list_skips_strangers() {
    let (_dir, store) = store();
    let store = store.with_filename_template("werkzeug_%s.sess").unwrap();
    let mut session = store.new_session().unwrap();
    session.insert("a", 1).unwrap();
    store.save(&mut session).await.unwrap();
    let key = store.ids().storage_key(session.id());
    assert!(store.dir().join(format!("werkzeug_{key}.sess")).exists());
    for stranger in [
        "werkzeug_abcde.sess",
        "notes.txt",
        "werkzeug_x.sess.__satchel",
    ] {
        std::fs::File::create(store.dir().join(stranger)).unwrap();
    }
    assert_eq!(store.list().await.unwrap(), [key]);
}

#[tokio::test]
async fn corrupt_and_symlinked_files_read_as_no_session() {
    let (dir, store) = store();
    let victim = dir.path().join("victim.json");
    std::fs::File::create(&victim).unwrap();
    let mut ids = Vec::new();
    let bodies: [&[u8]; 4] = [
        b"",
        b"{not json",
        b"\x00\xff\x13",
        br#"{"satchel":99,"data":{}}"#,
    ];
    for body in bodies {
        let id = satchel::SessionId::generate().unwrap();
        let path = store.path_of(&store.ids().storage_key(&id));
        let mut file = std::fs::File::create(&path).unwrap();
        std::io::Write::write_all(&mut file, body).unwrap();
        ids.push(id);
    }
    let linked = satchel::SessionId::generate().unwrap();
    symlink(&victim, store.path_of(&store.ids().storage_key(&linked))).unwrap();
    ids.push(linked.clone());

    for id in &ids {
        let session = store.get(id.as_str()).await.unwrap();
        assert!(session.is_new() && session.id() != id);
    }
    // A save under the symlinked id replaces the link, never writes through it.
    let mut record = satchel::Record::new();
    record.data.insert("planted".into(), 1.into());
    store
        .create(&store.ids().storage_key(&linked), &record)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), b"");
}

#[test]
fn unsafe_directories_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let open = dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let error = FilesystemStore::new(&open).unwrap_err().to_string();
    assert!(error.contains("others may write"), "{error}");

    let link = dir.path().join("link");
    symlink(dir.path(), &link).unwrap();
    let error = FilesystemStore::new(&link).unwrap_err().to_string();
    assert!(error.contains("symbolic link"), "{error}");

    let file = dir.path().join("file");
    std::fs::File::create(&file).unwrap();
    assert!(FilesystemStore::new(&file).is_err());
}

#[test]
fn new_directories_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let store = FilesystemStore::new(dir.path().join("a/b")).unwrap();
    assert_eq!(mode_of(store.dir()), 0o700);
}

fn json(values: &[i32]) -> serde_json::Value {
    serde_json::json!(values)
}
