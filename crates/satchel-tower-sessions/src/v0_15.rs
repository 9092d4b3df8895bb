//! `TowerStore` as tower-sessions 0.15's store (feature `tower-sessions-0-15`): the newest
//! release, for apps that use it without axum-login.

use async_trait::async_trait;
use tower_sessions_core_0_15::session::{Id, Record};
use tower_sessions_core_0_15::session_store::Result;
use tower_sessions_core_0_15::{ExpiredDeletion, SessionStore};

use crate::store::TowerStore;

#[async_trait]
impl<S: satchel::SessionStore> SessionStore for TowerStore<S> {
    /// Inserts the record, drawing a new id while the one it has is taken by a live
    /// session: another session is never overwritten.
    async fn create(&self, record: &mut Record) -> Result<()> {
        let (data, expiry) = (&record.data, record.expiry_date);
        Ok(self
            .create_as(&mut record.id, data, expiry, Id::default)
            .await?)
    }

    /// Replaces the live record's data and expiry atomically; a record no longer stored
    /// (a concurrent logout, a cycled id, expiry) stays gone.
    async fn save(&self, record: &Record) -> Result<()> {
        Ok(self
            .save_as(&record.id, &record.data, record.expiry_date)
            .await?)
    }

    /// The live record; an expired one is never returned.
    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let loaded = self.load_as(id).await?;
        Ok(loaded.map(|(data, expiry_date)| Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        Ok(self.delete_as(id).await?)
    }
}

#[async_trait]
impl<S: satchel::SessionStore> ExpiredDeletion for TowerStore<S> {
    /// satchel's prune: every expired session goes, those refreshed meanwhile stay.
    async fn delete_expired(&self) -> Result<()> {
        Ok(self.delete_expired_sessions().await?)
    }
}
