//! The tower middleware: a session for every request, saved when it should be.
//!
//! [`SessionLayer`] wraps any tower service that takes `http::Request`s. For each request it
//! 1. reads the session cookie (a malformed, forged or unknown id is "no session");
//! 2. puts a lazily loaded [`SessionHandle`](crate::SessionHandle) into the request's
//!    extensions (a request that never touches it never reads the store);
//! 3. calls the inner service;
//! 4. commits: saves the session if it should (never for a 5xx response), and sets the
//!    cookie only when needed: a new session, a new id, a refreshed Max-Age, or a removal
//!    after logout. Responses that set it carry `Cache-Control: no-store`, and every response
//!    whose session was loaded carries `Vary: Cookie`. A store failure becomes an empty 500.
//!
//! Sessions are carried by id in any store ([`SessionLayer::new`]) or sealed inside the
//! cookie ([`SessionLayer::in_cookie`]), chosen once, when the layer is built.
//!
//! # With axum
#![cfg_attr(feature = "axum", doc = "```")]
#![cfg_attr(not(feature = "axum"), doc = "```ignore")]
//! use axum::{Router, routing::post};
//! use satchel::{MemoryStore, SessionHandle, SessionLayer};
//!
//! async fn count(session: SessionHandle) -> Result<String, satchel::Error> {
//!     let n = session.update("count", |n: Option<u64>| n.unwrap_or(0) + 1).await?;
//!     Ok(n.to_string())
//! }
//!
//! let app: Router = Router::new()
//!     .route("/count", post(count))
//!     .layer(SessionLayer::new(MemoryStore::new()));
//! # let _ = app;
//! ```
//!
//! # With hyper (any tower service)
//! ```
//! use std::convert::Infallible;
//! use http::{Request, Response};
//! use satchel::{MemoryStore, SessionHandle, SessionLayer};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! async fn handler(req: Request<String>) -> Result<Response<String>, Infallible> {
//!     let handle = req.extensions().get::<SessionHandle>().cloned();
//!     let Some(handle) = handle else { return Ok(Response::new("no layer".into())) };
//!     if handle.insert("seen", true).await.is_err() {
//!         return Ok(Response::builder().status(500).body(String::new()).unwrap_or_default());
//!     }
//!     Ok(Response::new("ok".into()))
//! }
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let service = ServiceBuilder::new()
//!     .layer(SessionLayer::new(MemoryStore::new()))
//!     .service(service_fn(handler));
//! let response = service.oneshot(Request::new(String::new())).await?;
//! assert!(response.headers()["set-cookie"].to_str()?.starts_with("session_id="));
//! // Serve it with hyper through `hyper_util::service::TowerToHyperService`.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod layer;
mod service;
mod transport;

pub use layer::SessionLayer;
pub use service::{ResponseFuture, SessionService};
pub(crate) use transport::Loader;
