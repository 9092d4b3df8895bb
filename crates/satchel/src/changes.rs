//! The changes a request made to a session: what a store applies when it saves.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::owner::Owner;

/// The keys a session set and removed since it was loaded, with the new values.
///
/// Stores apply these to what is stored *now*, atomically, rather than writing the whole
/// map back: two requests that change different keys of one session both survive, and on
/// one key the last write wins.
///
/// # Example
/// ```
/// use satchel::{Session, SessionId};
/// use serde_json::{json, Map};
///
/// let mut session = Session::new(SessionId::generate()?);
/// session.insert("a", 1)?;
/// let changes = session.changes();
///
/// let mut stored = Map::new();
/// stored.insert("b".into(), json!(2)); // written meanwhile by another request
/// changes.apply_to(&mut stored);
/// assert_eq!(stored.len(), 2);
/// # Ok::<(), satchel::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes {
    /// The whole map was cleared before `set` and `removed` apply.
    pub cleared: bool,
    /// Keys set, with their new values.
    pub set: Map<String, Value>,
    /// Keys removed.
    pub removed: Vec<String>,
    /// The session's expiry after this save.
    pub expires_at: Option<OffsetDateTime>,
    /// The user the session is tied to after this save, when that changed (`Some(None)`:
    /// no user any more).
    pub owner: Option<Option<Owner>>,
}

impl Changes {
    /// Applies the changes to a map of session data.
    ///
    /// # Example
    /// ```
    /// use satchel::Changes;
    /// use serde_json::{json, Map};
    ///
    /// let mut changes = Changes::default();
    /// changes.removed.push("gone".into());
    /// let mut data = Map::new();
    /// data.insert("gone".into(), json!(true));
    /// changes.apply_to(&mut data);
    /// assert!(data.is_empty());
    /// ```
    pub fn apply_to(&self, data: &mut Map<String, Value>) {
        if self.cleared {
            data.clear();
        }
        for key in &self.removed {
            data.remove(key);
        }
        for (key, value) in &self.set {
            data.insert(key.clone(), value.clone());
        }
    }

    /// Whether applying the changes would leave the data as it is.
    ///
    /// # Example
    /// ```
    /// assert!(satchel::Changes::default().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        !self.cleared && self.set.is_empty() && self.removed.is_empty()
    }
}
