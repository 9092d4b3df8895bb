//! `SessionLayer`: the store and the cookie settings, shared by every request.

use std::sync::Arc;

use tower_layer::Layer;

use super::SessionService;
use time::Duration;

use crate::{CookieConfig, Expiry, SessionStore};

/// Adds sessions to a tower service; see the [module docs](crate::middleware) for the whole
/// flow and full axum and hyper examples.
///
/// # Example
/// ```
/// use satchel::{CookieConfig, MemoryStore, SessionLayer};
///
/// let layer = SessionLayer::new(MemoryStore::new())
///     .with_cookie(CookieConfig::new().with_max_age(time::Duration::hours(1)));
/// # let _ = layer;
/// ```
#[derive(Debug)]
pub struct SessionLayer<Store> {
    store: Arc<Store>,
    cookie: Arc<CookieConfig>,
    expiry: Expiry,
}

impl<Store> Clone for SessionLayer<Store> {
    fn clone(&self) -> Self {
        Self {
            store: Arc::clone(&self.store),
            cookie: Arc::clone(&self.cookie),
            expiry: self.expiry,
        }
    }
}

impl<Store: SessionStore> SessionLayer<Store> {
    /// Sessions in `store`, with the default [`CookieConfig`].
    ///
    /// # Example
    /// ```
    /// let layer = satchel::SessionLayer::new(satchel::MemoryStore::new());
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn new(store: Store) -> Self {
        Self {
            store: Arc::new(store),
            cookie: Arc::new(CookieConfig::new()),
            expiry: Expiry::default(),
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

    /// Uses `cookie` for the cookie's name, lifetime and attributes. Check it first with
    /// [`CookieConfig::validate`].
    ///
    /// # Example
    /// ```
    /// use satchel::{CookieConfig, MemoryStore, SessionLayer};
    /// let layer = SessionLayer::new(MemoryStore::new()).with_cookie(CookieConfig::new().with_name("sid"));
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn with_cookie(mut self, cookie: CookieConfig) -> Self {
        self.cookie = Arc::new(cookie);
        self
    }
}

impl<S, Store: SessionStore> Layer<S> for SessionLayer<Store> {
    type Service = SessionService<S, Store>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService::new(
            inner,
            Arc::clone(&self.store),
            Arc::clone(&self.cookie),
            self.expiry,
        )
    }
}
