//! The handle the middleware gives each request: the session, loaded on first use.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};

use crate::{DynSessionStore, Expiry, Result, Session, SessionStore};

/// A request's session, loaded from the store the first time it is asked for, so a
/// request that never touches it never reads the store. Clones share the same session.
///
/// The middleware puts one into the request's extensions; with the `axum` feature it is
/// an extractor.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use satchel::{MemoryStore, SessionHandle};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let handle = SessionHandle::new(Arc::new(MemoryStore::new()), None);
/// let mut session = handle.load().await?;
/// session.insert("visits", 1)?;
/// assert!(session.is_new());
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SessionHandle {
    slot: Arc<Mutex<Slot>>,
    store: Arc<dyn DynSessionStore>,
    expiry: Expiry,
    cookie_name: Arc<str>,
}

struct Slot {
    /// The cookie's value, until the session is loaded.
    cookie: Option<String>,
    session: Option<Session>,
}

impl SessionHandle {
    /// A handle for a request that carried `cookie` (the raw cookie value), if any.
    ///
    /// # Example
    /// ```
    /// let handle = satchel::SessionHandle::new(std::sync::Arc::new(satchel::MemoryStore::new()), None);
    /// # let _ = handle;
    /// ```
    #[must_use]
    pub fn new(store: Arc<dyn DynSessionStore>, cookie: Option<String>) -> Self {
        Self {
            slot: Arc::new(Mutex::new(Slot {
                cookie,
                session: None,
            })),
            store,
            expiry: Expiry::default(),
            cookie_name: Arc::from("session_id"),
        }
    }

    /// Also refuses sessions past `expiry`'s absolute timeout, even if they were stored
    /// under a longer one.
    pub(crate) fn with_expiry(mut self, expiry: Expiry) -> Self {
        self.expiry = expiry;
        self
    }

    /// The cookie's name, which stores that keep sessions in cookies bind them to.
    pub(crate) fn with_cookie_name(mut self, name: &str) -> Self {
        self.cookie_name = Arc::from(name);
        self
    }

    /// The session, loading it on first use; the guard holds it until dropped (hold it
    /// across an `.await` only when the request needs exclusive access). Drop the guard
    /// before calling `load` again in the same task: a second `load` waits for the first
    /// guard, like any lock.
    ///
    /// # Errors
    /// The store failed. The request then has no session, and nothing is saved for it: a
    /// store outage never turns into an empty session overwriting real data.
    ///
    /// # Example
    /// ```
    /// # use std::sync::Arc;
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let handle = satchel::SessionHandle::new(Arc::new(satchel::MemoryStore::new()), Some("forged".into()));
    /// assert!(handle.load().await?.is_new()); // a malformed cookie is no session
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn load(&self) -> Result<SessionGuard> {
        let mut slot = Arc::clone(&self.slot).lock_owned().await;
        let session = match slot.session.take() {
            Some(session) => session,
            // The cookie is kept until the load succeeds, so a retry after a store
            // error finds the same session instead of a fresh one.
            None => {
                let session = self.fetch(slot.cookie.clone()).await?;
                slot.cookie = None;
                session
            }
        };
        Ok(SessionGuard(OwnedMutexGuard::map(slot, |slot| {
            slot.session.insert(session)
        })))
    }

    async fn fetch(&self, cookie: Option<String>) -> Result<Session> {
        let Some(cookie) = cookie else {
            return self.store.new_session();
        };
        let session = self
            .store
            .session_from_cookie(&self.cookie_name, &cookie)
            .await?;
        if session.is_stored() && self.expiry.is_expired(&session, self.store.clock().now()) {
            tracing::debug!("session past its absolute timeout; starting a fresh session");
            return self.store.new_session();
        }
        Ok(session)
    }

    /// The session if some handler loaded it, for the middleware's commit step.
    pub(crate) async fn take_loaded(&self) -> Option<Session> {
        self.slot.lock().await.session.take()
    }
}

impl fmt::Debug for SessionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionHandle").finish_non_exhaustive()
    }
}

/// Exclusive access to a loaded [`Session`]; derefs to it.
///
/// # Example
/// ```
/// # use std::sync::Arc;
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let handle = satchel::SessionHandle::new(Arc::new(satchel::MemoryStore::new()), None);
/// let mut guard = handle.load().await?;
/// guard.insert("k", "v")?;
/// drop(guard);
/// assert_eq!(handle.load().await?.get::<String>("k")?.as_deref(), Some("v"));
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "the session is released when the guard is dropped"]
pub struct SessionGuard(OwnedMappedMutexGuard<Slot, Session>);

impl Deref for SessionGuard {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.0
    }
}

impl DerefMut for SessionGuard {
    fn deref_mut(&mut self) -> &mut Session {
        &mut self.0
    }
}

impl fmt::Debug for SessionGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}
