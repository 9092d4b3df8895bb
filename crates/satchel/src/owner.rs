//! Whose session it is: the user a session is tied to, and the handle that ends it.
//!
//! A session tied to a user ([`Session::set_owner`](crate::Session::set_owner), at login)
//! joins that user's index in the store, so the app can list the user's sessions and end
//! one or all of them ([`UserSessions`](crate::UserSessions)). The store keeps the user's
//! key hashed like the ids unless the app asks otherwise, and hands out a [`Handle`] for
//! each session, never its id.

use std::fmt;

use crate::session::Session;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::expiry::Expiry;
use crate::id::StorageKey;

/// The longest [`Owner`] label kept, in bytes; a longer one is cut at a character boundary.
pub const LABEL_LIMIT: usize = 200;

/// Why werkzeug's file format refuses to tie a session to a user.
pub(crate) const WERKZEUG_HAS_NO_OWNERS: &str = "werkzeug's file format has no place for a session's user; use a file: store to tie sessions to users";

/// The longest plain [`UserKey`], in bytes.
const PLAIN_LIMIT: usize = 256;

/// A user as the store indexes them: by default the SHA-256 of the app's user name, so a
/// dump of the store does not list who is logged in.
///
/// Use one kind per store: a store indexes exactly the key it is given.
///
/// # Example
/// ```
/// use satchel::UserKey;
///
/// let key = UserKey::hashed("alice");
/// assert_eq!(key.as_str().len(), 64);
/// assert_ne!(key.as_str(), "alice");
/// assert_eq!(UserKey::plain("alice")?.as_str(), "alice");
/// # Ok::<(), satchel::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserKey(Box<str>);

impl UserKey {
    /// The key of `user`: the SHA-256 of the name (with a prefix that keeps it apart from
    /// session ids' hashes), in lowercase hex.
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::UserKey::hashed("bob"), satchel::UserKey::hashed("bob"));
    /// ```
    #[must_use]
    pub fn hashed(user: &str) -> Self {
        Self(hex::encode(digest(b"satchel.user\0", user.as_bytes())).into())
    }

    /// `user` itself as the key, for apps that want to read the index (an opaque user id
    /// of their own, say).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an empty key, one over 256 bytes, or one with control
    /// characters.
    ///
    /// # Example
    /// ```
    /// assert!(satchel::UserKey::plain("line\nbreak").is_err());
    /// ```
    pub fn plain(user: &str) -> Result<Self> {
        if user.is_empty() || user.len() > PLAIN_LIMIT || user.chars().any(char::is_control) {
            return Err(Error::InvalidConfig(format!(
                "a plain user key must be 1 to {PLAIN_LIMIT} bytes without control characters"
            )));
        }
        Ok(Self(user.into()))
    }

    /// The key as stored.
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::UserKey::plain("u-1")?.as_str(), "u-1");
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key from its stored form, as a store reads it back; `None` for one that
    /// neither kind makes.
    pub(crate) fn from_stored(text: &str) -> Option<Self> {
        Self::plain(text).ok()
    }

    /// Where cookie sessions keep the user's "valid after" time: a SHA-256 of its own.
    #[cfg(feature = "cookie-store")]
    pub(crate) fn revocation_name(&self) -> String {
        hex::encode(digest(b"satchel.revoked\0", self.0.as_bytes()))
    }

    /// A name for the key that is safe as a file name or a Redis key part: its SHA-256.
    #[cfg_attr(
        not(any(all(feature = "fs", unix), feature = "redis")),
        allow(dead_code)
    )]
    pub(crate) fn index_name(&self) -> String {
        hex::encode(digest(b"satchel.index\0", self.0.as_bytes()))
    }
}

impl fmt::Debug for UserKey {
    // A plain key may be a user's name: keep it out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserKey(..)")
    }
}

/// The user a session belongs to, with a short label the app chose (a user agent, say).
///
/// # Example
/// ```
/// use satchel::{Owner, UserKey};
///
/// let owner = Owner::new(UserKey::hashed("alice")).with_label("Firefox on Linux");
/// assert_eq!(owner.label(), Some("Firefox on Linux"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    user: UserKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    label: Option<Box<str>>,
}

impl Owner {
    /// The owner `user`, without a label.
    ///
    /// # Example
    /// ```
    /// let owner = satchel::Owner::new(satchel::UserKey::hashed("alice"));
    /// assert_eq!(owner.label(), None);
    /// ```
    #[must_use]
    pub fn new(user: UserKey) -> Self {
        Self { user, label: None }
    }

    /// With `label` shown beside the session in the user's list: control characters are
    /// dropped and the text is cut to [`LABEL_LIMIT`] bytes, since it often comes from a
    /// request header.
    ///
    /// # Example
    /// ```
    /// let owner = satchel::Owner::new(satchel::UserKey::hashed("a")).with_label("x\u{0}y");
    /// assert_eq!(owner.label(), Some("xy"));
    /// ```
    #[must_use]
    pub fn with_label(mut self, label: &str) -> Self {
        let mut kept = String::new();
        for c in label.chars().filter(|c| !c.is_control()) {
            if kept.len() + c.len_utf8() > LABEL_LIMIT {
                break;
            }
            kept.push(c);
        }
        self.label = (!kept.is_empty()).then(|| kept.into());
        self
    }

    /// The user's key.
    ///
    /// # Example
    /// ```
    /// let user = satchel::UserKey::hashed("alice");
    /// assert_eq!(satchel::Owner::new(user.clone()).user(), &user);
    /// ```
    #[must_use]
    pub fn user(&self) -> &UserKey {
        &self.user
    }

    /// The label, if the app gave one.
    ///
    /// # Example
    /// ```
    /// let owner = satchel::Owner::new(satchel::UserKey::hashed("a")).with_label("phone");
    /// assert_eq!(owner.label(), Some("phone"));
    /// ```
    #[must_use]
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// An owner read back from a store's columns; `None` when the key is not one a
    /// [`UserKey`] constructor makes (a corrupt row).
    #[cfg_attr(
        not(any(feature = "sqlite", feature = "postgres", feature = "redis")),
        allow(dead_code)
    )]
    pub(crate) fn from_stored(user: &str, label: Option<&str>) -> Option<Self> {
        let owner = Self::new(UserKey::from_stored(user)?);
        Some(match label {
            Some(label) => owner.with_label(label),
            None => owner,
        })
    }
}

/// Names one session of a user without being its id: what a "your sessions" page shows and
/// sends back to end one. Derived from the storage key, so it cannot be turned back into
/// the id or the key.
///
/// # Example
/// ```
/// use satchel::{Handle, SessionId};
///
/// let key = SessionId::generate()?.storage_key();
/// let handle = Handle::of(&key);
/// assert_eq!(Handle::parse(handle.as_str()), Some(handle.clone()));
/// assert_eq!(handle.as_str().len(), 32);
/// # Ok::<(), satchel::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Handle(Box<str>);

impl Handle {
    /// The handle of the session stored under `key`.
    ///
    /// # Example
    /// ```
    /// let key = satchel::SessionId::generate()?.storage_key();
    /// assert_eq!(satchel::Handle::of(&key), satchel::Handle::of(&key));
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn of(key: &StorageKey) -> Self {
        Self(hex::encode(&digest(b"satchel.handle\0", key.as_str().as_bytes())[..16]).into())
    }

    /// A handle from its text (32 lowercase hex digits), as a client sends it back.
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::Handle::parse("../x"), None);
    /// ```
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let shaped =
            text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        shaped.then(|| Self(text.into()))
    }

    /// The handle as text.
    ///
    /// # Example
    /// ```
    /// let key = satchel::SessionId::generate()?.storage_key();
    /// assert!(satchel::Handle::of(&key).as_str().bytes().all(|b| b.is_ascii_hexdigit()));
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One of a user's sessions, as [`UserSessions::sessions_of`](crate::UserSessions::sessions_of)
/// lists them.
///
/// # Example
/// ```
/// use satchel::{MemoryStore, Owner, SessionStoreExt, UserKey, UserSessions};
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let store = MemoryStore::new();
/// let mut session = store.new_session()?;
/// session.set_owner(Some(Owner::new(UserKey::hashed("alice")).with_label("laptop")));
/// store.save(&mut session).await?;
/// let listed = store.sessions_of(&UserKey::hashed("alice")).await?;
/// assert_eq!(listed[0].label(), Some("laptop"));
/// # Ok::<(), satchel::Error>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSession {
    pub(crate) handle: Handle,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) expires_at: Option<OffsetDateTime>,
    pub(crate) label: Option<String>,
    pub(crate) current: bool,
}

impl UserSession {
    /// The handle that ends this session.
    #[must_use]
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// When the session was first saved.
    #[must_use]
    pub fn created_at(&self) -> OffsetDateTime {
        self.created_at
    }

    /// When the store stops returning it, unless activity moves it.
    #[must_use]
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        self.expires_at
    }

    /// The owner's label of it.
    #[must_use]
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// Whether it is the session of the request that listed it
    /// ([`SessionHandle::user_sessions`](crate::SessionHandle::user_sessions)); a list from
    /// the store itself marks none.
    #[must_use]
    pub fn is_current(&self) -> bool {
        self.current
    }

    /// When the session was last used, as `expiry`'s idle timeout tells it from the expiry
    /// the store keeps: exact to the touch interval (a minute by default); once the
    /// absolute timeout caps the expiry it is the earliest the last use can have been. The
    /// creation time without an idle timeout.
    ///
    /// # Example
    /// ```
    /// use satchel::Expiry;
    /// use satchel::time::Duration;
    /// # use satchel::{MemoryStore, Owner, SessionStoreExt, UserKey, UserSessions};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// # let store = MemoryStore::new();
    /// # let mut session = store.new_session()?;
    /// # session.set_owner(Some(Owner::new(UserKey::hashed("alice"))));
    /// let expiry = Expiry::new().with_idle_timeout(Duration::minutes(30));
    /// session.set_expires_at(Some(session.created_at() + Duration::minutes(40)));
    /// store.save(&mut session).await?;
    /// let listed = &store.sessions_of(&UserKey::hashed("alice")).await?[0];
    /// assert_eq!(listed.last_seen(&expiry), listed.created_at() + Duration::minutes(10));
    /// # Ok::<(), satchel::Error>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn last_seen(&self, expiry: &Expiry) -> OffsetDateTime {
        match (expiry.idle_timeout(), self.expires_at) {
            (Some(idle), Some(at)) => at
                .checked_sub(idle)
                .map_or(self.created_at, |seen| seen.max(self.created_at)),
            _ => self.created_at,
        }
    }
}

/// Tying a session to its user.
impl Session {
    /// Ties the session to `owner` (at login) or unties it (`None`), from its next save
    /// on: the store adds it to that user's index, and the tie moves with
    /// [`Session::rotate_id`] and goes when the session is deleted or expires. werkzeug's
    /// file format has no place for it and refuses the save.
    ///
    /// # Example
    /// ```
    /// use satchel::{Owner, Session, SessionId, UserKey};
    ///
    /// let mut session = Session::new(SessionId::generate()?);
    /// session.set_owner(Some(Owner::new(UserKey::hashed("alice"))));
    /// assert!(session.should_save());
    /// assert_eq!(session.owner().map(Owner::user), Some(&UserKey::hashed("alice")));
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn set_owner(&mut self, owner: Option<Owner>) {
        self.owner = owner;
        self.owner_changed = true;
        self.mark_modified();
    }

    /// The user the session is tied to, if any.
    ///
    /// # Example
    /// ```
    /// let session = satchel::Session::new(satchel::SessionId::generate()?);
    /// assert!(session.owner().is_none());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn owner(&self) -> Option<&Owner> {
        self.owner.as_ref()
    }
}

fn digest(domain: &[u8], text: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(domain);
    hasher.update(text);
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_keys_are_known_answers_and_apart_from_handles() {
        // Python: hashlib.sha256(b"satchel.user\0alice").hexdigest()
        let key = UserKey::hashed("alice");
        assert_eq!(
            key.as_str(),
            "60cffb3b44b0502c695ecbccb87241e294095f32f1758d85b65bfbdba0b917e5"
        );
        assert!(UserKey::from_stored(key.as_str()).is_some());
        assert_ne!(key.index_name(), key.as_str());
    }

    #[test]
    fn labels_are_cut_at_a_character_boundary() {
        let owner = Owner::new(UserKey::hashed("a")).with_label(&"é".repeat(150));
        assert_eq!(owner.label().map(str::len), Some(LABEL_LIMIT));
        assert_eq!(
            Owner::new(UserKey::hashed("a")).with_label("\n").label(),
            None
        );
    }

    #[test]
    fn debug_hides_plain_keys() {
        let owner = Owner::new(UserKey::plain("alice@example.com").unwrap());
        assert!(!format!("{owner:?}").contains("alice"));
    }
}
