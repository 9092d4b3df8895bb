//! satchel's session stores behind tower-sessions: [`TowerStore::new(store)`](TowerStore::new)
//! is a [`tower_sessions_core::SessionStore`] and [`ExpiredDeletion`](tower_sessions_core::ExpiredDeletion),
//! so `SessionManagerLayer`, axum-login and axum-messages run unchanged on satchel's memory,
//! file, SQLite, Redis (server or cluster) and PostgreSQL stores.
//!
//! It is built for tower-sessions 0.14, the release the latest axum-login (0.18) and
//! axum-messages (0.8) are built on, and with the feature `tower-sessions-0-15` also for
//! tower-sessions 0.15, the newest (the same type implements both releases' traits).
//!
//! | Feature | Enables | Default |
//! | --- | --- | --- |
//! | `tower-sessions-0-15` | `TowerStore` as tower-sessions 0.15's `SessionStore` and `ExpiredDeletion`; `tower_sessions_core_0_15` re-exported | no |
//!
//! # Example
//! ```
//! use satchel_tower_sessions::TowerStore;
//! use tower_sessions_core::session::{Id, Record};
//! use tower_sessions_core::SessionStore as _;
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let store = TowerStore::new(satchel::MemoryStore::new());
//! let mut record = Record {
//!     id: Id::default(),
//!     data: [("user".to_owned(), "alice".into())].into(),
//!     expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
//! };
//! store.create(&mut record).await?;
//! assert_eq!(store.load(&record.id).await?, Some(record.clone()));
//!
//! // At rest the session is keyed by the id's SHA-256, never by the id itself.
//! use satchel::SessionStore as _;
//! let keys = store.inner().list().await.map_err(|e| e.to_string())?;
//! assert!(!keys[0].as_str().contains(&record.id.to_string()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With axum: the session layer, and axum-login's on top of it.
//! ```
//! use axum::{Router, http::StatusCode, routing::get};
//! use satchel_tower_sessions::TowerStore;
//! use tower_sessions::{Session, SessionManagerLayer};
//!
//! async fn visits(session: Session) -> Result<String, StatusCode> {
//!     let failed = |_| StatusCode::INTERNAL_SERVER_ERROR;
//!     let n = session.get::<u64>("visits").await.map_err(failed)?.unwrap_or(0) + 1;
//!     session.insert("visits", n).await.map_err(failed)?;
//!     Ok(format!("visit number {n}"))
//! }
//!
//! # let dir = tempfile::tempdir()?;
//! let store = satchel::FilesystemStore::new(dir.path().join("sessions"))?;
//! let app: Router = Router::new()
//!     .route("/", get(visits))
//!     .layer(SessionManagerLayer::new(TowerStore::new(store)));
//! # let _ = app;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With axum-login and axum-messages, pruning expired sessions in the background (the
//! README's lines; `examples/axum_login.rs` is the whole app):
//! ```
//! # use std::convert::Infallible;
//! # #[derive(Clone, Debug)]
//! # struct User;
//! # impl axum_login::AuthUser for User {
//! #     type Id = u64;
//! #     fn id(&self) -> u64 { 1 }
//! #     fn session_auth_hash(&self) -> &[u8] { b"" }
//! # }
//! # #[derive(Clone)]
//! # struct Users;
//! # impl axum_login::AuthnBackend for Users {
//! #     type User = User;
//! #     type Credentials = ();
//! #     type Error = Infallible;
//! #     async fn authenticate(&self, _: ()) -> Result<Option<User>, Infallible> { Ok(None) }
//! #     async fn get_user(&self, _: &u64) -> Result<Option<User>, Infallible> { Ok(None) }
//! # }
//! use std::time::Duration;
//!
//! use satchel_tower_sessions::TowerStore;
//! use tower_sessions::SessionManagerLayer;
//! use tower_sessions_core::ExpiredDeletion as _;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let backend = Users;
//! # let app = axum::Router::new();
//! # let dir = tempfile::tempdir()?;
//! # let url = format!("sqlite:{}", dir.path().join("sessions.db").display());
//! let store = TowerStore::new(satchel::store::open(&url)?.into_store()?); // any store
//! let sessions = SessionManagerLayer::new(store.clone());
//! let auth = axum_login::AuthManagerLayerBuilder::new(backend, sessions).build();
//! let app: axum::Router = app.layer(axum_messages::MessagesManagerLayer).layer(auth);
//! tokio::spawn(store.continuously_delete_expired(Duration::from_secs(60)));
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
//!
//! # What survives the translation
//! - **Hashed keys at rest.** A session is stored under the SHA-256 of its id's cookie text,
//!   as satchel stores its own: a leaked store, a listing or the CLI shows no usable cookie.
//! - **Atomic create.** `create` uses satchel's insert-if-absent: an id taken by a live
//!   session is re-drawn, never overwritten.
//! - **Durable writes.** Each save is the store's own atomic write (fsync and rename for
//!   files, a transaction for SQLite and PostgreSQL, one script for Redis).
//! - **Expiry on load.** A record whose expiry has passed by the store's clock is never
//!   returned, whatever the backend has yet to purge; `delete_expired` is satchel's prune.
//! - **No resurrection.** `save` replaces the data of the record stored *now*, in one atomic
//!   update that also drops the keys the record no longer has; when no live record is
//!   stored (a concurrent logout deleted it, `cycle_id` replaced it, it expired) it writes
//!   nothing and returns `Ok`. tower-sessions' contract asks no more: its `save` is "for
//!   updating the state of an existing session", and `Session::save` sends new and cycled
//!   sessions to `create`. (Its `CachingSessionStore` fills its *cache* with `save`, so put a
//!   `TowerStore` in the store's place there, not the cache's.)
//! - **Limits.** Data a store could not read back (satchel's [`Limits`](satchel::Limits):
//!   1 MiB, 32 levels by default) is refused as an encode error before anything is written.
//!
//! # What cannot survive
//! - **Merge on save.** tower-sessions hands the store whole records, not the keys a request
//!   changed, so two requests that change different keys of one session at once do not
//!   both survive, as they do with satchel's own middleware: the last save wins whole.
//! - **satchel's ids.** The ids are tower-sessions' own (128 random bits, 22 characters),
//!   its cookie and its expiry settings apply, and satchel's [`SessionLayer`](satchel::SessionLayer)
//!   options (idle and absolute timeouts, touch interval) do not. Sessions written through a
//!   `TowerStore` are not readable through satchel's middleware, nor the reverse, though
//!   both can share one store without clashing.
//! - **werkzeug's file format**, which names files by werkzeug's raw ids: a `TowerStore`
//!   on `FilesystemStore::werkzeug` refuses to create sessions (they would be invisible to
//!   `list`, so never pruned); use `FilesystemStore::new`, whose files are named by hash.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod key;
mod record;
mod store;
mod v0_14;
#[cfg(feature = "tower-sessions-0-15")]
mod v0_15;

pub use store::TowerStore;
/// tower-sessions 0.14's core: the traits `TowerStore` implements, and `Id` and `Record`.
pub use tower_sessions_core;
/// tower-sessions 0.15's core, for the same.
#[cfg(feature = "tower-sessions-0-15")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower-sessions-0-15")))]
pub use tower_sessions_core_0_15;
