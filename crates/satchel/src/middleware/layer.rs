//! `SessionLayer`: where sessions live and the cookie settings, shared by every request.

use std::fmt;
use std::sync::Arc;

use time::Duration;
use tower_layer::Layer;

use super::service::{SessionService, Shared};
use super::transport::Transport;
use crate::cookie::CookieConfig;
#[cfg(feature = "cookie-store")]
use crate::cookie::CookieSessions;
use crate::error::Result;
use crate::expiry::Expiry;
use crate::limits::Limits;
use crate::store::{AnyStore, Opened, SessionStore};

/// Adds sessions to a tower service; see the [module docs](crate::middleware) for the whole
/// flow and full axum and hyper examples.
///
/// Sessions are carried either by id, in a store ([`SessionLayer::new`]), or sealed inside
/// the cookie ([`SessionLayer::in_cookie`]); handlers see the same API either way.
///
/// # Example
/// ```
/// use satchel::{CookieConfig, MemoryStore, SessionLayer};
///
/// let layer = SessionLayer::new(MemoryStore::new())
///     .with_cookie(CookieConfig::new().with_max_age(time::Duration::hours(1)))?;
/// # let _ = layer;
/// # Ok::<(), satchel::Error>(())
/// ```
pub struct SessionLayer<Store = AnyStore> {
    transport: Transport<Store>,
    cookie: CookieConfig,
    expiry: Expiry,
    limits: Limits,
}

impl<Store> fmt::Debug for SessionLayer<Store> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionLayer")
            .field("cookie", &self.cookie)
            .field("expiry", &self.expiry)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl<Store> Clone for SessionLayer<Store> {
    fn clone(&self) -> Self {
        Self {
            transport: self.transport.clone(),
            cookie: self.cookie.clone(),
            expiry: self.expiry,
            limits: self.limits,
        }
    }
}

impl<Store: SessionStore> SessionLayer<Store> {
    /// Sessions in `store`, with the default [`CookieConfig`] and [`Expiry`].
    ///
    /// # Example
    /// ```
    /// let layer = satchel::SessionLayer::new(satchel::MemoryStore::new());
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn new(store: Store) -> Self {
        Self::with_transport(Transport::ById(Arc::new(store)))
    }

    fn with_transport(transport: Transport<Store>) -> Self {
        Self {
            transport,
            cookie: CookieConfig::new(),
            expiry: Expiry::default(),
            limits: Limits::default(),
        }
    }

    /// Uses `expiry` as the server-side expiry policy (default: [`Expiry::default`], 30
    /// minutes idle, 12 hours absolute).
    ///
    /// # Example
    /// ```
    /// use satchel::{Expiry, MemoryStore, SessionLayer};
    /// let layer = SessionLayer::new(MemoryStore::new()).with_expiry(Expiry::new().without_absolute_timeout());
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn with_expiry(mut self, expiry: Expiry) -> Self {
        self.expiry = expiry;
        self
    }

    /// Sets the idle timeout of the expiry policy.
    ///
    /// # Example
    /// ```
    /// let layer = satchel::SessionLayer::new(satchel::MemoryStore::new()).with_idle_timeout(time::Duration::minutes(15));
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn with_idle_timeout(mut self, idle: Duration) -> Self {
        self.expiry = self.expiry.with_idle_timeout(idle);
        self
    }

    /// Holds every session to `limits` (size and nesting of its data) instead of the
    /// defaults: a handler's [`insert`](crate::SessionHandle::insert) past them fails with
    /// [`Error::TooLarge`](crate::Error::TooLarge) or [`Error::TooDeep`](crate::Error::TooDeep),
    /// which axum answers with 413, and a save past them writes nothing.
    ///
    /// # Example
    /// ```
    /// let limits = satchel::Limits::new().with_max_bytes(64 * 1024);
    /// let layer = satchel::SessionLayer::new(satchel::MemoryStore::new()).with_limits(limits);
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the absolute timeout of the expiry policy.
    ///
    /// # Example
    /// ```
    /// let layer = satchel::SessionLayer::new(satchel::MemoryStore::new()).with_absolute_timeout(time::Duration::hours(8));
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn with_absolute_timeout(mut self, absolute: Duration) -> Self {
        self.expiry = self.expiry.with_absolute_timeout(absolute);
        self
    }

    /// Uses `cookie` for the cookie's name, lifetime and attributes, once it passes
    /// [`CookieConfig::validate`]: a cookie that browsers would drop is refused here, not
    /// discovered in production.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`](crate::Error::InvalidConfig) naming the broken rule.
    ///
    /// # Example
    /// ```
    /// use satchel::{CookieConfig, MemoryStore, SessionLayer};
    /// let layer = SessionLayer::new(MemoryStore::new()).with_cookie(CookieConfig::new().with_name("sid"))?;
    /// let bad = CookieConfig::new().with_name("__Host-sid").with_domain("example.com");
    /// assert!(SessionLayer::new(MemoryStore::new()).with_cookie(bad).is_err());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn with_cookie(mut self, cookie: CookieConfig) -> Result<Self> {
        cookie.validate()?;
        self.cookie = cookie;
        Ok(self)
    }

    /// Sets the cookie's Secure attribute: `false` for plain-HTTP development on a host
    /// other than `localhost` (browsers already accept Secure cookies there). Checked like
    /// [`SessionLayer::with_cookie`].
    ///
    /// # Errors
    /// As [`SessionLayer::with_cookie`]: a `__Host-` or `__Secure-` name, or
    /// `SameSite=None`, needs Secure.
    ///
    /// # Example
    /// ```
    /// let layer = satchel::SessionLayer::new(satchel::MemoryStore::new()).with_secure(false)?;
    /// # let _ = layer;
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn with_secure(self, secure: bool) -> Result<Self> {
        let cookie = self.cookie.clone().with_secure(secure);
        self.with_cookie(cookie)
    }
}

impl SessionLayer<AnyStore> {
    /// Sessions sealed inside the cookie itself, with no server-side state (see
    /// [`CookieSessions`] for what that gives and costs).
    ///
    /// # Example
    /// ```
    /// use satchel::cookie::{CookieSessions, Key};
    /// let layer = satchel::SessionLayer::in_cookie(CookieSessions::new(Key::generate()?));
    /// # let _ = layer;
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[cfg(feature = "cookie-store")]
    #[cfg_attr(docsrs, doc(cfg(feature = "cookie-store")))]
    #[must_use]
    pub fn in_cookie(sessions: CookieSessions) -> Self {
        Self::with_transport(Transport::InCookie(Arc::new(sessions)))
    }
}

/// The layer for whatever a store URL opened: a store, or cookie sessions.
///
/// # Example
/// ```
/// let layer = satchel::SessionLayer::from(satchel::store::open("memory:")?);
/// # let _ = layer;
/// # Ok::<(), satchel::Error>(())
/// ```
impl From<Opened> for SessionLayer<AnyStore> {
    fn from(opened: Opened) -> Self {
        match opened {
            Opened::Store(store) => Self::new(store),
            #[cfg(feature = "cookie-store")]
            Opened::Cookie(sessions) => Self::in_cookie(sessions),
        }
    }
}

impl<S, Store: SessionStore> Layer<S> for SessionLayer<Store> {
    type Service = SessionService<S, Store>;

    fn layer(&self, inner: S) -> Self::Service {
        // Registered once per layer, so a request only adds to its handles.
        let meters = self.transport.meters();
        let shared = Shared {
            loader: self.transport.loader(self.cookie.name(), &meters),
            transport: self.transport.clone(),
            cookie: self.cookie.clone(),
            expiry: self.expiry,
            limits: self.limits,
            meters,
        };
        SessionService::new(inner, Arc::new(shared))
    }
}
