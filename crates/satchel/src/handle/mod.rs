//! The handle the middleware gives each request: the session, loaded on first use.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::Notify;

use crate::error::{Error, Result};
use crate::expiry::Expiry;
use crate::limits::Limits;
use crate::middleware::Loader;
use crate::session::Session;
use crate::spans::in_span;
use crate::store::{AnyStore, SessionStore};

mod users;

/// A request's session, loaded from the store the first time it is asked for, so a
/// request that never touches it never reads the store. Clones share the same session.
///
/// The middleware puts one into the request's extensions, and it is an axum extractor.
/// For one step, call its methods ([`get`](Self::get), [`insert`](Self::insert),
/// [`remove`](Self::remove), [`update`](Self::update), …): each holds the session only for
/// the call. For several steps that must see no other change in between, take the
/// session with [`load`](Self::load) and keep the guard as long as needed. While a guard
/// is alive, the handle's other calls fail with [`Error::SessionInUse`] at once instead of
/// waiting for a guard that the same handler holds.
///
/// # Example
/// ```
/// use satchel::{MemoryStore, SessionHandle};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let handle = SessionHandle::new(MemoryStore::new(), None);
/// handle.insert("user", "alice").await?;
/// let visits = handle.update("visits", |n: Option<u64>| n.unwrap_or(0) + 1).await?;
/// assert_eq!(visits, 1);
/// assert_eq!(handle.get::<String>("user").await?.as_deref(), Some("alice"));
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SessionHandle {
    shared: Arc<Shared>,
}

struct Shared {
    loader: Loader,
    expiry: Expiry,
    limits: Limits,
    slot: Mutex<Slot>,
    /// Held while the session is read from the store, so it is read once.
    loading: tokio::sync::Mutex<()>,
    /// Told when a guard gives the session back.
    returned: Notify,
}

enum Slot {
    /// Not read yet: the cookie's value, kept until a load succeeds so that a retry after
    /// a store error finds the same session instead of a fresh one.
    Unloaded(Option<String>),
    /// Boxed: the session moves between the slot, a guard and the commit step several
    /// times a request, and a box moves as one pointer.
    Ready(Box<Session>),
    /// A guard holds it.
    Lent,
    /// The middleware took it to save it with the response.
    Committed,
}

impl SessionHandle {
    /// A handle on `store` for a request that carried `cookie` (the raw cookie value), if
    /// any: what the middleware makes for each request, for testing handlers without it.
    ///
    /// # Example
    /// ```
    /// let handle = satchel::SessionHandle::new(satchel::MemoryStore::new(), None);
    /// # let _ = handle;
    /// ```
    #[must_use]
    pub fn new(store: impl SessionStore, cookie: Option<String>) -> Self {
        Self::for_request(
            Loader::Store(AnyStore::new(store)),
            Expiry::default(),
            Limits::default(),
            cookie,
        )
    }

    /// The middleware's handle: sessions come through `loader`, are refused past
    /// `expiry`'s timeouts even if they were stored under longer ones, and are held to
    /// `limits`.
    pub(crate) fn for_request(
        loader: Loader,
        expiry: Expiry,
        limits: Limits,
        cookie: Option<String>,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                loader,
                expiry,
                limits,
                slot: Mutex::new(Slot::Unloaded(cookie)),
                loading: tokio::sync::Mutex::new(()),
                returned: Notify::new(),
            }),
        }
    }

    /// The session, loading it on first use, held by the guard until it is dropped (hold
    /// it across an `.await` only when the request needs exclusive access).
    ///
    /// # Errors
    /// [`Error::SessionInUse`] while another guard of this request's session is alive;
    /// [`Error::SessionClosed`] after the response was sent. Otherwise the store failed:
    /// the request then has no session, and nothing is saved for it, so a store outage
    /// never turns into an empty session overwriting real data.
    ///
    /// # Example
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let handle = satchel::SessionHandle::new(satchel::MemoryStore::new(), Some("forged".into()));
    /// let guard = handle.load().await?;
    /// assert!(guard.is_new()); // a malformed cookie is no session
    /// assert!(matches!(handle.load().await, Err(satchel::Error::SessionInUse)));
    /// drop(guard);
    /// assert!(handle.load().await.is_ok());
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn load(&self) -> Result<SessionGuard> {
        if let Some(session) = self.lend()? {
            return Ok(self.guard(session));
        }
        let _loading = self.shared.loading.lock().await;
        // Another call may have loaded it while this one waited.
        let cookie = match &*self.slot() {
            Slot::Unloaded(cookie) => cookie.clone(),
            _ => None,
        };
        if let Some(session) = self.lend()? {
            return Ok(self.guard(session));
        }
        let session = Box::new(self.fetch(cookie).await?.with_limits(self.shared.limits));
        let mut slot = self.slot();
        if matches!(*slot, Slot::Committed) {
            return Err(Error::SessionClosed);
        }
        *slot = Slot::Lent;
        drop(slot);
        Ok(self.guard(session))
    }

    /// The value under `key`, decoded into `T`.
    ///
    /// # Errors
    /// As [`SessionHandle::load`], and [`Error::Decode`] when the value does not fit `T`.
    ///
    /// # Example
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let handle = satchel::SessionHandle::new(satchel::MemoryStore::new(), None);
    /// assert_eq!(handle.get::<u32>("absent").await?, None);
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.load().await?.get(key)
    }

    /// The raw JSON value under `key`.
    ///
    /// # Errors
    /// As [`SessionHandle::load`].
    ///
    /// # Example
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let handle = satchel::SessionHandle::new(satchel::MemoryStore::new(), None);
    /// handle.insert("n", 1).await?;
    /// assert_eq!(handle.get_value("n").await?, Some(serde_json::json!(1)));
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn get_value(&self, key: &str) -> Result<Option<Value>> {
        Ok(self.load().await?.get_value(key).cloned())
    }

    /// Stores `value` under `key`.
    ///
    /// # Errors
    /// As [`SessionHandle::load`], and [`Error::Encode`] when `value` cannot become JSON.
    ///
    /// # Example
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let handle = satchel::SessionHandle::new(satchel::MemoryStore::new(), None);
    /// handle.insert("theme", "dark").await?;
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn insert(&self, key: impl Into<String>, value: impl Serialize) -> Result<()> {
        self.load().await?.insert(key, value)?;
        Ok(())
    }

    /// Removes `key`, returning its value decoded into `T` (a value that does not fit
    /// stays, with an error).
    ///
    /// # Errors
    /// As [`SessionHandle::load`], and [`Error::Decode`] when the value does not fit `T`.
    ///
    /// # Example
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let handle = satchel::SessionHandle::new(satchel::MemoryStore::new(), None);
    /// handle.insert("flash", "saved").await?;
    /// assert_eq!(handle.remove::<String>("flash").await?.as_deref(), Some("saved"));
    /// assert_eq!(handle.remove::<String>("flash").await?, None);
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn remove<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        self.load().await?.remove(key)
    }

    /// Read-modify-write of one key in one step (see [`Session::update`]); returns the
    /// new value.
    ///
    /// # Errors
    /// As [`SessionHandle::load`] and [`Session::update`].
    ///
    /// # Example
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let handle = satchel::SessionHandle::new(satchel::MemoryStore::new(), None);
    /// let cart = handle.update("cart", |cart: Option<Vec<String>>| {
    ///     let mut cart = cart.unwrap_or_default();
    ///     cart.push("pear".into());
    ///     cart
    /// }).await?;
    /// assert_eq!(cart, ["pear"]);
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn update<T, F>(&self, key: &str, change: F) -> Result<T>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(Option<T>) -> T,
    {
        self.load().await?.update(key, change)
    }

    /// Gives the session a fresh id, keeping its data: call it at login (see
    /// [`Session::rotate_id`]).
    ///
    /// # Errors
    /// As [`SessionHandle::load`], and [`Error::Io`] without randomness.
    ///
    /// # Example
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let handle = satchel::SessionHandle::new(satchel::MemoryStore::new(), None);
    /// handle.insert("user", "alice").await?;
    /// handle.rotate_id().await?;
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn rotate_id(&self) -> Result<()> {
        self.load().await?.rotate_id()
    }

    /// Ends the session (logout): it is deleted from the store with the response, and the
    /// cookie is expired.
    ///
    /// # Errors
    /// As [`SessionHandle::load`].
    ///
    /// # Example
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let handle = satchel::SessionHandle::new(satchel::MemoryStore::new(), None);
    /// handle.destroy().await?;
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn destroy(&self) -> Result<()> {
        self.load().await?.destroy();
        Ok(())
    }

    /// The session if some handler loaded it, for the middleware's commit step; waits for
    /// a guard that is still alive (held by a task the handler spawned).
    pub(crate) async fn take_for_commit(&self) -> Option<Box<Session>> {
        loop {
            {
                let mut slot = self.slot();
                match std::mem::replace(&mut *slot, Slot::Committed) {
                    Slot::Ready(session) => return Some(session),
                    Slot::Unloaded(_) | Slot::Committed => return None,
                    Slot::Lent => *slot = Slot::Lent,
                }
            }
            self.shared.returned.notified().await;
        }
    }

    fn slot(&self) -> MutexGuard<'_, Slot> {
        // Every critical section leaves the slot whole, so a poisoned lock is still good.
        self.shared
            .slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes the loaded session out for a guard; `None` when it is not loaded yet.
    fn lend(&self) -> Result<Option<Box<Session>>> {
        let mut slot = self.slot();
        match std::mem::replace(&mut *slot, Slot::Lent) {
            Slot::Ready(session) => Ok(Some(session)),
            Slot::Lent => Err(Error::SessionInUse),
            Slot::Committed => {
                *slot = Slot::Committed;
                Err(Error::SessionClosed)
            }
            unloaded @ Slot::Unloaded(_) => {
                *slot = unloaded;
                Ok(None)
            }
        }
    }

    fn guard(&self, session: Box<Session>) -> SessionGuard {
        SessionGuard {
            session: Some(session),
            shared: Arc::clone(&self.shared),
        }
    }

    async fn fetch(&self, cookie: Option<String>) -> Result<Session> {
        let loader = &self.shared.loader;
        let Some(cookie) = cookie else {
            return loader.fresh();
        };
        let session = in_span!(DEBUG, "satchel.load", loader.open(&cookie))?;
        if session.is_stored() && self.shared.expiry.is_expired(&session, loader.now()) {
            tracing::debug!("session past its absolute timeout; starting a fresh session");
            return loader.fresh();
        }
        Ok(session)
    }
}

impl fmt::Debug for SessionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionHandle").finish_non_exhaustive()
    }
}

/// Exclusive access to a loaded [`Session`]; derefs to it, and gives it back to its
/// [`SessionHandle`] when dropped.
///
/// # Example
/// ```
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let handle = satchel::SessionHandle::new(satchel::MemoryStore::new(), None);
/// let mut guard = handle.load().await?;
/// guard.insert("k", "v")?;
/// drop(guard);
/// assert_eq!(handle.get::<String>("k").await?.as_deref(), Some("v"));
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "the session is given back when the guard is dropped"]
pub struct SessionGuard {
    /// `Some` from construction until `drop`.
    session: Option<Box<Session>>,
    shared: Arc<Shared>,
}

impl SessionGuard {
    #[allow(clippy::expect_used)] // `session` is Some until drop
    fn session(&self) -> &Session {
        self.session
            .as_ref()
            .expect("a guard holds its session until dropped")
    }
}

impl Deref for SessionGuard {
    type Target = Session;
    fn deref(&self) -> &Session {
        self.session()
    }
}

impl DerefMut for SessionGuard {
    #[allow(clippy::expect_used)] // `session` is Some until drop
    fn deref_mut(&mut self) -> &mut Session {
        self.session
            .as_mut()
            .expect("a guard holds its session until dropped")
    }
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        let Some(session) = self.session.take() else {
            return;
        };
        let mut slot = self
            .shared
            .slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *slot = Slot::Ready(session);
        drop(slot);
        self.shared.returned.notify_one();
    }
}

impl fmt::Debug for SessionGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.session(), f)
    }
}
