//! The demo's routes, wrapped in the session layer.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};
use satchel::{SessionLayer, SessionStore};

use crate::{forms, origin, page, routes, session_list, sessions};

/// Request bodies are small JSON values or forms; anything bigger is refused (413), so a
/// client cannot grow a session file by megabytes in one request.
const BODY_LIMIT: usize = 64 * 1024;

/// The demo app: the page, its forms and the JSON API, with sessions from `layer`.
///
/// # Example
/// ```
/// let app = satchel_demo::app(satchel::SessionLayer::new(satchel::MemoryStore::new()));
/// # let _ = app;
/// ```
pub fn app<Store: SessionStore>(layer: SessionLayer<Store>) -> Router {
    Router::new()
        .route("/", get(page::show))
        .route("/login", post(forms::login))
        .route("/logout", post(forms::logout))
        .route("/set", post(forms::set))
        .route("/remove", post(forms::remove))
        .route("/sessions/end", post(session_list::end))
        .route("/logout-everywhere", post(session_list::end_all))
        .route("/api/session", get(routes::show))
        .route(
            "/api/session/{key}",
            put(routes::set_key).delete(routes::remove_key),
        )
        .route("/api/counter", post(routes::count))
        .route("/api/login", post(routes::login))
        .route("/api/logout", post(routes::logout))
        .route("/api/sessions", get(sessions::list))
        .route("/api/sessions/{handle}", delete(sessions::end))
        .route("/api/logout-everywhere", post(sessions::end_all))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(layer)
        // Outermost: a cross-site request is refused before its session is even read.
        .layer(axum::middleware::from_fn(origin::same_site_only))
}
