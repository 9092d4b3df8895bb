//! Shared by the integration tests: fresh stores and small HTTP helpers.
#![allow(dead_code, unreachable_pub)] // each test binary uses a different part
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use satchel::{Clock, FilesystemStore, MemoryStore};
use tempfile::TempDir;

/// Fresh filesystem stores, each in its own folder under one temp dir.
pub struct FsStores {
    dir: TempDir,
    next: AtomicUsize,
}

impl FsStores {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            next: AtomicUsize::new(0),
        }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn fresh(&self, clock: Clock) -> FilesystemStore {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        FilesystemStore::new(self.dir.path().join(format!("store-{n}")))
            .unwrap()
            .with_clock(clock)
    }
}

pub fn memory(clock: Clock) -> MemoryStore {
    MemoryStore::new().with_clock(clock)
}

pub fn now_clock() -> Clock {
    Clock::manual(time::OffsetDateTime::now_utc())
}

/// The value of the `session_id` cookie a response sets, if any.
pub fn set_cookie_value<B>(response: &http::Response<B>) -> Option<String> {
    set_cookie_header(response).map(|header| {
        header
            .split(';')
            .next()
            .and_then(|pair| pair.split_once('='))
            .map(|(_, value)| value.to_owned())
            .unwrap_or_default()
    })
}

/// The whole `Set-Cookie` header of a response, if any.
pub fn set_cookie_header<B>(response: &http::Response<B>) -> Option<String> {
    let headers: Vec<_> = response.headers().get_all("set-cookie").iter().collect();
    assert!(headers.len() <= 1, "more than one Set-Cookie: {headers:?}");
    headers
        .first()
        .map(|value| value.to_str().unwrap().to_owned())
}

/// A small axum app over `layer`, with one route per thing a handler can do to a session.
pub fn app<S: satchel::SessionStore>(layer: satchel::SessionLayer<S>) -> axum::Router {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/untouched", get(|| async { "no session here" }))
        .route("/read", get(read))
        .route("/insert/{key}", post(insert))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/fail", post(fail))
        .layer(layer)
}

async fn read(
    handle: satchel::SessionHandle,
) -> Result<axum::Json<serde_json::Map<String, serde_json::Value>>, satchel::Error> {
    Ok(axum::Json(handle.load().await?.data().clone()))
}

async fn insert(
    handle: satchel::SessionHandle,
    axum::extract::Path(key): axum::extract::Path<String>,
    value: String,
) -> Result<(), satchel::Error> {
    handle.load().await?.insert(key, value)?;
    Ok(())
}

async fn login(handle: satchel::SessionHandle, user: String) -> Result<(), satchel::Error> {
    let mut session = handle.load().await?;
    session.insert("user", user)?;
    session.rotate_id()
}

async fn logout(handle: satchel::SessionHandle) -> Result<(), satchel::Error> {
    handle.load().await?.destroy();
    Ok(())
}

/// Changes the session, then fails: the change must not be kept.
async fn fail(handle: satchel::SessionHandle) -> Result<http::StatusCode, satchel::Error> {
    handle.load().await?.insert("half-done", true)?;
    Ok(http::StatusCode::INTERNAL_SERVER_ERROR)
}

/// Sends one request to `app` in-process.
pub async fn send(
    app: &axum::Router,
    method: &str,
    uri: &str,
    cookie: Option<&str>,
    body: &str,
) -> http::Response<axum::body::Body> {
    use tower::ServiceExt as _;
    let mut request = http::Request::builder().method(method).uri(uri);
    if let Some(cookie) = cookie {
        request = request.header("cookie", format!("session_id={cookie}"));
    }
    let request = request
        .body(axum::body::Body::from(body.to_owned()))
        .unwrap();
    app.clone().oneshot(request).await.unwrap()
}

/// The response body as text.
pub async fn body_text(response: http::Response<axum::body::Body>) -> String {
    use http_body_util::BodyExt as _;
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}
