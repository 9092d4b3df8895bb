//! The one object-safe adapter over [`SessionStore`]: the boxing happens here and nowhere
//! else. [`AnyStore`](super::AnyStore) and the request's session handle are built on it.

use std::any::type_name;
use std::future::Future;
use std::pin::Pin;

use time::OffsetDateTime;

use super::{Progress, SessionStore};
use crate::changes::Changes;
use crate::clock::Clock;
use crate::error::Result;
use crate::id::StorageKey;
use crate::id_policy::IdPolicy;
use crate::owner::UserKey;
use crate::record::Record;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// [`SessionStore`] with boxed futures, so stores can be chosen at run time.
pub(crate) trait ErasedStore: Send + Sync + 'static {
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
    fn prune_boxed<'a>(&'a self, progress: &'a Progress) -> BoxFuture<'a, Result<u64>>;
    fn user_records_boxed<'a>(
        &'a self,
        user: &'a UserKey,
    ) -> BoxFuture<'a, Result<Vec<(StorageKey, Record)>>>;
    fn delete_user_records_boxed<'a>(
        &'a self,
        user: &'a UserKey,
        keep: Option<&'a StorageKey>,
    ) -> BoxFuture<'a, Result<u64>>;
    fn clock_erased(&self) -> Clock;
    fn ids_erased(&self) -> IdPolicy;
    fn backend_name_erased(&self) -> &'static str;
    /// The store's type, for `Debug`.
    fn type_name(&self) -> &'static str;
}

impl<T: SessionStore> ErasedStore for T {
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
    fn prune_boxed<'a>(&'a self, progress: &'a Progress) -> BoxFuture<'a, Result<u64>> {
        Box::pin(self.prune(progress))
    }
    fn user_records_boxed<'a>(
        &'a self,
        user: &'a UserKey,
    ) -> BoxFuture<'a, Result<Vec<(StorageKey, Record)>>> {
        Box::pin(self.user_records(user))
    }
    fn delete_user_records_boxed<'a>(
        &'a self,
        user: &'a UserKey,
        keep: Option<&'a StorageKey>,
    ) -> BoxFuture<'a, Result<u64>> {
        Box::pin(self.delete_user_records(user, keep))
    }
    fn clock_erased(&self) -> Clock {
        self.clock()
    }
    fn ids_erased(&self) -> IdPolicy {
        self.ids()
    }
    fn backend_name_erased(&self) -> &'static str {
        self.backend_name()
    }
    fn type_name(&self) -> &'static str {
        type_name::<T>()
    }
}
