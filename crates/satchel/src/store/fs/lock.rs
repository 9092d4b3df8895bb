//! Per-session locks across threads and processes: `flock` on one of 256 stripe files.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use crate::id::StorageKey;

/// The folder, inside the store directory, that holds the stripe files.
pub(super) const LOCKS_DIR: &str = ".satchel-locks";

/// Held while a session's file is read, changed and replaced; released on drop.
///
/// Sessions share one of 256 lock files (by the first byte of their key) rather than one
/// each, so lock files are never deleted, which would race with a waiter.
#[derive(Debug)]
pub(super) struct SessionLock {
    _file: File,
}

impl SessionLock {
    pub(super) fn acquire(store_dir: &Path, key: &StorageKey) -> io::Result<Self> {
        let stripe = key.as_str().get(..2).unwrap_or("00");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(store_dir.join(LOCKS_DIR).join(stripe))?;
        // flock locks belong to the open file description, so threads of one process
        // exclude each other just as processes do.
        file.lock()?;
        Ok(Self { _file: file })
    }
}

/// Creates the stripe folder, private like the store directory.
pub(super) fn create_locks_dir(store_dir: &Path) -> io::Result<()> {
    let path = store_dir.join(LOCKS_DIR);
    match std::fs::create_dir(&path) {
        Ok(()) => std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)),
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(err) => Err(err),
    }
}
