//! The file store's files and folders, against a hostile neighbour: 0600 files and 0700
//! folders whatever the umask; a symlink planted at a session's file never redirects a
//! write, and temp files are created O_EXCL, so one planted at a temp name cannot either;
//! a directory that another user owns, that others may write, or that is a symlink is
//! refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test
#![allow(clippy::disallowed_methods)] // files the test plants (victims, fillers), not session files
mod common;

use std::collections::HashMap;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::strace::{mark, step, trace_child};
use satchel::{Error, FilesystemStore, Owner, SessionStore, SessionStoreExt, UserKey};

const CHILD_DIR: &str = "SATCHEL_PERMISSIONS_DIR";

/// Every entry under `dir` (itself included), with its permission bits.
fn modes(dir: &Path) -> Vec<(PathBuf, u32, bool)> {
    let meta = std::fs::symlink_metadata(dir).unwrap();
    let mut all = vec![(dir.to_path_buf(), meta.mode() & 0o7777, meta.is_dir())];
    if meta.is_dir() {
        for entry in std::fs::read_dir(dir).unwrap() {
            all.extend(modes(&entry.unwrap().path()));
        }
    }
    all
}

/// A store with one plain session and one tied to a user (so the user index has its
/// folders and markers too), under `dir`.
async fn populated(dir: &Path) -> FilesystemStore {
    let store = FilesystemStore::new(dir).unwrap();
    let mut plain = store.new_session().unwrap();
    plain.insert("n", 1).unwrap();
    store.save(&mut plain).await.unwrap();
    let mut owned = store.new_session().unwrap();
    owned.set_owner(Some(Owner::new(UserKey::hashed("alice"))));
    store.save(&mut owned).await.unwrap();
    store
}

fn assert_private(dir: &Path) {
    let all = modes(dir);
    assert!(all.len() > 5, "{all:?}");
    for (path, mode, is_dir) in all {
        let want = if is_dir { 0o700 } else { 0o600 };
        assert_eq!(mode, want, "{} is {mode:o}", path.display());
    }
}

/// The child: run under `umask 000` by the test below.
#[test]
#[ignore = "run by every_file_is_private_even_under_umask_000 in a child process"]
fn umask_child() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let probe = Path::new(&dir).with_extension("probe");
    std::fs::File::create(&probe).unwrap();
    assert_eq!(
        std::fs::metadata(&probe).unwrap().mode() & 0o777,
        0o666,
        "umask is not 000"
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = populated(Path::new(&dir)).await;
        assert_private(store.dir());
    });
}

#[test]
fn every_file_is_private_even_under_umask_000() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("sessions");
    let output = Command::new("sh")
        .args([
            "-c",
            "umask 000 && exec \"$0\" --ignored --exact umask_child",
        ])
        .arg(std::env::current_exe().unwrap())
        .env(CHILD_DIR, &dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}");
    println!(
        "umask 000: {} entries, folders 0700 and files 0600",
        modes(&dir).len()
    );
}

#[tokio::test]
async fn a_symlink_at_a_session_file_never_redirects_a_write() {
    let root = tempfile::tempdir().unwrap();
    let store = FilesystemStore::new(root.path().join("sessions")).unwrap();
    let victim = root.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();

    let mut session = store.new_session().unwrap();
    session.insert("n", 1).unwrap();
    store.save(&mut session).await.unwrap();
    let file = store.path_of(&session.id().storage_key());
    std::fs::remove_file(&file).unwrap();
    symlink(&victim, &file).unwrap();

    // Read: the link is not followed, so the session is gone.
    let read = store.load(&session.id().storage_key()).await.unwrap();
    assert!(read.is_none(), "a symlinked session file was read");
    // Update and create under that name: the victim stays as it was.
    session.insert("n", 2).unwrap();
    let _ = store.save(&mut session).await;
    let mut fresh = store.new_session().unwrap();
    fresh.insert("n", 3).unwrap();
    store.save(&mut fresh).await.unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert!(std::fs::symlink_metadata(&victim).unwrap().is_file());
}

/// The child: one create and one update, traced by the test below.
#[test]
#[ignore = "run by temp_files_are_created_exclusively under strace"]
fn temp_files_child() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = FilesystemStore::new(dir).unwrap();
        mark("writes");
        let mut session = store.new_session().unwrap();
        session.insert("n", 1).unwrap();
        store.save(&mut session).await.unwrap();
        session.insert("n", 2).unwrap();
        store.save(&mut session).await.unwrap();
        mark("end");
    });
}

/// O_CREAT with O_EXCL fails on an existing name, a symlink included, instead of
/// following it (POSIX), so a symlink planted at a temp name cannot redirect the write:
/// the random name is drawn again.
#[test]
fn temp_files_are_created_exclusively() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().canonicalize().unwrap().join("sessions");
    let env = HashMap::from([(CHILD_DIR, dir.display().to_string())]);
    let Some(trace) = trace_child("temp_files_child", "openat,write", &env) else {
        return;
    };
    let creates: Vec<&str> = step(&trace, "writes")
        .into_iter()
        .filter(|line| line.contains("O_CREAT") && line.contains(".tmp-"))
        .collect();
    assert_eq!(creates.len(), 2, "{trace}");
    for line in creates {
        assert!(
            line.contains("O_EXCL"),
            "a temp file opened without O_EXCL: {line}"
        );
    }
}

fn refused(dir: &Path, why: &str) {
    match FilesystemStore::new(dir) {
        Err(Error::InvalidConfig(message)) => assert!(message.contains(why), "{message}"),
        other => panic!("{} was accepted ({why}): {other:?}", dir.display()),
    }
}

#[test]
fn unsafe_directories_are_refused() {
    let root = tempfile::tempdir().unwrap();
    for (mode, name) in [(0o777, "world"), (0o770, "group"), (0o702, "other-write")] {
        let dir = root.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();
        refused(&dir, "others may write to it");
    }
    let real = root.path().join("real");
    std::fs::create_dir(&real).unwrap();
    symlink(&real, root.path().join("link")).unwrap();
    refused(&root.path().join("link"), "is a symbolic link");

    // Another user's folder: only root can make one to try.
    let theirs = root.path().join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::fs::set_permissions(&theirs, std::fs::Permissions::from_mode(0o700)).unwrap();
    let chowned = Command::new("chown").arg("65534").arg(&theirs).status();
    if chowned.is_ok_and(|status| status.success()) {
        refused(&theirs, "belongs to another user");
    } else {
        println!("skipped the other-user case: only root can chown a folder to another user");
    }
}
