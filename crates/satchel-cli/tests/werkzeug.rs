//! `satchel` on a `werkzeug:` store, whose files are named by the raw session ids: no
//! command prints one, and a directory others may list is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::os::unix::fs::PermissionsExt as _;
mod common;

use common::{satchel, stdout};
use satchel::{FilesystemStore, SessionStoreExt};

/// A werkzeug store in a private temp dir with one session; its `--store` URL and raw id.
fn werkzeug_store() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::Builder::new()
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .unwrap();
    let store = FilesystemStore::werkzeug(dir.path()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let id = runtime.block_on(async {
        let mut session = store.new_session().unwrap();
        session.insert("user", "alice").unwrap();
        store.save(&mut session).await.unwrap();
        session.id().as_str().to_owned()
    });
    let url = format!("werkzeug:{}", dir.path().display());
    (dir, url, id)
}

#[test]
fn list_prints_the_hash_of_each_id_and_show_and_delete_take_it() {
    let (_dir, url, id) = werkzeug_store();
    let listed = stdout(&satchel(&url, &["list"]));
    let hashed = satchel::IdPolicy::werkzeug()
        .parse(&id)
        .unwrap()
        .storage_key();
    assert_eq!(listed, format!("{hashed}\n"));
    assert!(!listed.contains(&id));
    for name in [hashed.as_str(), id.as_str()] {
        let shown = stdout(&satchel(&url, &["show", name]));
        assert!(shown.contains("alice") && !shown.contains(&id), "{shown}");
    }
    assert_eq!(
        stdout(&satchel(&url, &["delete", hashed.as_str()])),
        "deleted\n"
    );
    assert_eq!(stdout(&satchel(&url, &["count"])), "0\n");
    let gone = satchel(&url, &["show", hashed.as_str()]);
    assert_eq!(gone.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&gone.stderr).contains(&id));
}

#[test]
fn a_directory_others_may_list_is_refused_with_the_fix() {
    let (dir, url, id) = werkzeug_store();
    for mode in [0o755, 0o750, 0o711, 0o704] {
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        let output = satchel(&url, &["list"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{mode:o}: {stderr}");
        assert!(output.stdout.is_empty());
        assert!(stderr.contains("chmod 700"), "{mode:o}: {stderr}");
        assert!(!stderr.contains(&id));
    }
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(stdout(&satchel(&url, &["count"])), "1\n");
}
