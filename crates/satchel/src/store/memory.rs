//! `MemoryStore`: sessions in a map inside the process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Progress, SessionStore};
use crate::changes::Changes;
use crate::clock::Clock;
use crate::error::Result;
use crate::id::StorageKey;
use crate::record::Record;

/// Sessions in memory, for tests and single-process apps; clones share the same map.
///
/// Every operation takes one lock for its whole read-apply-write, so concurrent saves of
/// one session merge their changes. Expired records are never handed out as sessions and
/// go at the next [`SessionStore::prune`].
///
/// # Example
/// ```
/// use satchel::{MemoryStore, SessionStoreExt};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let store = MemoryStore::new();
/// let mut session = store.new_session()?;
/// session.insert("user", "alice")?;
/// store.save(&mut session).await?;
/// let loaded = store.get(session.id().as_str()).await?;
/// assert_eq!(loaded.get::<String>("user")?.as_deref(), Some("alice"));
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    records: Arc<Mutex<HashMap<StorageKey, Record>>>,
    clock: Clock,
}

impl MemoryStore {
    /// An empty store.
    ///
    /// # Example
    /// ```
    /// let store = satchel::MemoryStore::new();
    /// assert!(store.is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Judges expiry by `clock` (tests use a manual one).
    ///
    /// # Example
    /// ```
    /// let clock = satchel::Clock::manual(time::OffsetDateTime::UNIX_EPOCH);
    /// let store = satchel::MemoryStore::new().with_clock(clock);
    /// # let _ = store;
    /// ```
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// How many records the store holds, expired ones included.
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::MemoryStore::new().len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.records().len()
    }

    /// Whether the store holds no records.
    ///
    /// # Example
    /// ```
    /// assert!(satchel::MemoryStore::new().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.records().is_empty()
    }

    fn records(&self) -> MutexGuard<'_, HashMap<StorageKey, Record>> {
        // Every critical section leaves the map consistent, so a poisoned lock is still good.
        self.records
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn is_live(&self, record: Option<&Record>) -> bool {
        record.is_some_and(|record| !record.is_expired(self.clock.now()))
    }
}

impl SessionStore for MemoryStore {
    async fn create(&self, key: &StorageKey, record: &Record) -> Result<bool> {
        let mut map = self.records();
        if self.is_live(map.get(key)) {
            return Ok(false);
        }
        map.insert(key.clone(), record.clone());
        Ok(true)
    }

    async fn load(&self, key: &StorageKey) -> Result<Option<Record>> {
        Ok(self.records().get(key).cloned())
    }

    async fn update(&self, key: &StorageKey, changes: &Changes) -> Result<bool> {
        let mut map = self.records();
        match map.get_mut(key) {
            Some(record) if !record.is_expired(self.clock.now()) => {
                record.apply(changes);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn delete(&self, key: &StorageKey) -> Result<bool> {
        Ok(self.records().remove(key).is_some())
    }

    async fn delete_expired(&self, key: &StorageKey) -> Result<bool> {
        let mut map = self.records();
        let expired = map
            .get(key)
            .is_some_and(|record| record.is_expired(self.clock.now()));
        Ok(expired && map.remove(key).is_some())
    }

    async fn list(&self) -> Result<Vec<StorageKey>> {
        let mut keys: Vec<_> = self.records().keys().cloned().collect();
        keys.sort();
        Ok(keys)
    }

    async fn prune(&self, progress: &Progress) -> Result<u64> {
        let now = self.clock.now();
        let mut map = self.records();
        let before = map.len();
        map.retain(|_, record| !record.is_expired(now));
        progress.report(before as u64, before as u64);
        Ok((before - map.len()) as u64)
    }

    fn clock(&self) -> Clock {
        self.clock.clone()
    }
}
