//! The store contract and its backends.
//!
//! A [`SessionStore`] keeps [`Record`]s under the SHA-256 of the session id (a
//! [`StorageKey`]). It has five required, record-level operations, and on top of them the
//! operations of werkzeug's `SessionStore` come for free: [`SessionStore::new_session`],
//! [`SessionStore::get`], [`SessionStore::save`], [`SessionStore::save_if_modified`],
//! [`SessionStore::generate_key`] and [`SessionStore::is_valid_key`]; werkzeug's
//! `delete(session)` is [`SessionStore::delete`] with the session's id.
//!
//! # The contract
//! - `create` inserts a record only if none is stored under that id: it never overwrites
//!   another session. Only `create` inserts.
//! - `load` never returns a record whose expiry has passed.
//! - `update` applies a session's [`Changes`] to the record stored *now*, atomically with
//!   respect to other `update`s of the same session, and writes nothing when no record is
//!   stored (a deleted or rotated session never comes back).
//! - `delete` removes the record; `list` gives every stored key.
//!
//! The suite in `tests/store_contract.rs` checks all of this for every backend.
//!
//! # Writing your own store
//! ```
//! use std::collections::HashMap;
//! use std::sync::Mutex;
//!
//! use satchel::{Changes, Record, Result, SessionId, SessionStore, StorageKey};
//!
//! #[derive(Default)]
//! struct MapStore(Mutex<HashMap<StorageKey, Record>>);
//!
//! impl MapStore {
//!     fn map(&self) -> std::sync::MutexGuard<'_, HashMap<StorageKey, Record>> {
//!         // A panic while holding the lock cannot leave a record half-written here.
//!         self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
//!     }
//! }
//!
//! impl SessionStore for MapStore {
//!     async fn create(&self, id: &SessionId, record: &Record) -> Result<bool> {
//!         let mut map = self.map();
//!         let key = id.storage_key();
//!         let now = time::OffsetDateTime::now_utc();
//!         if map.get(&key).is_some_and(|r| !r.is_expired(now)) {
//!             return Ok(false);
//!         }
//!         map.insert(key, record.clone());
//!         Ok(true)
//!     }
//!
//!     async fn load(&self, id: &SessionId) -> Result<Option<Record>> {
//!         let now = time::OffsetDateTime::now_utc();
//!         Ok(self.map().get(&id.storage_key()).filter(|r| !r.is_expired(now)).cloned())
//!     }
//!
//!     async fn update(&self, id: &SessionId, changes: &Changes) -> Result<bool> {
//!         let now = time::OffsetDateTime::now_utc();
//!         match self.map().get_mut(&id.storage_key()) {
//!             Some(record) if !record.is_expired(now) => {
//!                 record.apply(changes);
//!                 Ok(true)
//!             }
//!             _ => Ok(false),
//!         }
//!     }
//!
//!     async fn delete(&self, id: &SessionId) -> Result<bool> {
//!         Ok(self.map().remove(&id.storage_key()).is_some())
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

use crate::{Changes, Record, Result, Session, SessionId, StorageKey};

mod any;
mod dyn_store;
#[cfg(all(feature = "fs", unix))]
mod fs;
mod memory;
mod save;

pub use any::{AnyStore, open};
pub use dyn_store::DynSessionStore;
#[cfg(all(feature = "fs", unix))]
pub use fs::FilesystemStore;
pub use memory::MemoryStore;
pub use save::SaveOutcome;

/// Where sessions live. Implement the five record-level methods; the werkzeug-style
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
/// assert_eq!(store.list().await?.len(), 1);
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait SessionStore: Send + Sync + 'static {
    /// Inserts `record` under `id` unless a live record is stored there; `Ok(false)` means
    /// nothing was written.
    ///
    /// # Errors
    /// The backend failed.
    fn create(&self, id: &SessionId, record: &Record) -> impl Future<Output = Result<bool>> + Send;

    /// The record stored under `id`, unless missing, expired or unreadable.
    ///
    /// # Errors
    /// The backend failed (a corrupt record is `Ok(None)`, reported through `tracing`).
    fn load(&self, id: &SessionId) -> impl Future<Output = Result<Option<Record>>> + Send;

    /// Applies `changes` to the record stored now, atomically; `Ok(false)` when no live
    /// record is stored (nothing is written then).
    ///
    /// # Errors
    /// The backend failed, or [`Error::Conflict`](crate::Error::Conflict) when the change
    /// could not be applied against concurrent writers.
    fn update(
        &self,
        id: &SessionId,
        changes: &Changes,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Removes the record under `id`; `Ok(false)` when there was none.
    ///
    /// # Errors
    /// The backend failed.
    fn delete(&self, id: &SessionId) -> impl Future<Output = Result<bool>> + Send;

    /// Every stored key (hashes of ids, never the ids themselves).
    ///
    /// # Errors
    /// The backend failed.
    fn list(&self) -> impl Future<Output = Result<Vec<StorageKey>>> + Send;

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
        Ok(Session::new(self.generate_key()?))
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
            let now = time::OffsetDateTime::now_utc();
            match self.load(&id).await? {
                Some(record) if !record.is_expired(now) => Ok(Session::from_record(id, record)),
                _ if !self.renews_missing() => Ok(Session::adopted(id)),
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
