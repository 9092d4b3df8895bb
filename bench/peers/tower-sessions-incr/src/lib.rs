//! The `/incr` route on tower-sessions, shared by the server (`tower-sessions-incr`) and
//! the in-process profiler (`tower-sessions-profile`).

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use tower_sessions::{Expiry, Session, SessionManagerLayer, SessionStore};

/// Reads `n` from the session, stores `n + 1` and returns it.
pub async fn incr(session: Session) -> Result<String, StatusCode> {
    let failed = |_| StatusCode::INTERNAL_SERVER_ERROR;
    let n = session.get::<u64>("n").await.map_err(failed)?.unwrap_or(0) + 1;
    session.insert("n", n).await.map_err(failed)?;
    Ok(n.to_string())
}

/// The route on `store`; sessions expire after 30 idle minutes, like satchel's default.
pub fn app<S: SessionStore + Clone>(store: S) -> Router {
    let layer = SessionManagerLayer::new(store)
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(30)));
    Router::new().route("/incr", get(incr)).layer(layer)
}
