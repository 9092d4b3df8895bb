//! The API's error answers: `{"error": "…"}` for the client's mistakes, satchel's opaque
//! 500 for the store's.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why an API request failed.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// The request cannot be carried out as sent; nothing was changed.
    Client(StatusCode, String),
    /// The session store failed; the cause goes to the log only.
    Session(satchel::Error),
}

impl ApiError {
    /// A 400 with `message`.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::Client(StatusCode::BAD_REQUEST, message.into())
    }
}

impl From<satchel::Error> for ApiError {
    fn from(err: satchel::Error) -> Self {
        Self::Session(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Client(status, message) => {
                (status, Json(json!({ "error": message }))).into_response()
            }
            Self::Session(err) => err.into_response(),
        }
    }
}
