//! Pruning the store directory: expired files, and unreadable ones once they are old.

use std::io;
use std::time::SystemTime;

use time::{Duration, OffsetDateTime};

use super::files::SessionFiles;
use super::format::{self, FileFormat, Stored};
use super::lock::SessionLock;
use super::{atomic, temp_files};
use crate::error::Result;
use crate::expiry::Expiry;
use crate::id::StorageKey;
use crate::store::Progress;

/// Unlinks per directory fsync while pruning: durable in batches, not one fsync a file.
const SYNC_BATCH: u64 = 1000;

/// What pruning one file did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pruned {
    Kept,
    /// A readable record past its deadline.
    Expired,
    /// A file the store cannot read, older than [`SessionFiles::unreadable_grace`].
    Unreadable,
}

impl SessionFiles {
    /// How old (by its mtime) an unreadable file must be before prune removes it.
    ///
    /// werkzeug's files expire a lifetime after their mtime whatever they hold, so the
    /// lifetime applies to unreadable ones too. satchel's own files keep their deadline
    /// inside, and the store does not know the layer's idle timeout, so the default is
    /// the default absolute timeout: a session under it has ended 12 hours after its
    /// file was last written, whatever its idle timeout.
    pub(super) fn unreadable_grace(&self) -> Duration {
        match (self.unreadable_grace, &self.format) {
            (Some(grace), _) => grace,
            #[cfg(feature = "werkzeug")]
            (None, FileFormat::Werkzeug(format)) => format.lifetime,
            (None, FileFormat::Satchel) => Expiry::DEFAULT_ABSOLUTE_TIMEOUT,
        }
    }

    /// Removes `key`'s file if it has expired, or if it cannot be read and is older than
    /// the grace; the unlink is not yet durable (the caller syncs the directory).
    pub(super) fn prune_one(&self, key: &StorageKey) -> Result<Pruned> {
        let _lock = SessionLock::acquire(&self.dir, key)?;
        let now = self.clock.now();
        let why = match format::read(self.codec(), &self.path_of(key)) {
            Ok(Stored::Found(record)) if record.is_expired(now) => {
                return self.unlink_as(key, Pruned::Expired);
            }
            Ok(Stored::Found(_) | Stored::Missing) => return Ok(Pruned::Kept),
            Ok(Stored::Corrupt(why)) => why,
            // A file we may not open (mode 000, say) is unreadable, not a failed prune.
            Err(err) if err.kind() == io::ErrorKind::PermissionDenied => err.to_string(),
            Err(err) => return Err(err.into()),
        };
        if !self.is_stale(key, now)? {
            return Ok(Pruned::Kept);
        }
        tracing::debug!(file = %self.describe(key), "removing an unreadable session file: {why}");
        self.unlink_as(key, Pruned::Unreadable)
    }

    fn unlink_as(&self, key: &StorageKey, pruned: Pruned) -> Result<Pruned> {
        Ok(if self.unlink(key)? {
            pruned
        } else {
            Pruned::Kept
        })
    }

    /// Whether `key`'s file was last modified longer ago than the grace. Directories are
    /// never stale: prune removes files only.
    fn is_stale(&self, key: &StorageKey, now: OffsetDateTime) -> Result<bool> {
        let meta = match std::fs::symlink_metadata(self.path_of(key)) {
            Ok(meta) => meta,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(err) => return Err(err.into()),
        };
        if meta.is_dir() {
            return Ok(false);
        }
        // An mtime out of the calendar's range is kept, as it always was.
        Ok(modified_at(&meta.modified()?).is_some_and(|at| now - at > self.unreadable_grace()))
    }

    /// Prunes every file, syncing the directory once per batch of unlinks (and before an
    /// error is returned, so what was deleted stays deleted).
    pub(super) fn prune(&self, progress: &Progress) -> Result<u64> {
        temp_files::remove_stale_temp_files(&self.dir, self.codec().temp_suffix());
        let keys = self.list()?;
        let total = keys.len() as u64;
        let (mut expired, mut unreadable, mut unsynced) = (0, 0, 0);
        for (checked, key) in (1..).zip(&keys) {
            let pruned = match self.prune_one(key) {
                Ok(pruned) => pruned,
                Err(err) => {
                    self.sync_if(unsynced > 0)?;
                    return Err(err);
                }
            };
            expired += u64::from(pruned == Pruned::Expired);
            unreadable += u64::from(pruned == Pruned::Unreadable);
            unsynced += u64::from(pruned != Pruned::Kept);
            if unsynced >= SYNC_BATCH {
                self.sync_if(true)?;
                unsynced = 0;
            }
            progress.report(checked, total);
        }
        self.sync_if(unsynced > 0)?;
        self.report_unreadable(unreadable, progress);
        self.sweep_index()?;
        Ok(expired + unreadable)
    }

    fn sync_if(&self, unsynced: bool) -> Result<()> {
        if unsynced {
            atomic::sync_dir(&self.dir)?;
        }
        Ok(())
    }

    fn report_unreadable(&self, removed: u64, progress: &Progress) {
        if removed == 0 {
            return;
        }
        progress.add_unreadable(removed);
        tracing::warn!(
            removed,
            dir = %self.dir.display(),
            "prune removed session files it could not read, older than {}",
            self.unreadable_grace()
        );
    }
}

/// An mtime as a date, without `OffsetDateTime::from`'s panic on one out of range.
fn modified_at(modified: &SystemTime) -> Option<OffsetDateTime> {
    let seconds = match modified.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).ok()?,
        Err(before) => -i64::try_from(before.duration().as_secs()).ok()?,
    };
    OffsetDateTime::from_unix_timestamp(seconds).ok()
}
