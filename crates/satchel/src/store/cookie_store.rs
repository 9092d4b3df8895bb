//! `CookieStore`: the whole session in the cookie, encrypted (or signed), name-bound,
//! expiring and key-rotating.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::SaveOutcome;
use crate::cookie::{Key, Protection, envelope};
use crate::{Changes, Clock, Error, Record, Result, Session, SessionId, SessionStore, StorageKey};

/// Browsers drop a cookie whose name and value exceed this (RFC 6265bis).
pub const MAX_COOKIE_BYTES: usize = 4096;
/// The cookie name [`SessionStore::get`] binds to when no middleware names one.
const DEFAULT_NAME: &str = "session_id";

/// Sessions kept in the cookie itself, for apps that want no server-side state: werkzeug's
/// `securecookie`, done safely.
///
/// - **Encrypted** with XChaCha20-Poly1305 by default, or only signed with HMAC-SHA256
///   ([`Protection::Signed`]) when the client may read its session.
/// - **Bound** to the cookie's name, the format version and the key id: a value moved to
///   another cookie, or read as the other format, is rejected.
/// - **Expiring inside the payload**: the idle and absolute deadlines travel encrypted, so
///   an old cookie is refused whatever the browser does with it.
/// - **Key rotation**: the newest key seals, every key opens, and a cookie opened with an
///   older key is re-issued under the newest in the same response.
/// - **Size**: a session whose cookie would pass 4096 bytes is an error at save time
///   ([`Error::TooLarge`]); no truncated cookie is ever sent.
///
/// Tampered, truncated, wrongly keyed or malformed cookies are "no session". Two things a
/// server store gives and a cookie cannot: a session cannot be revoked before it expires
/// (logout only asks the browser to forget it), and concurrent requests cannot merge their
/// changes (the last response's cookie wins). See [`docs::cookie_sessions`](crate::docs).
///
/// # Example
/// ```
/// use satchel::cookie::Key;
/// use satchel::{CookieStore, SessionLayer};
///
/// let store = CookieStore::new(Key::generate()?);
/// let layer = SessionLayer::new(store);
/// # Ok::<(), satchel::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct CookieStore {
    keys: Vec<Key>,
    protection: Protection,
    clock: Clock,
}

/// What the cookie carries, compactly.
#[derive(Serialize, Deserialize)]
struct Payload {
    /// The session's id: an identity for the session, never a lookup key.
    i: String,
    /// Created, unix seconds.
    c: i64,
    /// Expires, unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    e: Option<i64>,
    d: Map<String, Value>,
}

impl CookieStore {
    /// Encrypted cookie sessions under `key`.
    ///
    /// # Example
    /// ```
    /// let store = satchel::CookieStore::new(satchel::cookie::Key::generate()?);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn new(key: Key) -> Self {
        Self {
            keys: vec![key],
            protection: Protection::Encrypted,
            clock: Clock::system(),
        }
    }

    /// Also opens cookies sealed under `key`, an older key being rotated out; the newest key
    /// (the one given to [`CookieStore::new`]) still seals.
    ///
    /// # Example
    /// ```
    /// use satchel::{CookieStore, cookie::Key};
    /// let (old, new) = (Key::generate()?, Key::generate()?);
    /// let store = CookieStore::new(new).with_previous_key(old);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn with_previous_key(mut self, key: Key) -> Self {
        self.keys.push(key);
        self
    }

    /// Signs instead of encrypting, so the client can read (not change) its session.
    ///
    /// # Example
    /// ```
    /// use satchel::cookie::{Key, Protection};
    /// let store = satchel::CookieStore::new(Key::generate()?).with_protection(Protection::Signed);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn with_protection(mut self, protection: Protection) -> Self {
        self.protection = protection;
        self
    }

    /// Judges expiry by `clock` (tests use a manual one).
    ///
    /// # Example
    /// ```
    /// let clock = satchel::Clock::manual(time::OffsetDateTime::UNIX_EPOCH);
    /// let store = satchel::CookieStore::new(satchel::cookie::Key::generate()?).with_clock(clock);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The session a cookie value holds, or `None` (logged) for anything that does not
    /// open: tampered, truncated, wrongly keyed, moved, malformed or expired.
    fn open(&self, cookie_name: &str, value: &str) -> Option<Session> {
        let Some((bytes, key_index)) =
            envelope::open(self.protection, &self.keys, cookie_name, value)
        else {
            tracing::debug!("a session cookie did not open; starting a fresh session");
            return None;
        };
        let payload: Payload = serde_json::from_slice(&bytes).ok()?;
        let mut session = Session::from_record(SessionId::parse(&payload.i)?, record(payload)?);
        if session
            .expires_at()
            .is_some_and(|at| at <= self.clock.now())
        {
            tracing::debug!("an expired session cookie; starting a fresh session");
            return None;
        }
        if key_index > 0 {
            session.mark_modified(); // re-issue under the newest key now
        }
        Some(session)
    }

    /// The cookie value holding `session`, sealed under the newest key.
    fn seal(&self, cookie_name: &str, session: &Session) -> Result<String> {
        let payload = Payload {
            i: session.id().as_str().to_owned(),
            c: session.created_at().unix_timestamp(),
            e: session.expires_at().map(OffsetDateTime::unix_timestamp),
            d: session.data().clone(),
        };
        let bytes = serde_json::to_vec(&payload).map_err(Error::Encode)?;
        let value = envelope::seal(self.protection, &self.keys[0], cookie_name, &bytes)?;
        let size = cookie_name.len() + 1 + value.len();
        if size > MAX_COOKIE_BYTES {
            tracing::error!(size, "a cookie session is too large to send; answering 500");
            return Err(Error::TooLarge {
                size,
                limit: MAX_COOKIE_BYTES,
            });
        }
        Ok(value)
    }
}

fn record(payload: Payload) -> Option<Record> {
    Record::from_unix_seconds(payload.d, payload.c, payload.e)
}

/// The record-level operations have no server side to act on: the cookie is the record.
impl SessionStore for CookieStore {
    async fn create(&self, _: &StorageKey, _: &Record) -> Result<bool> {
        Ok(true)
    }
    async fn load(&self, _: &StorageKey) -> Result<Option<Record>> {
        Ok(None)
    }
    async fn update(&self, _: &StorageKey, _: &Changes) -> Result<bool> {
        Ok(true)
    }
    async fn delete(&self, _: &StorageKey) -> Result<bool> {
        Ok(false)
    }
    async fn delete_expired(&self, _: &StorageKey) -> Result<bool> {
        Ok(false)
    }
    async fn list(&self) -> Result<Vec<StorageKey>> {
        Ok(Vec::new())
    }
    async fn touch(&self, _: &StorageKey, _: Option<OffsetDateTime>) -> Result<bool> {
        Ok(true)
    }

    fn clock(&self) -> Clock {
        self.clock.clone()
    }

    /// Opens a value bound to the default cookie name, `session_id`.
    async fn get(&self, key: &str) -> Result<Session> {
        self.session_from_cookie(DEFAULT_NAME, key).await
    }

    async fn session_from_cookie(&self, cookie_name: &str, value: &str) -> Result<Session> {
        match self.open(cookie_name, value) {
            Some(session) => Ok(session),
            None => self.new_session(),
        }
    }

    fn cookie_value(&self, cookie_name: &str, session: &Session) -> Result<String> {
        self.seal(cookie_name, session)
    }

    fn keeps_sessions_in_cookies(&self) -> bool {
        true
    }

    /// Nothing to write anywhere but the cookie: the outcome only tells the middleware
    /// which cookie to send.
    async fn save(&self, session: &mut Session) -> Result<SaveOutcome> {
        let outcome = if session.is_destroyed() {
            if session.is_stored() {
                SaveOutcome::Deleted
            } else {
                SaveOutcome::Unchanged
            }
        } else if !session.should_save() {
            return Ok(SaveOutcome::Unchanged);
        } else if session.previous_id().is_some() {
            SaveOutcome::Rotated
        } else if session.is_stored() {
            SaveOutcome::Updated
        } else {
            SaveOutcome::Created
        };
        if session.is_destroyed() {
            session.mark_gone();
        } else {
            session.mark_saved();
        }
        Ok(outcome)
    }
}
