//! A full disk and a read-only one, on a small tmpfs this test mounts: the save fails with
//! the system's clear error, nothing panics, the old data reads back intact, no temp file
//! is left, and the store works again once there is room. Mounting needs root (or
//! CAP_SYS_ADMIN); elsewhere each test says it skipped, and why.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
#![allow(clippy::disallowed_methods)] // files the test plants (victims, fillers), not session files
mod common;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;

use common::temp_files;
use satchel::{FilesystemStore, SessionStore, SessionStoreExt};

/// A tmpfs of a few hundred KiB mounted on a temp dir, unmounted when dropped.
struct Tmpfs {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Tmpfs {
    fn mount(size: &str, test: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mnt");
        std::fs::create_dir(&path).unwrap();
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(&path)
            .output();
        match mounted {
            Ok(output) if output.status.success() => Some(Self { _dir: dir, path }),
            Ok(output) => {
                let why = String::from_utf8_lossy(&output.stderr);
                eprintln!("SKIPPED {test}: cannot mount a tmpfs here ({})", why.trim());
                None
            }
            Err(err) => {
                eprintln!("SKIPPED {test}: no mount command ({err})");
                None
            }
        }
    }

    /// Remounts `how` (`ro`, `rw`). A file system with files open for writing cannot
    /// become read-only, so this retries for a few seconds while a dropped store's
    /// threads close theirs.
    fn remount(&self, how: &str) {
        for _ in 0..50 {
            let output = Command::new("mount")
                .args(["-o", &format!("remount,{how}")])
                .arg(&self.path)
                .output()
                .unwrap();
            if output.status.success() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("could not remount {how}");
    }

    /// Writes a file until the disk is full; removing it makes room again.
    fn fill(&self) -> PathBuf {
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 4096];
        while file.write_all(&chunk).is_ok() {}
        let _ = file.sync_all();
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

/// A stored session holding "old", then an update of 200 KB that cannot fit: the error,
/// and "old" still there. Returns the error's text.
async fn update_fails<S: SessionStore>(store: &S, id: &str, what: &str) -> String {
    let mut loaded = store.get(id).await.unwrap();
    loaded.insert("v", "x".repeat(200_000)).unwrap();
    let err = store
        .save(&mut loaded)
        .await
        .expect_err(&format!("{what}: the save succeeded"))
        .to_string();
    let again = store.get(id).await.unwrap();
    assert_eq!(
        again.get::<String>("v").unwrap().as_deref(),
        Some("old"),
        "{what}"
    );
    err
}

async fn stored_old<S: SessionStore>(store: &S) -> String {
    let mut session = store.new_session().unwrap();
    session.insert("v", "old").unwrap();
    store.save(&mut session).await.unwrap();
    session.id().as_str().to_owned()
}

#[tokio::test]
async fn file_store_on_a_full_disk() {
    let Some(disk) = Tmpfs::mount("256k", "file_store_on_a_full_disk") else {
        return;
    };
    let store = FilesystemStore::new(disk.path.join("sessions")).unwrap();
    let id = stored_old(&store).await;
    let filler = disk.fill();
    let err = update_fails(&store, &id, "full disk").await;
    assert!(err.contains("No space left on device"), "{err}");
    assert_eq!(temp_files(store.dir()), Vec::<String>::new());
    let mut fresh = store.new_session().unwrap();
    fresh.insert("v", "y".repeat(200_000)).unwrap();
    assert!(
        store.save(&mut fresh).await.is_err(),
        "a create fit on a full disk"
    );
    assert_eq!(store.list().await.unwrap().len(), 1);

    std::fs::remove_file(filler).unwrap();
    let mut loaded = store.get(&id).await.unwrap();
    loaded.insert("v", "new").unwrap();
    store.save(&mut loaded).await.unwrap();
    println!("file store, full disk: \"{err}\"; old data intact; no temp file; works once freed");
}

#[tokio::test]
async fn file_store_on_a_read_only_disk() {
    let Some(disk) = Tmpfs::mount("256k", "file_store_on_a_read_only_disk") else {
        return;
    };
    let store = FilesystemStore::new(disk.path.join("sessions")).unwrap();
    let id = stored_old(&store).await;
    disk.remount("ro");
    let err = update_fails(&store, &id, "read-only disk").await;
    assert!(err.contains("Read-only file system"), "{err}");
    disk.remount("rw");
    assert_eq!(temp_files(store.dir()), Vec::<String>::new());
    println!("file store, read-only disk: \"{err}\"; old data intact");
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_store_on_a_full_disk() {
    let Some(disk) = Tmpfs::mount("1m", "sqlite_store_on_a_full_disk") else {
        return;
    };
    let path = disk.path.join("sessions.db");
    let store = satchel::SqliteStore::open(&path).unwrap();
    let id = stored_old(&store).await;
    let filler = disk.fill();
    let err = update_fails(&store, &id, "full disk").await;
    assert!(err.to_lowercase().contains("full"), "{err}");
    drop(store);

    std::fs::remove_file(filler).unwrap();
    let store = satchel::SqliteStore::open(&path).unwrap();
    let mut loaded = store.get(&id).await.unwrap();
    assert_eq!(loaded.get::<String>("v").unwrap().as_deref(), Some("old"));
    loaded.insert("v", "new").unwrap();
    store.save(&mut loaded).await.unwrap();
    println!(
        "SQLite store, full disk: \"{err}\"; old data intact after reopening; works once freed"
    );
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_store_on_a_read_only_disk() {
    let Some(disk) = Tmpfs::mount("1m", "sqlite_store_on_a_read_only_disk") else {
        return;
    };
    let path = disk.path.join("sessions.db");
    let store = satchel::SqliteStore::open(&path).unwrap();
    let id = stored_old(&store).await;
    // A file system with files open for writing cannot become read-only: close them.
    drop(store);
    disk.remount("ro");
    let err = match satchel::SqliteStore::open(&path) {
        Err(err) => format!("open: {err}"),
        Ok(store) => {
            let mut loaded = store.get(&id).await.unwrap();
            loaded.insert("v", "new").unwrap();
            let err = store
                .save(&mut loaded)
                .await
                .expect_err("a save on a read-only disk");
            format!("save: {err}")
        }
    };
    disk.remount("rw");
    let store = satchel::SqliteStore::open(&path).unwrap();
    let again = store.get(&id).await.unwrap();
    assert_eq!(again.get::<String>("v").unwrap().as_deref(), Some("old"));
    println!("SQLite store, read-only disk: \"{err}\"; old data intact after reopening");
}
