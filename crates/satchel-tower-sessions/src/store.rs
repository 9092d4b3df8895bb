//! `TowerStore`: a satchel store behind tower-sessions' `SessionStore`.

use std::fmt;
use std::sync::Arc;

use satchel::Limits;
use satchel::store::Progress;
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::key::storage_key;
use crate::record::{Data, checked_data, new_record, replacement, to_tower_parts};

/// How many fresh ids `create` draws before it gives up. Each is 128 random bits, so a
/// second draw already means the generator is broken; the bound keeps that from looping.
const CREATE_ATTEMPTS: usize = 8;

/// Any satchel server store (memory, file, SQLite, Redis, Redis Cluster, PostgreSQL, or an
/// [`AnyStore`](satchel::store::AnyStore) chosen at run time) as a tower-sessions
/// [`SessionStore`](tower_sessions_core::SessionStore) with
/// [`ExpiredDeletion`](tower_sessions_core::ExpiredDeletion). Clones share the store.
///
/// See the [crate docs](crate) for what survives the translation and what does not.
///
/// # Example
/// ```
/// use satchel_tower_sessions::TowerStore;
/// use tower_sessions::SessionManagerLayer;
///
/// let store = TowerStore::new(satchel::MemoryStore::new());
/// let layer = SessionManagerLayer::new(store.clone());
/// # let _ = layer;
/// ```
pub struct TowerStore<S> {
    store: Arc<S>,
    limits: Limits,
}

impl<S: satchel::SessionStore> TowerStore<S> {
    /// Wraps `store`, with satchel's default [`Limits`] on what a save may write.
    ///
    /// # Example
    /// ```
    /// let store = satchel_tower_sessions::TowerStore::new(satchel::MemoryStore::new());
    /// # let _ = store;
    /// ```
    #[must_use]
    pub fn new(store: S) -> Self {
        Self::from_arc(Arc::new(store))
    }

    /// The same, for a store the app already shares behind an `Arc` (a pruner, the CLI).
    ///
    /// # Example
    /// ```
    /// use std::sync::Arc;
    ///
    /// let shared = Arc::new(satchel::MemoryStore::new());
    /// let store = satchel_tower_sessions::TowerStore::from_arc(Arc::clone(&shared));
    /// # let _ = store;
    /// ```
    #[must_use]
    pub fn from_arc(store: Arc<S>) -> Self {
        Self {
            store,
            limits: Limits::new(),
        }
    }

    /// Sets how large and how deep a saved session's data may be; a save past them fails
    /// with an encode error and writes nothing, as satchel's own saves do.
    ///
    /// # Example
    /// ```
    /// use satchel::Limits;
    ///
    /// let store = satchel_tower_sessions::TowerStore::new(satchel::MemoryStore::new())
    ///     .with_limits(Limits::new().with_max_bytes(16 * 1024));
    /// assert_eq!(store.limits().max_bytes(), 16 * 1024);
    /// ```
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The limits a save is checked against.
    ///
    /// # Example
    /// ```
    /// let store = satchel_tower_sessions::TowerStore::new(satchel::MemoryStore::new());
    /// assert_eq!(store.limits(), satchel::Limits::new());
    /// ```
    #[must_use]
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The satchel store underneath, for what tower-sessions has no word for: listing,
    /// pruning with progress, the CLI.
    ///
    /// # Example
    /// ```
    /// use satchel::SessionStore as _;
    ///
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let store = satchel_tower_sessions::TowerStore::new(satchel::MemoryStore::new());
    /// assert!(store.inner().list().await?.is_empty());
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn inner(&self) -> &S {
        &self.store
    }
}

impl<S> Clone for TowerStore<S> {
    fn clone(&self) -> Self {
        Self {
            store: Arc::clone(&self.store),
            limits: self.limits,
        }
    }
}

impl<S> fmt::Debug for TowerStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TowerStore")
            .field("store", &std::any::type_name::<S>())
            .field("limits", &self.limits)
            .finish()
    }
}

/// What tower-sessions' releases share: ids shown as the same 22 characters, records of
/// data and an expiry. The trait impls of each release (`v0_14`, `v0_15`) translate their
/// types and errors, and leave the work to these.
impl<S: satchel::SessionStore> TowerStore<S> {
    /// Inserts under a fresh key, calling `redraw` for a new id while `id`'s is taken by a
    /// live session: another session is never overwritten.
    pub(crate) async fn create_as<I: fmt::Display>(
        &self,
        id: &mut I,
        data: &Data,
        expiry: OffsetDateTime,
        redraw: impl Fn() -> I,
    ) -> Result<(), StoreError> {
        if self.store.ids().stores_raw_ids() {
            // werkzeug's files are found by raw werkzeug ids: sessions keyed by hash would
            // be invisible to `list`, so never pruned.
            return Err(StoreError::Backend(
                "a werkzeug-format store keeps werkzeug's ids; use FilesystemStore::new".into(),
            ));
        }
        let data = checked_data(data, self.limits)?;
        let stored = new_record(data, expiry, self.store.clock().now());
        for _ in 0..CREATE_ATTEMPTS {
            if self.store.create(&storage_key(&*id), &stored).await? {
                return Ok(());
            }
            tracing::warn!("a new tower-sessions id was taken; drawing another");
            *id = redraw();
        }
        Err(StoreError::Backend(format!(
            "no free session id in {CREATE_ATTEMPTS} draws"
        )))
    }

    /// Replaces the live record's data and expiry in one atomic update; a record that is no
    /// longer stored (deleted by a logout, cycled, expired) stays gone.
    pub(crate) async fn save_as(
        &self,
        id: &impl fmt::Display,
        data: &Data,
        expiry: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let changes = replacement(checked_data(data, self.limits)?, expiry);
        if !self.store.update(&storage_key(id), &changes).await? {
            tracing::debug!("saved a tower-sessions record that is gone; not brought back");
        }
        Ok(())
    }

    /// The data and expiry of the live record stored under `id`'s key; an expired one is
    /// never returned.
    pub(crate) async fn load_as(
        &self,
        id: &impl fmt::Display,
    ) -> Result<Option<(Data, OffsetDateTime)>, StoreError> {
        let now = self.store.clock().now();
        let stored = self.store.load(&storage_key(id)).await?;
        Ok(stored
            .filter(|stored| !stored.is_expired(now))
            .map(to_tower_parts))
    }

    pub(crate) async fn delete_as(&self, id: &impl fmt::Display) -> Result<(), StoreError> {
        self.store.delete(&storage_key(id)).await?;
        Ok(())
    }

    /// satchel's [`prune`](satchel::SessionStore::prune): every expired session goes,
    /// those refreshed meanwhile stay.
    pub(crate) async fn delete_expired_sessions(&self) -> Result<(), StoreError> {
        let pruned = self.store.prune(&Progress::none()).await?;
        tracing::debug!(pruned, "expired sessions deleted");
        Ok(())
    }
}
