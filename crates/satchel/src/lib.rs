//! HTTP sessions for Rust web services: werkzeug's session toolkit, done right.
//!
//! - [`Session`]: a map of JSON values that knows its id, whether it is new, and which keys
//!   changed (mutable access included).
//! - [`SessionStore`]: the store contract, with [`MemoryStore`], [`FilesystemStore`] (also
//!   in werkzeug's own file format), and behind features SQLite, Redis, PostgreSQL and
//!   cookie-only stores; saving applies a session's changes to what is stored *now*, so
//!   concurrent requests that change different keys never lose each other's updates.
//! - [`Expiry`]: idle and absolute timeouts, enforced by the server on every load.
//! - [`SessionLayer`]: the tower middleware (axum, hyper) with every cookie setting.
//!
//! # Quick start (axum)
#![cfg_attr(feature = "axum", doc = "```")]
#![cfg_attr(not(feature = "axum"), doc = "```ignore")]
//! use axum::{Router, routing::get};
//! use satchel::{FilesystemStore, SessionHandle, SessionLayer};
//!
//! async fn visits(session: SessionHandle) -> Result<String, satchel::Error> {
//!     let mut session = session.load().await?;
//!     let n = session.get::<u64>("visits")?.unwrap_or(0) + 1;
//!     session.insert("visits", n)?;
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
//! | `axum` | [`SessionHandle`] as an axum extractor, [`Error`] as a response | no |
//! | `werkzeug` | [`FilesystemStore::werkzeug`]: werkzeug's own session files ([`docs::werkzeug`]) | no |
//! | `sqlite` | [`SqliteStore`] (SQLite bundled) | no |
//! | `postgres` | [`PostgresStore`] (tokio-postgres, deadpool) | no |
//! | `redis` | [`RedisStore`] (redis-rs; a server or a Redis Cluster) | no |
//! | `cookie-store` | [`CookieStore`]: the session in an encrypted cookie | no |
//! | `full` | all of the above | no |
#![cfg_attr(docsrs, feature(doc_cfg))]

mod changes;
mod clock;
pub mod cookie;
pub mod docs;
mod error;
mod expiry;
#[cfg(feature = "axum")]
mod extract;
mod handle;
mod id;
pub mod middleware;
mod record;
mod session;
pub mod store;

pub use crate::changes::Changes;
pub use crate::clock::Clock;
pub use crate::cookie::CookieConfig;
pub use crate::error::{Error, Result};
pub use crate::expiry::Expiry;
pub use crate::handle::{SessionGuard, SessionHandle};
pub use crate::id::{SessionId, StorageKey};
pub use crate::middleware::SessionLayer;
pub use crate::record::Record;
pub use crate::session::Session;
#[cfg(feature = "cookie-store")]
pub use crate::store::CookieStore;
#[cfg(all(feature = "fs", unix))]
pub use crate::store::FilesystemStore;
#[cfg(feature = "postgres")]
pub use crate::store::PostgresStore;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use crate::store::RedisStore;
#[cfg(feature = "sqlite")]
pub use crate::store::SqliteStore;
pub use crate::store::{DynSessionStore, MemoryStore, SessionStore};
pub use ::cookie::SameSite;

/// The README's Rust examples, compiled and run as doctests.
#[cfg(all(doctest, feature = "axum", feature = "fs"))]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
pub use time;
