//! The store contract and its backends.
//!
//! A [`SessionStore`] keeps [`Record`]s under a [`StorageKey`]: the SHA-256 of the session
//! id, so a leaked store holds no usable cookie (the one exception is werkzeug's file
//! format, whose files werkzeug names by the raw id). A backend implements six record-level
//! methods, and may override three more where it can do better (`touch`, `prune`, and the
//! `clock` it judges expiry by), its [`IdPolicy`], and the
//! [`backend_name`](SessionStore::backend_name) its metrics carry. That is the whole contract.
//!
//! werkzeug's session operations are built on it, once, in [`SessionStoreExt`], which every
//! store gets and none can override: [`new_session`](SessionStoreExt::new_session)
//! (werkzeug's `new`), [`get`](SessionStoreExt::get), [`save`](SessionStoreExt::save),
//! [`save_if_modified`](SessionStoreExt::save_if_modified),
//! [`destroy`](SessionStoreExt::destroy) (werkzeug's `delete`),
//! [`generate_id`](SessionStoreExt::generate_id) (`generate_key`) and
//! [`is_valid_id`](SessionStoreExt::is_valid_id) (`is_valid_key`); `list` is
//! [`SessionStore::list`], and [`SessionStore::prune`] is the clean-up werkzeug left to cron.
//!
//! # The contract
//! - `create` inserts a record only if no live record is stored under that key: it never
//!   overwrites another session. Only `create` inserts.
//! - `load` returns what is stored, expired or not (callers check
//!   [`Record::is_expired`]; [`SessionStoreExt::get`] never hands out an expired session).
//! - `update` applies a session's [`Changes`] to the record stored *now*, atomically with
//!   respect to other writers of the same session, and writes nothing when no live record
//!   is stored: a deleted, rotated or expired session never comes back.
//! - `delete` removes a record; `delete_expired` removes it only if it has expired, in the
//!   same atomic step as the check, so a session refreshed at that moment survives.
//! - `list` gives every stored key. Time comes from [`SessionStore::clock`].
//!
//! The suite in [`test_suite`](crate::test_suite) (feature `test-suite`) checks all of this;
//! every store in this crate runs exactly that suite.
//!
//! # Writing your own store
//! The six record methods are all a store needs, plus the clock it judges expiry by (so
//! that tests can move time). This one passes the exported suite, run at the end.
//! ```
//! use std::collections::HashMap;
//! use std::sync::Mutex;
//!
//! use satchel::{Changes, Clock, Record, Result, SessionStore, SessionStoreExt, StorageKey};
//!
//! #[derive(Default)]
//! struct MapStore {
//!     records: Mutex<HashMap<StorageKey, Record>>,
//!     clock: Clock,
//! }
//!
//! impl MapStore {
//!     fn map(&self) -> std::sync::MutexGuard<'_, HashMap<StorageKey, Record>> {
//!         // Every critical section leaves the map whole, so a poisoned lock is still good.
//!         self.records.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
//!     }
//!
//!     fn is_live(&self, record: Option<&Record>) -> bool {
//!         record.is_some_and(|r| !r.is_expired(self.clock().now()))
//!     }
//! }
//!
//! impl SessionStore for MapStore {
//!     async fn create(&self, key: &StorageKey, record: &Record) -> Result<bool> {
//!         let mut map = self.map();
//!         if self.is_live(map.get(key)) {
//!             return Ok(false);
//!         }
//!         map.insert(key.clone(), record.clone());
//!         Ok(true)
//!     }
//!
//!     async fn load(&self, key: &StorageKey) -> Result<Option<Record>> {
//!         Ok(self.map().get(key).cloned())
//!     }
//!
//!     async fn update(&self, key: &StorageKey, changes: &Changes) -> Result<bool> {
//!         let mut map = self.map();
//!         if !self.is_live(map.get(key)) {
//!             return Ok(false);
//!         }
//!         map.entry(key.clone()).and_modify(|record| record.apply(changes));
//!         Ok(true)
//!     }
//!
//!     async fn delete(&self, key: &StorageKey) -> Result<bool> {
//!         Ok(self.map().remove(key).is_some())
//!     }
//!
//!     async fn delete_expired(&self, key: &StorageKey) -> Result<bool> {
//!         let mut map = self.map();
//!         let expired = map.get(key).is_some_and(|r| r.is_expired(self.clock().now()));
//!         Ok(expired && map.remove(key).is_some())
//!     }
//!
//!     async fn list(&self) -> Result<Vec<StorageKey>> {
//!         Ok(self.map().keys().cloned().collect())
//!     }
//!
//!     fn clock(&self) -> Clock {
//!         self.clock.clone()
//!     }
//! }
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let store = MapStore::default();
//! let mut session = store.new_session()?;
//! session.insert("user", "alice")?;
//! store.save(&mut session).await?;
//! let again = store.get(session.id().as_str()).await?;
//! assert_eq!(again.get::<String>("user")?.as_deref(), Some("alice"));
//!
//! // With the `test-suite` feature: every promise of the contract, checked.
//! # #[cfg(feature = "test-suite")]
//! satchel::test_suite::run(|clock| MapStore { clock, ..MapStore::default() }).await;
//! # Ok::<(), satchel::Error>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::future::Future;

use time::OffsetDateTime;

use crate::changes::Changes;
use crate::clock::Clock;
use crate::error::Result;
use crate::id::StorageKey;
use crate::id_policy::IdPolicy;
use crate::owner::UserKey;
use crate::record::Record;

mod any;
mod erased;
#[cfg(all(feature = "fs", unix))]
mod fs;
mod masked_url;
mod memory;
pub(crate) mod ops;
pub(crate) mod owned;
#[cfg(feature = "postgres")]
mod postgres;
mod progress;
mod pruner;
#[cfg(feature = "redis")]
mod redis;
mod save;
#[cfg(feature = "sqlite")]
mod sqlite;
mod url;

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisStore;
pub use any::AnyStore;
pub(crate) use erased::ErasedStore;
#[cfg(all(feature = "fs", unix))]
pub use fs::FilesystemStore;
#[cfg(all(feature = "fuzzing", unix))]
pub(crate) use fs::codecs;
#[cfg(all(feature = "werkzeug", unix))]
#[cfg_attr(docsrs, doc(cfg(feature = "werkzeug")))]
pub use fs::{LockedFile, WerkzeugFiles};
pub use masked_url::MaskedUrl;
pub use memory::MemoryStore;
pub use ops::SessionStoreExt;
pub use owned::UserSessions;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use postgres::PostgresStore;
pub use progress::Progress;
pub use pruner::spawn_pruner;
pub use save::SaveOutcome;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlite::SqliteStore;
pub use url::{KEY_VARIABLE, Opened, open, open_existing};

/// Where sessions live: the record-level contract a backend implements. See the
/// [module docs](self) for the contract and a complete custom store; werkzeug's session
/// operations come with [`SessionStoreExt`].
///
/// # Example
/// ```
/// use satchel::{MemoryStore, SessionStore, SessionStoreExt};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let store = MemoryStore::new();
/// let mut session = store.new_session()?;
/// session.insert("n", 1)?;
/// store.save_if_modified(&mut session).await?;
/// assert_eq!(store.list().await?, [store.ids().storage_key(session.id())]);
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait SessionStore: Send + Sync + 'static {
    /// Inserts `record` under `key` unless a live record is stored there; `Ok(false)` means
    /// nothing was written.
    ///
    /// # Errors
    /// The backend failed.
    fn create(
        &self,
        key: &StorageKey,
        record: &Record,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// The record stored under `key`, expired or not; `None` when missing or unreadable.
    ///
    /// # Errors
    /// The backend failed (a corrupt record is `Ok(None)`, reported through `tracing`).
    fn load(&self, key: &StorageKey) -> impl Future<Output = Result<Option<Record>>> + Send;

    /// Applies `changes` to the live record stored now, atomically; `Ok(false)` when no
    /// live record is stored (nothing is written then).
    ///
    /// # Errors
    /// The backend failed, or [`Error::Conflict`](crate::Error::Conflict) when the change
    /// could not be applied against concurrent writers.
    fn update(
        &self,
        key: &StorageKey,
        changes: &Changes,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Removes the record under `key`; `Ok(false)` when there was none.
    ///
    /// # Errors
    /// The backend failed.
    fn delete(&self, key: &StorageKey) -> impl Future<Output = Result<bool>> + Send;

    /// Removes the record under `key` only if it has expired, checked in the same atomic
    /// step; `Ok(true)` when it was removed.
    ///
    /// # Errors
    /// The backend failed.
    fn delete_expired(&self, key: &StorageKey) -> impl Future<Output = Result<bool>> + Send;

    /// Every stored key (hashes of ids; raw ids only in werkzeug's file format).
    ///
    /// # Errors
    /// The backend failed.
    fn list(&self) -> impl Future<Output = Result<Vec<StorageKey>>> + Send;

    /// Writes a new expiry without touching the data (a session that was only read);
    /// `Ok(false)` when no live record is stored. The default is an `update` that changes
    /// no key.
    ///
    /// # Errors
    /// As [`SessionStore::update`].
    fn touch(
        &self,
        key: &StorageKey,
        expires_at: Option<OffsetDateTime>,
    ) -> impl Future<Output = Result<bool>> + Send {
        async move {
            let changes = Changes {
                expires_at,
                ..Changes::default()
            };
            self.update(key, &changes).await
        }
    }

    /// Deletes every expired session, telling `progress` how far it got, and returns how
    /// many went. Sessions refreshed while it runs are kept. The default lists every key
    /// and calls [`SessionStore::delete_expired`] on each; stores that can select expired
    /// records themselves override it.
    ///
    /// # Errors
    /// The backend failed; sessions deleted before the failure stay deleted.
    ///
    /// # Example
    /// ```
    /// use satchel::{MemoryStore, SessionStore, store::Progress};
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// assert_eq!(MemoryStore::new().prune(&Progress::none()).await?, 0);
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn prune(&self, progress: &Progress) -> impl Future<Output = Result<u64>> + Send {
        prune_each(self, progress)
    }

    /// The live records tied to `user` (see [`Session::set_owner`](crate::Session::set_owner)),
    /// with their keys, in no particular order. A record tied to the user must be listed
    /// from the moment it can be loaded, so that ending all of a user's sessions finds every
    /// one. The default reads every record, which suits a small custom store; the stores of
    /// this crate keep a per-user index instead.
    ///
    /// # Errors
    /// The backend failed, or [`Error::Unsupported`](crate::Error::Unsupported) where the
    /// store has no place for a session's user (werkzeug's file format).
    ///
    /// # Example
    /// ```
    /// use satchel::{MemoryStore, SessionStore, UserKey};
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// assert!(MemoryStore::new().user_records(&UserKey::hashed("alice")).await?.is_empty());
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn user_records(
        &self,
        user: &UserKey,
    ) -> impl Future<Output = Result<Vec<(StorageKey, Record)>>> + Send {
        async move {
            let now = self.clock().now();
            let mut found = Vec::new();
            for key in self.list().await? {
                let Some(record) = self.load(&key).await? else {
                    continue;
                };
                if !record.is_expired(now)
                    && record.owner.as_ref().is_some_and(|o| o.user() == user)
                {
                    found.push((key, record));
                }
            }
            Ok(found)
        }
    }

    /// Deletes every live record tied to `user` but the one under `keep`, and returns how
    /// many went; a record that becomes the user's while it runs (a rotation in flight)
    /// must go too. The default deletes what [`SessionStore::user_records`] lists, and
    /// looks again until it finds nothing; SQL stores do it in one statement.
    ///
    /// # Errors
    /// As [`SessionStore::user_records`]; records deleted before a failure stay deleted.
    ///
    /// # Example
    /// ```
    /// use satchel::{MemoryStore, SessionStore, UserKey};
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let store = MemoryStore::new();
    /// assert_eq!(store.delete_user_records(&UserKey::hashed("alice"), None).await?, 0);
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn delete_user_records(
        &self,
        user: &UserKey,
        keep: Option<&StorageKey>,
    ) -> impl Future<Output = Result<u64>> + Send {
        owned::delete_each(self, user, keep)
    }

    /// The clock the store judges expiry by (the system clock unless configured).
    fn clock(&self) -> Clock {
        Clock::system()
    }

    /// The ids this store accepts and the keys it stores them under (satchel's by
    /// default; werkzeug's file format has its own).
    fn ids(&self) -> IdPolicy {
        IdPolicy::new()
    }

    /// A short, fixed name of the backend (`"memory"`, `"file"`, `"sqlite"`, …): the
    /// `store` label of the metrics satchel records (feature `metrics`, see its `metrics`
    /// module); `"custom"` unless a store names itself. Keep it static and low in cardinality: never an
    /// address, a path or a tenant.
    ///
    /// # Example
    /// ```
    /// use satchel::{MemoryStore, SessionStore, store::AnyStore};
    ///
    /// assert_eq!(MemoryStore::new().backend_name(), "memory");
    /// assert_eq!(AnyStore::new(MemoryStore::new()).backend_name(), "memory");
    /// ```
    fn backend_name(&self) -> &'static str {
        "custom"
    }
}

/// The default [`SessionStore::prune`]: [`SessionStore::delete_expired`] on every listed key.
pub(crate) async fn prune_each<S: SessionStore + ?Sized>(
    store: &S,
    progress: &Progress,
) -> Result<u64> {
    let keys = store.list().await?;
    let total = keys.len() as u64;
    let mut deleted = 0;
    for (checked, key) in (1..).zip(&keys) {
        deleted += u64::from(store.delete_expired(key).await?);
        progress.report(checked, total);
    }
    Ok(deleted)
}
