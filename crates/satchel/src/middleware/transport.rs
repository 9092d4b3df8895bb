//! How the middleware carries a session: by id, in a store; or sealed inside the cookie.
//! Chosen once, when the layer is built.

use std::sync::Arc;

use time::OffsetDateTime;

#[cfg(feature = "cookie-store")]
use crate::cookie::CookieSessions;
use crate::error::Result;
use crate::expiry::Expiry;
use crate::metrics::{self, Meters, Timer};
use crate::session::Session;
use crate::store::{AnyStore, SaveOutcome, SessionStore, SessionStoreExt, ops};

/// Where a layer keeps sessions, for its commit step (generic, so a store's calls are not
/// boxed there).
pub(crate) enum Transport<Store> {
    /// The cookie holds the id; the store holds the session.
    ById(Arc<Store>),
    /// The cookie holds the session itself.
    #[cfg(feature = "cookie-store")]
    InCookie(Arc<CookieSessions>),
}

impl<Store> Clone for Transport<Store> {
    fn clone(&self) -> Self {
        match self {
            Self::ById(store) => Self::ById(Arc::clone(store)),
            #[cfg(feature = "cookie-store")]
            Self::InCookie(sessions) => Self::InCookie(Arc::clone(sessions)),
        }
    }
}

impl<Store: SessionStore> Transport<Store> {
    /// What the request's handle loads sessions through (erased: the handle is one type),
    /// counting into `meters`.
    // Only cookie sessions are bound to the cookie's name.
    #[cfg_attr(not(feature = "cookie-store"), allow(unused_variables))]
    pub(crate) fn loader(&self, cookie_name: &str, meters: &Meters) -> Loader {
        match self {
            Self::ById(store) => {
                Loader::Store(AnyStore::from_arc(Arc::clone(store)).with_meters(meters.clone()))
            }
            #[cfg(feature = "cookie-store")]
            Self::InCookie(sessions) => Loader::Cookie {
                sessions: Arc::clone(sessions),
                name: Arc::from(cookie_name),
                meters: meters.clone(),
            },
        }
    }

    /// The metrics handles of this transport's store, registered now.
    pub(crate) fn meters(&self) -> Meters {
        match self {
            Self::ById(store) => Meters::register(store.backend_name()),
            #[cfg(feature = "cookie-store")]
            Self::InCookie(_) => Meters::register("cookie"),
        }
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        match self {
            Self::ById(store) => store.clock().now(),
            #[cfg(feature = "cookie-store")]
            Self::InCookie(sessions) => sessions.clock().now(),
        }
    }

    /// Saves a changed session with its moved deadline, or only moves the deadline of one
    /// that was read (at most once per touch interval).
    pub(crate) async fn persist(
        &self,
        expiry: Expiry,
        session: &mut Session,
        now: OffsetDateTime,
        meters: &Meters,
    ) -> Result<SaveOutcome> {
        if session.needs_save() {
            session.set_deadline(expiry.deadline(session.created_at(), now));
            return self.save(session, meters).await;
        }
        let Some(at) = expiry
            .touch_due(session, now)
            .filter(|_| session.is_stored())
        else {
            return Ok(SaveOutcome::Unchanged);
        };
        // A cookie carries the deadline in the session itself, so the session holds it too.
        session.set_deadline(Some(at));
        match self {
            Self::ById(store) => {
                let key = session.storage_key(&store.ids());
                let timer = Timer::start();
                let touched = store.touch(&key, Some(at)).await;
                metrics::touched(&**store, meters, &touched, timer);
                Ok(if touched? {
                    SaveOutcome::Touched
                } else {
                    SaveOutcome::Gone
                })
            }
            #[cfg(feature = "cookie-store")]
            Self::InCookie(_) => {
                let touched = Ok(SaveOutcome::Touched);
                metrics::cookie_saved(meters, &touched, Timer::start());
                touched
            }
        }
    }

    async fn save(&self, session: &mut Session, meters: &Meters) -> Result<SaveOutcome> {
        match self {
            Self::ById(store) => ops::save(&**store, session, meters).await,
            #[cfg(feature = "cookie-store")]
            Self::InCookie(_) => {
                let timer = Timer::start();
                let saved = session
                    .check_limits()
                    .map(|()| CookieSessions::commit(session));
                metrics::cookie_saved(meters, &saved, timer);
                saved
            }
        }
    }

    /// The session cookie's value: the id, or the sealed session.
    #[cfg_attr(not(feature = "cookie-store"), allow(unused_variables))]
    pub(crate) fn cookie_value(&self, cookie_name: &str, session: &Session) -> Result<String> {
        match self {
            Self::ById(_) => Ok(session.id().as_str().to_owned()),
            #[cfg(feature = "cookie-store")]
            Self::InCookie(sessions) => sessions.seal(cookie_name, session),
        }
    }

    /// Whether every save must re-send the cookie, because the cookie is the record.
    pub(crate) fn resends_on_every_save(&self) -> bool {
        match self {
            Self::ById(_) => false,
            #[cfg(feature = "cookie-store")]
            Self::InCookie(_) => true,
        }
    }
}

/// What a request's [`SessionHandle`](crate::SessionHandle) loads its session through.
#[derive(Clone)]
pub(crate) enum Loader {
    Store(AnyStore),
    #[cfg(feature = "cookie-store")]
    Cookie {
        sessions: Arc<CookieSessions>,
        name: Arc<str>,
        meters: Meters,
    },
}

impl Loader {
    pub(crate) fn now(&self) -> OffsetDateTime {
        match self {
            Self::Store(store) => store.clock().now(),
            #[cfg(feature = "cookie-store")]
            Self::Cookie { sessions, .. } => sessions.clock().now(),
        }
    }

    /// A new, empty session.
    pub(crate) fn fresh(&self) -> Result<Session> {
        match self {
            Self::Store(store) => store.new_session(),
            #[cfg(feature = "cookie-store")]
            Self::Cookie { sessions, .. } => sessions.new_session(),
        }
    }

    /// The session a cookie value names (or holds); a fresh one for anything unusable.
    pub(crate) async fn open(&self, value: &str) -> Result<Session> {
        match self {
            Self::Store(store) => ops::get(store, value, store.meters()).await,
            #[cfg(feature = "cookie-store")]
            Self::Cookie {
                sessions,
                name,
                meters,
            } => {
                let timer = Timer::start();
                let Some(session) = sessions.open(name, value) else {
                    metrics::cookie_loaded(meters, None, timer);
                    return sessions.new_session();
                };
                let revoked = match sessions.revocations() {
                    Some(list) => list.is_revoked(&session).await,
                    None => Ok(false),
                };
                metrics::cookie_loaded(meters, Some(&revoked), timer);
                if revoked? {
                    tracing::debug!("a revoked cookie session; starting a fresh session");
                    return sessions.new_session();
                }
                Ok(session)
            }
        }
    }
}
