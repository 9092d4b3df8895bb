//! werkzeug's session operations, built once on the record-level contract.

use std::future::Future;

use super::SessionStore;
use super::save::{self, SaveOutcome};
use crate::error::Result;
use crate::id::SessionId;
use crate::metrics::{self, Meters, Timer};
use crate::session::Session;
use crate::spans::in_span;

/// werkzeug's `SessionStore` operations for every [`SessionStore`]: implemented once, here,
/// for all stores, so no store can change what they mean.
///
/// # Example
/// ```
/// use satchel::{MemoryStore, SessionStoreExt};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let store = MemoryStore::new();
/// let mut session = store.new_session()?;
/// session.insert("user", "alice")?;
/// store.save_if_modified(&mut session).await?;
/// let again = store.get(session.id().as_str()).await?;
/// assert!(!again.is_new());
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait SessionStoreExt: SessionStore {
    /// A fresh session id of this store's shape (werkzeug's `generate_key`), from the OS
    /// CSPRNG; werkzeug's salt is not needed.
    ///
    /// # Errors
    /// The operating system cannot provide randomness.
    ///
    /// # Example
    /// ```
    /// use satchel::{MemoryStore, SessionStoreExt};
    /// let store = MemoryStore::new();
    /// assert!(store.is_valid_id(store.generate_id()?.as_str()));
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[doc(alias = "generate_key")]
    fn generate_id(&self) -> Result<SessionId> {
        self.ids().generate()
    }

    /// Whether `id` has the shape of this store's ids (werkzeug's `is_valid_key`).
    ///
    /// # Example
    /// ```
    /// use satchel::{MemoryStore, SessionStoreExt};
    /// assert!(!MemoryStore::new().is_valid_id("../etc/passwd"));
    /// ```
    #[doc(alias = "is_valid_key")]
    fn is_valid_id(&self, id: &str) -> bool {
        self.ids().accepts(id)
    }

    /// A new, empty session with a fresh id (werkzeug's `new`); nothing is stored until it
    /// is saved.
    ///
    /// # Errors
    /// The operating system cannot provide randomness.
    ///
    /// # Example
    /// ```
    /// use satchel::{MemoryStore, SessionStoreExt};
    /// assert!(MemoryStore::new().new_session()?.is_new());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[doc(alias = "new")]
    fn new_session(&self) -> Result<Session> {
        Ok(Session::new_at(self.generate_id()?, self.clock().now()))
    }

    /// The session a cookie's id names. An invalid, unknown or expired id gives a fresh
    /// session (or, where the [`IdPolicy`](crate::IdPolicy) keeps unknown ids, an empty one
    /// under that id), never an error.
    ///
    /// # Errors
    /// The backend failed: the caller must not treat that as an empty session.
    ///
    /// # Example
    /// ```
    /// use satchel::{MemoryStore, SessionStoreExt};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// assert!(MemoryStore::new().get("forged").await?.is_new());
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn get(&self, id: &str) -> impl Future<Output = Result<Session>> + Send {
        get(self, id, &metrics::LOOKUP)
    }

    /// Writes what the session needs written: its changes, a new record, a rotation, or a
    /// deletion. Unlike werkzeug, it clears `is_modified` afterwards, so a second save
    /// writes nothing.
    ///
    /// # Errors
    /// The backend failed; the session keeps its changes so the save can be retried.
    ///
    /// # Example
    /// ```
    /// use satchel::{MemoryStore, SessionStoreExt, store::SaveOutcome};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let store = MemoryStore::new();
    /// let mut session = store.new_session()?;
    /// session.insert("a", 1)?;
    /// assert_eq!(store.save(&mut session).await?, SaveOutcome::Created);
    /// assert_eq!(store.save(&mut session).await?, SaveOutcome::Unchanged);
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn save(&self, session: &mut Session) -> impl Future<Output = Result<SaveOutcome>> + Send {
        save(self, session, &metrics::LOOKUP)
    }

    /// [`SessionStoreExt::save`] when the session was modified or destroyed, else nothing.
    ///
    /// # Errors
    /// As [`SessionStoreExt::save`].
    ///
    /// # Example
    /// ```
    /// use satchel::{MemoryStore, SessionStoreExt, store::SaveOutcome};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let store = MemoryStore::new();
    /// let mut session = store.new_session()?;
    /// assert_eq!(store.save_if_modified(&mut session).await?, SaveOutcome::Unchanged);
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn save_if_modified(
        &self,
        session: &mut Session,
    ) -> impl Future<Output = Result<SaveOutcome>> + Send {
        async move {
            if session.needs_save() {
                self.save(session).await
            } else {
                Ok(SaveOutcome::Unchanged)
            }
        }
    }

    /// Ends `session` and deletes its record (werkzeug's `delete(session)`).
    ///
    /// # Errors
    /// As [`SessionStoreExt::save`].
    ///
    /// # Example
    /// ```
    /// use satchel::{MemoryStore, SessionStore, SessionStoreExt};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let store = MemoryStore::new();
    /// let mut session = store.new_session()?;
    /// session.insert("a", 1)?;
    /// store.save(&mut session).await?;
    /// store.destroy(&mut session).await?;
    /// assert!(store.list().await?.is_empty());
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[doc(alias = "delete")]
    fn destroy(&self, session: &mut Session) -> impl Future<Output = Result<SaveOutcome>> + Send {
        session.destroy();
        self.save(session)
    }
}

impl<S: SessionStore + ?Sized> SessionStoreExt for S {}

/// [`SessionStoreExt::get`], counted into `meters`.
pub(crate) async fn get<S: SessionStore + ?Sized>(
    store: &S,
    id: &str,
    meters: &Meters,
) -> Result<Session> {
    let ids = store.ids();
    let Some(id) = ids.parse(id) else {
        metrics::load_malformed(store, meters);
        tracing::debug!("malformed session id; starting a fresh session");
        return store.new_session();
    };
    let now = store.clock().now();
    let key = ids.storage_key(&id);
    let timer = Timer::start();
    let loaded = store.load(&key).await;
    metrics::loaded(store, meters, &loaded, now, timer);
    match loaded? {
        Some(record) if !record.is_expired(now) => {
            Ok(Session::from_record(id, record).with_storage_key(ids, key))
        }
        _ if !ids.renews_missing() => Ok(Session::adopted(id, now)),
        _ => {
            tracing::debug!("unknown or expired session id; starting a fresh session");
            store.new_session()
        }
    }
}

/// [`SessionStoreExt::save`], counted into `meters`.
pub(crate) async fn save<S: SessionStore + ?Sized>(
    store: &S,
    session: &mut Session,
    meters: &Meters,
) -> Result<SaveOutcome> {
    let timer = Timer::start();
    let saved = in_span!(DEBUG, "satchel.save", save::save(store, session));
    metrics::saved(store, meters, &saved, timer);
    saved
}
