//! `AnyStore`: any store, chosen at run time.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use time::OffsetDateTime;
use tracing::Instrument as _;

use super::{ErasedStore, Progress, SessionStore};
use crate::changes::Changes;
use crate::clock::Clock;
use crate::error::Result;
use crate::id::StorageKey;
use crate::id_policy::IdPolicy;
use crate::metrics::{self, Meters, Timer};
use crate::owner::UserKey;
use crate::record::Record;

/// Any [`SessionStore`], its type erased: what [`open`](super::open) gives for a store URL,
/// and what code that picks its store at run time (the demo, the CLI) holds. Clones share
/// the store.
///
/// # Example
/// ```
/// use satchel::{MemoryStore, SessionStore, store::AnyStore};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let store = AnyStore::new(MemoryStore::new());
/// assert!(store.list().await?.is_empty());
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct AnyStore(Arc<dyn ErasedStore>, Meters);

impl AnyStore {
    /// Erases `store`'s type.
    ///
    /// # Example
    /// ```
    /// let store = satchel::store::AnyStore::new(satchel::MemoryStore::new());
    /// # let _ = store;
    /// ```
    #[must_use]
    pub fn new(store: impl SessionStore) -> Self {
        // An `AnyStore` is shared as it is, not wrapped again (so a prune is counted once).
        if let Some(any) = (&store as &dyn Any).downcast_ref::<Self>() {
            return any.clone();
        }
        Self(Arc::new(store), Meters::default())
    }

    /// The same, for a store already behind an `Arc` (no second allocation).
    pub(crate) fn from_arc<S: SessionStore>(store: Arc<S>) -> Self {
        Self(store, Meters::default())
    }

    /// The middleware's loads count into `meters` (its layer's handles).
    pub(crate) fn with_meters(mut self, meters: Meters) -> Self {
        self.1 = meters;
        self
    }

    /// The handles the middleware's loads through this store count into.
    pub(crate) fn meters(&self) -> &Meters {
        &self.1
    }
}

impl fmt::Debug for AnyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AnyStore")
            .field(&self.0.type_name())
            .finish()
    }
}

impl SessionStore for AnyStore {
    async fn create(&self, key: &StorageKey, record: &Record) -> Result<bool> {
        self.0.create_boxed(key, record).await
    }
    async fn load(&self, key: &StorageKey) -> Result<Option<Record>> {
        self.0.load_boxed(key).await
    }
    async fn update(&self, key: &StorageKey, changes: &Changes) -> Result<bool> {
        self.0.update_boxed(key, changes).await
    }
    async fn delete(&self, key: &StorageKey) -> Result<bool> {
        self.0.delete_boxed(key).await
    }
    async fn delete_expired(&self, key: &StorageKey) -> Result<bool> {
        self.0.delete_expired_boxed(key).await
    }
    async fn list(&self) -> Result<Vec<StorageKey>> {
        self.0.list_boxed().await
    }
    async fn touch(&self, key: &StorageKey, expires_at: Option<OffsetDateTime>) -> Result<bool> {
        self.0.touch_boxed(key, expires_at).await
    }
    async fn prune(&self, progress: &Progress) -> Result<u64> {
        let timer = Timer::start();
        let pruned = self
            .0
            .prune_boxed(progress)
            .instrument(tracing::info_span!("satchel.prune"))
            .await;
        metrics::pruned(self, &pruned, timer);
        pruned
    }
    async fn user_records(&self, user: &UserKey) -> Result<Vec<(StorageKey, Record)>> {
        self.0.user_records_boxed(user).await
    }
    async fn delete_user_records(&self, user: &UserKey, keep: Option<&StorageKey>) -> Result<u64> {
        self.0.delete_user_records_boxed(user, keep).await
    }
    fn clock(&self) -> Clock {
        self.0.clock_erased()
    }
    fn ids(&self) -> IdPolicy {
        self.0.ids_erased()
    }
    fn backend_name(&self) -> &'static str {
        self.0.backend_name_erased()
    }
}
