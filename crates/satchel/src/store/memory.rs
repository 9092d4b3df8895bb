//! `MemoryStore`: sessions in a map inside the process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use time::OffsetDateTime;

use crate::{Changes, Record, Result, SessionId, SessionStore, StorageKey};

/// Sessions in memory, for tests and single-process apps; clones share the same map.
///
/// Every operation takes one lock for its whole read-apply-write, so concurrent saves of
/// one session merge their changes. Expired records are never returned and are dropped
/// when next touched.
///
/// # Example
/// ```
/// use satchel::{MemoryStore, SessionStore};
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

    /// The live record under `key`, dropping it if it has expired.
    fn live<'a>(
        map: &'a mut HashMap<StorageKey, Record>,
        key: &StorageKey,
    ) -> Option<&'a mut Record> {
        let now = OffsetDateTime::now_utc();
        if map.get(key).is_some_and(|record| record.is_expired(now)) {
            map.remove(key);
        }
        map.get_mut(key)
    }
}

impl SessionStore for MemoryStore {
    async fn create(&self, id: &SessionId, record: &Record) -> Result<bool> {
        let mut map = self.records();
        let key = id.storage_key();
        if Self::live(&mut map, &key).is_some() {
            return Ok(false);
        }
        map.insert(key, record.clone());
        Ok(true)
    }

    async fn load(&self, id: &SessionId) -> Result<Option<Record>> {
        Ok(Self::live(&mut self.records(), &id.storage_key()).cloned())
    }

    async fn update(&self, id: &SessionId, changes: &Changes) -> Result<bool> {
        let mut map = self.records();
        let Some(record) = Self::live(&mut map, &id.storage_key()) else {
            return Ok(false);
        };
        record.apply(changes);
        Ok(true)
    }

    async fn delete(&self, id: &SessionId) -> Result<bool> {
        Ok(self.records().remove(&id.storage_key()).is_some())
    }

    async fn list(&self) -> Result<Vec<StorageKey>> {
        let mut keys: Vec<_> = self.records().keys().cloned().collect();
        keys.sort();
        Ok(keys)
    }
}
