//! The logged-in user's sessions: `GET /api/sessions`, `DELETE /api/sessions/{handle}` and
//! `POST /api/logout-everywhere`, on [`SessionHandle`]'s per-user calls.

use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::rejection::BytesRejection;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use satchel::{Handle, SessionHandle, UserSession};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::api_error::ApiError;
use crate::{routes, visitor};

/// The body of `POST /api/logout-everywhere` (it may be empty).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Everywhere {
    /// End the caller's own session too.
    #[serde(default)]
    all: bool,
}

/// `GET /api/sessions`: the logged-in user's sessions; 401 when nobody is logged in.
pub(crate) async fn list(handle: SessionHandle) -> Result<Response, ApiError> {
    logged_in(&handle).await?;
    let expiry = handle.expiry();
    let listed: Vec<Value> = handle
        .user_sessions()
        .await?
        .iter()
        .map(|session| shown(session, session.last_seen(&expiry)))
        .collect();
    Ok(([(CACHE_CONTROL, "no-store")], Json(listed)).into_response())
}

/// `DELETE /api/sessions/{handle}`: ends one of the user's sessions; 404 for a handle
/// that names none of them.
pub(crate) async fn end(
    handle: SessionHandle,
    Path(named): Path<String>,
) -> Result<StatusCode, ApiError> {
    logged_in(&handle).await?;
    let ended = match Handle::parse(&named) {
        Some(named) => handle.end_user_session(&named).await?,
        None => false,
    };
    if !ended {
        return Err(ApiError::Client(
            StatusCode::NOT_FOUND,
            "no session of yours has that handle".into(),
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/logout-everywhere`: ends the user's other sessions (with `{"all": true}`
/// this one too); 200 `{"ended": N}`.
pub(crate) async fn end_all(
    handle: SessionHandle,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let Everywhere { all } = match &body {
        Ok(bytes) if bytes.is_empty() => Everywhere::default(),
        _ => routes::parse(&headers, body)?,
    };
    logged_in(&handle).await?;
    let ended = handle.end_user_sessions(all).await?;
    Ok(Json(json!({ "ended": ended })))
}

/// 401 unless someone is logged in on this session.
async fn logged_in(handle: &SessionHandle) -> Result<(), ApiError> {
    match handle.get::<String>(visitor::USER).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::Client(
            StatusCode::UNAUTHORIZED,
            "nobody is logged in on this session".into(),
        )),
    }
}

/// One session as the API shows it: times in RFC 3339, never the id.
fn shown(session: &UserSession, last_seen: OffsetDateTime) -> Value {
    json!({
        "handle": session.handle().as_str(),
        "created": rfc3339(Some(session.created_at())),
        "last_seen": rfc3339(Some(last_seen)),
        "expires": rfc3339(session.expires_at()),
        "current": session.is_current(),
        "label": session.label(),
    })
}

fn rfc3339(at: Option<OffsetDateTime>) -> Value {
    at.and_then(|at| at.format(&Rfc3339).ok())
        .map_or(Value::Null, Value::String)
}
