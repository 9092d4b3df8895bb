//! Ending cookie sessions from the server: a per-user "valid after" time, kept in a
//! server store the app chooses and checked when a cookie session of that user is opened
//! (OWASP ASVS 7.4.1).
//!
//! A cookie session cannot be deleted: it lives in the browser. What the server can do
//! is refuse, from some moment on, every cookie of a user sealed before it. The price is
//! one read of the store per request of a logged-in user (anonymous cookies are never
//! checked), which gives back part of what cookie sessions save; and it ends all the
//! user's cookies at once, never one device alone.

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::changes::Changes;
use crate::error::{Error, Result};
use crate::id::StorageKey;
use crate::owner::UserKey;
use crate::record::Record;
use crate::session::Session;
use crate::store::{AnyStore, SessionStore};

/// The field of a revocation record that holds the time, in unix seconds.
const VALID_AFTER: &str = "valid_after";

/// Per-user "valid after" times for cookie sessions, in a server store (the one record
/// per user who revoked is kept until deleted; it is a few dozen bytes).
///
/// # Example
/// ```
/// use satchel::cookie::Revocations;
/// use satchel::{MemoryStore, UserKey};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let revocations = Revocations::new(MemoryStore::new());
/// let alice = UserKey::hashed("alice");
/// assert_eq!(revocations.valid_after(&alice).await?, None);
/// revocations.revoke_all(&alice).await?;
/// assert!(revocations.valid_after(&alice).await?.is_some());
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Revocations {
    store: AnyStore,
}

impl Revocations {
    /// Keeps the times in `store` (any server store; share it between the app's processes).
    #[must_use]
    pub fn new(store: impl SessionStore) -> Self {
        Self {
            store: AnyStore::new(store),
        }
    }

    /// Ends every cookie session of `user` sealed until now (this second included).
    ///
    /// # Errors
    /// The store failed; nothing was revoked then.
    pub async fn revoke_all(&self, user: &UserKey) -> Result<OffsetDateTime> {
        let now = self.store.clock().now();
        let key = key_of(user)?;
        let mut record = Record::new();
        record
            .data
            .insert(VALID_AFTER.into(), json!(now.unix_timestamp()));
        if !self.store.create(&key, &record).await? {
            let changes = Changes {
                set: record.data,
                ..Changes::default()
            };
            self.store.update(&key, &changes).await?;
        }
        Ok(now)
    }

    /// When `user`'s cookie sessions last were revoked: those sealed until then (that
    /// second included) are refused.
    ///
    /// # Errors
    /// The store failed.
    pub async fn valid_after(&self, user: &UserKey) -> Result<Option<OffsetDateTime>> {
        let Some(record) = self.store.load(&key_of(user)?).await? else {
            return Ok(None);
        };
        let at = record.data.get(VALID_AFTER).and_then(Value::as_i64);
        Ok(at.and_then(|at| OffsetDateTime::from_unix_timestamp(at).ok()))
    }

    /// Whether `session` was sealed before its user's cookies were revoked.
    pub(crate) async fn is_revoked(&self, session: &Session) -> Result<bool> {
        let Some(owner) = session.owner() else {
            return Ok(false);
        };
        let after = self.valid_after(owner.user()).await?;
        Ok(after.is_some_and(|after| session.created_at() <= after))
    }
}

/// Where `user`'s time is kept: a key of its own shape, apart from every session's.
fn key_of(user: &UserKey) -> Result<StorageKey> {
    StorageKey::parse(&user.revocation_name())
        .ok_or_else(|| Error::InvalidConfig("a revocation key is not a storage key".into()))
}
