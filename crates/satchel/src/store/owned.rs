//! A user's sessions: list them, end one, end them all ("log out everywhere").

use std::future::Future;

use futures_util::{StreamExt as _, TryStreamExt as _, stream};

use time::OffsetDateTime;

use super::SessionStore;
use crate::error::Result;
use crate::id::StorageKey;
use crate::owner::{Handle, UserKey, UserSession};
use crate::record::Record;

/// How many times ending all of a user's sessions looks again: a session rotated to a new
/// id while the first pass ran is in the index by the second.
const END_PASSES: usize = 8;

/// How many of a user's sessions are deleted (or, in Redis, loaded) at once.
pub(crate) const IN_FLIGHT: usize = 16;

/// The sessions of one user, for every [`SessionStore`]: what a "your devices" page and a
/// credential change need (OWASP ASVS V7). Implemented once, here, on the record-level
/// [`SessionStore::user_records`].
///
/// Ending a session is a delete, so it races with saves exactly like logout: a save in
/// flight finds the record gone and writes nothing, and a rotation in flight removes its
/// new copy when its old id was ended.
///
/// # Example
/// ```
/// use satchel::{MemoryStore, Owner, SessionStoreExt, UserKey, UserSessions};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let store = MemoryStore::new();
/// let alice = UserKey::hashed("alice");
/// for device in ["laptop", "phone"] {
///     let mut session = store.new_session()?;
///     session.set_owner(Some(Owner::new(alice.clone()).with_label(device)));
///     store.save(&mut session).await?;
/// }
/// assert_eq!(store.sessions_of(&alice).await?.len(), 2);
/// assert_eq!(store.end_sessions_of(&alice, None).await?, 2);
/// assert!(store.sessions_of(&alice).await?.is_empty());
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait UserSessions: SessionStore {
    /// The live sessions tied to `user`, oldest first: handles and times, never the ids.
    ///
    /// # Errors
    /// The backend failed, or [`Error::Unsupported`](crate::Error::Unsupported) for a store
    /// with no place for a session's user.
    fn sessions_of(&self, user: &UserKey) -> impl Future<Output = Result<Vec<UserSession>>> + Send {
        async move {
            let mut sessions: Vec<UserSession> = self
                .user_records(user)
                .await?
                .into_iter()
                .map(|(key, record)| listed(&key, record))
                .collect();
            sessions.sort_by(|a, b| (a.created_at, &a.handle).cmp(&(b.created_at, &b.handle)));
            Ok(sessions)
        }
    }

    /// Ends the session of `user` that `handle` names; `Ok(false)` when the user has no
    /// such session (a handle of another user's session ends nothing).
    ///
    /// # Errors
    /// As [`UserSessions::sessions_of`].
    ///
    /// # Example
    /// ```
    /// use satchel::{Handle, MemoryStore, Owner, SessionStoreExt, UserKey, UserSessions};
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let store = MemoryStore::new();
    /// let mut session = store.new_session()?;
    /// session.set_owner(Some(Owner::new(UserKey::hashed("alice"))));
    /// store.save(&mut session).await?;
    /// let handle = Handle::of(&session.id().storage_key());
    /// assert!(!store.end_session_of(&UserKey::hashed("mallory"), &handle).await?);
    /// assert!(store.end_session_of(&UserKey::hashed("alice"), &handle).await?);
    /// assert!(store.get(session.id().as_str()).await?.is_new());
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn end_session_of(
        &self,
        user: &UserKey,
        handle: &Handle,
    ) -> impl Future<Output = Result<bool>> + Send {
        async move {
            for (key, _) in self.user_records(user).await? {
                if Handle::of(&key) == *handle {
                    return self.delete(&key).await;
                }
            }
            Ok(false)
        }
    }

    /// Ends every session of `user` but the one `keep` names (`None`: all of them), and
    /// returns how many ended. It looks again until a pass finds nothing to end, so a
    /// session that was rotated to a new id meanwhile ends too.
    ///
    /// # Errors
    /// As [`UserSessions::sessions_of`]; sessions ended before the failure stay ended.
    ///
    /// # Example
    /// ```
    /// use satchel::{Handle, MemoryStore, Owner, SessionStoreExt, UserKey, UserSessions};
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let store = MemoryStore::new();
    /// let alice = UserKey::hashed("alice");
    /// let mut handles = Vec::new();
    /// for _ in 0..3 {
    ///     let mut session = store.new_session()?;
    ///     session.set_owner(Some(Owner::new(alice.clone())));
    ///     store.save(&mut session).await?;
    ///     handles.push(Handle::of(&session.id().storage_key()));
    /// }
    /// assert_eq!(store.end_sessions_of(&alice, Some(&handles[0])).await?, 2);
    /// assert_eq!(store.sessions_of(&alice).await?[0].handle(), &handles[0]);
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn end_sessions_of(
        &self,
        user: &UserKey,
        keep: Option<&Handle>,
    ) -> impl Future<Output = Result<u64>> + Send {
        async move {
            let keep = match keep {
                None => None,
                Some(keep) => {
                    let records = self.user_records(user).await?;
                    records
                        .into_iter()
                        .map(|(key, _)| key)
                        .find(|key| Handle::of(key) == *keep)
                }
            };
            self.delete_user_records(user, keep.as_ref()).await
        }
    }
}

impl<S: SessionStore + ?Sized> UserSessions for S {}

/// What an index entry of `user` is, once its record was read: for the stores whose index
/// cannot change atomically with the records (files, Redis).
#[cfg_attr(
    not(any(all(feature = "fs", unix), feature = "redis")),
    allow(dead_code)
)]
pub(crate) enum Entry {
    /// A live session of the user.
    Live(Record),
    /// Not listed, but kept: expired (prune removes it with its session), or a record
    /// still being written.
    Kept,
    /// Removable: the session is gone, or tied to another user (whose index has it).
    Stale,
}

/// Judges an entry of `user` whose record read as `record`; `old` says the entry is older
/// than any write takes, so a missing record will not appear any more.
#[cfg_attr(
    not(any(all(feature = "fs", unix), feature = "redis")),
    allow(dead_code)
)]
pub(crate) fn judge(
    record: Option<Record>,
    user: &UserKey,
    now: OffsetDateTime,
    old: bool,
) -> Entry {
    match record {
        Some(record) if record.owner.as_ref().is_none_or(|o| o.user() != user) => Entry::Stale,
        Some(record) if record.is_expired(now) => Entry::Kept,
        Some(record) => Entry::Live(record),
        None if old => Entry::Stale,
        None => Entry::Kept,
    }
}

/// The default [`SessionStore::delete_user_records`]: deletes what the index lists, and
/// looks again until a pass finds nothing, so a session rotated to a new id while the
/// first pass ran is in the index by the next.
pub(crate) async fn delete_each<S: SessionStore + ?Sized>(
    store: &S,
    user: &UserKey,
    keep: Option<&StorageKey>,
) -> Result<u64> {
    let mut ended = 0;
    for _ in 0..END_PASSES {
        let records = store.user_records(user).await?;
        let targets: Vec<StorageKey> = records
            .into_iter()
            .map(|(key, _)| key)
            .filter(|key| Some(key) != keep)
            .collect();
        if targets.is_empty() {
            break;
        }
        // A few deletes in flight at once: a server store overlaps their round trips,
        // the file store its directory syncs.
        ended += stream::iter(targets)
            .map(|key| async move { store.delete(&key).await })
            .buffer_unordered(IN_FLIGHT)
            .try_fold(
                0,
                |ended, deleted| async move { Ok(ended + u64::from(deleted)) },
            )
            .await?;
    }
    Ok(ended)
}

fn listed(key: &StorageKey, record: Record) -> UserSession {
    UserSession {
        handle: Handle::of(key),
        created_at: record.created_at,
        expires_at: record.expires_at,
        label: record
            .owner
            .and_then(|owner| owner.label().map(str::to_owned)),
        current: false,
    }
}
