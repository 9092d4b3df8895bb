//! What a store keeps for one session.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::changes::Changes;
use crate::clock::Clock;
use crate::owner::Owner;

/// A stored session: its data and the times the store needs to know.
///
/// Stores keep one record per session, under the session id's
/// [`StorageKey`](crate::StorageKey). A record whose `expires_at` has passed is never
/// handed out as a session ([`SessionStoreExt::get`](crate::SessionStoreExt::get) checks), and
/// stores never apply changes to it.
///
/// # Example
/// ```
/// use satchel::Record;
/// use serde_json::json;
///
/// let mut record = Record::new();
/// record.data.insert("user".into(), json!("alice"));
/// assert!(!record.is_expired(time::OffsetDateTime::now_utc()));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The session's data.
    pub data: Map<String, Value>,
    /// When the session was first saved.
    #[serde(with = "time::serde::timestamp")]
    pub created_at: OffsetDateTime,
    /// When the store must stop returning the session; `None` keeps it until deleted.
    #[serde(with = "time::serde::timestamp::option", default)]
    pub expires_at: Option<OffsetDateTime>,
    /// The user the session is tied to, if the app tied it to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
}

impl Record {
    /// An empty record created now, with no expiry.
    ///
    /// # Example
    /// ```
    /// let record = satchel::Record::new();
    /// assert!(record.data.is_empty());
    /// assert_eq!(record.expires_at, None);
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self {
            data: Map::new(),
            created_at: Clock::system().now(),
            expires_at: None,
            owner: None,
        }
    }

    /// A record from times kept as unix seconds, as the database and cookie stores keep
    /// them; `None` when a time is outside the calendar (a corrupt record).
    #[cfg_attr(
        not(any(feature = "sqlite", feature = "postgres", feature = "cookie-store")),
        allow(dead_code)
    )]
    pub(crate) fn from_unix_seconds(
        data: Map<String, Value>,
        created_at: i64,
        expires_at: Option<i64>,
    ) -> Option<Self> {
        let time = |at: i64| OffsetDateTime::from_unix_timestamp(at).ok();
        Some(Self {
            data,
            created_at: time(created_at)?,
            expires_at: match expires_at {
                Some(at) => Some(time(at)?),
                None => None,
            },
            owner: None,
        })
    }

    /// Whether the record's expiry has passed at `now`.
    ///
    /// # Example
    /// ```
    /// use time::{Duration, OffsetDateTime};
    ///
    /// let mut record = satchel::Record::new();
    /// let now = OffsetDateTime::now_utc();
    /// record.expires_at = Some(now - Duration::seconds(1));
    /// assert!(record.is_expired(now));
    /// ```
    #[must_use]
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// Applies a session's changes to this record, as stores do when they save.
    ///
    /// # Example
    /// ```
    /// use satchel::{Record, Session, SessionId};
    ///
    /// let mut session = Session::new(SessionId::generate()?);
    /// session.insert("n", 1)?;
    /// let mut record = Record::new();
    /// record.apply(&session.changes());
    /// assert_eq!(record.data["n"], 1);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn apply(&mut self, changes: &Changes) {
        changes.apply_to(&mut self.data);
        self.expires_at = changes.expires_at;
        if let Some(owner) = &changes.owner {
            self.owner.clone_from(owner);
        }
    }
}

impl Default for Record {
    fn default() -> Self {
        Self::new()
    }
}
