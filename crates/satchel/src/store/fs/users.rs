//! `FilesystemStore`'s per-user index: `.users/<hash of the user key>/<stored key>`, an
//! empty marker file per session of that user.
//!
//! A marker is made, and its directory synced, *before* the session's file is written, so
//! a crash or a race can leave a marker without a session but never a session its user's
//! list misses. Markers without a session go when listing or pruning finds them, once
//! they are older than [`IN_FLIGHT`], so one whose session is still being written stays.

use std::fs::{DirBuilder, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::atomic;
use super::files::SessionFiles;
use crate::error::{Error, Result};
use crate::id::StorageKey;
use crate::owner::UserKey;
use crate::owner::WERKZEUG_HAS_NO_OWNERS;
use crate::record::Record;
use crate::store::owned::{Entry, judge};

/// Longer than any write of a session file may take.
const IN_FLIGHT: Duration = Duration::from_secs(60);

const INDEX_DIR: &str = ".users";

impl SessionFiles {
    fn user_dir(&self, user: &UserKey) -> PathBuf {
        self.dir.join(INDEX_DIR).join(user.index_name())
    }

    fn refuse_raw_ids(&self) -> Result<()> {
        if self.ids().stores_raw_ids() {
            return Err(Error::Unsupported(WERKZEUG_HAS_NO_OWNERS));
        }
        Ok(())
    }

    /// Adds `key` to `user`'s index, durably: before the session's file is written.
    pub(super) fn index(&self, user: &UserKey, key: &StorageKey) -> Result<()> {
        self.refuse_raw_ids()?;
        let dir = self.user_dir(user);
        DirBuilder::new().recursive(true).mode(0o700).create(&dir)?;
        let nofollow = rustix::fs::OFlags::NOFOLLOW.bits() as i32;
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .custom_flags(nofollow)
            .open(dir.join(key.as_str()))?;
        atomic::sync_dir(&dir)?;
        if let Some(parent) = dir.parent() {
            atomic::sync_dir(parent)?;
        }
        Ok(())
    }

    pub(super) fn records_of(&self, user: &UserKey) -> Result<Vec<(StorageKey, Record)>> {
        self.refuse_raw_ids()?;
        let now = self.clock.now();
        let mut found = Vec::new();
        for (marker, key) in self.markers(&self.user_dir(user))? {
            let record = key
                .as_ref()
                .map(|key| self.load(key))
                .transpose()?
                .flatten();
            match (judge(record, user, now, is_old(&marker)), key) {
                (Entry::Live(record), Some(key)) => found.push((key, record)),
                (Entry::Stale, _) => remove(&marker)?,
                _ => {}
            }
        }
        Ok(found)
    }

    /// Removes markers whose session file is gone, in every user's index: after a prune.
    pub(super) fn sweep_index(&self) -> Result<()> {
        let root = self.dir.join(INDEX_DIR);
        let users = match std::fs::read_dir(&root) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
            users => users?,
        };
        for user in users {
            for (marker, key) in self.markers(&user?.path())? {
                let gone = key.is_none_or(|key| !self.path_of(&key).exists());
                if gone && is_old(&marker) {
                    remove(&marker)?;
                }
            }
        }
        Ok(())
    }

    /// The markers in a user's index directory, with the key each names (`None`: a stray
    /// file, which goes like a stale marker).
    fn markers(&self, dir: &std::path::Path) -> Result<Vec<(PathBuf, Option<StorageKey>)>> {
        let entries = match std::fs::read_dir(dir) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            entries => entries?,
        };
        let mut markers = Vec::new();
        for entry in entries {
            let path = entry?.path();
            let key = path
                .file_name()
                .and_then(|name| name.to_str())
                .and_then(StorageKey::parse);
            markers.push((path, key));
        }
        Ok(markers)
    }
}

fn is_old(marker: &std::path::Path) -> bool {
    let modified = std::fs::symlink_metadata(marker).and_then(|meta| meta.modified());
    modified.is_ok_and(|at| {
        SystemTime::now()
            .duration_since(at)
            .is_ok_and(|age| age > IN_FLIGHT)
    })
}

fn remove(marker: &std::path::Path) -> Result<()> {
    match std::fs::remove_file(marker) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err.into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::fs::File;

    use time::{Duration as Span, OffsetDateTime};

    use super::*;
    use crate::clock::Clock;
    use crate::owner::Owner;
    use crate::store::{FilesystemStore, Progress, SessionStore as _, SessionStoreExt as _};

    fn markers(dir: &std::path::Path) -> Vec<PathBuf> {
        let root = dir.join(INDEX_DIR);
        let users = std::fs::read_dir(root).into_iter().flatten().flatten();
        users
            .flat_map(|user| {
                std::fs::read_dir(user.path())
                    .into_iter()
                    .flatten()
                    .flatten()
            })
            .map(|marker| marker.path())
            .collect()
    }

    fn age(marker: &std::path::Path) {
        let old = SystemTime::now() - 2 * IN_FLIGHT;
        File::options()
            .write(true)
            .open(marker)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }

    #[tokio::test]
    async fn prune_leaves_no_marker_past_its_session() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Clock::manual(OffsetDateTime::now_utc());
        let store = FilesystemStore::new(dir.path().join("s"))
            .unwrap()
            .with_clock(clock.clone());
        let alice = UserKey::hashed("alice");
        let mut ended = Vec::new();
        for expires in [Some(clock.now() + Span::seconds(1)), None, None] {
            let mut session = store.new_session().unwrap();
            session.set_owner(Some(Owner::new(alice.clone())));
            session.set_expires_at(expires);
            store.save(&mut session).await.unwrap();
            ended.push(session);
        }
        assert_eq!(markers(store.dir()).len(), 3);
        store.destroy(&mut ended[2]).await.unwrap();
        clock.advance(Span::seconds(1));
        // A young marker may belong to a session still being written: it stays.
        assert_eq!(store.prune(&Progress::none()).await.unwrap(), 1);
        assert_eq!(markers(store.dir()).len(), 3);
        markers(store.dir()).iter().for_each(|marker| age(marker));
        store.prune(&Progress::none()).await.unwrap();
        assert_eq!(
            markers(store.dir()).len(),
            1,
            "markers outlived their sessions"
        );
        assert_eq!(store.user_records(&alice).await.unwrap().len(), 1);
    }
}
