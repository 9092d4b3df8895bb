//! Cookie sessions: the whole session sealed inside the cookie, encrypted (or signed),
//! bound to the cookie's name, expiring and key-rotating.

mod envelope;
mod key;
mod revocations;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

pub use envelope::Protection;
#[cfg(feature = "fuzzing")]
pub(crate) use envelope::{open as open_envelope, seal as seal_envelope};
pub use key::{Key, MIN_KEY_BYTES};
pub use revocations::Revocations;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::id::SessionId;
use crate::owner::{Owner, UserKey};
use crate::record::Record;
use crate::session::{Pending, Session};
use crate::store::SaveOutcome;

/// Browsers drop a cookie whose name and value exceed this (RFC 6265bis).
pub const MAX_COOKIE_BYTES: usize = 4096;

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
/// It is not a store: it goes into the middleware as the session's transport, with
/// [`SessionLayer::in_cookie`](crate::SessionLayer::in_cookie), and the handler API is the
/// same as with any store.
///
/// # Example
/// ```
/// use satchel::cookie::{CookieSessions, Key};
/// use satchel::SessionLayer;
///
/// let layer = SessionLayer::in_cookie(CookieSessions::new(Key::generate()?));
/// # let _ = layer;
/// # Ok::<(), satchel::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct CookieSessions {
    keys: Vec<Key>,
    protection: Protection,
    clock: Clock,
    revocations: Option<Revocations>,
}

/// What the cookie carries, compactly.
#[derive(Deserialize)]
struct Payload {
    /// The session's id: an identity for the session, never a lookup key.
    i: String,
    /// Created, unix seconds.
    c: i64,
    /// Expires, unix seconds.
    #[serde(default)]
    e: Option<i64>,
    /// The user the session is tied to (its key), for [`Revocations`].
    #[serde(default)]
    u: Option<String>,
    d: Map<String, Value>,
}

/// [`Payload`] as written: borrowed from the session, so sealing copies no data.
#[derive(Serialize)]
struct PayloadRef<'a> {
    i: &'a str,
    c: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    e: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    u: Option<&'a str>,
    d: &'a Map<String, Value>,
}

impl CookieSessions {
    /// Encrypted cookie sessions under `key`.
    ///
    /// # Example
    /// ```
    /// let store = satchel::cookie::CookieSessions::new(satchel::cookie::Key::generate()?);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn new(key: Key) -> Self {
        Self {
            keys: vec![key],
            protection: Protection::Encrypted,
            clock: Clock::system(),
            revocations: None,
        }
    }

    /// Also opens cookies sealed under `key`, an older key being rotated out; the newest key
    /// (the one given to [`CookieSessions::new`]) still seals.
    ///
    /// # Example
    /// ```
    /// use satchel::cookie::{CookieSessions, Key};
    /// let (old, new) = (Key::generate()?, Key::generate()?);
    /// let store = CookieSessions::new(new).with_previous_key(old);
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
    /// let store = satchel::cookie::CookieSessions::new(Key::generate()?).with_protection(Protection::Signed);
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
    /// let store = satchel::cookie::CookieSessions::new(satchel::cookie::Key::generate()?).with_clock(clock);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Checks every cookie of a user (a session with an [owner](Session::set_owner)) against
    /// `revocations` when it is opened, so the server can end all of a user's cookie
    /// sessions ([`SessionHandle::end_user_sessions`](crate::SessionHandle::end_user_sessions),
    /// or [`Revocations::revoke_all`] after a password change). See [`Revocations`] for
    /// the price: a store read per logged-in request.
    ///
    /// # Example
    /// ```
    /// use satchel::cookie::{CookieSessions, Key, Revocations};
    ///
    /// let revocations = Revocations::new(satchel::MemoryStore::new());
    /// let sessions = CookieSessions::new(Key::generate()?).with_revocations(revocations);
    /// assert!(sessions.revocations().is_some());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn with_revocations(mut self, revocations: Revocations) -> Self {
        self.revocations = Some(revocations);
        self
    }

    /// The revocation list cookies are checked against, if any.
    #[must_use]
    pub fn revocations(&self) -> Option<&Revocations> {
        self.revocations.as_ref()
    }

    /// The session a cookie named `cookie_name` holds, or `None` (logged) for anything
    /// that does not open: tampered, truncated, wrongly keyed, moved to another name,
    /// malformed or expired (werkzeug's `SecureCookie.unserialize`, failing closed). A
    /// cookie sealed under an older key comes back modified, so it is re-issued.
    ///
    /// # Example
    /// ```
    /// use satchel::cookie::{CookieSessions, Key};
    /// use satchel::{Session, SessionId};
    ///
    /// let sessions = CookieSessions::new(Key::generate()?);
    /// let mut session = Session::new(SessionId::generate()?);
    /// session.insert("user", "alice")?;
    /// let value = sessions.seal("session_id", &session)?;
    /// let opened = sessions.open("session_id", &value).expect("it opens");
    /// assert_eq!(opened.get::<String>("user")?.as_deref(), Some("alice"));
    /// assert!(sessions.open("other_name", &value).is_none());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn open(&self, cookie_name: &str, value: &str) -> Option<Session> {
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

    /// The value of a cookie named `cookie_name` holding `session`, sealed under the newest
    /// key (werkzeug's `SecureCookie.serialize`).
    ///
    /// # Errors
    /// [`Error::TooLarge`] when name and value would pass [`MAX_COOKIE_BYTES`];
    /// [`Error::Encode`] when the data cannot be encoded.
    ///
    /// # Example
    /// ```
    /// use satchel::cookie::{CookieSessions, Key};
    /// let sessions = CookieSessions::new(Key::generate()?);
    /// let mut big = satchel::Session::new(satchel::SessionId::generate()?);
    /// big.insert("blob", "x".repeat(5000))?;
    /// assert!(matches!(sessions.seal("session_id", &big), Err(satchel::Error::TooLarge { .. })));
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn seal(&self, cookie_name: &str, session: &Session) -> Result<String> {
        let payload = PayloadRef {
            i: session.id().as_str(),
            c: session.created_at().unix_timestamp(),
            e: session.expires_at().map(OffsetDateTime::unix_timestamp),
            u: session.owner().map(|owner| owner.user().as_str()),
            d: session.data(),
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

    /// The clock expiry is judged by.
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// A new, empty session created now.
    pub(crate) fn new_session(&self) -> Result<Session> {
        Ok(Session::new_at(SessionId::generate()?, self.clock.now()))
    }

    /// What a save means when the cookie is the record: nothing is written anywhere but
    /// the cookie, so the outcome only tells the middleware which cookie to send.
    pub(crate) fn commit(session: &mut Session) -> SaveOutcome {
        let outcome = match session.pending() {
            Pending::Nothing => return SaveOutcome::Unchanged,
            Pending::Gone => return SaveOutcome::Gone,
            Pending::Delete(None) => SaveOutcome::Unchanged,
            Pending::Delete(Some(_)) => SaveOutcome::Deleted,
            Pending::Create | Pending::CreateAdopted => SaveOutcome::Created,
            Pending::Update => SaveOutcome::Updated,
            Pending::Rotate(_) => SaveOutcome::Rotated,
        };
        if session.is_destroyed() {
            session.mark_gone();
        } else {
            session.mark_saved();
        }
        outcome
    }
}

fn record(payload: Payload) -> Option<Record> {
    let mut record = Record::from_unix_seconds(payload.d, payload.c, payload.e)?;
    if let Some(user) = payload.u {
        record.owner = Some(Owner::new(UserKey::from_stored(&user)?));
    }
    Some(record)
}
