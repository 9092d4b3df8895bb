//! `SessionStore` behind `Arc<dyn …>`: the boxing happens here and nowhere else.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use time::OffsetDateTime;

use super::{Progress, SaveOutcome};
use crate::{Changes, Clock, Record, Result, Session, SessionId, SessionStore, StorageKey};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

mod sealed {
    pub trait Sealed {}
    impl<T: crate::SessionStore> Sealed for T {}
}

/// The object-safe face of every [`SessionStore`], so stores can be chosen at run time:
/// `Arc<dyn DynSessionStore>` is itself a `SessionStore`. Implemented for every store;
/// it cannot be implemented directly. Each method forwards to the one it names.
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
/// assert!(store.load(&store.key_of(session.id())).await?.is_some());
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[allow(missing_docs, clippy::missing_errors_doc)] // each method is documented where it is named
pub trait DynSessionStore: sealed::Sealed + Send + Sync + 'static {
    fn create_boxed<'a>(
        &'a self,
        key: &'a StorageKey,
        record: &'a Record,
    ) -> BoxFuture<'a, Result<bool>>;
    fn load_boxed<'a>(&'a self, key: &'a StorageKey) -> BoxFuture<'a, Result<Option<Record>>>;
    fn update_boxed<'a>(
        &'a self,
        key: &'a StorageKey,
        changes: &'a Changes,
    ) -> BoxFuture<'a, Result<bool>>;
    fn delete_boxed<'a>(&'a self, key: &'a StorageKey) -> BoxFuture<'a, Result<bool>>;
    fn delete_expired_boxed<'a>(&'a self, key: &'a StorageKey) -> BoxFuture<'a, Result<bool>>;
    fn list_boxed(&self) -> BoxFuture<'_, Result<Vec<StorageKey>>>;
    fn touch_boxed<'a>(
        &'a self,
        key: &'a StorageKey,
        expires_at: Option<OffsetDateTime>,
    ) -> BoxFuture<'a, Result<bool>>;
    fn prune_boxed(&self) -> BoxFuture<'_, Result<u64>>;
    fn prune_with_progress_boxed(&self, progress: Progress) -> BoxFuture<'_, Result<u64>>;
    fn clock_dyn(&self) -> Clock;
    fn key_of_dyn(&self, id: &SessionId) -> StorageKey;
    fn renews_missing_dyn(&self) -> bool;
    fn generate_key_dyn(&self) -> Result<SessionId>;
    fn parse_key_dyn(&self, key: &str) -> Option<SessionId>;
    fn get_boxed<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Session>>;
    fn save_boxed<'a>(&'a self, session: &'a mut Session) -> BoxFuture<'a, Result<SaveOutcome>>;
    fn session_from_cookie_boxed<'a>(
        &'a self,
        cookie_name: &'a str,
        value: &'a str,
    ) -> BoxFuture<'a, Result<Session>>;
    fn cookie_value_dyn(&self, cookie_name: &str, session: &Session) -> Result<String>;
    fn keeps_sessions_in_cookies_dyn(&self) -> bool;
}

impl<T: SessionStore> DynSessionStore for T {
    fn create_boxed<'a>(
        &'a self,
        key: &'a StorageKey,
        record: &'a Record,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(self.create(key, record))
    }
    fn load_boxed<'a>(&'a self, key: &'a StorageKey) -> BoxFuture<'a, Result<Option<Record>>> {
        Box::pin(self.load(key))
    }
    fn update_boxed<'a>(
        &'a self,
        key: &'a StorageKey,
        changes: &'a Changes,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(self.update(key, changes))
    }
    fn delete_boxed<'a>(&'a self, key: &'a StorageKey) -> BoxFuture<'a, Result<bool>> {
        Box::pin(self.delete(key))
    }
    fn delete_expired_boxed<'a>(&'a self, key: &'a StorageKey) -> BoxFuture<'a, Result<bool>> {
        Box::pin(self.delete_expired(key))
    }
    fn list_boxed(&self) -> BoxFuture<'_, Result<Vec<StorageKey>>> {
        Box::pin(self.list())
    }
    fn touch_boxed<'a>(
        &'a self,
        key: &'a StorageKey,
        expires_at: Option<OffsetDateTime>,
    ) -> BoxFuture<'a, Result<bool>> {
        Box::pin(self.touch(key, expires_at))
    }
    fn prune_boxed(&self) -> BoxFuture<'_, Result<u64>> {
        Box::pin(self.prune())
    }
    fn prune_with_progress_boxed(&self, progress: Progress) -> BoxFuture<'_, Result<u64>> {
        Box::pin(self.prune_with_progress(progress))
    }
    fn clock_dyn(&self) -> Clock {
        self.clock()
    }
    fn key_of_dyn(&self, id: &SessionId) -> StorageKey {
        self.key_of(id)
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
    fn get_boxed<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Session>> {
        Box::pin(self.get(key))
    }
    fn save_boxed<'a>(&'a self, session: &'a mut Session) -> BoxFuture<'a, Result<SaveOutcome>> {
        Box::pin(self.save(session))
    }
    fn session_from_cookie_boxed<'a>(
        &'a self,
        cookie_name: &'a str,
        value: &'a str,
    ) -> BoxFuture<'a, Result<Session>> {
        Box::pin(self.session_from_cookie(cookie_name, value))
    }
    fn cookie_value_dyn(&self, cookie_name: &str, session: &Session) -> Result<String> {
        self.cookie_value(cookie_name, session)
    }
    fn keeps_sessions_in_cookies_dyn(&self) -> bool {
        self.keeps_sessions_in_cookies()
    }
}

impl SessionStore for Arc<dyn DynSessionStore> {
    async fn create(&self, key: &StorageKey, record: &Record) -> Result<bool> {
        (**self).create_boxed(key, record).await
    }
    async fn load(&self, key: &StorageKey) -> Result<Option<Record>> {
        (**self).load_boxed(key).await
    }
    async fn update(&self, key: &StorageKey, changes: &Changes) -> Result<bool> {
        (**self).update_boxed(key, changes).await
    }
    async fn delete(&self, key: &StorageKey) -> Result<bool> {
        (**self).delete_boxed(key).await
    }
    async fn delete_expired(&self, key: &StorageKey) -> Result<bool> {
        (**self).delete_expired_boxed(key).await
    }
    async fn list(&self) -> Result<Vec<StorageKey>> {
        (**self).list_boxed().await
    }
    async fn touch(&self, key: &StorageKey, expires_at: Option<OffsetDateTime>) -> Result<bool> {
        (**self).touch_boxed(key, expires_at).await
    }
    async fn prune(&self) -> Result<u64> {
        (**self).prune_boxed().await
    }
    async fn prune_with_progress(&self, progress: Progress) -> Result<u64> {
        (**self).prune_with_progress_boxed(progress).await
    }
    fn clock(&self) -> Clock {
        (**self).clock_dyn()
    }
    fn key_of(&self, id: &SessionId) -> StorageKey {
        (**self).key_of_dyn(id)
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
    async fn get(&self, key: &str) -> Result<Session> {
        (**self).get_boxed(key).await
    }
    async fn save(&self, session: &mut Session) -> Result<SaveOutcome> {
        (**self).save_boxed(session).await
    }
    async fn session_from_cookie(&self, cookie_name: &str, value: &str) -> Result<Session> {
        (**self).session_from_cookie_boxed(cookie_name, value).await
    }
    fn cookie_value(&self, cookie_name: &str, session: &Session) -> Result<String> {
        (**self).cookie_value_dyn(cookie_name, session)
    }
    fn keeps_sessions_in_cookies(&self) -> bool {
        (**self).keeps_sessions_in_cookies_dyn()
    }
}
