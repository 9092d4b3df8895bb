//! HTTP sessions for Rust web services: werkzeug's session toolkit, done right.
//!
//! - [`Session`]: a map of JSON values that knows its id, whether it is new, and which keys
//!   changed (mutable access included).
//! - [`SessionStore`]: the small record-level store contract, with [`MemoryStore`],
//!   [`FilesystemStore`] (also in werkzeug's own file format), and behind features SQLite,
//!   Redis and PostgreSQL; werkzeug's operations (`new`, `get`, `save`, …) come with
//!   [`SessionStoreExt`]. Saving applies a session's changes to what is stored *now*, so
//!   concurrent requests that change different keys never lose each other's updates.
//! - [`CookieSessions`]: the session sealed in the cookie instead, with no server state.
//! - [`Expiry`]: idle and absolute timeouts, enforced by the server on every load.
//! - [`csrf`]: a CSRF token bound to the session, for HTML forms.
//! - [`SessionLayer`]: the tower middleware (axum, hyper) with every cookie setting, and
//!   [`SessionHandle`], the request's session (an axum extractor).
//!
//! # Quick start (axum)
#![cfg_attr(feature = "axum", doc = "```")]
#![cfg_attr(not(feature = "axum"), doc = "```ignore")]
//! use axum::{Router, routing::get};
//! use satchel::{FilesystemStore, SessionHandle, SessionLayer};
//!
//! async fn visits(session: SessionHandle) -> Result<String, satchel::Error> {
//!     let n = session.update("visits", |n: Option<u64>| n.unwrap_or(0) + 1).await?;
//!     Ok(format!("visit number {n}"))
//! }
//!
//! # let dir = tempfile::tempdir()?;
//! let store = FilesystemStore::new(dir.path().join("sessions"))?;
//! let app: Router = Router::new().route("/", get(visits)).layer(SessionLayer::new(store));
//! # let _ = app;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//! | Feature | Enables | Default |
//! | --- | --- | --- |
//! | `fs` | [`FilesystemStore`] (Unix) | yes |
//! | `axum` | [`SessionHandle`] as an axum extractor, [`Error`] as a response (`axum-core` only) | yes |
//! | `werkzeug` | [`FilesystemStore::werkzeug`]: werkzeug's own session files ([`docs::werkzeug`]) | no |
//! | `sqlite` | [`SqliteStore`] (SQLite bundled) | no |
//! | `postgres` | [`PostgresStore`] (tokio-postgres, deadpool) | no |
//! | `redis` | [`RedisStore`] (redis-rs; a server or a Redis Cluster) | no |
//! | `cookie-store` | [`CookieSessions`]: the session in an encrypted cookie | no |
//! | `test-suite` | [`test_suite`]: the store contract suite, for third-party stores | no |
//! | `metrics` | [`metrics`]: counters and latency histograms through the `metrics` facade | no |
//! | `full` | all of the above | no |
#![cfg_attr(docsrs, feature(doc_cfg))]

mod changes;
mod clock;
pub mod cookie;
pub mod csrf;
pub mod docs;
mod error;
mod expiry;
#[cfg(feature = "axum")]
mod extract;
#[cfg(all(feature = "fuzzing", unix))]
#[doc(hidden)]
pub mod fuzzing;
mod handle;
mod id;
mod id_policy;
mod key_set;
mod limits;
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
pub mod metrics;
#[cfg(not(feature = "metrics"))]
mod metrics;
pub mod middleware;
mod owner;
mod random;
mod record;
mod session;
mod spans;
pub mod store;
#[cfg(feature = "test-suite")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-suite")))]
pub mod test_suite;

pub use crate::changes::Changes;
pub use crate::clock::Clock;
pub use crate::cookie::CookieConfig;
#[cfg(feature = "cookie-store")]
#[cfg_attr(docsrs, doc(cfg(feature = "cookie-store")))]
pub use crate::cookie::CookieSessions;
pub use crate::error::{Error, Result};
pub use crate::expiry::Expiry;
pub use crate::handle::{SessionGuard, SessionHandle};
pub use crate::id::{SessionId, StorageKey};
pub use crate::id_policy::IdPolicy;
pub use crate::limits::Limits;
pub use crate::middleware::SessionLayer;
pub use crate::owner::{Handle, LABEL_LIMIT, Owner, UserKey, UserSession};
pub use crate::record::Record;
pub use crate::session::Session;
#[cfg(all(feature = "fs", unix))]
pub use crate::store::FilesystemStore;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use crate::store::PostgresStore;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use crate::store::RedisStore;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use crate::store::SqliteStore;
pub use crate::store::{MemoryStore, SessionStore, SessionStoreExt, UserSessions};
pub use ::cookie::SameSite;
pub use time;

/// The README's Rust examples, compiled and run as doctests.
#[cfg(all(doctest, feature = "axum", feature = "fs"))]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
