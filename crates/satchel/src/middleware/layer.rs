//! `SessionLayer`: the store and the cookie settings, shared by every request.

use std::sync::Arc;

use tower_layer::Layer;

use super::SessionService;
use crate::{CookieConfig, SessionStore};

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
}

impl<Store> Clone for SessionLayer<Store> {
    fn clone(&self) -> Self {
        Self {
            store: Arc::clone(&self.store),
            cookie: Arc::clone(&self.cookie),
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
        }
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
        SessionService::new(inner, Arc::clone(&self.store), Arc::clone(&self.cookie))
    }
}
