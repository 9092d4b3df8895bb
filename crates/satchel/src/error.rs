//! The one error type of the crate.

/// Everything that can go wrong in satchel that the caller can act on.
///
/// Bad input from clients is *not* an error: a malformed, forged, expired or unknown
/// cookie gives a fresh session instead. Errors are what the application or the operator
/// must see: a store that cannot be reached or written, data that cannot be encoded, a
/// configuration that cannot work.
///
/// # Example
/// ```
/// use satchel::Error;
///
/// let err = Error::InvalidConfig("the filename template needs exactly one %s".into());
/// assert!(err.to_string().contains("%s"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing the store's files (or the random source) failed.
    #[error("session store I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// A value could not be turned into session data (e.g. a map with non-string keys).
    #[error("could not encode session data: {0}")]
    Encode(#[source] serde_json::Error),
    /// Session data could not be turned into the type that was asked for.
    #[error("could not decode session data: {0}")]
    Decode(#[source] serde_json::Error),
    /// The store's backend (a database driver, a task runtime) failed; the cause is in `source()`.
    #[error("session store backend failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A change could not be applied because the session changed concurrently.
    #[error("the session changed concurrently; the change was not applied")]
    Conflict,
    /// The session's data would pass its size limit ([`Limits`](crate::Limits), in bytes of
    /// compact JSON), or a cookie session would not fit in a cookie (name and value over
    /// 4096 bytes); nothing was written or sent.
    #[error("the session would take {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// The bytes it would take.
        size: usize,
        /// The most allowed.
        limit: usize,
    },
    /// A value would nest deeper than the session's [`Limits`](crate::Limits) allow; nothing
    /// was written.
    #[error("a session value nests deeper than the {limit}-level limit")]
    TooDeep {
        /// The deepest nesting allowed.
        limit: usize,
    },
    /// The request's session is held by a live [`SessionGuard`](crate::SessionGuard) (of the
    /// same handler, most likely): drop the guard before using the session again. Waiting
    /// instead would never end when the same task holds the guard.
    #[error(
        "the session is held by a live SessionGuard of this request; drop it before using the session again"
    )]
    SessionInUse,
    /// The request's response was already sent with its session: a handle kept past the
    /// request can no longer change it.
    #[error("the request's session was already saved with its response")]
    SessionClosed,
    /// The store cannot do what was asked: werkzeug's file format has no place for a
    /// session's user, say. Nothing was written.
    #[error("not supported by this store: {0}")]
    Unsupported(&'static str),
    /// The store has no room for another session: a [`MemoryStore`](crate::MemoryStore)
    /// at its memory limit. Nothing was written; existing sessions are untouched.
    #[error("the session store is full (its limit is {limit} bytes); the session was not stored")]
    StoreFull {
        /// The store's limit, in bytes.
        limit: usize,
    },
    /// The configuration cannot work; the message says why.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
}

/// `Result` with satchel's [`Error`].
///
/// # Example
/// ```
/// fn check() -> satchel::Result<u8> {
///     Ok(1)
/// }
/// assert_eq!(check().unwrap(), 1);
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;
