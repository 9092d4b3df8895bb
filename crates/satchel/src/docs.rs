//! Guides longer than a screen, kept as Markdown in `docs/` (readable on their own) and
//! compiled here so their examples run as doctests.

#[cfg(feature = "werkzeug")]
#[doc = include_str!("../docs/werkzeug.md")]
pub mod werkzeug {}

#[cfg(feature = "cookie-store")]
#[doc = include_str!("../docs/cookie-sessions.md")]
pub mod cookie_sessions {}

#[doc = include_str!("../docs/user-sessions.md")]
pub mod user_sessions {}
