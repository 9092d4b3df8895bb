//! The session cookie: its settings ([`CookieConfig`]) and, with the `cookie-store`
//! feature, cookie sessions ([`CookieSessions`]): the whole session sealed inside the
//! cookie, with the keys and the envelope that protect it. When to choose cookie sessions
//! and how to rotate their keys is in [`docs::cookie_sessions`](crate::docs).

#[cfg(feature = "cookie-store")]
mod client;
mod config;
mod header;

#[cfg(feature = "cookie-store")]
#[cfg_attr(docsrs, doc(cfg(feature = "cookie-store")))]
pub use client::{CookieSessions, Key, MAX_COOKIE_BYTES, MIN_KEY_BYTES, Protection, Revocations};
#[cfg(feature = "fuzzing")]
pub(crate) use client::{open_envelope, seal_envelope};
pub use config::CookieConfig;
