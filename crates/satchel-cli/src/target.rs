//! The `ID` argument of `show` and `delete`: a session id or a stored key.

use satchel::{SessionStore, StorageKey};

use crate::error::Failure;

/// The session an `ID` argument names, and how it was named (for the error message).
#[derive(Debug)]
pub(crate) enum Target {
    /// Named by its session id (the cookie value), already hashed to its stored key.
    Id(StorageKey),
    /// Named by its stored key, as `list` prints it.
    Key(StorageKey),
}

impl Target {
    /// Reads `text` as a session id this store accepts, else as a stored key. The two
    /// shapes do not overlap (32 base64 characters against 64 hex digits).
    pub(crate) fn parse(store: &impl SessionStore, text: &str) -> Result<Self, Failure> {
        let ids = store.ids();
        if let Some(id) = ids.parse(text) {
            return Ok(Self::Id(ids.storage_key(&id)));
        }
        // The text is not echoed: it may be a mistyped cookie, or not fit on one line.
        StorageKey::parse(text).map(Self::Key).ok_or_else(|| {
            Failure::new(
                "the ID is neither a session id (a cookie value) nor a stored key \
                 (64 lowercase hex digits, as `satchel list` prints)",
            )
        })
    }

    /// The key the session is stored under, if any. A store keyed by raw session ids
    /// (werkzeug's files) is listed by their hashes, so such a key is looked up among the
    /// stored ones.
    pub(crate) async fn stored_key(
        &self,
        store: &impl SessionStore,
    ) -> satchel::Result<Option<StorageKey>> {
        match self {
            Self::Key(key) if store.ids().stores_raw_ids() => {
                let stored = store.list().await?;
                Ok(stored
                    .into_iter()
                    .find(|stored| listed_key(store, stored).as_ref() == Some(key)))
            }
            Self::Id(key) | Self::Key(key) => Ok(Some(key.clone())),
        }
    }

    /// The error for a session that is not stored; a stored key is safe to repeat, an id is
    /// a credential and is not.
    pub(crate) fn not_found(&self) -> Failure {
        match self {
            Self::Id(_) => Failure::new("no session with this id"),
            Self::Key(key) => Failure::new(format!("no session stored under key {key}")),
        }
    }
}

/// The key `list` prints for a stored one: itself, or for a store keyed by raw session
/// ids the SHA-256 of the id, as every other store keys it; never a raw id (`None` for a
/// key that is not an id, which no such store lists).
pub(crate) fn listed_key(store: &impl SessionStore, stored: &StorageKey) -> Option<StorageKey> {
    let ids = store.ids();
    if !ids.stores_raw_ids() {
        return Some(stored.clone());
    }
    ids.parse(stored.as_str()).map(|id| id.storage_key())
}
