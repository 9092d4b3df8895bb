//! The request's view of its user's sessions: list them, end one, end the others.

use super::SessionHandle;
use crate::error::{Error, Result};
use crate::expiry::Expiry;
use crate::middleware::Loader;
use crate::owner::WERKZEUG_HAS_NO_OWNERS;
use crate::owner::{Handle, UserKey, UserSession};
use crate::store::{AnyStore, SessionStore as _, UserSessions as _};

impl SessionHandle {
    /// Whether this session can be tied to a user ([`Session::set_owner`](crate::Session::set_owner)):
    /// every server store can, but werkzeug's file format; cookie sessions cannot.
    ///
    /// # Example
    /// ```
    /// let handle = satchel::SessionHandle::new(satchel::MemoryStore::new(), None);
    /// assert!(handle.can_tie_users());
    /// ```
    #[must_use]
    pub fn can_tie_users(&self) -> bool {
        self.store()
            .is_some_and(|store| !store.ids().stores_raw_ids())
    }

    /// The expiry policy the session is held to (the middleware's, or the default).
    ///
    /// # Example
    /// ```
    /// let handle = satchel::SessionHandle::new(satchel::MemoryStore::new(), None);
    /// assert_eq!(handle.expiry(), satchel::Expiry::default());
    /// ```
    #[must_use]
    pub fn expiry(&self) -> Expiry {
        self.shared.expiry
    }

    /// The live sessions of the user this session is tied to, oldest first, this one
    /// marked [current](UserSession::is_current); empty when it is tied to nobody.
    ///
    /// # Errors
    /// As [`SessionHandle::load`], or the store failed, or
    /// [`Error::Unsupported`] for a store with no per-user index (cookie sessions,
    /// werkzeug's files).
    ///
    /// # Example
    /// ```
    /// use satchel::{MemoryStore, Owner, SessionHandle, SessionStoreExt, UserKey};
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let store = MemoryStore::new();
    /// let mut session = store.new_session()?;
    /// session.set_owner(Some(Owner::new(UserKey::hashed("alice"))));
    /// store.save(&mut session).await?;
    /// let handle = SessionHandle::new(store, Some(session.id().as_str().to_owned()));
    /// let listed = handle.user_sessions().await?;
    /// assert!(listed.len() == 1 && listed[0].is_current());
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn user_sessions(&self) -> Result<Vec<UserSession>> {
        let store = self.index()?;
        let Some((user, current)) = self.whose().await? else {
            return Ok(Vec::new());
        };
        let mut sessions = store.sessions_of(&user).await?;
        for session in &mut sessions {
            session.current = current.as_ref() == Some(&session.handle);
        }
        Ok(sessions)
    }

    /// Ends the session of this session's user that `handle` names; `Ok(false)` when the
    /// user has no such session. Ending the current one is a logout: the cookie is expired
    /// with the response.
    ///
    /// # Errors
    /// As [`SessionHandle::user_sessions`].
    ///
    /// # Example
    /// ```
    /// # use satchel::{MemoryStore, Owner, SessionHandle, SessionStoreExt, UserKey};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # let store = MemoryStore::new();
    /// # let mut session = store.new_session()?;
    /// # session.set_owner(Some(Owner::new(UserKey::hashed("alice"))));
    /// # store.save(&mut session).await?;
    /// let handle = SessionHandle::new(store, Some(session.id().as_str().to_owned()));
    /// let current = handle.user_sessions().await?[0].handle().clone();
    /// assert!(handle.end_user_session(&current).await?);
    /// assert!(handle.load().await?.is_destroyed());
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn end_user_session(&self, handle: &Handle) -> Result<bool> {
        let store = self.index()?;
        let Some((user, current)) = self.whose().await? else {
            return Ok(false);
        };
        if current.as_ref() == Some(handle) {
            self.destroy().await?;
            return Ok(true);
        }
        store.end_session_of(&user, handle).await
    }

    /// Ends every session of this session's user but this one ("log out everywhere"), or
    /// with `include_current` this one too (as a logout: the cookie is expired with the
    /// response); returns how many ended.
    ///
    /// Cookie sessions with [`Revocations`](crate::cookie::Revocations) end by time
    /// instead: every cookie of the user sealed until now is refused from now on, this one
    /// is re-issued as a fresh session with its data (unless `include_current`), and the
    /// count is 0, since the server cannot see how many cookies there were.
    ///
    /// # Errors
    /// As [`SessionHandle::user_sessions`].
    ///
    /// # Example
    /// ```
    /// # use satchel::{MemoryStore, Owner, SessionHandle, SessionStoreExt, UserKey};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # let store = MemoryStore::new();
    /// # let mut ids = Vec::new();
    /// # for _ in 0..3 {
    /// #     let mut session = store.new_session()?;
    /// #     session.set_owner(Some(Owner::new(UserKey::hashed("alice"))));
    /// #     store.save(&mut session).await?;
    /// #     ids.push(session.id().as_str().to_owned());
    /// # }
    /// let handle = SessionHandle::new(store, Some(ids[0].clone()));
    /// assert_eq!(handle.end_user_sessions(false).await?, 2);
    /// assert_eq!(handle.user_sessions().await?.len(), 1);
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn end_user_sessions(&self, include_current: bool) -> Result<u64> {
        #[cfg(feature = "cookie-store")]
        if let Some(revocations) = self.revocations() {
            return self.revoke_cookies(revocations, include_current).await;
        }
        let store = self.index()?;
        let Some((user, current)) = self.whose().await? else {
            return Ok(0);
        };
        let keep = if include_current {
            None
        } else {
            current.as_ref()
        };
        let ended = store.end_sessions_of(&user, keep).await?;
        if include_current && current.is_some() {
            self.destroy().await?;
        }
        Ok(ended)
    }

    /// The cookie sessions' revocation list, if they have one.
    #[cfg(feature = "cookie-store")]
    fn revocations(&self) -> Option<&crate::cookie::Revocations> {
        match &self.shared.loader {
            Loader::Cookie { sessions, .. } => sessions.revocations(),
            Loader::Store(_) => None,
        }
    }

    /// "Log out everywhere" for cookie sessions: the user's cookies sealed until now are
    /// refused, and this one goes too, or is re-issued as sealed after that moment.
    #[cfg(feature = "cookie-store")]
    async fn revoke_cookies(
        &self,
        revocations: &crate::cookie::Revocations,
        include_current: bool,
    ) -> Result<u64> {
        let mut session = self.load().await?;
        let Some(owner) = session.owner().cloned() else {
            return Ok(0);
        };
        let at = revocations.revoke_all(owner.user()).await?;
        if include_current {
            session.destroy();
        } else {
            session.rotate_id()?;
            session.restart_at(at + time::Duration::SECOND);
        }
        Ok(0)
    }

    fn store(&self) -> Option<&AnyStore> {
        match &self.shared.loader {
            Loader::Store(store) => Some(store),
            #[cfg(feature = "cookie-store")]
            Loader::Cookie { .. } => None,
        }
    }

    /// The store, when it keeps a per-user index.
    fn index(&self) -> Result<&AnyStore> {
        match self.store() {
            None => Err(Error::Unsupported(
                "cookie sessions live in the browser: the server cannot list or end them one by one",
            )),
            Some(store) if store.ids().stores_raw_ids() => {
                Err(Error::Unsupported(WERKZEUG_HAS_NO_OWNERS))
            }
            Some(store) => Ok(store),
        }
    }

    /// The user this session is tied to, and its own handle once it is stored.
    async fn whose(&self) -> Result<Option<(UserKey, Option<Handle>)>> {
        let session = self.load().await?;
        let Some(owner) = session.owner() else {
            return Ok(None);
        };
        let ids = self.index()?.ids();
        let current = session
            .is_stored()
            .then(|| Handle::of(&session.storage_key(&ids)));
        Ok(Some((owner.user().clone(), current)))
    }
}
