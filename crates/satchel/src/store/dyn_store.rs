//! `SessionStore` behind `Arc<dyn …>`: the boxing happens here and nowhere else.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::{Changes, Record, Result, SessionId, SessionStore, StorageKey};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

mod sealed {
    pub trait Sealed {}
    impl<T: crate::SessionStore> Sealed for T {}
}

/// The object-safe face of every [`SessionStore`], so stores can be chosen at run time:
/// `Arc<dyn DynSessionStore>` is itself a `SessionStore`. Implemented for every store;
/// it cannot be implemented directly.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use satchel::{DynSessionStore, MemoryStore, SessionStore};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let store: Arc<dyn DynSessionStore> = Arc::new(MemoryStore::new());
/// let mut session = store.new_session()?;
/// session.insert("a", 1)?;
/// store.save(&mut session).await?;
/// assert!(store.load(session.id()).await?.is_some());
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait DynSessionStore: sealed::Sealed + Send + Sync + 'static {
    /// [`SessionStore::create`], boxed.
    ///
    /// # Errors
    /// As [`SessionStore::create`].
    fn create_boxed<'a>(
        &'a self,
        id: &'a SessionId,
        record: &'a Record,
    ) -> BoxFuture<'a, Result<bool>>;
    /// [`SessionStore::load`], boxed.
    ///
    /// # Errors
    /// As [`SessionStore::load`].
    fn load_boxed<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<Option<Record>>>;
    /// [`SessionStore::update`], boxed.
    ///
    /// # Errors
    /// As [`SessionStore::update`].
    fn update_boxed<'a>(
        &'a self,
        id: &'a SessionId,
        changes: &'a Changes,
    ) -> BoxFuture<'a, Result<bool>>;
    /// [`SessionStore::delete`], boxed.
    ///
    /// # Errors
    /// As [`SessionStore::delete`].
    fn delete_boxed<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<bool>>;
    /// [`SessionStore::list`], boxed.
    ///
    /// # Errors
    /// As [`SessionStore::list`].
    fn list_boxed(&self) -> BoxFuture<'_, Result<Vec<StorageKey>>>;
    /// [`SessionStore::renews_missing`].
    fn renews_missing_dyn(&self) -> bool;
    /// [`SessionStore::generate_key`].
    ///
    /// # Errors
    /// As [`SessionStore::generate_key`].
    fn generate_key_dyn(&self) -> Result<SessionId>;
    /// [`SessionStore::parse_key`].
    fn parse_key_dyn(&self, key: &str) -> Option<SessionId>;
}

impl<T: SessionStore> DynSessionStore for T {
    fn create_boxed<'a>(
        &'a self,
        id: &'a SessionId,
        record: &'a Record,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(self.create(id, record))
    }
    fn load_boxed<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<Option<Record>>> {
        Box::pin(self.load(id))
    }
    fn update_boxed<'a>(
        &'a self,
        id: &'a SessionId,
        changes: &'a Changes,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(self.update(id, changes))
    }
    fn delete_boxed<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<bool>> {
        Box::pin(self.delete(id))
    }
    fn list_boxed(&self) -> BoxFuture<'_, Result<Vec<StorageKey>>> {
        Box::pin(self.list())
    }
    fn renews_missing_dyn(&self) -> bool {
        self.renews_missing()
    }
    fn generate_key_dyn(&self) -> Result<SessionId> {
        self.generate_key()
    }
    fn parse_key_dyn(&self, key: &str) -> Option<SessionId> {
        self.parse_key(key)
    }
}

impl SessionStore for Arc<dyn DynSessionStore> {
    async fn create(&self, id: &SessionId, record: &Record) -> Result<bool> {
        (**self).create_boxed(id, record).await
    }
    async fn load(&self, id: &SessionId) -> Result<Option<Record>> {
        (**self).load_boxed(id).await
    }
    async fn update(&self, id: &SessionId, changes: &Changes) -> Result<bool> {
        (**self).update_boxed(id, changes).await
    }
    async fn delete(&self, id: &SessionId) -> Result<bool> {
        (**self).delete_boxed(id).await
    }
    async fn list(&self) -> Result<Vec<StorageKey>> {
        (**self).list_boxed().await
    }
    fn renews_missing(&self) -> bool {
        (**self).renews_missing_dyn()
    }
    fn generate_key(&self) -> Result<SessionId> {
        (**self).generate_key_dyn()
    }
    fn parse_key(&self, key: &str) -> Option<SessionId> {
        (**self).parse_key_dyn(key)
    }
}
