//! The one test double: a memory store that fails on demand and counts its writes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use satchel::{Changes, Clock, MemoryStore, Record, Result, SessionStore, StorageKey};
use time::OffsetDateTime;

#[derive(Clone, Default)]
pub struct ProbeStore {
    pub inner: MemoryStore,
    pub fail_loads: bool,
    pub fail_creates: bool,
    pub fail_updates: bool,
    /// Updates answer `Error::Conflict`, as a store that lost a race against other writers.
    pub conflict_updates: bool,
    pub fail_lists: bool,
    /// While set, loads fail too (a store outage that can end during a test).
    pub outage: Arc<AtomicBool>,
    pub loads: Arc<AtomicUsize>,
    pub touches: Arc<AtomicUsize>,
    pub updates: Arc<AtomicUsize>,
}

impl ProbeStore {
    pub fn around(inner: MemoryStore) -> Self {
        Self {
            inner,
            ..Self::default()
        }
    }

    pub fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }

    pub fn touches(&self) -> usize {
        self.touches.load(Ordering::SeqCst)
    }

    pub fn updates(&self) -> usize {
        self.updates.load(Ordering::SeqCst)
    }

    fn broken(failing: bool) -> Result<()> {
        if failing {
            return Err(satchel::Error::Backend("disk on fire: /secret/path".into()));
        }
        Ok(())
    }
}

impl SessionStore for ProbeStore {
    async fn create(&self, key: &StorageKey, record: &Record) -> Result<bool> {
        Self::broken(self.fail_creates)?;
        self.inner.create(key, record).await
    }
    async fn load(&self, key: &StorageKey) -> Result<Option<Record>> {
        Self::broken(self.fail_loads || self.outage.load(Ordering::SeqCst))?;
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.inner.load(key).await
    }
    async fn update(&self, key: &StorageKey, changes: &Changes) -> Result<bool> {
        Self::broken(self.fail_updates)?;
        if self.conflict_updates {
            return Err(satchel::Error::Conflict);
        }
        self.updates.fetch_add(1, Ordering::SeqCst);
        self.inner.update(key, changes).await
    }
    async fn touch(&self, key: &StorageKey, at: Option<OffsetDateTime>) -> Result<bool> {
        self.touches.fetch_add(1, Ordering::SeqCst);
        self.inner.touch(key, at).await
    }
    async fn delete(&self, key: &StorageKey) -> Result<bool> {
        self.inner.delete(key).await
    }
    async fn delete_expired(&self, key: &StorageKey) -> Result<bool> {
        self.inner.delete_expired(key).await
    }
    async fn list(&self) -> Result<Vec<StorageKey>> {
        Self::broken(self.fail_lists)?;
        self.inner.list().await
    }
    fn clock(&self) -> Clock {
        self.inner.clock()
    }
}
