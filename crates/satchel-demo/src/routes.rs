//! The JSON API under `/api`. Bodies must be `Content-Type: application/json` (415 else:
//! a cross-site form can send only form and text types), and are parsed here before the
//! session is loaded, so a bad body changes nothing.

use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::rejection::BytesRejection;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use satchel::SessionHandle;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::api_error::ApiError;
use crate::visitor;

/// The body of `POST /api/login`.
#[derive(Debug, Deserialize)]
pub(crate) struct Login {
    /// Who logs in.
    user: String,
}

/// `GET /api/session`: the session's data; only reads, so a visitor without a session gets
/// `{}` and no cookie.
pub(crate) async fn show(handle: SessionHandle) -> Result<Response, satchel::Error> {
    let data = handle.load().await?.data().clone();
    Ok(([(CACHE_CONTROL, "no-store")], Json(data)).into_response())
}

/// `PUT /api/session/{key}`: stores the body, any JSON value, under `key`; 413 when the
/// session would pass its size or nesting limit (nothing changes then).
pub(crate) async fn set_key(
    handle: SessionHandle,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    let value: Value = parse(&headers, body)?;
    handle.insert(key, value).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/session/{key}`: removes `key` (a missing key is not an error).
pub(crate) async fn remove_key(
    handle: SessionHandle,
    Path(key): Path<String>,
) -> Result<StatusCode, satchel::Error> {
    handle.load().await?.remove_value(&key);
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/counter`: adds one to `count`; 409 when `count` is not an integer.
pub(crate) async fn count(handle: SessionHandle) -> Result<Json<Value>, ApiError> {
    let mut session = handle.load().await?;
    let count = visitor::increment(&mut session)?.ok_or_else(|| {
        ApiError::Client(
            StatusCode::CONFLICT,
            "`count` is not an integer that can grow; delete it to restart".into(),
        )
    })?;
    Ok(Json(json!({ "count": count })))
}

/// `POST /api/login`: stores `user` and gives the session a new id.
pub(crate) async fn login(
    handle: SessionHandle,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let Login { user } = parse(&headers, body)?;
    visitor::check_user(&user).map_err(ApiError::bad_request)?;
    let owner = visitor::owner(&handle, &user, &headers);
    visitor::log_in(&mut *handle.load().await?, &user, owner)?;
    Ok(Json(json!({ "user": user })))
}

/// `POST /api/logout`: ends the session; the middleware deletes it and expires the cookie.
pub(crate) async fn logout(handle: SessionHandle) -> Result<StatusCode, satchel::Error> {
    handle.destroy().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The body as JSON of type `T`, or the 4xx that says what is wrong with it.
pub(crate) fn parse<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    if !is_json(headers) {
        return Err(ApiError::Client(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be sent as `Content-Type: application/json`".into(),
        ));
    }
    let bytes =
        body.map_err(|rejection| ApiError::Client(rejection.status(), rejection.body_text()))?;
    serde_json::from_slice(&bytes).map_err(|err| {
        let what = if err.is_data() {
            "the body has the wrong shape"
        } else {
            "the body is not JSON"
        };
        ApiError::bad_request(format!("{what}: {err}"))
    })
}

/// Whether the request says its body is JSON (`application/json`, parameters allowed).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}
