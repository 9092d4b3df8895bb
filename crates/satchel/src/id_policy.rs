//! A store's id policy: the ids it accepts, how it draws new ones, and the key it keeps
//! each session under. One small piece, so werkzeug's file format can replace it whole.

use crate::error::Result;
use crate::id::{SessionId, StorageKey};

/// Which session ids a store accepts and how it keys them.
///
/// The default is satchel's: 192-bit URL-safe ids from the OS CSPRNG, stored under their
/// SHA-256, and an unknown id from a cookie gives a fresh session ("renew missing").
/// werkzeug's file format swaps in its own policy: 40 lowercase hex characters, files named
/// by the raw id.
///
/// # Example
/// ```
/// use satchel::IdPolicy;
///
/// let ids = IdPolicy::new();
/// let id = ids.generate()?;
/// assert_eq!(ids.parse(id.as_str()), Some(id.clone()));
/// assert_eq!(ids.storage_key(&id), id.storage_key());
/// assert!(ids.renews_missing() && !ids.stores_raw_ids());
/// # Ok::<(), satchel::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdPolicy {
    shape: Shape,
    renew_missing: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Satchel,
    #[cfg(feature = "werkzeug")]
    Werkzeug,
}

impl Default for IdPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl IdPolicy {
    /// satchel's own ids, hashed for storage, unknown ids renewed.
    ///
    /// # Example
    /// ```
    /// assert_eq!(satchel::IdPolicy::new(), satchel::IdPolicy::default());
    /// ```
    #[must_use]
    pub const fn new() -> Self {
        Self {
            shape: Shape::Satchel,
            renew_missing: true,
        }
    }

    /// werkzeug's ids: 40 lowercase hex characters (drawn from the CSPRNG, not werkzeug's
    /// `sha1(time)`), stored under the raw id as werkzeug names its files.
    ///
    /// # Example
    /// ```
    /// let ids = satchel::IdPolicy::werkzeug();
    /// let id = ids.generate()?;
    /// assert_eq!(id.as_str().len(), 40);
    /// assert_eq!(ids.storage_key(&id).as_str(), id.as_str());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[cfg(feature = "werkzeug")]
    #[cfg_attr(docsrs, doc(cfg(feature = "werkzeug")))]
    #[must_use]
    pub const fn werkzeug() -> Self {
        Self {
            shape: Shape::Werkzeug,
            renew_missing: true,
        }
    }

    /// Whether an unknown id from a cookie gives a fresh session (`true`, the default and
    /// the safe choice) or is kept, as werkzeug's `renew_missing=False` does. Keeping it lets
    /// a client choose its own id (session fixation): for compatibility only.
    ///
    /// # Example
    /// ```
    /// assert!(!satchel::IdPolicy::new().with_renew_missing(false).renews_missing());
    /// ```
    #[must_use]
    pub const fn with_renew_missing(mut self, renew_missing: bool) -> Self {
        self.renew_missing = renew_missing;
        self
    }

    /// See [`IdPolicy::with_renew_missing`].
    ///
    /// # Example
    /// ```
    /// assert!(satchel::IdPolicy::new().renews_missing());
    /// ```
    #[must_use]
    pub const fn renews_missing(&self) -> bool {
        self.renew_missing
    }

    /// A fresh id of this policy's shape, from the OS CSPRNG.
    ///
    /// # Errors
    /// [`Error::Io`](crate::Error::Io) when the operating system cannot provide randomness.
    ///
    /// # Example
    /// ```
    /// let ids = satchel::IdPolicy::new();
    /// assert_ne!(ids.generate()?, ids.generate()?);
    /// # Ok::<(), satchel::Error>(())
    /// ```
    pub fn generate(&self) -> Result<SessionId> {
        match self.shape {
            Shape::Satchel => SessionId::generate(),
            #[cfg(feature = "werkzeug")]
            Shape::Werkzeug => {
                let mut bytes = [0u8; 20];
                crate::random::fill(&mut bytes)?;
                Ok(SessionId::from_checked(hex::encode(bytes)))
            }
        }
    }

    /// The id a cookie value stands for, if it has exactly this policy's shape.
    ///
    /// # Example
    /// ```
    /// assert!(satchel::IdPolicy::new().parse("../../etc/passwd").is_none());
    /// ```
    #[must_use]
    pub fn parse(&self, text: &str) -> Option<SessionId> {
        self.accepts(text)
            .then(|| SessionId::from_checked(text.to_owned()))
    }

    /// Whether `text` has exactly this policy's shape: [`IdPolicy::parse`] without making
    /// the id (a save checks every new session's id, and the id it would make is thrown
    /// away).
    pub(crate) fn accepts(&self, text: &str) -> bool {
        match self.shape {
            Shape::Satchel => SessionId::is_well_formed(text),
            #[cfg(feature = "werkzeug")]
            Shape::Werkzeug => is_werkzeug_id(text),
        }
    }

    /// The key the session `id` is stored under: its SHA-256, or the raw id for werkzeug.
    ///
    /// # Example
    /// ```
    /// let id = satchel::SessionId::generate()?;
    /// assert_ne!(satchel::IdPolicy::new().storage_key(&id).as_str(), id.as_str());
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn storage_key(&self, id: &SessionId) -> StorageKey {
        match self.shape {
            Shape::Satchel => id.storage_key(),
            #[cfg(feature = "werkzeug")]
            Shape::Werkzeug => StorageKey::from_checked(id.as_str().to_owned()),
        }
    }

    /// The stored key a text stands for (a file name's `%s` part, a CLI argument), if it
    /// is one of this policy's keys.
    ///
    /// # Example
    /// ```
    /// let key = satchel::SessionId::generate()?.storage_key();
    /// assert_eq!(satchel::IdPolicy::new().parse_storage_key(key.as_str()), Some(key));
    /// # Ok::<(), satchel::Error>(())
    /// ```
    #[must_use]
    pub fn parse_storage_key(&self, text: &str) -> Option<StorageKey> {
        match self.shape {
            Shape::Satchel => StorageKey::parse(text),
            #[cfg(feature = "werkzeug")]
            Shape::Werkzeug => self.parse(text).map(|id| self.storage_key(&id)),
        }
    }

    /// Whether stored keys are raw session ids (werkzeug's file names), which must then
    /// never be printed or logged.
    ///
    /// # Example
    /// ```
    /// assert!(!satchel::IdPolicy::new().stores_raw_ids());
    /// ```
    #[must_use]
    pub const fn stores_raw_ids(&self) -> bool {
        !matches!(self.shape, Shape::Satchel)
    }
}

/// werkzeug's `is_valid_key`: 40 lowercase hex characters, strictly (no trailing newline).
#[cfg(feature = "werkzeug")]
fn is_werkzeug_id(text: &str) -> bool {
    text.len() == 40
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(all(test, feature = "werkzeug"))]
mod tests {
    use super::*;

    #[test]
    fn werkzeug_ids_are_strict() {
        let ids = IdPolicy::werkzeug();
        let id = "0123456789abcdef0123456789abcdef01234567";
        assert!(ids.parse(id).is_some());
        for bad in [
            "0123456789ABCDEF0123456789ABCDEF01234567",
            "0123456789abcdef0123456789abcdef0123456",
            "0123456789abcdef0123456789abcdef01234567\n",
            "../3456789abcdef0123456789abcdef01234567",
        ] {
            assert!(ids.parse(bad).is_none(), "{bad:?}");
        }
    }
}
