//! Session ids: generated from the OS CSPRNG, parsed strictly, hashed for storage.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

use crate::error::Result;

/// Random bytes in an id: 192 bits, above the 128 that OWASP and ASVS ask for.
const RANDOM_BYTES: usize = 24;
/// 24 bytes are exactly 32 base64 characters: no padding and no spare bits to canonicalise.
const ENCODED_LEN: usize = 32;

/// A session id: the value of the session cookie.
///
/// It is 192 bits from the operating system's CSPRNG, written as 32 URL-safe base64
/// characters. [`SessionId::parse`] is the only way text from outside becomes an id, and it
/// accepts nothing but that exact shape, which keeps crafted cookies out of paths and queries.
///
/// `Debug` shows only the first four characters, and there is no `Display`, so an id does not
/// end up in logs by accident; [`SessionId::as_str`] gives the full value for the cookie.
///
/// # Example
/// ```
/// use satchel::SessionId;
///
/// let id = SessionId::generate()?;
/// assert_eq!(id.as_str().len(), 32);
/// assert_eq!(SessionId::parse(id.as_str()), Some(id.clone()));
/// assert!(!format!("{id:?}").contains(id.as_str()));
/// # Ok::<(), satchel::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionId(Box<str>);

impl SessionId {
    /// Generates a fresh id from the operating system's CSPRNG.
    ///
    /// # Errors
    /// [`Error::Io`](crate::Error::Io) when the operating system cannot provide randomness;
    /// there is no weaker fallback.
    ///
    /// # Example
    /// ```
    /// let a = satchel::SessionId::generate()?;
    /// let b = satchel::SessionId::generate()?;
    /// assert_ne!(a, b);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn generate() -> Result<Self> {
        let mut bytes = [0u8; RANDOM_BYTES];
        crate::random::fill(&mut bytes)?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes).into()))
    }

    /// Parses a cookie value; anything but 32 characters of `[A-Za-z0-9_-]` is `None`.
    ///
    /// # Example
    /// ```
    /// use satchel::SessionId;
    ///
    /// assert!(SessionId::parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").is_some());
    /// assert!(SessionId::parse("../../../../etc/passwd__________").is_none());
    /// assert!(SessionId::parse("short").is_none());
    /// ```
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::is_well_formed(text).then(|| Self(text.into()))
    }

    /// Whether [`SessionId::parse`] would accept `text`, without making the id.
    pub(crate) fn is_well_formed(text: &str) -> bool {
        text.len() == ENCODED_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    /// An id already checked against its policy's shape.
    pub(crate) fn from_checked(text: String) -> Self {
        Self(text.into())
    }

    /// The full id, as it goes into the cookie.
    ///
    /// # Example
    /// ```
    /// let id = satchel::SessionId::generate()?;
    /// assert!(id.as_str().chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key a store keeps this session under: the SHA-256 of the id, so a leaked store
    /// holds no usable cookie.
    ///
    /// # Example
    /// ```
    /// let id = satchel::SessionId::generate()?;
    /// let key = id.storage_key();
    /// assert_eq!(key.as_str().len(), 64);
    /// assert!(!key.as_str().contains(id.as_str()));
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn storage_key(&self) -> StorageKey {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        // By hand: `hex::encode` collects chars one by one, a measurable share of a request.
        let mut text = String::with_capacity(64);
        for byte in Sha256::digest(self.0.as_bytes()) {
            text.push(char::from(HEX[usize::from(byte >> 4)]));
            text.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        StorageKey(text)
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.0.get(..4).unwrap_or("");
        write!(f, "SessionId({shown}…)")
    }
}

/// The name a store keeps a session under: 64 lowercase hex characters of SHA-256(id).
///
/// It is safe to show (the CLI lists these): it cannot be turned back into the id, and
/// presenting it as a cookie finds no session.
///
/// # Example
/// ```
/// use satchel::{SessionId, StorageKey};
///
/// let key = SessionId::generate()?.storage_key();
/// assert_eq!(StorageKey::parse(key.as_str()), Some(key.clone()));
/// assert!(StorageKey::parse("not-a-hash").is_none());
/// # Ok::<(), satchel::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StorageKey(String);

impl StorageKey {
    /// Parses 64 lowercase hex characters.
    ///
    /// # Example
    /// ```
    /// assert!(satchel::StorageKey::parse(&"a".repeat(64)).is_some());
    /// assert!(satchel::StorageKey::parse(&"A".repeat(64)).is_none());
    /// ```
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let well_formed = text.len() == 64
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        well_formed.then(|| Self(text.to_owned()))
    }

    /// A key of another store's format, already checked by that store (werkzeug's files
    /// are named by the raw id).
    #[cfg_attr(not(feature = "werkzeug"), allow(dead_code))]
    pub(crate) fn from_checked(text: String) -> Self {
        Self(text)
    }

    /// The key as text.
    ///
    /// # Example
    /// ```
    /// let key = satchel::SessionId::generate()?.storage_key();
    /// assert!(key.as_str().bytes().all(|b| b.is_ascii_hexdigit()));
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    #[test]
    fn generated_ids_are_unique_and_parse_back() {
        let ids: HashSet<_> = (0..10_000)
            .map(|_| SessionId::generate().unwrap())
            .collect();
        assert_eq!(ids.len(), 10_000);
        for id in &ids {
            assert_eq!(SessionId::parse(id.as_str()).as_ref(), Some(id));
        }
    }

    #[test]
    fn debug_hides_the_id() {
        let id = SessionId::generate().unwrap();
        let shown = format!("{id:?}");
        assert!(!shown.contains(id.as_str()));
        assert!(shown.len() < 20);
    }

    #[test]
    fn storage_key_is_stable_and_not_an_id() {
        let id = SessionId::parse("abcdefghijklmnopqrstuvwxyz012345").unwrap();
        assert_eq!(id.storage_key(), id.storage_key());
        assert!(SessionId::parse(id.storage_key().as_str()).is_none());
        // Known answer: Python's hashlib.sha256(b"abc…345").hexdigest().
        assert_eq!(
            id.storage_key().as_str(),
            "653bb1245e828fcda4fa53fcd5a3def5bd7654e651f54b4132b73d74e64435c4"
        );
    }

    proptest! {
        #[test]
        fn parse_accepts_exactly_the_id_shape(text in ".{0,80}") {
            let shape = text.len() == 32
                && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            prop_assert_eq!(SessionId::parse(&text).is_some(), shape);
        }

        #[test]
        fn parse_round_trips(text in "[A-Za-z0-9_-]{32}") {
            let id = SessionId::parse(&text).unwrap();
            prop_assert_eq!(id.as_str(), text.as_str());
        }
    }
}
