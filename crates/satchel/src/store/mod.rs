//! The store contract and its backends.
//!
//! A [`SessionStore`] keeps [`Record`]s under a [`StorageKey`]: the SHA-256 of the session
//! id, so a leaked store holds no usable cookie (the one exception is werkzeug's file
//! format, whose files werkzeug names by the raw id). It has six required, record-level
//! operations; on top of them the operations of werkzeug's `SessionStore` come for free:
//! [`SessionStore::new_session`], [`SessionStore::get`], [`SessionStore::save`],
//! [`SessionStore::save_if_modified`], [`SessionStore::generate_key`] and
//! [`SessionStore::is_valid_key`]; werkzeug's `delete(session)` is [`SessionStore::delete`]
//! with the session's key, and [`SessionStore::prune`] is the clean-up werkzeug left to cron.
//!
//! # The contract
//! - `create` inserts a record only if no live record is stored under that key: it never
//!   overwrites another session. Only `create` inserts.
//! - `load` returns what is stored, expired or not (callers check
//!   [`Record::is_expired`]; [`SessionStore::get`] never hands out an expired session).
//! - `update` applies a session's [`Changes`] to the record stored *now*, atomically with
//!   respect to other writers of the same session, and writes nothing when no live record
//!   is stored: a deleted, rotated or expired session never comes back.
//! - `delete` removes a record; `delete_expired` removes it only if it has expired, in the
//!   same atomic step as the check, so a session refreshed at that moment survives.
//! - `list` gives every stored key. Time comes from [`SessionStore::clock`].
//!
//! The suite in `tests/store_contract.rs` checks all of this for every backend.
//!
//! # Writing your own store
//! ```
//! use std::collections::HashMap;
//! use std::sync::Mutex;
//!
//! use satchel::{Changes, Record, Result, SessionStore, StorageKey};
//! use time::OffsetDateTime;
//!
//! #[derive(Default)]
//! struct MapStore(Mutex<HashMap<StorageKey, Record>>);
//!
//! impl MapStore {
//!     fn map(&self) -> std::sync::MutexGuard<'_, HashMap<StorageKey, Record>> {
//!         // Every critical section leaves the map whole, so a poisoned lock is still good.
//!         self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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
//! }
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let store = MapStore::default();
//! let mut session = store.new_session()?;
//! session.insert("user", "alice")?;
//! store.save(&mut session).await?;
//! let again = store.get(session.id().as_str()).await?;
//! assert_eq!(again.get::<String>("user")?.as_deref(), Some("alice"));
//! # Ok::<(), satchel::Error>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::future::Future;
use std::sync::Arc;

use time::OffsetDateTime;

use crate::{Changes, Clock, Record, Result, Session, SessionId, StorageKey};

mod any;
#[cfg(feature = "cookie-store")]
mod cookie_store;
mod dyn_store;
#[cfg(all(feature = "fs", unix))]
mod fs;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod pruner;
#[cfg(feature = "redis")]
mod redis;
mod save;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use self::redis::RedisStore;
pub use any::{AnyStore, KEY_VARIABLE, open, open_existing};
#[cfg(feature = "cookie-store")]
#[cfg_attr(docsrs, doc(cfg(feature = "cookie-store")))]
pub use cookie_store::{CookieStore, MAX_COOKIE_BYTES};
pub use dyn_store::DynSessionStore;
#[cfg(all(feature = "fs", unix))]
pub use fs::FilesystemStore;
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use postgres::PostgresStore;
pub use pruner::spawn_pruner;
pub use save::SaveOutcome;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlite::SqliteStore;

/// Told `(checked, total)` while [`SessionStore::prune_with_progress`] works.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Where sessions live. Implement the six record-level methods; the werkzeug-style
/// session operations are provided. See the [module docs](self) for the contract and a
/// complete custom store.
///
/// Use it generically (`SessionLayer<S: SessionStore>`) or erased, as
/// `Arc<dyn DynSessionStore>`, which implements this trait too.
///
/// # Example
/// ```
/// use satchel::{MemoryStore, SessionStore};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let store = MemoryStore::new();
/// let mut session = store.new_session()?;
/// session.insert("n", 1)?;
/// store.save_if_modified(&mut session).await?;
/// assert_eq!(store.list().await?, [store.key_of(session.id())]);
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
    /// `Ok(false)` when no live record is stored.
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

    /// Deletes every expired session and returns how many went. Sessions refreshed while
    /// it runs are kept (see [`SessionStore::delete_expired`]).
    ///
    /// # Errors
    /// The backend failed; sessions deleted before the failure stay deleted.
    fn prune(&self) -> impl Future<Output = Result<u64>> + Send {
        self.prune_with_progress(Arc::new(|_, _| {}))
    }

    /// [`SessionStore::prune`], calling `progress(checked, total)` as it goes through the
    /// stored sessions (the `satchel prune` progress bar).
    ///
    /// # Errors
    /// As [`SessionStore::prune`].
    fn prune_with_progress(&self, progress: Progress) -> impl Future<Output = Result<u64>> + Send {
        async move {
            let keys = self.list().await?;
            let total = keys.len() as u64;
            let mut deleted = 0;
            for (checked, key) in (1..).zip(&keys) {
                deleted += u64::from(self.delete_expired(key).await?);
                progress(checked, total);
            }
            Ok(deleted)
        }
    }

    /// The clock the store judges expiry by (the system clock unless configured).
    fn clock(&self) -> Clock {
        Clock::system()
    }

    /// The key a session id is stored under: SHA-256 of the id, unless a store's format
    /// says otherwise.
    fn key_of(&self, id: &SessionId) -> StorageKey {
        id.storage_key()
    }

    /// The session a request's cookie names: [`SessionStore::get`] for stores that keep
    /// sessions server-side; stores that keep the session in the cookie itself open it
    /// here, bound to the cookie's name.
    ///
    /// # Errors
    /// As [`SessionStore::get`].
    fn session_from_cookie(
        &self,
        cookie_name: &str,
        value: &str,
    ) -> impl Future<Output = Result<Session>> + Send {
        let _ = cookie_name;
        self.get(value)
    }

    /// The value the session cookie gets: the session id, or for stores that keep the
    /// session in the cookie, the sealed session itself.
    ///
    /// # Errors
    /// [`Error::TooLarge`](crate::Error::TooLarge) when a session kept in a cookie does not
    /// fit in one.
    fn cookie_value(&self, cookie_name: &str, session: &Session) -> Result<String> {
        let _ = cookie_name;
        Ok(session.id().as_str().to_owned())
    }

    /// Whether the cookie holds the session itself, so it must be re-sent on every save.
    fn keeps_sessions_in_cookies(&self) -> bool {
        false
    }

    /// Whether [`SessionStore::get`] gives a fresh id when the cookie's id is unknown (the
    /// default, and the safe choice), or keeps it as werkzeug's `renew_missing=False` does.
    fn renews_missing(&self) -> bool {
        true
    }

    /// A fresh session id (werkzeug's `generate_key`), from the OS CSPRNG.
    ///
    /// # Errors
    /// The operating system cannot provide randomness.
    fn generate_key(&self) -> Result<SessionId> {
        SessionId::generate()
    }

    /// Parses a cookie value into an id this store accepts; `None` for anything else.
    fn parse_key(&self, key: &str) -> Option<SessionId> {
        SessionId::parse(key)
    }

    /// Whether `key` has the shape of this store's ids (werkzeug's `is_valid_key`).
    fn is_valid_key(&self, key: &str) -> bool {
        self.parse_key(key).is_some()
    }

    /// A new, empty session with a fresh id; nothing is stored until it is saved.
    ///
    /// # Errors
    /// The operating system cannot provide randomness.
    fn new_session(&self) -> Result<Session> {
        Ok(Session::new_at(self.generate_key()?, self.clock().now()))
    }

    /// The session named by a cookie value. An invalid, unknown or expired id gives a fresh
    /// session (see [`SessionStore::renews_missing`]), never an error.
    ///
    /// # Errors
    /// The backend failed: the caller must not treat that as an empty session.
    fn get(&self, key: &str) -> impl Future<Output = Result<Session>> + Send {
        async move {
            let Some(id) = self.parse_key(key) else {
                tracing::debug!("malformed session id; starting a fresh session");
                return self.new_session();
            };
            let now = self.clock().now();
            match self.load(&self.key_of(&id)).await? {
                Some(record) if !record.is_expired(now) => Ok(Session::from_record(id, record)),
                _ if !self.renews_missing() => Ok(Session::adopted(id, now)),
                _ => {
                    tracing::debug!("unknown or expired session id; starting a fresh session");
                    self.new_session()
                }
            }
        }
    }

    /// Writes what the session needs written: its changes, a new record, a rotation, or a
    /// deletion. Unlike werkzeug, it clears `is_modified` afterwards, so a second save
    /// writes nothing.
    ///
    /// # Errors
    /// The backend failed; the session keeps its changes so the save can be retried.
    fn save(&self, session: &mut Session) -> impl Future<Output = Result<SaveOutcome>> + Send {
        save::save(self, session)
    }

    /// [`SessionStore::save`] when [`Session::should_save`], else nothing.
    ///
    /// # Errors
    /// As [`SessionStore::save`].
    fn save_if_modified(
        &self,
        session: &mut Session,
    ) -> impl Future<Output = Result<SaveOutcome>> + Send {
        async move {
            if session.should_save() || session.is_destroyed() {
                self.save(session).await
            } else {
                Ok(SaveOutcome::Unchanged)
            }
        }
    }
}
