//! The store directory's session files: every blocking operation of `FilesystemStore`.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::PathBuf;

use time::{Duration, OffsetDateTime};

use super::atomic;
use super::format::{self, Codec, FileFormat, Stored};
use super::lock::SessionLock;
use super::prune::Pruned;
use super::template::FilenameTemplate;
use crate::changes::Changes;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::id::StorageKey;
use crate::id_policy::IdPolicy;
use crate::record::Record;

/// The settings of one store, and the synchronous work on its files.
#[derive(Clone, Debug)]
pub(super) struct SessionFiles {
    pub(super) dir: PathBuf,
    pub(super) template: FilenameTemplate,
    pub(super) renew_missing: bool,
    pub(super) mode: u32,
    pub(super) clock: Clock,
    pub(super) format: FileFormat,
    /// How old an unreadable file must be before prune removes it; `None` for the
    /// format's own rule (see [`SessionFiles::unreadable_grace`]).
    pub(super) unreadable_grace: Option<Duration>,
}

impl SessionFiles {
    pub(super) fn ids(&self) -> IdPolicy {
        self.codec().ids().with_renew_missing(self.renew_missing)
    }

    pub(super) fn codec(&self) -> &dyn Codec {
        self.format.codec()
    }

    pub(super) fn path_of(&self, key: &StorageKey) -> PathBuf {
        self.dir.join(self.template.file_name(key))
    }

    /// The record in `key`'s file, expired or not; a corrupt one is reported and counts as none.
    fn read(&self, key: &StorageKey) -> Result<Option<Record>> {
        Ok(self.found(key, format::read(self.codec(), &self.path_of(key))?))
    }

    fn found(&self, key: &StorageKey, stored: Stored) -> Option<Record> {
        match stored {
            Stored::Found(record) => Some(record),
            Stored::Missing => None,
            Stored::Corrupt(why) => {
                tracing::warn!(file = %self.describe(key), "corrupt session file read as no session: {why}");
                None
            }
        }
    }

    fn read_live(&self, key: &StorageKey) -> Result<Option<Record>> {
        let now = self.clock.now();
        Ok(self.read(key)?.filter(|record| !record.is_expired(now)))
    }

    /// A file to name in logs: werkzeug's file names are session ids, so those are withheld.
    pub(super) fn describe(&self, key: &StorageKey) -> String {
        if self.ids().stores_raw_ids() {
            format!("a session file in {}", self.dir.display())
        } else {
            self.path_of(key).display().to_string()
        }
    }

    fn write(&self, key: &StorageKey, record: &Record) -> Result<()> {
        let (bytes, modified) = self.codec().encode(record, self.clock.now())?;
        let name = self.template.file_name(key);
        let target = atomic::Target {
            dir: &self.dir,
            name: &name,
            mode: self.mode,
            temp_suffix: self.codec().temp_suffix(),
            modified,
        };
        atomic::write_atomic(&target, &bytes)?;
        Ok(())
    }

    pub(super) fn create(&self, key: &StorageKey, record: &Record) -> Result<bool> {
        let _lock = SessionLock::acquire(&self.dir, key)?;
        let now = self.clock.now();
        let taken = match format::read(self.codec(), &self.path_of(key))? {
            Stored::Found(existing) => !existing.is_expired(now),
            Stored::Missing => false,
            // Someone's file that we cannot read (another program's pickle, say): keep it.
            Stored::Corrupt(_) => true,
        };
        if taken {
            return Ok(false);
        }
        if let Some(owner) = &record.owner {
            self.index(owner.user(), key)?;
        }
        self.write(key, record)?;
        Ok(true)
    }

    pub(super) fn load(&self, key: &StorageKey) -> Result<Option<Record>> {
        // No lock: files are replaced by rename, so a reader sees a whole old or new file.
        self.readable(key, self.read(key))
    }

    /// [`Self::load`] without waiting for the disk: `None` when the file's bytes are not
    /// in the page cache.
    #[cfg(target_os = "linux")]
    pub(super) fn load_cached(&self, key: &StorageKey) -> Result<Option<Option<Record>>> {
        match format::read_cached(self.codec(), &self.path_of(key)) {
            Ok(None) => Ok(None),
            Ok(Some(stored)) => Ok(Some(self.found(key, stored))),
            Err(err) => self.readable(key, Err(err.into())).map(Some),
        }
    }

    fn readable(&self, key: &StorageKey, read: Result<Option<Record>>) -> Result<Option<Record>> {
        match read {
            // A file we may not read is reported and read as no session; any other I/O
            // failure (EIO, EMFILE) is the store failing, which must not look like "none".
            Err(Error::Io(err)) if err.kind() == std::io::ErrorKind::PermissionDenied => {
                tracing::warn!(file = %self.describe(key), "unreadable session file read as no session: {err}");
                Ok(None)
            }
            other => other,
        }
    }

    pub(super) fn update(&self, key: &StorageKey, changes: &Changes) -> Result<bool> {
        let _lock = SessionLock::acquire(&self.dir, key)?;
        let Some(mut record) = self.read_live(key)? else {
            return Ok(false);
        };
        if let Some(Some(owner)) = &changes.owner {
            self.index(owner.user(), key)?;
        }
        record.apply(changes);
        self.write(key, &record)?;
        Ok(true)
    }

    /// Moves the deadline: for werkzeug files by setting the mtime, without rewriting them.
    pub(super) fn touch(
        &self,
        key: &StorageKey,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<bool> {
        let changes = Changes {
            expires_at,
            ..Changes::default()
        };
        let Some(modified) = self.codec().modified_for(expires_at, self.clock.now()) else {
            return self.update(key, &changes);
        };
        let _lock = SessionLock::acquire(&self.dir, key)?;
        if self.read_live(key)?.is_none() {
            return Ok(false);
        }
        let nofollow = rustix::fs::OFlags::NOFOLLOW.bits() as i32;
        let file = OpenOptions::new()
            .write(true)
            .custom_flags(nofollow)
            .open(self.path_of(key))?;
        file.set_modified(modified)?;
        Ok(true)
    }

    pub(super) fn delete(&self, key: &StorageKey) -> Result<bool> {
        let _lock = SessionLock::acquire(&self.dir, key)?;
        self.remove(key)
    }

    pub(super) fn delete_expired(&self, key: &StorageKey) -> Result<bool> {
        let pruned = self.prune_one(key)?;
        if pruned == Pruned::Unreadable {
            tracing::warn!(file = %self.describe(key), "removed an unreadable session file");
        }
        if pruned != Pruned::Kept {
            atomic::sync_dir(&self.dir)?;
        }
        Ok(pruned != Pruned::Kept)
    }

    /// Removes `key`'s file and makes that durable; `Ok(false)` when there was none.
    fn remove(&self, key: &StorageKey) -> Result<bool> {
        let removed = self.unlink(key)?;
        if removed {
            atomic::sync_dir(&self.dir)?;
        }
        Ok(removed)
    }

    /// Removes `key`'s file, not yet durably (the caller syncs the directory).
    pub(super) fn unlink(&self, key: &StorageKey) -> Result<bool> {
        match std::fs::remove_file(self.path_of(key)) {
            Ok(()) => Ok(true),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(err) => Err(err.into()),
        }
    }

    pub(super) fn list(&self) -> Result<Vec<StorageKey>> {
        let ids = self.ids();
        let mut keys = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let name = entry?.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.ends_with(self.codec().temp_suffix()) {
                continue;
            }
            let key = self
                .template
                .part_of(name)
                .and_then(|part| ids.parse_storage_key(part));
            keys.extend(key);
        }
        keys.sort();
        Ok(keys)
    }
}
