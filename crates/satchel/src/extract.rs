//! axum integration: `SessionHandle` as an extractor, `Error` as a response.

use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::CONTENT_TYPE;
use http::request::Parts;

use crate::error::Error;
use crate::handle::SessionHandle;

/// Takes the request's [`SessionHandle`] from the [`SessionLayer`](crate::SessionLayer);
/// without the layer the request fails with a 500 that says so.
///
/// # Example
/// ```
/// async fn handler(session: satchel::SessionHandle) -> Result<String, satchel::Error> {
///     Ok(session.load().await?.len().to_string())
/// }
/// let app: axum::Router = axum::Router::new()
///     .route("/", axum::routing::get(handler))
///     .layer(satchel::SessionLayer::new(satchel::MemoryStore::new()));
/// # let _ = app;
/// ```
impl<S: Send + Sync> FromRequestParts<S> for SessionHandle {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<SessionHandle>().cloned().ok_or((
            StatusCode::INTERNAL_SERVER_ERROR,
            "no session: is satchel's SessionLayer applied to this route?",
        ))
    }
}

/// A session past its [`Limits`](crate::Limits) answers 413 with `{"error": "…"}` (the
/// client's doing, and nothing was written), and what the store cannot do
/// ([`Error::Unsupported`]) 501 with the same shape; any other session error answers 500
/// with an empty body, the cause going to the log only.
///
/// # Example
/// ```
/// use axum_core::response::IntoResponse;
/// let response = satchel::Error::Conflict.into_response();
/// assert_eq!(response.status(), 500);
/// let response = satchel::Error::TooDeep { limit: 32 }.into_response();
/// assert_eq!(response.status(), 413);
/// assert_eq!(response.headers()["content-type"], "application/json");
/// assert_eq!(satchel::Error::Unsupported("no index").into_response().status(), 501);
/// assert_eq!(satchel::Error::StoreFull { limit: 1 << 30 }.into_response().status(), 503);
/// ```
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = match self {
            Self::TooLarge { .. } | Self::TooDeep { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unsupported(_) => StatusCode::NOT_IMPLEMENTED,
            Self::StoreFull { .. } => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status != StatusCode::INTERNAL_SERVER_ERROR {
            let body = serde_json::json!({ "error": self.to_string() }).to_string();
            let json = [(CONTENT_TYPE, "application/json")];
            return (status, json, body).into_response();
        }
        tracing::error!(error = %self, "session error; answering 500");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    }
}
